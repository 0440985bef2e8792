/* gui_connect — the desktop app's first start and its later logins: the
 * first-start window (a profile folder without a card index) offers to join
 * the office server with an invite — the server's address and the CA
 * fingerprint the invite pins shown for confirmation — and the password, or
 * to start a card index on this PC only; and, while the app runs, the
 * password dialog when the session has expired (CL_SYNC_LOGIN: the password
 * goes to the core as CL_CMD_LOGIN). The work is cl_profile's, run off the
 * main thread (GTask); errors are marked on the field they are about. GTK
 * main thread only. */
#ifndef GUI_CONNECT_H
#define GUI_CONNECT_H

#include "gui_app.h"

G_BEGIN_DECLS

#define GUI_TYPE_FIRST (gui_first_get_type())
G_DECLARE_FINAL_TYPE(GuiFirst, gui_first, GUI, FIRST, AdwApplicationWindow)

/* The first-start window for app's profile (not yet shown). Once a card
 * index is made it opens the app's main window (gui_app_open) and closes. */
GuiFirst *gui_first_new(GuiApp *app);

/* One event of the running core, before the main window sees it (borrowed):
 * CL_SYNC_LOGIN presents the password dialog (once), the answer to its
 * CL_CMD_LOGIN is shown in it. TRUE when the event was the dialog's alone. */
gboolean gui_connect_event(GuiApp *app, const cl_client_event *ev);

G_END_DECLS

#endif
