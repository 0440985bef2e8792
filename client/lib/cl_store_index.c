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
#include <string.h>

typedef struct pend_ent {
  int64_t rowid;
  size_t off;
  uint32_t len;
  int which; /* CL_ST_FTS_ADD or CL_ST_PHONE_ADD */
} pend_ent;

#define PEND_FLUSH_BYTES ((size_t)32 << 20)

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
int cl__pend_flush(cl_store *s, kt_err *err) {
  if (!s->npend) return 0;
  qsort(s->pend, s->npend, sizeof *s->pend, pend_cmp);
  int rc = 0;
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
  cl__pend_drop(s);
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

int cl_store_reindex(cl_store *s, kt_err *err) {
  int rc = cl__tx_begin(s, err);
  if (rc) return rc;
  cl__pend_drop(s); /* every record is indexed again below */
  static const cl_st clear[] = {CL_ST_FTS_CLEAR, CL_ST_PHONE_CLEAR};
  for (size_t i = 0; !rc && i < sizeof clear / sizeof clear[0]; i++) {
    sqlite3_stmt *st = cl_db_st(&s->d, clear[i], err);
    rc = st ? cl_db_step_done(&s->d, st, err) : cl_db_st_rc(&s->d);
  }
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
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
  return cl__tx_end(s, rc, err);
}
