/* Unit tests for srv_user: name and password checks with their messages;
 * add (defaults, duplicates, bad role, the name's earlier login failures
 * forgotten), passwd (new hash, lock lifted), disable/enable, role and group
 * changes (the rights generation, the groups kept intact), list, password
 * files and generated passwords. Bad input changes nothing. A real master
 * database in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_hlc.h"
#include "kt_pwhash.h"
#include "srv_rights.h"
#include "srv_user.h"
#include "t_srvdb.h"

static int setup(void **state) {
  t_srvdb *t = calloc(1, sizeof *t);
  kt_err err;
  if (!t || t_srvdb_open(t, "user") || srv_roles_seed(&t->db, &err)) return -1;
  *state = t;
  return 0;
}

static int teardown(void **state) {
  t_srvdb *t = *state;
  t_srvdb_close(t);
  free(t);
  return 0;
}

static int64_t users_gen(srv_db *d) {
  return t_sql_int(d, "SELECT coalesce((SELECT value FROM meta WHERE key = 'users_gen'), 0)");
}

static void pwhash_of(srv_db *d, const char *name, char *out, size_t n) {
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT pwhash FROM srv_user WHERE name = '%s'", name);
  assert_int_equal(t_sql_text(d, sql, out, n), 0);
}

static void assert_bad_name(const char *name, const char *want) {
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(srv_user_check_name(name, &err), KT_EINVAL);
  if (!strstr(err.msg, want)) fail_msg("name '%s': expected '%s' in '%s'", name ? name : "(null)", want,
                                       err.msg);
}

static void test_check_name(void **state) {
  (void)state;
  const char *good[] = {"anna", "Анна", "a.b-c_d@office", "x", "ЮлияП", NULL};
  for (int i = 0; good[i]; i++) assert_int_equal(srv_user_check_name(good[i], NULL), 0);
  char max[65];
  memset(max, 'a', 64);
  max[64] = '\0';
  assert_int_equal(srv_user_check_name(max, NULL), 0);
  char over[66];
  memset(over, 'a', 65);
  over[65] = '\0';
  assert_bad_name(over, "1 to 64 characters");
  assert_bad_name("", "1 to 64 characters");
  assert_bad_name(NULL, "1 to 64 characters");
  assert_bad_name("anna petrova", "no spaces, quotes, slashes or control characters");
  assert_bad_name("a/b", "slashes");
  assert_bad_name("a\\b", "slashes");
  assert_bad_name("a\"b", "quotes");
  assert_bad_name("o'neil", "quotes");
  assert_bad_name("tab\there", "control characters");
  assert_bad_name("del\x7f", "control characters");
  assert_bad_name(" anna", "no spaces");
  assert_bad_name("an\xff" "na", "not valid UTF-8");
  assert_bad_name("\xd0", "not valid UTF-8"); /* a cut Cyrillic letter */
}

static void test_check_password(void **state) {
  (void)state;
  kt_err err;
  const char *weak[] = {"", "short", "1234567", "пароль1", NULL};
  for (int i = 0; weak[i]; i++) {
    kt_err_clear(&err);
    assert_int_equal(srv_user_check_password(weak[i], &err), KT_EINVAL);
    assert_non_null(strstr(err.msg, "too short: use at least 8 characters"));
  }
  assert_int_equal(srv_user_check_password(NULL, NULL), KT_EINVAL);
  assert_int_equal(srv_user_check_password("12345678", NULL), 0);
  assert_int_equal(srv_user_check_password("пароль12", NULL), 0); /* characters, not bytes */
  char pw[1030];
  memset(pw, 'p', sizeof pw);
  pw[1024] = '\0';
  assert_int_equal(srv_user_check_password(pw, NULL), 0);
  pw[1024] = 'p';
  pw[1025] = '\0';
  kt_err_clear(&err);
  assert_int_equal(srv_user_check_password(pw, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "too long"));
}

static void test_add_and_get(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  int64_t before = (int64_t)kt_now_ms();
  assert_int_equal(srv_user_add(d, "anna", "секрет-123", NULL, NULL, &err), 0);
  srv_user_info u;
  assert_int_equal(srv_user_get(d, "anna", &u, &err), 0);
  assert_string_equal(u.name, "anna");
  assert_string_equal(u.role, "manager"); /* the default */
  assert_string_equal(u.grp, "");
  assert_int_equal(strlen(u.id), 36);
  assert_false(u.disabled || u.locked);
  assert_true(u.created >= before && u.created <= (int64_t)kt_now_ms());
  assert_int_equal(t_sql_int(d, "SELECT grp IS NULL FROM srv_user WHERE name = 'anna'"), 1);
  /* only a hash is stored, and it verifies */
  char hash[256];
  pwhash_of(d, "anna", hash, sizeof hash);
  assert_null(strstr(hash, "секрет"));
  assert_int_equal(strncmp(hash, "$argon2id$", 10), 0);
  assert_int_equal(kt_pwhash_verify(hash, "секрет-123"), 0);
  assert_int_equal(kt_pwhash_verify(hash, "секрет-124"), KT_EAUTH);
  /* role and groups given */
  assert_int_equal(srv_user_add(d, "boris", "password-1", "head_of_sales", "Продажи,Маркетинг", &err), 0);
  assert_int_equal(srv_user_get(d, "boris", &u, &err), 0);
  assert_string_equal(u.role, "head_of_sales");
  assert_string_equal(u.grp, "Продажи,Маркетинг");
  srv_user_info a;
  assert_int_equal(srv_user_get(d, "anna", &a, &err), 0);
  assert_string_not_equal(a.id, u.id);
  /* unknown */
  kt_err_clear(&err);
  assert_int_equal(srv_user_get(d, "ghost", &u, &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no user named ghost"));
}

static void test_add_refusals(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_user_add(d, "anna", "password-1", NULL, NULL, &err), 0);
  char hash[256], hash2[256];
  pwhash_of(d, "anna", hash, sizeof hash);
  kt_err_clear(&err);
  assert_int_equal(srv_user_add(d, "anna", "password-2", "administrator", NULL, &err), KT_EEXISTS);
  assert_non_null(strstr(err.msg, "a user named anna already exists"));
  pwhash_of(d, "anna", hash2, sizeof hash2);
  assert_string_equal(hash, hash2); /* the account is untouched */
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_user WHERE role = 'manager'"), 1);
  kt_err_clear(&err);
  assert_int_equal(srv_user_add(d, "bad name", "password-1", NULL, NULL, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "bad user name"));
  kt_err_clear(&err);
  assert_int_equal(srv_user_add(d, "boris", "short", NULL, NULL, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "too short"));
  kt_err_clear(&err);
  assert_int_equal(srv_user_add(d, "boris", "password-1", "king", NULL, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "unknown role 'king'"));
  assert_non_null(strstr(err.msg, "manager"));
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_user"), 1);
  /* a custom role is accepted once it exists */
  assert_int_equal(srv_role_set(d, "intern", NULL, "org=own/none/none", &err), 0);
  assert_int_equal(srv_user_add(d, "boris", "password-1", "intern", NULL, &err), 0);
}

static void test_add_forgets_guesses_at_the_name(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(t_sql_exec(d, "INSERT INTO srv_login_fail(name, failures, last_failure, locked) "
                                 "VALUES ('vera', 10, 1, 1), ('other', 3, 1, 0)"), 0);
  assert_int_equal(srv_user_add(d, "vera", "password-1", NULL, NULL, &err), 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_login_fail WHERE name = 'vera'"), 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_login_fail WHERE name = 'other'"), 1);
  srv_user_info u;
  assert_int_equal(srv_user_get(d, "vera", &u, &err), 0);
  assert_false(u.locked);
}

static void test_passwd(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_user_add(d, "anna", "password-1", NULL, NULL, &err), 0);
  char h1[256], h2[256];
  pwhash_of(d, "anna", h1, sizeof h1);
  int64_t changed = t_sql_int(d, "SELECT changed FROM srv_user WHERE name = 'anna'");
  int64_t gen = users_gen(d);
  /* refused: weak, unknown user; nothing changes */
  kt_err_clear(&err);
  assert_int_equal(srv_user_passwd(d, "anna", "short", &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "too short"));
  kt_err_clear(&err);
  assert_int_equal(srv_user_passwd(d, "ghost", "password-2", &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no user named ghost"));
  pwhash_of(d, "anna", h2, sizeof h2);
  assert_string_equal(h1, h2);
  assert_int_equal(users_gen(d), gen);
  /* a locked account: the new password lifts the lock */
  assert_int_equal(t_sql_exec(d, "UPDATE srv_user SET failures = 10, locked = 1 WHERE name = 'anna'"), 0);
  assert_int_equal(srv_user_passwd(d, "anna", "password-2", &err), 0);
  pwhash_of(d, "anna", h2, sizeof h2);
  assert_string_not_equal(h1, h2);
  assert_int_equal(kt_pwhash_verify(h2, "password-2"), 0);
  assert_int_equal(kt_pwhash_verify(h2, "password-1"), KT_EAUTH);
  assert_int_equal(t_sql_int(d, "SELECT failures + locked FROM srv_user WHERE name = 'anna'"), 0);
  /* sessions begun before end (srv_resume compares with `changed`); the server is told */
  assert_true(t_sql_int(d, "SELECT changed FROM srv_user WHERE name = 'anna'") > changed);
  assert_true(users_gen(d) > gen);
}

static void test_disable_enable(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_user_add(d, "anna", "password-1", NULL, NULL, &err), 0);
  srv_user_info u;
  int64_t gen = users_gen(d);
  assert_int_equal(srv_user_set_disabled(d, "anna", true, &err), 0);
  assert_int_equal(srv_user_get(d, "anna", &u, &err), 0);
  assert_true(u.disabled);
  assert_true(users_gen(d) > gen);
  gen = users_gen(d);
  /* enable also lifts a lock (the unlock the lock message points to) */
  assert_int_equal(t_sql_exec(d, "UPDATE srv_user SET failures = 10, locked = 1 WHERE name = 'anna'"), 0);
  assert_int_equal(srv_user_set_disabled(d, "anna", false, &err), 0);
  assert_int_equal(srv_user_get(d, "anna", &u, &err), 0);
  assert_false(u.disabled || u.locked);
  assert_int_equal(t_sql_int(d, "SELECT failures FROM srv_user WHERE name = 'anna'"), 0);
  assert_true(users_gen(d) > gen);
  gen = users_gen(d);
  kt_err_clear(&err);
  assert_int_equal(srv_user_set_disabled(d, "ghost", true, &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "ghost"));
  assert_int_equal(users_gen(d), gen);
}

static void test_set_role(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_user_add(d, "anna", "password-1", NULL, "Продажи", &err), 0);
  srv_user_info u;
  uint64_t g0, g;
  bool dis;
  assert_int_equal(srv_subject_state(d, "anna", &g0, &dis, &err), 0);
  int64_t gen = users_gen(d);
  /* the role only: groups kept */
  assert_int_equal(srv_user_set_role(d, "anna", "head_of_sales", NULL, &err), 0);
  assert_int_equal(srv_user_get(d, "anna", &u, &err), 0);
  assert_string_equal(u.role, "head_of_sales");
  assert_string_equal(u.grp, "Продажи");
  assert_int_equal(srv_subject_state(d, "anna", &g, &dis, &err), 0);
  assert_true(g > g0);
  assert_true(users_gen(d) > gen);
  /* the groups only: role kept ("" role = keep) */
  assert_int_equal(srv_user_set_role(d, "anna", "", "Снабжение,Склад", &err), 0);
  assert_int_equal(srv_user_get(d, "anna", &u, &err), 0);
  assert_string_equal(u.role, "head_of_sales");
  assert_string_equal(u.grp, "Снабжение,Склад");
  /* "" groups = none */
  assert_int_equal(srv_user_set_role(d, "anna", NULL, "", &err), 0);
  assert_int_equal(t_sql_int(d, "SELECT grp IS NULL FROM srv_user WHERE name = 'anna'"), 1);
  /* refused: unknown role, unknown user; nothing changes */
  assert_int_equal(srv_subject_state(d, "anna", &g0, &dis, &err), 0);
  kt_err_clear(&err);
  assert_int_equal(srv_user_set_role(d, "anna", "king", NULL, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "unknown role 'king'"));
  kt_err_clear(&err);
  assert_int_equal(srv_user_set_role(d, "ghost", "manager", NULL, &err), KT_ENOTFOUND);
  assert_int_equal(srv_user_get(d, "anna", &u, &err), 0);
  assert_string_equal(u.role, "head_of_sales");
  assert_int_equal(srv_subject_state(d, "anna", &g, &dis, &err), 0);
  assert_int_equal(g, g0);
}

static void test_set_role_keeps_long_groups(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  /* groups longer than srv_user_info.grp holds (Cyrillic: two bytes a letter) */
  const char *groups = "Продажи Москва,Продажи Санкт-Петербург,Отдел закупок Екатеринбург,"
                       "Маркетинг и реклама";
  assert_true(strlen(groups) > sizeof ((srv_user_info *)0)->grp);
  assert_int_equal(srv_user_add(d, "anna", "password-1", NULL, groups, &err), 0);
  assert_int_equal(srv_user_set_role(d, "anna", "head_of_sales", NULL, &err), 0);
  char now[512];
  assert_int_equal(t_sql_text(d, "SELECT grp FROM srv_user WHERE name = 'anna'", now, sizeof now), 0);
  assert_string_equal(now, groups);
  srv_subject s;
  assert_int_equal(srv_subject_load(d, "anna", &s, &err), 0);
  assert_int_equal(s.who.ngroups, 4);
  assert_string_equal(s.groups[3], "Маркетинг и реклама");
}

typedef struct names {
  int n, stop;
  char v[8][80];
  bool disabled[8];
} names;

static int on_user(void *ud, const srv_user_info *u) {
  names *l = ud;
  if (l->n < 8) {
    snprintf(l->v[l->n], sizeof l->v[0], "%s", u->name);
    l->disabled[l->n] = u->disabled;
  }
  l->n++;
  return l->stop && l->n >= l->stop;
}

static void test_list(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  names l;
  memset(&l, 0, sizeof l);
  assert_int_equal(srv_user_list(d, on_user, &l, &err), 0);
  assert_int_equal(l.n, 0);
  assert_int_equal(srv_user_add(d, "vera", "password-1", NULL, NULL, &err), 0);
  assert_int_equal(srv_user_add(d, "anna", "password-1", NULL, NULL, &err), 0);
  assert_int_equal(srv_user_add(d, "boris", "password-1", "assistant", NULL, &err), 0);
  assert_int_equal(srv_user_set_disabled(d, "boris", true, &err), 0);
  assert_int_equal(srv_user_list(d, on_user, &l, &err), 0);
  assert_int_equal(l.n, 3);
  assert_string_equal(l.v[0], "anna");
  assert_string_equal(l.v[1], "boris");
  assert_string_equal(l.v[2], "vera");
  assert_true(l.disabled[1] && !l.disabled[0]);
  memset(&l, 0, sizeof l);
  l.stop = 2;
  assert_int_equal(srv_user_list(d, on_user, &l, &err), 0);
  assert_int_equal(l.n, 2);
}

static void test_password_file_and_generate(void **state) {
  t_srvdb *t = *state;
  char path[128], pw[64];
  kt_err err;
  snprintf(path, sizeof path, "%s/pw", t->dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("секрет-123\r\nsecond line\n", f);
  fclose(f);
  assert_int_equal(srv_read_password_file(path, pw, sizeof pw, &err), 0);
  assert_string_equal(pw, "секрет-123");
  f = fopen(path, "w");
  assert_non_null(f);
  fclose(f);
  kt_err_clear(&err);
  assert_int_equal(srv_read_password_file(path, pw, sizeof pw, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "is empty"));
  snprintf(path, sizeof path, "%s/missing", t->dir);
  kt_err_clear(&err);
  assert_int_equal(srv_read_password_file(path, pw, sizeof pw, &err), KT_EIO);
  assert_non_null(strstr(err.msg, "missing"));

  char a[80], b[80];
  assert_int_equal(srv_password_generate(a, 16, &err), 0);
  assert_int_equal(srv_password_generate(b, 16, &err), 0);
  assert_int_equal(strlen(a), 16);
  assert_string_not_equal(a, b);
  assert_int_equal(strspn(a, "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"), 16);
  assert_int_equal(srv_user_check_password(a, NULL), 0);
  assert_int_equal(srv_password_generate(a, 79, &err), 0); /* capped to the random buffer */
  assert_int_equal(strlen(a), 63);
  const char *const *r = srv_user_roles();
  int n = 0;
  while (r[n]) n++;
  assert_int_equal(n, 4);
  assert_string_equal(r[0], "administrator");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_check_name),
      cmocka_unit_test(test_check_password),
      cmocka_unit_test_setup_teardown(test_add_and_get, setup, teardown),
      cmocka_unit_test_setup_teardown(test_add_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_add_forgets_guesses_at_the_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_passwd, setup, teardown),
      cmocka_unit_test_setup_teardown(test_disable_enable, setup, teardown),
      cmocka_unit_test_setup_teardown(test_set_role, setup, teardown),
      cmocka_unit_test_setup_teardown(test_set_role_keeps_long_groups, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list, setup, teardown),
      cmocka_unit_test_setup_teardown(test_password_file_and_generate, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
