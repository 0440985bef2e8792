/* cl_store — the local card index (see cl_store.h): opening and creating a
 * replica, loading the office model, closing, batches and transactions (with
 * the search-index merge each commit owes), meta values and model access.
 * The other parts of the store live in cl_store_*.c and share struct cl_store
 * through cl_store_int.h. */
#include "cl_store_int.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t saved_debt(cl_store *s);

static int schema_version(cl_store *s, int64_t *v);

/* ---- records ------------------------------------------------------------------ */

void cl_rec_title(const cl_rec *r, kt_buf *out) { kt_rec_title(r, out); }

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
      rc = cl_db_st_rc(&d);
    }
  }
  if (!rc && sqlite3_exec(d.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = cl_db_error(&d, sqlite3_errcode(d.db), "cannot create the card index", err);
  if (rc) cl_db_rollback(&d);
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
    if (!st) return cl_db_st_rc(&s->d);
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
  if (!st) return cl_db_st_rc(&s->d);
  int rc;
  fdef_row *defs = NULL;
  size_t n = 0, cap = 0;
  bool oom = false;
  while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      fdef_row *p = kt_realloc(defs, cap * sizeof *p);
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
      if (v && !(d->col[c] = kt_strdup(v))) oom = true;
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
  if (!(st = cl_db_st(&s->d, CL_ST_SECTIONS, err))) return cl_db_st_rc(&s->d);
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
  if (!st) return cl_db_st_rc(&s->d);
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
  cl_store *s = kt_calloc(1, sizeof *s);
  if (!s) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = cl_db_open(&s->d, path, false, o.readonly, o.busy_ms,
                      o.locale ? o.locale : default_locale(), err);
  if (rc) {
    free(s);
    return rc;
  }
  s->readonly = o.readonly;
  const char *unknown = getenv("KT_TEST_UNKNOWN_FIELDS"); /* cl__field_known */
  if (unknown && *unknown && !(s->test_unknown = kt_strdup(unknown))) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto fail;
  }
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
  s->saved_debt = saved_debt(s);
  if ((rc = self_device(s, err)) || (rc = load_model(s, err)) ||
      (rc = cl_db_check_schema(&s->d, err)))
    goto fail;
  if (!s->readonly) { /* values kept by an older version of this program, or before a definition */
    if (!(rc = cl__tx_begin(s, err))) rc = cl__kept_promote(s, err);
    if ((rc = cl__tx_end(s, rc, err))) goto fail;
    if ((rc = cl__sortix_check(s, err))) goto fail; /* just migrated, or ICU upgraded */
  }
  schema_version(s, &s->schema_seen);
  cl__load_rights(s);
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
  kt_buf_free(&s->skq_keys);
  free(s->skq);
  cl__kcache_free(s->skq_kc);
  free(s->devs);
  kt_collator_free(s->skcoll);
  cl_db_close(&s->d);
  kt_model_free(s->model);
  free(s->test_unknown);
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


/* After a rollback: what the transaction added to the in-memory state is gone
 * from the database again and must be read from it anew — device numbers (a
 * cached number whose row was rolled back would be written into versions and
 * later given to another device) now, the model (custom fields of applied
 * definitions, whose columns are gone) at the next cl_store_refresh: a sync
 * round starts with it, and nothing may hold the old model's types until then. */
static void rolled_back(cl_store *s) {
  cl__pend_drop(s);
  s->tx_fts_bytes = 0;
  s->ndevs = 0;
  s->model_stale = true;
}

int cl__tx_begin(cl_store *s, kt_err *err) {
  if (s->readonly)
    return kt_err_set(err, KT_EPERM, "this connection to the card index is read-only");
  if (s->in_batch) return 0;
  int rc = cl__sync_full(s, err); /* a synced commit for everything but pulled data */
  if (rc) return rc;
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_BEGIN, err);
  if (!st) return cl_db_st_rc(&s->d);
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
    if (!st) return cl_db_st_rc(&s->d);
    sqlite3_bind_int64(st, 1, pages);
    int rc = cl_db_step_done(&s->d, st, err);
    if (rc) return rc;
  }
  return 0;
}

/* The merge debt a bulk import left in the file ("fts_merge_debt"; 0 when
 * none): kept with the data, so whichever program opens the card index next
 * pays it, when idle (cl_store_maintain) or a little at every commit. */
static int64_t saved_debt(cl_store *s) {
  int64_t v = 0;
  if (cl_db_meta_get_int(&s->d, "fts_merge_debt", &v, NULL) != 0 || v < 0) v = 0;
  return v;
}

/* What an ordinary commit pays of the saved debt beyond its own merge: a few
 * ms, so an edit right after an import of 100,000 rows stays an edit. */
#define SAVED_DEBT_PER_COMMIT 64

/* The merge this commit owes, done now, or left as debt: a live update's (see
 * cl_store_begin_pulled) in memory for cl_store_maintain or the next ordinary
 * commit; a bulk import's (cl_store_defer_merge) saved in the file in the
 * same transaction. */
static int fts_merge_step(cl_store *s, kt_err *err) {
  if (!s->tx_fts_bytes && !s->merge_debt && !s->saved_debt) return 0;
  int64_t pages = s->tx_fts_bytes ? 4 + (int64_t)(s->tx_fts_bytes / 2048) : 0;
  s->tx_fts_bytes = 0;
  if (s->bulk_merge) {
    s->saved_debt = saved_debt(s) + pages + s->merge_debt;
    s->merge_debt = 0;
    return cl_db_meta_set_int(&s->d, "fts_merge_debt", s->saved_debt, err);
  }
  if (s->defer_merge) {
    s->merge_debt += pages;
    return 0;
  }
  pages += s->merge_debt;
  s->merge_debt = 0;
  int64_t paid = 0;
  if (s->saved_debt) { /* what this program knows of; cl_store_maintain reads it again */
    paid = s->saved_debt < SAVED_DEBT_PER_COMMIT ? s->saved_debt : SAVED_DEBT_PER_COMMIT;
    pages += paid;
  }
  int rc = fts_merge(s, pages, err);
  if (!rc && paid) {
    s->saved_debt = saved_debt(s) - paid;
    if (s->saved_debt < 0) s->saved_debt = 0;
    rc = cl_db_meta_set_int(&s->d, "fts_merge_debt", s->saved_debt, err);
  }
  return rc;
}

static int tx_commit(cl_store *s, kt_err *err) {
  s->commits++;
  int rc = cl__pend_commit(s, err);
  if (!rc) rc = fts_merge_step(s, err);
  if (!rc) rc = persist_hlc(s, err);
  sqlite3_stmt *st = rc ? NULL : cl_db_st(&s->d, CL_ST_COMMIT, err);
  if (st) rc = cl_db_step_done(&s->d, st, err);
  else if (!rc) rc = cl_db_st_rc(&s->d);
  if (rc) {
    rolled_back(s);
    cl_db_rollback(&s->d);
    int64_t h = 0;
    if (cl_db_meta_get_int(&s->d, "hlc", &h, NULL) == 0) s->hlc_saved = (kt_stamp)h;
  }
  return rc;
}

int cl__tx_end(cl_store *s, int rc, kt_err *err) {
  if (s->in_batch) return rc;
  if (rc) {
    rolled_back(s);
    cl_db_rollback(&s->d);
    return rc;
  }
  return tx_commit(s, err);
}

int cl_store_begin(cl_store *s, kt_err *err) {
  if (s->in_batch) return kt_err_set(err, KT_EINVAL, "a batch is already open");
  int rc = cl__tx_begin(s, err);
  if (!rc) s->in_batch = true;
  return rc;
}

static int set_synchronous(cl_store *s, cl_st which, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, which, err);
  return st ? cl_db_step_done(&s->d, st, err) : cl_db_st_rc(&s->d);
}

int cl__sync_full(cl_store *s, kt_err *err) {
  if (!s->sync_lowered) return 0;
  int rc = set_synchronous(s, CL_ST_SYNC_FULL, err);
  if (!rc) s->sync_lowered = false;
  return rc;
}

int cl_store_begin_pulled(cl_store *s, bool live, kt_err *err) {
  if (s->in_batch) return kt_err_set(err, KT_EINVAL, "a batch is already open");
  /* outside a transaction, as SQLite wants; until FULL is back (end_relaxed, or
     the next transaction's cl__tx_begin) no local edit may commit */
  int rc = set_synchronous(s, CL_ST_SYNC_NORMAL, err);
  if (!rc) rc = cl_store_begin(s, err);
  s->sync_lowered = true;
  if (rc) {
    cl__sync_full(s, NULL);
  } else {
    s->relaxed = true;
    s->defer_merge = live;
  }
  return rc;
}

static void end_relaxed(cl_store *s) {
  s->defer_merge = false;
  s->bulk_merge = false;
  if (!s->relaxed) return;
  s->relaxed = false;
  cl__sync_full(s, NULL); /* else retried before the next transaction */
}

int cl_store_defer_merge(cl_store *s, kt_err *err) {
  if (!s->in_batch) return kt_err_set(err, KT_EINVAL, "no batch is open");
  s->bulk_merge = true;
  return 0;
}

/* The most of a bulk import's saved debt one cl_store_maintain pays (a
 * 100,000-row import owes about 4,200 pages), so that a command queued behind
 * it never waits for the merge of a whole million-row import. */
#define SAVED_DEBT_PER_MAINTAIN 8192

int cl_store_maintain(cl_store *s, kt_err *err) {
  if (s->in_batch || s->readonly) return 0;
  s->saved_debt = saved_debt(s); /* another program (an import) may have left some */
  if (!s->merge_debt && !s->saved_debt) return 0;
  int64_t from_saved = s->saved_debt < SAVED_DEBT_PER_MAINTAIN ? s->saved_debt : SAVED_DEBT_PER_MAINTAIN;
  int64_t pages = s->merge_debt + from_saved;
  int rc = set_synchronous(s, CL_ST_SYNC_NORMAL, err); /* a lost merge only leaves the index unmerged */
  if (!rc) rc = cl__tx_begin(s, err);
  s->sync_lowered = true;
  if (!rc) {
    rc = fts_merge(s, pages, err);
    if (!rc && from_saved)
      rc = cl_db_meta_set_int(&s->d, "fts_merge_debt", s->saved_debt - from_saved, err);
    sqlite3_stmt *st = rc ? NULL : cl_db_st(&s->d, CL_ST_COMMIT, err);
    if (st) rc = cl_db_step_done(&s->d, st, err);
    else if (!rc) rc = cl_db_st_rc(&s->d);
    if (rc) {
      cl_db_rollback(&s->d);
    } else {
      s->merge_debt = 0;
      s->saved_debt -= from_saved;
    }
  }
  cl__sync_full(s, NULL);
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
  cl_db_rollback(&s->d);
  end_relaxed(s);
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
  if (same) return 0;
  int rc = cl_db_meta_set_text(&s->d, key, value, err);
  /* the server's word on the user's rights (a login, or a change mid-session):
     this store's checks follow at once */
  if (!rc && (strcmp(key, "rights") == 0 || strcmp(key, "role") == 0)) cl__load_rights(s);
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

int64_t cl_store_data_version(cl_store *s) {
  int64_t v = 0;
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_DATA_VERSION, NULL);
  if (st && sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  if (st) sqlite3_reset(st);
  return v + s->commits;
}
