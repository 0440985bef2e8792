/* kt_registry — the entity/field table (see kt_registry.h). Append-only per
 * type: adding a field here is a one-line change plus a numbered migration
 * that adds the column (the open-time schema check names any mismatch). */
#include "kt_registry.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define COMMON_FIELDS                                                                    \
  {"id", KT_FT_UUID, KT_FF_SYSTEM | KT_FF_NOTLIST, "Id", NULL, NULL},                     \
      {"owner", KT_FT_USER, KT_FF_INDEX, "Owner", NULL, NULL},                            \
      {"grp", KT_FT_GROUP, 0, "Group", NULL, NULL},                                       \
      {"created", KT_FT_DATETIME, KT_FF_SYSTEM | KT_FF_NOTLIST, "Created", NULL, NULL},    \
      {"updated", KT_FT_DATETIME, KT_FF_SYSTEM | KT_FF_NOTLIST, "Updated", NULL, NULL},   \
  {                                                                                      \
    "deleted", KT_FT_BOOL, KT_FF_SYSTEM | KT_FF_NOTLIST, "In trash", NULL, NULL           \
  }

#define S KT_FF_SEARCH
#define T KT_FF_TITLE
#define R KT_FF_REQUIRED
#define C KT_FF_CONTACT
#define I KT_FF_INDEX

static const kt_fielddef org_fields[] = {
    COMMON_FIELDS,
    {"name", KT_FT_TEXT, S | T | R | KT_FF_COLUMN, "Name", NULL, NULL},
    {"legal_name", KT_FT_TEXT, S, "Legal name", NULL, NULL},
    {"tax_id", KT_FT_TEXT, S | KT_FF_CLAIM, "Tax id", NULL, NULL},
    {"industry", KT_FT_TEXT, S, "Industry", NULL, NULL},
    {"size", KT_FT_CHOICE, 0, "Size", NULL, "micro=Micro,small=Small,medium=Medium,large=Large"},
    {"employees", KT_FT_INT, 0, "Employees", NULL, NULL},
    {"turnover", KT_FT_MONEY, 0, "Annual turnover", NULL, NULL},
    {"country", KT_FT_TEXT, S, "Country", NULL, NULL},
    {"region", KT_FT_TEXT, S, "Region", NULL, NULL},
    {"city", KT_FT_TEXT, S | KT_FF_PLACE | KT_FF_COLUMN | KT_FF_FILTER, "City", NULL, NULL},
    {"street", KT_FT_TEXT, S, "Street", NULL, NULL},
    {"phone", KT_FT_PHONE, C | KT_FF_COLUMN, "Phone", NULL, NULL},
    {"phone2", KT_FT_PHONE, C, "Phone 2", NULL, NULL},
    {"email", KT_FT_EMAIL, S | C | KT_FF_COLUMN, "E-mail", NULL, NULL},
    {"site", KT_FT_URL, S, "Web site", NULL, NULL},
    {"work_hours", KT_FT_TEXT, 0, "Working hours", NULL, NULL},
    {"best_time", KT_FT_TEXT, 0, "Best time to call", NULL, NULL},
    {"channel", KT_FT_CHOICE, 0, "Preferred channel", NULL,
     "phone=By phone,email=By e-mail,messenger=Messenger,visit=Visit"},
    {"stage", KT_FT_CHOICE, KT_FF_COLUMN, "Pipeline stage", NULL, "0.5,0.6,0.7,0.8,0.9,1.0"},
    {"color", KT_FT_CHOICE, 0, "Loyalty colour", NULL,
     "white=White,grey=Grey,green=Green,yellow=Yellow,green-gold=Green-gold,gold=Gold,"
     "platinum=Platinum,red-green=Red-green,red-gold=Red-gold,red-platinum=Red-platinum"},
    {"temperature", KT_FT_CHOICE, 0, "Temperature", NULL, "cold=Cold,warm=Warm,hot=Hot"},
    {"comment", KT_FT_LONGTEXT, S, "Comment", NULL, NULL},
    {"no_mailings", KT_FT_BOOL, 0, "No mailings", NULL, NULL}, /* opted out of mailings */
    {"tags", KT_FT_TAGS, S | KT_FF_COLUMN, "Tags", NULL, NULL}, /* derived from taggings */
};

static const kt_fielddef contact_fields[] = {
    COMMON_FIELDS,
    {"last_name", KT_FT_TEXT, S | T | KT_FF_COLUMN, "Surname", NULL, NULL},
    {"first_name", KT_FT_TEXT, S | T | KT_FF_COLUMN, "Name", NULL, NULL},
    {"middle_name", KT_FT_TEXT, S | T | KT_FF_COLUMN, "Patronymic", NULL, NULL},
    {"position", KT_FT_TEXT, S | KT_FF_COLUMN, "Position", NULL, NULL},
    {"org", KT_FT_REF, I | KT_FF_COLUMN, "Organization", "org", NULL},
    {"phone_work", KT_FT_PHONE, C, "Work phone", NULL, NULL},
    {"phone_mobile", KT_FT_PHONE, C | KT_FF_COLUMN, "Mobile phone", NULL, NULL},
    {"phone_home", KT_FT_PHONE, C, "Home phone", NULL, NULL},
    {"email", KT_FT_EMAIL, S | C | KT_FF_COLUMN, "E-mail", NULL, NULL},
    {"email2", KT_FT_EMAIL, S | C, "E-mail 2", NULL, NULL},
    {"messenger", KT_FT_TEXT, S | C, "Messenger", NULL, NULL},
    {"social", KT_FT_TEXT, S, "Social networks", NULL, NULL},
    {"address", KT_FT_TEXT, S, "Address", NULL, NULL},
    {"city", KT_FT_TEXT, S | KT_FF_PLACE | KT_FF_FILTER, "City", NULL, NULL},
    {"birthday", KT_FT_DATE, KT_FF_NOYEAR, "Birthday", NULL, NULL},
    {"gender", KT_FT_CHOICE, 0, "Gender", NULL, "male=Male,female=Female"},
    {"comment", KT_FT_LONGTEXT, S, "Comment", NULL, NULL},
    {"no_mailings", KT_FT_BOOL, 0, "No mailings", NULL, NULL}, /* opted out of mailings */
    {"tags", KT_FT_TAGS, S, "Tags", NULL, NULL}, /* derived from taggings */
};

static const kt_fielddef task_fields[] = {
    COMMON_FIELDS,
    {"title", KT_FT_TEXT, S | T | R | KT_FF_COLUMN, "Title", NULL, NULL},
    {"description", KT_FT_LONGTEXT, S, "Description", NULL, NULL},
    {"due", KT_FT_DATETIME, KT_FF_WHEN | KT_FF_COLUMN, "Due", NULL, NULL},
    {"priority", KT_FT_CHOICE, 0, "Priority", NULL, "low=Low,normal=Normal,high=High"},
    {"status", KT_FT_CHOICE, KT_FF_COLUMN, "Status", NULL,
     "open=Open,in_progress=In progress,done=Done,cancelled=Cancelled"},
    {"assignee", KT_FT_USER, I | KT_FF_COLUMN, "Assignee", NULL, NULL},
    {"org", KT_FT_REF, I, "Organization", "org", NULL},
    {"contact", KT_FT_REF, I, "Contact", "contact", NULL},
    {"remind_at", KT_FT_DATETIME, 0, "Remind at", NULL, NULL},
    {"remind_before", KT_FT_DURATION, 0, "Remind before", NULL, NULL},
    {"rrule", KT_FT_RRULE, 0, "Repeat", NULL, NULL},
};

static const kt_fielddef event_fields[] = {
    COMMON_FIELDS,
    {"type", KT_FT_CHOICE, T | KT_FF_COLUMN, "Type", NULL,
     "call=Call,meeting=Meeting,letter=Letter,email=E-mail,visit=Visit,presentation=Presentation,"
     "other=Other"},
    {"title", KT_FT_TEXT, S | T | KT_FF_COLUMN, "Title", NULL, NULL},
    {"start", KT_FT_DATETIME, R | KT_FF_WHEN | KT_FF_COLUMN, "Start", NULL, NULL},
    {"duration", KT_FT_DURATION, 0, "Duration", NULL, NULL},
    {"assignee", KT_FT_USER, I, "Assignee", NULL, NULL},
    {"org", KT_FT_REF, I, "Organization", "org", NULL},
    {"contact", KT_FT_REF, I, "Contact", "contact", NULL},
    {"status", KT_FT_CHOICE, KT_FF_COLUMN, "Status", NULL, "planned=Planned,done=Done,cancelled=Cancelled"},
    {"result", KT_FT_CHOICE, KT_FF_COLUMN, "Result", NULL,
     "reached=Reached,no_answer=No answer,call_back=Call back,interested=Interested,"
     "agreed=Agreed,order=Order,refused=Refused,sent=Sent"},
    {"remind_at", KT_FT_DATETIME, 0, "Remind at", NULL, NULL},
    {"remind_before", KT_FT_DURATION, 0, "Remind before", NULL, NULL},
    {"rrule", KT_FT_RRULE, 0, "Repeat", NULL, NULL},
    {"comment", KT_FT_LONGTEXT, S, "Comment", NULL, NULL},
};

static const kt_fielddef note_fields[] = {
    COMMON_FIELDS,
    {"title", KT_FT_TEXT, S | T | KT_FF_COLUMN, "Title", NULL, NULL},
    {"text", KT_FT_LONGTEXT, S | R, "Text", NULL, NULL},
    {"org", KT_FT_REF, I | KT_FF_COLUMN, "Organization", "org", NULL},
    {"contact", KT_FT_REF, I, "Contact", "contact", NULL},
};

static const kt_fielddef link_fields[] = {
    COMMON_FIELDS,
    {"url", KT_FT_URL, S | R | KT_FF_COLUMN, "Address", NULL, NULL},
    {"title", KT_FT_TEXT, S | T | KT_FF_COLUMN, "Title", NULL, NULL},
    {"comment", KT_FT_LONGTEXT, S, "Comment", NULL, NULL},
    {"org", KT_FT_REF, I, "Organization", "org", NULL},
};

/* A deal's date is optional: a quote or a planned deal may not have one yet
 * (reports leave undated deals out and say how many). */
static const kt_fielddef deal_fields[] = {
    COMMON_FIELDS,
    {"date", KT_FT_DATE, T | KT_FF_WHEN | KT_FF_COLUMN, "Date", NULL, NULL},
    {"amount", KT_FT_MONEY, T | KT_FF_COLUMN, "Amount", NULL, NULL},
    {"paid", KT_FT_MONEY, 0, "Paid", NULL, NULL},
    {"state", KT_FT_CHOICE, KT_FF_COLUMN, "State", NULL,
     "quote=Quote,invoice=Invoice,paid=Payment received,shipped=Shipped,cancelled=Cancelled"},
    {"units", KT_FT_NUMBER, 0, "Units", NULL, NULL},
    {"org", KT_FT_REF, I | KT_FF_COLUMN, "Organization", "org", NULL},
    {"contact", KT_FT_REF, I, "Contact", "contact", NULL},
    {"comment", KT_FT_LONGTEXT, S, "Comment", NULL, NULL},
};

static const kt_fielddef group_fields[] = {
    COMMON_FIELDS,
    {"name", KT_FT_TEXT, S | T | R, "Name", NULL, NULL},
    {"parent", KT_FT_GROUP, 0, "Parent group", NULL, NULL},
    {"comment", KT_FT_LONGTEXT, 0, "Comment", NULL, NULL},
};

/* A user-defined field, or the office's label/choices/hidden override of a
 * built-in one (same etype + name). */
static const kt_fielddef field_def_fields[] = {
    COMMON_FIELDS,
    {"etype", KT_FT_TEXT, T | R, "Section", NULL, NULL},
    {"name", KT_FT_TEXT, T | R, "Name", NULL, NULL},
    {"label", KT_FT_TEXT, 0, "Label", NULL, NULL},
    {"ftype", KT_FT_CHOICE, 0, "Type", NULL, KT_FTYPE_CUSTOM_LIST},
    {"choices", KT_FT_LONGTEXT, 0, "Choices", NULL, NULL},
    {"hidden", KT_FT_BOOL, 0, "Hidden", NULL, NULL},
    {"yearly", KT_FT_BOOL, 0, "Remind every year", NULL, NULL}, /* a date field, like a birthday */
};

/* A section's renamed label / hidden flag. */
static const kt_fielddef section_fields[] = {
    COMMON_FIELDS,
    {"etype", KT_FT_TEXT, T | R, "Section", NULL, NULL},
    {"label", KT_FT_TEXT, 0, "Label", NULL, NULL},
    {"hidden", KT_FT_BOOL, 0, "Hidden", NULL, NULL},
};

/* The conflict log: a losing value of a concurrent edit, kept so that both
 * people can see it ("write a copy", never a silent loss); and (kind
 * "duplicate") a new client card pushed with a phone, e-mail or tax id that a
 * colleague's card already has: one record about each card, field = the card's
 * field that holds it, lost_by = who added the new card, won_by = whose client
 * the other card is (no value: never the other card's content, nor a phone a
 * reader may not see). Server-written. */
static const kt_fielddef conflict_fields[] = {
    COMMON_FIELDS,
    {"rtype", KT_FT_TEXT, T, "Section", NULL, NULL},
    {"rid", KT_FT_TEXT, KT_FF_INDEX, "Card", NULL, NULL},
    {"field", KT_FT_TEXT, T, "Field", NULL, NULL},
    {"value", KT_FT_LONGTEXT, S, "Value that lost", NULL, NULL},
    {"winner", KT_FT_LONGTEXT, 0, "Value kept", NULL, NULL},
    {"lost_by", KT_FT_USER, 0, "Edited by", NULL, NULL},
    {"won_by", KT_FT_USER, 0, "Kept from", NULL, NULL},
    /* the two values when the field is a protected one (a phone, an e-mail): hidden
       like the card's own field from those who may not see it */
    {"pvalue", KT_FT_LONGTEXT, C, "Value that lost", NULL, NULL},
    {"pwinner", KT_FT_LONGTEXT, C, "Value kept", NULL, NULL},
    {"cause", KT_FT_CHOICE, 0, "Cause", NULL, "edit=Edit,duplicate=Duplicate"}, /* none = edit */
};

/* A user's state of one reminder occurrence, synced so that dismissing on one
 * PC stops it firing on the same user's other PCs. The id is derived from
 * (user, card, occurrence), so every PC writes the same record. */
static const kt_fielddef reminder_fields[] = {
    COMMON_FIELDS,
    {"rtype", KT_FT_TEXT, T, "Section", NULL, NULL},
    {"rid", KT_FT_TEXT, KT_FF_INDEX, "Card", NULL, NULL},
    {"at", KT_FT_DATETIME, T, "Occurrence", NULL, NULL},
    {"state", KT_FT_CHOICE, 0, "State", NULL, "fired,dismissed,snoozed,done"},
    {"until", KT_FT_DATETIME, 0, "Snoozed until", NULL, NULL},
};

/* A member of staff (one per account), written by the server from the account
 * (`kartotekad user ... --birthday`, `kartoteka admin user birthday`) and read
 * by every PC: office-wide information, so colleagues' birthdays are reminded
 * on everyone's PC. The id is the account's id; a disabled account's record is
 * in the trash. */
static const kt_fielddef staff_fields[] = {
    COMMON_FIELDS,
    {"name", KT_FT_USER, S | T | R, "User", NULL, NULL},
    {"birthday", KT_FT_DATE, KT_FF_NOYEAR, "Birthday", NULL, NULL},
};

/* A letter or document template (issue 19): placeholders {{type.field|filter}}
 * checked against the model when saved (cl_tmpl). kind: mail (subject, body,
 * html) or doc. Office configuration: everybody reads, the administrator edits. */
static const kt_fielddef template_fields[] = {
    COMMON_FIELDS,
    {"name", KT_FT_TEXT, S | T | R, "Name", NULL, NULL},
    {"kind", KT_FT_CHOICE, 0, "Kind", NULL, "mail,doc"},
    {"subject", KT_FT_TEXT, 0, "Subject", NULL, NULL},
    {"body", KT_FT_LONGTEXT, 0, "Text", NULL, NULL},
    {"html", KT_FT_LONGTEXT, 0, "HTML text", NULL, NULL},
    {"comment", KT_FT_LONGTEXT, 0, "Comment", NULL, NULL},
};

/* The office's mail settings (issue 19; `kartoteka mail config`): one live
 * record. The SMTP password is never here: it stays in the sending PC's profile. */
static const kt_fielddef mail_setting_fields[] = {
    COMMON_FIELDS,
    {"smtp", KT_FT_URL, T, "SMTP server", NULL, NULL},
    {"starttls", KT_FT_BOOL, 0, "STARTTLS", NULL, NULL},
    {"login", KT_FT_TEXT, 0, "SMTP user", NULL, NULL},
    {"sender", KT_FT_EMAIL, 0, "From", NULL, NULL},
    {"days", KT_FT_INT, 0, "Days between mailings", NULL, NULL},
};

/* One tag of a card's tags field (built in or custom), its own synced record so
 * that tags added on two PCs both stay: org or contact names the card (its scope
 * and rights follow the card, like a note's), field the card's tags field, tag
 * the spelling as first typed. The id is derived from card id, field and folded
 * tag (kt_tags_id): every PC adding the same tag writes the same record; a
 * removal is the trash (a stamped tombstone), adding it again restores it. */
static const kt_fielddef tagging_fields[] = {
    COMMON_FIELDS,
    {"org", KT_FT_REF, I, "Organization", "org", NULL},
    {"contact", KT_FT_REF, I, "Contact", "contact", NULL},
    {"field", KT_FT_TEXT, T | R, "Field", NULL, NULL},
    {"tag", KT_FT_TEXT, T | R, "Tag", NULL, NULL},
};

#undef S
#undef T
#undef R
#undef C
#undef I

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
static const kt_typedef types[] = {
    {"org", 1, KT_TF_CLIENT | KT_TF_USER, "Organizations", org_fields, N(org_fields), "organization"},
    {"contact", 2, KT_TF_CLIENT | KT_TF_USER, "Contacts", contact_fields, N(contact_fields), "contact"},
    {"task", 3, KT_TF_ASSIGNED | KT_TF_TIMELINE | KT_TF_USER, "Tasks", task_fields, N(task_fields), "task"},
    {"event", 4, KT_TF_ASSIGNED | KT_TF_TIMELINE | KT_TF_USER, "Events", event_fields, N(event_fields), "event"},
    {"note", 5, KT_TF_TIMELINE | KT_TF_USER, "Notes", note_fields, N(note_fields), "note"},
    {"link", 6, KT_TF_USER, "Links", link_fields, N(link_fields), "link"},
    {"deal", 7, KT_TF_TIMELINE | KT_TF_USER, "Deals", deal_fields, N(deal_fields), "deal"},
    {"group", 8, KT_TF_CONFIG | KT_TF_USER, "Groups", group_fields, N(group_fields), "group"},
    {"field_def", 9, KT_TF_CONFIG, "Fields", field_def_fields, N(field_def_fields), "field definition"},
    {"section", 10, KT_TF_CONFIG, "Sections", section_fields, N(section_fields), "section setting"},
    {"conflict", 11, KT_TF_SYSTEM | KT_TF_USER, "Conflicts", conflict_fields, N(conflict_fields), "conflict record"},
    {"reminder", 12, KT_TF_CONFIG, "Reminders", reminder_fields, N(reminder_fields), "reminder"},
    {"staff", 13, KT_TF_CONFIG | KT_TF_SYSTEM, "Staff", staff_fields, N(staff_fields), "staff record"},
    {"template", 14, KT_TF_CONFIG, "Templates", template_fields, N(template_fields), "template"},
    {"mail_setting", 15, KT_TF_CONFIG, "Mail settings", mail_setting_fields,
     N(mail_setting_fields), "mail setting"},
    {"tagging", 16, KT_TF_ELEMENT, "Tags", tagging_fields, N(tagging_fields), "tag"},
};

const kt_typedef *kt_registry_types(int *n) {
  *n = N(types);
  return types;
}

const kt_typedef *kt_registry_type(const char *name) {
  if (!name) return NULL;
  for (int i = 0; i < N(types); i++)
    if (strcmp(types[i].name, name) == 0) return &types[i];
  return NULL;
}

const kt_typedef *kt_registry_type_by_code(int code) {
  for (int i = 0; i < N(types); i++)
    if (types[i].code == code) return &types[i];
  return NULL;
}

const kt_fielddef *kt_registry_field(const kt_typedef *t, const char *name, int *idx) {
  for (int i = 0; i < t->nfields; i++)
    if (strcmp(t->fields[i].name, name) == 0) {
      if (idx) *idx = i;
      return &t->fields[i];
    }
  return NULL;
}

/* The names of the KT_TF_USER types people write (the conflict log is only read), built once. */
static char type_names[256];
static pthread_once_t type_names_once = PTHREAD_ONCE_INIT;
static void build_type_names(void) {
  size_t o = 0;
  for (int i = 0; i < N(types); i++)
    if ((types[i].flags & KT_TF_USER) && !(types[i].flags & KT_TF_SYSTEM))
      o += (size_t)snprintf(type_names + o, sizeof type_names - o, "%s%s", o ? " " : "",
                            types[i].name);
}
const char *kt_registry_type_names(void) {
  pthread_once(&type_names_once, build_type_names);
  return type_names;
}

/* What the program keys on, by code (cl_remind, cl_db's diary and call-back
 * queries, the sync of reminder states, custom field types). */
static const struct {
  const char *type, *field, *needs;
} needed_codes[] = {
    {"task", "status", "done,cancelled"},
    {"event", "type", "call"},
    {"event", "status", "planned,done,cancelled"},
    {"event", "result", "call_back"},
    {"reminder", "state", "fired,dismissed,snoozed,done"},
    {"field_def", "ftype", KT_FTYPE_CUSTOM_LIST},
};

const char *kt_registry_needs(const char *type, const char *field) {
  for (int i = 0; i < N(needed_codes); i++)
    if (strcmp(needed_codes[i].type, type) == 0 && strcmp(needed_codes[i].field, field) == 0)
      return needed_codes[i].needs;
  return NULL;
}

static const struct {
  const char *name;
  bool isint, custom, multi;
} ftypes[KT_FT__COUNT] = {
#define KT__FT_ROW(NAME, name, isint, custom, multi, what) {name, isint, KT__FT_IS_##custom, multi},
#define KT__FT_IS_Y true
#define KT__FT_IS_N false
    KT_FTYPE_MAP(KT__FT_ROW)
#undef KT__FT_ROW
};

const char *kt_ftype_name(kt_ftype t) {
  return (unsigned)t < KT_FT__COUNT ? ftypes[t].name : "?";
}

int kt_ftype_parse(const char *name) {
  for (int i = 0; i < KT_FT__COUNT; i++)
    if (strcmp(ftypes[i].name, name) == 0) return i;
  return -1;
}

bool kt_ftype_is_int(kt_ftype t) { return (unsigned)t < KT_FT__COUNT && ftypes[t].isint; }

bool kt_ftype_is_custom(kt_ftype t) { return (unsigned)t < KT_FT__COUNT && ftypes[t].custom; }

bool kt_ftype_is_multi(kt_ftype t) { return (unsigned)t < KT_FT__COUNT && ftypes[t].multi; }
