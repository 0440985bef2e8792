/* cli_connect — `kartoteka connect --invite INVITE [--password-file F]
 * [--upload]` (join an office server; a standalone profile takes its cards
 * along, see cl_upload.h) and `kartoteka login [--password-file F]`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cl_profile.h"
#include "cl_session.h"
#include "cl_sync.h"
#include "cl_upload.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_json.h"
#include "kt_plat.h"

/* Reads a password from a file ("-" = stdin) or asks on the terminal. */
int cli_read_password(const char *file, char *out, size_t n) {
  if (file) {
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (!f) return cli_failf(_("cannot read the password file %s: %s"), file, strerror(errno));
    bool ok = fgets(out, (int)n, f) != NULL;
    if (f != stdin) fclose(f);
    if (!ok) return cli_failf(_("the password file %s is empty"), file);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
  }
  if (!kt_plat_is_tty(stdin))
    return cli_failf("%s", _("give the password with --password-file FILE (no terminal to ask on)"));
  if (kt_plat_read_secret(_("Password: "), out, n)) return cli_failf("%s", _("no password given"));
  return 0;
}

/* Asks on the terminal whether to upload; false without a terminal. */
static bool ask_upload(const cli_ctx *ctx, int cards) {
  if (!isatty(STDIN_FILENO)) return false;
  fprintf(stderr,
          ngettext("This profile (%s) is a standalone card index with %d card.\n",
                   "This profile (%s) is a standalone card index with %d cards.\n",
                   (unsigned long)cards),
          ctx->profile, cards);
  /* TRANSLATORS: the answer is y (or д) for yes, anything else for no */
  fputs(_("Send them to the office server as your cards? The standalone file is kept. [y/N] "),
        stderr);
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return false;
  return line[0] == 'y' || line[0] == 'Y' || strncmp(line, "д", strlen("д")) == 0 ||
         strncmp(line, "Д", strlen("Д")) == 0;
}

static void print_connected(const cli_ctx *ctx, const cl_upload_report *up, const cl_sync_stats *st,
                            int sync_rc, const kt_err *serr) {
  if (ctx->json) {
    kt_buf b = KT_BUF_INIT;
    kt_json j;
    kt_json_init(&j, &b, false);
    kt_json_obj_begin(&j);
    kt_json_key(&j, "profile");
    kt_json_str(&j, ctx->profile);
    kt_json_key(&j, "connected");
    kt_json_bool(&j, true);
    if (up) {
      kt_json_key(&j, "uploaded");
      kt_json_int(&j, st ? st->pushed : 0);
      kt_json_key(&j, "cards");
      kt_json_int(&j, up->cards);
      kt_json_key(&j, "refused");
      kt_json_int(&j, st ? st->rejected : 0);
      kt_json_key(&j, "duplicates");
      kt_json_int(&j, st ? st->warned : 0);
      kt_json_key(&j, "unsent");
      kt_json_bool(&j, sync_rc != 0);
      kt_json_key(&j, "trash_left");
      kt_json_int(&j, up->trash_left);
      kt_json_key(&j, "dropped_fields");
      kt_json_str(&j, up->dropped);
      kt_json_key(&j, "kept");
      kt_json_str(&j, up->kept);
    }
    kt_json_obj_end(&j);
    printf("%s\n", kt_buf_str(&b));
    kt_buf_free(&b);
    return;
  }
  printf(_("This PC is now connected to the office server (profile %s).\n"), ctx->profile);
  if (!up) return;
  if (up->resumed) printf("%s ", _("Finished the interrupted connection."));
  printf(ngettext("%d card of the standalone card index is now yours in the office; the "
                  "standalone file is kept as %s.\n",
                  "%d cards of the standalone card index are now yours in the office; the "
                  "standalone file is kept as %s.\n",
                  (unsigned long)up->cards),
         up->cards, up->kept);
  if (up->trash_left)
    printf(ngettext("%d card in the trash was not sent (it stays in that file).\n",
                    "%d cards in the trash were not sent (they stay in that file).\n",
                    (unsigned long)up->trash_left),
           up->trash_left);
  if (up->values_dropped)
    printf(ngettext("%d value of fields the office does not have (%s) was not sent; ask your "
                    "administrator to add those fields.\n",
                    "%d values of fields the office does not have (%s) were not sent; ask your "
                    "administrator to add those fields.\n",
                    (unsigned long)up->values_dropped),
           up->values_dropped, up->dropped);
  if (sync_rc)
    printf(_("They are not all sent yet (%s); `kartoteka sync` sends the rest.\n"), serr->msg);
  else if (st && st->rejected)
    printf(ngettext("The server refused %d of them (a duplicate of a colleague's client, or no "
                    "right): it stays on this PC; see `kartoteka outbox list`.\n",
                    "The server refused %d of them (a duplicate of a colleague's client, or no "
                    "right): they stay on this PC; see `kartoteka outbox list`.\n",
                    (unsigned long)st->rejected),
           st->rejected);
  else
    printf("%s\n", _("All of them were sent."));
  if (!sync_rc && st && st->warned)
    printf(ngettext("%d of them has the phone, e-mail or tax id of a colleague's client: it was "
                    "kept; see `kartoteka conflicts` and settle it with the colleague.\n",
                    "%d of them have the phone, e-mail or tax id of a colleague's client: they "
                    "were kept; see `kartoteka conflicts` and settle them with the colleague.\n",
                    (unsigned long)st->warned),
           st->warned);
}

/* A standalone profile joins the office with its cards (or an interrupted
 * join is finished). */
static int connect_upload(cli_ctx *ctx, const char *invite, const char *pwfile, const char *name,
                          bool upload) {
  kt_err err;
  kt_err_clear(&err);
  int cards = 0;
  bool resumable = false;
  if (cl_upload_pending(ctx->profile, &cards, &resumable, &err)) return cli_fail(&err);
  if (!resumable && !upload && !ask_upload(ctx, cards))
    return cli_failf(ngettext("this profile (%s) is a standalone card index with %d card; "
                              "nothing was changed. Say --upload to send it to the office server "
                              "as your card (the standalone file is kept), or connect another "
                              "--profile",
                              "this profile (%s) is a standalone card index with %d cards; "
                              "nothing was changed. Say --upload to send them to the office "
                              "server as your cards (the standalone file is kept), or connect "
                              "another --profile",
                              (unsigned long)cards),
                     ctx->profile, cards);
  char pw[1100] = "";
  if (!resumable) {
    if (!invite)
      return cli_usage("connect", "%s", _("give the invite your administrator sent with --invite"));
    cl_profile_invite inv;
    if (cl_profile_invite_read(invite, &inv, &err)) return cli_fail(&err);
    if (cli_read_password(pwfile, pw, sizeof pw)) return 1;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  cl_upload_report up;
  int rc = cl_upload_connect(&loop, ctx->profile, invite, pw, name, &up, &err);
  memset(pw, 0, sizeof pw);
  if (rc) {
    uv_loop_close(&loop);
    return cli_fail(&err);
  }
  /* send them now through the ordinary push; what is not sent waits in the outbox */
  cl_sync_stats st = {0};
  kt_err serr;
  kt_err_clear(&serr);
  int src = KT_ENOPROFILE;
  cl_store *s = cli_open(ctx, false);
  if (s) {
    src = cl_sync_run(&loop, ctx->profile, s, false, NULL, NULL, NULL, &st, &serr);
    cl_store_close(s);
  } else
    kt_err_set(&serr, KT_ENOPROFILE, "%s", _("the new card index did not open"));
  uv_loop_close(&loop);
  print_connected(ctx, &up, &st, src, &serr);
  return 0;
}

int cli_cmd_connect(cli_ctx *ctx, int argc, char **argv) {
  const char *invite = NULL, *pwfile = NULL, *name = NULL;
  bool upload = false;
  cli_args words = cli_args_begin(&cli_entry_connect, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--invite") == 0) invite = val;
    else if (opt && strcmp(opt, "--password-file") == 0) pwfile = val;
    else if (opt && strcmp(opt, "--device-name") == 0) name = val;
    else if (opt && strcmp(opt, "--upload") == 0) upload = true;
    else return cli_usage("connect", _("unknown or incomplete option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  if (cl_profile_exists(ctx->profile)) return connect_upload(ctx, invite, pwfile, name, upload);
  if (!invite) return cli_usage("connect", "%s", _("give the invite your administrator sent with --invite"));
  cl_profile_invite inv;
  kt_err err;
  kt_err_clear(&err);
  if (cl_profile_invite_read(invite, &inv, &err)) return cli_fail(&err); /* before the password */
  char pw[1100];
  if (cli_read_password(pwfile, pw, sizeof pw)) return 1;
  int rc = cl_profile_connect(ctx->profile, invite, pw, name, NULL, &err);
  memset(pw, 0, sizeof pw);
  if (rc) return cli_fail(&err);
  print_connected(ctx, NULL, NULL, 0, NULL);
  return 0;
}

int cli_cmd_login(cli_ctx *ctx, int argc, char **argv) {
  const char *pwfile = NULL;
  cli_args words = cli_args_begin(&cli_entry_login, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--password-file") == 0) pwfile = val;
    else return cli_usage("login", _("unknown or incomplete option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  char pw[1100];
  if (cli_read_password(pwfile, pw, sizeof pw)) return 1;
  uv_loop_t loop;
  uv_loop_init(&loop);
  kt_err err;
  kt_err_clear(&err);
  cl_conn *c = NULL;
  int rc = cl_session_open(&loop, ctx->profile, s, pw, NULL, NULL, 0, &c, &err);
  memset(pw, 0, sizeof pw);
  cl_conn_free(c);
  uv_loop_close(&loop);
  if (rc) return cli_fail(&err);
  printf("%s\n", _("logged in"));
  return 0;
}

/* ---- the command table's entries ---- */
static const cli_opt connect_opts[] = {
    {"--invite", "INVITE", N_("the invite the administrator gave you")},
    {"--password-file", "F", N_("read the password from F (\"-\": standard input) instead of asking")},
    {"--device-name", "NAME", N_("how this PC is called in the device list")},
    {"--upload", NULL, N_("send this standalone card index's cards to the new office server")},
    {0}};
const cli_cmd cli_entry_connect = {
    .name = "connect",
    .run = cli_cmd_connect,
    .usage = "connect --invite INVITE [--password-file F] [--device-name NAME] [--upload]",
    .summary = N_("join the office server with an invite from the administrator"),
    .store = CLI_STORE_NONE,
    .opts = connect_opts,
};

static const cli_opt login_opts[] = {
    {"--password-file", "F", N_("read the password from F (\"-\": standard input) instead of asking")},
    {0}};
const cli_cmd cli_entry_login = {
    .name = "login",
    .run = cli_cmd_login,
    .usage = "login [--password-file F]",
    .summary = N_("log in again with your password"),
    .store = CLI_STORE_WRITE,
    .opts = login_opts,
};
