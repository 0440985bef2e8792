/* cl_import — see cl_import.h. */
#include "cl_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_rowset.h"
#include "cl_remote.h"
#include "kt_text.h"

static bool same_folded(const char *a, const char *b) {
  size_t la, lb;
  const char *ta = kt_text_trim(a, &la), *tb = kt_text_trim(b, &lb);
  return kt_text_same_folded(ta, la, tb, lb);
}

int cl_import_csv(cl_store *s, const char *path, const char *type, const cl_colmap *map, int nmap,
                  const char *encoding, bool dry_run, struct cl_claimer *claims,
                  cl_import_skip_fn skip, void *skip_ud, int *count, kt_err *err) {
  kt_mtype *t;
  int rc = kt_model_type_get(cl_store_model(s), type, &t, err);
  if (rc) return rc;
  const kt_rights *rights = cl_store_rights(s);
  if (rights && !rights->can_import)
    return kt_err_set(err, KT_EPERM, "your role (%s) may not import cards; ask your administrator "
                      "for the import right (`kartoteka admin role set --role ROLE --rights "
                      "+import`)",
                      cl_store_role(s));
  cl_rowset *rs = NULL;
  cl_read_opts ro = {encoding, 0, NULL};
  if ((rc = cl_rowset_read("csv", path, &ro, &rs, err))) return rc;
  const char **fields = NULL;
  cl_set *sets = NULL;
  int nh = rs->nheader;
  char **h = rs->header;
  *count = 0;
  fields = calloc((size_t)nh + 1, sizeof *fields);
  sets = calloc((size_t)nh + 1, sizeof *sets);
  if (!fields || !sets) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  for (int i = 0; i < nh; i++) {
    const char *f = NULL;
    for (int m = 0; m < nmap; m++)
      if (same_folded(map[m].column, h[i])) f = map[m].field;
    for (int k = 0; !f && k < t->nfields; k++)
      if (same_folded(t->fields[k].name, h[i]) || same_folded(kt_mfield_label(&t->fields[k]), h[i]))
        f = t->fields[k].name;
    if (!f) {
      rc = kt_err_set(err, KT_EINVAL, "column '%s' matches no field of %s; map it with --map "
                      "'%s=FIELD' (or --map '%s=' to skip it); `kartoteka field list %s` lists the "
                      "fields", h[i], type, h[i], h[i], type);
      goto out;
    }
    fields[i] = *f ? f : NULL;
  }
  if ((rc = cl_store_begin(s, err))) goto out;
  for (int ri = 0; ri < rs->nrows; ri++) {
    const cl_row *row = &rs->rows[ri];
    int nv = row->ncells, n = 0;
    char **v = row->cells;
    for (int i = 0; i < nv && i < nh; i++)
      if (fields[i] && *v[i]) sets[n++] = (cl_set){fields[i], v[i]};
    if (nv > nh) {
      rc = kt_err_set(err, KT_EINVAL, "line %d has %d values but the header names %d columns",
                      row->line, nv, nh);
      break;
    }
    if (!n) continue;
    if (claims) {
      cl_claim cl;
      if ((rc = cl_claimer_check(claims, type, sets, n, &cl, err))) break;
      if (cl.exists) {
        if (skip) skip(skip_ud, row->line, &cl);
        continue;
      }
    }
    if ((rc = cl_store_add(s, type, sets, n, NULL, err))) {
      kt_err_prefix(err, "%s line %d", path, row->line);
      break;
    }
    (*count)++;
  }
  if (rc || dry_run) cl_store_rollback(s);
  else rc = cl_store_commit(s, err);
out:
  free(fields);
  free(sets);
  cl_rowset_free(rs);
  return rc;
}
