/* gui_i18n — see gui_i18n.h. */
#include "gui_i18n.h"

#include <glib/gi18n.h>

#include "kt_i18n.h"

void gui_i18n_init(const char *argv0) {
  kt_i18n_init(argv0, KARTOTEKA_LOCALEDIR); /* the CLI finds its catalogues the same way */
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
