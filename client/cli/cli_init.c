/* cli_init — `kartoteka init --local [--user NAME]`: a standalone card index. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kt_plat.h"


int cli_cmd_init(cli_ctx *ctx, int argc, char **argv) {
  bool local = false;
  const char *user = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--local") == 0) local = true;
    else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) user = argv[++i];
    else return cli_usage("init", "unknown option '%s'", argv[i]);
  }
  if (!local)
    return cli_usage("init", "say --local for a standalone card index; to join an office server "
                     "use `kartoteka connect --invite INVITE`");
  char login[256];
  if (!user) {
    kt_plat_user_name(login, sizeof login);
    user = login;
  }
  if (kt_plat_mkdir_private(ctx->profile, true))
    return cli_failf("cannot create the profile folder %s: %s", ctx->profile, strerror(errno));
  char path[4200];
  cli_db_path(ctx, path, sizeof path);
  kt_err err;
  kt_err_clear(&err);
  if (cl_store_create(path, user, "local", NULL, &err)) {
    if (err.code == KT_EEXISTS)
      return cli_failf("a card index already exists in %s; nothing was changed (use another "
                       "--profile for a new one)", ctx->profile);
    return cli_fail(&err);
  }
  if (ctx->json) cli_print_json_pairs("profile", ctx->profile, "user", user, NULL);
  else printf("Created a standalone card index in %s for user %s.\n", ctx->profile, user);
  return 0;
}
