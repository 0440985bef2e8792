/* cl_outbox — see cl_outbox.h. */
#include "cl_outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cl_db.h"
#include "cl_session.h"
#include "kt_alloc.h"
#include "kt_frame.h"
#include "kt_log.h"

int cl_outbox_list(cl_store *s, bool parked, cl_outbox_entry_cb cb, void *ud, kt_err *err) {
  cl_db *d = cl_store_db(s);
  kt_model *m = cl_store_model(s);
  sqlite3_stmt *st = cl_db_st(d, CL_ST_OUTBOX_LIST, err);
  if (!st) return cl_db_st_rc(d);
  sqlite3_bind_int(st, 1, parked);
  /* read the rows first: the callback may read the store (and the statement is shared) */
  typedef struct row {
    int64_t seq, rid;
    int tcode, code, hold;
    kt_fset fields;
    kt_vers base;
    char *refused;
  } row;
  row *rows = NULL;
  size_t n = 0, cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      row *p = kt_realloc(rows, cap * sizeof *p);
      if (!p) {
        rc = SQLITE_NOMEM;
        break;
      }
      rows = p;
    }
    row *r = &rows[n++];
    memset(r, 0, sizeof *r);
    r->seq = sqlite3_column_int64(st, 0);
    r->tcode = sqlite3_column_int(st, 1);
    r->rid = sqlite3_column_int64(st, 2);
    kt_fset_decode(sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3), &r->fields);
    kt_vers_decode(sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), &r->base);
    const char *why = (const char *)sqlite3_column_text(st, 5);
    if (why && !(r->refused = kt_strdup(why))) {
      rc = SQLITE_NOMEM;
      break;
    }
    r->code = sqlite3_column_int(st, 6);
    r->hold = sqlite3_column_int(st, 7);
  }
  sqlite3_reset(st);
  rc = rc == SQLITE_DONE ? 0
       : rc == SQLITE_NOMEM ? kt_err_set(err, KT_ENOMEM, "out of memory")
                            : cl_db_error(d, rc, "reading the outbox", err);
  kt_buf title = KT_BUF_INIT;
  for (size_t i = 0; !rc && i < n; i++) {
    kt_mtype *t = kt_model_type_by_code(m, rows[i].tcode);
    if (!t) continue;
    sqlite3_stmt *rs = cl_db_tst(d, t, CL_TST_BY_ROWID, err);
    if (!rs) {
      rc = cl_db_st_rc(d);
      break;
    }
    sqlite3_bind_int64(rs, 1, rows[i].rid);
    cl_rec *r = NULL;
    int step = sqlite3_step(rs);
    if (step == SQLITE_ROW && !(r = cl_rec_new(t))) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    else if (step == SQLITE_ROW && (rc = kt_rec_load(r, rs, err))) {
      cl_rec_free(r);
      r = NULL;
    }
    sqlite3_reset(rs);
    if (!r) continue; /* an entry of a record that is gone is never sent either */
    kt_buf_reset(&title);
    cl_rec_title(r, &title);
    cl_outbox_entry e = {
        .seq = rows[i].seq,
        .rec = r,
        .type = t->def->name,
        .id = cl_rec_id(r),
        .title = kt_buf_str(&title),
        .fields = &rows[i].fields,
        .isnew = cl_outbox_is_new(&rows[i].fields, &rows[i].base),
        .deletes = kt_fset_has(&rows[i].fields, KT_F_DELETED) && cl_rec_deleted(r),
        .refused = rows[i].refused,
        .refused_code = rows[i].refused ? rows[i].code : 0,
        .hold = rows[i].hold,
    };
    int stop = cb(ud, &e);
    cl_rec_free(r);
    if (stop) break;
  }
  kt_buf_free(&title);
  for (size_t i = 0; i < n; i++) free(rows[i].refused);
  free(rows);
  return rc;
}

int cl_cards_add(cl_cards *l, const char *type, const char *id) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    char(*ids)[40] = kt_realloc(l->ids, cap * sizeof *ids);
    if (ids) l->ids = ids;
    char(*types)[32] = kt_realloc(l->types, cap * sizeof *types);
    if (types) l->types = types;
    if (!ids || !types) return KT_ENOMEM;
    l->cap = cap;
  }
  snprintf(l->ids[l->n], sizeof l->ids[0], "%s", id);
  snprintf(l->types[l->n], sizeof l->types[0], "%s", type);
  l->n++;
  return 0;
}

void cl_cards_free(cl_cards *l) {
  if (!l) return;
  free(l->ids);
  free(l->types);
  memset(l, 0, sizeof *l);
}

/* One card of cl_outbox_reset; held_only: see cl_outbox_reset_held. */
static int reset_one(cl_conn *c, cl_store *s, const char *type, const char *id, bool held_only,
                     bool *removed, bool *left, kt_err *err) {
  Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT, *rep = NULL;
  Kartoteka__Get get = KARTOTEKA__GET__INIT;
  get.type = (char *)type;
  get.id = (char *)id;
  req.body_case = KARTOTEKA__ENVELOPE__BODY_GET;
  req.get = &get;
  kt_err gerr;
  kt_err_clear(&gerr);
  int rc = cl_conn_request(c, &req, &rep, &gerr);
  bool gone = rc == KT_ENOTFOUND;
  if (rc && !gone) return kt_err_set(err, rc, "%s", gerr.msg);
  rc = 0;
  /* the answer took a round trip: another program (`kartoteka restore`, an edit)
     may have taken the card out of the trash meanwhile. The check and the reset
     are one transaction, so a restore is either seen here or comes after. */
  bool batch = held_only && !(rc = cl_store_begin(s, err));
  int hold = 1;
  if (batch) rc = cl_store_outbox_hold(s, id, &hold, err);
  if (!rc && !hold) {
    *left = true;
  } else if (!rc && batch && !gone && hold == 1) {
    /* parked as never accepted, yet the server has it (the push's ack was lost):
       the entry goes as it is, the deletion and any edit made in the trash with it */
    rc = cl_store_outbox_unpark(s, id, err);
    if (!rc) *left = true;
  } else if (!rc && gone) {
    rc = cl_store_revoke(s, type, id, err);
    if (!rc) *removed = true;
  } else if (!rc && rep->body_case == KARTOTEKA__ENVELOPE__BODY_CHANGES &&
             rep->changes->n_changes == 1) {
    rc = cl_store_reset(s, rep->changes->changes[0], err);
  }
  if (batch && rc) cl_store_rollback(s);
  else if (batch) rc = cl_store_commit(s, err);
  kt_frame_env_free(rep);
  if (rc) return rc;
  kt_log_info("sync", "%s %s %s", type, id,
              *left ? "is sent as it is (taken out of the trash meanwhile, or the server has it)"
              : gone ? "was removed from this PC (the server has no copy of it for you)"
                     : "was set back to the server's copy");
  return 0;
}

int cl_outbox_reset(cl_conn *c, cl_store *s, const cl_cards *l, size_t *removed, kt_err *err) {
  for (size_t i = 0; i < l->n; i++) {
    bool gone = false, left = false;
    int rc = reset_one(c, s, l->types[i], l->ids[i], false, &gone, &left, err);
    if (rc) return rc;
    if (gone && removed) (*removed)++;
  }
  return 0;
}

int cl_outbox_reset_held(cl_conn *c, cl_store *s, const char *type, const char *id, bool *left,
                         kt_err *err) {
  bool gone = false;
  *left = false;
  return reset_one(c, s, type, id, true, &gone, left, err);
}

typedef struct pick {
  const char *id; /* NULL: every refused one */
  cl_cards *cards;
  int rc;
} pick;

static int on_pick(void *ud, const cl_outbox_entry *e) {
  pick *p = ud;
  if (p->id ? strcasecmp(p->id, e->id) != 0 : !e->refused) return 0;
  p->rc = cl_cards_add(p->cards, e->type, e->id);
  return p->rc || p->id; /* one card: found */
}

int cl_outbox_drop(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *id,
                   cl_drop_result *out, kt_err *err) {
  memset(out, 0, sizeof *out);
  cl_cards cards = {0};
  pick p = {id, &cards, 0};
  int rc = cl_outbox_list(s, true, on_pick, &p, err);
  if (!rc && p.rc) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!rc && !cards.n)
    rc = id ? kt_err_set(err, KT_ENOTFOUND, "no unsent change of %s on this PC; see `kartoteka "
                         "outbox list`", id)
            : kt_err_set(err, KT_ENOTFOUND, "the server refused none of this PC's changes; see "
                         "`kartoteka outbox list`");
  cl_conn *c = NULL;
  kt_err cerr;
  kt_err_clear(&cerr);
  if (!rc && (rc = cl_session_open(loop, profile_dir, s, NULL, NULL, NULL, 0, &c, &cerr)))
    kt_err_set(err, rc, "cannot reach the server to fetch its copy of the card%s (%s); nothing "
               "was dropped: try again when the server answers", cards.n == 1 ? "" : "s",
               cerr.msg);
  size_t removed = 0;
  if (!rc) rc = cl_outbox_reset(c, s, &cards, &removed, err);
  cl_conn_free(c);
  if (!rc) rc = cl_store_purge(s, false, err); /* a removed card's text leaves the files */
  if (!rc) {
    out->removed = removed;
    out->reset = cards.n - removed;
  }
  cl_cards_free(&cards);
  return rc;
}
