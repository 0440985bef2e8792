/* Unit tests for kt_ckpt: commits past the threshold are checkpointed by the
 * thread (the committing connection never checkpoints below the hard limit),
 * the WAL is restarted so it stays small, one bulk write past the hard limit
 * goes to the idle thread while a WAL still past it is checkpointed by the
 * committer, and nothing committed is lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt_ckpt.h"

static char dir[64], path[128];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/kt-ckpt.XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(path, sizeof path, "%s/t.db", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static sqlite3 *open_db(void) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                "CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v BLOB)",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  return db;
}

static void insert(sqlite3 *db, int n, int bytes) {
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES (zeroblob(?1))", -1, &st, NULL),
                   SQLITE_OK);
  for (int i = 0; i < n; i++) {
    sqlite3_bind_int(st, 1, bytes);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
}

static long wal_size(void) {
  char w[160];
  snprintf(w, sizeof w, "%s-wal", path);
  struct stat s;
  return stat(w, &s) == 0 ? (long)s.st_size : 0;
}

static int64_t count(sqlite3 *db) {
  sqlite3_stmt *st;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

static void test_background(void **state) {
  (void)state;
  sqlite3 *db = open_db();
  kt_ckpt *c = NULL;
  assert_int_equal(kt_ckpt_start(db, path, NULL, 20, 100000, &c, NULL), 0);
  for (int i = 0; i < 400; i++) {
    insert(db, 1, 3000); /* one commit, about one page */
    if (i % 50 == 49) usleep(20000); /* a pause for the thread to finish */
  }
  long bg = 0, in = 0;
  kt_ckpt_counts(c, &bg, &in);
  assert_true(bg > 0);
  assert_int_equal(in, 0);
  /* the WAL was restarted after the checkpoints: far below 400 pages */
  assert_true(wal_size() < 200L * 4096);
  kt_ckpt_stop(c);
  assert_int_equal(count(db), 400);
  sqlite3_close(db);
  /* everything is in the database file once the last connection closed */
  db = open_db();
  assert_int_equal(count(db), 400);
  sqlite3_close(db);
}

static void test_hard_limit(void **state) {
  (void)state;
  sqlite3 *db = open_db();
  kt_ckpt *c = NULL;
  assert_int_equal(kt_ckpt_start(db, path, NULL, 10, 50, &c, NULL), 0);
  assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
  insert(db, 200, 3000); /* one commit of about 200 pages: the idle thread's */
  assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
  long bg = 0, in = 0;
  kt_ckpt_counts(c, &bg, &in);
  assert_int_equal(in, 0);
  /* a reader holds the WAL, so the thread's checkpoint cannot finish: the next
     commit finds the WAL still past the limit and checkpoints itself */
  sqlite3 *rd = open_db();
  assert_int_equal(sqlite3_exec(rd, "BEGIN; SELECT count(*) FROM t;", NULL, NULL, NULL), SQLITE_OK);
  insert(db, 200, 3000);
  assert_int_equal(sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(rd);
  insert(db, 1, 10);
  kt_ckpt_counts(c, &bg, &in);
  assert_true(in >= 1);
  insert(db, 1, 10); /* the next write restarts the WAL from its start */
  assert_int_equal(count(db), 802);
  kt_ckpt_stop(c);
  kt_ckpt_stop(NULL);
  sqlite3_close(db);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_background),
      cmocka_unit_test(test_hard_limit),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
