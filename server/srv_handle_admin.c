/* srv_handle_admin — the handlers of administration and keep-alive:
 * AdminRequest (user and role management through srv_admin, which only an
 * administrator may do, and the audited leave to export cards) and Ping. Each
 * handler's table entry (srv_net_int.h) follows it; srv_dispatch.c has
 * checked the entry's states and the session before it runs. Loop thread only. */
#include "srv_net_int.h"

#include <stdlib.h>
#include <string.h>

#include "srv_admin.h"
#include "srv_audit.h"

static const char *param(const Kartoteka__AdminRequest *q, const char *key) {
  for (size_t i = 0; i < q->n_params; i++)
    if (q->params[i]->key && strcmp(q->params[i]->key, key) == 0) return q->params[i]->value;
  return NULL;
}

/* Ends the live sessions of user (disabled, password changed). */
static void kick_user(srv_server *s, const char *user, const srv_conn *except) {
  for (srv_conn *c = s->conns; c; c = c->next)
    if (c != except && c->state == SRV__ST_READY && strcmp(c->who.user, user) == 0)
      srv__send_error_close(c, 0, KT_EDISABLED, "your session was ended by an administrator");
}

static void handle_admin(srv_conn *c, const Kartoteka__Envelope *env) {
  const Kartoteka__AdminRequest *q = env->admin_request;
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__AdminResponse resp = KARTOTEKA__ADMIN_RESPONSE__INIT;
  kt_err err;
  kt_err_clear(&err);
  srv_admin_res res;
  memset(&res, 0, sizeof res);
  int rc;
  if (q->op && strcmp(q->op, "export") == 0) {
    /* not administration: a PC asks leave to write cards to a file, and the log keeps it */
    const char *type = q->n_args ? q->args[0] : "";
    const char *rows = param(q, "rows"), *fmt = param(q, "format"), *file = param(q, "file");
    if (!c->subj->who.rights.can_export) {
      rc = kt_err_set(&err, KT_EPERM, "your role (%s) may not export cards; ask your "
                      "administrator for the export right", c->subj->role);
      srv_audit_note(&c->srv->db, c->who.user, c->device_id, "denied.export", type, "as %s%s%s",
                     fmt ? fmt : "?", rows && strcmp(rows, "?") ? ", rows: " : "",
                     rows && strcmp(rows, "?") ? rows : "");
    } else {
      rc = 0;
      srv_audit_note(&c->srv->db, c->who.user, c->device_id, "export", type,
                     "%s rows as %s to %s", rows ? rows : "?", fmt ? fmt : "?", file ? file : "?");
    }
  } else if (q->op && strcmp(q->op, "mass_edit") == 0) {
    /* not administration either: leave for a mass edit (`edit TYPE --where ... --set`),
       given with the mass_update right and recorded with its count */
    const char *type = q->n_args ? q->args[0] : "", *n = param(q, "count"), *w = param(q, "what");
    if (!c->subj->who.rights.mass_update) {
      rc = kt_err_set(&err, KT_EPERM, "your role (%s) may not edit many cards at once; ask your "
                      "administrator for the mass_update right", c->subj->role);
      srv_audit_note(&c->srv->db, c->who.user, c->device_id, "denied.mass_edit", type,
                     "%s cards: %.300s", n ? n : "?", w ? w : "");
    } else {
      rc = 0;
      srv_audit_note(&c->srv->db, c->who.user, c->device_id, "mass_edit", type, "%s cards: %.300s",
                     n ? n : "?", w ? w : "");
    }
  } else if (!c->subj->who.rights.manage_users) {
    rc = kt_err_set(&err, KT_EPERM, "only an administrator may do that (your role is %s)",
                    c->subj->role);
    srv_audit_note(&c->srv->db, c->who.user, c->device_id, "denied.admin", q->op, "%s",
                   q->n_args ? q->args[0] : "");
  } else {
    const char *h = param(q, "hours");
    srv_admin_req r = {q->op, q->n_args ? q->args[0] : param(q, "name"), param(q, "role"),
                       param(q, "group"), param(q, "password"), param(q, "rights"),
                       param(q, "from"), param(q, "address"), param(q, "birthday"),
                       h ? atoi(h) : 0, NULL, NULL, false, false};
    r.to = param(q, "to");
    r.where = param(q, "where");
    r.with_tasks = param(q, "with_tasks") != NULL;
    r.dry_run = param(q, "dry_run") != NULL;
    rc = srv_admin_exec(&c->srv->db, c->srv->sync, c->who.user, c->device_id, &r, &res, &err);
  }
  resp.code = rc;
  resp.message = rc ? err.msg : (char *)"done";
  char *rows[1] = {(char *)kt_buf_str(&res.out)};
  if (!rc && res.out.len) {
    resp.rows = rows;
    resp.n_rows = 1;
  }
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_ADMIN_RESPONSE;
  out.admin_response = &resp;
  srv__conn_send(c, &out);
  kt_buf_free(&res.out);
  if (!rc && res.kick_user[0]) kick_user(c->srv, res.kick_user, c);
  if (!rc && res.feed_changed) srv__notify_all(c->srv);
  if (!rc) srv__rights_tell(c->srv); /* a role or group changed: at once, not at the timer */
}

const srv__handler srv__admin_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_ADMIN_REQUEST,
    .states = SRV__IN(SRV__ST_READY),
    .session = true,
    .fn = handle_admin};

static void handle_ping(srv_conn *c, const Kartoteka__Envelope *env) {
  Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Pong pong = KARTOTEKA__PONG__INIT;
  pong.nonce = env->ping->nonce;
  out.req_id = env->req_id;
  out.body_case = KARTOTEKA__ENVELOPE__BODY_PONG;
  out.pong = &pong;
  srv__conn_send(c, &out);
}

const srv__handler srv__ping_entry = {
    .body = KARTOTEKA__ENVELOPE__BODY_PING,
    .states = SRV__ANY_STATE & ~SRV__IN(SRV__ST_HELLO),
    .fn = handle_ping};
