/* Unit tests for cl_export on a standalone store: CSV quoting and layout,
 * filters and field lists, a workbook is written, formats are parsed, and a
 * failed export leaves no file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cl_export.h"
#include "t_store.h"

typedef t_store fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f || t_store_open(f, "export")) return -1;
  kt_err err;
  char id[37];
  cl_set a[] = {{"name", "ООО \"Ромашка\"; филиал"}, {"employees", "42"}, {"city", "Москва"}};
  cl_set b[] = {{"name", "Лютик"}, {"comment", "две\nстроки"}, {"city", "Тверь"}};
  if (cl_store_add(f->s, "org", a, 3, id, &err) || cl_store_add(f->s, "org", b, 3, id, &err))
    return -1;
  *state = f;
  return 0;
}

#define teardown t_store_teardown

static char *slurp(const char *path, size_t *n) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  char *buf = calloc(1, 65536);
  *n = fread(buf, 1, 65535, fp);
  fclose(fp);
  return buf;
}

static void test_csv_layout_and_quoting(void **state) {
  fx *f = *state;
  kt_err err;
  char out[200];
  snprintf(out, sizeof out, "%s/o.csv", f->dir);
  const char *cols[] = {"name", "employees", "comment"};
  cl_query q = {.type = "org", .sort = "name"};
  int64_t n = 0;
  assert_int_equal(cl_export(NULL, NULL, f->s, &q, cols, 3, CL_EXPORT_CSV, out, &n, &err), 0);
  assert_int_equal(n, 2);
  size_t len;
  char *text = slurp(out, &len);
  assert_non_null(text);
  assert_string_equal(text, "\xEF\xBB\xBFName;Employees;Comment\r\n"
                            "Лютик;;\"две\nстроки\"\r\n"
                            "\"ООО \"\"Ромашка\"\"; филиал\";42;\r\n");
  free(text);
}

static void test_filter_and_default_columns(void **state) {
  fx *f = *state;
  kt_err err;
  char out[200];
  snprintf(out, sizeof out, "%s/m.csv", f->dir);
  cl_filter w = {"city", '=', "Тверь"};
  cl_query q = {.type = "org", .where = &w, .nwhere = 1};
  int64_t n = 0;
  assert_int_equal(cl_export(NULL, NULL, f->s, &q, NULL, 0, CL_EXPORT_CSV, out, &n, &err), 0);
  assert_int_equal(n, 1);
  size_t len;
  char *text = slurp(out, &len);
  assert_non_null(strstr(text, "Owner;"));          /* the manager is exported */
  assert_null(strstr(text, "Created"));             /* times the program keeps are not */
  assert_null(strstr(text, "Москва"));
  assert_non_null(strstr(text, "Тверь"));
  free(text);
}

static void test_xlsx_is_a_zip(void **state) {
  fx *f = *state;
  kt_err err;
  char out[200];
  snprintf(out, sizeof out, "%s/o.xlsx", f->dir);
  cl_query q = {.type = "org"};
  int64_t n = 0;
  assert_int_equal(cl_export(NULL, NULL, f->s, &q, NULL, 0, CL_EXPORT_XLSX, out, &n, &err), 0);
  assert_int_equal(n, 2);
  size_t len;
  char *data = slurp(out, &len);
  assert_true(len > 1000);
  assert_memory_equal(data, "PK\x03\x04", 4);
  free(data);
}

/* A reference is written as the organization's name while that name is
 * unique (case and diacritics folded), as the id otherwise. */
static void test_references_by_unique_name(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37], out[200];
  cl_set c[] = {{"last_name", "Петрова"}, {"org", "Лютик"}};
  assert_int_equal(cl_store_add(f->s, "contact", c, 2, id, &err), 0);
  snprintf(out, sizeof out, "%s/c.csv", f->dir);
  const char *cols[] = {"last_name", "org"};
  cl_query q = {.type = "contact"};
  int64_t n = 0;
  assert_int_equal(cl_export(NULL, NULL, f->s, &q, cols, 2, CL_EXPORT_CSV, out, &n, &err), 0);
  size_t len;
  char *text = slurp(out, &len);
  assert_string_equal(text, "\xEF\xBB\xBFSurname;Organization\r\nПетрова;Лютик\r\n");
  free(text);
  cl_set d[] = {{"name", "ЛЮТИК"}};
  assert_int_equal(cl_store_add(f->s, "org", d, 1, id, &err), 0);
  assert_int_equal(cl_export(NULL, NULL, f->s, &q, cols, 2, CL_EXPORT_CSV, out, &n, &err), 0);
  text = slurp(out, &len);
  assert_null(strstr(text, "Лютик"));
  assert_int_equal(strlen(text), strlen("\xEF\xBB\xBFSurname;Organization\r\nПетрова;\r\n") + 36);
  free(text);
}

static void test_bad_input_leaves_nothing(void **state) {
  fx *f = *state;
  kt_err err;
  cl_export_fmt fmt;
  assert_int_equal(cl_export_format("xlsx", &fmt, &err), 0);
  assert_int_equal(fmt, CL_EXPORT_XLSX);
  assert_int_equal(cl_export_format("pdf", &fmt, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "supported: csv, xlsx"));
  char out[200], part[220];
  snprintf(out, sizeof out, "%s/bad.csv", f->dir);
  snprintf(part, sizeof part, "%s.part", out);
  const char *cols[] = {"name", "nosuch"};
  cl_query q = {.type = "org"};
  int64_t n = 7;
  assert_int_equal(cl_export(NULL, NULL, f->s, &q, cols, 2, CL_EXPORT_CSV, out, &n, &err), KT_EINVAL);
  assert_int_equal(n, 0);
  cl_filter w = {"nosuch", '=', "x"};
  cl_query q2 = {.type = "org", .where = &w, .nwhere = 1};
  assert_int_not_equal(cl_export(NULL, NULL, f->s, &q2, NULL, 0, CL_EXPORT_CSV, out, &n, &err), 0);
  assert_int_not_equal(access(out, F_OK), 0);
  assert_int_not_equal(access(part, F_OK), 0);
  cl_query q3 = {.type = "nosuch"};
  assert_int_equal(cl_export(NULL, NULL, f->s, &q3, NULL, 0, CL_EXPORT_CSV, out, &n, &err), KT_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_csv_layout_and_quoting, setup, teardown),
      cmocka_unit_test_setup_teardown(test_filter_and_default_columns, setup, teardown),
      cmocka_unit_test_setup_teardown(test_xlsx_is_a_zip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_references_by_unique_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_input_leaves_nothing, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
