/* cli_doc — `kartoteka doc fill --template F --id ID --out FILE` and
 * `doc fill --template F --to org|contact [--where F=V ...] --out-dir DIR`:
 * ODT/DOCX documents filled with a card's data (cl_doc), one per card, each
 * recorded on the card's timeline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cl_doc.h"
#include "cli.h"
#include "cli_cmd.h"

typedef struct ids {
  char **v;
  int n, cap;
} ids;

static int on_card(void *ud, const cl_rec *r) {
  ids *l = ud;
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    char **p = realloc(l->v, (size_t)l->cap * sizeof *p);
    if (!p) return 1;
    l->v = p;
  }
  l->v[l->n++] = strdup(cl_rec_id(r));
  return 0;
}

/* A file name from the card's title: letters kept, / and controls replaced. */
static void out_name(cl_store *s, const char *dir, const char *id, int i, const char *ext,
                     char *out, size_t n) {
  kt_buf t = KT_BUF_INIT;
  cl_rec *r = NULL;
  kt_err err;
  if (cl_store_get(s, id, &r, &err) == 0) cl_rec_title(r, &t);
  cl_rec_free(r);
  char safe[120];
  size_t k = 0;
  for (const char *p = kt_buf_str(&t); *p && k + 1 < sizeof safe; p++)
    safe[k++] = ((unsigned char)*p < 0x20 || strchr("/\\:*?\"<>|", *p)) ? '_' : *p;
  while (k && (safe[k - 1] & 0xC0) == 0x80 && k + 4 >= sizeof safe) k--; /* a cut character */
  safe[k] = 0;
  snprintf(out, n, "%s/%04d %s.%s", dir, i + 1, k ? safe : "card", ext);
  kt_buf_free(&t);
}

static int fill(cli_ctx *ctx, int argc, char **argv) {
  const char *tmpl = NULL, *id = NULL, *outf = NULL, *dir = NULL;
  cl_filter *where = calloc((size_t)argc, sizeof *where);
  cl_query q = {.where = where};
  ids l = {0};
  int rc = 2;
  if (!where) return cli_failf("%s", _("out of memory"));
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    int qo = opt ? cli_query_word("doc", opt, val, &q, where) : 0;
    if (qo < 0) goto out;
    if (qo) continue;
    if (opt && strcmp(opt, "--template") == 0) tmpl = val;
    else if (opt && strcmp(opt, "--id") == 0) id = val;
    else if (opt && strcmp(opt, "--out") == 0) outf = val;
    else if (opt && strcmp(opt, "--out-dir") == 0) dir = val;
    else if (opt && (strcmp(opt, "--to") == 0 || strcmp(opt, "--type") == 0)) q.type = val;
    else {
      rc = cli_usage("doc", _("doc fill: unknown option '%s'"), opt ? opt : val);
      goto out;
    }
  }
  if (more) {
    rc = more;
    goto out;
  }
  if (!tmpl || (id && !outf) || (!id && (!dir || (!q.type && !q.nwhere)))) {
    rc = cli_usage("doc", _("give --template F and either --id ID --out FILE or --to org|contact "
                   "[--where F=V ...] --out-dir DIR"));
    goto out;
  }
  if (!id && !q.type) q.type = "org";
  cl_store *s = cli_store(ctx);
  rc = 1;
  if (!s) goto out;
  kt_err err;
  kt_err_clear(&err);
  cl_doc *d = NULL;
  int r = cl_doc_open(cl_store_model(s), tmpl, &d, &err);
  if (!r && id) {
    r = cl_doc_fill_card(s, d, id, outf, &err);
    if (!r) printf("%s\n", outf);
  } else if (!r) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
      r = kt_err_set(&err, KT_EIO, _("cannot make the folder %s: %m"), dir);
    } else if (!(r = cl_store_list(s, &q, on_card, &l, &err))) {
      int made = 0;
      for (int i = 0; i < l.n && !r; i++) {
        char path[4096];
        out_name(s, dir, l.v[i], i, cl_doc_ext(d), path, sizeof path);
        if (!(r = cl_doc_fill_card(s, d, l.v[i], path, &err))) {
          printf("%s\n", path);
          made++;
        }
      }
      fprintf(stderr, ngettext("%d document made\n", "%d documents made\n", (unsigned long)made), made);
    }
  }
  cl_doc_free(d);
  rc = r ? cli_fail(&err) : 0;
out:
  for (int i = 0; i < l.n; i++) free(l.v[i]);
  free(l.v);
  free(where);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt doc_opts[] = {
    {"--template", "FILE", N_("the ODT or DOCX template")},
    {"--id", "ID", N_("fill it for that one card")},
    {"--out", "FILE", N_("the filled document")},
    {"--to", "org|contact", N_("fill one per card of that section")},
    {"--type", "org|contact", N_("the same as --to")},
    {"--where", "F=V", N_("only the cards that match (repeatable)")},
    {"--out-dir", "DIR", N_("where the filled documents go")},
    {"--sort", "FIELD", N_("fill them in the order of that field")},
    {"--desc", NULL, N_("in descending order")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
static const cli_cmd doc_fill = {
    .name = "doc fill",
    .run = fill,
    .usage = "doc fill --template FILE.odt|FILE.docx (--id ID --out FILE | --to|--type org|contact\n"
             "          [--where F=V ...] [--sort FIELD] [--desc] --out-dir DIR)",
    .summary = N_("fill an ODT/DOCX template with a card's data (recorded on the card's timeline)"),
    .store = CLI_STORE_WRITE,
    .opts = doc_opts,
};
static const cli_cmd *const doc_subs[] = {&doc_fill, NULL};
const cli_cmd cli_entry_doc = {
    .name = "doc",
    .summary = N_("fill an ODT/DOCX template with a card's data (recorded on the card's timeline)"),
    .store = CLI_STORE_NONE,
    .subs = doc_subs,
};
