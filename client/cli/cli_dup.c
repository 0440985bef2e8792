/* cli_dup — `kartoteka duplicates [--type T] [--json]` (groups of likely
 * duplicate client cards among those this PC holds, i.e. the user may see,
 * with a score and the reasons) and `kartoteka merge KEEP OTHER [--take FIELD
 * ...]` (cl_merge). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_dup.h"
#include "cl_merge.h"
#include "cli.h"
#include "cli_cmd.h"

int cli_cmd_duplicates(cli_ctx *ctx, int argc, char **argv) {
  const char *type = NULL;
  cli_args words = cli_args_begin(&cli_entry_duplicates, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--type") == 0) type = val;
    else return cli_usage("duplicates", _("unknown or incomplete option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc = 0, tcode = 0, ng = 0;
  cl_dupidx *x = NULL;
  cl_dupgroup *g = NULL;
  if (type) {
    kt_mtype *t;
    if ((rc = kt_model_type_get(cl_store_model(s), type, &t, &err))) goto out;
    if (!(t->def->flags & KT_TF_CLIENT)) {
      rc = kt_err_set(&err, KT_EINVAL,
                      _("duplicates are looked for among client cards (org, contact), not %ss"),
                      t->def->noun);
      goto out;
    }
    tcode = t->def->code;
  }
  if ((rc = cl_dupidx_new(&x, &err)) || (rc = cl_dupidx_load(x, s, type, &err)) ||
      (rc = cl_dupidx_groups(x, tcode, &g, &ng, &err)))
    goto out;
  if (ctx->json) {
    kt_buf b = KT_BUF_INIT;
    kt_json j;
    kt_json_init(&j, &b, false);
    kt_json_arr_begin(&j);
    for (int i = 0; i < ng; i++) {
      kt_json_obj_begin(&j);
      kt_json_key(&j, "score");
      kt_json_int(&j, g[i].score);
      kt_json_key(&j, "reasons");
      kt_json_str(&j, g[i].reasons);
      kt_json_key(&j, "cards");
      kt_json_arr_begin(&j);
      for (int k = 0; k < g[i].nrecs; k++) {
        const cl_duprec *r = g[i].recs[k];
        kt_json_obj_begin(&j);
        kt_json_key(&j, "id");
        kt_json_str(&j, r->id);
        kt_json_key(&j, "type");
        kt_json_str(&j, kt_registry_type_by_code(r->tcode)->name);
        kt_json_key(&j, "title");
        kt_json_str(&j, r->title);
        kt_json_key(&j, "owner");
        kt_json_str(&j, r->owner);
        kt_json_obj_end(&j);
      }
      kt_json_arr_end(&j);
      kt_json_obj_end(&j);
    }
    kt_json_arr_end(&j);
    printf("%s\n", kt_buf_str(&b));
    kt_buf_free(&b);
  } else if (!ng) {
    if (type) printf(_("no likely duplicates among the %s you see\n"), type);
    else printf("%s\n", _("no likely duplicates among the client cards you see"));
  } else {
    for (int i = 0; i < ng; i++) {
      printf("%d%% %s\n", g[i].score, g[i].reasons);
      for (int k = 0; k < g[i].nrecs; k++) {
        const cl_duprec *r = g[i].recs[k];
        printf("  %s  %s%s%s%s\n", r->id, r->title, *r->owner ? " (" : "", r->owner,
               *r->owner ? ")" : "");
      }
    }
    printf(ngettext("%d group; merge two cards with `kartoteka merge KEEP OTHER`\n",
                    "%d groups; merge two cards with `kartoteka merge KEEP OTHER`\n", (unsigned long)ng),
           ng);
  }
out:
  if (rc) rc = cli_fail(&err);
  cl_dupgroups_free(g, ng);
  cl_dupidx_free(x);
  return rc;
}

int cli_cmd_merge(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 3) return cli_usage("merge", _("give the card to keep and the one merged into it"));
  const char **take = calloc((size_t)argc, sizeof *take);
  int ntake = 0;
  if (!take) return cli_failf("%s", _("out of memory"));
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  words.i = 3;
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--take") == 0) {
      /* --take a,b or --take a --take b */
      for (char *p = strtok(val, ","); p; p = strtok(NULL, ",")) take[ntake++] = p;
    } else {
      free(take);
      return cli_usage("merge", _("unknown or incomplete option '%s'"), opt ? opt : val);
    }
  }
  if (more) {
    free(take);
    return more;
  }
  cl_store *s = cli_store(ctx);
  if (!s) {
    free(take);
    return 1;
  }
  kt_err err;
  kt_err_clear(&err);
  cl_merge_result res;
  int rc = cl_merge(s, argv[1], argv[2], take, ntake, &res, &err);
  if (rc) {
    rc = cli_fail(&err);
    fprintf(stderr, "%s\n", _("nothing was changed"));
  } else if (ctx->json) {
    printf("{\"kept\": \"%s\", \"trashed\": \"%s\", \"fields\": %d, \"moved\": %d}\n", argv[1],
           argv[2], res.fields, res.moved);
  } else {
    printf(_("merged %s into %s: "), argv[2], argv[1]);
    printf(ngettext("%d field taken", "%d fields taken", (unsigned long)res.fields), res.fields);
    printf(", ");
    printf(ngettext("%d related card moved", "%d related cards moved", (unsigned long)res.moved),
           res.moved);
    printf(_("; %s is in the trash (`kartoteka restore %s` brings it back, without what was "
             "moved)\n"),
           argv[2], argv[2]);
  }
  free(take);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt duplicates_opts[] = {
    {"--type", "org|contact", N_("only organizations or only contacts")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_duplicates = {
    .name = "duplicates",
    .run = cli_cmd_duplicates,
    .usage = "duplicates [--type org|contact] [--json]",
    .summary = N_("likely duplicate clients (same phone, e-mail, tax id, name in the same city)"),
    .store = CLI_STORE_READ,
    .opts = duplicates_opts,
};

static const cli_opt merge_opts[] = {
    {"--take", "FIELD,...", N_("the fields whose value comes from OTHER")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_merge = {
    .name = "merge",
    .run = cli_cmd_merge,
    .usage = "merge KEEP OTHER [--take FIELD,...]",
    .summary = N_("merge two cards of one client: OTHER's related cards move to KEEP, OTHER to the trash"),
    .store = CLI_STORE_WRITE,
    .opts = merge_opts,
};
