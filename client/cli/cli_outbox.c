/* cli_outbox — `kartoteka outbox list [--json]` (the unsent changes and what
 * the server said about them) and `kartoteka outbox drop ID|--all-refused`
 * (give a change up: the card goes back to the server's copy). Also the
 * refused-changes part of `kartoteka status`. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cl_outbox.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_json.h"

/* "new", "delete", or "edit" with the names of the fields it changes. */
static void change_text(const cl_outbox_entry *e, bool names, kt_buf *out) {
  if (e->isnew) {
    kt_buf_puts(out, "new");
    return;
  }
  if (e->deletes) {
    kt_buf_puts(out, "delete");
    return;
  }
  kt_buf_puts(out, "edit");
  if (!names) return;
  const kt_mtype *t = e->rec->type;
  int n = 0;
  for (int k = 0; k < t->nfields; k++) {
    const kt_mfield *f = &t->fields[k];
    if (!kt_fset_has(e->fields, f->vidx) || f->vidx == KT_F_UPDATED) continue;
    kt_buf_printf(out, "%s%s", n++ ? ", " : " of ", f->name);
  }
}

static const char *state_name(const cl_outbox_entry *e) {
  return e->hold == 1 ? "parked" : e->hold == 2 ? "dropping" : e->refused ? "refused" : "waiting";
}

void cli_outbox_entry_json(kt_json *j, const cl_outbox_entry *e) {
  kt_buf ch = KT_BUF_INIT;
  change_text(e, false, &ch);
  kt_json_obj_begin(j);
  kt_json_key(j, "id");
  kt_json_str(j, e->id);
  kt_json_key(j, "type");
  kt_json_str(j, e->type);
  kt_json_key(j, "title");
  kt_json_str(j, e->title);
  kt_json_key(j, "change");
  kt_json_str(j, kt_buf_str(&ch));
  kt_json_key(j, "fields");
  kt_json_arr_begin(j);
  for (int k = 0; k < e->rec->type->nfields; k++) {
    const kt_mfield *f = &e->rec->type->fields[k];
    if (kt_fset_has(e->fields, f->vidx) && f->vidx != KT_F_UPDATED) kt_json_str(j, f->name);
  }
  kt_json_arr_end(j);
  kt_json_key(j, "state");
  kt_json_str(j, state_name(e));
  kt_json_key(j, "refused");
  kt_json_str(j, e->refused); /* null when not refused */
  if (e->refused) {
    kt_json_key(j, "code");
    kt_json_int(j, e->refused_code);
  }
  kt_json_obj_end(j);
  kt_buf_free(&ch);
}

void cli_outbox_entry_human(const cl_outbox_entry *e, const char *indent) {
  kt_buf ch = KT_BUF_INIT;
  change_text(e, true, &ch);
  printf("%s%s  %-8s %s%s%s%s\n", indent, e->id, e->type, e->title[0] ? "\"" : "", e->title,
         e->title[0] ? "\" " : "", kt_buf_str(&ch));
  if (e->hold == 2)
    printf(_("%s  deleted since: the next sync sets it back to the server's copy and sends the "
           "deletion\n"), indent);
  else if (e->refused)
    printf(_("%s  refused by the server: %s\n"), indent, e->refused);
  kt_buf_free(&ch);
}

typedef struct list_ctx {
  const cli_ctx *ctx;
  kt_json j;
  int n;
} list_ctx;

static int on_entry(void *ud, const cl_outbox_entry *e) {
  list_ctx *l = ud;
  l->n++;
  if (l->ctx->json) cli_outbox_entry_json(&l->j, e);
  else cli_outbox_entry_human(e, "");
  return 0;
}

static int outbox_list(cli_ctx *ctx, cl_store *s) {
  kt_buf out = KT_BUF_INIT;
  list_ctx l = {.ctx = ctx};
  kt_json_init(&l.j, &out, true);
  if (ctx->json) kt_json_arr_begin(&l.j);
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_outbox_list(s, false, on_entry, &l, &err);
  if (ctx->json) kt_json_arr_end(&l.j);
  if (rc) rc = cli_fail(&err);
  else if (ctx->json) printf("%s\n", kt_buf_str(&out));
  else if (!l.n) printf(_("nothing waits to be sent\n"));
  kt_buf_free(&out);
  return rc;
}

static int outbox_drop(cli_ctx *ctx, cl_store *s, const char *id) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  cl_drop_result res;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_outbox_drop(&loop, ctx->profile, s, id, &res, &err);
  uv_loop_close(&loop);
  if (rc) return cli_fail(&err);
  if (ctx->json) {
    printf("{\"reset\": %zu, \"removed\": %zu}\n", res.reset, res.removed);
    return 0;
  }
  if (res.reset)
    printf(ngettext("dropped %zu change: the card is set back to the server's copy\n",
                    "dropped %zu changes: the cards are set back to the server's copy\n", res.reset),
           res.reset);
  if (res.removed)
    printf(ngettext("dropped %zu new card the server never accepted: removed from this PC\n",
                    "dropped %zu new cards the server never accepted: removed from this PC\n",
                    res.removed),
           res.removed);
  return 0;
}

static int outbox_list_run(cli_ctx *ctx, int argc, char **argv) {
  if (argc > 1) return cli_usage("outbox", _("unknown option '%s'"), argv[1]);
  cl_store *s = cli_store(ctx);
  return s ? outbox_list(ctx, s) : 1;
}

static int outbox_drop_run(cli_ctx *ctx, int argc, char **argv) {
  const char *id = NULL;
  bool all = false;
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--all-refused") == 0) all = true;
    else if (opt || val[0] == '-') return cli_usage("outbox", _("unknown option '%s'"), opt ? opt : val);
    else if (id) return cli_usage("outbox", _("give one card id (or --all-refused)"));
    else id = val;
  }
  if (more) return more;
  if (!id == !all) return cli_usage("outbox", _("give the card id of the change, or --all-refused"));
  cl_store *s = cli_store(ctx);
  return s ? outbox_drop(ctx, s, id) : 1;
}

/* ---- the command table's entries ---- */
static const cli_opt list_opts[] = {
    CLI_OPT_JSON, {0}};
static const cli_opt drop_opts[] = {
    {"--all-refused", NULL, N_("drop every change the server refused")},
    CLI_OPT_JSON,
    {0}};
static const cli_cmd outbox_list_entry = {
    .name = "outbox list",
    .run = outbox_list_run,
    .usage = "outbox list [--json]",
    .summary = N_("the changes waiting to be sent, and those the server refused"),
    .store = CLI_STORE_READ,
    .opts = list_opts,
};
static const cli_cmd outbox_drop_entry = {
    .name = "outbox drop",
    .run = outbox_drop_run,
    .usage = "outbox drop ID|--all-refused [--json]",
    .summary = N_("drop a change (the card goes back to the server's copy)"),
    .store = CLI_STORE_WRITE,
    .opts = drop_opts,
};
static const cli_cmd *const outbox_subs[] = {&outbox_list_entry, &outbox_drop_entry, NULL};
const cli_cmd cli_entry_outbox = {
    .name = "outbox",
    .summary = N_("the changes waiting to be sent; drop one (the card goes back to the server's copy)"),
    .store = CLI_STORE_NONE,
    .subs = outbox_subs,
};
