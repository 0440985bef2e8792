/* cl_today — what a user's day holds, as `kartoteka today` and the desktop
 * app's Today page show it: first what is overdue (open tasks of the last
 * year and planned calls not made, from before today; oldest first), then
 * today's diary (events, tasks, recurring ones expanded, birthdays). Reads
 * only (a reader's store is fine); GLib-free; the caller's thread. */
#ifndef CL_TODAY_H
#define CL_TODAY_H

#include <stdbool.h>
#include <stdint.h>

#include "cl_remind.h"
#include "cl_store.h"

/* One item: x borrowed for the call; overdue as said above, or a task of
 * today whose time has passed. Non-zero stops. */
typedef int (*cl_today_cb)(void *ud, const cl_occurrence *x, bool overdue);

/* Calls cb for each item of user's day around now (UTC ms; 0 = now), in the
 * order above. KT_ENOMEM, KT_EDB. */
int cl_today(cl_store *s, const char *user, int64_t now, cl_today_cb cb, void *ud, kt_err *err);

/* An open task whose time has passed by now. */
bool cl_task_overdue(const cl_occurrence *x, int64_t now);

/* Local midnight of the day of ms plus add_days (UTC ms). */
int64_t cl_local_midnight(int64_t ms, int add_days);

#endif
