/* kt_table — tables for output, both programs: rows of text cells written
 * either for people (a header line, columns aligned by display width, so that
 * Cyrillic and wide characters line up) or as one JSON array of objects keyed
 * by column. Also the text form a listing travels in from the server to a
 * client (an administration answer): a line "#KEY\tKEY..." naming the columns,
 * then one line per row of tab-separated cells. Not thread-safe per table. */
#ifndef KT_TABLE_H
#define KT_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "kt_buf.h"
#include "kt_err.h"

typedef struct kt_table_col {
  const char *key;  /* JSON member name */
  const char *head; /* the human header */
  bool blank;       /* people see an empty cell as blank, not "-" (flags) */
} kt_table_col;

typedef struct kt_table kt_table;

/* A table of ncols columns (copied). NULL when out of memory. */
kt_table *kt_table_new(const kt_table_col *cols, int ncols);
void kt_table_free(kt_table *t); /* NULL is a no-op */
/* Adds a row of ncols cells (copied; NULL or "" = no value). 0 or KT_ENOMEM. */
int kt_table_add(kt_table *t, const char *const *cells);
int kt_table_rows(const kt_table *t);
/* Appends the table to out: JSON (pretty, an empty table is []) or, for
 * people, a header line and the rows (nothing when there are none); "\n" after each line. */
void kt_table_write(const kt_table *t, bool json, kt_buf *out);

/* Reads the text form (see above) into a new table; the headers are the keys
 * with a capital first letter. 0, KT_EINVAL (no "#" header line) or KT_ENOMEM. */
int kt_table_parse(const char *text, kt_table **out, kt_err *err);
/* Appends the text form of one line (lead "#" for the header, "" for a row):
 * tabs and line breaks inside a cell become spaces, NULL cells are empty. */
void kt_table_text_line(kt_buf *out, const char *lead, const char *const *cells, int n);

/* Appends s to out, then spaces up to `width` display columns (kt_text_width). */
void kt_pad(kt_buf *out, const char *s, size_t width);

#endif
