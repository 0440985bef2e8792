/* Unit tests for cl_report, continued (see test_report.c): the funnel and
 * managers reports, clients made of contacts (a contact's organization, a
 * private client, a card in the trash), the measures (payments, units summed
 * exactly), one purchase, a card's sales figures and ABC class (`show`), a
 * client with many deals entered out of order, and bad options. Expected
 * numbers worked out by hand in the comments. */
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
  const char *f1 = t_org_with(f, "F1", "stage", "0.5", NULL, NULL);
  const char *f2 = t_org_with(f, "F2", "stage", "0.7", "color", "green");
  const char *f3 = t_org_with(f, "F3", "stage", "0.7", NULL, NULL);
  const char *f4 = t_org_with(f, "F4", "stage", "1.0", NULL, NULL);
  const char *f5 = t_org(f, "F5", NULL), *f6 = t_org(f, "F6", NULL), *f7 = t_org(f, "F7", NULL);
  (void)f1;
  kt_err err;
  int changed;
  cl_set warm = {"temperature", "warm"};
  assert_int_equal(cl_store_edit(f->s, f2, &warm, 1, &changed, &err), 0);
  t_deal(f, f2, "2026-06-01", "10");
  t_deal(f, f3, "2026-04-02", "10");
  t_deal(f, f4, "2026-05-01", "10");
  t_deal(f, f4, "2026-06-01", "10");
  t_deal(f, f4, "2026-06-20", "10");
  t_deal(f, f5, "2026-01-01", "10");
  t_deal(f, f5, "2026-01-11", "10");
  t_deal(f, f5, "2026-01-21", "10");
  const char *monthly[] = {"2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01",
                           "2025-06-01"};
  for (int m = 0; m < 6; m++) t_deal(f, f6, monthly[m], "10");
  t_deal(f, f7, "2026-04-01", "10");
  cl_report_opts o = {.at = "2026-07-01"};
  cl_report *r = t_run(f, "funnel", &o);
  const char *st[] = {"0.5", "0.6", "0.7", "0.8", "0.9", "1.0", "(not set)"};
  int64_t cards[] = {1, 0, 2, 0, 0, 1, 3}, reached[] = {4, 3, 3, 1, 1, 1};
  int64_t conv[] = {7500, 10000, 3333, 10000, 10000};
  assert_int_equal(t_nrows(r, "stages"), 7);
  for (size_t i = 0; i < 7; i++) {
    assert_string_equal(t_cs(r, "stages", i, "stage"), st[i]);
    assert_int_equal(t_ci(r, "stages", i, "cards"), cards[i]);
    if (i < 6) assert_int_equal(t_ci(r, "stages", i, "reached"), reached[i]);
    if (i < 5) assert_int_equal(t_ci(r, "stages", i, "conversion"), conv[i]);
  }
  assert_true(t_isnull(r, "stages", 5, "conversion"));
  struct {
    const char *v;
    int set, derived;
  } col_want[] = {{"white", 0, 1}, {"green", 1, 0}, {"gold", 0, 2}, {"platinum", 0, 1},
                  {"red-gold", 0, 1}, {"red-platinum", 0, 1}, {"grey", 0, 0}};
  for (size_t i = 0; i < sizeof col_want / sizeof col_want[0]; i++) {
    size_t k = t_row_of(r, "colours", "value", col_want[i].v);
    assert_int_equal(t_ci(r, "colours", k, "set"), col_want[i].set);
    assert_int_equal(t_ci(r, "colours", k, "derived"), col_want[i].derived);
  }
  assert_int_equal(t_ci(r, "temperatures", t_row_of(r, "temperatures", "value", "cold"), "derived"), 1);
  assert_int_equal(t_ci(r, "temperatures", t_row_of(r, "temperatures", "value", "warm"), "set"), 1);
  assert_int_equal(t_ci(r, "temperatures", t_row_of(r, "temperatures", "value", "hot"), "derived"), 2);
  assert_int_equal(t_ci(r, "temperatures", t_row_of(r, "temperatures", "value", "(not set)"), "cards"), 3);
  assert_int_equal(t_ci(r, "summary", 0, "cards"), 7);
  assert_int_equal(t_ci(r, "summary", 0, "buyers"), 6);
  assert_int_equal(t_ci(r, "summary", 0, "lapsed"), 2);
  size_t k5 = t_row_of(r, "cards", "client", "F5");
  assert_string_equal(t_cs(r, "cards", k5, "color"), "red-gold");
  assert_string_equal(t_cs(r, "cards", k5, "color_source"), "derived");
  assert_string_equal(t_cs(r, "cards", t_row_of(r, "cards", "client", "F2"), "color_source"), "set");
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
  const char *i1 = t_org(f, "И1", "ivanov");
  cl_store_set_clock(f->s, NULL, NULL);
  const char *p1 = t_org(f, "П1", "petrov"); /* created today (not in June 2026) */
  /* June 2026, as of 2026-06-30:
     ivanov (И1): 06-10 1000 paid 400; 06-20 refund -100 paid -100; 05-10 500
       unpaid (before the period). Sales 900, payments 300, purchases 1; debt of
       the period 600, up to its end 600 + 500 = 1100. New clients: 1.
       Events: call reached 06-11, meeting agreed 06-12, call without result
       06-13, a cancelled call 06-14, a call in May: 3 counted.
     petrov (П1): 06-05 2000 paid 2000: debt 0. Event: a letter (assignee
       unset, so the owner's) refused 06-15. */
  t_deal_full(f, i1, NULL, "2026-06-10", "1000", NULL, "400", NULL);
  t_deal_full(f, i1, NULL, "2026-06-20", "-100", NULL, "-100", NULL);
  t_deal_full(f, i1, NULL, "2026-05-10", "500", NULL, NULL, NULL);
  t_deal_full(f, p1, NULL, "2026-06-05", "2000", "paid", "2000", NULL);
  t_event(f, i1, "ivanov", "call", "reached", "2026-06-11T10:00", "done");
  t_event(f, i1, "ivanov", "meeting", "agreed", "2026-06-12T10:00", NULL);
  t_event(f, i1, "ivanov", "call", NULL, "2026-06-13T10:00", NULL);
  t_event(f, i1, "ivanov", "call", NULL, "2026-06-14T10:00", "cancelled");
  t_event(f, i1, "ivanov", "call", "reached", "2026-05-14T10:00", NULL);
  kt_err err;
  char id[37];
  cl_set ev[] = {{"org", p1}, {"type", "letter"}, {"result", "refused"}, {"owner", "petrov"},
                 {"start", "2026-06-15T10:00"}, {"title", "x"}};
  assert_int_equal(cl_store_add(f->s, "event", ev, 6, id, &err), 0);
  cl_report_opts o = {.at = "2026-06-30"};
  cl_report *r = t_run(f, "managers", &o);
  assert_int_equal(t_nrows(r, "managers"), 2);
  assert_string_equal(t_cs(r, "managers", 0, "manager"), "ivanov");
  assert_int_equal(t_ci(r, "managers", 0, "clients"), 1);
  assert_int_equal(t_ci(r, "managers", 0, "new_clients"), 1);
  assert_int_equal(t_ci(r, "managers", 0, "purchases"), 1);
  assert_int_equal(t_ci(r, "managers", 0, "sales"), RUB(900));
  assert_int_equal(t_ci(r, "managers", 0, "payments"), RUB(300));
  assert_int_equal(t_ci(r, "managers", 0, "debt"), RUB(600));
  assert_int_equal(t_ci(r, "managers", 0, "debt_total"), RUB(1100));
  assert_int_equal(t_ci(r, "managers", 1, "new_clients"), 0);
  assert_int_equal(t_ci(r, "managers", 1, "debt_total"), 0);
  assert_int_equal(t_ci(r, "events_by_type", 0, "call"), 2);
  assert_int_equal(t_ci(r, "events_by_type", 0, "meeting"), 1);
  assert_int_equal(t_ci(r, "events_by_type", 0, "total"), 3);
  assert_int_equal(t_ci(r, "events_by_result", 0, "reached"), 1);
  assert_int_equal(t_ci(r, "events_by_result", 0, "agreed"), 1);
  assert_int_equal(t_ci(r, "events_by_result", 0, "no_result"), 1);
  assert_int_equal(t_ci(r, "events_by_type", 1, "letter"), 1);
  assert_int_equal(t_ci(r, "events_by_result", 1, "refused"), 1);
  cl_report_free(r);
  o.owner = "petrov";
  r = t_run(f, "managers", &o);
  assert_int_equal(t_nrows(r, "managers"), 1);
  assert_string_equal(t_cs(r, "managers", 0, "manager"), "petrov");
  assert_int_equal(t_nrows(r, "events_by_type"), 1);
  cl_report_free(r);
}

/* ---- clients made of contacts, measures, one purchase ---------------------------------- */

static void test_contacts_measures_one_purchase(void **state) {
  fx *f = *state;
  const char *o1 = t_org(f, "Орг", NULL), *gone = t_org(f, "Удалённая", NULL);
  const char *c1 = t_contact(f, "Петрова", "Анна", o1), *priv = t_contact(f, "Сидоров", "Пётр", NULL);
  const char *c2 = t_contact(f, "Смирнов", "Иван", gone);
  /* Орг: a deal of its own and one given only its contact: 2 purchases.
     Сидоров Пётр (no organization) is a private client. A deal of a contact
     whose organization is in the trash belongs to nobody here (a note).
     Units 0.1 + 0.2 sum to exactly 0.3; paid counts what was paid. */
  t_deal_full(f, o1, NULL, "2026-06-01", "100", NULL, "60", "0.1");
  t_deal_full(f, NULL, c1, "2026-06-02", "200", NULL, "200", "0.2");
  t_deal_full(f, NULL, priv, "2026-06-03", "50", NULL, NULL, "1");
  t_deal_full(f, NULL, c2, "2026-06-04", "70", NULL, NULL, NULL);
  t_deal_full(f, NULL, NULL, "2026-06-05", "80", NULL, NULL, NULL); /* no client at all */
  kt_err err;
  assert_int_equal(cl_store_delete(f->s, gone, &err), 0);
  cl_report_opts o = {.at = "2026-07-01", .measure = "units"};
  cl_report *r = t_run(f, "abc", &o);
  assert_int_equal(t_nrows(r, "clients"), 2);
  assert_string_equal(t_cs(r, "clients", 0, "client"), "Сидоров Пётр");
  assert_int_equal(t_ci(r, "clients", 0, "value"), 1000000);
  assert_int_equal(t_ci(r, "clients", 1, "value"), 300000); /* 0.3 units exactly */
  kt_buf b = KT_BUF_INIT;
  cl_rcell x = t_cell(r, "clients", 1, "value");
  cl_rcell_format(CL_RT_UNITS, &x, &b);
  assert_string_equal(kt_buf_str(&b), "0.3");
  kt_buf_free(&b);
  assert_true(t_has_note(r, "left out: 2 deals of no client card on this PC"));
  cl_report_free(r);
  o.measure = "payments";
  r = t_run(f, "abc", &o);
  assert_int_equal(t_ci(r, "clients", 0, "value"), RUB(260)); /* Орг: 60 + 200; Сидоров paid nothing */
  assert_int_equal(t_nrows(r, "clients"), 1);
  cl_report_free(r);
  /* one purchase: no interval, never lapsed; RFM of one client is 333 */
  o.measure = NULL;
  r = t_run(f, "lapsed", &o);
  assert_int_equal(t_nrows(r, "clients"), 0);
  cl_report_free(r);
  r = t_run(f, "rfm", &o);
  size_t k = t_row_of(r, "clients", "client", "Сидоров Пётр");
  assert_int_equal(t_ci(r, "clients", k, "frequency"), 1);
  cl_report_free(r);
  /* the card's own figures (as of today: these deals are in the past) */
  cl_client_sales cs1;
  assert_int_equal(cl_report_client_sales(f->s, o1, &cs1, &err), 0);
  assert_int_equal(cs1.purchases, 2);
  assert_int_equal(cs1.first_day, t_day("2026-06-01"));
  assert_int_equal(cs1.last_day, t_day("2026-06-02"));
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
  const char *a = t_org(f, "A", NULL), *b = t_org(f, "B", NULL), *c = t_org(f, "C", NULL),
             *d = t_org(f, "D", NULL), *e = t_org(f, "E", NULL);
  t_deal(f, a, recent, "700");
  t_deal(f, b, recent, "200");
  t_deal(f, c, recent, "100");
  t_deal(f, d, old, "5000");
  t_deal(f, e, planned, "5000");
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
  const char *a = t_org(f, "Много", NULL);
  kt_err err;
  assert_int_equal(cl_store_begin(f->s, &err), 0);
  for (int i = 0; i < 100; i++) {
    int k = (i * 37) % 100; /* every day of 2026-01-01 + 0..99 once, shuffled */
    char d[11];
    cl_report_day_format(t_day("2026-01-01") + k, d);
    t_deal(f, a, d, "10");
  }
  assert_int_equal(cl_store_commit(f->s, &err), 0);
  cl_report_opts o = {.at = "2026-12-31"};
  cl_report *r = t_run(f, "activity", &o);
  assert_int_equal(t_ci(r, "clients", 0, "first"), t_day("2026-01-01"));
  assert_int_equal(t_ci(r, "clients", 0, "last"), t_day("2026-04-10"));
  assert_int_equal(t_ci(r, "clients", 0, "interval"), 10); /* 99 days / 99 intervals */
  assert_int_equal(t_ci(r, "clients", 0, "spread"), 0);
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
      cmocka_unit_test_setup_teardown(test_funnel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_managers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_contacts_measures_one_purchase, setup, teardown),
      cmocka_unit_test_setup_teardown(test_client_sales_abc_class, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many_deals_out_of_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
