/* Unit tests for kt_tls: a client and a server session pumped against each
 * other in memory, with certificates made by kt_pki in a temporary folder;
 * a renewed server certificate reloaded into a live context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "kt_pki.h"
#include "kt_tls.h"

#define DEVICE_ID "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

typedef struct fx {
  char dir[64];
  char ca[128], srv_cert[128], srv_key[128], dev_cert[128], dev_key[128];
  char evil_ca[128], evil_cert[128], evil_key[128], evil_dev_cert[128], evil_dev_key[128];
  char ca_fpr[KT_PKI_FPR_HEX_MAX], evil_fpr[KT_PKI_FPR_HEX_MAX], dev_fpr[KT_PKI_FPR_HEX_MAX];
} fx;

static int make_pki(fx *f, const char *tag, char *ca_path, char *cert_path, char *key_path,
                    char *dcert_path, char *dkey_path, char *fpr, char *dev_fpr) {
  EVP_PKEY *ca_key = NULL, *srv_key = NULL, *dkey = NULL;
  X509 *ca = NULL, *srv = NULL, *dev = NULL;
  X509_REQ *csr = NULL;
  const char *names[] = {"localhost", "127.0.0.1"};
  char p_cakey[200];
  int rc = -1;
  sprintf(ca_path, "%s/%s-ca.pem", f->dir, tag);
  sprintf(cert_path, "%s/%s-server.pem", f->dir, tag);
  sprintf(key_path, "%s/%s-server.key", f->dir, tag);
  sprintf(dcert_path, "%s/%s-device.pem", f->dir, tag);
  sprintf(dkey_path, "%s/%s-device.key", f->dir, tag);
  if (kt_pki_ca_new("Kartoteka CA", 0, &ca_key, &ca, NULL) ||
      kt_pki_server_cert_new(ca_key, ca, "kartotekad", names, 2, 0, &srv_key, &srv, NULL) ||
      kt_pki_csr_new("Reception PC", &dkey, &csr, NULL) ||
      kt_pki_csr_sign(ca_key, ca, csr, DEVICE_ID, 0, &dev, NULL) ||
      kt_pki_cert_save_pem(ca_path, ca, NULL) || kt_pki_cert_save_pem(cert_path, srv, NULL) ||
      kt_pki_key_save_pem(strcat(strcpy(p_cakey, ca_path), ".key"), ca_key, NULL) ||
      kt_pki_key_save_pem(key_path, srv_key, NULL) ||
      kt_pki_cert_save_pem(dcert_path, dev, NULL) || kt_pki_key_save_pem(dkey_path, dkey, NULL) ||
      kt_pki_cert_fingerprint(ca, true, fpr, KT_PKI_FPR_HEX_MAX, NULL) ||
      (dev_fpr && kt_pki_cert_fingerprint(dev, true, dev_fpr, KT_PKI_FPR_HEX_MAX, NULL)))
    goto out;
  rc = 0;
out:
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(srv_key);
  EVP_PKEY_free(dkey);
  X509_free(ca);
  X509_free(srv);
  X509_free(dev);
  X509_REQ_free(csr);
  return rc;
}

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f) return -1;
  strcpy(f->dir, "/tmp/kt-tls-XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  if (make_pki(f, "good", f->ca, f->srv_cert, f->srv_key, f->dev_cert, f->dev_key, f->ca_fpr,
               f->dev_fpr) ||
      make_pki(f, "evil", f->evil_ca, f->evil_cert, f->evil_key, f->evil_dev_cert,
               f->evil_dev_key, f->evil_fpr, NULL))
    return -1;
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
  free(f);
  return 0;
}

/* One side of the in-memory wire. */
typedef struct side {
  kt_tls *t;
  kt_buf plain; /* plaintext received */
  int rc;       /* last result: 0 ok, 1 peer closed, < 0 error */
  kt_err err;
} side;

/* Moves ciphertext from a to b, then lets b process it. */
static void pass(side *a, side *b) {
  kt_buf wire = KT_BUF_INIT;
  assert_int_equal(kt_tls_take_cipher(a->t, &wire), 0);
  if (wire.len) assert_int_equal(kt_tls_feed_cipher(b->t, wire.p, wire.len, NULL), 0);
  if (b->rc >= 0) b->rc = kt_tls_read_plain(b->t, &b->plain, &b->err);
  kt_buf_free(&wire);
}

/* Pumps until nothing moves or a side fails. */
static void pump(side *c, side *s) {
  if (c->rc >= 0 && !kt_tls_handshake_done(c->t)) {
    int r = kt_tls_handshake(c->t, &c->err);
    if (r < 0) c->rc = r;
  }
  for (int i = 0; i < 50; i++) {
    if (kt_tls_cipher_pending(c->t) == 0 && kt_tls_cipher_pending(s->t) == 0) break;
    pass(c, s);
    pass(s, c);
  }
}

static void open_pair(kt_tls_ctx *cctx, kt_tls_ctx *sctx, const char *name, side *c, side *s) {
  memset(c, 0, sizeof *c);
  memset(s, 0, sizeof *s);
  assert_int_equal(kt_tls_new(cctx, name, &c->t, NULL), 0);
  assert_int_equal(kt_tls_new(sctx, NULL, &s->t, NULL), 0);
}

static void close_pair(side *c, side *s) {
  kt_tls_free(c->t);
  kt_tls_free(s->t);
  kt_buf_free(&c->plain);
  kt_buf_free(&s->plain);
}

static void test_mutual_tls_pinned(void **state) {
  fx *f = *state;
  kt_tls_ctx *sctx = NULL, *cctx = NULL;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_tls_ctx_new_server(f->srv_cert, f->srv_key, f->ca, true, &sctx, &err), 0);
  /* pin only, no CA file: as right after enrollment from an invite */
  assert_int_equal(kt_tls_ctx_new_client(NULL, f->ca_fpr, f->dev_cert, f->dev_key, &cctx, &err),
                   0);
  side c, s;
  open_pair(cctx, sctx, "localhost", &c, &s);
  /* written before the handshake: queued, then sent */
  assert_int_equal(kt_tls_write_plain(c.t, "hello server", 12, NULL), 0);
  pump(&c, &s);
  assert_int_equal(c.rc, 0);
  assert_int_equal(s.rc, 0);
  assert_true(kt_tls_handshake_done(c.t));
  assert_true(kt_tls_handshake_done(s.t));
  assert_string_equal(kt_tls_version(c.t), "TLSv1.3");
  assert_string_equal(kt_buf_str(&s.plain), "hello server");

  /* identity of the device, seen by the server */
  char cn[80], fpr[KT_PKI_FPR_HEX_MAX];
  assert_int_equal(kt_tls_peer_cn(s.t, cn, sizeof cn, NULL), 0);
  assert_string_equal(cn, DEVICE_ID);
  assert_int_equal(kt_tls_peer_cert_fingerprint(s.t, true, fpr, sizeof fpr, NULL), 0);
  assert_string_equal(fpr, f->dev_fpr);
  assert_int_equal(kt_tls_peer_cn(c.t, cn, sizeof cn, NULL), 0);
  assert_string_equal(cn, "kartotekad");

  /* data both ways, a large block too */
  size_t big = 3 * 1024 * 1024 + 7;
  char *blk = malloc(big);
  assert_non_null(blk);
  for (size_t i = 0; i < big; i++) blk[i] = (char)(i * 131 + 7);
  assert_int_equal(kt_tls_write_plain(s.t, blk, big, NULL), 0);
  assert_int_equal(kt_tls_write_plain(s.t, "!", 1, NULL), 0);
  pump(&c, &s);
  assert_int_equal(c.rc, 0);
  assert_int_equal(c.plain.len, big + 1);
  assert_memory_equal(c.plain.p, blk, big);
  kt_buf_reset(&s.plain);
  assert_int_equal(kt_tls_write_plain(c.t, "ping", 4, NULL), 0);
  pump(&c, &s);
  assert_string_equal(kt_buf_str(&s.plain), "ping");
  free(blk);

  /* clean close */
  assert_int_equal(kt_tls_shutdown(c.t, NULL), 0);
  pump(&c, &s);
  assert_int_equal(s.rc, 1);
  assert_int_not_equal(kt_tls_write_plain(c.t, "x", 1, NULL), 0);
  close_pair(&c, &s);
  kt_tls_ctx_free(cctx);
  kt_tls_ctx_free(sctx);
}

static void test_ca_file_and_names(void **state) {
  fx *f = *state;
  kt_tls_ctx *sctx = NULL, *cctx = NULL;
  assert_int_equal(kt_tls_ctx_new_server(f->srv_cert, f->srv_key, f->ca, true, &sctx, NULL), 0);
  /* CA file and the pin together */
  assert_int_equal(
      kt_tls_ctx_new_client(f->ca, f->ca_fpr, f->dev_cert, f->dev_key, &cctx, NULL), 0);
  side c, s;
  open_pair(cctx, sctx, "127.0.0.1", &c, &s);
  pump(&c, &s);
  assert_int_equal(c.rc, 0);
  assert_true(kt_tls_handshake_done(c.t));
  assert_true(kt_tls_handshake_done(s.t));
  close_pair(&c, &s);

  /* a name the certificate does not carry */
  open_pair(cctx, sctx, "crm.example.com", &c, &s);
  pump(&c, &s);
  assert_int_equal(c.rc, KT_ETLS);
  assert_non_null(strstr(c.err.msg, "not valid for 'crm.example.com'"));
  assert_false(kt_tls_handshake_done(c.t));
  assert_int_equal(s.rc, KT_ETLS); /* the server got the client's alert */
  assert_non_null(strstr(s.err.msg, "the device refused this server's certificate"));
  close_pair(&c, &s);
  kt_tls_ctx_free(cctx);

  /* CA file only; the server of another installation is refused */
  kt_tls_ctx *ectx = NULL;
  assert_int_equal(kt_tls_ctx_new_server(f->evil_cert, f->evil_key, f->evil_ca, false, &ectx,
                                         NULL),
                   0);
  assert_int_equal(kt_tls_ctx_new_client(f->ca, NULL, NULL, NULL, &cctx, NULL), 0);
  open_pair(cctx, ectx, "localhost", &c, &s);
  pump(&c, &s);
  assert_int_equal(c.rc, KT_ETLS);
  assert_non_null(strstr(c.err.msg, "not signed by this installation's CA"));
  close_pair(&c, &s);
  kt_tls_ctx_free(cctx);
  kt_tls_ctx_free(ectx);
  kt_tls_ctx_free(sctx);
}

static void test_pin_mismatch(void **state) {
  fx *f = *state;
  kt_tls_ctx *ectx = NULL, *cctx = NULL;
  /* a server with a different CA (a man in the middle, or the wrong server) */
  assert_int_equal(kt_tls_ctx_new_server(f->evil_cert, f->evil_key, f->evil_ca, false, &ectx,
                                         NULL),
                   0);
  assert_int_equal(kt_tls_ctx_new_client(NULL, f->ca_fpr, NULL, NULL, &cctx, NULL), 0);
  side c, s;
  open_pair(cctx, ectx, "localhost", &c, &s);
  pump(&c, &s);
  assert_int_equal(c.rc, KT_ETLS);
  assert_int_equal(c.err.code, KT_ETLS);
  assert_non_null(strstr(c.err.msg, "does not match the invite"));
  assert_non_null(strstr(c.err.msg, "ask your administrator for a new invite"));
  /* shows both fingerprints (abbreviated) */
  char got[48], want[48];
  snprintf(got, sizeof got, "fingerprint %.23s", f->evil_fpr);
  snprintf(want, sizeof want, "expected %.23s", f->ca_fpr);
  assert_non_null(strstr(c.err.msg, got));
  assert_non_null(strstr(c.err.msg, want));
  assert_false(kt_tls_handshake_done(c.t));
  /* later calls repeat the failure */
  kt_err e2;
  kt_err_clear(&e2);
  assert_int_equal(kt_tls_read_plain(c.t, &c.plain, &e2), KT_ETLS);
  assert_string_equal(e2.msg, c.err.msg);
  assert_int_equal(kt_tls_write_plain(c.t, "x", 1, NULL), KT_ETLS);
  close_pair(&c, &s);
  kt_tls_ctx_free(cctx);
  kt_tls_ctx_free(ectx);
}

static void test_client_cert_required(void **state) {
  fx *f = *state;
  kt_tls_ctx *sctx = NULL, *cctx = NULL;
  assert_int_equal(kt_tls_ctx_new_server(f->srv_cert, f->srv_key, f->ca, true, &sctx, NULL), 0);
  assert_int_equal(kt_tls_ctx_new_client(NULL, f->ca_fpr, NULL, NULL, &cctx, NULL), 0);
  side c, s;
  open_pair(cctx, sctx, "localhost", &c, &s);
  assert_int_equal(kt_tls_write_plain(c.t, "secret", 6, NULL), 0);
  pump(&c, &s);
  assert_int_equal(s.rc, KT_ETLS);
  assert_non_null(strstr(s.err.msg, "did not present a certificate"));
  assert_false(kt_tls_handshake_done(s.t));
  assert_int_equal(s.plain.len, 0);
  /* TLS 1.3: the client learns it from the server's alert */
  assert_int_equal(c.rc, KT_ETLS);
  assert_non_null(strstr(c.err.msg, "refused this device's certificate (tlsv13 alert "
                                    "certificate required)"));
  char fpr[KT_PKI_FPR_HEX_MAX];
  assert_int_equal(kt_tls_peer_cert_fingerprint(s.t, true, fpr, sizeof fpr, NULL), KT_ENOTFOUND);
  close_pair(&c, &s);
  kt_tls_ctx_free(cctx);

  /* a device certificate from another CA */
  assert_int_equal(
      kt_tls_ctx_new_client(NULL, f->ca_fpr, f->evil_dev_cert, f->evil_dev_key, &cctx, NULL), 0);
  open_pair(cctx, sctx, "localhost", &c, &s);
  pump(&c, &s);
  assert_int_equal(s.rc, KT_ETLS);
  assert_non_null(strstr(s.err.msg, "not issued by this server"));
  assert_int_equal(c.rc, KT_ETLS);
  close_pair(&c, &s);
  kt_tls_ctx_free(cctx);
  kt_tls_ctx_free(sctx);
}

static void test_enrollment_without_cert(void **state) {
  fx *f = *state;
  kt_tls_ctx *sctx = NULL, *cctx = NULL;
  assert_int_equal(kt_tls_ctx_new_server(f->srv_cert, f->srv_key, f->ca, false, &sctx, NULL), 0);
  assert_int_equal(kt_tls_ctx_new_client(NULL, f->ca_fpr, NULL, NULL, &cctx, NULL), 0);
  side c, s;
  open_pair(cctx, sctx, "127.0.0.1", &c, &s);
  assert_int_equal(kt_tls_write_plain(c.t, "enroll", 6, NULL), 0);
  pump(&c, &s);
  assert_int_equal(c.rc, 0);
  assert_int_equal(s.rc, 0);
  assert_string_equal(kt_buf_str(&s.plain), "enroll");
  char cn[80];
  assert_int_equal(kt_tls_peer_cn(s.t, cn, sizeof cn, NULL), KT_ENOTFOUND);
  assert_null(kt_tls_peer_cert_get(s.t));
  close_pair(&c, &s);
  kt_tls_ctx_free(cctx);
  kt_tls_ctx_free(sctx);
}

static void garbage_to_server(kt_tls_ctx *sctx, const void *data, size_t len) {
  kt_tls *t = NULL;
  assert_int_equal(kt_tls_new(sctx, NULL, &t, NULL), 0);
  assert_int_equal(kt_tls_feed_cipher(t, data, len, NULL), 0);
  kt_buf plain = KT_BUF_INIT;
  kt_err err;
  kt_err_clear(&err);
  int rc = kt_tls_read_plain(t, &plain, &err);
  assert_int_equal(rc, KT_ETLS);
  assert_int_equal(plain.len, 0);
  assert_true(strlen(err.msg) > 10);
  assert_non_null(strstr(err.msg, "not a Kartoteka client"));
  /* whatever it wants to send (an alert) can be taken; the session stays failed */
  kt_buf out = KT_BUF_INIT;
  assert_int_equal(kt_tls_take_cipher(t, &out), 0);
  assert_int_equal(kt_tls_handshake(t, NULL), KT_ETLS);
  kt_buf_free(&out);
  kt_buf_free(&plain);
  kt_tls_free(t);
}

static void test_garbage(void **state) {
  fx *f = *state;
  kt_tls_ctx *sctx = NULL;
  assert_int_equal(kt_tls_ctx_new_server(f->srv_cert, f->srv_key, f->ca, true, &sctx, NULL), 0);
  const char *http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  garbage_to_server(sctx, http, strlen(http));
  kt_tls *t = NULL;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_tls_new(sctx, NULL, &t, NULL), 0);
  assert_int_equal(kt_tls_feed_cipher(t, http, strlen(http), NULL), 0);
  assert_int_equal(kt_tls_handshake(t, &err), KT_ETLS);
  assert_non_null(strstr(err.msg, "did not speak TLS"));
  kt_tls_free(t);

  /* and the client talking to something that is not a TLS server */
  kt_tls_ctx *cctx = NULL;
  assert_int_equal(kt_tls_ctx_new_client(NULL, f->ca_fpr, NULL, NULL, &cctx, NULL), 0);
  assert_int_equal(kt_tls_new(cctx, "localhost", &t, NULL), 0);
  assert_int_equal(kt_tls_handshake(t, NULL), 0);
  const char *smtp = "220 mail.example.com ESMTP ready\r\n";
  assert_int_equal(kt_tls_feed_cipher(t, smtp, strlen(smtp), NULL), 0);
  kt_err_clear(&err);
  assert_int_equal(kt_tls_handshake(t, &err), KT_ETLS);
  assert_non_null(strstr(err.msg, "the server did not speak TLS"));
  kt_tls_free(t);
  kt_tls_ctx_free(cctx);

  unsigned char junk[4096];
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof junk; i++) {
    x = x * 1103515245u + 12345u;
    junk[i] = (unsigned char)(x >> 16);
  }
  garbage_to_server(sctx, junk, sizeof junk);
  /* a TLS record header announcing a handshake, then nonsense */
  unsigned char rec[64] = {0x16, 0x03, 0x01, 0x00, 0x3b, 0x01, 0x00, 0x00, 0x37};
  memset(rec + 9, 0xee, sizeof rec - 9);
  garbage_to_server(sctx, rec, sizeof rec);
  /* a frame of our own protocol sent without TLS */
  unsigned char frame[] = {0, 0, 0, 4, 0x92, 0x03, 0x00, 0x08};
  garbage_to_server(sctx, frame, sizeof frame);
  kt_tls_ctx_free(sctx);
}

/* A plain OpenSSL client limited to one protocol version against a kt_tls server. */
static int raw_client_version(kt_tls_ctx *sctx, int version, char *cipher, size_t csz) {
  SSL_CTX *cc = SSL_CTX_new(TLS_client_method());
  assert_non_null(cc);
  SSL_CTX_set_security_level(cc, 0);
  SSL_CTX_set_min_proto_version(cc, version);
  SSL_CTX_set_max_proto_version(cc, version);
  if (version < TLS1_2_VERSION) SSL_CTX_set_cipher_list(cc, "DEFAULT:@SECLEVEL=0");
  SSL *c = SSL_new(cc);
  BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(rb, -1);
  SSL_set_bio(c, rb, wb);
  SSL_set_connect_state(c);
  kt_tls *s = NULL;
  assert_int_equal(kt_tls_new(sctx, NULL, &s, NULL), 0);
  kt_buf plain = KT_BUF_INIT, wire = KT_BUF_INIT;
  int srv = 0, cli = 0;
  for (int i = 0; i < 20 && srv >= 0; i++) {
    cli = SSL_do_handshake(c);
    char tmp[16384];
    int n;
    while ((n = BIO_read(wb, tmp, sizeof tmp)) > 0) kt_tls_feed_cipher(s, tmp, (size_t)n, NULL);
    srv = kt_tls_read_plain(s, &plain, NULL);
    kt_buf_reset(&wire);
    kt_tls_take_cipher(s, &wire);
    if (wire.len) BIO_write(rb, wire.p, (int)wire.len);
    if (cli == 1 && kt_tls_handshake_done(s)) break;
  }
  int ok = cli == 1 && kt_tls_handshake_done(s);
  if (ok) snprintf(cipher, csz, "%s %s", kt_tls_version(s), kt_tls_cipher(s));
  kt_tls_free(s);
  SSL_free(c);
  SSL_CTX_free(cc);
  kt_buf_free(&plain);
  kt_buf_free(&wire);
  ERR_clear_error();
  return ok;
}

static void test_protocol_versions(void **state) {
  fx *f = *state;
  kt_tls_ctx *sctx = NULL;
  assert_int_equal(kt_tls_ctx_new_server(f->srv_cert, f->srv_key, f->ca, false, &sctx, NULL), 0);
  char desc[128] = "";
  assert_true(raw_client_version(sctx, TLS1_3_VERSION, desc, sizeof desc));
  assert_non_null(strstr(desc, "TLSv1.3"));
  assert_true(raw_client_version(sctx, TLS1_2_VERSION, desc, sizeof desc));
  assert_non_null(strstr(desc, "TLSv1.2 ECDHE-ECDSA-"));
  assert_non_null(strstr(desc, "GCM") ? desc : strstr(desc, "CHACHA20"));
  assert_false(raw_client_version(sctx, TLS1_1_VERSION, desc, sizeof desc));
  assert_false(raw_client_version(sctx, TLS1_VERSION, desc, sizeof desc));
  kt_tls_ctx_free(sctx);
}

static void test_ctx_errors(void **state) {
  fx *f = *state;
  kt_tls_ctx *c = NULL;
  kt_err err;
  kt_err_clear(&err);
  char missing[128];
  snprintf(missing, sizeof missing, "%s/missing.pem", f->dir);
  assert_int_equal(kt_tls_ctx_new_server(missing, f->srv_key, f->ca, true, &c, &err),
                   KT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "missing.pem"));
  assert_int_equal(kt_tls_ctx_new_server(f->srv_cert, f->evil_key, f->ca, true, &c, &err),
                   KT_EINVAL);
  assert_non_null(strstr(err.msg, "does not belong"));
  assert_int_equal(kt_tls_ctx_new_server(f->srv_cert, f->srv_key, NULL, true, &c, &err),
                   KT_EINVAL);
  assert_int_equal(kt_tls_ctx_new_client(NULL, NULL, NULL, NULL, &c, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "fingerprint"));
  assert_int_equal(kt_tls_ctx_new_client(NULL, "12:34", NULL, NULL, &c, &err), KT_EINVAL);
  assert_int_equal(kt_tls_ctx_new_client(NULL, f->ca_fpr, f->dev_cert, NULL, &c, &err),
                   KT_EINVAL);
  assert_null(c);
  kt_tls_ctx_free(NULL);
  kt_tls_free(NULL);
}

/* One full handshake with data both ways; returns the session the client
 * got (PEM) in sess (reset first) when the server issued one. */
static void connect_once(kt_tls_ctx *cctx, kt_tls_ctx *sctx, const kt_buf *offer, bool *resumed,
                         char *srv_fpr, kt_buf *sess) {
  side c, s;
  open_pair(cctx, sctx, "localhost", &c, &s);
  if (offer && offer->len) assert_int_equal(kt_tls_session_offer(c.t, offer->p, offer->len, NULL), 0);
  assert_int_equal(kt_tls_write_plain(c.t, "hello", 5, NULL), 0);
  pump(&c, &s);
  assert_int_equal(c.rc, 0);
  assert_int_equal(s.rc, 0);
  assert_string_equal(kt_buf_str(&s.plain), "hello");
  assert_int_equal(kt_tls_write_plain(s.t, "ok", 2, NULL), 0);
  pump(&c, &s);
  assert_string_equal(kt_buf_str(&c.plain), "ok");
  *resumed = kt_tls_session_resumed(c.t);
  assert_int_equal(kt_tls_session_resumed(s.t), *resumed);
  /* the device is known after a resumption too: the session keeps its certificate */
  assert_int_equal(kt_tls_peer_cert_fingerprint(s.t, true, srv_fpr, KT_PKI_FPR_HEX_MAX, NULL), 0);
  kt_buf_reset(sess);
  if (kt_tls_session_take(c.t, sess) == 0) {
    assert_non_null(strstr(kt_buf_str(sess), "BEGIN SSL SESSION PARAMETERS"));
    kt_buf tmp = KT_BUF_INIT; /* taken once */
    assert_int_equal(kt_tls_session_take(c.t, &tmp), KT_ENOTFOUND);
  }
  close_pair(&c, &s);
}

static void test_resumption(void **state) {
  fx *f = *state;
  kt_tls_ctx *sctx = NULL, *plain = NULL, *cctx = NULL;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_tls_ctx_new_server(f->srv_cert, f->srv_key, f->ca, true, &sctx, NULL), 0);
  assert_int_equal(kt_tls_ctx_set_resumption(sctx, 3600, 100, &err), 0);
  assert_int_equal(kt_tls_ctx_new_server(f->srv_cert, f->srv_key, f->ca, true, &plain, NULL), 0);
  assert_int_equal(kt_tls_ctx_new_client(f->ca, NULL, f->dev_cert, f->dev_key, &cctx, NULL), 0);
  assert_int_equal(kt_tls_ctx_set_resumption(cctx, 3600, 100, &err), KT_EINVAL);
  kt_buf s1 = KT_BUF_INIT, s2 = KT_BUF_INIT, s3 = KT_BUF_INIT;
  bool resumed;
  char fpr[KT_PKI_FPR_HEX_MAX];

  /* full handshake: the server issues a ticket */
  connect_once(cctx, sctx, NULL, &resumed, fpr, &s1);
  assert_false(resumed);
  assert_string_equal(fpr, f->dev_fpr);
  assert_true(s1.len > 0);
  /* offered: resumed, same device; no new ticket, the old one stays good */
  connect_once(cctx, sctx, &s1, &resumed, fpr, &s2);
  assert_true(resumed);
  assert_string_equal(fpr, f->dev_fpr);
  assert_int_equal(s2.len, 0);
  connect_once(cctx, sctx, &s1, &resumed, fpr, &s3);
  assert_true(resumed);
  assert_int_equal(s3.len, 0);
  /* a dropped session (the server refused the device) no longer resumes */
  side c, s;
  open_pair(cctx, sctx, "localhost", &c, &s);
  kt_tls_session_offer(c.t, s1.p, s1.len, NULL);
  pump(&c, &s);
  assert_true(kt_tls_session_resumed(s.t));
  kt_tls_session_drop(s.t);
  close_pair(&c, &s);
  kt_buf_reset(&s3);
  kt_buf_append(&s3, s1.p, s1.len);
  connect_once(cctx, sctx, &s3, &resumed, fpr, &s2);
  assert_false(resumed);
  assert_true(s2.len > 0);
  /* a server that does not resume (or was restarted) just makes a full handshake,
     and issues no ticket */
  connect_once(cctx, plain, &s3, &resumed, fpr, &s2);
  assert_false(resumed);
  assert_int_equal(s2.len, 0);
  /* garbage is refused and not offered */
  open_pair(cctx, sctx, "localhost", &c, &s);
  assert_int_equal(kt_tls_session_offer(c.t, "nonsense", 8, &err), KT_EINVAL);
  pump(&c, &s);
  assert_true(kt_tls_handshake_done(s.t));
  assert_false(kt_tls_session_resumed(s.t));
  close_pair(&c, &s);
  kt_buf_free(&s1);
  kt_buf_free(&s2);
  kt_buf_free(&s3);
  kt_tls_ctx_free(cctx);
  kt_tls_ctx_free(plain);
  kt_tls_ctx_free(sctx);
}

/* A renewed server certificate (kt_pki_server_cert_renew: same names, new
 * key) is presented by new handshakes after kt_tls_ctx_reload_cert; a session
 * made before keeps the old one; unusable files change nothing. */
static void test_reload_cert(void **state) {
  fx *f = *state;
  char cakey[200], crt2[200], key2[200];
  snprintf(cakey, sizeof cakey, "%s.key", f->ca);
  snprintf(crt2, sizeof crt2, "%s/renewed.pem", f->dir);
  snprintf(key2, sizeof key2, "%s/renewed.key", f->dir);
  EVP_PKEY *ca_key = NULL, *k2 = NULL;
  X509 *ca = NULL, *old = NULL, *x2 = NULL;
  assert_int_equal(kt_pki_key_load_pem(cakey, &ca_key, NULL), 0);
  assert_int_equal(kt_pki_cert_load_pem(f->ca, &ca, NULL), 0);
  assert_int_equal(kt_pki_cert_load_pem(f->srv_cert, &old, NULL), 0);
  assert_int_equal(kt_pki_server_cert_renew(ca_key, ca, old, &k2, &x2, NULL), 0);
  assert_int_equal(kt_pki_cert_verify(x2, ca, NULL), 0);
  assert_int_equal(kt_pki_cert_save_pem(crt2, x2, NULL), 0);
  assert_int_equal(kt_pki_key_save_pem(key2, k2, NULL), 0);
  char fold[KT_PKI_FPR_HEX_MAX], fnew[KT_PKI_FPR_HEX_MAX], got[KT_PKI_FPR_HEX_MAX];
  char cn[80];
  assert_int_equal(kt_pki_cert_fingerprint(old, true, fold, sizeof fold, NULL), 0);
  assert_int_equal(kt_pki_cert_fingerprint(x2, true, fnew, sizeof fnew, NULL), 0);
  assert_string_not_equal(fold, fnew);
  assert_int_equal(kt_pki_cert_cn(x2, cn, sizeof cn, NULL), 0);
  assert_string_equal(cn, "kartotekad");

  kt_tls_ctx *sctx = NULL, *cctx = NULL;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(kt_tls_ctx_new_server(f->srv_cert, f->srv_key, f->ca, true, &sctx, NULL), 0);
  assert_int_equal(kt_tls_ctx_new_client(f->ca, f->ca_fpr, f->dev_cert, f->dev_key, &cctx, NULL),
                   0);
  side c, s, c0, s0;
  open_pair(cctx, sctx, "127.0.0.1", &c0, &s0); /* made before the reload */
  /* a key that is not the certificate's: refused, nothing changes */
  assert_int_equal(kt_tls_ctx_reload_cert(sctx, crt2, f->srv_key, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "does not belong"));
  assert_int_equal(kt_tls_ctx_reload_cert(sctx, "/nonexistent.pem", key2, &err), KT_ENOTFOUND);
  open_pair(cctx, sctx, "127.0.0.1", &c, &s);
  pump(&c, &s);
  assert_true(kt_tls_handshake_done(c.t));
  assert_int_equal(kt_tls_peer_cert_fingerprint(c.t, true, got, sizeof got, NULL), 0);
  assert_string_equal(got, fold);
  close_pair(&c, &s);
  /* the renewed pair: new handshakes present it (the CA still travels, the pin holds) */
  assert_int_equal(kt_tls_ctx_reload_cert(sctx, crt2, key2, &err), 0);
  open_pair(cctx, sctx, "127.0.0.1", &c, &s);
  pump(&c, &s);
  assert_int_equal(c.rc, 0);
  assert_true(kt_tls_handshake_done(c.t));
  assert_true(kt_tls_handshake_done(s.t));
  assert_int_equal(kt_tls_peer_cert_fingerprint(c.t, true, got, sizeof got, NULL), 0);
  assert_string_equal(got, fnew);
  close_pair(&c, &s);
  kt_tls_ctx *pctx = NULL; /* pinned only, as right after enrollment */
  assert_int_equal(kt_tls_ctx_new_client(NULL, f->ca_fpr, f->dev_cert, f->dev_key, &pctx, NULL),
                   0);
  open_pair(pctx, sctx, "localhost", &c, &s);
  pump(&c, &s);
  assert_true(kt_tls_handshake_done(c.t));
  close_pair(&c, &s);
  kt_tls_ctx_free(pctx);
  /* the session made before the reload keeps the old certificate */
  pump(&c0, &s0);
  assert_true(kt_tls_handshake_done(c0.t));
  assert_int_equal(kt_tls_peer_cert_fingerprint(c0.t, true, got, sizeof got, NULL), 0);
  assert_string_equal(got, fold);
  close_pair(&c0, &s0);
  kt_tls_ctx_free(cctx);
  kt_tls_ctx_free(sctx);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(k2);
  X509_free(ca);
  X509_free(old);
  X509_free(x2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mutual_tls_pinned),    cmocka_unit_test(test_ca_file_and_names),
      cmocka_unit_test(test_pin_mismatch),         cmocka_unit_test(test_client_cert_required),
      cmocka_unit_test(test_enrollment_without_cert), cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_protocol_versions),    cmocka_unit_test(test_ctx_errors),
      cmocka_unit_test(test_resumption),           cmocka_unit_test(test_reload_cert),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
