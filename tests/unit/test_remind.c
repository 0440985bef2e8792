/* Unit tests for cl_remind: recurring events keep their local wall time
 * across a DST change, reminder leads, states, birthdays N days ahead. */
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

#include "cl_remind.h"
#include "kt_time.h"

typedef struct fx {
  char dir[64], path[128];
  cl_store *s;
} fx;

static int setup(void **state) {
  setenv("TZ", "Europe/Warsaw", 1);
  tzset();
  fx *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/kt-remind-XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  snprintf(f->path, sizeof f->path, "%s/replica.db", f->dir);
  if (cl_store_create(f->path, "me", "local", NULL, NULL) || cl_store_open(f->path, NULL, &f->s, NULL))
    return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  cl_store_close(f->s);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  int rc = system(cmd);
  free(f);
  return rc ? -1 : 0;
}

typedef struct acc {
  cl_occurrence v[64];
  int n;
} acc;

static int collect(void *ud, const cl_occurrence *o) {
  acc *a = ud;
  if (a->n < 64) a->v[a->n++] = *o;
  return 0;
}

static void local_hm(int64_t ms, int *h, int *m, int *mday, int *mon) {
  time_t t = (time_t)(ms / 1000);
  struct tm lt;
  localtime_r(&t, &lt);
  *h = lt.tm_hour;
  *m = lt.tm_min;
  *mday = lt.tm_mday;
  *mon = lt.tm_mon + 1;
}

static void test_weekly_across_dst(void **state) {
  fx *f = *state;
  char id[37];
  /* Mondays 10:00 from mid-October; Poland leaves summer time on 25 Oct 2026 */
  cl_set sets[] = {{"title", "Планёрка"}, {"start", "2026-10-12T10:00"}, {"rrule", "FREQ=WEEKLY;COUNT=4"},
                   {"remind_before", "15m"}};
  assert_int_equal(cl_store_add(f->s, "event", sets, 4, id, NULL), 0);
  acc a = {.n = 0};
  int64_t from = kt_local_to_ms(2026, 10, 1, 0, 0, 0), to = kt_local_to_ms(2026, 12, 31, 0, 0, 0);
  assert_int_equal(cl_diary(f->s, "me", from, to, false, collect, &a, NULL), 0);
  assert_int_equal(a.n, 4); /* COUNT=4 */
  for (int i = 0; i < a.n; i++) {
    int h, m, d, mon;
    local_hm(a.v[i].occurs, &h, &m, &d, &mon);
    assert_int_equal(h, 10); /* 10:00 local before and after the change */
    assert_int_equal(m, 0);
    assert_true(a.v[i].occurs - a.v[i].due == 15 * 60000);
  }
  /* the gap between the 2nd and 3rd occurrence is a week plus the extra hour */
  assert_true(a.v[2].occurs - a.v[1].occurs == 7LL * 86400000 + 3600000);
}

static void test_states_and_birthdays(void **state) {
  fx *f = *state;
  char ev[37], c[37];
  cl_set e[] = {{"title", "Позвонить"}, {"start", "2026-11-20T12:00"}, {"remind_at", "2026-11-20T11:00"}};
  assert_int_equal(cl_store_add(f->s, "event", e, 3, ev, NULL), 0);
  cl_set b[] = {{"last_name", "Петров"}, {"birthday", "1980-11-25"}};
  assert_int_equal(cl_store_add(f->s, "contact", b, 2, c, NULL), 0);
  assert_int_equal(cl_store_meta_set(f->s, "birthday_days", "2", NULL), 0);
  int64_t from = kt_local_to_ms(2026, 11, 1, 0, 0, 0), to = kt_local_to_ms(2026, 11, 30, 0, 0, 0);
  acc a = {.n = 0};
  assert_int_equal(cl_remind_due(f->s, "me", from, to, false, collect, &a, NULL), 0);
  assert_int_equal(a.n, 2);
  assert_string_equal(a.v[0].rid, ev);
  assert_true(a.v[0].due == kt_local_to_ms(2026, 11, 20, 11, 0, 0));
  assert_string_equal(a.v[1].rid, c); /* two days before, 09:00 */
  assert_true(a.v[1].due == kt_local_to_ms(2026, 11, 23, 9, 0, 0));
  /* fired: no longer pending; snoozed: comes back at the snooze end */
  assert_int_equal(cl_remind_set(f->s, "me", "event", ev, a.v[0].occurs, "fired", 0, NULL), 0);
  acc p = {.n = 0};
  assert_int_equal(cl_remind_due(f->s, "me", from, to, false, collect, &p, NULL), 0);
  assert_int_equal(p.n, 1);
  int64_t later = kt_local_to_ms(2026, 11, 26, 8, 0, 0);
  assert_int_equal(cl_remind_set(f->s, "me", "contact", c, a.v[1].occurs, "snoozed", later, NULL), 0);
  acc q = {.n = 0};
  assert_int_equal(cl_remind_due(f->s, "me", from, to, false, collect, &q, NULL), 0);
  assert_int_equal(q.n, 1);
  assert_true(q.v[0].effective == later);
  assert_int_equal(q.v[0].state, CL_REM_SNOOZED);
  /* setting the same occurrence again edits the one record (same derived id) */
  assert_int_equal(cl_remind_set(f->s, "me", "contact", c, a.v[1].occurs, "dismissed", 0, NULL), 0);
  acc r = {.n = 0};
  assert_int_equal(cl_remind_due(f->s, "me", from, to, true, collect, &r, NULL), 0);
  int dismissed = 0;
  for (int i = 0; i < r.n; i++) dismissed += r.v[i].state == CL_REM_DISMISSED;
  assert_int_equal(dismissed, 1);
  kt_err err;
  assert_int_equal(cl_remind_set(f->s, "me", "event", ev, 1, "bogus", 0, &err), KT_EINVAL);
}

/* A birthday without its year ("--11-25", as Google Contacts and vCard 4 write
 * it) is reminded like any other; only fields flagged KT_FF_NOYEAR take it. */
static void test_birthday_without_year(void **state) {
  fx *f = *state;
  char c[37];
  cl_set b[] = {{"last_name", "Безгодов"}, {"birthday", "--11-25"}};
  assert_int_equal(cl_store_add(f->s, "contact", b, 2, c, NULL), 0);
  assert_int_equal(cl_store_meta_set(f->s, "birthday_days", "2", NULL), 0);
  int64_t from = kt_local_to_ms(2026, 11, 1, 0, 0, 0), to = kt_local_to_ms(2026, 11, 30, 0, 0, 0);
  acc a = {.n = 0};
  assert_int_equal(cl_remind_due(f->s, "me", from, to, false, collect, &a, NULL), 0);
  assert_int_equal(a.n, 1);
  assert_string_equal(a.v[0].rid, c);
  assert_true(a.v[0].due == kt_local_to_ms(2026, 11, 23, 9, 0, 0));
  kt_err err;
  cl_set bad[] = {{"last_name", "X"}, {"birthday", "--02-30"}};
  assert_int_equal(cl_store_add(f->s, "contact", bad, 2, c, &err), KT_EINVAL);
  cl_set leap[] = {{"last_name", "Y"}, {"birthday", "--0229"}};
  assert_int_equal(cl_store_add(f->s, "contact", leap, 2, c, &err), 0);
  cl_set deal[] = {{"amount", "1"}, {"date", "--05-17"}};
  assert_int_equal(cl_store_add(f->s, "deal", deal, 2, c, &err), KT_EINVAL);
}

/* Colleagues' birthdays (synced staff records): reminded N days ahead every
 * year like a contact's, shown in the diary, not one's own, not a departed
 * colleague's (the record in the trash). */
static void test_staff_birthdays(void **state) {
  fx *f = *state;
  cl_set b[] = {{"name", "boris"}, {"owner", "boris"}, {"birthday", "1985-12-03"}};
  assert_int_equal(cl_store_add_with_id(f->s, "staff", "01a20000-0000-7000-8000-00000000b0b0", b, 3,
                                        NULL), 0);
  cl_set me[] = {{"name", "me"}, {"owner", "me"}, {"birthday", "1990-12-04"}};
  assert_int_equal(cl_store_add_with_id(f->s, "staff", "01a20000-0000-7000-8000-00000000000e", me, 3,
                                        NULL), 0);
  cl_set gone[] = {{"name", "gleb"}, {"owner", "gleb"}, {"birthday", "1970-12-05"}};
  assert_int_equal(cl_store_add_with_id(f->s, "staff", "01a20000-0000-7000-8000-0000000000ff", gone,
                                        3, NULL), 0);
  assert_int_equal(cl_store_delete(f->s, "01a20000-0000-7000-8000-0000000000ff", NULL), 0);
  assert_int_equal(cl_store_meta_set(f->s, "birthday_days", "5", NULL), 0);
  for (int year = 2026; year <= 2027; year++) { /* every year */
    acc a = {.n = 0};
    int64_t from = kt_local_to_ms(year, 11, 1, 0, 0, 0), to = kt_local_to_ms(year, 12, 31, 0, 0, 0);
    assert_int_equal(cl_remind_due(f->s, "me", from, to, false, collect, &a, NULL), 0);
    assert_int_equal(a.n, 1);
    assert_string_equal(a.v[0].rtype, "staff");
    assert_string_equal(a.v[0].title, "Birthday: boris (colleague)");
    assert_true(a.v[0].occurs == kt_local_to_ms(year, 12, 3, 0, 0, 0));
    assert_true(a.v[0].due == kt_local_to_ms(year, 11, 28, 9, 0, 0)); /* 5 days ahead, 09:00 */
  }
  acc d = {.n = 0};
  assert_int_equal(cl_diary(f->s, "me", kt_local_to_ms(2026, 12, 3, 0, 0, 0),
                            kt_local_to_ms(2026, 12, 3, 23, 59, 59), true, collect, &d, NULL), 0);
  assert_int_equal(d.n, 1);
  assert_string_equal(d.v[0].rtype, "staff");
  /* dismissed this year: the next year's still comes */
  int64_t occ = kt_local_to_ms(2026, 12, 3, 0, 0, 0);
  assert_int_equal(cl_remind_set(f->s, "me", "staff", "01a20000-0000-7000-8000-00000000b0b0", occ,
                                 "dismissed", 0, NULL), 0);
  acc e = {.n = 0};
  assert_int_equal(cl_remind_due(f->s, "me", kt_local_to_ms(2026, 11, 1, 0, 0, 0),
                                 kt_local_to_ms(2027, 12, 31, 0, 0, 0), false, collect, &e, NULL),
                   0);
  assert_int_equal(e.n, 1);
  assert_true(e.v[0].occurs == kt_local_to_ms(2027, 12, 3, 0, 0, 0));
}

typedef struct cbs {
  cl_callback v[8];
  int n;
} cbs;

static int collect_cb(void *ud, const cl_callback *c) {
  cbs *a = ud;
  if (a->n < 8) a->v[a->n++] = *c;
  return 0;
}

/* The call-back list holds planned one-off calls due by the limit; recording
 * a call_back result closes the call and plans the next one in one step. */
static void test_callbacks_and_results(void **state) {
  fx *f = *state;
  char org[37], call[37], meet[37], later[37], task[37], next[37];
  cl_set o[] = {{"name", "ООО Ромашка"}, {"phone", "+7 495 123-45-67"}};
  assert_int_equal(cl_store_add(f->s, "org", o, 2, org, NULL), 0);
  cl_set c[] = {{"type", "call"}, {"title", "Звонок"}, {"org", org}, {"start", "2026-11-20T10:00"},
                {"remind_before", "30m"}};
  assert_int_equal(cl_store_add(f->s, "event", c, 5, call, NULL), 0);
  cl_set m[] = {{"type", "meeting"}, {"title", "Встреча"}, {"start", "2026-11-20T11:00"}};
  assert_int_equal(cl_store_add(f->s, "event", m, 3, meet, NULL), 0);
  cl_set l[] = {{"type", "call"}, {"title", "Потом"}, {"start", "2026-12-20T11:00"}};
  assert_int_equal(cl_store_add(f->s, "event", l, 3, later, NULL), 0);
  cl_set t[] = {{"title", "Задача"}, {"due", "2026-11-20T12:00"}};
  assert_int_equal(cl_store_add(f->s, "task", t, 2, task, NULL), 0);
  int64_t until = kt_local_to_ms(2026, 11, 22, 23, 59, 59);
  cbs a = {.n = 0};
  assert_int_equal(cl_callbacks(f->s, "me", until, collect_cb, &a, NULL), 0);
  assert_int_equal(a.n, 1);
  assert_string_equal(a.v[0].id, call);
  assert_string_equal(a.v[0].org, "ООО Ромашка");
  assert_string_equal(a.v[0].phone, "+7 495 123-45-67");
  assert_int_equal(cl_callbacks(f->s, "somebody", until, collect_cb, &a, NULL), 0);
  assert_int_equal(a.n, 1); /* nothing of somebody else's */

  int64_t at = kt_local_to_ms(2026, 11, 21, 10, 0, 0);
  assert_int_equal(cl_record_result(f->s, call, "call_back", "перезвонить", at, next, NULL), 0);
  assert_int_equal(strlen(next), 36);
  cbs b = {.n = 0};
  assert_int_equal(cl_callbacks(f->s, "me", until, collect_cb, &b, NULL), 0);
  assert_int_equal(b.n, 1);
  assert_string_equal(b.v[0].id, next); /* the old call is done, the new one is due */
  assert_string_equal(b.v[0].title, "Call back: Звонок");
  assert_true(b.v[0].start == at);
  cl_rec *r = NULL;
  assert_int_equal(cl_store_get(f->s, next, &r, NULL), 0);
  kt_mfield *rb = kt_mtype_field(r->type, "remind_before");
  assert_int_equal(r->v[r->type->pos[rb->vidx]].i, 30); /* the original's lead */
  cl_rec_free(r);
  assert_int_equal(cl_store_get(f->s, call, &r, NULL), 0);
  kt_mfield *res = kt_mtype_field(r->type, "result");
  assert_string_equal(r->v[r->type->pos[res->vidx]].s, "call_back");
  cl_rec_free(r);

  /* bad input changes nothing */
  kt_err err;
  assert_int_equal(cl_record_result(f->s, meet, "maybe", NULL, 0, next, &err), KT_EINVAL);
  assert_int_equal(cl_record_result(f->s, task, "reached", NULL, 0, next, &err), KT_EINVAL);
  assert_int_equal(cl_record_result(f->s, org, NULL, NULL, 0, next, &err), KT_EINVAL);
  assert_int_equal(cl_record_result(f->s, task, NULL, "готово", 0, next, NULL), 0);
  assert_string_equal(next, "");
}

static void test_snooze_setting(void **state) {
  fx *f = *state;
  int64_t sec = 0;
  assert_int_equal(cl_remind_snooze_seconds(f->s), 600);
  assert_int_equal(cl_remind_snooze_parse("30s", &sec, NULL), 0);
  assert_int_equal(sec, 30);
  assert_int_equal(cl_remind_snooze_parse("10m", &sec, NULL), 0);
  assert_int_equal(sec, 600);
  assert_int_equal(cl_remind_snooze_parse("1h", &sec, NULL), 0);
  assert_int_equal(sec, 3600);
  kt_err err;
  assert_int_equal(cl_remind_snooze_parse("0s", &sec, &err), KT_EINVAL);
  assert_int_equal(cl_remind_snooze_parse("25h", &sec, &err), KT_EINVAL);
  assert_int_equal(cl_remind_snooze_parse("s", &sec, &err), KT_EINVAL);
  assert_int_equal(cl_remind_snooze_parse("x5s", &sec, &err), KT_EINVAL);
  assert_int_equal(cl_remind_snooze_parse("", &sec, &err), KT_EINVAL);
  assert_int_equal(cl_store_meta_set(f->s, "snooze_seconds", "3", NULL), 0);
  assert_int_equal(cl_remind_snooze_seconds(f->s), 3);
  assert_int_equal(cl_store_meta_set(f->s, "snooze_seconds", "junk", NULL), 0);
  assert_int_equal(cl_remind_snooze_seconds(f->s), 600); /* a broken setting: the default */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_weekly_across_dst, setup, teardown),
      cmocka_unit_test_setup_teardown(test_states_and_birthdays, setup, teardown),
      cmocka_unit_test_setup_teardown(test_birthday_without_year, setup, teardown),
      cmocka_unit_test_setup_teardown(test_staff_birthdays, setup, teardown),
      cmocka_unit_test_setup_teardown(test_callbacks_and_results, setup, teardown),
      cmocka_unit_test_setup_teardown(test_snooze_setting, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
