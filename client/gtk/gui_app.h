/* gui_app — the desktop app's GtkApplication: the profile, the replica's
 * reader (cl_reader, this thread's own read-only connection), the first-start
 * dialog or the main window. One instance per profile: a second start on the
 * same profile brings the first window forward (the application id carries a
 * hash of the profile path). No SQL, protobuf or business rules here: reads go
 * through cl_reader, writes through the client core. GTK main thread only. */
#ifndef GUI_APP_H
#define GUI_APP_H

#include <adwaita.h>

#include "cl_client.h"
#include "cl_reader.h"

G_BEGIN_DECLS

#define GUI_TYPE_APP (gui_app_get_type())
G_DECLARE_FINAL_TYPE(GuiApp, gui_app, GUI, APP, AdwApplication)

/* Runs the app (parses --profile DIR; KARTOTEKA_PROFILE, else the user data
 * folder, as the CLI). Returns the exit status. */
int gui_app_run(int argc, char **argv);

/* Opens the profile's card index (reader, client core) and presents the main
 * window: a normal start, and the first-start window's end. FALSE (an error
 * dialog shown) when it cannot be opened. */
gboolean gui_app_open(GuiApp *app);
/* The profile folder (borrowed). */
const char *gui_app_profile(GuiApp *app);
/* The reader of the open profile (borrowed), NULL before it is open. */
cl_reader *gui_app_reader(GuiApp *app);
/* The client core of the open profile (borrowed): every write goes through
 * its commands; its events arrive on the main thread (the wakeup hook is one
 * g_main_context_invoke that drains at most GUI_EVENTS_PER_TURN events). */
cl_client *gui_app_client(GuiApp *app);
#define GUI_EVENTS_PER_TURN 64

G_END_DECLS

#endif
