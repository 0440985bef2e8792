/* srv_net_int — what the files of the network side share: the server and
 * connection structs, sending, closing, the group commit and the handler
 * table's entry type. srv_net.c: listen, accept, connection life, TLS
 * read/write, the write path, timers; srv_dispatch.c: the handler table;
 * srv_handle_auth.c, srv_handle_sync.c, srv_handle_admin.c: the handlers.
 * Not for other modules: they use srv_net.h. Loop thread only. */
#ifndef SRV_NET_INT_H
#define SRV_NET_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kartoteka.pb-c.h"
#include "kt_buf.h"
#include "kt_err.h"
#include "kt_frame.h"
#include "kt_hlc.h"
#include "kt_stream.h"
#include "kt_tls.h"
#include "srv_auth.h"
#include "srv_db.h"
#include "srv_net.h"
#include "srv_rights.h"
#include "srv_sync.h"

/* A connection's place in the conversation: TLS handshake, then Hello, then
 * Login/Resume/Enroll (LOGIN while a password is being checked), then requests. */
typedef enum srv__conn_state {
  SRV__ST_TLS,
  SRV__ST_HELLO,
  SRV__ST_AUTH,
  SRV__ST_LOGIN,
  SRV__ST_READY,
  SRV__ST_CLOSING
} srv__conn_state;

typedef struct srv_conn {
  kt_stream st;          /* TCP, TLS, frames, the write queue; st.data points back to us */
  uv_timer_t timer;
  srv_server *srv;
  struct srv_conn *prev, *next;
  uint64_t id;
  srv__conn_state state;
  int handles_open;
  char peer[64];
  bool enrolled;          /* presented a known, unrevoked device certificate */
  char device_id[40];     /* from the certificate, never from a message */
  char device_user[80];
  srv_auth_info who;      /* after Login/Resume */
  srv_subject *subj;      /* the user's rights, loaded at login (heap: only for live sessions) */
  bool bulk_noted;        /* a full pull was written to the audit log */
  char token[65];
  bool subscribed;
  struct pull_ahead *ahead; /* the next pull page, built before it is asked for */
  bool ahead_wanted;        /* ... to be built once the current page is written */
  uint64_t ahead_since;
  uint32_t ahead_max;
  uint64_t ahead_scope;
  bool notify_owed;       /* a Notify held back while over the write cap: sent once below it */
  bool slow_noted;        /* its first pause for the write cap was logged at info */
  bool pull_queued;       /* in the server's pull queue (holds pending_work) */
  bool pull_req;          /* ... with this request waiting for its answer */
  uint64_t pull_req_id, pull_since, pull_scope;
  uint32_t pull_max;
  struct srv_conn *pq_next;
  struct srv_conn *sub_prev, *sub_next; /* the list of subscribed connections */
  int pending_work;       /* login jobs in flight: the conn is freed only after them */
} srv_conn;

struct srv_server {
  srv_config cfg;
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_signal_t sigterm, sigint;
  kt_tls_ctx *tls;
  EVP_PKEY *ca_key;
  X509 *ca;
  srv_db db;
  srv_sync *sync;
  kt_hlc hlc;
  char server_id[64];
  char epoch[64];
  uv_timer_t backup_timer; /* the daily online backup */
  uv_timer_t users_timer;  /* notices account changes made by `kartotekad user ...` */
  uv_timer_t cert_timer;   /* renews the server certificate, announces the CA's end */
  int64_t cert_due_ms;     /* when the server certificate is due for renewal */
  int64_t ca_warned_ms;    /* the CA warning was logged then (daily) */
  int64_t users_gen;
  int64_t history_pruned_ms; /* the history's retention last ran then */
  uv_work_t backup_work;
  bool backup_running;
  int backup_keep;
  int backup_rc;
  kt_err backup_err;
  srv_conn *conns;
  srv_conn *subs; /* subscribed connections only: a commit notifies these, not every idle one */
  struct srv_claim_bucket *claim_buckets; /* per user: the ClaimCheck keys left (srv_handle_sync.c) */
  size_t nclaim_buckets, capclaim_buckets;
  uint64_t notified_seq; /* the latest sequence number subscribers were told about */
  uv_check_t group_check;  /* end of a loop turn: commits the pushes of the turn */
  bool group_open;
  struct pending_ack *acks, *acks_tail; /* their answers, sent after the commit */
  struct login_work *wait_head, *wait_tail; /* logins waiting for a hashing slot */
  srv_conn *pq_head, *pq_tail; /* connections whose pull work waits (srv_handle_sync.c) */
  uv_idle_t pull_idle;         /* ... done while it is active, a slice per loop turn */
  int hashing;
  char rbuf[65536]; /* ciphertext read buffer and ... */
  kt_buf plain;     /* ... plaintext scratch, shared: each read is consumed at once */
  uint64_t next_id;
  int nconns;
  bool stopping;
};

/* ---- srv_net.c: sending and closing ---------------------------------------------- */

/* c's TLS session (borrowed). */
#define srv__conn_tls(c) kt_stream_tls(&(c)->st)
/* Encodes env (borrowed) into c's stream; it goes out at the end of the loop
 * turn (kt_stream). 0 or a KT_E* code (logged). */
int srv__conn_send(srv_conn *c, Kartoteka__Envelope *env);
/* An Error answer to one request; the connection stays open. */
void srv__send_error(srv_conn *c, uint64_t req_id, int code, const char *msg);
/* An Error answer (if the handshake is done), then the connection is closed. */
void srv__send_error_close(srv_conn *c, uint64_t req_id, int code, const char *msg);
/* Starts closing c (once); it is freed by srv__conn_release when its handles
 * are closed and no work holds it. */
void srv__conn_close(srv_conn *c);
/* Frees c if nothing holds it any more (handles, pending_work); else nothing. */
void srv__conn_release(srv_conn *c);

/* ---- srv_dispatch.c: the handler table -------------------------------------------- */

/* The states an entry is accepted in: a bit per srv__conn_state. */
#define SRV__IN(st) (1u << (st))
#define SRV__ANY_STATE 0xffu

/* What the connection's device must be before the handler runs. */
typedef enum srv__device {
  SRV__DEVICE_ANY,
  SRV__DEVICE_ENROLLED, /* a known device certificate (Login, Resume) */
  SRV__DEVICE_NEW       /* no known certificate (EnrollRequest) */
} srv__device;

/* One message handler, declared next to its code. srv__dispatch answers a
 * message whose body has no entry, or comes in a state not in `states`, with
 * Error KT_EPROTO and closes; with `session` it first checks the user is
 * still enabled and reloads changed rights (closing otherwise). The handler
 * borrows env: the dispatcher frees it after the handler returns. */
typedef struct srv__handler {
  Kartoteka__Envelope__BodyCase body;
  unsigned states;
  srv__device device;
  bool session;
  void (*fn)(srv_conn *c, const Kartoteka__Envelope *env);
} srv__handler;

/* Runs the handler of env (borrowed) for c, or answers Error and closes. */
void srv__dispatch(srv_conn *c, const Kartoteka__Envelope *env);

/* srv_handle_auth.c */
extern const srv__handler srv__hello_entry, srv__login_entry, srv__resume_entry,
    srv__enroll_entry, srv__renew_entry, srv__logout_entry;
/* srv_handle_sync.c */
extern const srv__handler srv__push_entry, srv__pull_entry, srv__subscribe_entry,
    srv__get_entry, srv__claim_entry;
/* srv_handle_admin.c */
extern const srv__handler srv__admin_entry, srv__ping_entry;
/* srv_handle_history.c */
extern const srv__handler srv__history_entry;
/* The history's retention (cfg.history_days): prunes what is older, at most
 * hourly; called from a periodic timer. */
void srv__history_tick(srv_server *s);

/* ---- srv_handle_sync.c: group commit, notify, pull-ahead --------------------------- */

/* Commits the open group of pushes (if any), sends their acks (or Error and
 * close), then notifies subscribers once if anything was applied. Called
 * before anything that reads the master for a client. */
void srv__group_flush(srv_server *s);
/* uv_check callback (data = the server): srv__group_flush at each loop turn's end. */
void srv__on_group_check(uv_check_t *h);
/* Sends Notify (with the changes when few) to every subscribed live session. */
void srv__notify_all(srv_server *s);
/* Tells every subscribed live session whose user's rights generation changed
 * (a role, group or role-rights change) its new rights: the subject is
 * reloaded and a bare Notify with `rights` goes out (srv_handle_auth.c). One
 * read of the user's row per subscriber: called when accounts changed. */
void srv__rights_tell(srv_server *s);
/* Builds c's next pull page ahead of its request (c->ahead_*). */
void srv__pull_ahead_build(srv_conn *c);
/* c's last page was written: its next one is built when the pull queue gets to it. */
void srv__pull_ahead_want(srv_conn *c);
/* uv_idle callback (data = the server): a slice of the queued pull work. */
void srv__on_pull_idle(uv_idle_t *h);
/* Frees a page built ahead; NULL is a no-op. */
void srv__ahead_free(struct pull_ahead *a);

#endif
