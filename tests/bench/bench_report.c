/* bench_report — issue 17: every report (cl_report_run, all its tables
 * built) over a replica of 300,000 organizations and 3,000,000 deals, each
 * timed beside the bare aggregate SQL it needs over the same deals in the
 * same run (the GROUP BY a report would otherwise be written as), with the
 * ratio. Goal: every report under 2 s and under 3x its bare aggregate.
 *
 * The replica is written directly with SQL (set-up, not timed): 20 managers;
 * one contact per organization and 20,000 private clients (contacts without
 * one); deals of each client at its own rhythm over 2022-2026, inserted in
 * date order as an office enters them (so a client's deals are scattered over
 * the table), 3% quotes, 1% cancelled, 1% refunds, 0.5% undated, 0.5%
 * planned, 3% given only a contact; 600,000 events. Every number is the best
 * of BENCH_REPORT_RUNS (2) runs after one warm-up scan.
 * Env: BENCH_REPORT_ORGS (300000), BENCH_REPORT_DEALS (3000000),
 * BENCH_REPORT_RUNS, BENCH_DIR, BENCH_KEEP (keep the replica), BENCH_REPORT_DB (a replica
 * file to build once and reuse). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include <sqlite3.h>

#include "bench_util.h"
#include "cl_report.h"
#include "cl_store.h"

#define MANAGERS 20
#define AT "2026-06-30"

static uint64_t g_seed = 0x72657031u;
static uint64_t rnd(void) { return bench_rand(&g_seed); }
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

static const char *const adj[] = {"Северный", "Южный", "Новый", "Первый", "Сибирский", "Волжский",
                                  "Уральский", "Балтийский"};
static const char *const noun[] = {"Ветер", "Альянс", "Стандарт", "Проект", "Союз", "Терминал",
                                   "Ресурс", "Регион"};
static const char *const surnames[] = {"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев",
                                       "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров"};
static const char *const stages[] = {"0.5", "0.6", "0.7", "0.8", "0.9", "1.0"};
static const char *const colors[] = {"white", "grey", "green", "yellow", "green-gold"};
static const char *const temps[] = {"cold", "warm", "hot"};
static const char *const etypes[] = {"call", "meeting", "letter", "email", "visit"};
static const char *const results[] = {"reached", "no_answer", "call_back", "interested", "order"};
#define PICK(a) a[rn(sizeof a / sizeof a[0])]

static void die_db(sqlite3 *db, const char *what) {
  fprintf(stderr, "bench_report: %s: %s\n", what, sqlite3_errmsg(db));
  exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die_db(db, sql);
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die_db(db, sql);
  return st;
}

static void step(sqlite3 *db, sqlite3_stmt *st) {
  if (sqlite3_step(st) != SQLITE_DONE) die_db(db, "insert");
  sqlite3_reset(st);
}

/* ids shaped like UUIDv7 text: time-ordered, as the PCs make them */
static void mkid(char out[37], unsigned kind, uint64_t n) {
  snprintf(out, 37, "%08x-%04x-7%03x-8%03x-%012llx", (unsigned)(0x01900000u + (n >> 16)),
           (unsigned)(n & 0xffff), kind, (unsigned)rn(4096), (unsigned long long)(rnd() & 0xffffffffffffull));
}

static int days(int y, int m, int d) { /* days since 1970-01-01 */
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153u * (unsigned)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d - 1;
  return era * 146097 + (int)(yoe * 365 + yoe / 4 - yoe / 100 + doy) - 719468;
}

typedef struct gdeal {
  int32_t client; /* < norgs: an organization; else a private contact */
  int32_t day;
  int64_t amount;
} gdeal;

static int by_day(const void *a, const void *b) {
  const gdeal *x = a, *y = b;
  return (x->day > y->day) - (x->day < y->day);
}

static void build(const char *path, long norgs, long ndeals) {
  kt_err err;
  if (cl_store_create(path, "boss", "local", NULL, &err)) bench_die("create", &err);
  sqlite3 *db;
  if (sqlite3_open(path, &db) != SQLITE_OK) die_db(db, "open");
  exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000; BEGIN");
  long npriv = 20000;
  char (*org_id)[37] = malloc((size_t)norgs * 37), (*ct_id)[37] = malloc((size_t)(norgs + npriv) * 37);
  char mgr[MANAGERS][8];
  for (int m = 0; m < MANAGERS; m++) snprintf(mgr[m], sizeof mgr[m], "m%02d", m + 1);
  unsigned char *owner = malloc((size_t)(norgs + npriv));
  if (!org_id || !ct_id || !owner) bench_die("out of memory", NULL);
  int64_t created0 = 1640995200000LL; /* 2022-01-01 */
  sqlite3_stmt *so = prep(db, "INSERT INTO t_org(id, ver, owner, created, updated, name, phone, "
                              "stage, color, temperature) VALUES (?1, x'', ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8)");
  for (long i = 0; i < norgs; i++) {
    char name[200], phone[40];
    mkid(org_id[i], 1, (uint64_t)i);
    owner[i] = (unsigned char)rn(MANAGERS);
    snprintf(name, sizeof name, "ООО «%s %s-%ld»", PICK(adj), PICK(noun), i);
    snprintf(phone, sizeof phone, "+7 495 %03u-%02u-%02u", rn(1000), rn(100), rn(100));
    sqlite3_bind_text(so, 1, org_id[i], -1, SQLITE_STATIC);
    sqlite3_bind_text(so, 2, mgr[owner[i]], -1, SQLITE_STATIC);
    sqlite3_bind_int64(so, 3, created0 + (int64_t)rn(1640) * 86400000LL);
    sqlite3_bind_text(so, 4, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(so, 5, phone, -1, SQLITE_TRANSIENT);
    if (rn(10) < 6) sqlite3_bind_text(so, 6, PICK(stages), -1, SQLITE_STATIC);
    else sqlite3_bind_null(so, 6);
    if (rn(10) < 3) sqlite3_bind_text(so, 7, PICK(colors), -1, SQLITE_STATIC);
    else sqlite3_bind_null(so, 7);
    if (rn(10) < 2) sqlite3_bind_text(so, 8, PICK(temps), -1, SQLITE_STATIC);
    else sqlite3_bind_null(so, 8);
    step(db, so);
  }
  sqlite3_finalize(so);
  sqlite3_stmt *sc = prep(db, "INSERT INTO t_contact(id, ver, owner, created, updated, last_name, "
                              "first_name, org, phone_mobile) VALUES (?1, x'', ?2, ?3, ?3, ?4, ?5, ?6, ?7)");
  for (long i = 0; i < norgs + npriv; i++) {
    char phone[40];
    mkid(ct_id[i], 2, (uint64_t)i);
    if (i >= norgs) owner[i] = (unsigned char)rn(MANAGERS);
    snprintf(phone, sizeof phone, "+7 916 %03u-%02u-%02u", rn(1000), rn(100), rn(100));
    sqlite3_bind_text(sc, 1, ct_id[i], -1, SQLITE_STATIC);
    sqlite3_bind_text(sc, 2, mgr[owner[i]], -1, SQLITE_STATIC);
    sqlite3_bind_int64(sc, 3, created0 + (int64_t)rn(1640) * 86400000LL);
    sqlite3_bind_text(sc, 4, PICK(surnames), -1, SQLITE_STATIC);
    sqlite3_bind_text(sc, 5, "Иван", -1, SQLITE_STATIC);
    if (i < norgs) sqlite3_bind_text(sc, 6, org_id[i], -1, SQLITE_STATIC);
    else sqlite3_bind_null(sc, 6);
    sqlite3_bind_text(sc, 7, phone, -1, SQLITE_TRANSIENT);
    step(db, sc);
  }
  sqlite3_finalize(sc);
  /* each client buys at its own rhythm; deals are then entered in date order */
  gdeal *g = malloc((size_t)ndeals * sizeof *g);
  if (!g) bench_die("out of memory", NULL);
  long n = 0, nclients = norgs + npriv;
  int d0 = days(2022, 1, 1), d1 = days(2026, 6, 30);
  for (long c = 0; n < ndeals; c = (c + 1) % nclients) {
    long cl = c < norgs ? c : (rn(20) == 0 ? c : (long)rn((unsigned)norgs));
    int every = 7 + (int)rn(120), k = 1 + (int)rn(19), day = d0 + (int)rn((unsigned)(d1 - d0));
    int64_t basket = 1000 + (int64_t)rn(500000);
    for (int j = 0; j < k && n < ndeals; j++, day += every / 2 + (int)rn((unsigned)every + 1))
      g[n++] = (gdeal){(int32_t)cl, day, basket / 2 + (int64_t)rn((unsigned)basket)};
  }
  qsort(g, (size_t)n, sizeof *g, by_day);
  sqlite3_stmt *sd = prep(db, "INSERT INTO t_deal(id, ver, owner, created, updated, date, amount, "
                              "paid, state, units, org, contact) VALUES (?1, x'', ?2, ?3, ?3, ?4, ?5, "
                              "?6, ?7, ?8, ?9, ?10)");
  for (long i = 0; i < n; i++) {
    char id[37], date[11], units[16];
    mkid(id, 7, (uint64_t)i);
    unsigned r = rn(1000);
    int day = g[i].day > d1 && r >= 5 ? d1 : g[i].day;
    if (r < 5) day = d1 + 1 + (int)rn(60); /* planned */
    cl_report_day_format(day, date);
    const char *state = r < 40 ? "quote" : r < 50 ? "cancelled" : rn(3) ? "invoice" : "paid";
    int64_t amount = r >= 50 && r < 60 ? -g[i].amount / 4 : g[i].amount;
    int64_t paid = rn(4) ? amount : amount / 2;
    long cl = g[i].client;
    sqlite3_bind_text(sd, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(sd, 2, mgr[owner[cl]], -1, SQLITE_STATIC);
    sqlite3_bind_int64(sd, 3, created0 + (int64_t)(day - d0) * 86400000LL);
    if (r >= 60 && r < 65) sqlite3_bind_null(sd, 4); /* undated */
    else sqlite3_bind_text(sd, 4, date, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(sd, 5, amount);
    sqlite3_bind_int64(sd, 6, paid);
    sqlite3_bind_text(sd, 7, state, -1, SQLITE_STATIC);
    snprintf(units, sizeof units, "%u", 1 + rn(20));
    sqlite3_bind_text(sd, 8, units, -1, SQLITE_TRANSIENT);
    bool only_contact = cl >= norgs || (r >= 100 && r < 130);
    if (only_contact) sqlite3_bind_null(sd, 9);
    else sqlite3_bind_text(sd, 9, org_id[cl], -1, SQLITE_STATIC);
    if (cl >= norgs || only_contact) sqlite3_bind_text(sd, 10, ct_id[cl], -1, SQLITE_STATIC);
    else sqlite3_bind_null(sd, 10);
    step(db, sd);
  }
  sqlite3_finalize(sd);
  free(g);
  sqlite3_stmt *se = prep(db, "INSERT INTO t_event(id, ver, owner, created, updated, type, title, "
                              "start, assignee, org, status, result) VALUES (?1, x'', ?2, ?3, ?3, ?4, "
                              "'Звонок', ?3, ?5, ?6, ?7, ?8)");
  int64_t ev0 = 1656633600000LL; /* 2022-07-01 */
  for (long i = 0; i < 600000; i++) {
    char id[37];
    long o = (long)rn((unsigned)norgs);
    mkid(id, 4, (uint64_t)i);
    sqlite3_bind_text(se, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(se, 2, mgr[owner[o]], -1, SQLITE_STATIC);
    sqlite3_bind_int64(se, 3, ev0 + (int64_t)(i * 105LL) * 1000LL * 60LL);
    sqlite3_bind_text(se, 4, PICK(etypes), -1, SQLITE_STATIC);
    sqlite3_bind_text(se, 5, mgr[owner[o]], -1, SQLITE_STATIC);
    sqlite3_bind_text(se, 6, org_id[o], -1, SQLITE_STATIC);
    sqlite3_bind_text(se, 7, rn(10) ? "done" : "cancelled", -1, SQLITE_STATIC);
    sqlite3_bind_text(se, 8, PICK(results), -1, SQLITE_STATIC);
    step(db, se);
  }
  sqlite3_finalize(se);
  exec(db, "COMMIT; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(db);
  free(org_id);
  free(ct_id);
  free(owner);
}

/* ---- timing ------------------------------------------------------------------------ */

#define PURCHASE "deleted = 0 AND state NOT IN ('quote', 'cancelled') AND "

typedef struct job {
  const char *report;
  cl_report_opts o;
  const char *sql[2]; /* the bare aggregate: its statements, stepped to the end */
} job;

/* CPU seconds of this process: the machine's 2 cores are shared, so wall
 * time alone says as much about the neighbours as about the code */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double bare(sqlite3 *db, const job *j, long *rows, double *cpu) {
  double t0 = bench_now(), c0 = cpu_now();
  *rows = 0;
  for (int k = 0; k < 2 && j->sql[k]; k++) {
    sqlite3_stmt *st = prep(db, j->sql[k]);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) (*rows)++;
    if (rc != SQLITE_DONE) die_db(db, j->sql[k]);
    sqlite3_finalize(st);
  }
  *cpu = cpu_now() - c0;
  return bench_now() - t0;
}

static double run(cl_store *s, const job *j, size_t *rows, double *cpu) {
  kt_err err;
  cl_report *r = NULL;
  double t0 = bench_now(), c0 = cpu_now();
  if (cl_report_run(s, j->report, &j->o, &r, &err)) bench_die(j->report, &err);
  double t = bench_now() - t0;
  *cpu = cpu_now() - c0;
  const cl_rtable *m = cl_report_main(r);
  *rows = m ? cl_rtable_nrows(m) : 0;
  cl_report_free(r);
  return t;
}

int main(int argc, char **argv) {
  (void)argc;
  bench_init("bench_report", argv[0]);
  const char *e = getenv("BENCH_REPORT_ORGS");
  long norgs = e && *e ? atol(e) : 300000;
  e = getenv("BENCH_REPORT_DEALS");
  long ndeals = e && *e ? atol(e) : 3000000;
  e = getenv("BENCH_REPORT_RUNS");
  int runs = e && *e ? atoi(e) : 2;
  if (norgs < 100) norgs = 100;
  if (ndeals < 1000) ndeals = 1000;
  if (runs < 1) runs = 1;
  char path[400];
  const char *reuse = getenv("BENCH_REPORT_DB"); /* a replica built before (kept) */
  snprintf(path, sizeof path, "%s", reuse && *reuse ? reuse : "");
  if (!*path) snprintf(path, sizeof path, "%s/replica.db", bench_dir);
  FILE *have = fopen(path, "r");
  if (have) {
    fclose(have);
    printf("replica: %s (built before)\n", path);
  } else {
    double t0 = bench_now();
    pid_t child = fork(); /* built in a child: its memory is not the reports' peak below */
    if (child == 0) {
      build(path, norgs, ndeals);
      _exit(0);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
      bench_die("building the replica failed", NULL);
    printf("replica: %ld organizations, %ld deals, 600000 events, built in %.1f s (not timed)\n",
           norgs, ndeals, bench_now() - t0);
  }

  cl_store *s;
  kt_err err;
  cl_open_opts oo = {.locale = "ru"};
  if (cl_store_open(path, &oo, &s, &err)) bench_die("open", &err);
  sqlite3 *db = cl_store_sqlite(s);
  long rows;
  double cpu;
  bare(db, &(job){.sql = {"SELECT count(*), sum(amount) FROM t_deal WHERE deleted = 0"}}, &rows, &cpu);

  const job jobs[] = {
      {"period", {.at = AT},
       {"SELECT org, substr(date, 1, 7), count(*), sum(amount) FROM t_deal WHERE " PURCHASE
        "date BETWEEN '2023-07-01' AND '" AT "' GROUP BY 1, 2"}},
      {"activity", {.at = AT},
       {"SELECT org, min(date), max(date), count(*), sum(amount) FROM t_deal WHERE " PURCHASE
        "date <= '" AT "' GROUP BY org"}},
      {"lapsed", {.at = AT},
       {"SELECT org, max(date), count(*), sum(amount) FROM t_deal WHERE " PURCHASE "date <= '" AT
        "' GROUP BY org"}},
      {"vip", {.at = AT},
       {"SELECT substr(date, 1, 7), org, sum(amount) FROM t_deal WHERE " PURCHASE
        "date BETWEEN '2025-11-01' AND '2026-05-31' GROUP BY 1, 2"}},
      {"abc", {.at = AT},
       {"SELECT org, sum(amount) AS v FROM t_deal WHERE " PURCHASE
        "date BETWEEN '2025-07-01' AND '" AT "' GROUP BY org ORDER BY v DESC"}},
      {"rfm", {.at = AT},
       {"SELECT org, max(date), count(*), sum(amount) FROM t_deal WHERE " PURCHASE
        "date BETWEEN '2025-07-01' AND '" AT "' GROUP BY org"}},
      {"funnel", {.at = AT},
       {"SELECT org, count(*), max(date) FROM t_deal WHERE " PURCHASE "date <= '" AT "' GROUP BY org",
        "SELECT stage, color, temperature, count(*) FROM t_org WHERE deleted = 0 GROUP BY 1, 2, 3"}},
      {"managers", {.at = AT},
       {"SELECT o.owner, count(*), sum(d.amount), sum(d.paid), sum(max(d.amount - coalesce(d.paid, "
        "0), 0)) FROM t_deal d JOIN t_org o ON o.id = d.org WHERE d.deleted = 0 AND d.state NOT IN "
        "('quote', 'cancelled') AND d.date <= '" AT "' GROUP BY o.owner",
        "SELECT coalesce(assignee, owner), type, result, count(*) FROM t_event WHERE deleted = 0 AND "
        "start >= 1780272000000 AND start < 1782864000000 GROUP BY 1, 2, 3"}},
  };
  printf("%-9s %9s %9s %7s %8s %8s %10s %10s  %s\n", "report", "report s", "bare s", "ratio",
         "rep cpu", "bare cpu", "rows", "bare rows", "goal (< 2 s, < 3x)");
  int bad = 0;
  for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
    double tb = 1e9, tr = 1e9, cb = 1e9, cr = 1e9;
    size_t rr = 0;
    for (int k = 0; k < runs; k++) {
      double c1, c2, b = bare(db, &jobs[i], &rows, &c1), r = run(s, &jobs[i], &rr, &c2);
      if (b < tb) tb = b;
      if (r < tr) tr = r;
      if (c1 < cb) cb = c1;
      if (c2 < cr) cr = c2;
    }
    bool ok = tr < 2.0 && tr < 3 * tb;
    bad += !ok;
    printf("%-9s %9.3f %9.3f %6.2fx %8.3f %8.3f %10zu %10ld  %s\n", jobs[i].report, tr, tb, tr / tb,
           cr, cb, rr, rows, ok ? "ok" : "MISSED");
    fflush(stdout);
  }
  /* show: one card's figures need every client's total (its ABC class) */
  char id[64] = "";
  sqlite3_stmt *st = prep(db, "SELECT org FROM t_deal WHERE org IS NOT NULL LIMIT 1");
  if (sqlite3_step(st) == SQLITE_ROW) snprintf(id, sizeof id, "%s", sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  cl_client_sales cs;
  double t1 = bench_now();
  if (cl_report_client_sales(s, id, &cs, &err)) bench_die("client sales", &err);
  printf("show (one card's sales and ABC class): %.3f s\n", bench_now() - t1);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("peak memory of the reports: %ld MiB\n", ru.ru_maxrss / 1024);
  cl_store_close(s);
  if (!getenv("BENCH_KEEP")) bench_run("rm -rf '%s'", bench_dir);
  else printf("kept %s\n", bench_dir);
  return bad ? 1 : 0;
}
