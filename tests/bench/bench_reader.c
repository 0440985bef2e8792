/* bench_reader — cl_reader on a big replica (BENCH_N contacts, default
 * 1,000,000; Russian and some Polish names, a city, a mobile phone, a
 * birthday; seeded PRNG, loaded through cl_store in one batch, not timed):
 *  - building a view sorted by name (the default order: last, first, middle
 *    name by the ru ICU collation), by birthday (a date) and a filtered one;
 *  - a page of 100 rows at the start, the middle and the end (200 pages each,
 *    positional) and keyset pages forwards/backwards: p50/p99 (goal: p99
 *    under 5 ms anywhere);
 *  - the count, and the first page of a search by a name prefix (view build
 *    + page: newest first, in a city, sorted by last name), each through
 *    the current plans and the plans of before them (no_sort_index), the two
 *    alternating per prefix; pages anywhere in a 250,000-hit search;
 *  - the memory a million-row view holds;
 *  - opening the default view through the stored sort index (cold-ish: the
 *    first open by a new reader; warm: again; goal < 300 ms warm, < 1 s) and
 *    the in-memory sort it replaces, one row N at random positions, and a
 *    scroll through the whole list a page of 100 at a time (time per page).
 * Env: BENCH_N (records), BENCH_DIR (scratch folder; /tmp), BENCH_READER_DB (a
 * replica file to keep between runs: loaded there when missing, reused as it
 * is when present; the patch part renames 21 cards in it each run). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <malloc.h>
#include <unistd.h>

#include "bench_util.h"
#include "cl_reader.h"
#include "cl_store.h"

static const char *const last_m[] = {"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев",
                                      "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров",
                                      "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов",
                                      "Егоров", "Павлов", "Козлов", "Степанов", "Николаев",
                                      "Орлов", "Андреев", "Макаров", "Никитин", "Захаров",
                                      "Ёлкин", "Елкин", "Аристов", "Яковлев", "Жуков"};
static const char *const last_pl[] = {"Łukasiewicz", "Żak", "Ślęzak", "Nowak", "Kowalski",
                                       "Wiśniewski", "Wójcik", "Zieliński", "Szymański", "Dąbrowski"};
static const char *const first[] = {"Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Иван",
                                     "Мария", "Елена", "Ольга", "Наталья", "Анна", "Татьяна",
                                     "Łukasz", "Żaneta", "Paweł", "Agnieszka"};
static const char *const middle[] = {"Иванович", "Петрович", "Сергеевич", "Андреевна",
                                      "Александровна", "Дмитриевна", "Николаевич", NULL};
static const char *const cities[] = {"Москва", "Санкт-Петербург", "Казань", "Тверь", "Kraków",
                                      "Новосибирск", "Екатеринбург", "Самара"};

#define NELEM(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

static uint64_t seed = 0x72656164u;
static unsigned rn(unsigned n) { return (unsigned)(bench_rand(&seed) % n); }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* wall-clock and CPU times of n operations: on a shared 2-core machine the
   wall p99 holds the waits for a core, the CPU p99 the work */
static void report(const char *what, double *ms, double *cpu, int n) {
  if (n <= 0) return;
  qsort(ms, (size_t)n, sizeof *ms, cmp_double);
  qsort(cpu, (size_t)n, sizeof *cpu, cmp_double);
  double p99 = ms[(int)((n - 1) * 0.99)];
  printf("  %-46s p50 %6.3f  p99 %6.3f  max %6.3f ms | CPU p50 %6.3f  p99 %6.3f ms%s\n", what,
         ms[n / 2], p99, ms[n - 1], cpu[n / 2], cpu[(int)((n - 1) * 0.99)],
         p99 < 5.0 ? "" : "  (wall p99 over the 5 ms goal)");
}

/* bytes in use on the heap (the reader maps the file: RSS would count it) */
static double heap_mib(void) { return (double)mallinfo2().uordblks / (1024.0 * 1024.0); }

static void set(kt_rec *r, const char *field, const char *text) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  if (!f) bench_die(field, NULL);
  kt_value *v = &r->v[f - r->type->fields];
  if (!text) kt_value_clear(v);
  else if (kt_value_set_text(v, text, strlen(text))) bench_die("out of memory", NULL);
}

static void load(const char *path, long n) {
  kt_err err;
  if (cl_store_create(path, "bench", "local", NULL, &err)) bench_die("create", &err);
  cl_store *s;
  cl_open_opts oo = {.locale = "ru"};
  if (cl_store_open(path, &oo, &s, &err)) bench_die("open", &err);
  kt_mtype *t = kt_model_type(cl_store_model(s), "contact");
  kt_rec *r = kt_rec_new(t);
  if (!r) bench_die("out of memory", NULL);
  double t0 = bench_now();
  if (cl_store_begin(s, &err)) bench_die("begin", &err);
  for (long i = 0; i < n; i++) {
    for (int k = 0; k < t->nfields; k++) kt_value_clear(&r->v[k]);
    bool pl = rn(10) == 0;
    char last[64], phone[32], bday[16];
    snprintf(last, sizeof last, "%s%s", pl ? last_pl[rn(NELEM(last_pl))] : last_m[rn(NELEM(last_m))],
             !pl && rn(2) ? "а" : "");
    snprintf(phone, sizeof phone, "+7 (9%02u) %03u-%02u-%02u", rn(100), rn(1000), rn(100), rn(100));
    snprintf(bday, sizeof bday, "%04u-%02u-%02u", 1950 + rn(55), 1 + rn(12), 1 + rn(28));
    set(r, "last_name", last);
    set(r, "first_name", first[rn(NELEM(first))]);
    set(r, "middle_name", middle[rn(NELEM(middle))]);
    set(r, "city", cities[rn(NELEM(cities))]);
    set(r, "phone_mobile", phone);
    set(r, "birthday", rn(5) ? bday : NULL);
    r->rowid = 0;
    if (cl_store_add_rec(s, r, &err)) bench_die("add", &err);
    if (i % 200000 == 199999) {
      if (cl_store_commit(s, &err) || cl_store_begin(s, &err)) bench_die("commit", &err);
    }
  }
  if (cl_store_commit(s, &err)) bench_die("commit", &err);
  printf("  loaded %ld contacts through cl_store in %.1f s (set-up, not the benchmark)\n", n,
         bench_now() - t0);
  kt_rec_free(r);
  cl_store_close(s);
}

static double open_view(cl_reader *rd, const cl_view_spec *sp, cl_view **v) {
  kt_err err;
  double t0 = bench_now();
  if (cl_view_open(rd, sp, v, &err)) bench_die("view", &err);
  return (bench_now() - t0) * 1e3;
}

static void free_rows(kt_rec **rows, int got) {
  for (int i = 0; i < got; i++) kt_rec_free(rows[i]);
}

/* 200 positional pages of 100 from `from`, one after the other. */
static void pages_at(cl_view *v, int64_t from, const char *what) {
  enum { PAGES = 200, ROWS = 100 };
  double ms[PAGES], cpu[PAGES];
  kt_rec *rows[ROWS];
  kt_err err;
  int64_t n = cl_view_count(v);
  if (from + (int64_t)PAGES * ROWS > n) from = n - (int64_t)PAGES * ROWS;
  if (from < 0) from = 0;
  for (int i = 0; i < PAGES; i++) {
    int got = 0;
    double t0 = bench_now(), c0 = cpu_ms();
    if (cl_view_page(v, from + (int64_t)i * ROWS, ROWS, rows, &got, &err)) bench_die("page", &err);
    ms[i] = (bench_now() - t0) * 1e3;
    cpu[i] = cpu_ms() - c0;
    free_rows(rows, got);
  }
  report(what, ms, cpu, PAGES);
}

/* 200 keyset pages of 100 forwards from the middle, then 200 backwards. */
static void keyset(cl_view *v) {
  enum { PAGES = 200, ROWS = 100 };
  double ms[PAGES], cpu[PAGES];
  kt_rec *rows[ROWS];
  kt_err err;
  kt_err_clear(&err);
  char id[KT_UUID_STRLEN + 1];
  int got = 0;
  if (cl_view_page(v, cl_view_count(v) / 2, 1, rows, &got, &err) || !got) bench_die("page", &err);
  snprintf(id, sizeof id, "%s", kt_rec_id(rows[0]));
  free_rows(rows, got);
  char start[KT_UUID_STRLEN + 1];
  memcpy(start, id, sizeof id);
  for (int dir = 0; dir < 2; dir++) {
    memcpy(id, start, sizeof id);
    int done = 0;
    for (int i = 0; i < PAGES; i++) {
      double t0 = bench_now(), c0 = cpu_ms();
      int rc = dir == 0 ? cl_view_next(v, id, ROWS, rows, &got, &err)
                        : cl_view_prev(v, id, ROWS, rows, &got, &err);
      ms[i] = (bench_now() - t0) * 1e3;
      cpu[i] = cpu_ms() - c0;
      if (rc) bench_die("keyset page", &err);
      if (!got) break; /* reached the end */
      done++;
      snprintf(id, sizeof id, "%s", kt_rec_id(rows[dir == 0 ? got - 1 : 0]));
      free_rows(rows, got);
    }
    report(dir == 0 ? "keyset page of 100 forwards (from the middle)"
                    : "keyset page of 100 backwards (from the middle)",
           ms, cpu, done);
  }
}

int main(int argc, char **argv) {
  (void)argc;
  bench_init("reader", argv[0]);
  const char *ns = getenv("BENCH_N");
  long n = ns ? atol(ns) : 1000000;
  if (n < 30000) n = 30000; /* 200 pages of 100 at each place */
  char path[400];
  const char *keep = getenv("BENCH_READER_DB");
  snprintf(path, sizeof path, "%s", keep && *keep ? keep : "");
  if (!*path) snprintf(path, sizeof path, "%s/replica.db", bench_dir);
  if (access(path, F_OK) != 0) load(path, n);
  else printf("  reusing the replica %s (BENCH_READER_DB)\n", path);

  kt_err err;
  cl_reader *rd;
  cl_reader_opts ro = {.locale = "ru"};
  if (cl_reader_open(path, &ro, &rd, &err)) bench_die("reader", &err);
  double heap0 = heap_mib();
  cl_view *v;
  cl_view_spec byname = {.type = "contact"};
  double build = open_view(rd, &byname, &v);
  printf("  view of %lld contacts by name (ru collation) through the sort index%s:\n"
         "    opened cold-ish (a new reader's first view) in %.1f ms, holds %.2f MiB "
         "(goal < 1000 ms)\n",
         (long long)cl_view_count(v), cl_view_indexed(v) ? "" : " (NOT USED: in-memory sort)", build,
         heap_mib() - heap0);
  {
    enum { OPENS = 20 };
    double ms[OPENS], cpu[OPENS];
    for (int i = 0; i < OPENS; i++) {
      cl_view *w;
      double c0 = cpu_ms();
      ms[i] = open_view(rd, &byname, &w);
      cpu[i] = cpu_ms() - c0;
      cl_view_free(w);
    }
    qsort(ms, OPENS, sizeof *ms, cmp_double);
    qsort(cpu, OPENS, sizeof *cpu, cmp_double);
    printf("  view open, warm (20 opens): p50 %.1f  max %.1f ms | CPU p50 %.1f ms (goal < 300 ms)%s\n",
           ms[OPENS / 2], ms[OPENS - 1], cpu[OPENS / 2], ms[OPENS / 2] < 300 ? "" : "  OVER THE GOAL");
    cl_reader *rf;
    cl_reader_opts fo = {.locale = "ru", .no_sort_index = true};
    if (cl_reader_open(path, &fo, &rf, &err)) bench_die("reader", &err);
    cl_view *w;
    double c0 = cpu_ms();
    double full = open_view(rf, &byname, &w);
    printf("  the same view sorted in memory (no sort index; what it replaces): %.0f ms, CPU %.0f ms\n",
           full, cpu_ms() - c0);
    cl_view_free(w);
    cl_reader_close(rf);
    double rms[200], rcpu[200];
    int64_t nn = cl_view_count(v);
    for (int i = 0; i < 200; i++) { /* one row N anywhere: bucket + keyset step + point read */
      kt_rec *row[1];
      int got = 0;
      int64_t at = (int64_t)(bench_rand(&seed) % (uint64_t)nn);
      double t1 = bench_now(), c1 = cpu_ms();
      if (cl_view_page(v, at, 1, row, &got, &err) || !got) bench_die("row N", &err);
      rms[i] = (bench_now() - t1) * 1e3;
      rcpu[i] = cpu_ms() - c1;
      free_rows(row, got);
    }
    report("row N at 200 random positions", rms, rcpu, 200);
  }
  double t0 = bench_now();
  int64_t cnt = 0;
  for (int i = 0; i < 1000; i++) cnt += cl_view_count(v);
  printf("  count: %.6f ms (kept by the view; %lld)\n", (bench_now() - t0) * 1e3 / 1000,
         (long long)(cnt / 1000));
  pages_at(v, 0, "page of 100 at the start (by name)");
  pages_at(v, cl_view_count(v) / 2, "page of 100 in the middle (by name)");
  pages_at(v, cl_view_count(v), "page of 100 at the end (by name)");
  keyset(v);
  { /* scrolling through the whole list: every page of 100 in order */
    enum { ROWS = 100 };
    int64_t np = (cl_view_count(v) + ROWS - 1) / ROWS;
    double *ms = malloc((size_t)np * sizeof *ms), *cpu = malloc((size_t)np * sizeof *cpu);
    if (!ms || !cpu) bench_die("out of memory", NULL);
    kt_rec *rows[ROWS];
    double t1 = bench_now();
    for (int64_t i = 0; i < np; i++) {
      int got = 0;
      double t2 = bench_now(), c2 = cpu_ms();
      if (cl_view_page(v, i * ROWS, ROWS, rows, &got, &err)) bench_die("page", &err);
      ms[i] = (bench_now() - t2) * 1e3;
      cpu[i] = cpu_ms() - c2;
      free_rows(rows, got);
    }
    double total = bench_now() - t1;
    char what[80];
    snprintf(what, sizeof what, "scroll: all %lld pages of 100 in order", (long long)np);
    report(what, ms, cpu, (int)np);
    printf("  scroll through the whole list: %.1f s, %.3f ms per page on average\n", total,
           total * 1e3 / (double)np);
    free(ms);
    free(cpu);
  }
  bool changed;
  t0 = bench_now();
  if (cl_view_refresh(v, &changed, &err)) bench_die("refresh", &err);
  printf("  refresh with nothing changed: %.3f ms\n", (bench_now() - t0) * 1e3);
  /* the writer renames the card in the middle: patch vs rebuild */
  {
    cl_store *w;
    cl_open_opts oo = {.locale = "ru"};
    if (cl_store_open(path, &oo, &w, &err)) bench_die("open writer", &err);
    double pms[20], pcpu[20];
    for (int i = 0; i < 20; i++) {
      kt_rec *rows[1];
      int got = 0;
      if (cl_view_page(v, cl_view_count(v) / 4 + i * (cl_view_count(v) / 40), 1, rows, &got, &err) || !got)
        bench_die("page", &err);
      char id[KT_UUID_STRLEN + 1];
      snprintf(id, sizeof id, "%s", kt_rec_id(rows[0]));
      free_rows(rows, got);
      cl_set set = {"last_name", i % 2 ? "Абрамов" : "Яшин"};
      int ch;
      if (cl_store_edit(w, id, &set, 1, &ch, &err)) bench_die("edit", &err);
      const char *ids[] = {id};
      double c0 = cpu_ms();
      t0 = bench_now();
      if (cl_view_patch(v, ids, 1, &err)) bench_die("patch", &err);
      pms[i] = (bench_now() - t0) * 1e3;
      pcpu[i] = cpu_ms() - c0;
    }
    report("patch after one edit (20 edits; indexed: a re-read of the buckets)", pms, pcpu, 20);
    cl_set set = {"last_name", "Последний"};
    kt_rec *rows[1];
    int got = 0, ch;
    if (cl_view_page(v, 0, 1, rows, &got, &err) || !got) bench_die("page", &err);
    if (cl_store_edit(w, kt_rec_id(rows[0]), &set, 1, &ch, &err)) bench_die("edit", &err);
    free_rows(rows, got);
    t0 = bench_now();
    if (cl_view_refresh(v, &changed, &err)) bench_die("refresh", &err);
    printf("  refresh after an edit (a rebuild): %.1f ms\n", (bench_now() - t0) * 1e3);
    cl_store_close(w);
  }
  cl_view_free(v);

  cl_view_spec bybday = {.type = "contact", .sort = "birthday", .desc = true};
  build = open_view(rd, &bybday, &v);
  printf("  view by birthday (a date, newest first): built in %.0f ms\n", build);
  pages_at(v, cl_view_count(v) / 2, "page of 100 in the middle (by birthday)");
  cl_view_free(v);

  cl_view_spec byphone = {.type = "contact", .sort = "phone_mobile"};
  build = open_view(rd, &byphone, &v);
  printf("  view by mobile phone (unique texts: an ICU key each): built in %.0f ms\n", build);
  cl_view_free(v);

  cl_view_filter w = {"city", '=', "Казань"};
  cl_view_spec filtered = {.type = "contact", .where = &w, .nwhere = 1};
  build = open_view(rd, &filtered, &v);
  printf("  view city=Казань by name: %lld rows, built (= counted) in %.0f ms\n",
         (long long)cl_view_count(v), build);
  cl_view_free(v);

  /* the first page of a search by a name prefix: build + page; with a city;
     each through this reader's plans and, as the baseline, the plans of
     before them (no_sort_index: every matching record read) */
  cl_reader *rold;
  cl_reader_opts oldo = {.locale = "ru", .no_sort_index = true};
  if (cl_reader_open(path, &oldo, &rold, &err)) bench_die("reader", &err);
  const char *prefixes[] = {"Ив", "Смир", "Ёлк", "Łuk", "Фёд", "Зах", "Алекс", "Ники", "Żak", "Орл"};
  cl_view_filter kazan = {"city", '=', "Казань"};
  static const char *const kinds[] = {" newest first", " in Казань, newest first", " by last name"};
  for (int kind = 0; kind < 3; kind++) {
    double ms[2][NELEM(prefixes)];
    int64_t rows_total[2] = {0, 0};
    const char *plan[2] = {"", ""}, *plans[NELEM(prefixes)];
    int64_t hits[NELEM(prefixes)];
    for (unsigned i = 0; i < NELEM(prefixes); i++)
      for (int k = 0; k < 2; k++) { /* each prefix through both plans, which first alternating */
        int base = (int)((i + (unsigned)k) % 2);
        cl_view_spec sp = {.type = "contact", .search = prefixes[i],
                           .sort = kind == 2 ? "last_name" : NULL,
                           .where = kind == 1 ? &kazan : NULL, .nwhere = kind == 1};
        kt_rec *rows[100];
        int got = 0;
        t0 = bench_now();
        if (cl_view_open(base ? rold : rd, &sp, &v, &err) || cl_view_page(v, 0, 100, rows, &got, &err))
          bench_die("search", &err);
        ms[base][i] = (bench_now() - t0) * 1e3;
        rows_total[base] += cl_view_count(v);
        plan[base] = cl_view_plan(v);
        if (!base) {
          plans[i] = plan[base];
          hits[i] = cl_view_count(v);
        }
        free_rows(rows, got);
        cl_view_free(v);
      }
    for (unsigned i = 0; kind == 2 && i < NELEM(prefixes); i++) /* which plan each prefix got */
      printf("    %-6s %7lld hits  %7.1f ms (%s), before %7.1f ms\n", prefixes[i], (long long)hits[i],
             ms[0][i], plans[i], ms[1][i]);
    for (int base = 1; base >= 0; base--) {
      char what[160];
      snprintf(what, sizeof what, "search prefix, first page%s (avg %lld hits; %s%s)", kinds[kind],
               (long long)(rows_total[base] / NELEM(prefixes)), plan[base],
               base ? ", BEFORE: no_sort_index" : "");
      qsort(ms[base], NELEM(prefixes), sizeof ms[base][0], cmp_double);
      printf("  %-80s p50 %7.1f ms  max %7.1f ms (goal < 50 ms)%s\n", what, ms[base][NELEM(prefixes) / 2],
             ms[base][NELEM(prefixes) - 1], ms[base][NELEM(prefixes) / 2] < 50 ? "" : "  OVER THE GOAL");
    }
  }
  { /* pages anywhere in the biggest search ("Алекс", ~250,000 hits) */
    cl_view_spec sp = {.type = "contact", .search = "Алекс"};
    if (cl_view_open(rd, &sp, &v, &err)) bench_die("search", &err);
    double rms[200], rcpu[200];
    for (int i = 0; i < 200; i++) {
      kt_rec *rows[100];
      int got = 0;
      int64_t at = (int64_t)(bench_rand(&seed) % (uint64_t)cl_view_count(v));
      double t1 = bench_now(), c1 = cpu_ms();
      if (cl_view_page(v, at, 100, rows, &got, &err)) bench_die("page", &err);
      rms[i] = (bench_now() - t1) * 1e3;
      rcpu[i] = cpu_ms() - c1;
      free_rows(rows, got);
    }
    char what[120];
    snprintf(what, sizeof what, "search Алекс (%lld rows): page of 100 at row N", (long long)cl_view_count(v));
    report(what, rms, rcpu, 200);
    cl_view_free(v);
  }
  cl_reader_close(rold);
  cl_reader_close(rd);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", bench_dir);
  if (system(cmd) != 0) fprintf(stderr, "bench_reader: cannot remove %s\n", bench_dir);
  return 0;
}
