/* cli_export — `kartoteka export csv|xlsx|ods|vcard|ical|html|text FILE
 * --type TYPE [--where ...] [--sort F] [--desc] [--fields F,F]` or `... FILE
 * --id ID` (one card; in HTML with its related cards, ready to print): the
 * file appears whole or not at all; on a connected profile only with the
 * server's leave (export right, audit). vCard (3.0; vcard4: 4.0) is for
 * contacts (the default type there); ical without --type writes events and
 * tasks into one calendar. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_export.h"
#include "cli.h"
#include "cli_cmd.h"

int cli_cmd_export(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 3)
    return cli_usage("export", _("give the format (csv, xlsx, ods, vcard, vcard4, ical, html or text) and the file"));
  cl_export_fmt fmt;
  kt_err err;
  kt_err_clear(&err);
  if (cl_export_format(argv[1], &fmt, &err)) return cli_usage("export", "%s", err.msg);
  const char *file = argv[2];
  cl_filter *where = calloc((size_t)argc, sizeof *where);
  if (!where) return cli_failf("%s", _("out of memory"));
  cl_query q = {.where = where};
  const char *id = NULL;
  const char *cols[64];
  int ncols = 0, rc = 2;
  cli_args words = cli_args_begin(&cli_entry_export, argc, argv);
  words.i = 3;
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    int qo = opt ? cli_query_word("export", opt, val, &q, where) : 0;
    if (qo < 0) goto out;
    if (qo) continue;
    if (opt && strcmp(opt, "--type") == 0) {
      q.type = val;
    } else if (opt && strcmp(opt, "--id") == 0) {
      id = val;
    } else if (opt && strcmp(opt, "--fields") == 0) {
      ncols = cli_split_columns(val, cols, 64);
    } else {
      rc = cli_usage("export", _("unknown or incomplete option '%s'"), opt ? opt : val);
      goto out;
    }
  }
  if (more) {
    rc = more;
    goto out;
  }
  if (!q.type && (fmt == CL_EXPORT_VCARD || fmt == CL_EXPORT_VCARD4)) q.type = "contact";
  if (!q.type && !id && fmt != CL_EXPORT_ICAL) {
    rc = cli_usage("export", _("say which cards with --type (org, contact, ...) or --id ID"));
    goto out;
  }
  if (id && (q.type || q.nwhere || ncols)) {
    rc = cli_usage("export", _("--id exports that one card: leave out --type, --where and --fields"));
    goto out;
  }
  cl_store *s = cli_store(ctx);
  rc = 1;
  if (!s) goto out;
  uv_loop_t loop;
  uv_loop_init(&loop);
  int64_t n = 0;
  if (id) {
    if (cl_export_card(&loop, ctx->profile, s, id, fmt, file, &err)) {
      rc = cli_fail(&err);
      fprintf(stderr, "%s\n", _("nothing was written"));
    } else {
      rc = 0;
      if (ctx->json) printf("{\"exported\": 1}\n");
      else printf(_("exported card %s to %s\n"), id, file);
    }
  } else if (cl_export(&loop, ctx->profile, s, &q, cols, ncols, fmt, file, &n, &err)) {
    rc = cli_fail(&err);
    fprintf(stderr, "%s\n", _("nothing was written"));
  } else {
    rc = 0;
    if (ctx->json) printf("{\"exported\": %lld}\n", (long long)n);
    else if (q.type)
      printf(ngettext("exported %lld %s card to %s\n", "exported %lld %s cards to %s\n",
                      (unsigned long)n),
             (long long)n, q.type, file);
    else
      printf(ngettext("exported %lld event and task card to %s\n",
                      "exported %lld event and task cards to %s\n", (unsigned long)n),
             (long long)n, file);
  }
  uv_loop_close(&loop);
out:
  free(where);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt export_opts[] = {
    {"--type", "TYPE", N_("the section to export")},
    {"--where", "FIELD=VALUE", N_("only cards that match (repeatable; also FIELD~TEXT, FIELD<V, FIELD>V)")},
    {"--sort", "FIELD", N_("sorted by that field")},
    {"--desc", NULL, N_("in descending order")},
    {"--fields", "F,F", N_("the columns to write")},
    {"--id", "ID", N_("that one card")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_export = {
    .name = "export",
    .run = cli_cmd_export,
    .usage = "export csv|xlsx|ods|vcard|vcard4|ical|html|text FILE --type TYPE [--where ...] [--sort FIELD]\n"
     "          [--desc] [--fields F,F] · export FORMAT FILE --id ID (one card; html: with its related)",
    .summary = N_("write cards to a file for Excel, LibreOffice, phones, calendars or print (needs the export "
     "right; the server records it)"),
    /* WRITE: references are written by name through a temporary table, which a
       query-only (READ) connection refuses */
    .store = CLI_STORE_WRITE,
    .opts = export_opts,
};
