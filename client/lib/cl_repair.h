/* cl_repair — putting a damaged card index right without stranding the PC,
 * and the daily backups of a standalone one.
 *
 * Repair moves the damaged file aside (kept as replica.db.damaged-<time>),
 * reads what it can from it (cl_salvage: settings, the change counter, every
 * unsent change still readable), and builds a new card index: a connected
 * profile's from the office server (a fresh pull, with the same device
 * certificate and session, so no new invite), a standalone one's from its
 * newest backup that passes the integrity check (else empty). Then it merges
 * the salvaged changes into it (cl_store_apply_unsent: their own stamps, so
 * a newer colleague's value still wins) and puts it in place; a connected
 * profile's saved changes go out at the next sync. If the new card index
 * cannot be built (the server is unreachable), nothing is changed.
 *
 * Used by `kartoteka repair` and by the CLI's daily backup; GLib-free. */
#ifndef CL_REPAIR_H
#define CL_REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "cl_salvage.h"
#include "kt_err.h"

#define CL_BACKUP_KEEP 3                 /* standalone backups kept */
#define CL_BACKUP_INTERVAL_S (24 * 3600) /* a new one when the newest is older */

typedef struct cl_repair_report {
  bool connected;          /* rebuilt from the office server */
  char kept[4400];         /* where the damaged file is kept */
  char backup[4400];       /* standalone: the backup it was rebuilt from ("" = none) */
  bool unreadable;         /* nothing could be read from the damaged file */
  cl_salvage_stats salvage;
  int pulled;              /* connected: records received */
  int merged;              /* salvaged changes merged */
  int queued;              /* values of them waiting to be sent (connected) or newer than
                              the backup (standalone) */
} cl_repair_report;

/* Repairs the card index of profile_dir (see above) on loop (the pull runs
 * it). password: log in with it when the saved session cannot be read (NULL
 * = use the saved one). Refuses while another program syncs the profile (the
 * agent): KT_EBUSY. KT_ENOPROFILE without a card index; KT_ENET and the
 * like when the server cannot be reached (the damaged file is put back);
 * KT_ECORRUPT when nothing at all can be rebuilt. rep is filled as far as it
 * got. */
int cl_repair(uv_loop_t *loop, const char *profile_dir, const char *password,
              cl_repair_report *rep, kt_err *err);

/* The daily backup of a standalone profile: when the newest of
 * profile_dir/backups/replica-<time>.db is older than CL_BACKUP_INTERVAL_S
 * (or there is none), copies the card index there (kt_backup: fsynced,
 * integrity-checked, a Kartoteka card index) and keeps the newest
 * CL_BACKUP_KEEP. *made true when one was made. KT_ECORRUPT when the card
 * index failed the check (no backup is replaced by it: run a repair). */
int cl_backup_daily(const char *profile_dir, bool *made, kt_err *err);

#endif
