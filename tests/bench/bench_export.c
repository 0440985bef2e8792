/* bench_export — export of BENCH_N contacts (default 1,000,000; each with its
 * organization by name, phones, e-mail, birthday, a comment) from a
 * standalone replica to CSV and XLSX, as issue 16 asks, and to ODS, vCard,
 * HTML and text beside them: wall time, rows/s, file size and the process's
 * peak memory after each. The replica is filled once through cl_store (not
 * timed; BENCH_EXPORT_DB=FILE keeps or reuses it). Env: BENCH_N, BENCH_DIR,
 * BENCH_EXPORT_FORMATS (default "csv xlsx ods vcard html text"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cl_export.h"
#include "cl_store.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const kt_err *e) {
  fprintf(stderr, "bench_export: %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
  exit(1);
}

static uint64_t seed = 0x6578706fu;
static unsigned rn(unsigned n) {
  uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (unsigned)((z ^ (z >> 31)) % n);
}

static const char *const surnames[] = {"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев",
                                       "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров",
                                       "Kowalski", "Nowak", "Wiśniewski", "Smith"};
static const char *const names[] = {"Иван", "Пётр", "Анна", "Ольга", "Сергей", "Мария", "Jan", "Ewa"};
static const char *const cities[] = {"Москва", "Санкт-Петербург", "Тверь", "Казань", "Gdańsk", "Kraków"};

static void set(cl_rec *r, kt_mtype *t, const char *field, const char *v) {
  kt_mfield *f = kt_mtype_field(t, field);
  if (!f) die(field, NULL);
  if (kt_value_set_text(&r->v[t->pos[f->vidx]], v, strlen(v))) die("out of memory", NULL);
}

static void fill(cl_store *s, long n) {
  kt_err err;
  kt_model *m = cl_store_model(s);
  kt_mtype *to = kt_model_type(m, "org"), *tc = kt_model_type(m, "contact");
  long norgs = n / 10 > 0 ? n / 10 : 1;
  char(*ids)[KT_UUID_STRLEN + 1] = malloc((size_t)norgs * sizeof *ids);
  cl_rec *ro = cl_rec_new(to), *rc = cl_rec_new(tc);
  if (!ids || !ro || !rc) die("out of memory", NULL);
  char buf[200];
  double t0 = now_s();
  if (cl_store_begin(s, &err)) die("begin", &err);
  for (long i = 0; i < norgs; i++) {
    for (int k = 0; k < to->nfields; k++) kt_value_clear(&ro->v[k]);
    snprintf(buf, sizeof buf, "ООО \"%s и партнёры\" №%ld", surnames[rn(14)], i);
    set(ro, to, "name", buf);
    set(ro, to, "city", cities[rn(6)]);
    if (cl_store_add_rec(s, ro, &err)) die("add org", &err);
    memcpy(ids[i], cl_rec_id(ro), KT_UUID_STRLEN + 1);
  }
  for (long i = 0; i < n; i++) {
    for (int k = 0; k < tc->nfields; k++) kt_value_clear(&rc->v[k]);
    set(rc, tc, "last_name", surnames[rn(14)]);
    set(rc, tc, "first_name", names[rn(8)]);
    set(rc, tc, "org", ids[rn((unsigned)norgs)]);
    snprintf(buf, sizeof buf, "+7 9%02u %03u-%02u-%02u", rn(100), rn(1000), rn(100), rn(100));
    set(rc, tc, "phone_mobile", buf);
    snprintf(buf, sizeof buf, "client%ld@example.ru", i);
    set(rc, tc, "email", buf);
    snprintf(buf, sizeof buf, "%04u-%02u-%02u", 1950 + rn(55), 1 + rn(12), 1 + rn(28));
    set(rc, tc, "birthday", buf);
    set(rc, tc, "city", cities[rn(6)]);
    if (rn(4) == 0) set(rc, tc, "comment", "Звонить после обеда; просил счёт, \"срочно\"\nвторая строка");
    if (cl_store_add_rec(s, rc, &err)) die("add contact", &err);
  }
  if (cl_store_commit(s, &err)) die("commit", &err);
  printf("bench_export: filled %ld contacts and %ld organizations in %.1f s (not timed below)\n", n,
         norgs, now_s() - t0);
  cl_rec_free(ro);
  cl_rec_free(rc);
  free(ids);
}

static long peak_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

int main(void) {
  long n = getenv("BENCH_N") ? atol(getenv("BENCH_N")) : 1000000;
  const char *dir = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
  const char *formats = getenv("BENCH_EXPORT_FORMATS") ? getenv("BENCH_EXPORT_FORMATS")
                                                       : "csv xlsx ods vcard html text";
  char db[512], out[600];
  const char *keep = getenv("BENCH_EXPORT_DB");
  snprintf(db, sizeof db, "%s", keep ? keep : "");
  if (!keep) snprintf(db, sizeof db, "%s/bench_export_%d.db", dir, (int)getpid());
  kt_err err;
  cl_store *s;
  cl_open_opts oo = {.locale = "ru"};
  bool fresh = access(db, F_OK) != 0;
  if (fresh && cl_store_create(db, "bench", "local", NULL, &err)) die("create", &err);
  if (cl_store_open(db, &oo, &s, &err)) die("open", &err);
  if (fresh) fill(s, n);
  cl_query q = {.type = "contact"};
  char fmts[200];
  snprintf(fmts, sizeof fmts, "%s", formats);
  printf("%-6s %10s %9s %10s %10s %9s\n", "format", "rows", "seconds", "rows/s", "MB", "peak MiB");
  for (char *f = strtok(fmts, " "); f; f = strtok(NULL, " ")) {
    cl_export_fmt fmt;
    if (cl_export_format(f, &fmt, &err)) die(f, &err);
    snprintf(out, sizeof out, "%s/bench_export_%d.%s", dir, (int)getpid(), f);
    int64_t rows = 0;
    double t0 = now_s();
    if (cl_export(NULL, NULL, s, &q, NULL, 0, fmt, out, &rows, &err)) die(f, &err);
    double dt = now_s() - t0;
    struct stat st;
    stat(out, &st);
    printf("%-6s %10lld %9.2f %10.0f %10.1f %9ld\n", f, (long long)rows, dt, (double)rows / dt,
           (double)st.st_size / 1e6, peak_mib());
    fflush(stdout);
    unlink(out);
  }
  cl_store_close(s);
  if (!keep) {
    unlink(db);
    snprintf(out, sizeof out, "%s-wal", db);
    unlink(out);
    snprintf(out, sizeof out, "%s-shm", db);
    unlink(out);
  }
  return 0;
}
