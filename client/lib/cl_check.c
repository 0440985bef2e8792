/* cl_check — soundness of a card index (see cl_check.h). Two passes over the
 * records: the first collects every id (sorted, for the reference check), the
 * second checks each value against its field. */
#include "cl_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_backup.h"

typedef struct ids {
  char (*v)[KT_UUID_STRLEN + 1];
  size_t n, cap;
  bool oom;
} ids;

typedef struct walk {
  ids *all;
  bool refs;   /* check references (standalone) */
  cl_check_problem_fn problem;
  void *ud;
  cl_check_report *rep;
} walk;

static int collect(void *ud, const cl_rec *r) {
  ids *a = ud;
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 4096;
    void *p = realloc(a->v, cap * sizeof *a->v);
    if (!p) {
      a->oom = true;
      return 1;
    }
    a->v = p;
    a->cap = cap;
  }
  snprintf(a->v[a->n++], KT_UUID_STRLEN + 1, "%s", cl_rec_id(r));
  return 0;
}

static int cmp_id(const void *a, const void *b) { return strcmp(a, b); }

static void report(walk *w, const cl_rec *r, const char *msg) {
  w->rep->problems++;
  if (w->problem) w->problem(w->ud, r->type->def->name, cl_rec_id(r), msg);
}

static int check_one(void *ud, const cl_rec *r) {
  walk *w = ud;
  w->rep->records++;
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    const kt_value *v = &r->v[k];
    kt_err e;
    kt_err_clear(&e);
    if (v->kind == KT_V_NULL) {
      if ((f->flags & KT_FF_REQUIRED) && !cl_rec_deleted(r)) {
        char msg[160];
        snprintf(msg, sizeof msg, "the required field %s is empty", f->name);
        report(w, r, msg);
      }
      continue;
    }
    if (kt_mfield_check(f, v, &e)) {
      report(w, r, e.msg);
      continue;
    }
    if (w->refs && f->type == KT_FT_REF && v->kind == KT_V_TEXT &&
        !bsearch(v->s, w->all->v, w->all->n, sizeof *w->all->v, cmp_id)) {
      char msg[200];
      snprintf(msg, sizeof msg, "%s refers to %s, which is not in this card index", f->name, v->s);
      report(w, r, msg);
    }
  }
  return 0;
}

/* Every record of every type a user works with (the ones lists accept), the
 * trash too. */
static int each(cl_store *s, cl_rec_cb cb, void *ud, kt_err *err) {
  int n = 0;
  kt_model *m = cl_store_model(s);
  kt_mtype *types = kt_model_types(m, &n);
  for (int i = 0; i < n; i++) {
    kt_mtype *t;
    if (kt_model_type_get(m, types[i].def->name, &t, NULL)) continue;
    for (int trash = 0; trash < 2; trash++) {
      cl_query q = {.type = types[i].def->name, .trash = trash};
      int rc = cl_store_list(s, &q, cb, ud, err);
      if (rc < 0) return rc;
    }
  }
  return 0;
}

int cl_check(cl_store *s, cl_check_problem_fn problem, void *ud, cl_check_report *rep,
             kt_err *err) {
  cl_check_report r = {0};
  ids all = {0};
  kt_err e;
  kt_err_clear(&e);
  if (kt_backup_integrity(cl_store_path(s), &e)) {
    r.problems++;
    if (problem) problem(ud, "", "", e.msg);
  }
  int rc = each(s, collect, &all, err);
  if (!rc && all.oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory while checking");
  if (rc) goto out;
  qsort(all.v, all.n, sizeof *all.v, cmp_id);
  walk w = {.all = &all, .refs = !cl_store_connected(s), .problem = problem, .ud = ud, .rep = &r};
  rc = each(s, check_one, &w, err);
  if (!rc && rep) *rep = r;
out:
  free(all.v);
  return rc;
}
