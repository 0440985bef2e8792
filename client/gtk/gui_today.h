/* gui_today — the Today page: what is overdue (open tasks, planned calls not
 * made), then today's events, tasks and birthdays, as cl_today gives them.
 * Activating a row opens its card. GTK main thread only. */
#ifndef GUI_TODAY_H
#define GUI_TODAY_H

#include <gtk/gtk.h>

#include "cl_reader.h"

typedef void (*gui_open_fn)(void *ud, const char *id);

/* A new page reading through reader (borrowed); open is called with the id of
 * an activated row. */
GtkWidget *gui_today_new(cl_reader *reader, gui_open_fn open, void *ud);
/* Reads the day again; the number of items. */
int gui_today_reload(GtkWidget *page);

#endif
