/* gui_card — the main window's card pane: the chosen card as the registry
 * lays it out (labels as renamed, phones as tel: and e-mails as mailto:
 * links), its quick actions (edit, plan a call or a meeting, log a call, add
 * a deal or a note, reassign where the user's rights allow it), and tabs of
 * its related cards by kind (contacts, events and tasks, deals, notes, the
 * rest), newest first, each row opening its card. Every action opens the
 * registry-generated form (gui_form) in the pane; writes go through the
 * client core, reads through cl_reader. A change the server refused comes
 * back as the server's copy (the pane reloads on "records changed") and the
 * server's message is shown. GTK main thread only.
 *
 * Accessible names (the tests use them): buttons "Edit card", "Plan a call",
 * "Plan a meeting", "Log a call", "Add a deal", "Add a note", "Reassign";
 * tab labels have the description "Tab KEY" (contacts, events, deals, notes,
 * related) and say "Label (N)"; rows "Row KEY TITLE"; an empty tab's label
 * the description "Empty KEY"; the refusal "Refused". */
#ifndef GUI_CARD_H
#define GUI_CARD_H

#include "gui_app.h"

G_BEGIN_DECLS

#define GUI_TYPE_CARD (gui_card_get_type())
G_DECLARE_FINAL_TYPE(GuiCard, gui_card, GUI, CARD, GtkBox)

/* Says text to the user (a toast); text borrowed for the call. */
typedef void (*gui_card_say_fn)(void *ud, const char *text);

/* A new, empty pane (floating). app borrowed: it outlives the pane. */
GtkWidget *gui_card_new(GuiApp *app, gui_card_say_fn say, void *ud);

/* Shows the card with this id (NULL or "": none). A form open in the pane goes. */
void gui_card_show(GuiCard *c, const char *id);
/* The card shown (borrowed), NULL when none. */
const char *gui_card_id(GuiCard *c);
/* Whether a form is open in the pane. */
gboolean gui_card_has_form(GuiCard *c);

/* The form for a new card of type (Ctrl+N), for the card shown (Ctrl+E). */
void gui_card_new_card(GuiCard *c, const char *type);
void gui_card_edit(GuiCard *c);
/* Ctrl+S: submits the open form (nothing when none or one waits). */
void gui_card_save(GuiCard *c);
/* Esc, Cancel: leaves the open form for the card shown before; FALSE when none. */
gboolean gui_card_leave(GuiCard *c);

/* The replica changed: the card shown is read again (not under an open form). */
void gui_card_reload(GuiCard *c);
/* A command's result: TRUE when it was the open form's (refused: marked on
 * the form; done: the saved card shown). */
gboolean gui_card_result(GuiCard *c, const cl_client_event *ev);
/* The sync state: when the server refused more changes than before, its
 * message is said and shown on the pane. TRUE when changes were refused or
 * undone since the last call: what is shown must be read again (the undo's
 * "records changed" may have come before the form's result). */
gboolean gui_card_sync(GuiCard *c, const cl_client_event *ev);

G_END_DECLS

#endif
