/* Unit tests for kt_frame: encoding, the streaming reader and validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_frame.h"

/* ---- helpers ------------------------------------------------------------- */

typedef struct push_fixture {
  Kartoteka__Envelope env;
  Kartoteka__Push push;
  Kartoteka__Change ch;
  Kartoteka__Change *chp[1];
  Kartoteka__FieldValue fv[3];
  Kartoteka__FieldValue *fvp[3];
} push_fixture;

/* A Push with one change and three fields: text, number, null. */
static void make_push(push_fixture *f) {
  kartoteka__envelope__init(&f->env);
  kartoteka__push__init(&f->push);
  kartoteka__change__init(&f->ch);
  for (int i = 0; i < 3; i++) {
    kartoteka__field_value__init(&f->fv[i]);
    f->fvp[i] = &f->fv[i];
    f->fv[i].stamp = 0x0123456789ab0001ull + (uint64_t)i;
    f->fv[i].device = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  }
  f->fv[0].name = "name";
  f->fv[0].value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
  f->fv[0].text = "ООО «Ромашка» — Łódź";
  f->fv[1].name = "employees";
  f->fv[1].value_case = KARTOTEKA__FIELD_VALUE__VALUE_NUM;
  f->fv[1].num = -42;
  f->fv[1].base_stamp = 77;
  f->fv[2].name = "comment";
  f->fv[2].is_null = 1;
  f->ch.counter = 9;
  f->ch.type = "org";
  f->ch.id = "0190a1b2-c3d4-7e5f-8a9b-000000000001";
  f->ch.n_fields = 3;
  f->ch.fields = f->fvp;
  f->chp[0] = &f->ch;
  f->push.n_changes = 1;
  f->push.changes = f->chp;
  f->env.req_id = 12345;
  f->env.body_case = KARTOTEKA__ENVELOPE__BODY_PUSH;
  f->env.push = &f->push;
}

static void encode_ping(kt_buf *out, uint64_t req, uint64_t nonce) {
  Kartoteka__Envelope env = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Ping ping = KARTOTEKA__PING__INIT;
  ping.nonce = nonce;
  env.req_id = req;
  env.body_case = KARTOTEKA__ENVELOPE__BODY_PING;
  env.ping = &ping;
  assert_int_equal(kt_frame_encode(&env, out, NULL), 0);
}

/* Appends a frame with an arbitrary payload. */
static void raw_frame(kt_buf *out, const void *payload, size_t n) {
  unsigned char h[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                        (unsigned char)(n >> 8), (unsigned char)n};
  kt_buf_append(out, h, 4);
  kt_buf_append(out, payload, n);
}

static void check_push(const Kartoteka__Envelope *e) {
  assert_int_equal(e->req_id, 12345);
  assert_int_equal(e->body_case, KARTOTEKA__ENVELOPE__BODY_PUSH);
  assert_int_equal(e->push->n_changes, 1);
  const Kartoteka__Change *c = e->push->changes[0];
  assert_string_equal(c->type, "org");
  assert_int_equal(c->counter, 9);
  assert_int_equal(c->n_fields, 3);
  assert_string_equal(c->fields[0]->text, "ООО «Ромашка» — Łódź");
  assert_int_equal(c->fields[1]->value_case, KARTOTEKA__FIELD_VALUE__VALUE_NUM);
  assert_true(c->fields[1]->num == -42);
  assert_true(c->fields[1]->base_stamp == 77);
  assert_true(c->fields[0]->stamp == 0x0123456789ab0001ull);
  assert_true(c->fields[2]->is_null);
  assert_int_equal(c->fields[2]->value_case, KARTOTEKA__FIELD_VALUE__VALUE__NOT_SET);
}

/* ---- tests --------------------------------------------------------------- */

static void test_roundtrip(void **state) {
  (void)state;
  push_fixture f;
  make_push(&f);
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_frame_env_validate(&f.env, &err), 0);
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_frame_encode(&f.env, &b, &err), 0);
  assert_true(b.len > 4);
  uint32_t n = (uint32_t)(unsigned char)b.p[0] << 24 | (uint32_t)(unsigned char)b.p[1] << 16 |
               (uint32_t)(unsigned char)b.p[2] << 8 | (unsigned char)b.p[3];
  assert_int_equal(n, b.len - 4);

  kt_frame_reader r;
  kt_frame_reader_init(&r, 0);
  assert_int_equal(kt_frame_reader_feed(&r, b.p, b.len, &err), 0);
  Kartoteka__Envelope *e = NULL;
  assert_int_equal(kt_frame_reader_next(&r, &e, &err), 1);
  check_push(e);
  assert_int_equal(kt_frame_env_validate(e, &err), 0);
  assert_string_equal(kt_frame_body_name(e), "push");
  kt_frame_env_free(e);
  assert_int_equal(kt_frame_reader_next(&r, &e, &err), 0);
  assert_int_equal(kt_frame_reader_pending(&r), 0);
  kt_frame_reader_close(&r);
  kt_buf_free(&b);
}

static void test_byte_by_byte(void **state) {
  (void)state;
  push_fixture f;
  make_push(&f);
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_frame_encode(&f.env, &b, NULL), 0);
  encode_ping(&b, 7, 99);
  kt_frame_reader r;
  kt_frame_reader_init(&r, 4096);
  Kartoteka__Envelope *e = NULL;
  int got = 0;
  for (size_t i = 0; i < b.len; i++) {
    assert_int_equal(kt_frame_reader_feed(&r, b.p + i, 1, NULL), 0);
    int rc;
    while ((rc = kt_frame_reader_next(&r, &e, NULL)) == 1) {
      if (got == 0) check_push(e);
      else {
        assert_int_equal(e->body_case, KARTOTEKA__ENVELOPE__BODY_PING);
        assert_int_equal(e->ping->nonce, 99);
        assert_int_equal(i, b.len - 1); /* only complete at the very last byte */
      }
      got++;
      kt_frame_env_free(e);
    }
    assert_int_equal(rc, 0);
  }
  assert_int_equal(got, 2);
  kt_frame_reader_close(&r);
  kt_buf_free(&b);
}

static void test_two_frames_one_feed(void **state) {
  (void)state;
  kt_buf b = KT_BUF_INIT;
  encode_ping(&b, 1, 11);
  encode_ping(&b, 2, 22);
  size_t two = b.len;
  encode_ping(&b, 3, 33);
  kt_frame_reader r;
  kt_frame_reader_init(&r, 0);
  /* two whole frames and half of a third */
  size_t first = two + (b.len - two) / 2;
  assert_int_equal(kt_frame_reader_feed(&r, b.p, first, NULL), 0);
  Kartoteka__Envelope *e;
  assert_int_equal(kt_frame_reader_next(&r, &e, NULL), 1);
  assert_int_equal(e->ping->nonce, 11);
  kt_frame_env_free(e);
  assert_int_equal(kt_frame_reader_next(&r, &e, NULL), 1);
  assert_int_equal(e->ping->nonce, 22);
  assert_int_equal(e->req_id, 2);
  kt_frame_env_free(e);
  assert_int_equal(kt_frame_reader_next(&r, &e, NULL), 0);
  assert_int_equal(kt_frame_reader_pending(&r), first - two);
  assert_int_equal(kt_frame_reader_feed(&r, b.p + first, b.len - first, NULL), 0);
  assert_int_equal(kt_frame_reader_next(&r, &e, NULL), 1);
  assert_int_equal(e->ping->nonce, 33);
  kt_frame_env_free(e);
  kt_frame_reader_close(&r);
  kt_buf_free(&b);
}

static void test_oversized_prefix(void **state) {
  (void)state;
  kt_err err;
  kt_err_clear(&err);
  kt_frame_reader r;
  kt_frame_reader_init(&r, 1024);
  unsigned char big[4 + 600] = {0, 0, 0x08, 0x01}; /* 2049 bytes announced */
  memset(big + 4, 0x41, 600);
  /* prefix split over two feeds: the payload must not be buffered */
  assert_int_equal(kt_frame_reader_feed(&r, big, 2, &err), 0);
  assert_int_equal(kt_frame_reader_feed(&r, big + 2, sizeof big - 2, &err), KT_ETOOBIG);
  assert_non_null(strstr(err.msg, "2049"));
  assert_int_equal(kt_frame_reader_pending(&r), 0);
  assert_null(r.buf.p);
  Kartoteka__Envelope *e = NULL;
  kt_err_clear(&err);
  assert_int_equal(kt_frame_reader_next(&r, &e, &err), KT_ETOOBIG); /* sticky */
  assert_int_equal(err.code, KT_ETOOBIG);
  assert_int_equal(kt_frame_reader_feed(&r, "x", 1, NULL), KT_ETOOBIG);
  assert_null(e);
  kt_frame_reader_close(&r);

  /* the second frame of one feed is over the limit: found by next() */
  kt_frame_reader_init(&r, 1024);
  kt_buf b = KT_BUF_INIT;
  encode_ping(&b, 1, 1);
  kt_buf_append(&b, "\xff\xff\xff\xff", 4);
  assert_int_equal(kt_frame_reader_feed(&r, b.p, b.len, NULL), 0);
  assert_int_equal(kt_frame_reader_next(&r, &e, NULL), 1);
  kt_frame_env_free(e);
  assert_int_equal(kt_frame_reader_next(&r, &e, NULL), KT_ETOOBIG);
  kt_frame_reader_close(&r);
  kt_buf_free(&b);
}

static void test_truncated(void **state) {
  (void)state;
  push_fixture f;
  make_push(&f);
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_frame_encode(&f.env, &b, NULL), 0);
  kt_frame_reader r;
  kt_frame_reader_init(&r, 0);
  Kartoteka__Envelope *e = NULL;
  assert_int_equal(kt_frame_reader_feed(&r, b.p, 3, NULL), 0);
  assert_int_equal(kt_frame_reader_next(&r, &e, NULL), 0);
  assert_int_equal(kt_frame_reader_feed(&r, b.p + 3, b.len - 4, NULL), 0);
  assert_int_equal(kt_frame_reader_next(&r, &e, NULL), 0);
  assert_null(e);
  assert_int_equal(kt_frame_reader_pending(&r), b.len - 1);
  kt_frame_reader_close(&r);

  /* a frame whose inner length runs past its end is malformed */
  unsigned char bad[] = {0x08, 0x01, 0x82, 0x02, 0x10, 0x01}; /* push, len 16, 1 byte */
  kt_buf c = KT_BUF_INIT;
  raw_frame(&c, bad, sizeof bad);
  kt_err err;
  kt_err_clear(&err);
  kt_frame_reader_init(&r, 0);
  assert_int_equal(kt_frame_reader_feed(&r, c.p, c.len, NULL), 0);
  assert_int_equal(kt_frame_reader_next(&r, &e, &err), KT_EPROTO);
  assert_non_null(strstr(err.msg, "malformed"));
  kt_frame_reader_close(&r);
  kt_buf_free(&c);
  kt_buf_free(&b);
}

static void expect_proto_error(const void *payload, size_t n, const char *msg_part) {
  kt_buf b = KT_BUF_INIT;
  raw_frame(&b, payload, n);
  kt_frame_reader r;
  kt_frame_reader_init(&r, 0);
  kt_err err;
  kt_err_clear(&err);
  Kartoteka__Envelope *e = NULL;
  assert_int_equal(kt_frame_reader_feed(&r, b.p, b.len, NULL), 0);
  int rc = kt_frame_reader_next(&r, &e, &err);
  if (rc != KT_EPROTO) print_error("rc=%d msg=%s\n", rc, err.msg);
  assert_int_equal(rc, KT_EPROTO);
  assert_null(e);
  if (msg_part && !strstr(err.msg, msg_part)) {
    print_error("message '%s' lacks '%s'\n", err.msg, msg_part);
    fail();
  }
  /* stays failed */
  assert_int_equal(kt_frame_reader_next(&r, &e, NULL), KT_EPROTO);
  kt_frame_reader_close(&r);
  kt_buf_free(&b);
}

static void test_garbage_payload(void **state) {
  (void)state;
  unsigned char g1[64];
  memset(g1, 0xff, sizeof g1);
  expect_proto_error(g1, sizeof g1, "malformed");
  const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  expect_proto_error(http, strlen(http), NULL);
  /* wire type 7 */
  unsigned char g2[] = {0x0f, 0x00};
  expect_proto_error(g2, sizeof g2, "wire type");
  /* upstream protobuf-c #506: a 5-byte tag with high bits must not reach the decoder */
  unsigned char g3[] = {0x80, 0x80, 0x80, 0x80, 0x7f, 0x00};
  expect_proto_error(g3, sizeof g3, "field number");
  /* same inside a nested message: push { tag 0xff ff ff ff 0f ... } */
  unsigned char g4[] = {0xf2, 0x01, 0x06, 0xfa, 0xff, 0xff, 0xff, 0x4f, 0x00};
  expect_proto_error(g4, sizeof g4, "field number");
  /* NUL byte inside a string: ping is fine, error.message "a\0b" is not */
  unsigned char g5[] = {0xa2, 0x03, 0x05, 0x12, 0x03, 'a', 0x00, 'b'};
  expect_proto_error(g5, sizeof g5, "NUL");
}

static void test_unset_oneof(void **state) {
  (void)state;
  /* only req_id: no body */
  unsigned char p1[] = {0x08, 0x05};
  expect_proto_error(p1, sizeof p1, "unknown message type");
  /* empty frame */
  expect_proto_error("", 0, "unknown message type");
  /* a body arm from the future (field 999, empty message) */
  unsigned char p2[] = {0x08, 0x05, 0xba, 0x3e, 0x00};
  expect_proto_error(p2, sizeof p2, "unknown message type");

  Kartoteka__Envelope env = KARTOTEKA__ENVELOPE__INIT;
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_frame_encode(&env, &b, NULL), KT_EINVAL);
  assert_int_equal(b.len, 0);
  assert_int_equal(kt_frame_env_validate(&env, NULL), KT_EPROTO);
  assert_string_equal(kt_frame_body_name(&env), "none");
  kt_buf_free(&b);
}

static void test_expansion_bomb(void **state) {
  (void)state;
  /* Push with 20000 empty Changes: 40 KB on the wire, megabytes in memory */
  kt_buf inner = KT_BUF_INIT;
  for (int i = 0; i < 20000; i++) kt_buf_append(&inner, "\x0a\x00", 2);
  kt_buf payload = KT_BUF_INIT;
  kt_buf_append(&payload, "\xf2\x01", 2); /* field 30 (push), wire type 2 */
  kt_buf_put_varint(&payload, inner.len);
  kt_buf_append(&payload, inner.p, inner.len);
  kt_buf b = KT_BUF_INIT;
  raw_frame(&b, payload.p, payload.len);
  kt_frame_reader r;
  kt_frame_reader_init(&r, 0);
  kt_err err;
  kt_err_clear(&err);
  Kartoteka__Envelope *e = NULL;
  assert_int_equal(kt_frame_reader_feed(&r, b.p, b.len, NULL), 0);
  assert_int_equal(kt_frame_reader_next(&r, &e, &err), KT_ETOOBIG);
  assert_non_null(strstr(err.msg, "memory"));
  kt_frame_reader_close(&r);

  /* a realistic batch of the same wire size decodes fine */
  push_fixture f;
  make_push(&f);
  Kartoteka__Change *many[400];
  for (int i = 0; i < 400; i++) many[i] = &f.ch;
  f.push.n_changes = 400;
  f.push.changes = many;
  kt_buf_reset(&b);
  assert_int_equal(kt_frame_encode(&f.env, &b, NULL), 0);
  kt_frame_reader_init(&r, 0);
  assert_int_equal(kt_frame_reader_feed(&r, b.p, b.len, NULL), 0);
  assert_int_equal(kt_frame_reader_next(&r, &e, &err), 1);
  assert_int_equal(e->push->n_changes, 400);
  assert_int_equal(kt_frame_env_validate(e, NULL), 0);
  kt_frame_env_free(e);
  kt_frame_reader_close(&r);
  kt_buf_free(&b);
  kt_buf_free(&payload);
  kt_buf_free(&inner);
}

static void test_encode_limit(void **state) {
  (void)state;
  push_fixture f;
  make_push(&f);
  kt_buf b = KT_BUF_INIT;
  kt_buf_puts(&b, "keep");
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_frame_encode_max(&f.env, 50, &b, &err), KT_ETOOBIG);
  assert_non_null(strstr(err.msg, "push"));
  assert_int_equal(b.len, 4); /* unchanged */
  assert_int_equal(kt_frame_encode_max(&f.env, 4096, &b, &err), 0);
  assert_memory_equal(b.p, "keep", 4);
  kt_buf_free(&b);
}

static void test_compaction(void **state) {
  (void)state;
  kt_frame_reader r;
  kt_frame_reader_init(&r, 0);
  kt_buf one = KT_BUF_INIT;
  encode_ping(&one, 1, 1);
  /* many frames, each fed split in two: the buffer must not grow */
  Kartoteka__Envelope *e;
  for (int i = 0; i < 10000; i++) {
    assert_int_equal(kt_frame_reader_feed(&r, one.p, 3, NULL), 0);
    assert_int_equal(kt_frame_reader_next(&r, &e, NULL), 0);
    assert_int_equal(kt_frame_reader_feed(&r, one.p + 3, one.len - 3, NULL), 0);
    assert_int_equal(kt_frame_reader_next(&r, &e, NULL), 1);
    kt_frame_env_free(e);
  }
  assert_true(r.buf.cap <= 256);
  /* one big frame, then a small one half-fed: the big buffer is released */
  Kartoteka__Envelope env = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Error er = KARTOTEKA__ERROR__INIT;
  char *msg = malloc(1 << 20);
  assert_non_null(msg);
  memset(msg, 'x', (1 << 20) - 1);
  msg[(1 << 20) - 1] = '\0';
  er.message = msg;
  env.body_case = KARTOTEKA__ENVELOPE__BODY_ERROR;
  env.error = &er;
  kt_buf big = KT_BUF_INIT;
  assert_int_equal(kt_frame_encode(&env, &big, NULL), 0);
  kt_buf_append(&big, one.p, 3);
  assert_int_equal(kt_frame_reader_feed(&r, big.p, big.len, NULL), 0);
  assert_int_equal(kt_frame_reader_next(&r, &e, NULL), 1);
  assert_int_equal(strlen(e->error->message), (1 << 20) - 1);
  kt_frame_env_free(e);
  assert_int_equal(kt_frame_reader_feed(&r, one.p + 3, one.len - 3, NULL), 0);
  assert_true(r.buf.cap <= 256);
  assert_int_equal(kt_frame_reader_next(&r, &e, NULL), 1);
  kt_frame_env_free(e);
  free(msg);
  kt_buf_free(&big);
  kt_buf_free(&one);
  kt_frame_reader_close(&r);
}

static void test_validate(void **state) {
  (void)state;
  push_fixture f;
  kt_err err;

  make_push(&f);
  f.fv[0].text = "bad \xc3\x28 utf8";
  kt_err_clear(&err);
  assert_int_equal(kt_frame_env_validate(&f.env, &err), KT_EPROTO);
  assert_string_equal(err.msg, "push.changes[0].fields[0].text: text is not valid UTF-8");

  make_push(&f);
  f.fv[1].name = "";
  assert_int_equal(kt_frame_env_validate(&f.env, &err), KT_EPROTO);
  assert_string_equal(err.msg, "push.changes[0].fields[1]: empty field name");

  make_push(&f);
  f.fv[2].value_case = KARTOTEKA__FIELD_VALUE__VALUE_NUM;
  assert_int_equal(kt_frame_env_validate(&f.env, &err), KT_EPROTO);
  assert_non_null(strstr(err.msg, "null"));

  make_push(&f);
  f.ch.id = "";
  assert_int_equal(kt_frame_env_validate(&f.env, &err), KT_EPROTO);
  assert_non_null(strstr(err.msg, "record id"));

  make_push(&f);
  f.fv[0].device = "\xed\xa0\x80"; /* UTF-16 surrogate */
  assert_int_equal(kt_frame_env_validate(&f.env, &err), KT_EPROTO);

  /* enum out of range, map strings */
  Kartoteka__Envelope env = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__AuthOk ok = KARTOTEKA__AUTH_OK__INIT;
  Kartoteka__Right right = KARTOTEKA__RIGHT__INIT, *rp = &right;
  right.entity = "org";
  right.read = KARTOTEKA__LEVEL__ALL;
  right.edit = (Kartoteka__Level)7;
  ok.n_rights = 1;
  ok.rights = &rp;
  env.body_case = KARTOTEKA__ENVELOPE__BODY_AUTH_OK;
  env.auth_ok = &ok;
  assert_int_equal(kt_frame_env_validate(&env, &err), KT_EPROTO);
  assert_string_equal(err.msg, "auth_ok.rights[0].edit: unknown enum value");
  right.edit = KARTOTEKA__LEVEL__OWN;
  assert_int_equal(kt_frame_env_validate(&env, &err), 0);

  Kartoteka__AdminRequest ar = KARTOTEKA__ADMIN_REQUEST__INIT;
  Kartoteka__AdminRequest__ParamsEntry pe = KARTOTEKA__ADMIN_REQUEST__PARAMS_ENTRY__INIT,
                                       *pep = &pe;
  pe.key = "role";
  pe.value = "\xff";
  ar.op = "user.add";
  ar.n_params = 1;
  ar.params = &pep;
  env.body_case = KARTOTEKA__ENVELOPE__BODY_ADMIN_REQUEST;
  env.admin_request = &ar;
  assert_int_equal(kt_frame_env_validate(&env, &err), KT_EPROTO);
  assert_string_equal(err.msg, "admin_request.params[0].value: text is not valid UTF-8");

  Kartoteka__Hello hello = KARTOTEKA__HELLO__INIT;
  env.body_case = KARTOTEKA__ENVELOPE__BODY_HELLO;
  env.hello = &hello;
  assert_int_equal(kt_frame_env_validate(&env, &err), KT_EPROTO);
  hello.protocol_version = 1;
  assert_int_equal(kt_frame_env_validate(&env, &err), 0);
  env.hello = NULL;
  assert_int_equal(kt_frame_env_validate(&env, &err), KT_EPROTO);
}

static void test_utf8(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int ok;
  } cases[] = {
      {"", 1},
      {"plain ascii", 1},
      {"Сидорова Łukasz Ärger 日本 😀", 1},
      {"\xc0\xaf", 0},             /* overlong '/' */
      {"\xe0\x80\xaf", 0},         /* overlong */
      {"\xed\xbf\xbf", 0},         /* surrogate */
      {"\xf4\x90\x80\x80", 0},     /* > U+10FFFF */
      {"\xf0\x9f\x98", 0},         /* truncated */
      {"\x80", 0},                 /* lone continuation */
      {"\xef\xbf\xbf", 1},         /* U+FFFF */
      {"\xf4\x8f\xbf\xbf", 1},     /* U+10FFFF */
      {"\xfe", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_int_equal(kt_frame_utf8_valid(cases[i].s, strlen(cases[i].s)), cases[i].ok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip),        cmocka_unit_test(test_byte_by_byte),
      cmocka_unit_test(test_two_frames_one_feed), cmocka_unit_test(test_oversized_prefix),
      cmocka_unit_test(test_truncated),        cmocka_unit_test(test_garbage_payload),
      cmocka_unit_test(test_unset_oneof),      cmocka_unit_test(test_expansion_bomb),
      cmocka_unit_test(test_encode_limit),     cmocka_unit_test(test_compaction),
      cmocka_unit_test(test_validate),         cmocka_unit_test(test_utf8),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
