/* Unit tests for srv_handover: a client with its dependents gets the new owner
 * (open tasks the new assignee with with_tasks, done ones keep theirs), another
 * client and other managers' cards stay, filters pick clients, a dry run
 * writes nothing, and every refusal (unknown, disabled, oneself, nothing to
 * move, a bad filter) leaves the master as it was. A real master database in
 * a temporary folder; the cards are pushed in C. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_hlc.h"
#include "srv_handover.h"
#include "srv_rights.h"
#include "srv_sync.h"
#include "srv_user.h"
#include "t_srvdb.h"

#define DEV_ANNA "01900000-0000-7000-8000-00000000000c"
#define DEV_BOSS "01900000-0000-7000-8000-00000000000f"
#define ORG_1 "01900000-0000-7000-8000-0000000000a1"
#define ORG_2 "01900000-0000-7000-8000-0000000000a2"
#define CON_1 "01900000-0000-7000-8000-0000000000c1"
#define TASK_OPEN "01900000-0000-7000-8000-0000000000d1"
#define TASK_DONE "01900000-0000-7000-8000-0000000000d2"

typedef struct fx {
  t_srvdb t;
  kt_hlc hlc;
  srv_sync *s;
  srv_subject subj;
  uint64_t ctr;
} fx;

typedef struct fv {
  const char *name, *text;
} fv;

static void push(fx *f, const char *type, const char *id, const fv *v, size_t n) {
  Kartoteka__FieldValue vals[8], *pv[8];
  kt_stamp st = kt_hlc_now(&f->hlc);
  for (size_t i = 0; i < n; i++) {
    kartoteka__field_value__init(&vals[i]);
    vals[i].name = (char *)v[i].name;
    vals[i].value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
    vals[i].text = (char *)v[i].text;
    vals[i].stamp = st;
    pv[i] = &vals[i];
  }
  Kartoteka__Change ch = KARTOTEKA__CHANGE__INIT, *pch = &ch;
  ch.counter = ++f->ctr;
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
  assert_int_equal(srv_subject_load(&f->t.db, "anna", &f->subj, &err), 0);
  srv_writer w = {DEV_ANNA, "anna", &f->subj};
  assert_int_equal(srv_sync_push(f->s, &w, &p, &ack, &err), 0);
  assert_int_equal(ack.results[0]->status, KARTOTEKA__CHANGE_RESULT__STATUS__APPLIED);
  srv_sync_ack_free(&ack);
}

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  kt_err err;
  if (!f || t_srvdb_open(&f->t, "hand")) return -1;
  srv_db *d = &f->t.db;
  if (srv_roles_seed(d, &err)) return -1;
  const char *users[][2] = {{"boss", "administrator"}, {"anna", "manager"},
                            {"boris", "manager"}, {"vera", "manager"}};
  for (int i = 0; i < 4; i++)
    if (srv_user_add(d, users[i][0], "pass-word-1", users[i][1], NULL, &err)) return -1;
  if (srv_user_set_disabled(d, "vera", true, &err)) return -1;
  if (t_sql_exec(d, "INSERT INTO srv_device(id, user_name, name, created) VALUES ('" DEV_ANNA
                    "', 'anna', 'office', 1), ('" DEV_BOSS "', 'boss', 'boss-pc', 1)"))
    return -1;
  kt_hlc_init(&f->hlc, 0, NULL, NULL);
  if (srv_sync_new(d, &f->hlc, "00000000-0000-4000-8000-000000000001", &f->s, &err)) return -1;
  fv o1[] = {{"name", "Ромашка"}, {"owner", "anna"}, {"city", "Москва"}};
  push(f, "org", ORG_1, o1, 3);
  fv o2[] = {{"name", "Тверская"}, {"owner", "anna"}, {"city", "Тверь"}};
  push(f, "org", ORG_2, o2, 3);
  fv c1[] = {{"last_name", "Петров"}, {"owner", "anna"}, {"org", ORG_1}};
  push(f, "contact", CON_1, c1, 3);
  fv t1[] = {{"title", "Счёт"}, {"owner", "anna"}, {"assignee", "anna"}, {"contact", CON_1}};
  push(f, "task", TASK_OPEN, t1, 4);
  fv t2[] = {{"title", "Старое"}, {"owner", "anna"}, {"assignee", "anna"}, {"org", ORG_1},
             {"status", "done"}};
  push(f, "task", TASK_DONE, t2, 5);
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

static void col(fx *f, const char *sql, char *out) {
  assert_int_equal(t_sql_text(&f->t.db, sql, out, 100), 0);
}

static int64_t state_sum(fx *f) { /* changes with every write */
  return t_sql_int(&f->t.db, "SELECT (SELECT value FROM srv_counter WHERE name = 'seq') * 1000 + "
                             "(SELECT count(*) FROM srv_history)");
}

static void test_moves_client_with_dependents(void **state) {
  fx *f = *state;
  srv_handover_req q = {"anna", "boris", "city=Москва", true, false, DEV_BOSS};
  srv_handover_res r;
  kt_err err;
  assert_int_equal(srv_handover_run(f->s, &q, &r, &err), 0);
  assert_int_equal(r.clients, 1);
  assert_int_equal(r.records, 4); /* the org, its contact, the contact's task, the org's task */
  assert_int_equal(r.reassigned, 1);
  char v[100];
  col(f, "SELECT owner FROM t_org WHERE id = '" ORG_1 "'", v);
  assert_string_equal(v, "boris");
  col(f, "SELECT owner || ' ' || assignee FROM t_task WHERE id = '" TASK_OPEN "'", v);
  assert_string_equal(v, "boris boris");
  col(f, "SELECT owner || ' ' || assignee FROM t_task WHERE id = '" TASK_DONE "'", v);
  assert_string_equal(v, "boris anna");
  col(f, "SELECT owner FROM t_contact WHERE id = '" CON_1 "'", v);
  assert_string_equal(v, "boris");
  col(f, "SELECT owner FROM t_org WHERE id = '" ORG_2 "'", v);
  assert_string_equal(v, "anna");
  /* the history names the administrator's PC */
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_history h JOIN device d ON "
                                        "d.idx = h.dev WHERE d.uuid = '" DEV_BOSS "'"), 5);
  /* the old owner's replicas are told: the records left her scope */
  assert_true(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_revoke WHERE owner = 'anna'") >= 4);
}

static void test_dry_run_and_refusals_change_nothing(void **state) {
  fx *f = *state;
  int64_t before = state_sum(f);
  srv_handover_res r;
  kt_err err;
  srv_handover_req dry = {"anna", "boris", NULL, true, true, DEV_BOSS};
  assert_int_equal(srv_handover_run(f->s, &dry, &r, &err), 0);
  assert_int_equal(r.clients, 2);
  assert_int_equal(r.records, 5);
  assert_int_equal(state_sum(f), before);
  struct {
    srv_handover_req q;
    int rc;
  } bad[] = {
      {{"anna", "nobody", NULL, false, false, NULL}, KT_ENOTFOUND},
      {{"ghost", "boris", NULL, false, false, NULL}, KT_ENOTFOUND},
      {{"anna", "vera", NULL, false, false, NULL}, KT_EDISABLED},
      {{"anna", "anna", NULL, false, false, NULL}, KT_EINVAL},
      {{"boris", "anna", NULL, false, false, NULL}, KT_ENOTFOUND},
      {{"anna", "boris", "city=Омск", false, false, NULL}, KT_ENOTFOUND},
      {{"anna", "boris", "colour=red", false, false, NULL}, KT_EINVAL},
      {{"anna", "boris", "city", false, false, NULL}, KT_EINVAL},
      {{"", "boris", NULL, false, false, NULL}, KT_EINVAL},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    kt_err_clear(&err);
    assert_int_equal(srv_handover_run(f->s, &bad[i].q, &r, &err), bad[i].rc);
    assert_true(err.msg[0] != '\0');
  }
  assert_int_equal(state_sum(f), before);
  /* the real run after a dry run moves everything; a second finds nothing */
  srv_handover_req all = {"anna", "boris", NULL, false, false, NULL};
  assert_int_equal(srv_handover_run(f->s, &all, &r, &err), 0);
  assert_int_equal(r.clients, 2);
  assert_int_equal(r.reassigned, 0); /* without with_tasks assignees stay */
  assert_int_equal(srv_handover_run(f->s, &all, &r, &err), KT_ENOTFOUND);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_moves_client_with_dependents, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dry_run_and_refusals_change_nothing, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
