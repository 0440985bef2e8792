/* gui_conflicts — the Conflicts page: the conflict log (cl_reader_conflicts),
 * newest first, as `kartoteka conflicts` shows it: the card, the field by its
 * label, the value that lost and who wrote it, the value kept and whose it
 * is, and when; a protected value this user may not see is said to be so,
 * never shown. Activating a row opens its card. GTK main thread only. */
#ifndef GUI_CONFLICTS_H
#define GUI_CONFLICTS_H

#include <gtk/gtk.h>

#include "cl_reader.h"
#include "gui_today.h" /* gui_open_fn */

/* A new page reading through reader (borrowed); open is called with the id
 * of the card an activated row is about. */
GtkWidget *gui_conflicts_new(cl_reader *reader, gui_open_fn open, void *ud);
/* Reads the log again; the number of conflicts. */
int gui_conflicts_reload(GtkWidget *page);

#endif
