/* srv_user — see srv_user.h. */
#include "srv_user.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kt_hlc.h"
#include "kt_pwhash.h"
#include "kt_text.h"
#include "kt_uuid.h"
#include "srv_rights.h"

static const char *const roles[] = {"administrator", "head_of_sales", "manager", "assistant", NULL};

const char *const *srv_user_roles(void) { return roles; }

int srv_user_check_name(const char *name, kt_err *err) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > 64)
    return kt_err_set(err, KT_EINVAL, "a user name must have 1 to 64 characters");
  if (!kt_utf8_valid(name, n))
    return kt_err_set(err, KT_EINVAL, "the user name is not valid UTF-8");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c <= ' ' || c == '/' || c == '\\' || c == '"' || c == '\'' || c == 0x7f)
      return kt_err_set(err, KT_EINVAL,
                        "bad user name '%s': no spaces, quotes, slashes or control characters",
                        name);
  }
  return 0;
}

int srv_user_check_password(const char *pw, kt_err *err) {
  size_t n = pw ? strlen(pw) : 0;
  size_t chars = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)pw[i] & 0xc0) != 0x80) chars++;
  if (chars < SRV_PASSWORD_MIN)
    return kt_err_set(err, KT_EINVAL, "the password is too short: use at least %d characters",
                      SRV_PASSWORD_MIN);
  if (n > 1024) return kt_err_set(err, KT_EINVAL, "the password is too long (over 1024 bytes)");
  return 0;
}

static int check_role(srv_db *d, const char *role, kt_err *err) {
  kt_rights r;
  int rc = srv_role_rights(d, role, &r, err);
  return rc == KT_ENOTFOUND ? KT_EINVAL : rc;
}

int srv_user_add(srv_db *d, const char *name, const char *password, const char *role,
                 const char *grp, kt_err *err) {
  if (!role) role = "manager";
  int rc;
  if ((rc = srv_user_check_name(name, err)) || (rc = check_role(d, role, err)) ||
      (rc = srv_user_check_password(password, err)))
    return rc;
  char hash[256], id[KT_UUID_STRLEN + 1];
  if ((rc = kt_pwhash_hash(password, hash, sizeof hash, err)) || (rc = kt_uuid_new_str(id, err)))
    return rc;
  if ((rc = srv_db_begin(d, err))) return rc;
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_USER_GET, err);
  if (!st) rc = KT_EDB;
  else {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    if (s == SQLITE_ROW)
      rc = kt_err_set(err, KT_EEXISTS, "a user named %s already exists", name);
    else if (s != SQLITE_DONE)
      rc = srv_db_error(d, s, "reading accounts", err);
  }
  if (!rc && (st = srv_db_st(d, SRV_ST_USER_ADD, err))) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, role, -1, SQLITE_STATIC);
    if (grp && *grp) sqlite3_bind_text(st, 5, grp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (int64_t)kt_now_ms());
    rc = srv_db_step_done(d, st, err);
  } else if (!rc) {
    rc = KT_EDB;
  }
  if (!rc && (st = srv_db_st(d, SRV_ST_NAME_FAIL_DROP, err))) { /* guesses at the name before */
    sqlite3_bind_int64(st, 1, 0);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    rc = srv_db_step_done(d, st, err);
  } else if (!rc) {
    rc = KT_EDB;
  }
  if (rc) {
    srv_db_rollback(d);
    return rc;
  }
  return srv_db_commit(d, err);
}

static int update_user_tx(srv_db *d, srv_st which, const char *name, const char *text,
                          int64_t num, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, which, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (text) sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
  else sqlite3_bind_int64(st, 2, num);
  sqlite3_bind_int64(st, 3, (int64_t)kt_now_ms());
  int rc = srv_db_step_done(d, st, err);
  if (!rc && sqlite3_changes(d->db) == 0)
    rc = kt_err_set(err, KT_ENOTFOUND, "no user named %s (see `kartotekad user list`)", name);
  if (!rc) rc = srv_db_meta_bump(d, "users_gen", err); /* the running server re-checks sessions */
  return rc;
}

/* Ends what tx_open began: commit when rc is 0, else roll back; returns rc. */
static int tx_close(srv_db *d, bool own, int rc, kt_err *err) {
  if (!own) return rc;
  if (rc) {
    srv_db_rollback(d);
    return rc;
  }
  return srv_db_commit(d, err);
}

/* A change and the users_gen bump commit together (unless the caller has a
 * transaction open: then they are part of it); *own says whether we began one. */
static int tx_open(srv_db *d, bool *own, kt_err *err) {
  *own = sqlite3_get_autocommit(d->db) != 0;
  return *own ? srv_db_begin(d, err) : 0;
}

static int update_user(srv_db *d, srv_st which, const char *name, const char *text, int64_t num,
                       kt_err *err) {
  bool own;
  int rc = tx_open(d, &own, err);
  if (rc) return rc;
  rc = update_user_tx(d, which, name, text, num, err);
  return tx_close(d, own, rc, err);
}

int srv_user_passwd(srv_db *d, const char *name, const char *password, kt_err *err) {
  int rc = srv_user_check_password(password, err);
  if (rc) return rc;
  char hash[256];
  if ((rc = kt_pwhash_hash(password, hash, sizeof hash, err))) return rc;
  return update_user(d, SRV_ST_USER_PASSWD, name, hash, 0, err);
}

int srv_user_set_disabled(srv_db *d, const char *name, bool disabled, kt_err *err) {
  return update_user(d, SRV_ST_USER_DISABLE, name, NULL, disabled ? 1 : 0, err);
}

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t outsz) {
  const char *v = (const char *)sqlite3_column_text(st, col);
  snprintf(out, outsz, "%s", v ? v : "");
}

int srv_user_list(srv_db *d, int (*cb)(void *ud, const srv_user_info *u), void *ud, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_USER_LIST, err);
  if (!st) return KT_EDB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    srv_user_info u;
    memset(&u, 0, sizeof u);
    copy_col(st, 0, u.name, sizeof u.name);
    copy_col(st, 1, u.id, sizeof u.id);
    copy_col(st, 2, u.role, sizeof u.role);
    copy_col(st, 3, u.grp, sizeof u.grp);
    u.disabled = sqlite3_column_int(st, 4) != 0;
    u.locked = sqlite3_column_int(st, 5) != 0;
    u.created = sqlite3_column_int64(st, 6);
    copy_col(st, 7, u.birthday, sizeof u.birthday);
    if (cb(ud, &u)) {
      rc = SQLITE_DONE;
      break;
    }
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : srv_db_error(d, rc, "listing accounts", err);
}

int srv_read_password_file(const char *path, char *out, size_t outsz, kt_err *err) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  if (!f)
    return kt_err_set(err, KT_EIO, "cannot read the password file %s: %s", path, strerror(errno));
  bool ok = fgets(out, (int)outsz, f) != NULL;
  if (f != stdin) fclose(f);
  if (!ok) return kt_err_set(err, KT_EINVAL, "the password file %s is empty", path);
  out[strcspn(out, "\r\n")] = '\0';
  return 0;
}

int srv_password_generate(char *out, size_t n, kt_err *err) {
  static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
  unsigned char rnd[64];
  if (n >= sizeof rnd) n = sizeof rnd - 1;
  int rc = kt_random_bytes(rnd, n, err);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) out[i] = alphabet[rnd[i] % (sizeof alphabet - 1)];
  out[n] = '\0';
  return 0;
}

int srv_user_set_role(srv_db *d, const char *name, const char *role, const char *grp, kt_err *err) {
  srv_user_info cur;
  int rc = srv_user_get(d, name, &cur, err);
  if (rc) return rc;
  if (!role || !*role) role = cur.role;
  if ((rc = check_role(d, role, err))) return rc;
  bool own;
  if ((rc = tx_open(d, &own, err))) return rc;
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_USER_SET_ROLE, err);
  if (!st) return tx_close(d, own, KT_EDB, err);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
  /* kept in SQL: cur.grp is cut to its buffer, and writing it back would lose groups */
  if (grp && *grp) sqlite3_bind_text(st, 3, grp, -1, SQLITE_STATIC);
  else sqlite3_bind_null(st, 3);
  sqlite3_bind_int(st, 4, grp == NULL);
  rc = srv_db_step_done(d, st, err);
  if (!rc) rc = srv_db_meta_bump(d, "users_gen", err);
  return tx_close(d, own, rc, err);
}

int srv_user_get(srv_db *d, const char *name, srv_user_info *out, kt_err *err) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_USER_GET, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(out->role, sizeof out->role, "%s", (const char *)sqlite3_column_text(st, 2));
    const unsigned char *g = sqlite3_column_text(st, 3);
    snprintf(out->grp, sizeof out->grp, "%s", g ? (const char *)g : "");
    out->disabled = sqlite3_column_int(st, 4) != 0;
    out->locked = sqlite3_column_int(st, 6) != 0;
    out->created = sqlite3_column_int64(st, 7);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc == SQLITE_DONE)
    return kt_err_set(err, KT_ENOTFOUND, "no user named %s (see `kartotekad user list`)", name);
  return srv_db_error(d, rc, "reading accounts", err);
}
