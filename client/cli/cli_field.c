/* cli_field — office model: `kartoteka field ...` (custom fields, labels,
 * choice lists, hiding) and `kartoteka section ...` (rename/hide sections). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_cmd.h"
#include "kt_json.h"

static int field_list(cli_ctx *ctx, cl_store *s, const char *type) {
  kt_mtype *t;
  kt_err err;
  if (kt_model_type_get(cl_store_model(s), type, &t, &err)) return cli_fail(&err);
  kt_buf out = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &out, true);
  static const kt_table_col cols[] = {{"name", N_("Name"), false}, {"label", N_("Label"), false},
                                 {"type", N_("Type"), false}, {"", N_("Flags"), true},
                                 {"choices", N_("Choices"), false}};
  kt_table *tab = ctx->json ? NULL : cli_table_new(cols, 5);
  if (ctx->json) kt_json_arr_begin(&j);
  else if (!tab) return cli_failf("%s", _("out of memory"));
  for (int k = 0; k < t->nfields; k++) {
    const kt_mfield *f = &t->fields[k];
    const char *ch = kt_mfield_choices(f);
    if (ctx->json) {
      kt_json_obj_begin(&j);
      kt_json_key(&j, "name");
      kt_json_str(&j, f->name);
      kt_json_key(&j, "label");
      kt_json_str(&j, kt_mfield_label(f));
      kt_json_key(&j, "type");
      kt_json_str(&j, kt_ftype_name(f->type));
      kt_json_key(&j, "custom");
      kt_json_bool(&j, f->custom);
      kt_json_key(&j, "hidden");
      kt_json_bool(&j, f->hidden);
      if (ch) {
        kt_json_key(&j, "choices");
        kt_json_str(&j, ch);
      }
      kt_json_obj_end(&j);
    } else {
      const char *flags = f->custom && f->hidden ? _("custom hidden")
                          : f->custom           ? _("custom")
                          : f->hidden           ? _("hidden")
                                                : "";
      const char *cells[] = {f->name, kt_mfield_label(f), kt_ftype_name(f->type), flags, ch};
      if (kt_table_add(tab, cells)) {
        kt_table_free(tab);
        return cli_failf("%s", _("out of memory"));
      }
    }
  }
  if (ctx->json) {
    kt_json_arr_end(&j);
    printf("%s\n", kt_buf_str(&out));
  } else {
    cli_table_print(tab, false);
    kt_table_free(tab);
  }
  kt_buf_free(&out);
  return 0;
}

/* A field or section sub-command's words: its positional words (TYPE, NAME,
 * on|off) and options, from the one parser. 0, or 2 after a usage error. */
typedef struct model_words {
  const char *pos[3];
  int npos;
  const char *name, *label, *ftype, *choices;
} model_words;

static int model_words_parse(cli_ctx *ctx, int argc, char **argv, model_words *w) {
  *w = (model_words){0};
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (!opt && w->npos < 3) w->pos[w->npos++] = val;
    else if (!opt) return cli_usage(ctx->cmd->name, _("too many words ('%s' is extra)"), val);
    else if (strcmp(opt, "--name") == 0) w->name = val;
    else if (strcmp(opt, "--label") == 0) w->label = val;
    else if (strcmp(opt, "--type") == 0) w->ftype = val;
    else if (strcmp(opt, "--choices") == 0) w->choices = val;
  }
  return more;
}

/* `field yearly TYPE NAME on|off`: a client's date reminded every year. */
static int field_yearly(cli_ctx *ctx, int argc, char **argv) {
  model_words w;
  int rc = model_words_parse(ctx, argc, argv, &w);
  if (rc) return rc;
  if (w.npos != 3 || (strcmp(w.pos[2], "on") != 0 && strcmp(w.pos[2], "off") != 0))
    return cli_usage("field", _("say field yearly TYPE NAME on|off"));
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  bool on = strcmp(w.pos[2], "on") == 0;
  if (cl_store_field_yearly(s, w.pos[0], w.pos[1], on, &err)) rc = cli_fail(&err);
  else if (on) printf(_("%s.%s is now reminded every year\n"), w.pos[0], w.pos[1]);
  else printf(_("%s.%s is no longer reminded every year\n"), w.pos[0], w.pos[1]);
  return rc;
}

/* `field add|label|choices|hide|show|list TYPE ...` (the verb is argv[0]). */
static int field_run(cli_ctx *ctx, int argc, char **argv) {
  model_words w;
  int rc = model_words_parse(ctx, argc, argv, &w);
  if (rc) return rc;
  if (w.npos < 1) return cli_usage("field", _("say what to do"));
  const char *verb = argv[0], *type = w.pos[0], *name = w.name;
  if (strcmp(verb, "add") != 0 && strcmp(verb, "list") != 0) {
    if (w.npos < 2) return cli_usage("field", _("give TYPE and the field NAME"));
    name = w.pos[1];
  }
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  if (strcmp(verb, "list") == 0) {
    rc = field_list(ctx, s, type);
  } else if (strcmp(verb, "add") == 0) {
    if (!name) rc = cli_usage("field", _("give the new field's --name"));
    else if (cl_store_field_add(s, type, name, w.label, w.ftype, w.choices, &err)) rc = cli_fail(&err);
    else printf(_("added field %s.%s\n"), type, name);
  } else {
    int hidden = strcmp(verb, "hide") == 0 ? 1 : strcmp(verb, "show") == 0 ? 0 : -1;
    if (strcmp(verb, "label") == 0 && !w.label) rc = cli_usage("field", _("give the new --label"));
    else if (strcmp(verb, "choices") == 0 && !w.choices)
      rc = cli_usage("field", _("give the list with --choices 'a,b,c'"));
    else if (cl_store_field_set(s, type, name, w.label, w.choices, hidden, &err)) rc = cli_fail(&err);
    else printf(_("updated field %s.%s\n"), type, name);
  }
  return rc;
}

/* `section list|rename|hide|show [TYPE]` (the verb is argv[0]). */
static int section_run(cli_ctx *ctx, int argc, char **argv) {
  model_words w;
  int rc = model_words_parse(ctx, argc, argv, &w);
  if (rc) return rc;
  const char *verb = argv[0];
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  if (strcmp(verb, "list") == 0) {
    int n;
    kt_mtype *types = kt_model_types(cl_store_model(s), &n);
    kt_buf out = KT_BUF_INIT;
    kt_json j;
    kt_json_init(&j, &out, true);
    static const kt_table_col cols[] = {{"kind", N_("Type"), false}, {"label", N_("Label"), false},
                                   {"hidden", "", true}};
    kt_table *tab = ctx->json ? NULL : cli_table_new(cols, 3);
    if (ctx->json) kt_json_arr_begin(&j);
    else if (!tab) rc = cli_failf("%s", _("out of memory"));
    for (int i = 0; i < n && !rc; i++) {
      if (!(types[i].def->flags & KT_TF_USER)) continue;
      if (ctx->json) {
        kt_json_obj_begin(&j);
        kt_json_key(&j, "kind");
        kt_json_str(&j, types[i].def->name);
        kt_json_key(&j, "label");
        kt_json_str(&j, kt_mtype_label(&types[i]));
        kt_json_key(&j, "hidden");
        kt_json_bool(&j, types[i].hidden);
        kt_json_obj_end(&j);
      } else {
        const char *cells[] = {types[i].def->name, kt_mtype_label(&types[i]),
                               types[i].hidden ? _("(hidden)") : NULL};
        if (kt_table_add(tab, cells)) rc = cli_failf("%s", _("out of memory"));
      }
    }
    if (ctx->json) {
      kt_json_arr_end(&j);
      printf("%s\n", kt_buf_str(&out));
    } else if (!rc) {
      cli_table_print(tab, false);
    }
    kt_table_free(tab);
    kt_buf_free(&out);
  } else if (w.npos < 1) {
    rc = cli_usage("section", _("give the section's TYPE"));
  } else if (strcmp(verb, "rename") == 0) {
    const char *label = w.label;
    if (!label) rc = cli_usage("section", _("give the new name with --label"));
    else if (cl_store_section_set(s, w.pos[0], label, -1, &err)) rc = cli_fail(&err);
    else printf(_("section %s is now called %s\n"), w.pos[0], label);
  } else {
    if (cl_store_section_set(s, w.pos[0], NULL, strcmp(verb, "hide") == 0, &err)) rc = cli_fail(&err);
    else if (strcmp(verb, "hide") == 0) printf(_("section %s is now hidden\n"), w.pos[0]);
    else printf(_("section %s is now shown\n"), w.pos[0]);
  }
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt add_opts[] = {
    {"--name", "N", N_("the new field's name (letters, digits, _)")},
    {"--label", "L", N_("what people see")},
    {"--type", "T", N_("the new field's type")},
    {"--choices", "a,b", N_("a choice field's codes (code=Label)")},
    {0}};
static const cli_opt label_opts[] = {{"--label", "L", N_("what people see")}, {0}};
static const cli_opt choices_opts[] = {
    {"--choices", "code=Label,b", N_("the choice field's codes and labels")}, {0}};
static const cli_opt json_opts[] = {CLI_OPT_JSON, {0}};

#define MODEL_ENTRY(var, path, fn, mode, use, sum, options) \
  static const cli_cmd var = {                              \
      .name = path, .run = fn, .usage = use, .summary = sum, .store = mode, .opts = options}
MODEL_ENTRY(field_add, "field add", field_run, CLI_STORE_WRITE,
            "field add TYPE --name N --label L --type text|longtext|number|int|money|date|datetime|"
            "choice|phone|email|url|bool [--choices a,b]",
            N_("a custom field"), add_opts);
MODEL_ENTRY(field_label, "field label", field_run, CLI_STORE_WRITE, "field label TYPE NAME --label L",
            N_("rename a field"), label_opts);
MODEL_ENTRY(field_choices, "field choices", field_run, CLI_STORE_WRITE,
            "field choices TYPE NAME --choices code=Label,b", N_("a choice field's list"), choices_opts);
MODEL_ENTRY(field_hide, "field hide", field_run, CLI_STORE_WRITE, "field hide TYPE NAME",
            N_("hide a field"), NULL);
MODEL_ENTRY(field_show, "field show", field_run, CLI_STORE_WRITE, "field show TYPE NAME",
            N_("show a hidden field again"), NULL);
MODEL_ENTRY(field_lst, "field list", field_run, CLI_STORE_READ, "field list TYPE [--json]",
            N_("a section's fields"), json_opts);
MODEL_ENTRY(field_yr, "field yearly", field_yearly, CLI_STORE_WRITE, "field yearly TYPE NAME on|off",
            N_("a client's date reminded every year"), NULL);
static const cli_cmd *const field_subs[] = {&field_add,  &field_label, &field_choices, &field_hide,
                                            &field_show, &field_lst,   &field_yr,      NULL};
const cli_cmd cli_entry_field = {
    .name = "field",
    .summary = N_("custom fields, labels and choice lists"),
    .store = CLI_STORE_NONE,
    .subs = field_subs,
};

static const cli_opt rename_opts[] = {{"--label", "L", N_("the section's new name")}, {0}};
MODEL_ENTRY(section_rename, "section rename", section_run, CLI_STORE_WRITE,
            "section rename TYPE --label L", N_("rename a section"), rename_opts);
MODEL_ENTRY(section_hide, "section hide", section_run, CLI_STORE_WRITE, "section hide TYPE",
            N_("hide a section"), NULL);
MODEL_ENTRY(section_show, "section show", section_run, CLI_STORE_WRITE, "section show TYPE",
            N_("show a hidden section again"), NULL);
MODEL_ENTRY(section_lst, "section list", section_run, CLI_STORE_READ, "section list [--json]",
            N_("the sections"), json_opts);
static const cli_cmd *const section_subs[] = {&section_rename, &section_hide, &section_show,
                                              &section_lst, NULL};
const cli_cmd cli_entry_section = {
    .name = "section",
    .summary = N_("rename or hide sections"),
    .store = CLI_STORE_NONE,
    .subs = section_subs,
};
