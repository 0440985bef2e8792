/* cl_remote — see cl_remote.h. */
#include "cl_remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_dup.h"
#include "cl_session.h"
#include "kt_frame.h"
#include "kt_i18n.h"

#define REMOTE_TIMEOUT_MS 5000

typedef struct want {
  const kt_mfield *f;
  const char *value;
  char key[300];
} want;

typedef struct local_ctx {
  const want *w;
  cl_claim *out;
} local_ctx;

static int local_cb(void *ud, const cl_rec *r) {
  local_ctx *c = ud;
  if (!(r->type->def->flags & KT_TF_CLIENT)) return 0;
  for (int i = 0; i < r->type->nfields; i++) {
    char key[300];
    if (r->v[i].kind != KT_V_TEXT ||
        !kt_mfield_claim_key(&r->type->fields[i], r->v[i].s, key, sizeof key) ||
        strcmp(key, c->w->key) != 0)
      continue;
    c->out->exists = true;
    snprintf(c->out->type, sizeof c->out->type, "%s", r->type->def->name);
    const kt_value *o = &r->v[KT_F_OWNER];
    snprintf(c->out->owner, sizeof c->out->owner, "%s", o->kind == KT_V_TEXT ? o->s : "");
    return 1;
  }
  return 0;
}

/* This PC's cards: the search index finds candidates, the keys decide. */
static int check_local(cl_store *s, const want *w, cl_claim *out, kt_err *err) {
  char text[300];
  const char *q = w->value;
  if (w->key[0] == 'p') q = w->key + 2; /* digits: the phone index matches fragments */
  snprintf(text, sizeof text, "%s", q);
  local_ctx c = {w, out};
  return cl_store_search(s, text, NULL, 200, false, local_cb, &c, err);
}

static int ask_server(cl_conn *c, const want *w, cl_claim *out, kt_err *err) {
  Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT, *rep = NULL;
  Kartoteka__ClaimCheck q = KARTOTEKA__CLAIM_CHECK__INIT;
  if (w->key[0] == 'p') q.phone = (char *)w->value;
  else if (w->key[0] == 'e') q.email = (char *)w->value;
  else q.tax_id = (char *)w->value;
  req.body_case = KARTOTEKA__ENVELOPE__BODY_CLAIM_CHECK;
  req.claim_check = &q;
  int rc = cl_conn_request(c, &req, &rep, err);
  if (rc) return rc;
  if (rep->body_case != KARTOTEKA__ENVELOPE__BODY_CLAIM_RESULT) {
    rc = kt_err_set(err, KT_EPROTO, "the server answered the claim check with %s",
                    kt_frame_body_name(rep));
  } else if (rep->claim_result->exists) {
    out->exists = true;
    snprintf(out->type, sizeof out->type, "%s", rep->claim_result->type);
    snprintf(out->owner, sizeof out->owner, "%s", rep->claim_result->owner);
  }
  kt_frame_env_free(rep);
  return rc;
}

/* ---- the name key: a client card with the same folded name in the same city ---- */

typedef struct name_ctx {
  const char *key;
  cl_claim *out;
} name_ctx;

static int name_cb(void *ud, const cl_rec *r) {
  name_ctx *c = ud;
  cl_dupkey keys[CL_DUP_MAX_KEYS];
  int nk = cl_dup_rec_keys(r, keys, CL_DUP_MAX_KEYS);
  for (int i = 0; i < nk; i++)
    if (strcmp(keys[i].key, c->key) == 0) {
      c->out->exists = true;
      snprintf(c->out->type, sizeof c->out->type, "%s", r->type->def->name);
      const kt_value *o = &r->v[KT_F_OWNER];
      snprintf(c->out->owner, sizeof c->out->owner, "%s", o->kind == KT_V_TEXT ? o->s : "");
      return 1;
    }
  return 0;
}

/* The name key of a new card from its assignments (key[0] = 0: none) and how
 * it reads ("Ромашка, Москва"); the first place field's value in *place. */
static void name_key(kt_mtype *t, const cl_set *sets, int n, char key[CL_DUP_KEY_MAX], char *shown, size_t shown_n,
                     const char **place) {
  key[0] = '\0';
  *place = NULL;
  cl_rec *r = cl_rec_new(t);
  if (!r) return;
  for (int i = 0; i < n; i++) {
    kt_mfield *f = kt_mtype_field(t, sets[i].field);
    if (!f || !(f->flags & (KT_FF_TITLE | KT_FF_PLACE)) || f->type != KT_FT_TEXT) continue;
    kt_value v = {KT_V_NULL, 0, NULL};
    if (kt_mfield_parse(f, sets[i].value, &v, NULL)) continue;
    kt_value_clear(&r->v[t->pos[f->vidx]]);
    r->v[t->pos[f->vidx]] = v;
    if ((f->flags & KT_FF_PLACE) && !*place) *place = sets[i].value;
  }
  cl_dupkey keys[CL_DUP_MAX_KEYS];
  int nk = cl_dup_rec_keys(r, keys, CL_DUP_MAX_KEYS);
  for (int i = 0; i < nk; i++)
    if (keys[i].key[0] == 'n') {
      memcpy(key, keys[i].key, CL_DUP_KEY_MAX);
      kt_buf b = KT_BUF_INIT;
      cl_rec_title(r, &b);
      snprintf(shown, shown_n, "%s, %s", kt_buf_str(&b), *place);
      kt_buf_free(&b);
    }
  cl_rec_free(r);
}

/* This PC's live cards of t in the same place with the same name key. */
static int check_name_local(cl_store *s, kt_mtype *t, const cl_set *sets, int n, cl_claim *out,
                            kt_err *err) {
  char key[CL_DUP_KEY_MAX], shown[160];
  const char *place;
  name_key(t, sets, n, key, shown, sizeof shown, &place);
  if (!key[0]) return 0;
  const kt_mfield *pf = NULL;
  for (int k = 0; k < t->nfields && !pf; k++)
    if (t->fields[k].flags & KT_FF_PLACE) pf = &t->fields[k];
  cl_filter w = {pf->name, '=', place};
  cl_query q = {.type = t->def->name, .where = &w, .nwhere = 1};
  name_ctx c = {key, out};
  int rc = cl_store_list(s, &q, name_cb, &c, err);
  if (!rc && out->exists) {
    snprintf(out->what, sizeof out->what, "name and city");
    snprintf(out->value, sizeof out->value, "%s", shown);
  }
  return rc;
}

/* ---- keys the server was asked about in advance (cl_claimer_prefetch) ---- */

typedef struct asked {
  char *key;          /* NULL: an empty slot */
  bool hit;           /* a live client card holds it */
  char type[32], owner[80];
} asked;

typedef struct asked_set {
  asked *slot;
  size_t nslots, n;
} asked_set;

static uint64_t key_hash(const char *k) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *k; k++) h = (h ^ (unsigned char)*k) * 1099511628211ull;
  return h;
}

static asked *asked_find(const asked_set *a, const char *key) {
  if (!a->nslots) return NULL;
  for (size_t i = key_hash(key) & (a->nslots - 1);; i = (i + 1) & (a->nslots - 1)) {
    if (!a->slot[i].key) return NULL;
    if (strcmp(a->slot[i].key, key) == 0) return &a->slot[i];
  }
}

static int asked_grow(asked_set *a) {
  size_t n = a->nslots ? a->nslots * 2 : 1024;
  asked *s = calloc(n, sizeof *s);
  if (!s) return KT_ENOMEM;
  for (size_t i = 0; i < a->nslots; i++) {
    if (!a->slot[i].key) continue;
    size_t j = key_hash(a->slot[i].key) & (n - 1);
    while (s[j].key) j = (j + 1) & (n - 1);
    s[j] = a->slot[i];
  }
  free(a->slot);
  a->slot = s;
  a->nslots = n;
  return 0;
}

/* The entry of key, added (not hit) when new; NULL when out of memory. */
static asked *asked_put(asked_set *a, const char *key) {
  asked *e = asked_find(a, key);
  if (e) return e;
  if ((a->n + 1) * 2 > a->nslots && asked_grow(a)) return NULL;
  size_t i = key_hash(key) & (a->nslots - 1);
  while (a->slot[i].key) i = (i + 1) & (a->nslots - 1);
  if (!(a->slot[i].key = strdup(key))) return NULL;
  a->n++;
  return &a->slot[i];
}

static void asked_free(asked_set *a) {
  for (size_t i = 0; i < a->nslots; i++) free(a->slot[i].key);
  free(a->slot);
  memset(a, 0, sizeof *a);
}

struct cl_claimer {
  cl_store *s;
  cl_conn *conn;
  bool server_only;
  bool no_batch; /* the server answers one key at a time only (an older version) */
  asked_set asked;
  char offline[KT_ERR_MSG_MAX];
};

/* A throttled claim check (the server's per-user key budget) is an answer, not a
 * lost server: the check stops with the server's words (what, when to retry)
 * instead of quietly checking this PC's cards only. */
static int throttled(kt_err *err, const kt_err *cerr) {
  return kt_err_set(err, KT_ETHROTTLED, KT_("the server refused the duplicate check: %s"),
                    cerr->msg);
}

/* One request for keys[0..n): the answers into c->asked. 1 when the server
 * does not read many keys at once; 0 done; else the connection failed. */
static int ask_many(cl_claimer *c, char **keys, size_t n, kt_err *err) {
  Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT, *rep = NULL;
  Kartoteka__ClaimCheck q = KARTOTEKA__CLAIM_CHECK__INIT;
  q.keys = keys;
  q.n_keys = n;
  req.body_case = KARTOTEKA__ENVELOPE__BODY_CLAIM_CHECK;
  req.claim_check = &q;
  int rc = cl_conn_request(c->conn, &req, &rep, err);
  if (rc) return rc;
  if (rep->body_case != KARTOTEKA__ENVELOPE__BODY_CLAIM_RESULT) {
    rc = kt_err_set(err, KT_EPROTO, "the server answered the claim check with %s",
                    kt_frame_body_name(rep));
  } else if (!rep->claim_result->batch) {
    rc = 1;
  } else {
    for (size_t i = 0; i < n && !rc; i++)
      if (!asked_put(&c->asked, keys[i])) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    for (size_t i = 0; i < rep->claim_result->n_hits && !rc; i++) {
      const Kartoteka__ClaimHit *h = rep->claim_result->hits[i];
      asked *e = asked_find(&c->asked, h->key ? h->key : "");
      if (!e) continue; /* not a key we asked about */
      e->hit = true;
      snprintf(e->type, sizeof e->type, "%s", h->type ? h->type : "");
      snprintf(e->owner, sizeof e->owner, "%s", h->owner ? h->owner : "");
    }
  }
  kt_frame_env_free(rep);
  return rc;
}

int cl_claimer_prefetch(cl_claimer *c, const char *const *keys, int n, kt_err *err) {
  if (!c->conn || c->no_batch || n <= 0) return 0;
  char **chunk = malloc(CL_CLAIM_BATCH * sizeof *chunk);
  if (!chunk) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = 0;
  for (int i = 0; i < n && !rc && c->conn;) {
    size_t k = 0;
    for (; i < n && k < CL_CLAIM_BATCH; i++)
      if (!asked_find(&c->asked, keys[i])) chunk[k++] = (char *)keys[i];
    if (!k) break;
    kt_err cerr;
    kt_err_clear(&cerr);
    int r = ask_many(c, chunk, k, &cerr);
    if (r == 1) {
      c->no_batch = true;
      break;
    }
    if (r == KT_ENOMEM) rc = kt_err_set(err, r, "%s", cerr.msg);
    else if (r == KT_ETHROTTLED) rc = throttled(err, &cerr);
    else if (r) { /* lost the server: the checks use this PC's cards, as one by one */
      snprintf(c->offline, sizeof c->offline, "%s", cerr.msg);
      cl_conn_free(c->conn);
      c->conn = NULL;
    }
  }
  free(chunk);
  return rc;
}

/* The name key across the whole base: asked of the server as ClaimCheck.keys
 * (in advance by an import, else one request now). A server too old to read
 * keys keeps no name keys either: then this PC's cards were all there was. */
static int check_name_server(cl_claimer *c, kt_mtype *t, const cl_set *sets, int n, cl_claim *out,
                             kt_err *err) {
  char key[CL_DUP_KEY_MAX], shown[160];
  const char *place;
  name_key(t, sets, n, key, shown, sizeof shown, &place);
  if (!key[0]) return 0;
  const asked *a = asked_find(&c->asked, key);
  if (!a && !c->no_batch) {
    char *one[1] = {key};
    kt_err cerr;
    kt_err_clear(&cerr);
    int r = ask_many(c, one, 1, &cerr);
    if (r == 1) {
      c->no_batch = true;
    } else if (r == KT_ENOMEM) {
      return kt_err_set(err, r, "%s", cerr.msg);
    } else if (r == KT_ETHROTTLED) {
      return throttled(err, &cerr);
    } else if (r) { /* lost the server: what this PC holds was checked */
      snprintf(c->offline, sizeof c->offline, "%s", cerr.msg);
      cl_conn_free(c->conn);
      c->conn = NULL;
      out->on_server = false;
    } else {
      a = asked_find(&c->asked, key);
    }
  }
  if (!a) return 0;
  out->on_server = true;
  if (a->hit) {
    out->exists = true;
    snprintf(out->type, sizeof out->type, "%s", a->type);
    snprintf(out->owner, sizeof out->owner, "%s", a->owner);
    snprintf(out->what, sizeof out->what, "name and city");
    snprintf(out->value, sizeof out->value, "%s", shown);
  }
  return 0;
}

void cl_claimer_server_only(cl_claimer *c) { c->server_only = true; }

int cl_claimer_open(uv_loop_t *loop, const char *profile_dir, cl_store *s, cl_claimer **out,
                    kt_err *err) {
  cl_claimer *c = calloc(1, sizeof *c);
  if (!c) return kt_err_set(err, KT_ENOMEM, "out of memory");
  c->s = s;
  bool server = cl_store_connected(s);
  kt_err cerr;
  kt_err_clear(&cerr);
  if (!server)
    snprintf(c->offline, sizeof c->offline, "%s", KT_("this card index is not connected to a server"));
  else if (cl_session_open(loop, profile_dir, s, NULL, NULL, NULL, REMOTE_TIMEOUT_MS, &c->conn,
                           &cerr))
    snprintf(c->offline, sizeof c->offline, "%s", cerr.msg);
  *out = c;
  return 0;
}

void cl_claimer_close(cl_claimer *c) {
  if (!c) return;
  asked_free(&c->asked);
  cl_conn_free(c->conn);
  free(c);
}

int cl_claimer_check(cl_claimer *c, const char *type, const cl_set *sets, int n, cl_claim *out,
                     kt_err *err) {
  memset(out, 0, sizeof *out);
  kt_mtype *t = kt_model_type(cl_store_model(c->s), type ? type : "");
  if (!t || !(t->def->flags & KT_TF_CLIENT)) return 0; /* only client cards are claimed */
  want w[16];
  int nw = 0;
  for (int i = 0; i < n && nw < 16; i++) {
    kt_mfield *f = kt_mtype_field(t, sets[i].field);
    if (!f || !kt_mfield_claim_key(f, sets[i].value, w[nw].key, sizeof w[nw].key)) continue;
    w[nw].f = f;
    w[nw].value = sets[i].value;
    nw++;
  }
  int rc = 0;
  /* this PC first: it also knows the cards not sent yet */
  for (int i = 0; !rc && i < nw && !out->exists && !c->server_only; i++) {
    rc = check_local(c->s, &w[i], out, err);
    if (out->exists) {
      snprintf(out->what, sizeof out->what, "%s", w[i].f->name);
      snprintf(out->value, sizeof out->value, "%s", w[i].value);
      return 0;
    }
  }
  if (!rc && !c->server_only && (rc = check_name_local(c->s, t, sets, n, out, err))) return rc;
  if (out->exists) return 0;
  for (int i = 0; !rc && i < nw && !out->exists && c->conn; i++) {
    const asked *a = asked_find(&c->asked, w[i].key);
    if (a) { /* asked in advance */
      out->on_server = true;
      if (a->hit) {
        out->exists = true;
        snprintf(out->type, sizeof out->type, "%s", a->type);
        snprintf(out->owner, sizeof out->owner, "%s", a->owner);
      }
    } else if (c->conn) {
      kt_err cerr;
      kt_err_clear(&cerr);
      int r = ask_server(c->conn, &w[i], out, &cerr);
      if (r == KT_ETHROTTLED) return throttled(err, &cerr);
      if (r) { /* lost the server: this PC's cards */
        snprintf(c->offline, sizeof c->offline, "%s", cerr.msg);
        cl_conn_free(c->conn);
        c->conn = NULL;
        i--;
        continue;
      }
      out->on_server = true;
    }
    if (out->exists) {
      snprintf(out->what, sizeof out->what, "%s", w[i].f->name);
      snprintf(out->value, sizeof out->value, "%s", w[i].value);
    }
  }
  if (!rc && !out->exists && c->conn) rc = check_name_server(c, t, sets, n, out, err);
  if (!out->on_server) snprintf(out->offline, sizeof out->offline, "%s", c->offline);
  return rc;
}

int cl_claim_check(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *type,
                   const cl_set *sets, int n, cl_claim *out, kt_err *err) {
  memset(out, 0, sizeof *out);
  kt_mtype *t = kt_model_type(cl_store_model(s), type ? type : "");
  if (!t || !(t->def->flags & KT_TF_CLIENT)) return 0;
  bool any = false; /* no session for a card without phones, e-mails or tax id */
  char key[300];
  for (int i = 0; i < n && !any; i++) {
    kt_mfield *f = kt_mtype_field(t, sets[i].field);
    any = f && kt_mfield_claim_key(f, sets[i].value, key, sizeof key);
  }
  char nkey[CL_DUP_KEY_MAX], shown[160];
  const char *place;
  if (!any) name_key(t, sets, n, nkey, shown, sizeof shown, &place);
  if (!any && !nkey[0]) return 0;
  cl_claimer *c = NULL;
  int rc = cl_claimer_open(loop, profile_dir, s, &c, err);
  if (!rc) rc = cl_claimer_check(c, type, sets, n, out, err);
  cl_claimer_close(c);
  return rc;
}

int cl_admin_allowed(cl_store *s, kt_err *err) {
  if (!cl_store_connected(s))
    return kt_err_set(err, KT_EINVAL, KT_("this profile is a standalone card index (no server): "
                      "there are no users or devices to administer"));
  const kt_rights *r = cl_store_rights(s);
  if (r && !r->manage_users)
    return kt_err_set(err, KT_EPERM, KT_("only an administrator may do that (your role is %s); "
                      "nothing was sent"), *cl_store_role(s) ? cl_store_role(s) : KT_("not known"));
  return 0;
}

int cl_admin(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *op,
             const char *name, const char *const *keys, const char *const *vals, int nparams,
             kt_buf *out, kt_err *err) {
  cl_conn *c = NULL;
  int rc = cl_session_open(loop, profile_dir, s, NULL, NULL, NULL, REMOTE_TIMEOUT_MS, &c, err);
  if (rc) return rc;
  Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT, *rep = NULL;
  Kartoteka__AdminRequest q = KARTOTEKA__ADMIN_REQUEST__INIT;
  Kartoteka__AdminRequest__ParamsEntry pe[16], *pp[16];
  char *args[1] = {(char *)name};
  q.op = (char *)op;
  if (name) {
    q.args = args;
    q.n_args = 1;
  }
  for (int i = 0; i < nparams && i < 16; i++) {
    kartoteka__admin_request__params_entry__init(&pe[i]);
    pe[i].key = (char *)keys[i];
    pe[i].value = (char *)vals[i];
    pp[i] = &pe[i];
  }
  q.params = pp;
  q.n_params = (size_t)(nparams < 16 ? nparams : 16);
  req.body_case = KARTOTEKA__ENVELOPE__BODY_ADMIN_REQUEST;
  req.admin_request = &q;
  rc = cl_conn_request(c, &req, &rep, err);
  if (!rc) {
    if (rep->body_case != KARTOTEKA__ENVELOPE__BODY_ADMIN_RESPONSE) {
      rc = kt_err_set(err, KT_EPROTO, "the server answered with %s", kt_frame_body_name(rep));
    } else if (rep->admin_response->code) {
      rc = kt_err_set(err, rep->admin_response->code, "%s", rep->admin_response->message);
    } else {
      for (size_t i = 0; i < rep->admin_response->n_rows; i++)
        kt_buf_puts(out, rep->admin_response->rows[i]);
    }
    kt_frame_env_free(rep);
  }
  cl_conn_free(c);
  return rc;
}
