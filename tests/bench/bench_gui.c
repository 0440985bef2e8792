/* bench_gui — kartoteka-gtk's start-up on a big replica (BENCH_N
 * organizations, default 1,000,000, the first section the window shows;
 * Russian and Polish names, a city, a phone; loaded through cl_store in one
 * batch, not timed): the app run with --bench-startup under Xvfb (xvfb-run,
 * a private session bus when dbus-run-session is there) prints when the
 * list's first rows are on screen after the program started (goal: under
 * 1 s) and, after typing each of a few name prefixes into the search entry,
 * when their first rows are (goal: under 50 ms from the search starting),
 * newest first (the search box's order), then with the list sorted by the
 * name column;
 * before the searches, the time from a filter change (city=Казань: a view
 * sorted in memory by the app's worker) to its first rows on screen.
 * Two starts: the first after the load (cold-ish: the file in the OS cache
 * but not in any process), the second warm. Skipped (exit 0) without
 * xvfb-run or kartoteka-gtk. Env: BENCH_N, BENCH_DIR, BENCH_GUI_PROFILE (a
 * profile folder to keep between runs: made and loaded there when it has no
 * replica, reused as it is when it has one; the 1M load takes minutes). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "cl_store.h"

static const char *const last[] = {"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров",
                                    "Соколов", "Михайлов", "Новиков", "Фёдоров", "Ёлкин", "Елкин",
                                    "Łukasiewicz", "Żak", "Ślęzak", "Nowak", "Kowalski"};
static const char *const kind[] = {"ООО", "АО", "ИП", "Sp. z o.o.", "ЗАО"};
static const char *const cities[] = {"Москва", "Санкт-Петербург", "Казань", "Тверь", "Kraków", "Łódź"};
/* the lines --bench-startup prints: start-up, the filter, 7 search prefixes newest
   first, 5 with the list sorted by name */
#define BENCH_LINES 14
#define NELEM(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

static uint64_t seed = 0x677569u;
static unsigned rn(unsigned n) { return (unsigned)(bench_rand(&seed) % n); }

static void set(kt_rec *r, const char *field, const char *text) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  if (!f) bench_die(field, NULL);
  if (kt_value_set_text(&r->v[f - r->type->fields], text, strlen(text))) bench_die("out of memory", NULL);
}

static void load(const char *path, long n) {
  kt_err err;
  cl_store *s;
  cl_open_opts oo = {.locale = "ru"};
  if (cl_store_open(path, &oo, &s, &err)) bench_die("open", &err);
  kt_mtype *t = kt_model_type(cl_store_model(s), "org");
  kt_rec *r = kt_rec_new(t);
  if (!r) bench_die("out of memory", NULL);
  double t0 = bench_now();
  if (cl_store_begin(s, &err)) bench_die("begin", &err);
  for (long i = 0; i < n; i++) {
    for (int k = 0; k < t->nfields; k++) kt_value_clear(&r->v[k]);
    char name[96], phone[32];
    snprintf(name, sizeof name, "%s %s %u", kind[rn(NELEM(kind))], last[rn(NELEM(last))], rn(100000));
    snprintf(phone, sizeof phone, "+7 (4%02u) %03u-%02u-%02u", rn(100), rn(1000), rn(100), rn(100));
    set(r, "name", name);
    set(r, "city", cities[rn(NELEM(cities))]);
    set(r, "phone", phone);
    r->rowid = 0;
    if (cl_store_add_rec(s, r, &err)) bench_die("add", &err);
    if (i % 200000 == 199999 && (cl_store_commit(s, &err) || cl_store_begin(s, &err)))
      bench_die("commit", &err);
  }
  if (cl_store_commit(s, &err)) bench_die("commit", &err);
  printf("  loaded %ld organizations through cl_store in %.1f s (set-up, not the benchmark)\n", n,
         bench_now() - t0);
  kt_rec_free(r);
  cl_store_close(s);
}

/* Prints the app's lines (indented) and says whether it failed: an exit status
 * other than 0 (124: killed by the timeout), or fewer lines than measures
 * (start-up, the filter, the search prefixes) — then also the log's tail. */
static int report(const char *out, const char *log, int rc) {
  FILE *f = fopen(out, "r");
  char line[512];
  int n = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "kartoteka-gtk: ", 15) == 0) {
      printf("    %s", line + 15);
      n++;
    }
  if (f) fclose(f);
  int status = rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
  if (status == 0 && n >= BENCH_LINES) return 0;
  printf("    error: kartoteka-gtk %s after %d of %d measures", 
         status == 124 ? "timed out (120 s)" : status ? "failed" : "exited", n, BENCH_LINES);
  if (status && status != 124) printf(" (exit status %d)", status);
  printf("; the end of its log:\n");
  fflush(stdout);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "tail -n 15 '%s' | sed 's/^/      /'", log);
  if (system(cmd) != 0) printf("      (no log)\n");
  return 1;
}

int main(int argc, char **argv) {
  (void)argc;
  bench_init("gui", argv[0]);
  /* absolute: the app runs in bench_dir (bench_bin is relative when the bench
     is, as `make bench` runs it; a relative one found nothing there) */
  char rel[700], gtk[PATH_MAX];
  snprintf(rel, sizeof rel, "%s/kartoteka-gtk", bench_bin);
  if (!realpath(rel, gtk) || access(gtk, X_OK) != 0 || system("command -v xvfb-run >/dev/null") != 0) {
    printf("  skipped: no xvfb-run or %s\n", rel);
    return 0;
  }
  const char *ns = getenv("BENCH_N");
  long n = ns ? atol(ns) : 1000000;
  if (n < 1000) n = 1000;
  char prof[400], path[450];
  const char *keep = getenv("BENCH_GUI_PROFILE");
  snprintf(prof, sizeof prof, "%s", keep && *keep ? keep : "");
  if (!*prof) snprintf(prof, sizeof prof, "%s/prof", bench_dir);
  snprintf(path, sizeof path, "%s/replica.db", prof);
  if (access(path, F_OK) != 0) {
    bench_run("'%s/kartoteka' --profile '%s' init --local --user bench >/dev/null", bench_bin, prof);
    load(path, n);
  } else
    printf("  reusing the profile %s (BENCH_GUI_PROFILE)\n", prof);
  const char *bus = system("command -v dbus-run-session >/dev/null") == 0 ? "dbus-run-session -- " : "";
  int failed = 0;
  for (int run = 0; run < 2 && !failed; run++) {
    printf("  %s start:\n", run ? "warm" : "cold-ish (first)");
    fflush(stdout);
    char out[500], log[500];
    snprintf(out, sizeof out, "%s/gtk%d.out", bench_dir, run);
    snprintf(log, sizeof log, "%s/gtk%d.log", bench_dir, run);
    char cmd[12288];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && LANG=ru_RU.UTF-8 GSK_RENDERER=cairo GDK_BACKEND=x11 GTK_A11Y=none "
             "timeout 120 xvfb-run -a -s '-screen 0 1280x800x24' %s'%s' --profile '%s' "
             "--bench-startup >'%s' 2>'%s'",
             bench_dir, bus, gtk, prof, out, log);
    int rc = system(cmd);
    failed = report(out, log, rc);
  }
  if (failed) {
    printf("  FAILED: the app printed no or too few numbers (its output and log kept in %s)\n", bench_dir);
    return 1;
  }
  char rm[700];
  snprintf(rm, sizeof rm, "rm -rf '%s'", bench_dir);
  if (system(rm) != 0) fprintf(stderr, "bench_gui: cannot remove %s\n", bench_dir);
  return 0;
}
