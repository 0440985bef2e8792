/* cl_client — the client core every front end (the desktop app, `kartoteka
 * agent`, `kartoteka sync --watch`) runs on. It owns a libuv loop on a thread
 * of its own and, on that thread, the replica's writer store, the sync engine
 * (live: subscribed, reconnecting with backoff) and the reminder scheduler.
 *
 * Threads: cl_client_new and cl_client_free from the host's thread (one at a
 * time); cl_client_submit, cl_client_shutdown and cl_client_next_event from
 * ANY thread, and they never block (a mutex held for a queue operation only;
 * the core is woken with uv_async_send, which coalesces wake-ups).
 *
 * Events: the core queues results and events; the host's wakeup hook is
 * called (from the core's thread) when the queue goes from empty to
 * non-empty — once, not per event: drain with cl_client_next_event until it
 * returns 0 (a later event calls the hook again). The queue is bounded: a host
 * that stops draining does not grow memory — "records changed" events
 * coalesce into one (with up to CL_CLIENT_CHANGED_IDS ids, beyond that
 * "many"), only the latest sync state and the latest reminder batch are kept,
 * conflict events beyond CL_CLIENT_CONFLICTS_MAX are dropped (the conflict
 * records still show as records changed), and results are never dropped: at
 * most CL_CLIENT_CMDS_MAX commands may be queued or answered-but-undrained,
 * beyond that cl_client_submit refuses with KT_EBUSY.
 *
 * Front ends read the replica through their own read-only connection
 * (cl_reader); every write goes through these commands. No protobuf, SQLite
 * or libuv types here: the header is plain C. */
#ifndef CL_CLIENT_H
#define CL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kt_err.h"

#define CL_CLIENT_CMDS_MAX 1024     /* queued + answered-but-undrained commands */
#define CL_CLIENT_CHANGED_IDS 256   /* ids one "records changed" event carries */
#define CL_CLIENT_CONFLICTS_MAX 64  /* undrained conflict events */
#define CL_CLIENT_REMIND_MAX 64     /* occurrences one reminder event carries */
#define CL_CLIENT_ID_MAX 40         /* a record id with its NUL */
#define CL_CLIENT_TYPE_MAX 32       /* a registry type name with its NUL */

typedef struct cl_client cl_client;

typedef struct cl_client_opts {
  const char *profile_dir; /* required: the profile (replica.db, certificates) */
  const char *locale;      /* collation ("ru", "pl", "en"); NULL = from the environment */
  int busy_ms;             /* wait for another program's lock; 0 = the store's default */
  bool sync;               /* connected profiles: stay subscribed and sync live; a
                              standalone profile ignores it */
  bool reminders;          /* schedule this user's reminders (CL_EV_REMINDERS) */
  bool wait_login;         /* an expired session waits for CL_CMD_LOGIN (CL_SYNC_LOGIN);
                              false: sync stops (CL_SYNC_STOPPED with the refusal) */
  /* Called on the core's thread when the event queue becomes non-empty. Must
     not block and must not call cl_client_free; it may call the other
     functions. NULL: the host polls cl_client_next_event itself. */
  void (*wakeup)(void *ud);
  void *wakeup_ud;
} cl_client_opts;

/* Starts the core: opens the profile's replica on the core thread and
 * returns once it is open (or failed: KT_ENOPROFILE, KT_EBUSY, KT_EDB,
 * KT_ENOMEM, KT_EINVAL ... with the store's message; nothing is left running).
 * *out owned by the caller: cl_client_free. Host thread. */
int cl_client_new(const cl_client_opts *opts, cl_client **out, kt_err *err);

/* The profile's user name (borrowed, valid until cl_client_free); "" unknown. */
const char *cl_client_user(const cl_client *c);
/* True when the profile belongs to an office server (it syncs). */
bool cl_client_connected(const cl_client *c);

/* ---- commands ---------------------------------------------------------- */

typedef enum cl_client_cmd_kind {
  CL_CMD_ADD = 1,      /* type, sets -> result.id: the new record's id */
  CL_CMD_EDIT,         /* id, sets -> result.changed: fields that really changed */
  CL_CMD_DELETE,       /* id: to the trash */
  CL_CMD_RESTORE,      /* id: back from the trash */
  CL_CMD_DONE,         /* id, result, comment, when (call back; 0 = none) -> result.id: the
                          planned call back, "" when none (as `kartoteka done`) */
  CL_CMD_DISMISS,      /* occ: the occurrence's reminder is dismissed (synced) */
  CL_CMD_SNOOZE,       /* occ, when (snooze end; 0 = now + the profile's snooze time) */
  CL_CMD_SHOWN,        /* batch, shown: of the CL_EV_REMINDERS batch, the first `shown`
                          occurrences reached the user (recorded as fired, synced); the
                          rest stay due and come again (missed) */
  CL_CMD_RETRY,        /* the front end can show reminders again: offer what is held */
  CL_CMD_SYNC_NOW,     /* a sync round now (reconnects at once when offline) */
  CL_CMD_LOGIN,        /* password: log in again (the session expired; CL_SYNC_LOGIN) */
} cl_client_cmd_kind;

/* One FIELD=VALUE assignment as the user typed it (as `kartoteka add`). */
typedef struct cl_client_set {
  const char *field;
  const char *value;
} cl_client_set;

/* A reminder occurrence (as the core sent it in CL_EV_REMINDERS). */
typedef struct cl_client_occ {
  char rtype[16];  /* "event", "task", "contact" or "staff" (birthdays) */
  char rid[CL_CLIENT_ID_MAX];
  char title[300];
  int64_t occurs;    /* occurrence start (event), due (task), birthday (UTC ms) */
  int64_t due;       /* when it reminds */
  int64_t effective; /* due, or the end of a snooze */
} cl_client_occ;

/* A command. Strings and arrays are copied by cl_client_submit (the caller
 * keeps ownership of its own). Unused fields stay zero. */
typedef struct cl_client_cmd {
  cl_client_cmd_kind kind;
  const char *type;              /* ADD */
  const char *id;                /* EDIT, DELETE, RESTORE, DONE */
  const cl_client_set *sets;     /* ADD, EDIT */
  int nsets;
  const char *result;            /* DONE: a result choice (code or label); NULL = keep */
  const char *comment;           /* DONE: appended to the comment; NULL = none */
  int64_t when;                  /* DONE: call back at; SNOOZE: until (UTC ms) */
  const cl_client_occ *occ;      /* DISMISS, SNOOZE */
  uint64_t batch;                /* SHOWN */
  int shown;                     /* SHOWN */
  const char *password;          /* LOGIN (wiped after use) */
} cl_client_cmd;

/* Queues a command; *req (may be NULL) gets its request id (> 0), which its
 * CL_EV_RESULT carries. Never blocks. Errors (nothing queued, no result
 * comes): KT_EINVAL (a malformed command: no kind, no id, ...), KT_EBUSY (over
 * CL_CLIENT_CMDS_MAX: the host is not draining), KT_ECLOSED (shutdown began),
 * KT_ENOMEM. Commands queued before cl_client_shutdown are still carried out
 * (local writes) or answered with KT_ECLOSED (sync now, login). Any thread. */
int cl_client_submit(cl_client *c, const cl_client_cmd *cmd, uint64_t *req, kt_err *err);

/* Begins the shutdown: pending commands are answered, the sync connection
 * closes, the core thread ends (CL_EV_SYNC with ended). Idempotent. Any thread. */
void cl_client_shutdown(cl_client *c);

/* Waits until the core thread has ended (after cl_client_shutdown, or when it
 * stopped by itself). Events stay to be drained. Host thread. */
void cl_client_join(cl_client *c);

/* Shuts down (if not yet), waits for the core thread, frees every undrained
 * event. NULL ok. Host thread. */
void cl_client_free(cl_client *c);

/* ---- events ------------------------------------------------------------- */

typedef enum cl_client_ev_kind {
  CL_EV_CHANGED = 1, /* records changed (this core's writes, pulled data, other programs) */
  CL_EV_REMINDERS,   /* reminders due now or missed: show them, then CL_CMD_SHOWN */
  CL_EV_SYNC,        /* the sync state changed */
  CL_EV_CONFLICT,    /* a conflict was recorded (see `kartoteka conflicts`) */
  CL_EV_RESULT,      /* a command's result */
} cl_client_ev_kind;

typedef struct cl_client_ref {
  char type[CL_CLIENT_TYPE_MAX];
  char id[CL_CLIENT_ID_MAX];
} cl_client_ref;

typedef enum cl_client_sync_status {
  CL_SYNC_LOCAL = 0,  /* a standalone profile: nothing to sync */
  CL_SYNC_CONNECTING,
  CL_SYNC_ONLINE,     /* connected and subscribed */
  CL_SYNC_OFFLINE,    /* retrying with backoff (error says why) */
  CL_SYNC_LOGIN,      /* the session expired: CL_CMD_LOGIN with the password */
  CL_SYNC_STOPPED,    /* sync ended for good (refused: error; or shutdown) */
} cl_client_sync_status;

/* What the sync engine did so far (totals since cl_client_new). */
typedef struct cl_client_sync_totals {
  int pushed, superseded, rejected, undone, dropped, pulled, revoked, rounds, warned;
  char last_reject[KT_ERR_MSG_MAX];
  char warning[KT_ERR_MSG_MAX]; /* the first warning */
} cl_client_sync_totals;

typedef struct cl_client_event {
  cl_client_ev_kind kind;
  union {
    struct {                /* CL_EV_CHANGED */
      int64_t data_version; /* the replica's version after the changes */
      bool many;            /* more than CL_CLIENT_CHANGED_IDS, or made by another
                               program (ids unknown): reload what is shown */
      size_t n;
      cl_client_ref *v;     /* n records (owned by the event) */
    } changed;
    struct {                /* CL_EV_REMINDERS */
      uint64_t batch;       /* for CL_CMD_SHOWN */
      bool missed;          /* came due while the PC was off, or shown late */
      bool summary;         /* show one notification (title, body) for all */
      int n;                /* occurrences in v (at most CL_CLIENT_REMIND_MAX) */
      int total;            /* due in all */
      char title[128];      /* summary only */
      char body[512];       /* summary only: up to 5 titles, one a line */
      int64_t snooze_seconds; /* the profile's snooze time (for a Snooze button) */
      cl_client_occ *v;     /* owned by the event */
    } reminders;
    struct {                /* CL_EV_SYNC */
      cl_client_sync_status status;
      int64_t pending;      /* local changes waiting to be sent */
      char last_sync[40];   /* local date-time of the last complete round, "" never */
      int code;             /* the last error (0 none): offline's cause, a refusal */
      char error[KT_ERR_MSG_MAX];
      bool ended;           /* the core thread is ending: the last event it queues */
      cl_client_sync_totals totals;
    } sync;
    struct {                /* CL_EV_CONFLICT */
      char id[CL_CLIENT_ID_MAX]; /* the conflict record */
    } conflict;
    struct {                /* CL_EV_RESULT */
      uint64_t req;
      cl_client_cmd_kind cmd;
      int code;             /* 0 ok, else KT_E* */
      char msg[KT_ERR_MSG_MAX]; /* what went wrong and what to do ("" when ok) */
      char id[CL_CLIENT_ID_MAX]; /* ADD: the new id; DONE: the call back's, else "" */
      int changed;          /* EDIT */
    } result;
  };
} cl_client_event;

/* Takes the oldest event: 1 and *out (owned by the caller: cl_client_event_free),
 * or 0 when the queue is empty. Never blocks. Any thread. */
int cl_client_next_event(cl_client *c, cl_client_event **out);
void cl_client_event_free(cl_client_event *ev); /* NULL ok */

/* How many events wait in the queue, and how many times the wakeup hook was
 * called (tests, diagnostics). Any thread. */
size_t cl_client_queued(cl_client *c);
uint64_t cl_client_wakeups(cl_client *c);

#endif
