/* kt_sql — see kt_sql.h. */
#include "kt_sql.h"

#include <stddef.h>

#include "kt_log.h"

int kt_sql_error(sqlite3 *db, int rc, const kt_sql_names *n, const char *what, kt_err *err) {
  const char *m = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return kt_err_set(err, KT_EBUSY, "%s: %s is locked (%s); %s", what, n->noun, m, n->busy_hint);
  case SQLITE_NOTADB:
  case SQLITE_CORRUPT:
    return kt_err_set(err, KT_ECORRUPT, "%s: %s is damaged (%s); %s", what, n->noun, m,
                      n->corrupt_hint);
  case SQLITE_NOMEM:
    return kt_err_set(err, KT_ENOMEM, "%s: out of memory; close other programs and try again",
                      what);
  case SQLITE_FULL:
    if (n->io_hint) kt_log_error("db", "%s: %s is on a full disk (%s): %s", what, n->noun, m, n->io_hint);
    return kt_err_set(err, KT_EIO, "%s: the disk is full; free some space and try again", what);
  case SQLITE_READONLY:
  case SQLITE_CANTOPEN:
  case SQLITE_PERM:
    return kt_err_set(err, KT_EPERM, "%s: cannot write %s (%s); check the file's owner and "
                      "permissions", what, n->noun, m);
  case SQLITE_IOERR:
    if (n->io_hint)
      kt_log_error("db", "%s: disk input/output error on %s (%s%s): %s", what, n->noun, m,
                   rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_DIR_FSYNC ? ", flushing to disk failed"
                   : rc == SQLITE_IOERR_WRITE ? ", a write failed"
                   : rc == SQLITE_IOERR_READ || rc == SQLITE_IOERR_SHORT_READ ? ", a read failed" : "",
                   n->io_hint);
    return kt_err_set(err, KT_EIO, "%s: disk input/output error (%s)", what, m);
  default:
    return kt_err_set(err, KT_EDB, "%s: %s", what, m);
  }
}

sqlite3_stmt *kt_sql_cached(sqlite3 *db, sqlite3_stmt **slot, const char *sql,
                            const kt_sql_names *n, kt_err *err) {
  if (*slot) {
    sqlite3_reset(*slot);
    sqlite3_clear_bindings(*slot);
    return *slot;
  }
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
  if (rc != SQLITE_OK) {
    kt_sql_error(db, rc, n, "preparing a query", err);
    *slot = NULL;
  }
  return *slot;
}

int kt_sql_step_done(sqlite3 *db, sqlite3_stmt *st, const kt_sql_names *n, const char *what,
                     kt_err *err) {
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : kt_sql_error(db, rc, n, what, err);
}
