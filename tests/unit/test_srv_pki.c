/* Unit tests for srv_pki: the server certificate is renewed only when due (or
 * forced), with the same names and a new key, files and database copies in
 * step; an interrupted renewal is finished by srv_pki_recover (the key and
 * the certificate never mismatch, a half-written one is dropped); the CA's
 * end is announced a year ahead; the status for `kartotekad check`. A real
 * master database and CA in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "kt_hlc.h"
#include "kt_pki.h"
#include "srv_pki.h"
#include "t_srvdb.h"

typedef struct fx {
  t_srvdb t;
  EVP_PKEY *ca_key;
  X509 *ca;
  char crt[200], key[200];
} fx;

static void save_server(fx *f, const char *crt, const char *key) {
  const char *names[] = {"localhost", "127.0.0.1", "crm.office.lan"};
  EVP_PKEY *k = NULL;
  X509 *x = NULL;
  assert_int_equal(kt_pki_server_cert_new(f->ca_key, f->ca, "kartotekad", names, 3, 0, &k, &x,
                                          NULL),
                   0);
  assert_int_equal(kt_pki_cert_save_pem(crt, x, NULL), 0);
  assert_int_equal(kt_pki_key_save_pem(key, k, NULL), 0);
  X509_free(x);
  EVP_PKEY_free(k);
}

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f || t_srvdb_open(&f->t, "srvpki")) return -1;
  if (kt_pki_ca_new("Kartoteka CA test", 0, &f->ca_key, &f->ca, NULL)) return -1;
  char ca[200];
  snprintf(ca, sizeof ca, "%s/ca.crt", f->t.dir);
  snprintf(f->crt, sizeof f->crt, "%s/server.crt", f->t.dir);
  snprintf(f->key, sizeof f->key, "%s/server.key", f->t.dir);
  if (kt_pki_cert_save_pem(ca, f->ca, NULL)) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  unsetenv("KT_TEST_CERT_SECONDS");
  t_srvdb_close(&f->t);
  X509_free(f->ca);
  EVP_PKEY_free(f->ca_key);
  free(f);
  return 0;
}

static void fpr_of(const char *path, char out[KT_PKI_FPR_HEX_MAX]) {
  X509 *x = NULL;
  assert_int_equal(kt_pki_cert_load_pem(path, &x, NULL), 0);
  assert_int_equal(kt_pki_cert_fingerprint(x, false, out, KT_PKI_FPR_HEX_MAX, NULL), 0);
  X509_free(x);
}

/* server.key belongs to server.crt. */
static void pair_ok(fx *f) {
  X509 *x = NULL;
  EVP_PKEY *k = NULL;
  assert_int_equal(kt_pki_cert_load_pem(f->crt, &x, NULL), 0);
  assert_int_equal(kt_pki_key_load_pem(f->key, &k, NULL), 0);
  assert_int_equal(X509_check_private_key(x, k), 1);
  X509_free(x);
  EVP_PKEY_free(k);
}

/* The database copy of server.crt is the file's. */
static void meta_matches(fx *f) {
  char want[8192] = "", got[8192] = "";
  FILE *fp = fopen(f->crt, "r");
  assert_non_null(fp);
  size_t n = fread(want, 1, sizeof want - 1, fp);
  want[n] = '\0';
  fclose(fp);
  assert_int_equal(t_sql_text(&f->t.db, "SELECT value FROM meta WHERE key = 'pki_server.crt'", got,
                              sizeof got),
                   0);
  assert_string_equal(got, want);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT length(value) > 100 FROM meta "
                                       "WHERE key = 'pki_server.key'"),
                   1);
}

static void test_renew_when_due(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  kt_err_clear(&err);
  save_server(f, f->crt, f->key);
  char before[KT_PKI_FPR_HEX_MAX], after[KT_PKI_FPR_HEX_MAX];
  fpr_of(f->crt, before);
  bool renewed = true;
  int64_t next = 0;
  /* a new certificate: not due; when it is due is said */
  assert_int_equal(srv_pki_renew_server(d, f->t.dir, f->ca_key, f->ca, false, &renewed, &next,
                                        &err),
                   0);
  assert_false(renewed);
  assert_true(next > (int64_t)kt_now_ms() + 500LL * 86400000);
  fpr_of(f->crt, after);
  assert_string_equal(before, after);
  /* forced: renewed, the same names, the key that goes with it, the database in step */
  assert_int_equal(srv_pki_renew_server(d, f->t.dir, f->ca_key, f->ca, true, &renewed, &next,
                                        &err),
                   0);
  assert_true(renewed);
  fpr_of(f->crt, after);
  assert_string_not_equal(before, after);
  pair_ok(f);
  X509 *x = NULL;
  assert_int_equal(kt_pki_cert_load_pem(f->crt, &x, NULL), 0);
  assert_int_equal(X509_check_host(x, "crm.office.lan", 0, 0, NULL), 1);
  assert_int_equal(kt_pki_cert_verify(x, f->ca, NULL), 0);
  X509_free(x);
  meta_matches(f);
  char p[300];
  snprintf(p, sizeof p, "%s/server.crt.next", f->t.dir);
  assert_int_not_equal(access(p, F_OK), 0);
  /* a short-lived one becomes due two thirds in */
  setenv("KT_TEST_CERT_SECONDS", "3", 1);
  assert_int_equal(srv_pki_renew_server(d, f->t.dir, f->ca_key, f->ca, true, &renewed, &next,
                                        &err),
                   0);
  fpr_of(f->crt, before);
  usleep(2300 * 1000);
  assert_int_equal(srv_pki_renew_server(d, f->t.dir, f->ca_key, f->ca, false, &renewed, &next,
                                        &err),
                   0);
  assert_true(renewed);
  fpr_of(f->crt, after);
  assert_string_not_equal(before, after);
  meta_matches(f);
}

/* A crash between the steps of a renewal: recovery finishes it, or drops a
 * renewal that never got as far as its certificate. */
static void test_recover(void **state) {
  fx *f = *state;
  srv_db *d = &f->t.db;
  kt_err err;
  kt_err_clear(&err);
  char kn[300], cnx[300], want[KT_PKI_FPR_HEX_MAX], got[KT_PKI_FPR_HEX_MAX];
  snprintf(kn, sizeof kn, "%s/server.key.next", f->t.dir);
  snprintf(cnx, sizeof cnx, "%s/server.crt.next", f->t.dir);
  save_server(f, f->crt, f->key);
  fpr_of(f->crt, want);
  /* nothing to do: the database copies are made */
  assert_int_equal(srv_pki_recover(d, f->t.dir, &err), 0);
  meta_matches(f);
  /* only the key was written: dropped, the pair stays */
  char scratch[300];
  snprintf(scratch, sizeof scratch, "%s/scratch.crt", f->t.dir);
  save_server(f, scratch, kn);
  assert_int_equal(access(kn, F_OK), 0);
  assert_int_equal(srv_pki_recover(d, f->t.dir, &err), 0);
  assert_int_not_equal(access(kn, F_OK), 0);
  fpr_of(f->crt, got);
  assert_string_equal(got, want);
  /* both written: both go in */
  save_server(f, cnx, kn);
  fpr_of(cnx, want);
  assert_int_equal(srv_pki_recover(d, f->t.dir, &err), 0);
  fpr_of(f->crt, got);
  assert_string_equal(got, want);
  meta_matches(f);
  /* the key renamed already, the certificate not: the certificate goes in */
  save_server(f, cnx, kn);
  fpr_of(cnx, want);
  assert_int_equal(rename(kn, f->key), 0);
  assert_int_equal(srv_pki_recover(d, f->t.dir, &err), 0);
  fpr_of(f->crt, got);
  assert_string_equal(got, want);
  pair_ok(f);
  meta_matches(f);
}

static void test_ca_warning_and_status(void **state) {
  fx *f = *state;
  char msg[300];
  int64_t now = (int64_t)kt_now_ms();
  assert_false(srv_pki_ca_warning(f->ca, now, msg, sizeof msg)); /* ten years left */
  int64_t end;
  assert_int_equal(kt_pki_cert_validity(f->ca, NULL, &end, NULL), 0);
  assert_false(srv_pki_ca_warning(f->ca, end - 366LL * 86400000, msg, sizeof msg));
  assert_true(srv_pki_ca_warning(f->ca, end - 364LL * 86400000, msg, sizeof msg));
  assert_non_null(strstr(msg, "expires on"));
  assert_non_null(strstr(msg, "in 364 days"));
  assert_true(srv_pki_ca_warning(f->ca, end + 1000, msg, sizeof msg));
  assert_non_null(strstr(msg, "expired on"));
  /* the status: both dates, and the warning for a CA of 200 days */
  save_server(f, f->crt, f->key);
  kt_buf out = KT_BUF_INIT;
  bool warn = true;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(srv_pki_status(f->t.dir, &out, &warn, &err), 0);
  assert_false(warn);
  assert_non_null(strstr(kt_buf_str(&out), "server certificate: valid until"));
  assert_non_null(strstr(kt_buf_str(&out), "office CA: valid until"));
  EVP_PKEY *k = NULL;
  X509 *young = NULL;
  assert_int_equal(kt_pki_ca_new("Kartoteka CA short", 200, &k, &young, NULL), 0);
  char ca[200];
  snprintf(ca, sizeof ca, "%s/ca.crt", f->t.dir);
  assert_int_equal(kt_pki_cert_save_pem(ca, young, NULL), 0);
  kt_buf_reset(&out);
  assert_int_equal(srv_pki_status(f->t.dir, &out, &warn, &err), 0);
  assert_true(warn);
  assert_non_null(strstr(kt_buf_str(&out), "warning: the office CA (ca.crt) expires on"));
  X509_free(young);
  EVP_PKEY_free(k);
  kt_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_renew_when_due, setup, teardown),
      cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ca_warning_and_status, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
