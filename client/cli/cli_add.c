/* cli_add — `kartoteka add TYPE --set FIELD=VALUE ...`: prints the new id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_remote.h"
#include "cli.h"
#include "cli_cmd.h"

/* Collects --set FIELD=VALUE (also FIELD=VALUE bare words and "-s FIELD=VALUE")
 * from argv[2..] with the one parser; --force (add only) sets *force.
 * Returns how many, or -1 after a usage error. */
static int collect_sets(cli_ctx *ctx, int argc, char **argv, cl_set *sets, bool *force) {
  const char *cmd = ctx->cmd->name;
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  words.i = 2;
  const char *opt;
  char *w;
  int n = 0, more;
  while ((more = cli_args_next(&words, &opt, &w)) == 1) {
    if (opt && strcmp(opt, "--force") == 0) {
      *force = true;
      continue;
    }
    if (!opt && strcmp(w, "-s") == 0) {
      if (words.i >= argc) return cli_usage(cmd, _("--set needs FIELD=VALUE")), -1;
      w = argv[words.i++];
    } else if ((!opt && w[0] == '-') || (opt && strcmp(opt, "--set") != 0)) {
      return cli_usage(cmd, _("unknown option '%s'"), opt ? opt : w), -1;
    }
    if (cli_parse_assign(cmd, w, &sets[n]) < 0) return -1;
    n++;
  }
  return more ? -1 : n;
}

/* The duplicate claim check before a new client card: 0 go on, 1 refused. */
static int claim_gate(cli_ctx *ctx, cl_store *s, const char *type, const cl_set *sets, int n) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  cl_claim cl;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_claim_check(&loop, ctx->profile, s, type, sets, n, &cl, &err);
  uv_loop_close(&loop);
  if (rc) return cli_fail(&err);
  /* a standalone card index has no server to ask: nothing to note */
  if (cl.offline[0] && !cl.exists && cl_store_connected(s))
    fprintf(stderr, _("kartoteka: note: could not ask the server whether this client already "
            "exists (%s); only the cards on this PC were checked\n"), cl.offline);
  if (!cl.exists) return 0;
  if (strcmp(cl.owner, cl_store_user(s)) == 0) {
    if (cl.on_server)
      fprintf(stderr, _("kartoteka: a client with this %s (%s) already exists and is yours; "
                        "nothing was added. Find it with `kartoteka search '%s'`, or add it "
                        "anyway with --force\n"),
              cl.what, cl.value, cl.value);
    else
      fprintf(stderr, _("kartoteka: a client with this %s (%s) already exists (on this PC) and is "
                        "yours; nothing was added. Find it with `kartoteka search '%s'`, or add "
                        "it anyway with --force\n"),
              cl.what, cl.value, cl.value);
    return 1;
  }
  if (cl.owner[0] && cl.on_server)
    fprintf(stderr, _("kartoteka: a client with this %s (%s) already exists, assigned to %s; "
                      "nothing was added."),
            cl.what, cl.value, cl.owner);
  else if (cl.owner[0])
    fprintf(stderr, _("kartoteka: a client with this %s (%s) already exists, assigned to %s (on "
                      "this PC); nothing was added."),
            cl.what, cl.value, cl.owner);
  else if (cl.on_server)
    fprintf(stderr, _("kartoteka: a client with this %s (%s) already exists; nothing was added."),
            cl.what, cl.value);
  else
    fprintf(stderr, _("kartoteka: a client with this %s (%s) already exists (on this PC); nothing "
                      "was added."),
            cl.what, cl.value);
  fprintf(stderr, " %s\n", _("A client card has one manager: if you are to work with it, ask a head "
                             "of sales to hand it over to you; or add it anyway with --force"));
  return 1;
}

int cli_cmd_add(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage("add", _("which type? one of org contact task event note link deal group"));
  bool force = false;
  cl_set *sets = calloc((size_t)argc, sizeof *sets);
  if (!sets) return cli_failf("%s", _("out of memory"));
  int n = collect_sets(ctx, argc, argv, sets, &force);
  int rc = 2;
  if (n < 0) goto out;
  if (n == 0) {
    rc = cli_usage("add", _("give the card's fields with --set FIELD=VALUE"));
    goto out;
  }
  cl_store *s = cli_store(ctx);
  rc = 1;
  if (!s) goto out;
  char id[KT_UUID_STRLEN + 1];
  kt_err err;
  kt_err_clear(&err);
  if (!force && (rc = claim_gate(ctx, s, argv[1], sets, n))) {
    goto out;
  }
  if (cl_store_add(s, argv[1], sets, n, id, &err)) {
    rc = cli_fail(&err);
  } else {
    if (ctx->json) cli_print_json_pairs("id", id, "kind", argv[1], NULL);
    else printf("%s\n", id);
    rc = 0;
  }
out:
  free(sets);
  return rc;
}

int cli_cmd_edit(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage("edit", _("which card? give its id"));
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *opt;
  char *val;
  while (cli_args_next(&words, &opt, &val) == 1) /* edit TYPE --where ...: many cards (cli_mass.c) */
    if (opt && (strcmp(opt, "--where") == 0 || strcmp(opt, "--dry-run") == 0))
      return cli_cmd_mass_edit(ctx, argc, argv);
  bool force = false; /* edit has no --force: the parser refuses it */
  cl_set *sets = calloc((size_t)argc, sizeof *sets);
  if (!sets) return cli_failf("%s", _("out of memory"));
  int n = collect_sets(ctx, argc, argv, sets, &force);
  int rc = 2;
  if (n < 0) goto out;
  if (n == 0) {
    rc = cli_usage("edit", _("give the fields to change with --set FIELD=VALUE"));
    goto out;
  }
  cl_store *s = cli_store(ctx);
  rc = 1;
  if (!s) goto out;
  kt_err err;
  kt_err_clear(&err);
  int changed = 0;
  if (cl_store_edit(s, argv[1], sets, n, &changed, &err)) {
    rc = cli_fail(&err);
  } else {
    if (ctx->json) printf("{\"id\": \"%s\", \"changed\": %d}\n", argv[1], changed);
    else if (!changed) printf("%s\n", _("nothing changed"));
    else printf(ngettext("%d field changed\n", "%d fields changed\n", (unsigned long)changed), changed);
    rc = 0;
  }
out:
  free(sets);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt add_opts[] = {
    {"--set", "FIELD=VALUE", N_("a field of the new card (repeatable; also --set=FIELD=VALUE)")},
    {"--force", NULL, N_("add it even when it looks like a duplicate of a client you have")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_add = {
    .name = "add",
    .run = cli_cmd_add,
    .usage = "add TYPE --set FIELD=VALUE ... [--force] [--json]",
    .summary = N_("add a card; prints its id"),
    .store = CLI_STORE_WRITE,
    .opts = add_opts,
};

static const cli_opt edit_opts[] = {
    {"--set", "FIELD=VALUE", N_("the new value of a field (repeatable; empty clears it)")},
    {"--where", "FIELD=VALUE", N_("change every card of TYPE that matches (repeatable)")},
    {"--dry-run", NULL, N_("show what would change, change nothing")},
    {"--sort", "FIELD", N_("with --where: the order the cards are changed in")},
    {"--desc", NULL, N_("with --where: in descending order")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_edit = {
    .name = "edit",
    .run = cli_cmd_edit,
    .usage = "edit ID --set FIELD=VALUE ... · edit TYPE --where FIELD=VALUE ... --set FIELD=VALUE ... "
     "[--sort FIELD] [--desc] [--dry-run] [--json]",
    .summary = N_("change fields of a card, or of every card that matches (needs the mass_update right)"),
    .store = CLI_STORE_WRITE,
    .opts = edit_opts,
};
