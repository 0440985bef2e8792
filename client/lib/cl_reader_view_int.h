/* cl_reader_view_int.h — what the view's files share (cl_reader_view.c builds
 * and pages a view; cl_reader_walk.c opens a search sorted by the sort index's
 * first field by walking that index). Private to client/lib. */
#ifndef CL_READER_VIEW_INT_H
#define CL_READER_VIEW_INT_H

#include "cl_reader_int.h"

typedef struct vrow {
  uint64_t head;    /* the key's first 8 bytes, big-endian (most comparisons end here) */
  const uint8_t *k; /* into keys (set after the build) */
  uint32_t klen;
  uint32_t koff;
  int64_t rowid;
} vrow;

struct cl_view {
  cl_reader *r;
  /* the spec, copied */
  char *type, *search, *sort;
  cl_filter *where;
  int nwhere;
  bool desc, trash;
  /* resolved against the model of generation gen */
  int64_t gen;
  kt_mtype *t;
  const kt_mfield *of[CL__MAX_ORDER];
  int nof;
  bool newest_first; /* a search without a sort field: rowid descending */
  bool hits;         /* such a search with no filter: rows from the search index alone */
  bool walk;         /* a search sorted by the sort index's first field, no filter */
  bool walked;       /* the rows came from a walk of the sort index (cl_view_plan) */
  bool lazy;         /* only the first rows are known (rows[0..n)); count lazy_n */
  int64_t lazy_n;
  /* the build */
  int64_t dv;
  cl__kcache *kc[CL__MAX_ORDER]; /* during a build only */
  /* read through the stored sort index (ix): its buckets as of the build */
  bool ix;
  struct vbucket *b;
  int64_t nb, capb;
  kt_buf bkeys;
  uint8_t **extra;           /* keys of rows patched in since the build */
  int nextra, capextra;
  vrow *rows;
  int64_t n, cap;
  kt_buf keys;
};

/* One bucket of the sort index: it starts at key (koff, klen; empty: the
 * first one) and rid, and holds n keys, the first at position start. */
typedef struct vbucket {
  int64_t start, n, rid;
  uint32_t koff, klen;
} vbucket;

/* The sort key of a record as it is now, appended to out. 0 or KT_ENOMEM. */
int cl__vw_key_of_rec(const cl_view *v, const kt_rec *rec, kt_buf *out);
/* Appends a row (rowid, its key at keys[koff, koff + klen)). 0 or KT_ENOMEM. */
int cl__vw_push_row(cl_view *v, int64_t rowid, size_t koff, size_t klen, kt_err *err);
/* qsort order of two vrows (head, key, rowid). */
int cl__vw_row_sort(const void *a, const void *b);
/* A key's first 8 bytes, big-endian (vrow.head). */
uint64_t cl__vw_key_head(const uint8_t *k, uint32_t len);
/* Reads the sort index's buckets into v (inside the build's read transaction).
 * 0, 1 (the index cannot serve this view: another collation) or an error. */
int cl__vw_build_ix(cl_view *v, kt_err *err);
/* The bucket that holds (k, rid): the last one starting at or before it
 * (v->nb > 0). */
const vbucket *cl__vw_bucket_of(const cl_view *v, const uint8_t *k, uint32_t klen, int64_t rid);
/* A bucket's first key (never NULL). */
const uint8_t *cl__vw_bkey(const cl_view *v, const vbucket *b);
/* The first rows of a search sorted by the sort index's first field, by
 * walking that index (cl_reader_walk.c; inside the build's read transaction).
 * 0, 1 (the plan does not fit: the caller sorts in memory) or an error. */
int cl__vw_build_walk(cl_view *v, kt_err *err);

#endif
