/* kt_stream — one sync-protocol connection on a libuv loop: uv TCP ⇄ kt_tls
 * (memory BIOs) ⇄ kt_frame, embedded by the server's srv_conn and the
 * client's cl_conn (the shape of h2o's uv socket binding).
 *
 * It owns the TCP handle, the TLS session, frame reassembly with the size cap,
 * a write queue flushed once per loop turn (before the loop sleeps) and the
 * close path. Back-pressure: with a write-queue cap, reading from the peer
 * pauses while the bytes queued for it are over the cap and resumes below it
 * (on_pressure tells the owner both ways); with a stall time, a peer that stays
 * over the cap that long fails (KT_ENET, with kt_stream_over_cap true).
 *
 * Life: kt_stream_init, then kt_stream_accept (server) or kt_stream_connect
 * (client), callbacks while open, kt_stream_close (any time, more than once),
 * then on_closed once every handle is closed: only there may the owner free the
 * memory holding the stream. A call that returns an error schedules no
 * callback of its own (the owner still closes the stream). Loop thread only. */
#ifndef KT_STREAM_H
#define KT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "kartoteka.pb-c.h"
#include "kt_buf.h"
#include "kt_err.h"
#include "kt_frame.h"
#include "kt_tls.h"

typedef struct kt_stream kt_stream;

/* What the owner hears. Every callback is optional except on_closed; none is
 * called after kt_stream_close except on_closed. */
typedef struct kt_stream_ops {
  /* The TLS handshake completed. */
  void (*on_ready)(kt_stream *st);
  /* One decoded envelope that passed kt_frame_env_validate; borrowed, freed
   * after the call unless taken with kt_stream_frame_take. */
  void (*on_frame)(kt_stream *st, Kartoteka__Envelope *env);
  /* The stream cannot go on (called at most once; the owner closes it):
   * KT_ENET (peer closed, reset, unreachable: msg from libuv), KT_ETLS (the
   * handshake or the session failed), KT_EPROTO/KT_ETOOBIG (bad frame or
   * message; req_id is the offending message's when it had one, else 0),
   * KT_ENET too when the peer stayed over the write cap for longer than the
   * stall time (kt_stream_over_cap is then true), KT_ENOMEM. */
  void (*on_fail)(kt_stream *st, int code, uint64_t req_id, const char *msg);
  /* Ciphertext arrived (for idle timers). */
  void (*on_activity)(kt_stream *st);
  /* The write queue went over the cap (over: reading paused) or back under it. */
  void (*on_pressure)(kt_stream *st, bool over);
  /* Everything queued has been written to the socket. */
  void (*on_drain)(kt_stream *st);
  /* Every handle is closed: the owner may free the stream's memory now. */
  void (*on_closed)(kt_stream *st);
} kt_stream_ops;

typedef struct kt_stream_opts {
  size_t max_frame;     /* frame limit both ways; 0 = KT_FRAME_MAX_DEFAULT */
  size_t write_cap;     /* bytes queued for the peer before reading pauses; 0 = no cap */
  uint32_t stall_ms;    /* over the cap this long fails the stream; 0 = never */
  char *rbuf;           /* ciphertext read buffer shared by many streams of one loop */
  size_t rbuf_len;      /* (borrowed, outlives them), or NULL: one of its own */
  kt_buf *plain;        /* plaintext scratch shared the same way, or NULL */
} kt_stream_opts;

/* Embed it; the fields are private except `data`, the owner's pointer. */
struct kt_stream {
  uv_tcp_t tcp;          /* the handles' data point to the stream */
  uv_timer_t stall;
  uv_prepare_t flusher;  /* the once-per-turn flush */
  const kt_stream_ops *ops;
  void *data;            /* the owner's */
  kt_stream_opts o;
  kt_tls *tls;
  kt_frame_reader rd;
  kt_buf own_plain;
  char *own_rbuf;
  uv_connect_t creq;
  size_t queued;         /* bytes handed to libuv and not yet written */
  int handles_open;
  bool connected, ready, reading, over, paused, failed, closing, dirty;
  Kartoteka__Envelope *delivering;
};

/* Initialises st's handles on loop; ops (static) and data are the owner's.
 * 0 or KT_EIO (libuv refused; nothing to close). */
int kt_stream_init(kt_stream *st, uv_loop_t *loop, const kt_stream_ops *ops, void *data,
                   const kt_stream_opts *o, kt_err *err);
/* Server: accepts the next connection of listener onto st, with tls (taken:
 * freed by the stream, also on error) and starts reading. 0 or KT_ENET. */
int kt_stream_accept(kt_stream *st, uv_stream_t *listener, kt_tls *tls, kt_err *err);
/* Client: connects to addr with tls (taken) and starts the handshake; on_ready
 * or on_fail follows. 0 or KT_ENET (no callback). */
int kt_stream_connect(kt_stream *st, const struct sockaddr *addr, kt_tls *tls, kt_err *err);

/* Encodes env (borrowed) as one frame into the TLS session; it goes out at
 * the end of this loop turn (or at kt_stream_flush). KT_ENET once closing
 * (after on_fail sending still works, e.g. an Error before closing), KT_ETOOBIG, KT_ETLS, KT_ENOMEM. Never blocks, never refuses for
 * the cap: the owner decides what not to send (kt_stream_over_cap). */
int kt_stream_send(kt_stream *st, const Kartoteka__Envelope *env, kt_err *err);
/* The same for bytes that already are frames (a page encoded ahead). */
int kt_stream_send_raw(kt_stream *st, const void *data, size_t len, kt_err *err);
/* Hands the queued ciphertext to libuv now. */
void kt_stream_flush(kt_stream *st);
/* Queues a TLS close_notify and flushes it (after the handshake; else nothing). */
void kt_stream_shutdown(kt_stream *st);
/* Flushes what is queued, stops reading and closes the handles; on_closed
 * follows. Idempotent. */
void kt_stream_close(kt_stream *st);

/* The owner stops (paused) or resumes reading from the peer and delivering
 * the frames already received (e.g. while a request waits for its turn, or a
 * reader cannot keep up); independent of the write cap's own pause. Resuming
 * delivers what was held back first, from within this call. */
void kt_stream_pause(kt_stream *st, bool paused);
/* Inside on_frame only: takes the envelope (caller frees with kt_frame_env_free). */
Kartoteka__Envelope *kt_stream_frame_take(kt_stream *st);
/* The stream's TLS session (borrowed), for certificates and session tickets. */
kt_tls *kt_stream_tls(kt_stream *st);
const kt_tls *kt_stream_tls_const(const kt_stream *st);
/* The TCP handle (borrowed), for addresses and socket options. */
uv_tcp_t *kt_stream_tcp(kt_stream *st);
/* Bytes queued for the peer (in libuv and in TLS). */
size_t kt_stream_queued(const kt_stream *st);
/* True while over the write cap (reading paused). */
bool kt_stream_over_cap(const kt_stream *st);
bool kt_stream_is_ready(const kt_stream *st);
/* True once the TCP connection is up (accepted, or connected). */
bool kt_stream_is_connected(const kt_stream *st);
bool kt_stream_is_closing(const kt_stream *st);

#endif
