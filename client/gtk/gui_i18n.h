/* gui_i18n — the desktop app's language: gettext (domain "kartoteka") with
 * Russian, Polish and English catalogues (po/), following the PC's locale.
 * The registry's strings are translated with the contexts tools/
 * registry_strings writes into the template: "section" for section labels,
 * the type name for a type's field labels and choice labels. What an office
 * renamed (a section, a field, a choice list of its own) is shown as the
 * office wrote it, untranslated. GTK main thread. */
#ifndef GUI_I18N_H
#define GUI_I18N_H

#include "kt_buf.h"
#include "kt_model.h"

/* Binds the text domain: $KARTOTEKA_LOCALEDIR, else ../share/locale beside
 * the program (the build folder and an installed prefix have that layout),
 * else the compiled-in prefix. Call once before any window. */
void gui_i18n_init(const char *argv0);

const char *gui_type_label(const kt_mtype *t);                       /* static or borrowed */
const char *gui_field_label(const kt_mtype *t, const kt_mfield *f);  /* static or borrowed */
/* Appends the display form of v (kt_mfield_format), a built-in choice's label
 * translated. */
void gui_value_text(const kt_mtype *t, const kt_mfield *f, const kt_value *v, kt_buf *out);

#endif
