/* gui_list — a GListModel over a cl_view (cl_reader.h): the rows of one
 * section as the user filters, searches and sorts them, fetched a page (100
 * rows) at a time when GTK asks for a position, so a million rows scroll
 * without reading a million records. Items are GuiRow: the record id and
 * the display text of each column (the type's fields flagged KT_FF_COLUMN in
 * the registry, references shown as the referenced card's title). GTK main
 * thread only. */
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
/* Shows spec (type, filters, search, sort; copied). FALSE with *err set (the
 * model keeps what it showed) when the view cannot be built. */
gboolean gui_list_set_spec(GuiList *l, const cl_view_spec *spec, kt_err *err);
/* Rebuilds after the replica changed; emits items-changed. */
gboolean gui_list_reload(GuiList *l, kt_err *err);
/* The columns of the current type: how many, and each one's field (borrowed
 * from the reader's model). */
int gui_list_ncols(GuiList *l);
const kt_mtype *gui_list_type(GuiList *l); /* the type shown (borrowed), NULL before any */
const kt_mfield *gui_list_col(GuiList *l, int i);

G_END_DECLS

#endif
