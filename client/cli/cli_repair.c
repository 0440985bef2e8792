/* cli_repair — `kartoteka repair [--password-file F]`: a damaged card index
 * is rebuilt (cl_repair: from the office server, or a standalone one from
 * its newest good backup) keeping this PC's enrollment and every unsent
 * change that can still be read; the damaged file is kept aside. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cl_repair.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_json.h"

static void report_json(const cl_repair_report *r) {
  kt_buf out = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &out, true);
  kt_json_obj_begin(&j);
  kt_json_key(&j, "connected");
  kt_json_bool(&j, r->connected);
  kt_json_key(&j, "kept");
  kt_json_str(&j, r->kept);
  kt_json_key(&j, "backup");
  kt_json_str(&j, r->backup[0] ? r->backup : NULL);
  kt_json_key(&j, "unreadable");
  kt_json_bool(&j, r->unreadable);
  kt_json_key(&j, "unsent_read");
  kt_json_int(&j, r->salvage.changes);
  kt_json_key(&j, "unsent_lost");
  kt_json_int(&j, r->salvage.rows_lost);
  kt_json_key(&j, "damaged_stretches");
  kt_json_int(&j, r->salvage.gaps);
  kt_json_key(&j, "pulled");
  kt_json_int(&j, r->pulled);
  kt_json_key(&j, "merged");
  kt_json_int(&j, r->merged);
  kt_json_key(&j, "queued");
  kt_json_int(&j, r->queued);
  kt_json_obj_end(&j);
  printf("%s\n", kt_buf_str(&out));
  kt_buf_free(&out);
}

int cli_cmd_repair(cli_ctx *ctx, int argc, char **argv) {
  const char *pwfile = NULL;
  cli_args words = cli_args_begin(&cli_entry_repair, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--password-file") == 0) pwfile = val;
    else return cli_usage("repair", _("unknown or incomplete option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  char pw[1100] = "";
  if (pwfile && cli_read_password(pwfile, pw, sizeof pw)) return 1;
  uv_loop_t loop;
  uv_loop_init(&loop);
  cl_repair_report r;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_repair(&loop, ctx->profile, pwfile ? pw : NULL, &r, &err);
  memset(pw, 0, sizeof pw);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (rc) {
    if (err.code == KT_ENOPROFILE)
      return cli_failf(_("no card index in %s to repair (pass --profile DIR)"), ctx->profile);
    cli_failf(_("repair failed: %s"), err.msg);
    if (r.kept[0]) fprintf(stderr, _("(the damaged card index is kept as %s)\n"), r.kept);
    else fprintf(stderr, "%s\n", _("(nothing was changed: the card index is as it was)"));
    return 1;
  }
  if (ctx->json) {
    report_json(&r);
    return 0;
  }
  printf(_("The damaged card index is kept as %s (delete it once all is well).\n"), r.kept);
  if (r.unreadable)
    printf("%s\n", _("Nothing could be read from it."));
  else
    printf(ngettext("Read from it: %d unsent change", "Read from it: %d unsent changes",
                    (unsigned long)r.salvage.changes),
           r.salvage.changes);
  if (!r.unreadable) printf("%s.\n", r.salvage.rows_lost ? "" : _(" (all there were)"));
  if (r.salvage.rows_lost)
    printf(ngettext("Lost: %d unsent change on damaged pages.\n",
                    "Lost: %d unsent changes on damaged pages.\n", (unsigned long)r.salvage.rows_lost),
           r.salvage.rows_lost);
  if (r.connected) {
    printf(ngettext("Rebuilt from the office server: %d card received; this PC keeps its enrollment.\n",
                    "Rebuilt from the office server: %d cards received; this PC keeps its enrollment.\n",
                    (unsigned long)r.pulled),
           r.pulled);
    /* TRANSLATORS: "(%d values)" follows: "N changes of yours (M values) wait to be sent ..." */
    printf(ngettext("%d change of yours", "%d changes of yours", (unsigned long)r.merged), r.merged);
    printf(ngettext(" (%d value)", " (%d values)", (unsigned long)r.queued), r.queued);
    printf(ngettext(" waits to be sent at the next sync (`kartoteka sync`, or the agent).\n",
                    " wait to be sent at the next sync (`kartoteka sync`, or the agent).\n",
                    (unsigned long)r.merged));
  } else {
    if (r.backup[0]) printf(_("Restored the backup %s.\n"), r.backup);
    else printf("%s\n", _("No good backup: rebuilt from what could be read."));
    if (r.backup[0])
      printf(ngettext("Read back from the damaged file: %d card changed since the backup",
                      "Read back from the damaged file: %d cards changed since the backup",
                      (unsigned long)r.merged),
             r.merged);
    else
      printf(ngettext("Read back from the damaged file: %d card changed since it was created",
                      "Read back from the damaged file: %d cards changed since it was created",
                      (unsigned long)r.merged),
             r.merged);
    printf(ngettext(" (%d value).\n", " (%d values).\n", (unsigned long)r.queued), r.queued);
  }
  return 0;
}

/* ---- the command table's entries ---- */
static const cli_opt repair_opts[] = {
    {"--password-file", "F", N_("read the password from F (\"-\": standard input) instead of asking")},
    {0}};
const cli_cmd cli_entry_repair = {
    .name = "repair",
    .run = cli_cmd_repair,
    .usage = "repair [--password-file F]",
    .summary = N_("rebuild a damaged card index: from the office server (keeping this PC's enrollment and "
     "unsent changes), a standalone one from its newest good backup"),
    .store = CLI_STORE_NONE,
    .opts = repair_opts,
};
