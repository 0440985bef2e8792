/* srv_handle_sync — the handlers of the replica's traffic: Push (group
 * commit: the pushes of one loop turn share one synced transaction, their acks
 * go out after it), Pull (pages built one ahead), Subscribe and the Notify
 * after commits, Get (one record) and ClaimCheck. Each handler's table entry
 * (srv_net_int.h) follows it; srv_dispatch.c has checked the entry's states
 * and the session before it runs. Loop thread only. */
#include "srv_net_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_alloc.h"
#include "kt_frame.h"
#include "kt_log.h"
#include "kt_stream.h"
#include "kt_tls.h"
#include "srv_audit.h"
#include "srv_sync.h"

/* Notify after a commit. The changes since the previous notify travel with it
 * when they are few (NOTIFY_DIRECT_MAX), so a subscriber that is up to date
 * applies them without a Pull round trip. Each subscriber gets what its own
 * pull would return (srv_sync_page_view: the records it may read); one whose
 * view cannot be made that way (a revoke in the range, hidden phones) gets the
 * bare Notify and pulls. */
#define NOTIFY_DIRECT_MAX 64

void srv__notify_all(srv_server *s) {
  uint64_t latest = 0;
  if (srv_sync_latest(s->sync, &latest, NULL)) return;
  uint64_t since = s->notified_seq;
  s->notified_seq = latest;
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Notify n = KARTOTEKA__NOTIFY__INIT;
  n.latest_seq = latest;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_NOTIFY;
  out.notify = &n;
  srv_page page;
  Kartoteka__Change **buf = NULL;
  bool direct = s->subs && since && since < latest && latest - since <= NOTIFY_DIRECT_MAX &&
                srv_sync_notify_page(s->sync, since, NOTIFY_DIRECT_MAX, &page, NULL) == 0;
  if (direct && (page.msg.more ||
                 !(buf = calloc(page.msg.n_changes ? page.msg.n_changes : 1, sizeof *buf)))) {
    srv_page_free(&page);
    direct = false;
  }
  for (srv_conn *c = s->subs; c; c = c->sub_next) {
    if (c->state != SRV__ST_READY) continue;
    if (kt_stream_over_cap(&c->st)) {
      /* it does not read: no more live changes pile up for it, one bare Notify
         goes out once it is below the cap (on_conn_pressure) and it pulls */
      if (!c->notify_owed)
        kt_log_info("net", "conn %llu (%s): over the write cap; live changes held back",
                    (unsigned long long)c->id, c->peer);
      c->notify_owed = true;
      continue;
    }
    Kartoteka__Changes view;
    bool mine = direct && c->subj && srv_sync_page_view(&page, c->subj, &view, buf);
    n.since_seq = mine ? since : 0;
    n.changes = mine ? &view : NULL;
    srv__conn_send(c, &out);
  }
  if (direct) {
    free(buf);
    srv_page_free(&page);
  }
}

/* Group commit (DESIGN.md: pushes arriving in one loop turn commit together).
 * The first push of a loop turn opens a transaction; each push is applied in
 * a savepoint and its answer waits; at the end of the turn (a uv_check
 * handle, after every read of the turn) one synced commit makes them all
 * durable, then the acks go out and subscribers are notified once. Anything
 * else that reads the master for a client (a pull, a login...) first commits
 * the open group (srv__group_flush), so no client ever sees what is not durable. */
typedef struct pending_ack {
  struct pending_ack *next;
  srv_conn *c; /* held by pending_work until the answer is sent */
  uint64_t req_id;
  Kartoteka__PushAck ack;
  bool applied;
} pending_ack;

void srv__group_flush(srv_server *s) {
  if (!s->group_open) return;
  s->group_open = false;
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_sync_group_commit(s->sync, &err);
  bool applied = false;
  pending_ack *p = s->acks;
  s->acks = s->acks_tail = NULL;
  while (p) {
    pending_ack *next = p->next;
    srv_conn *c = p->c;
    if (rc) {
      srv__send_error_close(c, p->req_id, rc, err.msg);
    } else {
      Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
      out.req_id = p->req_id;
      out.body_case = KARTOTEKA__ENVELOPE__BODY_PUSH_ACK;
      out.push_ack = &p->ack;
      srv__conn_send(c, &out); /* after the commit: the ack is durable */
      applied = applied || p->applied;
    }
    srv_sync_ack_free(&p->ack);
    free(p);
    c->pending_work--;
    srv__conn_release(c); /* frees it only if it closed meanwhile */
    p = next;
  }
  if (applied) srv__notify_all(s);
}

void srv__on_group_check(uv_check_t *h) { srv__group_flush(h->data); }

static void handle_push(srv_conn *c, const Kartoteka__Envelope *env) {
  srv_server *s = c->srv;
  if (env->push->n_changes > SRV_PUSH_MAX) {
    char msg[160];
    snprintf(msg, sizeof msg, "a push may hold at most %d changes (this one had %zu); Kartoteka "
             "sends them in smaller batches: use an unmodified, current client", SRV_PUSH_MAX,
             env->push->n_changes);
    srv_audit_note(&s->db, c->who.user, c->device_id, "denied.push", "", "%s", msg);
    srv__send_error_close(c, env->req_id, KT_ETOOBIG, msg);
    return;
  }
  kt_err err;
  kt_err_clear(&err);
  pending_ack *p = calloc(1, sizeof *p);
  if (!p) {
    srv__send_error_close(c, env->req_id, KT_ENOMEM, "out of memory");
    return;
  }
  int rc = 0;
  if (!s->group_open && !(rc = srv_sync_group_begin(s->sync, &err))) s->group_open = true;
  kartoteka__push_ack__init(&p->ack);
  srv_writer w = {c->device_id, c->who.user, c->subj};
  if (!rc) rc = srv_sync_push_grouped(s->sync, &w, env->push, &p->ack, &err);
  if (rc) {
    free(p);
    srv__send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  for (size_t i = 0; i < p->ack.n_results; i++)
    if (p->ack.results[i]->server_seq) p->applied = true;
  p->c = c;
  p->req_id = env->req_id;
  c->pending_work++;
  if (s->acks_tail) s->acks_tail->next = p;
  else s->acks = p;
  s->acks_tail = p;
}

const srv__handler srv__push_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_PUSH,
    .states = SRV__IN(SRV__ST_READY),
    .session = true,
    .fn = handle_push};

/* Pull pages are built one ahead: once a page with `more` has been written
 * to the socket, the next one (since = its next_seq) is built and encoded,
 * while the client applies the page it got, and goes out as soon as the client
 * asks for it; a catching-up client then hardly waits for the server. A page built before later
 * commits is still a correct answer: what commits later gets higher sequence
 * numbers and comes in a later page. The page is kept encoded without its
 * req_id (an Envelope field that may come in any order), which is prepended
 * when it is sent. */
typedef struct pull_ahead {
  uint64_t since;
  uint32_t max;
  uint64_t scope;   /* the rights generation the client asked with */
  uint64_t gen;     /* ... and the user's when the page was built (a change rebuilds it) */
  bool more, wipe;
  size_t n_revokes;
  uint64_t next;
  kt_buf frame; /* length prefix + Envelope{changes} with req_id 0 */
} pull_ahead;

void srv__ahead_free(pull_ahead *a) {
  if (!a) return;
  kt_buf_free(&a->frame);
  free(a);
}

/* Builds the page after `since` for c (what its user may read), encoded. */
static int pull_build(srv_conn *c, uint64_t since, uint32_t max, uint64_t scope, pull_ahead **out,
                      kt_err *err) {
  srv_page page;
  int rc = srv_sync_pull(c->srv->sync, c->subj, since, scope, max, &page, err);
  if (rc) return rc;
  pull_ahead *a = calloc(1, sizeof *a);
  if (!a) {
    srv_page_free(&page);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  a->since = since;
  a->max = max;
  a->scope = scope;
  a->gen = c->subj->scope_gen;
  a->more = page.msg.more;
  a->wipe = page.msg.wipe;
  a->n_revokes = page.msg.n_revokes;
  a->next = page.msg.next_seq;
  Kartoteka__Envelope env = KARTOTEKA__ENVELOPE__INIT;
  env.body_case = KARTOTEKA__ENVELOPE__BODY_CHANGES;
  env.changes = &page.msg;
  rc = kt_frame_encode_max(&env, c->srv->cfg.max_frame, &a->frame, err);
  srv_page_free(&page);
  if (rc) {
    srv__ahead_free(a);
    return rc;
  }
  *out = a;
  return 0;
}

/* Sends an encoded page as the answer to req_id. */
static int pull_send_page(srv_conn *c, uint64_t req_id, const pull_ahead *a, kt_err *err) {
  unsigned char hdr[16];
  size_t k = KT_FRAME_HEADER;
  hdr[k++] = 0x08; /* Envelope.req_id: field 1, varint */
  for (uint64_t v = req_id;; v >>= 7) {
    hdr[k++] = (unsigned char)(v < 0x80 ? v : (v & 0x7f) | 0x80);
    if (v < 0x80) break;
  }
  size_t body = a->frame.len - KT_FRAME_HEADER, n = k - KT_FRAME_HEADER + body;
  hdr[0] = (unsigned char)(n >> 24);
  hdr[1] = (unsigned char)(n >> 16);
  hdr[2] = (unsigned char)(n >> 8);
  hdr[3] = (unsigned char)n;
  int rc = kt_stream_send_raw(&c->st, hdr, k, err);
  if (!rc) rc = kt_stream_send_raw(&c->st, a->frame.p + KT_FRAME_HEADER, body, err);
  return rc;
}

static void send_page(srv_conn *c, uint64_t req_id, srv_page *page) {
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  out.req_id = req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_CHANGES;
  out.changes = &page->msg;
  srv__conn_send(c, &out);
  srv_page_free(page);
}

/* Pulls wait their turn. Building a page is the server's biggest piece of
 * work, so pull requests (and pages built ahead) are queued and done after
 * the loop turn's I/O and group commit, a slice of PULL_SLICE_MS at a time
 * (a uv_idle handle keeps the loop from sleeping while work waits): a crowd
 * catching up never holds back the acks of the PCs that push. While its pull
 * waits, nothing more is read from that connection (answers stay in order). */
#define PULL_SLICE_MS 5

static void pull_answer(srv_conn *c);

static void pull_enqueue(srv_conn *c) {
  srv_server *s = c->srv;
  if (c->pull_queued) return;
  c->pull_queued = true;
  c->pending_work++; /* freed only once it left the queue */
  c->pq_next = NULL;
  if (s->pq_tail) s->pq_tail->pq_next = c;
  else s->pq_head = c;
  s->pq_tail = c;
  uv_idle_start(&s->pull_idle, srv__on_pull_idle);
}

void srv__on_pull_idle(uv_idle_t *h) {
  srv_server *s = h->data;
  uint64_t t0 = uv_hrtime();
  srv__group_flush(s); /* pages hold durable changes only */
  while (s->pq_head && uv_hrtime() - t0 < (uint64_t)PULL_SLICE_MS * 1000000u) {
    srv_conn *c = s->pq_head;
    s->pq_head = c->pq_next;
    if (!s->pq_head) s->pq_tail = NULL;
    c->pull_queued = false;
    if (c->state == SRV__ST_READY) {
      if (c->pull_req) {
        c->pull_req = false;
        pull_answer(c);
        kt_stream_pause(&c->st, false); /* may dispatch what it sent meanwhile */
      } else if (c->ahead_wanted) {
        srv__pull_ahead_build(c);
      }
    }
    c->pending_work--;
    srv__conn_release(c); /* frees it only if it closed meanwhile */
  }
  if (!s->pq_head) uv_idle_stop(h);
}

void srv__pull_ahead_want(srv_conn *c) {
  if (c->ahead_wanted && c->state == SRV__ST_READY) pull_enqueue(c);
}

static void handle_pull(srv_conn *c, const Kartoteka__Envelope *env) {
  const Kartoteka__Pull *p = env->pull;
  c->pull_req = true;
  c->pull_req_id = env->req_id;
  c->pull_since = p->since_seq;
  c->pull_max = p->max;
  c->pull_scope = p->scope;
  kt_stream_pause(&c->st, true);
  pull_enqueue(c);
}

static void pull_answer(srv_conn *c) {
  kt_err err;
  kt_err_clear(&err);
  Kartoteka__Pull req = KARTOTEKA__PULL__INIT, *p = &req;
  req.since_seq = c->pull_since;
  req.max = c->pull_max;
  req.scope = c->pull_scope;
  Kartoteka__Envelope envs = KARTOTEKA__ENVELOPE__INIT, *env = &envs;
  envs.req_id = c->pull_req_id;
  pull_ahead *a = c->ahead;
  c->ahead = NULL;
  int rc = 0;
  if (!a || a->since != p->since_seq || a->max != p->max || a->scope != p->scope ||
      a->gen != c->subj->scope_gen) {
    srv__ahead_free(a);
    a = NULL;
    rc = pull_build(c, p->since_seq, p->max, p->scope, &a, &err);
  }
  if (!rc && (p->since_seq == 0 || a->wipe) && !c->bulk_noted) {
    /* a whole replica is being read: worth a line in the audit log */
    c->bulk_noted = true;
    srv_audit_note(&c->srv->db, c->who.user, c->device_id, "pull.full", c->peer, "role %s%s",
                   c->subj->role, a->wipe && p->since_seq ? ", rights changed" : "");
  }
  if (!rc && a->n_revokes)
    srv_audit_note(&c->srv->db, c->who.user, c->device_id, "revoke", c->peer, "%zu records",
                   a->n_revokes);
  if (!rc) rc = pull_send_page(c, env->req_id, a, &err);
  if (rc) {
    srv__ahead_free(a);
    srv__send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  c->ahead_wanted = a->more; /* built once this page is written (srv__pull_ahead_want) */
  c->ahead_since = a->next;
  c->ahead_max = p->max;
  c->ahead_scope = a->gen;
  srv__ahead_free(a);
}

const srv__handler srv__pull_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_PULL,
    .states = SRV__IN(SRV__ST_READY),
    .session = true,
    .fn = handle_pull};

void srv__pull_ahead_build(srv_conn *c) {
  c->ahead_wanted = false;
  if (c->state != SRV__ST_READY || c->ahead) return;
  srv__group_flush(c->srv); /* a page holds durable changes only */
  if (pull_build(c, c->ahead_since, c->ahead_max, c->ahead_scope, &c->ahead, NULL)) c->ahead = NULL;
}

static void handle_get(srv_conn *c, const Kartoteka__Envelope *env) {
  srv_page page;
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_sync_get(c->srv->sync, c->subj, env->get->type, env->get->id, &page, &err);
  if (rc == KT_ENOTFOUND) {
    srv_audit_note(&c->srv->db, c->who.user, c->device_id, "get.notfound", env->get->id, "%s",
                   env->get->type);
    srv__send_error(c, env->req_id, rc, err.msg); /* an answer, not a protocol violation */
    return;
  }
  if (rc) {
    srv__send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  send_page(c, env->req_id, &page);
}

const srv__handler srv__get_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_GET,
    .states = SRV__IN(SRV__ST_READY),
    .session = true,
    .fn = handle_get};

typedef struct claim_hits {
  Kartoteka__ClaimHit *hit;
  Kartoteka__ClaimHit **ptr;
  srv_claim *claim;
  size_t n;
} claim_hits;

static int on_claim_hit(void *ud, const char *key, const srv_claim *cl) {
  claim_hits *h = ud;
  Kartoteka__ClaimHit *x = &h->hit[h->n];
  kartoteka__claim_hit__init(x);
  h->claim[h->n] = *cl;
  x->key = (char *)key;
  x->type = h->claim[h->n].type;
  x->owner = h->claim[h->n].owner;
  h->ptr[h->n++] = x;
  return 0;
}

/* ClaimCheck's budget: a token bucket of claim keys per user (names are easy
 * to guess: without it a manager could learn whose client every firm of a
 * city is). It holds cfg.claim_budget keys and refills at that many an hour.
 * In memory: a restart refills it (a later HA server keeps it in the db). */
struct srv_claim_bucket {
  char user[80];
  double keys;    /* left */
  uint64_t at_ms; /* when last refilled */
};

/* Takes n keys from user's bucket: 0, or 1 when it holds fewer (nothing taken;
 * *left and *wait_s say how many it holds and when n are back), or KT_ENOMEM. */
static int claim_take(srv_server *s, const char *user, size_t n, double *left, int *wait_s) {
  double cap = s->cfg.claim_budget ? s->cfg.claim_budget : SRV_CLAIM_BUDGET_DEFAULT;
  double per_ms = cap / 3600000.0;
  uint64_t now = kt_now_ms();
  struct srv_claim_bucket *b = NULL;
  for (size_t i = 0; i < s->nclaim_buckets && !b; i++)
    if (strcmp(s->claim_buckets[i].user, user) == 0) b = &s->claim_buckets[i];
  if (!b) {
    if (s->nclaim_buckets == s->capclaim_buckets) {
      size_t ncap = s->capclaim_buckets ? s->capclaim_buckets * 2 : 16;
      struct srv_claim_bucket *p = realloc(s->claim_buckets, ncap * sizeof *p);
      if (!p) return KT_ENOMEM;
      s->claim_buckets = p;
      s->capclaim_buckets = ncap;
    }
    b = &s->claim_buckets[s->nclaim_buckets++];
    snprintf(b->user, sizeof b->user, "%s", user);
    b->keys = cap;
    b->at_ms = now;
  }
  if (now > b->at_ms) b->keys += (double)(now - b->at_ms) * per_ms;
  if (b->keys > cap) b->keys = cap;
  b->at_ms = now;
  *left = b->keys;
  if (b->keys >= (double)n) {
    b->keys -= (double)n;
    return 0;
  }
  *wait_s = (int)(((double)n - b->keys) / per_ms / 1000.0) + 1;
  return 1;
}

static void handle_claim(srv_conn *c, const Kartoteka__Envelope *env) {
  const Kartoteka__ClaimCheck *q = env->claim_check;
  srv_claim cl;
  kt_err err;
  kt_err_clear(&err);
  size_t want = q->n_keys + (q->phone && *q->phone) + (q->email && *q->email) +
                (q->tax_id && *q->tax_id);
  double left = 0;
  int wait_s = 0;
  int over = want ? claim_take(c->srv, c->who.user, want, &left, &wait_s) : 0;
  if (over == KT_ENOMEM) {
    srv__send_error_close(c, env->req_id, KT_ENOMEM, "out of memory");
    return;
  }
  if (over) {
    uint32_t cap = c->srv->cfg.claim_budget ? c->srv->cfg.claim_budget : SRV_CLAIM_BUDGET_DEFAULT;
    int mins = (wait_s + 59) / 60;
    kt_log_warn("sync", "conn %llu: %s asked %zu claim keys with %.0f of %u an hour left: refused",
                (unsigned long long)c->id, c->who.user, want, left, cap);
    srv_audit_note(&c->srv->db, c->who.user, c->device_id, "claim.throttled", c->who.user,
                   "%zu keys asked, %.0f left of %u an hour", want, left, cap);
    char msg[KT_ERR_MSG_MAX];
    snprintf(msg, sizeof msg,
             "too many duplicate checks: the server answers %u claim keys an hour for each user "
             "and %s has %.0f left, fewer than the %zu asked; nothing was checked: try again in "
             "%d minute%s (an administrator can raise the limit: kartotekad serve "
             "--claim-budget KEYS)",
             cap, c->who.user, left, want, mins, mins == 1 ? "" : "s");
    srv__send_error(c, env->req_id, KT_ETHROTTLED, msg); /* an answer: the session goes on */
    return;
  }
  int rc = srv_sync_claim(c->srv->sync, q->phone, q->email, q->tax_id, &cl, &err);
  claim_hits h = {0};
  size_t nk = q->n_keys;
  if (!rc && nk) {
    h.hit = kt_calloc(nk, sizeof *h.hit);
    h.ptr = kt_calloc(nk, sizeof *h.ptr);
    h.claim = kt_calloc(nk, sizeof *h.claim);
    if (!h.hit || !h.ptr || !h.claim) rc = kt_err_set(&err, KT_ENOMEM, "out of memory");
    else rc = srv_sync_claim_keys(c->srv->sync, (const char *const *)q->keys, nk, on_claim_hit, &h,
                                  &err);
  }
  if (rc) {
    srv__send_error_close(c, env->req_id, rc, err.msg);
  } else {
    Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
    Kartoteka__ClaimResult res = KARTOTEKA__CLAIM_RESULT__INIT;
    res.exists = cl.exists;
    res.owner = cl.owner;
    res.type = cl.type;
    res.batch = true;
    res.n_hits = h.n;
    res.hits = h.ptr;
    out.req_id = env->req_id;
    out.body_case = KARTOTEKA__ENVELOPE__BODY_CLAIM_RESULT;
    out.claim_result = &res;
    srv__conn_send(c, &out);
  }
  kt_free(h.hit);
  kt_free(h.ptr);
  kt_free(h.claim);
}

const srv__handler srv__claim_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_CLAIM_CHECK,
    .states = SRV__IN(SRV__ST_READY),
    .session = true,
    .fn = handle_claim};

static void handle_subscribe(srv_conn *c, const Kartoteka__Envelope *env) {
  if (!c->subscribed) {
    c->subscribed = true;
    srv_server *s = c->srv;
    c->sub_prev = NULL;
    c->sub_next = s->subs;
    if (s->subs) s->subs->sub_prev = c;
    s->subs = c;
  }
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Notify n = KARTOTEKA__NOTIFY__INIT;
  srv_sync_latest(c->srv->sync, &n.latest_seq, NULL);
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_NOTIFY;
  out.notify = &n;
  srv__conn_send(c, &out);
}

const srv__handler srv__subscribe_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_SUBSCRIBE,
    .states = SRV__IN(SRV__ST_READY),
    .fn = handle_subscribe};
