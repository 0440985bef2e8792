/* cl_merge — merging two cards of one client (`kartoteka merge KEEP OTHER`):
 * KEEP takes the chosen fields of OTHER (--take) and every field of OTHER
 * that KEEP has empty; every live card referring to OTHER (its contacts,
 * events, tasks, deals, notes, links) is moved to KEEP; OTHER goes to the
 * trash. All in one transaction, as ordinary edits: each is synced and the
 * server judges (and records in its change log) each one under the user's
 * rights, like any edit; this PC refuses at once what the rights it knows
 * forbid (KT_EPERM, nothing changed). GLib-free; the caller's thread. */
#ifndef CL_MERGE_H
#define CL_MERGE_H

#include "cl_store.h"

typedef struct cl_merge_result {
  int fields;  /* fields of KEEP that changed */
  int moved;   /* dependent cards moved to KEEP */
} cl_merge_result;

/* KT_ENOTFOUND (an id), KT_EINVAL (the same card, different types, a field
 * to take that the type lacks or that is set by the program, a card in the
 * trash), KT_EPERM, KT_EDB. */
int cl_merge(cl_store *s, const char *keep, const char *other, const char *const *take,
             int ntake, cl_merge_result *res, kt_err *err);

#endif
