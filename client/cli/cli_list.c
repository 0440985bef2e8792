/* cli_list — `kartoteka list TYPE [--where ...] [--sort F] ...` and
 * `kartoteka search TEXT [--type T]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_reader.h"
#include "cli.h"
#include "cli_cmd.h"

int cli_split_columns(char *s, const char **cols, int max) {
  int n = 0;
  for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ",")) cols[n++] = tok;
  return n;
}

/* The rows of q (--limit/--offset as cl_store_list reads them) from a view,
 * a page at a time, to cli_list_cb. */
static int list_view(cl_reader *rd, const cl_query *q, cli_list_out *lo, kt_err *err) {
  cl_view_filter *w = calloc((size_t)q->nwhere + 1, sizeof *w);
  if (!w) return kt_err_set(err, KT_ENOMEM, "%s", _("out of memory"));
  for (int i = 0; i < q->nwhere; i++)
    w[i] = (cl_view_filter){q->where[i].field, q->where[i].op, q->where[i].value};
  cl_view_spec sp = {.type = q->type, .where = w, .nwhere = q->nwhere, .sort = q->sort,
                     .desc = q->desc, .trash = q->trash};
  cl_view *v = NULL;
  int rc = cl_view_open(rd, &sp, &v, err);
  free(w);
  if (rc) return rc;
  int64_t pos = q->limit > 0 && q->offset > 0 ? q->offset : 0;
  int64_t left = q->limit > 0 ? q->limit : cl_view_count(v);
  enum { PAGE = 256 };
  kt_rec *rows[PAGE];
  while (!rc && left > 0) {
    int got = 0;
    rc = cl_view_page(v, pos, left < PAGE ? (int)left : PAGE, rows, &got, err);
    if (!got) break;
    for (int i = 0; i < got; i++) {
      if (!rc) rc = cli_list_cb(lo, rows[i]);
      kt_rec_free(rows[i]);
    }
    pos += got; /* rows removed since the view was built are skipped by the page */
    left -= got;
  }
  cl_view_free(v);
  return rc;
}

int cli_cmd_list(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage("list", _("which type? one of org contact task event note link deal group"));
  cl_filter *where = calloc((size_t)argc, sizeof *where);
  const char *cols[32];
  if (!where) return cli_failf("%s", _("out of memory"));
  cl_query q = {.type = argv[1], .where = where};
  int ncols = 0, rc = 2;
  cli_args words = cli_args_begin(&cli_entry_list, argc, argv);
  words.i = 2;
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    int qo = opt ? cli_query_word("list", opt, val, &q, where) : 0;
    if (qo < 0) goto out;
    if (qo) continue;
    if (opt && strcmp(opt, "--trash") == 0) {
      q.trash = true;
    } else if (opt && strcmp(opt, "--limit") == 0) {
      q.limit = atoi(val);
    } else if (opt && strcmp(opt, "--offset") == 0) {
      q.offset = atoi(val);
    } else if (opt && strcmp(opt, "--fields") == 0) {
      ncols = cli_split_columns(val, cols, 32);
    } else {
      rc = cli_usage("list", _("unknown option '%s'"), opt ? opt : val);
      goto out;
    }
  }
  if (more) {
    rc = more;
    goto out;
  }
  cl_reader *rd = cli_reader(ctx);
  rc = 1;
  if (!rd) goto out;
  cl_store *s = cl_reader_store(rd);
  cli_list_out lo = {.ctx = ctx, .columns = cols, .ncolumns = ncols, .s = s};
  kt_err err;
  kt_err_clear(&err);
  if (ncols) {
    kt_mtype *t;
    kt_mfield *f;
    for (int i = 0; i < ncols; i++)
      if (kt_model_type_get(cl_store_model(s), q.type, &t, &err) ||
          kt_mtype_field_get(t, cols[i], &f, &err)) {
        rc = cli_fail(&err);
        goto out;
      }
  }
  rc = cli_list_finish(&lo, list_view(rd, &q, &lo, &err), &err);
out:
  free(where);
  return rc;
}

int cli_cmd_search(cli_ctx *ctx, int argc, char **argv) {
  const char *text = NULL, *type = NULL;
  int limit = 0;
  bool trash = false;
  cli_args words = cli_args_begin(&cli_entry_search, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (!opt && !text) text = val;
    else if (!opt) return cli_usage("search", _("give the search text as one argument (quote it)"));
    else if (strcmp(opt, "--type") == 0) type = val;
    else if (strcmp(opt, "--limit") == 0) limit = atoi(val);
    else if (strcmp(opt, "--trash") == 0) trash = true;
  }
  if (more) return more;
  if (!text) return cli_usage("search", _("what to search for?"));
  cl_reader *rd = cli_reader(ctx);
  if (!rd) return 1;
  cli_list_out lo = {.ctx = ctx};
  kt_err err;
  kt_err_clear(&err);
  int rc = cli_list_finish(&lo, cl_reader_search(rd, text, type, limit, trash, cli_list_cb, &lo, &err),
                           &err);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt list_opts[] = {
    {"--where", "FIELD=VALUE", N_("only cards that match (repeatable; also FIELD~TEXT, FIELD<V, FIELD>V)")},
    {"--sort", "FIELD", N_("sorted by that field")},
    {"--desc", NULL, N_("in descending order")},
    {"--limit", "N", N_("at most N cards")},
    {"--offset", "N", N_("skip the first N cards")},
    {"--fields", "F,F", N_("the columns to show")},
    {"--trash", NULL, N_("the cards in the trash")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_list = {
    .name = "list",
    .run = cli_cmd_list,
    .usage = "list TYPE [--where FIELD=VALUE|FIELD~TEXT|FIELD<V|FIELD>V ...] [--sort FIELD] [--desc]\n"
     "          [--limit N] [--offset N] [--fields F,F] [--trash] [--json]",
    .summary = N_("list cards of a section"),
    .store = CLI_STORE_READ,
    .opts = list_opts,
};

static const cli_opt search_opts[] = {
    {"--type", "TYPE", N_("only cards of that section")},
    {"--limit", "N", N_("at most N cards")},
    {"--trash", NULL, N_("search the trash")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_search = {
    .name = "search",
    .run = cli_cmd_search,
    .usage = "search TEXT [--type TYPE] [--limit N] [--trash] [--json]",
    .summary = N_("find cards by words, name prefixes or phone digits"),
    .store = CLI_STORE_READ,
    .opts = search_opts,
};
