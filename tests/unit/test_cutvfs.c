/* Unit tests for srv_cutvfs (the test VFS of the crash tests): reads see
 * unsynced writes, the real file gets them only at xSync, truncation and holes
 * read as zeros, a file with nothing unsynced shows what others wrote; a child
 * process killed with SIGKILL loses exactly what it did not sync (WAL + FULL:
 * nothing committed; WAL + NORMAL: the commits since the last checkpoint), and
 * a normal exit keeps everything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "srv_cutvfs.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/kt-cutvfs.XXXXXX");
  return mkdtemp(dir) && srv_cutvfs_register() == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void path_of(const char *name, char *out, size_t n) { snprintf(out, n, "%s/%s", dir, name); }

static off_t real_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_overlay_until_sync(void **state) {
  (void)state;
  char path[128];
  path_of("raw.db", path, sizeof path);
  sqlite3_vfs *vfs = sqlite3_vfs_find(SRV_CUTVFS_NAME);
  assert_non_null(vfs);
  sqlite3_file *f = calloc(1, (size_t)vfs->szOsFile);
  assert_non_null(f);
  int out;
  int flags = SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  assert_int_equal(vfs->xOpen(vfs, path, f, flags, &out), SQLITE_OK);
  const sqlite3_io_methods *m = f->pMethods;
  char buf[10000], big[10000];
  memset(big, 'a', sizeof big);
  assert_int_equal(m->xWrite(f, big, 10000, 0), SQLITE_OK); /* spans three blocks */
  assert_int_equal(m->xWrite(f, "XYZ", 3, 4094), SQLITE_OK); /* across a block edge */
  sqlite3_int64 sz;
  assert_int_equal(m->xFileSize(f, &sz), SQLITE_OK);
  assert_int_equal(sz, 10000);
  assert_int_equal(real_size(path), 0); /* nothing reached the file */
  int ex = 0;
  assert_int_equal(vfs->xAccess(vfs, path, SQLITE_ACCESS_EXISTS, &ex), SQLITE_OK);
  assert_int_equal(ex, 1);
  assert_int_equal(m->xRead(f, buf, 5, 4093), SQLITE_OK);
  assert_memory_equal(buf, "aXYZa", 5);
  assert_int_equal(m->xSync(f, SQLITE_SYNC_NORMAL), SQLITE_OK);
  assert_int_equal(real_size(path), 10000);
  /* shrink, then grow again past the old end: the gap reads as zeros */
  assert_int_equal(m->xTruncate(f, 5000), SQLITE_OK);
  assert_int_equal(m->xWrite(f, "end", 3, 9000), SQLITE_OK);
  assert_int_equal(real_size(path), 10000);
  assert_int_equal(m->xRead(f, buf, 9003, 0), SQLITE_OK);
  assert_memory_equal(buf + 4094, "XYZ", 3);
  assert_int_equal(buf[4999], 'a');
  for (int i = 5000; i < 9000; i++) assert_int_equal(buf[i], 0);
  assert_memory_equal(buf + 9000, "end", 3);
  /* past the end: short read, zero-filled */
  memset(buf, 'q', 100);
  assert_int_equal(m->xRead(f, buf, 100, 8950), SQLITE_IOERR_SHORT_READ);
  assert_memory_equal(buf + 50, "end", 3);
  for (int i = 53; i < 100; i++) assert_int_equal(buf[i], 0);
  assert_int_equal(m->xSync(f, SQLITE_SYNC_NORMAL), SQLITE_OK);
  assert_int_equal(real_size(path), 9003);
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(pread(fd, big, 9003, 0), 9003);
  close(fd);
  assert_int_equal(big[4999], 'a');
  assert_int_equal(big[5000], 0);
  assert_memory_equal(big + 9000, "end", 3);
  /* clean again: what another process writes to the file is seen */
  fd = open(path, O_WRONLY);
  assert_int_equal(pwrite(fd, "other", 5, 9003), 5);
  close(fd);
  assert_int_equal(m->xFileSize(f, &sz), SQLITE_OK);
  assert_int_equal(sz, 9008);
  assert_int_equal(m->xRead(f, buf, 5, 9003), SQLITE_OK);
  assert_memory_equal(buf, "other", 5);
  assert_int_equal(m->xClose(f), SQLITE_OK);
  free(f);
}

static sqlite3 *child_db; /* static: still reachable when the child exits without closing */

/* count(*) of t through the default VFS (recovering the WAL as a restart would),
 * or -2 when the database fails its integrity check */
static int count_rows(const char *path) {
  sqlite3 *db = NULL;
  int n = -1;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    if (sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok"))
      n = -2;
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

/* "PRAGMA synchronous=SYNC;" and n single-row commits */
static char *commits(char *out, const char *sync, int n) {
  out += sprintf(out, "PRAGMA synchronous=%s;", sync);
  for (int i = 0; i < n; i++) out += sprintf(out, "INSERT INTO t(pad) VALUES (randomblob(3000));");
  return out;
}

/* In a child with the cut VFS (WAL, no automatic checkpoints): runs sql, checks
 * that it reads every row it wrote, then dies by SIGKILL or exits normally
 * without closing the database. */
static void run_child(const char *path, const char *sql, bool kill_it) {
  fflush(NULL); /* the child's exit() must not print the parent's buffered output again */
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int ok = sqlite3_open_v2(path, &child_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             SRV_CUTVFS_NAME) == SQLITE_OK &&
             sqlite3_exec(child_db,
                          "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; "
                          "PRAGMA synchronous=FULL; "
                          "CREATE TABLE IF NOT EXISTS t(x INTEGER PRIMARY KEY, pad BLOB); "
                          "CREATE TABLE IF NOT EXISTS c(n INTEGER);",
                          NULL, NULL, NULL) == SQLITE_OK &&
             sqlite3_exec(child_db, sql, NULL, NULL, NULL) == SQLITE_OK &&
             sqlite3_exec(child_db,
                          "DELETE FROM c; INSERT INTO c SELECT count(*) FROM t", NULL, NULL,
                          NULL) == SQLITE_OK;
    if (!ok) _exit(3);
    if (kill_it) raise(SIGKILL);
    exit(0); /* without closing: only the VFS's exit handler writes the overlay */
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (kill_it) assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  else assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static char sql[200000];

static void test_kill_keeps_synced_commits_only(void **state) {
  (void)state;
  char path[128];
  path_of("full.db", path, sizeof path);
  commits(sql, "FULL", 20);
  run_child(path, sql, true);
  assert_int_equal(count_rows(path), 20);
  path_of("normal.db", path, sizeof path);
  commits(commits(sql, "FULL", 5), "NORMAL", 20);
  run_child(path, sql, true);
  assert_int_equal(count_rows(path), 5); /* the NORMAL commits were never synced */
  path_of("off.db", path, sizeof path);
  commits(sql, "OFF", 30);
  run_child(path, sql, true);
  assert_int_equal(count_rows(path), 0);
}

static void test_exit_keeps_everything(void **state) {
  (void)state;
  char path[128];
  path_of("exit.db", path, sizeof path);
  commits(commits(sql, "FULL", 5), "NORMAL", 20);
  run_child(path, sql, false);
  assert_int_equal(count_rows(path), 25);
}

/* a checkpoint syncs; the next commit rewrites the WAL from its start in memory
 * only, and recovery after the kill finds the old, checkpointed frames */
static void test_checkpoint_then_kill(void **state) {
  (void)state;
  char path[128];
  path_of("ckpt.db", path, sizeof path);
  char *p = commits(sql, "NORMAL", 10);
  p += sprintf(p, "PRAGMA wal_checkpoint(PASSIVE);");
  commits(p, "NORMAL", 10);
  run_child(path, sql, true);
  assert_int_equal(count_rows(path), 10);
  commits(sql, "FULL", 3); /* and FULL after a checkpoint keeps its commits */
  run_child(path, sql, true);
  assert_int_equal(count_rows(path), 13);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_overlay_until_sync),
      cmocka_unit_test(test_kill_keeps_synced_commits_only),
      cmocka_unit_test(test_exit_keeps_everything),
      cmocka_unit_test(test_checkpoint_then_kill),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
