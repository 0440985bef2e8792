/* gui_i18n — see gui_i18n.h. */
#include "gui_i18n.h"

#include <glib/gi18n.h>
#include <locale.h>

void gui_i18n_init(const char *argv0) {
  setlocale(LC_ALL, "");
  const char *env = g_getenv("KARTOTEKA_LOCALEDIR");
  char *dir = NULL;
  if (env && *env) dir = g_strdup(env);
  else {
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (!exe && argv0) exe = g_canonicalize_filename(argv0, NULL);
    if (exe) {
      char *bin = g_path_get_dirname(exe);
      char *cand = g_build_filename(bin, "..", "share", "locale", NULL);
      if (g_file_test(cand, G_FILE_TEST_IS_DIR)) dir = cand;
      else g_free(cand);
      g_free(bin);
      g_free(exe);
    }
  }
  bindtextdomain("kartoteka", dir ? dir : KARTOTEKA_LOCALEDIR);
  bind_textdomain_codeset("kartoteka", "UTF-8");
  textdomain("kartoteka");
  g_free(dir);
}

const char *gui_type_label(const kt_mtype *t) {
  return t->label ? t->label : g_dpgettext2(NULL, "section", t->def->label);
}

const char *gui_field_label(const kt_mtype *t, const kt_mfield *f) {
  if (f->label || f->custom) return kt_mfield_label(f);
  return g_dpgettext2(NULL, t->def->name, f->def_label);
}

void gui_value_text(const kt_mtype *t, const kt_mfield *f, const kt_value *v, kt_buf *out) {
  if (f->type == KT_FT_CHOICE && !f->choices && !f->custom && v->kind == KT_V_TEXT) {
    kt_buf b = KT_BUF_INIT;
    kt_mfield_format(f, v, false, &b);
    kt_buf_puts(out, g_dpgettext2(NULL, t->def->name, kt_buf_str(&b)));
    kt_buf_free(&b);
    return;
  }
  kt_mfield_format(f, v, false, out);
}
