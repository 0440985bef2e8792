/* Unit tests for kt_rec (row SQL, load/bind round trip, canonical dump, the
 * merge order, the name key) and kt_change (record <-> protocol Change). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "kt_change.h"
#include "kt_migrate.h"
#include "kt_rec.h"

static const char *devs(void *ud, uint32_t idx) {
  (void)ud;
  return idx == 1 ? "01a20000-0000-7000-8000-00000000000a" : idx == 2 ? "01a20000-0000-7000-8000-00000000000b" : NULL;
}

static void test_merge_order(void **state) {
  (void)state;
  assert_true(kt_merge_cmp(10, "a", 9, "z") > 0);
  assert_true(kt_merge_cmp(9, "z", 10, "a") < 0);
  assert_true(kt_merge_cmp(10, "b", 10, "a") > 0); /* ties broken by the device UUID */
  assert_true(kt_merge_cmp(10, "a", 10, "b") < 0);
  assert_int_equal(kt_merge_cmp(10, "a", 10, "a"), 0);
  assert_true(kt_merge_cmp(1, "a", 0, "") > 0); /* anything beats never-written */
}

static void test_row_roundtrip_and_dump(void **state) {
  (void)state;
  sqlite3 *db;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  assert_int_equal(kt_migrate_apply(db, 0, NULL), 0);
  kt_model *m;
  assert_int_equal(kt_model_new(&m, NULL), 0);
  kt_mtype *org = kt_model_type(m, "org");
  kt_rec *r = kt_rec_new(org);
  kt_value_set_text(&r->v[KT_F_ID], "01a20000-0000-7000-8000-000000000001", 36);
  int name = org->pos[kt_mtype_field(org, "name")->vidx];
  int emp = org->pos[kt_mtype_field(org, "employees")->vidx];
  kt_value_set_text(&r->v[name], "ООО Ромашка", strlen("ООО Ромашка"));
  kt_value_set_int(&r->v[emp], 42);
  r->vers.f[kt_mtype_field(org, "name")->vidx] = (kt_fver){KT_STAMP_MAKE(1000, 1), 1};
  r->vers.f[kt_mtype_field(org, "employees")->vidx] = (kt_fver){KT_STAMP_MAKE(2000, 0), 2};
  kt_buf sql = KT_BUF_INIT, ver = KT_BUF_INIT;
  kt_recsql_insert(org, &sql);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, sql.p, -1, &st, NULL), SQLITE_OK);
  kt_vers_encode(&r->vers, NULL, &ver);
  kt_rec_bind(r, st, true, &ver);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  kt_buf_reset(&sql);
  kt_recsql_select(org, &sql);
  kt_buf_puts(&sql, " WHERE id = '01a20000-0000-7000-8000-000000000001'");
  assert_int_equal(sqlite3_prepare_v2(db, sql.p, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  kt_rec *back = kt_rec_new(org);
  assert_int_equal(kt_rec_load(back, st, NULL), 0);
  sqlite3_finalize(st);
  assert_string_equal(back->v[name].s, "ООО Ромашка");
  assert_int_equal(back->v[emp].i, 42);
  assert_false(kt_rec_deleted(back)); /* NULL deleted is stored as 0 */
  assert_memory_equal(&back->vers, &r->vers, sizeof r->vers);
  kt_buf a = KT_BUF_INIT, b = KT_BUF_INIT;
  kt_rec_dump_line(r, devs, NULL, &a);
  kt_rec_dump_line(back, devs, NULL, &b);
  assert_string_equal(a.p, b.p);
  assert_non_null(strstr(a.p, "name=ООО Ромашка@"));
  assert_non_null(strstr(a.p, "/01a20000-0000-7000-8000-00000000000b"));
  /* record -> Change -> values */
  Kartoteka__Change ch = KARTOTEKA__CHANGE__INIT;
  assert_int_equal(kt_change_from_rec(back, NULL, NULL, devs, NULL, &ch, NULL), 0);
  assert_int_equal(ch.n_fields, 2);
  assert_string_equal(ch.type, "org");
  for (size_t i = 0; i < ch.n_fields; i++) {
    kt_mfield *f = kt_mtype_field(org, ch.fields[i]->name);
    kt_value v = {KT_V_NULL, 0, NULL};
    assert_int_equal(kt_change_value(f, ch.fields[i], &v, NULL), 0);
    assert_true(kt_value_equal(&v, &back->v[org->pos[f->vidx]]));
    assert_true(ch.fields[i]->stamp == back->vers.f[f->vidx].stamp);
    kt_value_clear(&v);
  }
  /* a wrongly typed value is refused */
  Kartoteka__FieldValue bad = KARTOTEKA__FIELD_VALUE__INIT;
  bad.name = "employees";
  bad.value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
  bad.text = "many";
  kt_value v = {KT_V_NULL, 0, NULL};
  kt_err err;
  assert_int_equal(kt_change_value(kt_mtype_field(org, "employees"), &bad, &v, &err), KT_EINVAL);
  kt_change_clear(&ch);
  kt_buf_free(&a);
  kt_buf_free(&b);
  kt_buf_free(&sql);
  kt_buf_free(&ver);
  kt_rec_free(r);
  kt_rec_free(back);
  kt_model_free(m);
  sqlite3_close(db);
}

/* One org with custom fields a and b on two replicas that learned the fields in
 * opposite orders (so their version positions differ): the dumps are equal. */
static void dump_with_fields(const char *first, const char *second, kt_buf *out) {
  kt_model *m;
  bool added;
  assert_int_equal(kt_model_new(&m, NULL), 0);
  assert_int_equal(kt_model_apply_field_def(m, "org", first, NULL, "text", NULL, false, &added, NULL), 0);
  assert_int_equal(kt_model_apply_field_def(m, "org", second, NULL, "text", NULL, false, &added, NULL), 0);
  kt_mtype *org = kt_model_type(m, "org");
  kt_rec *r = kt_rec_new(org);
  kt_value_set_text(&r->v[KT_F_ID], "01a20000-0000-7000-8000-000000000001", 36);
  static const char *names[] = {"name", "cf_a", "cf_b"};
  for (int i = 0; i < 3; i++) {
    kt_mfield *f = kt_mtype_field(org, names[i]);
    kt_value_set_text(&r->v[org->pos[f->vidx]], names[i], strlen(names[i]));
    r->vers.f[f->vidx] = (kt_fver){KT_STAMP_MAKE(1000 + i, 0), 1};
  }
  kt_rec_dump_line(r, devs, NULL, out);
  kt_rec_free(r);
  kt_model_free(m);
}

static void test_dump_custom_field_order(void **state) {
  (void)state;
  kt_buf a = KT_BUF_INIT, b = KT_BUF_INIT;
  dump_with_fields("cf_a", "cf_b", &a);
  dump_with_fields("cf_b", "cf_a", &b);
  assert_string_equal(a.p, b.p);
  assert_non_null(strstr(a.p, " cf_a=cf_a@"));
  assert_true(strstr(a.p, " cf_a=") < strstr(a.p, " cf_b="));
  kt_buf_free(&a);
  kt_buf_free(&b);
}

/* Sets field name of r to text v (NULL: no value). */
static void put(kt_rec *r, const char *name, const char *v) {
  kt_mfield *f = kt_mtype_field(r->type, name);
  assert_non_null(f);
  kt_value *x = &r->v[r->type->pos[f->vidx]];
  kt_value_clear(x);
  if (v) kt_value_set_text(x, v, strlen(v));
}

/* The name key of a card built from (field, value) pairs of type, "" for none. */
static void key_of(kt_model *m, const char *type, const char *const *fv, int n, char *out,
                   size_t outsz) {
  kt_rec *r = kt_rec_new(kt_model_type(m, type));
  for (int i = 0; i < n; i++) put(r, fv[2 * i], fv[2 * i + 1]);
  if (!kt_rec_name_key(r, out, outsz)) out[0] = '\0';
  kt_rec_free(r);
}

static void test_name_key(void **state) {
  (void)state;
  kt_model *m;
  assert_int_equal(kt_model_new(&m, NULL), 0);
  char k[KT_NAME_KEY_MAX], k2[KT_NAME_KEY_MAX];
  /* folding: case, ё -> е, the place trimmed; quotes and the legal form are kept as written */
  const char *a[] = {"name", "ООО «Ёлка»", "city", "  Москва "};
  key_of(m, "org", a, 2, k, sizeof k);
  assert_string_equal(k, "n:ооо «елка»|москва");
  const char *b[] = {"name", "ооо «ЕЛКА»", "city", "МОСКВА"};
  key_of(m, "org", b, 2, k2, sizeof k2);
  assert_string_equal(k, k2);
  const char *c[] = {"name", "ООО \"Ёлка\"", "city", "Москва"};
  key_of(m, "org", c, 2, k2, sizeof k2);
  assert_string_equal(k2, "n:ооо \"елка\"|москва"); /* not normalised: another key */
  const char *pl[] = {"name", "Łódzka Spółka", "city", "Łódź"};
  key_of(m, "org", pl, 2, k2, sizeof k2);
  assert_string_equal(k2, "n:lodzka spolka|lodz");
  /* a contact: every title field (names), joined by one space, empty ones left out */
  const char *d[] = {"last_name", "Фёдоров", "first_name", "  Пётр", "middle_name", "",
                     "city", "Тверь"};
  key_of(m, "contact", d, 4, k, sizeof k);
  assert_string_equal(k, "n:федоров петр|тверь");
  /* no place, a blank place, no name, not a client type: no key */
  const char *e[] = {"name", "Ромашка"};
  key_of(m, "org", e, 1, k, sizeof k);
  assert_string_equal(k, "");
  const char *f[] = {"name", "Ромашка", "city", " \t"};
  key_of(m, "org", f, 2, k, sizeof k);
  assert_string_equal(k, "");
  const char *g[] = {"city", "Москва", "phone", "+7 495 111-22-33"};
  key_of(m, "org", g, 2, k, sizeof k);
  assert_string_equal(k, "");
  const char *h[] = {"title", "Ромашка", "description", "Москва"};
  key_of(m, "task", h, 2, k, sizeof k);
  assert_string_equal(k, "");
  /* a key that does not fit is no key (never a truncated one that could match another) */
  key_of(m, "org", a, 2, k, 12);
  assert_string_equal(k, "");
  /* which fields feed it */
  kt_mtype *org = kt_model_type(m, "org");
  assert_true(kt_mfield_in_name_key(kt_mtype_field(org, "name")));
  assert_true(kt_mfield_in_name_key(kt_mtype_field(org, "city")));
  assert_false(kt_mfield_in_name_key(kt_mtype_field(org, "phone")));
  assert_false(kt_mfield_in_name_key(kt_mtype_field(org, "street")));
  kt_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_merge_order),
      cmocka_unit_test(test_row_roundtrip_and_dump),
      cmocka_unit_test(test_dump_custom_field_order),
      cmocka_unit_test(test_name_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
