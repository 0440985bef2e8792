/* cl_sync — the client's sync engine: push the outbox (entries are deleted
 * only when acknowledged), then pull and apply each page together with the
 * new cursor in one transaction, until the server has nothing more. With
 * --watch it stays subscribed and pulls whenever the server notifies, and
 * reconnects with backoff when the connection drops. One process at a time
 * syncs a replica (a lock file in the profile); the others just write.
 * Runs on the caller's libuv loop. */
#ifndef CL_SYNC_H
#define CL_SYNC_H

#include <stdbool.h>
#include <uv.h>

#include "cl_conn.h"
#include "cl_store.h"

typedef struct cl_sync_ctl cl_sync_ctl;

typedef struct cl_sync_stats {
  int pushed;   /* changes the server applied */
  int superseded;
  int rejected; /* refused by the server (reason logged) */
  int undone;   /* of those, refused for lack of rights: set back to the server's copy */
  int dropped;  /* unsent changes of cards deleted since (never accepted, or refused):
                   set back to the server's copy and the deletion sent, or removed */
  int pulled;   /* changes applied locally */
  int revoked;  /* records removed: no longer the user's to see */
  int rounds;   /* completed sync rounds */
  int warned;   /* applied with a warning (a new card duplicates a colleague's client) */
  char last_reject[KT_ERR_MSG_MAX];
  char warning[KT_ERR_MSG_MAX]; /* the first warning */
  const cl_sync_ctl *ctl;       /* optional: its on_pulled hears of each pulled record */
} cl_sync_stats;

/* One round over an open authenticated connection: push everything, pull
 * everything. */
int cl_sync_round(cl_conn *c, cl_store *s, cl_sync_stats *st, kt_err *err);
/* Only the push half of a round: sends the whole outbox, deletes what was acked. */
int cl_sync_push(cl_conn *c, cl_store *s, cl_sync_stats *st, kt_err *err);

/* What a subscribed client does when the server notifies: a Notify that
 * carries its changes and starts at this replica's cursor, while nothing waits
 * in the outbox, is applied like a pulled page (changes, cursor and last_sync in
 * one transaction), with no round trip; anything else (notify NULL, a large
 * set, a gap) runs a round. Takes notify (an Envelope taken with
 * cl_conn_push_take, or NULL) and frees it. Call cl_store_maintain after it
 * (when nothing else waits): a direct apply leaves its index merge for then. */
int cl_sync_notified(cl_conn *c, cl_store *s, Kartoteka__Envelope *notify, cl_sync_stats *st,
                     kt_err *err);

/* Called after each completed sync round and each applied Notify (the
 * replica may have changed; st is up to date): the reminder scheduler
 * reschedules from here. */
typedef void (*cl_sync_synced_fn)(void *ud, const cl_sync_stats *st);

/* The control of a watching cl_sync_run, all on the loop's thread (the
 * client core sets a field from its command handler, an async callback on
 * that loop, then calls cl_sync_ctl_wake). Zero-initialise; the hooks are
 * optional. Nothing here is polled: the watch sleeps in the loop until the
 * server sends, a timer (backoff, certificate renewal) fires, the replica's
 * WAL file changes (a local edit, made here or by another program: pushed at
 * once) or cl_sync_ctl_wake. */
typedef struct cl_sync_ctl {
  bool stop;       /* end the watch */
  bool now;        /* a round now; offline: reconnect now */
  bool wait_login; /* a refused session (KT_EAUTH) waits for a password instead of ending */
  char *password;  /* malloc'd: log in with it at the next connection (freed and wiped) */
  /* the connection state changed: status is a cl_client_sync_status; code and
     msg say why when offline, waiting for a login or stopped (0, "" else) */
  void (*on_state)(void *ud, int status, int code, const char *msg);
  /* a pulled change was applied or a record removed (type, id; both NULL: the
     whole replica was rebuilt) — before its commit */
  void (*on_pulled)(void *ud, const char *type, const char *id);
  void *ud;
  cl_conn *conn;   /* cl_sync_run's: the connection while there is one */
} cl_sync_ctl;

/* Makes a running cl_sync_run look at ctl's flags now. Loop thread. */
void cl_sync_ctl_wake(cl_sync_ctl *ctl);

/* Opens a session for the profile and runs one round (or, with watch, stays
 * connected until ctl->stop and reconnects with backoff). The loop runs all
 * the time, also while offline, so other handles on it (the reminder
 * scheduler's timer, the client core's commands) keep working. ctl is
 * required with watch, else may be NULL; synced may be NULL. */
int cl_sync_run(uv_loop_t *loop, const char *profile_dir, cl_store *s, bool watch,
                cl_sync_ctl *ctl, cl_sync_synced_fn synced, void *synced_ud, cl_sync_stats *st,
                kt_err *err);

/* Takes the profile's sync lock (only one process syncs a replica; the agent
 * holds it while it runs): *fd to close to release it. KT_EBUSY when another
 * process holds it, KT_EIO. cl_sync_run takes it itself. */
int cl_sync_lock(const char *profile_dir, int *fd, kt_err *err);

#endif
