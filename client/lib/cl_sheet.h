/* cl_sheet — spreadsheets: readers for XLSX (Excel, LibreOffice: the
 * workbook, shared strings, styles and one sheet's XML inside the zip) and
 * ODS (content.xml), and a writer of ODS for export.
 *
 * Readers give the sheet's cells as the spreadsheet stores them: a number
 * as its number ("1250000.5"), a number with a date style (XLSX) or a date
 * cell (ODS) as an ISO date "2026-11-22" (with a time: "2026-11-22T10:30"),
 * booleans as TRUE/FALSE, text as text. The first row with anything in it is
 * the header; empty rows are skipped; each row's line is its row number.
 * The first sheet, or the one named in opts->sheet.
 *
 * Hostile files: zip entries are read up to a cap, XML is parsed without
 * network, without entities and without DTDs (a DOCTYPE is refused), ODS
 * repeat counts only ever advance a counter for empty cells and rows, and
 * the cells a sheet may make are capped. Pure functions: any thread;
 * GLib-free. */
#ifndef CL_SHEET_H
#define CL_SHEET_H

#include <stddef.h>

#include "cl_rowset.h"
#include "kt_err.h"

/* Limits (a sheet past them is refused with a message saying to split it). */
#define CL_SHEET_MAX_ROWS 1048576
#define CL_SHEET_MAX_COLS 16384
#ifndef CL_SHEET_MAX_CELLS /* the fuzz build makes it smaller */
#define CL_SHEET_MAX_CELLS (32u << 20)      /* cells a rowset may hold */
#endif
#define CL_SHEET_MAX_REPEAT 65536           /* copies of one non-empty ODS row */
#define CL_SHEET_MAX_ENTRY ((size_t)512 << 20) /* bytes of one unpacked zip entry */

/* Reads a workbook from memory (n bytes of the .xlsx / .ods file). sheet:
 * the sheet's name, NULL = the first. *out owned by the caller. KT_EINVAL
 * (not that format, no such sheet — the message lists the sheets —, broken
 * XML, over a limit), KT_ENOMEM. */
int cl_sheet_parse_xlsx(const void *data, size_t n, const char *sheet, cl_rowset **out,
                        kt_err *err);
int cl_sheet_parse_ods(const void *data, size_t n, const char *sheet, cl_rowset **out,
                       kt_err *err);
/* The same for files (opts->sheet). KT_EIO when the file cannot be read. */
int cl_sheet_read_xlsx(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err);
int cl_sheet_read_ods(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err);

/* Content sniffers for cl_rowset: 2 for a zip whose first entry is ODF's
 * spreadsheet mimetype (ods), 2 for any other zip (xlsx: the reader then says
 * what it lacks), else 0. */
int cl_sheet_sniff_xlsx(const char *head, size_t n);
int cl_sheet_sniff_ods(const char *head, size_t n);

/* ODS writer: cells are written to a temporary file beside path as they
 * come (memory stays flat for a million rows); cl_ods_close packs the
 * document. Not thread-safe per writer. */
typedef struct cl_ods cl_ods;
typedef enum {
  CL_CELL_EMPTY,
  CL_CELL_TEXT,     /* a string cell */
  CL_CELL_NUMBER,   /* v: a decimal number "42", "1234.5" */
  CL_CELL_DATE,     /* v: "2026-11-22" */
  CL_CELL_DATETIME, /* v: local "2026-11-22T10:30:00" */
  CL_CELL_HEADER,   /* a bold string cell */
} cl_cell_kind;

/* Starts a document at path (written when closed) with one sheet. KT_EIO, KT_ENOMEM. */
int cl_ods_open(const char *path, const char *sheet, cl_ods **out, kt_err *err);
void cl_ods_cell(cl_ods *w, cl_cell_kind kind, const char *v);
void cl_ods_row_end(cl_ods *w);
/* Finishes and writes the file; frees w (also on error). KT_EIO. */
int cl_ods_close(cl_ods *w, kt_err *err);
/* Drops a document being written (no file is left). NULL is a no-op. */
void cl_ods_abort(cl_ods *w);

#endif
