/* cli_import — `kartoteka import csv FILE --type TYPE [--map COL=FIELD ...]
 * [--encoding E] [--dry-run]`: all rows or none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "cl_import.h"
#include "cl_remote.h"
#include "cli.h"

static void on_skip(void *ud, int line, const cl_claim *cl) {
  int *n = ud;
  (*n)++;
  fprintf(stderr, "line %d skipped: a client with this %s (%s) already exists%s%s%s\n", line,
          cl->what, cl->value, cl->owner[0] ? ", assigned to " : "", cl->owner,
          cl->on_server ? "" : " (on this PC)");
}

int cli_cmd_import(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 3) return cli_usage("import", "give the format and the file");
  if (strcmp(argv[1], "csv") != 0)
    return cli_usage("import", "unsupported format '%s' (supported: csv)", argv[1]);
  const char *file = argv[2], *type = NULL, *enc = NULL;
  bool dry = false, force = false;
  cl_colmap *map = calloc((size_t)argc, sizeof *map);
  int nmap = 0, rc = 2;
  if (!map) return cli_failf("out of memory");
  for (int i = 3; i < argc; i++) {
    bool has = i + 1 < argc;
    if (strcmp(argv[i], "--type") == 0 && has) type = argv[++i];
    else if (strcmp(argv[i], "--encoding") == 0 && has) enc = argv[++i];
    else if (strcmp(argv[i], "--dry-run") == 0) dry = true;
    else if (strcmp(argv[i], "--force") == 0) force = true;
    else if (strcmp(argv[i], "--map") == 0 && has) {
      char *eq = strchr(argv[++i], '=');
      if (!eq) {
        rc = cli_usage("import", "--map takes COLUMN=FIELD");
        goto out;
      }
      *eq = '\0';
      map[nmap++] = (cl_colmap){argv[i], eq + 1};
    } else {
      rc = cli_usage("import", "unknown or incomplete option '%s'", argv[i]);
      goto out;
    }
  }
  if (!type) {
    rc = cli_usage("import", "say what the rows are with --type (org, contact, ...)");
    goto out;
  }
  cl_store *s = cli_open(ctx, false);
  rc = 1;
  if (!s) goto out;
  kt_err err;
  kt_err_clear(&err);
  int count = 0, skipped = 0;
  /* duplicates of existing clients are skipped (the server knows the whole base) */
  uv_loop_t loop;
  uv_loop_init(&loop);
  cl_claimer *claims = NULL;
  if (!force && cl_claimer_open(&loop, ctx->profile, s, &claims, &err)) claims = NULL;
  if (cl_import_csv(s, file, type, map, nmap, enc, dry, claims, on_skip, &skipped, &count, &err)) {
    rc = cli_fail(&err);
    fprintf(stderr, "nothing was imported\n");
  } else {
    rc = 0;
    if (ctx->json)
      printf("{\"imported\": %d, \"skipped\": %d, \"dry_run\": %s}\n", dry ? 0 : count, skipped,
             dry ? "true" : "false");
    else {
      if (dry) printf("%d row%s valid (dry run: nothing imported)", count, count == 1 ? " is" : "s are");
      else printf("imported %d row%s", count, count == 1 ? "" : "s");
      if (skipped)
        printf("; %d skipped as duplicate%s of existing clients (import %s anyway with --force)",
               skipped, skipped == 1 ? "" : "s", skipped == 1 ? "it" : "them");
      printf("\n");
    }
  }
  cl_claimer_close(claims);
  uv_loop_close(&loop);
  cl_store_close(s);
out:
  free(map);
  return rc;
}
