/* cl_upload — from one PC to the office: connecting a profile that was made
 * with `init --local` to the office server, taking its cards along.
 *
 * The PC is enrolled into a staging folder inside the profile (connect.tmp),
 * whose new card index gets a copy of every live card of the standalone one
 * as this user's new cards (same ids, so contacts still point at their
 * organizations; the office's groups apply, not the PC's) in ONE transaction,
 * marked done in the same transaction. Only then is the standalone file kept
 * aside (replica.db.standalone-<time>, a hard link) and the new card index
 * renamed over replica.db (atomic). The cards leave as unsent changes at the
 * next sync, through the ordinary push with all the server's checks: a card
 * the server refuses (a duplicate of a colleague's client) stays on this PC
 * with its refusal, listed by `kartoteka status` / `outbox list`.
 *
 * Interrupted at any point, nothing is lost: before the enrollment the
 * profile is untouched; after it, the staging folder holds the enrolled
 * profile and cl_upload_connect called again finishes from there without the
 * (spent) invite; a killed push resends at the next sync (change ids make a
 * resend a no-op on the server). GLib-free; runs on the caller's loop. */
#ifndef CL_UPLOAD_H
#define CL_UPLOAD_H

#include <stdbool.h>
#include <uv.h>

#include "kt_err.h"

typedef struct cl_upload_report {
  int cards;            /* cards copied for upload */
  int trash_left;       /* cards in the trash: not uploaded (they stay in the kept copy) */
  int values_dropped;   /* values of custom fields the office does not have */
  char dropped[256];    /* those fields' names, comma-separated ("" when none) */
  char kept[4400];      /* where the standalone card index was kept */
  bool resumed;         /* an interrupted connection was finished */
} cl_upload_report;

/* The profile in dir is a standalone card index (or an interrupted upload
 * waits in it): *cards = its live cards. KT_ENOPROFILE (no card index),
 * KT_EEXISTS (already connected to a server), KT_EDB. */
int cl_upload_pending(const char *dir, int *cards, bool *resumable, kt_err *err);

/* Connects the standalone profile in dir with invite and password (see
 * cl_session_connect) and prepares its cards for upload, or finishes an
 * interrupted connection (invite may then be NULL). *rep set on success.
 * Errors: those of cl_session_connect (the profile is unchanged), KT_EEXISTS
 * (already connected), KT_EIO, KT_EDB. */
int cl_upload_connect(uv_loop_t *loop, const char *dir, const char *invite, const char *password,
                      const char *device_name, cl_upload_report *rep, kt_err *err);

#endif
