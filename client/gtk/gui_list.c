/* gui_list — see gui_list.h. The page cache holds at most CACHE_PAGES pages;
 * past that it starts again (GTK asks only for what is on screen). */
#include "gui_list.h"

#include "gui_i18n.h"
#include "kt_buf.h"

#define PAGE 100
#define CACHE_PAGES 64
#define MAXCOLS 12

struct _GuiRow {
  GObject parent;
  char *id;
  char *text[MAXCOLS];
};
G_DEFINE_FINAL_TYPE(GuiRow, gui_row, G_TYPE_OBJECT)

static void gui_row_finalize(GObject *o) {
  GuiRow *r = GUI_ROW(o);
  g_free(r->id);
  for (int i = 0; i < MAXCOLS; i++) g_free(r->text[i]);
  G_OBJECT_CLASS(gui_row_parent_class)->finalize(o);
}
static void gui_row_class_init(GuiRowClass *k) { G_OBJECT_CLASS(k)->finalize = gui_row_finalize; }
static void gui_row_init(GuiRow *r) { (void)r; }
const char *gui_row_id(GuiRow *row) { return row->id; }
const char *gui_row_text(GuiRow *row, int col) {
  return col >= 0 && col < MAXCOLS && row->text[col] ? row->text[col] : "";
}

struct _GuiList {
  GObject parent;
  cl_reader *reader;
  cl_view *view;
  cl_view_spec spec;   /* strings owned (spec_strings) */
  GPtrArray *strings;
  cl_view_filter *where;
  const kt_mfield *cols[MAXCOLS];
  int ncols;
  guint n;             /* rows as last told to GTK */
  GHashTable *pages;   /* page index -> GPtrArray of GuiRow */
};

static void list_iface_init(GListModelInterface *iface);
G_DEFINE_FINAL_TYPE_WITH_CODE(GuiList, gui_list, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(G_TYPE_LIST_MODEL, list_iface_init))

static GType get_item_type(GListModel *m) {
  (void)m;
  return GUI_TYPE_ROW;
}
static guint get_n_items(GListModel *m) { return GUI_LIST(m)->n; }

/* The display text of a value; a reference as the card's title. */
static char *cell_text(GuiList *l, const kt_mfield *f, const kt_value *v) {
  kt_buf b = KT_BUF_INIT;
  if (f->type == KT_FT_REF && v->kind == KT_V_TEXT && *v->s) {
    kt_rec *ref = NULL;
    if (cl_reader_get(l->reader, v->s, &ref, NULL) == 0) kt_rec_title(ref, &b);
    else kt_buf_puts(&b, v->s);
    kt_rec_free(ref);
  } else
    gui_value_text(gui_list_type(l), f, v, &b);
  char *s = g_strdup(kt_buf_str(&b));
  kt_buf_free(&b);
  return s;
}

static GPtrArray *load_page(GuiList *l, guint page) {
  GPtrArray *rows = g_hash_table_lookup(l->pages, GUINT_TO_POINTER(page));
  if (rows) return rows;
  if (g_hash_table_size(l->pages) >= CACHE_PAGES) g_hash_table_remove_all(l->pages);
  rows = g_ptr_array_new_with_free_func(g_object_unref);
  kt_rec *recs[PAGE];
  int got = 0;
  if (l->view && cl_view_page(l->view, (int64_t)page * PAGE, PAGE, recs, &got, NULL) == 0) {
    for (int i = 0; i < got; i++) {
      GuiRow *row = g_object_new(GUI_TYPE_ROW, NULL);
      row->id = g_strdup(kt_rec_id(recs[i]));
      for (int c = 0; c < l->ncols; c++) {
        int k = (int)(l->cols[c] - recs[i]->type->fields);
        row->text[c] = cell_text(l, l->cols[c], &recs[i]->v[k]);
      }
      g_ptr_array_add(rows, row);
      kt_rec_free(recs[i]);
    }
  }
  g_hash_table_insert(l->pages, GUINT_TO_POINTER(page), rows);
  return rows;
}

static gpointer get_item(GListModel *m, guint pos) {
  GuiList *l = GUI_LIST(m);
  if (pos >= l->n) return NULL;
  GPtrArray *rows = load_page(l, pos / PAGE);
  guint i = pos % PAGE;
  if (i < rows->len) return g_object_ref(g_ptr_array_index(rows, i));
  /* a row removed since the view was built: an empty row until the reload */
  GuiRow *row = g_object_new(GUI_TYPE_ROW, NULL);
  row->id = g_strdup("");
  return row;
}

static void list_iface_init(GListModelInterface *iface) {
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void gui_list_finalize(GObject *o) {
  GuiList *l = GUI_LIST(o);
  cl_view_free(l->view);
  g_hash_table_destroy(l->pages);
  g_ptr_array_free(l->strings, TRUE);
  g_free(l->where);
  G_OBJECT_CLASS(gui_list_parent_class)->finalize(o);
}
static void gui_list_class_init(GuiListClass *k) {
  G_OBJECT_CLASS(k)->finalize = gui_list_finalize;
}
static void gui_list_init(GuiList *l) {
  l->pages = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_ptr_array_unref);
  l->strings = g_ptr_array_new_with_free_func(g_free);
}

GuiList *gui_list_new(cl_reader *reader) {
  GuiList *l = g_object_new(GUI_TYPE_LIST, NULL);
  l->reader = reader;
  return l;
}

int gui_list_ncols(GuiList *l) { return l->ncols; }
const kt_mtype *gui_list_type(GuiList *l) {
  return l->spec.type ? kt_model_type(cl_reader_model(l->reader), l->spec.type) : NULL;
}
const kt_mfield *gui_list_col(GuiList *l, int i) { return i < l->ncols ? l->cols[i] : NULL; }

static const char *keep(GuiList *l, const char *s) {
  if (!s) return NULL;
  char *d = g_strdup(s);
  g_ptr_array_add(l->strings, d);
  return d;
}

/* Replaces the view and tells GTK how the rows changed. */
static void take_view(GuiList *l, cl_view *v) {
  cl_view_free(l->view);
  l->view = v;
  g_hash_table_remove_all(l->pages);
  guint old = l->n;
  l->n = (guint)cl_view_count(v);
  g_list_model_items_changed(G_LIST_MODEL(l), 0, old, l->n);
}

/* The columns of the type, from the model as the reader holds it now. */
static void set_cols(GuiList *l) {
  kt_mtype *t = kt_model_type(cl_reader_model(l->reader), l->spec.type);
  l->ncols = 0;
  for (int i = 0; t && i < t->nfields && l->ncols < MAXCOLS; i++)
    if ((t->fields[i].flags & KT_FF_COLUMN) && !t->fields[i].hidden)
      l->cols[l->ncols++] = &t->fields[i];
}

gboolean gui_list_set_spec(GuiList *l, const cl_view_spec *spec, kt_err *err) {
  cl_view *v = NULL;
  if (cl_view_open(l->reader, spec, &v, err)) return FALSE;
  /* keep a copy of the spec for reloads */
  GPtrArray *old = l->strings;
  cl_view_filter *oldw = l->where;
  l->strings = g_ptr_array_new_with_free_func(g_free);
  l->spec = *spec;
  l->spec.type = keep(l, spec->type);
  l->spec.search = keep(l, spec->search);
  l->spec.sort = keep(l, spec->sort);
  l->where = spec->nwhere ? g_new0(cl_view_filter, spec->nwhere) : NULL;
  for (int i = 0; i < spec->nwhere; i++) {
    l->where[i].field = keep(l, spec->where[i].field);
    l->where[i].op = spec->where[i].op;
    l->where[i].value = keep(l, spec->where[i].value);
  }
  l->spec.where = l->where;
  g_ptr_array_free(old, TRUE);
  g_free(oldw);
  set_cols(l);
  take_view(l, v);
  return TRUE;
}

gboolean gui_list_reload(GuiList *l, kt_err *err) {
  if (!l->spec.type) return TRUE;
  cl_view *v = NULL;
  if (cl_view_open(l->reader, &l->spec, &v, err)) return FALSE;
  set_cols(l);
  take_view(l, v);
  return TRUE;
}
