/* cl_sync — see cl_sync.h. */
#include "cl_sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_client.h"
#include "cl_outbox.h"
#include "cl_session.h"
#include "kt_alloc.h"
#include "kt_change.h"
#include "kt_frame.h"
#include "kt_hlc.h"
#include "kt_i18n.h"
#include "kt_log.h"
#include "kt_plat.h"
#include "kt_time.h"

#define PUSH_BATCH 500
#define PULL_MAX 5000 /* the server may send fewer (it caps a page's size) */
#define PULL_TX_RECORDS 20000 /* pages applied in one transaction while catching up */
#define SETTLE_MS 20       /* after the last WAL write seen, look at the data version */
#define SETTLE_LATE_MS 250 /* and once more then */

typedef struct push_ctx {
  cl_store *s;
  Kartoteka__Change *vals;
  Kartoteka__Change **chs;
  kt_rec **recs;
  int64_t *seqs;
  kt_vers *bases;
  void **kept; /* per change: the kept values attached (cl_store_kept_attach) */
  size_t n;
  kt_err *err;
  int rc;
} push_ctx;

static int collect(void *ud, const cl_outbox_item *it) {
  push_ctx *p = ud;
  size_t i = p->n;
  kartoteka__change__init(&p->vals[i]);
  p->bases[i] = it->base;
  p->recs[i] = it->rec_copy;
  p->rc = kt_change_from_rec(it->rec_copy, &it->fields, &p->bases[i], cl_store_devname, p->s,
                             &p->vals[i], p->err);
  if (!p->rc) p->rc = cl_store_kept_attach(p->s, it->rec_copy, &p->vals[i], &p->kept[i], p->err);
  if (p->rc) { /* the walk stops: this entry's copy is not in recs[0..n) */
    kt_change_clear(&p->vals[i]);
    cl_rec_free(it->rec_copy);
    p->recs[i] = NULL;
    return 1;
  }
  p->vals[i].counter = (uint64_t)it->seq;
  p->chs[i] = &p->vals[i];
  p->seqs[i] = it->seq;
  p->n++;
  return 0;
}

/* Cards the user deleted whose change must not be sent as it is: a new card
 * the server never accepted (parked) and a refused change (held). Each goes
 * back to the server's copy, then the deletion alone is written again and sent
 * with the rest of the outbox; a card the server has no copy of (the parked
 * ones, unless an acknowledgement was lost) is removed from this PC. */
typedef struct held_ctx {
  cl_cards cards;
  int rc;
} held_ctx;

static int on_held(void *ud, const cl_outbox_entry *e) {
  held_ctx *h = ud;
  if (e->hold && (h->rc = cl_cards_add(&h->cards, e->type, e->id))) return 1;
  return 0;
}

static int run_held(cl_conn *c, cl_store *s, cl_sync_stats *st, kt_err *err) {
  held_ctx h = {{0}, 0};
  int rc = cl_outbox_list(s, true, on_held, &h, err);
  if (!rc && h.rc) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < h.cards.n; i++) {
    bool left = false; /* restored meanwhile by another program: sent as it is */
    rc = cl_outbox_reset_held(c, s, h.cards.types[i], h.cards.ids[i], &left, err);
    if (rc || left) continue;
    cl_rec *r = NULL;
    kt_err e2;
    if (cl_store_get(s, h.cards.ids[i], &r, NULL) == 0 && !cl_rec_deleted(r) &&
        cl_store_delete(s, h.cards.ids[i], &e2))
      kt_log_warn("sync", "%s %s is back as the server has it but cannot be deleted: %s",
                  h.cards.types[i], h.cards.ids[i], e2.msg);
    cl_rec_free(r);
    st->dropped++;
  }
  cl_cards_free(&h.cards);
  return rc;
}

static int push_all(cl_conn *c, cl_store *s, cl_sync_stats *st, kt_err *err) {
  int rc0 = run_held(c, s, st, err);
  if (rc0) return rc0;
  for (;;) {
    cl_cards undo = {0};
    push_ctx p = {.s = s, .err = err};
    p.vals = kt_calloc(PUSH_BATCH, sizeof *p.vals);
    p.chs = kt_calloc(PUSH_BATCH, sizeof *p.chs);
    p.recs = kt_calloc(PUSH_BATCH, sizeof *p.recs);
    p.seqs = kt_calloc(PUSH_BATCH, sizeof *p.seqs);
    p.bases = kt_calloc(PUSH_BATCH, sizeof *p.bases);
    p.kept = kt_calloc(PUSH_BATCH, sizeof *p.kept);
    int rc = 0;
    if (!p.vals || !p.chs || !p.recs || !p.seqs || !p.bases || !p.kept)
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    if (!rc) rc = cl_store_outbox_walk(s, PUSH_BATCH, collect, &p, err);
    if (!rc) rc = p.rc;
    Kartoteka__Envelope *rep = NULL;
    bool only_refused = false;
    if (!rc && p.n) {
      Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT;
      Kartoteka__Push push = KARTOTEKA__PUSH__INIT;
      push.changes = p.chs;
      push.n_changes = p.n;
      req.body_case = KARTOTEKA__ENVELOPE__BODY_PUSH;
      req.push = &push;
      rc = cl_conn_request(c, &req, &rep, err);
      if (!rc && (rep->body_case != KARTOTEKA__ENVELOPE__BODY_PUSH_ACK ||
                  rep->push_ack->n_results != p.n))
        rc = kt_err_set(err, KT_EPROTO, "the server answered the push with %s",
                        kt_frame_body_name(rep));
      /* a refused change stays in the outbox: nothing is lost, and once the card is
         corrected (which renumbers the entry) it is sent again whole */
      size_t acked = 0;
      for (size_t i = 0; !rc && i < p.n; i++) {
        const Kartoteka__ChangeResult *r = rep->push_ack->results[i];
        if (r->status == KARTOTEKA__CHANGE_RESULT__STATUS__REJECTED) {
          st->rejected++;
          snprintf(st->last_reject, sizeof st->last_reject, "%s", r->reason);
          kt_log_warn("sync", "the server refused a change: %s", r->reason);
          if (r->code == KT_EPERM) {
            /* not allowed by the user's rights: resending cannot help; the card
               goes back to what the server holds (below). The entry is not acked
               here: the reset drops it with the card's local edit in one
               transaction, so a sync cut before the undo leaves both, and the
               next one (the entry renumbered below, so the server judges it
               again) undoes it then */
            if (!cl_cards_add(&undo, p.vals[i].type, p.vals[i].id)) st->undone++;
          }
          continue;
        }
        if (r->status == KARTOTEKA__CHANGE_RESULT__STATUS__APPLIED) st->pushed++;
        else st->superseded++;
        if (r->reason && r->reason[0]) { /* kept, with a warning */
          if (!st->warned++) snprintf(st->warning, sizeof st->warning, "%s", r->reason);
          kt_log_warn("sync", "%s %s: %s", p.vals[i].type, p.vals[i].id, r->reason);
        }
        p.seqs[acked++] = p.seqs[i];
      }
      if (!rc) rc = cl_store_outbox_ack(s, p.seqs, acked, err);
      if (!rc && acked < p.n) { /* the refused ones: their reason, new numbers for their next try */
        cl_refusal *ref = kt_calloc(p.n, sizeof *ref);
        size_t k = 0;
        if (!ref) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
        for (size_t i = 0; ref && i < p.n; i++) {
          const Kartoteka__ChangeResult *r = rep->push_ack->results[i];
          if (r->status == KARTOTEKA__CHANGE_RESULT__STATUS__REJECTED)
            ref[k++] = (cl_refusal){(int64_t)p.vals[i].counter, r->reason, r->code};
        }
        if (!rc) rc = cl_store_outbox_refused(s, ref, k, err);
        free(ref);
      }
      /* do not resend them in this round (the undone ones leave the outbox) */
      if (!rc && acked == 0 && undo.n == 0) only_refused = true;
    }
    size_t n = p.n;
    for (size_t i = 0; i < p.n; i++) {
      kt_change_clear(&p.vals[i]);
      cl_store_kept_release(p.kept[i]);
      cl_rec_free(p.recs[i]);
    }
    kt_frame_env_free(rep);
    free(p.vals);
    free(p.chs);
    free(p.recs);
    free(p.seqs);
    free(p.bases);
    free(p.kept);
    if (!rc) rc = cl_outbox_reset(c, s, &undo, NULL, err);
    cl_cards_free(&undo);
    if (rc) return rc;
    if (n < PUSH_BATCH || only_refused) return 0;
  }
}

/* The time of the last complete round ("last_sync"), written in the
 * transaction of the round's last page. */
static int note_sync_time(cl_store *s, kt_err *err) {
  char when[40];
  kt_datetime_format((int64_t)kt_now_ms(), false, when, sizeof when);
  return cl_store_meta_set(s, "last_sync", when, err);
}

/* Tells the observer (cl_sync_ctl.on_pulled) of a record a pull touched. */
static void pulled(const cl_sync_stats *st, const char *type, const char *id) {
  if (st->ctl && st->ctl->on_pulled) st->ctl->on_pulled(st->ctl->ud, type, id);
}

static int pull_send(cl_conn *c, uint64_t since, uint64_t scope, kt_err *err) {
  Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Pull pull = KARTOTEKA__PULL__INIT;
  pull.since_seq = since;
  pull.scope = scope;
  pull.max = PULL_MAX;
  req.body_case = KARTOTEKA__ENVELOPE__BODY_PULL;
  req.pull = &pull;
  return cl_conn_request_send(c, &req, err);
}

/* Pulls are pipelined: as soon as a page arrives the next one is asked for,
 * so the server reads and sends it while this page is applied. Pages and the
 * cursor are committed together, several pages per transaction during a big
 * catch-up (fewer commits, checkpoints and search-index segments). */
static int pull_all(cl_conn *c, cl_store *s, cl_sync_stats *st, kt_err *err) {
  int64_t since = 0;
  kt_buf cur = KT_BUF_INIT;
  if (cl_store_meta_get(s, "pull_seq", &cur, NULL) == 0) since = atoll(kt_buf_str(&cur));
  kt_buf_free(&cur);
  /* the rights generation the replica was built under: the server rebuilds it
     (Changes.wipe) when the user's role or groups changed since */
  uint64_t scope = 0;
  kt_buf sc = KT_BUF_INIT;
  if (cl_store_meta_get(s, "pull_scope", &sc, NULL) == 0) scope = strtoull(kt_buf_str(&sc), NULL, 10);
  kt_buf_free(&sc);
  int rc = pull_send(c, (uint64_t)since, scope, err);
  bool in_tx = false;
  size_t in_tx_n = 0;
  while (!rc) {
    Kartoteka__Envelope *rep = NULL;
    if ((rc = cl_conn_request_wait(c, &rep, err))) break;
    if (rep->body_case != KARTOTEKA__ENVELOPE__BODY_CHANGES) {
      rc = kt_err_set(err, KT_EPROTO, "the server answered the pull with %s", kt_frame_body_name(rep));
      kt_frame_env_free(rep);
      break;
    }
    const Kartoteka__Changes *ch = rep->changes;
    bool more = ch->more;
    if (more) rc = pull_send(c, ch->next_seq, ch->scope, err);
    if (!rc && !in_tx && !(rc = cl_store_begin_pulled(s, false, err))) in_tx = true;
    if (!rc && ch->wipe) {
      kt_log_info("sync", "your rights changed: the card index is rebuilt from the server");
      rc = cl_store_wipe(s, true, err);
      pulled(st, NULL, NULL);
    }
    for (size_t i = 0; !rc && i < ch->n_revokes; i++) {
      rc = cl_store_revoke(s, ch->revokes[i]->type, ch->revokes[i]->id, err);
      if (!rc) st->revoked++;
      if (!rc) pulled(st, ch->revokes[i]->type, ch->revokes[i]->id);
    }
    for (size_t i = 0; !rc && i < ch->n_changes; i++) {
      rc = cl_store_apply(s, ch->changes[i], err);
      if (!rc) st->pulled++;
      if (!rc) pulled(st, ch->changes[i]->type, ch->changes[i]->id);
    }
    in_tx_n += ch->n_changes;
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)ch->next_seq);
    if (!rc) rc = cl_store_meta_set(s, "pull_seq", buf, err);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)ch->scope);
    if (!rc) rc = cl_store_meta_set(s, "pull_scope", buf, err);
    if (!rc && !more) rc = note_sync_time(s, err); /* same commit: one sync per round */
    if (!rc && (!more || in_tx_n >= PULL_TX_RECORDS)) {
      in_tx = false;
      in_tx_n = 0;
      rc = cl_store_commit(s, err);
    }
    kt_frame_env_free(rep);
    if (!more) break;
  }
  if (in_tx) cl_store_rollback(s); /* only after a failure */
  if (!rc) rc = cl_store_flush_held(s, err); /* a fresh replica's sort keys */
  if (!rc) rc = cl_store_purge(s, false, err); /* revoked text leaves the files */
  if (cl_conn_request_pending(c)) { /* a failed page: drop the one already asked for */
    Kartoteka__Envelope *rep = NULL;
    kt_err e2;
    if (cl_conn_request_wait(c, &rep, &e2) == 0) kt_frame_env_free(rep);
  }
  return rc;
}

int cl_sync_push(cl_conn *c, cl_store *s, cl_sync_stats *st, kt_err *err) {
  int rc = cl_store_refresh(s, err);
  return rc ? rc : push_all(c, s, st, err);
}

int cl_sync_round(cl_conn *c, cl_store *s, cl_sync_stats *st, kt_err *err) {
  int rc = cl_store_refresh(s, err); /* another process may have added a custom field */
  if (!rc) rc = push_all(c, s, st, err);
  if (!rc) rc = pull_all(c, s, st, err);
  if (!rc) st->rounds++;
  return rc;
}

/* Applies a Notify's changes as one pulled page (see cl_sync_notified). */
static int apply_direct(cl_store *s, const Kartoteka__Changes *ch, cl_sync_stats *st, kt_err *err) {
  int rc = cl_store_begin_pulled(s, true, err);
  if (rc) return rc;
  for (size_t i = 0; !rc && i < ch->n_changes; i++) {
    rc = cl_store_apply(s, ch->changes[i], err);
    if (!rc) st->pulled++;
    if (!rc) pulled(st, ch->changes[i]->type, ch->changes[i]->id);
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)ch->next_seq);
  if (!rc) rc = cl_store_meta_set(s, "pull_seq", buf, err);
  if (!rc) rc = note_sync_time(s, err);
  if (rc) {
    cl_store_rollback(s);
    return rc;
  }
  return cl_store_commit(s, err);
}

int cl_sync_notified(cl_conn *c, cl_store *s, Kartoteka__Envelope *notify, cl_sync_stats *st,
                     kt_err *err) {
  const Kartoteka__Notify *n =
      notify && notify->body_case == KARTOTEKA__ENVELOPE__BODY_NOTIFY ? notify->notify : NULL;
  int rc = 0;
  bool applied = false;
  if (n && n->changes && !n->changes->more && n->changes->next_seq == n->latest_seq &&
      n->latest_seq > n->since_seq && !(rc = cl_store_refresh(s, err))) {
    int64_t pending = 1, cursor = -1, scope = -1;
    kt_buf cur = KT_BUF_INIT;
    cl_store_outbox_count(s, &pending, NULL);
    if (cl_store_meta_get(s, "pull_seq", &cur, NULL) == 0) cursor = atoll(kt_buf_str(&cur));
    kt_buf_reset(&cur);
    if (cl_store_meta_get(s, "pull_scope", &cur, NULL) == 0) scope = atoll(kt_buf_str(&cur));
    kt_buf_free(&cur);
    /* only what continues the cursor (it advances contiguously, never over a gap),
       under the rights the replica was built with; revokes and wipes come by pull */
    if (pending == 0 && cursor == (int64_t)n->since_seq && scope == (int64_t)n->changes->scope &&
        !n->changes->wipe && n->changes->n_revokes == 0) {
      rc = apply_direct(s, n->changes, st, err);
      applied = !rc;
      if (applied)
        kt_log_debug("sync", "applied %zu changes sent with the notify (%llu..%llu)",
                     n->changes->n_changes, (unsigned long long)n->since_seq,
                     (unsigned long long)n->latest_seq);
    }
  }
  kt_frame_env_free(notify);
  if (rc || applied) return rc;
  return cl_sync_round(c, s, st, err);
}

int cl_sync_lock(const char *dir, int *fd, kt_err *err) {
  char p[4200];
  snprintf(p, sizeof p, "%s/sync.lock", dir);
  int rc = kt_plat_lock(p, fd);
  if (rc < 0) return kt_err_set(err, KT_EIO, KT_("cannot open %s: %s"), p, strerror(errno));
  if (rc > 0) {
    return kt_err_set(err, KT_EBUSY, KT_("another Kartoteka program (the agent?) is syncing this "
                      "profile right now; it will send your changes, or stop it and try again"));
  }
  return 0;
}

typedef struct watch_ctx {
  bool notified;
  bool local; /* the replica's WAL changed: maybe a local edit to push */
  Kartoteka__Envelope *notify; /* the latest Notify that carried changes */
  Kartoteka__Envelope *rights; /* the latest Notify that carried new rights */
  cl_sync_ctl *ctl;
  cl_store *s;
  const char *wal; /* the WAL file's name in the profile directory */
  uv_timer_t settle; /* a WAL write is seen before its commit is: look a moment later */
  int settle_step;
} watch_ctx;

static void on_push(cl_conn *c, const Kartoteka__Envelope *env, void *ud) {
  watch_ctx *w = ud;
  if (env->body_case == KARTOTEKA__ENVELOPE__BODY_NOTIFY) {
    w->notified = true;
    /* keep only the latest: after an unapplied one, its start is not our cursor */
    kt_frame_env_free(w->notify);
    w->notify = NULL;
    if (env->notify->rights) { /* the user's rights changed: saved, then a pull rebuilds */
      kt_frame_env_free(w->rights);
      w->rights = cl_conn_push_take(c);
    } else if (env->notify->changes) {
      w->notify = cl_conn_push_take(c);
    }
    cl_conn_break(c); /* apply it now */
  }
}

/* Something in the profile directory changed: a commit to the replica's WAL
 * (by this process or another one) may be a local edit to send. The data
 * version tells, once the watch loop looks. A pull's own pages (a batch is
 * open) are not news. */
static void on_settled(uv_timer_t *t) {
  watch_ctx *w = t->data;
  w->local = true;
  if (w->ctl->conn) cl_conn_break(w->ctl->conn);
  /* once more a little later: a slow writer's commit may not be visible yet */
  if (w->settle_step++ == 0) uv_timer_start(&w->settle, on_settled, SETTLE_LATE_MS, 0);
}

static void on_dir_changed(uv_fs_event_t *h, const char *name, int events, int status) {
  (void)events;
  watch_ctx *w = h->data;
  if (status < 0 || (name && strcmp(name, w->wal) != 0) || cl_store_in_batch(w->s)) return;
  /* the committer writes the WAL, then the shared index readers look at: the
     commit is visible only after that, so look when the writes have settled */
  w->settle_step = 0;
  uv_timer_start(&w->settle, on_settled, SETTLE_MS, 0);
}

void cl_sync_ctl_wake(cl_sync_ctl *ctl) {
  if (ctl && ctl->conn) cl_conn_break(ctl->conn);
  /* offline, the backoff nap looks at the flags after every turn of the loop */
}

static void set_state(cl_sync_ctl *ctl, int status, int code, const char *msg) {
  if (ctl && ctl->on_state) ctl->on_state(ctl->ud, status, code, msg ? msg : "");
}

/* Waits ms on the loop, so its other handles (the reminder scheduler's
 * timer, the core's commands) run meanwhile; ends early when ctl asks for
 * something (stop, a round now, a password to log in with). No ms: until then. */
typedef struct nap {
  uv_timer_t t;
  bool done;
  bool closed;
} nap;

static void on_nap(uv_timer_t *t) {
  nap *n = t->data;
  n->done = true;
}

static void on_nap_closed(uv_handle_t *h) {
  nap *n = h->data;
  n->closed = true;
}

static bool ctl_wants(const cl_sync_ctl *ctl) {
  return ctl && (ctl->stop || ctl->now || ctl->password);
}

static void nap_ms(uv_loop_t *loop, int ms, const cl_sync_ctl *ctl) {
  nap n = {.done = false};
  uv_timer_init(loop, &n.t);
  n.t.data = &n;
  uv_update_time(loop);
  if (ms > 0) uv_timer_start(&n.t, on_nap, (uint64_t)ms, 0);
  while (!n.done && !ctl_wants(ctl)) uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&n.t, on_nap_closed);
  while (!n.closed) uv_run(loop, UV_RUN_ONCE);
}

static void take_password(cl_sync_ctl *ctl, char **pw) {
  *pw = NULL;
  if (!ctl || !ctl->password) return;
  *pw = ctl->password;
  ctl->password = NULL;
}

static void wipe_password(char *pw) {
  if (!pw) return;
  volatile char *p = pw;
  while (*p) *p++ = 0;
  free(pw);
}

static void on_fs_closed(uv_handle_t *h) { *(bool *)h->data = true; }

/* The watch: subscribed, it sleeps in the loop until the server notifies,
 * the WAL changes, the certificate renewal is due or ctl wakes it. */
static int watch_conn(cl_conn *c, const char *dir, cl_store *s, watch_ctx *w,
                      cl_sync_synced_fn synced, void *synced_ud, cl_sync_stats *st,
                      int64_t seen_version, kt_err *err) {
  Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT, *rep = NULL;
  Kartoteka__Subscribe sub = KARTOTEKA__SUBSCRIBE__INIT;
  req.body_case = KARTOTEKA__ENVELOPE__BODY_SUBSCRIBE;
  req.subscribe = &sub;
  int rc = cl_conn_request(c, &req, &rep, err);
  kt_frame_env_free(rep);
  if (!rc) set_state(w->ctl, CL_SYNC_ONLINE, 0, NULL);
  int64_t renew_at = cl_session_renew_due_ms(dir); /* a connection may outlive it */
  while (!rc && !w->ctl->stop) {
    uint32_t wait = 0; /* until the connection ends or something breaks the wait */
    if (renew_at) {
      int64_t left = renew_at - (int64_t)kt_now_ms();
      wait = left < 1 ? 1 : left > 3600000 ? 3600000 : (uint32_t)left;
    }
    rc = cl_conn_run(c, wait, err);
    if (!rc && renew_at && (int64_t)kt_now_ms() >= renew_at)
      rc = cl_session_renew(c, dir, s, &renew_at, err);
    if (rc || w->ctl->stop) break;
    bool edited = false;
    if (w->local) { /* local edits (the replica changed); refused changes waiting in
                       the outbox are retried only after the next local edit */
      w->local = false;
      int64_t pending = 0;
      cl_store_outbox_count(s, &pending, NULL);
      edited = pending && cl_store_data_version(s) != seen_version;
    }
    bool now = w->ctl->now;
    w->ctl->now = false;
    if (w->notified || edited || now) {
      w->notified = false;
      if (w->rights) { /* before the round: it writes under the new rights */
        const Kartoteka__AuthOk *a = w->rights->notify->rights;
        kt_err e2;
        if (cl_session_rights_save(s, a, &e2))
          kt_log_warn("sync", "saving the new rights: %s", e2.msg);
        else
          kt_log_info("sync", "the office changed this user's rights (role %s) during the session",
                      a->role ? a->role : "");
        kt_frame_env_free(w->rights);
        w->rights = NULL;
      }
      Kartoteka__Envelope *nf = w->notify;
      w->notify = NULL;
      if (now) { /* asked for: a whole round, whatever the Notify said */
        kt_frame_env_free(nf);
        rc = cl_sync_round(c, s, st, err);
      } else {
        rc = cl_sync_notified(c, s, nf, st, err);
      }
      if (!rc && synced) synced(synced_ud, st);
      kt_err e2;
      if (!rc && cl_store_maintain(s, &e2)) /* after the change is visible */
        kt_log_warn("sync", "merging the search index: %s", e2.msg);
      seen_version = cl_store_data_version(s);
    }
  }
  return rc;
}

int cl_sync_run(uv_loop_t *loop, const char *dir, cl_store *s, bool watch, cl_sync_ctl *ctl,
                cl_sync_synced_fn synced, void *synced_ud, cl_sync_stats *st, kt_err *err) {
  if (watch && !ctl) return kt_err_set(err, KT_EINVAL, "a watching sync needs its control");
  int lockfd;
  int rc = cl_sync_lock(dir, &lockfd, err);
  if (rc) return rc;
  const cl_sync_ctl *saved = st->ctl;
  if (ctl) st->ctl = ctl;
  const char *slash = strrchr(cl_store_path(s), '/');
  char wal[300];
  snprintf(wal, sizeof wal, "%s-wal", slash ? slash + 1 : cl_store_path(s));
  watch_ctx w = {.ctl = ctl, .s = s, .wal = wal};
  uv_fs_event_t fs;
  bool fs_on = false, fs_closed = false, settle_closed = false;
  if (watch) {
    uv_timer_init(loop, &w.settle);
    w.settle.data = &w;
  }
  if (watch && uv_fs_event_init(loop, &fs) == 0) {
    fs.data = &w;
    int urc = uv_fs_event_start(&fs, on_dir_changed, dir, 0);
    if (urc) {
      kt_log_warn("sync", "cannot watch %s for edits (%s): they are sent with the next round",
                  dir, uv_strerror(urc));
      fs.data = &fs_closed;
      uv_close((uv_handle_t *)&fs, on_fs_closed);
      while (!fs_closed) uv_run(loop, UV_RUN_ONCE);
    } else {
      fs_on = true;
    }
  }
  int backoff = 500;
  do {
    w.notified = false;
    w.notify = NULL;
    w.rights = NULL;
    cl_conn *c = NULL;
    char *pw = NULL;
    take_password(ctl, &pw);
    set_state(ctl, CL_SYNC_CONNECTING, 0, NULL);
    rc = cl_session_open(loop, dir, s, pw, watch ? on_push : NULL, &w, 0, &c, err);
    wipe_password(pw);
    if (ctl) {
      ctl->conn = c;
      ctl->now = false;
    }
    if (!rc) rc = cl_sync_round(c, s, st, err);
    /* read before the hook and the Subscribe (which run the loop): what the
       reminder scheduler writes meanwhile (fired states) is a local edit to send */
    int64_t seen_version = cl_store_data_version(s);
    if (!rc && synced) synced(synced_ud, st);
    if (!rc && watch) {
      backoff = 500;
      rc = watch_conn(c, dir, s, &w, synced, synced_ud, st, seen_version, err);
    }
    if (ctl) ctl->conn = NULL;
    cl_conn_free(c);
    kt_frame_env_free(w.notify);
    w.notify = NULL;
    kt_frame_env_free(w.rights);
    w.rights = NULL;
    if (rc == KT_EDISABLED) cl_session_disabled(s); /* ended while connected */
    if (!watch || ctl->stop) break;
    if (rc == KT_EAUTH && ctl->wait_login) {
      set_state(ctl, CL_SYNC_LOGIN, rc, err ? err->msg : "");
      nap_ms(loop, 0, ctl); /* until a password, a round asked for, or the stop */
      continue;
    }
    if (rc == KT_EAUTH || rc == KT_EREVOKED || rc == KT_EPERM || rc == KT_ELOCKED ||
        rc == KT_EDISABLED)
      break;
    kt_log_warn("sync", "offline: %s; retrying in %d ms", err ? err->msg : "", backoff);
    set_state(ctl, CL_SYNC_OFFLINE, rc, err ? err->msg : "");
    nap_ms(loop, backoff, ctl);
    if (backoff < 30000) backoff *= 2;
  } while (!ctl->stop);
  if (fs_on) {
    fs.data = &fs_closed;
    uv_close((uv_handle_t *)&fs, on_fs_closed);
    while (!fs_closed) uv_run(loop, UV_RUN_ONCE);
  }
  if (watch) {
    w.settle.data = &settle_closed;
    uv_close((uv_handle_t *)&w.settle, on_fs_closed);
    while (!settle_closed) uv_run(loop, UV_RUN_ONCE);
  }
  st->ctl = saved;
  kt_plat_unlock(lockfd);
  bool stopped = watch && ctl->stop;
  set_state(ctl, CL_SYNC_STOPPED, stopped ? 0 : rc, stopped ? "" : err ? err->msg : "");
  return stopped ? 0 : rc;
}
