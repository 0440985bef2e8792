/* cl_repair — see cl_repair.h. The new card index is built next to the old
 * one (replica.db.repairing) and renamed into place only when complete; the
 * damaged file is moved aside first (so no other program writes to it) and
 * moved back when the new one cannot be built. */
#include "cl_repair.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl_session.h"
#include "cl_store.h"
#include "cl_sync.h"
#include "kt_backup.h"
#include "kt_hlc.h"
#include "kt_log.h"
#include "kt_pki.h"
#include "kt_plat.h"

#define BACKUP_PREFIX "replica-"

/* settings that travel to the rebuilt card index (not the pull cursor: it
   is rebuilt from the beginning; user, device and mode are made by create) */
static const char *const kept_meta[] = {"server", "token", "server_epoch", "user_id", "role",
                                        "rights", "account", "snooze_seconds", "birthday_days"};

static void path_in(const char *dir, const char *name, char *out, size_t n) {
  snprintf(out, n, "%s/%s", dir, name);
}

static bool exists(const char *path) { return kt_plat_file_info(path, NULL) == 0; }

static void remove_db(const char *path) {
  char p[4400];
  kt_plat_remove(path);
  snprintf(p, sizeof p, "%s-wal", path);
  kt_plat_remove(p);
  snprintf(p, sizeof p, "%s-shm", path);
  kt_plat_remove(p);
}

/* Renames a database with its WAL (the -shm is only a cache: dropped). */
static int move_db(const char *from, const char *to) {
  char fw[4400], tw[4400];
  snprintf(fw, sizeof fw, "%s-wal", from);
  snprintf(tw, sizeof tw, "%s-wal", to);
  if (kt_plat_rename(from, to) != 0) return -1;
  if (exists(fw) && kt_plat_rename(fw, tw) != 0) return -1;
  snprintf(fw, sizeof fw, "%s-shm", from);
  kt_plat_remove(fw);
  return 0;
}

/* The device id and user a card index file names (0, or -1 when it names none). */
static int card_index_of(const char *path, char *dev, size_t devsz) {
  sqlite3 *db = NULL;
  sqlite3_stmt *q = NULL;
  int found = 0;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT key, value FROM meta WHERE key IN ('device_id', 'user')", -1, &q,
                         NULL) == SQLITE_OK)
    while (sqlite3_step(q) == SQLITE_ROW) {
      const char *k = (const char *)sqlite3_column_text(q, 0), *v = (const char *)sqlite3_column_text(q, 1);
      if (!k || !v) continue;
      found++;
      if (strcmp(k, "device_id") == 0 && dev) snprintf(dev, devsz, "%s", v);
    }
  sqlite3_finalize(q);
  sqlite3_close(db);
  return found == 2 ? 0 : -1;
}

static int check_card_index(const char *path, kt_err *err) {
  if (card_index_of(path, NULL, 0))
    return kt_err_set(err, KT_EINVAL, "%s is a database but not a Kartoteka card index", path);
  return 0;
}

/* ---- the standalone PC's backups ---------------------------------------------------- */

int cl_backup_daily(const char *profile_dir, bool *made, kt_err *err) {
  *made = false;
  char dir[4200], db[4200];
  path_in(profile_dir, "backups", dir, sizeof dir);
  path_in(profile_dir, "replica.db", db, sizeof db);
  char **paths;
  int n;
  int rc = kt_backup_list(dir, BACKUP_PREFIX, &paths, &n, err);
  if (rc) return rc;
  kt_plat_finfo st;
  bool due = n == 0 || kt_plat_file_info(paths[n - 1], &st) != 0 ||
             time(NULL) - st.mtime >= CL_BACKUP_INTERVAL_S || time(NULL) < st.mtime;
  kt_backup_list_free(paths, n);
  if (!due) return 0;
  rc = kt_backup_rotate(dir, BACKUP_PREFIX, CL_BACKUP_KEEP, db, check_card_index, NULL, 0, err);
  if (!rc) *made = true;
  return rc;
}

/* ---- rebuilding ---------------------------------------------------------------------- */

static const char *meta_or(const cl_salvage *sv, const char *key) {
  return sv ? cl_salvage_meta(sv, key) : NULL;
}

/* Change numbers continue above what the damaged replica handed out; when its
 * counter cannot be read, above any number it can have used (the clock in
 * milliseconds: counters only grow by one per change). */
static int set_floor(cl_store *s, const cl_salvage *sv, kt_err *err) {
  int64_t c = sv ? cl_salvage_counter(sv) : 0;
  return cl_store_outbox_floor(s, c > 0 ? c : (int64_t)kt_now_ms(), err);
}

/* A connected profile's new card index: the same user, device and session,
 * everything else pulled from the office server. */
static int build_connected(uv_loop_t *loop, const char *dir, const char *tmp, const cl_salvage *sv,
                           const char *password, int *lock, cl_repair_report *rep, cl_store **out,
                           kt_err *err) {
  const char *user = meta_or(sv, "user"), *dev = meta_or(sv, "device_id"),
             *server = meta_or(sv, "server");
  if (!user || !dev || !server)
    return kt_err_set(err, KT_ECORRUPT, "the damaged card index no longer says who this PC is "
                      "(user, device and server settings unreadable): connect it anew with an "
                      "invite from your administrator (`kartoteka connect`) in an empty profile");
  int rc = cl_store_create(tmp, user, "server", dev, err);
  cl_store *s = NULL;
  if (!rc) rc = cl_store_open(tmp, NULL, &s, err);
  for (size_t i = 0; !rc && i < sizeof kept_meta / sizeof kept_meta[0]; i++) {
    const char *v = meta_or(sv, kept_meta[i]);
    if (v) rc = cl_store_meta_set(s, kept_meta[i], v, err);
  }
  if (!rc) rc = set_floor(s, sv, err);
  if (!rc && password) {
    cl_conn *c = NULL;
    rc = cl_session_open(loop, dir, s, password, NULL, NULL, 0, &c, err);
    cl_conn_free(c);
  }
  if (!rc) {
    kt_plat_unlock(*lock); /* the sync takes the profile's lock itself */
    *lock = -1;
    cl_sync_stats st;
    memset(&st, 0, sizeof st);
    rc = cl_sync_run(loop, dir, s, false, NULL, NULL, NULL, &st, err);
    rep->pulled = st.pulled;
    if (rc == KT_EAUTH && !password && err) {
      char why[KT_ERR_MSG_MAX];
      snprintf(why, sizeof why, "%s", err->msg);
      kt_err_set(err, KT_EAUTH, "the saved session could not be used (%s): give your password: "
                 "`kartoteka repair --password-file FILE`", why);
    }
  }
  if (rc) {
    cl_store_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

/* A standalone profile's: the newest backup that passes the checks and is
 * this profile's, else an empty one (the salvaged changes then bring back
 * what could be read). */
static int build_local(const char *dir, const char *tmp, const cl_salvage *sv,
                       cl_repair_report *rep, cl_store **out, kt_err *err) {
  char bdir[4200];
  path_in(dir, "backups", bdir, sizeof bdir);
  char **paths = NULL;
  int n = 0, rc = 0;
  kt_backup_list(bdir, BACKUP_PREFIX, &paths, &n, NULL);
  const char *want = meta_or(sv, "device_id");
  for (int i = n - 1; i >= 0 && !rep->backup[0]; i--) {
    char dev[64] = "";
    kt_err e2;
    if (kt_backup_integrity(paths[i], &e2) || card_index_of(paths[i], dev, sizeof dev) ||
        (want && strcmp(dev, want) != 0)) {
      kt_log_warn("repair", "not using the backup %s: %s", paths[i],
                  e2.code ? e2.msg : "not this profile's card index");
      continue;
    }
    if (kt_backup_copy(paths[i], tmp, check_card_index, &e2) == 0)
      snprintf(rep->backup, sizeof rep->backup, "%s", paths[i]);
    else
      kt_log_warn("repair", "cannot copy the backup %s: %s", paths[i], e2.msg);
  }
  kt_backup_list_free(paths, n);
  if (!rep->backup[0]) {
    const char *user = meta_or(sv, "user"), *d = meta_or(sv, "device_id");
    if (!user || !d)
      return kt_err_set(err, KT_ECORRUPT, "no backup of this card index passes the integrity "
                        "check and nothing of it can be read from the damaged file");
    rc = cl_store_create(tmp, user, "local", d, err);
  }
  cl_store *s = NULL;
  if (!rc) rc = cl_store_open(tmp, NULL, &s, err);
  if (!rc) rc = set_floor(s, sv, err);
  if (rc) {
    cl_store_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

/* The salvaged changes, merged in one transaction. */
static int merge(cl_store *s, const cl_salvage *sv, cl_repair_report *rep, kt_err *err) {
  size_t n = sv ? cl_salvage_count(sv) : 0;
  if (!n) return 0;
  int rc = cl_store_begin(s, err);
  for (size_t i = 0; !rc && i < n; i++) {
    int q = 0;
    rc = cl_store_apply_unsent(s, cl_salvage_change(sv, i), &q, err);
    if (q) rep->merged++;
    rep->queued += q;
  }
  if (rc) {
    cl_store_rollback(s);
    return rc;
  }
  return cl_store_commit(s, err);
}

/* Closes the new card index and puts it in place of the damaged one. */
static int put_in_place(cl_store *s, const char *tmp, const char *db, const char *dir, kt_err *err) {
  cl_store_close(s);
  char w[4400];
  snprintf(w, sizeof w, "%s-wal", tmp);
  if (exists(w)) { /* the last close normally checkpoints and removes it */
    sqlite3 *d = NULL;
    if (sqlite3_open_v2(tmp, &d, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK)
      sqlite3_exec(d, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(d);
  }
  if (kt_backup_fsync_path(tmp, false) != 0)
    return kt_err_set(err, KT_EIO, "cannot flush %s to disk: %s", tmp, strerror(errno));
  remove_db(db);
  if (move_db(tmp, db) != 0)
    return kt_err_set(err, KT_EIO, "cannot put the repaired card index in place: %s",
                      strerror(errno));
  kt_backup_fsync_path(dir, true);
  return 0;
}

static int try_lock(const char *dir, kt_err *err) {
  int fd = -1;
  int rc = cl_sync_lock(dir, &fd, err);
  if (rc == KT_EBUSY)
    kt_err_set(err, KT_EBUSY, "another Kartoteka program is using this profile (the agent, or "
               "`kartoteka sync --watch`): stop it, then run the repair again");
  return rc ? -1 : fd;
}

static void device_from_cert(const char *dir, char *out, size_t n) {
  char p[4200];
  path_in(dir, "device.crt", p, sizeof p);
  X509 *c = NULL;
  out[0] = '\0';
  if (kt_pki_cert_load_pem(p, &c, NULL) == 0 && kt_pki_cert_cn(c, out, n, NULL) != 0) out[0] = '\0';
  X509_free(c);
}

int cl_repair(uv_loop_t *loop, const char *profile_dir, const char *password,
              cl_repair_report *rep, kt_err *err) {
  memset(rep, 0, sizeof *rep);
  char db[4200], tmp[4300], crt[4200];
  path_in(profile_dir, "replica.db", db, sizeof db);
  path_in(profile_dir, "replica.db.repairing", tmp, sizeof tmp);
  path_in(profile_dir, "device.crt", crt, sizeof crt);
  if (!exists(db)) return kt_err_set(err, KT_ENOPROFILE, "no card index in %s", profile_dir);
  int lock = try_lock(profile_dir, err);
  if (lock < 0) return err ? err->code : KT_EBUSY;
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  snprintf(rep->kept, sizeof rep->kept, "%s.damaged-%s", db, stamp);
  if (move_db(db, rep->kept) != 0) {
    kt_plat_unlock(lock);
    return kt_err_set(err, KT_EIO, "cannot move the damaged card index aside: %s", strerror(errno));
  }
  char certdev[KT_PKI_CN_BUF];
  device_from_cert(profile_dir, certdev, sizeof certdev);
  cl_salvage *sv = NULL;
  kt_err e2;
  kt_err_clear(&e2);
  if (cl_salvage_read(rep->kept, certdev[0] ? certdev : NULL, &sv, &e2)) {
    if (e2.code == KT_ENOMEM) {
      move_db(rep->kept, db);
      kt_plat_unlock(lock);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
    rep->unreadable = true;
    kt_log_warn("repair", "%s", e2.msg);
  } else {
    cl_salvage_stats_get(sv, &rep->salvage);
  }
  rep->connected = meta_or(sv, "server") || exists(crt);
  remove_db(tmp);
  cl_store *s = NULL;
  int rc = rep->connected
               ? build_connected(loop, profile_dir, tmp, sv, password, &lock, rep, &s, err)
               : build_local(profile_dir, tmp, sv, rep, &s, err);
  if (!rc) rc = merge(s, sv, rep, err);
  if (!rc) rc = put_in_place(s, tmp, db, profile_dir, err);
  else cl_store_close(s);
  if (rc) { /* nothing changed: the damaged file goes back */
    remove_db(tmp);
    if (!exists(db) && move_db(rep->kept, db) == 0) rep->kept[0] = '\0';
  }
  cl_salvage_free(sv);
  if (lock >= 0) kt_plat_unlock(lock);
  return rc;
}
