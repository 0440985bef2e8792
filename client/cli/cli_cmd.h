/* cli_cmd — the command entries and what is generated from them: the option
 * check every command gets before it runs, and its help. Runs on the main
 * thread; nothing here allocates. */
#ifndef CLI_CMD_H
#define CLI_CMD_H

#include <stdio.h>

#include "cli.h"

/* Checks a command's words (argv[0] = command name, global options already
 * taken out) against its declared options: a word starting with "--" must be
 * one of them (or "--opt=VALUE" for one that takes a value), and an option
 * that takes a value must have one. 0 when they pass; otherwise prints a usage
 * error naming the option (with the nearest declared one) and returns 2.
 * Positional words are the command's own business. */
int cli_cmd_check_opts(const cli_cmd *c, int argc, char **argv);

/* The one option parser: walks a command's words (argv[0] = its name) in
 * order, knowing from the entry which options take a value. */
typedef struct cli_args {
  const cli_cmd *cmd;
  int argc;
  char **argv;
  int i; /* the next word */
} cli_args;
/* Starts at argv[1]. */
cli_args cli_args_begin(const cli_cmd *c, int argc, char **argv);
/* The next word: 1 with *opt the option's declared name and *val its value
 * (NULL for a flag; "--opt=VALUE" too), or 1 with *opt NULL and *val a
 * positional word (one not starting with "--"); 0 at the end; 2 after a usage
 * error naming an unknown option or one without its value (printed).
 * Pointers are into argv (a command may split a value in place) and the entry. */
int cli_args_next(cli_args *a, const char **opt, char **val);

/* c's sub-command typed as word; NULL when none. */
const cli_cmd *cli_cmd_sub(const cli_cmd *c, const char *word);
/* A command of sub-commands given none or an unknown one (argv[1]): the
 * usage error, with the nearest sub-command; returns 2. */
int cli_cmd_no_sub(const cli_cmd *c, int argc, char **argv);
/* Prints "usage: kartoteka ..." and a newline to f: the entry's usage, or
 * for a command of sub-commands without one, generated from them. */
void cli_cmd_usage(const cli_cmd *c, FILE *f);

/* Prints a command's help to stdout: usage, summary, its options with their
 * one-line help, then more_help, then (a command of sub-commands) every
 * sub-command's usage and summary. `help NAME ...` and `NAME ... --help`
 * both use it. */
void cli_cmd_help(const cli_cmd *c);

/* Runs one command line as `kartoteka` does (cli_main.c): argv[0] is the
 * program's name (skipped), then the global options, the command and its
 * words (modified in place). base NULL: the process's own command line;
 * otherwise a line of `batch`, whose global options (profile, json,
 * verbose) come first and the line's own after them, and which refuses
 * what cli_batch_refusal refuses. The card index the command's entry
 * declares is opened and closed within the call; nothing of one call is
 * left for the next. Returns the exit status (0, 1, 2: cli.h). */
int cli_run(const cli_ctx *base, int argc, char **argv);
/* Why a (sub-)command with its words (argv[0] = its word, options checked)
 * cannot run as a line of `batch` (cli_batch.c): a static reason, or NULL
 * when it can. */
const char *cli_batch_refusal(const cli_cmd *c, int argc, char **argv);

/* the entries, one per command, each in its command's file */
extern const cli_cmd cli_entry_init, cli_entry_demo, cli_entry_connect, cli_entry_login,
    cli_entry_sync, cli_entry_conflicts, cli_entry_agent, cli_entry_today, cli_entry_agenda,
    cli_entry_remind, cli_entry_callbacks, cli_entry_done, cli_entry_dump, cli_entry_add,
    cli_entry_edit, cli_entry_delete, cli_entry_restore, cli_entry_show, cli_entry_list,
    cli_entry_search, cli_entry_import, cli_entry_duplicates, cli_entry_merge, cli_entry_export,
    cli_entry_field, cli_entry_section, cli_entry_group, cli_entry_admin, cli_entry_report,
    cli_entry_status, cli_entry_outbox, cli_entry_check, cli_entry_reindex, cli_entry_repair,
    cli_entry_history, cli_entry_template, cli_entry_mail, cli_entry_doc, cli_entry_batch;

#endif
