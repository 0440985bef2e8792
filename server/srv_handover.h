/* srv_handover — handing a manager's clients over to a colleague (`kartoteka
 * admin handover --from U --to U [--where F=V ...] [--with-tasks] [--dry-run]`,
 * an administration request): every client card of `from` (organizations, and
 * contacts of no organization) that matches the filters gets the new owner,
 * and so do its dependent records (its contacts, events, tasks, deals, notes,
 * links, and theirs); with_tasks, the old owner's open tasks and planned
 * events on those clients are assigned to the new owner too. The values are
 * written by the server (its own stamps), like any synced change: feed rows,
 * scopes, revokes for the old owner's replicas, history rows. Each client with
 * its dependents is ONE transaction, so an interrupted hand-over leaves no
 * half-moved client and a rerun moves the rest. Loop thread only. */
#ifndef SRV_HANDOVER_H
#define SRV_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "kt_err.h"
#include "srv_sync.h"

typedef struct srv_handover_req {
  const char *from, *to;
  const char *where; /* "FIELD=VALUE" filters on the client card, '\n'-separated; NULL/"" = all */
  bool with_tasks;
  bool dry_run;      /* count only: nothing is written */
  const char *device; /* the administrator's PC (device id): the history names it; NULL = the server */
} srv_handover_req;

typedef struct srv_handover_res {
  size_t clients;    /* client cards moved (or that would be) */
  size_t records;    /* every record that got the new owner, the cards included */
  size_t reassigned; /* open tasks and planned events given to the new owner */
} srv_handover_res;

/* Runs the hand-over. Errors, with nothing changed: KT_EINVAL (no from/to,
 * from = to, a bad filter), KT_ENOTFOUND (an unknown user, or nothing to
 * move), KT_EDISABLED (to a disabled account). A database error stops it:
 * the clients moved before stay moved (each was committed), the rest are
 * left for a rerun. */
int srv_handover_run(srv_sync *s, const srv_handover_req *q, srv_handover_res *res, kt_err *err);

#endif
