/* cl_store_write — local writes: add, edit, delete, restore; parsing typed
 * values, resolving references, groups and users; the mirror of the user's
 * rights (the server enforces them; this only tells the user at once).
 *
 * Write path of every edit, in one transaction: record row (values + version
 * blob), search index (contentless FTS5: the old body is recomputed from the
 * old row to delete it), phone trigram index, outbox entry (one per record;
 * later unsent edits merge into it and take a fresh change number, keeping
 * the base versions of the first unsent edit). */
#include "cl_store_int.h"

#include <stdio.h>
#include <string.h>

#include "kt_i18n.h"

/* ---- row writes ------------------------------------------------------------------------ */

int cl__row_write(cl_store *s, cl_rec *r, bool insert, kt_err *err) {
  kt_buf vb = KT_BUF_INIT;
  kt_vers_encode(&r->vers, NULL, &vb);
  if (vb.oom) return kt_err_set(err, KT_ENOMEM, "out of memory");
  sqlite3_stmt *st = cl_db_tst(&s->d, r->type, insert ? CL_TST_INSERT : CL_TST_UPDATE, err);
  if (!st) {
    kt_buf_free(&vb);
    return cl_db_st_rc(&s->d);
  }
  kt_rec_bind(r, st, insert, &vb);
  int rc = cl_db_step_done(&s->d, st, err);
  kt_buf_free(&vb);
  if (!rc && insert) r->rowid = sqlite3_last_insert_rowid(s->d.db);
  return rc;
}

int cl__row_insert_new(cl_store *s, cl_rec *r, bool *exists, kt_err *err) {
  *exists = false;
  kt_buf vb = KT_BUF_INIT;
  kt_vers_encode(&r->vers, NULL, &vb);
  if (vb.oom) return kt_err_set(err, KT_ENOMEM, "out of memory");
  sqlite3_stmt *st = cl_db_tst(&s->d, r->type, CL_TST_INSERT, err);
  if (!st) {
    kt_buf_free(&vb);
    return cl_db_st_rc(&s->d);
  }
  kt_rec_bind(r, st, true, &vb);
  int src = sqlite3_step(st);
  int ext = sqlite3_extended_errcode(s->d.db);
  sqlite3_reset(st);
  kt_buf_free(&vb);
  if (src == SQLITE_DONE) {
    r->rowid = sqlite3_last_insert_rowid(s->d.db);
    return 0;
  }
  if (ext == SQLITE_CONSTRAINT_UNIQUE) { /* the id (the only UNIQUE column of a record) */
    *exists = true;
    return 0;
  }
  return cl_db_error(&s->d, src, "writing a card", err);
}

static int ref_exists(cl_store *s, const kt_mfield *f, const char *id, kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, f->ref);
  if (!t) return kt_err_set(err, KT_EINTERNAL, "bad reference type %s", f->ref);
  sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ID, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "checking a reference", err);
  return kt_err_set(err, KT_EINVAL,
                    KT_("%s: no %s with id %s%s; find it with `kartoteka search` or `kartoteka "
                        "list %s`"),
                    f->name, kt_i18n_noun(t->def->noun), id, cl__not_here(s), f->ref);
}

/* Resolves a reference typed as a name ("ООО Ромашка") to an id when exactly
 * one live record of the target type has that title. */
int cl__resolve_ref(cl_store *s, const kt_mfield *f, const char *text, kt_buf *id_out,
                    kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, f->ref);
  kt_mfield *tf = NULL;
  for (int k = 0; t && k < t->nfields; k++)
    if (t->fields[k].flags & KT_FF_TITLE) {
      tf = &t->fields[k];
      break;
    }
  if (!tf) return kt_err_set(err, KT_EINVAL, KT_("%s: '%s' is not a card id"), f->name, text);
  char tab[64];
  cl_db_table(t, tab, sizeof tab);
  kt_buf sql = KT_BUF_INIT;
  kt_buf_printf(&sql, "SELECT id FROM %s WHERE deleted = 0 AND kt_fold(\"%s\") = kt_fold(?1) LIMIT 2",
                tab, tf->column);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
  kt_buf_free(&sql);
  if (rc != SQLITE_OK) return cl_db_error(&s->d, rc, "resolving a reference", err);
  sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
  int found = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!found) kt_buf_puts(id_out, (const char *)sqlite3_column_text(st, 0));
    found++;
  }
  sqlite3_finalize(st);
  if (found == 1) return 0;
  if (found == 0)
    return kt_err_set(err, KT_EINVAL,
                      cl_store_connected(s)
                          ? KT_("%s: no %s named '%s' in your part of the base; give its id or "
                                "create it first")
                          : KT_("%s: no %s named '%s'; give its id or create it first"),
                      f->name, kt_i18n_noun(t->def->noun), text);
  return kt_err_set(err, KT_EINVAL, KT_("%s: several %ss are named '%s'; give the id instead"),
                    f->name, kt_i18n_noun(t->def->noun), text);
}

/* Whether a connected replica has finished a sync round (it knows the office's
 * groups and staff). */
static bool synced_once(cl_store *s) {
  kt_buf b = KT_BUF_INIT;
  bool yes = cl_store_meta_get(s, "last_sync", &b, NULL) == 0 && b.len;
  kt_buf_free(&b);
  return yes;
}

/* A group typed by name (grp, a group's parent) must be one of the office's groups
 * (synced group records, on every PC): exactly, or in another case ("продажи"),
 * which is written as the group's own name. Else KT_EINVAL naming the groups. */
static int resolve_group(cl_store *s, const kt_mfield *f, const char *text, kt_buf *name_out,
                         kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_GROUP_NAMES, err);
  if (!st) return cl_db_st_rc(&s->d);
  kt_buf want = KT_BUF_INIT, fold = KT_BUF_INIT, all = KT_BUF_INIT;
  kt_text_fold(text, strlen(text), &want);
  int rc, n = 0;
  bool exact = false, folded = false;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    kt_buf_printf(&all, "%s%s", n++ ? ", " : "", name);
    if (exact) continue;
    if (strcmp(name, text) == 0) {
      exact = true;
      kt_buf_reset(name_out);
      kt_buf_puts(name_out, name);
      continue;
    }
    kt_buf_reset(&fold);
    kt_text_fold(name, strlen(name), &fold);
    if (!folded && strcmp(kt_buf_str(&fold), kt_buf_str(&want)) == 0) {
      folded = true;
      kt_buf_puts(name_out, name);
    }
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) rc = cl_db_error(&s->d, rc, "reading the groups", err);
  else if (exact || folded) rc = 0;
  else if (!n && cl_store_connected(s) && !synced_once(s))
    rc = 0, kt_buf_puts(name_out, text); /* the office's groups are not here yet: the server judges */
  else if (!n)
    rc = kt_err_set(err, KT_EINVAL,
                    cl_store_connected(s)
                        ? KT_("%s: there is no group '%s': this card index has no groups yet (an "
                              "administrator adds them with `kartoteka group add NAME`)")
                        : KT_("%s: there is no group '%s': this card index has no groups yet (add "
                              "one with `kartoteka group add NAME`)"),
                    f->name, text);
  else
    rc = kt_err_set(err, KT_EINVAL, KT_("%s: there is no group '%s'; the groups are: %s"), f->name, text,
                    kt_buf_str(&all));
  kt_buf_free(&want);
  kt_buf_free(&fold);
  kt_buf_free(&all);
  return rc;
}

/* An owner or assignee must be an account of the office: every account has a
 * staff record on every PC, so a name the server would refuse (and the change
 * then wait in the outbox) is refused here, with the names there are. A PC that
 * has no staff records (standalone, or never synced) leaves it to the server. */
static int check_user(cl_store *s, const kt_mfield *f, const char *name, kt_err *err) {
  if (!strcmp(name, s->user)) return 0;
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_STAFF_HAS, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return cl_db_error(&s->d, rc, "reading the office's users", err);
  if (!(st = cl_db_st(&s->d, CL_ST_STAFF_NAMES, err))) return cl_db_st_rc(&s->d);
  kt_buf names = KT_BUF_INIT;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    kt_buf_printf(&names, "%s%s", names.len ? ", " : "", sqlite3_column_text(st, 0));
  sqlite3_reset(st);
  if (rc == SQLITE_DONE && names.len)
    rc = kt_err_set(err, KT_EINVAL, KT_("%s: there is no user named %s in this office; the users "
                    "are: %s (as this PC last synced: sync first if the account is new)"),
                    f->name, name, kt_buf_str(&names));
  else
    rc = rc == SQLITE_DONE ? 0 : cl_db_error(&s->d, rc, "reading the office's users", err);
  kt_buf_free(&names);
  return rc;
}

int cl_store_users(cl_store *s, int (*cb)(void *ud, const char *name), void *ud, kt_err *err) {
  sqlite3_stmt *st = cl_db_st(&s->d, CL_ST_STAFF_NAMES, err);
  if (!st) return cl_db_st_rc(&s->d);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (cb(ud, (const char *)sqlite3_column_text(st, 0))) {
      rc = SQLITE_DONE;
      break;
    }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : cl_db_error(&s->d, rc, "reading the office's users", err);
}

/* Parses assignments into r (only the named fields), recording them in *set. */
static int apply_sets(cl_store *s, cl_rec *r, const cl_set *sets, int n, kt_fset *set,
                      cl__tagops *ops, kt_err *err) {
  for (int i = 0; i < n; i++) {
    kt_mfield *f;
    bool tagop;
    int rc = cl__tagop_take(r->type, &sets[i], ops, &tagop, err);
    if (rc) return rc;
    if (tagop) continue; /* written as the card's elements, after the card */
    if ((rc = kt_mtype_field_get(r->type, sets[i].field, &f, err))) return rc;
    if (f->flags & KT_FF_SYSTEM)
      return kt_err_set(err, KT_EINVAL,
                        f->vidx == KT_F_DELETED
                            ? KT_("%s is set by the program and cannot be changed (use `kartoteka "
                                  "delete`/`restore`)")
                            : KT_("%s is set by the program and cannot be changed"),
                        f->name);
    int pos = r->type->pos[f->vidx];
    kt_value v = {KT_V_NULL, 0, NULL};
    const char *text = sets[i].value ? sets[i].value : "";
    kt_buf resolved = KT_BUF_INIT;
    if (f->type == KT_FT_REF && *text && !kt_uuid_str_is_valid(text)) {
      if ((rc = cl__resolve_ref(s, f, text, &resolved, err))) {
        kt_buf_free(&resolved);
        return rc;
      }
      text = kt_buf_str(&resolved);
    } else if (f->type == KT_FT_GROUP && *text) {
      if ((rc = resolve_group(s, f, text, &resolved, err))) {
        kt_buf_free(&resolved);
        return rc;
      }
      text = kt_buf_str(&resolved);
    }
    rc = kt_mfield_parse(f, text, &v, err);
    if (!rc && f->type == KT_FT_REF && v.kind == KT_V_TEXT) rc = ref_exists(s, f, v.s, err);
    if (!rc && f->type == KT_FT_USER && v.kind == KT_V_TEXT &&
        !(r->type->def->flags & KT_TF_SYSTEM)) /* (the server's own records name users) */
      rc = check_user(s, f, v.s, err);
    kt_buf_free(&resolved);
    if (rc) {
      kt_value_clear(&v);
      return rc;
    }
    kt_value_clear(&r->v[pos]);
    r->v[pos] = v;
    kt_fset_add(set, f->vidx);
  }
  return 0;
}

static int check_complete(const cl_rec *r, kt_err *err) {
  bool has_title = false, any_title = false;
  char what[96]; /* "an organization" */
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (f->flags & KT_FF_REQUIRED) {
      if (r->v[k].kind == KT_V_NULL)
        return kt_err_set(err, KT_EINVAL, KT_("%s needs %s: add --set %s=VALUE"),
                          kt_i18n_a_noun(r->type->def->noun, what, sizeof what), f->name, f->name);
      has_title = true; /* a required field is enough to identify the card */
    }
    if (f->flags & KT_FF_TITLE) {
      any_title = true;
      if (r->v[k].kind != KT_V_NULL) has_title = true;
    }
  }
  if (any_title && !has_title) {
    kt_buf names = KT_BUF_INIT;
    for (int k = 0; k < r->type->nfields; k++)
      if (r->type->fields[k].flags & KT_FF_TITLE) {
        if (names.len) kt_buf_puts(&names, KT_(" or "));
        kt_buf_puts(&names, r->type->fields[k].name);
      }
    kt_err_set(err, KT_EINVAL, KT_("%s needs at least %s"),
               kt_i18n_a_noun(r->type->def->noun, what, sizeof what), kt_buf_str(&names));
    kt_buf_free(&names);
    return KT_EINVAL;
  }
  return 0;
}

/* ---- rights, mirrored from the server (it enforces them; this only tells the user
   at once instead of at the next sync) --------------------------------------------- */

void cl__load_rights(cl_store *s) {
  kt_buf b = KT_BUF_INIT;
  s->has_rights = false;
  if (cl_db_meta_get_text(&s->d, "rights", &b, NULL) == 0 && b.len) {
    memset(&s->who, 0, sizeof s->who);
    if (kt_rights_parse(kt_buf_str(&b), &s->who.rights, NULL) == 0) {
      /* this PC does not know the user's groups: group level is left to the server */
      for (int c = 0; c < KT_MAX_TYPES; c++)
        for (int a = 0; a < KT_ACT__COUNT; a++)
          if (s->who.rights.lvl[c][a] == KT_LVL_GROUP) s->who.rights.lvl[c][a] = KT_LVL_ALL;
      s->who.user = s->user;
      s->has_rights = true;
    }
  }
  kt_buf_reset(&b);
  if (cl_db_meta_get_text(&s->d, "role", &b, NULL) == 0)
    snprintf(s->role, sizeof s->role, "%s", kt_buf_str(&b));
  kt_buf_free(&b);
}

static int card_fn(void *ud, const char *type, const char *id, kt_rec **out, kt_err *err) {
  cl_store *s = ud;
  *out = NULL;
  kt_mtype *t = kt_model_type(s->model, type);
  if (!t) return 0;
  sqlite3_stmt *st = cl_db_tst(&s->d, t, CL_TST_BY_ID, err);
  if (!st) return cl_db_st_rc(&s->d);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st), lrc = 0;
  if (rc == SQLITE_ROW && !(*out = cl_rec_new(t))) lrc = kt_err_set(err, KT_ENOMEM, "out of memory");
  else if (rc == SQLITE_ROW && (lrc = kt_rec_load(*out, st, err))) {
    cl_rec_free(*out);
    *out = NULL;
  }
  sqlite3_reset(st);
  if (lrc) return lrc;
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cl_db_error(&s->d, rc, "reading a card", err);
}

bool cl_store_may(cl_store *s, const kt_rec *r, kt_action act) {
  if (!s->has_rights) return true;
  kt_scope sc;
  kt_links l;
  kt_links_from_rec(r, &l);
  if (kt_rights_scope(r->type, &l, card_fn, s, &sc, NULL)) return false;
  return kt_rights_allows_scope(&s->who, r->type->def->code, act, &sc);
}

/* May this user make the local edit old -> r (old NULL: a new record)? */
static int local_rights(cl_store *s, const cl_rec *old, const cl_rec *r, kt_err *err) {
  if (!s->has_rights) return 0;
  kt_scope before, after;
  memset(&before, 0, sizeof before);
  kt_links lb, la;
  kt_links_from_rec(r, &la);
  int rc = 0;
  if (old) {
    kt_links_from_rec(old, &lb);
    rc = kt_rights_scope(old->type, &lb, card_fn, s, &before, err);
  }
  if (!rc) rc = kt_rights_scope(r->type, &la, card_fn, s, &after, err);
  if (rc) return rc;
  kt_change_kind k = {.isnew = old == NULL};
  for (int i = 0; i < r->type->nfields; i++) {
    if (i == KT_F_UPDATED || i == KT_F_ID) continue;
    if (old ? kt_value_equal(&old->v[i], &r->v[i]) : r->v[i].kind == KT_V_NULL) continue;
    const kt_mfield *f = &r->type->fields[i];
    if (f->flags & KT_FF_CONTACT && !k.contact_field) k.contact_field = f;
    if (f->vidx == KT_F_DELETED) k.del = true;
    else if (f->vidx != KT_F_CREATED) k.other = true;
    if (old && (f->vidx == KT_F_OWNER || f->vidx == KT_F_GRP)) k.reassign = true;
  }
  if (!old && strcmp(la.owner, s->user) != 0 && (r->type->def->flags & KT_TF_CLIENT))
    k.reassign = true;
  if (old && kt_links_move(&lb, &la)) k.moves = true;
  rc = kt_rights_check(&s->who, s->role, r->type, cl_rec_id(r), &before, &after, &k, err);
  /* the office's settings (field definitions, sections, groups) are nobody's cards: say
     what they are in words rather than "this field_def owned by anna" */
  if (rc == KT_EPERM && (r->type->def->flags & KT_TF_SYSTEM))
    kt_err_set(err, KT_EPERM, KT_("%ss are kept by the office server: no PC may change them"),
               kt_i18n_noun(r->type->def->noun));
  else if (rc == KT_EPERM && (r->type->def->flags & KT_TF_CONFIG))
    kt_err_set(err, KT_EPERM,
               KT_("your role (%s) may not change the office's %ss (custom fields, labels, "
                   "sections and groups are set up by an administrator)"),
               *s->role ? s->role : "?", kt_i18n_noun(r->type->def->noun));
  return rc;
}

int cl__add_rec_locked(cl_store *s, cl_rec *r, kt_err *err) {
  int rc;
  uint64_t now = s->hlc.now_ms ? s->hlc.now_ms(s->hlc.ud) : kt_now_ms();
  if (r->v[KT_F_ID].kind == KT_V_NULL) {
    kt_uuid u;
    char buf[KT_UUID_STRLEN + 1];
    if ((rc = kt_uuid_gen_next(&s->ugen, now, &u, err))) return rc;
    kt_uuid_format(&u, buf);
    if (kt_value_set_text(&r->v[KT_F_ID], buf, KT_UUID_STRLEN))
      return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  if (r->v[KT_F_OWNER].kind == KT_V_NULL && s->user[0] &&
      kt_value_set_text(&r->v[KT_F_OWNER], s->user, strlen(s->user)))
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (r->v[KT_F_CREATED].kind == KT_V_NULL) kt_value_set_int(&r->v[KT_F_CREATED], (int64_t)now);
  if ((rc = local_rights(s, NULL, r, err))) return rc;
  kt_stamp stamp = kt_hlc_now(&s->hlc);
  kt_value_set_int(&r->v[KT_F_UPDATED], (int64_t)KT_STAMP_MS(stamp));
  kt_fset set = {{0, 0}};
  memset(&r->vers, 0, sizeof r->vers);
  for (int k = 0; k < r->type->nfields; k++) {
    if (k == KT_F_UPDATED || r->v[k].kind == KT_V_NULL) continue;
    if (kt_ftype_is_multi(r->type->fields[k].type)) continue; /* derived: its elements sync */
    int vi = r->type->fields[k].vidx;
    r->vers.f[vi].stamp = stamp;
    r->vers.f[vi].dev = s->selfdev;
    kt_fset_add(&set, vi);
  }
  if ((rc = cl__row_write(s, r, true, err))) return rc;
  if ((rc = cl__index_update(s, NULL, r, err))) return rc;
  return cl__outbox_note(s, r, &set, NULL, err);
}

int cl_store_add_rec(cl_store *s, cl_rec *r, kt_err *err) {
  int rc = check_complete(r, err);
  if (rc) return rc;
  if ((rc = cl__tx_begin(s, err))) return rc;
  rc = cl__add_rec_locked(s, r, err);
  if (!rc) rc = cl__tags_pulled(s, r, false, err); /* a copied tag: its card's column */
  return cl__tx_end(s, rc, err);
}

/* cl_store_add with the id given (NULL: a new one). */
static int add_checked(cl_store *s, const char *type, const char *id, const cl_set *sets, int n,
                       char id_out[KT_UUID_STRLEN + 1], kt_err *err) {
  kt_mtype *t;
  int rc = kt_model_type_get(s->model, type, &t, err);
  if (rc) return rc;
  if (id && !kt_uuid_str_is_valid(id)) return kt_err_set(err, KT_EINVAL, "bad id '%s'", id);
  cl_rec *r = cl_rec_new(t);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  kt_fset set = {{0, 0}};
  cl__tagops ops = {.n = 0};
  if ((rc = cl__tx_begin(s, err))) goto out;
  if (id && kt_value_set_text(&r->v[KT_F_ID], id, strlen(id)))
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!rc) rc = apply_sets(s, r, sets, n, &set, &ops, err);
  if (!rc) rc = check_complete(r, err);
  if (!rc) rc = cl__add_rec_locked(s, r, err);
  if (!rc) rc = cl__tags_write(s, r, &ops, NULL, err);
  rc = cl__tx_end(s, rc, err);
  if (!rc && id_out) snprintf(id_out, KT_UUID_STRLEN + 1, "%s", cl_rec_id(r));
out:
  cl_rec_free(r);
  return rc;
}

int cl_store_add(cl_store *s, const char *type, const cl_set *sets, int n,
                 char id_out[KT_UUID_STRLEN + 1], kt_err *err) {
  return add_checked(s, type, NULL, sets, n, id_out, err);
}

int cl_store_add_as(cl_store *s, const char *type, const char *id, const cl_set *sets, int n,
                    kt_err *err) {
  return add_checked(s, type, id, sets, n, NULL, err);
}

/* Writes the fields of r that differ from old (same record) as one edit. */
int cl__edit_locked(cl_store *s, const cl_rec *old, cl_rec *r, int *changed, kt_err *err) {
  kt_fset set = {{0, 0}};
  int n = 0;
  for (int k = 0; k < r->type->nfields; k++) {
    if (k == KT_F_UPDATED || k == KT_F_ID) continue;
    if (kt_value_equal(&old->v[k], &r->v[k])) continue;
    if (kt_ftype_is_multi(r->type->fields[k].type)) continue; /* derived: its elements sync */
    kt_fset_add(&set, r->type->fields[k].vidx);
    n++;
  }
  if (changed) *changed = n;
  if (!n) return 0;
  int rc = local_rights(s, old, r, err);
  if (rc) return rc;
  kt_stamp stamp = kt_hlc_now(&s->hlc);
  for (int i = 0; i < KT_MAX_FIELDS; i++)
    if (kt_fset_has(&set, i)) {
      r->vers.f[i].stamp = stamp;
      r->vers.f[i].dev = s->selfdev;
    }
  kt_value_set_int(&r->v[KT_F_UPDATED], (int64_t)KT_STAMP_MS(stamp));
  rc = cl__row_write(s, r, false, err);
  if (!rc) rc = cl__index_update(s, old, r, err);
  if (!rc) rc = cl__outbox_note(s, r, &set, &old->vers, err);
  return rc;
}

int cl__clone_rec(const cl_rec *src, cl_rec **out, kt_err *err) {
  cl_rec *r = cl_rec_new(src->type);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  r->rowid = src->rowid;
  r->vers = src->vers;
  for (int k = 0; k < src->type->nfields; k++)
    if (kt_value_copy(&r->v[k], &src->v[k])) {
      cl_rec_free(r);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
  *out = r;
  return 0;
}

int cl_store_edit(cl_store *s, const char *id, const cl_set *sets, int n, int *changed,
                  kt_err *err) {
  cl_rec *old = NULL, *r = NULL;
  kt_fset set = {{0, 0}};
  cl__tagops ops = {.n = 0};
  int rc = cl__tx_begin(s, err);
  if (rc) return rc;
  if (!(rc = cl__locate(s, id, &old, err)) && !(rc = cl__clone_rec(old, &r, err)) &&
      !(rc = apply_sets(s, r, sets, n, &set, &ops, err)) && !(rc = check_complete(r, err)) &&
      !(rc = cl__edit_locked(s, old, r, changed, err)))
    rc = cl__tags_write(s, r, &ops, changed, err);
  rc = cl__tx_end(s, rc, err);
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

/* A cl_rec_cb that notes that a record refers to the one being deleted. */
static int on_referrer(void *ud, const cl_rec *r) {
  (void)r;
  *(bool *)ud = true;
  return 1;
}

static int set_deleted(cl_store *s, const char *id, int del, kt_err *err) {
  cl_rec *old = NULL, *r = NULL;
  int rc = cl__tx_begin(s, err);
  if (rc) return rc;
  if (!(rc = cl__locate(s, id, &old, err)) && !(rc = cl__clone_rec(old, &r, err))) {
    if (cl_rec_deleted(old) == (del != 0)) {
      kt_buf t = KT_BUF_INIT;
      cl_rec_title(old, &t);
      rc = kt_err_set(err, KT_EINVAL,
                      del ? KT_("%s '%s' is already in the trash") : KT_("%s '%s' is not in the trash"),
                      kt_i18n_noun(old->type->def->noun), kt_buf_str(&t));
      kt_buf_free(&t);
    } else {
      /* into the trash: a new record the server never accepted is parked (it would
         only reach the server to lie in its trash, or be refused again); a change
         the server refused is set back at the next sync, then the deletion sent */
      entry_state es;
      bool referred = false; /* (a card other records name is sent: they keep their link) */
      kt_value_set_int(&r->v[KT_F_DELETED], del);
      rc = cl__outbox_state(s, old, &es, err);
      if (!rc && del && es.isnew)
        rc = cl__related_walk(s, old, false, on_referrer, &referred, err);
      if (!rc) rc = cl__edit_locked(s, old, r, NULL, err);
      int hold = !del || !es.has ? 0 : es.isnew && !referred ? 1 : es.refused ? 2 : 0;
      if (!rc && hold) rc = cl__outbox_hold(s, r, hold, err);
    }
  }
  rc = cl__tx_end(s, rc, err);
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

int cl_store_delete(cl_store *s, const char *id, kt_err *err) { return set_deleted(s, id, 1, err); }
int cl_store_restore(cl_store *s, const char *id, kt_err *err) { return set_deleted(s, id, 0, err); }

int cl_store_add_with_id(cl_store *s, const char *type, const char *id, const cl_set *sets, int n,
                         kt_err *err) {
  kt_mtype *t = kt_model_type(s->model, type);
  if (!t) return kt_err_set(err, KT_EINVAL, "unknown type '%s'", type);
  if (!kt_uuid_str_is_valid(id)) return kt_err_set(err, KT_EINVAL, "bad id '%s'", id);
  cl_rec *r = cl_rec_new(t);
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  kt_fset set = {{0, 0}};
  int rc = cl__tx_begin(s, err);
  if (!rc) {
    if (kt_value_set_text(&r->v[KT_F_ID], id, strlen(id))) rc = KT_ENOMEM;
    if (!rc) rc = apply_sets(s, r, sets, n, &set, NULL, err);
    if (!rc) rc = cl__add_rec_locked(s, r, err);
    rc = cl__tx_end(s, rc, err);
  }
  cl_rec_free(r);
  return rc;
}
