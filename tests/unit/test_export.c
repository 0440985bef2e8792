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
#include "cl_ical.h"
#include "cl_sheet.h"
#include "cl_vcard.h"
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
  assert_non_null(strstr(err.msg, "supported: csv, xlsx, ods, vcard, ical, html, text"));
  assert_int_equal(cl_export_format("vcard", &fmt, &err), 0);
  assert_int_equal(fmt, CL_EXPORT_VCARD);
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

static long width(const char *from, const char *to) {
  long w = 0;
  for (const char *p = from; p < to; p++) w += ((unsigned char)*p & 0xC0) != 0x80;
  return w;
}

static int rowset_col(const cl_rowset *rs, const char *name) {
  for (int i = 0; i < rs->nheader; i++)
    if (strcmp(rs->header[i], name) == 0) return i;
  return -1;
}

/* Every new format is written and reads back with our own readers. */
static void test_other_formats_read_back(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37], out[200];
  cl_set c[] = {{"last_name", "Петров; мл."}, {"first_name", "Иван"}, {"org", "Лютик"},
                {"phone_mobile", "+7 916 000-00-01"}, {"birthday", "1980-05-17"},
                {"comment", "a, b; c\\d\nвторая"}};
  assert_int_equal(cl_store_add(f->s, "contact", c, 6, id, &err), 0);
  cl_set e[] = {{"type", "meeting"}, {"title", "Встреча"}, {"start", "2026-11-23T10:00:00+03:00"},
                {"duration", "90"}, {"remind_before", "15"}, {"rrule", "FREQ=WEEKLY;BYDAY=MO"},
                {"status", "done"}};
  assert_int_equal(cl_store_add(f->s, "event", e, 7, id, &err), 0);
  int64_t n = 0;
  cl_rowset *rs;
  /* ODS: numbers as numbers, the name of the organization */
  snprintf(out, sizeof out, "%s/o.ods", f->dir);
  cl_query qo = {.type = "org", .sort = "name"};
  assert_int_equal(cl_export(NULL, NULL, f->s, &qo, NULL, 0, CL_EXPORT_ODS, out, &n, &err), 0);
  assert_int_equal(n, 2);
  assert_int_equal(cl_sheet_read_ods(out, NULL, &rs, &err), 0);
  assert_int_equal(rs->nrows, 2);
  assert_string_equal(rs->rows[1].cells[rowset_col(rs, "Employees")], "42");
  assert_string_equal(rs->rows[1].cells[rowset_col(rs, "Name")], "ООО \"Ромашка\"; филиал");
  cl_rowset_free(rs);
  /* vCard */
  snprintf(out, sizeof out, "%s/c.vcf", f->dir);
  cl_query qc = {.type = "contact"};
  assert_int_equal(cl_export(NULL, NULL, f->s, &qc, NULL, 0, CL_EXPORT_VCARD, out, &n, &err), 0);
  assert_int_equal(cl_vcard_read(out, NULL, &rs, &err), 0);
  assert_int_equal(rs->nrows, 1);
  assert_string_equal(rs->rows[0].cells[rowset_col(rs, "last_name")], "Петров; мл.");
  assert_string_equal(rs->rows[0].cells[rowset_col(rs, "org")], "Лютик");
  assert_string_equal(rs->rows[0].cells[rowset_col(rs, "birthday")], "1980-05-17");
  assert_string_equal(rs->rows[0].cells[rowset_col(rs, "comment")], "a, b; c\\d\nвторая");
  assert_string_equal(rs->rows[0].cells[rowset_col(rs, "owner")], "tester");
  cl_rowset_free(rs);
  /* iCalendar */
  snprintf(out, sizeof out, "%s/e.ics", f->dir);
  cl_query qe = {.type = "event"};
  assert_int_equal(cl_export(NULL, NULL, f->s, &qe, NULL, 0, CL_EXPORT_ICAL, out, &n, &err), 0);
  assert_int_equal(cl_ical_read(out, NULL, &rs, &err), 0);
  assert_int_equal(rs->nrows, 1);
  assert_string_equal(rs->rows[0].type, "event");
  assert_string_equal(rs->rows[0].cells[rowset_col(rs, "start")], "2026-11-23T07:00:00Z");
  assert_string_equal(rs->rows[0].cells[rowset_col(rs, "status")], "done");
  assert_string_equal(rs->rows[0].cells[rowset_col(rs, "type")], "meeting");
  assert_string_equal(rs->rows[0].cells[rowset_col(rs, "remind_before")], "15");
  cl_rowset_free(rs);
  /* a format that cannot hold the type: refused, nothing left */
  snprintf(out, sizeof out, "%s/x.vcf", f->dir);
  assert_int_equal(cl_export(NULL, NULL, f->s, &qo, NULL, 0, CL_EXPORT_VCARD, out, &n, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "--type contact"));
  assert_int_not_equal(access(out, F_OK), 0);
  assert_int_equal(cl_export(NULL, NULL, f->s, &qc, NULL, 0, CL_EXPORT_ICAL, out, &n, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "event task"));
}

static void test_html_and_text(void **state) {
  fx *f = *state;
  kt_err err;
  char out[200];
  size_t len;
  int64_t n = 0;
  snprintf(out, sizeof out, "%s/o.html", f->dir);
  cl_query q = {.type = "org", .sort = "name"};
  const char *cols[] = {"name", "comment"};
  assert_int_equal(cl_export(NULL, NULL, f->s, &q, cols, 2, CL_EXPORT_HTML, out, &n, &err), 0);
  char *text = slurp(out, &len);
  assert_non_null(strstr(text, "<meta charset=\"utf-8\">"));
  assert_non_null(strstr(text, "<tr><th>Name</th><th>Comment</th></tr>"));
  assert_non_null(strstr(text, "<tr><td>Лютик</td><td>две<br>строки</td></tr>"));
  assert_non_null(strstr(text, "<td>ООО &quot;Ромашка&quot;; филиал</td>"));
  free(text);
  /* one card with its related cards */
  char oid[37], cid[37];
  cl_set o[] = {{"name", "Карта <b>"}};
  assert_int_equal(cl_store_add(f->s, "org", o, 1, oid, &err), 0);
  cl_set c[] = {{"last_name", "Сидорова"}, {"org", oid}, {"phone_mobile", "+7 1"}};
  assert_int_equal(cl_store_add(f->s, "contact", c, 3, cid, &err), 0);
  snprintf(out, sizeof out, "%s/card.html", f->dir);
  assert_int_equal(cl_export_card(NULL, NULL, f->s, oid, CL_EXPORT_HTML, out, &err), 0);
  text = slurp(out, &len);
  assert_non_null(strstr(text, "<h1>Карта &lt;b&gt;</h1>"));
  assert_non_null(strstr(text, "<h2>Contacts</h2>"));
  assert_non_null(strstr(text, "<tr><td>Сидорова</td><td>Owner: tester; Mobile phone: +7 1</td></tr>"));
  assert_null(strstr(text, "Лютик"));
  free(text);
  assert_int_equal(cl_export_card(NULL, NULL, f->s, "01900000-0000-7000-8000-000000000000",
                                  CL_EXPORT_HTML, out, &err), KT_ENOTFOUND);
  /* text: aligned columns, one line a card */
  snprintf(out, sizeof out, "%s/o.txt", f->dir);
  assert_int_equal(cl_export(NULL, NULL, f->s, &q, cols, 2, CL_EXPORT_TEXT, out, &n, &err), 0);
  text = slurp(out, &len);
  assert_non_null(strstr(text, "Name"));
  assert_non_null(strstr(text, "две строки"));
  /* the comment column starts at the same display column in the header and the rows
     (every letter here is one column wide: count code points) */
  char *head_end = strchr(text, '\n');
  char *row = strstr(text, "Лютик");
  assert_non_null(head_end);
  assert_non_null(row);
  assert_int_equal(width(text, strstr(text, "Comment")), width(row, strstr(row, "две строки")));
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_csv_layout_and_quoting, setup, teardown),
      cmocka_unit_test_setup_teardown(test_filter_and_default_columns, setup, teardown),
      cmocka_unit_test_setup_teardown(test_xlsx_is_a_zip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_references_by_unique_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_input_leaves_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_other_formats_read_back, setup, teardown),
      cmocka_unit_test_setup_teardown(test_html_and_text, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
