/* cl_profile — see cl_profile.h. The folder is rolled back by hand on
 * failure: the files a join or a new card index may write, then the folders
 * this call made (deepest first), so a second try meets what the first one
 * found. */
#include "cl_profile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cl_session.h"
#include "cl_store.h"
#include "kt_invite.h"
#include "kt_pki.h"
#include "kt_plat.h"

#define PATH_MAX_ 4096
#define MADE_MAX 16 /* folders one call may create above the profile */

static int db_path(const char *dir, char *out, size_t n, kt_err *err) {
  if (!dir || !*dir) return kt_err_set(err, KT_EINVAL, "no profile folder given");
  if (snprintf(out, n, "%s/replica.db", dir) >= (int)n)
    return kt_err_set(err, KT_EINVAL, "the profile folder's name is too long: %.80s…", dir);
  return 0;
}

bool cl_profile_exists(const char *dir) {
  char db[PATH_MAX_ + 16];
  return db_path(dir, db, sizeof db, NULL) == 0 && kt_plat_file_info(db, NULL) == 0;
}

int cl_profile_kind_get(const char *dir, cl_profile_kind *out, kt_err *err) {
  char db[PATH_MAX_ + 16];
  int rc = db_path(dir, db, sizeof db, err);
  if (rc) return rc;
  if (kt_plat_file_info(db, NULL) != 0) {
    *out = CL_PROFILE_NONE;
    return 0;
  }
  cl_store *s = NULL;
  cl_open_opts ro = {.readonly = true};
  rc = cl_store_open(db, &ro, &s, err);
  if (rc == KT_EVERSION) rc = cl_store_open(db, NULL, &s, err); /* older: migrated */
  if (rc) return rc;
  *out = cl_store_connected(s) ? CL_PROFILE_CONNECTED : CL_PROFILE_STANDALONE;
  cl_store_close(s);
  return 0;
}

int cl_profile_invite_read(const char *token, cl_profile_invite *out, kt_err *err) {
  kt_invite inv;
  unsigned char raw[KT_PKI_FPR_LEN];
  cl_profile_invite r;
  memset(&r, 0, sizeof r);
  if (!token || !*token)
    return kt_err_set(err, KT_EINVAL, "no invite given: paste the invite your administrator sent");
  int rc = kt_invite_decode(token, &inv, err);
  if (rc) return rc;
  if (kt_pki_fingerprint_parse(inv.ca_fpr, raw, NULL) ||
      kt_pki_fingerprint_format(raw, true, r.fingerprint, sizeof r.fingerprint, NULL))
    return kt_err_set(err, KT_EINVAL, KT_INVITE_DAMAGED);
  snprintf(r.address, sizeof r.address, "%s", inv.addresses);
  snprintf(r.user, sizeof r.user, "%s", inv.user);
  memset(&inv, 0, sizeof inv); /* the one-time secret */
  *out = r;
  return 0;
}

/* ---- the folder: made, and unmade on failure ------------------------------------------ */

typedef struct made_dirs {
  char path[PATH_MAX_];
  size_t len[MADE_MAX]; /* prefixes of path that did not exist, deepest first */
  int n;
} made_dirs;

/* Makes dir (and the folders above it) 0700, remembering which were missing. */
static int folder_make(const char *dir, made_dirs *m, kt_err *err) {
  memset(m, 0, sizeof *m);
  size_t n = strlen(dir);
  if (n >= sizeof m->path)
    return kt_err_set(err, KT_EINVAL, "the profile folder's name is too long: %.80s…", dir);
  memcpy(m->path, dir, n + 1);
  while (n > 1 && m->path[n - 1] == '/') m->path[--n] = '\0';
  size_t k = n;
  while (k > 0 && m->n < MADE_MAX) {
    char c = m->path[k];
    m->path[k] = '\0';
    bool there = kt_plat_file_info(m->path, NULL) == 0;
    m->path[k] = c;
    if (there) break;
    m->len[m->n++] = k;
    while (k > 0 && m->path[k - 1] != '/') k--; /* to the parent's end */
    while (k > 1 && m->path[k - 1] == '/') k--;
    if (k == 1 && m->path[0] == '/') break; /* the root is always there */
  }
  if (kt_plat_mkdir_private(m->path, true))
    return kt_err_set(err, KT_EIO, "cannot create the profile folder %s: %s", m->path,
                      strerror(errno));
  return 0;
}

/* Removes what folder_make made (each only if it is empty again). */
static void folder_unmake(made_dirs *m) {
  for (int i = 0; i < m->n; i++) {
    char c = m->path[m->len[i]];
    m->path[m->len[i]] = '\0';
    kt_plat_remove_dir(m->path);
    m->path[m->len[i]] = c;
  }
}

/* The files a card index in dir consists of, before anything else is made. */
static void remove_replica(const char *db) {
  static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
  char p[PATH_MAX_ + 32];
  for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
    snprintf(p, sizeof p, "%s%s", db, tails[i]);
    kt_plat_remove(p);
  }
}

static int exists_error(const char *dir, kt_err *err) {
  return kt_err_set(err, KT_EEXISTS, "a card index already exists in %s; nothing was changed "
                    "(for another one, use another profile folder: --profile DIR)", dir);
}

/* ---- joining the office ----------------------------------------------------------------- */

static cl_profile_input input_of(int code) {
  switch (code) {
  case KT_EEXISTS: /* the server's: the invite was spent (the folder's is told apart before) */
  case KT_EEXPIRED:
  case KT_EVERSION:
    return CL_PROFILE_IN_INVITE;
  case KT_EAUTH:
  case KT_ETHROTTLED:
  case KT_ELOCKED:
  case KT_EDISABLED:
    return CL_PROFILE_IN_PASSWORD;
  case KT_ENET:
  case KT_ETLS:
  case KT_EPROTO:
    return CL_PROFILE_IN_SERVER;
  case KT_EIO:
  case KT_EPERM:
    return CL_PROFILE_IN_FOLDER;
  default:
    return CL_PROFILE_IN_NONE;
  }
}

int cl_profile_connect(const char *dir, const char *invite, const char *password,
                       const char *device_name, cl_profile_input *at, kt_err *err) {
  char db[PATH_MAX_ + 16];
  cl_profile_invite inv;
  cl_profile_input where = CL_PROFILE_IN_FOLDER;
  made_dirs made;
  bool folder = false;
  int rc = db_path(dir, db, sizeof db, err);
  if (rc) goto out;
  if (kt_plat_file_info(db, NULL) == 0) {
    rc = exists_error(dir, err);
    goto out;
  }
  where = CL_PROFILE_IN_INVITE;
  if ((rc = cl_profile_invite_read(invite, &inv, err))) goto out;
  where = CL_PROFILE_IN_PASSWORD;
  if (!password || !*password) {
    rc = kt_err_set(err, KT_EINVAL, "no password given: type the password of your account %s",
                    inv.user);
    goto out;
  }
  where = CL_PROFILE_IN_FOLDER;
  if ((rc = folder_make(dir, &made, err))) goto out;
  folder = true;
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) {
    rc = kt_err_set(err, KT_ENOMEM, "cannot start the connection (out of memory?); try again");
    goto out;
  }
  rc = cl_session_connect(&loop, dir, invite, password, device_name, err);
  uv_run(&loop, UV_RUN_NOWAIT); /* close callbacks of what the session closed */
  uv_loop_close(&loop);
  where = input_of(rc);
  if (rc == KT_ENET && err) {
    char why[KT_ERR_MSG_MAX];
    snprintf(why, sizeof why, "%s", err->msg);
    kt_err_set(err, rc, "%.400s; check that this PC is on the office network and that the "
               "office server is running, then try again", why);
  }
out:
  if (rc && folder) {
    remove_replica(db); /* cl_session_connect removes its own; this is a second broom */
    folder_unmake(&made);
  }
  if (rc && at) *at = where;
  return rc;
}

/* ---- a card index on this PC only ------------------------------------------------------- */

int cl_profile_init_local(const char *dir, const char *user, kt_err *err) {
  char db[PATH_MAX_ + 16];
  made_dirs made;
  int rc = db_path(dir, db, sizeof db, err);
  if (rc) return rc;
  if (!user || !*user || strspn(user, " \t") == strlen(user))
    return kt_err_set(err, KT_EINVAL, "give your user name for the new card index");
  if (kt_plat_file_info(db, NULL) == 0) return exists_error(dir, err);
  if ((rc = folder_make(dir, &made, err))) return rc;
  rc = cl_store_create(db, user, "local", NULL, err);
  if (rc == KT_EEXISTS) return exists_error(dir, err); /* made meanwhile: it is not ours */
  if (rc) {
    remove_replica(db);
    folder_unmake(&made);
  }
  return rc;
}
