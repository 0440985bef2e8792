/* Unit tests for kt_migrate: every older level migrates to the newest with its
 * data kept, a newer database is refused, a failing migration changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "kt_migrate.h"
#include "kt_registry.h"

static int level_of(sqlite3 *db) {
  int l = -1;
  assert_int_equal(kt_migrate_level(db, &l, NULL), 0);
  return l;
}

static void assert_schema_matches_registry(sqlite3 *db) {
  int n;
  const kt_typedef *t = kt_registry_types(&n);
  for (int i = 0; i < n; i++) {
    char tab[64];
    snprintf(tab, sizeof tab, "t_%s", t[i].name);
    for (int k = 0; k < t[i].nfields; k++)
      assert_int_equal(sqlite3_table_column_metadata(db, NULL, tab, t[i].fields[k].name, NULL,
                                                     NULL, NULL, NULL, NULL),
                       SQLITE_OK);
  }
}

static void test_every_level_migrates_to_latest(void **state) {
  (void)state;
  int latest = kt_migrate_latest();
  assert_true(latest >= 1);
  for (int from = 0; from < latest; from++) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    kt_err err;
    if (from > 0) assert_int_equal(kt_migrate_apply(db, from, &err), 0);
    assert_int_equal(level_of(db), from);
    if (from >= 1) /* level 1 has the record tables: data must survive */
      assert_int_equal(sqlite3_exec(db,
                                    "INSERT INTO t_org(id, ver, name) VALUES "
                                    "('0193a1b2-0000-7000-8000-000000000001', x'00', 'Ромашка')",
                                    NULL, NULL, NULL),
                       SQLITE_OK);
    if (from >= 1) /* ... and so must an unsent change */
      assert_int_equal(sqlite3_exec(db, "INSERT INTO outbox(tcode, rid, fields, base) VALUES "
                                        "(1, 1, x'01', NULL)", NULL, NULL, NULL),
                       SQLITE_OK);
    assert_int_equal(kt_migrate_apply(db, 0, &err), 0);
    assert_int_equal(level_of(db), latest);
    assert_schema_matches_registry(db);
    if (from >= 1) {
      sqlite3_stmt *st;
      assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM t_org", -1, &st, NULL), SQLITE_OK);
      assert_int_equal(sqlite3_step(st), SQLITE_ROW);
      assert_string_equal((const char *)sqlite3_column_text(st, 0), "Ромашка");
      sqlite3_finalize(st);
      /* the card has no tags yet (0022), and its tags can be found by card */
      assert_int_equal(sqlite3_prepare_v2(db, "SELECT tags IS NULL FROM t_org", -1, &st, NULL),
                       SQLITE_OK);
      assert_int_equal(sqlite3_step(st), SQLITE_ROW);
      assert_int_equal(sqlite3_column_int(st, 0), 1);
      sqlite3_finalize(st);
      assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = "
                                              "'index' AND name IN ('t_tagging_org', "
                                              "'t_tagging_contact')", -1, &st, NULL),
                       SQLITE_OK);
      assert_int_equal(sqlite3_step(st), SQLITE_ROW);
      assert_int_equal(sqlite3_column_int(st, 0), 2);
      sqlite3_finalize(st);
      /* the outbox entry is kept, not refused and not held (0012) */
      assert_int_equal(sqlite3_prepare_v2(db, "SELECT tcode, rid, refused IS NULL, "
                                              "refused_code IS NULL, hold FROM outbox",
                                          -1, &st, NULL),
                       SQLITE_OK);
      assert_int_equal(sqlite3_step(st), SQLITE_ROW);
      for (int c = 0; c < 4; c++) assert_int_equal(sqlite3_column_int(st, c), 1);
      assert_int_equal(sqlite3_column_int(st, 4), 0);
      sqlite3_finalize(st);
    }
    /* the staff records of every account are written when the server opens it (0013) */
    sqlite3_stmt *fl;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'staff_backfill'",
                                        -1, &fl, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(fl), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(fl, 0), "1");
    sqlite3_finalize(fl);
    /* ... and the name keys of the client cards kept for the claim check (0023) */
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'claim_backfill'",
                                        -1, &fl, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(fl), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(fl, 0), "1");
    sqlite3_finalize(fl);
    /* idempotent */
    assert_int_equal(kt_migrate_apply(db, 0, &err), 0);
    sqlite3_close(db);
  }
}

static void test_newer_database_refused(void **state) {
  (void)state;
  sqlite3 *db;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA user_version=%d", kt_migrate_latest() + 1);
  sqlite3_exec(db, sql, NULL, NULL, NULL);
  kt_err err;
  assert_int_equal(kt_migrate_apply(db, 0, &err), KT_EVERSION);
  assert_non_null(strstr(err.msg, "newer"));
  sqlite3_close(db);
}

static void test_failed_migration_changes_nothing(void **state) {
  (void)state;
  sqlite3 *db;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  /* a table the first migration also creates makes it fail halfway */
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE t_org(x)", NULL, NULL, NULL), SQLITE_OK);
  kt_err err;
  assert_int_equal(kt_migrate_apply(db, 0, &err), KT_EDB);
  assert_int_equal(level_of(db), 0);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name='meta'",
                                      -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_level_migrates_to_latest),
      cmocka_unit_test(test_newer_database_refused),
      cmocka_unit_test(test_failed_migration_changes_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
