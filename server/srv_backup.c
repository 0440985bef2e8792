/* srv_backup — see srv_backup.h. Runs without the server's srv_db (own
 * connections), so it works from `kartotekad backup` and from a worker. */
#include "srv_backup.h"

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

#include "kt_backup.h"
#include "kt_pki.h"
#include "kt_uuid.h"

static int sql_err(sqlite3 *db, int rc, const char *what, kt_err *err) {
  if ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR)
    return kt_err_set(err, KT_EIO, "%s: the disk is full or failing (%s); free space and try "
                      "again — nothing was changed", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  return kt_err_set(err, KT_EDB, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

int srv_backup_check(const char *path, kt_err *err) {
  int rc = kt_backup_integrity(path, err);
  if (rc) return rc;
  sqlite3 *db = NULL;
  sqlite3_stmt *q = NULL;
  rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'server_id'", -1, &q, NULL);
  if (rc != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW ||
      sqlite3_table_column_metadata(db, NULL, "srv_user", "pwhash", NULL, NULL, NULL, NULL, NULL) !=
          SQLITE_OK)
    rc = kt_err_set(err, KT_EINVAL, "%s is a database but not a Kartoteka server's", path);
  else
    rc = 0;
  sqlite3_finalize(q);
  sqlite3_close(db);
  return rc;
}

int srv_backup_make(const char *data_dir, const char *out, kt_err *err) {
  char src[4200];
  snprintf(src, sizeof src, "%s/master.db", data_dir);
  struct stat st;
  if (stat(src, &st) != 0)
    return kt_err_set(err, KT_ENOTFOUND, "no master database in %s", data_dir);
  return kt_backup_copy(src, out, srv_backup_check, err);
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
  kt_backup_fsync_path(tmp, false);
  unlink(wal);
  unlink(shm);
  if (rename(tmp, db) != 0) {
    rc = kt_err_set(err, KT_EIO, "cannot put the restored database in place: %s", strerror(errno));
    unlink(tmp);
    goto out;
  }
  kt_backup_fsync_path(data_dir, true);
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

int srv_backup_list(const char *data_dir, char ***paths, int *n, kt_err *err) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/backups", data_dir);
  return kt_backup_list(dir, "master-", paths, n, err);
}

void srv_backup_list_free(char **paths, int n) { kt_backup_list_free(paths, n); }

int srv_backup_rotate(const char *data_dir, int keep, kt_err *err) {
  char dir[4200], src[4200];
  snprintf(dir, sizeof dir, "%s/backups", data_dir);
  snprintf(src, sizeof src, "%s/master.db", data_dir);
  struct stat st;
  if (stat(src, &st) != 0)
    return kt_err_set(err, KT_ENOTFOUND, "no master database in %s", data_dir);
  return kt_backup_rotate(dir, "master-", keep, src, srv_backup_check, NULL, 0, err);
}
