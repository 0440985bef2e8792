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
  const char *why = w == CL_MAIL_NO_EMAIL ? "no e-mail" : w == CL_MAIL_OPTED_OUT ? "opted out"
                    : "";
  printf("%-8s %s%s%s%s", what_name(w), *title ? title : "?", *email ? " <" : "", email,
         *email ? ">" : "");
  if (*why || *detail) printf(": %s%s%s", why, *why && *detail ? ", " : "", detail);
  printf("\n");
  fflush(stdout);
}

static void summary(const cl_mail_sum *s) {
  printf("sent %d, refused %d, unknown %d, skipped %d", s->sent, s->refused, s->unknown, s->skipped);
  if (s->written) printf(", written %d", s->written);
  if (s->pending) printf(", waiting %d", s->pending);
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
  for (int i = 2; i < argc; i++) {
    const char *o = argv[i];
    bool has = i + 1 < argc;
    if (strcmp(o, "--smtp") == 0 && has) smtp = argv[++i];
    else if (strcmp(o, "--starttls") == 0) starttls = 1;
    else if (strcmp(o, "--no-starttls") == 0) starttls = 0;
    else if (strcmp(o, "--user") == 0 && has) user = argv[++i];
    else if (strcmp(o, "--from") == 0 && has) from = argv[++i];
    else if (strcmp(o, "--days") == 0 && has) {
      char *end;
      days = (int)strtol(argv[++i], &end, 10);
      if (*end || days < 0) return cli_usage("mail", "--days is a number of days (0: no limit)");
    } else return cli_usage("mail", "mail config: unknown option '%s'", o);
  }
  bool change = smtp || user || from || starttls >= 0 || days >= 0;
  cl_store *s = cli_open(ctx, !change);
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
      printf("SMTP server: %s%s\nUser:        %s\nFrom:        %s\nDays between mailings: %d\n",
             cfg.smtp, cfg.starttls ? " (STARTTLS)" : "", *cfg.login ? cfg.login : "(no login)",
             cfg.sender, cfg.days);
    }
  }
  cl_store_close(s);
  return rc ? cli_fail(&err) : 0;
}

static int password(cli_ctx *ctx, int argc, char **argv) {
  const char *file = NULL, *ca = NULL;
  bool clear = false;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc) file = argv[++i];
    else if (strcmp(argv[i], "--ca-file") == 0 && i + 1 < argc) ca = argv[++i];
    else if (strcmp(argv[i], "--clear") == 0) clear = true;
    else return cli_usage("mail", "mail password: unknown option '%s'", argv[i]);
  }
  char pw[512] = "";
  if (!clear && (file || !ca) && cli_read_password(file, pw, sizeof pw)) return 1;
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_mail_local_set(s, clear ? "" : (file || !ca) ? pw : NULL, ca, &err);
  memset(pw, 0, sizeof pw);
  cl_store_close(s);
  if (rc) return cli_fail(&err);
  printf("%s\n", clear ? "the SMTP password was removed from this PC"
                       : "saved on this PC only (never synced)");
  return 0;
}

static int send(cli_ctx *ctx, int argc, char **argv) {
  cl_filter *where = calloc((size_t)argc, sizeof *where);
  const char **att = calloc((size_t)argc, sizeof *att);
  cl_query q = {.where = where};
  cl_mail_opts o = {.to = &q, .attach = att, .note = on_note};
  int rc = 2;
  if (!where || !att) {
    rc = cli_failf("out of memory");
    goto out;
  }
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    bool has = i + 1 < argc;
    int qo = cli_query_opt("mail", argc, argv, &i, &q, where);
    if (qo < 0) goto out;
    if (qo) continue;
    if (strcmp(a, "--template") == 0 && has) o.tmpl = argv[++i];
    else if (strcmp(a, "--to") == 0 && has) q.type = argv[++i];
    else if (strcmp(a, "--attach") == 0 && has) att[o.nattach++] = argv[++i];
    else if (strcmp(a, "--dry-run") == 0 && has) o.dry_run_dir = argv[++i];
    else if (strcmp(a, "--rate") == 0 && has) {
      if ((o.rate = parse_rate(argv[++i])) < 0) {
        rc = cli_usage("mail", "--rate is messages per minute: --rate 30/min (0: unlimited)");
        goto out;
      }
    } else if (strcmp(a, "--timeout") == 0 && has) o.timeout_s = atoi(argv[++i]);
    else {
      rc = cli_usage("mail", "mail send: unknown option '%s'", a);
      goto out;
    }
  }
  if (!o.tmpl || !q.type) {
    rc = cli_usage("mail", "mail send needs --template T and --to org|contact [--where F=V ...]");
    goto out;
  }
  cl_store *s = cli_open(ctx, false);
  rc = 1;
  if (!s) goto out;
  kt_err err;
  kt_err_clear(&err);
  cl_mail_sum sum;
  int r = cl_mail_send(s, &o, &sum, &err);
  summary(&sum);
  cl_store_close(s);
  rc = r ? cli_fail(&err) : 0;
out:
  free(where);
  free(att);
  return rc;
}

static int resume(cli_ctx *ctx, int argc, char **argv) {
  cl_mail_opts o = {.note = on_note};
  bool abandon = false;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) {
      if ((o.rate = parse_rate(argv[++i])) < 0)
        return cli_usage("mail", "--rate is messages per minute: --rate 30/min");
    } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) o.timeout_s = atoi(argv[++i]);
    else if (strcmp(argv[i], "--abandon") == 0) abandon = true;
    else return cli_usage("mail", "mail resume: unknown option '%s'", argv[i]);
  }
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc;
  if (abandon) {
    rc = cl_mail_abandon(s, &err);
    if (!rc) printf("the unfinished mailing was dropped; nothing more is sent\n");
  } else {
    cl_mail_sum sum;
    rc = cl_mail_resume(s, &o, &sum, &err);
    summary(&sum);
  }
  cl_store_close(s);
  return rc ? cli_fail(&err) : 0;
}

int cli_cmd_mail(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage("mail", "config, password, send or resume?");
  if (strcmp(argv[1], "config") == 0) return config(ctx, argc, argv);
  if (strcmp(argv[1], "password") == 0) return password(ctx, argc, argv);
  if (strcmp(argv[1], "send") == 0) return send(ctx, argc, argv);
  if (strcmp(argv[1], "resume") == 0) return resume(ctx, argc, argv);
  return cli_usage("mail", "unknown subcommand '%s': config, password, send or resume", argv[1]);
}

/* ---- the command table's entries ---- */
static const cli_opt mail_opts[] = {
    {"--smtp", "URL", "the mail server (smtp://HOST:PORT or smtps://HOST:PORT)"},
    {"--starttls", NULL, "config: require STARTTLS"},
    {"--no-starttls", NULL, "config: do not use STARTTLS"},
    {"--user", "U", "config: the mail server account"},
    {"--from", "ADDRESS", "config: the sender address"},
    {"--days", "N", "config: keep sent letters N days (0: no limit)"},
    {"--password-file", "F", "password: read it from F (\"-\": standard input)"},
    {"--ca-file", "F", "password: trust the mail server's certificate from F"},
    {"--clear", NULL, "password: forget the stored password"},
    {"--template", "T", "send: the template"},
    {"--to", "org|contact", "send: to which cards"},
    {"--where", "F=V", "send: only the cards that match (repeatable)"},
    {"--attach", "FILE", "send: attach a file (repeatable)"},
    {"--sort", "FIELD", "send: in the order of that field"},
    {"--desc", NULL, "send: in descending order"},
    {"--dry-run", "DIR", "send: write the letters to DIR, send nothing"},
    {"--rate", "N/min", "messages per minute (0: unlimited)"},
    {"--timeout", "S", "seconds to wait for the mail server"},
    {"--abandon", NULL, "resume: give up the interrupted mailing"},
    {"--json", NULL, "print JSON for programs instead of text for people"},
    {0}};
const cli_cmd cli_entry_mail = {
    .name = "mail",
    .run = cli_cmd_mail,
    .usage = "mail config [--smtp smtp://HOST:PORT|smtps://HOST:PORT] [--starttls] [--user U] "
     "[--from ADDRESS] [--days N] · mail password [--password-file F] [--ca-file F] [--clear] · "
     "mail send --template T --to org|contact [--where F=V ...] [--attach FILE ...] "
     "[--dry-run DIR] [--rate N/min] [--timeout S] · mail resume [--abandon]",
    .summary = "mailings from a template: one personal letter per card, recorded on its timeline",
    .store = CLI_STORE_WRITE,
    .opts = mail_opts,
};
