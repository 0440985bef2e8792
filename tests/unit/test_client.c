/* Unit tests for cl_client, the client core: driven from this (a second)
 * thread while the core runs on its own. A standalone profile (`kartoteka
 * init --local`) covers commands and results, the coalesced wake-ups, a host
 * that never drains (the queue stays bounded: events counted), shutdown with
 * commands pending and a command after it, and another program's write seen
 * as "records changed" through the WAL. A REAL kartotekad (the built binary,
 * started as a process on a fixed port) covers offline -> online and a
 * colleague's change arriving as "records changed" with its id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cl_client.h"
#include "cl_store.h"

static char bindir[1024];

/* The host side: the wakeup hook signals a condition this thread waits on. */
typedef struct host {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int wakes;
  int skipped_sync; /* the last sync status a wait for another event passed over (-1 none) */
} host;

static void on_wakeup(void *ud) {
  host *h = ud;
  pthread_mutex_lock(&h->mu);
  h->wakes++;
  pthread_cond_signal(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

static void host_init(host *h) {
  memset(h, 0, sizeof *h);
  h->skipped_sync = -1;
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->cv, NULL);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
  char cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Waits (up to ms) for an event matching kind (and, for results, req); the
 * others are freed and counted in *other. NULL on timeout. */
static cl_client_event *wait_event(cl_client *c, host *h, cl_client_ev_kind kind, uint64_t req,
                                   int ms) {
  struct timespec end;
  clock_gettime(CLOCK_REALTIME, &end);
  end.tv_sec += ms / 1000;
  end.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (end.tv_nsec >= 1000000000L) {
    end.tv_sec++;
    end.tv_nsec -= 1000000000L;
  }
  for (;;) {
    cl_client_event *ev;
    while (cl_client_next_event(c, &ev)) {
      if (ev->kind == kind && (kind != CL_EV_RESULT || !req || ev->result.req == req)) return ev;
      if (ev->kind == CL_EV_SYNC) h->skipped_sync = (int)ev->sync.status; /* for wait_status */
      cl_client_event_free(ev);
    }
    pthread_mutex_lock(&h->mu);
    int w = h->wakes, rc = 0;
    while (h->wakes == w && rc == 0 && !cl_client_queued(c)) rc = pthread_cond_timedwait(&h->cv, &h->mu, &end);
    pthread_mutex_unlock(&h->mu);
    if (rc == ETIMEDOUT && !cl_client_queued(c)) return NULL;
  }
}

/* Waits for a sync state with this status. */
static bool wait_status(cl_client *c, host *h, cl_client_sync_status st, int ms) {
  /* the state may have come while the caller waited for a command's result */
  bool skipped = h->skipped_sync == (int)st;
  h->skipped_sync = -1;
  if (skipped) return true;
  for (int waited = 0; waited < ms; waited += 100) {
    cl_client_event *ev = wait_event(c, h, CL_EV_SYNC, 0, 100);
    bool ok = ev && ev->sync.status == st;
    cl_client_event_free(ev);
    if (ok) return true;
  }
  return false;
}

static char *mkprofile(const char *tag) {
  char *dir = malloc(128);
  snprintf(dir, 128, "/tmp/kt-test-client-%s-XXXXXX", tag);
  assert_non_null(mkdtemp(dir));
  return dir;
}

static cl_client *start(const char *profile, host *h, bool sync) {
  cl_client_opts o = {.profile_dir = profile, .locale = "ru", .sync = sync, .reminders = true,
                      .wakeup = on_wakeup, .wakeup_ud = h};
  cl_client *c = NULL;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_client_new(&o, &c, &err);
  if (rc) fprintf(stderr, "cl_client_new: %s\n", err.msg);
  assert_int_equal(rc, 0);
  return c;
}

static uint64_t submit(cl_client *c, const cl_client_cmd *cmd) {
  uint64_t req = 0;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_client_submit(c, cmd, &req, &err);
  if (rc) fprintf(stderr, "submit: %s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_true(req > 0);
  return req;
}

static uint64_t add_org(cl_client *c, const char *name) {
  cl_client_set sets[] = {{"name", name}, {"city", "Москва"}};
  cl_client_cmd cmd = {.kind = CL_CMD_ADD, .type = "org", .sets = sets, .nsets = 2};
  return submit(c, &cmd);
}

static char *local_profile(void) {
  char *dir = mkprofile("local");
  assert_int_equal(run("'%s/kartoteka' --profile '%s' init --local --user anna >/dev/null 2>&1",
                       bindir, dir), 0);
  return dir;
}

/* Commands and their results: add gives the new id, edit the fields changed,
 * delete and restore; a bad value and an unknown id are errors with a message;
 * each write is also a "records changed" with the id. */
static void test_commands_results(void **state) {
  (void)state;
  char *dir = local_profile();
  host h;
  host_init(&h);
  cl_client *c = start(dir, &h, false);
  assert_string_equal(cl_client_user(c), "anna");
  assert_false(cl_client_connected(c));
  uint64_t r1 = add_org(c, "ООО Ромашка");
  cl_client_event *ev = wait_event(c, &h, CL_EV_RESULT, r1, 5000);
  assert_non_null(ev);
  assert_int_equal(ev->result.code, 0);
  assert_int_equal(ev->result.cmd, CL_CMD_ADD);
  char id[CL_CLIENT_ID_MAX];
  snprintf(id, sizeof id, "%s", ev->result.id);
  assert_int_equal(strlen(id), 36);
  cl_client_event_free(ev);

  cl_client_set e1[] = {{"city", "Казань"}};
  cl_client_cmd edit = {.kind = CL_CMD_EDIT, .id = id, .sets = e1, .nsets = 1};
  uint64_t r2 = submit(c, &edit);
  ev = wait_event(c, &h, CL_EV_RESULT, r2, 5000);
  assert_non_null(ev);
  assert_int_equal(ev->result.code, 0);
  assert_int_equal(ev->result.changed, 1);
  cl_client_event_free(ev);

  /* a records-changed event with the id came (coalesced) */
  uint64_t r3 = submit(c, &(cl_client_cmd){.kind = CL_CMD_DELETE, .id = id});
  ev = wait_event(c, &h, CL_EV_CHANGED, 0, 5000);
  assert_non_null(ev);
  bool seen = ev->changed.many;
  for (size_t i = 0; i < ev->changed.n; i++)
    if (strcmp(ev->changed.v[i].id, id) == 0 && strcmp(ev->changed.v[i].type, "org") == 0) seen = true;
  assert_true(seen);
  assert_true(ev->changed.data_version > 0);
  cl_client_event_free(ev);
  ev = wait_event(c, &h, CL_EV_RESULT, r3, 5000);
  assert_non_null(ev);
  assert_int_equal(ev->result.code, 0);
  cl_client_event_free(ev);
  uint64_t r4 = submit(c, &(cl_client_cmd){.kind = CL_CMD_RESTORE, .id = id});
  ev = wait_event(c, &h, CL_EV_RESULT, r4, 5000);
  assert_int_equal(ev->result.code, 0);
  cl_client_event_free(ev);

  /* bad input: an unknown field, a bad date, an unknown id: errors, nothing written */
  cl_client_set bad[] = {{"nosuchfield", "x"}};
  uint64_t r5 = submit(c, &(cl_client_cmd){.kind = CL_CMD_ADD, .type = "org", .sets = bad, .nsets = 1});
  ev = wait_event(c, &h, CL_EV_RESULT, r5, 5000);
  assert_true(ev->result.code < 0);
  assert_true(strlen(ev->result.msg) > 10);
  assert_string_equal(ev->result.id, "");
  cl_client_event_free(ev);
  uint64_t r6 = submit(c, &(cl_client_cmd){.kind = CL_CMD_EDIT, .id = "no-such-id", .sets = e1, .nsets = 1});
  ev = wait_event(c, &h, CL_EV_RESULT, r6, 5000);
  assert_true(ev->result.code < 0);
  assert_non_null(strstr(ev->result.msg, "no-such-id"));
  cl_client_event_free(ev);
  /* refused at submit: malformed commands, sync on a standalone profile answered */
  kt_err err;
  assert_int_equal(cl_client_submit(c, &(cl_client_cmd){.kind = CL_CMD_EDIT}, NULL, &err), KT_EINVAL);
  assert_int_equal(cl_client_submit(c, &(cl_client_cmd){.kind = 99}, NULL, &err), KT_EINVAL);
  uint64_t r7 = submit(c, &(cl_client_cmd){.kind = CL_CMD_SYNC_NOW});
  ev = wait_event(c, &h, CL_EV_RESULT, r7, 5000);
  assert_int_equal(ev->result.code, KT_EUNSUPPORTED);
  cl_client_event_free(ev);
  uint64_t r8 = submit(c, &(cl_client_cmd){.kind = CL_CMD_SHOWN, .batch = 12345, .shown = 1});
  ev = wait_event(c, &h, CL_EV_RESULT, r8, 5000);
  assert_int_equal(ev->result.code, KT_ENOTFOUND);
  cl_client_event_free(ev);
  cl_client_free(c);
  /* what the core wrote is in the replica */
  assert_int_equal(run("'%s/kartoteka' --profile '%s' show '%s' | grep -q Казань", bindir, dir, id), 0);
  run("rm -rf '%s'", dir);
  free(dir);
}

/* N events before the host drains: one wakeup; after draining, the next
 * event wakes it again. */
static void test_wakeups_coalesced(void **state) {
  (void)state;
  char *dir = local_profile();
  host h;
  host_init(&h);
  cl_client *c = start(dir, &h, false);
  /* the start-up state event woke us once: drain it */
  cl_client_event *ev;
  for (int i = 0; i < 50 && !cl_client_queued(c); i++) usleep(10000);
  while (cl_client_next_event(c, &ev)) cl_client_event_free(ev);
  uint64_t w0 = cl_client_wakeups(c);
  uint64_t last = 0;
  for (int i = 0; i < 20; i++) last = add_org(c, "Фирма");
  for (int i = 0; i < 500; i++) { /* until the last result is queued */
    pthread_mutex_lock(&h.mu);
    pthread_mutex_unlock(&h.mu);
    if (cl_client_queued(c) >= 20) break;
    usleep(10000);
  }
  usleep(100000);
  assert_true(cl_client_queued(c) >= 20);
  assert_int_equal(cl_client_wakeups(c) - w0, 1); /* N events, one wakeup */
  int results = 0;
  bool got_last = false;
  while (cl_client_next_event(c, &ev)) {
    if (ev->kind == CL_EV_RESULT) {
      results++;
      got_last = got_last || ev->result.req == last;
    }
    cl_client_event_free(ev);
  }
  assert_int_equal(results, 20);
  assert_true(got_last);
  add_org(c, "Ещё");
  ev = wait_event(c, &h, CL_EV_RESULT, 0, 5000);
  assert_non_null(ev);
  cl_client_event_free(ev);
  assert_true(cl_client_wakeups(c) - w0 >= 2); /* drained, then woken again */
  cl_client_free(c);
  run("rm -rf '%s'", dir);
  free(dir);
}

/* A host that never drains: the core refuses commands beyond the cap with
 * KT_EBUSY and the queue holds at most the results plus a few coalesced
 * events (records changed, sync state). */
static void test_never_drains_bounded(void **state) {
  (void)state;
  char *dir = local_profile();
  host h;
  host_init(&h);
  cl_client *c = start(dir, &h, false);
  int accepted = 0, busy = 0;
  kt_err err;
  for (int i = 0; i < CL_CLIENT_CMDS_MAX + 200; i++) {
    cl_client_set sets[] = {{"name", "Фирма"}};
    cl_client_cmd cmd = {.kind = CL_CMD_ADD, .type = "org", .sets = sets, .nsets = 1};
    int rc = cl_client_submit(c, &cmd, NULL, &err);
    if (rc == 0) accepted++;
    else if (rc == KT_EBUSY) busy++;
    else fail_msg("unexpected %d: %s", rc, err.msg);
  }
  assert_int_equal(accepted, CL_CLIENT_CMDS_MAX);
  assert_int_equal(busy, 200);
  assert_non_null(strstr(err.msg, "cl_client_next_event"));
  /* every result, one records changed, one sync state */
  for (int i = 0; i < 3000 && cl_client_queued(c) < (size_t)CL_CLIENT_CMDS_MAX + 2; i++)
    usleep(10000);
  usleep(300000);
  size_t q = cl_client_queued(c);
  assert_true(q >= (size_t)CL_CLIENT_CMDS_MAX + 2);
  assert_true(q <= (size_t)CL_CLIENT_CMDS_MAX + 4); /* + changed, sync state, reminders, ... */
  /* one "records changed" covering them all: beyond the cap it says "many" */
  cl_client_event *ev;
  int changed = 0, results = 0;
  bool many = false;
  while (cl_client_next_event(c, &ev)) {
    if (ev->kind == CL_EV_CHANGED) {
      changed++;
      many = ev->changed.many;
    }
    if (ev->kind == CL_EV_RESULT) results++;
    cl_client_event_free(ev);
  }
  assert_int_equal(changed, 1);
  assert_true(many);
  assert_int_equal(results, CL_CLIENT_CMDS_MAX);
  assert_int_equal(cl_client_submit(c, &(cl_client_cmd){.kind = CL_CMD_RETRY}, NULL, &err), 0);
  cl_client_free(c);
  run("rm -rf '%s'", dir);
  free(dir);
}

/* Shutdown with commands pending: every one is answered (carried out, as
 * they came before the shutdown); a command after it is refused with
 * KT_ECLOSED at once, never a hang; the last event says ended. */
static void test_shutdown_pending(void **state) {
  (void)state;
  char *dir = local_profile();
  host h;
  host_init(&h);
  cl_client *c = start(dir, &h, false);
  uint64_t reqs[50];
  for (int i = 0; i < 50; i++) reqs[i] = add_org(c, "Перед выключением");
  cl_client_shutdown(c);
  kt_err err;
  kt_err_clear(&err);
  uint64_t req = 7;
  assert_int_equal(cl_client_submit(c, &(cl_client_cmd){.kind = CL_CMD_SYNC_NOW}, &req, &err),
                   KT_ECLOSED);
  assert_int_equal(req, 0);
  assert_non_null(strstr(err.msg, "shutting down"));
  cl_client_join(c);
  int answered = 0;
  bool ended = false;
  cl_client_event *ev;
  while (cl_client_next_event(c, &ev)) {
    if (ev->kind == CL_EV_RESULT)
      for (int i = 0; i < 50; i++)
        if (ev->result.req == reqs[i]) answered++;
    if (ev->kind == CL_EV_SYNC && ev->sync.ended) ended = true;
    cl_client_event_free(ev);
  }
  assert_int_equal(answered, 50);
  assert_true(ended);
  cl_client_free(c);
  /* cl_client_free straight away with commands pending: no hang, no leak */
  c = start(dir, &h, false);
  for (int i = 0; i < 20; i++) add_org(c, "И ещё");
  cl_client_free(c);
  run("rm -rf '%s'", dir);
  free(dir);
}

/* Another program writes to the replica (the CLI while the agent runs): the
 * core notices through the WAL, no polling, and says "records changed". */
static void test_other_program_write(void **state) {
  (void)state;
  char *dir = local_profile();
  host h;
  host_init(&h);
  cl_client *c = start(dir, &h, false);
  usleep(200000);
  cl_client_event *ev;
  while (cl_client_next_event(c, &ev)) cl_client_event_free(ev);
  assert_int_equal(run("'%s/kartoteka' --profile '%s' add org --set name=Сторонняя >/dev/null",
                       bindir, dir), 0);
  ev = wait_event(c, &h, CL_EV_CHANGED, 0, 3000);
  assert_non_null(ev);
  assert_true(ev->changed.many); /* ids unknown: reload */
  cl_client_event_free(ev);
  cl_client_free(c);
  run("rm -rf '%s'", dir);
  free(dir);
}

/* ---- against a real server ------------------------------------------------ */

static pid_t start_server(const char *data, int port) {
  pid_t pid = fork();
  if (pid == 0) {
    char bin[1100], listen[64];
    snprintf(bin, sizeof bin, "%s/kartotekad", bindir);
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    freopen("/dev/null", "w", stdout);
    execl(bin, bin, "serve", "--data", data, "--listen", listen, (char *)NULL);
    _exit(127);
  }
  usleep(500000);
  return pid;
}

static void stop_server(pid_t pid) {
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

/* boris's core starts while the server is down (offline, retrying), the
 * server comes up (online), and anna's edit, made by another program on
 * another PC, arrives as "records changed" with the card's id. */
static void test_offline_online_colleague(void **state) {
  (void)state;
  char *t = mkprofile("office");
  int port = 20000 + (int)(getpid() % 20000);
  assert_int_equal(run("echo 'correct horse battery' > %s/pw && '%s/kartotekad' init --data %s/data "
                       "--admin boss --password-file %s/pw >/dev/null", t, bindir, t, t), 0);
  for (int i = 0; i < 2; i++) {
    const char *u = i ? "boris" : "anna";
    assert_int_equal(run("'%s/kartotekad' user add --data %s/data --user %s --role head_of_sales "
                         "--password-file %s/pw >/dev/null", bindir, t, u, t), 0);
  }
  char data[256];
  snprintf(data, sizeof data, "%s/data", t);
  pid_t srv = start_server(data, port);
  for (int i = 0; i < 2; i++) {
    const char *u = i ? "boris" : "anna";
    assert_int_equal(run("inv=$('%s/kartotekad' invite --data %s/data --user %s --address "
                         "127.0.0.1:%d) && '%s/kartoteka' --profile %s/%s connect --invite \"$inv\" "
                         "--password-file %s/pw >/dev/null 2>&1", bindir, t, u, port, bindir, t, u, t), 0);
  }
  char org[64] = "";
  FILE *p = NULL;
  {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s/kartoteka' --profile %s/anna add org --set name=Ромашка && "
             "'%s/kartoteka' --profile %s/anna sync >/dev/null", bindir, t, bindir, t);
    p = popen(cmd, "r");
    assert_non_null(fgets(org, sizeof org, p));
    pclose(p);
    org[strcspn(org, "\n")] = 0;
  }
  stop_server(srv);
  char boris[256];
  snprintf(boris, sizeof boris, "%s/boris", t);
  host h;
  host_init(&h);
  cl_client *c = start(boris, &h, true);
  assert_true(cl_client_connected(c));
  assert_true(wait_status(c, &h, CL_SYNC_OFFLINE, 10000));
  srv = start_server(data, port);
  uint64_t r = submit(c, &(cl_client_cmd){.kind = CL_CMD_SYNC_NOW}); /* no waiting for the backoff */
  cl_client_event *ev = wait_event(c, &h, CL_EV_RESULT, r, 15000); /* the round ran */
  assert_non_null(ev);
  assert_int_equal(ev->result.code, 0);
  cl_client_event_free(ev);
  assert_true(wait_status(c, &h, CL_SYNC_ONLINE, 5000)); /* subscribed after it */
  /* anna's card came with the first round (drained above or now) */
  usleep(300000);
  while (cl_client_next_event(c, &ev)) cl_client_event_free(ev);
  assert_int_equal(run("'%s/kartoteka' --profile %s/anna edit %s --set city=Казань >/dev/null && "
                       "'%s/kartoteka' --profile %s/anna sync >/dev/null", bindir, t, org, bindir, t), 0);
  bool seen = false;
  for (int i = 0; i < 50 && !seen; i++) {
    ev = wait_event(c, &h, CL_EV_CHANGED, 0, 200);
    for (size_t k = 0; ev && k < ev->changed.n; k++)
      if (strcmp(ev->changed.v[k].id, org) == 0) seen = true;
    cl_client_event_free(ev);
  }
  assert_true(seen);
  /* a local edit through the core reaches the server without asking */
  cl_client_set s1[] = {{"phone", "+7 495 111-22-33"}};
  r = submit(c, &(cl_client_cmd){.kind = CL_CMD_EDIT, .id = org, .sets = s1, .nsets = 1});
  ev = wait_event(c, &h, CL_EV_RESULT, r, 5000);
  assert_int_equal(ev->result.code, 0);
  cl_client_event_free(ev);
  usleep(1500000);
  assert_int_equal(run("'%s/kartoteka' --profile %s/anna sync >/dev/null && '%s/kartoteka' "
                       "--profile %s/anna show %s | grep -q '111-22-33'", bindir, t, bindir, t, org), 0);
  cl_client_free(c);
  stop_server(srv);
  run("rm -rf '%s'", t);
  free(t);
}

int main(void) {
  char self[900];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 1;
  self[n] = 0;
  char *slash = strrchr(self, '/');
  *slash = 0; /* build/X/tests */
  snprintf(bindir, sizeof bindir, "%s/../bin", self);
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_commands_results),   cmocka_unit_test(test_wakeups_coalesced),
      cmocka_unit_test(test_never_drains_bounded), cmocka_unit_test(test_shutdown_pending),
      cmocka_unit_test(test_other_program_write), cmocka_unit_test(test_offline_online_colleague),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
