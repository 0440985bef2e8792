/* t_srvdb — see t_srvdb.h. */
#include "t_srvdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int t_srvdb_open(t_srvdb *t, const char *tag) {
  memset(t, 0, sizeof *t);
  snprintf(t->dir, sizeof t->dir, "/tmp/kt-%s-XXXXXX", tag);
  if (!mkdtemp(t->dir)) {
    perror("mkdtemp");
    return -1;
  }
  kt_err err;
  kt_err_clear(&err);
  if (srv_db_open(&t->db, t->dir, true, &err) ||
      srv_db_meta_set(&t->db, "server_id", "00000000-0000-4000-8000-000000000001", &err) ||
      srv_db_meta_set(&t->db, "ca_fpr", T_SRVDB_CA_FPR, &err)) {
    fprintf(stderr, "t_srvdb_open: %s\n", err.msg);
    t_srvdb_close(t);
    return -1;
  }
  return 0;
}

void t_srvdb_close(t_srvdb *t) {
  srv_db_close(&t->db);
  if (!t->dir[0]) return;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
  if (system(cmd) != 0) fprintf(stderr, "t_srvdb_close: cannot remove %s\n", t->dir);
  t->dir[0] = '\0';
}

int64_t t_sql_int(srv_db *d, const char *sql) {
  sqlite3_stmt *st = NULL;
  int64_t v = -1;
  if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  else
    fprintf(stderr, "t_sql_int: %s: %s\n", sql, sqlite3_errmsg(d->db));
  sqlite3_finalize(st);
  return v;
}

int t_sql_text(srv_db *d, const char *sql, char *out, size_t outsz) {
  sqlite3_stmt *st = NULL;
  int rc = -1;
  if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    const char *v = (const char *)sqlite3_column_text(st, 0);
    snprintf(out, outsz, "%s", v ? v : "");
    rc = 0;
  }
  sqlite3_finalize(st);
  return rc;
}

int t_sql_exec(srv_db *d, const char *sql) {
  char *msg = NULL;
  int rc = sqlite3_exec(d->db, sql, NULL, NULL, &msg);
  sqlite3_free(msg);
  return rc;
}
