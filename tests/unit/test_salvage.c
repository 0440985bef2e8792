/* Unit tests for cl_salvage and cl_store_apply_unsent: a replica with 1,500
 * unsent cards has a page of its outbox and pages of its card table
 * overwritten; the salvage skips past the damaged stretch of the outbox (the
 * entries after it are read), loses only the cards whose rows sit on damaged
 * pages, reads the settings and the change counter, and names each value
 * with this device's id and its own stamp; merged into an empty replica the
 * changes come back as unsent edits, and merging them again queues nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "cl_salvage.h"
#include "cl_store.h"
#include "t_store.h"

#define CARDS 1500

typedef struct fx {
  t_store a, b;
  char last[37];
  char device[40];
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f || t_store_open(&f->a, "salvage") || t_store_open(&f->b, "salvage2")) return -1;
  char name[64], comment[400];
  memset(comment, 'x', 300);
  comment[300] = '\0';
  if (cl_store_begin(f->a.s, NULL)) return -1;
  for (int i = 0; i < CARDS; i++) {
    snprintf(name, sizeof name, "Клиент %d", i);
    cl_set sets[] = {{"name", name}, {"comment", comment}};
    if (cl_store_add(f->a.s, "org", sets, 2, f->last, NULL)) return -1;
  }
  if (cl_store_commit(f->a.s, NULL)) return -1;
  snprintf(f->device, sizeof f->device, "%s", cl_store_device(f->a.s));
  cl_store_close(f->a.s); /* the WAL goes into the file */
  f->a.s = NULL;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  t_store_close(&f->a);
  t_store_close(&f->b);
  free(f);
  return 0;
}

/* Overwrites n leaf pages of table's b-tree, from `at` (0..1) of the way in. */
static void damage(const char *path, const char *table, double at, int n) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT pageno FROM dbstat WHERE name = ?1 AND "
                                      "pagetype = 'leaf' ORDER BY pageno", -1, &st, NULL),
                   SQLITE_OK);
  sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
  int64_t pages[4096];
  int np = 0;
  while (sqlite3_step(st) == SQLITE_ROW && np < 4096) pages[np++] = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  assert_true(np > n + 2);
  FILE *fp = fopen(path, "r+b");
  assert_non_null(fp);
  char junk[4096];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 7919 % 251);
  for (int i = 0; i < n; i++) {
    assert_int_equal(fseek(fp, (long)(pages[(int)(np * at) + i] - 1) * 4096, SEEK_SET), 0);
    assert_int_equal(fwrite(junk, 1, sizeof junk, fp), sizeof junk);
  }
  fclose(fp);
}

static void test_salvage_and_merge(void **state) {
  fx *f = *state;
  damage(f->a.path, "outbox", 0.5, 1); /* the middle cards' entries (a page holds ~200) */
  damage(f->a.path, "t_org", 0.25, 3); /* other cards' rows */
  cl_salvage *sv = NULL;
  kt_err err;
  assert_int_equal(cl_salvage_read(f->a.path, NULL, &sv, &err), 0);
  cl_salvage_stats st;
  cl_salvage_stats_get(sv, &st);
  assert_true(st.gaps >= 1); /* the damaged outbox page was skipped */
  assert_true(st.outbox < CARDS && st.outbox > CARDS - 400); /* ...and only it */
  assert_true(st.rows_lost > 0 && st.rows_lost < 100); /* cards on damaged pages */
  assert_int_equal(st.changes + st.rows_lost, st.outbox);
  assert_int_equal((int)cl_salvage_count(sv), st.changes);
  assert_string_equal(cl_salvage_meta(sv, "user"), "tester");
  assert_string_equal(cl_salvage_meta(sv, "device_id"), f->device);
  assert_int_equal(cl_salvage_counter(sv), CARDS);
  /* the entries after the damaged outbox page are read: the last card is there */
  bool last = false;
  for (size_t i = 0; i < cl_salvage_count(sv); i++) {
    const Kartoteka__Change *ch = cl_salvage_change(sv, i);
    assert_string_equal(ch->type, "org");
    assert_true(ch->n_fields >= 3); /* owner, created, name, comment, deleted... */
    for (size_t k = 0; k < ch->n_fields; k++) {
      assert_string_equal(ch->fields[k]->device, f->device);
      assert_true(ch->fields[k]->stamp > 0);
    }
    if (strcmp(ch->id, f->last) == 0) last = true;
  }
  assert_true(last);
  /* another device's replica takes none of it: the values are not its own */
  int q = 0;
  assert_int_equal(cl_store_apply_unsent(f->b.s, cl_salvage_change(sv, 0), &q, &err), 0);
  assert_int_equal(q, 0);
  cl_salvage_free(sv);
}

/* The rebuilt replica of the same device takes them back as unsent edits. */
static void test_merge_into_rebuilt(void **state) {
  fx *f = *state;
  damage(f->a.path, "t_org", 0.5, 2);
  cl_salvage *sv = NULL;
  kt_err err;
  assert_int_equal(cl_salvage_read(f->a.path, NULL, &sv, &err), 0);
  char path[200];
  snprintf(path, sizeof path, "%s/rebuilt.db", f->b.dir);
  assert_int_equal(cl_store_create(path, "tester", "local", f->device, &err), 0);
  cl_store *s;
  assert_int_equal(cl_store_open(path, NULL, &s, &err), 0);
  assert_int_equal(cl_store_begin(s, &err), 0);
  int total = 0;
  for (size_t i = 0; i < cl_salvage_count(sv); i++) {
    int q = 0;
    assert_int_equal(cl_store_apply_unsent(s, cl_salvage_change(sv, i), &q, &err), 0);
    assert_true(q > 0);
    total += q;
  }
  assert_int_equal(cl_store_commit(s, &err), 0);
  assert_true(total >= (int)cl_salvage_count(sv)); /* at least one field queued per change */
  int64_t n = 0;
  assert_int_equal(cl_store_outbox_count(s, &n, &err), 0);
  assert_int_equal(n, (int64_t)cl_salvage_count(sv));
  cl_rec *r = NULL;
  assert_int_equal(cl_store_get(s, f->last, &r, &err), 0);
  cl_rec_free(r);
  /* again: the values are there with the same stamps, nothing more to send */
  int q = -1;
  assert_int_equal(cl_store_apply_unsent(s, cl_salvage_change(sv, 0), &q, &err), 0);
  assert_int_equal(q, 0);
  /* and new change numbers continue above a floor */
  assert_int_equal(cl_store_outbox_floor(s, 1000000, &err), 0);
  cl_set e[] = {{"city", "Тверь"}};
  assert_int_equal(cl_store_edit(s, f->last, e, 1, NULL, &err), 0);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(cl_store_sqlite(s), "SELECT max(seq) FROM outbox", -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_true(sqlite3_column_int64(st, 0) > 1000000);
  sqlite3_finalize(st);
  cl_store_close(s);
  cl_salvage_free(sv);
}

static void test_nothing_readable(void **state) {
  fx *f = *state;
  FILE *fp = fopen(f->a.path, "r+b");
  assert_non_null(fp);
  char junk[4096];
  memset(junk, 0x5a, sizeof junk);
  assert_int_equal(fwrite(junk, 1, sizeof junk, fp), sizeof junk); /* page 1: the table list */
  fclose(fp);
  cl_salvage *sv = NULL;
  kt_err err;
  assert_int_equal(cl_salvage_read(f->a.path, NULL, &sv, &err), KT_ECORRUPT);
  assert_null(sv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_salvage_and_merge, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_into_rebuilt, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nothing_readable, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
