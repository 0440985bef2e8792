/* cl_check — `kartoteka check`: is this card index sound? The file passes
 * SQLite's integrity check, and every record holds what the model allows:
 * each value of the right kind and form for its field (kt_mfield_check), the
 * required fields of live cards filled in, and every reference of a
 * standalone card index pointing at a record that exists (a connected PC
 * holds only what its user may see, so a reference to a colleague's card it
 * does not hold is normal there and not counted). Read-only; the store's
 * thread; GLib-free. */
#ifndef CL_CHECK_H
#define CL_CHECK_H

#include <stdint.h>

#include "cl_store.h"

/* One problem: the record's type and id ("" for the file) and what is wrong
 * (borrowed for the call). */
typedef void (*cl_check_problem_fn)(void *ud, const char *type, const char *id, const char *msg);

typedef struct cl_check_report {
  int64_t records;  /* records looked at, trash included */
  int64_t problems; /* problems reported */
} cl_check_report;

/* Checks s; calls problem (may be NULL) for each problem found and fills
 * *rep. Returns 0 when the check ran (problems or not), KT_ENOMEM/KT_EDB when
 * it could not. */
int cl_check(cl_store *s, cl_check_problem_fn problem, void *ud, cl_check_report *rep,
             kt_err *err);

#endif
