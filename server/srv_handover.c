/* srv_handover — see srv_handover.h. The clients are found through the owner
 * index of each client type, their dependents through the org/contact
 * reference statements (as rescope_dependents finds them); each record is
 * loaded, given the new owner (and assignee) with a fresh server stamp and
 * written with srv__write_rec, which keeps its feed row, scope and the
 * revokes. */
#include "srv_handover.h"
#include "kt_tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_log.h"
#include "srv_history.h"
#include "srv_sync_int.h"
#include "srv_user.h"

#define WHERE_MAX 8

typedef struct filter {
  char field[KT_NAME_MAX];
  char value[256];
} filter;

typedef struct run {
  srv_sync *s;
  const srv_handover_req *q;
  filter f[WHERE_MAX];
  int nf;
  uint32_t self; /* the server's device number (the values' stamps) */
  uint32_t by;   /* the history's writer: the administrator's PC, else the server */
  srv_handover_res *res;
} run;

/* Splits q->where into filters; every field must be a field of some client type. */
static int parse_where(run *u, kt_err *err) {
  const char *w = u->q->where ? u->q->where : "";
  while (*w) {
    const char *end = strchr(w, '\n');
    size_t n = end ? (size_t)(end - w) : strlen(w);
    if (n) {
      const char *eq = memchr(w, '=', n);
      if (!eq || eq == w)
        return kt_err_set(err, KT_EINVAL, "bad filter '%.*s': write FIELD=VALUE (e.g. "
                          "city=Москва)", (int)n, w);
      if (u->nf == WHERE_MAX) return kt_err_set(err, KT_EINVAL, "at most %d filters", WHERE_MAX);
      filter *f = &u->f[u->nf++];
      snprintf(f->field, sizeof f->field, "%.*s", (int)(eq - w), w);
      snprintf(f->value, sizeof f->value, "%.*s", (int)(n - (size_t)(eq - w) - 1), eq + 1);
      bool known = false;
      int nt;
      kt_mtype *types = kt_model_types(u->s->model, &nt);
      for (int i = 0; i < nt; i++)
        if ((types[i].def->flags & KT_TF_CLIENT) && kt_mtype_field(&types[i], f->field))
          known = true;
      if (!known)
        return kt_err_set(err, KT_EINVAL, "clients have no field '%s' to filter on", f->field);
    }
    w += n + (end ? 1 : 0);
  }
  return 0;
}

/* Does client card r pass every filter (a field its type lacks fails it)? */
static bool matches(const run *u, const kt_rec *r) {
  for (int i = 0; i < u->nf; i++) {
    kt_mfield *f = kt_mtype_field(r->type, u->f[i].field);
    if (!f) return false;
    kt_value want;
    memset(&want, 0, sizeof want);
    kt_err e;
    const kt_value *have = &r->v[r->type->pos[f->vidx]];
    bool ok = kt_mfield_parse(f, u->f[i].value, &want, &e) == 0 &&
              (kt_ftype_is_multi(f->type) /* tags: has this one */
                   ? have->kind == KT_V_TEXT && want.kind == KT_V_TEXT && kt_tags_has(have->s, want.s)
                   : kt_value_equal(have, &want));
    kt_value_clear(&want);
    if (!ok) return false;
  }
  return true;
}

/* The rowids a statement of type t lists for key. *rows malloc'd. */
static int rowids(srv_sync *s, kt_mtype *t, srv_tst which, const char *key, int64_t **rows,
                  size_t *n, kt_err *err) {
  *rows = NULL;
  *n = 0;
  sqlite3_stmt *st = srv_db_tst(s->d, t, which, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      int64_t *p = realloc(*rows, cap * sizeof *p);
      if (!p) {
        sqlite3_reset(st);
        free(*rows);
        *rows = NULL;
        return kt_err_set(err, KT_ENOMEM, "out of memory");
      }
      *rows = p;
    }
    (*rows)[(*n)++] = sqlite3_column_int64(st, 0);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    free(*rows);
    *rows = NULL;
    return srv_db_error(s->d, rc, "finding records to hand over", err);
  }
  return 0;
}

static int load_rowid(srv_sync *s, kt_mtype *t, int64_t rowid, kt_rec **out, kt_err *err) {
  *out = NULL;
  sqlite3_stmt *st = srv_db_tst(s->d, t, SRV_TST_BY_ROWID, err);
  if (!st) return KT_EDB;
  sqlite3_bind_int64(st, 1, rowid);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    if (!(*out = kt_rec_new(t))) rc = SQLITE_NOMEM;
    else if (kt_rec_load(*out, st, err)) {
      kt_rec_free(*out);
      *out = NULL;
      sqlite3_reset(st);
      return err && err->code ? err->code : KT_ENOMEM;
    }
  }
  sqlite3_reset(st);
  if (rc == SQLITE_NOMEM) return kt_err_set(err, KT_ENOMEM, "out of memory");
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : srv_db_error(s->d, rc, "reading a record", err);
}

/* Sets text field vidx of r to `to` with a fresh server stamp, keeping the old
 * value for the history. */
static int set_text(run *u, kt_rec *r, int vidx, srv_hist *h, kt_err *err) {
  kt_mfield *f = kt_mtype_field_by_vidx(r->type, vidx);
  if (!f) return 0;
  kt_hlc_recv(u->s->hlc, kt_vers_max(&r->vers), 0, NULL); /* later than what it holds */
  kt_stamp stamp = kt_hlc_now(u->s->hlc);
  int rc = srv_hist_take(h, r, f, stamp, err);
  if (rc) return rc;
  kt_value *v = &r->v[r->type->pos[vidx]];
  if (kt_value_set_text(v, u->q->to, strlen(u->q->to)))
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  r->vers.f[vidx] = (kt_fver){stamp, u->self};
  return 0;
}

static bool text_is(const kt_rec *r, int vidx, const char *s) {
  const kt_value *v = &r->v[r->type->pos[vidx]];
  return v->kind == KT_V_TEXT && strcmp(v->s, s) == 0;
}

/* An open task or a planned event (not done, not cancelled). */
static bool is_open(const kt_rec *r) {
  const kt_mfield *f = kt_mtype_field(r->type, "status");
  if (!f) return false;
  const kt_value *v = &r->v[r->type->pos[f->vidx]];
  return v->kind != KT_V_TEXT || (strcmp(v->s, "done") != 0 && strcmp(v->s, "cancelled") != 0);
}

/* Gives r the new owner (and, with_tasks, an open item of the old owner the new
 * assignee) and writes it. */
static int move_rec(run *u, kt_rec *r, kt_err *err) {
  srv_hist h;
  srv_hist_begin(&h, r->type);
  int rc = 0;
  bool owner = !text_is(r, KT_F_OWNER, u->q->to), asg = false;
  kt_mfield *af = kt_mtype_field(r->type, "assignee");
  if (u->q->with_tasks && (r->type->def->flags & KT_TF_ASSIGNED) && af && af->type == KT_FT_USER &&
      text_is(r, af->vidx, u->q->from) && is_open(r))
    asg = true;
  if (owner) rc = set_text(u, r, KT_F_OWNER, &h, err);
  if (!rc && asg) rc = set_text(u, r, af->vidx, &h, err);
  int64_t seq;
  if (!rc && (owner || asg)) rc = srv__write_rec(u->s, r, false, &seq, err);
  if (!rc && (owner || asg)) rc = srv_hist_write(u->s->d, r, u->by, &h, err);
  if (!rc && owner) u->res->records++;
  if (!rc && asg) u->res->reassigned++;
  srv_hist_clear(&h);
  return rc;
}

/* The records that refer to card (its contacts, events, ...), and theirs. */
static int move_dependents(run *u, const kt_rec *card, int depth, kt_err *err) {
  if (depth > 2) return 0;
  bool org = strcmp(card->type->def->name, "org") == 0;
  bool contact = strcmp(card->type->def->name, "contact") == 0;
  int nt;
  kt_mtype *types = kt_model_types(u->s->model, &nt);
  int rc = 0;
  for (int i = 0; !rc && i < nt; i++) {
    kt_mtype *t = &types[i];
    if (t->def->flags & (KT_TF_SYSTEM | KT_TF_CONFIG)) continue;
    kt_mfield *rf = kt_mtype_field(t, org ? "org" : "contact");
    if ((!org && !contact) || !rf || rf->custom || rf->type != KT_FT_REF) continue;
    int64_t *rows;
    size_t n;
    if ((rc = rowids(u->s, t, org ? SRV_TST_BY_ORG : SRV_TST_BY_CONTACT, kt_rec_id(card), &rows,
                     &n, err)))
      break;
    for (size_t k = 0; !rc && k < n; k++) {
      kt_rec *r = NULL;
      if ((rc = load_rowid(u->s, t, rows[k], &r, err)) || !r) continue;
      rc = move_rec(u, r, err);
      if (!rc && (t->def->flags & KT_TF_CLIENT)) rc = move_dependents(u, r, depth + 1, err);
      kt_rec_free(r);
    }
    free(rows);
  }
  return rc;
}

/* One client with its dependents, in one transaction (rolled back on a dry run). */
static int move_client(run *u, kt_rec *card, kt_err *err) {
  srv_sync *s = u->s;
  int rc = srv_db_begin(s->d, err);
  if (rc) return rc;
  if (!(rc = move_rec(u, card, err))) rc = move_dependents(u, card, 0, err);
  if (rc || u->q->dry_run) {
    srv_db_rollback(s->d); /* nothing of the model or the device cache is in it */
    return rc;
  }
  return srv_db_commit(s->d, err);
}

int srv_handover_run(srv_sync *s, const srv_handover_req *q, srv_handover_res *res, kt_err *err) {
  memset(res, 0, sizeof *res);
  const char *from = q->from ? q->from : "", *to = q->to ? q->to : "";
  if (!*from || !*to)
    return kt_err_set(err, KT_EINVAL, "say whose clients to hand over and to whom: --from "
                      "USER --to USER");
  if (strcmp(from, to) == 0)
    return kt_err_set(err, KT_EINVAL, "%s cannot hand clients over to themselves: give "
                      "another user with --to", from);
  srv_user_info uf, ut;
  int rc = srv_user_get(s->d, from, &uf, err);
  if (rc == KT_ENOTFOUND) return kt_err_set(err, rc, "there is no user named %s", from);
  if (rc) return rc;
  if ((rc = srv_user_get(s->d, to, &ut, err)) == KT_ENOTFOUND)
    return kt_err_set(err, rc, "there is no user named %s to hand the clients to", to);
  if (rc) return rc;
  if (ut.disabled)
    return kt_err_set(err, KT_EDISABLED, "%s's account is disabled: hand the clients to an "
                      "active user (or enable the account first)", to);
  run u = {.s = s, .q = q, .res = res};
  if ((rc = parse_where(&u, err))) return rc;
  /* the server's own device number, made (committed) before any client's transaction */
  if ((rc = srv__dev_index(s, s->server_id, &u.self, err))) return rc;
  u.by = u.self;
  if (q->device && kt_uuid_str_is_valid(q->device) && (rc = srv__dev_index(s, q->device, &u.by, err)))
    return rc;
  int nt;
  kt_mtype *types = kt_model_types(s->model, &nt);
  for (int i = 0; !rc && i < nt; i++) {
    kt_mtype *t = &types[i];
    if (!(t->def->flags & KT_TF_CLIENT)) continue;
    /* a contact of an organization is that organization's, moved with it */
    kt_mfield *orgf = strcmp(t->def->name, "org") != 0 ? kt_mtype_field(t, "org") : NULL;
    int64_t *rows;
    size_t n;
    if ((rc = rowids(s, t, SRV_TST_BY_OWNER, from, &rows, &n, err))) break;
    for (size_t k = 0; !rc && k < n; k++) {
      kt_rec *r = NULL;
      if ((rc = load_rowid(s, t, rows[k], &r, err)) || !r) continue;
      bool own_client = !orgf || r->v[t->pos[orgf->vidx]].kind == KT_V_NULL;
      if (own_client && matches(&u, r)) {
        size_t before = res->records;
        if (!(rc = move_client(&u, r, err)) && res->records > before) res->clients++;
      }
      kt_rec_free(r);
    }
    free(rows);
  }
  if (rc) {
    srv__model_reload(s); /* after a rolled-back client: as after any failed write */
    kt_log_warn("admin", "hand-over from %s to %s stopped after %zu clients: %s", from, to,
                res->clients, err ? err->msg : "");
    return rc;
  }
  if (!res->clients)
    return kt_err_set(err, KT_ENOTFOUND, "%s has no clients%s to hand over; nothing changed",
                      from, u.nf ? " matching the filters" : "");
  return 0;
}
