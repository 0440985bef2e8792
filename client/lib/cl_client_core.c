/* cl_client_core — what runs on the client core's own thread: the loop, the
 * writer store, the live sync (cl_sync_run with a control the commands set),
 * the reminder scheduler, and the commands, carried out by the same library
 * calls the CLI's commands make. Nothing polls: the loop sleeps until the
 * server sends, a timer (reminders, backoff, certificate renewal) fires, a
 * command arrives (uv_async) or the replica's WAL changes (uv_fs_event on the
 * profile directory; another program's commit shows in PRAGMA data_version). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_client_int.h"
#include "cl_db.h"
#include "kt_log.h"
#include "kt_plat.h"
#include "kt_time.h"

/* Commits made by other connections (PRAGMA data_version alone: this store's
 * own commits do not move it). */
static int64_t others_version(cl_client *c) {
  int64_t v = 0;
  sqlite3_stmt *st = cl_db_st(cl_store_db(c->s), CL_ST_DATA_VERSION, NULL);
  if (st && sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  if (st) sqlite3_reset(st);
  return v;
}

/* A record this core wrote: "records changed" with its type. */
static void note_record(cl_client *c, const char *id) {
  cl_rec *r = NULL;
  if (!id || !id[0] || cl_store_get(c->s, id, &r, NULL)) return;
  cl_client_post_changed(c, r->type->def->name, id, cl_store_data_version(c->s));
  cl_rec_free(r);
}

/* ---- waiters: commands answered by the sync engine ---------------------- */

static int add_waiter(cl_client *c, uint64_t req, cl_client_cmd_kind kind) {
  if (c->nwaiters == c->capwaiters) {
    size_t cap = c->capwaiters ? c->capwaiters * 2 : 8;
    cl_waiter *w = realloc(c->waiters, cap * sizeof *w);
    if (!w) return KT_ENOMEM;
    c->waiters = w;
    c->capwaiters = cap;
  }
  c->waiters[c->nwaiters++] = (cl_waiter){req, kind};
  return 0;
}

/* Answers the waiters of `kind` (0: all) with code/msg. */
static void answer_waiters(cl_client *c, cl_client_cmd_kind kind, int code, const char *msg) {
  size_t k = 0;
  for (size_t i = 0; i < c->nwaiters; i++) {
    cl_waiter w = c->waiters[i];
    if (kind && w.kind != kind) {
      c->waiters[k++] = w;
      continue;
    }
    cl_client_post_result(c, w.req, w.kind, code, msg, NULL, 0);
  }
  c->nwaiters = k;
}

/* ---- pulled records: told after their commit ------------------------------ */

static void flush_pulled(cl_client *c) {
  if (!c->pull_many && !c->npulled) return;
  int64_t v = cl_store_data_version(c->s);
  if (c->pull_many) cl_client_post_changed(c, NULL, NULL, v);
  for (size_t i = 0; !c->pull_many && i < c->npulled; i++)
    cl_client_post_changed(c, c->pulled[i].type, c->pulled[i].id, v);
  c->npulled = 0;
  c->pull_many = false;
}

static void on_pulled(void *ud, const char *type, const char *id) {
  cl_client *c = ud;
  if (type && id && strcmp(type, "conflict") == 0) cl_client_post_conflict(c, id);
  if (c->pull_many) return;
  if (!type || !id || c->npulled == CL_CLIENT_CHANGED_IDS) {
    c->pull_many = true;
    return;
  }
  cl_client_ref *r = &c->pulled[c->npulled++];
  snprintf(r->type, sizeof r->type, "%s", type);
  snprintf(r->id, sizeof r->id, "%s", id);
}

static void on_state(void *ud, int status, int code, const char *msg) {
  cl_client *c = ud;
  c->status = (cl_client_sync_status)status;
  c->code = code;
  snprintf(c->error, sizeof c->error, "%s", msg ? msg : "");
  flush_pulled(c); /* a round cut short: what it committed */
  cl_client_post_sync(c, false);
  if (status == CL_SYNC_ONLINE) {
    answer_waiters(c, CL_CMD_LOGIN, 0, NULL);
  } else if (status != CL_SYNC_CONNECTING) {
    char why[KT_ERR_MSG_MAX];
    snprintf(why, sizeof why, "%s", status == CL_SYNC_STOPPED && !code
                                        ? "the client core is shutting down"
                                        : msg && msg[0] ? msg : "the sync could not run");
    answer_waiters(c, 0, code ? code : KT_ECLOSED, why);
  }
}

static void on_synced(void *ud, const cl_sync_stats *st) {
  (void)st;
  cl_client *c = ud;
  flush_pulled(c);
  if (c->sched) cl_sched_synced(c->sched);
  cl_client_post_sync(c, false);
  answer_waiters(c, CL_CMD_LOGIN, 0, NULL);
  if (!c->ctl.now) answer_waiters(c, CL_CMD_SYNC_NOW, 0, NULL); /* else the asked round comes */
}

/* ---- reminders ------------------------------------------------------------ */

/* One program at a time shows a profile's reminders (the desktop app, the
 * agent): the one holding reminders.lock in the profile. Another one's
 * scheduler finds nothing shown and offers the batch again later (as missed,
 * every CL_SCHED_RETRY_MS): by then the holder has recorded it fired, or has
 * ended and left the lock to this one. */
static bool remind_lock(cl_client *c) {
  if (c->remind_held) return true;
  char path[1100];
  snprintf(path, sizeof path, "%s/reminders.lock", c->profile);
  int fd = -1;
  if (kt_plat_lock(path, &fd) != 0) return false;
  c->remind_fd = fd;
  return c->remind_held = true;
}

static int on_show(void *ud, const cl_sched_batch *b) {
  cl_client *c = ud;
  if (!remind_lock(c)) return 0; /* another program shows them: offered again later */
  cl_batch *slot = &c->batches[0];
  for (int i = 0; i < CL_CLIENT_BATCHES; i++) /* a free slot, else the oldest */
    if (!c->batches[i].no || c->batches[i].no < slot->no) slot = &c->batches[i];
  free(slot->v);
  *slot = (cl_batch){0};
  int n = b->n < CL_CLIENT_REMIND_MAX ? b->n : CL_CLIENT_REMIND_MAX;
  slot->v = n ? malloc((size_t)n * sizeof *slot->v) : NULL;
  if (n && !slot->v) return 0; /* held, offered again */
  memcpy(slot->v, b->v, (size_t)n * sizeof *slot->v);
  slot->n = n;
  slot->no = ++c->batch_no;
  cl_client_post_reminders(c, slot->no, b, cl_remind_snooze_seconds(c->s));
  return CL_SCHED_LATER;
}

static int reminders_shown(cl_client *c, const cl_cmd_item *it, kt_err *err) {
  for (int i = 0; i < CL_CLIENT_BATCHES; i++) {
    cl_batch *b = &c->batches[i];
    if (!b->no || b->no != it->batch) continue;
    if (c->sched) cl_sched_report(c->sched, b->v, b->n, it->shown, b->no == c->batch_no);
    free(b->v);
    *b = (cl_batch){0};
    return 0;
  }
  return kt_err_set(err, KT_ENOTFOUND, "reminder batch %llu is no longer current (a newer one "
                    "covers it, or it was reported): nothing recorded",
                    (unsigned long long)it->batch);
}

static int reminder_state(cl_client *c, const cl_cmd_item *it, kt_err *err) {
  bool snooze = it->kind == CL_CMD_SNOOZE;
  int64_t until = it->when ? it->when
                           : (int64_t)kt_now_ms() + cl_remind_snooze_seconds(c->s) * 1000;
  int rc = cl_remind_set(c->s, c->user, it->occ.rtype, it->occ.rid, it->occ.occurs,
                         snooze ? "snoozed" : "dismissed", snooze ? until : 0, err);
  if (!rc && c->sched) cl_sched_changed(c->sched); /* the next due time moved */
  return rc;
}

/* ---- commands ------------------------------------------------------------- */

/* A command that waits for the sync engine (a round, a login). */
static int sync_cmd(cl_client *c, cl_cmd_item *it, kt_err *err) {
  if (c->stopping)
    return kt_err_set(err, KT_ECLOSED, "the client core is shutting down: no sync any more");
  if (!c->connected)
    return kt_err_set(err, KT_EUNSUPPORTED, "this is a standalone profile: there is no server "
                      "to sync with (`kartoteka connect` joins one)");
  if (!c->o.sync)
    return kt_err_set(err, KT_EUNSUPPORTED, "this client core was started without sync");
  if (c->status == CL_SYNC_STOPPED)
    return kt_err_set(err, c->code ? c->code : KT_ECLOSED, "sync has stopped: %s",
                      c->error[0] ? c->error : "start the program again");
  if (add_waiter(c, it->req, it->kind)) return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (it->kind == CL_CMD_LOGIN) {
    free(c->ctl.password);
    c->ctl.password = it->password; /* cl_sync_run wipes it after use */
    it->password = NULL;
  } else {
    c->ctl.now = true;
  }
  cl_sync_ctl_wake(&c->ctl);
  return 1; /* answered later */
}

static void exec_cmd(cl_client *c, cl_cmd_item *it) {
  kt_err err;
  kt_err_clear(&err);
  char id[KT_UUID_STRLEN + 1] = "";
  int changed = 0, rc = 0;
  bool wrote = false;
  switch (it->kind) {
  case CL_CMD_ADD:
    rc = cl_store_add(c->s, it->type, it->sets, it->nsets, id, &err);
    wrote = true;
    break;
  case CL_CMD_EDIT:
    rc = cl_store_edit(c->s, it->id, it->sets, it->nsets, &changed, &err);
    wrote = changed > 0;
    break;
  case CL_CMD_DELETE:
    rc = cl_store_delete(c->s, it->id, &err);
    wrote = true;
    break;
  case CL_CMD_RESTORE:
    rc = cl_store_restore(c->s, it->id, &err);
    wrote = true;
    break;
  case CL_CMD_DONE:
    if (it->when && it->when < (int64_t)kt_now_ms())
      rc = kt_err_set(&err, KT_EINVAL, "the call back would be in the past; give a later time");
    else
      rc = cl_record_result(c->s, it->id, it->result, it->comment, it->when, id, &err);
    wrote = true;
    break;
  case CL_CMD_DISMISS:
  case CL_CMD_SNOOZE:
    rc = reminder_state(c, it, &err);
    break;
  case CL_CMD_SHOWN:
    rc = reminders_shown(c, it, &err);
    break;
  case CL_CMD_RETRY:
    if (c->sched) cl_sched_retry(c->sched);
    break;
  case CL_CMD_SYNC_NOW:
  case CL_CMD_LOGIN:
    rc = sync_cmd(c, it, &err);
    if (rc == 1) return;
    break;
  }
  if (!rc && wrote) {
    if (it->kind == CL_CMD_ADD) note_record(c, id);
    else note_record(c, it->id);
    if (it->kind == CL_CMD_DONE) note_record(c, id); /* the call back planned */
    if (c->sched) cl_sched_changed(c->sched);
    cl_client_post_sync(c, false); /* one more change waiting to be sent */
    /* the sync watch hears of the commit through the WAL and pushes it */
  }
  cl_client_post_result(c, it->req, it->kind, rc, err.msg, id, changed);
}

static void on_busy(uv_timer_t *t);

/* Carries out the queued commands, in order; while a sync pull holds a batch
 * open (between its pages) they wait for it: a write now would join its
 * transaction. */
static void run_commands(cl_client *c) {
  if (cl_store_in_batch(c->s)) {
    uv_timer_start(&c->busy, on_busy, CL_CLIENT_BUSY_RETRY_MS, 0);
    return;
  }
  cl_cmd_item *it;
  while ((it = cl_client_cmd_take(c))) {
    exec_cmd(c, it);
    cl_client_cmd_free(it);
  }
}

static void on_busy(uv_timer_t *t) { run_commands(t->data); }

static void on_async(uv_async_t *h) {
  cl_client *c = h->data;
  if (!c->stopping && cl_client_is_closing(c)) {
    c->stopping = true;
    c->ctl.stop = true;
    cl_sync_ctl_wake(&c->ctl);
  }
  run_commands(c);
}

/* A commit by another program (the CLI editing while this runs): records
 * changed, ids unknown. The sync watch pushes it (its own watcher). A WAL
 * write is seen before its commit is visible (the shared index comes after),
 * so the look is when the writes have settled, and once more a little later. */
static void on_settled(uv_timer_t *t) {
  cl_client *c = t->data;
  int64_t v = others_version(c);
  if (v == c->others_version) {
    if (c->settle_step++ == 0) uv_timer_start(&c->settle, on_settled, CL_CLIENT_SETTLE_LATE_MS, 0);
    return;
  }
  c->others_version = v;
  cl_client_post_changed(c, NULL, NULL, cl_store_data_version(c->s));
  cl_client_post_sync(c, false);
  if (c->sched) cl_sched_changed(c->sched);
}

static void on_dir_changed(uv_fs_event_t *h, const char *name, int events, int status) {
  (void)events;
  cl_client *c = h->data;
  if (status < 0 || (name && strcmp(name, c->wal) != 0)) return;
  c->settle_step = 0;
  uv_timer_start(&c->settle, on_settled, CL_CLIENT_SETTLE_MS, 0);
}

/* ---- the thread ----------------------------------------------------------- */

static void started(cl_client *c, int rc, const kt_err *err) {
  pthread_mutex_lock(&c->mu);
  c->up = true;
  c->start_rc = rc;
  if (rc && err) c->start_err = *err;
  c->async_ok = rc == 0;
  pthread_cond_signal(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

static int start(cl_client *c, kt_err *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/replica.db", c->profile);
  cl_open_opts oo = {.locale = c->locale, .busy_ms = c->o.busy_ms};
  int rc = cl_store_open(path, &oo, &c->s, err);
  if (rc) return rc;
  snprintf(c->user, sizeof c->user, "%s", cl_store_user(c->s));
  c->connected = cl_store_connected(c->s);
  snprintf(c->wal, sizeof c->wal, "replica.db-wal");
  c->others_version = others_version(c);
  c->ctl.ud = c;
  c->ctl.on_state = on_state;
  c->ctl.on_pulled = on_pulled;
  c->ctl.wait_login = c->o.wait_login;
  c->st.ctl = &c->ctl;
  c->status = c->connected && c->o.sync ? CL_SYNC_CONNECTING : CL_SYNC_LOCAL;
  if (c->o.reminders) {
    cl_sched_cbs cbs = {.on_show = on_show, .ud = c, .wait_sync = c->connected && c->o.sync};
    rc = cl_sched_new(&c->loop, c->s, c->user, &cbs, &c->sched, err);
  }
  return rc;
}

void *cl_client_core_main(void *arg) {
  cl_client *c = arg;
  kt_err err;
  kt_err_clear(&err);
  if (uv_loop_init(&c->loop)) {
    kt_err_set(&err, KT_ENOMEM, "cannot start the client core's event loop");
    started(c, KT_ENOMEM, &err);
    return NULL;
  }
  uv_async_init(&c->loop, &c->async, on_async);
  c->async.data = c;
  uv_timer_init(&c->loop, &c->busy);
  c->busy.data = c;
  uv_timer_init(&c->loop, &c->settle);
  c->settle.data = c;
  int rc = start(c, &err);
  if (!rc && uv_fs_event_init(&c->loop, &c->fs) == 0) {
    c->fs.data = c;
    c->fs_on = true;
    int urc = uv_fs_event_start(&c->fs, on_dir_changed, c->profile, 0);
    if (urc) kt_log_warn("client", "cannot watch %s (%s): other programs' edits show later",
                         c->profile, uv_strerror(urc));
  }
  started(c, rc, &err);
  if (!rc) {
    cl_client_post_sync(c, false);
    if (c->connected && c->o.sync) {
      kt_err e2;
      kt_err_clear(&e2);
      int src = cl_sync_run(&c->loop, c->profile, c->s, true, &c->ctl, on_synced, c, &c->st, &e2);
      flush_pulled(c);
      if (c->status != CL_SYNC_STOPPED || (src && !c->code)) /* e.g. the lock: never ran */
        on_state(c, CL_SYNC_STOPPED, src, e2.msg);
    }
    while (!c->stopping) uv_run(&c->loop, UV_RUN_ONCE);
    run_commands(c); /* what came before the shutdown */
    answer_waiters(c, 0, KT_ECLOSED, "the client core is shutting down");
  }
  pthread_mutex_lock(&c->mu);
  c->async_ok = false;
  pthread_mutex_unlock(&c->mu);
  /* commands that came after (none: submit refuses once closing) */
  cl_cmd_item *it;
  while ((it = cl_client_cmd_take(c))) {
    cl_client_post_result(c, it->req, it->kind, KT_ECLOSED,
                          "the client core shut down before it got to this command", NULL, 0);
    cl_client_cmd_free(it);
  }
  cl_sched_free(c->sched);
  c->sched = NULL;
  if (c->remind_held) kt_plat_unlock(c->remind_fd);
  c->remind_held = false;
  if (c->fs_on) uv_close((uv_handle_t *)&c->fs, NULL);
  uv_close((uv_handle_t *)&c->busy, NULL);
  uv_close((uv_handle_t *)&c->settle, NULL);
  uv_close((uv_handle_t *)&c->async, NULL);
  uv_run(&c->loop, UV_RUN_DEFAULT);
  uv_loop_close(&c->loop);
  for (int i = 0; i < CL_CLIENT_BATCHES; i++) free(c->batches[i].v);
  free(c->waiters);
  free(c->ctl.password);
  if (!rc) {
    if (c->status != CL_SYNC_LOCAL) c->status = CL_SYNC_STOPPED;
    cl_client_post_sync(c, true); /* the last event */
  }
  cl_store_close(c->s);
  c->s = NULL;
  return NULL;
}
