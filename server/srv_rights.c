/* srv_rights — see srv_rights.h. */
#include "srv_rights.h"

#include <stdio.h>
#include <string.h>

#include "kt_time.h"
#include "kt_hlc.h"

static const char *const shipped[] = {"administrator", "head_of_sales", "manager", "assistant",
                                      NULL};

int srv_roles_seed(srv_db *d, kt_err *err) {
  for (int i = 0; shipped[i]; i++) {
    kt_rights r;
    int rc = kt_rights_role(shipped[i], &r, err);
    if (rc) return rc;
    kt_buf txt = KT_BUF_INIT;
    kt_rights_format(&r, &txt);
    sqlite3_stmt *st = srv_db_st(d, SRV_ST_ROLE_ADD, err);
    if (!st) {
      kt_buf_free(&txt);
      return KT_EDB;
    }
    sqlite3_bind_text(st, 1, shipped[i], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kt_buf_str(&txt), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (int64_t)kt_now_ms());
    rc = srv_db_step_done(d, st, err);
    kt_buf_free(&txt);
    if (rc) return rc;
  }
  return 0;
}

static int role_names(srv_db *d, kt_buf *out) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_ROLE_LIST, NULL);
  if (!st) return KT_EDB;
  while (sqlite3_step(st) == SQLITE_ROW)
    kt_buf_printf(out, "%s%s", out->len ? ", " : "", (const char *)sqlite3_column_text(st, 0));
  sqlite3_reset(st);
  return 0;
}

int srv_role_rights(srv_db *d, const char *role, kt_rights *out, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_ROLE_GET, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  memset(out, 0, sizeof *out);
  if (rc == SQLITE_ROW) {
    const char *txt = (const char *)sqlite3_column_text(st, 0);
    rc = kt_rights_parse(txt, out, err);
    sqlite3_reset(st);
    return rc;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return srv_db_error(d, rc, "reading roles", err);
  /* a database from before the roles table was seeded: the shipped role */
  if (kt_rights_role(role, out, NULL) == 0) return 0;
  kt_buf names = KT_BUF_INIT;
  role_names(d, &names);
  rc = kt_err_set(err, KT_ENOTFOUND, "unknown role '%s'; the roles are: %s", role,
                  kt_buf_str(&names));
  kt_buf_free(&names);
  return rc;
}

int srv_role_set(srv_db *d, const char *role, const char *from, const char *changes, kt_err *err) {
  if (!role || !*role || strlen(role) >= 32 || strspn(role, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(role))
    return kt_err_set(err, KT_EINVAL, "a role name is 1-31 characters a-z, 0-9 and _ (got '%s')",
                      role ? role : "");
  kt_rights r;
  memset(&r, 0, sizeof r);
  int rc = 0;
  bool fresh = false; /* neither in the table nor shipped */
  if (from && *from) rc = srv_role_rights(d, from, &r, err);
  else if (srv_role_rights(d, role, &r, NULL) != 0) {
    memset(&r, 0, sizeof r);
    fresh = true;
  }
  if (rc) return rc;
  if (fresh) {
    /* a brand-new role starts with the office configuration readable */
    kt_rights base;
    kt_rights_role("assistant", &base, NULL);
    int n;
    const kt_typedef *t = kt_registry_types(&n);
    for (int i = 0; i < n; i++)
      if (t[i].flags & (KT_TF_CONFIG | KT_TF_SYSTEM) && !r.lvl[t[i].code][KT_ACT_READ])
        memcpy(r.lvl[t[i].code], base.lvl[t[i].code], sizeof r.lvl[0]);
  }
  if ((rc = kt_rights_parse(changes, &r, err))) return rc;
  kt_buf txt = KT_BUF_INIT;
  kt_rights_format(&r, &txt);
  if ((rc = srv_db_begin(d, err))) goto out;
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_ROLE_SET, err);
  if (!st) {
    rc = KT_EDB;
    goto fail;
  }
  sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, kt_buf_str(&txt), -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, (int64_t)kt_now_ms());
  if ((rc = srv_db_step_done(d, st, err))) goto fail;
  if (!(st = srv_db_st(d, SRV_ST_ROLE_BUMP, err))) {
    rc = KT_EDB;
    goto fail;
  }
  sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
  if ((rc = srv_db_step_done(d, st, err))) goto fail;
  if ((rc = srv_db_meta_bump(d, "users_gen", err))) goto fail;
  rc = srv_db_commit(d, err);
  goto out;
fail:
  srv_db_rollback(d);
out:
  kt_buf_free(&txt);
  return rc;
}

int srv_role_list(srv_db *d, int (*cb)(void *ud, const char *name, const char *rights), void *ud,
                  kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_ROLE_LIST, err);
  if (!st) return KT_EDB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (cb(ud, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1)))
      break;
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : srv_db_error(d, rc, "listing roles", err);
}

int srv_subject_state(srv_db *d, const char *user, uint64_t *scope_gen, bool *disabled,
                      kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_USER_SCOPE, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *scope_gen = (uint64_t)sqlite3_column_int64(st, 0);
    *disabled = sqlite3_column_int(st, 3) != 0;
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc == SQLITE_DONE) return kt_err_set(err, KT_ENOTFOUND, "there is no user named %s", user);
  return srv_db_error(d, rc, "reading users", err);
}

/* Adds name to the subject's groups unless present; false when full. */
static bool add_group(srv_subject *s, size_t *used, const char *name) {
  for (int i = 0; i < s->who.ngroups; i++)
    if (strcmp(s->groups[i], name) == 0) return true;
  size_t n = strlen(name) + 1;
  if (s->who.ngroups >= SRV_MAX_GROUPS || *used + n > sizeof s->gbuf) return false;
  memcpy(s->gbuf + *used, name, n);
  s->groups[s->who.ngroups++] = s->gbuf + *used;
  *used += n;
  return true;
}

int srv_subject_load(srv_db *d, const char *user, srv_subject *out, kt_err *err) {
  memset(out, 0, sizeof *out);
  snprintf(out->user, sizeof out->user, "%s", user);
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_USER_SCOPE, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  char grp[512] = "";
  if (rc == SQLITE_ROW) {
    out->scope_gen = (uint64_t)sqlite3_column_int64(st, 0);
    snprintf(out->role, sizeof out->role, "%s", (const char *)sqlite3_column_text(st, 1));
    const unsigned char *g = sqlite3_column_text(st, 2);
    snprintf(grp, sizeof grp, "%s", g ? (const char *)g : "");
    out->disabled = sqlite3_column_int(st, 3) != 0;
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE) return kt_err_set(err, KT_ENOTFOUND, "there is no user named %s", user);
  if (rc != SQLITE_ROW) return srv_db_error(d, rc, "reading users", err);
  out->who.user = out->user;
  out->who.groups = out->groups;
  if ((rc = srv_role_rights(d, out->role, &out->who.rights, err))) return rc;
  kt_rights_read_masks(&out->who.rights, &out->mask_all, &out->mask_own, &out->mask_group);
  /* narrow: own level only, and level all only for the small configuration types */
  uint64_t small = 0;
  int nt;
  const kt_typedef *types = kt_registry_types(&nt);
  for (int i = 0; i < nt; i++)
    if (types[i].flags & KT_TF_CONFIG && strcmp(types[i].name, "reminder") != 0)
      small |= 1ull << types[i].code;
  out->narrow = out->mask_group == 0 && out->mask_own != 0 && (out->mask_all & ~small) == 0;
  size_t k = 0;
  out->all_json[k++] = '[';
  for (int c = 0; c < 64; c++)
    if (out->mask_all >> c & 1)
      k += (size_t)snprintf(out->all_json + k, sizeof out->all_json - k, "%s%d", k > 1 ? "," : "", c);
  snprintf(out->all_json + k, sizeof out->all_json - k, "]");
  /* the user's groups (comma-separated) and, repeatedly, every group whose parent is in */
  size_t used = 0;
  for (char *tok = strtok(grp, ","); tok; tok = strtok(NULL, ",")) {
    while (*tok == ' ') tok++;
    if (*tok) add_group(out, &used, tok);
  }
  for (bool grew = out->who.ngroups > 0; grew;) {
    grew = false;
    if (!(st = srv_db_st(d, SRV_ST_GROUPS, err))) return KT_EDB;
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *name = (const char *)sqlite3_column_text(st, 0);
      const char *parent = (const char *)sqlite3_column_text(st, 1);
      if (!name || !parent) continue;
      bool in = false, have = false;
      for (int i = 0; i < out->who.ngroups; i++) {
        if (strcmp(out->groups[i], parent) == 0) in = true;
        if (strcmp(out->groups[i], name) == 0) have = true;
      }
      if (in && !have && add_group(out, &used, name)) grew = true;
    }
    sqlite3_reset(st);
  }
  /* JSON array for json_each: group names are plain text; escape quotes and backslashes */
  kt_buf j = KT_BUF_INIT;
  kt_buf_putc(&j, '[');
  for (int i = 0; i < out->who.ngroups; i++) {
    kt_buf_puts(&j, i ? ",\"" : "\"");
    for (const char *p = out->groups[i]; *p; p++) {
      if (*p == '"' || *p == '\\') kt_buf_putc(&j, '\\');
      if ((unsigned char)*p >= 0x20) kt_buf_putc(&j, *p);
    }
    kt_buf_putc(&j, '"');
  }
  kt_buf_putc(&j, ']');
  snprintf(out->groups_json, sizeof out->groups_json, "%s", kt_buf_str(&j));
  kt_buf_free(&j);
  return 0;
}
