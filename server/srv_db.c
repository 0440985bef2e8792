/* srv_db — the master database's SQL (see srv_db.h). */
#include "srv_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kt_ckpt.h"
#include "kt_log.h"
#include "kt_migrate.h"
#include "kt_rec.h"
#include "kt_sql.h"
#include "srv_cutvfs.h"

static const char *const st_sql[SRV_ST__COUNT] = {
    [SRV_ST_BEGIN] = "BEGIN IMMEDIATE",
    [SRV_ST_COMMIT] = "COMMIT",
    [SRV_ST_BEGIN_READ] = "BEGIN",
    [SRV_ST_SP_PUSH] = "SAVEPOINT push",
    [SRV_ST_SP_PUSH_UNDO] = "ROLLBACK TO push",
    [SRV_ST_SP_PUSH_RELEASE] = "RELEASE push",
    [SRV_ST_SP_CHANGE] = "SAVEPOINT change",
    [SRV_ST_SP_CHANGE_UNDO] = "ROLLBACK TO change",
    [SRV_ST_SP_CHANGE_RELEASE] = "RELEASE change",
    [SRV_ST_ROLLBACK] = "ROLLBACK",
    [SRV_ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [SRV_ST_META_SET] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
    [SRV_ST_META_BUMP] = "INSERT INTO meta(key, value) VALUES (?1, 1) "
                         "ON CONFLICT(key) DO UPDATE SET value = value + 1",
    [SRV_ST_USER_ADD] = "INSERT INTO srv_user(name, id, pwhash, role, grp, created, changed) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    [SRV_ST_USER_GET] = "SELECT id, pwhash, role, grp, disabled, failures, locked, created, changed "
                        "FROM srv_user WHERE name = ?1",
    [SRV_ST_USER_LIST] = "SELECT u.name, u.id, u.role, u.grp, u.disabled, u.locked, u.created, "
                         "s.birthday FROM srv_user u LEFT JOIN t_staff s ON s.id = u.id "
                         "ORDER BY u.name",
    [SRV_ST_USER_PASSWD] = "UPDATE srv_user SET pwhash = ?2, changed = ?3, failures = 0, locked = 0 "
                           "WHERE name = ?1",
    [SRV_ST_USER_DISABLE] = "UPDATE srv_user SET disabled = ?2, changed = ?3, failures = 0, "
                            "locked = 0 WHERE name = ?1",
    [SRV_ST_USER_COUNT] = "SELECT count(*) FROM srv_user",
    [SRV_ST_USER_FAIL] = "UPDATE srv_user SET failures = CASE WHEN last_failure < ?4 AND locked = 0 "
                         "THEN 1 ELSE failures + 1 END, last_failure = ?2, locked = CASE WHEN "
                         "(CASE WHEN last_failure < ?4 AND locked = 0 THEN 1 ELSE failures + 1 END) "
                         ">= ?3 THEN 1 ELSE locked END WHERE name = ?1",
    [SRV_ST_USER_OK] = "UPDATE srv_user SET failures = 0 WHERE name = ?1 AND failures <> 0",
    [SRV_ST_USER_THROTTLE] = "SELECT failures, last_failure, locked FROM srv_user WHERE name = ?1 "
                             "UNION ALL SELECT failures, last_failure, locked FROM srv_login_fail "
                             "WHERE name = ?1 LIMIT 1",
    [SRV_ST_NAME_FAIL] = "INSERT INTO srv_login_fail(name, failures, last_failure, locked) "
                         "VALUES (?1, 1, ?2, ?3 <= 1) ON CONFLICT(name) DO UPDATE SET "
                         "failures = failures + 1, last_failure = ?2, "
                         "locked = CASE WHEN failures + 1 >= ?3 THEN 1 ELSE locked END",
    [SRV_ST_NAME_FAIL_DROP] = "DELETE FROM srv_login_fail WHERE (last_failure < ?1 AND "
                              "locked = 0) OR name = ?2",
    [SRV_ST_INVITE_ADD] = "INSERT INTO srv_invite(secret_hash, user_name, addresses, expires, created) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)",
    [SRV_ST_INVITE_GET] = "SELECT user_name, addresses, expires, used FROM srv_invite "
                          "WHERE secret_hash = ?1",
    [SRV_ST_INVITE_USE] = "UPDATE srv_invite SET used = 1 WHERE secret_hash = ?1 AND used = 0",
    [SRV_ST_DEVICE_ADD] = "INSERT INTO srv_device(id, user_name, name, cert_fpr, created) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)",
    [SRV_ST_DEVICE_BY_FPR] = "SELECT id, user_name, revoked, cert_fpr = ?1, prev_fpr IS NOT NULL "
                             "FROM srv_device WHERE cert_fpr = ?1 OR prev_fpr = ?1",
    [SRV_ST_DEVICE_PREV_END] = "UPDATE srv_device SET prev_fpr = NULL WHERE id = ?1",
    [SRV_ST_DEVICE_RENEW] = "UPDATE srv_device SET prev_fpr = ?2, cert_fpr = ?3 "
                            "WHERE id = ?1 AND revoked = 0",
    [SRV_ST_DEVICE_LIST] = "SELECT id, user_name, name, revoked, created FROM srv_device ORDER BY created",
    [SRV_ST_DEVICE_REVOKE] = "UPDATE srv_device SET revoked = 1 WHERE id = ?1",
    [SRV_ST_DEVICE_REVOKE_ALL] = "UPDATE srv_device SET revoked = 1 WHERE revoked = 0",
    [SRV_ST_INVITE_EXPIRE_ALL] = "UPDATE srv_invite SET expires = 0 WHERE used = 0",
    [SRV_ST_SESSION_ADD] = "INSERT INTO srv_session(token_hash, user_name, device_id, created, expires) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)",
    [SRV_ST_SESSION_GET] = "SELECT s.user_name, s.device_id, s.created, s.expires, s.ended, "
                           "coalesce(d.revoked, 0) FROM srv_session s "
                           "LEFT JOIN srv_device d ON d.id = s.device_id WHERE s.token_hash = ?1",
    [SRV_ST_SESSION_END] = "UPDATE srv_session SET ended = 1 WHERE token_hash = ?1",
    [SRV_ST_SEQ_NEXT] = "UPDATE srv_counter SET value = value + 1 WHERE name = 'seq' RETURNING value",
    [SRV_ST_SEQ_GET] = "SELECT value FROM srv_counter WHERE name = 'seq'",
    [SRV_ST_LOG_SET] = "INSERT INTO srv_log(seq, tcode, rid, owner, grp, asg) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(tcode, rid) DO UPDATE SET "
                       "seq = excluded.seq, owner = excluded.owner, grp = excluded.grp, "
                       "asg = excluded.asg",
    [SRV_ST_LOG_PAGE] = "SELECT seq, tcode, rid, owner FROM srv_log WHERE seq > ?1 AND ("
                        "(?3 >> tcode) & 1 OR ((?4 >> tcode) & 1 AND owner = ?6) OR "
                        "((?5 >> tcode) & 1 AND (owner = ?6 OR grp IN "
                        "(SELECT value FROM json_each(?7)))) OR asg = ?6) ORDER BY seq LIMIT ?2",
    /* three ordered arms merged by seq: own records and assigned ones through their
       covering indexes (0009), the few configuration records through (tcode, rid) */
    [SRV_ST_LOG_PAGE_OWN] =
        "SELECT seq, tcode, rid, owner FROM srv_log WHERE owner = ?6 AND seq > ?1 AND "
        "(?4 >> tcode) & 1 "
        "UNION SELECT seq, tcode, rid, owner FROM srv_log WHERE asg = ?6 AND seq > ?1 "
        "UNION SELECT seq, tcode, rid, owner FROM srv_log INDEXED BY sqlite_autoindex_srv_log_1 "
        "WHERE tcode IN (SELECT value FROM json_each(?8)) AND +seq > ?1 "
        "ORDER BY seq LIMIT ?2",
    [SRV_ST_LOG_SCOPE] = "SELECT seq, owner, grp, asg FROM srv_log WHERE tcode = ?1 AND rid = ?2",
    [SRV_ST_LOG_ALL] = "SELECT tcode, rid FROM srv_log ORDER BY seq",
    [SRV_ST_REVOKE_ADD] = "INSERT INTO srv_revoke(seq, tcode, rid, uuid, owner, grp, asg) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SRV_ST_REVOKE_RANGE] = "SELECT tcode, rid, uuid, owner, grp, asg FROM srv_revoke "
                            "WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
    [SRV_ST_ROLE_GET] = "SELECT rights FROM srv_role WHERE name = ?1",
    [SRV_ST_ROLE_SET] = "INSERT INTO srv_role(name, rights, changed) VALUES (?1, ?2, ?3) "
                        "ON CONFLICT(name) DO UPDATE SET rights = excluded.rights, "
                        "changed = excluded.changed",
    [SRV_ST_ROLE_ADD] = "INSERT OR IGNORE INTO srv_role(name, rights, changed) VALUES (?1, ?2, ?3)",
    [SRV_ST_ROLE_LIST] = "SELECT name, rights FROM srv_role ORDER BY name",
    [SRV_ST_ROLE_BUMP] = "UPDATE srv_user SET scope_gen = scope_gen + 1 WHERE role = ?1",
    [SRV_ST_GROUPS] = "SELECT name, parent FROM t_group WHERE deleted = 0",
    [SRV_ST_USER_SCOPE] = "SELECT scope_gen, role, grp, disabled FROM srv_user WHERE name = ?1",
    [SRV_ST_USER_SET_ROLE] = "UPDATE srv_user SET role = ?2, grp = CASE WHEN ?4 THEN grp ELSE ?3 END, "
                             "scope_gen = scope_gen + 1 WHERE name = ?1",
    [SRV_ST_CLAIM_DEL] = "DELETE FROM srv_claim WHERE tcode = ?1 AND rid = ?2",
    [SRV_ST_CLAIM_ADD] = "INSERT INTO srv_claim(key, tcode, rid) VALUES (?1, ?2, ?3)",
    [SRV_ST_CLAIM_FIND] = "SELECT c.tcode, l.owner FROM srv_claim c JOIN srv_log l "
                          "ON l.tcode = c.tcode AND l.rid = c.rid WHERE c.key = ?1 "
                          "ORDER BY l.seq LIMIT 1",
    [SRV_ST_CLAIM_OTHERS] = "SELECT c.tcode, c.rid, l.owner FROM srv_claim c JOIN srv_log l "
                            "ON l.tcode = c.tcode AND l.rid = c.rid WHERE c.key = ?1 AND "
                            "NOT (c.tcode = ?2 AND c.rid = ?3) ORDER BY l.seq",
    [SRV_ST_AUDIT_ADD] = "INSERT INTO srv_audit(seq, ts, actor, device, action, object, detail, "
                         "hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [SRV_ST_AUDIT_LAST] = "SELECT seq, hash FROM srv_audit ORDER BY seq DESC LIMIT 1",
    [SRV_ST_AUDIT_ALL] = "SELECT seq, ts, actor, device, action, object, detail, hash, "
                         "(SELECT name FROM srv_device WHERE id = srv_audit.device) "
                         "FROM srv_audit ORDER BY seq",
    [SRV_ST_AUDIT_AT] = "SELECT hash FROM srv_audit WHERE seq = ?1",
    [SRV_ST_BK_ATTACH] = "ATTACH DATABASE ?1 AS bk",
    [SRV_ST_BK_HEAD] = "SELECT (SELECT value FROM bk.meta WHERE key = 'epoch'), a.seq, a.hash "
                       "FROM (SELECT 1) LEFT JOIN (SELECT seq, hash FROM bk.srv_audit ORDER BY seq "
                       "DESC LIMIT 1) a",
    [SRV_ST_BK_DETACH] = "DETACH DATABASE bk",
    [SRV_ST_LOG_DEFS] = "SELECT seq, tcode, rid FROM srv_log WHERE tcode = ?1 AND seq > ?2 ORDER BY seq",
    [SRV_ST_DEVCTR_GET] = "SELECT last_counter FROM srv_device WHERE id = ?1",
    [SRV_ST_DEVCTR_SET] = "UPDATE srv_device SET last_counter = ?2 WHERE id = ?1",
    [SRV_ST_REFUSED_HAS] = "SELECT 1 FROM srv_refused WHERE device = ?1 AND counter = ?2",
    [SRV_ST_REFUSED_ADD] = "INSERT OR IGNORE INTO srv_refused(device, counter) VALUES (?1, ?2)",
    [SRV_ST_REFUSED_DEL] = "DELETE FROM srv_refused WHERE device = ?1 AND counter = ?2",
    [SRV_ST_REFUSED_PRUNE] = "DELETE FROM srv_refused WHERE device = ?1 AND counter < ?2",
    [SRV_ST_GROUP_PARENT] = "SELECT parent FROM t_group WHERE name = ?1 AND deleted = 0",
    [SRV_ST_GROUP_BUMP] = "UPDATE srv_user SET scope_gen = scope_gen + 1 WHERE instr(',' || "
                          "replace(coalesce(grp, ''), ' ', '') || ',', ',' || replace(?1, ' ', '') "
                          "|| ',') > 0",
    [SRV_ST_REFUSED_CAP] = "DELETE FROM srv_refused WHERE device = ?1 AND counter < (SELECT "
                           "counter FROM srv_refused WHERE device = ?1 ORDER BY counter DESC "
                           "LIMIT 1 OFFSET ?2)",
    [SRV_ST_DEVIDX_GET] = "SELECT idx FROM device WHERE uuid = ?1",
    [SRV_ST_DEVIDX_ADD] = "INSERT INTO device(uuid) VALUES (?1)",
    [SRV_ST_DEVIDX_ALL] = "SELECT idx, uuid FROM device",
    [SRV_ST_DEVICE_USER] = "SELECT user_name FROM srv_device WHERE id = ?1",
    [SRV_ST_STAFF_MISSING] = "SELECT u.id, u.name, u.disabled FROM srv_user u WHERE NOT EXISTS "
                             "(SELECT 1 FROM t_staff s WHERE s.id = u.id) ORDER BY u.name",
    /* every definition, deleted ones too: custom fields are numbered in this
       order (their version slots), so the list may only ever grow */
    [SRV_ST_FIELD_DEFS] = "SELECT etype, name, label, ftype, choices, hidden FROM t_field_def "
                          "ORDER BY rowid",
    /* a card's history (srv_history.c) */
    [SRV_ST_HIST_ADD] = "INSERT INTO srv_history(tcode, rid, vidx, stamp, dev, old, new) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SRV_ST_HIST_PAGE] = "SELECT h.id, h.vidx, h.stamp, h.old, h.new, coalesce(d.uuid, ''), "
                         "coalesce(sd.name, ''), coalesce(sd.user_name, '') FROM srv_history h "
                         "LEFT JOIN device d ON d.idx = h.dev LEFT JOIN srv_device sd ON "
                         "sd.id = d.uuid WHERE h.tcode = ?1 AND h.rid = ?2 AND h.id < ?3 AND "
                         "(?4 < 0 OR h.vidx = ?4) ORDER BY h.id DESC LIMIT ?5",
    [SRV_ST_HIST_OLDEST] = "SELECT id, stamp FROM srv_history ORDER BY id LIMIT ?1",
    [SRV_ST_HIST_PRUNE] = "DELETE FROM srv_history WHERE id <= ?1",
};

/* WAL size (pages) that wakes the background checkpoint, and the size from
 * which a committer checkpoints itself (kt_ckpt.h) */
#define CKPT_PAGES 1000
#define CKPT_HARD_PAGES 16000

void srv_db_path(const char *data_dir, char *out, size_t outsz) {
  snprintf(out, outsz, "%s/master.db", data_dir);
}

static const kt_sql_names names = {
    "the master database", "another kartotekad may be running on this data folder; try again",
    "restore the latest backup with `kartotekad restore`",
    "what was being written is not stored (clients keep their changes and send them again); "
    "check the disk now (kernel log: "
    "dmesg; free space: df), and if errors go on stop kartotekad, fix or replace the disk and "
    "restore the latest backup (`kartotekad restore`)"};

int srv_db_error(srv_db *d, int rc, const char *what, kt_err *err) {
  return kt_sql_error(d ? d->db : NULL, rc, &names, what, err);
}

int srv_db_open(srv_db *d, const char *data_dir, bool create, kt_err *err) {
  memset(d, 0, sizeof *d);
  char path[4200];
  srv_db_path(data_dir, path, sizeof path);
  struct stat st;
  bool exists = stat(path, &st) == 0;
  if (!create && !exists)
    return kt_err_set(err, KT_ENOTFOUND,
                      "no master database in %s; create one with `kartotekad init --data %s "
                      "--admin NAME`",
                      data_dir, data_dir);
  if (create && exists)
    return kt_err_set(err, KT_EEXISTS, "%s already holds a master database; nothing was changed",
                      data_dir);
  /* Test-only knobs for tests/integ/server_crash.sh, never for production:
   * KARTOTEKAD_TEST_VFS=cut opens the master through kt_cutvfs (srv_cutvfs.h), which
   * keeps unsynced writes in memory, so kill -9 acts as a power cut;
   * KARTOTEKAD_TEST_SYNC=normal weakens synchronous=FULL to NORMAL, so the test can
   * show that it catches the acknowledged pushes this loses. */
  const char *test_vfs = getenv("KARTOTEKAD_TEST_VFS");
  const char *test_sync = getenv("KARTOTEKAD_TEST_SYNC");
  bool cut = test_vfs && strcmp(test_vfs, "cut") == 0;
  bool sync_normal = test_sync && strcmp(test_sync, "normal") == 0;
  if (cut) {
    if (srv_cutvfs_register() != SQLITE_OK)
      return kt_err_set(err, KT_EDB, "cannot register the %s test VFS", SRV_CUTVFS_NAME);
    kt_log_warn("db", "KARTOTEKAD_TEST_VFS=cut: test VFS %s, unsynced writes die with the process",
                SRV_CUTVFS_NAME);
  }
  if (sync_normal)
    kt_log_warn("db", "KARTOTEKAD_TEST_SYNC=normal: synchronous=NORMAL, a power cut can lose "
                "acknowledged pushes");
  int rc = sqlite3_open_v2(path, &d->db,
                           SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
                               SQLITE_OPEN_NOMUTEX,
                           cut ? SRV_CUTVFS_NAME : NULL);
  if (rc != SQLITE_OK) {
    rc = srv_db_error(d, rc, "cannot open the master database", err);
    srv_db_close(d);
    return rc;
  }
  sqlite3_extended_result_codes(d->db, 1);
  sqlite3_busy_timeout(d->db, 5000);
  rc = sqlite3_exec(d->db,
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; "
                    "PRAGMA cache_size=-65536; SELECT count(*) FROM sqlite_master;",
                    NULL, NULL, NULL);
  if (rc == SQLITE_OK && sync_normal)
    rc = sqlite3_exec(d->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    rc = srv_db_error(d, rc, "cannot open the master database", err);
    srv_db_close(d);
    return rc;
  }
  /* checkpoints off the commit path: a push's commit is one WAL sync */
  if ((rc = kt_migrate_apply(d->db, 0, err)) ||
      (rc = kt_ckpt_start(d->db, path, cut ? SRV_CUTVFS_NAME : NULL, CKPT_PAGES, CKPT_HARD_PAGES,
                          &d->ckpt, err))) {
    srv_db_close(d);
    return rc;
  }
  return 0;
}

void srv_db_reset_types(srv_db *d) {
  for (int i = 0; i < 32; i++)
    for (int k = 0; k < SRV_TST__COUNT; k++) {
      sqlite3_finalize(d->tst[i][k]);
      d->tst[i][k] = NULL;
    }
}

sqlite3_stmt *srv_db_tst(srv_db *d, const kt_mtype *t, srv_tst which, kt_err *err) {
  sqlite3_stmt **slot = &d->tst[t->def->code][which];
  if (!*slot) {
    kt_buf sql = KT_BUF_INIT;
    switch (which) {
    case SRV_TST_BY_ID:
      kt_recsql_select(t, &sql);
      kt_buf_puts(&sql, " WHERE id = ?1");
      break;
    case SRV_TST_BY_ROWID:
      kt_recsql_select(t, &sql);
      kt_buf_puts(&sql, " WHERE rowid = ?1");
      break;
    case SRV_TST_INSERT:
      kt_recsql_insert(t, &sql);
      break;
    case SRV_TST_BY_ORG:
    case SRV_TST_BY_CONTACT:
    case SRV_TST_BY_RID: {
      const char *col = which == SRV_TST_BY_ORG ? "org" : which == SRV_TST_BY_CONTACT ? "contact" : "rid";
      char tab[64];
      kt_recsql_table(t, tab, sizeof tab);
      kt_buf_printf(&sql, "SELECT rowid FROM %s WHERE \"%s\" = ?1", tab, col);
      break;
    }
    case SRV_TST_BY_OWNER: {
      char tab[64];
      kt_recsql_table(t, tab, sizeof tab);
      kt_buf_printf(&sql, "SELECT rowid FROM %s WHERE owner = ?1 AND deleted = 0 ORDER BY rowid", tab);
      break;
    }
    case SRV_TST_LIVE:
      kt_recsql_select(t, &sql);
      kt_buf_puts(&sql, " WHERE deleted = 0");
      break;
    default:
      kt_recsql_update(t, &sql);
    }
    sqlite3_stmt *st = kt_sql_cached(d->db, slot, kt_buf_str(&sql), &names, err);
    kt_buf_free(&sql);
    return st;
  }
  return kt_sql_cached(d->db, slot, NULL, &names, err);
}

int srv_db_add_column(srv_db *d, const kt_mtype *t, const char *column, bool is_int, kt_err *err) {
  char tab[64];
  kt_recsql_table(t, tab, sizeof tab);
  kt_buf sql = KT_BUF_INIT;
  kt_buf_printf(&sql, "ALTER TABLE %s ADD COLUMN \"%s\" %s", tab, column, is_int ? "INTEGER" : "TEXT");
  int rc = sqlite3_exec(d->db, kt_buf_str(&sql), NULL, NULL, NULL);
  kt_buf_free(&sql);
  if (rc != SQLITE_OK && !strstr(sqlite3_errmsg(d->db), "duplicate column"))
    return srv_db_error(d, rc, "adding a custom field", err);
  srv_db_reset_types(d);
  return 0;
}

void srv_db_close(srv_db *d) {
  if (!d) return;
  kt_ckpt_stop(d->ckpt);
  srv_db_reset_types(d);
  for (int i = 0; i < SRV_ST__COUNT; i++) sqlite3_finalize(d->st[i]);
  if (d->db) sqlite3_close_v2(d->db);
  memset(d, 0, sizeof *d);
}

sqlite3_stmt *srv_db_st(srv_db *d, srv_st which, kt_err *err) {
  return kt_sql_cached(d->db, &d->st[which], st_sql[which], &names, err);
}

int srv_db_step_done(srv_db *d, sqlite3_stmt *st, kt_err *err) {
  return kt_sql_step_done(d->db, st, &names, "writing the master database", err);
}

int srv_db_run(srv_db *d, srv_st which, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, which, err);
  return st ? srv_db_step_done(d, st, err) : KT_EDB;
}
#define run srv_db_run

int srv_db_begin(srv_db *d, kt_err *err) { return run(d, SRV_ST_BEGIN, err); }
int srv_db_commit(srv_db *d, kt_err *err) {
  int rc = run(d, SRV_ST_COMMIT, err);
  if (rc) srv_db_rollback(d);
  return rc;
}
void srv_db_rollback(srv_db *d) {
  if (d->db && !sqlite3_get_autocommit(d->db)) sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
}

int srv_db_meta_get(srv_db *d, const char *key, kt_buf *out, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_META_GET, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *v = (const char *)sqlite3_column_text(st, 0);
    kt_buf_puts(out, v ? v : "");
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  return rc == SQLITE_DONE ? KT_ENOTFOUND : srv_db_error(d, rc, "reading settings", err);
}

int srv_db_meta_bump(srv_db *d, const char *key, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_META_BUMP, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  return srv_db_step_done(d, st, err);
}

int srv_db_meta_set(srv_db *d, const char *key, const char *value, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_META_SET, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  return srv_db_step_done(d, st, err);
}
