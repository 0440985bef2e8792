/* cli_cmd — the option check and the help, both from a command's entry. */
#include <stdio.h>
#include <string.h>

#include "cli_cmd.h"
#include "kt_text.h"

enum { MAX_OPTS = 64 };

static const cli_opt *find_opt(const cli_cmd *c, const char *word, size_t len) {
  for (const cli_opt *o = c->opts; o && o->name; o++)
    if (strlen(o->name) == len && strncmp(o->name, word, len) == 0) return o;
  return NULL;
}

static int unknown_opt(const cli_cmd *c, const char *word) {
  const char *names[MAX_OPTS];
  int n = 0;
  for (const cli_opt *o = c->opts; o && o->name && n < MAX_OPTS; o++) names[n++] = o->name;
  int near = n ? kt_text_nearest(word, names, n) : -1;
  if (near >= 0)
    return cli_usage(c->name, "unknown option '%s' for %s; did you mean '%s'?", word, c->name,
                     names[near]);
  return cli_usage(c->name, "unknown option '%s' for %s", word, c->name);
}

cli_args cli_args_begin(const cli_cmd *c, int argc, char **argv) {
  return (cli_args){.cmd = c, .argc = argc, .argv = argv, .i = 1};
}

int cli_args_next(cli_args *a, const char **opt, char **val) {
  *opt = NULL;
  *val = NULL;
  if (a->i >= a->argc) return 0;
  char *w = a->argv[a->i++];
  if (strncmp(w, "--", 2) != 0 || w[2] == '\0') { /* a positional word */
    *val = w;
    return 1;
  }
  char *eq = strchr(w, '=');
  const cli_opt *o = find_opt(a->cmd, w, eq ? (size_t)(eq - w) : strlen(w));
  if (!o || (eq && !o->arg)) return unknown_opt(a->cmd, w);
  *opt = o->name;
  if (!o->arg) return 1;
  if (eq) {
    *val = eq + 1;
    return 1;
  }
  if (a->i >= a->argc)
    return cli_usage(a->cmd->name, "%s needs a value: %s %s", o->name, o->name, o->arg);
  *val = a->argv[a->i++]; /* the value, whatever it looks like */
  return 1;
}

int cli_cmd_check_opts(const cli_cmd *c, int argc, char **argv) {
  cli_args a = cli_args_begin(c, argc, argv);
  const char *opt;
  char *val;
  int rc;
  while ((rc = cli_args_next(&a, &opt, &val)) == 1) {
  }
  return rc;
}

void cli_cmd_help(const cli_cmd *c) {
  printf("usage: kartoteka %s\n  %s\n", c->usage, c->summary);
  if (c->opts && c->opts->name) {
    int width = 0; /* the options' help in one column */
    for (const cli_opt *o = c->opts; o->name; o++) {
      int w = (int)strlen(o->name) + (o->arg ? 1 + (int)strlen(o->arg) : 0);
      if (w > width) width = w;
    }
    printf("options:\n");
    for (const cli_opt *o = c->opts; o->name; o++) {
      char head[128];
      snprintf(head, sizeof head, "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
      printf("  %-*s  %s\n", width, head, o->help);
    }
  }
  if (c->more_help) c->more_help();
}
