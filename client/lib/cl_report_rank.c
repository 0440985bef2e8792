/* cl_report_rank — the reports that rank clients by what they bring: vip
 * (the monthly Pareto top 20%, the 6-month VIP list, who entered and fell
 * out), abc (75/20/5 of the period's total) and rfm (quintile scores of
 * recency, frequency and monetary, and the segments they form). Boundaries
 * are decided with exact integer comparisons; ties are never split. */
#include <stdlib.h>
#include <string.h>

#include "cl_report_int.h"

/* Clients sorted by two keys, both descending (then name, then index). */
typedef struct key2 {
  const rp_data *d;
  const int64_t *a, *b;
} key2;

static int by_key2(const void *x, const void *y, void *ud) {
  const key2 *k = ud;
  int32_t i = *(const int32_t *)x, j = *(const int32_t *)y;
  if (k->a[i] != k->a[j]) return k->a[i] > k->a[j] ? -1 : 1;
  if (k->b[i] != k->b[j]) return k->b[i] > k->b[j] ? -1 : 1;
  int n = strcmp(k->d->cl[i].name, k->d->cl[j].name);
  return n ? n : (i > j) - (i < j);
}

static void sort2(const rp_data *d, const int64_t *a, const int64_t *b, int32_t *idx, size_t n) {
  key2 k = {d, a, b};
  qsort_r(idx, n, sizeof *idx, by_key2, &k);
}

/* A ranked list: clients (idx, sorted by vals descending) with the running
 * total up to and including each. */
typedef struct ranked {
  const rp_data *d;
  const int32_t *idx;
  const int64_t *vals; /* by client */
  const int64_t *cum;  /* by position */
  const char *cls;     /* abc classes by position, or NULL */
  int64_t total;
  size_t first;        /* the rows shown start here (vip: the selection) */
} ranked;

static void ranked_row(const cl_rtable *t, size_t i, cl_rcell *x) {
  const ranked *v = t->ctx;
  size_t p = v->first + i;
  int32_t c = v->idx[p];
  rp_i(&x[0], (int64_t)p + 1);
  rp_client_cells(v->d, c, &x[1]);
  rp_i(&x[4], v->vals[c]);
  rp_pct(&x[5], v->vals[c], v->total);
  rp_pct(&x[6], v->cum[p], v->total);
  if (v->cls) {
    static const char *const names[] = {"A", "B", "C"};
    rp_s(&x[7], names[v->cls[p] - 'A']);
  }
}

static ranked *rank_list(cl_report *r, const rp_data *d, const int32_t *idx, const int64_t *vals,
                         size_t n) {
  ranked *v = cl_report__alloc(r, sizeof *v);
  int64_t *cum = cl_report__alloc(r, (n + 1) * sizeof *cum);
  if (!v || !cum) return NULL;
  int64_t run = 0;
  for (size_t k = 0; k < n; k++) cum[k] = run += vals[idx[k]];
  *v = (ranked){d, idx, vals, cum, NULL, run, 0};
  return v;
}

/* ---- abc ---------------------------------------------------------------------------- */

void cl_report__abc_classes(const int64_t *vals, const int32_t *idx, size_t n, int a, int b,
                            char *cls) {
  int64_t total = 0, before = 0;
  for (size_t k = 0; k < n; k++) total += vals[idx[k]];
  for (size_t k = 0; k < n;) {
    size_t e = k;
    int64_t group = 0;
    for (; e < n && vals[idx[e]] == vals[idx[k]]; e++) group += vals[idx[e]];
    /* share before < a% <=> 100 x before < a x total */
    char x = rp_lt(100, before, a, total) ? 'A' : rp_lt(100, before, a + b, total) ? 'B' : 'C';
    for (; k < e; k++) cls[k] = x;
    before += group;
  }
}

int cl_report__abc(rp_ctx *c, kt_err *err) {
  int rc = cl_report__window12(c, err);
  if (rc) return rc;
  int sc = 100 - c->split_a - c->split_b;
  cl_report__param(c->r, "split", "%d/%d/%d", c->split_a, c->split_b, sc);
  char f[11], t[11];
  cl_report_day_format(c->from, f);
  cl_report_day_format(c->to, t);
  cl_report__title(c->r, "ABC analysis (%d/%d/%d): %s, %s .. %s", c->split_a, c->split_b, sc,
                   c->mname, f, t);
  rp_load l = {.measure = c->measure, .from = c->from, .at = c->at, .owner = c->owner};
  if ((rc = cl_report__load(c->r, c->s, &l, err))) return rc;
  rp_data *d = c->d;
  size_t ncl = (size_t)d->ncl + 1, n = 0;
  int64_t *vals = cl_report__alloc(c->r, ncl * sizeof *vals);
  int32_t *idx = cl_report__alloc(c->r, ncl * sizeof *idx);
  char *cls = cl_report__alloc(c->r, ncl);
  if (!vals || !idx || !cls) return KT_ENOMEM;
  int64_t nonpos = 0;
  for (int32_t k = 0; k < d->ncl; k++) {
    rp_stat st;
    cl_report__stat(d, k, c->from, c->to, &st);
    vals[k] = st.sum;
    if (st.sum > 0) idx[n++] = k;
    else if (st.n || st.nrefunds) nonpos++;
  }
  cl_report__sort_desc(d, vals, idx, n);
  cl_report__abc_classes(vals, idx, n, c->split_a, c->split_b, cls);
  ranked *v = rank_list(c->r, d, idx, vals, n);
  if (!v) return KT_ENOMEM;
  v->cls = cls;
  rp_col cols[] = {{"rank", "Rank", CL_RT_INT, false},     RP_CLIENT_COLS,
                   {"value", "Sum", c->vtype, false},      {"share", "Share %", CL_RT_PCT, false},
                   {"cumulative", "Cumulative %", CL_RT_PCT, false},
                   {"class", "Class", CL_RT_TEXT, false}};
  cl_rtable *tc = cl_report__table(c->r, "clients", "Clients by value", cols, 8);
  if (!tc) return KT_ENOMEM;
  cl_report__virtual(tc, n, ranked_row, v);
  rp_col kcols[] = {{"class", "Class", CL_RT_TEXT, false},       {"clients", "Clients", CL_RT_INT, false},
                    {"clients_share", "Clients %", CL_RT_PCT, false}, {"value", "Sum", c->vtype, false},
                    {"share", "Share %", CL_RT_PCT, false}};
  cl_rtable *tk = cl_report__table(c->r, "classes", "Classes", kcols, 5);
  if (!tk) return KT_ENOMEM;
  for (char k = 'A'; k <= 'C'; k++) {
    int64_t cnt = 0, sum = 0;
    for (size_t i = 0; i < n; i++)
      if (cls[i] == k) {
        cnt++;
        sum += vals[idx[i]];
      }
    cl_rcell *x = cl_report__row(c->r, tk);
    if (!x) return KT_ENOMEM;
    static const char *const names[] = {"A", "B", "C"};
    rp_s(&x[0], names[k - 'A']);
    rp_i(&x[1], cnt);
    rp_pct(&x[2], cnt, (int64_t)n);
    rp_i(&x[3], sum);
    rp_pct(&x[4], sum, v->total);
  }
  if (nonpos)
    cl_report__note(c->r,
                    "%lld client%s whose refunds cancel their purchases in the period (a sum of 0 "
                    "or less) %s not ranked",
                    (long long)nonpos, nonpos == 1 ? "" : "s", nonpos == 1 ? "is" : "are");
  if (!n) cl_report__note(c->r, "no purchases in the period");
  cl_report__load_notes(c);
  return 0;
}

/* ---- vip ------------------------------------------------------------------------------ */

#define VIP_MONTHS 7 /* M-6 .. M: the 6-month lists of M and of the month before */

typedef struct vip_month {
  int32_t *idx; /* paying clients, by value descending */
  size_t n;
  size_t sel0, sel1; /* the selection: positions [sel0, sel1) */
  size_t k;          /* 20% of n, rounded up */
  int64_t total, top, selected;
} vip_month;

/* positions [*a, *b) of variant v in a list of n sorted values (by client) */
static void vip_select(const int64_t *vals, const int32_t *idx, size_t n, int variant, size_t *a,
                       size_t *b) {
  size_t k = (n + 4) / 5, e = k < n ? k : n;
  *a = *b = 0;
  if (!n) return;
  while (e < n && vals[idx[e]] == vals[idx[k - 1]]) e++; /* ties with the last one */
  if (variant == 0) {
    *b = e;
  } else if (variant == 2) {
    if (e >= n) {
      *a = *b = n;
      return;
    }
    size_t s = e, f = s + k < n ? s + k : n;
    while (f < n && vals[idx[f]] == vals[idx[f - 1]]) f++;
    *a = s;
    *b = f;
  } else {
    size_t s = n - k;
    while (s > 0 && vals[idx[s - 1]] == vals[idx[s]]) s--;
    *a = s;
    *b = n;
  }
}

typedef struct vip_view {
  const rp_data *d;
  const int32_t *idx;
  const int64_t *v1, *v2; /* two value columns by client */
  const char **last;      /* last month selected, by client (NULL: no column) */
  const int64_t *months;  /* months selected, by client */
} vip_view;

static void vip_list_row(const cl_rtable *t, size_t i, cl_rcell *x) {
  const vip_view *v = t->ctx;
  int32_t c = v->idx[i];
  rp_client_cells(v->d, c, x);
  rp_i(&x[3], v->months[c]);
  rp_i(&x[4], v->v1[c]);
  if (v->last) rp_s(&x[5], v->last[c]);
}

static void vip_move_row(const cl_rtable *t, size_t i, cl_rcell *x) {
  const vip_view *v = t->ctx;
  int32_t c = v->idx[i];
  rp_client_cells(v->d, c, x);
  rp_i(&x[3], v->v1[c]);
  rp_i(&x[4], v->v2[c]);
  if (v->last) rp_s(&x[5], v->last[c]);
}

int cl_report__vip(rp_ctx *c, kt_err *err) {
  static const char *const vnames[] = {"top", "bottom", "next"};
  static const char *const vtitles[] = {"VIPs (the top 20%)", "The difficult (the bottom 20%)",
                                        "The next 20% (after the VIPs)"};
  int32_t M = c->month, m0 = M - (VIP_MONTHS - 1);
  char lab[VIP_MONTHS][16];
  for (int j = 0; j < VIP_MONTHS; j++) cl_report__plabel(RP_MONTH, m0 + j, lab[j]);
  cl_report__param(c->r, "month", "%s", lab[VIP_MONTHS - 1]);
  cl_report__param(c->r, "variant", "%s", vnames[c->variant]);
  cl_report__title(c->r, "%s of %s by %s; the list over %s .. %s", vtitles[c->variant],
                   lab[VIP_MONTHS - 1], c->mname, lab[1], lab[VIP_MONTHS - 1]);
  int32_t from = cl_report__pfirst(RP_MONTH, m0), to = cl_report__plast(RP_MONTH, M);
  rp_load l = {.measure = c->measure, .from = from, .at = c->at, .owner = c->owner};
  int rc = cl_report__load(c->r, c->s, &l, err);
  if (rc) return rc;
  rp_data *d = c->d;
  size_t ncl = (size_t)d->ncl + 1;
  int64_t *ms = malloc(ncl * VIP_MONTHS * sizeof *ms); /* monthly sums by client */
  int64_t *vals = cl_report__alloc(c->r, ncl * sizeof *vals);
  unsigned char *bits = calloc(ncl, 1);
  vip_month mon[VIP_MONTHS] = {{0}};
  if (!ms || !vals || !bits) goto oom;
  memset(ms, 0, ncl * VIP_MONTHS * sizeof *ms);
  rp_pcache pc;
  rp_pcache_init(&pc, RP_MONTH);
  for (int32_t k = 0; k < d->ncl; k++)
    for (int32_t i = d->off[k]; i < d->off[k + 1]; i++) {
      int32_t day = rp_day(d->dk[i]);
      if (day > to) break;
      ms[(size_t)k * VIP_MONTHS + (size_t)(rp_pidx(&pc, day) - m0)] += d->v[i];
    }
  for (int j = 0; j < VIP_MONTHS; j++) {
    vip_month *m = &mon[j];
    if (!(m->idx = cl_report__alloc(c->r, ncl * sizeof *m->idx))) goto oom;
    for (int32_t k = 0; k < d->ncl; k++) {
      vals[k] = ms[(size_t)k * VIP_MONTHS + (size_t)j];
      if (vals[k] > 0) {
        m->idx[m->n++] = k;
        m->total += vals[k];
      }
    }
    cl_report__sort_desc(d, vals, m->idx, m->n);
    size_t a, b;
    vip_select(vals, m->idx, m->n, 0, &a, &b);
    for (size_t p = a; p < b; p++) m->top += vals[m->idx[p]];
    vip_select(vals, m->idx, m->n, c->variant, &m->sel0, &m->sel1);
    for (size_t p = m->sel0; p < m->sel1; p++) {
      m->selected += vals[m->idx[p]];
      bits[m->idx[p]] |= (unsigned char)(1u << j);
    }
    m->k = (m->n + 4) / 5;
  }
  /* months with fewer than 5 clients: the top 20% is still 1 client (rounded up) */
  kt_buf few = KT_BUF_INIT;
  for (int j = 1; j < VIP_MONTHS - 1; j++)
    if (mon[j].n < 5) kt_buf_printf(&few, "%s%s", few.len ? ", " : "", lab[j]);
  vip_month *last_m = &mon[VIP_MONTHS - 1];
  if (!last_m->n)
    cl_report__note(c->r, "%s: no client has a positive sum: nobody is selected",
                    lab[VIP_MONTHS - 1]);
  else if (last_m->n < 5)
    cl_report__note(c->r,
                    "%s: %zu client%s with a positive sum (fewer than 5): 20%% rounded up is 1 "
                    "client, and its ties",
                    lab[VIP_MONTHS - 1], last_m->n, last_m->n == 1 ? "" : "s");
  if (few.len)
    cl_report__note(c->r, "fewer than 5 clients with a positive sum also in %s (1 selected, and "
                          "ties)", kt_buf_str(&few));
  kt_buf_free(&few);
  /* month M in full: its values by client again */
  vip_month *mm = &mon[VIP_MONTHS - 1];
  int64_t *vm = cl_report__alloc(c->r, ncl * sizeof *vm);
  int64_t *v6 = cl_report__alloc(c->r, ncl * sizeof *v6);
  int64_t *vprev = cl_report__alloc(c->r, ncl * sizeof *vprev);
  int64_t *nmon = cl_report__alloc(c->r, ncl * sizeof *nmon);
  const char **last = cl_report__alloc(c->r, ncl * sizeof *last);
  int32_t *lidx = cl_report__alloc(c->r, ncl * sizeof *lidx);
  int32_t *eidx = cl_report__alloc(c->r, ncl * sizeof *eidx);
  int32_t *fidx = cl_report__alloc(c->r, ncl * sizeof *fidx);
  const char *labs[VIP_MONTHS];
  for (int j = 0; j < VIP_MONTHS; j++) labs[j] = cl_report__str(c->r, lab[j]);
  if (!vm || !v6 || !vprev || !nmon || !last || !lidx || !eidx || !fidx) goto oom;
  size_t nl = 0, ne = 0, nf = 0;
  for (int32_t k = 0; k < d->ncl; k++) {
    const int64_t *row = &ms[(size_t)k * VIP_MONTHS];
    vm[k] = row[VIP_MONTHS - 1];
    for (int j = 1; j < VIP_MONTHS; j++) v6[k] += row[j];
    for (int j = 0; j < VIP_MONTHS - 1; j++) vprev[k] += row[j];
    unsigned now = bits[k] & 0x7Eu, before = bits[k] & 0x3Fu;
    for (int j = 0; j < VIP_MONTHS; j++)
      if (bits[k] & (1u << j)) {
        if (j >= 1) nmon[k]++;
        last[k] = labs[j];
      }
    if (now) lidx[nl++] = k;
    if (now && !before) eidx[ne++] = k;
    if (before && !now) fidx[nf++] = k;
  }
  free(ms);
  ms = NULL;
  free(bits);
  bits = NULL;

  rp_col scols[] = {{"month", "Month", CL_RT_TEXT, false},
                    {"paying", "Clients with a positive sum", CL_RT_INT, false},
                    {"k", "20% of them, rounded up", CL_RT_INT, false},
                    {"selected", "Selected (ties included)", CL_RT_INT, false},
                    {"total", "The month's total", c->vtype, false},
                    {"selected_value", "Brought by the selected", c->vtype, false},
                    {"selected_share", "Their share %", CL_RT_PCT, false},
                    {"top_share", "Share of the top 20% (Pareto) %", CL_RT_PCT, false}};
  cl_rtable *ts = cl_report__table(c->r, "summary", "The month", scols, 8);
  cl_rcell *x = ts ? cl_report__row(c->r, ts) : NULL;
  if (!x) goto oom;
  ts->single = true;
  rp_s(&x[0], labs[VIP_MONTHS - 1]);
  rp_i(&x[1], (int64_t)mm->n);
  rp_i(&x[2], (int64_t)mm->k);
  rp_i(&x[3], (int64_t)(mm->sel1 - mm->sel0));
  rp_i(&x[4], mm->total);
  rp_i(&x[5], mm->selected);
  rp_pct(&x[6], mm->selected, mm->total);
  rp_pct(&x[7], mm->top, mm->total);

  ranked *rv = rank_list(c->r, d, mm->idx, vm, mm->n);
  if (!rv) goto oom;
  rv->first = mm->sel0;
  rp_col rcols[] = {{"rank", "Rank", CL_RT_INT, false},     RP_CLIENT_COLS,
                    {"value", "Sum", c->vtype, false},      {"share", "Share %", CL_RT_PCT, false},
                    {"cumulative", "Cumulative %", CL_RT_PCT, false}};
  cl_rtable *tsel = cl_report__table(c->r, "selected", cl_report__strf(c->r, "%s of %s", vtitles[c->variant], labs[VIP_MONTHS - 1]), rcols, 7);
  if (!tsel) goto oom;
  cl_report__virtual(tsel, mm->sel1 - mm->sel0, ranked_row, rv);

  vip_view *lv = cl_report__alloc(c->r, sizeof *lv), *ev = cl_report__alloc(c->r, sizeof *ev),
           *fv = cl_report__alloc(c->r, sizeof *fv);
  if (!lv || !ev || !fv) goto oom;
  sort2(d, nmon, v6, lidx, nl);
  *lv = (vip_view){d, lidx, v6, NULL, last, nmon};
  rp_col lcols[] = {RP_CLIENT_COLS,
                    {"months", "Months selected (of 6)", CL_RT_INT, false},
                    {"value", "Sum over the 6 months", c->vtype, false},
                    {"last", "Last selected in", CL_RT_TEXT, false}};
  cl_rtable *tl = cl_report__table(c->r, "list", cl_report__strf(c->r, "The list: selected in any month %s .. %s", labs[1], labs[VIP_MONTHS - 1]), lcols, 6);
  if (!tl) goto oom;
  cl_report__virtual(tl, nl, vip_list_row, lv);
  rp_col ecols[] = {RP_CLIENT_COLS,
                    {"value", cl_report__strf(c->r, "Sum in %s", labs[VIP_MONTHS - 1]), c->vtype, false},
                    {"value6", "Sum over the 6 months", c->vtype, false}};
  sort2(d, vm, v6, eidx, ne);
  *ev = (vip_view){d, eidx, vm, v6, NULL, nmon};
  cl_rtable *te = cl_report__table(c->r, "entered", "Entered the list (not on the month before's)", ecols, 5);
  if (!te) goto oom;
  cl_report__virtual(te, ne, vip_move_row, ev);
  rp_col fcols[] = {RP_CLIENT_COLS,
                    {"value", cl_report__strf(c->r, "Sum in %s", labs[VIP_MONTHS - 1]), c->vtype, false},
                    {"value_before", cl_report__strf(c->r, "Sum over %s .. %s", labs[0], labs[VIP_MONTHS - 2]), c->vtype, false},
                    {"last", "Last selected in", CL_RT_TEXT, false}};
  sort2(d, vprev, vm, fidx, nf);
  *fv = (vip_view){d, fidx, vm, vprev, last, nmon};
  cl_rtable *tf = cl_report__table(c->r, "fell_out", "Fell out of the list", fcols, 6);
  if (!tf) goto oom;
  cl_report__virtual(tf, nf, vip_move_row, fv);

  rp_col mcols[] = {{"month", "Month", CL_RT_TEXT, false},
                    {"paying", "Clients with a positive sum", CL_RT_INT, false},
                    {"selected", "Selected", CL_RT_INT, false},
                    {"total", "Total", c->vtype, false},
                    {"top_share", "Share of the top 20% %", CL_RT_PCT, false}};
  cl_rtable *tm = cl_report__table(c->r, "months", "The Pareto check by month", mcols, 5);
  if (!tm) goto oom;
  for (int j = 1; j < VIP_MONTHS; j++) {
    if (!(x = cl_report__row(c->r, tm))) goto oom;
    rp_s(&x[0], labs[j]);
    rp_i(&x[1], (int64_t)mon[j].n);
    rp_i(&x[2], (int64_t)(mon[j].sel1 - mon[j].sel0));
    rp_i(&x[3], mon[j].total);
    rp_pct(&x[4], mon[j].top, mon[j].total);
  }
  if (cl_report__plast(RP_MONTH, M) > c->at) {
    char at[11];
    cl_report_day_format(c->at, at);
    cl_report__note(c->r, "%s is not over by %s: it counts only what was bought up to then",
                    labs[VIP_MONTHS - 1], at);
  }
  cl_report__load_notes(c);
  return 0;
oom:
  free(ms);
  free(bits);
  return KT_ENOMEM;
}

/* ---- rfm ------------------------------------------------------------------------------ */

enum { SEG_CHAMPIONS, SEG_LOYAL, SEG_NEW, SEG_POTENTIAL, SEG_ATTENTION, SEG_RISK, SEG_HIBERNATING,
       SEG_LOST, SEG__COUNT };
static const char *const seg_names[SEG__COUNT] = {"champions", "loyal", "new", "potential",
                                                  "needs attention", "at risk", "hibernating", "lost"};
static const char *const seg_hints[SEG__COUNT] = {
    "reward them; ask for referrals",      "offer more; ask for reviews",
    "welcome them: a second purchase makes a regular", "keep in touch; a loyalty offer",
    "remind them; a limited offer",        "call them now, before a competitor does",
    "a special offer may wake them",       "win back, or let go"};

static int segment(int r, int f, int m) {
  if (r >= 4 && f >= 4 && m >= 4) return SEG_CHAMPIONS;
  if (r >= 3 && f >= 4) return SEG_LOYAL;
  if (r >= 4 && f <= 2) return SEG_NEW;
  if (r >= 3 && f >= 2) return SEG_POTENTIAL;
  if (r == 3) return SEG_ATTENTION;
  if (f >= 3) return SEG_RISK;
  return r == 2 ? SEG_HIBERNATING : SEG_LOST;
}

static int i64_cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* first position with s[p] >= x (ge = true) or > x */
static size_t bound(const int64_t *s, size_t n, int64_t x, bool ge) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (ge ? s[mid] < x : s[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* 1 + 5 x (worse + ties / 2) / n: the quintile of the value's mid-rank */
static int score(const int64_t *sorted, size_t n, int64_t x, bool higher_better) {
  size_t lo = bound(sorted, n, x, true), hi = bound(sorted, n, x, false);
  size_t worse = higher_better ? lo : n - hi, ties = hi - lo;
  return 1 + (int)((5 * (2 * (int64_t)worse + (int64_t)ties)) / (2 * (int64_t)n));
}

typedef struct rfm_e {
  int64_t rec, freq, mon;
  int r, f, m, seg;
} rfm_e;

static void rfm_row(const cl_rtable *t, size_t i, cl_rcell *x) {
  const rp_view *v = t->ctx; /* rows by client */
  int32_t c = v->idx[i];
  const rfm_e *e = (const rfm_e *)v->rows + c;
  rp_client_cells(v->d, c, x);
  rp_i(&x[3], e->rec);
  rp_i(&x[4], e->freq);
  rp_i(&x[5], e->mon);
  rp_i(&x[6], e->r);
  rp_i(&x[7], e->f);
  rp_i(&x[8], e->m);
  rp_i(&x[9], e->r * 100 + e->f * 10 + e->m);
  rp_s(&x[10], seg_names[e->seg]);
}

int cl_report__rfm(rp_ctx *c, kt_err *err) {
  int rc = cl_report__window12(c, err);
  if (rc) return rc;
  char f[11], t[11];
  cl_report_day_format(c->from, f);
  cl_report_day_format(c->to, t);
  cl_report__title(c->r, "RFM: %s, %s .. %s (recency as of %s)", c->mname, f, t, t);
  rp_load l = {.measure = c->measure, .from = c->from, .at = c->at, .owner = c->owner};
  if ((rc = cl_report__load(c->r, c->s, &l, err))) return rc;
  rp_data *d = c->d;
  size_t ncl = (size_t)d->ncl + 1, n = 0;
  rfm_e *e = cl_report__alloc(c->r, ncl * sizeof *e);
  int32_t *idx = cl_report__alloc(c->r, ncl * sizeof *idx);
  int64_t *ks = cl_report__alloc(c->r, ncl * sizeof *ks), *km = cl_report__alloc(c->r, ncl * sizeof *km);
  int64_t *sr = malloc(ncl * sizeof *sr), *sf = malloc(ncl * sizeof *sf), *sm = malloc(ncl * sizeof *sm);
  if (!e || !idx || !ks || !km || !sr || !sf || !sm) goto oom;
  for (int32_t k = 0; k < d->ncl; k++) {
    rp_stat st;
    cl_report__stat(d, k, c->from, c->to, &st);
    if (!st.n) continue;
    e[k].rec = sr[n] = c->to - st.last;
    e[k].freq = sf[n] = st.n;
    e[k].mon = sm[n] = st.sum;
    idx[n++] = k;
  }
  qsort(sr, n, sizeof *sr, i64_cmp);
  qsort(sf, n, sizeof *sf, i64_cmp);
  qsort(sm, n, sizeof *sm, i64_cmp);
  int64_t segn[SEG__COUNT] = {0}, segv[SEG__COUNT] = {0};
  for (size_t i = 0; i < n; i++) {
    rfm_e *x = &e[idx[i]];
    x->r = score(sr, n, x->rec, false);
    x->f = score(sf, n, x->freq, true);
    x->m = score(sm, n, x->mon, true);
    x->seg = segment(x->r, x->f, x->m);
    segn[x->seg]++;
    segv[x->seg] += x->mon;
    ks[idx[i]] = SEG__COUNT - x->seg; /* segments in their order */
    km[idx[i]] = x->r * 100 + x->f * 10 + x->m;
  }
  free(sr);
  free(sf);
  free(sm);
  sr = sf = sm = NULL;
  rp_col scols[] = {{"segment", "Segment", CL_RT_TEXT, false}, {"clients", "Clients", CL_RT_INT, false},
                    {"share", "Clients %", CL_RT_PCT, false},  {"value", "Sum", c->vtype, false},
                    {"todo", "What to do", CL_RT_TEXT, false}};
  cl_rtable *ts = cl_report__table(c->r, "segments", "Segments", scols, 5);
  if (!ts) goto oom;
  for (int s = 0; s < SEG__COUNT; s++) {
    cl_rcell *x = cl_report__row(c->r, ts);
    if (!x) goto oom;
    rp_s(&x[0], seg_names[s]);
    rp_i(&x[1], segn[s]);
    rp_pct(&x[2], segn[s], (int64_t)n);
    rp_i(&x[3], segv[s]);
    rp_s(&x[4], seg_hints[s]);
  }
  /* by segment, then by score, then by sum */
  for (size_t i = 0; i < n; i++) {
    ks[idx[i]] = ks[idx[i]] * 1000 + km[idx[i]];
    km[idx[i]] = e[idx[i]].mon;
  }
  sort2(d, ks, km, idx, n);
  rp_view *v = cl_report__view(c->r, d, e, idx, 0, c->at);
  if (!v) goto oom;
  rp_col ccols[] = {RP_CLIENT_COLS,
                    {"recency", "Days since", CL_RT_INT, false}, {"frequency", "Purchases", CL_RT_INT, false},
                    {"monetary", "Sum", c->vtype, false},        {"r", "R", CL_RT_INT, false},
                    {"f", "F", CL_RT_INT, false},                {"m", "M", CL_RT_INT, false},
                    {"rfm", "RFM", CL_RT_INT, false},            {"segment", "Segment", CL_RT_TEXT, false}};
  cl_rtable *tc = cl_report__table(c->r, "clients", "Clients", ccols, 11);
  if (!tc) goto oom;
  cl_report__virtual(tc, n, rfm_row, v);
  if (!n) cl_report__note(c->r, "no purchases in the period");
  else if (n < 5)
    cl_report__note(c->r, "only %zu clients bought in the period: quintiles of so few are coarse", n);
  cl_report__load_notes(c);
  return 0;
oom:
  free(sr);
  free(sf);
  free(sm);
  return KT_ENOMEM;
}
