/* gui_filter — the filter bar of a section's list: generated from the
 * office's model of the type, no code per field. Each choice field (built-in
 * or custom) is a drop-down of its labels (translated as the card shows them)
 * after "Any"; each user or group field (owner, group, assignee) a drop-down
 * of the names cl_reader_names gives; each text field the registry marks
 * KT_FF_FILTER (the city) an entry matched exactly, folded, as `kartoteka
 * list --where city=V`. "Clear" resets them all. The bar reports a change
 * through its callback; the window reads the filters as cl_view_filter, the
 * very structs `list --where` builds. GTK main thread only. */
#ifndef GUI_FILTER_H
#define GUI_FILTER_H

#include <gtk/gtk.h>

#include "cl_reader.h"

G_BEGIN_DECLS

/* At most this many filters in one bar (the fields in registry order). */
#define GUI_FILTER_MAX 12

typedef void (*GuiFilterChanged)(gpointer ud);

/* A new bar for type t of reader's model (both borrowed for the call; names
 * are read once, now). changed(ud) after the user changed a filter (an
 * entry: after a short pause in typing) or pressed Clear. */
GtkWidget *gui_filter_new(cl_reader *reader, const kt_mtype *t, GuiFilterChanged changed,
                          gpointer ud);
/* The filters set, into out (room for GUI_FILTER_MAX): how many. Strings are
 * borrowed from the bar, valid until it next changes. */
int gui_filter_where(GtkWidget *bar, cl_view_filter *out);
/* Whether bar offers what the model now says t's filters are (a custom
 * field added or a choice list edited elsewhere makes it stale). */
gboolean gui_filter_fits(GtkWidget *bar, const kt_mtype *t);
/* Sets field's filter to value (an entry's text, or the drop-down item whose
 * stored value it is) without calling changed: FALSE when the bar has no
 * such filter or item. For --bench-startup. */
gboolean gui_filter_set(GtkWidget *bar, const char *field, const char *value);
/* Resets every filter to "Any"/empty without calling changed. */
void gui_filter_clear(GtkWidget *bar);

G_END_DECLS

#endif
