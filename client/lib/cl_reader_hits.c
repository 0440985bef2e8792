/* cl_reader_hits — the search part of a reader's views (cl_reader_view.c).
 *
 * The queries: a view's search text becomes the search index queries of
 * `search` (cl__fts_query: each word a prefix; 3+ digits also the phone
 * trigram index). A view's '=' filter on a searchable text field narrows
 * the word query by the filter value's words: a record whose field folds to
 * the value has those words in its indexed body, so the narrowed match is
 * still a superset of the view's rows and the filter itself (evaluated on
 * the record by the view's query) decides. A search for "Ив" in Казань then
 * reads the records that hold both words, not every "Ив…".
 *
 * The rows of a search view newest first with no filter: the matching
 * rowids come from the search index (rowid order; no record is read), and
 * the trash flag from the stored sort index, which holds every record of a
 * user-facing type with its live flag, written in the same transaction as
 * the record and its search entries (cl__index_update): hits minus the
 * trash list (usually short; a long one is probed per hit instead). The
 * count is exact and costs ~50 ns per hit (the doclist), not a record read. */
#include "cl_reader_int.h"

#include <stdlib.h>
#include <string.h>

/* Whether the folded word w (n bytes) is one token for the index's
 * tokenizer: ASCII letters and digits and Cyrillic letters only (a folded
 * Latin letter is ASCII already). Other bytes may split it into a phrase,
 * which the index (detail=none) refuses: such a word does not narrow. */
static bool one_token(const unsigned char *w, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = w[i];
    if (c < 0x80) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
    } else if ((c == 0xd0 || c == 0xd1) && i + 1 < n && (w[i + 1] & 0xc0) == 0x80) {
      i++; /* U+0400..U+047F */
    } else {
      return false;
    }
  }
  return n > 0;
}

/* Appends the words of a filter value to q, each as a prefix phrase. */
static int narrow_by(const char *value, kt_buf *q) {
  kt_buf w = KT_BUF_INIT;
  int rc = cl__fts_query(value, &w);
  const char *p = kt_buf_str(&w);
  while (!rc && *p) { /* the phrases of cl__fts_query: "word"* separated by spaces */
    const char *open = strchr(p, '"');
    const char *close = open ? strchr(open + 1, '"') : NULL;
    if (!close) break;
    if (one_token((const unsigned char *)open + 1, (size_t)(close - open - 1))) {
      kt_buf_putc(q, ' ');
      kt_buf_append(q, open, (size_t)(close - open + 1));
      kt_buf_putc(q, '*');
    }
    p = close + 1;
    if (*p == '*') p++;
  }
  kt_buf_free(&w);
  return rc || q->oom ? KT_ENOMEM : 0;
}

int cl__view_match(kt_mtype *t, const char *search, const cl_filter *where, int nwhere,
                   bool narrow, kt_buf *q, kt_buf *pq, kt_err *err) {
  if (cl__fts_query(search, q)) return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!q->len)
    return kt_err_set(err, KT_EINVAL,
                      "nothing to search for: give a word, a name or a phone number");
  char digits[40];
  int nd = 0;
  for (const char *p = search; *p && nd < 39; p++)
    if (*p >= '0' && *p <= '9') digits[nd++] = *p;
  digits[nd] = '\0';
  if (nd >= 3) kt_buf_printf(pq, "\"%s\"", digits);
  for (int i = 0; narrow && i < nwhere; i++) {
    const kt_mfield *f = kt_mtype_field(t, where[i].field);
    if (!f || where[i].op != '=' || !(f->flags & KT_FF_SEARCH) || !where[i].value ||
        (f->type != KT_FT_TEXT && f->type != KT_FT_LONGTEXT))
      continue; /* what the filter means is left to the filter */
    if (narrow_by(where[i].value, q)) return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  return q->oom || pq->oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}

typedef struct i64s {
  int64_t *p;
  int64_t n, cap;
} i64s;

static int i64s_add(i64s *a, int64_t x) {
  if (a->n == a->cap) {
    int64_t cap = a->cap ? a->cap * 2 : 4096;
    int64_t *p = kt_realloc(a->p, (size_t)cap * sizeof *p);
    if (!p) return KT_ENOMEM;
    a->p = p;
    a->cap = cap;
  }
  a->p[a->n++] = x;
  return 0;
}

static int desc_cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x > y ? -1 : x < y;
}

/* The rowids of t's records the index `which` matches with query text,
 * newest first (the statement orders them). */
static int match_all(cl_store *s, cl_st which, kt_mtype *t, const char *text, i64s *out,
                     kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, which, err);
  if (!st) return cl_db_st_rc(&s->d);
  int64_t lo = FTS_ROWID(t->def->code, 0);
  sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, lo);
  sqlite3_bind_int64(st, 3, FTS_ROWID(t->def->code + 1, 0) - 1);
  sqlite3_bind_int64(st, 4, -1); /* no limit */
  int src, rc = 0;
  while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW)
    if (i64s_add(out, sqlite3_column_int64(st, 0) - lo)) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!rc && src != SQLITE_DONE) rc = cl_db_error(&s->d, src, "reading the search index", err);
  sqlite3_reset(st);
  return rc;
}

/* a and b (newest first, each without repeats) merged into a. */
static int merge_desc(i64s *a, const i64s *b, kt_err *err) {
  if (!b->n) return 0;
  i64s m = {0};
  int64_t i = 0, j = 0;
  int rc = 0;
  while (!rc && (i < a->n || j < b->n)) {
    int64_t x;
    if (j >= b->n || (i < a->n && a->p[i] > b->p[j])) x = a->p[i++];
    else if (i >= a->n || b->p[j] > a->p[i]) x = b->p[j++];
    else x = a->p[i++], j++;
    rc = i64s_add(&m, x);
  }
  if (rc) {
    free(m.p);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  free(a->p);
  *a = m;
  return 0;
}

static int step_int64(cl_store *s, sqlite3_stmt *st, int64_t *out, kt_err *err) {
  int src = sqlite3_step(st);
  if (src == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return src == SQLITE_ROW ? 0 : cl_db_error(&s->d, src, "reading the sort index", err);
}

/* Keeps the hits (newest first) that are in the trash (trash) or not. */
static int split_trash(cl_store *s, kt_mtype *t, bool trash, i64s *h, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_BUCKET_SUM, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, t->def->code);
  sqlite3_bind_int(st, 2, 0);
  int64_t ntrash = 0;
  int rc = step_int64(s, st, &ntrash, err);
  if (rc) return rc;
  int64_t kept = 0;
  if (ntrash <= 4 * h->n + 4096) { /* read the trash list, keep or drop the hits in it */
    i64s tr = {0};
    if (!(st = cl_db_st(&s->d, CL_ST_SORTKEY_RIDS, err))) return cl_db_st_rc(&s->d);
    sqlite3_bind_int(st, 1, t->def->code);
    sqlite3_bind_int(st, 2, 0);
    int src;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW)
      if (i64s_add(&tr, sqlite3_column_int64(st, 0))) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    if (!rc && src != SQLITE_DONE) rc = cl_db_error(&s->d, src, "reading the sort index", err);
    sqlite3_reset(st);
    if (!rc && tr.n > 1) qsort(tr.p, (size_t)tr.n, sizeof *tr.p, desc_cmp);
    for (int64_t i = 0, j = 0; !rc && i < h->n; i++) {
      while (j < tr.n && tr.p[j] > h->p[i]) j++;
      bool in = j < tr.n && tr.p[j] == h->p[i];
      if (in == trash) h->p[kept++] = h->p[i];
    }
    free(tr.p);
  } else { /* a long trash: ask the index about each hit */
    if (!(st = cl_db_st(&s->d, CL_ST_SORTKEY_OF, err))) return cl_db_st_rc(&s->d);
    for (int64_t i = 0; !rc && i < h->n; i++) {
      sqlite3_bind_int(st, 1, t->def->code);
      sqlite3_bind_int64(st, 2, h->p[i]);
      int src = sqlite3_step(st);
      if (src == SQLITE_ROW && sqlite3_column_int(st, 0) == !trash) h->p[kept++] = h->p[i];
      else if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = cl_db_error(&s->d, src, "reading the sort index", err);
      sqlite3_reset(st);
    }
  }
  if (!rc) h->n = kept;
  return rc;
}

int cl__hits_read(cl_store *s, kt_mtype *t, const char *q, const char *pq, bool trash,
                  int64_t **out, int64_t *n, kt_err *err) {
  const kt_mfield *of[CL__MAX_ORDER];
  if (!cl__sortix_fields(t, of)) return 1;
  kt_buf id = KT_BUF_INIT;
  int g = cl_db_meta_get_text(&s->d, "sort_index", &id, NULL);
  kt_buf_free(&id);
  if (g) return 1; /* not built yet: the trash flag is only in the records */
  i64s h = {0}, ph = {0};
  int rc = match_all(s, CL_ST_FTS_MATCH, t, q, &h, err);
  if (!rc && pq && *pq && !(rc = match_all(s, CL_ST_PHONE_MATCH, t, pq, &ph, err)))
    rc = merge_desc(&h, &ph, err);
  free(ph.p);
  if (!rc) rc = split_trash(s, t, trash, &h, err);
  if (rc) {
    free(h.p);
    return rc;
  }
  *out = h.p;
  *n = h.n;
  return 0;
}
