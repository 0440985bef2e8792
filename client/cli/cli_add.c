/* cli_add — `kartoteka add TYPE --set FIELD=VALUE ...`: prints the new id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Collects --set FIELD=VALUE (also FIELD=VALUE bare words) from argv[first..]. */
static int collect_sets(const char *cmd, int argc, char **argv, int first, cl_set *sets) {
  int n = 0;
  for (int i = first; i < argc; i++) {
    char *w = argv[i];
    if (strcmp(w, "--set") == 0 || strcmp(w, "-s") == 0) {
      if (i + 1 >= argc) return cli_usage(cmd, "--set needs FIELD=VALUE"), -1;
      w = argv[++i];
    } else if (strncmp(w, "--set=", 6) == 0) {
      w += 6;
    } else if (w[0] == '-') {
      return cli_usage(cmd, "unknown option '%s'", w), -1;
    }
    if (cli_parse_assign(cmd, w, &sets[n]) < 0) return -1;
    n++;
  }
  return n;
}

int cli_cmd_add(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage("add", "which type? one of org contact task event note link deal group");
  cl_set *sets = calloc((size_t)argc, sizeof *sets);
  if (!sets) return cli_failf("out of memory");
  int n = collect_sets("add", argc, argv, 2, sets);
  int rc = 2;
  if (n < 0) goto out;
  if (n == 0) {
    rc = cli_usage("add", "give the card's fields with --set FIELD=VALUE");
    goto out;
  }
  cl_store *s = cli_open(ctx, false);
  rc = 1;
  if (!s) goto out;
  char id[KT_UUID_STRLEN + 1];
  kt_err err;
  kt_err_clear(&err);
  if (cl_store_add(s, argv[1], sets, n, id, &err)) {
    rc = cli_fail(&err);
  } else {
    if (ctx->json) printf("{\"id\": \"%s\", \"type\": \"%s\"}\n", id, argv[1]);
    else printf("%s\n", id);
    rc = 0;
  }
  cl_store_close(s);
out:
  free(sets);
  return rc;
}

int cli_cmd_edit(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage("edit", "which card? give its id");
  cl_set *sets = calloc((size_t)argc, sizeof *sets);
  if (!sets) return cli_failf("out of memory");
  int n = collect_sets("edit", argc, argv, 2, sets);
  int rc = 2;
  if (n < 0) goto out;
  if (n == 0) {
    rc = cli_usage("edit", "give the fields to change with --set FIELD=VALUE");
    goto out;
  }
  cl_store *s = cli_open(ctx, false);
  rc = 1;
  if (!s) goto out;
  kt_err err;
  kt_err_clear(&err);
  int changed = 0;
  if (cl_store_edit(s, argv[1], sets, n, &changed, &err)) {
    rc = cli_fail(&err);
  } else {
    if (ctx->json) printf("{\"id\": \"%s\", \"changed\": %d}\n", argv[1], changed);
    else if (!changed) printf("nothing changed\n");
    else printf("%d field%s changed\n", changed, changed == 1 ? "" : "s");
    rc = 0;
  }
  cl_store_close(s);
out:
  free(sets);
  return rc;
}
