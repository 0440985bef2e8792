/* cl_csv — reading CSV files as Russian/Polish offices have them: comma or
 * semicolon separated (detected from the header), RFC 4180 quoting, CRLF,
 * UTF-8 with or without BOM, or a legacy code page (CP1251...) converted with
 * ICU. Used by import; GLib-free. */
#ifndef CL_CSV_H
#define CL_CSV_H

#include <stddef.h>

#include "kt_buf.h"
#include "kt_err.h"

typedef struct cl_csv {
  char *text;   /* whole file as UTF-8 (owned) */
  size_t len, pos;
  char sep;
  int line;     /* 1-based line of the record last read */
} cl_csv;

/* Loads path (encoding NULL/"utf-8" or an ICU converter name such as
 * "cp1251"); detects the separator. KT_EIO, KT_EINVAL (bad encoding). */
int cl_csv_open(cl_csv *c, const char *path, const char *encoding, kt_err *err);
void cl_csv_close(cl_csv *c);
/* Reads the next record: *fields (array of n strings into `store`, valid
 * until the next call). 1 = a record, 0 = end, <0 error (unterminated quote). */
int cl_csv_next(cl_csv *c, kt_buf *store, const char ***fields, int *n, kt_err *err);

#endif
