/* kt_rights — see kt_rights.h. */
#include "kt_rights.h"

#include <string.h>

static void fill(kt_rights *r, kt_level read, kt_level edit, kt_level del) {
  int n;
  const kt_typedef *t = kt_registry_types(&n);
  for (int i = 0; i < n; i++) {
    unsigned char *l = r->lvl[t[i].code];
    if (t[i].flags & KT_TF_CONFIG && strcmp(t[i].name, "reminder") != 0) {
      /* office configuration: everybody reads it; changing it is the administrator's */
      l[KT_ACT_READ] = KT_LVL_ALL;
      l[KT_ACT_EDIT] = l[KT_ACT_DELETE] = KT_LVL_NONE;
    } else if (t[i].flags & KT_TF_SYSTEM || strcmp(t[i].name, "reminder") == 0) {
      /* conflict log and reminder states: one's own */
      l[KT_ACT_READ] = l[KT_ACT_EDIT] = KT_LVL_OWN;
      l[KT_ACT_DELETE] = KT_LVL_NONE;
    } else {
      l[KT_ACT_READ] = (unsigned char)read;
      l[KT_ACT_EDIT] = (unsigned char)edit;
      l[KT_ACT_DELETE] = (unsigned char)del;
    }
  }
}

int kt_rights_role(const char *role, kt_rights *out, kt_err *err) {
  memset(out, 0, sizeof *out);
  if (role && strcmp(role, "administrator") == 0) {
    fill(out, KT_LVL_ALL, KT_LVL_ALL, KT_LVL_ALL);
    int n;
    const kt_typedef *t = kt_registry_types(&n);
    for (int i = 0; i < n; i++)
      if (t[i].flags & KT_TF_CONFIG && strcmp(t[i].name, "reminder") != 0)
        out->lvl[t[i].code][KT_ACT_EDIT] = out->lvl[t[i].code][KT_ACT_DELETE] = KT_LVL_ALL;
    out->can_export = out->can_import = out->mass_mail = out->reassign = out->manage_users =
        out->see_contacts = true;
  } else if (role && strcmp(role, "head_of_sales") == 0) {
    fill(out, KT_LVL_ALL, KT_LVL_ALL, KT_LVL_ALL);
    out->can_export = out->can_import = out->mass_mail = out->reassign = out->see_contacts = true;
  } else if (role && strcmp(role, "manager") == 0) {
    fill(out, KT_LVL_OWN, KT_LVL_OWN, KT_LVL_OWN);
  } else if (role && strcmp(role, "assistant") == 0) {
    fill(out, KT_LVL_ALL, KT_LVL_NONE, KT_LVL_NONE);
    out->see_contacts = true;
  } else {
    return kt_err_set(err, KT_EINVAL, "unknown role '%s'; use administrator, head_of_sales, "
                      "manager or assistant", role ? role : "");
  }
  return 0;
}

const char *kt_level_name(kt_level l) {
  static const char *names[] = {"none", "own", "group", "all"};
  return (unsigned)l <= KT_LVL_ALL ? names[l] : "?";
}

static bool in_groups(const kt_who *w, const char *grp) {
  if (!grp || !*grp) return false;
  for (int i = 0; i < w->ngroups; i++)
    if (w->groups[i] && strcmp(w->groups[i], grp) == 0) return true;
  return false;
}

bool kt_rights_allows(const kt_who *who, int tcode, kt_action act, const char *owner,
                      const char *grp, const char *assignee) {
  if (tcode <= 0 || tcode >= KT_MAX_TYPES || (unsigned)act >= KT_ACT__COUNT) return false;
  bool mine = owner && who->user && strcmp(owner, who->user) == 0;
  /* an assignee always reads (and records results of) their own tasks and events */
  if (assignee && who->user && strcmp(assignee, who->user) == 0 && act != KT_ACT_DELETE) {
    const kt_typedef *t = kt_registry_type_by_code(tcode);
    if (t && (t->flags & KT_TF_ASSIGNED)) return true;
  }
  switch ((kt_level)who->rights.lvl[tcode][act]) {
  case KT_LVL_ALL:
    return true;
  case KT_LVL_GROUP:
    return mine || in_groups(who, grp);
  case KT_LVL_OWN:
    return mine;
  default:
    return false;
  }
}

bool kt_rights_field_visible(const kt_who *who, const kt_mfield *f, const char *owner) {
  if (!(f->flags & KT_FF_CONTACT) || who->rights.see_contacts) return true;
  return owner && who->user && strcmp(owner, who->user) == 0;
}
