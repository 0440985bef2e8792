/* Unit tests for cli_cmd (the CLI's command table: the one option parser,
 * sub-command lookup, generated usage) and the store modes of cli_util
 * (cli_store / cli_reader open the card index as the entry declares). The
 * two files are compiled in here; cli_usage (cli_main.c's) is replaced by one
 * that keeps the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../client/cli/cli_cmd.c"
#include "../../client/cli/cli_util.c"
#include "cl_reader.h"
#include "t_store.h"

static char usage_msg[512];
static const char *usage_cmd;

int cli_usage(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(usage_msg, sizeof usage_msg, fmt, ap);
  va_end(ap);
  usage_cmd = cmd;
  return 2;
}

static const cli_opt opts[] = {{"--limit", "N", "at most N"},
                               {"--trash", NULL, "the trash"},
                               {"--where", "F=V", "a filter"},
                               {0}};
static const cli_cmd list_e = {.name = "tlist", .usage = "tlist TYPE", .summary = "s", .opts = opts};

/* the words of one run of the parser, as "opt=val" / "val" / "opt" joined by spaces */
static int parse(const cli_cmd *c, int argc, char **argv, char *out, size_t n) {
  cli_args a = cli_args_begin(c, argc, argv);
  const char *opt;
  char *val;
  int rc;
  out[0] = 0;
  usage_msg[0] = 0;
  while ((rc = cli_args_next(&a, &opt, &val)) == 1) {
    size_t len = strlen(out);
    snprintf(out + len, n - len, "%s%s%s%s", len ? " " : "", opt ? opt : "", opt && val ? "=" : "",
             val ? val : "");
  }
  return rc;
}

static void test_parser_words(void **state) {
  (void)state;
  char out[256];
  char *v1[] = {"tlist", "org", "--limit", "5", "--trash", "--where=city=Łódź", "rest"};
  assert_int_equal(parse(&list_e, 7, v1, out, sizeof out), 0);
  assert_string_equal(out, "org --limit=5 --trash --where=city=Łódź rest");
  /* a value that looks like an option is the value */
  char *v2[] = {"tlist", "--where", "--trash"};
  assert_int_equal(parse(&list_e, 3, v2, out, sizeof out), 0);
  assert_string_equal(out, "--where=--trash");
  /* "--" alone and "-x" are positional words (commands give them meaning) */
  char *v3[] = {"tlist", "--", "-s"};
  assert_int_equal(parse(&list_e, 3, v3, out, sizeof out), 0);
  assert_string_equal(out, "-- -s");
}

static void test_parser_errors(void **state) {
  (void)state;
  char out[256];
  char *v1[] = {"tlist", "--limt", "5"};
  assert_int_equal(parse(&list_e, 3, v1, out, sizeof out), 2);
  assert_non_null(strstr(usage_msg, "unknown option '--limt' for tlist; did you mean '--limit'?"));
  assert_string_equal(usage_cmd, "tlist");
  char *v2[] = {"tlist", "org", "--limit"};
  assert_int_equal(parse(&list_e, 3, v2, out, sizeof out), 2);
  assert_non_null(strstr(usage_msg, "--limit needs a value"));
  assert_string_equal(out, "org"); /* the words before it were given */
  char *v3[] = {"tlist", "--trash=1"};
  assert_int_equal(parse(&list_e, 2, v3, out, sizeof out), 2);
  assert_non_null(strstr(usage_msg, "unknown option '--trash=1'"));
  /* the pre-check walks every word the same way */
  char *v4[] = {"tlist", "org", "--trash", "--zz"};
  assert_int_equal(cli_cmd_check_opts(&list_e, 4, v4), 2);
  assert_non_null(strstr(usage_msg, "'--zz'"));
  char *v5[] = {"tlist", "org", "--limit", "1"};
  assert_int_equal(cli_cmd_check_opts(&list_e, 4, v5), 0);
}

static const cli_cmd add_e = {.name = "tadm user add", .usage = "tadm user add NAME", .summary = "a"};
static const cli_cmd lst_e = {.name = "tadm user list", .usage = "tadm user list", .summary = "l"};
static const cli_cmd *const user_subs[] = {&add_e, &lst_e, NULL};
static const cli_cmd user_e = {.name = "tadm user", .summary = "users", .subs = user_subs};
static const cli_cmd inv_e = {.name = "tadm invite", .usage = "tadm invite USER", .summary = "i"};
static const cli_cmd *const adm_subs[] = {&user_e, &inv_e, NULL};
static const cli_cmd adm_e = {.name = "tadm", .summary = "admin", .subs = adm_subs};

static void test_subcommands(void **state) {
  (void)state;
  assert_ptr_equal(cli_cmd_sub(&adm_e, "user"), &user_e);
  assert_ptr_equal(cli_cmd_sub(&adm_e, "invite"), &inv_e);
  assert_ptr_equal(cli_cmd_sub(&user_e, "add"), &add_e);
  assert_null(cli_cmd_sub(&adm_e, "add")); /* a word of another level */
  assert_null(cli_cmd_sub(&adm_e, "tadm user"));
  assert_null(cli_cmd_sub(&list_e, "org")); /* no sub-commands */
  char *v1[] = {"user", "ad"};
  assert_int_equal(cli_cmd_no_sub(&user_e, 2, v1), 2);
  assert_non_null(strstr(usage_msg, "unknown sub-command 'ad' for tadm user; did you mean 'add'?"));
  assert_string_equal(usage_cmd, "tadm user");
  char *v2[] = {"user"};
  assert_int_equal(cli_cmd_no_sub(&user_e, 1, v2), 2);
  assert_non_null(strstr(usage_msg, "tadm user what?"));
}

static void test_generated_usage(void **state) {
  (void)state;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  cli_cmd_usage(&adm_e, f);
  cli_cmd_usage(&add_e, f);
  fclose(f);
  assert_string_equal(buf, "usage: kartoteka tadm user|invite ...\n"
                           "usage: kartoteka tadm user add NAME\n");
  free(buf);
}

/* ---- the store modes ---- */
static const cli_cmd read_e = {.name = "tread", .summary = "r", .store = CLI_STORE_READ};
static const cli_cmd write_e = {.name = "twrite", .summary = "w", .store = CLI_STORE_WRITE};
static const cli_cmd none_e = {.name = "tnone", .summary = "n", .store = CLI_STORE_NONE};

static void test_store_modes(void **state) {
  (void)state;
  t_store ts;
  assert_int_equal(t_store_open(&ts, "clicmd"), 0);
  cl_store_close(ts.s); /* the commands open it as a front end does */
  ts.s = NULL;
  kt_err err;
  cl_set set = {"name", "ООО Ромашка"};
  char id[KT_UUID_STRLEN + 1];

  cli_ctx w = {.profile = ts.dir, .cmd = &write_e};
  cl_store *s = cli_store(&w);
  assert_non_null(s);
  assert_ptr_equal(cli_store(&w), s); /* opened once */
  assert_null(cli_reader(&w));        /* a writer has no reader */
  kt_err_clear(&err);
  assert_int_equal(cl_store_add(s, "org", &set, 1, id, &err), 0);
  cli_ctx_close(&w);
  assert_null(w.store);

  cli_ctx r = {.profile = ts.dir, .cmd = &read_e};
  s = cli_store(&r);
  assert_non_null(s);
  assert_non_null(cli_reader(&r));
  assert_ptr_equal(cl_reader_store(cli_reader(&r)), s);
  cl_rec *rec = NULL;
  kt_err_clear(&err);
  assert_int_equal(cl_store_get(s, id, &rec, &err), 0); /* it reads */
  cl_rec_free(rec);
  kt_err_clear(&err);
  assert_int_not_equal(cl_store_add(s, "org", &set, 1, id, &err), 0); /* and cannot write */
  cli_ctx_close(&r);
  assert_null(r.reader);

  cli_ctx n = {.profile = ts.dir, .cmd = &none_e};
  assert_null(cli_store(&n)); /* an entry that declares no card index gets none */
  cli_ctx_close(&n);

  char missing[200];
  snprintf(missing, sizeof missing, "%s/nothing-here", ts.dir);
  cli_ctx m = {.profile = missing, .cmd = &read_e};
  assert_null(cli_store(&m)); /* no profile: NULL after the message */
  assert_null(cli_reader(&m));
  cli_ctx_close(&m);
  t_store_close(&ts);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parser_words),    cmocka_unit_test(test_parser_errors),
      cmocka_unit_test(test_subcommands),     cmocka_unit_test(test_generated_usage),
      cmocka_unit_test(test_store_modes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
