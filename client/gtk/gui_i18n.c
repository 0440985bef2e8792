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

const char *gui_field_label(const kt_mtype *t, const kt_mfield *f) { return kt_mfield_label_tr(t, f); }

void gui_value_text(const kt_mtype *t, const kt_mfield *f, const kt_value *v, kt_buf *out) {
  kt_mfield_format_tr(t, f, v, out);
}
