/* Unit tests for kt_registry, kt_model (custom fields, overrides, parsing) and
 * kt_ver (version blobs and field sets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_model.h"
#include "kt_ver.h"

static void test_registry_common_fields(void **state) {
  (void)state;
  int n;
  const kt_typedef *t = kt_registry_types(&n);
  assert_true(n >= 10);
  for (int i = 0; i < n; i++) {
    assert_string_equal(t[i].fields[KT_F_ID].name, "id");
    assert_string_equal(t[i].fields[KT_F_OWNER].name, "owner");
    assert_string_equal(t[i].fields[KT_F_DELETED].name, "deleted");
    assert_true(t[i].nfields < KT_CUSTOM_BASE);
    assert_ptr_equal(kt_registry_type_by_code(t[i].code), &t[i]);
    for (int k = 0; k < t[i].nfields; k++)
      for (int j = k + 1; j < t[i].nfields; j++)
        assert_string_not_equal(t[i].fields[k].name, t[i].fields[j].name);
  }
  /* the stable names of DESIGN.md */
  const char *org[] = {"name", "legal_name", "tax_id", "industry", "size", "employees", "turnover",
                       "country", "region", "city", "street", "phone", "phone2", "email", "site",
                       "work_hours", "best_time", "channel", "stage", "color", "temperature",
                       "comment"};
  const kt_typedef *o = kt_registry_type("org");
  for (size_t i = 0; i < sizeof org / sizeof org[0]; i++)
    assert_non_null(kt_registry_field(o, org[i], NULL));
  assert_null(kt_registry_type("company"));
}

static void test_parse_values(void **state) {
  (void)state;
  kt_model *m;
  assert_int_equal(kt_model_new(&m, NULL), 0);
  kt_mtype *org = kt_model_type(m, "org");
  kt_value v = {0};
  kt_err err;
  assert_int_equal(kt_mfield_parse(kt_mtype_field(org, "employees"), " 42 ", &v, &err), 0);
  assert_int_equal(v.kind, KT_V_INT);
  assert_int_equal(v.i, 42);
  assert_int_equal(kt_mfield_parse(kt_mtype_field(org, "employees"), "много", &v, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "employees"));
  assert_int_equal(kt_mfield_parse(kt_mtype_field(org, "turnover"), "1 234,50", &v, &err), 0);
  assert_int_equal(v.i, 123450);
  assert_int_equal(kt_mfield_parse(kt_mtype_field(org, "temperature"), "HOT", &v, &err), 0);
  assert_string_equal(v.s, "hot");
  assert_int_equal(kt_mfield_parse(kt_mtype_field(org, "temperature"), "tepid", &v, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "Cold, Warm, Hot"));
  /* a built-in choice: its English label is a word, what is stored stays the code */
  const kt_mfield *ty = kt_mtype_field(kt_model_type(m, "event"), "type");
  assert_int_equal(kt_mfield_parse(ty, "Call", &v, &err), 0);
  assert_string_equal(v.s, "call");
  assert_int_equal(kt_mfield_parse(ty, "call", &v, &err), 0);
  assert_string_equal(v.s, "call");
  kt_buf lb = KT_BUF_INIT;
  kt_mfield_format(ty, &v, false, &lb);
  assert_string_equal(kt_buf_str(&lb), "Call");
  kt_buf_reset(&lb);
  kt_mfield_format(ty, &v, true, &lb);
  assert_string_equal(kt_buf_str(&lb), "call");
  kt_buf_free(&lb);
  assert_int_equal(kt_mfield_parse(kt_mtype_field(org, "email"), " Info@Firma.RU ", &v, &err), 0);
  assert_string_equal(v.s, "info@firma.ru");
  assert_int_equal(kt_mfield_parse(kt_mtype_field(org, "name"), "", &v, &err), 0);
  assert_int_equal(v.kind, KT_V_NULL);
  kt_mtype *ev = kt_model_type(m, "event");
  assert_int_equal(kt_mfield_parse(kt_mtype_field(ev, "rrule"), "freq=weekly;byday=mo", &v, &err), 0);
  assert_string_equal(v.s, "FREQ=WEEKLY;BYDAY=MO");
  assert_int_equal(kt_mfield_parse(kt_mtype_field(ev, "rrule"), "whenever", &v, &err), KT_EINVAL);
  kt_value_clear(&v);
  kt_model_free(m);
}

static void test_custom_fields_and_overrides(void **state) {
  (void)state;
  kt_model *m;
  assert_int_equal(kt_model_new(&m, NULL), 0);
  bool added = false;
  kt_err err;
  assert_int_equal(kt_model_apply_field_def(m, "org", "inn", "ИНН", "text", NULL, false, &added, &err), 0);
  assert_true(added);
  assert_int_equal(kt_model_apply_field_def(m, "org", "vip", "VIP", "bool", NULL, false, &added, &err), 0);
  kt_mtype *org = kt_model_type(m, "org");
  assert_int_equal(kt_mtype_field(org, "inn")->vidx, KT_CUSTOM_BASE);
  assert_int_equal(kt_mtype_field(org, "vip")->vidx, KT_CUSTOM_BASE + 1);
  assert_string_equal(kt_mtype_field(org, "inn")->column, "c_inn");
  /* a reserved slot (a lost definition's column) is skipped by the next field */
  assert_int_equal(kt_model_reserve_custom(m, "org", &err), 0);
  assert_int_equal(kt_model_reserve_custom(m, "nosuch", &err), KT_EINVAL);
  assert_int_equal(kt_model_apply_field_def(m, "org", "okpo", NULL, "text", NULL, false, &added, &err), 0);
  assert_int_equal(kt_mtype_field(org, "okpo")->vidx, KT_CUSTOM_BASE + 3);
  assert_null(kt_mtype_field_by_vidx(org, KT_CUSTOM_BASE + 2));
  assert_ptr_equal(kt_mtype_field_by_vidx(org, KT_CUSTOM_BASE + 1), kt_mtype_field(org, "vip"));
  /* override of a built-in: label and choices, no new field */
  assert_int_equal(kt_model_apply_field_def(m, "event", "result", NULL, NULL, "да,нет", false, &added, &err), 0);
  assert_false(added);
  kt_value v = {0};
  kt_mtype *ev = kt_model_type(m, "event");
  assert_int_equal(kt_mfield_parse(kt_mtype_field(ev, "result"), "Да", &v, &err), 0);
  assert_string_equal(v.s, "да");
  assert_int_equal(kt_mfield_parse(kt_mtype_field(ev, "result"), "order", &v, &err), KT_EINVAL);
  kt_value_clear(&v);
  assert_int_equal(kt_model_apply_field_def(m, "org", "name", "Название", NULL, NULL, false, &added, &err), 0);
  assert_string_equal(kt_mfield_label(kt_mtype_field(org, "name")), "Название");
  /* bad definitions */
  assert_int_equal(kt_model_apply_field_def(m, "org", "1x", NULL, "text", NULL, false, &added, &err), KT_EINVAL);
  assert_int_equal(kt_model_apply_field_def(m, "org", "ok", NULL, "blob", NULL, false, &added, &err), KT_EINVAL);
  assert_int_equal(kt_model_apply_field_def(m, "nope", "ok", NULL, "text", NULL, false, &added, &err), KT_EINVAL);
  assert_int_equal(kt_model_apply_section(m, "org", "Клиенты", false, &err), 0);
  assert_string_equal(kt_mtype_label(org), "Клиенты");
  kt_mfield *f;
  assert_int_equal(kt_mtype_field_get(org, "nmae", &f, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "legal_name"));
  kt_model_free(m);
}

static void test_versions_blob(void **state) {
  (void)state;
  kt_vers v;
  memset(&v, 0, sizeof v);
  for (int i = 1; i < 20; i++) v.f[i] = (kt_fver){KT_STAMP_MAKE(1732262400000ull, 1), 1};
  v.f[7] = (kt_fver){KT_STAMP_MAKE(1732262400500ull, 3), 2};
  v.f[KT_CUSTOM_BASE + 2] = (kt_fver){KT_STAMP_MAKE(1732262400600ull, 0), 1};
  kt_buf b = KT_BUF_INIT;
  kt_vers_encode(&v, NULL, &b);
  assert_true(b.len < 50); /* three groups */
  kt_vers w;
  assert_int_equal(kt_vers_decode(b.p, b.len, &w), 0);
  assert_memory_equal(&v, &w, sizeof v);
  assert_true(kt_vers_max(&w) == KT_STAMP_MAKE(1732262400600ull, 0));
  /* subset encoding */
  kt_fset only = {{0, 0}};
  kt_fset_add(&only, 7);
  kt_buf_reset(&b);
  kt_vers_encode(&v, &only, &b);
  assert_int_equal(kt_vers_decode(b.p, b.len, &w), 0);
  assert_true(w.f[7].stamp == v.f[7].stamp);
  assert_true(w.f[1].stamp == 0);
  /* malformed */
  assert_int_equal(kt_vers_decode(b.p, b.len - 1, &w), -1);
  unsigned char junk[] = {0xff, 0xff, 0xff};
  assert_int_equal(kt_vers_decode(junk, sizeof junk, &w), -1);
  kt_fset s = {{0, 0}}, t;
  kt_fset_add(&s, 0);
  kt_fset_add(&s, 127);
  kt_buf_reset(&b);
  kt_fset_encode(&s, &b);
  assert_int_equal(kt_fset_decode(b.p, b.len, &t), 0);
  assert_true(kt_fset_has(&t, 0) && kt_fset_has(&t, 127) && !kt_fset_has(&t, 64));
  kt_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry_common_fields),
      cmocka_unit_test(test_parse_values),
      cmocka_unit_test(test_custom_fields_and_overrides),
      cmocka_unit_test(test_versions_blob),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
