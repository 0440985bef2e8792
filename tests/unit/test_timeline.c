/* Unit tests for cl_timeline (a card's timeline): the kinds come from the
 * registry (events, tasks, deals, notes; not contacts, links, conflicts), each
 * dated by its KT_FF_WHEN field (an event's start, a task's due date, a deal's
 * date) or else by when it was created; newest first or oldest first, ties by
 * id; an organization's timeline includes its contacts' records once. A real
 * standalone replica in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cl_timeline.h"
#include "kt_time.h"
#include "t_store.h"

static int setup(void **state) {
  t_store *t = calloc(1, sizeof *t);
  if (!t || t_store_open(t, "tl")) return -1;
  *state = t;
  return 0;
}

static void add(cl_store *s, const char *type, const cl_set *sets, int n, char *id) {
  kt_err err;
  char tmp[KT_UUID_STRLEN + 1];
  int rc = cl_store_add(s, type, sets, n, id ? id : tmp, &err);
  if (rc) fprintf(stderr, "add %s: %s\n", type, err.msg);
  assert_int_equal(rc, 0);
}

static cl_rec *get(cl_store *s, const char *id) {
  cl_rec *r = NULL;
  kt_err err;
  assert_int_equal(cl_store_get(s, id, &r, &err), 0);
  return r;
}

/* The titles of the timeline's records (their first title field), '|'-joined. */
static void titles(const cl_timeline *tl, char *out, size_t n) {
  out[0] = '\0';
  for (size_t i = 0; i < tl->n; i++) {
    kt_buf b = KT_BUF_INIT;
    cl_rec_title(tl->it[i].rec, &b);
    size_t len = strlen(out);
    snprintf(out + len, n - len, "%s%s", i ? "|" : "", kt_buf_str(&b));
    kt_buf_free(&b);
  }
}

static void test_kinds_dates_and_order(void **state) {
  t_store *t = *state;
  cl_store *s = t->s;
  char org[40], con[40], other[40];
  cl_set o[] = {{"name", "Ромашка"}};
  add(s, "org", o, 1, org);
  cl_set o2[] = {{"name", "Другая"}};
  add(s, "org", o2, 1, other);
  cl_set c[] = {{"last_name", "Петров"}, {"org", org}};
  add(s, "contact", c, 2, con);
  cl_set e1[] = {{"type", "call"}, {"title", "звонок"}, {"start", "2026-03-05T10:00"}, {"org", org}};
  add(s, "event", e1, 4, NULL);
  cl_set e2[] = {{"type", "meeting"}, {"title", "встреча"}, {"start", "2025-12-01T09:00"},
                 {"contact", con}}; /* the contact's, not the org's: on the org's timeline too */
  add(s, "event", e2, 4, NULL);
  cl_set e3[] = {{"type", "call"}, {"title", "оба"}, {"start", "2026-01-10T09:00"}, {"org", org},
                 {"contact", con}}; /* reached twice: shown once */
  add(s, "event", e3, 5, NULL);
  cl_set tk[] = {{"title", "счёт"}, {"due", "2026-02-01T12:00"}, {"org", org}};
  add(s, "task", tk, 3, NULL);
  cl_set d[] = {{"date", "2026-02-15"}, {"amount", "1500"}, {"org", org}};
  add(s, "deal", d, 3, NULL);
  cl_set nt[] = {{"title", "заметка"}, {"text", "позвонить"}, {"org", org}}; /* dated: created */
  add(s, "note", nt, 3, NULL);
  cl_set l[] = {{"url", "https://example.org"}, {"title", "сайт"}, {"org", org}}; /* no */
  add(s, "link", l, 3, NULL);
  cl_set x[] = {{"type", "call"}, {"title", "чужой"}, {"start", "2026-01-01T09:00"}, {"org", other}};
  add(s, "event", x, 4, NULL);

  cl_rec *r = get(s, org);
  cl_timeline tl;
  kt_err err;
  assert_int_equal(cl_timeline_get(s, r, false, &tl, &err), 0);
  char got[600];
  titles(&tl, got, sizeof got);
  /* the note was created now (after every date above); deal titles are date + amount */
  assert_int_equal(tl.n, 6);
  assert_string_equal(tl.it[0].rec->type->def->name, "note");
  assert_null(tl.it[0].when);
  assert_string_equal(tl.it[1].rec->type->def->name, "event"); /* 2026-03-05 */
  assert_string_equal(tl.it[2].rec->type->def->name, "deal");  /* 2026-02-15 */
  assert_string_equal(tl.it[2].when->name, "date");
  assert_string_equal(tl.it[3].rec->type->def->name, "task");  /* 2026-02-01 */
  assert_string_equal(tl.it[3].when->name, "due");
  for (size_t i = 1; i < tl.n; i++) assert_true(tl.it[i - 1].when_ms >= tl.it[i].when_ms);
  assert_non_null(strstr(got, "оба"));
  assert_null(strstr(got, "чужой"));
  assert_null(strstr(got, "сайт"));
  assert_null(strstr(got, "Петров"));
  assert_true(strstr(got, "встреча") > strstr(got, "оба")); /* 2025-12-01 is the oldest */
  cl_timeline_free(&tl);

  /* oldest first is the same list reversed (no ties here) */
  assert_int_equal(cl_timeline_get(s, r, true, &tl, &err), 0);
  assert_int_equal(tl.n, 6);
  assert_string_equal(tl.it[5].rec->type->def->name, "note");
  for (size_t i = 1; i < tl.n; i++) assert_true(tl.it[i - 1].when_ms <= tl.it[i].when_ms);
  cl_timeline_free(&tl);
  cl_rec_free(r);

  /* the contact's own timeline: its two events */
  r = get(s, con);
  assert_int_equal(cl_timeline_get(s, r, false, &tl, &err), 0);
  titles(&tl, got, sizeof got);
  assert_int_equal(tl.n, 2);
  cl_timeline_free(&tl);
  cl_rec_free(r);

  /* a card with nothing on it */
  r = get(s, other);
  assert_int_equal(cl_timeline_get(s, r, false, &tl, &err), 0);
  assert_int_equal(tl.n, 1);
  cl_timeline_free(&tl);
  cl_rec_free(r);
}

static void test_sort_ties_and_dates(void **state) {
  t_store *t = *state;
  cl_store *s = t->s;
  char a[40], b[40];
  cl_set d1[] = {{"date", "2026-05-01"}, {"amount", "10"}};
  add(s, "deal", d1, 2, a);
  cl_set d2[] = {{"date", "2026-05-01"}, {"amount", "20"}};
  add(s, "deal", d2, 2, b);
  cl_tl_item it[2] = {{get(s, a), 0, NULL}, {get(s, b), 0, NULL}};
  it[0].when_ms = cl_timeline_when(it[0].rec, &it[0].when);
  it[1].when_ms = cl_timeline_when(it[1].rec, &it[1].when);
  /* a plain date is its local midnight */
  assert_int_equal(it[0].when_ms, kt_local_to_ms(2026, 5, 1, 0, 0, 0));
  assert_int_equal(it[0].when_ms, it[1].when_ms);
  /* equal dates: by id, whichever way the list goes */
  const char *first = strcmp(a, b) < 0 ? a : b;
  cl_timeline_sort(it, 2, false);
  assert_string_equal(cl_rec_id(it[0].rec), first);
  cl_timeline_sort(it, 2, true);
  assert_string_equal(cl_rec_id(it[0].rec), first);
  cl_rec_free(it[0].rec);
  cl_rec_free(it[1].rec);
  /* a task without a due date is dated by its creation */
  char tk[40];
  cl_set t1[] = {{"title", "без срока"}};
  add(s, "task", t1, 1, tk);
  cl_rec *r = get(s, tk);
  const kt_mfield *w = (const kt_mfield *)1;
  int64_t ms = cl_timeline_when(r, &w);
  assert_null(w);
  assert_true(ms > kt_local_to_ms(2026, 1, 1, 0, 0, 0));
  cl_rec_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_kinds_dates_and_order, setup, t_store_teardown),
      cmocka_unit_test_setup_teardown(test_sort_ties_and_dates, setup, t_store_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
