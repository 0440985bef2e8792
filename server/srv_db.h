/* srv_db — every SQL statement of the master database, in one place (the
 * storage interface the later PostgreSQL backend will implement too).
 * Fixed statements are prepared once from one table with bound parameters.
 * One srv_db per thread (the server's loop thread, or an offline admin
 * command). Durability: synchronous=FULL, so a commit that returned is on disk. */
#ifndef SRV_DB_H
#define SRV_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "kt_buf.h"
#include "kt_err.h"

typedef enum srv_st {
  SRV_ST_BEGIN,
  SRV_ST_COMMIT,
  SRV_ST_ROLLBACK,
  SRV_ST_META_GET,      /* ?1 key -> value */
  SRV_ST_META_SET,      /* ?1 key, ?2 value */
  SRV_ST_USER_ADD,      /* ?1 name ?2 id ?3 pwhash ?4 role ?5 grp ?6 now */
  SRV_ST_USER_GET,      /* ?1 name -> id, pwhash, role, grp, disabled, failures, locked, created, changed */
  SRV_ST_USER_LIST,     /* -> name, id, role, grp, disabled, locked, created */
  SRV_ST_USER_PASSWD,   /* ?1 name ?2 pwhash ?3 now (also unlocks) */
  SRV_ST_USER_DISABLE,  /* ?1 name ?2 disabled ?3 now */
  SRV_ST_USER_COUNT,    /* -> count */
  SRV_ST_USER_FAIL,     /* ?1 name ?2 now ?3 lock_after: failures+1, lock when reached */
  SRV_ST_USER_OK,       /* ?1 name: failures = 0 */
  SRV_ST_USER_THROTTLE, /* ?1 name -> failures, last_failure, locked */
  SRV_ST_INVITE_ADD,    /* ?1 secret_hash ?2 user ?3 addresses ?4 expires ?5 now */
  SRV_ST_INVITE_GET,    /* ?1 secret_hash -> user_name, addresses, expires, used */
  SRV_ST_INVITE_USE,    /* ?1 secret_hash */
  SRV_ST_DEVICE_ADD,    /* ?1 id ?2 user ?3 name ?4 cert_fpr ?5 now */
  SRV_ST_DEVICE_BY_FPR, /* ?1 cert_fpr -> id, user_name, revoked */
  SRV_ST_DEVICE_LIST,   /* -> id, user_name, name, revoked, created */
  SRV_ST_DEVICE_REVOKE, /* ?1 id */
  SRV_ST_SESSION_ADD,   /* ?1 token_hash ?2 user ?3 device ?4 now ?5 expires */
  SRV_ST_SESSION_GET,   /* ?1 token_hash -> user_name, device_id, created, expires, ended */
  SRV_ST_SESSION_END,   /* ?1 token_hash */
  SRV_ST__COUNT
} srv_st;

typedef struct srv_db {
  sqlite3 *db;
  sqlite3_stmt *st[SRV_ST__COUNT];
} srv_db;

/* Opens DIR/master.db (create: it must not exist yet), sets WAL +
 * synchronous=FULL, migrates. Errors: KT_ENOTFOUND (no database: run init),
 * KT_EEXISTS, KT_EBUSY, KT_ECORRUPT, KT_EVERSION, KT_EDB. */
int srv_db_open(srv_db *d, const char *data_dir, bool create, kt_err *err);
void srv_db_close(srv_db *d);
/* Path of the master database inside a data dir. */
void srv_db_path(const char *data_dir, char *out, size_t outsz);

/* Borrowed, reset statement; NULL on failure (err set). */
sqlite3_stmt *srv_db_st(srv_db *d, srv_st which, kt_err *err);
int srv_db_step_done(srv_db *d, sqlite3_stmt *st, kt_err *err);
int srv_db_error(srv_db *d, int rc, const char *what, kt_err *err);
int srv_db_begin(srv_db *d, kt_err *err);
int srv_db_commit(srv_db *d, kt_err *err);
void srv_db_rollback(srv_db *d);

int srv_db_meta_get(srv_db *d, const char *key, kt_buf *out, kt_err *err); /* KT_ENOTFOUND */
int srv_db_meta_set(srv_db *d, const char *key, const char *value, kt_err *err);

#endif
