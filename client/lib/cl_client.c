/* cl_client — see cl_client.h. This file: the host-facing side (start,
 * submit, drain, shutdown) and the two bounded queues. The commands queue is
 * filled by any thread and emptied by the core's async callback; the events
 * queue the other way round. One mutex guards both, held only for a list
 * operation; the wakeup hook is called outside it. What runs on the core's
 * loop is in cl_client_core.c. */
#include "cl_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_client_int.h"

static char *dup_or_null(const char *s, bool *oom) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *oom = true;
  return d;
}

void cl_client_cmd_free(cl_cmd_item *it) {
  if (!it) return;
  for (int i = 0; i < it->nsets; i++) {
    free((char *)it->sets[i].field);
    free((char *)it->sets[i].value);
  }
  free(it->sets);
  free(it->type);
  free(it->id);
  free(it->result);
  free(it->comment);
  if (it->password) {
    volatile char *p = it->password;
    while (*p) *p++ = 0;
    free(it->password);
  }
  free(it);
}

/* What each command needs before it is queued (its result would only say so later). */
static int check_cmd(const cl_client_cmd *cmd, kt_err *err) {
  switch (cmd->kind) {
  case CL_CMD_ADD:
    if (!cmd->type || !cmd->type[0])
      return kt_err_set(err, KT_EINVAL, "add: which type of card? (org, contact, event, ...)");
    break;
  case CL_CMD_EDIT:
  case CL_CMD_DELETE:
  case CL_CMD_RESTORE:
  case CL_CMD_DONE:
    if (!cmd->id || !cmd->id[0]) return kt_err_set(err, KT_EINVAL, "which card? give its id");
    break;
  case CL_CMD_DISMISS:
  case CL_CMD_SNOOZE:
    if (!cmd->occ || !cmd->occ->rid[0] || !cmd->occ->rtype[0])
      return kt_err_set(err, KT_EINVAL, "which reminder? pass the occurrence from its event");
    break;
  case CL_CMD_SHOWN:
    if (!cmd->batch) return kt_err_set(err, KT_EINVAL, "shown: which reminder batch?");
    break;
  case CL_CMD_LOGIN:
    if (!cmd->password || !cmd->password[0])
      return kt_err_set(err, KT_EINVAL, "login: give the password");
    break;
  case CL_CMD_RETRY:
  case CL_CMD_SYNC_NOW:
    break;
  default:
    return kt_err_set(err, KT_EINVAL, "unknown command %d", (int)cmd->kind);
  }
  if ((cmd->kind == CL_CMD_ADD || cmd->kind == CL_CMD_EDIT) &&
      (cmd->nsets < 0 || (cmd->nsets > 0 && !cmd->sets)))
    return kt_err_set(err, KT_EINVAL, "the FIELD=VALUE list is missing");
  for (int i = 0; (cmd->kind == CL_CMD_ADD || cmd->kind == CL_CMD_EDIT) && i < cmd->nsets; i++)
    if (!cmd->sets[i].field || !cmd->sets[i].field[0] || !cmd->sets[i].value)
      return kt_err_set(err, KT_EINVAL, "assignment %d has no field name or no value", i + 1);
  return 0;
}

static cl_cmd_item *copy_cmd(const cl_client_cmd *cmd) {
  cl_cmd_item *it = calloc(1, sizeof *it);
  if (!it) return NULL;
  bool oom = false;
  it->kind = cmd->kind;
  it->type = dup_or_null(cmd->type, &oom);
  it->id = dup_or_null(cmd->id, &oom);
  it->result = dup_or_null(cmd->result, &oom);
  it->comment = dup_or_null(cmd->comment, &oom);
  it->password = dup_or_null(cmd->password, &oom);
  it->when = cmd->when;
  it->batch = cmd->batch;
  it->shown = cmd->shown;
  if (cmd->occ) it->occ = *cmd->occ;
  bool sets = cmd->kind == CL_CMD_ADD || cmd->kind == CL_CMD_EDIT;
  if (sets && cmd->nsets > 0) {
    it->sets = calloc((size_t)cmd->nsets, sizeof *it->sets);
    if (!it->sets) oom = true;
    for (int i = 0; it->sets && i < cmd->nsets; i++, it->nsets++) {
      it->sets[i].field = dup_or_null(cmd->sets[i].field, &oom);
      it->sets[i].value = dup_or_null(cmd->sets[i].value, &oom);
    }
  }
  if (oom) {
    cl_client_cmd_free(it);
    return NULL;
  }
  return it;
}

int cl_client_submit(cl_client *c, const cl_client_cmd *cmd, uint64_t *req, kt_err *err) {
  if (req) *req = 0;
  if (!c || !cmd) return kt_err_set(err, KT_EINVAL, "no client core or no command");
  int rc = check_cmd(cmd, err);
  if (rc) return rc;
  cl_cmd_item *it = copy_cmd(cmd);
  if (!it) return kt_err_set(err, KT_ENOMEM, "out of memory queueing a command");
  pthread_mutex_lock(&c->mu);
  if (c->closing) {
    rc = kt_err_set(err, KT_ECLOSED, "the Kartoteka client core is shutting down: the command "
                    "was not carried out; start it again to make changes");
  } else if (c->ncmds + c->nresults >= CL_CLIENT_CMDS_MAX) {
    rc = kt_err_set(err, KT_EBUSY, "%d commands are waiting or their results are not read: "
                    "take the events (cl_client_next_event) and try again", CL_CLIENT_CMDS_MAX);
  } else {
    it->req = ++c->next_req;
    if (req) *req = it->req;
    if (c->cmd_tail) c->cmd_tail->next = it;
    else c->cmd_head = it;
    c->cmd_tail = it;
    c->ncmds++;
    if (c->async_ok) uv_async_send(&c->async); /* coalesces; allowed from any thread */
    it = NULL;
  }
  pthread_mutex_unlock(&c->mu);
  cl_client_cmd_free(it);
  return rc;
}

cl_cmd_item *cl_client_cmd_take(cl_client *c) {
  pthread_mutex_lock(&c->mu);
  cl_cmd_item *it = c->cmd_head;
  if (it) {
    c->cmd_head = it->next;
    if (!c->cmd_head) c->cmd_tail = NULL;
    it->next = NULL;
  }
  pthread_mutex_unlock(&c->mu);
  return it;
}

bool cl_client_is_closing(cl_client *c) {
  pthread_mutex_lock(&c->mu);
  bool v = c->closing;
  pthread_mutex_unlock(&c->mu);
  return v;
}

/* ---- events ---------------------------------------------------------------- */

static void ev_clear(cl_client_event *ev) {
  if (ev->kind == CL_EV_CHANGED) free(ev->changed.v);
  else if (ev->kind == CL_EV_REMINDERS) free(ev->reminders.v);
}

void cl_client_event_free(cl_client_event *ev) {
  if (!ev) return;
  ev_clear(ev);
  free((cl_ev_node *)ev);
}

/* Appends a node (under mu); true when the queue was empty: wake the host. */
static bool ev_append(cl_client *c, cl_ev_node *n) {
  bool was_empty = c->ev_head == NULL;
  if (c->ev_tail) c->ev_tail->next = n;
  else c->ev_head = n;
  c->ev_tail = n;
  c->nevents++;
  if (was_empty) c->wakeups++;
  return was_empty;
}

static void wake_host(cl_client *c, bool wake) {
  if (wake && c->o.wakeup) c->o.wakeup(c->o.wakeup_ud);
}

void cl_client_post_result(cl_client *c, uint64_t req, cl_client_cmd_kind kind, int code,
                           const char *msg, const char *id, int changed) {
  cl_ev_node *n = calloc(1, sizeof *n);
  pthread_mutex_lock(&c->mu);
  if (c->ncmds) c->ncmds--;
  bool wake = false;
  if (n) { /* out of memory: the host never hears of it (logged by the caller's writes) */
    n->ev.kind = CL_EV_RESULT;
    n->ev.result.req = req;
    n->ev.result.cmd = kind;
    n->ev.result.code = code;
    n->ev.result.changed = changed;
    snprintf(n->ev.result.msg, sizeof n->ev.result.msg, "%s", code && msg ? msg : "");
    snprintf(n->ev.result.id, sizeof n->ev.result.id, "%s", id ? id : "");
    c->nresults++;
    wake = ev_append(c, n);
  }
  pthread_mutex_unlock(&c->mu);
  wake_host(c, wake);
}

void cl_client_post_changed(cl_client *c, const char *type, const char *id, int64_t version) {
  cl_ev_node *fresh = calloc(1, sizeof *fresh);
  pthread_mutex_lock(&c->mu);
  bool wake = false;
  cl_ev_node *n = c->ev_changed;
  if (!n && fresh) {
    n = fresh;
    fresh = NULL;
    n->ev.kind = CL_EV_CHANGED;
    c->ev_changed = n;
    wake = ev_append(c, n);
  }
  if (n) {
    cl_client_event *e = &n->ev;
    e->changed.data_version = version;
    bool known = false;
    for (size_t i = 0; id && !e->changed.many && i < e->changed.n && !known; i++)
      known = strcmp(e->changed.v[i].id, id) == 0;
    if (!id || !type || e->changed.n >= CL_CLIENT_CHANGED_IDS) {
      e->changed.many = true; /* ids no longer matter: reload */
      free(e->changed.v);
      e->changed.v = NULL;
      e->changed.n = 0;
    } else if (!e->changed.many && !known) {
      if (!e->changed.v) e->changed.v = calloc(CL_CLIENT_CHANGED_IDS, sizeof *e->changed.v);
      if (!e->changed.v) {
        e->changed.many = true;
      } else {
        cl_client_ref *r = &e->changed.v[e->changed.n++];
        snprintf(r->type, sizeof r->type, "%s", type);
        snprintf(r->id, sizeof r->id, "%s", id);
      }
    }
  }
  pthread_mutex_unlock(&c->mu);
  free(fresh);
  wake_host(c, wake);
}

void cl_client_post_sync(cl_client *c, bool ended) {
  /* read on the core thread, outside the lock */
  cl_client_event e;
  memset(&e, 0, sizeof e);
  e.kind = CL_EV_SYNC;
  e.sync.status = c->status;
  e.sync.code = c->code;
  snprintf(e.sync.error, sizeof e.sync.error, "%s", c->error);
  e.sync.ended = ended;
  if (c->s) {
    cl_store_outbox_count(c->s, &e.sync.pending, NULL);
    kt_buf b = KT_BUF_INIT;
    if (cl_store_meta_get(c->s, "last_sync", &b, NULL) == 0)
      snprintf(e.sync.last_sync, sizeof e.sync.last_sync, "%s", kt_buf_str(&b));
    kt_buf_free(&b);
  }
  cl_client_sync_totals *t = &e.sync.totals;
  const cl_sync_stats *st = &c->st;
  t->pushed = st->pushed;
  t->superseded = st->superseded;
  t->rejected = st->rejected;
  t->undone = st->undone;
  t->dropped = st->dropped;
  t->pulled = st->pulled;
  t->revoked = st->revoked;
  t->rounds = st->rounds;
  t->warned = st->warned;
  snprintf(t->last_reject, sizeof t->last_reject, "%s", st->last_reject);
  snprintf(t->warning, sizeof t->warning, "%s", st->warning);
  cl_ev_node *fresh = calloc(1, sizeof *fresh);
  pthread_mutex_lock(&c->mu);
  bool wake = false;
  if (c->ev_sync) { /* only the latest state matters */
    c->ev_sync->ev = e;
  } else if (fresh) {
    fresh->ev = e;
    c->ev_sync = fresh;
    fresh = NULL;
    wake = ev_append(c, c->ev_sync);
  }
  pthread_mutex_unlock(&c->mu);
  free(fresh);
  wake_host(c, wake);
}

void cl_client_post_reminders(cl_client *c, uint64_t batch, const cl_sched_batch *b,
                              int64_t snooze_seconds) {
  int n = b->n < CL_CLIENT_REMIND_MAX ? b->n : CL_CLIENT_REMIND_MAX;
  cl_client_occ *v = n ? calloc((size_t)n, sizeof *v) : NULL;
  cl_ev_node *fresh = calloc(1, sizeof *fresh);
  if ((n && !v) || !fresh) {
    free(v);
    free(fresh);
    return; /* the scheduler offers it again (it is held until reported) */
  }
  for (int i = 0; i < n; i++) {
    snprintf(v[i].rtype, sizeof v[i].rtype, "%s", b->v[i].rtype);
    snprintf(v[i].rid, sizeof v[i].rid, "%s", b->v[i].rid);
    snprintf(v[i].title, sizeof v[i].title, "%s", b->v[i].title);
    v[i].occurs = b->v[i].occurs;
    v[i].due = b->v[i].due;
    v[i].effective = b->v[i].effective;
  }
  cl_client_event e;
  memset(&e, 0, sizeof e);
  e.kind = CL_EV_REMINDERS;
  e.reminders.batch = batch;
  e.reminders.missed = b->missed;
  e.reminders.summary = b->summary;
  e.reminders.n = n;
  e.reminders.total = b->total;
  e.reminders.snooze_seconds = snooze_seconds;
  snprintf(e.reminders.title, sizeof e.reminders.title, "%s", b->title);
  snprintf(e.reminders.body, sizeof e.reminders.body, "%s", b->body);
  e.reminders.v = v;
  pthread_mutex_lock(&c->mu);
  bool wake = false;
  if (c->ev_remind) { /* a newer batch covers the older one's window */
    ev_clear(&c->ev_remind->ev);
    c->ev_remind->ev = e;
  } else {
    fresh->ev = e;
    c->ev_remind = fresh;
    fresh = NULL;
    wake = ev_append(c, c->ev_remind);
  }
  pthread_mutex_unlock(&c->mu);
  free(fresh);
  wake_host(c, wake);
}

void cl_client_post_conflict(cl_client *c, const char *id) {
  cl_ev_node *n = calloc(1, sizeof *n);
  if (!n) return;
  n->ev.kind = CL_EV_CONFLICT;
  snprintf(n->ev.conflict.id, sizeof n->ev.conflict.id, "%s", id);
  pthread_mutex_lock(&c->mu);
  bool wake = false;
  if (c->nconflicts < CL_CLIENT_CONFLICTS_MAX) { /* beyond: still a record changed */
    c->nconflicts++;
    wake = ev_append(c, n);
    n = NULL;
  }
  pthread_mutex_unlock(&c->mu);
  free(n);
  wake_host(c, wake);
}

int cl_client_next_event(cl_client *c, cl_client_event **out) {
  *out = NULL;
  pthread_mutex_lock(&c->mu);
  cl_ev_node *n = c->ev_head;
  if (n) {
    c->ev_head = n->next;
    if (!c->ev_head) c->ev_tail = NULL;
    n->next = NULL;
    c->nevents--;
    if (n == c->ev_changed) c->ev_changed = NULL;
    if (n == c->ev_sync) c->ev_sync = NULL;
    if (n == c->ev_remind) c->ev_remind = NULL;
    if (n->ev.kind == CL_EV_RESULT && c->nresults) c->nresults--;
    if (n->ev.kind == CL_EV_CONFLICT && c->nconflicts) c->nconflicts--;
  }
  pthread_mutex_unlock(&c->mu);
  if (!n) return 0;
  *out = &n->ev;
  return 1;
}

size_t cl_client_queued(cl_client *c) {
  pthread_mutex_lock(&c->mu);
  size_t n = c->nevents;
  pthread_mutex_unlock(&c->mu);
  return n;
}

uint64_t cl_client_wakeups(cl_client *c) {
  pthread_mutex_lock(&c->mu);
  uint64_t n = c->wakeups;
  pthread_mutex_unlock(&c->mu);
  return n;
}

/* ---- life ----------------------------------------------------------------- */

static void client_release(cl_client *c) {
  cl_ev_node *n = c->ev_head;
  while (n) {
    cl_ev_node *next = n->next;
    cl_client_event_free(&n->ev);
    n = next;
  }
  cl_cmd_item *it = c->cmd_head;
  while (it) {
    cl_cmd_item *next = it->next;
    cl_client_cmd_free(it);
    it = next;
  }
  pthread_cond_destroy(&c->cv);
  pthread_mutex_destroy(&c->mu);
  free(c->profile);
  free(c->locale);
  free(c);
}

int cl_client_new(const cl_client_opts *opts, cl_client **out, kt_err *err) {
  *out = NULL;
  if (!opts || !opts->profile_dir || !opts->profile_dir[0])
    return kt_err_set(err, KT_EINVAL, "the client core needs a profile directory");
  cl_client *c = calloc(1, sizeof *c);
  if (!c) return kt_err_set(err, KT_ENOMEM, "out of memory");
  c->o = *opts;
  c->profile = strdup(opts->profile_dir);
  c->locale = opts->locale ? strdup(opts->locale) : NULL;
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  if (!c->profile || (opts->locale && !c->locale)) {
    client_release(c);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  c->o.profile_dir = c->profile;
  c->o.locale = c->locale;
  if (pthread_create(&c->th, NULL, cl_client_core_main, c) != 0) {
    client_release(c);
    return kt_err_set(err, KT_ENOMEM, "cannot start the client core's thread");
  }
  c->th_started = true;
  pthread_mutex_lock(&c->mu);
  while (!c->up) pthread_cond_wait(&c->cv, &c->mu);
  int rc = c->start_rc;
  kt_err e = c->start_err;
  pthread_mutex_unlock(&c->mu);
  if (rc) { /* the thread ended by itself */
    pthread_join(c->th, NULL);
    client_release(c);
    if (err) *err = e;
    return rc;
  }
  *out = c;
  return 0;
}

const char *cl_client_user(const cl_client *c) { return c->user; }
bool cl_client_connected(const cl_client *c) { return c->connected; }

void cl_client_shutdown(cl_client *c) {
  if (!c) return;
  pthread_mutex_lock(&c->mu);
  c->closing = true;
  if (c->async_ok) uv_async_send(&c->async);
  pthread_mutex_unlock(&c->mu);
}

void cl_client_join(cl_client *c) {
  if (!c || !c->th_started || c->joined) return;
  pthread_join(c->th, NULL);
  c->joined = true;
}

void cl_client_free(cl_client *c) {
  if (!c) return;
  cl_client_shutdown(c);
  cl_client_join(c);
  client_release(c);
}
