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
  if (!ctx->json && !kt_table_rows(t)) fprintf(stderr, "%s\n", _("(nothing found)"));
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

/* Every `admin user|role|device ...` and `admin invite`: the request is the
 * entry's path ("admin user add" -> "user.add"), each option but
 * --password-file one of its parameters (--role R -> role=R). */
static int admin_request(cli_ctx *ctx, int argc, char **argv) {
  char op[64];
  snprintf(op, sizeof op, "%s", ctx->cmd->name + strlen("admin "));
  char *sp = strchr(op, ' ');
  if (sp) *sp = '.';
  const char *name = NULL, *pwfile = NULL;
  const char *keys[8], *vals[8];
  int np = 0;
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *opt;
  char *a;
  int more;
  while ((more = cli_args_next(&words, &opt, &a)) == 1) {
    if (opt && strcmp(opt, "--password-file") == 0) {
      pwfile = a;
    } else if (opt) {
      if (np >= 7) return cli_usage("admin", _("too many options (give each once)"));
      keys[np] = opt + 2; /* the option's name is the parameter's */
      vals[np++] = a;
    } else if (!name) {
      name = a;
    } else {
      return cli_usage("admin", _("one name at a time ('%s' is extra)"), a);
    }
  }
  if (more) return more;
  bool lists = strcmp(argv[0], "list") == 0;
  if (!lists && !name) return cli_usage("admin", _("whom? give the name (or device id)"));
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  /* the client mirrors the rights: a non-administrator hears it before any password is asked */
  if (cl_admin_allowed(s, &err)) return cli_fail(&err);
  char pw[1100];
  if (strcmp(op, "user.add") == 0 || strcmp(op, "user.passwd") == 0) {
    if (cli_read_password(pwfile, pw, sizeof pw)) return 1;
    keys[np] = "password";
    vals[np++] = pw;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  kt_buf out = KT_BUF_INIT;
  int rc = cl_admin(&loop, ctx->profile, s, op, name, keys, vals, np, &out, &err);
  uv_loop_close(&loop);
  memset(pw, 0, sizeof pw);
  if (rc) {
    kt_buf_free(&out);
    return cli_fail(&err);
  }
  if (out.len && out.p[0] == '#') rc = print_admin_table(ctx, kt_buf_str(&out));
  else if (ctx->json) print_admin_json(op, name, out.len ? kt_buf_str(&out) : "done");
  else if (out.len) fputs(kt_buf_str(&out), stdout);
  else printf(_("%s%s%s: done\n"), op, name ? " " : "", name ? name : "");
  kt_buf_free(&out);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt user_add_opts[] = {
    {"--role", "R", N_("the user's role")},
    {"--group", "G", N_("the user's group")},
    {"--password-file", "F", N_("read the password from F (\"-\": standard input) instead of asking")},
    {"--birthday", "YYYY-MM-DD|none", N_("the user's birthday")},
    CLI_OPT_JSON,
    {0}};
static const cli_opt user_passwd_opts[] = {
    {"--password-file", "F", N_("read the password from F (\"-\": standard input) instead of asking")},
    CLI_OPT_JSON,
    {0}};
static const cli_opt user_role_opts[] = {
    {"--role", "R", N_("the user's new role")}, {"--group", "G", N_("the user's new group")}, CLI_OPT_JSON, {0}};
static const cli_opt user_birthday_opts[] = {
    {"--birthday", "YYYY-MM-DD|none", N_("the user's birthday (none: forget it)")}, CLI_OPT_JSON, {0}};
static const cli_opt role_set_opts[] = {
    {"--from", "ROLE", N_("start from that role's rights")},
    {"--rights", "TEXT", N_("the role's rights")},
    CLI_OPT_JSON,
    {0}};
static const cli_opt invite_opts[] = {
    {"--address", "HOST:PORT", N_("the server address the invite names")},
    {"--hours", "N", N_("how long the invite is valid")},
    CLI_OPT_JSON,
    {0}};
static const cli_opt json_only_opts[] = {CLI_OPT_JSON, {0}};

#define ADMIN_ENTRY(var, path, use, sum, options)                                         \
  static const cli_cmd var = {.name = path, .run = admin_request, .usage = use, .summary = sum, \
                              .store = CLI_STORE_WRITE, .opts = options}
ADMIN_ENTRY(user_add, "admin user add",
            "admin user add NAME [--role R] [--group G] [--password-file F]\n"
            "          [--birthday YYYY-MM-DD|none] [--json]",
            N_("add a user (with a password)"), user_add_opts);
ADMIN_ENTRY(user_passwd, "admin user passwd", "admin user passwd NAME [--password-file F] [--json]",
            N_("set a user's password"), user_passwd_opts);
ADMIN_ENTRY(user_disable, "admin user disable", "admin user disable NAME [--json]",
            N_("stop a user from logging in"), json_only_opts);
ADMIN_ENTRY(user_enable, "admin user enable", "admin user enable NAME [--json]",
            N_("let a disabled user log in again"), json_only_opts);
ADMIN_ENTRY(user_role, "admin user role", "admin user role NAME [--role R] [--group G] [--json]",
            N_("change a user's role or group"), user_role_opts);
ADMIN_ENTRY(user_birthday, "admin user birthday",
            "admin user birthday NAME --birthday YYYY-MM-DD|none [--json]",
            N_("set or clear a user's birthday"), user_birthday_opts);
ADMIN_ENTRY(user_list, "admin user list", "admin user list [--json]", N_("the users"), json_only_opts);
ADMIN_ENTRY(role_list, "admin role list", "admin role list [--json]", N_("the roles and their rights"),
            json_only_opts);
ADMIN_ENTRY(role_set, "admin role set", "admin role set NAME [--from ROLE] [--rights TEXT] [--json]",
            N_("define or change a role"), role_set_opts);
ADMIN_ENTRY(device_list, "admin device list", "admin device list [--json]",
            N_("the office's devices"), json_only_opts);
ADMIN_ENTRY(device_revoke, "admin device revoke", "admin device revoke ID [--json]",
            N_("revoke a device (it is logged out and stops syncing)"), json_only_opts);
ADMIN_ENTRY(invite, "admin invite", "admin invite USER [--address HOST:PORT] [--hours N] [--json]",
            N_("an invite for a user's new PC (for `kartoteka connect`)"), invite_opts);

static const cli_opt handover_opts[] = {
    {"--from", "USER", N_("whose clients")},
    {"--to", "USER", N_("who takes the clients over")},
    {"--where", "FIELD=VALUE", N_("only the clients that match (repeatable)")},
    {"--with-tasks", NULL, N_("their open tasks and events too")},
    {"--dry-run", NULL, N_("show what would move, move nothing")},
    CLI_OPT_JSON,
    {0}};
static const cli_cmd handover = {
    .name = "admin handover",
    .run = cli_admin_handover,
    .usage = "admin handover --from USER --to USER [--where FIELD=VALUE ...] [--with-tasks]\n"
             "          [--dry-run] [--json]",
    .summary = N_("give a manager's clients, with their cards, to a colleague"),
    .store = CLI_STORE_WRITE,
    .opts = handover_opts,
};

static const cli_cmd *const user_subs[] = {&user_add,  &user_passwd,   &user_disable, &user_enable,
                                           &user_role, &user_birthday, &user_list,    NULL};
static const cli_cmd user = {
    .name = "admin user", .summary = N_("users"), .store = CLI_STORE_NONE, .subs = user_subs};
static const cli_cmd *const role_subs[] = {&role_list, &role_set, NULL};
static const cli_cmd role = {
    .name = "admin role", .summary = N_("roles"), .store = CLI_STORE_NONE, .subs = role_subs};
static const cli_cmd *const device_subs[] = {&device_list, &device_revoke, NULL};
static const cli_cmd device = {
    .name = "admin device", .summary = N_("devices"), .store = CLI_STORE_NONE, .subs = device_subs};
static const cli_cmd *const admin_subs[] = {&user, &role, &device, &invite, &handover, NULL};
const cli_cmd cli_entry_admin = {
    .name = "admin",
    .summary = N_("manage users, roles and devices from this PC (administrators)"),
    .store = CLI_STORE_NONE,
    .subs = admin_subs,
};
