/* cl_db — the client replica's SQL (see cl_db.h). */
#include "cl_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_buf.h"
#include "kt_ckpt.h"
#include "kt_migrate.h"
#include "kt_plat.h"
#include "kt_rec.h"
#include "kt_sql.h"
#include "kt_text.h"

/* WAL size (pages) that wakes the background checkpoint, and the size from
 * which a committer checkpoints itself (kt_ckpt.h) */
#define CKPT_PAGES 1000
#define CKPT_HARD_PAGES 16000

static const char *const st_sql[CL_ST__COUNT] = {
    [CL_ST_BEGIN] = "BEGIN IMMEDIATE",
    [CL_ST_COMMIT] = "COMMIT",
    [CL_ST_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
    [CL_ST_SYNC_FULL] = "PRAGMA synchronous=FULL",
    [CL_ST_FTS_MERGE] = "INSERT INTO fts(fts, rank) VALUES('merge', ?1)",
    [CL_ST_PHONE_MERGE] = "INSERT INTO fts_phone(fts_phone, rank) VALUES('merge', ?1)",
    [CL_ST_ROLLBACK] = "ROLLBACK",
    [CL_ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [CL_ST_META_SET] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
    [CL_ST_META_DEL] = "DELETE FROM meta WHERE key = ?1",
    [CL_ST_DEVICE_GET] = "SELECT idx FROM device WHERE uuid = ?1",
    [CL_ST_DEVICE_ADD] = "INSERT INTO device(uuid) VALUES (?1)",
    [CL_ST_DEVICE_ALL] = "SELECT idx, uuid FROM device ORDER BY idx",
    [CL_ST_OUTBOX_GET] = "SELECT seq, fields, base, refused, hold, refused_code FROM outbox "
                         "WHERE tcode = ?1 AND rid = ?2",
    [CL_ST_OUTBOX_DEL] = "DELETE FROM outbox WHERE seq = ?1",
    /* a new entry is not held; a local edit clears the reason (the change is judged
       again), the code stays: the change was refused before */
    [CL_ST_OUTBOX_ADD] = "INSERT INTO outbox(tcode, rid, fields, base, refused, refused_code) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [CL_ST_OUTBOX_COUNT] = "SELECT count(*) FROM outbox WHERE hold <> 1",
    [CL_ST_OUTBOX_HOLD] = "UPDATE outbox SET hold = ?3 WHERE tcode = ?1 AND rid = ?2",
    [CL_ST_OUTBOX_LIST] = "SELECT seq, tcode, rid, fields, base, refused, refused_code, hold "
                          "FROM outbox WHERE hold <> 1 OR ?1 ORDER BY seq",
    [CL_ST_STAFF_HAS] = "SELECT 1 FROM t_staff WHERE name = ?1",
    [CL_ST_STAFF_NAMES] = "SELECT name FROM t_staff WHERE deleted = 0 AND name IS NOT NULL "
                          "ORDER BY name",
    [CL_ST_OUTBOX_FORGET] = "DELETE FROM outbox WHERE tcode = ?1 AND rid = ?2",
    [CL_ST_OUTBOX_HAS] = "SELECT 1 FROM outbox WHERE tcode = ?1 AND rid = ?2",
    [CL_ST_OUTBOX_BY_SEQ] = "SELECT tcode, rid, fields, base FROM outbox WHERE seq = ?1",
    [CL_ST_OUTBOX_CTR] = "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'",
    [CL_ST_OUTBOX_CTR_SET] = "UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'outbox'",
    [CL_ST_OUTBOX_CTR_ADD] = "INSERT INTO sqlite_sequence(name, seq) VALUES ('outbox', ?1)",
    [CL_ST_OUTBOX_WALK] = "SELECT seq, tcode, rid, fields, base FROM outbox WHERE hold = 0 "
                          "ORDER BY seq LIMIT ?1",
    [CL_ST_FTS_OPTIMIZE] = "INSERT INTO fts(fts) VALUES('optimize')",
    [CL_ST_PHONE_OPTIMIZE] = "INSERT INTO fts_phone(fts_phone) VALUES('optimize')",
    [CL_ST_FTS_CLEAR] = "INSERT INTO fts(fts) VALUES('delete-all')",
    [CL_ST_PHONE_CLEAR] = "INSERT INTO fts_phone(fts_phone) VALUES('delete-all')",
    [CL_ST_FTS_ADD] = "INSERT INTO fts(rowid, body) VALUES (?1, ?2)",
    [CL_ST_FTS_DEL] = "INSERT INTO fts(fts, rowid, body) VALUES ('delete', ?1, ?2)",
    [CL_ST_FTS_MATCH] = "SELECT rowid FROM fts WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3 "
                        "ORDER BY rowid DESC LIMIT ?4",
    [CL_ST_PHONE_ADD] = "INSERT INTO fts_phone(rowid, digits) VALUES (?1, ?2)",
    [CL_ST_PHONE_DEL] = "INSERT INTO fts_phone(fts_phone, rowid, digits) VALUES ('delete', ?1, ?2)",
    [CL_ST_PHONE_MATCH] = "SELECT rowid FROM fts_phone WHERE fts_phone MATCH ?1 AND rowid "
                          "BETWEEN ?2 AND ?3 ORDER BY rowid DESC LIMIT ?4",
    /* every definition, deleted ones too: custom fields are numbered in this
       order (their version slots), so the list may only ever grow */
    [CL_ST_FIELD_DEFS] = "SELECT etype, name, label, ftype, choices, hidden FROM t_field_def "
                         "ORDER BY rowid",
    /* custom columns are added when a custom field first appears and never
       dropped: their order is the order of the fields' version slots */
    [CL_ST_CUSTOM_COLS] = "SELECT name FROM pragma_table_info(?1) WHERE substr(name, 1, 2) = 'c_' "
                          "ORDER BY cid",
    [CL_ST_SECTIONS] = "SELECT etype, label, hidden FROM t_section WHERE deleted = 0 ORDER BY rowid",
    [CL_ST_DIARY_EVENTS] = "SELECT id, title, type, start, remind_at, remind_before, rrule, status "
                           "FROM t_event WHERE deleted = 0 AND start IS NOT NULL AND "
                           "(assignee = ?1 OR (assignee IS NULL AND owner = ?1)) AND "
                           "(status IS NULL OR status <> 'cancelled')",
    [CL_ST_DIARY_TASKS] = "SELECT id, title, NULL, due, remind_at, remind_before, rrule, status "
                          "FROM t_task WHERE deleted = 0 AND due IS NOT NULL AND "
                          "(assignee = ?1 OR (assignee IS NULL AND owner = ?1)) AND "
                          "(status IS NULL OR status NOT IN ('cancelled'))",
    /* whose client a contact is follows kt_rights_scope: its organization's owner
       when the organization is on this PC, else its own (both halves use indexes) */
    [CL_ST_BIRTHDAYS] = "SELECT c.id, c.last_name, c.first_name, c.middle_name, c.birthday "
                        "FROM t_org o JOIN t_contact c ON c.org = o.id WHERE o.owner = ?1 AND "
                        "c.deleted = 0 AND c.birthday IS NOT NULL UNION ALL "
                        "SELECT c.id, c.last_name, c.first_name, c.middle_name, c.birthday "
                        "FROM t_contact c WHERE c.owner = ?1 AND c.deleted = 0 AND "
                        "c.birthday IS NOT NULL AND NOT EXISTS (SELECT 1 FROM t_org o "
                        "WHERE o.id = c.org)",
    [CL_ST_YEARLY_FIELDS] = "SELECT etype, name FROM t_field_def WHERE deleted = 0 AND yearly = 1 "
                            "ORDER BY rowid",
    [CL_ST_STAFF_BIRTHDAYS] = "SELECT id, name, NULL, NULL, birthday FROM t_staff WHERE deleted = 0 "
                              "AND birthday IS NOT NULL AND birthday <> '' AND name IS NOT ?1",
    [CL_ST_CALLBACKS] = "SELECT e.id, e.title, e.start, o.name, "
                        "trim(coalesce(c.last_name, '') || ' ' || coalesce(c.first_name, '')), "
                        "coalesce(c.phone_mobile, c.phone_work, o.phone, o.phone2), e.org, e.contact "
                        "FROM t_event e LEFT JOIN t_org o ON o.id = e.org AND o.deleted = 0 "
                        "LEFT JOIN t_contact c ON c.id = e.contact AND c.deleted = 0 "
                        "WHERE e.deleted = 0 AND e.type = 'call' AND e.start <= ?2 AND "
                        "(e.status IS NULL OR e.status = 'planned') AND "
                        "(e.rrule IS NULL OR e.rrule = '') AND "
                        "(e.assignee = ?1 OR (e.assignee IS NULL AND e.owner = ?1)) "
                        "ORDER BY e.start, e.rowid",
    [CL_ST_REMIND_STATES] = "SELECT id, rid, at, state, until FROM t_reminder WHERE deleted = 0 "
                            "AND owner = ?1",
    [CL_ST_DATA_VERSION] = "PRAGMA data_version",
    [CL_ST_GROUP_TREE] = "WITH RECURSIVE g(name) AS (SELECT ?1 UNION SELECT t.name FROM t_group t "
                         "JOIN g ON t.parent = g.name WHERE t.deleted = 0) SELECT name FROM g",
    [CL_ST_GROUP_NAMES] = "SELECT name FROM t_group WHERE deleted = 0 AND name IS NOT NULL "
                          "ORDER BY name",
    [CL_ST_READ_BEGIN] = "BEGIN",

    [CL_ST_MAIL_RUN_ADD] = "INSERT INTO mail_run(template, attach, rate, started) "
                           "VALUES (?1, ?2, ?3, ?4)",
    [CL_ST_MAIL_RUN_OPEN] = "SELECT id, template, attach, rate FROM mail_run WHERE done = 0 "
                            "ORDER BY id DESC LIMIT 1",
    [CL_ST_MAIL_RUN_DONE] = "UPDATE mail_run SET done = 1 WHERE id = ?1",
    [CL_ST_MAIL_RCPT_ADD] = "INSERT INTO mail_rcpt(run, seq, rtype, rid, email) "
                            "VALUES (?1, ?2, ?3, ?4, ?5)",
    [CL_ST_MAIL_RCPT_SET] = "UPDATE mail_rcpt SET state = ?3, detail = ?4 WHERE run = ?1 AND seq = ?2",
    [CL_ST_MAIL_RCPT_LIST] = "SELECT seq, rtype, rid, email, state, detail FROM mail_rcpt "
                             "WHERE run = ?1 AND seq > ?2 ORDER BY seq LIMIT 256",
    [CL_ST_MAIL_RCPT_UNSURE] = "UPDATE mail_rcpt SET state = 'unknown', detail = 'the run was "
                               "cut during its SMTP transaction' WHERE run = ?1 AND state = 'sending'",
    [CL_ST_MAIL_RECENT] = "SELECT 1 FROM t_event WHERE deleted = 0 AND type = 'letter' AND "
                          "result = 'sent' AND start >= ?2 AND (contact = ?1 OR (org = ?1 AND "
                          "contact IS NULL)) LIMIT 1",
    [CL_ST_TEMPLATE_BY_NAME] = "SELECT id FROM t_template WHERE deleted = 0 AND name = ?1 "
                               "ORDER BY rowid LIMIT 1",
    [CL_ST_TEMPLATE_ALL] = "SELECT id FROM t_template WHERE deleted = 0 ORDER BY name, rowid",
    [CL_ST_MAIL_SETTING] = "SELECT id FROM t_mail_setting WHERE deleted = 0 ORDER BY rowid LIMIT 1",

    [CL_ST_KEPT_GET] = "SELECT stamp, device FROM kept_value WHERE tcode = ?1 AND name = ?2 AND "
                       "rid = ?3",
    [CL_ST_KEPT_PUT] = "INSERT OR REPLACE INTO kept_value (tcode, name, rid, value, stamp, device) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [CL_ST_KEPT_DEL] = "DELETE FROM kept_value WHERE tcode = ?1 AND name = ?2 AND rid = ?3",
    [CL_ST_KEPT_OF_REC] = "SELECT name, value, stamp, device FROM kept_value WHERE tcode = ?1 AND "
                          "rid = ?2 ORDER BY name",
    [CL_ST_KEPT_FORGET] = "DELETE FROM kept_value WHERE tcode = ?1 AND rid = ?2",
    [CL_ST_KEPT_NEXT] = "SELECT tcode, name FROM kept_value WHERE (tcode, name) > (?1, ?2) "
                        "ORDER BY tcode, name LIMIT 1",
    [CL_ST_KEPT_OF_FIELD] = "SELECT name, value, stamp, device, rid FROM kept_value WHERE "
                            "tcode = ?1 AND name = ?2",
    [CL_ST_SORTKEY_ADD] = "INSERT INTO sort_key (t, live, k, rid) VALUES (?1, ?2, ?3, ?4)",
    [CL_ST_SORTKEY_DEL] = "DELETE FROM sort_key WHERE t = ?1 AND live = ?2 AND k = ?3 AND rid = ?4",
    [CL_ST_SORTKEY_OF] = "SELECT live, k FROM sort_key WHERE t = ?1 AND rid = ?2",
    [CL_ST_SORTKEY_NTH] = "SELECT k, rid FROM sort_key WHERE t = ?1 AND live = ?2 AND "
                          "(k, rid) >= (?3, ?4) ORDER BY k, rid LIMIT ?5 OFFSET ?6",
    [CL_ST_SORTKEY_RANK] = "SELECT count(*) FROM sort_key WHERE t = ?1 AND live = ?2 AND "
                           "(k, rid) >= (?3, ?4) AND (k, rid) < (?5, ?6)",
    [CL_ST_SORTKEY_CLEAR] = "DELETE FROM sort_key",
    [CL_ST_SORTKEY_RIDS] = "SELECT rid FROM sort_key WHERE t = ?1 AND live = ?2",
    [CL_ST_SORTKEY_ANY] = "SELECT 1 FROM sort_key LIMIT 1",
    [CL_ST_SORTKEY_REC_DROP] = "DROP INDEX sort_key_rec",
    /* the text of 0021_sort_key.sql: the schema stays the one every migration path makes */
    [CL_ST_SORTKEY_REC_MAKE] = "CREATE INDEX sort_key_rec ON sort_key (t, rid)",
    [CL_ST_BUCKET_SUM] = "SELECT coalesce(sum(n), 0) FROM sort_bucket WHERE t = ?1 AND live = ?2",
    [CL_ST_BUCKET_FIND] = "SELECT k, rid, n FROM sort_bucket WHERE t = ?1 AND live = ?2 AND "
                          "(k, rid) <= (?3, ?4) ORDER BY k DESC, rid DESC LIMIT 1",
    [CL_ST_BUCKET_NEXT] = "SELECT k, rid FROM sort_bucket WHERE t = ?1 AND live = ?2 AND "
                          "(k, rid) > (?3, ?4) ORDER BY k, rid LIMIT 1",
    [CL_ST_BUCKET_ADD] = "INSERT INTO sort_bucket (t, live, k, rid, n) VALUES (?1, ?2, ?3, ?4, ?5)",
    [CL_ST_BUCKET_SET] = "UPDATE sort_bucket SET n = ?5 WHERE t = ?1 AND live = ?2 AND k = ?3 "
                         "AND rid = ?4",
    [CL_ST_BUCKET_DEL] = "DELETE FROM sort_bucket WHERE t = ?1 AND live = ?2 AND k = ?3 AND rid = ?4",
    [CL_ST_BUCKET_ALL] = "SELECT k, rid, n FROM sort_bucket WHERE t = ?1 AND live = ?2 "
                         "ORDER BY k, rid",
    [CL_ST_BUCKET_CLEAR] = "DELETE FROM sort_bucket",
};

static const kt_sql_names names = {
    "the card index", "another Kartoteka program is using it; wait for it to finish or close "
                      "it, then try again",
    "run `kartoteka repair`: it keeps this PC's enrollment and the unsent changes it can still "
    "read and rebuilds the card index from the office server (a standalone one from its newest "
    "good backup)",
    NULL};

int cl_db_error(cl_db *d, int rc, const char *what, kt_err *err) {
  return kt_sql_error(d ? d->db : NULL, rc, &names, what, err);
}

static void fold_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const char *s = (const char *)sqlite3_value_text(argv[0]);
  if (!s) {
    sqlite3_result_null(ctx);
    return;
  }
  kt_buf b = KT_BUF_INIT;
  if (kt_text_fold(s, (size_t)sqlite3_value_bytes(argv[0]), &b)) {
    kt_buf_free(&b);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, kt_buf_str(&b), (int)b.len, SQLITE_TRANSIENT);
  kt_buf_free(&b);
}

static int coll_fn(void *ud, int la, const void *a, int lb, const void *b) {
  return kt_collate(ud, a, la, b, lb);
}

static void coll_free(void *ud) { kt_collator_free(ud); }

int cl_db_open(cl_db *d, const char *path, bool create, bool readonly, int busy_ms,
               const char *locale, kt_err *err) {
  memset(d, 0, sizeof *d);
  if (!create && kt_plat_file_info(path, NULL) != 0)
    return kt_err_set(err, KT_ENOPROFILE,
                      "no card index at %s; create one with `kartoteka init --local` or join "
                      "a server with `kartoteka connect --invite INVITE`",
                      path);
  if (create && kt_plat_file_info(path, NULL) == 0)
    return kt_err_set(err, KT_EEXISTS, "%s already exists; nothing was changed", path);
  int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path, &d->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    rc = cl_db_error(d, rc, "cannot open the card index", err);
    cl_db_close(d);
    return rc;
  }
  sqlite3_extended_result_codes(d->db, 1);
  sqlite3_busy_timeout(d->db, busy_ms > 0 ? busy_ms : 5000);
  kt_collator *coll = NULL;
  if ((rc = kt_collator_new(locale ? locale : "", &coll, err))) {
    cl_db_close(d);
    return rc;
  }
  sqlite3_create_collation_v2(d->db, "kt_coll", SQLITE_UTF8, coll, coll_fn, coll_free);
  d->coll = coll;
  sqlite3_create_function(d->db, "kt_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fold_fn,
                          NULL, NULL);
  /* The first real read tells a damaged or foreign file apart. */
  char *msg = NULL;
  /* a reader: point lookups of a page read through mmap, not a pread each */
  const char *pragmas = readonly ? "PRAGMA query_only=1; PRAGMA cache_size=-32768; "
                                   "PRAGMA mmap_size=1073741824; SELECT count(*) FROM sqlite_master;"
                                 : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                   "PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; "
                                   "SELECT count(*) FROM sqlite_master;";
  rc = sqlite3_exec(d->db, pragmas, NULL, NULL, &msg);
  sqlite3_free(msg);
  if (rc != SQLITE_OK) {
    rc = cl_db_error(d, rc, "cannot open the card index", err);
    cl_db_close(d);
    return rc;
  }
  if (!readonly) {
    rc = kt_migrate_apply(d->db, 0, err);
    /* checkpoints off the commit path: an edit's commit is one WAL sync */
    if (!rc) rc = kt_ckpt_start(d->db, path, NULL, CKPT_PAGES, CKPT_HARD_PAGES, &d->ckpt, err);
    if (rc) {
      cl_db_close(d);
      return rc;
    }
  }
  return 0;
}

void cl_db_close(cl_db *d) {
  if (!d) return;
  kt_ckpt_stop(d->ckpt);
  for (int i = 0; i < CL_ST__COUNT; i++) sqlite3_finalize(d->st[i]);
  cl_db_reset_types(d);
  if (d->db) sqlite3_close_v2(d->db);
  memset(d, 0, sizeof *d);
}

void cl_db_reset_types(cl_db *d) {
  for (int i = 0; i < KT_MAX_TYPES; i++)
    for (int k = 0; k < CL_TST__COUNT; k++) {
      sqlite3_finalize(d->tst[i][k]);
      d->tst[i][k] = NULL;
    }
}

/* A statement lookup failed with e: remembered for cl_db_st_rc. */
static sqlite3_stmt *st_failed(cl_db *d, const kt_err *e, kt_err *err) {
  d->st_rc = e->code ? e->code : KT_EDB;
  if (err) *err = *e;
  return NULL;
}

int cl_db_st_rc(const cl_db *d) { return d->st_rc ? d->st_rc : KT_EDB; }

sqlite3_stmt *cl_db_st(cl_db *d, cl_st which, kt_err *err) {
  kt_err e;
  sqlite3_stmt *st = kt_sql_cached(d->db, &d->st[which], st_sql[which], &names, &e);
  return st ? st : st_failed(d, &e, err);
}

void cl_db_table(const kt_mtype *t, char *out, size_t outsz) { kt_recsql_table(t, out, outsz); }

void cl_db_select_prefix(const kt_mtype *t, kt_buf *sql) { kt_recsql_select(t, sql); }

int cl_db_next_value_st(cl_db *d, const kt_mtype *t, const kt_mfield *f, sqlite3_stmt **out,
                        kt_err *err) {
  char tab[64];
  kt_recsql_table(t, tab, sizeof tab);
  kt_buf sql = KT_BUF_INIT;
  kt_buf_printf(&sql, "SELECT \"%s\" FROM %s WHERE \"%s\" > ?1 ORDER BY \"%s\" LIMIT 1",
                f->column, tab, f->column, f->column);
  *out = NULL;
  int rc = sql.oom ? kt_err_set(err, KT_ENOMEM, "out of memory")
                   : sqlite3_prepare_v2(d->db, kt_buf_str(&sql), -1, out, NULL);
  kt_buf_free(&sql);
  return rc > 0 ? cl_db_error(d, rc, "reading the names cards hold", err) : rc;
}

sqlite3_stmt *cl_db_tst(cl_db *d, const kt_mtype *t, cl_tst which, kt_err *err) {
  sqlite3_stmt **slot = &d->tst[t->def->code][which];
  kt_err e;
  if (*slot) return kt_sql_cached(d->db, slot, NULL, &names, err);
  kt_buf sql = KT_BUF_INIT;
  switch (which) {
  case CL_TST_INSERT:
    kt_recsql_insert(t, &sql);
    break;
  case CL_TST_UPDATE:
    kt_recsql_update(t, &sql);
    break;
  case CL_TST_BY_ID:
    kt_recsql_select(t, &sql);
    kt_buf_puts(&sql, " WHERE id = ?1");
    break;
  case CL_TST_BY_ORG:
  case CL_TST_BY_CONTACT:
    kt_recsql_select(t, &sql);
    kt_buf_puts(&sql, which == CL_TST_BY_ORG ? " WHERE \"org\" = ?1" : " WHERE \"contact\" = ?1");
    break;
  case CL_TST_DELETE:
  case CL_TST_ALL_ROWIDS: {
    char tab[64];
    kt_recsql_table(t, tab, sizeof tab);
    kt_buf_printf(&sql, which == CL_TST_DELETE ? "DELETE FROM %s WHERE rowid = ?1"
                                               : "SELECT rowid FROM %s", tab);
    break;
  }
  default:
    kt_recsql_select(t, &sql);
    kt_buf_puts(&sql, " WHERE rowid = ?1");
  }
  if (sql.oom) {
    kt_buf_free(&sql);
    kt_err_set(&e, KT_ENOMEM, "out of memory preparing a query; close other programs and try "
               "again");
    return st_failed(d, &e, err);
  }
  sqlite3_stmt *st = kt_sql_cached(d->db, slot, sql.p, &names, &e);
  kt_buf_free(&sql);
  return st ? st : st_failed(d, &e, err);
}

void cl_db_reftitles_sql(const kt_mtype *t, const kt_mfield *tf, const char *name, kt_buf *fill,
                         kt_buf *get, kt_buf *drop) {
  char tab[64];
  cl_db_table(t, tab, sizeof tab);
  kt_buf_printf(get, "SELECT title, n FROM temp.%s WHERE id = ?1", name);
  kt_buf_printf(drop, "DROP TABLE IF EXISTS temp.%s", name);
  kt_buf_printf(fill,
                "DROP TABLE IF EXISTS temp.%s; "
                "CREATE TEMP TABLE %s (id TEXT PRIMARY KEY, title TEXT, n INTEGER) WITHOUT ROWID; "
                "INSERT INTO temp.%s SELECT id, \"%s\", count(*) OVER (PARTITION BY "
                "kt_fold(\"%s\")) FROM %s WHERE deleted = 0 AND \"%s\" IS NOT NULL",
                name, name, name, tf->column, tf->column, tab, tf->column);
}

int cl_db_add_column(cl_db *d, const kt_mtype *t, const kt_mfield *f, kt_err *err) {
  char tab[64];
  cl_db_table(t, tab, sizeof tab);
  kt_buf sql = KT_BUF_INIT;
  kt_buf_printf(&sql, "ALTER TABLE %s ADD COLUMN \"%s\" %s", tab, f->column,
                kt_ftype_is_int(f->type) ? "INTEGER" : "TEXT");
  int rc = sqlite3_exec(d->db, kt_buf_str(&sql), NULL, NULL, NULL);
  kt_buf_free(&sql);
  if (rc != SQLITE_OK && !strstr(sqlite3_errmsg(d->db), "duplicate column"))
    return cl_db_error(d, rc, "adding a custom field", err);
  cl_db_reset_types(d);
  return 0;
}

int cl_db_check_schema(cl_db *d, kt_err *err) {
  int n;
  kt_mtype *types = kt_model_types(d->model, &n);
  for (int i = 0; i < n; i++) {
    char tab[64];
    cl_db_table(&types[i], tab, sizeof tab);
    for (int k = 0; k < types[i].nfields; k++) {
      const char *dt, *cs;
      int nn, pk, ai;
      int rc = sqlite3_table_column_metadata(d->db, NULL, tab, types[i].fields[k].column, &dt, &cs,
                                             &nn, &pk, &ai);
      if (rc != SQLITE_OK)
        return kt_err_set(err, KT_EVERSION,
                          "the database has no column %s.%s that this program expects; it was "
                          "made by an incompatible version",
                          tab, types[i].fields[k].column);
    }
  }
  return 0;
}

int cl_db_step_done(cl_db *d, sqlite3_stmt *st, kt_err *err) {
  return kt_sql_step_done(d->db, st, &names, "writing the card index", err);
}

void cl_db_rollback(cl_db *d) {
  sqlite3_stmt *st = cl_db_st(d, CL_ST_ROLLBACK, NULL);
  if (st) cl_db_step_done(d, st, NULL);
}

int cl_db_meta_get_text(cl_db *d, const char *key, kt_buf *out, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(d, CL_ST_META_GET, err);
  if (!st) return err ? err->code : KT_EDB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *v = (const char *)sqlite3_column_text(st, 0);
    if (v) kt_buf_puts(out, v);
    sqlite3_reset(st);
    return 0;
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE) return KT_ENOTFOUND;
  return cl_db_error(d, rc, "reading settings", err);
}

int cl_db_meta_set_text(cl_db *d, const char *key, const char *value, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(d, CL_ST_META_SET, err);
  if (!st) return err ? err->code : KT_EDB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  return cl_db_step_done(d, st, err);
}

int cl_db_meta_get_int(cl_db *d, const char *key, int64_t *out, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(d, CL_ST_META_GET, err);
  if (!st) return err ? err->code : KT_EDB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE) return KT_ENOTFOUND;
  return cl_db_error(d, rc, "reading settings", err);
}

int cl_db_meta_set_int(cl_db *d, const char *key, int64_t value, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(d, CL_ST_META_SET, err);
  if (!st) return err ? err->code : KT_EDB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, value);
  return cl_db_step_done(d, st, err);
}
