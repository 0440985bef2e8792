/* cl_session — joining an office server and opening authenticated
 * connections for a profile. A connected profile folder holds replica.db (the
 * card index, with the server addresses and session token in its settings),
 * device.key (0600), device.crt and ca.crt (the office CA, pinned at
 * enrollment from the invite's fingerprint).
 *
 * Used by `kartoteka connect`, `sync`, the agent and the GUI; runs on the
 * caller's libuv loop. The device certificate is renewed over the
 * authenticated channel before it expires (cl_session_renew). */
#ifndef CL_SESSION_H
#define CL_SESSION_H

#include <uv.h>

#include "cl_conn.h"
#include "cl_store.h"

/* Enrolls this PC from an invite and creates the profile in profile_dir:
 * device key + CSR, enrollment over TLS pinned to the invite's CA
 * fingerprint with the password (the server checks both before it spends the
 * invite, and opens a session), device certificate saved, replica created with
 * the device id the server assigned, then a first connection with the device
 * certificate that resumes that session. Nothing is left in profile_dir when
 * the enrollment fails (a damaged or spent invite, a wrong password); once the
 * server has enrolled the device the profile stays, even if that first
 * connection fails (logged; the next sync tries again). */
int cl_session_connect(uv_loop_t *loop, const char *profile_dir, const char *invite,
                       const char *password, const char *device_name, kt_err *err);

/* Opens an authenticated connection for an existing profile: mutual TLS with
 * the device certificate, Hello, Resume with the saved token, or Login with
 * `password` when given (a new token is saved). timeout_ms 0 = default.
 * *out on success. */
int cl_session_open(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *password,
                    cl_conn_push_cb on_push, void *ud, uint32_t timeout_ms, cl_conn **out,
                    kt_err *err);

/* When this profile's device certificate is due for renewal (two thirds into
 * its life; ms since the epoch), 0 when it cannot be read. */
int64_t cl_session_renew_due_ms(const char *profile_dir);

/* Renews the device certificate over the authenticated connection c once it
 * is due, when the server offers it (HelloOk "renew"; remembered in the
 * replica): a CSR for the existing device key, RenewOk's certificate checked
 * (the office CA, this device id, this key) and written over device.crt
 * atomically; the saved TLS session is dropped. One program at a time
 * (profile file renew.lock; another one renewing is left to it). Called by
 * cl_session_open after every login or resume and by the watch loop of
 * cl_sync_run when *next_ms comes. *next_ms: when to try again (0 = never). A
 * refusal or a bad answer is logged and retried later (the current
 * certificate stays valid): 0. Only a connection that ended is an error
 * (KT_ENET, KT_EREVOKED). */
int cl_session_renew(cl_conn *c, const char *profile_dir, cl_store *s, int64_t *next_ms,
                     kt_err *err);

/* Mirrors the rights the server sent (an AuthOk at a login or resume, or a
 * Notify's `rights` mid-session) into the replica's settings "role" and
 * "rights"; the store's own copy follows (cl_store_rights). The client only
 * uses them to tell the user before the server refuses. a borrowed. */
int cl_session_rights_save(cl_store *s, const Kartoteka__AuthOk *a, kt_err *err);

/* The server said the account is disabled: the replica is wiped (records,
 * unsent changes, search index; purged from the files) and the token dropped. */
void cl_session_disabled(cl_store *s);

#endif
