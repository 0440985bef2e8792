/* srv_sync — see srv_sync.h. */
#include "srv_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_change.h"
#include "kt_log.h"
#include "kt_rec.h"
#include "kt_uuid.h"

typedef struct devname {
  uint32_t idx;
  char uuid[40];
} devname;

struct srv_sync {
  srv_db *d;
  kt_hlc *hlc;
  kt_model *model;
  char server_id[40];
  kt_uuid_gen ugen;
  devname *devs;
  int ndevs, capdevs;
};

/* ---- device index <-> UUID --------------------------------------------------- */

static const char *dev_name(void *ud, uint32_t idx) {
  srv_sync *s = ud;
  for (int i = 0; i < s->ndevs; i++)
    if (s->devs[i].idx == idx) return s->devs[i].uuid;
  return NULL;
}

static int dev_remember(srv_sync *s, uint32_t idx, const char *uuid) {
  if (s->ndevs == s->capdevs) {
    int cap = s->capdevs ? s->capdevs * 2 : 16;
    devname *p = realloc(s->devs, (size_t)cap * sizeof *p);
    if (!p) return KT_ENOMEM;
    s->devs = p;
    s->capdevs = cap;
  }
  s->devs[s->ndevs].idx = idx;
  snprintf(s->devs[s->ndevs].uuid, sizeof s->devs[0].uuid, "%s", uuid);
  s->ndevs++;
  return 0;
}

static int dev_index(srv_sync *s, const char *uuid, uint32_t *idx, kt_err *err) {
  for (int i = 0; i < s->ndevs; i++)
    if (strcmp(s->devs[i].uuid, uuid) == 0) {
      *idx = s->devs[i].idx;
      return 0;
    }
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_DEVIDX_ADD, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  int rc = srv_db_step_done(s->d, st, err);
  if (rc) return rc;
  *idx = (uint32_t)sqlite3_last_insert_rowid(s->d->db);
  return dev_remember(s, *idx, uuid) ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}

static int load_devices(srv_sync *s, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_DEVIDX_ALL, err);
  if (!st) return KT_EDB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (dev_remember(s, (uint32_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1))) {
      sqlite3_reset(st);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : srv_db_error(s->d, rc, "reading devices", err);
}

/* ---- model: custom fields from the master's field_def records ----------------- */

static int apply_field_def(srv_sync *s, const kt_rec *r, kt_err *err) {
  kt_mtype *ft = r->type;
  const char *vals[5] = {0};
  static const char *names[5] = {"etype", "name", "label", "ftype", "choices"};
  for (int i = 0; i < 5; i++) {
    const kt_value *v = &r->v[ft->pos[kt_mtype_field(ft, names[i])->vidx]];
    vals[i] = v->kind == KT_V_TEXT ? v->s : NULL;
  }
  const kt_value *hv = &r->v[ft->pos[kt_mtype_field(ft, "hidden")->vidx]];
  bool added = false;
  int rc = kt_model_apply_field_def(s->model, vals[0], vals[1], vals[2], vals[3], vals[4],
                                    hv->kind == KT_V_INT && hv->i, &added, err);
  if (rc || !added) return rc;
  kt_mtype *t = kt_model_type(s->model, vals[0]);
  kt_mfield *f = kt_mtype_field(t, vals[1]);
  return srv_db_add_column(s->d, t, f->column, kt_ftype_is_int(f->type), err);
}

static int load_model(srv_sync *s, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_FIELD_DEFS, err);
  if (!st) return KT_EDB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    bool added;
    kt_err e2;
    kt_model_apply_field_def(s->model, (const char *)sqlite3_column_text(st, 0),
                             (const char *)sqlite3_column_text(st, 1),
                             (const char *)sqlite3_column_text(st, 2),
                             (const char *)sqlite3_column_text(st, 3),
                             (const char *)sqlite3_column_text(st, 4), sqlite3_column_int(st, 5) != 0,
                             &added, &e2);
  }
  sqlite3_reset(st);
  srv_db_reset_types(s->d);
  return rc == SQLITE_DONE ? 0 : srv_db_error(s->d, rc, "reading field definitions", err);
}

int srv_sync_new(srv_db *d, kt_hlc *hlc, const char *server_id, srv_sync **out, kt_err *err) {
  srv_sync *s = calloc(1, sizeof *s);
  if (!s) return kt_err_set(err, KT_ENOMEM, "out of memory");
  s->d = d;
  s->hlc = hlc;
  snprintf(s->server_id, sizeof s->server_id, "%s", server_id);
  int rc = kt_model_new(&s->model, err);
  if (!rc) rc = load_devices(s, err);
  if (!rc) rc = load_model(s, err);
  if (rc) {
    srv_sync_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void srv_sync_free(srv_sync *s) {
  if (!s) return;
  kt_model_free(s->model);
  free(s->devs);
  free(s);
}

/* ---- push ---------------------------------------------------------------------------- */

static int load_by_id(srv_sync *s, kt_mtype *t, const char *id, kt_rec **out, kt_err *err) {
  *out = NULL;
  sqlite3_stmt *st = srv_db_tst(s->d, t, SRV_TST_BY_ID, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    kt_rec *r = kt_rec_new(t);
    if (!r) {
      sqlite3_reset(st);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
    kt_rec_load(r, st);
    *out = r;
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : srv_db_error(s->d, rc, "reading a record", err);
}

static int next_seq(srv_sync *s, int64_t *seq, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_SEQ_NEXT, err);
  if (!st) return KT_EDB;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *seq = sqlite3_column_int64(st, 0);
  while (rc == SQLITE_ROW) rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : srv_db_error(s->d, rc, "numbering a change", err);
}

/* Writes r (insert when rowid == 0) and records it in the feed. */
static int write_rec(srv_sync *s, kt_rec *r, int64_t *seq_out, kt_err *err) {
  kt_value_set_int(&r->v[KT_F_UPDATED], (int64_t)KT_STAMP_MS(kt_vers_max(&r->vers)));
  kt_buf ver = KT_BUF_INIT;
  kt_vers_encode(&r->vers, NULL, &ver);
  bool insert = r->rowid == 0;
  sqlite3_stmt *st = srv_db_tst(s->d, r->type, insert ? SRV_TST_INSERT : SRV_TST_UPDATE, err);
  int rc = st ? 0 : KT_EDB;
  if (!rc) {
    kt_rec_bind(r, st, insert, &ver);
    rc = srv_db_step_done(s->d, st, err);
  }
  kt_buf_free(&ver);
  if (rc) return rc;
  if (insert) r->rowid = sqlite3_last_insert_rowid(s->d->db);
  int64_t seq = 0;
  if ((rc = next_seq(s, &seq, err))) return rc;
  if (!(st = srv_db_st(s->d, SRV_ST_LOG_SET, err))) return KT_EDB;
  sqlite3_bind_int64(st, 1, seq);
  sqlite3_bind_int(st, 2, r->type->def->code);
  sqlite3_bind_int64(st, 3, r->rowid);
  if ((rc = srv_db_step_done(s->d, st, err))) return rc;
  *seq_out = seq;
  return 0;
}

/* Records the losing value of a concurrent edit as a conflict record. */
static int log_conflict(srv_sync *s, const kt_rec *card, const kt_mfield *f, const kt_value *lost,
                        const kt_value *kept, const char *lost_by, const char *won_by, kt_err *err) {
  kt_mtype *ct = kt_model_type(s->model, "conflict");
  kt_rec *c = kt_rec_new(ct);
  if (!c) return kt_err_set(err, KT_ENOMEM, "out of memory");
  kt_uuid u;
  char id[KT_UUID_STRLEN + 1];
  int rc = kt_uuid_gen_next(&s->ugen, kt_now_ms(), &u, err);
  if (rc) goto out;
  kt_uuid_format(&u, id);
  kt_buf lv = KT_BUF_INIT, kv = KT_BUF_INIT;
  kt_mfield_format(f, lost, false, &lv);
  kt_mfield_format(f, kept, false, &kv);
  struct {
    const char *name;
    const char *val;
  } set[] = {{"id", id},
             {"owner", card->v[KT_F_OWNER].kind == KT_V_TEXT ? card->v[KT_F_OWNER].s : NULL},
             {"grp", card->v[KT_F_GRP].kind == KT_V_TEXT ? card->v[KT_F_GRP].s : NULL},
             {"rtype", card->type->def->name},
             {"rid", kt_rec_id(card)},
             {"field", f->name},
             {"value", kt_buf_str(&lv)},
             {"winner", kt_buf_str(&kv)},
             {"lost_by", lost_by},
             {"won_by", won_by}};
  uint32_t self;
  rc = dev_index(s, s->server_id, &self, err);
  kt_stamp stamp = kt_hlc_now(s->hlc);
  for (size_t i = 0; !rc && i < sizeof set / sizeof set[0]; i++) {
    if (!set[i].val || !*set[i].val) continue;
    kt_mfield *cf = kt_mtype_field(ct, set[i].name);
    int pos = ct->pos[cf->vidx];
    if (kt_value_set_text(&c->v[pos], set[i].val, strlen(set[i].val))) rc = KT_ENOMEM;
    c->vers.f[cf->vidx] = (kt_fver){stamp, self};
  }
  kt_value_set_int(&c->v[KT_F_CREATED], (int64_t)kt_now_ms());
  c->vers.f[KT_F_CREATED] = (kt_fver){stamp, self};
  kt_buf_free(&lv);
  kt_buf_free(&kv);
  int64_t seq;
  if (!rc) rc = write_rec(s, c, &seq, err);
out:
  kt_rec_free(c);
  return rc;
}

/* The user whose device wrote a value ("" when unknown: the server itself). */
static void device_user(srv_sync *s, const char *dev, char *out, size_t n) {
  out[0] = '\0';
  sqlite3_stmt *st = dev ? srv_db_st(s->d, SRV_ST_DEVICE_USER, NULL) : NULL;
  if (!st) return;
  sqlite3_bind_text(st, 1, dev, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) snprintf(out, n, "%s", sqlite3_column_text(st, 0));
  sqlite3_reset(st);
}

static bool user_exists(srv_sync *s, const char *name) {
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_USER_GET, NULL);
  if (!st) return true; /* a database problem surfaces elsewhere */
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  bool ok = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_reset(st);
  return ok;
}

typedef struct incoming {
  kt_mfield *f;
  kt_value v;
  kt_stamp stamp, base;
} incoming;

/* Applies one change; *status/reason/seq describe the result. Database errors
 * return non-zero (the whole batch is rolled back). */
static int apply_change(srv_sync *s, const srv_writer *w, uint32_t wdev,
                        const Kartoteka__Change *ch, Kartoteka__ChangeResult *res, kt_err *err) {
  static char reason[KT_ERR_MSG_MAX];
  kt_err verr;
  kt_err_clear(&verr);
  kt_mtype *t = kt_model_type(s->model, ch->type);
  kt_rec *r = NULL;
  incoming *in = NULL;
  int rc = 0;
  res->status = KARTOTEKA__CHANGE_RESULT__STATUS__REJECTED;
  if (!t) {
    kt_err_set(&verr, KT_EINVAL, "unknown record type '%s'", ch->type);
    goto reject;
  }
  if (t->def->flags & KT_TF_SYSTEM) {
    kt_err_set(&verr, KT_EPERM, "%s records are written by the server only", ch->type);
    goto reject;
  }
  if (!kt_uuid_str_is_valid(ch->id)) {
    kt_err_set(&verr, KT_EINVAL, "'%s' is not a record id", ch->id);
    goto reject;
  }
  in = calloc(ch->n_fields ? ch->n_fields : 1, sizeof *in);
  if (!in) return kt_err_set(err, KT_ENOMEM, "out of memory");
  uint64_t limit = kt_now_ms() + SRV_MAX_SKEW_MS;
  for (size_t i = 0; i < ch->n_fields; i++) {
    const Kartoteka__FieldValue *fv = ch->fields[i];
    kt_mfield *f = kt_mtype_field(t, fv->name);
    if (!f) {
      kt_err_set(&verr, KT_EINVAL, "unknown field '%s' for %s", fv->name, ch->type);
      goto reject;
    }
    if (f->vidx == KT_F_ID || f->vidx == KT_F_UPDATED) {
      kt_err_set(&verr, KT_EINVAL, "field %s cannot be written", fv->name);
      goto reject;
    }
    if (KT_STAMP_MS(fv->stamp) > limit) {
      kt_err_set(&verr, KT_ECLOCK, "the PC's clock is %llu s ahead of the server's; set the "
                 "correct time (or turn on automatic time) and sync again",
                 (unsigned long long)((KT_STAMP_MS(fv->stamp) - kt_now_ms()) / 1000));
      goto reject;
    }
    if (!fv->stamp) {
      kt_err_set(&verr, KT_EINVAL, "field %s has no version stamp", fv->name);
      goto reject;
    }
    if (kt_change_value(f, fv, &in[i].v, &verr)) goto reject;
    /* owners and assignees must be accounts of this office */
    if (f->type == KT_FT_USER && in[i].v.kind == KT_V_TEXT && t->def->flags != KT_TF_SYSTEM &&
        !user_exists(s, in[i].v.s)) {
      kt_err_set(&verr, KT_EINVAL, "%s: there is no user named %s in this office", f->name,
                 in[i].v.s);
      goto reject;
    }
    in[i].f = f;
    in[i].stamp = fv->stamp;
    in[i].base = fv->base_stamp;
  }
  if ((rc = load_by_id(s, t, ch->id, &r, err))) goto out;
  if (!r) {
    if (!(r = kt_rec_new(t))) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      goto out;
    }
    kt_value_set_text(&r->v[KT_F_ID], ch->id, strlen(ch->id));
  }
  bool any = false;
  for (size_t i = 0; i < ch->n_fields; i++) {
    kt_mfield *f = in[i].f;
    int pos = t->pos[f->vidx];
    kt_fver *cur = &r->vers.f[f->vidx];
    const char *cur_dev = cur->stamp ? dev_name(s, cur->dev) : "";
    kt_hlc_recv(s->hlc, in[i].stamp, 0, NULL);
    int cmp = kt_merge_cmp(in[i].stamp, w->device_id, cur->stamp, cur_dev);
    bool concurrent = cur->stamp && cur->stamp != in[i].base && cur_dev &&
                      strcmp(cur_dev, w->device_id) != 0 && !kt_value_equal(&r->v[pos], &in[i].v);
    char other[80] = "";
    if (concurrent) device_user(s, cur_dev, other, sizeof other);
    if (cmp > 0) {
      if (concurrent && (rc = log_conflict(s, r, f, &r->v[pos], &in[i].v, other, w->user, err)))
        goto out;
      kt_value_clear(&r->v[pos]);
      r->v[pos] = in[i].v;
      memset(&in[i].v, 0, sizeof in[i].v);
      cur->stamp = in[i].stamp;
      cur->dev = wdev;
      any = true;
    } else if (cmp < 0 && concurrent) {
      if ((rc = log_conflict(s, r, f, &in[i].v, &r->v[pos], w->user, other, err))) goto out;
    }
  }
  if (any) {
    int64_t seq;
    if ((rc = write_rec(s, r, &seq, err))) goto out;
    if (strcmp(t->def->name, "field_def") == 0 && (rc = apply_field_def(s, r, err))) goto out;
    res->status = KARTOTEKA__CHANGE_RESULT__STATUS__APPLIED;
    res->server_seq = (uint64_t)seq;
  } else {
    res->status = KARTOTEKA__CHANGE_RESULT__STATUS__SUPERSEDED;
  }
  goto out;
reject:
  snprintf(reason, sizeof reason, "%s", verr.msg);
  res->reason = strdup(reason);
  kt_log_info("sync", "rejected a change from device %s: %s", w->device_id, verr.msg);
out:
  if (in)
    for (size_t i = 0; i < ch->n_fields; i++) kt_value_clear(&in[i].v);
  free(in);
  kt_rec_free(r);
  return rc;
}

/* Applies a push inside the caller's transaction; fills ack. */
static int push_apply(srv_sync *s, const srv_writer *w, const Kartoteka__Push *push,
                      Kartoteka__PushAck *ack, kt_err *err) {
  Kartoteka__ChangeResult **res = calloc(push->n_changes ? push->n_changes : 1, sizeof *res);
  Kartoteka__ChangeResult *vals = calloc(push->n_changes ? push->n_changes : 1, sizeof *vals);
  if (!res || !vals) {
    free(res);
    free(vals);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < push->n_changes; i++) {
    kartoteka__change_result__init(&vals[i]);
    res[i] = &vals[i];
  }
  ack->results = res;
  ack->n_results = push->n_changes;
  int rc;
  uint32_t wdev;
  if ((rc = dev_index(s, w->device_id, &wdev, err))) goto fail;
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_DEVCTR_GET, err);
  if (!st) {
    rc = KT_EDB;
    goto fail;
  }
  sqlite3_bind_text(st, 1, w->device_id, -1, SQLITE_STATIC);
  int64_t last = 0;
  if (sqlite3_step(st) == SQLITE_ROW) last = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  int64_t high = last;
  for (size_t i = 0; i < push->n_changes; i++) {
    const Kartoteka__Change *ch = push->changes[i];
    if ((int64_t)ch->counter <= last) { /* already applied: a resend after a lost ack */
      vals[i].status = KARTOTEKA__CHANGE_RESULT__STATUS__APPLIED;
      continue;
    }
    if ((rc = apply_change(s, w, wdev, ch, &vals[i], err))) goto fail;
    if ((int64_t)ch->counter > high) high = (int64_t)ch->counter;
  }
  if (high != last) {
    if (!(st = srv_db_st(s->d, SRV_ST_DEVCTR_SET, err))) {
      rc = KT_EDB;
      goto fail;
    }
    sqlite3_bind_text(st, 1, w->device_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, high);
    if ((rc = srv_db_step_done(s->d, st, err))) goto fail;
  }
  return 0;
fail:
  srv_sync_ack_free(ack);
  return rc;
}

/* After a rollback: the model may have gained a field inside it. */
static void model_reload(srv_sync *s) {
  kt_model_free(s->model);
  s->model = NULL;
  if (kt_model_new(&s->model, NULL) == 0) load_model(s, NULL);
}

int srv_sync_push(srv_sync *s, const srv_writer *w, const Kartoteka__Push *push,
                  Kartoteka__PushAck *ack, kt_err *err) {
  int rc = srv_db_begin(s->d, err);
  if (!rc && (rc = push_apply(s, w, push, ack, err))) srv_db_rollback(s->d);
  if (!rc && (rc = srv_db_commit(s->d, err))) srv_sync_ack_free(ack);
  if (rc) model_reload(s);
  return rc;
}

/* ---- group commit ---------------------------------------------------------------- */

int srv_sync_group_begin(srv_sync *s, kt_err *err) { return srv_db_begin(s->d, err); }

int srv_sync_push_grouped(srv_sync *s, const srv_writer *w, const Kartoteka__Push *push,
                          Kartoteka__PushAck *ack, kt_err *err) {
  char *msg = NULL;
  if (sqlite3_exec(s->d->db, "SAVEPOINT push", NULL, NULL, &msg) != SQLITE_OK) {
    int rc = kt_err_set(err, KT_EDB, "cannot apply the changes: %s", msg ? msg : "");
    sqlite3_free(msg);
    return rc;
  }
  int rc = push_apply(s, w, push, ack, err);
  if (rc) {
    /* this push only; the others of the group stay */
    sqlite3_exec(s->d->db, "ROLLBACK TO push; RELEASE push", NULL, NULL, NULL);
    model_reload(s);
    return rc;
  }
  if (sqlite3_exec(s->d->db, "RELEASE push", NULL, NULL, &msg) != SQLITE_OK) {
    rc = kt_err_set(err, KT_EDB, "cannot apply the changes: %s", msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_exec(s->d->db, "ROLLBACK TO push; RELEASE push", NULL, NULL, NULL);
    srv_sync_ack_free(ack);
    model_reload(s);
  }
  return rc;
}

int srv_sync_group_commit(srv_sync *s, kt_err *err) {
  int rc = srv_db_commit(s->d, err); /* rolls back on failure */
  if (rc) model_reload(s);
  return rc;
}

void srv_sync_ack_free(Kartoteka__PushAck *ack) {
  if (ack->n_results) {
    for (size_t i = 0; i < ack->n_results; i++) free(ack->results[i]->reason == (char *)protobuf_c_empty_string ? NULL : ack->results[i]->reason);
    free(ack->results[0]);
  }
  free(ack->results);
  ack->results = NULL;
  ack->n_results = 0;
}

/* ---- pull ---------------------------------------------------------------------------- */

int srv_sync_latest(srv_sync *s, uint64_t *seq, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_SEQ_GET, err);
  if (!st) return KT_EDB;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *seq = (uint64_t)sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : srv_db_error(s->d, rc, "reading the sequence", err);
}

int srv_sync_pull(srv_sync *s, uint64_t since, uint32_t max, srv_page *page, kt_err *err) {
  if (!max || max > SRV_PULL_MAX) max = SRV_PULL_MAX;
  memset(page, 0, sizeof *page);
  kartoteka__changes__init(&page->msg);
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_LOG_PAGE, err);
  if (!st) return KT_EDB;
  sqlite3_bind_int64(st, 1, (int64_t)since);
  sqlite3_bind_int64(st, 2, (int64_t)max);
  /* read the page of the feed first: the record reads below use other statements;
     arrays are sized by what was found (a reconnect with nothing new is common,
     and 5,000-entry arrays cost more than the query) */
  size_t n = 0, cap = 0;
  int64_t *rows = NULL;
  int rc;
  while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      size_t ncap = cap ? cap * 4 : 16;
      if (ncap > max) ncap = max;
      int64_t *p = realloc(rows, ncap * 3 * sizeof *rows);
      if (!p) break;
      rows = p;
      cap = ncap;
    }
    rows[3 * n] = sqlite3_column_int64(st, 0);
    rows[3 * n + 1] = sqlite3_column_int64(st, 1);
    rows[3 * n + 2] = sqlite3_column_int64(st, 2);
    n++;
  }
  sqlite3_reset(st);
  Kartoteka__Change **chs = calloc(n ? n : 1, sizeof *chs);
  page->vals = calloc(n ? n : 1, sizeof *page->vals);
  page->recs = calloc(n ? n : 1, sizeof *page->recs);
  page->msg.changes = chs;
  if (!chs || !page->vals || !page->recs || (n < max && rc == SQLITE_ROW)) {
    free(rows);
    srv_page_free(page);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  rc = 0;
  size_t k = 0, bytes = 0;
  uint64_t next = since;
  bool cut = false;
  for (size_t i = 0; !rc && i < n; i++) {
    if (bytes >= SRV_PULL_BYTES) { /* far below the frame limit: the rest comes next page */
      cut = true;
      break;
    }
    next = (uint64_t)rows[3 * i];
    kt_mtype *t = kt_model_type_by_code(s->model, (int)rows[3 * i + 1]);
    if (!t) continue;
    sqlite3_stmt *rs = srv_db_tst(s->d, t, SRV_TST_BY_ROWID, err);
    if (!rs) {
      rc = KT_EDB;
      break;
    }
    sqlite3_bind_int64(rs, 1, rows[3 * i + 2]);
    if (sqlite3_step(rs) == SQLITE_ROW) {
      kt_rec *r = kt_rec_new(t);
      if (!r) {
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      } else {
        kt_rec_load(r, rs);
        page->recs[k] = r;
        kartoteka__change__init(&page->vals[k]);
        rc = kt_change_from_rec(r, NULL, NULL, dev_name, s, &page->vals[k], err);
        page->vals[k].server_seq = (uint64_t)rows[3 * i];
        for (size_t f = 0; f < page->vals[k].n_fields; f++) {
          const Kartoteka__FieldValue *fv = page->vals[k].fields[f];
          bytes += 64 + strlen(fv->name) +
                   (fv->value_case == KARTOTEKA__FIELD_VALUE__VALUE_TEXT ? strlen(fv->text) : 0);
        }
        chs[k] = &page->vals[k];
        k++;
        page->msg.n_changes = k;
      }
    }
    sqlite3_reset(rs);
  }
  free(rows);
  page->msg.next_seq = next;
  page->msg.more = n == max || cut;
  if (rc) srv_page_free(page);
  return rc;
}

void srv_page_free(srv_page *page) {
  for (size_t i = 0; i < page->msg.n_changes; i++) {
    kt_change_clear(&page->vals[i]);
    kt_rec_free(page->recs[i]);
  }
  free(page->recs);
  free(page->vals);
  free(page->msg.changes);
  memset(page, 0, sizeof *page);
}

int srv_sync_dump(srv_sync *s, kt_buf *out, kt_err *err) {
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  for (int i = 0; i < n; i++) {
    kt_buf sql = KT_BUF_INIT;
    kt_recsql_select(&types[i], &sql);
    kt_buf_puts(&sql, " ORDER BY id");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->d->db, kt_buf_str(&sql), -1, &st, NULL);
    kt_buf_free(&sql);
    if (rc != SQLITE_OK) return srv_db_error(s->d, rc, "dumping", err);
    kt_rec *r = kt_rec_new(&types[i]);
    while (r && sqlite3_step(st) == SQLITE_ROW) {
      kt_rec_load(r, st);
      kt_rec_dump_line(r, dev_name, s, out);
    }
    kt_rec_free(r);
    sqlite3_finalize(st);
  }
  return 0;
}
