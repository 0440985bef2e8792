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
 * (KT1....) to out. addresses: comma-separated HOST:PORT. */
int srv_invite_create(srv_db *d, const char *user, const char *addresses, int hours, kt_buf *out,
                      kt_err *err);

typedef struct srv_enrolled {
  char device_id[40];
  char user[80];
  char addresses[512];
  kt_buf cert_der; /* caller frees */
} srv_enrolled;

/* Redeems an invite: checks the secret (unused, not expired), signs the CSR
 * with the CA into a device certificate whose CN is a new device id, records
 * the device and marks the invite used, in one transaction. KT_EAUTH unknown
 * secret, KT_EEXPIRED, KT_EEXISTS (already used), KT_EINVAL bad CSR. */
int srv_enroll(srv_db *d, EVP_PKEY *ca_key, X509 *ca, const char *secret, const void *csr_der,
               size_t csr_len, const char *device_name, srv_enrolled *out, kt_err *err);

/* The device a client certificate (fingerprint, hex without colons) belongs
 * to. KT_ENOTFOUND unknown, KT_EREVOKED revoked. */
int srv_device_lookup(srv_db *d, const char *fpr, char device_id[40], char user[80], kt_err *err);
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
