/* bench_util — what the benchmarks share: a real kartotekad started from
 * build/<BUILD>/bin, its CPU time, shell helpers, and a loader that fills a
 * master database through the server's own push path (set-up, not timed). */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kartoteka.pb-c.h"
#include "kt_err.h"
#include "kt_hlc.h"
#include "kt_model.h"
#include "kt_rec.h"
#include "kt_uuid.h"
#include "srv_db.h"
#include "srv_sync.h"

extern char bench_bin[600]; /* build/<BUILD>/bin */
extern char bench_dir[300]; /* scratch directory of this run */
extern pid_t bench_srv;     /* the running server, 0 when none */

/* Sets bench_bin from argv0 and makes a scratch dir under $BENCH_DIR (or /tmp). */
void bench_init(const char *name, const char *argv0);
double bench_now(void);
/* splitmix64: a deterministic PRNG for generated data (seed = any state). */
uint64_t bench_rand(uint64_t *state);
void bench_die(const char *what, const kt_err *e) __attribute__((noreturn));
void bench_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bench_capture(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* kartotekad serve on 127.0.0.1:0; addr gets HOST:PORT. */
void bench_srv_start(const char *data, char *addr, size_t n);
void bench_srv_stop(void);
double bench_srv_cpu(void); /* seconds, all threads */

typedef struct bench_loader {
  srv_db db;
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
} bench_loader;

void bench_loader_open(bench_loader *L, const char *data);
/* Queues r (values set; id, created and versions filled here; owner kept when
 * set, else "boss"); takes r. */
void bench_loader_add(bench_loader *L, kt_rec *r, char id_out[KT_UUID_STRLEN + 1]);
void bench_loader_close(bench_loader *L);
void bench_set(kt_rec *r, const char *field, const char *text);

#endif
