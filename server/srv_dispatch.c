/* srv_dispatch — the handler table: each Envelope body a client may send has
 * one entry (srv__handler, declared next to its handler in srv_handle_*.c)
 * saying in which connection states it is accepted, what the device must be,
 * whether it needs a live session, and the handler. srv__dispatch checks the
 * entry's conditions in that order, then runs the handler; a message with no
 * entry, or out of its states, gets Error KT_EPROTO and the connection closes.
 * Used by srv_net.c for each decoded frame. */
#include "srv_net_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "kt_log.h"

/* Every message a client may send; a body not here is a protocol error. */
static const srv__handler *const handlers[] = {
    &srv__hello_entry,  &srv__ping_entry,   &srv__enroll_entry,    &srv__login_entry,
    &srv__resume_entry, &srv__logout_entry, &srv__push_entry,      &srv__pull_entry,
    &srv__get_entry,    &srv__claim_entry,  &srv__subscribe_entry, &srv__admin_entry,
    &srv__renew_entry,  &srv__history_entry,
};

static const srv__handler *handler_get(Kartoteka__Envelope__BodyCase body) {
  for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
    if (handlers[i]->body == body) return handlers[i];
  return NULL;
}

/* Before each request of a live session: a user disabled meanwhile is shown the
 * door; changed rights (role, groups) are reloaded. */
static bool session_check(srv_conn *c, uint64_t req_id) {
  uint64_t gen = 0;
  bool disabled = false;
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_subject_state(&c->srv->db, c->who.user, &gen, &disabled, &err);
  if (!rc && disabled) rc = kt_err_set(&err, KT_EDISABLED, "this account is disabled; ask your administrator");
  if (!rc && gen != c->subj->scope_gen) rc = srv_subject_load(&c->srv->db, c->who.user, c->subj, &err);
  if (rc) {
    srv__send_error_close(c, req_id, rc, err.msg);
    return false;
  }
  return true;
}

/* One handler per message; anything not allowed in the current state is a
 * protocol error. */
void srv__dispatch(srv_conn *c, const Kartoteka__Envelope *env) {
  kt_log_debug("net", "conn %llu: %s", (unsigned long long)c->id, kt_frame_body_name(env));
  /* only pushes join an open group; everything else sees durable data only */
  if (env->body_case != KARTOTEKA__ENVELOPE__BODY_PUSH) srv__group_flush(c->srv);
  const srv__handler *h = handler_get(env->body_case);
  if (!h || !(h->states & SRV__IN(c->state))) {
    char msg[160];
    snprintf(msg, sizeof msg, "unexpected %s message %s", kt_frame_body_name(env),
             c->state == SRV__ST_HELLO ? "before Hello" : "at this point of the conversation");
    srv__send_error_close(c, env->req_id, KT_EPROTO, msg);
    return;
  }
  if (h->device == SRV__DEVICE_NEW && c->enrolled) {
    srv__send_error_close(c, env->req_id, KT_EINVAL, "this device is already enrolled");
    return;
  }
  if (h->device == SRV__DEVICE_ENROLLED && !c->enrolled) {
    srv__send_error_close(c, env->req_id, KT_EAUTH,
                          "this PC is not enrolled: connect it first with `kartoteka connect "
                          "--invite INVITE`");
    return;
  }
  if (h->session && !session_check(c, env->req_id)) return;
  h->fn(c, env);
}
