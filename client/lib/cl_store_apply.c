/* cl_store_apply — pulled data: applying changes from the server (on top of
 * unsent local edits or not), a server restored from a backup, revoking
 * records the user may no longer see, wiping and purging the replica. */
#include "cl_store_int.h"

#include <stdlib.h>
#include <string.h>

/* After this many pulled changes in a row of a type that were new records (a
 * fresh replica's pull), the next is inserted without looking its id up: a
 * statement less per record; when the id is there after all, the insert is
 * refused by the id's UNIQUE constraint and the change is applied again as
 * an update of what is stored (the run starts again). */
enum { CL_APPLY_GUESS = 64 };

/* The field called name, looked for from *hint on first (a change's fields
 * come in the type's field order), then everywhere. */
static kt_mfield *field_named(kt_mtype *t, const char *name, int *hint) {
  for (int k = *hint; k < t->nfields; k++)
    if (strcmp(t->fields[k].name, name) == 0) {
      *hint = k + 1;
      return &t->fields[k];
    }
  kt_mfield *f = kt_mtype_field(t, name);
  if (f) *hint = (int)(f - t->fields) + 1;
  return f;
}

/* Applies ch to the record as stored; *exists: it was stored. guess_new:
 * without looking it up, as a new one; *exists then tells that it may be
 * there and nothing was written (apply it again without guessing). */
static int apply_change(cl_store *s, kt_mtype *t, const Kartoteka__Change *ch, bool guess_new,
                        bool *exists, kt_err *err) {
  /* new records' index entries stay queued (cl__index_update flushes before it
     touches an existing record's entries) */
  int rc = 0;
  cl_rec *old = NULL, *r = NULL;
  *exists = false;
  if (!guess_new) {
    sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ID, err);
    if (!st) return cl_db_st_rc(&s->d);
    sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW && !(old = cl_rec_new(t))) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    else if (src == SQLITE_ROW) rc = kt_rec_load(old, st, err);
    sqlite3_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE) return cl_db_error(&s->d, src, "reading a card", err);
    if (rc) {
      cl_rec_free(old);
      return rc;
    }
  }
  if (old) rc = cl__clone_rec(old, &r, err);
  else if (!(r = cl_rec_new(t))) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  else if (kt_value_set_text(&r->v[KT_F_ID], ch->id, strlen(ch->id))) rc = KT_ENOMEM;
  bool any = false;
  size_t nunknown = 0;
  int hint = 0;
  for (size_t i = 0; !rc && i < ch->n_fields; i++) {
    const Kartoteka__FieldValue *fv = ch->fields[i];
    kt_mfield *f = field_named(t, fv->name, &hint);
    if (!f || !cl__field_known(s, t, fv->name)) {
      /* a newer server's field, or a definition not got yet: kept as received
         (below, once the row exists), never dropped and never a stop */
      nunknown++;
      continue;
    }
    if (f->vidx == KT_F_ID || f->vidx == KT_F_UPDATED) continue;
    if (fv->hidden) { /* not this user's to see (any more): forget value and version */
      kt_fver *hv = &r->vers.f[f->vidx];
      int hpos = t->pos[f->vidx];
      if (hv->stamp || r->v[hpos].kind != KT_V_NULL) {
        kt_value_clear(&r->v[hpos]);
        *hv = (kt_fver){0, 0};
        any = true;
      }
      continue;
    }
    kt_value v = {KT_V_NULL, 0, NULL};
    kt_err verr;
    if (kt_change_value(f, fv, &v, &verr)) {
      if (verr.code == KT_ENOMEM) { /* not the value's fault: nothing of the change is taken */
        rc = kt_err_set(err, KT_ENOMEM, "%s", verr.msg);
        break;
      }
      kt_log_warn("sync", "skipping a bad value of %s.%s: %s", ch->type, fv->name, verr.msg);
      continue;
    }
    kt_fver *cur = &r->vers.f[f->vidx];
    const char *cur_dev = cur->stamp ? cl_store_devname(s, cur->dev) : "";
    kt_hlc_recv(&s->hlc, fv->stamp, 0, NULL);
    if (kt_merge_cmp(fv->stamp, fv->device, cur->stamp, cur_dev) > 0) {
      uint32_t idx;
      if ((rc = cl__dev_index(s, fv->device, &idx, err))) {
        kt_value_clear(&v);
        break;
      }
      int pos = t->pos[f->vidx];
      kt_value_clear(&r->v[pos]);
      r->v[pos] = v;
      cur->stamp = fv->stamp;
      cur->dev = idx;
      any = true;
    } else {
      kt_value_clear(&v);
    }
  }
  if (!rc && guess_new && !any && !nunknown) { /* nothing to insert: whether it is there decides */
    cl_rec_free(r);
    *exists = true;
    return 0;
  }
  if (!rc && (any || (nunknown && !old))) {
    kt_value_set_int(&r->v[KT_F_UPDATED], (int64_t)KT_STAMP_MS(kt_vers_max(&r->vers)));
    if (guess_new) {
      rc = cl__row_insert_new(s, r, exists, err);
      if (!rc && *exists) {
        cl_rec_free(r);
        return 0;
      }
    } else {
      rc = cl__row_write(s, r, old == NULL, err);
    }
    if (!rc) rc = cl__index_update(s, old, r, err);
    if (!rc) rc = cl__tags_pulled(s, r, old == NULL, err);
    if (!rc && (strcmp(t->def->name, "field_def") == 0 || strcmp(t->def->name, "section") == 0))
      rc = cl__apply_config(s, r, err);
  }
  for (size_t i = 0; !rc && nunknown && i < ch->n_fields; i++) {
    const Kartoteka__FieldValue *fv = ch->fields[i];
    if (!kt_mtype_field(t, fv->name) || !cl__field_known(s, t, fv->name))
      rc = cl__kept_note(s, t, r->rowid, fv, err);
  }
  if (!rc && !guess_new && old) *exists = true;
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

int cl_store_apply(cl_store *s, const Kartoteka__Change *ch, kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, ch->type);
  if (!t) {
    kt_log_warn("sync", "skipping a change of unknown type %s (update Kartoteka)", ch->type);
    return 0;
  }
  int code = t->def->code;
  uint32_t *run = code >= 0 && code < 32 ? &s->apply_new_run[code] : NULL;
  bool guess = run && *run >= CL_APPLY_GUESS, exists = false;
  int rc = apply_change(s, t, ch, guess, &exists, err);
  if (!rc && guess && exists) rc = apply_change(s, t, ch, false, &exists, err);
  if (run) *run = rc || exists ? 0 : *run + 1;
  return rc;
}

int cl_store_apply_unsent(cl_store *s, const Kartoteka__Change *ch, int *queued, kt_err *err) {
  *queued = 0;
  kt_mtype *t = kt_model_type(s->model, ch->type);
  if (!t) return kt_err_set(err, KT_EINVAL, "unknown type %s", ch->type);
  /* only this device's values of fields this replica knows (a custom field
     whose definition is lost everywhere cannot be kept) */
  Kartoteka__Change own = *ch;
  own.fields = kt_calloc(ch->n_fields ? ch->n_fields : 1, sizeof *own.fields);
  if (!own.fields) return kt_err_set(err, KT_ENOMEM, "out of memory");
  own.n_fields = 0;
  for (size_t i = 0; i < ch->n_fields; i++)
    if (kt_mtype_field(t, ch->fields[i]->name) && strcmp(ch->fields[i]->device, s->device) == 0)
      own.fields[own.n_fields++] = ch->fields[i];
  cl_rec *before = NULL, *r = NULL;
  int rc = own.n_fields ? cl__tx_begin(s, err) : 0;
  if (!own.n_fields) goto out;
  if ((rc = cl__locate(s, own.id, &before, err)) == KT_ENOTFOUND) rc = 0;
  if (!rc && !(rc = cl_store_apply(s, &own, err)) &&
      (rc = cl__locate(s, own.id, &r, err)) == KT_ENOTFOUND)
    rc = 0; /* nothing of it won */
  kt_fset set = {{0, 0}};
  kt_vers base;
  memset(&base, 0, sizeof base);
  for (size_t i = 0; !rc && r && i < own.n_fields; i++) {
    const kt_mfield *f = kt_mtype_field(r->type, own.fields[i]->name);
    const kt_fver *v = &r->vers.f[f->vidx];
    if (v->stamp != own.fields[i]->stamp || v->dev != s->selfdev) continue; /* a newer value won */
    const kt_fver *b = before ? &before->vers.f[f->vidx] : NULL;
    if (b && b->stamp == v->stamp && b->dev == v->dev) continue; /* the server has it already */
    kt_fset_add(&set, f->vidx);
    base.f[f->vidx].stamp = own.fields[i]->base_stamp;
    (*queued)++;
  }
  if (!rc && r && !kt_fset_empty(&set)) rc = cl__outbox_note(s, r, &set, &base, err);
  rc = cl__tx_end(s, rc, err);
out:
  cl_rec_free(before);
  cl_rec_free(r);
  free(own.fields);
  if (rc) *queued = 0;
  return rc;
}

int cl_store_server_restored(cl_store *s, kt_err *err) {
  int rc = cl__tx_begin(s, err);
  if (rc) return rc;
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  for (int i = 0; !rc && i < n; i++) {
    kt_buf sql = KT_BUF_INIT;
    cl_db_select_prefix(&types[i], &sql);
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
    kt_buf_free(&sql);
    if (rc != SQLITE_OK) {
      rc = cl_db_error(&s->d, rc, "re-sending after a server restore", err);
      break;
    }
    rc = 0;
    cl_rec *r = cl_rec_new(&types[i]);
    if (!r) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
      if ((rc = kt_rec_load(r, st, err))) break;
      entry_state es;
      if ((rc = cl__outbox_state(s, r, &es, err))) break;
      if (es.hold == 1) continue; /* parked: never sent, so the server cannot have lost it */
      kt_fset own = {{0, 0}};
      for (int k = 0; k < KT_MAX_FIELDS; k++)
        if (r->vers.f[k].stamp && r->vers.f[k].dev == s->selfdev) kt_fset_add(&own, k);
      if (!kt_fset_empty(&own)) rc = cl__outbox_note(s, r, &own, &r->vers, err);
    }
    cl_rec_free(r);
    sqlite3_finalize(st);
  }
  if (!rc) rc = cl_db_meta_set_text(&s->d, "pull_seq", "0", err);
  return cl__tx_end(s, rc, err);
}

/* ---- revocation: records that are no longer the user's to see -------------------------- */

/* Removes the row rowid of type t and its search entries; keep_unsent: leave
 * it when it has unsent changes (the server decides on them at the next push). */
static int remove_row(cl_store *s, kt_mtype *t, int64_t rowid, bool keep_unsent, bool *removed,
                      kt_err *err) {
  *removed = false;
  sqlite3_stmt *st;
  if (keep_unsent) {
    if (!(st = cl_db_st(&s->d, CL_ST_OUTBOX_HAS, err))) return cl_db_st_rc(&s->d);
    sqlite3_bind_int(st, 1, t->def->code);
    sqlite3_bind_int64(st, 2, rowid);
    bool unsent = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (unsent) return 0;
  }
  if (!(st = cl_db_tst(&s->d, t, CL_TST_BY_ROWID, err))) return cl_db_st_rc(&s->d);
  sqlite3_bind_int64(st, 1, rowid);
  cl_rec *old = NULL;
  int src = sqlite3_step(st), rc = 0;
  if (src == SQLITE_ROW && !(old = cl_rec_new(t))) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  else if (src == SQLITE_ROW) rc = kt_rec_load(old, st, err);
  sqlite3_reset(st);
  if (src != SQLITE_ROW) return src == SQLITE_DONE ? 0 : cl_db_error(&s->d, src, "reading a card", err);
  if (!rc) rc = cl__index_update(s, old, NULL, err);
  cl_rec_free(old);
  if (rc) return rc;
  if (!(st = cl_db_tst(&s->d, t, CL_TST_DELETE, err))) return cl_db_st_rc(&s->d);
  sqlite3_bind_int64(st, 1, rowid);
  if ((rc = cl_db_step_done(&s->d, st, err))) return rc;
  if (!(st = cl_db_st(&s->d, CL_ST_OUTBOX_FORGET, err))) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, t->def->code);
  sqlite3_bind_int64(st, 2, rowid);
  if ((rc = cl_db_step_done(&s->d, st, err))) return rc;
  if ((rc = cl__kept_forget(s, t, rowid, err))) return rc;
  *removed = true;
  s->purge_needed = true;
  return 0;
}

int cl_store_revoke(cl_store *s, const char *type, const char *id, kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, type ? type : "");
  if (!t || !id) return 0;
  int rc = cl__tx_begin(s, err);
  if (rc) return rc;
  sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ID, err);
  if (!st) return cl__tx_end(s, cl_db_st_rc(&s->d), err);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int64_t rowid = 0;
  if (sqlite3_step(st) == SQLITE_ROW) rowid = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  bool removed = false;
  if (rowid) rc = remove_row(s, t, rowid, false, &removed, err);
  return cl__tx_end(s, rc, err);
}

int cl_store_wipe(cl_store *s, bool keep_unsent, kt_err *err) {
  int rc = cl__tx_begin(s, err);
  if (rc) return rc;
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  for (int i = 0; !rc && i < n; i++) {
    /* field definitions stay: custom fields are numbered in the order their
       definitions arrived (version slots of every record), and a definition
       removed and pulled again would come back with another number while the
       model in memory still used the old one. The pull updates them in place. */
    if (strcmp(types[i].def->name, "field_def") == 0) continue;
    sqlite3_stmt *st = cl_db_tst(&s->d, &types[i], CL_TST_ALL_ROWIDS, err);
    if (!st) {
      rc = cl_db_st_rc(&s->d);
      break;
    }
    int64_t *rows = NULL;
    size_t nr = 0, cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (nr == cap) {
        cap = cap ? cap * 2 : 256;
        int64_t *p = kt_realloc(rows, cap * sizeof *p);
        if (!p) {
          rc = kt_err_set(err, KT_ENOMEM, "out of memory");
          break;
        }
        rows = p;
      }
      rows[nr++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    for (size_t k = 0; !rc && k < nr; k++) {
      bool removed;
      rc = remove_row(s, &types[i], rows[k], keep_unsent, &removed, err);
    }
    free(rows);
  }
  if (!rc) rc = cl_db_meta_set_int(&s->d, "pull_seq", 0, err);
  return cl__tx_end(s, rc, err); /* remove_row asked for a purge if it removed anything */
}

int cl_store_purge(cl_store *s, bool force, kt_err *err) {
  if (!s->purge_needed && !force) return 0;
  if (s->in_batch) return kt_err_set(err, KT_EINVAL, "purge inside a batch");
  /* merging every search-index segment drops the entries of deleted rows for
     good (secure_delete zeroes the freed pages); the checkpoint copies the
     pages into the database and empties the WAL, which still held old copies */
  static const cl_st optimize[] = {CL_ST_FTS_OPTIMIZE, CL_ST_PHONE_OPTIMIZE};
  for (size_t i = 0; i < sizeof optimize / sizeof optimize[0]; i++) {
    sqlite3_stmt *st = cl_db_st(&s->d, optimize[i], err);
    if (!st) return cl_db_st_rc(&s->d);
    int src = cl_db_step_done(&s->d, st, err);
    if (src) return src;
  }
  int rc = sqlite3_wal_checkpoint_v2(s->d.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY)
    return cl_db_error(&s->d, rc, "writing the card index through", err);
  if (rc == SQLITE_BUSY)
    kt_log_warn("store", "another program reads the card index: old pages stay in the WAL "
                "until it closes");
  s->purge_needed = false;
  return 0;
}

int cl_store_reset(cl_store *s, const Kartoteka__Change *ch, kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, ch->type);
  if (!t) return 0;
  int rc = cl__tx_begin(s, err);
  if (rc) return rc;
  sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ID, err);
  if (!st) return cl__tx_end(s, cl_db_st_rc(&s->d), err);
  sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
  int64_t rowid = 0;
  if (sqlite3_step(st) == SQLITE_ROW) rowid = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  bool removed = false;
  if (rowid) rc = remove_row(s, t, rowid, false, &removed, err);
  if (!rc) rc = cl_store_apply(s, ch, err);
  return cl__tx_end(s, rc, err);
}
