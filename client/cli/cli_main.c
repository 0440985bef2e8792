/* cli_main — `kartoteka`: global options, the command table, dispatch. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kt_log.h"
#include "kt_plat.h"
#include "kt_text.h"

static int cmd_help(cli_ctx *ctx, int argc, char **argv);

static const cli_cmd commands[] = {
    {"init", cli_cmd_init, "init --local [--user NAME] [--demo [--seed N]]",
     "create a standalone card index (--demo: filled with a realistic demo office)"},
    {"demo", cli_cmd_demo, "demo [--seed N]",
     "fill an empty card index with the demo office (a few hundred clients, three years of deals)"},
    {"connect", cli_cmd_connect,
     "connect --invite INVITE [--password-file F] [--device-name NAME] [--upload]",
     "join the office server with an invite from the administrator"},
    {"login", cli_cmd_login, "login [--password-file F]", "log in again with your password"},
    {"sync", cli_cmd_sync, "sync [--watch] [--json]",
     "send this PC's changes to the office server and receive the others'"},
    {"conflicts", cli_cmd_conflicts, "conflicts [--json]",
     "edits that lost to a colleague's simultaneous edit of the same field"},
    {"agent", cli_cmd_agent, "agent [--verbose]",
     "stay connected in the background: live sync and your reminders as notifications"},
    {"today", cli_cmd_today, "today [--json]", "today's events and tasks, overdue tasks, birthdays"},
    {"agenda", cli_cmd_agenda, "agenda [--from D] [--to D] [--user U] [--json]",
     "the diary for a period (default: the next 7 days); recurring items expanded"},
    {"remind", cli_cmd_remind, "remind list [--json] · remind dismiss ID · remind snooze ID [--for 10m|30s] · remind days N · "
     "remind snooze-time [10m|30s]",
     "your reminders (dismissing here stops them on your other PCs too)"},
    {"callbacks", cli_cmd_callbacks, "callbacks [--user U] [--json]",
     "calls to make: planned calls due today or overdue, with the client's phone"},
    {"done", cli_cmd_done, "done ID [--result R] [--comment TEXT] [--call-back WHEN] [--json]",
     "record what happened: the event or task is done; a call back plans the next call"},
    {"dump", cli_cmd_dump, "dump", "canonical dump of the card index (for support)"},
    {"add", cli_cmd_add, "add TYPE --set FIELD=VALUE ... [--json]", "add a card; prints its id"},
    {"edit", cli_cmd_edit,
     "edit ID --set FIELD=VALUE ... · edit TYPE --where FIELD=VALUE ... --set FIELD=VALUE ... "
     "[--dry-run] [--json]",
     "change fields of a card, or of every card that matches (needs the mass_update right)"},
    {"delete", cli_cmd_delete, "delete ID", "move a card to the trash"},
    {"restore", cli_cmd_restore, "restore ID", "bring a card back from the trash"},
    {"show", cli_cmd_show, "show ID [--json] · show ID --timeline [--oldest-first] [--json]",
     "show a card with its related cards; --timeline: its events, tasks, deals, notes by date"},
    {"list", cli_cmd_list,
     "list TYPE [--where FIELD=VALUE|FIELD~TEXT|FIELD<V|FIELD>V ...] [--sort FIELD] [--desc]\n"
     "          [--limit N] [--offset N] [--fields F,F] [--trash] [--json]",
     "list cards of a section"},
    {"search", cli_cmd_search, "search TEXT [--type TYPE] [--limit N] [--trash] [--json]",
     "find cards by words, name prefixes or phone digits"},
    {"import", cli_cmd_import,
     "import [csv|text|xlsx|ods|vcard|ical] FILE [--type TYPE] [--map COLUMN=FIELD ...]\n"
     "          [--encoding E] [--delimiter D] [--sheet S] [--on-duplicate skip|update|create]\n"
     "          [--create-missing] [--dry-run] [--skip-bad-rows] [--strict] [--force] [--json]",
     "add cards from a file (format, encoding, delimiter and columns detected); all rows or none"},
    {"duplicates", cli_cmd_duplicates, "duplicates [--type org|contact] [--json]",
     "likely duplicate clients (same phone, e-mail, tax id, name in the same city)"},
    {"merge", cli_cmd_merge, "merge KEEP OTHER [--take FIELD,...]",
     "merge two cards of one client: OTHER's related cards move to KEEP, OTHER to the trash"},
    {"export", cli_cmd_export,
     "export csv|xlsx|ods|vcard|ical|html|text FILE --type TYPE [--where ...] [--sort FIELD]\n"
     "          [--desc] [--fields F,F] · export FORMAT FILE --id ID (one card; html: with its related)",
     "write cards to a file for Excel, LibreOffice, phones, calendars or print (needs the export "
     "right; the server records it)"},
    {"field", cli_cmd_field,
     "field add TYPE --name N --label L --type text|longtext|number|int|money|date|datetime|"
     "choice|phone|email|url|bool [--choices a,b]\n"
     "          field label TYPE NAME --label L · field choices TYPE NAME --choices code=Label,b\n"
     "          field hide|show TYPE NAME · field list TYPE [--json]\n"
     "          field yearly TYPE NAME on|off   (a client's date reminded every year)",
     "custom fields, labels and choice lists"},
    {"section", cli_cmd_section,
     "section rename TYPE --label L · section hide|show TYPE · section list [--json]",
     "rename or hide sections"},
    {"group", cli_cmd_group, "group add NAME [--parent P] · group list [--json]",
     "groups and departments (a tree)"},
    {"admin", cli_cmd_admin,
     "admin user add|passwd|disable|enable|role|birthday|list [NAME] [--role R] [--group G]\n"
     "          [--password-file F] [--birthday YYYY-MM-DD|none] [--json]\n"
     "          admin role list|set [NAME] [--from ROLE] [--rights TEXT] [--json]\n"
     "          admin device list [--json] · admin device revoke ID\n"
     "          admin invite USER [--address HOST:PORT] [--hours N]\n"
     "          admin handover --from USER --to USER [--where FIELD=VALUE ...] [--with-tasks]\n"
     "          [--dry-run] [--json]",
     "manage users, roles and devices from this PC (administrators)"},
    {"report", cli_cmd_report,
     "report period|activity|lapsed|vip|abc|rfm|funnel|managers [options] [--json | --csv]",
     "client analytics: who buys, who is drifting away, VIPs, ABC, RFM, funnel, managers"},
    {"status", cli_cmd_status, "status [--json]",
     "profile, user, unsent changes and those the server refused"},
    {"outbox", cli_cmd_outbox, "outbox list [--json] · outbox drop ID|--all-refused",
     "the changes waiting to be sent; drop one (the card goes back to the server's copy)"},
    {"check", cli_cmd_check, "check [--json]",
     "is this card index sound? (the file, every value, required fields, references)"},
    {"reindex", cli_cmd_reindex, "reindex", "rebuild the search index"},
    {"repair", cli_cmd_repair, "repair [--password-file F]",
     "rebuild a damaged card index: from the office server (keeping this PC's enrollment and "
     "unsent changes), a standalone one from its newest good backup"},
    {"history", cli_cmd_history, "history ID [--field F] [--limit N] [--json]",
     "who changed what on a card, from which PC, when (the office server's record; offline: "
     "this PC's unsent changes)"},

    {"template", cli_cmd_template,
     "template add --name N [--subject S] --body-file F [--html-file F] [--kind mail|doc] · "
     "template list [--json] · template show NAME [--json] · template edit NAME [--name NEW] "
     "[--subject S] [--body-file F] [--html-file F | --no-html]",
     "letter templates with {{org.name}}-style placeholders (synced)"},
    {"mail", cli_cmd_mail,
     "mail config [--smtp smtp://HOST:PORT|smtps://HOST:PORT] [--starttls] [--user U] "
     "[--from ADDRESS] [--days N] · mail password [--password-file F] [--ca-file F] [--clear] · "
     "mail send --template T --to org|contact [--where F=V ...] [--attach FILE ...] "
     "[--dry-run DIR] [--rate N/min] [--timeout S] · mail resume [--abandon]",
     "mailings from a template: one personal letter per card, recorded on its timeline"},
    {"doc", cli_cmd_doc,
     "doc fill --template FILE.odt|FILE.docx (--id ID --out FILE | --to org|contact "
     "[--where F=V ...] --out-dir DIR)",
     "fill an ODT/DOCX template with a card's data (recorded on the card's timeline)"},
    {"help", cmd_help, "help [COMMAND]", "this help"},
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

/* commands whose --help says more than their usage line */
static void more_help(const cli_cmd *c) {
  if (strcmp(c->name, "report") == 0) cli_report_help();
}

static const cli_cmd *find_cmd(const char *name) {
  for (int i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

/* An unknown command, with the nearest known one when there is one. */
static int unknown_command(const char *name) {
  const char *names[NCOMMANDS];
  for (int i = 0; i < NCOMMANDS; i++) names[i] = commands[i].name;
  int near = kt_text_nearest(name, names, NCOMMANDS);
  if (near >= 0) return cli_usage(NULL, "unknown command '%s'; did you mean '%s'?", name, names[near]);
  return cli_usage(NULL, "unknown command '%s'", name);
}

int cli_usage(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "kartoteka: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  const cli_cmd *c = cmd ? find_cmd(cmd) : NULL;
  if (c) fprintf(stderr, "usage: kartoteka %s\n", c->usage);
  else fprintf(stderr, "run `kartoteka help` for the list of commands\n");
  return 2;
}

static int cmd_help(cli_ctx *ctx, int argc, char **argv) {
  (void)ctx;
  if (argc > 1) {
    const cli_cmd *c = find_cmd(argv[1]);
    if (!c) return unknown_command(argv[1]);
    printf("usage: kartoteka %s\n  %s\n", c->usage, c->summary);
    more_help(c);
    return 0;
  }
  printf("Kartoteka — the office card index.\n\n"
         "usage: kartoteka [--profile DIR] [--json] [--verbose] COMMAND ...\n\n");
  for (int i = 0; i < NCOMMANDS; i++) printf("  %-9s %s\n", commands[i].name, commands[i].summary);
  printf("\nTypes: org contact task event note link deal group.\n"
         "Profile: --profile DIR, else $KARTOTEKA_PROFILE, else ~/.local/share/kartoteka.\n"
         "`kartoteka help COMMAND` shows a command's options.\n");
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

int main(int argc, char **argv) {
  /* the card index, keys and tokens are the user's alone; a server that closed
     the connection (a revoked device, a restart) is a write error with a
     message, not a silent death */
  kt_plat_process_init();
  cli_ctx ctx = {0};
  const char *profile = NULL;
  /* global options before the command; --json may appear anywhere */
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--profile") == 0) {
      if (i + 1 >= argc) return cli_usage(NULL, "--profile needs a directory");
      profile = argv[++i];
    } else if (strncmp(argv[i], "--profile=", 10) == 0) {
      profile = argv[i] + 10;
    } else if (strcmp(argv[i], "--json") == 0) {
      ctx.json = true;
    } else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
      ctx.verbose = true;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      return cmd_help(&ctx, 1, argv);
    } else if (strcmp(argv[i], "--version") == 0) {
      printf("kartoteka 0.1\n");
      return 0;
    } else {
      break;
    }
  }
  if (i >= argc) {
    cmd_help(&ctx, 1, argv);
    return 2;
  }
  const cli_cmd *c = find_cmd(argv[i]);
  if (!c) return unknown_command(argv[i]);
  /* strip --json from the command's own words */
  int n = 0;
  char **args = calloc((size_t)(argc - i + 1), sizeof *args);
  if (!args) return cli_failf("out of memory");
  for (int k = i; k < argc; k++) {
    if (strcmp(argv[k], "--json") == 0) ctx.json = true;
    else if (k > i && (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0)) {
      free(args);
      printf("usage: kartoteka %s\n  %s\n", c->usage, c->summary);
      more_help(c);
      return 0;
    } else args[n++] = argv[k];
  }
  ctx.profile = resolve_profile(profile);
  kt_log_set_level(ctx.verbose ? KT_LOG_DEBUG : KT_LOG_WARN);
  /* a command's warnings are for the person at the terminal; the agent (and --verbose) log */
  if (!ctx.verbose && strcmp(c->name, "agent") != 0) kt_log_set_plain("kartoteka");
  int rc = c->run(&ctx, n, args);
  free(args);
  return rc;
}
