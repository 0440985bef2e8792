/* cli_status — `kartoteka status` and `kartoteka reindex`. */
#include <stdio.h>

#include "cli.h"

int cli_cmd_status(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("status", "no arguments expected");
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int64_t pending = 0;
  int rc = 0;
  if (cl_store_outbox_count(s, &pending, &err)) {
    rc = cli_fail(&err);
  } else if (ctx->json) {
    printf("{\"profile\": \"%s\", \"user\": \"%s\", \"device\": \"%s\", \"mode\": \"local\", "
           "\"online\": false, \"pending\": %lld}\n",
           ctx->profile, cl_store_user(s), cl_store_device(s), (long long)pending);
  } else {
    printf("profile:  %s\nuser:     %s\ndevice:   %s\nserver:   none (standalone)\n"
           "unsent:   %lld change%s\n",
           ctx->profile, cl_store_user(s), cl_store_device(s), (long long)pending,
           pending == 1 ? "" : "s");
  }
  cl_store_close(s);
  return rc;
}

int cli_cmd_reindex(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("reindex", "no arguments expected");
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_store_reindex(s, &err) ? cli_fail(&err) : 0;
  if (!rc) printf("search index rebuilt\n");
  cl_store_close(s);
  return rc;
}
