/* cl_import — importing cards from a CSV file into the store in one
 * transaction: every row is validated like `kartoteka add`; one bad row means
 * nothing is imported and the error names its line. Columns map to fields by
 * name or label (any case), or explicitly. */
#ifndef CL_IMPORT_H
#define CL_IMPORT_H

#include <stdbool.h>

#include "cl_store.h"

typedef struct cl_colmap {
  const char *column; /* header text */
  const char *field;  /* field name; "" = skip the column */
} cl_colmap;

struct cl_claimer;
struct cl_claim;
/* Called for each row that is skipped as a duplicate (line number, claim). */
typedef void (*cl_import_skip_fn)(void *ud, int line, const struct cl_claim *claim);

/* Imports path as records of type. encoding NULL = UTF-8. *count = rows
 * imported (or that would be, with dry_run). claims (NULL = no check): rows
 * that would duplicate an existing client (same phone, e-mail or tax id, as
 * the server or this PC knows) are skipped and reported through skip.
 * KT_EPERM when the user's role lacks the import right (nothing read). */
int cl_import_csv(cl_store *s, const char *path, const char *type, const cl_colmap *map, int nmap,
                  const char *encoding, bool dry_run, struct cl_claimer *claims,
                  cl_import_skip_fn skip, void *skip_ud, int *count, kt_err *err);

#endif
