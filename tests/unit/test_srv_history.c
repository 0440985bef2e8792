/* Unit tests for srv_history (a card's history on the server): a push writes
 * one row per field it changes, in its transaction, with the old and the new
 * value and the writing device; what loses the merge, is refused, or changes
 * nothing writes none; configuration keeps none; the reader's rights are a
 * Get's (a card one may not read is "not found" like a missing one; a
 * colleague's phone is hidden without see_contacts); pages go newest first
 * with `before`; the retention sweep removes the oldest only. A real master
 * database in a temporary folder; the pushes are built in C. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_hlc.h"
#include "srv_history.h"
#include "srv_rights.h"
#include "srv_sync.h"
#include "srv_user.h"
#include "t_srvdb.h"

#define DEV_BORIS "01900000-0000-7000-8000-00000000000b"
#define DEV_ANNA "01900000-0000-7000-8000-00000000000c"
#define DEV_ANNA2 "01900000-0000-7000-8000-00000000000d"
#define ORG_A "01900000-0000-7000-8000-0000000000a1"
#define ORG_NONE "01900000-0000-7000-8000-0000000000ff"
#define GRP_X "01900000-0000-7000-8000-0000000000e1"

typedef struct fx {
  t_srvdb t;
  kt_hlc hlc;
  srv_sync *s;
  srv_subject subj;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  kt_err err;
  if (!f || t_srvdb_open(&f->t, "hist")) return -1;
  srv_db *d = &f->t.db;
  if (srv_roles_seed(d, &err)) return -1;
  if (srv_role_set(d, "junior", "manager", "org.read=all", &err)) return -1;
  const char *users[][2] = {{"boss", "administrator"}, {"anna", "manager"},
                            {"boris", "manager"}, {"jun", "junior"}};
  for (int i = 0; i < 4; i++)
    if (srv_user_add(d, users[i][0], "pass-word-1", users[i][1], NULL, &err)) return -1;
  const char *devs[][3] = {{DEV_BORIS, "boris", "boris-pc"}, {DEV_ANNA, "anna", "office"},
                           {DEV_ANNA2, "anna", "laptop"}};
  for (int i = 0; i < 3; i++) {
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO srv_device(id, user_name, name, created) VALUES "
             "('%s', '%s', '%s', 1)", devs[i][0], devs[i][1], devs[i][2]);
    if (t_sql_exec(d, sql)) return -1;
  }
  kt_hlc_init(&f->hlc, 0, NULL, NULL);
  if (srv_sync_new(d, &f->hlc, "00000000-0000-4000-8000-000000000001", &f->s, &err)) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  srv_sync_free(f->s);
  t_srvdb_close(&f->t);
  free(f);
  return 0;
}

typedef struct fv {
  const char *name, *text;
  kt_stamp stamp, base;
} fv;

static kt_stamp now_stamp(void) { return (kt_stamp)kt_now_ms() << 16; }

/* Pushes one change; returns its status. */
static int push1(fx *f, const char *user, const char *device, uint64_t ctr, const char *type,
                 const char *id, const fv *v, size_t n) {
  Kartoteka__FieldValue vals[8], *pv[8];
  for (size_t i = 0; i < n; i++) {
    kartoteka__field_value__init(&vals[i]);
    vals[i].name = (char *)v[i].name;
    vals[i].value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
    vals[i].text = (char *)v[i].text;
    vals[i].stamp = v[i].stamp;
    vals[i].base_stamp = v[i].base;
    pv[i] = &vals[i];
  }
  Kartoteka__Change ch = KARTOTEKA__CHANGE__INIT, *pch = &ch;
  ch.counter = ctr;
  ch.type = (char *)type;
  ch.id = (char *)id;
  ch.fields = pv;
  ch.n_fields = n;
  Kartoteka__Push p = KARTOTEKA__PUSH__INIT;
  p.changes = &pch;
  p.n_changes = 1;
  Kartoteka__PushAck ack;
  kartoteka__push_ack__init(&ack);
  kt_err err;
  assert_int_equal(srv_subject_load(&f->t.db, user, &f->subj, &err), 0);
  srv_writer w = {device, user, &f->subj};
  assert_int_equal(srv_sync_push(f->s, &w, &p, &ack, &err), 0);
  assert_int_equal(ack.n_results, 1);
  int st = (int)ack.results[0]->status;
  srv_sync_ack_free(&ack);
  return st;
}

#define APPLIED KARTOTEKA__CHANGE_RESULT__STATUS__APPLIED
#define SUPERSEDED KARTOTEKA__CHANGE_RESULT__STATUS__SUPERSEDED
#define REJECTED KARTOTEKA__CHANGE_RESULT__STATUS__REJECTED

static int64_t rows(fx *f) { return t_sql_int(&f->t.db, "SELECT count(*) FROM srv_history"); }

/* The history of ORG_A as `user` sees it. */
static int hist(fx *f, const char *user, const char *id, const char *field, uint64_t before,
                uint32_t max, Kartoteka__History *out, kt_err *err) {
  assert_int_equal(srv_subject_load(&f->t.db, user, &f->subj, err), 0);
  Kartoteka__HistoryRequest q = KARTOTEKA__HISTORY_REQUEST__INIT;
  q.id = (char *)id;
  q.field = (char *)(field ? field : "");
  q.before = before;
  q.max = max;
  return srv_sync_history(f->s, &f->subj, &q, out, err);
}

/* anna's card: created on her office PC, its city changed on her laptop */
static kt_stamp anna_card(fx *f) {
  kt_stamp st = now_stamp();
  fv a[] = {{"name", "Ромашка", st, 0}, {"owner", "anna", st, 0}, {"city", "Москва", st, 0},
            {"phone", "+7 495 111-22-33", st, 0}};
  assert_int_equal(push1(f, "anna", DEV_ANNA, 1, "org", ORG_A, a, 4), APPLIED);
  fv b[] = {{"city", "Тверь", st + 1, st}};
  assert_int_equal(push1(f, "anna", DEV_ANNA2, 1, "org", ORG_A, b, 1), APPLIED);
  fv c[] = {{"phone", "+7 495 999-00-00", st + 2, st}};
  assert_int_equal(push1(f, "anna", DEV_ANNA, 2, "org", ORG_A, c, 1), APPLIED);
  return st;
}

static void test_push_writes_one_row_per_changed_field(void **state) {
  fx *f = *state;
  kt_stamp st = anna_card(f);
  /* the new card is one row (its creation: its values are the card's), then the edits */
  assert_int_equal(rows(f), 3);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_history WHERE vidx = 3 AND "
                             "old IS NULL"), 1);
  char text[200];
  assert_int_equal(t_sql_text(&f->t.db, "SELECT old || '>' || new FROM srv_history "
                              "ORDER BY id LIMIT 1 OFFSET 1", text, sizeof text), 0);
  assert_string_equal(text, "Москва>Тверь");
  /* a value that loses the merge, one equal to the stored value, a refused
     change: nothing is written */
  fv older[] = {{"city", "Старое", st - 5, st}};
  assert_int_equal(push1(f, "anna", DEV_ANNA, 3, "org", ORG_A, older, 1), SUPERSEDED);
  fv same[] = {{"city", "Тверь", st + 9, st + 1}};
  assert_int_equal(push1(f, "anna", DEV_ANNA, 4, "org", ORG_A, same, 1), APPLIED);
  fv theirs[] = {{"city", "Чужое", st + 20, st + 1}};
  assert_int_equal(push1(f, "boris", DEV_BORIS, 1, "org", ORG_A, theirs, 1), REJECTED);
  assert_int_equal(rows(f), 3);
  /* configuration keeps no history */
  fv g[] = {{"name", "Продажи", st, 0}};
  assert_int_equal(push1(f, "boss", DEV_ANNA, 5, "group", GRP_X, g, 1), APPLIED);
  assert_int_equal(rows(f), 3);
}

static void test_read_in_order_with_devices(void **state) {
  fx *f = *state;
  anna_card(f);
  Kartoteka__History h;
  kt_err err;
  assert_int_equal(hist(f, "anna", ORG_A, NULL, 0, 0, &h, &err), 0);
  assert_string_equal(h.type, "org");
  assert_int_equal(h.n_entries, 3);
  assert_false(h.more);
  /* newest first: the phone, then the laptop's edit */
  assert_string_equal(h.entries[0]->new_value->name, "phone");
  const Kartoteka__HistoryEntry *e = h.entries[1];
  assert_string_equal(e->new_value->name, "city");
  assert_string_equal(e->old_value->text, "Москва");
  assert_string_equal(e->new_value->text, "Тверь");
  assert_string_equal(e->user, "anna");
  assert_string_equal(e->device_name, "laptop");
  assert_string_equal(e->device, DEV_ANNA2);
  assert_string_equal(h.entries[2]->new_value->name, "created");
  assert_string_equal(h.entries[2]->device_name, "office");
  assert_true(h.entries[2]->old_value->is_null); /* a new card replaced nothing */
  for (size_t i = 1; i < h.n_entries; i++) assert_true(h.entries[i]->seq < h.entries[i - 1]->seq);
  srv_history_free(&h);
  /* one field only */
  assert_int_equal(hist(f, "anna", ORG_A, "city", 0, 0, &h, &err), 0);
  assert_int_equal(h.n_entries, 1);
  srv_history_free(&h);
  assert_int_equal(hist(f, "anna", ORG_A, "colour", 0, 0, &h, &err), KT_EINVAL);
}

static void test_pages(void **state) {
  fx *f = *state;
  kt_stamp st = anna_card(f);
  char n[8];
  for (int i = 0; i < 7; i++) {
    snprintf(n, sizeof n, "%d", i);
    fv e[] = {{"street", n, st + 10 + (kt_stamp)i, 0}};
    assert_int_equal(push1(f, "anna", DEV_ANNA, 20 + (uint64_t)i, "org", ORG_A, e, 1), APPLIED);
  }
  Kartoteka__History h;
  kt_err err;
  uint64_t before = 0;
  int seen = 0, pages = 0;
  uint64_t last = UINT64_MAX;
  for (;;) {
    assert_int_equal(hist(f, "anna", ORG_A, "street", before, 3, &h, &err), 0);
    pages++;
    for (size_t i = 0; i < h.n_entries; i++) {
      assert_true(h.entries[i]->seq < last);
      last = h.entries[i]->seq;
      seen++;
    }
    bool more = h.more;
    if (h.n_entries) before = h.entries[h.n_entries - 1]->seq;
    srv_history_free(&h);
    if (!more) break;
  }
  assert_int_equal(seen, 7);
  assert_int_equal(pages, 3);
}

static void test_rights_of_the_card(void **state) {
  fx *f = *state;
  anna_card(f);
  Kartoteka__History h;
  kt_err e1, e2;
  /* boris may not read anna's card: the same answer as for no card at all */
  assert_int_equal(hist(f, "boris", ORG_A, NULL, 0, 0, &h, &e1), KT_ENOTFOUND);
  assert_int_equal(hist(f, "boris", ORG_NONE, NULL, 0, 0, &h, &e2), KT_ENOTFOUND);
  char m1[600], m2[600];
  snprintf(m1, sizeof m1, "%s", e1.msg);
  snprintf(m2, sizeof m2, "%s", e2.msg);
  *strstr(m1, ORG_A) = '\0';
  *strstr(m2, ORG_NONE) = '\0';
  assert_string_equal(m1, m2);
  /* a reader without see_contacts: the phone's values are hidden, the rest shown */
  assert_int_equal(hist(f, "jun", ORG_A, NULL, 0, 0, &h, &e1), 0);
  int phones = 0;
  for (size_t i = 0; i < h.n_entries; i++) {
    const Kartoteka__HistoryEntry *e = h.entries[i];
    if (strcmp(e->new_value->name, "phone") == 0) {
      phones++;
      assert_true(e->new_value->hidden && e->old_value->hidden);
      assert_int_equal(e->new_value->value_case, KARTOTEKA__FIELD_VALUE__VALUE__NOT_SET);
    } else {
      assert_false(e->new_value->hidden);
    }
  }
  assert_int_equal(phones, 1);
  srv_history_free(&h);
  /* the owner sees it */
  assert_int_equal(hist(f, "anna", ORG_A, "phone", 0, 0, &h, &e1), 0);
  assert_string_equal(h.entries[0]->old_value->text, "+7 495 111-22-33");
  assert_string_equal(h.entries[0]->new_value->text, "+7 495 999-00-00");
  srv_history_free(&h);
}

static void test_prune_oldest_only(void **state) {
  fx *f = *state;
  anna_card(f); /* 3 entries of now */
  srv_db *d = &f->t.db;
  /* 2,500 entries older than the cutoff before them (ids below theirs) */
  char sql[300];
  int64_t old_ms = (int64_t)kt_now_ms() - 40LL * 86400 * 1000;
  snprintf(sql, sizeof sql, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
           "WHERE i < 2500) INSERT INTO srv_history(id, tcode, rid, vidx, stamp, dev, old, new) "
           "SELECT -i, 1, 1, 7, %lld, 1, 'a', 'b' FROM n", (long long)(old_ms << 16));
  assert_int_equal(t_sql_exec(d, sql), 0);
  int64_t cutoff = (int64_t)kt_now_ms() - 30LL * 86400 * 1000, n = 0;
  kt_err err;
  /* the budget bounds one sweep */
  assert_int_equal(srv_history_prune(d, cutoff, 1200, &n, &err), 0);
  assert_true(n >= 1200 && n < 2500);
  assert_int_equal(srv_history_prune(d, cutoff, 100000, &n, &err), 0);
  assert_int_equal(rows(f), 3);
  assert_int_equal(srv_history_prune(d, cutoff, 100000, &n, &err), 0);
  assert_int_equal(n, 0);
  /* append-only: an entry cannot be rewritten */
  assert_int_not_equal(t_sql_exec(d, "UPDATE srv_history SET new = 'x'"), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_push_writes_one_row_per_changed_field, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_in_order_with_devices, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rights_of_the_card, setup, teardown),
      cmocka_unit_test_setup_teardown(test_prune_oldest_only, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
