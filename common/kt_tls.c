/* kt_tls — see kt_tls.h.
 *
 * rbio receives the peer's ciphertext (kt_tls_feed_cipher writes into it);
 * wbio collects ours (kt_tls_take_cipher drains it). Both are memory BIOs, so
 * OpenSSL never blocks: it answers "want read" when it needs more input.
 * Certificate checks run in our own verify callbacks so the user gets one
 * message that says what failed and what to do, instead of an OpenSSL reason. */
#include "kt_tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* TLS 1.2: ECDHE + AEAD only. TLS 1.3 suites are all AEAD. */
#define CIPHERS_12                                                                     \
  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-" \
  "SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-"  \
  "SHA256"
#define CIPHERS_13 "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
#define GROUPS "X25519:P-256:P-384"
#define READ_CHUNK 16384
#define WRITE_CHUNK (1024 * 1024)

struct kt_tls_ctx {
  SSL_CTX *ssl;
  bool server;
  bool has_ca;  /* client: a CA file is loaded */
  bool has_pin; /* client: CA fingerprint to match */
  bool resume;  /* server: sessions are cached for resumption */
  unsigned char pin[KT_PKI_FPR_LEN];
};

struct kt_tls {
  SSL *ssl;
  BIO *rbio, *wbio;
  bool server, has_ca, has_pin, resume, done, shut;
  unsigned char pin[KT_PKI_FPR_LEN];
  int failed;                /* sticky KT_E* code */
  char msg[KT_ERR_MSG_MAX];  /* message of the failure, repeated on later calls */
  char verify_msg[384];      /* set by the verify callbacks */
  STACK_OF(X509) *trust_sk;  /* pin mode: the pinned CA as the only trust anchor */
  kt_buf pending;            /* plaintext written before the handshake completed */
  SSL_SESSION *new_sess;     /* client: the newest session the server issued */
  char server_name[256];
};

/* ---- contexts ------------------------------------------------------------ */

static int ossl_fail(kt_err *err, int code, const char *what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "";
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  if (buf[0]) return kt_err_set(err, code, "%s (%s)", what, buf);
  return kt_err_set(err, code, "%s", what);
}

static int ctx_common(SSL_CTX *c, kt_err *err) {
  if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(c, CIPHERS_12) != 1 || SSL_CTX_set_ciphersuites(c, CIPHERS_13) != 1 ||
      SSL_CTX_set1_groups_list(c, GROUPS) != 1)
    return ossl_fail(err, KT_ETLS, "cannot configure TLS");
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_num_tickets(c, 0);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_get_security_level(c) < 2) SSL_CTX_set_security_level(c, 2);
  return 0;
}

/* Loads a certificate (chain) file and its key into c, with clear errors. */
static int ctx_load_pair(SSL_CTX *c, const char *cert_path, const char *key_path, kt_err *err) {
  X509 *x = NULL;
  EVP_PKEY *k = NULL;
  int rc = kt_pki_cert_load_pem(cert_path, &x, err);
  if (rc) return rc;
  X509_free(x);
  if ((rc = kt_pki_key_load_pem(key_path, &k, err))) return rc;
  if (SSL_CTX_use_certificate_chain_file(c, cert_path) != 1) {
    EVP_PKEY_free(k);
    return ossl_fail(err, KT_EINVAL, "cannot use the certificate file");
  }
  int ok = SSL_CTX_use_PrivateKey(c, k);
  EVP_PKEY_free(k);
  if (ok != 1 || SSL_CTX_check_private_key(c) != 1) {
    ERR_clear_error();
    return kt_err_set(err, KT_EINVAL, "the key in %s does not belong to the certificate in %s",
                      key_path, cert_path);
  }
  return 0;
}

static int ctx_alloc(bool server, kt_tls_ctx **out, kt_err *err) {
  kt_tls_ctx *c = calloc(1, sizeof *c);
  if (!c) return kt_err_set(err, KT_ENOMEM, "out of memory");
  c->server = server;
  c->ssl = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!c->ssl) {
    free(c);
    return ossl_fail(err, KT_ETLS, "cannot create a TLS context");
  }
  int rc = ctx_common(c->ssl, err);
  if (rc) {
    kt_tls_ctx_free(c);
    return rc;
  }
  /* a server has thousands of idle connections: no buffers while idle; a
     client has one busy connection, where freeing and reallocating the read
     buffer for every record cost a tenth of a big pull's CPU time */
  if (server) SSL_CTX_set_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS);
  *out = c;
  return 0;
}

/* Client: takes the session of each ticket the server sends. */
static int on_new_session(SSL *ssl, SSL_SESSION *sess) {
  kt_tls *t = SSL_get_app_data(ssl);
  if (!t || !SSL_SESSION_is_resumable(sess)) return 0;
  SSL_SESSION_free(t->new_sess);
  t->new_sess = sess;
  return 1; /* we keep the reference */
}

int kt_tls_ctx_set_resumption(kt_tls_ctx *ctx, unsigned lifetime_s, unsigned max_sessions,
                              kt_err *err) {
  if (!ctx || !ctx->server)
    return kt_err_set(err, KT_EINVAL, "resumption is set on the server's context");
  static const unsigned char sid_ctx[] = "kartotekad";
  /* SSL_OP_NO_TICKET (ctx_common) stays: with TLS 1.3 the server then issues
     stateful tickets (the ticket is the key of a session in this cache).
     Tickets are reusable until the lifetime ends, so one is issued after each
     full handshake only (kt_tls_handshake), not after resumptions: one cache
     entry per device and lifetime, however often it reconnects. */
  if (SSL_CTX_set_session_id_context(ctx->ssl, sid_ctx, sizeof sid_ctx - 1) != 1)
    return ossl_fail(err, KT_ETLS, "cannot configure session resumption");
  SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx->ssl, max_sessions ? max_sessions : 1);
  SSL_CTX_set_timeout(ctx->ssl, lifetime_s ? lifetime_s : 1);
  ctx->resume = true;
  return 0;
}

int kt_tls_ctx_reload_cert(kt_tls_ctx *ctx, const char *cert_pem_path, const char *key_pem_path,
                           kt_err *err) {
  if (!ctx || !ctx->server) return kt_err_set(err, KT_EINVAL, "not a server context");
  X509 *x = NULL;
  EVP_PKEY *k = NULL;
  int rc = kt_pki_cert_load_pem(cert_pem_path, &x, err);
  if (!rc) rc = kt_pki_key_load_pem(key_pem_path, &k, err);
  if (!rc && X509_check_private_key(x, k) != 1)
    rc = kt_err_set(err, KT_EINVAL, "the key in %s does not belong to the certificate in %s",
                    key_pem_path, cert_pem_path);
  if (!rc) {
    STACK_OF(X509) *chain = NULL;
    SSL_CTX_get0_chain_certs(ctx->ssl, &chain); /* the CA, sent for pinning */
    STACK_OF(X509) *copy = chain ? X509_chain_up_ref(chain) : NULL;
    if ((chain && !copy) || SSL_CTX_use_cert_and_key(ctx->ssl, x, k, copy, 1) != 1)
      rc = ossl_fail(err, KT_ETLS, "cannot use the renewed server certificate");
    sk_X509_pop_free(copy, X509_free);
  }
  ERR_clear_error();
  X509_free(x);
  EVP_PKEY_free(k);
  return rc;
}

void kt_tls_ctx_free(kt_tls_ctx *ctx) {
  if (!ctx) return;
  SSL_CTX_free(ctx->ssl);
  free(ctx);
}

static int server_verify_cb(int ok, X509_STORE_CTX *sctx);
static int client_verify_cb(X509_STORE_CTX *sctx, void *arg);

int kt_tls_ctx_new_server(const char *cert_pem_path, const char *key_pem_path,
                          const char *ca_pem_path, bool require_client_cert, kt_tls_ctx **out,
                          kt_err *err) {
  if (!cert_pem_path || !key_pem_path)
    return kt_err_set(err, KT_EINVAL, "the server needs a certificate and a key file");
  if (require_client_cert && !ca_pem_path)
    return kt_err_set(err, KT_EINVAL, "client certificates cannot be required without a CA");
  kt_tls_ctx *c = NULL;
  int rc = ctx_alloc(true, &c, err);
  if (rc) return rc;
  if ((rc = ctx_load_pair(c->ssl, cert_pem_path, key_pem_path, err))) goto fail;
  if (ca_pem_path) {
    X509 *ca = NULL;
    if ((rc = kt_pki_cert_load_pem(ca_pem_path, &ca, err))) goto fail;
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_pem_path);
    if (SSL_CTX_load_verify_locations(c->ssl, ca_pem_path, NULL) != 1 || !names) {
      sk_X509_NAME_pop_free(names, X509_NAME_free);
      X509_free(ca);
      rc = ossl_fail(err, KT_EINVAL, "cannot use the CA file");
      goto fail;
    }
    SSL_CTX_set_client_CA_list(c->ssl, names);
    /* send the CA with our certificate so an enrolling client can pin it */
    STACK_OF(X509) *chain = NULL;
    SSL_CTX_get0_chain_certs(c->ssl, &chain);
    bool have = X509_cmp(SSL_CTX_get0_certificate(c->ssl), ca) == 0;
    for (int i = 0; chain && i < sk_X509_num(chain); i++)
      if (X509_cmp(sk_X509_value(chain, i), ca) == 0) have = true;
    if (!have && SSL_CTX_add1_chain_cert(c->ssl, ca) != 1) {
      X509_free(ca);
      rc = ossl_fail(err, KT_ETLS, "cannot add the CA to the certificate chain");
      goto fail;
    }
    X509_free(ca);
    SSL_CTX_set_verify(c->ssl,
                       SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE |
                           (require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       server_verify_cb);
  } else {
    SSL_CTX_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
  }
  *out = c;
  return 0;
fail:
  kt_tls_ctx_free(c);
  return rc;
}

int kt_tls_ctx_new_client(const char *ca_pem_path, const char *expect_ca_fpr_hex,
                          const char *client_cert_pem, const char *client_key_pem,
                          kt_tls_ctx **out, kt_err *err) {
  if (!ca_pem_path && !expect_ca_fpr_hex)
    return kt_err_set(err, KT_EINVAL,
                      "cannot check the server: no CA file and no CA fingerprint (invite)");
  if (!client_cert_pem != !client_key_pem)
    return kt_err_set(err, KT_EINVAL, "the device certificate and key go together");
  unsigned char pin[KT_PKI_FPR_LEN];
  int rc;
  if (expect_ca_fpr_hex && (rc = kt_pki_fingerprint_parse(expect_ca_fpr_hex, pin, err)))
    return rc;
  kt_tls_ctx *c = NULL;
  if ((rc = ctx_alloc(false, &c, err))) return rc;
  if (expect_ca_fpr_hex) {
    c->has_pin = true;
    memcpy(c->pin, pin, sizeof pin);
  }
  if (ca_pem_path) {
    X509 *ca = NULL;
    if ((rc = kt_pki_cert_load_pem(ca_pem_path, &ca, err))) goto fail;
    X509_free(ca);
    if (SSL_CTX_load_verify_locations(c->ssl, ca_pem_path, NULL) != 1) {
      rc = ossl_fail(err, KT_EINVAL, "cannot use the CA file");
      goto fail;
    }
    c->has_ca = true;
  }
  if (client_cert_pem && (rc = ctx_load_pair(c->ssl, client_cert_pem, client_key_pem, err)))
    goto fail;
  SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
  SSL_CTX_set_cert_verify_callback(c->ssl, client_verify_cb, NULL);
  /* sessions the server issues are handed to the caller (kt_tls_session_take),
     never cached here */
  SSL_CTX_set_session_cache_mode(c->ssl, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(c->ssl, on_new_session);
  /* a client with SSL_OP_NO_TICKET would not offer its TLS 1.3 session */
  SSL_CTX_clear_options(c->ssl, SSL_OP_NO_TICKET);
  *out = c;
  return 0;
fail:
  kt_tls_ctx_free(c);
  return rc;
}

/* ---- verification -------------------------------------------------------- */

static kt_tls *tls_of_store(X509_STORE_CTX *sctx) {
  SSL *ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
  return ssl ? SSL_get_app_data(ssl) : NULL;
}

static void short_fpr(const unsigned char f[KT_PKI_FPR_LEN], char out[32]) {
  static const char hx[] = "0123456789ABCDEF";
  char *p = out;
  for (int i = 0; i < 8; i++) {
    if (i) *p++ = ':';
    *p++ = hx[f[i] >> 4];
    *p++ = hx[f[i] & 15];
  }
  strcpy(p, "\xe2\x80\xa6"); /* … */
}

/* Server: records why a device certificate was refused. */
static int server_verify_cb(int ok, X509_STORE_CTX *sctx) {
  if (ok) return 1;
  kt_tls *t = tls_of_store(sctx);
  int e = X509_STORE_CTX_get_error(sctx);
  if (t && !t->verify_msg[0]) {
    if (e == X509_V_ERR_CERT_HAS_EXPIRED)
      snprintf(t->verify_msg, sizeof t->verify_msg,
               "the device certificate has expired; enroll the device again with a new invite");
    else
      snprintf(t->verify_msg, sizeof t->verify_msg,
               "the device certificate was not issued by this server (%s); enroll the device "
               "with an invite from this server",
               X509_verify_cert_error_string(e));
  }
  return 0;
}

static void client_verify_msg(kt_tls *t, int e) {
  if (t->verify_msg[0]) return;
  if (e == X509_V_ERR_HOSTNAME_MISMATCH || e == X509_V_ERR_IP_ADDRESS_MISMATCH)
    snprintf(t->verify_msg, sizeof t->verify_msg,
             "the server's certificate is not valid for '%.100s'; connect with the address given "
             "in the invite, or ask your administrator to add this name to the server "
             "certificate",
             t->server_name);
  else if (e == X509_V_ERR_CERT_HAS_EXPIRED)
    snprintf(t->verify_msg, sizeof t->verify_msg,
             "the server's certificate has expired; ask your administrator to renew it");
  else if (e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
           e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
           e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT || e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)
    snprintf(t->verify_msg, sizeof t->verify_msg,
             "the server's certificate could not be verified: it is not signed by this "
             "installation's CA (%s); check the server address or ask your administrator for "
             "a new invite",
             X509_verify_cert_error_string(e));
  else
    snprintf(t->verify_msg, sizeof t->verify_msg,
             "the server's certificate could not be verified (%s); check the server address "
             "or ask your administrator for a new invite",
             X509_verify_cert_error_string(e));
}

static void pin_mismatch_msg(kt_tls *t, X509 *shown) {
  unsigned char got[KT_PKI_FPR_LEN];
  char a[32] = "?", b[32];
  if (shown && kt_pki_cert_fingerprint_raw(shown, got, NULL) == 0) short_fpr(got, a);
  short_fpr(t->pin, b);
  snprintf(t->verify_msg, sizeof t->verify_msg,
           "the server's certificate does not match the invite (fingerprint %s expected %s); "
           "ask your administrator for a new invite",
           a, b);
}

static bool fpr_equal(X509 *x, const unsigned char pin[KT_PKI_FPR_LEN]) {
  unsigned char f[KT_PKI_FPR_LEN];
  if (!x || kt_pki_cert_fingerprint_raw(x, f, NULL) != 0) return false;
  return CRYPTO_memcmp(f, pin, KT_PKI_FPR_LEN) == 0;
}

/* Client: verifies the server chain against the CA file and/or the pin. */
static int client_verify_cb(X509_STORE_CTX *sctx, void *arg) {
  (void)arg;
  kt_tls *t = tls_of_store(sctx);
  if (!t) return 0;
  STACK_OF(X509) *presented = X509_STORE_CTX_get0_untrusted(sctx);
  X509 *top = presented && sk_X509_num(presented) > 0
                  ? sk_X509_value(presented, sk_X509_num(presented) - 1)
                  : X509_STORE_CTX_get0_cert(sctx);
  if (t->has_pin && !t->has_ca) {
    /* the invite's fingerprint picks the trust anchor among what the server sent */
    X509 *anchor = NULL;
    for (int i = 0; presented && i < sk_X509_num(presented); i++)
      if (fpr_equal(sk_X509_value(presented, i), t->pin)) anchor = sk_X509_value(presented, i);
    if (!anchor || X509_check_ca(anchor) < 1) {
      pin_mismatch_msg(t, top);
      X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_UNTRUSTED);
      return 0;
    }
    if (!t->trust_sk) t->trust_sk = sk_X509_new_null();
    if (!t->trust_sk || !sk_X509_push(t->trust_sk, anchor)) {
      X509_STORE_CTX_set_error(sctx, X509_V_ERR_OUT_OF_MEM);
      return 0;
    }
    X509_STORE_CTX_set0_trusted_stack(sctx, t->trust_sk);
  }
  if (X509_verify_cert(sctx) != 1) {
    client_verify_msg(t, X509_STORE_CTX_get_error(sctx));
    return 0;
  }
  if (t->has_pin) {
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(sctx);
    X509 *root = chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, sk_X509_num(chain) - 1)
                                                 : NULL;
    if (!fpr_equal(root, t->pin)) {
      pin_mismatch_msg(t, root);
      X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_UNTRUSTED);
      return 0;
    }
  }
  return 1;
}

/* ---- sessions ------------------------------------------------------------ */

int kt_tls_new(kt_tls_ctx *ctx, const char *server_name, kt_tls **out, kt_err *err) {
  if (!ctx) return kt_err_set(err, KT_EINVAL, "no TLS context");
  kt_tls *t = calloc(1, sizeof *t);
  if (!t) return kt_err_set(err, KT_ENOMEM, "out of memory");
  kt_buf b = KT_BUF_INIT;
  t->pending = b;
  t->server = ctx->server;
  t->resume = ctx->resume;
  t->has_ca = ctx->has_ca;
  t->has_pin = ctx->has_pin;
  memcpy(t->pin, ctx->pin, sizeof t->pin);
  int rc = 0;
  t->ssl = SSL_new(ctx->ssl);
  t->rbio = BIO_new(BIO_s_mem());
  t->wbio = BIO_new(BIO_s_mem());
  if (!t->ssl || !t->rbio || !t->wbio) {
    BIO_free(t->rbio);
    BIO_free(t->wbio);
    t->rbio = t->wbio = NULL;
    rc = ossl_fail(err, KT_ENOMEM, "cannot create a TLS session");
    goto fail;
  }
  BIO_set_mem_eof_return(t->rbio, -1); /* empty = "want more", not EOF */
  BIO_set_mem_eof_return(t->wbio, -1);
  SSL_set_bio(t->ssl, t->rbio, t->wbio);
  SSL_set_app_data(t->ssl, t);
  if (t->server) {
    SSL_set_accept_state(t->ssl);
  } else {
    SSL_set_connect_state(t->ssl);
    if (server_name && *server_name) {
      snprintf(t->server_name, sizeof t->server_name, "%s", server_name);
      unsigned char ip[16];
      int ok;
      if (inet_pton(AF_INET, server_name, ip) == 1 || inet_pton(AF_INET6, server_name, ip) == 1)
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), server_name);
      else
        ok = SSL_set_tlsext_host_name(t->ssl, server_name) == 1 &&
             SSL_set1_host(t->ssl, server_name) == 1;
      if (ok != 1) {
        rc = ossl_fail(err, KT_EINVAL, "the server address is not a valid host name");
        goto fail;
      }
    }
  }
  *out = t;
  return 0;
fail:
  kt_tls_free(t);
  return rc;
}

void kt_tls_free(kt_tls *t) {
  if (!t) return;
  /* SSL_free drops the session from the server's cache unless the connection
     was shut down cleanly; a TCP close without close_notify (the usual end of a
     device's connection) does not make a TLS 1.3 session unsafe to resume */
  if (t->ssl && t->done && !t->failed) SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_free(t->ssl); /* frees both BIOs */
  SSL_SESSION_free(t->new_sess);
  sk_X509_free(t->trust_sk);
  if (t->pending.p) OPENSSL_cleanse(t->pending.p, t->pending.cap);
  kt_buf_free(&t->pending);
  free(t);
}

int kt_tls_feed_cipher(kt_tls *t, const void *data, size_t len, kt_err *err) {
  const char *p = data;
  while (len > 0) {
    int n = len > INT32_MAX ? INT32_MAX : (int)len;
    int w = BIO_write(t->rbio, p, n);
    if (w <= 0) return ossl_fail(err, KT_ENOMEM, "out of memory buffering received data");
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

static bool is_not_tls(int reason) {
  switch (reason) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_LENGTH_MISMATCH:
    case SSL_R_UNEXPECTED_MESSAGE:
    case SSL_R_UNEXPECTED_RECORD:
    case SSL_R_BAD_PACKET_LENGTH:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
    case SSL_R_UNSUPPORTED_PROTOCOL:
      return true;
  }
  return false;
}

static bool is_cert_alert(int reason) {
  switch (reason) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      return true;
  }
  return false;
}

/* Turns the current failure into one message, makes the session failed. */
static int tls_fail(kt_tls *t, int ssl_error, kt_err *err) {
  unsigned long e = ERR_peek_error();
  int reason = e ? ERR_GET_REASON(e) : 0;
  char why[200] = "";
  if (e) ERR_error_string_n(e, why, sizeof why);
  const char *peer = t->server ? "the device" : "the server";
  if (t->verify_msg[0]) {
    snprintf(t->msg, sizeof t->msg, "%s", t->verify_msg);
  } else if (t->server && reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    snprintf(t->msg, sizeof t->msg,
             "the device did not present a certificate; enroll it first with an invite "
             "(kartoteka connect --invite ...)");
  } else if (is_cert_alert(reason)) {
    const char *alert = ERR_reason_error_string(e);
    if (t->server)
      snprintf(t->msg, sizeof t->msg,
               "the device refused this server's certificate (%s); it may hold an invite or "
               "CA of another server",
               alert ? alert : "alert");
    else
      snprintf(t->msg, sizeof t->msg,
               "the server refused this device's certificate (%s); the device may have been "
               "revoked or not enrolled yet: ask your administrator for a new invite",
               alert ? alert : "alert");
  } else if (is_not_tls(reason)) {
    const char *r = ERR_reason_error_string(e);
    if (t->server)
      snprintf(t->msg, sizeof t->msg,
               "the peer did not speak TLS (%s); it is not a Kartoteka client", r ? r : "garbage");
    else
      snprintf(t->msg, sizeof t->msg,
               "the server did not speak TLS (%s); check the address and port (is it a "
               "Kartoteka server?)",
               r ? r : "garbage");
  } else if (reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
             reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_NO_SHARED_CIPHER ||
             reason == SSL_R_NO_PROTOCOLS_AVAILABLE) {
    snprintf(t->msg, sizeof t->msg,
             "%s only supports old or weak encryption (%s); update it", peer, why);
  } else if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN) {
    snprintf(t->msg, sizeof t->msg, "%s closed the secure connection during set-up", peer);
  } else {
    snprintf(t->msg, sizeof t->msg, "secure connection with %s failed (%s)", peer,
             why[0] ? why : "unknown TLS error");
  }
  ERR_clear_error();
  t->failed = KT_ETLS;
  return kt_err_set(err, KT_ETLS, "%s", t->msg);
}

static int sticky(const kt_tls *t, kt_err *err) {
  return kt_err_set(err, t->failed, "%s", t->msg[0] ? t->msg : "the secure connection failed");
}

static int write_now(kt_tls *t, const void *data, size_t len, kt_err *err) {
  const char *p = data;
  while (len > 0) {
    int n = len > WRITE_CHUNK ? WRITE_CHUNK : (int)len;
    ERR_clear_error();
    int w = SSL_write(t->ssl, p, n);
    if (w <= 0) return tls_fail(t, SSL_get_error(t->ssl, w), err);
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

int kt_tls_handshake(kt_tls *t, kt_err *err) {
  if (t->failed) return sticky(t, err);
  if (t->done) return 1;
  ERR_clear_error();
  int r = SSL_do_handshake(t->ssl);
  if (r != 1) {
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    return tls_fail(t, e, err);
  }
  if (t->server && t->resume && !SSL_session_reused(t->ssl) && SSL_version(t->ssl) >= TLS1_3_VERSION)
    SSL_new_session_ticket(t->ssl); /* sent with our first data */
  if (t->server && SSL_session_reused(t->ssl)) {
    /* the certificate was checked when the session began: only its validity
       period can have run out since */
    X509 *peer = SSL_get0_peer_certificate(t->ssl);
    if (peer && X509_cmp_current_time(X509_get0_notAfter(peer)) <= 0) {
      snprintf(t->msg, sizeof t->msg,
               "the device certificate has expired; enroll the device again with a new invite");
      t->failed = KT_ETLS;
      return kt_err_set(err, KT_ETLS, "%s", t->msg);
    }
  }
  t->done = true;
  if (t->pending.len) {
    int rc = write_now(t, t->pending.p, t->pending.len, err);
    OPENSSL_cleanse(t->pending.p, t->pending.len);
    kt_buf_free(&t->pending);
    if (rc) return rc;
  }
  return 1;
}

bool kt_tls_handshake_done(const kt_tls *t) { return t->done && !t->failed; }

int kt_tls_read_plain(kt_tls *t, kt_buf *out, kt_err *err) {
  if (t->failed) return sticky(t, err);
  if (!t->done) {
    int rc = kt_tls_handshake(t, err);
    if (rc <= 0) return rc;
  }
  for (;;) {
    if (kt_buf_reserve(out, READ_CHUNK))
      return kt_err_set(err, KT_ENOMEM, "out of memory reading from the secure connection");
    ERR_clear_error();
    int n = SSL_read(t->ssl, out->p + out->len, READ_CHUNK);
    if (n > 0) {
      out->len += (size_t)n;
      out->p[out->len] = '\0';
      continue;
    }
    out->p[out->len] = '\0';
    int e = SSL_get_error(t->ssl, n);
    if (e == SSL_ERROR_WANT_READ) return 0;
    if (e == SSL_ERROR_ZERO_RETURN) return 1;
    return tls_fail(t, e, err);
  }
}

int kt_tls_write_plain(kt_tls *t, const void *data, size_t len, kt_err *err) {
  if (t->failed) return sticky(t, err);
  if (t->shut) return kt_err_set(err, KT_ETLS, "the secure connection is being closed");
  if (len == 0) return 0;
  if (!t->done) {
    kt_buf_append(&t->pending, data, len);
    return t->pending.oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
  }
  return write_now(t, data, len, err);
}

int kt_tls_take_cipher(kt_tls *t, kt_buf *out) {
  size_t n = BIO_ctrl_pending(t->wbio);
  if (n == 0) return 0;
  if (kt_buf_reserve(out, n)) return KT_ENOMEM;
  int r = BIO_read(t->wbio, out->p + out->len, (int)n);
  if (r > 0) out->len += (size_t)r;
  out->p[out->len] = '\0';
  return 0;
}

size_t kt_tls_cipher_pending(const kt_tls *t) { return BIO_ctrl_pending(t->wbio); }

int kt_tls_shutdown(kt_tls *t, kt_err *err) {
  if (t->failed) return sticky(t, err);
  t->shut = true;
  if (!t->done) return 0;
  ERR_clear_error();
  int r = SSL_shutdown(t->ssl);
  if (r < 0) {
    int e = SSL_get_error(t->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return tls_fail(t, e, err);
  }
  return 0;
}

int kt_tls_session_offer(kt_tls *t, const void *data, size_t len, kt_err *err) {
  if (t->server || t->done) return kt_err_set(err, KT_EINVAL, "sessions are offered by a client before its handshake");
  if (!data || !len || len > INT32_MAX) return kt_err_set(err, KT_EINVAL, "no saved session");
  BIO *b = BIO_new_mem_buf(data, (int)len);
  SSL_SESSION *s = b ? PEM_read_bio_SSL_SESSION(b, NULL, NULL, NULL) : NULL;
  BIO_free(b);
  int rc = 0;
  if (!s || !SSL_SESSION_is_resumable(s) ||
      (uint64_t)SSL_SESSION_get_time(s) + (uint64_t)SSL_SESSION_get_timeout(s) <= (uint64_t)time(NULL) ||
      SSL_set_session(t->ssl, s) != 1)
    rc = kt_err_set(err, KT_EINVAL, "the saved session cannot be resumed");
  ERR_clear_error();
  SSL_SESSION_free(s);
  return rc;
}

int kt_tls_session_take(kt_tls *t, kt_buf *out) {
  if (!t->new_sess) return KT_ENOTFOUND;
  BIO *b = BIO_new(BIO_s_mem());
  int rc = KT_ENOMEM;
  if (b && PEM_write_bio_SSL_SESSION(b, t->new_sess) == 1) {
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    if (n > 0) {
      kt_buf_append(out, p, (size_t)n);
      if (!out->oom) rc = 0;
    }
    if (n > 0) OPENSSL_cleanse(p, (size_t)n);
  }
  ERR_clear_error();
  BIO_free(b);
  if (!rc) {
    SSL_SESSION_free(t->new_sess);
    t->new_sess = NULL;
  }
  return rc;
}

bool kt_tls_session_resumed(const kt_tls *t) { return t->done && SSL_session_reused(t->ssl); }

void kt_tls_session_drop(kt_tls *t) {
  SSL_SESSION *s = t && t->server ? SSL_get_session(t->ssl) : NULL;
  if (s) SSL_CTX_remove_session(SSL_get_SSL_CTX(t->ssl), s);
}

X509 *kt_tls_peer_cert_get(const kt_tls *t) {
  return t->done && !t->failed ? SSL_get0_peer_certificate(t->ssl) : NULL;
}

int kt_tls_peer_cert_fingerprint(const kt_tls *t, bool colons, char *out, size_t outsz,
                                 kt_err *err) {
  X509 *x = kt_tls_peer_cert_get(t);
  if (!x) return kt_err_set(err, KT_ENOTFOUND, "the peer sent no certificate");
  return kt_pki_cert_fingerprint(x, colons, out, outsz, err);
}

int kt_tls_peer_cn(const kt_tls *t, char *out, size_t outsz, kt_err *err) {
  X509 *x = kt_tls_peer_cert_get(t);
  if (!x) return kt_err_set(err, KT_ENOTFOUND, "the peer sent no certificate");
  return kt_pki_cert_cn(x, out, outsz, err);
}

const char *kt_tls_version(const kt_tls *t) { return SSL_get_version(t->ssl); }

const char *kt_tls_cipher(const kt_tls *t) {
  const char *c = SSL_get_cipher_name(t->ssl);
  return c ? c : "(none)";
}
