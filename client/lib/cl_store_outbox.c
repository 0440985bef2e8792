/* cl_store_outbox — the replica's outbox at the row level: noting local
 * edits, walking unsent entries for a push, acknowledging, renumbering and
 * dropping refused ones; the device index cache used by sync. The commands
 * built on it (list, show, drop) are in cl_outbox.c. */
#include "cl_store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- outbox -------------------------------------------------------------------------- */

int cl__outbox_hold(cl_store *s, const cl_rec *r, int hold, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_HOLD, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, r->type->def->code);
  sqlite3_bind_int64(st, 2, r->rowid);
  sqlite3_bind_int(st, 3, hold);
  return cl_db_step_done(&s->d, st, err);
}

/* Records that fields `set` of r changed; base = versions before the edit (NULL
 * for a new record). Merges into an unsent entry, which takes a new number and
 * loses the server's last reason (the change is judged again) but remembers it
 * was refused (its code); a record that stays in the trash keeps its hold. */
int cl__outbox_note(cl_store *s, const cl_rec *r, const kt_fset *set, const kt_vers *base,
                    kt_err *err) {
  int tcode = r->type->def->code;
  kt_fset fields = *set;
  kt_vers b;
  memset(&b, 0, sizeof b);
  if (base)
    for (int i = 0; i < KT_MAX_FIELDS; i++)
      if (kt_fset_has(set, i)) b.f[i] = base->f[i];
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_GET, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, tcode);
  sqlite3_bind_int64(st, 2, r->rowid);
  int rc = sqlite3_step(st);
  int hold = 0;
  bool was_refused = false;
  int code = 0;
  if (rc == SQLITE_ROW) {
    int64_t seq = sqlite3_column_int64(st, 0);
    kt_fset prev;
    kt_vers pbase;
    kt_fset_decode(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &prev);
    kt_vers_decode(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), &pbase);
    hold = cl_rec_deleted(r) ? sqlite3_column_int(st, 4) : 0; /* still in the trash: still held */
    was_refused = sqlite3_column_type(st, 5) != SQLITE_NULL;
    code = sqlite3_column_int(st, 5);
    sqlite3_reset(st);
    for (int i = 0; i < KT_MAX_FIELDS; i++)
      if (kt_fset_has(&prev, i)) b.f[i] = pbase.f[i]; /* keep the first unsent edit's base */
    kt_fset_or(&fields, &prev);
    sqlite3_stmt *del = cl_db_st(&s->d, CL_ST_OUTBOX_DEL, err);
    if (!del) return cl_db_st_rc(&s->d);
    sqlite3_bind_int64(del, 1, seq);
    if ((rc = cl_db_step_done(&s->d, del, err))) return rc;
  } else {
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "reading the outbox", err);
  }
  kt_buf fb = KT_BUF_INIT, bb = KT_BUF_INIT;
  kt_fset_encode(&fields, &fb);
  kt_vers_encode(&b, &fields, &bb);
  if (fb.oom || bb.oom) {
    kt_buf_free(&fb);
    kt_buf_free(&bb);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  st = cl_db_st(&s->d, CL_ST_OUTBOX_ADD, err);
  if (!st) rc = cl_db_st_rc(&s->d);
  else {
    sqlite3_bind_int(st, 1, tcode);
    sqlite3_bind_int64(st, 2, r->rowid);
    sqlite3_bind_blob(st, 3, fb.p, (int)fb.len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, bb.p, (int)bb.len, SQLITE_STATIC);
    if (was_refused) sqlite3_bind_int(st, 6, code);
    rc = cl_db_step_done(&s->d, st, err);
  }
  kt_buf_free(&fb);
  kt_buf_free(&bb);
  return rc || !hold ? rc : cl__outbox_hold(s, r, hold, err);
}


int cl__outbox_state(cl_store *s, const cl_rec *r, entry_state *es, kt_err *err) {
  memset(es, 0, sizeof *es);
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_GET, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, r->type->def->code);
  sqlite3_bind_int64(st, 2, r->rowid);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    kt_fset f;
    kt_vers b;
    kt_fset_decode(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &f);
    kt_vers_decode(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), &b);
    es->has = true;
    es->isnew = cl_outbox_is_new(&f, &b);
    es->refused = sqlite3_column_type(st, 5) != SQLITE_NULL;
    es->hold = sqlite3_column_int(st, 4);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cl_db_error(&s->d, rc, "reading the outbox", err);
}

int cl_store_outbox_count(cl_store *s, int64_t *n, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_COUNT, err);
  if (!st) return cl_db_st_rc(&s->d);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : cl_db_error(&s->d, rc, "reading the outbox", err);
}

/* ---- sync support ---------------------------------------------------------------------- */

typedef struct devname {
  uint32_t idx;
  char uuid[KT_UUID_STRLEN + 1];
} devname;

static int dev_load(cl_store *s, kt_err *err) {
  if (s->ndevs) return 0;
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_DEVICE_ALL, err);
  if (!st) return cl_db_st_rc(&s->d);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (s->ndevs == s->capdevs) {
      int cap = s->capdevs ? s->capdevs * 2 : 16;
      devname *p = kt_realloc(s->devs, (size_t)cap * sizeof *p);
      if (!p) {
        sqlite3_reset(st);
        return kt_err_set(err, KT_ENOMEM, "out of memory");
      }
      s->devs = p;
      s->capdevs = cap;
    }
    s->devs[s->ndevs].idx = (uint32_t)sqlite3_column_int64(st, 0);
    snprintf(s->devs[s->ndevs].uuid, sizeof s->devs[0].uuid, "%s", sqlite3_column_text(st, 1));
    s->ndevs++;
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : cl_db_error(&s->d, rc, "reading devices", err);
}

const char *cl_store_devname(void *store, uint32_t idx) {
  cl_store *s = store;
  if (dev_load(s, NULL)) return NULL;
  for (int i = 0; i < s->ndevs; i++)
    if (s->devs[i].idx == idx) return s->devs[i].uuid;
  return NULL;
}

int cl__dev_index(cl_store *s, const char *uuid, uint32_t *idx, kt_err *err) {
  int rc = dev_load(s, err);
  if (rc) return rc;
  for (int i = 0; i < s->ndevs; i++)
    if (strcmp(s->devs[i].uuid, uuid) == 0) {
      *idx = s->devs[i].idx;
      return 0;
    }
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_DEVICE_ADD, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  if ((rc = cl_db_step_done(&s->d, st, err))) return rc;
  s->ndevs = 0; /* reload with the new row */
  *idx = (uint32_t)sqlite3_last_insert_rowid(s->d.db);
  return dev_load(s, err);
}

int cl_store_outbox_hold(cl_store *s, const char *id, int *hold, kt_err *err) {
  *hold = 0;
  cl_rec *r = NULL;
  int rc = cl__locate(s, id, &r, err);
  if (rc == KT_ENOTFOUND) return 0;
  entry_state es;
  if (!rc && !(rc = cl__outbox_state(s, r, &es, err)) && es.has) *hold = es.hold;
  cl_rec_free(r);
  return rc;
}

int cl_store_outbox_unpark(cl_store *s, const char *id, kt_err *err) {
  cl_rec *r = NULL;
  int rc = cl__locate(s, id, &r, err);
  if (rc == KT_ENOTFOUND) return 0;
  if (!rc && !(rc = cl__tx_begin(s, err))) rc = cl__tx_end(s, cl__outbox_hold(s, r, 0, err), err);
  cl_rec_free(r);
  return rc;
}

int cl_store_outbox_walk(cl_store *s, int max, cl_outbox_cb cb, void *ud, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_WALK, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, max);
  int rc = 0;
  int src = SQLITE_DONE;
  while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
    cl_outbox_item it;
    memset(&it, 0, sizeof it);
    it.seq = sqlite3_column_int64(st, 0);
    kt_mtype *t = kt_model_type_by_code(s->model, sqlite3_column_int(st, 1));
    kt_fset_decode(sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3), &it.fields);
    kt_vers_decode(sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), &it.base);
    if (!t) continue;
    sqlite3_stmt *rs = cl_db_tst(&s->d, t, CL_TST_BY_ROWID, err);
    if (!rs) {
      rc = cl_db_st_rc(&s->d);
      break;
    }
    sqlite3_bind_int64(rs, 1, sqlite3_column_int64(st, 2));
    int rstep = sqlite3_step(rs);
    if (rstep != SQLITE_ROW && rstep != SQLITE_DONE)
      rc = cl_db_error(&s->d, rstep, "reading a card of the outbox", err);
    if (rstep == SQLITE_ROW) {
      it.rec_copy = cl_rec_new(t);
      if (!it.rec_copy) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      else if ((rc = kt_rec_load(it.rec_copy, rs, err))) {
        cl_rec_free(it.rec_copy);
        it.rec_copy = NULL;
      }
    }
    sqlite3_reset(rs);
    if (rc || !it.rec_copy) continue;
    /* only values this device wrote: a field a newer pulled value replaced lost
       the merge already and is not sent again */
    for (int i = 0; i < KT_MAX_FIELDS; i++)
      if (kt_fset_has(&it.fields, i) && it.rec_copy->vers.f[i].dev != s->selfdev)
        it.fields.w[i >> 6] &= ~(1ull << (i & 63));
    if (cb(ud, &it)) break;
  }
  if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
    rc = cl_db_error(&s->d, src, "reading the outbox", err);
  sqlite3_reset(st); /* the statement table keeps it */
  return rc;
}

int cl_store_outbox_ack(cl_store *s, const int64_t *seqs, size_t n, kt_err *err) {
  int rc = cl__tx_begin(s, err);
  if (rc) return rc;
  for (size_t i = 0; !rc && i < n; i++) {
    sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_DEL, err);
    if (!st) {
      rc = cl_db_st_rc(&s->d);
      break;
    }
    sqlite3_bind_int64(st, 1, seqs[i]);
    rc = cl_db_step_done(&s->d, st, err);
  }
  return cl__tx_end(s, rc, err);
}

int cl_store_outbox_floor(cl_store *s, int64_t seq, kt_err *err) {
  int rc = cl__tx_begin(s, err);
  if (rc) return rc;
  /* AUTOINCREMENT numbers continue above the highest seq in sqlite_sequence */
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_CTR, err);
  if (!st) rc = cl_db_st_rc(&s->d);
  int step = rc ? SQLITE_ERROR : sqlite3_step(st);
  bool has = step == SQLITE_ROW;
  int64_t cur = has ? sqlite3_column_int64(st, 0) : 0;
  if (st) sqlite3_reset(st);
  if (!rc && step != SQLITE_ROW && step != SQLITE_DONE)
    rc = cl_db_error(&s->d, step, "reading the change counter", err);
  if (!rc && seq > cur) {
    if (!(st = cl_db_st(&s->d, has ? CL_ST_OUTBOX_CTR_SET : CL_ST_OUTBOX_CTR_ADD, err))) {
      rc = cl_db_st_rc(&s->d);
    } else {
      sqlite3_bind_int64(st, 1, seq);
      rc = cl_db_step_done(&s->d, st, err);
    }
  }
  return cl__tx_end(s, rc, err);
}

int cl_store_outbox_refused(cl_store *s, const cl_refusal *r, size_t n, kt_err *err) {
  int rc = cl__tx_begin(s, err);
  if (rc) return rc;
  sqlite3_stmt *get = cl_db_st(&s->d, CL_ST_OUTBOX_BY_SEQ, err);
  if (!get) rc = cl_db_st_rc(&s->d);
  for (size_t i = 0; !rc && i < n; i++) {
    sqlite3_bind_int64(get, 1, r[i].seq);
    if (sqlite3_step(get) != SQLITE_ROW) {
      sqlite3_reset(get);
      continue; /* edited since: it already has a new number */
    }
    int tcode = sqlite3_column_int(get, 0);
    int64_t rid = sqlite3_column_int64(get, 1);
    kt_buf f = KT_BUF_INIT, b = KT_BUF_INIT;
    kt_buf_append(&f, sqlite3_column_blob(get, 2), (size_t)sqlite3_column_bytes(get, 2));
    kt_buf_append(&b, sqlite3_column_blob(get, 3), (size_t)sqlite3_column_bytes(get, 3));
    sqlite3_reset(get);
    sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_DEL, err);
    if (!st) rc = cl_db_st_rc(&s->d);
    else {
      sqlite3_bind_int64(st, 1, r[i].seq);
      rc = cl_db_step_done(&s->d, st, err);
    }
    if (!rc && !(st = cl_db_st(&s->d, CL_ST_OUTBOX_ADD, err))) rc = cl_db_st_rc(&s->d);
    if (!rc) {
      sqlite3_bind_int(st, 1, tcode);
      sqlite3_bind_int64(st, 2, rid);
      sqlite3_bind_blob(st, 3, f.p ? f.p : "", (int)f.len, SQLITE_STATIC);
      sqlite3_bind_blob(st, 4, b.p ? b.p : "", (int)b.len, SQLITE_STATIC);
      sqlite3_bind_text(st, 5, r[i].reason && *r[i].reason ? r[i].reason : "refused", -1,
                        SQLITE_STATIC);
      sqlite3_bind_int(st, 6, r[i].code);
      rc = cl_db_step_done(&s->d, st, err);
    }
    kt_buf_free(&f);
    kt_buf_free(&b);
  }
  return cl__tx_end(s, rc, err);
}
