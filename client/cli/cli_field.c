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
  static const kt_table_col cols[] = {{"name", "Name", false}, {"label", "Label", false},
                                 {"type", "Type", false}, {"", "Flags", true},
                                 {"choices", "Choices", false}};
  kt_table *tab = ctx->json ? NULL : kt_table_new(cols, 5);
  if (ctx->json) kt_json_arr_begin(&j);
  else if (!tab) return cli_failf("out of memory");
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
      const char *flags = f->custom && f->hidden ? "custom hidden"
                          : f->custom           ? "custom"
                          : f->hidden           ? "hidden"
                                                : "";
      const char *cells[] = {f->name, kt_mfield_label(f), kt_ftype_name(f->type), flags, ch};
      if (kt_table_add(tab, cells)) {
        kt_table_free(tab);
        return cli_failf("out of memory");
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

/* `field yearly TYPE NAME on|off`: a client's date reminded every year. */
static int field_yearly(cli_ctx *ctx, int argc, char **argv) {
  if (argc != 5 || (strcmp(argv[4], "on") != 0 && strcmp(argv[4], "off") != 0))
    return cli_usage("field", "say field yearly TYPE NAME on|off");
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  bool on = strcmp(argv[4], "on") == 0;
  int rc = 0;
  if (cl_store_field_yearly(s, argv[2], argv[3], on, &err)) rc = cli_fail(&err);
  else printf("%s.%s is %s every year\n", argv[2], argv[3], on ? "now reminded" : "no longer reminded");
  cl_store_close(s);
  return rc;
}

int cli_cmd_field(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 3) return cli_usage("field", "say what to do");
  if (strcmp(argv[1], "yearly") == 0) return field_yearly(ctx, argc, argv);
  const char *verb = argv[1], *type = argv[2];
  const char *name = NULL, *label = NULL, *ftype = NULL, *choices = NULL;
  int i = 3;
  if (strcmp(verb, "add") != 0 && strcmp(verb, "list") != 0) {
    if (argc < 4) return cli_usage("field", "give TYPE and the field NAME");
    name = argv[3];
    i = 4;
  }
  for (; i < argc; i++) {
    bool has = i + 1 < argc;
    if (strcmp(argv[i], "--name") == 0 && has) name = argv[++i];
    else if (strcmp(argv[i], "--label") == 0 && has) label = argv[++i];
    else if (strcmp(argv[i], "--type") == 0 && has) ftype = argv[++i];
    else if (strcmp(argv[i], "--choices") == 0 && has) choices = argv[++i];
    else return cli_usage("field", "unknown or incomplete option '%s'", argv[i]);
  }
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc = 0;
  if (strcmp(verb, "list") == 0) {
    rc = field_list(ctx, s, type);
  } else if (strcmp(verb, "add") == 0) {
    if (!name) rc = cli_usage("field", "give the new field's --name");
    else if (cl_store_field_add(s, type, name, label, ftype, choices, &err)) rc = cli_fail(&err);
    else printf("added field %s.%s\n", type, name);
  } else if (strcmp(verb, "label") == 0 || strcmp(verb, "choices") == 0 ||
             strcmp(verb, "hide") == 0 || strcmp(verb, "show") == 0) {
    int hidden = strcmp(verb, "hide") == 0 ? 1 : strcmp(verb, "show") == 0 ? 0 : -1;
    if (strcmp(verb, "label") == 0 && !label) rc = cli_usage("field", "give the new --label");
    else if (strcmp(verb, "choices") == 0 && !choices)
      rc = cli_usage("field", "give the list with --choices 'a,b,c'");
    else if (cl_store_field_set(s, type, name, label, choices, hidden, &err)) rc = cli_fail(&err);
    else printf("updated field %s.%s\n", type, name);
  } else {
    rc = cli_usage("field", "unknown action '%s'", verb);
  }
  cl_store_close(s);
  return rc;
}

int cli_cmd_section(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage("section", "say what to do");
  const char *verb = argv[1];
  cl_store *s = cli_open(ctx, false);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int rc = 0;
  if (strcmp(verb, "list") == 0) {
    int n;
    kt_mtype *types = kt_model_types(cl_store_model(s), &n);
    kt_buf out = KT_BUF_INIT;
    kt_json j;
    kt_json_init(&j, &out, true);
    static const kt_table_col cols[] = {{"kind", "Type", false}, {"label", "Label", false},
                                   {"hidden", "", true}};
    kt_table *tab = ctx->json ? NULL : kt_table_new(cols, 3);
    if (ctx->json) kt_json_arr_begin(&j);
    else if (!tab) rc = cli_failf("out of memory");
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
                               types[i].hidden ? "(hidden)" : NULL};
        if (kt_table_add(tab, cells)) rc = cli_failf("out of memory");
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
  } else if (argc < 3) {
    rc = cli_usage("section", "give the section's TYPE");
  } else if (strcmp(verb, "rename") == 0) {
    const char *label = argc >= 5 && strcmp(argv[3], "--label") == 0 ? argv[4] : NULL;
    if (!label) rc = cli_usage("section", "give the new name with --label");
    else if (cl_store_section_set(s, argv[2], label, -1, &err)) rc = cli_fail(&err);
    else printf("section %s is now called %s\n", argv[2], label);
  } else if (strcmp(verb, "hide") == 0 || strcmp(verb, "show") == 0) {
    if (cl_store_section_set(s, argv[2], NULL, strcmp(verb, "hide") == 0, &err)) rc = cli_fail(&err);
    else printf("section %s is now %s\n", argv[2], strcmp(verb, "hide") == 0 ? "hidden" : "shown");
  } else {
    rc = cli_usage("section", "unknown action '%s'", verb);
  }
  cl_store_close(s);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt field_opts[] = {
    {"--name", "N", "the new field's name (letters, digits, _)"},
    {"--label", "L", "what people see"},
    {"--type", "T", "the new field's type"},
    {"--choices", "a,b", "a choice field's codes (code=Label)"},
    {"--json", NULL, "print JSON for programs instead of text for people"},
    {0}};
const cli_cmd cli_entry_field = {
    .name = "field",
    .run = cli_cmd_field,
    .usage = "field add TYPE --name N --label L --type text|longtext|number|int|money|date|datetime|"
     "choice|phone|email|url|bool [--choices a,b]\n"
     "          field label TYPE NAME --label L · field choices TYPE NAME --choices code=Label,b\n"
     "          field hide|show TYPE NAME · field list TYPE [--json]\n"
     "          field yearly TYPE NAME on|off   (a client's date reminded every year)",
    .summary = "custom fields, labels and choice lists",
    .store = CLI_STORE_WRITE,
    .opts = field_opts,
};

static const cli_opt section_opts[] = {
    {"--label", "L", "the section's new name"},
    {"--json", NULL, "print JSON for programs instead of text for people"},
    {0}};
const cli_cmd cli_entry_section = {
    .name = "section",
    .run = cli_cmd_section,
    .usage = "section rename TYPE --label L · section hide|show TYPE · section list [--json]",
    .summary = "rename or hide sections",
    .store = CLI_STORE_WRITE,
    .opts = section_opts,
};
