/* cli_trash — `kartoteka delete ID` (to the trash) and `restore ID`. */
#include <stdio.h>

#include "cli.h"
#include "cli_cmd.h"

static int trash(cli_ctx *ctx, int argc, char **argv, bool del) {
  const char *cmd = del ? "delete" : "restore";
  if (argc != 2) return cli_usage(cmd, _("give exactly one card id"));
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc = del ? cl_store_delete(s, argv[1], &err) : cl_store_restore(s, argv[1], &err);
  if (rc) rc = cli_fail(&err);
  else if (ctx->json) printf("{\"id\": \"%s\", \"deleted\": %s}\n", argv[1], del ? "true" : "false");
  else if (del) printf(_("moved to the trash (restore with `kartoteka restore %s`)\n"), argv[1]);
  else printf(_("restored %s\n"), argv[1]);
  return rc;
}

int cli_cmd_delete(cli_ctx *ctx, int argc, char **argv) { return trash(ctx, argc, argv, true); }
int cli_cmd_restore(cli_ctx *ctx, int argc, char **argv) { return trash(ctx, argc, argv, false); }

/* ---- the command table's entries ---- */
const cli_cmd cli_entry_delete = {
    .name = "delete",
    .run = cli_cmd_delete,
    .usage = "delete ID",
    .summary = N_("move a card to the trash"),
    .store = CLI_STORE_WRITE,
};

const cli_cmd cli_entry_restore = {
    .name = "restore",
    .run = cli_cmd_restore,
    .usage = "restore ID",
    .summary = N_("bring a card back from the trash"),
    .store = CLI_STORE_WRITE,
};
