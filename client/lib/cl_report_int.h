/* cl_report_int — what the files of the report module share (cl_report.c:
 * options, results, the catalogue; cl_report_data.c: loading the replica and
 * the report statements; cl_report_date.c: the calendar; cl_report_sales.c,
 * cl_report_rank.c, cl_report_crm.c: the reports). Not for other modules.
 *
 * The data a report works on (rp_data): the client cards in scope and their
 * deals sorted by client, then date, as parallel arrays (one packed day+kind
 * key, the chosen measure, optionally the amount paid). A report walks each
 * client's deals once; everything it returns is owned by the cl_report. */
#ifndef CL_REPORT_INT_H
#define CL_REPORT_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "cl_report.h"

/* ---- dates: days since 1970-01-01, proleptic Gregorian ----------------------- */

int32_t cl_report__days(int y, int m, int d);
void cl_report__civil(int32_t day, int *y, int *m, int *d);
/* Canonical "YYYY-MM-DD" (as the replica stores dates) -> day; -1 when not that. */
int cl_report__parse_day(const char *s, size_t n, int32_t *day);
/* The same date k months later (the day clamped to the month's length). */
int32_t cl_report__add_months(int32_t day, int k);
int32_t cl_report__today(void); /* the PC's local date */
/* Local midnight starting `day`, as UTC ms (event starts and card creation
 * times are instants). */
int64_t cl_report__day_ms(int32_t day);

/* ---- periods ----------------------------------------------------------------- */

enum { RP_MONTH, RP_QUARTER, RP_YEAR };
int32_t cl_report__pidx(int per, int32_t day);     /* month: y*12+m-1 ... */
int32_t cl_report__pfirst(int per, int32_t pidx);  /* its first day */
int32_t cl_report__plast(int per, int32_t pidx);   /* its last day */
void cl_report__plabel(int per, int32_t pidx, char out[16]); /* 2026-03, 2026-Q1, 2026 */

/* The period of a day, remembering the last one: a client's deals come in
 * date order, so most lookups fall in the period of the one before. */
typedef struct rp_pcache {
  int per;
  int32_t first, last, p; /* last < first: empty */
} rp_pcache;
static inline void rp_pcache_init(rp_pcache *pc, int per) {
  *pc = (rp_pcache){per, 1, 0, 0};
}
static inline int32_t rp_pidx(rp_pcache *pc, int32_t day) {
  if (day < pc->first || day > pc->last) {
    pc->p = cl_report__pidx(pc->per, day);
    pc->first = cl_report__pfirst(pc->per, pc->p);
    pc->last = cl_report__plast(pc->per, pc->p);
  }
  return pc->p;
}

/* ---- the data -------------------------------------------------------------------- */

enum { RP_AMOUNT, RP_PAID, RP_UNITS };
/* deal kinds, the low bits of the packed key: on one day a quote sorts before
 * a purchase (a purchase made the day of its quote converts it) */
enum { RP_QUOTE = 0, RP_PURCHASE = 1, RP_REFUND = 2 };
#define RP_DAY_BIAS 720000 /* so that years 1..9999 pack as positive keys */
static inline int32_t rp_day(int32_t dk) { return (dk >> 2) - RP_DAY_BIAS; }
static inline int rp_kind(int32_t dk) { return dk & 3; }
static inline int32_t rp_dk(int32_t day, int kind) { return ((day + RP_DAY_BIAS) << 2) | kind; }

typedef struct rp_client {
  const char *id, *name, *owner, *phone; /* never NULL ("" when unset) */
  const char *stage, *color, *temp;      /* organizations; "" when unset */
  int64_t created;                       /* ms, 0 when unknown */
  bool org;                              /* an organization (else a private contact) */
} rp_client;

typedef struct rp_data {
  rp_client *cl;
  int32_t ncl, capcl;
  int32_t *off;  /* ncl + 1: the deals of client c are [off[c], off[c + 1]) */
  int32_t *dk;   /* packed day and kind, ascending per client */
  int64_t *v;    /* the measure (cents or millionths of a unit) */
  int64_t *w;    /* the amount paid (cents) when loaded with paid, else NULL */
  int32_t ndeals;
  int32_t maxseg; /* the most deals one client has */
  /* what the load left out, for the notes */
  int64_t undated, future, noclient;
  struct rp_ids *orgs, *contacts; /* card id -> client (cl_report_data.c) */
} rp_data;

typedef struct rp_load {
  int measure;        /* RP_AMOUNT ... */
  bool paid;          /* also the paid amounts (w); the measure is then the amount */
  bool quotes;        /* keep quotes */
  int32_t from;       /* keep deals dated from this day (INT32_MIN: all) */
  int32_t at;         /* the as-of day: later deals are planned, left out */
  const char *owner;  /* only the clients of this manager; NULL = all */
} rp_load;

/* Loads the client cards in scope and their deals (one scan of each table,
 * deals counting-sorted by client). Fills r's data. */
int cl_report__load(cl_report *r, cl_store *s, const rp_load *l, kt_err *err);
void cl_report__data_free(rp_data *d);
/* Client index of card id, -1 when it is not a client in scope. */
int32_t cl_report__client(const rp_data *d, const char *id);

/* One event row for the managers report: who, type, result; NULL = unset. */
typedef int (*rp_event_fn)(void *ud, const char *who, const char *type, const char *result);
/* Events starting in [from_ms, to_ms), not cancelled. */
int cl_report__events(cl_report *r, cl_store *s, int64_t from_ms, int64_t to_ms, rp_event_fn fn,
                      void *ud, kt_err *err);

/* Figures of client c's deals dated in [from, to]. */
typedef struct rp_stat {
  int32_t n;            /* purchases (refunds are not purchases) */
  int32_t nrefunds;
  int32_t ndates;       /* distinct purchase dates */
  int32_t first, last;  /* first and last purchase day; valid when n > 0 */
  int64_t sum;          /* the measure of purchases and refunds */
} rp_stat;
void cl_report__stat(const rp_data *d, int32_t c, int32_t from, int32_t to, rp_stat *st);
/* The intervals (days) between consecutive distinct purchase dates of client
 * c in [from, to], into iv (room for maxseg); returns how many. */
int32_t cl_report__intervals(const rp_data *d, int32_t c, int32_t from, int32_t to, int32_t *iv);
/* Twice the median of iv[0 .. n) (reorders iv); 0 when n == 0. */
int64_t cl_report__median2(int32_t *iv, int32_t n);

/* ---- results ------------------------------------------------------------------------ */

typedef struct rp_col {
  const char *name, *label;
  cl_rtype type;
  bool hidden; /* for programs only (ids): not in the human tables */
} rp_col;

/* What a virtual table of clients reads: rows (by client or by position,
 * as the report says) in the order of idx. */
typedef struct rp_view {
  const rp_data *d;
  const void *rows;
  const int32_t *idx;
  int kind;   /* which of a report's lists */
  int32_t at; /* the report's as-of day */
} rp_view;
rp_view *cl_report__view(cl_report *r, const rp_data *d, const void *rows, const int32_t *idx,
                         int kind, int32_t at); /* NULL on OOM */

/* The three columns every client list starts with, and their cells. */
#define RP_CLIENT_COLS                                                                   \
  {"client", "Client", CL_RT_TEXT, false}, {"id", "Id", CL_RT_TEXT, true},              \
      {"owner", "Owner", CL_RT_TEXT, false}
static inline void rp_client_cells(const rp_data *d, int32_t c, cl_rcell *x) {
  x[0] = (cl_rcell){false, 0, d->cl[c].name};
  x[1] = (cl_rcell){false, 0, d->cl[c].id};
  x[2] = (cl_rcell){false, 0, d->cl[c].owner};
}

typedef void (*rp_row_fn)(const cl_rtable *t, size_t i, cl_rcell *cells);

struct cl_rtable {
  const char *name, *title;
  bool single;
  int ncols;
  rp_col *cols;
  size_t nrows;
  cl_rcell *cells; /* materialized rows (ncols each), or: */
  size_t cap;
  rp_row_fn row;   /* rows computed on demand from ctx (big client lists) */
  const void *ctx;
};

/* The resolved options a report runs with. */
typedef struct rp_ctx {
  cl_report *r;
  cl_store *s;
  rp_data *d;
  const char *owner; /* only this manager's clients (NULL: all in the replica) */
  int measure;
  cl_rtype vtype;    /* CL_RT_MONEY or CL_RT_UNITS */
  const char *mname; /* "sales", "payments", "units" (titles) */
  const char *mopt;  /* "amount", "paid", "units" (the option's value) */
  int32_t at, from, to;
  bool has_from, has_to;
  int period;
  int32_t month; /* vip: month index y*12+m-1 */
  int variant;   /* vip: 0 top, 1 bottom, 2 next */
  int split_a, split_b; /* abc: A and B shares, percent */
  int64_t factor_milli; /* lapsed */
  int min;
  int top;
} rp_ctx;

/* Everything below is owned by r; allocation failures are sticky (r->oom):
 * the run returns KT_ENOMEM at its end. */
void *cl_report__alloc(cl_report *r, size_t n);    /* zeroed; NULL on OOM */
const char *cl_report__str(cl_report *r, const char *s); /* copy; "" on OOM or NULL */
const char *cl_report__strf(cl_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cl_report__note(cl_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cl_report__param(cl_report *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cl_report__title(cl_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cl_report__oom(cl_report *r); /* marks r out of memory; returns true */
bool cl_report__failed(const cl_report *r); /* an allocation failed */
rp_data *cl_report__data(cl_report *r);
/* A new table (cols copied); NULL on OOM. */
cl_rtable *cl_report__table(cl_report *r, const char *name, const char *title, const rp_col *cols,
                            int ncols);
/* Appends a row of null cells to a materialized table; NULL on OOM. */
cl_rcell *cl_report__row(cl_report *r, cl_rtable *t);
void cl_report__virtual(cl_rtable *t, size_t nrows, rp_row_fn fn, const void *ctx);
/* The notes every report gets about what the load left out. */
void cl_report__load_notes(rp_ctx *c);
/* The period of a report that defaults to the 12 months up to --at: fills
 * c->from and c->to, records them as params; KT_EINVAL when empty. */
int cl_report__window12(rp_ctx *c, kt_err *err);
/* The same with the defaults given. */
int cl_report__window(rp_ctx *c, int32_t from, int32_t to, kt_err *err);

static inline void rp_i(cl_rcell *c, int64_t i) {
  c->null = false;
  c->i = i;
}
static inline void rp_s(cl_rcell *c, const char *s) {
  c->null = false;
  c->s = s ? s : "";
}
/* Hundredths of a percent of num/den, rounded half up; den > 0. */
int64_t cl_report__pct(int64_t num, int64_t den);
static inline void rp_pct(cl_rcell *c, int64_t num, int64_t den) {
  if (den > 0) rp_i(c, cl_report__pct(num, den));
}
/* a * b < c * d, exactly */
static inline bool rp_lt(int64_t a, int64_t b, int64_t c, int64_t d) {
  return (__int128)a * b < (__int128)c * d;
}

/* Orders clients by a value descending, then by name (code points), then by
 * index; vals indexed by client. */
void cl_report__sort_desc(const rp_data *d, const int64_t *vals, int32_t *idx, size_t n);
/* The same for the first k only (a short list out of many): idx[0 .. min(k, n))
 * are the top k in that order, the rest in no order. O(n log k). */
void cl_report__top_desc(const rp_data *d, const int64_t *vals, int32_t *idx, size_t n, size_t k);

/* ---- the reports ------------------------------------------------------------------- */

int cl_report__period(rp_ctx *c, kt_err *err);
int cl_report__activity(rp_ctx *c, kt_err *err);
int cl_report__lapsed(rp_ctx *c, kt_err *err);
int cl_report__vip(rp_ctx *c, kt_err *err);
int cl_report__abc(rp_ctx *c, kt_err *err);
int cl_report__rfm(rp_ctx *c, kt_err *err);
int cl_report__funnel(rp_ctx *c, kt_err *err);
int cl_report__managers(rp_ctx *c, kt_err *err);

/* Whether client c (stat st as of at) is lapsed: at least min purchases and
 * more than factor x its usual interval since the last; *median2 and
 * *overdue10 (tenths of a day) set when it has an interval. iv: scratch. */
bool cl_report__is_lapsed(const rp_data *d, int32_t c, int32_t at, int min, int64_t factor_milli,
                          const rp_stat *st, int32_t *iv, int64_t *median2, int64_t *overdue10);
/* ABC classes of n clients sorted by value descending (vals by client):
 * cls[k] for idx[k]. Ties share the class of the first of them. */
void cl_report__abc_classes(const int64_t *vals, const int32_t *idx, size_t n, int a, int b,
                            char *cls);

#endif
