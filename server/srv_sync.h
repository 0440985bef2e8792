/* srv_sync — the master copy: applying pushed change sets and serving pulls.
 *
 * Push: one SQLite transaction per batch (synchronous=FULL, so the ack that
 * follows is durable); a change whose device counter is not above the
 * device's last applied one is a no-op (O(1) idempotency); each field merges
 * by (HLC stamp, device) — the higher wins; a concurrent edit (the stored
 * value is not the one the client's edit was based on, and came from another
 * device) leaves the losing value in the synced conflict log; identity of the
 * writer comes from the session, never from the message; stamps too far
 * ahead of the server clock are refused ("your PC clock is wrong").
 * Pull: the feed holds one row per record (its latest server sequence), so a
 * fresh client gets current state, not history. Loop thread only. */
#ifndef SRV_SYNC_H
#define SRV_SYNC_H

#include "kartoteka.pb-c.h"
#include "kt_hlc.h"
#include "kt_model.h"
#include "srv_db.h"

#define SRV_MAX_SKEW_MS (5 * 60 * 1000)
#define SRV_PULL_MAX 5000
/* a page stops early once its changes hold about this many bytes */
#define SRV_PULL_BYTES (4u << 20)

typedef struct srv_sync srv_sync;

/* server_id: the server's own device UUID (it writes conflict records). */
int srv_sync_new(srv_db *d, kt_hlc *hlc, const char *server_id, srv_sync **out, kt_err *err);
void srv_sync_free(srv_sync *s);

typedef struct srv_writer {
  const char *device_id; /* from the certificate */
  const char *user;      /* from the session */
} srv_writer;

/* Applies a Push; fills ack (results array allocated here: free with
 * srv_sync_ack_free). Whole-batch failures (database) return an error and
 * nothing is applied. */
int srv_sync_push(srv_sync *s, const srv_writer *w, const Kartoteka__Push *push,
                  Kartoteka__PushAck *ack, kt_err *err);
void srv_sync_ack_free(Kartoteka__PushAck *ack);

/* Group commit: the pushes that arrive in one loop turn share one transaction
 * (one synced commit). begin opens it; each srv_sync_push_grouped applies one
 * push in a savepoint (on its error only that push is undone, ack is not
 * filled); commit makes them all durable, or on failure none of them (then
 * no ack may be sent). Nothing may read the master for a client between begin
 * and commit (it would see what is not durable yet). */
int srv_sync_group_begin(srv_sync *s, kt_err *err);
int srv_sync_push_grouped(srv_sync *s, const srv_writer *w, const Kartoteka__Push *push,
                          Kartoteka__PushAck *ack, kt_err *err);
int srv_sync_group_commit(srv_sync *s, kt_err *err);

/* A page of the feed: the Changes message and the records behind its strings. */
typedef struct srv_page {
  Kartoteka__Changes msg;
  struct kt_rec **recs;
  Kartoteka__Change *vals;
} srv_page;

/* Fills page with the changes after since (at most max, 0 = SRV_PULL_MAX);
 * free with srv_page_free. */
int srv_sync_pull(srv_sync *s, uint64_t since, uint32_t max, srv_page *page, kt_err *err);
void srv_page_free(srv_page *page);

/* Canonical dump of the master copy (same format as cl_store_dump). */
int srv_sync_dump(srv_sync *s, kt_buf *out, kt_err *err);

/* Latest server sequence number. */
int srv_sync_latest(srv_sync *s, uint64_t *seq, kt_err *err);

#endif
