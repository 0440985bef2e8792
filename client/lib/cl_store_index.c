/* cl_store_index — the replica's search index (contentless FTS5 over the
 * record bodies, a trigram index over phone numbers) and its rebuild.
 *
 * Inside a batch, the index entries of new records are queued and written in
 * rowid order when the batch commits (or before anything that reads or deletes
 * index entries): FTS5 flushes its in-memory segment whenever a rowid goes
 * down, and org/contact rowids interleave, so writing them as they come made
 * one tiny segment per few records and let merging dominate bulk imports. */
#include "cl_store_int.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

typedef struct pend_ent {
  int64_t rowid;
  size_t off;
  uint32_t len;
  int which; /* CL_ST_FTS_ADD or CL_ST_PHONE_ADD */
} pend_ent;

#define PEND_FLUSH_BYTES ((size_t)32 << 20)

static void skq_drop(cl_store *s);
static int skq_flush(cl_store *s, bool at_commit, kt_err *err);

/* ---- search index maintenance ----------------------------------------------------- */

static int build_body(const cl_rec *r, kt_buf *body) {
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (!(f->flags & KT_FF_SEARCH) || r->v[k].kind != KT_V_TEXT) continue;
    if (body->len) kt_buf_putc(body, ' ');
    if (kt_text_fold(r->v[k].s, strlen(r->v[k].s), body)) return KT_ENOMEM;
  }
  return body->oom ? KT_ENOMEM : 0;
}

static void build_phones(const cl_rec *r, kt_buf *out) {
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (f->type != KT_FT_PHONE || r->v[k].kind != KT_V_TEXT) continue;
    char digits[40];
    if (kt_phone_normalize(r->v[k].s, "7", digits, sizeof digits) <= 0) continue;
    if (out->len) kt_buf_putc(out, ' ');
    kt_buf_puts(out, digits);
  }
}

static int index_write(cl_store *s, const cl_rec *r, cl_st st_id, const kt_buf *text, kt_err *err) {
  if (!text->len) return 0;
  sqlite3_stmt *st = cl_db_st(&s->d, st_id, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int64(st, 1, FTS_ROWID(r->type->def->code, r->rowid));
  sqlite3_bind_text(st, 2, text->p, (int)text->len, SQLITE_STATIC);
  s->tx_fts_bytes += text->len;
  return cl_db_step_done(&s->d, st, err);
}

/* Forgets the queued index adds (after a flush or a rollback). */
void cl__pend_drop(cl_store *s) {
  skq_drop(s);
  s->npend = 0;
  kt_buf_reset(&s->pend_text);
  s->pend_text.oom = false;
}

static int pend_cmp(const void *a, const void *b) {
  const pend_ent *x = a, *y = b;
  if (x->which != y->which) return x->which < y->which ? -1 : 1;
  return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

/* Writes the queued index adds, in rowid order per index. */
static int pend_write(cl_store *s, kt_err *err);

int cl__pend_flush(cl_store *s, kt_err *err) {
  int rc = skq_flush(s, false, err);
  return rc ? rc : pend_write(s, err);
}

int cl__pend_commit(cl_store *s, kt_err *err) {
  int rc = skq_flush(s, true, err);
  return rc ? rc : pend_write(s, err);
}

static int pend_write(cl_store *s, kt_err *err) {
  int rc = 0;
  if (!s->npend) return 0;
  qsort(s->pend, s->npend, sizeof *s->pend, pend_cmp);
  for (size_t i = 0; !rc && i < s->npend; i++) {
    const pend_ent *e = &s->pend[i];
    sqlite3_stmt *st = cl_db_st(&s->d, (cl_st)e->which, err);
    if (!st) {
      rc = cl_db_st_rc(&s->d);
      break;
    }
    sqlite3_bind_int64(st, 1, e->rowid);
    sqlite3_bind_text(st, 2, s->pend_text.p + e->off, (int)e->len, SQLITE_STATIC);
    s->tx_fts_bytes += e->len;
    rc = cl_db_step_done(&s->d, st, err);
  }
  s->npend = 0;
  kt_buf_reset(&s->pend_text);
  s->pend_text.oom = false;
  return rc;
}

static int pend_add(cl_store *s, const cl_rec *r, cl_st which, const kt_buf *text, kt_err *err) {
  if (!text->len) return 0;
  if (s->npend == s->pend_cap) {
    size_t cap = s->pend_cap ? s->pend_cap * 2 : 1024;
    pend_ent *p = kt_realloc(s->pend, cap * sizeof *p);
    if (!p) return kt_err_set(err, KT_ENOMEM, "out of memory");
    s->pend = p;
    s->pend_cap = cap;
  }
  size_t off = s->pend_text.len;
  kt_buf_append(&s->pend_text, text->p, text->len);
  if (s->pend_text.oom) return kt_err_set(err, KT_ENOMEM, "out of memory");
  s->pend[s->npend++] = (pend_ent){FTS_ROWID(r->type->def->code, r->rowid), off,
                                   (uint32_t)text->len, (int)which};
  return 0;
}

/* Replaces the index entries of old (may be NULL) by those of r (may be NULL). */
int cl__index_update(cl_store *s, const cl_rec *old, const cl_rec *r, kt_err *err) {
  kt_buf ob = KT_BUF_INIT, nb = KT_BUF_INIT, op = KT_BUF_INIT, np = KT_BUF_INIT;
  int rc = 0;
  bool queue = s->in_batch && !old && r;
  if (!queue && (rc = cl__pend_flush(s, err))) return rc;
  if (old) {
    rc = build_body(old, &ob);
    build_phones(old, &op);
  }
  if (!rc && r) {
    rc = build_body(r, &nb);
    build_phones(r, &np);
  }
  if (rc) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  if (queue) {
    if (!(rc = pend_add(s, r, CL_ST_FTS_ADD, &nb, err)))
      rc = pend_add(s, r, CL_ST_PHONE_ADD, &np, err);
    if (!rc && s->pend_text.len > PEND_FLUSH_BYTES) rc = cl__pend_flush(s, err);
    goto out;
  }
  bool body_same = old && r && ob.len == nb.len && (!ob.len || memcmp(ob.p, nb.p, ob.len) == 0);
  bool phone_same = old && r && op.len == np.len && (!op.len || memcmp(op.p, np.p, op.len) == 0);
  if (!body_same) {
    if (old && (rc = index_write(s, old, CL_ST_FTS_DEL, &ob, err))) goto out;
    if (r && (rc = index_write(s, r, CL_ST_FTS_ADD, &nb, err))) goto out;
  }
  if (!phone_same) {
    if (old && (rc = index_write(s, old, CL_ST_PHONE_DEL, &op, err))) goto out;
    if (r && (rc = index_write(s, r, CL_ST_PHONE_ADD, &np, err))) goto out;
  }
out:
  if (!rc) rc = cl__sortix_update(s, old, r, err);
  kt_buf_free(&ob);
  kt_buf_free(&nb);
  kt_buf_free(&op);
  kt_buf_free(&np);
  return rc;
}

typedef struct reindex_ctx {
  cl_store *s;
  kt_err *err;
  int rc;
} reindex_ctx;

static int reindex_one(void *ud, const cl_rec *r) {
  reindex_ctx *c = ud;
  c->rc = cl__index_update(c->s, NULL, r, c->err);
  return c->rc;
}

/* Runs the parameterless statement a. */
static int run1(cl_store *s, cl_st a, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, a, err);
  return st ? cl_db_step_done(&s->d, st, err) : cl_db_st_rc(&s->d);
}

/* Runs the two parameterless statements a and b (emptying an index). */
static int run2(cl_store *s, cl_st a, cl_st b, kt_err *err) {
  int rc = run1(s, a, err);
  return rc ? rc : run1(s, b, err);
}

int cl_store_reindex(cl_store *s, kt_err *err) {
  int rc = cl__tx_begin(s, err);
  if (rc) return rc;
  cl__pend_drop(s); /* every record is indexed again below */
  rc = run2(s, CL_ST_FTS_CLEAR, CL_ST_PHONE_CLEAR, err);
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  s->sortix_off = true; /* rebuilt whole below */
  for (int i = 0; !rc && i < n; i++) {
    for (int trash = 0; !rc && trash < 2; trash++) {
      cl_query q = {.type = types[i].def->name, .trash = trash};
      reindex_ctx c = {s, err, 0};
      /* config types are not user-facing for kt_model_type_get: cl__walk directly */
      kt_buf sql = KT_BUF_INIT;
      cl_db_select_prefix(&types[i], &sql);
      kt_buf_printf(&sql, " WHERE deleted = %d", q.trash ? 1 : 0);
      sqlite3_stmt *st = NULL;
      rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
      kt_buf_free(&sql);
      if (rc != SQLITE_OK) {
        rc = cl_db_error(&s->d, rc, "reindexing", err);
        break;
      }
      rc = cl__walk(s, &types[i], st, reindex_one, &c, err);
      sqlite3_finalize(st);
      if (!rc) rc = c.rc;
    }
  }
  s->sortix_off = false;
  if (!rc) rc = cl__sortix_rebuild(s, err);
  return cl__tx_end(s, rc, err);
}

/* ---- sort keys ------------------------------------------------------------------------- */

/* Sort keys of recent texts (names repeat: surnames, first names, cities),
 * while a list or the sort index is built: an ICU sort key costs ~1.5 us. */
enum { KCACHE = 4096 };
typedef struct kc_ent {
  uint64_t h;
  char *s;
  uint32_t slen, klen;
  uint8_t *k;
} kc_ent;
struct cl__kcache {
  kc_ent e[KCACHE];
};

cl__kcache *cl__kcache_new(void) { return kt_calloc(1, sizeof(cl__kcache)); }

void cl__kcache_free(cl__kcache *c) {
  if (!c) return;
  for (int i = 0; i < KCACHE; i++) {
    free(c->e[i].s);
    free(c->e[i].k);
  }
  free(c);
}

/* The collation key of s through the cache c (may be NULL). */
static int coll_key(const kt_collator *coll, cl__kcache *c, const char *s, size_t n, kt_buf *out) {
  if (!c || n > 256) return kt_collate_key(coll, s, n, out);
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  kc_ent *e = &c->e[h & (KCACHE - 1)];
  if (e->s && e->h == h && e->slen == n && memcmp(e->s, s, n) == 0) {
    kt_buf_append(out, e->k, e->klen);
    return out->oom ? KT_ENOMEM : 0;
  }
  size_t start = out->len;
  if (kt_collate_key(coll, s, n, out)) return KT_ENOMEM;
  char *sc = kt_malloc(n + 1);
  uint8_t *kc = kt_malloc(out->len - start);
  if (!sc || !kc) { /* the cache is only a help */
    free(sc);
    free(kc);
    return 0;
  }
  memcpy(sc, s, n);
  memcpy(kc, out->p + start, out->len - start);
  free(e->s);
  free(e->k);
  *e = (kc_ent){h, sc, (uint32_t)n, (uint32_t)(out->len - start), kc};
  return 0;
}

int cl__key_part(const kt_collator *coll, const kt_mfield *f, bool desc, cl__kcache *c,
                 kt_vkind kind, int64_t i, const char *s, size_t n, kt_buf *out) {
  if (kind == KT_V_NULL) {
    kt_buf_putc(out, 1); /* after every value, in either direction */
    return out->oom ? KT_ENOMEM : 0;
  }
  kt_buf_putc(out, 0);
  size_t start = out->len;
  if (kind == KT_V_INT) {
    uint64_t u = (uint64_t)i ^ 0x8000000000000000ull;
    uint8_t b[8];
    for (int k = 0; k < 8; k++) b[k] = (uint8_t)(u >> (56 - 8 * k));
    kt_buf_append(out, b, 8);
  } else if (!cl__sorts_by_collation(f)) {
    kt_buf_append(out, s, n); /* a plain date: its text orders it */
    kt_buf_putc(out, 0);
  } else if (coll_key(coll, c, s, n, out)) {
    return KT_ENOMEM;
  }
  if (out->oom) return KT_ENOMEM;
  if (desc)
    for (size_t k = start; k < out->len; k++) out->p[k] = (char)~(unsigned char)out->p[k];
  return 0;
}

int cl__key_of_rec(const kt_collator *coll, const kt_mfield *const *of, int nof, bool desc,
                   cl__kcache *c, const kt_rec *rec, kt_buf *out) {
  for (int i = 0; i < nof; i++) {
    const kt_value *val = &rec->v[of[i] - rec->type->fields];
    int rc = cl__key_part(coll, of[i], desc, c, val->kind, val->i, val->s,
                          val->s ? strlen(val->s) : 0, out);
    if (rc) return rc;
  }
  return 0;
}

/* ---- the sort index (migration 0021) ---------------------------------------------------- */

/* A bucket is split when it passes this many keys: row N of a list is then
 * at most this many index steps from the bucket it falls in. */
enum { BUCKET_MAX = 1024 };

/* The fields of t's default order when t has a sort index (the registry's
 * user-facing types), else 0. */
int cl__sortix_fields(const kt_mtype *t, const kt_mfield **of) {
  if (!(t->def->flags & KT_TF_USER)) return 0;
  return cl__order_fields(t, NULL, of, CL__MAX_ORDER);
}

/* The collator the stored keys are made with: the one the index was built
 * with (meta 'sort_index'), else the store's own. */
static const kt_collator *sk_coll(const cl_store *s) { return s->skcoll ? s->skcoll : s->d.coll; }

void cl__sortix_id(const kt_collator *c, char *out, size_t n) {
  char id[96];
  kt_collator_id(c, id, sizeof id);
  snprintf(out, n, "1 %s", id); /* 1: the key format of cl__key_part */
}

static void bind_key(sqlite3_stmt *st, int t, int live, const void *k, size_t klen, int64_t rid) {
  sqlite3_bind_int(st, 1, t);
  sqlite3_bind_int(st, 2, live);
  sqlite3_bind_blob(st, 3, klen ? k : "", (int)klen, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, rid);
}

static int st_key(cl_store *s, cl_st which, int t, int live, const void *k, size_t klen,
                  int64_t rid, int64_t n, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, which, err);
  if (!st) return cl_db_st_rc(&s->d);
  bind_key(st, t, live, k, klen, rid);
  if (which == CL_ST_BUCKET_ADD || which == CL_ST_BUCKET_SET) sqlite3_bind_int64(st, 5, n);
  return cl_db_step_done(&s->d, st, err);
}

/* The bucket holding (k, rid) (which CL_ST_BUCKET_FIND) or the next one after it
 * (CL_ST_BUCKET_NEXT): its start into *bk / *brid, its count into *n (FIND
 * only; n may be NULL); *found false when there is none. */
static int bucket_row(cl_store *s, cl_st which, int t, int live, const void *k, size_t klen,
                      int64_t rid, kt_buf *bk, int64_t *brid, int64_t *n, bool *found,
                      kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, which, err);
  if (!st) return cl_db_st_rc(&s->d);
  bind_key(st, t, live, k, klen, rid);
  int src = sqlite3_step(st);
  *found = src == SQLITE_ROW;
  if (*found) {
    kt_buf_reset(bk);
    kt_buf_append(bk, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    *brid = sqlite3_column_int64(st, 1);
    if (n) *n = sqlite3_column_int64(st, 2);
  }
  sqlite3_reset(st);
  if (src != SQLITE_ROW && src != SQLITE_DONE) return cl_db_error(&s->d, src, "reading the sort index", err);
  return bk->oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}

static int bucket_find(cl_store *s, int t, int live, const void *k, size_t klen, int64_t rid,
                       kt_buf *bk, int64_t *brid, int64_t *n, bool *found, kt_err *err) {
  return bucket_row(s, CL_ST_BUCKET_FIND, t, live, k, klen, rid, bk, brid, n, found, err);
}

/* Splits the bucket starting at (bk, brid) with n keys in two halves. */
static int bucket_split(cl_store *s, int t, int live, const kt_buf *bk, int64_t brid, int64_t n,
                        kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_SORTKEY_NTH, err);
  if (!st) return cl_db_st_rc(&s->d);
  bind_key(st, t, live, bk->p, bk->len, brid);
  sqlite3_bind_int64(st, 5, 1);
  sqlite3_bind_int64(st, 6, n / 2);
  int src = sqlite3_step(st);
  kt_buf mk = KT_BUF_INIT;
  int64_t mrid = 0;
  if (src == SQLITE_ROW) {
    kt_buf_append(&mk, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    mrid = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  int rc = 0;
  if (src != SQLITE_ROW) rc = cl_db_error(&s->d, src, "reading the sort index", err);
  else if (mk.oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!rc) rc = st_key(s, CL_ST_BUCKET_SET, t, live, bk->p, bk->len, brid, n / 2, err);
  if (!rc) rc = st_key(s, CL_ST_BUCKET_ADD, t, live, mk.p, mk.len, mrid, n - n / 2, err);
  kt_buf_free(&mk);
  return rc;
}

/* ---- a batch's new keys ------------------------------------------------------------------
 * Inside a batch (a pull's pages, an import) a new record's key is queued and
 * the queue is written at the flush (the commit, or before anything touches
 * an existing record's key) sorted by (t, live, k, rid): the keys go into the
 * B-tree in order and each bucket they fall in is found and counted once, not
 * once per key (a fresh replica's pull spent ~13% of its time on three
 * statements per record here). */

typedef struct skq_ent {
  int t, live;
  uint32_t off, len;
  int64_t rid;
  const uint8_t *k; /* into skq_keys, set at the flush */
} skq_ent;

/* Forgets the keys queued since the last commit (a rollback); those kept
 * from committed batches stay. */
static void skq_drop(cl_store *s) {
  s->nskq = s->nskq_held;
  s->skq_keys.len = s->skq_held_len;
  s->skq_keys.oom = false;
  if (!s->nskq) {
    kt_buf_reset(&s->skq_keys);
    cl__kcache_free(s->skq_kc);
    s->skq_kc = NULL;
  }
}

/* Forgets every queued key, kept ones too (the index is rebuilt whole). */
static void skq_drop_all(cl_store *s) {
  s->nskq_held = s->skq_held_len = 0;
  s->skq_holding = false;
  skq_drop(s);
}

static int skq_add(cl_store *s, int t, const kt_mfield *const *of, int nof, const cl_rec *r,
                   kt_err *err) {
  if (s->nskq == s->skq_cap) {
    size_t cap = s->skq_cap ? s->skq_cap * 2 : 1024;
    skq_ent *p = kt_realloc(s->skq, cap * sizeof *p);
    if (!p) return kt_err_set(err, KT_ENOMEM, "out of memory");
    s->skq = p;
    s->skq_cap = cap;
  }
  if (!s->skq_kc) s->skq_kc = cl__kcache_new(); /* NULL: no cache, still right */
  size_t off = s->skq_keys.len;
  if (cl__key_of_rec(sk_coll(s), of, nof, false, s->skq_kc, r, &s->skq_keys) ||
      s->skq_keys.oom || s->skq_keys.len > UINT32_MAX)
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  s->skq[s->nskq++] = (skq_ent){t, !cl_rec_deleted(r), (uint32_t)off,
                                (uint32_t)(s->skq_keys.len - off), r->rowid, NULL};
  return 0;
}

int cl__key_cmp(const void *a, size_t alen, int64_t arid, const void *b, size_t blen,
                int64_t brid) {
  size_t m = alen < blen ? alen : blen;
  int c = m ? memcmp(a, b, m) : 0;
  if (c) return c;
  if (alen != blen) return alen < blen ? -1 : 1;
  return arid < brid ? -1 : arid > brid;
}

static int skq_cmp(const void *a, const void *b) {
  const skq_ent *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  if (x->live != y->live) return x->live < y->live ? -1 : 1;
  return cl__key_cmp(x->k, x->len, x->rid, y->k, y->len, y->rid);
}

/* Cuts the bucket starting at (bk, brid), which holds n > BUCKET_MAX keys, into
 * buckets of at most BUCKET_MAX / 2 keys: one walk over its keys. */
static int bucket_cut(cl_store *s, int t, int live, const kt_buf *bk, int64_t brid, int64_t n,
                      kt_err *err) {
  int64_t parts = (n + BUCKET_MAX / 2 - 1) / (BUCKET_MAX / 2);
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_SORTKEY_NTH, err);
  if (!st) return cl_db_st_rc(&s->d);
  bind_key(st, t, live, bk->p, bk->len, brid);
  sqlite3_bind_int64(st, 5, n);
  sqlite3_bind_int64(st, 6, 0);
  /* part p starts at key p * n / parts: the starts are read first (the walk
     must end before the bucket table is written) */
  typedef struct cut { int64_t rid, n; size_t off, len; } cut;
  cut *c = kt_calloc((size_t)parts, sizeof *c);
  kt_buf ks = KT_BUF_INIT;
  int rc = c ? 0 : kt_err_set(err, KT_ENOMEM, "out of memory");
  int64_t i = 0, p = 0;
  int src = SQLITE_DONE;
  while (!rc && p < parts && (src = sqlite3_step(st)) == SQLITE_ROW) {
    if (i == p * n / parts) {
      c[p].off = ks.len;
      c[p].len = (size_t)sqlite3_column_bytes(st, 0);
      kt_buf_append(&ks, sqlite3_column_blob(st, 0), c[p].len);
      c[p].rid = sqlite3_column_int64(st, 1);
      c[p].n = (p + 1) * n / parts - p * n / parts;
      p++;
    }
    i++;
  }
  sqlite3_reset(st);
  if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
    rc = cl_db_error(&s->d, src, "reading the sort index", err);
  else if (!rc && ks.oom)
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  else if (!rc && p < parts)
    rc = kt_err_set(err, KT_EDB, "the sort index counts more keys than it holds: run "
                    "`kartoteka repair`");
  if (!rc) rc = st_key(s, CL_ST_BUCKET_SET, t, live, bk->p, bk->len, brid, c[0].n, err);
  for (int64_t q = 1; !rc && q < parts; q++)
    rc = st_key(s, CL_ST_BUCKET_ADD, t, live, ks.p + c[q].off, c[q].len, c[q].rid, c[q].n, err);
  kt_buf_free(&ks);
  free(c);
  return rc;
}

/* Writes the queued keys of one (t, live) list, e[0..m) in key order. */
static int skq_write_list(cl_store *s, const skq_ent *e, size_t m, kt_err *err) {
  int t = e[0].t, live = e[0].live, rc = 0;
  kt_buf bk = KT_BUF_INIT, nk = KT_BUF_INIT;
  for (size_t i = 0; !rc && i < m; i++)
    rc = st_key(s, CL_ST_SORTKEY_ADD, t, live, e[i].k, e[i].len, e[i].rid, 0, err);
  for (size_t i = 0, j; !rc && i < m; i = j) {
    int64_t brid = 0, n = 0, nrid = 0;
    bool found = false, more = false;
    rc = bucket_find(s, t, live, e[i].k, e[i].len, e[i].rid, &bk, &brid, &n, &found, err);
    if (!rc && found)
      rc = bucket_row(s, CL_ST_BUCKET_NEXT, t, live, bk.p, bk.len, brid, &nk, &nrid, NULL, &more,
                      err);
    if (rc) break;
    j = i + 1; /* the keys that fall in this bucket (all of them when it is the last) */
    while (j < m && (!more || cl__key_cmp(e[j].k, e[j].len, e[j].rid, nk.p, nk.len, nrid) < 0)) j++;
    n += (int64_t)(j - i);
    if (!found) { /* the list's first bucket */
      kt_buf_reset(&bk);
      brid = 0;
      rc = st_key(s, CL_ST_BUCKET_ADD, t, live, "", 0, 0, n, err);
    } else {
      rc = st_key(s, CL_ST_BUCKET_SET, t, live, bk.p, bk.len, brid, n, err);
    }
    if (!rc && n > BUCKET_MAX) rc = bucket_cut(s, t, live, &bk, brid, n, err);
  }
  kt_buf_free(&bk);
  kt_buf_free(&nk);
  return rc;
}

/* Whether the keys queued since the last commit may be kept for the end of
 * the pull: a pulled batch that is not a live update, every list they go to
 * still empty in the index, the queue not too large. */
enum { HOLD_MAX_KEYS = 4 << 20, HOLD_MAX_BYTES = 256 << 20 };
static int skq_may_hold(cl_store *s, bool *hold, kt_err *err) {
  *hold = s->relaxed && !s->defer_merge && s->nskq <= HOLD_MAX_KEYS &&
          s->skq_keys.len <= HOLD_MAX_BYTES;
  struct { int t, live; } seen[64];
  int nseen = 0;
  kt_buf bk = KT_BUF_INIT;
  int rc = 0;
  for (size_t i = s->nskq_held; !rc && *hold && i < s->nskq; i++) {
    const skq_ent *e = &s->skq[i];
    bool known = false;
    for (int k = 0; k < nseen && !known; k++) known = seen[k].t == e->t && seen[k].live == e->live;
    if (known) continue;
    if (nseen == 64) {
      *hold = false;
      break;
    }
    seen[nseen].t = e->t;
    seen[nseen++].live = e->live;
    int64_t brid, n;
    bool found = false;
    rc = bucket_find(s, e->t, e->live, "", 0, 0, &bk, &brid, &n, &found, err);
    if (found) *hold = false;
  }
  kt_buf_free(&bk);
  return rc;
}

static int skq_flush(cl_store *s, bool at_commit, kt_err *err) {
  int rc = 0;
  if (s->skq_holding) { /* another program rebuilt the index meanwhile: it holds the kept keys */
    kt_buf id = KT_BUF_INIT;
    bool rebuilt = cl_db_meta_get_text(&s->d, "sort_index", &id, NULL) == 0;
    kt_buf_free(&id);
    if (rebuilt) {
      memmove(s->skq, s->skq + s->nskq_held, (s->nskq - s->nskq_held) * sizeof *s->skq);
      s->nskq -= s->nskq_held;
      s->nskq_held = 0;
      s->skq_holding = false;
    }
  }
  if (!s->nskq) return 0;
  bool hold = false;
  if (at_commit && (rc = skq_may_hold(s, &hold, err))) return rc;
  if (hold) {
    if (!s->skq_holding) {
      sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_META_DEL, err);
      if (!st) return cl_db_st_rc(&s->d);
      sqlite3_bind_text(st, 1, "sort_index", -1, SQLITE_STATIC);
      if ((rc = cl_db_step_done(&s->d, st, err))) return rc;
      s->skq_holding = true;
    }
    s->nskq_held = s->nskq;
    s->skq_held_len = s->skq_keys.len;
    return 0;
  }
  for (size_t i = 0; i < s->nskq; i++) s->skq[i].k = (const uint8_t *)s->skq_keys.p + s->skq[i].off;
  qsort(s->skq, s->nskq, sizeof *s->skq, skq_cmp);
  for (size_t i = 0, j; !rc && i < s->nskq; i = j) {
    for (j = i + 1; j < s->nskq && s->skq[j].t == s->skq[i].t && s->skq[j].live == s->skq[i].live;)
      j++;
    rc = skq_write_list(s, &s->skq[i], j - i, err);
  }
  if (!rc && s->skq_holding) { /* complete again */
    char id[128];
    cl__sortix_id(sk_coll(s), id, sizeof id);
    rc = cl_db_meta_set_text(&s->d, "sort_index", id, err);
  }
  if (rc) { /* the caller rolls back: the kept keys cannot be told apart any more (sorted
               with the batch's), so the index stays marked unbuilt (meta 'sort_index'
               absent) and untouched until a reindex or the next open rebuilds it */
    if (s->skq_holding) s->sortix_off = true;
    skq_drop_all(s);
    return rc;
  }
  s->nskq = s->nskq_held = s->skq_held_len = 0;
  s->skq_holding = false;
  kt_buf_reset(&s->skq_keys);
  return 0;
}

/* Whether the sort index holds no key at all. */
static int sortkey_empty(cl_store *s, bool *empty, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_SORTKEY_ANY, err);
  if (!st) return cl_db_st_rc(&s->d);
  int src = sqlite3_step(st);
  sqlite3_reset(st);
  *empty = src == SQLITE_DONE;
  return src == SQLITE_ROW || src == SQLITE_DONE ? 0 : cl_db_error(&s->d, src, "reading the sort index", err);
}

/* From this many kept keys into an empty index, its lookup by (t, rid) is
 * dropped for the write and made again after it: one sort of every key
 * instead of an insert at a random place per key (the keys go in key order). */
enum { REC_AFTER_MIN = 2048 };

int cl_store_flush_held(cl_store *s, kt_err *err) {
  if (!s->nskq_held) return 0;
  if (s->in_batch) return kt_err_set(err, KT_EINVAL, "writing the kept sort keys inside a batch");
  int rc = cl_store_begin_pulled(s, false, err);
  bool remake = false;
  if (!rc && s->nskq_held >= REC_AFTER_MIN) rc = sortkey_empty(s, &remake, err);
  if (!rc && remake) rc = run1(s, CL_ST_SORTKEY_REC_DROP, err);
  if (!rc) rc = skq_flush(s, false, err);
  if (!rc && remake) rc = run1(s, CL_ST_SORTKEY_REC_MAKE, err);
  if (rc) {
    cl_store_rollback(s);
    return rc;
  }
  return cl_store_commit(s, err);
}

/* Adds (delta 1) or removes (-1) the key (k, rid) of a (t, live) list. */
static int sortix_put(cl_store *s, int t, int live, const kt_buf *k, int64_t rid, int delta,
                      kt_err *err) {
  int rc = st_key(s, delta > 0 ? CL_ST_SORTKEY_ADD : CL_ST_SORTKEY_DEL, t, live, k->p, k->len,
                  rid, 0, err);
  kt_buf bk = KT_BUF_INIT;
  int64_t brid = 0, n = 0;
  bool found = false;
  if (!rc) rc = bucket_find(s, t, live, k->p, k->len, rid, &bk, &brid, &n, &found, err);
  if (!rc && !found && delta > 0)
    rc = st_key(s, CL_ST_BUCKET_ADD, t, live, "", 0, 0, 1, err); /* the first bucket */
  else if (!rc && found && n + delta <= 0 && bk.len)
    rc = st_key(s, CL_ST_BUCKET_DEL, t, live, bk.p, bk.len, brid, 0, err);
  else if (!rc && found)
    rc = st_key(s, CL_ST_BUCKET_SET, t, live, bk.p, bk.len, brid, n + delta < 0 ? 0 : n + delta,
                err);
  if (!rc && found && n + delta > BUCKET_MAX) rc = bucket_split(s, t, live, &bk, brid, n + delta, err);
  kt_buf_free(&bk);
  return rc;
}

int cl__sortix_update(cl_store *s, const cl_rec *old, const cl_rec *r, kt_err *err) {
  const cl_rec *any = r ? r : old;
  const kt_mfield *of[CL__MAX_ORDER];
  int nof = s->sortix_off ? 0 : cl__sortix_fields(any->type, of);
  if (!nof) return 0;
  int t = any->type->def->code;
  if (s->in_batch && !old && r) return skq_add(s, t, of, nof, r, err);
  kt_buf ok = KT_BUF_INIT, nk = KT_BUF_INIT;
  int rc = 0, olive = -1;
  if (old) { /* the key as stored (the record's values may not say what it was built from) */
    sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_SORTKEY_OF, err);
    if (!st) return cl_db_st_rc(&s->d);
    sqlite3_bind_int(st, 1, t);
    sqlite3_bind_int64(st, 2, old->rowid);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
      olive = sqlite3_column_int(st, 0);
      kt_buf_append(&ok, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
    }
    sqlite3_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE) rc = cl_db_error(&s->d, src, "reading the sort index", err);
  }
  int nlive = r ? !cl_rec_deleted(r) : -1;
  if (!rc && r && cl__key_of_rec(sk_coll(s), of, nof, false, NULL, r, &nk))
    rc = KT_ENOMEM;
  if (!rc && (ok.oom || nk.oom)) rc = KT_ENOMEM;
  if (rc == KT_ENOMEM) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  bool same = olive == nlive && ok.len == nk.len && (!ok.len || memcmp(ok.p, nk.p, ok.len) == 0);
  if (!rc && !same && olive >= 0) rc = sortix_put(s, t, olive, &ok, old->rowid, -1, err);
  if (!rc && !same && r) rc = sortix_put(s, t, nlive, &nk, r->rowid, 1, err);
  kt_buf_free(&ok);
  kt_buf_free(&nk);
  return rc;
}

/* One record's key while the whole index is built. */
typedef struct bkey {
  int live;
  uint32_t off, len;
  int64_t rid;
  const uint8_t *k; /* into the keys, once they are all read */
} bkey;

typedef struct build_ctx {
  cl_store *s;
  const kt_mfield *of[CL__MAX_ORDER];
  int nof;
  cl__kcache *kc;
  kt_buf keys;
  bkey *v;
  size_t n, cap;
  kt_err *err;
} build_ctx;

static int build_one(void *ud, const cl_rec *r) {
  build_ctx *c = ud;
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 4096;
    bkey *p = kt_realloc(c->v, cap * sizeof *p);
    if (!p) return kt_err_set(c->err, KT_ENOMEM, "out of memory building the sort index");
    c->v = p;
    c->cap = cap;
  }
  size_t off = c->keys.len;
  if (cl__key_of_rec(sk_coll(c->s), c->of, c->nof, false, c->kc, r, &c->keys) || c->keys.oom ||
      c->keys.len > UINT32_MAX)
    return kt_err_set(c->err, KT_ENOMEM, "out of memory building the sort index");
  c->v[c->n++] = (bkey){!cl_rec_deleted(r), (uint32_t)off, (uint32_t)(c->keys.len - off), r->rowid,
                        NULL};
  return 0;
}

static int bkey_cmp(const void *a, const void *b) {
  const bkey *x = a, *y = b;
  if (x->live != y->live) return x->live < y->live ? -1 : 1;
  return cl__key_cmp(x->k, x->len, x->rid, y->k, y->len, y->rid);
}

/* Builds the keys and buckets of every record of t (the index is empty). */
static int build_type(cl_store *s, kt_mtype *t, kt_err *err) {
  build_ctx c = {.s = s, .keys = KT_BUF_INIT, .err = err};
  if (!(c.nof = cl__sortix_fields(t, c.of))) return 0;
  kt_buf sql = KT_BUF_INIT;
  cl_db_select_prefix(t, &sql);
  sqlite3_stmt *st = NULL;
  int rc = sql.oom ? SQLITE_NOMEM : sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
  kt_buf_free(&sql);
  if (rc != SQLITE_OK) return cl_db_error(&s->d, rc, "building the sort index", err);
  c.kc = cl__kcache_new();
  rc = cl__walk(s, t, st, build_one, &c, err);
  sqlite3_finalize(st);
  for (size_t i = 0; !rc && i < c.n; i++) c.v[i].k = (const uint8_t *)c.keys.p + c.v[i].off;
  if (!rc && c.n > 1) qsort(c.v, c.n, sizeof *c.v, bkey_cmp);
  int code = t->def->code;
  for (size_t i = 0, start = 0; !rc && i < c.n; i++) {
    const bkey *e = &c.v[i];
    const uint8_t *k = e->k;
    if (i == start || e->live != c.v[i - 1].live) start = i;
    if ((i - start) % (BUCKET_MAX / 2) == 0) { /* a new bucket: count its keys */
      size_t j = i;
      while (j < c.n && c.v[j].live == e->live && j - i < BUCKET_MAX / 2) j++;
      rc = i == start ? st_key(s, CL_ST_BUCKET_ADD, code, e->live, "", 0, 0, (int64_t)(j - i), err)
                      : st_key(s, CL_ST_BUCKET_ADD, code, e->live, k, e->len, e->rid,
                               (int64_t)(j - i), err);
    }
    if (!rc) rc = st_key(s, CL_ST_SORTKEY_ADD, code, e->live, k, e->len, e->rid, 0, err);
  }
  cl__kcache_free(c.kc);
  kt_buf_free(&c.keys);
  free(c.v);
  return rc;
}

int cl__sortix_rebuild(cl_store *s, kt_err *err) {
  skq_drop_all(s); /* every record's key is built below */
  kt_collator_free(s->skcoll); /* built again with the store's own collator */
  s->skcoll = NULL;
  int rc = run2(s, CL_ST_SORTKEY_CLEAR, CL_ST_BUCKET_CLEAR, err);
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  for (int i = 0; !rc && i < n; i++) rc = build_type(s, &types[i], err);
  char id[128];
  cl__sortix_id(s->d.coll, id, sizeof id);
  if (!rc) rc = cl_db_meta_set_text(&s->d, "sort_index", id, err);
  return rc;
}

int cl__sortix_check(cl_store *s, kt_err *err) {
  char id[128], loc[64] = "";
  kt_buf cur = KT_BUF_INIT;
  int g = cl_db_meta_get_text(&s->d, "sort_index", &cur, NULL);
  bool same = false;
  /* "1 LOCALE VERSION": keep the index's locale when this ICU still makes the
     same keys for it (a program run under another LANG must not rebuild it) */
  if (g == 0 && !cur.oom && sscanf(kt_buf_str(&cur), "1 %63s", loc) == 1) {
    kt_collator *c = NULL;
    if (kt_collator_new(strcmp(loc, "root") ? loc : "", &c, NULL) == 0) {
      cl__sortix_id(c, id, sizeof id);
      if ((same = strcmp(kt_buf_str(&cur), id) == 0)) {
        kt_collator_free(s->skcoll);
        s->skcoll = c;
      } else {
        kt_collator_free(c);
      }
    }
  }
  kt_buf_free(&cur);
  if (same) return 0;
  int rc = cl__tx_begin(s, err);
  if (!rc) rc = cl__sortix_rebuild(s, err);
  return cl__tx_end(s, rc, err);
}
