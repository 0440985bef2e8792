/* srv_pki — see srv_pki.h. */
#include "srv_pki.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kt_hlc.h"
#include "kt_log.h"
#include "kt_pki.h"
#include "kt_time.h"

static void path_in(const char *dir, const char *name, char *out, size_t n) {
  snprintf(out, n, "%s/%s", dir, name);
}

static bool exists(const char *p) { return access(p, F_OK) == 0; }

static int rename_synced(const char *dir, const char *from, const char *to, kt_err *err) {
  char a[4200], b[4200];
  path_in(dir, from, a, sizeof a);
  path_in(dir, to, b, sizeof b);
  if (rename(a, b) != 0)
    return kt_err_set(err, KT_EIO, "cannot rename %s to %s: %s", a, b, strerror(errno));
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    int r = fsync(fd);
    int e = errno;
    close(fd);
    if (r != 0) return kt_err_set(err, KT_EIO, "cannot sync the folder %s: %s", dir, strerror(e));
  }
  return 0;
}

/* server.crt.next is the commit point: once it exists whole, server.key.next
 * was written before it (or has been renamed already). */
static int finish_renames(const char *dir, kt_err *err) {
  char crt_next[4200], key_next[4200];
  path_in(dir, "server.crt.next", crt_next, sizeof crt_next);
  path_in(dir, "server.key.next", key_next, sizeof key_next);
  int rc = 0;
  if (exists(crt_next)) {
    if (exists(key_next)) rc = rename_synced(dir, "server.key.next", "server.key", err);
    if (!rc) rc = rename_synced(dir, "server.crt.next", "server.crt", err);
  } else if (exists(key_next)) {
    unlink(key_next); /* a renewal that never got as far as its certificate */
  }
  return rc;
}

static int read_text(const char *path, kt_buf *out, kt_err *err) {
  FILE *f = fopen(path, "r");
  if (!f) return kt_err_set(err, KT_EIO, "cannot read %s: %s", path, strerror(errno));
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) kt_buf_append(out, chunk, n);
  fclose(f);
  return out->oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}

/* The database copies of server.key/.crt (what a restore writes back) in step
 * with the files: one transaction, only when they differ. */
static int sync_meta(srv_db *d, const char *dir, kt_err *err) {
  static const char *files[] = {"server.key", "server.crt"};
  kt_buf text[2] = {KT_BUF_INIT, KT_BUF_INIT}, cur = KT_BUF_INIT;
  bool differ = false;
  int rc = 0;
  for (int i = 0; i < 2 && !rc; i++) {
    char p[4200], key[32];
    path_in(dir, files[i], p, sizeof p);
    snprintf(key, sizeof key, "pki_%s", files[i]);
    rc = read_text(p, &text[i], err);
    kt_buf_reset(&cur);
    if (!rc && (srv_db_meta_get(d, key, &cur, NULL) != 0 ||
                strcmp(kt_buf_str(&cur), kt_buf_str(&text[i])) != 0))
      differ = true;
  }
  if (!rc && differ && !(rc = srv_db_begin(d, err))) {
    if (!(rc = srv_db_meta_set(d, "pki_server.key", kt_buf_str(&text[0]), err)) &&
        !(rc = srv_db_meta_set(d, "pki_server.crt", kt_buf_str(&text[1]), err)))
      rc = srv_db_commit(d, err);
    else
      srv_db_rollback(d);
  }
  if (text[0].p) memset(text[0].p, 0, text[0].len); /* the private key */
  kt_buf_free(&text[0]);
  kt_buf_free(&text[1]);
  kt_buf_free(&cur);
  return rc;
}

int srv_pki_recover(srv_db *d, const char *data_dir, kt_err *err) {
  int rc = finish_renames(data_dir, err);
  return rc ? rc : sync_meta(d, data_dir, err);
}

int srv_pki_renew_server(srv_db *d, const char *data_dir, EVP_PKEY *ca_key, X509 *ca, bool force,
                         bool *renewed, int64_t *next_ms, kt_err *err) {
  char crt[4200], key_next[4200], crt_next[4200];
  path_in(data_dir, "server.crt", crt, sizeof crt);
  path_in(data_dir, "server.key.next", key_next, sizeof key_next);
  path_in(data_dir, "server.crt.next", crt_next, sizeof crt_next);
  *renewed = false;
  X509 *old = NULL, *x = NULL;
  EVP_PKEY *k = NULL;
  int rc = kt_pki_cert_load_pem(crt, &old, err);
  if (rc) return rc;
  int64_t due = kt_pki_cert_renew_at_ms(old);
  if (!force && (int64_t)kt_now_ms() < due) {
    if (next_ms) *next_ms = due;
    goto out;
  }
  if ((rc = kt_pki_server_cert_renew(ca_key, ca, old, &k, &x, err)) ||
      (rc = kt_pki_key_save_pem(key_next, k, err)) ||
      (rc = kt_pki_cert_save_pem(crt_next, x, err))) {
    unlink(key_next);
    goto out;
  }
  if ((rc = finish_renames(data_dir, err)) || (rc = sync_meta(d, data_dir, err))) goto out;
  *renewed = true;
  if (next_ms) *next_ms = kt_pki_cert_renew_at_ms(x);
  int64_t until = 0;
  kt_pki_cert_validity(x, NULL, &until, NULL);
  char when[40], fpr[KT_PKI_FPR_HEX_MAX] = "?";
  kt_datetime_format(until, false, when, sizeof when);
  kt_pki_cert_fingerprint(x, false, fpr, sizeof fpr, NULL);
  kt_log_info("pki", "server certificate renewed: valid until %s (fingerprint %.16s…)", when,
              fpr);
out:
  X509_free(old);
  X509_free(x);
  EVP_PKEY_free(k);
  return rc;
}

bool srv_pki_ca_warning(X509 *ca, int64_t now_ms, char *msg, size_t n) {
  int64_t until = 0;
  if (kt_pki_cert_validity(ca, NULL, &until, NULL)) return false;
  int64_t left = until - now_ms;
  if (left > (int64_t)SRV_PKI_CA_WARN_DAYS * 86400000) return false;
  char when[40];
  kt_datetime_format(until, false, when, sizeof when);
  if (left <= 0)
    snprintf(msg, n, "the office CA (ca.crt) expired on %s: no PC can connect; rotate the CA and "
             "enroll every PC again (man kartotekad, CERTIFICATES)", when);
  else
    snprintf(msg, n, "the office CA (ca.crt) expires on %s, in %lld days: rotate it before then "
             "(man kartotekad, CERTIFICATES)", when, (long long)(left / 86400000));
  return true;
}

int srv_pki_save_copies(srv_db *d, const char *data_dir, kt_err *err) {
  static const char *files[] = {"ca.key", "ca.crt", "server.key", "server.crt"};
  int rc = 0;
  for (int i = 0; !rc && i < 4; i++) {
    char p[4200], key[32];
    kt_buf text = KT_BUF_INIT;
    path_in(data_dir, files[i], p, sizeof p);
    snprintf(key, sizeof key, "pki_%s", files[i]);
    if (!(rc = read_text(p, &text, err))) rc = srv_db_meta_set(d, key, kt_buf_str(&text), err);
    if (text.p) memset(text.p, 0, text.len); /* keys */
    kt_buf_free(&text);
  }
  return rc;
}

/* The database copies of the four PEM files, the CA fingerprint, every device
 * revoked and every unused invite expired: one transaction. */
static int rotate_db(srv_db *d, const char *dir, const char *fpr, int *devices, kt_err *err) {
  int rc = srv_db_begin(d, err);
  if (!rc) rc = srv_pki_save_copies(d, dir, err);
  if (!rc) rc = srv_db_meta_set(d, "ca_fpr", fpr, err);
  sqlite3_stmt *st = NULL;
  if (!rc && !(st = srv_db_st(d, SRV_ST_DEVICE_REVOKE_ALL, err))) rc = KT_EDB;
  if (!rc && !(rc = srv_db_step_done(d, st, err))) *devices = sqlite3_changes(d->db);
  if (!rc && !(st = srv_db_st(d, SRV_ST_INVITE_EXPIRE_ALL, err))) rc = KT_EDB;
  if (!rc) rc = srv_db_step_done(d, st, err);
  if (!rc) rc = srv_db_meta_bump(d, "users_gen", err); /* no session outlives its device */
  if (!rc) return srv_db_commit(d, err);
  srv_db_rollback(d);
  return rc;
}

int srv_pki_rotate_ca(srv_db *d, const char *data_dir, char fpr[KT_PKI_FPR_HEX_MAX], int *devices,
                      kt_err *err) {
  char p[4200], cn[KT_PKI_CN_BUF], host[48] = "office", month[16];
  EVP_PKEY *ca_key = NULL, *srv_key = NULL;
  X509 *old = NULL, *ca = NULL, *srv = NULL;
  *devices = 0;
  path_in(data_dir, "server.crt", p, sizeof p);
  int rc = kt_pki_cert_load_pem(p, &old, err);
  if (rc) return rc;
  gethostname(host, sizeof host - 1);
  host[40] = '\0';
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(month, sizeof month, "%Y-%m", &tm);
  snprintf(cn, sizeof cn, "Kartoteka CA %s %s", host, month); /* told apart from the old one */
  if ((rc = kt_pki_ca_new(cn, KT_PKI_CA_DAYS, &ca_key, &ca, err)) ||
      (rc = kt_pki_server_cert_renew(ca_key, ca, old, &srv_key, &srv, err)) ||
      (rc = kt_pki_cert_fingerprint(ca, true, fpr, KT_PKI_FPR_HEX_MAX, err)))
    goto out;
  /* the CA first: a server certificate of the new CA is never there without it */
  path_in(data_dir, "ca.key", p, sizeof p);
  if ((rc = kt_pki_key_save_pem(p, ca_key, err))) goto out;
  path_in(data_dir, "ca.crt", p, sizeof p);
  if ((rc = kt_pki_cert_save_pem(p, ca, err))) goto out;
  path_in(data_dir, "server.key", p, sizeof p);
  if ((rc = kt_pki_key_save_pem(p, srv_key, err))) goto out;
  path_in(data_dir, "server.crt", p, sizeof p);
  if ((rc = kt_pki_cert_save_pem(p, srv, err))) goto out;
  rc = rotate_db(d, data_dir, fpr, devices, err);
  if (!rc) kt_log_info("pki", "new office CA %s (fingerprint %s); %d devices revoked", cn, fpr,
                       *devices);
out:
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(srv_key);
  X509_free(old);
  X509_free(ca);
  X509_free(srv);
  return rc;
}

int srv_pki_status(const char *data_dir, kt_buf *out, bool *warn, kt_err *err) {
  char p[4200];
  X509 *srv = NULL, *ca = NULL;
  path_in(data_dir, "server.crt", p, sizeof p);
  int rc = kt_pki_cert_load_pem(p, &srv, err);
  path_in(data_dir, "ca.crt", p, sizeof p);
  if (!rc) rc = kt_pki_cert_load_pem(p, &ca, err);
  int64_t s_until = 0, c_until = 0;
  if (!rc) rc = kt_pki_cert_validity(srv, NULL, &s_until, err);
  if (!rc) rc = kt_pki_cert_validity(ca, NULL, &c_until, err);
  if (!rc) {
    char a[40], b[40], c[40];
    kt_datetime_format(s_until, false, a, sizeof a);
    kt_datetime_format(kt_pki_cert_renew_at_ms(srv), false, b, sizeof b);
    kt_datetime_format(c_until, false, c, sizeof c);
    kt_buf_printf(out, "server certificate: valid until %s (the server renews it from %s)\n", a, b);
    kt_buf_printf(out, "office CA: valid until %s\n", c);
    char msg[300];
    *warn = srv_pki_ca_warning(ca, (int64_t)kt_now_ms(), msg, sizeof msg);
    if (*warn) kt_buf_printf(out, "warning: %s\n", msg);
  }
  X509_free(srv);
  X509_free(ca);
  return rc;
}
