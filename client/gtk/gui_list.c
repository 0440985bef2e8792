/* gui_list — see gui_list.h. The page cache holds at most CACHE_PAGES pages;
 * past that it starts again (GTK asks only for what is on screen). A slow
 * view is built by one worker at a time on a reader of its own; requests
 * made meanwhile collapse into the newest (pending), and a result that is
 * not the newest request's is dropped, so the rows shown are always the
 * last request's or the ones before it. */
#include "gui_list.h"

#include "gui_i18n.h"
#include "kt_buf.h"

#include <string.h>

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

/* A spec with its strings owned. */
typedef struct spec_copy {
  cl_view_spec spec;
  GPtrArray *strings;
  cl_view_filter *where;
} spec_copy;

/* A view built off the main thread: a reader of its own (cl_reader.h: a
 * reader and its views may move to another thread as a whole), the spec, the
 * result. The worker owns it until the task returns; then the main thread. */
typedef struct build_job {
  guint64 gen; /* the request it answers (GuiList.gen when it was made) */
  char *path;
  spec_copy sc;
  cl_reader *rd;
  cl_view *v;
  int rc;
  kt_err err;
} build_job;

struct _GuiList {
  GObject parent;
  cl_reader *reader;
  cl_view *view;
  cl_reader *vreader;  /* the view's own reader (built in a worker), or NULL: reader's */
  spec_copy cur;       /* the spec shown */
  const kt_mfield *cols[MAXCOLS];
  int ncols;
  guint n;             /* rows as last told to GTK */
  GHashTable *pages;   /* page index -> GPtrArray of GuiRow */
  guint64 gen;         /* bumped by every request: an older build's result is dropped */
  gboolean running;    /* a worker is building */
  spec_copy *pending;  /* the newest request not started yet (one worker at a time) */
  GuiListDone done;
  gpointer done_ud;
};

static void spec_copy_clear(spec_copy *c);
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
    /* a view built in a worker has records of its reader's model: the columns by name */
    int at[MAXCOLS];
    for (int c = 0; c < l->ncols && got > 0; c++) {
      kt_mfield *f = kt_mtype_field(recs[0]->type, l->cols[c]->name);
      at[c] = f ? (int)(f - recs[0]->type->fields) : -1;
    }
    for (int i = 0; i < got; i++) {
      GuiRow *row = g_object_new(GUI_TYPE_ROW, NULL);
      row->id = g_strdup(kt_rec_id(recs[i]));
      for (int c = 0; c < l->ncols; c++)
        row->text[c] = at[c] >= 0 ? cell_text(l, l->cols[c], &recs[i]->v[at[c]]) : g_strdup("");
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
  cl_reader_close(l->vreader);
  g_hash_table_destroy(l->pages);
  spec_copy_clear(&l->cur);
  if (l->pending) spec_copy_clear(l->pending);
  g_free(l->pending);
  G_OBJECT_CLASS(gui_list_parent_class)->finalize(o);
}
static void gui_list_class_init(GuiListClass *k) {
  G_OBJECT_CLASS(k)->finalize = gui_list_finalize;
}
static void gui_list_init(GuiList *l) {
  l->pages = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_ptr_array_unref);
}

GuiList *gui_list_new(cl_reader *reader) {
  GuiList *l = g_object_new(GUI_TYPE_LIST, NULL);
  l->reader = reader;
  return l;
}

int gui_list_ncols(GuiList *l) { return l->ncols; }
const kt_mtype *gui_list_type(GuiList *l) {
  return l->cur.spec.type ? kt_model_type(cl_reader_model(l->reader), l->cur.spec.type) : NULL;
}
const kt_mfield *gui_list_col(GuiList *l, int i) { return i < l->ncols ? l->cols[i] : NULL; }

static const char *keep(spec_copy *c, const char *s) {
  if (!s) return NULL;
  char *d = g_strdup(s);
  g_ptr_array_add(c->strings, d);
  return d;
}

static void spec_copy_init(spec_copy *c, const cl_view_spec *src) {
  c->strings = g_ptr_array_new_with_free_func(g_free);
  c->spec = *src;
  c->spec.type = keep(c, src->type);
  c->spec.search = keep(c, src->search);
  c->spec.sort = keep(c, src->sort);
  c->where = src->nwhere ? g_new0(cl_view_filter, src->nwhere) : NULL;
  for (int i = 0; i < src->nwhere; i++) {
    c->where[i].field = keep(c, src->where[i].field);
    c->where[i].op = src->where[i].op;
    c->where[i].value = keep(c, src->where[i].value);
  }
  c->spec.where = c->where;
}

static void spec_copy_clear(spec_copy *c) {
  if (c->strings) g_ptr_array_free(c->strings, TRUE);
  g_free(c->where);
  memset(c, 0, sizeof *c);
}

/* Replaces the view (and the reader it belongs to, NULL: the list's) and
 * tells GTK how the rows changed: all removed, then the new ones added, in two
 * signals. One signal "0, old, new" made GTK 4.8 read every new row: when a
 * row it tracks (the scroll anchor, the focus, the selection) is among the
 * removed ones, its list item manager asks for each added row looking for
 * the same object (gtk_list_item_manager_model_items_changed_cb, "a more
 * expensive rebuild"; the rows are new objects: never found), i.e. a record
 * read per row of the new view, 0.4-1 s for a 60,000-hit search, 8-11 s back
 * to the million, on the main thread. Removed first, nothing is added while
 * a tracked row is gone; the list then starts at its first row. */
static void take_view(GuiList *l, cl_view *v, cl_reader *vr) {
  cl_view_free(l->view);
  cl_reader_close(l->vreader);
  l->view = v;
  l->vreader = vr;
  g_hash_table_remove_all(l->pages);
  guint old = l->n;
  l->n = 0;
  if (old) g_list_model_items_changed(G_LIST_MODEL(l), 0, old, 0);
  l->n = (guint)cl_view_count(v);
  if (l->n) g_list_model_items_changed(G_LIST_MODEL(l), 0, 0, l->n);
}

/* The columns of the type, from the model as the reader holds it now. */
static void set_cols(GuiList *l) {
  kt_mtype *t = kt_model_type(cl_reader_model(l->reader), l->cur.spec.type);
  l->ncols = 0;
  for (int i = 0; t && i < t->nfields && l->ncols < MAXCOLS; i++)
    if ((t->fields[i].flags & KT_FF_COLUMN) && !t->fields[i].hidden)
      l->cols[l->ncols++] = &t->fields[i];
}

static void install(GuiList *l, spec_copy *sc, cl_view *v, cl_reader *vr) {
  spec_copy_clear(&l->cur);
  l->cur = *sc;
  memset(sc, 0, sizeof *sc);
  set_cols(l);
  take_view(l, v, vr);
}

gboolean gui_list_set_spec(GuiList *l, const cl_view_spec *spec, kt_err *err) {
  cl_view *v = NULL;
  l->gen++; /* whatever a worker is building is older now */
  if (l->pending) spec_copy_clear(l->pending);
  g_clear_pointer(&l->pending, g_free);
  if (cl_view_open(l->reader, spec, &v, err)) return FALSE;
  spec_copy sc;
  spec_copy_init(&sc, spec);
  install(l, &sc, v, NULL);
  return TRUE;
}

void gui_list_set_done(GuiList *l, GuiListDone done, gpointer ud) {
  l->done = done;
  l->done_ud = ud;
}

gboolean gui_list_building(GuiList *l) { return l->running || l->pending; }

/* Quick on the main thread: the whole list in the stored index's order, or a
 * search newest first (cl_reader.h: cl_view_plan). Filters or a sort order
 * may read and sort every row (1-2 s per million): a worker builds those. */
static gboolean spec_is_quick(const cl_view_spec *s) {
  return s->nwhere == 0 && !s->sort && !s->desc;
}

static void build_thread(GTask *task, gpointer src, gpointer data, GCancellable *c) {
  (void)src;
  (void)c;
  build_job *j = data;
  j->rc = cl_reader_open(j->path, NULL, &j->rd, &j->err);
  if (!j->rc) j->rc = cl_view_open(j->rd, &j->sc.spec, &j->v, &j->err);
  g_task_return_boolean(task, TRUE);
}

static void job_free(build_job *j) {
  cl_view_free(j->v);
  cl_reader_close(j->rd);
  spec_copy_clear(&j->sc);
  g_free(j->path);
  g_free(j);
}

static void start_next(GuiList *l);

/* The worker's view is back (main thread): shown if it answers the newest
 * request, else dropped; then the next request, if one came meanwhile. */
static void on_built(GObject *src, GAsyncResult *res, gpointer ud) {
  (void)res;
  GuiList *l = GUI_LIST(src);
  build_job *j = ud;
  l->running = FALSE;
  if (j->gen == l->gen) {
    if (j->rc == 0) {
      install(l, &j->sc, j->v, j->rd);
      j->v = NULL, j->rd = NULL;
      if (l->done) l->done(l->done_ud, NULL);
    } else if (l->done)
      l->done(l->done_ud, &j->err);
  }
  job_free(j);
  start_next(l);
}

static void start_next(GuiList *l) {
  if (l->running || !l->pending) return;
  build_job *j = g_new0(build_job, 1);
  j->gen = l->gen;
  j->path = g_strdup(cl_reader_path(l->reader));
  j->sc = *l->pending;
  g_clear_pointer(&l->pending, g_free);
  l->running = TRUE;
  GTask *task = g_task_new(l, NULL, on_built, j);
  g_task_set_task_data(task, j, NULL);
  g_task_run_in_thread(task, build_thread);
  g_object_unref(task);
}

void gui_list_request(GuiList *l, const cl_view_spec *spec) {
  if (spec_is_quick(spec)) {
    kt_err err;
    kt_err_clear(&err);
    gboolean ok = gui_list_set_spec(l, spec, &err);
    if (l->done) l->done(l->done_ud, ok ? NULL : &err);
    return;
  }
  l->gen++;
  if (l->pending) spec_copy_clear(l->pending);
  else l->pending = g_new0(spec_copy, 1);
  spec_copy_init(l->pending, spec);
  start_next(l);
}

gboolean gui_list_reload(GuiList *l, kt_err *err) {
  if (!l->cur.spec.type) return TRUE;
  if (!spec_is_quick(&l->cur.spec)) {
    gui_list_request(l, &l->cur.spec); /* (copied before it is replaced) */
    return TRUE;
  }
  cl_view *v = NULL;
  if (cl_view_open(l->reader, &l->cur.spec, &v, err)) return FALSE;
  set_cols(l);
  take_view(l, v, NULL);
  return TRUE;
}
