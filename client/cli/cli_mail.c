/* cli_mail — `kartoteka mail config|password|send|resume`: the office's SMTP
 * settings (administrator), this PC's SMTP password, and mailings from a
 * template to the cards a query selects (cl_mail). One line per recipient on
 * stdout (sent, refused, unknown, skipped and why), then a summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_mail.h"
#include "cli.h"
#include "cli_cmd.h"

static const char *what_name(cl_mail_what w) {
  static const char *names[] = {"sent", "refused", "unknown", "written", "skipped", "skipped",
                                "skipped"};
  return (unsigned)w < sizeof names / sizeof names[0] ? names[w] : "?";
}

static void on_note(void *ud, cl_mail_what w, const char *title, const char *email,
                    const char *detail) {
  (void)ud;
  const char *why = w == CL_MAIL_NO_EMAIL ? _("no e-mail") : w == CL_MAIL_OPTED_OUT ? _("opted out")
                    : "";
  printf("%-8s %s%s%s%s", what_name(w), *title ? title : "?", *email ? " <" : "", email,
         *email ? ">" : "");
  if (*why || *detail) printf(": %s%s%s", why, *why && *detail ? ", " : "", detail);
  printf("\n");
  fflush(stdout);
}

static void summary(const cl_mail_sum *s) {
  printf(_("sent %d, refused %d, unknown %d, skipped %d"), s->sent, s->refused, s->unknown, s->skipped);
  if (s->written) printf(_(", written %d"), s->written);
  if (s->pending) printf(_(", waiting %d"), s->pending);
  printf("\n");
}

/* "N/min" or "N" -> messages per minute; -1 when bad. */
static int parse_rate(const char *s) {
  char *end;
  long n = strtol(s, &end, 10);
  if (end == s || n < 0 || n > 100000) return -1;
  if (*end && strcmp(end, "/min") != 0) return -1;
  return (int)n;
}

static int config(cli_ctx *ctx, int argc, char **argv) {
  const char *smtp = NULL, *user = NULL, *from = NULL;
  int starttls = -1, days = -1;
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *o;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &o, &val)) == 1) {
    if (o && strcmp(o, "--smtp") == 0) smtp = val;
    else if (o && strcmp(o, "--starttls") == 0) starttls = 1;
    else if (o && strcmp(o, "--no-starttls") == 0) starttls = 0;
    else if (o && strcmp(o, "--user") == 0) user = val;
    else if (o && strcmp(o, "--from") == 0) from = val;
    else if (o && strcmp(o, "--days") == 0) {
      char *end;
      days = (int)strtol(val, &end, 10);
      if (*end || days < 0) return cli_usage("mail", _("--days is a number of days (0: no limit)"));
    } else return cli_usage("mail", _("mail config: unknown option '%s'"), o ? o : val);
  }
  if (more) return more;
  bool change = smtp || user || from || starttls >= 0 || days >= 0;
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc = change ? cl_mail_settings_set(s, smtp, starttls, user, from, days, &err) : 0;
  cl_mail_settings cfg;
  if (!rc) rc = cl_mail_settings_get(s, &cfg, &err);
  if (!rc) {
    if (ctx->json) {
      char d[16];
      snprintf(d, sizeof d, "%d", cfg.days);
      cli_print_json_pairs("smtp", cfg.smtp, "starttls", cfg.starttls ? "yes" : "no", "user",
                           cfg.login, "from", cfg.sender, "days", d, NULL);
    } else {
      printf(_("SMTP server: %s%s\nUser:        %s\nFrom:        %s\nDays between mailings: %d\n"),
             cfg.smtp, cfg.starttls ? " (STARTTLS)" : "", *cfg.login ? cfg.login : _("(no login)"),
             cfg.sender, cfg.days);
    }
  }
  return rc ? cli_fail(&err) : 0;
}

static int password(cli_ctx *ctx, int argc, char **argv) {
  const char *file = NULL, *ca = NULL;
  bool clear = false;
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--password-file") == 0) file = val;
    else if (opt && strcmp(opt, "--ca-file") == 0) ca = val;
    else if (opt && strcmp(opt, "--clear") == 0) clear = true;
    else return cli_usage("mail", _("mail password: unknown option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  char pw[512] = "";
  if (!clear && (file || !ca) && cli_read_password(file, pw, sizeof pw)) return 1;
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_mail_local_set(s, clear ? "" : (file || !ca) ? pw : NULL, ca, &err);
  memset(pw, 0, sizeof pw);
  if (rc) return cli_fail(&err);
  printf("%s\n", clear ? _("the SMTP password was removed from this PC")
                       : _("saved on this PC only (never synced)"));
  return 0;
}

static int send(cli_ctx *ctx, int argc, char **argv) {
  cl_filter *where = calloc((size_t)argc, sizeof *where);
  const char **att = calloc((size_t)argc, sizeof *att);
  cl_query q = {.where = where};
  cl_mail_opts o = {.to = &q, .attach = att, .note = on_note};
  int rc = 2;
  if (!where || !att) {
    rc = cli_failf("%s", _("out of memory"));
    goto out;
  }
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *a;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &a, &val)) == 1) {
    int qo = a ? cli_query_word("mail", a, val, &q, where) : 0;
    if (qo < 0) goto out;
    if (qo) continue;
    if (a && strcmp(a, "--template") == 0) o.tmpl = val;
    else if (a && strcmp(a, "--to") == 0) q.type = val;
    else if (a && strcmp(a, "--attach") == 0) att[o.nattach++] = val;
    else if (a && strcmp(a, "--dry-run") == 0) o.dry_run_dir = val;
    else if (a && strcmp(a, "--rate") == 0) {
      if ((o.rate = parse_rate(val)) < 0) {
        rc = cli_usage("mail", _("--rate is messages per minute: --rate 30/min (0: unlimited)"));
        goto out;
      }
    } else if (a && strcmp(a, "--timeout") == 0) o.timeout_s = atoi(val);
    else {
      rc = cli_usage("mail", _("mail send: unknown option '%s'"), a ? a : val);
      goto out;
    }
  }
  if (more) {
    rc = more;
    goto out;
  }
  if (!o.tmpl || !q.type) {
    rc = cli_usage("mail", _("mail send needs --template T and --to org|contact [--where F=V ...]"));
    goto out;
  }
  cl_store *s = cli_store(ctx);
  rc = 1;
  if (!s) goto out;
  kt_err err;
  kt_err_clear(&err);
  cl_mail_sum sum;
  int r = cl_mail_send(s, &o, &sum, &err);
  summary(&sum);
  rc = r ? cli_fail(&err) : 0;
out:
  free(where);
  free(att);
  return rc;
}

static int resume(cli_ctx *ctx, int argc, char **argv) {
  cl_mail_opts o = {.note = on_note};
  bool abandon = false;
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--rate") == 0) {
      if ((o.rate = parse_rate(val)) < 0)
        return cli_usage("mail", _("--rate is messages per minute: --rate 30/min"));
    } else if (opt && strcmp(opt, "--timeout") == 0) o.timeout_s = atoi(val);
    else if (opt && strcmp(opt, "--abandon") == 0) abandon = true;
    else return cli_usage("mail", _("mail resume: unknown option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc;
  if (abandon) {
    rc = cl_mail_abandon(s, &err);
    if (!rc) printf(_("the unfinished mailing was dropped; nothing more is sent\n"));
  } else {
    cl_mail_sum sum;
    rc = cl_mail_resume(s, &o, &sum, &err);
    summary(&sum);
  }
  return rc ? cli_fail(&err) : 0;
}

/* ---- the command table's entries ---- */
#define RATE_OPTS                                                      \
  {"--rate", "N/min", N_("messages per minute (0: unlimited)")},           \
  {"--timeout", "S", N_("seconds to wait for the mail server")}
static const cli_opt config_opts[] = {
    {"--smtp", "URL", N_("the mail server (smtp://HOST:PORT or smtps://HOST:PORT)")},
    {"--starttls", NULL, N_("require STARTTLS")},
    {"--no-starttls", NULL, N_("do not use STARTTLS")},
    {"--user", "U", N_("the mail server account")},
    {"--from", "ADDRESS", N_("the sender address")},
    {"--days", "N", N_("keep sent letters N days (0: no limit)")},
    CLI_OPT_JSON,
    {0}};
static const cli_opt password_opts[] = {
    {"--password-file", "F", N_("read it from F (\"-\": standard input)")},
    {"--ca-file", "F", N_("trust the mail server's certificate from F")},
    {"--clear", NULL, N_("forget the stored password")},
    {0}};
static const cli_opt send_opts[] = {
    {"--template", "T", N_("the template")},
    {"--to", "org|contact", N_("to which cards")},
    {"--where", "F=V", N_("only the cards that match (repeatable)")},
    {"--attach", "FILE", N_("attach a file (repeatable)")},
    {"--sort", "FIELD", N_("in the order of that field")},
    {"--desc", NULL, N_("in descending order")},
    {"--dry-run", "DIR", N_("write the letters to DIR, send nothing")},
    RATE_OPTS,
    {0}};
static const cli_opt resume_opts[] = {
    RATE_OPTS, {"--abandon", NULL, N_("give up the interrupted mailing")}, {0}};
static const cli_cmd mail_config = {
    .name = "mail config",
    .run = config,
    .usage = "mail config [--smtp smtp://HOST:PORT|smtps://HOST:PORT] [--starttls] [--no-starttls]\n"
             "          [--user U] [--from ADDRESS] [--days N] [--json]",
    .summary = N_("the office's mail server settings (changing them: administrators)"),
    .store = CLI_STORE_WRITE,
    .opts = config_opts,
};
static const cli_cmd mail_password = {
    .name = "mail password",
    .run = password,
    .usage = "mail password [--password-file F] [--ca-file F] [--clear]",
    .summary = N_("this PC's password for the mail server (never synced)"),
    .store = CLI_STORE_WRITE,
    .opts = password_opts,
};
static const cli_cmd mail_send = {
    .name = "mail send",
    .run = send,
    .usage = "mail send --template T --to org|contact [--where F=V ...] [--sort FIELD] [--desc]\n"
             "          [--attach FILE ...] [--dry-run DIR] [--rate N/min] [--timeout S]",
    .summary = N_("one personal letter per card, recorded on its timeline"),
    .store = CLI_STORE_WRITE,
    .opts = send_opts,
};
static const cli_cmd mail_resume = {
    .name = "mail resume",
    .run = resume,
    .usage = "mail resume [--rate N/min] [--timeout S] [--abandon]",
    .summary = N_("go on with an interrupted mailing (or give it up)"),
    .store = CLI_STORE_WRITE,
    .opts = resume_opts,
};
static const cli_cmd *const mail_subs[] = {&mail_config, &mail_password, &mail_send, &mail_resume,
                                           NULL};
const cli_cmd cli_entry_mail = {
    .name = "mail",
    .summary = N_("mailings from a template: one personal letter per card, recorded on its timeline"),
    .store = CLI_STORE_NONE,
    .subs = mail_subs,
};
