/* gui_connect — see gui_connect.h. The first-start window is a stack of
 * three pages: the choice, joining the office, a card index on this PC. A
 * join or a new card index is one cl_profile call on a GTask thread; the
 * page stays responsive meanwhile (inputs insensitive, a spinner) and a
 * window closed during it is hidden and destroyed when the call is done.
 *
 * Accessible names (the tests use them; not translated, like the main
 * window's): "Connect to the office server", "Start a card index on this PC
 * only", "Invite", "Password", "Confirm server", "Connect", "Back",
 * "User name", "Start"; labels keep their text as their name and say what
 * they are in the description: "Server address", "Server fingerprint",
 * "Account", "Error invite", "Error password", "Error server", "Error user
 * name", "Error". The password dialog: "Log in" (the window), "Session
 * password", "Log in now", "Later", "Error session password". */
#include "gui_connect.h"

#include <glib/gi18n.h>
#include <string.h>

#include "cl_profile.h"
#include "gui_util.h"


/* An error label under a field: empty and hidden until there is a reason. */
static GtkLabel *error_label(const char *desc) {
  GtkWidget *l = gtk_label_new("");
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_wrap(GTK_LABEL(l), TRUE);
  gtk_widget_add_css_class(l, "error");
  gtk_widget_add_css_class(l, "caption");
  gtk_widget_set_visible(l, FALSE);
  gui_set_desc(l, desc);
  return GTK_LABEL(l);
}

/* Marks field (may be NULL) with msg under it in err; msg NULL or "" clears. */
static void mark(GtkWidget *field, GtkLabel *err, const char *msg) {
  gboolean on = msg && *msg;
  gtk_label_set_text(err, on ? msg : "");
  gtk_widget_set_visible(GTK_WIDGET(err), on);
  if (!field) return;
  if (on) gtk_widget_add_css_class(field, "error");
  else gtk_widget_remove_css_class(field, "error");
}

static GtkWidget *caption(const char *text) {
  GtkWidget *l = gtk_label_new(text);
  gtk_label_set_xalign(GTK_LABEL(l), 1);
  gtk_label_set_yalign(GTK_LABEL(l), 0);
  gtk_widget_add_css_class(l, "dim-label");
  return l;
}

static GtkLabel *value_label(const char *desc) {
  GtkWidget *l = gtk_label_new("");
  gtk_label_set_xalign(GTK_LABEL(l), 0);
  gtk_label_set_wrap(GTK_LABEL(l), TRUE);
  gtk_label_set_wrap_mode(GTK_LABEL(l), PANGO_WRAP_CHAR);
  gtk_label_set_selectable(GTK_LABEL(l), TRUE);
  gui_set_desc(l, desc);
  return GTK_LABEL(l);
}

/* ---- the first-start window ------------------------------------------------------------- */

struct _GuiFirst {
  AdwApplicationWindow parent;
  GuiApp *app;
  GtkStack *stack; /* "choose", "connect", "local" */
  /* joining the office */
  GtkEntry *invite;
  GtkLabel *invite_err;
  GtkWidget *confirm_box;
  GtkLabel *address, *fingerprint, *account;
  GtkCheckButton *confirm;
  GtkLabel *server_err;
  GtkWidget *password;
  GtkLabel *password_err;
  GtkButton *connect;
  GtkSpinner *connect_spin;
  GtkLabel *connect_err; /* what is not about one field */
  gboolean invite_ok;
  /* this PC only */
  GtkEntry *user;
  GtkLabel *user_err;
  GtkButton *start;
  GtkSpinner *start_spin;
  gboolean busy;      /* a cl_profile call is running */
  gboolean abandoned; /* closed while busy: destroyed when it is done */
};

G_DEFINE_FINAL_TYPE(GuiFirst, gui_first, ADW_TYPE_APPLICATION_WINDOW)

static void update_connect(GuiFirst *f) {
  const char *pw = gtk_editable_get_text(GTK_EDITABLE(f->password));
  gtk_widget_set_sensitive(GTK_WIDGET(f->connect),
                           !f->busy && f->invite_ok && pw && *pw &&
                               gtk_check_button_get_active(f->confirm));
}

/* The invite as typed: what it says, for confirmation, or why it is not one. */
static void on_invite_changed(GtkEditable *e, GuiFirst *f) {
  const char *text = gtk_editable_get_text(e);
  cl_profile_invite inv;
  kt_err err;
  kt_err_clear(&err);
  gboolean blank = TRUE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isspace(*p)) blank = FALSE;
  f->invite_ok = !blank && cl_profile_invite_read(text, &inv, &err) == 0;
  mark(GTK_WIDGET(f->invite), f->invite_err, blank || f->invite_ok ? NULL : err.msg);
  mark(NULL, f->server_err, NULL);
  mark(NULL, f->connect_err, NULL);
  gtk_check_button_set_active(f->confirm, FALSE); /* another invite: confirm it again */
  if (f->invite_ok) {
    gtk_label_set_text(f->address, inv.address);
    gtk_label_set_text(f->fingerprint, inv.fingerprint);
    gtk_label_set_text(f->account, inv.user);
  }
  gtk_widget_set_visible(f->confirm_box, f->invite_ok);
  update_connect(f);
}

static void on_password_changed(GtkEditable *e, GuiFirst *f) {
  (void)e;
  mark(f->password, f->password_err, NULL);
  update_connect(f);
}

static void on_confirm_toggled(GtkCheckButton *b, GuiFirst *f) {
  (void)b;
  update_connect(f);
}

/* A cl_profile call and its answer (the thread's own copies). */
typedef struct job {
  char *profile, *invite, *password, *user; /* invite + password: join; user: this PC */
  int rc;
  cl_profile_input at;
  kt_err err;
} job;

static void job_free(gpointer p) {
  job *j = p;
  g_free(j->profile);
  g_free(j->invite);
  if (j->password) {
    memset(j->password, 0, strlen(j->password));
    g_free(j->password);
  }
  g_free(j->user);
  g_free(j);
}

/* The GTask thread: blocking, with cl_profile's own loop. */
static void job_run(GTask *task, gpointer src, gpointer data, GCancellable *c) {
  (void)src;
  (void)c;
  job *j = data;
  kt_err_clear(&j->err);
  if (j->user)
    j->rc = cl_profile_init_local(j->profile, j->user, &j->err);
  else
    j->rc = cl_profile_connect(j->profile, j->invite, j->password, NULL, &j->at, &j->err);
  if (j->password) memset(j->password, 0, strlen(j->password));
  g_task_return_boolean(task, j->rc == 0);
}

static void set_busy(GuiFirst *f, gboolean busy) {
  f->busy = busy;
  GtkWidget *page = gtk_stack_get_visible_child(f->stack);
  gtk_widget_set_sensitive(page, !busy);
  gtk_spinner_set_spinning(f->connect_spin, busy);
  gtk_spinner_set_spinning(f->start_spin, busy);
  update_connect(f);
}

static void on_job_done(GObject *src, GAsyncResult *res, gpointer ud) {
  (void)ud;
  GuiFirst *f = GUI_FIRST(src);
  job *j = g_task_get_task_data(G_TASK(res));
  gboolean ok = g_task_propagate_boolean(G_TASK(res), NULL);
  set_busy(f, FALSE);
  if (f->abandoned) {
    gtk_window_destroy(GTK_WINDOW(f));
    return;
  }
  if (ok) { /* the same path as a normal start, then this window goes */
    gui_app_open(f->app);
    gtk_window_destroy(GTK_WINDOW(f));
    return;
  }
  if (j->user) {
    mark(GTK_WIDGET(f->user), f->user_err, j->err.msg);
    gtk_widget_grab_focus(GTK_WIDGET(f->user));
    return;
  }
  switch (j->at) {
  case CL_PROFILE_IN_INVITE:
    mark(GTK_WIDGET(f->invite), f->invite_err, j->err.msg);
    gtk_widget_grab_focus(GTK_WIDGET(f->invite));
    break;
  case CL_PROFILE_IN_PASSWORD:
    mark(f->password, f->password_err, j->err.msg);
    gtk_widget_grab_focus(f->password);
    break;
  case CL_PROFILE_IN_SERVER: mark(NULL, f->server_err, j->err.msg); break;
  default: mark(NULL, f->connect_err, j->err.msg); break;
  }
}

static void run_job(GuiFirst *f, job *j) {
  j->profile = g_strdup(gui_app_profile(f->app));
  set_busy(f, TRUE);
  GTask *t = g_task_new(f, NULL, on_job_done, NULL);
  g_task_set_task_data(t, j, job_free);
  g_task_run_in_thread(t, job_run);
  g_object_unref(t);
}

static void on_connect(GuiFirst *f) {
  if (f->busy) return;
  update_connect(f);
  if (!gtk_widget_get_sensitive(GTK_WIDGET(f->connect))) return; /* Enter before it is ready */
  mark(GTK_WIDGET(f->invite), f->invite_err, NULL);
  mark(f->password, f->password_err, NULL);
  mark(NULL, f->server_err, NULL);
  mark(NULL, f->connect_err, NULL);
  job *j = g_new0(job, 1);
  j->invite = g_strdup(gtk_editable_get_text(GTK_EDITABLE(f->invite)));
  j->password = g_strdup(gtk_editable_get_text(GTK_EDITABLE(f->password)));
  run_job(f, j);
}

static void on_start(GuiFirst *f) {
  if (f->busy) return;
  char *name = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(f->user))));
  if (!*name) {
    mark(GTK_WIDGET(f->user), f->user_err, _("Type your name: the cards you make will be yours."));
    g_free(name);
    return;
  }
  mark(GTK_WIDGET(f->user), f->user_err, NULL);
  job *j = g_new0(job, 1);
  j->user = name;
  run_job(f, j);
}

static void on_user_changed(GtkEditable *e, GuiFirst *f) {
  (void)e;
  mark(GTK_WIDGET(f->user), f->user_err, NULL);
}

static void show_page(GuiFirst *f, const char *name) {
  gtk_stack_set_visible_child_name(f->stack, name);
  if (strcmp(name, "connect") == 0) gtk_widget_grab_focus(GTK_WIDGET(f->invite));
  else if (strcmp(name, "local") == 0) gtk_widget_grab_focus(GTK_WIDGET(f->user));
}
static void on_choose_connect(GuiFirst *f) { show_page(f, "connect"); }
static void on_choose_local(GuiFirst *f) { show_page(f, "local"); }
static void on_back(GuiFirst *f) {
  if (!f->busy) show_page(f, "choose");
}

static gboolean on_close_request(GtkWindow *w, gpointer ud) {
  (void)ud;
  GuiFirst *f = GUI_FIRST(w);
  if (!f->busy) return FALSE;
  f->abandoned = TRUE; /* the call cannot be stopped half-way: its end destroys the window */
  gtk_widget_set_visible(GTK_WIDGET(w), FALSE);
  return TRUE;
}

static GtkWidget *button(const char *label, const char *name, GCallback cb, GuiFirst *f) {
  GtkWidget *b = gtk_button_new_with_label(label);
  gui_set_name(b, name);
  g_signal_connect_swapped(b, "clicked", cb, f);
  return b;
}

/* A page: a status page (icon, title, description) over its content, clamped. */
static GtkWidget *page(const char *icon, const char *title, const char *desc, GtkWidget *child) {
  GtkWidget *sp = adw_status_page_new();
  if (icon) adw_status_page_set_icon_name(ADW_STATUS_PAGE(sp), icon); /* the form pages: none,
                                                                        to keep them on screen */
  adw_status_page_set_title(ADW_STATUS_PAGE(sp), title);
  adw_status_page_set_description(ADW_STATUS_PAGE(sp), desc);
  GtkWidget *clamp = adw_clamp_new();
  adw_clamp_set_maximum_size(ADW_CLAMP(clamp), 560);
  adw_clamp_set_child(ADW_CLAMP(clamp), child);
  adw_status_page_set_child(ADW_STATUS_PAGE(sp), clamp);
  GtkWidget *scroll = gtk_scrolled_window_new();
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), sp);
  gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
                                 GTK_POLICY_AUTOMATIC);
  return scroll;
}

static GtkWidget *action_row(GtkWidget *back, GtkSpinner *spin, GtkWidget *go) {
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_top(row, 12);
  gtk_box_append(GTK_BOX(row), back);
  GtkWidget *space = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_set_hexpand(space, TRUE);
  gtk_box_append(GTK_BOX(row), space);
  gtk_box_append(GTK_BOX(row), GTK_WIDGET(spin));
  gtk_widget_add_css_class(go, "suggested-action");
  gtk_box_append(GTK_BOX(row), go);
  return row;
}

static GtkWidget *choose_page(GuiFirst *f) {
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_halign(box, GTK_ALIGN_CENTER);
  GtkWidget *c = button(_("Connect to the office server"), "Connect to the office server",
                        G_CALLBACK(on_choose_connect), f);
  gtk_widget_add_css_class(c, "suggested-action");
  gtk_widget_add_css_class(c, "pill");
  gtk_widget_set_tooltip_text(c, _("Your administrator sent you an invite"));
  GtkWidget *l = button(_("Start a card index on this PC only"), "Start a card index on this PC only",
                        G_CALLBACK(on_choose_local), f);
  gtk_widget_add_css_class(l, "pill");
  gtk_widget_set_tooltip_text(l, _("No server: the cards stay on this PC (you can join an office later)"));
  gtk_box_append(GTK_BOX(box), c);
  gtk_box_append(GTK_BOX(box), l);
  return page("x-office-address-book-symbolic", _("Welcome to Kartoteka"),
              _("How will you keep your card index?"), box);
}

static GtkWidget *connect_page(GuiFirst *f) {
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 18);
  /* the invite */
  GtkWidget *g1 = adw_preferences_group_new();
  adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(g1), _("Your invite"));
  adw_preferences_group_set_description(
      ADW_PREFERENCES_GROUP(g1), _("Paste the invite your administrator sent you (it begins with KT2.)"));
  f->invite = GTK_ENTRY(gtk_entry_new());
  gtk_entry_set_placeholder_text(f->invite, "KT2.…");
  gui_set_name(GTK_WIDGET(f->invite), "Invite");
  f->invite_err = error_label("Error invite");
  GtkWidget *ib = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_append(GTK_BOX(ib), GTK_WIDGET(f->invite));
  gtk_box_append(GTK_BOX(ib), GTK_WIDGET(f->invite_err));
  adw_preferences_group_add(ADW_PREFERENCES_GROUP(g1), ib);
  gtk_box_append(GTK_BOX(box), g1);
  /* what it says, to confirm */
  GtkWidget *g2 = adw_preferences_group_new();
  adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(g2), _("The office server"));
  adw_preferences_group_set_description(
      ADW_PREFERENCES_GROUP(g2),
      _("Compare the fingerprint with the one your administrator gave you: only that server "
        "will be trusted."));
  GtkWidget *grid = gtk_grid_new();
  gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
  gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
  f->address = value_label("Server address");
  f->fingerprint = value_label("Server fingerprint");
  gtk_widget_add_css_class(GTK_WIDGET(f->fingerprint), "monospace");
  f->account = value_label("Account");
  gtk_grid_attach(GTK_GRID(grid), caption(_("Address")), 0, 0, 1, 1);
  gtk_grid_attach(GTK_GRID(grid), GTK_WIDGET(f->address), 1, 0, 1, 1);
  gtk_grid_attach(GTK_GRID(grid), caption(_("Fingerprint (SHA-256)")), 0, 1, 1, 1);
  gtk_grid_attach(GTK_GRID(grid), GTK_WIDGET(f->fingerprint), 1, 1, 1, 1);
  gtk_grid_attach(GTK_GRID(grid), caption(_("Account")), 0, 2, 1, 1);
  gtk_grid_attach(GTK_GRID(grid), GTK_WIDGET(f->account), 1, 2, 1, 1);
  gtk_widget_set_hexpand(GTK_WIDGET(f->fingerprint), TRUE);
  f->confirm = GTK_CHECK_BUTTON(
      gtk_check_button_new_with_label(_("This is my office's server: the fingerprint matches")));
  gui_set_name(GTK_WIDGET(f->confirm), "Confirm server");
  f->server_err = error_label("Error server");
  GtkWidget *cb = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_append(GTK_BOX(cb), grid);
  gtk_box_append(GTK_BOX(cb), GTK_WIDGET(f->confirm));
  gtk_box_append(GTK_BOX(cb), GTK_WIDGET(f->server_err));
  adw_preferences_group_add(ADW_PREFERENCES_GROUP(g2), cb);
  f->confirm_box = g2;
  gtk_widget_set_visible(g2, FALSE);
  gtk_box_append(GTK_BOX(box), g2);
  /* the password */
  GtkWidget *g3 = adw_preferences_group_new();
  adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(g3), _("Your password"));
  adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(g3),
                                        _("The password of your account on the office server"));
  f->password = gtk_password_entry_new();
  gtk_password_entry_set_show_peek_icon(GTK_PASSWORD_ENTRY(f->password), TRUE);
  gui_set_name(f->password, "Password");
  f->password_err = error_label("Error password");
  GtkWidget *pb = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_append(GTK_BOX(pb), f->password);
  gtk_box_append(GTK_BOX(pb), GTK_WIDGET(f->password_err));
  adw_preferences_group_add(ADW_PREFERENCES_GROUP(g3), pb);
  gtk_box_append(GTK_BOX(box), g3);
  f->connect_err = error_label("Error");
  gtk_box_append(GTK_BOX(box), GTK_WIDGET(f->connect_err));
  f->connect = GTK_BUTTON(button(_("Connect"), "Connect", G_CALLBACK(on_connect), f));
  f->connect_spin = GTK_SPINNER(gtk_spinner_new());
  gtk_box_append(GTK_BOX(box), action_row(button(_("Back"), "Back", G_CALLBACK(on_back), f),
                                          f->connect_spin, GTK_WIDGET(f->connect)));
  g_signal_connect(f->invite, "changed", G_CALLBACK(on_invite_changed), f);
  g_signal_connect(f->password, "changed", G_CALLBACK(on_password_changed), f);
  g_signal_connect(f->confirm, "toggled", G_CALLBACK(on_confirm_toggled), f);
  g_signal_connect_swapped(f->password, "activate", G_CALLBACK(on_connect), f);
  update_connect(f);
  return page(NULL, _("Connect to your office"),
              _("This PC keeps a copy of the office's card index and syncs it."), box);
}

static GtkWidget *local_page(GuiFirst *f) {
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *g = adw_preferences_group_new();
  adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(g), _("Your name"));
  adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(g),
                                        _("The cards you make will be yours under this name"));
  f->user = GTK_ENTRY(gtk_entry_new());
  gtk_editable_set_text(GTK_EDITABLE(f->user), g_get_user_name());
  gui_set_name(GTK_WIDGET(f->user), "User name");
  f->user_err = error_label("Error user name");
  GtkWidget *ub = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_append(GTK_BOX(ub), GTK_WIDGET(f->user));
  gtk_box_append(GTK_BOX(ub), GTK_WIDGET(f->user_err));
  adw_preferences_group_add(ADW_PREFERENCES_GROUP(g), ub);
  gtk_box_append(GTK_BOX(box), g);
  f->start = GTK_BUTTON(button(_("Start"), "Start", G_CALLBACK(on_start), f));
  f->start_spin = GTK_SPINNER(gtk_spinner_new());
  gtk_box_append(GTK_BOX(box), action_row(button(_("Back"), "Back", G_CALLBACK(on_back), f),
                                          f->start_spin, GTK_WIDGET(f->start)));
  g_signal_connect(f->user, "changed", G_CALLBACK(on_user_changed), f);
  g_signal_connect_swapped(f->user, "activate", G_CALLBACK(on_start), f);
  return page(NULL, _("A card index on this PC only"),
              _("No server: the cards stay on this PC. You can join an office server later."), box);
}

static void gui_first_class_init(GuiFirstClass *k) { (void)k; }
static void gui_first_init(GuiFirst *f) { (void)f; }

GuiFirst *gui_first_new(GuiApp *app) {
  GuiFirst *f = g_object_new(GUI_TYPE_FIRST, "application", app, NULL);
  f->app = app;
  gtk_window_set_title(GTK_WINDOW(f), _("Kartoteka"));
  gtk_window_set_default_size(GTK_WINDOW(f), 760, 760);
  f->stack = GTK_STACK(gtk_stack_new());
  gtk_stack_set_transition_type(f->stack, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  gtk_stack_add_named(f->stack, choose_page(f), "choose");
  gtk_stack_add_named(f->stack, connect_page(f), "connect");
  gtk_stack_add_named(f->stack, local_page(f), "local");
  gtk_widget_set_vexpand(GTK_WIDGET(f->stack), TRUE);
  GtkWidget *root = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append(GTK_BOX(root), adw_header_bar_new());
  gtk_box_append(GTK_BOX(root), GTK_WIDGET(f->stack));
  adw_application_window_set_content(ADW_APPLICATION_WINDOW(f), root);
  g_signal_connect(f, "close-request", G_CALLBACK(on_close_request), NULL);
  return f;
}

/* ---- the session expired: the password dialog ------------------------------------------- */

#define LOGIN_KEY "gui-connect-login" /* the app's open dialog, if any */

typedef struct login_dlg {
  GuiApp *app;
  GtkWindow *win;
  GtkWidget *password;
  GtkLabel *err;
  GtkButton *ok;
  GtkSpinner *spin;
  uint64_t req; /* the CL_CMD_LOGIN waiting for its answer, 0 none */
} login_dlg;

static void login_busy(login_dlg *d, gboolean busy) {
  gtk_widget_set_sensitive(d->password, !busy);
  gtk_widget_set_sensitive(GTK_WIDGET(d->ok), !busy);
  gtk_spinner_set_spinning(d->spin, busy);
}

static void on_login(login_dlg *d) {
  if (d->req) return;
  const char *pw = gtk_editable_get_text(GTK_EDITABLE(d->password));
  if (!pw || !*pw) {
    mark(d->password, d->err, _("Type your password."));
    return;
  }
  cl_client_cmd c = {.kind = CL_CMD_LOGIN, .password = pw};
  kt_err err;
  kt_err_clear(&err);
  if (cl_client_submit(gui_app_client(d->app), &c, &d->req, &err)) {
    d->req = 0;
    mark(d->password, d->err, err.msg);
    return;
  }
  mark(d->password, d->err, NULL);
  login_busy(d, TRUE);
}

static void on_login_later(login_dlg *d) { gtk_window_destroy(d->win); }

static void on_login_destroy(GtkWidget *w, login_dlg *d) {
  (void)w;
  if (g_object_get_data(G_OBJECT(d->app), LOGIN_KEY) == d)
    g_object_set_data(G_OBJECT(d->app), LOGIN_KEY, NULL);
}

static void on_login_changed(GtkEditable *e, login_dlg *d) {
  (void)e;
  if (!d->req) mark(d->password, d->err, NULL);
}

static void login_present(GuiApp *app, const char *why) {
  login_dlg *d = g_new0(login_dlg, 1);
  d->app = app;
  d->win = GTK_WINDOW(adw_window_new());
  g_object_set_data_full(G_OBJECT(d->win), "login", d, g_free);
  gtk_window_set_application(d->win, GTK_APPLICATION(app));
  GtkWindow *main = gtk_application_get_active_window(GTK_APPLICATION(app));
  if (main && main != d->win) {
    gtk_window_set_transient_for(d->win, main);
    gtk_window_set_modal(d->win, TRUE);
  }
  gtk_window_set_title(d->win, _("Log in"));
  gtk_window_set_default_size(d->win, 440, -1);
  gui_set_name(GTK_WIDGET(d->win), "Log in");
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_start(box, 24);
  gtk_widget_set_margin_end(box, 24);
  gtk_widget_set_margin_top(box, 12);
  gtk_widget_set_margin_bottom(box, 24);
  GtkWidget *title = gtk_label_new(_("Your session has expired"));
  gtk_widget_add_css_class(title, "title-2");
  gtk_box_append(GTK_BOX(box), title);
  const char *user = gui_app_client(app) ? cl_client_user(gui_app_client(app)) : "";
  char *text = g_strdup_printf(_("Type the password of %s to go on syncing with the office server."),
                               user);
  GtkWidget *l = gtk_label_new(text);
  g_free(text);
  gtk_label_set_wrap(GTK_LABEL(l), TRUE);
  gtk_box_append(GTK_BOX(box), l);
  if (why && *why) {
    GtkWidget *w = gtk_label_new(why);
    gtk_label_set_wrap(GTK_LABEL(w), TRUE);
    gtk_widget_add_css_class(w, "dim-label");
    gtk_widget_add_css_class(w, "caption");
    gtk_box_append(GTK_BOX(box), w);
  }
  d->password = gtk_password_entry_new();
  gtk_password_entry_set_show_peek_icon(GTK_PASSWORD_ENTRY(d->password), TRUE);
  gui_set_name(d->password, "Session password");
  gtk_box_append(GTK_BOX(box), d->password);
  d->err = error_label("Error session password");
  gtk_box_append(GTK_BOX(box), GTK_WIDGET(d->err));
  GtkWidget *later = gtk_button_new_with_label(_("Later"));
  gui_set_name(later, "Later");
  gtk_widget_set_tooltip_text(later, _("Work offline; the changes wait on this PC"));
  d->ok = GTK_BUTTON(gtk_button_new_with_label(_("Log in")));
  gui_set_name(GTK_WIDGET(d->ok), "Log in now");
  d->spin = GTK_SPINNER(gtk_spinner_new());
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_append(GTK_BOX(row), later);
  GtkWidget *space = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_set_hexpand(space, TRUE);
  gtk_box_append(GTK_BOX(row), space);
  gtk_box_append(GTK_BOX(row), GTK_WIDGET(d->spin));
  gtk_widget_add_css_class(GTK_WIDGET(d->ok), "suggested-action");
  gtk_box_append(GTK_BOX(row), GTK_WIDGET(d->ok));
  gtk_box_append(GTK_BOX(box), row);
  GtkWidget *root = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *hb = adw_header_bar_new();
  adw_header_bar_set_show_end_title_buttons(ADW_HEADER_BAR(hb), FALSE);
  gtk_box_append(GTK_BOX(root), hb);
  gtk_box_append(GTK_BOX(root), box);
  adw_window_set_content(ADW_WINDOW(d->win), root);
  g_signal_connect_swapped(d->ok, "clicked", G_CALLBACK(on_login), d);
  g_signal_connect_swapped(d->password, "activate", G_CALLBACK(on_login), d);
  g_signal_connect_swapped(later, "clicked", G_CALLBACK(on_login_later), d);
  g_signal_connect(d->password, "changed", G_CALLBACK(on_login_changed), d);
  g_signal_connect(d->win, "destroy", G_CALLBACK(on_login_destroy), d);
  g_object_set_data(G_OBJECT(app), LOGIN_KEY, d);
  gtk_window_present(d->win);
  gtk_widget_grab_focus(d->password);
}

gboolean gui_connect_event(GuiApp *app, const cl_client_event *ev) {
  login_dlg *d = g_object_get_data(G_OBJECT(app), LOGIN_KEY);
  if (ev->kind == CL_EV_SYNC) {
    if (ev->sync.status == CL_SYNC_LOGIN && !d) login_present(app, ev->sync.error);
    else if (ev->sync.status == CL_SYNC_ONLINE && d && !d->req)
      gtk_window_destroy(d->win); /* logged in elsewhere (`kartoteka login`) */
    return FALSE;                 /* the window shows the state too */
  }
  if (ev->kind != CL_EV_RESULT || ev->result.cmd != CL_CMD_LOGIN || !d || ev->result.req != d->req)
    return FALSE;
  d->req = 0;
  login_busy(d, FALSE);
  if (ev->result.code == 0) {
    gtk_window_destroy(d->win);
    return TRUE;
  }
  mark(d->password, d->err, ev->result.msg);
  gtk_widget_grab_focus(d->password);
  return TRUE;
}
