/* cli_mass — `kartoteka edit TYPE --where FIELD=VALUE ... --set FIELD=VALUE ...
 * [--dry-run] [--json]`: the same change on many cards at once (cl_mass: needs
 * the mass_update right; the server records the batch with its count). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cl_mass.h"
#include "cli.h"
#include "cli_cmd.h"

int cli_cmd_mass_edit(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-')
    return cli_usage("edit", _("say which cards: edit TYPE --where FIELD=VALUE --set FIELD=VALUE"));
  cl_filter *where = calloc((size_t)argc, sizeof *where);
  cl_set *sets = calloc((size_t)argc, sizeof *sets);
  kt_buf what = KT_BUF_INIT; /* as typed, for the audit log */
  int rc = 0, n = 0;
  bool dry_run = false;
  cl_query q = {.type = argv[1], .where = where};
  if (!where || !sets) rc = cli_failf("%s", _("out of memory"));
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  words.i = 2;
  const char *opt;
  char *val;
  int more = 0;
  while (!rc && (more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--dry-run") == 0) {
      dry_run = true;
      continue;
    }
    if (opt && strcmp(opt, "--where") == 0)
      kt_buf_printf(&what, "%swhere %s", what.len ? " " : "", val);
    if (opt && strcmp(opt, "--set") == 0) {
      kt_buf_printf(&what, "%sset %s", what.len ? " " : "", val);
      if (cli_parse_assign("edit", val, &sets[n]) < 0) rc = 2;
      else n++;
      continue;
    }
    int qo = opt ? cli_query_word("edit", opt, val, &q, where) : 0;
    if (qo < 0) rc = 2;
    else if (!qo) rc = cli_usage("edit", _("unknown or incomplete option '%s'"), opt ? opt : val);
  }
  if (!rc && more) rc = more;
  if (!rc && !n) rc = cli_usage("edit", _("give the fields to change with --set FIELD=VALUE"));
  cl_store *s = rc ? NULL : cli_store(ctx);
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
      if (dry_run)
        printf(ngettext("would change %zu of %zu matching card", "would change %zu of %zu matching cards",
                        res.matched),
               res.changed, res.matched);
      else
        printf(ngettext("changed %zu of %zu matching card", "changed %zu of %zu matching cards",
                        res.matched),
               res.changed, res.matched);
      if (dry_run) printf("%s", _("; nothing changed (--dry-run)"));
      printf("\n");
    }
  }
  kt_buf_free(&what);
  free(where);
  free(sets);
  return rc;
}
