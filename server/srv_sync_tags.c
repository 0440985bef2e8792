/* srv_sync_tags — multi-value (tags) fields on the master: a pushed tagging
 * (kt_tags.h) is checked (it names one existing card, a tags field of it, a
 * trimmed tag, and carries the id derived from the three, so card, field and
 * folded tag never change), and after it is written the card's derived column is rebuilt
 * from the card's live taggings (no version, no feed row: replicas rebuild it
 * from the same taggings). The column feeds hand-over filters and exports. */
#include "srv_sync_int.h"

#include <stdlib.h>
#include <string.h>

#include "kt_tags.h"
#include "srv_history.h"

int srv__tags_check(srv_sync *s, const kt_rec *cur, const kt_value *after, kt_err *verr,
                    kt_err *err) {
  kt_mtype *et = cur->type;
  if (!(et->def->flags & KT_TF_ELEMENT)) return 0;
  /* new or not, the values must give the record's id: its card, field and folded
     tag never change (a PC adding the same tag spelt otherwise may respell it) */
  int rc = kt_tags_elem_check(s->model, et, kt_rec_id(cur), after, verr);
  if (rc || cur->rowid) return rc;
  kt_tags_elem e;
  kt_tags_elem_of(et, after, &e);
  kt_rec *card = NULL;
  if ((rc = srv__load_by_id(s, kt_model_type(s->model, e.card_type), e.card_id, &card, err)))
    return rc;
  if (!card)
    return kt_err_set(verr, KT_EINVAL, "tag '%s' is for %s %s, which the server does not have: "
                      "sync the card first", e.tag, e.card_type, e.card_id);
  kt_rec_free(card);
  return 0;
}

int srv__tags_rebuild(srv_sync *s, const kt_rec *elem, uint32_t dev, kt_stamp stamp,
                      kt_err *err) {
  kt_tags_elem e;
  if (!(elem->type->def->flags & KT_TF_ELEMENT) || !kt_tags_elem_of(elem->type, elem->v, &e) ||
      !e.field)
    return 0;
  kt_mtype *ct = kt_model_type(s->model, e.card_type), *et = elem->type;
  kt_mfield *f = ct ? kt_mtype_field(ct, e.field) : NULL;
  const kt_mfield *ref = kt_tags_card_ref(et, e.card_type);
  if (!f || !kt_ftype_is_multi(f->type) || !ref) return 0;
  kt_rec *card = NULL, *x = NULL;
  int rc = srv__load_by_id(s, ct, e.card_id, &card, err);
  if (rc || !card) return rc;
  srv_hist hist = {.on = false, .n = 0};
  kt_tags l = KT_TAGS_INIT;
  kt_buf joined = KT_BUF_INIT, ver = KT_BUF_INIT;
  int64_t *rows = NULL;
  size_t nr = 0, cap = 0;
  sqlite3_stmt *st = srv_db_tst(s->d, et, strcmp(ref->name, "org") == 0 ? SRV_TST_BY_ORG
                                                                          : SRV_TST_BY_CONTACT, err);
  if (!st) {
    rc = KT_EDB;
    goto out;
  }
  sqlite3_bind_text(st, 1, e.card_id, -1, SQLITE_TRANSIENT);
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (nr == cap) {
      cap = cap ? cap * 2 : 16;
      int64_t *p = realloc(rows, cap * sizeof *p);
      if (!p) break;
      rows = p;
    }
    rows[nr++] = sqlite3_column_int64(st, 0);
  }
  sqlite3_reset(st);
  if (step != SQLITE_DONE) {
    rc = step == SQLITE_ROW ? kt_err_set(err, KT_ENOMEM, "out of memory")
                            : srv_db_error(s->d, step, "reading a card's tags", err);
    goto out;
  }
  if (!(x = kt_rec_new(et))) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t k = 0; !rc && k < nr; k++) {
    if (!(st = srv_db_tst(s->d, et, SRV_TST_BY_ROWID, err))) {
      rc = KT_EDB;
      break;
    }
    sqlite3_bind_int64(st, 1, rows[k]);
    if (sqlite3_step(st) == SQLITE_ROW && !(rc = kt_rec_load(x, st, err)))
      rc = kt_tags_collect(&l, et, x->v, e.card_id, e.field, err);
    sqlite3_reset(st);
  }
  if (rc) goto out;
  kt_tags_join(&l, &joined);
  kt_value v = {KT_V_NULL, 0, NULL};
  if (joined.len && kt_value_set_text(&v, kt_buf_str(&joined), joined.len)) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  int pos = ct->pos[f->vidx];
  if (kt_value_equal(&v, &card->v[pos])) {
    kt_value_clear(&v);
    goto out;
  }
  /* the card's history: the list before and after (the tagging has its own rows too) */
  srv_hist_begin(&hist, ct);
  if (hist.on) {
    hist.item[0].vidx = f->vidx;
    hist.item[0].stamp = stamp;
    hist.item[0].old = card->v[pos];
    hist.n = 1;
  } else {
    kt_value_clear(&card->v[pos]);
  }
  card->v[pos] = v;
  /* the derived column only: the card's versions, feed row and updated time stay */
  kt_vers_encode(&card->vers, NULL, &ver);
  if (!(st = srv_db_tst(s->d, ct, SRV_TST_UPDATE, err))) {
    rc = KT_EDB;
    goto out;
  }
  kt_rec_bind(card, st, false, &ver);
  rc = srv_db_step_done(s->d, st, err);
  if (!rc) rc = srv_hist_write(s->d, card, dev, &hist, err);
out:
  srv_hist_clear(&hist);
  free(rows);
  kt_rec_free(x);
  kt_rec_free(card);
  kt_tags_free(&l);
  kt_buf_free(&joined);
  kt_buf_free(&ver);
  return rc;
}
