/* cl_rowset — what every import reader produces and the import pipeline
 * consumes: a header of column names and rows of UTF-8 cells, each row with
 * the line (and, where the format has them, column numbers) it came from, so
 * that every problem can be named where it is in the file.
 *
 * Readers: CSV/text (cl_csv), XLSX/ODS (cl_sheet), vCard (cl_vcard),
 * iCalendar (cl_ical). Spreadsheets and CSV keep the file's own header
 * texts (mapped to fields later, by name, label or --map); vCard and
 * iCalendar readers name their columns by field name ("last_name",
 * "phone_mobile", "start") and may give a row its own record type (an .ics
 * holds events and tasks). Several values for one field in one cell are
 * joined by CL_ROWSET_MULTI (" ::: ", as Google Contacts writes them); the
 * pipeline spreads them over the card's fields of that kind.
 *
 * Ownership: a rowset owns all its strings; free with cl_rowset_free.
 * GLib-free; any thread. */
#ifndef CL_ROWSET_H
#define CL_ROWSET_H

#include <stdbool.h>
#include <stddef.h>

#include "kt_err.h"

#define CL_ROWSET_MULTI " ::: "

typedef struct cl_row {
  char **cells;     /* ncells UTF-8 strings ("" for empty; never NULL) */
  int ncells;       /* may differ from the header's count: the pipeline reports it */
  int line;         /* 1-based line (CSV, vCard, iCalendar) or row (sheets) where it starts */
  const char *type; /* record type of this row, or NULL: the import's --type */
} cl_row;

typedef struct cl_rowset {
  char **header;    /* nheader column names */
  int nheader;
  int header_line;  /* 1-based line/row of the header (0 when the format has none) */
  cl_row *rows;
  int nrows;
  const char *format;   /* "csv", "xlsx", "ods", "vcard", "ical" (static) */
  char encoding[32];    /* what was read: "utf-8", "utf-8-bom", "cp1251", "utf-16le" ... */
  char delimiter;       /* CSV only: ',', ';', '\t'; 0 otherwise */
} cl_rowset;

/* How to read a file. Every member may be 0/NULL (= detect). */
typedef struct cl_read_opts {
  const char *encoding; /* override detection ("cp1251", "utf-16le", ...) */
  char delimiter;       /* override detection */
  const char *sheet;    /* spreadsheets: sheet by name (NULL = the first) */
} cl_read_opts;

/* An empty rowset (KT_ENOMEM -> NULL) and the helpers readers build with. */
cl_rowset *cl_rowset_new(const char *format);
void cl_rowset_free(cl_rowset *rs);
/* Appends a header column / a row (cells copied). KT_ENOMEM. */
int cl_rowset_add_header(cl_rowset *rs, const char *name, kt_err *err);
int cl_rowset_add_row(cl_rowset *rs, const char *const *cells, int n, int line, const char *type,
                      kt_err *err);

/* Reads path as format ("csv", "text", "xlsx", "ods", "vcard", "ical"), or
 * detects the format from the content when format is NULL or "auto".
 * *out owned by the caller, set only on success. Errors name the line:
 * KT_EIO (cannot read), KT_EINVAL (not that format, bad encoding, broken
 * structure), KT_ENOMEM. */
int cl_rowset_read(const char *format, const char *path, const cl_read_opts *opts,
                   cl_rowset **out, kt_err *err);

#endif
