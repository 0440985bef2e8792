/* cl_conn — one client connection to kartotekad: TCP on a libuv loop, TLS
 * through memory BIOs (kt_tls, pinned to the office CA), length-prefixed
 * protobuf Envelopes (kt_frame).
 *
 * Two ways to talk: cl_conn_request() sends a request and runs the loop until
 * the reply with the same req_id arrives (sequential code for connect, login,
 * push and pull), and an `on_push` callback for messages the server sends on
 * its own (Changes/Notify after Subscribe). The loop belongs to the caller
 * (the CLI's, or the client core's own thread); one cl_conn per loop thread. */
#ifndef CL_CONN_H
#define CL_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "kartoteka.pb-c.h"
#include "kt_buf.h"
#include "kt_err.h"

typedef struct cl_conn cl_conn;

/* Called for unsolicited messages (req_id 0). env is freed after the call,
 * unless the callback takes it with cl_conn_push_take. */
typedef void (*cl_conn_push_cb)(cl_conn *c, const Kartoteka__Envelope *env, void *ud);

typedef struct cl_conn_opts {
  uv_loop_t *loop;
  const char *address;    /* "HOST:PORT" */
  const char *ca_file;    /* trusted office CA (PEM), or NULL with pin_fpr */
  const char *pin_fpr;    /* CA SHA-256 fingerprint from an invite, or NULL */
  const char *cert_file;  /* this device's certificate + key, or NULL before enrollment */
  const char *key_file;
  uint32_t timeout_ms;    /* connect + handshake and each request; 0 = 15 s */
  const void *tls_session; /* a TLS session saved from an earlier connection to offer
                              (cl_conn_tls_session_take), or NULL */
  size_t tls_session_len;
  cl_conn_push_cb on_push;
  void *ud;
} cl_conn_opts;

/* Connects and completes the TLS handshake (runs the loop). *out set only on
 * success; close with cl_conn_free. KT_ENET (unreachable, refused, timeout),
 * KT_ETLS (certificate problems, with a message for the user). */
int cl_conn_open(const cl_conn_opts *o, cl_conn **out, kt_err *err);

/* Sends req (its req_id is assigned here) and runs the loop until the reply
 * arrives; nothing else may be in flight (KT_EINTERNAL). *reply (caller frees with kt_frame_env_free) is never an Error: an
 * Error reply becomes its code and message. KT_ENET when the connection
 * dropped or timed out. */
int cl_conn_request(cl_conn *c, Kartoteka__Envelope *req, Kartoteka__Envelope **reply,
                    kt_err *err);
/* Sends a message without waiting (Subscribe, Pong). */
int cl_conn_send(cl_conn *c, Kartoteka__Envelope *env, kt_err *err);
/* A request in two halves, so that the caller can work while the server
 * answers (pipelined pulls): send, then wait for that reply. Up to
 * CL_CONN_PIPELINE requests may be in flight; wait returns the reply to the
 * oldest (the server answers in order). cl_conn_request is send + wait. */
#define CL_CONN_PIPELINE 4
int cl_conn_request_send(cl_conn *c, Kartoteka__Envelope *req, kt_err *err);
int cl_conn_request_wait(cl_conn *c, Kartoteka__Envelope **reply, kt_err *err);
bool cl_conn_request_pending(const cl_conn *c);
/* Runs the loop until the connection closes or timeout_ms passes (0 = until
 * closed); unsolicited messages go to on_push. Returns 0 on timeout, KT_ENET
 * when the connection closed. */
int cl_conn_run(cl_conn *c, uint32_t timeout_ms, kt_err *err);
/* The newest TLS session the server issued on this connection, to offer on
 * the next one (resumption skips the certificate exchange), appended to out
 * once. It holds secrets: keep it like the device key. KT_ENOTFOUND when none
 * arrived yet (it comes with the server's first answer). */
int cl_conn_tls_session_take(cl_conn *c, kt_buf *out);
/* True when the handshake resumed an offered session. */
bool cl_conn_tls_resumed(const cl_conn *c);
/* Inside on_push only: takes the message being delivered (the caller then
 * frees it with kt_frame_env_free). */
Kartoteka__Envelope *cl_conn_push_take(cl_conn *c);
/* Stops a cl_conn_run from a callback. */
void cl_conn_break(cl_conn *c);
bool cl_conn_is_open(const cl_conn *c);
/* Closes (clean TLS shutdown when possible) and frees; runs the loop until
 * the handles are closed. NULL ok. */
void cl_conn_free(cl_conn *c);

#endif
