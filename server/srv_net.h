/* srv_net — the server's network side: a libuv TCP listener, one srv_conn per
 * client with TLS over memory BIOs (kt_tls) and length-prefixed protobuf
 * frames (kt_frame), the per-connection state machine and the dispatcher
 * (srv_net.c, srv_dispatch.c and srv_handle_*.c, sharing srv_net_int.h).
 *
 * One loop thread owns every connection and the master database. A connection
 * is freed only in its close callback. Any protocol violation (bad frame,
 * unknown or out-of-order message, unsupported version) gets an Error and the
 * connection is closed; the server keeps serving everyone else. SIGTERM and
 * SIGINT close the listener and every connection, then the loop ends. */
#ifndef SRV_NET_H
#define SRV_NET_H

#include <stdint.h>

#include "kt_err.h"

typedef struct srv_server srv_server;

#define SRV_WRITE_CAP_DEFAULT (4u * 1024u * 1024u)
#define SRV_STALL_DEFAULT_MS 60000u

typedef struct srv_config {
  const char *data_dir;
  const char *listen;          /* "ADDR:PORT"; port 0 = any free port */
  uint32_t max_frame;          /* bytes; 0 = KT_FRAME_MAX_DEFAULT */
  uint32_t handshake_timeout_ms; /* TLS + Hello must finish within; 0 = 10 s */
  uint32_t idle_timeout_ms;    /* no traffic at all; 0 = 10 min */
  uint32_t write_cap;          /* bytes queued for one client before its reading pauses and
                                  live changes give way to one Notify; 0 = SRV_WRITE_CAP_DEFAULT */
  uint32_t stall_timeout_ms;   /* over the cap this long: disconnected (it may resume);
                                  0 = SRV_STALL_DEFAULT_MS */
  uint32_t history_days;       /* a card's history is kept this many days; 0 = forever */
  uint32_t claim_budget;       /* claim keys one user may check an hour (a token bucket that
                                  holds this many); 0 = SRV_CLAIM_BUDGET_DEFAULT */
} srv_config;

/* 500,000 keys an hour: an import of 100,000 rows asks at most 5 keys a row
 * (phone, e-mail, tax id, name + city) in one go; guessing names is slowed to
 * ~140 keys a second once the bucket is empty. */
#define SRV_CLAIM_BUDGET_DEFAULT 500000u

/* Opens the master database and TLS context and starts listening. On success
 * prints one readiness line "listening ADDR:PORT" on stdout. Caller frees
 * with srv_server_free after srv_server_run returns. */
int srv_server_new(const srv_config *cfg, srv_server **out, kt_err *err);
/* Runs the loop until SIGTERM/SIGINT; 0 on a clean shutdown. */
int srv_server_run(srv_server *s, kt_err *err);
void srv_server_free(srv_server *s);

#endif
