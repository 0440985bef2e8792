/* Unit tests for kt_hlc with a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_hlc.h"

static uint64_t fake_clock(void *ud) { return *(uint64_t *)ud; }

static void test_now_monotonic(void **state) {
  (void)state;
  uint64_t wall = 1000;
  kt_hlc h;
  kt_hlc_init(&h, 0, fake_clock, &wall);
  kt_stamp a = kt_hlc_now(&h);
  assert_true(a == KT_STAMP_MAKE(1000, 0));
  kt_stamp b = kt_hlc_now(&h); /* same ms: counter */
  assert_true(b == KT_STAMP_MAKE(1000, 1));
  wall = 900; /* clock goes back */
  kt_stamp c = kt_hlc_now(&h);
  assert_true(c == KT_STAMP_MAKE(1000, 2));
  wall = 2000;
  kt_stamp d = kt_hlc_now(&h);
  assert_true(d == KT_STAMP_MAKE(2000, 0));
  assert_int_equal(KT_STAMP_MS(d), 2000);
  assert_int_equal(KT_STAMP_CTR(c), 2);
}

static void test_counter_carry(void **state) {
  (void)state;
  uint64_t wall = 5;
  kt_hlc h;
  kt_hlc_init(&h, KT_STAMP_MAKE(5, 0xfffe), fake_clock, &wall);
  kt_stamp a = kt_hlc_now(&h);
  assert_true(a == KT_STAMP_MAKE(5, 0xffff));
  kt_stamp b = kt_hlc_now(&h);
  assert_true(b == KT_STAMP_MAKE(6, 0)); /* carried into ms */
  assert_true(b > a);
}

static void test_init_last(void **state) {
  (void)state;
  uint64_t wall = 100;
  kt_hlc h;
  kt_hlc_init(&h, KT_STAMP_MAKE(500, 7), fake_clock, &wall); /* persisted stamp ahead of wall */
  assert_true(kt_hlc_now(&h) == KT_STAMP_MAKE(500, 8));
}

static void test_recv(void **state) {
  (void)state;
  uint64_t wall = 10000;
  kt_hlc h;
  kt_hlc_init(&h, 0, fake_clock, &wall);
  kt_stamp local = kt_hlc_now(&h);
  kt_stamp remote = KT_STAMP_MAKE(12000, 3); /* 2 s ahead: allowed with 60 s */
  assert_int_equal(kt_hlc_recv(&h, remote, 60000, NULL), 0);
  kt_stamp next = kt_hlc_now(&h);
  assert_true(next > remote);
  assert_true(next > local);
  assert_true(next == KT_STAMP_MAKE(12000, 4));
  /* an older remote stamp does not move the clock back */
  assert_int_equal(kt_hlc_recv(&h, KT_STAMP_MAKE(1, 0), 60000, NULL), 0);
  assert_true(kt_hlc_now(&h) == KT_STAMP_MAKE(12000, 5));
}

static void test_recv_too_far_ahead(void **state) {
  (void)state;
  uint64_t wall = 1000000;
  kt_hlc h;
  kt_hlc_init(&h, 0, fake_clock, &wall);
  kt_err e;
  kt_err_clear(&e);
  kt_stamp remote = KT_STAMP_MAKE(wall + 3600 * 1000, 0); /* an hour ahead */
  assert_int_equal(kt_hlc_recv(&h, remote, 60000, &e), KT_ECLOCK);
  assert_int_equal(e.code, KT_ECLOCK);
  assert_non_null(strstr(e.msg, "3600 s ahead"));
  assert_non_null(strstr(e.msg, "NTP"));
  assert_true(h.last == 0); /* not advanced */
  /* limit 0 = accept anything */
  assert_int_equal(kt_hlc_recv(&h, remote, 0, NULL), 0);
  assert_true(h.last == remote);
}

static void test_real_clock_and_format(void **state) {
  (void)state;
  uint64_t t = kt_now_ms();
  assert_true(t > UINT64_C(1700000000000));
  kt_hlc h;
  kt_hlc_init(&h, 0, NULL, NULL);
  kt_stamp a = kt_hlc_now(&h), b = kt_hlc_now(&h);
  assert_true(b > a);
  assert_true(KT_STAMP_MS(a) >= t);
  char s[40];
  kt_stamp_format(KT_STAMP_MAKE(UINT64_C(1795341600123), 5), s);
  assert_string_equal(s, "2026-11-22T10:00:00.123Z#5");
  kt_stamp_format(0, s);
  assert_string_equal(s, "1970-01-01T00:00:00.000Z#0");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_now_monotonic),      cmocka_unit_test(test_counter_carry),
      cmocka_unit_test(test_init_last),          cmocka_unit_test(test_recv),
      cmocka_unit_test(test_recv_too_far_ahead), cmocka_unit_test(test_real_clock_and_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
