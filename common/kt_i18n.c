/* kt_i18n — see kt_i18n.h. The desktop app (gui_i18n.c) and the CLI
 * (cli_main.c) find their catalogues the same way through it. */
#include "kt_i18n.h"

#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void kt_i18n_locale_dir(const char *argv0, const char *compiled_dir, char *out, size_t n) {
  const char *env = getenv("KARTOTEKA_LOCALEDIR");
  if (env && *env) {
    snprintf(out, n, "%s", env);
    return;
  }
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) exe[len] = '\0';
  else if (!argv0 || !realpath(argv0, exe)) exe[0] = '\0';
  char *slash = strrchr(exe, '/');
  if (slash) {
    *slash = '\0'; /* the program's folder */
    char cand[PATH_MAX + 32];
    snprintf(cand, sizeof cand, "%s/../share/locale", exe);
    if (is_dir(cand)) {
      snprintf(out, n, "%s", cand);
      return;
    }
  }
  snprintf(out, n, "%s", compiled_dir ? compiled_dir : "");
}

void kt_i18n_init(const char *argv0, const char *compiled_dir) {
  setlocale(LC_ALL, "");
  char dir[PATH_MAX + 32];
  kt_i18n_locale_dir(argv0, compiled_dir, dir, sizeof dir);
  if (dir[0]) bindtextdomain(KT_I18N_DOMAIN, dir);
  bind_textdomain_codeset(KT_I18N_DOMAIN, "UTF-8");
  textdomain(KT_I18N_DOMAIN);
}

/* kt_i18n_registry_plain: one per process, like the text domain's binding */
static bool registry_plain;

void kt_i18n_registry_plain(bool on) { registry_plain = on; }

static const char *in_ctx(const char *ctx, const char *msgid) {
  if (!msgid) return "";
  char key[256];
  if (!ctx || snprintf(key, sizeof key, "%s\004%s", ctx, msgid) >= (int)sizeof key) return msgid;
  const char *t = dgettext(KT_I18N_DOMAIN, key);
  return t == key ? msgid : t;
}

const char *kt_i18n_ctx(const char *ctx, const char *msgid) {
  return registry_plain ? (msgid ? msgid : "") : in_ctx(ctx, msgid);
}

const char *kt_i18n_noun(const char *noun) { return noun ? in_ctx("noun", noun) : ""; }

const char *kt_i18n_a_noun(const char *noun, char *out, size_t n) {
  const char *t = kt_i18n_noun(noun);
  if (t != noun) snprintf(out, n, "%s", t);
  else snprintf(out, n, "%s %s", strchr("aeiou", noun[0]) && noun[0] ? "an" : "a", noun);
  return out;
}
