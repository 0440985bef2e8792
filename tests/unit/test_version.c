/* Unit tests for kt_version: which side is too old, and that the message
 * names the program to upgrade (kartotekad on the server, or kartoteka on this
 * PC) with both versions; the test knobs that let a binary play another
 * version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kt_migrate.h"
#include "kt_version.h"

static void test_same_build_talks(void **state) {
  (void)state;
  kt_version a;
  kt_version_own(&a);
  assert_int_equal(a.schema, (uint32_t)kt_migrate_latest());
  assert_int_equal(kt_version_check(&a, &a, NULL), 0);
}

static void test_newer_server_schema_is_fine(void **state) {
  (void)state;
  kt_version pc = {1, 1, 10}, srv = {1, 1, 11};
  assert_int_equal(kt_version_check(&pc, &srv, NULL), 0);
  /* an older PC without the schema field (0) too */
  kt_version old = kt_version_peer(1, 0, 0);
  assert_int_equal(kt_version_check(&old, &srv, NULL), 0);
}

static void test_older_server_schema_names_the_server(void **state) {
  (void)state;
  kt_err err;
  kt_version pc = {1, 1, 12}, srv = {1, 1, 11};
  assert_int_equal(kt_version_check(&pc, &srv, &err), KT_EVERSION);
  assert_non_null(strstr(err.msg, "upgrade kartotekad on the server"));
  assert_non_null(strstr(err.msg, "schema 11"));
  assert_non_null(strstr(err.msg, "schema 12"));
  /* a server from before these fields states no schema */
  kt_version older = kt_version_peer(1, 0, 0);
  assert_int_equal(kt_version_check(&pc, &older, &err), KT_EVERSION);
  assert_non_null(strstr(err.msg, "upgrade kartotekad on the server"));
}

static void test_protocol_ranges(void **state) {
  (void)state;
  kt_err err;
  kt_version pc = {1, 1, 5}, srv = {3, 4, 5};
  assert_int_equal(kt_version_check(&pc, &srv, &err), KT_EVERSION);
  assert_non_null(strstr(err.msg, "upgrade kartoteka on this PC"));
  assert_non_null(strstr(err.msg, "protocol 1"));
  assert_non_null(strstr(err.msg, "protocol 3 or newer"));
  kt_version newpc = {5, 6, 5}, oldsrv = {1, 2, 5};
  assert_int_equal(kt_version_check(&newpc, &oldsrv, &err), KT_EVERSION);
  assert_non_null(strstr(err.msg, "upgrade kartotekad on the server"));
  assert_non_null(strstr(err.msg, "protocol 2"));
  assert_non_null(strstr(err.msg, "protocol 5 or newer"));
  kt_version overlap_pc = {1, 3, 5}, overlap_srv = {2, 4, 5};
  assert_int_equal(kt_version_check(&overlap_pc, &overlap_srv, NULL), 0);
  /* a peer's min above its version is ignored (it speaks its version only) */
  kt_version odd = kt_version_peer(2, 9, 5);
  assert_int_equal(odd.protocol_min, 2);
}

static void test_knobs(void **state) {
  (void)state;
  kt_version v;
  setenv("KT_TEST_PROTOCOL", "3-7", 1);
  setenv("KT_TEST_SCHEMA", "99", 1);
  kt_version_own(&v);
  assert_int_equal(v.protocol_min, 3);
  assert_int_equal(v.protocol, 7);
  assert_int_equal(v.schema, 99);
  setenv("KT_TEST_PROTOCOL", "4", 1);
  setenv("KT_TEST_SCHEMA", "junk", 1);
  kt_version_own(&v);
  assert_int_equal(v.protocol_min, 4);
  assert_int_equal(v.protocol, 4);
  assert_int_equal(v.schema, (uint32_t)kt_migrate_latest());
  unsetenv("KT_TEST_PROTOCOL");
  unsetenv("KT_TEST_SCHEMA");
  kt_version_own(&v);
  assert_int_equal(v.protocol, KT_PROTOCOL_VERSION);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_build_talks),
      cmocka_unit_test(test_newer_server_schema_is_fine),
      cmocka_unit_test(test_older_server_schema_names_the_server),
      cmocka_unit_test(test_protocol_ranges),
      cmocka_unit_test(test_knobs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
