/* cl_history — a card's history (see cl_history.h): pages of the server's
 * History answer, or this PC's outbox entry for the card when offline. */
#include "cl_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_conn.h"
#include "cl_outbox.h"
#include "cl_session.h"
#include "kt_change.h"
#include "kt_frame.h"
#include "kt_hlc.h"

#define HISTORY_TIMEOUT_MS 5000
#define HISTORY_PAGE 500

void cl_history_free(cl_history *h) {
  if (!h) return;
  for (size_t i = 0; i < h->n; i++) {
    kt_value_clear(&h->e[i].old_v);
    kt_value_clear(&h->e[i].new_v);
  }
  free(h->e);
  memset(h, 0, sizeof *h);
}

static cl_hist_entry *entry_add(cl_history *h) {
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 32;
    cl_hist_entry *p = realloc(h->e, cap * sizeof *p);
    if (!p) return NULL;
    h->e = p;
    h->cap = cap;
  }
  cl_hist_entry *e = &h->e[h->n++];
  memset(e, 0, sizeof *e);
  return e;
}

/* A value from the wire for f (raw when this PC does not know the field). */
static int wire_value(const kt_mfield *f, const Kartoteka__FieldValue *fv, kt_value *out) {
  if (!fv || fv->is_null || fv->hidden) return 0;
  if (f) {
    kt_err e;
    if (!kt_change_value(f, fv, out, &e)) return 0;
  }
  if (fv->value_case == KARTOTEKA__FIELD_VALUE__VALUE_NUM) kt_value_set_int(out, fv->num);
  else if (fv->value_case == KARTOTEKA__FIELD_VALUE__VALUE_TEXT)
    return kt_value_set_text(out, fv->text, strlen(fv->text));
  return 0;
}

/* Entries of one page (newest first) appended to h as they come. */
static int take_page(cl_store *s, const Kartoteka__History *p, cl_history *h, size_t limit) {
  kt_mtype *t = kt_model_type(cl_store_model(s), p->type ? p->type : "");
  snprintf(h->type, sizeof h->type, "%s", p->type ? p->type : "");
  for (size_t i = 0; i < p->n_entries && (!limit || h->n < limit); i++) {
    const Kartoteka__HistoryEntry *w = p->entries[i];
    const char *name = w->new_value && w->new_value->name ? w->new_value->name : "";
    cl_hist_entry *e = entry_add(h);
    if (!e) return KT_ENOMEM;
    e->seq = w->seq;
    e->at_ms = (int64_t)KT_STAMP_MS(w->stamp);
    snprintf(e->field, sizeof e->field, "%s", name);
    e->f = t ? kt_mtype_field(t, name) : NULL;
    snprintf(e->user, sizeof e->user, "%s", w->user ? w->user : "");
    snprintf(e->device, sizeof e->device, "%s", w->device ? w->device : "");
    snprintf(e->device_name, sizeof e->device_name, "%s", w->device_name ? w->device_name : "");
    e->hidden = w->new_value && w->new_value->hidden;
    e->old_known = true;
    if (wire_value(e->f, w->old_value, &e->old_v) || wire_value(e->f, w->new_value, &e->new_v))
      return KT_ENOMEM;
  }
  return 0;
}

/* The server's history of the card, newest first, until limit or the end. */
static int ask_server(cl_conn *c, cl_store *s, const char *id, const char *field, size_t limit,
                      cl_history *h, kt_err *err) {
  uint64_t before = 0;
  for (;;) {
    Kartoteka__Envelope req = KARTOTEKA__ENVELOPE__INIT, *rep = NULL;
    Kartoteka__HistoryRequest q = KARTOTEKA__HISTORY_REQUEST__INIT;
    q.id = (char *)id;
    q.field = (char *)(field ? field : "");
    q.before = before;
    q.max = HISTORY_PAGE;
    if (limit && limit - h->n < HISTORY_PAGE) q.max = (uint32_t)(limit - h->n);
    req.body_case = KARTOTEKA__ENVELOPE__BODY_HISTORY_REQUEST;
    req.history_request = &q;
    int rc = cl_conn_request(c, &req, &rep, err);
    if (rc) return rc;
    bool more = false;
    if (rep->body_case != KARTOTEKA__ENVELOPE__BODY_HISTORY) {
      rc = kt_err_set(err, KT_EPROTO, "the server answered the history request with %s (an "
                      "older server? update kartotekad)", kt_frame_body_name(rep));
    } else {
      const Kartoteka__History *p = rep->history;
      if ((rc = take_page(s, p, h, limit))) kt_err_set(err, rc, "out of memory");
      more = p->more && p->n_entries;
      if (p->n_entries) before = p->entries[p->n_entries - 1]->seq;
    }
    kt_frame_env_free(rep);
    if (rc) return rc;
    if (!more) return 0;
    if (limit && h->n >= limit) {
      h->more = true;
      return 0;
    }
  }
}

/* Offline: the unsent change of the card, one entry per field it sets. */
typedef struct local_ctx {
  cl_store *s;
  const char *id;
  const char *field;
  cl_history *h;
  int rc;
} local_ctx;

static int on_outbox(void *ud, const cl_outbox_entry *oe) {
  local_ctx *c = ud;
  if (strcmp(oe->id, c->id) != 0) return 0;
  const cl_rec *r = oe->rec;
  snprintf(c->h->type, sizeof c->h->type, "%s", oe->type);
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (!kt_fset_has(oe->fields, f->vidx) || f->vidx == KT_F_UPDATED) continue;
    if (c->field && strcmp(f->name, c->field) != 0) continue;
    cl_hist_entry *e = entry_add(c->h);
    if (!e || kt_value_copy(&e->new_v, &r->v[r->type->pos[f->vidx]])) {
      c->rc = KT_ENOMEM;
      return 1;
    }
    e->at_ms = (int64_t)KT_STAMP_MS(r->vers.f[f->vidx].stamp);
    snprintf(e->field, sizeof e->field, "%s", f->name);
    e->f = f;
    snprintf(e->user, sizeof e->user, "%s", cl_store_user(c->s));
    snprintf(e->device, sizeof e->device, "%s", cl_store_device(c->s));
    snprintf(e->device_name, sizeof e->device_name, "this PC");
  }
  return 1;
}

/* Oldest first, as people read a story. */
static int by_time(const void *a, const void *b) {
  const cl_hist_entry *x = a, *y = b;
  if (x->at_ms != y->at_ms) return x->at_ms < y->at_ms ? -1 : 1;
  return strcmp(x->field, y->field);
}

int cl_history_get(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *id,
                   const char *field, size_t limit, cl_history *out, kt_err *err) {
  memset(out, 0, sizeof *out);
  int rc = 0;
  cl_conn *c = NULL;
  kt_err cerr;
  kt_err_clear(&cerr);
  if (!cl_store_connected(s))
    snprintf(out->note, sizeof out->note, "this card index is not connected to an office "
             "server, which is where the history of cards is kept");
  else if (cl_session_open(loop, profile_dir, s, NULL, NULL, NULL, HISTORY_TIMEOUT_MS, &c, &cerr))
    snprintf(out->note, sizeof out->note, "the office server could not be reached (%.300s): "
             "only the changes made on this PC since the last sync are shown; the rest of the "
             "history needs the server", cerr.msg);
  if (c) {
    rc = ask_server(c, s, id, field, limit, out, err);
    cl_conn_free(c);
    if (rc) goto fail;
    out->online = true;
    /* the server sends newest first */
    for (size_t i = 0, j = out->n ? out->n - 1 : 0; i < j; i++, j--) {
      cl_hist_entry tmp = out->e[i];
      out->e[i] = out->e[j];
      out->e[j] = tmp;
    }
    return 0;
  }
  /* offline: the card must be on this PC */
  cl_rec *r = NULL;
  if ((rc = cl_store_get(s, id, &r, err))) goto fail;
  if (field && !kt_mtype_field(r->type, field)) {
    rc = kt_err_set(err, KT_EINVAL, "%s has no field '%s'", r->type->def->noun, field);
    cl_rec_free(r);
    goto fail;
  }
  snprintf(out->type, sizeof out->type, "%s", r->type->def->name);
  cl_rec_free(r);
  local_ctx lc = {s, id, field, out, 0};
  if ((rc = cl_outbox_list(s, true, on_outbox, &lc, err))) goto fail;
  if ((rc = lc.rc)) {
    kt_err_set(err, rc, "out of memory");
    goto fail;
  }
  qsort(out->e, out->n, sizeof *out->e, by_time);
  if (limit && out->n > limit) {
    size_t drop = out->n - limit;
    for (size_t i = 0; i < drop; i++) {
      kt_value_clear(&out->e[i].old_v);
      kt_value_clear(&out->e[i].new_v);
    }
    memmove(out->e, out->e + drop, limit * sizeof *out->e);
    out->n = limit;
    out->more = true;
  }
  return 0;
fail:
  cl_history_free(out);
  return rc;
}
