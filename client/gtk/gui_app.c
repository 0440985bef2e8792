/* gui_app — see gui_app.h. */
#include "gui_app.h"

#include <glib/gi18n.h>
#ifdef G_OS_UNIX
#include <glib-unix.h>
#include <signal.h>
#endif

#include "cl_profile.h"
#include "gui_connect.h"
#include "gui_i18n.h"
#include "gui_window.h"

struct _GuiApp {
  AdwApplication parent;
  char *profile;
  cl_reader *reader;
  cl_client *client;
  GtkWindow *window;
  GtkWindow *first; /* the first-start window, while there is no card index */
};

G_DEFINE_FINAL_TYPE(GuiApp, gui_app, ADW_TYPE_APPLICATION)

static gint64 bench_t0; /* --bench-startup: when the program started; 0 = not given */

const char *gui_app_profile(GuiApp *app) { return app->profile; }
cl_reader *gui_app_reader(GuiApp *app) { return app->reader; }
cl_client *gui_app_client(GuiApp *app) { return app->client; }

/* Main thread: hands the core's events to the window, a bounded number per
 * turn so a flood never freezes it; more waiting: another turn. */
static gboolean drain_events(gpointer ud) {
  GuiApp *app = ud;
  cl_client_event *ev = NULL;
  int n = 0;
  while (n < GUI_EVENTS_PER_TURN && app->client && cl_client_next_event(app->client, &ev) == 1) {
    if (!gui_connect_event(app, ev) && app->window) gui_window_event(GUI_WINDOW(app->window), ev);
    cl_client_event_free(ev);
    n++;
  }
  if (n == GUI_EVENTS_PER_TURN && app->client && cl_client_queued(app->client) > 0)
    return G_SOURCE_CONTINUE; /* the rest at the next idle turn */
  g_object_unref(app);
  return G_SOURCE_REMOVE;
}

/* The core's thread: the event queue became non-empty. */
static void on_wakeup(void *ud) {
  GuiApp *app = ud;
  g_main_context_invoke(NULL, drain_events, g_object_ref(app));
}

static void show_error(GuiApp *app, const char *title, const char *msg) {
  GtkWidget *w = adw_message_dialog_new(NULL, title, msg);
  adw_message_dialog_add_response(ADW_MESSAGE_DIALOG(w), "close", _("Close"));
  gtk_window_set_application(GTK_WINDOW(w), GTK_APPLICATION(app));
  gtk_accessible_update_property(GTK_ACCESSIBLE(w), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  gtk_window_present(GTK_WINDOW(w));
}

gboolean gui_app_open(GuiApp *app) {
  if (app->window) {
    gtk_window_present(app->window);
    return TRUE;
  }
  char *db = g_build_filename(app->profile, "replica.db", NULL);
  kt_err err;
  kt_err_clear(&err);
  /* the reader first (the window's rows come sooner); a card index from an older
     version is upgraded by the core's writer, then read */
  int rrc = app->reader ? 0 : cl_reader_open(db, NULL, &app->reader, &err);
  if (rrc && rrc != KT_EVERSION) {
    g_free(db);
    show_error(app, _("The card index cannot be opened"), err.msg);
    return FALSE;
  }
  if (!app->client) {
    cl_client_opts o = {.profile_dir = app->profile, .sync = true, .reminders = true,
                        .wait_login = true, .wakeup = on_wakeup, .wakeup_ud = app};
    kt_err_clear(&err);
    if (cl_client_new(&o, &app->client, &err)) {
      g_free(db);
      show_error(app, _("The card index cannot be opened"), err.msg);
      return FALSE;
    }
  }
  if (!app->reader && cl_reader_open(db, NULL, &app->reader, &err)) {
    g_free(db);
    show_error(app, _("The card index cannot be opened"), err.msg);
    return FALSE;
  }
  g_free(db);
  app->window = GTK_WINDOW(gui_window_new(app));
  g_object_add_weak_pointer(G_OBJECT(app->window), (gpointer *)&app->window);
  if (bench_t0) gui_window_bench(GUI_WINDOW(app->window), bench_t0);
  gtk_window_present(app->window);
  return TRUE;
}

static void on_activate(GApplication *gapp) {
  GuiApp *app = GUI_APP(gapp);
  if (app->window || app->first) { /* a second start on this profile: bring the window forward */
    gtk_window_present(app->window ? app->window : app->first);
    return;
  }
  if (!app->reader && !cl_profile_exists(app->profile)) { /* the first start */
    app->first = GTK_WINDOW(gui_first_new(app));
    g_object_add_weak_pointer(G_OBJECT(app->first), (gpointer *)&app->first);
    gtk_window_present(app->first);
    return;
  }
  gui_app_open(app);
}

static void on_shutdown(GApplication *gapp) {
  GuiApp *app = GUI_APP(gapp);
  cl_client *c = app->client;
  app->client = NULL; /* events still invoked are dropped */
  cl_client_free(c);
  G_APPLICATION_CLASS(gui_app_parent_class)->shutdown(gapp);
}

static void gui_app_finalize(GObject *obj) {
  GuiApp *app = GUI_APP(obj);
  cl_client_free(app->client);
  cl_reader_close(app->reader);
  g_free(app->profile);
  G_OBJECT_CLASS(gui_app_parent_class)->finalize(obj);
}

static void gui_app_class_init(GuiAppClass *klass) {
  G_APPLICATION_CLASS(klass)->activate = on_activate;
  G_APPLICATION_CLASS(klass)->shutdown = on_shutdown;
  G_OBJECT_CLASS(klass)->finalize = gui_app_finalize;
}

static void gui_app_init(GuiApp *app) { (void)app; }

/* The profile as the CLI resolves it: --profile, $KARTOTEKA_PROFILE, else the
 * user data folder. */
static char *resolve_profile(int *argc, char **argv) {
  char *given = NULL;
  int out = 1;
  for (int i = 1; i < *argc; i++) {
    if (strcmp(argv[i], "--profile") == 0 && i + 1 < *argc) given = argv[++i];
    else if (strncmp(argv[i], "--profile=", 10) == 0) given = argv[i] + 10;
    else if (strcmp(argv[i], "--bench-startup") == 0) continue; /* read by gui_app_run */
    else argv[out++] = argv[i];
  }
  *argc = out;
  argv[out] = NULL;
  if (!given) given = (char *)g_getenv("KARTOTEKA_PROFILE");
  if (given && *given) return g_canonicalize_filename(given, NULL);
  return g_build_filename(g_get_user_data_dir(), "kartoteka", NULL);
}

#ifdef G_OS_UNIX
/* SIGTERM, SIGINT (a session ending, a test's kill): quit as from the window, so
 * the core closes the sync connection and the card index cleanly (and sanitizer
 * builds get to report what is left at exit) */
static gboolean on_quit_signal(gpointer ud) {
  g_application_quit(G_APPLICATION(ud));
  return G_SOURCE_CONTINUE;
}
#endif

int gui_app_run(int argc, char **argv) {
  gint64 t0 = g_get_monotonic_time();
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--bench-startup") == 0) bench_t0 = t0;
  gui_i18n_init(argc > 0 ? argv[0] : NULL);
  char *profile = resolve_profile(&argc, argv);
  /* one instance per profile: the id carries a hash of its path */
  char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, profile, -1);
  char *id = g_strdup_printf("org.kartoteka.Kartoteka.p%.16s", hash);
  GuiApp *app = g_object_new(GUI_TYPE_APP, "application-id", id, "flags",
                             G_APPLICATION_DEFAULT_FLAGS, NULL);
  app->profile = profile;
  g_set_application_name(_("Kartoteka"));
#ifdef G_OS_UNIX
  guint sig_term = g_unix_signal_add(SIGTERM, on_quit_signal, app);
  guint sig_int = g_unix_signal_add(SIGINT, on_quit_signal, app);
#endif
  int rc = g_application_run(G_APPLICATION(app), argc, argv);
#ifdef G_OS_UNIX
  g_source_remove(sig_term);
  g_source_remove(sig_int);
#endif
  g_object_unref(app);
  g_free(id);
  g_free(hash);
  return rc;
}
