/* Unit tests for cl_report's money reports on small standalone card indexes
 * whose expected numbers are worked out by hand in the comments: abc, vip,
 * lapsed, rfm, activity, period, with the ties at the 20% and 75% boundaries
 * (and 95%), refunds, an empty base, undated and planned (future) deals and
 * months with fewer than five paying clients. test_report_crm.c has the
 * funnel, managers, clients made of contacts, measures, `show` and bad input.
 * Each test has a fresh replica (t_report.h). Money in the comments is in
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
#include "t_report.h"

#define setup t_report_setup
#define teardown t_report_teardown

/* ---- the empty base --------------------------------------------------------------- */

static void test_empty_base(void **state) {
  fx *f = *state;
  cl_report_opts o = {.at = "2026-07-01"};
  for (int i = 0; i < cl_report_count(); i++) {
    cl_report *r = t_run(f, cl_report_name_at(i), &o);
    assert_true(cl_report_ntables(r) > 0);
    /* every table can be read; nothing is NaN: shares of nothing are null */
    for (size_t k = 0; k < cl_report_ntables(r); k++) {
      const cl_rtable *t = cl_report_table(r, k);
      cl_rcell x[32];
      for (size_t j = 0; j < cl_rtable_nrows(t); j++) cl_rtable_row(t, j, x);
    }
    cl_report_free(r);
  }
  cl_report *r = t_run(f, "abc", &o);
  assert_int_equal(t_nrows(r, "clients"), 0);
  assert_int_equal(t_ci(r, "classes", 0, "clients"), 0);
  assert_true(t_isnull(r, "classes", 0, "share"));
  assert_true(t_has_note(r, "no purchases in the period"));
  cl_report_free(r);
  r = t_run(f, "vip", &o);
  assert_int_equal(t_ci(r, "summary", 0, "paying"), 0);
  assert_true(t_isnull(r, "summary", 0, "top_share"));
  assert_int_equal(t_nrows(r, "selected"), 0);
  assert_true(t_has_note(r, "2026-06: no client has a positive sum"));
  cl_report_free(r);
  r = t_run(f, "lapsed", &o);
  assert_int_equal(t_ci(r, "summary", 0, "regular"), 0);
  assert_true(t_isnull(r, "summary", 0, "share"));
  cl_report_free(r);
  r = t_run(f, "activity", &o);
  assert_int_equal(t_ci(r, "summary", 0, "active"), 0);
  assert_true(t_isnull(r, "summary", 0, "basket"));
  assert_true(t_isnull(r, "summary", 0, "interval"));
  cl_report_free(r);
  r = t_run(f, "period", &o);
  assert_int_equal(t_nrows(r, "totals"), 36); /* 2023-08 .. 2026-07, all empty */
  assert_string_equal(t_cs(r, "totals", 0, "period"), "2023-08");
  assert_true(t_isnull(r, "totals", 0, "conversion"));
  assert_int_equal(t_nrows(r, "busiest"), 0);
  cl_report_free(r);
  r = t_run(f, "funnel", &o);
  assert_int_equal(t_ci(r, "summary", 0, "cards"), 0);
  assert_true(t_isnull(r, "stages", 0, "conversion"));
  cl_report_free(r);
  r = t_run(f, "managers", &o);
  assert_int_equal(t_nrows(r, "managers"), 0);
  cl_report_free(r);
}

/* ---- abc -------------------------------------------------------------------------- */

static void test_abc_boundaries_ties_refunds(void **state) {
  fx *f = *state;
  const char *a = t_org(f, "Альфа", NULL), *b = t_org(f, "Бета", NULL), *g = t_org(f, "Гамма", NULL),
             *d = t_org(f, "Дельта", NULL), *e = t_org(f, "Эпсилон", NULL);
  /* January: 4000, 3500, 1500, 1200 - 200 refund = 1000; Эпсилон 500 - 500 = 0.
     Total 10000. Before Альфа 0 % -> A; before Бета 40 % -> A; before Гамма
     exactly 75 % (not under) -> B; before Дельта 90 % -> B; Эпсилон is not
     ranked (refunds cancel its purchases). */
  t_deal(f, a, "2026-01-05", "4000");
  t_deal(f, b, "2026-01-06", "3500");
  t_deal(f, g, "2026-01-07", "1500");
  t_deal(f, d, "2026-01-08", "1200");
  t_deal(f, d, "2026-01-20", "-200");
  t_deal(f, e, "2026-01-09", "500");
  t_deal(f, e, "2026-01-10", "-500");
  cl_report_opts o = {.at = "2026-07-01", .from = "2026-01-01", .to = "2026-01-31"};
  cl_report *r = t_run(f, "abc", &o);
  assert_int_equal(t_nrows(r, "clients"), 4);
  const char *names[] = {"Альфа", "Бета", "Гамма", "Дельта"}, *cls[] = {"A", "A", "B", "B"};
  int64_t vals[] = {4000, 3500, 1500, 1000}, share[] = {4000, 3500, 1500, 1000},
          cum[] = {4000, 7500, 9000, 10000};
  for (size_t i = 0; i < 4; i++) {
    assert_string_equal(t_cs(r, "clients", i, "client"), names[i]);
    assert_int_equal(t_ci(r, "clients", i, "value"), RUB(vals[i]));
    assert_int_equal(t_ci(r, "clients", i, "share"), share[i]); /* hundredths of % */
    assert_int_equal(t_ci(r, "clients", i, "cumulative"), cum[i]);
    assert_string_equal(t_cs(r, "clients", i, "class"), cls[i]);
  }
  assert_int_equal(t_ci(r, "classes", 0, "clients"), 2);
  assert_int_equal(t_ci(r, "classes", 0, "value"), RUB(7500));
  assert_int_equal(t_ci(r, "classes", 0, "share"), 7500);
  assert_int_equal(t_ci(r, "classes", 1, "clients"), 2);
  assert_int_equal(t_ci(r, "classes", 1, "clients_share"), 5000);
  assert_int_equal(t_ci(r, "classes", 2, "clients"), 0);
  assert_true(t_has_note(r, "1 client whose refunds cancel their purchases"));
  cl_report_free(r);

  /* February, a tie at 75 %: 50, 25, 25 (total 100). Both 25s have 50 % before
     them (tied clients are not before each other): A, A, A. */
  t_deal(f, a, "2026-02-01", "50");
  t_deal(f, b, "2026-02-02", "25");
  t_deal(f, g, "2026-02-03", "25");
  o.from = "2026-02-01", o.to = "2026-02-28";
  r = t_run(f, "abc", &o);
  for (size_t i = 0; i < 3; i++) assert_string_equal(t_cs(r, "clients", i, "class"), "A");
  assert_int_equal(t_ci(r, "classes", 0, "share"), 10000);
  cl_report_free(r);

  /* March, the 95 % boundary and a tie into B: 75, 5, 5, 5, 5, 5 (total 100):
     75 -> A; the five 5s all have 75 % before them -> B (none is C). With
     --split 70/25/5: 75 has 0 before -> A; the 5s: 75 % before, not under 70,
     under 95 -> B. With 80/15/5 the same; with 50/25/25 the 5s are C
     (75 % is not under 75 %). */
  const char *ids[] = {a, b, g, d, e, t_org(f, "Жета", NULL)};
  for (int i = 0; i < 6; i++) t_deal(f, ids[i], "2026-03-10", i ? "5" : "75");
  o.from = "2026-03-01", o.to = "2026-03-31";
  r = t_run(f, "abc", &o);
  assert_string_equal(t_cs(r, "clients", 0, "class"), "A");
  for (size_t i = 1; i < 6; i++) assert_string_equal(t_cs(r, "clients", i, "class"), "B");
  cl_report_free(r);
  o.split = "50/25/25";
  r = t_run(f, "abc", &o);
  for (size_t i = 1; i < 6; i++) assert_string_equal(t_cs(r, "clients", i, "class"), "C");
  assert_int_equal(t_ci(r, "classes", 2, "share"), 2500);
  cl_report_free(r);

  /* a period with no data while the base has some: empty, shares null */
  o = (cl_report_opts){.at = "2026-07-01", .from = "2020-01-01", .to = "2020-01-31"};
  r = t_run(f, "abc", &o);
  assert_int_equal(t_nrows(r, "clients"), 0);
  assert_true(t_isnull(r, "classes", 0, "share"));
  assert_true(t_has_note(r, "no purchases in the period"));
  cl_report_free(r);
  r = t_run(f, "rfm", &o);
  assert_int_equal(t_nrows(r, "clients"), 0);
  assert_true(t_isnull(r, "segments", 0, "share"));
  cl_report_free(r);
}

/* ---- vip -------------------------------------------------------------------------- */

static void test_vip_ties_list_and_few_clients(void **state) {
  fx *f = *state;
  const char *c[12];
  char name[32];
  for (int i = 0; i < 11; i++) {
    snprintf(name, sizeof name, "C%02d", i + 1);
    c[i] = t_org(f, name, NULL);
  }
  const char *old = t_org(f, "Старый", NULL);
  /* June 2026 (M): 10 clients with 100, 90, 90, 80, 70, 60, 50, 40, 30, 20 (total
     630); C11 bought 30 and got 40 back: -10, not paying. 20 % of 10 = 2; the
     second is tied with the third (90): 3 VIPs, bringing 280 of 630 = 44.44 %. */
  const char *june[] = {"100", "90", "90", "80", "70", "60", "50", "40", "30", "20"};
  for (int i = 0; i < 10; i++) t_deal(f, c[i], "2026-06-10", june[i]);
  t_deal(f, c[10], "2026-06-11", "30");
  t_deal(f, c[10], "2026-06-12", "-40");
  /* May: 3 paying clients (fewer than 5): 20 % rounded up is 1, C01 50 is tied
     with C04 50: both are May's VIPs; C05 10 is not. */
  t_deal(f, c[0], "2026-05-03", "50");
  t_deal(f, c[3], "2026-05-04", "50");
  t_deal(f, c[4], "2026-05-05", "10");
  /* March: C03 alone. December 2025 (M-6): Старый alone, then nothing. */
  t_deal(f, c[2], "2026-03-01", "200");
  t_deal(f, old, "2025-12-15", "1000");
  cl_report_opts o = {.at = "2026-07-15", .month = "2026-06"};
  cl_report *r = t_run(f, "vip", &o);
  assert_int_equal(t_ci(r, "summary", 0, "paying"), 10);
  assert_int_equal(t_ci(r, "summary", 0, "k"), 2);
  assert_int_equal(t_ci(r, "summary", 0, "selected"), 3);
  assert_int_equal(t_ci(r, "summary", 0, "total"), RUB(630));
  assert_int_equal(t_ci(r, "summary", 0, "selected_value"), RUB(280));
  assert_int_equal(t_ci(r, "summary", 0, "top_share"), 4444);
  assert_int_equal(t_nrows(r, "selected"), 3);
  assert_string_equal(t_cs(r, "selected", 0, "client"), "C01");
  assert_string_equal(t_cs(r, "selected", 1, "client"), "C02"); /* ties by name */
  assert_string_equal(t_cs(r, "selected", 2, "client"), "C03");
  assert_int_equal(t_ci(r, "selected", 2, "cumulative"), 4444);
  /* the list (selected in any of 2026-01 .. 2026-06): C01 (May, June), C02, C03
     (March, June), C04 (May). The month before's list (2025-12 .. 2026-05):
     Старый, C03, C01, C04. Entered: C02; fell out: Старый. */
  assert_int_equal(t_nrows(r, "list"), 4);
  size_t i01 = t_row_of(r, "list", "client", "C01"), i03 = t_row_of(r, "list", "client", "C03");
  assert_int_equal(t_ci(r, "list", i01, "months"), 2);
  assert_int_equal(t_ci(r, "list", i03, "months"), 2);
  assert_int_equal(t_ci(r, "list", i03, "value"), RUB(290));
  assert_string_equal(t_cs(r, "list", t_row_of(r, "list", "client", "C04"), "last"), "2026-05");
  assert_int_equal(t_nrows(r, "entered"), 1);
  assert_string_equal(t_cs(r, "entered", 0, "client"), "C02");
  assert_int_equal(t_nrows(r, "fell_out"), 1);
  assert_string_equal(t_cs(r, "fell_out", 0, "client"), "Старый");
  assert_string_equal(t_cs(r, "fell_out", 0, "last"), "2025-12");
  /* the months: May has 3 paying, 2 selected, the top 20 % bring 100 of 110 */
  size_t may = t_row_of(r, "months", "month", "2026-05");
  assert_int_equal(t_ci(r, "months", may, "paying"), 3);
  assert_int_equal(t_ci(r, "months", may, "selected"), 2);
  assert_int_equal(t_ci(r, "months", may, "top_share"), 9091);
  assert_true(t_isnull(r, "months", t_row_of(r, "months", "month", "2026-01"), "top_share"));
  assert_true(t_has_note(r, "fewer than 5 clients with a positive sum also in 2026-01, 2026-02, "
                          "2026-03, 2026-04, 2026-05"));
  cl_report_free(r);

  /* next: after the 3 VIPs, 2 more: 80 and 70 (60 is not tied with 70).
     bottom: the last 2: 30 and 20. */
  o.variant = "next";
  r = t_run(f, "vip", &o);
  assert_int_equal(t_nrows(r, "selected"), 2);
  assert_string_equal(t_cs(r, "selected", 0, "client"), "C04");
  assert_int_equal(t_ci(r, "selected", 0, "rank"), 4);
  assert_string_equal(t_cs(r, "selected", 1, "client"), "C05");
  assert_int_equal(t_ci(r, "summary", 0, "selected_share"), 2381); /* 150 / 630 */
  assert_int_equal(t_ci(r, "summary", 0, "top_share"), 4444);      /* the Pareto check stays */
  cl_report_free(r);
  o.variant = "bottom";
  r = t_run(f, "vip", &o);
  assert_int_equal(t_nrows(r, "selected"), 2);
  assert_string_equal(t_cs(r, "selected", 0, "client"), "C09");
  assert_string_equal(t_cs(r, "selected", 1, "client"), "C10");
  cl_report_free(r);
  /* May in full, as its own month: 3 paying clients, k = 1, C01 and C04 tied */
  o.variant = NULL;
  o.month = "2026-05";
  r = t_run(f, "vip", &o);
  assert_int_equal(t_ci(r, "summary", 0, "k"), 1);
  assert_int_equal(t_ci(r, "summary", 0, "selected"), 2);
  assert_true(t_has_note(r, "2026-05: 3 clients with a positive sum (fewer than 5)"));
  cl_report_free(r);
}

/* ---- lapsed ----------------------------------------------------------------------- */

static void test_lapsed(void **state) {
  fx *f = *state;
  const char *l1 = t_org(f, "Л1", "ivanov"), *l2 = t_org(f, "Л2", NULL), *l3 = t_org(f, "Л3", NULL),
             *l3b = t_org(f, "Л3б", NULL), *l4 = t_org(f, "Л4", NULL), *l5 = t_org(f, "Л5", NULL),
             *l6 = t_org(f, "Л6", NULL);
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
  for (int i = 0; i < 4; i++) t_deal(f, l1, d1[i], "1000");
  t_deal(f, l1, "2026-08-01", "1000");
  t_deal(f, l2, "2026-05-01", "500");
  t_deal(f, l2, "2026-05-11", "500");
  t_deal(f, l2, "2026-05-21", "500");
  t_deal(f, l2, "2026-05-25", "-100");
  t_deal(f, l2, NULL, "700");
  t_deal(f, l3, "2026-05-27", "100");
  t_deal(f, l3, "2026-06-06", "100");
  t_deal(f, l3, "2026-06-16", "100");
  t_deal(f, l3b, "2026-05-26", "100");
  t_deal(f, l3b, "2026-06-05", "100");
  t_deal(f, l3b, "2026-06-15", "100");
  const char *d4[] = {"2026-01-01", "2026-01-11", "2026-01-31", "2026-03-01", "2026-04-10"};
  for (int i = 0; i < 5; i++) t_deal(f, l4, d4[i], "300");
  t_deal(f, l5, "2026-01-01", "100");
  t_deal(f, l5, "2026-02-01", "100");
  for (int i = 0; i < 3; i++) t_deal(f, l6, "2026-02-02", "100");
  cl_report_opts o = {.at = "2026-07-01"};
  cl_report *r = t_run(f, "lapsed", &o);
  assert_int_equal(t_nrows(r, "clients"), 4);
  const char *names[] = {"Л1", "Л4", "Л2", "Л3б"}, *last[] = {"2026-04-01", "2026-04-10",
                                                              "2026-05-21", "2026-06-15"};
  int64_t usual10[] = {310, 245, 100, 100}, since[] = {91, 82, 41, 16}, over10[] = {600, 575, 310, 60},
          total[] = {4000, 1500, 1400, 300}, n[] = {4, 5, 3, 3};
  for (size_t i = 0; i < 4; i++) {
    assert_string_equal(t_cs(r, "clients", i, "client"), names[i]);
    assert_int_equal(t_ci(r, "clients", i, "last"), t_day(last[i]));
    assert_int_equal(t_ci(r, "clients", i, "usual"), usual10[i]);
    assert_int_equal(t_ci(r, "clients", i, "since"), since[i]);
    assert_int_equal(t_ci(r, "clients", i, "overdue"), over10[i]);
    assert_int_equal(t_ci(r, "clients", i, "value"), RUB(total[i]));
    assert_int_equal(t_ci(r, "clients", i, "purchases"), n[i]);
  }
  assert_string_equal(t_cs(r, "clients", 0, "owner"), "ivanov");
  /* regular: Л1, Л2, Л3, Л3б, Л4 (Л6 not judged): 4 of 5 lapsed = 80 % */
  assert_int_equal(t_ci(r, "summary", 0, "regular"), 5);
  assert_int_equal(t_ci(r, "summary", 0, "share"), 8000);
  assert_true(t_has_note(r, "1 client with 3+ purchases bought all on one date"));
  assert_true(t_has_note(r, "left out: 1 deal without a date"));
  assert_true(t_has_note(r, "left out: 1 deal dated after 2026-07-01 (planned)"));
  cl_report_free(r);
  /* factor 3: Л1 91 > 93? no; Л4 82 > 73.5 yes; Л2 41 > 30 yes; Л3б 16 > 30 no.
     --min 4: only Л1 and Л4 have 4+ purchases. */
  o.factor = "3";
  r = t_run(f, "lapsed", &o);
  assert_int_equal(t_nrows(r, "clients"), 2);
  assert_string_equal(t_cs(r, "clients", 0, "client"), "Л4");
  cl_report_free(r);
  o.factor = NULL;
  o.min = "4";
  r = t_run(f, "lapsed", &o);
  assert_int_equal(t_nrows(r, "clients"), 2);
  assert_string_equal(t_cs(r, "clients", 1, "client"), "Л4");
  cl_report_free(r);
  /* one manager's clients only */
  o.min = NULL;
  o.owner = "ivanov";
  r = t_run(f, "lapsed", &o);
  assert_int_equal(t_nrows(r, "clients"), 1);
  assert_false(t_has_note(r, "without a date")); /* Л2's undated deal is not ivanov's */
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
    const char *id = ids[i] = t_org(f, cl[i].name, NULL);
    t_deal(f, id, cl[i].last, "1000");
    for (int k = 1; k < cl[i].n; k++) {
      char d[11]; /* earlier purchases, inside the period: 2025-09-01 .. */
      cl_report_day_format(t_day("2025-09-01") + k - 1, d);
      t_deal(f, id, d, "1000");
    }
  }
  /* a purchase before the period does not count */
  t_deal(f, ids[4], "2025-07-01", "99999");
  cl_report_opts o = {.at = "2026-07-01"};
  cl_report *r = t_run(f, "rfm", &o);
  assert_int_equal(t_nrows(r, "clients"), 6);
  struct {
    const char *name;
    int code;
    const char *seg;
    int rec;
  } want[] = {{"R1", 555, "champions", 1},   {"R2", 444, "champions", 30}, {"R3", 333, "potential", 61},
              {"R6", 333, "potential", 61},  {"R4", 222, "hibernating", 122},
              {"R5", 111, "lost", 334}};
  for (size_t i = 0; i < 6; i++) {
    size_t k = t_row_of(r, "clients", "client", want[i].name);
    assert_int_equal(t_ci(r, "clients", k, "rfm"), want[i].code);
    assert_string_equal(t_cs(r, "clients", k, "segment"), want[i].seg);
    assert_int_equal(t_ci(r, "clients", k, "recency"), want[i].rec);
  }
  /* in segment order: the champions first, by score */
  assert_string_equal(t_cs(r, "clients", 0, "client"), "R1");
  assert_string_equal(t_cs(r, "clients", 5, "client"), "R5");
  assert_int_equal(t_ci(r, "segments", t_row_of(r, "segments", "segment", "champions"), "clients"), 2);
  assert_int_equal(t_ci(r, "segments", t_row_of(r, "segments", "segment", "potential"), "share"), 3333);
  assert_int_equal(t_ci(r, "segments", t_row_of(r, "segments", "segment", "lost"), "value"), RUB(1000));
  cl_report_free(r);
}

/* ---- activity ------------------------------------------------------------------------- */

static void test_activity(void **state) {
  fx *f = *state;
  const char *a1 = t_org(f, "А1", NULL), *a2 = t_org(f, "А2", NULL), *a3 = t_org(f, "А3", NULL),
             *a4 = t_org(f, "А4", NULL);
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
  t_deal(f, a1, "2025-01-10", "1000");
  t_deal(f, a1, "2025-08-01", "1000");
  t_deal(f, a1, "2025-09-01", "1000");
  t_deal(f, a1, "2025-10-01", "1000");
  t_deal(f, a2, "2026-01-15", "2000");
  t_deal(f, a2, "2026-02-15", "2000");
  t_deal(f, a2, "2026-04-15", "2000");
  t_deal(f, a3, "2026-06-01", "500");
  t_deal(f, a4, "2024-03-03", "100");
  cl_report_opts o = {.at = "2026-07-01"};
  cl_report *r = t_run(f, "activity", &o);
  assert_int_equal(t_ci(r, "summary", 0, "clients"), 4);
  assert_int_equal(t_ci(r, "summary", 0, "active"), 3);
  assert_int_equal(t_ci(r, "summary", 0, "new"), 2);
  assert_int_equal(t_ci(r, "summary", 0, "purchases"), 7);
  assert_int_equal(t_ci(r, "summary", 0, "value"), RUB(9500));
  assert_int_equal(t_ci(r, "summary", 0, "basket"), 135714);
  assert_int_equal(t_ci(r, "summary", 0, "interval"), 378);
  size_t k1 = t_row_of(r, "clients", "client", "А1");
  assert_int_equal(t_ci(r, "clients", k1, "first"), t_day("2025-01-10"));
  assert_int_equal(t_ci(r, "clients", k1, "last"), t_day("2025-10-01"));
  assert_int_equal(t_ci(r, "clients", k1, "purchases"), 3);
  assert_int_equal(t_ci(r, "clients", k1, "interval"), 305);
  assert_int_equal(t_ci(r, "clients", k1, "spread"), 164);
  assert_int_equal(t_ci(r, "clients", t_row_of(r, "clients", "client", "А2"), "spread"), 3111);
  assert_true(t_isnull(r, "clients", t_row_of(r, "clients", "client", "А3"), "interval"));
  assert_string_equal(t_cs(r, "clients", 0, "client"), "А2"); /* by sum */
  assert_string_equal(t_cs(r, "oldest", 0, "client"), "А1");
  assert_string_equal(t_cs(r, "newest", 0, "client"), "А3");
  assert_int_equal(t_nrows(r, "most_regular"), 2);
  assert_string_equal(t_cs(r, "most_regular", 0, "client"), "А1");
  assert_string_equal(t_cs(r, "least_regular", 0, "client"), "А2");
  /* retention by month: А2 new in 2026-01 bought again in 2026-02: 100 %; А3
     new in 2026-06, nothing in 2026-07 (not over yet): 0 % */
  size_t jan = t_row_of(r, "retention", "period", "2026-01");
  assert_int_equal(t_ci(r, "retention", jan, "new"), 1);
  assert_int_equal(t_ci(r, "retention", jan, "retention"), 10000);
  assert_int_equal(t_ci(r, "retention", t_row_of(r, "retention", "period", "2026-06"), "retention"), 0);
  assert_true(t_isnull(r, "retention", t_row_of(r, "retention", "period", "2025-08"), "retention"));
  assert_true(t_has_note(r, "retention from 2026-06 on is not final"));
  cl_report_free(r);
  /* --top 1 shortens the lists */
  o.top = "1";
  r = t_run(f, "activity", &o);
  assert_int_equal(t_nrows(r, "oldest"), 1);
  assert_int_equal(t_nrows(r, "clients"), 3);
  cl_report_free(r);
}

/* ---- period and quotes ---------------------------------------------------------------- */

static void test_period_quotes(void **state) {
  fx *f = *state;
  const char *p1 = t_org(f, "П1", NULL), *p2 = t_org(f, "П2", NULL), *p3 = t_org(f, "П3", NULL);
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
  t_deal_full(f, p1, NULL, "2026-01-10", "1000", "quote", NULL, NULL);
  t_deal(f, p1, "2026-02-01", "1000");
  t_deal_full(f, p1, NULL, "2026-03-01", "1000", "quote", NULL, NULL);
  t_deal(f, p1, "2026-07-15", "1000");
  t_deal_full(f, p2, NULL, "2026-04-01", "800", "quote", NULL, NULL);
  t_deal(f, p2, "2026-04-01", "800");
  t_deal(f, p2, "2026-06-01", "-100");
  t_deal_full(f, p3, NULL, "2026-05-01", "600", "quote", NULL, NULL);
  t_deal_full(f, p3, NULL, "2026-05-02", "600", "quote", NULL, NULL);
  t_deal(f, p3, "2026-05-10", "600");
  t_deal_full(f, p3, NULL, "2026-05-11", "5000", "cancelled", NULL, NULL);
  cl_report_opts o = {.at = "2026-12-31", .period = "quarter", .from = "2026-01-01",
                      .to = "2026-06-30"};
  cl_report *r = t_run(f, "period", &o);
  assert_int_equal(t_nrows(r, "totals"), 2);
  assert_string_equal(t_cs(r, "totals", 0, "period"), "2026-Q1");
  assert_int_equal(t_ci(r, "totals", 0, "purchases"), 1);
  assert_int_equal(t_ci(r, "totals", 0, "value"), RUB(1000));
  assert_int_equal(t_ci(r, "totals", 0, "quotes"), 2);
  assert_int_equal(t_ci(r, "totals", 0, "converted"), 1);
  assert_int_equal(t_ci(r, "totals", 0, "conversion"), 5000);
  assert_int_equal(t_ci(r, "totals", 1, "clients"), 2);
  assert_int_equal(t_ci(r, "totals", 1, "purchases"), 2);
  assert_int_equal(t_ci(r, "totals", 1, "refunds"), 1);
  assert_int_equal(t_ci(r, "totals", 1, "value"), RUB(1300));
  assert_int_equal(t_ci(r, "totals", 1, "conversion"), 6667);
  assert_int_equal(t_ci(r, "summary", 0, "clients"), 3);
  assert_int_equal(t_ci(r, "summary", 0, "value"), RUB(2300));
  assert_int_equal(t_ci(r, "summary", 0, "conversion"), 6000);
  /* the client file: П1 Q1, П2 Q2 (1 purchase, 700), П3 Q2; largest first */
  assert_int_equal(t_nrows(r, "clients"), 3);
  assert_string_equal(t_cs(r, "clients", 0, "client"), "П1");
  size_t k2 = t_row_of(r, "clients", "client", "П2");
  assert_string_equal(t_cs(r, "clients", k2, "period"), "2026-Q2");
  assert_int_equal(t_ci(r, "clients", k2, "purchases"), 1);
  assert_int_equal(t_ci(r, "clients", k2, "value"), RUB(700));
  const char *months[] = {"2026-02", "2026-04", "2026-05", "2026-06"};
  int64_t shares[] = {4348, 3478, 2609, -435};
  assert_int_equal(t_nrows(r, "busiest"), 4);
  for (size_t i = 0; i < 4; i++) {
    assert_string_equal(t_cs(r, "busiest", i, "month"), months[i]);
    assert_int_equal(t_ci(r, "busiest", i, "share"), shares[i]);
  }
  cl_report_free(r);
  /* by year over the default span: 3 years up to the as-of date */
  cl_report_opts y = {.at = "2026-12-31", .period = "year"};
  r = t_run(f, "period", &y);
  assert_int_equal(t_nrows(r, "totals"), 3);
  assert_string_equal(t_cs(r, "totals", 0, "period"), "2024");
  assert_int_equal(t_ci(r, "totals", 2, "purchases"), 4);
  cl_report_free(r);
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
