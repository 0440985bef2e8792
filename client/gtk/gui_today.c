/* gui_today — see gui_today.h. */
#include "gui_today.h"

#include <glib/gi18n.h>

#include "cl_store.h"
#include "cl_today.h"
#include "gui_util.h"
#include "kt_time.h"

typedef struct today {
  cl_reader *reader;
  gui_open_fn open;
  void *ud;
  GtkListBox *box;
  GtkLabel *empty;
  int n;
} today;

static const char *kind_label(const char *rtype) {
  if (strcmp(rtype, "task") == 0) return _("Task");
  if (strcmp(rtype, "event") == 0) return _("Diary");
  return _("Birthday"); /* contact, staff */
}

static int add_item(void *ud, const cl_occurrence *x, bool overdue) {
  today *t = ud;
  char when[40];
  kt_datetime_format(x->occurs, false, when, sizeof when);
  bool birthday = strcmp(x->rtype, "contact") == 0 || strcmp(x->rtype, "staff") == 0;
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_start(row, 12);
  gtk_widget_set_margin_end(row, 12);
  gtk_widget_set_margin_top(row, 6);
  gtk_widget_set_margin_bottom(row, 6);
  GtkWidget *w = gtk_label_new(birthday ? "" : when + 11); /* the time of "YYYY-MM-DD HH:MM" */
  if (overdue) gtk_label_set_text(GTK_LABEL(w), when);
  gtk_widget_set_size_request(w, 120, -1);
  gtk_label_set_xalign(GTK_LABEL(w), 0);
  gtk_box_append(GTK_BOX(row), w);
  GtkWidget *k = gtk_label_new(kind_label(x->rtype));
  gtk_widget_add_css_class(k, "dim-label");
  gtk_widget_set_size_request(k, 110, -1);
  gtk_label_set_xalign(GTK_LABEL(k), 0);
  gtk_box_append(GTK_BOX(row), k);
  GtkWidget *title = gtk_label_new(x->title);
  gtk_label_set_xalign(GTK_LABEL(title), 0);
  gtk_label_set_ellipsize(GTK_LABEL(title), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand(title, TRUE);
  gtk_box_append(GTK_BOX(row), title);
  if (overdue || x->done) {
    GtkWidget *b = gtk_label_new(overdue ? _("overdue") : _("done"));
    gtk_widget_add_css_class(b, overdue ? "error" : "success");
    gtk_box_append(GTK_BOX(row), b);
  }
  GtkWidget *lr = gtk_list_box_row_new();
  gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(lr), row);
  gtk_widget_set_name(lr, x->rid);
  char *an = g_strdup_printf("%s%s: %s", overdue ? "Overdue " : "", x->rtype, x->title);
  gtk_accessible_update_property(GTK_ACCESSIBLE(lr), GTK_ACCESSIBLE_PROPERTY_LABEL, an, -1);
  g_free(an);
  gtk_list_box_append(t->box, lr);
  t->n++;
  return 0;
}

int gui_today_reload(GtkWidget *page) {
  today *t = g_object_get_data(G_OBJECT(page), "gui-today");
  GtkWidget *c;
  while ((c = gtk_widget_get_first_child(GTK_WIDGET(t->box)))) gtk_list_box_remove(t->box, c);
  t->n = 0;
  cl_store *s = cl_reader_store(t->reader);
  kt_err err;
  kt_err_clear(&err);
  if (cl_today(s, cl_store_user(s), 0, add_item, t, &err))
    gtk_label_set_text(t->empty, err.msg);
  else
    gtk_label_set_text(t->empty, t->n ? "" : _("Nothing planned for today."));
  gtk_widget_set_visible(GTK_WIDGET(t->empty), t->n == 0);
  return t->n;
}

static void on_activated(GtkListBox *box, GtkListBoxRow *row, today *t) {
  (void)box;
  t->open(t->ud, gtk_widget_get_name(GTK_WIDGET(row)));
}

GtkWidget *gui_today_new(cl_reader *reader, gui_open_fn open, void *ud) {
  today *t = g_new0(today, 1);
  t->reader = reader;
  t->open = open;
  t->ud = ud;
  GtkWidget *page = gui_list_page_new(_("Today"), NULL, "Today", TRUE, &t->empty, &t->box);
  g_signal_connect(t->box, "row-activated", G_CALLBACK(on_activated), t);
  g_object_set_data_full(G_OBJECT(page), "gui-today", t, g_free);
  return page;
}
