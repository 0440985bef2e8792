/* Unit tests for cl_sheet: workbooks LibreOffice made (tests/data/import/
 * libreoffice.xlsx and .ods, converted from libreoffice_source.csv: dates
 * stored as dates, numbers as numbers, an empty row, quotes, two lines in a
 * cell), an .xlsx as Excel stores it (libxlsxwriter: serial dates with a date
 * style, booleans, a second sheet picked by name), reader(writer(x)) == x for
 * the ODS writer, and hostile input: garbage, a truncated zip, a DTD with an
 * entity bomb, repeat counts in the billions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "cl_sheet.h"
#include "kt_buf.h"

static const char *cell(const cl_rowset *rs, int r, int c) {
  return c < rs->rows[r].ncells ? rs->rows[r].cells[c] : "";
}

static char tmpdir[64];

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/kt-sheet-XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static void check_libreoffice_rows(const cl_rowset *rs) {
  assert_int_equal(rs->nheader, 7);
  assert_string_equal(rs->header[0], "Фамилия");
  assert_string_equal(rs->header[3], "Дата рождения");
  assert_int_equal(rs->header_line, 1);
  assert_int_equal(rs->nrows, 3); /* the empty row is skipped */
  assert_int_equal(rs->rows[0].line, 2);
  assert_string_equal(cell(rs, 0, 0), "Петров");
  assert_string_equal(cell(rs, 0, 2), "+7 916 123-45-67");
  assert_string_equal(cell(rs, 0, 3), "1980-05-17"); /* a date, stored as one */
  assert_string_equal(cell(rs, 0, 4), "1250000.5");  /* a number, as its number */
  assert_string_equal(cell(rs, 0, 5), "42");
  assert_string_equal(cell(rs, 0, 6), "Две\nстроки");
  assert_string_equal(cell(rs, 1, 2), "89161112233");
  assert_string_equal(cell(rs, 1, 4), "0.1");
  assert_string_equal(cell(rs, 1, 6), "Zażółć gęślą jaźń");
  assert_int_equal(rs->rows[2].line, 5);
  assert_string_equal(cell(rs, 2, 2), "");
  assert_string_equal(cell(rs, 2, 3), "2001-12-31");
  assert_string_equal(cell(rs, 2, 4), "-5");
  assert_string_equal(cell(rs, 2, 6), "с \"кавычками\", и запятой");
  for (int r = 0; r < rs->nrows; r++) assert_int_equal(rs->rows[r].ncells, 7);
}

static void test_libreoffice_xlsx(void **state) {
  (void)state;
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_sheet_read_xlsx("tests/data/import/libreoffice.xlsx", NULL, &rs, &err);
  if (rc) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_string_equal(rs->format, "xlsx");
  check_libreoffice_rows(rs);
  cl_rowset_free(rs);
}

static void test_libreoffice_ods(void **state) {
  (void)state;
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_sheet_read_ods("tests/data/import/libreoffice.ods", NULL, &rs, &err);
  if (rc) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_string_equal(rs->format, "ods");
  check_libreoffice_rows(rs);
  cl_rowset_free(rs);
  cl_read_opts o = {.sheet = "Лист9"};
  assert_int_equal(cl_sheet_read_ods("tests/data/import/libreoffice.ods", &o, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "no sheet 'Лист9'"));
  assert_non_null(strstr(err.msg, "it has: clients"));
}

/* Excel's way: dates are serial numbers with a date format, a boolean, a
 * formula's text; the second sheet by name. */
static void test_excel_storage(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/excel.xlsx", tmpdir);
  lxw_workbook *wb = workbook_new(path);
  lxw_worksheet *s1 = workbook_add_worksheet(wb, "Сводка");
  lxw_worksheet *s2 = workbook_add_worksheet(wb, "Клиенты");
  lxw_format *date = workbook_add_format(wb);
  format_set_num_format(date, "dd.mm.yyyy");
  lxw_format *dt = workbook_add_format(wb);
  format_set_num_format(dt, "dd.mm.yyyy hh:mm");
  lxw_format *money = workbook_add_format(wb);
  format_set_num_format(money, "# ##0.00\" ₽\"");
  worksheet_write_string(s1, 0, 0, "ignored", NULL);
  worksheet_write_string(s2, 0, 0, "Имя", NULL);
  worksheet_write_string(s2, 0, 1, "Дата", NULL);
  worksheet_write_string(s2, 0, 2, "Сумма", NULL);
  worksheet_write_string(s2, 0, 3, "VIP", NULL);
  worksheet_write_string(s2, 0, 5, "Встреча", NULL);
  worksheet_write_string(s2, 2, 0, "Иванов", NULL);
  lxw_datetime d = {1980, 5, 17, 0, 0, 0};
  worksheet_write_datetime(s2, 2, 1, &d, date);
  worksheet_write_number(s2, 2, 2, 1250000.5, money);
  worksheet_write_boolean(s2, 2, 3, 1, NULL);
  lxw_datetime m = {2026, 11, 23, 10, 30, 0};
  worksheet_write_datetime(s2, 2, 5, &m, dt);
  lxw_datetime sec = {2026, 11, 23, 10, 30, 15};
  worksheet_write_datetime(s2, 3, 5, &sec, dt);
  lxw_datetime old = {1900, 2, 1, 0, 0, 0};
  worksheet_write_datetime(s2, 3, 1, &old, date);
  worksheet_write_string(s2, 3, 0, "Старый", NULL);
  assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
  cl_rowset *rs;
  kt_err err;
  kt_err_clear(&err);
  cl_read_opts o = {.sheet = "Клиенты"};
  int rc = cl_sheet_read_xlsx(path, &o, &rs, &err);
  if (rc) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_int_equal(rs->nheader, 6);
  assert_string_equal(rs->header[4], ""); /* a gap in the header */
  assert_int_equal(rs->nrows, 2);
  assert_int_equal(rs->rows[0].line, 3); /* row 2 was empty */
  assert_string_equal(cell(rs, 0, 1), "1980-05-17");
  assert_string_equal(cell(rs, 0, 2), "1250000.5"); /* a money format is not a date */
  assert_string_equal(cell(rs, 0, 3), "TRUE");
  assert_string_equal(cell(rs, 0, 5), "2026-11-23T10:30");
  assert_string_equal(cell(rs, 1, 1), "1900-02-01"); /* before Excel's phantom 29 Feb 1900 */
  assert_string_equal(cell(rs, 1, 5), "2026-11-23T10:30:15"); /* seconds kept when there are some */
  cl_rowset_free(rs);
  cl_rowset *first;
  assert_int_equal(cl_sheet_read_xlsx(path, NULL, &first, &err), 0);
  assert_string_equal(first->header[0], "ignored");
  assert_int_equal(first->nrows, 0);
  cl_rowset_free(first);
  o.sheet = "Нет";
  assert_int_equal(cl_sheet_read_xlsx(path, &o, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "it has: Сводка, Клиенты"));
}

static void test_ods_roundtrip(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "%s/out.ods", tmpdir);
  cl_ods *w;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(cl_ods_open(path, "contact <&>", &w, &err), 0);
  const char *head[] = {"Фамилия", "Сумма", "Дата", "Когда", "Текст"};
  for (int i = 0; i < 5; i++) cl_ods_cell(w, CL_CELL_HEADER, head[i]);
  cl_ods_row_end(w);
  cl_ods_cell(w, CL_CELL_TEXT, "  два  пробела <&> \"кавычки\"\tтаб ");
  cl_ods_cell(w, CL_CELL_NUMBER, "1234.5");
  cl_ods_cell(w, CL_CELL_DATE, "2026-11-22");
  cl_ods_cell(w, CL_CELL_DATETIME, "2026-11-22T10:30:00");
  cl_ods_cell(w, CL_CELL_TEXT, "строка 1\nстрока 2\n\nстрока 4");
  cl_ods_row_end(w);
  cl_ods_cell(w, CL_CELL_EMPTY, NULL);
  cl_ods_cell(w, CL_CELL_NUMBER, "-0.05");
  cl_ods_row_end(w);
  cl_ods_row_end(w); /* an empty row */
  cl_ods_cell(w, CL_CELL_TEXT, "после пустой");
  cl_ods_row_end(w);
  assert_int_equal(cl_ods_close(w, &err), 0);
  char content[160];
  snprintf(content, sizeof content, "%s.content", path);
  assert_int_not_equal(access(content, F_OK), 0); /* the temporary is gone */
  cl_rowset *rs;
  int rc = cl_sheet_read_ods(path, NULL, &rs, &err);
  if (rc) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  for (int i = 0; i < 5; i++) assert_string_equal(rs->header[i], head[i]);
  assert_int_equal(rs->nrows, 3);
  assert_string_equal(cell(rs, 0, 0), "  два  пробела <&> \"кавычки\"\tтаб ");
  assert_string_equal(cell(rs, 0, 1), "1234.5");
  assert_string_equal(cell(rs, 0, 2), "2026-11-22");
  assert_string_equal(cell(rs, 0, 3), "2026-11-22T10:30");
  assert_string_equal(cell(rs, 0, 4), "строка 1\nстрока 2\n\nстрока 4");
  assert_string_equal(cell(rs, 1, 0), "");
  assert_string_equal(cell(rs, 1, 1), "-0.05");
  assert_int_equal(rs->rows[2].line, 5);
  cl_rowset_free(rs);
  /* the mimetype comes first and is stored, as ODF requires */
  FILE *f = fopen(path, "rb");
  char head38[80] = {0};
  assert_true(fread(head38, 1, 78, f) == 78);
  fclose(f);
  assert_memory_equal(head38 + 30, "mimetypeapplication/vnd.oasis.opendocument.spreadsheet", 46);
  /* an aborted document leaves nothing */
  snprintf(path, sizeof path, "%s/aborted.ods", tmpdir);
  assert_int_equal(cl_ods_open(path, "x", &w, &err), 0);
  cl_ods_cell(w, CL_CELL_TEXT, "x");
  cl_ods_abort(w);
  snprintf(content, sizeof content, "%s.content", path);
  assert_int_not_equal(access(content, F_OK), 0);
  assert_int_not_equal(access(path, F_OK), 0);
  assert_int_equal(cl_ods_open("/nonexistent/dir/x.ods", "x", &w, &err), KT_EIO);
}

/* A zip in memory holding the given entries. */
static void make_zip(kt_buf *out, const char *const *names, const char *const *texts, int n) {
  char path[128];
  snprintf(path, sizeof path, "%s/z.zip", tmpdir);
  unlink(path);
  int ze;
  zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);
  assert_non_null(z);
  for (int i = 0; i < n; i++) {
    zip_source_t *s = zip_source_buffer(z, texts[i], strlen(texts[i]), 0);
    assert_true(zip_file_add(z, names[i], s, 0) >= 0);
  }
  assert_int_equal(zip_close(z), 0);
  FILE *f = fopen(path, "rb");
  char buf[65536];
  size_t got;
  kt_buf_reset(out);
  while ((got = fread(buf, 1, sizeof buf, f)) > 0) kt_buf_append(out, buf, got);
  fclose(f);
}

#define ODS_HEAD                                                                     \
  "<?xml version=\"1.0\"?><office:document-content "                                 \
  "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "               \
  "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" "                 \
  "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body>"      \
  "<office:spreadsheet><table:table table:name=\"T\">"
#define ODS_TAIL "</table:table></office:spreadsheet></office:body></office:document-content>"

static int ods_text(const char *content, cl_rowset **rs, kt_err *err) {
  kt_buf z = KT_BUF_INIT;
  const char *names[] = {"mimetype", "content.xml"};
  const char *texts[] = {"application/vnd.oasis.opendocument.spreadsheet", content};
  make_zip(&z, names, texts, 2);
  kt_err_clear(err);
  *rs = NULL;
  int rc = cl_sheet_parse_ods(z.p, z.len, NULL, rs, err);
  kt_buf_free(&z);
  return rc;
}

static void test_hostile(void **state) {
  (void)state;
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  const char garbage[] = "\x7f" "ELF\x02\x01\x01 this is not a workbook at all";
  assert_int_equal(cl_sheet_parse_xlsx(garbage, sizeof garbage, NULL, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "not an XLSX file"));
  assert_int_equal(cl_sheet_parse_ods(garbage, sizeof garbage, NULL, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "not an ODS file"));
  assert_null(rs);
  /* the LibreOffice workbook cut in half */
  FILE *f = fopen("tests/data/import/libreoffice.xlsx", "rb");
  assert_non_null(f);
  char buf[65536];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  assert_int_equal(cl_sheet_parse_xlsx(buf, n / 2, NULL, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "zip"));
  /* a zip that is no workbook */
  kt_buf z = KT_BUF_INIT;
  const char *nm[] = {"readme.txt"};
  const char *tx[] = {"hello"};
  make_zip(&z, nm, tx, 1);
  assert_int_equal(cl_sheet_parse_xlsx(z.p, z.len, NULL, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "no xl/workbook.xml"));
  assert_int_equal(cl_sheet_parse_ods(z.p, z.len, NULL, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "no content.xml"));
  kt_buf_free(&z);
  /* billion laughs: refused at the DTD, nothing expanded */
  int rc = ods_text("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                    "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
                    "<office:document-content><office:body><office:spreadsheet><table:table>"
                    "<table:table-row><table:table-cell><text:p>&lol3;</text:p></table:table-cell>"
                    "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>",
                    &rs, &err);
  assert_int_equal(rc, KT_EINVAL);
  /* libxml2 stops it while reading the DTD (an entity loop), else we refuse the DTD */
  assert_true(strstr(err.msg, "DTD") || strstr(err.msg, "entity"));
  /* broken XML */
  assert_int_equal(ods_text(ODS_HEAD "<table:table-row><table:table-cell>", &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "not well-formed"));
  /* empty rows and cells repeated a billion times only move counters */
  time_t t0 = time(NULL);
  rc = ods_text(ODS_HEAD "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>Имя</text:p>"
                "</table:table-cell><table:table-cell table:number-columns-repeated=\"1000000000\"/></table:table-row>"
                "<table:table-row table:number-rows-repeated=\"1000000000\"><table:table-cell "
                "table:number-columns-repeated=\"16384\"/></table:table-row>" ODS_TAIL, &rs, &err);
  assert_int_equal(rc, 0);
  assert_int_equal(rs->nheader, 1);
  assert_int_equal(rs->nrows, 0);
  assert_true(time(NULL) - t0 < 10);
  cl_rowset_free(rs);
  /* a row with a value, repeated a billion times, is refused */
  rc = ods_text(ODS_HEAD "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>Имя</text:p>"
                "</table:table-cell></table:table-row><table:table-row table:number-rows-repeated=\"1000000000\">"
                "<table:table-cell office:value-type=\"float\" office:value=\"1\"/></table:table-row>" ODS_TAIL,
                &rs, &err);
  assert_int_equal(rc, KT_EINVAL);
  assert_non_null(strstr(err.msg, "row 2 is repeated"));
  /* a value repeated past the last column */
  rc = ods_text(ODS_HEAD "<table:table-row><table:table-cell table:number-columns-repeated=\"100000\" "
                "office:value-type=\"float\" office:value=\"1\"/></table:table-row>" ODS_TAIL, &rs, &err);
  assert_int_equal(rc, KT_EINVAL);
  assert_non_null(strstr(err.msg, "past column"));
  /* repeated non-empty rows within the limits are all there */
  rc = ods_text(ODS_HEAD "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>A</text:p>"
                "</table:table-cell></table:table-row><table:table-row table:number-rows-repeated=\"3\">"
                "<table:table-cell table:number-columns-repeated=\"2\" office:value-type=\"float\" "
                "office:value=\"7\"/></table:table-row>" ODS_TAIL, &rs, &err);
  assert_int_equal(rc, 0);
  assert_int_equal(rs->nrows, 3);
  assert_int_equal(rs->rows[2].line, 4);
  assert_string_equal(cell(rs, 2, 1), "7");
  cl_rowset_free(rs);
  /* an XLSX whose sheet names a shared string it does not have */
  const char *xn[] = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"};
  const char *xt[] = {"<workbook><sheets><sheet name=\"S\" r:id=\"rId1\" xmlns:r=\"r\"/></sheets></workbook>",
                      "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>",
                      "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>99</v></c></row></sheetData></worksheet>"};
  make_zip(&z, xn, xt, 3);
  assert_int_equal(cl_sheet_parse_xlsx(z.p, z.len, NULL, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "refers to text 99"));
  kt_buf_free(&z);
  kt_err_clear(&err);
  assert_int_equal(cl_sheet_read_xlsx("/nonexistent.xlsx", NULL, &rs, &err), KT_EIO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_libreoffice_xlsx), cmocka_unit_test(test_libreoffice_ods),
      cmocka_unit_test(test_excel_storage),    cmocka_unit_test(test_ods_roundtrip),
      cmocka_unit_test(test_hostile),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
