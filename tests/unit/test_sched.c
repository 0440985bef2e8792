/* Unit tests for cl_sched on a real libuv loop and a real temporary replica:
 * a reminder fires once, on time, from the timer (a handful of wakes, not a
 * poll); an edit moving one earlier reschedules it (told, or seen in the WAL
 * when another connection wrote it); a dismissed one is not shown; a clock
 * jump is noticed and what it skipped over comes as one summary; the check
 * at start waits for the first sync and reports missed ones once; nothing is
 * written while a batch is open; what the front end could not show stays
 * due (not recorded) and comes, as missed, when it can. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cl_sched.h"
#include "kt_hlc.h"

typedef struct shown {
  int batches;
  int occurrences;
  int64_t at[16];       /* wall time of each batch */
  cl_sched_batch last;  /* v is not kept */
  char titles[16][300]; /* of the last batch */
  bool refuse;          /* the front end cannot show anything (no notification service) */
} shown;

typedef struct fx {
  char dir[64], path[128];
  cl_store *s;
  uv_loop_t loop;
  cl_sched *sched;
  shown sh;
  int64_t offset; /* the injected wall clock: real + offset */
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/kt-sched-XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  snprintf(f->path, sizeof f->path, "%s/replica.db", f->dir);
  if (cl_store_create(f->path, "me", "local", NULL, NULL) || cl_store_open(f->path, NULL, &f->s, NULL))
    return -1;
  uv_loop_init(&f->loop);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  cl_sched_free(f->sched);
  uv_run(&f->loop, UV_RUN_DEFAULT); /* the scheduler's handles close */
  int lrc = uv_loop_close(&f->loop);
  cl_store_close(f->s);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  int rc = system(cmd);
  free(f);
  return rc || lrc ? -1 : 0;
}

static int on_show(void *ud, const cl_sched_batch *b) {
  fx *f = ud;
  shown *sh = &f->sh;
  if (sh->refuse) return 0;
  if (sh->batches < 16) sh->at[sh->batches] = (int64_t)kt_now_ms() + f->offset;
  sh->batches++;
  sh->occurrences += b->n;
  sh->last = *b;
  sh->last.v = NULL;
  for (int i = 0; i < b->n && i < 16; i++) snprintf(sh->titles[i], sizeof sh->titles[i], "%s", b->v[i].title);
  return b->n;
}

static uint64_t fake_clock(void *ud) {
  fx *f = ud;
  return kt_now_ms() + (uint64_t)f->offset;
}

static void start(fx *f, bool wait_sync) {
  cl_sched_cbs cbs = {.on_show = on_show, .ud = f, .wait_sync = wait_sync};
  assert_int_equal(cl_sched_new(&f->loop, f->s, "me", &cbs, &f->sched, NULL), 0);
  cl_sched_set_clock(f->sched, fake_clock, f);
}

static void on_stop(uv_timer_t *t) { uv_stop(t->loop); }

/* Runs the loop for ms (real time). */
static void run_for(fx *f, int ms) {
  uv_timer_t t;
  uv_timer_init(&f->loop, &t);
  uv_update_time(&f->loop);
  uv_timer_start(&t, on_stop, (uint64_t)ms, 0);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(&f->loop, UV_RUN_NOWAIT);
}

static void iso(int64_t ms, char *out, size_t n) {
  time_t t = (time_t)(ms / 1000);
  struct tm g;
  gmtime_r(&t, &g);
  snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", g.tm_year + 1900, g.tm_mon + 1, g.tm_mday,
           g.tm_hour, g.tm_min, g.tm_sec, (int)(ms % 1000));
}

/* An event of "me" with a reminder at remind_at, starting an hour later (a
 * reminder after its start is none); the id to id, its start to *occurs. */
static void add_event(cl_store *s, const char *title, int64_t remind_at, char id[37],
                      int64_t *occurs) {
  char st[80], ra[80];
  int64_t start_ms = remind_at / 1000 * 1000 + 3600000;
  iso(start_ms, st, sizeof st);
  iso(remind_at, ra, sizeof ra);
  cl_set sets[] = {{"title", title}, {"start", st}, {"remind_at", ra}};
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_store_add(s, "event", sets, 3, id, &err);
  if (rc) fprintf(stderr, "add: %s\n", err.msg);
  assert_int_equal(rc, 0);
  if (occurs) *occurs = start_ms;
}

typedef struct state_q {
  const char *id;
  cl_rem_state state;
  bool found;
} state_q;

static int find_state(void *ud, const cl_occurrence *o) {
  state_q *q = ud;
  if (strcmp(o->rid, q->id) == 0) {
    q->state = o->state;
    q->found = true;
  }
  return 0;
}

static cl_rem_state state_of(fx *f, const char *id) {
  int64_t now = (int64_t)kt_now_ms() + f->offset;
  state_q q = {.id = id};
  assert_int_equal(cl_remind_due(f->s, "me", now - 86400000LL * 2, now + 86400000LL, true, find_state,
                                 &q, NULL),
                   0);
  assert_true(q.found);
  return q.state;
}

static void test_fires_once_on_time(void **state) {
  fx *f = *state;
  char id[37];
  int64_t now = (int64_t)kt_now_ms(), due = now + 300;
  add_event(f->s, "Позвонить", due, id, NULL);
  start(f, false);
  run_for(f, 150);
  assert_int_equal(f->sh.batches, 0); /* not early */
  run_for(f, 1500);
  assert_int_equal(f->sh.batches, 1);
  assert_false(f->sh.last.summary);
  assert_false(f->sh.last.missed);
  assert_int_equal(f->sh.last.n, 1);
  assert_string_equal(f->sh.titles[0], "Позвонить");
  assert_true(f->sh.at[0] >= due);
  assert_true(f->sh.at[0] < due + 250); /* by the timer, on time */
  assert_int_equal(state_of(f, id), CL_REM_FIRED); /* recorded */
  run_for(f, 1000);
  assert_int_equal(f->sh.batches, 1); /* exactly once */
  cl_sched_stats st;
  cl_sched_stats_get(f->sched, &st);
  assert_int_equal(st.shown, 1);
  /* a timer, not a poll: the start, the due time, the WAL write of "fired" */
  assert_true(st.wakes <= 6);
  assert_int_equal(st.jumps, 0);
}

static void test_edit_reschedules(void **state) {
  fx *f = *state;
  char id[37];
  int64_t now = (int64_t)kt_now_ms();
  add_event(f->s, "Планёрка", now + 20000, id, NULL);
  start(f, false);
  run_for(f, 200);
  assert_int_equal(f->sh.batches, 0);
  int64_t due = (int64_t)kt_now_ms() + 300;
  char ra[80];
  iso(due, ra, sizeof ra);
  cl_set e[] = {{"remind_at", ra}};
  assert_int_equal(cl_store_edit(f->s, id, e, 1, NULL, NULL), 0);
  cl_sched_changed(f->sched);
  run_for(f, 1200);
  assert_int_equal(f->sh.batches, 1);
  assert_string_equal(f->sh.titles[0], "Планёрка");
  assert_true(f->sh.at[0] >= due && f->sh.at[0] < due + 250);
  run_for(f, 500);
  assert_int_equal(f->sh.batches, 1);
}

/* Another program (here: another connection) moves a reminder earlier; no
 * one tells the scheduler: it sees the commit in the WAL file. */
static void test_edit_by_another_connection(void **state) {
  fx *f = *state;
  char id[37];
  int64_t now = (int64_t)kt_now_ms();
  add_event(f->s, "Сверка", now + 25000, id, NULL);
  start(f, false);
  run_for(f, 200);
  cl_store *other;
  assert_int_equal(cl_store_open(f->path, NULL, &other, NULL), 0);
  int64_t due = (int64_t)kt_now_ms() + 300;
  char ra[80];
  iso(due, ra, sizeof ra);
  cl_set e[] = {{"remind_at", ra}};
  assert_int_equal(cl_store_edit(other, id, e, 1, NULL, NULL), 0);
  cl_store_close(other);
  run_for(f, 1200);
  assert_int_equal(f->sh.batches, 1);
  assert_true(f->sh.at[0] >= due && f->sh.at[0] < due + 250);
}

static void test_dismissed_not_shown(void **state) {
  fx *f = *state;
  char id[37], ctl[37];
  int64_t occurs, now = (int64_t)kt_now_ms();
  add_event(f->s, "Отменено", now + 400, id, &occurs);
  add_event(f->s, "Контроль", now + 700, ctl, NULL);
  start(f, false);
  run_for(f, 100); /* armed for the first */
  assert_int_equal(cl_remind_set(f->s, "me", "event", id, occurs, "dismissed", 0, NULL), 0);
  cl_sched_changed(f->sched);
  run_for(f, 1500);
  assert_int_equal(f->sh.batches, 1); /* only the other one */
  assert_string_equal(f->sh.titles[0], "Контроль");
  assert_int_equal(state_of(f, id), CL_REM_DISMISSED);
}

/* The wall clock jumps two hours ahead (a resume after suspend): the wake
 * notices it, and the five reminders it skipped over come once, as one
 * summary, all recorded. */
static void test_clock_jump_summary(void **state) {
  fx *f = *state;
  char ids[6][37];
  int64_t now = (int64_t)kt_now_ms();
  char title[32];
  for (int i = 0; i < 5; i++) {
    snprintf(title, sizeof title, "Задача %d", i);
    add_event(f->s, title, now + 3600000 + i * 60000, ids[i], NULL);
  }
  add_event(f->s, "Ближайшее", now + 500, ids[5], NULL); /* the next wake */
  start(f, false);
  run_for(f, 150);
  assert_int_equal(f->sh.batches, 0);
  f->offset = 2 * 3600000; /* the clock moves; nobody tells the scheduler */
  run_for(f, 1000);
  cl_sched_stats st;
  cl_sched_stats_get(f->sched, &st);
  assert_int_equal(st.jumps, 1);
  assert_int_equal(f->sh.batches, 1);
  assert_true(f->sh.last.summary);
  assert_false(f->sh.last.missed);
  assert_int_equal(f->sh.last.total, 6);
  assert_string_equal(f->sh.last.title, "6 reminders");
  assert_non_null(strstr(f->sh.last.body, "Задача 0"));
  for (int i = 0; i < 6; i++) assert_int_equal(state_of(f, ids[i]), CL_REM_FIRED);
  run_for(f, 800);
  assert_int_equal(f->sh.batches, 1); /* never again */
  /* and back: a jump backwards is noticed too, and fires nothing */
  f->offset = 0;
  add_event(f->s, "Потом", (int64_t)kt_now_ms() + 400, ids[0], NULL);
  cl_sched_changed(f->sched);
  run_for(f, 1000);
  cl_sched_stats_get(f->sched, &st);
  assert_int_equal(st.jumps, 2);
  assert_int_equal(f->sh.batches, 2);
  assert_string_equal(f->sh.titles[0], "Потом");
}

/* With wait_sync, nothing fires before the first sync; then what came due
 * while the PC was off comes once, as "N missed reminders". */
static void test_missed_after_first_sync(void **state) {
  fx *f = *state;
  char a[37], b[37];
  int64_t now = (int64_t)kt_now_ms();
  add_event(f->s, "Отправить счёт", now - 3600000, a, NULL);
  add_event(f->s, "Подписать договор", now - 1800000, b, NULL);
  start(f, true);
  run_for(f, 300);
  assert_false(cl_sched_is_started(f->sched));
  assert_int_equal(f->sh.batches, 0);
  cl_sched_synced(f->sched);
  run_for(f, 300);
  assert_true(cl_sched_is_started(f->sched));
  assert_int_equal(f->sh.batches, 1);
  assert_true(f->sh.last.summary);
  assert_true(f->sh.last.missed);
  assert_string_equal(f->sh.last.title, "2 missed reminders");
  assert_int_equal(state_of(f, a), CL_REM_FIRED);
  assert_int_equal(state_of(f, b), CL_REM_FIRED);
  cl_sched_synced(f->sched); /* later syncs reschedule, never repeat */
  run_for(f, 300);
  assert_int_equal(f->sh.batches, 1);
}

/* A single missed one is shown as itself, "Missed: ...". */
static void test_one_missed(void **state) {
  fx *f = *state;
  char a[37];
  int64_t now = (int64_t)kt_now_ms();
  add_event(f->s, "Отправить счёт", now - 3600000, a, NULL);
  start(f, false);
  run_for(f, 300);
  assert_int_equal(f->sh.batches, 1);
  assert_false(f->sh.last.summary);
  assert_true(f->sh.last.missed);
  assert_int_equal(f->sh.last.n, 1);
}

/* A sync pull keeps a batch open between pages while the loop runs: the
 * scheduler does not write into it, and fires once it is committed. */
static void test_waits_for_open_batch(void **state) {
  fx *f = *state;
  char id[37];
  int64_t now = (int64_t)kt_now_ms();
  add_event(f->s, "После пакета", now + 200, id, NULL);
  start(f, false);
  assert_int_equal(cl_store_begin(f->s, NULL), 0);
  run_for(f, 600);
  assert_int_equal(f->sh.batches, 0);
  assert_int_equal(cl_store_commit(f->s, NULL), 0);
  run_for(f, 300);
  assert_int_equal(f->sh.batches, 1);
  assert_int_equal(state_of(f, id), CL_REM_FIRED);
}

/* The front end cannot show notifications (no notification service): the
 * reminder is not recorded as fired and is not offered again at every wake;
 * a new due reminder tries again; once the front end can, cl_sched_retry
 * brings both, as missed, and only then are they recorded. */
static void test_unshown_stays_due(void **state) {
  fx *f = *state;
  char a[37], b[37];
  int64_t now = (int64_t)kt_now_ms();
  add_event(f->s, "Позвонить", now + 200, a, NULL);
  f->sh.refuse = true;
  start(f, false);
  run_for(f, 800);
  cl_sched_stats st;
  cl_sched_stats_get(f->sched, &st);
  assert_int_equal(st.shown, 1); /* offered once */
  assert_int_equal(st.unshown, 1);
  assert_true(cl_sched_is_holding(f->sched));
  assert_int_equal(state_of(f, a), CL_REM_PENDING); /* not fired: other PCs still show it */
  run_for(f, 1500);
  cl_sched_stats_get(f->sched, &st);
  assert_int_equal(st.shown, 1); /* not again at every wake */
  add_event(f->s, "Отправить счёт", (int64_t)kt_now_ms() + 200, b, NULL);
  cl_sched_changed(f->sched);
  run_for(f, 800);
  cl_sched_stats_get(f->sched, &st);
  assert_int_equal(st.shown, 2); /* a new due reminder tries again */
  assert_int_equal(state_of(f, a), CL_REM_PENDING);
  assert_int_equal(state_of(f, b), CL_REM_PENDING);
  f->sh.refuse = false;
  cl_sched_retry(f->sched); /* the notification service appeared */
  run_for(f, 300);
  assert_false(cl_sched_is_holding(f->sched));
  assert_int_equal(f->sh.batches, 1);
  assert_true(f->sh.last.missed);
  assert_true(f->sh.last.summary);
  assert_string_equal(f->sh.last.title, "2 missed reminders");
  assert_int_equal(state_of(f, a), CL_REM_FIRED);
  assert_int_equal(state_of(f, b), CL_REM_FIRED);
  run_for(f, 1200);
  assert_int_equal(f->sh.batches, 1); /* and never again */
}

/* The missed-reminders check at start could not show anything: it stays
 * held (not recorded) until the front end can, then comes as "Missed: ...". */
static void test_unshown_retried(void **state) {
  fx *f = *state;
  char a[37];
  add_event(f->s, "Отправить счёт", (int64_t)kt_now_ms() - 3600000, a, NULL);
  f->sh.refuse = true;
  start(f, false);
  run_for(f, 300);
  assert_true(cl_sched_is_holding(f->sched));
  assert_int_equal(state_of(f, a), CL_REM_PENDING);
  f->sh.refuse = false;
  cl_sched_retry(f->sched);
  run_for(f, 300);
  assert_int_equal(f->sh.batches, 1);
  assert_true(f->sh.last.missed);
  assert_false(f->sh.last.summary);
  assert_string_equal(f->sh.titles[0], "Отправить счёт");
  assert_int_equal(state_of(f, a), CL_REM_FIRED);
}

static void test_bad_args(void **state) {
  fx *f = *state;
  cl_sched_cbs cbs = {.on_show = NULL};
  kt_err err;
  kt_err_clear(&err);
  cl_sched *s = NULL;
  assert_int_equal(cl_sched_new(&f->loop, f->s, "me", &cbs, &s, &err), KT_EINVAL);
  assert_null(s);
  cl_sched_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fires_once_on_time, setup, teardown),
      cmocka_unit_test_setup_teardown(test_edit_reschedules, setup, teardown),
      cmocka_unit_test_setup_teardown(test_edit_by_another_connection, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dismissed_not_shown, setup, teardown),
      cmocka_unit_test_setup_teardown(test_clock_jump_summary, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missed_after_first_sync, setup, teardown),
      cmocka_unit_test_setup_teardown(test_one_missed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_waits_for_open_batch, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unshown_stays_due, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unshown_retried, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
