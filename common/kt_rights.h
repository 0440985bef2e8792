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
#include "kt_rec.h"
#include "kt_buf.h"
#include <stdint.h>

typedef enum kt_level { KT_LVL_NONE = 0, KT_LVL_OWN, KT_LVL_GROUP, KT_LVL_ALL } kt_level;
typedef enum kt_action { KT_ACT_READ = 0, KT_ACT_EDIT, KT_ACT_DELETE, KT_ACT__COUNT } kt_action;

typedef struct kt_rights {
  unsigned char lvl[KT_MAX_TYPES][KT_ACT__COUNT]; /* kt_level by type code and action */
  bool can_export, can_import, mass_mail, reassign, manage_users, see_contacts;
  bool mass_update; /* edit many cards at once (`edit TYPE --where ... --set`) */
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

/* ---- scopes: whose a record is ------------------------------------------------
 * A record's scope is the owner and group of the client card it belongs to,
 * and its assignee. Cards (org, contact) carry their own owner; a contact that
 * belongs to an organization follows that organization; tasks, events, deals,
 * notes and links follow their org (else their contact); conflict records
 * follow the record they are about; everything else is its own. */
typedef struct kt_scope {
  char owner[80];
  char grp[128];
  char asg[80]; /* assignee (tasks, events), "" otherwise */
} kt_scope;

/* The fields that decide a scope, as text ("" when unset), so a caller can
 * preview a scope with some values replaced before writing them. */
typedef struct kt_links {
  char owner[80], grp[128], asg[80];
  char org[40], contact[40];  /* ids of the card(s) the record belongs to */
  char rtype[32], rid[40];    /* conflict records: the record they are about */
} kt_links;

void kt_links_from_rec(const kt_rec *r, kt_links *out);
/* Sets the link named by field f (owner, grp, assignee, org, contact, rtype,
 * rid) from v; other fields are ignored. */
void kt_links_set(kt_links *l, const kt_mfield *f, const kt_value *v);

/* Whether a and b differ in where the record belongs: its card (org, contact),
 * owner, group or assignee. */
bool kt_links_move(const kt_links *a, const kt_links *b);

/* Reads the card (or conflict subject) of type `type` with id `id` into *out
 * (caller frees with kt_rec_free); *out = NULL when there is none. */
typedef int (*kt_card_fn)(void *ud, const char *type, const char *id, kt_rec **out, kt_err *err);

/* The scope of a record of type t with links l. */
int kt_rights_scope(const kt_mtype *t, const kt_links *l, kt_card_fn card, void *ud,
                    kt_scope *out, kt_err *err);

/* kt_rights_allows on a scope. */
bool kt_rights_allows_scope(const kt_who *who, int tcode, kt_action act, const kt_scope *sc);

/* What a change does, for kt_rights_check. */
typedef struct kt_change_kind {
  bool isnew;     /* creates the record */
  bool del;       /* deletes or restores it */
  bool other;     /* changes other fields */
  bool reassign;  /* changes a card's owner or group, or creates one for somebody else */
  bool moves;     /* changes where the record belongs (its card, owner, group or assignee) */
  const kt_mfield *contact_field; /* a phone/e-mail field it writes (NULL: none) */
} kt_change_kind;

/* The one decision, made the same way by the server (enforcing) and the client
 * (telling the user before the server refuses): may `who` (of role `role`)
 * make change k to a record of type t whose scope is `before` (unused for new
 * records) and will be `after`? EDIT on both (a record cannot be moved where
 * its writer may not edit it), DELETE for deleting or restoring, the reassign
 * right, see_contacts for others' phones and e-mails. Creating or moving a
 * record needs EDIT by the card's owner and group: an assignee's privilege
 * covers the task or event given to them, not planting records on a card or
 * taking one off it. 0, or KT_EPERM with a message in err. A record the user
 * may not even read is "no such record". */
int kt_rights_check(const kt_who *who, const char *role, const kt_mtype *t, const char *id,
                    const kt_scope *before, const kt_scope *after, const kt_change_kind *k,
                    kt_err *err);

/* Bit masks by type code of the read levels, for a feed filter in SQL:
 * all[code] | own[code] | group[code]. */
void kt_rights_read_masks(const kt_rights *r, uint64_t *all, uint64_t *own, uint64_t *group);

/* ---- text form of rights (the roles table, `role show`) -------------------
 * "org=all/all/own contact=own/own/none ... +export +see_contacts": per type
 * read/edit/delete levels, then the flags that are on. Parse accepts any
 * subset applied on top of *r (so "org.read=group" style edits work too:
 * TYPE.read|edit|delete=LEVEL and +FLAG / -FLAG). */
void kt_rights_format(const kt_rights *r, kt_buf *out);
int kt_rights_parse(const char *text, kt_rights *r, kt_err *err);
/* The flag names, in order: export import mass_mail reassign manage_users see_contacts
 * mass_update. */
const char *const *kt_rights_flag_names(void);

#endif
