/* Unit tests for kt_uuid: UUIDv7 layout, monotonicity, text round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_uuid.h"

static void test_layout(void **state) {
  (void)state;
  kt_uuid_gen g;
  memset(&g, 0, sizeof g);
  kt_uuid u;
  uint64_t ms = UINT64_C(1795341600123); /* 2026-11-22T10:00:00.123Z */
  assert_int_equal(kt_uuid_gen_next(&g, ms, &u, NULL), 0);
  assert_true(kt_uuid_v7_ms(&u) == ms);
  assert_int_equal(kt_uuid_version(&u), 7);
  assert_int_equal(u.b[8] & 0xC0, 0x80); /* RFC 9562 variant */
  assert_true(((unsigned)(u.b[6] & 0x0F) << 8 | u.b[7]) < 0x800); /* counter starts low */
  char s[KT_UUID_STRLEN + 1];
  kt_uuid_format(&u, s);
  assert_int_equal(strlen(s), 36);
  assert_int_equal(s[14], '7');
  assert_non_null(strchr("89ab", s[19]));
  assert_memory_equal(s, "01a202b2-c57b-7", 15); /* 48-bit ms 0x01a202b2c57b, version 7 */
  kt_uuid back;
  assert_int_equal(kt_uuid_parse(s, &back), 0);
  assert_memory_equal(back.b, u.b, 16);
}

static void test_monotonic_same_ms(void **state) {
  (void)state;
  kt_uuid_gen g;
  memset(&g, 0, sizeof g);
  kt_uuid prev, cur;
  char ps[37], cs[37];
  assert_int_equal(kt_uuid_gen_next(&g, 1000, &prev, NULL), 0);
  /* 10000 ids in the same ms: overflows the 12-bit counter; must still increase */
  for (int i = 0; i < 10000; i++) {
    assert_int_equal(kt_uuid_gen_next(&g, 1000, &cur, NULL), 0);
    assert_true(kt_uuid_cmp(&prev, &cur) < 0);
    kt_uuid_format(&prev, ps);
    kt_uuid_format(&cur, cs);
    assert_true(strcmp(ps, cs) < 0);
    prev = cur;
  }
  assert_true(kt_uuid_v7_ms(&cur) > 1000); /* borrowed future ms */
  assert_true(kt_uuid_v7_ms(&cur) < 1010);
}

static void test_clock_back(void **state) {
  (void)state;
  kt_uuid_gen g;
  memset(&g, 0, sizeof g);
  kt_uuid a, b, c;
  assert_int_equal(kt_uuid_gen_next(&g, 5000, &a, NULL), 0);
  assert_int_equal(kt_uuid_gen_next(&g, 4000, &b, NULL), 0); /* clock went back */
  assert_true(kt_uuid_v7_ms(&b) == 5000);
  assert_true(kt_uuid_cmp(&a, &b) < 0);
  assert_int_equal(kt_uuid_gen_next(&g, 6000, &c, NULL), 0);
  assert_true(kt_uuid_v7_ms(&c) == 6000);
  assert_true(kt_uuid_cmp(&b, &c) < 0);
  kt_err e;
  kt_err_clear(&e);
  assert_int_equal(kt_uuid_gen_next(&g, UINT64_C(1) << 48, &c, &e), KT_EINVAL);
  assert_int_equal(e.code, KT_EINVAL);
}

static void test_random_differs(void **state) {
  (void)state;
  kt_uuid_gen g1, g2;
  memset(&g1, 0, sizeof g1);
  memset(&g2, 0, sizeof g2);
  kt_uuid a, b;
  assert_int_equal(kt_uuid_gen_next(&g1, 1000, &a, NULL), 0);
  assert_int_equal(kt_uuid_gen_next(&g2, 1000, &b, NULL), 0);
  assert_memory_not_equal(a.b + 8, b.b + 8, 8); /* 62 random bits: collision ~ 2^-62 */
  /* pool refills: 300 ids use more than 256 random bytes */
  for (int i = 0; i < 300; i++) assert_int_equal(kt_uuid_gen_next(&g1, 2000 + (uint64_t)i, &a, NULL), 0);
  assert_true(g1.pool_left <= sizeof g1.pool);
  unsigned char buf[1000];
  memset(buf, 0, sizeof buf);
  assert_int_equal(kt_random_bytes(buf, sizeof buf, NULL), 0);
  int nz = 0;
  for (size_t i = 0; i < sizeof buf; i++) nz += buf[i] != 0;
  assert_true(nz > 900);
  assert_int_equal(kt_random_bytes(buf, 0, NULL), 0);
}

static void test_parse(void **state) {
  (void)state;
  kt_uuid u;
  assert_int_equal(kt_uuid_parse("019A6B2E-1F3C-7ABC-8DEF-0123456789AB", &u), 0);
  char s[37];
  kt_uuid_format(&u, s);
  assert_string_equal(s, "019a6b2e-1f3c-7abc-8def-0123456789ab");
  assert_true(kt_uuid_str_is_valid("00000000-0000-0000-0000-000000000000"));
  const char *bad[] = {NULL, "", "019a6b2e-1f3c-7abc-8def-0123456789a",
                       "019a6b2e-1f3c-7abc-8def-0123456789abc", "019a6b2e1f3c-7abc-8def-0123456789ab0",
                       "019a6b2e-1f3c-7abc-8def-0123456789ag", "{19a6b2e-1f3c-7abc-8def-0123456789ab",
                       "019a6b2e-1f3c-7abc-8def_0123456789ab"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&u, 0xAA, sizeof u);
    assert_int_equal(kt_uuid_parse(bad[i], &u), KT_EINVAL);
    assert_false(kt_uuid_str_is_valid(bad[i]));
    assert_int_equal(u.b[0], 0xAA); /* untouched on error */
  }
}

static void test_new_str(void **state) {
  (void)state;
  char a[37], b[37];
  assert_int_equal(kt_uuid_new_str(a, NULL), 0);
  assert_int_equal(kt_uuid_new_str(b, NULL), 0);
  assert_true(kt_uuid_str_is_valid(a));
  assert_string_not_equal(a, b);
  kt_uuid u;
  assert_int_equal(kt_uuid_parse(a, &u), 0);
  assert_int_equal(kt_uuid_version(&u), 7);
  assert_true(kt_uuid_v7_ms(&u) > UINT64_C(1700000000000)); /* after 2023 */
}

/* derived ids: stable (a known vector), version 8 with the RFC variant, and different keys differ */
static void test_derive(void **state) {
  (void)state;
  char a[KT_UUID_STRLEN + 1], b[KT_UUID_STRLEN + 1], c[KT_UUID_STRLEN + 1];
  kt_uuid_derive("event\nabc@google.com", 20, a);
  kt_uuid_derive("event\nabc@google.com", 20, b);
  kt_uuid_derive("event\nabd@google.com", 20, c);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  assert_true(kt_uuid_str_is_valid(a));
  kt_uuid u;
  assert_int_equal(kt_uuid_parse(a, &u), 0);
  assert_int_equal(kt_uuid_version(&u), 8);
  assert_int_equal(u.b[8] & 0xc0, 0x80);
  /* the reminder states of earlier versions have these ids: they must not change */
  kt_uuid_derive("abc", 3, a);
  assert_string_equal(a, "ba7816bf-8f01-8fea-8141-40de5dae2223");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout),         cmocka_unit_test(test_monotonic_same_ms),
      cmocka_unit_test(test_clock_back),     cmocka_unit_test(test_random_differs),
      cmocka_unit_test(test_parse),          cmocka_unit_test(test_new_str),
      cmocka_unit_test(test_derive),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
