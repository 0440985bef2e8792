/* srv_admin — administration requests, one implementation for both ways in:
 * `kartotekad user|role|device ...` on the server machine (actor "", device
 * "local") and `kartoteka admin ...` over the protocol (AdminRequest; the
 * caller checks the manage_users right first). Every successful request is
 * written to the audit log. */
#ifndef SRV_ADMIN_H
#define SRV_ADMIN_H

#include "kt_buf.h"
#include "srv_db.h"
#include "srv_sync.h"

typedef struct srv_admin_req {
  const char *op;       /* user.add user.passwd user.disable user.enable user.role
                           user.birthday user.list role.list role.set device.list
                           device.revoke invite handover */
  const char *name;     /* the user, role or device id it is about */
  const char *role, *group, *password, *rights, *from, *address;
  const char *birthday; /* user.add (optional), user.birthday: YYYY-MM-DD; "" or "none" clears */
  int hours;            /* invite validity; 0 = default */
  /* handover (srv_handover.h): from (above) -> to, filters, options */
  const char *to, *where;
  bool with_tasks, dry_run;
} srv_admin_req;

typedef struct srv_admin_res {
  kt_buf out;           /* what to show: the result (invite token, a role's rights) or, for
                           the list requests, a table: a line "#KEY\tKEY..." naming the
                           columns, then one line per row of tab-separated cells (no tabs
                           or line breaks inside a cell; "" = no value) */
  char kick_user[80];   /* end this user's live sessions now (disabled, role changed) */
  bool feed_changed;    /* a synced record (staff) was written: tell live clients */
} srv_admin_res;

/* Runs one request. On failure nothing changed and err says why. The caller
 * frees res->out. sync: the server's master copy, for the synced staff
 * records (birthdays); NULL = open one for this call (the local commands). */
int srv_admin_exec(srv_db *d, srv_sync *sync, const char *actor, const char *device,
                   const srv_admin_req *q, srv_admin_res *res, kt_err *err);

/* The devices as a table (see srv_admin_res.out: id, user, name, state), oldest first. */
int srv_admin_device_rows(srv_db *d, kt_buf *out, kt_err *err);

/* The default address for invites: where the server last listened. */
void srv_admin_default_address(srv_db *d, char *out, size_t n);

#endif
