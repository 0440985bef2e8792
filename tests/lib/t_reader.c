/* t_reader — helpers of the reader's unit tests (test_reader,
 * test_reader_search): id lists, every row of a view walked by keyset pages
 * forwards and backwards, views and readers opened or the test fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "t_reader.h"

void t_ids_add(t_ids *l, const char *id) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->id = realloc(l->id, (size_t)l->cap * sizeof *l->id);
    assert_non_null(l->id);
  }
  snprintf(l->id[l->n++], KT_UUID_STRLEN + 1, "%s", id);
}

int t_ids_cb(void *ud, const cl_rec *r) {
  t_ids_add(ud, cl_rec_id(r));
  return 0;
}

void t_ids_equal(const t_ids *a, const t_ids *b) {
  assert_int_equal(a->n, b->n);
  for (int i = 0; i < a->n; i++) assert_string_equal(a->id[i], b->id[i]);
}

/* Every row of a view, one page at a time forwards (keyset from the last
 * row of the previous page). */
t_ids t_view_forward(cl_view *v, int page) {
  t_ids l = {0};
  kt_err err;
  kt_rec *rows[64];
  char last[KT_UUID_STRLEN + 1] = "";
  for (;;) {
    int got = 0;
    assert_int_equal(cl_view_next(v, *last ? last : NULL, page, rows, &got, &err), 0);
    if (!got) break;
    for (int i = 0; i < got; i++) {
      t_ids_add(&l, kt_rec_id(rows[i]));
      kt_rec_free(rows[i]);
    }
    snprintf(last, sizeof last, "%s", l.id[l.n - 1]);
  }
  return l;
}

/* Every row of a view, one page at a time backwards from the end, put back
 * in view order. */
t_ids t_view_backward(cl_view *v, int page) {
  t_ids rev = {0};
  kt_err err;
  kt_rec *rows[64];
  char first[KT_UUID_STRLEN + 1] = "";
  for (;;) {
    int got = 0;
    assert_int_equal(cl_view_prev(v, *first ? first : NULL, page, rows, &got, &err), 0);
    if (!got) break;
    for (int i = got - 1; i >= 0; i--) {
      t_ids_add(&rev, kt_rec_id(rows[i]));
      kt_rec_free(rows[i]);
    }
    snprintf(first, sizeof first, "%s", rev.id[rev.n - 1]);
  }
  t_ids l = {0};
  for (int i = rev.n - 1; i >= 0; i--) t_ids_add(&l, rev.id[i]);
  free(rev.id);
  return l;
}

cl_view *t_view(cl_reader *r, const cl_view_spec *spec) {
  cl_view *v = NULL;
  kt_err err;
  int rc = cl_view_open(r, spec, &v, &err);
  if (rc) fprintf(stderr, "cl_view_open: %s\n", err.msg);
  assert_int_equal(rc, 0);
  return v;
}

cl_reader *t_reader(const char *path, const char *locale, bool no_index) {
  kt_err err;
  cl_reader_opts o = {.locale = locale, .no_sort_index = no_index};
  cl_reader *r = NULL;
  int rc = cl_reader_open(path, &o, &r, &err);
  if (rc) fprintf(stderr, "cl_reader_open: %s\n", err.msg);
  assert_int_equal(rc, 0);
  return r;
}


void t_views_same(cl_view *v, cl_view *ref, int fw_page, int bw_page, int probes, int npage,
                  unsigned *seed) {
  kt_err err;
  assert_true(npage > 0 && npage <= 16);
  assert_int_equal(cl_view_count(v), cl_view_count(ref));
  t_ids want = t_view_forward(ref, 64), fw = t_view_forward(v, fw_page),
        bw = t_view_backward(v, bw_page);
  t_ids_equal(&fw, &want);
  t_ids_equal(&bw, &want);
  for (int k = 0; k < probes && want.n; k++) {
    int64_t n = k == 0 ? 0 : k == 1 ? want.n - 1 : (int64_t)(rand_r(seed) % (unsigned)want.n);
    kt_rec *rows[16];
    int got = 0;
    assert_int_equal(cl_view_page(v, n, npage, rows, &got, &err), 0);
    assert_int_equal(got, n + npage <= want.n ? npage : want.n - n);
    for (int i = 0; i < got; i++) {
      assert_string_equal(kt_rec_id(rows[i]), want.id[n + i]);
      kt_rec_free(rows[i]);
    }
    int64_t pos = -1;
    assert_int_equal(cl_view_find(v, want.id[n], &pos, &err), 0);
    assert_int_equal(pos, n);
  }
  free(want.id), free(fw.id), free(bw.id);
}
