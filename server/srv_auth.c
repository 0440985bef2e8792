/* srv_auth — see srv_auth.h. */
#include "srv_auth.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_hlc.h"
#include "kt_invite.h"
#include "kt_log.h"
#include "kt_pki.h"
#include "kt_pwhash.h"
#include "kt_time.h"
#include "kt_uuid.h"
#include "srv_user.h"

static void sha256_hex(const char *s, char out[65]) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)s, strlen(s), h);
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static int random_hex(char *out, size_t nbytes, kt_err *err) {
  unsigned char r[64];
  int rc = kt_random_bytes(r, nbytes, err);
  if (rc) return rc;
  for (size_t i = 0; i < nbytes; i++) snprintf(out + 2 * i, 3, "%02x", r[i]);
  return 0;
}

static void col(sqlite3_stmt *st, int i, char *out, size_t n) {
  const char *v = (const char *)sqlite3_column_text(st, i);
  snprintf(out, n, "%s", v ? v : "");
}

/* Reads an account; KT_ENOTFOUND when unknown. */
static int user_get(srv_db *d, const char *name, srv_auth_info *info, bool *disabled,
                    int64_t *changed, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_USER_GET, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    if (info) {
      snprintf(info->user, sizeof info->user, "%s", name);
      col(st, 0, info->user_id, sizeof info->user_id);
      col(st, 2, info->role, sizeof info->role);
      col(st, 3, info->grp, sizeof info->grp);
    }
    if (disabled) *disabled = sqlite3_column_int(st, 4) != 0;
    if (changed) *changed = sqlite3_column_int64(st, 8);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc == SQLITE_DONE) return KT_ENOTFOUND;
  return srv_db_error(d, rc, "reading accounts", err);
}

int srv_invite_create(srv_db *d, const char *user, const char *addresses, int hours, kt_buf *out,
                      kt_err *err) {
  bool disabled = false;
  int rc = user_get(d, user, NULL, &disabled, NULL, err);
  if (rc == KT_ENOTFOUND)
    return kt_err_set(err, KT_ENOTFOUND, "no user named %s; add the account first with "
                      "`kartotekad user add`", user);
  if (rc) return rc;
  if (disabled) return kt_err_set(err, KT_EPERM, "the account %s is disabled", user);
  if (hours <= 0) hours = SRV_INVITE_HOURS;
  kt_invite inv;
  memset(&inv, 0, sizeof inv);
  kt_buf fpr = KT_BUF_INIT;
  if ((rc = srv_db_meta_get(d, "ca_fpr", &fpr, err))) {
    kt_buf_free(&fpr);
    return rc == KT_ENOTFOUND ? kt_err_set(err, KT_ECORRUPT, "the master database has no CA "
                                           "fingerprint; was it made by `kartotekad init`?") : rc;
  }
  size_t k = 0;
  for (const char *p = kt_buf_str(&fpr); *p && k + 1 < sizeof inv.ca_fpr; p++)
    if (*p != ':') inv.ca_fpr[k++] = *p;
  kt_buf_free(&fpr);
  snprintf(inv.addresses, sizeof inv.addresses, "%s", addresses);
  snprintf(inv.user, sizeof inv.user, "%s", user);
  if ((rc = random_hex(inv.secret, 24, err))) return rc;
  char hash[65];
  sha256_hex(inv.secret, hash);
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_INVITE_ADD, err);
  if (!st) return KT_EDB;
  int64_t now = (int64_t)kt_now_ms();
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, addresses, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, now + (int64_t)hours * 3600000);
  sqlite3_bind_int64(st, 5, now);
  if ((rc = srv_db_step_done(d, st, err))) return rc;
  return kt_invite_encode(&inv, out, err);
}

int srv_device_lookup(srv_db *d, const char *fpr, char device_id[40], char user[80], kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_DEVICE_BY_FPR, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, fpr, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  bool revoked = false, current = false, prev = false;
  if (rc == SQLITE_ROW) {
    col(st, 0, device_id, 40);
    col(st, 1, user, 80);
    revoked = sqlite3_column_int(st, 2) != 0;
    current = sqlite3_column_int(st, 3) != 0;
    prev = sqlite3_column_int(st, 4) != 0;
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return kt_err_set(err, KT_ENOTFOUND, "this device is not known to the server; enroll it "
                      "with a new invite");
  if (rc != SQLITE_ROW) return srv_db_error(d, rc, "reading devices", err);
  if (revoked)
    return kt_err_set(err, KT_EREVOKED, "this device was revoked by the administrator; it can "
                      "no longer connect");
  if (current && prev) { /* the renewed certificate arrived: the one before it is done */
    if (!(st = srv_db_st(d, SRV_ST_DEVICE_PREV_END, err))) return KT_EDB;
    sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
    if ((rc = srv_db_step_done(d, st, err))) return rc;
    kt_log_info("auth", "device %s uses its renewed certificate", device_id);
  }
  return 0;
}

int srv_device_renew(srv_db *d, EVP_PKEY *ca_key, X509 *ca, const char *device_id,
                     X509 *presented, const void *csr_der, size_t csr_len, kt_buf *cert_der,
                     kt_err *err) {
  int64_t from = 0, to = 0, now = (int64_t)kt_now_ms();
  int rc = kt_pki_cert_validity(presented, &from, &to, err);
  if (rc) return rc;
  if (now < from + (to - from) / 2) {
    char when[40];
    kt_datetime_format(from + (to - from) / 3 * 2, false, when, sizeof when);
    return kt_err_set(err, KT_EINVAL, "this device's certificate is not due for renewal yet (it "
                      "is renewed from %s on)", when);
  }
  char old_fpr[KT_PKI_FPR_HEX_MAX], fpr[KT_PKI_FPR_HEX_MAX];
  X509_REQ *csr = NULL;
  X509 *cert = NULL;
  if ((rc = kt_pki_cert_fingerprint(presented, false, old_fpr, sizeof old_fpr, err)) ||
      (rc = kt_pki_csr_from_der(csr_der, csr_len, &csr, err)))
    goto out;
  /* bound to the session's device: its id is the CN, whatever the request says */
  if ((rc = kt_pki_csr_sign(ca_key, ca, csr, device_id, 0, &cert, err)) ||
      (rc = kt_pki_cert_fingerprint(cert, false, fpr, sizeof fpr, err)))
    goto out;
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_DEVICE_RENEW, err);
  if (!st) {
    rc = KT_EDB;
    goto out;
  }
  sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, old_fpr, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, fpr, -1, SQLITE_STATIC);
  if ((rc = srv_db_step_done(d, st, err))) goto out;
  if (sqlite3_changes(d->db) != 1) {
    rc = kt_err_set(err, KT_EREVOKED, "this device was revoked by the administrator; it can no "
                    "longer connect");
    goto out;
  }
  rc = kt_pki_cert_to_der(cert, cert_der, err);
  if (!rc) kt_log_info("auth", "device %s renewed its certificate", device_id);
out:
  X509_REQ_free(csr);
  X509_free(cert);
  return rc;
}

int srv_device_revoke(srv_db *d, const char *device_id, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_DEVICE_REVOKE, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
  int rc = srv_db_step_done(d, st, err);
  if (!rc && sqlite3_changes(d->db) == 0)
    rc = kt_err_set(err, KT_ENOTFOUND, "no device with id %s (see `kartotekad device list`)",
                    device_id);
  if (!rc) rc = srv_db_meta_bump(d, "users_gen", err); /* its live sessions end at once */
  return rc;
}

/* A wrong password, or a name with no account: counted alike, so that the delays and
 * the lock do not tell which names exist. Failures older than a day that did not
 * lock are forgotten, for accounts (the count starts again) as for unknown names (the
 * row goes, so an attacker cycling through names cannot grow the table forever); a
 * lock stays until an administrator lifts it, or an account of that name is made. */
int srv_device_list(srv_db *d, kt_buf *out, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_DEVICE_LIST, err);
  if (!st) return KT_EDB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const unsigned char *name = sqlite3_column_text(st, 2);
    kt_buf_printf(out, "%s  %-16s %-20s%s\n", (const char *)sqlite3_column_text(st, 0),
                  (const char *)sqlite3_column_text(st, 1), name ? (const char *)name : "-",
                  sqlite3_column_int(st, 3) ? "  revoked" : "");
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : srv_db_error(d, rc, "reading devices", err);
}

static int note_failure(srv_db *d, const char *user, bool known) {
  sqlite3_stmt *st;
  int64_t now = (int64_t)kt_now_ms(), forget_before = now - 86400000;
  if (!known) {
    if (!(st = srv_db_st(d, SRV_ST_NAME_FAIL_DROP, NULL))) return KT_EDB;
    sqlite3_bind_int64(st, 1, forget_before);
    sqlite3_bind_null(st, 2);
    srv_db_step_done(d, st, NULL);
  }
  if (!(st = srv_db_st(d, known ? SRV_ST_USER_FAIL : SRV_ST_NAME_FAIL, NULL))) return KT_EDB;
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_int(st, 3, SRV_LOCK_AFTER);
  if (known) sqlite3_bind_int64(st, 4, forget_before);
  return srv_db_step_done(d, st, NULL);
}

/* KT_ETHROTTLED while the account must wait, KT_ELOCKED when locked. */
static int throttle(srv_db *d, const char *user, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_USER_THROTTLE, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  int failures = 0;
  int64_t last = 0;
  bool locked = false;
  if (rc == SQLITE_ROW) {
    failures = sqlite3_column_int(st, 0);
    last = sqlite3_column_int64(st, 1);
    locked = sqlite3_column_int(st, 2) != 0;
  }
  sqlite3_reset(st);
  if (locked)
    return kt_err_set(err, KT_ELOCKED, "the account is locked after too many wrong passwords; "
                      "ask your administrator to unlock it (kartotekad user enable)");
  if (failures >= SRV_DELAY_AFTER) {
    int shift = failures - SRV_DELAY_AFTER;
    int64_t wait_ms = 1000ll << (shift > 10 ? 10 : shift);
    int64_t left = last + wait_ms - (int64_t)kt_now_ms();
    if (left > 0)
      return kt_err_set(err, KT_ETHROTTLED, "too many wrong passwords; wait %lld s and try again",
                        (long long)(left + 999) / 1000);
  }
  return 0;
}

/* The account a login attempt on this device counts against: the device's. */
static const char *login_account(const srv_login_job *job) {
  return job->device_user[0] ? job->device_user : job->user;
}

int srv_login_begin(srv_db *d, srv_login_job *job, kt_err *err) {
  job->foreign = strcmp(job->user, login_account(job)) != 0;
  int rc = throttle(d, login_account(job), err);
  if (rc) return rc;
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_USER_GET, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, job->user, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  job->hash[0] = '\0';
  if (rc == SQLITE_ROW) col(st, 1, job->hash, sizeof job->hash);
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return srv_db_error(d, rc, "reading accounts", err);
  if (job->foreign) job->hash[0] = '\0'; /* the dummy hash: same work, same answer */
  return 0;
}

/* Verified for unknown users so that timing does not reveal which names exist
 * (same parameters as real hashes; the password cannot match). */
static const char dummy_hash[] =
    "$argon2id$v=19$m=19456,t=2,p=1$a2FydG90ZWthLWR1bW15$"
    "3cVKPO6SWAUhnL4TQeWbMQBwBA3bw8oHYH8gX0Zs7K0";

void srv_login_verify(srv_login_job *job) {
  if (!job->hash[0]) {
    kt_pwhash_verify(dummy_hash, job->password);
    job->verify_rc = KT_EAUTH;
    return;
  }
  job->verify_rc = kt_pwhash_verify(job->hash, job->password);
}

/* The password's verdict: a failure is counted and answered KT_EAUTH (msg), a
 * disabled account KT_EDISABLED; info filled on success. */
static int login_judge(srv_db *d, srv_login_job *job, const char *msg, srv_auth_info *info,
                       kt_err *err) {
  if (job->verify_rc) {
    note_failure(d, login_account(job), job->foreign || job->hash[0] != '\0');
    kt_log_info("auth", "failed password for an account on device %s",
                job->device_id[0] ? job->device_id : "(enrolling)");
    return kt_err_set(err, KT_EAUTH, "%s", msg);
  }
  bool disabled = false;
  int rc = user_get(d, job->user, info, &disabled, NULL, err);
  if (rc) return rc;
  if (disabled) return kt_err_set(err, KT_EDISABLED, "this account is disabled; ask your administrator");
  return 0;
}

/* A new session of user on device: the token into token, its hash stored;
 * the account's failures forgotten. */
static int session_open(srv_db *d, const char *user, const char *device_id, char token[65],
                        kt_err *err) {
  char hash[65];
  int rc = random_hex(token, 32, err);
  if (rc) return rc;
  sha256_hex(token, hash);
  int64_t now = (int64_t)kt_now_ms();
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_USER_OK, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  if ((rc = srv_db_step_done(d, st, err))) return rc;
  if (!(st = srv_db_st(d, SRV_ST_SESSION_ADD, err))) return KT_EDB;
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, now);
  sqlite3_bind_int64(st, 5, now + (int64_t)SRV_SESSION_DAYS * 86400000);
  if ((rc = srv_db_step_done(d, st, err))) return rc;
  kt_log_info("auth", "login of %s on device %s", user, device_id);
  return 0;
}

int srv_login_finish(srv_db *d, srv_login_job *job, srv_auth_info *info, char token[65],
                     kt_err *err) {
  int rc = login_judge(d, job, "wrong user name or password", info, err);
  return rc ? rc : session_open(d, job->user, job->device_id, token, err);
}

void srv_login_job_wipe(srv_login_job *job) {
  volatile char *p = job->password;
  for (size_t i = 0; i < sizeof job->password; i++) p[i] = 0;
}

int srv_login(srv_db *d, const char *device_id, const char *device_user, const char *user,
              const char *password, srv_auth_info *info, char token[65], kt_err *err) {
  srv_login_job job;
  memset(&job, 0, sizeof job);
  snprintf(job.user, sizeof job.user, "%s", user);
  snprintf(job.device_id, sizeof job.device_id, "%s", device_id);
  snprintf(job.device_user, sizeof job.device_user, "%s", device_user);
  snprintf(job.password, sizeof job.password, "%s", password);
  int rc = srv_login_begin(d, &job, err);
  if (!rc) {
    srv_login_verify(&job);
    rc = srv_login_finish(d, &job, info, token, err);
  }
  srv_login_job_wipe(&job);
  return rc;
}

/* ---- enrollment ------------------------------------------------------------------ */

/* The invite of secret_hash: its user and addresses. KT_EAUTH unknown,
 * KT_EEXISTS used, KT_EEXPIRED. */
static int invite_get(srv_db *d, const char *secret_hash, char user[80], char addresses[512],
                      kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_INVITE_GET, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, secret_hash, -1, SQLITE_STATIC);
  int s = sqlite3_step(st);
  if (s != SQLITE_ROW) {
    sqlite3_reset(st);
    return s == SQLITE_DONE ? kt_err_set(err, KT_EAUTH, "this invite is not known to the server; "
                                         "ask your administrator for a new one")
                            : srv_db_error(d, s, "reading invites", err);
  }
  col(st, 0, user, 80);
  col(st, 1, addresses, 512);
  int64_t expires = sqlite3_column_int64(st, 2);
  bool used = sqlite3_column_int(st, 3) != 0;
  sqlite3_reset(st);
  if (used)
    return kt_err_set(err, KT_EEXISTS, "this invite was already used (each invite enrolls one "
                      "PC once); ask your administrator for a new one");
  if ((int64_t)kt_now_ms() > expires)
    return kt_err_set(err, KT_EEXPIRED, "this invite has expired; ask your administrator for a "
                      "new one");
  return 0;
}

int srv_enroll_begin(srv_db *d, srv_enroll_job *job, const char *secret, const char *password,
                     const void *csr_der, size_t csr_len, const char *device_name, kt_err *err) {
  memset(job, 0, sizeof *job);
  sha256_hex(secret ? secret : "", job->secret_hash);
  int rc = invite_get(d, job->secret_hash, job->login.user, job->addresses, err);
  if (rc) return rc;
  if (!password || !*password)
    return kt_err_set(err, KT_EINVAL, "no password was sent with the enrollment (an older "
                      "kartoteka?); update Kartoteka on this PC and connect again");
  X509_REQ *csr = NULL;
  if ((rc = kt_pki_csr_from_der(csr_der, csr_len, &csr, err))) return rc;
  X509_REQ_free(csr);
  kt_buf_append(&job->csr_der, csr_der, csr_len);
  if (job->csr_der.oom) return kt_err_set(err, KT_ENOMEM, "out of memory");
  snprintf(job->device_name, sizeof job->device_name, "%s",
           device_name && *device_name ? device_name : "PC");
  snprintf(job->login.device_user, sizeof job->login.device_user, "%s", job->login.user);
  snprintf(job->login.password, sizeof job->login.password, "%s", password);
  /* throttled like a login, against the invite's user */
  return srv_login_begin(d, &job->login, err);
}

int srv_enroll_finish(srv_db *d, EVP_PKEY *ca_key, X509 *ca, srv_enroll_job *job,
                      srv_enrolled *out, kt_err *err) {
  char msg[200];
  snprintf(msg, sizeof msg, "wrong password for %s; the invite was not used up: connect again "
           "with the right password", job->login.user);
  int rc = login_judge(d, &job->login, msg, NULL, err);
  if (rc) return rc;
  X509_REQ *csr = NULL;
  X509 *cert = NULL;
  if ((rc = srv_db_begin(d, err))) return rc;
  /* again inside the transaction: a concurrent enrollment may have spent it */
  if ((rc = invite_get(d, job->secret_hash, out->user, out->addresses, err))) goto out;
  if ((rc = kt_pki_csr_from_der(job->csr_der.p, job->csr_der.len, &csr, err))) goto out;
  if ((rc = kt_uuid_new_str(out->device_id, err))) goto out;
  if ((rc = kt_pki_csr_sign(ca_key, ca, csr, out->device_id, 0, &cert, err))) goto out;
  char fpr[KT_PKI_FPR_HEX_MAX];
  if ((rc = kt_pki_cert_fingerprint(cert, false, fpr, sizeof fpr, err))) goto out;
  if ((rc = kt_pki_cert_to_der(cert, &out->cert_der, err))) goto out;
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_DEVICE_ADD, err);
  if (!st) {
    rc = KT_EDB;
    goto out;
  }
  sqlite3_bind_text(st, 1, out->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, out->user, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, job->device_name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, fpr, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, (int64_t)kt_now_ms());
  if ((rc = srv_db_step_done(d, st, err))) goto out;
  if (!(st = srv_db_st(d, SRV_ST_INVITE_USE, err))) {
    rc = KT_EDB;
    goto out;
  }
  sqlite3_bind_text(st, 1, job->secret_hash, -1, SQLITE_STATIC);
  if ((rc = srv_db_step_done(d, st, err))) goto out;
  rc = session_open(d, out->user, out->device_id, out->token, err);
out:
  X509_REQ_free(csr);
  X509_free(cert);
  if (rc) {
    srv_db_rollback(d);
    kt_buf_free(&out->cert_der);
    memset(out->token, 0, sizeof out->token);
    return rc;
  }
  rc = srv_db_commit(d, err);
  if (rc) {
    kt_buf_free(&out->cert_der);
    memset(out->token, 0, sizeof out->token);
    return rc;
  }
  kt_log_info("auth", "device %s enrolled for %s", out->device_id, out->user);
  return 0;
}

void srv_enroll_job_wipe(srv_enroll_job *job) {
  srv_login_job_wipe(&job->login);
  kt_buf_free(&job->csr_der);
}

int srv_enroll(srv_db *d, EVP_PKEY *ca_key, X509 *ca, const char *secret, const char *password,
               const void *csr_der, size_t csr_len, const char *device_name, srv_enrolled *out,
               kt_err *err) {
  srv_enroll_job *job = malloc(sizeof *job);
  if (!job) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = srv_enroll_begin(d, job, secret, password, csr_der, csr_len, device_name, err);
  if (!rc) {
    srv_login_verify(&job->login);
    rc = srv_enroll_finish(d, ca_key, ca, job, out, err);
  }
  srv_enroll_job_wipe(job);
  free(job);
  return rc;
}

int srv_resume(srv_db *d, const char *device_id, const char *token, srv_auth_info *info,
               kt_err *err) {
  char hash[65], user[80], dev[40];
  sha256_hex(token, hash);
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_SESSION_GET, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  int64_t created = 0, expires = 0;
  bool ended = true, revoked = false;
  if (rc == SQLITE_ROW) {
    col(st, 0, user, sizeof user);
    col(st, 1, dev, sizeof dev);
    created = sqlite3_column_int64(st, 2);
    expires = sqlite3_column_int64(st, 3);
    ended = sqlite3_column_int(st, 4) != 0;
    revoked = sqlite3_column_int(st, 5) != 0;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return srv_db_error(d, rc, "reading sessions", err);
  const char *again = "log in again with your password";
  if (rc == SQLITE_DONE || ended || (int64_t)kt_now_ms() > expires)
    return kt_err_set(err, KT_EAUTH, "the session has ended; %s", again);
  if (strcmp(dev, device_id) != 0)
    return kt_err_set(err, KT_EAUTH, "this session belongs to another device; %s", again);
  if (revoked)
    return kt_err_set(err, KT_EREVOKED, "this device was revoked by the administrator; it can "
                      "no longer connect");
  bool disabled;
  int64_t changed;
  if ((rc = user_get(d, user, info, &disabled, &changed, err)))
    return rc == KT_ENOTFOUND ? kt_err_set(err, KT_EAUTH, "the account no longer exists") : rc;
  if (disabled) return kt_err_set(err, KT_EDISABLED, "this account is disabled; ask your administrator");
  if (changed > created)
    return kt_err_set(err, KT_EAUTH, "the password or rights changed since this session began; %s",
                      again);
  return 0;
}

int srv_logout(srv_db *d, const char *token, kt_err *err) {
  char hash[65];
  sha256_hex(token, hash);
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_SESSION_END, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  return srv_db_step_done(d, st, err);
}
