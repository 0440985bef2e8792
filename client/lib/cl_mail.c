/* cl_mail — templates, mail settings and mailings (see cl_mail.h for the
 * durability rule). A mailing: collect the recipients (cards of the query
 * with an e-mail, not opted out, not mailed within the office's days), write
 * the run, then per recipient: 'sending' (committed) -> one SMTP transaction
 * over a reused libcurl connection -> 'sent'/'refused' + its event (one
 * commit). The e-mail, opt-out and reference fields are found by their types
 * in the model, not by name (only the opt-out flag is named, once). */
#include "cl_mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cl_db.h"
#include "cl_mail_int.h"
#include "cl_mime.h"
#include "cl_tmpl.h"
#include "kt_hlc.h"
#include "kt_uuid.h"


/* ---- mailings ------------------------------------------------------------------- */

typedef struct mailer {
  cl_store *s;
  const cl_mail_opts *o;
  cl_mail_sum *sum;
  char tname[256];
  cl_tmpl *subj, *body, *html;
  cl_mail_settings cfg;
  char password[512];
  kt_buf ca;
  CURL *curl;
  cl_mime_att *att;
  int natt;
  int64_t run;
  int64_t days_ms;
} mailer;

static void mailer_close(mailer *m) {
  cl_tmpl_free(m->subj);
  cl_tmpl_free(m->body);
  cl_tmpl_free(m->html);
  for (int i = 0; i < m->natt; i++) free((void *)m->att[i].data);
  free(m->att);
  if (m->curl) curl_easy_cleanup(m->curl);
  memset(m->password, 0, sizeof m->password);
  kt_buf_free(&m->ca);
}

static int read_file(const char *path, unsigned char **out, size_t *len, kt_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return kt_err_set(err, KT_EIO, "cannot read the attachment %s: %s", path, strerror(errno));
  kt_buf b = KT_BUF_INIT;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) kt_buf_append(&b, buf, n);
  int bad = ferror(f);
  fclose(f);
  if (bad || b.oom) {
    kt_buf_free(&b);
    return kt_err_set(err, bad ? KT_EIO : KT_ENOMEM, "cannot read the attachment %s", path);
  }
  *len = b.len;
  *out = b.p ? (unsigned char *)kt_buf_take(&b) : (unsigned char *)strdup("");
  return *out ? 0 : kt_err_set(err, KT_ENOMEM, "out of memory");
}

/* Loads and checks everything a run needs before it touches anybody: the
 * right, the template (placeholders again: the office model may have changed
 * since it was saved), the settings, the password and the attachments. */
static int mailer_open(mailer *m, const char *tname, const char *const *attach, int natt,
                       bool dry, kt_err *err) {
  const kt_rights *rt = cl_store_rights(m->s);
  if (rt && !rt->mass_mail)
    return kt_err_set(err, KT_EPERM, "you do not have the mass-mail right; ask an "
                      "administrator to give your role +mass_mail");
  cl_rec *t = NULL;
  int rc = cl_template_get(m->s, tname, &t, err);
  if (rc) return rc;
  snprintf(m->tname, sizeof m->tname, "%s", tname);
  const char *parts[3] = {"subject", "body", "html"};
  const char *what[3] = {"subject", "text", "HTML"};
  cl_tmpl **dst[3] = {&m->subj, &m->body, &m->html};
  for (int i = 0; i < 3 && !rc; i++) {
    const char *text = cl_template_text(t, parts[i]);
    if (i == 2 && !*text) continue;
    rc = cl__mail_check_part(m->s, what[i], text, err);
    if (!rc) rc = cl_tmpl_parse(cl_store_model(m->s), text, strlen(text), dst[i], err);
  }
  cl_rec_free(t);
  if (rc) return rc;
  if ((rc = cl_mail_settings_get(m->s, &m->cfg, err))) return rc;
  m->days_ms = (int64_t)m->cfg.days * 86400000;
  if (!dry) {
    if ((rc = cl__mail_read_secret(m->s, m->password, sizeof m->password, err))) return rc;
    if (*m->cfg.login && !*m->password)
      return kt_err_set(err, KT_EAUTH, "the office's SMTP server needs a login (%s) and this PC "
                        "has no password for it: set it with `kartoteka mail password "
                        "--password-file F`", m->cfg.login);
    if (cl_store_meta_get(m->s, CL__MAIL_META_CA, &m->ca, NULL) != 0) kt_buf_reset(&m->ca);
  }
  if (natt) {
    m->att = calloc((size_t)natt, sizeof *m->att);
    if (!m->att) return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  for (int i = 0; i < natt; i++) {
    unsigned char *data;
    size_t len;
    if ((rc = read_file(attach[i], &data, &len, err))) return rc;
    const char *base = strrchr(attach[i], '/');
    m->att[i] = (cl_mime_att){base ? base + 1 : attach[i], data, len};
    m->natt++;
  }
  return 0;
}

/* The card and the cards it refers to (a contact's organization). */
typedef struct card_ctx {
  cl_rec *card;
  cl_rec *refs[CL_TMPL_MAXCTX - 1];
  int nrefs;
  cl_tmpl_ctx ctx;
} card_ctx;

static void card_ctx_free(card_ctx *c) {
  cl_rec_free(c->card);
  for (int i = 0; i < c->nrefs; i++) cl_rec_free(c->refs[i]);
  memset(c, 0, sizeof *c);
}

static int card_ctx_load(cl_store *s, const char *id, card_ctx *c, kt_err *err) {
  memset(c, 0, sizeof *c);
  int rc = cl_store_get(s, id, &c->card, err);
  if (rc) return rc;
  cl_tmpl_ctx_set(&c->ctx, c->card);
  for (int k = 0; k < c->card->type->nfields && c->nrefs < CL_TMPL_MAXCTX - 1; k++) {
    const kt_value *v = &c->card->v[k];
    if (c->card->type->fields[k].type != KT_FT_REF || v->kind != KT_V_TEXT) continue;
    cl_rec *r = NULL;
    if (cl_store_get(s, v->s, &r, NULL) == 0 && !cl_rec_deleted(r)) {
      c->refs[c->nrefs++] = r;
      cl_tmpl_ctx_set(&c->ctx, r);
    } else {
      cl_rec_free(r);
    }
  }
  return 0;
}

/* The card's first e-mail (fields of type e-mail in model order), or NULL. */
static const char *card_email(const cl_rec *r) {
  for (int k = 0; k < r->type->nfields; k++)
    if (r->type->fields[k].type == KT_FT_EMAIL && r->v[k].kind == KT_V_TEXT && *r->v[k].s)
      return r->v[k].s;
  return NULL;
}

static int build_message(mailer *m, const card_ctx *c, const char *to, kt_buf *msg, kt_err *err) {
  kt_buf subj = KT_BUF_INIT, text = KT_BUF_INIT, html = KT_BUF_INIT, title = KT_BUF_INIT;
  char mid[KT_UUID_STRLEN + 1];
  int rc = kt_uuid_new_str(mid, err);
  if (!rc) rc = cl_tmpl_render(m->subj, &c->ctx, CL_ESC_NONE, &subj, err);
  if (!rc) rc = cl_tmpl_render(m->body, &c->ctx, CL_ESC_NONE, &text, err);
  if (!rc && m->html) rc = cl_tmpl_render(m->html, &c->ctx, CL_ESC_XML, &html, err);
  if (!rc) {
    /* a value with a line break (a comment) must not end the Subject header */
    for (size_t i = 0; i < subj.len; i++)
      if (subj.p[i] == '\r' || subj.p[i] == '\n') subj.p[i] = ' ';
    kt_rec_title(c->card, &title);
    cl_mime_msg mm = {.from = m->cfg.sender, .to = to, .to_name = kt_buf_str(&title),
                      .subject = kt_buf_str(&subj), .text = kt_buf_str(&text),
                      .html = m->html ? kt_buf_str(&html) : NULL, .att = m->att,
                      .natt = m->natt, .date_ms = (int64_t)kt_now_ms(), .msgid = mid};
    rc = cl_mime_build(&mm, msg, err);
  }
  kt_buf_free(&subj);
  kt_buf_free(&text);
  kt_buf_free(&html);
  kt_buf_free(&title);
  return rc;
}

/* ---- SMTP ----------------------------------------------------------------------- */

typedef struct upload {
  const char *p;
  size_t left;
} upload;

static size_t on_curl_read(char *buf, size_t size, size_t nitems, void *ud) {
  upload *u = ud;
  size_t n = size * nitems < u->left ? size * nitems : u->left;
  memcpy(buf, u->p, n);
  u->p += n;
  u->left -= n;
  return n;
}

static int smtp_open(mailer *m, kt_err *err) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return kt_err_set(err, KT_EINTERNAL, "libcurl could not start");
  if (!(m->curl = curl_easy_init())) return kt_err_set(err, KT_ENOMEM, "out of memory");
  CURL *c = m->curl;
  curl_easy_setopt(c, CURLOPT_URL, m->cfg.smtp);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(m->o->timeout_s > 0 ? m->o->timeout_s : 60));
  if (m->cfg.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
  if (m->ca.len) curl_easy_setopt(c, CURLOPT_CAINFO, kt_buf_str(&m->ca));
  if (*m->cfg.login) {
    curl_easy_setopt(c, CURLOPT_USERNAME, m->cfg.login);
    curl_easy_setopt(c, CURLOPT_PASSWORD, m->password);
  }
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, on_curl_read);
  return 0;
}

/* How one SMTP transaction ended. */
typedef enum outcome {
  OUT_SENT,
  OUT_REFUSED,   /* the server answered 4xx/5xx: not delivered */
  OUT_UNKNOWN,   /* cut after the server began to answer: may have been delivered */
  OUT_NOT_SENT,  /* stopped before any transaction (connect, TLS, login): retry later */
} outcome;

static outcome smtp_send(mailer *m, const char *to, const kt_buf *msg, int *stop, char *detail,
                         size_t dn) {
  char from[340], rcpt[340], ebuf[CURL_ERROR_SIZE] = "";
  snprintf(from, sizeof from, "<%s>", m->cfg.sender);
  snprintf(rcpt, sizeof rcpt, "<%s>", to);
  struct curl_slist *rl = curl_slist_append(NULL, rcpt);
  upload u = {msg->p, msg->len};
  CURL *c = m->curl;
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rl);
  curl_easy_setopt(c, CURLOPT_READDATA, &u);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
  CURLcode cc = rl ? curl_easy_perform(c) : CURLE_OUT_OF_MEMORY;
  long resp = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
  curl_slist_free_all(rl);
  const char *why = *ebuf ? ebuf : curl_easy_strerror(cc);
  *stop = 0;
  /* after a failed transaction the server's state is not known: start the next afresh */
  curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, cc == CURLE_OK ? 0L : 1L);
  if (cc == CURLE_OK) {
    snprintf(detail, dn, "accepted");
    return OUT_SENT;
  }
  if (cc == CURLE_LOGIN_DENIED) {
    *stop = KT_EAUTH;
    snprintf(detail, dn, "the SMTP server refused the login of %s (%s): check the user with "
             "`kartoteka mail config --user` and the password with `kartoteka mail password`",
             m->cfg.login, why);
    return OUT_NOT_SENT;
  }
  switch (cc) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_USE_SSL_FAILED:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
  case CURLE_OUT_OF_MEMORY:
    *stop = KT_ENET;
    snprintf(detail, dn, "cannot reach the SMTP server %s: %s", m->cfg.smtp, why);
    return OUT_NOT_SENT;
  default:
    break;
  }
  if (resp >= 400 && resp < 600) {
    snprintf(detail, dn, "%ld %s", resp, why);
    return OUT_REFUSED;
  }
  *stop = KT_ENET;
  if (resp == 0) { /* not even a greeting: no transaction began */
    snprintf(detail, dn, "the SMTP server %s did not answer: %s", m->cfg.smtp, why);
    return OUT_NOT_SENT;
  }
  snprintf(detail, dn, "the connection to %s was lost during the transaction (%s): the "
           "letter may or may not have arrived", m->cfg.smtp, why);
  return OUT_UNKNOWN;
}

/* ---- the run ---------------------------------------------------------------------- */

static int rcpt_set(mailer *m, int64_t seq, const char *state, const char *detail, kt_err *err) {
  cl_db *d = cl_store_db(m->s);
  sqlite3_stmt *st = cl_db_st(d, CL_ST_MAIL_RCPT_SET, err);
  if (!st) return err ? err->code : KT_EDB;
  sqlite3_bind_int64(st, 1, m->run);
  sqlite3_bind_int64(st, 2, seq);
  sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
  if (detail) sqlite3_bind_text(st, 4, detail, -1, SQLITE_TRANSIENT);
  return cl_db_step_done(d, st, err);
}

static int set_choice(cl_rec *r, const char *field, const char *code, bool parse, kt_err *err) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  if (!f) return 0;
  kt_value *v = &r->v[r->type->pos[f->vidx]];
  if (parse) return kt_mfield_parse(f, code, v, err);
  return kt_value_set_text(v, code, strlen(code)) ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}

/* The letter on the card's timeline: an event of type letter, done, result
 * sent/refused, linked to the card and the cards it refers to. */
static int add_letter_event(mailer *m, const card_ctx *c, bool sent, kt_err *err) {
  kt_mtype *et = kt_model_type(cl_store_model(m->s), "event");
  cl_rec *e = cl_rec_new(et);
  if (!e) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = set_choice(e, "type", "letter", true, err);
  if (!rc) rc = set_choice(e, "status", "done", true, err);
  /* the result's code is written as is: an office list without it still shows the code */
  if (!rc) rc = set_choice(e, "result", sent ? "sent" : "refused", false, err);
  if (!rc) rc = set_choice(e, "title", m->tname, false, err);
  kt_mfield *f = kt_mtype_field(et, "start");
  if (!rc && f) kt_value_set_int(&e->v[et->pos[f->vidx]], (int64_t)kt_now_ms());
  for (int k = 0; k < et->nfields && !rc; k++) {
    const kt_mfield *rf = &et->fields[k];
    if (rf->type != KT_FT_REF || !rf->ref) continue;
    for (int i = 0; i < c->ctx.n; i++)
      if (strcmp(c->ctx.rec[i]->type->def->name, rf->ref) == 0) {
        const char *id = kt_rec_id(c->ctx.rec[i]);
        if (kt_value_set_text(&e->v[k], id, strlen(id))) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      }
  }
  if (!rc) rc = cl_store_add_rec(m->s, e, err);
  cl_rec_free(e);
  return rc;
}

/* Commits the recipient's final state and its event together. */
static int rcpt_done(mailer *m, int64_t seq, const card_ctx *c, outcome o, const char *detail,
                     kt_err *err) {
  int rc = cl_store_begin(m->s, err);
  if (rc) return rc;
  const char *state = o == OUT_SENT ? "sent" : o == OUT_REFUSED ? "refused"
                      : o == OUT_UNKNOWN ? "unknown" : "pending";
  rc = rcpt_set(m, seq, state, detail, err);
  if (!rc && (o == OUT_SENT || o == OUT_REFUSED)) rc = add_letter_event(m, c, o == OUT_SENT, err);
  if (rc) {
    cl_store_rollback(m->s);
    return rc;
  }
  return cl_store_commit(m->s, err);
}

static void pause_for_rate(int rate) {
  if (rate <= 0) return;
  int64_t ms = 60000 / rate;
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

typedef struct rcpt_row {
  int64_t seq;
  char rid[KT_UUID_STRLEN + 1];
  char email[320];
  char state[16];
  char *detail;
} rcpt_row;

/* The next page of the run's recipients after seq `after` (a run may have
 * a million: they are never all in memory). */
static int load_rows(mailer *m, int64_t after, rcpt_row **out, int *n, kt_err *err) {
  cl_db *d = cl_store_db(m->s);
  sqlite3_stmt *st = cl_db_st(d, CL_ST_MAIL_RCPT_LIST, err);
  if (!st) return err ? err->code : KT_EDB;
  sqlite3_bind_int64(st, 1, m->run);
  sqlite3_bind_int64(st, 2, after);
  rcpt_row *rows = NULL;
  int cap = 0, rc = 0, sr;
  *n = 0;
  while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 64;
      rcpt_row *p = realloc(rows, (size_t)cap * sizeof *p);
      if (!p) {
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
        break;
      }
      rows = p;
    }
    rcpt_row *r = &rows[(*n)++];
    r->seq = sqlite3_column_int64(st, 0);
    snprintf(r->rid, sizeof r->rid, "%s", sqlite3_column_text(st, 2));
    snprintf(r->email, sizeof r->email, "%s", sqlite3_column_text(st, 3));
    snprintf(r->state, sizeof r->state, "%s", sqlite3_column_text(st, 4));
    const unsigned char *dt = sqlite3_column_text(st, 5);
    r->detail = dt ? strdup((const char *)dt) : NULL;
  }
  if (!rc && sr != SQLITE_DONE) rc = cl_db_error(d, sr, "reading the mailing", err);
  sqlite3_reset(st);
  if (rc) {
    for (int i = 0; i < *n; i++) free(rows[i].detail);
    free(rows);
    return rc;
  }
  *out = rows;
  return 0;
}

static void note(mailer *m, cl_mail_what w, const cl_rec *card, const char *email,
                 const char *detail) {
  if (!m->o->note) return;
  kt_buf t = KT_BUF_INIT;
  if (card) kt_rec_title(card, &t);
  m->o->note(m->o->ud, w, kt_buf_str(&t), email, detail ? detail : "");
  kt_buf_free(&t);
}

static void free_rows(rcpt_row *rows, int n) {
  for (int i = 0; i < n; i++) free(rows[i].detail);
  free(rows);
}

/* One recipient: 'sending', the SMTP transaction, then its final state and
 * event. *stop set when the run must stop (the server's fault). */
static int send_one(mailer *m, const rcpt_row *r, bool *done_one, int *stop, char *detail,
                    size_t dn, kt_err *err) {
  card_ctx c;
  kt_buf msg = KT_BUF_INIT;
  int rc = card_ctx_load(m->s, r->rid, &c, err);
  if (rc == KT_ENOTFOUND || (!rc && cl_rec_deleted(c.card))) {
    /* the card went away since the run started: nobody to write to */
    card_ctx_free(&c);
    m->sum->skipped++;
    return rcpt_set(m, r->seq, "gone", "the card was deleted", err);
  }
  if (!rc) rc = build_message(m, &c, r->email, &msg, err);
  if (!rc && *done_one) pause_for_rate(m->o->rate);
  if (!rc) rc = rcpt_set(m, r->seq, "sending", NULL, err);
  if (!rc) {
    outcome o = smtp_send(m, r->email, &msg, stop, detail, dn);
    *done_one = true;
    rc = rcpt_done(m, r->seq, &c, o, detail, err);
    if (!rc && o == OUT_SENT) m->sum->sent++, note(m, CL_MAIL_SENT, c.card, r->email, detail);
    else if (!rc && o == OUT_REFUSED) m->sum->refused++, note(m, CL_MAIL_REFUSED, c.card, r->email, detail);
    else if (!rc && o == OUT_UNKNOWN) m->sum->unknown++, note(m, CL_MAIL_UNKNOWN, c.card, r->email, detail);
  }
  kt_buf_free(&msg);
  card_ctx_free(&c);
  return rc;
}

/* Sends every pending recipient of the run, in order, a page at a time. */
static int run_process(mailer *m, kt_err *err) {
  int rc = smtp_open(m, err), stop = 0;
  bool done_one = false;
  char detail[1024] = "";
  int64_t after = 0;
  while (!rc && !stop) {
    rcpt_row *rows = NULL;
    int n = 0;
    if ((rc = load_rows(m, after, &rows, &n, err)) || n == 0) {
      free_rows(rows, n);
      break;
    }
    for (int i = 0; i < n && !rc && !stop; i++) {
      const rcpt_row *r = &rows[i];
      after = r->seq;
      if (strcmp(r->state, "unknown") == 0) {
        m->sum->unknown++;
        note(m, CL_MAIL_UNKNOWN, NULL, r->email, r->detail);
      }
      if (strcmp(r->state, "pending") == 0)
        rc = send_one(m, r, &done_one, &stop, detail, sizeof detail, err);
    }
    free_rows(rows, n);
  }
  if (!rc && stop)
    rc = kt_err_set(err, stop, "%s; the letters not sent yet wait: `kartoteka mail resume` "
                    "sends them (nobody gets a second copy)", detail);
  if (!rc) {
    cl_db *d = cl_store_db(m->s);
    sqlite3_stmt *st = cl_db_st(d, CL_ST_MAIL_RUN_DONE, err);
    if (!st) rc = err ? err->code : KT_EDB;
    else {
      sqlite3_bind_int64(st, 1, m->run);
      rc = cl_db_step_done(d, st, err);
    }
  }
  if (rc) { /* what is left for resume */
    rcpt_row *rows = NULL;
    int n = 0;
    for (after = 0; load_rows(m, after, &rows, &n, NULL) == 0 && n > 0; rows = NULL) {
      for (int i = 0; i < n; i++) m->sum->pending += strcmp(rows[i].state, "pending") == 0;
      after = rows[n - 1].seq;
      free_rows(rows, n);
    }
    free_rows(rows, 0);
  }
  return rc;
}

/* One mailing at a time per profile: two processes sending the same run
 * would each send the letters still pending. The lock is a profile file held
 * with flock while the run is worked on (released by the kernel on any exit). */
static int run_lock(cl_store *s, int *fd, kt_err *err) {
  char path[4096];
  const char *p = cl_store_path(s), *slash = strrchr(p, '/');
  if (slash) snprintf(path, sizeof path, "%.*s/mail.lock", (int)(slash - p), p);
  else snprintf(path, sizeof path, "mail.lock");
  *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (*fd < 0) return kt_err_set(err, KT_EIO, "cannot open %s: %s", path, strerror(errno));
  if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
    close(*fd);
    *fd = -1;
    return kt_err_set(err, KT_EBUSY, "another kartoteka is sending a mailing from this profile; "
                      "wait for it to finish (or stop it, then `kartoteka mail resume`)");
  }
  return 0;
}

static void run_unlock(int fd) {
  if (fd >= 0) close(fd);
}

/* ---- send, dry run, resume ------------------------------------------------------------ */

typedef struct collect {
  mailer *m;
  int64_t now;
  int n, cap;
  struct pick {
    char rid[KT_UUID_STRLEN + 1];
    char rtype[KT_NAME_MAX];
    char email[320];
  } *v;
  int rc;
  kt_err *err;
} collect;

static int on_card(void *ud, const cl_rec *r) {
  collect *c = ud;
  const char *email = card_email(r);
  const kt_value *opt = cl__mail_fval(r, CL_MAIL_OPTOUT_FIELD);
  if (!email || !cl_mime_addr_ok(email)) {
    c->m->sum->skipped++;
    note(c->m, CL_MAIL_NO_EMAIL, r, email ? email : "", email ? "not an e-mail address" : "");
    return 0;
  }
  if (opt && opt->kind == KT_V_INT && opt->i) {
    c->m->sum->skipped++;
    note(c->m, CL_MAIL_OPTED_OUT, r, email, "");
    return 0;
  }
  if (c->m->days_ms > 0) {
    cl_db *d = cl_store_db(c->m->s);
    sqlite3_stmt *st = cl_db_st(d, CL_ST_MAIL_RECENT, c->err);
    if (!st) return c->rc = KT_EDB, 1;
    sqlite3_bind_text(st, 1, kt_rec_id(r), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, c->now - c->m->days_ms);
    int sr = sqlite3_step(st);
    sqlite3_reset(st);
    if (sr == SQLITE_ROW) {
      c->m->sum->skipped++;
      char why[64];
      snprintf(why, sizeof why, "mailed within %d days", c->m->cfg.days);
      note(c->m, CL_MAIL_RECENT, r, email, why);
      return 0;
    }
    if (sr != SQLITE_DONE) return c->rc = cl_db_error(d, sr, "reading earlier letters", c->err), 1;
  }
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 64;
    struct pick *p = realloc(c->v, (size_t)c->cap * sizeof *p);
    if (!p) return c->rc = kt_err_set(c->err, KT_ENOMEM, "out of memory"), 1;
    c->v = p;
  }
  struct pick *p = &c->v[c->n++];
  snprintf(p->rid, sizeof p->rid, "%s", kt_rec_id(r));
  snprintf(p->rtype, sizeof p->rtype, "%s", r->type->def->name);
  snprintf(p->email, sizeof p->email, "%s", email);
  return 0;
}

static int write_eml(const char *dir, int i, const char *email, const kt_buf *msg, char *path,
                     size_t pn, kt_err *err) {
  char safe[128], tmp[4400];
  size_t k = 0;
  for (const char *p = email; *p && k + 1 < sizeof safe; p++)
    safe[k++] = (strchr("/\\", *p) || (unsigned char)*p < 0x20) ? '_' : *p;
  safe[k] = 0;
  snprintf(path, pn, "%s/%04d-%s.eml", dir, i + 1, safe);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (!f) return kt_err_set(err, KT_EIO, "cannot write %s: %s", tmp, strerror(errno));
  int bad = fwrite(msg->p, 1, msg->len, f) != msg->len;
  if (fclose(f) != 0) bad = 1;
  if (bad || rename(tmp, path) != 0) {
    unlink(tmp);
    return kt_err_set(err, KT_EIO, "cannot write %s: %s", path, strerror(errno));
  }
  return 0;
}

static int dry_run(mailer *m, collect *c, kt_err *err) {
  const char *dir = m->o->dry_run_dir;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return kt_err_set(err, KT_EIO, "cannot make the folder %s: %s", dir, strerror(errno));
  int rc = 0;
  for (int i = 0; i < c->n && !rc; i++) {
    card_ctx cc;
    kt_buf msg = KT_BUF_INIT;
    char path[4200];
    if (!(rc = card_ctx_load(m->s, c->v[i].rid, &cc, err)) &&
        !(rc = build_message(m, &cc, c->v[i].email, &msg, err)) &&
        !(rc = write_eml(dir, i, c->v[i].email, &msg, path, sizeof path, err))) {
      m->sum->written++;
      note(m, CL_MAIL_WRITTEN, cc.card, c->v[i].email, path);
    }
    kt_buf_free(&msg);
    card_ctx_free(&cc);
  }
  return rc;
}

static int open_run(cl_store *s, int64_t *run, char *tname, size_t tn, kt_buf *attach, int *rate,
                    kt_err *err) {
  cl_db *d = cl_store_db(s);
  sqlite3_stmt *st = cl_db_st(d, CL_ST_MAIL_RUN_OPEN, err);
  if (!st) return err ? err->code : KT_EDB;
  int sr = sqlite3_step(st), rc = 0;
  if (sr == SQLITE_ROW) {
    *run = sqlite3_column_int64(st, 0);
    if (tname) snprintf(tname, tn, "%s", sqlite3_column_text(st, 1));
    if (attach) kt_buf_puts(attach, (const char *)sqlite3_column_text(st, 2));
    if (rate) *rate = sqlite3_column_int(st, 3);
  } else {
    rc = sr == SQLITE_DONE ? KT_ENOTFOUND : cl_db_error(d, sr, "reading the mailing", err);
  }
  sqlite3_reset(st);
  return rc;
}

int cl_mail_send(cl_store *s, const cl_mail_opts *o, cl_mail_sum *sum, kt_err *err) {
  memset(sum, 0, sizeof *sum);
  mailer m = {.s = s, .o = o, .sum = sum};
  collect c = {.m = &m, .now = (int64_t)kt_now_ms(), .err = err};
  bool dry = o->dry_run_dir != NULL;
  int64_t run;
  int rc = 0;
  if (!o->to || !o->to->type || (strcmp(o->to->type, "org") != 0 && strcmp(o->to->type, "contact") != 0))
    return kt_err_set(err, KT_EINVAL, "mail goes to organizations or contacts: --to org or --to "
                      "contact (with --where FIELD=VALUE ...)");
  int lock = -1;
  if (!dry && (rc = run_lock(s, &lock, err))) return rc;
  if (!dry && (rc = open_run(s, &run, NULL, 0, NULL, NULL, err)) != KT_ENOTFOUND) {
    run_unlock(lock);
    if (!rc)
      rc = kt_err_set(err, KT_EEXISTS, "an earlier mailing was not finished: finish it with "
                      "`kartoteka mail resume` (or drop it with `kartoteka mail resume --abandon`)");
    return rc;
  }
  if ((rc = mailer_open(&m, o->tmpl, o->attach, o->nattach, dry, err))) goto out;
  if ((rc = cl_store_list(s, o->to, on_card, &c, err)) || (rc = c.rc)) goto out;
  if (dry) {
    rc = dry_run(&m, &c, err);
    goto out;
  }
  if (c.n == 0) goto out;
  /* the run and all its recipients, in one commit, before the first letter */
  kt_buf att = KT_BUF_INIT;
  for (int i = 0; i < o->nattach; i++) {
    char abs[4096];
    kt_buf_printf(&att, "%s%s", i ? "\n" : "", realpath(o->attach[i], abs) ? abs : o->attach[i]);
  }
  cl_db *d = cl_store_db(s);
  if (!(rc = cl_store_begin(s, err))) {
    sqlite3_stmt *st = cl_db_st(d, CL_ST_MAIL_RUN_ADD, err);
    if (!st) rc = KT_EDB;
    else {
      sqlite3_bind_text(st, 1, o->tmpl, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, kt_buf_str(&att), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int(st, 3, o->rate);
      sqlite3_bind_int64(st, 4, c.now);
      rc = cl_db_step_done(d, st, err);
      m.run = sqlite3_last_insert_rowid(d->db);
    }
    for (int i = 0; i < c.n && !rc; i++) {
      st = cl_db_st(d, CL_ST_MAIL_RCPT_ADD, err);
      if (!st) {
        rc = KT_EDB;
        break;
      }
      sqlite3_bind_int64(st, 1, m.run);
      sqlite3_bind_int(st, 2, i + 1);
      sqlite3_bind_text(st, 3, c.v[i].rtype, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 4, c.v[i].rid, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 5, c.v[i].email, -1, SQLITE_STATIC);
      rc = cl_db_step_done(d, st, err);
    }
    if (rc) cl_store_rollback(s);
    else rc = cl_store_commit(s, err);
  }
  kt_buf_free(&att);
  if (!rc) rc = run_process(&m, err);
out:
  free(c.v);
  mailer_close(&m);
  run_unlock(lock);
  return rc;
}

/* Splits the stored attachment list (one path a line) in place. */
static int split_lines(char *s, const char **out, int max) {
  int n = 0;
  while (s && *s && n < max) {
    out[n++] = s;
    char *nl = strchr(s, '\n');
    if (!nl) break;
    *nl = 0;
    s = nl + 1;
  }
  return n;
}

int cl_mail_resume(cl_store *s, const cl_mail_opts *o, cl_mail_sum *sum, kt_err *err) {
  memset(sum, 0, sizeof *sum);
  char tname[256];
  kt_buf att = KT_BUF_INIT;
  int rate = 0, lock = -1;
  int64_t run;
  int rc = run_lock(s, &lock, err);
  if (rc) return rc;
  rc = open_run(s, &run, tname, sizeof tname, &att, &rate, err);
  if (rc) {
    run_unlock(lock);
    kt_buf_free(&att);
    if (rc == KT_ENOTFOUND)
      return kt_err_set(err, KT_ENOTFOUND, "there is no unfinished mailing on this PC");
    return rc;
  }
  cl_mail_opts oo = *o;
  if (oo.rate <= 0) oo.rate = rate;
  mailer m = {.s = s, .o = &oo, .sum = sum, .run = run};
  const char *paths[64];
  int np = split_lines(att.p, paths, 64);
  cl_db *d = cl_store_db(s);
  sqlite3_stmt *st = cl_db_st(d, CL_ST_MAIL_RCPT_UNSURE, err);
  if (!st) rc = err ? err->code : KT_EDB;
  else {
    sqlite3_bind_int64(st, 1, run);
    rc = cl_db_step_done(d, st, err);
  }
  if (!rc) rc = mailer_open(&m, tname, paths, np, false, err);
  if (!rc) rc = run_process(&m, err);
  mailer_close(&m);
  kt_buf_free(&att);
  run_unlock(lock);
  return rc;
}

int cl_mail_abandon(cl_store *s, kt_err *err) {
  int64_t run;
  int lock = -1, rc = run_lock(s, &lock, err);
  if (rc) return rc;
  rc = open_run(s, &run, NULL, 0, NULL, NULL, err);
  if (rc == KT_ENOTFOUND) rc = kt_err_set(err, KT_ENOTFOUND, "there is no unfinished mailing on this PC");
  cl_db *d = cl_store_db(s);
  sqlite3_stmt *st = rc ? NULL : cl_db_st(d, CL_ST_MAIL_RUN_DONE, err);
  if (!rc && !st) rc = err ? err->code : KT_EDB;
  if (!rc) {
    sqlite3_bind_int64(st, 1, run);
    rc = cl_db_step_done(d, st, err);
  }
  run_unlock(lock);
  return rc;
}
