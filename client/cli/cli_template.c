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
    cli_failf("cannot read %s: %m", path);
    return NULL;
  }
  kt_buf b = KT_BUF_INIT;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) kt_buf_append(&b, buf, n);
  int bad = ferror(f);
  fclose(f);
  if (bad || b.oom || (b.len && memchr(b.p, 0, b.len))) {
    cli_failf("cannot read %s as text%s", path, bad ? "" : " (it holds NUL bytes: not a text file)");
    kt_buf_free(&b);
    return NULL;
  }
  return b.p ? kt_buf_take(&b) : strdup("");
}

static int save(cli_ctx *ctx, int argc, char **argv, bool add) {
  const char *cmd = add ? "template add" : "template edit";
  cl_template_in in = {0};
  const char *body_file = NULL, *html_file = NULL;
  int i = 2;
  if (!add) {
    if (argc < 3 || argv[2][0] == '-') return cli_usage("template", "which template? template edit NAME ...");
    in.name = argv[2];
    i = 3;
  }
  for (; i < argc; i++) {
    const char *o = argv[i];
    bool has = i + 1 < argc;
    if (strcmp(o, "--name") == 0 && has) {
      if (add) in.name = argv[++i];
      else in.rename = argv[++i];
    } else if (strcmp(o, "--subject") == 0 && has) in.subject = argv[++i];
    else if (strcmp(o, "--body-file") == 0 && has) body_file = argv[++i];
    else if (strcmp(o, "--html-file") == 0 && has) html_file = argv[++i];
    else if (strcmp(o, "--kind") == 0 && has) in.kind = argv[++i];
    else if (strcmp(o, "--no-html") == 0 && !add) in.html = ""; /* plain text only from now on */
    else return cli_usage("template", "%s: unknown option '%s'", cmd, o);
  }
  if (add && (!in.name || !body_file))
    return cli_usage("template", "template add needs --name N and --body-file F");
  char *body = NULL, *html = NULL;
  int rc = 1;
  if (body_file && !(body = cli_read_text_file(body_file))) goto out;
  if (html_file && !(html = cli_read_text_file(html_file))) goto out;
  in.body = body;
  if (html) in.html = html;
  cl_store *s = cli_open(ctx, false);
  if (!s) goto out;
  kt_err err;
  kt_err_clear(&err);
  if (cl_template_save(s, &in, add, &err)) rc = cli_fail(&err);
  else {
    rc = 0;
    printf("template '%s' %s\n", in.rename ? in.rename : in.name, add ? "added" : "saved");
  }
  cl_store_close(s);
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

static int list(cli_ctx *ctx) {
  cl_store *s = cli_open(ctx, true);
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
  cl_store_close(s);
  return rc ? cli_fail(&err) : 0;
}

static int show(cli_ctx *ctx, const char *name) {
  cl_store *s = cli_open(ctx, true);
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
      printf("Name:    %s\nKind:    %s\nSubject: %s\n\n%s", cl_template_text(r, "name"),
             cl_template_text(r, "kind"), cl_template_text(r, "subject"),
             cl_template_text(r, "body"));
      if (*cl_template_text(r, "html")) printf("\n--- HTML ---\n%s", cl_template_text(r, "html"));
      printf("\n");
    }
  }
  cl_rec_free(r);
  cl_store_close(s);
  return rc ? cli_fail(&err) : 0;
}

int cli_cmd_template(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage("template", "add, list, show or edit?");
  if (strcmp(argv[1], "add") == 0) return save(ctx, argc, argv, true);
  if (strcmp(argv[1], "edit") == 0) return save(ctx, argc, argv, false);
  if (strcmp(argv[1], "list") == 0) return list(ctx);
  if (strcmp(argv[1], "show") == 0) {
    if (argc < 3) return cli_usage("template", "which template? template show NAME");
    return show(ctx, argv[2]);
  }
  return cli_usage("template", "unknown subcommand '%s': add, list, show or edit", argv[1]);
}

/* ---- the command table's entries ---- */
static const cli_opt template_opts[] = {
    {"--name", "N", "the template's name"},
    {"--subject", "S", "the letter's subject"},
    {"--body-file", "F", "the text body"},
    {"--html-file", "F", "the HTML body"},
    {"--kind", "mail|doc", "what the template is for"},
    {"--no-html", NULL, "edit: plain text only from now on"},
    {"--json", NULL, "print JSON for programs instead of text for people"},
    {0}};
const cli_cmd cli_entry_template = {
    .name = "template",
    .run = cli_cmd_template,
    .usage = "template add --name N [--subject S] --body-file F [--html-file F] [--kind mail|doc] · "
     "template list [--json] · template show NAME [--json] · template edit NAME [--name NEW] "
     "[--subject S] [--body-file F] [--html-file F | --no-html]",
    .summary = "letter templates with {{org.name}}-style placeholders (synced)",
    .store = CLI_STORE_WRITE,
    .opts = template_opts,
};
