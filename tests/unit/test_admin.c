/* Unit tests for srv_admin: every request (user add/passwd/disable/enable/
 * role/list, role list/set, device revoke, invite) does its work, says whom
 * to kick, and writes one audit row with the actor and device; a refused or
 * unknown request changes nothing and writes no row; passwords never reach
 * the log; the default invite address follows where the server listened. A
 * real master database in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kt_invite.h"
#include "srv_admin.h"
#include "srv_audit.h"
#include "srv_rights.h"
#include "t_srvdb.h"

static int setup(void **state) {
  t_srvdb *t = calloc(1, sizeof *t);
  kt_err err;
  if (!t || t_srvdb_open(t, "admin") || srv_roles_seed(&t->db, &err)) return -1;
  *state = t;
  return 0;
}

static int teardown(void **state) {
  t_srvdb *t = *state;
  t_srvdb_close(t);
  free(t);
  return 0;
}

static srv_admin_res res;
static kt_err err;

/* Runs q as boss on dev-1; res and err hold the outcome. */
static int run(srv_db *d, srv_admin_req q) {
  kt_buf_free(&res.out);
  memset(&res, 0, sizeof res);
  kt_err_clear(&err);
  return srv_admin_exec(d, NULL, "boss", "dev-1", &q, &res, &err);
}

static int64_t audit_rows(srv_db *d) { return t_sql_int(d, "SELECT count(*) FROM srv_audit"); }

/* The last audit row as "actor device action object detail". */
static const char *last_audit(srv_db *d) {
  static char line[1200];
  line[0] = '\0';
  t_sql_text(d, "SELECT actor || ' ' || device || ' ' || action || ' ' || object || ' ' || detail "
                "FROM srv_audit ORDER BY seq DESC LIMIT 1", line, sizeof line);
  return line;
}

static void test_user_requests(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  assert_int_equal(run(d, (srv_admin_req){.op = "user.add", .name = "anna", .password = "anna-pass-1",
                                          .group = "Продажи"}), 0);
  assert_string_equal(last_audit(d), "boss dev-1 admin.user.add anna role manager, groups Продажи");
  assert_string_equal(res.kick_user, "");
  assert_int_equal(run(d, (srv_admin_req){.op = "user.add", .name = "boris", .password = "boris-pass-1",
                                          .role = "assistant"}), 0);
  assert_string_equal(last_audit(d), "boss dev-1 admin.user.add boris role assistant");
  int64_t n = audit_rows(d);
  /* refused: nothing changes, nothing is logged */
  assert_int_equal(run(d, (srv_admin_req){.op = "user.add", .name = "vera"}), KT_EINVAL);
  assert_non_null(strstr(err.msg, "give the password"));
  assert_int_equal(run(d, (srv_admin_req){.op = "user.add", .name = "anna", .password = "x-pass-123"}),
                   KT_EEXISTS);
  assert_int_equal(run(d, (srv_admin_req){.op = "user.add", .name = "vera", .password = "short"}),
                   KT_EINVAL);
  assert_int_equal(run(d, (srv_admin_req){.op = "user.add", .name = "vera", .password = "vera-pass-1",
                                          .role = "king"}), KT_EINVAL);
  assert_non_null(strstr(err.msg, "unknown role 'king'"));
  assert_int_equal(audit_rows(d), n);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_user"), 2);
  /* list */
  assert_int_equal(run(d, (srv_admin_req){.op = "user.list"}), 0);
  assert_string_equal(kt_buf_str(&res.out), "#name\trole\tgroup\tstate\tbirthday\n"
                                            "anna\tmanager\tПродажи\tactive\t\n"
                                            "boris\tassistant\t\tactive\t\n");
  assert_int_equal(audit_rows(d), n); /* reading is not logged */
  /* passwd: the user's sessions end; the password never reaches the log */
  assert_int_equal(run(d, (srv_admin_req){.op = "user.passwd", .name = "anna", .password = "anna-pass-2"}), 0);
  assert_string_equal(res.kick_user, "anna");
  assert_string_equal(last_audit(d), "boss dev-1 admin.user.passwd anna ");
  assert_int_equal(run(d, (srv_admin_req){.op = "user.passwd", .name = "anna"}), KT_EINVAL);
  assert_int_equal(run(d, (srv_admin_req){.op = "user.passwd", .name = "ghost", .password = "ghost-pass-1"}),
                   KT_ENOTFOUND);
  assert_string_equal(res.kick_user, "");
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_audit WHERE detail LIKE '%pass-%' OR "
                                "object LIKE '%pass-%'"), 0);
  /* disable kicks, enable does not; a locked account shows as such */
  assert_int_equal(run(d, (srv_admin_req){.op = "user.disable", .name = "boris"}), 0);
  assert_string_equal(res.kick_user, "boris");
  assert_string_equal(last_audit(d), "boss dev-1 admin.user.disable boris ");
  assert_int_equal(t_sql_exec(d, "UPDATE srv_user SET locked = 1 WHERE name = 'anna'"), 0);
  assert_int_equal(run(d, (srv_admin_req){.op = "user.list"}), 0);
  assert_string_equal(kt_buf_str(&res.out), "#name\trole\tgroup\tstate\tbirthday\n"
                                            "anna\tmanager\tПродажи\tlocked\t\n"
                                            "boris\tassistant\t\tdisabled\t\n");
  assert_int_equal(run(d, (srv_admin_req){.op = "user.enable", .name = "boris"}), 0);
  assert_string_equal(res.kick_user, "");
  assert_string_equal(last_audit(d), "boss dev-1 admin.user.enable boris ");
  assert_int_equal(run(d, (srv_admin_req){.op = "user.enable", .name = "ghost"}), KT_ENOTFOUND);
  /* role and groups */
  n = audit_rows(d);
  assert_int_equal(run(d, (srv_admin_req){.op = "user.role", .name = "anna"}), KT_EINVAL);
  assert_non_null(strstr(err.msg, "give the new role and/or groups"));
  assert_int_equal(run(d, (srv_admin_req){.op = "user.role", .name = "anna", .role = "head_of_sales"}), 0);
  assert_string_equal(last_audit(d), "boss dev-1 admin.user.role anna now role head_of_sales, groups Продажи");
  assert_int_equal(run(d, (srv_admin_req){.op = "user.role", .name = "anna", .group = ""}), 0);
  assert_string_equal(last_audit(d), "boss dev-1 admin.user.role anna now role head_of_sales, groups -");
  assert_int_equal(run(d, (srv_admin_req){.op = "user.role", .name = "anna", .role = "king"}), KT_EINVAL);
  assert_int_equal(audit_rows(d), n + 2);
  /* the log is a valid chain */
  int64_t rows = 0;
  assert_int_equal(srv_audit_verify(d, &rows, &err), 0);
  assert_int_equal(rows, audit_rows(d));
}

static void test_local_actor(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  srv_admin_req q = {.op = "user.add", .name = "anna", .password = "anna-pass-1"};
  srv_admin_res r;
  memset(&r, 0, sizeof r);
  kt_err e;
  assert_int_equal(srv_admin_exec(d, NULL, NULL, NULL, &q, &r, &e), 0);
  kt_buf_free(&r.out);
  assert_string_equal(last_audit(d), " local admin.user.add anna role manager");
}

static void test_role_requests(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  assert_int_equal(run(d, (srv_admin_req){.op = "role.list"}), 0);
  const char *o = kt_buf_str(&res.out);
  assert_int_equal(strncmp(o, "#name\trights\nadministrator\t", 27), 0);
  int lines = 0;
  for (; *o; o++) lines += *o == '\n';
  assert_int_equal(lines, 5); /* the header and the four shipped roles */
  int64_t n = audit_rows(d);
  assert_int_equal(run(d, (srv_admin_req){.op = "role.set", .name = "senior", .from = "manager",
                                          .rights = "+export"}), 0);
  kt_rights r;
  kt_buf txt = KT_BUF_INIT;
  assert_int_equal(srv_role_rights(d, "senior", &r, &err), 0);
  assert_true(r.can_export);
  kt_rights_format(&r, &txt);
  char want[1200];
  snprintf(want, sizeof want, "#name\trights\nsenior\t%s\n", kt_buf_str(&txt));
  assert_string_equal(kt_buf_str(&res.out), want);
  snprintf(want, sizeof want, "boss dev-1 admin.role.set senior %s", kt_buf_str(&txt));
  assert_string_equal(last_audit(d), want);
  kt_buf_free(&txt);
  assert_int_equal(audit_rows(d), n + 1);
  assert_int_equal(run(d, (srv_admin_req){.op = "role.set", .name = "Senior", .rights = "+export"}),
                   KT_EINVAL);
  assert_int_equal(run(d, (srv_admin_req){.op = "role.set", .name = "junior", .rights = "+fly"}),
                   KT_EINVAL);
  assert_int_equal(run(d, (srv_admin_req){.op = "role.set", .name = "junior", .from = "king"}),
                   KT_ENOTFOUND);
  assert_int_equal(audit_rows(d), n + 1);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_role"), 5);
}

static void test_device_revoke(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  assert_int_equal(t_sql_exec(d, "INSERT INTO srv_device(id, user_name, name, cert_fpr, created) "
                                 "VALUES ('dev-9', 'anna', 'PC', 'AA', 0)"), 0);
  assert_int_equal(run(d, (srv_admin_req){.op = "device.revoke"}), KT_EINVAL);
  assert_non_null(strstr(err.msg, "give the device id"));
  assert_int_equal(run(d, (srv_admin_req){.op = "device.revoke", .name = "dev-0"}), KT_ENOTFOUND);
  assert_int_equal(audit_rows(d), 0);
  assert_int_equal(run(d, (srv_admin_req){.op = "device.revoke", .name = "dev-9"}), 0);
  assert_int_equal(t_sql_int(d, "SELECT revoked FROM srv_device WHERE id = 'dev-9'"), 1);
  assert_string_equal(last_audit(d), "boss dev-1 admin.device.revoke dev-9 ");
}

static void test_invite_and_default_address(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  char addr[300], host[200] = "";
  srv_admin_default_address(d, addr, sizeof addr);
  assert_string_equal(addr, "127.0.0.1:7433"); /* never listened yet */
  assert_int_equal(srv_db_meta_set(d, "last_listen", "10.0.0.5:7500", &err), 0);
  srv_admin_default_address(d, addr, sizeof addr);
  assert_string_equal(addr, "10.0.0.5:7500");
  /* listening on every address: this machine's name */
  assert_int_equal(gethostname(host, sizeof host - 1), 0);
  char want[300];
  snprintf(want, sizeof want, "%s:7501", host);
  assert_int_equal(srv_db_meta_set(d, "last_listen", "0.0.0.0:7501", &err), 0);
  srv_admin_default_address(d, addr, sizeof addr);
  assert_string_equal(addr, want);
  snprintf(want, sizeof want, "%s:7502", host);
  assert_int_equal(srv_db_meta_set(d, "last_listen", "[::]:7502", &err), 0);
  srv_admin_default_address(d, addr, sizeof addr);
  assert_string_equal(addr, want);

  assert_int_equal(run(d, (srv_admin_req){.op = "user.add", .name = "anna", .password = "anna-pass-1"}), 0);
  int64_t n = audit_rows(d);
  /* unknown user: refused, not logged */
  assert_int_equal(run(d, (srv_admin_req){.op = "invite", .name = "ghost"}), KT_ENOTFOUND);
  assert_int_equal(audit_rows(d), n);
  assert_int_equal(res.out.len, 0);
  /* the default address */
  assert_int_equal(srv_db_meta_set(d, "last_listen", "10.0.0.5:7500", &err), 0);
  assert_int_equal(run(d, (srv_admin_req){.op = "invite", .name = "anna"}), 0);
  kt_invite inv;
  assert_int_equal(kt_invite_decode(kt_buf_str(&res.out), &inv, &err), 0);
  assert_string_equal(inv.user, "anna");
  assert_string_equal(inv.addresses, "10.0.0.5:7500");
  assert_string_equal(inv.ca_fpr,
                      "ABCDEF01ABCDEF01ABCDEF01ABCDEF01ABCDEF01ABCDEF01ABCDEF01ABCDEF01");
  assert_string_equal(last_audit(d), "boss dev-1 admin.invite anna for 10.0.0.5:7500");
  /* the secret is not in the log */
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM srv_audit WHERE detail LIKE '%%%s%%'", inv.secret);
  assert_int_equal(t_sql_int(d, sql), 0);
  /* an explicit address and validity */
  assert_int_equal(run(d, (srv_admin_req){.op = "invite", .name = "anna", .address = "crm.lan:7433",
                                          .hours = 5}), 0);
  assert_int_equal(kt_invite_decode(kt_buf_str(&res.out), &inv, &err), 0);
  assert_string_equal(inv.addresses, "crm.lan:7433");
  assert_int_equal(t_sql_int(d, "SELECT (expires - created) / 3600000 FROM srv_invite WHERE "
                                "addresses = 'crm.lan:7433'"), 5);
  assert_int_equal(t_sql_int(d, "SELECT (expires - created) / 3600000 FROM srv_invite WHERE "
                                "addresses = '10.0.0.5:7500'"), 72);
}

static void test_unknown_request(void **state) {
  t_srvdb *t = *state;
  srv_db *d = &t->db;
  assert_int_equal(run(d, (srv_admin_req){.op = "user.delete", .name = "anna"}), KT_EINVAL);
  assert_non_null(strstr(err.msg, "unknown administration request 'user.delete'"));
  assert_non_null(strstr(err.msg, "user add|passwd|disable|enable|role|birthday|list"));
  assert_int_equal(run(d, (srv_admin_req){.op = NULL}), KT_EINVAL);
  assert_non_null(strstr(err.msg, "unknown administration request ''"));
  assert_int_equal(run(d, (srv_admin_req){.op = "USER.ADD", .name = "anna", .password = "anna-pass-1"}),
                   KT_EINVAL);
  assert_int_equal(audit_rows(d), 0);
  assert_int_equal(t_sql_int(d, "SELECT count(*) FROM srv_user"), 0);
  kt_buf_free(&res.out);
}

static int group_teardown(void **state) {
  (void)state;
  kt_buf_free(&res.out);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_user_requests, setup, teardown),
      cmocka_unit_test_setup_teardown(test_local_actor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_role_requests, setup, teardown),
      cmocka_unit_test_setup_teardown(test_device_revoke, setup, teardown),
      cmocka_unit_test_setup_teardown(test_invite_and_default_address, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_request, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, group_teardown);
}
