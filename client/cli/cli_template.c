/* cli_template — `kartoteka template add|list|show|edit`: letter templates
 * kept as synced records (cl_mail). Every placeholder is checked when the
 * template is saved (line and column of the first bad one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_mail.h"
#include "cli.h"
#include "cli_cmd.h"

/* Reads a whole text file; NULL after printing why. Caller frees. */
char *cli_read_text_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    cli_failf(_("cannot read %s: %m"), path);
    return NULL;
  }
  kt_buf b = KT_BUF_INIT;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) kt_buf_append(&b, buf, n);
  int bad = ferror(f);
  fclose(f);
  if (bad || b.oom || (b.len && memchr(b.p, 0, b.len))) {
    if (bad) cli_failf(_("cannot read %s as text"), path);
    else cli_failf(_("cannot read %s as text (it holds NUL bytes: not a text file)"), path);
    kt_buf_free(&b);
    return NULL;
  }
  return b.p ? kt_buf_take(&b) : strdup("");
}

static int save(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = ctx->cmd->name;
  bool add = strcmp(argv[0], "add") == 0;
  cl_template_in in = {0};
  const char *body_file = NULL, *html_file = NULL;
  if (!add && (argc < 2 || argv[1][0] == '-'))
    return cli_usage("template", _("which template? template edit NAME ..."));
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *o;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &o, &val)) == 1) {
    if (!o && !add && !in.name) in.name = val;
    else if (o && strcmp(o, "--name") == 0) {
      if (add) in.name = val;
      else in.rename = val;
    } else if (o && strcmp(o, "--subject") == 0) in.subject = val;
    else if (o && strcmp(o, "--body-file") == 0) body_file = val;
    else if (o && strcmp(o, "--html-file") == 0) html_file = val;
    else if (o && strcmp(o, "--kind") == 0) in.kind = val;
    else if (o && strcmp(o, "--no-html") == 0) in.html = ""; /* plain text only from now on */
    else return cli_usage("template", _("%s: unknown option '%s'"), cmd, o ? o : val);
  }
  if (more) return more;
  if (add && (!in.name || !body_file))
    return cli_usage("template", _("template add needs --name N and --body-file F"));
  char *body = NULL, *html = NULL;
  int rc = 1;
  if (body_file && !(body = cli_read_text_file(body_file))) goto out;
  if (html_file && !(html = cli_read_text_file(html_file))) goto out;
  in.body = body;
  if (html) in.html = html;
  cl_store *s = cli_store(ctx);
  if (!s) goto out;
  kt_err err;
  kt_err_clear(&err);
  if (cl_template_save(s, &in, add, &err)) rc = cli_fail(&err);
  else {
    rc = 0;
    if (add) printf(_("template '%s' added\n"), in.rename ? in.rename : in.name);
    else printf(_("template '%s' saved\n"), in.rename ? in.rename : in.name);
  }
out:
  free(body);
  free(html);
  return rc;
}

typedef struct list_ud {
  bool json;
  kt_json *j;
} list_ud;

static int on_template(void *ud, const cl_rec *r) {
  list_ud *l = ud;
  if (l->json) {
    kt_json_obj_begin(l->j);
    const char *keys[] = {"name", "kind", "subject"};
    for (int i = 0; i < 3; i++) {
      kt_json_key(l->j, keys[i]);
      kt_json_str(l->j, cl_template_text(r, keys[i]));
    }
    kt_json_key(l->j, "html");
    kt_json_bool(l->j, *cl_template_text(r, "html") != 0);
    kt_json_obj_end(l->j);
  } else {
    printf("%-24s %-5s %s\n", cl_template_text(r, "name"), cl_template_text(r, "kind"),
           cl_template_text(r, "subject"));
  }
  return 0;
}

static int list(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("template", _("template list takes no names"));
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_buf out = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &out, false);
  list_ud l = {.json = ctx->json, .j = &j};
  if (ctx->json) kt_json_arr_begin(&j);
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_template_list(s, on_template, &l, &err);
  if (ctx->json) {
    kt_json_arr_end(&j);
    if (!rc) printf("%s\n", kt_buf_str(&out));
  }
  kt_buf_free(&out);
  return rc ? cli_fail(&err) : 0;
}

static int show(cli_ctx *ctx, int argc, char **argv) {
  if (argc != 2) return cli_usage("template", _("which template? template show NAME"));
  const char *name = argv[1];
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  cl_rec *r = NULL;
  int rc = cl_template_get(s, name, &r, &err);
  if (!rc) {
    const char *keys[] = {"name", "kind", "subject", "body", "html"};
    if (ctx->json) {
      kt_buf out = KT_BUF_INIT;
      kt_json j;
      kt_json_init(&j, &out, false);
      kt_json_obj_begin(&j);
      kt_json_key(&j, "id");
      kt_json_str(&j, cl_rec_id(r));
      for (int i = 0; i < 5; i++) {
        kt_json_key(&j, keys[i]);
        kt_json_str(&j, cl_template_text(r, keys[i]));
      }
      kt_json_obj_end(&j);
      printf("%s\n", kt_buf_str(&out));
      kt_buf_free(&out);
    } else {
      printf(_("Name:    %s\nKind:    %s\nSubject: %s\n\n%s"), cl_template_text(r, "name"),
             cl_template_text(r, "kind"), cl_template_text(r, "subject"),
             cl_template_text(r, "body"));
      if (*cl_template_text(r, "html")) printf(_("\n--- HTML ---\n%s"), cl_template_text(r, "html"));
      printf("\n");
    }
  }
  cl_rec_free(r);
  return rc ? cli_fail(&err) : 0;
}

/* ---- the command table's entries ---- */
#define SAVE_OPTS                                                   \
  {"--subject", "S", N_("the letter's subject")},                       \
  {"--body-file", "F", N_("the text body")},                             \
  {"--html-file", "F", N_("the HTML body")},                             \
  {"--kind", "mail|doc", N_("what the template is for")}
static const cli_opt add_opts[] = {{"--name", "N", N_("the template's name")}, SAVE_OPTS, {0}};
static const cli_opt edit_opts[] = {{"--name", "NEW", N_("rename it")}, SAVE_OPTS,
                                    {"--no-html", NULL, N_("plain text only from now on")}, {0}};
static const cli_opt json_opts[] = {CLI_OPT_JSON, {0}};
static const cli_cmd template_add = {
    .name = "template add",
    .run = save,
    .usage = "template add --name N [--subject S] --body-file F [--html-file F] [--kind mail|doc]",
    .summary = N_("a new template (every placeholder is checked)"),
    .store = CLI_STORE_WRITE,
    .opts = add_opts,
};
static const cli_cmd template_list = {
    .name = "template list",
    .run = list,
    .usage = "template list [--json]",
    .summary = N_("the templates"),
    .store = CLI_STORE_READ,
    .opts = json_opts,
};
static const cli_cmd template_show = {
    .name = "template show",
    .run = show,
    .usage = "template show NAME [--json]",
    .summary = N_("a template's subject and bodies"),
    .store = CLI_STORE_READ,
    .opts = json_opts,
};
static const cli_cmd template_edit = {
    .name = "template edit",
    .run = save,
    .usage = "template edit NAME [--name NEW] [--subject S] [--body-file F] [--kind mail|doc]\n"
             "          [--html-file F | --no-html]",
    .summary = N_("change a template"),
    .store = CLI_STORE_WRITE,
    .opts = edit_opts,
};
static const cli_cmd *const template_subs[] = {&template_add, &template_list, &template_show,
                                               &template_edit, NULL};
const cli_cmd cli_entry_template = {
    .name = "template",
    .summary = N_("letter templates with {{org.name}}-style placeholders (synced)"),
    .store = CLI_STORE_NONE,
    .subs = template_subs,
};
