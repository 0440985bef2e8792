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
  SRV_ST_BEGIN_READ,     /* a read transaction (one snapshot, one lock for many reads) */
  SRV_ST_SP_PUSH,           /* a savepoint around one push of a group commit */
  SRV_ST_SP_PUSH_UNDO,      /* rolls back to it */
  SRV_ST_SP_PUSH_RELEASE,   /* ends it */
  SRV_ST_SP_CHANGE,         /* a savepoint around one change (a field definition) */
  SRV_ST_SP_CHANGE_UNDO,    /* rolls back to it */
  SRV_ST_SP_CHANGE_RELEASE, /* ends it */
  SRV_ST_ROLLBACK,
  SRV_ST_META_GET,      /* ?1 key -> value */
  SRV_ST_META_SET,      /* ?1 key, ?2 value */
  SRV_ST_META_BUMP,     /* ?1 key: value + 1 (a change counter) */
  SRV_ST_USER_ADD,      /* ?1 name ?2 id ?3 pwhash ?4 role ?5 grp ?6 now */
  SRV_ST_USER_GET,      /* ?1 name -> id, pwhash, role, grp, disabled, failures, locked, created, changed */
  SRV_ST_USER_LIST,     /* -> name, id, role, grp, disabled, locked, created */
  SRV_ST_USER_PASSWD,   /* ?1 name ?2 pwhash ?3 now (also unlocks) */
  SRV_ST_USER_DISABLE,  /* ?1 name ?2 disabled ?3 now */
  SRV_ST_USER_COUNT,    /* -> count */
  SRV_ST_USER_FAIL,     /* ?1 name ?2 now ?3 lock_after ?4 forget_before: failures+1 (or 1
                           when the last one is older and did not lock), lock when reached */
  SRV_ST_USER_OK,       /* ?1 name: failures = 0 */
  SRV_ST_USER_THROTTLE, /* ?1 name -> failures, last_failure, locked (account or not) */
  SRV_ST_NAME_FAIL,     /* ?1 name ?2 now ?3 lock_after: like USER_FAIL, a name with no account */
  SRV_ST_NAME_FAIL_DROP, /* ?1 before ?2 name: forget old failures that did not lock, and
                            those of a new account */
  SRV_ST_INVITE_ADD,    /* ?1 secret_hash ?2 user ?3 addresses ?4 expires ?5 now */
  SRV_ST_INVITE_GET,    /* ?1 secret_hash -> user_name, addresses, expires, used */
  SRV_ST_INVITE_USE,    /* ?1 secret_hash */
  SRV_ST_DEVICE_ADD,    /* ?1 id ?2 user ?3 name ?4 cert_fpr ?5 now */
  SRV_ST_DEVICE_BY_FPR, /* ?1 cert_fpr -> id, user_name, revoked, is the current one,
                           a previous one is still accepted (matches cert_fpr or prev_fpr) */
  SRV_ST_DEVICE_PREV_END, /* ?1 id: the previous certificate is no longer accepted */
  SRV_ST_DEVICE_RENEW,  /* ?1 id ?2 the certificate renewed from ?3 the new one (not revoked) */
  SRV_ST_DEVICE_LIST,   /* -> id, user_name, name, revoked, created */
  SRV_ST_DEVICE_REVOKE, /* ?1 id */
  SRV_ST_DEVICE_REVOKE_ALL, /* every device (a new CA: their certificates are the old one's) */
  SRV_ST_INVITE_EXPIRE_ALL, /* every unused invite (they name the old CA) */
  SRV_ST_SESSION_ADD,   /* ?1 token_hash ?2 user ?3 device ?4 now ?5 expires */
  SRV_ST_SESSION_GET,   /* ?1 token_hash -> user_name, device_id, created, expires, ended, revoked */
  SRV_ST_SESSION_END,   /* ?1 token_hash */
  SRV_ST_SEQ_NEXT,      /* -> the next server sequence number (counter row, in the txn) */
  SRV_ST_SEQ_GET,       /* -> the latest server sequence number */
  SRV_ST_LOG_SET,       /* ?1 seq ?2 tcode ?3 rid ?4 owner ?5 grp ?6 asg: latest change + scope */
  SRV_ST_LOG_PAGE,      /* ?1 since ?2 max ?3 all-mask ?4 own-mask ?5 group-mask ?6 user
                           ?7 groups (JSON array) -> seq, tcode, rid, owner: the visible feed */
  SRV_ST_LOG_PAGE_OWN,  /* as LOG_PAGE for a narrow subject (srv_subject.narrow): ?1 since
                           ?2 max ?4 own-mask ?6 user ?8 all-level type codes (JSON) */
  SRV_ST_LOG_SCOPE,     /* ?1 tcode ?2 rid -> seq, owner, grp, asg */
  SRV_ST_LOG_ALL,       /* -> tcode, rid */
  SRV_ST_REVOKE_ADD,    /* ?1 seq ?2 tcode ?3 rid ?4 uuid ?5 owner ?6 grp ?7 asg */
  SRV_ST_REVOKE_RANGE,  /* ?1 since ?2 upto -> tcode, rid, uuid, owner, grp, asg */
  SRV_ST_ROLE_GET,      /* ?1 name -> rights */
  SRV_ST_ROLE_SET,      /* ?1 name ?2 rights ?3 now */
  SRV_ST_ROLE_ADD,      /* ?1 name ?2 rights ?3 now: only when missing */
  SRV_ST_ROLE_LIST,     /* -> name, rights */
  SRV_ST_ROLE_BUMP,     /* ?1 role: its users' rights generation + 1 */
  SRV_ST_GROUPS,        /* -> name, parent of every live group */
  SRV_ST_USER_SCOPE,    /* ?1 name -> scope_gen, role, grp, disabled */
  SRV_ST_USER_SET_ROLE, /* ?1 name ?2 role ?3 grp ?4 keep grp: also raises scope_gen */
  SRV_ST_CLAIM_DEL,     /* ?1 tcode ?2 rid */
  SRV_ST_CLAIM_ADD,     /* ?1 key ?2 tcode ?3 rid */
  SRV_ST_CLAIM_FIND,    /* ?1 key -> tcode, owner (of a live card) */
  SRV_ST_CLAIM_OTHERS,  /* ?1 key ?2 tcode ?3 rid -> tcode, rid, owner of the other live
                           cards with the key, oldest change first */
  SRV_ST_AUDIT_ADD,     /* ?1 seq ?2 ts ?3 actor ?4 device ?5 action ?6 object ?7 detail ?8 hash */
  SRV_ST_AUDIT_LAST,    /* -> seq, hash */
  SRV_ST_AUDIT_ALL,     /* -> seq, ts, actor, device, action, object, detail, hash,
                           the device's name (NULL: not an enrolled device) */
  SRV_ST_AUDIT_AT,      /* ?1 seq -> hash */
  SRV_ST_BK_ATTACH,     /* ?1 file: attaches a backup as schema bk (outside transactions) */
  SRV_ST_BK_HEAD,       /* -> epoch, newest audit seq, its hash of the attached backup */
  SRV_ST_BK_DETACH,
  SRV_ST_LOG_DEFS,      /* ?1 tcode ?2 since -> seq, tcode, rid of that type's changes */
  SRV_ST_DEVCTR_GET,    /* ?1 device id -> last_counter */
  SRV_ST_DEVCTR_SET,    /* ?1 device id ?2 counter */
  SRV_ST_REFUSED_HAS,   /* ?1 device id ?2 counter -> 1 when that change was refused */
  SRV_ST_REFUSED_ADD,   /* ?1 device id ?2 counter */
  SRV_ST_REFUSED_DEL,   /* ?1 device id ?2 counter */
  SRV_ST_REFUSED_PRUNE, /* ?1 device id ?2 counter: forget the refusals below it */
  SRV_ST_REFUSED_CAP,   /* ?1 device id ?2 n: keep only the n newest refusals */
  SRV_ST_GROUP_PARENT,  /* ?1 group name -> its parent (live groups) */
  SRV_ST_GROUP_BUMP,    /* ?1 group name: raise scope_gen of the users in that group */
  SRV_ST_DEVIDX_GET,    /* ?1 uuid -> idx */
  SRV_ST_DEVIDX_ADD,    /* ?1 uuid */
  SRV_ST_DEVIDX_ALL,    /* -> idx, uuid */
  SRV_ST_FIELD_DEFS,    /* -> etype, name, label, ftype, choices, hidden */
  SRV_ST_DEVICE_USER,   /* ?1 device id -> user_name */
  SRV_ST_STAFF_MISSING, /* -> id, name, disabled of the accounts without a staff record */
  SRV_ST_HIST_ADD,      /* ?1 tcode ?2 rid ?3 vidx ?4 stamp ?5 dev ?6 old ?7 new */
  SRV_ST_HIST_PAGE,     /* ?1 tcode ?2 rid ?3 before ?4 vidx (-1 = all) ?5 max -> id, vidx,
                           stamp, old, new, device uuid, device name, user, newest first */
  SRV_ST_HIST_OLDEST,   /* ?1 n -> id, stamp of the n oldest entries */
  SRV_ST_HIST_PRUNE,    /* ?1 id: deletes the entries up to it */
  SRV_ST__COUNT
} srv_st;

/* Per-type record statements (built from the model by kt_recsql). */
typedef enum srv_tst {
  SRV_TST_BY_ID,
  SRV_TST_BY_ROWID,
  SRV_TST_INSERT,
  SRV_TST_UPDATE,
  SRV_TST_BY_ORG,     /* ?1 org id -> rowid (types with an org reference) */
  SRV_TST_BY_CONTACT, /* ?1 contact id -> rowid (types with a contact reference) */
  SRV_TST_BY_RID,     /* ?1 record id -> rowid (conflict records about it) */
  SRV_TST_BY_OWNER,   /* ?1 owner -> rowid, live records (a hand-over's clients) */
  SRV_TST_LIVE,       /* -> every live record (kt_recsql_select's row) */
  SRV_TST__COUNT
} srv_tst;

typedef struct srv_db {
  sqlite3 *db;
  sqlite3_stmt *st[SRV_ST__COUNT];
  sqlite3_stmt *tst[32][SRV_TST__COUNT];
  struct kt_ckpt *ckpt; /* background WAL checkpoints */
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
/* Runs a statement of the table that returns no rows (savepoints). */
int srv_db_run(srv_db *d, srv_st which, kt_err *err);
int srv_db_commit(srv_db *d, kt_err *err);
void srv_db_rollback(srv_db *d);

struct kt_mtype;
/* Per-type record statement for t; borrowed, reset. */
sqlite3_stmt *srv_db_tst(srv_db *d, const struct kt_mtype *t, srv_tst which, kt_err *err);
/* Drops per-type statements (the model gained a column). */
void srv_db_reset_types(srv_db *d);
/* Adds the column of a new custom field (inside the caller's transaction). */
int srv_db_add_column(srv_db *d, const struct kt_mtype *t, const char *column, bool is_int,
                      kt_err *err);

int srv_db_meta_get(srv_db *d, const char *key, kt_buf *out, kt_err *err); /* KT_ENOTFOUND */
int srv_db_meta_set(srv_db *d, const char *key, const char *value, kt_err *err);
/* Adds one to a counter in meta (created at 1). "users_gen" counts changes of
 * accounts and roles: the running server re-checks its live sessions when it moves. */
int srv_db_meta_bump(srv_db *d, const char *key, kt_err *err);

#endif
