/* gui_util — small widget helpers every screen of the desktop app uses. */
#ifndef GUI_UTIL_H
#define GUI_UTIL_H

#include <gtk/gtk.h>

/* The accessible name (what AT-SPI and the tests find the widget by). */
void gui_set_name(GtkWidget *w, const char *name);
/* The accessible description (labels keep their text as their name; what they are is
 * said here). */
void gui_set_desc(GtkWidget *w, const char *what);

/* A page of the window that is a heading, an optional dimmed intro, a label for "none"
 * (its text set by the caller) and a boxed list in a scrolled window. *empty and *box
 * are the page's children (owned by it); the list's accessible name is an. */
GtkWidget *gui_list_page_new(const char *title, const char *intro, const char *an,
                             gboolean single_click, GtkLabel **empty, GtkListBox **box);

#endif
