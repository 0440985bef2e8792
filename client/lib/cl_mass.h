/* cl_mass — mass edit (`kartoteka edit TYPE --where ... --set F=V [--dry-run]`):
 * the same assignments on every card of a query, as ordinary local edits (each
 * card's change goes to the outbox and syncs like one typed by hand; the
 * server judges each change with the writer's rights as always). Needs the
 * mass_update right: refused here from the rights the server sent at login,
 * and, on a connected profile, only done with the server's leave
 * (AdminRequest "mass_edit": the server checks the right and writes the batch
 * with its count to the audit log; offline nothing is changed). All the cards
 * or none: one transaction. Caller's thread, like cl_store. */
#ifndef CL_MASS_H
#define CL_MASS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "cl_store.h"
#include "kt_err.h"

typedef struct cl_mass_res {
  size_t matched; /* cards the query found */
  size_t changed; /* of them, cards a value really changed on (would change: dry run) */
} cl_mass_res;

/* Runs the mass edit of q's cards (q->where must name at least one filter).
 * what: the filters and assignments as the user wrote them, for the audit
 * log. dry_run: every edit is checked and counted, then rolled back (no
 * server leave needed). KT_EPERM without the right; KT_EINVAL for a bad
 * query or value (naming the card; nothing changed); KT_ENOTFOUND when
 * nothing matches; KT_ENET when the server's leave could not be asked. */
int cl_mass_edit(uv_loop_t *loop, const char *profile_dir, cl_store *s, const cl_query *q,
                 const cl_set *sets, int n, bool dry_run, const char *what, cl_mass_res *out,
                 kt_err *err);

#endif
