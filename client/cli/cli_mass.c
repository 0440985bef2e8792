/* cli_mass — `kartoteka edit TYPE --where FIELD=VALUE ... --set FIELD=VALUE ...
 * [--dry-run] [--json]`: the same change on many cards at once (cl_mass: needs
 * the mass_update right; the server records the batch with its count). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cl_mass.h"
#include "cli.h"

int cli_cmd_mass_edit(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-')
    return cli_usage("edit", "say which cards: edit TYPE --where FIELD=VALUE --set FIELD=VALUE");
  cl_filter *where = calloc((size_t)argc, sizeof *where);
  cl_set *sets = calloc((size_t)argc, sizeof *sets);
  kt_buf what = KT_BUF_INIT; /* as typed, for the audit log */
  int rc = 0, n = 0;
  bool dry_run = false;
  cl_query q = {.type = argv[1], .where = where};
  if (!where || !sets) rc = cli_failf("out of memory");
  for (int i = 2; i < argc && !rc; i++) {
    if (strcmp(argv[i], "--dry-run") == 0) {
      dry_run = true;
      continue;
    }
    if (strcmp(argv[i], "--where") == 0 && i + 1 < argc)
      kt_buf_printf(&what, "%swhere %s", what.len ? " " : "", argv[i + 1]);
    if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
      kt_buf_printf(&what, "%sset %s", what.len ? " " : "", argv[i + 1]);
      if (cli_parse_assign("edit", argv[++i], &sets[n]) < 0) rc = 2;
      else n++;
      continue;
    }
    int qo = cli_query_opt("edit", argc, argv, &i, &q, where);
    if (qo < 0) rc = 2;
    else if (!qo) rc = cli_usage("edit", "unknown or incomplete option '%s'", argv[i]);
  }
  if (!rc && !n) rc = cli_usage("edit", "give the fields to change with --set FIELD=VALUE");
  cl_store *s = rc ? NULL : cli_open(ctx, false);
  if (!rc && !s) rc = 1;
  if (!rc) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    cl_mass_res res;
    kt_err err;
    kt_err_clear(&err);
    rc = cl_mass_edit(&loop, ctx->profile, s, &q, sets, n, dry_run, kt_buf_str(&what), &res, &err);
    uv_loop_close(&loop);
    if (rc) {
      rc = cli_fail(&err);
    } else if (ctx->json) {
      printf("{\"matched\": %zu, \"changed\": %zu, \"dry_run\": %s}\n", res.matched, res.changed,
             dry_run ? "true" : "false");
    } else {
      printf("%s %zu of %zu matching card%s%s\n", dry_run ? "would change" : "changed",
             res.changed, res.matched, res.matched == 1 ? "" : "s",
             dry_run ? "; nothing changed (--dry-run)" : "");
    }
  }
  if (s) cl_store_close(s);
  kt_buf_free(&what);
  free(where);
  free(sets);
  return rc;
}
