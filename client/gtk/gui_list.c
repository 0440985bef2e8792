/* gui_list — see gui_list.h. The page cache holds at most CACHE_PAGES pages
 * of row texts; past that it starts again (GTK asks only for what is on
 * screen). A slow view is built by one worker at a time on a reader of its
 * own; requests made meanwhile collapse into the newest (pending), and a
 * result that is not the newest request's is dropped, so the rows shown are
 * always the last request's or the ones before it.
 *
 * The items GTK holds are slots: one GuiRow per position while GTK keeps a
 * reference (live), filled from the page cache. A new view refills the live
 * slots of the positions both views have, in place (GuiRow "changed": the
 * cells set their text again), and adds or removes only the positions past
 * the shorter one. Why not one items-changed over all rows: GTK 4.8's list
 * view keeps ~200 rows of widgets around its anchor; a removed row's widgets
 * are destroyed and an added row's made anew (1,230 cells for 6 columns:
 * 80-140 ms per search on the bench's machine), and when a row it tracks
 * (the scroll anchor, the focus, the selection) is among the removed ones
 * while rows are added, its list item manager and GtkSingleSelection ask for
 * every added row looking for the same object ("a more expensive rebuild"):
 * a record read per row of the new view, 0.4-1 s for a 60,000-hit search,
 * 8-11 s back to the million, on the main thread. A change of the tail only
 * never has both removed and added rows. */
#include "gui_list.h"

#include "gui_i18n.h"
#include "kt_buf.h"

#include <string.h>

#define PAGE 100
#define CACHE_PAGES 64
#define MAXCOLS 12
#define COMPLETE_MS 300

/* One row's texts as read (the page cache). */
typedef struct rowdata {
  char *id;
  char *text[MAXCOLS];
} rowdata;

static void rowdata_free(gpointer p) {
  rowdata *d = p;
  g_free(d->id);
  for (int i = 0; i < MAXCOLS; i++) g_free(d->text[i]);
  g_free(d);
}

struct _GuiRow {
  GObject parent;
  GuiList *list; /* while live in its list (not a reference), else NULL */
  guint pos;
  char *id;
  char *text[MAXCOLS];
};
G_DEFINE_FINAL_TYPE(GuiRow, gui_row, G_TYPE_OBJECT)

static guint row_changed_signal;
static void slot_forget(GuiList *l, GuiRow *r);

static void row_clear(GuiRow *r) {
  g_clear_pointer(&r->id, g_free);
  for (int i = 0; i < MAXCOLS; i++) g_clear_pointer(&r->text[i], g_free);
}

static void gui_row_finalize(GObject *o) {
  GuiRow *r = GUI_ROW(o);
  if (r->list) slot_forget(r->list, r);
  row_clear(r);
  G_OBJECT_CLASS(gui_row_parent_class)->finalize(o);
}
static void gui_row_class_init(GuiRowClass *k) {
  G_OBJECT_CLASS(k)->finalize = gui_row_finalize;
  row_changed_signal = g_signal_new("changed", G_TYPE_FROM_CLASS(k), G_SIGNAL_RUN_LAST, 0, NULL,
                                    NULL, NULL, G_TYPE_NONE, 0);
}
static void gui_row_init(GuiRow *r) { (void)r; }
const char *gui_row_id(GuiRow *row) { return row->id ? row->id : ""; }
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
  gboolean complete; /* the whole of the view shown (cl_view_complete), not a request */
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
  cl_reader *spare;    /* a worker's reader no view uses now, for the next build (its
                          collator, statements and pages warm: a new one made the walk
                          of a search sorted by name 2-3x slower) */
  guint complete_timer; /* the wait before building the whole of the view shown */
  spec_copy cur;       /* the spec shown */
  const kt_mfield *cols[MAXCOLS];
  int ncols;
  guint n;             /* rows as last told to GTK */
  GHashTable *pages;   /* page index -> GPtrArray of rowdata */
  GHashTable *live;    /* position -> the GuiRow GTK holds for it (not a reference) */
  guint64 gen;         /* bumped by every request: an older build's result is dropped */
  gboolean running;    /* a worker is building */
  gboolean completing; /* another is building the whole of the view shown (cl_view_known) */
  spec_copy *pending;  /* the newest request not started yet (one worker at a time) */
  GuiListDone done;
  gpointer done_ud;
  GuiListSwap swap;
  gpointer swap_ud;
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
  rows = g_ptr_array_new_with_free_func(rowdata_free);
  kt_rec *recs[PAGE];
  int got = 0;
  /* a view that holds only its first rows: none past them here (their page would
     build the rest on this thread); empty rows until the whole view is in */
  int64_t from = (int64_t)page * PAGE, known = l->view ? cl_view_known(l->view) : 0;
  int want = known - from >= PAGE ? PAGE : known > from ? (int)(known - from) : 0;
  if (want && cl_view_page(l->view, from, want, recs, &got, NULL) == 0) {
    /* a view built in a worker has records of its reader's model: the columns by name */
    int at[MAXCOLS];
    for (int c = 0; c < l->ncols && got > 0; c++) {
      kt_mfield *f = kt_mtype_field(recs[0]->type, l->cols[c]->name);
      at[c] = f ? (int)(f - recs[0]->type->fields) : -1;
    }
    for (int i = 0; i < got; i++) {
      rowdata *d = g_new0(rowdata, 1);
      d->id = g_strdup(kt_rec_id(recs[i]));
      for (int c = 0; c < l->ncols; c++)
        d->text[c] = at[c] >= 0 ? cell_text(l, l->cols[c], &recs[i]->v[at[c]]) : g_strdup("");
      g_ptr_array_add(rows, d);
      kt_rec_free(recs[i]);
    }
  }
  g_hash_table_insert(l->pages, GUINT_TO_POINTER(page), rows);
  return rows;
}

/* Fills a slot with the row at its position; a row removed since the view
 * was built: an empty row (id "") until the reload. */
static void slot_fill(GuiList *l, GuiRow *r) {
  row_clear(r);
  GPtrArray *rows = load_page(l, r->pos / PAGE);
  guint i = r->pos % PAGE;
  rowdata *d = i < rows->len ? g_ptr_array_index(rows, i) : NULL;
  r->id = g_strdup(d ? d->id : "");
  for (int c = 0; d && c < MAXCOLS; c++) r->text[c] = g_strdup(d->text[c]);
}

static void slot_forget(GuiList *l, GuiRow *r) {
  if (g_hash_table_lookup(l->live, GUINT_TO_POINTER(r->pos)) == r)
    g_hash_table_remove(l->live, GUINT_TO_POINTER(r->pos));
  r->list = NULL;
}

static gpointer get_item(GListModel *m, guint pos) {
  GuiList *l = GUI_LIST(m);
  if (pos >= l->n) return NULL;
  GuiRow *row = g_hash_table_lookup(l->live, GUINT_TO_POINTER(pos));
  if (row) return g_object_ref(row);
  row = g_object_new(GUI_TYPE_ROW, NULL);
  row->list = l;
  row->pos = pos;
  slot_fill(l, row);
  g_hash_table_insert(l->live, GUINT_TO_POINTER(pos), row);
  return row;
}

static void list_iface_init(GListModelInterface *iface) {
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void gui_list_finalize(GObject *o) {
  GuiList *l = GUI_LIST(o);
  GHashTableIter it;
  gpointer k, r;
  g_hash_table_iter_init(&it, l->live);
  while (g_hash_table_iter_next(&it, &k, &r)) GUI_ROW(r)->list = NULL; /* (GTK may hold some) */
  g_hash_table_destroy(l->live);
  if (l->complete_timer) g_source_remove(l->complete_timer);
  cl_view_free(l->view);
  cl_reader_close(l->vreader);
  cl_reader_close(l->spare);
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
  l->live = g_hash_table_new(NULL, NULL);
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

/* Whether two specs ask for the same rows (a reload of the one shown). */
static gboolean spec_same(const cl_view_spec *a, const cl_view_spec *b) {
  if (g_strcmp0(a->type, b->type) || g_strcmp0(a->search, b->search) || g_strcmp0(a->sort, b->sort) ||
      a->desc != b->desc || a->trash != b->trash || a->nwhere != b->nwhere)
    return FALSE;
  for (int i = 0; i < a->nwhere; i++)
    if (g_strcmp0(a->where[i].field, b->where[i].field) || a->where[i].op != b->where[i].op ||
        g_strcmp0(a->where[i].value, b->where[i].value))
      return FALSE;
  return TRUE;
}

/* Replaces the view (and the reader it belongs to, NULL: the list's) and
 * tells GTK how the rows changed: the live slots of positions both views
 * have refilled in place, the tail added or removed (see the top). same: a
 * reload of the spec shown (the window keeps its place; else it goes to the
 * first row). */
static void take_view(GuiList *l, cl_view *v, cl_reader *vr, gboolean same) {
  if (l->swap) l->swap(l->swap_ud, TRUE, same); /* (the selection dropped) */
  cl_view_free(l->view);
  if (l->vreader && !l->spare) l->spare = l->vreader;
  else cl_reader_close(l->vreader);
  l->view = v;
  l->vreader = vr;
  g_hash_table_remove_all(l->pages);
  guint old = l->n, n = (guint)cl_view_count(v), both = MIN(old, n);
  GPtrArray *refill = g_ptr_array_new_with_free_func(g_object_unref);
  GHashTableIter it;
  gpointer k, r;
  g_hash_table_iter_init(&it, l->live);
  while (g_hash_table_iter_next(&it, &k, &r))
    if (GUI_ROW(r)->pos < both) {
      g_ptr_array_add(refill, g_object_ref(r));
    } else { /* a position the new view lacks (or gets anew): a slot no more */
      GUI_ROW(r)->list = NULL;
      g_hash_table_iter_remove(&it);
    }
  for (guint i = 0; i < refill->len; i++) {
    GuiRow *row = g_ptr_array_index(refill, i);
    slot_fill(l, row);
    g_signal_emit(row, row_changed_signal, 0);
  }
  g_ptr_array_unref(refill);
  l->n = n;
  if (old > both) g_list_model_items_changed(G_LIST_MODEL(l), both, old - both, 0);
  if (n > both) g_list_model_items_changed(G_LIST_MODEL(l), both, 0, n - both);
  if (l->swap) l->swap(l->swap_ud, FALSE, same);
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
  gboolean same = l->cur.spec.type && spec_same(&l->cur.spec, &sc->spec);
  spec_copy_clear(&l->cur);
  l->cur = *sc;
  memset(sc, 0, sizeof *sc);
  set_cols(l);
  take_view(l, v, vr, same);
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

void gui_list_set_swap(GuiList *l, GuiListSwap swap, gpointer ud) {
  l->swap = swap;
  l->swap_ud = ud;
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
  bool changed;
  if (j->rd) j->rc = cl_reader_refresh(j->rd, &changed, &j->err); /* (the spare: the model now) */
  else j->rc = cl_reader_open(j->path, NULL, &j->rd, &j->err);
  if (!j->rc) j->rc = cl_view_open(j->rd, &j->sc.spec, &j->v, &j->err);
  if (!j->rc && j->complete) j->rc = cl_view_complete(j->v, &j->err);
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
static void start_complete(GuiList *l);
static void on_built(GObject *src, GAsyncResult *res, gpointer ud);

static void run_job(GuiList *l, build_job *j) {
  GTask *task = g_task_new(l, NULL, on_built, j);
  g_task_set_task_data(task, j, NULL);
  g_task_run_in_thread(task, build_thread);
  g_object_unref(task);
}

/* The worker's view is back (main thread): shown if it answers the newest
 * request, else dropped; then the next request, if one came meanwhile. A
 * view that holds only its first rows (a search sorted by name walked the
 * sort index) is shown as it is, and another worker builds the whole of it
 * (its own lane: the next request does not wait for it), swapped in as a
 * reload when it is still the one shown. */
static void on_built(GObject *src, GAsyncResult *res, gpointer ud) {
  (void)res;
  GuiList *l = GUI_LIST(src);
  build_job *j = ud;
  gboolean complete = j->complete;
  if (complete) l->completing = FALSE;
  else l->running = FALSE;
  if (j->gen == l->gen) {
    if (j->rc == 0) {
      install(l, &j->sc, j->v, j->rd);
      j->v = NULL, j->rd = NULL;
      if (l->done) l->done(l->done_ud, NULL);
    } else if (l->done && !complete)
      l->done(l->done_ud, &j->err);
  }
  if (j->rd && !l->spare) { /* a result dropped: its reader kept for the next build */
    cl_view_free(j->v);
    j->v = NULL;
    l->spare = j->rd;
    j->rd = NULL;
  }
  job_free(j);
  if (!complete) start_next(l);
  start_complete(l);
}

static gboolean complete_now(gpointer ud);

/* Builds the whole of the view shown when it holds only its first rows: after a
 * pause (COMPLETE_MS: while the user types, each search would be sorted whole
 * for nothing, next to the next search's walk on the same cores). */
static void start_complete(GuiList *l) {
  if (l->completing || l->running || l->pending || !l->view || !l->cur.spec.type ||
      cl_view_known(l->view) >= cl_view_count(l->view))
    return;
  if (l->complete_timer) g_source_remove(l->complete_timer);
  l->complete_timer = g_timeout_add(COMPLETE_MS, complete_now, l);
}

static gboolean complete_now(gpointer ud) {
  GuiList *l = ud;
  l->complete_timer = 0;
  if (l->completing || l->running || l->pending || !l->view || !l->cur.spec.type ||
      cl_view_known(l->view) >= cl_view_count(l->view))
    return G_SOURCE_REMOVE;
  build_job *j = g_new0(build_job, 1);
  j->gen = l->gen;
  j->complete = TRUE;
  j->path = g_strdup(cl_reader_path(l->reader));
  spec_copy_init(&j->sc, &l->cur.spec);
  j->rd = l->spare;
  l->spare = NULL;
  l->completing = TRUE;
  run_job(l, j);
  return G_SOURCE_REMOVE;
}

static void start_next(GuiList *l) {
  if (l->running || !l->pending) return;
  build_job *j = g_new0(build_job, 1);
  j->gen = l->gen;
  j->path = g_strdup(cl_reader_path(l->reader));
  j->sc = *l->pending;
  g_clear_pointer(&l->pending, g_free);
  j->rd = l->spare;
  l->spare = NULL;
  l->running = TRUE;
  run_job(l, j);
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
  take_view(l, v, NULL, TRUE);
  return TRUE;
}
