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

/* Whether each of n occurrences of user's reminders (rids[i] at ats[i], as
 * cl_remind_due gave them) is settled now: out[i] true when it was dismissed
 * or done, or snoozed past now (by this program, another one on this PC, or
 * the user's other PC through sync), so a list of reminders shown drops it.
 * One read of the user's states. 0, KT_EDB, KT_ENOMEM. */
int cl_remind_settled(cl_store *s, const char *user, int n, const char *const *rids,
                      const int64_t *ats, int64_t now, bool *out, kt_err *err);

/* Days before a birthday its reminder comes (profile setting, default 3). */
int cl_remind_birthday_days(cl_store *s);

/* How long Snooze puts a reminder off, in seconds (profile setting
 * "snooze_seconds", 1 s .. 1 day, default 600). */
int64_t cl_remind_snooze_seconds(cl_store *s);
/* Parses a snooze time: "30s", or a duration in minutes ("10m", "1h", "90");
 * 1 s .. 1 day. KT_EINVAL otherwise. */
int cl_remind_snooze_parse(const char *text, int64_t *seconds, kt_err *err);

/* ---- calls to make, results of what happened ------------------------------- */

typedef struct cl_callback {
  char id[40];
  char title[300];
  int64_t start;        /* when the call was planned */
  char org[300];        /* organization name, "" when none */
  char contact[300];    /* contact's name, "" when none */
  char phone[80];       /* the contact's (else the organization's) phone, "" when none */
} cl_callback;

typedef int (*cl_callback_cb)(void *ud, const cl_callback *c); /* non-zero stops */

/* The call-back list of user: planned one-off calls (events of type call,
 * status planned or unset) assigned to them (or theirs when unassigned) due
 * by `until`, oldest first (a start before now means overdue). */
int cl_callbacks(cl_store *s, const char *user, int64_t until, cl_callback_cb cb, void *ud,
                 kt_err *err);

/* Records what happened: a task or event becomes done; for an event, result
 * (one of the event's result choices by code or label, stored as the code;
 * NULL = keep) and comment (appended to the event's comment on a new line,
 * NULL = none). When result is the code call_back (whatever its label) or
 * call_back_at is non-zero, a follow-up call is planned in the
 * same transaction: an event of type call at call_back_at (0 = a day after
 * now), with the same organization, contact and assignee, title "Call back:
 * <title>", and the original's reminder lead (else 15 minutes); its id goes
 * to new_id (else new_id = ""). A result on a task, or a call-back for a
 * task, is KT_EINVAL; an unknown id KT_ENOTFOUND. */
int cl_record_result(cl_store *s, const char *id, const char *result, const char *comment,
                     int64_t call_back_at, char new_id[KT_UUID_STRLEN + 1], kt_err *err);

#endif
