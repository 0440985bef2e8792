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

int cli_cmd_check_opts(const cli_cmd *c, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *w = argv[i];
    if (strncmp(w, "--", 2) != 0 || w[2] == '\0') continue; /* a positional word */
    const char *eq = strchr(w, '=');
    const cli_opt *o = find_opt(c, w, eq ? (size_t)(eq - w) : strlen(w));
    if (!o || (eq && !o->arg)) return unknown_opt(c, w);
    if (o->arg && !eq) {
      if (i + 1 >= argc) return cli_usage(c->name, "%s needs a value: %s %s", o->name, o->name, o->arg);
      i++; /* the value, whatever it looks like */
    }
  }
  return 0;
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
