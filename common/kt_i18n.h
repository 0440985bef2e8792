/* kt_i18n — the programs' language: binds gettext's text domain "kartoteka"
 * (po/: Russian, Polish; English is the msgids) to the catalogues, following
 * the PC's locale. Shared by the desktop app and the CLI; no GLib. The
 * server never calls it (its log lines and the protocol stay English). Call
 * once at the start of main, before any other thread exists. */
#ifndef KT_I18N_H
#define KT_I18N_H

#include <stddef.h>

#define KT_I18N_DOMAIN "kartoteka"

/* setlocale(LC_ALL, "") and binds the domain to the first of:
 * $KARTOTEKA_LOCALEDIR; ../share/locale beside the running program (the build
 * folder and an installed prefix have that layout: build/debug/bin/kartoteka
 * finds build/debug/share/locale); compiled_dir (the install prefix's,
 * KARTOTEKA_LOCALEDIR at build time). argv0 is used when /proc/self/exe
 * cannot be read (NULL: not). Messages come out in UTF-8 whatever the
 * locale's charset. */
void kt_i18n_init(const char *argv0, const char *compiled_dir);

/* The folder kt_i18n_init would bind (for tests and --verbose): written into
 * out (n bytes, NUL-terminated, possibly cut). */
void kt_i18n_locale_dir(const char *argv0, const char *compiled_dir, char *out, size_t n);

#endif
