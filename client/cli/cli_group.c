/* cli_group — `kartoteka group add NAME [--parent P]`, `group list`: the tree
 * of groups/departments (records of the synced group type). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_cmd.h"

typedef struct grp_row {
  char *name, *parent, *id;
} grp_row;

typedef struct grp_acc {
  grp_row *rows;
  int n, cap;
} grp_acc;

static int collect(void *ud, const cl_rec *r) {
  grp_acc *a = ud;
  if (a->n == a->cap) {
    int cap = a->cap ? a->cap * 2 : 16;
    grp_row *p = realloc(a->rows, (size_t)cap * sizeof *p);
    if (!p) return 1;
    a->rows = p;
    a->cap = cap;
  }
  kt_mfield *fn = kt_mtype_field(r->type, "name"), *fp = kt_mtype_field(r->type, "parent");
  const kt_value *vn = &r->v[r->type->pos[fn->vidx]], *vp = &r->v[r->type->pos[fp->vidx]];
  grp_row *g = &a->rows[a->n++];
  g->name = strdup(vn->kind == KT_V_TEXT ? vn->s : "");
  g->parent = vp->kind == KT_V_TEXT ? strdup(vp->s) : NULL;
  g->id = strdup(cl_rec_id(r));
  return 0;
}

static void print_tree(const grp_acc *a, const char *parent, int depth) {
  for (int i = 0; i < a->n; i++) {
    const grp_row *g = &a->rows[i];
    bool top = !g->parent;
    if (!top) { /* a group whose parent does not exist is shown at the top */
      bool found = false;
      for (int k = 0; k < a->n; k++)
        if (strcmp(a->rows[k].name, g->parent) == 0) found = true;
      top = !found;
    }
    if (parent ? (g->parent && strcmp(g->parent, parent) == 0) : top) {
      printf("%*s%s  (%s)\n", depth * 2, "", g->name, g->id);
      if (depth < 32) print_tree(a, g->name, depth + 1);
    }
  }
}

/* `group add NAME [--parent P]` */
static int group_add(cli_ctx *ctx, int argc, char **argv) {
  const char *name = NULL, *parent = NULL;
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--parent") == 0) parent = val;
    else if (!opt && !name) name = val;
    else return cli_usage("group", _("unknown option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  if (!name) return cli_usage("group", _("give the group's NAME"));
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  cl_set sets[2] = {{"name", name}, {"parent", parent}};
  char id[KT_UUID_STRLEN + 1];
  if (cl_store_add(s, "group", sets, parent ? 2 : 1, id, &err)) return cli_fail(&err);
  printf("%s\n", id);
  return 0;
}

/* `group list`: the tree (or the group cards as JSON) */
static int group_list(cli_ctx *ctx, int argc, char **argv) {
  if (argc > 1) return cli_usage("group", _("unknown option '%s'"), argv[1]);
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc = 0;
  grp_acc a = {0};
  cl_query q = {.type = "group"};
  if (ctx->json) {
    cli_list_out lo = {.ctx = ctx};
    rc = cli_list_finish(&lo, cl_store_list(s, &q, cli_list_cb, &lo, &err), &err);
  } else if (cl_store_list(s, &q, collect, &a, &err)) {
    rc = cli_fail(&err);
  } else {
    print_tree(&a, NULL, 0);
  }
  for (int i = 0; i < a.n; i++) {
    free(a.rows[i].name);
    free(a.rows[i].parent);
    free(a.rows[i].id);
  }
  free(a.rows);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt add_opts[] = {{"--parent", "P", N_("the group it belongs to")}, {0}};
static const cli_opt list_opts[] = {
    CLI_OPT_JSON, {0}};
static const cli_cmd group_add_entry = {
    .name = "group add",
    .run = group_add,
    .usage = "group add NAME [--parent P]",
    .summary = N_("a new group (in the one it belongs to)"),
    .store = CLI_STORE_WRITE,
    .opts = add_opts,
};
static const cli_cmd group_list_entry = {
    .name = "group list",
    .run = group_list,
    .usage = "group list [--json]",
    .summary = N_("the groups as a tree"),
    .store = CLI_STORE_READ,
    .opts = list_opts,
};
static const cli_cmd *const group_subs[] = {&group_add_entry, &group_list_entry, NULL};
const cli_cmd cli_entry_group = {
    .name = "group",
    .summary = N_("groups and departments (a tree)"),
    .store = CLI_STORE_NONE,
    .subs = group_subs,
};
