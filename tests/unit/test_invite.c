/* Unit tests for kt_invite: round trip, damaged and foreign tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kt_invite.h"

static void test_roundtrip(void **state) {
  (void)state;
  kt_invite in = {"10.0.0.5:7433,crm.office.lan:7433", "AB12CD", "00ff11ee", "Иванова"}, out;
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_invite_encode(&in, &b, NULL), 0);
  assert_memory_equal(b.p, "KT1.", 4);
  assert_null(strchr(b.p, '+'));
  assert_null(strchr(b.p, '/'));
  assert_null(strchr(b.p, '='));
  assert_int_equal(kt_invite_decode(b.p, &out, NULL), 0);
  assert_string_equal(out.addresses, in.addresses);
  assert_string_equal(out.ca_fpr, in.ca_fpr);
  assert_string_equal(out.secret, in.secret);
  assert_string_equal(out.user, in.user);
  /* surrounding white space from copy-paste is fine */
  kt_buf c = KT_BUF_INIT;
  kt_buf_printf(&c, "  %s\n", b.p);
  assert_int_equal(kt_invite_decode(c.p, &out, NULL), 0);
  kt_buf_free(&b);
  kt_buf_free(&c);
}

static void test_bad_tokens(void **state) {
  (void)state;
  kt_invite out;
  kt_err err;
  assert_int_equal(kt_invite_decode("hello", &out, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "not a Kartoteka invite"));
  assert_int_equal(kt_invite_decode("KT1.!!!!", &out, &err), KT_EINVAL);
  assert_int_equal(kt_invite_decode("KT1.YWJj", &out, &err), KT_EINVAL); /* "abc": no parts */
  kt_invite pipe = {"a|b", "f", "s", "u"};
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_invite_encode(&pipe, &b, &err), KT_EINVAL);
  kt_invite empty = {"", "f", "s", "u"};
  assert_int_equal(kt_invite_encode(&empty, &b, &err), KT_EINVAL);
  kt_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_bad_tokens),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
