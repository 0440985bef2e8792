/* cl_report_crm — the reports about the sales work rather than the money:
 * funnel (organization cards by pipeline stage, loyalty colour and
 * temperature, colour and temperature derived from purchases where the card
 * has none set by hand) and managers (events by type and result, new
 * clients, sales, payments and debts per manager). The stage, colour,
 * temperature, event type and result values come from the fields' choice
 * lists in the office's model, in their order. */
#include <stdlib.h>
#include <string.h>

#include "kt_choice.h"
#include "cl_report_int.h"

#define HOT_DAYS 90      /* a purchase at most this many days ago makes a card hot */
#define RED_PLATINUM 6   /* lapsed after this many purchases: red-platinum, else red-gold */
#define LAPSED_MIN 3     /* the lapsed report's defaults decide red colours */
#define LAPSED_FACTOR 1500

/* Counts of one field's values: the choice list's values first, in order,
 * then values found on cards that are not in the list. */
typedef struct vcount {
  const char *value;
  int64_t set, derived;
} vcount;

typedef struct vcounts {
  vcount *v;
  size_t n, cap, nchoices;
  int64_t unset;
  cl_report *r;
} vcounts;

static vcount *vc_add(vcounts *vc, const char *value) {
  if (vc->n == vc->cap) {
    size_t cap = vc->cap ? vc->cap * 2 : 16;
    vcount *p = cl_report__alloc(vc->r, cap * sizeof *p);
    if (!p) return NULL;
    if (vc->n) memcpy(p, vc->v, vc->n * sizeof *p);
    vc->v = p;
    vc->cap = cap;
  }
  vc->v[vc->n] = (vcount){value, 0, 0};
  return &vc->v[vc->n++];
}

static int vc_init_cb(void *ud, const kt_choice_item *it) {
  vcounts *vc = ud;
  const char *c = it->code_len ? it->code : it->label; /* the stored code, never the label */
  size_t n = it->code_len ? it->code_len : it->label_len;
  char tmp[128];
  if (n && n < sizeof tmp) {
    memcpy(tmp, c, n);
    tmp[n] = '\0';
    vc_add(vc, cl_report__str(vc->r, tmp));
  }
  return 0;
}

static void vc_init(vcounts *vc, cl_report *r, const char *choices) {
  memset(vc, 0, sizeof *vc);
  vc->r = r;
  kt_choice_each(choices, vc_init_cb, vc);
  vc->nchoices = vc->n;
}

static vcount *vc_find(vcounts *vc, const char *value) {
  for (size_t i = 0; i < vc->n; i++)
    if (strcmp(vc->v[i].value, value) == 0) return &vc->v[i];
  return vc_add(vc, cl_report__str(vc->r, value));
}

static const char *choices_of(rp_ctx *c, const char *type, const char *field) {
  kt_mtype *t = kt_model_type(cl_store_model(c->s), type);
  kt_mfield *f = t ? kt_mtype_field(t, field) : NULL;
  return f ? kt_mfield_choices(f) : "";
}

/* ---- funnel -------------------------------------------------------------------------- */

typedef struct card {
  const char *color, *temp;
  bool color_set, temp_set;
  int32_t n, last;
} card;

static void card_row(const cl_rtable *t, size_t i, cl_rcell *x) {
  const rp_view *v = t->ctx; /* rows by client */
  int32_t c = v->idx[i];
  const card *e = (const card *)v->rows + c;
  rp_client_cells(v->d, c, x);
  if (*v->d->cl[c].stage) rp_s(&x[3], v->d->cl[c].stage);
  if (*e->color) {
    rp_s(&x[4], e->color);
    rp_s(&x[5], e->color_set ? "set" : "derived");
  }
  if (*e->temp) {
    rp_s(&x[6], e->temp);
    rp_s(&x[7], e->temp_set ? "set" : "derived");
  }
  rp_i(&x[8], e->n);
  if (e->n) rp_i(&x[9], e->last);
}

static int vc_table(rp_ctx *c, const char *name, const char *title, const char *label,
                    const vcounts *vc) {
  rp_col cols[] = {{"value", label, CL_RT_TEXT, false},
                   {"cards", "Cards", CL_RT_INT, false},
                   {"set", "Set by hand", CL_RT_INT, false},
                   {"derived", "Derived from purchases", CL_RT_INT, false}};
  cl_rtable *t = cl_report__table(c->r, name, title, cols, 4);
  if (!t) return KT_ENOMEM;
  for (size_t i = 0; i <= vc->n; i++) {
    if (i == vc->n && !vc->unset) break;
    cl_rcell *x = cl_report__row(c->r, t);
    if (!x) return KT_ENOMEM;
    if (i == vc->n) {
      rp_s(&x[0], "(not set)");
      rp_i(&x[1], vc->unset);
      rp_i(&x[2], 0);
      rp_i(&x[3], 0);
      continue;
    }
    rp_s(&x[0], vc->v[i].value);
    rp_i(&x[1], vc->v[i].set + vc->v[i].derived);
    rp_i(&x[2], vc->v[i].set);
    rp_i(&x[3], vc->v[i].derived);
  }
  return 0;
}

int cl_report__funnel(rp_ctx *c, kt_err *err) {
  char at[11];
  cl_report_day_format(c->at, at);
  cl_report__title(c->r, "The funnel of organization cards as of %s", at);
  rp_load l = {.measure = RP_AMOUNT, .from = INT32_MIN, .at = c->at, .owner = c->owner};
  int rc = cl_report__load(c->r, c->s, &l, err);
  if (rc) return rc;
  rp_data *d = c->d;
  size_t ncl = (size_t)d->ncl + 1, n = 0;
  card *cards = cl_report__alloc(c->r, ncl * sizeof *cards);
  int32_t *idx = cl_report__alloc(c->r, ncl * sizeof *idx);
  int32_t *iv = malloc(((size_t)d->maxseg + 1) * sizeof *iv);
  vcounts stages, colors, temps;
  vc_init(&stages, c->r, choices_of(c, "org", "stage"));
  vc_init(&colors, c->r, choices_of(c, "org", "color"));
  vc_init(&temps, c->r, choices_of(c, "org", "temperature"));
  if (!cards || !idx || !iv) {
    free(iv);
    return KT_ENOMEM;
  }
  int64_t buyers = 0, lapsed = 0;
  for (int32_t k = 0; k < d->ncl; k++) {
    const rp_client *cl = &d->cl[k];
    if (!cl->org) continue;
    idx[n++] = k;
    rp_stat st;
    cl_report__stat(d, k, INT32_MIN, c->at, &st);
    int64_t m2, od;
    bool lap = cl_report__is_lapsed(d, k, c->at, LAPSED_MIN, LAPSED_FACTOR, &st, iv, &m2, &od);
    card *e = &cards[k];
    *e = (card){.n = st.n, .last = st.last};
    buyers += st.n > 0;
    lapsed += lap;
    if (*cl->stage) {
      vcount *v = vc_find(&stages, cl->stage);
      if (v) v->set++;
    } else {
      stages.unset++;
    }
    e->color_set = *cl->color;
    e->color = *cl->color ? cl->color
               : !st.n         ? "white"
               : lap           ? (st.n >= RED_PLATINUM ? "red-platinum" : "red-gold")
               : st.n >= 3     ? "platinum"
                               : "gold";
    vcount *v = vc_find(&colors, e->color);
    if (v) *(e->color_set ? &v->set : &v->derived) += 1;
    e->temp_set = *cl->temp;
    e->temp = *cl->temp ? cl->temp : !st.n ? "cold" : c->at - st.last <= HOT_DAYS ? "hot" : "";
    if (!*e->temp) temps.unset++;
    else if ((v = vc_find(&temps, e->temp))) *(e->temp_set ? &v->set : &v->derived) += 1;
  }
  free(iv);
  /* stages: at this stage or beyond, in the choice list's order */
  rp_col scols[] = {{"stage", "Stage", CL_RT_TEXT, false},
                    {"cards", "Cards", CL_RT_INT, false},
                    {"reached", "At this stage or beyond", CL_RT_INT, false},
                    {"conversion", "Conversion to the next %", CL_RT_PCT, false}};
  cl_rtable *ts = cl_report__table(c->r, "stages", "Pipeline stages", scols, 4);
  if (!ts) return KT_ENOMEM;
  int64_t *reached = cl_report__alloc(c->r, (stages.n + 1) * sizeof *reached);
  if (!reached) return KT_ENOMEM;
  for (size_t i = stages.nchoices; i-- > 0;) reached[i] = reached[i + 1] + stages.v[i].set;
  for (size_t i = 0; i <= stages.n; i++) {
    if (i == stages.n && !stages.unset) break;
    cl_rcell *x = cl_report__row(c->r, ts);
    if (!x) return KT_ENOMEM;
    if (i == stages.n) {
      rp_s(&x[0], "(not set)");
      rp_i(&x[1], stages.unset);
      continue;
    }
    rp_s(&x[0], stages.v[i].value);
    rp_i(&x[1], stages.v[i].set);
    if (i < stages.nchoices) {
      rp_i(&x[2], reached[i]);
      if (i + 1 < stages.nchoices) rp_pct(&x[3], reached[i + 1], reached[i]);
    }
  }
  if ((rc = vc_table(c, "colours", "Loyalty colours", "Colour", &colors)) ||
      (rc = vc_table(c, "temperatures", "Temperatures", "Temperature", &temps)))
    return rc;
  rp_col sumcols[] = {{"cards", "Organization cards", CL_RT_INT, false},
                      {"buyers", "With purchases", CL_RT_INT, false},
                      {"lapsed", "Lapsed", CL_RT_INT, false}};
  cl_rtable *tsum = cl_report__table(c->r, "summary", "Summary", sumcols, 3);
  cl_rcell *x = tsum ? cl_report__row(c->r, tsum) : NULL;
  if (!x) return KT_ENOMEM;
  tsum->single = true;
  rp_i(&x[0], (int64_t)n);
  rp_i(&x[1], buyers);
  rp_i(&x[2], lapsed);
  rp_view *cv = cl_report__view(c->r, d, cards, idx, 0, c->at);
  if (!cv) return KT_ENOMEM;
  rp_col ccols[] = {RP_CLIENT_COLS,
                    {"stage", "Stage", CL_RT_TEXT, false},         {"color", "Colour", CL_RT_TEXT, false},
                    {"color_source", "Colour is", CL_RT_TEXT, false},
                    {"temperature", "Temperature", CL_RT_TEXT, false},
                    {"temperature_source", "Temperature is", CL_RT_TEXT, false},
                    {"purchases", "Purchases", CL_RT_INT, false}, {"last", "Last purchase", CL_RT_DATE, false}};
  cl_rtable *tc = cl_report__table(c->r, "cards", "Cards", ccols, 10);
  if (!tc) return KT_ENOMEM;
  cl_report__virtual(tc, n, card_row, cv);
  if (!n) cl_report__note(c->r, "no organization cards on this PC");
  cl_report__load_notes(c);
  return 0;
}

/* ---- managers -------------------------------------------------------------------------- */

typedef struct mgr {
  const char *name;
  int64_t clients, newc, n, sales, paid, debt, debt_all;
  int64_t *types, *results; /* choices + unlisted (+ none for results) + total */
} mgr;

typedef struct mgrs {
  rp_ctx *c;
  mgr *v;
  size_t n, cap;
  vcounts types, results;
  size_t last; /* the last one found: events come in runs of one manager */
} mgrs;

static mgr *mgr_find(mgrs *m, const char *name) {
  if (!name || !*name) name = "(unassigned)";
  if (m->n && (m->v[m->last].name == name || strcmp(m->v[m->last].name, name) == 0))
    return &m->v[m->last];
  for (size_t i = 0; i < m->n; i++)
    if (m->v[i].name == name || strcmp(m->v[i].name, name) == 0) return &m->v[m->last = i];
  if (m->n == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 16;
    mgr *p = realloc(m->v, cap * sizeof *p);
    if (!p) return NULL;
    m->v = p;
    m->cap = cap;
  }
  mgr *e = &m->v[m->n];
  memset(e, 0, sizeof *e);
  e->name = cl_report__str(m->c->r, name);
  e->types = cl_report__alloc(m->c->r, (m->types.nchoices + 2) * sizeof *e->types);
  e->results = cl_report__alloc(m->c->r, (m->results.nchoices + 3) * sizeof *e->results);
  if (!e->types || !e->results) return NULL;
  m->last = m->n++;
  return e;
}

static size_t choice_pos(const vcounts *vc, const char *value) {
  for (size_t i = 0; value && i < vc->nchoices; i++)
    if (strcmp(vc->v[i].value, value) == 0) return i;
  return vc->nchoices; /* unlisted */
}

static int on_event(void *ud, const char *who, const char *type, const char *result) {
  mgrs *m = ud;
  mgr *e = mgr_find(m, who);
  if (!e) return KT_ENOMEM;
  e->types[choice_pos(&m->types, type)]++;
  e->types[m->types.nchoices + 1]++;
  size_t nr = m->results.nchoices;
  e->results[!result || !*result ? nr + 1 : choice_pos(&m->results, result)]++;
  e->results[nr + 2]++;
  return 0;
}

static int mgr_cmp(const void *a, const void *b) {
  return strcmp(((const mgr *)a)->name, ((const mgr *)b)->name);
}

static int events_table(rp_ctx *c, mgrs *m, bool by_type) {
  const vcounts *vc = by_type ? &m->types : &m->results;
  size_t nch = vc->nchoices, ncol = 1 + nch + (by_type ? 2 : 3);
  rp_col *cols = cl_report__alloc(c->r, ncol * sizeof *cols);
  if (!cols) return KT_ENOMEM;
  cols[0] = (rp_col){"manager", "Manager", CL_RT_TEXT, false};
  for (size_t i = 0; i < nch; i++) cols[1 + i] = (rp_col){vc->v[i].value, vc->v[i].value, CL_RT_INT, false};
  size_t k = 1 + nch;
  cols[k++] = (rp_col){"unlisted", "(not in the list)", CL_RT_INT, false};
  if (!by_type) cols[k++] = (rp_col){"no_result", "(no result)", CL_RT_INT, false};
  cols[k] = (rp_col){"total", "Total", CL_RT_INT, false};
  cl_rtable *t = cl_report__table(c->r, by_type ? "events_by_type" : "events_by_result",
                                  by_type ? "Events by type" : "Events by result", cols, (int)ncol);
  if (!t) return KT_ENOMEM;
  for (size_t i = 0; i < m->n; i++) {
    cl_rcell *x = cl_report__row(c->r, t);
    if (!x) return KT_ENOMEM;
    rp_s(&x[0], m->v[i].name);
    const int64_t *cnt = by_type ? m->v[i].types : m->v[i].results;
    for (size_t j = 1; j < ncol; j++) rp_i(&x[j], cnt[j - 1]);
  }
  return 0;
}

int cl_report__managers(rp_ctx *c, kt_err *err) {
  int32_t mon = cl_report__pidx(RP_MONTH, c->at);
  int rc = cl_report__window(c, cl_report__pfirst(RP_MONTH, mon),
                             c->has_from ? c->at : cl_report__plast(RP_MONTH, mon), err);
  if (rc) return rc;
  char f[11], t[11];
  cl_report_day_format(c->from, f);
  cl_report_day_format(c->to, t);
  cl_report__title(c->r, "Managers: %s .. %s", f, t);
  rp_load l = {.measure = RP_AMOUNT, .paid = true, .from = INT32_MIN, .at = c->at, .owner = c->owner};
  rc = cl_report__load(c->r, c->s, &l, err);
  if (rc) return rc;
  rp_data *d = c->d;
  mgrs m = {.c = c};
  vc_init(&m.types, c->r, choices_of(c, "event", "type"));
  vc_init(&m.results, c->r, choices_of(c, "event", "result"));
  int32_t end = c->to < c->at ? c->to : c->at;
  int64_t from_ms = cl_report__day_ms(c->from), to_ms = cl_report__day_ms(end + 1);
  for (int32_t k = 0; k < d->ncl; k++) {
    const rp_client *cl = &d->cl[k];
    if (!cl->org && d->off[k] == d->off[k + 1]) continue; /* a person who never bought */
    mgr *e = mgr_find(&m, cl->owner);
    if (!e) goto oom;
    e->clients++;
    if (cl->created >= from_ms && cl->created < to_ms) e->newc++;
    for (int32_t i = d->off[k]; i < d->off[k + 1]; i++) {
      int32_t day = rp_day(d->dk[i]);
      if (day > end) break;
      int kind = rp_kind(d->dk[i]);
      int64_t owed = kind == RP_PURCHASE && d->v[i] > d->w[i] ? d->v[i] - d->w[i] : 0;
      e->debt_all += owed;
      if (day < c->from) continue;
      e->n += kind == RP_PURCHASE;
      e->sales += d->v[i];
      e->paid += d->w[i];
      e->debt += owed;
    }
  }
  if (end >= c->from && (rc = cl_report__events(c->r, c->s, from_ms, to_ms, on_event, &m, err))) {
    free(m.v);
    return rc;
  }
  if (c->owner) { /* events of the others' cards are not this manager's work */
    size_t keep = 0;
    for (size_t i = 0; i < m.n; i++)
      if (strcmp(m.v[i].name, c->owner) == 0) m.v[keep++] = m.v[i];
    m.n = keep;
  }
  if (m.n) qsort(m.v, m.n, sizeof *m.v, mgr_cmp);
  rp_col cols[] = {{"manager", "Manager", CL_RT_TEXT, false},
                   {"clients", "Clients", CL_RT_INT, false},
                   {"new_clients", "New clients", CL_RT_INT, false},
                   {"purchases", "Purchases", CL_RT_INT, false},
                   {"sales", "Sales", CL_RT_MONEY, false},
                   {"payments", "Payments", CL_RT_MONEY, false},
                   {"debt", "Debt of the period", CL_RT_MONEY, false},
                   {"debt_total", "Debt up to its end", CL_RT_MONEY, false}};
  cl_rtable *tm = cl_report__table(c->r, "managers", "Sales work by manager", cols, 8);
  if (!tm) goto oom;
  for (size_t i = 0; i < m.n; i++) {
    cl_rcell *x = cl_report__row(c->r, tm);
    if (!x) goto oom;
    const mgr *e = &m.v[i];
    rp_s(&x[0], e->name);
    rp_i(&x[1], e->clients);
    rp_i(&x[2], e->newc);
    rp_i(&x[3], e->n);
    rp_i(&x[4], e->sales);
    rp_i(&x[5], e->paid);
    rp_i(&x[6], e->debt);
    rp_i(&x[7], e->debt_all);
  }
  if ((rc = events_table(c, &m, true)) || (rc = events_table(c, &m, false))) {
    free(m.v);
    return rc;
  }
  free(m.v);
  if (c->to > c->at) {
    char at[11];
    cl_report_day_format(c->at, at);
    cl_report__note(c->r, "the period is not over: counted up to %s", at);
  }
  cl_report__note(c->r, "payments are counted at their deal's date (a deal records what was paid, "
                        "not when)");
  cl_report__load_notes(c);
  return 0;
oom:
  free(m.v);
  return KT_ENOMEM;
}
