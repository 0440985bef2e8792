/* Unit tests for kt_tags: parsing what people type ("VIP, Опт", Google's " ::: "),
 * folding for uniqueness (case, ё/е, diacritics), the sorted derived list, the
 * derived element id, the element check the server applies, the tags field
 * type in the model (parsing, custom fields) and the rights of taggings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_rights.h"
#include "kt_tags.h"

static char *joined(const char *text) {
  kt_tags l = KT_TAGS_INIT;
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_tags_parse(&l, text, NULL), 0);
  kt_tags_join(&l, &b);
  kt_tags_free(&l);
  char *s = strdup(kt_buf_str(&b));
  kt_buf_free(&b);
  return s;
}

static void expect_join(const char *text, const char *want) {
  char *s = joined(text);
  assert_string_equal(s, want);
  free(s);
}

static void test_parse_trim_fold_unique(void **state) {
  (void)state;
  expect_join("VIP, Опт", "VIP, Опт");
  expect_join("  Опт ,VIP,,  ", "VIP, Опт");          /* trimmed, empty items skipped */
  expect_join("VIP,vip, Vip ", "VIP");                  /* case: the first spelling kept */
  expect_join("Ёлка,елка,ЕЛКА", "Ёлка");                /* ё/е fold like search */
  expect_join("Łódź, lodz", "Łódź");                    /* diacritics too */
  expect_join("b,a,C", "a, b, C");                      /* sorted by folded form */
  expect_join("VIP ::: * myContacts ::: Опт", "* myContacts, VIP, Опт"); /* Google Labels */
  expect_join("", "");
  expect_join(" , ,", "");
}

static void test_find_remove(void **state) {
  (void)state;
  kt_tags l = KT_TAGS_INIT;
  bool added = false;
  assert_int_equal(kt_tags_add(&l, " Опт ", strlen(" Опт "), &added, NULL), 0);
  assert_true(added);
  assert_int_equal(kt_tags_add(&l, "ОПТ", strlen("ОПТ"), &added, NULL), 0);
  assert_false(added);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.v[0].text, "Опт");
  assert_int_equal(kt_tags_find(&l, "опт"), 0);
  assert_int_equal(kt_tags_find(&l, "VIP"), -1);
  kt_tags_remove(&l, 0);
  assert_int_equal(l.n, 0);
  kt_tags_free(&l);
  assert_true(kt_tags_has("VIP, Опт", "опт"));
  assert_true(kt_tags_has("VIP, Опт", " vip "));
  assert_false(kt_tags_has("VIP, Опт", "оп"));    /* a whole tag, not a part */
  assert_false(kt_tags_has("", "VIP"));
}

static void test_bad_tags(void **state) {
  (void)state;
  kt_tags l = KT_TAGS_INIT;
  kt_err e;
  char longtag[KT_TAG_MAX + 2];
  memset(longtag, 'x', sizeof longtag - 1);
  longtag[sizeof longtag - 1] = '\0';
  assert_int_equal(kt_tags_parse(&l, longtag, &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "longer than"));
  assert_int_equal(kt_tags_parse(&l, "a\nb", &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "line breaks"));
  assert_int_equal(kt_tags_parse(&l, "ok,\xff\xfe", &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "UTF-8"));
  assert_int_equal(kt_tags_valid("  ", 2, &e), KT_EINVAL);
  assert_int_equal(kt_tags_valid("a,b", 3, &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "comma"));
  kt_tags_free(&l);
}

static void test_derived_id(void **state) {
  (void)state;
  const char *card = "0193a1b2-0000-7000-8000-000000000001";
  char a[KT_UUID_STRLEN + 1], b[KT_UUID_STRLEN + 1], c[KT_UUID_STRLEN + 1], d[KT_UUID_STRLEN + 1];
  kt_tags_id(card, "tags", "Ёлка", a);
  kt_tags_id(card, "tags", " елка ", b); /* folds alike: the same record on every PC */
  kt_tags_id(card, "hobby", "Ёлка", c);  /* another field */
  kt_tags_id("0193a1b2-0000-7000-8000-000000000002", "tags", "Ёлка", d);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  assert_string_not_equal(a, d);
  assert_true(kt_uuid_str_is_valid(a));
  kt_uuid u;
  assert_int_equal(kt_uuid_parse(a, &u), 0);
  assert_int_equal(kt_uuid_version(&u), 8);
  /* stable across versions: the same text as the SHA-256 name-based rule gives */
  kt_uuid_derive("tag|0193a1b2-0000-7000-8000-000000000001|tags|елка",
                    strlen("tag|0193a1b2-0000-7000-8000-000000000001|tags|елка"), b);
  assert_string_equal(a, b);
}

static void set(kt_mtype *t, kt_value *v, const char *name, const char *text) {
  kt_mfield *f = kt_mtype_field(t, name);
  assert_non_null(f);
  assert_int_equal(kt_value_set_text(&v[t->pos[f->vidx]], text, strlen(text)), 0);
}

static void test_element_check(void **state) {
  (void)state;
  kt_model *m;
  assert_int_equal(kt_model_new(&m, NULL), 0);
  kt_mtype *et = kt_tags_elem_type(m);
  assert_non_null(et);
  assert_string_equal(et->def->name, "tagging");
  assert_non_null(kt_tags_card_ref(et, "org"));
  assert_non_null(kt_tags_card_ref(et, "contact"));
  assert_null(kt_tags_card_ref(et, "deal"));
  const char *card = "0193a1b2-0000-7000-8000-000000000001";
  char id[KT_UUID_STRLEN + 1];
  kt_tags_id(card, "tags", "VIP", id);
  kt_value *v = calloc((size_t)et->nfields, sizeof *v);
  set(et, v, "org", card);
  set(et, v, "field", "tags");
  set(et, v, "tag", "VIP");
  kt_err e;
  assert_int_equal(kt_tags_elem_check(m, et, id, v, &e), 0);
  kt_tags_elem te;
  assert_true(kt_tags_elem_of(et, v, &te));
  assert_string_equal(te.card_type, "org");
  assert_string_equal(te.card_id, card);
  /* an id that is not derived from the values */
  assert_int_equal(kt_tags_elem_check(m, et, "0193a1b2-0000-7000-8000-00000000beef", v, &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "derived"));
  /* a field that is not a tags field */
  set(et, v, "field", "name");
  kt_tags_id(card, "name", "VIP", id);
  assert_int_equal(kt_tags_elem_check(m, et, id, v, &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "not a tags field"));
  /* an untrimmed tag, and two cards at once */
  set(et, v, "field", "tags");
  set(et, v, "tag", " VIP");
  kt_tags_id(card, "tags", " VIP", id);
  assert_int_equal(kt_tags_elem_check(m, et, id, v, &e), KT_EINVAL);
  set(et, v, "tag", "VIP");
  set(et, v, "contact", card);
  assert_false(kt_tags_elem_of(et, v, &te));
  assert_int_equal(kt_tags_elem_check(m, et, id, v, &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "exactly one card"));
  for (int i = 0; i < et->nfields; i++) kt_value_clear(&v[i]);
  free(v);
  kt_model_free(m);
}

static void test_model_tags_field(void **state) {
  (void)state;
  kt_model *m;
  assert_int_equal(kt_model_new(&m, NULL), 0);
  kt_mtype *org = kt_model_type(m, "org");
  kt_mfield *f = kt_mtype_field(org, "tags");
  assert_non_null(f);
  assert_true(kt_ftype_is_multi(f->type));
  assert_false(kt_ftype_is_multi(KT_FT_TEXT));
  assert_string_equal(kt_ftype_name(KT_FT_TAGS), "tags");
  assert_true(kt_ftype_is_custom(KT_FT_TAGS));
  assert_non_null(strstr(KT_FTYPE_CUSTOM_LIST, "tags"));
  kt_value v = {KT_V_NULL, 0, NULL};
  assert_int_equal(kt_mfield_parse(f, " опт, VIP,Опт ", &v, NULL), 0);
  assert_string_equal(v.s, "VIP, опт"); /* the canonical list */
  assert_int_equal(kt_mfield_check(f, &v, NULL), 0);
  kt_value_clear(&v);
  kt_err e;
  assert_int_equal(kt_mfield_parse(f, "a\tb", &v, &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "tags: "));
  /* a custom tags field: on organizations and contacts, not elsewhere */
  bool added = false;
  assert_int_equal(kt_model_apply_field_def(m, "contact", "hobby", "Hobbies", "tags", NULL, false,
                                            &added, NULL), 0);
  assert_true(added);
  kt_mfield *h = kt_mtype_field(kt_model_type(m, "contact"), "hobby");
  assert_non_null(h);
  assert_true(h->flags & KT_FF_SEARCH);
  assert_int_equal(kt_model_apply_field_def(m, "deal", "labels", "Labels", "tags", NULL, false,
                                            &added, &e), KT_EINVAL);
  assert_non_null(strstr(e.msg, "organizations and contacts"));
  kt_model_free(m);
}

static void test_rights_follow_cards(void **state) {
  (void)state;
  const kt_typedef *tg = kt_registry_type("tagging"), *org = kt_registry_type("org");
  assert_non_null(tg);
  assert_true(tg->flags & KT_TF_ELEMENT);
  assert_false(tg->flags & KT_TF_USER); /* hidden: not a type people name */
  assert_null(strstr(kt_registry_type_names(), "tagging"));
  kt_rights r;
  assert_int_equal(kt_rights_role("manager", &r, NULL), 0);
  assert_int_equal(r.lvl[tg->code][KT_ACT_READ], r.lvl[org->code][KT_ACT_READ]);
  assert_int_equal(r.lvl[tg->code][KT_ACT_EDIT], r.lvl[org->code][KT_ACT_EDIT]);
  assert_int_equal(r.lvl[tg->code][KT_ACT_DELETE], r.lvl[org->code][KT_ACT_EDIT]);
  assert_int_equal(kt_rights_role("assistant", &r, NULL), 0);
  assert_int_equal(r.lvl[tg->code][KT_ACT_EDIT], KT_LVL_NONE); /* reads, never tags */
  /* the text form leaves them out, and a role's text cannot give more than the cards */
  kt_buf b = KT_BUF_INIT;
  kt_rights_format(&r, &b);
  assert_null(strstr(kt_buf_str(&b), "tagging"));
  kt_buf_free(&b);
  assert_int_equal(kt_rights_parse("org=own/own/own tagging=all/all/all", &r, NULL), 0);
  assert_int_equal(r.lvl[tg->code][KT_ACT_EDIT], KT_LVL_OWN);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_trim_fold_unique), cmocka_unit_test(test_find_remove),
      cmocka_unit_test(test_bad_tags),               cmocka_unit_test(test_derived_id),
      cmocka_unit_test(test_element_check),          cmocka_unit_test(test_model_tags_field),
      cmocka_unit_test(test_rights_follow_cards),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
