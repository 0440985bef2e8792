/* kt_pki — the private certificate authority of a Kartoteka installation
 * (OpenSSL 3 EVP APIs): the CA (EC P-256, self-signed, 10 years), the server
 * certificate with SubjectAltNames, device keys and CSRs, signing a CSR into a
 * device certificate (CN = device id chosen by the CA side, random serial),
 * SHA-256 fingerprints, and PEM/DER load/save; renewal of server
 * certificates (same names, new key) and the dates renewal goes by.
 * Users: `kartotekad init` / enrollment on the server, `kartoteka connect` on
 * the client, kt_tls for peer fingerprints. Private keys are written with mode
 * 0600, every file atomically (temp + fsync + rename + fsync of the folder).
 * No global state; safe from any thread (OpenSSL 3 is thread-safe). Objects
 * returned through out-params are owned by the caller (EVP_PKEY_free,
 * X509_free, X509_REQ_free). */
#ifndef KT_PKI_H
#define KT_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "kt_buf.h"
#include "kt_err.h"

#define KT_PKI_FPR_LEN 32      /* SHA-256 */
#define KT_PKI_FPR_HEX_MAX 96  /* "AB:CD:…" 95 chars + NUL; plain hex needs 65 */
#define KT_PKI_CA_DAYS 3650
#define KT_PKI_CERT_DAYS 825   /* server and device certificates (KT_TEST_CERT_SECONDS) */
#define KT_PKI_NAME_MAX 64     /* longest CN accepted, characters (X.509 upper bound) */
#define KT_PKI_CN_BUF 257      /* buffer that always fits a CN we issue (64 x 4 bytes) */

/* The lifetime of a new server or device certificate in seconds:
 * KT_PKI_CERT_DAYS, or — FOR TESTS ONLY — the value of the environment
 * variable KT_TEST_CERT_SECONDS when it is set to a positive number (tests of
 * renewal use certificates that live seconds). Certificates start
 * min(5 minutes, a tenth of their life) in the past, so PCs whose clock is a
 * little behind accept them at once (the whole validity is this lifetime), and
 * never outlive the CA that signs them. */
long kt_pki_cert_lifetime_s(void);

/* The validity of cert in milliseconds since the epoch. 0 or KT_EINVAL. */
int kt_pki_cert_validity(X509 *cert, int64_t *not_before_ms, int64_t *not_after_ms, kt_err *err);

/* When cert is due for renewal: two thirds into its validity (ms since the
 * epoch; 0 when its dates cannot be read). Server and device certificates are
 * renewed from then on, a third of their life before they expire. */
int64_t kt_pki_cert_renew_at_ms(X509 *cert);

/* New EC P-256 private key into *out. 0, KT_ENOMEM or KT_EINTERNAL. */
int kt_pki_key_new(EVP_PKEY **out, kt_err *err);

/* Self-signed CA: CN = cn (e.g. "Kartoteka CA office-1"), basicConstraints
 * CA:TRUE pathlen 0, keyUsage keyCertSign+cRLSign, valid `days` (0 =
 * KT_PKI_CA_DAYS) from 5 minutes ago. New key and cert into the out-params
 * (set only on success). KT_EINVAL for an empty/too long cn. */
int kt_pki_ca_new(const char *cn, int days, EVP_PKEY **key_out, X509 **cert_out, kt_err *err);

/* Server certificate signed by the CA, with a new key: CN = cn, SANs from
 * names[0..n) — each a DNS name ("localhost", "crm.office.lan") or an IPv4/
 * IPv6 literal ("127.0.0.1", "::1"), detected automatically; EKU serverAuth.
 * days 0 = kt_pki_cert_lifetime_s(). KT_EINVAL for no names or a name that is neither
 * a DNS name nor an IP address. */
int kt_pki_server_cert_new(EVP_PKEY *ca_key, X509 *ca_cert, const char *cn,
                           const char *const *names, size_t n, int days, EVP_PKEY **key_out,
                           X509 **cert_out, kt_err *err);

/* A renewed server certificate: a new key, the CN and SubjectAltNames of
 * old (so the PCs reach it under the same names), signed by the CA, a full
 * lifetime (kt_pki_cert_lifetime_s). Out-params set only on success. */
int kt_pki_server_cert_renew(EVP_PKEY *ca_key, X509 *ca_cert, X509 *old, EVP_PKEY **key_out,
                             X509 **cert_out, kt_err *err);

/* Device key + CSR signed by it, subject CN = device_name (UTF-8, 1..64
 * characters). Out-params set only on success. */
int kt_pki_csr_new(const char *device_name, EVP_PKEY **key_out, X509_REQ **csr_out,
                   kt_err *err);
/* A CSR for an existing key (certificate renewal keeps the device key). */
int kt_pki_csr_for_key(EVP_PKEY *key, const char *device_name, X509_REQ **csr_out, kt_err *err);

/* Signs a CSR into a device certificate. The CSR's own signature must verify
 * and its key must be EC P-256/P-384 or RSA >= 2048 bits; its subject is
 * ignored: the certificate's CN = device_id (chosen by the CA side), serial =
 * 128 random bits, EKU clientAuth, CA:FALSE. days 0 = kt_pki_cert_lifetime_s().
 * KT_EINVAL for a bad CSR, with a message for the enrolling user. */
int kt_pki_csr_sign(EVP_PKEY *ca_key, X509 *ca_cert, X509_REQ *csr, const char *device_id,
                    int days, X509 **cert_out, kt_err *err);

/* Checks that cert was issued by ca (signature, validity now, CA constraints).
 * 0, KT_EEXPIRED, or KT_ETLS with the reason. */
int kt_pki_cert_verify(X509 *cert, X509 *ca, kt_err *err);

/* SHA-256 of the DER encoding into out[32]. 0 or KT_EINTERNAL. */
int kt_pki_cert_fingerprint_raw(X509 *cert, unsigned char out[KT_PKI_FPR_LEN], kt_err *err);

/* Formats a raw fingerprint as uppercase hex, "AB:CD:…" when colons, else
 * "ABCD…". outsz must be >= KT_PKI_FPR_HEX_MAX (or 65 without colons). */
int kt_pki_fingerprint_format(const unsigned char fpr[KT_PKI_FPR_LEN], bool colons, char *out,
                              size_t outsz, kt_err *err);

/* kt_pki_cert_fingerprint_raw + kt_pki_fingerprint_format. */
int kt_pki_cert_fingerprint(X509 *cert, bool colons, char *out, size_t outsz, kt_err *err);

/* Parses 64 hex digits, with or without colons/spaces, any case, into out.
 * KT_EINVAL otherwise. */
int kt_pki_fingerprint_parse(const char *hex, unsigned char out[KT_PKI_FPR_LEN], kt_err *err);

/* Subject CN of a certificate / CSR into out (NUL-terminated). KT_ENOTFOUND
 * without a CN, KT_EINVAL when it does not fit or is not valid UTF-8. */
int kt_pki_cert_cn(X509 *cert, char *out, size_t outsz, kt_err *err);
int kt_pki_csr_cn(X509_REQ *csr, char *out, size_t outsz, kt_err *err);

/* Serial number as uppercase hex into out (outsz >= 41 is enough for ours). */
int kt_pki_cert_serial_hex(X509 *cert, char *out, size_t outsz, kt_err *err);

/* ---- files and encodings ------------------------------------------------- */

/* Atomically writes a PEM certificate (mode 0644) / private key (mode 0600,
 * unencrypted PKCS#8). KT_EIO with the path and errno text. */
int kt_pki_cert_save_pem(const char *path, X509 *cert, kt_err *err);
int kt_pki_key_save_pem(const char *path, EVP_PKEY *key, kt_err *err);

/* Loads the first certificate / the private key of a PEM file. KT_ENOTFOUND
 * when missing, KT_EINVAL when the file holds no such PEM object. */
int kt_pki_cert_load_pem(const char *path, X509 **out, kt_err *err);
int kt_pki_key_load_pem(const char *path, EVP_PKEY **out, kt_err *err);

/* DER/PEM encodings appended to out (KT_ENOMEM) and parsed from memory
 * (KT_EINVAL for bytes that are not one complete object). */
int kt_pki_cert_to_der(X509 *cert, kt_buf *out, kt_err *err);
int kt_pki_cert_from_der(const void *der, size_t len, X509 **out, kt_err *err);
int kt_pki_cert_to_pem(X509 *cert, kt_buf *out, kt_err *err);
int kt_pki_csr_to_der(X509_REQ *csr, kt_buf *out, kt_err *err);
int kt_pki_csr_from_der(const void *der, size_t len, X509_REQ **out, kt_err *err);

/* Writes len bytes to path atomically: temp file in the same folder created
 * with `mode`, write, fsync, rename, fsync of the folder. KT_EIO on failure
 * (the temp file is removed). Used for keys, certificates and invites. */
int kt_pki_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                             kt_err *err);

#endif
