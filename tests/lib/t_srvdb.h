/* t_srvdb — a fresh master database in a temporary folder, for the unit tests
 * of the server modules (test_audit, test_srv_rights, test_user, test_admin,
 * test_auth, test_backup). t_srvdb_open makes /tmp/kt-TAG-XXXXXX and creates
 * DIR/master.db through srv_db_open (so every migration runs), with a server
 * id and a CA fingerprint in meta like `kartotekad init` writes, but without
 * seeding the roles. t_srvdb_close closes the database and removes the folder.
 * Raw SQL helpers let a test look behind the modules' backs or tamper. */
#ifndef T_SRVDB_H
#define T_SRVDB_H

#include <stdint.h>

#include "srv_db.h"

/* The CA fingerprint t_srvdb_open writes (as `kartotekad init` would: SHA-256
 * with colons; invites carry it without). */
#define T_SRVDB_CA_FPR                                                                      \
  "AB:CD:EF:01:AB:CD:EF:01:AB:CD:EF:01:AB:CD:EF:01:AB:CD:EF:01:AB:CD:EF:01:AB:CD:EF:01:AB:" \
  "CD:EF:01"

typedef struct t_srvdb {
  char dir[64];
  srv_db db;
} t_srvdb;

/* 0 or -1 (a message on stderr). */
int t_srvdb_open(t_srvdb *t, const char *tag);
/* Closes the database (when open) and removes the folder with everything in it. */
void t_srvdb_close(t_srvdb *t);

/* The first column of the first row of sql as an integer; -1 on error or no row. */
int64_t t_sql_int(srv_db *d, const char *sql);
/* The first column of the first row of sql into out ("" when NULL); -1 on error or no row. */
int t_sql_text(srv_db *d, const char *sql, char *out, size_t outsz);
/* Runs sql; 0 or the SQLite result code (quiet: tests expect refusals). */
int t_sql_exec(srv_db *d, const char *sql);

#endif
