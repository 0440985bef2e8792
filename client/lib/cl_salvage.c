/* cl_salvage — see cl_salvage.h. A scan walks a rowid table in key order;
 * when a step fails (a damaged page), probes "first key >= p" for doubling p
 * until one answers, narrows that down by bisection to where the readable
 * keys resume, and goes on from there (a probe reads only keys, so a row
 * whose own payload is damaged is skipped alone). */
#include "cl_salvage.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_rec.h"
#include "kt_registry.h"
#include "kt_ver.h"

#define NMETA (int)(sizeof meta_keys / sizeof meta_keys[0])
static const char *const meta_keys[] = {
    "user",   "device_id", "mode",           "server",        "token", "server_epoch", "user_id",
    "role",   "rights",    "account",        "snooze_seconds", "birthday_days", "hlc"};

typedef struct entry {
  int64_t seq;
  bool def; /* a field definition: applied first */
  Kartoteka__Change ch;
} entry;

struct cl_salvage {
  sqlite3 *db;
  char *meta[NMETA];
  int64_t counter;
  int64_t selfdev;
  entry *v;
  size_t n, cap;
  cl_salvage_stats st;
  /* per type code: the damaged replica's field name of each version index */
  const char *vname[KT_MAX_TYPES][KT_MAX_FIELDS];
  char *custom[KT_MAX_TYPES][KT_MAX_FIELDS - KT_CUSTOM_BASE];
};

/* ---- reading past damage ---------------------------------------------------------- */

typedef int (*row_fn)(cl_salvage *sv, sqlite3_stmt *st); /* non-zero: out of memory, stop */

/* The first key >= p: 1 (found, *key), 0 (none), -1 (damaged there). */
static int probe(sqlite3 *db, const char *table, int64_t p, int64_t *key) {
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT rowid FROM %s WHERE rowid >= ?1 ORDER BY rowid LIMIT 1", table);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
  sqlite3_bind_int64(st, 1, p);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *key = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Where readable keys resume after last (a step past it failed): the key to
 * continue after, or -1 when nothing after it can be read. */
static int64_t resume_after(sqlite3 *db, const char *table, int64_t last) {
  int64_t bad = last, good = -1, key = 0;
  for (int64_t step = 1; step > 0 && last <= INT64_MAX - step; step *= 2) {
    int r = probe(db, table, last + step, &key);
    if (r == 0) return -1; /* the table ends there */
    if (r == 1) {
      good = last + step;
      break;
    }
    bad = last + step;
  }
  if (good < 0) return -1;
  while (good - bad > 1) {
    int64_t mid = bad + (good - bad) / 2;
    if (probe(db, table, mid, &key) == -1) bad = mid;
    else good = mid;
  }
  if (probe(db, table, good, &key) != 1) return -1;
  /* the key right after last answers a probe: that row's own content is
     what failed, skip it alone */
  return good == last + 1 ? key : good - 1;
}

/* Calls fn for every readable row of "SELECT rowid, cols FROM table". */
static int scan(cl_salvage *sv, const char *table, const char *cols, row_fn fn) {
  char sql[300];
  snprintf(sql, sizeof sql, "SELECT rowid, %s FROM %s WHERE rowid > ?1 ORDER BY rowid", cols, table);
  int64_t last = INT64_MIN;
  for (;;) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(sv->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(st);
      sv->st.gaps++;
      return 0; /* the table itself cannot be read */
    }
    sqlite3_bind_int64(st, 1, last);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      last = sqlite3_column_int64(st, 0);
      if (fn(sv, st)) {
        sqlite3_finalize(st);
        return KT_ENOMEM;
      }
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return 0;
    sv->st.gaps++;
    if (last == INT64_MIN) last = 0; /* rowids here are positive */
    int64_t next = resume_after(sv->db, table, last);
    if (next < 0) return 0;
    last = next;
  }
}

/* ---- what the file holds ---------------------------------------------------------- */

static int meta_index(const char *key) {
  for (int i = 0; key && i < NMETA; i++)
    if (strcmp(meta_keys[i], key) == 0) return i;
  return -1;
}

static void meta_put(cl_salvage *sv, const char *key, const unsigned char *value) {
  int i = meta_index(key);
  if (i < 0 || !value || sv->meta[i]) return;
  sv->meta[i] = strdup((const char *)value);
  if (sv->meta[i]) sv->st.meta++;
}

/* meta has no rowid: one scan, then a lookup of each setting still missing */
static void read_meta(cl_salvage *sv) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(sv->db, "SELECT key, value FROM meta", -1, &st, NULL) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW)
      meta_put(sv, (const char *)sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  for (int i = 0; i < NMETA; i++) {
    if (sv->meta[i]) continue;
    st = NULL;
    if (sqlite3_prepare_v2(sv->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
      sqlite3_bind_text(st, 1, meta_keys[i], -1, SQLITE_STATIC);
      if (sqlite3_step(st) == SQLITE_ROW) meta_put(sv, meta_keys[i], sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
  }
}

static int on_device(cl_salvage *sv, sqlite3_stmt *st) {
  const char *uuid = (const char *)sqlite3_column_text(st, 1);
  const char *self = cl_salvage_meta(sv, "device_id");
  if (uuid && self && strcmp(uuid, self) == 0) sv->selfdev = sqlite3_column_int64(st, 0);
  return 0;
}

static void read_counter(cl_salvage *sv) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(sv->db, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'", -1, &st,
                         NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    sv->counter = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
}

/* The damaged replica's numbering: built-ins by registry position, custom
 * fields by the order of their columns (cl_store's rule). */
static int read_schema(cl_salvage *sv) {
  int nt;
  const kt_typedef *t = kt_registry_types(&nt);
  int tables = 0;
  for (int i = 0; i < nt; i++) {
    for (int k = 0; k < t[i].nfields; k++) sv->vname[t[i].code][k] = t[i].fields[k].name;
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA table_info(t_%s)", t[i].name);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(sv->db, sql, -1, &st, NULL) != SQLITE_OK) {
      sqlite3_finalize(st);
      continue;
    }
    int j = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const char *col = (const char *)sqlite3_column_text(st, 1);
      if (!col || strncmp(col, "c_", 2) != 0 || j >= KT_MAX_FIELDS - KT_CUSTOM_BASE) continue;
      if (!(sv->custom[t[i].code][j] = strdup(col + 2))) {
        sqlite3_finalize(st);
        return KT_ENOMEM;
      }
      sv->vname[t[i].code][KT_CUSTOM_BASE + j] = sv->custom[t[i].code][j];
      j++;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) tables++;
  }
  return tables ? 0 : KT_ECORRUPT;
}

static Kartoteka__FieldValue *fv_new(const char *name) {
  Kartoteka__FieldValue *fv = calloc(1, sizeof *fv);
  if (!fv) return NULL;
  kartoteka__field_value__init(fv);
  if (!(fv->name = strdup(name))) {
    free(fv);
    return NULL;
  }
  return fv;
}

/* Fills the value of fv from column c of the row. */
static int fv_value(Kartoteka__FieldValue *fv, sqlite3_stmt *row, int c) {
  switch (sqlite3_column_type(row, c)) {
  case SQLITE_INTEGER:
    fv->value_case = KARTOTEKA__FIELD_VALUE__VALUE_NUM;
    fv->num = sqlite3_column_int64(row, c);
    return 0;
  case SQLITE_TEXT:
    fv->value_case = KARTOTEKA__FIELD_VALUE__VALUE_TEXT;
    fv->text = strdup((const char *)sqlite3_column_text(row, c));
    return fv->text ? 0 : KT_ENOMEM;
  case SQLITE_NULL:
    fv->is_null = true;
    return 0;
  default:
    return KT_EINVAL; /* not a value this program writes */
  }
}

static void change_clear(Kartoteka__Change *ch) {
  for (size_t i = 0; i < ch->n_fields; i++) {
    free(ch->fields[i]->name);
    if (ch->fields[i]->value_case == KARTOTEKA__FIELD_VALUE__VALUE_TEXT) /* a oneof: a union */
      free(ch->fields[i]->text);
    free(ch->fields[i]->device);
    free(ch->fields[i]);
  }
  free(ch->fields);
  free(ch->type);
  free(ch->id);
}

/* The change of one outbox entry: the fields it names whose version is this
 * device's (a newer pulled value had replaced the others), read from the
 * record's row. 1 when the row could not be read. */
static int build_change(cl_salvage *sv, const kt_typedef *td, int64_t rid, const kt_fset *fields,
                        const kt_vers *base, entry *e) {
  char sql[96];
  snprintf(sql, sizeof sql, "SELECT * FROM t_%s WHERE rowid = ?1", td->name);
  sqlite3_stmt *row = NULL;
  if (sqlite3_prepare_v2(sv->db, sql, -1, &row, NULL) != SQLITE_OK) {
    sqlite3_finalize(row);
    return 1;
  }
  sqlite3_bind_int64(row, 1, rid);
  if (sqlite3_step(row) != SQLITE_ROW) {
    sqlite3_finalize(row);
    return 1;
  }
  int ncol = sqlite3_column_count(row), cid = -1, cver = -1;
  for (int c = 0; c < ncol; c++) {
    const char *n = sqlite3_column_name(row, c);
    if (strcmp(n, "id") == 0) cid = c;
    else if (strcmp(n, "ver") == 0) cver = c;
  }
  kt_vers vers;
  const char *id = cid >= 0 ? (const char *)sqlite3_column_text(row, cid) : NULL;
  if (!id || cver < 0 ||
      kt_vers_decode(sqlite3_column_blob(row, cver), (size_t)sqlite3_column_bytes(row, cver), &vers)) {
    sqlite3_finalize(row);
    return 1;
  }
  Kartoteka__Change *ch = &e->ch;
  kartoteka__change__init(ch);
  int rc = 0;
  if (!(ch->type = strdup(td->name)) || !(ch->id = strdup(id)) ||
      !(ch->fields = calloc(KT_MAX_FIELDS, sizeof *ch->fields)))
    rc = KT_ENOMEM;
  for (int k = 0; !rc && k < KT_MAX_FIELDS; k++) {
    const char *name = sv->vname[td->code][k];
    if (!kt_fset_has(fields, k) || !name || k == KT_F_ID || k == KT_F_UPDATED) continue;
    if (!vers.f[k].stamp || (int64_t)vers.f[k].dev != sv->selfdev) continue;
    char colname[KT_NAME_MAX + 2];
    snprintf(colname, sizeof colname, "%s%s", k >= KT_CUSTOM_BASE ? "c_" : "", name);
    int c = -1;
    for (int x = 0; x < ncol && c < 0; x++)
      if (strcmp(sqlite3_column_name(row, x), colname) == 0) c = x;
    if (c < 0) continue;
    Kartoteka__FieldValue *fv = fv_new(name);
    if (!fv) {
      rc = KT_ENOMEM;
      break;
    }
    ch->fields[ch->n_fields++] = fv;
    fv->stamp = vers.f[k].stamp;
    fv->base_stamp = base->f[k].stamp;
    if (!(fv->device = strdup(cl_salvage_meta(sv, "device_id")))) rc = KT_ENOMEM;
    else if ((rc = fv_value(fv, row, c)) == KT_EINVAL) {
      ch->n_fields--;
      free(fv->name);
      free(fv->device);
      free(fv);
      rc = 0;
    }
  }
  sqlite3_finalize(row);
  return rc;
}

static int on_outbox(cl_salvage *sv, sqlite3_stmt *st) {
  sv->st.outbox++;
  int64_t seq = sqlite3_column_int64(st, 0);
  const kt_typedef *td = kt_registry_type_by_code(sqlite3_column_int(st, 1));
  kt_fset fields;
  kt_vers base;
  memset(&base, 0, sizeof base);
  if (!td || kt_fset_decode(sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3), &fields) ||
      (sqlite3_column_bytes(st, 4) &&
       kt_vers_decode(sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), &base))) {
    sv->st.rows_lost++;
    return 0;
  }
  if (sv->n == sv->cap) {
    size_t cap = sv->cap ? sv->cap * 2 : 64;
    entry *p = realloc(sv->v, cap * sizeof *p);
    if (!p) return KT_ENOMEM;
    sv->v = p;
    sv->cap = cap;
  }
  entry *e = &sv->v[sv->n];
  memset(e, 0, sizeof *e);
  int rc = build_change(sv, td, sqlite3_column_int64(st, 2), &fields, &base, e);
  if (rc == KT_ENOMEM) {
    change_clear(&e->ch);
    return rc;
  }
  if (rc || !e->ch.n_fields) {
    if (rc) sv->st.rows_lost++;
    change_clear(&e->ch);
    return 0;
  }
  e->seq = seq;
  e->def = strcmp(td->name, "field_def") == 0;
  sv->n++;
  sv->st.changes++;
  return 0;
}

static int entry_cmp(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->def != y->def) return x->def ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int cl_salvage_read(const char *path, const char *device_id, cl_salvage **out, kt_err *err) {
  cl_salvage *sv = calloc(1, sizeof *sv);
  if (!sv) return kt_err_set(err, KT_ENOMEM, "out of memory");
  sv->selfdev = 1; /* the creator's own device is the first row of its table */
  int rc = sqlite3_open_v2(path, &sv->db, SQLITE_OPEN_READWRITE, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_exec(sv->db, "PRAGMA query_only=1", NULL, NULL, NULL);
    rc = read_schema(sv);
    if (rc == KT_ECORRUPT)
      rc = kt_err_set(err, KT_ECORRUPT, "nothing can be read from %s (its table list is damaged)",
                      path);
    else if (rc)
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  } else {
    rc = kt_err_set(err, KT_ECORRUPT, "cannot open %s: %s", path,
                    sv->db ? sqlite3_errmsg(sv->db) : sqlite3_errstr(rc));
  }
  if (!rc) {
    read_meta(sv);
    int di = meta_index("device_id");
    if (!sv->meta[di] && device_id && !(sv->meta[di] = strdup(device_id)))
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  if (!rc) {
    read_counter(sv);
    /* without this device's id nothing can be told to be its own */
    if (cl_salvage_meta(sv, "device_id") &&
        (scan(sv, "device", "uuid", on_device) ||
         scan(sv, "outbox", "tcode, rid, fields, base", on_outbox)))
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  sqlite3_close(sv->db);
  sv->db = NULL;
  if (rc) {
    cl_salvage_free(sv);
    return rc;
  }
  if (sv->n) qsort(sv->v, sv->n, sizeof *sv->v, entry_cmp);
  *out = sv;
  return 0;
}

void cl_salvage_free(cl_salvage *sv) {
  if (!sv) return;
  sqlite3_close(sv->db);
  for (int i = 0; i < NMETA; i++) free(sv->meta[i]);
  for (size_t i = 0; i < sv->n; i++) change_clear(&sv->v[i].ch);
  free(sv->v);
  for (int t = 0; t < KT_MAX_TYPES; t++)
    for (int j = 0; j < KT_MAX_FIELDS - KT_CUSTOM_BASE; j++) free(sv->custom[t][j]);
  free(sv);
}

const char *cl_salvage_meta(const cl_salvage *sv, const char *key) {
  int i = meta_index(key);
  return i < 0 ? NULL : sv->meta[i];
}

int64_t cl_salvage_counter(const cl_salvage *sv) { return sv->counter; }
size_t cl_salvage_count(const cl_salvage *sv) { return sv->n; }
const Kartoteka__Change *cl_salvage_change(const cl_salvage *sv, size_t i) {
  return i < sv->n ? &sv->v[i].ch : NULL;
}
void cl_salvage_stats_get(const cl_salvage *sv, cl_salvage_stats *out) { *out = sv->st; }
