/* Unit tests for cl_store_kept (rolling upgrades): a pulled value of a field
 * this program does not know is kept as received instead of stopping sync
 * (before: KT_EVERSION "a change has the unknown field"), merged by stamp,
 * forgotten by a hidden marker or with its record, sent back unchanged in the
 * outbox's push of the record (marked kept), and moved into the record once
 * the field is known: its definition arrives, or the program is "upgraded"
 * (the test knob KT_TEST_UNKNOWN_FIELDS plays the older program). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "cl_store.h"
#include "kt_change.h"
#include "kt_hlc.h"
#include "t_store.h"

typedef t_store fx;

#define DEV "01890000-0000-7000-8000-0000000000aa"
#define CID "01890000-0000-7000-8000-000000000001"

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f || t_store_open(f, "kept")) return -1;
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

static uint64_t stamp(int64_t ms_ago) { return (kt_now_ms() - (uint64_t)ms_ago) << 16; }

static Kartoteka__FieldValue text_fv(const char *name, const char *text, uint64_t st) {
  Kartoteka__FieldValue v = KARTOTEKA__FIELD_VALUE__INIT;
  v.name = (char *)name;
  v.value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
  v.text = (char *)text;
  v.stamp = st;
  v.device = DEV;
  return v;
}

/* Applies a pulled change of type/id with the n values given. */
static int pull(cl_store *s, const char *type, const char *id, Kartoteka__FieldValue *vals,
                size_t n, kt_err *err) {
  Kartoteka__FieldValue *ptr[8];
  for (size_t i = 0; i < n; i++) ptr[i] = &vals[i];
  Kartoteka__Change ch = KARTOTEKA__CHANGE__INIT;
  ch.type = (char *)type;
  ch.id = (char *)id;
  ch.fields = ptr;
  ch.n_fields = n;
  int rc = cl_store_begin_pulled(s, false, err);
  if (!rc) rc = cl_store_apply(s, &ch, err);
  if (!rc) return cl_store_commit(s, err);
  cl_store_rollback(s);
  return rc;
}

static const char *text_of(cl_store *s, const char *id, const char *field, char *buf, size_t n) {
  cl_rec *r = NULL;
  kt_err err;
  buf[0] = 0;
  if (cl_store_get(s, id, &r, &err)) return NULL;
  kt_mfield *f = kt_mtype_field(r->type, field);
  const kt_value *v = f ? &r->v[r->type->pos[f->vidx]] : NULL;
  if (v && v->kind == KT_V_TEXT) snprintf(buf, n, "%s", v->s);
  cl_rec_free(r);
  return f ? buf : NULL;
}

/* The push the outbox would send for its first entry, kept values attached. */
typedef struct pushed {
  Kartoteka__Change ch;
  void *block;
  int rc;
  bool got;
} pushed;

typedef struct build_ctx {
  cl_store *s;
  pushed *p;
  kt_err *err;
} build_ctx;

static int build_first(void *ud, const cl_outbox_item *it) {
  build_ctx *b = ud;
  b->p->got = true;
  b->p->rc = kt_change_from_rec(it->rec_copy, &it->fields, &it->base, cl_store_devname, b->s,
                                &b->p->ch, b->err);
  if (!b->p->rc) b->p->rc = cl_store_kept_attach(b->s, it->rec_copy, &b->p->ch, &b->p->block, b->err);
  /* the change's strings point into the copy: keep it until the test is done */
  b->p->ch.type = strdup(b->p->ch.type);
  b->p->ch.id = strdup(b->p->ch.id);
  for (size_t i = 0; i < b->p->ch.n_fields; i++) {
    Kartoteka__FieldValue *v = b->p->ch.fields[i];
    if (!v->kept && v->value_case == KARTOTEKA__FIELD_VALUE__VALUE_TEXT) v->text = strdup(v->text);
  }
  cl_rec_free(it->rec_copy);
  return 1;
}

static void pushed_free(pushed *p) {
  for (size_t i = 0; i < p->ch.n_fields; i++) {
    Kartoteka__FieldValue *v = p->ch.fields[i];
    if (!v->kept && v->value_case == KARTOTEKA__FIELD_VALUE__VALUE_TEXT) free(v->text);
  }
  free(p->ch.type);
  free(p->ch.id);
  cl_store_kept_release(p->block);
  kt_change_clear(&p->ch);
}

static const Kartoteka__FieldValue *find_fv(const Kartoteka__Change *ch, const char *name) {
  for (size_t i = 0; i < ch->n_fields; i++)
    if (strcmp(ch->fields[i]->name, name) == 0) return ch->fields[i];
  return NULL;
}

/* A newer server's field: kept, merged, sent back, forgotten, then promoted
 * when its definition arrives. */
static void test_unknown_field_kept_and_sent_back(void **state) {
  fx *f = *state;
  cl_store *s = f->s;
  kt_err err;
  char buf[64];
  uint64_t s1 = stamp(30000), s0 = stamp(40000), s2 = stamp(20000);
  Kartoteka__FieldValue v[2] = {text_fv("last_name", "Иванов", s1), text_fv("nickname", "Kit", s1)};
  /* before: KT_EVERSION and the whole pull stopped */
  assert_int_equal(pull(s, "contact", CID, v, 2, &err), 0);
  assert_string_equal(text_of(s, CID, "last_name", buf, sizeof buf), "Иванов");
  assert_null(text_of(s, CID, "nickname", buf, sizeof buf)); /* not shown: not known */
  assert_int_equal(count(s, "SELECT count(*) FROM kept_value WHERE name = 'nickname' AND "
                            "value = 'Kit'"), 1);
  /* an older value loses, a newer one wins: the merge rule of every field */
  Kartoteka__FieldValue old = text_fv("nickname", "Old", s0);
  assert_int_equal(pull(s, "contact", CID, &old, 1, &err), 0);
  assert_int_equal(count(s, "SELECT count(*) FROM kept_value WHERE value = 'Kit'"), 1);
  Kartoteka__FieldValue newer = text_fv("nickname", "Kitty", s2);
  assert_int_equal(pull(s, "contact", CID, &newer, 1, &err), 0);
  assert_int_equal(count(s, "SELECT count(*) FROM kept_value WHERE value = 'Kitty'"), 1);
  assert_int_equal(count(s, "SELECT count(*) FROM kept_value"), 1);

  /* a local edit of the card: its push carries the kept value back unchanged */
  cl_set set = {"last_name", "Петров"};
  int changed = 0;
  assert_int_equal(cl_store_edit(s, CID, &set, 1, &changed, &err), 0);
  pushed p;
  memset(&p, 0, sizeof p);
  build_ctx b = {s, &p, &err};
  kartoteka__change__init(&p.ch);
  assert_int_equal(cl_store_outbox_walk(s, 1, build_first, &b, &err), 0);
  assert_true(p.got);
  assert_int_equal(p.rc, 0);
  const Kartoteka__FieldValue *ln = find_fv(&p.ch, "last_name"), *nick = find_fv(&p.ch, "nickname");
  assert_non_null(ln);
  assert_false(ln->kept);
  assert_string_equal(ln->text, "Петров");
  assert_non_null(nick);
  assert_true(nick->kept);
  assert_int_equal(nick->value_case, KARTOTEKA__FIELD_VALUE__VALUE_TEXT);
  assert_string_equal(nick->text, "Kitty");
  assert_true(nick->stamp == s2 && nick->base_stamp == s2);
  assert_string_equal(nick->device, DEV);
  /* it survives encoding (a real push) */
  size_t len = kartoteka__change__get_packed_size(&p.ch);
  uint8_t *wire = malloc(len);
  kartoteka__change__pack(&p.ch, wire);
  Kartoteka__Change *back = kartoteka__change__unpack(NULL, len, wire);
  assert_non_null(back);
  assert_true(find_fv(back, "nickname")->kept);
  kartoteka__change__free_unpacked(back, NULL);
  free(wire);
  pushed_free(&p);

  /* a hidden marker forgets it (the value is not the user's to see any more) */
  Kartoteka__FieldValue hid = KARTOTEKA__FIELD_VALUE__INIT;
  hid.name = "nickname";
  hid.is_null = true;
  hid.hidden = true;
  assert_int_equal(pull(s, "contact", CID, &hid, 1, &err), 0);
  assert_int_equal(count(s, "SELECT count(*) FROM kept_value"), 0);
  assert_int_equal(pull(s, "contact", CID, &newer, 1, &err), 0);
  assert_int_equal(count(s, "SELECT count(*) FROM kept_value"), 1);

  /* the definition arrives: the kept value moves into the card, with its version */
  const char *fid = "01890000-0000-7000-8000-0000000000f1";
  uint64_t sd = stamp(10000);
  Kartoteka__FieldValue def[4] = {text_fv("etype", "contact", sd), text_fv("name", "nickname", sd),
                                  text_fv("label", "Nick", sd), text_fv("ftype", "text", sd)};
  assert_int_equal(pull(s, "field_def", fid, def, 4, &err), 0);
  assert_string_equal(text_of(s, CID, "nickname", buf, sizeof buf), "Kitty");
  assert_string_equal(text_of(s, CID, "last_name", buf, sizeof buf), "Петров");
  assert_int_equal(count(s, "SELECT count(*) FROM kept_value"), 0);
  cl_rec *r = NULL;
  assert_int_equal(cl_store_get(s, CID, &r, &err), 0);
  kt_mfield *nf = kt_mtype_field(r->type, "nickname");
  assert_true(r->vers.f[nf->vidx].stamp == s2);
  assert_string_equal(cl_store_devname(s, r->vers.f[nf->vidx].dev), DEV);
  cl_rec_free(r);
}

/* A new record whose only values are unknown still exists (to hang them on),
 * and removing a record removes its kept values. */
static void test_new_record_with_only_unknown_values(void **state) {
  fx *f = *state;
  kt_err err;
  const char *id = "01890000-0000-7000-8000-000000000002";
  Kartoteka__FieldValue v = text_fv("future_field", "x", stamp(5000));
  assert_int_equal(pull(f->s, "org", id, &v, 1, &err), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_org"), 1);
  assert_int_equal(count(f->s, "SELECT count(*) FROM kept_value"), 1);
  assert_int_equal(cl_store_revoke(f->s, "org", id, &err), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_org"), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM kept_value"), 0);
}

/* An older program (the knob hides a built-in field) keeps the values; the
 * same replica opened by the "upgraded" program shows them. */
static void test_upgrade_promotes_at_open(void **state) {
  fx *f = *state;
  kt_err err;
  char buf[64];
  setenv("KT_TEST_UNKNOWN_FIELDS", "org.city,contact.position", 1); /* read at open */
  cl_store_close(f->s);
  assert_int_equal(cl_store_open(f->path, NULL, &f->s, &err), 0);
  Kartoteka__FieldValue v[2] = {text_fv("last_name", "Сидорова", stamp(9000)),
                                text_fv("position", "Директор", stamp(9000))};
  assert_int_equal(pull(f->s, "contact", CID, v, 2, &err), 0);
  assert_string_equal(text_of(f->s, CID, "position", buf, sizeof buf), "");
  assert_int_equal(count(f->s, "SELECT count(*) FROM kept_value"), 1);
  cl_store_close(f->s);
  f->s = NULL;
  /* still the older program: nothing moves */
  assert_int_equal(cl_store_open(f->path, NULL, &f->s, &err), 0);
  assert_int_equal(count(f->s, "SELECT count(*) FROM kept_value"), 1);
  cl_store_close(f->s);
  f->s = NULL;
  unsetenv("KT_TEST_UNKNOWN_FIELDS");
  assert_int_equal(cl_store_open(f->path, NULL, &f->s, &err), 0);
  assert_string_equal(text_of(f->s, CID, "position", buf, sizeof buf), "Директор");
  assert_int_equal(count(f->s, "SELECT count(*) FROM kept_value"), 0);
  /* a local edit after a pulled value: the newer (local) value stays */
  cl_set set = {"position", "Бухгалтер"};
  int changed = 0;
  assert_int_equal(cl_store_edit(f->s, CID, &set, 1, &changed, &err), 0);
  assert_string_equal(text_of(f->s, CID, "position", buf, sizeof buf), "Бухгалтер");
}

/* After a run of pulled new records (a fresh replica's pull) the next one is
 * inserted without looking its id up; a change of a record that is there
 * after all is refused by the id's UNIQUE constraint and applied as the
 * update it is: newer values win, older ones do not, a hidden marker clears. */
static void test_pulled_run_of_new_records(void **state) {
  fx *f = *state;
  kt_err err;
  char id[40], buf[64];
  for (int i = 0; i < 100; i++) {
    snprintf(id, sizeof id, "01890000-0000-7000-8000-0000000010%02x", i);
    snprintf(buf, sizeof buf, "Организация %d", i);
    Kartoteka__FieldValue v[] = {text_fv("name", buf, stamp(60000)),
                                 text_fv("email", "info@example.ru", stamp(60000))};
    assert_int_equal(pull(f->s, "org", id, v, 2, &err), 0);
  }
  const char *id3 = "01890000-0000-7000-8000-000000001003";
  Kartoteka__FieldValue newer = text_fv("name", "Переименована", stamp(1000));
  assert_int_equal(pull(f->s, "org", id3, &newer, 1, &err), 0);
  assert_string_equal(text_of(f->s, id3, "name", buf, sizeof buf), "Переименована");
  for (int i = 100; i < 200; i++) { /* another run */
    snprintf(id, sizeof id, "01890000-0000-7000-8000-0000000010%02x", i);
    Kartoteka__FieldValue v = text_fv("name", "Ещё одна", stamp(60000));
    assert_int_equal(pull(f->s, "org", id, &v, 1, &err), 0);
  }
  Kartoteka__FieldValue older = text_fv("name", "Старое имя", stamp(3600000));
  assert_int_equal(pull(f->s, "org", id3, &older, 1, &err), 0);
  assert_string_equal(text_of(f->s, id3, "name", buf, sizeof buf), "Переименована");
  for (int i = 200; i < 300; i++) {
    snprintf(id, sizeof id, "01890000-0000-7000-8000-00000000%04x", 0x2000 + i);
    Kartoteka__FieldValue v = text_fv("name", "И ещё", stamp(60000));
    assert_int_equal(pull(f->s, "org", id, &v, 1, &err), 0);
  }
  Kartoteka__FieldValue hide = text_fv("email", NULL, 0);
  hide.value_case = KARTOTEKA__FIELD_VALUE__VALUE__NOT_SET;
  hide.hidden = true;
  assert_int_equal(pull(f->s, "org", id3, &hide, 1, &err), 0);
  assert_string_equal(text_of(f->s, id3, "email", buf, sizeof buf), "");
  assert_string_equal(text_of(f->s, id3, "name", buf, sizeof buf), "Переименована");
  assert_int_equal(count(f->s, "SELECT count(*) FROM t_org"), 300);
  assert_int_equal(count(f->s, "SELECT count(DISTINCT id) FROM t_org"), 300);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_pulled_run_of_new_records, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_field_kept_and_sent_back, setup, teardown),
      cmocka_unit_test_setup_teardown(test_new_record_with_only_unknown_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_upgrade_promotes_at_open, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
