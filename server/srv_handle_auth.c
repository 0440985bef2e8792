/* srv_handle_auth — the handlers that make a session: Hello (the protocol
 * version), Login and EnrollRequest (the password checked in the thread pool,
 * MAX_HASHING at a time, nothing else accepted meanwhile), Resume (a token),
 * RenewRequest (a new certificate for this device) and Logout. Each handler's
 * table entry (srv_net_int.h) follows it; srv_dispatch.c has checked the
 * entry's states, device and session before it runs. Loop thread only. */
#include "srv_net_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_log.h"
#include "kt_pki.h"
#include "kt_version.h"
#include "srv_audit.h"
#include "srv_auth.h"
#include "srv_pki.h"
#include "srv_rights.h"
#include "srv_sync.h"

#define MAX_HASHING 2 /* Argon2 verifications at a time (memory: 19 MiB each) */

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

static void handle_hello(srv_conn *c, const Kartoteka__Envelope *env) {
  const Kartoteka__Hello *h = env->hello;
  kt_version own, pc = kt_version_peer(h->protocol_version, h->min_protocol_version,
                                       h->schema_version);
  kt_version_own(&own);
  kt_err verr;
  kt_err_clear(&verr);
  if (kt_version_check(&pc, &own, &verr)) {
    kt_log_info("net", "conn %llu: refused Hello (protocol %u, schema %u): %s",
                (unsigned long long)c->id, h->protocol_version, h->schema_version, verr.msg);
    srv__send_error_close(c, env->req_id, KT_EVERSION, verr.msg);
    return;
  }
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__HelloOk ok = KARTOTEKA__HELLO_OK__INIT;
  /* the highest protocol both speak (kt_version_check: the ranges overlap) */
  ok.protocol_version = pc.protocol < own.protocol ? pc.protocol : own.protocol;
  ok.min_protocol_version = own.protocol_min;
  ok.schema_version = own.schema;
  ok.server_id = c->srv->server_id;
  ok.epoch = c->srv->epoch;
  ok.server_hlc = kt_hlc_now(&c->srv->hlc);
  static char *features[] = {"renew"};
  ok.features = features;
  ok.n_features = 1;
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_HELLO_OK;
  out.hello_ok = &ok;
  c->state = SRV__ST_AUTH;
  srv__conn_send(c, &out);
}

const srv__handler srv__hello_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_HELLO,
    .states = SRV__IN(SRV__ST_HELLO),
    .fn = handle_hello};

/* The AuthOk of c's subject (its rights as c->subj has them now); rv and rp
 * hold the per-type rights it points to (KT_MAX_TYPES each), token none when
 * NULL. */
static void auth_ok_fill(srv_conn *c, Kartoteka__AuthOk *ok, Kartoteka__Right *rv,
                         Kartoteka__Right **rp) {
  const kt_rights *r = &c->subj->who.rights;
  kartoteka__auth_ok__init(ok);
  ok->user_id = c->who.user_id;
  ok->user_name = c->who.user;
  ok->role = c->subj->role;
  int n;
  const kt_typedef *t = kt_registry_types(&n);
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
  ok->rights = rp;
  ok->n_rights = k;
  ok->export = r->can_export;
  ok->import = r->can_import;
  ok->mass_mail = r->mass_mail;
  ok->reassign = r->reassign;
  ok->manage_users = r->manage_users;
  ok->see_contacts = r->see_contacts;
  ok->mass_update = r->mass_update;
}

static void send_auth_ok(srv_conn *c, uint64_t req_id) {
  kt_err err;
  kt_err_clear(&err);
  if (!c->subj && !(c->subj = malloc(sizeof *c->subj))) {
    srv__send_error_close(c, req_id, KT_ENOMEM, "out of memory");
    return;
  }
  int rc = srv_subject_load(&c->srv->db, c->who.user, c->subj, &err);
  if (rc) {
    srv__send_error_close(c, req_id, rc, err.msg);
    return;
  }
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__AuthOk ok;
  Kartoteka__Right rv[KT_MAX_TYPES], *rp[KT_MAX_TYPES];
  auth_ok_fill(c, &ok, rv, rp);
  ok.token = c->token;
  out.req_id = req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_AUTH_OK;
  out.auth_ok = &ok;
  c->state = SRV__ST_READY;
  srv__conn_send(c, &out);
}

void srv__rights_tell(srv_server *s) {
  uint64_t latest = 0;
  srv_sync_latest(s->sync, &latest, NULL);
  for (srv_conn *c = s->subs; c; c = c->sub_next) {
    if (c->state != SRV__ST_READY || !c->subj) continue;
    uint64_t gen = 0;
    bool disabled = false;
    kt_err err;
    kt_err_clear(&err);
    if (srv_subject_state(&s->db, c->who.user, &gen, &disabled, &err) || disabled ||
        gen == c->subj->scope_gen)
      continue; /* a disabled user is shown the door by the next request or the users timer */
    int rc = srv_subject_load(&s->db, c->who.user, c->subj, &err);
    if (rc) {
      srv__send_error_close(c, 0, rc, err.msg);
      continue;
    }
    kt_log_info("auth", "conn %llu: the rights of %s changed (role %s): told to the session",
                (unsigned long long)c->id, c->who.user, c->subj->role);
    Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
    Kartoteka__Notify n = KARTOTEKA__NOTIFY__INIT;
    Kartoteka__AuthOk ok;
    Kartoteka__Right rv[KT_MAX_TYPES], *rp[KT_MAX_TYPES];
    auth_ok_fill(c, &ok, rv, rp);
    n.latest_seq = latest; /* a bare Notify: the client pulls (and is rebuilt: a new scope) */
    n.rights = &ok;
    out.body_case = KARTOTEKA__ENVELOPE__BODY_NOTIFY;
    out.notify = &n;
    srv__conn_send(c, &out); /* (over the write cap too: one small message, and rare) */
  }
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
    srv__conn_release(c);
  }
}

static void on_login_done(uv_work_t *req, int status) {
  login_work *w = req->data;
  srv_conn *c = w->c;
  srv_server *s = c->srv;
  srv__group_flush(s); /* the login's own writes must not join the pushes' transaction */
  s->hashing--;
  if (status == 0 && c->state == SRV__ST_LOGIN && w->enroll) {
    enroll_done(c, w);
  } else if (status == 0 && c->state == SRV__ST_LOGIN) {
    kt_err err;
    kt_err_clear(&err);
    int rc = srv_login_finish(&s->db, w->job, &c->who, c->token, &err);
    srv_audit_note(&s->db, w->job->user, c->device_id, rc ? "login.failed" : "login", c->peer,
                   "%s", rc ? err.msg : "");
    if (rc) srv__send_error_close(c, w->req_id, rc, err.msg);
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
    if (w->c->state != SRV__ST_LOGIN) { /* the client left while waiting */
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
  c->state = SRV__ST_LOGIN;
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
    srv__send_error_close(c, env->req_id, KT_ENOMEM, "out of memory");
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
    srv__send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  w->c = c;
  login_queue(c, w);
}

const srv__handler srv__login_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_LOGIN,
    .states = SRV__IN(SRV__ST_AUTH),
    .device = SRV__DEVICE_ENROLLED,
    .fn = handle_login};

static void handle_resume(srv_conn *c, const Kartoteka__Envelope *env) {
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_resume(&c->srv->db, c->device_id, env->resume->token, &c->who, &err);
  if (rc) {
    srv_audit_note(&c->srv->db, c->device_user, c->device_id, "resume.refused", c->peer, "%s",
                   err.msg);
    srv__send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  snprintf(c->token, sizeof c->token, "%s", env->resume->token);
  send_auth_ok(c, env->req_id);
}

const srv__handler srv__resume_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_RESUME,
    .states = SRV__IN(SRV__ST_AUTH),
    .device = SRV__DEVICE_ENROLLED,
    .fn = handle_resume};

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
    srv__send_error_close(c, env->req_id, KT_ENOMEM, "out of memory");
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
    srv__send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  w->c = c;
  login_queue(c, w);
}

const srv__handler srv__enroll_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_ENROLL_REQUEST,
    .states = SRV__IN(SRV__ST_AUTH),
    .device = SRV__DEVICE_NEW,
    .fn = handle_enroll};

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
    srv__send_error_close(c, w->req_id, rc, err.msg);
    return;
  }
  srv_audit_note(&s->db, e.user, e.device_id, "login", c->peer, "at enrollment");
  kt_buf ca_der = KT_BUF_INIT;
  if ((rc = kt_pki_cert_to_der(s->ca, &ca_der, &err))) {
    kt_buf_free(&e.cert_der);
    srv__send_error_close(c, w->req_id, rc, err.msg);
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
  c->state = SRV__ST_AUTH; /* the device connects again with its certificate */
  srv__conn_send(c, &out);
  memset(e.token, 0, sizeof e.token);
  kt_buf_free(&e.cert_der);
  kt_buf_free(&ca_der);
}

/* RenewRequest: a new certificate for the session's own device (never the
 * message's), from the certificate this connection was authenticated with. */
static void handle_renew(srv_conn *c, const Kartoteka__Envelope *env) {
  const Kartoteka__RenewRequest *r = env->renew_request;
  kt_buf der = KT_BUF_INIT;
  kt_err err;
  kt_err_clear(&err);
  srv_server *s = c->srv;
  int rc = srv_device_renew(&s->db, s->ca_key, s->ca, c->device_id, kt_tls_peer_cert_get(srv__conn_tls(c)),
                            r->csr_der.data, r->csr_der.len, &der, &err);
  srv_audit_note(&s->db, c->who.user, c->device_id, rc ? "device.renew.refused" : "device.renewed",
                 c->peer, "%s", rc ? err.msg : "");
  if (rc) kt_buf_free(&der);
  if (rc == KT_EREVOKED || rc == KT_EDB) {
    srv__send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  if (rc) { /* refused (not due, a bad request): an answer, the session goes on */
    srv__send_error(c, env->req_id, rc, err.msg);
    return;
  }
  kt_tls_session_drop(srv__conn_tls(c)); /* its session holds the old certificate */
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__RenewOk ok = KARTOTEKA__RENEW_OK__INIT;
  ok.cert_der.data = (uint8_t *)der.p;
  ok.cert_der.len = der.len;
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_RENEW_OK;
  out.renew_ok = &ok;
  srv__conn_send(c, &out);
  kt_buf_free(&der);
}

const srv__handler srv__renew_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_RENEW_REQUEST,
    .states = SRV__IN(SRV__ST_READY),
    .session = true,
    .fn = handle_renew};

static void handle_logout(srv_conn *c, const Kartoteka__Envelope *env) {
  kt_err err;
  srv_logout(&c->srv->db, c->token, &err);
  srv__send_error_close(c, env->req_id, 0, "logged out");
}

const srv__handler srv__logout_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_LOGOUT,
    .states = SRV__IN(SRV__ST_READY),
    .fn = handle_logout};
