/* Unit tests for cli_batch: the line splitter (quotes, escapes, comments,
 * errors), what a batch refuses, and the loop (a marker after every command
 * with its status, a bad line does not stop the rest, the overall status).
 * cli_batch.c, cli_cmd.c and cli_util.c are compiled in here; cli_run (the
 * dispatch of cli_main.c) is replaced by one that records the words it is
 * given and returns the status the line asks for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../client/cli/cli_batch.c"
#include "../../client/cli/cli_cmd.c"
#include "../../client/cli/cli_util.c"

int cli_usage(const char *cmd, const char *fmt, ...) {
  (void)cmd;
  (void)fmt;
  return 2;
}

static const cli_opt sync_opts[] = {{"--watch", NULL, "w"}, CLI_OPT_JSON, {0}};
const cli_cmd cli_entry_sync = {.name = "sync", .usage = "sync", .summary = "s", .opts = sync_opts};
static const cli_opt agent_opts[] = {{"--password-file", "F", "p"}, {0}};
const cli_cmd cli_entry_agent = {.name = "agent", .usage = "agent", .summary = "a", .opts = agent_opts};
static const cli_cmd connect_e = {.name = "connect", .usage = "c", .summary = "c", .opts = agent_opts};

/* the lines cli_run got: their words joined by '|' */
static char runs[1024];
static bool base_json;

/* "exit N" returns N; anything else 0 */
int cli_run(const cli_ctx *base, int argc, char **argv) {
  size_t len = strlen(runs);
  base_json = base && base->json;
  assert_string_equal(argv[0], "kartoteka");
  assert_null(argv[argc]);
  for (int i = 1; i < argc; i++)
    len += (size_t)snprintf(runs + len, sizeof runs - len, "%s%s", i > 1 ? "|" : "", argv[i]);
  snprintf(runs + len, sizeof runs - len, "\n");
  printf("out %d\n", argc - 1);
  return argc == 3 && strcmp(argv[1], "exit") == 0 ? atoi(argv[2]) : 0;
}

/* the words of one line joined by '|', or "ERR: why" */
static const char *split(const char *text) {
  static char out[512];
  char line[256], *words[130];
  snprintf(line, sizeof line, "%s", text);
  const char *why = NULL;
  int n = split_line(line, words, &why);
  if (n < 0) {
    snprintf(out, sizeof out, "ERR: %s", why);
    return out;
  }
  size_t len = 0;
  out[0] = 0;
  for (int i = 0; i < n; i++) len += (size_t)snprintf(out + len, sizeof out - len, "%s<%s>", i ? " " : "", words[i]);
  return out;
}

static void test_split_words(void **state) {
  (void)state;
  assert_string_equal(split("list org --json"), "<list> <org> <--json>");
  assert_string_equal(split("  \tlist   org\t "), "<list> <org>");
  assert_string_equal(split(""), "");
  assert_string_equal(split("   "), "");
  assert_string_equal(split("# a comment"), "");
  assert_string_equal(split("  # indented comment"), "");
  assert_string_equal(split("show X # the rest"), "<show> <X>");
  assert_string_equal(split("a#b"), "<a#b>"); /* # inside a word is a letter */
  assert_string_equal(split("add org --set \"name=Рога и копыта\""),
                      "<add> <org> <--set> <name=Рога и копыта>");
  assert_string_equal(split("--set 'city=New York'"), "<--set> <city=New York>");
  assert_string_equal(split("x 'a \"b\" \\c'"), "<x> <a \"b\" \\c>"); /* '...' as it is */
  assert_string_equal(split("\"a \\\"b\\\" \\\\ \\$ \\n\""), "<a \"b\" \\ $ \\n>");
  assert_string_equal(split("name=New\\ York \\'x\\#"), "<name=New York> <'x#>");
  assert_string_equal(split("a\"b c\"'d e'f"), "<ab cd ef>"); /* pieces make one word */
  assert_string_equal(split("edit X --set \"\" ''"), "<edit> <X> <--set> <> <>");
  assert_string_equal(split("'#not a comment'"), "<#not a comment>");
  assert_string_equal(split("\"'\" '\"'"), "<'> <\">");
  assert_string_equal(split("a b c d e f"), "<a> <b> <c> <d> <e> <f>");
}

static void test_split_errors(void **state) {
  (void)state;
  assert_string_equal(split("add org --set \"name=x"), "ERR: a double quote (\") is not closed");
  assert_string_equal(split("add org --set 'name=x"), "ERR: a single quote (') is not closed");
  assert_string_equal(split("say \"a\\\""), "ERR: a double quote (\") is not closed");
  assert_string_equal(split("trailing \\"), "ERR: the line ends with a backslash (lines do not continue)");
}

/* the most words a line can have fit the room split_line asks for */
static void test_split_room(void **state) {
  (void)state;
  char line[] = "a b c d e f g h i j";
  char *words[sizeof line / 2 + 1];
  const char *why;
  assert_int_equal(split_line(line, words, &why), 10);
  char q[] = "'' '' '' ''";
  char *w2[sizeof q / 2 + 1];
  assert_int_equal(split_line(q, w2, &why), 4);
  assert_string_equal(w2[3], "");
}

static void test_refusals(void **state) {
  (void)state;
  char *w1[] = {"sync", "--watch", NULL};
  assert_non_null(cli_batch_refusal(&cli_entry_sync, 2, w1));
  char *w2[] = {"sync", "--json", NULL};
  assert_null(cli_batch_refusal(&cli_entry_sync, 2, w2));
  char *w3[] = {"batch", NULL};
  assert_non_null(cli_batch_refusal(&cli_entry_batch, 1, w3));
  char *w4[] = {"agent", NULL};
  assert_non_null(cli_batch_refusal(&cli_entry_agent, 1, w4));
  char *w5[] = {"connect", "--password-file", "-", NULL};
  assert_non_null(cli_batch_refusal(&connect_e, 3, w5));
  char *w6[] = {"connect", "--password-file", "pw.txt", NULL};
  assert_null(cli_batch_refusal(&connect_e, 3, w6));
}

/* runs cmd_batch over text (a file) with stdout into a file; returns its status, *out what it printed */
static int run_batch(const char *text, bool json, char *out, size_t n) {
  char in[] = "/tmp/kt-batch-in-XXXXXX", res[] = "/tmp/kt-batch-out-XXXXXX";
  int fd = mkstemp(in), rfd = mkstemp(res);
  assert_true(fd >= 0 && rfd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  fflush(stdout);
  int saved = dup(1);
  dup2(rfd, 1);
  cli_ctx ctx = {.profile = "/nonexistent", .json = json};
  char *argv[] = {"batch", in, NULL};
  runs[0] = 0;
  int rc = cmd_batch(&ctx, 2, argv);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  ssize_t got = pread(rfd, out, n - 1, 0);
  out[got > 0 ? got : 0] = 0;
  close(rfd);
  unlink(in);
  unlink(res);
  return rc;
}

static void test_batch_loop(void **state) {
  (void)state;
  char out[1024];
  int rc = run_batch("list org\n\n# nothing\nexit 1\nshow \"x\n  exit 2  \r\nlast one 'q q'", true, out,
                     sizeof out);
  assert_int_equal(rc, 1); /* not every line succeeded */
  /* every line that runs (or cannot be split) has its marker, the bad one too; blank and
     comment lines nothing; the last line without a newline is run */
  assert_string_equal(out, "out 2\n\x1e" "0\nout 2\n\x1e" "1\n\x1e" "2\nout 2\n\x1e" "2\nout 3\n\x1e" "0\n");
  assert_string_equal(runs, "list|org\nexit|1\nexit|2\nlast|one|q q\n");
  assert_true(base_json); /* the batch's global options go to every line */
  rc = run_batch("list org\nexit 0\n", false, out, sizeof out);
  assert_int_equal(rc, 0);
  assert_false(base_json);
  rc = run_batch("", false, out, sizeof out);
  assert_int_equal(rc, 0);
  assert_string_equal(out, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split_words), cmocka_unit_test(test_split_errors),
      cmocka_unit_test(test_split_room),  cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_batch_loop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
