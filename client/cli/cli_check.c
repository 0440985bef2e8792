/* cli_check — `kartoteka check [--json]`: is this card index sound (the file
 * and every record, see cl_check.h)? Exit status 0 when it is, 1 when a
 * problem was found (each listed) or the check could not run. */
#include <stdio.h>
#include <string.h>

#include "cl_check.h"
#include "cli.h"
#include "cli_cmd.h"

typedef struct found {
  const cli_ctx *ctx;
  kt_json *json;
} found;

static void on_problem(void *ud, const char *type, const char *id, const char *msg) {
  found *f = ud;
  if (f->json) {
    kt_json_obj_begin(f->json);
    kt_json_key(f->json, "kind");
    kt_json_str(f->json, type);
    kt_json_key(f->json, "id");
    kt_json_str(f->json, id);
    kt_json_key(f->json, "problem");
    kt_json_str(f->json, msg);
    kt_json_obj_end(f->json);
  } else if (*type)
    printf("%s %s: %s\n", type, id, msg);
  else
    printf("%s\n", msg);
}

int cli_cmd_check(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("check", _("no arguments expected (besides --json)"));
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  kt_buf out = KT_BUF_INIT;
  kt_json j;
  found f = {.ctx = ctx, .json = ctx->json ? &j : NULL};
  if (ctx->json) {
    kt_json_init(&j, &out, false);
    kt_json_obj_begin(&j);
    kt_json_key(&j, "problems");
    kt_json_arr_begin(&j);
  }
  cl_check_report rep = {0};
  int rc = cl_check(s, on_problem, &f, &rep, &err);
  if (rc) {
    kt_buf_free(&out);
    return cli_fail(&err);
  }
  if (ctx->json) {
    kt_json_arr_end(&j);
    kt_json_key(&j, "records");
    kt_json_int(&j, rep.records);
    kt_json_key(&j, "ok");
    kt_json_bool(&j, rep.problems == 0);
    kt_json_obj_end(&j);
    printf("%s\n", kt_buf_str(&out));
  } else if (rep.problems == 0)
    printf(_("The card index is sound: %lld records checked.\n"), (long long)rep.records);
  else
    fprintf(stderr,
            _("kartoteka: %lld problem(s) in %lld records (listed above); `kartoteka repair` "
            "rebuilds the card index from the server or the newest backup\n"),
            (long long)rep.problems, (long long)rep.records);
  kt_buf_free(&out);
  return rep.problems ? 1 : 0;
}

/* ---- the command table's entries ---- */
static const cli_opt check_opts[] = {
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_check = {
    .name = "check",
    .run = cli_cmd_check,
    .usage = "check [--json]",
    .summary = N_("is this card index sound? (the file, every value, required fields, references)"),
    .store = CLI_STORE_READ,
    .opts = check_opts,
};
