/* cl_report_data — what a report reads from the replica, and how: the
 * report statements (a second statement table, beside cl_db's, so the
 * read-only analytics SQL stays in one place of its own), the client cards in
 * scope, and one scan of the deals counting-sorted by client and then by date.
 *
 * Cost: one sequential scan of t_org, t_contact and t_deal each; ids are
 * resolved through in-memory hash maps (no join, no per-client query); the
 * sort is linear (counting by client) plus a sort of each client's own deals.
 * The card statements are built from the registry (title and phone fields);
 * the deal fields the reports interpret (date, amount, paid, state, units,
 * org, contact) are the domain's own and named here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_db.h"
#include "cl_report_int.h"

/* ---- the report statements ------------------------------------------------------- */

enum { RS_DEALS, RS_DEALS_PAID, RS_DEALS_UNITS, RS_EVENTS, RS_ORG_ROWS, RS_DEAL_ROWS, RS__COUNT };

/* the live deals dated from ?1 (text 'YYYY-MM-DD') or undated, in table
   order: the sort happens in memory. Older deals are skipped inside SQLite,
   before their other columns are decoded; each variant reads only the
   columns it needs (SQLite computes every result column of every row). */
#define RS_DEALS_SQL(extra)                                                                 \
  ("SELECT org, contact, date, state, amount" extra " FROM t_deal WHERE deleted = 0 AND "  \
   "(date IS NULL OR date >= ?1)")

static const char *const rs_sql[RS__COUNT] = {
    [RS_DEALS] = RS_DEALS_SQL(""),
    [RS_DEALS_PAID] = RS_DEALS_SQL(", paid"),
    [RS_DEALS_UNITS] = RS_DEALS_SQL(", units"),
    /* sizes to reserve memory by: rowids are dense, max(rowid) is one seek */
    [RS_ORG_ROWS] = "SELECT max(rowid) FROM t_org",
    [RS_DEAL_ROWS] = "SELECT max(rowid) FROM t_deal",
    /* ?1, ?2: start in [?1, ?2) ms; the diary's attribution: assignee, else owner */
    [RS_EVENTS] = ("SELECT coalesce(assignee, owner), type, result FROM t_event WHERE deleted = 0 "
                   "AND start >= ?1 AND start < ?2 AND (status IS NULL OR status <> 'cancelled')"),
};

static int prepare(cl_store *s, const char *sql, sqlite3_stmt **st, kt_err *err) {
  int rc = sqlite3_prepare_v2(cl_store_sqlite(s), sql, -1, st, NULL);
  if (rc != SQLITE_OK) return cl_db_error(cl_store_db(s), rc, "preparing a report", err);
  return 0;
}

/* How many rows a table has at most (0 when it cannot tell). */
static size_t max_rows(cl_store *s, int which) {
  sqlite3_stmt *st = NULL;
  int64_t n = 0;
  if (sqlite3_prepare_v2(cl_store_sqlite(s), rs_sql[which], -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n > 0 && n < INT32_MAX / 2 ? (size_t)n : 0;
}

/* The live cards of a type: "SELECT id, owner, created, <title fields>,
 * <phone fields>[, extra] FROM t_x WHERE deleted = 0"; *ntitle and *nphone
 * say how many of each. */
static int card_stmt(cl_store *s, const char *type, const char *extra, sqlite3_stmt **st,
                     int *ntitle, int *nphone, kt_err *err) {
  kt_mtype *t = kt_model_type(cl_store_model(s), type);
  kt_buf b = KT_BUF_INIT, *sql = &b;
  char tab[64];
  cl_db_table(t, tab, sizeof tab);
  kt_buf_puts(sql, "SELECT id, owner, created");
  *ntitle = *nphone = 0;
  for (int k = 0; k < t->nfields; k++)
    if (t->fields[k].flags & KT_FF_TITLE) {
      kt_buf_printf(sql, ", \"%s\"", t->fields[k].column);
      (*ntitle)++;
    }
  for (int k = 0; k < t->nfields; k++)
    if (t->fields[k].type == KT_FT_PHONE) {
      kt_buf_printf(sql, ", \"%s\"", t->fields[k].column);
      (*nphone)++;
    }
  kt_buf_printf(sql, "%s FROM %s WHERE deleted = 0", extra, tab);
  int rc = b.oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : prepare(s, kt_buf_str(&b), st, err);
  kt_buf_free(&b);
  return rc;
}

/* ---- maps --------------------------------------------------------------------------

 * Strings (owners, stages, colours: few, looked up once per card) go in an
 * open-addressed map over FNV-1a. Card ids (looked up once per deal, in no
 * useful order) are UUID text kept as their 128 bits in slots of their own,
 * so a lookup touches one cache line, and the deal scan resolves them in
 * batches with the slots prefetched; an id that is not a UUID falls back to
 * the string map. */

enum { RP_NONE = -1, RP_OUT = -2 }; /* not a client card here / a card out of scope */

typedef struct rp_map {
  uint32_t *slot; /* entry + 1; 0 = empty */
  uint32_t mask;
  const char **key;
  int32_t *val;
  uint32_t n, cap;
} rp_map;

static uint64_t fnv(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h ^ (h >> 29);
}

static void map_free(rp_map *m) {
  free(m->slot);
  free(m->key);
  free(m->val);
  memset(m, 0, sizeof *m);
}

static int map_grow(rp_map *m) {
  uint32_t cap = m->cap ? m->cap * 2 : 64;
  const char **k = realloc(m->key, cap * sizeof *k);
  if (!k) return -1;
  m->key = k;
  int32_t *v = realloc(m->val, cap * sizeof *v);
  if (!v) return -1;
  m->val = v;
  m->cap = cap;
  uint32_t nslot = cap * 2; /* load factor <= 1/2 */
  uint32_t *slot = calloc(nslot, sizeof *slot);
  if (!slot) return -1;
  free(m->slot);
  m->slot = slot;
  m->mask = nslot - 1;
  for (uint32_t e = 0; e < m->n; e++) {
    uint32_t h = (uint32_t)fnv(m->key[e], strlen(m->key[e])) & m->mask;
    while (m->slot[h]) h = (h + 1) & m->mask;
    m->slot[h] = e + 1;
  }
  return 0;
}

/* The entry of key s[0..n), or -1. */
static int64_t map_find(const rp_map *m, const char *s, size_t n) {
  if (!m->slot) return -1;
  uint32_t h = (uint32_t)fnv(s, n) & m->mask;
  for (uint32_t e; (e = m->slot[h]); h = (h + 1) & m->mask)
    if (strncmp(m->key[e - 1], s, n) == 0 && m->key[e - 1][n] == '\0') return e - 1;
  return -1;
}

/* Adds key (owned by the report's arena) -> val; an existing key keeps its
 * first value. The entry, or -1 on OOM. */
static int64_t map_put(rp_map *m, const char *key, int32_t val) {
  int64_t e = map_find(m, key, strlen(key));
  if (e >= 0) return e;
  if (m->n == m->cap && map_grow(m)) return -1;
  uint32_t h = (uint32_t)fnv(key, strlen(key)) & m->mask;
  while (m->slot[h]) h = (h + 1) & m->mask;
  m->key[m->n] = key;
  m->val[m->n] = val;
  m->slot[h] = ++m->n;
  return m->n - 1;
}

typedef struct rp_slot {
  uint64_t a, b;
  int32_t val;
  uint32_t used;
} rp_slot;

typedef struct rp_ids {
  rp_slot *slot;
  uint32_t mask, n;
  rp_map other; /* ids that are not UUIDs */
} rp_ids;

/* hex digit values, -1 for anything else */
static const signed char hexv[256] = {
    ['0'] = 0,  ['1'] = 1,  ['2'] = 2,  ['3'] = 3,  ['4'] = 4,  ['5'] = 5,  ['6'] = 6,  ['7'] = 7,
    ['8'] = 8,  ['9'] = 9,  ['a'] = 10, ['b'] = 11, ['c'] = 12, ['d'] = 13, ['e'] = 14, ['f'] = 15,
    ['A'] = 10, ['B'] = 11, ['C'] = 12, ['D'] = 13, ['E'] = 14, ['F'] = 15};

/* UUID text (8-4-4-4-12 hex) -> its 128 bits; false for any other text. As
 * kt_uuid_parse, inlined into the deal scan (it runs once per deal). */
static bool id_bits(const char *s, size_t n, uint64_t *a, uint64_t *b) {
  static const unsigned char pos[32] = {0,  1,  2,  3,  4,  5,  6,  7,  9,  10, 11,
                                        12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25,
                                        26, 27, 28, 29, 30, 31, 32, 33, 34, 35};
  if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
  uint64_t x = 0, y = 0;
  int bad = 0;
  for (int i = 0; i < 16; i++) {
    int v = hexv[(unsigned char)s[pos[i]]], w = hexv[(unsigned char)s[pos[i + 16]]];
    bad |= v | w;
    x = x << 4 | (uint64_t)(v & 15);
    y = y << 4 | (uint64_t)(w & 15);
  }
  /* a digit is 0..15; -1 (not a digit) sets every bit */
  if (bad & ~15) return false;
  *a = x;
  *b = y;
  return true;
}

static uint32_t id_hash(uint64_t a, uint64_t b) {
  uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ b;
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  return (uint32_t)(h ^ (h >> 32));
}

static void ids_free(rp_ids *m) {
  if (!m) return;
  free(m->slot);
  map_free(&m->other);
  free(m);
}

static void ids_insert(rp_ids *m, uint64_t a, uint64_t b, int32_t val) {
  uint32_t h = id_hash(a, b) & m->mask;
  __builtin_prefetch(&m->slot[h]);
  for (; m->slot[h].used; h = (h + 1) & m->mask)
    if (m->slot[h].a == a && m->slot[h].b == b) return; /* the first one stays */
  m->slot[h] = (rp_slot){a, b, val, 1};
  m->n++;
}

/* Makes room for n ids (load factor at most 3/4: a smaller table stays in
 * the cache better than a sparser one probes). */
static int ids_reserve(rp_ids *m, size_t n) {
  if (m->slot && 4 * n <= 3 * ((size_t)m->mask + 1)) return 0;
  size_t want = 4096;
  while (3 * want < 4 * n) want *= 2;
  rp_slot *old = m->slot;
  uint32_t oldn = m->slot ? m->mask + 1 : 0;
  if (!(m->slot = calloc(want, sizeof *m->slot))) {
    m->slot = old;
    return -1;
  }
  m->mask = (uint32_t)want - 1;
  m->n = 0;
  for (uint32_t i = 0; i < oldn; i++)
    if (old[i].used) ids_insert(m, old[i].a, old[i].b, old[i].val);
  free(old);
  return 0;
}

static int ids_put(rp_ids *m, const char *id, int32_t val) {
  uint64_t a, b;
  if (!id_bits(id, strlen(id), &a, &b)) return map_put(&m->other, id, val) < 0 ? -1 : 0;
  if (ids_reserve(m, (size_t)m->n + 1)) return -1;
  ids_insert(m, a, b, val);
  return 0;
}

/* The slot holding (a, b), or NULL. */
static rp_slot *ids_slot(const rp_ids *m, uint64_t a, uint64_t b, uint32_t h) {
  if (!m->slot) return NULL;
  for (h &= m->mask; m->slot[h].used; h = (h + 1) & m->mask)
    if (m->slot[h].a == a && m->slot[h].b == b) return &m->slot[h];
  return NULL;
}

static int32_t ids_find(const rp_ids *m, uint64_t a, uint64_t b, uint32_t h) {
  rp_slot *e = ids_slot(m, a, b, h);
  return e ? e->val : RP_NONE;
}

static int32_t ids_get(const rp_ids *m, const char *id) {
  uint64_t a, b;
  if (id_bits(id, strlen(id), &a, &b)) return ids_find(m, a, b, id_hash(a, b));
  int64_t e = map_find(&m->other, id, strlen(id));
  return e < 0 ? RP_NONE : m->other.val[e];
}

/* A string shared by many cards (owners, stages, colours) stored once. */
static const char *intern(cl_report *r, rp_map *m, const unsigned char *s) {
  if (!s || !*s) return "";
  int64_t e = map_find(m, (const char *)s, strlen((const char *)s));
  if (e >= 0) return m->key[e];
  const char *k = cl_report__str(r, (const char *)s);
  if (!*k || (e = map_put(m, k, 0)) < 0) return "";
  return m->key[e];
}

/* ---- the load ------------------------------------------------------------------------ */

static const char *col_text(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? (const char *)t : "";
}

/* The title (fields joined by spaces) and the first phone of a card row whose
 * title columns start at column `at`. */
static const char *row_title(cl_report *r, sqlite3_stmt *st, int at, int ntitle, kt_buf *b) {
  kt_buf_reset(b);
  for (int i = 0; i < ntitle; i++) {
    const char *t = col_text(st, at + i);
    if (!*t) continue;
    if (b->len) kt_buf_putc(b, ' ');
    kt_buf_puts(b, t);
  }
  return cl_report__str(r, b->len ? kt_buf_str(b) : "(untitled)");
}

static const char *row_phone(cl_report *r, sqlite3_stmt *st, int at, int nphone) {
  for (int i = 0; i < nphone; i++)
    if (*col_text(st, at + i)) return cl_report__str(r, col_text(st, at + i));
  return "";
}

static int32_t add_client(cl_report *r, rp_data *d, const rp_client *c) {
  if (d->ncl == d->capcl) {
    int32_t cap = d->capcl ? d->capcl * 2 : 1024;
    rp_client *p = realloc(d->cl, (size_t)cap * sizeof *p);
    if (!p) return cl_report__oom(r), -1;
    d->cl = p;
    d->capcl = cap;
  }
  d->cl[d->ncl] = *c;
  return d->ncl++;
}

static bool in_scope(const rp_load *l, const char *owner) {
  return !l->owner || strcmp(l->owner, owner) == 0;
}

/* One card row: who it belongs to, its title and phone. */
static void read_card(cl_report *r, sqlite3_stmt *st, rp_map *strs, int ntitle, int nphone,
                      kt_buf *b, rp_client *c) {
  c->created = sqlite3_column_int64(st, 2);
  c->name = row_title(r, st, 3, ntitle, b);
  c->phone = row_phone(r, st, 3 + ntitle, nphone);
}

/* Organizations are the clients: every live one is loaded (each deal's
 * organization is looked up in them). Their ids go into the map a batch at a
 * time, the slots prefetched first. */
typedef struct ins {
  uint64_t a, b;
  int32_t val;
} ins;
#define INS_BATCH 64

static void flush_ins(rp_ids *m, const ins *v, int n) {
  for (int i = 0; i < n; i++) __builtin_prefetch(&m->slot[id_hash(v[i].a, v[i].b) & m->mask]);
  for (int i = 0; i < n; i++) ids_insert(m, v[i].a, v[i].b, v[i].val);
}

static int load_orgs(cl_report *r, cl_store *s, const rp_load *l, rp_map *strs, kt_err *err) {
  rp_data *d = cl_report__data(r);
  kt_buf b = KT_BUF_INIT;
  int ntitle, nphone, nb = 0;
  sqlite3_stmt *st = NULL;
  int rc = card_stmt(s, "org", ", stage, color, temperature", &st, &ntitle, &nphone, err);
  if (rc) return rc;
  int x = 3 + ntitle + nphone;
  ins batch[INS_BATCH];
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    rp_client c = {.org = true};
    c.id = cl_report__str(r, col_text(st, 0));
    c.owner = intern(r, strs, sqlite3_column_text(st, 1));
    int32_t idx = RP_OUT;
    if (in_scope(l, c.owner)) {
      read_card(r, st, strs, ntitle, nphone, &b, &c);
      c.stage = intern(r, strs, sqlite3_column_text(st, x));
      c.color = intern(r, strs, sqlite3_column_text(st, x + 1));
      c.temp = intern(r, strs, sqlite3_column_text(st, x + 2));
      idx = add_client(r, d, &c);
    }
    ins *e = &batch[nb];
    if (!id_bits(c.id, strlen(c.id), &e->a, &e->b)) {
      if (ids_put(d->orgs, c.id, idx)) cl_report__oom(r);
      continue;
    }
    e->val = idx;
    if (++nb == INS_BATCH) {
      if (ids_reserve(d->orgs, (size_t)d->orgs->n + INS_BATCH)) cl_report__oom(r), nb = 0;
      else flush_ins(d->orgs, batch, nb), nb = 0;
    }
  }
  if (nb && !ids_reserve(d->orgs, (size_t)d->orgs->n + INS_BATCH)) flush_ins(d->orgs, batch, nb);
  rc = rc == SQLITE_DONE ? 0 : cl_db_error(cl_store_db(s), rc, "reading organizations", err);
  sqlite3_finalize(st);
  kt_buf_free(&b);
  return rc;
}

/* A contact stands for its organization, and one without an organization is
 * a private client of its own. Only the contacts some deal was given instead
 * of an organization are needed: the deal scan put their ids in the map (as
 * RP_NONE), the others are skipped unread. Ids that are not UUIDs are always
 * loaded (into the map's string part). */
static int load_contacts(cl_report *r, cl_store *s, const rp_load *l, rp_map *strs, kt_err *err) {
  rp_data *d = cl_report__data(r);
  kt_buf b = KT_BUF_INIT;
  int ntitle, nphone;
  sqlite3_stmt *st = NULL;
  int rc = card_stmt(s, "contact", ", org", &st, &ntitle, &nphone, err);
  if (rc) return rc;
  int x = 3 + ntitle + nphone;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *id = col_text(st, 0);
    uint64_t ia, ib;
    rp_slot *slot = NULL;
    bool uuid = id_bits(id, strlen(id), &ia, &ib);
    if (uuid && !(slot = ids_slot(d->contacts, ia, ib, id_hash(ia, ib)))) continue;
    const char *org = col_text(st, x);
    int32_t idx = RP_OUT;
    if (*org) {
      idx = ids_get(d->orgs, org);
    } else {
      rp_client c = {.org = false, .stage = "", .color = "", .temp = ""};
      c.owner = intern(r, strs, sqlite3_column_text(st, 1));
      if (in_scope(l, c.owner)) {
        c.id = cl_report__str(r, id);
        read_card(r, st, strs, ntitle, nphone, &b, &c);
        idx = add_client(r, d, &c);
      }
    }
    if (slot) slot->val = idx;
    else if (ids_put(d->contacts, cl_report__str(r, id), idx)) cl_report__oom(r);
  }
  rc = rc == SQLITE_DONE ? 0 : cl_db_error(cl_store_db(s), rc, "reading contacts", err);
  sqlite3_finalize(st);
  kt_buf_free(&b);
  return rc;
}

/* Canonical decimal text ("2.5", "-3", "0.125") -> millionths, rounded half
 * away from zero past the sixth decimal; 0 when not a number. */
static int64_t units_micro(const char *s) {
  if (!s) return 0;
  bool neg = *s == '-';
  if (*s == '-' || *s == '+') s++;
  int64_t v = 0;
  int frac = -1;
  for (; *s; s++) {
    if (*s == '.' && frac < 0) {
      frac = 0;
      continue;
    }
    if (*s < '0' || *s > '9') return 0;
    if (frac >= 6) {
      if (frac == 6 && *s >= '5') v++;
      frac++;
      continue;
    }
    if (v > INT64_MAX / 10 - 9) return 0;
    v = v * 10 + (*s - '0');
    if (frac >= 0) frac++;
  }
  for (int f = frac < 0 ? 0 : frac; f < 6; f++) {
    if (v > INT64_MAX / 10) return 0;
    v *= 10;
  }
  return neg ? -v : v;
}

/* The deals as scanned (table order), before the sort. */
typedef struct scan {
  int32_t *c, *dk;
  int64_t *v, *w;
  size_t n, cap;
  size_t hint; /* the first size to reserve (untouched pages cost nothing) */
} scan;

static int scan_push(scan *sc, bool paid, int32_t c, int32_t dk, int64_t v, int64_t w) {
  if (sc->n == sc->cap) {
    size_t cap = sc->cap ? sc->cap * 2 : sc->hint ? sc->hint : 4096;
    if (cap > INT32_MAX) return -1;
    int32_t *pc = realloc(sc->c, cap * sizeof *pc);
    if (pc) sc->c = pc;
    int32_t *pd = realloc(sc->dk, cap * sizeof *pd);
    if (pd) sc->dk = pd;
    int64_t *pv = realloc(sc->v, cap * sizeof *pv);
    if (pv) sc->v = pv;
    int64_t *pw = paid ? realloc(sc->w, cap * sizeof *pw) : NULL;
    if (pw) sc->w = pw;
    if (!pc || !pd || !pv || (paid && !pw)) return -1;
    sc->cap = cap;
  }
  sc->c[sc->n] = c;
  sc->dk[sc->n] = dk;
  sc->v[sc->n] = v;
  if (paid) sc->w[sc->n] = w;
  sc->n++;
  return 0;
}

/* A deal read but not yet given its client: ids are resolved a batch at a
 * time, their slots prefetched first (the lookups are the scan's cost). */
enum { PEND_UNDATED = INT32_MIN, PEND_FUTURE = INT32_MIN + 1 };
enum { PEND_ORG, PEND_CONTACT, PEND_DONE };
#define PEND_BATCH 64

typedef struct pend {
  uint64_t a, b;
  uint32_t h;
  const char *text; /* an id that is not a UUID (looked up by text), else NULL */
  int32_t c;   /* the client once resolved */
  int32_t day; /* or PEND_UNDATED, PEND_FUTURE */
  int which;   /* PEND_ORG, PEND_CONTACT: look it up; PEND_DONE: c is known */
  int kind;
  int64_t v, w;
} pend;

static int flush_pend(rp_data *d, const rp_load *l, scan *sc, const pend *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i].which != PEND_DONE && !p[i].text) {
      const rp_ids *m = p[i].which == PEND_ORG ? d->orgs : d->contacts;
      __builtin_prefetch(&m->slot[p[i].h & m->mask]);
    }
  for (size_t i = 0; i < n; i++) {
    const pend *e = &p[i];
    const rp_ids *m = e->which == PEND_ORG ? d->orgs : d->contacts;
    int32_t c = e->which == PEND_DONE ? e->c
                : e->text             ? ids_get(m, e->text)
                                      : ids_find(m, e->a, e->b, e->h);
    if (c == RP_OUT) continue; /* another manager's client (--owner) */
    if (c < 0) d->noclient++;
    else if (e->day == PEND_UNDATED) d->undated++;
    else if (e->day == PEND_FUTURE) d->future++;
    else if ((e->kind == RP_QUOTE && !l->quotes) || e->day < l->from) continue;
    else if (scan_push(sc, l->paid, c, rp_dk(e->day, e->kind), e->v, e->w)) return -1;
  }
  return 0;
}

/* Deals given only a contact wait for the contacts to be loaded. */
typedef struct pends {
  pend *v;
  size_t n, cap;
} pends;

static int defer(cl_report *r, pends *q, const pend *e) {
  rp_data *d = cl_report__data(r);
  if (q->n == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 1024;
    pend *p = realloc(q->v, cap * sizeof *p);
    if (!p) return -1;
    q->v = p;
    q->cap = cap;
  }
  q->v[q->n++] = *e;
  if (e->text) return 0;
  if (ids_reserve(d->contacts, (size_t)d->contacts->n + 1)) return -1;
  ids_insert(d->contacts, e->a, e->b, RP_NONE); /* needed */
  return 0;
}

static int scan_deals(cl_report *r, cl_store *s, const rp_load *l, scan *sc, pends *later,
                      kt_err *err) {
  rp_data *d = cl_report__data(r);
  sqlite3_stmt *st = NULL;
  int which = l->paid || l->measure == RP_PAID ? RS_DEALS_PAID
              : l->measure == RP_UNITS         ? RS_DEALS_UNITS
                                               : RS_DEALS;
  int rc = prepare(s, rs_sql[which], &st, err);
  if (rc) return rc;
  char from[11] = "0000-00-00";
  if (l->from != INT32_MIN) cl_report_day_format(l->from, from);
  sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
  pend batch[PEND_BATCH];
  int nb = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *state = (const char *)sqlite3_column_text(st, 3);
    int slen = sqlite3_column_bytes(st, 3);
    if (slen == 9 && memcmp(state, "cancelled", 9) == 0) continue;
    pend *e = &batch[nb];
    const char *org = (const char *)sqlite3_column_text(st, 0), *ct = NULL;
    const char *id = org ? org : (ct = (const char *)sqlite3_column_text(st, 1));
    e->which = org ? PEND_ORG : PEND_CONTACT;
    e->text = NULL;
    if (!id) {
      e->which = PEND_DONE;
      e->c = RP_NONE;
    } else if (id_bits(id, (size_t)sqlite3_column_bytes(st, org ? 0 : 1), &e->a, &e->b)) {
      e->h = id_hash(e->a, e->b);
    } else if (org) {
      e->c = ids_get(d->orgs, id);
      e->which = PEND_DONE;
    } else {
      e->text = cl_report__str(r, id);
    }
    e->kind = slen == 5 && memcmp(state, "quote", 5) == 0 ? RP_QUOTE : RP_PURCHASE;
    if (cl_report__parse_day((const char *)sqlite3_column_text(st, 2),
                             (size_t)sqlite3_column_bytes(st, 2), &e->day))
      e->day = PEND_UNDATED;
    else if (e->day > l->at)
      e->day = PEND_FUTURE;
    int64_t amount = sqlite3_column_int64(st, 4);
    if (e->kind == RP_PURCHASE && amount < 0) e->kind = RP_REFUND;
    if (l->measure == RP_PAID) e->v = sqlite3_column_int64(st, 5);
    else if (l->measure == RP_UNITS) e->v = units_micro((const char *)sqlite3_column_text(st, 5));
    else e->v = amount;
    e->w = l->paid ? sqlite3_column_int64(st, 5) : 0;
    if (e->which == PEND_CONTACT) {
      if (defer(r, later, e)) break;
      continue;
    }
    if (++nb == PEND_BATCH) {
      if (flush_pend(d, l, sc, batch, (size_t)nb)) break;
      nb = 0;
    }
  }
  if (rc == SQLITE_DONE && flush_pend(d, l, sc, batch, (size_t)nb)) rc = SQLITE_ROW;
  if (rc == SQLITE_ROW) cl_report__oom(r);
  rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0
                                             : cl_db_error(cl_store_db(s), rc, "reading deals", err);
  sqlite3_finalize(st);
  return rc;
}

typedef struct deal3 {
  int32_t dk;
  int64_t v, w;
} deal3;

static int deal3_cmp(const void *a, const void *b) {
  int32_t x = ((const deal3 *)a)->dk, y = ((const deal3 *)b)->dk;
  return (x > y) - (x < y);
}

/* Sorts deals [a, b) by their key: insertion sort for the short runs nearly
 * every client has, a real sort for long ones (never quadratic). */
static int sort_segment(rp_data *d, int32_t a, int32_t b, deal3 *tmp) {
  bool sorted = true;
  for (int32_t i = a + 1; i < b && sorted; i++) sorted = d->dk[i - 1] <= d->dk[i];
  if (sorted) return 0;
  if (b - a <= 24) {
    for (int32_t i = a + 1; i < b; i++) {
      int32_t k = d->dk[i];
      int64_t v = d->v[i], w = d->w ? d->w[i] : 0;
      int32_t j = i;
      for (; j > a && d->dk[j - 1] > k; j--) {
        d->dk[j] = d->dk[j - 1];
        d->v[j] = d->v[j - 1];
        if (d->w) d->w[j] = d->w[j - 1];
      }
      d->dk[j] = k;
      d->v[j] = v;
      if (d->w) d->w[j] = w;
    }
    return 0;
  }
  for (int32_t i = a; i < b; i++) tmp[i - a] = (deal3){d->dk[i], d->v[i], d->w ? d->w[i] : 0};
  qsort(tmp, (size_t)(b - a), sizeof *tmp, deal3_cmp);
  for (int32_t i = a; i < b; i++) {
    d->dk[i] = tmp[i - a].dk;
    d->v[i] = tmp[i - a].v;
    if (d->w) d->w[i] = tmp[i - a].w;
  }
  return 0;
}

/* Counting sort by client, then each client's deals by date. */
static int sort_deals(cl_report *r, scan *sc) {
  rp_data *d = cl_report__data(r);
  size_t n = sc->n;
  d->off = calloc((size_t)d->ncl + 1, sizeof *d->off);
  int32_t *pos = malloc(((size_t)d->ncl + 1) * sizeof *pos);
  d->dk = malloc((n ? n : 1) * sizeof *d->dk);
  d->v = malloc((n ? n : 1) * sizeof *d->v);
  if (sc->w) d->w = malloc((n ? n : 1) * sizeof *d->w);
  if (!d->off || !pos || !d->dk || !d->v || (sc->w && !d->w)) {
    free(pos);
    return cl_report__oom(r), -1;
  }
  for (size_t i = 0; i < n; i++) d->off[sc->c[i] + 1]++;
  for (int32_t c = 0; c < d->ncl; c++) {
    d->off[c + 1] += d->off[c];
    if (d->off[c + 1] - d->off[c] > d->maxseg) d->maxseg = d->off[c + 1] - d->off[c];
  }
  memcpy(pos, d->off, ((size_t)d->ncl + 1) * sizeof *pos);
  for (size_t i = 0; i < n; i++) {
    int32_t j = pos[sc->c[i]]++;
    d->dk[j] = sc->dk[i];
    d->v[j] = sc->v[i];
    if (d->w) d->w[j] = sc->w[i];
  }
  free(pos);
  d->ndeals = (int32_t)n;
  deal3 *tmp = malloc(((size_t)d->maxseg + 1) * sizeof *tmp);
  if (!tmp) return cl_report__oom(r), -1;
  for (int32_t c = 0; c < d->ncl; c++) sort_segment(d, d->off[c], d->off[c + 1], tmp);
  free(tmp);
  return 0;
}

int cl_report__load(cl_report *r, cl_store *s, const rp_load *l, kt_err *err) {
  rp_map strs = {0};
  scan sc = {0};
  rp_data *d = cl_report__data(r);
  if (!(d->orgs = calloc(1, sizeof *d->orgs)) || !(d->contacts = calloc(1, sizeof *d->contacts)) ||
      ids_reserve(d->orgs, max_rows(s, RS_ORG_ROWS)) ||
      ids_reserve(d->contacts, 1024))
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  sc.hint = max_rows(s, RS_DEAL_ROWS) + 1;
  pends later = {0};
  int rc = load_orgs(r, s, l, &strs, err);
  if (!rc) rc = scan_deals(r, s, l, &sc, &later, err);
  if (!rc) rc = load_contacts(r, s, l, &strs, err);
  map_free(&strs);
  if (!rc && flush_pend(d, l, &sc, later.v, later.n)) cl_report__oom(r);
  free(later.v);
  if (!rc && cl_report__failed(r)) rc = KT_ENOMEM;
  if (!rc) rc = sort_deals(r, &sc) ? KT_ENOMEM : 0;
  free(sc.c);
  free(sc.dk);
  free(sc.v);
  free(sc.w);
  return rc;
}

void cl_report__data_free(rp_data *d) {
  free(d->cl);
  free(d->off);
  free(d->dk);
  free(d->v);
  free(d->w);
  ids_free(d->orgs);
  ids_free(d->contacts);
  memset(d, 0, sizeof *d);
}

int32_t cl_report__client(const rp_data *d, const char *id) {
  if (!d->orgs) return -1;
  int32_t c = ids_get(d->orgs, id);
  if (c == RP_NONE) c = ids_get(d->contacts, id);
  /* a contact of an organization is not a client card of its own */
  return c >= 0 && strcmp(d->cl[c].id, id) == 0 ? c : -1;
}

int cl_report__events(cl_report *r, cl_store *s, int64_t from_ms, int64_t to_ms, rp_event_fn fn,
                      void *ud, kt_err *err) {
  (void)r;
  sqlite3_stmt *st = NULL;
  int rc = prepare(s, rs_sql[RS_EVENTS], &st, err);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, from_ms);
  sqlite3_bind_int64(st, 2, to_ms);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if ((rc = fn(ud, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
                 (const char *)sqlite3_column_text(st, 2))))
      break;
  if (rc == SQLITE_DONE) rc = 0;
  else if (rc > 0) rc = cl_db_error(cl_store_db(s), rc, "reading events", err);
  sqlite3_finalize(st);
  return rc;
}

/* ---- per-client figures ----------------------------------------------------------------- */

void cl_report__stat(const rp_data *d, int32_t c, int32_t from, int32_t to, rp_stat *st) {
  memset(st, 0, sizeof *st);
  for (int32_t i = d->off[c]; i < d->off[c + 1]; i++) {
    int32_t day = rp_day(d->dk[i]);
    if (day < from || day > to) continue;
    int k = rp_kind(d->dk[i]);
    if (k == RP_QUOTE) continue;
    st->sum += d->v[i];
    if (k == RP_REFUND) {
      st->nrefunds++;
      continue;
    }
    if (!st->n || day != st->last) st->ndates++;
    if (!st->n) st->first = day;
    st->last = day;
    st->n++;
  }
}

int32_t cl_report__intervals(const rp_data *d, int32_t c, int32_t from, int32_t to, int32_t *iv) {
  int32_t n = 0, prev = 0;
  bool any = false;
  for (int32_t i = d->off[c]; i < d->off[c + 1]; i++) {
    int32_t day = rp_day(d->dk[i]);
    if (day < from || day > to || rp_kind(d->dk[i]) != RP_PURCHASE) continue;
    if (any && day != prev) iv[n++] = day - prev;
    prev = day;
    any = true;
  }
  return n;
}

static int i32_cmp(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

int64_t cl_report__median2(int32_t *iv, int32_t n) {
  if (n <= 0) return 0;
  qsort(iv, (size_t)n, sizeof *iv, i32_cmp);
  return n % 2 ? 2 * (int64_t)iv[n / 2] : (int64_t)iv[n / 2 - 1] + iv[n / 2];
}
