/* Unit tests for kt_rights: the shipped roles and their evaluation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kt_rights.h"

static int code(const char *t) { return kt_registry_type(t)->code; }

static void test_roles(void **state) {
  (void)state;
  kt_who boss = {"boss", NULL, 0, {{{0}}, 0, 0, 0, 0, 0, 0, 0}}, head = boss, anna = boss, asst = boss;
  anna.user = "anna";
  head.user = "head";
  asst.user = "asst";
  assert_int_equal(kt_rights_role("administrator", &boss.rights, NULL), 0);
  assert_int_equal(kt_rights_role("head_of_sales", &head.rights, NULL), 0);
  assert_int_equal(kt_rights_role("manager", &anna.rights, NULL), 0);
  assert_int_equal(kt_rights_role("assistant", &asst.rights, NULL), 0);
  kt_err err;
  assert_int_equal(kt_rights_role("king", &anna.rights, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "head_of_sales"));
  assert_int_equal(kt_rights_role("manager", &anna.rights, NULL), 0);
  int org = code("org");
  /* a manager: own cards only */
  assert_true(kt_rights_allows(&anna, org, KT_ACT_READ, "anna", NULL, NULL));
  assert_false(kt_rights_allows(&anna, org, KT_ACT_READ, "boris", NULL, NULL));
  assert_false(kt_rights_allows(&anna, org, KT_ACT_EDIT, "boris", NULL, NULL));
  assert_false(kt_rights_allows(&anna, org, KT_ACT_READ, NULL, NULL, NULL)); /* unassigned */
  assert_false(anna.rights.can_export || anna.rights.reassign || anna.rights.manage_users);
  /* but an assignee sees a colleague's event assigned to them */
  assert_true(kt_rights_allows(&anna, code("event"), KT_ACT_READ, "boris", NULL, "anna"));
  assert_false(kt_rights_allows(&anna, code("event"), KT_ACT_DELETE, "boris", NULL, "anna"));
  assert_false(kt_rights_allows(&anna, org, KT_ACT_READ, "boris", NULL, "anna")); /* orgs have no assignee */
  /* office configuration: everybody reads, only the administrator changes */
  assert_true(kt_rights_allows(&anna, code("field_def"), KT_ACT_READ, "boss", NULL, NULL));
  assert_false(kt_rights_allows(&head, code("field_def"), KT_ACT_EDIT, "boss", NULL, NULL));
  assert_true(kt_rights_allows(&boss, code("field_def"), KT_ACT_EDIT, "anna", NULL, NULL));
  /* head of sales: everything, reassign, no user management */
  assert_true(kt_rights_allows(&head, org, KT_ACT_DELETE, "boris", NULL, NULL));
  assert_true(head.rights.reassign && !head.rights.manage_users);
  /* assistant: reads all, changes nothing */
  assert_true(kt_rights_allows(&asst, org, KT_ACT_READ, "boris", NULL, NULL));
  assert_false(kt_rights_allows(&asst, org, KT_ACT_EDIT, "asst", NULL, NULL));
  /* reminder states and conflicts: one's own only, even for the head of sales */
  assert_false(kt_rights_allows(&head, code("reminder"), KT_ACT_READ, "anna", NULL, NULL));
  assert_true(kt_rights_allows(&anna, code("reminder"), KT_ACT_EDIT, "anna", NULL, NULL));
  /* bad input */
  assert_false(kt_rights_allows(&boss, 0, KT_ACT_READ, "x", NULL, NULL));
  assert_false(kt_rights_allows(&boss, org, (kt_action)7, "x", NULL, NULL));
}

static void test_group_level_and_fields(void **state) {
  (void)state;
  const char *groups[] = {"Продажи", "Продажи Москва"};
  kt_who w = {"anna", groups, 2, {{{0}}, 0, 0, 0, 0, 0, 0, 0}};
  assert_int_equal(kt_rights_role("manager", &w.rights, NULL), 0);
  int org = code("org");
  w.rights.lvl[org][KT_ACT_READ] = KT_LVL_GROUP; /* an office's own role */
  assert_true(kt_rights_allows(&w, org, KT_ACT_READ, "boris", "Продажи Москва", NULL));
  assert_false(kt_rights_allows(&w, org, KT_ACT_READ, "boris", "Снабжение", NULL));
  assert_false(kt_rights_allows(&w, org, KT_ACT_READ, "boris", NULL, NULL));
  kt_model *m;
  assert_int_equal(kt_model_new(&m, NULL), 0);
  kt_mtype *t = kt_model_type(m, "contact");
  assert_false(kt_rights_field_visible(&w, kt_mtype_field(t, "phone_mobile"), "boris"));
  assert_true(kt_rights_field_visible(&w, kt_mtype_field(t, "phone_mobile"), "anna"));
  assert_true(kt_rights_field_visible(&w, kt_mtype_field(t, "last_name"), "boris"));
  w.rights.see_contacts = true;
  assert_true(kt_rights_field_visible(&w, kt_mtype_field(t, "email"), "boris"));
  kt_model_free(m);
  assert_string_equal(kt_level_name(KT_LVL_GROUP), "group");
}

/* An assignee records results on a colleague's card, but does not move the
 * task, pass it on or plant a new one there (issue 12). */
static void test_assignee_does_not_move(void **state) {
  (void)state;
  kt_model *m = NULL;
  assert_int_equal(kt_model_new(&m, NULL), 0);
  const kt_mtype *task = kt_model_type(m, "task");
  kt_who anna = {"anna", NULL, 0, {{{0}}, 0, 0, 0, 0, 0, 0, 0}};
  assert_int_equal(kt_rights_role("manager", &anna.rights, NULL), 0);
  kt_scope boris_card = {"boris", "", "anna"}, anna_card = {"anna", "", "anna"};
  kt_err err;
  kt_change_kind edit = {.other = true};
  assert_int_equal(kt_rights_check(&anna, "manager", task, "t1", &boris_card, &boris_card, &edit, &err), 0);
  kt_change_kind move = {.other = true, .moves = true};
  assert_int_equal(kt_rights_check(&anna, "manager", task, "t1", &boris_card, &anna_card, &move, &err),
                   KT_EPERM);
  assert_non_null(strstr(err.msg, "may not move this task"));
  assert_non_null(strstr(err.msg, "boris"));
  assert_int_equal(kt_rights_check(&anna, "manager", task, "t1", &anna_card, &boris_card, &move, &err),
                   KT_EPERM);
  kt_change_kind create = {.isnew = true, .other = true};
  assert_int_equal(kt_rights_check(&anna, "manager", task, "t2", NULL, &boris_card, &create, &err),
                   KT_EPERM);
  assert_non_null(strstr(err.msg, "may not create this task"));
  /* her own card: she moves and creates as she likes */
  kt_scope anna_card2 = {"anna", "", "vera"};
  assert_int_equal(kt_rights_check(&anna, "manager", task, "t1", &anna_card, &anna_card2, &move, &err), 0);
  assert_int_equal(kt_rights_check(&anna, "manager", task, "t2", NULL, &anna_card, &create, &err), 0);
  kt_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roles),
      cmocka_unit_test(test_group_level_and_fields),
      cmocka_unit_test(test_assignee_does_not_move),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
