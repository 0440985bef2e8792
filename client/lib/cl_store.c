/* cl_store — the local card index (see cl_store.h).
 *
 * Write path of every edit, in one transaction: record row (values + version
 * blob), search index (contentless FTS5: the old body is recomputed from the
 * old row to delete it), phone trigram index, outbox entry (one per record;
 * later unsent edits merge into it and take a fresh change number, keeping
 * the base versions of the first unsent edit).
 *
 * Inside a batch, the index entries of new records are queued and written in
 * rowid order when the batch commits (or before anything that reads or deletes
 * index entries): FTS5 flushes its in-memory segment whenever a rowid goes
 * down, and org/contact rowids interleave, so writing them as they come made
 * one tiny segment per few records and let merging dominate bulk imports. */
#include "cl_store.h"

#include "kt_rights.h"

#include <ctype.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_db.h"
#include "kt_change.h"
#include "kt_log.h"
#include "kt_text.h"

struct cl_store {
  cl_db d;
  kt_model *model;
  kt_hlc hlc;
  kt_stamp hlc_saved;
  kt_uuid_gen ugen;
  char user[128];
  char device[KT_UUID_STRLEN + 1];
  uint32_t selfdev;
  bool in_batch;
  bool relaxed; /* the open batch commits with synchronous=NORMAL */
  bool readonly;
  int64_t schema_seen; /* PRAGMA schema_version the model was read at */
  bool purge_needed;   /* rows were revoked: clean the index and the WAL (cl_store_purge) */
  bool has_rights;     /* the server told this profile's rights: mirror them on local edits */
  kt_who who;
  char role[32];
  bool model_stale;    /* a rollback may have undone custom fields the model has */
  int64_t commits;     /* this connection's commits (data_version counts only others') */
  /* device index <-> UUID cache for sync (the device table is append-only;
     emptied by a rollback) */
  struct devname *devs;
  int ndevs, capdevs;
  /* batch: queued index adds of new records (see the file comment) */
  kt_buf pend_text;
  struct pend_ent *pend;
  size_t npend, pend_cap;
  /* search-index bytes written in this transaction (merge work at commit) */
  size_t tx_fts_bytes;
  int64_t merge_debt; /* search-index pages to merge, left by live updates */
  bool defer_merge;   /* the open batch leaves its merge as debt */
};

typedef struct pend_ent {
  int64_t rowid;
  size_t off;
  uint32_t len;
  int which; /* CL_ST_FTS_ADD or CL_ST_PHONE_ADD */
} pend_ent;

static void load_rights(cl_store *s);

#define PEND_FLUSH_BYTES ((size_t)32 << 20)

static int schema_version(cl_store *s, int64_t *v);

#define FTS_ROWID(tcode, rowid) (((int64_t)(tcode) << 40) | (int64_t)(rowid))

/* ---- records ------------------------------------------------------------------ */

void cl_rec_title(const cl_rec *r, kt_buf *out) {
  size_t start = out->len;
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (!(f->flags & KT_FF_TITLE) || r->v[k].kind == KT_V_NULL) continue;
    if (out->len > start) kt_buf_putc(out, ' ');
    kt_mfield_format(f, &r->v[k], false, out);
  }
  if (out->len == start) kt_buf_puts(out, "(untitled)");
}

/* ---- open / create ------------------------------------------------------------- */

static const char *default_locale(void) {
  const char *l = getenv("LC_ALL");
  if (!l || !*l) l = getenv("LC_COLLATE");
  if (!l || !*l) l = getenv("LANG");
  return l ? l : "";
}

int cl_store_create(const char *path, const char *user, const char *mode, const char *device_id,
                    kt_err *err) {
  if (device_id && !kt_uuid_str_is_valid(device_id))
    return kt_err_set(err, KT_EINVAL, "bad device id '%s'", device_id);
  cl_db d;
  int rc = cl_db_open(&d, path, true, false, 0, "", err);
  if (rc) return rc;
  char dev[KT_UUID_STRLEN + 1];
  if (device_id) snprintf(dev, sizeof dev, "%s", device_id);
  else if ((rc = kt_uuid_new_str(dev, err))) goto out;
  char *msg = NULL;
  if (sqlite3_exec(d.db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
    rc = kt_err_set(err, KT_EDB, "cannot create the card index: %s", msg ? msg : "");
    sqlite3_free(msg);
    goto out;
  }
  sqlite3_stmt *st;
  if (!(rc = cl_db_meta_set_text(&d, "device_id", dev, err)) &&
      !(rc = cl_db_meta_set_text(&d, "user", user, err)) &&
      !(rc = cl_db_meta_set_text(&d, "mode", mode ? mode : "local", err)) &&
      !(rc = cl_db_meta_set_int(&d, "hlc", 0, err))) {
    if ((st = cl_db_st(&d, CL_ST_DEVICE_ADD, err))) {
      sqlite3_bind_text(st, 1, dev, -1, SQLITE_STATIC);
      rc = cl_db_step_done(&d, st, err);
    } else {
      rc = KT_EDB;
    }
  }
  if (!rc && sqlite3_exec(d.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = cl_db_error(&d, sqlite3_errcode(d.db), "cannot create the card index", err);
  if (rc) sqlite3_exec(d.db, "ROLLBACK", NULL, NULL, NULL);
out:
  cl_db_close(&d);
  if (rc) remove(path);
  return rc;
}

/* One field_def row read at open. */
typedef struct fdef_row {
  char *col[6]; /* etype, name, label, ftype, choices, hidden ("0"/"1") */
  bool applied;
} fdef_row;

static void apply_fdef_row(cl_store *s, fdef_row *d) {
  bool added = false;
  kt_err e2;
  d->applied = true;
  if (kt_model_apply_field_def(s->model, d->col[0], d->col[1], d->col[2], d->col[3], d->col[4],
                               d->col[5] && strcmp(d->col[5], "0") != 0, &added, &e2))
    kt_log_warn("store", "ignoring field definition %s.%s: %s", d->col[0] ? d->col[0] : "?",
                d->col[1] ? d->col[1] : "?", e2.msg);
}

/* Custom fields are numbered (their version slots) in the order of their
 * columns, which are only ever added: a definition the replica lost (refused
 * by the server, revoked) leaves its column and keeps its slot taken, so the
 * fields after it keep theirs. Then the remaining definitions: overrides of
 * built-in fields. */
static int apply_field_defs(cl_store *s, fdef_row *defs, size_t n, kt_err *err) {
  int nt;
  kt_mtype *types = kt_model_types(s->model, &nt);
  for (int i = 0; i < nt; i++) {
    char tab[64];
    cl_db_table(&types[i], tab, sizeof tab);
    sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_CUSTOM_COLS, err);
    if (!st) return KT_EDB;
    sqlite3_bind_text(st, 1, tab, -1, SQLITE_TRANSIENT);
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
      const char *name = (const char *)sqlite3_column_text(st, 0) + 2; /* after "c_" */
      fdef_row *d = NULL;
      for (size_t k = 0; k < n && !d; k++)
        if (!defs[k].applied && defs[k].col[0] && defs[k].col[1] &&
            strcmp(defs[k].col[0], types[i].def->name) == 0 && strcmp(defs[k].col[1], name) == 0)
          d = &defs[k];
      if (d) apply_fdef_row(s, d);
      kt_err e2;
      if (!kt_mtype_field(&types[i], name) &&
          kt_model_reserve_custom(s->model, types[i].def->name, &e2))
        kt_log_warn("store", "ignoring column %s.c_%s: %s", tab, name, e2.msg);
    }
    sqlite3_reset(st);
    if (src != SQLITE_DONE) return cl_db_error(&s->d, src, "reading the custom columns", err);
  }
  for (size_t k = 0; k < n; k++)
    if (!defs[k].applied) apply_fdef_row(s, &defs[k]);
  return 0;
}

static int load_model(cl_store *s, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_FIELD_DEFS, err);
  if (!st) return KT_EDB;
  int rc;
  fdef_row *defs = NULL;
  size_t n = 0, cap = 0;
  bool oom = false;
  while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      fdef_row *p = realloc(defs, cap * sizeof *p);
      if (!p) {
        oom = true;
        break;
      }
      defs = p;
    }
    fdef_row *d = &defs[n++];
    memset(d, 0, sizeof *d);
    for (int c = 0; c < 6; c++) {
      const char *v = (const char *)sqlite3_column_text(st, c);
      if (v && !(d->col[c] = strdup(v))) oom = true;
    }
  }
  sqlite3_reset(st);
  if (oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  else if (rc != SQLITE_DONE) rc = cl_db_error(&s->d, rc, "reading field definitions", err);
  else rc = apply_field_defs(s, defs, n, err);
  for (size_t k = 0; k < n; k++)
    for (int c = 0; c < 6; c++) free(defs[k].col[c]);
  free(defs);
  if (rc) return rc;
  if (!(st = cl_db_st(&s->d, CL_ST_SECTIONS, err))) return KT_EDB;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    kt_err e2;
    kt_model_apply_section(s->model, (const char *)sqlite3_column_text(st, 0),
                           (const char *)sqlite3_column_text(st, 1), sqlite3_column_int(st, 2) != 0,
                           &e2);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "reading sections", err);
  cl_db_reset_types(&s->d);
  return 0;
}

static int self_device(cl_store *s, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_DEVICE_GET, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, s->device, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) s->selfdev = (uint32_t)sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  if (!s->selfdev)
    return kt_err_set(err, KT_ECORRUPT, "the card index has no record of this device; re-create "
                      "the profile");
  return 0;
}

int cl_store_open(const char *path, const cl_open_opts *opts, cl_store **out, kt_err *err) {
  cl_open_opts o = {0};
  if (opts) o = *opts;
  cl_store *s = calloc(1, sizeof *s);
  if (!s) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = cl_db_open(&s->d, path, false, o.readonly, o.busy_ms,
                      o.locale ? o.locale : default_locale(), err);
  if (rc) {
    free(s);
    return rc;
  }
  s->readonly = o.readonly;
  if ((rc = kt_model_new(&s->model, err))) goto fail;
  s->d.model = s->model;
  kt_buf b = KT_BUF_INIT;
  rc = cl_db_meta_get_text(&s->d, "user", &b, err);
  if (!rc) snprintf(s->user, sizeof s->user, "%s", kt_buf_str(&b));
  kt_buf_reset(&b);
  if (!rc) rc = cl_db_meta_get_text(&s->d, "device_id", &b, err);
  if (!rc) snprintf(s->device, sizeof s->device, "%s", kt_buf_str(&b));
  kt_buf_free(&b);
  if (rc == KT_ENOTFOUND)
    rc = kt_err_set(err, KT_ECORRUPT, "%s is not a Kartoteka card index (no profile settings)",
                    path);
  if (rc) goto fail;
  int64_t h = 0;
  rc = cl_db_meta_get_int(&s->d, "hlc", &h, err);
  if (rc && rc != KT_ENOTFOUND) goto fail;
  kt_hlc_init(&s->hlc, (kt_stamp)h, NULL, NULL);
  s->hlc_saved = (kt_stamp)h;
  if ((rc = self_device(s, err)) || (rc = load_model(s, err)) ||
      (rc = cl_db_check_schema(&s->d, err)))
    goto fail;
  schema_version(s, &s->schema_seen);
  load_rights(s);
  *out = s;
  return 0;
fail:
  cl_store_close(s);
  return rc;
}

void cl_store_close(cl_store *s) {
  if (!s) return;
  if (s->in_batch) cl_store_rollback(s);
  kt_buf_free(&s->pend_text);
  free(s->pend);
  free(s->devs);
  cl_db_close(&s->d);
  kt_model_free(s->model);
  free(s);
}

kt_model *cl_store_model(cl_store *s) { return s->model; }
const kt_rights *cl_store_rights(const cl_store *s) { return s->has_rights ? &s->who.rights : NULL; }
const char *cl_store_role(const cl_store *s) { return s->role; }
bool cl_store_connected(cl_store *s) {
  kt_buf srv = KT_BUF_INIT;
  bool yes = cl_store_meta_get(s, "server", &srv, NULL) == 0 && srv.len;
  kt_buf_free(&srv);
  return yes;
}

const char *cl_store_user(const cl_store *s) { return s->user; }
const char *cl_store_device(const cl_store *s) { return s->device; }
bool cl_store_in_batch(const cl_store *s) { return s->in_batch; }
const char *cl_store_path(cl_store *s) {
  const char *p = sqlite3_db_filename(s->d.db, "main");
  return p ? p : "";
}
struct sqlite3 *cl_store_sqlite(cl_store *s) { return s->d.db; }
void cl_store_set_clock(cl_store *s, kt_clock_fn fn, void *ud) {
  s->hlc.now_ms = fn ? fn : NULL;
  s->hlc.ud = ud;
  kt_hlc_init(&s->hlc, s->hlc.last, fn, ud);
}

/* ---- transactions ---------------------------------------------------------------- */

static int pend_flush(cl_store *s, kt_err *err);
static void pend_drop(cl_store *s);

/* After a rollback: what the transaction added to the in-memory state is gone
 * from the database again and must be read from it anew — device numbers (a
 * cached number whose row was rolled back would be written into versions and
 * later given to another device) now, the model (custom fields of applied
 * definitions, whose columns are gone) at the next cl_store_refresh: a sync
 * round starts with it, and nothing may hold the old model's types until then. */
static void rolled_back(cl_store *s) {
  pend_drop(s);
  s->tx_fts_bytes = 0;
  s->ndevs = 0;
  s->model_stale = true;
}

static int tx_begin(cl_store *s, kt_err *err) {
  if (s->readonly)
    return kt_err_set(err, KT_EPERM, "this connection to the card index is read-only");
  if (s->in_batch) return 0;
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_BEGIN, err);
  if (!st) return KT_EDB;
  return cl_db_step_done(&s->d, st, err);
}

static int persist_hlc(cl_store *s, kt_err *err) {
  if (s->hlc.last == s->hlc_saved) return 0;
  int rc = cl_db_meta_set_int(&s->d, "hlc", (int64_t)s->hlc.last, err);
  if (!rc) s->hlc_saved = s->hlc.last;
  return rc;
}

/* Merges search-index segments in proportion to what this transaction
 * indexed (FTS5's automerge is off: 0005_fts_merge.sql). automerge merges
 * about (levels x leaves written) pages, but all at once whenever the leaves
 * written cross a multiple of 64 (a 20-50 ms commit every few dozen edits on a
 * big index); this does a similar amount at every commit: 4 pages for an edit
 * (measured: edit p50 0.5 -> 1.5 ms, p99 28 -> 5 ms at 300,000 records), about
 * one page per 2 KiB of indexed text for a bulk batch. */
static int fts_merge(cl_store *s, int64_t pages, kt_err *err) {
  if (pages > 1000000) pages = 1000000;
  static const cl_st which[2] = {CL_ST_FTS_MERGE, CL_ST_PHONE_MERGE};
  for (int i = 0; i < 2; i++) {
    sqlite3_stmt *st = cl_db_st(&s->d, which[i], err);
    if (!st) return KT_EDB;
    sqlite3_bind_int64(st, 1, pages);
    int rc = cl_db_step_done(&s->d, st, err);
    if (rc) return rc;
  }
  return 0;
}

/* The merge this commit owes, done now or (a live update: see
 * cl_store_begin_pulled) left as debt for cl_store_maintain or the next
 * ordinary commit. */
static int fts_merge_step(cl_store *s, kt_err *err) {
  if (!s->tx_fts_bytes && !s->merge_debt) return 0;
  int64_t pages = s->tx_fts_bytes ? 4 + (int64_t)(s->tx_fts_bytes / 2048) : 0;
  s->tx_fts_bytes = 0;
  if (s->defer_merge) {
    s->merge_debt += pages;
    return 0;
  }
  pages += s->merge_debt;
  s->merge_debt = 0;
  return fts_merge(s, pages, err);
}

static int tx_commit(cl_store *s, kt_err *err) {
  s->commits++;
  int rc = pend_flush(s, err);
  if (!rc) rc = fts_merge_step(s, err);
  if (!rc) rc = persist_hlc(s, err);
  sqlite3_stmt *st = rc ? NULL : cl_db_st(&s->d, CL_ST_COMMIT, err);
  if (st) rc = cl_db_step_done(&s->d, st, err);
  else if (!rc) rc = KT_EDB;
  if (rc) {
    rolled_back(s);
    sqlite3_exec(s->d.db, "ROLLBACK", NULL, NULL, NULL);
    int64_t h = 0;
    if (cl_db_meta_get_int(&s->d, "hlc", &h, NULL) == 0) s->hlc_saved = (kt_stamp)h;
  }
  return rc;
}

static int tx_end(cl_store *s, int rc, kt_err *err) {
  if (s->in_batch) return rc;
  if (rc) {
    rolled_back(s);
    sqlite3_exec(s->d.db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
  }
  return tx_commit(s, err);
}

int cl_store_begin(cl_store *s, kt_err *err) {
  if (s->in_batch) return kt_err_set(err, KT_EINVAL, "a batch is already open");
  int rc = tx_begin(s, err);
  if (!rc) s->in_batch = true;
  return rc;
}

static void set_synchronous(cl_store *s, cl_st which) {
  sqlite3_stmt *st = cl_db_st(&s->d, which, NULL);
  if (st) cl_db_step_done(&s->d, st, NULL);
}

int cl_store_begin_pulled(cl_store *s, bool live, kt_err *err) {
  if (s->in_batch) return kt_err_set(err, KT_EINVAL, "a batch is already open");
  set_synchronous(s, CL_ST_SYNC_NORMAL); /* outside a transaction, as SQLite wants */
  int rc = cl_store_begin(s, err);
  if (rc) {
    set_synchronous(s, CL_ST_SYNC_FULL);
  } else {
    s->relaxed = true;
    s->defer_merge = live;
  }
  return rc;
}

static void end_relaxed(cl_store *s) {
  s->defer_merge = false;
  if (!s->relaxed) return;
  s->relaxed = false;
  set_synchronous(s, CL_ST_SYNC_FULL);
}

int cl_store_maintain(cl_store *s, kt_err *err) {
  if (!s->merge_debt || s->in_batch || s->readonly) return 0;
  int64_t pages = s->merge_debt;
  set_synchronous(s, CL_ST_SYNC_NORMAL); /* a lost merge only leaves the index unmerged */
  int rc = tx_begin(s, err);
  if (!rc) {
    rc = fts_merge(s, pages, err);
    sqlite3_stmt *st = rc ? NULL : cl_db_st(&s->d, CL_ST_COMMIT, err);
    if (st) rc = cl_db_step_done(&s->d, st, err);
    else if (!rc) rc = KT_EDB;
    if (rc) sqlite3_exec(s->d.db, "ROLLBACK", NULL, NULL, NULL);
    else s->merge_debt = 0;
  }
  set_synchronous(s, CL_ST_SYNC_FULL);
  return rc;
}

int cl_store_commit(cl_store *s, kt_err *err) {
  if (!s->in_batch) return kt_err_set(err, KT_EINVAL, "no batch is open");
  s->in_batch = false;
  int rc = tx_commit(s, err);
  end_relaxed(s);
  return rc;
}

void cl_store_rollback(cl_store *s) {
  if (!s->in_batch) return;
  s->in_batch = false;
  rolled_back(s);
  sqlite3_exec(s->d.db, "ROLLBACK", NULL, NULL, NULL);
  end_relaxed(s);
}

/* ---- search index maintenance ----------------------------------------------------- */

static int build_body(const cl_rec *r, kt_buf *body) {
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (!(f->flags & KT_FF_SEARCH) || r->v[k].kind != KT_V_TEXT) continue;
    if (body->len) kt_buf_putc(body, ' ');
    if (kt_text_fold(r->v[k].s, strlen(r->v[k].s), body)) return KT_ENOMEM;
  }
  return body->oom ? KT_ENOMEM : 0;
}

static void build_phones(const cl_rec *r, kt_buf *out) {
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (f->type != KT_FT_PHONE || r->v[k].kind != KT_V_TEXT) continue;
    char digits[40];
    if (kt_phone_normalize(r->v[k].s, "7", digits, sizeof digits) <= 0) continue;
    if (out->len) kt_buf_putc(out, ' ');
    kt_buf_puts(out, digits);
  }
}

static int index_write(cl_store *s, const cl_rec *r, cl_st st_id, const kt_buf *text, kt_err *err) {
  if (!text->len) return 0;
  sqlite3_stmt *st = cl_db_st(&s->d, st_id, err);
  if (!st) return KT_EDB;
  sqlite3_bind_int64(st, 1, FTS_ROWID(r->type->def->code, r->rowid));
  sqlite3_bind_text(st, 2, text->p, (int)text->len, SQLITE_STATIC);
  s->tx_fts_bytes += text->len;
  return cl_db_step_done(&s->d, st, err);
}

/* Forgets the queued index adds (after a flush or a rollback). */
static void pend_drop(cl_store *s) {
  s->npend = 0;
  kt_buf_reset(&s->pend_text);
  s->pend_text.oom = false;
}

static int pend_cmp(const void *a, const void *b) {
  const pend_ent *x = a, *y = b;
  if (x->which != y->which) return x->which < y->which ? -1 : 1;
  return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

/* Writes the queued index adds, in rowid order per index. */
static int pend_flush(cl_store *s, kt_err *err) {
  if (!s->npend) return 0;
  qsort(s->pend, s->npend, sizeof *s->pend, pend_cmp);
  int rc = 0;
  for (size_t i = 0; !rc && i < s->npend; i++) {
    const pend_ent *e = &s->pend[i];
    sqlite3_stmt *st = cl_db_st(&s->d, (cl_st)e->which, err);
    if (!st) {
      rc = KT_EDB;
      break;
    }
    sqlite3_bind_int64(st, 1, e->rowid);
    sqlite3_bind_text(st, 2, s->pend_text.p + e->off, (int)e->len, SQLITE_STATIC);
    s->tx_fts_bytes += e->len;
    rc = cl_db_step_done(&s->d, st, err);
  }
  pend_drop(s);
  return rc;
}

static int pend_add(cl_store *s, const cl_rec *r, cl_st which, const kt_buf *text, kt_err *err) {
  if (!text->len) return 0;
  if (s->npend == s->pend_cap) {
    size_t cap = s->pend_cap ? s->pend_cap * 2 : 1024;
    pend_ent *p = realloc(s->pend, cap * sizeof *p);
    if (!p) return kt_err_set(err, KT_ENOMEM, "out of memory");
    s->pend = p;
    s->pend_cap = cap;
  }
  size_t off = s->pend_text.len;
  kt_buf_append(&s->pend_text, text->p, text->len);
  if (s->pend_text.oom) return kt_err_set(err, KT_ENOMEM, "out of memory");
  s->pend[s->npend++] = (pend_ent){FTS_ROWID(r->type->def->code, r->rowid), off,
                                   (uint32_t)text->len, (int)which};
  return 0;
}

/* Replaces the index entries of old (may be NULL) by those of r (may be NULL). */
static int index_update(cl_store *s, const cl_rec *old, const cl_rec *r, kt_err *err) {
  kt_buf ob = KT_BUF_INIT, nb = KT_BUF_INIT, op = KT_BUF_INIT, np = KT_BUF_INIT;
  int rc = 0;
  bool queue = s->in_batch && !old && r;
  if (!queue && (rc = pend_flush(s, err))) return rc;
  if (old) {
    rc = build_body(old, &ob);
    build_phones(old, &op);
  }
  if (!rc && r) {
    rc = build_body(r, &nb);
    build_phones(r, &np);
  }
  if (rc) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  if (queue) {
    if (!(rc = pend_add(s, r, CL_ST_FTS_ADD, &nb, err)))
      rc = pend_add(s, r, CL_ST_PHONE_ADD, &np, err);
    if (!rc && s->pend_text.len > PEND_FLUSH_BYTES) rc = pend_flush(s, err);
    goto out;
  }
  bool body_same = old && r && ob.len == nb.len && (!ob.len || memcmp(ob.p, nb.p, ob.len) == 0);
  bool phone_same = old && r && op.len == np.len && (!op.len || memcmp(op.p, np.p, op.len) == 0);
  if (!body_same) {
    if (old && (rc = index_write(s, old, CL_ST_FTS_DEL, &ob, err))) goto out;
    if (r && (rc = index_write(s, r, CL_ST_FTS_ADD, &nb, err))) goto out;
  }
  if (!phone_same) {
    if (old && (rc = index_write(s, old, CL_ST_PHONE_DEL, &op, err))) goto out;
    if (r && (rc = index_write(s, r, CL_ST_PHONE_ADD, &np, err))) goto out;
  }
out:
  kt_buf_free(&ob);
  kt_buf_free(&nb);
  kt_buf_free(&op);
  kt_buf_free(&np);
  return rc;
}

/* ---- outbox -------------------------------------------------------------------------- */

static int outbox_hold(cl_store *s, const cl_rec *r, int hold, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_HOLD, err);
  if (!st) return KT_EDB;
  sqlite3_bind_int(st, 1, r->type->def->code);
  sqlite3_bind_int64(st, 2, r->rowid);
  sqlite3_bind_int(st, 3, hold);
  return cl_db_step_done(&s->d, st, err);
}

/* Records that fields `set` of r changed; base = versions before the edit (NULL
 * for a new record). Merges into an unsent entry, which takes a new number and
 * loses the server's last reason (the change is judged again) but remembers it
 * was refused (its code); a record that stays in the trash keeps its hold. */
static int outbox_note(cl_store *s, const cl_rec *r, const kt_fset *set, const kt_vers *base,
                       kt_err *err) {
  int tcode = r->type->def->code;
  kt_fset fields = *set;
  kt_vers b;
  memset(&b, 0, sizeof b);
  if (base)
    for (int i = 0; i < KT_MAX_FIELDS; i++)
      if (kt_fset_has(set, i)) b.f[i] = base->f[i];
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_GET, err);
  if (!st) return KT_EDB;
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
    if (!del) return KT_EDB;
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
  if (!st) rc = KT_EDB;
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
  return rc || !hold ? rc : outbox_hold(s, r, hold, err);
}

/* The record's unsent entry: whether there is one, whether it creates the
 * record (the server never accepted it), whether the server refused it (at
 * the last sync, or before an edit made since), and its hold. */
typedef struct entry_state {
  bool has, isnew, refused;
  int hold;
} entry_state;

static int outbox_state(cl_store *s, const cl_rec *r, entry_state *es, kt_err *err) {
  memset(es, 0, sizeof *es);
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_GET, err);
  if (!st) return KT_EDB;
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

/* ---- row writes ------------------------------------------------------------------------ */

static int row_write(cl_store *s, cl_rec *r, bool insert, kt_err *err) {
  kt_buf vb = KT_BUF_INIT;
  kt_vers_encode(&r->vers, NULL, &vb);
  if (vb.oom) return kt_err_set(err, KT_ENOMEM, "out of memory");
  sqlite3_stmt *st = cl_db_tst(&s->d, r->type, insert ? CL_TST_INSERT : CL_TST_UPDATE, err);
  if (!st) {
    kt_buf_free(&vb);
    return KT_EDB;
  }
  kt_rec_bind(r, st, insert, &vb);
  int rc = cl_db_step_done(&s->d, st, err);
  kt_buf_free(&vb);
  if (!rc && insert) r->rowid = sqlite3_last_insert_rowid(s->d.db);
  return rc;
}

/* Where a card that is not on this PC would be, in words: a connected replica
 * holds only the user's part of the office's base. */
static const char *not_here(cl_store *s) {
  return cl_store_connected(s) ? " in your part of the base: it does not exist, or it is not yours "
                                 "to see (a card a colleague just made comes with the next "
                                 "`kartoteka sync`)"
                               : " in this card index";
}

/* Finds the type and rowid of a record id: KT_ENOTFOUND when absent. */
static int locate(cl_store *s, const char *id, cl_rec **out, kt_err *err) {
  if (!kt_uuid_str_is_valid(id))
    return kt_err_set(err, KT_EINVAL,
                      "'%s' is not a card id (ids look like 0193a1b2-...; see `kartoteka list "
                      "TYPE` or `kartoteka search TEXT`)",
                      id);
  char low[KT_UUID_STRLEN + 1];
  for (int i = 0; i <= KT_UUID_STRLEN; i++) low[i] = (char)tolower((unsigned char)id[i]);
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  for (int i = 0; i < n; i++) {
    sqlite3_stmt *st = cl_db_tst(&s->d, &types[i], CL_TST_BY_ID, err);
    if (!st) return KT_EDB;
    sqlite3_bind_text(st, 1, low, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      cl_rec *r = cl_rec_new(&types[i]);
      if (!r) {
        sqlite3_reset(st);
        return kt_err_set(err, KT_ENOMEM, "out of memory");
      }
      kt_rec_load(r, st);
      sqlite3_reset(st);
      *out = r;
      return 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "reading a card", err);
  }
  return kt_err_set(err, KT_ENOTFOUND, "no card with id %s%s", id, not_here(s));
}

int cl_store_get(cl_store *s, const char *id, cl_rec **out, kt_err *err) {
  return locate(s, id, out, err);
}

static int ref_exists(cl_store *s, const kt_mfield *f, const char *id, kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, f->ref);
  if (!t) return kt_err_set(err, KT_EINTERNAL, "bad reference type %s", f->ref);
  sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ID, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "checking a reference", err);
  return kt_err_set(err, KT_EINVAL, "%s: no %s with id %s%s; find it with `kartoteka search` or "
                    "`kartoteka list %s`", f->name, t->def->noun, id, not_here(s), f->ref);
}

/* The one title field of t, or NULL when its title has several (or none). */
static const kt_mfield *single_title(const kt_mtype *t) {
  const kt_mfield *tf = NULL;
  for (int k = 0; k < t->nfields; k++)
    if (t->fields[k].flags & KT_FF_TITLE) {
      if (tf) return NULL;
      tf = &t->fields[k];
    }
  return tf;
}

struct cl_reftitles {
  cl_store *s;
  sqlite3_stmt *get;
  kt_buf drop;
};

int cl_reftitles_open(cl_store *s, const char *type, cl_reftitles **out, kt_err *err) {
  *out = NULL;
  kt_mtype *t = kt_model_type(s->model, type ? type : "");
  const kt_mfield *tf = t ? single_title(t) : NULL;
  if (!tf) return 0;
  cl_reftitles *rt = calloc(1, sizeof *rt);
  if (!rt) return kt_err_set(err, KT_ENOMEM, "out of memory");
  rt->s = s;
  rt->drop = (kt_buf)KT_BUF_INIT;
  char table[64];
  snprintf(table, sizeof table, "ref_titles_%d", t->def->code);
  kt_buf fill = KT_BUF_INIT, get = KT_BUF_INIT;
  cl_db_reftitles_sql(t, tf, table, &fill, &get, &rt->drop);
  int rc = sqlite3_exec(s->d.db, kt_buf_str(&fill), NULL, NULL, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&get), -1, &rt->get, NULL);
  kt_buf_free(&fill);
  kt_buf_free(&get);
  if (rc != SQLITE_OK) {
    rc = cl_db_error(&s->d, rc, "reading names for references", err);
    cl_reftitles_close(rt);
    return rc;
  }
  *out = rt;
  return 0;
}

int cl_reftitles_get(cl_reftitles *rt, const char *id, kt_buf *out, kt_err *err) {
  sqlite3_bind_text(rt->get, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(rt->get);
  const char *title = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(rt->get, 0) : NULL;
  bool unique = rc == SQLITE_ROW && sqlite3_column_int64(rt->get, 1) == 1;
  kt_buf_puts(out, unique && title && *title ? title : id);
  sqlite3_reset(rt->get);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                               : cl_db_error(&rt->s->d, rc, "reading a name", err);
}

void cl_reftitles_close(cl_reftitles *rt) {
  if (!rt) return;
  sqlite3_finalize(rt->get);
  if (rt->drop.len) sqlite3_exec(rt->s->d.db, kt_buf_str(&rt->drop), NULL, NULL, NULL);
  kt_buf_free(&rt->drop);
  free(rt);
}

/* Resolves a reference typed as a name ("ООО Ромашка") to an id when exactly
 * one live record of the target type has that title. */
static int resolve_ref(cl_store *s, const kt_mfield *f, const char *text, kt_buf *id_out,
                       kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, f->ref);
  kt_mfield *tf = NULL;
  for (int k = 0; t && k < t->nfields; k++)
    if (t->fields[k].flags & KT_FF_TITLE) {
      tf = &t->fields[k];
      break;
    }
  if (!tf) return kt_err_set(err, KT_EINVAL, "%s: '%s' is not a card id", f->name, text);
  char tab[64];
  cl_db_table(t, tab, sizeof tab);
  kt_buf sql = KT_BUF_INIT;
  kt_buf_printf(&sql, "SELECT id FROM %s WHERE deleted = 0 AND kt_fold(\"%s\") = kt_fold(?1) LIMIT 2",
                tab, tf->column);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
  kt_buf_free(&sql);
  if (rc != SQLITE_OK) return cl_db_error(&s->d, rc, "resolving a reference", err);
  sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
  int found = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!found) kt_buf_puts(id_out, (const char *)sqlite3_column_text(st, 0));
    found++;
  }
  sqlite3_finalize(st);
  if (found == 1) return 0;
  if (found == 0)
    return kt_err_set(err, KT_EINVAL, "%s: no %s named '%s'%s; give its id or create it first",
                      f->name, t->def->noun, text,
                      cl_store_connected(s) ? " in your part of the base" : "");
  return kt_err_set(err, KT_EINVAL, "%s: several %ss are named '%s'; give the id instead",
                    f->name, t->def->noun, text);
}

/* Whether a connected replica has finished a sync round (it knows the office's
 * groups and staff). */
static bool synced_once(cl_store *s) {
  kt_buf b = KT_BUF_INIT;
  bool yes = cl_store_meta_get(s, "last_sync", &b, NULL) == 0 && b.len;
  kt_buf_free(&b);
  return yes;
}

/* A group typed by name (grp, a group's parent) must be one of the office's groups
 * (synced group records, on every PC): exactly, or in another case ("продажи"),
 * which is written as the group's own name. Else KT_EINVAL naming the groups. */
static int resolve_group(cl_store *s, const kt_mfield *f, const char *text, kt_buf *name_out,
                         kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_GROUP_NAMES, err);
  if (!st) return KT_EDB;
  kt_buf want = KT_BUF_INIT, fold = KT_BUF_INIT, all = KT_BUF_INIT;
  kt_text_fold(text, strlen(text), &want);
  int rc, n = 0;
  bool exact = false, folded = false;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    kt_buf_printf(&all, "%s%s", n++ ? ", " : "", name);
    if (exact) continue;
    if (strcmp(name, text) == 0) {
      exact = true;
      kt_buf_reset(name_out);
      kt_buf_puts(name_out, name);
      continue;
    }
    kt_buf_reset(&fold);
    kt_text_fold(name, strlen(name), &fold);
    if (!folded && strcmp(kt_buf_str(&fold), kt_buf_str(&want)) == 0) {
      folded = true;
      kt_buf_puts(name_out, name);
    }
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) rc = cl_db_error(&s->d, rc, "reading the groups", err);
  else if (exact || folded) rc = 0;
  else if (!n && cl_store_connected(s) && !synced_once(s))
    rc = 0, kt_buf_puts(name_out, text); /* the office's groups are not here yet: the server judges */
  else if (!n)
    rc = kt_err_set(err, KT_EINVAL, "%s: there is no group '%s': this card index has no groups "
                    "yet (%s with `kartoteka group add NAME`)", f->name, text,
                    cl_store_connected(s) ? "an administrator adds them" : "add one");
  else
    rc = kt_err_set(err, KT_EINVAL, "%s: there is no group '%s'; the groups are: %s", f->name, text,
                    kt_buf_str(&all));
  kt_buf_free(&want);
  kt_buf_free(&fold);
  kt_buf_free(&all);
  return rc;
}

/* An owner or assignee must be an account of the office: every account has a
 * staff record on every PC, so a name the server would refuse (and the change
 * then wait in the outbox) is refused here, with the names there are. A PC that
 * has no staff records (standalone, or never synced) leaves it to the server. */
static int check_user(cl_store *s, const kt_mfield *f, const char *name, kt_err *err) {
  if (!strcmp(name, s->user)) return 0;
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_STAFF_HAS, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "reading the office's users", err);
  if (!(st = cl_db_st(&s->d, CL_ST_STAFF_NAMES, err))) return KT_EDB;
  kt_buf names = KT_BUF_INIT;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    kt_buf_printf(&names, "%s%s", names.len ? ", " : "", sqlite3_column_text(st, 0));
  sqlite3_reset(st);
  if (rc == SQLITE_DONE && names.len)
    rc = kt_err_set(err, KT_EINVAL, "%s: there is no user named %s in this office; the users "
                    "are: %s (as this PC last synced: sync first if the account is new)",
                    f->name, name, kt_buf_str(&names));
  else
    rc = rc == SQLITE_DONE ? 0 : cl_db_error(&s->d, rc, "reading the office's users", err);
  kt_buf_free(&names);
  return rc;
}

/* Parses assignments into r (only the named fields), recording them in *set. */
static int apply_sets(cl_store *s, cl_rec *r, const cl_set *sets, int n, kt_fset *set,
                      kt_err *err) {
  for (int i = 0; i < n; i++) {
    kt_mfield *f;
    int rc = kt_mtype_field_get(r->type, sets[i].field, &f, err);
    if (rc) return rc;
    if (f->flags & KT_FF_SYSTEM)
      return kt_err_set(err, KT_EINVAL, "%s is set by the program and cannot be changed%s",
                        f->name, f->vidx == KT_F_DELETED ? " (use `kartoteka delete`/`restore`)" : "");
    int pos = r->type->pos[f->vidx];
    kt_value v = {KT_V_NULL, 0, NULL};
    const char *text = sets[i].value ? sets[i].value : "";
    kt_buf resolved = KT_BUF_INIT;
    if (f->type == KT_FT_REF && *text && !kt_uuid_str_is_valid(text)) {
      if ((rc = resolve_ref(s, f, text, &resolved, err))) {
        kt_buf_free(&resolved);
        return rc;
      }
      text = kt_buf_str(&resolved);
    } else if (f->type == KT_FT_GROUP && *text) {
      if ((rc = resolve_group(s, f, text, &resolved, err))) {
        kt_buf_free(&resolved);
        return rc;
      }
      text = kt_buf_str(&resolved);
    }
    rc = kt_mfield_parse(f, text, &v, err);
    if (!rc && f->type == KT_FT_REF && v.kind == KT_V_TEXT) rc = ref_exists(s, f, v.s, err);
    if (!rc && f->type == KT_FT_USER && v.kind == KT_V_TEXT &&
        !(r->type->def->flags & KT_TF_SYSTEM)) /* (the server's own records name users) */
      rc = check_user(s, f, v.s, err);
    kt_buf_free(&resolved);
    if (rc) {
      kt_value_clear(&v);
      return rc;
    }
    kt_value_clear(&r->v[pos]);
    r->v[pos] = v;
    kt_fset_add(set, f->vidx);
  }
  return 0;
}

/* The article for a noun in a message ("an organization", "a contact"). */
static const char *a_an(const char *noun) { return strchr("aeiou", noun[0]) ? "an" : "a"; }

static int check_complete(const cl_rec *r, kt_err *err) {
  bool has_title = false, any_title = false;
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (f->flags & KT_FF_REQUIRED) {
      if (r->v[k].kind == KT_V_NULL)
        return kt_err_set(err, KT_EINVAL, "%s %s needs %s: add --set %s=VALUE",
                          a_an(r->type->def->noun), r->type->def->noun, f->name, f->name);
      has_title = true; /* a required field is enough to identify the card */
    }
    if (f->flags & KT_FF_TITLE) {
      any_title = true;
      if (r->v[k].kind != KT_V_NULL) has_title = true;
    }
  }
  if (any_title && !has_title) {
    kt_buf names = KT_BUF_INIT;
    for (int k = 0; k < r->type->nfields; k++)
      if (r->type->fields[k].flags & KT_FF_TITLE) {
        if (names.len) kt_buf_puts(&names, " or ");
        kt_buf_puts(&names, r->type->fields[k].name);
      }
    kt_err_set(err, KT_EINVAL, "%s %s needs at least %s", a_an(r->type->def->noun),
               r->type->def->noun, kt_buf_str(&names));
    kt_buf_free(&names);
    return KT_EINVAL;
  }
  return 0;
}

/* ---- rights, mirrored from the server (it enforces them; this only tells the user
   at once instead of at the next sync) --------------------------------------------- */

static void load_rights(cl_store *s) {
  kt_buf b = KT_BUF_INIT;
  s->has_rights = false;
  if (cl_db_meta_get_text(&s->d, "rights", &b, NULL) == 0 && b.len) {
    memset(&s->who, 0, sizeof s->who);
    if (kt_rights_parse(kt_buf_str(&b), &s->who.rights, NULL) == 0) {
      /* this PC does not know the user's groups: group level is left to the server */
      for (int c = 0; c < KT_MAX_TYPES; c++)
        for (int a = 0; a < KT_ACT__COUNT; a++)
          if (s->who.rights.lvl[c][a] == KT_LVL_GROUP) s->who.rights.lvl[c][a] = KT_LVL_ALL;
      s->who.user = s->user;
      s->has_rights = true;
    }
  }
  kt_buf_reset(&b);
  if (cl_db_meta_get_text(&s->d, "role", &b, NULL) == 0)
    snprintf(s->role, sizeof s->role, "%s", kt_buf_str(&b));
  kt_buf_free(&b);
}

static int card_fn(void *ud, const char *type, const char *id, kt_rec **out, kt_err *err) {
  cl_store *s = ud;
  *out = NULL;
  kt_mtype *t = kt_model_type(s->model, type);
  if (!t) return 0;
  sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ID, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && (*out = cl_rec_new(t))) kt_rec_load(*out, st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW && !*out) return kt_err_set(err, KT_ENOMEM, "out of memory");
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cl_db_error(&s->d, rc, "reading a card", err);
}

/* May this user make the local edit old -> r (old NULL: a new record)? */
static int local_rights(cl_store *s, const cl_rec *old, const cl_rec *r, kt_err *err) {
  if (!s->has_rights) return 0;
  kt_scope before, after;
  memset(&before, 0, sizeof before);
  kt_links lb, la;
  kt_links_from_rec(r, &la);
  int rc = 0;
  if (old) {
    kt_links_from_rec(old, &lb);
    rc = kt_rights_scope(old->type, &lb, card_fn, s, &before, err);
  }
  if (!rc) rc = kt_rights_scope(r->type, &la, card_fn, s, &after, err);
  if (rc) return rc;
  kt_change_kind k = {.isnew = old == NULL};
  for (int i = 0; i < r->type->nfields; i++) {
    if (i == KT_F_UPDATED || i == KT_F_ID) continue;
    if (old ? kt_value_equal(&old->v[i], &r->v[i]) : r->v[i].kind == KT_V_NULL) continue;
    const kt_mfield *f = &r->type->fields[i];
    if (f->flags & KT_FF_CONTACT && !k.contact_field) k.contact_field = f;
    if (f->vidx == KT_F_DELETED) k.del = true;
    else if (f->vidx != KT_F_CREATED) k.other = true;
    if (old && (f->vidx == KT_F_OWNER || f->vidx == KT_F_GRP)) k.reassign = true;
  }
  if (!old && strcmp(la.owner, s->user) != 0 && (r->type->def->flags & KT_TF_CLIENT))
    k.reassign = true;
  if (old && kt_links_move(&lb, &la)) k.moves = true;
  rc = kt_rights_check(&s->who, s->role, r->type, cl_rec_id(r), &before, &after, &k, err);
  /* the office's settings (field definitions, sections, groups) are nobody's cards: say
     what they are in words rather than "this field_def owned by anna" */
  if (rc == KT_EPERM && (r->type->def->flags & KT_TF_SYSTEM))
    kt_err_set(err, KT_EPERM, "%ss are kept by the office server: no PC may change them",
               r->type->def->noun);
  else if (rc == KT_EPERM && (r->type->def->flags & KT_TF_CONFIG))
    kt_err_set(err, KT_EPERM, "your role (%s) may not change the office's %ss (custom fields, "
               "labels, sections and groups are set up by an administrator)", *s->role ? s->role : "?",
               r->type->def->noun);
  return rc;
}

static int add_rec_locked(cl_store *s, cl_rec *r, kt_err *err) {
  int rc;
  uint64_t now = s->hlc.now_ms ? s->hlc.now_ms(s->hlc.ud) : kt_now_ms();
  if (r->v[KT_F_ID].kind == KT_V_NULL) {
    kt_uuid u;
    char buf[KT_UUID_STRLEN + 1];
    if ((rc = kt_uuid_gen_next(&s->ugen, now, &u, err))) return rc;
    kt_uuid_format(&u, buf);
    if (kt_value_set_text(&r->v[KT_F_ID], buf, KT_UUID_STRLEN))
      return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  if (r->v[KT_F_OWNER].kind == KT_V_NULL && s->user[0] &&
      kt_value_set_text(&r->v[KT_F_OWNER], s->user, strlen(s->user)))
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (r->v[KT_F_CREATED].kind == KT_V_NULL) kt_value_set_int(&r->v[KT_F_CREATED], (int64_t)now);
  if ((rc = local_rights(s, NULL, r, err))) return rc;
  kt_stamp stamp = kt_hlc_now(&s->hlc);
  kt_value_set_int(&r->v[KT_F_UPDATED], (int64_t)KT_STAMP_MS(stamp));
  kt_fset set = {{0, 0}};
  memset(&r->vers, 0, sizeof r->vers);
  for (int k = 0; k < r->type->nfields; k++) {
    if (k == KT_F_UPDATED || r->v[k].kind == KT_V_NULL) continue;
    int vi = r->type->fields[k].vidx;
    r->vers.f[vi].stamp = stamp;
    r->vers.f[vi].dev = s->selfdev;
    kt_fset_add(&set, vi);
  }
  if ((rc = row_write(s, r, true, err))) return rc;
  if ((rc = index_update(s, NULL, r, err))) return rc;
  return outbox_note(s, r, &set, NULL, err);
}

int cl_store_add_rec(cl_store *s, cl_rec *r, kt_err *err) {
  int rc = check_complete(r, err);
  if (rc) return rc;
  if ((rc = tx_begin(s, err))) return rc;
  rc = add_rec_locked(s, r, err);
  return tx_end(s, rc, err);
}

int cl_store_add(cl_store *s, const char *type, const cl_set *sets, int n,
                 char id_out[KT_UUID_STRLEN + 1], kt_err *err) {
  kt_mtype *t;
  int rc = kt_model_type_get(s->model, type, &t, err);
  if (rc) return rc;
  cl_rec *r = cl_rec_new(t);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  kt_fset set = {{0, 0}};
  if ((rc = tx_begin(s, err))) goto out;
  rc = apply_sets(s, r, sets, n, &set, err);
  if (!rc) rc = check_complete(r, err);
  if (!rc) rc = add_rec_locked(s, r, err);
  rc = tx_end(s, rc, err);
  if (!rc && id_out) snprintf(id_out, KT_UUID_STRLEN + 1, "%s", cl_rec_id(r));
out:
  cl_rec_free(r);
  return rc;
}

/* Writes the fields of r that differ from old (same record) as one edit. */
static int edit_locked(cl_store *s, const cl_rec *old, cl_rec *r, int *changed, kt_err *err) {
  kt_fset set = {{0, 0}};
  int n = 0;
  for (int k = 0; k < r->type->nfields; k++) {
    if (k == KT_F_UPDATED || k == KT_F_ID) continue;
    if (kt_value_equal(&old->v[k], &r->v[k])) continue;
    kt_fset_add(&set, r->type->fields[k].vidx);
    n++;
  }
  if (changed) *changed = n;
  if (!n) return 0;
  int rc = local_rights(s, old, r, err);
  if (rc) return rc;
  kt_stamp stamp = kt_hlc_now(&s->hlc);
  for (int i = 0; i < KT_MAX_FIELDS; i++)
    if (kt_fset_has(&set, i)) {
      r->vers.f[i].stamp = stamp;
      r->vers.f[i].dev = s->selfdev;
    }
  kt_value_set_int(&r->v[KT_F_UPDATED], (int64_t)KT_STAMP_MS(stamp));
  rc = row_write(s, r, false, err);
  if (!rc) rc = index_update(s, old, r, err);
  if (!rc) rc = outbox_note(s, r, &set, &old->vers, err);
  return rc;
}

static int clone_rec(const cl_rec *src, cl_rec **out, kt_err *err) {
  cl_rec *r = cl_rec_new(src->type);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  r->rowid = src->rowid;
  r->vers = src->vers;
  for (int k = 0; k < src->type->nfields; k++)
    if (kt_value_copy(&r->v[k], &src->v[k])) {
      cl_rec_free(r);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
  *out = r;
  return 0;
}

int cl_store_edit(cl_store *s, const char *id, const cl_set *sets, int n, int *changed,
                  kt_err *err) {
  cl_rec *old = NULL, *r = NULL;
  kt_fset set = {{0, 0}};
  int rc = tx_begin(s, err);
  if (rc) return rc;
  if (!(rc = locate(s, id, &old, err)) && !(rc = clone_rec(old, &r, err)) &&
      !(rc = apply_sets(s, r, sets, n, &set, err)) && !(rc = check_complete(r, err)))
    rc = edit_locked(s, old, r, changed, err);
  rc = tx_end(s, rc, err);
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

static int related_walk(cl_store *s, const cl_rec *r, bool live, cl_rec_cb cb, void *ud,
                        kt_err *err);
static int on_referrer(void *ud, const cl_rec *r);

static int set_deleted(cl_store *s, const char *id, int del, kt_err *err) {
  cl_rec *old = NULL, *r = NULL;
  int rc = tx_begin(s, err);
  if (rc) return rc;
  if (!(rc = locate(s, id, &old, err)) && !(rc = clone_rec(old, &r, err))) {
    if (cl_rec_deleted(old) == (del != 0)) {
      kt_buf t = KT_BUF_INIT;
      cl_rec_title(old, &t);
      rc = kt_err_set(err, KT_EINVAL, "%s '%s' is %s", old->type->def->noun, kt_buf_str(&t),
                      del ? "already in the trash" : "not in the trash");
      kt_buf_free(&t);
    } else {
      /* into the trash: a new record the server never accepted is parked (it would
         only reach the server to lie in its trash, or be refused again); a change
         the server refused is set back at the next sync, then the deletion sent */
      entry_state es;
      bool referred = false; /* (a card other records name is sent: they keep their link) */
      kt_value_set_int(&r->v[KT_F_DELETED], del);
      rc = outbox_state(s, old, &es, err);
      if (!rc && del && es.isnew) rc = related_walk(s, old, false, on_referrer, &referred, err);
      if (!rc) rc = edit_locked(s, old, r, NULL, err);
      int hold = !del || !es.has ? 0 : es.isnew && !referred ? 1 : es.refused ? 2 : 0;
      if (!rc && hold) rc = outbox_hold(s, r, hold, err);
    }
  }
  rc = tx_end(s, rc, err);
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

int cl_store_delete(cl_store *s, const char *id, kt_err *err) { return set_deleted(s, id, 1, err); }
int cl_store_restore(cl_store *s, const char *id, kt_err *err) { return set_deleted(s, id, 0, err); }

/* ---- queries ------------------------------------------------------------------------------ */

static int walk(cl_store *s, kt_mtype *t, sqlite3_stmt *st, cl_rec_cb cb, void *ud, kt_err *err) {
  cl_rec *r = cl_rec_new(t);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    kt_rec_load(r, st);
    if (cb(ud, r)) {
      rc = SQLITE_DONE;
      break;
    }
  }
  cl_rec_free(r);
  if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "reading the card index", err);
  return 0;
}

static bool is_textual(kt_ftype t) {
  return t == KT_FT_TEXT || t == KT_FT_LONGTEXT || t == KT_FT_URL || t == KT_FT_CHOICE ||
         t == KT_FT_EMAIL || t == KT_FT_PHONE;
}

static void order_by(kt_mtype *t, const kt_mfield *f, bool desc, kt_buf *sql) {
  const char *dir = desc ? " DESC" : "";
  if (f) {
    kt_buf_printf(sql, " ORDER BY (\"%s\" IS NULL), \"%s\"%s%s, rowid", f->column, f->column,
                  kt_ftype_is_int(f->type) || f->type == KT_FT_DATE ? "" : " COLLATE kt_coll", dir);
    return;
  }
  /* default: a date/time field that is required or part of the title (an
     event's start, a deal's date), else the title fields */
  for (int k = 0; k < t->nfields; k++) {
    const kt_mfield *g = &t->fields[k];
    if ((g->flags & (KT_FF_REQUIRED | KT_FF_TITLE)) &&
        (g->type == KT_FT_DATETIME || g->type == KT_FT_DATE)) {
      order_by(t, g, desc, sql);
      return;
    }
  }
  kt_buf_puts(sql, " ORDER BY ");
  for (int k = 0; k < t->nfields; k++)
    if (t->fields[k].flags & KT_FF_TITLE)
      kt_buf_printf(sql, "(\"%s\" IS NULL), \"%s\" COLLATE kt_coll%s, ", t->fields[k].column,
                    t->fields[k].column, dir);
  kt_buf_puts(sql, "rowid");
}

int cl_store_list(cl_store *s, const cl_query *q, cl_rec_cb cb, void *ud, kt_err *err) {
  kt_mtype *t;
  int rc = kt_model_type_get(s->model, q->type, &t, err);
  if (rc) return rc;
  kt_buf sql = KT_BUF_INIT;
  kt_value *vals = calloc((size_t)q->nwhere + 1, sizeof *vals);
  kt_buf *texts = calloc((size_t)q->nwhere + 1, sizeof *texts);
  sqlite3_stmt *st = NULL;
  if (!vals || !texts) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  cl_db_select_prefix(t, &sql);
  kt_buf_printf(&sql, " WHERE deleted = %d", q->trash ? 1 : 0);
  for (int i = 0; i < q->nwhere; i++) {
    const cl_filter *w = &q->where[i];
    kt_mfield *f;
    if ((rc = kt_mtype_field_get(t, w->field, &f, err))) goto out;
    if (w->op == '~') {
      kt_buf_putc(&texts[i], '%');
      for (const char *p = w->value; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\') kt_buf_putc(&texts[i], '\\');
        kt_buf_putc(&texts[i], *p);
      }
      kt_buf_putc(&texts[i], '%');
      kt_buf_printf(&sql, " AND kt_fold(\"%s\") LIKE kt_fold(?%d) ESCAPE '\\'", f->column, i + 1);
      continue;
    }
    if (strchr("=!<>", w->op) == NULL) {
      rc = kt_err_set(err, KT_EINVAL, "bad filter operator '%c'; use = != < > or ~", w->op);
      goto out;
    }
    const char *v = w->value;
    kt_buf me = KT_BUF_INIT;
    if ((f->type == KT_FT_USER) && strcmp(v, "me") == 0) v = s->user;
    if (f->type == KT_FT_REF && *v && !kt_uuid_str_is_valid(v)) {
      if ((rc = resolve_ref(s, f, v, &me, err))) goto out;
      v = kt_buf_str(&me);
    }
    rc = kt_mfield_parse(f, v, &vals[i], err);
    kt_buf_free(&me);
    if (rc) goto out;
    const char *col = f->column;
    if (vals[i].kind == KT_V_NULL) {
      if (w->op != '=' && w->op != '!') {
        rc = kt_err_set(err, KT_EINVAL, "%s: give a value to compare with", f->name);
        goto out;
      }
      kt_buf_printf(&sql, " AND \"%s\" IS %sNULL", col, w->op == '!' ? "NOT " : "");
    } else if (f->type == KT_FT_GROUP && (w->op == '=' || w->op == '!')) {
      kt_buf_printf(&sql,
                    " AND \"%s\" %sIN (WITH RECURSIVE g(name) AS (SELECT ?%d UNION SELECT "
                    "x.name FROM t_group x JOIN g ON x.parent = g.name WHERE x.deleted = 0) "
                    "SELECT name FROM g)",
                    col, w->op == '!' ? "NOT " : "", i + 1);
    } else if ((f->type == KT_FT_TEXT || f->type == KT_FT_LONGTEXT) && (w->op == '=' || w->op == '!')) {
      kt_buf_printf(&sql, " AND kt_fold(\"%s\") %s kt_fold(?%d)", col, w->op == '=' ? "=" : "IS NOT",
                    i + 1);
    } else {
      const char *op = w->op == '=' ? "=" : w->op == '!' ? "IS NOT" : w->op == '<' ? "<" : ">";
      kt_buf_printf(&sql, " AND \"%s\" %s ?%d%s", col, op, i + 1,
                    is_textual(f->type) && (w->op == '<' || w->op == '>') ? " COLLATE kt_coll" : "");
    }
  }
  kt_mfield *sf = NULL;
  if (q->sort && (rc = kt_mtype_field_get(t, q->sort, &sf, err))) goto out;
  order_by(t, sf, q->desc, &sql);
  if (q->limit > 0) kt_buf_printf(&sql, " LIMIT %d OFFSET %d", q->limit, q->offset > 0 ? q->offset : 0);
  if (sql.oom) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  rc = sqlite3_prepare_v2(s->d.db, sql.p, (int)sql.len, &st, NULL);
  if (rc != SQLITE_OK) {
    rc = cl_db_error(&s->d, rc, "building the list query", err);
    goto out;
  }
  for (int i = 0; i < q->nwhere; i++) {
    if (q->where[i].op == '~')
      sqlite3_bind_text(st, i + 1, kt_buf_str(&texts[i]), -1, SQLITE_STATIC);
    else
      kt_rec_bind_value(st, i + 1, &vals[i]);
  }
  rc = walk(s, t, st, cb, ud, err);
out:
  sqlite3_finalize(st);
  for (int i = 0; vals && texts && i < q->nwhere; i++) {
    kt_value_clear(&vals[i]);
    kt_buf_free(&texts[i]);
  }
  free(vals);
  free(texts);
  kt_buf_free(&sql);
  return rc;
}

/* The records that refer to r (live ones only, or those in the trash too). */
static int related_walk(cl_store *s, const cl_rec *r, bool live, cl_rec_cb cb, void *ud,
                        kt_err *err) {
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  for (int i = 0; i < n; i++) {
    kt_mtype *t = &types[i];
    for (int k = 0; k < t->nfields; k++) {
      const kt_mfield *f = &t->fields[k];
      if (f->type != KT_FT_REF || strcmp(f->ref, r->type->def->name) != 0) continue;
      kt_buf sql = KT_BUF_INIT;
      cl_db_select_prefix(t, &sql);
      kt_buf_printf(&sql, " WHERE \"%s\" = ?1%s", f->column, live ? " AND deleted = 0" : "");
      order_by(t, NULL, false, &sql);
      sqlite3_stmt *st = NULL;
      int rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
      kt_buf_free(&sql);
      if (rc != SQLITE_OK) return cl_db_error(&s->d, rc, "reading related records", err);
      sqlite3_bind_text(st, 1, cl_rec_id(r), -1, SQLITE_STATIC);
      rc = walk(s, t, st, cb, ud, err);
      sqlite3_finalize(st);
      if (rc) return rc;
    }
  }
  return 0;
}

int cl_store_related(cl_store *s, const cl_rec *r, cl_rec_cb cb, void *ud, kt_err *err) {
  return related_walk(s, r, true, cb, ud, err);
}

static int on_referrer(void *ud, const cl_rec *r) {
  (void)r;
  *(bool *)ud = true;
  return 1;
}

/* Appends an FTS5 query: every word of the folded text as a quoted prefix
 * term (so punctuation can never form FTS syntax). */
static int fts_query(const char *text, kt_buf *q) {
  kt_buf folded = KT_BUF_INIT;
  if (kt_text_fold(text, strlen(text), &folded)) {
    kt_buf_free(&folded);
    return KT_ENOMEM;
  }
  const unsigned char *p = (const unsigned char *)kt_buf_str(&folded);
  while (*p) {
    while (*p && *p < 0x80 && !isalnum(*p)) p++;
    const unsigned char *start = p;
    while (*p && (*p >= 0x80 || isalnum(*p))) p++;
    if (p > start) {
      if (q->len) kt_buf_putc(q, ' ');
      kt_buf_putc(q, '"');
      kt_buf_append(q, start, (size_t)(p - start));
      kt_buf_puts(q, "\"*");
    }
  }
  kt_buf_free(&folded);
  return q->oom ? KT_ENOMEM : 0;
}

typedef struct hitset {
  int64_t *ids;
  int n, cap;
} hitset;

static int hit_add(hitset *h, int64_t id) {
  for (int i = 0; i < h->n; i++)
    if (h->ids[i] == id) return 0;
  if (h->n == h->cap) {
    int cap = h->cap ? h->cap * 2 : 64;
    int64_t *p = realloc(h->ids, (size_t)cap * sizeof *p);
    if (!p) return KT_ENOMEM;
    h->ids = p;
    h->cap = cap;
  }
  h->ids[h->n++] = id;
  return 0;
}

static int match_into(cl_store *s, cl_st which, const char *query, int64_t lo, int64_t hi,
                      int limit, hitset *h, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, which, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, query, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, lo);
  sqlite3_bind_int64(st, 3, hi);
  sqlite3_bind_int(st, 4, limit);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (hit_add(h, sqlite3_column_int64(st, 0))) {
      sqlite3_reset(st);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "searching", err);
  return 0;
}

int cl_store_search(cl_store *s, const char *text, const char *type, int limit, bool trash,
                    cl_rec_cb cb, void *ud, kt_err *err) {
  if (limit <= 0) limit = 100;
  int64_t lo = 0, hi = INT64_MAX;
  kt_mtype *only = NULL;
  int rc = pend_flush(s, err); /* a search inside a batch sees the batch's records */
  if (rc) return rc;
  if (type) {
    if ((rc = kt_model_type_get(s->model, type, &only, err))) return rc;
    lo = FTS_ROWID(only->def->code, 0);
    hi = FTS_ROWID(only->def->code + 1, 0) - 1;
  }
  kt_buf q = KT_BUF_INIT;
  hitset h = {NULL, 0, 0};
  if ((rc = fts_query(text, &q))) {
    kt_buf_free(&q);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  if (!q.len) {
    kt_buf_free(&q);
    return kt_err_set(err, KT_EINVAL, "nothing to search for: give a word, a name or a phone number");
  }
  /* fetch a margin so that trashed records filtered out below rarely starve the page */
  int want = limit * 2 + 16;
  rc = match_into(s, CL_ST_FTS_MATCH, kt_buf_str(&q), lo, hi, want, &h, err);
  char digits[40];
  int nd = 0;
  for (const char *p = text; *p && nd < 39; p++)
    if (*p >= '0' && *p <= '9') digits[nd++] = *p;
  digits[nd] = '\0';
  if (!rc && nd >= 3) {
    kt_buf pq = KT_BUF_INIT;
    kt_buf_printf(&pq, "\"%s\"", digits);
    rc = match_into(s, CL_ST_PHONE_MATCH, kt_buf_str(&pq), lo, hi, want, &h, err);
    kt_buf_free(&pq);
  }
  kt_buf_free(&q);
  int shown = 0;
  for (int i = 0; !rc && i < h.n && shown < limit; i++) {
    int code = (int)(h.ids[i] >> 40);
    int64_t rowid = h.ids[i] & ((1ll << 40) - 1);
    kt_mtype *t = kt_model_type_by_code(s->model, code);
    if (!t || (t->def->flags & KT_TF_CONFIG && t != only)) continue;
    sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ROWID, err);
    if (!st) {
      rc = KT_EDB;
      break;
    }
    sqlite3_bind_int64(st, 1, rowid);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
      cl_rec *r = cl_rec_new(t);
      if (!r) {
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      } else {
        kt_rec_load(r, st);
        if (cl_rec_deleted(r) == trash) {
          shown++;
          if (cb(ud, r)) shown = limit;
        }
        cl_rec_free(r);
      }
    } else if (src != SQLITE_DONE) {
      rc = cl_db_error(&s->d, src, "searching", err);
    }
    sqlite3_reset(st);
  }
  free(h.ids);
  return rc;
}

int cl_store_meta_get(cl_store *s, const char *key, kt_buf *out, kt_err *err) {
  return cl_db_meta_get_text(&s->d, key, out, err);
}

int cl_store_meta_set(cl_store *s, const char *key, const char *value, kt_err *err) {
  /* settings rewritten with the same value on every connection (role, epoch,
     cursor) would otherwise cost a synced commit each */
  kt_buf cur = KT_BUF_INIT;
  bool same = value && cl_db_meta_get_text(&s->d, key, &cur, NULL) == 0 && !cur.oom &&
              strcmp(kt_buf_str(&cur), value) == 0;
  kt_buf_free(&cur);
  return same ? 0 : cl_db_meta_set_text(&s->d, key, value, err);
}

int cl_store_outbox_count(cl_store *s, int64_t *n, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_COUNT, err);
  if (!st) return KT_EDB;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : cl_db_error(&s->d, rc, "reading the outbox", err);
}

typedef struct reindex_ctx {
  cl_store *s;
  kt_err *err;
  int rc;
} reindex_ctx;

static int reindex_one(void *ud, const cl_rec *r) {
  reindex_ctx *c = ud;
  c->rc = index_update(c->s, NULL, r, c->err);
  return c->rc;
}

int cl_store_reindex(cl_store *s, kt_err *err) {
  int rc = tx_begin(s, err);
  if (rc) return rc;
  pend_drop(s); /* every record is indexed again below */
  rc = sqlite3_exec(s->d.db,
                    "INSERT INTO fts(fts) VALUES('delete-all'); "
                    "INSERT INTO fts_phone(fts_phone) VALUES('delete-all');",
                    NULL, NULL, NULL);
  if (rc != SQLITE_OK) rc = cl_db_error(&s->d, rc, "clearing the search index", err);
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  for (int i = 0; !rc && i < n; i++) {
    for (int trash = 0; !rc && trash < 2; trash++) {
      cl_query q = {.type = types[i].def->name, .trash = trash};
      reindex_ctx c = {s, err, 0};
      /* config types are not user-facing for kt_model_type_get: walk directly */
      kt_buf sql = KT_BUF_INIT;
      cl_db_select_prefix(&types[i], &sql);
      kt_buf_printf(&sql, " WHERE deleted = %d", q.trash ? 1 : 0);
      sqlite3_stmt *st = NULL;
      rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
      kt_buf_free(&sql);
      if (rc != SQLITE_OK) {
        rc = cl_db_error(&s->d, rc, "reindexing", err);
        break;
      }
      rc = walk(s, &types[i], st, reindex_one, &c, err);
      sqlite3_finalize(st);
      if (!rc) rc = c.rc;
    }
  }
  return tx_end(s, rc, err);
}

/* ---- office model: custom fields, labels, sections ------------------------------------- */

/* Finds the live config record of `type` (field_def/section) whose fields
 * etype (and name) match. *out NULL when none. */
static int find_config(cl_store *s, const char *ctype, const char *etype, const char *name,
                       cl_rec **out, kt_err *err) {
  *out = NULL;
  kt_mtype *t = kt_model_type(s->model, ctype);
  kt_buf sql = KT_BUF_INIT;
  cl_db_select_prefix(t, &sql);
  kt_buf_puts(&sql, " WHERE deleted = 0 AND etype = ?1");
  if (name) kt_buf_puts(&sql, " AND name = ?2");
  kt_buf_puts(&sql, " ORDER BY rowid LIMIT 1");
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
  kt_buf_free(&sql);
  if (rc != SQLITE_OK) return cl_db_error(&s->d, rc, "reading settings", err);
  sqlite3_bind_text(st, 1, etype, -1, SQLITE_STATIC);
  if (name) sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    cl_rec *r = cl_rec_new(t);
    if (!r) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    else {
      kt_rec_load(r, st);
      *out = r;
      rc = 0;
    }
  } else {
    rc = rc == SQLITE_DONE ? 0 : cl_db_error(&s->d, rc, "reading settings", err);
  }
  sqlite3_finalize(st);
  return rc;
}

static int set_text(cl_rec *r, const char *field, const char *v) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  kt_value *val = &r->v[r->type->pos[f->vidx]];
  if (!v) return 0;
  if (!*v) {
    kt_value_clear(val);
    return 0;
  }
  return kt_value_set_text(val, v, strlen(v));
}

static void set_int(cl_rec *r, const char *field, int64_t v) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  kt_value_set_int(&r->v[r->type->pos[f->vidx]], v);
}

/* Writes a config record (new or edited) and re-applies it to the model. */
static int config_write(cl_store *s, cl_rec *old, cl_rec *r, kt_err *err) {
  if (old) return edit_locked(s, old, r, NULL, err);
  return add_rec_locked(s, r, err);
}

int cl_store_field_add(cl_store *s, const char *type, const char *name, const char *label,
                       const char *ftype, const char *choices, kt_err *err) {
  kt_mtype *t;
  int rc = kt_model_type_get(s->model, type, &t, err);
  if (rc) return rc;
  if (kt_mtype_field(t, name ? name : ""))
    return kt_err_set(err, KT_EEXISTS, "%s already has a field named %s; choose another name "
                      "(or rename its label with `kartoteka field label`)", type, name);
  if (!ftype || !*ftype)
    return kt_err_set(err, KT_EINVAL, "give the field's type with --type (text, number, date, "
                      "choice, ...)");
  if (strcmp(ftype, "choice") == 0 && (!choices || !*choices))
    return kt_err_set(err, KT_EINVAL, "a choice field needs its list: --choices 'a,b,c'");
  /* validate on a scratch model first so that a bad definition writes nothing */
  kt_model *scratch;
  if ((rc = kt_model_new(&scratch, err))) return rc;
  bool added;
  rc = kt_model_apply_field_def(scratch, type, name, label, ftype, choices, false, &added, err);
  if (!rc && choices && *choices)
    rc = kt_mfield_choices_check(kt_mtype_field(kt_model_type(scratch, type), name), type, choices,
                                 err);
  kt_model_free(scratch);
  if (rc) return rc;
  cl_rec *r = cl_rec_new(kt_model_type(s->model, "field_def"));
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (set_text(r, "etype", type) || set_text(r, "name", name) || set_text(r, "label", label) ||
      set_text(r, "ftype", ftype) || set_text(r, "choices", choices)) {
    cl_rec_free(r);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  if ((rc = tx_begin(s, err))) {
    cl_rec_free(r);
    return rc;
  }
  rc = config_write(s, NULL, r, err);
  if (!rc) rc = kt_model_apply_field_def(s->model, type, name, label, ftype, choices, false,
                                         &added, err);
  if (!rc && added) rc = cl_db_add_column(&s->d, t, kt_mtype_field(t, name), err);
  rc = tx_end(s, rc, err);
  cl_rec_free(r);
  return rc;
}

int cl_store_field_set(cl_store *s, const char *type, const char *name, const char *label,
                       const char *choices, int hidden, kt_err *err) {
  kt_mtype *t;
  kt_mfield *f;
  int rc = kt_model_type_get(s->model, type, &t, err);
  if (rc || (rc = kt_mtype_field_get(t, name, &f, err))) return rc;
  /* codes and labels well formed, and the codes the program keys on kept */
  if (choices && *choices && (rc = kt_mfield_choices_check(f, type, choices, err))) return rc;
  cl_rec *old = NULL, *r = NULL;
  if ((rc = tx_begin(s, err))) return rc;
  if ((rc = find_config(s, "field_def", type, name, &old, err))) goto out;
  if (old) rc = clone_rec(old, &r, err);
  else if (!(r = cl_rec_new(kt_model_type(s->model, "field_def"))))
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (rc) goto out;
  if (!old && (set_text(r, "etype", type) || set_text(r, "name", name))) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  if (set_text(r, "label", label) || set_text(r, "choices", choices)) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  if (hidden >= 0) set_int(r, "hidden", hidden);
  if ((rc = config_write(s, old, r, err))) goto out;
  bool added;
  kt_mtype *ft = r->type;
  const kt_value *lv = &r->v[ft->pos[kt_mtype_field(ft, "label")->vidx]];
  const kt_value *cv = &r->v[ft->pos[kt_mtype_field(ft, "choices")->vidx]];
  const kt_value *hv = &r->v[ft->pos[kt_mtype_field(ft, "hidden")->vidx]];
  rc = kt_model_apply_field_def(s->model, type, name, lv->kind == KT_V_TEXT ? lv->s : NULL, NULL,
                                cv->kind == KT_V_TEXT ? cv->s : NULL,
                                hv->kind == KT_V_INT && hv->i, &added, err);
out:
  rc = tx_end(s, rc, err);
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

int cl_store_section_set(cl_store *s, const char *type, const char *label, int hidden,
                         kt_err *err) {
  kt_mtype *t;
  int rc = kt_model_type_get(s->model, type, &t, err);
  if (rc) return rc;
  cl_rec *old = NULL, *r = NULL;
  if ((rc = tx_begin(s, err))) return rc;
  if ((rc = find_config(s, "section", type, NULL, &old, err))) goto out;
  if (old) rc = clone_rec(old, &r, err);
  else if (!(r = cl_rec_new(kt_model_type(s->model, "section"))))
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (rc) goto out;
  if ((!old && set_text(r, "etype", type)) || set_text(r, "label", label)) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  if (hidden >= 0) set_int(r, "hidden", hidden);
  if ((rc = config_write(s, old, r, err))) goto out;
  kt_mtype *st = r->type;
  const kt_value *lv = &r->v[st->pos[kt_mtype_field(st, "label")->vidx]];
  const kt_value *hv = &r->v[st->pos[kt_mtype_field(st, "hidden")->vidx]];
  rc = kt_model_apply_section(s->model, type, lv->kind == KT_V_TEXT ? lv->s : NULL,
                              hv->kind == KT_V_INT && hv->i, err);
out:
  rc = tx_end(s, rc, err);
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

/* ---- sync support ---------------------------------------------------------------------- */

typedef struct devname {
  uint32_t idx;
  char uuid[KT_UUID_STRLEN + 1];
} devname;

static int dev_load(cl_store *s, kt_err *err) {
  if (s->ndevs) return 0;
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_DEVICE_ALL, err);
  if (!st) return KT_EDB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (s->ndevs == s->capdevs) {
      int cap = s->capdevs ? s->capdevs * 2 : 16;
      devname *p = realloc(s->devs, (size_t)cap * sizeof *p);
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

static int dev_index(cl_store *s, const char *uuid, uint32_t *idx, kt_err *err) {
  int rc = dev_load(s, err);
  if (rc) return rc;
  for (int i = 0; i < s->ndevs; i++)
    if (strcmp(s->devs[i].uuid, uuid) == 0) {
      *idx = s->devs[i].idx;
      return 0;
    }
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_DEVICE_ADD, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  if ((rc = cl_db_step_done(&s->d, st, err))) return rc;
  s->ndevs = 0; /* reload with the new row */
  *idx = (uint32_t)sqlite3_last_insert_rowid(s->d.db);
  return dev_load(s, err);
}

int cl_store_outbox_walk(cl_store *s, int max, cl_outbox_cb cb, void *ud, kt_err *err) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->d.db,
                              "SELECT seq, tcode, rid, fields, base FROM outbox WHERE hold = 0 "
                              "ORDER BY seq LIMIT ?1",
                              -1, &st, NULL);
  if (rc != SQLITE_OK) return cl_db_error(&s->d, rc, "reading the outbox", err);
  sqlite3_bind_int(st, 1, max);
  rc = 0;
  while (!rc && sqlite3_step(st) == SQLITE_ROW) {
    cl_outbox_item it;
    memset(&it, 0, sizeof it);
    it.seq = sqlite3_column_int64(st, 0);
    kt_mtype *t = kt_model_type_by_code(s->model, sqlite3_column_int(st, 1));
    kt_fset_decode(sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3), &it.fields);
    kt_vers_decode(sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), &it.base);
    if (!t) continue;
    sqlite3_stmt *rs = cl_db_tst(&s->d, t, CL_TST_BY_ROWID, err);
    if (!rs) {
      rc = KT_EDB;
      break;
    }
    sqlite3_bind_int64(rs, 1, sqlite3_column_int64(st, 2));
    if (sqlite3_step(rs) == SQLITE_ROW) {
      it.rec_copy = cl_rec_new(t);
      if (!it.rec_copy) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      else kt_rec_load(it.rec_copy, rs);
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
  sqlite3_finalize(st);
  return rc;
}

int cl_store_outbox_ack(cl_store *s, const int64_t *seqs, size_t n, kt_err *err) {
  int rc = tx_begin(s, err);
  if (rc) return rc;
  for (size_t i = 0; !rc && i < n; i++) {
    sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_OUTBOX_DEL, err);
    if (!st) {
      rc = KT_EDB;
      break;
    }
    sqlite3_bind_int64(st, 1, seqs[i]);
    rc = cl_db_step_done(&s->d, st, err);
  }
  return tx_end(s, rc, err);
}

/* Re-applies a synced field_def/section record to the model (new custom
 * fields get their column). */
static int apply_config(cl_store *s, const cl_rec *r, kt_err *err) {
  kt_mtype *t = r->type;
#define TXT(name) \
  (r->v[t->pos[kt_mtype_field(t, name)->vidx]].kind == KT_V_TEXT ? r->v[t->pos[kt_mtype_field(t, name)->vidx]].s : NULL)
  const kt_value *hv = &r->v[t->pos[kt_mtype_field(t, "hidden")->vidx]];
  bool hidden = hv->kind == KT_V_INT && hv->i;
  if (strcmp(t->def->name, "section") == 0)
    return kt_model_apply_section(s->model, TXT("etype"), TXT("label"), hidden, err);
  bool added = false;
  int rc = kt_model_apply_field_def(s->model, TXT("etype"), TXT("name"), TXT("label"), TXT("ftype"),
                                    TXT("choices"), hidden, &added, err);
  if (rc || !added) return rc;
  kt_mtype *et = kt_model_type(s->model, TXT("etype"));
  return cl_db_add_column(&s->d, et, kt_mtype_field(et, TXT("name")), err);
#undef TXT
}

int cl_store_apply(cl_store *s, const Kartoteka__Change *ch, kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, ch->type);
  if (!t) {
    kt_log_warn("sync", "skipping a change of unknown type %s (update Kartoteka)", ch->type);
    return 0;
  }
  /* new records' index entries stay queued (index_update flushes before it
     touches an existing record's entries) */
  int rc = 0;
  cl_rec *old = NULL, *r = NULL;
  sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ID, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
  int src = sqlite3_step(st);
  if (src == SQLITE_ROW && (old = cl_rec_new(t))) kt_rec_load(old, st);
  sqlite3_reset(st);
  if (src != SQLITE_ROW && src != SQLITE_DONE) return cl_db_error(&s->d, src, "reading a card", err);
  if (src == SQLITE_ROW && !old) return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (old) rc = clone_rec(old, &r, err);
  else if (!(r = cl_rec_new(t))) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  else if (kt_value_set_text(&r->v[KT_F_ID], ch->id, strlen(ch->id))) rc = KT_ENOMEM;
  bool any = false;
  for (size_t i = 0; !rc && i < ch->n_fields; i++) {
    const Kartoteka__FieldValue *fv = ch->fields[i];
    kt_mfield *f = kt_mtype_field(t, fv->name);
    if (!f) {
      /* a custom field this process has not seen yet: its definition arrived
         earlier in the feed, so it must exist — never skip data silently */
      rc = kt_err_set(err, KT_EVERSION, "a change has the unknown field %s.%s; sync again (or "
                      "update Kartoteka)", ch->type, fv->name);
      break;
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
      kt_log_warn("sync", "skipping a bad value of %s.%s: %s", ch->type, fv->name, verr.msg);
      continue;
    }
    kt_fver *cur = &r->vers.f[f->vidx];
    const char *cur_dev = cur->stamp ? cl_store_devname(s, cur->dev) : "";
    kt_hlc_recv(&s->hlc, fv->stamp, 0, NULL);
    if (kt_merge_cmp(fv->stamp, fv->device, cur->stamp, cur_dev) > 0) {
      uint32_t idx;
      if ((rc = dev_index(s, fv->device, &idx, err))) {
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
  if (!rc && any) {
    kt_value_set_int(&r->v[KT_F_UPDATED], (int64_t)KT_STAMP_MS(kt_vers_max(&r->vers)));
    rc = row_write(s, r, old == NULL, err);
    if (!rc) rc = index_update(s, old, r, err);
    if (!rc && (strcmp(t->def->name, "field_def") == 0 || strcmp(t->def->name, "section") == 0))
      rc = apply_config(s, r, err);
  }
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

int cl_store_apply_unsent(cl_store *s, const Kartoteka__Change *ch, int *queued, kt_err *err) {
  *queued = 0;
  kt_mtype *t = kt_model_type(s->model, ch->type);
  if (!t) return kt_err_set(err, KT_EINVAL, "unknown type %s", ch->type);
  /* only this device's values of fields this replica knows (a custom field
     whose definition is lost everywhere cannot be kept) */
  Kartoteka__Change own = *ch;
  own.fields = calloc(ch->n_fields ? ch->n_fields : 1, sizeof *own.fields);
  if (!own.fields) return kt_err_set(err, KT_ENOMEM, "out of memory");
  own.n_fields = 0;
  for (size_t i = 0; i < ch->n_fields; i++)
    if (kt_mtype_field(t, ch->fields[i]->name) && strcmp(ch->fields[i]->device, s->device) == 0)
      own.fields[own.n_fields++] = ch->fields[i];
  cl_rec *before = NULL, *r = NULL;
  int rc = own.n_fields ? tx_begin(s, err) : 0;
  if (!own.n_fields) goto out;
  if ((rc = locate(s, own.id, &before, err)) == KT_ENOTFOUND) rc = 0;
  if (!rc && !(rc = cl_store_apply(s, &own, err)) &&
      (rc = locate(s, own.id, &r, err)) == KT_ENOTFOUND)
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
  if (!rc && r && !kt_fset_empty(&set)) rc = outbox_note(s, r, &set, &base, err);
  rc = tx_end(s, rc, err);
out:
  cl_rec_free(before);
  cl_rec_free(r);
  free(own.fields);
  if (rc) *queued = 0;
  return rc;
}

int cl_store_outbox_floor(cl_store *s, int64_t seq, kt_err *err) {
  int rc = tx_begin(s, err);
  if (rc) return rc;
  /* AUTOINCREMENT numbers continue above the highest seq in sqlite_sequence */
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->d.db, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'", -1, &st,
                         NULL) != SQLITE_OK)
    rc = cl_db_error(&s->d, sqlite3_errcode(s->d.db), "reading the change counter", err);
  bool has = !rc && sqlite3_step(st) == SQLITE_ROW;
  int64_t cur = has ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (!rc && seq > cur) {
    const char *sql = has ? "UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'outbox'"
                          : "INSERT INTO sqlite_sequence(name, seq) VALUES ('outbox', ?1)";
    if (sqlite3_prepare_v2(s->d.db, sql, -1, &st, NULL) != SQLITE_OK) {
      rc = cl_db_error(&s->d, sqlite3_errcode(s->d.db), "setting the change counter", err);
    } else {
      sqlite3_bind_int64(st, 1, seq);
      rc = cl_db_step_done(&s->d, st, err);
      sqlite3_finalize(st);
    }
  }
  return tx_end(s, rc, err);
}

int cl_store_dump(cl_store *s, kt_buf *out, kt_err *err) {
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  int rc = 0;
  for (int i = 0; !rc && i < n; i++) {
    kt_mtype *t = &types[i];
    kt_buf sql = KT_BUF_INIT;
    cl_db_select_prefix(t, &sql);
    kt_buf_puts(&sql, " ORDER BY id");
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
    kt_buf_free(&sql);
    if (rc != SQLITE_OK) {
      rc = cl_db_error(&s->d, rc, "dumping", err);
      break;
    }
    rc = 0;
    cl_rec *r = cl_rec_new(t);
    while (r && sqlite3_step(st) == SQLITE_ROW) {
      kt_rec_load(r, st);
      kt_rec_dump_line(r, cl_store_devname, s, out);
    }
    cl_rec_free(r);
    sqlite3_finalize(st);
  }
  return rc;
}

static int schema_version(cl_store *s, int64_t *v) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->d.db, "PRAGMA schema_version", -1, &st, NULL);
  if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) *v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_OK ? 0 : KT_EDB;
}

int cl_store_refresh(cl_store *s, kt_err *err) {
  int64_t v = 0;
  if (schema_version(s, &v)) return cl_db_error(&s->d, sqlite3_errcode(s->d.db), "reading the schema", err);
  if (v == s->schema_seen && !s->model_stale) return 0;
  kt_model *m = NULL;
  int rc = kt_model_new(&m, err);
  if (rc) return rc;
  kt_model *old = s->model;
  s->model = m;
  s->d.model = m;
  rc = load_model(s, err);
  if (rc) {
    s->model = old;
    s->d.model = old;
    kt_model_free(m);
    return rc;
  }
  kt_model_free(old);
  s->schema_seen = v;
  s->model_stale = false;
  return 0;
}

struct cl_db *cl_store_db(cl_store *s) { return &s->d; }

int cl_store_add_with_id(cl_store *s, const char *type, const char *id, const cl_set *sets, int n,
                         kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, type);
  if (!t) return kt_err_set(err, KT_EINVAL, "unknown type '%s'", type);
  if (!kt_uuid_str_is_valid(id)) return kt_err_set(err, KT_EINVAL, "bad id '%s'", id);
  cl_rec *r = cl_rec_new(t);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  kt_fset set = {{0, 0}};
  int rc = tx_begin(s, err);
  if (!rc) {
    if (kt_value_set_text(&r->v[KT_F_ID], id, strlen(id))) rc = KT_ENOMEM;
    if (!rc) rc = apply_sets(s, r, sets, n, &set, err);
    if (!rc) rc = add_rec_locked(s, r, err);
    rc = tx_end(s, rc, err);
  }
  cl_rec_free(r);
  return rc;
}

int64_t cl_store_data_version(cl_store *s) {
  int64_t v = 0;
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_DATA_VERSION, NULL);
  if (st && sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  if (st) sqlite3_reset(st);
  return v + s->commits;
}

int cl_store_server_restored(cl_store *s, kt_err *err) {
  int rc = tx_begin(s, err);
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
    while (!rc && r && sqlite3_step(st) == SQLITE_ROW) {
      kt_rec_load(r, st);
      entry_state es;
      if ((rc = outbox_state(s, r, &es, err))) break;
      if (es.hold == 1) continue; /* parked: never sent, so the server cannot have lost it */
      kt_fset own = {{0, 0}};
      for (int k = 0; k < KT_MAX_FIELDS; k++)
        if (r->vers.f[k].stamp && r->vers.f[k].dev == s->selfdev) kt_fset_add(&own, k);
      if (!kt_fset_empty(&own)) rc = outbox_note(s, r, &own, &r->vers, err);
    }
    cl_rec_free(r);
    sqlite3_finalize(st);
  }
  if (!rc) rc = cl_db_meta_set_text(&s->d, "pull_seq", "0", err);
  return tx_end(s, rc, err);
}

int cl_store_outbox_refused(cl_store *s, const cl_refusal *r, size_t n, kt_err *err) {
  int rc = tx_begin(s, err);
  if (rc) return rc;
  sqlite3_stmt *get = NULL;
  rc = sqlite3_prepare_v2(s->d.db, "SELECT tcode, rid, fields, base FROM outbox WHERE seq = ?1", -1,
                          &get, NULL);
  if (rc != SQLITE_OK) rc = cl_db_error(&s->d, rc, "renumbering the outbox", err);
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
    if (!st) rc = KT_EDB;
    else {
      sqlite3_bind_int64(st, 1, r[i].seq);
      rc = cl_db_step_done(&s->d, st, err);
    }
    if (!rc && !(st = cl_db_st(&s->d, CL_ST_OUTBOX_ADD, err))) rc = KT_EDB;
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
  sqlite3_finalize(get);
  return tx_end(s, rc, err);
}

/* ---- revocation: records that are no longer the user's to see -------------------------- */

/* Removes the row rowid of type t and its search entries; keep_unsent: leave
 * it when it has unsent changes (the server decides on them at the next push). */
static int remove_row(cl_store *s, kt_mtype *t, int64_t rowid, bool keep_unsent, bool *removed,
                      kt_err *err) {
  *removed = false;
  sqlite3_stmt *st;
  if (keep_unsent) {
    if (!(st = cl_db_st(&s->d, CL_ST_OUTBOX_HAS, err))) return KT_EDB;
    sqlite3_bind_int(st, 1, t->def->code);
    sqlite3_bind_int64(st, 2, rowid);
    bool unsent = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (unsent) return 0;
  }
  if (!(st = cl_db_tst(&s->d, t, CL_TST_BY_ROWID, err))) return KT_EDB;
  sqlite3_bind_int64(st, 1, rowid);
  cl_rec *old = NULL;
  int src = sqlite3_step(st);
  if (src == SQLITE_ROW && (old = cl_rec_new(t))) kt_rec_load(old, st);
  sqlite3_reset(st);
  if (src != SQLITE_ROW) return src == SQLITE_DONE ? 0 : cl_db_error(&s->d, src, "reading a card", err);
  if (!old) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = index_update(s, old, NULL, err);
  cl_rec_free(old);
  if (rc) return rc;
  if (!(st = cl_db_tst(&s->d, t, CL_TST_DELETE, err))) return KT_EDB;
  sqlite3_bind_int64(st, 1, rowid);
  if ((rc = cl_db_step_done(&s->d, st, err))) return rc;
  if (!(st = cl_db_st(&s->d, CL_ST_OUTBOX_FORGET, err))) return KT_EDB;
  sqlite3_bind_int(st, 1, t->def->code);
  sqlite3_bind_int64(st, 2, rowid);
  if ((rc = cl_db_step_done(&s->d, st, err))) return rc;
  *removed = true;
  s->purge_needed = true;
  return 0;
}

int cl_store_revoke(cl_store *s, const char *type, const char *id, kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, type ? type : "");
  if (!t || !id) return 0;
  int rc = tx_begin(s, err);
  if (rc) return rc;
  sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ID, err);
  if (!st) return tx_end(s, KT_EDB, err);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int64_t rowid = 0;
  if (sqlite3_step(st) == SQLITE_ROW) rowid = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  bool removed = false;
  if (rowid) rc = remove_row(s, t, rowid, false, &removed, err);
  return tx_end(s, rc, err);
}

int cl_store_wipe(cl_store *s, bool keep_unsent, kt_err *err) {
  int rc = tx_begin(s, err);
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
      rc = KT_EDB;
      break;
    }
    int64_t *rows = NULL;
    size_t nr = 0, cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (nr == cap) {
        cap = cap ? cap * 2 : 256;
        int64_t *p = realloc(rows, cap * sizeof *p);
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
  return tx_end(s, rc, err); /* remove_row asked for a purge if it removed anything */
}

int cl_store_purge(cl_store *s, bool force, kt_err *err) {
  if (!s->purge_needed && !force) return 0;
  if (s->in_batch) return kt_err_set(err, KT_EINVAL, "purge inside a batch");
  /* merging every search-index segment drops the entries of deleted rows for
     good (secure_delete zeroes the freed pages); the checkpoint copies the
     pages into the database and empties the WAL, which still held old copies */
  int rc = sqlite3_exec(s->d.db,
                        "INSERT INTO fts(fts) VALUES('optimize'); "
                        "INSERT INTO fts_phone(fts_phone) VALUES('optimize');",
                        NULL, NULL, NULL);
  if (rc != SQLITE_OK) return cl_db_error(&s->d, rc, "cleaning the search index", err);
  rc = sqlite3_wal_checkpoint_v2(s->d.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
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
  int rc = tx_begin(s, err);
  if (rc) return rc;
  sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ID, err);
  if (!st) return tx_end(s, KT_EDB, err);
  sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
  int64_t rowid = 0;
  if (sqlite3_step(st) == SQLITE_ROW) rowid = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  bool removed = false;
  if (rowid) rc = remove_row(s, t, rowid, false, &removed, err);
  if (!rc) rc = cl_store_apply(s, ch, err);
  return tx_end(s, rc, err);
}
