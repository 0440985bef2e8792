/* kt_rights — who may read, edit and delete which records. Rights belong to a
 * role: per entity type a level for each action (none | own | group | all),
 * plus flags (export, import, mass mail, reassign clients, manage users, see
 * others' phones and e-mails). The shipped roles are administrator,
 * head_of_sales, manager and assistant (read-only).
 *
 * Evaluation is pure: the server (enforcing on every push and pull) and the
 * client (greying out the UI) ask the same question with the same answer.
 * Events, tasks, deals, notes and links follow the client card they belong to
 * (the caller passes that card's owner and group); an assignee always sees
 * their own tasks and events. */
#ifndef KT_RIGHTS_H
#define KT_RIGHTS_H

#include <stdbool.h>

#include "kt_err.h"
#include "kt_model.h"
#include "kt_registry.h"

typedef enum kt_level { KT_LVL_NONE = 0, KT_LVL_OWN, KT_LVL_GROUP, KT_LVL_ALL } kt_level;
typedef enum kt_action { KT_ACT_READ = 0, KT_ACT_EDIT, KT_ACT_DELETE, KT_ACT__COUNT } kt_action;

typedef struct kt_rights {
  unsigned char lvl[KT_MAX_TYPES][KT_ACT__COUNT]; /* kt_level by type code and action */
  bool can_export, can_import, mass_mail, reassign, manage_users, see_contacts;
} kt_rights;

/* The rights of a shipped role. KT_EINVAL (listing the roles) when unknown. */
int kt_rights_role(const char *role, kt_rights *out, kt_err *err);
const char *kt_level_name(kt_level l);

/* The subject: a user, the groups they belong to (a group includes its
 * subgroups: pass them all), and their rights. */
typedef struct kt_who {
  const char *user;
  const char *const *groups;
  int ngroups;
  kt_rights rights;
} kt_who;

/* May `who` do `act` on a record of type tcode whose card has this owner and
 * group? assignee: the record's assignee (tasks/events) or NULL. */
bool kt_rights_allows(const kt_who *who, int tcode, kt_action act, const char *owner,
                      const char *grp, const char *assignee);

/* May `who` see field f of a card owned by owner? Phones, e-mails and
 * messengers (KT_FF_CONTACT) of others' cards need see_contacts. */
bool kt_rights_field_visible(const kt_who *who, const kt_mfield *f, const char *owner);

#endif
