/* Unit tests for srv_auth: invites (only hashes stored; unknown, expired,
 * reused ones refused; a bad CSR does not use one up), enrollment into a
 * CA-signed device certificate in one step with the password (a wrong one
 * spends nothing and is throttled like a login), device lookup, renewal and
 * revocation, password login
 * and sessions (resume, logout, another device, expiry, password change,
 * disabled user, revoked device, deleted account), and login throttling:
 * growing delays, the lock after SRV_LOCK_AFTER failures, and the same
 * answers for names that are not accounts, also after a day has passed. A
 * real master database in a temporary folder and a real CA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include "kt_hlc.h"
#include "kt_invite.h"
#include "kt_pki.h"
#include "srv_auth.h"
#include "srv_rights.h"
#include "srv_user.h"
#include "t_srvdb.h"

typedef struct fx {
  t_srvdb t;
  EVP_PKEY *ca_key;
  X509 *ca;
  char ca_fpr[KT_PKI_FPR_HEX_MAX];
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  kt_err err;
  kt_err_clear(&err);
  if (!f || t_srvdb_open(&f->t, "auth")) return -1;
  srv_db *d = &f->t.db;
  if (kt_pki_ca_new("Kartoteka CA test", 0, &f->ca_key, &f->ca, &err) ||
      kt_pki_cert_fingerprint(f->ca, true, f->ca_fpr, sizeof f->ca_fpr, &err) ||
      srv_db_meta_set(d, "ca_fpr", f->ca_fpr, &err) || srv_roles_seed(d, &err) ||
      srv_user_add(d, "anna", "anna-pass-1", "manager", "Продажи", &err) ||
      srv_user_add(d, "boris", "boris-pass-1", "assistant", NULL, &err)) {
    fprintf(stderr, "setup: %s\n", err.msg);
    return -1;
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  t_srvdb_close(&f->t);
  X509_free(f->ca);
  EVP_PKEY_free(f->ca_key);
  free(f);
  return 0;
}

/* ---- invites and enrollment ------------------------------------------------ */

/* A new invite for user; its decoded parts into inv. */
static void invite(srv_db *d, const char *user, int hours, kt_invite *inv) {
  kt_buf tok = KT_BUF_INIT;
  kt_err err;
  kt_err_clear(&err);
  if (srv_invite_create(d, user, "127.0.0.1:7433,crm.office.lan:7433", hours, &tok, &err))
    fail_msg("invite: %s", err.msg);
  assert_int_equal(strncmp(kt_buf_str(&tok), "KT2.", 4), 0);
  assert_int_equal(kt_invite_decode(kt_buf_str(&tok), inv, &err), 0);
  kt_buf_free(&tok);
}

static void csr_der(kt_buf *out) {
  EVP_PKEY *key = NULL;
  X509_REQ *csr = NULL;
  assert_int_equal(kt_pki_csr_new("Рабочий ПК", &key, &csr, NULL), 0);
  assert_int_equal(kt_pki_csr_to_der(csr, out, NULL), 0);
  X509_REQ_free(csr);
  EVP_PKEY_free(key);
}

static int enroll_pw(fx *f, const char *secret, const char *pw, const char *name,
                     srv_enrolled *out, kt_err *err) {
  kt_buf der = KT_BUF_INIT;
  csr_der(&der);
  memset(out, 0, sizeof *out);
  kt_err_clear(err);
  int rc = srv_enroll(&f->t.db, f->ca_key, f->ca, secret, pw, der.p, der.len, name, out, err);
  kt_buf_free(&der);
  return rc;
}

/* Enrolls with the invite's user's right password (USER-pass-1). */
static int enroll(fx *f, const kt_invite *inv, const char *name, srv_enrolled *out, kt_err *err) {
  char pw[100];
  snprintf(pw, sizeof pw, "%s-pass-1", inv->user);
  return enroll_pw(f, inv->secret, pw, name, out, err);
}

/* The fingerprint (hex, no colons) of an enrolled device's certificate. */
static void device_fpr(const srv_enrolled *e, char *out, size_t n) {
  X509 *c = NULL;
  assert_int_equal(kt_pki_cert_from_der(e->cert_der.p, e->cert_der.len, &c, NULL), 0);
  assert_int_equal(kt_pki_cert_fingerprint(c, false, out, n, NULL), 0);
  X509_free(c);
}

static void test_invite_create(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  int64_t t0 = (int64_t)kt_now_ms();
  kt_invite inv;
  invite(d, "anna", 0, &inv);
  assert_string_equal(inv.user, "anna");
  assert_string_equal(inv.addresses, "127.0.0.1:7433,crm.office.lan:7433");
  assert_int_equal(strlen(inv.secret), 48);
  /* the CA fingerprint travels without colons */
  char plain[KT_PKI_FPR_HEX_MAX];
  assert_int_equal(kt_pki_cert_fingerprint(f->ca, false, plain, sizeof plain, NULL), 0);
  assert_string_equal(inv.ca_fpr, plain);
  /* the secret itself is not stored, only its hash; default validity 72 hours */
  char sql[300];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM srv_invite WHERE secret_hash = '%s'", inv.secret);
  assert_int_equal(t_sql_int(d, sql), 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_invite WHERE user_name = 'anna' AND used = 0 "
                                "AND length(secret_hash) = 64"), 1);
  int64_t exp = t_sql_int(d, "SELECT expires FROM srv_invite");
  assert_true(exp >= t0 + 72 * 3600000LL && exp <= (int64_t)kt_now_ms() + 72 * 3600000LL);
  kt_invite inv2;
  invite(d, "anna", 2, &inv2);
  assert_string_not_equal(inv.secret, inv2.secret);
  assert_true(t_sql_int(d, "SELECT max(expires) - min(expires) FROM srv_invite") > 60 * 3600000LL);
  /* refused: unknown user, disabled user, a database without a CA fingerprint */
  kt_buf tok = KT_BUF_INIT;
  kt_err_clear(&err);
  assert_int_equal(srv_invite_create(d, "ghost", "h:1", 0, &tok, &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "add the account first"));
  assert_int_equal(srv_user_set_disabled(d, "boris", true, &err), 0);
  kt_err_clear(&err);
  assert_int_equal(srv_invite_create(d, "boris", "h:1", 0, &tok, &err), KT_EPERM);
  assert_non_null(strstr(err.msg, "disabled"));
  assert_int_equal(t_sql_exec(d, "DELETE FROM meta WHERE key = 'ca_fpr'"), 0);
  kt_err_clear(&err);
  assert_int_equal(srv_invite_create(d, "anna", "h:1", 0, &tok, &err), KT_ECORRUPT);
  assert_int_equal(tok.len, 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_invite"), 2);
  kt_buf_free(&tok);
}

static void test_enroll(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  kt_invite inv;
  invite(d, "anna", 0, &inv);
  srv_enrolled e;
  assert_int_equal(enroll(f, &inv, "Ноутбук Анны", &e, &err), 0);
  assert_string_equal(e.user, "anna");
  assert_string_equal(e.addresses, "127.0.0.1:7433,crm.office.lan:7433");
  assert_int_equal(strlen(e.device_id), 36);
  /* a certificate from our CA whose CN is the device id */
  X509 *c = NULL;
  assert_int_equal(kt_pki_cert_from_der(e.cert_der.p, e.cert_der.len, &c, NULL), 0);
  assert_int_equal(kt_pki_cert_verify(c, f->ca, NULL), 0);
  char cn[KT_PKI_CN_BUF];
  assert_int_equal(kt_pki_cert_cn(c, cn, sizeof cn, NULL), 0);
  assert_string_equal(cn, e.device_id);
  X509_free(c);
  char fpr[KT_PKI_FPR_HEX_MAX], sql[300];
  device_fpr(&e, fpr, sizeof fpr);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM srv_device WHERE id = '%s' AND user_name = 'anna' "
           "AND name = 'Ноутбук Анны' AND cert_fpr = '%s' AND revoked = 0", e.device_id, fpr);
  assert_int_equal(t_sql_int(d, sql), 1);
  assert_int_equal(t_sql_int(d, "SELECT used FROM srv_invite"), 1);
  kt_buf_free(&e.cert_der);
  /* used once: refused the second time, no second device */
  assert_int_equal(enroll(f, &inv, "PC 2", &e, &err), KT_EEXISTS);
  assert_non_null(strstr(err.msg, "already used"));
  assert_int_equal(e.cert_der.len, 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_device"), 1);
  /* unknown secret */
  assert_int_equal(enroll_pw(f, "00112233445566778899aabbccddeeff0011223344556677", "anna-pass-1",
                             "PC", &e, &err),
                   KT_EAUTH);
  assert_non_null(strstr(err.msg, "not known to the server"));
  /* no device name: "PC" */
  invite(d, "boris", 0, &inv);
  assert_int_equal(enroll(f, &inv, NULL, &e, &err), 0);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM srv_device WHERE id = '%s' AND name = 'PC'", e.device_id);
  assert_int_equal(t_sql_int(d, sql), 1);
  kt_buf_free(&e.cert_der);
}

static void test_enroll_expired_and_bad_csr(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  kt_invite inv;
  srv_enrolled e;
  invite(d, "anna", 1, &inv);
  /* a bad CSR is refused and does not use the invite up */
  static const char junk[] = "this is not a certificate request";
  kt_err_clear(&err);
  memset(&e, 0, sizeof e);
  assert_int_equal(srv_enroll(d, f->ca_key, f->ca, inv.secret, "anna-pass-1", junk, sizeof junk,
                              "PC", &e, &err),
                   KT_EINVAL);
  assert_int_equal(e.cert_der.len, 0);
  assert_int_equal(t_sql_int(d, "SELECT used FROM srv_invite"), 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_device"), 0);
  /* expired: refused, still unused */
  assert_int_equal(t_sql_exec(d, "UPDATE srv_invite SET expires = created - 1"), 0);
  assert_int_equal(enroll(f, &inv, "PC", &e, &err), KT_EEXPIRED);
  assert_non_null(strstr(err.msg, "expired"));
  assert_int_equal(t_sql_int(d, "SELECT used FROM srv_invite"), 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_device"), 0);
  /* valid again (the clock is what matters): enrolls */
  assert_int_equal(t_sql_exec(d, "UPDATE srv_invite SET expires = created + 3600000"), 0);
  assert_int_equal(enroll(f, &inv, "PC", &e, &err), 0);
  kt_buf_free(&e.cert_der);
}

/* Enrollment is one step: a wrong password spends nothing, counts against the
 * invite's user like a login and is throttled; the right password then enrolls
 * with the same invite, and the session it opens resumes on the new device. */
static void test_enroll_password(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  kt_invite inv;
  srv_enrolled e;
  invite(d, "anna", 0, &inv);
  for (int i = 0; i < SRV_DELAY_AFTER; i++) {
    assert_int_equal(enroll_pw(f, inv.secret, "boris-pass-1", "PC", &e, &err), KT_EAUTH);
    assert_non_null(strstr(err.msg, "wrong password for anna"));
    assert_non_null(strstr(err.msg, "not used up"));
    assert_int_equal(e.cert_der.len, 0);
    assert_int_equal(e.token[0], '\0');
  }
  assert_int_equal(t_sql_int(d, "SELECT used FROM srv_invite"), 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_device"), 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_session"), 0);
  assert_int_equal(t_sql_int(d, "SELECT failures FROM srv_user WHERE name = 'anna'"),
                   SRV_DELAY_AFTER);
  assert_int_equal(t_sql_int(d, "SELECT failures FROM srv_user WHERE name = 'boris'"), 0);
  /* throttled before any hashing, the right password included */
  assert_int_equal(enroll(f, &inv, "PC", &e, &err), KT_ETHROTTLED);
  assert_non_null(strstr(err.msg, "wait"));
  /* no password at all (an older client): refused, nothing spent or counted */
  assert_int_equal(t_sql_exec(d, "UPDATE srv_user SET failures = 0"), 0);
  assert_int_equal(enroll_pw(f, inv.secret, "", "PC", &e, &err), KT_EINVAL);
  assert_int_equal(t_sql_int(d, "SELECT failures FROM srv_user WHERE name = 'anna'"), 0);
  /* the same invite with the right password */
  assert_int_equal(enroll(f, &inv, "PC", &e, &err), 0);
  assert_string_equal(e.user, "anna");
  assert_int_equal(strlen(e.token), 64);
  assert_int_equal(t_sql_int(d, "SELECT used FROM srv_invite"), 1);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_device"), 1);
  srv_auth_info info;
  kt_err_clear(&err);
  assert_int_equal(srv_resume(d, e.device_id, e.token, &info, &err), 0);
  assert_string_equal(info.user, "anna");
  kt_buf_free(&e.cert_der);
  /* an account disabled after its invite was made: refused, nothing spent */
  invite(d, "boris", 0, &inv);
  assert_int_equal(srv_user_set_disabled(d, "boris", true, &err), 0);
  assert_int_equal(enroll(f, &inv, "PC", &e, &err), KT_EDISABLED);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_device"), 1);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_invite WHERE used = 0"), 1);
}

static void test_device_lookup_and_revoke(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  kt_invite inv;
  srv_enrolled e;
  invite(d, "anna", 0, &inv);
  assert_int_equal(enroll(f, &inv, "PC", &e, &err), 0);
  char fpr[KT_PKI_FPR_HEX_MAX], id[40], user[80];
  device_fpr(&e, fpr, sizeof fpr);
  assert_int_equal(srv_device_lookup(d, fpr, id, user, &err), 0);
  assert_string_equal(id, e.device_id);
  assert_string_equal(user, "anna");
  kt_err_clear(&err);
  assert_int_equal(srv_device_lookup(d, "00FF", id, user, &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "not known"));
  int64_t gen = t_sql_int(d, "SELECT coalesce((SELECT value FROM meta WHERE key = 'users_gen'), 0)");
  assert_int_equal(srv_device_revoke(d, e.device_id, &err), 0);
  assert_true(t_sql_int(d, "SELECT value FROM meta WHERE key = 'users_gen'") > gen);
  kt_err_clear(&err);
  assert_int_equal(srv_device_lookup(d, fpr, id, user, &err), KT_EREVOKED);
  assert_non_null(strstr(err.msg, "revoked"));
  kt_err_clear(&err);
  assert_int_equal(srv_device_revoke(d, "no-such-device", &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no-such-device"));
  kt_buf_free(&e.cert_der);
}

/* A device renews its certificate from its session's certificate: refused while
 * young; then signed for the same device id, and the one it renewed from is
 * accepted until the new one is first seen (a lost answer does not lock the
 * PC out), never after; a revoked device gets none. */
static void test_device_renew(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  kt_invite inv;
  srv_enrolled e;
  kt_buf der = KT_BUF_INIT, csr = KT_BUF_INIT;
  X509 *old = NULL, *young = NULL;
  csr_der(&csr);
  invite(d, "anna", 0, &inv);
  assert_int_equal(enroll(f, &inv, "PC", &e, &err), 0);
  assert_int_equal(kt_pki_cert_from_der(e.cert_der.p, e.cert_der.len, &young, NULL), 0);
  kt_err_clear(&err);
  assert_int_equal(srv_device_renew(d, f->ca_key, f->ca, e.device_id, young, csr.p, csr.len, &der,
                                    &err),
                   KT_EINVAL);
  assert_non_null(strstr(err.msg, "not due for renewal"));
  assert_int_equal(der.len, 0);
  kt_buf_free(&e.cert_der);
  /* a certificate of 2 s, 1.2 s later: past half its life */
  setenv("KT_TEST_CERT_SECONDS", "2", 1);
  invite(d, "anna", 0, &inv);
  assert_int_equal(enroll(f, &inv, "PC 2", &e, &err), 0);
  unsetenv("KT_TEST_CERT_SECONDS");
  assert_int_equal(kt_pki_cert_from_der(e.cert_der.p, e.cert_der.len, &old, NULL), 0);
  usleep(1200 * 1000);
  static const char junk[] = "not a request";
  assert_int_equal(srv_device_renew(d, f->ca_key, f->ca, e.device_id, old, junk, sizeof junk, &der,
                                    &err),
                   KT_EINVAL);
  char fold[KT_PKI_FPR_HEX_MAX], fnew[KT_PKI_FPR_HEX_MAX], id[40], user[80], cn[KT_PKI_CN_BUF];
  device_fpr(&e, fold, sizeof fold);
  kt_err_clear(&err);
  assert_int_equal(srv_device_renew(d, f->ca_key, f->ca, e.device_id, old, csr.p, csr.len, &der,
                                    &err),
                   0);
  X509 *x = NULL;
  assert_int_equal(kt_pki_cert_from_der(der.p, der.len, &x, NULL), 0);
  assert_int_equal(kt_pki_cert_verify(x, f->ca, NULL), 0);
  assert_int_equal(kt_pki_cert_cn(x, cn, sizeof cn, NULL), 0);
  assert_string_equal(cn, e.device_id); /* bound to the device, whatever the CSR names */
  assert_int_equal(kt_pki_cert_fingerprint(x, false, fnew, sizeof fnew, NULL), 0);
  int64_t a, b;
  assert_int_equal(kt_pki_cert_validity(x, &a, &b, NULL), 0);
  assert_true(b - a > 800LL * 86400000); /* a full lifetime */
  char sql[400];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM srv_device WHERE id = '%s' AND cert_fpr = '%s' "
           "AND prev_fpr = '%s'", e.device_id, fnew, fold);
  assert_int_equal(t_sql_int(d, sql), 1);
  /* the old one still works until the new one is seen */
  assert_int_equal(srv_device_lookup(d, fold, id, user, &err), 0);
  assert_string_equal(id, e.device_id);
  assert_int_equal(srv_device_lookup(d, fnew, id, user, &err), 0);
  assert_string_equal(id, e.device_id);
  assert_string_equal(user, "anna");
  kt_err_clear(&err);
  assert_int_equal(srv_device_lookup(d, fold, id, user, &err), KT_ENOTFOUND);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM srv_device WHERE id = '%s' AND prev_fpr IS NULL",
           e.device_id);
  assert_int_equal(t_sql_int(d, sql), 1);
  /* revoked: no renewal */
  kt_buf_reset(&der);
  assert_int_equal(srv_device_revoke(d, e.device_id, &err), 0);
  assert_int_equal(srv_device_renew(d, f->ca_key, f->ca, e.device_id, old, csr.p, csr.len, &der,
                                    &err),
                   KT_EREVOKED);
  X509_free(x);
  X509_free(old);
  X509_free(young);
  kt_buf_free(&der);
  kt_buf_free(&csr);
  kt_buf_free(&e.cert_der);
}

/* ---- login and sessions ------------------------------------------------------ */

/* An enrolled device of user; its id into id. */
static void device_of(fx *f, const char *user, char id[40]) {
  kt_invite inv;
  srv_enrolled e;
  kt_err err;
  invite(&f->t.db, user, 0, &inv);
  assert_int_equal(enroll(f, &inv, "PC", &e, &err), 0);
  snprintf(id, 40, "%s", e.device_id);
  kt_buf_free(&e.cert_der);
}

static int login(srv_db *d, const char *dev, const char *dev_user, const char *user, const char *pw,
                 char token[65], kt_err *err) {
  srv_auth_info info;
  kt_err_clear(err);
  memset(token, 0, 65);
  return srv_login(d, dev, dev_user, user, pw, &info, token, err);
}

static int resume(srv_db *d, const char *dev, const char *token, kt_err *err) {
  srv_auth_info info;
  kt_err_clear(err);
  return srv_resume(d, dev, token, &info, err);
}

static void test_login_and_sessions(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  char dev[40], dev2[40], tok[65], tok2[65];
  device_of(f, "anna", dev);
  device_of(f, "anna", dev2);
  srv_auth_info info;
  kt_err_clear(&err);
  assert_int_equal(srv_login(d, dev, "anna", "anna", "anna-pass-1", &info, tok, &err), 0);
  assert_string_equal(info.user, "anna");
  assert_string_equal(info.role, "manager");
  assert_string_equal(info.grp, "Продажи");
  assert_int_equal(strlen(info.user_id), 36);
  assert_int_equal(strlen(tok), 64);
  assert_int_equal(strspn(tok, "0123456789abcdef"), 64);
  /* only the token's hash is stored, valid SRV_SESSION_DAYS */
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM srv_session WHERE token_hash = '%s'", tok);
  assert_int_equal(t_sql_int(d, sql), 0);
  assert_int_equal(t_sql_int(d, "SELECT (expires - created) / 86400000 FROM srv_session"),
                   SRV_SESSION_DAYS);
  /* resume on the same device */
  memset(&info, 0, sizeof info);
  assert_int_equal(srv_resume(d, dev, tok, &info, &err), 0);
  assert_string_equal(info.user, "anna");
  assert_string_equal(info.role, "manager");
  /* refused: on another device, an unknown token */
  assert_int_equal(resume(d, dev2, tok, &err), KT_EAUTH);
  assert_non_null(strstr(err.msg, "belongs to another device"));
  assert_int_equal(resume(d, dev, "00", &err), KT_EAUTH);
  assert_non_null(strstr(err.msg, "the session has ended"));
  /* two sessions; logout ends one */
  assert_int_equal(login(d, dev2, "anna", "anna", "anna-pass-1", tok2, &err), 0);
  assert_string_not_equal(tok, tok2);
  assert_int_equal(srv_logout(d, tok, &err), 0);
  assert_int_equal(resume(d, dev, tok, &err), KT_EAUTH);
  assert_non_null(strstr(err.msg, "log in again"));
  assert_int_equal(resume(d, dev2, tok2, &err), 0);
  assert_int_equal(srv_logout(d, "unknown-token", &err), 0); /* nothing to end */
  /* expired */
  assert_int_equal(t_sql_exec(d, "UPDATE srv_session SET expires = created - 1"), 0);
  assert_int_equal(resume(d, dev2, tok2, &err), KT_EAUTH);
  /* a deleted account */
  assert_int_equal(login(d, dev, "anna", "anna", "anna-pass-1", tok, &err), 0);
  assert_int_equal(t_sql_exec(d, "DELETE FROM srv_user WHERE name = 'anna'"), 0);
  assert_int_equal(resume(d, dev, tok, &err), KT_EAUTH);
  assert_non_null(strstr(err.msg, "no longer exists"));
}

static void test_login_refusals(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  char dev[40], tok[65];
  device_of(f, "boris", dev);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_session"), 1); /* the enrollment's */
  /* right password, but the PC was enrolled for boris: answered like a wrong
     password, and counted against boris (whose PC it is), not anna */
  assert_int_equal(login(d, dev, "boris", "anna", "anna-pass-1", tok, &err), KT_EAUTH);
  assert_string_equal(err.msg, "wrong user name or password");
  assert_int_equal(tok[0], '\0');
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_session"), 1);
  assert_int_equal(t_sql_int(d, "SELECT failures FROM srv_user WHERE name = 'anna'"), 0);
  assert_int_equal(t_sql_int(d, "SELECT failures FROM srv_user WHERE name = 'boris'"), 1);
  /* wrong password and unknown user: one message */
  char m1[KT_ERR_MSG_MAX], m2[KT_ERR_MSG_MAX];
  assert_int_equal(login(d, dev, "boris", "boris", "wrong-pass", tok, &err), KT_EAUTH);
  snprintf(m1, sizeof m1, "%s", err.msg);
  assert_int_equal(login(d, dev, "boris", "nobody", "wrong-pass", tok, &err), KT_EAUTH);
  snprintf(m2, sizeof m2, "%s", err.msg);
  assert_string_equal(m1, "wrong user name or password");
  assert_string_equal(m1, m2);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_session"), 1);
  /* all three attempts on boris's PC counted against boris; a good login
     (once the delay after three failures is over) resets the count */
  assert_int_equal(t_sql_int(d, "SELECT failures FROM srv_user WHERE name = 'boris'"), 3);
  assert_int_equal(login(d, dev, "boris", "boris", "boris-pass-1", tok, &err), KT_ETHROTTLED);
  assert_int_equal(t_sql_exec(d, "UPDATE srv_user SET last_failure = last_failure - 5000 "
                                 "WHERE name = 'boris'"), 0);
  assert_int_equal(login(d, dev, "boris", "boris", "boris-pass-1", tok, &err), 0);
  assert_int_equal(t_sql_int(d, "SELECT failures FROM srv_user WHERE name = 'boris'"), 0);
}

static void test_password_change_ends_sessions(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  char dev[40], tok[65], other[65];
  device_of(f, "anna", dev);
  assert_int_equal(login(d, dev, "anna", "anna", "anna-pass-1", tok, &err), 0);
  assert_int_equal(login(d, dev, "anna", "anna", "anna-pass-1", other, &err), 0);
  assert_int_equal(srv_user_passwd(d, "anna", "anna-pass-2", &err), 0);
  assert_int_equal(resume(d, dev, tok, &err), KT_EAUTH);
  assert_non_null(strstr(err.msg, "password or rights changed"));
  assert_int_equal(resume(d, dev, other, &err), KT_EAUTH);
  assert_int_equal(login(d, dev, "anna", "anna", "anna-pass-1", tok, &err), KT_EAUTH);
  assert_int_equal(login(d, dev, "anna", "anna", "anna-pass-2", tok, &err), 0);
  assert_int_equal(resume(d, dev, tok, &err), 0);
  /* another user's password change leaves anna alone */
  assert_int_equal(srv_user_passwd(d, "boris", "boris-pass-2", &err), 0);
  assert_int_equal(resume(d, dev, tok, &err), 0);
}

static void test_disabled_user(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  char dev[40], tok[65], t2[65];
  device_of(f, "anna", dev);
  assert_int_equal(login(d, dev, "anna", "anna", "anna-pass-1", tok, &err), 0);
  assert_int_equal(srv_user_set_disabled(d, "anna", true, &err), 0);
  assert_int_equal(resume(d, dev, tok, &err), KT_EDISABLED);
  assert_non_null(strstr(err.msg, "disabled"));
  assert_int_equal(login(d, dev, "anna", "anna", "anna-pass-1", t2, &err), KT_EDISABLED);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_session"), 2); /* enrollment + login */
  /* enabled again: the old session stays over, a new login works */
  assert_int_equal(srv_user_set_disabled(d, "anna", false, &err), 0);
  assert_int_equal(resume(d, dev, tok, &err), KT_EAUTH);
  assert_int_equal(login(d, dev, "anna", "anna", "anna-pass-1", t2, &err), 0);
  assert_int_equal(resume(d, dev, t2, &err), 0);
}

static void test_revoked_device_refused(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  char dev[40], dev2[40], tok[65], tok2[65];
  device_of(f, "anna", dev);
  device_of(f, "anna", dev2);
  assert_int_equal(login(d, dev, "anna", "anna", "anna-pass-1", tok, &err), 0);
  assert_int_equal(login(d, dev2, "anna", "anna", "anna-pass-1", tok2, &err), 0);
  assert_int_equal(srv_device_revoke(d, dev, &err), 0);
  assert_int_equal(resume(d, dev, tok, &err), KT_EREVOKED);
  assert_non_null(strstr(err.msg, "revoked"));
  assert_int_equal(resume(d, dev2, tok2, &err), 0); /* her other PC goes on */
}

/* ---- throttling ----------------------------------------------------------------- */

typedef struct answer {
  int rc;
  char msg[KT_ERR_MSG_MAX];
} answer;

static answer attempt(srv_db *d, const char *user, const char *pw) {
  answer a;
  kt_err err;
  char tok[65];
  a.rc = login(d, "dev-x", user, user, pw, tok, &err);
  snprintf(a.msg, sizeof a.msg, "%s", err.msg);
  return a;
}

/* A wrong password for anna and for a name with no account: the same answer. */
static answer both(srv_db *d, const char *ghost) {
  answer a = attempt(d, "anna", "wrong-pass");
  answer g = attempt(d, ghost, "wrong-pass");
  assert_int_equal(a.rc, g.rc);
  assert_string_equal(a.msg, g.msg);
  return a;
}

/* Moves the last failure of every name back by ms (the delays pass). */
static void age(srv_db *d, int64_t ms) {
  char sql[200];
  snprintf(sql, sizeof sql, "UPDATE srv_user SET last_failure = last_failure - %lld WHERE failures > 0; "
           "UPDATE srv_login_fail SET last_failure = last_failure - %lld", (long long)ms, (long long)ms);
  assert_int_equal(t_sql_exec(d, sql), 0);
}

static void test_throttle_delays_and_lock(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  /* the first SRV_DELAY_AFTER failures answer at once */
  for (int i = 0; i < SRV_DELAY_AFTER; i++) assert_int_equal(both(d, "ghost").rc, KT_EAUTH);
  /* then a wait of 1 s, even for the right password */
  answer a = both(d, "ghost");
  assert_int_equal(a.rc, KT_ETHROTTLED);
  assert_non_null(strstr(a.msg, "wait 1 s"));
  assert_int_equal(attempt(d, "anna", "anna-pass-1").rc, KT_ETHROTTLED);
  assert_int_equal(t_sql_int(d, "SELECT failures FROM srv_user WHERE name = 'anna'"), SRV_DELAY_AFTER);
  /* the delay doubles: after 5 failures 4 s */
  age(d, 1100);
  assert_int_equal(both(d, "ghost").rc, KT_EAUTH); /* 4 */
  age(d, 2100);
  assert_int_equal(both(d, "ghost").rc, KT_EAUTH); /* 5 */
  age(d, 3000);
  a = both(d, "ghost");
  assert_int_equal(a.rc, KT_ETHROTTLED);
  assert_non_null(strstr(a.msg, "wait 1 s"));
  age(d, 1100);
  assert_int_equal(both(d, "ghost").rc, KT_EAUTH); /* 6 */
  /* on to the lock */
  for (int n = 7; n <= SRV_LOCK_AFTER; n++) {
    age(d, 3600000);
    assert_int_equal(both(d, "ghost").rc, KT_EAUTH);
  }
  assert_int_equal(t_sql_int(d, "SELECT failures * 10 + locked FROM srv_user WHERE name = 'anna'"),
                   SRV_LOCK_AFTER * 10 + 1);
  assert_int_equal(t_sql_int(d, "SELECT failures * 10 + locked FROM srv_login_fail WHERE name = 'ghost'"),
                   SRV_LOCK_AFTER * 10 + 1);
  age(d, 3600000);
  a = both(d, "ghost");
  assert_int_equal(a.rc, KT_ELOCKED);
  assert_non_null(strstr(a.msg, "locked"));
  /* locked means locked: the right password too, and no more counting */
  assert_int_equal(attempt(d, "anna", "anna-pass-1").rc, KT_ELOCKED);
  assert_int_equal(t_sql_int(d, "SELECT failures FROM srv_user WHERE name = 'anna'"), SRV_LOCK_AFTER);
  /* other accounts are not affected */
  assert_int_equal(attempt(d, "boris", "boris-pass-1").rc, 0);
  /* the administrator unlocks (user enable): the right password works at once */
  assert_int_equal(srv_user_set_disabled(d, "anna", false, &err), 0);
  assert_int_equal(attempt(d, "anna", "anna-pass-1").rc, 0);
  /* an account made under a locked name starts clean */
  assert_int_equal(srv_user_add(d, "ghost", "ghost-pass-1", NULL, NULL, &err), 0);
  assert_int_equal(attempt(d, "ghost", "ghost-pass-1").rc, 0);
}

static void test_throttle_after_a_day_same_for_unknown_names(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  const int64_t day = 86400000;
  /* one failure short of the lock, then quiet for two days */
  for (int n = 1; n < SRV_LOCK_AFTER; n++) {
    assert_int_equal(both(d, "ghost").rc, KT_EAUTH);
    age(d, 3600000);
  }
  age(d, 2 * day);
  /* guesses at other names come in meanwhile (they forget stale unknown names) */
  assert_int_equal(attempt(d, "somebody", "wrong-pass").rc, KT_EAUTH);
  /* the next wrong password must answer alike: for both a fresh count, or for both the lock */
  assert_int_equal(both(d, "ghost").rc, KT_EAUTH);
  answer a = both(d, "ghost");
  assert_int_equal(a.rc, KT_EAUTH);
  assert_int_equal(t_sql_int(d, "SELECT locked FROM srv_user WHERE name = 'anna'"), 0);

  /* locked, then quiet for two days: still locked, for both */
  kt_err err;
  assert_int_equal(srv_user_set_disabled(d, "anna", false, &err), 0); /* count from 0 again */
  for (int n = 0; n < SRV_LOCK_AFTER; n++) {
    age(d, 3600000);
    both(d, "ghost2");
  }
  assert_int_equal(t_sql_int(d, "SELECT locked FROM srv_user WHERE name = 'anna'"), 1);
  age(d, 2 * day);
  assert_int_equal(attempt(d, "somebody", "wrong-pass").rc, KT_EAUTH);
  a = both(d, "ghost2");
  assert_int_equal(a.rc, KT_ELOCKED);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_invite_create, setup, teardown),
      cmocka_unit_test_setup_teardown(test_enroll, setup, teardown),
      cmocka_unit_test_setup_teardown(test_enroll_expired_and_bad_csr, setup, teardown),
      cmocka_unit_test_setup_teardown(test_enroll_password, setup, teardown),
      cmocka_unit_test_setup_teardown(test_device_lookup_and_revoke, setup, teardown),
      cmocka_unit_test_setup_teardown(test_device_renew, setup, teardown),
      cmocka_unit_test_setup_teardown(test_login_and_sessions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_login_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_password_change_ends_sessions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_disabled_user, setup, teardown),
      cmocka_unit_test_setup_teardown(test_revoked_device_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_throttle_delays_and_lock, setup, teardown),
      cmocka_unit_test_setup_teardown(test_throttle_after_a_day_same_for_unknown_names, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
