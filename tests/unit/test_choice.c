/* Unit tests for kt_choice and the choice fields of kt_model: codes and
 * labels ("code=Label", a bare word is both), found by code then label in
 * any case, shown by label, stored by code; lists an office gives are
 * checked (codes, repeats, labels that are codes, the codes the program
 * needs); a list saved without a needed code keeps it in the model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_choice.h"
#include "kt_model.h"
#include "kt_registry.h"

static void test_find_and_label(void **state) {
  (void)state;
  const char *list = " reached = Дозвонились , call_back=Перезвонить,other, no_answer=";
  kt_buf b = KT_BUF_INIT;
  assert_true(kt_choice_find(list, "перезвонить", &b)); /* a label, any case */
  assert_string_equal(kt_buf_str(&b), "call_back");
  kt_buf_reset(&b);
  assert_true(kt_choice_find(list, "CALL_BACK", &b)); /* a code */
  assert_string_equal(kt_buf_str(&b), "call_back");
  kt_buf_reset(&b);
  assert_true(kt_choice_find(list, "Other", &b)); /* a bare word */
  assert_string_equal(kt_buf_str(&b), "other");
  kt_buf_reset(&b);
  assert_true(kt_choice_find(list, "no_answer", &b)); /* "code=": its own label */
  assert_string_equal(kt_buf_str(&b), "no_answer");
  kt_buf_reset(&b);
  assert_false(kt_choice_find(list, "maybe", &b));
  kt_choice_label(list, "reached", &b);
  assert_string_equal(kt_buf_str(&b), "Дозвонились");
  kt_buf_reset(&b);
  kt_choice_label(list, "gone", &b); /* a value no longer on the list shows as is */
  assert_string_equal(kt_buf_str(&b), "gone");
  kt_buf_free(&b);
  assert_true(kt_choice_has_code(list, "call_back"));
  assert_false(kt_choice_has_code(list, "Перезвонить"));
  assert_false(kt_choice_has_code(NULL, "x"));
}

static void test_validate(void **state) {
  (void)state;
  kt_err err;
  assert_int_equal(kt_choice_validate("reached=Дозвонились,call_back=Перезвонить", "call_back",
                                      "event.result", &err), 0);
  assert_int_equal(kt_choice_validate("дозвонились,перезвонить", "call_back", "event.result", &err),
                   KT_EINVAL);
  assert_non_null(strstr(err.msg, "call_back cannot be removed"));
  assert_int_equal(kt_choice_validate("a,=B", NULL, "x.y", &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "needs a code"));
  assert_int_equal(kt_choice_validate("", NULL, "x.y", &err), KT_EINVAL);
  assert_int_equal(kt_choice_validate("a=X,A=Y", NULL, "x.y", &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "code a is given twice"));
  assert_int_equal(kt_choice_validate("a=X,b=x", NULL, "x.y", &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "given twice"));
  assert_int_equal(kt_choice_validate("a=b,b=C", NULL, "x.y", &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "also the code"));
  assert_int_equal(kt_choice_validate("a=A,b", NULL, "x.y", &err), 0); /* own code as label is fine */
}

static void test_model_choices(void **state) {
  (void)state;
  kt_model *m;
  kt_err err;
  assert_int_equal(kt_model_new(&m, &err), 0);
  kt_mfield *res = kt_mtype_field(kt_model_type(m, "event"), "result");
  kt_mfield *typ = kt_mtype_field(kt_model_type(m, "event"), "type");
  bool added;
  /* a list an older version saved without call_back: the model keeps it */
  assert_int_equal(kt_model_apply_field_def(m, "event", "result", NULL, NULL, "дозвонились,перезвонить",
                                            false, &added, &err), 0);
  assert_true(kt_choice_has_code(kt_mfield_choices(res), "call_back"));
  assert_true(kt_choice_has_code(kt_mfield_choices(res), "дозвонились"));
  /* codes with labels: parsed from either, stored as the code, shown as the label */
  assert_int_equal(kt_model_apply_field_def(m, "event", "result", NULL, NULL,
                                            "reached=Дозвонились,call_back=Перезвонить", false,
                                            &added, &err), 0);
  kt_value v = {KT_V_NULL, 0, NULL};
  assert_int_equal(kt_mfield_parse(res, "перезвонить", &v, &err), 0);
  assert_string_equal(v.s, "call_back");
  kt_buf b = KT_BUF_INIT;
  kt_mfield_format(res, &v, false, &b);
  assert_string_equal(kt_buf_str(&b), "Перезвонить");
  kt_buf_reset(&b);
  kt_mfield_format(res, &v, true, &b); /* JSON and the program: the code */
  assert_string_equal(kt_buf_str(&b), "call_back");
  kt_buf_free(&b);
  assert_int_equal(kt_mfield_parse(res, "order", &v, &err), KT_EINVAL);
  kt_value_clear(&v);
  /* the checks an office edit goes through */
  assert_int_equal(kt_mfield_choices_check(typ, "event", "meeting=Встреча", &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "event.type: the choice call cannot be removed"));
  assert_int_equal(kt_mfield_choices_check(typ, "event", "call=Звонок,meeting=Встреча", &err), 0);
  assert_int_equal(kt_mfield_choices_check(kt_mtype_field(kt_model_type(m, "org"), "name"), "org",
                                           "a,b", &err), KT_EINVAL);
  assert_int_equal(kt_mfield_choices_check(kt_mtype_field(kt_model_type(m, "org"), "size"), "org",
                                           "small=Малый,big=Крупный", &err), 0); /* needs nothing */
  kt_model_free(m);
}

/* every built-in list: each item a code and a label of its own, the label a
 * capitalised word (never the bare code people would read as "call") */
static int label_cb(void *ud, const kt_choice_item *it) {
  int *bare = ud;
  bool digit = it->code_len && it->code[0] >= '0' && it->code[0] <= '9'; /* stages: 0.5 */
  if (!digit && (it->label == it->code || it->label[0] < 'A' || it->label[0] > 'Z')) (*bare)++;
  return 0;
}

static void test_registry_lists(void **state) {
  (void)state;
  int n = 0;
  const kt_typedef *types = kt_registry_types(&n);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < types[i].nfields; k++) {
      const kt_fielddef *f = &types[i].fields[k];
      if (f->type != KT_FT_CHOICE || !f->choices) continue;
      kt_err err;
      kt_err_clear(&err);
      assert_int_equal(kt_choice_validate(f->choices, NULL, f->name, &err), 0);
      /* the program's own states (reminders, field types, templates) are never shown */
      if (types[i].flags & KT_TF_CONFIG) continue;
      int bare = 0;
      kt_choice_each(f->choices, label_cb, &bare);
      if (bare) fail_msg("%s.%s: %d choices without an English label", types[i].name, f->name, bare);
    }
  kt_model *m;
  assert_int_equal(kt_model_new(&m, NULL), 0);
  const kt_mfield *ty = kt_mtype_field(kt_model_type(m, "event"), "type");
  kt_buf b = KT_BUF_INIT;
  kt_choice_label(kt_mfield_choices(ty), "call", &b);
  assert_string_equal(kt_buf_str(&b), "Call");
  kt_buf_reset(&b);
  assert_true(kt_choice_find(kt_mfield_choices(ty), "CALL", &b));
  assert_string_equal(kt_buf_str(&b), "call");
  kt_buf_free(&b);
  kt_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_find_and_label),
      cmocka_unit_test(test_validate),
      cmocka_unit_test(test_model_choices),
      cmocka_unit_test(test_registry_lists),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
