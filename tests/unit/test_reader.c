/* Unit tests for cl_reader: views sorted by any field (Cyrillic and Polish
 * collation as ICU gives it, numbers, dates, empty values last, ties by
 * rowid) paged forwards and backwards and at arbitrary positions, equal to
 * the full ordered list cl_store_list gives; filters and search equal to
 * cl_store_list / cl_store_search; the writer's commits seen after refresh;
 * the reader never writes; bad sort fields and filters are KT_EINVAL. */
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

#include "cl_reader.h"
#include "cl_store.h"
#include "kt_change.h"
#include "kt_time.h"
#include "t_reader.h"
#include "t_store.h"

typedef struct fx {
  t_store ts;
  cl_reader *r;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f || t_store_open(&f->ts, "reader")) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  cl_reader_close(f->r);
  t_store_close(&f->ts);
  free(f);
  return 0;
}

static cl_reader *reader(fx *f, const char *locale) {
  kt_err err;
  cl_reader_opts o = {.locale = locale};
  cl_reader_close(f->r);
  f->r = NULL;
  int rc = cl_reader_open(f->ts.path, &o, &f->r, &err);
  if (rc) fprintf(stderr, "cl_reader_open: %s\n", err.msg);
  assert_int_equal(rc, 0);
  return f->r;
}

static void add(cl_store *s, const char *type, const cl_set *sets, int n, char *id_out) {
  kt_err err;
  char id[KT_UUID_STRLEN + 1];
  int rc = cl_store_add(s, type, sets, n, id, &err);
  if (rc) fprintf(stderr, "add: %s\n", err.msg);
  assert_int_equal(rc, 0);
  if (id_out) memcpy(id_out, id, sizeof id);
}

static void add_contact(cl_store *s, const char *last, const char *first, const char *city) {
  cl_set sets[3] = {{"last_name", last}, {"first_name", first}, {"city", city}};
  add(s, "contact", sets, city ? 3 : 2, NULL);
}

/* What cl_store_list gives for the same query (the reference order). */
static t_ids store_list(cl_store *s, const char *type, const char *sort, bool desc,
                      const cl_filter *where, int nwhere, bool trash) {
  t_ids l = {0};
  kt_err err;
  cl_query q = {.type = type, .sort = sort, .desc = desc, .where = where, .nwhere = nwhere,
                .trash = trash};
  assert_int_equal(cl_store_list(s, &q, t_ids_cb, &l, &err), 0);
  return l;
}

/* The last names of a view in order, "|"-separated. */
static void view_names(cl_view *v, const char *field, char *out, size_t n) {
  kt_err err;
  kt_rec *rows[64];
  int got = 0;
  assert_int_equal(cl_view_page(v, 0, 64, rows, &got, &err), 0);
  out[0] = '\0';
  for (int i = 0; i < got; i++) {
    const kt_value *val = &rows[i]->v[kt_mtype_field(rows[i]->type, field) - rows[i]->type->fields];
    size_t len = strlen(out);
    snprintf(out + len, n - len, "%s%s", i ? "|" : "", val->s ? val->s : "-");
    kt_rec_free(rows[i]);
  }
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_cyrillic_order_and_ties(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  const char *names[] = {"Ёлкин", "Елкин", "Аристов", "Яковлев", "елкин", "Аристова", "Жуков",
                         "Ёлкин", "Аристов", "Ельцин"};
  for (int i = 0; i < 10; i++) add_contact(s, names[i], i % 2 ? "Иван" : "Пётр", NULL);
  cl_reader *r = reader(f, "ru");
  cl_view_spec sp = {.type = "contact", .sort = "last_name"};
  cl_view *v = t_view(r, &sp);
  assert_int_equal(cl_view_count(v), 10);
  char got[512];
  view_names(v, "last_name", got, sizeof got);
  /* ICU ru: е and ё differ at the second level only (Елкин < Ёлкин < Ельцин),
     lower case before upper at the third */
  assert_string_equal(got, "Аристов|Аристов|Аристова|елкин|Елкин|Ёлкин|Ёлкин|Ельцин|Жуков|Яковлев");
  t_ids want = store_list(s, "contact", "last_name", false, NULL, 0, false);
  t_ids fw = t_view_forward(v, 3), bw = t_view_backward(v, 4);
  t_ids_equal(&fw, &want);
  t_ids_equal(&bw, &want);
  cl_view_free(v);
  free(want.id), free(fw.id), free(bw.id);
  /* descending: values reversed, ties still by rowid, as list orders them */
  sp.desc = true;
  v = t_view(r, &sp);
  want = store_list(s, "contact", "last_name", true, NULL, 0, false);
  fw = t_view_forward(v, 5);
  t_ids_equal(&fw, &want);
  cl_view_free(v);
  free(want.id), free(fw.id);
  /* the default order (the title fields: last, first, middle name) */
  sp = (cl_view_spec){.type = "contact"};
  v = t_view(r, &sp);
  want = store_list(s, "contact", NULL, false, NULL, 0, false);
  fw = t_view_forward(v, 2);
  t_ids_equal(&fw, &want);
  cl_view_free(v);
  free(want.id), free(fw.id);
}

static void test_polish_order(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  const char *names[] = {"Żaneta", "Łukasz", "Ślęzak", "Zenon", "Lucyna", "Szymański", "Sławomir",
                         "Ździsław", "Ewa", "Ćwik", "Cezary"};
  for (int i = 0; i < 11; i++) {
    cl_set set = {"name", names[i]};
    add(s, "org", &set, 1, NULL);
  }
  cl_reader *r = reader(f, "pl_PL.UTF-8");
  cl_view_spec sp = {.type = "org", .sort = "name"};
  cl_view *v = t_view(r, &sp);
  char got[512];
  view_names(v, "name", got, sizeof got);
  /* Polish: C < Ć, L < Ł, S < Ś, Z < Ź < Ż (letters of their own) */
  assert_string_equal(got, "Cezary|Ćwik|Ewa|Lucyna|Łukasz|Sławomir|Szymański|Ślęzak|Zenon|Ździsław|Żaneta");
  cl_view_free(v);
  /* the same names in a Russian reader: the accents are second-level only */
  r = reader(f, "ru");
  v = t_view(r, &sp);
  view_names(v, "name", got, sizeof got);
  assert_string_equal(got, "Cezary|Ćwik|Ewa|Lucyna|Łukasz|Sławomir|Ślęzak|Szymański|Żaneta|Ździsław|Zenon");
  cl_view_free(v);
}

/* Pages at arbitrary positions, keyset both ways, numbers and dates with
 * empty values, over many ties. */
static void test_pages_anywhere(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  kt_err err;
  const char *last[] = {"Иванов", "Петров", "Сидоров", "Ёжиков", "Абрамов"};
  char bday[16], emp[16], name[64];
  assert_int_equal(cl_store_begin(s, &err), 0);
  for (int i = 0; i < 257; i++) {
    snprintf(bday, sizeof bday, "19%02d-0%d-1%d", 50 + i % 7, 1 + i % 9, i % 10);
    snprintf(emp, sizeof emp, "%d", (i * 37) % 11 - 5);
    snprintf(name, sizeof name, "ООО %s %d", last[i % 5], i % 13);
    cl_set c[] = {{"last_name", last[i % 5]}, {"first_name", "Анна"}, {"birthday", bday}};
    add(s, "contact", c, i % 6 ? 3 : 2, NULL); /* every sixth has no birthday */
    cl_set o[] = {{"name", name}, {"employees", emp}};
    add(s, "org", o, i % 4 ? 2 : 1, NULL);    /* every fourth has no head count */
  }
  assert_int_equal(cl_store_commit(s, &err), 0);
  cl_reader *r = reader(f, "ru");
  struct { const char *type, *sort; bool desc; } cases[] = {
      {"contact", "last_name", false}, {"contact", "birthday", false}, {"contact", "birthday", true},
      {"org", "employees", false},     {"org", "employees", true},     {"org", "name", true},
      {"org", NULL, false},            {"contact", "created", true},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    cl_view_spec sp = {.type = cases[c].type, .sort = cases[c].sort, .desc = cases[c].desc};
    cl_view *v = t_view(r, &sp);
    t_ids want = store_list(s, sp.type, sp.sort, sp.desc, NULL, 0, false);
    assert_int_equal(cl_view_count(v), want.n);
    t_ids fw = t_view_forward(v, 17), bw = t_view_backward(v, 64);
    t_ids_equal(&fw, &want);
    t_ids_equal(&bw, &want);
    const int64_t at[] = {0, 1, 100, 128, 200, 250, 256};
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
      kt_rec *rows[10];
      int got = 0;
      assert_int_equal(cl_view_page(v, at[k], 10, rows, &got, &err), 0);
      assert_int_equal(got, at[k] + 10 <= want.n ? 10 : want.n - at[k]);
      for (int i = 0; i < got; i++) {
        assert_string_equal(kt_rec_id(rows[i]), want.id[at[k] + i]);
        int64_t pos = -1;
        assert_int_equal(cl_view_find(v, want.id[at[k] + i], &pos, &err), 0);
        assert_int_equal(pos, at[k] + i);
        kt_rec_free(rows[i]);
      }
    }
    kt_rec *none[1];
    int got = 1;
    assert_int_equal(cl_view_page(v, want.n, 1, none, &got, &err), 0);
    assert_int_equal(got, 0);
    cl_view_free(v);
    free(want.id), free(fw.id), free(bw.id);
  }
}

static void test_filters_search_trash_match_store(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  kt_err err;
  add_contact(s, "Ёлкина", "Мария", "Москва");
  add_contact(s, "Елкин", "Łukasz", "Краков");
  add_contact(s, "Ślęzak", "Żaneta", "Москва");
  add_contact(s, "Фёдоров", "Иван", "Тверь");
  char del[KT_UUID_STRLEN + 1];
  cl_set c[] = {{"last_name", "Елкина"}, {"phone_mobile", "+7 (916) 123-45-67"}, {"city", "Москва"}};
  add(s, "contact", c, 3, del);
  cl_set c2[] = {{"last_name", "Телефонов"}, {"phone_work", "8 495 765-45-67"}};
  add(s, "contact", c2, 2, NULL);
  assert_int_equal(cl_store_delete(s, del, &err), 0);
  cl_reader *r = reader(f, "ru");
  /* filters: the very ones `list --where` takes */
  cl_view_filter vw[] = {{"city", '=', "москва"}, {"last_name", '~', "ЁЛК"}};
  cl_filter sw[] = {{"city", '=', "москва"}, {"last_name", '~', "ЁЛК"}};
  for (int nw = 1; nw <= 2; nw++)
    for (int trash = 0; trash < 2; trash++) {
      cl_view_spec sp = {.type = "contact", .where = vw, .nwhere = nw, .trash = trash,
                         .sort = "last_name"};
      cl_view *v = t_view(r, &sp);
      t_ids want = store_list(s, "contact", "last_name", false, sw, nw, trash);
      t_ids got = t_view_forward(v, 2);
      assert_true(want.n > 0);
      t_ids_equal(&got, &want);
      cl_view_free(v);
      free(want.id), free(got.id);
    }
  /* search: case, ё/е, Polish letters, phone fragments; newest first like `search` */
  const char *texts[] = {"елкин", "ЁЛК", "lukasz", "slezak", "4567", "916 123", "фед"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    for (int trash = 0; trash < 2; trash++) {
      cl_view_spec sp = {.type = "contact", .search = texts[i], .trash = trash};
      cl_view *v = t_view(r, &sp);
      t_ids want = {0};
      assert_int_equal(cl_store_search(s, texts[i], "contact", 0, trash, t_ids_cb, &want, &err), 0);
      t_ids got = t_view_forward(v, 3);
      t_ids_equal(&got, &want);
      assert_int_equal(cl_view_count(v), want.n);
      if (!trash && strcmp(texts[i], "916 123") != 0) assert_true(want.n > 0); /* that phone is in the trash */
      if (trash && strcmp(texts[i], "916 123") == 0) assert_int_equal(want.n, 1);
      cl_view_free(v);
      free(want.id), free(got.id);
    }
  /* search and a filter and a sort together */
  cl_view_spec sp = {.type = "contact", .search = "елк", .where = vw, .nwhere = 1, .sort = "first_name"};
  cl_view *v = t_view(r, &sp);
  assert_int_equal(cl_view_count(v), 1); /* Ёлкина; Елкина of Москва is in the trash */
  cl_view_free(v);
  /* a record by id with its related cards, through the reader */
  char org[KT_UUID_STRLEN + 1];
  cl_set o = {"name", "ООО Ромашка"};
  add(s, "org", &o, 1, org);
  cl_set k[] = {{"last_name", "Сотрудников"}, {"org", org}};
  add(s, "contact", k, 2, NULL);
  kt_rec *rec = NULL;
  assert_int_equal(cl_reader_get(r, org, &rec, &err), 0);
  t_ids rel = {0};
  assert_int_equal(cl_reader_related(r, rec, t_ids_cb, &rel, &err), 0);
  assert_int_equal(rel.n, 1);
  kt_rec_free(rec);
  free(rel.id);
  assert_int_equal(cl_reader_get(r, "0193a1b2-0000-7000-8000-000000000000", &rec, &err), KT_ENOTFOUND);
}

static void test_writer_seen_after_refresh(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  kt_err err;
  add_contact(s, "Борисов", "Олег", NULL);
  add_contact(s, "Аристов", "Юрий", NULL);
  cl_reader *r = reader(f, "ru");
  cl_view_spec sp = {.type = "contact", .sort = "last_name"};
  cl_view *v = t_view(r, &sp);
  assert_int_equal(cl_view_count(v), 2);
  bool changed = true;
  assert_int_equal(cl_reader_refresh(r, &changed, &err), 0);
  assert_false(changed);
  add_contact(s, "Абрамов", "Лев", NULL); /* the writer commits while the reader is open */
  assert_int_equal(cl_reader_refresh(r, &changed, &err), 0);
  assert_true(changed);
  assert_int_equal(cl_view_count(v), 2); /* as built */
  assert_int_equal(cl_view_refresh(v, &changed, &err), 0);
  assert_true(changed);
  assert_int_equal(cl_view_count(v), 3);
  char got[256];
  view_names(v, "last_name", got, sizeof got);
  assert_string_equal(got, "Абрамов|Аристов|Борисов");
  assert_int_equal(cl_view_refresh(v, &changed, &err), 0);
  assert_false(changed);
  /* a custom field added by the writer: the reader's model follows */
  assert_int_equal(cl_store_field_add(s, "contact", "vip", "VIP", "text", NULL, &err), 0);
  cl_set set = {"vip", "да"};
  char id[KT_UUID_STRLEN + 1];
  cl_set c[] = {{"last_name", "Важный"}, set};
  add(s, "contact", c, 2, id);
  assert_int_equal(cl_view_refresh(v, &changed, &err), 0);
  assert_true(changed);
  cl_view_free(v);
  cl_view_spec sv = {.type = "contact", .sort = "vip"};
  v = t_view(r, &sv);
  int64_t pos = -1;
  assert_int_equal(cl_view_find(v, id, &pos, &err), 0);
  assert_int_equal(pos, 0); /* the only one with a value; empty ones last */
  cl_view_free(v);
}

/* cl_view_patch with the changed ids gives what a fresh build gives. */
static void test_patch_equals_rebuild(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  kt_err err;
  char id[6][KT_UUID_STRLEN + 1];
  const char *names[] = {"Борисов", "Аристов", "Ёлкин", "Елкин", "Яковлев", "Жуков"};
  for (int i = 0; i < 6; i++) {
    cl_set c[] = {{"last_name", names[i]}, {"city", i % 2 ? "Москва" : "Тверь"}};
    add(s, "contact", c, 2, id[i]);
  }
  cl_reader *r = reader(f, "ru");
  cl_view_filter w = {"city", '=', "Москва"};
  cl_view_spec specs[] = {{.type = "contact", .sort = "last_name"},
                          {.type = "contact", .sort = "last_name", .desc = true, .where = &w, .nwhere = 1},
                          {.type = "contact", .search = "елкин"},
                          {.type = "contact", .trash = true}};
  cl_view *v[4];
  for (int k = 0; k < 4; k++) v[k] = t_view(r, &specs[k]);
  /* the writer: a new card, a rename that moves one, a move out of the filter,
     one to the trash, an organization (another type) */
  char nid[KT_UUID_STRLEN + 1], oid[KT_UUID_STRLEN + 1];
  cl_set c[] = {{"last_name", "Ёжиков"}, {"city", "Москва"}};
  add(s, "contact", c, 2, nid);
  int changed;
  cl_set ren = {"last_name", "Щукин"};
  assert_int_equal(cl_store_edit(s, id[1], &ren, 1, &changed, &err), 0);
  cl_set city = {"city", "Тверь"};
  assert_int_equal(cl_store_edit(s, id[3], &city, 1, &changed, &err), 0);
  assert_int_equal(cl_store_delete(s, id[2], &err), 0);
  cl_set o = {"name", "ООО Елкин и сыновья"};
  add(s, "org", &o, 1, oid);
  const char *chg[] = {nid, id[1], id[3], id[2], oid};
  for (int k = 0; k < 4; k++) {
    assert_int_equal(cl_view_patch(v[k], chg, 5, &err), 0);
    cl_view *fresh = t_view(r, &specs[k]);
    t_ids a = t_view_forward(v[k], 2), b = t_view_forward(fresh, 100);
    t_ids_equal(&a, &b);
    assert_int_equal(cl_view_count(v[k]), cl_view_count(fresh));
    for (int i = 0; i < a.n; i++) { /* positions found by key, also for patched rows */
      int64_t pos = -1;
      assert_int_equal(cl_view_find(v[k], a.id[i], &pos, &err), 0);
      assert_int_equal(pos, i);
    }
    bool ch = true;
    assert_int_equal(cl_view_refresh(v[k], &ch, &err), 0);
    assert_false(ch); /* the patch brought it up to date */
    cl_view_free(fresh);
    free(a.id), free(b.id);
  }
  assert_int_equal(cl_view_count(v[0]), 6); /* 7 contacts, one in the trash */
  assert_int_equal(cl_view_count(v[3]), 1);
  /* a card removed from this PC (revoked): the view rebuilds */
  assert_int_equal(cl_store_revoke(s, "contact", id[0], &err), 0);
  const char *gone[] = {id[0]};
  assert_int_equal(cl_view_patch(v[0], gone, 1, &err), 0);
  assert_int_equal(cl_view_count(v[0]), 5);
  for (int k = 0; k < 4; k++) cl_view_free(v[k]);
}

/* ---- the stored sort index ------------------------------------------------------------------ */

/* The indexed view v and the in-memory sort of the same spec (full) agree:
 * count, every row forwards and backwards (keyset pages crossing buckets),
 * row N and the position of its id for random N. */
static void assert_same_as_full_sort(cl_view *v, cl_view *full, unsigned *seed) {
  assert_true(cl_view_indexed(v));
  assert_false(cl_view_indexed(full));
  t_views_same(v, full, 61, 64, 60, 7, seed);
}

/* Many rows (several buckets, split as they grow), Cyrillic names with ties
 * and empty first names; then inserts, renames, deletions to the trash and
 * back, revocations under open views: after each round the patched view
 * equals the full sort, live and trash. */
static void test_sort_index_equals_full_sort(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  kt_err err;
  unsigned seed = 14;
  const char *last[] = {"Иванов", "Ёлкин", "Елкин", "елкин", "Ельцин", "Аристов", "Жуков", "Яковлев",
                        "Łukasz", "Zenon", "Ślęzak", "Ovsyannikov"};
  const char *first[] = {"Анна", "Пётр", NULL, "Ёжик"};
  int nid = 3000;
  char (*id)[KT_UUID_STRLEN + 1] = calloc((size_t)nid + 400 + 2100, sizeof *id);
  assert_non_null(id);
  assert_int_equal(cl_store_begin(s, &err), 0); /* a batch: the keys of new records in bulk */
  for (int i = 0; i < nid; i++) {
    char mid[32];
    snprintf(mid, sizeof mid, "%d", i % 37);
    cl_set c[] = {{"last_name", last[i % 12]}, {"middle_name", mid}, {"first_name", first[i % 4]}};
    add(s, "contact", c, first[i % 4] ? 3 : 2, id[i]);
  }
  assert_int_equal(cl_store_commit(s, &err), 0);
  cl_reader *r = reader(f, "ru"), *rf = t_reader(f->ts.path, "ru", true);
  cl_view_spec live = {.type = "contact"}, trash = {.type = "contact", .trash = true};
  cl_view *v = t_view(r, &live), *vt = t_view(r, &trash);
  assert_int_equal(cl_view_count(v), nid);
  assert_int_equal(cl_view_count(vt), 0);
  cl_view *full = t_view(rf, &live);
  assert_same_as_full_sort(v, full, &seed);
  cl_view_free(full);
  for (int round = 0; round < 3; round++) {
    const char *chg[400];
    int nchg = 0;
    for (int i = 0; i < 100; i++) { /* new cards, one write each (bucket splits) */
      cl_set c[] = {{"last_name", last[(i + round) % 12]}, {"first_name", "Борис"}};
      add(s, "contact", c, 2, id[nid]);
      chg[nchg++] = id[nid++];
    }
    for (int i = 0; i < 60; i++) { /* renames that move cards across the list */
      int k = (int)(rand_r(&seed) % (unsigned)nid);
      cl_set ren = {"last_name", last[rand_r(&seed) % 12]};
      int changed;
      kt_err e2;
      if (cl_store_edit(s, id[k], &ren, 1, &changed, &e2) == 0) chg[nchg++] = id[k];
    }
    for (int i = 0; i < 80; i++) { /* to the trash, some back */
      int k = (int)(rand_r(&seed) % (unsigned)nid);
      kt_err e2;
      if (cl_store_delete(s, id[k], &e2) == 0) chg[nchg++] = id[k];
      if (i % 4 == 0 && cl_store_restore(s, id[k], &e2) == 0) chg[nchg++] = id[k];
    }
    assert_int_equal(cl_view_patch(v, chg, nchg, &err), 0);
    bool ch = false;
    assert_int_equal(cl_view_refresh(vt, &ch, &err), 0);
    assert_true(ch);
    full = t_view(rf, &live);
    assert_same_as_full_sort(v, full, &seed);
    cl_view_free(full);
    full = t_view(rf, &trash);
    assert_true(cl_view_count(vt) > 0);
    assert_same_as_full_sort(vt, full, &seed);
    cl_view_free(full);
  }
  /* cards removed from this PC (revoked) leave the index too */
  for (int i = 0; i < 50; i++) assert_int_equal(cl_store_revoke(s, "contact", id[i * 7], &err), 0);
  assert_int_equal(cl_view_refresh(v, NULL, &err), 0);
  full = t_view(rf, &live);
  assert_same_as_full_sort(v, full, &seed);
  cl_view_free(full);
  /* a second batch into the filled index: its queued keys fall in existing
     buckets (some cut in several), an edit in the middle writes the queue
     early, the trash moves of queued cards; a rolled-back batch leaves nothing */
  assert_int_equal(cl_store_begin(s, &err), 0);
  for (int i = 0; i < 2000; i++) {
    cl_set c[] = {{"last_name", last[(i * 5) % 12]}, {"first_name", first[i % 4]}};
    add(s, "contact", c, first[i % 4] ? 2 : 1, id[nid++]);
    if (i == 700) {
      cl_set ren = {"last_name", "Аристов"};
      int changed;
      assert_int_equal(cl_store_edit(s, id[nid - 300], &ren, 1, &changed, &err), 0);
    }
    if (i % 97 == 0) assert_int_equal(cl_store_delete(s, id[nid - 1], &err), 0);
  }
  assert_int_equal(cl_store_commit(s, &err), 0);
  assert_int_equal(cl_store_begin(s, &err), 0);
  for (int i = 0; i < 100; i++) add(s, "contact", (cl_set[]){{"last_name", "Жуков"}}, 1, id[nid]);
  cl_store_rollback(s);
  assert_int_equal(cl_view_refresh(v, NULL, &err), 0);
  assert_int_equal(cl_view_refresh(vt, NULL, &err), 0);
  full = t_view(rf, &live);
  assert_same_as_full_sort(v, full, &seed);
  cl_view_free(full);
  full = t_view(rf, &trash);
  assert_same_as_full_sort(vt, full, &seed);
  cl_view_free(full);
  /* the index as a fresh rebuild would make it: same order after a reindex */
  t_ids before = t_view_forward(v, 64);
  assert_int_equal(cl_store_reindex(s, &err), 0);
  assert_int_equal(cl_view_refresh(v, NULL, &err), 0);
  t_ids after = t_view_forward(v, 64);
  t_ids_equal(&before, &after);
  free(before.id), free(after.id);
  cl_view_free(v);
  cl_view_free(vt);
  cl_reader_close(rf);
  free(id);
}

/* A fresh replica's pull (pulled batches into empty lists) keeps the keys
 * across its commits and writes them at its end (cl_store_flush_held): no
 * reader trusts the index meanwhile; a rolled-back batch's keys are not kept;
 * afterwards the index equals the full sort, live and trash. */
static void test_sort_index_held_by_fresh_pull(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  kt_err err;
  unsigned seed = 21;
  const char *last[] = {"Иванов", "Ёлкин", "Елкин", "Жуков", "Яковлев", "Łukasz", "Аристов"};
  for (int b = 0; b < 4; b++) {
    assert_int_equal(cl_store_begin_pulled(s, false, &err), 0);
    for (int i = 0; i < 700; i++) {
      cl_set c[] = {{"last_name", last[(i + b) % 7]}, {"first_name", b == 2 ? "Отменён" : "Анна"}};
      add(s, "contact", c, 2, NULL);
    }
    if (b == 2) {
      cl_store_rollback(s);
      continue;
    }
    assert_int_equal(cl_store_commit(s, &err), 0);
    cl_reader *r = reader(f, "ru");
    cl_view_spec live = {.type = "contact"};
    cl_view *v = t_view(r, &live);
    assert_false(cl_view_indexed(v)); /* keys kept: not trusted yet */
    cl_view_free(v);
  }
  assert_int_equal(cl_store_flush_held(s, &err), 0);
  assert_int_equal(cl_store_flush_held(s, &err), 0); /* nothing kept: nothing done */
  /* 2,100 keys into an empty index: written without its lookup by (t, rid), which
     is made again after them, as migration 0021 makes it */
  sqlite3_stmt *q;
  assert_int_equal(sqlite3_prepare_v2(cl_store_sqlite(s), "SELECT sql FROM sqlite_master WHERE "
                                      "name = 'sort_key_rec'", -1, &q, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(q), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(q, 0),
                      "CREATE INDEX sort_key_rec ON sort_key (t, rid)");
  sqlite3_finalize(q);
  char tid[KT_UUID_STRLEN + 1];
  add(s, "contact", (cl_set[]){{"last_name", "Жуков"}}, 1, tid);
  assert_int_equal(cl_store_delete(s, tid, &err), 0);
  cl_reader *r = reader(f, "ru"), *rf = t_reader(f->ts.path, "ru", true);
  for (int trash = 0; trash < 2; trash++) {
    cl_view_spec sp = {.type = "contact", .trash = trash};
    cl_view *v = t_view(r, &sp), *full = t_view(rf, &sp);
    assert_int_equal(cl_view_count(v), trash ? 1 : 2100);
    assert_same_as_full_sort(v, full, &seed);
    cl_view_free(v);
    cl_view_free(full);
  }
  cl_reader_close(rf);
}

/* Which views the index serves: the whole list in the default order with
 * the index's collation; the others sort in memory and stay correct. */
static void test_sort_index_which_views(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  for (int i = 0; i < 20; i++) add_contact(s, i % 2 ? "Ёлкин" : "Елкин", "Анна", "Москва");
  cl_reader *r = reader(f, "ru_RU.UTF-8");
  cl_view_filter w = {"city", '=', "Москва"};
  struct { cl_view_spec sp; bool ix; } cases[] = {
      {{.type = "contact"}, true},
      {{.type = "contact", .trash = true}, true},
      {{.type = "contact", .sort = "last_name"}, false}, /* one field, not the title's three */
      {{.type = "contact", .desc = true}, false},
      {{.type = "contact", .where = &w, .nwhere = 1}, false},
      {{.type = "contact", .search = "елкин"}, false},
      {{.type = "event"}, true}, /* an event's start */
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    cl_view *v = t_view(r, &cases[c].sp);
    assert_int_equal(cl_view_indexed(v), cases[c].ix);
    cl_view_free(v);
  }
  /* another collation than the index's: sorted in memory */
  r = reader(f, "pl");
  cl_view_spec sp = {.type = "contact"};
  cl_view *v = t_view(r, &sp);
  assert_false(cl_view_indexed(v));
  assert_int_equal(cl_view_count(v), 20);
  cl_view_free(v);
}

/* A writer under another locale keeps the index's (no rebuild per LANG);
 * an index whose collator is unknown (ICU upgraded: meta says another
 * version) is rebuilt with the writer's own, here Polish. */
static void test_sort_index_collation_change(void **state) {
  fx *f = *state;
  kt_err err;
  const char *names[] = {"Żaneta", "Łukasz", "Ślęzak", "Zenon", "Lucyna", "Szymański", "Sławomir",
                         "Ździsław", "Ewa", "Ćwik", "Cezary"};
  for (int i = 0; i < 11; i++) {
    cl_set set = {"name", names[i]};
    add(f->ts.s, "org", &set, 1, NULL);
  }
  cl_store_close(f->ts.s);
  cl_open_opts o = {.locale = "pl"};
  assert_int_equal(cl_store_open(f->ts.path, &o, &f->ts.s, &err), 0);
  kt_buf id = KT_BUF_INIT;
  assert_int_equal(cl_store_meta_get(f->ts.s, "sort_index", &id, &err), 0);
  assert_non_null(strstr(kt_buf_str(&id), " ru ")); /* kept */
  assert_int_equal(cl_store_meta_set(f->ts.s, "sort_index", "1 ru 0.0.0.0", &err), 0);
  cl_store_close(f->ts.s);
  assert_int_equal(cl_store_open(f->ts.path, &o, &f->ts.s, &err), 0);
  kt_buf_reset(&id);
  assert_int_equal(cl_store_meta_get(f->ts.s, "sort_index", &id, &err), 0);
  assert_non_null(strstr(kt_buf_str(&id), " pl ")); /* rebuilt */
  kt_buf_free(&id);
  cl_set more = {"name", "Łódź"};
  add(f->ts.s, "org", &more, 1, NULL);
  cl_reader *r = reader(f, "pl_PL.UTF-8");
  cl_view_spec sp = {.type = "org"};
  cl_view *v = t_view(r, &sp);
  assert_true(cl_view_indexed(v));
  char got[512];
  view_names(v, "name", got, sizeof got);
  assert_string_equal(got, "Cezary|Ćwik|Ewa|Lucyna|Łódź|Łukasz|Sławomir|Szymański|Ślęzak|Zenon|"
                           "Ździsław|Żaneta");
  cl_view_free(v);
}

/* A card index from before 0021 (schema 19, no sort index): a reader
 * refuses it until a writer upgrades it; the writer's upgrade builds the
 * index, which then equals the full sort. */
static void test_sort_index_after_upgrade(void **state) {
  fx *f = *state;
  kt_err err;
  unsigned seed = 15;
  for (int i = 0; i < 1500; i++) {
    char name[32];
    snprintf(name, sizeof name, "Фирма %d", (i * 7919) % 1000);
    cl_set set = {"name", name};
    if (i == 0) assert_int_equal(cl_store_begin(f->ts.s, &err), 0);
    add(f->ts.s, "org", &set, 1, NULL);
  }
  assert_int_equal(cl_store_commit(f->ts.s, &err), 0);
  cl_store_close(f->ts.s);
  f->ts.s = NULL;
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(f->ts.path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "DROP TABLE sort_key; DROP TABLE sort_bucket; DELETE FROM meta "
                                    "WHERE key = 'sort_index'; DROP TABLE t_tagging; "
                                    "ALTER TABLE t_org DROP COLUMN tags; "
                                    "ALTER TABLE t_contact DROP COLUMN tags; PRAGMA user_version = 20;",
                                NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  cl_reader_opts ro = {.locale = "ru"};
  cl_reader *r = NULL;
  assert_int_equal(cl_reader_open(f->ts.path, &ro, &r, &err), KT_EVERSION);
  cl_open_opts o = {.locale = "ru"};
  assert_int_equal(cl_store_open(f->ts.path, &o, &f->ts.s, &err), 0);
  r = reader(f, "ru");
  cl_reader *rf = t_reader(f->ts.path, "ru", true);
  cl_view_spec sp = {.type = "org"};
  cl_view *v = t_view(r, &sp), *full = t_view(rf, &sp);
  assert_int_equal(cl_view_count(v), 1500);
  assert_same_as_full_sort(v, full, &seed);
  cl_view_free(v);
  cl_view_free(full);
  cl_reader_close(rf);
}

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  fseek(fp, 0, SEEK_END);
  long len = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  unsigned char *p = malloc((size_t)len + 1);
  assert_non_null(p);
  assert_int_equal(fread(p, 1, (size_t)len, fp), (size_t)len);
  fclose(fp);
  *n = (size_t)len;
  return p;
}

static void test_reader_never_writes(void **state) {
  fx *f = *state;
  kt_err err;
  for (int i = 0; i < 50; i++) add_contact(f->ts.s, i % 2 ? "Петров" : "Ёлкин", "Анна", "Москва");
  cl_store_close(f->ts.s); /* the writer checkpoints and goes: the file is all there is */
  f->ts.s = NULL;
  size_t n0, n1;
  unsigned char *before = slurp(f->ts.path, &n0);
  cl_reader *r = reader(f, "ru");
  cl_view_filter w = {"city", '~', "моск"};
  cl_view_spec sp = {.type = "contact", .sort = "last_name", .where = &w, .nwhere = 1};
  cl_view *v = t_view(r, &sp);
  kt_rec *rows[20];
  int got = 0;
  assert_int_equal(cl_view_page(v, 10, 20, rows, &got, &err), 0);
  assert_int_equal(got, 20);
  char id[KT_UUID_STRLEN + 1];
  snprintf(id, sizeof id, "%s", kt_rec_id(rows[0]));
  for (int i = 0; i < got; i++) kt_rec_free(rows[i]);
  int64_t pos;
  assert_int_equal(cl_view_find(v, id, &pos, &err), 0);
  cl_view_free(v);
  sp = (cl_view_spec){.type = "contact", .search = "ёлкин"};
  v = t_view(r, &sp);
  assert_int_equal(cl_view_count(v), 25);
  cl_view_free(v);
  bool changed;
  assert_int_equal(cl_reader_refresh(r, &changed, &err), 0);
  /* a write through the store underneath is refused */
  cl_set set = {"last_name", "Писатель"};
  char nid[KT_UUID_STRLEN + 1];
  assert_int_equal(cl_store_add(cl_reader_store(r), "contact", &set, 1, nid, &err), KT_EPERM);
  cl_reader_close(r);
  f->r = NULL;
  unsigned char *after = slurp(f->ts.path, &n1);
  assert_int_equal(n0, n1);
  assert_memory_equal(before, after, n0);
  char wal[200];
  snprintf(wal, sizeof wal, "%s-wal", f->ts.path);
  FILE *fp = fopen(wal, "rb");
  if (fp) { /* a reader may leave an empty WAL behind, never frames */
    fseek(fp, 0, SEEK_END);
    assert_int_equal(ftell(fp), 0);
    fclose(fp);
  }
  free(before);
  free(after);
}

static void test_bad_input(void **state) {
  fx *f = *state;
  kt_err err;
  add_contact(f->ts.s, "Иванов", "Иван", NULL);
  cl_reader *r = reader(f, "ru");
  cl_view *v = NULL;
  cl_view_spec sp = {.type = "contact", .sort = "shoe_size"};
  assert_int_equal(cl_view_open(r, &sp, &v, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "shoe_size"));
  assert_null(v);
  sp = (cl_view_spec){.type = "spaceship"};
  assert_int_equal(cl_view_open(r, &sp, &v, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "spaceship"));
  cl_view_filter bad_field = {"colour", '=', "red"};
  sp = (cl_view_spec){.type = "contact", .where = &bad_field, .nwhere = 1};
  assert_int_equal(cl_view_open(r, &sp, &v, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "colour"));
  cl_view_filter bad_op = {"last_name", '^', "x"};
  sp.where = &bad_op;
  assert_int_equal(cl_view_open(r, &sp, &v, &err), KT_EINVAL);
  cl_view_filter no_op = {"last_name", 0, "x"};
  sp.where = &no_op;
  assert_int_equal(cl_view_open(r, &sp, &v, &err), KT_EINVAL);
  cl_view_filter bad_date = {"birthday", '<', "yesterday-ish"};
  sp.where = &bad_date;
  assert_int_equal(cl_view_open(r, &sp, &v, &err), KT_EINVAL);
  cl_view_filter no_value = {"last_name", '=', NULL};
  sp.where = &no_value;
  assert_int_equal(cl_view_open(r, &sp, &v, &err), KT_EINVAL);
  sp = (cl_view_spec){.type = "contact", .search = " ,.; "};
  assert_int_equal(cl_view_open(r, &sp, &v, &err), KT_EINVAL);
  assert_null(v);
  sp = (cl_view_spec){.type = "contact"};
  v = t_view(r, &sp);
  kt_rec *rows[2];
  int got;
  assert_int_equal(cl_view_page(v, -1, 2, rows, &got, &err), KT_EINVAL);
  int64_t pos;
  assert_int_equal(cl_view_find(v, "not-an-id", &pos, &err), KT_EINVAL);
  assert_int_equal(cl_view_next(v, "0193a1b2-0000-7000-8000-000000000000", 2, rows, &got, &err),
                   KT_ENOTFOUND);
  cl_view_free(v);
  kt_err_clear(&err);
  cl_reader *r2 = NULL;
  assert_int_equal(cl_reader_open("/nonexistent/replica.db", NULL, &r2, &err), KT_ENOPROFILE);
  assert_null(r2);
}

/* ---- the trash of every section, the conflict log ------------------------------------------ */

typedef struct trash_rows {
  char id[8][KT_UUID_STRLEN + 1];
  char type[8][16];
  int64_t when[8];
  int n;
} trash_rows;

static int on_trash_row(void *ud, const kt_rec *rec, int64_t deleted_ms) {
  trash_rows *t = ud;
  assert_true(t->n < 8);
  assert_true(kt_rec_deleted(rec));
  snprintf(t->id[t->n], sizeof t->id[0], "%s", kt_rec_id(rec));
  snprintf(t->type[t->n], sizeof t->type[0], "%s", rec->type->def->name);
  t->when[t->n++] = deleted_ms;
  return 0;
}

static void test_trash_across_types(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  kt_err err;
  char org[KT_UUID_STRLEN + 1], task[KT_UUID_STRLEN + 1], con[KT_UUID_STRLEN + 1],
      live[KT_UUID_STRLEN + 1];
  cl_set o = {"name", "ООО Ромашка"}, t = {"title", "Позвонить"}, l = {"name", "ООО Живая"};
  add(s, "org", &o, 1, org);
  add(s, "org", &l, 1, live);
  add(s, "task", &t, 1, task);
  cl_set c[] = {{"last_name", "Петрова"}, {"first_name", "Анна"}};
  add(s, "contact", c, 2, con);
  int64_t t0 = (int64_t)kt_now_ms();
  /* deleted in this order: the task, the org, the contact */
  assert_int_equal(cl_store_delete(s, task, &err), 0);
  usleep(3000);
  assert_int_equal(cl_store_delete(s, org, &err), 0);
  usleep(3000);
  assert_int_equal(cl_store_delete(s, con, &err), 0);
  cl_reader *r = reader(f, "ru");
  trash_rows got = {0};
  assert_int_equal(cl_reader_trash(r, 0, on_trash_row, &got, &err), 0);
  assert_int_equal(got.n, 3); /* every type, the live org not */
  assert_string_equal(got.id[0], con); /* newest deletion first */
  assert_string_equal(got.type[0], "contact");
  assert_string_equal(got.id[1], org);
  assert_string_equal(got.id[2], task);
  assert_string_equal(got.type[2], "task");
  assert_true(got.when[0] >= got.when[1] && got.when[1] >= got.when[2]);
  assert_true(got.when[2] >= t0 - 1000 && got.when[0] <= (int64_t)kt_now_ms() + 1000);
  /* a limit; a restore leaves it (seen after refresh) */
  trash_rows one = {0};
  assert_int_equal(cl_reader_trash(r, 1, on_trash_row, &one, &err), 0);
  assert_int_equal(one.n, 1);
  assert_string_equal(one.id[0], con);
  assert_int_equal(cl_store_restore(s, org, &err), 0);
  bool changed = false;
  assert_int_equal(cl_reader_refresh(r, &changed, &err), 0);
  assert_true(changed);
  trash_rows after = {0};
  assert_int_equal(cl_reader_trash(r, 0, on_trash_row, &after, &err), 0);
  assert_int_equal(after.n, 2);
  assert_string_equal(after.id[0], con);
  assert_string_equal(after.id[1], task);
  /* a hidden section's cards are not listed */
  assert_int_equal(cl_store_section_set(s, "task", NULL, 1, &err), 0);
  r = reader(f, "ru");
  trash_rows hid = {0};
  assert_int_equal(cl_reader_trash(r, 0, on_trash_row, &hid, &err), 0);
  assert_int_equal(hid.n, 1);
  assert_string_equal(hid.id[0], con);
}

#define DEV "01890000-0000-7000-8000-0000000000aa"

static Kartoteka__FieldValue fv_text(const char *name, const char *text) {
  Kartoteka__FieldValue v = KARTOTEKA__FIELD_VALUE__INIT;
  v.name = (char *)name;
  v.value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
  v.text = (char *)text;
  v.stamp = kt_now_ms() << 16;
  v.device = DEV;
  return v;
}

/* A conflict record as the server sends it (pulled): the given fields. */
static void pull_conflict(cl_store *s, const char *id, Kartoteka__FieldValue *vals, size_t n,
                          int64_t created) {
  Kartoteka__FieldValue *ptr[16], cr = KARTOTEKA__FIELD_VALUE__INIT;
  cr.name = "created";
  cr.value_case = KARTOTEKA__FIELD_VALUE__VALUE_NUM;
  cr.num = created;
  cr.stamp = kt_now_ms() << 16;
  cr.device = DEV;
  ptr[0] = &cr;
  for (size_t i = 0; i < n; i++) ptr[i + 1] = &vals[i];
  Kartoteka__Change ch = KARTOTEKA__CHANGE__INIT;
  ch.type = "conflict";
  ch.id = (char *)id;
  ch.fields = ptr;
  ch.n_fields = n + 1;
  kt_err err;
  int rc = cl_store_begin_pulled(s, false, &err);
  if (!rc) rc = cl_store_apply(s, &ch, &err);
  if (!rc) rc = cl_store_commit(s, &err);
  else cl_store_rollback(s);
  if (rc) fprintf(stderr, "pull: %s\n", err.msg);
  assert_int_equal(rc, 0);
}

typedef struct conflict_rows {
  cl_reader_conflict c[4];
  char card[4][64], lost[4][64], kept[4][64], field[4][64], by[4][2][16];
  int n;
} conflict_rows;

static int on_conflict_row(void *ud, const cl_reader_conflict *c) {
  conflict_rows *t = ud;
  assert_true(t->n < 4);
  t->c[t->n] = *c; /* (strings borrowed: copied below) */
  snprintf(t->card[t->n], 64, "%s", c->card ? c->card : "(none)");
  snprintf(t->lost[t->n], 64, "%s", c->lost);
  snprintf(t->kept[t->n], 64, "%s", c->kept);
  snprintf(t->field[t->n], 64, "%s", c->field ? c->field->name : c->field_name);
  snprintf(t->by[t->n][0], 16, "%s", c->lost_by);
  snprintf(t->by[t->n][1], 16, "%s", c->kept_by);
  t->n++;
  return 0;
}

static void test_conflicts(void **state) {
  fx *f = *state;
  cl_store *s = f->ts.s;
  kt_err err;
  char org[KT_UUID_STRLEN + 1];
  cl_set o[] = {{"name", "ООО Ромашка"}, {"city", "Тверь"}};
  add(s, "org", o, 2, org);
  int64_t now = (int64_t)kt_now_ms();
  /* an edit of the city that lost (the oldest), a protected phone not this user's to see,
     a duplicate (the newest), about a card not on this PC */
  Kartoteka__FieldValue a[] = {fv_text("rtype", "org"),     fv_text("rid", org),
                               fv_text("field", "city"),    fv_text("value", "Казань"),
                               fv_text("winner", "Тверь"),  fv_text("lost_by", "anna"),
                               fv_text("won_by", "boris")};
  pull_conflict(s, "01890000-0000-7000-8000-00000000c001", a, 7, now - 3000);
  Kartoteka__FieldValue b[] = {fv_text("rtype", "org"), fv_text("rid", org),
                               fv_text("field", "phone"), fv_text("lost_by", "anna"),
                               fv_text("won_by", "boris")};
  pull_conflict(s, "01890000-0000-7000-8000-00000000c002", b, 5, now - 2000);
  Kartoteka__FieldValue c[] = {fv_text("rtype", "contact"),
                               fv_text("rid", "01890000-0000-7000-8000-0000000000ff"),
                               fv_text("field", "phone_mobile"), fv_text("lost_by", "vera"),
                               fv_text("won_by", "boris"), fv_text("cause", "duplicate")};
  pull_conflict(s, "01890000-0000-7000-8000-00000000c003", c, 6, now - 1000);
  cl_reader *r = reader(f, "ru");
  conflict_rows got = {0};
  int n = -1;
  assert_int_equal(cl_reader_conflicts(r, 0, on_conflict_row, &got, &n, &err), 0);
  assert_int_equal(n, 3);
  assert_int_equal(got.n, 3);
  /* newest first: the duplicate, about a card not here */
  assert_true(got.c[0].duplicate);
  assert_string_equal(got.card[0], "(none)");
  assert_string_equal(got.field[0], "phone_mobile");
  assert_string_equal(got.by[0][0], "vera");
  assert_string_equal(got.lost[0], "");
  /* the protected phone: both values hidden, the writers shown */
  assert_false(got.c[1].duplicate);
  assert_true(got.c[1].lost_hidden && got.c[1].kept_hidden);
  assert_string_equal(got.card[1], "ООО Ромашка");
  assert_string_equal(got.field[1], "phone");
  /* the edit: both values, who wrote each, when, the card's title and type */
  assert_false(got.c[2].lost_hidden || got.c[2].kept_hidden || got.c[2].duplicate);
  assert_string_equal(got.card[2], "ООО Ромашка");
  assert_string_equal(got.field[2], "city");
  assert_string_equal(got.lost[2], "Казань");
  assert_string_equal(got.kept[2], "Тверь");
  assert_string_equal(got.by[2][0], "anna");
  assert_string_equal(got.by[2][1], "boris");
  assert_int_equal(got.c[2].when, now - 3000);
  assert_non_null(got.c[2].type);
  assert_string_equal(got.c[2].type->def->name, "org");
  /* a limit */
  conflict_rows one = {0};
  assert_int_equal(cl_reader_conflicts(r, 1, on_conflict_row, &one, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_true(one.c[0].duplicate);
}

typedef struct names_got {
  char v[8][32];
  int n;
} names_got;

static int on_name(void *ud, const char *name) {
  names_got *g = ud;
  if (g->n < 8) snprintf(g->v[g->n++], sizeof g->v[0], "%s", name);
  return 0;
}

/* The names a filter by owner or group offers: the office's accounts (not a
 * disabled one), this PC's user and the owners cards hold, sorted, once each;
 * the live groups; KT_EINVAL for a field that names no user or group. */
static void test_names_for_filters(void **state) {
  fx *f = *state;
  cl_set o1[] = {{"name", "Альфа"}, {"owner", "vera"}};
  cl_set o2[] = {{"name", "Бета"}, {"owner", "boris"}};
  cl_set o3[] = {{"name", "Гамма"}, {"owner", "boris"}};
  add(f->ts.s, "org", o1, 2, NULL);
  add(f->ts.s, "org", o2, 2, NULL);
  add(f->ts.s, "org", o3, 2, NULL);
  cl_set anna[] = {{"name", "anna"}, {"owner", "anna"}};
  assert_int_equal(cl_store_add_with_id(f->ts.s, "staff", "01a20000-0000-7000-8000-00000000a0a0",
                                        anna, 2, NULL), 0);
  cl_set gleb[] = {{"name", "gleb"}, {"owner", "gleb"}};
  assert_int_equal(cl_store_add_with_id(f->ts.s, "staff", "01a20000-0000-7000-8000-0000000000ff",
                                        gleb, 2, NULL), 0);
  assert_int_equal(cl_store_delete(f->ts.s, "01a20000-0000-7000-8000-0000000000ff", NULL), 0);
  cl_set g1[] = {{"name", "Продажи"}};
  cl_set g2[] = {{"name", "Опт"}};
  add(f->ts.s, "group", g1, 1, NULL);
  add(f->ts.s, "group", g2, 1, NULL);
  cl_reader *r = reader(f, "ru");
  names_got g = {0};
  kt_err err;
  assert_int_equal(cl_reader_names(r, "org", "owner", on_name, &g, &err), 0);
  assert_int_equal(g.n, 4);
  assert_string_equal(g.v[0], "anna");
  assert_string_equal(g.v[1], "boris");
  assert_string_equal(g.v[2], "tester");
  assert_string_equal(g.v[3], "vera");
  memset(&g, 0, sizeof g);
  assert_int_equal(cl_reader_names(r, "org", "grp", on_name, &g, &err), 0);
  assert_int_equal(g.n, 2);
  assert_string_equal(g.v[0], "Опт");
  assert_string_equal(g.v[1], "Продажи");
  memset(&g, 0, sizeof g);
  assert_int_equal(cl_reader_names(r, "task", "assignee", on_name, &g, &err), 0);
  assert_int_equal(g.n, 2); /* anna, tester: no task holds a name */
  assert_int_equal(cl_reader_names(r, "org", "city", on_name, &g, &err), KT_EINVAL);
  assert_int_equal(cl_reader_names(r, "org", "nope", on_name, &g, &err), KT_EINVAL);
  assert_int_equal(cl_reader_names(r, "nope", "owner", on_name, &g, &err), KT_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_cyrillic_order_and_ties, setup, teardown),
      cmocka_unit_test_setup_teardown(test_polish_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pages_anywhere, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sort_index_held_by_fresh_pull, setup, teardown),
      cmocka_unit_test_setup_teardown(test_filters_search_trash_match_store, setup, teardown),
      cmocka_unit_test_setup_teardown(test_writer_seen_after_refresh, setup, teardown),
      cmocka_unit_test_setup_teardown(test_patch_equals_rebuild, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reader_never_writes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(test_trash_across_types, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conflicts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_names_for_filters, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sort_index_equals_full_sort, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sort_index_which_views, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sort_index_collation_change, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sort_index_after_upgrade, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
