/* cli_agent — `kartoteka agent`: stays connected (live sync, reconnects with
 * backoff) and shows this user's reminders as desktop notifications
 * (libnotify: Dismiss / Snooze actions) and log lines. It runs on the client
 * core (cl_client), as the desktop app does: the core's thread syncs and
 * schedules (cl_sched: the next due reminder, clock jumps, the missed-reminders
 * check after the first sync, one summary instead of a storm); this front end,
 * on GLib's main loop, only shows what it is given, reports how much of it
 * reached the notification service (only that counts as fired: CL_CMD_SHOWN),
 * and sends the buttons pressed as commands. It watches the service's bus
 * name, so reminders held back while there was none come as soon as it
 * appears. Nothing polls: the main loop sleeps until the core's wakeup hook,
 * a D-Bus message or a signal. Only this front end talks to the desktop; the
 * client library stays GLib-free. */
#include <glib-unix.h>
#include <libnotify/notify.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cl_client.h"
#include "cl_sched.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_hlc.h"
#include "kt_log.h"
#include "kt_plat.h"
#include "kt_time.h"

#define BACKUP_CHECK_S 3600 /* standalone: is the daily backup due? */

#define NOTIFY_NAME "org.freedesktop.Notifications"

typedef struct agent {
  cl_client *c;
  bool notify_ok;   /* libnotify initialised */
  bool unreachable; /* the last attempt to show a notification failed */
  int64_t snooze_s; /* the profile's snooze time, as the last reminder batch said */
  GSList *shown; /* notifications with actions, kept until closed (their actions need them) */
  GHashTable *asked; /* request id -> action_ctx: Dismiss / Snooze waiting for their result */
  GMainLoop *main;
  int rc;           /* the sync's refusal that ended the agent */
  char msg[KT_ERR_MSG_MAX];
} agent;

/* Data passed to a notification action (owned by the notification). */
typedef struct action_ctx {
  agent *a;
  cl_client_occ o;
  bool snooze;
} action_ctx;

/* Dismiss or Snooze pressed: recorded (and synced) like `kartoteka remind
 * dismiss|snooze`, so the user's other PCs do not show it either; the line on
 * stderr comes with the core's result. */
static void on_action(NotifyNotification *n, char *action, gpointer ud) {
  action_ctx *c = ud;
  bool snooze = strcmp(action, "snooze") == 0;
  cl_client_cmd cmd = {.kind = snooze ? CL_CMD_SNOOZE : CL_CMD_DISMISS, .occ = &c->o};
  uint64_t req = 0;
  kt_err err;
  kt_err_clear(&err);
  if (cl_client_submit(c->a->c, &cmd, &req, &err)) {
    kt_log_warn("agent", "recording the reminder's state: %s", err.msg);
  } else {
    action_ctx *copy = g_new0(action_ctx, 1);
    *copy = *c;
    copy->snooze = snooze;
    g_hash_table_insert(c->a->asked, GSIZE_TO_POINTER((gsize)req), copy);
  }
  notify_notification_close(n, NULL);
}

static void on_result(agent *a, const cl_client_event *ev) {
  gpointer key = GSIZE_TO_POINTER((gsize)ev->result.req);
  action_ctx *c = g_hash_table_lookup(a->asked, key);
  if (!c) return;
  if (ev->result.code)
    kt_log_warn("agent", "recording the reminder's state: %s", ev->result.msg);
  else if (c->snooze)
    fprintf(stderr, _("%s reminder snoozed: %s\n"), c->o.rid, c->o.title);
  else
    fprintf(stderr, _("%s reminder dismissed: %s\n"), c->o.rid, c->o.title);
  g_hash_table_remove(a->asked, key);
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
    fprintf(stderr, _("kartoteka agent: cannot show a desktop notification (%s): \"%s\" stays due "
                      "and is shown when a notification service is there\n"),
            why, summary);
  else
    kt_log_debug("agent", "still no notification service: %s", why);
  a->unreachable = true;
}

static void snooze_label(agent *a, char *out, size_t n) {
  int64_t sec = a->snooze_s > 0 ? a->snooze_s : 600;
  /* TRANSLATORS: a notification's button: remind again in so many hours, minutes, seconds */
  if (sec % 3600 == 0) snprintf(out, n, _("Snooze %lld h"), (long long)(sec / 3600));
  else if (sec % 60 == 0) snprintf(out, n, _("Snooze %lld min"), (long long)(sec / 60));
  else snprintf(out, n, _("Snooze %lld s"), (long long)sec);
}

/* Shows one notification; false when the notification service could not be
 * reached (the reminder then stays due: said once, until one gets through). */
static bool show(agent *a, const char *summary, const char *body, const cl_client_occ *o) {
  if (!a->notify_ok) {
    unreachable(a, _("libnotify could not start"), summary);
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
    notify_notification_add_action(n, "dismiss", _("Dismiss"), on_action, c, g_free);
    notify_notification_add_action(n, "snooze", label, on_action, c, NULL);
  }
  GError *ge = NULL;
  if (!notify_notification_show(n, &ge)) {
    unreachable(a, ge ? ge->message : "?", summary);
    g_clear_error(&ge);
    g_object_unref(n);
    return false;
  }
  if (a->unreachable) fprintf(stderr, "%s\n", _("kartoteka agent: desktop notifications work again"));
  a->unreachable = false;
  fprintf(stderr, _("%s reminder: %s%s%s\n"), o ? o->rid : "-", summary, body && *body ? " — " : "",
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

static void describe(const cl_client_occ *o, char *body, size_t n) {
  char when[40];
  kt_datetime_format(o->occurs, false, when, sizeof when);
  if (strcmp(o->rtype, "task") == 0) snprintf(body, n, _("due %s"), when);
  else snprintf(body, n, _("at %s"), when);
}

/* The scheduler's batch: one summary, or one notification (with Dismiss and
 * Snooze) per occurrence. Reports how many were shown (the core records those
 * as fired). */
static void on_reminders(agent *a, const cl_client_event *ev) {
  a->snooze_s = ev->reminders.snooze_seconds;
  int shown = 0;
  if (ev->reminders.summary) {
    shown = show(a, ev->reminders.title, ev->reminders.body, NULL) ? ev->reminders.n : 0;
  } else {
    char body[512], summary[340];
    for (; shown < ev->reminders.n; shown++) {
      const cl_client_occ *o = &ev->reminders.v[shown];
      describe(o, body, sizeof body);
      if (ev->reminders.missed) snprintf(summary, sizeof summary, _("Missed: %s"), o->title);
      else snprintf(summary, sizeof summary, "%s", o->title);
      if (!show(a, summary, body, o)) break;
    }
  }
  cl_client_cmd cmd = {.kind = CL_CMD_SHOWN, .batch = ev->reminders.batch, .shown = shown};
  kt_err err;
  if (cl_client_submit(a->c, &cmd, NULL, &err))
    kt_log_warn("agent", "reporting the reminders shown: %s", err.msg);
}

/* The core's events, on the main loop: reminders to show, the buttons'
 * results, and the sync state (a refusal ends the agent, as it always did). */
static gboolean drain(gpointer ud) {
  agent *a = ud;
  cl_client_event *ev;
  bool ended = false;
  if (!a->c) return G_SOURCE_REMOVE; /* an invoke queued before the end */
  while (cl_client_next_event(a->c, &ev)) {
    if (ev->kind == CL_EV_REMINDERS) on_reminders(a, ev);
    else if (ev->kind == CL_EV_RESULT) on_result(a, ev);
    else if (ev->kind == CL_EV_SYNC) {
      if (ev->sync.status == CL_SYNC_STOPPED && ev->sync.code && !a->rc) {
        a->rc = ev->sync.code;
        snprintf(a->msg, sizeof a->msg, "%s", ev->sync.error);
        cl_client_shutdown(a->c);
      }
      ended = ended || ev->sync.ended;
    }
    cl_client_event_free(ev);
  }
  if (ended) g_main_loop_quit(a->main);
  return G_SOURCE_REMOVE;
}

/* The core's wakeup hook (its thread): drain on the main loop. Not
 * g_main_context_invoke: from a thread that can acquire the default context
 * (before the main loop runs) it would call drain right there. */
static void on_core_wakeup(void *ud) {
  g_idle_add_full(G_PRIORITY_DEFAULT, drain, ud, NULL);
}

/* A notification service took the bus name: show what was held back. */
static void on_service_appeared(GDBusConnection *c, const gchar *name, const gchar *owner,
                                gpointer ud) {
  (void)c;
  (void)name;
  (void)owner;
  agent *a = ud;
  cl_client_cmd cmd = {.kind = CL_CMD_RETRY};
  kt_err err;
  if (a->c && cl_client_submit(a->c, &cmd, NULL, &err))
    kt_log_warn("agent", "offering held reminders again: %s", err.msg);
}

/* Whether a notification service answers now (the start-up message). */
static bool service_reachable(agent *a, char *why, size_t n) {
  if (!a->notify_ok) {
    snprintf(why, n, "%s", _("libnotify could not start"));
    return false;
  }
  char *name = NULL, *vendor = NULL, *version = NULL, *spec = NULL;
  bool ok = notify_get_server_info(&name, &vendor, &version, &spec);
  g_free(name);
  g_free(vendor);
  g_free(version);
  g_free(spec);
  if (!ok) snprintf(why, n, "%s", _("no session bus or no notification daemon on it"));
  return ok;
}

/* A standalone agent runs for days: its profile's daily backup (a cheap
 * look at the newest backup's time, a copy once a day). */
static gboolean on_backup_due(gpointer ctx) {
  cli_backup_due(ctx);
  return G_SOURCE_CONTINUE;
}

static gboolean on_stop_signal(gpointer ud) {
  cl_client_shutdown(((agent *)ud)->c);
  return G_SOURCE_CONTINUE;
}

int cli_cmd_agent(cli_ctx *ctx, int argc, char **argv) {
  /* its usage says `agent --verbose`: the option may also follow the command */
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1)
    if (opt && strcmp(opt, "--verbose") == 0) ctx->verbose = true;
    else return cli_usage("agent", _("no arguments expected"));
  if (more) return more;
  kt_plat_process_init(); /* SIGPIPE: also when run from another front end */
  kt_log_set_level(ctx->verbose ? KT_LOG_DEBUG : KT_LOG_INFO);
  agent a = {.rc = 0};
  a.asked = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  a.main = g_main_loop_new(NULL, FALSE);
  a.notify_ok = notify_init("Kartoteka");
  /* the signal sources before the core's thread exists: GLib then owns them */
  guint sig_int = g_unix_signal_add(SIGINT, on_stop_signal, &a);
  guint sig_term = g_unix_signal_add(SIGTERM, on_stop_signal, &a);
  cl_client_opts opts = {.sync = true, .reminders = true, .wakeup = on_core_wakeup,
                         .wakeup_ud = &a};
  a.c = cli_client_open(ctx, &opts);
  guint watch = 0, backup = 0;
  if (a.c) {
    bool connected = cl_client_connected(a.c);
    if (connected) fprintf(stderr, _("kartoteka agent: running for %s\n"), cl_client_user(a.c));
    else
      fprintf(stderr, _("kartoteka agent: running for %s (standalone: reminders only)\n"),
              cl_client_user(a.c));
    char why[120];
    if (!service_reachable(&a, why, sizeof why))
      fprintf(stderr, _("kartoteka agent: cannot reach a desktop notification service (%s): "
              "reminders stay due and are shown once one is there (tried again every %d s and "
              "at each due reminder)\n"), why, CL_SCHED_RETRY_MS / 1000);
    watch = g_bus_watch_name(G_BUS_TYPE_SESSION, NOTIFY_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                             on_service_appeared, NULL, &a, NULL);
    if (!connected) backup = g_timeout_add_seconds(BACKUP_CHECK_S, on_backup_due, ctx);
    g_main_loop_run(a.main); /* until the core's last event */
    cl_client_join(a.c);
    drain(&a);
  }
  if (watch) g_bus_unwatch_name(watch);
  if (backup) g_source_remove(backup);
  g_source_remove(sig_int);
  g_source_remove(sig_term);
  bool started = a.c != NULL;
  cl_client_free(a.c);
  a.c = NULL;
  while (g_main_context_iteration(NULL, FALSE)) { /* the invokes queued before the end */
  }
  g_slist_free_full(a.shown, g_object_unref);
  g_hash_table_destroy(a.asked);
  g_main_loop_unref(a.main);
  if (a.notify_ok) notify_uninit();
  if (!started) return 1; /* said by cli_client_open */
  if (a.rc) {
    kt_err err;
    kt_err_set(&err, a.rc, "%s", a.msg);
    return cli_fail(&err);
  }
  return 0;
}

/* ---- the command table's entries ---- */
static const cli_opt agent_opts[] = {
    {"--verbose", NULL, N_("log what the agent does (also `kartoteka --verbose agent`)")},
    {0}};
const cli_cmd cli_entry_agent = {
    .name = "agent",
    .run = cli_cmd_agent,
    .usage = "agent [--verbose]",
    .summary = N_("stay connected in the background: live sync and your reminders as notifications"),
    .store = CLI_STORE_NONE,
    .opts = agent_opts,
};
