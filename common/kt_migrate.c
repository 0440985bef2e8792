/* kt_migrate — see kt_migrate.h. */
#include <stdio.h>
#include "kt_migrate.h"

int kt_migrate_latest(void) { return kt_sql_migration_count; }

int kt_migrate_level(sqlite3 *db, int *level, kt_err *err) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
  if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    *level = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
  }
  sqlite3_finalize(st);
  return kt_err_set(err, rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT ? KT_ECORRUPT : KT_EDB,
                    "cannot read the schema version: %s", sqlite3_errmsg(db));
}

int kt_migrate_apply(sqlite3 *db, int target, kt_err *err) {
  int level = 0;
  int rc = kt_migrate_level(db, &level, err);
  if (rc) return rc;
  int latest = kt_migrate_latest();
  if (target <= 0 || target > latest) target = latest;
  if (level > latest)
    return kt_err_set(err, KT_EVERSION,
                      "the database is at schema version %d but this program knows only up to "
                      "%d; install the newer Kartoteka that wrote it",
                      level, latest);
  for (int i = level; i < target; i++) {
    const kt_migration *m = &kt_sql_migrations[i];
    char *msg = NULL;
    char ver[64];
    snprintf(ver, sizeof ver, "PRAGMA user_version=%d", m->number);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, m->sql, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, ver, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
      rc = kt_err_set(err, KT_EDB, "migration %s failed: %s", m->name, msg ? msg : "?");
      sqlite3_free(msg);
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      return rc;
    }
  }
  return 0;
}
