/* test_table — kt_table: the text form a listing travels in (escaping of tabs
 * and line breaks, the header), people's output aligned by display width with
 * a header and no trailing blanks, JSON keyed by column with null for no value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kt_table.h"

static void test_text_form_round_trip(void **state) {
  (void)state;
  kt_buf b = KT_BUF_INIT;
  static const char *const head[] = {"name", "city"};
  const char *r1[] = {"Ромашка", "Москва"}, *r2[] = {"tab\there", NULL};
  kt_table_text_line(&b, "#", head, 2);
  kt_table_text_line(&b, "", r1, 2);
  kt_table_text_line(&b, "", r2, 2);
  assert_string_equal(kt_buf_str(&b), "#name\tcity\nРомашка\tМосква\ntab here\t\n");
  kt_table *t = NULL;
  kt_err err;
  assert_int_equal(kt_table_parse(kt_buf_str(&b), &t, &err), 0);
  assert_int_equal(kt_table_rows(t), 2);
  kt_buf out = KT_BUF_INIT;
  kt_table_write(t, false, &out);
  assert_string_equal(kt_buf_str(&out), "Name      City\n"
                                        "Ромашка   Москва\n"
                                        "tab here  -\n");
  kt_buf_reset(&out);
  kt_table_write(t, true, &out);
  assert_string_equal(kt_buf_str(&out), "[\n  {\n    \"name\": \"Ромашка\",\n    \"city\": \"Москва\"\n  },\n"
                                        "  {\n    \"name\": \"tab here\",\n    \"city\": null\n  }\n]\n");
  kt_table_free(t);
  assert_int_equal(kt_table_parse("no header", &t, &err), KT_EINVAL);
  kt_buf_free(&b);
  kt_buf_free(&out);
}

static void test_wide_and_blank(void **state) {
  (void)state;
  static const kt_table_col cols[] = {{"n", "Name", false}, {"f", "Flags", true}, {"x", "", false}};
  kt_table *t = kt_table_new(cols, 3);
  const char *r1[] = {"東京", NULL, "a"}, *r2[] = {"Łódź", "hidden", "b"};
  assert_int_equal(kt_table_add(t, r1), 0);
  assert_int_equal(kt_table_add(t, r2), 0);
  kt_buf out = KT_BUF_INIT;
  kt_table_write(t, false, &out);
  assert_string_equal(kt_buf_str(&out), "Name  Flags\n"      /* no trailing blanks */
                                        "東京          a\n"  /* 2 wide = 4 columns */
                                        "Łódź  hidden  b\n");
  kt_table_free(t);
  t = kt_table_new(cols, 3);
  kt_buf_reset(&out);
  kt_table_write(t, false, &out);
  assert_string_equal(kt_buf_str(&out), ""); /* people: nothing for no rows */
  kt_table_write(t, true, &out);
  assert_string_equal(kt_buf_str(&out), "[]\n");
  kt_table_free(t);
  kt_table_free(NULL);
  kt_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_form_round_trip),
      cmocka_unit_test(test_wide_and_blank),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
