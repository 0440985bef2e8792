/* cl_sched — the reminder scheduler of one user on a libuv loop: one timer
 * armed for the next due reminder (cl_remind_due), never longer than
 * CL_SCHED_MAX_SLEEP_MS, because libuv timers run on the monotonic clock,
 * which stops during suspend: at each wake the wall clock is compared with
 * the monotonic time elapsed, and a jump (suspend/resume, a manual change)
 * makes it look again. Due times stay wall-clock instants. An occurrence is
 * recorded as fired (synced, so the user's other PCs stay quiet) only once the
 * front end says it showed it; what it could not show stays due and is
 * offered again (as missed) every CL_SCHED_RETRY_MS, when another reminder
 * comes due, or at cl_sched_retry. More than 3 due at once (or several missed
 * at start) become one summary. Used by every front end (the agent with
 * libnotify, the GUI); GLib-free. Runs on the loop's thread only. */
#ifndef CL_SCHED_H
#define CL_SCHED_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cl_remind.h"
#include "cl_store.h"
#include "kt_hlc.h"

#define CL_SCHED_MAX_SLEEP_MS 30000   /* the longest the timer sleeps */
#define CL_SCHED_STORM_LIMIT 3        /* more due at once than this: one summary */
#define CL_SCHED_OFFLINE_START_MS 15000 /* no first sync by then: start anyway */
#define CL_SCHED_SHOW_MAX 64          /* occurrences passed to on_show at most */
#define CL_SCHED_RETRY_MS 60000       /* nothing could be shown: offer it again this often */

typedef struct cl_sched cl_sched;

/* What to show now. summary: show one notification (title, body: the first
 * titles) instead of one per occurrence; else one each, titled "Missed:
 * <title>" when missed. v and the strings are borrowed for the call. */
typedef struct cl_sched_batch {
  const cl_occurrence *v;
  int n;          /* in v (at most CL_SCHED_SHOW_MAX) */
  int total;      /* due in all */
  bool missed;    /* the check at start (what came due while the PC was off), or a
                     retry of what could not be shown when it came due */
  bool summary;
  char title[128]; /* summary only: "5 reminders", "3 missed reminders" */
  char body[512];  /* summary only: up to 5 titles, one a line */
} cl_sched_batch;

/* on_show's answer when the front end shows later, on a thread of its own
 * (the client core's host): it reports with cl_sched_report. Until then the
 * batch is held quietly, and offered again (as missed) after
 * CL_SCHED_RETRY_MS, with the next due reminder, or at cl_sched_retry. */
#define CL_SCHED_LATER (-1)

typedef struct cl_sched_cbs {
  /* Required. Shows b and returns how many of b->v, from the first, were
     shown (a summary: b->n or 0), or CL_SCHED_LATER. Those are then recorded
     as fired; the rest stay due and come again (see CL_SCHED_RETRY_MS). */
  int (*on_show)(void *ud, const cl_sched_batch *b);
  void *ud;
  /* true: the missed-reminders check waits for cl_sched_synced (so another
     PC's dismissals are known first) or CL_SCHED_OFFLINE_START_MS; nothing
     fires before it. false: it runs at the first turn of the loop. */
  bool wait_sync;
} cl_sched_cbs;

/* Creates the scheduler of user's reminders in store (both borrowed, must
 * outlive it) on loop; the first check runs when the loop runs (on_show is
 * never called from here). *out set only on success; KT_ENOMEM. */
int cl_sched_new(uv_loop_t *loop, cl_store *store, const char *user, const cl_sched_cbs *cbs,
                 cl_sched **out, kt_err *err);
/* Stops and frees. The handles close asynchronously: run the loop once more
 * before uv_loop_close (the memory goes in the last close callback). NULL ok. */
void cl_sched_free(cl_sched *s);

/* Records changed here (an edit, a dismissal, a snooze): look again at the
 * next turn of the loop. Cheap; calls coalesce. */
void cl_sched_changed(cl_sched *s);
/* A sync round completed or a notify was applied: the first call starts the
 * missed-reminders check (see wait_sync); every call reschedules. */
void cl_sched_synced(cl_sched *s);
/* True once the missed-reminders check ran. */
bool cl_sched_is_started(const cl_sched *s);
/* The front end can show notifications again (its notification service
 * appeared): what it could not show is offered at the next turn of the loop.
 * No-op when nothing is held back. */
void cl_sched_retry(cl_sched *s);
/* The front end's report on a batch it answered CL_SCHED_LATER to: of v (a
 * copy of that batch's b->v, n of them), the first `shown` reached the user
 * and are recorded as fired. latest: it is the last batch offered; then, when
 * some were not shown, they are held (as when on_show returns fewer), else
 * the hold ends. Loop thread. */
void cl_sched_report(cl_sched *s, const cl_occurrence *v, int n, int shown, bool latest);
/* True while reminders are held back because the front end could not show them. */
bool cl_sched_is_holding(const cl_sched *s);

/* What the scheduler did so far (logs, tests). */
typedef struct cl_sched_stats {
  int wakes;  /* timer callbacks */
  int scans;  /* rescans of the diary */
  int jumps;  /* clock jumps noticed */
  int shown;  /* on_show calls */
  int unshown; /* on_show calls that could not show everything */
} cl_sched_stats;
void cl_sched_stats_get(const cl_sched *s, cl_sched_stats *out);

/* Tests: the wall clock (UTC ms) the scheduler reads; NULL = kt_now_ms.
 * The monotonic side stays libuv's (uv_hrtime). */
void cl_sched_set_clock(cl_sched *s, kt_clock_fn fn, void *ud);

#endif
