/* bench_rights — issue #4: the pull of a fresh replica for a manager who owns
 * 10% of a 300,000-card base (150,000 organizations + 150,000 contacts, ten
 * managers), as a ratio to the same pull for an administrator, who receives
 * every card. Filtering must not cost more than the rows it sends: the
 * manager's pull should take about a tenth of the administrator's.
 * Both pulls are real `kartoteka sync` processes against a real kartotekad
 * over TLS; the numbers are wall time of the client and CPU time of the
 * server. Env: BENCH_RIGHTS_CARDS (default 300000), BENCH_DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"

#define MANAGERS 10

static const char *const adj[] = {"Северный", "Южный", "Новый", "Первый", "Сибирский", "Волжский"};
static const char *const noun[] = {"Ветер", "Альянс", "Стандарт", "Проект", "Союз", "Терминал"};
static const char *const surnames[] = {"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев",
                                       "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров"};
#define PICK(a) a[(unsigned)rand() % (sizeof a / sizeof a[0])]

static void enroll(const char *data, const char *user, const char *profile) {
  char inv[1200];
  bench_capture(inv, sizeof inv, "'%s/kartotekad' invite --data '%s' --user %s", bench_bin, data,
                user);
  bench_run("'%s/kartoteka' --profile '%s' connect --invite '%s' --password-file '%s/pw' >/dev/null",
            bench_bin, profile, inv, bench_dir);
}

/* A fresh replica's pull: client wall time and server CPU. */
static void pull(const char *profile, double *wall, double *cpu) {
  double c0 = bench_srv_cpu(), t0 = bench_now();
  bench_run("'%s/kartoteka' --profile '%s' sync >/dev/null", bench_bin, profile);
  *wall = bench_now() - t0;
  *cpu = bench_srv_cpu() - c0;
}

static long count(const char *profile) {
  char out[64];
  bench_capture(out, sizeof out,
                "sqlite3 '%s/replica.db' 'SELECT (SELECT count(*) FROM t_org) + "
                "(SELECT count(*) FROM t_contact)'",
                profile);
  return atol(out);
}

int main(int argc, char **argv) {
  (void)argc;
  bench_init("bench_rights", argv[0]);
  const char *e = getenv("BENCH_RIGHTS_CARDS");
  long cards = e && *e ? atol(e) : 300000;
  if (cards < 1000) cards = 1000;
  srand(7);
  char data[400], pw[400];
  snprintf(data, sizeof data, "%s/data", bench_dir);
  snprintf(pw, sizeof pw, "%s/pw", bench_dir);
  FILE *f = fopen(pw, "w");
  if (!f) bench_die("cannot write the password file", NULL);
  fputs("bench password 1\n", f);
  fclose(f);
  bench_run("'%s/kartotekad' init --data '%s' --admin boss --password-file '%s' >/dev/null",
            bench_bin, data, pw);
  for (int m = 0; m < MANAGERS; m++)
    bench_run("'%s/kartotekad' user add --data '%s' --user m%d --role manager "
              "--password-file '%s' >/dev/null",
              bench_bin, data, m, pw);

  /* the base: every card belongs to one of ten managers; contacts to an org */
  double t0 = bench_now();
  bench_loader L;
  bench_loader_open(&L, data);
  kt_mtype *to = kt_model_type(L.model, "org"), *tc = kt_model_type(L.model, "contact");
  long norg = cards / 2, ncon = cards - norg;
  char(*orgs)[KT_UUID_STRLEN + 1] = calloc((size_t)norg, sizeof *orgs);
  if (!orgs) bench_die("out of memory", NULL);
  char b[300], owner[16], id[KT_UUID_STRLEN + 1];
  for (long i = 0; i < norg; i++) {
    kt_rec *r = kt_rec_new(to);
    snprintf(b, sizeof b, "ООО \"%s %s %ld\"", PICK(adj), PICK(noun), i);
    bench_set(r, "name", b);
    snprintf(b, sizeof b, "+7 495 %03ld-%02ld-%02ld", i / 10000 % 1000, i / 100 % 100, i % 100);
    bench_set(r, "phone", b);
    bench_set(r, "city", "Москва");
    snprintf(owner, sizeof owner, "m%ld", i % MANAGERS);
    bench_set(r, "owner", owner);
    bench_loader_add(&L, r, orgs[i]);
  }
  for (long i = 0; i < ncon; i++) {
    kt_rec *r = kt_rec_new(tc);
    bench_set(r, "last_name", PICK(surnames));
    bench_set(r, "first_name", "Ольга");
    snprintf(b, sizeof b, "+7 916 %03ld-%02ld-%02ld", i / 10000 % 1000, i / 100 % 100, i % 100);
    bench_set(r, "phone_mobile", b);
    bench_set(r, "org", orgs[i % norg]); /* follows the org: same manager */
    snprintf(owner, sizeof owner, "m%ld", i % norg % MANAGERS);
    bench_set(r, "owner", owner);
    bench_loader_add(&L, r, id);
  }
  bench_loader_close(&L);
  free(orgs);
  printf("base: %ld cards (%ld organizations, %ld contacts), %d managers; loaded in %.1f s\n",
         cards, norg, ncon, MANAGERS, bench_now() - t0);

  char addr[128], pa[400], pm[400];
  bench_srv_start(data, addr, sizeof addr);
  snprintf(pa, sizeof pa, "%s/boss", bench_dir);
  snprintf(pm, sizeof pm, "%s/m3", bench_dir);
  enroll(data, "boss", pa);
  enroll(data, "m3", pm);
  double wa, ca, wm, cm;
  pull(pa, &wa, &ca);
  pull(pm, &wm, &cm);
  long na = count(pa), nm = count(pm);
  bench_srv_stop();
  printf("administrator: %ld cards in %.2f s (server CPU %.2f s)\n", na, wa, ca);
  printf("manager (10%%): %ld cards in %.2f s (server CPU %.2f s)\n", nm, wm, cm);
  double share = na ? (double)nm / (double)na : 0;
  printf("rows sent: %.3f of the administrator's; time ratio %.3f (wall), %.3f (server CPU)\n",
         share, wm / wa, cm / ca);
  printf("filtering overhead per row sent (ratio / share): %.2fx wall, %.2fx server CPU "
         "(goal: about 1x)\n",
         share > 0 ? wm / wa / share : 0, share > 0 ? cm / ca / share : 0);
  if (!getenv("BENCH_KEEP")) bench_run("rm -rf '%s'", bench_dir);
  return 0;
}
