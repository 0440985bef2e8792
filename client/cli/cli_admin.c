/* cli_admin — `kartoteka admin ...`: remote administration over the protocol
 * (the server checks the manage_users right and writes the audit log). */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cl_remote.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_json.h"

/* A listing answer (kt_table's text form) as a table for people or JSON. */
static int print_admin_table(const cli_ctx *ctx, const char *text) {
  kt_table *t = NULL;
  kt_err err;
  if (kt_table_parse(text, &t, &err)) return cli_fail(&err);
  if (!ctx->json && !kt_table_rows(t)) fprintf(stderr, "(nothing found)\n");
  cli_table_print(t, ctx->json);
  kt_table_free(t);
  return 0;
}

/* What a request that is not a listing answered, as JSON: {"op", "name", "result"}. */
static void print_admin_json(const char *op, const char *name, const char *result) {
  kt_buf b = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &b, false);
  kt_json_obj_begin(&j);
  kt_json_key(&j, "op");
  kt_json_str(&j, op);
  kt_json_key(&j, "name");
  kt_json_str(&j, name);
  kt_json_key(&j, "result");
  size_t n = strlen(result);
  kt_json_strn(&j, result, n && result[n - 1] == '\n' ? n - 1 : n);
  kt_json_obj_end(&j);
  printf("%s\n", kt_buf_str(&b));
  kt_buf_free(&b);
}

int cli_cmd_admin(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage("admin", "say what to administer: user, role, device or invite");
  const char *what = argv[1];
  if (strcmp(what, "handover") == 0) return cli_admin_handover(ctx, argc, argv);
  const char *verb = argc > 2 ? argv[2] : "";
  int first = 3;
  char op[64];
  if (strcmp(what, "invite") == 0) {
    snprintf(op, sizeof op, "invite");
    first = 2;
  } else if (strcmp(what, "user") == 0 || strcmp(what, "role") == 0 || strcmp(what, "device") == 0) {
    if (!*verb) return cli_usage("admin", "%s what? see the usage below", what);
    snprintf(op, sizeof op, "%s.%s", what, verb);
  } else {
    return cli_usage("admin", "unknown '%s': say user, role, device or invite", what);
  }
  const char *name = NULL, *pwfile = NULL;
  const char *keys[8], *vals[8];
  int np = 0;
  for (int i = first; i < argc; i++) {
    const char *a = argv[i];
    bool has = i + 1 < argc;
    const char *key = NULL;
    if (strcmp(a, "--role") == 0) key = "role";
    else if (strcmp(a, "--group") == 0) key = "group";
    else if (strcmp(a, "--rights") == 0) key = "rights";
    else if (strcmp(a, "--from") == 0) key = "from";
    else if (strcmp(a, "--address") == 0) key = "address";
    else if (strcmp(a, "--hours") == 0) key = "hours";
    else if (strcmp(a, "--birthday") == 0) key = "birthday";
    if (key) {
      if (!has) return cli_usage("admin", "%s needs a value", a);
      if (np >= 7) return cli_usage("admin", "too many options (give each once)");
      keys[np] = key;
      vals[np++] = argv[++i];
    } else if (strcmp(a, "--password-file") == 0 && has) {
      pwfile = argv[++i];
    } else if (a[0] == '-') {
      return cli_usage("admin", "unknown option '%s'", a);
    } else if (!name) {
      name = a;
    } else {
      return cli_usage("admin", "one name at a time ('%s' is extra)", a);
    }
  }
  bool lists = strcmp(op, "user.list") == 0 || strcmp(op, "role.list") == 0 ||
               strcmp(op, "device.list") == 0;
  if (!lists && !name) return cli_usage("admin", "whom? give the name (or device id)");
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  /* the client mirrors the rights: a non-administrator hears it before any password is asked */
  if (cl_admin_allowed(s, &err)) {
    cl_store_close(s);
    return cli_fail(&err);
  }
  char pw[1100];
  if (strcmp(op, "user.add") == 0 || strcmp(op, "user.passwd") == 0) {
    if (cli_read_password(pwfile, pw, sizeof pw)) {
      cl_store_close(s);
      return 1;
    }
    keys[np] = "password";
    vals[np++] = pw;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  kt_buf out = KT_BUF_INIT;
  int rc = cl_admin(&loop, ctx->profile, s, op, name, keys, vals, np, &out, &err);
  uv_loop_close(&loop);
  cl_store_close(s);
  memset(pw, 0, sizeof pw);
  if (rc) {
    kt_buf_free(&out);
    return cli_fail(&err);
  }
  if (out.len && out.p[0] == '#') rc = print_admin_table(ctx, kt_buf_str(&out));
  else if (ctx->json) print_admin_json(op, name, out.len ? kt_buf_str(&out) : "done");
  else if (out.len) fputs(kt_buf_str(&out), stdout);
  else printf("%s%s%s: done\n", op, name ? " " : "", name ? name : "");
  kt_buf_free(&out);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt admin_opts[] = {
    {"--role", "R", "the user's role"},
    {"--group", "G", "the user's group"},
    {"--password-file", "F", "read the password from F (\"-\": standard input) instead of asking"},
    {"--birthday", "YYYY-MM-DD|none", "the user's birthday"},
    {"--from", "ROLE|USER", "role set: start from that role; handover: whose clients"},
    {"--rights", "TEXT", "the role's rights"},
    {"--address", "HOST:PORT", "the server address the invite names"},
    {"--hours", "N", "how long the invite is valid"},
    {"--to", "USER", "handover: who takes the clients over"},
    {"--where", "FIELD=VALUE", "handover: only the clients that match (repeatable)"},
    {"--with-tasks", NULL, "handover: their open tasks and events too"},
    {"--dry-run", NULL, "handover: show what would move, move nothing"},
    {"--json", NULL, "print JSON for programs instead of text for people"},
    {0}};
const cli_cmd cli_entry_admin = {
    .name = "admin",
    .run = cli_cmd_admin,
    .usage = "admin user add|passwd|disable|enable|role|birthday|list [NAME] [--role R] [--group G]\n"
     "          [--password-file F] [--birthday YYYY-MM-DD|none] [--json]\n"
     "          admin role list|set [NAME] [--from ROLE] [--rights TEXT] [--json]\n"
     "          admin device list [--json] · admin device revoke ID\n"
     "          admin invite USER [--address HOST:PORT] [--hours N]\n"
     "          admin handover --from USER --to USER [--where FIELD=VALUE ...] [--with-tasks]\n"
     "          [--dry-run] [--json]",
    .summary = "manage users, roles and devices from this PC (administrators)",
    .store = CLI_STORE_READ,
    .opts = admin_opts,
};
