/* bench_mail — issue 19: (1) rendering 10,000 personalised letters (subject,
 * text and HTML through cl_tmpl, the whole MIME message through cl_mime);
 * (2) a mailing of 1,000 letters through libcurl to a local SMTP sink
 * (Debian's aiosmtpd, discarding) at an unlimited rate, each with its
 * durable state and its event (messages/s); (3) filling 1,000 DOCX documents
 * (tests/lib/mkdocx.py's template: split runs, a header, a deal row) with
 * their timeline notes. Env: BENCH_MAIL_LETTERS (10000), BENCH_MAIL_SEND
 * (1000), BENCH_MAIL_DOCS (1000), BENCH_DIR. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "bench_util.h"
#include "cl_doc.h"
#include "cl_mail.h"
#include "cl_mime.h"
#include "cl_store.h"
#include "cl_tmpl.h"

static int envn(const char *name, int def) {
  const char *v = getenv(name);
  return v && atoi(v) > 0 ? atoi(v) : def;
}

static const char *BODY =
    "Здравствуйте, {{contact.first_name|default:\"коллеги\"}}!\n\n"
    "Для {{org.name}} ({{org.city|upper}}) мы подготовили новый прайс-лист.\n"
    "Ваш оборот за год: {{org.turnover|money:\"руб.\"}}.\n"
    "С уважением, отдел продаж\n";
static const char *HTML =
    "<p>Здравствуйте, <b>{{contact.first_name|default:\"коллеги\"}}</b>!</p>"
    "<p>Для {{org.name}} новый прайс-лист. Оборот: {{org.turnover|money}}</p>";
static const char *SUBJ = "Новый прайс для {{org.name}} — {{contact.last_name}}";

static void render_letters(int n) {
  kt_model *m;
  kt_err err;
  if (kt_model_new(&m, &err)) bench_die("model", &err);
  cl_tmpl *s, *b, *h;
  if (cl_tmpl_parse(m, SUBJ, strlen(SUBJ), &s, &err) || cl_tmpl_parse(m, BODY, strlen(BODY), &b, &err) ||
      cl_tmpl_parse(m, HTML, strlen(HTML), &h, &err))
    bench_die("parse", &err);
  kt_rec *org = kt_rec_new(kt_model_type(m, "org")), *c = kt_rec_new(kt_model_type(m, "contact"));
  size_t bytes = 0;
  double t0 = bench_now();
  for (int i = 0; i < n; i++) {
    char name[64], first[32], turn[32];
    snprintf(name, sizeof name, "ООО «Клиент %d»", i);
    snprintf(first, sizeof first, "Имя%d", i);
    snprintf(turn, sizeof turn, "%d.50", i * 1000);
    bench_set(org, "name", name);
    bench_set(org, "city", "Тверь");
    bench_set(org, "turnover", turn);
    bench_set(c, "first_name", i % 10 ? first : "");
    bench_set(c, "last_name", "Иванов");
    cl_tmpl_ctx ctx = {0};
    cl_tmpl_ctx_set(&ctx, org);
    cl_tmpl_ctx_set(&ctx, c);
    kt_buf sb = KT_BUF_INIT, bb = KT_BUF_INIT, hb = KT_BUF_INIT, msg = KT_BUF_INIT;
    if (cl_tmpl_render(s, &ctx, CL_ESC_NONE, &sb, &err) || cl_tmpl_render(b, &ctx, CL_ESC_NONE, &bb, &err) ||
        cl_tmpl_render(h, &ctx, CL_ESC_XML, &hb, &err))
      bench_die("render", &err);
    cl_mime_msg mm = {.from = "office@example.com", .to = "client@example.org", .to_name = "Иванов Имя",
                      .subject = kt_buf_str(&sb), .text = kt_buf_str(&bb), .html = kt_buf_str(&hb),
                      .date_ms = 1764700000000, .msgid = "bench"};
    if (cl_mime_build(&mm, &msg, &err)) bench_die("mime", &err);
    bytes += msg.len;
    kt_buf_free(&sb);
    kt_buf_free(&bb);
    kt_buf_free(&hb);
    kt_buf_free(&msg);
  }
  double dt = bench_now() - t0;
  printf("render %d personalised letters (subject, text, HTML, MIME): %.3f s (%.1f µs each, %.0f letters/s, "
         "%zu bytes each)\n", n, dt, dt * 1e6 / n, n / dt, bytes / (size_t)n);
  kt_rec_free(org);
  kt_rec_free(c);
  cl_tmpl_free(s);
  cl_tmpl_free(b);
  cl_tmpl_free(h);
  kt_model_free(m);
}

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t l = sizeof a;
  bind(fd, (struct sockaddr *)&a, sizeof a);
  getsockname(fd, (struct sockaddr *)&a, &l);
  close(fd);
  return ntohs(a.sin_port);
}

static pid_t start_sink(int port) {
  pid_t p = fork();
  if (p == 0) {
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", addr, "-c",
          "aiosmtpd.handlers.Sink", (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 200; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    if (ok) return p;
    usleep(50000);
  }
  fprintf(stderr, "bench_mail: aiosmtpd did not start (python3-aiosmtpd installed?)\n");
  kill(p, SIGKILL);
  return 0;
}

static cl_store *new_store(const char *name) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s.db", bench_dir, name);
  kt_err err;
  cl_store *s;
  if (cl_store_create(path, "boss", "local", NULL, &err) || cl_store_open(path, NULL, &s, &err))
    bench_die("store", &err);
  return s;
}

static void mailing(int n) {
  cl_store *s = new_store("mail");
  kt_err err;
  char id[KT_UUID_STRLEN + 1];
  if (cl_store_begin(s, &err)) bench_die("begin", &err);
  for (int i = 0; i < n; i++) {
    char last[32], mail[64];
    snprintf(last, sizeof last, "Клиент%d", i);
    snprintf(mail, sizeof mail, "c%d@example.org", i);
    cl_set set[] = {{"last_name", last}, {"first_name", "Анна"}, {"email", mail}};
    if (cl_store_add(s, "contact", set, 3, id, &err)) bench_die("add", &err);
  }
  if (cl_store_commit(s, &err)) bench_die("commit", &err);
  cl_template_in in = {.name = "promo", .subject = SUBJ, .body = BODY, .html = HTML};
  if (cl_template_save(s, &in, true, &err)) bench_die("template", &err);
  int port = free_port();
  char url[64];
  snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
  if (cl_mail_settings_set(s, url, 0, NULL, "office@example.com", 0, &err)) bench_die("settings", &err);
  pid_t sink = start_sink(port);
  if (!sink) return;
  cl_query q = {.type = "contact"};
  cl_mail_opts o = {.tmpl = "promo", .to = &q};
  cl_mail_sum sum;
  double t0 = bench_now();
  if (cl_mail_send(s, &o, &sum, &err)) bench_die("send", &err);
  double dt = bench_now() - t0;
  printf("mailing of %d letters to a local SMTP sink (aiosmtpd), unlimited rate, state + event each: "
         "%.2f s, %.0f messages/s (sent %d)\n", n, dt, sum.sent / dt, sum.sent);
  kill(sink, SIGTERM);
  waitpid(sink, NULL, 0);
  cl_store_close(s);
}

static void documents(int n) {
  char tpl[600], out[700];
  snprintf(tpl, sizeof tpl, "%s/t.docx", bench_dir);
  bench_run("/usr/bin/python3 tests/lib/mkdocx.py '%s'", tpl);
  cl_store *s = new_store("doc");
  kt_err err;
  char **ids = calloc((size_t)n, sizeof *ids);
  if (cl_store_begin(s, &err)) bench_die("begin", &err);
  for (int i = 0; i < n; i++) {
    char name[64], id[KT_UUID_STRLEN + 1], did[KT_UUID_STRLEN + 1];
    snprintf(name, sizeof name, "ООО «Клиент %d»", i);
    cl_set set[] = {{"name", name}, {"city", "Тверь"}, {"turnover", "1234567.5"}};
    if (cl_store_add(s, "org", set, 3, id, &err)) bench_die("add", &err);
    ids[i] = strdup(id);
    for (int k = 0; k < 3; k++) {
      cl_set d[] = {{"org", id}, {"date", "2026-10-01"}, {"amount", "1500"}, {"state", "paid"}};
      if (cl_store_add(s, "deal", d, 4, did, &err)) bench_die("deal", &err);
    }
  }
  if (cl_store_commit(s, &err)) bench_die("commit", &err);
  cl_doc *d;
  if (cl_doc_open(cl_store_model(s), tpl, &d, &err)) bench_die("doc", &err);
  double t0 = bench_now();
  for (int i = 0; i < n; i++) {
    snprintf(out, sizeof out, "%s/out-%d.docx", bench_dir, i);
    if (cl_doc_fill_card(s, d, ids[i], out, &err)) bench_die("fill", &err);
  }
  double dt = bench_now() - t0;
  printf("fill %d DOCX documents (3 deal rows each) with their notes: %.2f s (%.1f ms each)\n", n, dt,
         dt * 1e3 / n);
  for (int i = 0; i < n; i++) free(ids[i]);
  free(ids);
  cl_doc_free(d);
  cl_store_close(s);
}

int main(int argc, char **argv) {
  (void)argc;
  bench_init("bench_mail", argv[0]);
  render_letters(envn("BENCH_MAIL_LETTERS", 10000));
  mailing(envn("BENCH_MAIL_SEND", 1000));
  documents(envn("BENCH_MAIL_DOCS", 1000));
  if (!getenv("BENCH_KEEP")) bench_run("rm -rf '%s'", bench_dir);
  return 0;
}
