/* cl_report — the catalogue of reports (each declares its options and help
 * next to its run function), option parsing with messages that list the
 * valid values, the result object (an arena, tables, notes) and the sales
 * figures of one card. The reports themselves are in cl_report_sales.c,
 * cl_report_rank.c and cl_report_crm.c; the data in cl_report_data.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_report_int.h"
#include "kt_time.h"

/* ---- the catalogue ---------------------------------------------------------------- */

enum {
  O_MEASURE = 1u << 0,
  O_AT = 1u << 1,
  O_FROM = 1u << 2,
  O_TO = 1u << 3,
  O_PERIOD = 1u << 4,
  O_MONTH = 1u << 5,
  O_VARIANT = 1u << 6,
  O_SPLIT = 1u << 7,
  O_FACTOR = 1u << 8,
  O_MIN = 1u << 9,
  O_TOP = 1u << 10,
  O_OWNER = 1u << 11,
};

typedef struct rp_def {
  const char *name;
  int (*run)(rp_ctx *c, kt_err *err);
  unsigned opts;
  const char *options;
  const char *help;
} rp_def;

static const rp_def defs[] = {
    {"period", cl_report__period,
     O_MEASURE | O_AT | O_FROM | O_TO | O_PERIOD | O_TOP | O_OWNER,
     "[--period month|quarter|year] [--from DATE] [--to DATE] [--measure M] [--at DATE] [--top N]",
     "The client file per period: for every client and month (quarter, year) its number of "
     "purchases and their sum, ideally three years back (default: the 36 months, 12 quarters or 3 "
     "years up to --at); the totals of every period, also empty ones (buying clients, purchases, "
     "refunds, sum, quotes and how many of them became purchases); and the busiest months of the "
     "span by sum. A quote counts as converted when its client made a purchase on its date or "
     "within the 90 days after it (each purchase converts one quote, the oldest open one)."},
    {"activity", cl_report__activity,
     O_MEASURE | O_AT | O_FROM | O_TO | O_PERIOD | O_TOP | O_OWNER,
     "[--from DATE] [--to DATE] [--period month|quarter|year] [--measure M] [--at DATE] [--top N]",
     "Who is active: the clients with a purchase in the period (default: the 12 months up to "
     "--at) with their first purchase ever, last purchase, purchases, sum, average basket and "
     "average interval; the oldest and newest of them (by first purchase), the most and least "
     "regular (clients with 3+ purchase dates, by the spread of their intervals: the mean "
     "absolute deviation from their mean interval, in % of it), and retention: of the clients "
     "whose first purchase fell in a month (quarter, year), the share that bought again in the "
     "next one."},
    {"lapsed", cl_report__lapsed, O_MEASURE | O_AT | O_MIN | O_FACTOR | O_OWNER,
     "[--min N] [--factor F] [--measure M] [--at DATE]",
     "Regular clients drifting away, to call before a competitor does: clients with at least "
     "--min purchases (3) whose days since the last purchase exceed --factor (1.5) times their "
     "usual interval, the median of the days between their consecutive purchase dates, as of "
     "--at (today). Sorted by their total value, with owner, phone, last purchase, usual "
     "interval and days overdue (days since the last purchase minus the usual interval)."},
    {"vip", cl_report__vip, O_MEASURE | O_AT | O_MONTH | O_VARIANT | O_OWNER,
     "[--month YYYY-MM] [--variant top|bottom|next] [--measure M] [--at DATE]",
     "VIP by month (Pareto): the clients with a positive sum in the month (default: the month "
     "before --at's), sorted by it; the top 20% by count, rounded up (clients tied with the "
     "last one included), are the month's VIPs. The VIP list is the union over the 6 months up "
     "to the month; who entered it and who fell out against the list of the month before; the "
     "share of the month's total the top 20% bring (the Pareto check, by month). --variant "
     "bottom: the bottom 20% (the \"difficult\" ones); --variant next: the 20% after the VIPs "
     "(about to become VIPs, or just fallen out)."},
    {"abc", cl_report__abc, O_MEASURE | O_AT | O_FROM | O_TO | O_SPLIT | O_OWNER,
     "[--from DATE] [--to DATE] [--split 75/20/5] [--measure M] [--at DATE]",
     "ABC analysis: the clients with a positive sum in the period (default: the 12 months up to "
     "--at), largest first; a client is A while the share of the total brought by the clients "
     "before it is under 75%, B under 95%, else C (--split sets the shares). Clients with equal "
     "sums are not before each other, so ties share a class. Also the count and value of each "
     "class."},
    {"rfm", cl_report__rfm, O_MEASURE | O_AT | O_FROM | O_TO | O_OWNER,
     "[--from DATE] [--to DATE] [--measure M] [--at DATE]",
     "RFM: for the clients with a purchase in the period (default: the 12 months up to --at) "
     "recency (days since the last purchase), frequency (purchases) and monetary (sum), each "
     "scored 1-5 by quintiles of the clients' ranks (5 = most recent, most frequent, largest; "
     "a value's score is 1 + 5 x its mid-rank share, so tied values score alike), and the "
     "segment they form, the first that fits of: champions (R 4-5, F 4-5, M 4-5), loyal (R "
     "3-5, F 4-5), new (R 4-5, F 1-2), potential (R 3-5, F 2-3), needs attention (R 3, F 1), "
     "at risk (R 1-2, F 3-5), hibernating (R 2, F 1-2), lost (R 1, F 1-2)."},
    {"funnel", cl_report__funnel, O_AT | O_OWNER, "[--at DATE]",
     "The funnel of the organization cards: how many are at each pipeline stage (0.5 ... 1.0, "
     "in the order of the stage's choice list) and the conversion from each stage to the next "
     "(cards at the next stage or beyond / cards at this stage or beyond); by loyalty colour and "
     "by temperature, each card counted once: as set by hand, else derived from its purchases "
     "up to --at (white: none yet; gold: 1-2; platinum: 3+; red-gold: lapsed after 3-5, "
     "red-platinum: lapsed after 6 or more; hot: bought within the last 90 days, cold: never)."},
    {"managers", cl_report__managers, O_AT | O_FROM | O_TO | O_OWNER,
     "[--from DATE] [--to DATE] [--at DATE]",
     "How each manager works in the period (default: the month of --at): events by type and by "
     "result (the event's assignee, else its owner; cancelled ones left out), new clients (their "
     "cards created in the period), purchases, sales and payments of their clients' deals "
     "dated in the period, and debts: amount - paid of purchases not fully paid, of those "
     "dated in the period and of all up to its end. A client's manager is the card's owner."},
};
#define NDEFS (int)(sizeof defs / sizeof defs[0])

const char *cl_report_names(void) { return "period activity lapsed vip abc rfm funnel managers"; }
int cl_report_count(void) { return NDEFS; }
const char *cl_report_name_at(int i) { return i >= 0 && i < NDEFS ? defs[i].name : NULL; }

static const rp_def *find_def(const char *name) {
  for (int i = 0; name && i < NDEFS; i++)
    if (strcmp(defs[i].name, name) == 0) return &defs[i];
  return NULL;
}

const char *cl_report_help(const char *name) {
  const rp_def *d = find_def(name);
  return d ? d->help : NULL;
}

const char *cl_report_options(const char *name) {
  const rp_def *d = find_def(name);
  return d ? d->options : NULL;
}

const char *cl_report_options_help(void) {
  return "  --measure M   what a purchase is worth: amount (sales, the default), paid (payments)\n"
         "                or units\n"
         "  --at DATE     the day the report is made as of (default today); later deals are\n"
         "                planned ones and left out\n"
         "  --from DATE, --to DATE   the period (defaults above)\n"
         "  --period P    month, quarter or year\n"
         "  --month YYYY-MM, --variant top|bottom|next   (vip)\n"
         "  --split A/B/C (abc)   --min N, --factor F (lapsed)   --top N (short lists, 10)\n"
         "  --owner USER  only the clients of this manager\n";
}

/* ---- the result object ------------------------------------------------------------- */

typedef struct rp_block {
  struct rp_block *next;
  size_t used, cap;
  _Alignas(16) char mem[];
} rp_block;

#define RP_BLOCK (1u << 20)

struct cl_report {
  const rp_def *def;
  rp_block *blocks;
  bool oom;
  const char *title;
  const char **pkey, **pval;
  size_t nparams, capparams;
  const char **notes;
  size_t nnotes, capnotes;
  cl_rtable **tables;
  size_t ntables, captables;
  rp_data data;
};

bool cl_report__oom(cl_report *r) { return r->oom = true; }
bool cl_report__failed(const cl_report *r) { return r->oom; }
rp_data *cl_report__data(cl_report *r) { return &r->data; }

void *cl_report__alloc(cl_report *r, size_t n) {
  n = (n + 15) & ~(size_t)15;
  rp_block *b = r->blocks;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > RP_BLOCK / 4 ? n : RP_BLOCK;
    rp_block *nb = malloc(sizeof *nb + cap);
    if (!nb) {
      r->oom = true;
      return NULL;
    }
    nb->used = 0;
    nb->cap = cap;
    if (cap == n && b) { /* a big one: keep filling the current block */
      nb->next = b->next;
      b->next = nb;
    } else {
      nb->next = b;
      r->blocks = nb;
    }
    b = nb;
  }
  void *p = b->mem + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

const char *cl_report__str(cl_report *r, const char *s) {
  if (!s) return "";
  size_t n = strlen(s);
  char *p = cl_report__alloc(r, n + 1);
  if (!p) return "";
  memcpy(p, s, n + 1);
  return p;
}

__attribute__((format(printf, 2, 0))) static const char *vstrf(cl_report *r, const char *fmt,
                                                               va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  char tmp[512];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
  va_end(ap2);
  const char *out;
  if (n >= 0 && (size_t)n < sizeof tmp) {
    out = cl_report__str(r, tmp);
  } else {
    size_t cap = n > 0 ? (size_t)n + 1 : 1;
    char *p = cl_report__alloc(r, cap);
    if (p) vsnprintf(p, cap, fmt, ap);
    out = p ? p : "";
  }
  return out;
}

const char *cl_report__strf(cl_report *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const char *s = vstrf(r, fmt, ap);
  va_end(ap);
  return s;
}

static int grow(cl_report *r, void **arr, size_t *cap, size_t n, size_t elem) {
  if (n < *cap) return 0;
  size_t nc = *cap ? *cap * 2 : 8;
  void *p = realloc(*arr, nc * elem);
  if (!p) return cl_report__oom(r), -1;
  *arr = p;
  *cap = nc;
  return 0;
}

void cl_report__note(cl_report *r, const char *fmt, ...) {
  if (grow(r, (void **)&r->notes, &r->capnotes, r->nnotes, sizeof *r->notes)) return;
  va_list ap;
  va_start(ap, fmt);
  r->notes[r->nnotes++] = vstrf(r, fmt, ap);
  va_end(ap);
}

void cl_report__param(cl_report *r, const char *key, const char *fmt, ...) {
  size_t cap = r->capparams;
  if (grow(r, (void **)&r->pkey, &cap, r->nparams, sizeof *r->pkey)) return;
  cap = r->capparams;
  if (grow(r, (void **)&r->pval, &cap, r->nparams, sizeof *r->pval)) return;
  r->capparams = cap;
  va_list ap;
  va_start(ap, fmt);
  r->pkey[r->nparams] = key;
  r->pval[r->nparams++] = vstrf(r, fmt, ap);
  va_end(ap);
}

void cl_report__title(cl_report *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  r->title = vstrf(r, fmt, ap);
  va_end(ap);
}

cl_rtable *cl_report__table(cl_report *r, const char *name, const char *title, const rp_col *cols,
                            int ncols) {
  if (grow(r, (void **)&r->tables, &r->captables, r->ntables, sizeof *r->tables)) return NULL;
  cl_rtable *t = cl_report__alloc(r, sizeof *t);
  rp_col *c = cl_report__alloc(r, (size_t)ncols * sizeof *c);
  if (!t || !c) return NULL;
  memcpy(c, cols, (size_t)ncols * sizeof *c);
  t->name = name;
  t->title = title;
  t->cols = c;
  t->ncols = ncols;
  r->tables[r->ntables++] = t;
  return t;
}

cl_rcell *cl_report__row(cl_report *r, cl_rtable *t) {
  if (t->nrows == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    cl_rcell *p = cl_report__alloc(r, cap * (size_t)t->ncols * sizeof *p);
    if (!p) return NULL;
    if (t->nrows) memcpy(p, t->cells, t->nrows * (size_t)t->ncols * sizeof *p);
    t->cells = p;
    t->cap = cap;
  }
  cl_rcell *row = &t->cells[t->nrows++ * (size_t)t->ncols];
  for (int i = 0; i < t->ncols; i++) row[i] = (cl_rcell){.null = true, .s = ""};
  return row;
}

void cl_report__virtual(cl_rtable *t, size_t nrows, rp_row_fn fn, const void *ctx) {
  t->nrows = nrows;
  t->row = fn;
  t->ctx = ctx;
}

void cl_report_free(cl_report *r) {
  if (!r) return;
  cl_report__data_free(&r->data);
  for (rp_block *b = r->blocks, *n; b; b = n) {
    n = b->next;
    free(b);
  }
  free(r->pkey);
  free(r->pval);
  free(r->notes);
  free(r->tables);
  free(r);
}

const char *cl_report_name(const cl_report *r) { return r->def ? r->def->name : ""; }
const char *cl_report_title(const cl_report *r) { return r->title ? r->title : ""; }
size_t cl_report_nparams(const cl_report *r) { return r->nparams; }
void cl_report_param(const cl_report *r, size_t i, const char **key, const char **value) {
  *key = r->pkey[i];
  *value = r->pval[i];
}
size_t cl_report_nnotes(const cl_report *r) { return r->nnotes; }
const char *cl_report_note(const cl_report *r, size_t i) { return r->notes[i]; }
size_t cl_report_ntables(const cl_report *r) { return r->ntables; }
const cl_rtable *cl_report_table(const cl_report *r, size_t i) { return r->tables[i]; }
const cl_rtable *cl_report_table_named(const cl_report *r, const char *name) {
  for (size_t i = 0; i < r->ntables; i++)
    if (strcmp(r->tables[i]->name, name) == 0) return r->tables[i];
  return NULL;
}

const cl_rtable *cl_report_main(const cl_report *r) {
  const cl_rtable *t = cl_report_table_named(r, "clients");
  return t ? t : r->ntables ? r->tables[0] : NULL;
}

const char *cl_rtable_name(const cl_rtable *t) { return t->name; }
const char *cl_rtable_title(const cl_rtable *t) { return t->title; }
bool cl_rtable_single(const cl_rtable *t) { return t->single; }
int cl_rtable_ncols(const cl_rtable *t) { return t->ncols; }
const char *cl_rtable_col_name(const cl_rtable *t, int c) { return t->cols[c].name; }
const char *cl_rtable_col_label(const cl_rtable *t, int c) { return t->cols[c].label; }
cl_rtype cl_rtable_col_type(const cl_rtable *t, int c) { return t->cols[c].type; }
bool cl_rtable_col_hidden(const cl_rtable *t, int c) { return t->cols[c].hidden; }
size_t cl_rtable_nrows(const cl_rtable *t) { return t->nrows; }

void cl_rtable_row(const cl_rtable *t, size_t i, cl_rcell *cells) {
  for (int k = 0; k < t->ncols; k++) cells[k] = (cl_rcell){.null = true, .s = ""};
  if (t->row) t->row(t, i, cells);
  else memcpy(cells, &t->cells[i * (size_t)t->ncols], (size_t)t->ncols * sizeof *cells);
}

bool cl_rtype_json_number(cl_rtype type) {
  return type == CL_RT_INT || type == CL_RT_PCT || type == CL_RT_DAYS;
}

/* v / 10^scale with `scale` decimals, trailing zeros dropped when trim */
static void fixed(kt_buf *out, int64_t v, int scale, bool trim) {
  uint64_t div = 1;
  for (int i = 0; i < scale; i++) div *= 10;
  uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  char frac[24];
  snprintf(frac, sizeof frac, "%0*llu", scale, (unsigned long long)(a % div));
  int n = scale;
  if (trim)
    while (n > 0 && frac[n - 1] == '0') n--;
  frac[n] = '\0';
  kt_buf_printf(out, "%s%llu%s%s", v < 0 ? "-" : "", (unsigned long long)(a / div), n ? "." : "",
                frac);
}

void cl_rcell_format(cl_rtype type, const cl_rcell *c, kt_buf *out) {
  if (c->null) return;
  char tmp[40];
  switch (type) {
  case CL_RT_TEXT:
    kt_buf_puts(out, c->s ? c->s : "");
    break;
  case CL_RT_INT:
    kt_buf_printf(out, "%lld", (long long)c->i);
    break;
  case CL_RT_MONEY:
    kt_money_format(c->i, tmp, sizeof tmp);
    kt_buf_puts(out, tmp);
    break;
  case CL_RT_UNITS:
    fixed(out, c->i, 6, true);
    break;
  case CL_RT_DATE:
    cl_report_day_format(c->i, tmp);
    kt_buf_puts(out, tmp);
    break;
  case CL_RT_PCT:
    fixed(out, c->i, 2, false);
    break;
  case CL_RT_DAYS:
    fixed(out, c->i, 1, true);
    break;
  }
}

int64_t cl_report__pct(int64_t num, int64_t den) {
  __int128 n = (__int128)num * 10000 * 2 + den, d = (__int128)den * 2;
  __int128 q = n / d;
  if (n % d && n < 0) q--; /* floor */
  return (int64_t)q;
}

/* ---- sorting clients --------------------------------------------------------------- */

typedef struct sort_ctx {
  const rp_data *d;
  const int64_t *vals;
} sort_ctx;

static int by_value_desc(const void *a, const void *b, void *ud) {
  const sort_ctx *c = ud;
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  if (c->vals[x] != c->vals[y]) return c->vals[x] > c->vals[y] ? -1 : 1;
  int n = strcmp(c->d->cl[x].name, c->d->cl[y].name);
  if (n) return n;
  return (x > y) - (x < y);
}

void cl_report__sort_desc(const rp_data *d, const int64_t *vals, int32_t *idx, size_t n) {
  sort_ctx c = {d, vals};
  if (n > 1) qsort_r(idx, n, sizeof *idx, by_value_desc, &c);
}

/* a heap of the k best so far, the worst of them at the root */
static void sift(int32_t *h, size_t n, size_t i, sort_ctx *c) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, w = i;
    if (l < n && by_value_desc(&h[l], &h[w], c) > 0) w = l;
    if (r < n && by_value_desc(&h[r], &h[w], c) > 0) w = r;
    if (w == i) return;
    int32_t t = h[i];
    h[i] = h[w];
    h[w] = t;
    i = w;
  }
}

void cl_report__top_desc(const rp_data *d, const int64_t *vals, int32_t *idx, size_t n, size_t k) {
  sort_ctx c = {d, vals};
  if (k >= n) {
    cl_report__sort_desc(d, vals, idx, n);
    return;
  }
  for (size_t i = k / 2 + 1; i-- > 0;) sift(idx, k, i, &c);
  for (size_t i = k; i < n; i++)
    if (by_value_desc(&idx[i], &idx[0], &c) < 0) { /* better than the worst kept */
      int32_t t = idx[0];
      idx[0] = idx[i];
      idx[i] = t;
      sift(idx, k, 0, &c);
    }
  cl_report__sort_desc(d, vals, idx, k);
}

/* ---- options ------------------------------------------------------------------------ */

static const char *const opt_names[] = {"--measure", "--at",     "--from",   "--to",
                                        "--period",  "--month",  "--variant", "--split",
                                        "--factor",  "--min",    "--top",    "--owner"};

static int parse_date(const char *opt, const char *text, int32_t *day, kt_err *err) {
  char iso[11];
  kt_err e;
  if (kt_date_parse(text, iso, &e)) return kt_err_set(err, KT_EINVAL, "%s: %s", opt, e.msg);
  cl_report__parse_day(iso, 10, day);
  return 0;
}

static int parse_int(const char *opt, const char *text, int lo, int hi, int *out, kt_err *err) {
  int64_t v;
  kt_err e;
  if (kt_int_parse(text, &v, &e) || v < lo || v > hi)
    return kt_err_set(err, KT_EINVAL, "%s: '%s' is not a whole number from %d to %d", opt, text, lo,
                      hi);
  *out = (int)v;
  return 0;
}

/* "1.5" -> 1500; at most 3 decimals; > 0 */
static int parse_factor(const char *text, int64_t *milli, kt_err *err) {
  int64_t v = 0;
  int frac = -1;
  const char *p = text;
  for (; *p; p++) {
    if ((*p == '.' || *p == ',') && frac < 0) {
      frac = 0;
      continue;
    }
    if (*p < '0' || *p > '9' || frac >= 3 || v > 1000000) break;
    v = v * 10 + (*p - '0');
    if (frac >= 0) frac++;
  }
  for (int f = frac < 0 ? 0 : frac; f < 3; f++) v *= 10;
  if (*p || p == text || v <= 0)
    return kt_err_set(err, KT_EINVAL,
                      "--factor: '%s' is not a positive number with at most 3 decimals, e.g. 1.5",
                      text);
  *milli = v;
  return 0;
}

static int parse_split(const char *text, int *a, int *b, kt_err *err) {
  int x, y, z;
  char tail;
  if (sscanf(text, "%d/%d/%d%c", &x, &y, &z, &tail) != 3 || x <= 0 || y < 0 || z < 0 ||
      x + y + z != 100)
    return kt_err_set(err, KT_EINVAL,
                      "--split: '%s' is not three whole percentages A/B/C that add up to 100, e.g. "
                      "75/20/5",
                      text);
  *a = x;
  *b = y;
  return 0;
}

static int parse_opts(rp_ctx *c, const rp_def *def, const cl_report_opts *o, kt_err *err) {
  const char *given[] = {o->measure, o->at,     o->from, o->to,  o->period, o->month,
                         o->variant, o->split,  o->factor, o->min, o->top,  o->owner};
  for (unsigned i = 0; i < sizeof given / sizeof given[0]; i++)
    if (given[i] && !(def->opts & (1u << i)))
      return kt_err_set(err, KT_EINVAL, "report %s has no option %s; its options: %s", def->name,
                        opt_names[i], def->options);
  int rc;
  c->measure = RP_AMOUNT;
  if (o->measure) {
    if (!strcmp(o->measure, "amount") || !strcmp(o->measure, "sales")) c->measure = RP_AMOUNT;
    else if (!strcmp(o->measure, "paid") || !strcmp(o->measure, "payments")) c->measure = RP_PAID;
    else if (!strcmp(o->measure, "units")) c->measure = RP_UNITS;
    else
      return kt_err_set(err, KT_EINVAL,
                        "unknown measure '%s'; use amount (sales), paid (payments) or units",
                        o->measure);
  }
  static const char *const mnames[] = {"sales", "payments", "units"};
  static const char *const mopts[] = {"amount", "paid", "units"};
  c->mname = mnames[c->measure];
  c->mopt = mopts[c->measure];
  c->vtype = c->measure == RP_UNITS ? CL_RT_UNITS : CL_RT_MONEY;
  c->at = cl_report__today();
  if (o->at && (rc = parse_date("--at", o->at, &c->at, err))) return rc;
  if ((c->has_from = o->from) && (rc = parse_date("--from", o->from, &c->from, err))) return rc;
  if ((c->has_to = o->to) && (rc = parse_date("--to", o->to, &c->to, err))) return rc;
  if (c->has_from && c->has_to && c->to < c->from)
    return kt_err_set(err, KT_EINVAL, "--to %s is before --from %s", o->to, o->from);
  c->period = RP_MONTH;
  if (o->period) {
    if (!strcmp(o->period, "month")) c->period = RP_MONTH;
    else if (!strcmp(o->period, "quarter")) c->period = RP_QUARTER;
    else if (!strcmp(o->period, "year")) c->period = RP_YEAR;
    else return kt_err_set(err, KT_EINVAL, "unknown period '%s'; use month, quarter or year", o->period);
  }
  c->month = cl_report__pidx(RP_MONTH, c->at) - 1;
  if (o->month) {
    int32_t day;
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%.7s-01", o->month);
    if (strlen(o->month) != 7 || cl_report__parse_day(tmp, 10, &day))
      return kt_err_set(err, KT_EINVAL, "--month: '%s' is not a month; use YYYY-MM, e.g. 2026-10",
                        o->month);
    c->month = cl_report__pidx(RP_MONTH, day);
  }
  if (o->variant) {
    if (!strcmp(o->variant, "top")) c->variant = 0;
    else if (!strcmp(o->variant, "bottom")) c->variant = 1;
    else if (!strcmp(o->variant, "next")) c->variant = 2;
    else return kt_err_set(err, KT_EINVAL, "unknown variant '%s'; use top, bottom or next", o->variant);
  }
  c->split_a = 75;
  c->split_b = 20;
  if (o->split && (rc = parse_split(o->split, &c->split_a, &c->split_b, err))) return rc;
  c->factor_milli = 1500;
  if (o->factor && (rc = parse_factor(o->factor, &c->factor_milli, err))) return rc;
  c->min = 3;
  if (o->min && (rc = parse_int("--min", o->min, 2, 1000000, &c->min, err))) return rc;
  c->top = 10;
  if (o->top && (rc = parse_int("--top", o->top, 1, 1000000, &c->top, err))) return rc;
  c->owner = o->owner;
  return 0;
}

/* What the user may see: the replica holds only that; a role that reads only
 * its own cards also gets only its own clients here (records kept across a
 * rights change for their unsent edits are not in scope). */
static int scope(rp_ctx *c, cl_store *s, kt_err *err) {
  const kt_rights *rt = cl_store_rights(s);
  if (!rt) return 0;
  const kt_typedef *org = kt_registry_type("org"), *deal = kt_registry_type("deal");
  if (rt->lvl[org->code][KT_ACT_READ] != KT_LVL_OWN && rt->lvl[deal->code][KT_ACT_READ] != KT_LVL_OWN)
    return 0;
  const char *me = cl_store_user(s);
  if (c->owner && strcmp(c->owner, me) != 0)
    return kt_err_set(err, KT_EPERM,
                      "your role (%s) sees only your own clients: leave out --owner or give your "
                      "own name (%s)",
                      cl_store_role(s), me);
  c->owner = me;
  cl_report__note(c->r, "only your own clients: your role (%s) reads only your own cards",
                  cl_store_role(s));
  return 0;
}

int cl_report__window12(rp_ctx *c, kt_err *err) {
  int32_t to = c->has_to ? c->to : c->at;
  return cl_report__window(c, cl_report__add_months(to, -12) + 1, to, err);
}

int cl_report__window(rp_ctx *c, int32_t from, int32_t to, kt_err *err) {
  if (!c->has_from) c->from = from;
  if (!c->has_to) c->to = to;
  c->has_from = c->has_to = true;
  char f[11], t[11];
  cl_report_day_format(c->from, f);
  cl_report_day_format(c->to, t);
  if (c->to < c->from)
    return kt_err_set(err, KT_EINVAL, "the period is empty: it starts %s and ends %s", f, t);
  cl_report__param(c->r, "from", "%s", f);
  cl_report__param(c->r, "to", "%s", t);
  return 0;
}

rp_view *cl_report__view(cl_report *r, const rp_data *d, const void *rows, const int32_t *idx,
                         int kind, int32_t at) {
  rp_view *v = cl_report__alloc(r, sizeof *v);
  if (v) *v = (rp_view){d, rows, idx, kind, at};
  return v;
}

void cl_report__load_notes(rp_ctx *c) {
  rp_data *d = c->d;
  char at[11];
  cl_report_day_format(c->at, at);
  if (d->undated)
    cl_report__note(c->r, "left out: %lld deal%s without a date", (long long)d->undated,
                    d->undated == 1 ? "" : "s");
  if (d->future)
    cl_report__note(c->r, "left out: %lld deal%s dated after %s (planned)", (long long)d->future,
                    d->future == 1 ? "" : "s", at);
  if (d->noclient)
    cl_report__note(c->r,
                    "left out: %lld deal%s of no client card on this PC (none given, or the card "
                    "is in the trash)",
                    (long long)d->noclient, d->noclient == 1 ? "" : "s");
}

int cl_report_run(cl_store *s, const char *name, const cl_report_opts *o, cl_report **out,
                  kt_err *err) {
  const rp_def *def = find_def(name);
  if (!def)
    return kt_err_set(err, KT_EINVAL, "unknown report '%s'; the reports are: %s", name ? name : "",
                      cl_report_names());
  cl_report_opts none = {0};
  cl_report *r = calloc(1, sizeof *r);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  r->def = def;
  rp_ctx c = {.r = r, .s = s, .d = &r->data};
  int rc = parse_opts(&c, def, o ? o : &none, err);
  if (!rc) rc = scope(&c, s, err);
  if (!rc) {
    char at[11];
    cl_report_day_format(c.at, at);
    cl_report__param(r, "report", "%s", def->name);
    cl_report__param(r, "at", "%s", at);
    if (def->opts & O_MEASURE) cl_report__param(r, "measure", "%s", c.mopt);
    if (c.owner) cl_report__param(r, "owner", "%s", c.owner);
    rc = def->run(&c, err);
  }
  if (!rc && r->oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory making the %s report", def->name);
  if (rc) {
    cl_report_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

/* ---- one card --------------------------------------------------------------------- */

int cl_report_client_sales(cl_store *s, const char *id, cl_client_sales *out, kt_err *err) {
  cl_report *r = calloc(1, sizeof *r);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  rp_ctx c = {.r = r, .s = s, .d = &r->data};
  int rc = scope(&c, s, err);
  int32_t today = cl_report__today(), from = cl_report__add_months(today, -12) + 1;
  rp_load l = {.measure = RP_AMOUNT, .paid = true, .from = INT32_MIN, .at = today, .owner = c.owner};
  if (!rc) rc = cl_report__load(r, s, &l, err);
  rp_data *d = &r->data;
  int32_t me = rc ? -1 : cl_report__client(d, id);
  if (!rc && me < 0) rc = kt_err_set(err, KT_ENOTFOUND, "%s is not a client card on this PC", id);
  int64_t *vals = rc ? NULL : calloc((size_t)d->ncl + 1, sizeof *vals);
  int32_t *idx = rc ? NULL : malloc(((size_t)d->ncl + 1) * sizeof *idx);
  char *cls = rc ? NULL : malloc((size_t)d->ncl + 1);
  if (!rc && (!vals || !idx || !cls)) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!rc) {
    memset(out, 0, sizeof *out);
    rp_stat st;
    cl_report__stat(d, me, INT32_MIN, today, &st);
    out->purchases = st.n;
    out->first_day = st.first;
    out->last_day = st.last;
    out->total = st.sum;
    for (int32_t i = d->off[me]; i < d->off[me + 1]; i++)
      if (rp_kind(d->dk[i]) == RP_PURCHASE && d->v[i] > d->w[i]) out->debt += d->v[i] - d->w[i];
    size_t n = 0;
    for (int32_t k = 0; k < d->ncl; k++) {
      cl_report__stat(d, k, from, today, &st);
      if (st.sum > 0) {
        vals[k] = st.sum;
        idx[n++] = k;
      }
    }
    cl_report__sort_desc(d, vals, idx, n);
    cl_report__abc_classes(vals, idx, n, 75, 20, cls);
    for (size_t k = 0; k < n; k++)
      if (idx[k] == me) out->abc = cls[k];
  }
  free(vals);
  free(idx);
  free(cls);
  cl_report_free(r);
  return rc;
}
