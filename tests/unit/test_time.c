/* Unit tests for kt_time: dates, local time incl. DST, money, durations, numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "kt_time.h"

static void set_tz(const char *tz) {
  setenv("TZ", tz, 1);
  tzset();
}

static void test_date(void **state) {
  (void)state;
  char out[11];
  kt_err e;
  assert_int_equal(kt_date_parse("2026-11-22", out, &e), 0);
  assert_string_equal(out, "2026-11-22");
  assert_int_equal(kt_date_parse(" 22.11.2026 ", out, &e), 0);
  assert_string_equal(out, "2026-11-22");
  assert_int_equal(kt_date_parse("2026-1-5", out, &e), 0);
  assert_string_equal(out, "2026-01-05");
  assert_int_equal(kt_date_parse("2024-02-29", out, &e), 0); /* leap year */
  assert_int_equal(kt_date_parse("2000-02-29", out, &e), 0); /* divisible by 400 */
  assert_string_equal(out, "2000-02-29");
  const char *bad[] = {"",           "2026-11",    "2026-13-01",  "2026-02-29",
                       "1900-02-29", "2026-04-31", "2026-11-22x", "26-11-22",
                       "22/11/2026", "2026-11-00", "0000-01-01",  "2026-011-22"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    strcpy(out, "unchanged");
    kt_err_clear(&e);
    assert_int_equal(kt_date_parse(bad[i], out, &e), KT_EINVAL);
    assert_string_equal(out, "unchanged");
    assert_non_null(strstr(e.msg, "use YYYY-MM-DD, e.g. 2026-11-22"));
  }
  kt_date_parse("x", out, &e);
  assert_string_equal(e.msg, "bad date 'x': use YYYY-MM-DD, e.g. 2026-11-22");
  kt_date_parse("2026-02-29", out, &e);
  assert_non_null(strstr(e.msg, "has only 28 days"));
}

/* 2026-11-22T07:00:00Z = 10:00 in Moscow (UTC+3, no DST) */
#define T_1000_MSK INT64_C(1795330800000)

static void test_datetime_moscow(void **state) {
  (void)state;
  set_tz("Europe/Moscow");
  int64_t ms = 0;
  kt_err e;
  assert_int_equal(kt_datetime_parse("2026-11-22T10:00", &ms, &e), 0);
  assert_true(ms == T_1000_MSK);
  assert_int_equal(kt_datetime_parse("2026-11-22 10:00", &ms, &e), 0);
  assert_true(ms == T_1000_MSK);
  assert_int_equal(kt_datetime_parse("22.11.2026 10:00", &ms, &e), 0);
  assert_true(ms == T_1000_MSK);
  assert_int_equal(kt_datetime_parse("2026-11-22T10:00:30", &ms, &e), 0);
  assert_true(ms == T_1000_MSK + 30000);
  assert_int_equal(kt_datetime_parse("2026-11-22T10:00:30.25", &ms, &e), 0);
  assert_true(ms == T_1000_MSK + 30250);
  assert_int_equal(kt_datetime_parse("2026-11-22T07:00Z", &ms, &e), 0);
  assert_true(ms == T_1000_MSK);
  assert_int_equal(kt_datetime_parse("2026-11-22T10:00+03:00", &ms, &e), 0);
  assert_true(ms == T_1000_MSK);
  assert_int_equal(kt_datetime_parse("2026-11-22 12:30 +0530", &ms, &e), 0);
  assert_true(ms == T_1000_MSK);
  assert_int_equal(kt_datetime_parse("2026-11-22T01:30-0530", &ms, &e), 0);
  assert_true(ms == T_1000_MSK);                                 /* 01:30 at -05:30 is 07:00Z */
  assert_int_equal(kt_datetime_parse("2026-11-22", &ms, &e), 0); /* local midnight */
  assert_true(ms == T_1000_MSK - INT64_C(10) * 3600000);
  const char *bad[] = {"2026-11-22T",        "2026-11-22T25:00",     "2026-11-22 10", "2026-11-22 10:60",
                       "2026-11-22T10:00+3", "2026-11-22T10:00 MSK", "tomorrow",      "2026-11-22T10:00:00."};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ms = 42;
    kt_err_clear(&e);
    assert_int_equal(kt_datetime_parse(bad[i], &ms, &e), KT_EINVAL);
    assert_true(ms == 42);
    assert_true(strlen(e.msg) > 20);
  }
  char out[40];
  kt_datetime_format(T_1000_MSK, false, out, sizeof out);
  assert_string_equal(out, "2026-11-22 10:00");
  kt_datetime_format(T_1000_MSK + 30999, false, out, sizeof out);
  assert_string_equal(out, "2026-11-22 10:00:30");
  kt_datetime_format(T_1000_MSK, true, out, sizeof out);
  assert_string_equal(out, "2026-11-22T10:00:00+03:00");
  kt_datetime_format(-1, true, out, sizeof out); /* before 1970: floor, not truncation */
  assert_string_equal(out, "1970-01-01T02:59:59+03:00");
  char tiny[11];
  kt_datetime_format(T_1000_MSK, false, tiny, sizeof tiny);
  assert_string_equal(tiny, "2026-11-22");
}

static void test_datetime_dst(void **state) {
  (void)state;
  set_tz("Europe/Warsaw");
  int64_t ms;
  char out[40];
  /* spring forward: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z) */
  const int64_t jump = INT64_C(1774746000000); /* 2026-03-29T01:00:00Z */
  assert_int_equal(kt_datetime_parse("2026-03-29 01:59", &ms, NULL), 0);
  assert_true(ms == jump - 60000);
  assert_int_equal(kt_datetime_parse("2026-03-29 03:00", &ms, NULL), 0);
  assert_true(ms == jump);
  /* 02:30 does not exist: moves forward by the gap, to 03:30 CEST */
  assert_int_equal(kt_datetime_parse("2026-03-29 02:30", &ms, NULL), 0);
  assert_true(ms == jump + 30 * 60000);
  kt_datetime_format(ms, false, out, sizeof out);
  assert_string_equal(out, "2026-03-29 03:30");
  kt_datetime_format(ms, true, out, sizeof out);
  assert_string_equal(out, "2026-03-29T03:30:00+02:00");
  kt_datetime_format(jump - 1000, true, out, sizeof out);
  assert_string_equal(out, "2026-03-29T01:59:59+01:00");
  /* fall back: 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z); 02:30 happens twice */
  const int64_t back = INT64_C(1792890000000); /* 2026-10-25T01:00:00Z */
  assert_int_equal(kt_datetime_parse("2026-10-25 02:30", &ms, NULL), 0);
  assert_true(ms == back - 30 * 60000); /* the earlier one, still CEST */
  kt_datetime_format(ms, true, out, sizeof out);
  assert_string_equal(out, "2026-10-25T02:30:00+02:00");
  kt_datetime_format(ms + 3600000, true, out, sizeof out);
  assert_string_equal(out, "2026-10-25T02:30:00+01:00");
  assert_int_equal(kt_datetime_parse("2026-10-25 03:00", &ms, NULL), 0);
  assert_true(ms == back + 3600000);
  /* explicit offsets are not affected by the zone */
  assert_int_equal(kt_datetime_parse("2026-03-29T02:30+01:00", &ms, NULL), 0);
  assert_true(ms == jump + 30 * 60000);
  /* summer and winter */
  assert_int_equal(kt_datetime_parse("2026-07-01 12:00", &ms, NULL), 0);
  kt_datetime_format(ms, true, out, sizeof out);
  assert_string_equal(out, "2026-07-01T12:00:00+02:00");
  assert_int_equal(kt_datetime_parse("2026-01-01", &ms, NULL), 0);
  kt_datetime_format(ms, true, out, sizeof out);
  assert_string_equal(out, "2026-01-01T00:00:00+01:00");
  /* UTC itself */
  set_tz("UTC");
  assert_int_equal(kt_datetime_parse("1970-01-01 00:00", &ms, NULL), 0);
  assert_true(ms == 0);
}

static void test_money(void **state) {
  (void)state;
  struct {
    const char *in;
    int64_t want;
  } ok[] = {{"1234.50", 123450},
            {"1 234,50", 123450},
            {"1234", 123400},
            {"-5.5", -550},
            {"+7", 700},
            {".5", 50},
            {"0,05", 5},
            {"1,234.50", 123450},
            {"1.234.567,89", 123456789},
            {"1 234 567", 123456700},
            {"1\xC2\xA0"
             "234,5",
             123450},
            {"1'000.00", 100000},
            {"  12.3  ", 1230},
            {"-0", 0},
            {"92233720368547758.07", INT64_MAX},
            {"-92233720368547758.08", INT64_MIN}};
  kt_err e;
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int64_t c = 1;
    int rc = kt_money_parse(ok[i].in, &c, &e);
    if (rc) fail_msg("'%s': %s", ok[i].in, e.msg);
    assert_true(c == ok[i].want);
  }
  const char *bad[] = {
      "",         "abc",      "1234,5 ₽",    "$5", "1.234", "1,234", "1.999",
      "12 34",    "1 234 56", "1,234,567.891", "5.", "--5",   "1e3",   "92233720368547758.08",
      "1.2.3,4.5"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t c = 42;
    kt_err_clear(&e);
    if (kt_money_parse(bad[i], &c, &e) != KT_EINVAL) fail_msg("accepted '%s'", bad[i]);
    assert_true(c == 42);
    assert_non_null(strstr(e.msg, "bad amount"));
  }
  char out[32];
  kt_money_format(123450, out, sizeof out);
  assert_string_equal(out, "1234.50");
  kt_money_format(-550, out, sizeof out);
  assert_string_equal(out, "-5.50");
  kt_money_format(5, out, sizeof out);
  assert_string_equal(out, "0.05");
  kt_money_format(INT64_MIN, out, sizeof out);
  assert_string_equal(out, "-92233720368547758.08");
}

static void test_duration(void **state) {
  (void)state;
  struct {
    const char *in;
    int64_t want;
  } ok[] = {{"90", 90},     {"90m", 90},   {"90min", 90}, {"1h", 60},     {"1h30m", 90},
            {"1h 30m", 90}, {"1h30", 90},  {"1:30", 90},  {"2d", 2880},   {"2d3h", 3060},
            {"0", 0},       {"1ч30м", 90}, {"2д", 2880},  {"45 мин", 45}, {"10:05", 605}};
  kt_err e;
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int64_t m = -1;
    if (kt_duration_parse(ok[i].in, &m, &e)) fail_msg("'%s': %s", ok[i].in, e.msg);
    assert_true(m == ok[i].want);
  }
  const char *bad[] = {
      "", "h", "1x", "30m1h", "1h1h", "1:3", "1:60", "-5", "1.5h", "1h30s", "99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t m = 42;
    if (kt_duration_parse(bad[i], &m, &e) != KT_EINVAL) fail_msg("accepted '%s'", bad[i]);
    assert_true(m == 42);
  }
  char out[32];
  kt_duration_format(90, out, sizeof out);
  assert_string_equal(out, "1h30m");
  kt_duration_format(45, out, sizeof out);
  assert_string_equal(out, "45m");
  kt_duration_format(120, out, sizeof out);
  assert_string_equal(out, "2h");
  kt_duration_format(0, out, sizeof out);
  assert_string_equal(out, "0m");
  kt_duration_format(1440 + 120, out, sizeof out);
  assert_string_equal(out, "1d2h");
  kt_duration_format(-15, out, sizeof out);
  assert_string_equal(out, "-15m");
  /* format -> parse round trip */
  for (int64_t m = 0; m < 3000; m += 7) {
    int64_t back;
    kt_duration_format(m, out, sizeof out);
    assert_int_equal(kt_duration_parse(out, &back, NULL), 0);
    assert_true(back == m);
  }
}

static void test_numbers(void **state) {
  (void)state;
  int64_t v = 0;
  kt_err e;
  assert_int_equal(kt_int_parse(" 42 ", &v, &e), 0);
  assert_true(v == 42);
  assert_int_equal(kt_int_parse("-9223372036854775808", &v, &e), 0);
  assert_true(v == INT64_MIN);
  assert_int_equal(kt_int_parse("9223372036854775807", &v, &e), 0);
  assert_true(v == INT64_MAX);
  v = 7;
  assert_int_equal(kt_int_parse("9223372036854775808", &v, &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "out of range"));
  assert_int_equal(kt_int_parse("x", &v, &e), KT_EINVAL);
  assert_string_equal(e.msg, "not a number: 'x'");
  assert_int_equal(kt_int_parse("1.5", &v, &e), KT_EINVAL);
  assert_int_equal(kt_int_parse("-", &v, &e), KT_EINVAL);
  assert_int_equal(kt_int_parse("", &v, &e), KT_EINVAL);
  assert_true(v == 7);

  char out[32];
  struct {
    const char *in, *want;
  } ok[] = {{"0,5", "0.5"}, {"0.50", "0.5"}, {".5", "0.5"},     {"-007", "-7"}, {"1.0", "1"},
            {"-0.0", "0"},  {"12", "12"},    {"+3,25", "3.25"}, {"000", "0"},   {" 10.010 ", "10.01"}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    assert_int_equal(kt_decimal_parse(ok[i].in, out, sizeof out, &e), 0);
    assert_string_equal(out, ok[i].want);
  }
  const char *bad[] = {"", "abc", "1.", "1.2.3", "1,2,3", "1e5", "-", ". 5", "1 000"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    kt_err_clear(&e);
    if (kt_decimal_parse(bad[i], out, sizeof out, &e) != KT_EINVAL) fail_msg("accepted '%s'", bad[i]);
    assert_non_null(strstr(e.msg, "not a number"));
  }
  char tiny[4];
  assert_int_equal(kt_decimal_parse("12.5", tiny, sizeof tiny, &e), KT_EINVAL);
  assert_int_equal(kt_decimal_parse("2.5", tiny, sizeof tiny, &e), 0);
  assert_string_equal(tiny, "2.5");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_date),         cmocka_unit_test(test_datetime_moscow),
      cmocka_unit_test(test_datetime_dst), cmocka_unit_test(test_money),
      cmocka_unit_test(test_duration),     cmocka_unit_test(test_numbers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
