/* srv_sync — the master copy's records (see srv_sync.h): devices, the model, writing
 * records with their feed rows and scopes, dependents' rescoping, duplicate claims,
 * conflict records, staff records, one-off backfills. Pushes are judged in
 * srv_push.c, pulls served in srv_pull.c; srv_sync_int.h is what they share. */
#include "srv_sync.h"
#include "srv_sync_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_change.h"
#include "kt_text.h"
#include "kt_time.h"
#include "srv_audit.h"
#include "kt_log.h"
#include "kt_rec.h"
#include "kt_uuid.h"

/* ---- device index <-> UUID --------------------------------------------------- */

static int load_devices(srv_sync *s, kt_err *err);

/* Another process (`kartotekad user ...` writing a staff record while the
 * server runs) may have numbered a device since the cache was read: a miss
 * reads the table again once. */
const char *srv__dev_name(void *ud, uint32_t idx) {
  srv_sync *s = ud;
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < s->ndevs; i++)
      if (s->devs[i].idx == idx) return s->devs[i].uuid;
    if (pass == 0) {
      s->ndevs = 0;
      if (load_devices(s, NULL)) return NULL;
    }
  }
  return NULL;
}

static int dev_remember(srv_sync *s, uint32_t idx, const char *uuid) {
  if (s->ndevs == s->capdevs) {
    int cap = s->capdevs ? s->capdevs * 2 : 16;
    srv_devname *p = realloc(s->devs, (size_t)cap * sizeof *p);
    if (!p) return KT_ENOMEM;
    s->devs = p;
    s->capdevs = cap;
  }
  s->devs[s->ndevs].idx = idx;
  snprintf(s->devs[s->ndevs].uuid, sizeof s->devs[0].uuid, "%s", uuid);
  s->ndevs++;
  return 0;
}

int srv__dev_index(srv_sync *s, const char *uuid, uint32_t *idx, kt_err *err) {
  for (int i = 0; i < s->ndevs; i++)
    if (strcmp(s->devs[i].uuid, uuid) == 0) {
      *idx = s->devs[i].idx;
      return 0;
    }
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_DEVIDX_GET, err); /* numbered by another process? */
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  bool found = rc == SQLITE_ROW;
  if (found) *idx = (uint32_t)sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  if (!found && rc != SQLITE_DONE) return srv_db_error(s->d, rc, "reading devices", err);
  if (found) return dev_remember(s, *idx, uuid) ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
  if (!(st = srv_db_st(s->d, SRV_ST_DEVIDX_ADD, err))) return KT_EDB;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  if ((rc = srv_db_step_done(s->d, st, err))) return rc;
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

int srv__apply_field_def(srv_sync *s, const kt_rec *r, kt_err *err) {
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

static int backfill_scopes(srv_sync *s, kt_err *err);
static int backfill_name_claims(srv_sync *s, kt_err *err);
static int backfill_staff(srv_sync *s, kt_err *err);

int srv_sync_new(srv_db *d, kt_hlc *hlc, const char *server_id, srv_sync **out, kt_err *err) {
  srv_sync *s = calloc(1, sizeof *s);
  if (!s) return kt_err_set(err, KT_ENOMEM, "out of memory");
  s->d = d;
  s->hlc = hlc;
  s->page_bytes = SRV_PULL_BYTES;
  snprintf(s->server_id, sizeof s->server_id, "%s", server_id);
  int rc = kt_model_new(&s->model, err);
  if (!rc) rc = load_devices(s, err);
  if (!rc) rc = load_model(s, err);
  if (!rc) rc = backfill_scopes(s, err);
  if (!rc) rc = backfill_name_claims(s, err);
  if (!rc) rc = backfill_staff(s, err);
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

int srv__load_by_id(srv_sync *s, kt_mtype *t, const char *id, kt_rec **out, kt_err *err) {
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
    int lrc = kt_rec_load(r, st, err);
    sqlite3_reset(st);
    if (lrc) {
      kt_rec_free(r);
      return lrc;
    }
    *out = r;
    return 0;
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

/* ---- scopes: whose each feed row is ------------------------------------------------ */

int srv__card_fn(void *ud, const char *type, const char *id, kt_rec **out, kt_err *err) {
  srv_sync *s = ud;
  *out = NULL;
  kt_mtype *t = kt_model_type(s->model, type);
  return t ? srv__load_by_id(s, t, id, out, err) : 0;
}

int srv__scope_of(srv_sync *s, const kt_rec *r, kt_scope *sc, kt_err *err) {
  kt_links l;
  kt_links_from_rec(r, &l);
  return kt_rights_scope(r->type, &l, srv__card_fn, s, sc, err);
}

static bool scope_eq(const kt_scope *a, const kt_scope *b) {
  return strcmp(a->owner, b->owner) == 0 && strcmp(a->grp, b->grp) == 0 &&
         strcmp(a->asg, b->asg) == 0;
}


void srv__col_text(sqlite3_stmt *st, int i, char *out, size_t n) {
  const unsigned char *t = sqlite3_column_text(st, i);
  snprintf(out, n, "%s", t ? (const char *)t : "");
}

int srv__log_get(srv_sync *s, int tcode, int64_t rid, srv_logrow *out, kt_err *err) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_LOG_SCOPE, err);
  if (!st) return KT_EDB;
  sqlite3_bind_int(st, 1, tcode);
  sqlite3_bind_int64(st, 2, rid);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    out->found = true;
    out->seq = sqlite3_column_int64(st, 0);
    srv__col_text(st, 1, out->sc.owner, sizeof out->sc.owner);
    srv__col_text(st, 2, out->sc.grp, sizeof out->sc.grp);
    srv__col_text(st, 3, out->sc.asg, sizeof out->sc.asg);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : srv_db_error(s->d, rc, "reading the feed", err);
}

static void bind_opt(sqlite3_stmt *st, int i, const char *v) {
  if (v && *v) sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
  else sqlite3_bind_null(st, i);
}

/* Gives the record a new feed row with scope sc; when its scope changed, the
 * old one goes to srv_revoke under the same sequence number. */
static int log_put(srv_sync *s, int tcode, int64_t rid, const char *uuid, const kt_scope *sc,
                   const srv_logrow *old, int64_t *seq_out, kt_err *err) {
  int64_t seq = 0;
  int rc = next_seq(s, &seq, err);
  if (rc) return rc;
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_LOG_SET, err);
  if (!st) return KT_EDB;
  sqlite3_bind_int64(st, 1, seq);
  sqlite3_bind_int(st, 2, tcode);
  sqlite3_bind_int64(st, 3, rid);
  bind_opt(st, 4, sc->owner);
  bind_opt(st, 5, sc->grp);
  bind_opt(st, 6, sc->asg);
  if ((rc = srv_db_step_done(s->d, st, err))) return rc;
  if (old->found && !scope_eq(&old->sc, sc)) {
    if (!(st = srv_db_st(s->d, SRV_ST_REVOKE_ADD, err))) return KT_EDB;
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_int(st, 2, tcode);
    sqlite3_bind_int64(st, 3, rid);
    sqlite3_bind_text(st, 4, uuid, -1, SQLITE_STATIC);
    bind_opt(st, 5, old->sc.owner);
    bind_opt(st, 6, old->sc.grp);
    bind_opt(st, 7, old->sc.asg);
    if ((rc = srv_db_step_done(s->d, st, err))) return rc;
  }
  if (seq_out) *seq_out = seq;
  return 0;
}

static bool has_ref(kt_mtype *t, const char *name) {
  kt_mfield *f = kt_mtype_field(t, name);
  return f && !f->custom && f->type == KT_FT_REF;
}

/* The records whose scope follows the record (type tname, id uuid) — a card's
 * contacts, events, tasks, deals, notes and links, and the conflicts about any
 * of them — get their scope recomputed and, where it changed, a new feed row. */
static int rescope_dependents(srv_sync *s, const char *tname, const char *uuid, int depth,
                              kt_err *err) {
  if (depth > 3) return 0;
  int n;
  kt_mtype *types = kt_model_types(s->model, &n);
  bool org = strcmp(tname, "org") == 0, contact = strcmp(tname, "contact") == 0;
  for (int i = 0; i < n; i++) {
    kt_mtype *t = &types[i];
    srv_tst which;
    if (org && has_ref(t, "org")) which = SRV_TST_BY_ORG;
    else if (contact && has_ref(t, "contact")) which = SRV_TST_BY_CONTACT;
    else if (t->def->flags & KT_TF_SYSTEM && kt_mtype_field(t, "rid")) which = SRV_TST_BY_RID;
    else continue;
    sqlite3_stmt *st = srv_db_tst(s->d, t, which, err);
    if (!st) return KT_EDB;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    int64_t *rows = NULL;
    size_t nr = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if (nr == cap) {
        cap = cap ? cap * 2 : 16;
        int64_t *p = realloc(rows, cap * sizeof *p);
        if (!p) {
          sqlite3_reset(st);
          free(rows);
          return kt_err_set(err, KT_ENOMEM, "out of memory");
        }
        rows = p;
      }
      rows[nr++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
      free(rows);
      return srv_db_error(s->d, rc, "finding related records", err);
    }
    rc = 0;
    kt_rec *r = kt_rec_new(t);
    if (!r) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    for (size_t k = 0; !rc && k < nr; k++) {
      sqlite3_stmt *rs = srv_db_tst(s->d, t, SRV_TST_BY_ROWID, err);
      if (!rs) {
        rc = KT_EDB;
        break;
      }
      sqlite3_bind_int64(rs, 1, rows[k]);
      int step = sqlite3_step(rs);
      if (step == SQLITE_ROW && (rc = kt_rec_load(r, rs, err))) {
        sqlite3_reset(rs);
        break;
      }
      sqlite3_reset(rs);
      if (step != SQLITE_ROW) continue;
      kt_scope sc;
      srv_logrow old;
      if ((rc = srv__scope_of(s, r, &sc, err)) || (rc = srv__log_get(s, t->def->code, rows[k], &old, err)))
        break;
      if (old.found && scope_eq(&old.sc, &sc)) continue;
      char id[64];
      snprintf(id, sizeof id, "%s", kt_rec_id(r));
      if ((rc = log_put(s, t->def->code, rows[k], id, &sc, &old, NULL, err))) break;
      if (!(t->def->flags & KT_TF_SYSTEM)) rc = rescope_dependents(s, t->def->name, id, depth + 1, err);
    }
    kt_rec_free(r);
    free(rows);
    if (rc) return rc;
  }
  return 0;
}

/* ---- duplicate claims: normalised phones, e-mails and tax ids of client cards, and
 *      their name keys (kt_rec_name_key: folded name + city) ------------------------- */

static int claim_add(srv_sync *s, const kt_rec *r, const char *key, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_CLAIM_ADD, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 2, r->type->def->code);
  sqlite3_bind_int64(st, 3, r->rowid);
  return srv_db_step_done(s->d, st, err);
}

/* Claim key number i of client card r into key (n bytes): i < nfields is field
 * i's own key (kt_mfield_claim_key: a phone, an e-mail, a KT_FF_CLAIM field),
 * i == nfields the name key (kt_rec_name_key), credited to the first title
 * field. The field the key comes from, or NULL when there is no such key. */
static const kt_mfield *claim_key_at(const kt_rec *r, int i, char *key, size_t n) {
  const kt_mtype *t = r->type;
  if (i < t->nfields)
    return r->v[i].kind == KT_V_TEXT && kt_mfield_claim_key(&t->fields[i], r->v[i].s, key, n)
               ? &t->fields[i]
               : NULL;
  if (!kt_rec_name_key(r, key, n)) return NULL;
  for (int k = 0; k < t->nfields; k++)
    if (t->fields[k].flags & KT_FF_TITLE) return &t->fields[k];
  return NULL;
}

/* Rewrites the claim keys of card r: none once it is in the trash. */
static int claims_update(srv_sync *s, const kt_rec *r, kt_err *err) {
  if (!(r->type->def->flags & KT_TF_CLIENT)) return 0;
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_CLAIM_DEL, err);
  if (!st) return KT_EDB;
  sqlite3_bind_int(st, 1, r->type->def->code);
  sqlite3_bind_int64(st, 2, r->rowid);
  int rc = srv_db_step_done(s->d, st, err);
  if (rc || kt_rec_deleted(r)) return rc;
  char key[KT_NAME_KEY_MAX];
  for (int i = 0; !rc && i <= r->type->nfields; i++)
    if (claim_key_at(r, i, key, sizeof key)) rc = claim_add(s, r, key, err);
  return rc;
}

/* The live client card holding claim key `key`, if any, into *out. */
static int find_claim(srv_sync *s, const char *key, srv_claim *out, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_CLAIM_FIND, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const kt_typedef *td = kt_registry_type_by_code(sqlite3_column_int(st, 0));
    out->exists = true;
    snprintf(out->type, sizeof out->type, "%s", td ? td->name : "");
    srv__col_text(st, 1, out->owner, sizeof out->owner);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return srv_db_error(s->d, rc, "checking claims", err);
  return 0;
}

int srv_sync_claim(srv_sync *s, const char *phone, const char *email, const char *tax_id,
                   srv_claim *out, kt_err *err) {
  memset(out, 0, sizeof *out);
  struct {
    const char *v;
    kt_ftype type;
    const char *name;
    unsigned flags;
  } q[] = {{phone, KT_FT_PHONE, "phone", 0},
           {email, KT_FT_EMAIL, "email", 0},
           {tax_id, KT_FT_TEXT, "tax_id", KT_FF_CLAIM}};
  for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
    kt_mfield f;
    memset(&f, 0, sizeof f);
    f.type = q[i].type;
    f.flags = q[i].flags;
    snprintf(f.name, sizeof f.name, "%s", q[i].name);
    char key[300];
    if (!kt_mfield_claim_key(&f, q[i].v, key, sizeof key)) continue;
    int rc = find_claim(s, key, out, err);
    if (rc) return rc;
    if (out->exists) {
      snprintf(out->what, sizeof out->what, "%s", q[i].name);
      return 0;
    }
  }
  return 0;
}

int srv_sync_claim_keys(srv_sync *s, const char *const *keys, size_t n, srv_claim_hit_fn hit,
                        void *ud, kt_err *err) {
  if (n > SRV_CLAIM_KEYS_MAX)
    return kt_err_set(err, KT_EINVAL, "a claim check of %zu keys; at most %d a request", n,
                      SRV_CLAIM_KEYS_MAX);
  for (size_t i = 0; i < n; i++) {
    if (!keys[i] || strlen(keys[i]) >= 300)
      return kt_err_set(err, KT_EINVAL, "claim key %zu is empty or too long", i + 1);
    srv_claim cl;
    memset(&cl, 0, sizeof cl);
    int rc = find_claim(s, keys[i], &cl, err);
    if (rc) return rc;
    if (cl.exists && (rc = hit(ud, keys[i], &cl))) return rc;
  }
  return 0;
}

/* Writes r (insert when rowid == 0) and records it in the feed with its scope;
 * claims: a phone, e-mail, tax id, a title or place field (the name key) or the
 * deleted flag may have changed (the card's claim keys are rewritten). */
int srv__write_rec(srv_sync *s, kt_rec *r, bool claims, int64_t *seq_out, kt_err *err) {
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
  kt_scope sc;
  srv_logrow old;
  int code = r->type->def->code;
  if ((rc = srv__scope_of(s, r, &sc, err)) || (rc = srv__log_get(s, code, r->rowid, &old, err))) return rc;
  if ((rc = log_put(s, code, r->rowid, kt_rec_id(r), &sc, &old, seq_out, err))) return rc;
  if ((claims || insert) && (rc = claims_update(s, r, err))) return rc;
  bool card = (r->type->def->flags & KT_TF_CLIENT) != 0;
  if ((card && !old.found) || (old.found && !scope_eq(&old.sc, &sc)))
    rc = rescope_dependents(s, r->type->def->name, kt_rec_id(r), 0, err);
  return rc;
}

/* Recomputes the scope of every feed row and the claim keys of every card: once,
 * after migration 0005 (a master from before rights were enforced). */
static int backfill_scopes(srv_sync *s, kt_err *err) {
  kt_buf flag = KT_BUF_INIT;
  int rc = srv_db_meta_get(s->d, "scope_backfill", &flag, NULL);
  bool need = rc == 0 && strcmp(kt_buf_str(&flag), "1") == 0;
  kt_buf_free(&flag);
  if (!need) return 0;
  if ((rc = srv_db_begin(s->d, err))) return rc;
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_LOG_ALL, err);
  int64_t *rows = NULL;
  size_t n = 0, cap = 0;
  rc = st ? 0 : KT_EDB;
  while (!rc && sqlite3_step(st) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 1024;
      int64_t *p = realloc(rows, cap * 2 * sizeof *p);
      if (!p) {
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
        break;
      }
      rows = p;
    }
    rows[2 * n] = sqlite3_column_int64(st, 0);
    rows[2 * n + 1] = sqlite3_column_int64(st, 1);
    n++;
  }
  if (st) sqlite3_reset(st);
  for (size_t i = 0; !rc && i < n; i++) {
    kt_mtype *t = kt_model_type_by_code(s->model, (int)rows[2 * i]);
    if (!t) continue;
    sqlite3_stmt *rs = srv_db_tst(s->d, t, SRV_TST_BY_ROWID, err);
    if (!rs) {
      rc = KT_EDB;
      break;
    }
    sqlite3_bind_int64(rs, 1, rows[2 * i + 1]);
    kt_rec *r = kt_rec_new(t);
    if (!r) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      break;
    }
    int step = sqlite3_step(rs);
    if (step == SQLITE_ROW) rc = kt_rec_load(r, rs, err);
    sqlite3_reset(rs);
    if (!rc && step == SQLITE_ROW) {
      kt_scope sc;
      rc = srv__scope_of(s, r, &sc, err);
      if (!rc) {
        /* same sequence number: only the scope columns are filled in */
        srv_logrow old;
        rc = srv__log_get(s, t->def->code, r->rowid, &old, err);
        sqlite3_stmt *ls = rc ? NULL : srv_db_st(s->d, SRV_ST_LOG_SET, err);
        if (!rc && !ls) rc = KT_EDB;
        if (!rc) {
          sqlite3_bind_int64(ls, 1, old.seq);
          sqlite3_bind_int(ls, 2, t->def->code);
          sqlite3_bind_int64(ls, 3, r->rowid);
          bind_opt(ls, 4, sc.owner);
          bind_opt(ls, 5, sc.grp);
          bind_opt(ls, 6, sc.asg);
          rc = srv_db_step_done(s->d, ls, err);
        }
      }
      if (!rc) rc = claims_update(s, r, err);
    }
    kt_rec_free(r);
  }
  free(rows);
  if (!rc) rc = srv_db_meta_set(s->d, "scope_backfill", "0", err);
  if (!rc) rc = srv_db_commit(s->d, err);
  else srv_db_rollback(s->d);
  if (!rc && n) kt_log_info("sync", "filled in the scopes of %zu records", n);
  return rc;
}

/* Adds the name key of every live client card: once, after migration 0023 (a
 * master whose claims held phones, e-mails and tax ids only). One transaction. */
static int backfill_name_claims(srv_sync *s, kt_err *err) {
  kt_buf flag = KT_BUF_INIT;
  int rc = srv_db_meta_get(s->d, "claim_backfill", &flag, NULL);
  bool need = rc == 0 && strcmp(kt_buf_str(&flag), "1") == 0;
  kt_buf_free(&flag);
  if (!need) return 0;
  if ((rc = srv_db_begin(s->d, err))) return rc;
  int nt;
  kt_mtype *ts = kt_model_types(s->model, &nt);
  size_t n = 0;
  uint64_t t0 = kt_now_ms();
  for (int i = 0; !rc && i < nt; i++) {
    if (!(ts[i].def->flags & KT_TF_CLIENT)) continue;
    sqlite3_stmt *st = srv_db_tst(s->d, &ts[i], SRV_TST_LIVE, err);
    kt_rec *r = st ? kt_rec_new(&ts[i]) : NULL;
    if (!st) rc = KT_EDB;
    else if (!r) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    int step = SQLITE_DONE;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
      char key[KT_NAME_KEY_MAX];
      if (!(rc = kt_rec_load(r, st, err)) && kt_rec_name_key(r, key, sizeof key) &&
          !(rc = claim_add(s, r, key, err)))
        n++;
    }
    if (!rc && step != SQLITE_DONE) rc = srv_db_error(s->d, step, "reading cards", err);
    if (st) sqlite3_reset(st);
    kt_rec_free(r);
  }
  if (!rc) rc = srv_db_meta_set(s->d, "claim_backfill", "0", err);
  if (!rc) rc = srv_db_commit(s->d, err);
  else srv_db_rollback(s->d);
  if (!rc && n)
    kt_log_info("sync", "kept the name and city of %zu client cards for the claim check (%llu ms)",
                n, (unsigned long long)(kt_now_ms() - t0));
  return rc;
}

/* Writes a conflict record about card (kind NULL: a concurrent edit; protect:
 * the field is a phone or e-mail, its values go to pvalue/pwinner). */
static int write_conflict(srv_sync *s, const kt_rec *card, const char *kind, const char *field,
                          bool protect, const char *value, const char *winner,
                          const char *lost_by, const char *won_by, kt_err *err) {
  kt_mtype *ct = kt_model_type(s->model, "conflict");
  kt_rec *c = kt_rec_new(ct);
  if (!c) return kt_err_set(err, KT_ENOMEM, "out of memory");
  kt_uuid u;
  char id[KT_UUID_STRLEN + 1];
  int rc = kt_uuid_gen_next(&s->ugen, kt_now_ms(), &u, err);
  if (rc) goto out;
  kt_uuid_format(&u, id);
  struct {
    const char *name;
    const char *val;
  } set[] = {{"id", id},
             {"owner", card->v[KT_F_OWNER].kind == KT_V_TEXT ? card->v[KT_F_OWNER].s : NULL},
             {"grp", card->v[KT_F_GRP].kind == KT_V_TEXT ? card->v[KT_F_GRP].s : NULL},
             {"rtype", card->type->def->name},
             {"rid", kt_rec_id(card)},
             {"field", field},
             /* a protected field's values are kept in protected fields of the record */
             {protect ? "pvalue" : "value", value},
             {protect ? "pwinner" : "winner", winner},
             {"lost_by", lost_by},
             {"won_by", won_by},
             {"cause", kind}};
  uint32_t self;
  rc = srv__dev_index(s, s->server_id, &self, err);
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
  int64_t seq;
  if (!rc) rc = srv__write_rec(s, c, false, &seq, err);
out:
  kt_rec_free(c);
  return rc;
}

/* Records the losing value of a concurrent edit as a conflict record. */
int srv__log_conflict(srv_sync *s, const kt_rec *card, const kt_mfield *f, const kt_value *lost,
                        const kt_value *kept, const char *lost_by, const char *won_by, kt_err *err) {
  kt_buf lv = KT_BUF_INIT, kv = KT_BUF_INIT;
  kt_mfield_format(f, lost, false, &lv);
  kt_mfield_format(f, kept, false, &kv);
  int rc = write_conflict(s, card, NULL, f->name, (f->flags & KT_FF_CONTACT) != 0, kt_buf_str(&lv),
                          kt_buf_str(&kv), lost_by, won_by, err);
  kt_buf_free(&lv);
  kt_buf_free(&kv);
  return rc;
}

/* The other live card (of another scope owner than `owner`, none of those in
 * skip) that has claim key `key`, loaded into *out (NULL when none), with its
 * scope owner and the field that holds the key. */
static int claim_other(srv_sync *s, const char *key, const kt_rec *r, const char *owner,
                       kt_rec *const *skip, int nskip, kt_rec **out, char *other_owner,
                       size_t n, const kt_mfield **of, kt_err *err) {
  *out = NULL;
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_CLAIM_OTHERS, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 2, r->type->def->code);
  sqlite3_bind_int64(st, 3, r->rowid);
  int tcode = 0, rc;
  int64_t rid = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    srv__col_text(st, 2, other_owner, n);
    if (strcmp(other_owner, owner) == 0) continue; /* the same manager's clients */
    bool seen = false;
    for (int k = 0; k < nskip; k++)
      seen = seen || (skip[k]->type->def->code == sqlite3_column_int(st, 0) &&
                      skip[k]->rowid == sqlite3_column_int64(st, 1));
    if (seen) continue;
    tcode = sqlite3_column_int(st, 0);
    rid = sqlite3_column_int64(st, 1);
    break;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return srv_db_error(s->d, rc, "checking claims", err);
  kt_mtype *t = tcode ? kt_model_type_by_code(s->model, tcode) : NULL;
  if (!t) return 0;
  if (!(st = srv_db_tst(s->d, t, SRV_TST_BY_ROWID, err))) return KT_EDB;
  sqlite3_bind_int64(st, 1, rid);
  kt_rec *o = NULL;
  int step = sqlite3_step(st), lrc = 0;
  if (step == SQLITE_ROW && !(o = kt_rec_new(t))) lrc = kt_err_set(err, KT_ENOMEM, "out of memory");
  else if (step == SQLITE_ROW && (lrc = kt_rec_load(o, st, err))) {
    kt_rec_free(o);
    o = NULL;
  }
  sqlite3_reset(st);
  if (lrc) return lrc;
  for (int i = 0; o && i <= t->nfields && !*of; i++) {
    char k2[KT_NAME_KEY_MAX];
    const kt_mfield *f = claim_key_at(o, i, k2, sizeof k2);
    if (f && strcmp(k2, key) == 0) *of = f;
  }
  if (o && !*of) kt_rec_free(o); /* (claims are rewritten with the card: cannot happen) */
  else *out = o;
  return 0;
}

int srv__note_duplicates(srv_sync *s, const char *writer, const kt_rec *r, char **warning,
                         kt_err *err) {
  if (!(r->type->def->flags & KT_TF_CLIENT) || kt_rec_deleted(r)) return 0;
  kt_scope mine;
  int rc = srv__scope_of(s, r, &mine, err);
  kt_rec *others[4];
  int n = 0;
  char first[KT_ERR_MSG_MAX] = "";
  for (int i = 0; !rc && i <= r->type->nfields && n < 4; i++) {
    char key[KT_NAME_KEY_MAX], owner[80];
    const kt_mfield *f = claim_key_at(r, i, key, sizeof key);
    if (!f) continue;
    kt_rec *o = NULL;
    const kt_mfield *of = NULL;
    if ((rc = claim_other(s, key, r, mine.owner, others, n, &o, owner, sizeof owner, &of, err)) ||
        !o)
      continue;
    others[n++] = o;
    /* no value: a reader of either card who may not see its phones would see it here */
    rc = write_conflict(s, r, "duplicate", f->name, false, NULL, NULL, writer, owner, err);
    if (!rc) rc = write_conflict(s, o, "duplicate", of->name, false, NULL, NULL, writer, owner, err);
    const char *what = key[0] == 'p'   ? "phone"
                       : key[0] == 'e' ? "e-mail"
                       : key[0] == 'n' ? "name and city"
                                       : "tax id";
    const kt_value *v = &r->v[f - r->type->fields];
    if (!first[0])
      snprintf(first, sizeof first, "your new %s has the %s %s of a client %s%s; it was kept: "
               "ask a head of sales to hand one of the two cards over or to merge them "
               "(`kartoteka conflicts` lists it)", r->type->def->noun, what,
               v->kind == KT_V_TEXT ? v->s : "", owner[0] ? "assigned to " : "nobody is assigned to",
               owner);
  }
  for (int k = 0; k < n; k++) kt_rec_free(others[k]);
  if (!rc && first[0]) {
    if (n > 1)
      snprintf(first + strlen(first), sizeof first - strlen(first), " (and %d more)", n - 1);
    if (!(*warning = strdup(first))) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  return rc;
}

int srv_sync_put_staff(srv_sync *s, const char *id, const char *name, const char *birthday,
                       int deleted, bool create, bool *changed, kt_err *err) {
  *changed = false;
  kt_mtype *t = kt_model_type(s->model, "staff");
  if (!t) return kt_err_set(err, KT_EINVAL, "this database has no staff records");
  char day[11] = "";
  if (birthday && *birthday && kt_date_parse(birthday, day, err)) return KT_EINVAL;
  int rc = srv_db_begin(s->d, err);
  if (rc) return rc;
  kt_rec *r = NULL;
  if ((rc = srv__load_by_id(s, t, id, &r, err))) goto fail;
  if (!r && !create) goto done; /* nothing to change (no birthday was ever set) */
  if (!r) {
    if (!(r = kt_rec_new(t))) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      goto fail;
    }
    kt_value_set_text(&r->v[KT_F_ID], id, strlen(id));
  }
  uint32_t self;
  if ((rc = srv__dev_index(s, s->server_id, &self, err))) goto fail;
  /* later than anything the record holds, whichever process wrote it */
  kt_hlc_recv(s->hlc, kt_vers_max(&r->vers), 0, NULL);
  kt_stamp stamp = kt_hlc_now(s->hlc);
  kt_value v;
  memset(&v, 0, sizeof v);
  struct {
    int vidx;
    const char *text;  /* NULL: not this one */
    int64_t num;
  } set[5] = {{KT_F_OWNER, name, 0}, {-1, name, 0}, {-2, birthday ? day : NULL, 0},
              {KT_F_DELETED, NULL, deleted}, {KT_F_CREATED, NULL, 0}};
  set[1].vidx = kt_mtype_field(t, "name")->vidx;
  set[2].vidx = kt_mtype_field(t, "birthday")->vidx;
  for (int i = 0; i < 5; i++) {
    int vidx = set[i].vidx;
    if (vidx == KT_F_DELETED && deleted < 0) continue;
    if (vidx == KT_F_CREATED && r->vers.f[vidx].stamp) continue;
    if (vidx == KT_F_CREATED) set[i].num = (int64_t)kt_now_ms();
    if (vidx != KT_F_DELETED && vidx != KT_F_CREATED && !set[i].text) continue;
    if (set[i].text && *set[i].text) {
      if (kt_value_set_text(&v, set[i].text, strlen(set[i].text))) {
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
        goto fail;
      }
    } else if (!set[i].text) {
      kt_value_set_int(&v, set[i].num);
    }
    int pos = t->pos[vidx];
    if (r->vers.f[vidx].stamp && kt_value_equal(&r->v[pos], &v)) {
      kt_value_clear(&v);
      continue;
    }
    kt_value_clear(&r->v[pos]);
    r->v[pos] = v;
    memset(&v, 0, sizeof v);
    r->vers.f[vidx] = (kt_fver){stamp, self};
    *changed = true;
  }
  int64_t seq;
  if (*changed && (rc = srv__write_rec(s, r, false, &seq, err))) goto fail;
done:
  kt_rec_free(r);
  return srv_db_commit(s->d, err);
fail:
  kt_rec_free(r);
  srv_db_rollback(s->d);
  return rc;
}

/* Gives every account without one its staff record: once, after migration 0013
 * (before it only accounts with a birthday had one; now every PC learns the
 * office's user names from them). */
static int backfill_staff(srv_sync *s, kt_err *err) {
  kt_buf flag = KT_BUF_INIT;
  int rc = srv_db_meta_get(s->d, "staff_backfill", &flag, NULL);
  bool need = rc == 0 && strcmp(kt_buf_str(&flag), "1") == 0;
  kt_buf_free(&flag);
  if (!need) return 0;
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_STAFF_MISSING, err);
  if (!st) return KT_EDB;
  typedef struct acct {
    char id[40], name[80];
    int disabled;
  } acct;
  acct *v = NULL;
  size_t n = 0, cap = 0;
  rc = 0;
  while (!rc && sqlite3_step(st) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      acct *p = realloc(v, cap * sizeof *p);
      if (!p) {
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
        break;
      }
      v = p;
    }
    srv__col_text(st, 0, v[n].id, sizeof v[n].id);
    srv__col_text(st, 1, v[n].name, sizeof v[n].name);
    v[n++].disabled = sqlite3_column_int(st, 2);
  }
  sqlite3_reset(st);
  for (size_t i = 0; !rc && i < n; i++) {
    bool changed;
    rc = srv_sync_put_staff(s, v[i].id, v[i].name, NULL, v[i].disabled ? 1 : 0, true, &changed,
                            err);
  }
  free(v);
  if (!rc) rc = srv_db_meta_set(s->d, "staff_backfill", "0", err);
  if (!rc && n) kt_log_info("sync", "wrote the staff records of %zu accounts", n);
  return rc;
}

/* After a rollback: the model may have gained a field inside it, and the device
 * cache a number whose row is gone (the next new device would get that number
 * too, and its values would be served as this device's). */
void srv__model_reload(srv_sync *s) {
  kt_model_free(s->model);
  s->model = NULL;
  if (kt_model_new(&s->model, NULL) == 0) load_model(s, NULL);
  s->ndevs = 0;
  load_devices(s, NULL);
}
