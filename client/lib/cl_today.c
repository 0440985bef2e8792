/* cl_today — see cl_today.h. */
#include "cl_today.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kt_buf.h"
#include "kt_i18n.h"
#include "kt_time.h"

int64_t cl_local_midnight(int64_t ms, int add_days) {
  time_t t = (time_t)(ms / 1000);
  struct tm lt;
  localtime_r(&t, &lt);
  return kt_local_to_ms(lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday + add_days, 0, 0, 0);
}

bool cl_task_overdue(const cl_occurrence *x, int64_t now) {
  return strcmp(x->rtype, "task") == 0 && !x->done && x->occurs < now;
}

typedef struct overdue_acc {
  cl_occurrence *v;
  int n, cap;
  int64_t before;
  int rc; /* KT_ENOMEM */
} overdue_acc;

static int keep_overdue(overdue_acc *a, const cl_occurrence *x) {
  if (a->n == a->cap) {
    int cap = a->cap ? a->cap * 2 : 16;
    cl_occurrence *p = realloc(a->v, (size_t)cap * sizeof *p);
    if (!p) return a->rc = KT_ENOMEM;
    a->v = p;
    a->cap = cap;
  }
  a->v[a->n++] = *x;
  return 0;
}

static int on_overdue_task(void *ud, const cl_occurrence *x) {
  overdue_acc *a = ud;
  return cl_task_overdue(x, a->before) ? keep_overdue(a, x) : 0;
}

static int on_overdue_call(void *ud, const cl_callback *c) {
  overdue_acc *a = ud;
  if (c->start >= a->before) return 0;
  cl_occurrence x;
  memset(&x, 0, sizeof x);
  snprintf(x.rtype, sizeof x.rtype, "event");
  snprintf(x.rid, sizeof x.rid, "%s", c->id);
  kt_buf t = KT_BUF_INIT;
  /* the type's label as people read it ("звонок: …"), as walk_items writes it */
  const char *call = kt_i18n_ctx("event", "call");
  kt_buf_printf(&t, "%s: %s%s%s", call, c->title[0] ? c->title : call, c->org[0] ? " — " : "", c->org);
  size_t n = t.len < sizeof x.title - 1 ? t.len : sizeof x.title - 1; /* a long title is cut */
  memcpy(x.title, kt_buf_str(&t), n);
  x.title[n] = '\0';
  kt_buf_free(&t);
  x.occurs = c->start;
  return keep_overdue(a, &x);
}

static int by_time(const void *pa, const void *pb) {
  const cl_occurrence *a = pa, *b = pb;
  return a->occurs < b->occurs ? -1 : a->occurs > b->occurs;
}

typedef struct today_ctx {
  cl_today_cb cb;
  void *ud;
  int64_t now;
} today_ctx;

static int on_today(void *ud, const cl_occurrence *x) {
  today_ctx *t = ud;
  return t->cb(t->ud, x, cl_task_overdue(x, t->now));
}

int cl_today(cl_store *s, const char *user, int64_t now, cl_today_cb cb, void *ud, kt_err *err) {
  if (!now) now = (int64_t)kt_now_ms();
  int64_t from = cl_local_midnight(now, 0), to = cl_local_midnight(now, 1) - 1;
  overdue_acc a = {.before = from};
  int rc = cl_diary(s, user, from - 365LL * 86400000, from - 1, false, on_overdue_task, &a, err);
  if (!rc) rc = cl_callbacks(s, user, from - 1, on_overdue_call, &a, err);
  if (!rc && a.rc) rc = kt_err_set(err, a.rc, "out of memory");
  if (!rc) {
    if (a.n) qsort(a.v, (size_t)a.n, sizeof *a.v, by_time); /* (NULL when none: UB for qsort) */
    for (int i = 0; i < a.n && !rc; i++)
      if (cb(ud, &a.v[i], true)) rc = 1;
  }
  if (!rc) {
    today_ctx t = {cb, ud, now};
    rc = cl_diary(s, user, from, to, true, on_today, &t, err);
  }
  free(a.v);
  return rc > 0 ? 0 : rc;
}
