/* cl_reader_walk — the first rows of a search sorted by the sort index's
 * first field, from a walk of the stored sort index (see below). */
#include "cl_reader_view_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- a search sorted by the sort index's first field ---------------------------------------
 * The first rows of such a search are the first hits met walking the stored
 * sort index in order (its key starts with that field's key, the same bytes
 * the view builds), so with many hits the first page costs a short walk, not
 * reading every hit's record and its ICU key. Whether the walk is short is
 * estimated before it starts: the ranks of WALK_SAMPLES hits spread over the
 * hit list (their stored keys and the buckets) tell where the first WALK_ROWS
 * hits end; hits clustered late in the order (a last-name prefix sorted by
 * last name) are sorted in memory as before. The walk keeps going past
 * WALK_ROWS hits until the field's value changes (ties are ordered by rowid
 * here, by the rest of the title in the index), so rows[0..n) is exactly the
 * start of the sorted view; a page or a find beyond it builds the whole view
 * the other way (complete). The count is the hit list's. */
enum { WALK_MIN_HITS = 2048, WALK_ROWS = 256, WALK_SAMPLES = 32, WALK_COST = 3 };

static int i64_cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Whether rid is among r[0..n), newest first (rowid descending, as
 * cl__hits_read gives them: no sort needed). */
static bool rid_in(const int64_t *r, int64_t n, int64_t rid) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (r[mid] > rid) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && r[lo] == rid;
}

/* Where in the list the hit rid roughly is: the middle of its bucket. */
static int walk_rank(cl_view *v, int64_t rid, int64_t *rank, kt_err *err) {
  cl_store *s = v->r->s;
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_SORTKEY_OF, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, v->t->def->code);
  sqlite3_bind_int64(st, 2, rid);
  int src = sqlite3_step(st);
  *rank = v->n; /* not in the index: as if last */
  if (src == SQLITE_ROW && v->nb) {
    const uint8_t *k = sqlite3_column_blob(st, 1);
    uint32_t klen = (uint32_t)sqlite3_column_bytes(st, 1);
    const vbucket *b = cl__vw_bucket_of(v, k ? k : (const uint8_t *)"", klen, rid);
    *rank = b->start + b->n / 2;
  }
  sqlite3_reset(st);
  return src == SQLITE_ROW || src == SQLITE_DONE ? 0
                                                 : cl_db_error(&s->d, src, "reading the sort index", err);
}

/* How many index steps the walk should take to pass WALK_ROWS of the n hits
 * r: from the ranks of hits spread over the list. */
static int walk_estimate(cl_view *v, const int64_t *r, int64_t n, int64_t *steps, kt_err *err) {
  int rc = cl__vw_build_ix(v, err); /* the buckets (1: another collation) */
  v->n = 0;
  if (rc) return rc;
  int64_t rank[WALK_SAMPLES];
  for (int i = 0; !rc && i < WALK_SAMPLES; i++)
    rc = walk_rank(v, r[(int64_t)i * n / WALK_SAMPLES + n / WALK_SAMPLES / 2], &rank[i], err);
  if (rc) return rc;
  qsort(rank, WALK_SAMPLES, sizeof rank[0], i64_cmp);
  int64_t j = ((int64_t)WALK_ROWS * WALK_SAMPLES + n - 1) / n; /* samples the rows hold */
  *steps = rank[j < 1 ? 0 : j > WALK_SAMPLES ? WALK_SAMPLES - 1 : j - 1];
  return 0;
}

/* Reads the hit rid and appends its row (the view's key of its record). */
static int walk_row(cl_view *v, sqlite3_stmt *by_rowid, int64_t rid, kt_err *err) {
  sqlite3_bind_int64(by_rowid, 1, rid);
  int src = sqlite3_step(by_rowid), rc = 0;
  if (src == SQLITE_ROW) {
    kt_rec *rec = kt_rec_new(v->t);
    size_t off = v->keys.len;
    if (!rec) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    else if (!(rc = kt_rec_load(rec, by_rowid, err)) && cl__vw_key_of_rec(v, rec, &v->keys))
      rc = kt_err_set(err, KT_ENOMEM, "out of memory building a list");
    if (!rc) rc = cl__vw_push_row(v, rid, off, v->keys.len - off, err);
    kt_rec_free(rec);
  } else if (src == SQLITE_DONE) {
    rc = 1; /* a hit without its record: not this plan's to judge */
  } else {
    rc = cl_db_error(&v->r->s->d, src, "reading the card index", err);
  }
  sqlite3_reset(by_rowid);
  return rc;
}

/* Compares row a's key with row b's (both in v->keys). */
static int walk_key_cmp(const cl_view *v, int64_t a, int64_t b) {
  const vrow *x = &v->rows[a], *y = &v->rows[b];
  const uint8_t *kx = (const uint8_t *)v->keys.p + x->koff, *ky = (const uint8_t *)v->keys.p + y->koff;
  return cl__key_cmp(kx, x->klen, 0, ky, y->klen, 0);
}

/* The first rows by walking the sort index (inside the build's read
 * transaction). 1: this plan does not fit (few hits, clustered late, another
 * collation); the caller sorts in memory. */
int cl__vw_build_walk(cl_view *v, kt_err *err) {
  cl_store *s = v->r->s;
  kt_buf q = KT_BUF_INIT, pq = KT_BUF_INIT;
  int64_t *r = NULL, n = 0, steps = 0;
  int rc = cl__view_match(v->t, v->search, NULL, 0, false, &q, &pq, err);
  if (!rc) rc = cl__hits_read(s, v->t, kt_buf_str(&q), kt_buf_str(&pq), v->trash, &r, &n, err);
  kt_buf_free(&q);
  kt_buf_free(&pq);
  if (rc) return rc;
  if (n < WALK_MIN_HITS) goto no;
  if ((rc = walk_estimate(v, r, n, &steps, err))) goto out;
  if (steps > WALK_COST * n) goto no; /* reading every hit costs less */
  sqlite3_stmt *walk = cl_db_st(&s->d, CL_ST_SORTKEY_NTH, err);
  sqlite3_stmt *by_rowid = walk ? cl_db_tst(&s->d, v->t, CL_TST_BY_ROWID, err) : NULL;
  if (!by_rowid) {
    rc = cl_db_st_rc(&s->d);
    goto out;
  }
  sqlite3_bind_int(walk, 1, v->t->def->code);
  sqlite3_bind_int(walk, 2, !v->trash);
  sqlite3_bind_blob(walk, 3, "", 0, SQLITE_STATIC);
  sqlite3_bind_int64(walk, 4, 0);
  sqlite3_bind_int64(walk, 5, -1); /* no limit */
  sqlite3_bind_int64(walk, 6, 0);
  /* the estimate is rough (a bucket's middle per sample): past the larger of
     twice it and half the sort's cost, sorting in memory is cheaper */
  int64_t budget = 2 * steps + 4 * WALK_ROWS, taken = 0;
  if (budget < WALK_COST * n / 2) budget = WALK_COST * n / 2;
  int src;
  bool done = false;
  while (!rc && !done && (src = sqlite3_step(walk)) == SQLITE_ROW) {
    if (++taken > budget) {
      rc = 1; /* the estimate was wrong: sort in memory */
      break;
    }
    int64_t rid = sqlite3_column_int64(walk, 1);
    if (!rid_in(r, n, rid) || (rc = walk_row(v, by_rowid, rid, err))) continue;
    int64_t last = v->n - 1;
    if (last > 0 && walk_key_cmp(v, last - 1, last) > 0) rc = 1; /* not the index's order */
    else if (last >= WALK_ROWS && walk_key_cmp(v, last - 1, last) != 0) {
      v->n--; /* the first row of a value whose rows may not all be here yet */
      done = true;
    }
  }
  if (!rc && !done && src != SQLITE_DONE) rc = cl_db_error(&s->d, src, "reading the sort index", err);
  sqlite3_reset(walk);
  if (!rc && !done && v->n != n) rc = 1; /* the whole index walked: it must hold every hit */
  if (rc) goto out;
  for (int64_t i = 0; i < v->n; i++) {
    vrow *w = &v->rows[i];
    w->k = (const uint8_t *)v->keys.p + w->koff;
    w->head = cl__vw_key_head(w->k, w->klen);
  }
  if (v->n > 1) qsort(v->rows, (size_t)v->n, sizeof *v->rows, cl__vw_row_sort);
  v->walked = true;
  v->lazy = v->n < n;
  v->lazy_n = n;
  goto out;
no:
  rc = 1;
out:
  free(r);
  return rc;
}
