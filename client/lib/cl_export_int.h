/* cl_export_int.h — between cl_export.c (the frame: rights, columns, the
 * server's leave, the .part file renamed into place) and the writers of each
 * format (CSV and XLSX in cl_export.c, the others in cl_export_fmt.c). A
 * writer declares itself as a cl__exp_sink: begin opens w->tmp, row writes
 * one record, end completes and closes the file, drop frees what begin made
 * when the export fails (the frame then removes w->tmp). */
#ifndef CL_EXPORT_INT_H
#define CL_EXPORT_INT_H

#include <stdio.h>
#include <xlsxwriter.h>

#include "cl_export.h"
#include "cl_sheet.h"

typedef struct cl__exp {
  cl_store *s;
  kt_mtype *type;
  const kt_mfield **cols;
  int ncols;
  cl_reftitles **names; /* per column: references written as unique names */
  const char *path;     /* the file asked for (for messages) */
  const char *tmp;      /* the file being written */
  int64_t now_ms;       /* iCalendar's DTSTAMP */
  /* writers' state */
  FILE *f;              /* CSV and the text formats */
  lxw_workbook *wb;     /* XLSX */
  lxw_worksheet *ws;
  lxw_format *bold;
  lxw_format *date, *datetime; /* XLSX: dates as dates, with a date format */
  lxw_row_t row;
  cl_ods *ods;          /* ODS */
  void *priv;           /* a writer's own state (text: its row file and widths) */
  kt_buf out;           /* text being written, flushed to f */
  int state;            /* HTML: the list's table has begun */
  /* the record being written: one value per column */
  kt_buf cell;
  kt_buf vals;
  size_t *off;
  const char **fieldnames;
  const char **v;
  int64_t count;
  kt_err *err;
} cl__exp;

typedef struct cl__exp_sink {
  const char *name;     /* "csv", "ods", ... */
  cl_export_fmt fmt;
  const char *types;    /* the types it can hold, space-separated; NULL = any */
  int (*begin)(cl__exp *w);
  int (*row)(cl__exp *w, const cl_rec *r);
  int (*end)(cl__exp *w);
  void (*drop)(cl__exp *w);
} cl__exp_sink;

extern const cl__exp_sink cl__exp_ods, cl__exp_vcard, cl__exp_vcard4, cl__exp_ical, cl__exp_html, cl__exp_text;

/* Formats r's columns into w->v (iso: the stored form, as JSON has it; else
 * as people read it, choices by label). References by unique name. */
int cl__exp_values(cl__exp *w, const cl_rec *r, bool iso);
/* Writes w->out to w->f when it holds more than `keep` bytes (0 = all). */
int cl__exp_flush(cl__exp *w, size_t keep);
/* Whether a field's values are numbers in a spreadsheet. */
bool cl__exp_is_number(const kt_mfield *f);

/* HTML of one card and its related cards (cl_export_card). */
int cl__exp_html_card(cl__exp *w, const cl_rec *r);

#endif
