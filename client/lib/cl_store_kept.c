/* cl_store_kept — values of fields this program does not know (rolling
 * upgrades). A pulled value of a newer server's built-in field, or of a field
 * whose definition has not arrived, is kept in kept_value as received (value,
 * stamp, device UUID), merged by the usual rule (the higher stamp wins); the
 * outbox's pushes of the record carry it back unchanged (`kept`, which the
 * server skips); when the model learns the field (the program was upgraded,
 * or the definition arrived) the values move into the records' column.
 * Invariant: a kept row names a field the model does not know, or is about to
 * be promoted within the same transaction. */
#include "cl_store_int.h"

#include <stdlib.h>
#include <string.h>

#include "kt_alloc.h"

/* Tests only: KT_TEST_UNKNOWN_FIELDS="type.name,..." (read at open) makes this
 * program treat those fields as unknown when it applies pulled data (an older PC). */
bool cl__field_known(const cl_store *s, const kt_mtype *t, const char *name) {
  const char *e = s->test_unknown;
  if (!e) return true;
  size_t tl = strlen(t->def->name), nl = strlen(name);
  for (const char *p = e; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == tl + 1 + nl && strncmp(p, t->def->name, tl) == 0 && p[tl] == '.' &&
        strncmp(p + tl + 1, name, nl) == 0)
      return false;
    p += len + (end ? 1 : 0);
  }
  return true;
}

static void bind_key(sqlite3_stmt *st, const kt_mtype *t, const char *name, int64_t rid) {
  sqlite3_bind_int(st, 1, t->def->code);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, rid);
}

int cl__kept_note(cl_store *s, const kt_mtype *t, int64_t rid, const Kartoteka__FieldValue *fv,
                  kt_err *err) {
  sqlite3_stmt *st;
  if (fv->hidden) { /* not the user's to see (any more): forget it */
    if (!(st = cl_db_st(&s->d, CL_ST_KEPT_DEL, err))) return cl_db_st_rc(&s->d);
    bind_key(st, t, fv->name, rid);
    return cl_db_step_done(&s->d, st, err);
  }
  if (!(st = cl_db_st(&s->d, CL_ST_KEPT_GET, err))) return cl_db_st_rc(&s->d);
  bind_key(st, t, fv->name, rid);
  int src = sqlite3_step(st);
  int cmp = 1;
  if (src == SQLITE_ROW)
    cmp = kt_merge_cmp(fv->stamp, fv->device, (kt_stamp)sqlite3_column_int64(st, 0),
                       (const char *)sqlite3_column_text(st, 1));
  sqlite3_reset(st);
  if (src != SQLITE_ROW && src != SQLITE_DONE)
    return cl_db_error(&s->d, src, "reading a kept value", err);
  kt_hlc_recv(&s->hlc, fv->stamp, 0, NULL);
  if (cmp <= 0) return 0; /* what is kept is as new or newer */
  if (!(st = cl_db_st(&s->d, CL_ST_KEPT_PUT, err))) return cl_db_st_rc(&s->d);
  bind_key(st, t, fv->name, rid);
  if (fv->is_null) sqlite3_bind_null(st, 4);
  else if (fv->value_case == KARTOTEKA__FIELD_VALUE__VALUE_NUM) sqlite3_bind_int64(st, 4, fv->num);
  else if (fv->value_case == KARTOTEKA__FIELD_VALUE__VALUE_TEXT)
    sqlite3_bind_text(st, 4, fv->text, -1, SQLITE_STATIC);
  else sqlite3_bind_null(st, 4);
  sqlite3_bind_int64(st, 5, (int64_t)fv->stamp);
  sqlite3_bind_text(st, 6, fv->device ? fv->device : "", -1, SQLITE_STATIC);
  return cl_db_step_done(&s->d, st, err);
}

int cl__kept_forget(cl_store *s, const kt_mtype *t, int64_t rid, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_KEPT_FORGET, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, t->def->code);
  sqlite3_bind_int64(st, 2, rid);
  return cl_db_step_done(&s->d, st, err);
}

/* One kept value as a FieldValue, its strings inline (one allocation). */
typedef struct kept_node {
  struct kept_node *next;
  int64_t rid; /* the record's row (promotion) */
  Kartoteka__FieldValue fv;
  char str[]; /* name, device, text: each NUL-terminated */
} kept_node;

/* A node from a row (name, value, stamp, device[, rid]) at columns c..; NULL on OOM. */
static kept_node *node_from_row(sqlite3_stmt *st, int c) {
  const char *name = (const char *)sqlite3_column_text(st, c);
  const char *dev = (const char *)sqlite3_column_text(st, c + 3);
  int vt = sqlite3_column_type(st, c + 1);
  const char *text = vt == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, c + 1) : NULL;
  size_t nl = strlen(name ? name : ""), dl = strlen(dev ? dev : ""), tl = text ? strlen(text) : 0;
  kept_node *k = kt_malloc(sizeof *k + nl + dl + tl + 3);
  if (!k) return NULL;
  k->next = NULL;
  k->rid = sqlite3_column_count(st) > c + 4 ? sqlite3_column_int64(st, c + 4) : 0;
  kartoteka__field_value__init(&k->fv);
  char *p = k->str;
  memcpy(p, name ? name : "", nl + 1);
  k->fv.name = p;
  p += nl + 1;
  memcpy(p, dev ? dev : "", dl + 1);
  k->fv.device = p;
  p += dl + 1;
  if (vt == SQLITE_INTEGER) {
    k->fv.value_case = KARTOTEKA__FIELD_VALUE__VALUE_NUM;
    k->fv.num = sqlite3_column_int64(st, c + 1);
  } else if (text) {
    memcpy(p, text, tl + 1);
    k->fv.value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
    k->fv.text = p;
  } else {
    k->fv.is_null = true;
  }
  k->fv.stamp = (uint64_t)sqlite3_column_int64(st, c + 2);
  return k;
}

void cl_store_kept_release(void *block) {
  for (kept_node *k = block, *next; k; k = next) {
    next = k->next;
    kt_free(k);
  }
}

int cl_store_kept_attach(cl_store *s, const cl_rec *r, Kartoteka__Change *ch, void **block,
                         kt_err *err) {
  *block = NULL;
  if (!ch->n_fields || !r->rowid) return 0;
  const kt_mtype *t = r->type;
  int64_t rid = r->rowid;
  int src;
  sqlite3_stmt *st;
  if (!(st = cl_db_st(&s->d, CL_ST_KEPT_OF_REC, err))) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, t->def->code);
  sqlite3_bind_int64(st, 2, rid);
  kept_node *head = NULL, **tail = &head;
  size_t n = 0;
  int rc = 0;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    kept_node *k = node_from_row(st, 0);
    if (!k) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory while sending kept values");
      break;
    }
    k->fv.base_stamp = k->fv.stamp; /* unchanged since it was pulled */
    k->fv.kept = true;
    *tail = k;
    tail = &k->next;
    n++;
  }
  sqlite3_reset(st);
  if (!rc && src != SQLITE_DONE) rc = cl_db_error(&s->d, src, "reading kept values", err);
  Kartoteka__FieldValue **fields = NULL;
  if (!rc && n && !(fields = kt_realloc(ch->fields, (ch->n_fields + n) * sizeof *fields)))
    rc = kt_err_set(err, KT_ENOMEM, "out of memory while sending kept values");
  if (rc || !n) {
    cl_store_kept_release(head);
    return rc;
  }
  ch->fields = fields;
  for (kept_node *k = head; k; k = k->next) ch->fields[ch->n_fields++] = &k->fv;
  *block = head;
  return 0;
}

/* Moves the kept values of field (t, name), which the model now knows, into
 * the records: each applied as a pulled value (the higher stamp wins). */
static int promote_field(cl_store *s, kt_mtype *t, const char *name, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_KEPT_OF_FIELD, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_int(st, 1, t->def->code);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
  /* read them all first: applying writes the tables the statement reads */
  kept_node *head = NULL, **tail = &head;
  int rc = 0, src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    kept_node *k = node_from_row(st, 0);
    if (!k) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory while taking in kept values");
      break;
    }
    *tail = k;
    tail = &k->next;
  }
  sqlite3_reset(st);
  if (!rc && src != SQLITE_DONE) rc = cl_db_error(&s->d, src, "reading kept values", err);
  for (kept_node *k = head; !rc && k; k = k->next) {
    int64_t rid = k->rid;
    if (!(st = cl_db_tst(&s->d, t, CL_TST_BY_ROWID, err))) {
      rc = cl_db_st_rc(&s->d);
      break;
    }
    sqlite3_bind_int64(st, 1, rid);
    kt_buf id = KT_BUF_INIT;
    if ((src = sqlite3_step(st)) == SQLITE_ROW)
      kt_buf_puts(&id, (const char *)sqlite3_column_text(st, 2)); /* rowid, ver, id, ... */
    sqlite3_reset(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE) rc = cl_db_error(&s->d, src, "reading a card", err);
    else if (id.oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory while taking in kept values");
    else if (src == SQLITE_ROW) {
      Kartoteka__Change ch = KARTOTEKA__CHANGE__INIT;
      Kartoteka__FieldValue *one = &k->fv;
      ch.type = (char *)t->def->name;
      ch.id = (char *)kt_buf_str(&id);
      ch.fields = &one;
      ch.n_fields = 1;
      rc = cl_store_apply(s, &ch, err);
    }
    kt_buf_free(&id);
    if (!rc) {
      if (!(st = cl_db_st(&s->d, CL_ST_KEPT_DEL, err))) rc = cl_db_st_rc(&s->d);
      else {
        bind_key(st, t, name, rid);
        rc = cl_db_step_done(&s->d, st, err);
      }
    }
  }
  cl_store_kept_release(head);
  return rc;
}

/* Walks the fields that have kept values; those this program knows now are
 * moved into their records (promote) or just noticed (*found). */
static int kept_scan(cl_store *s, bool promote, bool *found, kt_err *err) {
  int tcode = -1;
  kt_buf name = KT_BUF_INIT;
  int rc = 0;
  for (;;) {
    sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_KEPT_NEXT, err);
    if (!st) {
      rc = cl_db_st_rc(&s->d);
      break;
    }
    sqlite3_bind_int(st, 1, tcode);
    sqlite3_bind_text(st, 2, kt_buf_str(&name), -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
      tcode = sqlite3_column_int(st, 0);
      kt_buf_reset(&name);
      kt_buf_puts(&name, (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_reset(st);
    if (src == SQLITE_DONE) break;
    if (src != SQLITE_ROW) {
      rc = cl_db_error(&s->d, src, "reading kept values", err);
      break;
    }
    if (name.oom) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory while taking in kept values");
      break;
    }
    kt_mtype *t = kt_model_type_by_code(s->model, tcode);
    if (t && kt_mtype_field(t, kt_buf_str(&name)) && cl__field_known(s, t, kt_buf_str(&name))) {
      if (found) *found = true;
      if (!promote) break;
      if ((rc = promote_field(s, t, kt_buf_str(&name), err))) break;
    }
  }
  kt_buf_free(&name);
  return rc;
}

int cl__kept_promote(cl_store *s, kt_err *err) { return kept_scan(s, true, NULL, err); }

bool cl_store_kept_waiting(cl_store *s) {
  bool found = false;
  return kept_scan(s, false, &found, NULL) == 0 && found;
}
