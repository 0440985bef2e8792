/* gui_form — see gui_form.h. One row per field the office shows: its label,
 * its editor and a hidden reason label. What the form started with is kept
 * per field, so an edit sends only what the user changed. */
#include "gui_form.h"

#include <glib/gi18n.h>
#include <string.h>

#include "gui_i18n.h"
#include "gui_util.h"
#include "kt_buf.h"
#include "kt_choice.h"
#include "kt_time.h"

typedef struct form_field {
  const kt_mfield *f;
  GtkWidget *editor; /* GtkEntry or GtkDropDown */
  GtkWidget *reason; /* the label under it */
  char *initial;     /* the text (entry) or code (drop-down) it started with */
  char *ref_id;      /* a reference: the card chosen (a preset, a pick from the list) */
  char *ref_title;   /* ... and its title: while the entry shows it, ref_id is sent */
  GtkWidget *popover; /* a reference: the cards matching what is typed */
  GtkWidget *matches; /* ... its list */
  struct gui_form *fm;
  GPtrArray *codes;  /* drop-down: the code of every item ("" first: none) */
} form_field;

typedef struct gui_form {
  cl_reader *rd; /* borrowed: the app's, it outlives the form */
  kt_mtype *t;
  bool filling;  /* the form itself sets an entry: no search */
  char *id; /* NULL: a new card */
  int n;
  form_field *fields;
  GtkWidget *message;
  uint64_t req;
  bool done;           /* "log a call": CL_CMD_DONE with the result, a comment, a call back */
  GtkWidget *callback; /* done: the call back's entry */
  GtkWidget *callback_reason;
} gui_form;

static void form_free(gpointer p) {
  gui_form *fm = p;
  for (int i = 0; i < fm->n; i++) {
    g_free(fm->fields[i].initial);
    g_free(fm->fields[i].ref_id);
    g_free(fm->fields[i].ref_title);
    if (fm->fields[i].codes) g_ptr_array_unref(fm->fields[i].codes);
  }
  g_free(fm->fields);
  g_free(fm->id);
  g_free(fm);
}

static gui_form *form_of(GtkWidget *w) { return g_object_get_data(G_OBJECT(w), "gui-form"); }


/* ---- drop-downs ------------------------------------------------------------------------ */

typedef struct choice_ctx {
  const kt_mtype *t;
  const kt_mfield *f;
  GtkStringList *labels;
  GPtrArray *codes;
} choice_ctx;

static int add_choice(void *ud, const kt_choice_item *it) {
  choice_ctx *c = ud;
  char *label = g_strndup(it->label, it->label_len);
  /* a built-in list's labels are translated; an office's own shown as written */
  bool builtin = !c->f->choices && !c->f->custom;
  gtk_string_list_append(c->labels, builtin ? g_dpgettext2(NULL, c->t->def->name, label) : label);
  g_ptr_array_add(c->codes, g_strndup(it->code, it->code_len));
  g_free(label);
  return 0;
}

static GtkWidget *drop_down(const kt_mtype *t, form_field *ff, const char *code) {
  GtkStringList *labels = gtk_string_list_new(NULL);
  ff->codes = g_ptr_array_new_with_free_func(g_free);
  gtk_string_list_append(labels, "—");
  g_ptr_array_add(ff->codes, g_strdup(""));
  if (ff->f->type == KT_FT_BOOL) {
    gtk_string_list_append(labels, _("yes"));
    g_ptr_array_add(ff->codes, g_strdup("yes"));
    gtk_string_list_append(labels, _("no"));
    g_ptr_array_add(ff->codes, g_strdup("no"));
  } else {
    choice_ctx c = {t, ff->f, labels, ff->codes};
    kt_choice_each(kt_mfield_choices(ff->f), add_choice, &c);
  }
  GtkWidget *dd = gtk_drop_down_new(G_LIST_MODEL(labels), NULL);
  guint sel = 0;
  for (guint i = 0; i < ff->codes->len; i++)
    if (strcmp(g_ptr_array_index(ff->codes, i), code) == 0) sel = i;
  if (sel == 0 && *code) { /* a code no longer on the list: kept, shown as it is */
    gtk_string_list_append(labels, code);
    g_ptr_array_add(ff->codes, g_strdup(code));
    sel = ff->codes->len - 1;
  }
  gtk_drop_down_set_selected(GTK_DROP_DOWN(dd), sel);
  return dd;
}

/* A user field as a drop-down of the office's users (codes and labels are the
 * names); "—" first only when the field starts empty, a name not on the list
 * kept and shown as it is. */
static GtkWidget *user_drop_down(form_field *ff, const char *name, const char *const *users,
                                 int nusers) {
  GtkStringList *labels = gtk_string_list_new(NULL);
  ff->codes = g_ptr_array_new_with_free_func(g_free);
  if (!*name) {
    gtk_string_list_append(labels, "—");
    g_ptr_array_add(ff->codes, g_strdup(""));
  }
  guint sel = G_MAXUINT;
  for (int i = 0; i < nusers; i++) {
    if (strcmp(users[i], name) == 0) sel = ff->codes->len;
    gtk_string_list_append(labels, users[i]);
    g_ptr_array_add(ff->codes, g_strdup(users[i]));
  }
  if (sel == G_MAXUINT && *name) {
    sel = ff->codes->len;
    gtk_string_list_append(labels, name);
    g_ptr_array_add(ff->codes, g_strdup(name));
  }
  GtkWidget *dd = gtk_drop_down_new(G_LIST_MODEL(labels), NULL);
  gtk_drop_down_set_selected(GTK_DROP_DOWN(dd), sel == G_MAXUINT ? 0 : sel);
  return dd;
}

/* ---- building ------------------------------------------------------------------------- */

static const char *hint(const kt_mfield *f) {
  switch (f->type) {
  case KT_FT_DATE: return _("YYYY-MM-DD");
  case KT_FT_DATETIME: return _("YYYY-MM-DD HH:MM");
  case KT_FT_DURATION: return _("e.g. 15m, 1h, 2d");
  case KT_FT_REF: return _("a card's name or id");
  case KT_FT_PHONE: return _("+7 495 123-45-67");
  case KT_FT_EMAIL: return _("name@example.com");
  case KT_FT_TAGS: return _("tags, comma-separated: VIP, wholesale");
  default: return NULL;
  }
}

/* The text the field's editor starts with (an entry's text, a drop-down's code). */
static char *initial_text(cl_reader *rd, const kt_mtype *t, const kt_mfield *f,
                          const kt_value *v) {
  if (!v || v->kind == KT_V_NULL) return g_strdup("");
  kt_buf b = KT_BUF_INIT;
  if (f->type == KT_FT_REF && v->kind == KT_V_TEXT) {
    kt_rec *ref = NULL;
    if (cl_reader_get(rd, v->s, &ref, NULL) == 0) kt_rec_title(ref, &b);
    else kt_buf_puts(&b, v->s);
    kt_rec_free(ref);
  } else if (f->type == KT_FT_BOOL)
    kt_buf_puts(&b, v->i ? "yes" : "no");
  else if (f->type == KT_FT_CHOICE)
    kt_mfield_format(f, v, true, &b); /* the code */
  else
    kt_mfield_format(f, v, false, &b);
  (void)t;
  char *s = g_strdup(kt_buf_str(&b));
  kt_buf_free(&b);
  return s;
}

static bool editable(const kt_mfield *f) {
  return !(f->flags & KT_FF_SYSTEM) && !f->hidden && f->type != KT_FT_UUID;
}

/* ---- references: the cards matching what is typed ----------------------------------------- */

static void set_ref(form_field *ff, const char *id, const char *title) {
  g_free(ff->ref_id);
  g_free(ff->ref_title);
  ff->ref_id = g_strdup(id);
  ff->ref_title = g_strdup(title);
}

static void on_match(GtkListBox *box, GtkListBoxRow *row, form_field *ff) {
  (void)box;
  const char *id = g_object_get_data(G_OBJECT(row), "id");
  const char *title = g_object_get_data(G_OBJECT(row), "title");
  set_ref(ff, id, title);
  ff->fm->filling = true;
  gtk_editable_set_text(GTK_EDITABLE(ff->editor), title);
  gtk_editable_set_position(GTK_EDITABLE(ff->editor), -1);
  ff->fm->filling = false;
  gtk_popover_popdown(GTK_POPOVER(ff->popover));
  gtk_widget_grab_focus(ff->editor);
}

typedef struct match_ctx {
  GtkListBox *list;
  int n;
} match_ctx;

static int add_match(void *ud, const kt_rec *r) {
  match_ctx *c = ud;
  kt_buf b = KT_BUF_INIT;
  kt_rec_title(r, &b);
  GtkWidget *l = gtk_label_new(kt_buf_str(&b));
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
  GtkWidget *row = gtk_list_box_row_new();
  gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), l);
  g_object_set_data_full(G_OBJECT(row), "id", g_strdup(kt_rec_id(r)), g_free);
  g_object_set_data_full(G_OBJECT(row), "title", g_strdup(kt_buf_str(&b)), g_free);
  char *an = g_strdup_printf("Choose %s", kt_buf_str(&b));
  gui_set_name(row, an);
  g_free(an);
  gtk_list_box_append(c->list, row);
  kt_buf_free(&b);
  return ++c->n >= 8;
}

static void on_ref_changed(GtkEditable *e, form_field *ff) {
  if (ff->fm->filling) return;
  const char *text = gtk_editable_get_text(e);
  GtkWidget *c;
  while ((c = gtk_widget_get_first_child(ff->matches)))
    gtk_list_box_remove(GTK_LIST_BOX(ff->matches), c);
  match_ctx mc = {GTK_LIST_BOX(ff->matches), 0};
  if (*text && (!ff->ref_title || strcmp(text, ff->ref_title) != 0))
    cl_reader_search(ff->fm->rd, text, ff->f->ref, 8, false, add_match, &mc, NULL);
  if (mc.n) gtk_popover_popup(GTK_POPOVER(ff->popover));
  else gtk_popover_popdown(GTK_POPOVER(ff->popover));
}

/* Enter while cards are listed takes the first one (and does not save yet). */
static void on_ref_activate(GtkEntry *e, form_field *ff) {
  GtkWidget *first = gtk_widget_get_first_child(ff->matches);
  if (!gtk_widget_get_visible(ff->popover) || !first) return;
  on_match(GTK_LIST_BOX(ff->matches), GTK_LIST_BOX_ROW(first), ff);
  g_signal_stop_emission_by_name(e, "activate");
}

/* Down while cards are listed goes into the list. */
static gboolean on_ref_key(GtkEventControllerKey *k, guint keyval, guint code,
                           GdkModifierType state, form_field *ff) {
  (void)k;
  (void)code;
  (void)state;
  GtkWidget *first = gtk_widget_get_first_child(ff->matches);
  if (keyval != GDK_KEY_Down || !first || !gtk_widget_get_visible(ff->popover)) return FALSE;
  gtk_widget_grab_focus(first);
  return TRUE;
}

static void on_ref_destroy(GtkWidget *entry, form_field *ff) {
  (void)entry;
  if (ff->popover) gtk_widget_unparent(ff->popover);
  ff->popover = NULL;
}

static void ref_search(form_field *ff) {
  ff->matches = gtk_list_box_new();
  gtk_list_box_set_activate_on_single_click(GTK_LIST_BOX(ff->matches), TRUE);
  char *an = g_strdup_printf("Cards matching %s", ff->f->name);
  gui_set_name(ff->matches, an);
  g_free(an);
  ff->popover = gtk_popover_new();
  gtk_popover_set_child(GTK_POPOVER(ff->popover), ff->matches);
  gtk_popover_set_autohide(GTK_POPOVER(ff->popover), FALSE); /* typing goes on in the entry */
  gtk_popover_set_has_arrow(GTK_POPOVER(ff->popover), FALSE);
  gtk_popover_set_position(GTK_POPOVER(ff->popover), GTK_POS_BOTTOM);
  gtk_widget_set_parent(ff->popover, ff->editor);
  g_signal_connect(ff->matches, "row-activated", G_CALLBACK(on_match), ff);
  g_signal_connect(ff->editor, "changed", G_CALLBACK(on_ref_changed), ff);
  g_signal_connect(ff->editor, "activate", G_CALLBACK(on_ref_activate), ff);
  GtkEventController *keys = gtk_event_controller_key_new();
  g_signal_connect(keys, "key-pressed", G_CALLBACK(on_ref_key), ff);
  gtk_widget_add_controller(ff->editor, keys);
  g_signal_connect(ff->editor, "destroy", G_CALLBACK(on_ref_destroy), ff);
}

static void on_activate_entry(GtkEntry *e, GtkWidget *save) {
  (void)e;
  gtk_widget_activate(save);
}

/* The preset of field f (borrowed), or NULL. */
static const char *preset(const kt_mfield *f, const cl_client_set *presets, int n) {
  for (int i = 0; i < n; i++)
    if (strcmp(presets[i].field, f->name) == 0) return presets[i].value;
  return NULL;
}

static bool listed(const char *name, const char *const *only) {
  if (!only) return true;
  for (; *only; only++)
    if (strcmp(*only, name) == 0) return true;
  return false;
}

static GtkWidget *reason_label(const char *name) {
  GtkWidget *l = gtk_label_new("");
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_wrap(GTK_LABEL(l), TRUE);
  gtk_widget_add_css_class(l, "error");
  gtk_widget_add_css_class(l, "caption");
  char *ad = g_strdup_printf("Error %s", name);
  gtk_accessible_update_property(GTK_ACCESSIBLE(l), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, ad, -1);
  g_free(ad);
  gtk_widget_set_visible(l, FALSE);
  return l;
}

/* The form; done: "log a call" on r with only the fields in only, empty. */
static GtkWidget *build(cl_reader *rd, kt_mtype *t, const kt_rec *r, const cl_client_set *presets,
                        int npresets, const char *title_text, const gui_form_opts *o, bool done,
                        GCallback save, GCallback cancel, void *ud) {
  const char *const *only = o ? o->only : NULL;
  gui_form *fm = g_new0(gui_form, 1);
  fm->rd = rd;
  fm->t = t;
  fm->done = done;
  fm->id = r ? g_strdup(kt_rec_id(r)) : NULL;
  fm->fields = g_new0(form_field, t->nfields);
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
  g_object_set_data_full(G_OBJECT(box), "gui-form", fm, form_free);
  gui_set_name(box, o && o->name ? o->name : done ? "Log a call form" : r ? "Edit form" : "New card form");

  kt_buf title = KT_BUF_INIT;
  if (title_text) kt_buf_puts(&title, title_text);
  else if (r) kt_rec_title(r, &title);
  else kt_buf_printf(&title, _("New card: %s"), gui_type_label(t));
  GtkWidget *h = gtk_label_new(kt_buf_str(&title));
  kt_buf_free(&title);
  gtk_widget_add_css_class(h, "title-2");
  gtk_label_set_xalign(GTK_LABEL(h), 0);
  gtk_label_set_wrap(GTK_LABEL(h), TRUE);
  gtk_accessible_update_property(GTK_ACCESSIBLE(h), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                 "Form title", -1);
  gtk_box_append(GTK_BOX(box), h);

  fm->message = gtk_label_new("");
  gtk_label_set_xalign(GTK_LABEL(fm->message), 0);
  gtk_label_set_wrap(GTK_LABEL(fm->message), TRUE);
  gtk_widget_add_css_class(fm->message, "error");
  gtk_accessible_update_property(GTK_ACCESSIBLE(fm->message), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                 "Form error", -1);
  gtk_widget_set_visible(fm->message, FALSE);
  gtk_box_append(GTK_BOX(box), fm->message);

  GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *bsave = gtk_button_new_with_label(_("Save"));
  gtk_widget_add_css_class(bsave, "suggested-action");
  gui_set_name(bsave, "Save");
  gtk_widget_set_tooltip_text(bsave, _("Save (Ctrl+S)"));
  GtkWidget *bcancel = gtk_button_new_with_label(_("Cancel"));
  gui_set_name(bcancel, "Cancel");
  gtk_widget_set_tooltip_text(bcancel, _("Leave the form without saving (Esc)"));
  g_signal_connect_swapped(bsave, "clicked", save, ud);
  g_signal_connect_swapped(bcancel, "clicked", cancel, ud);

  GtkWidget *grid = gtk_grid_new();
  gtk_grid_set_row_spacing(GTK_GRID(grid), 4);
  gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
  int row = 0;
  for (int k = 0; k < t->nfields; k++) {
    const kt_mfield *f = &t->fields[k];
    if (!editable(f) || !listed(f->name, only)) continue;
    form_field *ff = &fm->fields[fm->n++];
    ff->f = f;
    ff->fm = fm;
    const char *pre = r ? NULL : preset(f, presets, npresets);
    if (pre && f->type == KT_FT_REF) { /* an id: shown as that card's title */
      kt_value v = {.kind = KT_V_TEXT, .s = (char *)pre};
      ff->initial = initial_text(rd, t, f, &v);
      set_ref(ff, pre, ff->initial);
    } else if (pre)
      ff->initial = g_strdup(pre);
    else
      ff->initial = initial_text(rd, t, f, r && !done ? &r->v[k] : NULL);
    GtkWidget *l = gtk_label_new(gui_field_label(t, f));
    gtk_label_set_xalign(GTK_LABEL(l), 1);
    gtk_widget_set_valign(l, GTK_ALIGN_START);
    gtk_widget_set_margin_top(l, 6);
    gtk_widget_add_css_class(l, "dim-label");
    if (f->type == KT_FT_CHOICE || f->type == KT_FT_BOOL) {
      ff->editor = drop_down(t, ff, ff->initial);
    } else if (f->type == KT_FT_USER && o && o->nusers > 0) {
      ff->editor = user_drop_down(ff, ff->initial, o->users, o->nusers);
    } else {
      ff->editor = gtk_entry_new();
      gtk_editable_set_text(GTK_EDITABLE(ff->editor), ff->initial);
      const char *ph = hint(f);
      if (ph) gtk_entry_set_placeholder_text(GTK_ENTRY(ff->editor), ph);
      if (f->type == KT_FT_REF && f->ref) ref_search(ff); /* (its Enter first) */
      g_signal_connect(ff->editor, "activate", G_CALLBACK(on_activate_entry), bsave);
    }
    gtk_widget_set_hexpand(ff->editor, TRUE);
    char *an = g_strdup_printf("Field %s", f->name);
    gui_set_name(ff->editor, an);
    g_free(an);
    gtk_accessible_update_property(GTK_ACCESSIBLE(ff->editor), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                   gui_field_label(t, f), -1);
    ff->reason = reason_label(f->name);
    GtkWidget *cell = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    gtk_box_append(GTK_BOX(cell), ff->editor);
    gtk_box_append(GTK_BOX(cell), ff->reason);
    gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), cell, 1, row, 1, 1);
    row++;
  }
  if (done) { /* the call back: not a field of the call, a new call planned */
    GtkWidget *l = gtk_label_new(_("Call back at"));
    gtk_label_set_xalign(GTK_LABEL(l), 1);
    gtk_widget_set_valign(l, GTK_ALIGN_START);
    gtk_widget_set_margin_top(l, 6);
    gtk_widget_add_css_class(l, "dim-label");
    fm->callback = gtk_entry_new();
    gtk_entry_set_placeholder_text(GTK_ENTRY(fm->callback), _("YYYY-MM-DD HH:MM"));
    gui_set_name(fm->callback, "Field callback");
    g_signal_connect(fm->callback, "activate", G_CALLBACK(on_activate_entry), bsave);
    fm->callback_reason = reason_label("callback");
    GtkWidget *cell = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
    gtk_box_append(GTK_BOX(cell), fm->callback);
    gtk_box_append(GTK_BOX(cell), fm->callback_reason);
    gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), cell, 1, row, 1, 1);
  }
  gtk_box_append(GTK_BOX(buttons), bsave);
  gtk_box_append(GTK_BOX(buttons), bcancel);
  gtk_box_append(GTK_BOX(box), buttons);
  gtk_box_append(GTK_BOX(box), grid);
  return box;
}

GtkWidget *gui_form_new(cl_reader *rd, kt_mtype *t, const kt_rec *r, const cl_client_set *presets,
                        int npresets, const char *title_text, GCallback save, GCallback cancel,
                        void *ud) {
  return build(rd, t, r, presets, npresets, title_text, NULL, false, save, cancel, ud);
}

GtkWidget *gui_form_new_opts(cl_reader *rd, kt_mtype *t, const kt_rec *r,
                             const cl_client_set *presets, int npresets, const char *title_text,
                             const gui_form_opts *o, GCallback save, GCallback cancel, void *ud) {
  return build(rd, t, r, presets, npresets, title_text, o, false, save, cancel, ud);
}

GtkWidget *gui_form_new_done(cl_reader *rd, const kt_rec *r, const char *result_field,
                             const char *comment_field, GCallback save, GCallback cancel,
                             void *ud) {
  const char *only[] = {result_field, comment_field, NULL};
  gui_form_opts o = {.only = only};
  return build(rd, r->type, r, NULL, 0, _("Log a call"), &o, true, save, cancel, ud);
}

/* ---- checking and submitting ----------------------------------------------------------- */

/* Marks an editor invalid with the reason under it (label), or clears it (reason NULL). */
static void mark_widgets(GtkWidget *editor, GtkWidget *label, const char *reason) {
  if (reason) {
    gtk_widget_add_css_class(editor, "error");
    gtk_label_set_text(GTK_LABEL(label), reason);
    gtk_widget_set_visible(label, TRUE);
    gtk_accessible_update_state(GTK_ACCESSIBLE(editor), GTK_ACCESSIBLE_STATE_INVALID,
                                GTK_ACCESSIBLE_INVALID_TRUE, -1);
  } else {
    gtk_widget_remove_css_class(editor, "error");
    gtk_label_set_text(GTK_LABEL(label), "");
    gtk_widget_set_visible(label, FALSE);
    gtk_accessible_reset_state(GTK_ACCESSIBLE(editor), GTK_ACCESSIBLE_STATE_INVALID);
  }
}
static void mark(form_field *ff, const char *reason) { mark_widgets(ff->editor, ff->reason, reason); }

static void form_message(gui_form *fm, const char *msg) {
  gtk_label_set_text(GTK_LABEL(fm->message), msg ? msg : "");
  gtk_widget_set_visible(fm->message, msg && *msg);
}

/* The field's current text (entry) or code (drop-down); borrowed. */
static const char *current(form_field *ff) {
  if (GTK_IS_DROP_DOWN(ff->editor)) {
    guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(ff->editor));
    return i < ff->codes->len ? g_ptr_array_index(ff->codes, i) : "";
  }
  return gtk_editable_get_text(GTK_EDITABLE(ff->editor));
}

int gui_form_submit(GtkWidget *form, cl_client *c, uint64_t *req, kt_err *err) {
  gui_form *fm = form_of(form);
  cl_client_set *sets = g_new0(cl_client_set, fm->n ? fm->n : 1);
  int nsets = 0, bad = 0, rc = 0;
  form_message(fm, NULL);
  for (int i = 0; i < fm->n; i++) {
    form_field *ff = &fm->fields[i];
    const char *text = current(ff);
    mark(ff, NULL);
    if (fm->id && !fm->done ? strcmp(text, ff->initial) == 0 : !*text) continue;
    /* references, users and groups are resolved by the core (a name or an id) */
    if (ff->f->type != KT_FT_REF && ff->f->type != KT_FT_USER && ff->f->type != KT_FT_GROUP) {
      kt_value v = {0};
      kt_err e;
      kt_err_clear(&e);
      if (kt_mfield_parse(ff->f, text, &v, &e)) {
        mark(ff, e.msg);
        if (!bad++) gtk_widget_grab_focus(ff->editor);
      }
      kt_value_clear(&v);
    }
    if (ff->ref_id && strcmp(text, ff->ref_title) == 0) text = ff->ref_id; /* the card chosen */
    sets[nsets++] = (cl_client_set){ff->f->name, text};
  }
  int64_t when = 0;
  if (fm->done) {
    const char *cb = gtk_editable_get_text(GTK_EDITABLE(fm->callback));
    kt_err e;
    kt_err_clear(&e);
    mark_widgets(fm->callback, fm->callback_reason, NULL);
    if (*cb && kt_datetime_parse(cb, &when, &e)) {
      mark_widgets(fm->callback, fm->callback_reason, e.msg);
      if (!bad++) gtk_widget_grab_focus(fm->callback);
    }
  }
  if (bad) {
    form_message(fm, ngettext("A value is not valid: fix it, then save.",
                              "Some values are not valid: fix them, then save.", bad));
    rc = 1;
    goto out;
  }
  cl_client_cmd done = {.kind = CL_CMD_DONE, .id = fm->id, .when = when};
  for (int i = 0; fm->done && i < nsets; i++) {
    const kt_mfield *f = kt_mtype_field(fm->t, sets[i].field);
    if (f && f->type == KT_FT_CHOICE) done.result = sets[i].value;
    else done.comment = sets[i].value;
  }
  if (fm->done) {
    if ((rc = cl_client_submit(c, &done, &fm->req, err))) goto refused;
    if (req) *req = fm->req;
    goto out;
  }
  if (!nsets) {
    rc = 2;
    goto out;
  }
  cl_client_cmd cmd = {.kind = fm->id ? CL_CMD_EDIT : CL_CMD_ADD, .type = fm->t->def->name,
                       .id = fm->id, .sets = sets, .nsets = nsets};
  if ((rc = cl_client_submit(c, &cmd, &fm->req, err))) goto refused;
  if (req) *req = fm->req;
  goto out;
refused:
  fm->req = 0;
  form_message(fm, err->msg);
out:
  g_free(sets);
  return rc;
}

void gui_form_refused(GtkWidget *form, const char *msg) {
  gui_form *fm = form_of(form);
  fm->req = 0;
  size_t n = strcspn(msg, ":");
  for (int i = 0; msg[n] == ':' && i < fm->n; i++) {
    form_field *ff = &fm->fields[i];
    if (strlen(ff->f->name) == n && strncmp(msg, ff->f->name, n) == 0) {
      mark(ff, msg);
      gtk_widget_grab_focus(ff->editor);
      form_message(fm, _("The card was not saved: fix the marked value, then save."));
      return;
    }
  }
  form_message(fm, msg);
}

uint64_t gui_form_pending(GtkWidget *form) { return form_of(form)->req; }

void gui_form_focus(GtkWidget *form) {
  gui_form *fm = form_of(form);
  int first = 0; /* the first title field (a name, a title), else the first */
  for (int i = fm->n - 1; i >= 0; i--)
    if (fm->fields[i].f->flags & KT_FF_TITLE) first = i;
  if (fm->n) gtk_widget_grab_focus(fm->fields[first].editor);
}
