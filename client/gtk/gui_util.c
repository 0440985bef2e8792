/* gui_util — see gui_util.h. */
#include "gui_util.h"

void gui_set_name(GtkWidget *w, const char *name) {
  gtk_accessible_update_property(GTK_ACCESSIBLE(w), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

void gui_set_desc(GtkWidget *w, const char *what) {
  gtk_accessible_update_property(GTK_ACCESSIBLE(w), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, what, -1);
}

GtkWidget *gui_list_page_new(const char *title, const char *intro, const char *an,
                             gboolean single_click, GtkLabel **empty, GtkListBox **box) {
  GtkWidget *page = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *h = gtk_label_new(title);
  gtk_widget_add_css_class(h, "title-2");
  gtk_label_set_xalign(GTK_LABEL(h), 0);
  gtk_widget_set_margin_start(h, 12);
  gtk_widget_set_margin_top(h, 12);
  gtk_box_append(GTK_BOX(page), h);
  if (intro) {
    GtkWidget *sub = gtk_label_new(intro);
    gtk_label_set_xalign(GTK_LABEL(sub), 0);
    gtk_label_set_wrap(GTK_LABEL(sub), TRUE);
    gtk_widget_add_css_class(sub, "dim-label");
    gtk_widget_set_margin_start(sub, 12);
    gtk_box_append(GTK_BOX(page), sub);
  }
  *empty = GTK_LABEL(gtk_label_new(""));
  gtk_box_append(GTK_BOX(page), GTK_WIDGET(*empty));
  *box = GTK_LIST_BOX(gtk_list_box_new());
  gtk_list_box_set_activate_on_single_click(*box, single_click);
  gtk_widget_add_css_class(GTK_WIDGET(*box), "boxed-list");
  gtk_widget_set_margin_start(GTK_WIDGET(*box), 12);
  gtk_widget_set_margin_end(GTK_WIDGET(*box), 12);
  gui_set_name(GTK_WIDGET(*box), an);
  GtkWidget *scroll = gtk_scrolled_window_new();
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), GTK_WIDGET(*box));
  gtk_widget_set_vexpand(scroll, TRUE);
  gtk_box_append(GTK_BOX(page), scroll);
  return page;
}
