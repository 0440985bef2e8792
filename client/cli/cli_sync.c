/* cli_sync — `kartoteka sync [--watch]`, `kartoteka conflicts`, and
 * `kartoteka dump` (the canonical dump support and tests compare). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cl_sync.h"
#include "cli.h"
#include "kt_time.h"

static volatile bool stop_flag;

static void on_signal(int sig) {
  (void)sig;
  stop_flag = true;
}

int cli_cmd_sync(cli_ctx *ctx, int argc, char **argv) {
  bool watch = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--watch") == 0) watch = true;
    else return cli_usage("sync", "unknown option '%s'", argv[i]);
  }
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  uv_loop_t loop;
  uv_loop_init(&loop);
  cl_sync_stats st;
  memset(&st, 0, sizeof st);
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_sync_run(&loop, ctx->profile, s, watch, &stop_flag, NULL, NULL, &st, &err);
  uv_loop_close(&loop);
  int64_t pending = 0;
  cl_store_outbox_count(s, &pending, NULL);
  cl_store_close(s);
  if (rc == KT_EDISABLED) {
    fprintf(stderr, "kartoteka: sync failed: %s\n(the card index on this PC was removed)\n",
            err.msg);
    return 1;
  }
  if (rc) {
    fprintf(stderr, "kartoteka: sync failed: %s\n(your changes are kept on this PC: %lld waiting "
            "to be sent)\n", err.msg, (long long)pending);
    return 1;
  }
  if (ctx->json)
    printf("{\"pushed\": %d, \"superseded\": %d, \"rejected\": %d, \"undone\": %d, "
           "\"dropped\": %d, \"warned\": %d, \"pulled\": %d, \"revoked\": %d, "
           "\"pending\": %lld}\n",
           st.pushed, st.superseded, st.rejected, st.undone, st.dropped, st.warned, st.pulled,
           st.revoked, (long long)pending);
  else {
    printf("sent %d change%s, received %d", st.pushed, st.pushed == 1 ? "" : "s", st.pulled);
    if (st.revoked)
      printf(", removed %d card%s that %s no longer yours to see", st.revoked,
             st.revoked == 1 ? "" : "s", st.revoked == 1 ? "is" : "are");
    if (st.rejected)
      printf("; refused by the server: %s%s", st.last_reject,
             st.undone ? " (your change was undone)" : "");
    if (st.warned)
      printf("\nnote: %s%s", st.warning,
             st.warned > 1 ? " (and more: see `kartoteka conflicts`)" : "");
    if (st.rejected > st.undone)
      printf("\n%d refused change%s wait%s on this PC: see `kartoteka status`; fix the card and "
             "sync again, or give the change up with `kartoteka outbox drop ID`",
             st.rejected - st.undone, st.rejected - st.undone == 1 ? "" : "s",
             st.rejected - st.undone == 1 ? "s" : "");
    printf("\n");
  }
  return st.rejected ? 1 : 0;
}

/* One conflict record as a line: when, the card (its title when this PC has
 * it), the field, and what happened. */
typedef struct conflict_out {
  cl_store *s;
  int n;
} conflict_out;

static const char *text_of(const cl_rec *r, const char *field) {
  const kt_mfield *f = kt_mtype_field(r->type, field);
  const kt_value *v = f ? &r->v[r->type->pos[f->vidx]] : NULL;
  return v && v->kind == KT_V_TEXT ? v->s : "";
}

static int on_conflict(void *ud, const cl_rec *r) {
  conflict_out *o = ud;
  o->n++;
  char when[40] = "";
  if (r->v[KT_F_CREATED].kind == KT_V_INT)
    kt_datetime_format(r->v[KT_F_CREATED].i, false, when, sizeof when);
  kt_buf title = KT_BUF_INIT;
  cl_rec *card = NULL;
  if (cl_store_get(o->s, text_of(r, "rid"), &card, NULL) == 0) cl_rec_title(card, &title);
  else kt_buf_puts(&title, text_of(r, "rid"));
  cl_rec_free(card);
  const char *lost_by = text_of(r, "lost_by"), *won_by = text_of(r, "won_by");
  printf("%s  %s \"%s\" %s: ", when, text_of(r, "rtype"), kt_buf_str(&title), text_of(r, "field"));
  if (strcmp(text_of(r, "kind"), "duplicate") == 0)
    printf("the same on a client of %s and on a new card of %s (a duplicate: share the client, "
           "or ask a head of sales to merge them)\n", won_by[0] ? won_by : "nobody",
           lost_by[0] ? lost_by : "somebody");
  else
    printf("\"%s\" by %s lost to \"%s\" by %s\n", text_of(r, "value"),
           lost_by[0] ? lost_by : "somebody", text_of(r, "winner"), won_by[0] ? won_by : "somebody");
  kt_buf_free(&title);
  return 0;
}

int cli_cmd_conflicts(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("conflicts", "no arguments expected");
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  cli_list_out lo = {.ctx = ctx};
  conflict_out co = {s, 0};
  cl_query q = {.type = "conflict", .sort = "created", .desc = true};
  kt_err err;
  kt_err_clear(&err);
  int rc = 0;
  if (cl_store_list(s, &q, ctx->json ? cli_list_cb : on_conflict, ctx->json ? (void *)&lo : &co,
                    &err)) {
    kt_buf_free(&lo.json);
    rc = cli_fail(&err);
  } else if (ctx->json) {
    cli_list_finish(&lo);
  } else if (!co.n) {
    printf("no conflicts\n");
  }
  cl_store_close(s);
  return rc;
}

int cli_cmd_dump(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("dump", "no arguments expected");
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  kt_buf out = KT_BUF_INIT;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_store_dump(s, &out, &err) ? cli_fail(&err) : 0;
  if (!rc) fwrite(kt_buf_str(&out), 1, out.len, stdout);
  kt_buf_free(&out);
  cl_store_close(s);
  return rc;
}

