/* Out of memory is an error, never a wrong value: each operation of the core
 * (load a record, add and edit a card, apply a pulled change, build an
 * outbox push) is run again and again with the Nth allocation failing
 * (kt_alloc's hook), N = 1, 2, 3 ... Every failed run must return KT_ENOMEM
 * with a message and write nothing (the store's dump and outbox as before);
 * once N passes the operation's allocations it succeeds. A second pass fails
 * SQLite's own allocations too (its allocator routed through the hook). */
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
#include "kt_alloc.h"
#include "kt_change.h"
#include "kt_hlc.h"
#include "kt_rec.h"
#include "t_store.h"

#define MAX_N 5000 /* no operation here needs this many allocations */

typedef struct fx {
  t_store t;
  char org[KT_UUID_STRLEN + 1];
  int flags; /* KT_ALLOC_SQLITE for the second pass */
} fx;

static int setup_flags(void **state, int flags) {
  fx *f = calloc(1, sizeof *f);
  kt_err err;
  if (!f || t_store_open(&f->t, "oom")) return -1;
  f->flags = flags;
  cl_set sets[] = {{"name", "ООО Ромашка"}, {"city", "Москва"}, {"phone", "+7 495 123-45-67"}};
  if (cl_store_add(f->t.s, "org", sets, 3, f->org, &err)) return -1;
  *state = f;
  return 0;
}
static int setup(void **state) { return setup_flags(state, 0); }
static int setup_sqlite(void **state) { return setup_flags(state, KT_ALLOC_SQLITE); }

static int teardown(void **state) {
  fx *f = *state;
  kt_alloc_fail_nth(0, 0);
  t_store_close(&f->t);
  free(f);
  return 0;
}

/* The store's whole state as text: dump plus the outbox rows. */
static char *snapshot(cl_store *s) {
  kt_buf b = KT_BUF_INIT;
  kt_err err;
  assert_int_equal(cl_store_dump(s, &b, &err), 0);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(cl_store_sqlite(s),
                                      "SELECT seq, tcode, rid, hex(fields), hex(base) FROM outbox "
                                      "UNION ALL SELECT 0, tcode, rid, name, hex(value) FROM "
                                      "kept_value ORDER BY 1, 2, 3", -1, &st, NULL),
                   SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW)
    kt_buf_printf(&b, "outbox %lld %d %lld %s %s\n", (long long)sqlite3_column_int64(st, 0),
                  sqlite3_column_int(st, 1), (long long)sqlite3_column_int64(st, 2),
                  (const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 4));
  sqlite3_finalize(st);
  return kt_buf_take(&b);
}

typedef int (*op_fn)(fx *f, kt_err *err);

/* Runs op with the Nth allocation failing for N = 1, 2, ... until it runs
 * without a failure; returns how many allocations it made. */
static long walk(fx *f, const char *name, op_fn op) {
  long n;
  for (n = 1; n < MAX_N; n++) {
    char *before = snapshot(f->t.s);
    kt_err err;
    kt_err_clear(&err);
    kt_alloc_fail_nth(n, f->flags);
    int rc = op(f, &err);
    bool failed = kt_alloc_failed();
    kt_alloc_fail_nth(0, 0);
    if (!failed) {
      if (rc) fprintf(stderr, "%s: failed without an allocation failure: %s\n", name, err.msg);
      assert_int_equal(rc, 0);
      free(before);
      break;
    }
    char *after = snapshot(f->t.s);
    if (rc != KT_ENOMEM || !err.msg[0] || strcmp(before, after) != 0)
      fprintf(stderr, "%s: allocation %ld failed: rc %d, message \"%s\"%s\n", name, n, rc, err.msg,
              strcmp(before, after) ? ", and the store changed" : "");
    assert_int_equal(rc, KT_ENOMEM);
    assert_true(err.msg[0] != 0);
    assert_string_equal(before, after);
    free(before);
    free(after);
  }
  assert_true(n < MAX_N);
  return n;
}

/* ---- the operations --------------------------------------------------------------------- */

static int op_add(fx *f, kt_err *err) {
  char id[KT_UUID_STRLEN + 1];
  cl_set sets[] = {{"last_name", "Сидорова"}, {"first_name", "Анна"}, {"org", f->org},
                   {"phone_mobile", "+7 916 000-11-22"}, {"email", "anna@example.ru"}};
  return cl_store_add(f->t.s, "contact", sets, 5, id, err);
}

static int op_edit(fx *f, kt_err *err) {
  cl_set sets[] = {{"name", "ООО Ромашка и партнёры"}, {"city", "Санкт-Петербург"}};
  int changed = 0;
  return cl_store_edit(f->t.s, f->org, sets, 2, &changed, err);
}

#define DEV "01890000-0000-7000-8000-0000000000bb"

static int op_apply(fx *f, kt_err *err) {
  uint64_t st = (kt_now_ms() - 1000) << 16;
  Kartoteka__FieldValue v[3];
  const char *names[3] = {"name", "city", "future_field"};
  const char *texts[3] = {"ООО Ромашка (с сервера)", "Казань", "значение из будущего"};
  Kartoteka__FieldValue *p[3];
  for (int i = 0; i < 3; i++) {
    kartoteka__field_value__init(&v[i]);
    v[i].name = (char *)names[i];
    v[i].value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
    v[i].text = (char *)texts[i];
    v[i].stamp = st;
    v[i].device = DEV;
    p[i] = &v[i];
  }
  Kartoteka__Change ch = KARTOTEKA__CHANGE__INIT;
  ch.type = "org";
  ch.id = f->org;
  ch.fields = p;
  ch.n_fields = 3;
  int rc = cl_store_begin_pulled(f->t.s, false, err);
  if (rc) return rc;
  if ((rc = cl_store_apply(f->t.s, &ch, err)) || (rc = cl_store_commit(f->t.s, err)))
    cl_store_rollback(f->t.s);
  return rc;
}

/* Builds what the sync engine pushes for the outbox (cl_sync's collect). */
typedef struct push_ctx {
  cl_store *s;
  kt_err *err;
  int rc, n;
  size_t bytes;
} push_ctx;

static int on_item(void *ud, const cl_outbox_item *it) {
  push_ctx *p = ud;
  Kartoteka__Change ch = KARTOTEKA__CHANGE__INIT;
  void *kept = NULL;
  p->rc = kt_change_from_rec(it->rec_copy, &it->fields, &it->base, cl_store_devname, p->s, &ch,
                             p->err);
  if (!p->rc) p->rc = cl_store_kept_attach(p->s, it->rec_copy, &ch, &kept, p->err);
  if (!p->rc) {
    p->bytes += kartoteka__change__get_packed_size(&ch);
    p->n++;
  }
  cl_store_kept_release(kept);
  kt_change_clear(&ch);
  cl_rec_free(it->rec_copy);
  return p->rc != 0;
}

static int op_push(fx *f, kt_err *err) {
  push_ctx p = {f->t.s, err, 0, 0, 0};
  int rc = cl_store_outbox_walk(f->t.s, 500, on_item, &p, err);
  if (!rc) rc = p.rc;
  if (!rc && p.n == 0) rc = kt_err_set(err, KT_EINTERNAL, "nothing to push");
  return rc;
}

/* A record loaded into a reused kt_rec (as every walk does): a failure leaves
 * no value of the previous row behind. */
static int op_load(fx *f, kt_err *err) {
  cl_store *s = f->t.s;
  kt_mtype *t = kt_model_type(cl_store_model(s), "org");
  kt_buf sql = KT_BUF_INIT;
  kt_recsql_select(t, &sql);
  kt_buf_puts(&sql, " ORDER BY rowid");
  if (sql.oom) {
    kt_buf_free(&sql);
    return kt_err_set(err, KT_ENOMEM, "out of memory building the query");
  }
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(cl_store_sqlite(s), kt_buf_str(&sql), -1, &st, NULL);
  kt_buf_free(&sql);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(st);
    return rc == SQLITE_NOMEM ? kt_err_set(err, KT_ENOMEM, "out of memory preparing") : KT_EDB;
  }
  kt_rec *r = kt_rec_new(t);
  rc = r ? 0 : kt_err_set(err, KT_ENOMEM, "out of memory");
  int rows = 0, src = SQLITE_DONE;
  while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = kt_rec_load(r, st, err))) {
      /* nothing of the row before (nor a half of this one) */
      for (int k = 0; k < t->nfields; k++) assert_int_equal(r->v[k].kind, KT_V_NULL);
      assert_int_equal(r->rowid, 0);
      break;
    }
    rows++;
  }
  if (!rc && src == SQLITE_NOMEM) rc = kt_err_set(err, KT_ENOMEM, "out of memory stepping");
  if (!rc && rows != 2) rc = kt_err_set(err, KT_EINTERNAL, "read %d rows", rows);
  kt_rec_free(r);
  sqlite3_finalize(st);
  return rc;
}

/* ---- the tests -------------------------------------------------------------------------- */

/* The hook itself: the nth allocation fails, once or from then on. */
static void test_hook(void **state) {
  (void)state;
  kt_alloc_fail_nth(3, 0);
  void *a = kt_malloc(8), *b = kt_calloc(1, 8), *c = kt_strdup("x"), *d = kt_malloc(8);
  assert_non_null(a);
  assert_non_null(b);
  assert_null(c);
  assert_non_null(d);
  assert_true(kt_alloc_failed());
  assert_int_equal(kt_alloc_count(), 3); /* disarmed after a one-shot failure */
  free(a);
  free(b);
  free(d);
  kt_alloc_fail_nth(2, KT_ALLOC_STICKY);
  a = kt_malloc(8);
  assert_non_null(a);
  assert_null(kt_realloc(a, 64)); /* a is untouched */
  assert_null(kt_malloc(1));
  assert_null(kt_strndup("abc", 2));
  kt_alloc_fail_nth(0, 0);
  assert_false(kt_alloc_failed());
  b = kt_realloc(a, 64);
  assert_non_null(b);
  free(b);
}

static void test_add(void **state) {
  fx *f = *state;
  long n = walk(f, "add", op_add);
  fprintf(stderr, "# add: %ld allocations\n", n - 1);
  assert_true(n > 1);
}

static void test_edit(void **state) {
  fx *f = *state;
  long n = walk(f, "edit", op_edit);
  fprintf(stderr, "# edit: %ld allocations\n", n - 1);
  assert_true(n > 1);
}

static void test_apply(void **state) {
  fx *f = *state;
  long n = walk(f, "apply", op_apply);
  fprintf(stderr, "# apply: %ld allocations\n", n - 1);
  assert_true(n > 1);
}

static void test_push(void **state) {
  fx *f = *state;
  kt_err err;
  assert_int_equal(op_apply(f, &err), 0); /* a kept value to send back too */
  assert_int_equal(op_edit(f, &err), 0);
  long n = walk(f, "push", op_push);
  fprintf(stderr, "# push: %ld allocations\n", n - 1);
  assert_true(n > 1);
}

static void test_load(void **state) {
  fx *f = *state;
  kt_err err;
  char id[KT_UUID_STRLEN + 1];
  cl_set sets[] = {{"name", "ЗАО Лютик"}};
  assert_int_equal(cl_store_add(f->t.s, "org", sets, 1, id, &err), 0);
  long n = walk(f, "load", op_load);
  fprintf(stderr, "# load: %ld allocations\n", n - 1);
  assert_true(n > 1);
}

int main(void) {
  /* SQLite's allocations through the hook (counted only with KT_ALLOC_SQLITE) */
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, kt_alloc_sqlite_methods()) != SQLITE_OK) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hook),
      cmocka_unit_test_setup_teardown(test_load, setup, teardown),
      cmocka_unit_test_setup_teardown(test_add, setup, teardown),
      cmocka_unit_test_setup_teardown(test_edit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
      cmocka_unit_test_setup_teardown(test_push, setup, teardown),
      cmocka_unit_test_setup_teardown(test_load, setup_sqlite, teardown),
      cmocka_unit_test_setup_teardown(test_add, setup_sqlite, teardown),
      cmocka_unit_test_setup_teardown(test_edit, setup_sqlite, teardown),
      cmocka_unit_test_setup_teardown(test_apply, setup_sqlite, teardown),
      cmocka_unit_test_setup_teardown(test_push, setup_sqlite, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
