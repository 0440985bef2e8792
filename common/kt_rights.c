/* kt_rights — see kt_rights.h. */
#include "kt_rights.h"

#include <stdio.h>
#include <string.h>

#include "kt_i18n.h"

static void fill(kt_rights *r, kt_level read, kt_level edit, kt_level del) {
  int n;
  const kt_typedef *t = kt_registry_types(&n);
  for (int i = 0; i < n; i++) {
    unsigned char *l = r->lvl[t[i].code];
    if (t[i].flags & KT_TF_CONFIG && strcmp(t[i].name, "reminder") != 0) {
      /* office configuration: everybody reads it; changing it is the administrator's */
      l[KT_ACT_READ] = KT_LVL_ALL;
      l[KT_ACT_EDIT] = l[KT_ACT_DELETE] = KT_LVL_NONE;
    } else if (t[i].flags & KT_TF_SYSTEM) {
      /* the conflict log follows the cards it is about; only the server writes it */
      l[KT_ACT_READ] = (unsigned char)read;
      l[KT_ACT_EDIT] = l[KT_ACT_DELETE] = KT_LVL_NONE;
    } else if (strcmp(t[i].name, "reminder") == 0) {
      /* reminder states: one's own */
      l[KT_ACT_READ] = l[KT_ACT_EDIT] = KT_LVL_OWN;
      l[KT_ACT_DELETE] = KT_LVL_NONE;
    } else {
      l[KT_ACT_READ] = (unsigned char)read;
      l[KT_ACT_EDIT] = (unsigned char)edit;
      l[KT_ACT_DELETE] = (unsigned char)del;
    }
  }
}

/* The values of cards' multi-value fields (taggings) are parts of the cards: read like
   the cards, and tagging or untagging is editing the card (removing a tag is not
   deleting a card). They follow the organizations' levels and are never in the text. */
static int role_levels(const char *role, kt_rights *out, kt_err *err);

static void elements_follow_cards(kt_rights *r) {
  const kt_typedef *org = kt_registry_type("org");
  int n;
  const kt_typedef *t = kt_registry_types(&n);
  for (int i = 0; org && i < n; i++)
    if (t[i].flags & KT_TF_ELEMENT) {
      r->lvl[t[i].code][KT_ACT_READ] = r->lvl[org->code][KT_ACT_READ];
      r->lvl[t[i].code][KT_ACT_EDIT] = r->lvl[t[i].code][KT_ACT_DELETE] =
          r->lvl[org->code][KT_ACT_EDIT];
    }
}

int kt_rights_role(const char *role, kt_rights *out, kt_err *err) {
  int rc = role_levels(role, out, err);
  if (!rc) elements_follow_cards(out);
  return rc;
}

static int role_levels(const char *role, kt_rights *out, kt_err *err) {
  memset(out, 0, sizeof *out);
  if (role && strcmp(role, "administrator") == 0) {
    fill(out, KT_LVL_ALL, KT_LVL_ALL, KT_LVL_ALL);
    int n;
    const kt_typedef *t = kt_registry_types(&n);
    for (int i = 0; i < n; i++)
      if (t[i].flags & KT_TF_CONFIG && !(t[i].flags & KT_TF_SYSTEM) &&
          strcmp(t[i].name, "reminder") != 0)
        out->lvl[t[i].code][KT_ACT_EDIT] = out->lvl[t[i].code][KT_ACT_DELETE] = KT_LVL_ALL;
    out->can_export = out->can_import = out->mass_mail = out->reassign = out->manage_users =
        out->see_contacts = out->mass_update = true;
  } else if (role && strcmp(role, "head_of_sales") == 0) {
    fill(out, KT_LVL_ALL, KT_LVL_ALL, KT_LVL_ALL);
    out->can_export = out->can_import = out->mass_mail = out->reassign = out->see_contacts =
        out->mass_update = true;
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
  /* an assignee always reads (and records results of) their own tasks and events,
     and reads the conflict records about them (whose scope carries the assignee) */
  if (assignee && *assignee && who->user && strcmp(assignee, who->user) == 0 &&
      act != KT_ACT_DELETE) {
    const kt_typedef *t = kt_registry_type_by_code(tcode);
    if (t && ((t->flags & KT_TF_ASSIGNED) || ((t->flags & KT_TF_SYSTEM) && act == KT_ACT_READ)))
      return true;
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

/* ---- scopes ------------------------------------------------------------------------ */

static void copy_text(char *dst, size_t n, const kt_value *v) {
  if (v && v->kind == KT_V_TEXT && v->s) snprintf(dst, n, "%s", v->s);
  else dst[0] = '\0';
}

void kt_links_set(kt_links *l, const kt_mfield *f, const kt_value *v) {
  const char *n = f->name;
  if (f->custom) return;
  if (strcmp(n, "owner") == 0) copy_text(l->owner, sizeof l->owner, v);
  else if (strcmp(n, "grp") == 0) copy_text(l->grp, sizeof l->grp, v);
  else if (strcmp(n, "assignee") == 0) copy_text(l->asg, sizeof l->asg, v);
  else if (strcmp(n, "org") == 0 && f->type == KT_FT_REF) copy_text(l->org, sizeof l->org, v);
  else if (strcmp(n, "contact") == 0 && f->type == KT_FT_REF)
    copy_text(l->contact, sizeof l->contact, v);
  else if (strcmp(n, "rtype") == 0) copy_text(l->rtype, sizeof l->rtype, v);
  else if (strcmp(n, "rid") == 0) copy_text(l->rid, sizeof l->rid, v);
}

bool kt_links_move(const kt_links *a, const kt_links *b) {
  return strcmp(a->org, b->org) != 0 || strcmp(a->contact, b->contact) != 0 ||
         strcmp(a->asg, b->asg) != 0 || strcmp(a->owner, b->owner) != 0 ||
         strcmp(a->grp, b->grp) != 0;
}

void kt_links_from_rec(const kt_rec *r, kt_links *out) {
  memset(out, 0, sizeof *out);
  for (int i = 0; i < r->type->nfields; i++) kt_links_set(out, &r->type->fields[i], &r->v[i]);
}

static int card_scope_links(const kt_typedef *td, const kt_links *lp, kt_card_fn card, void *ud,
                            int depth, kt_scope *out, kt_err *err);

/* The scope of the card (org or contact) with this id; depth guards cycles. */
static int card_scope(const char *type, const char *id, kt_card_fn card, void *ud, int depth,
                      kt_scope *out, bool *found, kt_err *err) {
  *found = false;
  if (!id[0] || depth > 3) return 0;
  kt_rec *r = NULL;
  int rc = card(ud, type, id, &r, err);
  if (rc || !r) return rc;
  kt_links l;
  kt_links_from_rec(r, &l);
  const kt_typedef *td = r->type->def;
  kt_rec_free(r);
  *found = true;
  rc = card_scope_links(td, &l, card, ud, depth, out, err);
  /* the assignee of the record (a conflict about a task is read by its assignee too) */
  snprintf(out->asg, sizeof out->asg, "%s", td->flags & KT_TF_ASSIGNED ? l.asg : "");
  return rc;
}

static int card_scope_links(const kt_typedef *td, const kt_links *lp, kt_card_fn card, void *ud,
                            int depth, kt_scope *out, kt_err *err) {
  kt_links l = *lp;
  int rc;
  bool f2 = false;
  if (strcmp(td->name, "contact") == 0 && l.org[0]) {
    if ((rc = card_scope("org", l.org, card, ud, depth + 1, out, &f2, err))) return rc;
    if (f2) return 0;
  }
  if (strcmp(td->name, "org") != 0 && strcmp(td->name, "contact") != 0) {
    /* a conflict's subject that is not a card: resolve it like any record */
    if (l.org[0] && (rc = card_scope("org", l.org, card, ud, depth + 1, out, &f2, err))) return rc;
    if (!f2 && l.contact[0] &&
        (rc = card_scope("contact", l.contact, card, ud, depth + 1, out, &f2, err)))
      return rc;
    if (f2) return 0;
  }
  snprintf(out->owner, sizeof out->owner, "%s", l.owner);
  snprintf(out->grp, sizeof out->grp, "%s", l.grp);
  return 0;
}

int kt_rights_scope(const kt_mtype *t, const kt_links *l, kt_card_fn card, void *ud,
                    kt_scope *out, kt_err *err) {
  memset(out, 0, sizeof *out);
  const kt_typedef *td = t->def;
  if (td->flags & KT_TF_ASSIGNED) snprintf(out->asg, sizeof out->asg, "%s", l->asg);
  bool found = false;
  int rc = 0;
  if (td->flags & KT_TF_SYSTEM) {
    if (l->rtype[0] && l->rid[0]) {
      kt_scope sub;
      rc = card_scope(l->rtype, l->rid, card, ud, 0, &sub, &found, err);
      if (found) {
        snprintf(out->owner, sizeof out->owner, "%s", sub.owner);
        snprintf(out->grp, sizeof out->grp, "%s", sub.grp);
        snprintf(out->asg, sizeof out->asg, "%s", sub.asg);
      }
    }
  } else if (!(td->flags & KT_TF_CONFIG) && strcmp(td->name, "org") != 0) {
    if (l->org[0]) rc = card_scope("org", l->org, card, ud, 0, out, &found, err);
    if (!rc && !found && l->contact[0])
      rc = card_scope("contact", l->contact, card, ud, 0, out, &found, err);
    if (td->flags & KT_TF_ASSIGNED) snprintf(out->asg, sizeof out->asg, "%s", l->asg);
  }
  if (rc) return rc;
  if (!found) {
    snprintf(out->owner, sizeof out->owner, "%s", l->owner);
    snprintf(out->grp, sizeof out->grp, "%s", l->grp);
  }
  return 0;
}

bool kt_rights_allows_scope(const kt_who *who, int tcode, kt_action act, const kt_scope *sc) {
  return kt_rights_allows(who, tcode, act, sc->owner, sc->grp, sc->asg[0] ? sc->asg : NULL);
}

void kt_rights_read_masks(const kt_rights *r, uint64_t *all, uint64_t *own, uint64_t *group) {
  *all = *own = *group = 0;
  for (int c = 1; c < KT_MAX_TYPES && c < 64; c++) {
    switch ((kt_level)r->lvl[c][KT_ACT_READ]) {
    case KT_LVL_ALL: *all |= 1ull << c; break;
    case KT_LVL_OWN: *own |= 1ull << c; break;
    case KT_LVL_GROUP: *group |= 1ull << c; break;
    default: break;
    }
  }
}

/* ---- text form --------------------------------------------------------------------- */

static const char *const flag_names[] = {"export", "import", "mass_mail", "reassign",
                                         "manage_users", "see_contacts", "mass_update", NULL};
const char *const *kt_rights_flag_names(void) { return flag_names; }

static bool *flag_ptr(kt_rights *r, int i) {
  bool *p[] = {&r->can_export, &r->can_import, &r->mass_mail, &r->reassign, &r->manage_users,
               &r->see_contacts, &r->mass_update};
  return p[i];
}

void kt_rights_format(const kt_rights *r, kt_buf *out) {
  int n;
  const kt_typedef *t = kt_registry_types(&n);
  bool first = true;
  for (int i = 0; i < n; i++) {
    if (t[i].flags & (KT_TF_SYSTEM | KT_TF_ELEMENT)) continue;
    const unsigned char *l = r->lvl[t[i].code];
    kt_buf_printf(out, "%s%s=%s/%s/%s", first ? "" : " ", t[i].name, kt_level_name(l[0]),
                  kt_level_name(l[1]), kt_level_name(l[2]));
    first = false;
  }
  for (int i = 0; flag_names[i]; i++)
    if (*flag_ptr((kt_rights *)r, i)) kt_buf_printf(out, " +%s", flag_names[i]);
}

static int parse_level(const char *s, size_t n, kt_level *out) {
  static const char *names[] = {"none", "own", "group", "all"};
  for (int i = 0; i < 4; i++)
    if (strlen(names[i]) == n && strncmp(s, names[i], n) == 0) {
      *out = (kt_level)i;
      return 0;
    }
  return -1;
}

static int parse_token(const char *tok, kt_rights *r, kt_err *err) {
  if (tok[0] == '+' || tok[0] == '-') {
    for (int i = 0; flag_names[i]; i++)
      if (strcmp(tok + 1, flag_names[i]) == 0) {
        *flag_ptr(r, i) = tok[0] == '+';
        return 0;
      }
    return kt_err_set(err, KT_EINVAL, "unknown right '%s'; the flags are export, import, "
                      "mass_mail, reassign, manage_users, see_contacts and mass_update", tok + 1);
  }
  const char *eq = strchr(tok, '=');
  if (!eq) return kt_err_set(err, KT_EINVAL, "'%s' is not a right: write TYPE=READ/EDIT/DELETE, "
                             "TYPE.read=LEVEL or +FLAG", tok);
  char tname[48];
  size_t tl = (size_t)(eq - tok);
  const char *dot = memchr(tok, '.', tl);
  size_t nl = dot ? (size_t)(dot - tok) : tl;
  if (nl >= sizeof tname) nl = sizeof tname - 1;
  memcpy(tname, tok, nl);
  tname[nl] = '\0';
  const kt_typedef *td = kt_registry_type(tname);
  if (!td || td->flags & KT_TF_SYSTEM)
    return kt_err_set(err, KT_EINVAL, "unknown record type '%s' in '%s'", tname, tok);
  const char *v = eq + 1;
  if (dot) {
    int act = -1;
    size_t al = (size_t)(eq - dot - 1);
    const char *acts[] = {"read", "edit", "delete"};
    for (int i = 0; i < 3; i++)
      if (strlen(acts[i]) == al && strncmp(dot + 1, acts[i], al) == 0) act = i;
    kt_level lv;
    if (act < 0 || parse_level(v, strlen(v), &lv))
      return kt_err_set(err, KT_EINVAL, "'%s': write TYPE.read|edit|delete=none|own|group|all", tok);
    r->lvl[td->code][act] = (unsigned char)lv;
    return 0;
  }
  kt_level lv[3];
  for (int i = 0; i < 3; i++) {
    const char *end = i < 2 ? strchr(v, '/') : v + strlen(v);
    if (!end || parse_level(v, (size_t)(end - v), &lv[i]))
      return kt_err_set(err, KT_EINVAL, "'%s': write TYPE=READ/EDIT/DELETE with levels none, "
                        "own, group or all", tok);
    v = end + 1;
  }
  for (int i = 0; i < 3; i++) r->lvl[td->code][i] = (unsigned char)lv[i];
  return 0;
}

int kt_rights_parse(const char *text, kt_rights *r, kt_err *err) {
  kt_rights tmp = *r;
  const char *p = text ? text : "";
  char tok[128];
  while (*p) {
    while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n') p++;
    size_t n = strcspn(p, " ,\t\n");
    if (!n) break;
    if (n >= sizeof tok)
      return kt_err_set(err, KT_EINVAL, "right '%.40s...' is too long", p);
    memcpy(tok, p, n);
    tok[n] = '\0';
    p += n;
    int rc = parse_token(tok, &tmp, err);
    if (rc) return rc;
  }
  /* system types are not in the text: they follow the client cards */
  const kt_typedef *org = kt_registry_type("org");
  int n;
  const kt_typedef *t = kt_registry_types(&n);
  for (int i = 0; i < n; i++)
    if (t[i].flags & KT_TF_SYSTEM) {
      /* (office-wide server-written records, like staff birthdays, are read by all) */
      tmp.lvl[t[i].code][KT_ACT_READ] = t[i].flags & KT_TF_CONFIG ? KT_LVL_ALL
                                        : org ? tmp.lvl[org->code][KT_ACT_READ] : KT_LVL_NONE;
      tmp.lvl[t[i].code][KT_ACT_EDIT] = tmp.lvl[t[i].code][KT_ACT_DELETE] = KT_LVL_NONE;
    }
  elements_follow_cards(&tmp);
  *r = tmp;
  return 0;
}

int kt_rights_check(const kt_who *who, const char *role, const kt_mtype *t, const char *id,
                    const kt_scope *before, const kt_scope *after, const kt_change_kind *k,
                    kt_err *err) {
  int code = t->def->code;
  /* words, not type names; in the programs' language (the server's stay English) */
  const char *tn = kt_i18n_noun(t->def->noun ? t->def->noun : t->def->name);
  role = role && *role ? role : "?";
  if (!k->isnew && !kt_rights_allows_scope(who, code, KT_ACT_READ, before))
    return kt_err_set(err, KT_EPERM, KT_("there is no %s %s that you may change"), tn, id ? id : "");
  const char *whose = k->isnew ? after->owner : before->owner;
  if (k->contact_field && !kt_rights_field_visible(who, k->contact_field, whose))
    return kt_err_set(err, KT_EPERM, KT_("%s of a colleague's card is protected: your role may not "
                      "see or change it"), k->contact_field->name);
  if (!k->isnew && k->other && !kt_rights_allows_scope(who, code, KT_ACT_EDIT, before))
    return kt_err_set(err, KT_EPERM, KT_("you may not change this %s: it is %s's and your role (%s) "
                      "does not allow it"), tn, before->owner[0] ? before->owner : KT_("nobody"), role);
  if (!k->isnew && k->del && !kt_rights_allows_scope(who, code, KT_ACT_DELETE, before))
    return kt_err_set(err, KT_EPERM, KT_("you may not delete or restore this %s: your role (%s) does "
                      "not allow it"), tn, role);
  if (k->reassign && !who->rights.reassign)
    return kt_err_set(err, KT_EPERM, KT_("your role (%s) may not give %s cards to another person or "
                      "move them to another group: ask a head of sales"), role, tn);
  if (!k->isnew && k->moves) {
    kt_scope b = *before, a = *after;
    b.asg[0] = a.asg[0] = '\0';
    const kt_scope *no = !kt_rights_allows_scope(who, code, KT_ACT_EDIT, &b) ? before
                         : !kt_rights_allows_scope(who, code, KT_ACT_EDIT, &a) ? after : NULL;
    if (no)
      return kt_err_set(err, KT_EPERM, KT_("you may not move this %s to another card or person: "
                        "it would leave or land on %s's card, and your role (%s) lets you only "
                        "record what was done"), tn, no->owner[0] ? no->owner : KT_("nobody"), role);
  }
  kt_scope a = *after;
  if (k->isnew) a.asg[0] = '\0'; /* assigning a new record to oneself plants nothing */
  if ((k->isnew || k->other) && !kt_rights_allows_scope(who, code, KT_ACT_EDIT, &a)) {
    if (!after->owner[0])
      return kt_err_set(err, KT_EPERM,
                        k->isnew ? KT_("you may not create this %s: your role (%s) does not allow it")
                                 : KT_("you may not move this %s: your role (%s) does not allow it"),
                        tn, role);
    return kt_err_set(err, KT_EPERM,
                      k->isnew ? KT_("you may not create this %s owned by %s: your role (%s) does "
                                     "not allow it")
                               : KT_("you may not move this %s owned by %s: your role (%s) does "
                                     "not allow it"),
                      tn, after->owner, role);
  }
  return 0;
}
