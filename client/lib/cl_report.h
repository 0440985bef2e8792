/* cl_report — client analytics over the local replica: the reports a sales
 * office runs its week on (period, activity, lapsed, vip, abc, rfm, funnel,
 * managers), the sales figures of one card (`show`) and the lapsed clients of
 * one manager (`today`).
 *
 * Reports read only the replica, so they work offline and cover exactly what
 * the user may see (a role that reads only its own cards gets its own clients
 * only). Money and units are summed exactly in integers (cents, millionths of
 * a unit); shares are exact integer ratios rounded to 0.01 %. A report is
 * computed in one pass over the deals sorted by client and date; no
 * per-client queries. The definitions are in README.md ("Reports").
 * GLib-free; one call per thread (the store's thread). */
#ifndef CL_REPORT_H
#define CL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_store.h"
#include "kt_buf.h"
#include "kt_err.h"

/* A report's options as the user typed them; NULL = the report's default.
 * Each report takes only some of them (cl_report_options): giving another
 * one is KT_EINVAL with the list of the options it takes. */
typedef struct cl_report_opts {
  const char *measure; /* amount|sales (default), paid|payments, units */
  const char *at;      /* as-of date YYYY-MM-DD (default: today, the PC's local date) */
  const char *from;    /* the period, YYYY-MM-DD (default per report) */
  const char *to;
  const char *period;  /* month (default), quarter, year */
  const char *month;   /* vip: YYYY-MM (default: the month before --at's month) */
  const char *variant; /* vip: top (default), bottom, next */
  const char *split;   /* abc: A/B/C shares in percent, "75/20/5" */
  const char *factor;  /* lapsed: "1.5" */
  const char *min;     /* lapsed: least purchases of a regular client, "3" */
  const char *top;     /* activity, period: length of the short lists, "10" */
  const char *owner;   /* only the clients of this manager (user name) */
} cl_report_opts;

/* ---- the catalogue --------------------------------------------------------- */

/* The report names, space-separated ("period activity lapsed ..."). Static. */
const char *cl_report_names(void);
/* Number of reports and the name of the i-th (static); NULL when out of range. */
int cl_report_count(void);
const char *cl_report_name_at(int i);
/* One paragraph saying what the report shows and how it is computed, and the
 * options it takes ("--measure M --at DATE ..."). Static; NULL when unknown. */
const char *cl_report_help(const char *name);
const char *cl_report_options(const char *name);
/* What every option means (static text, for --help). */
const char *cl_report_options_help(void);

/* ---- running a report ------------------------------------------------------- */

typedef struct cl_report cl_report;
typedef struct cl_rtable cl_rtable;

/* Computes report `name` over the replica of s. *out owned by the caller:
 * free with cl_report_free. KT_EINVAL for an unknown report, measure, period,
 * variant, date or option (the message lists the valid ones); KT_ENOMEM;
 * KT_EDB. An empty base or period gives empty tables, never an error. */
int cl_report_run(cl_store *s, const char *name, const cl_report_opts *o, cl_report **out,
                  kt_err *err);
void cl_report_free(cl_report *r); /* NULL is a no-op */

const char *cl_report_name(const cl_report *r);
/* A one-line heading ("ABC analysis: sales 2025-11-23 .. 2026-11-22"). Borrowed. */
const char *cl_report_title(const cl_report *r);
/* The parameters used, defaults filled in (key "measure", value "amount"...). */
size_t cl_report_nparams(const cl_report *r);
void cl_report_param(const cl_report *r, size_t i, const char **key, const char **value);
/* Notes under the report: what was left out and why, edge cases met. */
size_t cl_report_nnotes(const cl_report *r);
const char *cl_report_note(const cl_report *r, size_t i);
/* Tables, in display order. */
size_t cl_report_ntables(const cl_report *r);
const cl_rtable *cl_report_table(const cl_report *r, size_t i);
const cl_rtable *cl_report_table_named(const cl_report *r, const char *name); /* NULL if none */
/* The main table (what --csv writes): "clients" when there is one, else the first. */
const cl_rtable *cl_report_main(const cl_report *r);

/* ---- tables ----------------------------------------------------------------- */

typedef enum cl_rtype {
  CL_RT_TEXT,  /* s */
  CL_RT_INT,   /* i: a count, a number of days */
  CL_RT_MONEY, /* i: cents, shown "1234.50" */
  CL_RT_UNITS, /* i: millionths of a unit, shown "2.5" */
  CL_RT_DATE,  /* i: days since 1970-01-01, shown "2026-11-22" */
  CL_RT_PCT,   /* i: hundredths of a percent, shown "82.35" */
  CL_RT_DAYS,  /* i: tenths of a day, shown "12.5" (medians and means of days) */
} cl_rtype;

typedef struct cl_rcell {
  bool null;     /* no value (a share of nothing, a date that is not there) */
  int64_t i;
  const char *s; /* CL_RT_TEXT; borrowed from the report */
} cl_rcell;

const char *cl_rtable_name(const cl_rtable *t);  /* "clients": the JSON key */
const char *cl_rtable_title(const cl_rtable *t); /* "Clients by value" */
/* A table of one row of figures (a summary): shown as "label: value" lines,
 * a JSON object instead of an array. */
bool cl_rtable_single(const cl_rtable *t);
int cl_rtable_ncols(const cl_rtable *t);
const char *cl_rtable_col_name(const cl_rtable *t, int c);  /* JSON key, CSV-safe */
const char *cl_rtable_col_label(const cl_rtable *t, int c); /* header for people */
cl_rtype cl_rtable_col_type(const cl_rtable *t, int c);
/* A column for programs (a card's id): in JSON and CSV, not in human tables. */
bool cl_rtable_col_hidden(const cl_rtable *t, int c);
size_t cl_rtable_nrows(const cl_rtable *t);
/* Fills cells[0 .. ncols) with row i (i < nrows). Strings are borrowed from
 * the report and live until cl_report_free. */
void cl_rtable_row(const cl_rtable *t, size_t i, cl_rcell *cells);

/* Appends the text of a cell ("" when null): money "1234.50", units "2.5",
 * dates ISO, percent "82.35", days "12.5". */
void cl_rcell_format(cl_rtype type, const cl_rcell *c, kt_buf *out);
/* True when the JSON form is a number (counts, percent, days); money and
 * units are exact decimal strings, as in the cards' JSON. */
bool cl_rtype_json_number(cl_rtype type);

/* ---- one card --------------------------------------------------------------- */

/* The sales figures of one client card (an organization, or a contact without
 * one: a private client) as of today: purchases, first and last purchase
 * date, total and debt of its deals (amounts), and its ABC class in the
 * default `report abc` (the last 12 months, 75/20/5; 0 when it bought nothing
 * then). The class needs every client's total: one pass over all deals. */
typedef struct cl_client_sales {
  int64_t purchases;
  int64_t first_day, last_day; /* days since 1970-01-01; valid when purchases > 0 */
  int64_t total;               /* cents, refunds subtracted */
  int64_t debt;                /* cents: amount - paid of purchases not fully paid */
  char abc;                    /* 'A', 'B', 'C' or 0 */
} cl_client_sales;
/* KT_ENOTFOUND when id is not a client card on this PC. */
int cl_report_client_sales(cl_store *s, const char *id, cl_client_sales *out, kt_err *err);

/* Writes day (days since 1970-01-01) as YYYY-MM-DD into out. */
void cl_report_day_format(int64_t day, char out[11]);

#endif
