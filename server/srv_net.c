/* srv_net — see srv_net.h. This file: the listener, accepting, a connection's
 * life on its kt_stream (timers, close, release, the write cap's
 * consequences), the daily backup, account and certificate timers, and
 * the server's start and stop. Messages go to srv__dispatch (srv_dispatch.c);
 * the shared structs are in srv_net_int.h. */
#include "srv_net.h"
#include "srv_net_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "kartoteka.pb-c.h"
#include "kt_buf.h"
#include "kt_frame.h"
#include "kt_hlc.h"
#include "kt_log.h"
#include "kt_stream.h"
#include "kt_tls.h"
#include "kt_pki.h"
#include "srv_audit.h"
#include "srv_auth.h"
#include "srv_rights.h"
#include "srv_backup.h"
#include "srv_db.h"
#include "srv_pki.h"
#include "srv_sync.h"

/* TLS sessions kept for resumption (kt_tls): a reconnect within a working day
 * skips the certificate exchange; revocation is still checked every time */
#define TLS_RESUME_S (8 * 3600)
#define TLS_RESUME_MAX 20000

static void on_cert_timer(uv_timer_t *t);

/* ---- sending ------------------------------------------------------------------ */

int srv__conn_send(srv_conn *c, Kartoteka__Envelope *env) {
  if (c->state == SRV__ST_CLOSING) return KT_ENET; /* an ack for a client that left */
  kt_err err;
  kt_err_clear(&err);
  int rc = kt_stream_send(&c->st, env, &err);
  if (rc) kt_log_warn("net", "conn %llu: cannot send: %s", (unsigned long long)c->id, err.msg);
  return rc;
}

void srv__send_error(srv_conn *c, uint64_t req_id, int code, const char *msg) {
  Kartoteka__Envelope env = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Error e = KARTOTEKA__ERROR__INIT;
  e.code = code;
  e.message = (char *)msg;
  env.req_id = req_id;
  env.body_case = KARTOTEKA__ENVELOPE__BODY_ERROR;
  env.error = &e;
  srv__conn_send(c, &env);
}

void srv__send_error_close(srv_conn *c, uint64_t req_id, int code, const char *msg) {
  Kartoteka__Envelope env = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Error e = KARTOTEKA__ERROR__INIT;
  e.code = code;
  e.message = (char *)msg;
  env.req_id = req_id;
  env.body_case = KARTOTEKA__ENVELOPE__BODY_ERROR;
  env.error = &e;
  kt_log_info("net", "conn %llu (%s): error %s: %s", (unsigned long long)c->id, c->peer,
              kt_err_name(code), msg);
  if (kt_stream_is_ready(&c->st)) srv__conn_send(c, &env);
  srv__conn_close(c); /* flushes the Error first */
}

/* ---- the stream's callbacks ------------------------------------------------------------ */

/* The handshake is done: the device certificate (if any) names the device. */
static void on_conn_ready(kt_stream *st) {
  srv_conn *c = st->data;
  kt_tls *tls = srv__conn_tls(c);
  c->state = SRV__ST_HELLO;
  kt_log_debug("net", "conn %llu: %s %s", (unsigned long long)c->id, kt_tls_version(tls),
               kt_tls_cipher(tls));
  char fpr[KT_PKI_FPR_HEX_MAX];
  if (kt_tls_peer_cert_fingerprint(tls, false, fpr, sizeof fpr, NULL) != 0) return;
  /* identity comes from the certificate; a revoked device is refused at once */
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_device_lookup(&c->srv->db, fpr, c->device_id, c->device_user, &err);
  if (rc) {
    kt_tls_session_drop(tls); /* its ticket must not skip this check's cost either */
    if (rc == KT_EREVOKED)
      srv_audit_note(&c->srv->db, c->device_user, c->device_id, "device.refused", c->peer,
                     "a revoked device tried to connect");
    srv__send_error_close(c, 0, rc, err.msg);
    return;
  }
  c->enrolled = true;
}

static void on_conn_frame(kt_stream *st, Kartoteka__Envelope *env) {
  srv_conn *c = st->data;
  if (c->state != SRV__ST_CLOSING) srv__dispatch(c, env);
}

static void on_conn_fail(kt_stream *st, int code, uint64_t req_id, const char *msg) {
  srv_conn *c = st->data;
  if (code == KT_EPROTO || code == KT_ETOOBIG) {
    srv__send_error_close(c, req_id, code, msg); /* a bad frame or message: say why */
    return;
  }
  if (code == KT_ENET && kt_stream_over_cap(st))
    kt_log_warn("net", "conn %llu (%s): disconnected: %s (it may resume its session)",
                (unsigned long long)c->id, c->peer, msg);
  else if (code == KT_ETLS && c->state == SRV__ST_TLS)
    kt_log_info("net", "conn %llu (%s): TLS handshake failed: %s", (unsigned long long)c->id,
                c->peer, msg);
  else
    kt_log_debug("net", "conn %llu: %s", (unsigned long long)c->id, msg);
  srv__conn_close(c);
}

static void on_conn_activity(kt_stream *st) {
  srv_conn *c = st->data;
  uv_timer_again(&c->timer);
}

/* Over the write cap the stream stops reading from c; live changes for it give
 * way to one bare Notify (srv__notify_all), sent once it is below the cap again,
 * after which it catches up by cursor like any client that was away. */
static void on_conn_pressure(kt_stream *st, bool over) {
  srv_conn *c = st->data;
  /* the first time at info, then debug: a slow link crosses the cap often */
  kt_log_level lv = c->slow_noted ? KT_LOG_DEBUG : KT_LOG_INFO;
  if (over) {
    KT_LOG(lv, "net", "conn %llu (%s): reads slowly: %zu bytes queued; reading from it paused",
           (unsigned long long)c->id, c->peer, kt_stream_queued(st));
    return;
  }
  KT_LOG(lv, "net", "conn %llu (%s): below the write cap again; reading resumed%s",
         (unsigned long long)c->id, c->peer, c->notify_owed ? ", told to catch up by cursor" : "");
  c->slow_noted = true;
  if (!c->notify_owed || c->state != SRV__ST_READY) return;
  c->notify_owed = false;
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Notify n = KARTOTEKA__NOTIFY__INIT;
  n.latest_seq = c->srv->notified_seq;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_NOTIFY;
  out.notify = &n;
  srv__conn_send(c, &out);
}

/* A page was written: the next one is built while the client applies it. */
static void on_conn_drain(kt_stream *st) {
  srv_conn *c = st->data;
  srv__pull_ahead_want(c);
}

static void on_conn_handle_closed(uv_handle_t *h) {
  srv_conn *c = h->data;
  --c->handles_open;
  srv__conn_release(c);
}

static void on_conn_stream_closed(kt_stream *st) {
  srv_conn *c = st->data;
  --c->handles_open;
  srv__conn_release(c);
}

static const kt_stream_ops conn_ops = {
    .on_ready = on_conn_ready,
    .on_frame = on_conn_frame,
    .on_fail = on_conn_fail,
    .on_activity = on_conn_activity,
    .on_pressure = on_conn_pressure,
    .on_drain = on_conn_drain,
    .on_closed = on_conn_stream_closed,
};

/* ---- connection life ---------------------------------------------------------------- */

void srv__conn_release(srv_conn *c) {
  if (c->handles_open > 0 || c->pending_work > 0) return;
  srv_server *s = c->srv;
  if (c->prev) c->prev->next = c->next;
  else s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  if (c->subscribed) {
    if (c->sub_prev) c->sub_prev->sub_next = c->sub_next;
    else s->subs = c->sub_next;
    if (c->sub_next) c->sub_next->sub_prev = c->sub_prev;
  }
  s->nconns--;
  srv__ahead_free(c->ahead);
  free(c->subj);
  free(c);
  if (s->stopping && !s->conns) uv_stop(&s->loop);
}

void srv__conn_close(srv_conn *c) {
  if (c->state == SRV__ST_CLOSING) return;
  c->state = SRV__ST_CLOSING;
  kt_log_debug("net", "conn %llu: closing", (unsigned long long)c->id);
  uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
  kt_stream_close(&c->st);
}

static void on_conn_timeout(uv_timer_t *t) {
  srv_conn *c = t->data;
  if (c->state == SRV__ST_TLS || c->state == SRV__ST_HELLO) {
    kt_log_info("net", "conn %llu (%s): handshake timeout", (unsigned long long)c->id, c->peer);
    srv__conn_close(c);
  } else {
    srv__send_error_close(c, 0, KT_EPROTO, "idle for too long; reconnect when needed");
  }
}

static void on_connection(uv_stream_t *server, int status) {
  srv_server *s = server->data;
  if (status < 0 || s->stopping) return;
  srv_conn *c = calloc(1, sizeof *c);
  if (!c) return;
  /* connections share one read buffer and one plaintext buffer (the loop runs one
     callback at a time and each read is consumed before it returns), so an idle
     connection holds no buffers of its own */
  kt_stream_opts so = {.max_frame = s->cfg.max_frame ? s->cfg.max_frame : KT_FRAME_MAX_DEFAULT,
                       .write_cap = s->cfg.write_cap ? s->cfg.write_cap : SRV_WRITE_CAP_DEFAULT,
                       .stall_ms = s->cfg.stall_timeout_ms ? s->cfg.stall_timeout_ms
                                                           : SRV_STALL_DEFAULT_MS,
                       .rbuf = s->rbuf,
                       .rbuf_len = sizeof s->rbuf,
                       .plain = &s->plain};
  kt_err err;
  if (kt_stream_init(&c->st, &s->loop, &conn_ops, c, &so, &err)) {
    free(c);
    return;
  }
  c->srv = s;
  c->id = ++s->next_id;
  uv_timer_init(&s->loop, &c->timer);
  c->timer.data = c;
  c->handles_open = 2; /* the timer and the stream */
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->nconns++;
  kt_tls *tls = NULL;
  if (kt_tls_new(s->tls, NULL, &tls, &err) || kt_stream_accept(&c->st, server, tls, &err)) {
    srv__conn_close(c);
    return;
  }
  struct sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(kt_stream_tcp(&c->st), (struct sockaddr *)&ss, &len) == 0) {
    char ip[48] = "?";
    int port = 0;
    if (ss.ss_family == AF_INET) {
      uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
      port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
      port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    snprintf(c->peer, sizeof c->peer, "%s:%d", ip, port);
  }
  c->state = SRV__ST_TLS;
  uint32_t hs = s->cfg.handshake_timeout_ms ? s->cfg.handshake_timeout_ms : 10000;
  uint32_t idle = s->cfg.idle_timeout_ms ? s->cfg.idle_timeout_ms : 600000;
  uv_timer_start(&c->timer, on_conn_timeout, hs, idle);
  kt_log_debug("net", "conn %llu: accepted from %s", (unsigned long long)c->id, c->peer);
}

/* ---- daily backup ----------------------------------------------------------------------- */

static void on_backup_work(uv_work_t *req) {
  srv_server *s = req->data;
  kt_err_clear(&s->backup_err);
  s->backup_rc = srv_backup_rotate(s->cfg.data_dir, s->backup_keep, &s->backup_err);
}

static void on_backup_done(uv_work_t *req, int status) {
  srv_server *s = req->data;
  s->backup_running = false;
  if (status == 0 && s->backup_rc == 0) {
    /* the audit head goes to the journal too: an anchor outside the database
       (`kartotekad audit --verify --head SEQ:HASH` checks it is still there) */
    int64_t seq = 0;
    char hash[65] = "";
    srv_audit_head(&s->db, &seq, hash, NULL);
    kt_log_info("backup", "daily backup written to %s/backups (keeping %d); audit head %lld:%s",
                s->cfg.data_dir, s->backup_keep, (long long)seq, hash);
  } else
    kt_log_error("backup", "daily backup failed: %s", s->backup_err.msg);
}

static int64_t users_gen(srv_server *s) {
  kt_buf b = KT_BUF_INIT;
  int64_t v = srv_db_meta_get(&s->db, "users_gen", &b, NULL) == 0 ? atoll(kt_buf_str(&b)) : 0;
  kt_buf_free(&b);
  return v;
}

/* Accounts changed (possibly by `kartotekad user` in another process): every live
 * session is checked again as if it resumed now; disabled users, changed passwords
 * and ended sessions are shown the door at once. One cheap read per second. */
static void on_users_timer(uv_timer_t *t) {
  srv_server *s = t->data;
  srv__history_tick(s);
  int64_t g = users_gen(s);
  if (g == s->users_gen || s->stopping) return;
  s->users_gen = g;
  srv__notify_all(s); /* `kartotekad user ...` may have written staff records */
  for (srv_conn *c = s->conns; c; c = c->next) {
    if (c->state != SRV__ST_READY) continue;
    srv_auth_info info;
    kt_err err;
    kt_err_clear(&err);
    int rc = srv_resume(&s->db, c->device_id, c->token, &info, &err);
    if (rc) {
      kt_log_info("auth", "ending the session of %s: %s", c->who.user, err.msg);
      srv__send_error_close(c, 0, rc, err.msg);
    }
  }
  srv__rights_tell(s); /* a role, group or role's rights changed: the live sessions hear it */
}

static void on_backup_timer(uv_timer_t *t) {
  srv_server *s = t->data;
  if (s->backup_running || s->stopping) return;
  s->backup_running = true;
  s->backup_work.data = s;
  if (uv_queue_work(&s->loop, &s->backup_work, on_backup_work, on_backup_done))
    s->backup_running = false;
}

/* ---- certificates ----------------------------------------------------------------------- */

/* Logs the CA warning once a day while it applies. */
static void ca_check(srv_server *s) {
  int64_t now = (int64_t)kt_now_ms();
  char msg[300];
  if (now - s->ca_warned_ms < 86400000 || !srv_pki_ca_warning(s->ca, now, msg, sizeof msg)) return;
  s->ca_warned_ms = now;
  kt_log_warn("pki", "%s", msg);
}

static void cert_timer_arm(srv_server *s) {
  int64_t wait = s->cert_due_ms - (int64_t)kt_now_ms();
  if (wait > 86400000 || s->cert_due_ms == 0) wait = 86400000; /* daily in any case */
  if (wait < 1000) wait = 1000;
  uv_timer_start(&s->cert_timer, on_cert_timer, (uint64_t)wait, 0);
}

/* The server certificate is renewed a third of its life before it ends; new
 * handshakes present the new one at once, connections keep theirs. */
static void on_cert_timer(uv_timer_t *t) {
  srv_server *s = t->data;
  if (s->stopping) return;
  srv__group_flush(s); /* the renewal's database writes are a transaction of their own */
  kt_err err;
  kt_err_clear(&err);
  bool renewed = false;
  int64_t next = 0;
  int rc = srv_pki_renew_server(&s->db, s->cfg.data_dir, s->ca_key, s->ca, false, &renewed, &next,
                                &err);
  if (!rc && renewed) {
    char crt[4200], key[4200];
    snprintf(crt, sizeof crt, "%s/server.crt", s->cfg.data_dir);
    snprintf(key, sizeof key, "%s/server.key", s->cfg.data_dir);
    rc = kt_tls_ctx_reload_cert(s->tls, crt, key, &err);
  }
  if (rc) {
    kt_log_error("pki", "cannot renew the server certificate: %s; trying again in an hour",
                 err.msg);
    next = (int64_t)kt_now_ms() + 3600000;
  }
  s->cert_due_ms = next;
  ca_check(s);
  cert_timer_arm(s);
}

/* ---- server life ---------------------------------------------------------------------- */

static void on_signal(uv_signal_t *sig, int signum) {
  srv_server *s = sig->data;
  kt_log_info("net", "signal %d: shutting down", signum);
  srv__group_flush(s); /* answer the pushes of this turn before closing */
  s->stopping = true;
  uv_close((uv_handle_t *)&s->listener, NULL);
  uv_timer_stop(&s->backup_timer);
  uv_timer_stop(&s->users_timer);
  uv_timer_stop(&s->cert_timer);
  uv_signal_stop(&s->sigterm);
  uv_signal_stop(&s->sigint);
  for (srv_conn *c = s->conns; c; c = c->next) {
    kt_stream_shutdown(&c->st);
    srv__conn_close(c);
  }
  if (!s->conns) uv_stop(&s->loop);
}

static int parse_listen(const char *spec, struct sockaddr_storage *ss, kt_err *err) {
  char host[256];
  const char *colon = strrchr(spec, ':');
  if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host)
    return kt_err_set(err, KT_EINVAL, "bad --listen '%s': use ADDRESS:PORT, e.g. 0.0.0.0:7433",
                      spec);
  memcpy(host, spec, (size_t)(colon - spec));
  host[colon - spec] = '\0';
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535)
    return kt_err_set(err, KT_EINVAL, "bad port in --listen '%s'", spec);
  if (host[0] == '[') { /* [::1]:7433 */
    size_t n = strlen(host);
    if (n < 3 || host[n - 1] != ']') return kt_err_set(err, KT_EINVAL, "bad --listen '%s'", spec);
    host[n - 1] = '\0';
    memmove(host, host + 1, n - 1);
  }
  if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0) return 0;
  if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0) return 0;
  return kt_err_set(err, KT_EINVAL, "bad address in --listen '%s': give an IP address", spec);
}

int srv_server_new(const srv_config *cfg, srv_server **out, kt_err *err) {
  srv_server *s = calloc(1, sizeof *s);
  if (!s) return kt_err_set(err, KT_ENOMEM, "out of memory");
  s->cfg = *cfg;
  if (!s->cfg.listen) s->cfg.listen = "127.0.0.1:7433";
  int rc;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  if ((rc = parse_listen(s->cfg.listen, &ss, err))) goto fail_free;
  if ((rc = srv_db_open(&s->db, cfg->data_dir, false, err))) goto fail_free;
  kt_buf b = KT_BUF_INIT;
  if (srv_db_meta_get(&s->db, "server_id", &b, err) == 0)
    snprintf(s->server_id, sizeof s->server_id, "%s", kt_buf_str(&b));
  kt_buf_reset(&b);
  if (srv_db_meta_get(&s->db, "epoch", &b, NULL) == 0)
    snprintf(s->epoch, sizeof s->epoch, "%s", kt_buf_str(&b));
  else
    snprintf(s->epoch, sizeof s->epoch, "%s", s->server_id);
  /* daily backup: interval and how many to keep are settings in the database */
  int64_t interval_s = 86400;
  s->backup_keep = 7;
  kt_buf_reset(&b);
  if (srv_db_meta_get(&s->db, "backup_interval_s", &b, NULL) == 0 && atoll(kt_buf_str(&b)) > 0)
    interval_s = atoll(kt_buf_str(&b));
  kt_buf_reset(&b);
  if (srv_db_meta_get(&s->db, "backup_keep", &b, NULL) == 0 && atoi(kt_buf_str(&b)) > 0)
    s->backup_keep = atoi(kt_buf_str(&b));
  kt_buf_free(&b);
  kt_hlc_init(&s->hlc, 0, NULL, NULL);
  if ((rc = srv_roles_seed(&s->db, err))) goto fail_db;
  if ((rc = srv_sync_new(&s->db, &s->hlc, s->server_id, &s->sync, err))) goto fail_db;
  srv_sync_latest(s->sync, &s->notified_seq, NULL);
  char crt[4200], key[4200], ca[4200];
  snprintf(crt, sizeof crt, "%s/server.crt", cfg->data_dir);
  snprintf(key, sizeof key, "%s/server.key", cfg->data_dir);
  snprintf(ca, sizeof ca, "%s/ca.crt", cfg->data_dir);
  char cakey[4200];
  snprintf(cakey, sizeof cakey, "%s/ca.key", cfg->data_dir);
  if ((rc = kt_pki_cert_load_pem(ca, &s->ca, err)) || (rc = kt_pki_key_load_pem(cakey, &s->ca_key, err)))
    goto fail_db;
  /* the server certificate: an interrupted renewal finished, a due one done now */
  bool renewed = false;
  if ((rc = srv_pki_recover(&s->db, cfg->data_dir, err)) ||
      (rc = srv_pki_renew_server(&s->db, cfg->data_dir, s->ca_key, s->ca, false, &renewed,
                                 &s->cert_due_ms, err)))
    goto fail_db;
  ca_check(s);
  if ((rc = kt_tls_ctx_new_server(crt, key, ca, false, &s->tls, err))) goto fail_db;
  if ((rc = kt_tls_ctx_set_resumption(s->tls, TLS_RESUME_S, TLS_RESUME_MAX, err))) goto fail_tls;
  uv_loop_init(&s->loop);
  uv_tcp_init(&s->loop, &s->listener);
  s->listener.data = s;
  int urc = uv_tcp_bind(&s->listener, (struct sockaddr *)&ss, 0);
  if (!urc) urc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
  if (urc) {
    rc = kt_err_set(err, KT_EIO, "cannot listen on %s: %s%s", s->cfg.listen, uv_strerror(urc),
                    urc == UV_EADDRINUSE ? " (another program uses that port; stop it or choose "
                                           "another with --listen)"
                                         : "");
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    goto fail_tls;
  }
  uv_timer_init(&s->loop, &s->backup_timer);
  s->backup_timer.data = s;
  uv_timer_start(&s->backup_timer, on_backup_timer, (uint64_t)interval_s * 1000,
                 (uint64_t)interval_s * 1000);
  uv_unref((uv_handle_t *)&s->backup_timer);
  s->users_gen = users_gen(s);
  uv_timer_init(&s->loop, &s->users_timer);
  s->users_timer.data = s;
  uv_timer_start(&s->users_timer, on_users_timer, 1000, 1000);
  uv_unref((uv_handle_t *)&s->users_timer);
  uv_timer_init(&s->loop, &s->cert_timer);
  s->cert_timer.data = s;
  cert_timer_arm(s);
  uv_unref((uv_handle_t *)&s->cert_timer);
  uv_idle_init(&s->loop, &s->pull_idle);
  s->pull_idle.data = s;
  srv_sync_set_page_bytes(s->sync, s->cfg.write_cap ? s->cfg.write_cap : SRV_WRITE_CAP_DEFAULT);
  uv_check_init(&s->loop, &s->group_check);
  s->group_check.data = s;
  uv_check_start(&s->group_check, srv__on_group_check);
  uv_unref((uv_handle_t *)&s->group_check);
  uv_signal_init(&s->loop, &s->sigterm);
  uv_signal_init(&s->loop, &s->sigint);
  s->sigterm.data = s->sigint.data = s;
  uv_signal_start(&s->sigterm, on_signal, SIGTERM);
  uv_signal_start(&s->sigint, on_signal, SIGINT);
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
  char ip[64] = "?";
  int port = 0;
  if (bound.ss_family == AF_INET) {
    uv_ip4_name((struct sockaddr_in *)&bound, ip, sizeof ip);
    port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
  } else {
    uv_ip6_name((struct sockaddr_in6 *)&bound, ip, sizeof ip);
    port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
  }
  char where[128];
  snprintf(where, sizeof where, bound.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
  srv_db_meta_set(&s->db, "last_listen", where, NULL);
  printf("listening %s\n", where);
  fflush(stdout);
  *out = s;
  return 0;
fail_tls:
  kt_tls_ctx_free(s->tls);
fail_db:
  srv_sync_free(s->sync);
  EVP_PKEY_free(s->ca_key);
  X509_free(s->ca);
  srv_db_close(&s->db);
fail_free:
  free(s);
  return rc;
}

int srv_server_run(srv_server *s, kt_err *err) {
  (void)err;
  uv_run(&s->loop, UV_RUN_DEFAULT);
  return 0;
}

static void walk_close(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

void srv_server_free(srv_server *s) {
  if (!s) return;
  uv_walk(&s->loop, walk_close, NULL);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  uv_loop_close(&s->loop);
  kt_tls_ctx_free(s->tls);
  EVP_PKEY_free(s->ca_key);
  X509_free(s->ca);
  srv_sync_free(s->sync);
  srv_db_close(&s->db);
  kt_buf_free(&s->plain);
  free(s->claim_buckets);
  free(s);
}
