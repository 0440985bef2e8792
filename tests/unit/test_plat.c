/* Unit tests for kt_plat (the POSIX implementation): private folders with
 * parents, replacing renames, file info and folder listing, the exclusive
 * lock (a second holder is told "busy"), random bytes, timegm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "kt_plat.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/kt-plat-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(kt_plat_fsync_file(f), 0);
  fclose(f);
}

static int count_names(void *ud, const char *name) {
  (void)name;
  (*(int *)ud)++;
  return 0;
}

static void test_files(void **state) {
  (void)state;
  char p[200], a[200], b[200];
  snprintf(p, sizeof p, "%s/x/y/z", dir);
  assert_int_equal(kt_plat_mkdir_private(p, false), -1); /* no parents */
  assert_int_equal(kt_plat_mkdir_private(p, true), 0);
  assert_int_equal(kt_plat_mkdir_private(p, true), 0); /* exists: fine */
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  kt_plat_finfo fi;
  assert_int_equal(kt_plat_file_info(p, &fi), 0);
  assert_true(fi.is_dir && !fi.is_file);
  snprintf(a, sizeof a, "%s/a", dir);
  snprintf(b, sizeof b, "%s/b", dir);
  write_file(a, "new");
  write_file(b, "old, longer");
  assert_int_equal(kt_plat_rename(a, b), 0); /* replaces */
  assert_int_equal(kt_plat_file_info(a, NULL), -1);
  assert_int_equal(kt_plat_file_info(b, &fi), 0);
  assert_true(fi.is_file);
  assert_int_equal(fi.size, 3);
  assert_int_equal(kt_plat_fsync_path(b, false), 0);
  assert_int_equal(kt_plat_fsync_path(dir, true), 0);
  int n = 0;
  assert_int_equal(kt_plat_dir_list(dir, count_names, &n), 0);
  assert_int_equal(n, 2); /* b and x */
  assert_int_equal(kt_plat_dir_list(a, count_names, &n), -1);
  assert_int_equal(kt_plat_remove(b), 0);
  assert_int_equal(kt_plat_remove(b), -1);
  char tmpl[200];
  snprintf(tmpl, sizeof tmpl, "%s/t.XXXXXX", dir);
  int fd = kt_plat_mkstemp(tmpl);
  assert_true(fd >= 0);
  assert_int_equal(kt_plat_fd_set_mode(fd, 0644), 0);
  assert_int_equal(kt_plat_fsync_fd(fd), 0);
  assert_int_equal(stat(tmpl, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_lock(void **state) {
  (void)state;
  char p[200];
  snprintf(p, sizeof p, "%s/sync.lock", dir);
  int a = -1, b = -1;
  assert_int_equal(kt_plat_lock(p, &a), 0);
  assert_true(a >= 0);
  assert_int_equal(kt_plat_lock(p, &b), 1); /* held (another open file description) */
  assert_int_equal(b, -1);
  kt_plat_unlock(a);
  assert_int_equal(kt_plat_lock(p, &b), 0);
  kt_plat_unlock(b);
  snprintf(p, sizeof p, "%s/no/such/dir/x.lock", dir);
  assert_int_equal(kt_plat_lock(p, &a), -1);
}

static void test_process_bits(void **state) {
  (void)state;
  unsigned char r1[32] = {0}, r2[32] = {0};
  assert_int_equal(kt_plat_random(r1, sizeof r1), 0);
  assert_int_equal(kt_plat_random(r2, sizeof r2), 0);
  assert_memory_not_equal(r1, r2, sizeof r1);
  char s[256];
  kt_plat_user_name(s, sizeof s);
  assert_true(s[0] != 0);
  kt_plat_host_name(s, sizeof s);
  assert_true(s[0] != 0);
  setenv("XDG_DATA_HOME", "/x/data", 1);
  kt_plat_data_dir(s, sizeof s);
  assert_string_equal(s, "/x/data");
  unsetenv("XDG_DATA_HOME");
  setenv("HOME", "/home/anna", 1);
  kt_plat_data_dir(s, sizeof s);
  assert_string_equal(s, "/home/anna/.local/share");
  assert_true(kt_plat_pid() > 0);
  struct tm tm = {.tm_year = 126, .tm_mon = 10, .tm_mday = 22, .tm_hour = 10};
  assert_int_equal(kt_plat_timegm(&tm), 1795341600);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
      cmocka_unit_test(test_process_bits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
