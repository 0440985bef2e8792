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
#include "srv_rights.h"

#define SRV_MAX_SKEW_MS (5 * 60 * 1000)
/* the most changes one Push may hold (a client sends 500 at a time): a bigger
   one is refused whole, so one message cannot keep the loop busy for long */
#define SRV_PUSH_MAX 5000
#define SRV_PULL_MAX 5000
/* a page stops early once its changes hold about this many bytes */
#define SRV_PULL_BYTES (4u << 20)

typedef struct srv_sync srv_sync;

/* server_id: the server's own device UUID (it writes conflict records). */
int srv_sync_new(srv_db *d, kt_hlc *hlc, const char *server_id, srv_sync **out, kt_err *err);
void srv_sync_free(srv_sync *s);

typedef struct srv_writer {
  const char *device_id;     /* from the certificate */
  const char *user;          /* from the session */
  const srv_subject *subj;   /* rights to enforce; NULL = none (server-side tools) */
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
  Kartoteka__Revoke *revs;
  kt_scope *scopes;   /* srv_sync_notify_page only: the scope of each change */
  bool revoked;       /* ... and whether a record left somebody's scope in the range */
} srv_page;

/* Fills page with the changes after since (at most max, 0 = SRV_PULL_MAX) that
 * subj may read (NULL = all), phones and e-mails of colleagues' cards left out
 * unless the role sees them, and revokes of the records in the range that subj
 * could read before and cannot now. A pull under another rights generation
 * (scope) than the user's is answered from the start with wipe set. Free with
 * srv_page_free. */
int srv_sync_pull(srv_sync *s, const srv_subject *subj, uint64_t since, uint64_t scope,
                  uint32_t max, srv_page *page, kt_err *err);
/* Pull pages stop early once their changes hold about this many bytes (0 or
 * more than SRV_PULL_BYTES: SRV_PULL_BYTES); the server sets its write cap, so
 * one page is about what a connection may have queued. */
void srv_sync_set_page_bytes(srv_sync *s, size_t bytes);
/* One record that subj may read; KT_ENOTFOUND (the same message) when it does
 * not exist or is not visible. */
int srv_sync_get(srv_sync *s, const srv_subject *subj, const char *type, const char *id,
                 srv_page *page, kt_err *err);
/* Duplicate claim check across the whole base (live client cards). */
typedef struct srv_claim {
  bool exists;
  char type[32];   /* org or contact */
  char owner[80];  /* the manager it is assigned to ("" = nobody) */
  char what[16];   /* which key matched: phone, email or tax_id */
} srv_claim;
int srv_sync_claim(srv_sync *s, const char *phone, const char *email, const char *tax_id,
                   srv_claim *out, kt_err *err);
/* The claim check of many cards (an import): for each of the n claim keys
 * (kt_mfield_claim_key's form, or kt_rec_name_key's "n:" name and city) that a
 * live client card holds, hit(ud, key,
 * claim) (non-zero stops, returned). KT_EINVAL for more than
 * SRV_CLAIM_KEYS_MAX keys or a malformed one. */
#define SRV_CLAIM_KEYS_MAX 1000
typedef int (*srv_claim_hit_fn)(void *ud, const char *key, const srv_claim *claim);
int srv_sync_claim_keys(srv_sync *s, const char *const *keys, size_t n, srv_claim_hit_fn hit,
                        void *ud, kt_err *err);
/* The changes after since as everybody's Notify would carry them: unfiltered,
 * with each change's scope, for srv_sync_page_view. KT_ENOTFOUND-free: fails only
 * on database errors. At most max changes; page->msg.more when there are more. */
int srv_sync_notify_page(srv_sync *s, uint64_t since, uint32_t max, srv_page *page, kt_err *err);
/* What subj's pull would return of a notify page: fills view (its changes point
 * into full and into changes, an array of full's size owned by the caller) and
 * returns true; false when subj must pull instead (a record left some scope in
 * the range: revokes are computed per user by a pull; or a change of a card whose
 * phones and e-mails subj may not see). */
bool srv_sync_page_view(const srv_page *full, const srv_subject *subj, Kartoteka__Changes *view,
                        Kartoteka__Change **changes);
void srv_page_free(srv_page *page);

/* Writes the staff record of an account (id = the account's id): name, and
 * birthday unless NULL ("" clears it, else YYYY-MM-DD: KT_EINVAL otherwise);
 * deleted 1/0 puts it in or out of the trash, -1 keeps it. A missing record
 * is created only when create; *changed says whether anything was written (a
 * new feed row: tell live clients). One transaction; may run in another
 * process than the server's (`kartotekad user ...`). */
int srv_sync_put_staff(srv_sync *s, const char *id, const char *name, const char *birthday,
                       int deleted, bool create, bool *changed, kt_err *err);

/* Canonical dump of the master copy (same format as cl_store_dump). */
int srv_sync_dump(srv_sync *s, kt_buf *out, kt_err *err);

/* Latest server sequence number. */
int srv_sync_latest(srv_sync *s, uint64_t *seq, kt_err *err);

#endif
