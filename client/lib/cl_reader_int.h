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
  bool no_index;      /* cl_reader_opts.no_sort_index */
};

/* Reloads the office model if another program changed the schema (bumps
 * model_gen when it did). */
int cl__reader_sync_model(cl_reader *r, kt_err *err);

#endif
