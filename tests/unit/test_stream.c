/* Unit tests for kt_stream: a server stream and a client stream on one libuv
 * loop over real loopback TCP with real certificates (kt_pki in a temporary
 * folder): frames both ways in order, the frame size cap, the write cap
 * (pause on the way up, resume on the way down, a stall ending the stream),
 * the owner's pause, and the close path (on_closed once, after a failed
 * connect too). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <unistd.h>

#include "kt_pki.h"
#include "kt_stream.h"
#include "kt_tls.h"

#define DEVICE_ID "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

typedef struct side {
  kt_stream st;
  int ready, frames, fails, closed, over, under, drains;
  int fail_code;
  bool fail_over_cap;
  uint64_t last_nonce;
  bool echo; /* answer each Ping with a Pong */
} side;

typedef struct fx {
  char dir[64], ca[128], crt[128], key[128], dcrt[128], dkey[128];
  uv_loop_t loop;
  uv_tcp_t listener;
  struct sockaddr_in addr;
  kt_tls_ctx *sctx, *cctx;
  side srv, cli;
  kt_stream_opts sopts;
  bool accepted;
} fx;

static void on_ready(kt_stream *st) { ((side *)st->data)->ready++; }

static void on_frame(kt_stream *st, Kartoteka__Envelope *env) {
  side *s = st->data;
  s->frames++;
  if (env->body_case == KARTOTEKA__ENVELOPE__BODY_PING) {
    assert_true(env->ping->nonce > s->last_nonce); /* in order */
    s->last_nonce = env->ping->nonce;
    if (s->echo) {
      Kartoteka__Pong p = KARTOTEKA__PONG__INIT;
      p.nonce = env->ping->nonce;
      Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
      out.body_case = KARTOTEKA__ENVELOPE__BODY_PONG;
      out.pong = &p;
      assert_int_equal(kt_stream_send(st, &out, NULL), 0);
    }
  } else if (env->body_case == KARTOTEKA__ENVELOPE__BODY_PONG) {
    s->last_nonce = env->pong->nonce;
  }
}

static void on_fail(kt_stream *st, int code, uint64_t req_id, const char *msg) {
  (void)req_id;
  (void)msg;
  side *s = st->data;
  s->fails++;
  s->fail_code = code;
  s->fail_over_cap = kt_stream_over_cap(st);
  kt_stream_close(st);
}

static void on_pressure(kt_stream *st, bool over) {
  side *s = st->data;
  if (over) s->over++;
  else s->under++;
}

static void on_drain(kt_stream *st) { ((side *)st->data)->drains++; }
static void on_closed(kt_stream *st) { ((side *)st->data)->closed++; }

static const kt_stream_ops ops = {.on_ready = on_ready,
                                  .on_frame = on_frame,
                                  .on_fail = on_fail,
                                  .on_pressure = on_pressure,
                                  .on_drain = on_drain,
                                  .on_closed = on_closed};

static void on_conn(uv_stream_t *l, int status) {
  fx *f = l->data;
  assert_int_equal(status, 0);
  kt_tls *tls = NULL;
  assert_int_equal(kt_tls_new(f->sctx, NULL, &tls, NULL), 0);
  assert_int_equal(kt_stream_init(&f->srv.st, &f->loop, &ops, &f->srv, &f->sopts, NULL), 0);
  assert_int_equal(kt_stream_accept(&f->srv.st, l, tls, NULL), 0);
  f->accepted = true;
}

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/kt-stream-XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  EVP_PKEY *ca_key = NULL, *srv_key = NULL, *dkey = NULL;
  X509 *ca = NULL, *srv = NULL, *dev = NULL;
  X509_REQ *csr = NULL;
  const char *names[] = {"127.0.0.1"};
  snprintf(f->ca, sizeof f->ca, "%s/ca.pem", f->dir);
  snprintf(f->crt, sizeof f->crt, "%s/srv.pem", f->dir);
  snprintf(f->key, sizeof f->key, "%s/srv.key", f->dir);
  snprintf(f->dcrt, sizeof f->dcrt, "%s/dev.pem", f->dir);
  snprintf(f->dkey, sizeof f->dkey, "%s/dev.key", f->dir);
  if (kt_pki_ca_new("Kartoteka CA", 0, &ca_key, &ca, NULL) ||
      kt_pki_server_cert_new(ca_key, ca, "kartotekad", names, 1, 0, &srv_key, &srv, NULL) ||
      kt_pki_csr_new("PC", &dkey, &csr, NULL) ||
      kt_pki_csr_sign(ca_key, ca, csr, DEVICE_ID, 0, &dev, NULL) ||
      kt_pki_cert_save_pem(f->ca, ca, NULL) || kt_pki_cert_save_pem(f->crt, srv, NULL) ||
      kt_pki_key_save_pem(f->key, srv_key, NULL) || kt_pki_cert_save_pem(f->dcrt, dev, NULL) ||
      kt_pki_key_save_pem(f->dkey, dkey, NULL))
    return -1;
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(srv_key);
  EVP_PKEY_free(dkey);
  X509_free(ca);
  X509_free(srv);
  X509_free(dev);
  X509_REQ_free(csr);
  if (kt_tls_ctx_new_server(f->crt, f->key, f->ca, true, &f->sctx, NULL) ||
      kt_tls_ctx_new_client(f->ca, NULL, f->dcrt, f->dkey, &f->cctx, NULL))
    return -1;
  uv_loop_init(&f->loop);
  uv_tcp_init(&f->loop, &f->listener);
  f->listener.data = f;
  uv_ip4_addr("127.0.0.1", 0, &f->addr);
  if (uv_tcp_bind(&f->listener, (struct sockaddr *)&f->addr, 0) ||
      uv_listen((uv_stream_t *)&f->listener, 8, on_conn))
    return -1;
  int len = sizeof f->addr;
  uv_tcp_getsockname(&f->listener, (struct sockaddr *)&f->addr, &len);
  f->sopts.max_frame = 1 << 20;
  *state = f;
  return 0;
}

/* Runs the loop until *flag is at least want or ms pass; returns *flag >= want. */
static bool run_until(fx *f, int *flag, int want, unsigned ms) {
  uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
  while (*flag < want && uv_hrtime() < end) uv_run(&f->loop, UV_RUN_NOWAIT), usleep(200);
  return *flag >= want;
}

static void close_all(fx *f) {
  if (f->accepted && !kt_stream_is_closing(&f->srv.st)) kt_stream_close(&f->srv.st);
  if (!kt_stream_is_closing(&f->cli.st)) kt_stream_close(&f->cli.st);
  if (f->accepted) assert_true(run_until(f, &f->srv.closed, 1, 2000));
  assert_true(run_until(f, &f->cli.closed, 1, 2000));
}

static int teardown(void **state) {
  fx *f = *state;
  if (f->accepted && !kt_stream_is_closing(&f->srv.st)) kt_stream_close(&f->srv.st);
  if (f->cli.st.ops && !kt_stream_is_closing(&f->cli.st)) kt_stream_close(&f->cli.st);
  uv_close((uv_handle_t *)&f->listener, NULL);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&f->loop), 0); /* every handle was closed */
  kt_tls_ctx_free(f->sctx);
  kt_tls_ctx_free(f->cctx);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  if (system(cmd)) return -1;
  free(f);
  return 0;
}

static void ping(kt_stream *st, uint64_t nonce) {
  Kartoteka__Ping p = KARTOTEKA__PING__INIT;
  p.nonce = nonce;
  Kartoteka__Envelope e = KARTOTEKA__ENVELOPE__INIT;
  e.body_case = KARTOTEKA__ENVELOPE__BODY_PING;
  e.ping = &p;
  assert_int_equal(kt_stream_send(st, &e, NULL), 0);
}

/* An Error with a message of n bytes: bulk that makes the queue grow. */
static void bulk(kt_stream *st, size_t n) {
  char *m = malloc(n + 1);
  memset(m, 'x', n);
  m[n] = '\0';
  Kartoteka__Error er = KARTOTEKA__ERROR__INIT;
  er.code = -1;
  er.message = m;
  Kartoteka__Envelope e = KARTOTEKA__ENVELOPE__INIT;
  e.body_case = KARTOTEKA__ENVELOPE__BODY_ERROR;
  e.error = &er;
  assert_int_equal(kt_stream_send(st, &e, NULL), 0);
  free(m);
}

static void connect_both(fx *f, const kt_stream_opts *copts) {
  kt_tls *tls = NULL;
  assert_int_equal(kt_tls_new(f->cctx, "127.0.0.1", &tls, NULL), 0);
  assert_int_equal(kt_stream_init(&f->cli.st, &f->loop, &ops, &f->cli, copts, NULL), 0);
  assert_int_equal(kt_stream_connect(&f->cli.st, (struct sockaddr *)&f->addr, tls, NULL), 0);
  assert_true(run_until(f, &f->cli.ready, 1, 5000));
  assert_true(run_until(f, &f->srv.ready, 1, 5000));
  assert_true(kt_stream_is_connected(&f->cli.st));
}

/* The client stops reading, with a small socket buffer (the kernel would
 * otherwise take megabytes); the server sends until its queue is over the cap. */
static void fill_server_queue(fx *f) {
  int v = 4096, w = 8192;
  uv_recv_buffer_size((uv_handle_t *)kt_stream_tcp(&f->cli.st), &v);
  uv_send_buffer_size((uv_handle_t *)kt_stream_tcp(&f->srv.st), &w);
  kt_stream_pause(&f->cli.st, true);
  uint64_t over_since = 0, end = uv_hrtime() + 5000000000u;
  while (uv_hrtime() < end) { /* until it stays over the cap for 200 ms */
    if (!kt_stream_over_cap(&f->srv.st)) {
      over_since = 0;
      bulk(&f->srv.st, 64 * 1024);
    } else if (!over_since) {
      over_since = uv_hrtime();
    } else if (uv_hrtime() - over_since > 200000000u) {
      break;
    }
    uv_run(&f->loop, UV_RUN_NOWAIT);
    usleep(1000);
  }
  assert_true(kt_stream_over_cap(&f->srv.st));
  assert_true(f->srv.over >= 1);
}

static void test_frames_both_ways(void **state) {
  fx *f = *state;
  f->srv.echo = true;
  connect_both(f, NULL);
  for (uint64_t i = 1; i <= 200; i++) ping(&f->cli.st, i); /* one turn: one write */
  assert_true(run_until(f, &f->cli.frames, 200, 5000));
  assert_int_equal(f->srv.frames, 200);
  assert_int_equal(f->cli.last_nonce, 200);
  assert_true(run_until(f, &f->srv.drains, 1, 2000));
  assert_int_equal(f->srv.fails + f->cli.fails, 0);
  /* a clean close: the peer hears of it, each side's on_closed comes once */
  kt_stream_shutdown(&f->cli.st);
  kt_stream_close(&f->cli.st);
  assert_true(run_until(f, &f->srv.fails, 1, 2000));
  assert_int_equal(f->srv.fail_code, KT_ENET);
  assert_true(run_until(f, &f->srv.closed, 1, 2000));
  assert_int_equal(f->cli.closed, 1);
  assert_int_equal(kt_stream_send(&f->cli.st, NULL, NULL), KT_ENET); /* closing: refused */
}

static void test_frame_over_the_limit(void **state) {
  fx *f = *state;
  connect_both(f, NULL);
  const unsigned char hdr[] = {0x01, 0x00, 0x00, 0x01}; /* 16 MiB + 1 > the server's 1 MiB */
  assert_int_equal(kt_stream_send_raw(&f->cli.st, hdr, sizeof hdr, NULL), 0);
  assert_true(run_until(f, &f->srv.fails, 1, 3000));
  assert_int_equal(f->srv.fail_code, KT_ETOOBIG);
  assert_int_equal(f->srv.frames, 0);
  close_all(f);
}

/* The client stops reading: the server's queue crosses the cap (its reading
 * pauses: a Ping sent meanwhile waits), then the client reads again before
 * the stall time: the queue drains, the Ping arrives, nothing failed. */
static void test_write_cap_pause_and_resume(void **state) {
  fx *f = *state;
  f->sopts.write_cap = 32 * 1024;
  f->sopts.stall_ms = 5000;
  connect_both(f, NULL);
  fill_server_queue(f);
  int unders = f->srv.under;
  ping(&f->cli.st, 7);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  usleep(50000);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(f->srv.frames, 0); /* not read while over the cap */
  kt_stream_pause(&f->cli.st, false);
  assert_true(run_until(f, &f->srv.under, unders + 1, 5000));
  assert_true(run_until(f, &f->srv.frames, 1, 5000));
  assert_int_equal(f->srv.last_nonce, 7);
  assert_int_equal(f->srv.fails, 0);
  close_all(f);
}

/* A peer that stays over the cap for the stall time: the stream fails
 * (KT_ENET, over the cap) and closes; only on_closed follows. */
static void test_stall_fails(void **state) {
  fx *f = *state;
  f->sopts.write_cap = 32 * 1024;
  f->sopts.stall_ms = 600;
  connect_both(f, NULL);
  fill_server_queue(f);
  assert_true(run_until(f, &f->srv.fails, 1, 3000));
  assert_int_equal(f->srv.fail_code, KT_ENET);
  assert_true(f->srv.fail_over_cap);
  assert_true(run_until(f, &f->srv.closed, 1, 2000));
  close_all(f);
}

/* Nobody listens: on_fail once, before any handshake, then on_closed. */
static void test_connect_refused(void **state) {
  fx *f = *state;
  struct sockaddr_in dead = f->addr;
  uv_close((uv_handle_t *)&f->listener, NULL); /* the port is free again */
  uv_run(&f->loop, UV_RUN_NOWAIT);
  uv_tcp_init(&f->loop, &f->listener); /* for teardown */
  kt_tls *tls = NULL;
  assert_int_equal(kt_tls_new(f->cctx, "127.0.0.1", &tls, NULL), 0);
  assert_int_equal(kt_stream_init(&f->cli.st, &f->loop, &ops, &f->cli, NULL, NULL), 0);
  assert_int_equal(kt_stream_connect(&f->cli.st, (struct sockaddr *)&dead, tls, NULL), 0);
  assert_true(run_until(f, &f->cli.fails, 1, 3000));
  assert_int_equal(f->cli.fail_code, KT_ENET);
  assert_false(kt_stream_is_connected(&f->cli.st));
  assert_int_equal(f->cli.ready, 0);
  assert_true(run_until(f, &f->cli.closed, 1, 2000));
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(f->cli.closed, 1);
  assert_int_equal(f->cli.fails, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_frames_both_ways, setup, teardown),
      cmocka_unit_test_setup_teardown(test_frame_over_the_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_write_cap_pause_and_resume, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stall_fails, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
