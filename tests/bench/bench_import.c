/* bench_import — issue 16's import and duplicates numbers, on standalone card
 * indexes in the scratch directory (generation is not timed):
 *  (a) import of BENCH_IMPORT_N CSV rows (default 100,000: organizations with
 *      name, phone, e-mail, tax id, city; 2% repeat an earlier row's phone)
 *      with the duplicate check and with --force (goal: check < 2x force);
 *  (b) the same with twice the rows (goal: linear, 2N under 2.2x of N), and
 *      2N with --force beside N with --force (what the store itself costs);
 *  (c) `duplicates` over BENCH_DUP_N contacts (default 300,000: the index over
 *      every card and the groups; goal: under 5 s).
 * Env: BENCH_IMPORT_N, BENCH_DUP_N, BENCH_DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cl_dup.h"
#include "cl_import.h"
#include "cl_store.h"

static const char *const cities[] = {"Москва", "Тверь", "Казань", "Омск", "Тула", "Самара", "Пермь"};
static const char *const words[] = {"Ромашка", "Лютик", "Василёк", "Берёза", "Сокол", "Вектор",
                                    "Альфа", "Гранит", "Север", "Прогресс"};

static void make_csv(const char *path, int n) {
  FILE *f = fopen(path, "w");
  if (!f) bench_die("cannot write the CSV", NULL);
  uint64_t st = 42;
  fprintf(f, "Название;Телефон;E-mail;ИНН;Город\n");
  for (int i = 0; i < n; i++) {
    int p = (i > 100 && bench_rand(&st) % 50 == 0) ? (int)(bench_rand(&st) % (uint64_t)i) : i;
    fprintf(f, "ООО %s-%d;+7 495 %03d-%02d-%02d;info%d@firm%d.example;77%08d;%s\n",
            words[bench_rand(&st) % 10], i, p / 10000 % 1000, p / 100 % 100, p % 100, i, i, i,
            cities[bench_rand(&st) % 7]);
  }
  fclose(f);
}

static double import_once(const char *csv, int n, bool check, int *created) {
  char db[400];
  snprintf(db, sizeof db, "%s/imp-%d-%d.db", bench_dir, n, check);
  kt_err err;
  cl_store *s;
  cl_open_opts oo = {.locale = "ru"};
  if (cl_store_create(db, "boss", "local", NULL, &err) || cl_store_open(db, &oo, &s, &err))
    bench_die("store", &err);
  cl_import_opts o = {.type = "org", .check_duplicates = check, .on_duplicate = CL_DUP_SKIP};
  cl_import_result res;
  double t0 = bench_now();
  if (cl_import(s, csv, &o, NULL, NULL, &res, &err)) bench_die("import", &err);
  double t = bench_now() - t0;
  *created = res.created;
  cl_store_close(s);
  remove(db);
  return t;
}

static void bench_dups(int n) {
  char db[400], csv[400];
  snprintf(db, sizeof db, "%s/dup.db", bench_dir);
  snprintf(csv, sizeof csv, "%s/dup.csv", bench_dir);
  FILE *f = fopen(csv, "w");
  if (!f) bench_die("cannot write the CSV", NULL);
  uint64_t st = 7;
  fprintf(f, "Фамилия;Имя;Мобильный телефон;E-mail;Город\n");
  for (int i = 0; i < n; i++) {
    int p = bench_rand(&st) % 100 == 0 ? (int)(bench_rand(&st) % (uint64_t)(i + 1)) : i;
    fprintf(f, "Иванов%d;Иван;+7 916 %03d-%02d-%02d;ivanov%d@mail.example;%s\n", i,
            p / 10000 % 1000, p / 100 % 100, p % 100, i, cities[bench_rand(&st) % 7]);
  }
  fclose(f);
  kt_err err;
  cl_store *s;
  cl_open_opts oo = {.locale = "ru"};
  if (cl_store_create(db, "boss", "local", NULL, &err) || cl_store_open(db, &oo, &s, &err))
    bench_die("store", &err);
  cl_import_opts o = {.type = "contact", .check_duplicates = false};
  cl_import_result res;
  if (cl_import(s, csv, &o, NULL, NULL, &res, &err)) bench_die("import (set-up)", &err);
  double t0 = bench_now();
  cl_dupidx *x;
  cl_dupgroup *g;
  int ng;
  if (cl_dupidx_new(&x, &err) || cl_dupidx_load(x, s, "contact", &err) ||
      cl_dupidx_groups(x, 0, &g, &ng, &err))
    bench_die("duplicates", &err);
  double t = bench_now() - t0;
  printf("duplicates over %d contacts: %.2f s, %d groups (goal: under 5 s) %s\n", res.created, t,
         ng, t < 5 ? "OK" : "MISSED");
  cl_dupgroups_free(g, ng);
  cl_dupidx_free(x);
  cl_store_close(s);
  remove(db);
  remove(csv);
}

int main(int argc, char **argv) {
  (void)argc;
  bench_init("import", argv[0]);
  int n = getenv("BENCH_IMPORT_N") ? atoi(getenv("BENCH_IMPORT_N")) : 100000;
  int nd = getenv("BENCH_DUP_N") ? atoi(getenv("BENCH_DUP_N")) : 300000;
  char csv1[400], csv2[400];
  snprintf(csv1, sizeof csv1, "%s/n.csv", bench_dir);
  snprintf(csv2, sizeof csv2, "%s/2n.csv", bench_dir);
  make_csv(csv1, n);
  make_csv(csv2, 2 * n);
  int c1, c2, c3, c4;
  double force = import_once(csv1, n, false, &c1);
  double check = import_once(csv1, n, true, &c2);
  double force2 = import_once(csv2, 2 * n, false, &c4);
  double check2 = import_once(csv2, 2 * n, true, &c3);
  printf("import %d rows --force: %.2f s (%.0f rows/s), %d created\n", n, force, n / force, c1);
  printf("import %d rows with the duplicate check: %.2f s (%.0f rows/s), %d created, %d skipped; "
         "%.2fx --force (goal: under 2x) %s\n", n, check, n / check, c2, n - c2, check / force,
         check / force < 2 ? "OK" : "MISSED");
  printf("import %d rows --force: %.2f s; %.2fx of %d rows (what the store itself costs)\n",
         2 * n, force2, force2 / force, n);
  printf("import %d rows with the duplicate check: %.2f s; %.2fx of %d rows (goal: under 2.2x) %s\n",
         2 * n, check2, check2 / check, n, check2 / check < 2.2 ? "OK" : "MISSED");
  remove(csv1);
  remove(csv2);
  bench_dups(nd);
  return 0;
}
