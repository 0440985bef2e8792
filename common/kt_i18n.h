/* kt_i18n — the programs' language: binds gettext's text domain "kartoteka"
 * (po/: Russian, Polish; English is the msgids) to the catalogues, following
 * the PC's locale. Shared by the desktop app and the CLI; no GLib. The
 * server never calls it (its log lines and the protocol stay English). Call
 * once at the start of main, before any other thread exists. */
#ifndef KT_I18N_H
#define KT_I18N_H

#include <libintl.h>
#include <stdbool.h>
#include <stddef.h>

#define KT_I18N_DOMAIN "kartoteka"

/* The client library's and common code's messages for people (value checks,
 * the store's refusals, import and sync problems): KT_() translates at the
 * call in the domain above, KT_N_() marks a static initialiser's string
 * (translated with KT_() where used), KT_NG_() picks a plural form. No GLib:
 * plain libintl. The programs that bound the domain (kt_i18n_init) get their
 * language; the server never binds it and runs in the C locale, so there they
 * return the English msgid and its logs and protocol messages stay English.
 * tools/make_pot.sh reads these keywords. */
#define KT_(s) dgettext(KT_I18N_DOMAIN, s)
#define KT_N_(s) (s)
#define KT_NG_(s, p, n) dngettext(KT_I18N_DOMAIN, s, p, (unsigned long)(n))

/* A registry noun ("organization", kt_typedef.noun) in the programs'
 * language (msgctxt "noun", from tools/registry_strings); the noun itself
 * when it has no translation. Static or the catalogue's: never freed. */
const char *kt_i18n_noun(const char *noun);

/* msgid in context ctx (msgctxt, as tools/registry_strings writes the
 * registry's strings: the type name for its field and choice labels) in the
 * programs' language; msgid itself when it has no translation or the domain
 * is not bound (the server). Static or the catalogue's: never freed. */
const char *kt_i18n_ctx(const char *ctx, const char *msgid);

/* on: kt_i18n_ctx returns msgid untranslated, so what programs read (the
 * CLI's --json: titles with an event's type) is the same in every language;
 * messages (KT_, kt_i18n_noun) stay translated. Call before other threads. */
void kt_i18n_registry_plain(bool on);

/* "an organization" in English; the translated noun alone otherwise (the
 * translated sentences put it where no article is needed). Written into out
 * (n bytes); returns out. */
const char *kt_i18n_a_noun(const char *noun, char *out, size_t n);

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
