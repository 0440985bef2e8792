/* Unit tests for cl_store: the write path (row + versions + index + outbox in
 * one transaction), outbox collapsing, refusals and trash in the outbox, search,
 * trash, custom fields, owners and assignees checked against the staff list,
 * and that a rejected edit writes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "cl_outbox.h"
#include "cl_store.h"
#include "t_store.h"

typedef t_store fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f || t_store_open(f, "store")) return -1;
  *state = f;
  return 0;
}

#define teardown t_store_teardown

static int64_t count(cl_store *s, const char *sql) {
  sqlite3_stmt *st;
  int64_t n = -1;
  if (sqlite3_prepare_v2(cl_store_sqlite(s), sql, -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

static int count_cb(void *ud, const cl_rec *r) {
  (void)r;
  (*(int *)ud)++;
  return 0;
}

static void test_add_writes_row_versions_index_outbox(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37];
  cl_set sets[] = {{"name", "ООО Ромашка"}, {"city", "Москва"}, {"phone", "+7 495 123-45-67"}};
  assert_int_equal(cl_store_add(f->s, "org", sets, 3, id, &err), 0);
  assert_int_equal(strlen(id), 36);
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_org"), 1);
  assert_int_equal(count(f->s, "SELECT count(*) FROM outbox"), 1);
  assert_int_equal(count(f->s, "SELECT count(*) FROM fts WHERE fts MATCH 'ромаш*'"), 1);
  assert_int_equal(count(f->s, "SELECT count(*) FROM fts_phone WHERE fts_phone MATCH '\"1234\"'"), 1);
  cl_rec *r = NULL;
  assert_int_equal(cl_store_get(f->s, id, &r, &err), 0);
  kt_mfield *name = kt_mtype_field(r->type, "name");
  assert_true(r->vers.f[name->vidx].stamp > 0);
  assert_int_equal(r->vers.f[KT_F_OWNER].stamp, r->vers.f[name->vidx].stamp);
  assert_string_equal(r->v[KT_F_OWNER].s, "tester");
  assert_true(r->vers.f[kt_mtype_field(r->type, "legal_name")->vidx].stamp == 0);
  cl_rec_free(r);
}

static void test_outbox_collapses_and_renumbers(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37];
  cl_set a[] = {{"name", "Альфа"}};
  assert_int_equal(cl_store_add(f->s, "org", a, 1, id, &err), 0);
  int64_t seq1 = count(f->s, "SELECT max(seq) FROM outbox");
  cl_set b[] = {{"city", "Казань"}};
  int changed = 0;
  assert_int_equal(cl_store_edit(f->s, id, b, 1, &changed, &err), 0);
  assert_int_equal(changed, 1);
  cl_set c[] = {{"city", "Самара"}};
  assert_int_equal(cl_store_edit(f->s, id, c, 1, &changed, &err), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM outbox"), 1);
  assert_true(count(f->s, "SELECT max(seq) FROM outbox") > seq1);
  /* the same value again is no change and no outbox churn */
  int64_t seq2 = count(f->s, "SELECT max(seq) FROM outbox");
  assert_int_equal(cl_store_edit(f->s, id, c, 1, &changed, &err), 0);
  assert_int_equal(changed, 0);
  assert_int_equal(count(f->s, "SELECT max(seq) FROM outbox"), seq2);
}

/* The one entry of the outbox as cl_outbox_list sees it (parked ones too). */
typedef struct one_entry {
  int n;
  int64_t seq;
  bool isnew, deletes;
  int hold;
  char refused[200];
  bool has_name;
} one_entry;

static int on_one(void *ud, const cl_outbox_entry *e) {
  one_entry *o = ud;
  o->n++;
  o->seq = e->seq;
  o->isnew = e->isnew;
  o->deletes = e->deletes;
  o->hold = e->hold;
  snprintf(o->refused, sizeof o->refused, "%s", e->refused ? e->refused : "");
  o->has_name = kt_fset_has(e->fields, kt_mtype_field(e->rec->type, "name")->vidx);
  return 0;
}

static one_entry entry_of(cl_store *s) {
  one_entry o;
  memset(&o, 0, sizeof o);
  assert_int_equal(cl_outbox_list(s, true, on_one, &o, NULL), 0);
  assert_true(o.n <= 1);
  return o;
}

static int walk_cb(void *ud, const cl_outbox_item *it) {
  (*(int *)ud)++;
  cl_rec_free(it->rec_copy);
  return 0;
}

static int sendable(cl_store *s) {
  int n = 0;
  assert_int_equal(cl_store_outbox_walk(s, 100, walk_cb, &n, NULL), 0);
  return n;
}

static void refuse(cl_store *s, const char *why) {
  one_entry o = entry_of(s);
  cl_refusal r = {o.seq, why, KT_EINVAL};
  assert_int_equal(cl_store_outbox_refused(s, &r, 1, NULL), 0);
  one_entry after = entry_of(s);
  assert_true(after.seq > o.seq); /* a new number for the next try */
  assert_string_equal(after.refused, why);
}

/* A refusal is kept with its entry until the card is edited; a new card the
 * server never accepted is parked when it goes to the trash (not sent, not
 * counted) and sent whole when restored; a refused edit of an accepted card
 * that goes to the trash is held for the sync (set back, then deleted). */
static void test_outbox_refusals_and_trash(void **state) {
  fx *f = *state;
  char id[37];
  int64_t n;
  cl_set a[] = {{"name", "Гамма"}};
  assert_int_equal(cl_store_add(f->s, "org", a, 1, id, NULL), 0);
  assert_true(entry_of(f->s).isnew);
  refuse(f->s, "no such thing");
  cl_set b[] = {{"city", "Тверь"}};
  assert_int_equal(cl_store_edit(f->s, id, b, 1, NULL, NULL), 0);
  assert_string_equal(entry_of(f->s).refused, ""); /* judged again at the next push */
  refuse(f->s, "still not");
  assert_int_equal(cl_store_delete(f->s, id, NULL), 0);
  one_entry o = entry_of(f->s);
  assert_int_equal(o.hold, 1);
  assert_int_equal(cl_store_outbox_count(f->s, &n, NULL), 0);
  assert_int_equal(n, 0);
  assert_int_equal(sendable(f->s), 0);
  assert_int_equal(cl_store_restore(f->s, id, NULL), 0);
  o = entry_of(f->s);
  assert_int_equal(o.hold, 0);
  assert_true(o.isnew && o.has_name && !o.deletes); /* whole, as new */
  assert_int_equal(sendable(f->s), 1);
  /* accepted (acknowledged), then edited and refused, then deleted */
  assert_int_equal(cl_store_outbox_ack(f->s, &o.seq, 1, NULL), 0);
  assert_int_equal(entry_of(f->s).n, 0);
  cl_set c[] = {{"city", "Псков"}};
  assert_int_equal(cl_store_edit(f->s, id, c, 1, NULL, NULL), 0);
  assert_false(entry_of(f->s).isnew);
  refuse(f->s, "not yours");
  cl_set d2[] = {{"comment", "потом"}}; /* an edit since: judged again, but refused before */
  assert_int_equal(cl_store_edit(f->s, id, d2, 1, NULL, NULL), 0);
  assert_string_equal(entry_of(f->s).refused, "");
  assert_int_equal(cl_store_delete(f->s, id, NULL), 0);
  o = entry_of(f->s);
  assert_int_equal(o.hold, 2);
  assert_true(o.deletes);
  assert_int_equal(cl_store_outbox_count(f->s, &n, NULL), 0);
  assert_int_equal(n, 1); /* still to do */
  assert_int_equal(sendable(f->s), 0); /* but not sent as it is */
  /* an accepted card deleted without a refusal is an ordinary deletion */
  assert_int_equal(cl_store_restore(f->s, id, NULL), 0);
  o = entry_of(f->s);
  assert_int_equal(cl_store_outbox_ack(f->s, &o.seq, 1, NULL), 0);
  assert_int_equal(cl_store_delete(f->s, id, NULL), 0);
  o = entry_of(f->s);
  assert_int_equal(o.hold, 0);
  assert_true(o.deletes && !o.isnew);
  assert_int_equal(sendable(f->s), 1);
}

/* A new card that another card names (a new organization with its contact) is
 * not parked when deleted: it is sent to the trash, so the link stays valid. */
static void test_referred_new_card_is_sent(void **state) {
  fx *f = *state;
  char org[37], c[37];
  cl_set o[] = {{"name", "Дельта"}};
  assert_int_equal(cl_store_add(f->s, "org", o, 1, org, NULL), 0);
  cl_set ct[] = {{"last_name", "Петров"}, {"org", org}};
  assert_int_equal(cl_store_add(f->s, "contact", ct, 2, c, NULL), 0);
  assert_int_equal(cl_store_delete(f->s, org, NULL), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM outbox WHERE hold = 0"), 2);
  assert_int_equal(sendable(f->s), 2);
}

/* Owners and assignees are accounts: with the office's staff list on the PC an
 * unknown name is refused before saving, and the message names the users. */
static void test_unknown_user_refused(void **state) {
  fx *f = *state;
  char id[37];
  kt_err err;
  cl_set t1[] = {{"title", "Кому?"}, {"assignee", "ghost"}};
  assert_int_equal(cl_store_add(f->s, "task", t1, 2, id, &err), 0); /* no staff list: the server's */
  cl_set st[] = {{"name", "boris"}, {"owner", "boris"}};
  assert_int_equal(cl_store_add_with_id(f->s, "staff", "01a20000-0000-7000-8000-00000000b0b0", st, 2,
                                        NULL), 0);
  cl_set st2[] = {{"name", "anna"}, {"owner", "anna"}};
  assert_int_equal(cl_store_add_with_id(f->s, "staff", "01a20000-0000-7000-8000-00000000a0a0", st2,
                                        2, NULL), 0);
  int64_t before = count(f->s, "SELECT count(*) FROM t_task");
  assert_int_equal(cl_store_add(f->s, "task", t1, 2, id, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "assignee: there is no user named ghost in this office; the "
                                  "users are: anna, boris"));
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_task"), before);
  cl_set t2[] = {{"title", "Борису"}, {"assignee", "boris"}};
  assert_int_equal(cl_store_add(f->s, "task", t2, 2, id, &err), 0);
  cl_set me[] = {{"assignee", "tester"}}; /* the profile's own user is always known */
  assert_int_equal(cl_store_edit(f->s, id, me, 1, NULL, &err), 0);
  cl_set bad[] = {{"owner", "ghost"}};
  assert_int_equal(cl_store_edit(f->s, id, bad, 1, NULL, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "owner: there is no user named ghost"));
}

static void test_rejected_edit_writes_nothing(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37];
  cl_set a[] = {{"name", "Бета"}};
  assert_int_equal(cl_store_add(f->s, "org", a, 1, id, &err), 0);
  int64_t ob = count(f->s, "SELECT count(*) FROM outbox");
  cl_set bad[] = {{"city", "Омск"}, {"employees", "много"}};
  assert_int_not_equal(cl_store_edit(f->s, id, bad, 2, NULL, &err), 0);
  assert_non_null(strstr(err.msg, "employees"));
  cl_rec *r = NULL;
  assert_int_equal(cl_store_get(f->s, id, &r, &err), 0);
  assert_int_equal(r->v[kt_mtype_field(r->type, "city")->vidx].kind, KT_V_NULL);
  cl_rec_free(r);
  assert_int_equal(count(f->s, "SELECT count(*) FROM outbox"), ob);
  cl_set bad2[] = {{"name", "X"}, {"birthday", "1990-13-01"}};
  assert_int_not_equal(cl_store_add(f->s, "contact", bad2, 2, id, &err), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_contact"), 0);
}

static void test_search_and_trash(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37];
  cl_set a[] = {{"last_name", "Żółkiewska"}, {"first_name", "Agnieszka"}, {"phone_mobile", "+48 601 234 567"}};
  assert_int_equal(cl_store_add(f->s, "contact", a, 3, id, &err), 0);
  int n = 0;
  assert_int_equal(cl_store_search(f->s, "zolk", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 1);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "1234", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 1);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "agn", "org", 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 0);
  assert_int_equal(cl_store_delete(f->s, id, &err), 0);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "zolk", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 0);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "zolk", NULL, 0, true, count_cb, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_int_equal(cl_store_restore(f->s, id, &err), 0);
  /* editing the name replaces the index entry */
  cl_set b[] = {{"last_name", "Nowak"}};
  assert_int_equal(cl_store_edit(f->s, id, b, 1, NULL, &err), 0);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "zolk", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 0);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "nowa", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 1);
  /* a rebuild gives the same answers */
  assert_int_equal(cl_store_reindex(f->s, &err), 0);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "nowa", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_int_equal(cl_store_search(f->s, "  ,; ", NULL, 0, false, count_cb, &n, &err), KT_EINVAL);
}

static void test_custom_field_survives_reopen(void **state) {
  fx *f = *state;
  kt_err err;
  assert_int_equal(cl_store_field_add(f->s, "org", "inn", "ИНН", "text", NULL, &err), 0);
  assert_int_equal(cl_store_field_add(f->s, "org", "inn", "ИНН", "text", NULL, &err), KT_EEXISTS);
  assert_int_equal(cl_store_field_add(f->s, "org", "Bad", NULL, "text", NULL, &err), KT_EINVAL);
  char id[37];
  cl_set a[] = {{"name", "Гамма"}, {"inn", "7701234567"}};
  assert_int_equal(cl_store_add(f->s, "org", a, 2, id, &err), 0);
  assert_int_equal(cl_store_field_set(f->s, "org", "name", "Название", NULL, -1, &err), 0);
  cl_store_close(f->s);
  assert_int_equal(cl_store_open(f->path, NULL, &f->s, &err), 0);
  kt_mtype *t = kt_model_type(cl_store_model(f->s), "org");
  kt_mfield *inn = kt_mtype_field(t, "inn");
  assert_non_null(inn);
  assert_int_equal(inn->vidx, KT_CUSTOM_BASE);
  assert_string_equal(kt_mfield_label(kt_mtype_field(t, "name")), "Название");
  cl_rec *r = NULL;
  assert_int_equal(cl_store_get(f->s, id, &r, &err), 0);
  assert_string_equal(r->v[t->pos[inn->vidx]].s, "7701234567");
  assert_true(r->vers.f[inn->vidx].stamp > 0);
  cl_rec_free(r);
  int n = 0;
  assert_int_equal(cl_store_search(f->s, "7701234", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 1);
}

/* Custom fields org.inn then org.kpp, and an org with a kpp value (id out). */
static void two_custom_fields(fx *f, char id[37]) {
  kt_err err;
  assert_int_equal(cl_store_field_add(f->s, "org", "inn", "ИНН", "text", NULL, &err), 0);
  assert_int_equal(cl_store_field_add(f->s, "org", "kpp", "КПП", "text", NULL, &err), 0);
  cl_set a[] = {{"name", "Гамма"}, {"kpp", "770101001"}};
  assert_int_equal(cl_store_add(f->s, "org", a, 2, id, &err), 0);
}

/* A wipe (rights changed: the replica is rebuilt) keeps the field
 * definitions, so a custom field keeps its number: the record pulled again
 * stores its value in the same slot the model reads, and the field added
 * afterwards gets the next number rather than colliding. */
static void test_wipe_keeps_custom_field_numbering(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37];
  two_custom_fields(f, id);
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_field_def"), 2);
  assert_int_equal(cl_store_wipe(f->s, false, &err), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_org"), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_field_def"), 2);
  cl_store_close(f->s);
  assert_int_equal(cl_store_open(f->path, NULL, &f->s, &err), 0);
  kt_mtype *t = kt_model_type(cl_store_model(f->s), "org");
  assert_int_equal(kt_mtype_field(t, "inn")->vidx, KT_CUSTOM_BASE);
  assert_int_equal(kt_mtype_field(t, "kpp")->vidx, KT_CUSTOM_BASE + 1);
  assert_int_equal(cl_store_field_add(f->s, "org", "okpo", "ОКПО", "text", NULL, &err), 0);
  t = kt_model_type(cl_store_model(f->s), "org");
  assert_int_equal(kt_mtype_field(t, "okpo")->vidx, KT_CUSTOM_BASE + 2);
}

/* A custom field definition the replica loses (the server refused it, or it
 * was revoked) leaves its column: the fields defined after it keep their
 * numbers across a reopen, so their values and versions stay where the
 * model reads them. */
static void test_lost_field_def_keeps_later_numbers(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37];
  two_custom_fields(f, id);
  char def_id[37] = "";
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(cl_store_sqlite(f->s),
                                      "SELECT id FROM t_field_def WHERE name = 'inn'", -1, &st,
                                      NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  snprintf(def_id, sizeof def_id, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  assert_int_equal(cl_store_revoke(f->s, "field_def", def_id, &err), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_field_def"), 1);
  cl_store_close(f->s);
  assert_int_equal(cl_store_open(f->path, NULL, &f->s, &err), 0);
  kt_mtype *t = kt_model_type(cl_store_model(f->s), "org");
  assert_null(kt_mtype_field(t, "inn"));
  kt_mfield *kpp = kt_mtype_field(t, "kpp");
  assert_non_null(kpp);
  assert_int_equal(kpp->vidx, KT_CUSTOM_BASE + 1);
  cl_rec *r = NULL;
  assert_int_equal(cl_store_get(f->s, id, &r, &err), 0);
  assert_string_equal(r->v[t->pos[kpp->vidx]].s, "770101001");
  assert_true(r->vers.f[kpp->vidx].stamp > 0);
  cl_rec_free(r);
  assert_int_equal(cl_store_field_add(f->s, "org", "okpo", "ОКПО", "text", NULL, &err), 0);
  t = kt_model_type(cl_store_model(f->s), "org");
  assert_int_equal(kt_mtype_field(t, "okpo")->vidx, KT_CUSTOM_BASE + 2);
  cl_store_close(f->s);
  assert_int_equal(cl_store_open(f->path, NULL, &f->s, &err), 0);
  t = kt_model_type(cl_store_model(f->s), "org");
  assert_int_equal(kt_mtype_field(t, "okpo")->vidx, KT_CUSTOM_BASE + 2);
  assert_int_equal(kt_mtype_field(t, "kpp")->vidx, KT_CUSTOM_BASE + 1);
}

/* A pulled batch commits without a sync (synchronous=NORMAL) and the
 * connection is back to FULL afterwards, after a commit and after a rollback:
 * local edits are always synced. */
static void test_pulled_batch_is_relaxed_then_full(void **state) {
  fx *f = *state;
  kt_err err;
  assert_int_equal(count(f->s, "PRAGMA synchronous"), 2);
  assert_int_equal(cl_store_begin_pulled(f->s, false, &err), 0);
  assert_int_equal(count(f->s, "PRAGMA synchronous"), 1);
  assert_int_equal(cl_store_begin_pulled(f->s, false, &err), KT_EINVAL);
  assert_int_equal(cl_store_commit(f->s, &err), 0);
  assert_int_equal(count(f->s, "PRAGMA synchronous"), 2);
  assert_int_equal(cl_store_begin_pulled(f->s, true, &err), 0);
  cl_store_rollback(f->s);
  assert_int_equal(count(f->s, "PRAGMA synchronous"), 2);
  assert_int_equal(cl_store_begin(f->s, &err), 0);
  assert_int_equal(count(f->s, "PRAGMA synchronous"), 2);
  assert_int_equal(cl_store_commit(f->s, &err), 0);
}

/* Live updates leave their search-index merge for cl_store_maintain: the
 * segments they write pile up until it runs (and search finds them all along). */
static void test_live_batches_leave_the_merge_for_maintain(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37];
  for (int i = 0; i < 24; i++) {
    char name[32];
    snprintf(name, sizeof name, "Живая %d", i);
    cl_set a[] = {{"name", name}};
    assert_int_equal(cl_store_begin_pulled(f->s, true, &err), 0);
    assert_int_equal(cl_store_add(f->s, "org", a, 1, id, &err), 0);
    assert_int_equal(cl_store_commit(f->s, &err), 0);
  }
  int64_t before = count(f->s, "SELECT count(DISTINCT segid) FROM fts_idx");
  assert_true(before >= 6); /* FTS5's crisis merge caps a level at 16 */
  int n = 0;
  assert_int_equal(cl_store_search(f->s, "Живая", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 24);
  assert_int_equal(cl_store_maintain(f->s, &err), 0);
  int64_t after = count(f->s, "SELECT count(DISTINCT segid) FROM fts_idx");
  assert_true(after <= 2);
  assert_int_equal(count(f->s, "PRAGMA synchronous"), 2);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "Живая", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 24);
  assert_int_equal(cl_store_maintain(f->s, &err), 0); /* nothing owed: a no-op */
}

static void test_batch_rollback(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37];
  assert_int_equal(cl_store_begin(f->s, &err), 0);
  cl_set a[] = {{"name", "Дельта"}};
  for (int i = 0; i < 10; i++) assert_int_equal(cl_store_add(f->s, "org", a, 1, id, &err), 0);
  cl_store_rollback(f->s);
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_org"), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM outbox"), 0);
  assert_int_equal(cl_store_begin(f->s, &err), 0);
  for (int i = 0; i < 10; i++) assert_int_equal(cl_store_add(f->s, "org", a, 1, id, &err), 0);
  assert_int_equal(cl_store_commit(f->s, &err), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_org"), 10);
}

/* Inside a batch the index entries of new records are queued (written in rowid
 * order at commit): a search or an edit inside the batch still sees them, and a
 * rollback drops them with the rows. */
static void test_batch_index(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37], cid[37];
  int n;
  assert_int_equal(cl_store_begin(f->s, &err), 0);
  cl_set o[] = {{"name", "Северный Ветер"}, {"phone", "+7 (495) 123-45-67"}};
  cl_set c[] = {{"last_name", "Смирнова"}, {"phone_mobile", "8 916 765-43-21"}};
  for (int i = 0; i < 5; i++) {
    assert_int_equal(cl_store_add(f->s, "org", o, 2, id, &err), 0);
    assert_int_equal(cl_store_add(f->s, "contact", c, 2, cid, &err), 0);
  }
  n = 0;
  assert_int_equal(cl_store_search(f->s, "север", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 5);
  cl_set e[] = {{"last_name", "Кузнецова"}};
  assert_int_equal(cl_store_edit(f->s, cid, e, 1, NULL, &err), 0);
  cl_rec *r;
  assert_int_equal(cl_store_get(f->s, id, &r, &err), 0);
  cl_rec_free(r);
  assert_int_equal(cl_store_add(f->s, "org", o, 2, id, &err), 0);
  assert_int_equal(cl_store_commit(f->s, &err), 0);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "смирн", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 4);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "кузнец", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 1);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "северный", "org", 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 6);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "7654321", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 5);
  /* rollback drops the queued entries with the rows */
  assert_int_equal(cl_store_begin(f->s, &err), 0);
  cl_set d[] = {{"name", "Дельта"}};
  assert_int_equal(cl_store_add(f->s, "org", d, 1, id, &err), 0);
  cl_store_rollback(f->s);
  assert_int_equal(cl_store_add(f->s, "org", o, 1, id, &err), 0);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "дельта", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 0);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "северный", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 7);
  /* a reindex in a batch does not index the queued records twice */
  assert_int_equal(cl_store_begin(f->s, &err), 0);
  assert_int_equal(cl_store_add(f->s, "org", d, 1, id, &err), 0);
  assert_int_equal(cl_store_reindex(f->s, &err), 0);
  assert_int_equal(cl_store_commit(f->s, &err), 0);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "дельта", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 1);
  n = 0;
  assert_int_equal(cl_store_search(f->s, "север", NULL, 0, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 7);
}

static void test_hlc_persists(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37];
  cl_set a[] = {{"title", "Позвонить"}};
  assert_int_equal(cl_store_add(f->s, "task", a, 1, id, &err), 0);
  int64_t h1 = count(f->s, "SELECT value FROM meta WHERE key='hlc'");
  assert_true(h1 > 0);
  cl_store_close(f->s);
  assert_int_equal(cl_store_open(f->path, NULL, &f->s, &err), 0);
  assert_int_equal(cl_store_add(f->s, "task", a, 1, id, &err), 0);
  assert_true(count(f->s, "SELECT value FROM meta WHERE key='hlc'") > h1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_add_writes_row_versions_index_outbox, setup, teardown),
      cmocka_unit_test_setup_teardown(test_outbox_collapses_and_renumbers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_outbox_refusals_and_trash, setup, teardown),
      cmocka_unit_test_setup_teardown(test_referred_new_card_is_sent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_user_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rejected_edit_writes_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_search_and_trash, setup, teardown),
      cmocka_unit_test_setup_teardown(test_custom_field_survives_reopen, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wipe_keeps_custom_field_numbering, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lost_field_def_keeps_later_numbers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pulled_batch_is_relaxed_then_full, setup, teardown),
      cmocka_unit_test_setup_teardown(test_live_batches_leave_the_merge_for_maintain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_batch_rollback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_batch_index, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hlc_persists, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
