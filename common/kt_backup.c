/* kt_backup — see kt_backup.h. */
#include "kt_backup.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kt_plat.h"

int kt_backup_fsync_path(const char *path, bool dir) { return kt_plat_fsync_path(path, dir); }

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

int kt_backup_integrity(const char *path, kt_err *err) {
  if (kt_plat_file_info(path, NULL) != 0) return kt_err_set(err, KT_ENOTFOUND, "no file %s", path);
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
  if (!res || strcmp(res, "ok") != 0)
    rc = kt_err_set(err, KT_ECORRUPT, "%s is damaged (integrity check: %s); use another backup",
                    path, res ? res : sqlite3_errmsg(db));
  else
    rc = 0;
out:
  sqlite3_finalize(q);
  sqlite3_close(db);
  return rc;
}

int kt_backup_copy(const char *src, const char *out, kt_backup_check_fn check, kt_err *err) {
  char tmp[4300], dir[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp-%d", out, kt_plat_pid());
  kt_plat_finfo st;
  if (kt_plat_file_info(src, NULL) != 0) return kt_err_set(err, KT_ENOTFOUND, "no database %s", src);
  if (kt_plat_file_info(out, &st) == 0 && !st.is_file)
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
  /* in steps, so a busy writer only waits for one step at a time */
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
  if (kt_backup_fsync_path(tmp, false) != 0) {
    rc = kt_err_set(err, KT_EIO, "cannot flush the backup to disk: %s", strerror(errno));
    goto fail;
  }
  if ((rc = kt_backup_integrity(tmp, err)) || (check && (rc = check(tmp, err)))) goto fail;
  if (kt_plat_rename(tmp, out) != 0) {
    rc = kt_err_set(err, KT_EIO, "cannot put the backup in place (%s): %s", out, strerror(errno));
    goto fail;
  }
  dir_of(out, dir, sizeof dir);
  kt_backup_fsync_path(dir, true);
  return 0;
fail:
  sqlite3_close(to);
  sqlite3_close(from);
  kt_plat_remove(tmp);
  return rc;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* kt_backup_list's walk: PREFIX<time>.db names (a .tmp is a backup still being written). */
typedef struct list_ctx {
  const char *dir, *prefix;
  size_t plen;
  char **v;
  int cnt, cap;
  kt_err *err;
} list_ctx;

static int on_name(void *ud, const char *name) {
  list_ctx *l = ud;
  if (strncmp(name, l->prefix, l->plen) != 0 || !strstr(name, ".db") || strstr(name, ".tmp"))
    return 0;
  if (l->cnt == l->cap) {
    int cap = l->cap ? l->cap * 2 : 16;
    char **p = realloc(l->v, (size_t)cap * sizeof *p);
    if (!p) return kt_err_set(l->err, KT_ENOMEM, "out of memory");
    l->v = p;
    l->cap = cap;
  }
  size_t len = strlen(l->dir) + strlen(name) + 2;
  if (!(l->v[l->cnt] = malloc(len))) return kt_err_set(l->err, KT_ENOMEM, "out of memory");
  snprintf(l->v[l->cnt++], len, "%s/%s", l->dir, name);
  return 0;
}

int kt_backup_list(const char *dir, const char *prefix, char ***paths, int *n, kt_err *err) {
  *paths = NULL;
  *n = 0;
  list_ctx l = {dir, prefix, strlen(prefix), NULL, 0, 0, err};
  int rc = kt_plat_dir_list(dir, on_name, &l);
  if (rc == -1) {
    if (errno == ENOENT) return 0;
    return kt_err_set(err, KT_EIO, "cannot read %s: %s", dir, strerror(errno));
  }
  if (rc) {
    kt_backup_list_free(l.v, l.cnt);
    return rc;
  }
  qsort(l.v, (size_t)l.cnt, sizeof *l.v, cmp_names); /* names sort by time */
  *paths = l.v;
  *n = l.cnt;
  return 0;
}

void kt_backup_list_free(char **paths, int n) {
  for (int i = 0; i < n; i++) free(paths[i]);
  free(paths);
}

int kt_backup_rotate(const char *dir, const char *prefix, int keep, const char *src,
                     kt_backup_check_fn check, char *made, size_t madesz, kt_err *err) {
  char out[4400];
  if (kt_plat_mkdir_private(dir, false) != 0)
    return kt_err_set(err, KT_EIO, "cannot create %s: %s", dir, strerror(errno));
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  snprintf(out, sizeof out, "%s/%s%s.db", dir, prefix, stamp);
  int rc = kt_backup_copy(src, out, check, err);
  if (rc) return rc;
  if (made) snprintf(made, madesz, "%s", out);
  /* keep the newest `keep` (names sort by time), never fewer than the one just made */
  if (keep < 1) keep = 1;
  char **paths;
  int n;
  if (kt_backup_list(dir, prefix, &paths, &n, NULL)) return 0; /* the backup itself is made */
  for (int i = 0; i < n - keep; i++) kt_plat_remove(paths[i]);
  kt_backup_list_free(paths, n);
  return 0;
}
