/* kt_rec — see kt_rec.h. */
#include "kt_rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_alloc.h"
#include "kt_i18n.h"
#include "kt_text.h"

kt_rec *kt_rec_new(kt_mtype *t) {
  kt_rec *r = kt_calloc(1, sizeof *r);
  if (!r) return NULL;
  r->type = t;
  r->v = kt_calloc((size_t)KT_MAX_FIELDS, sizeof *r->v);
  if (!r->v) {
    free(r);
    return NULL;
  }
  return r;
}

void kt_rec_free(kt_rec *r) {
  if (!r) return;
  for (int k = 0; k < KT_MAX_FIELDS; k++) kt_value_clear(&r->v[k]);
  free(r->v);
  free(r);
}

const char *kt_rec_id(const kt_rec *r) {
  return r->v[KT_F_ID].kind == KT_V_TEXT ? r->v[KT_F_ID].s : "";
}

bool kt_rec_deleted(const kt_rec *r) {
  return r->v[KT_F_DELETED].kind == KT_V_INT && r->v[KT_F_DELETED].i != 0;
}

int kt_rec_load(kt_rec *r, sqlite3_stmt *st, kt_err *err) {
  r->rowid = sqlite3_column_int64(st, 0);
  kt_vers_decode(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &r->vers);
  for (int k = 0; k < r->type->nfields; k++) {
    int c = k + 2;
    kt_value *v = &r->v[k];
    if (sqlite3_column_type(st, c) == SQLITE_NULL) {
      kt_value_clear(v);
    } else if (kt_ftype_is_int(r->type->fields[k].type)) {
      kt_value_set_int(v, sqlite3_column_int64(st, c));
    } else {
      /* SQLite's own conversion can fail too: NULL for a column that is not NULL */
      const char *text = (const char *)sqlite3_column_text(st, c);
      if (!text || kt_value_set_text(v, text, (size_t)sqlite3_column_bytes(st, c))) {
        /* never leave a reused record half old, half new: it could be written back */
        for (int j = 0; j < KT_MAX_FIELDS; j++) kt_value_clear(&r->v[j]);
        memset(&r->vers, 0, sizeof r->vers);
        r->rowid = 0;
        return kt_err_set(err, KT_ENOMEM, "out of memory reading a %s; close other programs "
                          "and try again", r->type->def->noun);
      }
    }
  }
  return 0;
}

void kt_rec_bind_value(sqlite3_stmt *st, int i, const kt_value *v) {
  switch (v->kind) {
  case KT_V_NULL:
    sqlite3_bind_null(st, i);
    break;
  case KT_V_INT:
    sqlite3_bind_int64(st, i, v->i);
    break;
  case KT_V_TEXT:
    sqlite3_bind_text(st, i, v->s, -1, SQLITE_STATIC);
    break;
  }
}

void kt_rec_bind(const kt_rec *r, sqlite3_stmt *st, bool insert, const kt_buf *ver) {
  sqlite3_bind_blob(st, 1, ver->p, (int)ver->len, SQLITE_STATIC);
  int col = 2;
  for (int k = 0; k < r->type->nfields; k++) {
    if (!insert && k == KT_F_ID) continue;
    if (k == KT_F_DELETED && r->v[k].kind == KT_V_NULL) sqlite3_bind_int(st, col++, 0);
    else kt_rec_bind_value(st, col++, &r->v[k]);
  }
  if (!insert) sqlite3_bind_int64(st, col, r->rowid);
}

void kt_recsql_table(const kt_mtype *t, char *out, size_t outsz) {
  snprintf(out, outsz, "t_%s", t->def->name);
}

static void columns(const kt_mtype *t, kt_buf *b, bool with_id) {
  bool first = true;
  for (int k = 0; k < t->nfields; k++) {
    if (!with_id && k == KT_F_ID) continue;
    kt_buf_printf(b, "%s\"%s\"", first ? "" : ", ", t->fields[k].column);
    first = false;
  }
}

void kt_recsql_select(const kt_mtype *t, kt_buf *sql) {
  char tab[64];
  kt_recsql_table(t, tab, sizeof tab);
  kt_buf_puts(sql, "SELECT rowid, ver, ");
  columns(t, sql, true);
  kt_buf_printf(sql, " FROM %s", tab);
}

void kt_recsql_insert(const kt_mtype *t, kt_buf *sql) {
  char tab[64];
  kt_recsql_table(t, tab, sizeof tab);
  kt_buf_printf(sql, "INSERT INTO %s (ver, ", tab);
  columns(t, sql, true);
  kt_buf_puts(sql, ") VALUES (?");
  for (int k = 0; k < t->nfields; k++) kt_buf_puts(sql, ", ?");
  kt_buf_puts(sql, ")");
}

void kt_recsql_update(const kt_mtype *t, kt_buf *sql) {
  char tab[64];
  kt_recsql_table(t, tab, sizeof tab);
  kt_buf_printf(sql, "UPDATE %s SET ver = ?", tab);
  for (int k = 0; k < t->nfields; k++)
    if (k != KT_F_ID) kt_buf_printf(sql, ", \"%s\" = ?", t->fields[k].column);
  kt_buf_puts(sql, " WHERE rowid = ?");
}

int kt_merge_cmp(kt_stamp sa, const char *da, kt_stamp sb, const char *db) {
  if (sa != sb) return sa > sb ? 1 : -1;
  int c = strcmp(da ? da : "", db ? db : "");
  return c > 0 ? 1 : c < 0 ? -1 : 0;
}

/* Custom fields are ordered by name: each replica learns them in its own
 * order (and numbers their positions that way), the dump must not show it. */
static int cmp_field_name(const void *a, const void *b) {
  return strcmp((*(const kt_mfield *const *)a)->name, (*(const kt_mfield *const *)b)->name);
}

void kt_rec_dump_line(const kt_rec *r, kt_rec_devname_fn devname, void *ud, kt_buf *out) {
  const kt_mtype *t = r->type;
  const kt_mfield *order[KT_MAX_FIELDS];
  int n = 0, ncustom = 0;
  for (int k = 1; k < t->nfields && n < KT_MAX_FIELDS; k++)
    if (!t->fields[k].custom) order[n++] = &t->fields[k];
  for (int k = 1; k < t->nfields && n + ncustom < KT_MAX_FIELDS; k++)
    if (t->fields[k].custom) order[n + ncustom++] = &t->fields[k];
  qsort(order + n, (size_t)ncustom, sizeof order[0], cmp_field_name);
  kt_buf_printf(out, "%s %s", t->def->name, kt_rec_id(r));
  for (int i = 0; i < n + ncustom; i++) {
    const kt_mfield *f = order[i];
    const kt_fver *v = &r->vers.f[f->vidx];
    if (!v->stamp || f->vidx == KT_F_UPDATED) continue;
    kt_buf_printf(out, " %s=", f->name);
    kt_mfield_format(f, &r->v[t->pos[f->vidx]], true, out);
    const char *dn = devname ? devname(ud, v->dev) : NULL;
    kt_buf_printf(out, "@%llu/%s", (unsigned long long)v->stamp, dn ? dn : "?");
  }
  kt_buf_putc(out, '\n');
}

void kt_rec_title(const kt_rec *r, kt_buf *out) {
  size_t start = out->len;
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (!(f->flags & KT_FF_TITLE) || r->v[k].kind == KT_V_NULL) continue;
    if (out->len > start) kt_buf_putc(out, ' ');
    kt_mfield_format_tr(r->type, f, &r->v[k], out); /* "Звонок …", not "call …" */
  }
  if (out->len == start) kt_buf_puts(out, KT_("(untitled)"));
}

bool kt_mfield_in_name_key(const kt_mfield *f) {
  return (f->flags & (KT_FF_TITLE | KT_FF_PLACE)) != 0;
}

/* Folded text of r's fields with flag (text values only), joined by ' '. */
static void folded_fields(const kt_rec *r, unsigned flag, kt_buf *out) {
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (!(f->flags & flag) || r->v[k].kind != KT_V_TEXT) continue;
    size_t len;
    const char *t = kt_text_trim(r->v[k].s, &len);
    if (!len) continue;
    if (out->len) kt_buf_putc(out, ' ');
    kt_text_fold(t, len, out);
  }
}

bool kt_rec_name_key(const kt_rec *r, char *out, size_t n) {
  if (!(r->type->def->flags & KT_TF_CLIENT)) return false;
  kt_buf name = KT_BUF_INIT, place = KT_BUF_INIT;
  folded_fields(r, KT_FF_TITLE, &name);
  folded_fields(r, KT_FF_PLACE, &place);
  bool ok = name.len && place.len && !name.oom && !place.oom && name.len + place.len + 3 < n;
  if (ok) snprintf(out, n, "n:%s|%s", kt_buf_str(&name), kt_buf_str(&place));
  kt_buf_free(&name);
  kt_buf_free(&place);
  return ok;
}
