/* cli_agent — `kartoteka agent`: stays connected (live sync, reconnects with
 * backoff) and fires this user's reminders as desktop notifications
 * (libnotify: Dismiss / Snooze actions) and log lines. Due times are wall-clock
 * instants checked every tick (~200 ms), so suspend/resume and clock changes
 * cannot make a reminder fire twice: each occurrence's state is recorded
 * (and synced) the moment it fires. Reminders missed while the PC was off are
 * shown once at start ("3 missed reminders"). Only this front end talks to
 * the desktop; the client library stays GLib-free. */
#include <libnotify/notify.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cl_remind.h"
#include "cl_sync.h"
#include "cli.h"
#include "kt_hlc.h"
#include "kt_log.h"
#include "kt_time.h"

#define MISSED_WINDOW_MS (30LL * 86400000)
#define STORM_LIMIT 3            /* more due at once than this: one summary */
#define RESCAN_MS 30000          /* re-read the diary at least this often */

static volatile bool stop_flag;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = true;
}

typedef struct agent {
  cl_store *s;
  const char *user;
  bool notify_ok;
  int64_t next_due;   /* earliest pending reminder, INT64_MAX when none */
  int64_t last_scan;
  int64_t last_tick;
  int64_t data_version;
  bool started; /* the missed-reminders check ran (after the first sync) */
  const cl_sync_stats *sync; /* NULL when standalone */
  int64_t began;
  GSList *shown; /* notifications with actions, kept until closed (their actions need them) */
} agent;

typedef struct fire_list {
  cl_occurrence v[64];
  int n;
  int total;
} fire_list;

static int collect(void *ud, const cl_occurrence *o) {
  fire_list *f = ud;
  if (f->n < 64) f->v[f->n++] = *o;
  f->total++;
  return 0;
}

/* Data passed to a notification action (owned by the notification). */
typedef struct action_ctx {
  agent *a;
  cl_occurrence o;
} action_ctx;

/* Dismiss or Snooze pressed: recorded (and synced) like `kartoteka remind
 * dismiss|snooze`, so the user's other PCs do not show it either. */
static void on_action(NotifyNotification *n, char *action, gpointer ud) {
  action_ctx *c = ud;
  kt_err err;
  kt_err_clear(&err);
  int64_t now = (int64_t)kt_now_ms();
  bool snooze = strcmp(action, "snooze") == 0;
  int64_t until = now + cl_remind_snooze_seconds(c->a->s) * 1000;
  int rc = cl_remind_set(c->a->s, c->a->user, c->o.rtype, c->o.rid, c->o.occurs,
                         snooze ? "snoozed" : "dismissed", snooze ? until : 0, &err);
  if (rc) kt_log_warn("agent", "recording the reminder's state: %s", err.msg);
  else fprintf(stderr, "%s reminder %s: %s\n", c->o.rid, snooze ? "snoozed" : "dismissed", c->o.title);
  c->a->last_scan = 0; /* recompute the next due time */
  notify_notification_close(n, NULL);
}

/* The daemon closed a notification (expired, clicked away, or after an
 * action): its actions can no longer come, let it go. */
static gboolean unref_later(gpointer n) {
  g_object_unref(n);
  return G_SOURCE_REMOVE;
}

static void on_closed(NotifyNotification *n, gpointer ud) {
  agent *a = ud;
  GSList *l = g_slist_find(a->shown, n);
  if (!l) return;
  a->shown = g_slist_delete_link(a->shown, l);
  g_idle_add(unref_later, n); /* not while it is emitting */
}

static void snooze_label(agent *a, char *out, size_t n) {
  int64_t sec = cl_remind_snooze_seconds(a->s);
  if (sec % 3600 == 0) snprintf(out, n, "Snooze %lld h", (long long)(sec / 3600));
  else if (sec % 60 == 0) snprintf(out, n, "Snooze %lld min", (long long)(sec / 60));
  else snprintf(out, n, "Snooze %lld s", (long long)sec);
}

static void show(agent *a, const char *summary, const char *body, const cl_occurrence *o) {
  fprintf(stderr, "%s reminder: %s%s%s\n", o ? o->rid : "-", summary, body && *body ? " — " : "",
          body ? body : "");
  if (!a->notify_ok) return;
  NotifyNotification *n = notify_notification_new(summary, body, "appointment-soon");
  notify_notification_set_category(n, "x-kartoteka.reminder");
  if (o) {
    action_ctx *c = g_new0(action_ctx, 1);
    c->a = a;
    c->o = *o;
    char label[40];
    snooze_label(a, label, sizeof label);
    notify_notification_set_hint(n, "x-kartoteka-id", g_variant_new_string(o->rid));
    notify_notification_add_action(n, "dismiss", "Dismiss", on_action, c, g_free);
    notify_notification_add_action(n, "snooze", label, on_action, c, NULL);
  }
  GError *ge = NULL;
  if (!notify_notification_show(n, &ge)) {
    kt_log_warn("agent", "cannot show a desktop notification: %s", ge ? ge->message : "?");
    g_clear_error(&ge);
    g_object_unref(n);
    return;
  }
  if (!o) {
    g_object_unref(n);
    return;
  }
  /* libnotify delivers ActionInvoked only to a live notification object */
  a->shown = g_slist_prepend(a->shown, n);
  g_signal_connect(n, "closed", G_CALLBACK(on_closed), a);
}

static void describe(const cl_occurrence *o, char *body, size_t n) {
  char when[40];
  kt_datetime_format(o->occurs, false, when, sizeof when);
  snprintf(body, n, "%s %s", strcmp(o->rtype, "task") == 0 ? "due" : "at", when);
}

/* Fires what is due in [from, now]; one summary when there are many. */
static void fire(agent *a, int64_t from, int64_t now, bool missed) {
  fire_list f = {.n = 0};
  kt_err err;
  kt_err_clear(&err);
  if (cl_remind_due(a->s, a->user, from, now, false, collect, &f, &err)) {
    kt_log_warn("agent", "reading reminders: %s", err.msg);
    return;
  }
  if (!f.total) return;
  char body[512];
  if (f.total > STORM_LIMIT || (missed && f.total > 1)) {
    char summary[128];
    snprintf(summary, sizeof summary, "%d %sreminders", f.total, missed ? "missed " : "");
    size_t len = 0;
    body[0] = '\0';
    for (int i = 0; i < f.n && i < 5 && len < sizeof body - 80; i++)
      len += (size_t)snprintf(body + len, sizeof body - len, "%s%s", i ? "\n" : "", f.v[i].title);
    show(a, summary, body, NULL);
  } else {
    for (int i = 0; i < f.n; i++) {
      describe(&f.v[i], body, sizeof body);
      char summary[340];
      snprintf(summary, sizeof summary, "%s%s", missed ? "Missed: " : "", f.v[i].title);
      show(a, summary, body, &f.v[i]);
    }
  }
  for (int i = 0; i < f.n; i++)
    cl_remind_set(a->s, a->user, f.v[i].rtype, f.v[i].rid, f.v[i].occurs, "fired", 0, &err);
}

static int first_cb(void *ud, const cl_occurrence *o) {
  *(int64_t *)ud = o->effective;
  return 1;
}

static void rescan(agent *a, int64_t now) {
  kt_err err;
  a->next_due = INT64_MAX;
  /* the next minute-granular horizon is enough: the scan repeats every 30 s */
  cl_remind_due(a->s, a->user, now - 86400000LL, now + 2 * RESCAN_MS, false, first_cb,
                &a->next_due, &err);
  a->last_scan = now;
}

static void tick(void *ud) {
  agent *a = ud;
  while (a->notify_ok && g_main_context_iteration(NULL, FALSE)) {
  }
  int64_t now = (int64_t)kt_now_ms();
  /* after the first sync, so another PC's dismissals are known (or after 15 s
     without the server: offline, the PC still shows what it knows) */
  if (!a->started && (!a->sync || a->sync->rounds > 0 || now - a->began > 15000)) {
    a->started = true;
    fire(a, now - MISSED_WINDOW_MS, now, true);
    rescan(a, now);
  }
  if (!a->started) return; /* nothing fires before the missed-reminders check */
  int64_t dv = cl_store_data_version(a->s);
  /* a clock jump (suspend/resume, manual change) or new data: look again */
  bool jumped = a->last_tick && (now < a->last_tick - 1000 || now > a->last_tick + 60000);
  if (jumped || dv != a->data_version || now - a->last_scan >= RESCAN_MS) {
    if (jumped) kt_log_info("agent", "the clock jumped; rescheduling reminders");
    a->data_version = dv;
    rescan(a, now);
  }
  a->last_tick = now;
  if (now >= a->next_due) {
    fire(a, now - 86400000LL, now, false);
    rescan(a, now);
  }
}

int cli_cmd_agent(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("agent", "no arguments expected");
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  agent a = {.s = s, .user = cl_store_user(s), .began = (int64_t)kt_now_ms()};
  a.notify_ok = notify_init("Kartoteka");
  kt_log_set_level(ctx->verbose ? KT_LOG_DEBUG : KT_LOG_INFO);
  kt_buf server = KT_BUF_INIT;
  bool connected = cl_store_meta_get(s, "server", &server, NULL) == 0;
  kt_buf_free(&server);
  kt_err err;
  kt_err_clear(&err);
  int rc = 0;
  fprintf(stderr, "kartoteka agent: running for %s%s\n", a.user,
          connected ? "" : " (standalone: reminders only)");
  if (connected) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    cl_sync_stats st;
    memset(&st, 0, sizeof st);
    a.sync = &st;
    rc = cl_sync_run(&loop, ctx->profile, s, true, &stop_flag, tick, &a, &st, &err);
    uv_loop_close(&loop);
  } else {
    while (!stop_flag) {
      tick(&a);
      usleep(200000);
    }
  }
  g_slist_free_full(a.shown, g_object_unref);
  if (a.notify_ok) notify_uninit();
  cl_store_close(s);
  if (rc) return cli_fail(&err);
  return 0;
}
