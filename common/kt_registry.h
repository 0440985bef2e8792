/* kt_registry — the one table of entity types and their built-in fields.
 *
 * Everything is driven from here: the replica and master schema (checked
 * against the migrations at open), the CLI (`--set name=value`, --json),
 * value validation, sync validation on the server, the search index, import/
 * export column mapping and, later, the GUI forms. Field indices are stable:
 * a type's fields are append-only (new built-in fields go at the end and get
 * a migration); user-defined custom fields live in kt_model at indices
 * KT_CUSTOM_BASE and up. Read-only static data: safe from any thread. */
#ifndef KT_REGISTRY_H
#define KT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

/* The one list of field types: X(NAME, name, int, custom, multi, what) — the
 * enum KT_FT_NAME, its name in field definitions and messages, whether values
 * are integers (an INTEGER column), whether a custom field may have it (Y/N),
 * whether it holds a set of values (1: each value is its own synced element
 * record, and the card's column is derived from them — kt_tags.h). */
#define KT_FTYPE_MAP(X)                                                         \
  X(TEXT, "text", 0, Y, 0, "one line of text")                                     \
  X(LONGTEXT, "longtext", 0, Y, 0, "free text (comments, descriptions)")           \
  X(INT, "int", 1, Y, 0, "integer")                                                \
  X(NUMBER, "number", 0, Y, 0, "decimal number kept as canonical text \"0.5\"")    \
  X(MONEY, "money", 1, Y, 0, "decimal string in, stored as integer minor units")   \
  X(DATE, "date", 0, Y, 0, "plain date YYYY-MM-DD (birthdays), no time zone")      \
  X(DATETIME, "datetime", 1, Y, 0, "UTC instant, unix ms; shown in local time")    \
  X(DURATION, "duration", 1, N, 0, "minutes")                                      \
  X(BOOL, "bool", 1, Y, 0, "0/1")                                                  \
  X(CHOICE, "choice", 0, Y, 0, "one value of a configurable list")                 \
  X(REF, "ref", 0, N, 0, "id of a record of def->ref type")                        \
  X(PHONE, "phone", 0, Y, 0, "as entered; normalised digits are indexed")          \
  X(EMAIL, "email", 0, Y, 0, "normalised to lower case")                           \
  X(URL, "url", 0, Y, 0, "web address")                                            \
  X(USER, "user", 0, N, 0, "a user name")                                          \
  X(GROUP, "group", 0, N, 0, "a group name")                                       \
  X(RRULE, "rrule", 0, N, 0, "iCalendar RRULE")                                    \
  X(UUID, "uuid", 0, N, 0, "the record id")                                 \
  X(TAGS, "tags", 0, Y, 1, "a set of tags, shown \"VIP, Опт\"; synced per tag")

typedef enum kt_ftype {
#define KT__FT_ENUM(NAME, name, isint, custom, multi, what) KT_FT_##NAME,
  KT_FTYPE_MAP(KT__FT_ENUM)
#undef KT__FT_ENUM
  KT_FT__COUNT
} kt_ftype;

/* The types a custom field may have, comma-separated ("text,longtext,..."). */
#define KT__FT_CUSTOM_Y(name) "," name
#define KT__FT_CUSTOM_N(name)
#define KT__FT_CUSTOM(NAME, name, isint, custom, multi, what) KT__FT_CUSTOM_##custom(name)
#define KT_FTYPE_CUSTOM_LIST (&(KT_FTYPE_MAP(KT__FT_CUSTOM))[1]) /* past the first comma */

/* field flags */
enum {
  KT_FF_SEARCH = 1u << 0,   /* indexed for full-text search */
  KT_FF_REQUIRED = 1u << 1, /* must be non-empty on create */
  KT_FF_SYSTEM = 1u << 2,   /* set by the program (id, created, updated): not --set-able */
  KT_FF_TITLE = 1u << 3,    /* part of the record's title */
  KT_FF_CONTACT = 1u << 4,  /* phone/e-mail: hidden from others' cards without the right */
  KT_FF_INDEX = 1u << 5,    /* has an SQL index (refs, owner) */
  KT_FF_NOTLIST = 1u << 6,  /* not shown in the default human list/show output */
  KT_FF_CLAIM = 1u << 7,    /* a duplicate-claim key of client cards (the tax id); phones and
                               e-mails are claim keys by their type */
  KT_FF_PLACE = 1u << 8,    /* with the title, what makes two client cards the same one
                               (the city): "similar name in the same city" */
  KT_FF_NOYEAR = 1u << 9,   /* a date that may lack its year ("--05-17": a birthday
                               whose year is not known) */
  KT_FF_WHEN = 1u << 11,    /* the record's date on its card's timeline (KT_TF_TIMELINE) */
  KT_FF_COLUMN = 1u << 10,  /* a column of the desktop app's list of the type */
  KT_FF_FILTER = 1u << 12,  /* a text field the desktop app's filter bar offers (the city:
                               an entry, exact match folded as `list --where F=V`); its
                               choice, user and group fields are offered by their type */
};

typedef struct kt_fielddef {
  const char *name;    /* stable identifier, also the SQL column */
  kt_ftype type;
  unsigned flags;
  const char *label;   /* default English label (renamable per office) */
  const char *ref;     /* KT_FT_REF: target type name */
  const char *choices; /* KT_FT_CHOICE: default comma-separated list */
} kt_fielddef;

/* type flags */
enum {
  KT_TF_CLIENT = 1u << 0,   /* a client card (org, contact): owner = assigned manager */
  KT_TF_CONFIG = 1u << 1,   /* office configuration (field_def, section, group) */
  KT_TF_ASSIGNED = 1u << 2, /* has an assignee (tasks, events) */
  KT_TF_SYSTEM = 1u << 3,   /* written only by the server (the conflict log; with
                               KT_TF_CONFIG: office-wide, read by all, e.g. staff) */
  KT_TF_TIMELINE = 1u << 4, /* on the timeline of the card it refers to (`show --timeline`),
                               dated by its KT_FF_WHEN field, else by when it was created */
  KT_TF_USER = 1u << 5,     /* a type the commands address by name (the sections, groups and
                               the conflict log); the rest is the program's own bookkeeping */
  KT_TF_ELEMENT = 1u << 6,  /* one value of a card's multi-value field (a tagging): follows
                               the card (org/contact reference) for scope and rights; its id is
                               derived from card, field and folded value (kt_tags.h) */
};

typedef struct kt_typedef {
  const char *name;         /* stable type name: org, contact, ... */
  int code;                 /* stable small integer, 1..KT_MAX_TYPES-1 */
  unsigned flags;
  const char *label;        /* default section label */
  const kt_fielddef *fields;
  int nfields;              /* built-in fields including the common ones */
  const char *noun;         /* one record in words, for messages: "organization",
                               "field definition" (never the type name field_def) */
} kt_typedef;

/* Common fields, present at the same indices in every type. */
enum {
  KT_F_ID = 0,
  KT_F_OWNER = 1,
  KT_F_GRP = 2,
  KT_F_CREATED = 3,
  KT_F_UPDATED = 4,
  KT_F_DELETED = 5,
  KT_F_COMMON_COUNT = 6
};

#define KT_MAX_TYPES 32
#define KT_CUSTOM_BASE 64 /* first index of custom fields */
#define KT_MAX_FIELDS 128 /* version indices per type: built-in < 64, custom 64..127 */

/* All types, in code order; count in *n. Static. */
const kt_typedef *kt_registry_types(int *n);
/* Lookup by name or code; NULL when unknown. */
const kt_typedef *kt_registry_type(const char *name);
const kt_typedef *kt_registry_type_by_code(int code);
/* Built-in field by name; index into def->fields in *idx; NULL when unknown. */
const kt_fielddef *kt_registry_field(const kt_typedef *t, const char *name, int *idx);
/* Space-separated names of the user-facing types ("org contact task ...") — for messages. */
const char *kt_registry_type_names(void);
/* The codes of a built-in choice field the program keys on (an event of type
 * call, the result call_back, the statuses done/cancelled): every office list
 * keeps them (under any label). Comma-separated, static; NULL when none. */
const char *kt_registry_needs(const char *type, const char *field);
/* Name of a field type ("text", "date", ...) and back (-1 if unknown). */
const char *kt_ftype_name(kt_ftype t);
int kt_ftype_parse(const char *name);
/* SQL affinity of a field type: true = INTEGER column, false = TEXT. */
bool kt_ftype_is_int(kt_ftype t);
/* Whether a custom field may have this type (KT_FTYPE_CUSTOM_LIST). */
bool kt_ftype_is_custom(kt_ftype t);
/* Whether a field of this type holds a set of values synced one by one (tags). */
bool kt_ftype_is_multi(kt_ftype t);

#endif
