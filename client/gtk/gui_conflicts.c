/* gui_conflicts — see gui_conflicts.h. Rows carry the card's id as their
 * widget name. */
#include "gui_conflicts.h"

#include <glib/gi18n.h>

#include "gui_i18n.h"
#include "gui_util.h"
#include "kt_time.h"

typedef struct conflicts {
  cl_reader *reader;
  gui_open_fn open;
  void *ud;
  GtkListBox *box;
  GtkLabel *empty;
} conflicts;


static GtkWidget *text(const char *s, const char *css) {
  GtkWidget *l = gtk_label_new(s);
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_wrap(GTK_LABEL(l), TRUE);
  gtk_label_set_selectable(GTK_LABEL(l), FALSE);
  if (css) gtk_widget_add_css_class(l, css);
  return l;
}

/* One value line: what it is, the value (or why none is shown), who wrote it. */
static void value_line(GtkGrid *g, int row, const char *what, const char *value, bool hidden,
                       bool duplicate, const char *who, const char *an_what) {
  const char *shown = duplicate ? "" : hidden ? _("(protected: not yours to see)") : value;
  gtk_grid_attach(g, text(what, "dim-label"), 0, row, 1, 1);
  GtkWidget *v = text(*shown || duplicate ? shown : _("(empty)"), NULL);
  gtk_widget_set_hexpand(v, TRUE);
  char *an = g_strdup_printf("%s: %s, by %s", an_what, hidden ? "(protected)" : value, who);
  gui_set_name(v, an);
  g_free(an);
  gtk_grid_attach(g, v, 1, row, 1, 1);
  gtk_grid_attach(g, text(who, NULL), 2, row, 1, 1);
}

static int add_row(void *ud, const cl_reader_conflict *c) {
  conflicts *t = ud;
  const char *section = c->type ? gui_type_label(c->type) : c->rtype;
  const char *field = c->type && c->field ? gui_field_label(c->type, c->field) : c->field_name;
  char *head = c->card ? g_strdup_printf("%s: %s — %s", section, c->card, field)
                       : g_strdup_printf(_("%s (not on this PC) — %s"), section, field);
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_margin_start(box, 12);
  gtk_widget_set_margin_end(box, 12);
  gtk_widget_set_margin_top(box, 8);
  gtk_widget_set_margin_bottom(box, 8);
  GtkWidget *h = text(head, "heading");
  gtk_box_append(GTK_BOX(box), h);
  GtkWidget *grid = gtk_grid_new();
  gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
  gtk_grid_set_row_spacing(GTK_GRID(grid), 2);
  if (c->duplicate) {
    gtk_box_append(GTK_BOX(box), text(_("The same value is on a colleague's client: a new "
                                        "card may be a duplicate"), NULL));
    value_line(GTK_GRID(grid), 0, _("Added by"), "", false, true, c->lost_by, "Added");
    value_line(GTK_GRID(grid), 1, _("Client of"), "", false, true, c->kept_by, "Colleague's client");
  } else {
    value_line(GTK_GRID(grid), 0, _("Value that lost"), c->lost, c->lost_hidden, false,
               c->lost_by, "Lost value");
    value_line(GTK_GRID(grid), 1, _("Value kept"), c->kept, c->kept_hidden, false, c->kept_by,
               "Kept value");
  }
  gtk_box_append(GTK_BOX(box), grid);
  char when[40] = "";
  if (c->when) kt_datetime_format(c->when, false, when, sizeof when);
  gtk_box_append(GTK_BOX(box), text(when, "dim-label"));
  GtkWidget *row = gtk_list_box_row_new();
  gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
  gtk_widget_set_name(row, c->rid);
  char *an = g_strdup_printf("Conflict %s %s: %s", c->rtype, c->field_name,
                             c->card ? c->card : c->rid);
  gui_set_name(row, an);
  g_free(an);
  gtk_widget_set_tooltip_text(row, c->card ? _("Open the card") : NULL);
  gtk_list_box_append(t->box, row);
  g_free(head);
  return 0;
}

int gui_conflicts_reload(GtkWidget *page) {
  conflicts *t = g_object_get_data(G_OBJECT(page), "gui-conflicts");
  GtkWidget *c;
  while ((c = gtk_widget_get_first_child(GTK_WIDGET(t->box)))) gtk_list_box_remove(t->box, c);
  int n = 0;
  kt_err err;
  kt_err_clear(&err);
  if (cl_reader_conflicts(t->reader, 0, add_row, t, &n, &err))
    gtk_label_set_text(t->empty, err.msg);
  else
    gtk_label_set_text(t->empty, n ? "" : _("No conflicts: nobody's edit was lost."));
  gtk_widget_set_visible(GTK_WIDGET(t->empty), n == 0 || err.code);
  return n;
}

static void on_activated(GtkListBox *box, GtkListBoxRow *row, conflicts *t) {
  (void)box;
  t->open(t->ud, gtk_widget_get_name(GTK_WIDGET(row)));
}

GtkWidget *gui_conflicts_new(cl_reader *reader, gui_open_fn open, void *ud) {
  conflicts *t = g_new0(conflicts, 1);
  t->reader = reader;
  t->open = open;
  t->ud = ud;
  GtkWidget *page = gui_list_page_new(_("Conflicts"),
                                      _("Edits of the same field made at the same time by two "
                                        "people: the later one was kept, the other is here."),
                                      "Conflicts", TRUE, &t->empty, &t->box);
  g_signal_connect(t->box, "row-activated", G_CALLBACK(on_activated), t);
  g_object_set_data_full(G_OBJECT(page), "gui-conflicts", t, g_free);
  return page;
}
