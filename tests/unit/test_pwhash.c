/* Unit tests for kt_pwhash. Few hashes on purpose: each costs ~20 MiB and
 * tens of milliseconds (more under sanitizers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <argon2.h>

#include "kt_pwhash.h"

static void test_hash_and_verify(void **state) {
  (void)state;
  char h1[KT_PWHASH_ENCODED_MAX], h2[KT_PWHASH_ENCODED_MAX];
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_pwhash_hash("Пароль-zażółć 42", h1, sizeof h1, &err), 0);
  assert_int_equal(kt_pwhash_hash("Пароль-zażółć 42", h2, sizeof h2, &err), 0);
  assert_true(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
  assert_string_not_equal(h1, h2); /* random salt */
  assert_int_equal(kt_pwhash_verify(h1, "Пароль-zażółć 42"), 0);
  assert_int_equal(kt_pwhash_verify(h1, "Пароль-zażółć 43"), KT_EAUTH);
  assert_int_equal(kt_pwhash_verify(h2, ""), KT_EAUTH);
  assert_false(kt_pwhash_needs_rehash(h1));
  /* libargon2 itself agrees */
  assert_int_equal(argon2id_verify(h1, "Пароль-zażółć 42", strlen("Пароль-zażółć 42")),
                   ARGON2_OK);
}

static void test_malformed(void **state) {
  (void)state;
  assert_int_equal(kt_pwhash_verify("", "x"), KT_EINVAL);
  assert_int_equal(kt_pwhash_verify(NULL, "x"), KT_EINVAL);
  assert_int_equal(kt_pwhash_verify("plaintext-password", "plaintext-password"), KT_EINVAL);
  assert_int_equal(kt_pwhash_verify("$argon2id$v=19$m=19456,t=2,p=1$", "x"), KT_EINVAL);
  assert_int_equal(
      kt_pwhash_verify("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$!!!notbase64", "x"),
      KT_EINVAL);
  /* argon2i is not accepted */
  assert_int_equal(kt_pwhash_verify("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                    "x"),
                   KT_EINVAL);
  /* a cost that would exhaust the server is refused without hashing */
  assert_int_equal(kt_pwhash_verify("$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                    "x"),
                   KT_EINVAL);
  assert_true(kt_pwhash_needs_rehash("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$AAAA"));
  assert_true(kt_pwhash_needs_rehash("garbage"));

  char small[16];
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_pwhash_hash("", small, sizeof small, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "empty"));
  char *longpw = malloc(KT_PWHASH_PW_MAX + 2);
  assert_non_null(longpw);
  memset(longpw, 'a', KT_PWHASH_PW_MAX + 1);
  longpw[KT_PWHASH_PW_MAX + 1] = '\0';
  assert_int_equal(kt_pwhash_hash(longpw, small, sizeof small, &err), KT_EINVAL);
  free(longpw);
}

static void test_small_buffer(void **state) {
  (void)state;
  char small[40];
  memset(small, 'Z', sizeof small);
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_pwhash_hash("secret", small, sizeof small, &err), KT_EINVAL);
  assert_int_equal(small[0], 'Z'); /* untouched */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hash_and_verify),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_small_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
