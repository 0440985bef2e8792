/* Unit tests for srv_push (the push half of srv_sync): idempotency by device
 * counter, the merge (higher stamp wins, equal stamps by device id), conflicts
 * kept for concurrent edits, revokes when a card changes hands, and the
 * server judging the result, not the message (issue 12): a field named twice
 * is refused, an equal stamp that would win the tie is checked like any
 * write, a losing concurrent value of someone who may not edit is refused,
 * every refusal carries a code and one audit row per push. A real master
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
#include "srv_rights.h"
#include "srv_sync.h"
#include "srv_user.h"
#include "t_srvdb.h"

/* devices in the order they were enrolled (UUIDv7 text sorts by time) */
#define DEV_BORIS "01900000-0000-7000-8000-00000000000b"
#define DEV_ANNA "01900000-0000-7000-8000-00000000000c"
#define DEV_ANNA2 "01900000-0000-7000-8000-00000000000d"
#define DEV_ASST "01900000-0000-7000-8000-00000000000e"
#define ORG_B "01900000-0000-7000-8000-0000000000b1"
#define ORG_A "01900000-0000-7000-8000-0000000000a1"
#define ORG_N "01900000-0000-7000-8000-0000000000c1"

typedef struct fx {
  t_srvdb t;
  kt_hlc hlc;
  srv_sync *s;
  srv_subject subj; /* of the last push() */
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  kt_err err;
  if (!f || t_srvdb_open(&f->t, "push")) return -1;
  srv_db *d = &f->t.db;
  if (srv_roles_seed(d, &err)) return -1;
  const char *users[][2] = {{"boss", "administrator"}, {"anna", "manager"},
                            {"boris", "manager"}, {"asst", "assistant"}};
  for (int i = 0; i < 4; i++)
    if (srv_user_add(d, users[i][0], "pass-word-1", users[i][1], NULL, &err)) return -1;
  /* the enrolled devices (their change counters live in their rows) */
  const char *devs[][2] = {{DEV_BORIS, "boris"}, {DEV_ANNA, "anna"}, {DEV_ANNA2, "anna"},
                           {DEV_ASST, "asst"}};
  for (int i = 0; i < 4; i++) {
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO srv_device(id, user_name, created) VALUES ('%s', '%s', 1)",
             devs[i][0], devs[i][1]);
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

/* ---- building pushes ------------------------------------------------------------ */

typedef struct fv {
  const char *name, *text;
  kt_stamp stamp, base;
} fv;

typedef struct pushed {
  Kartoteka__PushAck ack;
  int rc;
} pushed;

static kt_stamp now_stamp(void) { return (kt_stamp)kt_now_ms() << 16; }

/* One change of `type` `id` with counter ctr and the values in v (n of them),
 * pushed by user on device (subj NULL: a server-side tool, no rights). */
static pushed push1(fx *f, const char *user, const char *device, uint64_t ctr, const char *type,
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
  pushed r;
  kartoteka__push_ack__init(&r.ack);
  kt_err err;
  srv_writer w = {device, user, NULL};
  if (strcmp(user, "-") != 0) {
    assert_int_equal(srv_subject_load(&f->t.db, user, &f->subj, &err), 0);
    w.subj = &f->subj;
  }
  r.rc = srv_sync_push(f->s, &w, &p, &r.ack, &err);
  return r;
}

static int status_of(pushed *p) {
  assert_int_equal(p->rc, 0);
  assert_int_equal(p->ack.n_results, 1);
  return (int)p->ack.results[0]->status;
}

static const char *reason_of(pushed *p) { return p->ack.results[0]->reason; }

#define APPLIED KARTOTEKA__CHANGE_RESULT__STATUS__APPLIED
#define SUPERSEDED KARTOTEKA__CHANGE_RESULT__STATUS__SUPERSEDED
#define REJECTED KARTOTEKA__CHANGE_RESULT__STATUS__REJECTED

static void text_of(fx *f, const char *sql, char *out) {
  assert_int_equal(t_sql_text(&f->t.db, sql, out, 200), 0);
}

/* boris's card (by the server tool, as boris's device) and anna's */
static void two_cards(fx *f, kt_stamp st) {
  fv b[] = {{"name", "Borisfirm", st, 0}, {"owner", "boris", st, 0}, {"city", "Тверь", st, 0}};
  pushed p = push1(f, "boris", DEV_BORIS, 1, "org", ORG_B, b, 3);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  fv a[] = {{"name", "Annafirm", st, 0}, {"owner", "anna", st, 0}, {"city", "Казань", st, 0}};
  p = push1(f, "anna", DEV_ANNA, 1, "org", ORG_A, a, 3);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_idempotent_by_counter(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  two_cards(f, st);
  int64_t seq = t_sql_int(&f->t.db, "SELECT max(seq) FROM srv_log");
  /* the same change number again, even with other content: a no-op */
  fv v[] = {{"city", "Самара", st + 5, st}};
  pushed p = push1(f, "anna", DEV_ANNA, 1, "org", ORG_A, v, 1);
  assert_int_equal(status_of(&p), APPLIED);
  assert_int_equal(p.ack.results[0]->server_seq, 0);
  srv_sync_ack_free(&p.ack);
  char city[200];
  text_of(f, "SELECT city FROM t_org WHERE id = '" ORG_A "'", city);
  assert_string_equal(city, "Казань");
  assert_int_equal(t_sql_int(&f->t.db, "SELECT max(seq) FROM srv_log"), seq);
  /* a new number is applied */
  p = push1(f, "anna", DEV_ANNA, 2, "org", ORG_A, v, 1);
  assert_int_equal(status_of(&p), APPLIED);
  assert_true(p.ack.results[0]->server_seq > (uint64_t)seq);
  srv_sync_ack_free(&p.ack);
  text_of(f, "SELECT city FROM t_org WHERE id = '" ORG_A "'", city);
  assert_string_equal(city, "Самара");
}

static void test_merge_higher_stamp_and_tie(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  two_cards(f, st);
  char city[200];
  /* an older stamp loses (based on the stored one: no conflict) */
  fv old[] = {{"city", "Старое", st - 10, st}};
  pushed p = push1(f, "anna", DEV_ANNA2, 1, "org", ORG_A, old, 1);
  assert_int_equal(status_of(&p), SUPERSEDED);
  srv_sync_ack_free(&p.ack);
  text_of(f, "SELECT city FROM t_org WHERE id = '" ORG_A "'", city);
  assert_string_equal(city, "Казань");
  /* the same stamp from a device that sorts higher wins the tie */
  fv tie[] = {{"city", "Ничья", st, st}};
  p = push1(f, "anna", DEV_ANNA2, 2, "org", ORG_A, tie, 1);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  text_of(f, "SELECT city FROM t_org WHERE id = '" ORG_A "'", city);
  assert_string_equal(city, "Ничья");
  /* and from one that sorts lower loses it */
  fv tie2[] = {{"city", "Проигрыш", st, st}};
  p = push1(f, "boris", DEV_BORIS, 2, "org", ORG_B, tie2, 1);
  assert_int_equal(status_of(&p), SUPERSEDED); /* his own card was written by his device: equal */
  srv_sync_ack_free(&p.ack);
}

static void test_conflict_kept(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  two_cards(f, st);
  /* anna's second PC edited offline from an older base: a concurrent edit */
  fv v[] = {{"city", "Сочи", st + 100, st - 1}};
  pushed p = push1(f, "anna", DEV_ANNA2, 1, "org", ORG_A, v, 1);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM t_conflict WHERE rid = '" ORG_A
                                       "' AND field = 'city' AND value = 'Казань'"), 1);
  /* a losing concurrent value is kept too */
  fv lose[] = {{"city", "Ялта", st + 50, st - 1}};
  p = push1(f, "anna", DEV_ANNA, 2, "org", ORG_A, lose, 1);
  assert_int_equal(status_of(&p), SUPERSEDED);
  srv_sync_ack_free(&p.ack);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM t_conflict WHERE rid = '" ORG_A
                                       "' AND value = 'Ялта' AND winner = 'Сочи'"), 1);
}

static void test_field_named_twice(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  two_cards(f, st);
  /* owner=boris wins the merge, owner=anna is what a one-occurrence check saw */
  fv v[] = {{"name", "Twice", st, 0}, {"owner", "boris", st + 10, 0}, {"owner", "anna", st, 0}};
  pushed p = push1(f, "anna", DEV_ANNA, 2, "org", ORG_N, v, 3);
  assert_int_equal(status_of(&p), REJECTED);
  assert_int_equal(p.ack.results[0]->code, KT_EINVAL);
  assert_non_null(strstr(reason_of(&p), "owner is named twice"));
  srv_sync_ack_free(&p.ack);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM t_org WHERE id = '" ORG_N "'"), 0);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_audit WHERE action = "
                                       "'denied.push' AND detail LIKE '%named twice%'"), 1);
  /* the same for the server's own tools: the message is malformed whoever sends it */
  p = push1(f, "-", DEV_ANNA, 3, "org", ORG_N, v, 3);
  assert_int_equal(status_of(&p), REJECTED);
  srv_sync_ack_free(&p.ack);
}

static void test_equal_stamp_is_checked(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  two_cards(f, st);
  /* the assistant reads everything and edits nothing; her device sorts after
     boris's, so the stored stamp itself would win the tie */
  fv v[] = {{"name", "Renamed", st, st}};
  pushed p = push1(f, "asst", DEV_ASST, 1, "org", ORG_B, v, 1);
  assert_int_equal(status_of(&p), REJECTED);
  assert_int_equal(p.ack.results[0]->code, KT_EPERM);
  assert_non_null(strstr(reason_of(&p), "you may not change this organization"));
  srv_sync_ack_free(&p.ack);
  char name[200];
  text_of(f, "SELECT name FROM t_org WHERE id = '" ORG_B "'", name);
  assert_string_equal(name, "Borisfirm");
  /* a value equal to the stored one with a winning stamp is a write as well */
  fv same[] = {{"name", "Borisfirm", st + 1000, st}};
  p = push1(f, "asst", DEV_ASST, 2, "org", ORG_B, same, 1);
  assert_int_equal(status_of(&p), REJECTED);
  srv_sync_ack_free(&p.ack);
  /* a losing concurrent value would land in the conflict log: a write too */
  fv lose[] = {{"name", "Mine", st - 1000, st - 2000}};
  p = push1(f, "asst", DEV_ASST, 3, "org", ORG_B, lose, 1);
  assert_int_equal(status_of(&p), REJECTED);
  srv_sync_ack_free(&p.ack);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM t_conflict"), 0);
  /* an old value based on the stored one changes nothing and tells nothing */
  fv stale[] = {{"name", "Old", st - 1000, st}};
  p = push1(f, "asst", DEV_ASST, 4, "org", ORG_B, stale, 1);
  assert_int_equal(status_of(&p), SUPERSEDED);
  srv_sync_ack_free(&p.ack);
  /* the manager giving away (stored stamp) a card assigned to him */
  fv give[] = {{"owner", "boris", st, st}};
  p = push1(f, "anna", DEV_ANNA2, 1, "org", ORG_A, give, 1);
  assert_int_equal(status_of(&p), REJECTED);
  assert_non_null(strstr(reason_of(&p), "may not give organization cards"));
  srv_sync_ack_free(&p.ack);
  char owner[200];
  text_of(f, "SELECT owner FROM t_org WHERE id = '" ORG_A "'", owner);
  assert_string_equal(owner, "anna");
}

static void test_protected_field_tells_nothing(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  fv b[] = {{"name", "Borisfirm", st, 0}, {"owner", "boris", st, 0}, {"phone", "+7 495 111-22-33", st, 0}};
  pushed p = push1(f, "boris", DEV_BORIS, 1, "org", ORG_B, b, 3);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  /* a role that reads colleagues' cards but not their phones: a right guess
     and a wrong one are answered alike */
  assert_int_equal(t_sql_exec(&f->t.db, "UPDATE srv_role SET rights = rights || ' -see_contacts' "
                                        "WHERE name = 'assistant'"), 0);
  fv right[] = {{"phone", "+7 495 111-22-33", st + 10, st}};
  fv wrong[] = {{"phone", "+7 000 000-00-00", st + 10, st}};
  p = push1(f, "asst", DEV_ASST, 1, "org", ORG_B, right, 1);
  int s1 = status_of(&p);
  char r1[KT_ERR_MSG_MAX];
  snprintf(r1, sizeof r1, "%s", reason_of(&p));
  srv_sync_ack_free(&p.ack);
  p = push1(f, "asst", DEV_ASST, 2, "org", ORG_B, wrong, 1);
  assert_int_equal(status_of(&p), s1);
  assert_int_equal(s1, REJECTED);
  assert_string_equal(reason_of(&p), r1);
  srv_sync_ack_free(&p.ack);
}

static void test_revoke_on_reassign(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  two_cards(f, st);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_revoke"), 0);
  fv v[] = {{"owner", "boris", st + 10, st}};
  pushed p = push1(f, "boss", DEV_ANNA, 5, "org", ORG_A, v, 1);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  /* the old scope (anna's) is kept, so anna's next pull revokes the card */
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_revoke WHERE owner = 'anna'"), 1);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_audit WHERE action = 'reassign' "
                                       "AND detail = 'org from anna to boris'"), 1);
}

/* A refused change keeps its answer when it is sent again with the same number
 * (the first answer was lost): it was never applied, so it is judged again. */
static void test_refused_resend_judged_again(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  two_cards(f, st);
  fv v[] = {{"name", "Hijacked", st + 10, st}};
  for (int i = 0; i < 2; i++) {
    pushed p = push1(f, "anna", DEV_ANNA, 10, "org", ORG_B, v, 1);
    assert_int_equal(status_of(&p), REJECTED);
    assert_int_equal(p.ack.results[0]->code, KT_EPERM);
    srv_sync_ack_free(&p.ack);
  }
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_refused"), 1);
  /* once the rights allow it (the card became hers), the same change applies */
  fv give[] = {{"owner", "anna", st + 20, st}};
  pushed p = push1(f, "boss", DEV_BORIS, 10, "org", ORG_B, give, 1);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  p = push1(f, "anna", DEV_ANNA, 10, "org", ORG_B, v, 1);
  assert_int_equal(status_of(&p), APPLIED);
  assert_true(p.ack.results[0]->server_seq > 0);
  srv_sync_ack_free(&p.ack);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_refused"), 0);
  /* a later push starting above a refused number forgets it */
  fv bad[] = {{"name", "Again", st + 30, st}};
  p = push1(f, "asst", DEV_ASST, 5, "org", ORG_B, bad, 1);
  assert_int_equal(status_of(&p), REJECTED);
  srv_sync_ack_free(&p.ack);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_refused WHERE counter = 5"), 1);
  p = push1(f, "asst", DEV_ASST, 6, "org", ORG_B, bad, 1);
  srv_sync_ack_free(&p.ack);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_refused WHERE counter = 5"), 0);
}

/* A field definition the model refuses (another type for an existing field)
 * is a refused change, not a failed push; the rest of the push applies. */
static void test_bad_field_def_refused(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  fv d1[] = {{"etype", "org", st, 0}, {"name", "prio", st, 0}, {"ftype", "text", st, 0},
             {"label", "Priority", st, 0}};
  pushed p = push1(f, "boss", DEV_BORIS, 1, "field_def", "01900000-0000-7000-8000-0000000000f1", d1, 4);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  fv d2[] = {{"etype", "org", st, 0}, {"name", "prio", st, 0}, {"ftype", "bool", st, 0}};
  p = push1(f, "boss", DEV_BORIS, 2, "field_def", "01900000-0000-7000-8000-0000000000f2", d2, 3);
  assert_int_equal(status_of(&p), REJECTED);
  assert_int_equal(p.ack.results[0]->code, KT_EINVAL);
  assert_non_null(strstr(reason_of(&p), "already of type text"));
  srv_sync_ack_free(&p.ack);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM t_field_def"), 1);
  /* the model still has the field as it was: a value of it is accepted */
  fv v[] = {{"name", "Firm", st, 0}, {"owner", "boss", st, 0}, {"prio", "high", st, 0}};
  p = push1(f, "boss", DEV_BORIS, 3, "org", ORG_N, v, 3);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  char prio[200];
  text_of(f, "SELECT c_prio FROM t_org WHERE id = '" ORG_N "'", prio);
  assert_string_equal(prio, "high");
}

/* A group renamed or moved changes who is in which group: the users in it and
 * above it get a new rights generation (their sessions reload their groups). */
static void test_group_change_reloads_rights(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  srv_db *d = &f->t.db;
  kt_err err;
  assert_int_equal(srv_user_add(d, "lena", "pass-word-1", "manager", "north", &err), 0);
  assert_int_equal(srv_user_add(d, "olga", "pass-word-1", "manager", "south", &err), 0);
  fv g1[] = {{"name", "north", st, 0}};
  pushed p = push1(f, "boss", DEV_BORIS, 1, "group", "01900000-0000-7000-8000-0000000000e1", g1, 1);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  fv g2[] = {{"name", "north-spb", st, 0}, {"parent", "north", st, 0}};
  p = push1(f, "boss", DEV_BORIS, 2, "group", "01900000-0000-7000-8000-0000000000e2", g2, 2);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  int64_t lena = t_sql_int(d, "SELECT scope_gen FROM srv_user WHERE name = 'lena'");
  int64_t olga = t_sql_int(d, "SELECT scope_gen FROM srv_user WHERE name = 'olga'");
  fv ren[] = {{"name", "spb", st + 10, st}};
  p = push1(f, "boss", DEV_BORIS, 3, "group", "01900000-0000-7000-8000-0000000000e2", ren, 1);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  assert_true(t_sql_int(d, "SELECT scope_gen FROM srv_user WHERE name = 'lena'") > lena);
  assert_int_equal(t_sql_int(d, "SELECT scope_gen FROM srv_user WHERE name = 'olga'"), olga);
  /* a comment changes no membership */
  lena = t_sql_int(d, "SELECT scope_gen FROM srv_user WHERE name = 'lena'");
  fv com[] = {{"comment", "Петербург", st + 20, st}};
  p = push1(f, "boss", DEV_BORIS, 4, "group", "01900000-0000-7000-8000-0000000000e2", com, 1);
  assert_int_equal(status_of(&p), APPLIED);
  srv_sync_ack_free(&p.ack);
  assert_int_equal(t_sql_int(d, "SELECT scope_gen FROM srv_user WHERE name = 'lena'"), lena);
}

static void test_nil_id_refused(void **state) {
  fx *f = *state;
  fv v[] = {{"name", "Nil", now_stamp(), 0}};
  pushed p = push1(f, "boss", DEV_BORIS, 1, "org", "00000000-0000-0000-0000-000000000000", v, 1);
  assert_int_equal(status_of(&p), REJECTED);
  assert_int_equal(p.ack.results[0]->code, KT_EINVAL);
  srv_sync_ack_free(&p.ack);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_idempotent_by_counter, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_higher_stamp_and_tie, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conflict_kept, setup, teardown),
      cmocka_unit_test_setup_teardown(test_field_named_twice, setup, teardown),
      cmocka_unit_test_setup_teardown(test_equal_stamp_is_checked, setup, teardown),
      cmocka_unit_test_setup_teardown(test_protected_field_tells_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_revoke_on_reassign, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refused_resend_judged_again, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_field_def_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_group_change_reloads_rights, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nil_id_refused, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
