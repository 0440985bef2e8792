/* gui_trash — see gui_trash.h. Rows carry the card's id as their widget name;
 * restores under way are kept by request id until their result comes. */
#include "gui_trash.h"

#include <glib/gi18n.h>

#include "gui_i18n.h"
#include "gui_util.h"
#include "kt_time.h"

typedef struct trash {
  cl_reader *reader;
  cl_client *client;
  GtkListBox *box;
  GtkLabel *empty;
  GHashTable *pending; /* request id (gint64 *) -> card id (char *), both owned */
  int n;
} trash;

static trash *page_trash(GtkWidget *page) { return g_object_get_data(G_OBJECT(page), "gui-trash"); }


static GtkWidget *cell(const char *text, int width, const char *css) {
  GtkWidget *l = gtk_label_new(text);
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
  if (width > 0) gtk_widget_set_size_request(l, width, -1);
  else gtk_widget_set_hexpand(l, TRUE);
  if (css) gtk_widget_add_css_class(l, css);
  return l;
}

static GtkListBoxRow *row_of(trash *t, const char *id) {
  for (GtkWidget *c = gtk_widget_get_first_child(GTK_WIDGET(t->box)); c;
       c = gtk_widget_get_next_sibling(c))
    if (GTK_IS_LIST_BOX_ROW(c) && strcmp(gtk_widget_get_name(c), id) == 0)
      return GTK_LIST_BOX_ROW(c);
  return NULL;
}

static void show_empty(trash *t) {
  gtk_label_set_text(t->empty, t->n ? "" : _("The trash is empty."));
  gtk_widget_set_visible(GTK_WIDGET(t->empty), t->n == 0);
}

/* Restore: the card named by the row goes back to its section (the core). */
static void restore(trash *t, GtkListBoxRow *row) {
  const char *id = gtk_widget_get_name(GTK_WIDGET(row));
  if (!gtk_widget_get_sensitive(GTK_WIDGET(row))) return; /* already asked */
  cl_client_cmd c = {.kind = CL_CMD_RESTORE, .id = id};
  uint64_t req = 0;
  kt_err err;
  kt_err_clear(&err);
  if (cl_client_submit(t->client, &c, &req, &err)) {
    gtk_label_set_text(t->empty, err.msg);
    gtk_widget_set_visible(GTK_WIDGET(t->empty), TRUE);
    return;
  }
  gint64 *key = g_new(gint64, 1);
  *key = (gint64)req;
  g_hash_table_insert(t->pending, key, g_strdup(id));
  gtk_widget_set_sensitive(GTK_WIDGET(row), FALSE);
}

static void on_restore_clicked(GtkButton *b, trash *t) {
  GtkWidget *row = gtk_widget_get_ancestor(GTK_WIDGET(b), GTK_TYPE_LIST_BOX_ROW);
  if (row) restore(t, GTK_LIST_BOX_ROW(row));
}

static void on_activated(GtkListBox *box, GtkListBoxRow *row, trash *t) {
  (void)box;
  restore(t, row);
}

static int add_row(void *ud, const kt_rec *rec, int64_t deleted_ms) {
  trash *t = ud;
  kt_buf title = KT_BUF_INIT;
  kt_rec_title(rec, &title);
  char when[40];
  kt_datetime_format(deleted_ms, false, when, sizeof when);
  GtkWidget *line = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_start(line, 12);
  gtk_widget_set_margin_end(line, 12);
  gtk_widget_set_margin_top(line, 6);
  gtk_widget_set_margin_bottom(line, 6);
  gtk_box_append(GTK_BOX(line), cell(gui_type_label(rec->type), 130, "dim-label"));
  gtk_box_append(GTK_BOX(line), cell(kt_buf_str(&title), 0, NULL));
  GtkWidget *w = cell(when, 140, "dim-label");
  gtk_widget_set_tooltip_text(w, _("When it was deleted"));
  gtk_box_append(GTK_BOX(line), w);
  GtkWidget *b = gtk_button_new_with_label(_("Restore"));
  gtk_widget_set_tooltip_text(b, _("Bring the card back to its section (Enter)"));
  char *an = g_strdup_printf("Restore %s", kt_buf_str(&title));
  gui_set_name(b, an);
  g_free(an);
  g_signal_connect(b, "clicked", G_CALLBACK(on_restore_clicked), t);
  gtk_box_append(GTK_BOX(line), b);
  GtkWidget *row = gtk_list_box_row_new();
  gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), line);
  gtk_widget_set_name(row, kt_rec_id(rec));
  an = g_strdup_printf("Trash %s: %s", rec->type->def->name, kt_buf_str(&title));
  gui_set_name(row, an);
  g_free(an);
  /* a restore under way (the list was read again before its result) */
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, t->pending);
  while (g_hash_table_iter_next(&it, &k, &v))
    if (strcmp(v, kt_rec_id(rec)) == 0) gtk_widget_set_sensitive(row, FALSE);
  gtk_list_box_append(t->box, row);
  t->n++;
  kt_buf_free(&title);
  return 0;
}

int gui_trash_reload(GtkWidget *page) {
  trash *t = page_trash(page);
  GtkWidget *c;
  while ((c = gtk_widget_get_first_child(GTK_WIDGET(t->box)))) gtk_list_box_remove(t->box, c);
  t->n = 0;
  kt_err err;
  kt_err_clear(&err);
  if (cl_reader_trash(t->reader, 0, add_row, t, &err)) {
    gtk_label_set_text(t->empty, err.msg);
    gtk_widget_set_visible(GTK_WIDGET(t->empty), TRUE);
  } else
    show_empty(t);
  return t->n;
}

bool gui_trash_result(GtkWidget *page, const cl_client_event *ev) {
  trash *t = page_trash(page);
  gint64 key = (gint64)ev->result.req;
  char *id = g_hash_table_lookup(t->pending, &key);
  if (!id) return false;
  GtkListBoxRow *row = row_of(t, id);
  if (row && ev->result.code == 0) {
    gtk_list_box_remove(t->box, GTK_WIDGET(row));
    t->n--;
    show_empty(t);
  } else if (row)
    gtk_widget_set_sensitive(GTK_WIDGET(row), TRUE);
  g_hash_table_remove(t->pending, &key);
  return true;
}

static void trash_free(gpointer p) {
  trash *t = p;
  g_hash_table_destroy(t->pending);
  g_free(t);
}

GtkWidget *gui_trash_new(cl_reader *reader, cl_client *client) {
  trash *t = g_new0(trash, 1);
  t->reader = reader;
  t->client = client;
  t->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  GtkWidget *page = gui_list_page_new(_("Trash"), NULL, "Trash", FALSE, &t->empty, &t->box);
  g_signal_connect(t->box, "row-activated", G_CALLBACK(on_activated), t);
  g_object_set_data_full(G_OBJECT(page), "gui-trash", t, trash_free);
  return page;
}
