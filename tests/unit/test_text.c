/* Unit tests for kt_text: folding, phones, e-mail, collation, trimming. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_buf.h"
#include "kt_err.h"
#include "kt_text.h"

static void check_fold(const char *in, const char *want) {
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_text_fold(in, strlen(in), &b), 0);
  assert_string_equal(kt_buf_str(&b), want);
  kt_buf_free(&b);
}

static void test_fold_basic(void **state) {
  (void)state;
  check_fold("", "");
  check_fold("Hello, World 42!", "hello, world 42!");
  check_fold("ООО Ромашка", "ооо ромашка");
  check_fold("Łódź", "lodz");
  check_fold("Żółć", "zolc");
  check_fold("ЁЛКА", "елка");
  check_fold("ёлка", "елка");
  check_fold("Йошкар-Ола ЙОД", "йошкар-ола йод");
  check_fold("Straße", "strasse");
  check_fold("STRAẞE", "strasse");
  check_fold("Æsop Œuvre Ørsted Þór", "aesop oeuvre orsted thor");
  check_fold("Crème Brûlée", "creme brulee");
  check_fold("İstanbul ıspanak", "istanbul ispanak");
  check_fold("Nguyễn Thị Ánh", "nguyen thi anh");
}

static void test_fold_scripts(void **state) {
  (void)state;
  /* mixed scripts in one string; Greek keeps accents, final sigma unified */
  check_fold("Müller и Ёжиков: ΟΔΟΣ οδος", "muller и ежиков: οδοσ οδοσ");
  check_fold("ΆΛΦΑ", "άλφα");
  /* other scripts: lower-case only (Armenian), or unchanged (CJK, emoji) */
  check_fold("ԱԲ 東京 😀", "աբ 東京 😀");
  /* Cyrillic letters other than ё keep their identity */
  check_fold("ЇЖАК Ўсё", "їжак ўсе");
}

static void test_fold_decomposed(void **state) {
  (void)state;
  /* NFD input folds like NFC input */
  check_fold("Cre\xCC\x80me", "creme");       /* e + U+0300 */
  check_fold("E\xCC\x88lka", "elka");        /* E + U+0308 (Latin) */
  check_fold("\xD0\x95\xCC\x88lka", "еlka"); /* Cyrillic Е + U+0308 -> Ё -> е */
  check_fold("\xD0\x98\xCC\x86", "й");       /* И + U+0306 -> Й -> й */
  check_fold("q\xCC\x83", "q");              /* no precomposed q̃: mark dropped */
  check_fold("\xD0\xB6\xCC\x81", "ж\xCC\x81"); /* mark kept on a non-Latin letter */
}

static void test_fold_invalid_utf8(void **state) {
  (void)state;
  const char bad[] = "a\xFF" "b\xC3" "c\xE2\x82" "d\xED\xA0\x80" "e\xC0\xAF";
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_text_fold(bad, sizeof bad - 1, &b), 0);
  /* \xE2\x82 is one maximal subpart -> one U+FFFD; surrogate and overlong -> per byte */
  assert_string_equal(kt_buf_str(&b), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD"
                                      "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                                      "e\xEF\xBF\xBD\xEF\xBF\xBD");
  assert_true(kt_utf8_valid(kt_buf_str(&b), b.len));
  /* appends, does not overwrite */
  assert_int_equal(kt_text_fold("X", 1, &b), 0);
  assert_int_equal(b.p[b.len - 1], 'x');
  /* embedded NUL is kept */
  kt_buf_reset(&b);
  assert_int_equal(kt_text_fold("A\0B", 3, &b), 0);
  assert_int_equal(b.len, 3);
  assert_memory_equal(b.p, "a\0b", 3);
  kt_buf_free(&b);
}

static void test_fold_long(void **state) {
  (void)state;
  /* a long mixed string that forces buffer growth; the result must be stable */
  kt_buf in = KT_BUF_INIT, out = KT_BUF_INIT;
  for (int i = 0; i < 2000; i++) kt_buf_puts(&in, "ẞß İ Ё ");
  assert_int_equal(kt_text_fold(in.p, in.len, &out), 0);
  assert_int_equal(out.len, 2000 * strlen("ssss i е "));
  assert_memory_equal(out.p, "ssss i е ssss", strlen("ssss i е ssss"));
  kt_buf_free(&in);
  kt_buf_free(&out);
}

static void test_utf8_valid(void **state) {
  (void)state;
  assert_true(kt_utf8_valid("", 0));
  assert_true(kt_utf8_valid("Łódź ёлка 😀", strlen("Łódź ёлка 😀")));
  assert_false(kt_utf8_valid("\xC0\x80", 2));         /* overlong NUL */
  assert_false(kt_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
  assert_false(kt_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
  assert_false(kt_utf8_valid("\xE2\x82", 2));         /* truncated */
  assert_false(kt_utf8_valid("\x80", 1));
}

static void check_phone(const char *in, const char *cc, int want_rc, const char *want) {
  char out[32];
  int rc = kt_phone_normalize(in, cc, out, sizeof out);
  assert_int_equal(rc, want_rc);
  assert_string_equal(out, want);
}

static void test_phone(void **state) {
  (void)state;
  check_phone("8 (916) 123-45-67", "7", 11, "79161234567");
  check_phone("8 (916) 123-45-67", NULL, 11, "79161234567");
  check_phone("+7 916 123 45 67", "7", 11, "79161234567");
  check_phone("(916) 123-45-67", "7", 11, "79161234567");
  check_phone("+48 22 123 45 67", "7", 11, "48221234567");
  check_phone("123-45-67", "7", 7, "1234567");
  check_phone("  +1 (212) 555‑0100 ", "7", 11, "12125550100"); /* U+2011 hyphen */
  check_phone("8\xC2\xA0" "916\xC2\xA0" "1234567", "7", 11, "79161234567"); /* NBSP */
  check_phone("8 916 123-45-67 доб. 123", "7", 11, "79161234567");
  check_phone("8 916 123-45-67 Доб.123", "7", 11, "79161234567");
  check_phone("+1 212 555 0100 ext 12", "7", 11, "12125550100");
  check_phone("+1 212 555 0100 x12", "7", 11, "12125550100");
  check_phone("81 98765 4321", "55", 11, "81987654321"); /* 11-digit 8... outside +7 stays */
  check_phone("2125550100", "1", 11, "12125550100");
  check_phone("2125550100", "", 10, "2125550100");
  check_phone("", "7", 0, "");
  check_phone(" - ", "7", 0, "");
  check_phone("call me", "7", KT_EINVAL, "");
  check_phone("8 916 abc", "7", KT_EINVAL, "");
  check_phone("8 916 123 45 67 extra 5", "7", KT_EINVAL, "");
  check_phone("7+916", "7", KT_EINVAL, "");
  check_phone("123456789012345678901", "7", KT_EINVAL, ""); /* 21 digits */
  check_phone("12345678901234567890", "7", 20, "12345678901234567890");
  check_phone("1234567", "7x", KT_EINVAL, "");
  char tiny[5];
  assert_int_equal(kt_phone_normalize("1234567", NULL, tiny, sizeof tiny), KT_EINVAL);
  assert_string_equal(tiny, "");
}

static void test_email(void **state) {
  (void)state;
  kt_buf b = KT_BUF_INIT;
  kt_err e;
  kt_err_clear(&e);
  assert_int_equal(kt_email_normalize("  Ivan.Petrov@Example.COM \n", &b, &e), 0);
  assert_string_equal(kt_buf_str(&b), "ivan.petrov@example.com");
  kt_buf_reset(&b);
  assert_int_equal(kt_email_normalize("Иван@Пример.РФ", &b, &e), 0);
  assert_string_equal(kt_buf_str(&b), "иван@пример.рф");
  kt_buf_reset(&b);
  const char *bad[] = {"", "ivan", "ivan@", "@example.com", "iv an@example.com", "a@b@c.com",
                       "ivan@localhost", "ivan@.example.com", "ivan@example.com.", "ivan@ex..com",
                       "ivan\x01@example.com", "ivan@exa\xFFmple.com"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    kt_err_clear(&e);
    assert_int_equal(kt_email_normalize(bad[i], &b, &e), KT_EINVAL);
    assert_int_equal(e.code, KT_EINVAL);
    assert_true(strlen(e.msg) > 10);
    assert_int_equal(b.len, 0); /* nothing appended on error */
  }
  kt_email_normalize("ivan@localhost", &b, &e);
  assert_non_null(strstr(e.msg, "'ivan@localhost'"));
  kt_buf_free(&b);
}

static int cmp(const kt_collator *c, const char *a, const char *b) { return kt_collate(c, a, -1, b, -1); }

static void test_collate_ru(void **state) {
  (void)state;
  kt_collator *c = NULL;
  kt_err e;
  assert_int_equal(kt_collator_new("ru_RU.UTF-8", &c, &e), 0);
  /* Ё is a secondary variant of Е: Елка < Ёлка < Ель (Ёлка is not sorted after Я) */
  assert_true(cmp(c, "Елка", "Ёлка") < 0);
  assert_true(cmp(c, "Ёлка", "Ель") < 0);
  assert_true(cmp(c, "Ёлка", "Жук") < 0);
  /* CLDR's ru tailoring reorders Cyrillic BEFORE Latin */
  assert_true(cmp(c, "Яблоко", "Apple") < 0);
  /* numeric ordering and case (tertiary) */
  assert_true(cmp(c, "дом 2", "дом 10") < 0);
  assert_true(cmp(c, "дом", "Дом") < 0);
  assert_int_equal(cmp(c, "дом", "дом"), 0);
  /* explicit lengths */
  assert_int_equal(kt_collate(c, "домик", 3 * 2, "дом", -1), 0);
  kt_collator_free(c);
  /* root: Latin before Cyrillic */
  assert_int_equal(kt_collator_new("C", &c, &e), 0);
  assert_true(cmp(c, "Apple", "Яблоко") < 0);
  kt_collator_free(c);
  kt_collator_free(NULL);
}

static void test_collate_pl(void **state) {
  (void)state;
  kt_collator *c = NULL;
  assert_int_equal(kt_collator_new("pl", &c, NULL), 0);
  assert_true(cmp(c, "Lublin", "Łódź") < 0);
  assert_true(cmp(c, "Łódź", "Malbork") < 0);
  assert_true(cmp(c, "Lz", "Ła") < 0); /* Ł is a separate letter after L in pl */
  kt_collator_free(c);
  assert_int_equal(kt_collator_new("en", &c, NULL), 0);
  assert_true(cmp(c, "Ła", "Lz") < 0); /* ...but only a variant of L in en */
  kt_collator_free(c);
  kt_err e;
  kt_err_clear(&e);
  assert_int_equal(kt_collator_new("ru;rm -rf", &c, &e), KT_EINVAL);
  assert_int_equal(e.code, KT_EINVAL);
}

/* kt_collate_key: memcmp of two keys orders the texts as kt_collate does. */
static void test_collate_key(void **state) {
  (void)state;
  const char *w[] = {"Ёлкин", "Елкин", "елкин", "Ельцин", "Аристов", "item 10", "item 2", "Łukasz",
                     "Lucyna", "Ślęzak", "Szymański", "", "a\xff\xfe", "ЁЛКИН", "Żaneta", "Zenon"};
  const char *locs[] = {"ru", "pl", "en"};
  for (int l = 0; l < 3; l++) {
    kt_collator *c = NULL;
    assert_int_equal(kt_collator_new(locs[l], &c, NULL), 0);
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
      for (size_t j = 0; j < sizeof w / sizeof w[0]; j++) {
        kt_buf a = KT_BUF_INIT, b = KT_BUF_INIT;
        assert_int_equal(kt_collate_key(c, w[i], strlen(w[i]), &a), 0);
        assert_int_equal(kt_collate_key(c, w[j], strlen(w[j]), &b), 0);
        assert_true(a.len > 0 && a.p[a.len - 1] == 0);
        assert_null(memchr(a.p, 0, a.len - 1)); /* one 0x00, at the end */
        size_t n = a.len < b.len ? a.len : b.len;
        int m = memcmp(a.p, b.p, n);
        int km = m < 0 ? -1 : m > 0 ? 1 : a.len < b.len ? -1 : a.len > b.len;
        assert_int_equal(km, kt_collate(c, w[i], -1, w[j], -1));
        kt_buf_free(&a);
        kt_buf_free(&b);
      }
    kt_collator_free(c);
  }
}

static void test_trim(void **state) {
  (void)state;
  size_t n;
  const char *s = "\xC2\xA0 \t Иван \xE3\x80\x80\n";
  const char *t = kt_text_trim(s, &n);
  assert_int_equal(n, strlen("Иван"));
  assert_memory_equal(t, "Иван", n);
  t = kt_text_trim(" \n ", &n);
  assert_int_equal(n, 0);
  t = kt_text_trim("abc", &n);
  assert_int_equal(n, 3);
  t = kt_text_trimn("  ab  cd", 6, &n);
  assert_int_equal(n, 2);
  assert_memory_equal(t, "ab", 2);
  t = kt_text_trim("x\xE2\x80\x8B", &n); /* trailing zero-width space */
  assert_int_equal(n, 1);
  assert_null(kt_text_trim(NULL, &n));
  assert_int_equal(n, 0);
}

static void test_width(void **state) {
  (void)state;
  assert_int_equal(kt_text_width("Name", (size_t)-1), 4);
  assert_int_equal(kt_text_width("Москва", (size_t)-1), 6); /* 12 bytes, 6 columns */
  assert_int_equal(kt_text_width("Łódź", (size_t)-1), 4);
  assert_int_equal(kt_text_width("e\xCC\x81", (size_t)-1), 1);         /* e + combining acute */
  assert_int_equal(kt_text_width("\xE6\x97\xA5\xE6\x9C\xAC", (size_t)-1), 4); /* 日本: wide */
  assert_int_equal(kt_text_width("\xEF\xBC\xA1", (size_t)-1), 2);     /* fullwidth A */
  assert_int_equal(kt_text_width("a\xE2\x80\x8B" "b", (size_t)-1), 2);   /* zero-width space */
  assert_int_equal(kt_text_width("a\tb", (size_t)-1), 2);               /* control: 0 */
  assert_int_equal(kt_text_width("\xFF\xFEx", (size_t)-1), 3);         /* 2 x U+FFFD + x */
  assert_int_equal(kt_text_width("Москва", 4), 2);
  assert_int_equal(kt_text_width(NULL, 0), 0);
}

static void test_nearest(void **state) {
  (void)state;
  static const char *const cmds[] = {"init", "list", "search", "show", "status", "sync", "admin"};
  int n = (int)(sizeof cmds / sizeof cmds[0]);
  assert_int_equal(kt_text_nearest("serach", cmds, n), 2); /* a transposition */
  assert_int_equal(kt_text_nearest("lst", cmds, n), 1);
  assert_int_equal(kt_text_nearest("LIST", cmds, n), 1);
  assert_int_equal(kt_text_nearest("stauts", cmds, n), 4);
  assert_int_equal(kt_text_nearest("amdin", cmds, n), 6);
  assert_int_equal(kt_text_nearest("frobnicate", cmds, n), -1); /* nothing near */
  assert_int_equal(kt_text_nearest("xy", cmds, n), -1);
  assert_int_equal(kt_text_nearest("", cmds, n), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fold_basic),      cmocka_unit_test(test_fold_scripts),
      cmocka_unit_test(test_fold_decomposed), cmocka_unit_test(test_fold_invalid_utf8),
      cmocka_unit_test(test_fold_long),       cmocka_unit_test(test_utf8_valid),
      cmocka_unit_test(test_phone),           cmocka_unit_test(test_email),
      cmocka_unit_test(test_collate_ru),      cmocka_unit_test(test_collate_pl),
      cmocka_unit_test(test_collate_key),
      cmocka_unit_test(test_trim),            cmocka_unit_test(test_width),
      cmocka_unit_test(test_nearest),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
