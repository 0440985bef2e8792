/* cl_upload — connecting a standalone profile and taking its cards along
 * (see cl_upload.h). Steps, each safe to repeat: enroll into connect.tmp;
 * copy the cards into its card index with the "upload_done" mark in the same
 * transaction; move the new profile's other files into the profile; keep the
 * standalone file as a hard link; rename the new card index over it. */
#include "cl_upload.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cl_session.h"
#include "cl_store.h"

#define STAGING "connect.tmp"
#define DB "replica.db"

/* dir/name into out; a path too long for out becomes "" (every use then fails
 * with the name of what it could not reach, never on a cut-short path). */
static void path_in(const char *dir, const char *name, char *out, size_t n) {
  int w = snprintf(out, n, "%s/%s", dir, name);
  if (w < 0 || (size_t)w >= n) out[0] = '\0';
}

static bool exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

typedef struct copy {
  cl_store *to;
  const char *from_user, *to_user;
  cl_upload_report *rep;
  kt_err *err;
} copy;

static void note_dropped(cl_upload_report *rep, const char *name) {
  rep->values_dropped++;
  if (strstr(rep->dropped, name)) return; /* names are short and distinct enough here */
  size_t n = strlen(rep->dropped);
  snprintf(rep->dropped + n, sizeof rep->dropped - n, "%s%s", n ? "," : "", name);
}

/* One card as this user's new card in the office's model: same id and
 * values; the owner and group are the office's; the local user's name in a
 * user field (assignee) becomes the account's; a custom field the office
 * does not have is left out (counted). */
static int copy_one(void *ud, const cl_rec *r) {
  copy *c = ud;
  kt_mtype *nt = kt_model_type(cl_store_model(c->to), r->type->def->name);
  if (!nt) return kt_err_set(c->err, KT_EINVAL, "the office has no %ss", r->type->def->noun);
  cl_rec *n = cl_rec_new(nt);
  if (!n) return kt_err_set(c->err, KT_ENOMEM, "out of memory");
  int rc = 0;
  for (int k = 0; k < r->type->nfields && !rc; k++) {
    const kt_mfield *f = &r->type->fields[k];
    const kt_value *v = &r->v[k];
    if (v->kind == KT_V_NULL) continue;
    if (f->vidx == KT_F_OWNER || f->vidx == KT_F_GRP || f->vidx == KT_F_UPDATED ||
        f->vidx == KT_F_DELETED)
      continue;
    kt_mfield *nf = kt_mtype_field(nt, f->name);
    if (!nf || nf->type != f->type) {
      note_dropped(c->rep, f->name);
      continue;
    }
    kt_value *dst = &n->v[nf - nt->fields];
    if (f->type == KT_FT_USER && v->kind == KT_V_TEXT && strcmp(v->s, c->from_user) == 0)
      rc = kt_value_set_text(dst, c->to_user, strlen(c->to_user));
    else
      rc = kt_value_copy(dst, v);
    if (rc) rc = kt_err_set(c->err, KT_ENOMEM, "out of memory");
  }
  if (!rc) rc = cl_store_add_rec(c->to, n, c->err);
  if (!rc) c->rep->cards++;
  cl_rec_free(n);
  return rc;
}

static int count_one(void *ud, const cl_rec *r) {
  (void)r;
  (*(int *)ud)++;
  return 0;
}

/* Walks the live (or trashed) cards of every type a user works with. */
static int each_card(cl_store *s, bool trash, cl_rec_cb cb, void *ud, kt_err *err) {
  int n = 0;
  kt_model *m = cl_store_model(s);
  kt_mtype *types = kt_model_types(m, &n);
  for (int i = 0; i < n; i++) {
    kt_mtype *t;
    if (types[i].def->flags & (KT_TF_CONFIG | KT_TF_SYSTEM) ||
        kt_model_type_get(m, types[i].def->name, &t, NULL))
      continue;
    cl_query q = {.type = types[i].def->name, .trash = trash};
    int rc = cl_store_list(s, &q, cb, ud, err);
    if (rc < 0) return rc;
    if (rc > 0) return err && err->code ? err->code : KT_EINTERNAL;
  }
  return 0;
}

/* The staging folder holds an enrolled profile: its card index knows the
 * server (written last by cl_session_connect, before anything can fail for
 * want of the server). Anything less is the rest of a killed enrollment. */
static bool staged_complete(const char *staged) {
  if (!exists(staged)) return false;
  cl_open_opts o = {.readonly = true};
  cl_store *s = NULL;
  if (cl_store_open(staged, &o, &s, NULL)) return false;
  kt_buf server = KT_BUF_INIT;
  bool ok = cl_store_connected(s) && cl_store_meta_get(s, "server", &server, NULL) == 0 &&
            server.len > 0;
  kt_buf_free(&server);
  cl_store_close(s);
  return ok;
}

/* Removes what a killed enrollment left in the staging folder. */
static void clear_staging(const char *staging) {
  DIR *d = opendir(staging);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char p[4200];
    path_in(staging, e->d_name, p, sizeof p);
    unlink(p);
  }
  closedir(d);
}

int cl_upload_pending(const char *dir, int *cards, bool *resumable, kt_err *err) {
  char db[4200], staged[4200];
  path_in(dir, DB, db, sizeof db);
  path_in(dir, STAGING "/" DB, staged, sizeof staged);
  cl_open_opts o = {.readonly = true};
  cl_store *s = NULL;
  int rc = cl_store_open(db, &o, &s, err);
  if (rc) return rc;
  if (cl_store_connected(s)) {
    cl_store_close(s);
    return kt_err_set(err, KT_EEXISTS, "this profile (%s) is already connected to an office "
                      "server; use another --profile for a new connection", dir);
  }
  int n = 0;
  rc = each_card(s, false, count_one, &n, err);
  cl_store_close(s);
  if (rc) return rc;
  *cards = n;
  *resumable = staged_complete(staged);
  return 0;
}

/* Copies the standalone cards into the staged card index, once. */
static int stage_cards(const char *db, const char *staged, cl_upload_report *rep, kt_err *err) {
  /* read-write, although it only reads: the last writer to close a card index
     checkpoints and removes its write-ahead log, which the check before the
     rename relies on */
  cl_store *from = NULL, *to = NULL;
  kt_buf done = KT_BUF_INIT, kept = KT_BUF_INIT;
  int rc = cl_store_open(db, NULL, &from, err);
  if (!rc) rc = cl_store_open(staged, NULL, &to, err);
  if (rc) goto out;
  if (cl_store_meta_get(to, "upload_done", &done, NULL) == 0) {
    /* copied by an earlier run that was interrupted later */
    if (cl_store_meta_get(to, "upload_kept", &kept, NULL) == 0)
      snprintf(rep->kept, sizeof rep->kept, "%s", kt_buf_str(&kept));
    goto count;
  }
  copy c = {.to = to, .from_user = cl_store_user(from), .to_user = cl_store_user(to), .rep = rep,
            .err = err};
  char name[64];
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(name, sizeof name, DB ".standalone-%Y%m%d-%H%M%S", &tm);
  snprintf(rep->kept, sizeof rep->kept, "%s", name);
  if ((rc = cl_store_begin(to, err))) goto out;
  rc = each_card(from, false, copy_one, &c, err);
  if (!rc) rc = cl_store_meta_set(to, "upload_kept", name, err);
  if (!rc) rc = cl_store_meta_set(to, "upload_done", "1", err);
  if (rc) {
    cl_store_rollback(to);
    goto out;
  }
  if ((rc = cl_store_commit(to, err))) goto out;
count:
  rc = each_card(from, true, count_one, &rep->trash_left, err);
out:
  kt_buf_free(&done);
  kt_buf_free(&kept);
  cl_store_close(from);
  cl_store_close(to);
  return rc;
}

/* Moves the staged profile's files (not its card index) into dir. */
static int move_files(const char *staging, const char *dir, kt_err *err) {
  DIR *d = opendir(staging);
  if (!d) return kt_err_set(err, KT_EIO, "cannot read %s: %s", staging, strerror(errno));
  struct dirent *e;
  int rc = 0;
  while (!rc && (e = readdir(d))) {
    if (e->d_name[0] == '.' || strncmp(e->d_name, DB, strlen(DB)) == 0) continue;
    char a[4200], b[4200];
    path_in(staging, e->d_name, a, sizeof a);
    path_in(dir, e->d_name, b, sizeof b);
    if (rename(a, b))
      rc = kt_err_set(err, KT_EIO, "cannot move %s into the profile: %s", a, strerror(errno));
  }
  closedir(d);
  return rc;
}

int cl_upload_connect(uv_loop_t *loop, const char *dir, const char *invite, const char *password,
                      const char *device_name, cl_upload_report *rep, kt_err *err) {
  cl_upload_report r = {0};
  int cards = 0;
  bool resumable = false;
  int rc = cl_upload_pending(dir, &cards, &resumable, err);
  if (rc) return rc;
  char db[4200], staging[4200], staged[4200], kept[4300];
  path_in(dir, DB, db, sizeof db);
  path_in(dir, STAGING, staging, sizeof staging);
  path_in(staging, DB, staged, sizeof staged);
  if (resumable) {
    r.resumed = true;
  } else {
    if (!invite) return kt_err_set(err, KT_EINVAL, "give the invite your administrator sent");
    if (mkdir(staging, 0700) && errno != EEXIST)
      return kt_err_set(err, KT_EIO, "cannot create %s: %s", staging, strerror(errno));
    clear_staging(staging);
    rc = cl_session_connect(loop, staging, invite, password, device_name, err);
    if (rc) {
      rmdir(staging); /* cl_session_connect leaves nothing in it on failure */
      return rc;
    }
  }
  if ((rc = stage_cards(db, staged, &r, err))) return rc;
  /* a write-ahead log beside the standalone file means a program still has it
     open (an agent): the new card index must not inherit it */
  char wal[4300];
  path_in(dir, DB "-wal", wal, sizeof wal);
  if (exists(wal))
    return kt_err_set(err, KT_EBUSY, "another program has this card index open (kartoteka "
                      "agent?); stop it and run the same connect again to finish (the invite is "
                      "not needed again)");
  if ((rc = move_files(staging, dir, err))) return rc;
  path_in(dir, r.kept, kept, sizeof kept);
  if (link(db, kept) && errno != EEXIST)
    return kt_err_set(err, KT_EIO, "cannot keep the standalone card index as %s: %s", kept,
                      strerror(errno));
  if (rename(staged, db))
    return kt_err_set(err, KT_EIO, "cannot put the new card index in place: %s", strerror(errno));
  char p[4300];
  path_in(staging, DB "-wal", p, sizeof p);
  unlink(p);
  path_in(staging, DB "-shm", p, sizeof p);
  unlink(p);
  rmdir(staging);
  snprintf(r.kept, sizeof r.kept, "%s", kept);
  if (rep) *rep = r;
  return 0;
}
