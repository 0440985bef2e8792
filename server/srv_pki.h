/* srv_pki — the server's own certificates over the years: server.crt is
 * renewed (new key, same names, signed by the office CA) once it is two
 * thirds into its life, at start and while serving, so the PCs, which trust
 * the CA, never see it expire; the CA's own end is announced a year ahead.
 * A renewal writes server.key.next and server.crt.next (each atomically),
 * renames them over server.key and server.crt, then updates their copies in
 * the master database (pki_server.key/.crt, what a restore writes back); a
 * crash in between is finished by srv_pki_recover at the next start, so the
 * key and certificate never mismatch. Used by srv_net (serve) and srv_main
 * (check). No state of its own; the loop thread or an offline command. */
#ifndef SRV_PKI_H
#define SRV_PKI_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kt_buf.h"
#include "kt_err.h"
#include "kt_pki.h"
#include "srv_db.h"

#define SRV_PKI_CA_WARN_DAYS 365 /* the CA's end is announced this long before */

/* Copies ca.key, ca.crt, server.key and server.crt of data_dir into the
 * database (meta pki_*), so that one backup file restores a whole server;
 * in the caller's transaction, if any. */
int srv_pki_save_copies(srv_db *d, const char *data_dir, kt_err *err);

/* Finishes a renewal a crash interrupted (see above) and brings the database
 * copies of server.key/.crt in step with the files. Outside a transaction. */
int srv_pki_recover(srv_db *d, const char *data_dir, kt_err *err);

/* Renews server.crt when it is due (kt_pki_cert_renew_at_ms) or when force.
 * *renewed tells whether it did; *next_ms (may be NULL) is when it is due
 * next. The caller reloads its TLS context after a renewal. Outside a
 * transaction. KT_EIO / KT_EDB with the reason; the old files then stay. */
int srv_pki_renew_server(srv_db *d, const char *data_dir, EVP_PKEY *ca_key, X509 *ca, bool force,
                         bool *renewed, int64_t *next_ms, kt_err *err);

/* A warning for the log and `kartotekad check` when the CA ends within
 * SRV_PKI_CA_WARN_DAYS of now_ms (true, message in msg), else false. */
bool srv_pki_ca_warning(X509 *ca, int64_t now_ms, char *msg, size_t n);

/* `kartotekad ca rotate` (the server stopped): a new office CA and a server
 * certificate with the old one's names, signed by it, replace the old ones in
 * the files and in the database (ca_fpr, pki_*), in that order (run it again
 * if it was interrupted). Every device is revoked (its certificate is the old
 * CA's, which the PCs also pin) and unused invites expire (they name the old
 * CA): each PC is enrolled again with a new invite. The data stays. The new
 * CA's fingerprint (with colons) into fpr, the number of devices revoked into
 * *devices. */
int srv_pki_rotate_ca(srv_db *d, const char *data_dir, char fpr[KT_PKI_FPR_HEX_MAX], int *devices,
                      kt_err *err);

/* Appends the state of the certificates of data_dir for `kartotekad check`:
 * the server certificate's end and when it is renewed, the CA's end, and the
 * CA warning; *warn tells whether there was one. */
int srv_pki_status(const char *data_dir, kt_buf *out, bool *warn, kt_err *err);

#endif
