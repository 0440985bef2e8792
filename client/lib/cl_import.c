/* cl_import — see cl_import.h. Column mapping and value forms: cl_import_map.c. */
#include "cl_import.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_dup.h"
#include "cl_import_int.h"
#include "cl_remote.h"
#include "kt_i18n.h"
#include "kt_text.h"
#include "kt_uuid.h"

#define MAX_PROBLEMS 1000 /* a broken file is not read to its end for its 100,000th error */

typedef struct tmap {
  bool done;
  const kt_mfield **fields; /* per header column */
  bool *skipped;
} tmap;

/* The live cards of a referenced type by folded title (loaded once, on the
 * first reference by name; grows with the cards --create-missing makes), so
 * resolving names stays O(1) per row. id "" = several cards have the name. */
typedef struct names {
  bool loaded;
  char **keys;
  char (*ids)[KT_UUID_STRLEN + 1];
  int n, cap;
  int *slots; /* index + 1, 0 = empty */
  size_t nslots;
} names;

typedef struct extra {
  const kt_mfield *from;
  size_t off; /* value in the row buffer */
} extra;

typedef struct imp {
  cl_store *s;
  const cl_import_opts *o;
  cl_import_note_fn note;
  void *ud;
  cl_import_result *res;
  cl_rowset *rs;
  tmap maps[KT_MAX_TYPES];
  cl_dupidx *idx;
  names refs[KT_MAX_TYPES];
  int problems;   /* rows with a problem */
  bool row_bad;
  kt_err first;   /* the first problem */
} imp;

static void emit(imp *im, cl_note_kind kind, int line, int column, const char *text, const char *id) {
  if (!im->note) return;
  cl_import_note n = {kind, line, column, text, id};
  im->note(im->ud, &n);
}

/* A problem of one row (column 0: the row as a whole). */
__attribute__((format(printf, 4, 5))) static void problem(imp *im, int line, int col,
                                                          const char *fmt, ...) {
  char msg[KT_ERR_MSG_MAX], where[KT_ERR_MSG_MAX + 64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (col > 0 && col <= im->rs->nheader && *im->rs->header[col - 1])
    snprintf(where, sizeof where, KT_("line %d, column %d (%s): %s"), line, col,
             im->rs->header[col - 1], msg);
  else if (col > 0)
    snprintf(where, sizeof where, KT_("line %d, column %d: %s"), line, col, msg);
  else
    snprintf(where, sizeof where, KT_("line %d: %s"), line, msg);
  if (!im->row_bad) im->problems++;
  im->row_bad = true;
  if (!im->first.code) kt_err_set(&im->first, KT_EINVAL, "%s", where);
  emit(im, CL_NOTE_BAD, line, col, where, NULL);
}

/* t's column map (made once). report: unmapped columns are told (and refused
 * with --strict) now; else tell_unmapped tells them for all types at once. */
static int get_map(imp *im, kt_mtype *t, bool report, tmap **out, kt_err *err) {
  tmap *m = &im->maps[t->def->code];
  *out = m;
  if (m->done) return 0;
  int n = im->rs->nheader ? im->rs->nheader : 1;
  m->fields = calloc((size_t)n, sizeof *m->fields);
  m->skipped = calloc((size_t)n, sizeof *m->skipped);
  if (!m->fields || !m->skipped) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = cl__import_map(t, im->rs->header, im->rs->nheader, im->o->map, im->o->nmap,
                          im->o->strict && report, report, m->fields, m->skipped, im->note,
                          im->ud, err);
  if (rc) return rc;
  for (int i = 0; i < im->rs->nheader; i++)
    if (!m->fields[i] && !m->skipped[i] && report) im->res->unmapped++;
  m->done = true;
  return 0;
}

/* Rows of several types (a calendar's events and tasks): a column is unmapped
 * only when no type of the rows takes it. Tells them, and refuses them with
 * --strict. */
static int tell_unmapped(imp *im, kt_err *err) {
  kt_buf un = KT_BUF_INIT;
  int nun = 0;
  for (int i = 0; i < im->rs->nheader; i++) {
    bool taken = false;
    for (int k = 0; k < KT_MAX_TYPES && !taken; k++)
      taken = im->maps[k].done && (im->maps[k].fields[i] || im->maps[k].skipped[i]);
    if (taken) continue;
    nun++;
    im->res->unmapped++;
    kt_buf_printf(&un, "%s'%s'", un.len ? ", " : "", *im->rs->header[i] ? im->rs->header[i] : "(no name)");
    emit(im, CL_NOTE_UNMAPPED, 0, i + 1, im->rs->header[i], NULL);
  }
  int rc = 0;
  if (un.oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  else if (nun && im->o->strict)
    rc = kt_err_set(err, KT_EINVAL, "--strict: %d column%s match%s no field of the file's "
                    "cards: %s; map %s with --map 'COLUMN=FIELD' or skip with --map 'COLUMN='",
                    nun, nun == 1 ? "" : "s", nun == 1 ? "es" : "", kt_buf_str(&un),
                    nun == 1 ? "it" : "them");
  kt_buf_free(&un);
  return rc;
}

/* The first field of t with the title flag, when the title is that one field. */
static const kt_mfield *sole_title(kt_mtype *t) {
  const kt_mfield *f = NULL;
  for (int k = 0; k < t->nfields; k++)
    if (t->fields[k].flags & KT_FF_TITLE) {
      if (f) return NULL;
      f = &t->fields[k];
    }
  return f;
}

typedef struct find_ctx {
  char id[KT_UUID_STRLEN + 1];
  int n;
} find_ctx;


static uint64_t name_hash(const char *k) {
  uint64_t h = 1469598103934665603ULL;
  for (; *k; k++) h = (h ^ (unsigned char)*k) * 1099511628211ULL;
  return h;
}

static size_t names_slot(const names *nm, const char *k) {
  size_t mask = nm->nslots - 1, i = (size_t)name_hash(k) & mask;
  while (nm->slots[i] && strcmp(nm->keys[nm->slots[i] - 1], k) != 0) i = (i + 1) & mask;
  return i;
}

static int names_find(const names *nm, const char *k) {
  if (!nm->nslots) return -1;
  size_t i = names_slot(nm, k);
  return nm->slots[i] ? nm->slots[i] - 1 : -1;
}

/* Adds k -> id; a second card with k makes the name ambiguous (id ""). -1 on OOM. */
static int names_put(names *nm, const char *k, const char *id) {
  int at = names_find(nm, k);
  if (at >= 0) {
    nm->ids[at][0] = '\0';
    return 0;
  }
  if ((size_t)(nm->n + 1) * 2 > nm->nslots) {
    size_t ns = nm->nslots ? nm->nslots * 2 : 256;
    int *sl = calloc(ns, sizeof *sl);
    if (!sl) return -1;
    free(nm->slots);
    nm->slots = sl;
    nm->nslots = ns;
    for (int i = 0; i < nm->n; i++) nm->slots[names_slot(nm, nm->keys[i])] = i + 1;
  }
  if (nm->n == nm->cap) {
    int cap = nm->cap ? nm->cap * 2 : 256;
    char **kk = realloc(nm->keys, (size_t)cap * sizeof *kk);
    if (!kk) return -1;
    nm->keys = kk;
    char (*ii)[KT_UUID_STRLEN + 1] = realloc(nm->ids, (size_t)cap * sizeof *ii);
    if (!ii) return -1;
    nm->ids = ii;
    nm->cap = cap;
  }
  if (!(nm->keys[nm->n] = strdup(k))) return -1;
  snprintf(nm->ids[nm->n], sizeof nm->ids[nm->n], "%s", id);
  nm->slots[names_slot(nm, k)] = nm->n + 1;
  nm->n++;
  return 0;
}

static void names_free(names *nm) {
  for (int i = 0; i < nm->n; i++) free(nm->keys[i]);
  free(nm->keys);
  free(nm->ids);
  free(nm->slots);
}

typedef struct load_ctx {
  names *nm;
  const kt_mfield *tf;
  int rc;
} load_ctx;

static int load_cb(void *ud, const cl_rec *r) {
  load_ctx *c = ud;
  const kt_value *v = &r->v[r->type->pos[c->tf->vidx]];
  if (v->kind != KT_V_TEXT) return 0;
  kt_buf key = KT_BUF_INIT;
  size_t n;
  const char *t = kt_text_trim(v->s, &n);
  kt_text_fold(t, n, &key);
  if (key.oom || names_put(c->nm, kt_buf_str(&key), cl_rec_id(r))) c->rc = -1;
  kt_buf_free(&key);
  return c->rc;
}

/* A reference written as a name -> the id (created with create_missing).
 * 0 and id, or a problem reported (-1). */
static int resolve_ref(imp *im, const kt_mfield *f, const char *name, int line, int col,
                       char id[KT_UUID_STRLEN + 1], kt_err *err) {
  kt_mtype *rt = kt_model_type(cl_store_model(im->s), f->ref);
  const kt_mfield *tf = rt ? sole_title(rt) : NULL;
  if (!tf) {
    problem(im, line, col, "%s: '%s' is not a card id", f->name, name);
    return -1;
  }
  names *nm = &im->refs[rt->def->code];
  if (!nm->loaded) {
    cl_query q = {.type = rt->def->name};
    load_ctx lc = {nm, tf, 0};
    int rc = cl_store_list(im->s, &q, load_cb, &lc, err);
    if (!rc && lc.rc) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    if (rc) return rc;
    nm->loaded = true;
  }
  kt_buf key = KT_BUF_INIT;
  size_t nl;
  const char *tn = kt_text_trim(name, &nl);
  kt_text_fold(tn, nl, &key);
  if (key.oom) {
    kt_buf_free(&key);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  find_ctx c = {{0}, 0};
  int rc = 0, at = names_find(nm, kt_buf_str(&key));
  if (at >= 0) {
    c.n = nm->ids[at][0] ? 1 : 2;
    memcpy(c.id, nm->ids[at], sizeof c.id);
  }
  if (c.n > 1) {
    kt_buf_free(&key);
    problem(im, line, col, "%s: several %ss are named '%s'; give the id instead", f->name,
            rt->def->noun, name);
    return -1;
  }
  if (c.n == 0) {
    if (!im->o->create_missing) {
      kt_buf_free(&key);
      problem(im, line, col, "%s: no %s named '%s'%s; create it first or add --create-missing",
              f->name, rt->def->noun, name, cl_store_connected(im->s) ? " in your part of the base" : "");
      return -1;
    }
    cl_set set = {tf->name, name};
    kt_err e2;
    kt_err_clear(&e2);
    if ((rc = cl_store_add(im->s, rt->def->name, &set, 1, c.id, &e2))) {
      kt_buf_free(&key);
      if (rc == KT_ENOMEM || rc == KT_EDB || rc == KT_EIO) return kt_err_set(err, rc, "%s", e2.msg);
      problem(im, line, col, "cannot create the %s '%s': %s", rt->def->noun, name, e2.msg);
      return -1;
    }
    im->res->refs_created++;
    char what[300];
    snprintf(what, sizeof what, "%s '%s'", rt->def->noun, name);
    emit(im, CL_NOTE_REF_CREATED, line, col, what, c.id);
  }
  if (at < 0 && names_put(nm, kt_buf_str(&key), c.id)) {
    kt_buf_free(&key);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  kt_buf_free(&key);
  memcpy(id, c.id, KT_UUID_STRLEN + 1);
  return 0;
}

static bool is_multi_kind(const kt_mfield *f) {
  return f->type == KT_FT_PHONE || f->type == KT_FT_EMAIL;
}

/* Parses a cell into the row's record (references and names of users and
 * groups are checked when the card is written). false: a problem was told. */
static bool parse_cell(imp *im, cl_rec *r, const kt_mfield *f, const char *v, int line, int col) {
  if (f->type == KT_FT_REF || f->type == KT_FT_GROUP || f->type == KT_FT_USER) return true;
  kt_value val = {KT_V_NULL, 0, NULL};
  kt_err e;
  kt_err_clear(&e);
  if (kt_mfield_parse(f, v, &val, &e)) {
    problem(im, line, col, "%s", e.msg);
    return false;
  }
  int pos = r->type->pos[f->vidx];
  kt_value_clear(&r->v[pos]);
  r->v[pos] = val;
  return true;
}

/* The id a row's id cell gives: the id itself, else one derived from the type
 * and the text (another program's UID). */
static void row_id(const kt_mtype *t, const char *v, char out[KT_UUID_STRLEN + 1]) {
  kt_uuid u;
  if (kt_uuid_parse(v, &u) == 0) {
    kt_uuid_format(&u, out);
    return;
  }
  char key[1200];
  int n = snprintf(key, sizeof key, "%s\n%s", t->def->name, v);
  kt_uuid_derive(key, n < 0 ? 0 : (size_t)n < sizeof key ? (size_t)n : sizeof key - 1, out);
}

/* A row whose identity names a card that exists: skipped, or (--on-duplicate
 * update) merged into it as an ordinary edit. 0: no such card (with create,
 * want is cleared when the id is taken: the row gets a new one); -1: the row
 * is done (told); -KT_E...: a hard error (in err). */
static int same_card(imp *im, kt_mtype *t, char want[KT_UUID_STRLEN + 1], const cl_set *sets,
                     int n, int line, kt_err *err) {
  cl_rec *cur = NULL;
  kt_err e;
  kt_err_clear(&e);
  int rc = cl_store_get(im->s, want, &cur, &e);
  if (rc == KT_ENOTFOUND) return 0;
  if (rc) {
    kt_err_set(err, rc, "line %d: %s", line, e.msg);
    return -rc;
  }
  rc = -1;
  kt_buf title = KT_BUF_INIT;
  cl_rec_title(cur, &title);
  char w[KT_ERR_MSG_MAX];
  if (im->o->on_duplicate == CL_DUP_CREATE) {
    want[0] = '\0';
    rc = 0;
  } else if (cur->type != t) {
    problem(im, line, 0, KT_("its id %s is that of the %s %s, not of a %s; remove the id or UID "
            "to import it as a new card"), want, cur->type->def->noun, kt_buf_str(&title),
            t->def->noun);
  } else if (cl_rec_deleted(cur)) {
    im->res->skipped++;
    snprintf(w, sizeof w, KT_("the same card (id %s) is in the trash: %s; restore it to update it"),
             want, kt_buf_str(&title));
    emit(im, CL_NOTE_SKIPPED, line, 0, w, want);
  } else if (im->o->on_duplicate == CL_DUP_UPDATE) {
    int changed = 0;
    if ((rc = cl_store_edit(im->s, want, sets, n, &changed, &e))) {
      if (rc == KT_ENOMEM || rc == KT_EDB || rc == KT_EIO) {
        kt_err_set(err, rc, "%s", e.msg);
        rc = -rc;
      } else {
        problem(im, line, 0, KT_("cannot update %s (%s): %s"), kt_buf_str(&title), want, e.msg);
        rc = -1;
      }
    } else {
      im->res->updated++;
      snprintf(w, sizeof w,
               KT_NG_("the same card (id) as %s: %d field changed",
                      "the same card (id) as %s: %d fields changed", changed),
               kt_buf_str(&title), changed);
      emit(im, CL_NOTE_UPDATED, line, 0, w, want);
      rc = -1;
    }
  } else {
    im->res->skipped++;
    snprintf(w, sizeof w, KT_("the same card (id %s) is already in the base: %s"), want,
             kt_buf_str(&title));
    emit(im, CL_NOTE_SKIPPED, line, 0, w, want);
  }
  kt_buf_free(&title);
  cl_rec_free(cur);
  return rc;
}

/* Appends a copy of key to *keys (n used of *cap). 0 or KT_ENOMEM. */
static int key_push(char ***keys, int *n, int *cap, const char *key, kt_err *err) {
  if (*n == *cap) {
    int c = *cap ? *cap * 2 : 1024;
    char **nk = realloc(*keys, (size_t)c * sizeof *nk);
    if (!nk) return kt_err_set(err, KT_ENOMEM, "out of memory");
    *keys = nk;
    *cap = c;
  }
  if (!((*keys)[*n] = strdup(key))) return kt_err_set(err, KT_ENOMEM, "out of memory");
  (*n)++;
  return 0;
}

/* The name key of a row (kt_rec_name_key over its title and place cells), in
 * rec (the type's scratch record, cleared here); false when it has none. */
static bool row_name_key(const imp *im, const cl_row *row, const tmap *m, kt_rec *rec, char *key,
                         size_t n) {
  for (int k = 0; k < rec->type->nfields; k++) kt_value_clear(&rec->v[k]);
  bool any = false;
  for (int i = 0; i < im->rs->nheader && i < row->ncells; i++) {
    const kt_mfield *f = m->fields[i];
    if (!f || !kt_mfield_in_name_key(f) || f->type != KT_FT_TEXT || !row->cells[i] ||
        !*row->cells[i])
      continue;
    kt_value v = {KT_V_NULL, 0, NULL};
    if (kt_mfield_parse(f, row->cells[i], &v, NULL)) continue;
    kt_value_clear(&rec->v[rec->type->pos[f->vidx]]);
    rec->v[rec->type->pos[f->vidx]] = v;
    any = true;
  }
  return any && kt_rec_name_key(rec, key, n);
}

/* Asks the server in advance about the claim keys (phones, e-mails, tax ids,
 * the name and city) of every client row, a thousand a request, so the rows'
 * checks need no round trip each. */
static int prefetch_claims(imp *im, kt_mtype *deft, kt_err *err) {
  char **keys = NULL;
  int n = 0, cap = 0, rc = 0;
  kt_buf part = KT_BUF_INIT;
  kt_rec *scratch[KT_MAX_TYPES] = {0};
  for (int r = 0; r < im->rs->nrows && !rc; r++) {
    const cl_row *row = &im->rs->rows[r];
    kt_mtype *t = row->type ? kt_model_type(cl_store_model(im->s), row->type) : deft;
    if (!t || !(t->def->flags & KT_TF_CLIENT)) continue;
    const tmap *m = &im->maps[t->def->code];
    if (!m->done) continue;
    for (int i = 0; i < im->rs->nheader && i < row->ncells && !rc; i++) {
      const kt_mfield *f = m->fields[i];
      if (!f || !kt_mfield_claims(f)) continue;
      for (const char *p = row->cells[i]; p && *p && !rc;) {
        const char *sep = strstr(p, CL_ROWSET_MULTI);
        size_t len = sep ? (size_t)(sep - p) : strlen(p);
        kt_buf_reset(&part);
        kt_buf_append(&part, p, len);
        char key[CL_DUP_KEY_MAX];
        if (!part.oom && kt_mfield_claim_key(f, kt_buf_str(&part), key, sizeof key))
          rc = key_push(&keys, &n, &cap, key, err);
        p = sep ? sep + strlen(CL_ROWSET_MULTI) : NULL;
      }
    }
    kt_rec **sr = &scratch[t->def->code];
    if (!rc && !*sr && !(*sr = kt_rec_new(t))) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    char key[CL_DUP_KEY_MAX];
    if (!rc && row_name_key(im, row, m, *sr, key, sizeof key))
      rc = key_push(&keys, &n, &cap, key, err);
  }
  for (int i = 0; i < KT_MAX_TYPES; i++) kt_rec_free(scratch[i]);
  if (part.oom && !rc) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!rc) rc = cl_claimer_prefetch(im->o->claims, (const char *const *)keys, n, err);
  for (int i = 0; i < n; i++) free(keys[i]);
  free(keys);
  kt_buf_free(&part);
  return rc;
}

/* One row: returns 0 (done, skipped or a problem told) or a hard error. */
static int import_row(imp *im, const cl_row *row, kt_mtype *t, tmap *m, kt_err *err) {
  const cl_import_opts *o = im->o;
  int nh = im->rs->nheader, line = row->line, rc = 0;
  im->row_bad = false;
  for (int i = nh; i < row->ncells; i++)
    if (*row->cells[i]) {
      problem(im, line, 0, KT_("%d values but the header names %d columns (a delimiter inside an "
              "unquoted value?)"), row->ncells, nh);
      return 0;
    }
  kt_buf vals = KT_BUF_INIT;
  size_t *offs = calloc((size_t)t->nfields, sizeof *offs);
  bool *filled = calloc((size_t)t->nfields, sizeof *filled);
  int *colof = calloc((size_t)t->nfields, sizeof *colof);
  extra *extras = NULL;
  int nextra = 0, capextra = 0;
  cl_rec *r = cl_rec_new(t);
  cl_set *sets = calloc((size_t)t->nfields, sizeof *sets);
  char (*refids)[KT_UUID_STRLEN + 1] = calloc((size_t)t->nfields, sizeof *refids);
  if (!offs || !filled || !colof || !r || !sets || !refids) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  kt_buf_putc(&vals, '\0'); /* offset 0 = no value */
  for (int i = 0; i < nh && i < row->ncells; i++) {
    const kt_mfield *f = m->fields[i];
    if (!f) continue;
    int pos = t->pos[f->vidx];
    size_t start = vals.len;
    cl__import_value(f, row->cells[i], &vals);
    if (vals.len == start) continue;
    kt_buf_putc(&vals, '\0');
    if (vals.oom) break;
    char *v = vals.p + start;
    /* "a ::: b": the first value here, the others to the card's other fields of the kind */
    char *sep = is_multi_kind(f) ? strstr(v, CL_ROWSET_MULTI) : NULL;
    while (sep) {
      *sep = '\0';
      char *next = sep + strlen(CL_ROWSET_MULTI);
      char *more = strstr(next, CL_ROWSET_MULTI);
      size_t l;
      const char *tv = kt_text_trim(next, &l);
      if (l) {
        if (nextra == capextra) {
          capextra = capextra ? capextra * 2 : 4;
          extra *e = realloc(extras, (size_t)capextra * sizeof *e);
          if (!e) {
            rc = kt_err_set(err, KT_ENOMEM, "out of memory");
            goto out;
          }
          extras = e;
        }
        extras[nextra++] = (extra){f, (size_t)(tv - vals.p)};
        ((char *)tv)[l] = '\0';
      }
      sep = more;
    }
    size_t l;
    const char *tv = kt_text_trim(v, &l);
    ((char *)tv)[l] = '\0';
    if (!l) continue;
    offs[pos] = (size_t)(tv - vals.p);
    filled[pos] = true;
    colof[pos] = i + 1;
  }
  if (vals.oom) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  /* spread the extra values over empty fields of their type, else into the first long text */
  kt_buf over = KT_BUF_INIT;
  for (int e = 0; e < nextra; e++) {
    int k;
    for (k = 0; k < t->nfields; k++)
      if (t->fields[k].type == extras[e].from->type && !filled[k] && !(t->fields[k].flags & KT_FF_SYSTEM))
        break;
    if (k < t->nfields) {
      offs[k] = extras[e].off;
      filled[k] = true;
      colof[k] = colof[t->pos[extras[e].from->vidx]];
    } else {
      kt_buf_printf(&over, "%s%s: %s", over.len ? "\n" : "", kt_mfield_label(extras[e].from),
                    vals.p + extras[e].off);
    }
  }
  if (over.len) {
    int k;
    for (k = 0; k < t->nfields && t->fields[k].type != KT_FT_LONGTEXT; k++) {
    }
    if (k < t->nfields) {
      size_t start = vals.len;
      if (filled[k]) kt_buf_printf(&vals, "%s\n", vals.p + offs[k]);
      kt_buf_puts(&vals, kt_buf_str(&over));
      kt_buf_putc(&vals, '\0');
      offs[k] = start;
      filled[k] = true;
      char w[KT_ERR_MSG_MAX];
      snprintf(w, sizeof w, KT_("line %d: more values than the card has fields for; kept in %s: %s"),
               line, t->fields[k].name, kt_buf_str(&over));
      emit(im, CL_NOTE_WARNING, line, 0, w, NULL);
    } else {
      problem(im, line, 0, KT_("more values than the card has fields for: %s"), kt_buf_str(&over));
    }
  }
  kt_buf_free(&over);
  if (vals.oom) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  /* the row's identity: a card id (our own files) or another program's UID, from which an
     id is derived, so the same UID is the same card: a file imported twice makes its cards
     once, and a card exported and imported back is found again */
  char want[KT_UUID_STRLEN + 1] = "";
  int idpos = t->pos[KT_F_ID];
  bool had_id = filled[idpos];
  if (had_id) {
    filled[idpos] = false;
    row_id(t, vals.p + offs[idpos], want);
  }
  int n = 0;
  for (int k = 0; k < t->nfields; k++) {
    if (!filled[k]) continue;
    const kt_mfield *f = &t->fields[k];
    const char *v = vals.p + offs[k];
    if (!parse_cell(im, r, f, v, line, colof[k])) continue;
    sets[n++] = (cl_set){f->name, v};
  }
  if (!n && had_id && !im->row_bad) {
    /* e.g. an iCalendar task with a UID and nothing else: not an empty line of a
       table, so it is told, never dropped silently */
    char w[KT_ERR_MSG_MAX];
    snprintf(w, sizeof w, KT_("line %d: nothing to import but the id of a card (%s): add at least one value"),
             line, kt_i18n_noun(t->def->noun));
    emit(im, CL_NOTE_WARNING, line, 0, w, NULL);
  }
  if (!n || im->row_bad) goto out; /* an empty row, or one with a problem (told) */
  /* references by name */
  for (int i = 0; i < n; i++) {
    const kt_mfield *f = kt_mtype_field(t, sets[i].field);
    if (f->type != KT_FT_REF || kt_uuid_str_is_valid(sets[i].value)) continue;
    int k = t->pos[f->vidx];
    int r2 = resolve_ref(im, f, sets[i].value, line, colof[k], refids[k], err);
    if (r2 < 0 && r2 != -1) {
      rc = r2;
      goto out;
    }
    if (r2 == 0) {
      sets[i].value = refids[k];
      kt_value_set_text(&r->v[k], refids[k], KT_UUID_STRLEN);
    }
  }
  if (im->row_bad) goto out;
  /* this very card already in the base? */
  if (*want) {
    int k = same_card(im, t, want, sets, n, line, err);
    if (k < 0) {
      rc = k == -1 ? 0 : -k;
      goto out;
    }
  }
  /* the same client already in the base? */
  if (o->check_duplicates && (t->def->flags & KT_TF_CLIENT)) {
    cl_dupkey keys[CL_DUP_MAX_KEYS];
    int nk = cl_dup_rec_keys(r, keys, CL_DUP_MAX_KEYS);
    const cl_duprec *d = NULL;
    int which = -1;
    for (int i = 0; i < nk && !d && o->on_duplicate != CL_DUP_CREATE; i++)
      if ((d = cl_dupidx_find(im->idx, keys[i].key, 0))) which = i;
    if (d && o->on_duplicate == CL_DUP_UPDATE && d->tcode == t->def->code) {
      int changed = 0;
      kt_err e;
      kt_err_clear(&e);
      if ((rc = cl_store_edit(im->s, d->id, sets, n, &changed, &e))) {
        if (rc == KT_ENOMEM || rc == KT_EDB || rc == KT_EIO) {
          kt_err_set(err, rc, "%s", e.msg);
          goto out;
        }
        rc = 0;
        problem(im, line, 0, KT_("cannot update %s (%s): %s"), d->title, d->id, e.msg);
        goto out;
      }
      im->res->updated++;
      char w[KT_ERR_MSG_MAX];
      /* TRANSLATORS: the first %s is what matched: phone, e-mail, tax id, name and city */
      snprintf(w, sizeof w,
               KT_NG_("same %s as %s: %d field changed", "same %s as %s: %d fields changed", changed),
               KT_(cl_dup_key_reason(keys[which].key)), d->title, changed);
      emit(im, CL_NOTE_UPDATED, line, 0, w, d->id);
      goto out;
    }
    if (d) {
      im->res->skipped++;
      char w[KT_ERR_MSG_MAX];
      const kt_mfield *kf = keys[which].f;
      const kt_value *kv = &r->v[t->pos[kf->vidx]];
      if (keys[which].key[0] == 'n')
        snprintf(w, sizeof w, KT_("a client with the same name in the same city already exists%s%s: "
                 "%s (%s)"), *d->owner ? KT_(", assigned to ") : "", d->owner, d->title, d->id);
      else
        snprintf(w, sizeof w, KT_("a client with this %s (%s) already exists%s%s: %s (%s)"), kf->name,
                 kv->kind == KT_V_TEXT ? kv->s : "", *d->owner ? KT_(", assigned to ") : "", d->owner,
                 d->title, d->id);
      emit(im, CL_NOTE_SKIPPED, line, 0, w, d->id);
      goto out;
    }
    if (o->claims && o->on_duplicate != CL_DUP_CREATE) {
      cl_claim cl;
      if ((rc = cl_claimer_check(o->claims, t->def->name, sets, n, &cl, err))) goto out;
      if (cl.exists) {
        im->res->skipped++;
        char w[KT_ERR_MSG_MAX];
        snprintf(w, sizeof w, KT_("a client with this %s (%s) already exists%s%s%s"), cl.what, cl.value,
                 cl.owner[0] ? KT_(", assigned to ") : "", cl.owner, cl.on_server ? "" : " (on this PC)");
        emit(im, CL_NOTE_SKIPPED, line, 0, w, NULL);
        goto out;
      }
    }
  }
  char id[KT_UUID_STRLEN + 1];
  kt_err e;
  kt_err_clear(&e);
  if (*want) snprintf(id, sizeof id, "%s", want);
  if ((rc = *want ? cl_store_add_as(im->s, t->def->name, want, sets, n, &e)
                  : cl_store_add(im->s, t->def->name, sets, n, id, &e))) {
    if (rc == KT_ENOMEM || rc == KT_EDB || rc == KT_EIO) {
      kt_err_set(err, rc, "line %d: %s", line, e.msg);
      goto out;
    }
    rc = 0;
    problem(im, line, 0, "%s", e.msg);
    goto out;
  }
  im->res->created++;
  emit(im, CL_NOTE_CREATED, line, 0, NULL, id);
  if (im->idx) {
    kt_value_set_text(&r->v[KT_F_ID], id, strlen(id));
    if (r->v[KT_F_OWNER].kind == KT_V_NULL) {
      const char *u = cl_store_user(im->s);
      kt_value_set_text(&r->v[KT_F_OWNER], u, strlen(u));
    }
    rc = cl_dupidx_add(im->idx, r, err);
  }
out:
  kt_buf_free(&vals);
  free(offs);
  free(filled);
  free(colof);
  free(extras);
  free(sets);
  free(refids);
  if (r) cl_rec_free(r);
  return rc;
}

int cl_import(cl_store *s, const char *path, const cl_import_opts *o, cl_import_note_fn note,
              void *ud, cl_import_result *res, kt_err *err) {
  memset(res, 0, sizeof *res);
  const kt_rights *rights = cl_store_rights(s);
  if (rights && !rights->can_import)
    return kt_err_set(err, KT_EPERM, KT_("your role (%s) may not import cards; ask your administrator "
                      "for the import right (`kartoteka admin role set --role ROLE --rights "
                      "+import`)"),
                      cl_store_role(s));
  kt_mtype *deft = NULL;
  int rc;
  if (o->type && (rc = kt_model_type_get(cl_store_model(s), o->type, &deft, err))) return rc;
  imp im = {.s = s, .o = o, .note = note, .ud = ud, .res = res};
  kt_err_clear(&im.first);
  bool began = false;
  if ((rc = cl_rowset_read(o->format, path, &o->read, &im.rs, err))) return rc;
  snprintf(res->format, sizeof res->format, "%s", im.rs->format ? im.rs->format : "");
  snprintf(res->encoding, sizeof res->encoding, "%s", im.rs->encoding);
  res->delimiter = im.rs->delimiter;
  res->rows = im.rs->nrows;
  for (int i = 0; i < im.rs->nrows; i++)
    if (!im.rs->rows[i].type && !deft) {
      rc = kt_err_set(err, KT_EINVAL, KT_("say what the rows are with --type (%s)"),
                      kt_registry_type_names());
      goto out;
    }
  if (deft && (rc = get_map(&im, deft, true, &(tmap *){NULL}, err))) goto out;
  if (!deft) {
    for (int i = 0; i < im.rs->nrows; i++) {
      kt_mtype *t;
      if ((rc = kt_model_type_get(cl_store_model(s), im.rs->rows[i].type, &t, err))) {
        kt_err_prefix(err, "line %d", im.rs->rows[i].line);
        goto out;
      }
      if ((rc = get_map(&im, t, false, &(tmap *){NULL}, err))) goto out;
    }
    if ((rc = tell_unmapped(&im, err))) goto out;
  }
  if (o->check_duplicates) {
    if ((rc = cl_dupidx_new(&im.idx, err))) goto out;
    if ((rc = cl_dupidx_load(im.idx, s, NULL, err))) goto out;
    if (o->claims) {
      cl_claimer_server_only(o->claims);
      if (o->on_duplicate != CL_DUP_CREATE && (rc = prefetch_claims(&im, deft, err))) goto out;
    }
  }
  if ((rc = cl_store_begin(s, err))) goto out;
  began = true;
  /* the search index's segments are merged after the import, not in its commit
     (FTS5 merges grow faster than the rows: 0 of 100,000 rows' time, 6% of
     200,000's); the cards are searchable at once either way */
  if ((rc = cl_store_defer_merge(s, err))) goto out;
  for (int i = 0; i < im.rs->nrows && im.problems < MAX_PROBLEMS; i++) {
    const cl_row *row = &im.rs->rows[i];
    kt_mtype *t = deft;
    if (row->type && (rc = kt_model_type_get(cl_store_model(s), row->type, &t, err))) {
      kt_err_prefix(err, "line %d", row->line);
      goto out;
    }
    tmap *m;
    if ((rc = get_map(&im, t, false, &m, err))) goto out;
    if ((rc = import_row(&im, row, t, m, err))) goto out;
  }
  res->bad = im.problems;
  if (im.problems && !o->skip_bad_rows) {
    rc = kt_err_set(err, KT_EINVAL,
                    im.problems > 1
                        ? KT_("%s (and more: see the list above); nothing was imported (fix the "
                              "file, or import the good rows with --skip-bad-rows)")
                        : KT_("%s; nothing was imported (fix the file, or import the good rows "
                              "with --skip-bad-rows)"),
                    im.first.msg);
    err->code = KT_EINVAL;
    goto out;
  }
out:
  if (began) {
    if (rc || o->dry_run) cl_store_rollback(s);
    else rc = cl_store_commit(s, err);
  }
  for (int i = 0; i < KT_MAX_TYPES; i++) names_free(&im.refs[i]);
  for (int i = 0; i < KT_MAX_TYPES; i++) {
    free(im.maps[i].fields);
    free(im.maps[i].skipped);
  }
  cl_dupidx_free(im.idx);
  cl_rowset_free(im.rs);
  return rc;
}
