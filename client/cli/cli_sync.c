/* cli_sync — `kartoteka sync [--watch]`, `kartoteka conflicts`, and
 * `kartoteka dump` (the canonical dump support and tests compare). */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cl_client.h"
#include "cl_sync.h"
#include "cl_reader.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_log.h"
#include "kt_plat.h"
#include "kt_time.h"

/* What `sync` prints at the end: the totals, or why it failed. */
typedef struct sync_outcome {
  int rc;          /* 0 or the sync's KT_E* code (KT_EINVAL is -1: not a flag) */
  bool said;       /* the profile could not be opened: the error is printed */
  char msg[KT_ERR_MSG_MAX];
  int64_t pending;
  cl_sync_stats st;
} sync_outcome;

/* ---- sync --watch: on the client core, like the agent and the desktop app */

typedef struct watcher {
  uv_loop_t loop;
  uv_async_t wake; /* the core's wakeup hook */
  uv_signal_t sigint, sigterm;
  cl_client *c;
  sync_outcome *out;
  bool ended;
  bool stopping; /* a stop signal came */
} watcher;

static void on_core_wakeup(void *ud) { uv_async_send(&((watcher *)ud)->wake); }

static void take_totals(sync_outcome *o, const cl_client_event *ev) {
  const cl_client_sync_totals *t = &ev->sync.totals;
  o->pending = ev->sync.pending;
  o->st.pushed = t->pushed;
  o->st.superseded = t->superseded;
  o->st.rejected = t->rejected;
  o->st.undone = t->undone;
  o->st.dropped = t->dropped;
  o->st.pulled = t->pulled;
  o->st.revoked = t->revoked;
  o->st.rounds = t->rounds;
  o->st.warned = t->warned;
  snprintf(o->st.warning, sizeof o->st.warning, "%s", t->warning);
}

/* Drains the core's events: only the sync state matters here; sync stopping
 * by itself (a refusal) ends the watch with its error. */
static void on_events(uv_async_t *h) {
  watcher *w = h->data;
  cl_client_event *ev;
  while (cl_client_next_event(w->c, &ev)) {
    if (ev->kind == CL_EV_SYNC) {
      take_totals(w->out, ev);
      /* stopped for good by the server (refused, disabled, revoked); not when we
         asked it to stop (a signal), whatever the last offline cause was */
      if (ev->sync.status == CL_SYNC_STOPPED && ev->sync.code && !w->out->rc && !w->stopping) {
        w->out->rc = ev->sync.code;
        snprintf(w->out->msg, sizeof w->out->msg, "%s", ev->sync.error);
        cl_client_shutdown(w->c);
      }
      if (ev->sync.ended) w->ended = true;
    }
    cl_client_event_free(ev);
  }
  if (w->ended) uv_stop(&w->loop);
}

static void on_stop_signal(uv_signal_t *h, int sig) {
  (void)sig;
  watcher *w = h->data;
  w->stopping = true;
  if (w->c) cl_client_shutdown(w->c);
}

static void close_cb(uv_handle_t *h) { (void)h; }

static void close_left(uv_handle_t *h, void *arg) {
  (void)arg;
  kt_log_warn("sync", "a libuv handle (type %d) was still open at the end; closed", (int)h->type);
  if (!uv_is_closing(h)) uv_close(h, close_cb);
}

/* Closes the loop; a handle left open would keep its memory: closed first. */
static void loop_end(uv_loop_t *loop) {
  if (uv_loop_close(loop) == UV_EBUSY) {
    uv_walk(loop, close_left, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
  }
}

/* Returns 1 when the profile is standalone (the caller's one-shot sync says
 * why it cannot), else 0 with *o filled. */
static int watch_on_core(cli_ctx *ctx, sync_outcome *o) {
  watcher w;
  memset(&w, 0, sizeof w);
  w.out = o;
  uv_loop_init(&w.loop);
  uv_async_init(&w.loop, &w.wake, on_events);
  w.wake.data = &w;
  /* a stop signal is ours from the start: one that comes while the core opens
     ends the watch cleanly as soon as it is open */
  uv_signal_init(&w.loop, &w.sigint);
  uv_signal_init(&w.loop, &w.sigterm);
  w.sigint.data = w.sigterm.data = &w;
  uv_signal_start(&w.sigint, on_stop_signal, SIGINT);
  uv_signal_start(&w.sigterm, on_stop_signal, SIGTERM);
  cl_client_opts opts = {.sync = true, .wakeup = on_core_wakeup, .wakeup_ud = &w};
  w.c = cli_client_open(ctx, &opts);
  uv_run(&w.loop, UV_RUN_NOWAIT); /* a signal that came meanwhile */
  if (w.c && w.stopping) cl_client_shutdown(w.c);
  if (!w.c) {
    o->said = true; /* printed */
  } else if (!cl_client_connected(w.c)) {
    cl_client_free(w.c);
    w.c = NULL;
    uv_close((uv_handle_t *)&w.sigint, close_cb);
    uv_close((uv_handle_t *)&w.sigterm, close_cb);
    uv_close((uv_handle_t *)&w.wake, close_cb);
    uv_run(&w.loop, UV_RUN_DEFAULT);
    loop_end(&w.loop);
    return 1;
  } else {
    uv_run(&w.loop, UV_RUN_DEFAULT); /* until the core's last event */
    cl_client_join(w.c);
    on_events(&w.wake); /* anything after the stop */
    cl_client_free(w.c);
  }
  uv_close((uv_handle_t *)&w.sigint, close_cb);
  uv_close((uv_handle_t *)&w.sigterm, close_cb);
  uv_close((uv_handle_t *)&w.wake, close_cb);
  /* (a uv_stop from on_events makes the first run return at once: run until
     the closes are done) */
  while (uv_run(&w.loop, UV_RUN_DEFAULT) != 0) {
  }
  loop_end(&w.loop);
  return 0;
}

/* One round (`kartoteka sync`). */
static int sync_once(cli_ctx *ctx, sync_outcome *o) {
  cl_store *s = cli_store(ctx);
  if (!s) {
    o->said = true;
    return 1;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  kt_err err;
  kt_err_clear(&err);
  o->rc = cl_sync_run(&loop, ctx->profile, s, false, NULL, NULL, NULL, &o->st, &err);
  snprintf(o->msg, sizeof o->msg, "%s", err.msg);
  uv_loop_close(&loop);
  cl_store_outbox_count(s, &o->pending, NULL);
  return o->rc;
}

int cli_cmd_sync(cli_ctx *ctx, int argc, char **argv) {
  bool watch = false;
  cli_args words = cli_args_begin(&cli_entry_sync, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--watch") == 0) watch = true;
    else return cli_usage("sync", _("unknown option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  if (watch && !ctx->verbose) kt_log_set_plain(NULL); /* runs for long: a log with times */
  kt_plat_process_init(); /* SIGPIPE */
  sync_outcome o;
  memset(&o, 0, sizeof o);
  if (!watch || watch_on_core(ctx, &o) == 1) sync_once(ctx, &o);
  if (o.said) return 1; /* the profile could not be opened: said */
  const cl_sync_stats st = o.st;
  int rc = o.rc;
  int64_t pending = o.pending;
  if (rc && !o.msg[0]) /* every failure says what it was, even one that came without words */
    snprintf(o.msg, sizeof o.msg, "%s (%s)", kt_strerror(rc), kt_err_name(rc));
  if (rc == KT_EDISABLED) {
    fprintf(stderr, _("kartoteka: sync failed: %s\n(the card index on this PC was removed)\n"),
            o.msg);
    return 1;
  }
  if (rc) {
    fprintf(stderr, _("kartoteka: sync failed: %s\n(your changes are kept on this PC: %lld waiting "
                      "to be sent)\n"),
            o.msg, (long long)pending);
    return 1;
  }
  if (ctx->json)
    printf("{\"pushed\": %d, \"superseded\": %d, \"rejected\": %d, \"undone\": %d, "
           "\"dropped\": %d, \"warned\": %d, \"pulled\": %d, \"revoked\": %d, "
           "\"pending\": %lld}\n",
           st.pushed, st.superseded, st.rejected, st.undone, st.dropped, st.warned, st.pulled,
           st.revoked, (long long)pending);
  else {
    printf(ngettext("sent %d change, received %d", "sent %d changes, received %d",
                    (unsigned long)st.pushed),
           st.pushed, st.pulled);
    if (st.revoked)
      printf(ngettext(", removed %d card that is no longer yours to see",
                      ", removed %d cards that are no longer yours to see", (unsigned long)st.revoked),
             st.revoked);
    if (st.rejected) { /* each refusal was a warning on stderr as it came */
      printf(ngettext("; %d change refused by the server", "; %d changes refused by the server",
                      (unsigned long)st.rejected),
             st.rejected);
      printf("%s%s", st.undone ? _(", undone on this PC") : "", _(" (see above)"));
    }
    if (st.warned)
      printf(_("\nnote: %s%s"), st.warning,
             st.warned > 1 ? _(" (and more: see `kartoteka conflicts`)") : "");
    if (st.rejected > st.undone)
      printf(ngettext("\n%d refused change waits on this PC: see `kartoteka status`; fix the card "
                      "and sync again, or give the change up with `kartoteka outbox drop ID`",
                      "\n%d refused changes wait on this PC: see `kartoteka status`; fix the card "
                      "and sync again, or give the change up with `kartoteka outbox drop ID`",
                      (unsigned long)(st.rejected - st.undone)),
             st.rejected - st.undone);
    printf("\n");
  }
  return st.rejected ? 1 : 0;
}

/* The text of a record's field `name` as people read it ("" when unset). */
static void rec_field_text(cl_store *s, const cl_rec *r, const char *name, kt_buf *out) {
  kt_buf_reset(out);
  kt_mfield *f = kt_mtype_field(r->type, name);
  if (f) cli_value_text(s, f, &r->v[r->type->pos[f->vidx]], out);
}

typedef struct conflict_rows {
  cl_store *s;
  kt_table *t;
  int rc; /* KT_ENOMEM when a row could not be kept */
} conflict_rows;

/* One conflict as a row: when, the card (by its title when it is on this PC),
 * the field (by its label), the value that lost and who wrote it, the value kept. */
static int on_conflict(void *ud, const cl_rec *r) {
  conflict_rows *c = ud;
  enum { WHEN, RTYPE, RID, FIELD, VALUE, LOST_BY, WINNER, WON_BY, PVALUE, PWINNER, N };
  static const char *const names[N] = {"created", "rtype",  "rid",    "field",  "value",
                                       "lost_by", "winner", "won_by", "pvalue", "pwinner"};
  kt_buf v[N], card = KT_BUF_INIT;
  for (int i = 0; i < N; i++) {
    v[i] = (kt_buf)KT_BUF_INIT;
    rec_field_text(c->s, r, names[i], &v[i]);
  }
  /* a protected field's values come in fields of their own (absent: not this user's to see) */
  const kt_mfield *cf = kt_mtype_field(r->type, "cause"); /* by its code, not its label */
  const kt_value *cv = cf ? &r->v[r->type->pos[cf->vidx]] : NULL;
  bool dup = cv && cv->kind == KT_V_TEXT && strcmp(cv->s, "duplicate") == 0;
  bool prot = !dup && (v[PVALUE].len || v[PWINNER].len || (!v[VALUE].len && !v[WINNER].len));
  const char *lost = prot ? (v[PVALUE].len ? kt_buf_str(&v[PVALUE]) : "(protected)") : kt_buf_str(&v[VALUE]);
  const char *kept = prot ? (v[PWINNER].len ? kt_buf_str(&v[PWINNER]) : "(protected)") : kt_buf_str(&v[WINNER]);
  const char *field = kt_buf_str(&v[FIELD]);
  kt_mtype *t = kt_model_type(cl_store_model(c->s), kt_buf_str(&v[RTYPE]));
  kt_mfield *f = t ? kt_mtype_field(t, field) : NULL;
  if (f) field = kt_mfield_label(f);
  cl_rec *target = NULL;
  kt_err err;
  if (cl_store_get(c->s, kt_buf_str(&v[RID]), &target, &err) == 0) {
    kt_buf_printf(&card, "%s: ", kt_mtype_label(target->type));
    cl_rec_title(target, &card);
    cl_rec_free(target);
  } else {
    kt_buf_printf(&card, "%s %s", kt_buf_str(&v[RTYPE]), kt_buf_str(&v[RID]));
  }
  if (dup) { /* no values: the same phone, e-mail or tax id is on a colleague's client */
    lost = _("(a duplicate: a new card)");
    kept = _("(the colleague's client)");
  }
  const char *cells[] = {kt_buf_str(&v[WHEN]),   kt_buf_str(&card),     field,
                         lost,                   kt_buf_str(&v[LOST_BY]), kept,
                         kt_buf_str(&v[WON_BY]), cl_rec_id(r)};
  c->rc = kt_table_add(c->t, cells);
  for (int i = 0; i < N; i++) kt_buf_free(&v[i]);
  kt_buf_free(&card);
  return c->rc;
}

int cli_cmd_conflicts(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("conflicts", _("no arguments expected"));
  cl_reader *rd = cli_reader(ctx);
  if (!rd) return 1;
  cl_store *s = cl_reader_store(rd); /* read-only */
  cl_query q = {.type = "conflict", .sort = "created", .desc = true};
  kt_err err;
  kt_err_clear(&err);
  int rc = 0;
  if (ctx->json) { /* the conflict records themselves, as `list conflict --json` prints them */
    cli_list_out lo = {.ctx = ctx};
    rc = cli_list_finish(&lo, cl_store_list(s, &q, cli_list_cb, &lo, &err), &err);
    return rc;
  }
  static const kt_table_col cols[] = {
      {"created", N_("When"), false},   {"card", N_("Card"), false},         {"field", N_("Field"), false},
      {"value", N_("Lost value"), false}, {"lost_by", N_("Edited by"), false}, {"winner", N_("Kept value"), false},
      {"won_by", N_("Kept from"), false}, {"id", N_("Conflict"), false}};
  conflict_rows c = {s, cli_table_new(cols, 8), 0};
  if (!c.t || (!cl_store_list(s, &q, on_conflict, &c, &err) && c.rc)) rc = cli_failf("%s", _("out of memory"));
  else if (err.code) rc = cli_fail(&err);
  else if (!kt_table_rows(c.t)) fprintf(stderr, _("(no conflicts)\n"));
  else cli_table_print(c.t, false);
  kt_table_free(c.t);
  return rc;
}

int cli_cmd_dump(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("dump", _("no arguments expected"));
  cl_reader *rd = cli_reader(ctx);
  if (!rd) return 1;
  cl_store *s = cl_reader_store(rd); /* read-only */
  kt_buf out = KT_BUF_INIT;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_store_dump(s, &out, &err) ? cli_fail(&err) : 0;
  if (!rc) fwrite(kt_buf_str(&out), 1, out.len, stdout);
  kt_buf_free(&out);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt sync_opts[] = {
    {"--watch", NULL, N_("stay connected and keep syncing until interrupted")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_sync = {
    .name = "sync",
    .run = cli_cmd_sync,
    .usage = "sync [--watch] [--json]",
    .summary = N_("send this PC's changes to the office server and receive the others'"),
    .store = CLI_STORE_WRITE,
    .opts = sync_opts,
};

static const cli_opt conflicts_opts[] = {
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_conflicts = {
    .name = "conflicts",
    .run = cli_cmd_conflicts,
    .usage = "conflicts [--json]",
    .summary = N_("edits that lost to a colleague's simultaneous edit of the same field"),
    .store = CLI_STORE_READ,
    .opts = conflicts_opts,
};

const cli_cmd cli_entry_dump = {
    .name = "dump",
    .run = cli_cmd_dump,
    .usage = "dump",
    .summary = N_("canonical dump of the card index (for support)"),
    .store = CLI_STORE_READ,
};
