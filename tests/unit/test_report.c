/* Unit tests for cl_report on small standalone card indexes whose expected
 * numbers are worked out by hand in the comments: every report, the ties at
 * the 20% and 75% boundaries, refunds, an empty base, one purchase, undated,
 * planned (future) and contact-only deals, months with fewer than five paying
 * clients, exact sums of units, and bad options. Each test has a fresh
 * replica (user "tester", TZ Europe/Moscow). Money in the comments is in
 * roubles, in the code in cents as the report returns it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cl_report.h"
#include "kt_time.h"
#include "t_store.h"

typedef t_store fx;

static int g_n; /* cards made by the running test (ids in g_id) */

static int setup(void **state) {
  g_n = 0;
  setenv("TZ", "Europe/Moscow", 1);
  tzset();
  fx *f = calloc(1, sizeof *f);
  if (!f || t_store_open(f, "report")) return -1;
  *state = f;
  return 0;
}
#define teardown t_store_teardown

/* ---- building the data -------------------------------------------------------- */

static char g_id[64][37]; /* ids of the cards made by a test, in order */

static const char *org(fx *f, const char *name, const char *owner) {
  kt_err err;
  cl_set s[] = {{"name", name}, {"owner", owner ? owner : "tester"}};
  if (cl_store_add(f->s, "org", s, 2, g_id[g_n], &err)) fail_msg("add org: %s", err.msg);
  return g_id[g_n++];
}

static const char *org_with(fx *f, const char *name, const char *field, const char *value,
                            const char *field2, const char *value2) {
  kt_err err;
  cl_set s[] = {{"name", name}, {field, value}, {field2, value2}};
  if (cl_store_add(f->s, "org", s, field2 ? 3 : 2, g_id[g_n], &err)) fail_msg("add org: %s", err.msg);
  return g_id[g_n++];
}

static const char *contact(fx *f, const char *last, const char *first, const char *of_org) {
  kt_err err;
  cl_set s[] = {{"last_name", last}, {"first_name", first}, {"org", of_org}};
  if (cl_store_add(f->s, "contact", s, of_org ? 3 : 2, g_id[g_n], &err))
    fail_msg("add contact: %s", err.msg);
  return g_id[g_n++];
}

/* A deal: date NULL = undated; state NULL = invoice; paid/units NULL = unset. */
static void deal_full(fx *f, const char *of_org, const char *of_contact, const char *date,
                      const char *amount, const char *state, const char *paid, const char *units) {
  kt_err err;
  char id[37];
  cl_set s[8];
  int n = 0;
  if (of_org) s[n++] = (cl_set){"org", of_org};
  if (of_contact) s[n++] = (cl_set){"contact", of_contact};
  if (date) s[n++] = (cl_set){"date", date};
  s[n++] = (cl_set){"amount", amount};
  s[n++] = (cl_set){"state", state ? state : "invoice"};
  if (paid) s[n++] = (cl_set){"paid", paid};
  if (units) s[n++] = (cl_set){"units", units};
  if (cl_store_add(f->s, "deal", s, n, id, &err)) fail_msg("add deal: %s", err.msg);
}

static void deal(fx *f, const char *of_org, const char *date, const char *amount) {
  deal_full(f, of_org, NULL, date, amount, NULL, NULL, NULL);
}

static void event(fx *f, const char *of_org, const char *assignee, const char *type,
                  const char *result, const char *start, const char *status) {
  kt_err err;
  char id[37];
  cl_set s[7] = {{"org", of_org}, {"type", type}, {"start", start}, {"title", "x"}};
  int n = 4;
  if (assignee) s[n++] = (cl_set){"assignee", assignee};
  if (result) s[n++] = (cl_set){"result", result};
  if (status) s[n++] = (cl_set){"status", status};
  if (cl_store_add(f->s, "event", s, n, id, &err)) fail_msg("add event: %s", err.msg);
}

/* ---- reading the results ------------------------------------------------------- */

static cl_report *run(fx *f, const char *name, const cl_report_opts *o) {
  kt_err err;
  cl_report *r = NULL;
  if (cl_report_run(f->s, name, o, &r, &err)) fail_msg("report %s: %s", name, err.msg);
  return r;
}

static const cl_rtable *table(const cl_report *r, const char *name) {
  const cl_rtable *t = cl_report_table_named(r, name);
  if (!t) fail_msg("report %s has no table %s", cl_report_name(r), name);
  return t;
}

static int col(const cl_rtable *t, const char *name) {
  for (int c = 0; c < cl_rtable_ncols(t); c++)
    if (strcmp(cl_rtable_col_name(t, c), name) == 0) return c;
  fail_msg("table %s has no column %s", cl_rtable_name(t), name);
  return -1;
}

static cl_rcell cell(const cl_report *r, const char *tab, size_t row, const char *column) {
  const cl_rtable *t = table(r, tab);
  if (row >= cl_rtable_nrows(t)) fail_msg("%s has %zu rows, not %zu", tab, cl_rtable_nrows(t), row + 1);
  cl_rcell x[32];
  cl_rtable_row(t, row, x);
  return x[col(t, column)];
}

static int64_t ci(const cl_report *r, const char *tab, size_t row, const char *column) {
  cl_rcell c = cell(r, tab, row, column);
  if (c.null) fail_msg("%s[%zu].%s is null", tab, row, column);
  return c.i;
}

static const char *cs(const cl_report *r, const char *tab, size_t row, const char *column) {
  cl_rcell c = cell(r, tab, row, column);
  return c.null ? "(null)" : c.s;
}

static bool isnull(const cl_report *r, const char *tab, size_t row, const char *column) {
  return cell(r, tab, row, column).null;
}

static size_t nrows(const cl_report *r, const char *tab) { return cl_rtable_nrows(table(r, tab)); }

/* the row whose column `key` has text `value` */
static size_t row_of(const cl_report *r, const char *tab, const char *key, const char *value) {
  for (size_t i = 0; i < nrows(r, tab); i++)
    if (strcmp(cs(r, tab, i, key), value) == 0) return i;
  fail_msg("%s has no row with %s = %s", tab, key, value);
  return 0;
}

static bool has_note(const cl_report *r, const char *part) {
  for (size_t i = 0; i < cl_report_nnotes(r); i++)
    if (strstr(cl_report_note(r, i), part)) return true;
  return false;
}

static int32_t day(const char *iso) { /* days since 1970-01-01 */
  int64_t ms;
  if (kt_datetime_parse(iso, &ms, NULL)) fail_msg("bad date %s", iso);
  char back[11];
  for (int64_t d = ms / 86400000 - 1; d <= ms / 86400000 + 1; d++) {
    cl_report_day_format(d, back);
    if (strcmp(back, iso) == 0) return (int32_t)d;
  }
  fail_msg("no day %s", iso);
  return 0;
}

#define RUB(x) ((int64_t)(x) * 100)

/* ---- the empty base --------------------------------------------------------------- */

static void test_empty_base(void **state) {
  fx *f = *state;
  cl_report_opts o = {.at = "2026-07-01"};
  for (int i = 0; i < cl_report_count(); i++) {
    cl_report *r = run(f, cl_report_name_at(i), &o);
    assert_true(cl_report_ntables(r) > 0);
    /* every table can be read; nothing is NaN: shares of nothing are null */
    for (size_t k = 0; k < cl_report_ntables(r); k++) {
      const cl_rtable *t = cl_report_table(r, k);
      cl_rcell x[32];
      for (size_t j = 0; j < cl_rtable_nrows(t); j++) cl_rtable_row(t, j, x);
    }
    cl_report_free(r);
  }
  cl_report *r = run(f, "abc", &o);
  assert_int_equal(nrows(r, "clients"), 0);
  assert_int_equal(ci(r, "classes", 0, "clients"), 0);
  assert_true(isnull(r, "classes", 0, "share"));
  assert_true(has_note(r, "no purchases in the period"));
  cl_report_free(r);
  r = run(f, "vip", &o);
  assert_int_equal(ci(r, "summary", 0, "paying"), 0);
  assert_true(isnull(r, "summary", 0, "top_share"));
  assert_int_equal(nrows(r, "selected"), 0);
  assert_true(has_note(r, "2026-06: no client has a positive sum"));
  cl_report_free(r);
  r = run(f, "lapsed", &o);
  assert_int_equal(ci(r, "summary", 0, "regular"), 0);
  assert_true(isnull(r, "summary", 0, "share"));
  cl_report_free(r);
  r = run(f, "activity", &o);
  assert_int_equal(ci(r, "summary", 0, "active"), 0);
  assert_true(isnull(r, "summary", 0, "basket"));
  assert_true(isnull(r, "summary", 0, "interval"));
  cl_report_free(r);
  r = run(f, "period", &o);
  assert_int_equal(nrows(r, "totals"), 36); /* 2023-08 .. 2026-07, all empty */
  assert_string_equal(cs(r, "totals", 0, "period"), "2023-08");
  assert_true(isnull(r, "totals", 0, "conversion"));
  assert_int_equal(nrows(r, "busiest"), 0);
  cl_report_free(r);
  r = run(f, "funnel", &o);
  assert_int_equal(ci(r, "summary", 0, "cards"), 0);
  assert_true(isnull(r, "stages", 0, "conversion"));
  cl_report_free(r);
  r = run(f, "managers", &o);
  assert_int_equal(nrows(r, "managers"), 0);
  cl_report_free(r);
}

/* ---- abc -------------------------------------------------------------------------- */

static void test_abc_boundaries_ties_refunds(void **state) {
  fx *f = *state;
  const char *a = org(f, "Альфа", NULL), *b = org(f, "Бета", NULL), *g = org(f, "Гамма", NULL),
             *d = org(f, "Дельта", NULL), *e = org(f, "Эпсилон", NULL);
  /* January: 4000, 3500, 1500, 1200 - 200 refund = 1000; Эпсилон 500 - 500 = 0.
     Total 10000. Before Альфа 0 % -> A; before Бета 40 % -> A; before Гамма
     exactly 75 % (not under) -> B; before Дельта 90 % -> B; Эпсилон is not
     ranked (refunds cancel its purchases). */
  deal(f, a, "2026-01-05", "4000");
  deal(f, b, "2026-01-06", "3500");
  deal(f, g, "2026-01-07", "1500");
  deal(f, d, "2026-01-08", "1200");
  deal(f, d, "2026-01-20", "-200");
  deal(f, e, "2026-01-09", "500");
  deal(f, e, "2026-01-10", "-500");
  cl_report_opts o = {.at = "2026-07-01", .from = "2026-01-01", .to = "2026-01-31"};
  cl_report *r = run(f, "abc", &o);
  assert_int_equal(nrows(r, "clients"), 4);
  const char *names[] = {"Альфа", "Бета", "Гамма", "Дельта"}, *cls[] = {"A", "A", "B", "B"};
  int64_t vals[] = {4000, 3500, 1500, 1000}, share[] = {4000, 3500, 1500, 1000},
          cum[] = {4000, 7500, 9000, 10000};
  for (size_t i = 0; i < 4; i++) {
    assert_string_equal(cs(r, "clients", i, "client"), names[i]);
    assert_int_equal(ci(r, "clients", i, "value"), RUB(vals[i]));
    assert_int_equal(ci(r, "clients", i, "share"), share[i]); /* hundredths of % */
    assert_int_equal(ci(r, "clients", i, "cumulative"), cum[i]);
    assert_string_equal(cs(r, "clients", i, "class"), cls[i]);
  }
  assert_int_equal(ci(r, "classes", 0, "clients"), 2);
  assert_int_equal(ci(r, "classes", 0, "value"), RUB(7500));
  assert_int_equal(ci(r, "classes", 0, "share"), 7500);
  assert_int_equal(ci(r, "classes", 1, "clients"), 2);
  assert_int_equal(ci(r, "classes", 1, "clients_share"), 5000);
  assert_int_equal(ci(r, "classes", 2, "clients"), 0);
  assert_true(has_note(r, "1 client whose refunds cancel their purchases"));
  cl_report_free(r);

  /* February, a tie at 75 %: 50, 25, 25 (total 100). Both 25s have 50 % before
     them (tied clients are not before each other): A, A, A. */
  deal(f, a, "2026-02-01", "50");
  deal(f, b, "2026-02-02", "25");
  deal(f, g, "2026-02-03", "25");
  o.from = "2026-02-01", o.to = "2026-02-28";
  r = run(f, "abc", &o);
  for (size_t i = 0; i < 3; i++) assert_string_equal(cs(r, "clients", i, "class"), "A");
  assert_int_equal(ci(r, "classes", 0, "share"), 10000);
  cl_report_free(r);

  /* March, the 95 % boundary and a tie into B: 75, 5, 5, 5, 5, 5 (total 100):
     75 -> A; the five 5s all have 75 % before them -> B (none is C). With
     --split 70/25/5: 75 has 0 before -> A; the 5s: 75 % before, not under 70,
     under 95 -> B. With 80/15/5 the same; with 50/25/25 the 5s are C
     (75 % is not under 75 %). */
  const char *ids[] = {a, b, g, d, e, org(f, "Жета", NULL)};
  for (int i = 0; i < 6; i++) deal(f, ids[i], "2026-03-10", i ? "5" : "75");
  o.from = "2026-03-01", o.to = "2026-03-31";
  r = run(f, "abc", &o);
  assert_string_equal(cs(r, "clients", 0, "class"), "A");
  for (size_t i = 1; i < 6; i++) assert_string_equal(cs(r, "clients", i, "class"), "B");
  cl_report_free(r);
  o.split = "50/25/25";
  r = run(f, "abc", &o);
  for (size_t i = 1; i < 6; i++) assert_string_equal(cs(r, "clients", i, "class"), "C");
  assert_int_equal(ci(r, "classes", 2, "share"), 2500);
  cl_report_free(r);
}

/* ---- vip -------------------------------------------------------------------------- */

static void test_vip_ties_list_and_few_clients(void **state) {
  fx *f = *state;
  const char *c[12];
  char name[32];
  for (int i = 0; i < 11; i++) {
    snprintf(name, sizeof name, "C%02d", i + 1);
    c[i] = org(f, name, NULL);
  }
  const char *old = org(f, "Старый", NULL);
  /* June 2026 (M): 10 clients with 100, 90, 90, 80, 70, 60, 50, 40, 30, 20 (total
     630); C11 bought 30 and got 40 back: -10, not paying. 20 % of 10 = 2; the
     second is tied with the third (90): 3 VIPs, bringing 280 of 630 = 44.44 %. */
  const char *june[] = {"100", "90", "90", "80", "70", "60", "50", "40", "30", "20"};
  for (int i = 0; i < 10; i++) deal(f, c[i], "2026-06-10", june[i]);
  deal(f, c[10], "2026-06-11", "30");
  deal(f, c[10], "2026-06-12", "-40");
  /* May: 3 paying clients (fewer than 5): 20 % rounded up is 1, C01 50 is tied
     with C04 50: both are May's VIPs; C05 10 is not. */
  deal(f, c[0], "2026-05-03", "50");
  deal(f, c[3], "2026-05-04", "50");
  deal(f, c[4], "2026-05-05", "10");
  /* March: C03 alone. December 2025 (M-6): Старый alone, then nothing. */
  deal(f, c[2], "2026-03-01", "200");
  deal(f, old, "2025-12-15", "1000");
  cl_report_opts o = {.at = "2026-07-15", .month = "2026-06"};
  cl_report *r = run(f, "vip", &o);
  assert_int_equal(ci(r, "summary", 0, "paying"), 10);
  assert_int_equal(ci(r, "summary", 0, "k"), 2);
  assert_int_equal(ci(r, "summary", 0, "selected"), 3);
  assert_int_equal(ci(r, "summary", 0, "total"), RUB(630));
  assert_int_equal(ci(r, "summary", 0, "selected_value"), RUB(280));
  assert_int_equal(ci(r, "summary", 0, "top_share"), 4444);
  assert_int_equal(nrows(r, "selected"), 3);
  assert_string_equal(cs(r, "selected", 0, "client"), "C01");
  assert_string_equal(cs(r, "selected", 1, "client"), "C02"); /* ties by name */
  assert_string_equal(cs(r, "selected", 2, "client"), "C03");
  assert_int_equal(ci(r, "selected", 2, "cumulative"), 4444);
  /* the list (selected in any of 2026-01 .. 2026-06): C01 (May, June), C02, C03
     (March, June), C04 (May). The month before's list (2025-12 .. 2026-05):
     Старый, C03, C01, C04. Entered: C02; fell out: Старый. */
  assert_int_equal(nrows(r, "list"), 4);
  size_t i01 = row_of(r, "list", "client", "C01"), i03 = row_of(r, "list", "client", "C03");
  assert_int_equal(ci(r, "list", i01, "months"), 2);
  assert_int_equal(ci(r, "list", i03, "months"), 2);
  assert_int_equal(ci(r, "list", i03, "value"), RUB(290));
  assert_string_equal(cs(r, "list", row_of(r, "list", "client", "C04"), "last"), "2026-05");
  assert_int_equal(nrows(r, "entered"), 1);
  assert_string_equal(cs(r, "entered", 0, "client"), "C02");
  assert_int_equal(nrows(r, "fell_out"), 1);
  assert_string_equal(cs(r, "fell_out", 0, "client"), "Старый");
  assert_string_equal(cs(r, "fell_out", 0, "last"), "2025-12");
  /* the months: May has 3 paying, 2 selected, the top 20 % bring 100 of 110 */
  size_t may = row_of(r, "months", "month", "2026-05");
  assert_int_equal(ci(r, "months", may, "paying"), 3);
  assert_int_equal(ci(r, "months", may, "selected"), 2);
  assert_int_equal(ci(r, "months", may, "top_share"), 9091);
  assert_true(isnull(r, "months", row_of(r, "months", "month", "2026-01"), "top_share"));
  assert_true(has_note(r, "fewer than 5 clients with a positive sum also in 2026-01, 2026-02, "
                          "2026-03, 2026-04, 2026-05"));
  cl_report_free(r);

  /* next: after the 3 VIPs, 2 more: 80 and 70 (60 is not tied with 70).
     bottom: the last 2: 30 and 20. */
  o.variant = "next";
  r = run(f, "vip", &o);
  assert_int_equal(nrows(r, "selected"), 2);
  assert_string_equal(cs(r, "selected", 0, "client"), "C04");
  assert_int_equal(ci(r, "selected", 0, "rank"), 4);
  assert_string_equal(cs(r, "selected", 1, "client"), "C05");
  assert_int_equal(ci(r, "summary", 0, "selected_share"), 2381); /* 150 / 630 */
  assert_int_equal(ci(r, "summary", 0, "top_share"), 4444);      /* the Pareto check stays */
  cl_report_free(r);
  o.variant = "bottom";
  r = run(f, "vip", &o);
  assert_int_equal(nrows(r, "selected"), 2);
  assert_string_equal(cs(r, "selected", 0, "client"), "C09");
  assert_string_equal(cs(r, "selected", 1, "client"), "C10");
  cl_report_free(r);
  /* May in full, as its own month: 3 paying clients, k = 1, C01 and C04 tied */
  o.variant = NULL;
  o.month = "2026-05";
  r = run(f, "vip", &o);
  assert_int_equal(ci(r, "summary", 0, "k"), 1);
  assert_int_equal(ci(r, "summary", 0, "selected"), 2);
  assert_true(has_note(r, "2026-05: 3 clients with a positive sum (fewer than 5)"));
  cl_report_free(r);
}

/* ---- lapsed ----------------------------------------------------------------------- */

static void test_lapsed(void **state) {
  fx *f = *state;
  const char *l1 = org(f, "Л1", "ivanov"), *l2 = org(f, "Л2", NULL), *l3 = org(f, "Л3", NULL),
             *l3b = org(f, "Л3б", NULL), *l4 = org(f, "Л4", NULL), *l5 = org(f, "Л5", NULL),
             *l6 = org(f, "Л6", NULL);
  /* as of 2026-07-01, factor 1.5, at least 3 purchases:
     Л1: 01-01, 02-01, 03-01, 04-01 x 1000: intervals 31, 28, 31, median 31;
         91 days since > 46.5 -> lapsed, 60 overdue; a planned deal 08-01 is
         left out (future). Total 4000.
     Л2: 05-01, 05-11, 05-21 x 500 and a refund of 100 on 05-25 (not a
         purchase): median 10, 41 days since the last purchase (05-21) > 15 ->
         lapsed, 31 overdue; total 1400; an undated deal left out.
     Л3: 05-27, 06-06, 06-16: median 10, 15 days since: not more than 15, not lapsed.
     Л3б: 05-26, 06-05, 06-15 x 100: 16 > 15 -> lapsed, 6 overdue; total 300.
     Л4: 01-01, 01-11, 01-31, 03-01, 04-10 x 300: intervals 10, 20, 29, 40,
         median (20 + 29) / 2 = 24.5; 82 days since > 36.75 -> lapsed, 57.5
         overdue; total 1500.
     Л5: two purchases only: not a regular client.
     Л6: three purchases on one date: no interval, not judged (a note).
     Sorted by total: Л1 4000, Л4 1500, Л2 1400, Л3б 300. */
  const char *d1[] = {"2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"};
  for (int i = 0; i < 4; i++) deal(f, l1, d1[i], "1000");
  deal(f, l1, "2026-08-01", "1000");
  deal(f, l2, "2026-05-01", "500");
  deal(f, l2, "2026-05-11", "500");
  deal(f, l2, "2026-05-21", "500");
  deal(f, l2, "2026-05-25", "-100");
  deal(f, l2, NULL, "700");
  deal(f, l3, "2026-05-27", "100");
  deal(f, l3, "2026-06-06", "100");
  deal(f, l3, "2026-06-16", "100");
  deal(f, l3b, "2026-05-26", "100");
  deal(f, l3b, "2026-06-05", "100");
  deal(f, l3b, "2026-06-15", "100");
  const char *d4[] = {"2026-01-01", "2026-01-11", "2026-01-31", "2026-03-01", "2026-04-10"};
  for (int i = 0; i < 5; i++) deal(f, l4, d4[i], "300");
  deal(f, l5, "2026-01-01", "100");
  deal(f, l5, "2026-02-01", "100");
  for (int i = 0; i < 3; i++) deal(f, l6, "2026-02-02", "100");
  cl_report_opts o = {.at = "2026-07-01"};
  cl_report *r = run(f, "lapsed", &o);
  assert_int_equal(nrows(r, "clients"), 4);
  const char *names[] = {"Л1", "Л4", "Л2", "Л3б"}, *last[] = {"2026-04-01", "2026-04-10",
                                                              "2026-05-21", "2026-06-15"};
  int64_t usual10[] = {310, 245, 100, 100}, since[] = {91, 82, 41, 16}, over10[] = {600, 575, 310, 60},
          total[] = {4000, 1500, 1400, 300}, n[] = {4, 5, 3, 3};
  for (size_t i = 0; i < 4; i++) {
    assert_string_equal(cs(r, "clients", i, "client"), names[i]);
    assert_int_equal(ci(r, "clients", i, "last"), day(last[i]));
    assert_int_equal(ci(r, "clients", i, "usual"), usual10[i]);
    assert_int_equal(ci(r, "clients", i, "since"), since[i]);
    assert_int_equal(ci(r, "clients", i, "overdue"), over10[i]);
    assert_int_equal(ci(r, "clients", i, "value"), RUB(total[i]));
    assert_int_equal(ci(r, "clients", i, "purchases"), n[i]);
  }
  assert_string_equal(cs(r, "clients", 0, "owner"), "ivanov");
  /* regular: Л1, Л2, Л3, Л3б, Л4 (Л6 not judged): 4 of 5 lapsed = 80 % */
  assert_int_equal(ci(r, "summary", 0, "regular"), 5);
  assert_int_equal(ci(r, "summary", 0, "share"), 8000);
  assert_true(has_note(r, "1 client with 3+ purchases bought all on one date"));
  assert_true(has_note(r, "left out: 1 deal without a date"));
  assert_true(has_note(r, "left out: 1 deal dated after 2026-07-01 (planned)"));
  cl_report_free(r);
  /* factor 3: Л1 91 > 93? no; Л4 82 > 73.5 yes; Л2 41 > 30 yes; Л3б 16 > 30 no.
     --min 4: only Л1 and Л4 have 4+ purchases. */
  o.factor = "3";
  r = run(f, "lapsed", &o);
  assert_int_equal(nrows(r, "clients"), 2);
  assert_string_equal(cs(r, "clients", 0, "client"), "Л4");
  cl_report_free(r);
  o.factor = NULL;
  o.min = "4";
  r = run(f, "lapsed", &o);
  assert_int_equal(nrows(r, "clients"), 2);
  assert_string_equal(cs(r, "clients", 1, "client"), "Л4");
  cl_report_free(r);
  /* one manager's clients only */
  o.min = NULL;
  o.owner = "ivanov";
  r = run(f, "lapsed", &o);
  assert_int_equal(nrows(r, "clients"), 1);
  assert_false(has_note(r, "without a date")); /* Л2's undated deal is not ivanov's */
  cl_report_free(r);
}

/* ---- rfm --------------------------------------------------------------------------- */

static void test_rfm_quintiles_ties_segments(void **state) {
  fx *f = *state;
  /* as of 2026-07-01, the 12 months 2025-07-02 .. 2026-07-01 (recency counted
     to the period's end). Six clients:
       R1: 5 purchases x 1000, last 06-30 (1 day)     R2: 4 x 1000, last 06-01 (30)
       R3: 3 x 1000, last 05-01 (61)                  R6: the same as R3
       R4: 2 x 1000, last 03-01 (122)                 R5: 1 x 1000, 2025-08-01 (334)
     score = 1 + 5 x (2 x worse + ties) / (2 x 6):
       recency 1: worse 5 -> 1 + 55/12 = 5; 30: worse 4 -> 1 + 45/12 = 4;
       61 (R3, R6 tied): worse 2, ties 2 -> 1 + 30/12 = 3; 122: 1 + 15/12 = 2; 334: 1 + 5/12 = 1.
     frequency and monetary rank the same way. So R1 555 and R2 444 are
     champions, R3 and R6 333 potential, R4 222 hibernating, R5 111 lost. */
  struct {
    const char *name;
    int n;
    const char *last;
  } cl[] = {{"R1", 5, "2026-06-30"}, {"R2", 4, "2026-06-01"}, {"R3", 3, "2026-05-01"},
            {"R4", 2, "2026-03-01"}, {"R5", 1, "2025-08-01"}, {"R6", 3, "2026-05-01"}};
  const char *ids[6];
  for (int i = 0; i < 6; i++) {
    const char *id = ids[i] = org(f, cl[i].name, NULL);
    deal(f, id, cl[i].last, "1000");
    for (int k = 1; k < cl[i].n; k++) {
      char d[11]; /* earlier purchases, inside the period: 2025-09-01 .. */
      cl_report_day_format(day("2025-09-01") + k - 1, d);
      deal(f, id, d, "1000");
    }
  }
  /* a purchase before the period does not count */
  deal(f, ids[4], "2025-07-01", "99999");
  cl_report_opts o = {.at = "2026-07-01"};
  cl_report *r = run(f, "rfm", &o);
  assert_int_equal(nrows(r, "clients"), 6);
  struct {
    const char *name;
    int code;
    const char *seg;
    int rec;
  } want[] = {{"R1", 555, "champions", 1},   {"R2", 444, "champions", 30}, {"R3", 333, "potential", 61},
              {"R6", 333, "potential", 61},  {"R4", 222, "hibernating", 122},
              {"R5", 111, "lost", 334}};
  for (size_t i = 0; i < 6; i++) {
    size_t k = row_of(r, "clients", "client", want[i].name);
    assert_int_equal(ci(r, "clients", k, "rfm"), want[i].code);
    assert_string_equal(cs(r, "clients", k, "segment"), want[i].seg);
    assert_int_equal(ci(r, "clients", k, "recency"), want[i].rec);
  }
  /* in segment order: the champions first, by score */
  assert_string_equal(cs(r, "clients", 0, "client"), "R1");
  assert_string_equal(cs(r, "clients", 5, "client"), "R5");
  assert_int_equal(ci(r, "segments", row_of(r, "segments", "segment", "champions"), "clients"), 2);
  assert_int_equal(ci(r, "segments", row_of(r, "segments", "segment", "potential"), "share"), 3333);
  assert_int_equal(ci(r, "segments", row_of(r, "segments", "segment", "lost"), "value"), RUB(1000));
  cl_report_free(r);
}

/* ---- activity ------------------------------------------------------------------------- */

static void test_activity(void **state) {
  fx *f = *state;
  const char *a1 = org(f, "А1", NULL), *a2 = org(f, "А2", NULL), *a3 = org(f, "А3", NULL),
             *a4 = org(f, "А4", NULL);
  /* as of 2026-07-01, the period 2025-07-02 .. 2026-07-01:
     А1: 2025-01-10 (before), 08-01, 09-01, 10-01 x 1000: first ever 2025-01-10;
         in the period 3 purchases, intervals 31, 30: mean 30.5; spread
         (|2x31-61| + |2x30-61|) / (2 x 61) = 2/122 = 1.64 %.
     А2: 2026-01-15, 02-15, 04-15 x 2000: intervals 31, 59, mean 45; spread
         (28 + 28) / 180 = 31.11 %. New (first purchase in the period).
     А3: one purchase 2026-06-01 x 500: new, no interval.
     А4: bought only in 2024: not active.
     Summary: 4 ever bought, 3 active, 2 new, 7 purchases, 9500, basket
     9500 / 7 = 1357.14; average interval (61 + 90) / (2 + 2) = 37.75 -> 37.8. */
  deal(f, a1, "2025-01-10", "1000");
  deal(f, a1, "2025-08-01", "1000");
  deal(f, a1, "2025-09-01", "1000");
  deal(f, a1, "2025-10-01", "1000");
  deal(f, a2, "2026-01-15", "2000");
  deal(f, a2, "2026-02-15", "2000");
  deal(f, a2, "2026-04-15", "2000");
  deal(f, a3, "2026-06-01", "500");
  deal(f, a4, "2024-03-03", "100");
  cl_report_opts o = {.at = "2026-07-01"};
  cl_report *r = run(f, "activity", &o);
  assert_int_equal(ci(r, "summary", 0, "clients"), 4);
  assert_int_equal(ci(r, "summary", 0, "active"), 3);
  assert_int_equal(ci(r, "summary", 0, "new"), 2);
  assert_int_equal(ci(r, "summary", 0, "purchases"), 7);
  assert_int_equal(ci(r, "summary", 0, "value"), RUB(9500));
  assert_int_equal(ci(r, "summary", 0, "basket"), 135714);
  assert_int_equal(ci(r, "summary", 0, "interval"), 378);
  size_t k1 = row_of(r, "clients", "client", "А1");
  assert_int_equal(ci(r, "clients", k1, "first"), day("2025-01-10"));
  assert_int_equal(ci(r, "clients", k1, "last"), day("2025-10-01"));
  assert_int_equal(ci(r, "clients", k1, "purchases"), 3);
  assert_int_equal(ci(r, "clients", k1, "interval"), 305);
  assert_int_equal(ci(r, "clients", k1, "spread"), 164);
  assert_int_equal(ci(r, "clients", row_of(r, "clients", "client", "А2"), "spread"), 3111);
  assert_true(isnull(r, "clients", row_of(r, "clients", "client", "А3"), "interval"));
  assert_string_equal(cs(r, "clients", 0, "client"), "А2"); /* by sum */
  assert_string_equal(cs(r, "oldest", 0, "client"), "А1");
  assert_string_equal(cs(r, "newest", 0, "client"), "А3");
  assert_int_equal(nrows(r, "most_regular"), 2);
  assert_string_equal(cs(r, "most_regular", 0, "client"), "А1");
  assert_string_equal(cs(r, "least_regular", 0, "client"), "А2");
  /* retention by month: А2 new in 2026-01 bought again in 2026-02: 100 %; А3
     new in 2026-06, nothing in 2026-07 (not over yet): 0 % */
  size_t jan = row_of(r, "retention", "period", "2026-01");
  assert_int_equal(ci(r, "retention", jan, "new"), 1);
  assert_int_equal(ci(r, "retention", jan, "retention"), 10000);
  assert_int_equal(ci(r, "retention", row_of(r, "retention", "period", "2026-06"), "retention"), 0);
  assert_true(isnull(r, "retention", row_of(r, "retention", "period", "2025-08"), "retention"));
  assert_true(has_note(r, "retention from 2026-06 on is not final"));
  cl_report_free(r);
  /* --top 1 shortens the lists */
  o.top = "1";
  r = run(f, "activity", &o);
  assert_int_equal(nrows(r, "oldest"), 1);
  assert_int_equal(nrows(r, "clients"), 3);
  cl_report_free(r);
}

/* ---- period and quotes ---------------------------------------------------------------- */

static void test_period_quotes(void **state) {
  fx *f = *state;
  const char *p1 = org(f, "П1", NULL), *p2 = org(f, "П2", NULL), *p3 = org(f, "П3", NULL);
  /* quarters of 2026-01-01 .. 2026-06-30, as of 2026-12-31:
     П1: quote 01-10, purchase 02-01 x 1000 (converts it: 22 days); quote 03-01,
         a purchase 07-15 is 136 days later (not converted, and outside).
     П2: quote 04-01 and purchase 04-01 x 800 the same day (converted);
         refund -100 on 06-01.
     П3: quotes 05-01 and 05-02, one purchase 05-10 x 600: converts the oldest
         open quote only.
     Q1: 1 purchase, 1000, quotes 2, converted 1 (50 %).
     Q2: 2 purchases, 1 refund, 800 + 600 - 100 = 1300, quotes 3, converted 2
         (66.67 %). Span: 3 clients, 3 purchases, 2300, 5 quotes, 3 converted (60 %).
     Busiest months: 02 (1000, 43.48 % of 2300), 04 (800, 34.78 %), 05 (600,
     26.09 %), 06 (-100, -4.35 %). A cancelled deal counts nowhere. */
  deal_full(f, p1, NULL, "2026-01-10", "1000", "quote", NULL, NULL);
  deal(f, p1, "2026-02-01", "1000");
  deal_full(f, p1, NULL, "2026-03-01", "1000", "quote", NULL, NULL);
  deal(f, p1, "2026-07-15", "1000");
  deal_full(f, p2, NULL, "2026-04-01", "800", "quote", NULL, NULL);
  deal(f, p2, "2026-04-01", "800");
  deal(f, p2, "2026-06-01", "-100");
  deal_full(f, p3, NULL, "2026-05-01", "600", "quote", NULL, NULL);
  deal_full(f, p3, NULL, "2026-05-02", "600", "quote", NULL, NULL);
  deal(f, p3, "2026-05-10", "600");
  deal_full(f, p3, NULL, "2026-05-11", "5000", "cancelled", NULL, NULL);
  cl_report_opts o = {.at = "2026-12-31", .period = "quarter", .from = "2026-01-01",
                      .to = "2026-06-30"};
  cl_report *r = run(f, "period", &o);
  assert_int_equal(nrows(r, "totals"), 2);
  assert_string_equal(cs(r, "totals", 0, "period"), "2026-Q1");
  assert_int_equal(ci(r, "totals", 0, "purchases"), 1);
  assert_int_equal(ci(r, "totals", 0, "value"), RUB(1000));
  assert_int_equal(ci(r, "totals", 0, "quotes"), 2);
  assert_int_equal(ci(r, "totals", 0, "converted"), 1);
  assert_int_equal(ci(r, "totals", 0, "conversion"), 5000);
  assert_int_equal(ci(r, "totals", 1, "clients"), 2);
  assert_int_equal(ci(r, "totals", 1, "purchases"), 2);
  assert_int_equal(ci(r, "totals", 1, "refunds"), 1);
  assert_int_equal(ci(r, "totals", 1, "value"), RUB(1300));
  assert_int_equal(ci(r, "totals", 1, "conversion"), 6667);
  assert_int_equal(ci(r, "summary", 0, "clients"), 3);
  assert_int_equal(ci(r, "summary", 0, "value"), RUB(2300));
  assert_int_equal(ci(r, "summary", 0, "conversion"), 6000);
  /* the client file: П1 Q1, П2 Q2 (1 purchase, 700), П3 Q2; largest first */
  assert_int_equal(nrows(r, "clients"), 3);
  assert_string_equal(cs(r, "clients", 0, "client"), "П1");
  size_t k2 = row_of(r, "clients", "client", "П2");
  assert_string_equal(cs(r, "clients", k2, "period"), "2026-Q2");
  assert_int_equal(ci(r, "clients", k2, "purchases"), 1);
  assert_int_equal(ci(r, "clients", k2, "value"), RUB(700));
  const char *months[] = {"2026-02", "2026-04", "2026-05", "2026-06"};
  int64_t shares[] = {4348, 3478, 2609, -435};
  assert_int_equal(nrows(r, "busiest"), 4);
  for (size_t i = 0; i < 4; i++) {
    assert_string_equal(cs(r, "busiest", i, "month"), months[i]);
    assert_int_equal(ci(r, "busiest", i, "share"), shares[i]);
  }
  cl_report_free(r);
  /* by year over the default span: 3 years up to the as-of date */
  cl_report_opts y = {.at = "2026-12-31", .period = "year"};
  r = run(f, "period", &y);
  assert_int_equal(nrows(r, "totals"), 3);
  assert_string_equal(cs(r, "totals", 0, "period"), "2024");
  assert_int_equal(ci(r, "totals", 2, "purchases"), 4);
  cl_report_free(r);
}

/* ---- funnel ------------------------------------------------------------------------- */

static void test_funnel(void **state) {
  fx *f = *state;
  /* as of 2026-07-01:
     F1 stage 0.5, nothing bought: white, cold (derived)
     F2 stage 0.7, colour green and temperature warm set by hand, bought 06-01
     F3 stage 0.7, one purchase 04-02 (90 days ago): gold, hot (derived)
     F4 stage 1.0, 3 purchases 05-01, 06-01, 06-20 (median 25, 11 days): platinum, hot
     F5 3 purchases 01-01, 01-11, 01-21 (161 days > 15): red-gold, no temperature
     F6 6 purchases monthly 2025-01..06: lapsed -> red-platinum, no temperature
     F7 one purchase 04-01 (91 days ago): gold, no temperature (not hot)
     Stages: 0.5 1, 0.7 2, 1.0 1, not set 3; at or beyond: 0.5 4, 0.6 3, 0.7 3,
     0.8 1, 0.9 1, 1.0 1; conversion 0.5->0.6 3/4 = 75 %, 0.6->0.7 100 %,
     0.7->0.8 1/3 = 33.33 %, 1.0: none. */
  const char *f1 = org_with(f, "F1", "stage", "0.5", NULL, NULL);
  const char *f2 = org_with(f, "F2", "stage", "0.7", "color", "green");
  const char *f3 = org_with(f, "F3", "stage", "0.7", NULL, NULL);
  const char *f4 = org_with(f, "F4", "stage", "1.0", NULL, NULL);
  const char *f5 = org(f, "F5", NULL), *f6 = org(f, "F6", NULL), *f7 = org(f, "F7", NULL);
  (void)f1;
  kt_err err;
  int changed;
  cl_set warm = {"temperature", "warm"};
  assert_int_equal(cl_store_edit(f->s, f2, &warm, 1, &changed, &err), 0);
  deal(f, f2, "2026-06-01", "10");
  deal(f, f3, "2026-04-02", "10");
  deal(f, f4, "2026-05-01", "10");
  deal(f, f4, "2026-06-01", "10");
  deal(f, f4, "2026-06-20", "10");
  deal(f, f5, "2026-01-01", "10");
  deal(f, f5, "2026-01-11", "10");
  deal(f, f5, "2026-01-21", "10");
  const char *monthly[] = {"2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01",
                           "2025-06-01"};
  for (int m = 0; m < 6; m++) deal(f, f6, monthly[m], "10");
  deal(f, f7, "2026-04-01", "10");
  cl_report_opts o = {.at = "2026-07-01"};
  cl_report *r = run(f, "funnel", &o);
  const char *st[] = {"0.5", "0.6", "0.7", "0.8", "0.9", "1.0", "(not set)"};
  int64_t cards[] = {1, 0, 2, 0, 0, 1, 3}, reached[] = {4, 3, 3, 1, 1, 1};
  int64_t conv[] = {7500, 10000, 3333, 10000, 10000};
  assert_int_equal(nrows(r, "stages"), 7);
  for (size_t i = 0; i < 7; i++) {
    assert_string_equal(cs(r, "stages", i, "stage"), st[i]);
    assert_int_equal(ci(r, "stages", i, "cards"), cards[i]);
    if (i < 6) assert_int_equal(ci(r, "stages", i, "reached"), reached[i]);
    if (i < 5) assert_int_equal(ci(r, "stages", i, "conversion"), conv[i]);
  }
  assert_true(isnull(r, "stages", 5, "conversion"));
  struct {
    const char *v;
    int set, derived;
  } col_want[] = {{"white", 0, 1}, {"green", 1, 0}, {"gold", 0, 2}, {"platinum", 0, 1},
                  {"red-gold", 0, 1}, {"red-platinum", 0, 1}, {"grey", 0, 0}};
  for (size_t i = 0; i < sizeof col_want / sizeof col_want[0]; i++) {
    size_t k = row_of(r, "colours", "value", col_want[i].v);
    assert_int_equal(ci(r, "colours", k, "set"), col_want[i].set);
    assert_int_equal(ci(r, "colours", k, "derived"), col_want[i].derived);
  }
  assert_int_equal(ci(r, "temperatures", row_of(r, "temperatures", "value", "cold"), "derived"), 1);
  assert_int_equal(ci(r, "temperatures", row_of(r, "temperatures", "value", "warm"), "set"), 1);
  assert_int_equal(ci(r, "temperatures", row_of(r, "temperatures", "value", "hot"), "derived"), 2);
  assert_int_equal(ci(r, "temperatures", row_of(r, "temperatures", "value", "(not set)"), "cards"), 3);
  assert_int_equal(ci(r, "summary", 0, "cards"), 7);
  assert_int_equal(ci(r, "summary", 0, "buyers"), 6);
  assert_int_equal(ci(r, "summary", 0, "lapsed"), 2);
  size_t k5 = row_of(r, "cards", "client", "F5");
  assert_string_equal(cs(r, "cards", k5, "color"), "red-gold");
  assert_string_equal(cs(r, "cards", k5, "color_source"), "derived");
  assert_string_equal(cs(r, "cards", row_of(r, "cards", "client", "F2"), "color_source"), "set");
  cl_report_free(r);
}

/* ---- managers ------------------------------------------------------------------------- */

static uint64_t g_clock;
static uint64_t fake_clock(void *ud) {
  (void)ud;
  return g_clock;
}

static void test_managers(void **state) {
  fx *f = *state;
  int64_t ms;
  assert_int_equal(kt_datetime_parse("2026-06-15T12:00", &ms, NULL), 0);
  g_clock = (uint64_t)ms;
  cl_store_set_clock(f->s, fake_clock, NULL); /* cards "created" in June */
  const char *i1 = org(f, "И1", "ivanov");
  cl_store_set_clock(f->s, NULL, NULL);
  const char *p1 = org(f, "П1", "petrov"); /* created today (not in June 2026) */
  /* June 2026, as of 2026-06-30:
     ivanov (И1): 06-10 1000 paid 400; 06-20 refund -100 paid -100; 05-10 500
       unpaid (before the period). Sales 900, payments 300, purchases 1; debt of
       the period 600, up to its end 600 + 500 = 1100. New clients: 1.
       Events: call reached 06-11, meeting agreed 06-12, call without result
       06-13, a cancelled call 06-14, a call in May: 3 counted.
     petrov (П1): 06-05 2000 paid 2000: debt 0. Event: a letter (assignee
       unset, so the owner's) refused 06-15. */
  deal_full(f, i1, NULL, "2026-06-10", "1000", NULL, "400", NULL);
  deal_full(f, i1, NULL, "2026-06-20", "-100", NULL, "-100", NULL);
  deal_full(f, i1, NULL, "2026-05-10", "500", NULL, NULL, NULL);
  deal_full(f, p1, NULL, "2026-06-05", "2000", "paid", "2000", NULL);
  event(f, i1, "ivanov", "call", "reached", "2026-06-11T10:00", "done");
  event(f, i1, "ivanov", "meeting", "agreed", "2026-06-12T10:00", NULL);
  event(f, i1, "ivanov", "call", NULL, "2026-06-13T10:00", NULL);
  event(f, i1, "ivanov", "call", NULL, "2026-06-14T10:00", "cancelled");
  event(f, i1, "ivanov", "call", "reached", "2026-05-14T10:00", NULL);
  kt_err err;
  char id[37];
  cl_set ev[] = {{"org", p1}, {"type", "letter"}, {"result", "refused"}, {"owner", "petrov"},
                 {"start", "2026-06-15T10:00"}, {"title", "x"}};
  assert_int_equal(cl_store_add(f->s, "event", ev, 6, id, &err), 0);
  cl_report_opts o = {.at = "2026-06-30"};
  cl_report *r = run(f, "managers", &o);
  assert_int_equal(nrows(r, "managers"), 2);
  assert_string_equal(cs(r, "managers", 0, "manager"), "ivanov");
  assert_int_equal(ci(r, "managers", 0, "clients"), 1);
  assert_int_equal(ci(r, "managers", 0, "new_clients"), 1);
  assert_int_equal(ci(r, "managers", 0, "purchases"), 1);
  assert_int_equal(ci(r, "managers", 0, "sales"), RUB(900));
  assert_int_equal(ci(r, "managers", 0, "payments"), RUB(300));
  assert_int_equal(ci(r, "managers", 0, "debt"), RUB(600));
  assert_int_equal(ci(r, "managers", 0, "debt_total"), RUB(1100));
  assert_int_equal(ci(r, "managers", 1, "new_clients"), 0);
  assert_int_equal(ci(r, "managers", 1, "debt_total"), 0);
  assert_int_equal(ci(r, "events_by_type", 0, "call"), 2);
  assert_int_equal(ci(r, "events_by_type", 0, "meeting"), 1);
  assert_int_equal(ci(r, "events_by_type", 0, "total"), 3);
  assert_int_equal(ci(r, "events_by_result", 0, "reached"), 1);
  assert_int_equal(ci(r, "events_by_result", 0, "agreed"), 1);
  assert_int_equal(ci(r, "events_by_result", 0, "no_result"), 1);
  assert_int_equal(ci(r, "events_by_type", 1, "letter"), 1);
  assert_int_equal(ci(r, "events_by_result", 1, "refused"), 1);
  cl_report_free(r);
  o.owner = "petrov";
  r = run(f, "managers", &o);
  assert_int_equal(nrows(r, "managers"), 1);
  assert_string_equal(cs(r, "managers", 0, "manager"), "petrov");
  assert_int_equal(nrows(r, "events_by_type"), 1);
  cl_report_free(r);
}

/* ---- clients made of contacts, measures, one purchase ---------------------------------- */

static void test_contacts_measures_one_purchase(void **state) {
  fx *f = *state;
  const char *o1 = org(f, "Орг", NULL), *gone = org(f, "Удалённая", NULL);
  const char *c1 = contact(f, "Петрова", "Анна", o1), *priv = contact(f, "Сидоров", "Пётр", NULL);
  const char *c2 = contact(f, "Смирнов", "Иван", gone);
  /* Орг: a deal of its own and one given only its contact: 2 purchases.
     Сидоров Пётр (no organization) is a private client. A deal of a contact
     whose organization is in the trash belongs to nobody here (a note).
     Units 0.1 + 0.2 sum to exactly 0.3; paid counts what was paid. */
  deal_full(f, o1, NULL, "2026-06-01", "100", NULL, "60", "0.1");
  deal_full(f, NULL, c1, "2026-06-02", "200", NULL, "200", "0.2");
  deal_full(f, NULL, priv, "2026-06-03", "50", NULL, NULL, "1");
  deal_full(f, NULL, c2, "2026-06-04", "70", NULL, NULL, NULL);
  deal_full(f, NULL, NULL, "2026-06-05", "80", NULL, NULL, NULL); /* no client at all */
  kt_err err;
  assert_int_equal(cl_store_delete(f->s, gone, &err), 0);
  cl_report_opts o = {.at = "2026-07-01", .measure = "units"};
  cl_report *r = run(f, "abc", &o);
  assert_int_equal(nrows(r, "clients"), 2);
  assert_string_equal(cs(r, "clients", 0, "client"), "Сидоров Пётр");
  assert_int_equal(ci(r, "clients", 0, "value"), 1000000);
  assert_int_equal(ci(r, "clients", 1, "value"), 300000); /* 0.3 units exactly */
  kt_buf b = KT_BUF_INIT;
  cl_rcell x = cell(r, "clients", 1, "value");
  cl_rcell_format(CL_RT_UNITS, &x, &b);
  assert_string_equal(kt_buf_str(&b), "0.3");
  kt_buf_free(&b);
  assert_true(has_note(r, "left out: 2 deals of no client card on this PC"));
  cl_report_free(r);
  o.measure = "payments";
  r = run(f, "abc", &o);
  assert_int_equal(ci(r, "clients", 0, "value"), RUB(260)); /* Орг: 60 + 200; Сидоров paid nothing */
  assert_int_equal(nrows(r, "clients"), 1);
  cl_report_free(r);
  /* one purchase: no interval, never lapsed; RFM of one client is 333 */
  o.measure = NULL;
  r = run(f, "lapsed", &o);
  assert_int_equal(nrows(r, "clients"), 0);
  cl_report_free(r);
  r = run(f, "rfm", &o);
  size_t k = row_of(r, "clients", "client", "Сидоров Пётр");
  assert_int_equal(ci(r, "clients", k, "frequency"), 1);
  cl_report_free(r);
  /* the card's own figures (as of today: these deals are in the past) */
  cl_client_sales cs1;
  assert_int_equal(cl_report_client_sales(f->s, o1, &cs1, &err), 0);
  assert_int_equal(cs1.purchases, 2);
  assert_int_equal(cs1.first_day, day("2026-06-01"));
  assert_int_equal(cs1.last_day, day("2026-06-02"));
  assert_int_equal(cs1.total, RUB(300));
  assert_int_equal(cs1.debt, RUB(40));
  assert_int_equal(cl_report_client_sales(f->s, c1, &cs1, &err), KT_ENOTFOUND); /* Орг's person */
  assert_int_equal(cl_report_client_sales(f->s, priv, &cs1, &err), 0);
  assert_int_equal(cs1.purchases, 1);
  assert_int_equal(cs1.debt, RUB(50));
}

static void test_client_sales_abc_class(void **state) {
  fx *f = *state;
  /* the show figures use the default ABC: the 12 months up to today. Dates
     relative to today: 10 days ago. A 700, B 200, C 100 (total 1000): before
     B 70 % -> A; before C 90 % -> B. A client with no purchase in the last
     12 months has no class; one whose only deal is planned has no purchase. */
  char recent[11], old[11], planned[11];
  time_t now = time(NULL);
  struct tm lt;
  time_t t = now - 10 * 86400;
  localtime_r(&t, &lt);
  strftime(recent, sizeof recent, "%Y-%m-%d", &lt);
  t = now - 800 * 86400;
  localtime_r(&t, &lt);
  strftime(old, sizeof old, "%Y-%m-%d", &lt);
  t = now + 30 * 86400;
  localtime_r(&t, &lt);
  strftime(planned, sizeof planned, "%Y-%m-%d", &lt);
  const char *a = org(f, "A", NULL), *b = org(f, "B", NULL), *c = org(f, "C", NULL),
             *d = org(f, "D", NULL), *e = org(f, "E", NULL);
  deal(f, a, recent, "700");
  deal(f, b, recent, "200");
  deal(f, c, recent, "100");
  deal(f, d, old, "5000");
  deal(f, e, planned, "5000");
  cl_client_sales s;
  kt_err err;
  const char *ids[] = {a, b, c, d, e};
  char want[] = {'A', 'A', 'B', 0, 0};
  for (int i = 0; i < 5; i++) {
    assert_int_equal(cl_report_client_sales(f->s, ids[i], &s, &err), 0);
    assert_int_equal(s.abc, want[i]);
  }
  assert_int_equal(s.purchases, 0);
  assert_int_equal(cl_report_client_sales(f->s, d, &s, &err), 0);
  assert_int_equal(s.purchases, 1);
  assert_int_equal(s.total, RUB(5000));
}

/* A client with many deals entered out of order: the per-client sort (not
 * the short insertion sort) puts them in date order. */
static void test_many_deals_out_of_order(void **state) {
  fx *f = *state;
  const char *a = org(f, "Много", NULL);
  kt_err err;
  assert_int_equal(cl_store_begin(f->s, &err), 0);
  for (int i = 0; i < 100; i++) {
    int k = (i * 37) % 100; /* every day of 2026-01-01 + 0..99 once, shuffled */
    char d[11];
    cl_report_day_format(day("2026-01-01") + k, d);
    deal(f, a, d, "10");
  }
  assert_int_equal(cl_store_commit(f->s, &err), 0);
  cl_report_opts o = {.at = "2026-12-31"};
  cl_report *r = run(f, "activity", &o);
  assert_int_equal(ci(r, "clients", 0, "first"), day("2026-01-01"));
  assert_int_equal(ci(r, "clients", 0, "last"), day("2026-04-10"));
  assert_int_equal(ci(r, "clients", 0, "interval"), 10); /* 99 days / 99 intervals */
  assert_int_equal(ci(r, "clients", 0, "spread"), 0);
  cl_report_free(r);
}

/* ---- bad input ----------------------------------------------------------------------- */

static void test_bad_options(void **state) {
  fx *f = *state;
  kt_err err;
  cl_report *r = NULL;
  struct {
    const char *report;
    cl_report_opts o;
    const char *msg;
  } bad[] = {
      {"nosuch", {0}, "unknown report 'nosuch'; the reports are: period activity lapsed vip abc rfm funnel managers"},
      {"abc", {.measure = "profit"}, "unknown measure 'profit'; use amount (sales), paid (payments) or units"},
      {"period", {.period = "week"}, "unknown period 'week'; use month, quarter or year"},
      {"vip", {.variant = "middle"}, "unknown variant 'middle'; use top, bottom or next"},
      {"abc", {.month = "2026-01"}, "report abc has no option --month; its options:"},
      {"abc", {.split = "80/30/5"}, "--split: '80/30/5' is not three whole percentages"},
      {"lapsed", {.factor = "-1"}, "--factor: '-1' is not a positive number"},
      {"lapsed", {.min = "1"}, "--min: '1' is not a whole number from 2"},
      {"abc", {.from = "2026-05-01", .to = "2026-04-01"}, "--to 2026-04-01 is before --from 2026-05-01"},
      {"abc", {.at = "2026-13-01"}, "--at: bad date"},
      {"vip", {.month = "2026-13"}, "--month: '2026-13' is not a month"},
      {"funnel", {.measure = "units"}, "report funnel has no option --measure"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    kt_err_clear(&err);
    assert_int_equal(cl_report_run(f->s, bad[i].report, &bad[i].o, &r, &err), KT_EINVAL);
    if (!strstr(err.msg, bad[i].msg)) fail_msg("case %zu: message was: %s", i, err.msg);
  }
  /* synonyms of the measures are accepted */
  cl_report_opts o = {.measure = "sales"};
  assert_int_equal(cl_report_run(f->s, "abc", &o, &r, &err), 0);
  cl_report_free(r);
  cl_report_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_empty_base, setup, teardown),
      cmocka_unit_test_setup_teardown(test_abc_boundaries_ties_refunds, setup, teardown),
      cmocka_unit_test_setup_teardown(test_vip_ties_list_and_few_clients, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lapsed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rfm_quintiles_ties_segments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_activity, setup, teardown),
      cmocka_unit_test_setup_teardown(test_period_quotes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_funnel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_managers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_contacts_measures_one_purchase, setup, teardown),
      cmocka_unit_test_setup_teardown(test_client_sales_abc_class, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many_deals_out_of_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
