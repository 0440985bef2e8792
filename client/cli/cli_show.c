/* cli_show — `kartoteka show ID [--json]`: a card and its related cards;
 * `--timeline [--oldest-first]`: its story in date order (cli_timeline.c). */
#include <stdio.h>
#include <string.h>

#include "cl_reader.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_json.h"

typedef struct rel_ctx {
  const cli_ctx *ctx;
  kt_buf *json;
  int count;
  const char *last_type;
} rel_ctx;

static int on_related(void *ud, const cl_rec *r) {
  rel_ctx *c = ud;
  c->count++;
  if (c->ctx->json) {
    if (c->count > 1) kt_buf_putc(c->json, ',');
    cli_print_rec_json(c->json, r, false);
    return 0;
  }
  if (!c->last_type || strcmp(c->last_type, r->type->def->name) != 0) {
    printf("\n%s:\n", kt_mtype_label(r->type));
    c->last_type = r->type->def->name;
  }
  kt_buf t = KT_BUF_INIT;
  cl_rec_title(r, &t);
  printf("  %s  %s\n", cl_rec_id(r), kt_buf_str(&t));
  kt_buf_free(&t);
  return 0;
}

int cli_cmd_show(cli_ctx *ctx, int argc, char **argv) {
  const char *id = NULL;
  bool timeline = false, oldest = false;
  cli_args words = cli_args_begin(&cli_entry_show, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--timeline") == 0) timeline = true;
    else if (opt && strcmp(opt, "--oldest-first") == 0) oldest = true;
    else if (opt) return cli_usage("show", _("unknown option '%s'"), opt);
    else if (val[0] == '-') return cli_usage("show", _("unknown option '%s'"), val);
    else if (id) return cli_usage("show", _("give exactly one card id"));
    else id = val;
  }
  if (more) return more;
  if (!id) return cli_usage("show", _("give exactly one card id"));
  if (oldest && !timeline) return cli_usage("show", _("--oldest-first goes with --timeline"));
  cl_reader *rd = cli_reader(ctx);
  if (!rd) return 1;
  cl_store *s = cl_reader_store(rd); /* read-only, for the output helpers */
  kt_err err;
  kt_err_clear(&err);
  cl_rec *r = NULL;
  int rc = cl_reader_get(rd, id, &r, &err);
  if (rc) {
    return cli_fail(&err);
  }
  if (timeline) {
    rc = cli_show_timeline(ctx, s, r, oldest);
    cl_rec_free(r);
    return rc;
  }
  kt_buf out = KT_BUF_INIT, rel = KT_BUF_INIT;
  rel_ctx c = {ctx, &rel, 0, NULL};
  if (ctx->json) {
    cli_print_rec_json(&out, r, false);
    out.len--; /* reopen the object to add "sales" and "related" */
    kt_buf sales = KT_BUF_INIT;
    cli_report_card(s, r, &sales);
    if (sales.len) kt_buf_printf(&out, ", \"sales\": %s", kt_buf_str(&sales));
    kt_buf_free(&sales);
    kt_buf_puts(&out, ", \"related\": [");
  } else {
    cli_print_rec_human(s, r, true);
    cli_report_card(s, r, NULL);
  }
  rc = cl_reader_related(rd, r, on_related, &c, &err);
  if (rc) rc = cli_fail(&err);
  else if (ctx->json) printf("%s%s]}\n", kt_buf_str(&out), kt_buf_str(&rel));
  kt_buf_free(&out);
  kt_buf_free(&rel);
  cl_rec_free(r);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt show_opts[] = {
    {"--timeline", NULL, N_("the card's events, tasks, deals and notes by date")},
    {"--oldest-first", NULL, N_("the timeline from its oldest entry")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_show = {
    .name = "show",
    .run = cli_cmd_show,
    .usage = "show ID [--json] · show ID --timeline [--oldest-first] [--json]",
    .summary = N_("show a card with its related cards; --timeline: its events, tasks, deals, notes by date"),
    .store = CLI_STORE_READ,
    .opts = show_opts,
};
