/* cl_reader — the read-only connection (see cl_reader.h): opening, refresh,
 * records by id with their related cards, search. The views (sorted, paged
 * lists) are in cl_reader_view.c; both share cl_reader_int.h.
 *
 * The connection is a cl_store opened read-only (SQLITE_OPEN_READONLY,
 * query_only, no migration, no checkpoints): the same model loading, the
 * same kt_coll collation and kt_fold function as the writer, so filters and
 * search mean what they mean for `list` and `search`. */
#include "cl_reader_int.h"

#include <stdlib.h>
#include <string.h>

#include "kt_migrate.h"

static const char *default_locale(void) {
  const char *l = getenv("LC_ALL");
  if (!l || !*l) l = getenv("LC_COLLATE");
  if (!l || !*l) l = getenv("LANG");
  return l ? l : "";
}

int cl_reader_open(const char *path, const cl_reader_opts *opts, cl_reader **out, kt_err *err) {
  cl_reader_opts o = {0};
  if (opts) o = *opts;
  const char *locale = o.locale ? o.locale : default_locale();
  cl_reader *r = calloc(1, sizeof *r);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  int rc = kt_collator_new(locale, &r->coll, err);
  if (rc) goto fail;
  cl_open_opts so = {.locale = locale, .busy_ms = o.busy_ms, .readonly = true};
  if ((rc = cl_store_open(path, &so, &r->s, err))) goto fail;
  int level = 0; /* a reader does not migrate: the writer upgrades the file */
  if ((rc = kt_migrate_level(cl_store_sqlite(r->s), &level, err))) goto fail;
  if (level != kt_migrate_latest()) {
    rc = kt_err_set(err, KT_EVERSION,
                    level < kt_migrate_latest()
                        ? "the card index %s is from an older version of Kartoteka (schema %d, "
                          "this program has %d): it is upgraded when a program that writes opens "
                          "it (the agent, or any command that changes something)"
                        : "the card index %s was made by a newer version of Kartoteka (schema "
                          "%d, this program knows %d): update Kartoteka on this PC",
                    path, level, kt_migrate_latest());
    goto fail;
  }
  r->dv = cl_store_data_version(r->s);
  r->model_gen = 1;
  r->no_index = o.no_sort_index;
  *out = r;
  return 0;
fail:
  cl_reader_close(r);
  return rc;
}

void cl_reader_close(cl_reader *r) {
  if (!r) return;
  cl_store_close(r->s);
  kt_collator_free(r->coll);
  free(r);
}

kt_model *cl_reader_model(cl_reader *r) { return cl_store_model(r->s); }
struct cl_store *cl_reader_store(cl_reader *r) { return r->s; }
int64_t cl_reader_data_version(cl_reader *r) { return cl_store_data_version(r->s); }

int cl__reader_sync_model(cl_reader *r, kt_err *err) {
  kt_model *before = cl_store_model(r->s);
  int rc = cl_store_refresh(r->s, err);
  if (rc) return rc;
  if (cl_store_model(r->s) != before) r->model_gen++;
  return 0;
}

int cl_reader_refresh(cl_reader *r, bool *changed, kt_err *err) {
  int64_t v = cl_store_data_version(r->s);
  bool ch = v != r->dv;
  r->dv = v;
  if (ch) {
    int rc = cl__reader_sync_model(r, err);
    if (rc) return rc;
  }
  if (changed) *changed = ch;
  return 0;
}

int cl_reader_get(cl_reader *r, const char *id, kt_rec **out, kt_err *err) {
  return cl_store_get(r->s, id, out, err);
}

int cl_reader_related(cl_reader *r, const kt_rec *rec, cl_reader_cb cb, void *ud, kt_err *err) {
  return cl_store_related(r->s, rec, cb, ud, err);
}

int cl_reader_search(cl_reader *r, const char *text, const char *type, int limit, bool trash,
                     cl_reader_cb cb, void *ud, kt_err *err) {
  return cl_store_search(r->s, text, type, limit, trash, cb, ud, err);
}
