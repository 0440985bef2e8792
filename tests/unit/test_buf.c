/* Unit tests for kt_buf and kt_err. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_buf.h"
#include "kt_err.h"

static void test_append_printf(void **state) {
  (void)state;
  kt_buf b = KT_BUF_INIT;
  assert_string_equal(kt_buf_str(&b), "");
  kt_buf_puts(&b, "abc");
  kt_buf_printf(&b, "-%d-", 42);
  for (int i = 0; i < 100; i++) kt_buf_printf(&b, "%s", "0123456789");
  assert_int_equal(b.len, 3 + 4 + 1000);
  assert_memory_equal(b.p, "abc-42-0123", 11);
  char *s = kt_buf_take(&b);
  assert_non_null(s);
  assert_int_equal(strlen(s), 1007);
  assert_null(b.p);
  free(s);
}

static void test_varint_roundtrip(void **state) {
  (void)state;
  uint64_t vals[] = {0, 1, 127, 128, 300, 1ull << 32, UINT64_MAX};
  kt_buf b = KT_BUF_INIT;
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) kt_buf_put_varint(&b, vals[i]);
  const unsigned char *p = (const unsigned char *)b.p, *end = p + b.len;
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
    uint64_t v;
    assert_int_equal(kt_varint_get(&p, end, &v), 0);
    assert_true(v == vals[i]);
  }
  uint64_t v;
  assert_int_equal(kt_varint_get(&p, end, &v), -1); /* past the end */
  kt_buf_free(&b);
}

static void test_err(void **state) {
  (void)state;
  kt_err e;
  kt_err_clear(&e);
  assert_int_equal(kt_err_set(&e, KT_ENOTFOUND, "no card %s", "x"), KT_ENOTFOUND);
  kt_err_prefix(&e, "show");
  assert_string_equal(e.msg, "show: no card x");
  assert_string_equal(kt_strerror(KT_ENOTFOUND), "not found");
  assert_string_equal(kt_err_name(KT_EINVAL), "KT_EINVAL");
  assert_int_equal(kt_err_set(NULL, KT_EIO, "ignored"), KT_EIO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_append_printf),
      cmocka_unit_test(test_varint_roundtrip),
      cmocka_unit_test(test_err),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
