/* bench_util — see bench_util.h. */
#include "bench_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt_change.h"

char bench_bin[600];
char bench_dir[300];
pid_t bench_srv;
static char g_name[64] = "bench";

void bench_init(const char *name, const char *argv0) {
  snprintf(g_name, sizeof g_name, "%s", name);
  char self[500];
  snprintf(self, sizeof self, "%s", argv0);
  char *slash = strrchr(self, '/');
  if (slash) *slash = '\0';
  else snprintf(self, sizeof self, ".");
  snprintf(bench_bin, sizeof bench_bin, "%s/../bin", self);
  const char *base = getenv("BENCH_DIR");
  snprintf(bench_dir, sizeof bench_dir, "%s/%s.XXXXXX", base && *base ? base : "/tmp", name);
  if (!mkdtemp(bench_dir)) {
    perror("mkdtemp");
    exit(1);
  }
}

uint64_t bench_rand(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_die(const char *what, const kt_err *e) {
  fprintf(stderr, "%s: %s%s%s\n", g_name, what, e ? ": " : "", e ? e->msg : "");
  if (bench_srv > 0) kill(bench_srv, SIGTERM);
  exit(1);
}

void bench_run(const char *fmt, ...) {
  char cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  if (system(cmd) != 0) {
    fprintf(stderr, "%s: command failed: %s\n", g_name, cmd);
    bench_die("giving up", NULL);
  }
}

void bench_capture(char *out, size_t n, const char *fmt, ...) {
  char cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  FILE *f = popen(cmd, "r");
  if (!f || !fgets(out, (int)n, f)) {
    fprintf(stderr, "%s: command failed: %s\n", g_name, cmd);
    bench_die("giving up", NULL);
  }
  pclose(f);
  out[strcspn(out, "\r\n")] = '\0';
}

void bench_srv_start(const char *data, char *addr, size_t n) {
  char out[400], errf[400];
  snprintf(out, sizeof out, "%.300s/serve.out", bench_dir);
  snprintf(errf, sizeof errf, "%.300s/serve.err", bench_dir);
  unlink(out);
  pid_t pid = fork();
  if (pid == 0) {
    int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(errf, O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fo, 1);
    dup2(fe, 2);
    char ktd[700];
    snprintf(ktd, sizeof ktd, "%s/kartotekad", bench_bin);
    execl(ktd, "kartotekad", "serve", "--data", data, "--listen", "127.0.0.1:0", (char *)NULL);
    _exit(127);
  }
  bench_srv = pid;
  for (int i = 0; i < 400; i++) {
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
  fprintf(stderr, "%s: the server did not start (see %s)\n", g_name, errf);
  exit(1);
}

void bench_srv_stop(void) {
  if (bench_srv <= 0) return;
  kill(bench_srv, SIGTERM);
  int st;
  waitpid(bench_srv, &st, 0);
  bench_srv = 0;
}

double bench_srv_cpu(void) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/task", (int)bench_srv);
  DIR *d = opendir(p);
  double total = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char f[400];
    snprintf(f, sizeof f, "/proc/%d/task/%s/schedstat", (int)bench_srv, e->d_name);
    FILE *fp = fopen(f, "r");
    unsigned long long ns = 0;
    if (fp && fscanf(fp, "%llu", &ns) == 1) total += (double)ns / 1e9;
    if (fp) fclose(fp);
  }
  if (d) closedir(d);
  return total;
}

static const char *loader_devname(void *ud, uint32_t idx) {
  (void)idx;
  return ((bench_loader *)ud)->dev;
}

static void loader_flush(bench_loader *L) {
  if (!L->n) return;
  Kartoteka__Push push = KARTOTEKA__PUSH__INIT;
  push.changes = L->chs;
  push.n_changes = L->n;
  Kartoteka__PushAck ack = KARTOTEKA__PUSH_ACK__INIT;
  srv_writer w = {L->dev, "boss", NULL};
  kt_err err;
  if (srv_sync_push(L->sync, &w, &push, &ack, &err)) bench_die("loading the master", &err);
  for (size_t i = 0; i < ack.n_results; i++)
    if (ack.results[i]->status == KARTOTEKA__CHANGE_RESULT__STATUS__REJECTED)
      bench_die(ack.results[i]->reason, NULL);
  srv_sync_ack_free(&ack);
  for (size_t i = 0; i < L->n; i++) {
    kt_change_clear(&L->vals[i]);
    kt_rec_free(L->recs[i]);
  }
  L->n = 0;
}

void bench_loader_open(bench_loader *L, const char *data) {
  memset(L, 0, sizeof *L);
  kt_err err;
  if (srv_db_open(&L->db, data, false, &err)) bench_die("open master", &err);
  kt_hlc_init(&L->hlc, 0, NULL, NULL);
  if (kt_uuid_new_str(L->dev, &err)) bench_die("uuid", &err);
  if (srv_sync_new(&L->db, &L->hlc, "00000000-0000-7000-8000-000000000001", &L->sync, &err))
    bench_die("srv_sync_new", &err);
  if (kt_model_new(&L->model, &err)) bench_die("model", &err);
  L->cap = 5000;
  L->vals = calloc(L->cap, sizeof *L->vals);
  L->chs = calloc(L->cap, sizeof *L->chs);
  L->recs = calloc(L->cap, sizeof *L->recs);
  if (!L->vals || !L->chs || !L->recs) bench_die("out of memory", NULL);
}

void bench_loader_add(bench_loader *L, kt_rec *r, char id_out[KT_UUID_STRLEN + 1]) {
  kt_err err;
  uint64_t now = kt_now_ms();
  kt_uuid u;
  if (kt_uuid_gen_next(&L->ugen, now, &u, &err)) bench_die("uuid", &err);
  kt_uuid_format(&u, id_out);
  kt_value_set_text(&r->v[KT_F_ID], id_out, KT_UUID_STRLEN);
  if (r->v[KT_F_OWNER].kind == KT_V_NULL) kt_value_set_text(&r->v[KT_F_OWNER], "boss", 4);
  kt_value_set_int(&r->v[KT_F_CREATED], (int64_t)now);
  kt_stamp stamp = kt_hlc_now(&L->hlc);
  for (int k = 0; k < r->type->nfields; k++) {
    if (k == KT_F_UPDATED || r->v[k].kind == KT_V_NULL) continue;
    r->vers.f[r->type->fields[k].vidx] = (kt_fver){stamp, 1};
  }
  size_t i = L->n;
  kartoteka__change__init(&L->vals[i]);
  if (kt_change_from_rec(r, NULL, NULL, loader_devname, L, &L->vals[i], &err))
    bench_die("change", &err);
  L->vals[i].counter = ++L->counter;
  L->chs[i] = &L->vals[i];
  L->recs[i] = r;
  if (++L->n == L->cap) loader_flush(L);
}

void bench_loader_close(bench_loader *L) {
  loader_flush(L);
  srv_sync_free(L->sync);
  kt_model_free(L->model);
  srv_db_close(&L->db);
  free(L->vals);
  free(L->chs);
  free(L->recs);
}

void bench_set(kt_rec *r, const char *field, const char *text) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  if (!f) bench_die(field, NULL);
  kt_err err;
  kt_value v = {KT_V_NULL, 0, NULL};
  if (kt_mfield_parse(f, text, &v, &err)) bench_die(field, &err);
  int pos = r->type->pos[f->vidx];
  kt_value_clear(&r->v[pos]);
  r->v[pos] = v;
}
