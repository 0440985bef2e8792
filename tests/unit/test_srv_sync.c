/* Unit tests for srv_sync as a whole (push, group commit and pull together,
 * in-process on a real master database in a temporary folder): idempotency (a
 * resent batch after a lost ack is a no-op, also inside one group commit), the
 * per-field merge whatever order the edits arrive in, conflict recording (the
 * losing value kept with both writers, and the conflict record reaching the
 * owner's pull), and revoking (a card reassigned leaves the old owner's next
 * pull as a Revoke; rights narrowed answer a pull under the old generation
 * with wipe), and the name+city claim keys (kept through edits, trash,
 * restore and reassignment; filled in for a master from before 0023).
 * test_srv_push.c has the push-only rules (refusals, audit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_buf.h"
#include "kt_hlc.h"
#include "srv_rights.h"
#include "srv_sync.h"
#include "srv_user.h"
#include "t_srvdb.h"

#define DEV_ANNA "01900000-0000-7000-8000-00000000000c"
#define DEV_ANNA2 "01900000-0000-7000-8000-00000000000d"
#define DEV_BOSS "01900000-0000-7000-8000-00000000000f"
#define ORG_A "01900000-0000-7000-8000-0000000000a1"
#define ORG_A2 "01900000-0000-7000-8000-0000000000a2"
#define ORG_A3 "01900000-0000-7000-8000-0000000000a3"

#define APPLIED KARTOTEKA__CHANGE_RESULT__STATUS__APPLIED
#define SUPERSEDED KARTOTEKA__CHANGE_RESULT__STATUS__SUPERSEDED

typedef struct fx {
  t_srvdb t;
  kt_hlc hlc;
  srv_sync *s;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  kt_err err;
  if (!f || t_srvdb_open(&f->t, "sync")) return -1;
  srv_db *d = &f->t.db;
  if (srv_roles_seed(d, &err)) return -1;
  const char *users[][2] = {{"boss", "administrator"}, {"anna", "manager"}, {"boris", "manager"}};
  for (int i = 0; i < 3; i++)
    if (srv_user_add(d, users[i][0], "pass-word-1", users[i][1], NULL, &err)) return -1;
  const char *devs[][2] = {{DEV_ANNA, "anna"}, {DEV_ANNA2, "anna"}, {DEV_BOSS, "boss"}};
  for (int i = 0; i < 3; i++) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO srv_device(id, user_name, created) VALUES ('%s', '%s', 1)", devs[i][0],
             devs[i][1]);
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

/* One change of a push: counter, record and up to 4 values. */
typedef struct ch {
  uint64_t ctr;
  const char *id;
  fv v[4];
  size_t n;
} ch;

typedef struct batch {
  Kartoteka__FieldValue vals[8][4], *pv[8][4];
  Kartoteka__Change c[8], *pc[8];
  Kartoteka__Push p;
} batch;

static void batch_build(batch *b, const ch *cs, size_t n) {
  kartoteka__push__init(&b->p);
  for (size_t i = 0; i < n; i++) {
    kartoteka__change__init(&b->c[i]);
    for (size_t k = 0; k < cs[i].n; k++) {
      Kartoteka__FieldValue *v = &b->vals[i][k];
      kartoteka__field_value__init(v);
      v->name = (char *)cs[i].v[k].name;
      if (strcmp(v->name, "deleted") == 0) { /* the one number field the tests write */
        v->value_case = KARTOTEKA__FIELD_VALUE__VALUE_NUM;
        v->num = atoi(cs[i].v[k].text);
      } else {
        v->value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
        v->text = (char *)cs[i].v[k].text;
      }
      v->stamp = cs[i].v[k].stamp;
      v->base_stamp = cs[i].v[k].base;
      b->pv[i][k] = v;
    }
    b->c[i].counter = cs[i].ctr;
    b->c[i].type = "org";
    b->c[i].id = (char *)cs[i].id;
    b->c[i].fields = b->pv[i];
    b->c[i].n_fields = cs[i].n;
    b->pc[i] = &b->c[i];
  }
  b->p.changes = b->pc;
  b->p.n_changes = n;
}

/* Pushes cs as one batch by user on device, with the user's rights; fills ack. */
static void push(fx *f, const char *user, const char *device, const ch *cs, size_t n,
                 Kartoteka__PushAck *ack) {
  batch b;
  batch_build(&b, cs, n);
  srv_subject subj;
  kt_err err;
  assert_int_equal(srv_subject_load(&f->t.db, user, &subj, &err), 0);
  srv_writer w = {device, user, &subj};
  kartoteka__push_ack__init(ack);
  assert_int_equal(srv_sync_push(f->s, &w, &b.p, ack, &err), 0);
  assert_int_equal(ack->n_results, n);
}

static kt_stamp now_stamp(void) { return (kt_stamp)kt_now_ms() << 16; }

static int64_t feed_rows(fx *f) { return t_sql_int(&f->t.db, "SELECT count(*) FROM srv_log"); }
static int64_t latest(fx *f) {
  uint64_t v = 0;
  assert_int_equal(srv_sync_latest(f->s, &v, NULL), 0);
  return (int64_t)v;
}

static void dump(fx *f, kt_buf *out) {
  kt_buf_reset(out);
  assert_int_equal(srv_sync_dump(f->s, out, NULL), 0);
}

static void text_of(fx *f, const char *sql, char *out) {
  assert_int_equal(t_sql_text(&f->t.db, sql, out, 200), 0);
}

/* The text of field `name` of the change for record id in a page, or NULL. */
static const char *page_field(const srv_page *pg, const char *id, const char *name) {
  for (size_t i = 0; i < pg->msg.n_changes; i++) {
    const Kartoteka__Change *c = pg->msg.changes[i];
    if (strcmp(c->id, id) != 0) continue;
    for (size_t k = 0; k < c->n_fields; k++)
      if (strcmp(c->fields[k]->name, name) == 0 &&
          c->fields[k]->value_case == KARTOTEKA__FIELD_VALUE__VALUE_TEXT)
        return c->fields[k]->text;
  }
  return NULL;
}

static bool page_has_type(const srv_page *pg, const char *type) {
  for (size_t i = 0; i < pg->msg.n_changes; i++)
    if (strcmp(pg->msg.changes[i]->type, type) == 0) return true;
  return false;
}

static bool page_revokes(const srv_page *pg, const char *id) {
  for (size_t i = 0; i < pg->msg.n_revokes; i++)
    if (strcmp(pg->msg.revokes[i]->id, id) == 0) return true;
  return false;
}

/* A pull by user (with its current rights) after since under scope. */
static void pull(fx *f, const char *user, uint64_t since, uint64_t scope, srv_page *pg,
                 srv_subject *subj) {
  kt_err err;
  assert_int_equal(srv_subject_load(&f->t.db, user, subj, &err), 0);
  assert_int_equal(srv_sync_pull(f->s, subj, since, scope, 0, pg, &err), 0);
}

static void anna_cards(fx *f, kt_stamp st, Kartoteka__PushAck *ack) {
  ch cs[] = {{1, ORG_A, {{"name", "Альфа", st, 0}, {"owner", "anna", st, 0}, {"city", "Казань", st, 0}}, 3},
             {2, ORG_A2, {{"name", "Бета", st, 0}, {"owner", "anna", st, 0}}, 2},
             {3, ORG_A3, {{"name", "Gamma", st, 0}, {"owner", "anna", st, 0}}, 2}};
  push(f, "anna", DEV_ANNA, cs, 3, ack);
}

/* ---- idempotency ------------------------------------------------------------------ */

/* The ack of a batch was lost: the client sends the same batch again. Every
 * change is answered APPLIED (it was), nothing is written twice. */
static void test_resend_after_lost_ack(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  Kartoteka__PushAck ack;
  anna_cards(f, st, &ack);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(ack.results[i]->status, APPLIED);
    assert_true(ack.results[i]->server_seq > 0);
  }
  srv_sync_ack_free(&ack);
  int64_t rows = feed_rows(f), seq = latest(f);
  kt_buf before = KT_BUF_INIT, after = KT_BUF_INIT;
  dump(f, &before);
  anna_cards(f, st, &ack); /* the very same batch */
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(ack.results[i]->status, APPLIED);
    assert_int_equal(ack.results[i]->server_seq, 0); /* nothing new */
  }
  srv_sync_ack_free(&ack);
  dump(f, &after);
  assert_string_equal(kt_buf_str(&before), kt_buf_str(&after));
  assert_int_equal(feed_rows(f), rows);
  assert_int_equal(latest(f), seq);
  /* a batch that overlaps the old one: the old numbers are no-ops, the new one applies */
  ch more[] = {{3, ORG_A3, {{"name", "Overwritten?", st + 9, st}}, 1},
               {4, ORG_A3, {{"city", "Омск", st + 10, st}}, 1}};
  push(f, "anna", DEV_ANNA, more, 2, &ack);
  assert_int_equal(ack.results[0]->server_seq, 0);
  assert_true(ack.results[1]->server_seq > (uint64_t)seq);
  srv_sync_ack_free(&ack);
  char v[200];
  text_of(f, "SELECT name FROM t_org WHERE id = '" ORG_A3 "'", v);
  assert_string_equal(v, "Gamma");
  text_of(f, "SELECT city FROM t_org WHERE id = '" ORG_A3 "'", v);
  assert_string_equal(v, "Омск");
  kt_buf_free(&before);
  kt_buf_free(&after);
}

/* Inside one group commit (the pushes of one loop turn) the same change twice,
 * from two connections of one device (a reconnect while the first was in
 * flight), is applied once; the counters of one device are independent of
 * another's. */
static void test_resend_in_one_group(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  kt_err err;
  srv_subject subj;
  assert_int_equal(srv_subject_load(&f->t.db, "anna", &subj, &err), 0);
  srv_writer w = {DEV_ANNA, "anna", &subj};
  ch cs[] = {{1, ORG_A, {{"name", "Альфа", st, 0}, {"owner", "anna", st, 0}}, 2}};
  batch b;
  batch_build(&b, cs, 1);
  Kartoteka__PushAck a1, a2, a3;
  kartoteka__push_ack__init(&a1);
  kartoteka__push_ack__init(&a2);
  kartoteka__push_ack__init(&a3);
  int64_t rows = feed_rows(f);
  assert_int_equal(srv_sync_group_begin(f->s, &err), 0);
  assert_int_equal(srv_sync_push_grouped(f->s, &w, &b.p, &a1, &err), 0);
  assert_int_equal(srv_sync_push_grouped(f->s, &w, &b.p, &a2, &err), 0);
  /* the second PC of the same user uses its own counter 1 */
  ch other[] = {{1, ORG_A2, {{"name", "Бета", st, 0}, {"owner", "anna", st, 0}}, 2}};
  batch b2;
  batch_build(&b2, other, 1);
  srv_writer w2 = {DEV_ANNA2, "anna", &subj};
  assert_int_equal(srv_sync_push_grouped(f->s, &w2, &b2.p, &a3, &err), 0);
  assert_int_equal(srv_sync_group_commit(f->s, &err), 0);
  assert_true(a1.results[0]->server_seq > 0);
  assert_int_equal(a2.results[0]->status, APPLIED);
  assert_int_equal(a2.results[0]->server_seq, 0);
  assert_true(a3.results[0]->server_seq > a1.results[0]->server_seq);
  assert_int_equal(feed_rows(f), rows + 2);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM t_org"), 2);
  srv_sync_ack_free(&a1);
  srv_sync_ack_free(&a2);
  srv_sync_ack_free(&a3);
}

/* ---- merge ------------------------------------------------------------------------ */

/* Two PCs edit different fields of one card offline: both edits stay. The same
 * field edited twice: the higher stamp wins whichever arrives first, and a pull
 * returns the merged record. */
static void test_merge_per_field_any_order(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  Kartoteka__PushAck ack;
  anna_cards(f, st, &ack);
  srv_sync_ack_free(&ack);
  /* PC 2 edits the phone and (later stamp) the city; PC 1 then the name and (earlier stamp) the city */
  ch pc2[] = {{1, ORG_A, {{"phone", "+7 843 000-00-01", st + 20, st}, {"city", "Сочи", st + 30, st}}, 2}};
  push(f, "anna", DEV_ANNA2, pc2, 1, &ack);
  assert_int_equal(ack.results[0]->status, APPLIED);
  srv_sync_ack_free(&ack);
  ch pc1[] = {{4, ORG_A, {{"name", "Альфа-М", st + 10, st}, {"city", "Пермь", st + 15, st}}, 2}};
  push(f, "anna", DEV_ANNA, pc1, 1, &ack);
  srv_sync_ack_free(&ack);
  char v[200];
  text_of(f, "SELECT name FROM t_org WHERE id = '" ORG_A "'", v);
  assert_string_equal(v, "Альфа-М");
  text_of(f, "SELECT city FROM t_org WHERE id = '" ORG_A "'", v);
  assert_string_equal(v, "Сочи");
  text_of(f, "SELECT phone FROM t_org WHERE id = '" ORG_A "'", v);
  assert_string_equal(v, "+7 843 000-00-01");
  /* a fresh replica gets the merged card */
  srv_page pg;
  srv_subject subj;
  pull(f, "anna", 0, 0, &pg, &subj);
  assert_string_equal(page_field(&pg, ORG_A, "name"), "Альфа-М");
  assert_string_equal(page_field(&pg, ORG_A, "city"), "Сочи");
  uint64_t cursor = pg.msg.next_seq;
  srv_page_free(&pg);
  /* a change that loses every field writes nothing a pull would show again */
  ch stale[] = {{5, ORG_A, {{"city", "Старое", st + 1, st}}, 1}};
  push(f, "anna", DEV_ANNA, stale, 1, &ack);
  assert_int_equal(ack.results[0]->status, SUPERSEDED);
  srv_sync_ack_free(&ack);
  pull(f, "anna", cursor, subj.scope_gen, &pg, &subj);
  assert_null(page_field(&pg, ORG_A, "city"));
  srv_page_free(&pg);
}

/* ---- conflicts --------------------------------------------------------------------- */

/* The boss and anna edit the city of anna's card from the same base: the later
 * stamp wins, the other value is kept in the conflict log with both writers,
 * and the conflict record reaches anna's (the owner's) next pull. */
static void test_conflict_both_writers(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  Kartoteka__PushAck ack;
  anna_cards(f, st, &ack);
  srv_sync_ack_free(&ack);
  srv_page pg;
  srv_subject subj;
  pull(f, "anna", 0, 0, &pg, &subj);
  uint64_t cursor = pg.msg.next_seq;
  assert_false(page_has_type(&pg, "conflict"));
  srv_page_free(&pg);
  ch boss[] = {{1, ORG_A, {{"city", "Самара", st + 100, st}}, 1}};
  push(f, "boss", DEV_BOSS, boss, 1, &ack);
  assert_int_equal(ack.results[0]->status, APPLIED);
  srv_sync_ack_free(&ack);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM t_conflict"), 0); /* based on the stored value */
  /* anna edited offline from the same base, earlier: she loses */
  ch anna[] = {{4, ORG_A, {{"city", "Уфа", st + 50, st}}, 1}};
  push(f, "anna", DEV_ANNA, anna, 1, &ack);
  assert_int_equal(ack.results[0]->status, SUPERSEDED);
  srv_sync_ack_free(&ack);
  assert_int_equal(t_sql_int(&f->t.db,
                             "SELECT count(*) FROM t_conflict WHERE rid = '" ORG_A "' AND "
                             "field = 'city' AND value = 'Уфа' AND winner = 'Самара' AND "
                             "lost_by = 'anna' AND won_by = 'boss'"),
                   1);
  char v[200];
  text_of(f, "SELECT city FROM t_org WHERE id = '" ORG_A "'", v);
  assert_string_equal(v, "Самара");
  pull(f, "anna", cursor, subj.scope_gen, &pg, &subj);
  assert_true(page_has_type(&pg, "conflict"));
  assert_string_equal(page_field(&pg, ORG_A, "city"), "Самара");
  srv_page_free(&pg);
  /* resending anna's losing change (its ack was lost) records nothing more */
  push(f, "anna", DEV_ANNA, anna, 1, &ack);
  srv_sync_ack_free(&ack);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM t_conflict"), 1);
  /* a later edit of anna's made after she saw the boss's value is no conflict */
  kt_stamp boss_st = st + 100;
  ch seen[] = {{5, ORG_A, {{"city", "Уфа", st + 200, boss_st}}, 1}};
  push(f, "anna", DEV_ANNA, seen, 1, &ack);
  assert_int_equal(ack.results[0]->status, APPLIED);
  srv_sync_ack_free(&ack);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM t_conflict"), 1);
}

/* ---- revokes ----------------------------------------------------------------------- */

/* The boss gives anna's card to boris: anna's next pull revokes it (and does
 * not carry it), boris's carries it and revokes nothing. */
static void test_reassign_revokes_on_pull(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  Kartoteka__PushAck ack;
  anna_cards(f, st, &ack);
  srv_sync_ack_free(&ack);
  srv_page pg;
  srv_subject anna, boris;
  pull(f, "anna", 0, 0, &pg, &anna);
  uint64_t a_cur = pg.msg.next_seq;
  assert_non_null(page_field(&pg, ORG_A2, "name"));
  srv_page_free(&pg);
  pull(f, "boris", 0, 0, &pg, &boris);
  uint64_t b_cur = pg.msg.next_seq;
  assert_null(page_field(&pg, ORG_A2, "name")); /* a colleague's card: not his */
  srv_page_free(&pg);
  ch give[] = {{1, ORG_A2, {{"owner", "boris", st + 10, st}}, 1}};
  push(f, "boss", DEV_BOSS, give, 1, &ack);
  assert_int_equal(ack.results[0]->status, APPLIED);
  srv_sync_ack_free(&ack);
  pull(f, "anna", a_cur, anna.scope_gen, &pg, &anna);
  assert_false(pg.msg.wipe);
  assert_true(page_revokes(&pg, ORG_A2));
  assert_false(page_revokes(&pg, ORG_A));
  assert_null(page_field(&pg, ORG_A2, "name"));
  srv_page_free(&pg);
  pull(f, "boris", b_cur, boris.scope_gen, &pg, &boris);
  assert_false(page_revokes(&pg, ORG_A2));
  assert_string_equal(page_field(&pg, ORG_A2, "owner"), "boris");
  srv_page_free(&pg);
  /* a replica built from the start does not get the card (a revoke of it is harmless) */
  pull(f, "anna", 0, anna.scope_gen, &pg, &anna);
  assert_null(page_field(&pg, ORG_A2, "name"));
  assert_non_null(page_field(&pg, ORG_A, "name"));
  srv_page_free(&pg);
}

/* Anna's rights are narrowed (her role loses a right, her generation moves):
 * a pull under the old generation is answered from the start with wipe, and
 * the new generation in the page; the next pull under it is incremental. */
static void test_rights_narrowed_wipe(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  Kartoteka__PushAck ack;
  anna_cards(f, st, &ack);
  srv_sync_ack_free(&ack);
  srv_page pg;
  srv_subject anna;
  pull(f, "anna", 0, 0, &pg, &anna); /* a first pull: scope 0 is "no replica yet" */
  uint64_t gen = pg.msg.scope, cur = pg.msg.next_seq;
  assert_int_equal(gen, anna.scope_gen);
  srv_page_free(&pg);
  pull(f, "anna", cur, gen, &pg, &anna);
  assert_false(pg.msg.wipe);
  assert_int_equal(pg.msg.n_changes, 0);
  srv_page_free(&pg);
  kt_err err;
  assert_int_equal(srv_user_set_role(&f->t.db, "anna", "assistant", NULL, &err), 0);
  pull(f, "anna", cur, gen, &pg, &anna);
  assert_true(pg.msg.wipe);
  assert_int_not_equal(pg.msg.scope, gen);
  assert_int_equal(pg.msg.scope, anna.scope_gen);
  assert_true(pg.msg.n_changes > 0); /* from the start: what the new role may read */
  uint64_t cur2 = pg.msg.next_seq, gen2 = pg.msg.scope;
  srv_page_free(&pg);
  pull(f, "anna", cur2, gen2, &pg, &anna);
  assert_false(pg.msg.wipe);
  assert_int_equal(pg.msg.n_changes, 0);
  srv_page_free(&pg);
}

/* ---- name + city claims (issue 16) -------------------------------------------------- */

typedef struct hits {
  int n;
  char owner[80], type[32], key[300];
} hits;

static int on_hit(void *ud, const char *key, const srv_claim *c) {
  hits *h = ud;
  h->n++;
  snprintf(h->owner, sizeof h->owner, "%s", c->owner);
  snprintf(h->type, sizeof h->type, "%s", c->type);
  snprintf(h->key, sizeof h->key, "%s", key);
  return 0;
}

/* The claim check of one key: "" when no live card holds it, else its owner. */
static const char *claim_owner(fx *f, const char *key, hits *h) {
  memset(h, 0, sizeof *h);
  kt_err err;
  const char *keys[] = {key};
  assert_int_equal(srv_sync_claim_keys(f->s, keys, 1, on_hit, h, &err), 0);
  assert_true(h->n <= 1);
  if (h->n) {
    assert_string_equal(h->type, "org");
    assert_string_equal(h->key, key);
  }
  return h->owner;
}

static void test_name_claims(void **state) {
  fx *f = *state;
  kt_stamp st = now_stamp();
  Kartoteka__PushAck ack;
  anna_cards(f, st, &ack); /* "Альфа" in Казань; two cards without a city */
  srv_sync_ack_free(&ack);
  hits h;
  assert_string_equal(claim_owner(f, "n:альфа|казань", &h), "anna");
  assert_string_equal(claim_owner(f, "n:бета|", &h), ""); /* no city: no name key */
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_claim WHERE key LIKE 'n:%'"), 1);
  /* a new name, then a new city: the key follows at once */
  ch ren[] = {{4, ORG_A, {{"name", "Альфа-Плюс", st + 1, st}}, 1}};
  push(f, "anna", DEV_ANNA, ren, 1, &ack);
  srv_sync_ack_free(&ack);
  assert_string_equal(claim_owner(f, "n:альфа|казань", &h), "");
  assert_string_equal(claim_owner(f, "n:альфа-плюс|казань", &h), "anna");
  ch moved[] = {{5, ORG_A, {{"city", "Самара", st + 2, st}}, 1}};
  push(f, "anna", DEV_ANNA, moved, 1, &ack);
  srv_sync_ack_free(&ack);
  assert_string_equal(claim_owner(f, "n:альфа-плюс|казань", &h), "");
  assert_string_equal(claim_owner(f, "n:альфа-плюс|самара", &h), "anna");
  /* a city given to a card that had none makes its key */
  ch city[] = {{6, ORG_A2, {{"city", "Ёлкино", st + 3, 0}}, 1}};
  push(f, "anna", DEV_ANNA, city, 1, &ack);
  srv_sync_ack_free(&ack);
  assert_string_equal(claim_owner(f, "n:бета|елкино", &h), "anna");
  /* reassigned: the key stays, the owner it names is the new one */
  ch give[] = {{1, ORG_A, {{"owner", "boris", st + 4, st}}, 1}};
  push(f, "boss", DEV_BOSS, give, 1, &ack);
  assert_int_equal(ack.results[0]->status, APPLIED);
  srv_sync_ack_free(&ack);
  assert_string_equal(claim_owner(f, "n:альфа-плюс|самара", &h), "boris");
  /* in the trash: no claim; restored: claimed again */
  ch trash[] = {{2, ORG_A, {{"deleted", "1", st + 5, 0}}, 1}};
  push(f, "boss", DEV_BOSS, trash, 1, &ack);
  assert_int_equal(ack.results[0]->status, APPLIED);
  srv_sync_ack_free(&ack);
  assert_string_equal(claim_owner(f, "n:альфа-плюс|самара", &h), "");
  ch back[] = {{3, ORG_A, {{"deleted", "0", st + 6, st + 5}}, 1}};
  push(f, "boss", DEV_BOSS, back, 1, &ack);
  assert_int_equal(ack.results[0]->status, APPLIED);
  srv_sync_ack_free(&ack);
  assert_string_equal(claim_owner(f, "n:альфа-плюс|самара", &h), "boris");
  /* a master from before 0023 kept no name keys: the server fills them in once,
     when it opens the database, without touching the other claims or the feed */
  int64_t phones = t_sql_int(&f->t.db, "SELECT count(*) FROM srv_claim WHERE key NOT LIKE 'n:%'");
  int64_t rows = feed_rows(f);
  assert_int_equal(t_sql_exec(&f->t.db, "DELETE FROM srv_claim WHERE key LIKE 'n:%'"), 0);
  assert_int_equal(t_sql_exec(&f->t.db, "UPDATE t_org SET deleted = 1 WHERE id = '" ORG_A3 "'"), 0);
  assert_int_equal(t_sql_exec(&f->t.db, "UPDATE t_org SET city = 'Тверь' WHERE id = '" ORG_A3 "'"), 0);
  assert_int_equal(t_sql_exec(&f->t.db, "INSERT OR REPLACE INTO meta(key, value) VALUES "
                                        "('claim_backfill', '1')"), 0);
  srv_sync_free(f->s);
  kt_err err;
  assert_int_equal(srv_sync_new(&f->t.db, &f->hlc, "00000000-0000-4000-8000-000000000001", &f->s,
                                &err), 0);
  assert_string_equal(claim_owner(f, "n:альфа-плюс|самара", &h), "boris");
  assert_string_equal(claim_owner(f, "n:бета|елкино", &h), "anna");
  assert_string_equal(claim_owner(f, "n:gamma|тверь", &h), ""); /* in the trash */
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_claim WHERE key LIKE 'n:%'"), 2);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_claim WHERE key NOT LIKE 'n:%'"),
                   phones);
  assert_int_equal(feed_rows(f), rows);
  char flag[200];
  text_of(f, "SELECT value FROM meta WHERE key = 'claim_backfill'", flag);
  assert_string_equal(flag, "0");
  /* once: reopening adds nothing */
  srv_sync_free(f->s);
  assert_int_equal(srv_sync_new(&f->t.db, &f->hlc, "00000000-0000-4000-8000-000000000001", &f->s,
                                &err), 0);
  assert_int_equal(t_sql_int(&f->t.db, "SELECT count(*) FROM srv_claim WHERE key LIKE 'n:%'"), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_resend_after_lost_ack, setup, teardown),
      cmocka_unit_test_setup_teardown(test_resend_in_one_group, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_per_field_any_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conflict_both_writers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reassign_revokes_on_pull, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rights_narrowed_wipe, setup, teardown),
      cmocka_unit_test_setup_teardown(test_name_claims, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
