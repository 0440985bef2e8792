/* bench_sync — the sync numbers issue #3 asks for, against a real kartotekad
 * (build/release/bin, started by this program) over TLS on loopback:
 *  (a) a fresh client replicating 100,000 organizations, 200,000 contacts and
 *      500,000 events (search index included), versus raw SQLite inserting the
 *      same rows into the same tables and building the same two FTS5 indexes;
 *  (b) 10,000 edits pushed and acknowledged, versus the same edits applied to a
 *      copy of the master with plain SQL (row + feed + counter, one transaction);
 *  (c) a reconnect with nothing new (TLS + Hello + Resume + empty Pull): the
 *      server's CPU time per reconnect;
 *  (d) edit-on-one-client to visible-on-another latency with live notify, 100
 *      edits/s, while 1,000 idle authenticated clients are connected;
 *  (e) 10,000 idle TLS clients: server memory per connection and CPU while idle.
 * Loading the master is set-up (in-process server functions, not timed).
 * Env: BENCH_SYNC_SCALE (fraction of the record counts, default 1),
 * BENCH_SYNC_IDLE (idle clients for (e), default 10000), BENCH_DIR, BENCH_KEEP,
 * BENCH_SYNC_PERF_A/_B/_C/_D=FILE (perf record this program and the server during (a),
 * (b), (c) or (d)), BENCH_SYNC_SKIP=letters (phases to leave out while iterating: "bde"). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <sqlite3.h>
#include <uv.h>

#include "cl_session.h"
#include "cl_store.h"
#include "cl_sync.h"
#include "kt_buf.h"
#include "kt_change.h"
#include "kt_frame.h"
#include "kt_hlc.h"
#include "kt_model.h"
#include "kt_rec.h"
#include "kt_text.h"
#include "kt_uuid.h"
#include "srv_db.h"
#include "srv_sync.h"

#define FTS_ROWID(tcode, rowid) (((int64_t)(tcode) << 40) | (int64_t)(rowid))

/* ---- small helpers --------------------------------------------------------------- */

static uint64_t g_seed = 0x73796e63u;
static uint64_t rnd(void) {
  uint64_t z = (g_seed += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }
#define NELEM(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))
#define PICK(a) ((a)[rn(NELEM(a))])

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t g_srv;

static void die(const char *what, const kt_err *e) {
  fprintf(stderr, "bench_sync: %s: %s\n", what, e ? e->msg : "");
  if (g_srv > 0) kill(g_srv, SIGTERM);
  exit(1);
}

static void exec_or_die(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    fprintf(stderr, "bench_sync: %s: %s\n", sql, msg ? msg : "");
    exit(1);
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static char g_bin[600]; /* build/release/bin */
static char g_dir[300];

static void run_or_die(const char *cmd) {
  if (system(cmd) != 0) {
    fprintf(stderr, "bench_sync: command failed: %s\n", cmd);
    if (g_srv > 0) kill(g_srv, SIGTERM);
    exit(1);
  }
}

static void capture(const char *cmd, char *out, size_t n) {
  FILE *f = popen(cmd, "r");
  if (!f || !fgets(out, (int)n, f)) {
    fprintf(stderr, "bench_sync: command failed: %s\n", cmd);
    exit(1);
  }
  pclose(f);
  out[strcspn(out, "\r\n")] = '\0';
}

/* server CPU in seconds: all threads, from schedstat (ns) */
static double srv_cpu(void) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/task", (int)g_srv);
  DIR *d = opendir(p);
  double total = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char f[400];
    snprintf(f, sizeof f, "/proc/%d/task/%s/schedstat", (int)g_srv, e->d_name);
    FILE *fp = fopen(f, "r");
    unsigned long long ns = 0;
    if (fp && fscanf(fp, "%llu", &ns) == 1) total += (double)ns / 1e9;
    if (fp) fclose(fp);
  }
  if (d) closedir(d);
  return total;
}

/* Waits (at most 10 s) until the server has been idle for 300 ms: the
 * background work of the phase before (WAL checkpoints, search-index merges
 * after the pushes of (b)) is that phase's cost, not the next one's. */
static void srv_quiesce(void) {
  double last = srv_cpu();
  int calm = 0;
  for (int i = 0; i < 100 && calm < 3; i++) {
    usleep(100000);
    double now = srv_cpu();
    calm = now - last < 0.0005 ? calm + 1 : 0;
    last = now;
  }
}

/* CPU time of this process (the client side of the benchmark), seconds */
static double self_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long srv_rss_kb(void) {
  char p[64], line[256];
  snprintf(p, sizeof p, "/proc/%d/status", (int)g_srv);
  FILE *f = fopen(p, "r");
  long kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kb = atol(line + 6);
  if (f) fclose(f);
  return kb;
}

static void srv_start(const char *data, char *addr, size_t n) {
  char out[400], errf[400];
  snprintf(out, sizeof out, "%.300s/serve.out", g_dir);
  snprintf(errf, sizeof errf, "%.300s/serve.err", g_dir);
  unlink(out);
  pid_t pid = fork();
  if (pid == 0) {
    int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(errf, O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fo, 1);
    dup2(fe, 2);
    char ktd[700];
    snprintf(ktd, sizeof ktd, "%s/kartotekad", g_bin);
    execl(ktd, "kartotekad", "serve", "--data", data, "--listen", "127.0.0.1:0", (char *)NULL);
    _exit(127);
  }
  g_srv = pid;
  for (int i = 0; i < 200; i++) {
    FILE *f = fopen(out, "r");
    char line[200] = "";
    if (f && fgets(line, sizeof line, f) && strncmp(line, "listening ", 10) == 0) {
      fclose(f);
      snprintf(addr, n, "%.100s", line + 10);
      addr[strcspn(addr, "\r\n")] = '\0';
      return;
    }
    if (f) fclose(f);
    usleep(50000);
  }
  fprintf(stderr, "bench_sync: the server did not start (see %s)\n", errf);
  exit(1);
}

static void srv_stop(void) {
  if (g_srv <= 0) return;
  kill(g_srv, SIGTERM);
  int st;
  waitpid(g_srv, &st, 0);
  g_srv = 0;
}

/* perf record of this program and the server while a phase runs, when the
 * environment variable `var` names the output file; 0 when not asked for. */
static pid_t perf_start(const char *var) {
  const char *out = getenv(var);
  if (!out || !*out) return 0;
  char pids[64];
  snprintf(pids, sizeof pids, "%d,%d", (int)getpid(), (int)g_srv);
  pid_t perf = fork();
  if (perf == 0) {
    execlp("perf", "perf", "record", "-F", "1999", "--call-graph", "dwarf,16384", "-p", pids,
           "-o", out, (char *)NULL);
    _exit(127);
  }
  sleep(1);
  return perf;
}

static void perf_stop(pid_t perf) {
  if (perf <= 0) return;
  kill(perf, SIGINT);
  waitpid(perf, NULL, 0);
}

static bool skip(char phase) {
  const char *e = getenv("BENCH_SYNC_SKIP");
  return e && strchr(e, phase);
}

/* ---- generated data ----------------------------------------------------------------- */

static const char *const surnames[] = {
    "Иванов",  "Смирнов", "Кузнецов", "Попов",    "Васильев", "Петров",   "Соколов",
    "Михайлов", "Новиков", "Фёдоров",  "Морозов",  "Волков",   "Алексеев", "Лебедев",
    "Семёнов", "Егоров",  "Павлов",   "Козлов",   "Степанов", "Николаев", "Орлов",
    "Андреев", "Макаров", "Никитин",  "Захаров",  "Зайцев",   "Соловьёв", "Борисов"};
static const char *const firsts[] = {"Александр", "Алексей", "Андрей", "Артём", "Борис",
                                     "Виктор",    "Дмитрий", "Евгений", "Иван", "Игорь",
                                     "Анна",      "Елена",   "Мария",   "Ольга", "Наталья"};
static const char *const middles[] = {"Александрович", "Сергеевич", "Иванович", "Петровна",
                                      "Андреевна",     "Олегович",  "Юрьевна"};
static const char *const cities[] = {"Москва",  "Санкт-Петербург", "Новосибирск", "Екатеринбург",
                                     "Казань",  "Нижний Новгород", "Челябинск",   "Самара",
                                     "Омск",    "Ростов-на-Дону",  "Уфа",         "Красноярск",
                                     "Воронеж", "Пермь",           "Волгоград",   "Тверь"};
static const char *const streets[] = {"ул. Ленина", "ул. Советская", "пр-т Мира", "ул. Гагарина",
                                      "ул. Пушкина", "ул. Садовая", "ул. Лесная", "ул. Кирова"};
static const char *const adj[] = {"Северный", "Южный", "Новый", "Первый", "Сибирский",
                                  "Уральский", "Волжский", "Торговый", "Золотой", "Надёжный"};
static const char *const noun[] = {"Ветер", "Альянс", "Стандарт", "Проект", "Союз", "Терминал",
                                   "Капитал", "Транзит", "Меридиан", "Горизонт", "Вектор"};
static const char *const industries[] = {"Оптовая торговля", "Строительство", "Грузоперевозки",
                                         "Информационные технологии", "Металлообработка",
                                         "Консалтинг", "Логистика и склады", "Полиграфия"};
static const char *const positions[] = {"генеральный директор", "главный бухгалтер",
                                        "менеджер по продажам", "инженер", "юрист",
                                        "специалист по закупкам", "логист"};
static const char *const words[] = {"звонить", "после", "обеда", "просили", "перезвонить",
                                    "в понедельник", "интересует", "поставка", "оборудования",
                                    "скидка", "на следующий", "квартал", "договор", "подписан",
                                    "ждут", "счёт", "отправили", "коммерческое", "предложение"};
static const char *const ev_types[] = {"call", "meeting", "letter", "email", "visit"};
static const char *const ev_titles[] = {"Звонок по договору", "Встреча в офисе",
                                        "Отправить предложение", "Презентация продукта",
                                        "Уточнить реквизиты", "Согласовать отгрузку"};
static const char *const ev_status[] = {"planned", "done", "cancelled"};
static const char *const ev_result[] = {"reached", "no_answer", "call_back", "agreed", "order"};

static void gen_phone(char *out, size_t n, bool mobile) {
  snprintf(out, n, "+7 (%03u) %03u-%02u-%02u", mobile ? 900 + rn(100) : 300 + rn(600), rn(1000),
           rn(100), rn(100));
}

static void gen_comment(char *out, size_t n) {
  size_t len = 0;
  unsigned k = 5 + rn(8);
  out[0] = '\0';
  for (unsigned i = 0; i < k && len + 40 < n; i++)
    len += (size_t)snprintf(out + len, n - len, "%s%s", i ? " " : "", PICK(words));
}

typedef struct loader {
  srv_sync *sync;
  kt_model *model;
  kt_hlc hlc;
  kt_uuid_gen ugen;
  char dev[KT_UUID_STRLEN + 1];
  Kartoteka__Change *vals;
  Kartoteka__Change **chs;
  kt_rec **recs;
  size_t n, cap;
  uint64_t counter;
} loader;

static const char *loader_devname(void *ud, uint32_t idx) {
  (void)idx;
  return ((loader *)ud)->dev;
}

static void loader_flush(loader *L) {
  if (!L->n) return;
  Kartoteka__Push push = KARTOTEKA__PUSH__INIT;
  push.changes = L->chs;
  push.n_changes = L->n;
  Kartoteka__PushAck ack = KARTOTEKA__PUSH_ACK__INIT;
  srv_writer w = {L->dev, "boss", NULL};
  kt_err err;
  if (srv_sync_push(L->sync, &w, &push, &ack, &err)) die("loading the master", &err);
  for (size_t i = 0; i < ack.n_results; i++)
    if (ack.results[i]->status == KARTOTEKA__CHANGE_RESULT__STATUS__REJECTED)
      die(ack.results[i]->reason, NULL);
  srv_sync_ack_free(&ack);
  for (size_t i = 0; i < L->n; i++) {
    kt_change_clear(&L->vals[i]);
    kt_rec_free(L->recs[i]);
  }
  L->n = 0;
}

static void set_f(kt_rec *r, const char *field, const char *text) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  if (!f) die(field, NULL);
  kt_err err;
  kt_value v = {KT_V_NULL, 0, NULL};
  if (kt_mfield_parse(f, text, &v, &err)) die(field, &err);
  int pos = r->type->pos[f->vidx];
  kt_value_clear(&r->v[pos]);
  r->v[pos] = v;
}

static void set_i(kt_rec *r, const char *field, int64_t i) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  if (!f) die(field, NULL);
  kt_value_set_int(&r->v[r->type->pos[f->vidx]], i);
}

/* Adds r (values set; id, owner, created and versions filled here) to the batch. */
static void loader_add(loader *L, kt_rec *r, char id_out[KT_UUID_STRLEN + 1]) {
  kt_err err;
  uint64_t now = kt_now_ms();
  kt_uuid u;
  if (kt_uuid_gen_next(&L->ugen, now, &u, &err)) die("uuid", &err);
  kt_uuid_format(&u, id_out);
  kt_value_set_text(&r->v[KT_F_ID], id_out, KT_UUID_STRLEN);
  kt_value_set_text(&r->v[KT_F_OWNER], "boss", 4);
  kt_value_set_int(&r->v[KT_F_CREATED], (int64_t)now);
  kt_stamp stamp = kt_hlc_now(&L->hlc);
  for (int k = 0; k < r->type->nfields; k++) {
    if (k == KT_F_UPDATED || r->v[k].kind == KT_V_NULL) continue;
    r->vers.f[r->type->fields[k].vidx] = (kt_fver){stamp, 1};
  }
  size_t i = L->n;
  kartoteka__change__init(&L->vals[i]);
  if (kt_change_from_rec(r, NULL, NULL, loader_devname, L, &L->vals[i], &err)) die("change", &err);
  L->vals[i].counter = ++L->counter;
  L->chs[i] = &L->vals[i];
  L->recs[i] = r;
  if (++L->n == L->cap) loader_flush(L);
}

typedef char uuid_s[KT_UUID_STRLEN + 1];

static void load_master(const char *data, long norg, long ncon, long nev, uuid_s *orgs,
                        uuid_s *cons) {
  srv_db db;
  kt_err err;
  if (srv_db_open(&db, data, false, &err)) die("open master", &err);
  loader L;
  memset(&L, 0, sizeof L);
  kt_hlc_init(&L.hlc, 0, NULL, NULL);
  if (kt_uuid_new_str(L.dev, &err)) die("uuid", &err);
  if (srv_sync_new(&db, &L.hlc, "00000000-0000-7000-8000-000000000001", &L.sync, &err))
    die("srv_sync_new", &err);
  if (kt_model_new(&L.model, &err)) die("model", &err);
  L.cap = 5000;
  L.vals = calloc(L.cap, sizeof *L.vals);
  L.chs = calloc(L.cap, sizeof *L.chs);
  L.recs = calloc(L.cap, sizeof *L.recs);
  kt_mtype *to = kt_model_type(L.model, "org"), *tc = kt_model_type(L.model, "contact"),
           *te = kt_model_type(L.model, "event");
  char b[600];
  for (long i = 0; i < norg; i++) {
    kt_rec *r = kt_rec_new(to);
    snprintf(b, sizeof b, "ООО \"%s %s\"", PICK(adj), PICK(noun));
    set_f(r, "name", b);
    snprintf(b, sizeof b, "%010llu", (unsigned long long)(rnd() % 10000000000ull));
    set_f(r, "tax_id", b);
    set_f(r, "industry", PICK(industries));
    set_f(r, "city", PICK(cities));
    snprintf(b, sizeof b, "%s, д. %u, оф. %u", PICK(streets), 1 + rn(150), 1 + rn(900));
    set_f(r, "street", b);
    gen_phone(b, sizeof b, false);
    set_f(r, "phone", b);
    snprintf(b, sizeof b, "info%ld@example%u.ru", i, rn(1000));
    set_f(r, "email", b);
    gen_comment(b, sizeof b);
    set_f(r, "comment", b);
    loader_add(&L, r, orgs[i]);
  }
  for (long i = 0; i < ncon; i++) {
    kt_rec *r = kt_rec_new(tc);
    set_f(r, "last_name", PICK(surnames));
    set_f(r, "first_name", PICK(firsts));
    set_f(r, "middle_name", PICK(middles));
    set_f(r, "position", PICK(positions));
    if (norg && rn(10) < 8) set_f(r, "org", orgs[rn((unsigned)norg)]);
    gen_phone(b, sizeof b, false);
    set_f(r, "phone_work", b);
    gen_phone(b, sizeof b, true);
    set_f(r, "phone_mobile", b);
    snprintf(b, sizeof b, "c%ld@mail.ru", i);
    set_f(r, "email", b);
    set_f(r, "city", PICK(cities));
    snprintf(b, sizeof b, "%04u-%02u-%02u", 1950 + rn(55), 1 + rn(12), 1 + rn(28));
    set_f(r, "birthday", b);
    if (rn(10) < 4) {
      gen_comment(b, sizeof b);
      set_f(r, "comment", b);
    }
    loader_add(&L, r, cons[i]);
  }
  int64_t t0 = (int64_t)kt_now_ms() - 365LL * 86400000;
  for (long i = 0; i < nev; i++) {
    kt_rec *r = kt_rec_new(te);
    uuid_s id;
    set_f(r, "type", PICK(ev_types));
    set_f(r, "title", PICK(ev_titles));
    set_i(r, "start", t0 + (int64_t)(rnd() % (730ull * 86400000)));
    set_i(r, "duration", 900000 * (1 + rn(8)));
    set_f(r, "assignee", "boss");
    if (norg) set_f(r, "org", orgs[rn((unsigned)norg)]);
    if (ncon && rn(2)) set_f(r, "contact", cons[rn((unsigned)ncon)]);
    set_f(r, "status", PICK(ev_status));
    set_f(r, "result", PICK(ev_result));
    if (rn(10) < 3) {
      gen_comment(b, sizeof b);
      set_f(r, "comment", b);
    }
    loader_add(&L, r, id);
  }
  loader_flush(&L);
  free(L.vals);
  free(L.chs);
  free(L.recs);
  kt_model_free(L.model);
  srv_sync_free(L.sync);
  srv_db_close(&db);
}

/* ---- raw baseline for (a) ------------------------------------------------------------ */

static void sql_body(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  kt_buf b = KT_BUF_INIT;
  for (int i = 0; i < argc; i++) {
    if (sqlite3_value_type(argv[i]) != SQLITE_TEXT) continue;
    if (b.len) kt_buf_putc(&b, ' ');
    kt_text_fold((const char *)sqlite3_value_text(argv[i]), (size_t)sqlite3_value_bytes(argv[i]),
                 &b);
  }
  if (b.len) sqlite3_result_text(ctx, b.p, (int)b.len, SQLITE_TRANSIENT);
  else sqlite3_result_null(ctx);
  kt_buf_free(&b);
}

static void sql_phones(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  kt_buf b = KT_BUF_INIT;
  for (int i = 0; i < argc; i++) {
    if (sqlite3_value_type(argv[i]) != SQLITE_TEXT) continue;
    char digits[40];
    if (kt_phone_normalize((const char *)sqlite3_value_text(argv[i]), "7", digits,
                           sizeof digits) <= 0)
      continue;
    if (b.len) kt_buf_putc(&b, ' ');
    kt_buf_puts(&b, digits);
  }
  if (b.len) sqlite3_result_text(ctx, b.p, (int)b.len, SQLITE_TRANSIENT);
  else sqlite3_result_null(ctx);
  kt_buf_free(&b);
}

typedef struct rowset {
  int ncol;
  size_t nrow;
  sqlite3_value **v; /* nrow * ncol */
} rowset;

/* Same tables, indexes and FTS5 tables as the replica; the same rows inserted
 * with prepared statements in one transaction, then the index built. */
static double raw_baseline(cl_store *s, const char *path, double *t_rows, double *t_fts) {
  static const char *const types[] = {"org", "contact", "event"};
  sqlite3 *src = cl_store_sqlite(s);
  kt_model *m = cl_store_model(s);
  sqlite3 *db;
  if (sqlite3_open(path, &db) != SQLITE_OK) die("open raw", NULL);
  exec_or_die(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; "
                  "PRAGMA cache_size=-65536;");
  sqlite3_create_function(db, "bench_body", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_body,
                          NULL, NULL);
  sqlite3_create_function(db, "bench_phones", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                          sql_phones, NULL, NULL);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(src,
                         "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND (name IN ('fts', "
                         "'fts_phone', 't_org', 't_contact', 't_event') OR (type = 'index' AND "
                         "tbl_name IN ('t_org', 't_contact', 't_event')))",
                         -1, &st, NULL) != SQLITE_OK)
    die("schema", NULL);
  while (sqlite3_step(st) == SQLITE_ROW) exec_or_die(db, (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  rowset rs[3];
  sqlite3_stmt *ins[3];
  kt_buf body_sql[3], phone_sql[3];
  for (int k = 0; k < 3; k++) {
    kt_mtype *t = kt_model_type(m, types[k]);
    kt_buf sql = KT_BUF_INIT, bcols = KT_BUF_INIT, pcols = KT_BUF_INIT;
    kt_buf_printf(&sql, "SELECT * FROM t_%s ORDER BY rowid", types[k]);
    if (sqlite3_prepare_v2(src, kt_buf_str(&sql), -1, &st, NULL) != SQLITE_OK) die("select", NULL);
    rs[k].ncol = sqlite3_column_count(st);
    rs[k].nrow = 0;
    size_t cap = 1024;
    rs[k].v = malloc(cap * (size_t)rs[k].ncol * sizeof *rs[k].v);
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (rs[k].nrow == cap) {
        cap *= 2;
        rs[k].v = realloc(rs[k].v, cap * (size_t)rs[k].ncol * sizeof *rs[k].v);
      }
      for (int c = 0; c < rs[k].ncol; c++)
        rs[k].v[rs[k].nrow * (size_t)rs[k].ncol + (size_t)c] = sqlite3_value_dup(sqlite3_column_value(st, c));
      rs[k].nrow++;
    }
    sqlite3_finalize(st);
    kt_buf_reset(&sql);
    kt_buf_printf(&sql, "INSERT INTO t_%s VALUES (", types[k]);
    for (int c = 0; c < rs[k].ncol; c++) kt_buf_puts(&sql, c ? ", ?" : "?");
    kt_buf_puts(&sql, ")");
    if (sqlite3_prepare_v2(db, kt_buf_str(&sql), -1, &ins[k], NULL) != SQLITE_OK)
      die(sqlite3_errmsg(db), NULL);
    kt_buf_free(&sql);
    for (int f = 0; f < t->nfields; f++) {
      const kt_mfield *mf = &t->fields[f];
      if ((mf->flags & KT_FF_SEARCH) && !kt_ftype_is_int(mf->type))
        kt_buf_printf(&bcols, "%s\"%s\"", bcols.len ? ", " : "", mf->column);
      if (mf->type == KT_FT_PHONE) kt_buf_printf(&pcols, "%s\"%s\"", pcols.len ? ", " : "", mf->column);
    }
    kt_buf b0 = KT_BUF_INIT, b1 = KT_BUF_INIT;
    body_sql[k] = b0;
    phone_sql[k] = b1;
    kt_buf_printf(&body_sql[k],
                  "INSERT INTO fts(rowid, body) SELECT (%d << 40) | rowid, b FROM (SELECT rowid, "
                  "bench_body(%s) AS b FROM t_%s) WHERE b IS NOT NULL",
                  t->def->code, kt_buf_str(&bcols), types[k]);
    if (pcols.len)
      kt_buf_printf(&phone_sql[k],
                    "INSERT INTO fts_phone(rowid, digits) SELECT (%d << 40) | rowid, d FROM (SELECT "
                    "rowid, bench_phones(%s) AS d FROM t_%s) WHERE d IS NOT NULL",
                    t->def->code, kt_buf_str(&pcols), types[k]);
    kt_buf_free(&bcols);
    kt_buf_free(&pcols);
  }
  double t0 = now_s();
  exec_or_die(db, "BEGIN");
  for (int k = 0; k < 3; k++) {
    for (size_t r = 0; r < rs[k].nrow; r++) {
      for (int c = 0; c < rs[k].ncol; c++)
        sqlite3_bind_value(ins[k], c + 1, rs[k].v[r * (size_t)rs[k].ncol + (size_t)c]);
      if (sqlite3_step(ins[k]) != SQLITE_DONE) die(sqlite3_errmsg(db), NULL);
      sqlite3_reset(ins[k]);
    }
  }
  exec_or_die(db, "COMMIT");
  *t_rows = now_s() - t0;
  t0 = now_s();
  exec_or_die(db, "BEGIN");
  for (int k = 0; k < 3; k++) {
    exec_or_die(db, kt_buf_str(&body_sql[k]));
    if (phone_sql[k].len) exec_or_die(db, kt_buf_str(&phone_sql[k]));
  }
  exec_or_die(db, "COMMIT");
  *t_fts = now_s() - t0;
  for (int k = 0; k < 3; k++) {
    sqlite3_finalize(ins[k]);
    kt_buf_free(&body_sql[k]);
    kt_buf_free(&phone_sql[k]);
    for (size_t i = 0; i < rs[k].nrow * (size_t)rs[k].ncol; i++) sqlite3_value_free(rs[k].v[i]);
    free(rs[k].v);
  }
  sqlite3_close(db);
  return *t_rows + *t_fts;
}

/* ---- (b) baseline: the same edits as plain SQL on a copy of the master --------------- */

typedef struct edit_set {
  size_t n;
  char (*type)[16];
  uuid_s *id;
  char (*val)[64];
} edit_set;

static double raw_push_baseline(const char *master, const edit_set *e) {
  sqlite3 *db;
  if (sqlite3_open(master, &db) != SQLITE_OK) die("open master copy", NULL);
  exec_or_die(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;");
  const char *types[2] = {"org", "contact"};
  int codes[2];
  sqlite3_stmt *upd[2], *seq, *log;
  kt_model *m;
  kt_err err;
  if (kt_model_new(&m, &err)) die("model", &err);
  for (int k = 0; k < 2; k++) {
    char sql[300];
    snprintf(sql, sizeof sql,
             "UPDATE t_%s SET comment = ?2, updated = ?3, ver = ver || x'00' WHERE id = ?1 "
             "RETURNING rowid",
             types[k]);
    if (sqlite3_prepare_v2(db, sql, -1, &upd[k], NULL) != SQLITE_OK) die(sqlite3_errmsg(db), NULL);
    codes[k] = kt_model_type(m, types[k])->def->code;
  }
  kt_model_free(m);
  if (sqlite3_prepare_v2(db, "UPDATE srv_counter SET value = value + 1 WHERE name = 'seq' RETURNING value",
                         -1, &seq, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "INSERT INTO srv_log(seq, tcode, rid) VALUES (?1, ?2, ?3) "
                             "ON CONFLICT(tcode, rid) DO UPDATE SET seq = excluded.seq",
                         -1, &log, NULL) != SQLITE_OK)
    die(sqlite3_errmsg(db), NULL);
  double t0 = now_s();
  exec_or_die(db, "BEGIN IMMEDIATE");
  for (size_t i = 0; i < e->n; i++) {
    int k = strcmp(e->type[i], "org") == 0 ? 0 : 1;
    sqlite3_bind_text(upd[k], 1, e->id[i], -1, SQLITE_STATIC);
    sqlite3_bind_text(upd[k], 2, e->val[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(upd[k], 3, (int64_t)kt_now_ms());
    int64_t rowid = 0;
    if (sqlite3_step(upd[k]) == SQLITE_ROW) rowid = sqlite3_column_int64(upd[k], 0);
    while (sqlite3_step(upd[k]) == SQLITE_ROW) {
    }
    sqlite3_reset(upd[k]);
    int64_t s = 0;
    if (sqlite3_step(seq) == SQLITE_ROW) s = sqlite3_column_int64(seq, 0);
    while (sqlite3_step(seq) == SQLITE_ROW) {
    }
    sqlite3_reset(seq);
    sqlite3_bind_int64(log, 1, s);
    sqlite3_bind_int(log, 2, codes[k]);
    sqlite3_bind_int64(log, 3, rowid);
    if (sqlite3_step(log) != SQLITE_DONE) die(sqlite3_errmsg(db), NULL);
    sqlite3_reset(log);
  }
  exec_or_die(db, "COMMIT");
  double t = now_s() - t0;
  sqlite3_finalize(upd[0]);
  sqlite3_finalize(upd[1]);
  sqlite3_finalize(seq);
  sqlite3_finalize(log);
  sqlite3_close(db);
  return t;
}

/* ---- idle raw TLS clients ------------------------------------------------------------ */

typedef struct idle_conn {
  int fd;
  SSL *ssl;
} idle_conn;

static struct sockaddr_in g_sa;

static void parse_addr(const char *addr) {
  char host[64];
  const char *colon = strrchr(addr, ':');
  snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
  memset(&g_sa, 0, sizeof g_sa);
  g_sa.sin_family = AF_INET;
  g_sa.sin_port = htons((uint16_t)atoi(colon + 1));
  inet_pton(AF_INET, host, &g_sa.sin_addr);
}

static int frame_roundtrip(idle_conn *ic, Kartoteka__Envelope *req, int want) {
  kt_buf f = KT_BUF_INIT;
  kt_err err;
  if (kt_frame_encode(req, &f, &err) || SSL_write(ic->ssl, f.p, (int)f.len) != (int)f.len) {
    kt_buf_free(&f);
    return -1;
  }
  kt_buf_free(&f);
  kt_frame_reader rd;
  kt_frame_reader_init(&rd, 0);
  int rc = -1;
  char buf[4096];
  for (;;) {
    int n = SSL_read(ic->ssl, buf, sizeof buf);
    if (n <= 0) break;
    if (kt_frame_reader_feed(&rd, buf, (size_t)n, &err)) break;
    Kartoteka__Envelope *env = NULL;
    int k = kt_frame_reader_next(&rd, &env, &err);
    if (k < 0) break;
    if (k == 0) continue;
    rc = (int)env->body_case == want ? 0 : -1;
    if (rc) fprintf(stderr, "bench_sync: idle client got %s\n", kt_frame_body_name(env));
    kt_frame_env_free(env);
    break;
  }
  kt_frame_reader_close(&rd);
  return rc;
}

static int idle_open(idle_conn *ic, SSL_CTX *ctx, const char *token) {
  ic->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ic->fd < 0 || connect(ic->fd, (struct sockaddr *)&g_sa, sizeof g_sa)) return -1;
  int one = 1;
  setsockopt(ic->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ic->ssl = SSL_new(ctx);
  SSL_set_fd(ic->ssl, ic->fd);
  if (SSL_connect(ic->ssl) != 1) return -1;
  Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Hello h = KARTOTEKA__HELLO__INIT;
  h.protocol_version = 1;
  h.device_id = "";
  h.client_name = "bench-idle";
  req.req_id = 1;
  req.body_case = KARTOTEKA__ENVELOPE__BODY_HELLO;
  req.hello = &h;
  if (frame_roundtrip(ic, &req, KARTOTEKA__ENVELOPE__BODY_HELLO_OK)) return -1;
  Kartoteka__Envelope req2 = KARTOTEKA__ENVELOPE__INIT;
  Kartoteka__Resume r = KARTOTEKA__RESUME__INIT;
  r.token = (char *)token;
  req2.req_id = 2;
  req2.body_case = KARTOTEKA__ENVELOPE__BODY_RESUME;
  req2.resume = &r;
  return frame_roundtrip(ic, &req2, KARTOTEKA__ENVELOPE__BODY_AUTH_OK);
}

static void idle_close(idle_conn *ic) {
  if (ic->ssl) SSL_free(ic->ssl);
  if (ic->fd >= 0) close(ic->fd);
  ic->ssl = NULL;
  ic->fd = -1;
}

/* ---- (d) watcher thread -------------------------------------------------------------- */

typedef struct live {
  const char *profile;
  cl_store *s;
  char rec_id[KT_UUID_STRLEN + 1];
  int n;
  double *sent;   /* editor: when edit i started (0 = not yet) */
  double *seen;   /* watcher: when edit i became visible */
  double *saved;  /* editor: edit i committed locally (seconds after sent) */
  double *acked;  /* editor: push of edit i acknowledged (seconds after saved) */
  volatile int ready, stop, maxseen;
  volatile bool notified;
  Kartoteka__Envelope *notify; /* the latest Notify that carried changes */
  int rounds;
  double applied[4096]; /* watcher: time to apply each Notify's changes */
  kt_err err;
  int rc;
} live;

static void on_live_push(cl_conn *c, const Kartoteka__Envelope *env, void *ud) {
  live *L = ud;
  if (env->body_case == KARTOTEKA__ENVELOPE__BODY_NOTIFY) {
    L->notified = true;
    kt_frame_env_free(L->notify);
    L->notify = env->notify->changes ? cl_conn_push_take(c) : NULL;
    cl_conn_break(c);
  }
}

static int live_check(live *L) {
  sqlite3_stmt *st;
  int v = -1;
  if (sqlite3_prepare_v2(cl_store_sqlite(L->s), "SELECT comment FROM t_org WHERE id = ?1", -1, &st,
                         NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_text(st, 1, L->rec_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    if (strncmp(t, "live ", 5) == 0) v = atoi(t + 5);
  }
  sqlite3_finalize(st);
  return v;
}

static void *watcher_main(void *arg) {
  live *L = arg;
  uv_loop_t loop;
  uv_loop_init(&loop);
  cl_conn *c = NULL;
  cl_sync_stats st;
  memset(&st, 0, sizeof st);
  L->rc = cl_session_open(&loop, L->profile, L->s, NULL, on_live_push, L, 0, &c, &L->err);
  if (!L->rc) L->rc = cl_sync_round(c, L->s, &st, &L->err);
  if (!L->rc) {
    Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT, *rep = NULL;
    Kartoteka__Subscribe sub = KARTOTEKA__SUBSCRIBE__INIT;
    req.body_case = KARTOTEKA__ENVELOPE__BODY_SUBSCRIBE;
    req.subscribe = &sub;
    L->rc = cl_conn_request(c, &req, &rep, &L->err);
    kt_frame_env_free(rep);
  }
  L->ready = 1;
  while (!L->rc && !L->stop) {
    L->rc = cl_conn_run(c, 50, &L->err);
    if (L->rc || !L->notified) continue;
    L->notified = false;
    Kartoteka__Envelope *nf = L->notify;
    L->notify = NULL;
    double a0 = now_s();
    L->rc = cl_sync_notified(c, L->s, nf, &st, &L->err); /* as `kartoteka sync --watch` */
    if (L->rounds < 4096) L->applied[L->rounds] = now_s() - a0;
    L->rounds++;
    int v = live_check(L);
    double t = now_s();
    for (int i = L->maxseen + 1; i <= v && i < L->n; i++) L->seen[i] = t;
    if (v > L->maxseen) L->maxseen = v;
    if (!L->rc) L->rc = cl_store_maintain(L->s, &L->err); /* as `sync --watch`, once visible */
  }
  cl_conn_free(c);
  kt_frame_env_free(L->notify);
  uv_loop_close(&loop);
  return NULL;
}

/* ---- main ------------------------------------------------------------------------------- */

static cl_store *open_store(const char *profile) {
  char p[400];
  snprintf(p, sizeof p, "%s/replica.db", profile);
  cl_store *s;
  kt_err err;
  cl_open_opts oo = {.locale = "ru"};
  if (cl_store_open(p, &oo, &s, &err)) die("open replica", &err);
  return s;
}

static void enroll(const char *data, const char *profile) {
  char cmd[4000], inv[1200];
  snprintf(cmd, sizeof cmd, "'%s/kartotekad' invite --data '%s' --user boss", g_bin, data);
  capture(cmd, inv, sizeof inv);
  snprintf(cmd, sizeof cmd,
           "'%s/kartoteka' --profile '%s' connect --invite '%s' --password-file '%s/pw' >/dev/null",
           g_bin, profile, inv, g_dir);
  run_or_die(cmd);
}

static int64_t count_rows(cl_store *s) {
  sqlite3_stmt *st;
  int64_t n = 0;
  if (sqlite3_prepare_v2(cl_store_sqlite(s),
                         "SELECT (SELECT count(*) FROM t_org) + (SELECT count(*) FROM t_contact) + "
                         "(SELECT count(*) FROM t_event)",
                         -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

int main(int argc, char **argv) {
  (void)argc;
  double scale = 1.0;
  const char *e = getenv("BENCH_SYNC_SCALE");
  if (e && *e) scale = atof(e);
  if (scale <= 0) scale = 1.0;
  long nidle = 10000;
  if ((e = getenv("BENCH_SYNC_IDLE")) && *e) nidle = atol(e);
  if (nidle < 1000) nidle = 1000;
  long norg = (long)(100000 * scale), ncon = (long)(200000 * scale), nev = (long)(500000 * scale);
  if (norg < 10) norg = 10;
  if (ncon < 10) ncon = 10;
  if (nev < 10) nev = 10;
  long nedit = 10000;
  if (nedit > (norg + ncon) / 2) nedit = (norg + ncon) / 2;

  /* the server binary sits next to the bench folder */
  snprintf(g_bin, sizeof g_bin, "%s", argv[0]);
  char *sl = strrchr(g_bin, '/');
  if (sl) *sl = '\0';
  else snprintf(g_bin, sizeof g_bin, ".");
  strncat(g_bin, "/../bin", sizeof g_bin - strlen(g_bin) - 1);

  struct rlimit rl = {1 << 17, 1 << 17};
  if (setrlimit(RLIMIT_NOFILE, &rl)) {
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  if ((long)rl.rlim_cur < nidle + 200) {
    nidle = (long)rl.rlim_cur / 2 - 200;
    fprintf(stderr, "bench_sync: RLIMIT_NOFILE %ld: only %ld idle clients\n", (long)rl.rlim_cur,
            nidle);
  }
  signal(SIGPIPE, SIG_IGN);
  setenv("KT_LOG", "warn", 0);

  const char *dir_env = getenv("BENCH_DIR");
  snprintf(g_dir, sizeof g_dir, "%s/kt-bsync-XXXXXX", dir_env && *dir_env ? dir_env : "/tmp");
  if (!mkdtemp(g_dir)) die("mkdtemp", NULL);
  char data[400], base[400], cmd[4000], pa[400], pe[400], addr[128];
  snprintf(data, sizeof data, "%s/data", g_dir);
  snprintf(base, sizeof base, "%s/base", g_dir);
  snprintf(pa, sizeof pa, "%s/pcA", g_dir);
  snprintf(pe, sizeof pe, "%s/pcE", g_dir);
  snprintf(cmd, sizeof cmd, "echo 'correct horse battery' > '%s/pw'", g_dir);
  run_or_die(cmd);
  snprintf(cmd, sizeof cmd, "'%s/kartotekad' init --data '%s' --admin boss --password-file '%s/pw' >/dev/null",
           g_bin, data, g_dir);
  run_or_die(cmd);

  double t0 = now_s();
  uuid_s *orgs = calloc((size_t)norg, sizeof *orgs), *cons = calloc((size_t)ncon, sizeof *cons);
  load_master(data, norg, ncon, nev, orgs, cons);
  long total = norg + ncon + nev;
  printf("bench_sync: scale %g: %ld organizations, %ld contacts, %ld events loaded into the master "
         "in %.1f s (set-up)\n",
         scale, norg, ncon, nev, now_s() - t0);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s/master.db' '%s/master.db'", base, data, base);
  run_or_die(cmd);

  srv_start(data, addr, sizeof addr);
  parse_addr(addr);
  enroll(data, pa);
  enroll(data, pe);
  kt_err err;

  /* (a) fresh client */
  cl_store *sa = open_store(pa);
  uv_loop_t loop;
  uv_loop_init(&loop);
  cl_conn *c = NULL;
  cl_sync_stats st;
  memset(&st, 0, sizeof st);
  pid_t perf = perf_start("BENCH_SYNC_PERF_A");
  double cpu0 = srv_cpu(), ccpu0 = self_cpu();
  t0 = now_s();
  if (cl_session_open(&loop, pa, sa, NULL, NULL, NULL, 0, &c, &err)) die("session", &err);
  if (cl_sync_round(c, sa, &st, &err)) die("sync", &err);
  double ta = now_s() - t0;
  double cpu_a = srv_cpu() - cpu0, ccpu_a = self_cpu() - ccpu0;
  perf_stop(perf);
  cl_conn_free(c);
  int64_t got = count_rows(sa);
  if (got != total) {
    fprintf(stderr, "bench_sync: the replica holds %lld records, expected %ld\n", (long long)got,
            total);
    die("replication incomplete", NULL);
  }
  char rawp[400];
  snprintf(rawp, sizeof rawp, "%s/raw.db", g_dir);
  double tr_rows = 0, tr_fts = 0;
  double tr = skip('r') ? 1 : raw_baseline(sa, rawp, &tr_rows, &tr_fts);
  printf("(a) fresh client replicates %ld records over TLS (search index included)\n", total);
  printf("  sync (connect + pull + apply)           %8.2f s  %8.0f rec/s  (CPU: server %.2f s, "
         "client %.2f s)\n",
         ta, (double)total / ta, cpu_a, ccpu_a);
  printf("  raw SQLite rows, same tables (1 tx)     %8.2f s\n", tr_rows);
  printf("  raw SQLite FTS5 build (body + phones)   %8.2f s\n", tr_fts);
  printf("  raw total                               %8.2f s  %8.0f rec/s\n", tr, (double)total / tr);
  printf("  ratio sync / raw                        %8.2fx  (goal <= 1.5x)\n", ta / tr);
  fflush(stdout);

  /* (b) 10,000 edits pushed */
  if (skip('b')) nedit = 0;
  edit_set es = {(size_t)nedit, calloc((size_t)nedit, 16), calloc((size_t)nedit, sizeof(uuid_s)),
                 calloc((size_t)nedit, 64)};
  if (cl_store_begin(sa, &err)) die("begin", &err);
  for (long i = 0; i < nedit; i++) {
    long k = i * ((norg + ncon) / nedit); /* distinct cards */
    bool org = k < norg;
    const char *id = org ? orgs[k] : cons[k - norg];
    snprintf(es.type[i], 16, "%s", org ? "org" : "contact");
    snprintf(es.id[i], sizeof(uuid_s), "%s", id);
    snprintf(es.val[i], 64, "правка номер %ld", i);
    cl_set set = {"comment", es.val[i]};
    int changed;
    if (cl_store_edit(sa, id, &set, 1, &changed, &err)) die("edit", &err);
  }
  if (cl_store_commit(sa, &err)) die("commit", &err);
  int64_t pending = 0;
  cl_store_outbox_count(sa, &pending, NULL);
  char basep[500];
  snprintf(basep, sizeof basep, "%s/master.db", base);
  double tb_raw = nedit ? raw_push_baseline(basep, &es) : 1;
  if (cl_session_open(&loop, pa, sa, NULL, NULL, NULL, 0, &c, &err)) die("session", &err);
  memset(&st, 0, sizeof st);
  perf = perf_start("BENCH_SYNC_PERF_B");
  cpu0 = srv_cpu();
  t0 = now_s();
  if (cl_sync_push(c, sa, &st, &err)) die("push", &err);
  double tb = now_s() - t0;
  double cpu_b = srv_cpu() - cpu0;
  perf_stop(perf);
  printf("(b) %lld edits (outbox entries) pushed and acknowledged\n", (long long)pending);
  printf("  push (client + TLS + server, acked)     %8.3f s  %8.0f edits/s  (server CPU %.3f s; "
         "applied %d)\n",
         tb, (double)pending / tb, cpu_b, st.pushed);
  printf("  same edits as plain SQL on the master   %8.3f s\n", tb_raw);
  printf("  ratio push / SQL                        %8.2fx  (goal <= 3x)\n", tb / tb_raw);
  /* catch up (our own edits come back in the feed) so (c) has nothing new */
  if (cl_sync_round(c, sa, &st, &err)) die("sync", &err);
  cl_conn_free(c);
  fflush(stdout);

  /* (c) reconnect with nothing new */
  int nrec = skip('c') ? 1 : 300;
  double *lat = calloc((size_t)nrec, sizeof *lat);
  srv_quiesce();
  perf = perf_start("BENCH_SYNC_PERF_C");
  cpu0 = srv_cpu();
  double w0 = now_s();
  for (int i = 0; i < nrec; i++) {
    double q0 = now_s();
    memset(&st, 0, sizeof st);
    if (cl_session_open(&loop, pa, sa, NULL, NULL, NULL, 0, &c, &err)) die("session", &err);
    if (cl_sync_round(c, sa, &st, &err)) die("sync", &err);
    if (st.pulled) die("reconnect pulled changes", NULL);
    cl_conn_free(c);
    lat[i] = now_s() - q0;
  }
  double cpu_c = srv_cpu() - cpu0;
  double wall_c = now_s() - w0;
  perf_stop(perf);
  qsort(lat, (size_t)nrec, sizeof *lat, cmp_double);
  printf("(c) reconnect with nothing new (TLS + Hello + Resume + Pull), %d times, base of %ld "
         "records\n",
         nrec, total);
  printf("  server CPU per reconnect                %8.3f ms  (goal < 1 ms)\n", cpu_c / nrec * 1e3);
  printf("  client wall time per reconnect          %8.3f ms  p50 %.3f ms  p99 %.3f ms\n",
         wall_c / nrec * 1e3, lat[nrec / 2] * 1e3, lat[(int)(nrec * 0.99)] * 1e3);
  free(lat);
  fflush(stdout);

  /* (d) live notify with 1,000 idle clients */
  cl_store *se = open_store(pe);
  kt_buf tok = KT_BUF_INIT;
  if (cl_store_meta_get(se, "token", &tok, &err)) die("token", &err);
  SSL_CTX *ictx = SSL_CTX_new(TLS_client_method());
  char crt[500], key[500];
  snprintf(crt, sizeof crt, "%s/device.crt", pe);
  snprintf(key, sizeof key, "%s/device.key", pe);
  if (SSL_CTX_use_certificate_file(ictx, crt, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(ictx, key, SSL_FILETYPE_PEM) != 1)
    die("idle client certificate", NULL);
  SSL_CTX_set_verify(ictx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_mode(ictx, SSL_MODE_RELEASE_BUFFERS);
  idle_conn *idle = calloc((size_t)nidle, sizeof *idle);
  long rss0 = srv_rss_kb();
  long nopen = 0;
  double i0 = now_s();
  for (; nopen < 1000; nopen++)
    if (idle_open(&idle[nopen], ictx, kt_buf_str(&tok))) die("idle client", NULL);
  double topen1 = now_s() - i0;

  int nlive = skip('d') ? 1 : 1000;
  live L;
  memset(&L, 0, sizeof L);
  L.profile = pa;
  L.s = sa;
  L.n = nlive;
  L.sent = calloc((size_t)nlive, sizeof(double));
  L.seen = calloc((size_t)nlive, sizeof(double));
  L.saved = calloc((size_t)nlive, sizeof(double));
  L.acked = calloc((size_t)nlive, sizeof(double));
  L.maxseen = -1;
  /* the editor's card, synced to the watcher first */
  cl_conn *ce = NULL;
  if (cl_session_open(&loop, pe, se, NULL, NULL, NULL, 0, &ce, &err)) die("editor session", &err);
  cl_set nm = {"name", "ООО \"Живая правка\""};
  if (cl_store_add(se, "org", &nm, 1, L.rec_id, &err)) die("add", &err);
  memset(&st, 0, sizeof st);
  if (cl_sync_push(ce, se, &st, &err)) die("editor push", &err);
  srv_quiesce();
  perf = perf_start("BENCH_SYNC_PERF_D");
  pthread_t th;
  pthread_create(&th, NULL, watcher_main, &L);
  while (!L.ready) usleep(1000);
  if (L.rc) die("watcher", &L.err);
  double d0 = now_s();
  for (int i = 0; i < nlive; i++) {
    double target = d0 + i * 0.01;
    double wait = target - now_s();
    if (wait > 0) usleep((useconds_t)(wait * 1e6));
    char v[32];
    snprintf(v, sizeof v, "live %d", i);
    cl_set set = {"comment", v};
    int changed;
    L.sent[i] = now_s();
    if (cl_store_edit(se, L.rec_id, &set, 1, &changed, &err)) die("live edit", &err);
    double tsaved = now_s();
    L.saved[i] = tsaved - L.sent[i];
    if (cl_sync_push(ce, se, &st, &err)) die("live push", &err);
    L.acked[i] = now_s() - tsaved;
  }
  for (int k = 0; k < 2000 && L.maxseen < nlive - 1 && !L.rc; k++) usleep(1000);
  L.stop = 1;
  pthread_join(th, NULL);
  perf_stop(perf);
  cl_conn_free(ce);
  int nseen = 0;
  for (int i = 0; i < nlive; i++)
    if (L.seen[i] > 0) L.sent[nseen++] = L.seen[i] - L.sent[i];
  qsort(L.sent, (size_t)nseen, sizeof(double), cmp_double);
  printf("(d) edit on one client -> visible on another (live notify), %d edits at 100/s, %ld idle "
         "clients connected (opened in %.1f s)\n",
         nlive, nopen, topen1);
  if (nseen)
    printf("  latency p50 %7.3f ms   p99 %7.3f ms   max %7.3f ms  (%d seen, %d notifies handled; goal "
           "p99 < 10 ms)\n",
           L.sent[nseen / 2] * 1e3, L.sent[(int)(nseen * 0.99)] * 1e3, L.sent[nseen - 1] * 1e3,
           nseen, L.rounds);
  else
    printf("  no edit became visible: %s\n", L.rc ? L.err.msg : "?");
  qsort(L.saved, (size_t)nlive, sizeof(double), cmp_double);
  qsort(L.acked, (size_t)nlive, sizeof(double), cmp_double);
  printf("  of which: local save (fsync) p50 %7.3f ms   p99 %7.3f ms; push acked (server fsync) p50 "
         "%7.3f ms   p99 %7.3f ms\n",
         L.saved[nlive / 2] * 1e3, L.saved[(int)(nlive * 0.99)] * 1e3, L.acked[nlive / 2] * 1e3,
         L.acked[(int)(nlive * 0.99)] * 1e3);
  int nap = L.rounds < 4096 ? L.rounds : 4096;
  if (nap) {
    qsort(L.applied, (size_t)nap, sizeof(double), cmp_double);
    printf("  the other client applies a Notify: p50 %7.3f ms   p99 %7.3f ms\n",
           L.applied[nap / 2] * 1e3, L.applied[(int)(nap * 0.99)] * 1e3);
  }
  free(L.saved);
  free(L.acked);
  fflush(stdout);

  /* (e) idle clients */
  if (skip('e')) nidle = nopen;
  i0 = now_s();
  for (; nopen < nidle; nopen++)
    if (idle_open(&idle[nopen], ictx, kt_buf_str(&tok))) {
      fprintf(stderr, "bench_sync: idle client %ld failed\n", nopen);
      break;
    }
  double topen2 = now_s() - i0;
  usleep(500000);
  long rss1 = srv_rss_kb();
  double c0 = srv_cpu();
  if (!skip('e')) sleep(5);
  double cidle = srv_cpu() - c0;
  printf("(e) %ld idle TLS clients (Hello + Resume done; %ld opened in %.1f s)\n", nopen,
         nopen - 1000, topen2);
  printf("  server memory per connection            %8.1f KiB  (RSS %ld -> %ld KiB; goal < 24 KiB)\n",
         (double)(rss1 - rss0) / (double)nopen, rss0, rss1);
  printf("  server CPU while idle for 5 s           %8.3f ms\n", cidle * 1e3);
  fflush(stdout);
  for (long i = 0; i < nopen; i++) idle_close(&idle[i]);
  free(idle);
  SSL_CTX_free(ictx);
  kt_buf_free(&tok);

  cl_store_close(se);
  cl_store_close(sa);
  uv_loop_close(&loop);
  srv_stop();
  free(orgs);
  free(cons);
  free(L.sent);
  free(L.seen);
  free(es.type);
  free(es.id);
  free(es.val);
  if (!getenv("BENCH_KEEP")) {
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd)) fprintf(stderr, "bench_sync: could not remove %s\n", g_dir);
  } else {
    printf("  files kept in %s\n", g_dir);
  }
  return 0;
}
