/* cl_export_fmt — the export writers besides CSV and XLSX (cl_export_int.h):
 * ODS (cl_sheet's writer: numbers as numbers, dates as dates), vCard 3.0
 * (contacts, cl_vcard), iCalendar (events and tasks, cl_ical), HTML (a
 * printable list, or one card with its related cards) and aligned plain text
 * (kt_table's alignment, streamed). Text formats are built in w->out and written a
 * block at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl_export_int.h"
#include "cl_ical.h"
#include "cl_vcard.h"
#include "kt_table.h"
#include "kt_text.h"
#include "kt_time.h"

#define FLUSH_AT (256u << 10)

static int text_begin(cl__exp *w) {
  if (!(w->f = fopen(w->tmp, "wb")))
    return kt_err_set(w->err, KT_EIO, "cannot write %s: %s", w->path, strerror(errno));
  return 0;
}

static int text_end(cl__exp *w) {
  int rc = cl__exp_flush(w, 0);
  if (rc) return rc;
  int bad = fflush(w->f) != 0 || fsync(fileno(w->f)) != 0;
  bad |= fclose(w->f) != 0;
  w->f = NULL;
  if (bad) return kt_err_set(w->err, KT_EIO, "cannot write %s: %s", w->path, strerror(errno));
  return 0;
}

static void text_drop(cl__exp *w) {
  if (w->f) fclose(w->f);
  w->f = NULL;
}

/* ---- ODS ------------------------------------------------------------------- */

static int ods_begin(cl__exp *w) {
  int rc = cl_ods_open(w->tmp, w->type->def->name, &w->ods, w->err);
  if (rc) return rc;
  for (int i = 0; i < w->ncols; i++) cl_ods_cell(w->ods, CL_CELL_HEADER, kt_mfield_label(w->cols[i]));
  cl_ods_row_end(w->ods);
  return 0;
}

static int ods_row(cl__exp *w, const cl_rec *r) {
  int rc = cl__exp_values(w, r, false);
  if (rc) return rc;
  for (int i = 0; i < w->ncols; i++) {
    const kt_mfield *f = w->cols[i];
    const kt_value *v = &r->v[r->type->pos[f->vidx]];
    char tmp[40];
    if (v->kind == KT_V_INT && f->type == KT_FT_DATETIME) {
      kt_datetime_format(v->i, true, tmp, sizeof tmp);
      tmp[19] = '\0'; /* the PC's local time, as a spreadsheet keeps it */
      cl_ods_cell(w->ods, CL_CELL_DATETIME, tmp);
    } else if (v->kind == KT_V_INT && f->type == KT_FT_DURATION) {
      snprintf(tmp, sizeof tmp, "%lld", (long long)v->i); /* minutes */
      cl_ods_cell(w->ods, CL_CELL_NUMBER, tmp);
    } else if (f->type == KT_FT_DATE) {
      cl_ods_cell(w->ods, CL_CELL_DATE, w->v[i]);
    } else {
      cl_ods_cell(w->ods, cl__exp_is_number(f) ? CL_CELL_NUMBER : CL_CELL_TEXT, w->v[i]);
    }
  }
  cl_ods_row_end(w->ods);
  return 0;
}

static int ods_end(cl__exp *w) {
  cl_ods *o = w->ods;
  w->ods = NULL;
  return cl_ods_close(o, w->err);
}

static void ods_drop(cl__exp *w) {
  cl_ods_abort(w->ods);
  w->ods = NULL;
}

const cl__exp_sink cl__exp_ods = {"ods", CL_EXPORT_ODS, NULL, ods_begin, ods_row, ods_end, ods_drop};

/* ---- vCard, iCalendar ------------------------------------------------------ */

static int vcard_version_row(cl__exp *w, const cl_rec *r, int version) {
  int rc = cl__exp_values(w, r, true);
  if (rc) return rc;
  cl_vcard_write(&w->out, version, w->fieldnames, w->v, w->ncols, cl_rec_id(r));
  return cl__exp_flush(w, FLUSH_AT);
}

/* 3.0 by default: what Outlook and most phones read; 4.0 (RFC 6350) on request */
static int vcard_row(cl__exp *w, const cl_rec *r) { return vcard_version_row(w, r, 3); }
static int vcard4_row(cl__exp *w, const cl_rec *r) { return vcard_version_row(w, r, 4); }

const cl__exp_sink cl__exp_vcard = {"vcard", CL_EXPORT_VCARD, "contact", text_begin, vcard_row,
                                    text_end, text_drop};
const cl__exp_sink cl__exp_vcard4 = {"vcard4", CL_EXPORT_VCARD4, "contact", text_begin,
                                     vcard4_row, text_end, text_drop};

static int ical_begin(cl__exp *w) {
  int rc = text_begin(w);
  if (!rc) cl_ical_begin(&w->out);
  return rc;
}

static int ical_row(cl__exp *w, const cl_rec *r) {
  int rc = cl__exp_values(w, r, true);
  if (!rc) rc = cl_ical_write(&w->out, w->type->def->name, w->fieldnames, w->v, w->ncols,
                              cl_rec_id(r), w->now_ms, w->err);
  return rc ? rc : cl__exp_flush(w, FLUSH_AT);
}

static int ical_end(cl__exp *w) {
  cl_ical_end(&w->out);
  return text_end(w);
}

const cl__exp_sink cl__exp_ical = {"ical", CL_EXPORT_ICAL, "event task", ical_begin, ical_row,
                                   ical_end, text_drop};

/* ---- HTML ------------------------------------------------------------------ */

/* Appends s escaped for HTML; line breaks as <br>. */
static void html(kt_buf *b, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '&': kt_buf_puts(b, "&amp;"); break;
    case '<': kt_buf_puts(b, "&lt;"); break;
    case '>': kt_buf_puts(b, "&gt;"); break;
    case '"': kt_buf_puts(b, "&quot;"); break;
    case '\'': kt_buf_puts(b, "&#39;"); break;
    case '\r': break;
    case '\n': kt_buf_puts(b, "<br>"); break;
    default: kt_buf_putc(b, *s);
    }
  }
}

static const char html_style[] =
    "<style>\n"
    "body{font-family:\"DejaVu Sans\",Arial,sans-serif;font-size:11pt;margin:1.5em}\n"
    "h1{font-size:16pt;margin:0 0 .2em}h2{font-size:13pt;margin:1.2em 0 .3em}\n"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #888;padding:3px 6px;"
    "text-align:left;vertical-align:top}\n"
    "thead{display:table-header-group}tr{page-break-inside:avoid}th{background:#eee}\n"
    "dl{display:grid;grid-template-columns:max-content auto;gap:3px 1.5em}dt{font-weight:bold}"
    "dd{margin:0}\n.kind{color:#555;margin:0 0 1em}\n"
    "@media print{body{margin:0}th{background:none}}\n"
    "</style>\n";

static void html_head(cl__exp *w, const char *title) {
  kt_buf_puts(&w->out, "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>");
  html(&w->out, title);
  kt_buf_puts(&w->out, "</title>\n");
  kt_buf_puts(&w->out, html_style);
  kt_buf_puts(&w->out, "</head>\n<body>\n");
}

static int html_begin(cl__exp *w) { return text_begin(w); }

static void html_table_head(cl__exp *w) {
  html_head(w, kt_mtype_label(w->type));
  kt_buf_puts(&w->out, "<h1>");
  html(&w->out, kt_mtype_label(w->type));
  kt_buf_puts(&w->out, "</h1>\n<table>\n<thead><tr>");
  for (int i = 0; i < w->ncols; i++) {
    kt_buf_puts(&w->out, "<th>");
    html(&w->out, kt_mfield_label(w->cols[i]));
    kt_buf_puts(&w->out, "</th>");
  }
  kt_buf_puts(&w->out, "</tr></thead>\n<tbody>\n");
  w->state = 1;
}

static int html_row(cl__exp *w, const cl_rec *r) {
  int rc = cl__exp_values(w, r, false);
  if (rc) return rc;
  if (!w->state) html_table_head(w);
  kt_buf_puts(&w->out, "<tr>");
  for (int i = 0; i < w->ncols; i++) {
    kt_buf_puts(&w->out, "<td>");
    html(&w->out, w->v[i]);
    kt_buf_puts(&w->out, "</td>");
  }
  kt_buf_puts(&w->out, "</tr>\n");
  return cl__exp_flush(w, FLUSH_AT);
}

static int html_end(cl__exp *w) {
  if (w->state == 1) {
    kt_buf_printf(&w->out, "</tbody>\n</table>\n<p>%lld</p>\n", (long long)w->count);
  } else if (!w->state) {
    html_table_head(w);
    kt_buf_puts(&w->out, "</tbody>\n</table>\n<p>0</p>\n");
  }
  kt_buf_puts(&w->out, "</body>\n</html>\n");
  return text_end(w);
}

const cl__exp_sink cl__exp_html = {"html", CL_EXPORT_HTML, NULL, html_begin, html_row, html_end,
                                   text_drop};

/* The related cards, one table per type in registry order. */
typedef struct related {
  kt_buf by_type[KT_MAX_TYPES];
  kt_buf tmp;
  const char *card_id;
} related;

static int on_related(void *ud, const cl_rec *r) {
  related *rl = ud;
  int code = r->type->def->code;
  if (code <= 0 || code >= KT_MAX_TYPES) return 0;
  kt_buf *b = &rl->by_type[code];
  kt_buf_reset(&rl->tmp);
  kt_rec_title(r, &rl->tmp);
  kt_buf_puts(b, "<tr><td>");
  html(b, kt_buf_str(&rl->tmp));
  kt_buf_puts(b, "</td><td>");
  bool first = true;
  for (int i = 0; i < r->type->nfields; i++) {
    const kt_mfield *f = &r->type->fields[i];
    const kt_value *v = &r->v[i];
    if (v->kind == KT_V_NULL || (f->flags & (KT_FF_SYSTEM | KT_FF_TITLE)) || f->type == KT_FT_REF ||
        f->vidx == KT_F_GRP || f->hidden)
      continue;
    kt_buf_reset(&rl->tmp);
    kt_mfield_format(f, v, false, &rl->tmp);
    if (!rl->tmp.len) continue;
    if (!first) kt_buf_puts(b, "; ");
    first = false;
    html(b, kt_mfield_label(f));
    kt_buf_puts(b, ": ");
    html(b, kt_buf_str(&rl->tmp));
  }
  kt_buf_puts(b, "</td></tr>\n");
  return 0;
}

int cl__exp_html_card(cl__exp *w, const cl_rec *r) {
  kt_buf title = KT_BUF_INIT;
  kt_rec_title(r, &title);
  html_head(w, kt_buf_str(&title));
  kt_buf_puts(&w->out, "<h1>");
  html(&w->out, kt_buf_str(&title));
  kt_buf_puts(&w->out, "</h1>\n<p class=\"kind\">");
  html(&w->out, kt_mtype_label(r->type));
  kt_buf_puts(&w->out, "</p>\n<dl>\n");
  kt_buf_free(&title);
  int rc = cl__exp_values(w, r, false);
  for (int i = 0; !rc && i < w->ncols; i++) {
    if (!w->v[i][0]) continue;
    kt_buf_puts(&w->out, "<dt>");
    html(&w->out, kt_mfield_label(w->cols[i]));
    kt_buf_puts(&w->out, "</dt><dd>");
    html(&w->out, w->v[i]);
    kt_buf_puts(&w->out, "</dd>\n");
  }
  kt_buf_puts(&w->out, "</dl>\n");
  related rl = {.tmp = KT_BUF_INIT, .card_id = cl_rec_id(r)};
  if (!rc) rc = cl_store_related(w->s, r, on_related, &rl, w->err);
  int n = 0;
  kt_mtype *types = kt_model_types(cl_store_model(w->s), &n);
  for (int k = 0; !rc && k < n; k++) {
    int code = types[k].def->code;
    if (code <= 0 || code >= KT_MAX_TYPES || !rl.by_type[code].len) continue;
    kt_buf_puts(&w->out, "<h2>");
    html(&w->out, kt_mtype_label(&types[k]));
    kt_buf_puts(&w->out, "</h2>\n<table>\n<tbody>\n");
    kt_buf_append(&w->out, rl.by_type[code].p, rl.by_type[code].len);
    kt_buf_puts(&w->out, "</tbody>\n</table>\n");
  }
  for (int k = 0; k < KT_MAX_TYPES; k++) kt_buf_free(&rl.by_type[k]);
  kt_buf_free(&rl.tmp);
  w->state = 2;
  return rc;
}

/* ---- plain text ------------------------------------------------------------ */

/* Aligned like kt_table (two spaces between columns padded to the widest
 * cell by display width, trailing spaces dropped), but streamed: the rows go
 * to FILE.part.rows as tab-separated lines while the widths are counted, and
 * are padded on the way into the file at the end, so a million cards take
 * no more memory than one. */
typedef struct plain {
  FILE *rows;
  char path[4300];
  size_t *width;
} plain;

static int plain_begin(cl__exp *w) {
  int rc = text_begin(w);
  if (rc) return rc;
  plain *p = calloc(1, sizeof *p);
  if (!p || !(p->width = calloc((size_t)w->ncols + 1, sizeof *p->width))) {
    if (p) free(p);
    return kt_err_set(w->err, KT_ENOMEM, "out of memory");
  }
  w->state = 0;
  snprintf(p->path, sizeof p->path, "%s.rows", w->tmp);
  if (!(p->rows = fopen(p->path, "w+b"))) {
    free(p->width);
    free(p);
    return kt_err_set(w->err, KT_EIO, "cannot write %s: %s", w->path, strerror(errno));
  }
  unlink(p->path); /* gone with the handle, whatever happens */
  for (int i = 0; i < w->ncols; i++)
    p->width[i] = kt_text_width(kt_mfield_label(w->cols[i]), (size_t)-1);
  w->priv = p;
  return 0;
}

static int plain_row(cl__exp *w, const cl_rec *r) {
  plain *p = w->priv;
  int rc = cl__exp_values(w, r, false);
  if (rc) return rc;
  for (size_t i = 0; i < w->vals.len; i++) /* one line per card */
    if (w->vals.p[i] == '\n' || w->vals.p[i] == '\r' || w->vals.p[i] == '\t') w->vals.p[i] = ' ';
  for (int i = 0; i < w->ncols; i++) {
    size_t cw = kt_text_width(w->v[i], (size_t)-1);
    if (cw > p->width[i]) p->width[i] = cw;
    if (i) fputc('\t', p->rows);
    fputs(w->v[i], p->rows);
  }
  fputc('\n', p->rows);
  if (ferror(p->rows)) return kt_err_set(w->err, KT_EIO, "cannot write %s: %s", w->path, strerror(errno));
  return 0;
}

static void plain_line(cl__exp *w, const plain *p, char **cells) {
  size_t start = w->out.len;
  for (int i = 0; i < w->ncols; i++) {
    if (i) kt_buf_puts(&w->out, "  ");
    kt_pad(&w->out, cells[i] ? cells[i] : "", p->width[i]);
  }
  while (w->out.len > start && w->out.p[w->out.len - 1] == ' ') w->out.p[--w->out.len] = '\0';
  kt_buf_putc(&w->out, '\n');
}

static void plain_free(cl__exp *w) {
  plain *p = w->priv;
  if (!p) return;
  if (p->rows) fclose(p->rows);
  free(p->width);
  free(p);
  w->priv = NULL;
}

static int plain_end(cl__exp *w) {
  plain *p = w->priv;
  char **cells = calloc((size_t)w->ncols + 1, sizeof *cells);
  char *line = NULL;
  size_t cap = 0;
  int rc = 0;
  if (!cells) {
    rc = kt_err_set(w->err, KT_ENOMEM, "out of memory");
    goto out;
  }
  for (int i = 0; i < w->ncols; i++) cells[i] = (char *)kt_mfield_label(w->cols[i]);
  plain_line(w, p, cells);
  rewind(p->rows);
  ssize_t got;
  while (!rc && (got = getline(&line, &cap, p->rows)) > 0) {
    if (line[got - 1] == '\n') line[--got] = '\0';
    char *c = line;
    for (int i = 0; i < w->ncols; i++) {
      cells[i] = c;
      char *tab = c ? strchr(c, '\t') : NULL;
      if (tab) *tab = '\0';
      c = tab ? tab + 1 : NULL;
    }
    plain_line(w, p, cells);
    rc = cl__exp_flush(w, 256u << 10);
  }
  if (!rc && ferror(p->rows)) rc = kt_err_set(w->err, KT_EIO, "cannot read back %s", p->path);
  if (!rc) rc = text_end(w);
out:
  free(line);
  free(cells);
  plain_free(w);
  return rc;
}

static void plain_drop(cl__exp *w) {
  plain_free(w);
  text_drop(w);
}

const cl__exp_sink cl__exp_text = {"text", CL_EXPORT_TEXT, NULL, plain_begin, plain_row, plain_end,
                                   plain_drop};
