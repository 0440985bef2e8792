/* cl_merge — see cl_merge.h. */
#include "cl_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_buf.h"

typedef struct dep {
  char id[KT_UUID_STRLEN + 1];
  char field[KT_NAME_MAX];
} dep;

typedef struct deps {
  const char *other;
  dep *v;
  int n, cap;
  int oom;
} deps;

/* Each reference field of r that points at OTHER. */
static int dep_cb(void *ud, const cl_rec *r) {
  deps *d = ud;
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (f->type != KT_FT_REF || r->v[k].kind != KT_V_TEXT || strcmp(r->v[k].s, d->other) != 0)
      continue;
    if (d->n == d->cap) {
      int cap = d->cap ? d->cap * 2 : 16;
      dep *v = realloc(d->v, (size_t)cap * sizeof *v);
      if (!v) return d->oom = 1;
      d->v = v;
      d->cap = cap;
    }
    memcpy(d->v[d->n].id, cl_rec_id(r), KT_UUID_STRLEN + 1);
    memcpy(d->v[d->n].field, f->name, KT_NAME_MAX);
    d->n++;
  }
  return 0;
}

int cl_merge(cl_store *s, const char *keep, const char *other, const char *const *take,
             int ntake, cl_merge_result *res, kt_err *err) {
  memset(res, 0, sizeof *res);
  cl_rec *k = NULL, *o = NULL;
  deps d = {other, NULL, 0, 0, 0};
  cl_set *sets = NULL;
  kt_buf vals = KT_BUF_INIT;
  size_t *offs = NULL;
  char (*names)[KT_NAME_MAX + 2] = NULL; /* the sets' field names ("tags+" for a union) */
  bool began = false;
  int rc;
  if (strcmp(keep, other) == 0)
    return kt_err_set(err, KT_EINVAL, "KEEP and OTHER are the same card: give two cards");
  if ((rc = cl_store_get(s, keep, &k, err)) || (rc = cl_store_get(s, other, &o, err))) goto out;
  if (k->type != o->type) {
    rc = kt_err_set(err, KT_EINVAL, "%s is %s %s and %s %s %s: only cards of one kind merge",
                    keep, strchr("aeiou", k->type->def->noun[0]) ? "an" : "a", k->type->def->noun,
                    other, strchr("aeiou", o->type->def->noun[0]) ? "an" : "a", o->type->def->noun);
    goto out;
  }
  if (cl_rec_deleted(k) || cl_rec_deleted(o)) {
    rc = kt_err_set(err, KT_EINVAL, "%s is in the trash: restore it first (`kartoteka restore %s`)",
                    cl_rec_deleted(k) ? keep : other, cl_rec_deleted(k) ? keep : other);
    goto out;
  }
  kt_mtype *t = k->type;
  bool *taken = calloc((size_t)t->nfields, sizeof *taken);
  if (!taken) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  for (int i = 0; i < ntake; i++) {
    kt_mfield *f;
    if ((rc = kt_mtype_field_get(t, take[i], &f, err))) {
      free(taken);
      kt_err_prefix(err, "--take %s", take[i]);
      goto out;
    }
    if (f->flags & KT_FF_SYSTEM) {
      free(taken);
      rc = kt_err_set(err, KT_EINVAL, "--take %s: %s is set by the program", take[i], f->name);
      goto out;
    }
    taken[t->pos[f->vidx]] = true;
  }
  /* KEEP's new values: the taken fields, and OTHER's values where KEEP has none */
  sets = calloc((size_t)t->nfields, sizeof *sets);
  offs = calloc((size_t)t->nfields, sizeof *offs);
  names = calloc((size_t)t->nfields, sizeof *names);
  if (!sets || !offs || !names) {
    free(taken);
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  int n = 0;
  for (int i = 0; i < t->nfields; i++) {
    const kt_mfield *f = &t->fields[i];
    if ((f->flags & KT_FF_SYSTEM) || f->vidx == KT_F_OWNER) continue; /* the owner stays KEEP's */
    /* tags: KEEP gets OTHER's too (tags+=), unless --take gives it OTHER's alone */
    bool add = kt_ftype_is_multi(f->type) && !taken[i] && o->v[i].kind != KT_V_NULL;
    bool want = add || taken[i] || (k->v[i].kind == KT_V_NULL && o->v[i].kind != KT_V_NULL);
    if (!want || kt_value_equal(&k->v[i], &o->v[i])) continue;
    offs[n] = vals.len;
    if (o->v[i].kind != KT_V_NULL) kt_mfield_format(f, &o->v[i], true, &vals);
    kt_buf_putc(&vals, '\0');
    snprintf(names[n], sizeof names[n], "%s%s", f->name, add ? "+" : "");
    sets[n].field = names[n];
    n++;
  }
  free(taken);
  if (vals.oom) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  for (int i = 0; i < n; i++) sets[i].value = vals.p + offs[i];
  if ((rc = cl_store_related(s, o, dep_cb, &d, err))) goto out;
  if (d.oom) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  if ((rc = cl_store_begin(s, err))) goto out;
  began = true;
  if (n && (rc = cl_store_edit(s, keep, sets, n, &res->fields, err))) {
    kt_err_prefix(err, "cannot change %s", keep);
    goto out;
  }
  for (int i = 0; i < d.n; i++) {
    cl_set mv = {d.v[i].field, keep};
    int changed;
    if ((rc = cl_store_edit(s, d.v[i].id, &mv, 1, &changed, err))) {
      kt_err_prefix(err, "cannot move %s to %s", d.v[i].id, keep);
      goto out;
    }
    res->moved++;
  }
  if ((rc = cl_store_delete(s, other, err))) {
    kt_err_prefix(err, "cannot move %s to the trash", other);
    goto out;
  }
out:
  if (began) {
    if (rc) cl_store_rollback(s);
    else rc = cl_store_commit(s, err);
  }
  if (rc) memset(res, 0, sizeof *res);
  free(d.v);
  free(sets);
  free(offs);
  free(names);
  kt_buf_free(&vals);
  if (k) cl_rec_free(k);
  if (o) cl_rec_free(o);
  return rc;
}
