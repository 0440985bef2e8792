/* cl_reader — a front end's read-only view of the replica.
 *
 * A cl_reader is its own read-only WAL connection to the card index: it
 * reads while the writer (the client core, the agent, another CLI command)
 * writes, and it never writes (the file's bytes stay as they are). It offers
 * records by id with their related cards, and "views": the records of one
 * type with the filters of `kartoteka list --where`, the full-text search of
 * `kartoteka search`, the trash, and an order by any field (text by the
 * locale's ICU collation, numbers, dates; empty values last; ties by rowid,
 * as `list` orders them), counted, and read a page at any position or keyset
 * forwards/backwards from a row, without OFFSET scans.
 *
 * Threads: a cl_reader and its views belong to one thread (the GUI's main
 * thread, the CLI's); open one reader per thread that reads. A reader may be
 * handed to another thread together with all its views (the GUI builds a
 * slow view on a reader of its own in a worker, then pages it on the main
 * thread): never used by two threads at once. Records handed
 * out are the caller's (free with kt_rec_free). No SQLite, protobuf or libuv
 * types here (kt_rec's header names sqlite3_stmt for the store's own use). */
#ifndef CL_READER_H
#define CL_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "kt_err.h"
#include "kt_model.h"
#include "kt_rec.h"

typedef struct cl_reader cl_reader;
typedef struct cl_view cl_view;
struct cl_store;

typedef struct cl_reader_opts {
  const char *locale; /* collation for sorting ("ru", "pl", "en"); NULL = from LC_COLLATE/LANG */
  int busy_ms;        /* wait this long for a lock; 0 = 5000 */
  bool no_sort_index; /* never read through the stored sort index, nor narrow a search
                         by the view's filters: the plans of before them (tests and
                         benches compare the two) */
} cl_reader_opts;

/* Opens a read-only connection to the card index at path (opts may be NULL).
 * *out is the caller's: cl_reader_close. Errors: KT_ENOPROFILE (no file),
 * KT_EBUSY, KT_ECORRUPT, KT_EVERSION (made by a newer program), KT_EDB. */
int cl_reader_open(const char *path, const cl_reader_opts *opts, cl_reader **out, kt_err *err);
/* Closes the connection; views of r must be freed first. NULL is a no-op. */
void cl_reader_close(cl_reader *r);

/* The office model as this reader last read it (borrowed; valid until the
 * next cl_reader_refresh that reports a model change). */
kt_model *cl_reader_model(cl_reader *r);
/* The read-only store underneath (borrowed), for the client library's
 * read functions that take a cl_store (reports, reminders, output helpers).
 * Any write through it fails with KT_EPERM. */
struct cl_store *cl_reader_store(cl_reader *r);

/* Whether anything was committed to the replica (by any connection) since
 * the last refresh (or the open): *changed. Reloads the office model when
 * another program changed it (custom fields, labels: rare); views rebuild
 * themselves against the new one. Records read before such a reload point
 * into the old model, which is freed: re-read rows after a refresh that
 * said *changed, as a list model does anyway. Cheap: one PRAGMA. */
int cl_reader_refresh(cl_reader *r, bool *changed, kt_err *err);
/* The card index's path (borrowed): to open another reader on it. */
const char *cl_reader_path(cl_reader *r);
/* A number that changes whenever anything committed (SQLite data_version). */
int64_t cl_reader_data_version(cl_reader *r);

/* The record with this id (any type), the caller's. KT_EINVAL for a
 * malformed id, KT_ENOTFOUND when it is not on this PC. */
int cl_reader_get(cl_reader *r, const char *id, kt_rec **out, kt_err *err);
/* Calls cb on every live record that refers to rec (an organization's
 * contacts, events, tasks, deals, notes: what `show` prints), each type in
 * its default order. The record passed is reused between calls (copy what
 * you keep); cb returns non-zero to stop. */
typedef int (*cl_reader_cb)(void *ud, const kt_rec *rec);
int cl_reader_related(cl_reader *r, const kt_rec *rec, cl_reader_cb cb, void *ud, kt_err *err);
/* `kartoteka search` across all types (type NULL) or one: newest first, at
 * most limit (0 = 100); cb as above. KT_EINVAL for text with no word. */
int cl_reader_search(cl_reader *r, const char *text, const char *type, int limit, bool trash,
                     cl_reader_cb cb, void *ud, kt_err *err);

/* The trash of every section (the user-facing types the office shows: not
 * its settings, the server's logs or a card's elements, not a hidden
 * section), newest deletion first, at most limit (0 = 1000): cb gets each
 * deleted card and when it went to the trash (UTC ms: the stamp of its
 * deletion). The record passed is reused between calls; cb returns non-zero
 * to stop. */
typedef int (*cl_reader_trash_cb)(void *ud, const kt_rec *rec, int64_t deleted_ms);
int cl_reader_trash(cl_reader *r, int limit, cl_reader_trash_cb cb, void *ud, kt_err *err);

/* One record of the conflict log as `kartoteka conflicts` shows it: the value
 * that lost to a colleague's simultaneous edit and who wrote it, the value
 * kept and whose it is. Strings borrowed for the call; "" when unset. */
typedef struct cl_reader_conflict {
  const char *id;          /* the conflict record */
  int64_t when;            /* when it was recorded (UTC ms) */
  const char *rtype, *rid; /* the card it is about */
  const kt_mtype *type;    /* the card's type in the model (NULL: unknown here) */
  const kt_mfield *field;  /* the field in that type (NULL: unknown), else field_name */
  const char *field_name;
  const char *card;        /* the card's title, NULL when the card is not on this PC */
  const char *lost, *lost_by;
  const char *kept, *kept_by;
  bool lost_hidden, kept_hidden; /* a protected field's value this user may not see
                                    (lost / kept then ""): say so, never show it */
  bool duplicate;          /* not an edit: a new card with the phone, e-mail or tax id
                              of a colleague's client (lost_by added it, kept_by owns
                              the other); no values */
} cl_reader_conflict;
typedef int (*cl_reader_conflict_cb)(void *ud, const cl_reader_conflict *c);
/* The conflict log, newest first, at most limit (0 = 1000); cb returns
 * non-zero to stop. *n (may be NULL) = how many were passed to cb. */
int cl_reader_conflicts(cl_reader *r, int limit, cl_reader_conflict_cb cb, void *ud, int *n,
                        kt_err *err);

/* The names a filter by a user or group field may offer (the desktop app's
 * drop-downs): for a user field (owner, assignee) the office's live accounts
 * and this PC's user, for a group field the live groups; with either, when
 * the field has an index (KT_FF_INDEX: owner, assignee), every name the
 * type's cards hold (one index seek per name). Byte order, each once, at most
 * 1,000; cb gets each (borrowed for the call) and returns non-zero to stop.
 * KT_EINVAL for an unknown type or field, or one that is not a user or group
 * field. */
typedef int (*cl_reader_name_cb)(void *ud, const char *name);
int cl_reader_names(cl_reader *r, const char *type, const char *field, cl_reader_name_cb cb,
                    void *ud, kt_err *err);

/* ---- views ------------------------------------------------------------------------------ */

/* A filter, as cl_filter (cl_store.h) and `list --where`: op '=' equal, '!'
 * not equal, '~' contains (case/diacritic-insensitive), '<', '>'. */
typedef struct cl_view_filter {
  const char *field;
  char op;
  const char *value;
} cl_view_filter;

typedef struct cl_view_spec {
  const char *type;              /* "contact", "org", ... (required) */
  const cl_view_filter *where;   /* nwhere filters, all must hold */
  int nwhere;
  const char *search;            /* NULL, or text as for `kartoteka search` */
  const char *sort;              /* field name; NULL = the type's default order
                                    (the title; an event's start, a deal's date),
                                    or newest first when searching */
  bool desc;
  bool trash;                    /* the trash instead of live records */
} cl_view_spec;

/* Builds a view (the spec's strings are copied). Reads the matching rows'
 * sort keys once (O(n log n) for n rows), or only the sort index's counts
 * (cl_view_indexed); pages are then O(page).
 * KT_EINVAL for an unknown type or field, a bad operator or value, search
 * text with no word: nothing is built. *out is the caller's: cl_view_free. */
int cl_view_open(cl_reader *r, const cl_view_spec *spec, cl_view **out, kt_err *err);
void cl_view_free(cl_view *v); /* NULL is a no-op */

/* How many rows the view has (as of its last build). */
int64_t cl_view_count(const cl_view *v);
/* Whether the view reads through the replica's stored sort index: a whole
 * live or trash list in its type's default order, and the index made with
 * this reader's collation. Such a view's build reads only the index's
 * bucket counts (~1,500 rows per million: milliseconds), a page at any
 * position is a bucket plus a keyset step of at most 1,024 index entries,
 * and cl_view_patch is a build. Other views (filters, search, another sort
 * field or direction) sort their rows in memory as described above. */
bool cl_view_indexed(const cl_view *v);
/* How the view was built, for benches and tests: "sort index" (as
 * cl_view_indexed), "search index" (a search newest first with no filter:
 * its rows are the search index's hits minus the trash, or only those in
 * it, told by the sort index; no record is read, so the build costs ~50 ns
 * per hit and pages are a slice) or "sorted in memory" (every matching
 * record read for its sort columns). Static text. */
const char *cl_view_plan(const cl_view *v);
/* How many of the view's first rows can be read without building the rest:
 * cl_view_count, except for a view that holds only its first rows (plan "sort
 * index walk"): a page, a keyset step or a find beyond them builds the whole
 * view first (the in-memory sort of every hit, ~0.3-1.6 s per 100,000 hits),
 * which a front end does off its main thread: cl_view_complete on a view of
 * the same spec on a reader of its own, then swapped in. */
int64_t cl_view_known(const cl_view *v);
/* Builds the whole of a view that holds only its first rows (a no-op for any
 * other): then cl_view_known = cl_view_count. */
int cl_view_complete(cl_view *v, kt_err *err);
/* Rebuilds the view when the replica changed since it was built: *changed
 * (may be NULL). Positions and counts may then differ. */
int cl_view_refresh(cl_view *v, bool *changed, kt_err *err);

/* Updates the view for changed records without a rebuild: each record of
 * the view's type named in ids (added, edited, moved to or from the trash)
 * is taken out and put back where its values now place it, if it still
 * belongs. For the ids of the core's "records changed" events, which name
 * every change; O(n) per id (a move in the array), so many ids, a record
 * removed from this PC or a new office model make it rebuild instead. */
int cl_view_patch(cl_view *v, const char *const *ids, int n, kt_err *err);

/* Reads up to n rows from position pos (0-based) into rows[] (room for n),
 * in view order; *got = how many (fewer at the end, 0 past it). Each record
 * is the caller's (kt_rec_free). A row removed since the build is skipped. */
int cl_view_page(cl_view *v, int64_t pos, int n, kt_rec **rows, int *got, kt_err *err);
/* Keyset paging: the n rows after the row with id `after` (NULL: from the
 * start), or before the row `before` (NULL: up to the end), in view order
 * either way. KT_ENOTFOUND when the row is not in the view. */
int cl_view_next(cl_view *v, const char *after, int n, kt_rec **rows, int *got, kt_err *err);
int cl_view_prev(cl_view *v, const char *before, int n, kt_rec **rows, int *got, kt_err *err);
/* The position of the row with this id in the view: KT_ENOTFOUND when it is
 * not in it. O(log n). */
int cl_view_find(cl_view *v, const char *id, int64_t *pos, kt_err *err);

#endif
