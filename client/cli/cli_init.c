/* cli_init — `kartoteka init --local [--user NAME] [--demo [--seed N]]`: a
 * standalone card index (with --demo, filled with the demo office base), and
 * `kartoteka demo [--seed N]`: the demo base in an empty card index of any
 * profile (a connected one sends it to the server at the next sync). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_demo.h"
#include "cl_profile.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_plat.h"

/* "--seed N" -> *seed; -1 (usage printed) when N is not a positive number. */
static int parse_seed(const char *cmd, const char *text, uint64_t *seed) {
  char *end;
  unsigned long long v = strtoull(text, &end, 10);
  if (!*text || *end || v == 0)
    return cli_usage(cmd, _("--seed takes a positive whole number, not '%s'"), text), -1;
  *seed = v;
  return 0;
}

/* Fills the open store with the demo base and says what it made. */
static int fill_demo(cli_ctx *ctx, cl_store *s, uint64_t seed) {
  kt_err err;
  kt_err_clear(&err);
  cl_demo_stats st;
  if (cl_demo_fill(s, seed, 0, &st, &err)) return cli_fail(&err);
  if (ctx->json)
    printf("{\"orgs\":%d,\"contacts\":%d,\"deals\":%d,\"events\":%d,\"tasks\":%d,"
           "\"notes\":%d,\"seed\":%llu}\n",
           st.orgs, st.contacts, st.deals, st.events, st.tasks, st.notes,
           (unsigned long long)seed);
  else {
    /* one sentence per count: each has its plural form */
    printf("%s ", _("Demo base:"));
    printf(ngettext("%d organization, ", "%d organizations, ", (unsigned long)st.orgs), st.orgs);
    printf(ngettext("%d contact, ", "%d contacts, ", (unsigned long)st.contacts), st.contacts);
    printf(ngettext("%d deal, ", "%d deals, ", (unsigned long)st.deals), st.deals);
    printf(ngettext("%d diary entry, ", "%d diary entries, ", (unsigned long)st.events), st.events);
    printf(ngettext("%d task, ", "%d tasks, ", (unsigned long)st.tasks), st.tasks);
    printf(ngettext("%d note ", "%d notes ", (unsigned long)st.notes), st.notes);
    printf(_("(seed %llu).\n"), (unsigned long long)seed);
  }
  return 0;
}

int cli_cmd_demo(cli_ctx *ctx, int argc, char **argv) {
  uint64_t seed = CL_DEMO_SEED;
  cli_args words = cli_args_begin(&cli_entry_demo, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--seed") == 0) {
      if (parse_seed("demo", val, &seed)) return 2;
    } else
      return cli_usage("demo", _("unknown or incomplete option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  return fill_demo(ctx, s, seed);
}

int cli_cmd_init(cli_ctx *ctx, int argc, char **argv) {
  bool local = false, demo = false;
  const char *user = NULL;
  uint64_t seed = CL_DEMO_SEED;
  cli_args words = cli_args_begin(&cli_entry_init, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--local") == 0) local = true;
    else if (opt && strcmp(opt, "--demo") == 0) demo = true;
    else if (opt && strcmp(opt, "--seed") == 0) {
      if (parse_seed("init", val, &seed)) return 2;
    } else if (opt && strcmp(opt, "--user") == 0) user = val;
    else return cli_usage("init", _("unknown option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  if (!local)
    return cli_usage("init", "%s", _("say --local for a standalone card index; to join an office "
                                     "server use `kartoteka connect --invite INVITE`"));
  char login[256];
  if (!user) {
    kt_plat_user_name(login, sizeof login);
    user = login;
  }
  kt_err err;
  kt_err_clear(&err);
  if (cl_profile_init_local(ctx->profile, user, &err)) return cli_fail(&err);
  if (demo) {
    /* the JSON answer is the demo's; the human one says both */
    if (!ctx->json) printf(_("Created a standalone card index in %s for user %s.\n"), ctx->profile, user);
    cl_store *s = cli_open(ctx, false);
    if (!s) return 1;
    int rc = fill_demo(ctx, s, seed);
    cl_store_close(s);
    return rc;
  }
  if (ctx->json) cli_print_json_pairs("profile", ctx->profile, "user", user, NULL);
  else printf(_("Created a standalone card index in %s for user %s.\n"), ctx->profile, user);
  return 0;
}

/* ---- the command table's entries ---- */
static const cli_opt init_opts[] = {
    {"--local", NULL, N_("a standalone card index on this PC (no office server)")},
    {"--user", "NAME", N_("your user name in it")},
    {"--demo", NULL, N_("fill it with a realistic demo office")},
    {"--seed", "N", N_("the demo office's random seed (the same seed, the same office)")},
    {0}};
const cli_cmd cli_entry_init = {
    .name = "init",
    .run = cli_cmd_init,
    .usage = "init --local [--user NAME] [--demo [--seed N]]",
    .summary = N_("create a standalone card index (--demo: filled with a realistic demo office)"),
    .store = CLI_STORE_NONE,
    .opts = init_opts,
};

static const cli_opt demo_opts[] = {
    {"--seed", "N", N_("the random seed (the same seed, the same office)")},
    {0}};
const cli_cmd cli_entry_demo = {
    .name = "demo",
    .run = cli_cmd_demo,
    .usage = "demo [--seed N]",
    .summary = N_("fill an empty card index with the demo office (a few hundred clients, three "
                  "years of deals)"),
    .store = CLI_STORE_WRITE,
    .opts = demo_opts,
};
