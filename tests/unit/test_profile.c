/* Unit tests for cl_profile: what an invite asks the user to confirm, a bad
 * invite refused with a message that says so, a standalone card index that
 * reports itself standalone and is not made twice, and — for every way a
 * join or a new card index can fail (a damaged invite, a server that cannot
 * be reached, a wrong password, each allocation failing in turn) — a folder
 * left as it was found. Joining runs against a REAL kartotekad (the built
 * binary, on 127.0.0.1 with the port it reports). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cl_profile.h"
#include "cl_store.h"
#include "kt_alloc.h"
#include "kt_invite.h"
#include "kt_pki.h"
#include "kt_plat.h"

#define FPR "0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0"
#define FPR_COLONS                                                                            \
  "0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0:0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:" \
  "E1:F0"

static char bindir[1024];

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
  char cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *tmpdir(void) {
  char *d = malloc(128);
  snprintf(d, 128, "/tmp/kt-test-profile-XXXXXX");
  assert_non_null(mkdtemp(d));
  return d;
}

/* Whether dir (or dir/name) exists. */
static bool there(const char *dir, const char *name) {
  char p[1024];
  snprintf(p, sizeof p, "%s%s%s", dir, name ? "/" : "", name ? name : "");
  return kt_plat_file_info(p, NULL) == 0;
}

/* Names in folder dir (not . and ..). */
static int count_name(void *ud, const char *name) {
  (void)name;
  (*(int *)ud)++;
  return 0;
}
static int entries(const char *dir) {
  int n = 0;
  assert_int_equal(kt_plat_dir_list(dir, count_name, &n), 0);
  return n;
}

static char *token(const char *addresses, const char *fpr, const char *user) {
  kt_invite inv;
  memset(&inv, 0, sizeof inv);
  snprintf(inv.addresses, sizeof inv.addresses, "%s", addresses);
  snprintf(inv.ca_fpr, sizeof inv.ca_fpr, "%s", fpr);
  snprintf(inv.secret, sizeof inv.secret, "00ff11ee00ff11ee00ff11ee00ff11ee00ff11ee00ff11ee");
  snprintf(inv.user, sizeof inv.user, "%s", user);
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(kt_invite_encode(&inv, &b, NULL), 0);
  return kt_buf_take(&b);
}

/* ---- the invite ----------------------------------------------------------------------- */

static void test_invite_read(void **state) {
  (void)state;
  char *t = token("10.0.0.5:7433,crm.office.lan:7433", FPR, "Иванова");
  cl_profile_invite inv;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(cl_profile_invite_read(t, &inv, &err), 0);
  assert_string_equal(inv.address, "10.0.0.5:7433,crm.office.lan:7433");
  assert_string_equal(inv.fingerprint, FPR_COLONS); /* as openssl prints it */
  assert_string_equal(inv.user, "Иванова");

  /* foreign text, a damaged token, nothing: refused with what to do; *out untouched */
  memset(&inv, 'x', sizeof inv);
  assert_int_equal(cl_profile_invite_read("hello", &inv, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "not a Kartoteka invite"));
  assert_int_equal(inv.address[0], 'x');
  t[strlen(t) - 1] = '\0';
  assert_int_equal(cl_profile_invite_read(t, &inv, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "damaged"));
  assert_non_null(strstr(err.msg, "copy it again"));
  assert_int_equal(cl_profile_invite_read("", &inv, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "paste the invite"));
  assert_int_equal(cl_profile_invite_read(NULL, &inv, &err), KT_EINVAL);
  assert_int_equal(inv.fingerprint[0], 'x');
  free(t);
  /* a well-formed token whose fingerprint is not one */
  t = token("10.0.0.5:7433", "0F1E2D", "anna");
  assert_int_equal(cl_profile_invite_read(t, &inv, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "damaged"));
  free(t);
}

/* ---- a card index on this PC only ------------------------------------------------------ */

static void test_init_local(void **state) {
  (void)state;
  char *base = tmpdir();
  char dir[256];
  snprintf(dir, sizeof dir, "%s/a/b/prof", base); /* the folders above are made too */
  cl_profile_kind k = CL_PROFILE_STANDALONE;
  kt_err err;
  kt_err_clear(&err);
  assert_false(cl_profile_exists(dir));
  assert_int_equal(cl_profile_kind_get(dir, &k, &err), 0);
  assert_int_equal(k, CL_PROFILE_NONE);

  assert_int_equal(cl_profile_init_local(dir, "Анна", &err), 0);
  assert_true(cl_profile_exists(dir));
  assert_int_equal(cl_profile_kind_get(dir, &k, &err), 0);
  assert_int_equal(k, CL_PROFILE_STANDALONE);
  struct stat st;
  assert_int_equal(stat(dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700); /* the user's alone */

  /* a second one is refused, and the first is untouched */
  char db[300];
  snprintf(db, sizeof db, "%s/replica.db", dir);
  cl_store *s = NULL;
  assert_int_equal(cl_store_open(db, NULL, &s, &err), 0);
  cl_set sets[] = {{"name", "ООО Ромашка"}};
  char id[KT_UUID_STRLEN + 1];
  assert_int_equal(cl_store_add(s, "org", sets, 1, id, &err), 0);
  cl_store_close(s);
  assert_int_equal(cl_profile_init_local(dir, "boris", &err), KT_EEXISTS);
  assert_non_null(strstr(err.msg, "already exists"));
  assert_non_null(strstr(err.msg, "nothing was changed"));
  s = NULL;
  assert_int_equal(cl_store_open(db, NULL, &s, &err), 0);
  assert_string_equal(cl_store_user(s), "Анна");
  kt_rec *r = NULL;
  assert_int_equal(cl_store_get(s, id, &r, &err), 0);
  kt_rec_free(r);
  cl_store_close(s);
  /* nor can a join go over it */
  char *t = token("127.0.0.1:1", FPR, "anna");
  cl_profile_input at = CL_PROFILE_IN_NONE;
  assert_int_equal(cl_profile_connect(dir, t, "pw", NULL, &at, &err), KT_EEXISTS);
  assert_int_equal(at, CL_PROFILE_IN_FOLDER);
  assert_int_equal(cl_profile_kind_get(dir, &k, &err), 0);
  assert_int_equal(k, CL_PROFILE_STANDALONE);
  free(t);

  /* no user name: refused before anything is made */
  snprintf(dir, sizeof dir, "%s/c", base);
  assert_int_equal(cl_profile_init_local(dir, "", &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "user name"));
  assert_int_equal(cl_profile_init_local(dir, "  ", &err), KT_EINVAL);
  assert_false(there(dir, NULL));
  run("rm -rf '%s'", base);
  free(base);
}

/* An allocation of a new card index failing (SQLite's too; the whole span
 * of them, sampled: a card index's migrations make tens of thousands): an
 * error with a message, and the folders it made are gone again. */
static void test_init_local_oom(void **state) {
  (void)state;
  char *base = tmpdir();
  char dir[256];
  snprintf(dir, sizeof dir, "%s/x/prof", base);
  kt_err err;
  /* how many allocations a successful run makes */
  kt_alloc_fail_nth(1L << 40, KT_ALLOC_SQLITE);
  assert_int_equal(cl_profile_init_local(dir, "anna", &err), 0);
  long total = kt_alloc_count();
  kt_alloc_fail_nth(0, 0);
  assert_int_equal(run("rm -rf '%s/x'", base), 0);
  assert_true(total > 100);
  int failures = 0, samples = 0;
  for (long n = 1; n <= total; n += n < 40 ? 1 : total / 60) {
    kt_err_clear(&err);
    kt_alloc_fail_nth(n, KT_ALLOC_SQLITE);
    int rc = cl_profile_init_local(dir, "anna", &err);
    bool failed = kt_alloc_failed();
    kt_alloc_fail_nth(0, 0);
    samples++;
    if (!failed || rc == 0) { /* not reached, or absorbed (SQLite retries some): a whole profile */
      assert_int_equal(rc, 0);
      cl_profile_kind k;
      assert_int_equal(cl_profile_kind_get(dir, &k, &err), 0);
      assert_int_equal(k, CL_PROFILE_STANDALONE);
      assert_int_equal(run("rm -rf '%s/x'", base), 0);
      continue;
    }
    failures++;
    if (!err.msg[0] || entries(base) != 0)
      fprintf(stderr, "allocation %ld of %ld: rc %d, \"%s\"%s\n", n, total, rc, err.msg,
              entries(base) ? ", and files were left behind" : "");
    assert_true(err.msg[0] != 0);
    assert_int_equal(entries(base), 0); /* not even the folders */
  }
  assert_true(failures > samples / 2);
  run("rm -rf '%s'", base);
  free(base);
}

/* ---- joining: refusals that never reach a server ---------------------------------------- */

static void test_connect_refused_early(void **state) {
  (void)state;
  char *base = tmpdir();
  char dir[256];
  snprintf(dir, sizeof dir, "%s/prof", base);
  kt_err err;
  kt_err_clear(&err);
  cl_profile_input at = CL_PROFILE_IN_NONE;
  assert_int_equal(cl_profile_connect(dir, "not an invite", "pw", NULL, &at, &err), KT_EINVAL);
  assert_int_equal(at, CL_PROFILE_IN_INVITE);
  assert_non_null(strstr(err.msg, "not a Kartoteka invite"));
  assert_int_equal(entries(base), 0);
  char *t = token("127.0.0.1:1", FPR, "anna");
  at = CL_PROFILE_IN_NONE;
  assert_int_equal(cl_profile_connect(dir, t, "", NULL, &at, &err), KT_EINVAL);
  assert_int_equal(at, CL_PROFILE_IN_PASSWORD);
  assert_non_null(strstr(err.msg, "password"));
  assert_int_equal(entries(base), 0);
  free(t);
  run("rm -rf '%s'", base);
  free(base);
}

/* A server that cannot be reached: KT_ENET on the server, with what to do; a
 * folder the call made is removed, one that was there stays (empty). */
static void test_connect_unreachable(void **state) {
  (void)state;
  char *base = tmpdir();
  char dir[256];
  snprintf(dir, sizeof dir, "%s/new/prof", base);
  char *t = token("127.0.0.1:1", FPR, "anna"); /* nothing listens on port 1 */
  kt_err err;
  kt_err_clear(&err);
  cl_profile_input at = CL_PROFILE_IN_NONE;
  assert_int_equal(cl_profile_connect(dir, t, "correct horse battery", NULL, &at, &err), KT_ENET);
  assert_int_equal(at, CL_PROFILE_IN_SERVER);
  assert_non_null(strstr(err.msg, "127.0.0.1:1"));
  assert_non_null(strstr(err.msg, "try again"));
  assert_int_equal(entries(base), 0);
  assert_false(cl_profile_exists(dir));
  snprintf(dir, sizeof dir, "%s/empty", base);
  assert_int_equal(mkdir(dir, 0700), 0);
  assert_int_equal(cl_profile_connect(dir, t, "correct horse battery", NULL, &at, &err), KT_ENET);
  assert_true(there(dir, NULL));
  assert_int_equal(entries(dir), 0);
  free(t);
  run("rm -rf '%s'", base);
  free(base);
}

/* ---- joining a real server ------------------------------------------------------------- */

/* Starts kartotekad serve on 127.0.0.1:0; *addr gets the address it reports. */
static pid_t start_server(const char *data, char *addr, size_t n) {
  int fd[2];
  assert_int_equal(pipe(fd), 0);
  pid_t pid = fork();
  if (pid == 0) {
    char bin[1100];
    snprintf(bin, sizeof bin, "%s/kartotekad", bindir);
    dup2(fd[1], 1);
    close(fd[0]);
    freopen("/dev/null", "w", stderr);
    execl(bin, bin, "serve", "--data", data, "--listen", "127.0.0.1:0", (char *)NULL);
    _exit(127);
  }
  close(fd[1]);
  FILE *f = fdopen(fd[0], "r");
  char line[256];
  addr[0] = '\0';
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "listening ", 10) == 0) {
      line[strcspn(line, "\r\n")] = '\0';
      snprintf(addr, n, "%.100s", line + 10);
      break;
    }
  fclose(f); /* (the server does not write to stdout after it) */
  assert_true(addr[0] != '\0');
  return pid;
}

static char *invite_for(const char *base, const char *addr) {
  char cmd[2048], line[4096];
  snprintf(cmd, sizeof cmd, "'%s/kartotekad' invite --data '%s/data' --user vera --address %s",
           bindir, base, addr);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char *ok = fgets(line, sizeof line, p);
  pclose(p);
  assert_non_null(ok);
  line[strcspn(line, "\r\n")] = '\0';
  return strdup(line);
}

static void test_connect_real_server(void **state) {
  (void)state;
  char *base = tmpdir();
  assert_int_equal(run("echo 'correct horse battery' > %s/pw && '%s/kartotekad' init --data %s/data "
                       "--admin boss --password-file %s/pw >/dev/null && '%s/kartotekad' user add "
                       "--data %s/data --user vera --role manager --password-file %s/pw >/dev/null",
                       base, bindir, base, base, bindir, base, base), 0);
  char addr[128], data[256], dir[256];
  snprintf(data, sizeof data, "%s/data", base);
  pid_t srv = start_server(data, addr, sizeof addr);
  char *inv = invite_for(base, addr);

  /* what the user confirms is the server's own CA */
  cl_profile_invite info;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(cl_profile_invite_read(inv, &info, &err), 0);
  assert_string_equal(info.address, addr);
  assert_string_equal(info.user, "vera");
  char cap[300], fpr[KT_PKI_FPR_HEX_MAX];
  snprintf(cap, sizeof cap, "%s/ca.crt", data);
  X509 *ca = NULL;
  assert_int_equal(kt_pki_cert_load_pem(cap, &ca, &err), 0);
  assert_int_equal(kt_pki_cert_fingerprint(ca, true, fpr, sizeof fpr, &err), 0);
  X509_free(ca);
  assert_string_equal(info.fingerprint, fpr);

  /* a wrong password: the server's refusal, on the password, and no profile */
  snprintf(dir, sizeof dir, "%s/vera", base);
  cl_profile_input at = CL_PROFILE_IN_NONE;
  assert_int_equal(cl_profile_connect(dir, inv, "wrong password here", NULL, &at, &err), KT_EAUTH);
  assert_int_equal(at, CL_PROFILE_IN_PASSWORD);
  assert_non_null(strstr(err.msg, "wrong password for vera"));
  assert_false(there(dir, NULL));
  /* the next try starts clean and works */
  assert_int_equal(cl_profile_connect(dir, inv, "correct horse battery", "test PC", &at, &err), 0);
  cl_profile_kind k = CL_PROFILE_NONE;
  assert_int_equal(cl_profile_kind_get(dir, &k, &err), 0);
  assert_int_equal(k, CL_PROFILE_CONNECTED);
  assert_true(there(dir, "device.crt"));
  assert_true(there(dir, "ca.crt"));
  /* the invite is spent: another folder is refused on the invite, and stays empty */
  snprintf(dir, sizeof dir, "%s/vera2", base);
  assert_int_equal(cl_profile_connect(dir, inv, "correct horse battery", NULL, &at, &err),
                   KT_EEXISTS);
  assert_int_equal(at, CL_PROFILE_IN_INVITE);
  assert_non_null(strstr(err.msg, "already used"));
  assert_false(there(dir, NULL));
  free(inv);
  kill(srv, SIGTERM);
  waitpid(srv, NULL, 0);
  run("rm -rf '%s'", base);
  free(base);
}

int main(void) {
  char self[900];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 1;
  self[n] = 0;
  *strrchr(self, '/') = 0; /* build/X/tests */
  snprintf(bindir, sizeof bindir, "%s/../bin", self);
  signal(SIGPIPE, SIG_IGN);
  /* SQLite's allocations through the hook (counted only with KT_ALLOC_SQLITE) */
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, kt_alloc_sqlite_methods()) != SQLITE_OK) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_invite_read),          cmocka_unit_test(test_init_local),
      cmocka_unit_test(test_init_local_oom),       cmocka_unit_test(test_connect_refused_early),
      cmocka_unit_test(test_connect_unreachable),  cmocka_unit_test(test_connect_real_server),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
