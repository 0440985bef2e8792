/* cl_mass — mass edit (see cl_mass.h): collect the ids, ask leave, edit
 * them all in one transaction. */
#include "cl_mass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_remote.h"
#include "kt_buf.h"

typedef struct ids {
  char (*id)[40];
  size_t n, cap;
  bool oom;
} ids;

static int on_rec(void *ud, const cl_rec *r) {
  ids *l = ud;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    char (*p)[40] = realloc(l->id, cap * sizeof *p);
    if (!p) {
      l->oom = true;
      return 1;
    }
    l->id = p;
    l->cap = cap;
  }
  snprintf(l->id[l->n++], sizeof l->id[0], "%s", cl_rec_id(r));
  return 0;
}

/* The server's leave for a connected profile: it checks the right and audits. */
static int ask_leave(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *type,
                     size_t count, const char *what, kt_err *err) {
  if (!profile_dir || !cl_store_connected(s)) return 0; /* a standalone card index */
  char n[32];
  snprintf(n, sizeof n, "%zu", count);
  const char *keys[] = {"count", "what"};
  const char *vals[] = {n, what ? what : ""};
  kt_buf out = KT_BUF_INIT;
  kt_err e2;
  kt_err_clear(&e2);
  int rc = cl_admin(loop, profile_dir, s, "mass_edit", type, keys, vals, 2, &out, &e2);
  kt_buf_free(&out);
  if (rc == KT_EPERM || rc == KT_EDISABLED || rc == KT_EREVOKED || rc == KT_EAUTH)
    return kt_err_set(err, rc, "%s; nothing changed", e2.msg);
  if (rc)
    return kt_err_set(err, KT_ENET, "a mass edit needs the office server, which records who "
                      "changed how many cards, and it could not be asked (%s); nothing changed: "
                      "try again when connected", e2.msg);
  return 0;
}

int cl_mass_edit(uv_loop_t *loop, const char *profile_dir, cl_store *s, const cl_query *q,
                 const cl_set *sets, int n, bool dry_run, const char *what, cl_mass_res *out,
                 kt_err *err) {
  memset(out, 0, sizeof *out);
  if (!q->nwhere)
    return kt_err_set(err, KT_EINVAL, "a mass edit needs at least one --where filter");
  if (n <= 0) return kt_err_set(err, KT_EINVAL, "give the fields to change with --set FIELD=VALUE");
  const kt_rights *r = cl_store_rights(s);
  if (cl_store_connected(s) && r && !r->mass_update)
    return kt_err_set(err, KT_EPERM, "your role (%s) may not edit many cards at once; ask your "
                      "administrator for the mass_update right (`kartoteka admin role set --role "
                      "ROLE --rights +mass_update`); nothing changed",
                      *cl_store_role(s) ? cl_store_role(s) : "not known");
  ids l = {0};
  int rc = cl_store_list(s, q, on_rec, &l, err);
  if (!rc && l.oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!rc && !l.n) rc = kt_err_set(err, KT_ENOTFOUND, "no %s matches the filters; nothing "
                                   "changed", q->type);
  if (!rc && !dry_run) rc = ask_leave(loop, profile_dir, s, q->type, l.n, what, err);
  if (rc) goto out;
  out->matched = l.n;
  if ((rc = cl_store_begin(s, err))) goto out;
  for (size_t i = 0; i < l.n && !rc; i++) {
    int changed = 0;
    kt_err e2;
    kt_err_clear(&e2);
    if ((rc = cl_store_edit(s, l.id[i], sets, n, &changed, &e2)))
      kt_err_set(err, rc, "card %s: %s; nothing changed", l.id[i], e2.msg);
    else if (changed)
      out->changed++;
  }
  if (rc || dry_run) cl_store_rollback(s);
  else rc = cl_store_commit(s, err);
out:
  free(l.id);
  return rc;
}
