/* cl_report_sales — the reports about purchases over time: period (the
 * client file per month/quarter/year, totals, busiest months, quotes
 * converted), activity (active clients, oldest/newest, regularity, basket,
 * retention) and lapsed (regular clients overdue against their own usual
 * interval). Each walks every client's deals once, in date order. */
#include <stdlib.h>
#include <string.h>

#include "cl_report_int.h"

#define QUOTE_DAYS 90 /* a purchase this many days after a quote still converts it */

/* round(a / b) half away from zero; b > 0 */
static int64_t div_round(int64_t a, int64_t b) {
  return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

/* ---- period --------------------------------------------------------------------------- */

typedef struct pcell {
  int32_t c, p, n;
  int64_t sum;
} pcell;

typedef struct ptot {
  int64_t buyers, n, refunds, sum, quotes, converted;
} ptot;

typedef struct period_view {
  const rp_data *d;
  const pcell *cells;
  const char **labels; /* of the periods from p0 */
  int32_t p0;
} period_view;

static void period_row(const cl_rtable *t, size_t i, cl_rcell *x) {
  const period_view *v = t->ctx;
  const pcell *e = &v->cells[i];
  rp_client_cells(v->d, e->c, x);
  rp_s(&x[3], v->labels[e->p - v->p0]);
  rp_i(&x[4], e->n);
  rp_i(&x[5], e->sum);
}

/* Walks client c's deals in [from, to]: per period totals (when tot), cells
 * (when cells; returns how many), quote conversion (quotes in [from, to],
 * purchases up to the load's end). q: scratch of maxseg days. */
static int32_t period_walk(const rp_data *d, int32_t c, int per, int32_t p0, int32_t from,
                           int32_t to, ptot *tot, pcell *cells, int32_t *q) {
  int32_t ncell = 0, cur = -1, qh = 0, qt = 0;
  int32_t n = 0;
  rp_pcache pc;
  rp_pcache_init(&pc, per);
  int64_t sum = 0;
  bool any = false;
  for (int32_t i = d->off[c]; i <= d->off[c + 1]; i++) {
    bool end = i == d->off[c + 1];
    int32_t day = end ? 0 : rp_day(d->dk[i]);
    int k = end ? RP_PURCHASE : rp_kind(d->dk[i]);
    int32_t p = end ? -1 : rp_pidx(&pc, day);
    bool in = !end && day >= from && day <= to;
    if (end || (in && p != cur && k != RP_QUOTE)) {
      if (any) {
        if (cells) cells[ncell] = (pcell){c, cur, n, sum};
        ncell++;
        if (tot && n) tot[cur - p0].buyers++;
      }
      cur = p;
      n = 0;
      sum = 0;
      any = false;
    }
    if (end) break;
    if (k == RP_QUOTE) {
      if (in) {
        if (tot) tot[p - p0].quotes++;
        q[qt++] = day;
      }
      continue;
    }
    if (k == RP_PURCHASE) {
      while (qh < qt && q[qh] < day - QUOTE_DAYS) qh++; /* expired unconverted */
      if (qh < qt) {
        if (tot) tot[cl_report__pidx(per, q[qh]) - p0].converted++;
        qh++;
      }
    }
    if (!in) continue;
    any = true;
    sum += d->v[i];
    if (tot) tot[p - p0].sum += d->v[i];
    if (k == RP_PURCHASE) {
      n++;
      if (tot) tot[p - p0].n++;
    } else if (tot) {
      tot[p - p0].refunds++;
    }
  }
  return ncell;
}

typedef struct mrank {
  int32_t m;
  int64_t n, sum;
} mrank;

static int mrank_cmp(const void *a, const void *b) {
  const mrank *x = a, *y = b;
  if (x->sum != y->sum) return x->sum > y->sum ? -1 : 1;
  if (x->n != y->n) return x->n > y->n ? -1 : 1;
  return (x->m > y->m) - (x->m < y->m);
}

int cl_report__period(rp_ctx *c, kt_err *err) {
  static const char *const pnames[] = {"month", "quarter", "year"};
  int per = c->period, nper = per == RP_MONTH ? 36 : per == RP_QUARTER ? 12 : 3;
  int32_t to = c->has_to ? c->to : c->at;
  int rc = cl_report__window(c, cl_report__pfirst(per, cl_report__pidx(per, to) - (nper - 1)), to, err);
  if (rc) return rc;
  int32_t from = c->from;
  to = c->to;
  cl_report__param(c->r, "period", "%s", pnames[per]);
  char f[11], t[11];
  cl_report_day_format(from, f);
  cl_report_day_format(to, t);
  cl_report__title(c->r, "Client file by %s: %s, %s .. %s", pnames[per], c->mname, f, t);
  rp_load l = {.measure = c->measure, .quotes = true, .from = from, .at = c->at, .owner = c->owner};
  if ((rc = cl_report__load(c->r, c->s, &l, err))) return rc;
  rp_data *d = c->d;
  int32_t p0 = cl_report__pidx(per, from), p1 = cl_report__pidx(per, to), np = p1 - p0 + 1;
  int32_t m0 = cl_report__pidx(RP_MONTH, from), nm = cl_report__pidx(RP_MONTH, to) - m0 + 1;
  ptot *tot = cl_report__alloc(c->r, (size_t)np * sizeof *tot);
  mrank *months = cl_report__alloc(c->r, (size_t)nm * sizeof *months);
  int64_t *vals = cl_report__alloc(c->r, ((size_t)d->ncl + 1) * sizeof *vals);
  int32_t *idx = cl_report__alloc(c->r, ((size_t)d->ncl + 1) * sizeof *idx);
  int32_t *q = malloc(((size_t)d->maxseg + 1) * sizeof *q);
  if (!tot || !months || !vals || !idx || !q) {
    free(q);
    return KT_ENOMEM;
  }
  /* the clients with anything in the span, by their sum there */
  size_t n = 0, ncells = 0;
  rp_pcache mc;
  rp_pcache_init(&mc, RP_MONTH);
  for (int32_t k = 0; k < d->ncl; k++) {
    rp_stat st;
    cl_report__stat(d, k, from, to, &st);
    vals[k] = st.sum;
    if (st.n || st.nrefunds) idx[n++] = k;
    ncells += (size_t)period_walk(d, k, per, p0, from, to, tot, NULL, q);
    for (int32_t i = d->off[k]; i < d->off[k + 1]; i++) {
      int32_t day = rp_day(d->dk[i]);
      if (rp_kind(d->dk[i]) == RP_QUOTE || day < from || day > to) continue;
      mrank *m = &months[rp_pidx(&mc, day) - m0];
      m->sum += d->v[i];
      if (rp_kind(d->dk[i]) == RP_PURCHASE) m->n++;
    }
  }
  cl_report__sort_desc(d, vals, idx, n);
  pcell *cells = cl_report__alloc(c->r, (ncells + 1) * sizeof *cells);
  period_view *pv = cl_report__alloc(c->r, sizeof *pv);
  if (!cells || !pv) {
    free(q);
    return KT_ENOMEM;
  }
  size_t at = 0;
  for (size_t k = 0; k < n; k++)
    at += (size_t)period_walk(d, idx[k], per, p0, from, to, NULL, cells + at, q);
  free(q);
  const char **labels = cl_report__alloc(c->r, (size_t)np * sizeof *labels);
  if (!labels) return KT_ENOMEM;
  for (int32_t p = 0; p < np; p++) {
    char lab[16];
    cl_report__plabel(per, p0 + p, lab);
    labels[p] = cl_report__str(c->r, lab);
  }
  *pv = (period_view){d, cells, labels, p0};

  rp_col cc[] = {RP_CLIENT_COLS,
                 {"period", "Period", CL_RT_TEXT, false},
                 {"purchases", "Purchases", CL_RT_INT, false},
                 {"value", "Sum", c->vtype, false}};
  cl_rtable *tc = cl_report__table(c->r, "clients", "Clients by period (largest clients first)", cc, 6);
  if (!tc) return KT_ENOMEM;
  cl_report__virtual(tc, at, period_row, pv);

  rp_col tcols[] = {{"period", "Period", CL_RT_TEXT, false},         {"clients", "Clients", CL_RT_INT, false},
                    {"purchases", "Purchases", CL_RT_INT, false},    {"refunds", "Refunds", CL_RT_INT, false},
                    {"value", "Sum", c->vtype, false},               {"quotes", "Quotes", CL_RT_INT, false},
                    {"converted", "Quotes converted", CL_RT_INT, false},
                    {"conversion", "Conversion %", CL_RT_PCT, false}};
  cl_rtable *tt = cl_report__table(c->r, "totals", "Totals by period", tcols, 8);
  if (!tt) return KT_ENOMEM;
  ptot all = {0};
  for (int32_t p = 0; p < np; p++) {
    cl_rcell *x = cl_report__row(c->r, tt);
    if (!x) return KT_ENOMEM;
    rp_s(&x[0], labels[p]);
    rp_i(&x[1], tot[p].buyers);
    rp_i(&x[2], tot[p].n);
    rp_i(&x[3], tot[p].refunds);
    rp_i(&x[4], tot[p].sum);
    rp_i(&x[5], tot[p].quotes);
    rp_i(&x[6], tot[p].converted);
    rp_pct(&x[7], tot[p].converted, tot[p].quotes);
    all.n += tot[p].n;
    all.refunds += tot[p].refunds;
    all.sum += tot[p].sum;
    all.quotes += tot[p].quotes;
    all.converted += tot[p].converted;
  }
  rp_col bcols[] = {{"month", "Month", CL_RT_TEXT, false},
                    {"purchases", "Purchases", CL_RT_INT, false},
                    {"value", "Sum", c->vtype, false},
                    {"share", "Share %", CL_RT_PCT, false}};
  cl_rtable *tb = cl_report__table(c->r, "busiest", "Busiest months", bcols, 4);
  if (!tb) return KT_ENOMEM;
  for (int32_t m = 0; m < nm; m++) months[m].m = m0 + m;
  qsort(months, (size_t)nm, sizeof *months, mrank_cmp);
  for (int32_t m = 0, shown = 0; m < nm && shown < c->top; m++) {
    if (!months[m].n && !months[m].sum) continue;
    cl_rcell *x = cl_report__row(c->r, tb);
    if (!x) return KT_ENOMEM;
    char lab[16];
    cl_report__plabel(RP_MONTH, months[m].m, lab);
    rp_s(&x[0], cl_report__str(c->r, lab));
    rp_i(&x[1], months[m].n);
    rp_i(&x[2], months[m].sum);
    rp_pct(&x[3], months[m].sum, all.sum);
    shown++;
  }
  rp_col scols[] = {{"clients", "Clients", CL_RT_INT, false},       {"purchases", "Purchases", CL_RT_INT, false},
                    {"refunds", "Refunds", CL_RT_INT, false},       {"value", "Sum", c->vtype, false},
                    {"quotes", "Quotes", CL_RT_INT, false},         {"converted", "Quotes converted", CL_RT_INT, false},
                    {"conversion", "Conversion %", CL_RT_PCT, false}};
  cl_rtable *ts = cl_report__table(c->r, "summary", "The whole span", scols, 7);
  cl_rcell *x = ts ? cl_report__row(c->r, ts) : NULL;
  if (!x) return KT_ENOMEM;
  ts->single = true;
  rp_i(&x[0], (int64_t)n);
  rp_i(&x[1], all.n);
  rp_i(&x[2], all.refunds);
  rp_i(&x[3], all.sum);
  rp_i(&x[4], all.quotes);
  rp_i(&x[5], all.converted);
  rp_pct(&x[6], all.converted, all.quotes);
  if (!n) cl_report__note(c->r, "no purchases in the span");
  cl_report__load_notes(c);
  return 0;
}

/* ---- activity ------------------------------------------------------------------------ */

typedef struct act {
  int32_t first, last, n;
  int64_t sum, mean10, spread; /* mean interval (tenths of a day), -1 when none; spread bp or -1 */
} act;

enum { ACT_CLIENTS, ACT_DATES, ACT_REGULARITY }; /* the lists (rp_view.kind) */

static void act_row(const cl_rtable *t, size_t i, cl_rcell *x) {
  const rp_view *v = t->ctx;
  int32_t c = v->idx[i];
  const act *a = (const act *)v->rows + c;
  rp_client_cells(v->d, c, x);
  if (v->kind == ACT_REGULARITY) {
    rp_i(&x[3], a->n);
    rp_i(&x[4], a->mean10);
    rp_i(&x[5], a->spread);
    return;
  }
  rp_i(&x[3], a->first);
  rp_i(&x[4], a->last);
  rp_i(&x[5], a->n);
  if (v->kind == ACT_DATES) return;
  rp_i(&x[6], a->sum);
  if (a->n) rp_i(&x[7], div_round(a->sum, a->n));
  if (a->mean10 >= 0) rp_i(&x[8], a->mean10);
  if (a->spread >= 0) rp_i(&x[9], a->spread);
}

static cl_rtable *act_list(rp_ctx *c, const char *name, const char *title, int cols,
                           const act *a, const int64_t *key, const int32_t *from, size_t n) {
  static const rp_col lcols[] = {RP_CLIENT_COLS,
                                 {"first", "First purchase", CL_RT_DATE, false},
                                 {"last", "Last purchase", CL_RT_DATE, false},
                                 {"purchases", "Purchases", CL_RT_INT, false}};
  static const rp_col rcols[] = {RP_CLIENT_COLS,
                                 {"purchases", "Purchases", CL_RT_INT, false},
                                 {"interval", "Average interval", CL_RT_DAYS, false},
                                 {"spread", "Spread %", CL_RT_PCT, false}};
  int32_t *idx = cl_report__alloc(c->r, (n + 1) * sizeof *idx);
  rp_view *v = cl_report__view(c->r, c->d, a, idx, cols, c->at);
  cl_rtable *t = cl_report__table(c->r, name, title, cols == ACT_DATES ? lcols : rcols, 6);
  if (!idx || !v || !t) return NULL;
  memcpy(idx, from, n * sizeof *idx);
  cl_report__top_desc(c->d, key, idx, n, (size_t)c->top);
  cl_report__virtual(t, n < (size_t)c->top ? n : (size_t)c->top, act_row, v);
  return t;
}

/* Spread of intervals iv[0..k), k >= 2: mean absolute deviation from the
 * mean, in hundredths of a percent of the mean. */
static int64_t spread_bp(const int32_t *iv, int32_t k) {
  int64_t s = 0, dev = 0;
  for (int32_t i = 0; i < k; i++) s += iv[i];
  for (int32_t i = 0; i < k; i++) dev += llabs((int64_t)k * iv[i] - s);
  return cl_report__pct(dev, (int64_t)k * s);
}

int cl_report__activity(rp_ctx *c, kt_err *err) {
  static const char *const pnames[] = {"month", "quarter", "year"};
  int rc = cl_report__window12(c, err);
  if (rc) return rc;
  cl_report__param(c->r, "period", "%s", pnames[c->period]);
  char f[11], t[11];
  cl_report_day_format(c->from, f);
  cl_report_day_format(c->to, t);
  cl_report__title(c->r, "Activity: %s, %s .. %s", c->mname, f, t);
  rp_load l = {.measure = c->measure, .from = INT32_MIN, .at = c->at, .owner = c->owner};
  if ((rc = cl_report__load(c->r, c->s, &l, err))) return rc;
  rp_data *d = c->d;
  size_t ncl = (size_t)d->ncl + 1;
  act *a = cl_report__alloc(c->r, ncl * sizeof *a);
  int64_t *k_sum = cl_report__alloc(c->r, ncl * sizeof *k_sum);
  int64_t *k_first = cl_report__alloc(c->r, ncl * sizeof *k_first);
  int64_t *k_new = cl_report__alloc(c->r, ncl * sizeof *k_new);
  int64_t *k_reg = cl_report__alloc(c->r, ncl * sizeof *k_reg);
  int64_t *k_irr = cl_report__alloc(c->r, ncl * sizeof *k_irr);
  int32_t *active = cl_report__alloc(c->r, ncl * sizeof *active);
  int32_t *regular = cl_report__alloc(c->r, ncl * sizeof *regular);
  int32_t *iv = malloc(((size_t)d->maxseg + 1) * sizeof *iv);
  int per = c->period;
  int32_t p0 = cl_report__pidx(per, c->from), np = cl_report__pidx(per, c->to) - p0 + 1;
  int64_t *rnew = cl_report__alloc(c->r, (size_t)np * sizeof *rnew);
  int64_t *ragain = cl_report__alloc(c->r, (size_t)np * sizeof *ragain);
  if (!a || !k_sum || !k_first || !k_new || !k_reg || !k_irr || !active || !regular || !iv ||
      !rnew || !ragain) {
    free(iv);
    return KT_ENOMEM;
  }
  size_t nact = 0, nreg = 0;
  rp_pcache pc;
  rp_pcache_init(&pc, per);
  int64_t buyers = 0, newc = 0, purchases = 0, refunds = 0, sum = 0, span = 0, gaps = 0;
  for (int32_t k = 0; k < d->ncl; k++) {
    rp_stat all, st;
    cl_report__stat(d, k, INT32_MIN, c->to, &all);
    if (!all.n) continue;
    buyers++;
    /* retention: new in p, bought again in p + 1 (up to --at) */
    int32_t pf = cl_report__pidx(per, all.first);
    if (pf >= p0 && pf < p0 + np) {
      rnew[pf - p0]++;
      for (int32_t i = d->off[k]; i < d->off[k + 1]; i++)
        if (rp_kind(d->dk[i]) == RP_PURCHASE && rp_pidx(&pc, rp_day(d->dk[i])) == pf + 1) {
          ragain[pf - p0]++;
          break;
        }
    }
    cl_report__stat(d, k, c->from, c->to, &st);
    refunds += st.nrefunds;
    if (!st.n) continue;
    a[k] = (act){all.first, st.last, st.n, st.sum, -1, -1};
    active[nact++] = k;
    if (all.first >= c->from) newc++;
    purchases += st.n;
    sum += st.sum;
    k_sum[k] = st.sum;
    k_first[k] = -(int64_t)all.first; /* oldest first */
    k_new[k] = all.first;
    int32_t ni = cl_report__intervals(d, k, c->from, c->to, iv);
    if (ni >= 1) {
      a[k].mean10 = div_round(10 * (int64_t)(st.last - st.first), ni);
      span += st.last - st.first;
      gaps += ni;
    }
    if (ni >= 2) {
      a[k].spread = spread_bp(iv, ni);
      k_reg[k] = -a[k].spread;
      k_irr[k] = a[k].spread;
      regular[nreg++] = k;
    }
  }
  free(iv);
  rp_col scols[] = {{"clients", "Clients who ever bought", CL_RT_INT, false},
                    {"active", "Active clients", CL_RT_INT, false},
                    {"new", "New clients", CL_RT_INT, false},
                    {"purchases", "Purchases", CL_RT_INT, false},
                    {"refunds", "Refunds", CL_RT_INT, false},
                    {"value", "Sum", c->vtype, false},
                    {"basket", "Average basket", c->vtype, false},
                    {"interval", "Average interval (days)", CL_RT_DAYS, false}};
  cl_rtable *ts = cl_report__table(c->r, "summary", "Summary", scols, 8);
  cl_rcell *x = ts ? cl_report__row(c->r, ts) : NULL;
  if (!x) return KT_ENOMEM;
  ts->single = true;
  rp_i(&x[0], buyers);
  rp_i(&x[1], (int64_t)nact);
  rp_i(&x[2], newc);
  rp_i(&x[3], purchases);
  rp_i(&x[4], refunds);
  rp_i(&x[5], sum);
  if (purchases) rp_i(&x[6], div_round(sum, purchases));
  if (gaps) rp_i(&x[7], div_round(10 * span, gaps));

  rp_col ccols[] = {RP_CLIENT_COLS,
                    {"first", "First purchase", CL_RT_DATE, false},
                    {"last", "Last purchase", CL_RT_DATE, false},
                    {"purchases", "Purchases", CL_RT_INT, false},
                    {"value", "Sum", c->vtype, false},
                    {"basket", "Average basket", c->vtype, false},
                    {"interval", "Average interval", CL_RT_DAYS, false},
                    {"spread", "Spread %", CL_RT_PCT, false}};
  cl_rtable *tc = cl_report__table(c->r, "clients", "Active clients", ccols, 10);
  int32_t *cidx = cl_report__alloc(c->r, (nact + 1) * sizeof *cidx);
  rp_view *cv = cl_report__view(c->r, d, a, cidx, ACT_CLIENTS, c->at);
  if (!tc || !cv || !cidx) return KT_ENOMEM;
  memcpy(cidx, active, nact * sizeof *cidx);
  cl_report__sort_desc(d, k_sum, cidx, nact);
  cl_report__virtual(tc, nact, act_row, cv);
  if (!act_list(c, "oldest", "The oldest active clients (by first purchase)", ACT_DATES, a, k_first,
                active, nact) ||
      !act_list(c, "newest", "The newest active clients", ACT_DATES, a, k_new, active, nact) ||
      !act_list(c, "most_regular", "The most regular (3+ purchase dates in the period)",
                ACT_REGULARITY, a, k_reg, regular, nreg) ||
      !act_list(c, "least_regular", "The least regular", ACT_REGULARITY, a, k_irr, regular, nreg))
    return KT_ENOMEM;

  rp_col rcols[] = {{"period", "First purchase in", CL_RT_TEXT, false},
                    {"new", "New clients", CL_RT_INT, false},
                    {"again", "Bought again in the next", CL_RT_INT, false},
                    {"retention", "Retention %", CL_RT_PCT, false}};
  cl_rtable *tr = cl_report__table(c->r, "retention", "Retention", rcols, 4);
  if (!tr) return KT_ENOMEM;
  int32_t open = -1;
  for (int32_t p = 0; p < np; p++) {
    if ((x = cl_report__row(c->r, tr)) == NULL) return KT_ENOMEM;
    char lab[16];
    cl_report__plabel(per, p0 + p, lab);
    rp_s(&x[0], cl_report__str(c->r, lab));
    rp_i(&x[1], rnew[p]);
    rp_i(&x[2], ragain[p]);
    rp_pct(&x[3], ragain[p], rnew[p]);
    if (open < 0 && cl_report__plast(per, p0 + p + 1) > c->at) open = p0 + p;
  }
  if (open >= 0) {
    char lab[16];
    cl_report__plabel(per, open, lab);
    cl_report__note(c->r, "retention from %s on is not final: the next %s has not ended by --at",
                    lab, pnames[per]);
  }
  if (!nact) cl_report__note(c->r, "no purchases in the period");
  cl_report__load_notes(c);
  return 0;
}

/* ---- lapsed --------------------------------------------------------------------------- */

bool cl_report__is_lapsed(const rp_data *d, int32_t c, int32_t at, int min, int64_t factor_milli,
                          const rp_stat *st, int32_t *iv, int64_t *median2, int64_t *overdue10) {
  if (st->n < min) return false;
  int32_t ni = cl_report__intervals(d, c, INT32_MIN, at, iv);
  if (!ni) return false;
  *median2 = cl_report__median2(iv, ni);
  int64_t since = at - st->last;
  *overdue10 = (2 * since - *median2) * 5;
  /* since > factor x median2 / 2, exactly */
  return rp_lt(factor_milli, *median2, 2000, since);
}

typedef struct lap {
  int32_t c;
  int32_t last, n;
  int64_t median2, overdue10, sum;
} lap;

static void lap_row(const cl_rtable *t, size_t i, cl_rcell *x) {
  const rp_view *v = t->ctx; /* rows: the lapsed, idx: positions into them */
  const lap *e = (const lap *)v->rows + v->idx[i];
  rp_client_cells(v->d, e->c, x);
  rp_s(&x[3], v->d->cl[e->c].phone);
  rp_i(&x[4], e->last);
  rp_i(&x[5], e->median2 * 5);
  rp_i(&x[6], v->at - e->last);
  rp_i(&x[7], e->overdue10);
  rp_i(&x[8], e->n);
  rp_i(&x[9], e->sum);
}

int cl_report__lapsed(rp_ctx *c, kt_err *err) {
  char at[11];
  cl_report_day_format(c->at, at);
  cl_report__param(c->r, "min", "%d", c->min);
  cl_report__param(c->r, "factor", "%lld.%03lld", (long long)(c->factor_milli / 1000),
                   (long long)(c->factor_milli % 1000));
  cl_report__title(c->r, "Lapsed regular clients as of %s (by %s)", at, c->mname);
  rp_load l = {.measure = c->measure, .from = INT32_MIN, .at = c->at, .owner = c->owner};
  int rc = cl_report__load(c->r, c->s, &l, err);
  if (rc) return rc;
  rp_data *d = c->d;
  size_t ncl = (size_t)d->ncl + 1;
  lap *ls = cl_report__alloc(c->r, ncl * sizeof *ls);
  int64_t *key = cl_report__alloc(c->r, ncl * sizeof *key);
  int32_t *idx = cl_report__alloc(c->r, ncl * sizeof *idx);
  int32_t *iv = malloc(((size_t)d->maxseg + 1) * sizeof *iv);
  if (!ls || !key || !idx || !iv) {
    free(iv);
    return KT_ENOMEM;
  }
  size_t n = 0;
  int64_t regular = 0, oneday = 0, value = 0;
  for (int32_t k = 0; k < d->ncl; k++) {
    rp_stat st;
    cl_report__stat(d, k, INT32_MIN, c->at, &st);
    if (st.n < c->min) continue;
    if (st.ndates < 2) {
      oneday++;
      continue;
    }
    regular++;
    int64_t m2, od;
    if (!cl_report__is_lapsed(d, k, c->at, c->min, c->factor_milli, &st, iv, &m2, &od)) continue;
    ls[n] = (lap){k, st.last, st.n, m2, od, st.sum};
    key[n] = st.sum;
    idx[n] = (int32_t)n;
    value += st.sum;
    n++;
  }
  free(iv);
  /* sort the entries (not clients) by total: reuse the client sort through a
     key array indexed by entry, names looked up via a shadow data view */
  int32_t *cidx = cl_report__alloc(c->r, (n + 1) * sizeof *cidx);
  int64_t *ckey = cl_report__alloc(c->r, ncl * sizeof *ckey);
  int32_t *pos = cl_report__alloc(c->r, ncl * sizeof *pos);
  rp_view *v = cl_report__view(c->r, d, ls, idx, 0, c->at);
  if (!cidx || !ckey || !pos || !v) return KT_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    cidx[i] = ls[i].c;
    ckey[ls[i].c] = key[i];
    pos[ls[i].c] = (int32_t)i;
  }
  cl_report__sort_desc(d, ckey, cidx, n);
  for (size_t i = 0; i < n; i++) idx[i] = pos[cidx[i]];
  rp_col cols[] = {RP_CLIENT_COLS,
                   {"phone", "Phone", CL_RT_TEXT, false},
                   {"last", "Last purchase", CL_RT_DATE, false},
                   {"usual", "Usual interval", CL_RT_DAYS, false},
                   {"since", "Days since", CL_RT_INT, false},
                   {"overdue", "Days overdue", CL_RT_DAYS, false},
                   {"purchases", "Purchases", CL_RT_INT, false},
                   {"value", "Total", c->vtype, false}};
  cl_rtable *t = cl_report__table(c->r, "clients", "Lapsed clients (call them)", cols, 10);
  if (!t) return KT_ENOMEM;
  cl_report__virtual(t, n, lap_row, v);
  rp_col scols[] = {{"regular", "Regular clients", CL_RT_INT, false},
                    {"lapsed", "Lapsed", CL_RT_INT, false},
                    {"share", "Lapsed %", CL_RT_PCT, false},
                    {"value", "Their total", c->vtype, false}};
  cl_rtable *ts = cl_report__table(c->r, "summary", "Summary", scols, 4);
  cl_rcell *x = ts ? cl_report__row(c->r, ts) : NULL;
  if (!x) return KT_ENOMEM;
  ts->single = true;
  rp_i(&x[0], regular);
  rp_i(&x[1], (int64_t)n);
  rp_pct(&x[2], (int64_t)n, regular);
  rp_i(&x[3], value);
  if (oneday)
    cl_report__note(c->r,
                    "%lld client%s with %d+ purchases bought all on one date: no interval yet, not "
                    "judged",
                    (long long)oneday, oneday == 1 ? "" : "s", c->min);
  if (!regular) cl_report__note(c->r, "no client has %d or more purchases yet", c->min);
  cl_report__load_notes(c);
  return 0;
}
