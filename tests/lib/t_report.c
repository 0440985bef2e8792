/* t_report — see t_report.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "kt_time.h"
#include "t_report.h"

static char g_id[64][37]; /* ids of the cards made by the running test, in order */
static int g_n;

int t_report_setup(void **state) {
  g_n = 0;
  setenv("TZ", "Europe/Moscow", 1);
  tzset();
  fx *f = calloc(1, sizeof *f);
  if (!f || t_store_open(f, "report")) return -1;
  *state = f;
  return 0;
}

int t_report_teardown(void **state) { return t_store_teardown(state); }

static const char *next_id(void) {
  if (g_n >= 64) fail_msg("t_report: more than 64 cards in one test");
  return g_id[g_n];
}

const char *t_org(fx *f, const char *name, const char *owner) {
  kt_err err;
  cl_set s[] = {{"name", name}, {"owner", owner ? owner : "tester"}};
  if (cl_store_add(f->s, "org", s, 2, (char *)next_id(), &err)) fail_msg("add org: %s", err.msg);
  return g_id[g_n++];
}

const char *t_org_with(fx *f, const char *name, const char *field, const char *value,
                       const char *field2, const char *value2) {
  kt_err err;
  cl_set s[] = {{"name", name}, {field, value}, {field2, value2}};
  if (cl_store_add(f->s, "org", s, field2 ? 3 : 2, (char *)next_id(), &err))
    fail_msg("add org: %s", err.msg);
  return g_id[g_n++];
}

const char *t_contact(fx *f, const char *last, const char *first, const char *of_org) {
  kt_err err;
  cl_set s[] = {{"last_name", last}, {"first_name", first}, {"org", of_org}};
  if (cl_store_add(f->s, "contact", s, of_org ? 3 : 2, (char *)next_id(), &err))
    fail_msg("add contact: %s", err.msg);
  return g_id[g_n++];
}

void t_deal_full(fx *f, const char *of_org, const char *of_contact, const char *date,
                 const char *amount, const char *state, const char *paid, const char *units) {
  kt_err err;
  char id[37];
  cl_set s[8];
  int n = 0;
  if (of_org) s[n++] = (cl_set){"org", of_org};
  if (of_contact) s[n++] = (cl_set){"contact", of_contact};
  if (date) s[n++] = (cl_set){"date", date};
  s[n++] = (cl_set){"amount", amount};
  s[n++] = (cl_set){"state", state ? state : "invoice"};
  if (paid) s[n++] = (cl_set){"paid", paid};
  if (units) s[n++] = (cl_set){"units", units};
  if (cl_store_add(f->s, "deal", s, n, id, &err)) fail_msg("add deal: %s", err.msg);
}

void t_deal(fx *f, const char *of_org, const char *date, const char *amount) {
  t_deal_full(f, of_org, NULL, date, amount, NULL, NULL, NULL);
}

void t_event(fx *f, const char *of_org, const char *assignee, const char *type, const char *result,
             const char *start, const char *status) {
  kt_err err;
  char id[37];
  cl_set s[7] = {{"org", of_org}, {"type", type}, {"start", start}, {"title", "x"}};
  int n = 4;
  if (assignee) s[n++] = (cl_set){"assignee", assignee};
  if (result) s[n++] = (cl_set){"result", result};
  if (status) s[n++] = (cl_set){"status", status};
  if (cl_store_add(f->s, "event", s, n, id, &err)) fail_msg("add event: %s", err.msg);
}

cl_report *t_run(fx *f, const char *name, const cl_report_opts *o) {
  kt_err err;
  cl_report *r = NULL;
  if (cl_report_run(f->s, name, o, &r, &err)) fail_msg("report %s: %s", name, err.msg);
  return r;
}

static const cl_rtable *table(const cl_report *r, const char *name) {
  const cl_rtable *t = cl_report_table_named(r, name);
  if (!t) fail_msg("report %s has no table %s", cl_report_name(r), name);
  return t;
}

static int col(const cl_rtable *t, const char *name) {
  for (int c = 0; c < cl_rtable_ncols(t); c++)
    if (strcmp(cl_rtable_col_name(t, c), name) == 0) return c;
  fail_msg("table %s has no column %s", cl_rtable_name(t), name);
  return -1;
}

cl_rcell t_cell(const cl_report *r, const char *tab, size_t row, const char *column) {
  const cl_rtable *t = table(r, tab);
  if (row >= cl_rtable_nrows(t)) fail_msg("%s has %zu rows, not %zu", tab, cl_rtable_nrows(t), row + 1);
  cl_rcell x[32];
  cl_rtable_row(t, row, x);
  return x[col(t, column)];
}

int64_t t_ci(const cl_report *r, const char *tab, size_t row, const char *column) {
  cl_rcell c = t_cell(r, tab, row, column);
  if (c.null) fail_msg("%s[%zu].%s is null", tab, row, column);
  return c.i;
}

const char *t_cs(const cl_report *r, const char *tab, size_t row, const char *column) {
  cl_rcell c = t_cell(r, tab, row, column);
  return c.null ? "(null)" : c.s;
}

bool t_isnull(const cl_report *r, const char *tab, size_t row, const char *column) {
  return t_cell(r, tab, row, column).null;
}

size_t t_nrows(const cl_report *r, const char *tab) { return cl_rtable_nrows(table(r, tab)); }

size_t t_row_of(const cl_report *r, const char *tab, const char *key, const char *value) {
  for (size_t i = 0; i < t_nrows(r, tab); i++)
    if (strcmp(t_cs(r, tab, i, key), value) == 0) return i;
  fail_msg("%s has no row with %s = %s", tab, key, value);
  return 0;
}

bool t_has_note(const cl_report *r, const char *part) {
  for (size_t i = 0; i < cl_report_nnotes(r); i++)
    if (strstr(cl_report_note(r, i), part)) return true;
  return false;
}

int32_t t_day(const char *iso) {
  int64_t ms;
  if (kt_datetime_parse(iso, &ms, NULL)) fail_msg("bad date %s", iso);
  char back[11];
  for (int64_t d = ms / 86400000 - 1; d <= ms / 86400000 + 1; d++) {
    cl_report_day_format(d, back);
    if (strcmp(back, iso) == 0) return (int32_t)d;
  }
  fail_msg("no day %s", iso);
  return 0;
}
