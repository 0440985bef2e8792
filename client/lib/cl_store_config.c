/* cl_store_config — the office configuration kept as records: custom field
 * definitions, field labels and sections, applied to the model when written
 * here or pulled from the server. */
#include "cl_store_int.h"

#include <stdio.h>
#include <string.h>

/* ---- office model: custom fields, labels, sections ------------------------------------- */

/* Finds the live config record of `type` (field_def/section) whose fields
 * etype (and name) match. *out NULL when none. */
static int find_config(cl_store *s, const char *ctype, const char *etype, const char *name,
                       cl_rec **out, kt_err *err) {
  *out = NULL;
  kt_mtype *t = kt_model_type(s->model, ctype);
  kt_buf sql = KT_BUF_INIT;
  cl_db_select_prefix(t, &sql);
  kt_buf_puts(&sql, " WHERE deleted = 0 AND etype = ?1");
  if (name) kt_buf_puts(&sql, " AND name = ?2");
  kt_buf_puts(&sql, " ORDER BY rowid LIMIT 1");
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->d.db, kt_buf_str(&sql), -1, &st, NULL);
  kt_buf_free(&sql);
  if (rc != SQLITE_OK) return cl_db_error(&s->d, rc, "reading settings", err);
  sqlite3_bind_text(st, 1, etype, -1, SQLITE_STATIC);
  if (name) sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    cl_rec *r = cl_rec_new(t);
    if (!r) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    else if ((rc = kt_rec_load(r, st, err))) {
      cl_rec_free(r);
    } else {
      *out = r;
      rc = 0;
    }
  } else {
    rc = rc == SQLITE_DONE ? 0 : cl_db_error(&s->d, rc, "reading settings", err);
  }
  sqlite3_finalize(st);
  return rc;
}

static int set_text(cl_rec *r, const char *field, const char *v) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  kt_value *val = &r->v[r->type->pos[f->vidx]];
  if (!v) return 0;
  if (!*v) {
    kt_value_clear(val);
    return 0;
  }
  return kt_value_set_text(val, v, strlen(v));
}

static void set_int(cl_rec *r, const char *field, int64_t v) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  kt_value_set_int(&r->v[r->type->pos[f->vidx]], v);
}

/* Writes a config record (new or edited) and re-applies it to the model. */
static int config_write(cl_store *s, cl_rec *old, cl_rec *r, kt_err *err) {
  if (old) return cl__edit_locked(s, old, r, NULL, err);
  return cl__add_rec_locked(s, r, err);
}

int cl_store_field_add(cl_store *s, const char *type, const char *name, const char *label,
                       const char *ftype, const char *choices, kt_err *err) {
  kt_mtype *t;
  int rc = kt_model_type_get(s->model, type, &t, err);
  if (rc) return rc;
  if (kt_mtype_field(t, name ? name : ""))
    return kt_err_set(err, KT_EEXISTS, "%s already has a field named %s; choose another name "
                      "(or rename its label with `kartoteka field label`)", type, name);
  if (!ftype || !*ftype)
    return kt_err_set(err, KT_EINVAL, "give the field's type with --type (text, number, date, "
                      "choice, ...)");
  if (strcmp(ftype, "choice") == 0 && (!choices || !*choices))
    return kt_err_set(err, KT_EINVAL, "a choice field needs its list: --choices 'a,b,c'");
  /* validate on a scratch model first so that a bad definition writes nothing */
  kt_model *scratch;
  if ((rc = kt_model_new(&scratch, err))) return rc;
  bool added;
  rc = kt_model_apply_field_def(scratch, type, name, label, ftype, choices, false, &added, err);
  if (!rc && choices && *choices)
    rc = kt_mfield_choices_check(kt_mtype_field(kt_model_type(scratch, type), name), type, choices,
                                 err);
  kt_model_free(scratch);
  if (rc) return rc;
  cl_rec *r = cl_rec_new(kt_model_type(s->model, "field_def"));
  if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (set_text(r, "etype", type) || set_text(r, "name", name) || set_text(r, "label", label) ||
      set_text(r, "ftype", ftype) || set_text(r, "choices", choices)) {
    cl_rec_free(r);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  if ((rc = cl__tx_begin(s, err))) {
    cl_rec_free(r);
    return rc;
  }
  rc = config_write(s, NULL, r, err);
  if (!rc) rc = kt_model_apply_field_def(s->model, type, name, label, ftype, choices, false,
                                         &added, err);
  if (!rc && added) rc = cl_db_add_column(&s->d, t, kt_mtype_field(t, name), err);
  if (!rc && added) rc = cl__kept_promote(s, err);
  rc = cl__tx_end(s, rc, err);
  cl_rec_free(r);
  return rc;
}

int cl_store_field_set(cl_store *s, const char *type, const char *name, const char *label,
                       const char *choices, int hidden, kt_err *err) {
  kt_mtype *t;
  kt_mfield *f;
  int rc = kt_model_type_get(s->model, type, &t, err);
  if (rc || (rc = kt_mtype_field_get(t, name, &f, err))) return rc;
  /* codes and labels well formed, and the codes the program keys on kept */
  if (choices && *choices && (rc = kt_mfield_choices_check(f, type, choices, err))) return rc;
  cl_rec *old = NULL, *r = NULL;
  if ((rc = cl__tx_begin(s, err))) return rc;
  if ((rc = find_config(s, "field_def", type, name, &old, err))) goto out;
  if (old) rc = cl__clone_rec(old, &r, err);
  else if (!(r = cl_rec_new(kt_model_type(s->model, "field_def"))))
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (rc) goto out;
  if (!old && (set_text(r, "etype", type) || set_text(r, "name", name))) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  if (set_text(r, "label", label) || set_text(r, "choices", choices)) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  if (hidden >= 0) set_int(r, "hidden", hidden);
  if ((rc = config_write(s, old, r, err))) goto out;
  bool added;
  kt_mtype *ft = r->type;
  const kt_value *lv = &r->v[ft->pos[kt_mtype_field(ft, "label")->vidx]];
  const kt_value *cv = &r->v[ft->pos[kt_mtype_field(ft, "choices")->vidx]];
  const kt_value *hv = &r->v[ft->pos[kt_mtype_field(ft, "hidden")->vidx]];
  rc = kt_model_apply_field_def(s->model, type, name, lv->kind == KT_V_TEXT ? lv->s : NULL, NULL,
                                cv->kind == KT_V_TEXT ? cv->s : NULL,
                                hv->kind == KT_V_INT && hv->i, &added, err);
out:
  rc = cl__tx_end(s, rc, err);
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

int cl_store_field_yearly(cl_store *s, const char *type, const char *name, bool on, kt_err *err) {
  kt_mtype *t;
  kt_mfield *f;
  int rc = kt_model_type_get(s->model, type, &t, err);
  if (rc || (rc = kt_mtype_field_get(t, name, &f, err))) return rc;
  if (!(t->def->flags & KT_TF_CLIENT))
    return kt_err_set(err, KT_EINVAL, "only dates of clients (org, contact) are reminded every "
                      "year, not of %s", type);
  if (f->type != KT_FT_DATE)
    return kt_err_set(err, KT_EINVAL, "%s %s is not a date field (it is %s): only dates can be "
                      "reminded every year", type, name, kt_ftype_name(f->type));
  /* the office's configuration: the server lets only those who may edit it write it */
  const kt_rights *rt = cl_store_connected(s) ? cl_store_rights(s) : NULL;
  const kt_mtype *fd = kt_model_type(s->model, "field_def");
  if (rt && fd && rt->lvl[fd->def->code][KT_ACT_EDIT] == KT_LVL_NONE)
    return kt_err_set(err, KT_EPERM, "only an administrator may change the office's fields "
                      "(your role is %s); nothing changed",
                      *cl_store_role(s) ? cl_store_role(s) : "not known");
  cl_rec *old = NULL, *r = NULL;
  if ((rc = cl__tx_begin(s, err))) return rc;
  if ((rc = find_config(s, "field_def", type, name, &old, err))) goto out;
  if (old) rc = cl__clone_rec(old, &r, err);
  else if (!(r = cl_rec_new(kt_model_type(s->model, "field_def"))))
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (rc) goto out;
  if (!old && (set_text(r, "etype", type) || set_text(r, "name", name))) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  set_int(r, "yearly", on ? 1 : 0);
  rc = config_write(s, old, r, err);
out:
  rc = cl__tx_end(s, rc, err);
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

int cl_store_section_set(cl_store *s, const char *type, const char *label, int hidden,
                         kt_err *err) {
  kt_mtype *t;
  int rc = kt_model_type_get(s->model, type, &t, err);
  if (rc) return rc;
  cl_rec *old = NULL, *r = NULL;
  if ((rc = cl__tx_begin(s, err))) return rc;
  if ((rc = find_config(s, "section", type, NULL, &old, err))) goto out;
  if (old) rc = cl__clone_rec(old, &r, err);
  else if (!(r = cl_rec_new(kt_model_type(s->model, "section"))))
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (rc) goto out;
  if ((!old && set_text(r, "etype", type)) || set_text(r, "label", label)) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  if (hidden >= 0) set_int(r, "hidden", hidden);
  if ((rc = config_write(s, old, r, err))) goto out;
  kt_mtype *st = r->type;
  const kt_value *lv = &r->v[st->pos[kt_mtype_field(st, "label")->vidx]];
  const kt_value *hv = &r->v[st->pos[kt_mtype_field(st, "hidden")->vidx]];
  rc = kt_model_apply_section(s->model, type, lv->kind == KT_V_TEXT ? lv->s : NULL,
                              hv->kind == KT_V_INT && hv->i, err);
out:
  rc = cl__tx_end(s, rc, err);
  cl_rec_free(old);
  cl_rec_free(r);
  return rc;
}

/* Re-applies a synced field_def/section record to the model (new custom
 * fields get their column). */
int cl__apply_config(cl_store *s, const cl_rec *r, kt_err *err) {
  kt_mtype *t = r->type;
#define TXT(name) \
  (r->v[t->pos[kt_mtype_field(t, name)->vidx]].kind == KT_V_TEXT ? r->v[t->pos[kt_mtype_field(t, name)->vidx]].s : NULL)
  const kt_value *hv = &r->v[t->pos[kt_mtype_field(t, "hidden")->vidx]];
  bool hidden = hv->kind == KT_V_INT && hv->i;
  if (strcmp(t->def->name, "section") == 0)
    return kt_model_apply_section(s->model, TXT("etype"), TXT("label"), hidden, err);
  bool added = false;
  int rc = kt_model_apply_field_def(s->model, TXT("etype"), TXT("name"), TXT("label"), TXT("ftype"),
                                    TXT("choices"), hidden, &added, err);
  if (rc || !added) return rc;
  kt_mtype *et = kt_model_type(s->model, TXT("etype"));
  rc = cl_db_add_column(&s->d, et, kt_mtype_field(et, TXT("name")), err);
  return rc ? rc : cl__kept_promote(s, err); /* values that came before their definition */
#undef TXT
}
