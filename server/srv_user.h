/* srv_user — server accounts: add, change password, disable/enable, list.
 * Used by the offline `kartotekad user ...` commands (server stopped or
 * running) and, later, by remote administration over the protocol. Passwords
 * are stored only as Argon2id hashes (kt_pwhash). Every call is one
 * transaction on the caller's srv_db. */
#ifndef SRV_USER_H
#define SRV_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "srv_db.h"

#define SRV_PASSWORD_MIN 8

typedef struct srv_user_info {
  char name[80];
  char id[40];
  char role[32];
  char grp[128];
  bool disabled;
  bool locked;
  int64_t created; /* unix ms */
  char birthday[11]; /* YYYY-MM-DD or "" (srv_user_list only: from the staff record) */
} srv_user_info;

/* The shipped roles, NULL-terminated. */
const char *const *srv_user_roles(void);
/* KT_EINVAL with a message when name is not a valid user name. */
int srv_user_check_name(const char *name, kt_err *err);
/* KT_EINVAL when the password is too weak (length, empty). */
int srv_user_check_password(const char *pw, kt_err *err);

/* Adds an account; role NULL = "manager". KT_EEXISTS when the name is taken. */
int srv_user_add(srv_db *d, const char *name, const char *password, const char *role,
                 const char *grp, kt_err *err);
/* Sets a new password (and lifts a lock). KT_ENOTFOUND for an unknown user. */
int srv_user_passwd(srv_db *d, const char *name, const char *password, kt_err *err);
/* Disables (true) or re-enables an account. */
int srv_user_set_disabled(srv_db *d, const char *name, bool disabled, kt_err *err);
/* Changes a user's role and/or groups (NULL/"" role = keep; NULL grp = keep,
 * "" = none); raises the user's rights generation, so their replicas are
 * rebuilt under the new rights on the next sync. */
int srv_user_set_role(srv_db *d, const char *name, const char *role, const char *grp, kt_err *err);
/* One account. KT_ENOTFOUND. */
int srv_user_get(srv_db *d, const char *name, srv_user_info *out, kt_err *err);
/* Calls cb for each account in name order; cb returns non-zero to stop. */
int srv_user_list(srv_db *d, int (*cb)(void *ud, const srv_user_info *u), void *ud, kt_err *err);
/* Reads a password from the first line of a file ("-" = stdin). */
int srv_read_password_file(const char *path, char *out, size_t outsz, kt_err *err);
/* A random password of n characters from an unambiguous alphabet. */
int srv_password_generate(char *out, size_t n, kt_err *err);

#endif
