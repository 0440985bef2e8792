/* cl_mail_config — templates as records, the office's mail settings and this
 * PC's SMTP secrets (see cl_mail.h). The password lives in the profile folder
 * (smtp-password, 0600, written through a temporary file and a rename), never
 * in the replica: nothing synced or logged ever holds it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cl_db.h"
#include "cl_mail_int.h"
#include "cl_mime.h"
#include "cl_tmpl.h"
#include "kt_uuid.h"

#define SECRET_FILE "smtp-password"

/* ---- small record helpers ------------------------------------------------------ */

kt_value *cl__mail_fval(const cl_rec *r, const char *field) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  return f ? &r->v[r->type->pos[f->vidx]] : NULL;
}

const char *cl_template_text(const cl_rec *r, const char *field) {
  const kt_value *v = cl__mail_fval(r, field);
  return v && v->kind == KT_V_TEXT ? v->s : "";
}

/* Reads the ids a one-column statement returns, calling cb with each record. */
static int walk_ids(cl_store *s, cl_st which, const char *arg, cl_rec_cb cb, void *ud,
                    kt_err *err) {
  cl_db *d = cl_store_db(s);
  sqlite3_stmt *st = cl_db_st(d, which, err);
  if (!st) return err ? err->code : KT_EDB;
  if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
  char **ids = NULL;
  int n = 0, cap = 0, rc = 0, sr;
  while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **p = realloc(ids, (size_t)cap * sizeof *p);
      if (!p) {
        rc = kt_err_set(err, KT_ENOMEM, "out of memory");
        break;
      }
      ids = p;
    }
    if (!(ids[n] = strdup((const char *)sqlite3_column_text(st, 0)))) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      break;
    }
    n++;
  }
  if (!rc && sr != SQLITE_DONE) rc = cl_db_error(d, sr, "reading templates and settings", err);
  sqlite3_reset(st);
  for (int i = 0; i < n; i++) {
    cl_rec *r = NULL;
    if (!rc && !(rc = cl_store_get(s, ids[i], &r, err))) {
      if (cb(ud, r)) i = n; /* stop: free the rest below */
      cl_rec_free(r);
    }
    free(ids[i]);
  }
  free(ids);
  return rc;
}

/* The id of the first row of a one-column statement into out; KT_ENOTFOUND when none. */
int cl__mail_first_id(cl_store *s, cl_st which, const char *arg, char out[KT_UUID_STRLEN + 1],
                    kt_err *err) {
  cl_db *d = cl_store_db(s);
  sqlite3_stmt *st = cl_db_st(d, which, err);
  if (!st) return err ? err->code : KT_EDB;
  if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
  int sr = sqlite3_step(st), rc = 0;
  if (sr == SQLITE_ROW) snprintf(out, KT_UUID_STRLEN + 1, "%s", sqlite3_column_text(st, 0));
  else if (sr == SQLITE_DONE) rc = KT_ENOTFOUND;
  else rc = cl_db_error(d, sr, "reading templates and settings", err);
  sqlite3_reset(st);
  return rc;
}

/* ---- templates ------------------------------------------------------------------ */

static int on_name(void *ud, const cl_rec *r) {
  kt_buf *b = ud;
  kt_buf_printf(b, "%s%s", b->len ? ", " : "", cl_template_text(r, "name"));
  return 0;
}

int cl_template_get(cl_store *s, const char *name, cl_rec **out, kt_err *err) {
  char id[KT_UUID_STRLEN + 1];
  int rc = cl__mail_first_id(s, CL_ST_TEMPLATE_BY_NAME, name, id, err);
  if (rc == KT_ENOTFOUND) {
    kt_buf names = KT_BUF_INIT;
    walk_ids(s, CL_ST_TEMPLATE_ALL, NULL, on_name, &names, NULL);
    rc = kt_err_set(err, KT_ENOTFOUND, "no template named '%s'%s%s%s", name,
                    names.len ? " (there are: " : "; add one with `kartoteka template add`",
                    kt_buf_str(&names), names.len ? ")" : "");
    kt_buf_free(&names);
    return rc;
  }
  return rc ? rc : cl_store_get(s, id, out, err);
}

int cl_template_list(cl_store *s, cl_rec_cb cb, void *ud, kt_err *err) {
  return walk_ids(s, CL_ST_TEMPLATE_ALL, NULL, cb, ud, err);
}

/* Checks one part of a template: every placeholder known. */
int cl__mail_check_part(cl_store *s, const char *what, const char *text, kt_err *err) {
  if (!text) return 0;
  cl_tmpl *t = NULL;
  int rc = cl_tmpl_parse(cl_store_model(s), text, strlen(text), &t, err);
  cl_tmpl_free(t);
  if (rc && err) {
    char msg[KT_ERR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s", err->msg);
    kt_err_set(err, rc, "the template's %s, %s", what, msg);
  }
  return rc;
}

int cl_template_save(cl_store *s, const cl_template_in *in, bool add, kt_err *err) {
  if (!in->name || !*in->name) return kt_err_set(err, KT_EINVAL, "give the template a name");
  int rc;
  if ((rc = cl__mail_check_part(s, "subject", in->subject, err)) ||
      (rc = cl__mail_check_part(s, "text", in->body, err)) || (rc = cl__mail_check_part(s, "HTML", in->html, err)))
    return rc;
  if (in->subject && strpbrk(in->subject, "\r\n"))
    return kt_err_set(err, KT_EINVAL, "the subject is one line: remove its line breaks");
  cl_set sets[6];
  int n = 0;
  const char *name = in->rename && *in->rename ? in->rename : in->name;
  sets[n++] = (cl_set){"name", name};
  if (in->kind) sets[n++] = (cl_set){"kind", in->kind};
  if (in->subject) sets[n++] = (cl_set){"subject", in->subject};
  if (in->body) sets[n++] = (cl_set){"body", in->body};
  if (in->html) sets[n++] = (cl_set){"html", in->html};
  cl_rec *old = NULL;
  char id[KT_UUID_STRLEN + 1];
  rc = cl__mail_first_id(s, CL_ST_TEMPLATE_BY_NAME, in->name, id, err);
  if (rc && rc != KT_ENOTFOUND) return rc;
  if (add && rc == 0)
    return kt_err_set(err, KT_EEXISTS, "there is a template named '%s' already; change it with "
                      "`kartoteka template edit %s` or choose another name", in->name, in->name);
  if (!add && rc == KT_ENOTFOUND) return cl_template_get(s, in->name, &old, err);
  if (in->rename && *in->rename && strcmp(in->rename, in->name) != 0) {
    char other[KT_UUID_STRLEN + 1];
    if (cl__mail_first_id(s, CL_ST_TEMPLATE_BY_NAME, in->rename, other, NULL) == 0)
      return kt_err_set(err, KT_EEXISTS, "there is a template named '%s' already", in->rename);
  }
  if (add) {
    if (!in->kind) sets[n++] = (cl_set){"kind", "mail"};
    char nid[KT_UUID_STRLEN + 1];
    if ((rc = kt_uuid_new_str(nid, err))) return rc;
    return cl_store_add_with_id(s, "template", nid, sets, n, err);
  }
  return cl_store_edit(s, id, sets, n, NULL, err);
}

/* ---- settings ------------------------------------------------------------------- */

int cl_mail_settings_get(cl_store *s, cl_mail_settings *out, kt_err *err) {
  char id[KT_UUID_STRLEN + 1];
  int rc = cl__mail_first_id(s, CL_ST_MAIL_SETTING, NULL, id, err);
  if (rc == KT_ENOTFOUND)
    return kt_err_set(err, KT_ENOTFOUND, "the office has no mail settings yet: an administrator "
                      "sets them with `kartoteka mail config --smtp smtp://HOST:PORT --from "
                      "ADDRESS`");
  cl_rec *r = NULL;
  if (rc || (rc = cl_store_get(s, id, &r, err))) return rc;
  memset(out, 0, sizeof *out);
  snprintf(out->smtp, sizeof out->smtp, "%s", cl_template_text(r, "smtp"));
  snprintf(out->login, sizeof out->login, "%s", cl_template_text(r, "login"));
  snprintf(out->sender, sizeof out->sender, "%s", cl_template_text(r, "sender"));
  const kt_value *v = cl__mail_fval(r, "starttls");
  out->starttls = v && v->kind == KT_V_INT && v->i;
  v = cl__mail_fval(r, "days");
  out->days = v && v->kind == KT_V_INT ? (int)v->i : CL_MAIL_DEFAULT_DAYS;
  cl_rec_free(r);
  return 0;
}

static int check_url(const char *u, kt_err *err) {
  const char *h = strncmp(u, "smtp://", 7) == 0 ? u + 7 : strncmp(u, "smtps://", 8) == 0 ? u + 8
                                                                                       : NULL;
  if (!h || !*h || *h == ':' || *h == '/' || strpbrk(u, " \t\r\n"))
    return kt_err_set(err, KT_EINVAL, "'%s' is not an SMTP server address: give "
                      "smtp://HOST:PORT (plain or with --starttls) or smtps://HOST:PORT", u);
  return 0;
}

int cl_mail_settings_set(cl_store *s, const char *smtp, int starttls, const char *login,
                         const char *sender, int days, kt_err *err) {
  int rc;
  if (smtp && (rc = check_url(smtp, err))) return rc;
  if (sender && !cl_mime_addr_ok(sender))
    return kt_err_set(err, KT_EINVAL, "--from '%s' is not an e-mail address", sender);
  if (days < -1 || days > 3650)
    return kt_err_set(err, KT_EINVAL, "--days is a number of days from 0 to 3650");
  char dstr[16], id[KT_UUID_STRLEN + 1];
  snprintf(dstr, sizeof dstr, "%d", days);
  cl_set sets[5];
  int n = 0;
  if (smtp) sets[n++] = (cl_set){"smtp", smtp};
  if (starttls >= 0) sets[n++] = (cl_set){"starttls", starttls ? "1" : "0"};
  if (login) sets[n++] = (cl_set){"login", login};
  if (sender) sets[n++] = (cl_set){"sender", sender};
  if (days >= 0) sets[n++] = (cl_set){"days", dstr};
  rc = cl__mail_first_id(s, CL_ST_MAIL_SETTING, NULL, id, err);
  if (rc == KT_ENOTFOUND) {
    if (!smtp || !sender)
      return kt_err_set(err, KT_EINVAL, "the first mail config needs --smtp and --from");
    if ((rc = kt_uuid_new_str(id, err))) return rc;
    return cl_store_add_with_id(s, "mail_setting", id, sets, n, err);
  }
  return rc ? rc : cl_store_edit(s, id, sets, n, NULL, err);
}

/* The profile folder: where the replica file is. */
static void profile_file(cl_store *s, const char *name, char *out, size_t n) {
  const char *p = cl_store_path(s);
  const char *slash = strrchr(p, '/');
  if (slash) snprintf(out, n, "%.*s/%s", (int)(slash - p), p, name);
  else snprintf(out, n, "%s", name);
}

int cl_mail_local_set(cl_store *s, const char *password, const char *cafile, kt_err *err) {
  int rc = 0;
  if (cafile) {
    if (*cafile && access(cafile, R_OK) != 0)
      return kt_err_set(err, KT_EIO, "cannot read the CA file %s: %s", cafile, strerror(errno));
    char abs[4096];
    if (*cafile && !realpath(cafile, abs))
      return kt_err_set(err, KT_EIO, "cannot resolve %s: %s", cafile, strerror(errno));
    if ((rc = cl_store_meta_set(s, CL__MAIL_META_CA, *cafile ? abs : "", err))) return rc;
  }
  if (!password) return 0;
  char path[4096], tmp[4200];
  profile_file(s, SECRET_FILE, path, sizeof path);
  if (!*password) {
    if (unlink(path) != 0 && errno != ENOENT)
      return kt_err_set(err, KT_EIO, "cannot remove %s: %s", path, strerror(errno));
    return 0;
  }
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  unlink(tmp);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return kt_err_set(err, KT_EIO, "cannot write %s: %s", tmp, strerror(errno));
  size_t len = strlen(password);
  if (fchmod(fd, 0600) != 0 || write(fd, password, len) != (ssize_t)len || fsync(fd) != 0)
    rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", tmp, strerror(errno));
  if (close(fd) != 0 && !rc) rc = kt_err_set(err, KT_EIO, "cannot write %s", tmp);
  if (!rc && rename(tmp, path) != 0)
    rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", path, strerror(errno));
  if (rc) unlink(tmp);
  return rc;
}

/* The stored password into out ("" when none). */
int cl__mail_read_secret(cl_store *s, char *out, size_t n, kt_err *err) {
  char path[4096];
  profile_file(s, SECRET_FILE, path, sizeof path);
  out[0] = 0;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : kt_err_set(err, KT_EIO, "cannot read %s: %s", path,
                                                        strerror(errno));
  struct stat sb;
  int rc = 0;
  if (fstat(fd, &sb) != 0 || (sb.st_mode & 077))
    rc = kt_err_set(err, KT_EPERM, "%s may be read by other users: make it private with "
                    "`chmod 600 %s`, or set the password again with `kartoteka mail password`",
                    path, path);
  ssize_t got = rc ? 0 : read(fd, out, n - 1);
  close(fd);
  if (got < 0) return kt_err_set(err, KT_EIO, "cannot read %s", path);
  out[got] = 0;
  out[strcspn(out, "\r\n")] = 0;
  return rc;
}

