/* cli_import — `kartoteka import [FORMAT] FILE [--type T] [--map COL=FIELD ...]
 * [--encoding E] [--delimiter D] [--sheet S] [--on-duplicate skip|update|create]
 * [--create-missing] [--dry-run] [--skip-bad-rows] [--strict] [--force] [--json]`:
 * all rows or none (unless --skip-bad-rows); every problem named by its line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "cl_import.h"
#include "cl_remote.h"
#include "cli.h"
#include "cli_cmd.h"

static const char *const formats[] = {"csv", "text", "xlsx", "ods", "vcard", "ical", NULL};

typedef struct out_ctx {
  bool json;
  kt_json *j;    /* the notes array (json) */
  const char *file;
} out_ctx;

static const char *kind_name(cl_note_kind k) {
  static const char *const names[] = {"created", "updated", "skipped", "problem",
                                      "unmapped", "created_ref", "warning"};
  return names[k];
}

static void on_note(void *ud, const cl_import_note *n) {
  out_ctx *c = ud;
  if (c->json) {
    kt_json_obj_begin(c->j);
    kt_json_key(c->j, "kind");
    kt_json_str(c->j, kind_name(n->kind));
    if (n->line) {
      kt_json_key(c->j, "line");
      kt_json_int(c->j, n->line);
    }
    if (n->column) {
      kt_json_key(c->j, "column");
      kt_json_int(c->j, n->column);
    }
    if (n->text) {
      kt_json_key(c->j, "text");
      kt_json_str(c->j, n->text);
    }
    if (n->id) {
      kt_json_key(c->j, "id");
      kt_json_str(c->j, n->id);
    }
    kt_json_obj_end(c->j);
    return;
  }
  switch (n->kind) {
  case CL_NOTE_CREATED: break; /* counted in the summary */
  case CL_NOTE_UPDATED: fprintf(stderr, _("line %d updated %s: %s\n"), n->line, n->id, n->text); break;
  case CL_NOTE_SKIPPED: fprintf(stderr, _("line %d skipped: %s\n"), n->line, n->text); break;
  case CL_NOTE_BAD: fprintf(stderr, "%s: %s\n", c->file, n->text); break;
  case CL_NOTE_UNMAPPED:
    fprintf(stderr, _("column %d '%s' matches no field: skipped (map it with --map '%s=FIELD')\n"),
            n->column, *n->text ? n->text : _("(no name)"), n->text);
    break;
  case CL_NOTE_REF_CREATED: fprintf(stderr, _("line %d: created the %s (%s)\n"), n->line, n->text, n->id); break;
  case CL_NOTE_WARNING: fprintf(stderr, "%s: %s\n", c->file, n->text); break;
  }
}

static bool is_format(const char *a) {
  for (int i = 0; formats[i]; i++)
    if (strcmp(a, formats[i]) == 0) return true;
  return false;
}

static int parse_delim(const char *a, char *out) {
  if (strcmp(a, "tab") == 0 || strcmp(a, "\\t") == 0) *out = '\t';
  else if (strlen(a) == 1) *out = a[0];
  else return -1;
  return 0;
}

int cli_cmd_import(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage("import", _("give the file (and its format if you like: csv, xlsx, ...)"));
  int first = 1;
  const char *format = NULL;
  if (argc >= 3 && is_format(argv[1])) format = argv[first++];
  const char *file = argv[first++];
  cl_import_opts o = {.format = format, .check_duplicates = true, .on_duplicate = CL_DUP_SKIP};
  cl_colmap *map = calloc((size_t)argc, sizeof *map);
  int nmap = 0, rc = 2;
  if (!map) return cli_failf("%s", _("out of memory"));
  cli_args words = cli_args_begin(&cli_entry_import, argc, argv);
  words.i = first;
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--type") == 0) o.type = val;
    else if (opt && strcmp(opt, "--encoding") == 0) o.read.encoding = val;
    else if (opt && strcmp(opt, "--sheet") == 0) o.read.sheet = val;
    else if (opt && strcmp(opt, "--delimiter") == 0) {
      if (parse_delim(val, &o.read.delimiter)) {
        rc = cli_usage("import", _("--delimiter takes one character: ',', ';', '|' or tab"));
        goto out;
      }
    } else if (opt && strcmp(opt, "--on-duplicate") == 0) {
      const char *v = val;
      if (strcmp(v, "skip") == 0) o.on_duplicate = CL_DUP_SKIP;
      else if (strcmp(v, "update") == 0) o.on_duplicate = CL_DUP_UPDATE;
      else if (strcmp(v, "create") == 0) o.on_duplicate = CL_DUP_CREATE;
      else {
        rc = cli_usage("import", _("--on-duplicate takes skip, update or create (not '%s')"), v);
        goto out;
      }
    } else if (opt && strcmp(opt, "--dry-run") == 0) o.dry_run = true;
    else if (opt && strcmp(opt, "--force") == 0) o.check_duplicates = false;
    else if (opt && strcmp(opt, "--create-missing") == 0) o.create_missing = true;
    else if (opt && strcmp(opt, "--skip-bad-rows") == 0) o.skip_bad_rows = true;
    else if (opt && strcmp(opt, "--strict") == 0) o.strict = true;
    else if (opt && strcmp(opt, "--map") == 0) {
      char *eq = strchr(val, '=');
      if (!eq) {
        rc = cli_usage("import", _("--map takes COLUMN=FIELD (or COLUMN= to skip the column)"));
        goto out;
      }
      *eq = '\0';
      map[nmap++] = (cl_colmap){val, eq + 1};
    } else {
      rc = cli_usage("import", _("unknown or incomplete option '%s'"), opt ? opt : val);
      goto out;
    }
  }
  if (more) {
    rc = more;
    goto out;
  }
  if (!o.check_duplicates && o.on_duplicate != CL_DUP_SKIP) {
    rc = cli_usage("import", _("--force turns the duplicate check off: --on-duplicate needs it on"));
    goto out;
  }
  o.map = map;
  o.nmap = nmap;
  cl_store *s = cli_store(ctx);
  rc = 1;
  if (!s) goto out;
  kt_err err;
  kt_err_clear(&err);
  /* duplicates of clients this PC does not hold are asked of the server (it knows the whole base) */
  uv_loop_t loop;
  uv_loop_init(&loop);
  cl_claimer *claims = NULL;
  if (o.check_duplicates && cl_store_connected(s) && cl_claimer_open(&loop, ctx->profile, s, &claims, &err))
    claims = NULL;
  o.claims = claims;
  kt_buf jb = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &jb, false);
  out_ctx oc = {ctx->json, &j, file};
  if (ctx->json) {
    kt_json_obj_begin(&j);
    kt_json_key(&j, "notes");
    kt_json_arr_begin(&j);
  }
  cl_import_result res;
  int irc = cl_import(s, file, &o, on_note, &oc, &res, &err);
  if (ctx->json) {
    kt_json_arr_end(&j);
    const char *keys[] = {"rows", "imported", "updated", "skipped", "bad", "created_refs", "unmapped"};
    int vals[] = {res.rows, o.dry_run || irc ? 0 : res.created, o.dry_run || irc ? 0 : res.updated,
                  res.skipped, res.bad, res.refs_created, res.unmapped};
    for (size_t k = 0; k < sizeof vals / sizeof *vals; k++) {
      kt_json_key(&j, keys[k]);
      kt_json_int(&j, vals[k]);
    }
    kt_json_key(&j, "would_create");
    kt_json_int(&j, res.created);
    kt_json_key(&j, "would_update");
    kt_json_int(&j, res.updated);
    kt_json_key(&j, "format");
    kt_json_str(&j, res.format);
    kt_json_key(&j, "encoding");
    kt_json_str(&j, res.encoding);
    kt_json_key(&j, "dry_run");
    kt_json_bool(&j, o.dry_run);
    kt_json_key(&j, "ok");
    kt_json_bool(&j, irc == 0);
    if (irc) {
      kt_json_key(&j, "error");
      kt_json_str(&j, err.msg);
    }
    kt_json_obj_end(&j);
    printf("%s\n", kt_buf_str(&jb));
  }
  if (irc) {
    rc = cli_fail(&err);
    if (irc != KT_EPERM || !ctx->json) fprintf(stderr, "%s\n", _("nothing was imported"));
  } else {
    rc = 0;
    if (!ctx->json) {
      if (o.dry_run) {
        printf(ngettext("dry run: %d row would be created, %d updated, %d skipped",
                        "dry run: %d rows would be created, %d updated, %d skipped",
                        (unsigned long)res.created),
               res.created, res.updated, res.skipped);
        if (res.bad) printf("%s", _(", bad rows skipped"));
        printf("%s", _(" (nothing imported)"));
      } else {
        printf(ngettext("imported %d row", "imported %d rows", (unsigned long)res.created),
               res.created);
      }
      if (!o.dry_run && res.updated) printf(_("; %d updated"), res.updated);
      if (!o.dry_run && res.skipped)
        printf(ngettext("; %d skipped as duplicate of existing cards (import it anyway with "
                        "--on-duplicate create, or update it with --on-duplicate update)",
                        "; %d skipped as duplicates of existing cards (import them anyway with "
                        "--on-duplicate create, or update them with --on-duplicate update)",
                        (unsigned long)res.skipped),
               res.skipped);
      if (res.refs_created)
        printf(ngettext("; %d referenced card created", "; %d referenced cards created",
                        (unsigned long)res.refs_created),
               res.refs_created);
      if (res.bad)
        printf(ngettext("; %d bad row skipped (listed above)", "; %d bad rows skipped (listed above)",
                        (unsigned long)res.bad),
               res.bad);
      if (res.unmapped)
        printf(ngettext("; %d column skipped", "; %d columns skipped", (unsigned long)res.unmapped),
               res.unmapped);
      printf("\n");
    }
  }
  kt_buf_free(&jb);
  cl_claimer_close(claims);
  uv_loop_close(&loop);
out:
  free(map);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt import_opts[] = {
    {"--type", "TYPE", N_("the section the rows become cards of")},
    {"--map", "COLUMN=FIELD", N_("the field a column goes to (COLUMN= skips it; repeatable)")},
    {"--encoding", "E", N_("the file's text encoding (default: detected)")},
    {"--delimiter", "D", N_("the column separator of a text file (default: detected)")},
    {"--sheet", "S", N_("the sheet of a spreadsheet to read")},
    {"--on-duplicate", "skip|update|create", N_("what to do with a row that is a client you have")},
    {"--create-missing", NULL, N_("create the referenced cards that do not exist yet")},
    {"--dry-run", NULL, N_("check every row, add nothing")},
    {"--skip-bad-rows", NULL, N_("add the good rows, report the bad ones")},
    {"--strict", NULL, N_("a value that needs guessing is an error")},
    {"--force", NULL, N_("no duplicate check")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_import = {
    .name = "import",
    .run = cli_cmd_import,
    .usage = "import [csv|text|xlsx|ods|vcard|ical] FILE [--type TYPE] [--map COLUMN=FIELD ...]\n"
     "          [--encoding E] [--delimiter D] [--sheet S] [--on-duplicate skip|update|create]\n"
     "          [--create-missing] [--dry-run] [--skip-bad-rows] [--strict] [--force] [--json]",
    .summary = N_("add cards from a file (format, encoding, delimiter and columns detected); all rows or none"),
    .store = CLI_STORE_WRITE,
    .opts = import_opts,
};
