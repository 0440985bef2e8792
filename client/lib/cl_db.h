/* cl_db — every SQL statement of the client replica, in one place.
 *
 * Fixed statements live in one table (prepared once, bound parameters only);
 * the per-type statements (insert/update/select of record rows) are built
 * from the model's own identifiers and re-prepared when a custom field adds a
 * column. Used only by cl_store (the replica's single writer) and by readers
 * holding their own read-only connection. Not thread-safe: one cl_db per
 * thread. The reports' read-only statements are a table of their own, in
 * cl_report_data.c. */
#ifndef CL_DB_H
#define CL_DB_H

#include <sqlite3.h>
#include <stdbool.h>

#include "kt_err.h"
#include "kt_model.h"

typedef enum cl_st {
  CL_ST_BEGIN,
  CL_ST_COMMIT,
  CL_ST_SYNC_NORMAL, /* commits that need not reach the disk (see cl_store_begin_pulled) */
  CL_ST_SYNC_FULL,   /* back to every commit synced */
  CL_ST_FTS_MERGE,   /* ?1 pages: merge search-index segments (automerge is off) */
  CL_ST_PHONE_MERGE, /* ?1 pages: the same for the phone index */
  CL_ST_ROLLBACK,
  CL_ST_META_GET,     /* ?1 key -> value */
  CL_ST_META_SET,     /* ?1 key, ?2 value */
  CL_ST_META_DEL,     /* ?1 key */
  CL_ST_DEVICE_GET,   /* ?1 uuid -> idx */
  CL_ST_DEVICE_ADD,   /* ?1 uuid */
  CL_ST_DEVICE_ALL,   /* -> idx, uuid */
  CL_ST_OUTBOX_GET,   /* ?1 tcode, ?2 rid -> seq, fields, base, refused, hold, refused_code */
  CL_ST_OUTBOX_DEL,   /* ?1 seq */
  CL_ST_OUTBOX_ADD,   /* ?1 tcode, ?2 rid, ?3 fields, ?4 base [, ?5 refused, ?6 refused_code] */
  CL_ST_OUTBOX_COUNT, /* -> count of the entries waiting (parked ones not counted) */
  CL_ST_OUTBOX_HOLD,  /* ?1 tcode, ?2 rid, ?3 hold */
  CL_ST_OUTBOX_LIST,  /* ?1 held too (1/0) -> seq, tcode, rid, fields, base, refused,
                         refused_code, hold: the entries not parked, oldest first */
  CL_ST_STAFF_HAS,    /* ?1 name -> 1 when an account (live or disabled) has that name */
  CL_ST_STAFF_NAMES,  /* -> name of every live account, sorted */
  CL_ST_OUTBOX_FORGET,/* ?1 tcode, ?2 rid */
  CL_ST_OUTBOX_HAS,   /* ?1 tcode, ?2 rid -> 1 when the record has unsent changes */
  CL_ST_OUTBOX_BY_SEQ,/* ?1 seq -> tcode, rid, fields, base */
  CL_ST_OUTBOX_CTR,   /* -> the outbox's AUTOINCREMENT counter (no row: never used) */
  CL_ST_OUTBOX_CTR_SET, /* ?1 counter (the row exists) */
  CL_ST_OUTBOX_CTR_ADD, /* ?1 counter (no row yet) */
  CL_ST_OUTBOX_WALK,  /* ?1 max -> seq, tcode, rid, fields, base: the entries to send, oldest first */
  CL_ST_FTS_OPTIMIZE, /* merge every search-index segment (drops deleted rows' entries) */
  CL_ST_PHONE_OPTIMIZE,
  CL_ST_FTS_CLEAR,    /* empty the search index (a reindex follows) */
  CL_ST_PHONE_CLEAR,
  CL_ST_FTS_ADD,      /* ?1 rowid, ?2 body */
  CL_ST_FTS_DEL,      /* ?1 rowid, ?2 old body */
  CL_ST_FTS_MATCH,    /* ?1 query, ?2 lo rowid, ?3 hi rowid, ?4 limit -> rowid (newest first) */
  CL_ST_PHONE_ADD,    /* ?1 rowid, ?2 digits */
  CL_ST_PHONE_DEL,    /* ?1 rowid, ?2 old digits */
  CL_ST_PHONE_MATCH,  /* ?1 query, ?2 lo, ?3 hi, ?4 limit -> rowid */
  CL_ST_FIELD_DEFS,   /* -> etype, name, label, ftype, choices, hidden (live, in rowid order) */
  CL_ST_SECTIONS,     /* -> etype, label, hidden (live, in rowid order) */
  CL_ST_CUSTOM_COLS,  /* ?1 table -> name of each custom column (c_...), oldest first */
  CL_ST_GROUP_TREE,   /* ?1 group name -> the group and its descendants' names */
  CL_ST_GROUP_NAMES,  /* -> the live groups' names, sorted */
  CL_ST_DIARY_EVENTS, /* ?1 user -> id, title, type, start, remind_at, remind_before, rrule, status */
  CL_ST_DIARY_TASKS,  /* ?1 user -> id, title, NULL, due, remind_at, remind_before, rrule, status */
  CL_ST_BIRTHDAYS,    /* ?1 user -> id, last_name, first_name, middle_name, birthday: the
                         contacts that are ?1's clients (by their organization's owner) */
  CL_ST_STAFF_BIRTHDAYS, /* ?1 user -> id, name, NULL, NULL, birthday (colleagues, not ?1) */
  CL_ST_YEARLY_FIELDS, /* -> etype, name of the date fields reminded every year (cl_remind) */
  CL_ST_CALLBACKS,    /* ?1 user, ?2 until ms -> id, title, start, org name, contact name,
                         phone, org id, contact id: planned one-off calls due by ?2 */
  CL_ST_REMIND_STATES,/* ?1 user -> id, rid, at, state, until */
  CL_ST_DATA_VERSION, /* -> PRAGMA data_version (changes when another connection commits) */
  CL_ST_READ_BEGIN,   /* a read transaction (readers: one snapshot for a page) */

  /* mailings (cl_mail, issue 19): the client-local run tables and lookups */
  CL_ST_MAIL_RUN_ADD,   /* ?1 template, ?2 attach, ?3 rate, ?4 started ms */
  CL_ST_MAIL_RUN_OPEN,  /* -> id, template, attach, rate: the newest unfinished run */
  CL_ST_MAIL_RUN_DONE,  /* ?1 run */
  CL_ST_MAIL_RCPT_ADD,  /* ?1 run, ?2 seq, ?3 rtype, ?4 rid, ?5 email */
  CL_ST_MAIL_RCPT_SET,  /* ?1 run, ?2 seq, ?3 state, ?4 detail */
  CL_ST_MAIL_RCPT_LIST, /* ?1 run, ?2 after seq -> seq, rtype, rid, email, state, detail:
                           the next page (256) in order */
  CL_ST_MAIL_RCPT_UNSURE, /* ?1 run: 'sending' -> 'unknown' (a run cut mid-transaction) */
  CL_ST_MAIL_RECENT,    /* ?1 card id, ?2 since ms -> 1 when a letter was sent to it since
                           (to the organization itself, not to one of its contacts) */
  CL_ST_TEMPLATE_BY_NAME, /* ?1 name -> id of the live template (oldest first) */
  CL_ST_TEMPLATE_ALL,   /* -> id of every live template, by name */
  CL_ST_MAIL_SETTING,   /* -> id of the office's live mail settings record */

  CL_ST_KEPT_GET,     /* ?1 tcode, ?2 name, ?3 rid -> stamp, device */
  CL_ST_KEPT_PUT,     /* ?1 tcode, ?2 name, ?3 rid, ?4 value, ?5 stamp, ?6 device */
  CL_ST_KEPT_DEL,     /* ?1 tcode, ?2 name, ?3 rid */
  CL_ST_KEPT_OF_REC,  /* ?1 tcode, ?2 rid -> name, value, stamp, device (by name) */
  CL_ST_KEPT_FORGET,  /* ?1 tcode, ?2 rid: every kept value of a removed record */
  CL_ST_KEPT_NEXT,    /* ?1 tcode, ?2 name -> the next (tcode, name) after it */
  CL_ST_KEPT_OF_FIELD,/* ?1 tcode, ?2 name -> name, value, stamp, device, rid */

  /* the sort index (0021; cl_store_index.c writes it, cl_reader_view.c reads it):
     t = type code, live = 1 live / 0 trash, (k, rid) = sort key and rowid */
  CL_ST_SORTKEY_ADD,    /* ?1 t, ?2 live, ?3 k, ?4 rid */
  CL_ST_SORTKEY_DEL,    /* ?1 t, ?2 live, ?3 k, ?4 rid */
  CL_ST_SORTKEY_OF,     /* ?1 t, ?2 rid -> live, k */
  CL_ST_SORTKEY_NTH,    /* ?1 t, ?2 live, ?3 k, ?4 rid, ?5 limit, ?6 skip -> k, rid: the
                           keys from (k, rid) on, in order, after skipping ?6 */
  CL_ST_SORTKEY_RANK,   /* ?1 t, ?2 live, ?3 k, ?4 rid, ?5 k2, ?6 rid2 -> how many keys are
                           from (k, rid) on and below (k2, rid2) */
  CL_ST_SORTKEY_CLEAR,  /* empties the keys (a rebuild follows) */
  CL_ST_SORTKEY_RIDS,   /* ?1 t, ?2 live -> rid of every key of that list (in key order) */
  CL_ST_SORTKEY_ANY,    /* -> a row when any key is stored */
  CL_ST_SORTKEY_REC_DROP, /* drops the index by (t, rid) (keys written in bulk without it) */
  CL_ST_SORTKEY_REC_MAKE, /* makes it again, as 0021 does (one sort of every key) */
  CL_ST_BUCKET_SUM,     /* ?1 t, ?2 live -> how many keys that list has (from its buckets) */
  CL_ST_BUCKET_FIND,    /* ?1 t, ?2 live, ?3 k, ?4 rid -> k, rid, n of the bucket holding it */
  CL_ST_BUCKET_NEXT,    /* ?1 t, ?2 live, ?3 k, ?4 rid -> k, rid of the next bucket's start */
  CL_ST_BUCKET_ADD,     /* ?1 t, ?2 live, ?3 k, ?4 rid, ?5 n */
  CL_ST_BUCKET_SET,     /* ?1 t, ?2 live, ?3 k, ?4 rid, ?5 n */
  CL_ST_BUCKET_DEL,     /* ?1 t, ?2 live, ?3 k, ?4 rid */
  CL_ST_BUCKET_ALL,     /* ?1 t, ?2 live -> k, rid, n of every bucket, in key order */
  CL_ST_BUCKET_CLEAR,
  CL_ST__COUNT
} cl_st;

/* Per-type statements, by kind. */
typedef enum cl_tst {
  CL_TST_INSERT,    /* all columns, in model field order after rowid: ?1 id, ?2 ver, ?3.. */
  CL_TST_UPDATE,    /* ?1 ver, ?2.. columns (without id), last ?: rowid */
  CL_TST_BY_ID,     /* ?1 id -> rowid, id, ver, columns... */
  CL_TST_BY_ROWID,  /* ?1 rowid -> same */
  CL_TST_DELETE,    /* ?1 rowid: removes the row (revoked: no longer the user's to see) */
  CL_TST_ALL_ROWIDS,/* -> rowid of every row */
  CL_TST_BY_ORG,    /* ?1 org id -> rows like BY_ID (types with an org reference: taggings) */
  CL_TST_BY_CONTACT,/* ?1 contact id -> same, by the contact reference */
  CL_TST__COUNT
} cl_tst;

typedef struct cl_db {
  sqlite3 *db;
  kt_model *model; /* borrowed from the store */
  sqlite3_stmt *st[CL_ST__COUNT];
  sqlite3_stmt *tst[KT_MAX_TYPES][CL_TST__COUNT];
  struct kt_ckpt *ckpt; /* background WAL checkpoints (writer connections) */
  int st_rc;            /* KT_E* of the last statement lookup that failed */
  struct kt_collator *coll; /* the kt_coll collation's collator (owned by SQLite) */
} cl_db;

/* Opens (creating when `create`) the replica file, sets pragmas (WAL,
 * synchronous, foreign keys off, busy timeout), registers the kt_fold SQL
 * function and the kt_coll collation for `locale`, and migrates. readonly
 * opens a reader connection without migrating. Errors: KT_ENOPROFILE (no file),
 * KT_EBUSY, KT_ECORRUPT, KT_EVERSION, KT_EDB. */
int cl_db_open(cl_db *d, const char *path, bool create, bool readonly, int busy_ms,
               const char *locale, kt_err *err);
void cl_db_close(cl_db *d);

/* Fixed statement, prepared on first use and reset+cleared for reuse; NULL on
 * failure (err set). Borrowed: do not finalize. */
sqlite3_stmt *cl_db_st(cl_db *d, cl_st which, kt_err *err);
/* The KT_E* code of the last cl_db_st/cl_db_tst that returned NULL (KT_ENOMEM
 * when SQLite or the SQL builder ran out of memory, else KT_EDB): what a
 * caller returns when the lookup failed (err holds the message). */
int cl_db_st_rc(const cl_db *d);
/* Per-type statement for t (built from the model). */
sqlite3_stmt *cl_db_tst(cl_db *d, const kt_mtype *t, cl_tst which, kt_err *err);
/* The keyset step over one indexed column of t: ?1 a value -> the next greater value
 * (one index seek). Per column, not cached: *out owned by the caller (sqlite3_finalize). */
int cl_db_next_value_st(cl_db *d, const kt_mtype *t, const kt_mfield *f, sqlite3_stmt **out,
                        kt_err *err);
/* Drops cached per-type statements (after the model changed). */
void cl_db_reset_types(cl_db *d);

/* Adds the column of a new custom field f of t (inside the caller's transaction). */
int cl_db_add_column(cl_db *d, const kt_mtype *t, const kt_mfield *f, kt_err *err);
/* Checks every model field of every type has its column; names what is missing. */
int cl_db_check_schema(cl_db *d, kt_err *err);

/* The SQL of a names-for-references table `name` (temp): `fill` fills it
 * with (id, title, n) for the live records of t, n = how many share the title
 * (folded, as resolving a name compares them; title field tf); `get` reads
 * ?1 id -> title, n; `drop` removes it. Appended to the buffers given. */
void cl_db_reftitles_sql(const kt_mtype *t, const kt_mfield *tf, const char *name, kt_buf *fill,
                         kt_buf *get, kt_buf *drop);
/* Builds "SELECT rowid, id, ver, cols FROM t_x" + where + order for a list.
 * Appends to sql; the caller binds parameters it added to where. */
void cl_db_select_prefix(const kt_mtype *t, kt_buf *sql);

/* Executes a statement to completion (step until DONE), resetting it. */
int cl_db_step_done(cl_db *d, sqlite3_stmt *st, kt_err *err);
/* Rolls the open transaction back through the statement table (CL_ST_ROLLBACK);
 * an error (none open any more: SQLite already rolled it back) is ignored. */
void cl_db_rollback(cl_db *d);
/* Maps the last SQLite error of the connection to a kt_err. */
int cl_db_error(cl_db *d, int rc, const char *what, kt_err *err);

int cl_db_meta_get_text(cl_db *d, const char *key, kt_buf *out, kt_err *err); /* KT_ENOTFOUND */
int cl_db_meta_set_text(cl_db *d, const char *key, const char *value, kt_err *err);
int cl_db_meta_get_int(cl_db *d, const char *key, int64_t *out, kt_err *err);
int cl_db_meta_set_int(cl_db *d, const char *key, int64_t value, kt_err *err);

/* Table name of a type ("t_org"). */
void cl_db_table(const kt_mtype *t, char *out, size_t outsz);

#endif
