/* Unit tests for srv_rights: the shipped roles are seeded when missing (and
 * a changed shipped role is not overwritten); custom roles are created,
 * changed, listed and used by a user's subject; bad role names, bad rights
 * text and unknown roles are refused and change nothing; a subject's groups
 * include every live subgroup (cycles and overflow included); the rights
 * generation moves with role and group changes. A real master database in a
 * temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_json.h"
#include "srv_rights.h"
#include "srv_user.h"
#include "t_srvdb.h"

static int setup(void **state) {
  t_srvdb *t = calloc(1, sizeof *t);
  if (!t || t_srvdb_open(t, "rights")) return -1;
  *state = t;
  return 0;
}

static int teardown(void **state) {
  t_srvdb *t = *state;
  t_srvdb_close(t);
  free(t);
  return 0;
}

static int code(const char *type) { return kt_registry_type(type)->code; }

typedef struct listing {
  int n, stop_after;
  char names[16][32];
  char rights[16][1024];
} listing;

static int on_role(void *ud, const char *name, const char *rights) {
  listing *l = ud;
  if (l->n < 16) {
    snprintf(l->names[l->n], sizeof l->names[0], "%s", name);
    snprintf(l->rights[l->n], sizeof l->rights[0], "%s", rights);
  }
  l->n++;
  return l->stop_after && l->n >= l->stop_after;
}

static listing *list_roles(srv_db *d) {
  static listing l;
  memset(&l, 0, sizeof l);
  kt_err err;
  assert_int_equal(srv_role_list(d, on_role, &l, &err), 0);
  return &l;
}

static void shipped_text(const char *role, kt_buf *out) {
  kt_rights r;
  assert_int_equal(kt_rights_role(role, &r, NULL), 0);
  kt_rights_format(&r, out);
}

static void test_seed(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(list_roles(d)->n, 0); /* a new database holds none until seeded */
  assert_int_equal(srv_roles_seed(d, &err), 0);
  listing *l = list_roles(d);
  assert_int_equal(l->n, 4);
  /* in name order, with the shipped rights as text */
  assert_string_equal(l->names[0], "administrator");
  assert_string_equal(l->names[1], "assistant");
  assert_string_equal(l->names[2], "head_of_sales");
  assert_string_equal(l->names[3], "manager");
  kt_buf want = KT_BUF_INIT;
  shipped_text("manager", &want);
  assert_string_equal(l->rights[3], kt_buf_str(&want));
  kt_buf_free(&want);
  /* seeding again adds nothing */
  assert_int_equal(srv_roles_seed(d, &err), 0);
  assert_int_equal(list_roles(d)->n, 4);
  /* a changed shipped role survives a reseed; a deleted one comes back */
  assert_int_equal(srv_role_set(d, "manager", NULL, "+export", &err), 0);
  assert_int_equal(t_sql_exec(d, "DELETE FROM srv_role WHERE name = 'assistant'"), 0);
  assert_int_equal(list_roles(d)->n, 3);
  assert_int_equal(srv_roles_seed(d, &err), 0);
  l = list_roles(d);
  assert_int_equal(l->n, 4);
  assert_string_equal(l->names[1], "assistant");
  kt_rights r;
  assert_int_equal(srv_role_rights(d, "manager", &r, &err), 0);
  assert_true(r.can_export);
  /* a listing callback may stop early */
  static listing one;
  memset(&one, 0, sizeof one);
  one.stop_after = 1;
  assert_int_equal(srv_role_list(d, on_role, &one, &err), 0);
  assert_int_equal(one.n, 1);
}

static void test_role_rights_unknown_and_fallback(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  kt_rights r, ship;
  assert_int_equal(srv_roles_seed(d, &err), 0);
  kt_err_clear(&err);
  assert_int_equal(srv_role_rights(d, "king", &r, &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "unknown role 'king'"));
  assert_non_null(strstr(err.msg, "administrator, assistant, head_of_sales, manager"));
  /* a shipped role missing from the table (a database from before seeding): the shipped rights */
  assert_int_equal(t_sql_exec(d, "DELETE FROM srv_role"), 0);
  assert_int_equal(srv_role_rights(d, "head_of_sales", &r, &err), 0);
  assert_int_equal(kt_rights_role("head_of_sales", &ship, NULL), 0);
  assert_memory_equal(&r, &ship, sizeof r);
  /* damaged rights text in the table is an error, not a silent empty role */
  assert_int_equal(t_sql_exec(d, "INSERT INTO srv_role(name, rights, changed) VALUES "
                                 "('broken', 'org=all/all +fly', 0)"), 0);
  assert_int_equal(srv_role_rights(d, "broken", &r, &err), KT_EINVAL);
}

static void test_role_set_names_and_bad_input(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_roles_seed(d, &err), 0);
  const char *bad[] = {"", "Sales", "sales lead", "sales-lead", "роль", "a2345678901234567890123456789012",
                       NULL};
  for (int i = 0; bad[i]; i++) {
    kt_err_clear(&err);
    assert_int_equal(srv_role_set(d, bad[i], NULL, "+export", &err), KT_EINVAL);
    assert_non_null(strstr(err.msg, "1-31 characters a-z, 0-9 and _"));
  }
  assert_int_equal(srv_role_set(d, NULL, NULL, "+export", &err), KT_EINVAL);
  assert_int_equal(srv_role_set(d, "a2345678901234567890123456789_1", NULL, "", &err), 0); /* 31 */
  /* bad rights text: refused, nothing stored */
  kt_err_clear(&err);
  assert_int_equal(srv_role_set(d, "sales_lead", NULL, "org=all/all", &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "org=all/all"));
  assert_int_equal(srv_role_set(d, "sales_lead", NULL, "+fly", &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "unknown right 'fly'"));
  assert_int_equal(srv_role_set(d, "sales_lead", NULL, "planet=all/all/all", &err), KT_EINVAL);
  /* an unknown role to start from */
  kt_err_clear(&err);
  assert_int_equal(srv_role_set(d, "sales_lead", "king", "+export", &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "king"));
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_role WHERE name = 'sales_lead'"), 0);
}

static void test_custom_role_stored_and_used(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_roles_seed(d, &err), 0);
  /* a brand-new role: what was asked, plus the office configuration readable */
  assert_int_equal(srv_role_set(d, "sales_lead", NULL, "org=all/group/own contact=group/own/none "
                                "+export", &err), 0);
  kt_rights r;
  assert_int_equal(srv_role_rights(d, "sales_lead", &r, &err), 0);
  assert_int_equal(r.lvl[code("org")][KT_ACT_READ], KT_LVL_ALL);
  assert_int_equal(r.lvl[code("org")][KT_ACT_EDIT], KT_LVL_GROUP);
  assert_int_equal(r.lvl[code("org")][KT_ACT_DELETE], KT_LVL_OWN);
  assert_int_equal(r.lvl[code("contact")][KT_ACT_READ], KT_LVL_GROUP);
  assert_int_equal(r.lvl[code("deal")][KT_ACT_READ], KT_LVL_NONE); /* not asked for */
  assert_true(r.can_export && !r.manage_users && !r.reassign);
  assert_int_equal(r.lvl[code("field_def")][KT_ACT_READ], KT_LVL_ALL);
  assert_int_equal(r.lvl[code("field_def")][KT_ACT_EDIT], KT_LVL_NONE);
  /* system types follow org's read level */
  assert_int_equal(r.lvl[code("conflict")][KT_ACT_READ], KT_LVL_ALL);
  assert_int_equal(list_roles(d)->n, 5);
  /* a role from another one, with changes on top */
  assert_int_equal(srv_role_set(d, "senior", "manager", "+see_contacts deal.read=all", &err), 0);
  kt_rights m, s;
  assert_int_equal(srv_role_rights(d, "manager", &m, &err), 0);
  assert_int_equal(srv_role_rights(d, "senior", &s, &err), 0);
  assert_true(s.see_contacts && !m.see_contacts);
  assert_int_equal(s.lvl[code("deal")][KT_ACT_READ], KT_LVL_ALL);
  assert_int_equal(s.lvl[code("org")][KT_ACT_READ], m.lvl[code("org")][KT_ACT_READ]);
  assert_int_equal(s.lvl[code("deal")][KT_ACT_EDIT], m.lvl[code("deal")][KT_ACT_EDIT]);
  /* changing a role later keeps what it had */
  assert_int_equal(srv_role_set(d, "senior", NULL, "-see_contacts", &err), 0);
  assert_int_equal(srv_role_rights(d, "senior", &s, &err), 0);
  assert_false(s.see_contacts);
  assert_int_equal(s.lvl[code("deal")][KT_ACT_READ], KT_LVL_ALL);

  /* a user of the custom role: the subject carries its rights */
  assert_int_equal(srv_user_add(d, "lena", "password-1", "sales_lead", "Продажи", &err), 0);
  srv_subject subj;
  assert_int_equal(srv_subject_load(d, "lena", &subj, &err), 0);
  assert_string_equal(subj.role, "sales_lead");
  assert_memory_equal(&subj.who.rights, &r, sizeof r);
  assert_true(kt_rights_allows(&subj.who, code("org"), KT_ACT_READ, "boris", NULL, NULL));
  assert_true(kt_rights_allows(&subj.who, code("org"), KT_ACT_EDIT, "boris", "Продажи", NULL));
  assert_false(kt_rights_allows(&subj.who, code("org"), KT_ACT_EDIT, "boris", "Снабжение", NULL));
  assert_false(kt_rights_allows(&subj.who, code("org"), KT_ACT_DELETE, "boris", "Продажи", NULL));
  assert_false(kt_rights_allows(&subj.who, code("deal"), KT_ACT_READ, "lena", NULL, NULL));
  /* read masks for the feed filter */
  assert_true(subj.mask_all >> code("org") & 1);
  assert_true(subj.mask_group >> code("contact") & 1);
  assert_false((subj.mask_all | subj.mask_own | subj.mask_group) >> code("deal") & 1);
  /* the role changes: the next load sees it */
  assert_int_equal(srv_role_set(d, "sales_lead", NULL, "deal=own/own/none", &err), 0);
  assert_int_equal(srv_subject_load(d, "lena", &subj, &err), 0);
  assert_true(kt_rights_allows(&subj.who, code("deal"), KT_ACT_READ, "lena", NULL, NULL));
  assert_true(kt_rights_allows(&subj.who, code("org"), KT_ACT_READ, "boris", NULL, NULL));
}

static void test_existing_role_keeps_config_rights(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_roles_seed(d, &err), 0);
  /* an office hides its field definitions from a role ... */
  assert_int_equal(srv_role_set(d, "temp", NULL, "org=own/own/none field_def=none/none/none", &err), 0);
  kt_rights r;
  assert_int_equal(srv_role_rights(d, "temp", &r, &err), 0);
  assert_int_equal(r.lvl[code("field_def")][KT_ACT_READ], KT_LVL_NONE);
  /* ... and an unrelated change later must not give them back */
  assert_int_equal(srv_role_set(d, "temp", NULL, "+export", &err), 0);
  assert_int_equal(srv_role_rights(d, "temp", &r, &err), 0);
  assert_true(r.can_export);
  assert_int_equal(r.lvl[code("field_def")][KT_ACT_READ], KT_LVL_NONE);
  assert_int_equal(r.lvl[code("org")][KT_ACT_READ], KT_LVL_OWN);
}

/* Adds a live (or deleted) group record with a parent (NULL = top). */
static void group(srv_db *d, const char *name, const char *parent, int deleted) {
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(d->db, "INSERT INTO t_group(id, ver, name, parent, deleted) "
                                      "VALUES (lower(hex(randomblob(16))), x'', ?1, ?2, ?3)",
                                      -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (parent) sqlite3_bind_text(st, 2, parent, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 3, deleted);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
}

static bool has_group(const srv_subject *s, const char *name) {
  for (int i = 0; i < s->who.ngroups; i++)
    if (strcmp(s->groups[i], name) == 0) return true;
  return false;
}

static void test_subject_groups_and_subgroups(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_roles_seed(d, &err), 0);
  group(d, "Продажи", NULL, 0);
  group(d, "Москва Север", "Продажи Москва", 0); /* a grandchild listed before its parent */
  group(d, "Продажи Москва", "Продажи", 0);
  group(d, "Продажи Тверь", "Продажи", 1);        /* deleted */
  group(d, "Снабжение", NULL, 0);
  group(d, "Склад", "Снабжение", 0);
  group(d, "Отдел \"Альфа\"", "Маркетинг", 0);     /* a quote in a name */
  group(d, "Цикл А", "Цикл Б", 0);
  group(d, "Цикл Б", "Цикл А", 0);                  /* a cycle must not loop */
  assert_int_equal(srv_user_add(d, "anna", "password-1", "manager", "Продажи, Маркетинг,,Цикл А", &err),
                   0);
  srv_subject s;
  assert_int_equal(srv_subject_load(d, "anna", &s, &err), 0);
  assert_string_equal(s.user, "anna");
  assert_string_equal(s.who.user, "anna");
  assert_string_equal(s.role, "manager");
  assert_false(s.disabled);
  assert_int_equal(s.who.ngroups, 7);
  const char *want[] = {"Продажи", "Маркетинг", "Продажи Москва", "Москва Север",
                        "Отдел \"Альфа\"", "Цикл А", "Цикл Б"};
  for (int i = 0; i < 7; i++)
    if (!has_group(&s, want[i])) fail_msg("group %s missing", want[i]);
  assert_false(has_group(&s, "Продажи Тверь"));
  assert_false(has_group(&s, "Снабжение"));
  assert_false(has_group(&s, "Склад"));
  /* the JSON array for the feed filter reads back as the same names */
  kt_jval *v = NULL;
  assert_int_equal(kt_json_parse(s.groups_json, strlen(s.groups_json), &v, &err), 0);
  assert_int_equal(kt_jval_len(v), 7);
  for (int i = 0; i < 7; i++) assert_string_equal(kt_jval_str(kt_jval_at(v, (size_t)i)), s.groups[i]);
  kt_jval_free(v);
  /* a manager whose role reads by group sees a subgroup's card */
  s.who.rights.lvl[code("org")][KT_ACT_READ] = KT_LVL_GROUP;
  assert_true(kt_rights_allows(&s.who, code("org"), KT_ACT_READ, "boris", "Москва Север", NULL));
  assert_false(kt_rights_allows(&s.who, code("org"), KT_ACT_READ, "boris", "Склад", NULL));
  /* no groups: an empty array */
  assert_int_equal(srv_user_add(d, "boris", "password-1", NULL, NULL, &err), 0);
  assert_int_equal(srv_subject_load(d, "boris", &s, &err), 0);
  assert_int_equal(s.who.ngroups, 0);
  assert_string_equal(s.groups_json, "[]");
}

/* Who gets the narrow feed (own rows through the owner index): the manager
 * role; not a role reading all or by group; the all-level types as JSON. */
static void test_subject_narrow_feed(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_roles_seed(d, &err), 0);
  assert_int_equal(srv_user_add(d, "anna", "password-1", "manager", NULL, &err), 0);
  assert_int_equal(srv_user_add(d, "hugo", "password-1", "head_of_sales", NULL, &err), 0);
  assert_int_equal(srv_user_add(d, "asya", "password-1", "assistant", NULL, &err), 0);
  srv_subject s;
  assert_int_equal(srv_subject_load(d, "anna", &s, &err), 0);
  assert_true(s.narrow);
  char want[64];
  snprintf(want, sizeof want, "[%d,%d,%d,%d,%d,%d]", code("group"), code("field_def"), code("section"),
           code("staff"), code("template"), code("mail_setting"));
  assert_string_equal(s.all_json, want);
  assert_int_equal(srv_subject_load(d, "hugo", &s, &err), 0);
  assert_false(s.narrow);
  assert_int_equal(srv_subject_load(d, "asya", &s, &err), 0);
  assert_false(s.narrow);
  /* a role that reads organizations by group is not narrow either */
  assert_int_equal(srv_role_set(d, "junior", "manager", "org.read=group", &err), 0);
  assert_int_equal(srv_user_add(d, "jun", "password-1", "junior", NULL, &err), 0);
  assert_int_equal(srv_subject_load(d, "jun", &s, &err), 0);
  assert_false(s.narrow);
}

static void test_subject_many_groups_capped(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_roles_seed(d, &err), 0);
  group(d, "top", NULL, 0);
  char name[32];
  for (int i = 0; i < 40; i++) {
    snprintf(name, sizeof name, "sub-%02d", i);
    group(d, name, "top", 0);
  }
  assert_int_equal(srv_user_add(d, "anna", "password-1", "manager", "top", &err), 0);
  srv_subject s;
  assert_int_equal(srv_subject_load(d, "anna", &s, &err), 0);
  assert_int_equal(s.who.ngroups, SRV_MAX_GROUPS);
  assert_true(has_group(&s, "top"));
  kt_jval *v = NULL;
  assert_int_equal(kt_json_parse(s.groups_json, strlen(s.groups_json), &v, &err), 0);
  assert_int_equal(kt_jval_len(v), SRV_MAX_GROUPS);
  kt_jval_free(v);
}

static void test_subject_errors(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_roles_seed(d, &err), 0);
  srv_subject s;
  kt_err_clear(&err);
  assert_int_equal(srv_subject_load(d, "ghost", &s, &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "ghost"));
  uint64_t gen = 77;
  bool dis = true;
  assert_int_equal(srv_subject_state(d, "ghost", &gen, &dis, &err), KT_ENOTFOUND);
  assert_int_equal(gen, 77); /* untouched */
  /* a user whose role vanished from the table (and is not a shipped one) */
  assert_int_equal(srv_role_set(d, "temp", NULL, "org=own/own/none", &err), 0);
  assert_int_equal(srv_user_add(d, "anna", "password-1", "temp", NULL, &err), 0);
  assert_int_equal(t_sql_exec(d, "DELETE FROM srv_role WHERE name = 'temp'"), 0);
  kt_err_clear(&err);
  assert_int_equal(srv_subject_load(d, "anna", &s, &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "unknown role 'temp'"));
}

static void test_scope_gen(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  assert_int_equal(srv_roles_seed(d, &err), 0);
  assert_int_equal(srv_user_add(d, "anna", "password-1", "manager", NULL, &err), 0);
  assert_int_equal(srv_user_add(d, "boris", "password-1", "assistant", NULL, &err), 0);
  uint64_t a0, a, b0, b;
  bool dis;
  assert_int_equal(srv_subject_state(d, "anna", &a0, &dis, &err), 0);
  assert_false(dis);
  assert_int_equal(srv_subject_state(d, "boris", &b0, &dis, &err), 0);
  srv_subject s;
  assert_int_equal(srv_subject_load(d, "anna", &s, &err), 0);
  assert_int_equal(s.scope_gen, a0);
  /* a change of anna's role raises her generation only */
  assert_int_equal(srv_role_set(d, "manager", NULL, "+export", &err), 0);
  assert_int_equal(srv_subject_state(d, "anna", &a, &dis, &err), 0);
  assert_int_equal(srv_subject_state(d, "boris", &b, &dis, &err), 0);
  assert_true(a > a0);
  assert_int_equal(b, b0);
  /* her groups change: raised again */
  assert_int_equal(srv_user_set_role(d, "anna", NULL, "Продажи", &err), 0);
  assert_int_equal(srv_subject_state(d, "anna", &a0, &dis, &err), 0);
  assert_true(a0 > a);
  /* disabled shows in the state and the subject */
  assert_int_equal(srv_user_set_disabled(d, "anna", true, &err), 0);
  assert_int_equal(srv_subject_state(d, "anna", &a, &dis, &err), 0);
  assert_true(dis);
  assert_int_equal(srv_subject_load(d, "anna", &s, &err), 0);
  assert_true(s.disabled);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_seed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_role_rights_unknown_and_fallback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_role_set_names_and_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(test_custom_role_stored_and_used, setup, teardown),
      cmocka_unit_test_setup_teardown(test_existing_role_keeps_config_rights, setup, teardown),
      cmocka_unit_test_setup_teardown(test_subject_groups_and_subgroups, setup, teardown),
      cmocka_unit_test_setup_teardown(test_subject_narrow_feed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_subject_many_groups_capped, setup, teardown),
      cmocka_unit_test_setup_teardown(test_subject_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scope_gen, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
