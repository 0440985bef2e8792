/* kt_tls — TLS for the sync channel with no I/O of its own: an SSL* between
 * two memory BIOs (the h2o way). The caller feeds ciphertext received from the
 * socket in, reads plaintext out, and sends whatever kt_tls_take_cipher gives.
 * TLS 1.3 preferred, 1.2 minimum, AEAD ciphers with forward secrecy only, no
 * renegotiation or compression. Session resumption (TLS 1.3 PSK with a fresh
 * ECDHE exchange) is opt-in on the server, from a cache in its context: a
 * reconnecting device skips the certificate exchange and its checks, which are
 * most of a handshake's cost. The ticket only names the cached session (no
 * secrets leave the server), and the session keeps the device certificate, so
 * the identity is the same as after a full handshake; callers must still
 * check the device (revocation) each time.
 * Users: the server's connections (mutual TLS; device identity = the client
 * certificate's CN and fingerprint) and the client's sync engine (the server
 * is checked against the CA file, or against the CA fingerprint of an invite).
 * A kt_tls_ctx may be shared by many sessions on one thread and changes only
 * through kt_tls_ctx_reload_cert on that thread (a renewed server
 * certificate); a kt_tls session belongs to one connection on one thread. */
#ifndef KT_TLS_H
#define KT_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "kt_buf.h"
#include "kt_err.h"
#include "kt_pki.h"

typedef struct kt_tls_ctx kt_tls_ctx;
typedef struct kt_tls kt_tls;

/* Server context. cert_pem_path: the server certificate (may be followed by
 * its chain), key_pem_path: its private key. ca_pem_path (may be NULL): the
 * CA that signs device certificates; it is also sent in the chain so clients
 * can pin it. require_client_cert: refuse a handshake without a valid device
 * certificate; when false (enrollment), a certificate is still verified if the
 * client sends one. *out set only on success; free with kt_tls_ctx_free.
 * KT_ENOTFOUND/KT_EINVAL for unusable files (message names the file),
 * KT_ETLS otherwise. */
int kt_tls_ctx_new_server(const char *cert_pem_path, const char *key_pem_path,
                          const char *ca_pem_path, bool require_client_cert, kt_tls_ctx **out,
                          kt_err *err);

/* Client context. ca_pem_path: trusted CA file, or NULL. expect_ca_fpr_hex:
 * SHA-256 fingerprint (64 hex digits, colons optional) of the CA from an
 * invite, or NULL; when given, the server is accepted only if its chain
 * verifies up to a CA certificate with exactly this fingerprint (when no CA
 * file is given, that CA is taken from the chain the server sends). At least
 * one of the two is required: there is no unauthenticated mode (KT_EINVAL).
 * client_cert_pem/client_key_pem: this device's certificate and key, both or
 * neither (before enrollment). */
int kt_tls_ctx_new_client(const char *ca_pem_path, const char *expect_ca_fpr_hex,
                          const char *client_cert_pem, const char *client_key_pem,
                          kt_tls_ctx **out, kt_err *err);

/* Server context: keeps sessions for resumption for lifetime_s seconds (at
 * most max_sessions, the oldest are dropped first). A ticket is issued after
 * each full TLS 1.3 handshake and may be used again until it expires; a
 * resumed session whose device certificate has expired since is refused.
 * Without this call nothing is resumed. Call before kt_tls_new. 0 or
 * KT_EINVAL (not a server context) / KT_ETLS. */
int kt_tls_ctx_set_resumption(kt_tls_ctx *ctx, unsigned lifetime_s, unsigned max_sessions,
                              kt_err *err);

/* Server context: new handshakes present the certificate and key of these
 * files from now on (a renewed server certificate; the CA stays in the chain
 * that is sent). Sessions made before keep theirs; the resumption cache is
 * kept. Nothing changes on failure: KT_ENOTFOUND/KT_EINVAL for unusable files
 * (the message names them), KT_ETLS. */
int kt_tls_ctx_reload_cert(kt_tls_ctx *ctx, const char *cert_pem_path, const char *key_pem_path,
                           kt_err *err);

/* Frees a context (NULL ok). Sessions hold their own reference, so a context
 * may be freed while sessions made from it are still open. */
void kt_tls_ctx_free(kt_tls_ctx *ctx);

/* New session for one connection; the role comes from ctx. server_name (client
 * only, may be NULL): the host name or IP address dialled; when given, it is
 * sent as SNI (names only) and must match the server certificate's SANs.
 * *out set only on success. */
int kt_tls_new(kt_tls_ctx *ctx, const char *server_name, kt_tls **out, kt_err *err);

/* Client: offers a session saved from an earlier connection to the same
 * server (text from kt_tls_session_take). Call before the first
 * kt_tls_handshake. Returns KT_EINVAL (nothing changed: a full handshake
 * follows) when it does not parse or can no longer be resumed; a session the
 * server no longer knows just gives a full handshake. */
int kt_tls_session_offer(kt_tls *t, const void *data, size_t len, kt_err *err);

/* Client: appends the newest session the server issued on this connection
 * (PEM text; it holds secrets: store it like a private key) to out, once.
 * KT_ENOTFOUND when none arrived: none yet (the server sends it with its first
 * data after the handshake), or none at all (a resumed session stays good). */
int kt_tls_session_take(kt_tls *t, kt_buf *out);

/* True once the handshake completed by resuming an earlier session. */
bool kt_tls_session_resumed(const kt_tls *t);

/* Server: forgets this connection's session, so its ticket no longer resumes
 * (a device that was refused after the handshake). */
void kt_tls_session_drop(kt_tls *t);

/* Frees a session (NULL ok). Does not send anything: call kt_tls_shutdown and
 * kt_tls_take_cipher first for a clean close. */
void kt_tls_free(kt_tls *t);

/* Gives the session ciphertext received from the peer (copied). 0 or
 * KT_ENOMEM. Nothing is decrypted until kt_tls_handshake/kt_tls_read_plain. */
int kt_tls_feed_cipher(kt_tls *t, const void *data, size_t len, kt_err *err);

/* Advances the handshake with the ciphertext fed so far. Returns 1 when the
 * handshake is complete (also on later calls), 0 when more input is needed,
 * or KT_ETLS with a message for the user (bad certificate, pin mismatch,
 * peer is not TLS...). After any call, send kt_tls_take_cipher's output (it
 * may hold an alert after an error), then close on error. The client side
 * starts the handshake by calling this once before anything was received. */
int kt_tls_handshake(kt_tls *t, kt_err *err);

/* True once the handshake completed successfully. */
bool kt_tls_handshake_done(const kt_tls *t);

/* Decrypts everything available and appends the plaintext to out; drives the
 * handshake first if needed. Returns 0 (possibly nothing appended), 1 when the
 * peer closed the TLS session cleanly (close_notify; plaintext before it is
 * still appended), KT_ETLS on a TLS error (with TLS 1.3 the client learns here
 * that the server refused its certificate), KT_ENOMEM. */
int kt_tls_read_plain(kt_tls *t, kt_buf *out, kt_err *err);

/* Encrypts data (copied) for the peer; the ciphertext is collected by
 * kt_tls_take_cipher. Before the handshake completes the bytes are queued and
 * sent as soon as it does. 0, KT_ETLS (session failed or shut down), KT_ENOMEM. */
int kt_tls_write_plain(kt_tls *t, const void *data, size_t len, kt_err *err);

/* Moves all ciphertext waiting for the peer to the end of out (possibly none).
 * 0 or KT_ENOMEM. */
int kt_tls_take_cipher(kt_tls *t, kt_buf *out);

/* Bytes of ciphertext waiting to be taken. */
size_t kt_tls_cipher_pending(const kt_tls *t);

/* Queues a close_notify alert (take it with kt_tls_take_cipher). 0 or KT_ETLS. */
int kt_tls_shutdown(kt_tls *t, kt_err *err);

/* The peer's certificate (after a successful handshake): SHA-256 fingerprint
 * as kt_pki_fingerprint_format would print it, subject CN. KT_ENOTFOUND when
 * the peer sent no certificate. */
int kt_tls_peer_cert_fingerprint(const kt_tls *t, bool colons, char *out, size_t outsz,
                                 kt_err *err);
int kt_tls_peer_cn(const kt_tls *t, char *out, size_t outsz, kt_err *err);

/* Borrowed peer certificate (valid until kt_tls_free), or NULL. */
X509 *kt_tls_peer_cert_get(const kt_tls *t);

/* Negotiated protocol ("TLSv1.3") and cipher names, for logs; static strings. */
const char *kt_tls_version(const kt_tls *t);
const char *kt_tls_cipher(const kt_tls *t);

#endif
