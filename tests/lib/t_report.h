/* t_report — what the report unit tests share (test_report, test_report_crm):
 * a fresh standalone replica per test (user "tester", TZ Europe/Moscow),
 * cards and deals made in one line each, and cells of a report read by table
 * and column name, failing the test (cmocka) when one is not there. Ids of the
 * cards a test made are in t_id, in order. */
#ifndef T_REPORT_H
#define T_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "cl_report.h"
#include "t_store.h"

typedef t_store fx;

/* cmocka setup/teardown of a fresh replica in *state */
int t_report_setup(void **state);
int t_report_teardown(void **state);

/* Cards; owner NULL = the profile's user. Return the new id (static storage). */
const char *t_org(fx *f, const char *name, const char *owner);
const char *t_org_with(fx *f, const char *name, const char *field, const char *value,
                       const char *field2, const char *value2);
const char *t_contact(fx *f, const char *last, const char *first, const char *of_org);
/* A deal: date NULL = undated; state NULL = invoice; paid/units NULL = unset. */
void t_deal_full(fx *f, const char *of_org, const char *of_contact, const char *date,
                 const char *amount, const char *state, const char *paid, const char *units);
void t_deal(fx *f, const char *of_org, const char *date, const char *amount);
void t_event(fx *f, const char *of_org, const char *assignee, const char *type, const char *result,
             const char *start, const char *status);

/* Reading a report (the caller frees it with cl_report_free). */
cl_report *t_run(fx *f, const char *name, const cl_report_opts *o);
cl_rcell t_cell(const cl_report *r, const char *tab, size_t row, const char *column);
int64_t t_ci(const cl_report *r, const char *tab, size_t row, const char *column);
const char *t_cs(const cl_report *r, const char *tab, size_t row, const char *column);
bool t_isnull(const cl_report *r, const char *tab, size_t row, const char *column);
size_t t_nrows(const cl_report *r, const char *tab);
/* the row whose column `key` has text `value` */
size_t t_row_of(const cl_report *r, const char *tab, const char *key, const char *value);
bool t_has_note(const cl_report *r, const char *part);
int32_t t_day(const char *iso); /* days since 1970-01-01 */

#define RUB(x) ((int64_t)(x) * 100)

#endif
