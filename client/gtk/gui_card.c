/* gui_card — see gui_card.h. The pane is rebuilt from the registry for the
 * card shown: its title, the quick actions its type has links for, the
 * fields, then a notebook of its related cards. Which tab a related card goes
 * to is chosen by its type's name from one table; the quick actions are one
 * table of record types and presets. No SQL and no business rules here: what
 * the user may do is the client library's rights, what is saved the core's. */
#include "gui_card.h"

#include <glib/gi18n.h>
#include <string.h>

#include "cl_store.h"
#include "cl_timeline.h"
#include "gui_form.h"
#include "gui_i18n.h"
#include "gui_util.h"
#include "kt_buf.h"

#define RELATED_MAX 200 /* a long history: the first 200 related cards */
#define OWNER_FIELD "owner"
#define ASSIGNEE_FIELD "assignee"

/* Log a call: a call is a record of this type with a result (the registry's names). */
#define CALL_TYPE "event"
#define CALL_RESULT_FIELD "result"
#define CALL_COMMENT_FIELD "comment"

/* ---- the tables ------------------------------------------------------------------------ */

/* The tabs of related cards: each takes the types named (the last, none named,
 * every other type and the cards this one refers to). */
typedef struct tab_def {
  const char *key;   /* stable: accessible names */
  const char *title; /* N_: shown as "Title (N)" */
  const char *empty; /* N_: the tab with none */
  const char *types[3];
} tab_def;

static const tab_def tabs[] = {
    {"contacts", N_("Contacts"), N_("No contacts yet"), {"contact"}},
    {"events", N_("Events & tasks"), N_("No events or tasks yet"), {"event", "task"}},
    {"deals", N_("Deals"), N_("No deals yet"), {"deal"}},
    {"notes", N_("Notes"), N_("No notes yet"), {"note"}},
    {"related", N_("Related"), N_("No related cards"), {NULL}},
};
#define NTABS ((int)G_N_ELEMENTS(tabs))

/* The quick actions that make a new record linked to the card shown: shown
 * when the record's type refers to the card's type. */
typedef struct quick_def {
  const char *name;    /* stable: the button's accessible name */
  const char *label;   /* N_: the button and the form's title */
  const char *tooltip; /* N_ */
  const char *type;    /* the record made */
  cl_client_set presets[2]; /* fixed values (registry codes) */
  bool assign_me;      /* the assignee preset to the user */
} quick_def;

static const quick_def quicks[] = {
    {"Plan a call", N_("Plan a call"), N_("Plan a call with a reminder"), "event",
     {{"type", "call"}, {"remind_before", "15m"}}, true},
    {"Plan a meeting", N_("Plan a meeting"), N_("Plan a meeting: who, when, and a reminder"),
     "event", {{"type", "meeting"}, {"remind_before", "1h"}}, true},
    {"Add a deal", N_("Add a deal"), N_("A new deal with this client"), "deal", {{0}}, false},
    {"Add a note", N_("Add a note"), N_("A note on this card"), "note", {{0}}, false},
};

struct _GuiCard {
  GtkBox parent;
  GuiApp *app;
  gui_card_say_fn say;
  void *ud;
  GtkWidget *banner;  /* the server's refusal, above the card */
  int undone;         /* the sync totals' undone changes seen so far */
  GtkBox *content;    /* the card or the form */
  char *id;           /* the card shown, or NULL */
  GtkWidget *form;    /* the open form (owned by content), or NULL */
  int tab;            /* the tab chosen: kept while the same card is shown again */
  int rejected;       /* the sync engine's refusals so far */
};

G_DEFINE_FINAL_TYPE(GuiCard, gui_card, GTK_TYPE_BOX)


static void clear(GuiCard *c) {
  GtkWidget *w;
  c->form = NULL;
  while ((w = gtk_widget_get_first_child(GTK_WIDGET(c->content)))) gtk_box_remove(c->content, w);
}

static cl_reader *reader(GuiCard *c) { return gui_app_reader(c->app); }

/* ---- links between types ------------------------------------------------------------------ */

/* Whether type t has a shown reference to cards of type `to`. */
static bool refers_to(const kt_mtype *t, const char *to) {
  for (int k = 0; t && k < t->nfields; k++)
    if (t->fields[k].type == KT_FT_REF && t->fields[k].ref && !t->fields[k].hidden &&
        strcmp(t->fields[k].ref, to) == 0)
      return true;
  return false;
}

/* The presets that link a new record of type t to card r: t's references to
 * r's type get r, and t's references to a type r refers to get r's value (a
 * contact's organization). Strings borrowed from r. Returns how many. */
static int link_presets(const kt_mtype *t, const kt_rec *r, cl_client_set *out, int max) {
  int n = 0;
  for (int k = 0; k < t->nfields && n < max; k++) {
    const kt_mfield *f = &t->fields[k];
    if (f->type != KT_FT_REF || !f->ref || f->hidden) continue;
    if (strcmp(f->ref, r->type->def->name) == 0) {
      out[n++] = (cl_client_set){f->name, kt_rec_id(r)};
      continue;
    }
    for (int j = 0; j < r->type->nfields; j++) {
      const kt_mfield *g = &r->type->fields[j];
      if (g->type == KT_FT_REF && g->ref && strcmp(g->ref, f->ref) == 0 &&
          r->v[j].kind == KT_V_TEXT && *r->v[j].s) {
        out[n++] = (cl_client_set){f->name, r->v[j].s};
        break;
      }
    }
  }
  return n;
}

static int add_user(void *ud, const char *name) {
  GPtrArray *a = ud;
  if (a->len == 0 || strcmp(g_ptr_array_index(a, 0), name) != 0) g_ptr_array_add(a, g_strdup(name));
  return 0;
}

/* The office's users (cl_store_users), the user first; NULL-terminated, the
 * caller's (g_strfreev). */
static char **office_users(GuiCard *c, int *n) {
  GPtrArray *a = g_ptr_array_new();
  const char *me = cl_client_user(gui_app_client(c->app));
  if (*me) g_ptr_array_add(a, g_strdup(me));
  cl_store_users(cl_reader_store(reader(c)), add_user, a, NULL);
  *n = (int)a->len;
  g_ptr_array_add(a, NULL);
  return (char **)g_ptr_array_free(a, FALSE);
}

/* May the user give cards of this type to a colleague? The rights the server
 * last told this PC (unknown: a standalone profile, no colleagues). */
static bool may_reassign(GuiCard *c, kt_mtype *t) {
  const kt_rights *rt = cl_store_rights(cl_reader_store(reader(c)));
  return rt && rt->reassign && (t->def->flags & KT_TF_CLIENT) && kt_mtype_field(t, OWNER_FIELD);
}

/* ---- forms -------------------------------------------------------------------------------- */

static void on_form_save(GuiCard *c);
static void on_form_cancel(GuiCard *c);

static void put_form(GuiCard *c, GtkWidget *form) {
  clear(c);
  c->form = form;
  gtk_box_append(c->content, form);
  gui_form_focus(form);
}

/* The form in the pane: card id (NULL: a new card of type with presets). */
static void open_form(GuiCard *c, const char *type, const char *id, const cl_client_set *presets,
                      int npresets, const char *title, const gui_form_opts *o) {
  kt_rec *r = NULL;
  kt_err err;
  kt_err_clear(&err);
  if (id && cl_reader_get(reader(c), id, &r, &err)) {
    c->say(c->ud, err.msg);
    return;
  }
  kt_mtype *t = r ? r->type : kt_model_type(cl_reader_model(reader(c)), type);
  if (t)
    put_form(c, gui_form_new_opts(reader(c), t, r, presets, npresets, title, o,
                                  G_CALLBACK(on_form_save), G_CALLBACK(on_form_cancel), c));
  kt_rec_free(r);
}

static void on_edit(GuiCard *c) {
  if (!c->id) return;
  kt_rec *r = NULL;
  bool may = cl_reader_get(reader(c), c->id, &r, NULL) || !r ||
             cl_store_may(cl_reader_store(reader(c)), r, KT_ACT_EDIT);
  kt_rec_free(r);
  if (!may) c->say(c->ud, _("Your role may not edit this card")); /* (Ctrl+E) */
  else open_form(c, NULL, c->id, NULL, 0, NULL, NULL);
}

/* A quick action: a new record of its type linked to the card shown. */
static void on_quick(GtkButton *b, GuiCard *c) {
  const quick_def *q = g_object_get_data(G_OBJECT(b), "quick");
  kt_rec *r = NULL;
  if (!c->id || !q || cl_reader_get(reader(c), c->id, &r, NULL)) return;
  kt_mtype *t = kt_model_type(cl_reader_model(reader(c)), q->type);
  cl_client_set pre[8];
  int n = t ? link_presets(t, r, pre, 4) : 0;
  for (int i = 0; i < (int)G_N_ELEMENTS(q->presets) && q->presets[i].field; i++)
    pre[n++] = q->presets[i];
  const char *me = cl_client_user(gui_app_client(c->app));
  if (q->assign_me && *me && t && kt_mtype_field(t, ASSIGNEE_FIELD))
    pre[n++] = (cl_client_set){ASSIGNEE_FIELD, me};
  int nusers = 0;
  char **users = office_users(c, &nusers);
  gui_form_opts o = {.users = (const char *const *)users, .nusers = nusers > 1 ? nusers : 0};
  if (t) open_form(c, q->type, NULL, pre, n, _(q->label), &o);
  g_strfreev(users);
  kt_rec_free(r);
}

/* Reassign: the card's owner, a drop-down of the office's users (CL_CMD_EDIT owner=USER). */
static void on_reassign(GuiCard *c) {
  if (!c->id) return;
  int nusers = 0;
  char **users = office_users(c, &nusers);
  const char *only[] = {OWNER_FIELD, NULL};
  gui_form_opts o = {.name = "Reassign form", .only = only,
                     .users = (const char *const *)users, .nusers = nusers};
  open_form(c, NULL, c->id, NULL, 0, _("Reassign to a colleague"), &o);
  g_strfreev(users);
}

/* "Log a call": the call shown is done, with its result, a comment and
 * perhaps a call back (CL_CMD_DONE, as `kartoteka done`). */
static void on_log_call(GuiCard *c) {
  kt_rec *r = NULL;
  if (!c->id || cl_reader_get(reader(c), c->id, &r, NULL)) return;
  put_form(c, gui_form_new_done(reader(c), r, CALL_RESULT_FIELD, CALL_COMMENT_FIELD,
                                G_CALLBACK(on_form_save), G_CALLBACK(on_form_cancel), c));
  kt_rec_free(r);
}

static void on_form_cancel(GuiCard *c) { gui_card_leave(c); }

static void on_form_save(GuiCard *c) {
  if (!c->form || gui_form_pending(c->form)) return; /* one save at a time */
  kt_err err;
  kt_err_clear(&err);
  if (gui_form_submit(c->form, gui_app_client(c->app), NULL, &err) == 2)
    gui_card_leave(c); /* nothing changed */
}

/* ---- the related cards ------------------------------------------------------------------- */

typedef struct rel_item {
  int tab;
  int64_t when;
  char *id, *title, *sub;
} rel_item;

static void rel_item_free(gpointer p) {
  rel_item *it = p;
  g_free(it->id);
  g_free(it->title);
  g_free(it->sub);
  g_free(it);
}

typedef struct rel_ctx {
  GuiCard *c;
  GPtrArray *items;
  const char *self;  /* the card shown: not its own relative */
  const char *only;  /* colleagues: only records of this type */
  int force_tab;     /* >= 0: every record to this tab */
  int n;
} rel_ctx;

static int tab_of(const char *type) {
  for (int i = 0; i < NTABS - 1; i++)
    for (int j = 0; j < (int)G_N_ELEMENTS(tabs[i].types) && tabs[i].types[j]; j++)
      if (strcmp(tabs[i].types[j], type) == 0) return i;
  return NTABS - 1;
}

static bool listed(GPtrArray *items, const char *id) {
  for (guint i = 0; i < items->len; i++)
    if (strcmp(((rel_item *)g_ptr_array_index(items, i))->id, id) == 0) return true;
  return false;
}

static int add_rel(void *ud, const kt_rec *r) {
  rel_ctx *x = ud;
  const char *id = kt_rec_id(r);
  if (strcmp(id, x->self) == 0 || (x->only && strcmp(r->type->def->name, x->only) != 0) ||
      listed(x->items, id))
    return 0;
  rel_item *it = g_new0(rel_item, 1);
  it->tab = x->force_tab >= 0 ? x->force_tab : tab_of(r->type->def->name);
  const kt_mfield *wf = NULL;
  it->when = cl_timeline_when(r, &wf);
  it->id = g_strdup(id);
  kt_buf b = KT_BUF_INIT;
  kt_rec_title(r, &b);
  it->title = g_strdup(kt_buf_str(&b));
  kt_buf_reset(&b);
  kt_buf_puts(&b, gui_type_label(r->type));
  if (wf) {
    kt_buf_puts(&b, " · ");
    gui_value_text(r->type, wf, &r->v[wf - r->type->fields], &b);
  }
  it->sub = g_strdup(kt_buf_str(&b));
  kt_buf_free(&b);
  g_ptr_array_add(x->items, it);
  return ++x->n >= RELATED_MAX;
}

static gint newest_first(gconstpointer a, gconstpointer b) {
  const rel_item *x = *(rel_item *const *)a, *y = *(rel_item *const *)b;
  if (x->tab != y->tab) return x->tab - y->tab;
  return x->when < y->when ? 1 : x->when > y->when ? -1 : 0;
}

/* Everything related to r: what refers to it; the cards it refers to; for a
 * client card that belongs to another one (a contact of an organization),
 * the colleagues there. */
static GPtrArray *related(GuiCard *c, const kt_rec *r) {
  rel_ctx x = {c, g_ptr_array_new_with_free_func(rel_item_free), kt_rec_id(r), NULL, -1, 0};
  cl_reader_related(reader(c), r, add_rel, &x, NULL);
  for (int k = 0; k < r->type->nfields && x.n < RELATED_MAX; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (f->type != KT_FT_REF || f->hidden || r->v[k].kind != KT_V_TEXT) continue;
    kt_rec *ref = NULL;
    if (cl_reader_get(reader(c), r->v[k].s, &ref, NULL)) continue;
    x.force_tab = NTABS - 1;
    x.only = NULL;
    add_rel(&x, ref);
    if ((r->type->def->flags & KT_TF_CLIENT) && (ref->type->def->flags & KT_TF_CLIENT)) {
      x.only = r->type->def->name; /* the people of the same organization */
      cl_reader_related(reader(c), ref, add_rel, &x, NULL);
    }
    kt_rec_free(ref);
  }
  g_ptr_array_sort(x.items, newest_first);
  return x.items;
}

typedef struct open_later {
  GuiCard *c;
  char *id;
} open_later;

static gboolean open_idle(gpointer p) {
  open_later *o = p;
  gui_card_show(o->c, o->id);
  g_object_unref(o->c);
  g_free(o->id);
  g_free(o);
  return G_SOURCE_REMOVE;
}

/* A row activated: its card, once the list's own handling is over (the
 * pane and the list with it are rebuilt). */
static void on_row(GtkListBox *box, GtkListBoxRow *row, GuiCard *c) {
  (void)box;
  open_later *o = g_new0(open_later, 1);
  o->c = g_object_ref(c);
  o->id = g_strdup(g_object_get_data(G_OBJECT(row), "id"));
  g_idle_add(open_idle, o);
}

static GtkWidget *rel_row(const tab_def *td, const rel_item *it) {
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_margin_start(box, 8);
  gtk_widget_set_margin_end(box, 8);
  gtk_widget_set_margin_top(box, 4);
  gtk_widget_set_margin_bottom(box, 4);
  GtkWidget *t = gtk_label_new(it->title);
  gtk_label_set_xalign(GTK_LABEL(t), 0);
  gtk_label_set_ellipsize(GTK_LABEL(t), PANGO_ELLIPSIZE_END);
  GtkWidget *s = gtk_label_new(it->sub);
  gtk_label_set_xalign(GTK_LABEL(s), 0);
  gtk_label_set_ellipsize(GTK_LABEL(s), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class(s, "dim-label");
  gtk_widget_add_css_class(s, "caption");
  gtk_box_append(GTK_BOX(box), t);
  gtk_box_append(GTK_BOX(box), s);
  GtkWidget *row = gtk_list_box_row_new();
  gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
  g_object_set_data_full(G_OBJECT(row), "id", g_strdup(it->id), g_free);
  char *an = g_strdup_printf("Row %s %s", td->key, it->title);
  gui_set_name(row, an);
  g_free(an);
  char *tip = g_strdup_printf(_("Open %s"), it->title);
  gtk_widget_set_tooltip_text(row, tip);
  g_free(tip);
  return row;
}

static void on_tab(GtkNotebook *nb, GtkWidget *page, guint n, GuiCard *c) {
  (void)nb;
  (void)page;
  c->tab = (int)n;
}

static GtkWidget *related_tabs(GuiCard *c, const kt_rec *r) {
  GPtrArray *items = related(c, r);
  GtkWidget *nb = gtk_notebook_new();
  gtk_notebook_set_tab_pos(GTK_NOTEBOOK(nb), GTK_POS_LEFT); /* five tabs fit a narrow pane */
  gui_set_name(nb, "Related tabs");
  for (int i = 0; i < NTABS; i++) {
    const tab_def *td = &tabs[i];
    GtkWidget *list = gtk_list_box_new();
    gtk_list_box_set_selection_mode(GTK_LIST_BOX(list), GTK_SELECTION_NONE);
    gtk_list_box_set_activate_on_single_click(GTK_LIST_BOX(list), TRUE);
    gtk_widget_add_css_class(list, "boxed-list");
    char *an = g_strdup_printf("List %s", td->key);
    gui_set_name(list, an);
    g_free(an);
    g_signal_connect(list, "row-activated", G_CALLBACK(on_row), c);
    int n = 0;
    for (guint k = 0; k < items->len; k++) {
      rel_item *it = g_ptr_array_index(items, k);
      if (it->tab != i) continue;
      gtk_list_box_append(GTK_LIST_BOX(list), rel_row(td, it));
      n++;
    }
    GtkWidget *page = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    gtk_widget_set_margin_top(page, 8);
    if (n)
      gtk_box_append(GTK_BOX(page), list);
    else {
      g_object_ref_sink(list);
      g_object_unref(list);
      GtkWidget *e = gtk_label_new(_(td->empty));
      gtk_widget_add_css_class(e, "dim-label");
      gtk_label_set_xalign(GTK_LABEL(e), 0);
      char *ed = g_strdup_printf("Empty %s", td->key);
      gui_set_desc(e, ed);
      g_free(ed);
      gtk_box_append(GTK_BOX(page), e);
    }
    char *title = g_strdup_printf("%s (%d)", _(td->title), n);
    GtkWidget *tl = gtk_label_new(title);
    g_free(title);
    char *td_desc = g_strdup_printf("Tab %s", td->key);
    gui_set_desc(tl, td_desc);
    g_free(td_desc);
    gtk_notebook_append_page(GTK_NOTEBOOK(nb), page, tl);
  }
  g_ptr_array_unref(items);
  gtk_notebook_set_current_page(GTK_NOTEBOOK(nb), c->tab < NTABS ? c->tab : 0);
  g_signal_connect(nb, "switch-page", G_CALLBACK(on_tab), c);
  return nb;
}

/* ---- the card ------------------------------------------------------------------------------ */

static GtkWidget *value_widget(const kt_mfield *f, const char *text) {
  if (f->type == KT_FT_PHONE || f->type == KT_FT_EMAIL || f->type == KT_FT_URL) {
    char *uri = f->type == KT_FT_PHONE ? g_strdup_printf("tel:%s", text)
                : f->type == KT_FT_EMAIL ? g_strdup_printf("mailto:%s", text)
                                         : g_strdup(text);
    GtkWidget *b = gtk_link_button_new_with_label(uri, text);
    gtk_widget_set_halign(b, GTK_ALIGN_START);
    /* a long address is cut with "…" inside the pane (the whole one: the tooltip) */
    GtkWidget *l = gtk_button_get_child(GTK_BUTTON(b));
    if (GTK_IS_LABEL(l)) {
      gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_MIDDLE);
      gtk_label_set_max_width_chars(GTK_LABEL(l), 40);
    }
    gtk_widget_set_tooltip_text(b, text);
    g_free(uri);
    return b;
  }
  GtkWidget *l = gtk_label_new(text);
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_wrap(GTK_LABEL(l), TRUE);
  gtk_label_set_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR); /* a long word breaks too */
  gtk_label_set_selectable(GTK_LABEL(l), TRUE);
  return l;
}

static GtkWidget *action_button(const char *label, const char *tooltip, const char *name) {
  GtkWidget *b = gtk_button_new_with_label(label);
  gtk_widget_set_tooltip_text(b, tooltip);
  gui_set_name(b, name);
  return b;
}

/* The buttons of the card's header: the ones its type has links for. */
static GtkWidget *actions(GuiCard *c, const kt_rec *r) {
  GtkWidget *box = gtk_flow_box_new();
  gtk_flow_box_set_selection_mode(GTK_FLOW_BOX(box), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line(GTK_FLOW_BOX(box), 8);
  gtk_flow_box_set_column_spacing(GTK_FLOW_BOX(box), 6);
  gtk_flow_box_set_row_spacing(GTK_FLOW_BOX(box), 6);
  gtk_flow_box_set_homogeneous(GTK_FLOW_BOX(box), FALSE);
  gui_set_name(box, "Card actions");
  GtkWidget *edit = action_button(_("Edit"), _("Edit this card (Ctrl+E)"), "Edit card");
  g_signal_connect_swapped(edit, "clicked", G_CALLBACK(on_edit), c);
  if (!cl_store_may(cl_reader_store(reader(c)), r, KT_ACT_EDIT)) { /* (rights may change live) */
    gtk_widget_set_sensitive(edit, FALSE);
    gtk_widget_set_tooltip_text(edit, _("Your role may not edit this card"));
  }
  gtk_flow_box_append(GTK_FLOW_BOX(box), edit);
  kt_model *m = cl_reader_model(reader(c));
  for (int i = 0; i < (int)G_N_ELEMENTS(quicks); i++) {
    const quick_def *q = &quicks[i];
    if (!refers_to(kt_model_type(m, q->type), r->type->def->name)) continue;
    GtkWidget *b = action_button(_(q->label), _(q->tooltip), q->name);
    g_object_set_data(G_OBJECT(b), "quick", (gpointer)q);
    g_signal_connect(b, "clicked", G_CALLBACK(on_quick), c);
    gtk_flow_box_append(GTK_FLOW_BOX(box), b);
  }
  if (strcmp(r->type->def->name, CALL_TYPE) == 0 && kt_mtype_field(r->type, CALL_RESULT_FIELD)) {
    GtkWidget *b = action_button(_("Log a call"), _("Mark it done with its result, and plan a call back"),
                                 "Log a call");
    g_signal_connect_swapped(b, "clicked", G_CALLBACK(on_log_call), c);
    gtk_flow_box_append(GTK_FLOW_BOX(box), b);
  }
  if (may_reassign(c, r->type)) {
    GtkWidget *b = action_button(_("Reassign"), _("Give this client to a colleague"), "Reassign");
    g_signal_connect_swapped(b, "clicked", G_CALLBACK(on_reassign), c);
    gtk_flow_box_append(GTK_FLOW_BOX(box), b);
  }
  return box;
}

static GtkWidget *fields(GuiCard *c, const kt_rec *r) {
  GtkWidget *grid = gtk_grid_new();
  gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
  gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
  gui_set_name(grid, "Card fields");
  int row = 0;
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if ((f->flags & KT_FF_SYSTEM) || f->hidden || r->v[k].kind == KT_V_NULL) continue;
    kt_buf b = KT_BUF_INIT;
    if (f->type == KT_FT_REF && r->v[k].kind == KT_V_TEXT) {
      kt_rec *ref = NULL;
      if (cl_reader_get(reader(c), r->v[k].s, &ref, NULL) == 0) kt_rec_title(ref, &b);
      else kt_buf_puts(&b, r->v[k].s);
      kt_rec_free(ref);
    } else
      gui_value_text(r->type, f, &r->v[k], &b);
    GtkWidget *l = gtk_label_new(gui_field_label(r->type, f));
    gtk_label_set_xalign(GTK_LABEL(l), 1);
    gtk_widget_add_css_class(l, "dim-label");
    GtkWidget *v = value_widget(f, kt_buf_str(&b));
    char *an = g_strdup_printf("%s: %s", f->name, kt_buf_str(&b));
    gui_set_name(v, an);
    g_free(an);
    gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), v, 1, row, 1, 1);
    row++;
    kt_buf_free(&b);
  }
  return grid;
}

void gui_card_show(GuiCard *c, const char *id) {
  bool same = id && c->id && strcmp(id, c->id) == 0;
  clear(c);
  if (!same) {
    c->tab = 0;
    gtk_widget_set_visible(c->banner, FALSE); /* a refusal shown stays with its card */
  }
  char *nid = id && *id ? g_strdup(id) : NULL;
  g_free(c->id);
  c->id = nid;
  if (!c->id) return;
  kt_rec *r = NULL;
  kt_err err;
  kt_err_clear(&err);
  if (cl_reader_get(reader(c), c->id, &r, &err)) {
    gtk_box_append(c->content, gtk_label_new(err.msg));
    return;
  }
  kt_buf title = KT_BUF_INIT;
  kt_rec_title(r, &title);
  GtkWidget *h = gtk_label_new(kt_buf_str(&title));
  kt_buf_free(&title);
  gtk_widget_add_css_class(h, "title-1");
  gtk_label_set_xalign(GTK_LABEL(h), 0);
  gtk_label_set_wrap(GTK_LABEL(h), TRUE);
  gui_set_desc(h, "Card title");
  gtk_box_append(c->content, h);
  gtk_box_append(c->content, actions(c, r));
  gtk_box_append(c->content, fields(c, r));
  gtk_box_append(c->content, related_tabs(c, r));
  kt_rec_free(r);
}

const char *gui_card_id(GuiCard *c) { return c->id; }
gboolean gui_card_has_form(GuiCard *c) { return c->form != NULL; }

void gui_card_new_card(GuiCard *c, const char *type) { open_form(c, type, NULL, NULL, 0, NULL, NULL); }
void gui_card_edit(GuiCard *c) { on_edit(c); }
void gui_card_save(GuiCard *c) { on_form_save(c); }

gboolean gui_card_leave(GuiCard *c) {
  if (!c->form) return FALSE;
  char *id = g_strdup(c->id);
  gui_card_show(c, id);
  g_free(id);
  return TRUE;
}

void gui_card_reload(GuiCard *c) {
  if (!c->id || c->form) return; /* an open form is not thrown away under the user's hands */
  char *id = g_strdup(c->id);
  gui_card_show(c, id);
  g_free(id);
}

gboolean gui_card_result(GuiCard *c, const cl_client_event *ev) {
  if (!c->form || !gui_form_pending(c->form) || ev->result.req != gui_form_pending(c->form))
    return FALSE;
  if (ev->result.code) {
    gui_form_refused(c->form, ev->result.msg);
    return TRUE;
  }
  char *id = g_strdup(ev->result.cmd == CL_CMD_ADD ? ev->result.id : c->id);
  gui_card_show(c, id);
  g_free(id);
  c->say(c->ud, _("Saved"));
  return TRUE;
}

gboolean gui_card_sync(GuiCard *c, const cl_client_event *ev) {
  const cl_client_sync_totals *t = &ev->sync.totals;
  gboolean more = t->rejected > c->rejected || t->undone > c->undone;
  c->undone = t->undone;
  if (t->rejected > c->rejected && t->last_reject[0]) {
    char *m = g_strdup_printf(_("The server refused a change: %s"), t->last_reject);
    gtk_label_set_text(GTK_LABEL(c->banner), m);
    gtk_widget_set_visible(c->banner, TRUE);
    c->say(c->ud, m);
    g_free(m);
  }
  c->rejected = t->rejected;
  return more;
}

static void gui_card_finalize(GObject *o) {
  g_free(GUI_CARD(o)->id);
  G_OBJECT_CLASS(gui_card_parent_class)->finalize(o);
}
static void gui_card_class_init(GuiCardClass *k) { G_OBJECT_CLASS(k)->finalize = gui_card_finalize; }
static void gui_card_init(GuiCard *c) { (void)c; }

GtkWidget *gui_card_new(GuiApp *app, gui_card_say_fn say, void *ud) {
  GuiCard *c = g_object_new(GUI_TYPE_CARD, "orientation", GTK_ORIENTATION_VERTICAL, "spacing", 12,
                            NULL);
  c->app = app;
  c->say = say;
  c->ud = ud;
  gui_set_name(GTK_WIDGET(c), "Card");
  c->banner = gtk_label_new("");
  gtk_label_set_xalign(GTK_LABEL(c->banner), 0);
  gtk_label_set_wrap(GTK_LABEL(c->banner), TRUE);
  gtk_widget_add_css_class(c->banner, "error");
  gui_set_desc(c->banner, "Refused");
  gtk_widget_set_visible(c->banner, FALSE);
  gtk_box_append(GTK_BOX(c), c->banner);
  c->content = GTK_BOX(gtk_box_new(GTK_ORIENTATION_VERTICAL, 12));
  gtk_box_append(GTK_BOX(c), GTK_WIDGET(c->content));
  return GTK_WIDGET(c);
}
