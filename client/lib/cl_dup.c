/* cl_dup — see cl_dup.h. */
#include "cl_dup.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_buf.h"
#include "kt_i18n.h"

/* ---- keys ------------------------------------------------------------------ */

int cl_dup_rec_keys(const cl_rec *r, cl_dupkey *out, int max) {
  if (!(r->type->def->flags & KT_TF_CLIENT)) return 0;
  int n = 0;
  const kt_mfield *title = NULL;
  for (int k = 0; k < r->type->nfields && n < max; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if ((f->flags & KT_FF_TITLE) && !title) title = f;
    if (r->v[k].kind != KT_V_TEXT || !kt_mfield_claim_key(f, r->v[k].s, out[n].key, CL_DUP_KEY_MAX))
      continue;
    bool seen = false; /* the same phone in two fields is one key */
    for (int j = 0; j < n && !seen; j++) seen = strcmp(out[j].key, out[n].key) == 0;
    if (seen) continue;
    out[n++].f = f;
  }
  /* the name key as the server keeps it (kt_rec_name_key: one computation) */
  if (n < max && title && kt_rec_name_key(r, out[n].key, CL_DUP_KEY_MAX)) out[n++].f = title;
  return n;
}

const char *cl_dup_key_reason(const char *key) {
  switch (key[0]) {
  case 'p': return KT_N_("phone");
  case 'e': return KT_N_("e-mail");
  case 't': return KT_N_("tax id");
  case 'n': return KT_N_("name and city");
  default: return "key";
  }
}

static int key_score(const char *key) {
  switch (key[0]) {
  case 't': return 100;
  case 'e': return 90;
  case 'p': return 80;
  default: return 60;
  }
}

/* ---- the index ------------------------------------------------------------- */

typedef struct dslot {
  uint32_t tag; /* the key's hash, high half */
  int head;     /* its first entry + 1; 0 = an empty slot */
} dslot;

typedef struct entry {
  size_t koff; /* key in x->keys */
  int rec;     /* index into x->recs */
  int next;    /* next entry with the same key, -1 */
} entry;

struct cl_dupidx {
  cl_duprec *recs;
  int nrecs, caprecs;
  entry *ents;
  int nents, capents;
  kt_buf keys;   /* NUL-terminated keys */
  dslot *slots;  /* open addressing: head entry index + 1 (0 = empty) and the key's hash */
  size_t nslots; /* power of two */
  int nkeys;     /* distinct keys */
};

static uint64_t hash(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h ^ (h >> 29); /* the low bits index the table: fold the well-mixed high ones in */
}

int cl_dupidx_new(cl_dupidx **out, kt_err *err) {
  cl_dupidx *x = calloc(1, sizeof *x);
  if (!x || !(x->slots = calloc(1024, sizeof *x->slots))) {
    free(x);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  x->nslots = 1024;
  *out = x;
  return 0;
}

void cl_dupidx_free(cl_dupidx *x) {
  if (!x) return;
  for (int i = 0; i < x->nrecs; i++) {
    free((char *)x->recs[i].owner);
    free((char *)x->recs[i].title);
  }
  free(x->recs);
  free(x->ents);
  free(x->slots);
  kt_buf_free(&x->keys);
  free(x);
}

static const char *ent_key(const cl_dupidx *x, const entry *e) { return x->keys.p + e->koff; }

/* The slot of key: its head, or the empty slot where it goes. */
static size_t find_slot_h(const cl_dupidx *x, const char *key, uint64_t h) {
  size_t mask = x->nslots - 1, i = (size_t)h & mask;
  uint32_t tag = (uint32_t)(h >> 32);
  /* the stored hash is compared first: a probe past another key then costs no
     look at the entries and the key text (two cache misses each on a big index) */
  while (x->slots[i].head &&
         (x->slots[i].tag != tag || strcmp(ent_key(x, &x->ents[x->slots[i].head - 1]), key) != 0))
    i = (i + 1) & mask;
  return i;
}

static size_t find_slot(const cl_dupidx *x, const char *key) { return find_slot_h(x, key, hash(key)); }

static int grow_slots(cl_dupidx *x, kt_err *err) {
  size_t n = x->nslots * 2;
  dslot *old = x->slots;
  size_t nold = x->nslots;
  if (!(x->slots = calloc(n, sizeof *x->slots))) {
    x->slots = old;
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  x->nslots = n;
  for (size_t i = 0; i < nold; i++)
    if (old[i].head) x->slots[find_slot(x, ent_key(x, &x->ents[old[i].head - 1]))] = old[i];
  free(old);
  return 0;
}

static int add_key(cl_dupidx *x, const char *key, int rec, kt_err *err) {
  if ((size_t)x->nkeys * 2 >= x->nslots && grow_slots(x, err)) return KT_ENOMEM;
  if (x->nents == x->capents) {
    int cap = x->capents ? x->capents * 2 : 1024;
    entry *e = realloc(x->ents, (size_t)cap * sizeof *e);
    if (!e) return kt_err_set(err, KT_ENOMEM, "out of memory");
    x->ents = e;
    x->capents = cap;
  }
  uint64_t h = hash(key);
  size_t slot = find_slot_h(x, key, h);
  entry *e = &x->ents[x->nents];
  e->rec = rec;
  if (x->slots[slot].head) { /* a key seen before: share its text, append to its chain */
    int head = x->slots[slot].head - 1, last = head;
    while (x->ents[last].next >= 0) last = x->ents[last].next;
    e->koff = x->ents[head].koff;
    e->next = -1;
    x->ents[last].next = x->nents;
  } else {
    e->koff = x->keys.len;
    e->next = -1;
    kt_buf_append(&x->keys, key, strlen(key) + 1);
    if (x->keys.oom) return kt_err_set(err, KT_ENOMEM, "out of memory");
    x->slots[slot] = (dslot){(uint32_t)(h >> 32), x->nents + 1};
    x->nkeys++;
  }
  x->nents++;
  return 0;
}

int cl_dupidx_add(cl_dupidx *x, const cl_rec *r, kt_err *err) {
  cl_dupkey keys[CL_DUP_MAX_KEYS];
  int nk = cl_dup_rec_keys(r, keys, CL_DUP_MAX_KEYS);
  if (!nk) return 0;
  if (x->nrecs == x->caprecs) {
    int cap = x->caprecs ? x->caprecs * 2 : 1024;
    cl_duprec *p = realloc(x->recs, (size_t)cap * sizeof *p);
    if (!p) return kt_err_set(err, KT_ENOMEM, "out of memory");
    x->recs = p;
    x->caprecs = cap;
  }
  cl_duprec *d = &x->recs[x->nrecs];
  memset(d, 0, sizeof *d);
  d->tcode = r->type->def->code;
  snprintf(d->id, sizeof d->id, "%s", cl_rec_id(r));
  const kt_value *o = &r->v[KT_F_OWNER];
  kt_buf t = KT_BUF_INIT;
  cl_rec_title(r, &t);
  d->owner = strdup(o->kind == KT_V_TEXT ? o->s : "");
  d->title = t.oom ? NULL : kt_buf_take(&t);
  kt_buf_free(&t);
  if (!d->owner || !d->title) {
    free((char *)d->owner);
    free((char *)d->title);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  int rec = x->nrecs++;
  for (int i = 0; i < nk; i++) {
    int rc = add_key(x, keys[i].key, rec, err);
    if (rc) return rc;
  }
  return 0;
}

typedef struct load_ctx {
  cl_dupidx *x;
  kt_err *err;
  int rc;
} load_ctx;

static int load_cb(void *ud, const cl_rec *r) {
  load_ctx *c = ud;
  c->rc = cl_dupidx_add(c->x, r, c->err);
  return c->rc;
}

int cl_dupidx_load(cl_dupidx *x, cl_store *s, const char *type, kt_err *err) {
  int n;
  kt_mtype *ts = kt_model_types(cl_store_model(s), &n);
  for (int i = 0; i < n; i++) {
    if (!(ts[i].def->flags & KT_TF_CLIENT) || (type && strcmp(type, ts[i].def->name) != 0)) continue;
    cl_query q = {.type = ts[i].def->name};
    load_ctx c = {x, err, 0};
    int rc = cl_store_list(s, &q, load_cb, &c, err);
    if (c.rc) return c.rc;
    if (rc) return rc;
  }
  return 0;
}

const cl_duprec *cl_dupidx_find(const cl_dupidx *x, const char *key, int tcode) {
  size_t slot = find_slot(x, key);
  for (int e = x->slots[slot].head - 1; e >= 0; e = x->ents[e].next)
    if (!tcode || x->recs[x->ents[e].rec].tcode == tcode) return &x->recs[x->ents[e].rec];
  return NULL;
}

/* ---- groups ---------------------------------------------------------------- */

static int uf_find(int *p, int i) {
  while (p[i] != i) i = p[i] = p[p[i]];
  return i;
}

typedef struct gacc {
  int best, kinds; /* best key score, bit set of key kinds */
  kt_buf reasons;
  int n;
} gacc;

static int kind_bit(const char *key) {
  return key[0] == 't' ? 1 : key[0] == 'e' ? 2 : key[0] == 'p' ? 4 : 8;
}

static int cmp_group(const void *a, const void *b) {
  const cl_dupgroup *x = a, *y = b;
  if (x->score != y->score) return y->score - x->score;
  return strcmp(x->recs[0]->title, y->recs[0]->title);
}

int cl_dupidx_groups(const cl_dupidx *x, int tcode, cl_dupgroup **groups, int *ngroups,
                     kt_err *err) {
  *groups = NULL;
  *ngroups = 0;
  int rc = 0, ng = 0;
  int *parent = malloc((size_t)(x->nrecs ? x->nrecs : 1) * sizeof *parent);
  int *gid = malloc((size_t)(x->nrecs ? x->nrecs : 1) * sizeof *gid);
  gacc *acc = calloc((size_t)(x->nrecs ? x->nrecs : 1), sizeof *acc);
  cl_dupgroup *g = NULL;
  if (!parent || !gid || !acc) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  for (int i = 0; i < x->nrecs; i++) parent[i] = i;
  /* union the cards of one type that share a key */
  for (size_t s = 0; s < x->nslots; s++) {
    if (!x->slots[s].head) continue;
    int first = -1;
    for (int e = x->slots[s].head - 1; e >= 0; e = x->ents[e].next) {
      int r = x->ents[e].rec;
      if (tcode ? x->recs[r].tcode != tcode : first >= 0 && x->recs[r].tcode != x->recs[first].tcode)
        continue;
      if (first < 0) first = r;
      else parent[uf_find(parent, r)] = uf_find(parent, first);
    }
  }
  /* reasons per group root */
  for (size_t s = 0; s < x->nslots; s++) {
    if (!x->slots[s].head) continue;
    int head = x->slots[s].head - 1, first = -1, count = 0;
    for (int e = head; e >= 0; e = x->ents[e].next) {
      int r = x->ents[e].rec;
      if (tcode ? x->recs[r].tcode != tcode : first >= 0 && x->recs[r].tcode != x->recs[first].tcode)
        continue;
      if (first < 0) first = r;
      count++;
    }
    if (count < 2) continue;
    gacc *a = &acc[uf_find(parent, first)];
    const char *key = ent_key(x, &x->ents[head]);
    int sc = key_score(key);
    if (sc > a->best) a->best = sc;
    if (a->reasons.len < 120) {
      const char *v = key[0] == 'n' ? "" : key + 2;
      kt_buf_printf(&a->reasons, "%ssame %s%s%s", a->reasons.len ? ", " : "",
                    cl_dup_key_reason(key), *v ? " " : "", v);
    }
    a->kinds |= kind_bit(key);
  }
  for (int i = 0; i < x->nrecs; i++) {
    int r = uf_find(parent, i);
    acc[r].n++;
  }
  for (int i = 0; i < x->nrecs; i++) gid[i] = -1;
  for (int i = 0; i < x->nrecs; i++)
    if (uf_find(parent, i) == i && acc[i].n >= 2 && acc[i].best) gid[i] = ng++;
  if (!ng) goto out;
  if (!(g = calloc((size_t)ng, sizeof *g))) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  for (int i = 0; i < x->nrecs; i++) {
    if (gid[i] < 0) continue;
    cl_dupgroup *d = &g[gid[i]];
    int extra = __builtin_popcount((unsigned)acc[i].kinds) - 1;
    d->score = acc[i].best + 5 * extra > 100 ? 100 : acc[i].best + 5 * extra;
    snprintf(d->reasons, sizeof d->reasons, "%s", kt_buf_str(&acc[i].reasons));
    if (!(d->recs = calloc((size_t)acc[i].n, sizeof *d->recs))) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      goto out;
    }
  }
  for (int i = 0; i < x->nrecs; i++) { /* in the order the cards were added */
    int r = gid[uf_find(parent, i)];
    if (r >= 0) g[r].recs[g[r].nrecs++] = &x->recs[i];
  }
  qsort(g, (size_t)ng, sizeof *g, cmp_group);
out:
  if (acc)
    for (int i = 0; i < x->nrecs; i++) kt_buf_free(&acc[i].reasons);
  free(acc);
  free(parent);
  free(gid);
  if (rc) {
    cl_dupgroups_free(g, ng);
    return rc;
  }
  *groups = g;
  *ngroups = ng;
  return 0;
}

void cl_dupgroups_free(cl_dupgroup *g, int n) {
  if (!g) return;
  for (int i = 0; i < n; i++) free(g[i].recs);
  free(g);
}
