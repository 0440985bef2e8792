/* cl_client_int — the client core's struct, shared by its two files:
 * cl_client.c (the public API, the queues, the thread) and cl_client_core.c
 * (what runs on the core's loop: commands, the sync and scheduler hooks).
 * Fields marked [mu] are guarded by mu; [core] ones belong to the core
 * thread; [ro] are set before the core thread says it started and only read
 * after. */
#ifndef CL_CLIENT_INT_H
#define CL_CLIENT_INT_H

#include <pthread.h>
#include <uv.h>

#include "cl_client.h"
#include "cl_remind.h"
#include "cl_sched.h"
#include "cl_store.h"
#include "cl_sync.h"

#define CL_CLIENT_BATCHES 4 /* reminder batches remembered for CL_CMD_SHOWN */
#define CL_CLIENT_BUSY_RETRY_MS 20 /* a sync pull holds a batch open: commands wait this long */
#define CL_CLIENT_SETTLE_MS 20       /* after the last WAL write seen, look at data_version */
#define CL_CLIENT_SETTLE_LATE_MS 250 /* and once more then */

/* A queued command: a deep copy of what the host submitted. */
typedef struct cl_cmd_item {
  struct cl_cmd_item *next;
  uint64_t req;
  cl_client_cmd_kind kind;
  char *type, *id, *result, *comment, *password;
  cl_set *sets;
  int nsets;
  int64_t when;
  cl_client_occ occ;
  uint64_t batch;
  int shown;
} cl_cmd_item;

/* A queued event; ev first, so the host's pointer is the node's. */
typedef struct cl_ev_node {
  cl_client_event ev;
  struct cl_ev_node *next;
} cl_ev_node;

/* A reminder batch offered to the host, kept for its CL_CMD_SHOWN. */
typedef struct cl_batch {
  uint64_t no; /* 0: free slot */
  cl_occurrence *v;
  int n;
} cl_batch;

/* A command answered later: a sync round or a login it waits for. */
typedef struct cl_waiter {
  uint64_t req;
  cl_client_cmd_kind kind;
} cl_waiter;

struct cl_client {
  cl_client_opts o;         /* [ro] strings copied below */
  char *profile, *locale;   /* [ro] */
  char user[128];           /* [ro] */
  bool connected;           /* [ro] */
  pthread_t th;
  bool th_started, joined;  /* host thread */

  pthread_mutex_t mu;
  pthread_cond_t cv;        /* the start-up handshake */
  bool up;                  /* [mu] the core thread finished starting (ok or not) */
  int start_rc;             /* [mu] */
  kt_err start_err;         /* [mu] */
  cl_cmd_item *cmd_head, *cmd_tail; /* [mu] */
  size_t ncmds;             /* [mu] queued or being carried out */
  size_t nresults;          /* [mu] results queued, not yet drained */
  cl_ev_node *ev_head, *ev_tail; /* [mu] */
  size_t nevents;           /* [mu] */
  cl_ev_node *ev_changed, *ev_sync, *ev_remind; /* [mu] the queued ones, to coalesce into */
  size_t nconflicts;        /* [mu] undrained conflict events */
  uint64_t next_req;        /* [mu] */
  uint64_t wakeups;         /* [mu] */
  bool closing;             /* [mu] shutdown began: submit refuses */
  bool async_ok;            /* [mu] the async handle exists (uv_async_send allowed) */

  /* [core] */
  uv_loop_t loop;
  uv_async_t async;
  uv_timer_t busy;          /* commands wait for a sync batch to close */
  uv_timer_t settle;        /* WAL writes seen: look at the data version when they settle */
  int settle_step;
  uv_fs_event_t fs;         /* the profile directory: other programs' commits */
  bool fs_on;
  char wal[300];            /* the replica's WAL file name */
  cl_store *s;
  cl_sched *sched;
  bool remind_held;         /* this process shows the profile's reminders (remind_fd) */
  int remind_fd;
  cl_sync_ctl ctl;
  cl_sync_stats st;
  bool stopping;            /* the core saw closing */
  int64_t others_version;   /* PRAGMA data_version at the last look */
  uint64_t batch_no;
  cl_batch batches[CL_CLIENT_BATCHES];
  cl_client_ref pulled[CL_CLIENT_CHANGED_IDS]; /* pulled records, told after the commit */
  size_t npulled;
  bool pull_many;
  cl_waiter *waiters;
  size_t nwaiters, capwaiters;
  cl_client_sync_status status;
  int code;
  char error[KT_ERR_MSG_MAX];
};

/* cl_client.c — queueing, callable on the core thread. */
/* Takes the oldest command (NULL when none). */
cl_cmd_item *cl_client_cmd_take(cl_client *c);
void cl_client_cmd_free(cl_cmd_item *it);
/* Queues the result of a command (counted against CL_CLIENT_CMDS_MAX until
 * drained); code 0 ok, msg may be NULL. */
void cl_client_post_result(cl_client *c, uint64_t req, cl_client_cmd_kind kind, int code,
                           const char *msg, const char *id, int changed);
/* Records changed: type/id, or both NULL for "many" (ids unknown). */
void cl_client_post_changed(cl_client *c, const char *type, const char *id, int64_t version);
/* The sync state (replaces a queued one). */
void cl_client_post_sync(cl_client *c, bool ended);
/* A reminder batch (replaces a queued one); v copied. */
void cl_client_post_reminders(cl_client *c, uint64_t batch, const cl_sched_batch *b,
                              int64_t snooze_seconds);
void cl_client_post_conflict(cl_client *c, const char *id);
/* Whether shutdown began (under mu). */
bool cl_client_is_closing(cl_client *c);

/* cl_client_core.c — the core thread. */
void *cl_client_core_main(void *arg);

#endif
