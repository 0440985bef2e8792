/* cli_batch — `kartoteka batch [FILE|-]`: one command a line, each run by
 * cli_run as a separate invocation would run it (the same table, checks and
 * store modes; the card index opened and closed per line, so nothing stays
 * locked between lines and another process's writes are seen), followed on
 * stdout by a marker line "\x1e" STATUS and a flush, so that a program can
 * drive one process with many commands and read each answer to its marker.
 * Lines are split into words like a shell's (split_line). Nothing here keeps
 * state between lines but the line number and the overall status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_cmd.h"

/* The marker's first byte: ASCII RS (record separator), never in a command's
 * text output. */
#define BATCH_MARK '\x1e'

/* Splits line (NUL-terminated, no newline) in place into words, shell-like:
 * words are separated by spaces and tabs; '...' keeps everything up to the
 * next ' as it is; "..." too, except that a backslash before " \ $ ` takes
 * that character; outside quotes a backslash takes the next character as it
 * is; pieces next to each other make one word ("" alone: an empty word); an
 * unquoted # at the start of a word begins a comment. words needs room for
 * strlen(line) / 2 + 1 pointers (a word and its separator take two bytes).
 * Returns the number of words (0: a blank or comment line), or -1 with *why
 * a static message (an unclosed quote, a backslash at the end). */
static int split_line(char *line, char **words, const char **why) {
  char *r = line, *w = line; /* the text is only ever shortened: w <= r */
  int n = 0;
  for (;;) {
    while (*r == ' ' || *r == '\t') r++;
    if (*r == '\0' || *r == '#') return n;
    words[n++] = w;
    while (*r && *r != ' ' && *r != '\t') {
      if (*r == '\'') {
        char *end = strchr(r + 1, '\'');
        if (!end) {
          *why = N_("a single quote (') is not closed");
          return -1;
        }
        size_t len = (size_t)(end - r - 1);
        memmove(w, r + 1, len);
        w += len;
        r = end + 1;
      } else if (*r == '"') {
        for (r++; *r != '"'; r++) {
          if (*r == '\0') {
            *why = N_("a double quote (\") is not closed");
            return -1;
          }
          if (*r == '\\' && r[1] && strchr("\"\\$`", r[1])) r++;
          *w++ = *r;
        }
        r++;
      } else if (*r == '\\') {
        if (r[1] == '\0') {
          *why = N_("the line ends with a backslash (lines do not continue)");
          return -1;
        }
        *w++ = r[1];
        r += 2;
      } else {
        *w++ = *r++;
      }
    }
    /* the word's end: the separator (or the line's NUL) is at r >= w, already read */
    if (*r) r++;
    *w++ = '\0';
  }
}

const char *cli_batch_refusal(const cli_cmd *c, int argc, char **argv) {
  if (c == &cli_entry_batch) return N_("a batch does not start another batch");
  if (c == &cli_entry_agent) return N_("the agent runs until it is stopped; start it on its own");
  cli_args a = cli_args_begin(c, argc, argv);
  const char *opt;
  char *val;
  while (cli_args_next(&a, &opt, &val) == 1) {
    if (c == &cli_entry_sync && opt && strcmp(opt, "--watch") == 0)
      return N_("sync --watch runs until it is stopped; start it on its own (plain sync works)");
    if (opt && strcmp(opt, "--password-file") == 0 && val && strcmp(val, "-") == 0)
      return N_("standard input is the batch's; give the password in a file");
  }
  return NULL;
}

/* The line's status after its own output: the marker line, flushed. */
static void mark(int rc) {
  fflush(stderr);
  printf("%c%d\n", BATCH_MARK, rc);
  fflush(stdout);
}

static int cmd_batch(cli_ctx *ctx, int argc, char **argv) {
  if (argc > 2) return cli_usage("batch", _("give one file of commands (or - for standard input)"));
  const char *path = argc == 2 ? argv[1] : "-";
  bool from_stdin = strcmp(path, "-") == 0;
  FILE *in = from_stdin ? stdin : fopen(path, "r");
  if (!in) return cli_failf(_("cannot read %s: %s"), path, strerror(errno));
  char *line = NULL, **words = NULL;
  size_t cap = 0, wcap = 0;
  long lineno = 0;
  int status = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, in)) >= 0) {
    lineno++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    size_t need = (size_t)len / 2 + 3; /* the words, the program's slot, the NULL */
    if (need > wcap) {
      char **nw = realloc(words, need * sizeof *nw);
      if (!nw) {
        status = cli_failf(_("batch: line %ld: out of memory"), lineno);
        break;
      }
      words = nw;
      wcap = need;
    }
    const char *why = NULL;
    int n = split_line(line, words + 1, &why);
    if (n == 0) continue; /* blank or a comment: nothing runs, no marker */
    int rc;
    if (n < 0) { /* a usage error of that line, without batch's usage */
      cli_failf(_("batch: line %ld: %s"), lineno, _(why));
      rc = 2;
    } else {
      words[0] = "kartoteka";
      words[n + 1] = NULL;
      rc = cli_run(ctx, n + 1, words);
    }
    if (rc) status = 1;
    mark(rc);
  }
  if (ferror(in)) status = cli_failf(_("batch: reading %s failed after line %ld"), path, lineno);
  free(words);
  free(line);
  if (!from_stdin) fclose(in);
  return status;
}

/* ---- the command table's entry ---- */
static void batch_help(void) {
  printf("%s", _("Each line is one command as it would follow `kartoteka` (global options may\n"
         "come first: --profile, --json, -v; those given before `batch` apply to every\n"
         "line). Words are split as a shell splits them: '...' and \"...\" quote,\n"
         "a backslash takes the next character, an unquoted # begins a comment; blank\n"
         "and comment lines run nothing and print nothing.\n"
         "After each command's output, stdout gets one marker line: the byte 0x1e\n"
         "(ASCII RS) and the command's exit status (0, 1, 2), flushed; stderr is\n"
         "as usual. A line that cannot be split (an unclosed quote) says so with its\n"
         "number on stderr and has status 2. The card index is opened and closed by\n"
         "each command, as by separate invocations. batch, agent, sync --watch and\n"
         "--password-file - are refused (status 2). The batch goes on after a failed\n"
         "line; at the end of the input its exit status is 0 when every line\n"
         "succeeded, else 1.\n"));
}

const cli_cmd cli_entry_batch = {
    .name = "batch",
    .run = cmd_batch,
    .usage = "batch [FILE|-]",
    .summary = N_("run commands read from a file or stdin, one a line, in one process"),
    .store = CLI_STORE_NONE,
    .more_help = batch_help,
};
