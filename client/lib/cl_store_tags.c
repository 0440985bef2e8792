/* cl_store_tags — multi-value (tags) fields on the replica. The synced truth
 * is one element record (type tagging, kt_tags.h) per card, field and folded
 * tag; the card's own column is a derived list ("VIP, Опт"), rebuilt here when
 * its elements change (a local edit, a pulled tagging, a pulled card), without
 * a version or an outbox entry: only the elements sync, so tags added on two
 * PCs both stay and a removal is a tombstone that a later add restores.
 * `--set tags=A,B` replaces the set, `tags+=A` adds, `tags-=A` removes. */
#include "cl_store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_tags.h"

int cl__tagop_take(kt_mtype *t, const cl_set *set, cl__tagops *ops, bool *taken, kt_err *err) {
  *taken = false;
  char name[KT_NAME_MAX + 2];
  snprintf(name, sizeof name, "%s", set->field ? set->field : "");
  size_t n = strlen(name);
  char op = '=';
  if (n > 1 && (name[n - 1] == '+' || name[n - 1] == '-')) {
    op = name[n - 1];
    name[n - 1] = '\0';
  }
  kt_mfield *f = kt_mtype_field(t, name);
  if (op != '=' && (!f || !kt_ftype_is_multi(f->type)))
    return kt_err_set(err, KT_EINVAL, "'%s%c=' adds or removes one value of a tags field; %s is "
                      "%s: write --set %s=VALUE", name, op, name, f ? "not a tags field" :
                      "not a field", name);
  if (!f || !kt_ftype_is_multi(f->type)) return 0;
  if (!ops)
    return kt_err_set(err, KT_EINVAL, "%s is a tags field: tag the card with `kartoteka edit ID "
                      "--set %s+=TAG`", f->name, f->name);
  if (ops->n == CL__MAX_TAGOPS)
    return kt_err_set(err, KT_EINVAL, "too many tag changes in one edit (at most %d)",
                      CL__MAX_TAGOPS);
  /* the value is checked now, before anything is written */
  kt_tags l = KT_TAGS_INIT;
  int rc = kt_tags_parse(&l, set->value, err);
  kt_tags_free(&l);
  if (rc) return rc == KT_EINVAL ? kt_err_prefix(err, "%s", f->name) : rc;
  ops->v[ops->n++] = (cl__tagop){f, op, set->value ? set->value : ""};
  *taken = true;
  return 0;
}

/* ---- the elements of one card ------------------------------------------------------ */

typedef struct elem {
  char field[KT_NAME_MAX];
  char id[KT_UUID_STRLEN + 1];
  char *tag;
  bool deleted;
} elem;

typedef struct elems {
  const char *card_id;
  elem *v;
  int n, cap;
  bool oom;
} elems;

static void elems_free(elems *e) {
  for (int i = 0; i < e->n; i++) free(e->v[i].tag);
  free(e->v);
}

static int on_elem(void *ud, const cl_rec *r) {
  elems *e = ud;
  kt_tags_elem te;
  if (!kt_tags_elem_of(r->type, r->v, &te) || strcmp(te.card_id, e->card_id) != 0 || !te.field ||
      !te.tag)
    return 0;
  if (e->n == e->cap) {
    int cap = e->cap ? e->cap * 2 : 16;
    elem *p = realloc(e->v, (size_t)cap * sizeof *p);
    if (!p) {
      e->oom = true;
      return 1;
    }
    e->v = p;
    e->cap = cap;
  }
  elem *x = &e->v[e->n];
  snprintf(x->field, sizeof x->field, "%s", te.field);
  snprintf(x->id, sizeof x->id, "%s", cl_rec_id(r));
  x->deleted = cl_rec_deleted(r);
  if (!(x->tag = strdup(te.tag))) {
    e->oom = true;
    return 1;
  }
  e->n++;
  return 0;
}

/* Reads every element (live and trashed) of card (type ct, id) into *e. */
static int elems_load(cl_store *s, kt_mtype *ct, const char *id, elems *e, kt_err *err) {
  memset(e, 0, sizeof *e);
  e->card_id = id;
  kt_mtype *et = kt_tags_elem_type(s->model);
  const kt_mfield *ref = kt_tags_card_ref(et, ct->def->name);
  if (!ref) return 0;
  sqlite3_stmt *st = cl_db_tst(&s->d, et, strcmp(ref->name, "org") == 0 ? CL_TST_BY_ORG
                                                                          : CL_TST_BY_CONTACT, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = cl__walk(s, et, st, on_elem, e, err);
  sqlite3_reset(st);
  if (!rc && e->oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (rc) elems_free(e);
  return rc;
}

static bool has_multi(const kt_mtype *t) {
  for (int i = 0; i < t->nfields; i++)
    if (kt_ftype_is_multi(t->fields[i].type)) return true;
  return false;
}

int cl__tags_rebuild(cl_store *s, kt_mtype *ct, const char *id, kt_err *err) {
  if (!has_multi(ct)) return 0;
  cl_rec *old = NULL, *r = NULL;
  elems e;
  int rc = cl__locate(s, id, &old, err);
  if (rc == KT_ENOTFOUND) return 0; /* the card has not arrived (yet): it rebuilds then */
  if (rc) return rc;
  if (old->type != ct) goto out;
  if ((rc = elems_load(s, ct, id, &e, err))) goto out;
  if (!(rc = cl__clone_rec(old, &r, err))) {
    bool differs = false;
    for (int k = 0; !rc && k < ct->nfields; k++) {
      const kt_mfield *f = &ct->fields[k];
      if (!kt_ftype_is_multi(f->type)) continue;
      kt_tags l = KT_TAGS_INIT;
      for (int i = 0; !rc && i < e.n; i++)
        if (!e.v[i].deleted && strcmp(e.v[i].field, f->name) == 0)
          rc = kt_tags_add(&l, e.v[i].tag, strlen(e.v[i].tag), NULL, NULL) == KT_ENOMEM
                   ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
      kt_buf b = KT_BUF_INIT;
      kt_tags_join(&l, &b);
      kt_tags_free(&l);
      kt_value v = {KT_V_NULL, 0, NULL};
      if (!rc && b.len && kt_value_set_text(&v, kt_buf_str(&b), b.len))
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      kt_buf_free(&b);
      if (!rc && !kt_value_equal(&v, &r->v[k])) {
        kt_value_clear(&r->v[k]);
        r->v[k] = v;
        differs = true;
      } else {
        kt_value_clear(&v);
      }
    }
    /* the derived column only: no version, no outbox (the elements sync) */
    if (!rc && differs && !(rc = cl__row_write(s, r, false, err)))
      rc = cl__index_update(s, old, r, err);
  }
  elems_free(&e);
out:
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

int cl__tags_pulled(cl_store *s, const cl_rec *r, bool inserted, kt_err *err) {
  if (r->type->def->flags & KT_TF_ELEMENT) {
    kt_tags_elem te;
    if (!kt_tags_elem_of(r->type, r->v, &te)) return 0;
    kt_mtype *ct = kt_model_type(s->model, te.card_type);
    return ct ? cl__tags_rebuild(s, ct, te.card_id, err) : 0;
  }
  if (!inserted || !has_multi(r->type)) return 0;
  /* a card new here: its column is empty until its tags are counted (most have none) */
  elems e;
  int rc = elems_load(s, r->type, cl_rec_id(r), &e, err);
  if (rc) return rc;
  int n = e.n;
  elems_free(&e);
  return n ? cl__tags_rebuild(s, r->type, cl_rec_id(r), err) : 0;
}

/* Adds (or restores) the element of tag in field f of card, or trashes it. */
static int elem_put(cl_store *s, const cl_rec *card, const kt_mfield *f, const char *tag,
                    bool live, kt_err *err) {
  kt_mtype *et = kt_tags_elem_type(s->model);
  const kt_mfield *ref = kt_tags_card_ref(et, card->type->def->name);
  if (!ref) return kt_err_set(err, KT_EINVAL, "%ss cannot have tags", card->type->def->noun);
  char id[KT_UUID_STRLEN + 1];
  kt_tags_id(cl_rec_id(card), f->name, tag, id);
  cl_rec *old = NULL, *r = NULL;
  int rc = cl__locate(s, id, &old, err);
  if (rc == KT_ENOTFOUND) {
    if (!live) return 0;
    if (!(r = cl_rec_new(et))) return kt_err_set(err, KT_ENOMEM, "out of memory");
    size_t len;
    const char *t = kt_text_trimn(tag, strlen(tag), &len);
    const char *cid = cl_rec_id(card);
    if (kt_value_set_text(&r->v[KT_F_ID], id, strlen(id)) ||
        kt_value_set_text(&r->v[et->pos[ref->vidx]], cid, strlen(cid)) ||
        kt_value_set_text(&r->v[et->pos[kt_mtype_field(et, "field")->vidx]], f->name,
                          strlen(f->name)) ||
        kt_value_set_text(&r->v[et->pos[kt_mtype_field(et, "tag")->vidx]], t, len))
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    else
      rc = cl__add_rec_locked(s, r, err);
  } else if (!rc && cl_rec_deleted(old) == live && !(rc = cl__clone_rec(old, &r, err))) {
    kt_value_set_int(&r->v[KT_F_DELETED], live ? 0 : 1);
    rc = cl__edit_locked(s, old, r, NULL, err);
  }
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

int cl__tags_write(cl_store *s, const cl_rec *card, const cl__tagops *ops, int *changed,
                   kt_err *err) {
  if (!ops || !ops->n) return 0;
  elems e;
  int rc = elems_load(s, card->type, cl_rec_id(card), &e, err);
  if (rc) return rc;
  int nw = 0;
  for (int o = 0; !rc && o < ops->n; o++) {
    const cl__tagop *op = &ops->v[o];
    kt_tags now = KT_TAGS_INIT, given = KT_TAGS_INIT;
    for (int i = 0; !rc && i < e.n; i++)
      if (!e.v[i].deleted && strcmp(e.v[i].field, op->f->name) == 0)
        rc = kt_tags_add(&now, e.v[i].tag, strlen(e.v[i].tag), NULL, NULL) == KT_ENOMEM ? KT_ENOMEM : 0;
    if (!rc) rc = kt_tags_parse(&given, op->text, err);
    /* what to add: the given tags not there yet (all ops but removal) */
    for (int i = 0; !rc && op->op != '-' && i < given.n; i++)
      if (kt_tags_find(&now, given.v[i].text) < 0) {
        if (!(rc = elem_put(s, card, op->f, given.v[i].text, true, err))) nw++;
        if (!rc) rc = kt_tags_add(&now, given.v[i].text, strlen(given.v[i].text), NULL, err);
      }
    /* what to remove: the given ones (-=), or those not given (=) */
    for (int i = now.n - 1; !rc && op->op != '+' && i >= 0; i--) {
      bool in = kt_tags_find(&given, now.v[i].text) >= 0;
      if (op->op == '-' ? in : !in) {
        if (!(rc = elem_put(s, card, op->f, now.v[i].text, false, err))) nw++;
        kt_tags_remove(&now, i);
      }
    }
    kt_tags_free(&now);
    kt_tags_free(&given);
    /* a later op of the same edit sees this one's result */
    if (!rc && o + 1 < ops->n) {
      elems_free(&e);
      rc = elems_load(s, card->type, cl_rec_id(card), &e, err);
      if (rc) return rc;
    }
  }
  if (rc == KT_ENOMEM) kt_err_set(err, KT_ENOMEM, "out of memory");
  elems_free(&e);
  if (!rc) rc = cl__tags_rebuild(s, card->type, cl_rec_id(card), err);
  if (changed) *changed += nw;
  return rc;
}
