/* cl_reader_view — sorted, counted, paged views of one type (cl_reader.h).
 *
 * Design: a view is built by ONE statement that reads, for every matching
 * row (the `list` filters, the `search` index, live or trash), its rowid and
 * its sort columns, and turns the columns into one binary sort key per row:
 * per order field a null flag (empty values last, either direction) and the
 * value's key — the locale's ICU sort key for text (the order kt_coll gives:
 * ICU guarantees memcmp of keys = ucol_strcoll), 8 big-endian bytes for
 * numbers and instants, the bytes of a plain date — inverted for a
 * descending order; ties by rowid, as `list` orders them. The rows are
 * sorted once (qsort, memcmp). A page at any position is then a slice of
 * that array read by rowid (n point lookups in one read transaction), so the
 * row 500,000 of a million costs what row 0 does: no OFFSET scan, no index
 * per sortable field (the reader could not create one: it is read-only, and
 * a sort may be on any field, custom ones included). Keyset paging and
 * cl_view_find locate a row by binary search on its key (a linear scan only
 * when the row changed since the build). The price is the build — O(n log n)
 * once per data version, measured in bench_reader — and ~24 bytes plus the
 * key per row of memory.
 *
 * A search newest first with no filter builds the same array without
 * reading a record: its rows are the search index's hits minus the trash
 * that the sort index tells (cl_reader_hits.c).
 *
 * Consistency: the build reads one snapshot; each page reads another (the
 * current one), so a row edited since shows its new values at its old place
 * and a removed row is skipped, until cl_view_refresh rebuilds. */
#include "cl_reader_view_int.h"

#include <stdlib.h>
#include <string.h>


/* ---- keys ------------------------------------------------------------------------------- */


static int key_add(const cl_view *v, const kt_mfield *f, cl__kcache *c, kt_vkind kind, int64_t i,
                   const char *s, size_t n, kt_buf *out) {
  return cl__key_part(v->r->coll, f, v->desc, c, kind, i, s, n, out);
}

static void key_rowid_desc(int64_t rowid, kt_buf *out) {
  uint64_t u = ~((uint64_t)rowid ^ 0x8000000000000000ull);
  uint8_t b[8];
  for (int k = 0; k < 8; k++) b[k] = (uint8_t)(u >> (56 - 8 * k));
  kt_buf_append(out, b, 8);
}

/* The sort key of a record as it is now. */
int cl__vw_key_of_rec(const cl_view *v, const kt_rec *rec, kt_buf *out) {
  if (v->newest_first) {
    key_rowid_desc(rec->rowid, out);
    return out->oom ? KT_ENOMEM : 0;
  }
  return cl__key_of_rec(v->r->coll, v->of, v->nof, v->desc, NULL, rec, out);
}

static int row_cmp(const uint8_t *ka, uint32_t la, int64_t ra, const uint8_t *kb, uint32_t lb,
                   int64_t rb) {
  return cl__key_cmp(ka, la, ra, kb, lb, rb);
}

int cl__vw_row_sort(const void *a, const void *b) {
  const vrow *x = a, *y = b;
  if (x->head != y->head) return x->head < y->head ? -1 : 1;
  return row_cmp(x->k, x->klen, x->rowid, y->k, y->klen, y->rowid);
}

uint64_t cl__vw_key_head(const uint8_t *k, uint32_t len) {
  uint64_t h = 0;
  for (uint32_t i = 0; i < 8; i++) h = h << 8 | (i < len ? k[i] : 0);
  return h;
}

/* ---- building ------------------------------------------------------------------------------ */

static int resolve(cl_view *v, kt_err *err) {
  kt_model *m = cl_store_model(v->r->s);
  int rc = kt_model_type_get(m, v->type, &v->t, err);
  if (rc) return rc;
  kt_mfield *sf = NULL;
  if (v->sort && (rc = kt_mtype_field_get(v->t, v->sort, &sf, err))) return rc;
  v->newest_first = v->search && !sf;
  v->hits = v->newest_first && !v->nwhere && !v->r->no_index;
  v->nof = v->newest_first ? 0 : cl__order_fields(v->t, sf, v->of, CL__MAX_ORDER);
  v->gen = v->r->model_gen;
  /* the stored sort index holds the default order of the whole list */
  const kt_mfield *ixf[CL__MAX_ORDER];
  int nix = cl__sortix_fields(v->t, ixf);
  v->ix = !v->r->no_index && !v->nwhere && !v->search && !v->desc && nix == v->nof && nix > 0 &&
          memcmp(ixf, v->of, (size_t)nix * sizeof *ixf) == 0;
  v->walk = !v->r->no_index && !v->nwhere && v->search && sf && !v->desc && nix > 0 &&
            ixf[0] == sf;
  return 0;
}

int cl__vw_push_row(cl_view *v, int64_t rowid, size_t koff, size_t klen, kt_err *err) {
  if (v->n == v->cap) {
    int64_t cap = v->cap ? v->cap * 2 : 1024;
    vrow *p = realloc(v->rows, (size_t)cap * sizeof *p);
    if (!p) return kt_err_set(err, KT_ENOMEM, "out of memory building a list");
    v->rows = p;
    v->cap = cap;
  }
  if (koff > UINT32_MAX || klen > UINT32_MAX)
    return kt_err_set(err, KT_ENOMEM, "the list's sort keys are too large (over 4 GiB)");
  v->rows[v->n++] = (vrow){0, NULL, (uint32_t)klen, (uint32_t)koff, rowid};
  return 0;
}

/* The search part of the build query: the rows of t the search index
 * matches (words, and phone digits of 3+), as `search` finds them; the word
 * query narrowed by the view's text filters (cl__view_match). */
static int search_sql(cl_view *v, int pbase, kt_buf *sql, kt_buf *q, kt_buf *pq, kt_err *err) {
  int rc = cl__view_match(v->t, v->search, v->where, v->nwhere, !v->r->no_index, q, pq, err);
  if (rc) return rc;
  kt_buf_printf(sql,
                " AND rowid IN (SELECT rowid - ?%d FROM fts WHERE fts MATCH ?%d AND rowid "
                "BETWEEN ?%d AND ?%d",
                pbase, pbase + 1, pbase, pbase + 2);
  if (pq->len)
    kt_buf_printf(sql,
                  " UNION SELECT rowid - ?%d FROM fts_phone WHERE fts_phone MATCH ?%d AND "
                  "rowid BETWEEN ?%d AND ?%d",
                  pbase, pbase + 3, pbase, pbase + 2);
  kt_buf_putc(sql, ')');
  return 0;
}

static int read_begin(cl_store *s, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_READ_BEGIN, err);
  if (!st) return KT_EDB;
  return cl_db_step_done(&s->d, st, err);
}

static void read_end(cl_store *s) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_COMMIT, NULL);
  if (st && cl_db_step_done(&s->d, st, NULL) == 0) return;
  cl_db_rollback(&s->d);
}

/* The view's query, prepared and bound: the matching rows' rowid and order
 * columns; one_row adds "AND rowid = ?" (bound by the caller: vq->rowid_param). */
typedef struct vquery {
  sqlite3_stmt *st;
  cl__where wh;
  kt_buf q, pq;
  int rowid_param;
} vquery;

static void vquery_close(vquery *vq) {
  sqlite3_finalize(vq->st);
  cl__where_free(&vq->wh);
  kt_buf_free(&vq->q);
  kt_buf_free(&vq->pq);
  memset(vq, 0, sizeof *vq);
}

static int vquery_open(cl_view *v, bool one_row, vquery *vq, kt_err *err) {
  cl_store *s = v->r->s;
  memset(vq, 0, sizeof *vq);
  vq->q = (kt_buf)KT_BUF_INIT;
  vq->pq = (kt_buf)KT_BUF_INIT;
  kt_buf sql = KT_BUF_INIT;
  char tab[64];
  cl_db_table(v->t, tab, sizeof tab);
  kt_buf_puts(&sql, "SELECT rowid");
  for (int i = 0; i < v->nof; i++) kt_buf_printf(&sql, ", \"%s\"", v->of[i]->column);
  kt_buf_printf(&sql, " FROM %s", tab);
  int rc = cl__where_sql(s, v->t, v->where, v->nwhere, v->trash, &sql, &vq->wh, err);
  if (!rc && v->search) rc = search_sql(v, v->nwhere + 1, &sql, &vq->q, &vq->pq, err);
  if (!rc && one_row) {
    vq->rowid_param = v->nwhere + 5;
    kt_buf_printf(&sql, " AND rowid = ?%d", vq->rowid_param);
  }
  if (!rc && sql.oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!rc && (rc = sqlite3_prepare_v2(s->d.db, sql.p, (int)sql.len, &vq->st, NULL)) != SQLITE_OK)
    rc = cl_db_error(&s->d, rc, "building the list query", err);
  kt_buf_free(&sql);
  if (rc) {
    vquery_close(vq);
    return rc;
  }
  cl__where_bind(&vq->wh, vq->st);
  if (v->search) {
    int p = v->nwhere + 1;
    sqlite3_bind_int64(vq->st, p, FTS_ROWID(v->t->def->code, 0));
    sqlite3_bind_text(vq->st, p + 1, kt_buf_str(&vq->q), -1, SQLITE_STATIC);
    sqlite3_bind_int64(vq->st, p + 2, FTS_ROWID(v->t->def->code + 1, 0) - 1);
    if (vq->pq.len) sqlite3_bind_text(vq->st, p + 3, kt_buf_str(&vq->pq), -1, SQLITE_STATIC);
  }
  return 0;
}

/* Appends the sort key of st's current row (rowid, order columns) to out. */
static int row_key(cl_view *v, sqlite3_stmt *st, kt_buf *out) {
  int rc = 0;
  if (v->newest_first) key_rowid_desc(sqlite3_column_int64(st, 0), out);
  for (int i = 0; i < v->nof && !rc; i++) {
    int ct = sqlite3_column_type(st, i + 1);
    if (ct == SQLITE_NULL)
      rc = key_add(v, v->of[i], NULL, KT_V_NULL, 0, NULL, 0, out);
    else if (ct == SQLITE_INTEGER || ct == SQLITE_FLOAT)
      rc = key_add(v, v->of[i], NULL, KT_V_INT, sqlite3_column_int64(st, i + 1), NULL, 0, out);
    else
      rc = key_add(v, v->of[i], v->kc[i], KT_V_TEXT, 0, (const char *)sqlite3_column_text(st, i + 1),
                   (size_t)sqlite3_column_bytes(st, i + 1), out);
  }
  return rc || out->oom ? KT_ENOMEM : 0;
}

static void extra_free(cl_view *v) {
  for (int i = 0; i < v->nextra; i++) free(v->extra[i]);
  free(v->extra);
  v->extra = NULL;
  v->nextra = v->capextra = 0;
}

/* Whether the replica's sort index was made by a collator that orders as
 * this reader's does. */
static bool ix_same_collation(cl_view *v) {
  char want[128];
  cl__sortix_id(v->r->coll, want, sizeof want);
  kt_buf cur = KT_BUF_INIT;
  bool same = cl_db_meta_get_text(&v->r->s->d, "sort_index", &cur, NULL) == 0 && !cur.oom &&
              strcmp(kt_buf_str(&cur), want) == 0;
  kt_buf_free(&cur);
  return same;
}

/* Reads the buckets of the sort index (inside the build's read transaction):
 * the count and where each bucket's rows start. 1: the index cannot serve
 * this view (another collation), build the sorted array instead. */
int cl__vw_build_ix(cl_view *v, kt_err *err) {
  cl_store *s = v->r->s;
  if (!ix_same_collation(v)) return 1;
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_BUCKET_ALL, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, v->t->def->code);
  sqlite3_bind_int(st, 2, !v->trash);
  v->nb = v->n = 0;
  kt_buf_reset(&v->bkeys);
  int src, rc = 0;
  while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
    if (v->nb == v->capb) {
      int64_t cap = v->capb ? v->capb * 2 : 256;
      vbucket *p = realloc(v->b, (size_t)cap * sizeof *p);
      if (!p) {
        rc = kt_err_set(err, KT_ENOMEM, "out of memory opening a list");
        break;
      }
      v->b = p;
      v->capb = cap;
    }
    size_t off = v->bkeys.len, len = (size_t)sqlite3_column_bytes(st, 0);
    kt_buf_append(&v->bkeys, sqlite3_column_blob(st, 0), len);
    if (v->bkeys.oom || v->bkeys.len > UINT32_MAX) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory opening a list");
      break;
    }
    int64_t n = sqlite3_column_int64(st, 2);
    v->b[v->nb++] = (vbucket){v->n, n, sqlite3_column_int64(st, 1), (uint32_t)off, (uint32_t)len};
    v->n += n;
  }
  if (!rc && src != SQLITE_DONE) rc = cl_db_error(&s->d, src, "reading the sort index", err);
  sqlite3_reset(st);
  if (rc) v->nb = v->n = 0;
  return rc;
}

const uint8_t *cl__vw_bkey(const cl_view *v, const vbucket *b) {
  return b->klen ? (const uint8_t *)v->bkeys.p + b->koff : (const uint8_t *)"";
}

const vbucket *cl__vw_bucket_of(const cl_view *v, const uint8_t *k, uint32_t klen, int64_t rid) {
  int64_t lo = 0, hi = v->nb - 1; /* the last bucket starting at or before (k, rid) */
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    const vbucket *m = &v->b[mid];
    if (row_cmp(cl__vw_bkey(v, m), m->klen, m->rid, k, klen, rid) <= 0) lo = mid;
    else hi = mid - 1;
  }
  return &v->b[lo];
}

/* The bucket holding position pos (0 <= pos < v->n). */
static const vbucket *bucket_at(const cl_view *v, int64_t pos) {
  int64_t lo = 0, hi = v->nb - 1;
  while (lo < hi) { /* the last bucket starting at or before pos */
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (v->b[mid].start <= pos) lo = mid;
    else hi = mid - 1;
  }
  return &v->b[lo];
}

/* The rowids of up to n rows from position pos, through the index: the
 * bucket's start plus a keyset step of at most a bucket's size. */
static int ix_rowids(cl_view *v, int64_t pos, int n, int64_t *rids, int *got, kt_err *err) {
  cl_store *s = v->r->s;
  const vbucket *b = bucket_at(v, pos);
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_SORTKEY_NTH, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, v->t->def->code);
  sqlite3_bind_int(st, 2, !v->trash);
  sqlite3_bind_blob(st, 3, cl__vw_bkey(v, b), (int)b->klen, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, b->rid);
  sqlite3_bind_int64(st, 5, n);
  sqlite3_bind_int64(st, 6, pos - b->start);
  int src;
  while (*got < n && (src = sqlite3_step(st)) == SQLITE_ROW) rids[(*got)++] = sqlite3_column_int64(st, 1);
  sqlite3_reset(st);
  if (*got < n && src != SQLITE_DONE) return cl_db_error(&s->d, src, "reading the sort index", err);
  return 0;
}

/* The position of the row rid through the index (inside a read
 * transaction): its stored key, the bucket holding it, the keys before it
 * in that bucket. -1 when it is not in the view. */
static int ix_find(cl_view *v, int64_t rid, int64_t *pos, kt_err *err) {
  cl_store *s = v->r->s;
  *pos = -1;
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_SORTKEY_OF, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, v->t->def->code);
  sqlite3_bind_int64(st, 2, rid);
  kt_buf key = KT_BUF_INIT;
  int src = sqlite3_step(st);
  bool in = src == SQLITE_ROW && sqlite3_column_int(st, 0) == !v->trash;
  if (in) kt_buf_append(&key, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
  sqlite3_reset(st);
  int rc = 0;
  if (src != SQLITE_ROW && src != SQLITE_DONE) rc = cl_db_error(&s->d, src, "reading the sort index", err);
  else if (key.oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (rc || !in || !v->nb) goto out;
  const uint8_t *k = key.len ? (const uint8_t *)key.p : (const uint8_t *)"";
  const vbucket *b = cl__vw_bucket_of(v, k, (uint32_t)key.len, rid);
  if (!(st = cl_db_st(&s->d, CL_ST_SORTKEY_RANK, err))) {
    rc = cl_db_st_rc(&s->d);
    goto out;
  }
  sqlite3_bind_int(st, 1, v->t->def->code);
  sqlite3_bind_int(st, 2, !v->trash);
  sqlite3_bind_blob(st, 3, cl__vw_bkey(v, b), (int)b->klen, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, b->rid);
  sqlite3_bind_blob(st, 5, k, (int)key.len, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, rid);
  if ((src = sqlite3_step(st)) == SQLITE_ROW) *pos = b->start + sqlite3_column_int64(st, 0);
  else rc = cl_db_error(&s->d, src, "reading the sort index", err);
  sqlite3_reset(st);
  if (!rc && *pos >= v->n) *pos = -1; /* added since the build */
out:
  kt_buf_free(&key);
  return rc;
}

/* The rows of a search newest first with no filter, from the search index's
 * hits and the sort index's trash list (cl__hits_read): no record is read.
 * 1: the index cannot tell, build from the records. */
static int build_hits(cl_view *v, kt_err *err) {
  kt_buf q = KT_BUF_INIT, pq = KT_BUF_INIT;
  int64_t *rids = NULL, n = 0;
  int rc = cl__view_match(v->t, v->search, NULL, 0, false, &q, &pq, err);
  if (!rc) rc = cl__hits_read(v->r->s, v->t, kt_buf_str(&q), kt_buf_str(&pq), v->trash, &rids, &n, err);
  kt_buf_free(&q);
  kt_buf_free(&pq);
  if (rc) return rc;
  for (int64_t i = 0; !rc && i < n; i++) { /* newest first is already their order */
    size_t off = v->keys.len;
    key_rowid_desc(rids[i], &v->keys);
    rc = v->keys.oom ? kt_err_set(err, KT_ENOMEM, "out of memory building a list")
                     : cl__vw_push_row(v, rids[i], off, 8, err);
  }
  free(rids);
  for (int64_t i = 0; !rc && i < v->n; i++) {
    vrow *w = &v->rows[i];
    w->k = (const uint8_t *)v->keys.p + w->koff;
    w->head = cl__vw_key_head(w->k, w->klen);
  }
  return rc;
}

static int build(cl_view *v, kt_err *err);

/* Builds the whole of a view that holds only its first rows (build_walk). */
static int complete(cl_view *v, kt_err *err) {
  v->walk = false;
  int rc = build(v, err);
  v->walk = true;
  return rc;
}

static int build(cl_view *v, kt_err *err) {
  cl_store *s = v->r->s;
  int rc;
  if (v->gen != v->r->model_gen && (rc = resolve(v, err))) return rc;
  if (v->ix) {
    if ((rc = read_begin(s, err))) return rc;
    int64_t dv = cl_store_data_version(s);
    rc = cl__vw_build_ix(v, err);
    read_end(s);
    if (rc <= 0) {
      if (!rc) v->dv = dv;
      return rc;
    }
    v->ix = false; /* another collation: sort here */
  }
  vquery vq = {0};
  bool in_tx = false;
  if ((rc = read_begin(s, err))) return rc;
  in_tx = true;
  int64_t dv = cl_store_data_version(s);
  v->n = 0;
  kt_buf_reset(&v->keys);
  extra_free(v);
  if (v->hits) {
    if ((rc = build_hits(v, err)) <= 0) {
      if (!rc) v->dv = dv;
      goto out;
    }
    rc = 0;
    v->hits = false; /* no sort index to tell the trash: read the records */
  }
  v->walked = v->lazy = false;
  if (v->walk) {
    if ((rc = cl__vw_build_walk(v, err)) <= 0) {
      if (!rc) v->dv = dv;
      goto out;
    }
    rc = 0; /* few hits, or clustered late in the order: sort them here */
    v->n = 0;
    kt_buf_reset(&v->keys);
  }
  if ((rc = vquery_open(v, false, &vq, err))) goto out;
  for (int i = 0; i < v->nof; i++)
    if (cl__sorts_by_collation(v->of[i])) v->kc[i] = cl__kcache_new(); /* NULL: no cache */
  int src;
  while ((src = sqlite3_step(vq.st)) == SQLITE_ROW) {
    size_t off = v->keys.len;
    if (row_key(v, vq.st, &v->keys)) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory building a list");
      goto out;
    }
    if ((rc = cl__vw_push_row(v, sqlite3_column_int64(vq.st, 0), off, v->keys.len - off, err))) goto out;
  }
  if (src != SQLITE_DONE) {
    rc = cl_db_error(&s->d, src, "reading the card index", err);
    goto out;
  }
  static const uint8_t none[1];
  for (int64_t i = 0; i < v->n; i++) {
    vrow *w = &v->rows[i];
    w->k = v->keys.p ? (const uint8_t *)v->keys.p + w->koff : none;
    w->head = cl__vw_key_head(w->k, w->klen);
  }
  if (v->n > 1) qsort(v->rows, (size_t)v->n, sizeof *v->rows, cl__vw_row_sort);
  v->dv = dv;
out:
  for (int i = 0; i < CL__MAX_ORDER; i++) {
    cl__kcache_free(v->kc[i]);
    v->kc[i] = NULL;
  }
  vquery_close(&vq);
  if (in_tx) read_end(s);
  if (rc) v->n = 0;
  return rc;
}

/* The index of the row with this rowid, or -1 (a linear scan: the row's key
 * as built is not known any more). */
static int64_t index_of_rowid(const cl_view *v, int64_t rowid) {
  for (int64_t i = 0; i < v->n; i++)
    if (v->rows[i].rowid == rowid) return i;
  return -1;
}

/* The first index whose row is not below (key, rowid). */
static int64_t lower_bound(const cl_view *v, const uint8_t *key, uint32_t klen, int64_t rowid) {
  int64_t lo = 0, hi = v->n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    const vrow *m = &v->rows[mid];
    if (row_cmp(m->k, m->klen, m->rowid, key, klen, rowid) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Room for one more row and one more patched key. */
static int grow(cl_view *v, kt_err *err) {
  if (v->n == v->cap) {
    int64_t cap = v->cap ? v->cap * 2 : 1024;
    vrow *p = realloc(v->rows, (size_t)cap * sizeof *p);
    if (!p) return kt_err_set(err, KT_ENOMEM, "out of memory updating a list");
    v->rows = p;
    v->cap = cap;
  }
  if (v->nextra == v->capextra) {
    int cap = v->capextra ? v->capextra * 2 : 16;
    uint8_t **p = realloc(v->extra, (size_t)cap * sizeof *p);
    if (!p) return kt_err_set(err, KT_ENOMEM, "out of memory updating a list");
    v->extra = p;
    v->capextra = cap;
  }
  return 0;
}

/* Takes the row of rowid out of the view and puts it back where its current
 * values place it, if it still belongs (vq: the one-row query). */
static int patch_row(cl_view *v, vquery *vq, int64_t rowid, kt_err *err) {
  int64_t at = index_of_rowid(v, rowid);
  if (at >= 0) {
    memmove(&v->rows[at], &v->rows[at + 1], (size_t)(v->n - at - 1) * sizeof *v->rows);
    v->n--;
  }
  sqlite3_bind_int64(vq->st, vq->rowid_param, rowid);
  int src = sqlite3_step(vq->st);
  int rc = 0;
  if (src == SQLITE_ROW) {
    kt_buf key = KT_BUF_INIT;
    uint8_t *k = NULL;
    uint32_t klen = 0;
    if (!row_key(v, vq->st, &key) && !grow(v, err)) {
      klen = (uint32_t)key.len;
      k = klen ? (uint8_t *)kt_buf_take(&key) : calloc(1, 1);
    }
    if (!k) {
      kt_buf_free(&key);
      sqlite3_reset(vq->st);
      return kt_err_set(err, KT_ENOMEM, "out of memory updating a list");
    }
    v->extra[v->nextra++] = k;
    int64_t pos = lower_bound(v, k, klen, rowid);
    memmove(&v->rows[pos + 1], &v->rows[pos], (size_t)(v->n - pos) * sizeof *v->rows);
    v->rows[pos] = (vrow){cl__vw_key_head(k, klen), k, klen, 0, rowid};
    v->n++;
  } else if (src != SQLITE_DONE) {
    rc = cl_db_error(&v->r->s->d, src, "reading the card index", err);
  }
  sqlite3_reset(vq->st);
  return rc;
}

int cl_view_patch(cl_view *v, const char *const *ids, int n, kt_err *err) {
  if (n < 0 || (n && !ids)) return kt_err_set(err, KT_EINVAL, "bad list of changed cards");
  cl_store *s = v->r->s;
  int rc = cl__reader_sync_model(v->r, err);
  if (rc) return rc;
  /* many changes (or a new model): one build costs less than many moves */
  if (v->gen != v->r->model_gen || v->ix || v->lazy || n > 64 + v->n / 64) return build(v, err);
  if ((rc = read_begin(s, err))) return rc;
  int64_t dv = cl_store_data_version(s);
  vquery vq;
  bool rebuild = false;
  if ((rc = vquery_open(v, true, &vq, err))) {
    read_end(s);
    return rc;
  }
  for (int i = 0; !rc && !rebuild && i < n; i++) {
    kt_rec *rec = NULL;
    kt_err e2;
    int g = cl_store_get(s, ids[i], &rec, &e2);
    if (g == KT_ENOTFOUND) rebuild = true; /* removed from this PC: its rowid is gone */
    else if (g) rc = kt_err_set(err, g, "%s", e2.msg);
    else if (rec->type == v->t) rc = patch_row(v, &vq, rec->rowid, err);
    kt_rec_free(rec);
  }
  vquery_close(&vq);
  read_end(s);
  if (!rc && rebuild) return build(v, err);
  if (!rc) v->dv = dv;
  return rc;
}

/* ---- the API ------------------------------------------------------------------------------- */

static char *dup_or_null(const char *s, bool *oom) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *oom = true;
  return d;
}

int cl_view_open(cl_reader *r, const cl_view_spec *spec, cl_view **out, kt_err *err) {
  if (!spec || !spec->type)
    return kt_err_set(err, KT_EINVAL, "a list needs a type (org, contact, task, event, ...)");
  if (spec->nwhere < 0 || (spec->nwhere && !spec->where))
    return kt_err_set(err, KT_EINVAL, "bad filter list");
  cl_view *v = calloc(1, sizeof *v);
  if (!v) return kt_err_set(err, KT_ENOMEM, "out of memory");
  v->r = r;
  v->keys = (kt_buf)KT_BUF_INIT;
  v->bkeys = (kt_buf)KT_BUF_INIT;
  bool oom = false;
  v->type = dup_or_null(spec->type, &oom);
  v->search = dup_or_null(spec->search, &oom);
  v->sort = dup_or_null(spec->sort, &oom);
  v->desc = spec->desc;
  v->trash = spec->trash;
  v->nwhere = spec->nwhere;
  v->where = calloc((size_t)spec->nwhere + 1, sizeof *v->where);
  if (!v->where) oom = true;
  for (int i = 0; !oom && i < spec->nwhere; i++) {
    const cl_view_filter *f = &spec->where[i];
    if (!f->field || !f->value) {
      cl_view_free(v);
      return kt_err_set(err, KT_EINVAL, "filter %d: give FIELD, an operator and a value", i + 1);
    }
    v->where[i].op = f->op;
    v->where[i].field = dup_or_null(f->field, &oom);
    v->where[i].value = dup_or_null(f->value, &oom);
  }
  int rc;
  if (oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  else if (!(rc = resolve(v, err))) rc = build(v, err);
  if (rc) {
    cl_view_free(v);
    return rc;
  }
  *out = v;
  return 0;
}

void cl_view_free(cl_view *v) {
  if (!v) return;
  for (int i = 0; v->where && i < v->nwhere; i++) {
    free((char *)v->where[i].field);
    free((char *)v->where[i].value);
  }
  free(v->where);
  free(v->type);
  free(v->search);
  free(v->sort);
  free(v->rows);
  kt_buf_free(&v->keys);
  free(v->b);
  kt_buf_free(&v->bkeys);
  extra_free(v);
  free(v);
}

int64_t cl_view_count(const cl_view *v) { return v->lazy ? v->lazy_n : v->n; }
bool cl_view_indexed(const cl_view *v) { return v->ix; }
const char *cl_view_plan(const cl_view *v) {
  return v->ix       ? "sort index"
         : v->hits   ? "search index"
         : v->walked ? "sort index walk"
                     : "sorted in memory";
}

/* A view whose model the reader has replaced (a refresh after another
 * program changed custom fields) holds pointers into the freed one: build
 * it again against the new one before anything reads it. */
static int current(cl_view *v, kt_err *err) {
  return v->gen == v->r->model_gen ? 0 : build(v, err);
}

int64_t cl_view_known(const cl_view *v) { return v->n; }
int cl_view_complete(cl_view *v, kt_err *err) {
  int rc = current(v, err);
  return rc || !v->lazy ? rc : complete(v, err);
}

int cl_view_refresh(cl_view *v, bool *changed, kt_err *err) {
  int64_t dv = cl_store_data_version(v->r->s);
  bool ch = dv != v->dv || v->gen != v->r->model_gen;
  int rc = 0;
  if (ch && !(rc = cl__reader_sync_model(v->r, err))) rc = build(v, err);
  if (changed) *changed = ch;
  return rc;
}

int cl_view_page(cl_view *v, int64_t pos, int n, kt_rec **rows, int *got, kt_err *err) {
  *got = 0;
  if (pos < 0 || n < 0)
    return kt_err_set(err, KT_EINVAL, "bad page: position %lld, %d rows", (long long)pos, n);
  int rc = current(v, err);
  if (rc) return rc;
  int64_t count = cl_view_count(v);
  if (pos >= count || n == 0) return 0;
  if (n > count - pos) n = (int)(count - pos);
  if (v->lazy && pos + n > v->n && (rc = complete(v, err))) return rc;
  if (pos >= v->n) return 0; /* fewer rows since (a complete build reads a newer snapshot) */
  if (n > v->n - pos) n = (int)(v->n - pos);
  cl_store *s = v->r->s;
  int64_t *rids = malloc((size_t)n * sizeof *rids);
  if (!rids) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int nr = 0;
  if ((rc = read_begin(s, err))) {
    free(rids);
    return rc;
  }
  if (v->ix) rc = ix_rowids(v, pos, n, rids, &nr, err);
  else
    for (; nr < n; nr++) rids[nr] = v->rows[pos + nr].rowid;
  sqlite3_stmt *st = rc ? NULL : cl_db_tst(&s->d, v->t, CL_TST_BY_ROWID, err);
  if (!rc && !st) rc = cl_db_st_rc(&s->d);
  for (int i = 0; !rc && i < nr; i++) {
    sqlite3_bind_int64(st, 1, rids[i]);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
      kt_rec *rec = kt_rec_new(v->t);
      if (!rec) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      else if ((rc = kt_rec_load(rec, st, err)))
        kt_rec_free(rec);
      else
        rows[(*got)++] = rec;
    } else if (src != SQLITE_DONE) {
      rc = cl_db_error(&s->d, src, "reading the card index", err);
    }
    sqlite3_reset(st);
  }
  read_end(s);
  free(rids);
  if (rc) {
    for (int i = 0; i < *got; i++) kt_rec_free(rows[i]);
    *got = 0;
  }
  return rc;
}

int cl_view_find(cl_view *v, const char *id, int64_t *pos, kt_err *err) {
  int rc = current(v, err);
  if (rc) return rc;
  kt_rec *rec = NULL;
  rc = cl_store_get(v->r->s, id, &rec, err);
  if (rc) return rc;
  kt_buf key = KT_BUF_INIT;
  int64_t found = -1;
  if (rec->type != v->t) rc = KT_ENOTFOUND;
  for (int64_t i = 0; !rc && v->lazy && i < v->n && found < 0; i++)
    if (v->rows[i].rowid == rec->rowid) found = i; /* among the first rows */
  if (!rc && found < 0 && v->lazy) rc = complete(v, err);
  if (!rc && found < 0 && v->ix) {
    if (!(rc = read_begin(v->r->s, err))) {
      rc = ix_find(v, rec->rowid, &found, err);
      read_end(v->r->s);
    }
    if (!rc && found < 0) rc = KT_ENOTFOUND;
  } else if (!rc && found < 0) {
    rc = cl__vw_key_of_rec(v, rec, &key);
  }
  if (rc == KT_ENOMEM) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!rc && !v->ix && found < 0) {
    int64_t lo = 0, hi = v->n; /* first row not below (key, rowid) */
    while (lo < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      const vrow *m = &v->rows[mid];
      if (row_cmp(m->k, m->klen, m->rowid, (const uint8_t *)key.p, (uint32_t)key.len,
                  rec->rowid) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < v->n && v->rows[lo].rowid == rec->rowid) found = lo;
    for (int64_t i = 0; found < 0 && i < v->n; i++) /* changed since the build */
      if (v->rows[i].rowid == rec->rowid) found = i;
  }
  if (!rc && found < 0) rc = KT_ENOTFOUND;
  if (rc == KT_ENOTFOUND)
    rc = kt_err_set(err, KT_ENOTFOUND, "card %s is not in this list (refresh it if it was "
                    "just added)", id);
  kt_buf_free(&key);
  kt_rec_free(rec);
  if (!rc) *pos = found;
  return rc;
}

int cl_view_next(cl_view *v, const char *after, int n, kt_rec **rows, int *got, kt_err *err) {
  *got = 0;
  int64_t pos = -1;
  if (after) {
    int rc = cl_view_find(v, after, &pos, err);
    if (rc) return rc;
  }
  return cl_view_page(v, pos + 1, n, rows, got, err);
}

int cl_view_prev(cl_view *v, const char *before, int n, kt_rec **rows, int *got, kt_err *err) {
  *got = 0;
  int64_t end = cl_view_count(v);
  if (before) {
    int rc = cl_view_find(v, before, &end, err);
    if (rc) return rc;
  }
  if (n < 0) return kt_err_set(err, KT_EINVAL, "bad page: %d rows", n);
  int64_t start = end - n < 0 ? 0 : end - n;
  return cl_view_page(v, start, (int)(end - start), rows, got, err);
}
