/* cl_store — the local card index (replica): records of every registry type
 * with per-field versions, the outbox of unsent edits, the search index, the
 * office model (custom fields, labels, sections) and groups.
 *
 * Invariant: every local edit writes the record row, its field versions, its
 * search-index entries and its outbox entry in ONE transaction. The store is
 * the replica's single writer: one cl_store per process and thread (the
 * client core's loop thread; the CLI's main thread). GLib-free. */
#ifndef CL_STORE_H
#define CL_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "kt_err.h"
#include "kt_hlc.h"
#include "kt_model.h"
#include "kt_rec.h"
#include "kt_rights.h"
#include "kartoteka.pb-c.h"
#include "kt_uuid.h"
#include "kt_ver.h"

typedef struct cl_store cl_store;

typedef struct cl_open_opts {
  const char *locale; /* collation for sorting ("ru", "pl", "en"); NULL = from LC_COLLATE/LANG */
  int busy_ms;        /* wait this long for a lock held by another program; 0 = 5000 */
  bool readonly;      /* a reader connection (no writes, no migration) */
} cl_open_opts;

/* Creates a new, empty card index at path for `user`; mode "local" or
 * "server"; device_id: the id the server assigned at enrollment, or NULL to
 * generate one (standalone). KT_EEXISTS if the file exists (nothing changed). */
int cl_store_create(const char *path, const char *user, const char *mode, const char *device_id,
                    kt_err *err);
/* Opens an existing card index. Caller frees with cl_store_close. Errors:
 * KT_ENOPROFILE, KT_EBUSY, KT_ECORRUPT, KT_EVERSION, KT_EDB. */
int cl_store_open(const char *path, const cl_open_opts *opts, cl_store **out, kt_err *err);
void cl_store_close(cl_store *s);

kt_model *cl_store_model(cl_store *s);        /* borrowed */
const char *cl_store_user(const cl_store *s);  /* the profile's user name */
/* The user's rights as the server last told them (borrowed), or NULL when not
 * known (a local profile, or one that never synced): the server enforces them;
 * the client uses them to refuse at once what the server would refuse or what
 * only the client can do (import, export). */
const kt_rights *cl_store_rights(const cl_store *s);
const char *cl_store_role(const cl_store *s); /* the user's role, "" when not known */
/* May the user do act (KT_ACT_EDIT, KT_ACT_DELETE) on record r, by the rights
 * the server last told this PC (the same scope the local edit check uses)?
 * True when no rights are known (a standalone profile). For front ends, to
 * offer only what would be taken; the server still decides. */
bool cl_store_may(cl_store *s, const kt_rec *r, kt_action act);
/* The office's users: the name of every live account (each has a staff record
 * on every PC), sorted; none on a standalone PC or one that never synced. cb
 * gets each name (borrowed for the call) and returns non-zero to stop. Works
 * on a read-only store (cl_reader_store). KT_EDB on a read error. */
int cl_store_users(cl_store *s, int (*cb)(void *ud, const char *name), void *ud, kt_err *err);
/* True when the profile is connected to an office server (not standalone). */
bool cl_store_connected(cl_store *s);
const char *cl_store_device(const cl_store *s); /* this replica's device UUID */
struct sqlite3 *cl_store_sqlite(cl_store *s);  /* for tests and benchmarks */
/* Overrides the wall clock (tests); NULL restores the real one. */
void cl_store_set_clock(cl_store *s, kt_clock_fn fn, void *ud);

/* True when values kept for a field this program did not know (rolling
 * upgrades) wait to be moved into their records now that it knows the field:
 * a read-only opener then opens the card index for writing once, which moves
 * them. */
bool cl_store_kept_waiting(cl_store *s);

/* A record as read from the store (kt_rec: values by field position, field
 * versions). Owned by the caller: free with cl_rec_free. */
typedef kt_rec cl_rec;

static inline cl_rec *cl_rec_new(kt_mtype *t) { return kt_rec_new(t); } /* NULL on OOM */
static inline void cl_rec_free(cl_rec *r) { kt_rec_free(r); }
static inline const char *cl_rec_id(const cl_rec *r) { return kt_rec_id(r); } /* "" when unset */
static inline bool cl_rec_deleted(const cl_rec *r) { return kt_rec_deleted(r); }
/* The record's title from its title fields ("ООО Ромашка", "Иванов Иван"). */
void cl_rec_title(const cl_rec *r, kt_buf *out);

/* A FIELD=VALUE assignment as the user typed it. */
typedef struct cl_set {
  const char *field;
  const char *value;
} cl_set;

/* Batching: wrap many writes in one transaction (bulk import, benchmarks).
 * Without an open batch each write commits on its own. */
int cl_store_begin(cl_store *s, kt_err *err);
/* A batch of pulled data whose commit is not synced to disk: the pull cursor
 * commits in the same transaction, so a power cut only makes the next sync
 * pull it again (WAL keeps the file consistent). Saves one fsync per applied
 * page on the live path. Only for what the server holds: never local edits. */
int cl_store_begin_pulled(cl_store *s, bool live, kt_err *err);
/* live: a small live update (a Notify's changes): its search-index merge is
 * left as debt, off the path that makes the change visible, for
 * cl_store_maintain (or the next ordinary commit, which pays it). */
/* A bulk batch (an import) leaves its search-index merge to later: the pages
 * it owes are saved in the file with its data ("fts_merge_debt"), and
 * cl_store_maintain, or any later commit a little at a time, pays them. The
 * index is complete and searchable at once; only its segments are merged
 * later (FTS5's crisis merges still bound their number). Call after
 * cl_store_begin; the batch's commit or rollback ends it. */
int cl_store_defer_merge(cl_store *s, kt_err *err);
/* Pays the merge debt of live updates, and up to 8,192 pages of what a bulk
 * import saved (any program's), in its own transaction (not synced). Call
 * when idle, after applying a Notify. No-op inside a batch. */
int cl_store_maintain(cl_store *s, kt_err *err);
int cl_store_commit(cl_store *s, kt_err *err);
void cl_store_rollback(cl_store *s);

/* Adds a record of `type` from assignments; the new id goes to id_out.
 * Validates every value (unknown field, wrong type, bad date, unknown ref
 * id...): on error nothing is written. owner defaults to the profile user. */
int cl_store_add(cl_store *s, const char *type, const cl_set *sets, int n,
                 char id_out[KT_UUID_STRLEN + 1], kt_err *err);
/* Like cl_store_add, with the id given (valid UUID text): a card from a file
 * that keeps its identity (import). The caller checks the id is free. */
int cl_store_add_as(cl_store *s, const char *type, const char *id, const cl_set *sets, int n,
                    kt_err *err);
/* Like cl_store_add for internal types too (reminder states), with the id
 * given (derived ids make every PC write the same record). */
int cl_store_add_with_id(cl_store *s, const char *type, const char *id, const cl_set *sets, int n,
                         kt_err *err);
/* Adds an already-typed record (import, bench): r->v holds canonical values;
 * id/created/owner are filled when NULL. r->rowid and the id are set on return. */
int cl_store_add_rec(cl_store *s, cl_rec *r, kt_err *err);
/* Edits a record; *changed = number of fields that really changed. */
int cl_store_edit(cl_store *s, const char *id, const cl_set *sets, int n, int *changed,
                  kt_err *err);
/* Moves to trash / restores from trash. KT_ENOTFOUND for an unknown id.
 * Deleting a new record the server never accepted parks its outbox entry:
 * nothing is sent and it is not counted as unsent; restored before the next
 * sync it is sent whole, else that sync removes it from this PC once the server
 * confirms it never had it. Deleting a record whose change the server refused
 * holds the entry: the next sync sets the card back to the server's copy and
 * sends the deletion alone (cl_sync). */
int cl_store_delete(cl_store *s, const char *id, kt_err *err);
int cl_store_restore(cl_store *s, const char *id, kt_err *err);

/* Reads a record by id (any type). KT_ENOTFOUND with a clear message. */
int cl_store_get(cl_store *s, const char *id, cl_rec **out, kt_err *err);

typedef int (*cl_rec_cb)(void *ud, const cl_rec *r); /* non-zero stops the walk */

typedef struct cl_filter {
  const char *field;
  char op; /* '=' equal, '!' not equal, '~' contains (case/diacritic-insensitive), '<', '>' */
  const char *value;
} cl_filter;

typedef struct cl_query {
  const char *type;
  const cl_filter *where;
  int nwhere;
  const char *sort; /* field name; NULL = by title */
  bool desc;
  bool trash;       /* list the trash instead of live records */
  int limit;        /* 0 = all */
  int offset;
} cl_query;

/* Names for references (export): the live records of one type by their
 * title, where the type's title is one field (an organization's name). A
 * reference is then written as the name when exactly one live record has it
 * (compared as resolve by name does when reading it back: case and
 * diacritics folded), else as the id. Open/close around one export. */
typedef struct cl_reftitles cl_reftitles;
/* *out NULL (and 0) when the type has no one-field title: ids are kept. */
int cl_reftitles_open(cl_store *s, const char *type, cl_reftitles **out, kt_err *err);
/* Appends the record's unique name, or the id itself. */
int cl_reftitles_get(cl_reftitles *rt, const char *id, kt_buf *out, kt_err *err);
void cl_reftitles_close(cl_reftitles *rt);

/* Lists records; calls cb for each, in order. */
int cl_store_list(cl_store *s, const cl_query *q, cl_rec_cb cb, void *ud, kt_err *err);
/* Full-text search (prefixes of words, any script, diacritics ignored; phone
 * digit fragments of 3+ digits). type may be NULL (all types). limit 0 = 100.
 * Newest records first. */
int cl_store_search(cl_store *s, const char *text, const char *type, int limit, bool trash,
                    cl_rec_cb cb, void *ud, kt_err *err);
/* Every live record that refers to r (contacts, events, deals... of an org). */
int cl_store_related(cl_store *s, const cl_rec *r, cl_rec_cb cb, void *ud, kt_err *err);

/* Office model edits (stored as synced field_def / section records). A choice
 * list is "code=Label,..." (kt_choice.h); one without a code the program
 * needs (kt_registry_needs), or with a repeated code or label, is refused
 * (KT_EINVAL) and nothing is written. */
int cl_store_field_add(cl_store *s, const char *type, const char *name, const char *label,
                       const char *ftype, const char *choices, kt_err *err);
int cl_store_field_set(cl_store *s, const char *type, const char *name, const char *label,
                       const char *choices, int hidden /* -1 = keep */, kt_err *err);
/* Marks a date field of a client card (org, contact; built in or custom) to be
 * reminded every year like a birthday (on) or not. KT_EINVAL for another kind
 * of field or type. An office setting: the server lets administrators write it. */
int cl_store_field_yearly(cl_store *s, const char *type, const char *name, bool on, kt_err *err);
int cl_store_section_set(cl_store *s, const char *type, const char *label,
                         int hidden /* -1 = keep */, kt_err *err);

/* Profile settings kept in the replica (server addresses, session token,
 * sync cursor...). get: KT_ENOTFOUND when unset; value appended to out. */
int cl_store_meta_get(cl_store *s, const char *key, kt_buf *out, kt_err *err);
int cl_store_meta_set(cl_store *s, const char *key, const char *value, kt_err *err);

/* ---- sync support (used by cl_sync) ---- */

/* One outbox entry for a push: a copy of the record (the callee takes it:
 * free with cl_rec_free), the changed fields and their base versions. */
typedef struct cl_outbox_item {
  int64_t seq;        /* the change number (device counter) */
  cl_rec *rec_copy;
  kt_fset fields;
  kt_vers base;
} cl_outbox_item;
typedef int (*cl_outbox_cb)(void *ud, const cl_outbox_item *it); /* non-zero stops */
/* Walks up to max entries to send, in change-number order (held ones are not
 * sent: see cl_store_delete). */
int cl_store_outbox_walk(cl_store *s, int max, cl_outbox_cb cb, void *ud, kt_err *err);
/* Deletes acknowledged entries (an entry edited again since has a new number
 * and stays). */
int cl_store_outbox_ack(cl_store *s, const int64_t *seqs, size_t n, kt_err *err);
/* What the server said about one refused entry. */
typedef struct cl_refusal {
  int64_t seq;        /* the entry's change number as sent */
  const char *reason; /* for the user (borrowed) */
  int code;           /* KT_E* */
} cl_refusal;
/* Records refusals: each entry keeps its reason (shown by `status` and `outbox
 * list` until the card is edited, which starts the judgement over) and gets a
 * new change number: the server counts a refused number as seen, so a resend
 * under the old number would be taken as a duplicate and the card lost. An
 * entry edited since (it has a new number already) is left alone. */
int cl_store_outbox_refused(cl_store *s, const cl_refusal *r, size_t n, kt_err *err);
/* Whether an entry (its fields and base versions) is a new record the server
 * has not accepted yet: it holds the record's creation, made on this PC. */
static inline bool cl_outbox_is_new(const kt_fset *fields, const kt_vers *base) {
  return kt_fset_has(fields, KT_F_CREATED) && !base->f[KT_F_CREATED].stamp;
}
/* kt_devname_fn over the replica's device table (ud = the store). */
const char *cl_store_devname(void *store, uint32_t idx);
/* Applies a change pulled from the server: per field the higher (stamp,
 * device) wins (an unsent local edit may win and stays in the outbox);
 * nothing goes to the outbox. A value of a field this program does not know
 * (a newer server's built-in field, a definition not got yet) is kept as
 * received, merged by the same rule (cl_store_kept_attach). Use inside
 * cl_store_begin/commit. */
int cl_store_apply(cl_store *s, const Kartoteka__Change *ch, kt_err *err);
/* Appends to ch (the change of record r that the outbox pushes, with at least
 * one field, built by kt_change_from_rec) the values the replica keeps for r
 * without knowing their fields, exactly as pulled and marked `kept` (the
 * server skips them: they are never an edit). *block receives what they point
 * into (NULL when none): release it with cl_store_kept_release after ch is
 * encoded, before kt_change_clear. KT_ENOMEM/KT_EDB; ch unchanged then. */
int cl_store_kept_attach(cl_store *s, const cl_rec *r, Kartoteka__Change *ch, void **block,
                         kt_err *err);
void cl_store_kept_release(void *block);
/* A number that changes whenever anything committed to the replica (another
 * process, or this store: sync, edits): cheap polling for "records changed". */
int64_t cl_store_data_version(cl_store *s);
/* True while a cl_store_begin batch is open (a sync pull between pages):
 * anything written now would join that transaction, so the reminder
 * scheduler waits. */
bool cl_store_in_batch(const cl_store *s);
/* The replica's database file (borrowed), e.g. to watch its WAL for commits
 * made by other processes. */
const char *cl_store_path(cl_store *s);

/* The store's SQL layer, for the other client-library modules (cl_remind). */
struct cl_db *cl_store_db(cl_store *s);

/* The server was restored from a backup and may have lost what this PC sent
 * since: queue every value this device wrote for sending again and restart
 * the pull from the beginning (one transaction). */
int cl_store_server_restored(cl_store *s, kt_err *err);

/* Reloads the office model (custom fields, labels) when another process
 * changed the schema since this store read it. Call before a sync round. */
int cl_store_refresh(cl_store *s, kt_err *err);

/* Canonical dump of every record (sorted by type and id; values with their
 * stamps and device UUIDs), identical on replicas that converged. */
/* Revocation (the server says the record is no longer the user's to see):
 * removes it, its search entries and any unsent change of it. No-op when
 * absent. Inside a batch or its own transaction. */
int cl_store_revoke(cl_store *s, const char *type, const char *id, kt_err *err);
/* Repair: merges a change this device made but never sent (read from a
 * damaged replica: cl_salvage) like a pulled one — per field the higher
 * stamp wins — keeping only this device's values of fields this replica
 * knows; the fields where it won (and that did not hold that very value
 * already: it reached the server, only its acknowledgement was lost) go to
 * the outbox with the change's base stamps, to be sent at the next sync as
 * the edit they were. *queued = how many. In its own transaction or the
 * open batch. */
int cl_store_apply_unsent(cl_store *s, const Kartoteka__Change *ch, int *queued, kt_err *err);
/* Repair: change numbers handed out from now on are above seq (the server
 * takes a number it has seen as a resend and drops it). */
int cl_store_outbox_floor(cl_store *s, int64_t seq, kt_err *err);
/* Replaces the local copy of a record (and drops its unsent changes) with the
 * server's: after the server refused a change the user had no right to make. */
int cl_store_reset(cl_store *s, const Kartoteka__Change *ch, kt_err *err);
/* Removes every record (keep_unsent: except those with unsent changes) and
 * resets the pull cursor: the replica is rebuilt from the server. Field
 * definitions are kept (they number the custom fields); the pull refreshes them. */
int cl_store_wipe(cl_store *s, bool keep_unsent, kt_err *err);
/* After revokes or a wipe (or when force): makes removed text unrecoverable
 * from the files — merges the search index and empties the WAL. Outside a batch. */
int cl_store_purge(cl_store *s, bool force, kt_err *err);
/* Writes what a run of pulled batches kept for its end (the sort keys of a
 * fresh replica's lists, in one ordered pass; cl_sync's pull calls it after
 * its last page). Outside a batch; 0 when nothing is kept. */
int cl_store_flush_held(cl_store *s, kt_err *err);

int cl_store_dump(cl_store *s, kt_buf *out, kt_err *err);

/* Number of unsent outbox entries (parked ones not counted). */
int cl_store_outbox_count(cl_store *s, int64_t *n, kt_err *err);

/* The hold of card id's outbox entry as it is now (see cl_outbox_entry.hold):
 * 0 when it has none, is not held, or the card is gone. Another program may
 * have restored the card since a list was read: a sync reads it again, in the
 * transaction that acts on it. Caller's thread. */
int cl_store_outbox_hold(cl_store *s, const char *id, int *hold, kt_err *err);
/* Sends card id's parked entry at the next push after all (the server has the
 * card: the acknowledgement of its first push was lost), edits made in the
 * trash included. Caller's thread. */
int cl_store_outbox_unpark(cl_store *s, const char *id, kt_err *err);

/* Rebuilds the search index from the records (repair). */
int cl_store_reindex(cl_store *s, kt_err *err);

#endif
