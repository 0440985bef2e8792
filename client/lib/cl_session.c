/* cl_session — see cl_session.h. */
#include "cl_session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kt_frame.h"
#include "kt_hlc.h"
#include "kt_i18n.h"
#include "kt_invite.h"
#include "kt_log.h"
#include "kt_pki.h"
#include "kt_plat.h"
#include "kt_rights.h"
#include "kt_time.h"
#include "kt_version.h"

#include <openssl/err.h>


static void path_in(const char *dir, const char *name, char *out, size_t n) {
  snprintf(out, n, "%s/%s", dir, name);
}

/* Notices a server restored from a backup (its epoch changed). */
static int check_epoch(cl_store *s, const char *epoch, kt_err *err) {
  if (!s || !epoch || !*epoch) return 0;
  kt_buf cur = KT_BUF_INIT;
  int rc = 0;
  if (cl_store_meta_get(s, "server_epoch", &cur, NULL) == 0 && strcmp(kt_buf_str(&cur), epoch) != 0) {
    kt_log_warn("session", "the server was restored from a backup: re-sending this PC's work and "
                           "re-reading everything");
    rc = cl_store_server_restored(s, err);
  }
  if (!rc) rc = cl_store_meta_set(s, "server_epoch", epoch, err);
  kt_buf_free(&cur);
  return rc;
}

/* Hello and the authentication are sent together (one round trip, and the
 * server handles both in one wake-up); each half waits for its own answer. */
static int hello_send(cl_conn *c, const char *device_id, kt_err *err) {
  Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Hello h = KARTOTEKA__HELLO__INIT;
  kt_version own;
  kt_version_own(&own);
  h.protocol_version = own.protocol;
  h.min_protocol_version = own.protocol_min;
  h.schema_version = own.schema;
  h.device_id = (char *)(device_id ? device_id : "");
  h.client_name = "kartoteka";
  req.body_case = KARTOTEKA__ENVELOPE__BODY_HELLO;
  req.hello = &h;
  return cl_conn_request_send(c, &req, err);
}

/* HelloOk: the server's epoch (64 bytes) and whether it renews device
 * certificates; either out-param may be NULL. */
static int hello_recv(cl_conn *c, char *epoch_out, bool *renews, kt_err *err) {
  Kartoteka__Envelope *rep = NULL;
  int rc = cl_conn_request_wait(c, &rep, err);
  if (rc) return rc;
  if (rep->body_case != KARTOTEKA__ENVELOPE__BODY_HELLO_OK) {
    rc = kt_err_set(err, KT_EPROTO, "the server answered Hello with %s", kt_frame_body_name(rep));
  } else {
    /* a server that does not check (older than these fields) is judged here */
    const Kartoteka__HelloOk *ok = rep->hello_ok;
    kt_version own, srv = kt_version_peer(ok->protocol_version, ok->min_protocol_version,
                                          ok->schema_version);
    kt_version_own(&own);
    rc = kt_version_check(&own, &srv, err);
  }
  if (!rc) {
    if (epoch_out) snprintf(epoch_out, 64, "%s", rep->hello_ok->epoch);
    for (size_t i = 0; renews && i < rep->hello_ok->n_features; i++)
      if (strcmp(rep->hello_ok->features[i], "renew") == 0) *renews = true;
  }
  kt_frame_env_free(rep);
  return rc;
}

void cl_session_disabled(cl_store *s) {
  kt_err e;
  kt_buf tok = KT_BUF_INIT;
  bool done = cl_store_meta_get(s, "token", &tok, NULL) == 0 && tok.len == 0;
  kt_buf_free(&tok);
  if (done) return; /* wiped already (this connection or an earlier one) */
  kt_log_warn("session", "this account is disabled: removing the card index from this PC");
  if (cl_store_wipe(s, false, &e) || cl_store_purge(s, true, &e))
    kt_log_error("session", "could not remove the card index: %s", e.msg);
  cl_store_meta_set(s, "token", "", NULL);
  cl_store_meta_set(s, "account", "disabled", NULL);
}

static int hello(cl_conn *c, const char *device_id, char *epoch_out, kt_err *err) {
  int rc = hello_send(c, device_id, err);
  return rc ? rc : hello_recv(c, epoch_out, NULL, err);
}

int cl_session_rights_save(cl_store *s, const Kartoteka__AuthOk *a, kt_err *err) {
  kt_rights r;
  memset(&r, 0, sizeof r);
  for (size_t i = 0; i < a->n_rights; i++) {
    const kt_typedef *td = kt_registry_type(a->rights[i]->entity);
    if (!td) continue;
    r.lvl[td->code][KT_ACT_READ] = (unsigned char)a->rights[i]->read;
    r.lvl[td->code][KT_ACT_EDIT] = (unsigned char)a->rights[i]->edit;
    r.lvl[td->code][KT_ACT_DELETE] = (unsigned char)a->rights[i]->del;
  }
  r.can_export = a->export;
  r.can_import = a->import;
  r.mass_mail = a->mass_mail;
  r.reassign = a->reassign;
  r.manage_users = a->manage_users;
  r.see_contacts = a->see_contacts;
  r.mass_update = a->mass_update;
  kt_buf txt = KT_BUF_INIT;
  kt_rights_format(&r, &txt);
  int rc = txt.oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
  if (!rc) rc = cl_store_meta_set(s, "role", a->role ? a->role : "", err);
  if (!rc) rc = cl_store_meta_set(s, "rights", kt_buf_str(&txt), err);
  kt_buf_free(&txt);
  return rc;
}

/* Login or Resume (send half). */
static int auth_send(cl_conn *c, cl_store *s, const char *user, const char *password,
                     kt_err *err) {
  Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Login login = KARTOTEKA__LOGIN__INIT;
  Kartoteka__Resume resume = KARTOTEKA__RESUME__INIT;
  kt_buf tok = KT_BUF_INIT;
  if (password) {
    login.user = (char *)user;
    login.password = (char *)password;
    req.body_case = KARTOTEKA__ENVELOPE__BODY_LOGIN;
    req.login = &login;
  } else {
    if (cl_store_meta_get(s, "token", &tok, NULL) || !tok.len) {
      kt_buf_free(&tok);
      kt_buf acct = KT_BUF_INIT;
      bool disabled = cl_store_meta_get(s, "account", &acct, NULL) == 0 &&
                      strcmp(kt_buf_str(&acct), "disabled") == 0;
      kt_buf_free(&acct);
      if (disabled)
        return kt_err_set(err, KT_EDISABLED, KT_("this account is disabled; ask your administrator "
                          "(the card index on this PC was removed)"));
      return kt_err_set(err, KT_EAUTH, KT_("not logged in: run `kartoteka login` (or give "
                        "--password-file) to log in with your password"));
    }
    resume.token = tok.p;
    req.body_case = KARTOTEKA__ENVELOPE__BODY_RESUME;
    req.resume = &resume;
  }
  int rc = cl_conn_request_send(c, &req, err);
  kt_buf_free(&tok);
  return rc;
}

/* The answer to auth_send; saves a new token. */
static int auth_recv(cl_conn *c, cl_store *s, const char *password, kt_err *err) {
  Kartoteka__Envelope *rep = NULL;
  int rc = cl_conn_request_wait(c, &rep, err);
  if (rc == KT_EDISABLED) cl_session_disabled(s);
  if (rc) return rc;
  if (rep->body_case != KARTOTEKA__ENVELOPE__BODY_AUTH_OK)
    rc = kt_err_set(err, KT_EPROTO, "unexpected answer to login: %s", kt_frame_body_name(rep));
  else if (password && !(rc = cl_store_meta_set(s, "token", rep->auth_ok->token, err)))
    cl_store_meta_set(s, "account", "", NULL);
  if (!rc) {
    cl_store_meta_set(s, "user_id", rep->auth_ok->user_id, NULL);
    cl_session_rights_save(s, rep->auth_ok, NULL);
  }
  kt_frame_env_free(rep);
  return rc;
}

/* The TLS session of the last connection (profile file tls-session, 0600 like
 * the device key): the next connection offers it and skips the certificate
 * exchange. Losing it only costs a full handshake, so it is not fsynced and
 * failures to read or write it are ignored. */
#define TLS_SESSION_FILE "tls-session"
#define RENEW_LOCK_FILE "renew.lock" /* one process at a time renews the certificate */
#define TLS_SESSION_MAX 16384

static void tls_session_load(const char *dir, kt_buf *out) {
  char p[4200];
  path_in(dir, TLS_SESSION_FILE, p, sizeof p);
  FILE *f = fopen(p, "rb");
  if (!f) return;
  if (kt_buf_reserve(out, TLS_SESSION_MAX) == 0) {
    size_t n = fread(out->p, 1, TLS_SESSION_MAX, f);
    out->len = n > 0 && n < TLS_SESSION_MAX ? n : 0;
    out->p[out->len] = '\0';
  }
  fclose(f);
}

static void tls_session_save(const char *dir, cl_conn *c) {
  kt_buf s = KT_BUF_INIT;
  if (cl_conn_tls_session_take(c, &s) == 0) {
    char p[4200], tmp[4300];
    path_in(dir, TLS_SESSION_FILE, p, sizeof p);
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && kt_plat_fd_set_mode(fileno(f), 0600) == 0 && /* the user's alone */
              fwrite(s.p, 1, s.len, f) == s.len;
    if (f && fclose(f) != 0) ok = false;
    if (!ok || kt_plat_rename(tmp, p) != 0) {
      kt_plat_remove(tmp);
      kt_log_debug("session", "cannot keep the TLS session in %s", p);
    }
    memset(s.p, 0, s.len);
  }
  kt_buf_free(&s);
}

static int note_renews(cl_store *s, bool renews, kt_err *err);

static void remove_profile(const char *dir) {
  static const char *files[] = {"replica.db", "replica.db-wal", "replica.db-shm", "device.key",
                                "device.crt", "ca.crt", TLS_SESSION_FILE, RENEW_LOCK_FILE};
  char p[4200];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    path_in(dir, files[i], p, sizeof p);
    kt_plat_remove(p);
  }
}

int cl_session_connect(uv_loop_t *loop, const char *dir, const char *invite, const char *password,
                       const char *device_name, kt_err *err) {
  kt_invite inv;
  int rc = kt_invite_decode(invite, &inv, err);
  if (rc) return rc;
  char db[4200], keyp[4200], crtp[4200], cap[4200];
  path_in(dir, "replica.db", db, sizeof db);
  path_in(dir, "device.key", keyp, sizeof keyp);
  path_in(dir, "device.crt", crtp, sizeof crtp);
  path_in(dir, "ca.crt", cap, sizeof cap);
  if (kt_plat_file_info(db, NULL) == 0)
    return kt_err_set(err, KT_EEXISTS, KT_("a card index already exists in %s; nothing was changed "
                      "(use another --profile for a new connection)"), dir);
  if (kt_plat_mkdir_private(dir, false))
    return kt_err_set(err, KT_EIO, KT_("cannot create the profile folder %s: %s"), dir, strerror(errno));
  char host[128];
  kt_plat_host_name(host, sizeof host);
  EVP_PKEY *key = NULL;
  X509_REQ *csr = NULL;
  X509 *cert = NULL, *ca = NULL;
  kt_buf csr_der = KT_BUF_INIT;
  cl_conn *c = NULL;
  cl_store *s = NULL;
  Kartoteka__Envelope *rep = NULL;
  char first[512];
  snprintf(first, sizeof first, "%s", inv.addresses);
  char *comma = strchr(first, ',');
  if (comma) *comma = '\0';
  if ((rc = kt_pki_csr_new(device_name && *device_name ? device_name : host, &key, &csr, err)) ||
      (rc = kt_pki_csr_to_der(csr, &csr_der, err)))
    goto out;
  cl_conn_opts o = {.loop = loop, .address = first, .pin_fpr = inv.ca_fpr};
  if ((rc = cl_conn_open(&o, &c, err)) || (rc = hello(c, NULL, NULL, err))) goto out;
  Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__EnrollRequest er = KARTOTEKA__ENROLL_REQUEST__INIT;
  er.secret = inv.secret;
  er.password = (char *)(password ? password : "");
  er.csr_der.data = (uint8_t *)csr_der.p;
  er.csr_der.len = csr_der.len;
  er.device_name = device_name && *device_name ? (char *)device_name : host;
  req.body_case = KARTOTEKA__ENVELOPE__BODY_ENROLL_REQUEST;
  req.enroll_request = &er;
  if ((rc = cl_conn_request(c, &req, &rep, err))) goto out;
  if (rep->body_case != KARTOTEKA__ENVELOPE__BODY_ENROLL_OK) {
    rc = kt_err_set(err, KT_EPROTO, "unexpected answer to enrollment: %s", kt_frame_body_name(rep));
    goto out;
  }
  const Kartoteka__EnrollOk *ok = rep->enroll_ok;
  if ((rc = kt_pki_cert_from_der(ok->cert_der.data, ok->cert_der.len, &cert, err)) ||
      (rc = kt_pki_cert_from_der(ok->ca_der.data, ok->ca_der.len, &ca, err)))
    goto out;
  /* the CA we now trust must be the one the invite named */
  char fpr[KT_PKI_FPR_HEX_MAX];
  if ((rc = kt_pki_cert_fingerprint(ca, false, fpr, sizeof fpr, err))) goto out;
  if (strcasecmp(fpr, inv.ca_fpr) != 0) {
    rc = kt_err_set(err, KT_ETLS, KT_("the server sent a CA that does not match the invite; ask your "
                    "administrator"));
    goto out;
  }
  /* the account is the server's word (a KT1 invite's user name could be cut short) */
  const char *user = ok->user && *ok->user ? ok->user : inv.user;
  if ((rc = kt_pki_key_save_pem(keyp, key, err)) || (rc = kt_pki_cert_save_pem(crtp, cert, err)) ||
      (rc = kt_pki_cert_save_pem(cap, ca, err)))
    goto out;
  if ((rc = cl_store_create(db, user, "server", ok->device_id, err))) goto out;
  if ((rc = cl_store_open(db, NULL, &s, err))) goto out;
  kt_buf addrs = KT_BUF_INIT;
  for (size_t i = 0; i < ok->n_addresses; i++) {
    if (i) kt_buf_putc(&addrs, ',');
    kt_buf_puts(&addrs, ok->addresses[i]);
  }
  rc = cl_store_meta_set(s, "server", addrs.len ? kt_buf_str(&addrs) : inv.addresses, err);
  if (!rc) rc = cl_store_meta_set(s, "device_name", er.device_name, err); /* `status` shows it */
  kt_buf_free(&addrs);
  if (!rc && ok->token && *ok->token) rc = cl_store_meta_set(s, "token", ok->token, err);
  if (rc) goto out;
  cl_conn_free(c);
  c = NULL;
  /* second connection: mutual TLS with the new certificate; the session the
     enrollment opened (a server without one: log in with the password) */
  bool have_token = ok->token && *ok->token;
  if (!have_token && !password) goto out;
  kt_err e2;
  kt_err_clear(&e2);
  int rc2 = cl_session_open(loop, dir, s, have_token ? NULL : password, NULL, NULL, 0, &c, &e2);
  if (rc2 && have_token) /* enrolled: the profile works once the server answers */
    kt_log_warn("session", "this PC is enrolled, but the first connection with its certificate "
                "failed (%s); `kartoteka sync` tries again", e2.msg);
  else if (rc2)
    rc = kt_err_set(err, rc2, "%s", e2.msg);
out:
  kt_frame_env_free(rep);
  cl_conn_free(c);
  cl_store_close(s);
  EVP_PKEY_free(key);
  X509_REQ_free(csr);
  X509_free(cert);
  X509_free(ca);
  kt_buf_free(&csr_der);
  if (rc) remove_profile(dir);
  return rc;
}

int cl_session_open(uv_loop_t *loop, const char *dir, cl_store *s, const char *password,
                    cl_conn_push_cb on_push, void *ud, uint32_t timeout_ms, cl_conn **out,
                    kt_err *err) {
  char keyp[4200], crtp[4200], cap[4200];
  path_in(dir, "device.key", keyp, sizeof keyp);
  path_in(dir, "device.crt", crtp, sizeof crtp);
  path_in(dir, "ca.crt", cap, sizeof cap);
  kt_buf servers = KT_BUF_INIT;
  int rc = cl_store_meta_get(s, "server", &servers, NULL);
  if (rc) {
    kt_buf_free(&servers);
    return kt_err_set(err, KT_EINVAL, KT_("this profile is a standalone card index (no server); "
                      "connect a new profile with `kartoteka connect --invite INVITE`"));
  }
  /* try each address of the office server in turn */
  char *list = kt_buf_take(&servers);
  cl_conn *c = NULL;
  kt_buf sess = KT_BUF_INIT;
  tls_session_load(dir, &sess);
  rc = KT_ENET;
  for (char *a = strtok(list, ","); a; a = strtok(NULL, ",")) {
    cl_conn_opts o = {.loop = loop, .address = a, .ca_file = cap, .cert_file = crtp,
                      .key_file = keyp, .on_push = on_push, .ud = ud,
                      .timeout_ms = timeout_ms, .tls_session = sess.p, .tls_session_len = sess.len};
    rc = cl_conn_open(&o, &c, err);
    if (rc != KT_ENET) break;
  }
  free(list);
  if (sess.p) memset(sess.p, 0, sess.cap);
  kt_buf_free(&sess);
  if (rc) return rc;
  char epoch[64] = "";
  bool renews = false;
  if (!(rc = hello_send(c, cl_store_device(s), err)) &&
      !(rc = auth_send(c, s, cl_store_user(s), password, err)) &&
      !(rc = hello_recv(c, epoch, &renews, err)))
    tls_session_save(dir, c); /* the server's ticket came before its HelloOk */
  int64_t next = 0;
  if (rc || (rc = auth_recv(c, s, password, err)) || (rc = check_epoch(s, epoch, err)) ||
      (rc = note_renews(s, renews, err)) || (rc = cl_session_renew(c, dir, s, &next, err))) {
    cl_conn_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

/* ---- device certificate renewal ------------------------------------------------- */

/* Whether the server renews certificates is kept in the replica
 * ("server_renews"), for cl_session_renew on a connection opened earlier;
 * written only when it changes. */
static int note_renews(cl_store *s, bool renews, kt_err *err) {
  kt_buf cur = KT_BUF_INIT;
  const char *v = renews ? "1" : "0";
  int rc = 0;
  if (cl_store_meta_get(s, "server_renews", &cur, NULL) != 0 || strcmp(kt_buf_str(&cur), v) != 0)
    rc = cl_store_meta_set(s, "server_renews", v, err);
  kt_buf_free(&cur);
  return rc;
}

int64_t cl_session_renew_due_ms(const char *dir) {
  char crtp[4200];
  path_in(dir, "device.crt", crtp, sizeof crtp);
  X509 *x = NULL;
  if (kt_pki_cert_load_pem(crtp, &x, NULL)) return 0;
  int64_t due = kt_pki_cert_renew_at_ms(x);
  X509_free(x);
  return due;
}

/* After a refusal or a failure, the next try: soon for short-lived (test)
 * certificates, at most an hour later. */
static int64_t retry_at(X509 *cert) {
  int64_t a = 0, b = 0, wait = 3600000;
  if (kt_pki_cert_validity(cert, &a, &b, NULL) == 0 && (b - a) / 20 < wait) wait = (b - a) / 20;
  return (int64_t)kt_now_ms() + (wait < 1000 ? 1000 : wait);
}

/* The server's new certificate for this device: ours (our key, our device id,
 * from the office CA), then written over device.crt (atomically). */
static int renew_take(const char *dir, cl_store *s, EVP_PKEY *key, X509 *ca,
                      const Kartoteka__RenewOk *ok, X509 **out, kt_err *err) {
  X509 *x = NULL;
  char cn[KT_PKI_CN_BUF], crtp[4200];
  int rc = kt_pki_cert_from_der(ok->cert_der.data, ok->cert_der.len, &x, err);
  if (!rc) rc = kt_pki_cert_verify(x, ca, err);
  if (!rc) rc = kt_pki_cert_cn(x, cn, sizeof cn, err);
  if (!rc && (strcmp(cn, cl_store_device(s)) != 0 || X509_check_private_key(x, key) != 1)) {
    ERR_clear_error();
    rc = kt_err_set(err, KT_ETLS, "the server's renewed certificate is not for this device");
  }
  path_in(dir, "device.crt", crtp, sizeof crtp);
  if (!rc) rc = kt_pki_cert_save_pem(crtp, x, err);
  if (rc) X509_free(x);
  else *out = x;
  return rc;
}

int cl_session_renew(cl_conn *c, const char *dir, cl_store *s, int64_t *next_ms, kt_err *err) {
  *next_ms = 0;
  kt_buf flag = KT_BUF_INIT;
  bool offered = cl_store_meta_get(s, "server_renews", &flag, NULL) == 0 &&
                 strcmp(kt_buf_str(&flag), "1") == 0;
  kt_buf_free(&flag);
  if (!offered) return 0; /* an older server: the certificate lasts its 825 days */
  char lockp[4200], keyp[4200], crtp[4200], cap[4200];
  path_in(dir, RENEW_LOCK_FILE, lockp, sizeof lockp);
  path_in(dir, "device.key", keyp, sizeof keyp);
  path_in(dir, "device.crt", crtp, sizeof crtp);
  path_in(dir, "ca.crt", cap, sizeof cap);
  int lock;
  if (kt_plat_lock(lockp, &lock) != 0) { /* another program renews it now */
    *next_ms = (int64_t)kt_now_ms() + 60000;
    return 0;
  }
  X509 *cur = NULL, *ca = NULL, *fresh = NULL;
  EVP_PKEY *key = NULL;
  X509_REQ *csr = NULL;
  kt_buf der = KT_BUF_INIT;
  Kartoteka__Envelope *rep = NULL;
  kt_err e2;
  kt_err_clear(&e2);
  /* read again under the lock: another program may have renewed it meanwhile */
  int rc = kt_pki_cert_load_pem(crtp, &cur, &e2);
  int64_t due = rc ? 0 : kt_pki_cert_renew_at_ms(cur);
  if (rc || (int64_t)kt_now_ms() < due) {
    *next_ms = due;
    rc = 0;
    goto out;
  }
  if ((rc = kt_pki_key_load_pem(keyp, &key, &e2)) || (rc = kt_pki_cert_load_pem(cap, &ca, &e2)) ||
      (rc = kt_pki_csr_for_key(key, cl_store_device(s), &csr, &e2)) ||
      (rc = kt_pki_csr_to_der(csr, &der, &e2)))
    goto failed;
  Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__RenewRequest rr = KARTOTEKA__RENEW_REQUEST__INIT;
  rr.csr_der.data = (uint8_t *)der.p;
  rr.csr_der.len = der.len;
  req.body_case = KARTOTEKA__ENVELOPE__BODY_RENEW_REQUEST;
  req.renew_request = &rr;
  if ((rc = cl_conn_request(c, &req, &rep, &e2))) {
    if (rc == KT_ENET || rc == KT_EREVOKED || !cl_conn_is_open(c)) { /* the session is over */
      kt_err_set(err, rc, "%s", e2.msg);
      goto out;
    }
    goto failed; /* refused: the connection goes on, the old certificate is still good */
  }
  if (rep->body_case != KARTOTEKA__ENVELOPE__BODY_RENEW_OK) {
    rc = kt_err_set(&e2, KT_EPROTO, "unexpected answer to renewal: %s", kt_frame_body_name(rep));
    goto failed;
  }
  if ((rc = renew_take(dir, s, key, ca, rep->renew_ok, &fresh, &e2))) goto failed;
  /* the saved TLS session holds the old certificate, which the server drops once
     the new one is seen: the next connection makes a full handshake with the new one */
  char sp[4200];
  path_in(dir, TLS_SESSION_FILE, sp, sizeof sp);
  unlink(sp);
  *next_ms = kt_pki_cert_renew_at_ms(fresh);
  int64_t until = 0;
  kt_pki_cert_validity(fresh, NULL, &until, NULL);
  char when[40];
  kt_datetime_format(until, false, when, sizeof when);
  kt_log_info("session", "this PC's certificate was renewed: valid until %s", when);
  goto out;
failed:
  kt_log_warn("session", "cannot renew this PC's certificate now (%s); the current one stays "
              "valid, trying again later", e2.msg);
  *next_ms = retry_at(cur);
  rc = 0;
out:
  kt_frame_env_free(rep);
  kt_buf_free(&der);
  X509_REQ_free(csr);
  EVP_PKEY_free(key);
  X509_free(cur);
  X509_free(ca);
  X509_free(fresh);
  kt_plat_unlock(lock);
  return rc;
}
