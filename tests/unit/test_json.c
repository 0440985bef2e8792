/* Unit tests for kt_json: writer escaping and layout, reader, round trips. */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_json.h"

static void test_write_compact(void **state) {
  (void)state;
  kt_buf b = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &b, false);
  kt_json_obj_begin(&j);
  kt_json_key(&j, "name");
  kt_json_str(&j, "ООО \"Ромашка\"");
  kt_json_key(&j, "n");
  kt_json_int(&j, INT64_MIN);
  kt_json_key(&j, "tags");
  kt_json_arr_begin(&j);
  kt_json_str(&j, "a");
  kt_json_bool(&j, true);
  kt_json_null(&j);
  kt_json_str(&j, NULL);
  kt_json_arr_end(&j);
  kt_json_key(&j, "empty");
  kt_json_obj_begin(&j);
  kt_json_obj_end(&j);
  kt_json_key(&j, "x");
  kt_json_raw(&j, "1.50");
  kt_json_obj_end(&j);
  assert_string_equal(kt_buf_str(&b),
                      "{\"name\":\"ООО \\\"Ромашка\\\"\",\"n\":-9223372036854775808,"
                      "\"tags\":[\"a\",true,null,null],\"empty\":{},\"x\":1.50}");
  kt_buf_free(&b);
}

static void test_write_pretty(void **state) {
  (void)state;
  kt_buf b = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &b, true);
  kt_json_obj_begin(&j);
  kt_json_key(&j, "a");
  kt_json_int(&j, 1);
  kt_json_key(&j, "b");
  kt_json_arr_begin(&j);
  kt_json_int(&j, 2);
  kt_json_arr_begin(&j);
  kt_json_arr_end(&j);
  kt_json_arr_end(&j);
  kt_json_obj_end(&j);
  assert_string_equal(kt_buf_str(&b), "{\n  \"a\": 1,\n  \"b\": [\n    2,\n    []\n  ]\n}");
  kt_buf_free(&b);
}

static void test_escaping(void **state) {
  (void)state;
  kt_buf b = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &b, false);
  kt_json_strn(&j, "q\"b\\s/\n\t\r\b\f\x01\x1f\x7f\0z", 16);
  assert_string_equal(kt_buf_str(&b), "\"q\\\"b\\\\s/\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\\u0000z\"");
  kt_buf_reset(&b);
  kt_json_init(&j, &b, false);
  kt_json_str(&j, "ok\xFF\xE2\x82 ё😀"); /* invalid bytes -> U+FFFD, valid UTF-8 kept */
  assert_string_equal(kt_buf_str(&b), "\"ok\xEF\xBF\xBD\xEF\xBF\xBD ё😀\"");
  kt_buf_free(&b);
}

static void test_doubles(void **state) {
  (void)state;
  kt_buf b = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &b, false);
  kt_json_arr_begin(&j);
  kt_json_double(&j, 0.1);
  kt_json_double(&j, 1.0 / 3.0);
  kt_json_double(&j, 1e300);
  kt_json_double(&j, -2.5);
  kt_json_double(&j, NAN);
  kt_json_double(&j, -INFINITY);
  kt_json_arr_end(&j);
  assert_string_equal(kt_buf_str(&b), "[0.1,0.3333333333333333,1e+300,-2.5,null,null]");
  /* the values read back exactly */
  kt_jval *v = NULL;
  assert_int_equal(kt_json_parse(b.p, b.len, &v, NULL), 0);
  assert_true(kt_jval_num(kt_jval_at(v, 1)) == 1.0 / 3.0);
  kt_jval_free(v);
  /* a comma-decimal locale must not leak into JSON (skipped if not installed) */
  if (setlocale(LC_NUMERIC, "ru_RU.UTF-8") || setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
    kt_buf_reset(&b);
    kt_json_init(&j, &b, false);
    kt_json_double(&j, 0.5);
    assert_string_equal(kt_buf_str(&b), "0.5");
    assert_int_equal(kt_json_parse("2.25", 4, &v, NULL), 0);
    assert_true(kt_jval_num(v) == 2.25);
    kt_jval_free(v);
    setlocale(LC_NUMERIC, "C");
  }
  kt_buf_free(&b);
}

static void test_parse(void **state) {
  (void)state;
  const char *src =
      " {\"name\": \"Ромашка\", \"n\": -12.5e1, \"ok\": true, \"no\": false,\n"
      "  \"nil\": null, \"arr\": [1, \"two\", [], {}], \"esc\": \"a\\u00e9\\ud83d\\ude00\\n\\/\","
      "  \"dup\": 1, \"dup\": 2, \"nul\": \"a\\u0000b\", \"lone\": \"\\ud800x\"} ";
  kt_jval *v = NULL;
  kt_err e;
  assert_int_equal(kt_json_parse(src, strlen(src), &v, &e), 0);
  assert_int_equal(kt_jval_type(v), KT_JOBJ);
  assert_int_equal(kt_jval_len(v), 11);
  assert_string_equal(kt_jval_key_at(v, 0), "name");
  assert_string_equal(kt_jval_str(kt_jval_get(v, "name")), "Ромашка");
  const kt_jval *n = kt_jval_get(v, "n");
  assert_int_equal(kt_jval_type(n), KT_JNUM);
  assert_true(kt_jval_num(n) == -125.0);
  assert_string_equal(kt_jval_str(n), "-12.5e1");
  assert_true(kt_jval_bool(kt_jval_get(v, "ok")));
  assert_false(kt_jval_bool(kt_jval_get(v, "no")));
  assert_int_equal(kt_jval_type(kt_jval_get(v, "no")), KT_JBOOL);
  assert_int_equal(kt_jval_type(kt_jval_get(v, "nil")), KT_JNULL);
  assert_non_null(kt_jval_get(v, "nil"));
  const kt_jval *arr = kt_jval_get(v, "arr");
  assert_int_equal(kt_jval_len(arr), 4);
  assert_true(kt_jval_num(kt_jval_at(arr, 0)) == 1.0);
  assert_string_equal(kt_jval_str(kt_jval_at(arr, 1)), "two");
  assert_int_equal(kt_jval_type(kt_jval_at(arr, 2)), KT_JARR);
  assert_int_equal(kt_jval_type(kt_jval_at(arr, 3)), KT_JOBJ);
  assert_null(kt_jval_at(arr, 4));
  assert_string_equal(kt_jval_str(kt_jval_get(v, "esc")), "aé😀\n/");
  assert_true(kt_jval_num(kt_jval_get(v, "dup")) == 2.0); /* last wins */
  assert_int_equal(kt_jval_str_len(kt_jval_get(v, "nul")), 3);
  assert_memory_equal(kt_jval_str(kt_jval_get(v, "nul")), "a\0b", 3);
  assert_string_equal(kt_jval_str(kt_jval_get(v, "lone")), "\xEF\xBF\xBDx");
  assert_null(kt_jval_get(v, "missing"));
  assert_null(kt_jval_get(arr, "name"));
  assert_null(kt_jval_str(arr));
  assert_null(kt_jval_key_at(arr, 0));
  assert_int_equal(kt_jval_type(NULL), KT_JNULL);
  kt_jval_free(v);
  kt_jval_free(NULL);
  /* scalars at top level */
  assert_int_equal(kt_json_parse("\"x\"", 3, &v, NULL), 0);
  assert_string_equal(kt_jval_str(v), "x");
  kt_jval_free(v);
}

static void test_parse_errors(void **state) {
  (void)state;
  const char *bad[] = {"",         "{",       "[1,]",        "{\"a\" 1}", "{\"a\":1,}", "[01]",
                       "[1.]",     "[.5]",    "[1e]",        "tru",       "nul",        "\"abc",
                       "\"a\nb\"", "\"\\x\"", "\"\\u12g4\"", "[1] x",     "{a:1}",      "\"\xFF\"",
                       "[-]",      "'a'",     "[1 2]",       "NaN"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    kt_jval *v = (kt_jval *)0x1;
    kt_err e;
    kt_err_clear(&e);
    if (kt_json_parse(bad[i], strlen(bad[i]), &v, &e) != KT_EINVAL) fail_msg("accepted '%s'", bad[i]);
    assert_true(v == (kt_jval *)0x1); /* untouched */
    assert_non_null(strstr(e.msg, "JSON error at line"));
  }
  kt_err e;
  kt_jval *v;
  assert_int_equal(kt_json_parse("{\n  \"a\": [1,\n   x]}", 19, &v, &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "line 3, column 4"));
  /* depth limit: 64 levels parse, 65 do not */
  char deep[200];
  memset(deep, '[', 64);
  memset(deep + 64, ']', 64);
  assert_int_equal(kt_json_parse(deep, 128, &v, &e), 0);
  kt_jval_free(v);
  memset(deep, '[', 65);
  memset(deep + 65, ']', 65);
  assert_int_equal(kt_json_parse(deep, 130, &v, &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "64"));
}

static void test_roundtrip(void **state) {
  (void)state;
  kt_buf b = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &b, true);
  kt_json_arr_begin(&j);
  for (int i = 0; i < 100; i++) {
    kt_json_obj_begin(&j);
    kt_json_key(&j, "i");
    kt_json_int(&j, i);
    kt_json_key(&j, "s");
    char s[32];
    s[0] = (char)(i % 32 + 1); /* every control character */
    strcpy(s + 1, "\"ё\\");
    kt_json_str(&j, s);
    kt_json_obj_end(&j);
  }
  kt_json_arr_end(&j);
  kt_jval *v = NULL;
  kt_err e;
  assert_int_equal(kt_json_parse(b.p, b.len, &v, &e), 0);
  assert_int_equal(kt_jval_len(v), 100);
  for (size_t i = 0; i < 100; i++) {
    const kt_jval *o = kt_jval_at(v, i);
    assert_true(kt_jval_num(kt_jval_get(o, "i")) == (double)i);
    const char *s = kt_jval_str(kt_jval_get(o, "s"));
    assert_int_equal((unsigned char)s[0], i % 32 + 1);
    assert_string_equal(s + 1, "\"ё\\");
  }
  kt_jval_free(v);
  kt_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_write_compact), cmocka_unit_test(test_write_pretty),
      cmocka_unit_test(test_escaping),      cmocka_unit_test(test_doubles),
      cmocka_unit_test(test_parse),         cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
