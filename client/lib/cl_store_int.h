/* cl_store_int — what the files of the store share (cl_store.c: open, close,
 * transactions, meta; cl_store_index.c: the search index; cl_store_write.c:
 * local writes and the rights mirror; cl_store_outbox.c: the outbox rows and
 * the device cache; cl_store_query.c: reads and search; cl_store_config.c: the
 * office configuration; cl_store_apply.c: pulled data, revocation, wipe).
 * Not for other modules: they use cl_store.h. */
#ifndef CL_STORE_INT_H
#define CL_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_db.h"
#include "cl_store.h"
#include "kt_alloc.h"
#include "kt_change.h"
#include "kt_log.h"
#include "kt_rights.h"
#include "kt_text.h"

struct cl_store {
  cl_db d;
  kt_model *model;
  kt_hlc hlc;
  kt_stamp hlc_saved;
  kt_uuid_gen ugen;
  char user[128];
  char device[KT_UUID_STRLEN + 1];
  uint32_t selfdev;
  bool in_batch;
  bool relaxed; /* the open batch commits with synchronous=NORMAL */
  bool sync_lowered; /* synchronous may not be FULL: cl__sync_full before a transaction */
  char *test_unknown;  /* KT_TEST_UNKNOWN_FIELDS at open (tests only), or NULL */
  bool readonly;
  int64_t schema_seen; /* PRAGMA schema_version the model was read at */
  bool purge_needed;   /* rows were revoked: clean the index and the WAL (cl_store_purge) */
  bool has_rights;     /* the server told this profile's rights: mirror them on local edits */
  kt_who who;
  char role[32];
  bool model_stale;    /* a rollback may have undone custom fields the model has */
  int64_t commits;     /* this connection's commits (data_version counts only others') */
  /* device index <-> UUID cache for sync (the device table is append-only;
     emptied by a rollback) */
  struct devname *devs;
  int ndevs, capdevs;
  /* batch: queued index adds of new records (see the file comment) */
  kt_buf pend_text;
  struct pend_ent *pend;
  size_t npend, pend_cap;
  /* search-index bytes written in this transaction (merge work at commit) */
  size_t tx_fts_bytes;
  int64_t merge_debt; /* search-index pages to merge, left by live updates */
  bool defer_merge;   /* the open batch leaves its merge as debt */
  bool bulk_merge;    /* the open batch saves its merge debt in the file (cl_store_defer_merge) */
  int64_t saved_debt; /* the debt saved in the file, as last read or written */
  /* the sort index (cl_store_index.c) */
  kt_collator *skcoll; /* the collator of the index's locale when not the store's, or NULL */
  bool sortix_off;     /* a rebuild follows: writes do not touch the index */
  /* batch: queued sort keys of new records, written in key order with one
     count update per bucket they fall in (cl__pend_flush) */
  kt_buf skq_keys;
  struct skq_ent *skq;
  size_t nskq, skq_cap;
  /* a fresh replica's pull: the keys of lists still empty in the index are
     kept across its commits (skq[0..nskq_held), skq_keys[0..skq_held_len))
     and written at its end in one ordered pass; meta 'sort_index' is absent
     meanwhile (readers sort in memory; a writer opening the file rebuilds) */
  size_t nskq_held, skq_held_len;
  bool skq_holding;
  struct cl__kcache *skq_kc; /* recent texts' ICU keys while a batch queues */
  /* pulled changes in a row that were new records, per type code: from
     CL_APPLY_GUESS on, the next one is inserted without looking its id up
     first (cl_store_apply; the id's UNIQUE constraint tells when it exists) */
  uint32_t apply_new_run[32];
};

/* The search-index rowid of a record: its type code above the row's rowid. */
#define FTS_ROWID(tcode, rowid) (((int64_t)(tcode) << 40) | (int64_t)(rowid))

/* The record's unsent entry: whether there is one, whether it creates the
 * record (the server never accepted it), whether the server refused it (at
 * the last sync, or before an edit made since), and its hold. */
typedef struct entry_state {
  bool has, isnew, refused;
  int hold;
} entry_state;

/* ---- cl_store.c: transactions ---------------------------------------------- */

/* Opens a transaction unless a batch is open (then the batch's is used).
 * KT_EPERM on a read-only connection. */
int cl__tx_begin(cl_store *s, kt_err *err);
/* Puts synchronous back to FULL when a pulled batch or a merge lowered it and
 * could not restore it (out of memory): local edits always commit synced. */
int cl__sync_full(cl_store *s, kt_err *err);
/* Ends what cl__tx_begin opened: rc != 0 rolls back (and returns rc), 0
 * commits; inside a batch it only returns rc. */
int cl__tx_end(cl_store *s, int rc, kt_err *err);

/* ---- cl_store_index.c: the search index ---------------------------------------- */

/* Forgets the queued index adds (after a flush or a rollback). */
void cl__pend_drop(cl_store *s);
/* Writes the queued index adds, in rowid order per index. */
int cl__pend_flush(cl_store *s, kt_err *err);
/* The same at a commit: a pulled batch may keep a fresh list's sort keys. */
int cl__pend_commit(cl_store *s, kt_err *err);
/* Replaces the index entries of old (may be NULL) by those of r (may be
 * NULL); queues the entries of a new record inside a batch. */
int cl__index_update(cl_store *s, const cl_rec *old, const cl_rec *r, kt_err *err);

/* ---- cl_store_index.c: sort keys and the sort index ----------------------------------- */

/* A sort key orders records by their order fields with memcmp: per field a
 * null flag (empty values last, either direction) and the value's key (the
 * collator's ICU sort key for text, 8 big-endian bytes for numbers and
 * instants, a plain date's text), inverted for a descending order; ties go
 * by rowid. The reader's views and the stored sort index use these keys. */
/* The order of stored sort keys (k, rid): memcmp of the bytes, the shorter
 * first, then rid, as SQLite compares (blob, integer). */
int cl__key_cmp(const void *a, size_t alen, int64_t arid, const void *b, size_t blen,
                int64_t brid);
typedef struct cl__kcache cl__kcache; /* recent texts' keys, for bulk builds */
cl__kcache *cl__kcache_new(void);     /* NULL when out of memory (then no cache) */
void cl__kcache_free(cl__kcache *c);
/* Appends one field's part: kind KT_V_NULL/INT/TEXT with i, or s of n bytes;
 * c may be NULL. 0 or KT_ENOMEM. */
int cl__key_part(const kt_collator *coll, const kt_mfield *f, bool desc, cl__kcache *c,
                 kt_vkind kind, int64_t i, const char *s, size_t n, kt_buf *out);
/* Appends the key of rec's values of the fields of[0..nof). */
int cl__key_of_rec(const kt_collator *coll, const kt_mfield *const *of, int nof, bool desc,
                   cl__kcache *c, const kt_rec *rec, kt_buf *out);

/* The stored sort index (tables sort_key, sort_bucket; see 0021): the key of
 * every record of a user-facing type in its default order, live and trash
 * apart, with counted buckets. Which fields: cl__sortix_fields (0: t has
 * none). The index's collator is named in meta 'sort_index' (cl__sortix_id). */
int cl__sortix_fields(const kt_mtype *t, const kt_mfield **of);
void cl__sortix_id(const kt_collator *c, char *out, size_t n);
/* Moves a record's key from old's (may be NULL) to r's (may be NULL); called
 * by cl__index_update, so every write, pull and removal keeps it. */
int cl__sortix_update(cl_store *s, const cl_rec *old, const cl_rec *r, kt_err *err);
/* Empties and rebuilds the whole index with the store's collator (inside the
 * caller's transaction). */
int cl__sortix_rebuild(cl_store *s, kt_err *err);
/* At a writer's open: rebuilds the index when it is missing (a file just
 * migrated to 0021) or its collator now makes other keys (ICU upgraded). */
int cl__sortix_check(cl_store *s, kt_err *err);

/* ---- cl_store_write.c: local writes ------------------------------------------------ */

/* Writes r's row (values and version blob); insert sets r->rowid. */
int cl__row_write(cl_store *s, cl_rec *r, bool insert, kt_err *err);
/* Inserts r's row, *exists true (nothing written, no error) when a row with
 * its id is there already. */
int cl__row_insert_new(cl_store *s, cl_rec *r, bool *exists, kt_err *err);
/* Resolves a reference typed as a name to an id (into id_out) when exactly
 * one live record of f's target type has that title. */
int cl__resolve_ref(cl_store *s, const kt_mfield *f, const char *text, kt_buf *id_out,
                    kt_err *err);
/* Reads the rights and role the server told (meta) into s; none: no mirror. */
void cl__load_rights(cl_store *s);
/* Adds r (id, owner, creation time filled in when empty) inside an open
 * transaction: rights check, row, index, outbox. r stays the caller's. */
int cl__add_rec_locked(cl_store *s, cl_rec *r, kt_err *err);
/* Writes the fields of r that differ from old (same record) as one edit,
 * inside an open transaction; *changed (may be NULL) = how many. */
int cl__edit_locked(cl_store *s, const cl_rec *old, cl_rec *r, int *changed, kt_err *err);
/* A deep copy of src (values, versions, rowid) in *out, the caller's to free. */
int cl__clone_rec(const cl_rec *src, cl_rec **out, kt_err *err);

/* ---- cl_store_tags.c: multi-value (tags) fields ------------------------------------------ */

/* One tag change of an edit: '=' replaces the field's set, '+' adds, '-' removes. */
typedef struct cl__tagop {
  const kt_mfield *f;
  char op;
  const char *text; /* borrowed from the cl_set */
} cl__tagop;
#define CL__MAX_TAGOPS 16
typedef struct cl__tagops {
  cl__tagop v[CL__MAX_TAGOPS];
  int n;
} cl__tagops;
/* Whether assignment set ("tags=A,B", "tags+=A", "tags-=A") is a tag change of
 * type t (*taken); if so it is checked and noted in ops (NULL: tags may not be
 * set here, KT_EINVAL). KT_EINVAL too for F+= / F-= on a field that is not tags. */
int cl__tagop_take(kt_mtype *t, const cl_set *set, cl__tagops *ops, bool *taken, kt_err *err);
/* Applies ops to the written card inside the open transaction: its elements
 * added, restored or trashed (rights checked, outbox noted), then its derived
 * columns rebuilt; *changed (may be NULL) grows by the elements written. */
int cl__tags_write(cl_store *s, const cl_rec *card, const cl__tagops *ops, int *changed,
                   kt_err *err);
/* Rebuilds the derived tags columns of card (type ct, id) from its live
 * elements (no version, no outbox); 0 when the card is not here. */
int cl__tags_rebuild(cl_store *s, kt_mtype *ct, const char *id, kt_err *err);
/* After pulled record r was written (inserted: it is new here): the card it is
 * a tag of, or a new card itself, gets its derived columns rebuilt. */
int cl__tags_pulled(cl_store *s, const cl_rec *r, bool inserted, kt_err *err);

/* ---- cl_store_outbox.c: outbox rows and devices -------------------------------------- */

/* Sets the hold of r's outbox entry (0 none, 1 a new card in the trash, 2 refused). */
int cl__outbox_hold(cl_store *s, const cl_rec *r, int hold, kt_err *err);
/* Records that fields `set` of r changed; base = versions before the edit (NULL
 * for a new record). Merges into an unsent entry, which takes a new number and
 * loses the server's last reason (the change is judged again) but remembers it
 * was refused (its code); a record that stays in the trash keeps its hold. */
int cl__outbox_note(cl_store *s, const cl_rec *r, const kt_fset *set, const kt_vers *base,
                    kt_err *err);
/* Reads the state of r's unsent entry into *es (all zero: none). */
int cl__outbox_state(cl_store *s, const cl_rec *r, entry_state *es, kt_err *err);
/* The device index of a device UUID, adding the device when it is new. */
int cl__dev_index(cl_store *s, const char *uuid, uint32_t *idx, kt_err *err);

/* ---- cl_store_query.c: reads ----------------------------------------------------------- */

/* Calls cb on the records that refer to r (live ones only, or those in the
 * trash too) until it returns non-zero. */
int cl__related_walk(cl_store *s, const cl_rec *r, bool live, cl_rec_cb cb, void *ud,
                     kt_err *err);
/* Where a card that is not on this PC would be, in words (static text). */
const char *cl__not_here(cl_store *s);
/* Reads the record with this id (any type) into *out, the caller's to free;
 * KT_EINVAL for a malformed id, KT_ENOTFOUND when absent. */
int cl__locate(cl_store *s, const char *id, cl_rec **out, kt_err *err);
/* Steps st (rows of type t) and calls cb per record until it returns
 * non-zero; the record passed is reused between calls. st is not reset. */
int cl__walk(cl_store *s, kt_mtype *t, sqlite3_stmt *st, cl_rec_cb cb, void *ud, kt_err *err);

/* The WHERE clause of a list (" WHERE deleted = 0 AND ..." for the filters:
 * parameters ?1..?nwhere), appended to sql; *w holds the parsed values to
 * bind (cl__where_bind) until cl__where_free. KT_EINVAL for an unknown field,
 * a bad operator or value (nothing to free then). */
typedef struct cl__where {
  const cl_filter *w;
  int n;
  kt_value *vals;
  kt_buf *texts;
} cl__where;
int cl__where_sql(cl_store *s, kt_mtype *t, const cl_filter *where, int nwhere, bool trash,
                  kt_buf *sql, cl__where *w, kt_err *err);
void cl__where_bind(const cl__where *w, sqlite3_stmt *st);
void cl__where_free(cl__where *w);
/* The fields a list is ordered by: f alone, or the type's default order (a
 * required or title date field, else the title fields), at most max; then
 * rowid. Text-like fields sort by the locale's collation
 * (cl__sorts_by_collation), numbers and dates by value; empty values last. */
enum { CL__MAX_ORDER = 8 };
int cl__order_fields(const kt_mtype *t, const kt_mfield *f, const kt_mfield **out, int max);
bool cl__sorts_by_collation(const kt_mfield *f);
/* Appends the FTS5 query of a search text (every word a quoted prefix);
 * nothing appended when the text has no word. 0 or KT_ENOMEM. */
int cl__fts_query(const char *text, kt_buf *q);

/* ---- cl_store_config.c: office configuration ------------------------------------------ */

/* Re-applies a synced field_def/section record to the model (new custom
 * fields get their column). */
int cl__apply_config(cl_store *s, const cl_rec *r, kt_err *err);

/* cl_store_kept.c: values of fields this program does not know. */
/* Whether pulled values of t.name go into the record (false: kept aside);
 * the model knowing the field is checked by the caller. */
bool cl__field_known(const cl_store *s, const kt_mtype *t, const char *name);
/* Keeps a pulled value fv of an unknown field of record rid (merged: the
 * higher stamp wins; a hidden marker forgets it). */
int cl__kept_note(cl_store *s, const kt_mtype *t, int64_t rid, const Kartoteka__FieldValue *fv,
                  kt_err *err);
/* Forgets the kept values of a removed record. */
int cl__kept_forget(cl_store *s, const kt_mtype *t, int64_t rid, kt_err *err);
/* Moves the kept values of every field the model now knows into the records
 * (inside the caller's transaction). */
int cl__kept_promote(cl_store *s, kt_err *err);

#endif
