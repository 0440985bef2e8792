/* kt_migrate — numbered schema migrations embedded from common/sql/NNNN_name.sql
 * (tools/embed_sql.sh generates the table at build time). A database records its
 * level in PRAGMA user_version; kt_migrate_apply runs every newer migration, each
 * in its own transaction together with the new user_version, so a failure leaves
 * the database at the last complete level. Released files are never edited. */
#ifndef KT_MIGRATE_H
#define KT_MIGRATE_H

#include <sqlite3.h>

#include "kt_err.h"

typedef struct kt_migration {
  int number;       /* NNNN from the file name, 1-based, contiguous */
  const char *name; /* file name without .sql */
  const char *sql;  /* the whole file */
} kt_migration;

extern const kt_migration kt_sql_migrations[];
extern const int kt_sql_migration_count;

/* Level of the newest embedded migration. */
int kt_migrate_latest(void);

/* Current level of db (PRAGMA user_version) into *level. 0 or KT_EDB. */
int kt_migrate_level(sqlite3 *db, int *level, kt_err *err);

/* Applies migrations level+1 .. target (target <= 0 means latest). A database
 * newer than this program is refused with KT_EVERSION. */
int kt_migrate_apply(sqlite3 *db, int target, kt_err *err);

#endif
