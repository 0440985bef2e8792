/* gui_window — the main window: a sidebar of the office's sections (renamed
 * and hidden ones honoured), the list of the chosen section with search as
 * you type (the folding of `kartoteka search`), and the card of the chosen
 * row with its related cards. GTK main thread only. */
#ifndef GUI_WINDOW_H
#define GUI_WINDOW_H

#include "gui_app.h"

G_BEGIN_DECLS

#define GUI_TYPE_WINDOW (gui_window_get_type())
G_DECLARE_FINAL_TYPE(GuiWindow, gui_window, GUI, WINDOW, AdwApplicationWindow)

GuiWindow *gui_window_new(GuiApp *app);
/* --bench-startup: prints when the list's first rows are on screen (t0: the
 * program's start, g_get_monotonic_time), then types a few name prefixes
 * into the search and prints when their first rows are, then quits. */
void gui_window_bench(GuiWindow *w, gint64 t0);
/* The replica changed (the core's "records changed", another program): the
 * list and the open card are read again. */
void gui_window_reload(GuiWindow *w);
/* One event of the client core (borrowed for the call): records changed,
 * the sync state, a command's result, reminders, a conflict. */
void gui_window_event(GuiWindow *w, const cl_client_event *ev);

G_END_DECLS

#endif
