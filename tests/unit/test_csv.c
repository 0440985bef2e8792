/* Unit tests for cl_csv (the CSV/text reader) and cl_rowset (the reader table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cl_csv.h"
#include "cl_rowset.h"
#include "kt_err.h"

static cl_rowset *parse_ok(const char *data, size_t len, const char *enc, char delim) {
  cl_read_opts o = {enc, delim, NULL};
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_csv_parse("csv", data, len, &o, &rs, &err);
  if (rc) fprintf(stderr, "unexpected error: %s\n", err.msg);
  assert_int_equal(rc, 0);
  return rs;
}

static void parse_bad(const char *data, size_t len, const char *enc, const char *want) {
  cl_read_opts o = {enc, 0, NULL};
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(cl_csv_parse("csv", data, len, &o, &rs, &err), KT_EINVAL);
  assert_null(rs);
  if (!strstr(err.msg, want)) fprintf(stderr, "message: %s\nwanted: %s\n", err.msg, want);
  assert_non_null(strstr(err.msg, want));
}

static void test_comma_quotes_newlines(void **state) {
  (void)state;
  const char *s = "name,comment,city\r\n\"Ромашка, ООО\",\"says \"\"hi\"\"\r\nsecond line\",Москва\r\n"
                  "\r\nЛютик,,Тверь\n";
  cl_rowset *rs = parse_ok(s, strlen(s), NULL, 0);
  assert_int_equal(rs->delimiter, ',');
  assert_string_equal(rs->encoding, "utf-8");
  assert_int_equal(rs->nheader, 3);
  assert_string_equal(rs->header[2], "city");
  assert_int_equal(rs->header_line, 1);
  assert_int_equal(rs->nrows, 2);
  assert_string_equal(rs->rows[0].cells[0], "Ромашка, ООО");
  assert_string_equal(rs->rows[0].cells[1], "says \"hi\"\nsecond line");
  assert_int_equal(rs->rows[0].line, 2);
  assert_int_equal(rs->rows[1].line, 5); /* the quoted line break and the empty line count */
  assert_string_equal(rs->rows[1].cells[1], "");
  assert_int_equal(rs->rows[1].ncells, 3);
  cl_rowset_free(rs);
}

static void test_semicolon_bom(void **state) {
  (void)state;
  const char *s = "\xEF\xBB\xBFНазвание;Город;Телефон, рабочий\r\nРомашка;Москва;+7 495 1\r\n";
  cl_rowset *rs = parse_ok(s, strlen(s), NULL, 0);
  assert_int_equal(rs->delimiter, ';');
  assert_string_equal(rs->encoding, "utf-8-bom");
  assert_string_equal(rs->header[0], "Название");
  assert_string_equal(rs->header[2], "Телефон, рабочий");
  assert_string_equal(rs->rows[0].cells[2], "+7 495 1");
  cl_rowset_free(rs);
}

static void test_cp1251_detected(void **state) {
  (void)state;
  /* "Название;Город\nРомашка;Москва" in CP1251 */
  const char s[] = "\xCD\xE0\xE7\xE2\xE0\xED\xE8\xE5;\xC3\xEE\xF0\xEE\xE4\n"
                   "\xD0\xEE\xEC\xE0\xF8\xEA\xE0;\xCC\xEE\xF1\xEA\xE2\xE0\n";
  cl_rowset *rs = parse_ok(s, sizeof s - 1, NULL, 0);
  assert_string_equal(rs->encoding, "cp1251");
  assert_string_equal(rs->header[0], "Название");
  assert_string_equal(rs->rows[0].cells[1], "Москва");
  cl_rowset_free(rs);
  rs = parse_ok(s, sizeof s - 1, "cp1251", 0);
  assert_string_equal(rs->header[1], "Город");
  cl_rowset_free(rs);
}

static size_t utf16(const char *utf8, bool le, char *out) {
  /* ASCII and Cyrillic (2-byte UTF-8) only: enough for the tests */
  size_t w = 0;
  out[w++] = le ? '\xFF' : '\xFE';
  out[w++] = le ? '\xFE' : '\xFF';
  for (const unsigned char *p = (const unsigned char *)utf8; *p;) {
    unsigned cp = *p < 0x80 ? *p++ : (unsigned)(((p[0] & 0x1F) << 6) | (p[1] & 0x3F));
    if (cp >= 0x80) p += 2;
    out[w++] = (char)(le ? cp & 0xFF : cp >> 8);
    out[w++] = (char)(le ? cp >> 8 : cp & 0xFF);
  }
  return w;
}

static void test_utf16_excel_unicode_text(void **state) {
  (void)state;
  char buf[512];
  size_t n = utf16("Имя\tФамилия\r\nИван\tПетров\r\n", true, buf);
  cl_rowset *rs = parse_ok(buf, n, NULL, 0);
  assert_string_equal(rs->encoding, "utf-16le");
  assert_int_equal(rs->delimiter, '\t');
  assert_string_equal(rs->header[1], "Фамилия");
  assert_string_equal(rs->rows[0].cells[1], "Петров");
  cl_rowset_free(rs);
  n = utf16("a;b\nв;г\n", false, buf);
  rs = parse_ok(buf, n, NULL, 0);
  assert_string_equal(rs->encoding, "utf-16be");
  assert_string_equal(rs->rows[0].cells[1], "г");
  cl_rowset_free(rs);
  /* truncated: an odd number of bytes */
  n = utf16("a\tb\nc\td\n", true, buf);
  parse_bad(buf, n - 1, NULL, "line 2: the file ends in the middle of a character");
  /* an unpaired surrogate on line 2 */
  n = utf16("a\tb\nc", true, buf);
  buf[n++] = '\x00';
  buf[n++] = '\xD8';
  buf[n++] = 'x';
  buf[n++] = '\0';
  parse_bad(buf, n, NULL, "line 2:");
}

static void test_delimiter_override_and_sniff(void **state) {
  (void)state;
  const char *s = "a;b|c\n1;2|3\n";
  cl_rowset *rs = parse_ok(s, strlen(s), NULL, '|');
  assert_int_equal(rs->nheader, 2);
  assert_string_equal(rs->header[0], "a;b");
  cl_rowset_free(rs);
  /* one ',' and one ';' in the header: the lines after it decide */
  s = "name;note, more\nx;y\nz;w\n";
  rs = parse_ok(s, strlen(s), NULL, 0);
  assert_int_equal(rs->delimiter, ';');
  cl_rowset_free(rs);
  s = "single\nvalue\n";
  rs = parse_ok(s, strlen(s), NULL, 0);
  assert_int_equal(rs->nheader, 1);
  assert_int_equal(rs->nrows, 1);
  cl_rowset_free(rs);
}

static void test_bad_inputs(void **state) {
  (void)state;
  parse_bad("a,b\n1,2\n\"open,3\n4,5\n", 20, NULL, "line 3: a quoted value opens here");
  parse_bad("a,b\n1,2\n3,\xC3\xA9\n\xE9,x\n", 17, NULL, "line 4: bytes that are not UTF-8");
  parse_bad("\xEF\xBB\xBF" "a,b\n\xFF,x\n", 11, NULL, "line 2: bytes that are not UTF-8");
  parse_bad("a,b\n1,2\n\x01\x02\x03,x\n", 14, NULL, "line 3: binary data");
  static const char bin[] = "PK\x03\x04\0\0\0garbage";
  parse_bad(bin, sizeof bin - 1, NULL, "line 1: binary data (a NUL byte)");
  parse_bad("a,b\n", 4, "no-such-encoding", "unknown encoding 'no-such-encoding'");
  parse_bad("", 0, NULL, "the file is empty");
  parse_bad("\n\r\n", 3, NULL, "the file is empty");
}

static void test_utf8_given_but_not(void **state) {
  (void)state;
  const char s[] = "\xCD\xE0\xE7\xE2\xE0\xED\xE8\xE5\n";
  parse_bad(s, sizeof s - 1, "utf-8", "line 1: bytes that are not UTF-8");
}

static void test_rowset_read_detects(void **state) {
  (void)state;
  char path[] = "/tmp/test_csv_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char *s = "Имя;Фамилия\nИван;Петров\n";
  assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
  close(fd);
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(cl_rowset_read(NULL, path, NULL, &rs, &err), 0);
  assert_string_equal(rs->format, "csv");
  assert_int_equal(rs->nrows, 1);
  cl_rowset_free(rs);
  rs = NULL;
  assert_int_equal(cl_rowset_read("text", path, NULL, &rs, &err), 0);
  assert_string_equal(rs->format, "text");
  assert_int_equal(rs->delimiter, ';'); /* the content decides over the tab default */
  cl_rowset_free(rs);
  rs = NULL;
  assert_int_equal(cl_rowset_read("pdf", path, NULL, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "the formats are csv"));
  unlink(path);
  assert_int_equal(cl_rowset_read(NULL, path, NULL, &rs, &err), KT_EIO);
  assert_null(rs);
}

static void test_rowset_helpers(void **state) {
  (void)state;
  cl_rowset *rs = cl_rowset_new("csv");
  assert_non_null(rs);
  kt_err err;
  for (int i = 0; i < 100; i++) assert_int_equal(cl_rowset_add_header(rs, "h", &err), 0);
  const char *cells[] = {"a", NULL, "c"};
  for (int i = 0; i < 1000; i++)
    assert_int_equal(cl_rowset_add_row(rs, cells, 3, i + 2, i % 2 ? "task" : NULL, &err), 0);
  assert_int_equal(rs->nheader, 100);
  assert_int_equal(rs->nrows, 1000);
  assert_string_equal(rs->rows[999].cells[1], "");
  assert_string_equal(rs->rows[999].type, "task");
  assert_int_equal(rs->rows[500].line, 502);
  assert_int_equal(cl_rowset_add_row(rs, cells, -1, 1, NULL, &err), KT_EINVAL);
  cl_rowset_free(rs);
  cl_rowset_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_comma_quotes_newlines),
      cmocka_unit_test(test_semicolon_bom),
      cmocka_unit_test(test_cp1251_detected),
      cmocka_unit_test(test_utf16_excel_unicode_text),
      cmocka_unit_test(test_delimiter_override_and_sniff),
      cmocka_unit_test(test_bad_inputs),
      cmocka_unit_test(test_utf8_given_but_not),
      cmocka_unit_test(test_rowset_read_detects),
      cmocka_unit_test(test_rowset_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
