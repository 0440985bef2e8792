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
    return cli_usage(c->name, _("unknown option '%s' for %s; did you mean '%s'?"), word, c->name,
                     names[near]);
  return cli_usage(c->name, _("unknown option '%s' for %s"), word, c->name);
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
    return cli_usage(a->cmd->name, _("%s needs a value: %s %s"), o->name, o->name, o->arg);
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

/* The word a (sub-)command is typed as: the last of its path. */
static const char *word_of(const cli_cmd *c) {
  const char *sp = strrchr(c->name, ' ');
  return sp ? sp + 1 : c->name;
}

const cli_cmd *cli_cmd_sub(const cli_cmd *c, const char *word) {
  for (const cli_cmd *const *s = c->subs; s && *s; s++)
    if (strcmp(word_of(*s), word) == 0) return *s;
  return NULL;
}

void cli_cmd_usage(const cli_cmd *c, FILE *f) {
  if (c->usage) {
    /* TRANSLATORS: %s is the command's synopsis, the words as typed */
    fprintf(f, _("usage: kartoteka %s"), c->usage);
    fputc('\n', f);
    return;
  }
  char syn[512]; /* generated from the sub-commands */
  size_t n = (size_t)snprintf(syn, sizeof syn, "%s ", c->name);
  for (const cli_cmd *const *s = c->subs; s && *s && n < sizeof syn; s++)
    n += (size_t)snprintf(syn + n, sizeof syn - n, "%s%s", s == c->subs ? "" : "|", word_of(*s));
  if (n < sizeof syn) snprintf(syn + n, sizeof syn - n, " ...");
  fprintf(f, _("usage: kartoteka %s"), syn);
  fputc('\n', f);
}

int cli_cmd_no_sub(const cli_cmd *c, int argc, char **argv) {
  const char *names[MAX_OPTS];
  int n = 0;
  for (const cli_cmd *const *s = c->subs; s && *s && n < MAX_OPTS; s++) names[n++] = word_of(*s);
  if (argc < 2) return cli_usage(c->name, _("%s what? see the usage below"), c->name);
  int near = n ? kt_text_nearest(argv[1], names, n) : -1;
  if (near >= 0)
    return cli_usage(c->name, _("unknown sub-command '%s' for %s; did you mean '%s'?"), argv[1],
                     c->name, names[near]);
  return cli_usage(c->name, _("unknown sub-command '%s' for %s"), argv[1], c->name);
}

/* Every sub-command under c down to the ones that run: usage and summary. */
static void help_subs(const cli_cmd *c) {
  for (const cli_cmd *const *s = c->subs; s && *s; s++) {
    if ((*s)->subs) {
      help_subs(*s);
      continue;
    }
    printf("  %s\n      %s\n", (*s)->usage, _((*s)->summary));
  }
}

void cli_cmd_help(const cli_cmd *c) {
  cli_cmd_usage(c, stdout);
  printf("  %s\n", _(c->summary));
  if (c->opts && c->opts->name) {
    int width = 0; /* the options' help in one column */
    for (const cli_opt *o = c->opts; o->name; o++) {
      int w = (int)strlen(o->name) + (o->arg ? 1 + (int)strlen(o->arg) : 0);
      if (w > width) width = w;
    }
    printf("%s\n", _("options:"));
    for (const cli_opt *o = c->opts; o->name; o++) {
      char head[128];
      snprintf(head, sizeof head, "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
      printf("  %-*s  %s\n", width, head, _(o->help));
    }
  }
  if (c->more_help) c->more_help();
  if (c->subs) {
    printf(_("commands (`kartoteka help %s ...` for one):"), c->name);
    putchar('\n');
    help_subs(c);
  }
}
