/* cl_demo — a realistic Russian office base for newcomers, demos and the
 * reports: a few hundred organizations (valid INN check digits, phones with
 * the city's area code, addresses, sites, e-mails) with their contacts
 * (names in the right gender forms, patronymics, mobile phones, birthdays, a
 * few of them this week), three years of deals of regular, lapsing, one-off
 * and prospective clients, past calls and meetings with results, planned
 * calls, meetings and tasks around today (some overdue), and notes.
 *
 * Deterministic: the same seed on the same local day gives the same base (ids
 * apart). Everything goes through the ordinary store API (cl_store_add), so
 * the records are validated like the user's own and, on a connected profile,
 * synced with all the server's checks. Used by `kartoteka init --local
 * --demo` and `kartoteka demo`; GLib-free; the store's thread. */
#ifndef CL_DEMO_H
#define CL_DEMO_H

#include <stdint.h>

#include "cl_store.h"

#define CL_DEMO_SEED 20261202u /* the seed used when none is given */

typedef struct cl_demo_stats {
  int orgs, contacts, deals, events, tasks, notes;
} cl_demo_stats;

/* Fills s, which must hold no cards yet (KT_EEXISTS otherwise: the demo never
 * mixes with real data), in one transaction: all or nothing. now_ms: the
 * instant the base is built around (0 = now); the profile's user owns and is
 * assigned everything. *st (may be NULL) set on success. KT_EEXISTS,
 * KT_EINVAL/KT_EDB from the store, KT_ENOMEM. */
int cl_demo_fill(cl_store *s, uint64_t seed, int64_t now_ms, cl_demo_stats *st, kt_err *err);

#endif
