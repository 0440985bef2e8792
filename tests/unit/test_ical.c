/* Unit tests for cl_ical: a calendar app's export (tests/data/import/
 * calendar.ics: VTIMEZONE + TZID, a TZID libical knows without a VTIMEZONE,
 * VALARM relative and absolute, RRULE, DTEND and DURATION, an all-day
 * event, a VTODO), bad input named by its line, and reader(writer(x)) == x
 * for events and tasks, with fields iCalendar has no property for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cl_ical.h"

static const char *cell(const cl_rowset *rs, int r, const char *field) {
  for (int i = 0; i < rs->nheader; i++)
    if (strcmp(rs->header[i], field) == 0) return i < rs->rows[r].ncells ? rs->rows[r].cells[i] : "";
  return "";
}

static int setup(void **state) {
  (void)state;
  setenv("TZ", "Europe/Moscow", 1); /* floating and all-day times are the PC's */
  tzset();
  return 0;
}

static void test_calendar_export(void **state) {
  (void)state;
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_ical_read("tests/data/import/calendar.ics", NULL, &rs, &err);
  if (rc) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_string_equal(rs->format, "ical");
  assert_int_equal(rs->nrows, 4);
  /* a weekly meeting in Moscow time with a 15-minute reminder */
  assert_string_equal(rs->rows[0].type, "event");
  assert_int_equal(rs->rows[0].line, 18);
  assert_string_equal(cell(rs, 0, "title"), "Планёрка");
  assert_string_equal(cell(rs, 0, "start"), "2026-11-23T07:00:00Z");
  assert_string_equal(cell(rs, 0, "duration"), "60");
  assert_string_equal(cell(rs, 0, "rrule"), "FREQ=WEEKLY;BYDAY=MO");
  assert_string_equal(cell(rs, 0, "status"), "planned");
  assert_string_equal(cell(rs, 0, "comment"), "Планёрка отдела продаж, каб. 5\nВзять отчёт");
  assert_string_equal(cell(rs, 0, "remind_before"), "15");
  assert_string_equal(cell(rs, 0, "description"), "");
  /* Warsaw in summer (CEST, +2) without a VTIMEZONE: libical's own zone */
  assert_int_equal(rs->rows[1].line, 38);
  assert_string_equal(cell(rs, 1, "start"), "2026-07-05T12:30:00Z");
  assert_string_equal(cell(rs, 1, "duration"), "90");
  assert_string_equal(cell(rs, 1, "remind_at"), "2026-07-05T12:00:00Z");
  assert_string_equal(cell(rs, 1, "remind_before"), "");
  /* a task */
  assert_string_equal(rs->rows[2].type, "task");
  assert_int_equal(rs->rows[2].line, 51);
  assert_string_equal(cell(rs, 2, "title"), "Отправить счёт");
  assert_string_equal(cell(rs, 2, "due"), "2026-11-25T15:00:00Z");
  assert_string_equal(cell(rs, 2, "priority"), "high");
  assert_string_equal(cell(rs, 2, "status"), "open");
  assert_string_equal(cell(rs, 2, "description"), "ООО Ромашка");
  assert_string_equal(cell(rs, 2, "remind_before"), "60");
  /* an all-day event: the PC's midnight, a day long */
  assert_int_equal(rs->rows[3].line, 65);
  assert_string_equal(cell(rs, 3, "start"), "2026-12-30T21:00:00Z");
  assert_string_equal(cell(rs, 3, "duration"), "1440");
  assert_string_equal(cell(rs, 3, "status"), "cancelled");
  cl_rowset_free(rs);
}

static int parse(const char *text, cl_rowset **rs, kt_err *err) {
  kt_err_clear(err);
  *rs = NULL;
  return cl_ical_parse(text, strlen(text), rs, err);
}

static void test_bad_input(void **state) {
  (void)state;
  kt_err err;
  cl_rowset *rs;
  assert_int_equal(parse("BEGIN:VEVENT\nDTSTART:20261123T100000Z\nEND:VEVENT\n", &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "no BEGIN:VCALENDAR"));
  assert_null(rs);
  assert_int_equal(parse("BEGIN:VCARD\nN:A;B\nEND:VCARD\n", &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "VCALENDAR"));
  assert_int_equal(cl_ical_parse("\0\x01\x02garbage", 10, &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "binary"));
  /* a time zone nobody describes */
  assert_int_equal(parse("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:1\n"
                         "DTSTART;TZID=Nowhere/Atlantis:20261123T100000\nEND:VEVENT\nEND:VCALENDAR\n",
                         &rs, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 3"));
  assert_non_null(strstr(err.msg, "Nowhere/Atlantis"));
  /* a date libical cannot read, in the second component */
  assert_int_equal(parse("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VTODO\nSUMMARY:ok\nEND:VTODO\n"
                         "BEGIN:VEVENT\nUID:2\nDTSTART:2026-11-ХХ\nEND:VEVENT\nEND:VCALENDAR\n", &rs, &err),
                   KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 6"));
  /* a truncated file: the events that were complete are not taken as the whole */
  const char *cut = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:3\nSUMMARY:x";
  int rc = parse(cut, &rs, &err);
  if (rc == 0) {
    /* libical closes what it can; then the event must at least be whole */
    assert_int_equal(rs->nrows, 1);
    cl_rowset_free(rs);
  } else {
    assert_int_equal(rc, KT_EINVAL);
  }
  kt_err_clear(&err);
  assert_int_equal(cl_ical_read("/nonexistent/x.ics", NULL, &rs, &err), KT_EIO);
}

/* A value of only spaces is written as no value: libical reads "SUMMARY: " back as a
 * property without a value and refuses the task (found by the soak's fuzzer). */
static void test_blank_values_read_back(void **state) {
  (void)state;
  const char *tn[] = {"title", "description", "comment"};
  const char *tv[] = {" ", "\t ", "x"};
  const char *bs[] = {"\b", " \b\f", "x"}; /* what libical's writer leaves out */
  kt_buf out = KT_BUF_INIT;
  kt_err err;
  kt_err_clear(&err);
  cl_ical_begin(&out);
  assert_int_equal(cl_ical_write(&out, "task", tn, tv, 3, "0190a-blank", 1764000000000, &err), 0);
  cl_ical_end(&out);
  assert_null(strstr(kt_buf_str(&out), "SUMMARY"));
  cl_rowset *rs = NULL;
  assert_int_equal(cl_ical_parse(kt_buf_str(&out), out.len, &rs, &err), 0);
  assert_int_equal(rs->nrows, 1);
  cl_rowset_free(rs);
  kt_buf_free(&out);

  out = (kt_buf)KT_BUF_INIT;
  cl_ical_begin(&out);
  assert_int_equal(cl_ical_write(&out, "task", tn, bs, 3, "0190a-bs", 1764000000000, &err), 0);
  cl_ical_end(&out);
  assert_null(strstr(kt_buf_str(&out), "SUMMARY"));
  assert_null(strstr(kt_buf_str(&out), "DESCRIPTION"));
  rs = NULL;
  assert_int_equal(cl_ical_parse(kt_buf_str(&out), out.len, &rs, &err), 0);
  assert_int_equal(rs->nrows, 1);
  cl_rowset_free(rs);
  kt_buf_free(&out);
}

static void test_roundtrip(void **state) {
  (void)state;
  const char *en[] = {"type", "title", "start", "duration", "assignee", "org", "status", "result",
                      "remind_before", "remind_at", "rrule", "comment", "owner"};
  const char *ev[] = {"meeting", "Встреча, обед; \\ и \"кавычки\"", "2026-11-23T07:00:00Z", "90",
                      "anna", "ООО \"Ромашка\", филиал; №1\nвторая \\ строка", "done", "agreed", "30", "2026-11-23T06:00:00Z",
                      "FREQ=MONTHLY;COUNT=6;BYMONTHDAY=23",
                      "Первая строка\nвторая, очень длинная строка описания, длиннее семидесяти пяти байт",
                      "boss"};
  const char *tn[] = {"title", "description", "due", "priority", "status", "remind_before", "contact"};
  const char *tv[] = {"Счёт", "Отправить; до обеда", "2026-11-25T15:00:00Z", "low", "in_progress", "1440",
                      "Петров Иван"};
  int ne = (int)(sizeof en / sizeof en[0]), nt = (int)(sizeof tn / sizeof tn[0]);
  kt_buf out = KT_BUF_INIT;
  kt_err err;
  kt_err_clear(&err);
  cl_ical_begin(&out);
  assert_int_equal(cl_ical_write(&out, "event", en, ev, ne, "0190a-ev", 1764000000000, &err), 0);
  assert_int_equal(cl_ical_write(&out, "task", tn, tv, nt, "0190a-task", 1764000000000, &err), 0);
  cl_ical_end(&out);
  assert_int_equal(cl_ical_write(&out, "contact", tn, tv, nt, NULL, 0, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "--type event"));
  const char *s = kt_buf_str(&out);
  assert_non_null(strstr(s, "DTSTART:20261123T070000Z"));
  assert_non_null(strstr(s, "TRIGGER:-PT30M"));
  assert_non_null(strstr(s, "BEGIN:VTODO"));
  assert_non_null(strstr(s, "UID:0190a-task"));
  cl_rowset *rs;
  kt_err_clear(&err);
  int rc = cl_ical_parse(s, out.len, &rs, &err);
  if (rc) fprintf(stderr, "%s\n%s", err.msg, s);
  assert_int_equal(rc, 0);
  assert_int_equal(rs->nrows, 2);
  assert_string_equal(rs->rows[0].type, "event");
  assert_string_equal(rs->rows[1].type, "task");
  for (int i = 0; i < ne; i++) assert_string_equal(cell(rs, 0, en[i]), ev[i]);
  for (int i = 0; i < nt; i++) assert_string_equal(cell(rs, 1, tn[i]), tv[i]);
  cl_rowset_free(rs);
  /* a bad value in what we are asked to write */
  const char *bad[] = {"not a time"};
  const char *badn[] = {"start"};
  assert_int_equal(cl_ical_write(&out, "event", badn, bad, 1, NULL, 0, &err), KT_EINVAL);
  kt_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_calendar_export),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_blank_values_read_back),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
