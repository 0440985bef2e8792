/* Unit tests for srv_audit: the hash chain verifies; the triggers refuse
 * UPDATE and DELETE; with the triggers dropped by hand, an edited, deleted,
 * inserted or re-hashed row is found and named; rows join the caller's
 * transaction; the printout (text and JSON) filters by user, action prefix
 * and time. A real master database in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "kt_hlc.h"
#include "kt_json.h"
#include "srv_audit.h"
#include "t_srvdb.h"

static int setup(void **state) {
  t_srvdb *t = calloc(1, sizeof *t);
  if (!t || t_srvdb_open(t, "audit")) return -1;
  *state = t;
  return 0;
}

static int teardown(void **state) {
  t_srvdb *t = *state;
  t_srvdb_close(t);
  free(t);
  return 0;
}

/* Five rows: three added, two noted. */
static void fill(srv_db *d) {
  kt_err err;
  assert_int_equal(srv_audit_add(d, "", "local", "init", "boss", "first administrator", &err), 0);
  assert_int_equal(srv_audit_add(d, "boss", "dev-1", "login.ok", "boss", "", &err), 0);
  assert_int_equal(srv_audit_add(d, "anna", "dev-2", "login.failed", "anna", "wrong password", &err),
                   0);
  srv_audit_note(d, "boss", "dev-1", "admin.user.add", "anna", "role %s, %d groups", "manager", 2);
  srv_audit_note(d, "anna", "dev-2", "pull.bulk", "org", "%d cards", 120);
}

static int64_t rows_ok(srv_db *d) {
  int64_t n = -1;
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_audit_verify(d, &n, &err);
  if (rc) fail_msg("verify failed: %s", err.msg);
  return n;
}

/* Verifies a tampered log: KT_ECORRUPT, rows untouched, the message contains want. */
static void assert_broken(srv_db *d, const char *want) {
  int64_t n = 4242;
  kt_err err;
  kt_err_clear(&err);
  assert_int_equal(srv_audit_verify(d, &n, &err), KT_ECORRUPT);
  assert_int_equal(n, 4242);
  if (!strstr(err.msg, want)) fail_msg("expected '%s' in '%s'", want, err.msg);
}

static void test_chain_verifies(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  assert_int_equal(rows_ok(d), 0); /* an empty log is intact */
  fill(d);
  assert_int_equal(rows_ok(d), 5);
  /* numbered 1..5 without gaps, each hash distinct and 64 hex digits */
  assert_int_equal(t_sql_int(d, "SELECT count(DISTINCT hash) FROM srv_audit"), 5);
  assert_int_equal(t_sql_int(d, "SELECT min(seq) * 100 + max(seq) FROM srv_audit"), 105);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_audit WHERE length(hash) = 64 AND "
                                "hash NOT GLOB '*[^0-9a-f]*'"), 5);
  char detail[200];
  assert_int_equal(t_sql_text(d, "SELECT detail FROM srv_audit WHERE seq = 4", detail, sizeof detail), 0);
  assert_string_equal(detail, "role manager, 2 groups");
  /* the separator and line breaks never reach a stored field, and the chain holds */
  kt_err err;
  assert_int_equal(srv_audit_add(d, "an\x1fna", "dev\n2", "x\r", "o", "a\nb\x1f" "c", &err), 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_audit WHERE seq = 6 AND actor = 'an na' "
                                "AND device = 'dev 2' AND action = 'x ' AND detail = 'a b c'"), 1);
  /* NULL fields are stored as empty text */
  assert_int_equal(srv_audit_add(d, NULL, NULL, "server.start", NULL, NULL, &err), 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_audit WHERE seq = 7 AND actor = '' AND "
                                "object = '' AND detail = ''"), 1);
  /* an over-long detail is cut, and the chain still verifies over what was stored */
  char big[3000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  srv_audit_note(d, "anna", "dev-2", "import", "org", "%s", big);
  assert_int_equal(t_sql_int(d, "SELECT length(detail) FROM srv_audit WHERE seq = 8"), 1023);
  assert_int_equal(rows_ok(d), 8);
}

static void test_caller_transaction(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_err err;
  fill(d);
  /* inside the caller's transaction: gone with its rollback */
  assert_int_equal(srv_db_begin(d, &err), 0);
  assert_int_equal(srv_audit_add(d, "boss", "dev-1", "reassign", "org-1", "to anna", &err), 0);
  assert_int_equal(srv_audit_add(d, "boss", "dev-1", "reassign", "org-2", "to anna", &err), 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_audit"), 7);
  srv_db_rollback(d);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_audit"), 5);
  assert_int_equal(rows_ok(d), 5);
  /* and kept with its commit; numbering goes on without a gap */
  assert_int_equal(srv_db_begin(d, &err), 0);
  assert_int_equal(srv_audit_add(d, "boss", "dev-1", "reassign", "org-1", "to anna", &err), 0);
  assert_int_equal(srv_db_commit(d, &err), 0);
  assert_int_equal(t_sql_int(d, "SELECT max(seq) FROM srv_audit"), 6);
  assert_int_equal(rows_ok(d), 6);
}

static void test_triggers_refuse_changes(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  fill(d);
  assert_int_not_equal(t_sql_exec(d, "UPDATE srv_audit SET detail = 'nothing' WHERE seq = 3"), 0);
  assert_non_null(strstr(sqlite3_errmsg(d->db), "append-only"));
  assert_int_not_equal(t_sql_exec(d, "DELETE FROM srv_audit WHERE seq = 5"), 0);
  assert_non_null(strstr(sqlite3_errmsg(d->db), "append-only"));
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_audit WHERE detail = 'nothing'"), 0);
  assert_int_equal(rows_ok(d), 5);
}

static void test_edited_row_is_named(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  fill(d);
  assert_int_equal(t_sql_exec(d, "DROP TRIGGER srv_audit_no_update"), 0);
  assert_int_equal(t_sql_exec(d, "UPDATE srv_audit SET detail = 'right password' WHERE seq = 3"), 0);
  assert_broken(d, "broken at row 3");
  /* restored content: intact again (the check is over content, not a flag) */
  assert_int_equal(t_sql_exec(d, "UPDATE srv_audit SET detail = 'wrong password' WHERE seq = 3"), 0);
  assert_int_equal(rows_ok(d), 5);
  /* the time of the first row */
  assert_int_equal(t_sql_exec(d, "UPDATE srv_audit SET ts = ts - 1 WHERE seq = 1"), 0);
  assert_broken(d, "broken at row 1");
  assert_int_equal(t_sql_exec(d, "UPDATE srv_audit SET ts = ts + 1 WHERE seq = 1"), 0);
  /* the actor of the last row */
  assert_int_equal(t_sql_exec(d, "UPDATE srv_audit SET actor = 'boss' WHERE seq = 5"), 0);
  assert_broken(d, "broken at row 5");
}

/* Recomputes row seq's hash the way srv_audit does (a forger who knows the scheme). */
static void rehash(srv_db *d, int64_t seq) {
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(d->db, "SELECT (SELECT hash FROM srv_audit WHERE seq = ?1 - 1), "
                                      "seq, ts, actor, device, action, object, detail FROM srv_audit "
                                      "WHERE seq = ?1", -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_int64(st, 1, seq);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  kt_buf b = KT_BUF_INIT;
  const char *prev = (const char *)sqlite3_column_text(st, 0);
  kt_buf_printf(&b, "%s\x1f%lld\x1f%lld", prev ? prev : "", (long long)sqlite3_column_int64(st, 1),
                (long long)sqlite3_column_int64(st, 2));
  for (int i = 3; i < 8; i++) kt_buf_printf(&b, "\x1f%s", (const char *)sqlite3_column_text(st, i));
  sqlite3_finalize(st);
  unsigned char md[32];
  unsigned int n = 0;
  assert_int_equal(EVP_Digest(b.p, b.len, md, &n, EVP_sha256(), NULL), 1);
  kt_buf_free(&b);
  char hex[65], sql[160];
  for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  snprintf(sql, sizeof sql, "UPDATE srv_audit SET hash = '%s' WHERE seq = %lld", hex, (long long)seq);
  assert_int_equal(t_sql_exec(d, sql), 0);
}

static void test_rehashed_row_breaks_the_next(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  fill(d);
  assert_int_equal(t_sql_exec(d, "DROP TRIGGER srv_audit_no_update"), 0);
  /* our recomputation matches srv_audit's: a no-op on an intact row */
  rehash(d, 2);
  assert_int_equal(rows_ok(d), 5);
  /* a row given another row's (well-formed) hash fails itself */
  assert_int_equal(t_sql_exec(d, "UPDATE srv_audit SET hash = (SELECT hash FROM srv_audit WHERE "
                                 "seq = 1) WHERE seq = 2"), 0);
  assert_broken(d, "broken at row 2");
  rehash(d, 2);
  assert_int_equal(rows_ok(d), 5);
  /* an edited row whose own hash is recomputed: the next row names the break */
  assert_int_equal(t_sql_exec(d, "UPDATE srv_audit SET actor = 'boris' WHERE seq = 3"), 0);
  rehash(d, 3);
  assert_broken(d, "broken at row 4: its content or the row before it was changed");
}

static void test_deleted_row_is_named(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  fill(d);
  assert_int_equal(t_sql_exec(d, "DROP TRIGGER srv_audit_no_delete"), 0);
  assert_int_equal(t_sql_exec(d, "DELETE FROM srv_audit WHERE seq = 2"), 0);
  assert_broken(d, "row 2 is missing");
  /* the first row gone */
  assert_int_equal(t_sql_exec(d, "DELETE FROM srv_audit WHERE seq = 1"), 0);
  assert_broken(d, "row 1 is missing");
}

/* Tail truncation leaves a chain that verifies: an anchor (the head of an
 * earlier copy) catches it; a head given by its first 16 hex digits works;
 * a backup file's epoch and head are read through an attached copy. */
static void test_anchor_catches_deleted_tail(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  fill(d);
  kt_err err;
  int64_t seq = 0, bseq = 0;
  char hash[65], bhash[65], bep[64];
  assert_int_equal(srv_audit_head(d, &seq, hash, &err), 0);
  assert_int_equal(seq, 5);
  assert_int_equal(strlen(hash), 64);
  char copy[400], sql[500];
  snprintf(copy, sizeof copy, "%s/copy.db", t->dir);
  snprintf(sql, sizeof sql, "VACUUM INTO '%s'", copy);
  assert_int_equal(t_sql_exec(d, sql), 0);
  assert_int_equal(srv_audit_backup_head(d, copy, bep, &bseq, bhash, &err), 0);
  assert_int_equal(bseq, 5);
  assert_string_equal(bhash, hash);
  assert_int_equal(srv_audit_check_anchor(d, bseq, bhash, "the copy", &err), 0);
  char text[100];
  snprintf(text, sizeof text, "5:%.16s", hash);
  int64_t aseq;
  char ahash[65];
  assert_int_equal(srv_audit_parse_anchor(text, &aseq, ahash, &err), 0);
  assert_int_equal(srv_audit_check_anchor(d, aseq, ahash, "the note", &err), 0);
  assert_int_equal(srv_audit_parse_anchor("5:abc", &aseq, ahash, &err), KT_EINVAL);
  assert_int_equal(srv_audit_parse_anchor("x:0123456789abcdef", &aseq, ahash, &err), KT_EINVAL);
  assert_int_equal(srv_audit_parse_anchor("5", &aseq, ahash, &err), KT_EINVAL);
  /* the two newest rows deleted: the chain alone still checks out */
  assert_int_equal(t_sql_exec(d, "DROP TRIGGER srv_audit_no_delete"), 0);
  assert_int_equal(t_sql_exec(d, "DELETE FROM srv_audit WHERE seq > 3"), 0);
  assert_int_equal(rows_ok(d), 3);
  assert_int_equal(srv_audit_check_anchor(d, bseq, bhash, "the copy", &err), KT_ECORRUPT);
  assert_non_null(strstr(err.msg, "the copy holds row 5, but the log ends at row 3"));
  /* a rewritten row under the anchor */
  assert_int_equal(srv_audit_check_anchor(d, 3, "0123456789abcdef", "the note", &err), KT_ECORRUPT);
  assert_non_null(strstr(err.msg, "row 3 differs from the note"));
}

static void test_inserted_row_is_named(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  fill(d);
  /* a forged row in the middle: renumber 4, 5 -> 5, 6 needs the update trigger gone */
  assert_int_equal(t_sql_exec(d, "DROP TRIGGER srv_audit_no_update"), 0);
  assert_int_equal(t_sql_exec(d, "UPDATE srv_audit SET seq = seq + 10 WHERE seq >= 4; "
                                 "UPDATE srv_audit SET seq = seq - 9 WHERE seq >= 14"), 0);
  assert_int_equal(t_sql_exec(d, "INSERT INTO srv_audit(seq, ts, actor, device, action, object, "
                                 "detail, hash) SELECT 4, ts, actor, device, 'login.ok', object, "
                                 "'', hash FROM srv_audit WHERE seq = 3"), 0);
  assert_broken(d, "broken at row 4");
  /* a forged row appended at the end, with any hash */
  t_srvdb_close(t);
  assert_int_equal(t_srvdb_open(t, "audit"), 0);
  d = &t->db;
  fill(d);
  assert_int_equal(t_sql_exec(d, "INSERT INTO srv_audit(seq, ts, actor, device, action, object, "
                                 "detail, hash) VALUES (6, 1, 'x', 'y', 'login.ok', 'boss', '', "
                                 "'00')"), 0);
  assert_broken(d, "broken at row 6");
  /* a row numbered past a gap */
  assert_int_equal(t_sql_exec(d, "DROP TRIGGER srv_audit_no_delete; DELETE FROM srv_audit WHERE "
                                 "seq = 6"), 0);
  assert_int_equal(rows_ok(d), 5);
  assert_int_equal(t_sql_exec(d, "INSERT INTO srv_audit(seq, ts, actor, device, action, object, "
                                 "detail, hash) VALUES (9, 1, 'x', 'y', 'z', 'o', '', '00')"), 0);
  assert_broken(d, "row 6 is missing");
}

static int count_lines(const kt_buf *b) {
  int n = 0;
  for (size_t i = 0; i < b->len; i++) n += b->p[i] == '\n';
  return n;
}

static int print(srv_db *d, const char *actor, const char *action, int64_t since, bool json,
                 kt_buf *out) {
  srv_audit_filter f = {actor, action, since};
  kt_buf_free(out);
  kt_err err;
  kt_err_clear(&err);
  int rc = srv_audit_print(d, &f, json, out, &err);
  assert_int_equal(rc, 0);
  return json ? 0 : count_lines(out);
}

static void test_print_and_filters(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  kt_buf out = KT_BUF_INIT;
  assert_int_equal(print(d, NULL, NULL, 0, false, &out), 0); /* empty log: nothing */
  fill(d);
  usleep(20000);
  int64_t mid = (int64_t)kt_now_ms();
  usleep(20000);
  kt_err err;
  assert_int_equal(srv_audit_add(d, "boris", "dev-3", "login.ok", "boris", "say \"hi\"", &err), 0);
  assert_int_equal(print(d, NULL, NULL, 0, false, &out), 6);
  /* one line per row: seq, time, actor ("-" for the server), device, action, object, detail */
  const char *first = kt_buf_str(&out);
  assert_true(strncmp(first, "1 ", 2) == 0);
  assert_non_null(strstr(first, " - local init boss first administrator\n"));
  assert_non_null(strstr(first, " boss dev-1 login.ok boss\n")); /* no trailing space */
  /* by user */
  assert_int_equal(print(d, "anna", NULL, 0, false, &out), 2);
  assert_null(strstr(kt_buf_str(&out), "boss dev-1"));
  assert_int_equal(print(d, "nobody", NULL, 0, false, &out), 0);
  /* by action prefix */
  assert_int_equal(print(d, NULL, "login", 0, false, &out), 3);
  assert_int_equal(print(d, NULL, "login.ok", 0, false, &out), 2);
  assert_int_equal(print(d, NULL, "admin.", 0, false, &out), 1);
  assert_int_equal(print(d, NULL, "ok", 0, false, &out), 0); /* a prefix, not a substring */
  /* by time */
  assert_int_equal(print(d, NULL, NULL, mid, false, &out), 1);
  assert_non_null(strstr(kt_buf_str(&out), "boris"));
  assert_int_equal(print(d, NULL, NULL, mid + 3600000, false, &out), 0);
  /* combined */
  assert_int_equal(print(d, "anna", "login", 0, false, &out), 1);
  assert_int_equal(print(d, "boris", "login", mid, false, &out), 1);
  assert_int_equal(print(d, "anna", "login", mid, false, &out), 0);

  /* JSON: an array of objects that a parser reads back, quotes escaped */
  print(d, NULL, "login", 0, true, &out);
  kt_jval *v = NULL;
  assert_int_equal(kt_json_parse(out.p, out.len, &v, &err), 0);
  assert_int_equal(kt_jval_type(v), KT_JARR);
  assert_int_equal(kt_jval_len(v), 3);
  const kt_jval *last = kt_jval_at(v, 2);
  assert_string_equal(kt_jval_str(kt_jval_get(last, "actor")), "boris");
  assert_string_equal(kt_jval_str(kt_jval_get(last, "detail")), "say \"hi\"");
  assert_string_equal(kt_jval_str(kt_jval_get(last, "action")), "login.ok");
  assert_string_equal(kt_jval_str(kt_jval_get(last, "device")), "dev-3");
  assert_int_equal((int)kt_jval_num(kt_jval_get(last, "seq")), 6);
  assert_non_null(kt_jval_str(kt_jval_get(last, "time")));
  kt_jval_free(v);
  /* an empty selection is an empty array */
  print(d, "nobody", NULL, 0, true, &out);
  assert_string_equal(kt_buf_str(&out), "[]\n");
  /* an enrolled PC is shown by its name (one word), its id stays in the JSON */
  assert_int_equal(t_sql_exec(d, "INSERT INTO srv_device (id, user_name, name, created) "
                                 "VALUES ('dev-1', 'boss', 'boss pc', 0)"), 0);
  print(d, "boss", "login.ok", 0, false, &out);
  assert_non_null(strstr(kt_buf_str(&out), " boss boss_pc login.ok boss\n"));
  print(d, "boss", "login.ok", 0, true, &out);
  assert_non_null(strstr(kt_buf_str(&out), "\"device\":\"dev-1\",\"device_name\":\"boss pc\""));
  kt_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_chain_verifies, setup, teardown),
      cmocka_unit_test_setup_teardown(test_caller_transaction, setup, teardown),
      cmocka_unit_test_setup_teardown(test_triggers_refuse_changes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_edited_row_is_named, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rehashed_row_breaks_the_next, setup, teardown),
      cmocka_unit_test_setup_teardown(test_deleted_row_is_named, setup, teardown),
      cmocka_unit_test_setup_teardown(test_anchor_catches_deleted_tail, setup, teardown),
      cmocka_unit_test_setup_teardown(test_inserted_row_is_named, setup, teardown),
      cmocka_unit_test_setup_teardown(test_print_and_filters, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
