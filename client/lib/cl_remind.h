/* cl_remind — the diary and reminders of one user: occurrences of the events
 * and tasks assigned to them (recurring ones expanded from their iCalendar
 * RRULE with libical, in the PC's local wall time so "every Monday 10:00"
 * stays 10:00 across DST), birthdays of contacts and colleagues (staff
 * records) N days ahead, and the synced
 * per-user state of each reminder occurrence (fired, dismissed, snoozed) so a
 * reminder dismissed on one PC does not fire on the same user's other PC.
 * Times are UTC ms; windows are [from, to]. GLib-free; the front end (agent,
 * GUI) shows the notifications. */
#ifndef CL_REMIND_H
#define CL_REMIND_H

#include <stdint.h>

#include "cl_store.h"

typedef enum cl_rem_state {
  CL_REM_PENDING = 0,
  CL_REM_FIRED,
  CL_REM_DISMISSED,
  CL_REM_SNOOZED,
  CL_REM_DONE
} cl_rem_state;

typedef struct cl_occurrence {
  char rtype[16];  /* "event", "task", "contact" or "staff" (birthdays) */
  char rid[40];
  char title[300];
  int64_t occurs;  /* occurrence start (event), due (task), birthday 00:00 local */
  int64_t due;     /* when to remind; 0 = no reminder */
  int64_t effective; /* due, or the snooze end */
  cl_rem_state state;
  bool done;       /* tasks: status done */
} cl_occurrence;

typedef int (*cl_occurrence_cb)(void *ud, const cl_occurrence *o); /* non-zero stops */

/* Diary: occurrences of user's events and tasks starting in [from, to], in
 * time order (birthdays too when with_birthdays). */
int cl_diary(cl_store *s, const char *user, int64_t from, int64_t to, bool with_birthdays,
             cl_occurrence_cb cb, void *ud, kt_err *err);

/* Reminders whose effective time falls in [from, to], in that order; only
 * pending (and snoozed) ones unless all. */
int cl_remind_due(cl_store *s, const char *user, int64_t from, int64_t to, bool all,
                  cl_occurrence_cb cb, void *ud, kt_err *err);

/* Records the state of one occurrence's reminder (synced). state: "fired",
 * "dismissed", "snoozed" (until = snooze end) or "done". */
int cl_remind_set(cl_store *s, const char *user, const char *rtype, const char *rid,
                  int64_t occurs, const char *state, int64_t until, kt_err *err);

/* Days before a birthday its reminder comes (profile setting, default 3). */
int cl_remind_birthday_days(cl_store *s);

#endif
