/* cl_salvage — what can still be read from a damaged card index, for
 * cl_repair: its profile settings (meta), the outbox's change counter and
 * every unsent change whose outbox entry and record row can be read, as
 * protocol Changes — the values this device wrote, with their own stamps and
 * the stamps they were based on — ready to be merged into a rebuilt replica
 * and sent as the edits they were.
 *
 * Reads table by table with its own connection (a WAL in the file is read
 * too): a scan that meets a damaged page skips past it (probing for the next
 * readable key), a row lookup that meets one loses that row only. Version
 * indices are the damaged replica's own (built-ins by registry position,
 * custom fields by the order of their columns), so fields are named, not
 * numbered, in the result. Never writes the data; one thread. */
#ifndef CL_SALVAGE_H
#define CL_SALVAGE_H

#include <stddef.h>
#include <stdint.h>

#include "kartoteka.pb-c.h"
#include "kt_err.h"

typedef struct cl_salvage cl_salvage;

typedef struct cl_salvage_stats {
  int meta;        /* profile settings read */
  int outbox;      /* outbox entries read */
  int gaps;        /* damaged stretches skipped in the tables scanned */
  int rows_lost;   /* outbox entries whose record could not be read */
  int changes;     /* changes salvaged (with at least one value of this device) */
} cl_salvage_stats;

/* Reads the card index at path. device_id: this device's id when the file's
 * own setting cannot be read (from the device certificate), or NULL; without
 * either no change can be attributed and none is salvaged. KT_ECORRUPT when
 * not even its schema can be read (nothing to salvage), KT_ENOMEM. *out set
 * only on success. */
int cl_salvage_read(const char *path, const char *device_id, cl_salvage **out, kt_err *err);
void cl_salvage_free(cl_salvage *sv); /* NULL ok */

/* A profile setting as read (NULL when missing or unreadable). Borrowed. */
const char *cl_salvage_meta(const cl_salvage *sv, const char *key);
/* The highest change number the replica handed out (its outbox counter), 0
 * when it could not be read (the entries left in the outbox are no bound:
 * acknowledged ones are gone, and one of them may have had the last number). */
int64_t cl_salvage_counter(const cl_salvage *sv);
/* The changes: field definitions first, then in change-number order.
 * Borrowed; valid until cl_salvage_free. */
size_t cl_salvage_count(const cl_salvage *sv);
const Kartoteka__Change *cl_salvage_change(const cl_salvage *sv, size_t i);
void cl_salvage_stats_get(const cl_salvage *sv, cl_salvage_stats *out);

#endif
