/* cl_export — see cl_export.h. */
#include "cl_export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "cl_remote.h"
#include "kt_buf.h"
#include "kt_plat.h"

int cl_export_format(const char *name, cl_export_fmt *fmt, kt_err *err) {
  if (name && strcmp(name, "csv") == 0) *fmt = CL_EXPORT_CSV;
  else if (name && strcmp(name, "xlsx") == 0) *fmt = CL_EXPORT_XLSX;
  else
    return kt_err_set(err, KT_EINVAL, "unsupported export format '%s' (supported: csv, xlsx)",
                      name ? name : "");
  return 0;
}

typedef struct writer {
  cl_export_fmt fmt;
  const kt_mfield **cols;
  cl_reftitles **names;      /* per column: references written as unique names */
  int ncols;
  FILE *f;                   /* CSV */
  lxw_workbook *wb;          /* XLSX */
  lxw_worksheet *ws;
  lxw_format *bold;
  lxw_row_t row;
  int64_t count;
  kt_buf cell;
  int rc;
  kt_err *err;
} writer;

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

static bool is_number(const kt_mfield *f) {
  return f->type == KT_FT_INT || f->type == KT_FT_NUMBER || f->type == KT_FT_MONEY ||
         f->type == KT_FT_DURATION;
}

static int write_cell(writer *w, int col, const kt_mfield *f, const kt_value *v) {
  kt_buf_reset(&w->cell);
  if (v && v->kind == KT_V_TEXT && w->names && w->names[col]) {
    int rc = cl_reftitles_get(w->names[col], v->s, &w->cell, w->err);
    if (rc) return rc;
  } else if (v && v->kind != KT_V_NULL) {
    kt_mfield_format(f, v, false, &w->cell);
  }
  const char *s = kt_buf_str(&w->cell);
  if (w->fmt == CL_EXPORT_CSV) {
    if (col) fputc(';', w->f);
    csv_field(w->f, s, w->cell.len);
    return 0;
  }
  if (!w->cell.len) return 0;
  lxw_error e;
  if (f && is_number(f)) e = worksheet_write_number(w->ws, w->row, (lxw_col_t)col, strtod(s, NULL), NULL);
  else e = worksheet_write_string(w->ws, w->row, (lxw_col_t)col, s, NULL);
  if (e != LXW_NO_ERROR)
    return kt_err_set(w->err, KT_EIO, "cannot write the workbook: %s", lxw_strerror(e));
  return 0;
}

static int end_row(writer *w) {
  if (w->fmt == CL_EXPORT_CSV) {
    fputs("\r\n", w->f);
    if (ferror(w->f)) return kt_err_set(w->err, KT_EIO, "cannot write the file: %s", strerror(errno));
  }
  w->row++;
  return 0;
}

static int on_rec(void *ud, const cl_rec *r) {
  writer *w = ud;
  for (int i = 0; !w->rc && i < w->ncols; i++)
    w->rc = write_cell(w, i, w->cols[i], &r->v[r->type->pos[w->cols[i]->vidx]]);
  if (!w->rc) w->rc = end_row(w);
  if (!w->rc) w->count++;
  return w->rc;
}

static int header(writer *w) {
  for (int i = 0; i < w->ncols; i++) {
    const char *label = kt_mfield_label(w->cols[i]);
    if (w->fmt == CL_EXPORT_CSV) {
      if (i) fputc(';', w->f);
      csv_field(w->f, label, strlen(label));
    } else if (worksheet_write_string(w->ws, 0, (lxw_col_t)i, label, w->bold) != LXW_NO_ERROR) {
      return kt_err_set(w->err, KT_EIO, "cannot write the workbook");
    }
  }
  return end_row(w);
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
                      int64_t rows, cl_export_fmt fmt, const char *path, kt_err *err) {
  if (!profile_dir || !cl_store_connected(s)) return 0; /* a standalone card index */
  char nrows[32] = "?"; /* -1: refused before counting */
  if (rows >= 0) snprintf(nrows, sizeof nrows, "%lld", (long long)rows);
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  const char *keys[] = {"rows", "format", "file"};
  const char *vals[] = {nrows, fmt == CL_EXPORT_CSV ? "csv" : "xlsx", base};
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

int cl_export(uv_loop_t *loop, const char *profile_dir, cl_store *s, const cl_query *q,
              const char *const *columns, int ncolumns, cl_export_fmt fmt, const char *path,
              int64_t *count, kt_err *err) {
  *count = 0;
  kt_mtype *t;
  int rc = kt_model_type_get(cl_store_model(s), q->type, &t, err);
  if (rc) return rc;
  if (!path || !*path) return kt_err_set(err, KT_EINVAL, "give the file to write");
  /* the rights the server sent at login already say no: nothing is written, and the
     server is still asked so that the attempt is in its audit log */
  const kt_rights *rights = cl_store_connected(s) ? cl_store_rights(s) : NULL;
  if (rights && !rights->can_export) {
    rc = ask_server(loop, profile_dir, s, t->def->name, -1, fmt, path, err);
    if (rc == 0 || rc == KT_ENET)
      rc = kt_err_set(err, KT_EPERM, "your role (%s) may not export cards; ask your "
                      "administrator for the export right", cl_store_role(s));
    return rc;
  }
  writer w = {.fmt = fmt, .cell = KT_BUF_INIT, .err = err};
  if ((rc = pick_columns(t, columns, ncolumns, &w.cols, &w.ncols, err))) return rc;
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.part", path);
  if (fmt == CL_EXPORT_CSV) {
    if (!(w.f = fopen(tmp, "wb"))) {
      rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", path, strerror(errno));
      goto out;
    }
    fputs("\xEF\xBB\xBF", w.f); /* a BOM: Excel then reads UTF-8 */
  } else {
    lxw_workbook_options o = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
    if (!(w.wb = workbook_new_opt(tmp, &o)) || !(w.ws = workbook_add_worksheet(w.wb, t->def->name))) {
      rc = kt_err_set(err, KT_EIO, "cannot write %s", path);
      goto out;
    }
    w.bold = workbook_add_format(w.wb);
    format_set_bold(w.bold);
  }
  if (!(w.names = calloc((size_t)w.ncols + 1, sizeof *w.names))) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  for (int i = 0; !rc && i < w.ncols; i++)
    if (w.cols[i]->type == KT_FT_REF) rc = cl_reftitles_open(s, w.cols[i]->ref, &w.names[i], err);
  if (rc) goto out;
  if ((rc = header(&w))) goto out;
  rc = cl_store_list(s, q, on_rec, &w, err);
  if (w.rc) rc = w.rc;
  if (rc) goto out;
  if (w.f) {
    int bad = kt_plat_fsync_file(w.f) != 0;
    bad |= fclose(w.f) != 0;
    w.f = NULL;
    if (bad) {
      rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", path, strerror(errno));
      goto out;
    }
  } else {
    lxw_error e = workbook_close(w.wb);
    w.wb = NULL;
    if (e != LXW_NO_ERROR) {
      rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", path, lxw_strerror(e));
      goto out;
    }
  }
  /* the file is complete: now the server's leave (and its audit row), then it appears */
  if ((rc = ask_server(loop, profile_dir, s, t->def->name, w.count, fmt, path, err))) goto out;
  if (kt_plat_rename(tmp, path) != 0) {
    rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", path, strerror(errno));
    goto out;
  }
  *count = w.count;
out:
  if (w.f) fclose(w.f);
  if (w.wb) workbook_close(w.wb);
  if (rc) kt_plat_remove(tmp);
  kt_buf_free(&w.cell);
  for (int i = 0; w.names && i < w.ncols; i++) cl_reftitles_close(w.names[i]);
  free(w.names);
  free(w.cols);
  return rc;
}
