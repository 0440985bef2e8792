/* srv_handle_history — the History request (a card's history, a page at a
 * time, with the rights of a Get of the card) and the history's retention
 * sweep. Its table entry follows the handler; srv_dispatch.c has checked the
 * states and the session. Loop thread only. */
#include "srv_net_int.h"

#include <stdlib.h>

#include "kt_log.h"
#include "kt_hlc.h"
#include "srv_audit.h"
#include "srv_history.h"

#define HISTORY_PRUNE_EVERY_MS (3600 * 1000LL)
#define HISTORY_PRUNE_BUDGET 200000 /* rows per sweep: the rest goes next hour */

static void handle_history(srv_conn *c, const Kartoteka__Envelope *env) {
  kt_err err;
  kt_err_clear(&err);
  Kartoteka__History h;
  int rc = srv_sync_history(c->srv->sync, c->subj, env->history_request, &h, &err);
  if (rc == KT_ENOTFOUND || rc == KT_EINVAL) {
    if (rc == KT_ENOTFOUND) /* a miss, like Get's: worth a line */
      srv_audit_note(&c->srv->db, c->who.user, c->device_id, "history.notfound",
                     env->history_request->id, "%s", env->history_request->type);
    srv__send_error(c, env->req_id, rc, err.msg); /* an answer, not a protocol violation */
    return;
  }
  if (rc) {
    srv__send_error_close(c, env->req_id, rc, err.msg);
    return;
  }
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_HISTORY;
  out.history = &h;
  srv__conn_send(c, &out);
  srv_history_free(&h);
}

const srv__handler srv__history_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_HISTORY_REQUEST,
    .states = SRV__IN(SRV__ST_READY),
    .session = true,
    .fn = handle_history};

void srv__history_tick(srv_server *s) {
  if (!s->cfg.history_days || s->stopping) return;
  int64_t now = (int64_t)kt_now_ms();
  if (s->history_pruned_ms && now - s->history_pruned_ms < HISTORY_PRUNE_EVERY_MS) return;
  s->history_pruned_ms = now;
  srv__group_flush(s); /* the sweep is a transaction of its own */
  int64_t cutoff = now - (int64_t)s->cfg.history_days * 86400 * 1000, n = 0;
  kt_err err;
  kt_err_clear(&err);
  if (srv_history_prune(&s->db, cutoff, HISTORY_PRUNE_BUDGET, &n, &err))
    kt_log_warn("history", "the history's retention sweep failed (tried again in an hour): %s",
                err.msg);
  else if (n)
    kt_log_info("history", "removed %lld history entries older than %u days", (long long)n,
                s->cfg.history_days);
}
