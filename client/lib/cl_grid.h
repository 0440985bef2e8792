/* cl_grid — a table being collected by a reader whose records do not all name
 * the same columns (vCard, iCalendar: each card has the properties it has):
 * columns are added by name as they first appear, each row keeps only its
 * set cells, and cl_grid_rowset makes the rectangular cl_rowset at the end
 * (every row with a cell per column, "" where it had none).
 * Owned by the reader; GLib-free; any thread. */
#ifndef CL_GRID_H
#define CL_GRID_H

#include <stdbool.h>
#include <stddef.h>

#include "cl_rowset.h"
#include "kt_buf.h"
#include "kt_err.h"

typedef struct cl_grid cl_grid;

/* Columns a grid may have: a card index has a few dozen fields; more are a hostile file
 * (column lookups are linear). */
#define CL_GRID_MAX_COLS 512

cl_grid *cl_grid_new(void); /* NULL when out of memory */
void cl_grid_free(cl_grid *g); /* NULL is a no-op */
/* Starts a new row at line, of record type `type` (static or NULL). KT_ENOMEM. */
int cl_grid_row(cl_grid *g, int line, const char *type, kt_err *err);
/* Sets column `name` of the current row to n bytes of v (the column is added
 * when new). A cell that has a value keeps it, unless multi: then the new
 * value is appended after CL_ROWSET_MULTI. Empty values are ignored. */
int cl_grid_set(cl_grid *g, const char *name, const char *v, size_t n, bool multi, kt_err *err);
/* Replaces the cell whatever it held. */
int cl_grid_put(cl_grid *g, const char *name, const char *v, size_t n, kt_err *err);
/* The current row's cell of column name, or NULL. Borrowed. */
const char *cl_grid_get(const cl_grid *g, const char *name);
/* Drops the current row (a record that turned out to be something to skip). */
void cl_grid_drop(cl_grid *g);
int cl_grid_nrows(const cl_grid *g);
/* Builds the rowset (format static); *out owned by the caller. KT_ENOMEM. */
int cl_grid_rowset(const cl_grid *g, const char *format, cl_rowset **out, kt_err *err);

/* Reads a whole file into out (the readers of small text formats). KT_EIO
 * naming the file, KT_ETOOBIG past max bytes, KT_ENOMEM. */
int cl_grid_load(const char *path, size_t max, kt_buf *out, kt_err *err);

/* Whether text (n bytes) starts with word, case-insensitively, after a UTF-8
 * BOM and white space (the readers' content sniffers). */
bool cl_grid_starts(const char *text, size_t n, const char *word);

#endif
