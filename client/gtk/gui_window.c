/* gui_window — see gui_window.h. The list is a GtkColumnView over GuiList
 * (pages fetched on demand); the card pane (gui_card) shows the selected
 * record with its quick actions and its related cards. */
#include "gui_window.h"

#include <glib/gi18n.h>
#include <string.h>

#include "gui_card.h"
#include "gui_conflicts.h"
#include "gui_filter.h"
#include "gui_i18n.h"
#include "gui_list.h"
#include "gui_reminders.h"
#include "gui_today.h"
#include "gui_trash.h"
#include "gui_util.h"
#include "kt_buf.h"

struct _GuiWindow {
  AdwApplicationWindow parent;
  GuiApp *app;
  GtkListBox *sections;
  GtkSearchEntry *search;
  GtkColumnView *table;
  GtkSingleSelection *selection;
  GuiList *list;
  GuiCard *card;  /* the card pane */
  GtkLabel *status;
  /* the list's filters and column sort */
  GtkToggleButton *filter_toggle; /* "Filters": reveals the bar */
  GtkRevealer *filter_revealer;
  GtkBox *filter_holder;          /* holds the bar of the section shown */
  GtkWidget *filter_bar;          /* gui_filter, or NULL */
  char *sort_field;               /* the column sorted by, NULL: the stored order */
  gboolean sort_desc;
  gboolean cols_quiet;            /* the columns are being rebuilt: no sort change */
  char *cols_sig;                 /* the type and columns the column view shows */
  GtkStack *stack;   /* "list" (a section), "today", "trash", "conflicts", "reminders" */
  GtkLabel *sync;    /* the sync indicator */
  AdwToastOverlay *toasts;
  cl_client_occ *occ; /* the last reminder batch shown (for Dismiss) */
  int nocc;
  GtkWidget *today;
  GtkWidget *trash, *conflicts, *reminders; /* pages of the stack */
  GtkLabel *conflicts_label;                /* the sidebar's "Conflicts (N)" */
  GtkButton *remind_button;                 /* the header bar's "Reminders (N)" */
  char *type;     /* the section shown */
  /* --bench-startup (gui_window_bench): times to rows on screen */
  gint64 bench_t0;  /* 0: not benchmarking; else when the current measure began */
  gboolean bound;   /* a list cell was bound since bench_t0 */
  gboolean painted; /* a frame began with it bound */
  gboolean searched; /* the search of the current step has begun */
  int bench_step;   /* 0 start-up, 1.. the search prefixes */
  int bench_filter; /* the filter step (after start-up): 0 to come, 1 measuring, 2 done */
};

G_DEFINE_FINAL_TYPE(GuiWindow, gui_window, ADW_TYPE_APPLICATION_WINDOW)



static void toast(GuiWindow *w, const char *text, const char *button, const char *action,
                  GVariant *target);

static void on_action_save(GSimpleAction *a, GVariant *p, gpointer ud) {
  (void)a;
  (void)p;
  gui_card_save(GUI_WINDOW(ud)->card);
}
static void on_action_new(GSimpleAction *a, GVariant *p, gpointer ud) {
  (void)a;
  (void)p;
  GuiWindow *w = ud;
  if (w->type) gui_card_new_card(w->card, w->type);
}
static void on_action_edit(GSimpleAction *a, GVariant *p, gpointer ud) {
  (void)a;
  (void)p;
  gui_card_edit(GUI_WINDOW(ud)->card);
}
static gboolean on_escape(GtkWidget *widget, GVariant *args, gpointer ud) {
  (void)widget;
  (void)args;
  GuiWindow *w = ud;
  if (!gui_card_has_form(w->card)) return FALSE;
  /* an open drop-down's list (a popover) closes first */
  GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(w));
  if (focus && gtk_widget_get_native(focus) != GTK_NATIVE(w)) return FALSE;
  return gui_card_leave(w->card);
}

static void on_selected(GtkSingleSelection *sel, GParamSpec *p, GuiWindow *w) {
  (void)p;
  GuiRow *row = gtk_single_selection_get_selected_item(sel);
  /* none selected (the list read again after a change), or a row not read yet (past
     the first rows of a search sorted by name, gui_list.c) or removed: the card stays */
  if (row && *gui_row_id(row)) gui_card_show(w->card, gui_row_id(row));
}

/* The list's rows are replaced by another view's (gui_list_set_swap): before, no
 * row selected (its slot will hold another card; the card shown stays, as in
 * on_selected); after a new spec (not a reload), the first rows shown. */
static void on_list_swap(gpointer ud, gboolean before, gboolean same) {
  GuiWindow *w = ud;
  if (before) {
    gtk_single_selection_set_selected(w->selection, GTK_INVALID_LIST_POSITION);
  } else if (!same) {
    GtkAdjustment *adj = gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(w->table));
    if (adj) gtk_adjustment_set_value(adj, gtk_adjustment_get_lower(adj));
  }
}

/* ---- the list ------------------------------------------------------------------------- */

static void cell_setup(GtkSignalListItemFactory *f, GtkListItem *item, gpointer col) {
  (void)f;
  GtkWidget *l = gtk_label_new(NULL);
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
  /* the least a cell may be cut to: names keep more ("АО «…»"), other values a few
     characters; the header's own width is the column's least too, so no header is
     cut off ("Стадия воронки") */
  gtk_label_set_width_chars(GTK_LABEL(l), GPOINTER_TO_INT(col) == 0 ? 16 : 5);
  gtk_list_item_set_child(item, l);
}

/* A bound row's slot was refilled with another card (gui_list.h): its text again. */
static void cell_changed(GuiRow *row, GtkListItem *item) {
  GuiWindow *w = g_object_get_data(G_OBJECT(item), "window");
  if (w && *gui_row_id(row)) w->bound = TRUE;
  gtk_label_set_text(GTK_LABEL(gtk_list_item_get_child(item)),
                     gui_row_text(row, GPOINTER_TO_INT(g_object_get_data(G_OBJECT(item), "col"))));
}

static void cell_bind(GtkSignalListItemFactory *f, GtkListItem *item, gpointer col) {
  GuiRow *row = gtk_list_item_get_item(item);
  g_object_set_data(G_OBJECT(item), "window", g_object_get_data(G_OBJECT(f), "window"));
  g_object_set_data(G_OBJECT(item), "col", col);
  gulong id = g_signal_connect(row, "changed", G_CALLBACK(cell_changed), item);
  g_object_set_data(G_OBJECT(item), "changed-id", GSIZE_TO_POINTER(id));
  cell_changed(row, item);
}

static void cell_unbind(GtkSignalListItemFactory *f, GtkListItem *item, gpointer col) {
  (void)f;
  (void)col;
  gulong id = (gulong)GPOINTER_TO_SIZE(g_object_get_data(G_OBJECT(item), "changed-id"));
  GuiRow *row = gtk_list_item_get_item(item);
  if (row && id) g_signal_handler_disconnect(row, id);
  g_object_set_data(G_OBJECT(item), "changed-id", NULL);
}

/* Column sort (GTK 4.8 has no getter for the column view sorter's state):
 * each column's sorter is a probe that names its column on the first item
 * and says "smaller"; comparing two probe items through the view's sorter
 * then tells the primary column (the one whose probe ran) and the direction
 * (the view inverts a descending column's answer). */
static int probe_cmp(gconstpointer a, gconstpointer b, gpointer col) {
  (void)b;
  g_object_set_data(G_OBJECT(a), "probe-col", GINT_TO_POINTER(GPOINTER_TO_INT(col) + 1));
  return GTK_ORDERING_SMALLER;
}

static void show_section(GuiWindow *w, const char *type);

static void on_sort_changed(GtkSorter *sorter, GtkSorterChange change, GuiWindow *w) {
  (void)change;
  if (w->cols_quiet) return;
  GObject *a = g_object_new(G_TYPE_OBJECT, NULL), *b = g_object_new(G_TYPE_OBJECT, NULL);
  GtkOrdering o = gtk_sorter_compare(sorter, a, b);
  int col = GPOINTER_TO_INT(g_object_get_data(a, "probe-col")) - 1;
  g_object_unref(a);
  g_object_unref(b);
  const kt_mfield *f = col >= 0 ? gui_list_col(w->list, col) : NULL;
  g_free(w->sort_field);
  w->sort_field = f ? g_strdup(f->name) : NULL;
  w->sort_desc = f && o == GTK_ORDERING_LARGER;
  if (w->type) show_section(w, w->type);
}

/* The columns of the list's type; rebuilt only when they differ from those
 * shown (a rebuild loses the header's sort arrow: it is put back). */
static void set_columns(GuiWindow *w) {
  GString *sig = g_string_new(gui_list_type(w->list) ? gui_list_type(w->list)->def->name : "");
  for (int i = 0; i < gui_list_ncols(w->list); i++) {
    const kt_mfield *f = gui_list_col(w->list, i);
    g_string_append_printf(sig, "|%s:%s", f->name,
                           gui_field_label(gui_list_type(w->list), f));
  }
  if (w->cols_sig && strcmp(w->cols_sig, sig->str) == 0) {
    g_string_free(sig, TRUE);
    return;
  }
  g_free(w->cols_sig);
  w->cols_sig = g_string_free(sig, FALSE);
  w->cols_quiet = TRUE;
  GListModel *cols = gtk_column_view_get_columns(w->table);
  while (g_list_model_get_n_items(cols) > 0) {
    GtkColumnViewColumn *c = g_list_model_get_item(cols, 0);
    gtk_column_view_remove_column(w->table, c);
    g_object_unref(c);
  }
  GtkColumnViewColumn *sorted = NULL;
  for (int i = 0; i < gui_list_ncols(w->list); i++) {
    GtkListItemFactory *f = gtk_signal_list_item_factory_new();
    g_signal_connect(f, "setup", G_CALLBACK(cell_setup), GINT_TO_POINTER(i));
    g_signal_connect(f, "bind", G_CALLBACK(cell_bind), GINT_TO_POINTER(i));
    g_signal_connect(f, "unbind", G_CALLBACK(cell_unbind), GINT_TO_POINTER(i));
    g_object_set_data(G_OBJECT(f), "window", w);
    GtkColumnViewColumn *c =
        gtk_column_view_column_new(gui_field_label(gui_list_type(w->list), gui_list_col(w->list, i)), f);
    gtk_column_view_column_set_resizable(c, TRUE);
    /* no fixed widths: each column gets at least its header and a few characters,
       then what the values want as far as the pane allows; the name takes what is
       left over (a fixed 260 px name pushed a Russian header out of the pane) */
    gtk_column_view_column_set_expand(c, i == 0);
    GtkSorter *probe = GTK_SORTER(gtk_custom_sorter_new(probe_cmp, GINT_TO_POINTER(i), NULL));
    gtk_column_view_column_set_sorter(c, probe);
    g_object_unref(probe);
    gtk_column_view_append_column(w->table, c);
    if (w->sort_field && strcmp(gui_list_col(w->list, i)->name, w->sort_field) == 0) sorted = c;
    g_object_unref(c);
  }
  gtk_column_view_sort_by_column(w->table, sorted,
                                 w->sort_desc ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
  if (!sorted) g_clear_pointer(&w->sort_field, g_free);
  w->cols_quiet = FALSE;
}

/* The status line: how many cards the list shows ("1,234 cards"). */
static void show_count(GuiWindow *w) {
  guint n = g_list_model_get_n_items(G_LIST_MODEL(w->list));
  char *num = g_strdup_printf("%'u", n);
  char *st = g_strdup_printf(ngettext("%s card", "%s cards", n), num);
  gtk_label_set_text(w->status, st);
  g_free(st);
  g_free(num);
}

/* The list's request is in (or failed): columns, the count. */
static void on_list_ready(gpointer ud, const kt_err *err) {
  GuiWindow *w = ud;
  if (err) {
    gtk_label_set_text(w->status, err->msg);
    return;
  }
  set_columns(w);
  show_count(w);
}

static void on_filter_changed(gpointer ud) {
  GuiWindow *w = ud;
  if (w->type) show_section(w, w->type);
}

/* The filter bar of type (a new one for another section, or when the
 * office's model of it changed). */
static void set_filter_bar(GuiWindow *w, const char *type, gboolean new_section) {
  kt_mtype *t = kt_model_type(cl_reader_model(gui_app_reader(w->app)), type);
  if (!t) return;
  if (w->filter_bar && !new_section && gui_filter_fits(w->filter_bar, t)) return;
  if (w->filter_bar) gtk_box_remove(w->filter_holder, w->filter_bar);
  w->filter_bar = gui_filter_new(gui_app_reader(w->app), t, on_filter_changed, w);
  gtk_box_append(w->filter_holder, w->filter_bar);
}

static void show_section(GuiWindow *w, const char *type) {
  gboolean new_section = !w->type || strcmp(type, w->type) != 0;
  if (new_section) { /* another section: its own filters, the stored order */
    g_clear_pointer(&w->sort_field, g_free);
    w->sort_desc = FALSE;
  }
  set_filter_bar(w, type, new_section);
  const char *text = gtk_editable_get_text(GTK_EDITABLE(w->search));
  bool words = false;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isspace(*p)) words = true;
  cl_view_filter where[GUI_FILTER_MAX];
  int nwhere = w->filter_bar ? gui_filter_where(w->filter_bar, where) : 0;
  cl_view_spec spec = {.type = type, .search = words ? text : NULL, .where = where,
                       .nwhere = nwhere, .sort = w->sort_field, .desc = w->sort_desc};
  if (new_section) {
    char *t = g_strdup(type); /* (type may be w->type) */
    g_free(w->type);
    w->type = t;
  }
  gui_list_request(w->list, &spec);
  if (gui_list_building(w->list)) gtk_label_set_text(w->status, _("Updating the list…"));
}

static void open_card(void *ud, const char *id) { gui_card_show(GUI_WINDOW(ud)->card, id); }

/* Reads the conflict log again; the sidebar says how many there are. */
static void count_conflicts(GuiWindow *w) {
  int n = gui_conflicts_reload(w->conflicts);
  char *t = n ? g_strdup_printf(_("Conflicts (%d)"), n) : g_strdup(_("Conflicts"));
  gtk_label_set_text(w->conflicts_label, t);
  g_free(t);
}

static void on_section(GtkListBox *box, GtkListBoxRow *row, GuiWindow *w) {
  (void)box;
  if (!row) return;
  const char *name = gtk_widget_get_name(GTK_WIDGET(row));
  if (strcmp(name, "today") == 0) {
    gtk_stack_set_visible_child_name(w->stack, "today");
    gui_today_reload(w->today);
    return;
  }
  if (strcmp(name, "trash") == 0 || strcmp(name, "conflicts") == 0) {
    gtk_stack_set_visible_child_name(w->stack, name);
    if (*name == 't') gui_trash_reload(w->trash);
    else count_conflicts(w);
    return;
  }
  gtk_stack_set_visible_child_name(w->stack, "list");
  show_section(w, name);
}

static const char *const bench_prefixes[12];
static void on_search(GtkSearchEntry *e, GuiWindow *w) {
  /* --bench-startup: the search of the step's prefix starts now (the entry's typing delay
     is not ours; replacing the text first reports an empty entry, which is not the step) */
  if (w->bench_t0 && w->bench_step > 0 &&
      strcmp(gtk_editable_get_text(GTK_EDITABLE(e)), bench_prefixes[w->bench_step - 1]) == 0) {
    w->bench_t0 = g_get_monotonic_time();
    w->bound = w->painted = FALSE;
    w->searched = TRUE;
  }
  fprintf(stderr, "TRACE on_search\n");
  if (w->type) show_section(w, w->type);
}

void gui_window_reload(GuiWindow *w) {
  bool changed = false;
  if (cl_reader_refresh(gui_app_reader(w->app), &changed, NULL) || !changed) return;
  if (w->type) show_section(w, w->type);
  gui_today_reload(w->today);
  count_conflicts(w);
  if (strcmp(gtk_stack_get_visible_child_name(w->stack), "trash") == 0) gui_trash_reload(w->trash);
  gui_card_reload(w->card);
}

/* A sidebar row (a section, Today, Conflicts, Trash): its label. */
static GtkLabel *page_row(GuiWindow *w, const char *name, const char *label, const char *an) {
  GtkWidget *l = gtk_label_new(label);
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_widget_set_margin_start(l, 12);
  gtk_widget_set_margin_end(l, 12);
  gtk_widget_set_margin_top(l, 8);
  gtk_widget_set_margin_bottom(l, 8);
  GtkWidget *row = gtk_list_box_row_new();
  gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), l);
  gtk_widget_set_name(row, name);
  gui_set_name(row, an);
  gtk_list_box_append(w->sections, row);
  return GTK_LABEL(l);
}

static void fill_sections(GuiWindow *w) {
  int n = 0;
  kt_model *m = cl_reader_model(gui_app_reader(w->app));
  kt_mtype *types = kt_model_types(m, &n);
  /* the day first */
  page_row(w, "today", _("Today"), "Section today");
  GtkListBoxRow *first = NULL;
  for (int i = 0; i < n; i++) {
    kt_mtype *t = &types[i];
    kt_mtype *chk;
    if (t->hidden || (t->def->flags & (KT_TF_CONFIG | KT_TF_SYSTEM | KT_TF_ELEMENT)) ||
        kt_model_type_get(m, t->def->name, &chk, NULL))
      continue;
    char *an = g_strdup_printf("Section %s", t->def->name);
    GtkLabel *l = page_row(w, t->def->name, gui_type_label(t), an);
    g_free(an);
    if (!first) first = GTK_LIST_BOX_ROW(gtk_widget_get_parent(GTK_WIDGET(l)));
  }
  w->conflicts_label = page_row(w, "conflicts", _("Conflicts"), "Section conflicts");
  page_row(w, "trash", _("Trash"), "Section trash");
  count_conflicts(w);
  if (first) gtk_list_box_select_row(w->sections, first);
}

static void on_focus_search(GSimpleAction *a, GVariant *p, gpointer ud) {
  (void)a;
  (void)p;
  gtk_widget_grab_focus(GTK_WIDGET(GUI_WINDOW(ud)->search));
}

/* ---- the core's events ------------------------------------------------------------------ */

static void toast(GuiWindow *w, const char *text, const char *button, const char *action,
                  GVariant *target) {
  AdwToast *t = adw_toast_new(text);
  adw_toast_set_timeout(t, button ? 8 : 4); /* a message alone is read in 4 s */
  if (button) {
    adw_toast_set_button_label(t, button);
    adw_toast_set_action_name(t, action);
    if (target) adw_toast_set_action_target_value(t, target);
  }
  adw_toast_overlay_add_toast(w->toasts, t);
}

static void show_sync(GuiWindow *w, const cl_client_event *ev) {
  char *text = NULL;
  int64_t p = ev->sync.pending;
  char *pend = p ? g_strdup_printf(ngettext(", %lld change waiting", ", %lld changes waiting", p),
                                   (long long)p)
                 : g_strdup("");
  switch (ev->sync.status) {
  case CL_SYNC_LOCAL: text = g_strdup(_("This PC only")); break;
  case CL_SYNC_CONNECTING: text = g_strdup_printf(_("Connecting…%s"), pend); break;
  case CL_SYNC_ONLINE:
    text = g_strdup_printf(_("Online%s"), pend);
    break;
  case CL_SYNC_OFFLINE: text = g_strdup_printf(_("Offline%s"), pend); break;
  case CL_SYNC_LOGIN: text = g_strdup(_("Session expired: log in again")); break;
  case CL_SYNC_STOPPED: text = g_strdup_printf(_("Not syncing: %s"), ev->sync.error); break;
  }
  gtk_label_set_text(w->sync, text ? text : "");
  gui_set_desc(GTK_WIDGET(w->sync), "Sync status"); /* (GTK 4.8 drops it with a tooltip) */
  char *tip = ev->sync.last_sync[0]
                  ? g_strdup_printf(_("Last sync %s%s%s"), ev->sync.last_sync,
                                    ev->sync.error[0] ? "\n" : "", ev->sync.error)
                  : g_strdup(ev->sync.error);
  gtk_widget_set_tooltip_text(GTK_WIDGET(w->sync), tip);
  gui_set_desc(GTK_WIDGET(w->sync), "Sync status");
  g_free(tip);
  g_free(text);
  g_free(pend);
  if (gui_card_sync(w->card, ev)) { /* a refusal: said, shown on the card, and undone */
    cl_reader_refresh(gui_app_reader(w->app), NULL, NULL);
    if (w->type) show_section(w, w->type);
    gui_card_reload(w->card);
  }
}

static void show_reminders(GuiWindow *w, const cl_client_event *ev) {
  gui_reminders_add(w->reminders, ev);
  g_free(w->occ);
  w->nocc = ev->reminders.n;
  w->occ = g_memdup2(ev->reminders.v, sizeof *w->occ * (size_t)ev->reminders.n);
  if (ev->reminders.summary)
    toast(w, ev->reminders.title, NULL, NULL, NULL);
  else
    for (int i = 0; i < ev->reminders.n; i++) {
      char *m = g_strdup_printf(ev->reminders.missed ? _("Missed: %s") : _("Reminder: %s"),
                                ev->reminders.v[i].title);
      toast(w, m, _("Dismiss"), "win.dismiss", g_variant_new_int32(i));
      g_free(m);
    }
  cl_client_cmd c = {.kind = CL_CMD_SHOWN, .batch = ev->reminders.batch, .shown = ev->reminders.n};
  cl_client_submit(gui_app_client(w->app), &c, NULL, NULL);
}

void gui_window_event(GuiWindow *w, const cl_client_event *ev) {
  switch (ev->kind) {
  case CL_EV_CHANGED:
    gui_window_reload(w);
    gui_reminders_changed(w->reminders, gui_app_reader(w->app)); /* dismissed elsewhere */
    break;
  case CL_EV_SYNC: /* (a login writes the rights the server sent: Reassign follows them) */
    show_sync(w, ev);
    gui_window_reload(w);
    break;
  case CL_EV_REMINDERS: show_reminders(w, ev); break;
  case CL_EV_CONFLICT:
    count_conflicts(w);
    toast(w, _("A colleague edited the same field at the same time: both values are kept in Conflicts"),
          _("Show"), "win.conflicts", NULL);
    break;
  case CL_EV_RESULT:
    if (gui_card_result(w->card, ev)) break;
    if (gui_trash_result(w->trash, ev) || gui_reminders_result(w->reminders, ev)) {
      if (ev->result.code) toast(w, ev->result.msg, NULL, NULL, NULL);
      break;
    }
    if (ev->result.code) toast(w, ev->result.msg, NULL, NULL, NULL);
    break;
  }
}

static void on_dismiss(GSimpleAction *a, GVariant *p, gpointer ud) {
  (void)a;
  GuiWindow *w = ud;
  int i = g_variant_get_int32(p);
  if (i < 0 || i >= w->nocc) return;
  gui_reminders_dismiss(w->reminders, &w->occ[i]); /* (it leaves the list too) */
}

/* The toast's "Show", a conflict recorded: the Conflicts page. */
static void on_show_conflicts(GSimpleAction *a, GVariant *p, gpointer ud) {
  (void)a;
  (void)p;
  GuiWindow *w = ud;
  for (GtkWidget *c = gtk_widget_get_first_child(GTK_WIDGET(w->sections)); c;
       c = gtk_widget_get_next_sibling(c))
    if (strcmp(gtk_widget_get_name(c), "conflicts") == 0)
      gtk_list_box_select_row(w->sections, GTK_LIST_BOX_ROW(c));
}

/* The header bar's Reminders: the in-app list (no section stays selected). */
static void on_show_reminders(GuiWindow *w) {
  gtk_list_box_unselect_all(w->sections);
  gtk_stack_set_visible_child_name(w->stack, "reminders");
}

static void on_reminders_count(void *ud, int n) {
  GuiWindow *w = ud;
  char *t = n ? g_strdup_printf(_("Reminders (%d)"), n) : g_strdup(_("Reminders"));
  gtk_button_set_label(w->remind_button, t);
  g_free(t);
  char *an = g_strdup_printf("Reminders %d", n);
  gui_set_name(GTK_WIDGET(w->remind_button), an);
  g_free(an);
}

static void gui_window_finalize(GObject *o) {
  GuiWindow *w = GUI_WINDOW(o);
  g_free(w->occ);
  g_free(w->type);
  g_free(w->sort_field);
  g_free(w->cols_sig);
  G_OBJECT_CLASS(gui_window_parent_class)->finalize(o);
}
static void gui_window_class_init(GuiWindowClass *k) {
  G_OBJECT_CLASS(k)->finalize = gui_window_finalize;
}
static void gui_window_init(GuiWindow *w) { (void)w; }

/* ---- --bench-startup ------------------------------------------------------------------ */

#define BENCH_FILTER_FIELD "city"
#define BENCH_FILTER_VALUE "Казань"
/* newest first (the search box's order), then from BENCH_SORTED on with the list
   sorted by the name column (a search sorted by the sort index's first field) */
static const char *const bench_prefixes[12] = {"Ив", "Смир", "Ёлк", "Łuk", "Фёд", "Kow", "495",
                                               "Ив", "Łuk", "Фёд", "Kow", "495"};
#define BENCH_SORTED 7

/* Sorts the list by its name column, as a click on its header. */
static void bench_sort_by_name(GuiWindow *w) {
  GListModel *cols = gtk_column_view_get_columns(w->table);
  for (int i = 0; i < gui_list_ncols(w->list); i++)
    if (strcmp(gui_list_col(w->list, i)->name, "name") == 0) {
      GtkColumnViewColumn *c = g_list_model_get_item(cols, (guint)i);
      gtk_column_view_sort_by_column(w->table, c, GTK_SORT_ASCENDING);
      g_object_unref(c);
    }
}

/* Each frame (a tick comes before a frame's layout and paint): the second
 * tick that finds list cells bound comes after a frame painted them, so the
 * rows are on screen. Then the next measure, or quit. */
static gboolean bench_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer ud) {
  (void)clock;
  (void)ud;
  GuiWindow *w = GUI_WINDOW(widget);
  guint n = g_list_model_get_n_items(G_LIST_MODEL(w->list));
  if (gui_list_building(w->list)) { /* (the rows bound meanwhile are the old ones) */
    w->bound = w->painted = FALSE;
    return G_SOURCE_CONTINUE;
  }
  if (w->bench_step > 0 && !w->searched) return G_SOURCE_CONTINUE;
  if (!w->bound && (w->bench_step == 0 || n > 0)) return G_SOURCE_CONTINUE; /* none found: shown */
  if (!w->painted) { /* this frame paints the bound rows; the next tick comes after it */
    w->painted = TRUE;
    return G_SOURCE_CONTINUE;
  }
  double ms = (double)(g_get_monotonic_time() - w->bench_t0) / 1000.0;
  int nprefix = (int)G_N_ELEMENTS(bench_prefixes);
  if (w->bench_step == 0 && w->bench_filter == 0) {
    printf("kartoteka-gtk: first rows on screen %.1f ms after start (%u cards in %s; goal < 1000 ms)\n",
           ms, n, w->type ? w->type : "?");
    /* then a filter (a view sorted in memory, built by the worker) */
    fflush(stdout);
    if (w->filter_bar && gui_filter_set(w->filter_bar, BENCH_FILTER_FIELD, BENCH_FILTER_VALUE)) {
      w->bench_filter = 1;
      w->bound = w->painted = FALSE;
      w->bench_t0 = g_get_monotonic_time();
      show_section(w, w->type);
      return G_SOURCE_CONTINUE;
    }
    w->bench_filter = 2;
  } else if (w->bench_step == 0 && w->bench_filter == 1) {
    printf("kartoteka-gtk: filter %s=%s: first rows on screen %.1f ms after the filter changed "
           "(%u cards; sorted in memory by a worker)\n", BENCH_FILTER_FIELD, BENCH_FILTER_VALUE,
           ms, n);
    gui_filter_clear(w->filter_bar); /* (the searches next read no filter) */
    w->bench_filter = 2;
  } else
    printf("kartoteka-gtk: search \"%s\"%s: first rows on screen %.1f ms after the search began "
           "(%u found; goal < 50 ms)\n", bench_prefixes[w->bench_step - 1],
           w->bench_step > BENCH_SORTED ? " sorted by name" : "", ms, n);
  fflush(stdout);
  if (w->bench_step == nprefix) {
    g_application_quit(G_APPLICATION(w->app));
    return G_SOURCE_REMOVE;
  }
  w->bound = w->painted = w->searched = FALSE;
  /* (the sort's own build, of the search before, is superseded by the next search's) */
  if (w->bench_step == BENCH_SORTED) bench_sort_by_name(w);
  gtk_editable_set_text(GTK_EDITABLE(w->search), bench_prefixes[w->bench_step++]);
  return G_SOURCE_CONTINUE;
}

void gui_window_bench(GuiWindow *w, gint64 t0) {
  w->bench_t0 = t0; /* (the rows may be bound already: before the first frame) */
  gtk_widget_add_tick_callback(GTK_WIDGET(w), bench_tick, NULL, NULL);
}

static void card_say(void *ud, const char *text) { toast(ud, text, NULL, NULL, NULL); }

GuiWindow *gui_window_new(GuiApp *app) {
  GuiWindow *w = g_object_new(GUI_TYPE_WINDOW, "application", app, NULL);
  w->app = app;
  gtk_window_set_title(GTK_WINDOW(w), _("Kartoteka"));
  gtk_window_set_default_size(GTK_WINDOW(w), 1200, 760);

  GtkWidget *root = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new();
  w->search = GTK_SEARCH_ENTRY(gtk_search_entry_new());
  gtk_widget_set_size_request(GTK_WIDGET(w->search), 360, -1);
  gui_set_name(GTK_WIDGET(w->search), "Search");
  adw_header_bar_set_title_widget(ADW_HEADER_BAR(header), GTK_WIDGET(w->search));
  w->sync = GTK_LABEL(gtk_label_new(""));
  gtk_widget_add_css_class(GTK_WIDGET(w->sync), "dim-label");
  gui_set_desc(GTK_WIDGET(w->sync), "Sync status");
  adw_header_bar_pack_end(ADW_HEADER_BAR(header), GTK_WIDGET(w->sync));
  gtk_label_set_text(w->sync, cl_client_connected(gui_app_client(app)) ? _("Connecting…")
                                                                         : _("This PC only"));
  gui_set_desc(GTK_WIDGET(w->sync), "Sync status");
  w->remind_button = GTK_BUTTON(gtk_button_new_with_label(_("Reminders")));
  gtk_widget_set_tooltip_text(GTK_WIDGET(w->remind_button), _("Reminders due and missed"));
  gui_set_name(GTK_WIDGET(w->remind_button), "Reminders 0");
  g_signal_connect_swapped(w->remind_button, "clicked", G_CALLBACK(on_show_reminders), w);
  adw_header_bar_pack_start(ADW_HEADER_BAR(header), GTK_WIDGET(w->remind_button));
  gtk_box_append(GTK_BOX(root), header);

  GtkWidget *panes = gtk_paned_new(GTK_ORIENTATION_HORIZONTAL);
  gtk_widget_set_vexpand(panes, TRUE);
  w->sections = GTK_LIST_BOX(gtk_list_box_new());
  gtk_widget_add_css_class(GTK_WIDGET(w->sections), "navigation-sidebar");
  gui_set_name(GTK_WIDGET(w->sections), "Sections");
  GtkWidget *side = gtk_scrolled_window_new();
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(side), GTK_WIDGET(w->sections));
  gtk_widget_set_size_request(side, 180, -1);
  gtk_paned_set_start_child(GTK_PANED(panes), side);
  gtk_paned_set_shrink_start_child(GTK_PANED(panes), FALSE);

  GtkWidget *right = gtk_paned_new(GTK_ORIENTATION_HORIZONTAL);
  w->list = gui_list_new(gui_app_reader(app));
  w->selection = gtk_single_selection_new(G_LIST_MODEL(w->list));
  gtk_single_selection_set_autoselect(w->selection, FALSE);
  gtk_single_selection_set_can_unselect(w->selection, TRUE);
  w->table = GTK_COLUMN_VIEW(gtk_column_view_new(GTK_SELECTION_MODEL(w->selection)));
  gui_set_name(GTK_WIDGET(w->table), "Cards");
  gui_list_set_done(w->list, on_list_ready, w);
  gui_list_set_swap(w->list, on_list_swap, w);
  g_signal_connect(gtk_column_view_get_sorter(w->table), "changed", G_CALLBACK(on_sort_changed), w);
  GtkWidget *tscroll = gtk_scrolled_window_new();
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(tscroll), GTK_WIDGET(w->table));
  gtk_widget_set_hexpand(tscroll, TRUE);
  GtkWidget *middle = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  /* the list's header: Filters reveals the filter bar of the section */
  GtkWidget *lhead = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_margin_start(lhead, 8);
  gtk_widget_set_margin_top(lhead, 4);
  gtk_widget_set_margin_bottom(lhead, 4);
  w->filter_toggle = GTK_TOGGLE_BUTTON(gtk_toggle_button_new_with_label(_("Filters")));
  gtk_widget_set_tooltip_text(GTK_WIDGET(w->filter_toggle), _("Show only the cards that match"));
  gui_set_name(GTK_WIDGET(w->filter_toggle), "Filters");
  gtk_box_append(GTK_BOX(lhead), GTK_WIDGET(w->filter_toggle));
  gtk_box_append(GTK_BOX(middle), lhead);
  w->filter_revealer = GTK_REVEALER(gtk_revealer_new());
  gui_set_name(GTK_WIDGET(w->filter_revealer), "Filter panel");
  w->filter_holder = GTK_BOX(gtk_box_new(GTK_ORIENTATION_VERTICAL, 0));
  gtk_revealer_set_child(w->filter_revealer, GTK_WIDGET(w->filter_holder));
  g_object_bind_property(w->filter_toggle, "active", w->filter_revealer, "reveal-child",
                         G_BINDING_SYNC_CREATE);
  gtk_box_append(GTK_BOX(middle), GTK_WIDGET(w->filter_revealer));
  gtk_box_append(GTK_BOX(middle), tscroll);
  gtk_widget_set_vexpand(tscroll, TRUE);
  w->status = GTK_LABEL(gtk_label_new(""));
  gtk_label_set_xalign(w->status, 0);
  gtk_widget_set_margin_start(GTK_WIDGET(w->status), 8);
  gtk_widget_add_css_class(GTK_WIDGET(w->status), "dim-label");
  gui_set_desc(GTK_WIDGET(w->status), "Status");
  gtk_box_append(GTK_BOX(middle), GTK_WIDGET(w->status));
  w->stack = GTK_STACK(gtk_stack_new());
  gtk_stack_add_named(w->stack, middle, "list");
  w->today = gui_today_new(gui_app_reader(app), open_card, w);
  gtk_stack_add_named(w->stack, w->today, "today");
  w->trash = gui_trash_new(gui_app_reader(app), gui_app_client(app));
  gtk_stack_add_named(w->stack, w->trash, "trash");
  w->conflicts = gui_conflicts_new(gui_app_reader(app), open_card, w);
  gtk_stack_add_named(w->stack, w->conflicts, "conflicts");
  w->reminders = gui_reminders_new(gui_app_client(app), open_card, on_reminders_count, w);
  gtk_stack_add_named(w->stack, w->reminders, "reminders");
  gtk_paned_set_start_child(GTK_PANED(right), GTK_WIDGET(w->stack));

  w->card = GUI_CARD(gui_card_new(app, card_say, w));
  gtk_widget_set_margin_start(GTK_WIDGET(w->card), 18);
  gtk_widget_set_margin_end(GTK_WIDGET(w->card), 18);
  gtk_widget_set_margin_top(GTK_WIDGET(w->card), 18);
  GtkWidget *cscroll = gtk_scrolled_window_new();
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(cscroll), GTK_WIDGET(w->card));
  gtk_widget_set_size_request(cscroll, 380, -1);
  /* toasts over the card pane only: never over the list's rows (its last one,
     the selection) or the sidebar */
  w->toasts = ADW_TOAST_OVERLAY(adw_toast_overlay_new());
  adw_toast_overlay_set_child(w->toasts, cscroll);
  gtk_paned_set_end_child(GTK_PANED(right), GTK_WIDGET(w->toasts));
  gtk_paned_set_end_child(GTK_PANED(panes), right);
  gtk_paned_set_position(GTK_PANED(panes), 200);
  gtk_paned_set_position(GTK_PANED(right), 600);
  gtk_paned_set_resize_start_child(GTK_PANED(panes), FALSE);
  gtk_box_append(GTK_BOX(root), panes);
  adw_application_window_set_content(ADW_APPLICATION_WINDOW(w), root);

  g_signal_connect(w->sections, "row-selected", G_CALLBACK(on_section), w);
  g_signal_connect(w->search, "search-changed", G_CALLBACK(on_search), w);
  g_signal_connect(w->selection, "notify::selected-item", G_CALLBACK(on_selected), w);
  static const GActionEntry actions[] = {{.name = "search", .activate = on_focus_search},
                                         {.name = "dismiss", .activate = on_dismiss,
                                          .parameter_type = "i"},
                                         {.name = "conflicts", .activate = on_show_conflicts},
                                         {.name = "save", .activate = on_action_save},
                                         {.name = "new", .activate = on_action_new},
                                         {.name = "edit", .activate = on_action_edit}};
  g_action_map_add_action_entries(G_ACTION_MAP(w), actions, G_N_ELEMENTS(actions), w);
  const char *accels[] = {"<Control>f", NULL};
  gtk_application_set_accels_for_action(GTK_APPLICATION(app), "win.search", accels);
  const char *save_accels[] = {"<Control>s", NULL}, *new_accels[] = {"<Control>n", NULL},
             *edit_accels[] = {"<Control>e", NULL};
  gtk_application_set_accels_for_action(GTK_APPLICATION(app), "win.save", save_accels);
  gtk_application_set_accels_for_action(GTK_APPLICATION(app), "win.new", new_accels);
  gtk_application_set_accels_for_action(GTK_APPLICATION(app), "win.edit", edit_accels);
  /* Esc leaves the form (capture phase: an entry would take it first) */
  GtkEventController *keys = gtk_shortcut_controller_new();
  gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut(
      GTK_SHORTCUT_CONTROLLER(keys),
      gtk_shortcut_new(gtk_keyval_trigger_new(GDK_KEY_Escape, 0),
                       gtk_callback_action_new(on_escape, w, NULL)));
  gtk_widget_add_controller(GTK_WIDGET(w), keys);
  fill_sections(w);
  return w;
}
