/* srv_audit — see srv_audit.h. */
#include "srv_audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kt_json.h"
#include "kt_log.h"
#include "kt_time.h"
#include "kt_hlc.h"

static void row_hash(const char *prev, int64_t seq, int64_t ts, const char *actor,
                     const char *device, const char *action, const char *object,
                     const char *detail, char out[65]) {
  kt_buf b = KT_BUF_INIT;
  /* fields separated by US (0x1f), which never occurs in them (stripped on add) */
  kt_buf_printf(&b, "%s\x1f%lld\x1f%lld\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", prev, (long long)seq,
                (long long)ts, actor, device, action, object, detail);
  unsigned char md[32];
  unsigned int n = 0;
  EVP_Digest(b.p, b.len, md, &n, EVP_sha256(), NULL);
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
  kt_buf_free(&b);
}

static void clean(const char *in, char *out, size_t n) {
  size_t k = 0;
  for (const char *p = in ? in : ""; *p && k + 1 < n; p++)
    out[k++] = (*p == '\x1f' || *p == '\n' || *p == '\r') ? ' ' : *p;
  out[k] = '\0';
}

int srv_audit_add(srv_db *d, const char *actor, const char *device, const char *action,
                  const char *object, const char *detail, kt_err *err) {
  char a[128], dv[64], ac[64], ob[256], de[1024];
  clean(actor, a, sizeof a);
  clean(device, dv, sizeof dv);
  clean(action, ac, sizeof ac);
  clean(object, ob, sizeof ob);
  clean(detail, de, sizeof de);
  bool own = sqlite3_get_autocommit(d->db) != 0;
  int rc = own ? srv_db_begin(d, err) : 0;
  if (rc) return rc;
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_AUDIT_LAST, err);
  if (!st) {
    rc = KT_EDB;
    goto fail;
  }
  int64_t seq = 0;
  char prev[65] = "";
  if (sqlite3_step(st) == SQLITE_ROW) {
    seq = sqlite3_column_int64(st, 0);
    snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(st, 1));
  }
  sqlite3_reset(st);
  seq++;
  int64_t ts = (int64_t)kt_now_ms();
  char hash[65];
  row_hash(prev, seq, ts, a, dv, ac, ob, de, hash);
  if (!(st = srv_db_st(d, SRV_ST_AUDIT_ADD, err))) {
    rc = KT_EDB;
    goto fail;
  }
  sqlite3_bind_int64(st, 1, seq);
  sqlite3_bind_int64(st, 2, ts);
  sqlite3_bind_text(st, 3, a, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, dv, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, ac, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, ob, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, de, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 8, hash, -1, SQLITE_STATIC);
  if ((rc = srv_db_step_done(d, st, err))) goto fail;
  if (own) rc = srv_db_commit(d, err);
  return rc;
fail:
  if (own) srv_db_rollback(d);
  return rc;
}

void srv_audit_note(srv_db *d, const char *actor, const char *device, const char *action,
                    const char *object, const char *fmt, ...) {
  char detail[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  kt_err err;
  kt_err_clear(&err);
  if (srv_audit_add(d, actor, device, action, object, detail, &err))
    kt_log_error("audit", "cannot write the audit log (%s %s): %s", action, object, err.msg);
}

static const char *colt(sqlite3_stmt *st, int i) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  return s ? s : "";
}

int srv_audit_verify(srv_db *d, int64_t *rows, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_AUDIT_ALL, err);
  if (!st) return KT_EDB;
  char prev[65] = "";
  int64_t expect = 1;
  int rc, bad = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t seq = sqlite3_column_int64(st, 0);
    char h[65];
    row_hash(prev, seq, sqlite3_column_int64(st, 1), colt(st, 2), colt(st, 3), colt(st, 4),
             colt(st, 5), colt(st, 6), h);
    if (seq != expect) {
      bad = kt_err_set(err, KT_ECORRUPT, "the audit log is broken: row %lld is missing (the next "
                       "row is %lld); rows were deleted", (long long)expect, (long long)seq);
      break;
    }
    if (strcmp(h, colt(st, 7)) != 0) {
      bad = kt_err_set(err, KT_ECORRUPT, "the audit log is broken at row %lld: its content or the "
                       "row before it was changed", (long long)seq);
      break;
    }
    snprintf(prev, sizeof prev, "%s", colt(st, 7));
    expect++;
  }
  sqlite3_reset(st);
  if (bad) return bad;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return srv_db_error(d, rc, "reading the audit log", err);
  *rows = expect - 1;
  return 0;
}

int srv_audit_print(srv_db *d, const srv_audit_filter *f, bool json, kt_buf *out, kt_err *err) {
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_AUDIT_ALL, err);
  if (!st) return KT_EDB;
  kt_json w;
  if (json) {
    kt_json_init(&w, out, false);
    kt_json_arr_begin(&w);
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t ts = sqlite3_column_int64(st, 1);
    const char *actor = colt(st, 2), *action = colt(st, 4);
    if (f->actor && strcmp(f->actor, actor) != 0) continue;
    if (f->action && strncmp(action, f->action, strlen(f->action)) != 0) continue;
    if (f->since_ms && ts < f->since_ms) continue;
    char when[40];
    kt_datetime_format(ts, true, when, sizeof when);
    if (json) {
      kt_json_obj_begin(&w);
      kt_json_key(&w, "seq");
      kt_json_int(&w, sqlite3_column_int64(st, 0));
      kt_json_key(&w, "time");
      kt_json_str(&w, when);
      kt_json_key(&w, "actor");
      kt_json_str(&w, actor);
      kt_json_key(&w, "device");
      kt_json_str(&w, colt(st, 3));
      kt_json_key(&w, "device_name");
      kt_json_str(&w, (const char *)sqlite3_column_text(st, 8));
      kt_json_key(&w, "action");
      kt_json_str(&w, action);
      kt_json_key(&w, "object");
      kt_json_str(&w, colt(st, 5));
      kt_json_key(&w, "detail");
      kt_json_str(&w, colt(st, 6));
      kt_json_obj_end(&w);
    } else {
      /* people read a PC by its name (one word here); --json has the device id */
      char dev[128];
      const char *dname = (const char *)sqlite3_column_text(st, 8);
      snprintf(dev, sizeof dev, "%s", dname && *dname ? dname : colt(st, 3));
      for (char *p = dev; *p; p++)
        if (*p == ' ' || *p == '\t') *p = '_';
      kt_buf_printf(out, "%lld %s %s %s %s %s%s%s\n", (long long)sqlite3_column_int64(st, 0), when,
                    actor[0] ? actor : "-", dev, action, colt(st, 5),
                    colt(st, 6)[0] ? " " : "", colt(st, 6));
    }
  }
  sqlite3_reset(st);
  if (json) {
    kt_json_arr_end(&w);
    kt_buf_putc(out, '\n');
  }
  return rc == SQLITE_DONE ? 0 : srv_db_error(d, rc, "reading the audit log", err);
}

int srv_audit_head(srv_db *d, int64_t *seq, char hash[65], kt_err *err) {
  *seq = 0;
  hash[0] = '\0';
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_AUDIT_LAST, err);
  if (!st) return KT_EDB;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *seq = sqlite3_column_int64(st, 0);
    snprintf(hash, 65, "%s", colt(st, 1));
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : srv_db_error(d, rc, "reading the audit log", err);
}

static bool is_hex(const char *s) {
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return false;
  return true;
}

int srv_audit_parse_anchor(const char *text, int64_t *seq, char hash[65], kt_err *err) {
  const char *colon = text ? strchr(text, ':') : NULL;
  char *end = NULL;
  long long n = colon ? strtoll(text, &end, 10) : 0;
  size_t hl = colon ? strlen(colon + 1) : 0;
  if (!colon || end != colon || n < 1 || hl < 16 || hl > 64 || !is_hex(colon + 1))
    return kt_err_set(err, KT_EINVAL,
                      "bad audit head '%s': give it as SEQ:HASH, the way `kartotekad audit "
                      "--verify` and the server log print it (at least 16 hex digits)",
                      text ? text : "");
  *seq = n;
  snprintf(hash, 65, "%s", colon + 1);
  return 0;
}

int srv_audit_check_anchor(srv_db *d, int64_t seq, const char *hash, const char *source,
                           kt_err *err) {
  if (seq < 1) return 0; /* an empty log anchors nothing */
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_AUDIT_AT, err);
  if (!st) return KT_EDB;
  sqlite3_bind_int64(st, 1, seq);
  int rc = sqlite3_step(st);
  char have[65] = "";
  if (rc == SQLITE_ROW) snprintf(have, sizeof have, "%s", colt(st, 0));
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return srv_db_error(d, rc, "reading the audit log", err);
  if (rc == SQLITE_DONE) {
    int64_t last = 0;
    char lh[65];
    if ((rc = srv_audit_head(d, &last, lh, err))) return rc;
    return kt_err_set(err, KT_ECORRUPT,
                      "the audit log is broken: %s holds row %lld, but the log ends at row %lld; "
                      "its newest rows were deleted",
                      source, (long long)seq, (long long)last);
  }
  if (strncmp(have, hash, strlen(hash)) != 0)
    return kt_err_set(err, KT_ECORRUPT,
                      "the audit log is broken: row %lld differs from %s; the log was rewritten "
                      "from that row on",
                      (long long)seq, source);
  return 0;
}

int srv_audit_backup_head(srv_db *d, const char *path, char epoch[64], int64_t *seq,
                          char hash[65], kt_err *err) {
  *seq = 0;
  hash[0] = epoch[0] = '\0';
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_BK_ATTACH, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) return srv_db_error(d, rc, "opening a backup", err);
  if (!(st = srv_db_st(d, SRV_ST_BK_HEAD, err))) {
    rc = KT_EDB;
  } else {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      snprintf(epoch, 64, "%s", colt(st, 0));
      *seq = sqlite3_column_int64(st, 1);
      snprintf(hash, 65, "%s", colt(st, 2));
    }
    sqlite3_reset(st);
    rc = rc == SQLITE_ROW ? 0 : srv_db_error(d, rc, "reading a backup's audit log", err);
  }
  if ((st = srv_db_st(d, SRV_ST_BK_DETACH, NULL))) {
    sqlite3_step(st);
    sqlite3_reset(st);
  }
  return rc;
}
