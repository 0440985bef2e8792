/* cl_reader — the read-only connection (see cl_reader.h): opening, refresh,
 * records by id with their related cards, search. The views (sorted, paged
 * lists) are in cl_reader_view.c; both share cl_reader_int.h.
 *
 * The connection is a cl_store opened read-only (SQLITE_OPEN_READONLY,
 * query_only, no migration, no checkpoints): the same model loading, the
 * same kt_coll collation and kt_fold function as the writer, so filters and
 * search mean what they mean for `list` and `search`. */
#include "cl_reader_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_migrate.h"

static const char *default_locale(void) {
  const char *l = getenv("LC_ALL");
  if (!l || !*l) l = getenv("LC_COLLATE");
  if (!l || !*l) l = getenv("LANG");
  return l ? l : "";
}

int cl_reader_open(const char *path, const cl_reader_opts *opts, cl_reader **out, kt_err *err) {
  cl_reader_opts o = {0};
  if (opts) o = *opts;
  const char *locale = o.locale ? o.locale : default_locale();
  cl_reader *r = calloc(1, sizeof *r);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = kt_collator_new(locale, &r->coll, err);
  if (rc) goto fail;
  cl_open_opts so = {.locale = locale, .busy_ms = o.busy_ms, .readonly = true};
  if ((rc = cl_store_open(path, &so, &r->s, err))) goto fail;
  int level = 0; /* a reader does not migrate: the writer upgrades the file */
  if ((rc = kt_migrate_level(cl_store_sqlite(r->s), &level, err))) goto fail;
  if (level != kt_migrate_latest()) {
    rc = kt_err_set(err, KT_EVERSION,
                    level < kt_migrate_latest()
                        ? "the card index %s is from an older version of Kartoteka (schema %d, "
                          "this program has %d): it is upgraded when a program that writes opens "
                          "it (the agent, or any command that changes something)"
                        : "the card index %s was made by a newer version of Kartoteka (schema "
                          "%d, this program knows %d): update Kartoteka on this PC",
                    path, level, kt_migrate_latest());
    goto fail;
  }
  r->dv = cl_store_data_version(r->s);
  r->model_gen = 1;
  r->no_index = o.no_sort_index;
  *out = r;
  return 0;
fail:
  cl_reader_close(r);
  return rc;
}

void cl_reader_close(cl_reader *r) {
  if (!r) return;
  cl_store_close(r->s);
  kt_collator_free(r->coll);
  free(r);
}

kt_model *cl_reader_model(cl_reader *r) { return cl_store_model(r->s); }
struct cl_store *cl_reader_store(cl_reader *r) { return r->s; }
const char *cl_reader_path(cl_reader *r) { return cl_store_path(r->s); }
int64_t cl_reader_data_version(cl_reader *r) { return cl_store_data_version(r->s); }

int cl__reader_sync_model(cl_reader *r, kt_err *err) {
  kt_model *before = cl_store_model(r->s);
  int rc = cl_store_refresh(r->s, err);
  if (rc) return rc;
  if (cl_store_model(r->s) != before) r->model_gen++;
  return 0;
}

int cl_reader_refresh(cl_reader *r, bool *changed, kt_err *err) {
  int64_t v = cl_store_data_version(r->s);
  bool ch = v != r->dv;
  r->dv = v;
  if (ch) {
    int rc = cl__reader_sync_model(r, err);
    if (rc) return rc;
    cl__load_rights(r->s); /* the server sends them at each login: a rights change */
  }
  if (changed) *changed = ch;
  return 0;
}

int cl_reader_get(cl_reader *r, const char *id, kt_rec **out, kt_err *err) {
  return cl_store_get(r->s, id, out, err);
}

int cl_reader_related(cl_reader *r, const kt_rec *rec, cl_reader_cb cb, void *ud, kt_err *err) {
  return cl_store_related(r->s, rec, cb, ud, err);
}

int cl_reader_search(cl_reader *r, const char *text, const char *type, int limit, bool trash,
                     cl_reader_cb cb, void *ud, kt_err *err) {
  return cl_store_search(r->s, text, type, limit, trash, cb, ud, err);
}

/* ---- the trash of every section, the conflict log ----------------------------------- */

/* A section: a type people keep cards of (what the desktop app's sidebar lists). */
static bool is_section(const kt_mtype *t) {
  return (t->def->flags & KT_TF_USER) && !t->hidden &&
         !(t->def->flags & (KT_TF_CONFIG | KT_TF_SYSTEM | KT_TF_ELEMENT));
}

typedef struct trashed {
  int64_t deleted;
  char id[KT_UUID_STRLEN + 1];
} trashed;

typedef struct trash_walk {
  trashed *v;
  size_t n, cap;
  bool oom;
} trash_walk;

static int on_trashed(void *ud, const kt_rec *rec) {
  trash_walk *w = ud;
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 64;
    trashed *v = realloc(w->v, cap * sizeof *v);
    if (!v) return w->oom = true;
    w->v = v, w->cap = cap;
  }
  trashed *t = &w->v[w->n++];
  t->deleted = (int64_t)(rec->vers.f[KT_F_DELETED].stamp >> 16); /* an HLC stamp's ms */
  snprintf(t->id, sizeof t->id, "%s", kt_rec_id(rec));
  return 0;
}

/* Newest deletion first; ties by id (UUIDv7: newest card first). */
static int cmp_trashed(const void *a, const void *b) {
  const trashed *x = a, *y = b;
  if (x->deleted != y->deleted) return x->deleted < y->deleted ? 1 : -1;
  return -strcmp(x->id, y->id);
}

int cl_reader_trash(cl_reader *r, int limit, cl_reader_trash_cb cb, void *ud, kt_err *err) {
  int n = 0, rc = 0;
  kt_mtype *types = kt_model_types(cl_store_model(r->s), &n);
  trash_walk w = {0};
  for (int i = 0; i < n && !rc; i++) {
    if (!is_section(&types[i])) continue;
    cl_query q = {.type = types[i].def->name, .trash = true};
    rc = cl_store_list(r->s, &q, on_trashed, &w, err);
    if (!rc && w.oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  if (!rc && w.n) qsort(w.v, w.n, sizeof *w.v, cmp_trashed);
  size_t max = limit > 0 ? (size_t)limit : 1000;
  for (size_t i = 0; !rc && i < w.n && i < max; i++) {
    kt_rec *rec = NULL;
    if (cl_store_get(r->s, w.v[i].id, &rec, NULL)) continue; /* (gone meanwhile) */
    if (cb(ud, rec, w.v[i].deleted)) i = w.n;
    kt_rec_free(rec);
  }
  free(w.v);
  return rc;
}

/* The text of a conflict record's field ("" unset); *set whether it has a value. */
static const char *conflict_text(const kt_rec *c, const char *name, bool *set) {
  kt_mfield *f = kt_mtype_field(c->type, name);
  const kt_value *v = f ? &c->v[c->type->pos[f->vidx]] : NULL;
  if (set) *set = v && v->kind != KT_V_NULL;
  return v && v->kind == KT_V_TEXT && v->s ? v->s : "";
}

typedef struct conflict_walk {
  cl_reader *r;
  cl_reader_conflict_cb cb;
  void *ud;
  int n, rc;
} conflict_walk;

static int on_conflict_rec(void *ud, const kt_rec *c) {
  conflict_walk *w = ud;
  cl_reader_conflict x = {.id = kt_rec_id(c)};
  const kt_mfield *cf = kt_mtype_field(c->type, "created");
  if (cf && c->v[c->type->pos[cf->vidx]].kind == KT_V_INT) x.when = c->v[c->type->pos[cf->vidx]].i;
  x.rtype = conflict_text(c, "rtype", NULL);
  x.rid = conflict_text(c, "rid", NULL);
  x.field_name = conflict_text(c, "field", NULL);
  x.lost_by = conflict_text(c, "lost_by", NULL);
  x.kept_by = conflict_text(c, "won_by", NULL);
  x.duplicate = strcmp(conflict_text(c, "cause", NULL), "duplicate") == 0; /* by its code */
  kt_mtype *t = kt_model_type(cl_store_model(w->r->s), x.rtype);
  x.type = t;
  x.field = t ? kt_mtype_field(t, x.field_name) : NULL;
  if (!x.duplicate) {
    /* a protected field's values come in fields of their own, absent when this user
       may not see them; an open field's in value / winner */
    bool value, winner, pvalue, pwinner;
    const char *v = conflict_text(c, "value", &value), *k = conflict_text(c, "winner", &winner);
    const char *pv = conflict_text(c, "pvalue", &pvalue), *pk = conflict_text(c, "pwinner", &pwinner);
    bool prot = pvalue || pwinner || (!value && !winner);
    x.lost = prot ? pv : v;
    x.kept = prot ? pk : k;
    x.lost_hidden = prot && !pvalue;
    x.kept_hidden = prot && !pwinner;
  } else
    x.lost = x.kept = "";
  kt_rec *card = NULL;
  kt_buf title = KT_BUF_INIT;
  if (*x.rid && cl_store_get(w->r->s, x.rid, &card, NULL) == 0) {
    kt_rec_title(card, &title);
    x.card = kt_buf_str(&title);
  }
  w->n++;
  int stop = w->cb(w->ud, &x);
  kt_buf_free(&title);
  kt_rec_free(card);
  return stop;
}

int cl_reader_conflicts(cl_reader *r, int limit, cl_reader_conflict_cb cb, void *ud, int *n,
                        kt_err *err) {
  conflict_walk w = {r, cb, ud, 0, 0};
  cl_query q = {.type = "conflict", .sort = "created", .desc = true,
                .limit = limit > 0 ? limit : 1000};
  int rc = cl_store_list(r->s, &q, on_conflict_rec, &w, err);
  if (!rc && n) *n = w.n;
  return rc;
}

/* ---- the names of users and groups, for filters --------------------------------------- */

typedef struct name_set {
  char **v;
  size_t n, cap;
} name_set;

#define NAMES_MAX 1000

static int name_add(name_set *ns, const char *name, kt_err *err) {
  if (!name || !*name || ns->n >= NAMES_MAX) return 0;
  if (ns->n == ns->cap) {
    size_t cap = ns->cap ? ns->cap * 2 : 32;
    char **v = realloc(ns->v, cap * sizeof *v);
    if (!v) return kt_err_set(err, KT_ENOMEM, "out of memory");
    ns->v = v, ns->cap = cap;
  }
  if (!(ns->v[ns->n] = strdup(name))) return kt_err_set(err, KT_ENOMEM, "out of memory");
  ns->n++;
  return 0;
}

static int names_of_st(cl_reader *r, cl_st which, name_set *ns, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&r->s->d, which, err);
  if (!st) return cl_db_st_rc(&r->s->d);
  int rc, arc = 0;
  while (!arc && (rc = sqlite3_step(st)) == SQLITE_ROW)
    arc = name_add(ns, (const char *)sqlite3_column_text(st, 0), err);
  sqlite3_reset(st);
  if (arc) return arc;
  return rc == SQLITE_DONE ? 0 : cl_db_error(&r->s->d, rc, "reading the office's names", err);
}

/* The distinct values of an indexed column: each the next one after the last,
 * one index seek apiece (no scan of the cards). */
static int names_held(cl_reader *r, const kt_mtype *t, const kt_mfield *f, name_set *ns,
                      kt_err *err) {
  sqlite3_stmt *st = NULL;
  int rc = cl_db_next_value_st(&r->s->d, t, f, &st, err);
  if (rc) return rc;
  kt_buf last = KT_BUF_INIT;
  kt_buf_puts(&last, "");
  for (int i = 0; !rc && i < NAMES_MAX; i++) {
    sqlite3_bind_text(st, 1, kt_buf_str(&last), -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
      const char *name = (const char *)sqlite3_column_text(st, 0);
      rc = name_add(ns, name, err);
      kt_buf_reset(&last);
      kt_buf_puts(&last, name ? name : "");
    } else if (step == SQLITE_DONE)
      i = NAMES_MAX;
    else
      rc = cl_db_error(&r->s->d, step, "reading the names cards hold", err);
    sqlite3_reset(st);
  }
  if (!rc && last.oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  kt_buf_free(&last);
  sqlite3_finalize(st);
  return rc;
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int cl_reader_names(cl_reader *r, const char *type, const char *field, cl_reader_name_cb cb,
                    void *ud, kt_err *err) {
  kt_mtype *t = NULL;
  kt_mfield *f = NULL;
  int rc = kt_model_type_get(cl_store_model(r->s), type, &t, err);
  if (!rc) rc = kt_mtype_field_get(t, field, &f, err);
  if (rc) return rc;
  if (f->type != KT_FT_USER && f->type != KT_FT_GROUP)
    return kt_err_set(err, KT_EINVAL, "%s of %s is not a user or group field", field, type);
  name_set ns = {0};
  if (f->type == KT_FT_USER) {
    rc = name_add(&ns, cl_store_user(r->s), err);
    if (!rc) rc = names_of_st(r, CL_ST_STAFF_NAMES, &ns, err);
  } else
    rc = names_of_st(r, CL_ST_GROUP_NAMES, &ns, err);
  if (!rc && (f->flags & KT_FF_INDEX)) rc = names_held(r, t, f, &ns, err);
  if (!rc && ns.n) qsort(ns.v, ns.n, sizeof *ns.v, cmp_name);
  for (size_t i = 0; !rc && i < ns.n; i++)
    if ((i == 0 || strcmp(ns.v[i], ns.v[i - 1]) != 0) && cb(ud, ns.v[i])) break;
  for (size_t i = 0; i < ns.n; i++) free(ns.v[i]);
  free(ns.v);
  return rc;
}
