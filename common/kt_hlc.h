/* kt_hlc — Hybrid Logical Clock stamps for ordering changes between devices.
 *
 * A stamp is a uint64: 48 bits of unix milliseconds << 16 | a 16-bit counter, so
 * stamps compare as plain integers. A kt_hlc belongs to one owner (the server
 * loop, or one client connection) and is not locked. Invariant: every stamp
 * kt_hlc_now returns is strictly greater than every stamp it returned before,
 * every stamp passed to kt_hlc_recv and the `last` it was initialised with. */
#ifndef KT_HLC_H
#define KT_HLC_H

#include <stdint.h>

#include "kt_err.h"

typedef uint64_t kt_stamp;

#define KT_STAMP_MS(s) ((uint64_t)(s) >> 16)
#define KT_STAMP_CTR(s) ((unsigned)((s) & 0xffffu))
#define KT_STAMP_MAKE(ms, ctr) (((uint64_t)(ms) << 16) | ((ctr) & 0xffffu))

/* Returns the current unix time in ms; ud is the pointer given to kt_hlc_init. */
typedef uint64_t (*kt_clock_fn)(void *ud);

typedef struct kt_hlc {
  kt_stamp last;     /* highest stamp issued or received */
  kt_clock_fn now_ms;
  void *ud;
} kt_hlc;

/* CLOCK_REALTIME in unix ms (0 for times before 1970). */
uint64_t kt_now_ms(void);

/* Sets up h. now_ms NULL = kt_now_ms; `last` = highest stamp persisted so far
 * (0 for a fresh database). */
void kt_hlc_init(kt_hlc *h, kt_stamp last, kt_clock_fn now_ms, void *ud);

/* Stamp for a local event or a send: max(wall clock, last + 1). The counter
 * overflowing 0xffff carries into the ms part. Never fails. */
kt_stamp kt_hlc_now(kt_hlc *h);

/* Merges a stamp received from a peer: afterwards h->last >= remote, so the next
 * kt_hlc_now is greater. If max_ahead_ms > 0 and the remote ms is more than
 * max_ahead_ms ahead of this computer's wall clock, returns KT_ECLOCK (err says
 * by how many seconds and what to do) and does not advance. 0 otherwise. */
int kt_hlc_recv(kt_hlc *h, kt_stamp remote, uint64_t max_ahead_ms, kt_err *err);

/* Formats "2026-11-22T10:00:00.123Z#5" (UTC, counter after '#') for logs. */
void kt_stamp_format(kt_stamp s, char out[40]);

#endif
