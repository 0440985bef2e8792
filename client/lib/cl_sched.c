/* cl_sched — see cl_sched.h. One uv_timer does everything: each wake reads
 * the wall clock, notices a clock jump, runs the missed-reminders check once,
 * rescans when something changed, fires what is due and arms the timer for
 * the next due time (at most CL_SCHED_MAX_SLEEP_MS away). What the front end
 * could not show is held: only due times after the failure count as new, and
 * the held window is offered again at the retry time or with the next new
 * one. Changes made by
 * other processes are noticed through the replica's WAL file (uv_fs_event)
 * and PRAGMA data_version; a wake never writes into an open batch (a sync
 * pull between pages runs this loop): it comes back 50 ms later. */
#include "cl_sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_i18n.h"
#include "kt_log.h"

#define DAY_MS 86400000LL
#define MISSED_WINDOW_MS (30 * DAY_MS) /* the check at start looks this far back */
#define JUMP_MS 2000 /* wall vs monotonic drift between wakes that counts as a jump */
#define BATCH_RETRY_MS 50
#define REFIRE_MS 1000 /* still due right after firing (a batch over 64, a failed write) */

struct cl_sched {
  uv_loop_t *loop;
  cl_store *store;
  char *user;
  cl_sched_cbs cbs;
  uv_timer_t timer;
  uv_fs_event_t wal;
  int handles; /* open handles; freed when the last one is closed */
  bool freeing;
  kt_clock_fn clock;
  void *clock_ud;
  int64_t next_due; /* earliest pending effective time found by the last scan, INT64_MAX none */
  int64_t last_scan;
  int64_t data_version; /* at the last scan */
  int64_t last_wall, last_mono; /* at the last wake: a jump shows as a drift between them */
  int64_t began_mono;
  bool started; /* the missed-reminders check ran */
  bool synced;  /* cl_sched_synced came */
  bool dirty;   /* cl_sched_changed came */
  bool holding;       /* the front end could not show everything that was due */
  bool awaiting;      /* held quietly: the front end answered CL_SCHED_LATER */
  bool retry_now;     /* cl_sched_retry came */
  int64_t held_from;  /* wall: the held window starts here */
  int64_t held_at;    /* wall: when showing failed (due times after it are new) */
  int64_t retry_mono; /* when to offer the held window again */
  cl_sched_stats stats;
};

static void on_timer_due(uv_timer_t *t);

static int64_t wall_now(cl_sched *s) {
  return (int64_t)(s->clock ? s->clock(s->clock_ud) : kt_now_ms());
}

static int64_t mono_now(void) { return (int64_t)(uv_hrtime() / 1000000); }

static void arm(cl_sched *s, int64_t ms) {
  if (s->freeing) return;
  if (ms < 0) ms = 0;
  if (ms > CL_SCHED_MAX_SLEEP_MS) ms = CL_SCHED_MAX_SLEEP_MS;
  uv_update_time(s->loop); /* the callbacks may have taken a while (a D-Bus call) */
  uv_timer_start(&s->timer, on_timer_due, (uint64_t)ms, 0);
}

typedef struct fire_list {
  cl_occurrence v[CL_SCHED_SHOW_MAX];
  int n;
  int total;
} fire_list;

static int collect(void *ud, const cl_occurrence *o) {
  fire_list *f = ud;
  if (f->n < CL_SCHED_SHOW_MAX) f->v[f->n++] = *o;
  f->total++;
  return 0;
}

/* The front end could not show all of what was due in [from, now]: it stays
 * due (not recorded) and is offered again later. */
static void hold(cl_sched *s, int64_t from, int64_t now, int unshown) {
  if (!s->holding || from < s->held_from) s->held_from = from;
  if (!s->holding || s->awaiting)
    kt_log_warn("sched", "%d reminder%s could not be shown: kept due, offered again when "
                "notifications work", unshown, unshown == 1 ? "" : "s");
  s->holding = true;
  s->awaiting = false;
  s->held_at = now;
  s->retry_now = false;
  s->retry_mono = mono_now() + CL_SCHED_RETRY_MS;
  s->stats.unshown++;
}

/* Shows what is due in [from, now], then records as fired what was shown. */
static void fire(cl_sched *s, int64_t from, int64_t now, bool missed) {
  fire_list *f = calloc(1, sizeof *f);
  if (!f) {
    kt_log_warn("sched", "out of memory: reminders are shown at the next wake");
    return;
  }
  kt_err err;
  kt_err_clear(&err);
  if (cl_remind_due(s->store, s->user, from, now, false, collect, f, &err)) {
    kt_log_warn("sched", "reading reminders: %s", err.msg);
    goto out;
  }
  if (!f->total) {
    s->holding = false; /* what was held was dismissed or done meanwhile */
    goto out;
  }
  cl_sched_batch b;
  memset(&b, 0, sizeof b);
  b.v = f->v;
  b.n = f->n;
  b.total = f->total;
  b.missed = missed;
  b.summary = f->total > CL_SCHED_STORM_LIMIT || (missed && f->total > 1);
  if (b.summary) {
    snprintf(b.title, sizeof b.title,
             missed ? KT_NG_("%d missed reminder", "%d missed reminders", f->total)
                    : KT_NG_("%d reminder", "%d reminders", f->total), f->total);
    size_t len = 0;
    for (int i = 0; i < f->n && i < 5 && len < sizeof b.body - 80; i++)
      len += (size_t)snprintf(b.body + len, sizeof b.body - len, "%s%s", i ? "\n" : "",
                              f->v[i].title);
  }
  s->stats.shown++;
  int k = s->cbs.on_show(s->cbs.ud, &b);
  if (k == CL_SCHED_LATER) { /* the front end reports with cl_sched_report */
    if (!s->holding || from < s->held_from) s->held_from = from;
    s->holding = s->awaiting = true;
    s->held_at = now;
    s->retry_now = false;
    s->retry_mono = mono_now() + CL_SCHED_RETRY_MS;
    goto out;
  }
  if (k < 0) k = 0;
  if (k > f->n) k = f->n;
  /* only what a front end showed counts as fired (and stops the other PCs) */
  for (int i = 0; i < k; i++)
    if (cl_remind_set(s->store, s->user, f->v[i].rtype, f->v[i].rid, f->v[i].occurs, "fired", 0,
                      &err))
      kt_log_warn("sched", "recording a fired reminder: %s", err.msg);
  if (k < f->n) {
    hold(s, from, now, f->total - k);
  } else if (s->holding) {
    if (!s->awaiting) kt_log_info("sched", "reminders are shown again");
    s->holding = s->awaiting = false;
  }
out:
  free(f);
}

static int first_cb(void *ud, const cl_occurrence *o) {
  *(int64_t *)ud = o->effective;
  return 1;
}

/* The next due time within the scan horizon (twice the longest sleep, so the
 * wake before it always sees it coming). */
static void rescan(cl_sched *s, int64_t now) {
  kt_err err;
  kt_err_clear(&err);
  s->next_due = INT64_MAX;
  s->data_version = cl_store_data_version(s->store);
  /* while holding, what was due at the failure waits for the retry */
  int64_t from = s->holding && s->held_at + 1 > now - DAY_MS ? s->held_at + 1 : now - DAY_MS;
  if (cl_remind_due(s->store, s->user, from, now + 2 * CL_SCHED_MAX_SLEEP_MS, false,
                    first_cb, &s->next_due, &err))
    kt_log_warn("sched", "reading reminders: %s", err.msg);
  s->last_scan = now;
  s->dirty = false;
  s->stats.scans++;
}

static void on_timer_due(uv_timer_t *t) {
  cl_sched *s = t->data;
  s->stats.wakes++;
  if (cl_store_in_batch(s->store)) { /* a sync pull between pages: not into its transaction */
    arm(s, BATCH_RETRY_MS);
    return;
  }
  int64_t now = wall_now(s), mono = mono_now();
  bool jumped = false;
  if (s->last_mono) {
    int64_t drift = (now - s->last_wall) - (mono - s->last_mono);
    jumped = drift > JUMP_MS || drift < -JUMP_MS;
  }
  s->last_wall = now;
  s->last_mono = mono;
  if (!s->started) {
    /* after the first sync, so another PC's dismissals are known (or after a
       while without the server: offline, the PC still shows what it knows) */
    int64_t waited = mono - s->began_mono;
    if (s->cbs.wait_sync && !s->synced && waited < CL_SCHED_OFFLINE_START_MS) {
      arm(s, CL_SCHED_OFFLINE_START_MS - waited);
      return;
    }
    s->started = true;
    fire(s, now - MISSED_WINDOW_MS, now, true);
    rescan(s, now);
  } else {
    if (jumped) {
      s->stats.jumps++;
      kt_log_info("sched", "the clock jumped; rescheduling reminders");
    }
    if (jumped || s->dirty || cl_store_data_version(s->store) != s->data_version ||
        now < s->last_scan || now - s->last_scan >= CL_SCHED_MAX_SLEEP_MS - 1000)
      rescan(s, now);
  }
  bool retry = s->holding && (s->retry_now || mono >= s->retry_mono);
  if (retry || now >= s->next_due) {
    /* a retry, or a new due time while holding, offers the whole held window */
    if (s->holding) fire(s, s->held_from, now, true);
    else fire(s, now - DAY_MS, now, false);
    rescan(s, now);
    if (!s->holding && now >= s->next_due) {
      arm(s, REFIRE_MS);
      return;
    }
  }
  int64_t wait = s->next_due == INT64_MAX ? CL_SCHED_MAX_SLEEP_MS : s->next_due - now;
  if (s->holding && s->retry_mono - mono < wait) wait = s->retry_mono - mono;
  arm(s, wait);
}

/* Another process (or this one) wrote to the replica: look at data_version now. */
static void on_wal_changed(uv_fs_event_t *h, const char *name, int events, int status) {
  (void)name;
  (void)events;
  (void)status;
  arm(h->data, 0);
}

static void on_handle_closed(uv_handle_t *h) {
  cl_sched *s = h->data;
  if (--s->handles > 0) return;
  free(s->user);
  free(s);
}

int cl_sched_new(uv_loop_t *loop, cl_store *store, const char *user, const cl_sched_cbs *cbs,
                 cl_sched **out, kt_err *err) {
  if (!loop || !store || !user || !cbs || !cbs->on_show)
    return kt_err_set(err, KT_EINVAL, "the reminder scheduler needs a loop, a store, a user and on_show");
  cl_sched *s = calloc(1, sizeof *s);
  char *u = strdup(user);
  if (!s || !u) {
    free(s);
    free(u);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  s->loop = loop;
  s->store = store;
  s->user = u;
  s->cbs = *cbs;
  s->next_due = INT64_MAX;
  s->began_mono = mono_now();
  uv_timer_init(loop, &s->timer);
  s->timer.data = s;
  s->handles = 1;
  if (uv_fs_event_init(loop, &s->wal) == 0) {
    s->wal.data = s;
    s->handles++;
    char path[4200];
    snprintf(path, sizeof path, "%s-wal", cl_store_path(store));
    int urc = uv_fs_event_start(&s->wal, on_wal_changed, path, 0);
    if (urc) /* still correct: data_version is read at each wake */
      kt_log_debug("sched", "not watching %s (%s): other programs' edits are seen within %d s",
                   path, uv_strerror(urc), CL_SCHED_MAX_SLEEP_MS / 1000);
  }
  arm(s, 0);
  *out = s;
  return 0;
}

void cl_sched_free(cl_sched *s) {
  if (!s || s->freeing) return;
  s->freeing = true;
  uv_timer_stop(&s->timer);
  if (s->handles > 1) uv_close((uv_handle_t *)&s->wal, on_handle_closed);
  uv_close((uv_handle_t *)&s->timer, on_handle_closed);
}

void cl_sched_changed(cl_sched *s) {
  s->dirty = true;
  arm(s, 0);
}

void cl_sched_synced(cl_sched *s) {
  s->synced = true;
  s->dirty = true;
  arm(s, 0);
}

bool cl_sched_is_started(const cl_sched *s) { return s->started; }

void cl_sched_retry(cl_sched *s) {
  if (!s->holding || s->awaiting) return; /* awaiting: the front end has not reported yet */
  s->retry_now = true;
  arm(s, 0);
}

void cl_sched_report(cl_sched *s, const cl_occurrence *v, int n, int shown, bool latest) {
  if (shown < 0) shown = 0;
  if (shown > n) shown = n;
  kt_err err;
  kt_err_clear(&err);
  for (int i = 0; i < shown; i++)
    if (cl_remind_set(s->store, s->user, v[i].rtype, v[i].rid, v[i].occurs, "fired", 0, &err))
      kt_log_warn("sched", "recording a fired reminder: %s", err.msg);
  /* a report on an older batch only records: the newer one holds the window */
  if (latest && s->awaiting) {
    int64_t now = wall_now(s);
    if (shown < n) hold(s, s->held_from, now, n - shown);
    else s->holding = s->awaiting = false;
  }
  s->dirty = true;
  arm(s, 0);
}

bool cl_sched_is_holding(const cl_sched *s) { return s->holding; }

void cl_sched_stats_get(const cl_sched *s, cl_sched_stats *out) { *out = s->stats; }

void cl_sched_set_clock(cl_sched *s, kt_clock_fn fn, void *ud) {
  s->clock = fn;
  s->clock_ud = ud;
}
