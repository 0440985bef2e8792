/* gui_reminders — see gui_reminders.h. An item is one occurrence (its card and
 * its start) with its row; a command under way is kept on the item by its
 * request id until the result comes. */
#include "gui_reminders.h"

#include <glib/gi18n.h>

#include "cl_remind.h"
#include "gui_util.h"
#include "kt_time.h"

typedef struct item {
  cl_client_occ occ;
  bool missed;
  uint64_t req; /* a Dismiss or Snooze under way, 0 none */
  GtkWidget *row;
} item;

typedef struct reminders {
  cl_client *client;
  gui_open_fn open;
  gui_count_fn count;
  void *ud;
  GtkListBox *box;
  GtkLabel *empty;
  GPtrArray *items; /* item *, owned, in the order they came */
  GPtrArray *loose; /* dismissals of occurrences not listed (uint64_t *): their results */
} reminders;

static reminders *page_rem(GtkWidget *page) { return g_object_get_data(G_OBJECT(page), "gui-reminders"); }


static bool same_occ(const cl_client_occ *a, const cl_client_occ *b) {
  return a->occurs == b->occurs && strcmp(a->rid, b->rid) == 0 && strcmp(a->rtype, b->rtype) == 0;
}

static item *find_item(reminders *r, const cl_client_occ *occ) {
  for (guint i = 0; i < r->items->len; i++) {
    item *it = g_ptr_array_index(r->items, i);
    if (same_occ(&it->occ, occ)) return it;
  }
  return NULL;
}

static void counted(reminders *r) {
  gtk_label_set_text(r->empty, r->items->len ? "" : _("No reminders due."));
  gtk_widget_set_visible(GTK_WIDGET(r->empty), r->items->len == 0);
  if (r->count) r->count(r->ud, (int)r->items->len);
}

static void item_free(gpointer p) { g_free(p); }

static void drop(reminders *r, item *it) {
  gtk_list_box_remove(r->box, it->row);
  g_ptr_array_remove(r->items, it); /* frees it */
  counted(r);
}

static int submit(reminders *r, cl_client_cmd_kind kind, const cl_client_occ *occ, uint64_t *req) {
  cl_client_cmd c = {.kind = kind, .occ = occ};
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_client_submit(r->client, &c, req, &err);
  if (rc) {
    gtk_label_set_text(r->empty, err.msg);
    gtk_widget_set_visible(GTK_WIDGET(r->empty), TRUE);
  }
  return rc;
}

static void act(GtkButton *b, reminders *r, cl_client_cmd_kind kind) {
  item *it = g_object_get_data(G_OBJECT(b), "gui-item");
  if (!it || it->req) return; /* one command at a time */
  if (submit(r, kind, &it->occ, &it->req) == 0) gtk_widget_set_sensitive(it->row, FALSE);
}
static void on_dismiss(GtkButton *b, reminders *r) { act(b, r, CL_CMD_DISMISS); }
static void on_snooze(GtkButton *b, reminders *r) { act(b, r, CL_CMD_SNOOZE); }

static const char *kind_label(const char *rtype) {
  if (strcmp(rtype, "task") == 0) return _("Task");
  if (strcmp(rtype, "event") == 0) return _("Diary");
  return _("Birthday"); /* contact, staff */
}

/* A cell of a row: width > 0 a column that wide, else the one that takes the rest
 * (ellipsized: the whole text is its tooltip). */
static GtkWidget *cell(const char *text, int width, const char *css) {
  GtkWidget *l = gtk_label_new(text);
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
  if (width > 0) gtk_widget_set_size_request(l, width, -1);
  else {
    gtk_widget_set_hexpand(l, TRUE);
    gtk_widget_set_tooltip_text(l, text);
  }
  if (css) gtk_widget_add_css_class(l, css);
  return l;
}

static GtkWidget *button(reminders *r, item *it, const char *label, const char *an_verb,
                         const char *tip, GCallback cb) {
  GtkWidget *b = gtk_button_new_with_label(label);
  gtk_widget_set_tooltip_text(b, tip);
  char *an = g_strdup_printf("%s %s", an_verb, it->occ.title);
  gui_set_name(b, an);
  g_free(an);
  g_object_set_data(G_OBJECT(b), "gui-item", it);
  g_signal_connect(b, "clicked", cb, r);
  return b;
}

/* The row of an item (made once; its "missed" mark follows the latest batch). */
static void build_row(reminders *r, item *it, int64_t snooze_seconds) {
  char when[40];
  kt_datetime_format(it->occ.effective ? it->occ.effective : it->occ.due, false, when, sizeof when);
  /* two lines: when, what kind, missed and the buttons; under them the title,
     the whole width of the pane (one line with Russian buttons left it none) */
  GtkWidget *two = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_margin_start(two, 12);
  gtk_widget_set_margin_end(two, 12);
  gtk_widget_set_margin_top(two, 6);
  gtk_widget_set_margin_bottom(two, 6);
  GtkWidget *line = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_append(GTK_BOX(two), line);
  gtk_box_append(GTK_BOX(line), cell(when, 140, NULL));
  GtkWidget *kind = cell(kind_label(it->occ.rtype), 0, "dim-label");
  gtk_widget_set_tooltip_text(kind, NULL);
  gtk_box_append(GTK_BOX(line), kind);
  if (it->missed) {
    GtkWidget *m = gtk_label_new(_("missed"));
    gtk_widget_add_css_class(m, "error");
    gtk_box_append(GTK_BOX(line), m);
  }
  char *snooze_tip = g_strdup_printf(ngettext("Remind again in %d minute", "Remind again in %d minutes",
                                              (unsigned long)((snooze_seconds + 59) / 60)),
                                     (int)((snooze_seconds + 59) / 60));
  gtk_box_append(GTK_BOX(line), button(r, it, _("Snooze"), "Snooze", snooze_tip, G_CALLBACK(on_snooze)));
  g_free(snooze_tip);
  gtk_box_append(GTK_BOX(line), button(r, it, _("Dismiss"), "Dismiss",
                                       _("No more reminders of this one"), G_CALLBACK(on_dismiss)));
  gtk_box_append(GTK_BOX(two), cell(it->occ.title, 0, NULL));
  GtkWidget *row = gtk_list_box_row_new();
  gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), two);
  gtk_widget_set_name(row, it->occ.rid);
  char *an = g_strdup_printf("%s %s", it->missed ? "Missed reminder" : "Reminder", it->occ.title);
  gui_set_name(row, an);
  g_free(an);
  g_object_set_data(G_OBJECT(row), "gui-item", it);
  if (it->row) { /* in place of the old one */
    int pos = gtk_list_box_row_get_index(GTK_LIST_BOX_ROW(it->row));
    gtk_list_box_remove(r->box, it->row);
    gtk_list_box_insert(r->box, row, pos);
  } else
    gtk_list_box_append(r->box, row);
  it->row = row;
  if (it->req) gtk_widget_set_sensitive(row, FALSE);
}

void gui_reminders_add(GtkWidget *page, const cl_client_event *ev) {
  reminders *r = page_rem(page);
  for (int i = 0; i < ev->reminders.n; i++) {
    const cl_client_occ *o = &ev->reminders.v[i];
    item *it = find_item(r, o);
    if (!it) {
      it = g_new0(item, 1);
      g_ptr_array_add(r->items, it);
    }
    it->occ = *o;
    it->missed = ev->reminders.missed;
    build_row(r, it, ev->reminders.snooze_seconds);
  }
  counted(r);
}

int gui_reminders_dismiss(GtkWidget *page, const cl_client_occ *occ) {
  reminders *r = page_rem(page);
  item *it = find_item(r, occ);
  if (it && it->req) return 0; /* already asked */
  uint64_t req = 0;
  int rc = submit(r, CL_CMD_DISMISS, occ, &req);
  if (rc) return rc;
  if (it) {
    it->req = req;
    gtk_widget_set_sensitive(it->row, FALSE);
  } else {
    uint64_t *k = g_new(uint64_t, 1);
    *k = req;
    g_ptr_array_add(r->loose, k);
  }
  return 0;
}

bool gui_reminders_result(GtkWidget *page, const cl_client_event *ev) {
  reminders *r = page_rem(page);
  for (guint i = 0; i < r->loose->len; i++)
    if (*(uint64_t *)g_ptr_array_index(r->loose, i) == ev->result.req) {
      g_ptr_array_remove_index(r->loose, i);
      return true;
    }
  for (guint i = 0; i < r->items->len; i++) {
    item *it = g_ptr_array_index(r->items, i);
    if (!it->req || it->req != ev->result.req) continue;
    it->req = 0;
    if (ev->result.code == 0) drop(r, it);
    else gtk_widget_set_sensitive(it->row, TRUE);
    return true;
  }
  return false;
}

void gui_reminders_changed(GtkWidget *page, cl_reader *reader) {
  reminders *r = page_rem(page);
  int n = (int)r->items->len;
  if (!n) return;
  const char **rids = g_new(const char *, n);
  int64_t *ats = g_new(int64_t, n);
  bool *settled = g_new0(bool, n);
  for (int i = 0; i < n; i++) {
    item *it = g_ptr_array_index(r->items, i);
    rids[i] = it->occ.rid;
    ats[i] = it->occ.occurs;
  }
  cl_store *s = cl_reader_store(reader);
  if (cl_remind_settled(s, cl_store_user(s), n, rids, ats, g_get_real_time() / 1000, settled, NULL) == 0)
    for (int i = n - 1; i >= 0; i--) { /* (from the end: drop removes from items) */
      item *it = g_ptr_array_index(r->items, i);
      if (settled[i] && !it->req) drop(r, it); /* one of ours under way: its result drops it */
    }
  g_free(rids);
  g_free(ats);
  g_free(settled);
}

int gui_reminders_count(GtkWidget *page) { return (int)page_rem(page)->items->len; }

static void on_activated(GtkListBox *box, GtkListBoxRow *row, reminders *r) {
  (void)box;
  item *it = g_object_get_data(G_OBJECT(row), "gui-item");
  if (it && r->open) r->open(r->ud, it->occ.rid);
}

static void rem_free(gpointer p) {
  reminders *r = p;
  g_ptr_array_unref(r->items);
  g_ptr_array_unref(r->loose);
  g_free(r);
}

GtkWidget *gui_reminders_new(cl_client *client, gui_open_fn open, gui_count_fn count, void *ud) {
  reminders *r = g_new0(reminders, 1);
  r->client = client;
  r->open = open;
  r->count = count;
  r->ud = ud;
  r->items = g_ptr_array_new_with_free_func(item_free);
  r->loose = g_ptr_array_new_with_free_func(g_free);
  GtkWidget *page = gui_list_page_new(_("Reminders"), NULL, "Reminders", FALSE, &r->empty,
                                      &r->box);
  gtk_label_set_text(r->empty, _("No reminders due."));
  g_signal_connect(r->box, "row-activated", G_CALLBACK(on_activated), r);
  g_object_set_data_full(G_OBJECT(page), "gui-reminders", r, rem_free);
  return page;
}
