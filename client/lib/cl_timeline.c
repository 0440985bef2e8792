/* cl_timeline — a card's timeline (see cl_timeline.h). Collects through
 * cl_store_related (the records that refer to the card, then to each of an
 * organization's contacts), keeps the timeline types, skips a record reached
 * twice (an event of the org and of its contact), sorts once: O(n log n). */
#include "cl_timeline.h"

#include <stdlib.h>
#include <string.h>

#include "kt_time.h"

void cl_timeline_free(cl_timeline *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) cl_rec_free(t->it[i].rec);
  free(t->it);
  memset(t, 0, sizeof *t);
}

int64_t cl_timeline_when(const cl_rec *r, const kt_mfield **when) {
  const kt_mtype *t = r->type;
  if (when) *when = NULL;
  for (int k = 0; k < t->nfields; k++) {
    const kt_mfield *f = &t->fields[k];
    const kt_value *v = &r->v[k];
    if (!(f->flags & KT_FF_WHEN) || v->kind == KT_V_NULL) continue;
    int64_t ms = 0;
    if (f->type == KT_FT_DATETIME && v->kind == KT_V_INT) {
      ms = v->i;
    } else if (f->type == KT_FT_DATE && v->kind == KT_V_TEXT && strlen(v->s) >= 10) {
      int y = atoi(v->s), m = atoi(v->s + 5), d = atoi(v->s + 8);
      ms = kt_local_to_ms(y, m, d, 0, 0, 0);
    } else {
      continue;
    }
    if (when) *when = f;
    return ms;
  }
  const kt_value *c = &r->v[t->pos[KT_F_CREATED]];
  return c->kind == KT_V_INT ? c->i : 0;
}

static int cmp_newest(const void *a, const void *b) {
  const cl_tl_item *x = a, *y = b;
  if (x->when_ms != y->when_ms) return x->when_ms > y->when_ms ? -1 : 1;
  return strcmp(cl_rec_id(x->rec), cl_rec_id(y->rec));
}

static int cmp_oldest(const void *a, const void *b) {
  const cl_tl_item *x = a, *y = b;
  if (x->when_ms != y->when_ms) return x->when_ms < y->when_ms ? -1 : 1;
  return strcmp(cl_rec_id(x->rec), cl_rec_id(y->rec));
}

void cl_timeline_sort(cl_tl_item *it, size_t n, bool oldest_first) {
  if (n > 1) qsort(it, n, sizeof *it, oldest_first ? cmp_oldest : cmp_newest);
}

/* A copy of r (the walk's record is borrowed); NULL when out of memory. */
static cl_rec *rec_dup(const cl_rec *r) {
  cl_rec *c = kt_rec_new(r->type);
  if (!c) return NULL;
  c->rowid = r->rowid;
  c->vers = r->vers;
  for (int k = 0; k < KT_MAX_FIELDS; k++)
    if (r->v[k].kind != KT_V_NULL && kt_value_copy(&c->v[k], &r->v[k])) {
      cl_rec_free(c);
      return NULL;
    }
  return c;
}

typedef struct collect {
  cl_timeline *tl;
  cl_rec **contacts; /* an organization's contacts, walked after it */
  size_t ncontacts, capcontacts;
  int rc;
} collect;

static int on_related(void *ud, const cl_rec *r) {
  collect *c = ud;
  if (r->type->def->flags & KT_TF_CLIENT) { /* a contact of the org: its records too */
    if (c->ncontacts == c->capcontacts) {
      size_t cap = c->capcontacts ? c->capcontacts * 2 : 16;
      cl_rec **p = realloc(c->contacts, cap * sizeof *p);
      if (!p) goto oom;
      c->contacts = p;
      c->capcontacts = cap;
    }
    if (!(c->contacts[c->ncontacts] = rec_dup(r))) goto oom;
    c->ncontacts++;
    return 0;
  }
  if (!(r->type->def->flags & KT_TF_TIMELINE)) return 0;
  cl_timeline *tl = c->tl;
  if (tl->n == tl->cap) {
    size_t cap = tl->cap ? tl->cap * 2 : 32;
    cl_tl_item *p = realloc(tl->it, cap * sizeof *p);
    if (!p) goto oom;
    tl->it = p;
    tl->cap = cap;
  }
  cl_tl_item *it = &tl->it[tl->n];
  if (!(it->rec = rec_dup(r))) goto oom;
  it->when_ms = cl_timeline_when(r, &it->when);
  tl->n++;
  return 0;
oom:
  c->rc = KT_ENOMEM;
  return 1;
}

static int by_id(const void *a, const void *b) {
  const cl_tl_item *x = a, *y = b;
  return strcmp(cl_rec_id(x->rec), cl_rec_id(y->rec));
}

int cl_timeline_get(cl_store *s, const cl_rec *r, bool oldest_first, cl_timeline *out,
                    kt_err *err) {
  memset(out, 0, sizeof *out);
  collect c = {.tl = out};
  int rc = cl_store_related(s, r, on_related, &c, err);
  for (size_t i = 0; !rc && !c.rc && i < c.ncontacts; i++)
    rc = cl_store_related(s, c.contacts[i], on_related, &c, err);
  for (size_t i = 0; i < c.ncontacts; i++) cl_rec_free(c.contacts[i]);
  free(c.contacts);
  if (!rc && c.rc) rc = kt_err_set(err, c.rc, "out of memory");
  if (rc) {
    cl_timeline_free(out);
    return rc;
  }
  /* a record of both the org and one of its contacts came twice */
  qsort(out->it, out->n, sizeof *out->it, by_id);
  size_t k = 0;
  for (size_t i = 0; i < out->n; i++) {
    if (k && strcmp(cl_rec_id(out->it[k - 1].rec), cl_rec_id(out->it[i].rec)) == 0) {
      cl_rec_free(out->it[i].rec);
      continue;
    }
    out->it[k++] = out->it[i];
  }
  out->n = k;
  cl_timeline_sort(out->it, out->n, oldest_first);
  return 0;
}
