/* cli_status — `kartoteka status` and `kartoteka reindex`. */
#include <stdio.h>

#include <string.h>
#include <uv.h>

#include "cl_outbox.h"
#include "cl_session.h"
#include "kt_json.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_json.h"

/* The changes the server refused at the last sync. */
typedef struct refused_ctx {
  kt_json *j; /* --json: written here */
  int n;
} refused_ctx;

static int on_refused(void *ud, const cl_outbox_entry *e) {
  refused_ctx *r = ud;
  if (!e->refused || e->hold) return 0;
  r->n++;
  if (r->j) cli_outbox_entry_json(r->j, e);
  return 0;
}

static int on_refused_human(void *ud, const cl_outbox_entry *e) {
  if (e->refused && !e->hold) cli_outbox_entry_human(e, "  ");
  return 0;
}

int cli_cmd_status(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("status", _("no arguments expected"));
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int64_t pending = 0;
  int rc = 0;
  kt_buf server = KT_BUF_INIT, last = KT_BUF_INIT, role = KT_BUF_INIT, dname = KT_BUF_INIT;
  kt_buf out = KT_BUF_INIT;
  bool connected = cl_store_meta_get(s, "server", &server, NULL) == 0;
  cl_store_meta_get(s, "device_name", &dname, NULL); /* given at `connect` (profiles since issue 13) */
  cl_store_meta_get(s, "last_sync", &last, NULL);
  /* online = the server answers and accepts this device's session now */
  bool online = false;
  char why[KT_ERR_MSG_MAX] = "";
  /* the session records what the server answers (epoch, role, rights): the
     one write of `status`, on a read-write connection of its own */
  cl_store *w = connected ? cli_open(ctx, false) : NULL;
  if (w) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    cl_conn *c = NULL;
    kt_err e2;
    kt_err_clear(&e2);
    online = cl_session_open(&loop, ctx->profile, w, NULL, NULL, NULL, 3000, &c, &e2) == 0;
    if (!online) snprintf(why, sizeof why, "%s", e2.msg);
    cl_conn_free(c);
    uv_loop_close(&loop);
    cl_store_close(w);
  }
  cl_store_meta_get(s, "role", &role, NULL); /* after the session: it refreshes the role */
  kt_json j;
  kt_json_init(&j, &out, true); /* (one key per line, "key": value, like before) */
  refused_ctx rf = {ctx->json ? &j : NULL, 0};
  if (ctx->json) {
    kt_json_obj_begin(&j);
    kt_json_key(&j, "refused");
    kt_json_arr_begin(&j);
  }
  if (cl_store_outbox_count(s, &pending, &err) || cl_outbox_list(s, false, on_refused, &rf, &err)) {
    rc = cli_fail(&err);
  } else if (ctx->json) {
    kt_json_arr_end(&j);
    const struct {
      const char *k, *v;
    } str[] = {{"profile", ctx->profile},       {"user", cl_store_user(s)},
               {"device", cl_store_device(s)},  {"device_name", kt_buf_str(&dname)},
               {"mode", connected ? "server" : "local"},
               {"server", kt_buf_str(&server)}, {"last_sync", kt_buf_str(&last)},
               {"role", kt_buf_str(&role)}};
    for (size_t i = 0; i < sizeof str / sizeof str[0]; i++) {
      kt_json_key(&j, str[i].k);
      kt_json_str(&j, str[i].v);
    }
    kt_json_key(&j, "online");
    kt_json_bool(&j, online);
    kt_json_key(&j, "pending");
    kt_json_int(&j, pending);
    if (!online && why[0]) {
      kt_json_key(&j, "offline_reason");
      kt_json_str(&j, why);
    }
    kt_json_obj_end(&j);
    printf("%s\n", kt_buf_str(&out));
  } else {
    printf(_("profile:  %s\nuser:     %s\nserver:   %s\n"), ctx->profile, cl_store_user(s),
           connected ? kt_buf_str(&server) : _("none (standalone)"));
    printf(ngettext("unsent:   %lld change\n", "unsent:   %lld changes\n", (unsigned long)pending),
           (long long)pending);
    if (rf.n) {
      printf(ngettext("refused:  %d change the server refused at the last sync; fix the card "
                      "(`kartoteka edit ID`) and sync, or give the change up (`kartoteka outbox "
                      "drop ID`):\n",
                      "refused:  %d changes the server refused at the last sync; fix the card "
                      "(`kartoteka edit ID`) and sync, or give the change up (`kartoteka outbox "
                      "drop ID`):\n",
                      (unsigned long)rf.n),
             rf.n);
      cl_outbox_list(s, false, on_refused_human, NULL, NULL);
    }
    if (connected) {
      /* the PC by the name it enrolled with (its id is in --json and `admin device list`) */
      printf(_("this PC:  %s\n"), dname.len ? kt_buf_str(&dname) : cl_store_device(s));
      if (role.len) printf(_("role:     %s\n"), kt_buf_str(&role));
      printf(_("synced:   %s\n"), last.len ? kt_buf_str(&last) : _("never"));
      printf(_("status:   %s%s%s\n"), online ? _("online") : _("offline"), why[0] ? " — " : "", why);
    }
  }
  kt_buf_free(&server);
  kt_buf_free(&last);
  kt_buf_free(&role);
  kt_buf_free(&dname);
  kt_buf_free(&out);
  return rc;
}

int cli_cmd_reindex(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("reindex", _("no arguments expected"));
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_store_reindex(s, &err) ? cli_fail(&err) : 0;
  if (!rc) printf(_("search index rebuilt\n"));
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt status_opts[] = {
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_status = {
    .name = "status",
    .run = cli_cmd_status,
    .usage = "status [--json]",
    .summary = N_("profile, user, unsent changes and those the server refused"),
    .store = CLI_STORE_READ,
    .opts = status_opts,
};

const cli_cmd cli_entry_reindex = {
    .name = "reindex",
    .run = cli_cmd_reindex,
    .usage = "reindex",
    .summary = N_("rebuild the search index"),
    .store = CLI_STORE_WRITE,
};
