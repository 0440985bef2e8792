/* cl_export — see cl_export.h. The frame every format shares: the rights
 * check, the columns, the .part file, the server's leave and the rename;
 * the CSV and XLSX writers. The other writers are in cl_export_fmt.c; each
 * declares itself as a cl__exp_sink (cl_export_int.h) in `sinks`. */
#include "cl_export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "cl_export_int.h"
#include "cl_remote.h"
#include "kt_buf.h"
#include "kt_time.h"
#include "kt_plat.h"

/* ---- CSV ------------------------------------------------------------------- */

/* One CSV field: quoted when it holds the separator, a quote or a line break. */
static void csv_field(FILE *f, const char *s, size_t n) {
  if (strcspn(s, ";\"\r\n") >= n) {
    fwrite(s, 1, n, f);
    return;
  }
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') fputc('"', f);
    fputc(s[i], f);
  }
  fputc('"', f);
}

static int csv_line_end(cl__exp *w) {
  fputs("\r\n", w->f);
  if (ferror(w->f)) return kt_err_set(w->err, KT_EIO, "cannot write the file: %s", strerror(errno));
  return 0;
}

static int csv_begin(cl__exp *w) {
  if (!(w->f = fopen(w->tmp, "wb")))
    return kt_err_set(w->err, KT_EIO, "cannot write %s: %s", w->path, strerror(errno));
  fputs("\xEF\xBB\xBF", w->f); /* a BOM: Excel then reads UTF-8 */
  for (int i = 0; i < w->ncols; i++) {
    const char *label = kt_mfield_label(w->cols[i]);
    if (i) fputc(';', w->f);
    csv_field(w->f, label, strlen(label));
  }
  return csv_line_end(w);
}

static int csv_row(cl__exp *w, const cl_rec *r) {
  int rc = cl__exp_values(w, r, false);
  for (int i = 0; !rc && i < w->ncols; i++) {
    if (i) fputc(';', w->f);
    csv_field(w->f, w->v[i], strlen(w->v[i]));
  }
  return rc ? rc : csv_line_end(w);
}

static int file_end(cl__exp *w) {
  int bad = fflush(w->f) != 0 || fsync(fileno(w->f)) != 0;
  bad |= fclose(w->f) != 0;
  w->f = NULL;
  if (bad) return kt_err_set(w->err, KT_EIO, "cannot write %s: %s", w->path, strerror(errno));
  return 0;
}

static void file_drop(cl__exp *w) {
  if (w->f) fclose(w->f);
  w->f = NULL;
}

static const cl__exp_sink sink_csv = {"csv", CL_EXPORT_CSV, NULL, csv_begin, csv_row, file_end, file_drop};

/* ---- XLSX ------------------------------------------------------------------ */

bool cl__exp_is_number(const kt_mfield *f) {
  return f->type == KT_FT_INT || f->type == KT_FT_NUMBER || f->type == KT_FT_MONEY ||
         f->type == KT_FT_DURATION;
}

static int xlsx_begin(cl__exp *w) {
  lxw_workbook_options o = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
  if (!(w->wb = workbook_new_opt(w->tmp, &o)) ||
      !(w->ws = workbook_add_worksheet(w->wb, w->type->def->name)))
    return kt_err_set(w->err, KT_EIO, "cannot write %s", w->path);
  w->bold = workbook_add_format(w->wb);
  format_set_bold(w->bold);
  w->date = workbook_add_format(w->wb);
  format_set_num_format(w->date, "yyyy-mm-dd");
  w->datetime = workbook_add_format(w->wb);
  format_set_num_format(w->datetime, "yyyy-mm-dd hh:mm");
  for (int i = 0; i < w->ncols; i++)
    if (worksheet_write_string(w->ws, 0, (lxw_col_t)i, kt_mfield_label(w->cols[i]), w->bold) !=
        LXW_NO_ERROR)
      return kt_err_set(w->err, KT_EIO, "cannot write the workbook");
  w->row = 1;
  return 0;
}

static int xlsx_row(cl__exp *w, const cl_rec *r) {
  int rc = cl__exp_values(w, r, false);
  for (int i = 0; !rc && i < w->ncols; i++) {
    const kt_mfield *f = w->cols[i];
    const char *s = w->v[i];
    if (!*s) continue;
    lxw_error e;
    const kt_value *val = &r->v[r->type->pos[f->vidx]];
    lxw_datetime dt = {0};
    if (f->type == KT_FT_DATE && sscanf(s, "%4d-%2d-%2d", &dt.year, &dt.month, &dt.day) == 3) {
      e = worksheet_write_datetime(w->ws, w->row, (lxw_col_t)i, &dt, w->date);
    } else if (f->type == KT_FT_DATETIME && val->kind == KT_V_INT) {
      /* the PC's local time, as a spreadsheet keeps it (no zone) */
      char iso[40];
      int sec = 0;
      kt_datetime_format(val->i, true, iso, sizeof iso);
      if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &dt.year, &dt.month, &dt.day, &dt.hour, &dt.min,
                 &sec) != 6)
        return kt_err_set(w->err, KT_EINVAL, "internal: time '%s'", iso);
      dt.sec = sec;
      e = worksheet_write_datetime(w->ws, w->row, (lxw_col_t)i, &dt, w->datetime);
    } else if (cl__exp_is_number(f)) {
      /* a duration as its minutes: "1h30m" is no number */
      double d = f->type == KT_FT_DURATION && val->kind == KT_V_INT ? (double)val->i : strtod(s, NULL);
      e = worksheet_write_number(w->ws, w->row, (lxw_col_t)i, d, NULL);
    } else {
      e = worksheet_write_string(w->ws, w->row, (lxw_col_t)i, s, NULL);
    }
    if (e != LXW_NO_ERROR)
      rc = kt_err_set(w->err, KT_EIO, "cannot write the workbook: %s", lxw_strerror(e));
  }
  w->row++;
  return rc;
}

static int xlsx_end(cl__exp *w) {
  lxw_error e = workbook_close(w->wb);
  w->wb = NULL;
  if (e != LXW_NO_ERROR)
    return kt_err_set(w->err, KT_EIO, "cannot write %s: %s", w->path, lxw_strerror(e));
  return 0;
}

static void xlsx_drop(cl__exp *w) {
  if (w->wb) workbook_close(w->wb);
  w->wb = NULL;
}

static const cl__exp_sink sink_xlsx = {"xlsx", CL_EXPORT_XLSX, NULL, xlsx_begin, xlsx_row, xlsx_end, xlsx_drop};

/* ---- the frame ------------------------------------------------------------- */

static const cl__exp_sink *const sinks[] = {&sink_csv, &sink_xlsx, &cl__exp_ods, &cl__exp_vcard,
                                            &cl__exp_ical, &cl__exp_html, &cl__exp_text, &cl__exp_vcard4};
#define NSINKS ((int)(sizeof sinks / sizeof sinks[0]))

static const cl__exp_sink *sink_of(cl_export_fmt fmt) {
  for (int i = 0; i < NSINKS; i++)
    if (sinks[i]->fmt == fmt) return sinks[i];
  return sinks[0];
}

int cl_export_format(const char *name, cl_export_fmt *fmt, kt_err *err) {
  for (int i = 0; name && i < NSINKS; i++)
    if (strcmp(name, sinks[i]->name) == 0) {
      *fmt = sinks[i]->fmt;
      return 0;
    }
  kt_buf names = KT_BUF_INIT;
  for (int i = 0; i < NSINKS; i++) kt_buf_printf(&names, "%s%s", i ? ", " : "", sinks[i]->name);
  int rc = kt_err_set(err, KT_EINVAL, "unsupported export format '%s' (supported: %s)",
                      name ? name : "", kt_buf_str(&names));
  kt_buf_free(&names);
  return rc;
}

int cl__exp_values(cl__exp *w, const cl_rec *r, bool iso) {
  kt_buf_reset(&w->vals);
  for (int i = 0; i < w->ncols; i++) {
    const kt_mfield *f = w->cols[i];
    const kt_value *v = &r->v[r->type->pos[f->vidx]];
    w->off[i] = w->vals.len;
    kt_buf_reset(&w->cell);
    if (v->kind == KT_V_TEXT && w->names && w->names[i]) {
      int rc = cl_reftitles_get(w->names[i], v->s, &w->cell, w->err);
      if (rc) return rc;
    } else if (v->kind != KT_V_NULL) {
      kt_mfield_format(f, v, iso, &w->cell);
    }
    kt_buf_append(&w->vals, w->cell.p ? w->cell.p : "", w->cell.len);
    kt_buf_putc(&w->vals, '\0');
  }
  if (w->vals.oom || w->cell.oom) return kt_err_set(w->err, KT_ENOMEM, "out of memory");
  for (int i = 0; i < w->ncols; i++) w->v[i] = w->vals.p + w->off[i];
  return 0;
}

int cl__exp_flush(cl__exp *w, size_t keep) {
  if (w->out.oom) return kt_err_set(w->err, KT_ENOMEM, "out of memory");
  if (w->out.len <= keep || !w->out.len) return 0;
  if (fwrite(w->out.p, 1, w->out.len, w->f) != w->out.len)
    return kt_err_set(w->err, KT_EIO, "cannot write %s: %s", w->path, strerror(errno));
  kt_buf_reset(&w->out);
  return 0;
}

typedef struct walk {
  cl__exp *w;
  const cl__exp_sink *sink;
  int rc;
} walk;

static int on_rec(void *ud, const cl_rec *r) {
  walk *k = ud;
  k->rc = k->sink->row(k->w, r);
  if (!k->rc) k->w->count++;
  return k->rc;
}

/* The columns: the ones asked for, or every field but the id and the times the
 * program keeps. Hidden fields too: hiding takes a field off the forms, it does
 * not make its data go away, and an export is the office's data. */
static int pick_columns(kt_mtype *t, const char *const *names, int n, const kt_mfield ***out,
                        int *nout, kt_err *err) {
  const kt_mfield **cols = calloc((size_t)t->nfields, sizeof *cols);
  if (!cols) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int k = 0;
  if (n > 0) {
    for (int i = 0; i < n && k < t->nfields; i++) {
      kt_mfield *f;
      int rc = kt_mtype_field_get(t, names[i], &f, err);
      if (rc) {
        free(cols);
        return rc;
      }
      cols[k++] = f;
    }
  } else {
    for (int i = 0; i < t->nfields; i++) {
      const kt_mfield *f = &t->fields[i];
      if (f->vidx == KT_F_ID || f->vidx == KT_F_DELETED || f->vidx == KT_F_UPDATED ||
          f->vidx == KT_F_CREATED)
        continue;
      cols[k++] = f;
    }
  }
  *out = cols;
  *nout = k;
  return 0;
}

/* Asks the office server for leave (a connected profile only): the right is
 * checked there and the export goes into the audit log. */
static int ask_server(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *type,
                      int64_t rows, const char *format, const char *path, kt_err *err) {
  if (!profile_dir || !cl_store_connected(s)) return 0; /* a standalone card index */
  char nrows[32] = "?"; /* -1: refused before counting */
  if (rows >= 0) snprintf(nrows, sizeof nrows, "%lld", (long long)rows);
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  const char *keys[] = {"rows", "format", "file"};
  const char *vals[] = {nrows, format, base};
  kt_buf out = KT_BUF_INIT;
  kt_err e2;
  kt_err_clear(&e2);
  int rc = cl_admin(loop, profile_dir, s, "export", type, keys, vals, 3, &out, &e2);
  kt_buf_free(&out);
  if (rc == KT_EPERM || rc == KT_EDISABLED || rc == KT_EREVOKED || rc == KT_EAUTH)
    return kt_err_set(err, rc, "%s", e2.msg);
  if (rc)
    return kt_err_set(err, KT_ENET, "an export needs the office server, which records who "
                      "exported what, and it could not be asked (%s); try again when connected",
                      e2.msg);
  return 0;
}

/* Whether the format can hold cards of type t. */
static int type_fits(const cl__exp_sink *sink, const kt_mtype *t, kt_err *err) {
  if (!sink->types) return 0;
  const char *p = sink->types, *name = t->def->name;
  size_t n = strlen(name);
  while ((p = strstr(p, name)) != NULL) {
    if ((p == sink->types || p[-1] == ' ') && (p[n] == ' ' || !p[n])) return 0;
    p += n;
  }
  return kt_err_set(err, KT_EINVAL, "%s export holds %s cards, not %s ones; use --type %s",
                    sink->name, sink->types, name, sink->types);
}

/* Makes w ready for records of type t: its columns and their buffers. */
static int open_type(cl__exp *w, kt_mtype *t, const char *const *columns, int ncolumns,
                     kt_err *err) {
  w->type = t;
  int rc = pick_columns(t, columns, ncolumns, &w->cols, &w->ncols, err);
  if (rc) return rc;
  if (!(w->names = calloc((size_t)w->ncols + 1, sizeof *w->names)) ||
      !(w->off = calloc((size_t)w->ncols + 1, sizeof *w->off)) ||
      !(w->v = calloc((size_t)w->ncols + 1, sizeof *w->v)) ||
      !(w->fieldnames = calloc((size_t)w->ncols + 1, sizeof *w->fieldnames)))
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  for (int i = 0; i < w->ncols; i++) w->fieldnames[i] = w->cols[i]->name;
  for (int i = 0; !rc && i < w->ncols; i++)
    if (w->cols[i]->type == KT_FT_REF) rc = cl_reftitles_open(w->s, w->cols[i]->ref, &w->names[i], err);
  return rc;
}

static void close_type(cl__exp *w) {
  for (int i = 0; w->names && i < w->ncols; i++) cl_reftitles_close(w->names[i]);
  free(w->names);
  free(w->off);
  free(w->v);
  free(w->fieldnames);
  free(w->cols);
  w->names = NULL, w->off = NULL, w->v = NULL, w->fieldnames = NULL, w->cols = NULL;
  w->ncols = 0;
}

#define EXP_MAX_TYPES 4

/* The export of what q selects (card: one card, for HTML with its related).
 * Without a type, a format that holds several (iCalendar: events and tasks)
 * takes all of them into the one file. */
static int run(uv_loop_t *loop, const char *profile_dir, cl_store *s, const cl_query *q,
               const cl_rec *card, const char *const *columns, int ncolumns, cl_export_fmt fmt,
               const char *path, int64_t *count, kt_err *err) {
  *count = 0;
  const cl__exp_sink *sink = sink_of(fmt);
  kt_mtype *types[EXP_MAX_TYPES];
  int ntypes = 0, rc = 0;
  if (q->type) {
    if ((rc = kt_model_type_get(cl_store_model(s), q->type, &types[0], err))) return rc;
    ntypes = 1;
  } else if (sink->types && !card) {
    char name[64];
    for (const char *p = sink->types; *p && ntypes < EXP_MAX_TYPES;) {
      size_t n = strcspn(p, " ");
      snprintf(name, sizeof name, "%.*s", (int)n, p);
      if ((rc = kt_model_type_get(cl_store_model(s), name, &types[ntypes++], err))) return rc;
      p += n + (p[n] == ' ');
    }
  } else {
    return kt_err_set(err, KT_EINVAL, "say which cards to export: a type (org, contact, ...) "
                      "or one card's id");
  }
  if (!path || !*path) return kt_err_set(err, KT_EINVAL, "give the file to write");
  for (int i = 0; i < ntypes; i++)
    if (!(card && fmt == CL_EXPORT_HTML) && (rc = type_fits(sink, types[i], err))) return rc;
  /* the rights the server sent at login already say no: nothing is written, and the
     server is still asked so that the attempt is in its audit log */
  const kt_rights *rights = cl_store_connected(s) ? cl_store_rights(s) : NULL;
  if (rights && !rights->can_export) {
    rc = ask_server(loop, profile_dir, s, types[0]->def->name, -1, sink->name, path, err);
    if (rc == 0 || rc == KT_ENET)
      rc = kt_err_set(err, KT_EPERM, "your role (%s) may not export cards; ask your "
                      "administrator for the export right", cl_store_role(s));
    return rc;
  }
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.part", path);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  cl__exp w = {.s = s, .type = types[0], .path = path, .tmp = tmp, .err = err,
               .cell = KT_BUF_INIT, .vals = KT_BUF_INIT, .out = KT_BUF_INIT,
               .now_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000};
  int64_t per[EXP_MAX_TYPES] = {0};
  bool begun = false;
  if ((rc = open_type(&w, types[0], columns, ncolumns, err))) goto out;
  begun = true;
  if ((rc = sink->begin(&w))) goto out;
  if (card && fmt == CL_EXPORT_HTML) {
    rc = cl__exp_html_card(&w, card);
    if (!rc) w.count = per[0] = 1;
  } else {
    for (int i = 0; !rc && i < ntypes; i++) {
      if (i) {
        close_type(&w);
        if ((rc = open_type(&w, types[i], columns, ncolumns, err))) break;
      }
      cl_query qt = *q;
      qt.type = types[i]->def->name;
      int64_t before = w.count;
      walk k = {.w = &w, .sink = sink};
      rc = cl_store_list(s, &qt, on_rec, &k, err);
      if (k.rc) rc = k.rc;
      per[i] = w.count - before;
    }
  }
  if (rc || (rc = sink->end(&w))) goto out;
  /* the file is complete: now the server's leave (and its audit row), then it appears */
  for (int i = 0; !rc && i < ntypes; i++)
    rc = ask_server(loop, profile_dir, s, types[i]->def->name, per[i], sink->name, path, err);
  if (rc) goto out;
  if (kt_plat_rename(tmp, path) != 0) {
    rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", path, strerror(errno));
    goto out;
  }
  *count = w.count;
out:
  if (rc && begun) {
    sink->drop(&w);
    kt_plat_remove(tmp);
  }
  kt_buf_free(&w.cell);
  kt_buf_free(&w.vals);
  kt_buf_free(&w.out);
  close_type(&w);
  return rc;
}

int cl_export(uv_loop_t *loop, const char *profile_dir, cl_store *s, const cl_query *q,
              const char *const *columns, int ncolumns, cl_export_fmt fmt, const char *path,
              int64_t *count, kt_err *err) {
  return run(loop, profile_dir, s, q, NULL, columns, ncolumns, fmt, path, count, err);
}

int cl_export_card(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *id,
                   cl_export_fmt fmt, const char *path, kt_err *err) {
  cl_rec *r = NULL;
  int rc = cl_store_get(s, id, &r, err);
  if (rc) return rc;
  if (cl_rec_deleted(r)) {
    cl_rec_free(r);
    return kt_err_set(err, KT_ENOTFOUND, "card %s is in the trash; restore it first", id);
  }
  cl_filter where = {"id", '=', cl_rec_id(r)};
  cl_query q = {.type = r->type->def->name, .where = &where, .nwhere = 1};
  int64_t n = 0;
  rc = run(loop, profile_dir, s, &q, r, NULL, 0, fmt, path, &n, err);
  cl_rec_free(r);
  return rc;
}
