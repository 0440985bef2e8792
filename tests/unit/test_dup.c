/* Unit tests for cl_dup (claim and name keys, the index, groups) and cl_merge
 * on a standalone store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cl_dup.h"
#include "cl_merge.h"
#include "kt_buf.h"
#include "t_store.h"

static int setup(void **state) {
  t_store *t = calloc(1, sizeof *t);
  if (!t || t_store_open(t, "dup")) return -1;
  *state = t;
  return 0;
}

static void add(t_store *t, const char *type, const cl_set *s, int n, char id[37]) {
  kt_err err;
  assert_int_equal(cl_store_add(t->s, type, s, n, id, &err), 0);
}

static void test_keys(void **state) {
  t_store *t = *state;
  char id[37];
  cl_set a[] = {{"name", "ООО  Ромашка"}, {"phone", "8 (495) 111-22-33"}, {"phone2", "+7 495 111 22 33"},
                {"email", "Info@Romashka.RU"}, {"tax_id", "7701 234-567"}, {"city", "Москва"}};
  add(t, "org", a, 6, id);
  cl_rec *r;
  kt_err err;
  assert_int_equal(cl_store_get(t->s, id, &r, &err), 0);
  cl_dupkey k[CL_DUP_MAX_KEYS];
  int n = cl_dup_rec_keys(r, k, CL_DUP_MAX_KEYS);
  assert_int_equal(n, 4); /* the same phone twice is one key */
  kt_buf all = KT_BUF_INIT;
  for (int i = 0; i < n; i++) kt_buf_printf(&all, "[%s]", k[i].key);
  assert_non_null(strstr(kt_buf_str(&all), "[p:74951112233]"));
  assert_non_null(strstr(kt_buf_str(&all), "[e:info@romashka.ru]"));
  assert_non_null(strstr(kt_buf_str(&all), "[t:7701234567]"));
  assert_non_null(strstr(kt_buf_str(&all), "[n:ооо  ромашка|москва]"));
  kt_buf_free(&all);
  assert_string_equal(cl_dup_key_reason(k[3].key), "name and city");
  char nk[KT_NAME_KEY_MAX]; /* the very key the server keeps */
  assert_true(kt_rec_name_key(r, nk, sizeof nk));
  assert_string_equal(k[3].key, nk);
  cl_rec_free(r);
  /* no city: no name key; not a client type: no keys */
  cl_set b[] = {{"name", "Лютик"}};
  add(t, "org", b, 1, id);
  assert_int_equal(cl_store_get(t->s, id, &r, &err), 0);
  assert_int_equal(cl_dup_rec_keys(r, k, CL_DUP_MAX_KEYS), 0);
  cl_rec_free(r);
  cl_set c[] = {{"title", "+7 495 111 22 33"}};
  add(t, "task", c, 1, id);
  assert_int_equal(cl_store_get(t->s, id, &r, &err), 0);
  assert_int_equal(cl_dup_rec_keys(r, k, CL_DUP_MAX_KEYS), 0);
  cl_rec_free(r);
}

static void test_groups(void **state) {
  t_store *t = *state;
  char a[37], b[37], c[37], d[37], e[37];
  cl_set s1[] = {{"name", "Ромашка"}, {"phone", "+7 495 111-22-33"}};
  cl_set s2[] = {{"name", "Ромашка-2"}, {"phone", "84951112233"}, {"email", "x@y.ru"}};
  cl_set s3[] = {{"name", "Другая"}, {"email", "X@Y.ru"}};         /* joins through the e-mail */
  cl_set s4[] = {{"last_name", "Иванов"}, {"city", "Тверь"}};
  cl_set s5[] = {{"last_name", "ИВАНОВ"}, {"city", "тверь"}};
  add(t, "org", s1, 2, a);
  add(t, "org", s2, 3, b);
  add(t, "org", s3, 2, c);
  add(t, "contact", s4, 2, d);
  add(t, "contact", s5, 2, e);
  cl_dupidx *x;
  kt_err err;
  assert_int_equal(cl_dupidx_new(&x, &err), 0);
  assert_int_equal(cl_dupidx_load(x, t->s, NULL, &err), 0);
  const cl_duprec *r = cl_dupidx_find(x, "p:74951112233", 0);
  assert_non_null(r);
  assert_true(strcmp(r->id, a) == 0 || strcmp(r->id, b) == 0);
  assert_null(cl_dupidx_find(x, "p:74951112233", kt_registry_type("contact")->code));
  cl_dupgroup *g;
  int ng;
  assert_int_equal(cl_dupidx_groups(x, 0, &g, &ng, &err), 0);
  assert_int_equal(ng, 2);
  assert_int_equal(g[0].nrecs, 3);
  assert_int_equal(g[0].score, 95); /* e-mail 90 + phone */
  assert_non_null(strstr(g[0].reasons, "same phone 74951112233"));
  assert_non_null(strstr(g[0].reasons, "same e-mail x@y.ru"));
  assert_int_equal(g[1].score, 60);
  assert_int_equal(g[1].nrecs, 2);
  cl_dupgroups_free(g, ng);
  assert_int_equal(cl_dupidx_groups(x, kt_registry_type("contact")->code, &g, &ng, &err), 0);
  assert_int_equal(ng, 1);
  cl_dupgroups_free(g, ng);
  cl_dupidx_free(x);
}

static void test_merge(void **state) {
  t_store *t = *state;
  char k[37], o[37], c[37], dl[37], ev[37];
  cl_set sk[] = {{"name", "Ромашка"}, {"city", "Москва"}};
  cl_set so[] = {{"name", "Ромашка (старая)"}, {"city", "Тверь"}, {"phone", "+7 495 000-00-01"}};
  add(t, "org", sk, 2, k);
  add(t, "org", so, 3, o);
  cl_set sc[] = {{"last_name", "Петров"}, {"org", o}};
  cl_set sd[] = {{"amount", "100"}, {"org", o}};
  cl_set se[] = {{"title", "Звонок"}, {"start", "2026-12-10T10:00"}, {"org", o}};
  add(t, "contact", sc, 2, c);
  add(t, "deal", sd, 2, dl);
  add(t, "event", se, 3, ev);
  const char *take[] = {"city"};
  cl_merge_result res;
  kt_err err;
  assert_int_equal(cl_merge(t->s, k, o, take, 1, &res, &err), 0);
  assert_int_equal(res.moved, 3);
  assert_int_equal(res.fields, 2); /* the city taken, the phone KEEP lacked */
  cl_rec *r;
  assert_int_equal(cl_store_get(t->s, k, &r, &err), 0);
  assert_string_equal(r->v[kt_mtype_field(r->type, "city")->vidx].s, "Тверь");
  assert_string_equal(r->v[kt_mtype_field(r->type, "name")->vidx].s, "Ромашка");
  assert_string_equal(r->v[kt_mtype_field(r->type, "phone")->vidx].s, "+7 495 000-00-01");
  cl_rec_free(r);
  const char *deps[] = {c, dl, ev};
  for (int i = 0; i < 3; i++) {
    assert_int_equal(cl_store_get(t->s, deps[i], &r, &err), 0);
    assert_string_equal(r->v[r->type->pos[kt_mtype_field(r->type, "org")->vidx]].s, k);
    cl_rec_free(r);
  }
  assert_int_equal(cl_store_get(t->s, o, &r, &err), 0);
  assert_true(cl_rec_deleted(r));
  cl_rec_free(r);
  /* bad input: nothing changes */
  assert_int_equal(cl_merge(t->s, k, k, NULL, 0, &res, &err), KT_EINVAL);
  assert_int_equal(cl_merge(t->s, k, o, NULL, 0, &res, &err), KT_EINVAL); /* in the trash */
  assert_non_null(strstr(err.msg, "in the trash"));
  assert_int_equal(cl_merge(t->s, k, c, NULL, 0, &res, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "only cards of one kind merge"));
  char o2[37];
  add(t, "org", sk, 2, o2);
  const char *bad[] = {"no_such"};
  assert_int_equal(cl_merge(t->s, k, o2, bad, 1, &res, &err), KT_EINVAL);
  assert_int_equal(cl_store_get(t->s, o2, &r, &err), 0);
  assert_false(cl_rec_deleted(r));
  cl_rec_free(r);
  assert_int_equal(cl_merge(t->s, k, "01a237ea-e47b-7094-9875-a890cab84c62", NULL, 0, &res, &err), KT_ENOTFOUND);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_keys, setup, t_store_teardown),
      cmocka_unit_test_setup_teardown(test_groups, setup, t_store_teardown),
      cmocka_unit_test_setup_teardown(test_merge, setup, t_store_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
