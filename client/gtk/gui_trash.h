/* gui_trash — the Trash page: the deleted cards of every section, newest
 * deletion first (cl_reader_trash), each with its type, title, when it was
 * deleted and a Restore button (Enter on a row too) that sends
 * CL_CMD_RESTORE; the row goes when the core says it is done. No SQL, no
 * rules here: reads through cl_reader, the write through the client core.
 * GTK main thread only. */
#ifndef GUI_TRASH_H
#define GUI_TRASH_H

#include <gtk/gtk.h>
#include <stdbool.h>

#include "cl_client.h"
#include "cl_reader.h"

/* A new page reading through reader, writing through client (both borrowed,
 * they outlive the page). */
GtkWidget *gui_trash_new(cl_reader *reader, cl_client *client);
/* Reads the trash again; the number of cards in it. */
int gui_trash_reload(GtkWidget *page);
/* A command's result (CL_EV_RESULT): true when it answers one of this page's
 * restores (done: its row is gone; refused: the row stays, the caller says
 * why with ev->result.msg). */
bool gui_trash_result(GtkWidget *page, const cl_client_event *ev);

#endif
