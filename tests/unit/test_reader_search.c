/* Unit tests for cl_reader's search views: a search newest first read from
 * the search index's hits and the sort index's trash list, and a search with
 * filters whose text filters narrow the search index's match, give exactly
 * the rows, in the same order, of the plans that read every record
 * (no_sort_index): ё/е, Polish letters, phone digits, live and trash, after
 * edits that make cards stop and start matching (cl_view_patch); a search
 * sorted by last name with many hits, its first rows from a walk of the
 * sort index, equal to the old plan's (cl_view_known says how many are in;
 * cl_view_complete builds the rest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cl_reader.h"
#include "cl_store.h"
#include "t_reader.h"
#include "t_store.h"

typedef struct fx {
  t_store ts;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f || t_store_open(&f->ts, "rsearch")) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  t_store_close(&f->ts);
  free(f);
  return 0;
}

static void add(cl_store *s, const char *type, const cl_set *sets, int n, char *id_out) {
  kt_err err;
  char id[KT_UUID_STRLEN + 1];
  int rc = cl_store_add(s, type, sets, n, id, &err);
  if (rc) fprintf(stderr, "add: %s\n", err.msg);
  assert_int_equal(rc, 0);
  if (id_out) memcpy(id_out, id, sizeof id);
}

/* Two views of one spec (the new plan v, the records' plan old) hold the
 * same rows in the same order: count, keyset both ways, row N, positions. */
static void assert_same_rows(cl_view *v, cl_view *old, unsigned *seed) {
  t_views_same(v, old, 13, 29, 30, 5, seed);
}

/* Searches with and without filters (ё/е, Polish letters, phone digits, a
 * city of two words, a word of the city elsewhere in a card), live and
 * trash, through the search index and the narrowed match, equal to the
 * plans that read every record; then edits that make cards stop and start
 * matching, patched in, equal to a fresh build of the old plan. */
static void test_search_plans_equal(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  kt_err err;
  unsigned seed = 16;
  const char *last[] = {"Ёлкина", "Елкин", "елкин", "Ślęzak", "Łukasiewicz", "Фёдоров", "Федоров",
                        "Петров", "Казанцев", "Иванов"};
  const char *first[] = {"Łukasz", "Мария", "Иван", "Żaneta", NULL};
  const char *city[] = {"Москва", "Казань", "Санкт-Петербург", "Kraków", NULL};
  int nid = 700;
  char (*id)[KT_UUID_STRLEN + 1] = calloc((size_t)nid, sizeof *id);
  assert_non_null(id);
  assert_int_equal(cl_store_begin(s, &err), 0);
  for (int i = 0; i < nid; i++) {
    char phone[32], bday[16];
    snprintf(phone, sizeof phone, "+7 (916) %03d-45-%02d", i % 1000, i % 100);
    snprintf(bday, sizeof bday, "19%02d-03-0%d", 50 + i % 40, 1 + i % 9);
    cl_set c[6] = {{"last_name", last[i % 10]}, {"phone_mobile", phone}, {"birthday", bday}};
    int n = 3;
    if (first[i % 5]) c[n++] = (cl_set){"first_name", first[i % 5]};
    if (city[i % 7 % 5]) c[n++] = (cl_set){"city", city[i % 7 % 5]};
    if (i % 11 == 0) c[n++] = (cl_set){"comment", "переехал из Казани, бывал в Казань-Арене"};
    add(s, "contact", c, n, id[i]);
  }
  assert_int_equal(cl_store_commit(s, &err), 0);
  for (int i = 0; i < nid; i += 9) assert_int_equal(cl_store_delete(s, id[i], &err), 0);
  cl_reader *r = t_reader(f->ts.path, "ru", false), *rf = t_reader(f->ts.path, "ru", true);
  cl_view_filter fl[][2] = {
      {{"city", '=', "Казань"}},
      {{"city", '=', "санкт-петербург"}},
      {{"city", '~', "каз"}},
      {{"last_name", '=', "ЁЛКИНА"}},
      {{"city", '=', "kraków"}, {"birthday", '>', "1970-01-01"}},
  };
  int nfl[] = {1, 1, 1, 1, 2};
  const char *texts[] = {"елк", "ЁЛКИН", "lukasz", "ślę", "фед", "каз", "4567", "916 12", "ив ка"};
  for (size_t ti = 0; ti < sizeof texts / sizeof texts[0]; ti++)
    for (int fi = -1; fi < (int)(sizeof nfl / sizeof nfl[0]); fi++)
      for (int trash = 0; trash < 2; trash++) {
        cl_view_spec sp = {.type = "contact", .search = texts[ti], .trash = trash,
                           .where = fi < 0 ? NULL : fl[fi], .nwhere = fi < 0 ? 0 : nfl[fi]};
        cl_view *v = t_view(r, &sp), *old = t_view(rf, &sp);
        assert_string_equal(cl_view_plan(v), fi < 0 ? "search index" : "sorted in memory");
        assert_string_equal(cl_view_plan(old), "sorted in memory");
        if (fi < 0 && !trash) assert_true(cl_view_count(v) > 0);
        assert_same_rows(v, old, &seed);
        cl_view_free(v);
        cl_view_free(old);
      }
  /* edits under open views: a card stops matching (renamed, moved to another
     city, to the trash), another starts (renamed, restored), then patched */
  cl_view_spec specs[] = {{.type = "contact", .search = "елк"},
                          {.type = "contact", .search = "елк", .trash = true},
                          {.type = "contact", .search = "елк", .where = fl[0], .nwhere = 1}};
  cl_view *v[3];
  for (int k = 0; k < 3; k++) v[k] = t_view(r, &specs[k]);
  const char *chg[8];
  int nchg = 0, changed;
  cl_set out = {"last_name", "Петров"}, in = {"last_name", "Ёлкин"}, moved = {"city", "Тверь"},
         there = {"city", "казань"};
  assert_int_equal(cl_store_edit(s, id[1], &out, 1, &changed, &err), 0); /* Елкин -> Петров */
  chg[nchg++] = id[1];
  assert_int_equal(cl_store_edit(s, id[7], &in, 1, &changed, &err), 0); /* Петров -> Ёлкин */
  chg[nchg++] = id[7];
  assert_int_equal(cl_store_edit(s, id[7], &there, 1, &changed, &err), 0);
  assert_int_equal(cl_store_edit(s, id[71], &moved, 1, &changed, &err), 0); /* Ёлкина of Казань */
  chg[nchg++] = id[71];
  assert_int_equal(cl_store_delete(s, id[2], &err), 0); /* елкин to the trash */
  chg[nchg++] = id[2];
  assert_int_equal(cl_store_restore(s, id[0], &err), 0); /* Ёлкина back */
  chg[nchg++] = id[0];
  for (int k = 0; k < 3; k++) {
    assert_int_equal(cl_view_patch(v[k], chg, nchg, &err), 0);
    cl_view *fresh = t_view(rf, &specs[k]);
    assert_same_rows(v[k], fresh, &seed);
    cl_view_free(fresh);
    bool ch = true;
    assert_int_equal(cl_view_refresh(v[k], &ch, &err), 0);
    assert_false(ch);
    cl_view_free(v[k]);
  }
  /* a trash longer than the hits: each hit asked of the sort index */
  assert_int_equal(cl_store_begin(s, &err), 0);
  for (int i = 0; i < 4600; i++) {
    cl_set c = {"last_name", "Корзинкин"};
    char tid[KT_UUID_STRLEN + 1];
    add(s, "contact", &c, 1, tid);
    assert_int_equal(cl_store_delete(s, tid, &err), 0);
  }
  assert_int_equal(cl_store_commit(s, &err), 0);
  for (int trash = 0; trash < 2; trash++) {
    cl_view_spec sp = {.type = "contact", .search = "елк", .trash = trash};
    cl_view *a = t_view(r, &sp), *old = t_view(rf, &sp);
    assert_string_equal(cl_view_plan(a), "search index");
    assert_same_rows(a, old, &seed);
    cl_view_free(a);
    cl_view_free(old);
  }
  cl_reader_close(r);
  cl_reader_close(rf);
  free(id);
}

/* The first page of the old plan's view equals v's (read before anything
 * else asks v for more than its first rows). */
static void assert_first_page_same(cl_view *v, cl_view *old) {
  kt_rec *a[100], *b[100];
  int na = 0, nb = 0;
  kt_err err;
  assert_int_equal(cl_view_count(v), cl_view_count(old));
  assert_int_equal(cl_view_page(v, 0, 100, a, &na, &err), 0);
  assert_int_equal(cl_view_page(old, 0, 100, b, &nb, &err), 0);
  assert_int_equal(na, nb);
  for (int i = 0; i < na; i++) {
    assert_string_equal(cl_rec_id((cl_rec *)a[i]), cl_rec_id((cl_rec *)b[i]));
    kt_rec_free(a[i]);
    kt_rec_free(b[i]);
  }
}

/* A search sorted by the sort index's first field (last name) with many
 * hits: its first rows come from walking the sort index (ties by rowid
 * within a last name, as the old plan orders them), then the whole view on
 * demand; hits clustered late in the order, few hits, the trash and a
 * descending order keep the old plans; all equal to them, also after edits. */
static void test_search_sorted_walk(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  kt_err err;
  unsigned seed = 18;
  const char *last[] = {"Абрамов", "Ёлкин", "Елкин", "Жуков", "Иванов", "Казанцев", "Орлов",
                        "Петров", "Смирнов", "Фёдоров", "Федоров", "Яковлев"};
  int nid = 9000;
  char (*id)[KT_UUID_STRLEN + 1] = calloc((size_t)nid, sizeof *id);
  assert_non_null(id);
  assert_int_equal(cl_store_begin(s, &err), 0);
  for (int i = 0; i < nid; i++) {
    /* Иван on every third card (all last names); Яшин: 2,200 cards last in the order */
    cl_set c[3] = {{"last_name", i >= 6800 ? "Яшин" : last[(i * 7) % 12]},
                   {"first_name", i % 3 == 0 ? "Иван" : i % 3 == 1 ? "Мария" : "Пётр"},
                   {"city", i % 5 ? "Москва" : "Казань"}};
    add(s, "contact", c, 3, id[i]);
  }
  assert_int_equal(cl_store_commit(s, &err), 0);
  for (int i = 0; i < nid; i += 13) assert_int_equal(cl_store_delete(s, id[i], &err), 0);
  cl_reader *r = t_reader(f->ts.path, "ru", false), *rf = t_reader(f->ts.path, "ru", true);
  struct {
    cl_view_spec sp;
    const char *plan;
  } cases[] = {
      {{.type = "contact", .search = "ив", .sort = "last_name"}, "sort index walk"},
      {{.type = "contact", .search = "моск", .sort = "last_name"}, "sort index walk"},
      {{.type = "contact", .search = "яш", .sort = "last_name"}, "sorted in memory"},
      {{.type = "contact", .search = "ёлк", .sort = "last_name"}, "sorted in memory"},
      {{.type = "contact", .search = "ив", .sort = "last_name", .trash = true}, "sorted in memory"},
      {{.type = "contact", .search = "ив", .sort = "last_name", .desc = true}, "sorted in memory"},
      {{.type = "contact", .search = "ив", .sort = "first_name"}, "sorted in memory"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    cl_view *v = t_view(r, &cases[c].sp), *old = t_view(rf, &cases[c].sp);
    assert_string_equal(cl_view_plan(v), cases[c].plan);
    bool walked = strcmp(cases[c].plan, "sort index walk") == 0;
    /* known: the first rows only after a walk (at least a page of the GUI's), else all */
    int64_t known = cl_view_known(v);
    if (walked) assert_true(known >= 256 && known < cl_view_count(v));
    else assert_int_equal(known, cl_view_count(v));
    assert_int_equal(cl_view_known(old), cl_view_count(old));
    assert_first_page_same(v, old);
    assert_int_equal(cl_view_known(v), known); /* a page inside them builds nothing */
    if (walked && c == 0) { /* the whole built on request (the GUI's worker) */
      assert_int_equal(cl_view_complete(v, &err), 0);
      assert_int_equal(cl_view_known(v), cl_view_count(v));
      assert_int_equal(cl_view_complete(v, &err), 0); /* then a no-op */
    }
    assert_same_rows(v, old, &seed); /* past the first rows: built whole */
    assert_int_equal(cl_view_known(v), cl_view_count(v));
    cl_view_free(v);
    cl_view_free(old);
  }
  /* edits under an open view: a rename into the first page, one out of it,
     a card to the trash; patched (built again by a walk), equal to the old plan */
  cl_view *v = t_view(r, &cases[0].sp);
  int changed;
  cl_set first = {"last_name", "Аааков"}, away = {"first_name", "Олег"};
  assert_int_equal(cl_store_edit(s, id[3000], &first, 1, &changed, &err), 0);
  assert_int_equal(cl_store_edit(s, id[3], &away, 1, &changed, &err), 0);
  assert_int_equal(cl_store_delete(s, id[6], &err), 0);
  const char *chg[] = {id[3000], id[3], id[6]};
  assert_int_equal(cl_view_patch(v, chg, 3, &err), 0);
  assert_string_equal(cl_view_plan(v), "sort index walk");
  cl_view *old = t_view(rf, &cases[0].sp);
  assert_first_page_same(v, old);
  int64_t pos = -1;
  assert_int_equal(cl_view_find(v, id[3000], &pos, &err), 0); /* in the first rows */
  assert_int_equal(pos, 0);
  assert_same_rows(v, old, &seed);
  cl_view_free(v);
  cl_view_free(old);
  cl_reader_close(r);
  cl_reader_close(rf);
  free(id);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_search_plans_equal, setup, teardown),
      cmocka_unit_test_setup_teardown(test_search_sorted_walk, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
