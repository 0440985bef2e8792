/* cl_import_int.h — between the import pipeline (cl_import.c) and its column
 * mapping and value forms (cl_import_map.c). Not a public header. */
#ifndef CL_IMPORT_INT_H
#define CL_IMPORT_INT_H

#include "cl_import.h"
#include "kt_buf.h"

/* How a column came to its field (a better rank wins a field over a worse one;
 * two columns of the same rank on one field is an error). */
enum { CL_MAP_NONE = 0, CL_MAP_LABEL = 1, CL_MAP_ALIAS = 2, CL_MAP_NAME = 3, CL_MAP_EXPLICIT = 4 };

/* The columns of a header -> fields of t. fields[i] NULL = unmapped (or
 * skipped with --map 'COL=': skipped[i] true). Unmapped columns go to note.
 * KT_EINVAL: a --map naming no column or no field, two columns on one field,
 * an unmapped column with strict. */
int cl__import_map(kt_mtype *t, char *const *header, int nheader, const cl_colmap *map, int nmap,
                   bool strict, bool report, const kt_mfield **fields, bool *skipped,
                   cl_import_note_fn note, void *ud, kt_err *err);

/* The value of a cell as the program that wrote it meant it, for field f:
 * trimmed; Outlook's empty date "0.0.00" is empty; money and numbers with
 * spaces, NBSP and a comma; currency signs dropped. Appends to out. */
void cl__import_value(const kt_mfield *f, const char *cell, kt_buf *out);

/* The alias table (for tests): field name -> '|'-separated column names. */
typedef struct cl_alias {
  const char *field;
  const char *names;
} cl_alias;
const cl_alias *cl__import_aliases(int *n);

#endif
