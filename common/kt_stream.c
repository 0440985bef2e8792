/* kt_stream — see kt_stream.h. Reading: ciphertext → kt_tls → plaintext →
 * kt_frame_reader → validated envelopes to on_frame, while not over the cap
 * (frames already received wait in the reader until the queue drains). Writing:
 * envelopes → frames → kt_tls; a prepare handle hands the ciphertext to libuv
 * once per loop turn, just before the loop sleeps, so the answers of one turn
 * go out in one write. */
#include "kt_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RBUF_SIZE 65536
#define PLAIN_KEEP (1u << 20) /* a scratch buffer past this is freed after a big frame */

typedef struct wreq {
  uv_write_t req;
  size_t len;
  char *data; /* the ciphertext */
} wreq;

static void deliver(kt_stream *st);

static void fail(kt_stream *st, int code, uint64_t req_id, const char *msg) {
  if (st->failed || st->closing) return;
  st->failed = true;
  if (st->reading) uv_read_stop((uv_stream_t *)&st->tcp);
  st->reading = false;
  if (st->ops->on_fail) st->ops->on_fail(st, code, req_id, msg);
}

static void read_resume(kt_stream *st);
static void on_stall(uv_timer_t *t);

static void pressure_check(kt_stream *st) {
  if (!st->o.write_cap || st->over || st->closing || st->failed) return;
  if (st->queued <= st->o.write_cap) return;
  st->over = true;
  if (st->reading) uv_read_stop((uv_stream_t *)&st->tcp);
  st->reading = false;
  if (st->o.stall_ms) uv_timer_start(&st->stall, on_stall, st->o.stall_ms, 0);
  if (st->ops->on_pressure) st->ops->on_pressure(st, true);
}

static void on_write(uv_write_t *req, int status) {
  wreq *w = (wreq *)req;
  kt_stream *st = req->handle->data;
  st->queued -= w->len;
  free(w->data);
  free(w);
  if (st->closing) return;
  if (status < 0) {
    fail(st, KT_ENET, 0, uv_strerror(status));
    return;
  }
  if (st->over && st->queued <= st->o.write_cap) {
    st->over = false;
    uv_timer_stop(&st->stall);
    if (st->ops->on_pressure) st->ops->on_pressure(st, false);
    if (st->closing || st->failed) return;
    read_resume(st);
  }
  if (st->queued == 0 && !st->closing && !st->failed && st->ops->on_drain) st->ops->on_drain(st);
}

void kt_stream_flush(kt_stream *st) {
  st->dirty = false;
  if (!st->tls || !st->connected || uv_is_closing((uv_handle_t *)&st->tcp)) return;
  size_t n = kt_tls_cipher_pending(st->tls);
  if (!n) return;
  kt_buf out = KT_BUF_INIT;
  if (kt_tls_take_cipher(st->tls, &out)) {
    kt_buf_free(&out);
    fail(st, KT_ENOMEM, 0, "out of memory while sending");
    return;
  }
  wreq *w = malloc(sizeof *w);
  if (!w) {
    kt_buf_free(&out);
    fail(st, KT_ENOMEM, 0, "out of memory while sending");
    return;
  }
  w->len = out.len;
  w->data = kt_buf_take(&out);
  uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
  int urc = uv_write(&w->req, (uv_stream_t *)&st->tcp, &b, 1, on_write);
  if (urc) {
    free(w->data);
    free(w);
    fail(st, KT_ENET, 0, uv_strerror(urc));
    return;
  }
  st->queued += w->len;
  pressure_check(st);
}

static void on_flusher(uv_prepare_t *h) {
  kt_stream *st = h->data;
  uv_prepare_stop(h);
  kt_stream_flush(st);
}

static void schedule_flush(kt_stream *st) {
  if (st->dirty || st->closing) return;
  st->dirty = true;
  uv_prepare_start(&st->flusher, on_flusher);
}

static void on_stall(uv_timer_t *t) {
  kt_stream *st = t->data;
  char msg[160];
  snprintf(msg, sizeof msg, "the peer stayed over the write cap (%zu bytes queued) for %u s", st->queued,
           (unsigned)((st->o.stall_ms + 999) / 1000));
  fail(st, KT_ENET, 0, msg);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  kt_stream *st = h->data;
  if (st->o.rbuf) {
    buf->base = st->o.rbuf;
    buf->len = st->o.rbuf_len;
    return;
  }
  if (!st->own_rbuf) st->own_rbuf = malloc(RBUF_SIZE);
  buf->base = st->own_rbuf;
  buf->len = st->own_rbuf ? RBUF_SIZE : 0;
}

static void plain_reset(kt_buf *b) {
  if (b->cap > PLAIN_KEEP) kt_buf_free(b);
  else kt_buf_reset(b);
}

/* Hands the frames received so far to on_frame, until one fails or the
 * write queue goes over the cap. */
static void deliver(kt_stream *st) {
  kt_err err;
  kt_err_clear(&err);
  /* the cap counts what is still in TLS too: a read full of requests stops at it */
  while (!st->closing && !st->failed && !st->paused && !kt_stream_over_cap(st)) {
    Kartoteka__Envelope *env = NULL;
    int rc = kt_frame_reader_next(&st->rd, &env, &err);
    if (rc == 0) return;
    if (rc < 0) {
      fail(st, rc, 0, err.msg);
      return;
    }
    if (kt_frame_env_validate(env, &err)) {
      uint64_t id = env->req_id;
      kt_frame_env_free(env);
      fail(st, KT_EPROTO, id, err.msg);
      return;
    }
    st->delivering = env;
    if (st->ops->on_frame) st->ops->on_frame(st, env);
    kt_frame_env_free(st->delivering); /* NULL when the owner took it */
    st->delivering = NULL;
  }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  kt_stream *st = s->data;
  if (st->closing || st->failed) return;
  if (nread < 0) {
    fail(st, KT_ENET, 0,
         nread == UV_EOF ? "the peer closed the connection" : uv_strerror((int)nread));
    return;
  }
  if (nread == 0) return;
  if (st->ops->on_activity) st->ops->on_activity(st);
  if (st->closing || st->failed) return;
  kt_err err;
  kt_err_clear(&err);
  int rc = kt_tls_feed_cipher(st->tls, buf->base, (size_t)nread, &err);
  if (rc) {
    fail(st, rc, 0, err.msg);
    return;
  }
  if (!st->ready) {
    rc = kt_tls_handshake(st->tls, &err);
    schedule_flush(st); /* its next flight, or an alert */
    if (rc < 0) {
      fail(st, KT_ETLS, 0, err.msg);
      return;
    }
    if (rc == 0) return;
    st->ready = true;
    if (st->ops->on_ready) st->ops->on_ready(st);
    if (st->closing || st->failed) return;
  }
  kt_buf *plain = st->o.plain ? st->o.plain : &st->own_plain;
  kt_buf_reset(plain);
  rc = kt_tls_read_plain(st->tls, plain, &err);
  schedule_flush(st); /* session tickets, key updates */
  if (rc < 0) {
    plain_reset(plain);
    fail(st, rc, 0, err.msg);
    return;
  }
  if (plain->len) {
    int frc = kt_frame_reader_feed(&st->rd, plain->p, plain->len, &err);
    plain_reset(plain);
    if (frc) {
      fail(st, frc, 0, err.msg);
      return;
    }
    deliver(st);
  }
  if (rc == 1) fail(st, KT_ENET, 0, "the peer closed the connection");
}

static void read_resume(kt_stream *st) {
  deliver(st); /* what arrived before the pause */
  if (st->closing || st->failed || st->over || st->paused || st->reading) return;
  if (uv_read_start((uv_stream_t *)&st->tcp, on_alloc, on_read) == 0) st->reading = true;
}

static void on_handle_closed(uv_handle_t *h) {
  kt_stream *st = h->data;
  if (--st->handles_open > 0) return;
  kt_tls_free(st->tls);
  st->tls = NULL;
  kt_frame_reader_close(&st->rd);
  kt_buf_free(&st->own_plain);
  free(st->own_rbuf);
  st->own_rbuf = NULL;
  st->ops->on_closed(st);
}

int kt_stream_init(kt_stream *st, uv_loop_t *loop, const kt_stream_ops *ops, void *data,
                   const kt_stream_opts *o, kt_err *err) {
  memset(st, 0, sizeof *st);
  int urc = uv_tcp_init(loop, &st->tcp);
  if (urc) return kt_err_set(err, KT_EIO, "cannot make a socket: %s", uv_strerror(urc));
  uv_timer_init(loop, &st->stall);
  uv_prepare_init(loop, &st->flusher);
  uv_unref((uv_handle_t *)&st->flusher);
  st->tcp.data = st->stall.data = st->flusher.data = st->creq.data = st;
  st->handles_open = 3;
  st->ops = ops;
  st->data = data;
  if (o) st->o = *o;
  kt_frame_reader_init(&st->rd, st->o.max_frame);
  return 0;
}

int kt_stream_accept(kt_stream *st, uv_stream_t *listener, kt_tls *tls, kt_err *err) {
  st->tls = tls;
  int urc = uv_accept(listener, (uv_stream_t *)&st->tcp);
  if (!urc) urc = uv_read_start((uv_stream_t *)&st->tcp, on_alloc, on_read);
  if (urc) return kt_err_set(err, KT_ENET, "cannot accept a connection: %s", uv_strerror(urc));
  st->connected = st->reading = true;
  uv_tcp_nodelay(&st->tcp, 1);
  return 0;
}

static void on_connect(uv_connect_t *req, int status) {
  kt_stream *st = req->data;
  if (st->closing) return;
  if (status < 0) {
    fail(st, KT_ENET, 0, uv_strerror(status));
    return;
  }
  st->connected = true;
  uv_tcp_nodelay(&st->tcp, 1);
  if (uv_read_start((uv_stream_t *)&st->tcp, on_alloc, on_read) == 0) st->reading = true;
  kt_err err;
  kt_err_clear(&err);
  int rc = kt_tls_handshake(st->tls, &err); /* the ClientHello */
  schedule_flush(st);
  if (rc < 0) fail(st, KT_ETLS, 0, err.msg);
}

int kt_stream_connect(kt_stream *st, const struct sockaddr *addr, kt_tls *tls, kt_err *err) {
  st->tls = tls;
  int urc = uv_tcp_connect(&st->creq, &st->tcp, addr, on_connect);
  if (urc) return kt_err_set(err, KT_ENET, "cannot connect: %s", uv_strerror(urc));
  return 0;
}

int kt_stream_send_raw(kt_stream *st, const void *data, size_t len, kt_err *err) {
  if (st->closing || !st->tls) return kt_err_set(err, KT_ENET, "the connection is closed");
  int rc = kt_tls_write_plain(st->tls, data, len, err);
  if (!rc) schedule_flush(st);
  return rc;
}

int kt_stream_send(kt_stream *st, const Kartoteka__Envelope *env, kt_err *err) {
  if (st->closing || !st->tls) return kt_err_set(err, KT_ENET, "the connection is closed");
  kt_buf frame = KT_BUF_INIT;
  int rc = kt_frame_encode_max(env, st->o.max_frame, &frame, err);
  if (!rc) rc = kt_stream_send_raw(st, frame.p, frame.len, err);
  kt_buf_free(&frame);
  return rc;
}

void kt_stream_shutdown(kt_stream *st) {
  if (st->closing || !st->tls || !kt_tls_handshake_done(st->tls)) return;
  kt_tls_shutdown(st->tls, NULL);
  kt_stream_flush(st);
}

void kt_stream_close(kt_stream *st) {
  if (st->closing) return;
  kt_stream_flush(st); /* a last Error, an alert or close_notify */
  st->closing = true;
  if (st->reading) uv_read_stop((uv_stream_t *)&st->tcp);
  st->reading = false;
  uv_close((uv_handle_t *)&st->tcp, on_handle_closed);
  uv_close((uv_handle_t *)&st->stall, on_handle_closed);
  uv_close((uv_handle_t *)&st->flusher, on_handle_closed);
}

void kt_stream_pause(kt_stream *st, bool paused) {
  if (st->closing || st->paused == paused) return;
  st->paused = paused;
  if (paused) {
    if (st->reading) uv_read_stop((uv_stream_t *)&st->tcp);
    st->reading = false;
  } else if (st->connected) {
    read_resume(st);
  }
}

Kartoteka__Envelope *kt_stream_frame_take(kt_stream *st) {
  Kartoteka__Envelope *e = st->delivering;
  st->delivering = NULL;
  return e;
}

kt_tls *kt_stream_tls(kt_stream *st) { return st->tls; }
const kt_tls *kt_stream_tls_const(const kt_stream *st) { return st->tls; }
uv_tcp_t *kt_stream_tcp(kt_stream *st) { return &st->tcp; }

size_t kt_stream_queued(const kt_stream *st) {
  return st->queued + (st->tls ? kt_tls_cipher_pending(st->tls) : 0);
}

bool kt_stream_over_cap(const kt_stream *st) {
  return st->over || (st->o.write_cap && kt_stream_queued(st) > st->o.write_cap);
}

bool kt_stream_is_ready(const kt_stream *st) { return st->ready; }
bool kt_stream_is_connected(const kt_stream *st) { return st->connected; }
bool kt_stream_is_closing(const kt_stream *st) { return st->closing; }
