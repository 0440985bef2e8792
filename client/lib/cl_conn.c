/* cl_conn — see cl_conn.h. The transport is a kt_stream (the same as the
 * server's); this file adds requests, replies by req_id and the blocking waits. */
#include "cl_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_buf.h"
#include "kt_frame.h"
#include "kt_i18n.h"
#include "kt_log.h"
#include "kt_stream.h"
#include "kt_tls.h"

struct cl_conn {
  cl_conn_opts o;
  kt_stream st;        /* TCP, TLS, frames; st.data points back to us */
  uv_timer_t timer;
  kt_tls_ctx *ctx;
  int handles_open;    /* the timer and the stream */
  bool ready, closed, timed_out, broken_out;
  int close_code;
  char close_msg[KT_ERR_MSG_MAX];
  uint64_t next_req;
  /* requests in flight, oldest first: req_id (0 = free) and the reply once arrived */
  struct {
    uint64_t id;
    Kartoteka__Envelope *reply;
  } inflight[CL_CONN_PIPELINE];
  int ninflight;
  bool have_reply;               /* the oldest request's reply arrived */
  Kartoteka__Envelope *pushing;  /* the unsolicited message on_push is looking at */
};

static void set_closed(cl_conn *c, int code, const char *msg) {
  if (c->closed) return;
  c->closed = true;
  c->close_code = code;
  snprintf(c->close_msg, sizeof c->close_msg, "%s", msg);
}

/* Takes env (owned). */
static void handle_env(cl_conn *c, Kartoteka__Envelope *env) {
  for (int i = 0; env->req_id && i < c->ninflight; i++)
    if (c->inflight[i].id == env->req_id && !c->inflight[i].reply) {
      c->inflight[i].reply = env;
      if (i == 0) c->have_reply = true;
      return;
    }
  if (env->req_id == 0 && env->body_case == KARTOTEKA__ENVELOPE__BODY_ERROR) {
    /* the server explains why it closes the connection */
    set_closed(c, env->error->code, env->error->message);
  } else if (env->req_id == 0 && c->o.on_push) {
    c->pushing = env;
    c->o.on_push(c, env, c->o.ud);
    env = c->pushing; /* NULL when the callback took it */
    c->pushing = NULL;
  }
  kt_frame_env_free(env);
}

static void on_stream_ready(kt_stream *st) {
  cl_conn *c = st->data;
  c->ready = true;
}

static void on_stream_frame(kt_stream *st, Kartoteka__Envelope *env) {
  cl_conn *c = st->data;
  if (c->closed) return; /* after the server's closing Error: nothing more counts */
  handle_env(c, kt_stream_frame_take(st));
}

static void on_stream_fail(kt_stream *st, int code, uint64_t req_id, const char *msg) {
  (void)req_id;
  cl_conn *c = st->data;
  char m[KT_ERR_MSG_MAX];
  if (!kt_stream_is_connected(st)) {
    snprintf(m, sizeof m, "cannot reach the server at %s: %s; check the address and that "
             "kartotekad is running", c->o.address, msg);
    set_closed(c, KT_ENET, m);
  } else if (code == KT_ENET && !c->ready)
    set_closed(c, KT_ETLS, "the server closed the connection during the secure "
               "handshake (is this device's certificate revoked or unknown?)");
  else if (code == KT_ENET)
    set_closed(c, KT_ENET, "the server closed the connection");
  else if (code == KT_ETOOBIG)
    set_closed(c, KT_EPROTO, msg);
  else
    set_closed(c, code, msg);
}

static void on_stream_closed(kt_stream *st) {
  cl_conn *c = st->data;
  c->handles_open--;
}

static const kt_stream_ops conn_ops = {
    .on_ready = on_stream_ready,
    .on_frame = on_stream_frame,
    .on_fail = on_stream_fail,
    .on_closed = on_stream_closed,
};

static void on_timer(uv_timer_t *t) {
  cl_conn *c = t->data;
  c->timed_out = true;
}

/* Runs the loop until *flag, close, timeout or a break. */
static void run_until(cl_conn *c, bool *flag, uint32_t timeout_ms) {
  c->timed_out = false;
  /* the loop's clock is stale when the caller did other work since it last ran */
  uv_update_time(c->o.loop);
  if (timeout_ms) uv_timer_start(&c->timer, on_timer, timeout_ms, 0);
  /* a break (from on_push) only ends cl_conn_run: a request waits for its reply,
     and a break that came during a request ends the next cl_conn_run at once */
  while (!(flag && *flag) && !c->closed && !c->timed_out && !(c->broken_out && !flag))
    uv_run(c->o.loop, UV_RUN_ONCE);
  uv_timer_stop(&c->timer);
  if (!flag) c->broken_out = false;
}

static int parse_address(const char *addr, char *host, size_t hsz, char *port, size_t psz) {
  const char *colon = strrchr(addr, ':');
  if (!colon || colon == addr) return -1;
  size_t hl = (size_t)(colon - addr);
  if (addr[0] == '[' && hl >= 2 && addr[hl - 1] == ']') {
    addr++;
    hl -= 2;
  }
  if (hl >= hsz || strlen(colon + 1) >= psz || !colon[1]) return -1;
  memcpy(host, addr, hl);
  host[hl] = '\0';
  snprintf(port, psz, "%s", colon + 1);
  return 0;
}

static void on_handle_closed(uv_handle_t *h) {
  cl_conn *c = h->data;
  c->handles_open--;
}

int cl_conn_open(const cl_conn_opts *o, cl_conn **out, kt_err *err) {
  char host[256], port[16];
  if (!o->address || parse_address(o->address, host, sizeof host, port, sizeof port))
    return kt_err_set(err, KT_EINVAL, KT_("bad server address '%s': use HOST:PORT"), o->address ? o->address : "");
  cl_conn *c = calloc(1, sizeof *c);
  if (!c) return kt_err_set(err, KT_ENOMEM, "out of memory");
  c->o = *o;
  if (!c->o.timeout_ms) c->o.timeout_ms = 15000;
  kt_tls *tls = NULL;
  int rc = kt_tls_ctx_new_client(o->ca_file, o->pin_fpr, o->cert_file, o->key_file, &c->ctx, err);
  if (rc) {
    free(c);
    return rc;
  }
  if ((rc = kt_tls_new(c->ctx, host, &tls, err))) {
    kt_tls_ctx_free(c->ctx);
    free(c);
    return rc;
  }
  if (o->tls_session && o->tls_session_len) /* unusable: a full handshake follows */
    kt_tls_session_offer(tls, o->tls_session, o->tls_session_len, NULL);
  c->o.tls_session = NULL; /* borrowed: not kept past this call */
  c->o.tls_session_len = 0;
  kt_stream_opts so = {.max_frame = KT_FRAME_MAX_DEFAULT}; /* no write cap: requests are sequential */
  if ((rc = kt_stream_init(&c->st, o->loop, &conn_ops, c, &so, err))) {
    kt_tls_free(tls);
    kt_tls_ctx_free(c->ctx);
    free(c);
    return rc;
  }
  uv_timer_init(o->loop, &c->timer);
  c->timer.data = c;
  c->handles_open = 2;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  uv_getaddrinfo_t gai;
  int urc = uv_getaddrinfo(o->loop, &gai, NULL, host, port, &hints);
  if (urc) {
    kt_tls_free(tls);
    rc = kt_err_set(err, KT_ENET, KT_("cannot find the server %s: %s"), host, uv_strerror(urc));
    cl_conn_free(c);
    return rc;
  }
  kt_err cerr;
  rc = kt_stream_connect(&c->st, gai.addrinfo->ai_addr, tls, &cerr);
  uv_freeaddrinfo(gai.addrinfo);
  if (rc) {
    rc = kt_err_set(err, KT_ENET, KT_("cannot connect to %s: %s"), o->address, cerr.msg);
    cl_conn_free(c);
    return rc;
  }
  run_until(c, &c->ready, c->o.timeout_ms);
  if (!c->ready) {
    if (c->closed) rc = kt_err_set(err, c->close_code, "%s", c->close_msg);
    else rc = kt_err_set(err, KT_ENET, KT_("the server at %s did not answer in time"), o->address);
    cl_conn_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

static int send_env(cl_conn *c, Kartoteka__Envelope *env, kt_err *err) {
  if (c->closed)
    return kt_err_set(err, c->close_code ? c->close_code : KT_ENET, "%s", c->close_msg);
  return kt_stream_send(&c->st, env, err); /* goes out when the loop runs next */
}

int cl_conn_send(cl_conn *c, Kartoteka__Envelope *env, kt_err *err) {
  return send_env(c, env, err);
}

int cl_conn_request_send(cl_conn *c, Kartoteka__Envelope *req, kt_err *err) {
  if (c->ninflight == CL_CONN_PIPELINE)
    return kt_err_set(err, KT_EINTERNAL, "too many requests in flight");
  req->req_id = ++c->next_req;
  int rc = send_env(c, req, err);
  if (rc) return rc;
  c->inflight[c->ninflight].id = req->req_id;
  c->inflight[c->ninflight].reply = NULL;
  c->ninflight++;
  return 0;
}

int cl_conn_request_wait(cl_conn *c, Kartoteka__Envelope **reply, kt_err *err) {
  if (!c->ninflight) return kt_err_set(err, KT_EINTERNAL, "no request in flight");
  c->have_reply = c->inflight[0].reply != NULL;
  run_until(c, &c->have_reply, c->o.timeout_ms);
  Kartoteka__Envelope *r = c->inflight[0].reply;
  memmove(&c->inflight[0], &c->inflight[1], (size_t)(c->ninflight - 1) * sizeof c->inflight[0]);
  c->ninflight--;
  c->have_reply = false;
  if (!r) {
    if (c->closed) return kt_err_set(err, c->close_code ? c->close_code : KT_ENET, "%s", c->close_msg);
    return kt_err_set(err, KT_ENET, KT_("the server did not answer in time"));
  }
  if (r->body_case == KARTOTEKA__ENVELOPE__BODY_ERROR) {
    int rc = kt_err_set(err, r->error->code ? r->error->code : KT_EPROTO, "%s", r->error->message);
    kt_frame_env_free(r);
    return rc;
  }
  *reply = r;
  return 0;
}

bool cl_conn_request_pending(const cl_conn *c) { return c->ninflight != 0; }

int cl_conn_request(cl_conn *c, Kartoteka__Envelope *req, Kartoteka__Envelope **reply,
                    kt_err *err) {
  if (c->ninflight) return kt_err_set(err, KT_EINTERNAL, "another request is in flight");
  int rc = cl_conn_request_send(c, req, err);
  return rc ? rc : cl_conn_request_wait(c, reply, err);
}

int cl_conn_run(cl_conn *c, uint32_t timeout_ms, kt_err *err) {
  run_until(c, NULL, timeout_ms);
  if (c->closed) return kt_err_set(err, c->close_code ? c->close_code : KT_ENET, "%s", c->close_msg);
  return 0;
}

int cl_conn_tls_session_take(cl_conn *c, kt_buf *out) {
  kt_tls *t = kt_stream_tls(&c->st);
  return t ? kt_tls_session_take(t, out) : KT_ENOTFOUND;
}

bool cl_conn_tls_resumed(const cl_conn *c) {
  const kt_tls *t = kt_stream_tls_const(&c->st);
  return t && kt_tls_session_resumed(t);
}

Kartoteka__Envelope *cl_conn_push_take(cl_conn *c) {
  Kartoteka__Envelope *e = c->pushing;
  c->pushing = NULL;
  return e;
}

void cl_conn_break(cl_conn *c) { c->broken_out = true; }
bool cl_conn_is_open(const cl_conn *c) { return c && !c->closed; }

void cl_conn_free(cl_conn *c) {
  if (!c) return;
  if (c->ready && !c->closed) kt_stream_shutdown(&c->st);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
  kt_stream_close(&c->st);
  while (c->handles_open > 0) uv_run(c->o.loop, UV_RUN_ONCE);
  for (int i = 0; i < c->ninflight; i++) kt_frame_env_free(c->inflight[i].reply);
  kt_tls_ctx_free(c->ctx);
  free(c);
}
