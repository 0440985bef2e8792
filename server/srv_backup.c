/* srv_backup — see srv_backup.h. Runs without the server's srv_db (own
 * connections), so it works from `kartotekad backup` and from a worker. */
#include "srv_backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kt_pki.h"
#include "kt_uuid.h"

static int fsync_path(const char *path, bool dir) {
  int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

static void dir_of(const char *path, char *out, size_t n) {
  snprintf(out, n, "%s", path);
  char *slash = strrchr(out, '/');
  if (slash == out) out[1] = '\0';
  else if (slash) *slash = '\0';
  else snprintf(out, n, ".");
}

static int sql_err(sqlite3 *db, int rc, const char *what, kt_err *err) {
  if ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR)
    return kt_err_set(err, KT_EIO, "%s: the disk is full or failing (%s); free space and try "
                      "again — nothing was changed", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
    return kt_err_set(err, KT_ECORRUPT, "%s: not a usable database (%s)", what,
                      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  return kt_err_set(err, KT_EDB, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

int srv_backup_check(const char *path, kt_err *err) {
  struct stat st;
  if (stat(path, &st) != 0)
    return kt_err_set(err, KT_ENOTFOUND, "no file %s", path);
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
  sqlite3_stmt *q = NULL;
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL);
  if (rc != SQLITE_OK) {
    rc = kt_err_set(err, KT_ECORRUPT, "%s is not a Kartoteka backup (%s)", path,
                    db ? sqlite3_errmsg(db) : "cannot open");
    goto out;
  }
  rc = sqlite3_step(q);
  const char *res = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
  if (!res || strcmp(res, "ok") != 0) {
    rc = kt_err_set(err, KT_ECORRUPT, "%s is damaged (integrity check: %s); use another backup",
                    path, res ? res : sqlite3_errmsg(db));
    goto out;
  }
  sqlite3_finalize(q);
  q = NULL;
  rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'server_id'", -1, &q, NULL);
  if (rc != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW ||
      sqlite3_table_column_metadata(db, NULL, "srv_user", "pwhash", NULL, NULL, NULL, NULL, NULL) !=
          SQLITE_OK) {
    rc = kt_err_set(err, KT_EINVAL, "%s is a database but not a Kartoteka server's", path);
    goto out;
  }
  rc = 0;
out:
  sqlite3_finalize(q);
  sqlite3_close(db);
  return rc;
}

int srv_backup_make(const char *data_dir, const char *out, kt_err *err) {
  char src[4200], tmp[4300], dir[4200];
  snprintf(src, sizeof src, "%s/master.db", data_dir);
  snprintf(tmp, sizeof tmp, "%s.tmp-%d", out, (int)getpid());
  struct stat st;
  if (stat(src, &st) != 0)
    return kt_err_set(err, KT_ENOTFOUND, "no master database in %s", data_dir);
  if (stat(out, &st) == 0 && !S_ISREG(st.st_mode))
    return kt_err_set(err, KT_EINVAL, "%s is not a regular file; give a file name for the backup",
                      out);
  sqlite3 *from = NULL, *to = NULL;
  int rc = sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) {
    rc = kt_err_set(err, KT_EIO, "cannot write the backup %s: %s", out,
                    to ? sqlite3_errmsg(to) : from ? sqlite3_errmsg(from) : "?");
    goto fail;
  }
  sqlite3_busy_timeout(from, 10000);
  sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) {
    rc = sql_err(to, sqlite3_errcode(to), "backup", err);
    goto fail;
  }
  /* in steps, so a busy server only waits for one step at a time */
  do {
    rc = sqlite3_backup_step(b, 1024);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    rc = sql_err(to, rc, "backup", err);
    goto fail;
  }
  rc = sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
  sqlite3_close(to);
  to = NULL;
  sqlite3_close(from);
  from = NULL;
  if (fsync_path(tmp, false) != 0) {
    rc = kt_err_set(err, KT_EIO, "cannot flush the backup to disk: %s", strerror(errno));
    goto fail;
  }
  if ((rc = srv_backup_check(tmp, err))) goto fail;
  if (rename(tmp, out) != 0) {
    rc = kt_err_set(err, KT_EIO, "cannot put the backup in place (%s): %s", out, strerror(errno));
    goto fail;
  }
  dir_of(out, dir, sizeof dir);
  fsync_path(dir, true);
  return 0;
fail:
  sqlite3_close(to);
  sqlite3_close(from);
  unlink(tmp);
  return rc;
}

int srv_backup_lock_serve(const char *data_dir, kt_err *err) {
  char p[4200];
  snprintf(p, sizeof p, "%s/serve.lock", data_dir);
  int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    kt_err_set(err, KT_EIO, "cannot open %s: %s", p, strerror(errno));
    return -1;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    kt_err_set(err, KT_EBUSY, "a kartotekad is already running on %s; stop it first", data_dir);
    return -1;
  }
  return fd;
}

static int copy_file(const char *from, const char *to, kt_err *err) {
  int in = open(from, O_RDONLY), out = -1;
  if (in < 0) return kt_err_set(err, KT_EIO, "cannot read %s: %s", from, strerror(errno));
  out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (out < 0) {
    close(in);
    return kt_err_set(err, KT_EIO, "cannot write %s: %s", to, strerror(errno));
  }
  char buf[65536];
  ssize_t n;
  int rc = 0;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n) {
      rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", to, strerror(errno));
      break;
    }
  if (!rc && n < 0) rc = kt_err_set(err, KT_EIO, "cannot read %s: %s", from, strerror(errno));
  if (!rc && fsync(out) != 0) rc = kt_err_set(err, KT_EIO, "cannot flush %s: %s", to, strerror(errno));
  close(in);
  close(out);
  if (rc) unlink(to);
  return rc;
}

int srv_backup_restore(const char *data_dir, const char *from, kt_err *err) {
  int rc = srv_backup_check(from, err);
  if (rc) return rc;
  int lock = srv_backup_lock_serve(data_dir, err);
  if (lock < 0) return err ? err->code : KT_EBUSY;
  char db[4200], tmp[4300], keep[4300], wal[4300], shm[4300];
  snprintf(db, sizeof db, "%s/master.db", data_dir);
  snprintf(tmp, sizeof tmp, "%s/master.db.restoring", data_dir);
  snprintf(wal, sizeof wal, "%s-wal", db);
  snprintf(shm, sizeof shm, "%s-shm", db);
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  snprintf(keep, sizeof keep, "%s/master.db.before-restore-%s", data_dir, stamp);
  /* keep the current database (checkpointed, so the copy is whole) */
  struct stat st;
  if (stat(db, &st) == 0) {
    sqlite3 *cur = NULL;
    if (sqlite3_open_v2(db, &cur, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK)
      sqlite3_exec(cur, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(cur);
    if ((rc = copy_file(db, keep, err))) goto out;
  }
  if ((rc = copy_file(from, tmp, err))) goto out;
  /* a new epoch tells clients that the server went back in time */
  sqlite3 *r = NULL;
  char epoch[KT_UUID_STRLEN + 1], sql[128];
  if ((rc = kt_uuid_new_str(epoch, err))) goto out;
  snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta(key, value) VALUES ('epoch', '%s')", epoch);
  if (sqlite3_open_v2(tmp, &r, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
      sqlite3_exec(r, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL", NULL, NULL, NULL) !=
          SQLITE_OK ||
      sqlite3_exec(r, sql, NULL, NULL, NULL) != SQLITE_OK) {
    rc = sql_err(r, sqlite3_errcode(r), "preparing the restored database", err);
    sqlite3_close(r);
    unlink(tmp);
    goto out;
  }
  sqlite3_close(r);
  fsync_path(tmp, false);
  unlink(wal);
  unlink(shm);
  if (rename(tmp, db) != 0) {
    rc = kt_err_set(err, KT_EIO, "cannot put the restored database in place: %s", strerror(errno));
    unlink(tmp);
    goto out;
  }
  fsync_path(data_dir, true);
  /* certificates and keys come back from the database if the folder lost them */
  sqlite3 *m = NULL;
  if (sqlite3_open_v2(db, &m, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
    static const char *pki[] = {"ca.key", "ca.crt", "server.key", "server.crt"};
    for (int i = 0; !rc && i < 4; i++) {
      char q[96], p[4300];
      snprintf(q, sizeof q, "SELECT value FROM meta WHERE key = 'pki_%s'", pki[i]);
      snprintf(p, sizeof p, "%s/%s", data_dir, pki[i]);
      sqlite3_stmt *q1 = NULL;
      if (sqlite3_prepare_v2(m, q, -1, &q1, NULL) == SQLITE_OK && sqlite3_step(q1) == SQLITE_ROW &&
          access(p, F_OK) != 0)
        rc = kt_pki_write_file_atomic(p, sqlite3_column_text(q1, 0),
                                      (size_t)sqlite3_column_bytes(q1, 0),
                                      strstr(pki[i], ".key") ? 0600 : 0644, err);
      sqlite3_finalize(q1);
    }
  }
  sqlite3_close(m);
out:
  close(lock);
  return rc;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int srv_backup_list(const char *data_dir, char ***paths, int *n, kt_err *err) {
  *paths = NULL;
  *n = 0;
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/backups", data_dir);
  DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT) return 0;
    return kt_err_set(err, KT_EIO, "cannot read %s: %s", dir, strerror(errno));
  }
  char **v = NULL;
  int cnt = 0, cap = 0, rc = 0;
  struct dirent *e;
  while (!rc && (e = readdir(d))) {
    /* master-<time>.db; a .tmp is a backup still being written */
    if (strncmp(e->d_name, "master-", 7) != 0 || !strstr(e->d_name, ".db") ||
        strstr(e->d_name, ".tmp"))
      continue;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 16;
      char **p = realloc(v, (size_t)cap * sizeof *p);
      if (!p) {
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
        break;
      }
      v = p;
    }
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    if (!(v[cnt] = malloc(len))) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      break;
    }
    snprintf(v[cnt++], len, "%s/%s", dir, e->d_name);
  }
  closedir(d);
  if (rc) {
    srv_backup_list_free(v, cnt);
    return rc;
  }
  qsort(v, (size_t)cnt, sizeof *v, cmp_names); /* names sort by time */
  *paths = v;
  *n = cnt;
  return 0;
}

void srv_backup_list_free(char **paths, int n) {
  for (int i = 0; i < n; i++) free(paths[i]);
  free(paths);
}

int srv_backup_rotate(const char *data_dir, int keep, kt_err *err) {
  char dir[4200], out[4400];
  snprintf(dir, sizeof dir, "%s/backups", data_dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return kt_err_set(err, KT_EIO, "cannot create %s: %s", dir, strerror(errno));
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  snprintf(out, sizeof out, "%s/master-%s.db", dir, stamp);
  int rc = srv_backup_make(data_dir, out, err);
  if (rc) return rc;
  /* keep the newest `keep` (names sort by time), never fewer than the one just made */
  if (keep < 1) keep = 1;
  char **paths;
  int n;
  if (srv_backup_list(data_dir, &paths, &n, NULL)) return 0; /* the backup itself is made */
  for (int i = 0; i < n - keep; i++) unlink(paths[i]);
  srv_backup_list_free(paths, n);
  return 0;
}
