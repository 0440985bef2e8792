/* registry_strings — prints the registry's user-facing strings (section
 * labels, field labels, built-in choice labels) as a gettext template
 * (.pot) fragment, so the translations of the desktop app cover what the
 * registry says without a second list of it. Used by `make pot`. Contexts:
 * "section" for section labels, the type name for its fields' labels and
 * choices (an organization's "Name" is not a contact's), "noun" for the
 * nouns of the library's messages (kt_i18n_noun). The app looks them
 * up with the same contexts (gui_i18n.c). */
#include <stdio.h>
#include <string.h>

#include "kt_choice.h"
#include "kt_registry.h"

#define MAXSEEN 4096
static const char *seen[MAXSEEN], *seen_ctx[MAXSEEN];
static size_t seen_len[MAXSEEN];
static int nseen;

static void emit(const char *ctx, const char *where, const char *s, size_t n) {
  for (int i = 0; i < nseen; i++)
    if (seen_len[i] == n && strncmp(seen[i], s, n) == 0 && strcmp(seen_ctx[i], ctx) == 0) return;
  if (nseen < MAXSEEN) {
    seen[nseen] = s;
    seen_ctx[nseen] = ctx;
    seen_len[nseen++] = n;
  }
  printf("#. %s\nmsgctxt \"%s\"\nmsgid \"", where, ctx);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"' || s[i] == '\\') putchar('\\');
    putchar(s[i]);
  }
  printf("\"\nmsgstr \"\"\n\n");
}

typedef struct ch {
  const char *ctx, *where;
} ch;

static int on_choice(void *ud, const kt_choice_item *it) {
  ch *c = ud;
  if (it->label_len) emit(c->ctx, c->where, it->label, it->label_len);
  else emit(c->ctx, c->where, it->code, it->code_len);
  return 0;
}

int main(void) {
  int n = 0;
  const kt_typedef *types = kt_registry_types(&n);
  for (int i = 0; i < n; i++) {
    const kt_typedef *t = &types[i];
    /* what only the program reads (field definitions, section settings,
       reminder states, staff records) is never shown as a section */
    if (t->flags & KT_TF_CONFIG && strcmp(t->name, "group") != 0) continue;
    char where[160];
    snprintf(where, sizeof where, "registry: the section %s", t->name);
    emit("section", where, t->label, strlen(t->label));
    for (int k = 0; k < t->nfields; k++) {
      const kt_fielddef *f = &t->fields[k];
      snprintf(where, sizeof where, "registry: the field %s.%s", t->name, f->name);
      emit(t->name, where, f->label, strlen(f->label));
      if (f->choices) {
        snprintf(where, sizeof where, "registry: a choice of %s.%s", t->name, f->name);
        ch c = {t->name, where};
        kt_choice_each(f->choices, on_choice, &c);
      }
    }
  }
  /* each record's noun, for the library's messages (kt_i18n_noun): all types,
     a message may name a field definition too */
  for (int i = 0; i < n; i++) {
    char where[160];
    snprintf(where, sizeof where, "registry: one %s record in messages (nominative)", types[i].name);
    emit("noun", where, types[i].noun, strlen(types[i].noun));
  }
  return 0;
}
