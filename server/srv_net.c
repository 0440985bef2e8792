/* srv_net — see srv_net.h. */
#include "srv_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "kartoteka.pb-c.h"
#include "kt_buf.h"
#include "kt_frame.h"
#include "kt_hlc.h"
#include "kt_log.h"
#include "kt_tls.h"
#include "kt_pki.h"
#include "srv_admin.h"
#include "srv_audit.h"
#include "srv_auth.h"
#include "srv_rights.h"
#include "srv_backup.h"
#include "srv_db.h"
#include "srv_pki.h"
#include "srv_sync.h"

#define PROTOCOL_VERSION 1

typedef enum conn_state { ST_TLS, ST_HELLO, ST_AUTH, ST_LOGIN, ST_READY, ST_CLOSING } conn_state;

typedef struct srv_conn {
  uv_tcp_t tcp;          /* first: the handle's data points back to us */
  uv_timer_t timer;
  srv_server *srv;
  struct srv_conn *prev, *next;
  kt_tls *tls;
  kt_frame_reader rd;
  uint64_t id;
  conn_state state;
  int handles_open;
  char peer[64];
  bool enrolled;          /* presented a known, unrevoked device certificate */
  char device_id[40];     /* from the certificate, never from a message */
  char device_user[80];
  srv_auth_info who;      /* after Login/Resume */
  srv_subject *subj;      /* the user's rights, loaded at login (heap: only for live sessions) */
  bool bulk_noted;        /* a full pull was written to the audit log */
  char token[65];
  bool subscribed;
  struct pull_ahead *ahead; /* the next pull page, built before it is asked for */
  bool ahead_wanted;        /* ... to be built once the current page is written */
  uint64_t ahead_since;
  uint32_t ahead_max;
  uint64_t ahead_scope;
  int writes;               /* writes handed to libuv and not completed */
  bool in_read;           /* answers are flushed once, when the read callback ends */
  struct srv_conn *sub_prev, *sub_next; /* the list of subscribed connections */
  int pending_work;       /* login jobs in flight: the conn is freed only after them */
} srv_conn;

#define MAX_HASHING 2 /* Argon2 verifications at a time (memory: 19 MiB each) */
/* TLS sessions kept for resumption (kt_tls): a reconnect within a working day
 * skips the certificate exchange; revocation is still checked every time */
#define TLS_RESUME_S (8 * 3600)
#define TLS_RESUME_MAX 20000

/* A password check waiting for or running in the thread pool: a Login, or an
 * enrollment (which carries the password too). */
typedef struct login_work {
  uv_work_t req;
  srv_conn *c;
  uint64_t req_id;
  srv_login_job *job;     /* &login, or &enroll->login */
  srv_login_job login;
  srv_enroll_job *enroll; /* an enrollment's job (heap), else NULL */
  struct login_work *next;
} login_work;

struct srv_server {
  srv_config cfg;
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_signal_t sigterm, sigint;
  kt_tls_ctx *tls;
  EVP_PKEY *ca_key;
  X509 *ca;
  srv_db db;
  srv_sync *sync;
  kt_hlc hlc;
  char server_id[64];
  char epoch[64];
  uv_timer_t backup_timer; /* the daily online backup */
  uv_timer_t users_timer;  /* notices account changes made by `kartotekad user ...` */
  uv_timer_t cert_timer;   /* renews the server certificate, announces the CA's end */
  int64_t cert_due_ms;     /* when the server certificate is due for renewal */
  int64_t ca_warned_ms;    /* the CA warning was logged then (daily) */
  int64_t users_gen;
  uv_work_t backup_work;
  bool backup_running;
  int backup_keep;
  int backup_rc;
  kt_err backup_err;
  srv_conn *conns;
  srv_conn *subs; /* subscribed connections only: a commit notifies these, not every idle one */
  uint64_t notified_seq; /* the latest sequence number subscribers were told about */
  uv_check_t group_check;  /* end of a loop turn: commits the pushes of the turn */
  bool group_open;
  struct pending_ack *acks, *acks_tail; /* their answers, sent after the commit */
  login_work *wait_head, *wait_tail; /* logins waiting for a hashing slot */
  int hashing;
  char rbuf[65536]; /* ciphertext read buffer and ... */
  kt_buf plain;     /* ... plaintext scratch, shared: each read is consumed at once */
  uint64_t next_id;
  int nconns;
  bool stopping;
};

static void conn_close(srv_conn *c);
static void conn_release(srv_conn *c);
static void on_cert_timer(uv_timer_t *t);
static void pull_ahead_build(srv_conn *c);
static void group_flush(srv_server *s);

/* ---- sending ------------------------------------------------------------------ */

typedef struct write_req {
  uv_write_t req;
  char *data;
} write_req;

static void on_conn_write(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  srv_conn *c = req->handle->data;
  free(w->data);
  free(w);
  c->writes--;
  /* a failed write shows up as a read error/EOF */
  if (status == 0 && c->writes == 0 && c->ahead_wanted) pull_ahead_build(c);
}

/* Sends whatever ciphertext the TLS session has queued. */
static void conn_flush(srv_conn *c) {
  if (!c->tls || uv_is_closing((uv_handle_t *)&c->tcp)) return;
  kt_buf out = KT_BUF_INIT;
  if (kt_tls_take_cipher(c->tls, &out) || !out.len) {
    kt_buf_free(&out);
    return;
  }
  write_req *w = malloc(sizeof *w);
  if (!w) {
    kt_buf_free(&out);
    conn_close(c);
    return;
  }
  size_t len = out.len;
  w->data = kt_buf_take(&out);
  uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_conn_write)) {
    free(w->data);
    free(w);
    conn_close(c);
    return;
  }
  c->writes++;
}

static int conn_send(srv_conn *c, Kartoteka__Envelope *env) {
  kt_buf frame = KT_BUF_INIT;
  kt_err err;
  int rc = kt_frame_encode(env, &frame, &err);
  if (!rc) rc = kt_tls_write_plain(c->tls, frame.p, frame.len, &err);
  kt_buf_free(&frame);
  if (rc) kt_log_warn("net", "conn %llu: cannot send: %s", (unsigned long long)c->id, err.msg);
  if (!c->in_read) conn_flush(c);
  return rc;
}

/* An Error answer to one request; the connection stays open. */
static void send_error(srv_conn *c, uint64_t req_id, int code, const char *msg) {
  Kartoteka__Envelope env = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Error e = KARTOTEKA__ERROR__INIT;
  e.code = code;
  e.message = (char *)msg;
  env.req_id = req_id;
  env.body_case = KARTOTEKA__ENVELOPE__BODY_ERROR;
  env.error = &e;
  conn_send(c, &env);
}

static void send_error_close(srv_conn *c, uint64_t req_id, int code, const char *msg) {
  Kartoteka__Envelope env = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Error e = KARTOTEKA__ERROR__INIT;
  e.code = code;
  e.message = (char *)msg;
  env.req_id = req_id;
  env.body_case = KARTOTEKA__ENVELOPE__BODY_ERROR;
  env.error = &e;
  kt_log_info("net", "conn %llu (%s): error %s: %s", (unsigned long long)c->id, c->peer,
              kt_err_name(code), msg);
  if (c->tls && kt_tls_handshake_done(c->tls)) conn_send(c, &env);
  conn_flush(c);
  conn_close(c);
}

/* ---- dispatch -------------------------------------------------------------------- */

static void handle_hello(srv_conn *c, const Kartoteka__Envelope *env) {
  const Kartoteka__Hello *h = env->hello;
  if (h->protocol_version != PROTOCOL_VERSION) {
    char msg[200];
    snprintf(msg, sizeof msg,
             "protocol version %u is not supported by this server (it speaks %d); install the "
             "Kartoteka version that matches the server",
             h->protocol_version, PROTOCOL_VERSION);
    send_error_close(c, env->req_id, KT_EVERSION, msg);
    return;
  }
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__HelloOk ok = KARTOTEKA__HELLO_OK__INIT;
  ok.protocol_version = PROTOCOL_VERSION;
  ok.server_id = c->srv->server_id;
  ok.epoch = c->srv->epoch;
  ok.server_hlc = kt_hlc_now(&c->srv->hlc);
  static char *features[] = {"renew"};
  ok.features = features;
  ok.n_features = 1;
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_HELLO_OK;
  out.hello_ok = &ok;
  c->state = ST_AUTH;
  conn_send(c, &out);
}

static void handle_ping(srv_conn *c, const Kartoteka__Envelope *env) {
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Pong pong = KARTOTEKA__PONG__INIT;
  pong.nonce = env->ping->nonce;
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_PONG;
  out.pong = &pong;
  conn_send(c, &out);
}

static void send_auth_ok(srv_conn *c, uint64_t req_id) {
  kt_err err;
  kt_err_clear(&err);
  if (!c->subj && !(c->subj = malloc(sizeof *c->subj))) {
    send_error_close(c, req_id, KT_ENOMEM, "out of memory");
    return;
  }
  int rc = srv_subject_load(&c->srv->db, c->who.user, c->subj, &err);
  if (rc) {
    send_error_close(c, req_id, rc, err.msg);
    return;
  }
  const kt_rights *r = &c->subj->who.rights;
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__AuthOk ok = KARTOTEKA__AUTH_OK__INIT;
  ok.user_id = c->who.user_id;
  ok.user_name = c->who.user;
  ok.token = c->token;
  ok.role = c->subj->role;
  int n;
  const kt_typedef *t = kt_registry_types(&n);
  Kartoteka__Right rv[KT_MAX_TYPES], *rp[KT_MAX_TYPES];
  size_t k = 0;
  for (int i = 0; i < n && k < KT_MAX_TYPES; i++) {
    kartoteka__right__init(&rv[k]);
    rv[k].entity = (char *)t[i].name;
    rv[k].read = (Kartoteka__Level)r->lvl[t[i].code][KT_ACT_READ];
    rv[k].edit = (Kartoteka__Level)r->lvl[t[i].code][KT_ACT_EDIT];
    rv[k].del = (Kartoteka__Level)r->lvl[t[i].code][KT_ACT_DELETE];
    rp[k] = &rv[k];
    k++;
  }
  ok.rights = rp;
  ok.n_rights = k;
  ok.export = r->can_export;
  ok.import = r->can_import;
  ok.mass_mail = r->mass_mail;
  ok.reassign = r->reassign;
  ok.manage_users = r->manage_users;
  ok.see_contacts = r->see_contacts;
  out.req_id = req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_AUTH_OK;
  out.auth_ok = &ok;
  c->state = ST_READY;
  conn_send(c, &out);
}

/* Before each request of a live session: a user disabled meanwhile is shown the
 * door; changed rights (role, groups) are reloaded. */
static bool session_check(srv_conn *c, uint64_t req_id) {
  uint64_t gen = 0;
  bool disabled = false;
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_subject_state(&c->srv->db, c->who.user, &gen, &disabled, &err);
  if (!rc && disabled) rc = kt_err_set(&err, KT_EDISABLED, "this account is disabled; ask your administrator");
  if (!rc && gen != c->subj->scope_gen) rc = srv_subject_load(&c->srv->db, c->who.user, c->subj, &err);
  if (rc) {
    send_error_close(c, req_id, rc, err.msg);
    return false;
  }
  return true;
}

static void login_start(srv_server *s);
static void enroll_done(srv_conn *c, login_work *w);

static void on_login_work(uv_work_t *req) {
  login_work *w = req->data;
  srv_login_verify(w->job);
}

/* Wipes the password and frees w; the connection it held may go now. */
static void login_work_free(login_work *w) {
  srv_conn *c = w->c;
  if (w->enroll) {
    srv_enroll_job_wipe(w->enroll);
    free(w->enroll);
  }
  srv_login_job_wipe(&w->login);
  free(w);
  if (c) {
    c->pending_work--;
    conn_release(c);
  }
}

static void on_login_done(uv_work_t *req, int status) {
  login_work *w = req->data;
  srv_conn *c = w->c;
  srv_server *s = c->srv;
  group_flush(s); /* the login's own writes must not join the pushes' transaction */
  s->hashing--;
  if (status == 0 && c->state == ST_LOGIN && w->enroll) {
    enroll_done(c, w);
  } else if (status == 0 && c->state == ST_LOGIN) {
    kt_err err;
    kt_err_clear(&err);
    int rc = srv_login_finish(&s->db, w->job, &c->who, c->token, &err);
    srv_audit_note(&s->db, w->job->user, c->device_id, rc ? "login.failed" : "login", c->peer,
                   "%s", rc ? err.msg : "");
    if (rc) send_error_close(c, w->req_id, rc, err.msg);
    else send_auth_ok(c, w->req_id);
  }
  login_work_free(w);
  login_start(s);
}

/* Starts waiting logins while hashing slots are free. */
static void login_start(srv_server *s) {
  while (s->wait_head && s->hashing < MAX_HASHING) {
    login_work *w = s->wait_head;
    s->wait_head = w->next;
    if (!s->wait_head) s->wait_tail = NULL;
    if (w->c->state != ST_LOGIN) { /* the client left while waiting */
      login_work_free(w);
      continue;
    }
    s->hashing++;
    w->req.data = w;
    if (uv_queue_work(&s->loop, &w->req, on_login_work, on_login_done)) {
      s->hashing--;
      srv_login_verify(w->job); /* no thread pool: verify here */
      w->req.data = w;
      s->hashing++;
      on_login_done(&w->req, 0);
    }
  }
}

/* Queues a begun password check; nothing else is accepted until its answer. */
static void login_queue(srv_conn *c, login_work *w) {
  c->pending_work++;
  c->state = ST_LOGIN;
  srv_server *s = c->srv;
  if (s->wait_tail) s->wait_tail->next = w;
  else s->wait_head = w;
  s->wait_tail = w;
  login_start(s);
}

static void handle_login(srv_conn *c, const Kartoteka__Envelope *env) {
  kt_err err;
  kt_err_clear(&err);
  login_work *w = calloc(1, sizeof *w);
  if (!w) {
    send_error_close(c, env->req_id, KT_ENOMEM, "out of memory");
    return;
  }
  w->req_id = env->req_id;
  w->job = &w->login;
  snprintf(w->login.user, sizeof w->login.user, "%s", env->login->user);
  snprintf(w->login.device_id, sizeof w->login.device_id, "%s", c->device_id);
  snprintf(w->login.device_user, sizeof w->login.device_user, "%s", c->device_user);
  snprintf(w->login.password, sizeof w->login.password, "%s", env->login->password);
  int rc = srv_login_begin(&c->srv->db, w->job, &err);
  if (rc) { /* throttled or locked: refused before any hashing, and audited too */
    srv_audit_note(&c->srv->db, w->login.user, c->device_id, "login.refused", c->peer, "%s",
                   err.msg);
    login_work_free(w);
    send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  w->c = c;
  login_queue(c, w);
}

static void handle_resume(srv_conn *c, const Kartoteka__Envelope *env) {
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_resume(&c->srv->db, c->device_id, env->resume->token, &c->who, &err);
  if (rc) {
    srv_audit_note(&c->srv->db, c->device_user, c->device_id, "resume.refused", c->peer, "%s",
                   err.msg);
    send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  snprintf(c->token, sizeof c->token, "%s", env->resume->token);
  send_auth_ok(c, env->req_id);
}

/* An EnrollRequest: the invite and the CSR are checked at once, the password
 * in the thread pool like a Login's (enroll_done finishes it). */
static void handle_enroll(srv_conn *c, const Kartoteka__Envelope *env) {
  const Kartoteka__EnrollRequest *r = env->enroll_request;
  kt_err err;
  kt_err_clear(&err);
  login_work *w = calloc(1, sizeof *w);
  srv_enroll_job *j = w ? malloc(sizeof *j) : NULL;
  if (!j) {
    free(w);
    send_error_close(c, env->req_id, KT_ENOMEM, "out of memory");
    return;
  }
  w->req_id = env->req_id;
  w->enroll = j;
  w->job = &j->login;
  int rc = srv_enroll_begin(&c->srv->db, j, r->secret, r->password, r->csr_der.data,
                            r->csr_der.len, r->device_name, &err);
  if (rc) {
    if (j->login.user[0]) /* a known invite: throttled, locked, a bad request */
      srv_audit_note(&c->srv->db, j->login.user, "", "enroll.refused", c->peer, "%s", err.msg);
    login_work_free(w);
    send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  w->c = c;
  login_queue(c, w);
}

/* The password was checked: the enrollment happens (one transaction) or not at all. */
static void enroll_done(srv_conn *c, login_work *w) {
  srv_server *s = c->srv;
  srv_enrolled e;
  memset(&e, 0, sizeof e);
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_enroll_finish(&s->db, s->ca_key, s->ca, w->enroll, &e, &err);
  srv_audit_note(&s->db, w->job->user, e.device_id, rc ? "enroll.failed" : "enroll", c->peer,
                 "%s", rc ? err.msg : w->enroll->device_name);
  if (rc) {
    send_error_close(c, w->req_id, rc, err.msg);
    return;
  }
  srv_audit_note(&s->db, e.user, e.device_id, "login", c->peer, "at enrollment");
  kt_buf ca_der = KT_BUF_INIT;
  if ((rc = kt_pki_cert_to_der(s->ca, &ca_der, &err))) {
    kt_buf_free(&e.cert_der);
    send_error_close(c, w->req_id, rc, err.msg);
    return;
  }
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__EnrollOk ok = KARTOTEKA__ENROLL_OK__INIT;
  ok.cert_der.data = (uint8_t *)e.cert_der.p;
  ok.cert_der.len = e.cert_der.len;
  ok.ca_der.data = (uint8_t *)ca_der.p;
  ok.ca_der.len = ca_der.len;
  ok.device_id = e.device_id;
  ok.token = e.token;
  ok.user = e.user;
  char *addrs[16];
  size_t n = 0;
  for (char *tok = strtok(e.addresses, ","); tok && n < 16; tok = strtok(NULL, ",")) addrs[n++] = tok;
  ok.addresses = addrs;
  ok.n_addresses = n;
  out.req_id = w->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_ENROLL_OK;
  out.enroll_ok = &ok;
  c->state = ST_AUTH; /* the device connects again with its certificate */
  conn_send(c, &out);
  memset(e.token, 0, sizeof e.token);
  kt_buf_free(&e.cert_der);
  kt_buf_free(&ca_der);
}

/* RenewRequest: a new certificate for the session's own device (never the
 * message's), from the certificate this connection was authenticated with. */
static void handle_renew(srv_conn *c, const Kartoteka__Envelope *env) {
  if (!session_check(c, env->req_id)) return;
  const Kartoteka__RenewRequest *r = env->renew_request;
  kt_buf der = KT_BUF_INIT;
  kt_err err;
  kt_err_clear(&err);
  srv_server *s = c->srv;
  int rc = srv_device_renew(&s->db, s->ca_key, s->ca, c->device_id, kt_tls_peer_cert_get(c->tls),
                            r->csr_der.data, r->csr_der.len, &der, &err);
  srv_audit_note(&s->db, c->who.user, c->device_id, rc ? "device.renew.refused" : "device.renewed",
                 c->peer, "%s", rc ? err.msg : "");
  if (rc) kt_buf_free(&der);
  if (rc == KT_EREVOKED || rc == KT_EDB) {
    send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  if (rc) { /* refused (not due, a bad request): an answer, the session goes on */
    send_error(c, env->req_id, rc, err.msg);
    return;
  }
  kt_tls_session_drop(c->tls); /* its session holds the old certificate */
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__RenewOk ok = KARTOTEKA__RENEW_OK__INIT;
  ok.cert_der.data = (uint8_t *)der.p;
  ok.cert_der.len = der.len;
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_RENEW_OK;
  out.renew_ok = &ok;
  conn_send(c, &out);
  kt_buf_free(&der);
}

/* Notify after a commit. The changes since the previous notify travel with it
 * when they are few (NOTIFY_DIRECT_MAX), so a subscriber that is up to date
 * applies them without a Pull round trip. Each subscriber gets what its own
 * pull would return (srv_sync_page_view: the records it may read); one whose
 * view cannot be made that way (a revoke in the range, hidden phones) gets the
 * bare Notify and pulls. */
#define NOTIFY_DIRECT_MAX 64

static void notify_all(srv_server *s) {
  uint64_t latest = 0;
  if (srv_sync_latest(s->sync, &latest, NULL)) return;
  uint64_t since = s->notified_seq;
  s->notified_seq = latest;
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Notify n = KARTOTEKA__NOTIFY__INIT;
  n.latest_seq = latest;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_NOTIFY;
  out.notify = &n;
  srv_page page;
  Kartoteka__Change **buf = NULL;
  bool direct = s->subs && since && since < latest && latest - since <= NOTIFY_DIRECT_MAX &&
                srv_sync_notify_page(s->sync, since, NOTIFY_DIRECT_MAX, &page, NULL) == 0;
  if (direct && (page.msg.more ||
                 !(buf = calloc(page.msg.n_changes ? page.msg.n_changes : 1, sizeof *buf)))) {
    srv_page_free(&page);
    direct = false;
  }
  for (srv_conn *c = s->subs; c; c = c->sub_next) {
    if (c->state != ST_READY) continue;
    Kartoteka__Changes view;
    bool mine = direct && c->subj && srv_sync_page_view(&page, c->subj, &view, buf);
    n.since_seq = mine ? since : 0;
    n.changes = mine ? &view : NULL;
    conn_send(c, &out);
  }
  if (direct) {
    free(buf);
    srv_page_free(&page);
  }
}

/* Group commit (DESIGN.md: pushes arriving in one loop turn commit together).
 * The first push of a loop turn opens a transaction; each push is applied in
 * a savepoint and its answer waits; at the end of the turn (a uv_check
 * handle, after every read of the turn) one synced commit makes them all
 * durable, then the acks go out and subscribers are notified once. Anything
 * else that reads the master for a client (a pull, a login...) first commits
 * the open group (group_flush), so no client ever sees what is not durable. */
typedef struct pending_ack {
  struct pending_ack *next;
  srv_conn *c; /* held by pending_work until the answer is sent */
  uint64_t req_id;
  Kartoteka__PushAck ack;
  bool applied;
} pending_ack;

static void group_flush(srv_server *s) {
  if (!s->group_open) return;
  s->group_open = false;
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_sync_group_commit(s->sync, &err);
  bool applied = false;
  pending_ack *p = s->acks;
  s->acks = s->acks_tail = NULL;
  while (p) {
    pending_ack *next = p->next;
    srv_conn *c = p->c;
    if (rc) {
      send_error_close(c, p->req_id, rc, err.msg);
    } else {
      Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
      out.req_id = p->req_id;
      out.body_case = KARTOTEKA__ENVELOPE__BODY_PUSH_ACK;
      out.push_ack = &p->ack;
      conn_send(c, &out); /* after the commit: the ack is durable */
      applied = applied || p->applied;
    }
    srv_sync_ack_free(&p->ack);
    free(p);
    c->pending_work--;
    conn_release(c); /* frees it only if it closed meanwhile */
    p = next;
  }
  if (applied) notify_all(s);
}

static void on_group_check(uv_check_t *h) { group_flush(h->data); }

static void handle_push(srv_conn *c, const Kartoteka__Envelope *env) {
  srv_server *s = c->srv;
  if (!session_check(c, env->req_id)) return;
  if (env->push->n_changes > SRV_PUSH_MAX) {
    char msg[160];
    snprintf(msg, sizeof msg, "a push may hold at most %d changes (this one had %zu); Kartoteka "
             "sends them in smaller batches: use an unmodified, current client", SRV_PUSH_MAX,
             env->push->n_changes);
    srv_audit_note(&s->db, c->who.user, c->device_id, "denied.push", "", "%s", msg);
    send_error_close(c, env->req_id, KT_ETOOBIG, msg);
    return;
  }
  kt_err err;
  kt_err_clear(&err);
  pending_ack *p = calloc(1, sizeof *p);
  if (!p) {
    send_error_close(c, env->req_id, KT_ENOMEM, "out of memory");
    return;
  }
  int rc = 0;
  if (!s->group_open && !(rc = srv_sync_group_begin(s->sync, &err))) s->group_open = true;
  kartoteka__push_ack__init(&p->ack);
  srv_writer w = {c->device_id, c->who.user, c->subj};
  if (!rc) rc = srv_sync_push_grouped(s->sync, &w, env->push, &p->ack, &err);
  if (rc) {
    free(p);
    send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  for (size_t i = 0; i < p->ack.n_results; i++)
    if (p->ack.results[i]->server_seq) p->applied = true;
  p->c = c;
  p->req_id = env->req_id;
  c->pending_work++;
  if (s->acks_tail) s->acks_tail->next = p;
  else s->acks = p;
  s->acks_tail = p;
}

/* Pull pages are built one ahead: once a page with `more` has been written
 * to the socket, the next one (since = its next_seq) is built and encoded,
 * while the client applies the page it got, and goes out as soon as the client
 * asks for it; a catching-up client then hardly waits for the server. A page built before later
 * commits is still a correct answer: what commits later gets higher sequence
 * numbers and comes in a later page. The page is kept encoded without its
 * req_id (an Envelope field that may come in any order), which is prepended
 * when it is sent. */
typedef struct pull_ahead {
  uint64_t since;
  uint32_t max;
  uint64_t scope;   /* the rights generation the client asked with */
  uint64_t gen;     /* ... and the user's when the page was built (a change rebuilds it) */
  bool more, wipe;
  size_t n_revokes;
  uint64_t next;
  kt_buf frame; /* length prefix + Envelope{changes} with req_id 0 */
} pull_ahead;

static void ahead_free(pull_ahead *a) {
  if (!a) return;
  kt_buf_free(&a->frame);
  free(a);
}

/* Builds the page after `since` for c (what its user may read), encoded. */
static int pull_build(srv_conn *c, uint64_t since, uint32_t max, uint64_t scope, pull_ahead **out,
                      kt_err *err) {
  srv_page page;
  int rc = srv_sync_pull(c->srv->sync, c->subj, since, scope, max, &page, err);
  if (rc) return rc;
  pull_ahead *a = calloc(1, sizeof *a);
  if (!a) {
    srv_page_free(&page);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  a->since = since;
  a->max = max;
  a->scope = scope;
  a->gen = c->subj->scope_gen;
  a->more = page.msg.more;
  a->wipe = page.msg.wipe;
  a->n_revokes = page.msg.n_revokes;
  a->next = page.msg.next_seq;
  Kartoteka__Envelope env = KARTOTEKA__ENVELOPE__INIT;
  env.body_case = KARTOTEKA__ENVELOPE__BODY_CHANGES;
  env.changes = &page.msg;
  rc = kt_frame_encode_max(&env, c->srv->cfg.max_frame, &a->frame, err);
  srv_page_free(&page);
  if (rc) {
    ahead_free(a);
    return rc;
  }
  *out = a;
  return 0;
}

/* Sends an encoded page as the answer to req_id. */
static int pull_send_page(srv_conn *c, uint64_t req_id, const pull_ahead *a, kt_err *err) {
  unsigned char hdr[16];
  size_t k = KT_FRAME_HEADER;
  hdr[k++] = 0x08; /* Envelope.req_id: field 1, varint */
  for (uint64_t v = req_id;; v >>= 7) {
    hdr[k++] = (unsigned char)(v < 0x80 ? v : (v & 0x7f) | 0x80);
    if (v < 0x80) break;
  }
  size_t body = a->frame.len - KT_FRAME_HEADER, n = k - KT_FRAME_HEADER + body;
  hdr[0] = (unsigned char)(n >> 24);
  hdr[1] = (unsigned char)(n >> 16);
  hdr[2] = (unsigned char)(n >> 8);
  hdr[3] = (unsigned char)n;
  int rc = kt_tls_write_plain(c->tls, hdr, k, err);
  if (!rc) rc = kt_tls_write_plain(c->tls, a->frame.p + KT_FRAME_HEADER, body, err);
  if (!c->in_read) conn_flush(c);
  return rc;
}

static void send_page(srv_conn *c, uint64_t req_id, srv_page *page) {
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  out.req_id = req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_CHANGES;
  out.changes = &page->msg;
  conn_send(c, &out);
  srv_page_free(page);
}

static void handle_pull(srv_conn *c, const Kartoteka__Envelope *env) {
  if (!session_check(c, env->req_id)) return;
  kt_err err;
  kt_err_clear(&err);
  const Kartoteka__Pull *p = env->pull;
  pull_ahead *a = c->ahead;
  c->ahead = NULL;
  int rc = 0;
  if (!a || a->since != p->since_seq || a->max != p->max || a->scope != p->scope ||
      a->gen != c->subj->scope_gen) {
    ahead_free(a);
    a = NULL;
    rc = pull_build(c, p->since_seq, p->max, p->scope, &a, &err);
  }
  if (!rc && (p->since_seq == 0 || a->wipe) && !c->bulk_noted) {
    /* a whole replica is being read: worth a line in the audit log */
    c->bulk_noted = true;
    srv_audit_note(&c->srv->db, c->who.user, c->device_id, "pull.full", c->peer, "role %s%s",
                   c->subj->role, a->wipe && p->since_seq ? ", rights changed" : "");
  }
  if (!rc && a->n_revokes)
    srv_audit_note(&c->srv->db, c->who.user, c->device_id, "revoke", c->peer, "%zu records",
                   a->n_revokes);
  if (!rc) rc = pull_send_page(c, env->req_id, a, &err);
  if (rc) {
    ahead_free(a);
    send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  c->ahead_wanted = a->more; /* built when this page is written (on_conn_write) */
  c->ahead_since = a->next;
  c->ahead_max = p->max;
  c->ahead_scope = a->gen;
  ahead_free(a);
}

static void pull_ahead_build(srv_conn *c) {
  c->ahead_wanted = false;
  if (c->state != ST_READY || c->ahead) return;
  group_flush(c->srv); /* a page holds durable changes only */
  if (pull_build(c, c->ahead_since, c->ahead_max, c->ahead_scope, &c->ahead, NULL)) c->ahead = NULL;
}

static void handle_get(srv_conn *c, const Kartoteka__Envelope *env) {
  if (!session_check(c, env->req_id)) return;
  srv_page page;
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_sync_get(c->srv->sync, c->subj, env->get->type, env->get->id, &page, &err);
  if (rc == KT_ENOTFOUND) {
    srv_audit_note(&c->srv->db, c->who.user, c->device_id, "get.notfound", env->get->id, "%s",
                   env->get->type);
    send_error(c, env->req_id, rc, err.msg); /* an answer, not a protocol violation */
    return;
  }
  if (rc) {
    send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  send_page(c, env->req_id, &page);
}

static void handle_claim(srv_conn *c, const Kartoteka__Envelope *env) {
  if (!session_check(c, env->req_id)) return;
  const Kartoteka__ClaimCheck *q = env->claim_check;
  srv_claim cl;
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_sync_claim(c->srv->sync, q->phone, q->email, q->tax_id, &cl, &err);
  if (rc) {
    send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__ClaimResult res = KARTOTEKA__CLAIM_RESULT__INIT;
  res.exists = cl.exists;
  res.owner = cl.owner;
  res.type = cl.type;
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_CLAIM_RESULT;
  out.claim_result = &res;
  conn_send(c, &out);
}

static const char *param(const Kartoteka__AdminRequest *q, const char *key) {
  for (size_t i = 0; i < q->n_params; i++)
    if (q->params[i]->key && strcmp(q->params[i]->key, key) == 0) return q->params[i]->value;
  return NULL;
}

/* Ends the live sessions of user (disabled, password changed). */
static void kick_user(srv_server *s, const char *user, const srv_conn *except) {
  for (srv_conn *c = s->conns; c; c = c->next)
    if (c != except && c->state == ST_READY && strcmp(c->who.user, user) == 0)
      send_error_close(c, 0, KT_EDISABLED, "your session was ended by an administrator");
}

static void handle_admin(srv_conn *c, const Kartoteka__Envelope *env) {
  if (!session_check(c, env->req_id)) return;
  const Kartoteka__AdminRequest *q = env->admin_request;
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__AdminResponse resp = KARTOTEKA__ADMIN_RESPONSE__INIT;
  kt_err err;
  kt_err_clear(&err);
  srv_admin_res res;
  memset(&res, 0, sizeof res);
  int rc;
  if (q->op && strcmp(q->op, "export") == 0) {
    /* not administration: a PC asks leave to write cards to a file, and the log keeps it */
    const char *type = q->n_args ? q->args[0] : "";
    const char *rows = param(q, "rows"), *fmt = param(q, "format"), *file = param(q, "file");
    if (!c->subj->who.rights.can_export) {
      rc = kt_err_set(&err, KT_EPERM, "your role (%s) may not export cards; ask your "
                      "administrator for the export right", c->subj->role);
      srv_audit_note(&c->srv->db, c->who.user, c->device_id, "denied.export", type, "as %s%s%s",
                     fmt ? fmt : "?", rows && strcmp(rows, "?") ? ", rows: " : "",
                     rows && strcmp(rows, "?") ? rows : "");
    } else {
      rc = 0;
      srv_audit_note(&c->srv->db, c->who.user, c->device_id, "export", type,
                     "%s rows as %s to %s", rows ? rows : "?", fmt ? fmt : "?", file ? file : "?");
    }
  } else if (!c->subj->who.rights.manage_users) {
    rc = kt_err_set(&err, KT_EPERM, "only an administrator may do that (your role is %s)",
                    c->subj->role);
    srv_audit_note(&c->srv->db, c->who.user, c->device_id, "denied.admin", q->op, "%s",
                   q->n_args ? q->args[0] : "");
  } else {
    const char *h = param(q, "hours");
    srv_admin_req r = {q->op, q->n_args ? q->args[0] : param(q, "name"), param(q, "role"),
                       param(q, "group"), param(q, "password"), param(q, "rights"),
                       param(q, "from"), param(q, "address"), param(q, "birthday"),
                       h ? atoi(h) : 0};
    rc = srv_admin_exec(&c->srv->db, c->srv->sync, c->who.user, c->device_id, &r, &res, &err);
  }
  resp.code = rc;
  resp.message = rc ? err.msg : (char *)"done";
  char *rows[1] = {(char *)kt_buf_str(&res.out)};
  if (!rc && res.out.len) {
    resp.rows = rows;
    resp.n_rows = 1;
  }
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_ADMIN_RESPONSE;
  out.admin_response = &resp;
  conn_send(c, &out);
  kt_buf_free(&res.out);
  if (!rc && res.kick_user[0]) kick_user(c->srv, res.kick_user, c);
  if (!rc && res.feed_changed) notify_all(c->srv);
}

static void handle_subscribe(srv_conn *c, const Kartoteka__Envelope *env) {
  if (!c->subscribed) {
    c->subscribed = true;
    srv_server *s = c->srv;
    c->sub_prev = NULL;
    c->sub_next = s->subs;
    if (s->subs) s->subs->sub_prev = c;
    s->subs = c;
  }
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Notify n = KARTOTEKA__NOTIFY__INIT;
  srv_sync_latest(c->srv->sync, &n.latest_seq, NULL);
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_NOTIFY;
  out.notify = &n;
  conn_send(c, &out);
}

static void handle_logout(srv_conn *c, const Kartoteka__Envelope *env) {
  kt_err err;
  srv_logout(&c->srv->db, c->token, &err);
  send_error_close(c, env->req_id, 0, "logged out");
}

/* One handler per message; anything not allowed in the current state is a
 * protocol error. */
static void dispatch(srv_conn *c, const Kartoteka__Envelope *env) {
  kt_log_debug("net", "conn %llu: %s", (unsigned long long)c->id, kt_frame_body_name(env));
  /* only pushes join an open group; everything else sees durable data only */
  if (env->body_case != KARTOTEKA__ENVELOPE__BODY_PUSH) group_flush(c->srv);
  switch (env->body_case) {
  case KARTOTEKA__ENVELOPE__BODY_HELLO:
    if (c->state != ST_HELLO) break;
    handle_hello(c, env);
    return;
  case KARTOTEKA__ENVELOPE__BODY_PING:
    if (c->state == ST_HELLO) break;
    handle_ping(c, env);
    return;
  case KARTOTEKA__ENVELOPE__BODY_ENROLL_REQUEST:
    if (c->state != ST_AUTH) break;
    if (c->enrolled) {
      send_error_close(c, env->req_id, KT_EINVAL, "this device is already enrolled");
      return;
    }
    handle_enroll(c, env);
    return;
  case KARTOTEKA__ENVELOPE__BODY_LOGIN:
  case KARTOTEKA__ENVELOPE__BODY_RESUME:
    if (c->state != ST_AUTH) break;
    if (!c->enrolled) {
      send_error_close(c, env->req_id, KT_EAUTH,
                       "this PC is not enrolled: connect it first with `kartoteka connect "
                       "--invite INVITE`");
      return;
    }
    if (env->body_case == KARTOTEKA__ENVELOPE__BODY_LOGIN) handle_login(c, env);
    else handle_resume(c, env);
    return;
  case KARTOTEKA__ENVELOPE__BODY_LOGOUT:
    if (c->state != ST_READY) break;
    handle_logout(c, env);
    return;
  case KARTOTEKA__ENVELOPE__BODY_PUSH:
    if (c->state != ST_READY) break;
    handle_push(c, env);
    return;
  case KARTOTEKA__ENVELOPE__BODY_PULL:
    if (c->state != ST_READY) break;
    handle_pull(c, env);
    return;
  case KARTOTEKA__ENVELOPE__BODY_SUBSCRIBE:
    if (c->state != ST_READY) break;
    handle_subscribe(c, env);
    return;
  case KARTOTEKA__ENVELOPE__BODY_GET:
    if (c->state != ST_READY) break;
    handle_get(c, env);
    return;
  case KARTOTEKA__ENVELOPE__BODY_CLAIM_CHECK:
    if (c->state != ST_READY) break;
    handle_claim(c, env);
    return;
  case KARTOTEKA__ENVELOPE__BODY_ADMIN_REQUEST:
    if (c->state != ST_READY) break;
    handle_admin(c, env);
    return;
  case KARTOTEKA__ENVELOPE__BODY_RENEW_REQUEST:
    if (c->state != ST_READY) break;
    handle_renew(c, env);
    return;
  default:
    break;
  }
  char msg[160];
  snprintf(msg, sizeof msg, "unexpected %s message %s", kt_frame_body_name(env),
           c->state == ST_HELLO ? "before Hello" : "at this point of the conversation");
  send_error_close(c, env->req_id, KT_EPROTO, msg);
}

/* ---- reading ---------------------------------------------------------------------- */

/* Connections share one read buffer and one plaintext buffer (the loop runs one
 * callback at a time and each read is consumed before it returns), so an idle
 * connection holds no buffers of its own. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  srv_conn *c = h->data;
  buf->base = c->srv->rbuf;
  buf->len = sizeof c->srv->rbuf;
}

static void plain_reset(srv_server *s) {
  if (s->plain.cap > (1u << 20)) kt_buf_free(&s->plain); /* after a big frame */
  else kt_buf_reset(&s->plain);
}

static void process_plain(srv_conn *c) {
  kt_err err;
  kt_buf *plain = &c->srv->plain;
  if (!plain->len) return;
  int rc = kt_frame_reader_feed(&c->rd, plain->p, plain->len, &err);
  plain_reset(c->srv);
  if (rc) {
    send_error_close(c, 0, err.code, err.msg);
    return;
  }
  for (;;) {
    if (c->state == ST_CLOSING) return;
    Kartoteka__Envelope *env = NULL;
    rc = kt_frame_reader_next(&c->rd, &env, &err);
    if (rc == 0) return;
    if (rc < 0) {
      send_error_close(c, 0, rc, err.msg);
      return;
    }
    if (kt_frame_env_validate(env, &err)) send_error_close(c, env->req_id, KT_EPROTO, err.msg);
    else dispatch(c, env);
    kt_frame_env_free(env);
  }
}

static void conn_read(srv_conn *c, ssize_t nread, const uv_buf_t *buf);

/* Everything the messages of one read answer goes out in one write. */
static void on_conn_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  srv_conn *c = stream->data;
  c->in_read = true;
  conn_read(c, nread, buf);
  c->in_read = false;
  conn_flush(c);
}

static void conn_read(srv_conn *c, ssize_t nread, const uv_buf_t *buf) {
  if (nread < 0) {
    conn_close(c);
    return;
  }
  if (nread == 0 || c->state == ST_CLOSING) {
    return;
  }
  uv_timer_again(&c->timer);
  kt_err err;
  int rc = kt_tls_feed_cipher(c->tls, buf->base, (size_t)nread, &err);
  if (rc) {
    conn_close(c);
    return;
  }
  if (c->state == ST_TLS) {
    rc = kt_tls_handshake(c->tls, &err);
    conn_flush(c);
    if (rc < 0) {
      kt_log_info("net", "conn %llu (%s): TLS handshake failed: %s", (unsigned long long)c->id,
                  c->peer, err.msg);
      conn_close(c);
      return;
    }
    if (rc == 0) return;
    c->state = ST_HELLO;
    kt_log_debug("net", "conn %llu: %s %s", (unsigned long long)c->id, kt_tls_version(c->tls),
                 kt_tls_cipher(c->tls));
    char fpr[KT_PKI_FPR_HEX_MAX];
    if (kt_tls_peer_cert_fingerprint(c->tls, false, fpr, sizeof fpr, NULL) == 0) {
      /* identity comes from the certificate; a revoked device is refused at once */
      rc = srv_device_lookup(&c->srv->db, fpr, c->device_id, c->device_user, &err);
      if (rc) {
        kt_tls_session_drop(c->tls); /* its ticket must not skip this check's cost either */
        if (rc == KT_EREVOKED)
          srv_audit_note(&c->srv->db, c->device_user, c->device_id, "device.refused", c->peer,
                         "a revoked device tried to connect");
        send_error_close(c, 0, rc, err.msg);
        return;
      }
      c->enrolled = true;
    }
  }
  plain_reset(c->srv);
  rc = kt_tls_read_plain(c->tls, &c->srv->plain, &err);
  conn_flush(c);
  if (rc < 0) {
    plain_reset(c->srv);
    conn_close(c);
    return;
  }
  process_plain(c);
  if (rc == 1 && c->state != ST_CLOSING) conn_close(c); /* close_notify */
}

/* ---- connection life ---------------------------------------------------------------- */

static void on_conn_handle_closed(uv_handle_t *h) {
  srv_conn *c = h->data;
  --c->handles_open;
  conn_release(c);
}

static void conn_release(srv_conn *c) {
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
  ahead_free(c->ahead);
  kt_tls_free(c->tls);
  kt_frame_reader_close(&c->rd);
  free(c->subj);
  free(c);
  if (s->stopping && !s->conns) uv_stop(&s->loop);
}

static void conn_close(srv_conn *c) {
  if (c->state == ST_CLOSING) return;
  c->state = ST_CLOSING;
  kt_log_debug("net", "conn %llu: closing", (unsigned long long)c->id);
  uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
  uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
}

static void on_conn_timeout(uv_timer_t *t) {
  srv_conn *c = t->data;
  if (c->state == ST_TLS || c->state == ST_HELLO) {
    kt_log_info("net", "conn %llu (%s): handshake timeout", (unsigned long long)c->id, c->peer);
    conn_close(c);
  } else {
    send_error_close(c, 0, KT_EPROTO, "idle for too long; reconnect when needed");
  }
}

static void on_connection(uv_stream_t *server, int status) {
  srv_server *s = server->data;
  if (status < 0 || s->stopping) return;
  srv_conn *c = calloc(1, sizeof *c);
  if (!c) return;
  c->srv = s;
  c->id = ++s->next_id;
  uv_tcp_init(&s->loop, &c->tcp);
  uv_timer_init(&s->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->handles_open = 2;
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->nconns++;
  kt_frame_reader_init(&c->rd, s->cfg.max_frame ? s->cfg.max_frame : KT_FRAME_MAX_DEFAULT);
  kt_err err;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) || kt_tls_new(s->tls, NULL, &c->tls, &err)) {
    conn_close(c);
    return;
  }
  struct sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
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
  uv_tcp_nodelay(&c->tcp, 1);
  c->state = ST_TLS;
  uint32_t hs = s->cfg.handshake_timeout_ms ? s->cfg.handshake_timeout_ms : 10000;
  uint32_t idle = s->cfg.idle_timeout_ms ? s->cfg.idle_timeout_ms : 600000;
  uv_timer_start(&c->timer, on_conn_timeout, hs, idle);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_conn_read);
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
  int64_t g = users_gen(s);
  if (g == s->users_gen || s->stopping) return;
  s->users_gen = g;
  notify_all(s); /* `kartotekad user ...` may have written staff records */
  for (srv_conn *c = s->conns; c; c = c->next) {
    if (c->state != ST_READY) continue;
    srv_auth_info info;
    kt_err err;
    kt_err_clear(&err);
    int rc = srv_resume(&s->db, c->device_id, c->token, &info, &err);
    if (rc) {
      kt_log_info("auth", "ending the session of %s: %s", c->who.user, err.msg);
      send_error_close(c, 0, rc, err.msg);
    }
  }
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
  group_flush(s); /* the renewal's database writes are a transaction of their own */
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
  group_flush(s); /* answer the pushes of this turn before closing */
  s->stopping = true;
  uv_close((uv_handle_t *)&s->listener, NULL);
  uv_timer_stop(&s->backup_timer);
  uv_timer_stop(&s->users_timer);
  uv_timer_stop(&s->cert_timer);
  uv_signal_stop(&s->sigterm);
  uv_signal_stop(&s->sigint);
  for (srv_conn *c = s->conns; c; c = c->next) {
    if (c->tls && kt_tls_handshake_done(c->tls)) {
      kt_tls_shutdown(c->tls, NULL);
      conn_flush(c);
    }
    conn_close(c);
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
  uv_check_init(&s->loop, &s->group_check);
  s->group_check.data = s;
  uv_check_start(&s->group_check, on_group_check);
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
  free(s);
}
