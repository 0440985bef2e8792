/* Unit tests for srv_backup: a backup of a live master (WAL) is complete and
 * checked; the check refuses a missing, foreign, non-server or damaged file;
 * restore brings the old state back with a new epoch, keeps the replaced
 * database, rewrites missing certificate files from the database, and is
 * refused while a server holds the lock or when the file is bad (changing
 * nothing); the daily rotation keeps the newest N. A real master database
 * in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srv_backup.h"
#include "srv_rights.h"
#include "srv_user.h"
#include "t_srvdb.h"

static int setup(void **state) {
  t_srvdb *t = calloc(1, sizeof *t);
  kt_err err;
  if (!t || t_srvdb_open(t, "backup") || srv_roles_seed(&t->db, &err) ||
      srv_db_meta_set(&t->db, "epoch", "epoch-1", &err) ||
      srv_db_meta_set(&t->db, "pki_ca.crt", "-----BEGIN CERTIFICATE-----\nCA\n", &err) ||
      srv_db_meta_set(&t->db, "pki_ca.key", "-----BEGIN PRIVATE KEY-----\nK\n", &err) ||
      srv_user_add(&t->db, "anna", "anna-pass-1", NULL, NULL, &err))
    return -1;
  *state = t;
  return 0;
}

static int teardown(void **state) {
  t_srvdb *t = *state;
  t_srvdb_close(t);
  free(t);
  return 0;
}

static void path(const t_srvdb *t, const char *name, char *out, size_t n) {
  snprintf(out, n, "%s/%s", t->dir, name);
}

static bool exists(const char *p) { return access(p, F_OK) == 0; }

/* Users in a database file, -1 when it cannot be read. */
static int64_t users_in(const char *file) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int64_t n = -1;
  if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT count(*) FROM srv_user", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static int count_files(const char *dir, const char *part) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strstr(e->d_name, part)) n++;
  if (d) closedir(d);
  return n;
}

static void write_file(const char *p, const char *text) {
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_make_and_check(void **state) {
  t_srvdb *t = *state;
  kt_err err;
  char out[128];
  path(t, "b1.db", out, sizeof out);
  /* the server keeps its connection open and writes on: the copy has every commit */
  assert_int_equal(srv_user_add(&t->db, "boris", "boris-pass-1", NULL, NULL, &err), 0);
  kt_err_clear(&err);
  assert_int_equal(srv_backup_make(t->dir, out, &err), 0);
  assert_int_equal(users_in(out), 2);
  assert_int_equal(srv_backup_check(out, &err), 0);
  /* a single file: no WAL beside it, no temporary left */
  char wal[140];
  snprintf(wal, sizeof wal, "%s-wal", out);
  assert_false(exists(wal));
  assert_int_equal(count_files(t->dir, ".tmp-"), 0);
  /* an existing backup is replaced by a newer one */
  assert_int_equal(srv_user_add(&t->db, "vera", "vera-pass-1", NULL, NULL, &err), 0);
  assert_int_equal(srv_backup_make(t->dir, out, &err), 0);
  assert_int_equal(users_in(out), 3);
}

static void test_make_refusals(void **state) {
  t_srvdb *t = *state;
  kt_err err;
  char out[128], sub[128];
  path(t, "b.db", out, sizeof out);
  kt_err_clear(&err);
  assert_int_equal(srv_backup_make("/nonexistent-kt-dir", out, &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no master database"));
  assert_false(exists(out));
  /* the target is a folder */
  path(t, "folder", sub, sizeof sub);
  assert_int_equal(mkdir(sub, 0700), 0);
  kt_err_clear(&err);
  assert_int_equal(srv_backup_make(t->dir, sub, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "not a regular file"));
  /* a folder that does not exist */
  path(t, "missing/b.db", out, sizeof out);
  kt_err_clear(&err);
  assert_int_equal(srv_backup_make(t->dir, out, &err), KT_EIO);
  assert_non_null(strstr(err.msg, "cannot write the backup"));
}

static void test_check_refusals(void **state) {
  t_srvdb *t = *state;
  kt_err err;
  char p[128];
  path(t, "none.db", p, sizeof p);
  assert_int_equal(srv_backup_check(p, &err), KT_ENOTFOUND);
  /* not a database */
  path(t, "text.db", p, sizeof p);
  write_file(p, "name;phone\nАнна;123\n");
  kt_err_clear(&err);
  assert_int_equal(srv_backup_check(p, &err), KT_ECORRUPT);
  assert_non_null(strstr(err.msg, "not a Kartoteka backup"));
  /* a database, but nobody's master */
  path(t, "other.db", p, sizeof p);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)", NULL, NULL, NULL),
                   SQLITE_OK);
  kt_err_clear(&err);
  assert_int_equal(srv_backup_check(p, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "not a Kartoteka server's"));
  /* a server id but no accounts table (a replica, say) */
  assert_int_equal(sqlite3_exec(db, "INSERT INTO meta VALUES ('server_id', 'x')", NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(srv_backup_check(p, &err), KT_EINVAL);
  /* a damaged backup: pages overwritten in the middle */
  char good[128];
  path(t, "good.db", good, sizeof good);
  assert_int_equal(srv_backup_make(t->dir, good, &err), 0);
  struct stat st;
  assert_int_equal(stat(good, &st), 0);
  assert_true(st.st_size > 8 * 4096);
  FILE *f = fopen(good, "r+b");
  assert_non_null(f);
  char junk[4096 * 3];
  memset(junk, 0x5a, sizeof junk);
  assert_int_equal(fseek(f, 4096 * 2, SEEK_SET), 0);
  assert_int_equal(fwrite(junk, 1, sizeof junk, f), sizeof junk);
  fclose(f);
  kt_err_clear(&err);
  assert_int_equal(srv_backup_check(good, &err), KT_ECORRUPT);
}

static void test_restore(void **state) {
  t_srvdb *t = *state;
  kt_err err;
  char b[128], ca[128], key[128];
  path(t, "b.db", b, sizeof b);
  assert_int_equal(srv_backup_make(t->dir, b, &err), 0);
  /* after the backup: boris is added, the CA file is lost, the key file is kept */
  assert_int_equal(srv_user_add(&t->db, "boris", "boris-pass-1", NULL, NULL, &err), 0);
  path(t, "ca.crt", ca, sizeof ca);
  path(t, "ca.key", key, sizeof key);
  write_file(key, "the key on disk\n");
  /* refused while a server runs on the folder */
  kt_err lerr;
  int lock = srv_backup_lock_serve(t->dir, &lerr);
  assert_true(lock >= 0);
  kt_err_clear(&err);
  assert_int_equal(srv_backup_restore(t->dir, b, &err), KT_EBUSY);
  assert_non_null(strstr(err.msg, "already running"));
  close(lock);
  /* refused from a bad file; nothing changes */
  char bad[128];
  path(t, "bad.db", bad, sizeof bad);
  write_file(bad, "garbage");
  assert_int_equal(srv_backup_restore(t->dir, bad, &err), KT_ECORRUPT);
  srv_db_close(&t->db);
  char master[128];
  path(t, "master.db", master, sizeof master);
  assert_int_equal(users_in(master), 2);
  assert_int_equal(count_files(t->dir, "before-restore"), 0);
  /* restore */
  kt_err_clear(&err);
  assert_int_equal(srv_backup_restore(t->dir, b, &err), 0);
  assert_int_equal(users_in(master), 1);
  assert_int_equal(count_files(t->dir, "master.db.before-restore-"), 1);
  assert_int_equal(count_files(t->dir, ".restoring"), 0);
  /* the replaced database is kept whole (boris is in it) */
  DIR *d = opendir(t->dir);
  struct dirent *e;
  char kept[400] = "";
  while ((e = readdir(d)))
    if (strstr(e->d_name, "before-restore")) snprintf(kept, sizeof kept, "%s/%s", t->dir, e->d_name);
  closedir(d);
  assert_int_equal(users_in(kept), 2);
  /* a new epoch; the master opens and is the backup's */
  assert_int_equal(srv_db_open(&t->db, t->dir, false, &err), 0);
  char epoch[80];
  assert_int_equal(t_sql_text(&t->db, "SELECT value FROM meta WHERE key = 'epoch'", epoch, sizeof epoch), 0);
  assert_string_not_equal(epoch, "epoch-1");
  assert_int_equal(strlen(epoch), 36);
  srv_user_info u;
  assert_int_equal(srv_user_get(&t->db, "boris", &u, NULL), KT_ENOTFOUND);
  assert_int_equal(srv_user_get(&t->db, "anna", &u, NULL), 0);
  /* the missing CA file came back from the database; the existing key file was left alone */
  char buf[200] = "";
  FILE *f = fopen(ca, "r");
  assert_non_null(f);
  assert_true(fread(buf, 1, sizeof buf - 1, f) > 0);
  fclose(f);
  assert_string_equal(buf, "-----BEGIN CERTIFICATE-----\nCA\n");
  struct stat st;
  assert_int_equal(stat(ca, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  memset(buf, 0, sizeof buf);
  f = fopen(key, "r");
  assert_non_null(f);
  assert_true(fread(buf, 1, sizeof buf - 1, f) > 0);
  fclose(f);
  assert_string_equal(buf, "the key on disk\n");
}

static void test_restore_rewrites_a_lost_key_privately(void **state) {
  t_srvdb *t = *state;
  kt_err err;
  char b[128], key[128];
  path(t, "b.db", b, sizeof b);
  assert_int_equal(srv_backup_make(t->dir, b, &err), 0);
  srv_db_close(&t->db);
  assert_int_equal(srv_backup_restore(t->dir, b, &err), 0);
  path(t, "ca.key", key, sizeof key);
  struct stat st;
  assert_int_equal(stat(key, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  /* keys not in the database are not made up */
  path(t, "server.key", key, sizeof key);
  assert_false(exists(key));
}

static void test_rotate(void **state) {
  t_srvdb *t = *state;
  kt_err err;
  char dir[128], p[200];
  path(t, "backups", dir, sizeof dir);
  assert_int_equal(mkdir(dir, 0700), 0);
  /* two older backups, and files that are not backups */
  const char *old[] = {"master-20000101-000000.db", "master-20000102-000000.db", "notes.txt",
                       "master-20000103-000000.db.tmp-1"};
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, old[i]);
    write_file(p, "x");
  }
  assert_int_equal(srv_backup_rotate(t->dir, 2, &err), 0);
  assert_int_equal(count_files(dir, "master-2000010"), 2); /* the oldest went; .tmp kept */
  snprintf(p, sizeof p, "%s/master-20000101-000000.db", dir);
  assert_false(exists(p));
  snprintf(p, sizeof p, "%s/master-20000102-000000.db", dir);
  assert_true(exists(p));
  snprintf(p, sizeof p, "%s/notes.txt", dir);
  assert_true(exists(p));
  assert_int_equal(count_files(dir, ".db"), 3); /* the new one, the kept old one, the .tmp */
  /* the new one is a checked backup */
  DIR *d = opendir(dir);
  struct dirent *e;
  char fresh[400] = "";
  while ((e = readdir(d)))
    if (strncmp(e->d_name, "master-2", 8) == 0 && strncmp(e->d_name, "master-2000", 11) != 0)
      snprintf(fresh, sizeof fresh, "%s/%s", dir, e->d_name);
  closedir(d);
  assert_true(fresh[0]);
  assert_int_equal(srv_backup_check(fresh, &err), 0);
  /* keep 1: only the newest */
  assert_int_equal(srv_backup_rotate(t->dir, 1, &err), 0);
  assert_int_equal(count_files(dir, "master-2000010"), 1); /* just the .tmp */
  assert_int_equal(count_files(dir, ".db"), 2);            /* the newest and the .tmp */
}

static void test_lock_serve(void **state) {
  t_srvdb *t = *state;
  kt_err err;
  int a = srv_backup_lock_serve(t->dir, &err);
  assert_true(a >= 0);
  kt_err_clear(&err);
  assert_int_equal(srv_backup_lock_serve(t->dir, &err), -1);
  assert_int_equal(err.code, KT_EBUSY);
  close(a);
  int b = srv_backup_lock_serve(t->dir, &err);
  assert_true(b >= 0);
  close(b);
  kt_err_clear(&err);
  assert_int_equal(srv_backup_lock_serve("/nonexistent-kt-dir", &err), -1);
  assert_int_equal(err.code, KT_EIO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_make_and_check, setup, teardown),
      cmocka_unit_test_setup_teardown(test_make_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_check_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
      cmocka_unit_test_setup_teardown(test_restore_rewrites_a_lost_key_privately, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lock_serve, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
