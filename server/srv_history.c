/* srv_history — a card's history (see srv_history.h). One row per changed
 * field: (tcode, rid, vidx, stamp, dev, old, new), about 30-40 bytes plus the
 * values; the page query walks srv_history_rec (tcode, rid, id) backwards. */
#include "srv_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_log.h"
#include "kt_uuid.h"
#include "srv_sync_int.h"

#define HIST_PAGE_DEFAULT 200
#define HIST_PAGE_MAX 1000
#define PRUNE_BATCH 1000

bool srv_history_kept(const kt_mtype *t) {
  return t && !(t->def->flags & (KT_TF_CONFIG | KT_TF_SYSTEM));
}

void srv_hist_begin(srv_hist *h, const kt_mtype *t) {
  h->on = srv_history_kept(t);
  h->created = false;
  h->n = 0;
}

void srv_hist_created(srv_hist *h) {
  if (!h->on || h->created) return;
  h->created = true;
  h->item[0].vidx = KT_F_CREATED;
  h->item[0].stamp = 0; /* the newest stamp of its values (srv_hist_take) */
  memset(&h->item[0].old, 0, sizeof h->item[0].old);
  h->n = 1;
}

int srv_hist_take(srv_hist *h, const kt_rec *r, const kt_mfield *f, kt_stamp stamp, kt_err *err) {
  if (h->on && h->created && stamp > h->item[0].stamp) h->item[0].stamp = stamp; /* its time */
  if (!h->on || h->created || h->n >= KT_MAX_FIELDS || f->vidx == KT_F_UPDATED) return 0;
  int k = h->n;
  memset(&h->item[k].old, 0, sizeof h->item[k].old);
  if (kt_value_copy(&h->item[k].old, &r->v[r->type->pos[f->vidx]]))
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  h->item[k].vidx = f->vidx;
  h->item[k].stamp = stamp;
  h->n++;
  return 0;
}

int srv_hist_write(srv_db *d, const kt_rec *r, uint32_t dev, const srv_hist *h, kt_err *err) {
  for (int k = 0; h->on && k < h->n; k++) {
    sqlite3_stmt *st = srv_db_st(d, SRV_ST_HIST_ADD, err);
    if (!st) return KT_EDB;
    sqlite3_bind_int(st, 1, r->type->def->code);
    sqlite3_bind_int64(st, 2, r->rowid);
    sqlite3_bind_int(st, 3, h->item[k].vidx);
    sqlite3_bind_int64(st, 4, (int64_t)h->item[k].stamp);
    sqlite3_bind_int64(st, 5, dev);
    kt_rec_bind_value(st, 6, &h->item[k].old);
    kt_rec_bind_value(st, 7, &r->v[r->type->pos[h->item[k].vidx]]);
    int rc = srv_db_step_done(d, st, err);
    if (rc) return rc;
  }
  return 0;
}

kt_stamp srv_hist_newest(const srv_hist *h) {
  kt_stamp t = 0;
  for (int k = 0; k < h->n; k++)
    if (h->item[k].stamp > t) t = h->item[k].stamp;
  return t;
}

void srv_hist_clear(srv_hist *h) {
  for (int k = 0; k < h->n; k++) kt_value_clear(&h->item[k].old);
  h->n = 0;
}

/* ---- reading ---------------------------------------------------------------------- */

/* One entry with everything it points to, freed together. */
typedef struct hist_entry {
  Kartoteka__HistoryEntry e;
  Kartoteka__FieldValue old, new_;
  char *strs[6];
} hist_entry;

static char *dup_col(sqlite3_stmt *st, int i) {
  const unsigned char *p = sqlite3_column_text(st, i);
  return strdup(p ? (const char *)p : "");
}

/* A stored value as a FieldValue named `name` (hidden: no value at all). */
static int fill_value(Kartoteka__FieldValue *fv, sqlite3_stmt *st, int col, const char *name,
                      bool hidden, char **str) {
  kartoteka__field_value__init(fv);
  fv->name = (char *)name;
  if (hidden) {
    fv->hidden = true;
    return 0;
  }
  switch (sqlite3_column_type(st, col)) {
  case SQLITE_NULL:
    fv->is_null = true;
    return 0;
  case SQLITE_INTEGER:
    fv->value_case = KARTOTEKA__FIELD_VALUE__VALUE_NUM;
    fv->num = sqlite3_column_int64(st, col);
    return 0;
  default:
    fv->value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
    if (!(*str = dup_col(st, col))) return KT_ENOMEM;
    fv->text = *str;
    return 0;
  }
}

void srv_history_free(Kartoteka__History *h) {
  for (size_t i = 0; i < h->n_entries; i++) {
    hist_entry *he = (hist_entry *)h->entries[i]; /* e is the first member */
    for (int k = 0; k < 6; k++) free(he->strs[k]);
    free(he);
  }
  free(h->entries);
  h->entries = NULL;
  h->n_entries = 0;
  if (h->id != protobuf_c_empty_string) free(h->id);
  h->id = NULL;
}

/* The record q names, if subj may read it: its type, rowid and scope owner. */
static int find_record(srv_sync *s, const srv_subject *subj, const Kartoteka__HistoryRequest *q,
                       kt_mtype **type, int64_t *rowid, char *owner, size_t owner_n,
                       kt_err *err) {
  const char *tname = q->type ? q->type : "";
  const char *id = q->id ? q->id : "";
  kt_rec *r = NULL;
  int rc = 0;
  if (kt_uuid_str_is_valid(id)) {
    int nt = 0;
    kt_mtype *types = kt_model_types(s->model, &nt);
    for (int i = 0; i < nt && !r && !rc; i++) {
      kt_mtype *t = &types[i];
      if (!srv_history_kept(t) || (tname[0] && strcmp(t->def->name, tname) != 0)) continue;
      rc = srv__load_by_id(s, t, id, &r, err);
    }
  }
  if (rc) return rc;
  srv_logrow lr;
  memset(&lr, 0, sizeof lr);
  if (r && (rc = srv__log_get(s, r->type->def->code, r->rowid, &lr, err))) {
    kt_rec_free(r);
    return rc;
  }
  if (!r || !lr.found || !srv__subj_reads(subj, r->type->def->code, &lr.sc)) {
    kt_rec_free(r);
    /* the same answer for a record that does not exist and one the user may not see */
    return kt_err_set(err, KT_ENOTFOUND, "there is no %s with id %s", tname[0] ? tname : "card",
                      id);
  }
  *type = r->type;
  *rowid = r->rowid;
  snprintf(owner, owner_n, "%s", lr.sc.owner);
  kt_rec_free(r);
  return 0;
}

int srv_sync_history(srv_sync *s, const srv_subject *subj, const Kartoteka__HistoryRequest *q,
                     Kartoteka__History *out, kt_err *err) {
  kartoteka__history__init(out);
  kt_mtype *t = NULL;
  int64_t rowid = 0;
  char owner[80];
  int rc = find_record(s, subj, q, &t, &rowid, owner, sizeof owner, err);
  if (rc) return rc;
  int vidx = -1;
  if (q->field && q->field[0]) {
    kt_mfield *f = kt_mtype_field(t, q->field);
    if (!f) return kt_err_set(err, KT_EINVAL, "%s has no field '%s'", t->def->noun, q->field);
    vidx = f->vidx;
  }
  uint32_t max = q->max ? q->max : HIST_PAGE_DEFAULT;
  if (max > HIST_PAGE_MAX) max = HIST_PAGE_MAX;
  bool hides = srv__subj_hides(subj, owner);
  out->type = (char *)t->def->name;
  out->id = NULL;
  out->entries = calloc(max, sizeof *out->entries);
  if (!out->entries) return kt_err_set(err, KT_ENOMEM, "out of memory");
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_HIST_PAGE, err);
  if (!st) {
    rc = KT_EDB;
    goto out;
  }
  sqlite3_bind_int(st, 1, t->def->code);
  sqlite3_bind_int64(st, 2, rowid);
  sqlite3_bind_int64(st, 3, q->before && q->before < (uint64_t)INT64_MAX ? (int64_t)q->before
                                                                         : INT64_MAX);
  sqlite3_bind_int(st, 4, vidx);
  sqlite3_bind_int64(st, 5, (int64_t)max + 1); /* one more tells whether there are more */
  int src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (out->n_entries == max) {
      out->more = true;
      break;
    }
    kt_mfield *f = kt_mtype_field_by_vidx(t, sqlite3_column_int(st, 1));
    if (!f) continue; /* a field this server no longer knows */
    hist_entry *he = calloc(1, sizeof *he);
    if (!he) {
      rc = KT_ENOMEM;
      break;
    }
    out->entries[out->n_entries++] = &he->e;
    kartoteka__history_entry__init(&he->e);
    he->e.seq = (uint64_t)sqlite3_column_int64(st, 0);
    he->e.stamp = (uint64_t)sqlite3_column_int64(st, 2);
    bool hidden = hides && (f->flags & KT_FF_CONTACT);
    if (fill_value(&he->old, st, 3, f->name, hidden, &he->strs[0]) ||
        fill_value(&he->new_, st, 4, f->name, hidden, &he->strs[1]) ||
        !(he->strs[2] = dup_col(st, 5)) || !(he->strs[3] = dup_col(st, 6)) ||
        !(he->strs[4] = dup_col(st, 7))) {
      rc = KT_ENOMEM;
      break;
    }
    he->e.old_value = &he->old;
    he->e.new_value = &he->new_;
    he->e.device = he->strs[2];
    he->e.device_name = he->strs[3];
    he->e.user = he->strs[4];
  }
  if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
    rc = srv_db_error(s->d, src, "reading a card's history", err);
  sqlite3_reset(st);
  if (rc == KT_ENOMEM) kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!rc && !(out->id = strdup(q->id))) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
out:
  if (rc) srv_history_free(out);
  return rc;
}

/* ---- retention -------------------------------------------------------------------- */

int srv_history_prune(srv_db *d, int64_t cutoff_ms, int64_t budget, int64_t *deleted,
                      kt_err *err) {
  *deleted = 0;
  int rc = 0;
  while (!rc && *deleted < budget) {
    /* the oldest entries come first by id (commit order); stop at the first newer one */
    sqlite3_stmt *st = srv_db_st(d, SRV_ST_HIST_OLDEST, err);
    if (!st) return KT_EDB;
    sqlite3_bind_int64(st, 1, PRUNE_BATCH);
    int64_t upto = 0, n = 0;
    bool newer = false;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
      if ((int64_t)KT_STAMP_MS(sqlite3_column_int64(st, 1)) >= cutoff_ms) {
        newer = true;
        break;
      }
      upto = sqlite3_column_int64(st, 0);
      n++;
    }
    sqlite3_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
      return srv_db_error(d, src, "reading the history for its retention", err);
    if (!n) break;
    if ((rc = srv_db_begin(d, err))) break;
    if (!(st = srv_db_st(d, SRV_ST_HIST_PRUNE, err))) {
      srv_db_rollback(d);
      return KT_EDB;
    }
    sqlite3_bind_int64(st, 1, upto);
    if ((rc = srv_db_step_done(d, st, err))) {
      srv_db_rollback(d);
      break;
    }
    if ((rc = srv_db_commit(d, err))) break;
    *deleted += n;
    if (newer || n < PRUNE_BATCH) break;
  }
  return rc;
}
