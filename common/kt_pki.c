/* kt_pki — see kt_pki.h. */
#include "kt_pki.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "kt_plat.h"

/* Sets err from the OpenSSL error queue (first error) and clears the queue. */
static int ossl_fail(kt_err *err, int code, const char *what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "";
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  if (buf[0]) return kt_err_set(err, code, "%s (%s)", what, buf);
  return kt_err_set(err, code, "%s", what);
}

static int check_name(const char *what, const char *s, kt_err *err) {
  if (!s || !*s) return kt_err_set(err, KT_EINVAL, "the %s is empty", what);
  size_t chars = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if ((*p & 0xc0) != 0x80) chars++;
  if (chars > KT_PKI_NAME_MAX)
    return kt_err_set(err, KT_EINVAL,
                      "the %s is longer than %d characters; choose a shorter one", what,
                      KT_PKI_NAME_MAX);
  return 0;
}

int kt_pki_key_new(EVP_PKEY **out, kt_err *err) {
  EVP_PKEY *k = EVP_EC_gen("P-256");
  if (!k) return ossl_fail(err, KT_EINTERNAL, "cannot generate an EC P-256 key");
  *out = k;
  return 0;
}

/* ---- certificate building ------------------------------------------------ */

static int set_random_serial(X509 *x, kt_err *err) {
  unsigned char r[16];
  if (RAND_bytes(r, sizeof r) != 1) return ossl_fail(err, KT_EINTERNAL, "no random numbers");
  r[0] &= 0x7f; /* positive */
  r[0] |= 0x40; /* and full length */
  BIGNUM *bn = BN_bin2bn(r, sizeof r, NULL);
  ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
  int ok = ai && X509_set_serialNumber(x, ai) == 1;
  ASN1_INTEGER_free(ai);
  BN_free(bn);
  return ok ? 0 : ossl_fail(err, KT_ENOMEM, "cannot set the certificate serial number");
}

static int set_cn(X509_NAME *name, const char *cn, kt_err *err) {
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                 0) != 1)
    return ossl_fail(err, KT_EINVAL, "the name is not valid UTF-8 text");
  return 0;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, kt_err *err) {
  X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
  if (!ex) return ossl_fail(err, KT_EINTERNAL, "cannot build a certificate extension");
  int ok = X509_add_ext(x, ex, -1);
  X509_EXTENSION_free(ex);
  return ok == 1 ? 0 : ossl_fail(err, KT_ENOMEM, "cannot add a certificate extension");
}

long kt_pki_cert_lifetime_s(void) {
  const char *t = getenv("KT_TEST_CERT_SECONDS"); /* tests only: see kt_pki.h */
  if (t && *t) {
    char *end;
    long v = strtol(t, &end, 10);
    if (*end == '\0' && v > 0) return v;
  }
  return (long)KT_PKI_CERT_DAYS * 86400;
}

/* A new X509 with version 3, random serial, a validity of `seconds` from a
 * little in the past (capped at the issuer's end), subject CN and the subject
 * public key; issuer taken from `issuer` (NULL = self). */
static int cert_start(const char *cn, long seconds, EVP_PKEY *pub, X509 *issuer, X509 **out,
                      kt_err *err) {
  int rc;
  X509 *x = X509_new();
  if (!x) return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (X509_set_version(x, X509_VERSION_3) != 1) {
    rc = ossl_fail(err, KT_EINTERNAL, "cannot set the certificate version");
    goto out;
  }
  if ((rc = set_random_serial(x, err))) goto out;
  /* a little back: PCs whose clock is a little behind accept it at once; the
     whole validity is `seconds` (825 days is the most TLS checkers accept) */
  long back = seconds / 10 < 300 ? seconds / 10 : 300, ahead = seconds - back;
  if (!X509_gmtime_adj(X509_getm_notBefore(x), -back) ||
      !X509_time_adj_ex(X509_getm_notAfter(x), (int)(ahead / 86400), ahead % 86400, NULL)) {
    rc = ossl_fail(err, KT_EINTERNAL, "cannot set the certificate validity");
    goto out;
  }
  /* a certificate never outlives its CA (the chain would fail from then on) */
  if (issuer && ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(issuer)) > 0 &&
      !X509_set1_notAfter(x, X509_get0_notAfter(issuer))) {
    rc = ossl_fail(err, KT_EINTERNAL, "cannot set the certificate validity");
    goto out;
  }
  if ((rc = set_cn(X509_get_subject_name(x), cn, err))) goto out;
  if (X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x))
          != 1 ||
      X509_set_pubkey(x, pub) != 1) {
    rc = ossl_fail(err, KT_EINTERNAL, "cannot set the certificate issuer or key");
    goto out;
  }
  *out = x;
  return 0;
out:
  X509_free(x);
  return rc;
}

static long life_s(int days) { return days > 0 ? (long)days * 86400 : kt_pki_cert_lifetime_s(); }

static int asn1_ms(const ASN1_TIME *t, int64_t *out) {
  struct tm tm;
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return -1;
  *out = kt_plat_timegm(&tm) * 1000;
  return 0;
}

int kt_pki_cert_validity(X509 *cert, int64_t *not_before_ms, int64_t *not_after_ms, kt_err *err) {
  int64_t a = 0, b = 0;
  if (!cert || asn1_ms(X509_get0_notBefore(cert), &a) || asn1_ms(X509_get0_notAfter(cert), &b)) {
    ERR_clear_error();
    return kt_err_set(err, KT_EINVAL, "the certificate's validity dates cannot be read");
  }
  if (not_before_ms) *not_before_ms = a;
  if (not_after_ms) *not_after_ms = b;
  return 0;
}

int64_t kt_pki_cert_renew_at_ms(X509 *cert) {
  int64_t a, b;
  if (kt_pki_cert_validity(cert, &a, &b, NULL) || b <= a) return 0;
  return a + (b - a) / 3 * 2;
}

static int cert_sign(X509 *x, EVP_PKEY *key, kt_err *err) {
  if (X509_sign(x, key, EVP_sha256()) <= 0)
    return ossl_fail(err, KT_EINTERNAL, "cannot sign the certificate");
  return 0;
}

int kt_pki_ca_new(const char *cn, int days, EVP_PKEY **key_out, X509 **cert_out, kt_err *err) {
  int rc = check_name("CA name", cn, err);
  if (rc) return rc;
  if (days <= 0) days = KT_PKI_CA_DAYS;
  EVP_PKEY *key = NULL;
  X509 *x = NULL;
  if ((rc = kt_pki_key_new(&key, err))) return rc;
  if ((rc = cert_start(cn, (long)days * 86400, key, NULL, &x, err))) goto out;
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  if ((rc = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0", err)) ||
      (rc = add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign", err)) ||
      (rc = add_ext(x, &ctx, NID_subject_key_identifier, "hash", err)) ||
      (rc = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", err)) ||
      (rc = cert_sign(x, key, err)))
    goto out;
  *key_out = key;
  *cert_out = x;
  return 0;
out:
  X509_free(x);
  EVP_PKEY_free(key);
  return rc;
}

static bool dns_name_ok(const char *s) {
  size_t n = strlen(s), label = 0;
  if (n == 0 || n > 253) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || (c == '*' && i == 0 && s[1] == '.');
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

/* Builds the SubjectAltName extension by hand: no string parsing of names. */
static int add_sans(X509 *x, const char *const *names, size_t n, kt_err *err) {
  int rc = 0;
  GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
  if (!gens) return kt_err_set(err, KT_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *s = names[i];
    unsigned char ip[16];
    int iplen = 0;
    if (s && uv_inet_pton(AF_INET, s, ip) == 0) iplen = 4;
    else if (s && uv_inet_pton(AF_INET6, s, ip) == 0) iplen = 16;
    GENERAL_NAME *g = GENERAL_NAME_new();
    if (!g) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      goto out;
    }
    if (iplen) {
      ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
      if (!os || !ASN1_OCTET_STRING_set(os, ip, iplen)) {
        ASN1_OCTET_STRING_free(os);
        GENERAL_NAME_free(g);
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
        goto out;
      }
      GENERAL_NAME_set0_value(g, GEN_IPADD, os);
    } else {
      if (!s || !dns_name_ok(s)) {
        GENERAL_NAME_free(g);
        rc = kt_err_set(err, KT_EINVAL,
                        "'%s' is neither a host name nor an IP address; give names like "
                        "crm.office.lan or 192.168.1.10",
                        s ? s : "(null)");
        goto out;
      }
      ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
      if (!ia5 || !ASN1_STRING_set(ia5, s, (int)strlen(s))) {
        ASN1_IA5STRING_free(ia5);
        GENERAL_NAME_free(g);
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
        goto out;
      }
      GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
    }
    if (!sk_GENERAL_NAME_push(gens, g)) {
      GENERAL_NAME_free(g);
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      goto out;
    }
  }
  if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
    rc = ossl_fail(err, KT_EINTERNAL, "cannot add the certificate's names");
out:
  GENERAL_NAMES_free(gens);
  return rc;
}

/* Server certificate for key with the given subject and SANs (a GENERAL_NAMES
 * extension built by add_sans or copied from an older certificate). */
static int server_cert_make(EVP_PKEY *ca_key, X509 *ca_cert, const char *cn, EVP_PKEY *key,
                            long seconds, const char *const *names, size_t n,
                            GENERAL_NAMES *copy_sans, X509 **out, kt_err *err) {
  X509 *x = NULL;
  int rc = cert_start(cn, seconds, key, ca_cert, &x, err);
  if (rc) return rc;
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert, x, NULL, NULL, 0);
  if ((rc = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE", err)) ||
      (rc = add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature", err)) ||
      (rc = add_ext(x, &ctx, NID_ext_key_usage, "serverAuth", err)) ||
      (rc = add_ext(x, &ctx, NID_subject_key_identifier, "hash", err)) ||
      (rc = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", err)))
    goto out;
  if (copy_sans) {
    if (X509_add1_ext_i2d(x, NID_subject_alt_name, copy_sans, 0, X509V3_ADD_DEFAULT) != 1)
      rc = ossl_fail(err, KT_EINTERNAL, "cannot add the certificate's names");
  } else {
    rc = add_sans(x, names, n, err);
  }
  if (!rc) rc = cert_sign(x, ca_key, err);
out:
  if (rc) X509_free(x);
  else *out = x;
  return rc;
}

int kt_pki_server_cert_new(EVP_PKEY *ca_key, X509 *ca_cert, const char *cn,
                           const char *const *names, size_t n, int days, EVP_PKEY **key_out,
                           X509 **cert_out, kt_err *err) {
  int rc = check_name("server name", cn, err);
  if (rc) return rc;
  if (!ca_key || !ca_cert) return kt_err_set(err, KT_EINVAL, "no CA key or certificate");
  if (n == 0 || !names)
    return kt_err_set(err, KT_EINVAL,
                      "the server certificate needs at least one host name or IP address");
  EVP_PKEY *key = NULL;
  X509 *x = NULL;
  if ((rc = kt_pki_key_new(&key, err))) return rc;
  if ((rc = server_cert_make(ca_key, ca_cert, cn, key, life_s(days), names, n, NULL, &x, err))) {
    EVP_PKEY_free(key);
    return rc;
  }
  *key_out = key;
  *cert_out = x;
  return 0;
}

int kt_pki_server_cert_renew(EVP_PKEY *ca_key, X509 *ca_cert, X509 *old, EVP_PKEY **key_out,
                             X509 **cert_out, kt_err *err) {
  if (!ca_key || !ca_cert || !old) return kt_err_set(err, KT_EINVAL, "no CA or old certificate");
  char cn[KT_PKI_CN_BUF];
  int rc = kt_pki_cert_cn(old, cn, sizeof cn, err);
  if (rc) return rc;
  GENERAL_NAMES *sans = X509_get_ext_d2i(old, NID_subject_alt_name, NULL, NULL);
  if (!sans || sk_GENERAL_NAME_num(sans) == 0) {
    GENERAL_NAMES_free(sans);
    ERR_clear_error();
    return kt_err_set(err, KT_EINVAL, "the server certificate has no names to renew it with");
  }
  EVP_PKEY *key = NULL;
  X509 *x = NULL;
  if (!(rc = kt_pki_key_new(&key, err)))
    rc = server_cert_make(ca_key, ca_cert, cn, key, kt_pki_cert_lifetime_s(), NULL, 0, sans, &x,
                          err);
  GENERAL_NAMES_free(sans);
  if (rc) {
    EVP_PKEY_free(key);
    return rc;
  }
  *key_out = key;
  *cert_out = x;
  return 0;
}

int kt_pki_csr_for_key(EVP_PKEY *key, const char *device_name, X509_REQ **csr_out,
                       kt_err *err) {
  int rc = check_name("device name", device_name, err);
  if (rc) return rc;
  X509_REQ *req = X509_REQ_new();
  if (!req) return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1) {
    rc = ossl_fail(err, KT_EINTERNAL, "cannot set the request version");
    goto out;
  }
  if ((rc = set_cn(X509_REQ_get_subject_name(req), device_name, err))) goto out;
  if (X509_REQ_set_pubkey(req, key) != 1 || X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
    rc = ossl_fail(err, KT_EINTERNAL, "cannot sign the certificate request");
    goto out;
  }
  *csr_out = req;
  return 0;
out:
  X509_REQ_free(req);
  return rc;
}

int kt_pki_csr_new(const char *device_name, EVP_PKEY **key_out, X509_REQ **csr_out,
                   kt_err *err) {
  int rc = check_name("device name", device_name, err);
  if (rc) return rc;
  EVP_PKEY *key = NULL;
  if ((rc = kt_pki_key_new(&key, err))) return rc;
  if ((rc = kt_pki_csr_for_key(key, device_name, csr_out, err))) {
    EVP_PKEY_free(key);
    return rc;
  }
  *key_out = key;
  return 0;
}

static int check_device_key(EVP_PKEY *pub, kt_err *err) {
  switch (EVP_PKEY_get_base_id(pub)) {
    case EVP_PKEY_EC: {
      char group[64] = "";
      size_t gl = 0;
      if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &gl) != 1 ||
          (strcmp(group, "prime256v1") != 0 && strcmp(group, "secp384r1") != 0)) {
        ERR_clear_error();
        return kt_err_set(err, KT_EINVAL,
                          "the device key uses an unsupported curve; use P-256 or P-384");
      }
      return 0;
    }
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(pub) < 2048)
        return kt_err_set(err, KT_EINVAL, "the device key is too weak (RSA under 2048 bits)");
      return 0;
    case EVP_PKEY_ED25519:
      return 0;
    default:
      return kt_err_set(err, KT_EINVAL, "the device key type is not supported");
  }
}

int kt_pki_csr_sign(EVP_PKEY *ca_key, X509 *ca_cert, X509_REQ *csr, const char *device_id,
                    int days, X509 **cert_out, kt_err *err) {
  int rc = check_name("device id", device_id, err);
  if (rc) return rc;
  if (!ca_key || !ca_cert || !csr) return kt_err_set(err, KT_EINVAL, "missing CA or request");
  EVP_PKEY *pub = X509_REQ_get0_pubkey(csr);
  if (!pub) return ossl_fail(err, KT_EINVAL, "the certificate request has no usable key");
  if ((rc = check_device_key(pub, err))) return rc;
  if (X509_REQ_verify(csr, pub) != 1)
    return ossl_fail(err, KT_EINVAL,
                     "the certificate request's signature is wrong; run connect again");
  X509 *x = NULL;
  if ((rc = cert_start(device_id, life_s(days), pub, ca_cert, &x, err))) return rc;
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert, x, NULL, NULL, 0);
  if ((rc = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE", err)) ||
      (rc = add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature", err)) ||
      (rc = add_ext(x, &ctx, NID_ext_key_usage, "clientAuth", err)) ||
      (rc = add_ext(x, &ctx, NID_subject_key_identifier, "hash", err)) ||
      (rc = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", err)) ||
      (rc = cert_sign(x, ca_key, err))) {
    X509_free(x);
    return rc;
  }
  *cert_out = x;
  return 0;
}

int kt_pki_cert_verify(X509 *cert, X509 *ca, kt_err *err) {
  int rc = 0;
  X509_STORE *store = X509_STORE_new();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  if (!store || !ctx || X509_STORE_add_cert(store, ca) != 1 ||
      X509_STORE_CTX_init(ctx, store, cert, NULL) != 1) {
    rc = ossl_fail(err, KT_ENOMEM, "cannot set up certificate verification");
    goto out;
  }
  if (X509_verify_cert(ctx) != 1) {
    int e = X509_STORE_CTX_get_error(ctx);
    rc = kt_err_set(err,
                    e == X509_V_ERR_CERT_HAS_EXPIRED ? KT_EEXPIRED : KT_ETLS,
                    "certificate check failed: %s", X509_verify_cert_error_string(e));
    ERR_clear_error();
  }
out:
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return rc;
}

/* ---- fingerprints and names ---------------------------------------------- */

int kt_pki_cert_fingerprint_raw(X509 *cert, unsigned char out[KT_PKI_FPR_LEN], kt_err *err) {
  unsigned int n = 0;
  unsigned char md[EVP_MAX_MD_SIZE];
  if (!cert || X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != KT_PKI_FPR_LEN)
    return ossl_fail(err, KT_EINTERNAL, "cannot compute the certificate fingerprint");
  memcpy(out, md, KT_PKI_FPR_LEN);
  return 0;
}

int kt_pki_fingerprint_format(const unsigned char fpr[KT_PKI_FPR_LEN], bool colons, char *out,
                              size_t outsz, kt_err *err) {
  static const char hx[] = "0123456789ABCDEF";
  size_t need = colons ? 3 * KT_PKI_FPR_LEN : 2 * KT_PKI_FPR_LEN + 1;
  if (outsz < need) return kt_err_set(err, KT_EINVAL, "fingerprint buffer too small");
  char *p = out;
  for (int i = 0; i < KT_PKI_FPR_LEN; i++) {
    if (colons && i) *p++ = ':';
    *p++ = hx[fpr[i] >> 4];
    *p++ = hx[fpr[i] & 15];
  }
  *p = '\0';
  return 0;
}

int kt_pki_cert_fingerprint(X509 *cert, bool colons, char *out, size_t outsz, kt_err *err) {
  unsigned char f[KT_PKI_FPR_LEN];
  int rc = kt_pki_cert_fingerprint_raw(cert, f, err);
  return rc ? rc : kt_pki_fingerprint_format(f, colons, out, outsz, err);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int kt_pki_fingerprint_parse(const char *hex, unsigned char out[KT_PKI_FPR_LEN], kt_err *err) {
  unsigned char f[KT_PKI_FPR_LEN];
  size_t nd = 0;
  int hi = -1;
  for (const char *p = hex ? hex : ""; *p; p++) {
    if (*p == ':' || *p == ' ') continue;
    int v = hexval(*p);
    if (v < 0 || nd >= 2 * KT_PKI_FPR_LEN) {
      nd = 0;
      break;
    }
    if (hi < 0) {
      hi = v;
    } else {
      f[nd / 2] = (unsigned char)(hi << 4 | v);
      hi = -1;
    }
    nd++;
  }
  if (nd != 2 * KT_PKI_FPR_LEN)
    return kt_err_set(err, KT_EINVAL,
                      "'%.100s' is not a SHA-256 fingerprint (64 hex digits); check the invite",
                      hex ? hex : "");
  memcpy(out, f, sizeof f);
  return 0;
}

static int name_cn(X509_NAME *name, char *out, size_t outsz, kt_err *err) {
  int idx = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
  if (idx < 0) return kt_err_set(err, KT_ENOTFOUND, "the certificate has no common name");
  ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char *u = NULL;
  int n = ASN1_STRING_to_UTF8(&u, s);
  if (n < 0) return ossl_fail(err, KT_EINVAL, "the certificate's common name is not text");
  int rc = 0;
  if ((size_t)n >= outsz || memchr(u, 0, (size_t)n))
    rc = kt_err_set(err, KT_EINVAL, "the certificate's common name is too long or malformed");
  else {
    memcpy(out, u, (size_t)n);
    out[n] = '\0';
  }
  OPENSSL_free(u);
  return rc;
}

int kt_pki_cert_cn(X509 *cert, char *out, size_t outsz, kt_err *err) {
  return name_cn(cert ? X509_get_subject_name(cert) : NULL, out, outsz, err);
}

int kt_pki_csr_cn(X509_REQ *csr, char *out, size_t outsz, kt_err *err) {
  return name_cn(csr ? X509_REQ_get_subject_name(csr) : NULL, out, outsz, err);
}

int kt_pki_cert_serial_hex(X509 *cert, char *out, size_t outsz, kt_err *err) {
  BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
  char *h = bn ? BN_bn2hex(bn) : NULL;
  int rc = 0;
  if (!h) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  else if (strlen(h) >= outsz) rc = kt_err_set(err, KT_EINVAL, "serial buffer too small");
  else memcpy(out, h, strlen(h) + 1);
  OPENSSL_free(h);
  BN_free(bn);
  return rc;
}

/* ---- files --------------------------------------------------------------- */

int kt_pki_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                             kt_err *err) {
  size_t pl = strlen(path);
  char *tmp = malloc(pl + 16);
  char *dir = malloc(pl + 2);
  int fd = -1, rc = 0;
  if (!tmp || !dir) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
  fd = kt_plat_mkstemp(tmp); /* created 0600: a key is never readable by others, not even briefly */
  if (fd < 0) {
    rc = kt_err_set(err, KT_EIO, "cannot create a file next to %s: %s; check the folder exists "
                                 "and is writable",
                    path, strerror(errno));
    tmp[0] = '\0';
    goto out;
  }
  if (kt_plat_fd_set_mode(fd, mode) != 0) goto io_fail;
  const char *p = data;
  size_t left = len;
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      goto io_fail;
    }
    p += w;
    left -= (size_t)w;
  }
  if (kt_plat_fsync_fd(fd) != 0) goto io_fail;
  if (close(fd) != 0) {
    fd = -1;
    goto io_fail;
  }
  fd = -1;
  if (kt_plat_rename(tmp, path) != 0) goto io_fail;
  tmp[0] = '\0';
  /* make the rename itself durable */
  const char *slash = strrchr(path, '/');
  if (slash == path) strcpy(dir, "/");
  else if (slash) {
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
  } else
    strcpy(dir, ".");
  if (kt_plat_fsync_path(dir, true) != 0 && errno != ENOENT && errno != EACCES) {
    rc = kt_err_set(err, KT_EIO, "cannot sync the folder of %s: %s", path, strerror(errno));
    goto out;
  }
  goto out;
io_fail:
  rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", path, strerror(errno));
out:
  if (fd >= 0) close(fd);
  if (tmp && tmp[0]) kt_plat_remove(tmp);
  free(tmp);
  free(dir);
  return rc;
}

/* Writes what `emit` puts into a memory BIO to path, then wipes the memory. */
static int save_bio(const char *path, unsigned mode, BIO *b, kt_err *err) {
  char *data = NULL;
  long n = BIO_get_mem_data(b, &data);
  int rc = n > 0 ? kt_pki_write_file_atomic(path, data, (size_t)n, mode, err)
                 : kt_err_set(err, KT_EINTERNAL, "nothing to write to %s", path);
  if (n > 0) OPENSSL_cleanse(data, (size_t)n);
  return rc;
}

int kt_pki_cert_save_pem(const char *path, X509 *cert, kt_err *err) {
  BIO *b = BIO_new(BIO_s_mem());
  if (!b) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = PEM_write_bio_X509(b, cert) == 1
               ? save_bio(path, 0644, b, err)
               : ossl_fail(err, KT_EINTERNAL, "cannot encode the certificate");
  BIO_free(b);
  return rc;
}

int kt_pki_key_save_pem(const char *path, EVP_PKEY *key, kt_err *err) {
  BIO *b = BIO_new(BIO_s_mem());
  if (!b) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1
               ? save_bio(path, 0600, b, err)
               : ossl_fail(err, KT_EINTERNAL, "cannot encode the private key");
  BIO_free(b);
  return rc;
}

static BIO *open_read(const char *path, kt_err *err) {
  BIO *b = BIO_new_file(path, "rb");
  if (!b) {
    int e = errno;
    ERR_clear_error();
    kt_err_set(err, e == ENOENT ? KT_ENOTFOUND : KT_EIO, "cannot open %s: %s", path,
               strerror(e));
  }
  return b;
}

int kt_pki_cert_load_pem(const char *path, X509 **out, kt_err *err) {
  BIO *b = open_read(path, err);
  if (!b) return err ? err->code : KT_EIO;
  X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
  BIO_free(b);
  if (!x) {
    ERR_clear_error();
    return kt_err_set(err, KT_EINVAL, "%s does not hold a PEM certificate", path);
  }
  *out = x;
  return 0;
}

int kt_pki_key_load_pem(const char *path, EVP_PKEY **out, kt_err *err) {
  BIO *b = open_read(path, err);
  if (!b) return err ? err->code : KT_EIO;
  EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
  BIO_free(b);
  if (!k) {
    ERR_clear_error();
    return kt_err_set(err, KT_EINVAL, "%s does not hold an unencrypted PEM private key", path);
  }
  *out = k;
  return 0;
}

int kt_pki_cert_to_der(X509 *cert, kt_buf *out, kt_err *err) {
  unsigned char *der = NULL;
  int n = i2d_X509(cert, &der);
  if (n <= 0) return ossl_fail(err, KT_EINTERNAL, "cannot encode the certificate");
  kt_buf_append(out, der, (size_t)n);
  OPENSSL_free(der);
  return out->oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}

int kt_pki_cert_from_der(const void *der, size_t len, X509 **out, kt_err *err) {
  const unsigned char *p = der;
  if (!der || len == 0 || len > 1024 * 1024)
    return kt_err_set(err, KT_EINVAL, "no certificate data");
  X509 *x = d2i_X509(NULL, &p, (long)len);
  if (!x || p != (const unsigned char *)der + len) {
    X509_free(x);
    ERR_clear_error();
    return kt_err_set(err, KT_EINVAL, "the certificate data is malformed");
  }
  *out = x;
  return 0;
}

int kt_pki_cert_to_pem(X509 *cert, kt_buf *out, kt_err *err) {
  BIO *b = BIO_new(BIO_s_mem());
  if (!b) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = 0;
  char *data = NULL;
  if (PEM_write_bio_X509(b, cert) != 1) rc = ossl_fail(err, KT_EINTERNAL, "cannot encode");
  else {
    long n = BIO_get_mem_data(b, &data);
    kt_buf_append(out, data, (size_t)n);
    if (out->oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  BIO_free(b);
  return rc;
}

int kt_pki_csr_to_der(X509_REQ *csr, kt_buf *out, kt_err *err) {
  unsigned char *der = NULL;
  int n = i2d_X509_REQ(csr, &der);
  if (n <= 0) return ossl_fail(err, KT_EINTERNAL, "cannot encode the certificate request");
  kt_buf_append(out, der, (size_t)n);
  OPENSSL_free(der);
  return out->oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}

int kt_pki_csr_from_der(const void *der, size_t len, X509_REQ **out, kt_err *err) {
  const unsigned char *p = der;
  if (!der || len == 0 || len > 64 * 1024)
    return kt_err_set(err, KT_EINVAL, "no certificate request data");
  X509_REQ *r = d2i_X509_REQ(NULL, &p, (long)len);
  if (!r || p != (const unsigned char *)der + len) {
    X509_REQ_free(r);
    ERR_clear_error();
    return kt_err_set(err, KT_EINVAL, "the certificate request is malformed");
  }
  *out = r;
  return 0;
}
