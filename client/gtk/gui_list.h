/* gui_list — a GListModel over a cl_view (cl_reader.h): the rows of one
 * section as the user filters, searches and sorts them, fetched a page (100
 * rows) at a time when GTK asks for a position, so a million rows scroll
 * without reading a million records. Items are GuiRow: the record id and
 * the display text of each column (the type's fields flagged KT_FF_COLUMN in
 * the registry, references shown as the referenced card's title). An item
 * is the slot of its position: when another view replaces the rows, the
 * items of the positions both have are refilled in place and emit "changed"
 * (a cell bound to one sets its text again); items-changed covers only the
 * positions past the shorter view. GTK main thread only. */
#ifndef GUI_LIST_H
#define GUI_LIST_H

#include <gio/gio.h>

#include "cl_reader.h"

G_BEGIN_DECLS

#define GUI_TYPE_ROW (gui_row_get_type())
G_DECLARE_FINAL_TYPE(GuiRow, gui_row, GUI, ROW, GObject)
const char *gui_row_id(GuiRow *row);             /* borrowed */
const char *gui_row_text(GuiRow *row, int col);  /* borrowed; "" past the columns */

#define GUI_TYPE_LIST (gui_list_get_type())
G_DECLARE_FINAL_TYPE(GuiList, gui_list, GUI, LIST, GObject)

/* An empty model over reader (borrowed; must outlive it). */
GuiList *gui_list_new(cl_reader *reader);
/* Shows spec (type, filters, search, sort; copied) now, built on this
 * thread. FALSE with *err set (the model keeps what it showed) when the view
 * cannot be built. Supersedes any request. */
gboolean gui_list_set_spec(GuiList *l, const cl_view_spec *spec, kt_err *err);
/* Called on the main thread when a request's rows are in (err NULL) or its
 * view could not be built (err borrowed for the call; the rows stay). */
typedef void (*GuiListDone)(gpointer ud, const kt_err *err);
void gui_list_set_done(GuiList *l, GuiListDone done, gpointer ud);
/* Called on the main thread just before (before TRUE) and after another view
 * replaced the rows; same: the spec shown read again (a reload), else a new
 * one. Before: a selection over the list must drop its row (the slot at that
 * position will hold another card). After a new spec: scroll to the first row. */
typedef void (*GuiListSwap)(gpointer ud, gboolean before, gboolean same);
void gui_list_set_swap(GuiList *l, GuiListSwap swap, gpointer ud);
/* Shows spec (copied): a whole list in the stored order or a search newest
 * first at once, as gui_list_set_spec; one with filters or a sort order
 * (which may sort a million rows in memory) is built by a worker on a reader
 * of its own while the rows shown stay, then swapped in. A newer request
 * supersedes an older one (its result is never shown, done never called for
 * it). done is called after the rows changed or the build failed. */
void gui_list_request(GuiList *l, const cl_view_spec *spec);
/* Whether a request is being built. */
gboolean gui_list_building(GuiList *l);
/* Rebuilds after the replica changed (in a worker when the spec is slow, as
 * gui_list_request); emits items-changed. */
gboolean gui_list_reload(GuiList *l, kt_err *err);
/* The columns of the current type: how many, and each one's field (borrowed
 * from the reader's model). */
int gui_list_ncols(GuiList *l);
const kt_mtype *gui_list_type(GuiList *l); /* the type shown (borrowed), NULL before any */
const kt_mfield *gui_list_col(GuiList *l, int i);

G_END_DECLS

#endif
