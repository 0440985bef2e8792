/* cl_store_query — reading the replica: get, list (filters, order), related
 * cards, full-text search, reference titles and the dump. */
#include "cl_store_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_i18n.h"

/* Where a card that is not on this PC would be, in words: a connected replica
 * holds only the user's part of the office's base. */
const char *cl__not_here(cl_store *s) {
  return cl_store_connected(s) ? KT_(" in your part of the base: it does not exist, or it is not "
                                     "yours to see (a card a colleague just made comes with the "
                                     "next `kartoteka sync`)")
                               : KT_(" in this card index");
}

/* Finds the type and rowid of a record id: KT_ENOTFOUND when absent. */
int cl__locate(cl_store *s, const char *id, cl_rec **out, kt_err *err) {
  if (!kt_uuid_str_is_valid(id))
    return kt_err_set(err, KT_EINVAL,
                      "'%s' is not a card id (ids look like 0193a1b2-...; see `kartoteka list "
                      "TYPE` or `kartoteka search TEXT`)",
                      id);
  char low[KT_UUID_STRLEN + 1];
  for (int i = 0; i <= KT_UUID_STRLEN; i++) low[i] = (char)tolower((unsigned char)id[i]);
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  for (int i = 0; i < n; i++) {
    sqlite3_stmt *st = cl_db_tst(&s->d, &types[i], CL_TST_BY_ID, err);
    if (!st) return cl_db_st_rc(&s->d);
    sqlite3_bind_text(st, 1, low, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      cl_rec *r = cl_rec_new(&types[i]);
      if (!r) {
        sqlite3_reset(st);
        return kt_err_set(err, KT_ENOMEM, "out of memory");
      }
      int lrc = kt_rec_load(r, st, err);
      sqlite3_reset(st);
      if (lrc) {
        cl_rec_free(r);
        return lrc;
      }
      *out = r;
      return 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "reading a card", err);
  }
  return kt_err_set(err, KT_ENOTFOUND, KT_("no card with id %s%s"), id, cl__not_here(s));
}

int cl_store_get(cl_store *s, const char *id, cl_rec **out, kt_err *err) {
  return cl__locate(s, id, out, err);
}

/* The one title field of t, or NULL when its title has several (or none). */
static const kt_mfield *single_title(const kt_mtype *t) {
  const kt_mfield *tf = NULL;
  for (int k = 0; k < t->nfields; k++)
    if (t->fields[k].flags & KT_FF_TITLE) {
      if (tf) return NULL;
      tf = &t->fields[k];
    }
  return tf;
}

struct cl_reftitles {
  cl_store *s;
  sqlite3_stmt *get;
  kt_buf drop;
};

int cl_reftitles_open(cl_store *s, const char *type, cl_reftitles **out, kt_err *err) {
  *out = NULL;
  kt_mtype *t = kt_model_type(s->model, type ? type : "");
  const kt_mfield *tf = t ? single_title(t) : NULL;
  if (!tf) return 0;
  cl_reftitles *rt = kt_calloc(1, sizeof *rt);
  if (!rt) return kt_err_set(err, KT_ENOMEM, "out of memory");
  rt->s = s;
  rt->drop = (kt_buf)KT_BUF_INIT;
  char table[64];
  snprintf(table, sizeof table, "ref_titles_%d", t->def->code);
  kt_buf fill = KT_BUF_INIT, get = KT_BUF_INIT;
  cl_db_reftitles_sql(t, tf, table, &fill, &get, &rt->drop);
  int rc = sqlite3_exec(s->d.db, kt_buf_str(&fill), NULL, NULL, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&get), -1, &rt->get, NULL);
  kt_buf_free(&fill);
  kt_buf_free(&get);
  if (rc != SQLITE_OK) {
    rc = cl_db_error(&s->d, rc, "reading names for references", err);
    cl_reftitles_close(rt);
    return rc;
  }
  *out = rt;
  return 0;
}

int cl_reftitles_get(cl_reftitles *rt, const char *id, kt_buf *out, kt_err *err) {
  sqlite3_bind_text(rt->get, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(rt->get);
  const char *title = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(rt->get, 0) : NULL;
  bool unique = rc == SQLITE_ROW && sqlite3_column_int64(rt->get, 1) == 1;
  kt_buf_puts(out, unique && title && *title ? title : id);
  sqlite3_reset(rt->get);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                               : cl_db_error(&rt->s->d, rc, "reading a name", err);
}

void cl_reftitles_close(cl_reftitles *rt) {
  if (!rt) return;
  sqlite3_finalize(rt->get);
  if (rt->drop.len) sqlite3_exec(rt->s->d.db, kt_buf_str(&rt->drop), NULL, NULL, NULL);
  kt_buf_free(&rt->drop);
  free(rt);
}

/* ---- queries ------------------------------------------------------------------------------ */

int cl__walk(cl_store *s, kt_mtype *t, sqlite3_stmt *st, cl_rec_cb cb, void *ud, kt_err *err) {
  cl_rec *r = cl_rec_new(t);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc;
  int lrc = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if ((lrc = kt_rec_load(r, st, err))) break;
    if (cb(ud, r)) {
      rc = SQLITE_DONE;
      break;
    }
  }
  cl_rec_free(r);
  if (lrc) return lrc;
  if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "reading the card index", err);
  return 0;
}

static bool is_textual(kt_ftype t) {
  return t == KT_FT_TEXT || t == KT_FT_LONGTEXT || t == KT_FT_URL || t == KT_FT_CHOICE ||
         t == KT_FT_EMAIL || t == KT_FT_PHONE;
}

int cl__order_fields(const kt_mtype *t, const kt_mfield *f, const kt_mfield **out, int max) {
  if (f) {
    out[0] = f;
    return 1;
  }
  /* default: a date/time field that is required or part of the title (an
     event's start, a deal's date), else the title fields */
  for (int k = 0; k < t->nfields; k++) {
    const kt_mfield *g = &t->fields[k];
    if ((g->flags & (KT_FF_REQUIRED | KT_FF_TITLE)) &&
        (g->type == KT_FT_DATETIME || g->type == KT_FT_DATE)) {
      out[0] = g;
      return 1;
    }
  }
  int n = 0;
  for (int k = 0; k < t->nfields && n < max; k++)
    if (t->fields[k].flags & KT_FF_TITLE) out[n++] = &t->fields[k];
  return n;
}

bool cl__sorts_by_collation(const kt_mfield *f) {
  return !(kt_ftype_is_int(f->type) || f->type == KT_FT_DATE);
}

static void order_by(kt_mtype *t, const kt_mfield *f, bool desc, kt_buf *sql) {
  const char *dir = desc ? " DESC" : "";
  const kt_mfield *fs[CL__MAX_ORDER];
  int n = cl__order_fields(t, f, fs, CL__MAX_ORDER);
  kt_buf_puts(sql, " ORDER BY ");
  for (int i = 0; i < n; i++)
    kt_buf_printf(sql, "(\"%s\" IS NULL), \"%s\"%s%s, ", fs[i]->column, fs[i]->column,
                  cl__sorts_by_collation(fs[i]) ? " COLLATE kt_coll" : "", dir);
  kt_buf_puts(sql, "rowid");
}

void cl__where_free(cl__where *w) {
  for (int i = 0; w->vals && w->texts && i < w->n; i++) {
    kt_value_clear(&w->vals[i]);
    kt_buf_free(&w->texts[i]);
  }
  free(w->vals);
  free(w->texts);
  memset(w, 0, sizeof *w);
}

void cl__where_bind(const cl__where *w, sqlite3_stmt *st) {
  for (int i = 0; i < w->n; i++) {
    if (w->w[i].op == '~')
      sqlite3_bind_text(st, i + 1, kt_buf_str(&w->texts[i]), -1, SQLITE_STATIC);
    else
      kt_rec_bind_value(st, i + 1, &w->vals[i]);
  }
}

int cl__where_sql(cl_store *s, kt_mtype *t, const cl_filter *where, int nwhere, bool trash,
                  kt_buf *sql, cl__where *out, kt_err *err) {
  int rc = 0;
  memset(out, 0, sizeof *out);
  out->w = where;
  out->n = nwhere;
  out->vals = kt_calloc((size_t)nwhere + 1, sizeof *out->vals);
  out->texts = kt_calloc((size_t)nwhere + 1, sizeof *out->texts);
  if (!out->vals || !out->texts) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  kt_value *vals = out->vals;
  kt_buf *texts = out->texts;
  kt_buf_printf(sql, " WHERE deleted = %d", trash ? 1 : 0);
  for (int i = 0; i < nwhere; i++) {
    const cl_filter *w = &where[i];
    kt_mfield *f;
    if ((rc = kt_mtype_field_get(t, w->field, &f, err))) goto out;
    if (w->op == '~') {
      kt_buf_putc(&texts[i], '%');
      for (const char *p = w->value; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\') kt_buf_putc(&texts[i], '\\');
        kt_buf_putc(&texts[i], *p);
      }
      kt_buf_putc(&texts[i], '%');
      kt_buf_printf(sql, " AND kt_fold(\"%s\") LIKE kt_fold(?%d) ESCAPE '\\'", f->column, i + 1);
      continue;
    }
    if (!w->op || strchr("=!<>", w->op) == NULL) {
      rc = kt_err_set(err, KT_EINVAL, "bad filter operator '%c'; use = != < > or ~", w->op);
      goto out;
    }
    const char *v = w->value;
    kt_buf me = KT_BUF_INIT;
    if ((f->type == KT_FT_USER) && strcmp(v, "me") == 0) v = s->user;
    if (f->type == KT_FT_REF && *v && !kt_uuid_str_is_valid(v)) {
      if ((rc = cl__resolve_ref(s, f, v, &me, err))) goto out;
      v = kt_buf_str(&me);
    }
    rc = kt_mfield_parse(f, v, &vals[i], err);
    kt_buf_free(&me);
    if (rc) goto out;
    const char *col = f->column;
    if (vals[i].kind == KT_V_NULL) {
      if (w->op != '=' && w->op != '!') {
        rc = kt_err_set(err, KT_EINVAL, "%s: give a value to compare with", f->name);
        goto out;
      }
      kt_buf_printf(sql, " AND \"%s\" IS %sNULL", col, w->op == '!' ? "NOT " : "");
    } else if (f->type == KT_FT_GROUP && (w->op == '=' || w->op == '!')) {
      kt_buf_printf(sql,
                    " AND \"%s\" %sIN (WITH RECURSIVE g(name) AS (SELECT ?%d UNION SELECT "
                    "x.name FROM t_group x JOIN g ON x.parent = g.name WHERE x.deleted = 0) "
                    "SELECT name FROM g)",
                    col, w->op == '!' ? "NOT " : "", i + 1);
    } else if (kt_ftype_is_multi(f->type) && (w->op == '=' || w->op == '!')) {
      /* has (or has not) this tag: the derived list "a, b" holds it between separators */
      if (strchr(vals[i].s, ',')) {
        rc = kt_err_set(err, KT_EINVAL, "%s: one tag per filter; repeat --where %s=TAG for each",
                        f->name, f->name);
        goto out;
      }
      kt_buf_printf(sql, " AND instr(', ' || kt_fold(coalesce(\"%s\", '')) || ',', ', ' || "
                    "kt_fold(?%d) || ',') %s 0", col, i + 1, w->op == '=' ? ">" : "=");
    } else if ((f->type == KT_FT_TEXT || f->type == KT_FT_LONGTEXT) && (w->op == '=' || w->op == '!')) {
      kt_buf_printf(sql, " AND kt_fold(\"%s\") %s kt_fold(?%d)", col, w->op == '=' ? "=" : "IS NOT",
                    i + 1);
    } else {
      const char *op = w->op == '=' ? "=" : w->op == '!' ? "IS NOT" : w->op == '<' ? "<" : ">";
      kt_buf_printf(sql, " AND \"%s\" %s ?%d%s", col, op, i + 1,
                    is_textual(f->type) && (w->op == '<' || w->op == '>') ? " COLLATE kt_coll" : "");
    }
  }
out:
  if (rc) cl__where_free(out);
  return rc;
}

int cl_store_list(cl_store *s, const cl_query *q, cl_rec_cb cb, void *ud, kt_err *err) {
  kt_mtype *t;
  int rc = kt_model_type_get(s->model, q->type, &t, err);
  if (rc) return rc;
  kt_buf sql = KT_BUF_INIT;
  cl__where wh = {0};
  sqlite3_stmt *st = NULL;
  cl_db_select_prefix(t, &sql);
  if ((rc = cl__where_sql(s, t, q->where, q->nwhere, q->trash, &sql, &wh, err))) goto out;
  kt_mfield *sf = NULL;
  if (q->sort && (rc = kt_mtype_field_get(t, q->sort, &sf, err))) goto out;
  order_by(t, sf, q->desc, &sql);
  if (q->limit > 0) kt_buf_printf(&sql, " LIMIT %d OFFSET %d", q->limit, q->offset > 0 ? q->offset : 0);
  if (sql.oom) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  rc = sqlite3_prepare_v2(s->d.db, sql.p, (int)sql.len, &st, NULL);
  if (rc != SQLITE_OK) {
    rc = cl_db_error(&s->d, rc, "building the list query", err);
    goto out;
  }
  cl__where_bind(&wh, st);
  rc = cl__walk(s, t, st, cb, ud, err);
out:
  sqlite3_finalize(st);
  cl__where_free(&wh);
  kt_buf_free(&sql);
  return rc;
}

/* The records that refer to r (live ones only, or those in the trash too). */
int cl__related_walk(cl_store *s, const cl_rec *r, bool live, cl_rec_cb cb, void *ud,
                     kt_err *err) {
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  for (int i = 0; i < n; i++) {
    kt_mtype *t = &types[i];
    for (int k = 0; k < t->nfields; k++) {
      const kt_mfield *f = &t->fields[k];
      if (f->type != KT_FT_REF || strcmp(f->ref, r->type->def->name) != 0) continue;
      if (t->def->flags & KT_TF_ELEMENT) continue; /* a card's tags are its own field */
      kt_buf sql = KT_BUF_INIT;
      cl_db_select_prefix(t, &sql);
      kt_buf_printf(&sql, " WHERE \"%s\" = ?1%s", f->column, live ? " AND deleted = 0" : "");
      order_by(t, NULL, false, &sql);
      sqlite3_stmt *st = NULL;
      int rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
      kt_buf_free(&sql);
      if (rc != SQLITE_OK) return cl_db_error(&s->d, rc, "reading related records", err);
      sqlite3_bind_text(st, 1, cl_rec_id(r), -1, SQLITE_STATIC);
      rc = cl__walk(s, t, st, cb, ud, err);
      sqlite3_finalize(st);
      if (rc) return rc;
    }
  }
  return 0;
}

int cl_store_related(cl_store *s, const cl_rec *r, cl_rec_cb cb, void *ud, kt_err *err) {
  return cl__related_walk(s, r, true, cb, ud, err);
}

/* Appends an FTS5 query: every word of the folded text as a quoted prefix
 * term (so punctuation can never form FTS syntax). */
int cl__fts_query(const char *text, kt_buf *q) {
  kt_buf folded = KT_BUF_INIT;
  if (kt_text_fold(text, strlen(text), &folded)) {
    kt_buf_free(&folded);
    return KT_ENOMEM;
  }
  const unsigned char *p = (const unsigned char *)kt_buf_str(&folded);
  while (*p) {
    while (*p && *p < 0x80 && !isalnum(*p)) p++;
    const unsigned char *start = p;
    while (*p && (*p >= 0x80 || isalnum(*p))) p++;
    if (p > start) {
      if (q->len) kt_buf_putc(q, ' ');
      kt_buf_putc(q, '"');
      kt_buf_append(q, start, (size_t)(p - start));
      kt_buf_puts(q, "\"*");
    }
  }
  kt_buf_free(&folded);
  return q->oom ? KT_ENOMEM : 0;
}

typedef struct hitset {
  int64_t *ids;
  int n, cap;
} hitset;

static int hit_add(hitset *h, int64_t id) {
  for (int i = 0; i < h->n; i++)
    if (h->ids[i] == id) return 0;
  if (h->n == h->cap) {
    int cap = h->cap ? h->cap * 2 : 64;
    int64_t *p = kt_realloc(h->ids, (size_t)cap * sizeof *p);
    if (!p) return KT_ENOMEM;
    h->ids = p;
    h->cap = cap;
  }
  h->ids[h->n++] = id;
  return 0;
}

static int match_into(cl_store *s, cl_st which, const char *query, int64_t lo, int64_t hi,
                      int limit, hitset *h, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, which, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_text(st, 1, query, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, lo);
  sqlite3_bind_int64(st, 3, hi);
  sqlite3_bind_int(st, 4, limit);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (hit_add(h, sqlite3_column_int64(st, 0))) {
      sqlite3_reset(st);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "searching", err);
  return 0;
}

int cl_store_search(cl_store *s, const char *text, const char *type, int limit, bool trash,
                    cl_rec_cb cb, void *ud, kt_err *err) {
  if (limit <= 0) limit = 100;
  int64_t lo = 0, hi = INT64_MAX;
  kt_mtype *only = NULL;
  int rc = cl__pend_flush(s, err); /* a search inside a batch sees the batch's records */
  if (rc) return rc;
  if (type) {
    if ((rc = kt_model_type_get(s->model, type, &only, err))) return rc;
    lo = FTS_ROWID(only->def->code, 0);
    hi = FTS_ROWID(only->def->code + 1, 0) - 1;
  }
  kt_buf q = KT_BUF_INIT;
  hitset h = {NULL, 0, 0};
  if ((rc = cl__fts_query(text, &q))) {
    kt_buf_free(&q);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  if (!q.len) {
    kt_buf_free(&q);
    return kt_err_set(err, KT_EINVAL, "nothing to search for: give a word, a name or a phone number");
  }
  /* fetch a margin so that trashed records filtered out below rarely starve the page */
  int want = limit * 2 + 16;
  rc = match_into(s, CL_ST_FTS_MATCH, kt_buf_str(&q), lo, hi, want, &h, err);
  char digits[40];
  int nd = 0;
  for (const char *p = text; *p && nd < 39; p++)
    if (*p >= '0' && *p <= '9') digits[nd++] = *p;
  digits[nd] = '\0';
  if (!rc && nd >= 3) {
    kt_buf pq = KT_BUF_INIT;
    kt_buf_printf(&pq, "\"%s\"", digits);
    rc = match_into(s, CL_ST_PHONE_MATCH, kt_buf_str(&pq), lo, hi, want, &h, err);
    kt_buf_free(&pq);
  }
  kt_buf_free(&q);
  int shown = 0;
  for (int i = 0; !rc && i < h.n && shown < limit; i++) {
    int code = (int)(h.ids[i] >> 40);
    int64_t rowid = h.ids[i] & ((1ll << 40) - 1);
    kt_mtype *t = kt_model_type_by_code(s->model, code);
    if (!t || (t->def->flags & KT_TF_CONFIG && t != only)) continue;
    sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ROWID, err);
    if (!st) {
      rc = cl_db_st_rc(&s->d);
      break;
    }
    sqlite3_bind_int64(st, 1, rowid);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
      cl_rec *r = cl_rec_new(t);
      if (!r) {
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      } else {
        if (!(rc = kt_rec_load(r, st, err)) && cl_rec_deleted(r) == trash) {
          shown++;
          if (cb(ud, r)) shown = limit;
        }
        cl_rec_free(r);
      }
    } else if (src != SQLITE_DONE) {
      rc = cl_db_error(&s->d, src, "searching", err);
    }
    sqlite3_reset(st);
  }
  free(h.ids);
  return rc;
}

int cl_store_dump(cl_store *s, kt_buf *out, kt_err *err) {
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  int rc = 0;
  for (int i = 0; !rc && i < n; i++) {
    kt_mtype *t = &types[i];
    kt_buf sql = KT_BUF_INIT;
    cl_db_select_prefix(t, &sql);
    kt_buf_puts(&sql, " ORDER BY id");
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
    kt_buf_free(&sql);
    if (rc != SQLITE_OK) {
      rc = cl_db_error(&s->d, rc, "dumping", err);
      break;
    }
    rc = 0;
    cl_rec *r = cl_rec_new(t);
    if (!r) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    while (!rc && sqlite3_step(st) == SQLITE_ROW)
      if (!(rc = kt_rec_load(r, st, err))) kt_rec_dump_line(r, cl_store_devname, s, out);
    cl_rec_free(r);
    sqlite3_finalize(st);
    if (rc) return rc;
  }
  return rc;
}
