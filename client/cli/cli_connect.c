/* cli_connect — `kartoteka connect --invite INVITE [--password-file F]`
 * (join an office server) and `kartoteka login [--password-file F]`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cl_session.h"
#include "cli.h"
#include "kt_json.h"
#include "kt_invite.h"
#include "kt_plat.h"

/* Reads a password from a file ("-" = stdin) or asks on the terminal. */
int cli_read_password(const char *file, char *out, size_t n) {
  if (file) {
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (!f) return cli_failf("cannot read the password file %s: %s", file, strerror(errno));
    bool ok = fgets(out, (int)n, f) != NULL;
    if (f != stdin) fclose(f);
    if (!ok) return cli_failf("the password file %s is empty", file);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
  }
  if (!kt_plat_is_tty(stdin))
    return cli_failf("give the password with --password-file FILE (no terminal to ask on)");
  if (kt_plat_read_secret("Password: ", out, n)) return cli_failf("no password given");
  return 0;
}

int cli_cmd_connect(cli_ctx *ctx, int argc, char **argv) {
  const char *invite = NULL, *pwfile = NULL, *name = NULL;
  for (int i = 1; i < argc; i++) {
    bool has = i + 1 < argc;
    if (strcmp(argv[i], "--invite") == 0 && has) invite = argv[++i];
    else if (strcmp(argv[i], "--password-file") == 0 && has) pwfile = argv[++i];
    else if (strcmp(argv[i], "--device-name") == 0 && has) name = argv[++i];
    else return cli_usage("connect", "unknown or incomplete option '%s'", argv[i]);
  }
  if (!invite) return cli_usage("connect", "give the invite your administrator sent with --invite");
  kt_invite inv;
  kt_err err;
  kt_err_clear(&err);
  if (kt_invite_decode(invite, &inv, &err)) return cli_fail(&err); /* before asking the password */
  char pw[1100];
  if (cli_read_password(pwfile, pw, sizeof pw)) return 1;
  uv_loop_t loop;
  uv_loop_init(&loop);
  int rc = cl_session_connect(&loop, ctx->profile, invite, pw, name, &err);
  uv_loop_close(&loop);
  memset(pw, 0, sizeof pw);
  if (rc) return cli_fail(&err);
  if (ctx->json) {
    kt_buf b = KT_BUF_INIT;
    kt_json j;
    kt_json_init(&j, &b, false);
    kt_json_obj_begin(&j);
    kt_json_key(&j, "profile");
    kt_json_str(&j, ctx->profile);
    kt_json_key(&j, "connected");
    kt_json_bool(&j, true);
    kt_json_obj_end(&j);
    printf("%s\n", kt_buf_str(&b));
    kt_buf_free(&b);
  }
  else printf("This PC is now connected to the office server (profile %s).\n", ctx->profile);
  return 0;
}

int cli_cmd_login(cli_ctx *ctx, int argc, char **argv) {
  const char *pwfile = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc) pwfile = argv[++i];
    else return cli_usage("login", "unknown or incomplete option '%s'", argv[i]);
  }
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  char pw[1100];
  if (cli_read_password(pwfile, pw, sizeof pw)) {
    cl_store_close(s);
    return 1;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  kt_err err;
  kt_err_clear(&err);
  cl_conn *c = NULL;
  int rc = cl_session_open(&loop, ctx->profile, s, pw, NULL, NULL, 0, &c, &err);
  memset(pw, 0, sizeof pw);
  cl_conn_free(c);
  uv_loop_close(&loop);
  cl_store_close(s);
  if (rc) return cli_fail(&err);
  printf("logged in\n");
  return 0;
}
