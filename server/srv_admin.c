/* srv_admin — see srv_admin.h. */
#include "srv_admin.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kt_table.h"
#include "kt_time.h"
#include "kt_hlc.h"
#include "srv_audit.h"
#include "srv_auth.h"
#include "srv_handover.h"
#include "srv_rights.h"
#include "srv_user.h"

void srv_admin_default_address(srv_db *d, char *out, size_t n) {
  kt_buf last = KT_BUF_INIT;
  if (srv_db_meta_get(d, "last_listen", &last, NULL) == 0) {
    const char *l = kt_buf_str(&last);
    if (strncmp(l, "0.0.0.0:", 8) == 0 || strncmp(l, "[::]:", 5) == 0) {
      char host[200] = "localhost";
      gethostname(host, sizeof host - 1);
      snprintf(out, n, "%s:%s", host, strrchr(l, ':') + 1);
    } else {
      snprintf(out, n, "%s", l);
    }
  } else {
    snprintf(out, n, "127.0.0.1:7433");
  }
  kt_buf_free(&last);
}

/* ---- listings: a table as text (see srv_admin.h) ---------------------------- */

static int list_user(void *ud, const srv_user_info *u) {
  const char *cells[] = {u->name, u->role, u->grp,
                         u->disabled ? "disabled" : u->locked ? "locked" : "active", u->birthday};
  kt_table_text_line(ud, "", cells, 5);
  return 0;
}

int srv_admin_device_rows(srv_db *d, kt_buf *out, kt_err *err) {
  static const char *const head[] = {"id", "user", "name", "state"};
  kt_table_text_line(out, "#", head, 4);
  sqlite3_stmt *st = srv_db_st(d, SRV_ST_DEVICE_LIST, err);
  if (!st) return KT_EDB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *cells[] = {(const char *)sqlite3_column_text(st, 0),
                           (const char *)sqlite3_column_text(st, 1),
                           (const char *)sqlite3_column_text(st, 2),
                           sqlite3_column_int(st, 3) ? "revoked" : "active"};
    kt_table_text_line(out, "", cells, 4);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : srv_db_error(d, rc, "reading devices", err);
}

/* Writes the staff record of account `name` (see srv_sync_put_staff) through
 * sync, or through a master copy opened for this call. */
static int put_staff(srv_db *d, srv_sync *sync, const char *name, const char *birthday,
                     int deleted, bool create, srv_admin_res *res, kt_err *err) {
  srv_user_info u;
  int rc = srv_user_get(d, name, &u, err);
  if (rc) return rc;
  srv_sync *own = NULL;
  kt_hlc hlc;
  kt_buf sid = KT_BUF_INIT;
  if (!sync) {
    kt_hlc_init(&hlc, 0, NULL, NULL);
    srv_db_meta_get(d, "server_id", &sid, NULL);
    if ((rc = srv_sync_new(d, &hlc, kt_buf_str(&sid), &own, err))) goto out;
    sync = own;
  }
  bool changed = false;
  rc = srv_sync_put_staff(sync, u.id, name, birthday, deleted, create, &changed, err);
  if (!rc && changed) {
    res->feed_changed = true;
    if (own) rc = srv_db_meta_bump(d, "users_gen", err); /* the running server tells its clients */
  }
out:
  srv_sync_free(own);
  kt_buf_free(&sid);
  return rc;
}

/* day = "" for none/empty (clears), the date itself otherwise (checked). */
static int birthday_arg(const char *in, char day[11], kt_err *err) {
  day[0] = '\0';
  if (!in || !*in || strcmp(in, "none") == 0) return 0;
  if (kt_date_parse(in, day, err))
    return kt_err_set(err, KT_EINVAL, "bad birthday '%s': write it as YYYY-MM-DD (or none)", in);
  return 0;
}

static int list_role(void *ud, const char *name, const char *rights) {
  const char *cells[] = {name, rights};
  kt_table_text_line(ud, "", cells, 2);
  return 0;
}

static int need(const char *v, const char *what, kt_err *err) {
  return v && *v ? 0 : kt_err_set(err, KT_EINVAL, "give the %s", what);
}

int srv_admin_exec(srv_db *d, srv_sync *sync, const char *actor, const char *device,
                   const srv_admin_req *q, srv_admin_res *res, kt_err *err) {
  const char *op = q->op ? q->op : "";
  const char *name = q->name ? q->name : "";
  int rc;
  char detail[512] = "";
  if (strcmp(op, "user.list") == 0) {
    static const char *const head[] = {"name", "role", "group", "state", "birthday"};
    kt_table_text_line(&res->out, "#", head, 5);
    return srv_user_list(d, list_user, &res->out, err);
  }
  if (strcmp(op, "role.list") == 0) {
    static const char *const head[] = {"name", "rights"};
    kt_table_text_line(&res->out, "#", head, 2);
    return srv_role_list(d, list_role, &res->out, err);
  }
  if (strcmp(op, "device.list") == 0) return srv_admin_device_rows(d, &res->out, err);
  if (strcmp(op, "user.add") == 0) {
    char bday[11];
    if ((rc = need(q->password, "password", err)) || (rc = birthday_arg(q->birthday, bday, err)) ||
        (rc = srv_user_add(d, name, q->password, q->role, q->group, err)))
      return rc;
    /* every account has a staff record: every PC knows the office's user names */
    if ((rc = put_staff(d, sync, name, *bday ? bday : NULL, 0, true, res, err))) return rc;
    snprintf(detail, sizeof detail, "role %s%s%s%s%s", q->role ? q->role : "manager",
             q->group && *q->group ? ", groups " : "", q->group && *q->group ? q->group : "",
             *bday ? ", birthday " : "", bday);
  } else if (strcmp(op, "user.birthday") == 0) {
    char bday[11];
    if (!q->birthday)
      return kt_err_set(err, KT_EINVAL, "give the birthday as YYYY-MM-DD (or none to clear it)");
    if ((rc = birthday_arg(q->birthday, bday, err))) return rc;
    srv_user_info u;
    if ((rc = srv_user_get(d, name, &u, err))) return rc;
    if ((rc = put_staff(d, sync, name, bday, u.disabled ? 1 : 0, true, res, err))) return rc;
    snprintf(detail, sizeof detail, "%s", *bday ? bday : "cleared");
  } else if (strcmp(op, "user.passwd") == 0) {
    if ((rc = need(q->password, "password", err)) || (rc = srv_user_passwd(d, name, q->password, err)))
      return rc;
    snprintf(res->kick_user, sizeof res->kick_user, "%s", name);
  } else if (strcmp(op, "user.disable") == 0 || strcmp(op, "user.enable") == 0) {
    bool dis = strcmp(op, "user.disable") == 0;
    if ((rc = srv_user_set_disabled(d, name, dis, err))) return rc;
    if (dis) snprintf(res->kick_user, sizeof res->kick_user, "%s", name);
    /* a departed colleague's birthday is no longer reminded */
    if ((rc = put_staff(d, sync, name, NULL, dis ? 1 : 0, false, res, err))) return rc;
  } else if (strcmp(op, "user.role") == 0) {
    if (!(q->role && *q->role) && !q->group)
      return kt_err_set(err, KT_EINVAL, "give the new role and/or groups");
    if ((rc = srv_user_set_role(d, name, q->role, q->group, err))) return rc;
    srv_user_info u;
    if (srv_user_get(d, name, &u, NULL) == 0)
      snprintf(detail, sizeof detail, "now role %s, groups %s", u.role, u.grp[0] ? u.grp : "-");
  } else if (strcmp(op, "role.set") == 0) {
    if ((rc = srv_role_set(d, name, q->from, q->rights, err))) return rc;
    kt_rights r;
    kt_buf txt = KT_BUF_INIT;
    if (srv_role_rights(d, name, &r, NULL) == 0) kt_rights_format(&r, &txt);
    snprintf(detail, sizeof detail, "%s", kt_buf_str(&txt));
    static const char *const head[] = {"name", "rights"};
    kt_table_text_line(&res->out, "#", head, 2);
    list_role(&res->out, name, kt_buf_str(&txt));
    kt_buf_free(&txt);
  } else if (strcmp(op, "device.revoke") == 0) {
    if ((rc = need(q->name, "device id", err)) || (rc = srv_device_revoke(d, name, err))) return rc;
  } else if (strcmp(op, "invite") == 0) {
    char addr[300];
    if (q->address && *q->address) snprintf(addr, sizeof addr, "%s", q->address);
    else srv_admin_default_address(d, addr, sizeof addr);
    if ((rc = srv_invite_create(d, name, addr, q->hours, &res->out, err))) return rc;
    snprintf(detail, sizeof detail, "for %s", addr);
  } else if (strcmp(op, "handover") == 0) {
    if (!sync)
      return kt_err_set(err, KT_EINVAL, "a hand-over runs in the server: use `kartoteka admin "
                        "handover` while kartotekad serves");
    srv_handover_req h = {q->from, q->to, q->where, q->with_tasks, q->dry_run, device};
    srv_handover_res hr;
    if ((rc = srv_handover_run(sync, &h, &hr, err))) {
      srv_audit_note(d, actor ? actor : "", device ? device : "local", "denied.handover",
                     q->from ? q->from : "", "to %s: %s", q->to ? q->to : "", err->msg);
      return rc;
    }
    static const char *const head[] = {"clients", "records", "reassigned", "dry_run"};
    kt_table_text_line(&res->out, "#", head, 4);
    char c1[24], c2[24], c3[24];
    snprintf(c1, sizeof c1, "%zu", hr.clients);
    snprintf(c2, sizeof c2, "%zu", hr.records);
    snprintf(c3, sizeof c3, "%zu", hr.reassigned);
    const char *cells[] = {c1, c2, c3, q->dry_run ? "yes" : "no"};
    kt_table_text_line(&res->out, "", cells, 4);
    snprintf(detail, sizeof detail, "%sto %s: %zu clients, %zu records, %zu open tasks and "
             "events reassigned%s%s", q->dry_run ? "dry run, " : "", q->to, hr.clients,
             hr.records, hr.reassigned, q->where && *q->where ? ", where " : "",
             q->where ? q->where : "");
    name = q->from;
    res->feed_changed = !q->dry_run;
  } else {
    return kt_err_set(err, KT_EINVAL, "unknown administration request '%s'; the requests are "
                      "user add|passwd|disable|enable|role|birthday|list, role list|set, device list|revoke, "
                      "invite", op);
  }
  char action[64];
  snprintf(action, sizeof action, "admin.%s", op);
  srv_audit_note(d, actor ? actor : "", device ? device : "local", action, name, "%s", detail);
  return 0;
}
