/* srv_pull — serving the feed (the pull half of srv_sync.h; pushes are judged in
 * srv_push.c, records and the feed are written in srv_sync.c): pull pages in
 * sequence order with what the subject may read, phones and e-mails of
 * colleagues' cards as hidden markers for roles that may not see them, revokes
 * of what left the subject's scope, single records (Get), the per-subscriber
 * view of a Notify's changes, and the canonical dump. Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_change.h"
#include "kt_uuid.h"
#include "srv_sync_int.h"

/* ---- pull ---------------------------------------------------------------------------- */

int srv_sync_latest(srv_sync *s, uint64_t *seq, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_SEQ_GET, err);
  if (!st) return KT_EDB;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *seq = (uint64_t)sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : srv_db_error(s->d, rc, "reading the sequence", err);
}

/* Adds record r (feed sequence seq) to the page; hide: leave out the phones and
 * e-mails (a colleague's card, a user without see_contacts). */
static int page_add(srv_sync *s, srv_page *page, kt_rec *r, uint64_t seq, bool hide, size_t *bytes,
                    kt_err *err) {
  size_t k = page->msg.n_changes;
  page->recs[k] = r;
  kartoteka__change__init(&page->vals[k]);
  kt_fset only;
  int rc;
  if (hide) { /* the phones and e-mails go as markers: a PC that held them forgets them */
    memset(&only, 0, sizeof only);
    for (int i = 0; i < r->type->nfields; i++)
      if (!(r->type->fields[i].flags & KT_FF_CONTACT)) kt_fset_add(&only, r->type->fields[i].vidx);
    rc = kt_change_from_rec_hiding(r, &only, srv__dev_name, s, &page->vals[k], err);
  } else {
    rc = kt_change_from_rec(r, NULL, NULL, srv__dev_name, s, &page->vals[k], err);
  }
  page->vals[k].server_seq = seq;
  for (size_t f = 0; f < page->vals[k].n_fields; f++) {
    const Kartoteka__FieldValue *fv = page->vals[k].fields[f];
    *bytes += 64 + strlen(fv->name) +
              (fv->value_case == KARTOTEKA__FIELD_VALUE__VALUE_TEXT ? strlen(fv->text) : 0);
  }
  page->msg.changes[k] = &page->vals[k];
  page->msg.n_changes = k + 1;
  return rc;
}

static bool subj_hides(const srv_subject *subj, const char *owner) {
  return subj && !subj->who.rights.see_contacts && strcmp(owner, subj->user) != 0;
}

static bool subj_reads(const srv_subject *subj, int tcode, const kt_scope *sc) {
  return !subj || kt_rights_allows_scope(&subj->who, tcode, KT_ACT_READ, sc);
}

/* Revokes of the records in (since, upto] whose scope changed away from subj. */
static int page_revokes(srv_sync *s, const srv_subject *subj, uint64_t since, uint64_t upto,
                        srv_page *page, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_REVOKE_RANGE, err);
  if (!st) return KT_EDB;
  sqlite3_bind_int64(st, 1, (int64_t)since);
  sqlite3_bind_int64(st, 2, (int64_t)upto);
  typedef struct rv {
    int tcode;
    int64_t rid;
    char uuid[40];
    kt_scope old;
  } rv;
  rv *list = NULL;
  size_t n = 0, cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    rv x;
    memset(&x, 0, sizeof x);
    x.tcode = sqlite3_column_int(st, 0);
    x.rid = sqlite3_column_int64(st, 1);
    srv__col_text(st, 2, x.uuid, sizeof x.uuid);
    srv__col_text(st, 3, x.old.owner, sizeof x.old.owner);
    srv__col_text(st, 4, x.old.grp, sizeof x.old.grp);
    srv__col_text(st, 5, x.old.asg, sizeof x.old.asg);
    if (!subj_reads(subj, x.tcode, &x.old)) continue; /* never theirs: nothing to say */
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      rv *p = realloc(list, cap * sizeof *p);
      if (!p) {
        sqlite3_reset(st);
        free(list);
        return kt_err_set(err, KT_ENOMEM, "out of memory");
      }
      list = p;
    }
    list[n++] = x;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    free(list);
    return srv_db_error(s->d, rc, "reading revocations", err);
  }
  rc = 0;
  if (n) {
    page->revs = calloc(n, sizeof *page->revs);
    page->msg.revokes = calloc(n, sizeof *page->msg.revokes);
    if (!page->revs || !page->msg.revokes) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  for (size_t i = 0; !rc && i < n; i++) {
    srv_logrow now;
    if ((rc = srv__log_get(s, list[i].tcode, list[i].rid, &now, err))) break;
    if (now.found && subj_reads(subj, list[i].tcode, &now.sc)) continue; /* still visible */
    bool dup = false; /* moved twice in the range: one revoke is enough */
    for (size_t k = 0; k < page->msg.n_revokes; k++)
      if (strcmp(page->msg.revokes[k]->id, list[i].uuid) == 0) dup = true;
    const kt_typedef *td = kt_registry_type_by_code(list[i].tcode);
    if (dup || !td) continue;
    Kartoteka__Revoke *r = &page->revs[page->msg.n_revokes];
    kartoteka__revoke__init(r);
    r->type = (char *)td->name;
    r->id = strdup(list[i].uuid);
    if (!r->id) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      break;
    }
    page->msg.revokes[page->msg.n_revokes++] = r;
  }
  free(list);
  return rc;
}

static int page_alloc(srv_page *page, size_t max, kt_err *err) {
  memset(page, 0, sizeof *page);
  kartoteka__changes__init(&page->msg);
  page->msg.changes = calloc(max ? max : 1, sizeof *page->msg.changes);
  page->vals = calloc(max ? max : 1, sizeof *page->vals);
  page->recs = calloc(max ? max : 1, sizeof *page->recs);
  if (page->msg.changes && page->vals && page->recs) return 0;
  srv_page_free(page);
  return kt_err_set(err, KT_ENOMEM, "out of memory");
}

/* Appends a feed row (seq, tcode, rid, hide) to a growing array. */
static int rows_add(int64_t **rows, size_t *n, size_t *cap, int64_t seq, int64_t tcode,
                    int64_t rid, int64_t hide) {
  if (*n == *cap) {
    size_t ncap = *cap ? *cap * 4 : 16;
    int64_t *p = realloc(*rows, ncap * 4 * sizeof *p);
    if (!p) return KT_ENOMEM;
    *rows = p;
    *cap = ncap;
  }
  int64_t *r = *rows + 4 * *n;
  r[0] = seq;
  r[1] = tcode;
  r[2] = rid;
  r[3] = hide;
  (*n)++;
  return 0;
}

void srv_sync_set_page_bytes(srv_sync *s, size_t bytes) {
  s->page_bytes = bytes && bytes < SRV_PULL_BYTES ? bytes : SRV_PULL_BYTES;
}

static int pull_page(srv_sync *s, const srv_subject *subj, uint64_t since, uint64_t scope,
                     uint32_t max, srv_page *page, kt_err *err) {
  if (!max || max > SRV_PULL_MAX) max = SRV_PULL_MAX;
  /* a replica built under other rights (or never): start again from an empty one */
  bool wipe = subj && scope != subj->scope_gen;
  if (wipe) since = 0;
  uint64_t latest = 0;
  int rc = srv_sync_latest(s, &latest, err);
  if (rc) return rc;
  /* Read the feed first (the records are read below with other statements).
     Field definitions changed after `since` come first, whatever their place in
     the feed: editing a definition (a label, a choice list) moves it behind the
     cards that already use the field, and a client that has not seen it yet could
     not apply those cards (it would stop at them on every try). They are few, and
     everybody reads them; the page's own rows skip them. Arrays are sized by what
     was found (a reconnect with nothing new is common, and 5,000-entry arrays cost
     more than the query). */
  const int64_t fd_code = kt_model_type(s->model, "field_def")->def->code;
  bool defs_first = !subj || ((subj->mask_all >> fd_code) & 1);
  sqlite3_stmt *ds = defs_first ? srv_db_st(s->d, SRV_ST_LOG_DEFS, err) : NULL;
  bool narrow = subj && subj->narrow;
  sqlite3_stmt *st = srv_db_st(s->d, narrow ? SRV_ST_LOG_PAGE_OWN : SRV_ST_LOG_PAGE, err);
  if ((defs_first && !ds) || !st) return KT_EDB;
  int64_t *rows = NULL;
  size_t n = 0, cap = 0, ndefs = 0;
  bool oom = false;
  if (ds) {
    sqlite3_bind_int64(ds, 1, fd_code);
    sqlite3_bind_int64(ds, 2, (int64_t)since);
    while (!oom && sqlite3_step(ds) == SQLITE_ROW)
      oom = rows_add(&rows, &n, &cap, sqlite3_column_int64(ds, 0), sqlite3_column_int64(ds, 1),
                     sqlite3_column_int64(ds, 2), 0) != 0;
    sqlite3_reset(ds);
    ndefs = n;
  }
  sqlite3_bind_int64(st, 1, (int64_t)since);
  sqlite3_bind_int64(st, 2, (int64_t)max);
  sqlite3_bind_int64(st, 4, subj ? (int64_t)subj->mask_own : 0);
  sqlite3_bind_text(st, 6, subj ? subj->user : "", -1, SQLITE_STATIC);
  if (narrow) {
    sqlite3_bind_text(st, 8, subj->all_json, -1, SQLITE_STATIC);
  } else {
    sqlite3_bind_int64(st, 3, subj ? (int64_t)subj->mask_all : -1);
    sqlite3_bind_int64(st, 5, subj ? (int64_t)subj->mask_group : 0);
    sqlite3_bind_text(st, 7, subj ? subj->groups_json : "[]", -1, SQLITE_STATIC);
  }
  while (!oom && n < ndefs + max && sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char *owner = sqlite3_column_text(st, 3);
    oom = rows_add(&rows, &n, &cap, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                   sqlite3_column_int64(st, 2),
                   subj_hides(subj, owner ? (const char *)owner : "")) != 0;
  }
  sqlite3_reset(st);
  if (oom || (rc = page_alloc(page, n, err))) {
    free(rows);
    return oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : rc;
  }
  page->msg.wipe = wipe;
  page->msg.scope = subj ? subj->scope_gen : 0;
  size_t bytes = 0;
  uint64_t next = since;
  bool cut = false;
  for (size_t i = 0; !rc && i < n; i++) {
    const int64_t *row = rows + 4 * i;
    if (i >= ndefs) {
      if (bytes >= s->page_bytes && i > ndefs) { /* far below the frame limit: the rest next page */
        cut = true;
        break;
      }
      next = (uint64_t)row[0];
      if (ds && row[1] == fd_code) continue; /* sent first */
    }
    kt_mtype *t = kt_model_type_by_code(s->model, (int)row[1]);
    if (!t) continue;
    sqlite3_stmt *rs = srv_db_tst(s->d, t, SRV_TST_BY_ROWID, err);
    if (!rs) {
      rc = KT_EDB;
      break;
    }
    sqlite3_bind_int64(rs, 1, row[2]);
    if (sqlite3_step(rs) == SQLITE_ROW) {
      kt_rec *r = kt_rec_new(t);
      if (!r) {
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      } else {
        rc = kt_rec_load(r, rs, err);
        if (!rc) rc = page_add(s, page, r, (uint64_t)row[0], row[3] != 0, &bytes, err);
        else kt_rec_free(r);
      }
    }
    sqlite3_reset(rs);
  }
  free(rows);
  page->msg.more = n - ndefs == max || cut;
  if (!page->msg.more) next = latest; /* nothing visible beyond: skip the rest of the feed */
  page->msg.next_seq = next;
  if (!rc && subj && !page->msg.wipe && next > since)
    rc = page_revokes(s, subj, since, next, page, err);
  if (rc) srv_page_free(page);
  return rc;
}

/* One read transaction around the page: each record's read had been a
 * transaction of its own (its WAL snapshot and file locks: a fifth of the
 * server's CPU while a fresh replica pulled). Inside an open transaction (none
 * is expected: a group commit is committed before any read for a client), the
 * page is read in it. */
int srv_sync_pull(srv_sync *s, const srv_subject *subj, uint64_t since, uint64_t scope,
                  uint32_t max, srv_page *page, kt_err *err) {
  bool own = sqlite3_get_autocommit(s->d->db) != 0;
  int rc = own ? srv_db_run(s->d, SRV_ST_BEGIN_READ, err) : 0;
  if (rc) return rc;
  rc = pull_page(s, subj, since, scope, max, page, err);
  if (!own) return rc;
  if (rc) {
    srv_db_rollback(s->d);
    return rc;
  }
  if ((rc = srv_db_commit(s->d, err))) srv_page_free(page);
  return rc;
}

int srv_sync_get(srv_sync *s, const srv_subject *subj, const char *type, const char *id,
                 srv_page *page, kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, type ? type : "");
  kt_rec *r = NULL;
  int rc = 0;
  if (t && kt_uuid_str_is_valid(id) && (rc = srv__load_by_id(s, t, id, &r, err))) return rc;
  srv_logrow lr;
  memset(&lr, 0, sizeof lr);
  if (r && (rc = srv__log_get(s, t->def->code, r->rowid, &lr, err))) {
    kt_rec_free(r);
    return rc;
  }
  if (!r || !lr.found || !subj_reads(subj, t->def->code, &lr.sc)) {
    kt_rec_free(r);
    /* the same answer for a record that does not exist and one the user may not see */
    return kt_err_set(err, KT_ENOTFOUND, "there is no %s with id %s", type ? type : "record",
                      id ? id : "");
  }
  if ((rc = page_alloc(page, 1, err))) {
    kt_rec_free(r);
    return rc;
  }
  size_t bytes = 0;
  rc = page_add(s, page, r, (uint64_t)lr.seq, subj_hides(subj, lr.sc.owner), &bytes, err);
  if (rc) srv_page_free(page);
  return rc;
}

int srv_sync_notify_page(srv_sync *s, uint64_t since, uint32_t max, srv_page *page, kt_err *err) {
  int rc = srv_sync_pull(s, NULL, since, 0, max, page, err);
  if (rc) return rc;
  size_t n = page->msg.n_changes;
  page->scopes = calloc(n ? n : 1, sizeof *page->scopes);
  if (!page->scopes) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < n; i++) {
    srv_logrow lr;
    const kt_rec *r = page->recs[i];
    if (!(rc = srv__log_get(s, r->type->def->code, r->rowid, &lr, err))) page->scopes[i] = lr.sc;
  }
  sqlite3_stmt *st = rc ? NULL : srv_db_st(s->d, SRV_ST_REVOKE_RANGE, err);
  if (!rc && !st) rc = KT_EDB;
  if (st) {
    sqlite3_bind_int64(st, 1, (int64_t)since);
    sqlite3_bind_int64(st, 2, (int64_t)page->msg.next_seq);
    page->revoked = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
  }
  if (rc) srv_page_free(page);
  return rc;
}

bool srv_sync_page_view(const srv_page *full, const srv_subject *subj, Kartoteka__Changes *view,
                        Kartoteka__Change **changes) {
  if (!full->scopes || full->revoked) return false;
  *view = full->msg;
  view->changes = changes;
  view->n_changes = 0;
  view->scope = subj ? subj->scope_gen : 0;
  for (size_t i = 0; i < full->msg.n_changes; i++) {
    const kt_rec *r = full->recs[i];
    if (!subj_reads(subj, r->type->def->code, &full->scopes[i])) continue;
    if (subj_hides(subj, full->scopes[i].owner))
      for (int f = 0; f < r->type->nfields; f++)
        if (r->type->fields[f].flags & KT_FF_CONTACT) return false;
    changes[view->n_changes++] = full->msg.changes[i];
  }
  return true;
}

void srv_page_free(srv_page *page) {
  for (size_t i = 0; i < page->msg.n_changes; i++) {
    kt_change_clear(&page->vals[i]);
    kt_rec_free(page->recs[i]);
  }
  for (size_t i = 0; i < page->msg.n_revokes; i++) free(page->revs[i].id);
  free(page->revs);
  free(page->scopes);
  free(page->msg.revokes);
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
    if (!r) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    while (!rc && sqlite3_step(st) == SQLITE_ROW)
      if (!(rc = kt_rec_load(r, st, err))) kt_rec_dump_line(r, srv__dev_name, s, out);
    kt_rec_free(r);
    sqlite3_finalize(st);
    if (rc) return rc;
  }
  return 0;
}

bool srv__subj_reads(const srv_subject *subj, int tcode, const kt_scope *sc) {
  return subj_reads(subj, tcode, sc);
}

bool srv__subj_hides(const srv_subject *subj, const char *owner) { return subj_hides(subj, owner); }
