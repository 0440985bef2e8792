/* srv_rights — who a session's user is, for the rights checks: the role's
 * rights (table srv_role; the shipped roles are written at start when
 * missing), the user's groups with all their subgroups (from the synced group
 * records), and the rights generation (raised by every role or group change,
 * so replicas built under older rights are rebuilt). Also the administration
 * of roles. Loop thread (or an offline admin command); one srv_db. */
#ifndef SRV_RIGHTS_H
#define SRV_RIGHTS_H

#include <stdbool.h>
#include <stdint.h>

#include "kt_rights.h"
#include "srv_db.h"

#define SRV_MAX_GROUPS 24

/* The subject of a session. kt_who points into this struct: do not copy it,
 * reload it (srv_subject_load) where it is needed. */
typedef struct srv_subject {
  char user[80];
  char role[32];
  uint64_t scope_gen;
  bool disabled;
  kt_who who;
  const char *groups[SRV_MAX_GROUPS];
  char gbuf[768];
  char groups_json[1024]; /* the groups as a JSON array, for the feed filter */
  uint64_t mask_all, mask_own, mask_group; /* read levels by type code */
  /* Reads only its own records (and what is assigned to it) besides the
   * office configuration: its feed is read through the owner and assignee
   * indexes instead of scanning everybody's changes (SRV_ST_LOG_PAGE_OWN). */
  bool narrow;
  char all_json[320]; /* the type codes read at level all, as a JSON array */
} srv_subject;

/* Writes the shipped roles that are missing. */
int srv_roles_seed(srv_db *d, kt_err *err);
/* The rights of a role. KT_ENOTFOUND (listing the roles) when unknown. */
int srv_role_rights(srv_db *d, const char *role, kt_rights *out, kt_err *err);
/* Creates or changes a role: start from `from` (a role, NULL = the role
 * itself, or nothing for a new role) and apply `changes` (kt_rights_parse
 * text). Raises the rights generation of the role's users. */
int srv_role_set(srv_db *d, const char *role, const char *from, const char *changes, kt_err *err);
/* Calls cb(name, rights text) for each role in name order. */
int srv_role_list(srv_db *d, int (*cb)(void *ud, const char *name, const char *rights), void *ud,
                  kt_err *err);

/* Loads the subject of user name (in place). KT_ENOTFOUND unknown user. */
int srv_subject_load(srv_db *d, const char *user, srv_subject *out, kt_err *err);
/* The rights generation and disabled flag of a user now (cheap: one row). */
int srv_subject_state(srv_db *d, const char *user, uint64_t *scope_gen, bool *disabled,
                      kt_err *err);

#endif
