/* kt_tags — multi-value (tags) fields: see kt_tags.h. */
#include "kt_tags.h"

#include <stdlib.h>
#include <string.h>

#include "kt_i18n.h"
#include "kt_text.h"

void kt_tags_free(kt_tags *l) {
  for (int i = 0; i < l->n; i++) {
    free(l->v[i].text);
    free(l->v[i].fold);
  }
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

int kt_tags_valid(const char *s, size_t n, kt_err *err) {
  size_t len;
  const char *t = kt_text_trimn(s, n, &len);
  if (!len) return kt_err_set(err, KT_EINVAL, KT_("a tag is empty: write tags as VIP,Опт"));
  if (len > KT_TAG_MAX)
    return kt_err_set(err, KT_EINVAL, KT_("tag '%.40s...' is longer than %d bytes: shorten it"), t,
                      KT_TAG_MAX);
  if (!kt_utf8_valid(t, len))
    return kt_err_set(err, KT_EINVAL, KT_("a tag is not valid UTF-8 text: check the file's encoding"));
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)t[i];
    if (c == ',' || c < 0x20 || c == 0x7f)
      return kt_err_set(err, KT_EINVAL, KT_("tag '%.*s' has a %s: one tag is one word or phrase "
                        "without commas or line breaks"), (int)len, t, c == ',' ? KT_("comma") :
                        KT_("control character"));
  }
  return 0;
}

int kt_tags_find(const kt_tags *l, const char *s) {
  kt_buf f = KT_BUF_INIT;
  size_t len;
  const char *t = kt_text_trimn(s, strlen(s), &len);
  int found = -1;
  if (kt_text_fold(t, len, &f) == 0)
    for (int i = 0; i < l->n && found < 0; i++)
      if (strcmp(l->v[i].fold, kt_buf_str(&f)) == 0) found = i;
  kt_buf_free(&f);
  return found;
}

int kt_tags_add(kt_tags *l, const char *s, size_t n, bool *added, kt_err *err) {
  if (added) *added = false;
  int rc = kt_tags_valid(s, n, err);
  if (rc) return rc;
  size_t len;
  const char *t = kt_text_trimn(s, n, &len);
  kt_buf f = KT_BUF_INIT;
  if (kt_text_fold(t, len, &f)) {
    kt_buf_free(&f);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  for (int i = 0; i < l->n; i++)
    if (strcmp(l->v[i].fold, kt_buf_str(&f)) == 0) {
      kt_buf_free(&f);
      return 0;
    }
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 8;
    kt_tag *p = realloc(l->v, (size_t)cap * sizeof *p);
    if (!p) {
      kt_buf_free(&f);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
    l->v = p;
    l->cap = cap;
  }
  char *text = malloc(len + 1);
  if (!text) {
    kt_buf_free(&f);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  memcpy(text, t, len);
  text[len] = '\0';
  l->v[l->n].text = text;
  l->v[l->n].fold = kt_buf_take(&f);
  if (!l->v[l->n].fold) {
    free(text);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  l->n++;
  if (added) *added = true;
  return 0;
}

int kt_tags_parse(kt_tags *l, const char *text, kt_err *err) {
  const char *p = text ? text : "";
  while (*p) {
    const char *comma = strchr(p, ','), *google = strstr(p, ":::");
    const char *end = comma && (!google || comma < google) ? comma : google;
    size_t n = end ? (size_t)(end - p) : strlen(p), len;
    kt_text_trimn(p, n, &len);
    if (len) {
      int rc = kt_tags_add(l, p, n, NULL, err);
      if (rc) return rc;
    }
    if (!end) break;
    p = end + (end == google ? 3 : 1);
  }
  return 0;
}

void kt_tags_remove(kt_tags *l, int i) {
  if (i < 0 || i >= l->n) return;
  free(l->v[i].text);
  free(l->v[i].fold);
  memmove(&l->v[i], &l->v[i + 1], (size_t)(l->n - i - 1) * sizeof l->v[0]);
  l->n--;
}

static int tag_cmp(const void *a, const void *b) {
  const kt_tag *x = a, *y = b;
  int c = strcmp(x->fold, y->fold);
  return c ? c : strcmp(x->text, y->text);
}

void kt_tags_sort(kt_tags *l) {
  if (l->n > 1) qsort(l->v, (size_t)l->n, sizeof l->v[0], tag_cmp);
}

void kt_tags_join(kt_tags *l, kt_buf *out) {
  kt_tags_sort(l);
  for (int i = 0; i < l->n; i++) {
    if (i) kt_buf_puts(out, ", ");
    kt_buf_puts(out, l->v[i].text);
  }
}

void kt_tags_id(const char *card_id, const char *field, const char *tag,
                char out[KT_UUID_STRLEN + 1]) {
  kt_buf key = KT_BUF_INIT, f = KT_BUF_INIT;
  size_t len;
  const char *t = kt_text_trimn(tag, strlen(tag), &len);
  kt_text_fold(t, len, &f);
  kt_buf_printf(&key, "tag|%s|%s|%s", card_id, field, kt_buf_str(&f));
  kt_uuid_derive(kt_buf_str(&key), key.len, out);
  kt_buf_free(&key);
  kt_buf_free(&f);
}

const kt_mfield *kt_tags_card_ref(const kt_mtype *et, const char *card_type) {
  for (int i = 0; et && i < et->nfields; i++)
    if (et->fields[i].type == KT_FT_REF && !et->fields[i].custom &&
        strcmp(et->fields[i].ref, card_type) == 0)
      return &et->fields[i];
  return NULL;
}

kt_mtype *kt_tags_elem_type(kt_model *m) {
  int n;
  kt_mtype *t = kt_model_types(m, &n);
  for (int i = 0; i < n; i++)
    if (t[i].def->flags & KT_TF_ELEMENT) return &t[i];
  return NULL;
}

static const char *text_of(const kt_mtype *et, const kt_value *v, const char *name) {
  kt_mfield *f = kt_mtype_field((kt_mtype *)et, name);
  if (!f) return NULL;
  const kt_value *x = &v[et->pos[f->vidx]];
  return x->kind == KT_V_TEXT && x->s && *x->s ? x->s : NULL;
}

bool kt_tags_elem_of(const kt_mtype *et, const kt_value *v, kt_tags_elem *e) {
  memset(e, 0, sizeof *e);
  int refs = 0;
  for (int i = 0; i < et->nfields; i++) {
    const kt_mfield *f = &et->fields[i];
    if (f->type != KT_FT_REF || f->custom) continue;
    const kt_value *x = &v[i];
    if (x->kind != KT_V_TEXT || !x->s || !*x->s) continue;
    refs++;
    e->card_type = f->ref;
    e->card_id = x->s;
  }
  e->field = text_of(et, v, "field");
  e->tag = text_of(et, v, "tag");
  return refs == 1;
}

int kt_tags_elem_check(kt_model *m, const kt_mtype *et, const char *id, const kt_value *v,
                       kt_err *err) {
  kt_tags_elem e;
  if (!kt_tags_elem_of(et, v, &e))
    return kt_err_set(err, KT_EINVAL, "a tag names exactly one card (org or contact)");
  kt_mtype *ct = kt_model_type(m, e.card_type);
  kt_mfield *f = ct && e.field ? kt_mtype_field(ct, e.field) : NULL;
  if (!f || !kt_ftype_is_multi(f->type))
    return kt_err_set(err, KT_EINVAL, "'%s' is not a tags field of %s", e.field ? e.field : "",
                      e.card_type);
  if (!e.tag) return kt_err_set(err, KT_EINVAL, "a tag record has no tag");
  size_t len;
  kt_text_trimn(e.tag, strlen(e.tag), &len);
  int rc = kt_tags_valid(e.tag, strlen(e.tag), err);
  if (rc) return rc;
  if (len != strlen(e.tag)) return kt_err_set(err, KT_EINVAL, "tag '%s' is not trimmed", e.tag);
  char want[KT_UUID_STRLEN + 1];
  kt_tags_id(e.card_id, e.field, e.tag, want);
  if (!id || strcmp(id, want) != 0)
    return kt_err_set(err, KT_EINVAL, "a tag record's id must be derived from its card, field and "
                      "tag (%s, not %s)", want, id ? id : "");
  return 0;
}

int kt_tags_collect(kt_tags *l, const kt_mtype *et, const kt_value *v, const char *card_id,
                    const char *field, kt_err *err) {
  kt_tags_elem e;
  if (!kt_tags_elem_of(et, v, &e) || !e.field || !e.tag || strcmp(e.card_id, card_id) != 0 ||
      strcmp(e.field, field) != 0)
    return 0;
  if (v[KT_F_DELETED].kind == KT_V_INT && v[KT_F_DELETED].i) return 0;
  int rc = kt_tags_add(l, e.tag, strlen(e.tag), NULL, NULL);
  return rc == KT_ENOMEM ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}

bool kt_tags_has(const char *list, const char *tag) {
  kt_tags l = KT_TAGS_INIT;
  bool has = kt_tags_parse(&l, list, NULL) == 0 && kt_tags_find(&l, tag) >= 0;
  kt_tags_free(&l);
  return has;
}
