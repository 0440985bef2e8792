/* gui_reminders — the in-app list of reminders: every occurrence the client
 * core delivered in its CL_EV_REMINDERS batches (due now, or missed while
 * the PC was off) stays listed, each with Dismiss and Snooze (CL_CMD_DISMISS
 * / CL_CMD_SNOOZE with the occurrence), until the core confirms one of them;
 * a snoozed reminder comes again in a later batch. Which program fires a
 * reminder is the core's business (the window reports each batch with
 * CL_CMD_SHOWN as before): this list only shows what it was given.
 * GTK main thread only. */
#ifndef GUI_REMINDERS_H
#define GUI_REMINDERS_H

#include <gtk/gtk.h>
#include <stdbool.h>

#include "cl_client.h"
#include "cl_reader.h"
#include "gui_today.h" /* gui_open_fn */

/* Told how many reminders are listed whenever that changes. */
typedef void (*gui_count_fn)(void *ud, int n);

/* A new page writing through client (borrowed, outlives the page); open is
 * called with the card of an activated row, count as above. */
GtkWidget *gui_reminders_new(cl_client *client, gui_open_fn open, gui_count_fn count, void *ud);
/* Adds a CL_EV_REMINDERS batch's occurrences (borrowed; one already listed
 * is updated, not repeated). */
void gui_reminders_add(GtkWidget *page, const cl_client_event *ev);
/* Dismisses an occurrence (listed or not: a notification's button): 0, or
 * the error of cl_client_submit. */
int gui_reminders_dismiss(GtkWidget *page, const cl_client_occ *occ);
/* A command's result: true when it answers one of this page's Dismiss or
 * Snooze (done: the reminder leaves the list; refused: it stays, the caller
 * says why with ev->result.msg). */
bool gui_reminders_result(GtkWidget *page, const cl_client_event *ev);
/* Records changed (CL_EV_CHANGED): the reminders settled meanwhile (dismissed
 * or snoozed by the agent, the CLI or the user's other PC) leave the list;
 * read through reader's store (borrowed). */
void gui_reminders_changed(GtkWidget *page, cl_reader *reader);
/* How many reminders are listed. */
int gui_reminders_count(GtkWidget *page);

#endif
