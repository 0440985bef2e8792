/* Unit tests for cl_vcard: the files phones, Outlook and Google write
 * (tests/data/import/, .vcf files), 2.1 quoted-printable with CHARSET, folded
 * lines, several numbers of one kind, bad input named by its line, and
 * reader(writer(x)) == x for 3.0 and 4.0 with every character that needs
 * escaping and a line long enough to fold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cl_vcard.h"

/* The cell of column `field` in row r, "" when the rowset has no such column. */
static const char *cell(const cl_rowset *rs, int r, const char *field) {
  for (int i = 0; i < rs->nheader; i++)
    if (strcmp(rs->header[i], field) == 0) return i < rs->rows[r].ncells ? rs->rows[r].cells[i] : "";
  return "";
}

static cl_rowset *read_ok(const char *path) {
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_vcard_read(path, NULL, &rs, &err);
  if (rc) fprintf(stderr, "%s: %s\n", path, err.msg);
  assert_int_equal(rc, 0);
  return rs;
}

static void test_phone_30(void **state) {
  (void)state;
  cl_rowset *rs = read_ok("tests/data/import/phone_3.0.vcf");
  assert_int_equal(rs->nrows, 2);
  assert_string_equal(rs->format, "vcard");
  assert_int_equal(rs->rows[0].line, 1);
  assert_string_equal(rs->rows[0].type, "contact");
  assert_string_equal(cell(rs, 0, "last_name"), "Петров");
  assert_string_equal(cell(rs, 0, "first_name"), "Иван");
  assert_string_equal(cell(rs, 0, "middle_name"), "Сергеевич");
  /* two mobile numbers in one cell, for the pipeline to spread */
  assert_string_equal(cell(rs, 0, "phone_mobile"), "+7 916 123-45-67" CL_ROWSET_MULTI "+7 903 765-43-21");
  assert_string_equal(cell(rs, 0, "phone_work"), "+7 495 111-22-33");
  assert_string_equal(cell(rs, 0, "phone_home"), "+7 495 444-55-66");
  assert_string_equal(cell(rs, 0, "email"), "petrov@example.ru");
  assert_string_equal(cell(rs, 0, "org"), "ООО Ромашка");
  assert_string_equal(cell(rs, 0, "position"), "Директор");
  assert_string_equal(cell(rs, 0, "birthday"), "1980-05-17");
  /* escapes and a folded line (the fold's space goes, the text's own stays) */
  assert_string_equal(cell(rs, 0, "comment"), "Звонить после обеда, лучше в среду.\nВторой абзац: "
                                              "очень длинная заметка, которая не помещается в одну строку.");
  /* the second card starts after the PHOTO's folded data: line 19 */
  assert_int_equal(rs->rows[1].line, 19);
  assert_string_equal(cell(rs, 1, "last_name"), "Сидорова");
  assert_string_equal(cell(rs, 1, "birthday"), "--05-17"); /* a birthday without a year */
  assert_string_equal(cell(rs, 1, "phone_home"), "");
  cl_rowset_free(rs);
}

static void test_phone_21_quoted_printable(void **state) {
  (void)state;
  cl_rowset *rs = read_ok("tests/data/import/phone_2.1.vcf");
  assert_int_equal(rs->nrows, 2);
  assert_string_equal(cell(rs, 0, "last_name"), "Кузнецов");
  assert_string_equal(cell(rs, 0, "first_name"), "Пётр");
  assert_string_equal(cell(rs, 0, "phone_mobile"), "+79161234567"); /* 2.1's bare CELL */
  assert_string_equal(cell(rs, 0, "phone_home"), "84951234567");
  assert_string_equal(cell(rs, 0, "comment"), "Длинная заметка в две строки"); /* soft line break */
  /* CHARSET=WINDOWS-1251 through ICU */
  assert_string_equal(cell(rs, 1, "last_name"), "Смирнова");
  assert_string_equal(cell(rs, 1, "first_name"), "Ольга");
  assert_string_equal(cell(rs, 1, "phone_work"), "+7 (812) 555-01-02");
  cl_rowset_free(rs);
}

static void test_outlook(void **state) {
  (void)state;
  cl_rowset *rs = read_ok("tests/data/import/outlook.vcf");
  assert_int_equal(rs->nrows, 1);
  assert_string_equal(cell(rs, 0, "last_name"), "Васильев");
  assert_string_equal(cell(rs, 0, "middle_name"), "Петрович");
  assert_string_equal(cell(rs, 0, "org"), "АО \"Вектор\""); /* the department is not the org */
  assert_string_equal(cell(rs, 0, "position"), "Менеджер");
  assert_string_equal(cell(rs, 0, "phone_work"), "+7 (495) 777-88-99"); /* the fax is skipped */
  assert_string_equal(cell(rs, 0, "phone_mobile"), "+7 (926) 000-11-22");
  assert_string_equal(cell(rs, 0, "email"), "vasiliev@vector.ru");
  assert_string_equal(cell(rs, 0, "address"), "ул. Ленина, 1, 101000, Россия");
  assert_string_equal(cell(rs, 0, "city"), "Москва");
  cl_rowset_free(rs);
}

static void test_google(void **state) {
  (void)state;
  cl_rowset *rs = read_ok("tests/data/import/google.vcf");
  assert_int_equal(rs->nrows, 2);
  assert_string_equal(cell(rs, 0, "last_name"), "Kowalska");
  assert_string_equal(cell(rs, 0, "email"), "maria@example.pl" CL_ROWSET_MULTI "m.kowalska@firma.pl");
  assert_string_equal(cell(rs, 0, "address"), "ul. Długa 5, 80-001, Polska"); /* item1. group */
  assert_string_equal(cell(rs, 0, "city"), "Gdańsk");
  assert_string_equal(cell(rs, 0, "birthday"), "1990-03-08");
  assert_string_equal(cell(rs, 1, "birthday"), "--12-25");
  cl_rowset_free(rs);
}

static int parse(const char *text, cl_rowset **rs, kt_err *err) {
  kt_err_clear(err);
  *rs = NULL;
  return cl_vcard_parse(text, strlen(text), rs, err);
}

static void test_fn_without_n_and_40(void **state) {
  (void)state;
  kt_err err;
  cl_rowset *rs;
  assert_int_equal(parse("BEGIN:VCARD\nVERSION:4.0\nFN:Jan Nowak\nTEL;VALUE=uri;TYPE=\"cell,voice\":tel:+48-601-000-111\n"
                         "GENDER:M\nEND:VCARD\n", &rs, &err), 0);
  assert_string_equal(cell(rs, 0, "first_name"), "Jan");
  assert_string_equal(cell(rs, 0, "last_name"), "Nowak");
  assert_string_equal(cell(rs, 0, "phone_mobile"), "+48-601-000-111");
  cl_rowset_free(rs);
  /* a company's card: FN is the organization, not a person's name */
  assert_int_equal(parse("BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\nFN:ООО Ромашка\r\nORG:ООО Ромашка\r\nEND:VCARD\r\n", &rs, &err), 0);
  assert_string_equal(cell(rs, 0, "last_name"), "");
  assert_string_equal(cell(rs, 0, "org"), "ООО Ромашка");
  cl_rowset_free(rs);
}

/* An FN longer than 1 KiB (found by the soak's fuzzer: a 1 KiB buffer cut it in
 * the middle of a character and the card came back as invalid UTF-8): kept whole. */
static void test_long_fn(void **state) {
  (void)state;
  kt_err err;
  cl_rowset *rs;
  char vcf[4096], name[1500];
  size_t k = 0;
  while (k + 2 < 1401) k += (size_t)snprintf(name + k, sizeof name - k, "Ж"); /* 700 x 2 bytes */
  snprintf(vcf, sizeof vcf, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Иван %s\r\nEND:VCARD\r\n", name);
  assert_int_equal(parse(vcf, &rs, &err), 0);
  assert_string_equal(cell(rs, 0, "first_name"), "Иван");
  assert_string_equal(cell(rs, 0, "last_name"), name);
  cl_rowset_free(rs);
}

static void test_bad_input(void **state) {
  (void)state;
  kt_err err;
  cl_rowset *rs;
  assert_int_equal(parse("BEGIN:VCARD\nVERSION:3.0\nN:A;B;;;\nEND:VCARD\n"
                         "BEGIN:VCARD\nVERSION:3.0\nTEL:123\nEND:VCARD\n", &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 5"));
  assert_non_null(strstr(err.msg, "neither N nor FN"));
  assert_null(rs);
  assert_int_equal(parse("BEGIN:VCARD\nVERSION:3.0\nN:A;B;;;\n", &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 1"));
  assert_non_null(strstr(err.msg, "no END:VCARD"));
  assert_int_equal(parse("BEGIN:VCARD\nN:A\nBEGIN:VCARD\nN:B\nEND:VCARD\n", &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 3"));
  assert_int_equal(parse("Name;Phone\nИванов;123\n", &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "no BEGIN:VCARD"));
  assert_int_equal(cl_vcard_parse("\x89PNG\r\n\x1a\n\0\0\0", 11, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "binary"));
  /* CP1251 bytes without a CHARSET */
  assert_int_equal(parse("BEGIN:VCARD\nVERSION:3.0\nN:\xC8\xE2\xE0\xED\xEE\xE2\nEND:VCARD\n", &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 3"));
  assert_non_null(strstr(err.msg, "not UTF-8"));
  assert_int_equal(parse("BEGIN:VCARD\nN;CHARSET=no-such-charset:abc\nEND:VCARD\n", &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 2"));
  /* thousands of made-up fields: refused, not a slow quadratic walk */
  kt_buf many = KT_BUF_INIT;
  kt_buf_puts(&many, "BEGIN:VCARD\nN:A;B\n");
  for (int i = 0; i < 5000; i++) kt_buf_printf(&many, "X-KARTOTEKA-F%d:x\n", i);
  kt_buf_puts(&many, "END:VCARD\n");
  assert_int_equal(cl_vcard_parse(many.p, many.len, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "more than 512 different fields"));
  kt_buf_free(&many);
  kt_err_clear(&err);
  assert_int_equal(cl_vcard_read("/nonexistent/x.vcf", NULL, &rs, &err), KT_EIO);
}

static void roundtrip(int version) {
  const char *names[] = {"last_name", "first_name", "middle_name", "position", "org",
                         "phone_work", "phone_mobile", "phone_home", "email", "email2",
                         "messenger", "social", "address", "city", "birthday", "gender",
                         "comment", "owner", "c_vip"};
  const char *values[] = {"Петров-Водкин; мл.", "Кузьма, \\ Сергеевич", "", "Художник",
                          "ООО \"Ромашка\"; филиал", "+7 495 111-22-33", "+7 916 000-00-01",
                          "", "kuzma@example.ru", "k2@example.ru", "@kuzma", "https://vk.com/kuzma",
                          "ул. Ленина, д. 1; кв. 2", "Санкт-Петербург", "1878-11-05", "male",
                          ("Первая строка\nвторая строка, очень длинная, длиннее семидесяти пяти "
                           "байт, чтобы её пришлось перенести на следующую строку; и ещё \\ раз"),
                          "anna", "да"};
  int n = (int)(sizeof names / sizeof names[0]);
  kt_buf out = KT_BUF_INIT;
  cl_vcard_write(&out, version, names, values, n, "0190-uid");
  cl_vcard_write(&out, version, names, values, n, NULL);
  /* every physical line within 75 octets, CRLF */
  const char *s = kt_buf_str(&out);
  for (const char *l = s; *l;) {
    const char *e = strstr(l, "\r\n");
    assert_non_null(e);
    assert_true(e - l <= 75);
    l = e + 2;
  }
  assert_non_null(strstr(s, version == 4 ? "VERSION:4.0" : "VERSION:3.0"));
  assert_non_null(strstr(s, "FN:Кузьма\\, \\\\ Сергеевич Петров-Водкин\\; мл."));
  cl_rowset *rs;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(cl_vcard_parse(s, out.len, &rs, &err), 0);
  assert_int_equal(rs->nrows, 2);
  /* both e-mails come back in one cell, as two EMAIL lines of any other program
     would: the import pipeline spreads them over email and email2 */
  for (int r = 0; r < 2; r++)
    for (int i = 0; i < n; i++) {
      if (strcmp(names[i], "email") == 0)
        assert_string_equal(cell(rs, r, "email"), "kuzma@example.ru" CL_ROWSET_MULTI "k2@example.ru");
      else if (strcmp(names[i], "email2") == 0)
        assert_string_equal(cell(rs, r, "email2"), "");
      else
        assert_string_equal(cell(rs, r, names[i]), values[i]);
    }
  cl_rowset_free(rs);
  kt_buf_free(&out);
}

static void test_roundtrip_30(void **state) {
  (void)state;
  roundtrip(3);
}

static void test_roundtrip_40(void **state) {
  (void)state;
  roundtrip(4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_phone_30),
      cmocka_unit_test(test_phone_21_quoted_printable),
      cmocka_unit_test(test_outlook),
      cmocka_unit_test(test_google),
      cmocka_unit_test(test_fn_without_n_and_40),
      cmocka_unit_test(test_long_fn),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_roundtrip_30),
      cmocka_unit_test(test_roundtrip_40),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
