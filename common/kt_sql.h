/* kt_sql — small SQLite helpers both sides share: mapping an SQLite result
 * code to a KT_E* code with a message that says what to do, a prepare-once
 * statement cache slot, and stepping a statement to completion. The SQL text
 * itself stays in each side's one statement table (cl_db, srv_db). */
#ifndef KT_SQL_H
#define KT_SQL_H

#include <sqlite3.h>

#include "kt_err.h"

/* How one side names its database in messages. */
typedef struct kt_sql_names {
  const char *noun;         /* "the card index", "the master database" */
  const char *busy_hint;    /* what to do when locked */
  const char *corrupt_hint; /* what to do when damaged */
  const char *io_hint;      /* non-NULL: a disk error (I/O, full) is also logged at level
                               error with this advice for whoever runs the program */
} kt_sql_names;

/* Maps rc (with db's last message) to KT_EBUSY, KT_ECORRUPT, KT_EIO, KT_EPERM
 * or KT_EDB, filling err with "WHAT: ... HINT". Returns the code. A disk
 * error is logged (kt_log_error) when the names carry an io_hint. */
int kt_sql_error(sqlite3 *db, int rc, const kt_sql_names *n, const char *what, kt_err *err);

/* Returns the statement in *slot, preparing sql (persistent) on first use and
 * resetting + clearing bindings otherwise. Borrowed; NULL on failure. */
sqlite3_stmt *kt_sql_cached(sqlite3 *db, sqlite3_stmt **slot, const char *sql,
                            const kt_sql_names *n, kt_err *err);

/* Steps st until SQLITE_DONE and resets it; 0 or the mapped error. */
int kt_sql_step_done(sqlite3 *db, sqlite3_stmt *st, const kt_sql_names *n, const char *what,
                     kt_err *err);

#endif
