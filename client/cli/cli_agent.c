/* cli_agent — `kartoteka agent`: stays connected (live sync, reconnects with
 * backoff) and shows this user's reminders as desktop notifications
 * (libnotify: Dismiss / Snooze actions) and log lines. The scheduling is the
 * client library's (cl_sched: a timer for the next due reminder on this
 * loop, clock jumps, the missed-reminders check after the first sync, one
 * summary instead of a storm); this front end only shows what it is given,
 * says how much of it reached the notification service (only that counts as
 * fired), and records the buttons pressed. It watches the service's bus name,
 * so reminders held back while there was none come as soon as it appears.
 * Only this front end talks to the desktop; the client library stays GLib-free. */
#include <libnotify/notify.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cl_remind.h"
#include "cl_sched.h"
#include "cl_sync.h"
#include "cli.h"
#include "kt_hlc.h"
#include "kt_log.h"
#include "kt_plat.h"
#include "kt_time.h"

#define PUMP_MS 100 /* GLib's main context (notification actions) is looked at this often */
#define BACKUP_CHECK_MS (3600 * 1000) /* standalone: is the daily backup due? */

static volatile bool stop_flag;

#define NOTIFY_NAME "org.freedesktop.Notifications"

typedef struct agent {
  cl_store *s;
  const char *user;
  bool notify_ok;   /* libnotify initialised */
  bool unreachable; /* the last attempt to show a notification failed */
  cl_sched *sched;
  GSList *shown; /* notifications with actions, kept until closed (their actions need them) */
} agent;

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
  cl_sched_changed(c->a->sched); /* recompute the next due time */
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

static void unreachable(agent *a, const char *why, const char *summary) {
  if (!a->unreachable)
    fprintf(stderr, "kartoteka agent: cannot show a desktop notification (%s): \"%s\" stays due "
            "and is shown when a notification service is there\n", why, summary);
  else
    kt_log_debug("agent", "still no notification service: %s", why);
  a->unreachable = true;
}

static void snooze_label(agent *a, char *out, size_t n) {
  int64_t sec = cl_remind_snooze_seconds(a->s);
  if (sec % 3600 == 0) snprintf(out, n, "Snooze %lld h", (long long)(sec / 3600));
  else if (sec % 60 == 0) snprintf(out, n, "Snooze %lld min", (long long)(sec / 60));
  else snprintf(out, n, "Snooze %lld s", (long long)sec);
}

/* Shows one notification; false when the notification service could not be
 * reached (the reminder then stays due: said once, until one gets through). */
static bool show(agent *a, const char *summary, const char *body, const cl_occurrence *o) {
  if (!a->notify_ok) {
    unreachable(a, "libnotify could not start", summary);
    return false;
  }
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
    unreachable(a, ge ? ge->message : "?", summary);
    g_clear_error(&ge);
    g_object_unref(n);
    return false;
  }
  if (a->unreachable) fprintf(stderr, "kartoteka agent: desktop notifications work again\n");
  a->unreachable = false;
  fprintf(stderr, "%s reminder: %s%s%s\n", o ? o->rid : "-", summary, body && *body ? " — " : "",
          body ? body : "");
  if (!o) {
    g_object_unref(n);
    return true;
  }
  /* libnotify delivers ActionInvoked only to a live notification object */
  a->shown = g_slist_prepend(a->shown, n);
  g_signal_connect(n, "closed", G_CALLBACK(on_closed), a);
  return true;
}

static void describe(const cl_occurrence *o, char *body, size_t n) {
  char when[40];
  kt_datetime_format(o->occurs, false, when, sizeof when);
  snprintf(body, n, "%s %s", strcmp(o->rtype, "task") == 0 ? "due" : "at", when);
}

/* The scheduler's batch: one summary, or one notification (with Dismiss and
 * Snooze) per occurrence. Returns how many were shown (the scheduler records
 * those as fired). */
static int on_show(void *ud, const cl_sched_batch *b) {
  agent *a = ud;
  if (b->summary) return show(a, b->title, b->body, NULL) ? b->n : 0;
  char body[512], summary[340];
  for (int i = 0; i < b->n; i++) {
    describe(&b->v[i], body, sizeof body);
    snprintf(summary, sizeof summary, "%s%s", b->missed ? "Missed: " : "", b->v[i].title);
    if (!show(a, summary, body, &b->v[i])) return i;
  }
  return b->n;
}

/* A notification service took the bus name: show what was held back. */
static void on_service_appeared(GDBusConnection *c, const gchar *name, const gchar *owner,
                                gpointer ud) {
  (void)c;
  (void)name;
  (void)owner;
  agent *a = ud;
  if (a->sched) cl_sched_retry(a->sched);
}

/* Whether a notification service answers now (the start-up message). */
static bool service_reachable(agent *a, char *why, size_t n) {
  if (!a->notify_ok) {
    snprintf(why, n, "libnotify could not start");
    return false;
  }
  char *name = NULL, *vendor = NULL, *version = NULL, *spec = NULL;
  bool ok = notify_get_server_info(&name, &vendor, &version, &spec);
  g_free(name);
  g_free(vendor);
  g_free(version);
  g_free(spec);
  if (!ok) snprintf(why, n, "no session bus or no notification daemon on it");
  return ok;
}

/* Notification actions arrive on GLib's main context: pumped from the loop,
 * but not while a sync pull holds a batch open (a button's write would join
 * that transaction): the next pump gets it. */
static void on_pump_due(uv_timer_t *t) {
  agent *a = t->data;
  if (cl_store_in_batch(a->s)) return;
  while (g_main_context_iteration(NULL, FALSE)) {
  }
}

/* A standalone agent runs for days: its profile's daily backup (a cheap
 * look at the newest backup's time, a copy once a day). */
static void on_backup_due(uv_timer_t *t) { cli_backup_due(t->data); }

static void on_stop_signal(uv_signal_t *h, int sig) {
  (void)h;
  (void)sig;
  stop_flag = true;
}

static void on_synced(void *ud, const cl_sync_stats *st) {
  (void)st;
  cl_sched_synced(((agent *)ud)->sched);
}

int cli_cmd_agent(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("agent", "no arguments expected");
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  kt_plat_process_init(); /* SIGPIPE: also when run from another front end */
  agent a = {.s = s, .user = cl_store_user(s)};
  a.notify_ok = notify_init("Kartoteka");
  kt_log_set_level(ctx->verbose ? KT_LOG_DEBUG : KT_LOG_INFO);
  kt_buf server = KT_BUF_INIT;
  bool connected = cl_store_meta_get(s, "server", &server, NULL) == 0;
  kt_buf_free(&server);
  kt_err err;
  kt_err_clear(&err);
  int rc = 0;
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_signal_t sigint, sigterm;
  uv_signal_init(&loop, &sigint);
  uv_signal_init(&loop, &sigterm);
  uv_signal_start(&sigint, on_stop_signal, SIGINT);
  uv_signal_start(&sigterm, on_stop_signal, SIGTERM);
  uv_timer_t pump, backup;
  uv_timer_init(&loop, &pump);
  pump.data = &a;
  uv_timer_init(&loop, &backup);
  backup.data = ctx;
  uv_timer_start(&pump, on_pump_due, PUMP_MS, PUMP_MS);
  cl_sched_cbs cbs = {.on_show = on_show, .ud = &a, .wait_sync = connected};
  rc = cl_sched_new(&loop, s, a.user, &cbs, &a.sched, &err);
  guint watch = 0;
  if (!rc) {
    fprintf(stderr, "kartoteka agent: running for %s%s\n", a.user,
            connected ? "" : " (standalone: reminders only)");
    char why[120];
    if (!service_reachable(&a, why, sizeof why))
      fprintf(stderr, "kartoteka agent: cannot reach a desktop notification service (%s): "
              "reminders stay due and are shown once one is there (tried again every %d s and "
              "at each due reminder)\n", why, CL_SCHED_RETRY_MS / 1000);
    watch = g_bus_watch_name(G_BUS_TYPE_SESSION, NOTIFY_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                             on_service_appeared, NULL, &a, NULL);
    if (connected) {
      cl_sync_stats st;
      memset(&st, 0, sizeof st);
      rc = cl_sync_run(&loop, ctx->profile, s, true, &stop_flag, on_synced, &a, &st, &err);
    } else {
      uv_timer_start(&backup, on_backup_due, BACKUP_CHECK_MS, BACKUP_CHECK_MS);
      while (!stop_flag) uv_run(&loop, UV_RUN_ONCE);
    }
  }
  if (watch) g_bus_unwatch_name(watch);
  cl_sched_free(a.sched);
  a.sched = NULL;
  uv_close((uv_handle_t *)&pump, NULL);
  uv_close((uv_handle_t *)&backup, NULL);
  uv_close((uv_handle_t *)&sigint, NULL);
  uv_close((uv_handle_t *)&sigterm, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  g_slist_free_full(a.shown, g_object_unref);
  if (a.notify_ok) notify_uninit();
  cl_store_close(s);
  if (rc) return cli_fail(&err);
  return 0;
}
