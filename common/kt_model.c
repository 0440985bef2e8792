/* kt_model — see kt_model.h. */
#include "kt_model.h"
#include "kt_tags.h"

#include <ctype.h>
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kt_alloc.h"
#include "kt_choice.h"
#include "kt_i18n.h"
#include "kt_text.h"
#include "kt_time.h"
#include "kt_uuid.h"

struct kt_model {
  int ntypes;
  kt_mtype types[KT_MAX_TYPES];
};

/* ---- values ---------------------------------------------------------------- */

void kt_value_clear(kt_value *v) {
  if (v->kind == KT_V_TEXT) free(v->s);
  v->kind = KT_V_NULL;
  v->s = NULL;
  v->i = 0;
}

int kt_value_set_text(kt_value *v, const char *s, size_t n) {
  char *p = kt_malloc(n + 1);
  if (!p) return KT_ENOMEM;
  memcpy(p, s, n);
  p[n] = '\0';
  kt_value_clear(v);
  v->kind = KT_V_TEXT;
  v->s = p;
  return 0;
}

void kt_value_set_int(kt_value *v, int64_t i) {
  kt_value_clear(v);
  v->kind = KT_V_INT;
  v->i = i;
}

int kt_value_copy(kt_value *dst, const kt_value *src) {
  if (src->kind == KT_V_TEXT) return kt_value_set_text(dst, src->s, strlen(src->s));
  kt_value_clear(dst);
  dst->kind = src->kind;
  dst->i = src->i;
  return 0;
}

bool kt_value_equal(const kt_value *a, const kt_value *b) {
  if (a->kind != b->kind) return false;
  if (a->kind == KT_V_INT) return a->i == b->i;
  if (a->kind == KT_V_TEXT) return strcmp(a->s, b->s) == 0;
  return true;
}

/* ---- model ------------------------------------------------------------------ */

static void set_builtin(kt_mfield *f, const kt_typedef *t, const kt_fielddef *d, int idx) {
  memset(f, 0, sizeof *f);
  snprintf(f->name, sizeof f->name, "%s", d->name);
  snprintf(f->column, sizeof f->column, "%s", d->name);
  f->type = d->type;
  f->flags = d->flags;
  f->vidx = idx;
  f->ref = d->ref;
  f->def_label = d->label;
  f->def_choices = d->choices;
  f->needs = d->type == KT_FT_CHOICE ? kt_registry_needs(t->name, d->name) : NULL;
  f->msgctxt = t->name;
}

int kt_model_new(kt_model **out, kt_err *err) {
  kt_model *m = kt_calloc(1, sizeof *m);
  if (!m) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int n;
  const kt_typedef *defs = kt_registry_types(&n);
  for (int i = 0; i < n; i++) {
    kt_mtype *t = &m->types[i];
    t->def = &defs[i];
    t->nfields = defs[i].nfields;
    t->fields = kt_calloc(KT_MAX_FIELDS, sizeof *t->fields);
    if (!t->fields) {
      m->ntypes = i;
      kt_model_free(m);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
    for (int k = 0; k < KT_MAX_FIELDS; k++) t->pos[k] = -1;
    for (int k = 0; k < defs[i].nfields; k++) {
      set_builtin(&t->fields[k], &defs[i], &defs[i].fields[k], k);
      t->pos[k] = k;
    }
  }
  m->ntypes = n;
  *out = m;
  return 0;
}

void kt_model_free(kt_model *m) {
  if (!m) return;
  for (int i = 0; i < m->ntypes; i++) {
    kt_mtype *t = &m->types[i];
    free(t->label);
    for (int k = 0; k < t->nfields; k++) {
      free(t->fields[k].label);
      free(t->fields[k].choices);
    }
    free(t->fields);
  }
  free(m);
}

kt_mtype *kt_model_types(kt_model *m, int *n) {
  *n = m->ntypes;
  return m->types;
}

kt_mtype *kt_model_type(kt_model *m, const char *name) {
  if (!name) return NULL;
  for (int i = 0; i < m->ntypes; i++)
    if (strcmp(m->types[i].def->name, name) == 0) return &m->types[i];
  return NULL;
}

kt_mtype *kt_model_type_by_code(kt_model *m, int code) {
  for (int i = 0; i < m->ntypes; i++)
    if (m->types[i].def->code == code) return &m->types[i];
  return NULL;
}

int kt_model_type_get(kt_model *m, const char *name, kt_mtype **out, kt_err *err) {
  kt_mtype *t = kt_model_type(m, name);
  if (!t || !(t->def->flags & KT_TF_USER))
    return kt_err_set(err, KT_EINVAL, KT_("unknown type '%s'; valid types: %s"), name ? name : "",
                      kt_registry_type_names());
  *out = t;
  return 0;
}

kt_mfield *kt_mtype_field(kt_mtype *t, const char *name) {
  for (int k = 0; k < t->nfields; k++)
    if (strcmp(t->fields[k].name, name) == 0) return &t->fields[k];
  return NULL;
}

int kt_mtype_field_get(kt_mtype *t, const char *name, kt_mfield **out, kt_err *err) {
  kt_mfield *f = kt_mtype_field(t, name);
  if (f) {
    *out = f;
    return 0;
  }
  kt_buf b = KT_BUF_INIT;
  for (int k = 0; k < t->nfields; k++) {
    if (k) kt_buf_putc(&b, ' ');
    kt_buf_puts(&b, t->fields[k].name);
  }
  kt_err_set(err, KT_EINVAL, KT_("unknown field '%s' for %s; valid fields: %s"), name, t->def->name,
             kt_buf_str(&b));
  kt_buf_free(&b);
  return KT_EINVAL;
}

kt_mfield *kt_mtype_field_by_vidx(kt_mtype *t, int vidx) {
  if (vidx < 0 || vidx >= KT_MAX_FIELDS || t->pos[vidx] < 0) return NULL;
  return &t->fields[t->pos[vidx]];
}

const char *kt_mfield_label(const kt_mfield *f) { return f->label ? f->label : f->def_label; }

const char *kt_mfield_label_tr(const kt_mtype *t, const kt_mfield *f) {
  if (f->label || f->custom) return kt_mfield_label(f);
  return kt_i18n_ctx(t->def->name, f->def_label);
}
const char *kt_mfield_choices(const kt_mfield *f) {
  if (f->type != KT_FT_CHOICE) return NULL;
  return f->choices ? f->choices : (f->def_choices ? f->def_choices : "");
}
const char *kt_mtype_label(const kt_mtype *t) { return t->label ? t->label : t->def->label; }

int kt_mfield_choices_check(const kt_mfield *f, const char *etype, const char *list, kt_err *err) {
  if (f->type != KT_FT_CHOICE)
    return kt_err_set(err, KT_EINVAL, KT_("%s.%s is not a choice field"), etype, f->name);
  char what[KT_NAME_MAX * 2 + 2];
  snprintf(what, sizeof what, "%s.%s", etype, f->name);
  return kt_choice_validate(list, f->needs, what, err);
}

static int replace_str(char **dst, const char *src) {
  char *p = NULL;
  if (src && *src && !(p = kt_strdup(src))) return KT_ENOMEM;
  free(*dst);
  *dst = p;
  return 0;
}

static bool valid_ident(const char *s) {
  if (!s || !(*s >= 'a' && *s <= 'z')) return false;
  size_t n = 0;
  for (; s[n]; n++)
    if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
      return false;
  return n < KT_NAME_MAX - 2;
}


int kt_model_apply_field_def(kt_model *m, const char *etype, const char *name, const char *label,
                             const char *ftype, const char *choices, bool hidden, bool *added,
                             kt_err *err) {
  *added = false;
  kt_mtype *t = kt_model_type(m, etype);
  if (!t) return kt_err_set(err, KT_EINVAL, KT_("unknown type '%s'; valid types: %s"), etype ? etype : "",
                            kt_registry_type_names());
  kt_mfield *f = kt_mtype_field(t, name ? name : "");
  if (!f) {
    if (!valid_ident(name))
      return kt_err_set(err, KT_EINVAL,
                        KT_("bad field name '%s': use lower-case Latin letters, digits and _ "
                        "(starting with a letter, at most %d characters)"),
                        name ? name : "", KT_NAME_MAX - 3);
    int ft = ftype ? kt_ftype_parse(ftype) : -1;
    if (ft < 0 || !kt_ftype_is_custom((kt_ftype)ft))
      return kt_err_set(err, KT_EINVAL, KT_("bad field type '%s'; use one of: %s"), ftype ? ftype : "",
                        KT_FTYPE_CUSTOM_LIST);
    if (kt_ftype_is_multi((kt_ftype)ft) && !kt_tags_card_ref(kt_tags_elem_type(m), etype))
      return kt_err_set(err, KT_EINVAL, KT_("a %s field can be added to organizations and contacts "
                        "(org, contact), not to %s"), ftype, etype);
    if (t->ncustom >= KT_MAX_FIELDS - KT_CUSTOM_BASE)
      return kt_err_set(err, KT_EINVAL, KT_("%s already has %d custom fields, the maximum"), etype,
                        t->ncustom);
    f = &t->fields[t->nfields];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->column, sizeof f->column, "c_%s", name);
    f->type = (kt_ftype)ft;
    f->flags = (ft == KT_FT_TEXT || ft == KT_FT_LONGTEXT || ft == KT_FT_EMAIL ||
                kt_ftype_is_multi((kt_ftype)ft)) ? KT_FF_SEARCH : 0;
    /* custom phones and e-mails are protected like the built-in ones */
    if (ft == KT_FT_PHONE || ft == KT_FT_EMAIL) f->flags |= KT_FF_CONTACT;
    f->vidx = KT_CUSTOM_BASE + t->ncustom;
    f->def_label = f->name;
    f->custom = true;
    t->pos[f->vidx] = t->nfields;
    t->nfields++;
    t->ncustom++;
    *added = true;
  } else if (ftype && *ftype && f->custom && strcmp(ftype, kt_ftype_name(f->type)) != 0) {
    return kt_err_set(err, KT_EINVAL, KT_("field %s.%s is already of type %s"), etype, name,
                      kt_ftype_name(f->type));
  }
  if (replace_str(&f->label, label)) return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (choices && *choices && f->type != KT_FT_CHOICE)
    return kt_err_set(err, KT_EINVAL, KT_("field %s.%s is not a choice field"), etype, name);
  /* a list saved without a code the program needs (by an older version, on
     another PC) keeps it anyway */
  char *eff = NULL;
  if (kt_choice_with_needs(choices, f->needs, &eff)) return kt_err_set(err, KT_ENOMEM, "out of memory");
  free(f->choices);
  f->choices = eff;
  f->hidden = hidden;
  return 0;
}

int kt_model_reserve_custom(kt_model *m, const char *etype, kt_err *err) {
  kt_mtype *t = kt_model_type(m, etype ? etype : "");
  if (!t) return kt_err_set(err, KT_EINVAL, KT_("unknown type '%s'"), etype ? etype : "");
  if (t->ncustom >= KT_MAX_FIELDS - KT_CUSTOM_BASE)
    return kt_err_set(err, KT_EINVAL, KT_("%s already has %d custom fields, the maximum"), etype,
                      t->ncustom);
  t->ncustom++;
  return 0;
}

int kt_model_apply_section(kt_model *m, const char *etype, const char *label, bool hidden,
                           kt_err *err) {
  kt_mtype *t = kt_model_type(m, etype);
  if (!t) return kt_err_set(err, KT_EINVAL, KT_("unknown type '%s'; valid types: %s"), etype ? etype : "",
                            kt_registry_type_names());
  if (replace_str(&t->label, label)) return kt_err_set(err, KT_ENOMEM, "out of memory");
  t->hidden = hidden;
  return 0;
}

/* ---- parsing ---------------------------------------------------------------- */

static int parse_bool(const char *s, int64_t *out) {
  static const char *yes[] = {"1", "yes", "y", "true", "on", "да", "tak", NULL};
  static const char *no[] = {"0", "no", "n", "false", "off", "нет", "nie", NULL};
  for (int i = 0; yes[i]; i++)
    if (strcasecmp(s, yes[i]) == 0) return (*out = 1), 0;
  for (int i = 0; no[i]; i++)
    if (strcasecmp(s, no[i]) == 0) return (*out = 0), 0;
  return -1;
}

/* A date without its year, "--MM-DD" (ISO 8601, vCard 4, Google Contacts) or
 * "--MMDD": canonical "--MM-DD" in out; 29 February is a day. */
static bool noyear_date(const char *in, char out[11]) {
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  size_t n = strlen(in);
  if (n < 6 || in[0] != '-' || in[1] != '-') return false;
  const char *p = in + 2;
  if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9')) return false;
  int m = (p[0] - '0') * 10 + (p[1] - '0');
  p += 2;
  if (*p == '-') p++;
  if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9') || p[2]) return false;
  int d = (p[0] - '0') * 10 + (p[1] - '0');
  if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return false;
  snprintf(out, 11, "--%02d-%02d", m, d);
  return true;
}

/* kt_value_set_text for a parsed value: KT_ENOMEM with a message. */
static int parsed_text(kt_value *out, const char *s, size_t n, kt_err *err) {
  if (kt_value_set_text(out, s, n))
    return kt_err_set(err, KT_ENOMEM, KT_("out of memory; close other programs and try again"));
  return 0;
}

/* A built-in list's labels as the catalogue translates them ("Звонок" for
 * call): what a Russian file or a Russian user types. An office's own list
 * (f->choices) is never translated, so it is matched by kt_choice_find alone. */
typedef struct tr_find {
  const char *ctx, *text;
  size_t text_len;
  kt_buf *code_out;
  bool hit;
} tr_find;

static int tr_find_cb(void *ud, const kt_choice_item *it) {
  tr_find *t = ud;
  char label[256];
  if (!it->code_len || it->label_len >= sizeof label) return 0;
  memcpy(label, it->label, it->label_len);
  label[it->label_len] = '\0';
  const char *tr = kt_i18n_ctx(t->ctx, label);
  if (!kt_text_same_folded(tr, strlen(tr), t->text, t->text_len)) return 0;
  kt_buf_append(t->code_out, it->code, it->code_len);
  t->hit = true;
  return 1;
}

/* "Cold, Warm, Hot": the labels people read (a built-in list's translated),
 * for a message naming what may be typed. */
typedef struct names_ctx {
  const kt_mfield *f;
  kt_buf *out;
} names_ctx;

static int names_cb(void *ud, const kt_choice_item *it) {
  names_ctx *c = ud;
  char label[256];
  if (it->label_len >= sizeof label) return 0;
  memcpy(label, it->label, it->label_len);
  label[it->label_len] = '\0';
  if (c->out->len) kt_buf_puts(c->out, ", ");
  bool builtin = !c->f->choices && !c->f->custom && c->f->msgctxt;
  kt_buf_puts(c->out, builtin ? kt_i18n_ctx(c->f->msgctxt, label) : label);
  return 0;
}

static void list_labels(const kt_mfield *f, const char *list, kt_buf *out) {
  names_ctx c = {f, out};
  kt_choice_each(list, names_cb, &c);
}

static bool find_translated(const kt_mfield *f, const char *text, kt_buf *code_out) {
  if (f->choices || f->custom || !f->msgctxt || !f->def_choices) return false;
  size_t n;
  const char *s = kt_text_trim(text, &n);
  tr_find t = {f->msgctxt, s, n, code_out, false};
  kt_choice_each(f->def_choices, tr_find_cb, &t);
  return t.hit;
}

int kt_mfield_parse(const kt_mfield *f, const char *text, kt_value *out, kt_err *err) {
  size_t n;
  const char *s = kt_text_trim(text ? text : "", &n);
  kt_value_clear(out);
  if (n == 0) return 0;
  if (!kt_utf8_valid(s, n))
    return kt_err_set(err, KT_EINVAL, KT_("%s: the text is not valid UTF-8; convert it to UTF-8"),
                      f->name);
  char tmp[4096];
  if (f->type == KT_FT_TAGS) { /* the canonical list: trimmed, folded-unique, sorted */
    kt_tags l = KT_TAGS_INIT;
    kt_buf b = KT_BUF_INIT;
    int trc = kt_tags_parse(&l, s, err);
    if (!trc) kt_tags_join(&l, &b);
    if (!trc && b.len && kt_value_set_text(out, kt_buf_str(&b), b.len))
      trc = kt_err_set(err, KT_ENOMEM, "out of memory");
    kt_tags_free(&l);
    kt_buf_free(&b);
    if (trc == KT_EINVAL) kt_err_prefix(err, "%s", f->name);
    return trc;
  }
  if (n >= sizeof tmp && f->type != KT_FT_TEXT && f->type != KT_FT_LONGTEXT)
    return kt_err_set(err, KT_EINVAL, KT_("%s: value too long"), f->name);
  if (n < sizeof tmp) {
    memcpy(tmp, s, n);
    tmp[n] = '\0';
  }
  kt_err sub;
  kt_err_clear(&sub);
  int rc = 0;
  switch (f->type) {
  case KT_FT_TEXT:
  case KT_FT_LONGTEXT:
  case KT_FT_USER:
  case KT_FT_GROUP: {
    size_t max = f->type == KT_FT_LONGTEXT ? 100000 : 1000;
    if (n > max)
      return kt_err_set(err, KT_EINVAL, KT_("%s: value too long (%zu bytes, at most %zu)"), f->name, n,
                        max);
    if (f->type == KT_FT_USER && memchr(s, ' ', n))
      return kt_err_set(err, KT_EINVAL, KT_("%s: '%.*s' is not a user name (no spaces allowed)"),
                        f->name, (int)n, s);
    return kt_value_set_text(out, s, n) ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
  }
  case KT_FT_INT: {
    int64_t v;
    if ((rc = kt_int_parse(tmp, &v, &sub))) break;
    kt_value_set_int(out, v);
    return 0;
  }
  case KT_FT_NUMBER: {
    char d[64];
    if ((rc = kt_decimal_parse(tmp, d, sizeof d, &sub))) break;
    return parsed_text(out, d, strlen(d), err);
  }
  case KT_FT_MONEY: {
    int64_t v;
    if ((rc = kt_money_parse(tmp, &v, &sub))) break;
    kt_value_set_int(out, v);
    return 0;
  }
  case KT_FT_DATE: {
    char d[11];
    if ((f->flags & KT_FF_NOYEAR) && noyear_date(tmp, d)) return kt_value_set_text(out, d, 7);
    if ((rc = kt_date_parse(tmp, d, &sub))) break;
    return parsed_text(out, d, 10, err);
  }
  case KT_FT_DATETIME: {
    int64_t v;
    if ((rc = kt_datetime_parse(tmp, &v, &sub))) break;
    kt_value_set_int(out, v);
    return 0;
  }
  case KT_FT_DURATION: {
    int64_t v;
    if ((rc = kt_duration_parse(tmp, &v, &sub))) break;
    kt_value_set_int(out, v);
    return 0;
  }
  case KT_FT_BOOL: {
    int64_t v;
    if (parse_bool(tmp, &v))
      return kt_err_set(err, KT_EINVAL, KT_("%s: '%s' is not yes/no (use yes, no, 1 or 0)"), f->name,
                        tmp);
    kt_value_set_int(out, v);
    return 0;
  }
  case KT_FT_CHOICE: {
    const char *list = kt_mfield_choices(f);
    if (!list || !*list) return parsed_text(out, s, n, err);
    kt_buf c = KT_BUF_INIT;
    if (!kt_choice_find(list, tmp, &c) && !find_translated(f, tmp, &c)) {
      /* a code, else a label (else a built-in label as translated): stored as the code */
      kt_buf_free(&c);
      kt_buf names = KT_BUF_INIT;
      list_labels(f, list, &names);
      rc = kt_err_set(err, KT_EINVAL, KT_("%s: '%s' is not one of: %s"), f->name, tmp,
                      names.oom ? list : kt_buf_str(&names));
      kt_buf_free(&names);
      return rc;
    }
    rc = kt_value_set_text(out, c.p, c.len);
    kt_buf_free(&c);
    return rc;
  }
  case KT_FT_REF:
  case KT_FT_UUID:
    if (!kt_uuid_str_is_valid(tmp))
      return kt_err_set(err, KT_EINVAL, KT_("%s: '%s' is not a record id"), f->name, tmp);
    for (char *p = tmp; *p; p++) *p = (char)tolower((unsigned char)*p);
    return parsed_text(out, tmp, n, err);
  case KT_FT_PHONE: {
    char digits[40];
    if (kt_phone_normalize(tmp, "7", digits, sizeof digits) <= 0)
      return kt_err_set(err, KT_EINVAL,
                        KT_("%s: '%s' is not a phone number (digits, spaces, ()+- and an "
                        "extension are allowed)"),
                        f->name, tmp);
    return parsed_text(out, s, n, err);
  }
  case KT_FT_EMAIL: {
    kt_buf e = KT_BUF_INIT;
    if ((rc = kt_email_normalize(tmp, &e, &sub))) {
      kt_buf_free(&e);
      break;
    }
    rc = kt_value_set_text(out, e.p, e.len);
    kt_buf_free(&e);
    return rc;
  }
  case KT_FT_URL:
    for (size_t i = 0; i < n; i++)
      if (isspace((unsigned char)s[i]))
        return kt_err_set(err, KT_EINVAL, KT_("%s: a web address cannot contain spaces"), f->name);
    return parsed_text(out, s, n, err);
  case KT_FT_RRULE: {
    struct icalrecurrencetype r = icalrecurrencetype_from_string(tmp);
    icalerror_clear_errno();
    if (r.freq == ICAL_NO_RECURRENCE)
      return kt_err_set(err, KT_EINVAL,
                        KT_("%s: '%s' is not a valid repeat rule; use an iCalendar RRULE such as "
                        "FREQ=WEEKLY;BYDAY=MO,WE or FREQ=MONTHLY;COUNT=6"),
                        f->name, tmp);
    for (char *p = tmp; *p; p++) *p = (char)toupper((unsigned char)*p);
    return parsed_text(out, tmp, n, err);
  }
  default:
    return kt_err_set(err, KT_EINVAL, "%s: unsupported field type", f->name);
  }
  if (rc) return kt_err_set(err, rc, "%s: %s", f->name, sub.msg);
  return 0;
}

int kt_mfield_check(const kt_mfield *f, const kt_value *v, kt_err *err) {
  if (v->kind == KT_V_NULL) return 0;
  bool want_int = kt_ftype_is_int(f->type);
  if (want_int != (v->kind == KT_V_INT))
    return kt_err_set(err, KT_EINVAL, "%s: expected %s value", f->name,
                      want_int ? "a numeric" : "a text");
  if (v->kind == KT_V_TEXT) {
    if (!kt_utf8_valid(v->s, strlen(v->s)))
      return kt_err_set(err, KT_EINVAL, "%s: text is not valid UTF-8", f->name);
    /* choice lists change over time: a synced value need not be on today's list */
    if (f->type == KT_FT_BOOL || f->type == KT_FT_CHOICE) return 0;
    if (f->type == KT_FT_TEXT || f->type == KT_FT_LONGTEXT || f->type == KT_FT_GROUP) {
      /* what kt_mfield_parse checks for these, without its copy (most values of a
         pull are plain text) */
      size_t n;
      kt_text_trim(v->s, &n);
      size_t max = f->type == KT_FT_LONGTEXT ? 100000 : 1000;
      if (n > max)
        return kt_err_set(err, KT_EINVAL, KT_("%s: value too long (%zu bytes, at most %zu)"), f->name,
                          n, max);
      return 0;
    }
    /* re-parse to check the shape; canonical values parse to themselves */
    kt_value tmp = {KT_V_NULL, 0, NULL};
    int rc = kt_mfield_parse(f, v->s, &tmp, err);
    kt_value_clear(&tmp);
    return rc;
  }
  if (f->type == KT_FT_BOOL && v->i != 0 && v->i != 1)
    return kt_err_set(err, KT_EINVAL, "%s: expected 0 or 1", f->name);
  return 0;
}

void kt_mfield_format(const kt_mfield *f, const kt_value *v, bool iso, kt_buf *out) {
  char tmp[64];
  if (v->kind == KT_V_NULL) return;
  if (v->kind == KT_V_TEXT) {
    if (f->type == KT_FT_CHOICE && !iso) kt_choice_label(kt_mfield_choices(f), v->s, out);
    else kt_buf_puts(out, v->s);
    return;
  }
  switch (f->type) {
  case KT_FT_MONEY:
    kt_money_format(v->i, tmp, sizeof tmp);
    break;
  case KT_FT_DATETIME:
    kt_datetime_format(v->i, iso, tmp, sizeof tmp);
    break;
  case KT_FT_DURATION:
    if (iso)
      snprintf(tmp, sizeof tmp, "%lld", (long long)v->i);
    else
      kt_duration_format(v->i, tmp, sizeof tmp);
    break;
  case KT_FT_BOOL:
    snprintf(tmp, sizeof tmp, "%s", iso ? (v->i ? "true" : "false") : (v->i ? "yes" : "no"));
    break;
  default:
    snprintf(tmp, sizeof tmp, "%lld", (long long)v->i);
  }
  kt_buf_puts(out, tmp);
}

void kt_mfield_format_tr(const kt_mtype *t, const kt_mfield *f, const kt_value *v, kt_buf *out) {
  if (f->type != KT_FT_CHOICE || f->choices || f->custom || v->kind != KT_V_TEXT) {
    kt_mfield_format(f, v, false, out);
    return;
  }
  kt_buf b = KT_BUF_INIT;
  kt_mfield_format(f, v, false, &b);
  kt_buf_puts(out, kt_i18n_ctx(t->def->name, kt_buf_str(&b)));
  kt_buf_free(&b);
}

bool kt_mfield_json_is_number(const kt_mfield *f) {
  return f->type == KT_FT_INT || f->type == KT_FT_DURATION;
}

bool kt_mfield_claims(const kt_mfield *f) {
  return f->type == KT_FT_PHONE || f->type == KT_FT_EMAIL || (f->flags & KT_FF_CLAIM);
}

bool kt_mfield_claim_key(const kt_mfield *f, const char *v, char *out, size_t n) {
  if (!v || !*v || !kt_mfield_claims(f)) return false;
  if (f->type == KT_FT_PHONE) {
    char d[64];
    if (kt_phone_normalize(v, KT_CLAIM_CC, d, sizeof d) < 5) return false;
    snprintf(out, n, "p:%s", d);
    return true;
  }
  if (f->type == KT_FT_EMAIL) {
    kt_buf b = KT_BUF_INIT;
    bool ok = kt_email_normalize(v, &b, NULL) == 0;
    if (ok) snprintf(out, n, "e:%s", kt_buf_str(&b));
    kt_buf_free(&b);
    return ok;
  }
  if (f->flags & KT_FF_CLAIM) {
    char d[64];
    size_t k = 0;
    for (const char *p = v; *p && k + 1 < sizeof d; p++)
      if (*p != ' ' && *p != '-') d[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    d[k] = '\0';
    if (!k) return false;
    snprintf(out, n, "t:%s", d);
    return true;
  }
  return false;
}
