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
#include <time.h>

#include "cl_db.h"
#include "cl_report_int.h"
#include "kt_time.h"

/* ---- the report statements ------------------------------------------------------- */

enum { RS_DEALS, RS_EVENTS, RS__COUNT };

static const char *const rs_sql[RS__COUNT] = {
    /* every live deal, in table order: the sort happens in memory */
    [RS_DEALS] = "SELECT org, contact, date, state, amount, paid, units FROM t_deal WHERE deleted = 0",
    /* ?1, ?2: start in [?1, ?2) ms; the diary's attribution: assignee, else owner */
    [RS_EVENTS] = "SELECT coalesce(assignee, owner), type, result FROM t_event WHERE deleted = 0 "
                  "AND start >= ?1 AND start < ?2 AND (status IS NULL OR status <> 'cancelled')",
};

static int prepare(cl_store *s, const char *sql, sqlite3_stmt **st, kt_err *err) {
  int rc = sqlite3_prepare_v2(cl_store_sqlite(s), sql, -1, st, NULL);
  if (rc != SQLITE_OK) return cl_db_error(cl_store_db(s), rc, "preparing a report", err);
  return 0;
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

/* ---- dates and periods ------------------------------------------------------------- */

int32_t cl_report__days(int y, int m, int d) {
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153u * (unsigned)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int32_t)doe - 719468;
}

void cl_report__civil(int32_t z, int *y, int *m, int *d) {
  z += 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned dd = doy - (153 * mp + 2) / 5 + 1;
  unsigned mm = mp < 10 ? mp + 3 : mp - 9;
  *y = (int)yoe + era * 400 + (mm <= 2);
  *m = (int)mm;
  *d = (int)dd;
}

static int mdays(int y, int m) {
  static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return n[m - 1];
}

static int digits(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int cl_report__parse_day(const char *s, size_t n, int32_t *day) {
  if (!s || n != 10 || s[4] != '-' || s[7] != '-') return -1;
  int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays(y, m)) return -1;
  *day = cl_report__days(y, m, d);
  return 0;
}

void cl_report_day_format(int64_t day, char out[11]) {
  int y, m, d;
  cl_report__civil((int32_t)day, &y, &m, &d);
  unsigned yy = (unsigned)y % 10000u, mm = (unsigned)m % 100u, dd = (unsigned)d % 100u;
  out[0] = (char)('0' + yy / 1000);
  out[1] = (char)('0' + yy / 100 % 10);
  out[2] = (char)('0' + yy / 10 % 10);
  out[3] = (char)('0' + yy % 10);
  out[4] = out[7] = '-';
  out[5] = (char)('0' + mm / 10);
  out[6] = (char)('0' + mm % 10);
  out[8] = (char)('0' + dd / 10);
  out[9] = (char)('0' + dd % 10);
  out[10] = '\0';
}

int32_t cl_report__add_months(int32_t day, int k) {
  int y, m, d;
  cl_report__civil(day, &y, &m, &d);
  int idx = y * 12 + (m - 1) + k;
  y = idx / 12;
  m = idx % 12 + 1;
  if (d > mdays(y, m)) d = mdays(y, m);
  return cl_report__days(y, m, d);
}

int32_t cl_report__today(void) {
  time_t t = time(NULL);
  struct tm lt;
  localtime_r(&t, &lt);
  return cl_report__days(lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday);
}

int64_t cl_report__day_ms(int32_t day) {
  int y, m, d;
  cl_report__civil(day, &y, &m, &d);
  return kt_local_to_ms(y, m, d, 0, 0, 0);
}

int32_t cl_report__pidx(int per, int32_t day) {
  int y, m, d;
  cl_report__civil(day, &y, &m, &d);
  if (per == RP_YEAR) return y;
  if (per == RP_QUARTER) return y * 4 + (m - 1) / 3;
  return y * 12 + m - 1;
}

int32_t cl_report__pfirst(int per, int32_t p) {
  if (per == RP_YEAR) return cl_report__days(p, 1, 1);
  if (per == RP_QUARTER) return cl_report__days(p / 4, (p % 4) * 3 + 1, 1);
  return cl_report__days(p / 12, p % 12 + 1, 1);
}

int32_t cl_report__plast(int per, int32_t p) { return cl_report__pfirst(per, p + 1) - 1; }

void cl_report__plabel(int per, int32_t p, char out[16]) {
  if (per == RP_YEAR) snprintf(out, 16, "%04d", p);
  else if (per == RP_QUARTER) snprintf(out, 16, "%04d-Q%d", p / 4, p % 4 + 1);
  else snprintf(out, 16, "%04d-%02d", p / 12, p % 12 + 1);
}

/* ---- id maps (open addressing over FNV-1a) ------------------------------------------- */

enum { RP_NONE = -1, RP_OUT = -2 }; /* not a client card here / a card out of scope */

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
  uint32_t cap = m->cap ? m->cap * 2 : 1024;
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

static int32_t map_get(const rp_map *m, const char *s, size_t n) {
  int64_t e = map_find(m, s, n);
  return e < 0 ? RP_NONE : m->val[e];
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

/* Organizations are clients; a contact stands for its organization, and one
 * without an organization is a private client of its own. */
static int load_cards(cl_report *r, cl_store *s, const rp_load *l, rp_map *strs, bool orgs,
                      kt_err *err) {
  rp_data *d = cl_report__data(r);
  kt_buf b = KT_BUF_INIT;
  int ntitle, nphone;
  sqlite3_stmt *st = NULL;
  int rc = card_stmt(s, orgs ? "org" : "contact", orgs ? ", stage, color, temperature" : ", org",
                     &st, &ntitle, &nphone, err);
  if (rc) return rc;
  int x = 3 + ntitle + nphone;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *org = orgs ? "" : col_text(st, x);
    rp_client c = {.org = orgs, .stage = "", .color = "", .temp = ""};
    c.id = cl_report__str(r, col_text(st, 0));
    c.owner = intern(r, strs, sqlite3_column_text(st, 1));
    int32_t idx = *org ? map_get(&d->orgs, org, strlen(org)) : RP_OUT;
    if (!*org && in_scope(l, c.owner)) {
      c.created = sqlite3_column_int64(st, 2);
      c.name = row_title(r, st, 3, ntitle, &b);
      c.phone = row_phone(r, st, 3 + ntitle, nphone);
      if (orgs) {
        c.stage = intern(r, strs, sqlite3_column_text(st, x));
        c.color = intern(r, strs, sqlite3_column_text(st, x + 1));
        c.temp = intern(r, strs, sqlite3_column_text(st, x + 2));
      }
      idx = add_client(r, d, &c);
    }
    if (map_put(orgs ? &d->orgs : &d->contacts, c.id, idx) < 0) cl_report__oom(r);
  }
  rc = rc == SQLITE_DONE ? 0 : cl_db_error(cl_store_db(s), rc, "reading client cards", err);
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
} scan;

static int scan_push(scan *sc, bool paid, int32_t c, int32_t dk, int64_t v, int64_t w) {
  if (sc->n == sc->cap) {
    size_t cap = sc->cap ? sc->cap * 2 : 4096;
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

static int scan_deals(cl_report *r, cl_store *s, const rp_load *l, scan *sc, kt_err *err) {
  rp_data *d = cl_report__data(r);
  sqlite3_stmt *st = NULL;
  int rc = prepare(s, rs_sql[RS_DEALS], &st, err);
  if (rc) return rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *org = (const char *)sqlite3_column_text(st, 0), *ct;
    int32_t c = RP_NONE;
    if (org) c = map_get(&d->orgs, org, (size_t)sqlite3_column_bytes(st, 0));
    else if ((ct = (const char *)sqlite3_column_text(st, 1)))
      c = map_get(&d->contacts, ct, (size_t)sqlite3_column_bytes(st, 1));
    if (c == RP_OUT) continue;
    const char *state = (const char *)sqlite3_column_text(st, 3);
    if (state && strcmp(state, "cancelled") == 0) continue;
    if (c < 0) {
      d->noclient++;
      continue;
    }
    int kind = state && strcmp(state, "quote") == 0 ? RP_QUOTE : RP_PURCHASE;
    int32_t day;
    if (cl_report__parse_day((const char *)sqlite3_column_text(st, 2),
                             (size_t)sqlite3_column_bytes(st, 2), &day)) {
      d->undated++;
      continue;
    }
    if (day > l->at) {
      d->future++;
      continue;
    }
    if ((kind == RP_QUOTE && !l->quotes) || day < l->from) continue;
    int64_t amount = sqlite3_column_int64(st, 4), v;
    if (kind == RP_PURCHASE && amount < 0) kind = RP_REFUND;
    if (l->measure == RP_PAID) v = sqlite3_column_int64(st, 5);
    else if (l->measure == RP_UNITS) v = units_micro((const char *)sqlite3_column_text(st, 6));
    else v = amount;
    if (scan_push(sc, l->paid, c, rp_dk(day, kind), v, sqlite3_column_int64(st, 5))) {
      cl_report__oom(r);
      break;
    }
  }
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
  int rc = load_cards(r, s, l, &strs, true, err);
  if (!rc) rc = load_cards(r, s, l, &strs, false, err);
  map_free(&strs);
  if (!rc) rc = scan_deals(r, s, l, &sc, err);
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
  map_free(&d->orgs);
  map_free(&d->contacts);
  memset(d, 0, sizeof *d);
}

int32_t cl_report__client(const rp_data *d, const char *id) {
  size_t n = strlen(id);
  int32_t c = map_get(&d->orgs, id, n);
  if (c == RP_NONE) c = map_get(&d->contacts, id, n);
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
