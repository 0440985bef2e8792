/* cli_handover — `kartoteka admin handover --from USER --to USER [--where
 * FIELD=VALUE ...] [--with-tasks] [--dry-run] [--json]`: one audited server
 * operation (srv_handover) that gives a manager's clients, with their
 * contacts, events, tasks, deals and notes, to a colleague. Administrators. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cl_remote.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_json.h"

int cli_admin_handover(cli_ctx *ctx, int argc, char **argv) {
  const char *from = NULL, *to = NULL;
  bool with_tasks = false, dry_run = false;
  kt_buf where = KT_BUF_INIT;
  int rc = 0;
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *opt;
  char *val;
  while (!rc && (rc = cli_args_next(&words, &opt, &val)) == 1) {
    rc = 0;
    if (opt && strcmp(opt, "--from") == 0) from = val;
    else if (opt && strcmp(opt, "--to") == 0) to = val;
    else if (opt && strcmp(opt, "--where") == 0) {
      const char *w = val;
      if (!strchr(w, '=') || w[0] == '=' || strchr(w, '\n'))
        rc = cli_usage("admin", _("--where takes FIELD=VALUE (e.g. city=Москва), not '%s'"), w);
      else kt_buf_printf(&where, "%s%s", where.len ? "\n" : "", w);
    } else if (opt && strcmp(opt, "--with-tasks") == 0) with_tasks = true;
    else if (opt && strcmp(opt, "--dry-run") == 0) dry_run = true;
    else rc = cli_usage("admin", _("unknown or incomplete option '%s' for handover"), opt ? opt : val);
  }
  if (!rc && (!from || !to))
    rc = cli_usage("admin", _("say whose clients and to whom: handover --from USER --to USER"));
  if (rc) {
    kt_buf_free(&where);
    return rc;
  }
  cl_store *s = cli_store(ctx);
  if (!s) {
    kt_buf_free(&where);
    return 1;
  }
  kt_err err;
  kt_err_clear(&err);
  if (cl_admin_allowed(s, &err)) {
    kt_buf_free(&where);
    return cli_fail(&err);
  }
  const char *keys[6], *vals[6];
  int np = 0;
  keys[np] = "from", vals[np++] = from;
  keys[np] = "to", vals[np++] = to;
  if (where.len) keys[np] = "where", vals[np++] = kt_buf_str(&where);
  if (with_tasks) keys[np] = "with_tasks", vals[np++] = "1";
  if (dry_run) keys[np] = "dry_run", vals[np++] = "1";
  uv_loop_t loop;
  uv_loop_init(&loop);
  kt_buf out = KT_BUF_INIT;
  rc = cl_admin(&loop, ctx->profile, s, "handover", NULL, keys, vals, np, &out, &err);
  uv_loop_close(&loop);
  kt_buf_free(&where);
  if (rc) {
    kt_buf_free(&out);
    return cli_fail(&err);
  }
  /* the answer: a header line, then "clients\trecords\treassigned\tdry_run" */
  size_t clients = 0, records = 0, reassigned = 0;
  const char *row = strchr(kt_buf_str(&out), '\n');
  if (!row || sscanf(row + 1, "%zu\t%zu\t%zu", &clients, &records, &reassigned) != 3) {
    kt_buf_free(&out);
    return cli_failf(_("the server's answer to the hand-over was not understood (update "
                     "Kartoteka?)"));
  }
  kt_buf_free(&out);
  if (ctx->json) {
    kt_buf b = KT_BUF_INIT;
    kt_json j;
    kt_json_init(&j, &b, false);
    kt_json_obj_begin(&j);
    kt_json_key(&j, "from");
    kt_json_str(&j, from);
    kt_json_key(&j, "to");
    kt_json_str(&j, to);
    kt_json_key(&j, "clients");
    kt_json_int(&j, (int64_t)clients);
    kt_json_key(&j, "records");
    kt_json_int(&j, (int64_t)records);
    kt_json_key(&j, "reassigned");
    kt_json_int(&j, (int64_t)reassigned);
    kt_json_key(&j, "dry_run");
    kt_json_bool(&j, dry_run);
    kt_json_obj_end(&j);
    printf("%s\n", kt_buf_str(&b));
    kt_buf_free(&b);
  } else {
    if (dry_run)
      printf(ngettext("would hand %zu client of %s to %s (%zu records in all)",
                      "would hand %zu clients of %s to %s (%zu records in all)", clients),
             clients, from, to, records);
    else
      printf(ngettext("handed %zu client of %s to %s (%zu records in all)",
                      "handed %zu clients of %s to %s (%zu records in all)", clients),
             clients, from, to, records);
    if (with_tasks) printf(_("; %zu open tasks and planned events reassigned"), reassigned);
    if (dry_run) printf("%s", _("; nothing changed (--dry-run)"));
    printf("\n");
  }
  return 0;
}
