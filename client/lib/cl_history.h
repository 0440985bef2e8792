/* cl_history — a card's history for the CLI and the GUI (`kartoteka history
 * ID`): online, the server's record of every change of the card's fields (who,
 * from which PC, when, old -> new), fetched a page at a time over a session of
 * its own on the caller's loop; offline (no server, or it cannot be reached),
 * the changes made on this PC since the last sync (the outbox), with a note
 * saying the rest needs the server. Caller's thread, like cl_store. */
#ifndef CL_HISTORY_H
#define CL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cl_store.h"
#include "kt_err.h"
#include "kt_model.h"

/* One change of one field. Values are owned by the list (cl_history_free). */
typedef struct cl_hist_entry {
  uint64_t seq;           /* the server's entry number (0: an unsent change of this PC) */
  int64_t at_ms;          /* when the value was written (on the PC that wrote it) */
  char field[KT_NAME_MAX];
  const kt_mfield *f;     /* the field in this PC's model (NULL: unknown here) */
  char user[80];          /* who ("" = the server itself) */
  char device[40];        /* the PC's device id */
  char device_name[80];   /* its enrollment name */
  bool hidden;            /* a protected value the user may not see: no values */
  bool old_known;         /* false for unsent changes: the value before is the server's */
  kt_value old_v, new_v;
} cl_hist_entry;

typedef struct cl_history {
  cl_hist_entry *e;       /* oldest first */
  size_t n, cap;
  char type[32];          /* the record's type */
  bool online;            /* from the server; false: this PC's unsent changes only */
  bool more;              /* older changes exist beyond the limit */
  char note[KT_ERR_MSG_MAX]; /* offline: why the server was not asked */
} cl_history;

/* The history of record `id`: only `field` when not NULL, at most `limit`
 * newest changes (0 = all), returned oldest first into *out (zeroed here).
 * KT_ENOTFOUND (the server's words) for a record the user may not read or that
 * does not exist; KT_EINVAL for an unknown field. The server being unreachable
 * is not an error: out->online is false and out->note says why. */
int cl_history_get(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *id,
                   const char *field, size_t limit, cl_history *out, kt_err *err);
void cl_history_free(cl_history *h);

#endif
