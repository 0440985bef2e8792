/* kt_change — see kt_change.h. */
#include "kt_change.h"

#include <stdlib.h>
#include <string.h>

#include "kt_alloc.h"

static int from_rec(const kt_rec *r, const kt_fset *only, bool mark_rest, const kt_vers *base,
                    kt_devname_fn devname, void *ud, Kartoteka__Change *ch, kt_err *err);

int kt_change_from_rec(const kt_rec *r, const kt_fset *only, const kt_vers *base,
                       kt_devname_fn devname, void *ud, Kartoteka__Change *ch, kt_err *err) {
  return from_rec(r, only, false, base, devname, ud, ch, err);
}

int kt_change_from_rec_hiding(const kt_rec *r, const kt_fset *visible, kt_devname_fn devname,
                              void *ud, Kartoteka__Change *ch, kt_err *err) {
  return from_rec(r, visible, true, NULL, devname, ud, ch, err);
}

static int from_rec(const kt_rec *r, const kt_fset *only, bool mark_rest, const kt_vers *base,
                    kt_devname_fn devname, void *ud, Kartoteka__Change *ch, kt_err *err) {
  int n = 0;
  Kartoteka__FieldValue **fv = kt_calloc((size_t)r->type->nfields, sizeof *fv);
  Kartoteka__FieldValue *vals = kt_calloc((size_t)r->type->nfields, sizeof *vals);
  if (!fv || !vals) {
    free(fv);
    free(vals);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    const kt_fver *ver = &r->vers.f[f->vidx];
    if (k == KT_F_ID || k == KT_F_UPDATED || !ver->stamp) continue;
    Kartoteka__FieldValue *v = &vals[n];
    if (only && !kt_fset_has(only, f->vidx)) {
      if (!mark_rest) continue;
      kartoteka__field_value__init(v); /* a value the receiver must forget */
      v->name = (char *)f->name;
      v->is_null = true;
      v->hidden = true;
      fv[n++] = v;
      continue;
    }
    kartoteka__field_value__init(v);
    v->name = (char *)f->name;
    const kt_value *val = &r->v[k];
    if (val->kind == KT_V_NULL) {
      v->is_null = true;
    } else if (val->kind == KT_V_INT) {
      v->value_case = KARTOTEKA__FIELD_VALUE__VALUE_NUM;
      v->num = val->i;
    } else {
      v->value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
      v->text = val->s;
    }
    v->stamp = ver->stamp;
    const char *dn = devname ? devname(ud, ver->dev) : NULL;
    v->device = (char *)(dn ? dn : "");
    v->base_stamp = base ? base->f[f->vidx].stamp : 0;
    fv[n++] = v;
  }
  if (n == 0) free(vals);
  ch->type = (char *)r->type->def->name;
  ch->id = (char *)kt_rec_id(r);
  ch->fields = fv;
  ch->n_fields = (size_t)n;
  return 0;
}

void kt_change_clear(Kartoteka__Change *ch) {
  if (ch->n_fields) free(ch->fields[0]); /* the values array starts at the first element */
  free(ch->fields);
  ch->fields = NULL;
  ch->n_fields = 0;
}

int kt_change_value(const kt_mfield *f, const Kartoteka__FieldValue *fv, kt_value *out,
                    kt_err *err) {
  kt_value_clear(out);
  if (fv->is_null) return 0;
  bool want_int = kt_ftype_is_int(f->type);
  if (fv->value_case == KARTOTEKA__FIELD_VALUE__VALUE_NUM) {
    if (!want_int) return kt_err_set(err, KT_EINVAL, "%s: expected a text value", f->name);
    kt_value_set_int(out, fv->num);
  } else if (fv->value_case == KARTOTEKA__FIELD_VALUE__VALUE_TEXT) {
    if (want_int) return kt_err_set(err, KT_EINVAL, "%s: expected a number", f->name);
    if (!fv->text[0]) return 0; /* empty text is no value: one form of "empty" on every side */
    if (kt_value_set_text(out, fv->text, strlen(fv->text)))
      return kt_err_set(err, KT_ENOMEM, "out of memory");
  } else {
    return 0; /* unset oneof = empty value */
  }
  int rc = kt_mfield_check(f, out, err);
  if (rc) kt_value_clear(out);
  return rc;
}
