/* Unit tests for kt_pki: CA, server and device certificates, fingerprints,
 * files, lifetimes (the test-only KT_TEST_CERT_SECONDS) and renewal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "kt_pki.h"

typedef struct fx {
  char dir[64];
  EVP_PKEY *ca_key;
  X509 *ca;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f) return -1;
  strcpy(f->dir, "/tmp/kt-pki-XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  if (kt_pki_ca_new("Kartoteka CA test", 0, &f->ca_key, &f->ca, NULL)) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  DIR *d = opendir(f->dir);
  struct dirent *de;
  char p[512];
  while (d && (de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", f->dir, de->d_name);
    unlink(p);
  }
  if (d) closedir(d);
  rmdir(f->dir);
  X509_free(f->ca);
  EVP_PKEY_free(f->ca_key);
  free(f);
  return 0;
}

static void test_ca(void **state) {
  fx *f = *state;
  char cn[80];
  assert_int_equal(kt_pki_cert_cn(f->ca, cn, sizeof cn, NULL), 0);
  assert_string_equal(cn, "Kartoteka CA test");
  assert_true(X509_check_ca(f->ca) >= 1);
  assert_int_equal(kt_pki_cert_verify(f->ca, f->ca, NULL), 0);
  /* about ten years */
  int days = 0, secs = 0;
  assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(f->ca)), 1);
  assert_true(days >= 3649 && days <= 3651);
  assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(f->ca)), EVP_PKEY_EC);
  assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(f->ca)), 256);
  /* names */
  EVP_PKEY *k = NULL;
  X509 *x = NULL;
  assert_int_equal(kt_pki_ca_new("", 0, &k, &x, NULL), KT_EINVAL);
  assert_null(x);
}

static void test_server_cert(void **state) {
  fx *f = *state;
  const char *names[] = {"localhost", "127.0.0.1", "::1", "crm.office.lan"};
  EVP_PKEY *key = NULL;
  X509 *srv = NULL;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_pki_server_cert_new(f->ca_key, f->ca, "kartotekad", names, 4, 0, &key,
                                          &srv, &err),
                   0);
  assert_int_equal(kt_pki_cert_verify(srv, f->ca, &err), 0);
  assert_int_equal(X509_check_host(srv, "localhost", 0, 0, NULL), 1);
  assert_int_equal(X509_check_host(srv, "crm.office.lan", 0, 0, NULL), 1);
  assert_int_equal(X509_check_host(srv, "evil.example", 0, 0, NULL), 0);
  assert_int_equal(X509_check_ip_asc(srv, "127.0.0.1", 0), 1);
  assert_int_equal(X509_check_ip_asc(srv, "::1", 0), 1);
  assert_int_equal(X509_check_ip_asc(srv, "10.0.0.1", 0), 0);
  assert_int_equal(X509_check_purpose(srv, X509_PURPOSE_SSL_SERVER, 0), 1);
  assert_int_equal(X509_check_ca(srv), 0);
  X509_free(srv);
  EVP_PKEY_free(key);

  const char *bad[] = {"localhost", "evil,DNS:x"};
  srv = NULL;
  assert_int_equal(kt_pki_server_cert_new(f->ca_key, f->ca, "kartotekad", bad, 2, 0, &key, &srv,
                                          &err),
                   KT_EINVAL);
  assert_non_null(strstr(err.msg, "evil,DNS:x"));
  assert_null(srv);
  assert_int_equal(
      kt_pki_server_cert_new(f->ca_key, f->ca, "kartotekad", names, 0, 0, &key, &srv, &err),
      KT_EINVAL);
}

/* Lifetimes and renewal dates: KT_PKI_CERT_DAYS, or KT_TEST_CERT_SECONDS when
 * set (tests only); the start lies a tenth of the life (at most 5 minutes)
 * back; renewal is due two thirds in; nothing outlives its CA. A renewed
 * server certificate keeps the names with a new key; a CSR for an existing key
 * (device renewal) carries that key. */
static void test_lifetimes_and_renewal(void **state) {
  fx *f = *state;
  const char *names[] = {"localhost", "127.0.0.1", "crm.office.lan"};
  EVP_PKEY *key = NULL, *k2 = NULL;
  X509 *srv = NULL, *x2 = NULL;
  int64_t a, b, now = (int64_t)time(NULL) * 1000;
  unsetenv("KT_TEST_CERT_SECONDS");
  assert_int_equal(kt_pki_cert_lifetime_s(), (long)KT_PKI_CERT_DAYS * 86400);
  setenv("KT_TEST_CERT_SECONDS", "junk", 1);
  assert_int_equal(kt_pki_cert_lifetime_s(), (long)KT_PKI_CERT_DAYS * 86400);
  assert_int_equal(kt_pki_server_cert_new(f->ca_key, f->ca, "kartotekad", names, 3, 0, &key,
                                          &srv, NULL),
                   0);
  assert_int_equal(kt_pki_cert_validity(srv, &a, &b, NULL), 0);
  assert_true(a <= now - 299000 && a >= now - 302000);
  assert_true(b - a == (int64_t)KT_PKI_CERT_DAYS * 86400000); /* no more than 825 days in all */
  X509_free(srv);
  EVP_PKEY_free(key);
  setenv("KT_TEST_CERT_SECONDS", "60", 1);
  assert_int_equal(kt_pki_cert_lifetime_s(), 60);
  assert_int_equal(kt_pki_server_cert_new(f->ca_key, f->ca, "kartotekad", names, 3, 0, &key,
                                          &srv, NULL),
                   0);
  assert_int_equal(kt_pki_cert_validity(srv, &a, &b, NULL), 0);
  assert_true(a >= now - 8000 && a <= now - 5000); /* 6 s back */
  assert_true(b - a == 60000);
  assert_true(kt_pki_cert_renew_at_ms(srv) == a + (b - a) / 3 * 2);
  /* renewed: same CN and names, another key, still the CA's */
  assert_int_equal(kt_pki_server_cert_renew(f->ca_key, f->ca, srv, &k2, &x2, NULL), 0);
  assert_int_equal(kt_pki_cert_verify(x2, f->ca, NULL), 0);
  char cn[80];
  assert_int_equal(kt_pki_cert_cn(x2, cn, sizeof cn, NULL), 0);
  assert_string_equal(cn, "kartotekad");
  assert_int_equal(X509_check_host(x2, "crm.office.lan", 0, 0, NULL), 1);
  assert_int_equal(X509_check_ip_asc(x2, "127.0.0.1", 0), 1);
  assert_int_equal(X509_check_purpose(x2, X509_PURPOSE_SSL_SERVER, 0), 1);
  assert_int_equal(X509_check_private_key(x2, key), 0);
  assert_int_equal(X509_check_private_key(x2, k2), 1);
  ERR_clear_error();
  X509_free(x2);
  EVP_PKEY_free(k2);
  /* a device CSR for an existing key */
  X509_REQ *csr = NULL;
  assert_int_equal(kt_pki_csr_for_key(key, "PC", &csr, NULL), 0);
  assert_int_equal(X509_REQ_verify(csr, key), 1);
  X509 *dev = NULL;
  assert_int_equal(kt_pki_csr_sign(f->ca_key, f->ca, csr, "dev-1", 0, &dev, NULL), 0);
  assert_int_equal(X509_check_private_key(dev, key), 1);
  X509_free(dev);
  /* never beyond the CA: a CA of 1 day signs certificates ending with it */
  EVP_PKEY *sk = NULL;
  X509 *short_ca = NULL;
  int64_t ca_end;
  setenv("KT_TEST_CERT_SECONDS", "864000", 1); /* 10 days */
  assert_int_equal(kt_pki_ca_new("short CA", 1, &sk, &short_ca, NULL), 0);
  assert_int_equal(kt_pki_cert_validity(short_ca, NULL, &ca_end, NULL), 0);
  assert_int_equal(kt_pki_csr_sign(sk, short_ca, csr, "dev-2", 0, &dev, NULL), 0);
  assert_int_equal(kt_pki_cert_validity(dev, NULL, &b, NULL), 0);
  assert_true(b == ca_end);
  unsetenv("KT_TEST_CERT_SECONDS");
  X509_free(dev);
  X509_free(short_ca);
  EVP_PKEY_free(sk);
  X509_REQ_free(csr);
  X509_free(srv);
  EVP_PKEY_free(key);
  assert_int_equal(kt_pki_cert_renew_at_ms(NULL), 0);
}

static void test_device_cert(void **state) {
  fx *f = *state;
  EVP_PKEY *dkey = NULL;
  X509_REQ *csr = NULL;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_pki_csr_new("Reception PC (Łódź)", &dkey, &csr, &err), 0);
  char cn[80];
  assert_int_equal(kt_pki_csr_cn(csr, cn, sizeof cn, NULL), 0);
  assert_string_equal(cn, "Reception PC (Łódź)");

  /* through DER, as on the wire */
  kt_buf der = KT_BUF_INIT;
  assert_int_equal(kt_pki_csr_to_der(csr, &der, &err), 0);
  X509_REQ *csr2 = NULL;
  assert_int_equal(kt_pki_csr_from_der(der.p, der.len, &csr2, &err), 0);

  X509 *c1 = NULL, *c2 = NULL;
  const char *id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  assert_int_equal(kt_pki_csr_sign(f->ca_key, f->ca, csr2, id, 0, &c1, &err), 0);
  assert_int_equal(kt_pki_csr_sign(f->ca_key, f->ca, csr2, id, 30, &c2, &err), 0);
  assert_int_equal(kt_pki_cert_cn(c1, cn, sizeof cn, NULL), 0);
  assert_string_equal(cn, id); /* CN from the CA side, not from the CSR */
  assert_int_equal(kt_pki_cert_verify(c1, f->ca, &err), 0);
  assert_int_equal(X509_check_purpose(c1, X509_PURPOSE_SSL_CLIENT, 0), 1);
  assert_int_equal(X509_check_purpose(c1, X509_PURPOSE_SSL_SERVER, 0), 0);
  assert_int_equal(X509_check_private_key(c1, dkey), 1);
  char s1[64], s2[64];
  assert_int_equal(kt_pki_cert_serial_hex(c1, s1, sizeof s1, NULL), 0);
  assert_int_equal(kt_pki_cert_serial_hex(c2, s2, sizeof s2, NULL), 0);
  assert_true(strlen(s1) >= 30);
  assert_string_not_equal(s1, s2);

  /* another CA does not vouch for it */
  EVP_PKEY *k2 = NULL;
  X509 *ca2 = NULL;
  assert_int_equal(kt_pki_ca_new("Other CA", 0, &k2, &ca2, NULL), 0);
  assert_int_equal(kt_pki_cert_verify(c1, ca2, &err), KT_ETLS);
  assert_non_null(strstr(err.msg, "certificate"));

  /* tampered request: flip a byte of the signature (the end of the DER) */
  der.p[der.len - 3] ^= 0x55;
  X509_REQ *bad = NULL;
  int rc = kt_pki_csr_from_der(der.p, der.len, &bad, &err);
  if (rc == 0) {
    X509 *c3 = NULL;
    assert_int_equal(kt_pki_csr_sign(f->ca_key, f->ca, bad, id, 0, &c3, &err), KT_EINVAL);
    assert_null(c3);
    X509_REQ_free(bad);
  } else {
    assert_int_equal(rc, KT_EINVAL);
  }
  assert_int_equal(kt_pki_csr_from_der("junk", 4, &bad, &err), KT_EINVAL);
  assert_int_equal(kt_pki_csr_sign(f->ca_key, f->ca, csr2, "", 0, &c2, &err), KT_EINVAL);

  X509_free(ca2);
  EVP_PKEY_free(k2);
  X509_free(c1);
  X509_free(c2);
  X509_REQ_free(csr);
  X509_REQ_free(csr2);
  EVP_PKEY_free(dkey);
  kt_buf_free(&der);

  /* names: 64 characters of Cyrillic fit (128 bytes), 65 do not, bad UTF-8 neither */
  char name[512] = "";
  for (int i = 0; i < 64; i++) strcat(name, "Ж");
  assert_int_equal(kt_pki_csr_new(name, &dkey, &csr, &err), 0);
  char back[KT_PKI_CN_BUF];
  assert_int_equal(kt_pki_csr_cn(csr, back, sizeof back, NULL), 0);
  assert_string_equal(back, name);
  X509_REQ_free(csr);
  EVP_PKEY_free(dkey);
  strcat(name, "Ж");
  csr = NULL;
  assert_int_equal(kt_pki_csr_new(name, &dkey, &csr, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "64 characters"));
  assert_int_equal(kt_pki_csr_new("bad \xff name", &dkey, &csr, &err), KT_EINVAL);
  assert_null(csr);
}

static void test_fingerprint(void **state) {
  fx *f = *state;
  char a[KT_PKI_FPR_HEX_MAX], b[KT_PKI_FPR_HEX_MAX];
  assert_int_equal(kt_pki_cert_fingerprint(f->ca, true, a, sizeof a, NULL), 0);
  assert_int_equal(kt_pki_cert_fingerprint(f->ca, false, b, sizeof b, NULL), 0);
  assert_int_equal(strlen(a), 95);
  assert_int_equal(strlen(b), 64);
  for (int i = 0; i < 32; i++) {
    assert_memory_equal(a + 3 * i, b + 2 * i, 2);
    if (i < 31) assert_int_equal(a[3 * i + 2], ':');
  }
  unsigned char raw[32], r1[32], r2[32];
  unsigned int n = 0;
  assert_int_equal(X509_digest(f->ca, EVP_sha256(), raw, &n), 1);
  assert_int_equal(kt_pki_fingerprint_parse(a, r1, NULL), 0);
  assert_memory_equal(raw, r1, 32);
  for (char *p = b; *p; p++)
    if (*p >= 'A' && *p <= 'F') *p = (char)(*p - 'A' + 'a'); /* lowercase ok */
  assert_int_equal(kt_pki_fingerprint_parse(b, r2, NULL), 0);
  assert_memory_equal(raw, r2, 32);
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_pki_fingerprint_parse("AB:CD", r1, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "fingerprint"));
  b[10] = 'g';
  assert_int_equal(kt_pki_fingerprint_parse(b, r1, NULL), KT_EINVAL);
  char big[200];
  snprintf(big, sizeof big, "%s00", a);
  assert_int_equal(kt_pki_fingerprint_parse(big, r1, NULL), KT_EINVAL);
  char small[10];
  assert_int_equal(kt_pki_cert_fingerprint(f->ca, true, small, sizeof small, NULL), KT_EINVAL);
}

static void test_files(void **state) {
  fx *f = *state;
  char kp[128], cp[128];
  snprintf(kp, sizeof kp, "%s/ca.key", f->dir);
  snprintf(cp, sizeof cp, "%s/ca.pem", f->dir);
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_pki_key_save_pem(kp, f->ca_key, &err), 0);
  assert_int_equal(kt_pki_cert_save_pem(cp, f->ca, &err), 0);
  struct stat st;
  assert_int_equal(stat(kp, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(stat(cp, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  /* overwrite keeps working and leaves no temp files */
  assert_int_equal(kt_pki_key_save_pem(kp, f->ca_key, &err), 0);
  int n = 0;
  DIR *d = opendir(f->dir);
  struct dirent *de;
  while ((de = readdir(d)))
    if (de->d_name[0] != '.') n++;
  closedir(d);
  assert_int_equal(n, 2);

  EVP_PKEY *k = NULL;
  X509 *x = NULL;
  assert_int_equal(kt_pki_key_load_pem(kp, &k, &err), 0);
  assert_int_equal(kt_pki_cert_load_pem(cp, &x, &err), 0);
  assert_int_equal(EVP_PKEY_eq(k, f->ca_key), 1);
  assert_int_equal(X509_cmp(x, f->ca), 0);
  EVP_PKEY_free(k);
  X509_free(x);

  char missing[128];
  snprintf(missing, sizeof missing, "%s/nope.pem", f->dir);
  assert_int_equal(kt_pki_cert_load_pem(missing, &x, &err), KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "nope.pem"));
  /* a certificate is not a key */
  assert_int_equal(kt_pki_key_load_pem(cp, &k, &err), KT_EINVAL);
  assert_int_equal(kt_pki_cert_save_pem("/nonexistent-dir/x.pem", f->ca, &err), KT_EIO);
  assert_non_null(strstr(err.msg, "/nonexistent-dir/x.pem"));

  /* DER and PEM in memory */
  kt_buf der = KT_BUF_INIT, pem = KT_BUF_INIT;
  assert_int_equal(kt_pki_cert_to_der(f->ca, &der, &err), 0);
  assert_int_equal(kt_pki_cert_from_der(der.p, der.len, &x, &err), 0);
  assert_int_equal(X509_cmp(x, f->ca), 0);
  X509_free(x);
  kt_buf_putc(&der, 0); /* trailing garbage */
  assert_int_equal(kt_pki_cert_from_der(der.p, der.len, &x, &err), KT_EINVAL);
  assert_int_equal(kt_pki_cert_to_pem(f->ca, &pem, &err), 0);
  assert_non_null(strstr(kt_buf_str(&pem), "-----BEGIN CERTIFICATE-----"));
  kt_buf_free(&der);
  kt_buf_free(&pem);
  unlink(kp);
  unlink(cp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ca),          cmocka_unit_test(test_server_cert),
      cmocka_unit_test(test_device_cert), cmocka_unit_test(test_fingerprint),
      cmocka_unit_test(test_files),       cmocka_unit_test(test_lifetimes_and_renewal),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
