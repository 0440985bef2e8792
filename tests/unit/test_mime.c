/* Unit tests for cl_mime: base64 (RFC 4648 vectors, 76-column lines), RFC
 * 2047 header words cut on character boundaries, the message layout (plain,
 * plain + HTML, attachments with UTF-8 names), no line over 78 characters,
 * and header injection refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cl_mime.h"

static const char *b64(const char *s, int wrap) {
  static kt_buf b;
  kt_buf_free(&b);
  cl_mime_base64((const unsigned char *)s, strlen(s), wrap, &b);
  return kt_buf_str(&b);
}

static void test_base64(void **state) {
  (void)state;
  assert_string_equal(b64("", 0), "");
  assert_string_equal(b64("f", 0), "Zg==");
  assert_string_equal(b64("fo", 0), "Zm8=");
  assert_string_equal(b64("foo", 0), "Zm9v");
  assert_string_equal(b64("foobar", 0), "Zm9vYmFy");
  char big[200];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  const char *w = b64(big, 1);
  assert_int_equal(strcspn(w, "\r"), 76); /* 57 bytes a line */
  assert_int_equal(strlen(w) % 78 == 0 || w[strlen(w) - 1] == '\n', 1);
}

/* The bytes of the RFC 2047 words of a header value, decoded and joined. */
static int unb64(char c) {
  const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const char *p = strchr(a, c);
  return p && c ? (int)(p - a) : -1;
}

static void decode_words(const char *h, kt_buf *out, int *maxword) {
  *maxword = 0;
  for (const char *p = strstr(h, "=?UTF-8?B?"); p; p = strstr(p, "=?UTF-8?B?")) {
    const char *b = p + 10, *e = strstr(b, "?=");
    assert_non_null(e);
    if (e + 2 - p > *maxword) *maxword = (int)(e + 2 - p);
    unsigned acc = 0;
    int bits = 0;
    kt_buf word = KT_BUF_INIT;
    for (const char *q = b; q < e && *q != '='; q++) {
      acc = acc << 6 | (unsigned)unb64(*q);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        kt_buf_putc(&word, (char)(acc >> bits & 0xFF));
      }
    }
    /* every word holds whole characters: it does not start with a continuation byte */
    assert_true(word.len == 0 || ((unsigned char)word.p[0] & 0xC0) != 0x80);
    kt_buf_append(out, word.p, word.len);
    kt_buf_free(&word);
    p = e + 2;
  }
}

static void test_header_words(void **state) {
  (void)state;
  kt_buf b = KT_BUF_INIT;
  cl_mime_header_text("Hello", 9, &b);
  assert_string_equal(kt_buf_str(&b), "Hello");
  kt_buf_reset(&b);
  cl_mime_header_text("Привет", 9, &b);
  assert_string_equal(kt_buf_str(&b), "=?UTF-8?B?0J/RgNC40LLQtdGC?=");
  kt_buf_reset(&b);
  cl_mime_header_text("=?looks like a word?=", 9, &b); /* never passed through raw */
  assert_non_null(strstr(kt_buf_str(&b), "=?UTF-8?B?"));
  kt_buf_reset(&b);
  char longs[400] = "";
  for (int i = 0; i < 60; i++) strcat(longs, i % 7 ? "жё" : "a€");
  cl_mime_header_text(longs, 9, &b);
  kt_buf dec = KT_BUF_INIT;
  int maxw;
  decode_words(kt_buf_str(&b), &dec, &maxw);
  assert_string_equal(kt_buf_str(&dec), longs);
  assert_true(maxw <= 75);
  assert_non_null(strstr(kt_buf_str(&b), "\r\n ")); /* folded */
  kt_buf_free(&dec);
  kt_buf_free(&b);
}

static void check_lines(const char *msg) {
  for (const char *p = msg; *p;) {
    const char *e = strstr(p, "\r\n");
    assert_non_null(e); /* every line ends in CRLF */
    assert_true(e - p <= 78);
    assert_null(memchr(p, '\n', (size_t)(e - p))); /* no bare LF */
    p = e + 2;
  }
}

static void test_message_layout(void **state) {
  (void)state;
  const unsigned char bin[] = {0, 1, 2, 255, '\r', '\n', '.', '.'};
  cl_mime_att att[] = {{"Прайс-лист на 2026 год (полный, со скидками для постоянных).pdf", bin, sizeof bin},
                       {"a.txt", (const unsigned char *)"x", 1}};
  cl_mime_msg m = {.from = "office@example.com", .to = "anna@example.org", .to_name = "Иванова Анна",
                   .subject = "Новый прайс", .text = "Строка 1\nСтрока 2\n", .html = "<p>Привет</p>",
                   .att = att, .natt = 2, .date_ms = 1764700000000, .msgid = "abc"};
  kt_buf b = KT_BUF_INIT;
  kt_err err;
  assert_int_equal(cl_mime_build(&m, &b, &err), 0);
  const char *s = kt_buf_str(&b);
  check_lines(s);
  assert_non_null(strstr(s, "From: office@example.com\r\n"));
  assert_non_null(strstr(s, "To: =?UTF-8?B?"));
  assert_non_null(strstr(s, " <anna@example.org>\r\n"));
  assert_non_null(strstr(s, "Subject: =?UTF-8?B?"));
  assert_non_null(strstr(s, "Date: Tue, 02 Dec 2025 18:26:40 +0000\r\n"));
  assert_non_null(strstr(s, "Message-ID: <abc@example.com>\r\n"));
  assert_non_null(strstr(s, "Content-Type: multipart/mixed; boundary="));
  assert_non_null(strstr(s, "Content-Type: multipart/alternative; boundary="));
  assert_non_null(strstr(s, "Content-Type: text/html; charset=utf-8"));
  assert_non_null(strstr(s, "Content-Type: application/pdf"));
  assert_non_null(strstr(s, "filename*0*=UTF-8''%D0%9F")); /* RFC 2231, continued */
  assert_non_null(strstr(s, "filename*1*="));
  assert_non_null(strstr(s, "filename=\"a.txt\""));
  assert_non_null(strstr(s, "AAEC/w0KLi4=")); /* the binary attachment */
  kt_buf_free(&b);
  /* a long plain name and a long address still fold under 78 columns */
  char longname[200], longaddr[120];
  memset(longname, 'N', 150);
  longname[150] = 0;
  memset(longaddr, 'a', 60); /* (an address itself cannot be folded) */
  strcpy(longaddr + 60, "@example.org");
  cl_mime_msg l = {.from = "office@example.com", .to = longaddr, .to_name = longname, .subject = "s",
                   .text = "x", .msgid = "m"};
  assert_int_equal(cl_mime_build(&l, &b, &err), 0);
  check_lines(kt_buf_str(&b));
  kt_buf_free(&b);
  /* plain text alone: one part, no multipart */
  cl_mime_msg p = {.from = "office@example.com", .to = "a@b.ru", .subject = "Hi", .text = "x",
                   .date_ms = 0, .msgid = "m"};
  assert_int_equal(cl_mime_build(&p, &b, &err), 0);
  check_lines(kt_buf_str(&b));
  assert_null(strstr(kt_buf_str(&b), "multipart"));
  assert_non_null(strstr(kt_buf_str(&b), "Content-Type: text/plain; charset=utf-8\r\n"
                                         "Content-Transfer-Encoding: base64\r\n\r\neA==\r\n"));
  kt_buf_free(&b);
}

static void test_injection_refused(void **state) {
  (void)state;
  assert_true(cl_mime_addr_ok("a.b+c@example.org"));
  assert_false(cl_mime_addr_ok("a@b.ru\r\nBcc: x@y.z"));
  assert_false(cl_mime_addr_ok("a@b.ru>, <x@y.z"));
  assert_false(cl_mime_addr_ok("no-at-sign"));
  assert_false(cl_mime_addr_ok("a@@b"));
  assert_false(cl_mime_addr_ok("@b.ru"));
  assert_false(cl_mime_addr_ok(NULL));
  kt_buf b = KT_BUF_INIT;
  kt_err err;
  cl_mime_msg m = {.from = "office@example.com", .to = "a@b.ru", .subject = "x\r\nBcc: evil@x.ru",
                   .text = "", .msgid = "m"};
  assert_int_equal(cl_mime_build(&m, &b, &err), KT_EINVAL);
  m.subject = "ok";
  m.to_name = "Eve\nBcc: x@y.z";
  assert_int_equal(cl_mime_build(&m, &b, &err), KT_EINVAL);
  m.to_name = NULL;
  m.to = "a@b.ru\nBcc: x@y.z";
  assert_int_equal(cl_mime_build(&m, &b, &err), KT_EINVAL);
  m.to = "a@b.ru";
  m.from = "nobody";
  assert_int_equal(cl_mime_build(&m, &b, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "mail config --from"));
  kt_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_base64),
      cmocka_unit_test(test_header_words),
      cmocka_unit_test(test_message_layout),
      cmocka_unit_test(test_injection_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
