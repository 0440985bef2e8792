/* gui_filter — see gui_filter.h. The bar is a GtkBox (a flow of label +
 * widget pairs, then Clear) with its state attached as object data; each
 * drop-down keeps the stored value of each position (position 0 is "Any"). */
#include "gui_filter.h"

#include <glib/gi18n.h>
#include <string.h>

#include "gui_i18n.h"
#include "gui_util.h"
#include "kt_choice.h"

#define TYPING_PAUSE_MS 300

typedef struct filter_item {
  char *field;
  GtkWidget *w;     /* GtkDropDown or GtkEntry */
  GPtrArray *codes; /* a drop-down's value per position (NULL for "Any"); NULL: an entry */
} filter_item;

typedef struct filter_bar {
  filter_item item[GUI_FILTER_MAX];
  int n;
  char *sig; /* what the bar was built from (gui_filter_fits) */
  GuiFilterChanged changed;
  gpointer ud;
  gboolean quiet; /* Clear is resetting: no change per widget */
  guint typing;   /* the pause timer after an entry's change */
} filter_bar;

static void bar_free(gpointer p) {
  filter_bar *b = p;
  if (b->typing) g_source_remove(b->typing);
  for (int i = 0; i < b->n; i++) {
    g_free(b->item[i].field);
    if (b->item[i].codes) g_ptr_array_free(b->item[i].codes, TRUE);
  }
  g_free(b->sig);
  g_free(b);
}

static filter_bar *bar_of(GtkWidget *w) { return g_object_get_data(G_OBJECT(w), "gui-filter"); }


/* Which fields a bar offers, and how: 'c' choice, 'u' user or group, 't' text. */
static char field_kind(const kt_mfield *f) {
  if (f->hidden || (f->flags & KT_FF_SYSTEM)) return 0;
  if (f->type == KT_FT_CHOICE) return 'c';
  if (f->type == KT_FT_USER || f->type == KT_FT_GROUP) return 'u';
  if (f->type == KT_FT_TEXT && (f->flags & KT_FF_FILTER)) return 't';
  return 0;
}

static char *signature(const kt_mtype *t) {
  GString *s = g_string_new(t->def->name);
  int n = 0;
  for (int i = 0; i < t->nfields && n < GUI_FILTER_MAX; i++) {
    const kt_mfield *f = &t->fields[i];
    char k = field_kind(f);
    if (!k) continue;
    n++;
    g_string_append_printf(s, "|%c%s=%s:%s", k, f->name, k == 'c' ? kt_mfield_choices(f) : "",
                           f->label ? f->label : "");
  }
  return g_string_free(s, FALSE);
}

static void emit(filter_bar *b) {
  if (!b->quiet && b->changed) b->changed(b->ud);
}

static void on_dropdown(GtkDropDown *d, GParamSpec *p, filter_bar *b) {
  (void)d;
  (void)p;
  emit(b);
}

static gboolean on_typing_pause(gpointer ud) {
  filter_bar *b = ud;
  b->typing = 0;
  emit(b);
  return G_SOURCE_REMOVE;
}

static void on_entry(GtkEditable *e, filter_bar *b) {
  (void)e;
  if (b->quiet) return;
  if (b->typing) g_source_remove(b->typing);
  b->typing = g_timeout_add(TYPING_PAUSE_MS, on_typing_pause, b);
}

static void on_entry_activate(GtkEntry *e, filter_bar *b) {
  (void)e;
  if (b->typing) g_source_remove(b->typing), b->typing = 0;
  emit(b);
}

typedef struct choice_fill {
  const kt_mtype *t;
  const kt_mfield *f;
  GtkStringList *labels;
  GPtrArray *codes;
} choice_fill;

static int on_choice(void *ud, const kt_choice_item *it) {
  choice_fill *c = ud;
  char *code = g_strndup(it->code, it->code_len);
  kt_value v = {.kind = KT_V_TEXT, .s = code};
  kt_buf label = KT_BUF_INIT;
  gui_value_text(c->t, c->f, &v, &label); /* the label the card shows, translated */
  gtk_string_list_append(c->labels, kt_buf_str(&label));
  g_ptr_array_add(c->codes, code);
  kt_buf_free(&label);
  return 0;
}

static int on_name(void *ud, const char *name) {
  choice_fill *c = ud;
  gtk_string_list_append(c->labels, name);
  g_ptr_array_add(c->codes, g_strdup(name));
  return 0;
}

static void on_clear(GtkButton *button, GtkWidget *bar) {
  (void)button;
  filter_bar *b = bar_of(bar);
  gui_filter_clear(bar);
  if (b->changed) b->changed(b->ud);
}

GtkWidget *gui_filter_new(cl_reader *reader, const kt_mtype *t, GuiFilterChanged changed,
                          gpointer ud) {
  filter_bar *b = g_new0(filter_bar, 1);
  b->changed = changed;
  b->ud = ud;
  b->sig = signature(t);
  GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_start(bar, 8);
  gtk_widget_set_margin_end(bar, 8);
  gtk_widget_set_margin_bottom(bar, 6);
  gui_set_name(bar, "Filter bar");
  g_object_set_data_full(G_OBJECT(bar), "gui-filter", b, bar_free);
  GtkWidget *flow = gtk_flow_box_new();
  gtk_flow_box_set_selection_mode(GTK_FLOW_BOX(flow), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line(GTK_FLOW_BOX(flow), 4);
  gtk_flow_box_set_column_spacing(GTK_FLOW_BOX(flow), 12);
  gtk_flow_box_set_row_spacing(GTK_FLOW_BOX(flow), 4);
  gtk_flow_box_set_homogeneous(GTK_FLOW_BOX(flow), TRUE);
  for (int i = 0; i < t->nfields && b->n < GUI_FILTER_MAX; i++) {
    const kt_mfield *f = &t->fields[i];
    char kind = field_kind(f);
    if (!kind) continue;
    filter_item *it = &b->item[b->n++];
    it->field = g_strdup(f->name);
    char *an = g_strdup_printf("Filter %s", f->name);
    if (kind == 't') {
      it->w = gtk_entry_new();
      gtk_entry_set_placeholder_text(GTK_ENTRY(it->w), _("Any"));
      g_signal_connect(it->w, "changed", G_CALLBACK(on_entry), b);
      g_signal_connect(it->w, "activate", G_CALLBACK(on_entry_activate), b);
    } else {
      choice_fill c = {t, f, gtk_string_list_new(NULL), g_ptr_array_new_with_free_func(g_free)};
      gtk_string_list_append(c.labels, _("Any"));
      g_ptr_array_add(c.codes, NULL);
      if (kind == 'c') kt_choice_each(kt_mfield_choices(f), on_choice, &c);
      else cl_reader_names(reader, t->def->name, f->name, on_name, &c, NULL);
      it->codes = c.codes;
      it->w = gtk_drop_down_new(G_LIST_MODEL(c.labels), NULL); /* (takes the list) */
      g_signal_connect(it->w, "notify::selected", G_CALLBACK(on_dropdown), b);
    }
    gui_set_name(it->w, an);
    g_free(an);
    GtkWidget *cell = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    GtkWidget *l = gtk_label_new(gui_field_label(t, f));
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
    gtk_widget_add_css_class(l, "dim-label");
    gtk_box_append(GTK_BOX(cell), l);
    gtk_box_append(GTK_BOX(cell), it->w);
    gtk_flow_box_append(GTK_FLOW_BOX(flow), cell);
  }
  gtk_box_append(GTK_BOX(bar), flow);
  GtkWidget *clear = gtk_button_new_with_label(_("Clear"));
  gtk_widget_set_halign(clear, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text(clear, _("Show every card of the section again"));
  gui_set_name(clear, "Clear filters");
  g_signal_connect(clear, "clicked", G_CALLBACK(on_clear), bar);
  gtk_box_append(GTK_BOX(bar), clear);
  return bar;
}

int gui_filter_where(GtkWidget *bar, cl_view_filter *out) {
  filter_bar *b = bar_of(bar);
  int n = 0;
  for (int i = 0; b && i < b->n; i++) {
    filter_item *it = &b->item[i];
    const char *v = NULL;
    if (it->codes) {
      guint k = gtk_drop_down_get_selected(GTK_DROP_DOWN(it->w));
      if (k != GTK_INVALID_LIST_POSITION && k < it->codes->len) v = g_ptr_array_index(it->codes, k);
    } else {
      v = gtk_editable_get_text(GTK_EDITABLE(it->w));
      const char *p = v;
      while (*p == ' ') p++;
      if (!*p) v = NULL;
    }
    if (v) out[n++] = (cl_view_filter){.field = it->field, .op = '=', .value = v};
  }
  return n;
}

gboolean gui_filter_fits(GtkWidget *bar, const kt_mtype *t) {
  filter_bar *b = bar_of(bar);
  char *sig = signature(t);
  gboolean same = b && strcmp(sig, b->sig) == 0;
  g_free(sig);
  return same;
}

void gui_filter_clear(GtkWidget *bar) {
  filter_bar *b = bar_of(bar);
  if (!b) return;
  b->quiet = TRUE;
  if (b->typing) g_source_remove(b->typing), b->typing = 0;
  for (int i = 0; i < b->n; i++) {
    if (b->item[i].codes) gtk_drop_down_set_selected(GTK_DROP_DOWN(b->item[i].w), 0);
    else gtk_editable_set_text(GTK_EDITABLE(b->item[i].w), "");
  }
  b->quiet = FALSE;
}

gboolean gui_filter_set(GtkWidget *bar, const char *field, const char *value) {
  filter_bar *b = bar_of(bar);
  for (int i = 0; b && i < b->n; i++) {
    filter_item *it = &b->item[i];
    if (strcmp(it->field, field) != 0) continue;
    b->quiet = TRUE;
    gboolean ok = !it->codes;
    if (ok) gtk_editable_set_text(GTK_EDITABLE(it->w), value);
    for (guint k = 1; it->codes && k < it->codes->len; k++)
      if (strcmp(g_ptr_array_index(it->codes, k), value) == 0) {
        gtk_drop_down_set_selected(GTK_DROP_DOWN(it->w), k);
        ok = TRUE;
        break;
      }
    if (b->typing) g_source_remove(b->typing), b->typing = 0;
    b->quiet = FALSE;
    return ok;
  }
  return FALSE;
}
