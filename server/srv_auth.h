/* srv_auth — devices and sessions: one-time invites, enrollment (a device
 * certificate signed from a CSR), the device check after every TLS handshake
 * (revoked devices are refused at once), password login with per-account
 * throttling (growing delays, then a lock an admin lifts) and session tokens
 * bound to the device. All state lives in the master database, none in
 * process memory. Secrets and tokens are stored only as SHA-256 hashes. */
#ifndef SRV_AUTH_H
#define SRV_AUTH_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kt_buf.h"
#include "kt_pki.h"
#include "srv_db.h"

#define SRV_LOCK_AFTER 10       /* failed logins in a row that lock the account */
#define SRV_DELAY_AFTER 3       /* failures before delays start (1 s, 2 s, 4 s ...) */
#define SRV_SESSION_DAYS 30
#define SRV_INVITE_HOURS 72

typedef struct srv_auth_info {
  char user[80];
  char user_id[40];
  char role[32];
  char grp[128];
} srv_auth_info;

/* Makes a one-time invite for an existing, enabled user; appends the token
 * (KT2....) to out. addresses: comma-separated HOST:PORT. */
int srv_invite_create(srv_db *d, const char *user, const char *addresses, int hours, kt_buf *out,
                      kt_err *err);

typedef struct srv_enrolled {
  char device_id[40];
  char user[80];
  char addresses[512];
  char token[65];  /* the new device's session */
  kt_buf cert_der; /* caller frees */
} srv_enrolled;

/* The device a client certificate (fingerprint, hex without colons) belongs
 * to: its current certificate, or the one it renewed from as long as the new
 * one has not been seen (the first sight of the new one ends the old one).
 * KT_ENOTFOUND unknown, KT_EREVOKED revoked. */
int srv_device_lookup(srv_db *d, const char *fpr, char device_id[40], char user[80], kt_err *err);
/* Renews a device certificate: presented is the certificate of the device's
 * authenticated session, which must be at least half-way into its life (a
 * device renews from two thirds on; earlier requests are refused, KT_EINVAL).
 * The CSR (its signature and key checked) is signed for device_id with a full
 * lifetime; srv_device then holds the new fingerprint, the presented one as the
 * previous. The new certificate's DER is appended to cert_der. KT_EREVOKED for
 * a device revoked meanwhile. */
int srv_device_renew(srv_db *d, EVP_PKEY *ca_key, X509 *ca, const char *device_id,
                     X509 *presented, const void *csr_der, size_t csr_len, kt_buf *cert_der,
                     kt_err *err);
int srv_device_revoke(srv_db *d, const char *device_id, kt_err *err);
/* Appends one line per device ("ID  USER  NAME[  revoked]"), oldest first. */
int srv_device_list(srv_db *d, kt_buf *out, kt_err *err);

/* A password login in three steps, so that the Argon2 verification (the slow
 * part) runs off the loop thread: begin (loop: throttle check, fetch the
 * hash), verify (any thread: no database), finish (loop: count the failure or
 * open the session). The job holds the password; srv_login_job_wipe clears it. */
typedef struct srv_login_job {
  char user[80];
  char device_id[40];
  char device_user[80];
  char password[1100];
  char hash[256]; /* "" for an unknown user: a dummy hash is verified instead */
  int verify_rc;  /* set by srv_login_verify */
  bool foreign;   /* another user's name on this device: can never succeed */
} srv_login_job;

int srv_login_begin(srv_db *d, srv_login_job *job, kt_err *err);
void srv_login_verify(srv_login_job *job);
int srv_login_finish(srv_db *d, srv_login_job *job, srv_auth_info *info, char token[65],
                     kt_err *err);
void srv_login_job_wipe(srv_login_job *job);

/* Enrollment is one step that is undone whole, in three parts like a login
 * (the Argon2 verification off the loop thread):
 * begin (loop): the invite must be known, unused and unexpired, the CSR
 *   well-formed, the invite's account not throttled or locked; fetches the
 *   account's hash into job->login. KT_EAUTH unknown invite, KT_EEXISTS used,
 *   KT_EEXPIRED, KT_EINVAL bad CSR or no password, KT_ETHROTTLED, KT_ELOCKED.
 * verify: srv_login_verify(&job->login) on any thread.
 * finish (loop): a wrong password counts against the invite's user (as a
 *   login would) and spends nothing (KT_EAUTH); a disabled account is refused
 *   (KT_EDISABLED); else one transaction signs the CSR into a certificate
 *   whose CN is a new device id, records the device, marks the invite used (if
 *   still unused: KT_EEXISTS when a concurrent enrollment won) and opens a
 *   session for it. out->cert_der is the caller's to free.
 * The job holds the password and a copy of the CSR; srv_enroll_job_wipe
 * clears and frees them. */
typedef struct srv_enroll_job {
  srv_login_job login; /* user and device_user: the invite's account */
  char secret_hash[65];
  char addresses[512];
  char device_name[KT_PKI_CN_BUF];
  kt_buf csr_der;
} srv_enroll_job;

int srv_enroll_begin(srv_db *d, srv_enroll_job *job, const char *secret, const char *password,
                     const void *csr_der, size_t csr_len, const char *device_name, kt_err *err);
int srv_enroll_finish(srv_db *d, EVP_PKEY *ca_key, X509 *ca, srv_enroll_job *job,
                      srv_enrolled *out, kt_err *err);
void srv_enroll_job_wipe(srv_enroll_job *job);
/* begin + verify + finish on the calling thread (offline tools, tests). */
int srv_enroll(srv_db *d, EVP_PKEY *ca_key, X509 *ca, const char *secret, const char *password,
               const void *csr_der, size_t csr_len, const char *device_name, srv_enrolled *out,
               kt_err *err);

/* Password login on an enrolled device of that user; on success a new
 * session token (64 hex chars) in token. KT_EAUTH (wrong user/password: one
 * message for both, also for another user's name on this device, right
 * password or not), KT_ETHROTTLED (wait), KT_ELOCKED, KT_EPERM (disabled).
 * Failures and throttling count against the device's own user: guesses made
 * on one PC never lock a colleague out. */
int srv_login(srv_db *d, const char *device_id, const char *device_user, const char *user,
              const char *password, srv_auth_info *info, char token[65], kt_err *err);
/* Resumes a session: the token must be live, of this device, issued after the
 * user's last password/role/disable change. */
int srv_resume(srv_db *d, const char *device_id, const char *token, srv_auth_info *info,
               kt_err *err);
/* Ends a session (logout). */
int srv_logout(srv_db *d, const char *token, kt_err *err);

#endif
