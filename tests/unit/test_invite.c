/* Unit tests for kt_invite: round trip, KT1 tokens of older servers still
 * read, damaged tokens (every truncation, every single-character change)
 * told apart from foreign text and from newer versions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kt_invite.h"

#define FPR "0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0"

static const kt_invite sample = {"10.0.0.5:7433,crm.office.lan:7433", FPR,
                                 "00ff11ee00ff11ee00ff11ee00ff11ee00ff11ee00ff11ee", "Иванова"};

static void same(const kt_invite *a, const kt_invite *b) {
  assert_string_equal(a->addresses, b->addresses);
  assert_string_equal(a->ca_fpr, b->ca_fpr);
  assert_string_equal(a->secret, b->secret);
  assert_string_equal(a->user, b->user);
}

static void test_roundtrip(void **state) {
  (void)state;
  kt_invite out;
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_invite_encode(&sample, &b, NULL), 0);
  assert_memory_equal(b.p, "KT2.", 4);
  assert_null(strchr(b.p, '+'));
  assert_null(strchr(b.p, '/'));
  assert_null(strchr(b.p, '='));
  assert_int_equal(kt_invite_decode(b.p, &out, NULL), 0);
  same(&sample, &out);
  /* surrounding white space from copy-paste is fine, and so is a line wrapped
     by a mail program */
  kt_buf c = KT_BUF_INIT;
  kt_buf_printf(&c, "  %.30s\r\n  %s\n", b.p, b.p + 30);
  assert_int_equal(kt_invite_decode(c.p, &out, NULL), 0);
  same(&sample, &out);
  kt_buf_free(&b);
  kt_buf_free(&c);
}

/* A KT1 token exactly as servers before KT2 made them (base64url of the
 * payload, no checksum) is still read. */
static void test_kt1_still_read(void **state) {
  (void)state;
  /* "h:1|<FPR>|abcd|anna", made with Python's base64.urlsafe_b64encode */
  const char *kt1 = "KT1.aDoxfDBGMUUyRDNDNEI1QTY5Nzg4Nzk2QTVCNEMzRDJFMUYwMEYxRTJEM0M0QjVBNjk3"
                    "ODg3OTZBNUI0QzNEMkUxRjB8YWJjZHxhbm5h";
  kt_invite out;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_invite_decode(kt1, &out, &err), 0);
  assert_string_equal(out.addresses, "h:1");
  assert_string_equal(out.ca_fpr, FPR);
  assert_string_equal(out.secret, "abcd");
  assert_string_equal(out.user, "anna");
}

/* Every truncation and every single-character change of a KT2 token is
 * answered "damaged", never taken for another invite. */
static void test_damaged(void **state) {
  (void)state;
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_invite_encode(&sample, &b, NULL), 0);
  char tok[2000];
  kt_invite out;
  kt_err err;
  for (size_t cut = 5; cut < b.len; cut++) {
    memcpy(tok, b.p, cut);
    tok[cut] = '\0';
    kt_err_clear(&err);
    assert_int_equal(kt_invite_decode(tok, &out, &err), KT_EINVAL);
    assert_string_equal(err.msg, KT_INVITE_DAMAGED);
  }
  static const char alphabet[] = "AZaz09-_";
  for (size_t i = 4; i < b.len; i++) {
    for (const char *a = alphabet; *a; a++) {
      if (b.p[i] == *a) continue;
      memcpy(tok, b.p, b.len + 1);
      tok[i] = *a;
      kt_err_clear(&err);
      int rc = kt_invite_decode(tok, &out, &err);
      assert_int_equal(rc, KT_EINVAL);
      assert_string_equal(err.msg, KT_INVITE_DAMAGED);
    }
  }
  /* a character no base64 has, and the prefix alone */
  snprintf(tok, sizeof tok, "%.20s!%s", b.p, b.p + 21);
  assert_int_equal(kt_invite_decode(tok, &out, &err), KT_EINVAL);
  assert_string_equal(err.msg, KT_INVITE_DAMAGED);
  assert_int_equal(kt_invite_decode("KT2.", &out, &err), KT_EINVAL);
  assert_string_equal(err.msg, KT_INVITE_DAMAGED);
  kt_buf_free(&b);
}

static void test_bad_tokens(void **state) {
  (void)state;
  kt_invite out;
  kt_err err;
  assert_int_equal(kt_invite_decode("hello", &out, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "not a Kartoteka invite"));
  assert_int_equal(kt_invite_decode("", &out, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "not a Kartoteka invite"));
  assert_int_equal(kt_invite_decode("KT1.!!!!", &out, &err), KT_EINVAL);
  assert_string_equal(err.msg, KT_INVITE_DAMAGED);
  assert_int_equal(kt_invite_decode("KT1.YWJj", &out, &err), KT_EINVAL); /* "abc": no parts */
  assert_string_equal(err.msg, KT_INVITE_DAMAGED);
  assert_int_equal(kt_invite_decode("KT7.YWJj", &out, &err), KT_EVERSION);
  assert_non_null(strstr(err.msg, "newer"));
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
      cmocka_unit_test(test_kt1_still_read),
      cmocka_unit_test(test_damaged),
      cmocka_unit_test(test_bad_tokens),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
