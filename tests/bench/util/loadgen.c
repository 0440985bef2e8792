/* loadgen — the load generator of tests/integ/load.sh, on kt_stream itself.
 *
 * provision DATA OUT PUSHERS SUBS: with the server stopped, adds to the master
 * what enrollment and one password login per device would leave behind (a
 * device certificate signed by the office CA for a CSR of one shared test key,
 * its srv_device row, an open session), for PUSHERS pusher devices (accounts
 * load0..load9, managers: device i is load(i % 10)'s), SUBS subscriber devices
 * (of the same accounts: each reads its user's cards) and one that never reads
 * (account loadsub, an assistant: it may read every card). No server check is bypassed at run time: every connection
 * is mutual TLS with a real device certificate and a Resume of a real session.
 * (1,000 enrollments would cost 1,000 Argon2 hashes, two at a time.)
 *
 * run ADDR CAFILE OUT PUSHERS SUBS CHANGES: connects everyone (64 handshakes at
 * a time), subscribes the subscribers (they read slowly: one read per 50 ms;
 * on a Notify they pull by cursor like the client), then at one moment every pusher sends one Push of CHANGES new cards;
 * every tenth sends it again after the ack (a lost ack) and must get it back
 * as already applied. The deaf device subscribes, asks for the whole base 400
 * times and never reads (meanwhile pusher 0 adds a card every 300 ms, so
 * commits happen while it is over the cap); it must be disconnected by the server, and then
 * resume its session. Prints one line of key=value results; exit 0 when the
 * run completed (the script judges the numbers). */
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include <uv.h>

#include "kartoteka.pb-c.h"
#include "kt_buf.h"
#include "kt_err.h"
#include "kt_frame.h"
#include "kt_hlc.h"
#include "kt_pki.h"
#include "kt_stream.h"
#include "kt_tls.h"
#include "kt_uuid.h"
#include "srv_db.h"
#include "srv_user.h"
#include "t_srvdb.h"

#define USERS 10
#define MAX_CONNECTING 64
#define RESEND_EVERY 10
#define DEAF_PULLS 400
#define MAX_LATE 100 /* late pushes while the deaf PC is over the cap */
#define LATE_EVERY_MS 300

static void die(const char *what, const kt_err *e) {
  fprintf(stderr, "loadgen: %s: %s\n", what, e ? e->msg : "");
  exit(1);
}

/* ---- provision ------------------------------------------------------------------- */

static void hex(const unsigned char *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static int provision(const char *data, const char *out, int pushers, int subs) {
  kt_err err;
  kt_err_clear(&err);
  srv_db db;
  if (srv_db_open(&db, data, false, &err)) die("opening the master", &err);
  char p[4200];
  X509 *ca = NULL;
  EVP_PKEY *ca_key = NULL, *key = NULL;
  snprintf(p, sizeof p, "%s/ca.crt", data);
  if (kt_pki_cert_load_pem(p, &ca, &err)) die("ca.crt", &err);
  snprintf(p, sizeof p, "%s/ca.key", data);
  if (kt_pki_key_load_pem(p, &ca_key, &err)) die("ca.key", &err);
  for (int u = 0; u <= USERS; u++) {
    char name[32];
    if (u < USERS) snprintf(name, sizeof name, "load%d", u);
    else snprintf(name, sizeof name, "loadsub");
    if (srv_user_add(&db, name, "load-pass-word-1", u < USERS ? "manager" : "assistant", NULL, &err)) die("user add", &err);
  }
  if (kt_pki_key_new(&key, &err)) die("key", &err);
  snprintf(p, sizeof p, "%s/device.key", out);
  if (kt_pki_key_save_pem(p, key, &err)) die("device.key", &err);
  X509_REQ *csr = NULL;
  if (kt_pki_csr_for_key(key, "load test PC", &csr, &err)) die("csr", &err);
  snprintf(p, sizeof p, "%s/devices.txt", out);
  FILE *list = fopen(p, "w");
  if (!list) die("devices.txt", NULL);
  if (t_sql_exec(&db, "BEGIN")) die("begin", NULL);
  int total = pushers + subs + 1;
  int64_t now = (int64_t)kt_now_ms();
  /* sessions begin after the accounts were made (a session older than its
     account's last change is refused) */
  now += 1000;
  for (int i = 0; i < total; i++) {
    char dev[KT_UUID_STRLEN + 1], fpr[KT_PKI_FPR_HEX_MAX], user[32];
    unsigned char rnd[32];
    char token[65], th[65];
    if (kt_uuid_new_str(dev, &err) || kt_random_bytes(rnd, sizeof rnd, &err)) die("random", &err);
    hex(rnd, sizeof rnd, token);
    unsigned char dg[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)token, strlen(token), dg);
    hex(dg, sizeof dg, th);
    if (i < pushers + subs) snprintf(user, sizeof user, "load%d", i % USERS);
    else snprintf(user, sizeof user, "loadsub"); /* the deaf PC reads everything */
    X509 *cert = NULL;
    if (kt_pki_csr_sign(ca_key, ca, csr, dev, 0, &cert, &err)) die("sign", &err);
    if (kt_pki_cert_fingerprint(cert, false, fpr, sizeof fpr, &err)) die("fpr", &err);
    snprintf(p, sizeof p, "%s/dev%d.crt", out, i);
    kt_buf pem = KT_BUF_INIT; /* scratch files of a test: no fsync each */
    FILE *cf = fopen(p, "w");
    if (!cf || kt_pki_cert_to_pem(cert, &pem, &err) || fwrite(pem.p, 1, pem.len, cf) != pem.len ||
        fclose(cf))
      die("cert", &err);
    kt_buf_free(&pem);
    X509_free(cert);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO srv_device(id, user_name, name, cert_fpr, created) VALUES "
             "('%s', '%s', 'load test PC', '%s', %" PRId64 ")",
             dev, user, fpr, now);
    if (t_sql_exec(&db, sql)) die("device row", NULL);
    snprintf(sql, sizeof sql,
             "INSERT INTO srv_session(token_hash, user_name, device_id, created, expires) VALUES "
             "('%s', '%s', '%s', %" PRId64 ", %" PRId64 ")",
             th, user, dev, now, now + 86400000);
    if (t_sql_exec(&db, sql)) die("session row", NULL);
    fprintf(list, "%d %s %s %s\n", i, dev, user, token);
  }
  if (t_sql_exec(&db, "COMMIT")) die("commit", NULL);
  fclose(list);
  X509_REQ_free(csr);
  EVP_PKEY_free(key);
  EVP_PKEY_free(ca_key);
  X509_free(ca);
  srv_db_close(&db);
  return 0;
}

/* ---- run --------------------------------------------------------------------------- */

typedef enum kind { K_PUSH, K_SUB, K_DEAF } kind;

typedef struct lg lg;

typedef struct lc {
  kt_stream st;
  uv_timer_t slow; /* subscribers: read again after a pause */
  lg *g;
  kind k;
  int idx;
  char dev[40], user[32], token[65];
  kt_tls_ctx *ctx;
  int phase;       /* 0 connecting, 1 hello+resume sent, 2 authed, 3 ready, 4 pushed, 5 done */
  bool open, timer_open, failed;
  uint64_t t_push; /* ns */
  int acks;
  uint64_t latest; /* the highest latest_seq a subscriber was told */
  int notifies, bare;
  uint64_t cursor, scope; /* a subscriber's pulls, like the client's */
  bool pulling;
  int got;                /* changes received since its last wipe */
} lc;

struct lg {
  uv_loop_t *loop;
  const char *addr_s, *ca, *out;
  struct sockaddr_storage addr;
  int pushers, subs, changes, n;
  lc *c;
  int next_connect, connecting, ready, failed_setup;
  uint64_t seq0, seq_max;
  double *lat;
  int nlat, applied_new, resend_noop, resend_bad, rejected, errors;
  uint64_t *seqs;
  int nseqs;
  int deaf_disconnected, deaf_resumed;
  int sub_dropped;
  uint64_t t_start, t_burst, t_end;
  uint64_t t_late;  /* the last late push (ns) */
  int late, late_applied, late_acked;
  uv_timer_t tick;
  bool burst_started;
  int reconnects;
  bool deaf_flooded;
};

static void conn_start(lg *g, lc *c);
static void on_deaf_check(uv_timer_t *t);

static void send_env(lc *c, Kartoteka__Envelope *e) {
  kt_err err;
  if (kt_stream_send(&c->st, e, &err)) fprintf(stderr, "loadgen: send: %s\n", err.msg);
}

static void sub_pull(lc *c) {
  Kartoteka__Pull p = KARTOTEKA__PULL__INIT;
  p.since_seq = c->cursor;
  p.max = 5000; /* the client's page */
  p.scope = c->scope;
  Kartoteka__Envelope e = KARTOTEKA__ENVELOPE__INIT;
  e.req_id = 1000;
  e.body_case = KARTOTEKA__ENVELOPE__BODY_PULL;
  e.pull = &p;
  c->pulling = true;
  send_env(c, &e);
}

static void on_slow(uv_timer_t *t) {
  lc *c = t->data;
  if (c->open) kt_stream_pause(&c->st, false);
}

static void send_push(lc *c) {
  lg *g = c->g;
  kt_stamp st = (kt_stamp)kt_now_ms() << 16;
  Kartoteka__FieldValue fv[64][2], *pfv[64][2];
  Kartoteka__Change ch[64], *pch[64];
  char ids[64][40], names[64][40];
  int n = g->changes > 64 ? 64 : g->changes;
  for (int j = 0; j < n; j++) {
    snprintf(ids[j], sizeof ids[j], "01934000-0000-7000-8%03x-%012x", j, c->idx + 1);
    snprintf(names[j], sizeof names[j], "load %d %d", c->idx, j);
    for (int k = 0; k < 2; k++) {
      kartoteka__field_value__init(&fv[j][k]);
      fv[j][k].name = k ? "owner" : "name";
      fv[j][k].value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
      fv[j][k].text = k ? c->user : names[j];
      fv[j][k].stamp = st + (kt_stamp)j;
      pfv[j][k] = &fv[j][k];
    }
    kartoteka__change__init(&ch[j]);
    ch[j].counter = (uint64_t)j + 1;
    ch[j].type = "org";
    ch[j].id = ids[j];
    ch[j].fields = pfv[j];
    ch[j].n_fields = 2;
    pch[j] = &ch[j];
  }
  Kartoteka__Push p = KARTOTEKA__PUSH__INIT;
  p.changes = pch;
  p.n_changes = (size_t)n;
  Kartoteka__Envelope e = KARTOTEKA__ENVELOPE__INIT;
  e.req_id = 100 + (uint64_t)c->acks;
  e.body_case = KARTOTEKA__ENVELOPE__BODY_PUSH;
  e.push = &p;
  c->t_push = uv_hrtime();
  send_env(c, &e);
}

/* Pusher 0 edits one more card (a new one, counter CHANGES + 1 + k): commits
 * that happen while the deaf PC is over the server's cap, whose live changes
 * must be held back from it. */
static void send_late(lc *c, int k) {
  lg *g = c->g;
  char id[40], name[40];
  snprintf(id, sizeof id, "01934000-0000-7000-a%03x-000000000000", k);
  snprintf(name, sizeof name, "load late %d", k);
  Kartoteka__FieldValue fv[2], *pfv[2];
  for (int j = 0; j < 2; j++) {
    kartoteka__field_value__init(&fv[j]);
    fv[j].name = j ? "owner" : "name";
    fv[j].value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
    fv[j].text = j ? c->user : name;
    fv[j].stamp = (kt_stamp)kt_now_ms() << 16;
    pfv[j] = &fv[j];
  }
  Kartoteka__Change ch = KARTOTEKA__CHANGE__INIT, *pch = &ch;
  ch.counter = (uint64_t)g->changes + 1 + (uint64_t)k;
  ch.type = "org";
  ch.id = id;
  ch.fields = pfv;
  ch.n_fields = 2;
  Kartoteka__Push p = KARTOTEKA__PUSH__INIT;
  p.changes = &pch;
  p.n_changes = 1;
  Kartoteka__Envelope e = KARTOTEKA__ENVELOPE__INIT;
  e.req_id = 500 + (uint64_t)k;
  e.body_case = KARTOTEKA__ENVELOPE__BODY_PUSH;
  e.push = &p;
  send_env(c, &e);
}

static void deaf_flood(lc *c) {
  for (int i = 0; i < DEAF_PULLS; i++) {
    Kartoteka__Pull p = KARTOTEKA__PULL__INIT;
    p.since_seq = 0;
    p.max = 5000;
    Kartoteka__Envelope e = KARTOTEKA__ENVELOPE__INIT;
    e.req_id = 10 + (uint64_t)i;
    e.body_case = KARTOTEKA__ENVELOPE__BODY_PULL;
    e.pull = &p;
    send_env(c, &e);
  }
  kt_stream_pause(&c->st, true);
  uv_timer_start(&c->slow, on_deaf_check, 100, 100);
}

static void on_ack(lc *c, const Kartoteka__PushAck *a) {
  lg *g = c->g;
  double ms = (double)(uv_hrtime() - c->t_push) / 1e6;
  bool resend = c->acks > 0;
  if (!resend) g->lat[g->nlat++] = ms;
  for (size_t i = 0; i < a->n_results; i++) {
    const Kartoteka__ChangeResult *r = a->results[i];
    if (r->status != KARTOTEKA__CHANGE_RESULT__STATUS__APPLIED) g->rejected++;
    else if (resend && r->server_seq == 0) g->resend_noop++;
    else if (resend) g->resend_bad++;
    else if (r->server_seq) {
      g->applied_new++;
      g->seqs[g->nseqs++] = r->server_seq;
      if (r->server_seq > g->seq_max) g->seq_max = r->server_seq;
    }
  }
  c->acks++;
  if (c->acks == 1 && c->idx % RESEND_EVERY == 0) {
    send_push(c); /* the same batch again: as if the ack had been lost */
    return;
  }
  c->phase = 5;
}

static void on_ready_msg(lc *c) {
  lg *g = c->g;
  c->phase = 3;
  g->ready++;
  g->connecting--;
  conn_start(g, NULL);
}

/* The deaf PC reads nothing, so it learns that the server dropped it from its
 * socket: the state (FIN or RST received) or a Ping that cannot be written,
 * checked every 100 ms. Its Pings wait unread at the server meanwhile. */
static void on_deaf_check(uv_timer_t *t) {
  lc *c = t->data;
  lg *g = c->g;
  uv_os_fd_t fd;
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  if (!c->open || g->deaf_disconnected) return;
  if (uv_fileno((uv_handle_t *)kt_stream_tcp(&c->st), &fd) == 0 &&
      getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state != TCP_ESTABLISHED) {
    uv_timer_stop(t);
    g->deaf_disconnected = 1;
    c->failed = true;
    kt_stream_close(&c->st); /* on_closed resumes its session on a new connection */
    return;
  }
  Kartoteka__Ping ping = KARTOTEKA__PING__INIT;
  Kartoteka__Envelope e = KARTOTEKA__ENVELOPE__INIT;
  e.req_id = 5;
  e.body_case = KARTOTEKA__ENVELOPE__BODY_PING;
  e.ping = &ping;
  kt_err err;
  kt_stream_send(&c->st, &e, &err); /* a failed write comes back as on_fail */
}

static void on_frame(kt_stream *st, Kartoteka__Envelope *e) {
  lc *c = st->data;
  lg *g = c->g;
  switch (e->body_case) {
  case KARTOTEKA__ENVELOPE__BODY_HELLO_OK:
    return;
  case KARTOTEKA__ENVELOPE__BODY_AUTH_OK:
    c->phase = 2;
    if (c->k == K_PUSH) {
      if (c->phase < 3) on_ready_msg(c);
    } else {
      Kartoteka__Subscribe s = KARTOTEKA__SUBSCRIBE__INIT;
      Kartoteka__Envelope out = KARTOTEKA__ENVELOPE__INIT;
      out.req_id = 3;
      out.body_case = KARTOTEKA__ENVELOPE__BODY_SUBSCRIBE;
      out.subscribe = &s;
      send_env(c, &out);
    }
    return;
  case KARTOTEKA__ENVELOPE__BODY_NOTIFY:
    if (e->notify->latest_seq > c->latest) c->latest = e->notify->latest_seq;
    if (e->req_id == 3) { /* the answer to Subscribe */
      if (c->k == K_DEAF && g->deaf_disconnected) {
        g->deaf_resumed = 1; /* came back after the server dropped it */
        c->phase = 5;
        return;
      }
      if (!g->seq0 || e->notify->latest_seq < g->seq0) g->seq0 = e->notify->latest_seq;
      c->cursor = e->notify->latest_seq; /* scope 0: its first pull starts from scratch */
      on_ready_msg(c);
      return;
    }
    c->notifies++;
    if (!e->notify->changes) c->bare++;
    if (c->k == K_SUB && !c->pulling && c->latest > c->cursor) sub_pull(c); /* catch up by cursor */
    return;
  case KARTOTEKA__ENVELOPE__BODY_CHANGES:
    if (c->k == K_DEAF) return;
    if (e->changes->wipe) c->got = 0;
    c->got += (int)e->changes->n_changes;
    c->cursor = e->changes->next_seq;
    c->scope = e->changes->scope;
    c->pulling = false;
    if (e->changes->more || c->latest > c->cursor) sub_pull(c);
    return;
  case KARTOTEKA__ENVELOPE__BODY_PUSH_ACK:
    if (e->req_id >= 500) { /* a late push */
      g->late_acked++;
      for (size_t i = 0; i < e->push_ack->n_results; i++)
        if (e->push_ack->results[i]->server_seq) {
          g->late_applied++;
          g->seqs[g->nseqs++] = e->push_ack->results[i]->server_seq;
          if (e->push_ack->results[i]->server_seq > g->seq_max)
            g->seq_max = e->push_ack->results[i]->server_seq;
        }
      return;
    }
    on_ack(c, e->push_ack);
    return;
  case KARTOTEKA__ENVELOPE__BODY_ERROR:
    fprintf(stderr, "loadgen: conn %d: error %d: %s\n", c->idx, e->error->code, e->error->message);
    g->errors++;
    return;
  default:
    return;
  }
}

/* A subscriber reads slowly: after each read, nothing for 50 ms. */
static void on_activity(kt_stream *st) {
  lc *c = st->data;
  if (c->k != K_SUB || c->phase < 3) return;
  kt_stream_pause(&c->st, true);
  uv_timer_start(&c->slow, on_slow, 50, 0);
}

static void on_ready(kt_stream *st) {
  lc *c = st->data;
  Kartoteka__Hello h = KARTOTEKA__HELLO__INIT;
  h.protocol_version = 1;
  h.device_id = c->dev;
  h.client_name = "loadgen";
  Kartoteka__Envelope e = KARTOTEKA__ENVELOPE__INIT;
  e.req_id = 1;
  e.body_case = KARTOTEKA__ENVELOPE__BODY_HELLO;
  e.hello = &h;
  send_env(c, &e);
  Kartoteka__Resume r = KARTOTEKA__RESUME__INIT;
  r.token = c->token;
  Kartoteka__Envelope e2 = KARTOTEKA__ENVELOPE__INIT;
  e2.req_id = 2;
  e2.body_case = KARTOTEKA__ENVELOPE__BODY_RESUME;
  e2.resume = &r;
  send_env(c, &e2);
  c->phase = 1;
}

static void on_closed(kt_stream *st) {
  lc *c = st->data;
  c->open = false;
  lg *g = c->g;
  if (c->k == K_DEAF && g->deaf_disconnected && !g->deaf_resumed && g->reconnects++ < 3)
    conn_start(g, c); /* resume its session */
}

static void on_fail(kt_stream *st, int code, uint64_t req_id, const char *msg) {
  (void)req_id;
  lc *c = st->data;
  lg *g = c->g;
  c->failed = true;
  if (c->k == K_DEAF && c->phase >= 3 && !g->deaf_disconnected) {
    g->deaf_disconnected = 1; /* a write failed: the server dropped it */
  } else if (c->k == K_DEAF && g->deaf_disconnected) {
    /* its second connection failed: counted by deaf_resumed staying 0 */
    fprintf(stderr, "loadgen: the deaf PC could not come back: %s\n", msg);
  } else if (c->phase < 3) {
    fprintf(stderr, "loadgen: conn %d (%s) failed in setup: %s\n", c->idx, c->dev, msg);
    g->failed_setup++;
    g->connecting--;
    conn_start(g, NULL);
  } else if (c->k == K_SUB) {
    g->sub_dropped++;
    fprintf(stderr, "loadgen: subscriber %d dropped: %s (%s)\n", c->idx, msg, kt_err_name(code));
  } else if (c->phase != 5) {
    fprintf(stderr, "loadgen: pusher %d dropped: %s\n", c->idx, msg);
    g->errors++;
  }
  kt_stream_close(st);
}

static const kt_stream_ops ops = {.on_ready = on_ready,
                                  .on_activity = on_activity,
                                  .on_frame = on_frame,
                                  .on_fail = on_fail,
                                  .on_closed = on_closed};

/* Starts the next connection (c NULL) while under MAX_CONNECTING, or c again. */
static void conn_start(lg *g, lc *again) {
  while (again || (g->next_connect < g->n && g->connecting < MAX_CONNECTING)) {
    lc *c = again ? again : &g->c[g->next_connect++];
    again = NULL;
    kt_err err;
    kt_tls *tls = NULL;
    kt_stream_opts so = {.max_frame = KT_FRAME_MAX_DEFAULT};
    if (kt_tls_new(c->ctx, "127.0.0.1", &tls, &err)) die("tls", &err);
    if (kt_stream_init(&c->st, g->loop, &ops, c, &so, &err)) die("stream", &err);
    c->open = true;
    c->failed = false;
    c->phase = 0;
    if (!g->burst_started) g->connecting++;
    if (kt_stream_connect(&c->st, (struct sockaddr *)&g->addr, tls, &err)) die("connect", &err);
    if (c->k == K_DEAF) { /* a PC that reads nothing: the kernel holds little for it either */
      int v = 4096;
      uv_recv_buffer_size((uv_handle_t *)kt_stream_tcp(&c->st), &v);
    }
  }
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static int cmp_u(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static bool all_done(lg *g) {
  for (int i = 0; i < g->pushers; i++)
    if (g->c[i].phase != 5 && !g->c[i].failed) return false;
  for (int i = g->pushers; i < g->pushers + g->subs; i++)
    if (!g->c[i].failed && (g->c[i].pulling || g->c[i].cursor < g->seq_max)) return false;
  return g->deaf_resumed && g->late_acked == g->late;
}

static void on_tick(uv_timer_t *t) {
  lg *g = t->data;
  uint64_t now = uv_hrtime();
  if (!g->burst_started && g->ready + g->failed_setup >= g->n) {
    g->burst_started = true;
    g->t_burst = now;
    fprintf(stderr, "loadgen: %d connections ready in %.1f s (%d failed); pushing\n", g->ready,
            (double)(now - g->t_start) / 1e9, g->failed_setup);
    for (int i = 0; i < g->pushers; i++)
      if (g->c[i].phase == 3) {
        g->c[i].phase = 4;
        send_push(&g->c[i]);
      }
    return;
  }
  if (g->burst_started && !g->deaf_flooded) { /* once the base is big: whole-base pulls */
    bool pushed = true;
    for (int i = 0; i < g->pushers && pushed; i++) pushed = g->c[i].phase == 5 || g->c[i].failed;
    if (pushed && g->c[g->n - 1].phase == 3) {
      g->deaf_flooded = true;
      g->t_late = now;
      deaf_flood(&g->c[g->n - 1]);
    }
  }
  if (g->deaf_flooded && !g->deaf_disconnected && g->late < MAX_LATE && g->c[0].phase == 5 &&
      now - g->t_late > (uint64_t)LATE_EVERY_MS * 1000000u) {
    g->t_late = now;
    send_late(&g->c[0], g->late++);
  }
  if (g->burst_started && all_done(g)) g->t_end = now;
  if (g->t_end || (double)(now - g->t_start) / 1e9 > 100) {
    uv_timer_stop(t);
    for (int i = 0; i < g->n; i++) {
      if (g->c[i].open) {
        kt_stream_shutdown(&g->c[i].st);
        kt_stream_close(&g->c[i].st);
      }
      if (g->c[i].timer_open) uv_close((uv_handle_t *)&g->c[i].slow, NULL);
      g->c[i].timer_open = false;
    }
    uv_close((uv_handle_t *)t, NULL);
  }
}

static int run(const char *addr, const char *ca, const char *out, int pushers, int subs,
               int changes) {
  lg g;
  memset(&g, 0, sizeof g);
  g.loop = uv_default_loop();
  g.pushers = pushers;
  g.subs = subs;
  g.changes = changes;
  g.n = pushers + subs + 1;
  g.c = calloc((size_t)g.n, sizeof *g.c);
  g.lat = calloc((size_t)pushers + 1, sizeof *g.lat);
  g.seqs = calloc((size_t)pushers * (size_t)changes + MAX_LATE + 1, sizeof *g.seqs);
  if (!g.c || !g.lat || !g.seqs) die("out of memory", NULL);
  char host[64];
  const char *colon = strrchr(addr, ':');
  if (!colon || (size_t)(colon - addr) >= sizeof host) die("bad address", NULL);
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = '\0';
  if (uv_ip4_addr(host, atoi(colon + 1), (struct sockaddr_in *)&g.addr)) die("bad address", NULL);
  char p[4200], kp[4200];
  snprintf(p, sizeof p, "%s/devices.txt", out);
  FILE *f = fopen(p, "r");
  if (!f) die("devices.txt", NULL);
  snprintf(kp, sizeof kp, "%s/device.key", out);
  for (int i = 0; i < g.n; i++) {
    lc *c = &g.c[i];
    int idx;
    if (fscanf(f, "%d %39s %31s %64s", &idx, c->dev, c->user, c->token) != 4) die("devices.txt", NULL);
    c->g = &g;
    c->idx = i;
    c->k = i < pushers ? K_PUSH : i < pushers + subs ? K_SUB : K_DEAF;
    snprintf(p, sizeof p, "%s/dev%d.crt", out, i);
    kt_err err;
    if (kt_tls_ctx_new_client(ca, NULL, p, kp, &c->ctx, &err)) die("tls ctx", &err);
    uv_timer_init(g.loop, &c->slow);
    c->slow.data = c;
    c->timer_open = true;
  }
  fclose(f);
  g.t_start = uv_hrtime();
  uv_timer_init(g.loop, &g.tick);
  g.tick.data = &g;
  uv_timer_start(&g.tick, on_tick, 10, 10);
  conn_start(&g, NULL);
  uv_run(g.loop, UV_RUN_DEFAULT);
  qsort(g.lat, (size_t)g.nlat, sizeof *g.lat, cmp_d);
  qsort(g.seqs, (size_t)g.nseqs, sizeof *g.seqs, cmp_u);
  int dup = 0;
  for (int i = 1; i < g.nseqs; i++) dup += g.seqs[i] == g.seqs[i - 1];
  int caught = 0, bare = 0, notifies = 0;
  for (int i = pushers; i < pushers + subs; i++) {
    /* a manager's PC gets the cards of its user: a tenth of them */
    caught += !g.c[i].failed && g.c[i].cursor >= g.seq_max &&
              g.c[i].got >= (pushers / USERS) * changes;
    bare += g.c[i].bare;
    notifies += g.c[i].notifies;
  }
  double p50 = g.nlat ? g.lat[g.nlat / 2] : -1, p99 = g.nlat ? g.lat[(g.nlat * 99) / 100] : -1;
  double mx = g.nlat ? g.lat[g.nlat - 1] : -1;
  printf("ready=%d setup_failed=%d acks=%d applied_new=%d dup_seq=%d resend_noop=%d "
         "resend_bad=%d rejected=%d errors=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f seq0=%" PRIu64
         " seq_max=%" PRIu64 " subs_caught_up=%d sub_dropped=%d notifies=%d bare_notifies=%d "
         "late=%d late_applied=%d deaf_disconnected=%d deaf_resumed=%d burst_s=%.2f completed=%d\n",
         g.ready, g.failed_setup, g.nlat, g.applied_new, dup, g.resend_noop, g.resend_bad,
         g.rejected, g.errors, p50, p99, mx, g.seq0, g.seq_max, caught, g.sub_dropped, notifies,
         bare, g.late, g.late_applied, g.deaf_disconnected, g.deaf_resumed,
         g.t_end ? (double)(g.t_end - g.t_burst) / 1e9 : -1.0, g.t_end != 0);
  for (int i = 0; i < g.n; i++) kt_tls_ctx_free(g.c[i].ctx);
  free(g.c);
  free(g.lat);
  free(g.seqs);
  uv_loop_close(g.loop);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "provision") == 0)
    return provision(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
  if (argc == 8 && strcmp(argv[1], "run") == 0)
    return run(argv[2], argv[3], argv[4], atoi(argv[5]), atoi(argv[6]), atoi(argv[7]));
  fprintf(stderr, "usage: loadgen provision DATA OUT PUSHERS SUBS\n"
                  "       loadgen run ADDR CAFILE OUT PUSHERS SUBS CHANGES\n");
  return 2;
}
