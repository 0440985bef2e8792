/* kt_choice — see kt_choice.h. */
#include "kt_choice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_i18n.h"
#include "kt_text.h"

static const char *trim(const char *p, size_t n, size_t *len) { return kt_text_trimn(p, n, len); }

int kt_choice_each(const char *list, int (*cb)(void *ud, const kt_choice_item *it), void *ud) {
  const char *p = list;
  while (p && *p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    kt_choice_item it;
    const char *eq = memchr(p, '=', n);
    if (eq) {
      it.code = trim(p, (size_t)(eq - p), &it.code_len);
      it.label = trim(eq + 1, n - (size_t)(eq - p) - 1, &it.label_len);
      if (!it.label_len) { /* "code=": the code is its own label */
        it.label = it.code;
        it.label_len = it.code_len;
      }
    } else {
      it.code = trim(p, n, &it.code_len);
      it.label = it.code;
      it.label_len = it.code_len;
    }
    if (it.code_len || it.label_len) {
      int rc = cb(ud, &it);
      if (rc) return rc;
    }
    p = e ? e + 1 : NULL;
  }
  return 0;
}

/* "=Label" has no code: everywhere but kt_choice_validate the label stands in */
static void code_of(const kt_choice_item *it, const char **p, size_t *n) {
  *p = it->code_len ? it->code : it->label;
  *n = it->code_len ? it->code_len : it->label_len;
}

static bool folded_eq(const char *a, size_t an, const kt_buf *want, kt_buf *tmp) {
  kt_buf_reset(tmp);
  kt_text_fold(a, an, tmp);
  return tmp->len == want->len && memcmp(kt_buf_str(tmp), kt_buf_str(want), want->len) == 0;
}

typedef struct find_ctx {
  kt_buf want, tmp;
  bool by_label;
  const char *code;
  size_t code_len;
} find_ctx;

static int find_cb(void *ud, const kt_choice_item *it) {
  find_ctx *f = ud;
  const char *c;
  size_t cn;
  code_of(it, &c, &cn);
  if (!folded_eq(f->by_label ? it->label : c, f->by_label ? it->label_len : cn, &f->want, &f->tmp))
    return 0;
  f->code = c;
  f->code_len = cn;
  return 1;
}

bool kt_choice_find(const char *list, const char *text, kt_buf *code_out) {
  find_ctx f = {KT_BUF_INIT, KT_BUF_INIT, false, NULL, 0};
  size_t n;
  const char *t = kt_text_trim(text ? text : "", &n);
  kt_text_fold(t, n, &f.want);
  if (!kt_choice_each(list, find_cb, &f)) {
    f.by_label = true;
    kt_choice_each(list, find_cb, &f);
  }
  if (f.code) kt_buf_append(code_out, f.code, f.code_len);
  kt_buf_free(&f.want);
  kt_buf_free(&f.tmp);
  return f.code != NULL;
}

typedef struct label_ctx {
  const char *code;
  const kt_choice_item *hit;
  kt_choice_item copy;
} label_ctx;

static int label_cb(void *ud, const kt_choice_item *it) {
  label_ctx *l = ud;
  const char *c;
  size_t cn;
  code_of(it, &c, &cn);
  if (cn != strlen(l->code) || memcmp(c, l->code, cn) != 0) return 0;
  l->copy = *it;
  l->hit = &l->copy;
  return 1;
}

void kt_choice_label(const char *list, const char *code, kt_buf *out) {
  label_ctx l = {code ? code : "", NULL, {0}};
  kt_choice_each(list, label_cb, &l);
  if (l.hit) kt_buf_append(out, l.hit->label, l.hit->label_len);
  else kt_buf_puts(out, l.code);
}

bool kt_choice_has_code(const char *list, const char *code) {
  label_ctx l = {code ? code : "", NULL, {0}};
  kt_choice_each(list, label_cb, &l);
  return l.hit != NULL;
}

/* ---- what an office may give ------------------------------------------------------ */

#define MAX_ITEMS 200

typedef struct check_ctx {
  kt_choice_item v[MAX_ITEMS];
  int n;
  bool nocode, toomany;
} check_ctx;

static int collect_cb(void *ud, const kt_choice_item *it) {
  check_ctx *c = ud;
  if (!it->code_len) c->nocode = true;
  if (c->n == MAX_ITEMS) {
    c->toomany = true;
    return 1;
  }
  c->v[c->n++] = *it;
  return 0;
}

int kt_choice_validate(const char *list, const char *needs, const char *what, kt_err *err) {
  check_ctx *c = calloc(1, sizeof *c);
  if (!c) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = 0;
  kt_choice_each(list, collect_cb, c);
  if (c->toomany) {
    rc = kt_err_set(err, KT_EINVAL, KT_("%s: at most %d choices"), what, MAX_ITEMS);
    goto out;
  }
  if (c->nocode || !c->n) {
    rc = kt_err_set(err, KT_EINVAL, KT_("%s: every choice needs a code: write code=Label (like "
                    "call_back=Перезвонить) or a bare word, separated by commas"), what);
    goto out;
  }
  for (int i = 0; i < c->n && !rc; i++)
    for (int j = 0; j < c->n && !rc; j++) {
      const kt_choice_item *a = &c->v[i], *b = &c->v[j];
      if (i < j && kt_text_same_folded(a->code, a->code_len, b->code, b->code_len))
        rc = kt_err_set(err, KT_EINVAL, KT_("%s: the code %.*s is given twice"), what,
                        (int)a->code_len, a->code);
      else if (i < j && kt_text_same_folded(a->label, a->label_len, b->label, b->label_len))
        rc = kt_err_set(err, KT_EINVAL, KT_("%s: the label %.*s is given twice; give each choice "
                        "its own"), what, (int)a->label_len, a->label);
      else if (i != j && kt_text_same_folded(a->label, a->label_len, b->code, b->code_len))
        rc = kt_err_set(err, KT_EINVAL, KT_("%s: the label %.*s is also the code of another choice; "
                        "choose another label"), what, (int)a->label_len, a->label);
    }
  for (const char *p = needs; !rc && p && *p;) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char code[64];
    snprintf(code, sizeof code, "%.*s", (int)n, p);
    if (!kt_choice_has_code(list, code))
      rc = kt_err_set(err, KT_EINVAL, KT_("%s: the choice %s cannot be removed (the program keys on "
                      "it); keep it under the label you want, e.g. %s=YourLabel"), what, code, code);
    p = e ? e + 1 : NULL;
  }
out:
  free(c);
  return rc;
}

int kt_choice_with_needs(const char *list, const char *needs, char **out) {
  *out = NULL;
  if (!list || !*list) return 0;
  kt_buf b = KT_BUF_INIT;
  kt_buf_puts(&b, list);
  for (const char *p = needs; p && *p;) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char code[64];
    snprintf(code, sizeof code, "%.*s", (int)n, p);
    if (!kt_choice_has_code(list, code)) {
      kt_buf_putc(&b, ',');
      kt_buf_puts(&b, code);
    }
    p = e ? e + 1 : NULL;
  }
  if (b.oom) {
    kt_buf_free(&b);
    return KT_ENOMEM;
  }
  *out = kt_buf_take(&b);
  return 0;
}
