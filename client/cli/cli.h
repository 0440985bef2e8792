/* cli — the `kartoteka` command-line front end. Every subcommand is one file
 * cli_<command>.c that declares its entry (cli_cmd: options, usage, store
 * mode; cli_cmd.h), which cli_main.c's table only orders; its options are
 * checked against the entry before it runs, and it calls the cl_* client
 * library (no SQL, no business rules here).
 * Exit status: 0 ok, 1 error (message on stderr), 2 usage error.
 * Language: what people read (help, errors, notes, headings) is translated
 * with gettext (_(), N_() for static tables, translated where printed; the
 * catalogues are the desktop app's, po/); what programs read (--json, ids,
 * field, command and option names, the lines scripts parse) never is. */
#ifndef CLI_H
#define CLI_H

#include <libintl.h>
#include <stdbool.h>

#include "cl_store.h"
#include "kt_buf.h"
#include "kt_err.h"
#include "kt_table.h"
#include "kt_json.h"

/* What a command does with the profile's card index, declared by its entry:
 * NONE: it opens nothing through cli_store (init, connect, repair, agent make
 * or mend the profile, or run the client core); READ: a read-only connection
 * (cl_reader: writes fail, a read-only file is fine); WRITE: read-write. */
typedef enum cli_store_mode { CLI_STORE_NONE, CLI_STORE_READ, CLI_STORE_WRITE } cli_store_mode;

/* gettext: _() translates at the call; N_() marks a static initialiser's
 * string for xgettext (tools/make_pot.sh), translated with _() where printed. */
#define _(s) gettext(s)
#define N_(s) (s)

struct cli_cmd;
struct cl_reader;
typedef struct cli_ctx {
  const char *profile; /* profile dir (resolved) */
  bool json;           /* --json anywhere on the command line */
  bool verbose;
  const char *locale;
  const struct cli_cmd *cmd; /* the (sub-)command's entry being run (cli_main) */
  /* the profile's card index in cmd->store's mode: opened by the first
     cli_store / cli_reader call, closed by cli_main after the command */
  cl_store *store;
  struct cl_reader *reader; /* READ: the reader whose store is `store` */
} cli_ctx;

/* One option a command accepts: "--limit" with a value "N", or a flag (arg
 * NULL). A command's list ends with {0}. */
typedef struct cli_opt {
  const char *name;
  const char *arg;
  const char *help; /* one line, N_(): translated where printed */
} cli_opt;

/* The --json option as every entry that prints JSON lists it (cli_main takes
 * --json out of the words anywhere: it is for the help). */
#define CLI_OPT_JSON {"--json", NULL, N_("print JSON for programs instead of text for people")}

/* A command's entry: each cli_<command>.c declares its own (cli_entry_NAME,
 * listed in cli_cmd.h); cli_main.c's table only orders them. The options are
 * checked (cli_cmd_check_opts) before run is called, and `help NAME` /
 * `NAME --help` are printed from the entry (cli_cmd_help).
 * A command made of sub-commands (admin, field, mail, template ...) lists
 * them in subs, entries of the same kind whose name is the whole path
 * ("admin user add"; the last word is the one typed); the deepest one the
 * words name is checked and run, with argv[0] its own word. */
typedef struct cli_cmd {
  const char *name;
  int (*run)(cli_ctx *ctx, int argc, char **argv); /* argv[0] = (sub-)command word */
  const char *usage;   /* the words as typed: never translated */
  const char *summary; /* N_(): translated where printed */
  cli_store_mode store;
  const cli_opt *opts;     /* every option the command accepts; NULL: none */
  void (*more_help)(void); /* printed after the options (NULL: nothing) */
  const struct cli_cmd *const *subs; /* sub-commands, NULL-terminated; NULL: none */
} cli_cmd;

/* Prints "kartoteka: MESSAGE" to stderr and returns 1. */
int cli_fail(const kt_err *err);
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: prints the message and the command's usage, returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Path of the replica database in the profile (static buffer per call site). */
void cli_db_path(const cli_ctx *ctx, char *out, size_t outsz);
/* The profile's card index in the mode the running entry declares
 * (ctx->cmd->store), opened on the first call and then the same: READ a
 * read-only reader's store, WRITE read-write. NULL after the error is
 * printed (also for an entry that declares NONE). Owned by ctx: cli_main
 * closes it after the command (cli_ctx_close); commands never close it. */
cl_store *cli_store(cli_ctx *ctx);
/* A READ entry's reader (cl_reader over the same connection as cli_store);
 * NULL after the error is printed (also for a WRITE or NONE entry). */
struct cl_reader *cli_reader(cli_ctx *ctx);
/* Closes what cli_store / cli_reader opened. */
void cli_ctx_close(cli_ctx *ctx);

/* Opens the profile's store (error printed; returns NULL): for the NONE
 * commands that make or mend the profile; the others use cli_store. A standalone
 * profile opened for writing makes its daily backup first (cli_backup_due). */
cl_store *cli_open(const cli_ctx *ctx, bool readonly);
/* Opens the profile's card index read-only (cl_reader) (error printed;
 * returns NULL): cli_store / cli_reader of a READ entry use it. A card index from an older
 * version is first upgraded by opening it for writing once. A standalone
 * profile makes its daily backup first, as with cli_open. */
struct cl_reader *cli_open_reader(const cli_ctx *ctx);

/* Starts the client core (cl_client) on the profile for a long-running front
 * end (agent, sync --watch): opts' profile, locale and busy time are filled
 * in; the error is printed as cli_open prints it (returns NULL). */
struct cl_client_opts;
struct cl_client *cli_client_open(const cli_ctx *ctx, struct cl_client_opts *opts);
/* The standalone profile's daily backup when due (cl_backup_daily); a
 * failure is a warning on stderr, never an error of the command. */
void cli_backup_due(const cli_ctx *ctx);

/* Parses "--set FIELD=VALUE" style words into sets (pointers into argv,
 * modified in place). Returns count or -1 (error printed). */
int cli_parse_assign(const char *cmd, char *word, cl_set *out);

/* Record output. */
void cli_print_rec_json(kt_buf *out, const cl_rec *r, bool pretty_unused);
/* s (may be NULL): shows references as the referenced card's title. */
void cli_print_rec_human(cl_store *s, const cl_rec *r, bool all_fields);
/* A value as people read it: formatted; a reference as "Title" (the id when
 * the card is not on this PC or s is NULL). */
void cli_value_text(cl_store *s, const kt_mfield *f, const kt_value *v, kt_buf *out);
/* JSON array collector for list/search. */
typedef struct cli_list_out {
  const cli_ctx *ctx;
  kt_buf json;
  int count;
  const char **columns; /* human: extra columns */
  int ncolumns;
  cl_store *s; /* human: to show references by title (NULL: ids) */
} cli_list_out;
int cli_list_cb(void *ud, const cl_rec *r);
/* Ends a listing: rc (what the listing call returned) non-zero prints err and
 * returns 1; otherwise prints the JSON array (or "(nothing found)") and
 * returns 0. Frees o's buffer either way. */
int cli_list_finish(cli_list_out *o, int rc, const kt_err *err);

/* Prints one JSON object of string members to stdout: key, value, ..., NULL
 * (a NULL value is null). */
void cli_print_json_pairs(const char *key, ...);
/* kt_table_new with each column's head (N_() in the caller's table)
 * translated; the keys, which JSON uses, are kept. NULL when out of memory. */
kt_table *cli_table_new(const kt_table_col *cols, int ncols);
/* Prints a table (kt_table) to stdout: JSON or aligned for people. */
void cli_table_print(const kt_table *t, bool json);

/* subcommands */
/* Reads a password from a file ("-" = stdin) or asks on the terminal; 0 or 1
 * (message printed). */
int cli_read_password(const char *file, char *out, size_t n);

int cli_cmd_init(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_demo(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_check(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_add(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_edit(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_delete(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_restore(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_show(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_list(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_search(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_status(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_reindex(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_repair(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_connect(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_login(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_sync(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_conflicts(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_dump(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_agent(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_today(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_agenda(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_callbacks(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_done(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_import(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_export(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_duplicates(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_merge(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_history(cli_ctx *ctx, int argc, char **argv);
/* `show ID --timeline`: the card's events, tasks, deals, notes in date order
 * (cli_timeline.c); 0 or 1 (message printed). */
int cli_show_timeline(cli_ctx *ctx, cl_store *s, const cl_rec *card, bool oldest_first);
/* `admin handover --from U --to U ...` (cli_handover.c; argv[0] = "handover"). */
int cli_admin_handover(cli_ctx *ctx, int argc, char **argv);
/* `edit TYPE --where ... --set ...` (cli_mass.c): many cards at once. */
int cli_cmd_mass_edit(cli_ctx *ctx, int argc, char **argv);

/* One unsent change as a JSON object / as human lines (cli_outbox.c; `status`
 * shows the refused ones the same way). */
struct cl_outbox_entry;
struct kt_json;
void cli_outbox_entry_json(struct kt_json *j, const struct cl_outbox_entry *e);
void cli_outbox_entry_human(const struct cl_outbox_entry *e, const char *indent);
int cli_cmd_report(cli_ctx *ctx, int argc, char **argv);
void cli_report_help(void); /* the reports, after report's usage line */
/* `today`: the lapsed clients of the profile's user, printed (human) or as
 * objects of type "lapsed" into the array j (json); *count increased. When
 * they cannot be computed a warning says why (the diary is shown anyway). */
void cli_report_today(cl_store *s, const cli_ctx *ctx, kt_json *j, int *count);
/* `show`: the sales figures of a client card, printed after its fields, or
 * appended to json as an object (json != NULL). Nothing for other cards. */
void cli_report_card(cl_store *s, const cl_rec *r, kt_buf *json);

/* The query options shared by list, export, doc fill, mail send and mass
 * edit: --where F=V (repeatable), --sort F, --desc, for a word of the one
 * parser (cli_args_next): opt and its value (NULL for --desc). 1 when it
 * was one (where has room for one filter per word), 0 when not, -1 after a
 * usage message for a bad filter. */
int cli_query_word(const char *cmd, const char *opt, char *val, cl_query *q, cl_filter *where);
/* Splits "a,b,c" in place into at most max names; returns how many. */
int cli_split_columns(char *s, const char **cols, int max);

/* issue 19: templates, mailings, documents */
/* Reads a whole text file (no NUL bytes); NULL after printing why. Caller frees. */
char *cli_read_text_file(const char *path);

#endif
