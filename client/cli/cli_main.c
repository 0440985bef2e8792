/* cli_main — `kartoteka`: global options, the command table, dispatch. */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_cmd.h"
#include "kt_i18n.h"
#include "kt_log.h"
#include "kt_plat.h"
#include "kt_text.h"

static int cmd_help(cli_ctx *ctx, int argc, char **argv);

static const cli_cmd help_entry = {
    .name = "help",
    .run = cmd_help,
    .usage = "help [COMMAND [SUB-COMMAND ...]]",
    .summary = N_("this help"),
    .store = CLI_STORE_NONE,
};

/* the options before the command */
static const cli_opt global_opts[] = {
    {"--profile", "DIR", N_("the profile folder")},
    {"--json", NULL, N_("print JSON for programs instead of text for people (also after the command)")},
    {"--verbose", NULL, N_("log what happens (also -v)")},
    {"--help", NULL, N_("this help (also -h; after a command: the command's)")},
    {"--version", NULL, N_("the program's version")},
    {0}};
static const cli_cmd global_entry = {
    .name = "kartoteka",
    .usage = "[--profile DIR] [--json] [--verbose] COMMAND ...",
    .summary = N_("the office card index"),
    .opts = global_opts,
};

/* The order of `kartoteka help`; each entry lives in its command's file. */
static const cli_cmd *const commands[] = {
    &cli_entry_init, &cli_entry_demo, &cli_entry_connect, &cli_entry_login, &cli_entry_sync,
    &cli_entry_conflicts, &cli_entry_agent, &cli_entry_today, &cli_entry_agenda, &cli_entry_remind,
    &cli_entry_callbacks, &cli_entry_done, &cli_entry_dump, &cli_entry_add, &cli_entry_edit,
    &cli_entry_delete, &cli_entry_restore, &cli_entry_show, &cli_entry_list, &cli_entry_search,
    &cli_entry_import, &cli_entry_duplicates, &cli_entry_merge, &cli_entry_export, &cli_entry_field,
    &cli_entry_section, &cli_entry_group, &cli_entry_admin, &cli_entry_report, &cli_entry_status,
    &cli_entry_outbox, &cli_entry_check, &cli_entry_reindex, &cli_entry_repair, &cli_entry_history,
    &cli_entry_template, &cli_entry_mail, &cli_entry_doc, &cli_entry_batch,
    &help_entry,
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static const cli_cmd *find_cmd(const char *name) {
  for (int i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i]->name, name) == 0) return commands[i];
  return NULL;
}

/* The (sub-)command being run: a usage error of its command shows its usage. */
static const cli_cmd *current;

/* The deepest sub-command of c that words[1..] name; *depth how many words
 * were taken. */
static const cli_cmd *descend(const cli_cmd *c, int n, char **words, int *depth) {
  *depth = 0;
  const cli_cmd *s;
  while (c->subs && *depth + 1 < n && (s = cli_cmd_sub(c, words[*depth + 1]))) {
    c = s;
    ++*depth;
  }
  return c;
}

/* An unknown command, with the nearest known one when there is one. */
static int unknown_command(const char *name) {
  const char *names[NCOMMANDS];
  for (int i = 0; i < NCOMMANDS; i++) names[i] = commands[i]->name;
  int near = kt_text_nearest(name, names, NCOMMANDS);
  if (near >= 0)
    return cli_usage(NULL, _("unknown command '%s'; did you mean '%s'?"), name, names[near]);
  return cli_usage(NULL, _("unknown command '%s'"), name);
}

int cli_usage(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "kartoteka: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  size_t len = cmd ? strlen(cmd) : 0;
  const cli_cmd *c = current && cmd && strncmp(current->name, cmd, len) == 0 &&
                             (current->name[len] == ' ' || current->name[len] == '\0')
                         ? current
                         : cmd ? find_cmd(cmd) : NULL;
  if (c) cli_cmd_usage(c, stderr);
  else fprintf(stderr, "%s\n", _("run `kartoteka help` for the list of commands"));
  return 2;
}

static int cmd_help(cli_ctx *ctx, int argc, char **argv) {
  (void)ctx;
  if (argc > 1) {
    const cli_cmd *c = find_cmd(argv[1]);
    if (!c) return unknown_command(argv[1]);
    int depth;
    c = descend(c, argc - 1, argv + 1, &depth);
    if (depth + 2 < argc) {
      current = c;
      return c->subs ? cli_cmd_no_sub(c, argc - 1 - depth, argv + 1 + depth)
                     : cli_usage(c->name, _("help: %s has no sub-command '%s'"), c->name,
                                 argv[depth + 2]);
    }
    cli_cmd_help(c);
    return 0;
  }
  printf("%s\n\n", _("Kartoteka — the office card index."));
  cli_cmd_usage(&global_entry, stdout);
  printf("\n");
  for (int i = 0; i < NCOMMANDS; i++)
    printf("  %-9s %s\n", commands[i]->name, _(commands[i]->summary));
  printf("\n%s\n%s\n%s\n",
         /* TRANSLATORS: the type names are typed as they are: keep them in English */
         _("Types: org contact task event note link deal group."),
         _("Profile: --profile DIR, else $KARTOTEKA_PROFILE, else ~/.local/share/kartoteka."),
         _("`kartoteka help COMMAND` shows a command's options."));
  return 0;
}

static char profile_buf[4096];

static const char *resolve_profile(const char *given) {
  if (given && *given) return given;
  const char *env = getenv("KARTOTEKA_PROFILE");
  if (env && *env) return env;
  char base[4000];
  kt_plat_data_dir(base, sizeof base);
  snprintf(profile_buf, sizeof profile_buf, "%s/kartoteka", base);
  return profile_buf;
}

int cli_run(const cli_ctx *base, int argc, char **argv) {
  cli_ctx ctx = {0};
  const char *profile = NULL;
  if (base) { /* a line of `batch`: the batch's global options, then the line's own */
    ctx.json = base->json;
    ctx.verbose = base->verbose;
    profile = base->profile;
  }
  current = NULL; /* nothing of the previous line's command */
  /* global options before the command (the one parser, over their table);
     --json may appear anywhere */
  cli_args g = cli_args_begin(&global_entry, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&g, &opt, &val)) == 1) {
    if (!opt && strcmp(val, "-v") == 0) opt = "--verbose";
    else if (!opt && strcmp(val, "-h") == 0) opt = "--help";
    if (!opt) { /* the command */
      g.i--;
      more = 0;
      break;
    }
    if (strcmp(opt, "--profile") == 0) profile = val;
    else if (strcmp(opt, "--json") == 0) ctx.json = true;
    else if (strcmp(opt, "--verbose") == 0) ctx.verbose = true;
    else if (strcmp(opt, "--help") == 0) return cmd_help(&ctx, 1, argv);
    else if (strcmp(opt, "--version") == 0) {
      printf("kartoteka 0.1\n");
      return 0;
    }
  }
  if (more) return more;
  int i = g.i;
  if (i >= argc) {
    cmd_help(&ctx, 1, argv);
    return 2;
  }
  const cli_cmd *c = find_cmd(argv[i]);
  if (!c) return unknown_command(argv[i]);
  /* strip --json from the command's own words */
  int n = 0;
  bool help = false;
  char **args = calloc((size_t)(argc - i + 1), sizeof *args);
  if (!args) return cli_failf("%s", _("out of memory"));
  for (int k = i; k < argc; k++) {
    if (strcmp(argv[k], "--json") == 0) ctx.json = true;
    else if (k > i && (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0)) help = true;
    else args[n++] = argv[k];
  }
  /* what programs read is the same in every language (titles keep "call …") */
  if (ctx.json) kt_i18n_registry_plain(true);
  /* the sub-command the words name (admin user add): its entry is checked and run */
  int depth;
  c = descend(c, n, args, &depth);
  if (help) {
    free(args);
    cli_cmd_help(c);
    return 0;
  }
  current = ctx.cmd = c;
  ctx.profile = resolve_profile(profile);
  kt_log_set_level(ctx.verbose ? KT_LOG_DEBUG : KT_LOG_WARN);
  /* a command's warnings are for the person at the terminal; the agent (and --verbose) log
     (set for every command: a line of `batch` gets no format from the line before) */
  kt_log_set_plain(!ctx.verbose && strcmp(c->name, "agent") != 0 ? "kartoteka" : NULL);
  /* every option is checked against the command's entry before it runs */
  int rc = cli_cmd_check_opts(c, n - depth, args + depth);
  const char *refused = base && rc == 0 ? cli_batch_refusal(c, n - depth, args + depth) : NULL;
  if (refused) rc = cli_usage(c->name, _("%s cannot run inside batch: %s"), c->name, _(refused));
  else if (rc == 0) rc = c->run ? c->run(&ctx, n - depth, args + depth)
                                : cli_cmd_no_sub(c, n - depth, args + depth);
  cli_ctx_close(&ctx); /* the card index the entry's store mode opened (cli_store) */
  free(args);
  current = NULL;
  return rc;
}

int main(int argc, char **argv) {
  /* the card index, keys and tokens are the user's alone; a server that closed
     the connection (a revoked device, a restart) is a write error with a
     message, not a silent death */
  kt_plat_process_init();
  /* messages in the PC's language; numbers and dates that programs read (JSON,
     CSV, mail headers, templates' dates) stay as the C locale writes them */
  kt_i18n_init(argc > 0 ? argv[0] : NULL, KARTOTEKA_LOCALEDIR);
  setlocale(LC_NUMERIC, "C");
  setlocale(LC_TIME, "C");
  return cli_run(NULL, argc, argv);
}
