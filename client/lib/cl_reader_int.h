/* cl_reader_int — what cl_reader.c (the connection) and cl_reader_view.c
 * (sorted, paged views) share. Not for other modules: they use cl_reader.h.
 * The reader is the store's read side: it reads through a cl_store opened
 * read-only and uses the store's query internals (cl_store_int.h), so its
 * filters, search and order are the very code `list` and `search` run. */
#ifndef CL_READER_INT_H
#define CL_READER_INT_H

#include "cl_reader.h"
#include "cl_store_int.h"
#include "kt_text.h"

struct cl_reader {
  cl_store *s;        /* opened read-only */
  kt_collator *coll;  /* the store's locale: sort keys order as kt_coll does */
  int64_t dv;         /* data version at the last cl_reader_refresh */
  int64_t model_gen;  /* bumped when the office model was reloaded */
  bool no_index;      /* cl_reader_opts.no_sort_index: the plans of before it */
};

/* ---- cl_reader_hits.c: the search part of a view ---------------------------------------- */

/* The search index queries of a view's search text, as `search` makes them:
 * q for the words (each a prefix), pq for 3+ phone digits (left empty when
 * fewer). With narrow, each '=' filter on a searchable text field adds the
 * value's words to q: the match stays a superset of the view's rows (the
 * filter itself still decides). KT_EINVAL when the text has no word. */
int cl__view_match(kt_mtype *t, const char *search, const cl_filter *where, int nwhere,
                   bool narrow, kt_buf *q, kt_buf *pq, kt_err *err);
/* The rowids of t's live records (or those in the trash) that q or pq (may
 * be NULL or empty) match, newest first, read from the search index and the
 * sort index's live flags without reading a record; inside the caller's read
 * transaction. *out (n rowids) is the caller's to free. 1: the sort index
 * cannot tell (t has none, or it is not built yet); nothing is set. */
int cl__hits_read(cl_store *s, kt_mtype *t, const char *q, const char *pq, bool trash,
                  int64_t **out, int64_t *n, kt_err *err);

/* Reloads the office model if another program changed the schema (bumps
 * model_gen when it did). */
int cl__reader_sync_model(cl_reader *r, kt_err *err);

#endif
