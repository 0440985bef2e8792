/* kt_model — the registry as one office sees it: the built-in types and fields
 * of kt_registry plus the office's custom fields, renamed labels, edited choice
 * lists and hidden sections (all of which are synced records of the field_def
 * and section types). Also the typed values of fields: parsing what a user
 * typed (CLI, import) into a canonical kt_value, and formatting it back.
 *
 * One kt_model per open database; not thread-safe (owned by its loop). */
#ifndef KT_MODEL_H
#define KT_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "kt_buf.h"
#include "kt_err.h"
#include "kt_registry.h"

typedef enum kt_vkind { KT_V_NULL = 0, KT_V_INT, KT_V_TEXT } kt_vkind;

/* A field value. `s` is owned by the value (malloc), freed by kt_value_clear. */
typedef struct kt_value {
  kt_vkind kind;
  int64_t i;
  char *s;
} kt_value;

void kt_value_clear(kt_value *v);
/* Copies n bytes of s into v (previous content freed). 0 or KT_ENOMEM. */
int kt_value_set_text(kt_value *v, const char *s, size_t n);
void kt_value_set_int(kt_value *v, int64_t i);
/* Deep copy; 0 or KT_ENOMEM. */
int kt_value_copy(kt_value *dst, const kt_value *src);
bool kt_value_equal(const kt_value *a, const kt_value *b);

#define KT_NAME_MAX 48

typedef struct kt_mfield {
  char name[KT_NAME_MAX];   /* stable identifier */
  char column[KT_NAME_MAX + 2]; /* SQL column: the name, or c_<name> for custom */
  kt_ftype type;
  unsigned flags;           /* KT_FF_* */
  int vidx;                 /* version index: built-in position or KT_CUSTOM_BASE + k */
  const char *ref;          /* KT_FT_REF target type name */
  const char *def_label;    /* registry label (static) */
  char *label;              /* office label override (owned) or NULL */
  char *choices;            /* office choice list override (owned) or NULL */
  const char *def_choices;  /* registry choices (static) */
  const char *needs;        /* registry: codes every list keeps (static) or NULL */
  const char *msgctxt;      /* registry: its type's name, the context of its translated
                               choice labels (static) or NULL */
  bool custom;
  bool hidden;
} kt_mfield;

typedef struct kt_mtype {
  const kt_typedef *def;
  char *label; /* office section label (owned) or NULL */
  bool hidden;
  int nfields;
  int ncustom;
  kt_mfield *fields;          /* nfields entries: built-ins first, then custom */
  int pos[KT_MAX_FIELDS];     /* vidx -> position in fields, -1 if none */
} kt_mtype;

typedef struct kt_model kt_model;

/* New model from the static registry. Caller frees with kt_model_free. */
int kt_model_new(kt_model **out, kt_err *err);
void kt_model_free(kt_model *m);

/* Types in registry order; count in *n. Borrowed. */
kt_mtype *kt_model_types(kt_model *m, int *n);
/* Lookup; NULL when unknown. Borrowed. */
kt_mtype *kt_model_type(kt_model *m, const char *name);
kt_mtype *kt_model_type_by_code(kt_model *m, int code);
/* Like kt_model_type but user-facing: error lists the valid types. */
int kt_model_type_get(kt_model *m, const char *name, kt_mtype **out, kt_err *err);
/* Field by name; NULL when unknown. */
kt_mfield *kt_mtype_field(kt_mtype *t, const char *name);
/* Field by name with a user-facing error listing the valid fields. */
int kt_mtype_field_get(kt_mtype *t, const char *name, kt_mfield **out, kt_err *err);
kt_mfield *kt_mtype_field_by_vidx(kt_mtype *t, int vidx);

const char *kt_mfield_label(const kt_mfield *f);
/* The label people read in the programs' language: an office's own label as
 * written, a registry label translated (kt_i18n_ctx, context t's name). */
const char *kt_mfield_label_tr(const kt_mtype *t, const kt_mfield *f);
/* Appends the display form of v (kt_mfield_format, not ISO) with a registry
 * choice list's label translated (context t's name); an office's own list
 * and custom fields as written. */
void kt_mfield_format_tr(const kt_mtype *t, const kt_mfield *f, const kt_value *v, kt_buf *out);
/* The choice list in use ("code=Label,..." — kt_choice.h): the office's, with
 * the codes the program needs kept, else the registry's. NULL for non-choice
 * fields. */
const char *kt_mfield_choices(const kt_mfield *f);
/* Checks a choice list an office gives for f (kt_choice_validate with the
 * codes f needs). KT_EINVAL with a message; KT_EINVAL too for a non-choice f. */
int kt_mfield_choices_check(const kt_mfield *f, const char *etype, const char *list, kt_err *err);
const char *kt_mtype_label(const kt_mtype *t);

/* Applies one field_def record (built-in override or custom field). ftype and
 * choices may be NULL/"" for overrides. *added is set true when a new custom
 * field was created (the caller then adds its column). Validates names and
 * types; KT_EINVAL with a message otherwise. */
int kt_model_apply_field_def(kt_model *m, const char *etype, const char *name, const char *label,
                             const char *ftype, const char *choices, bool hidden, bool *added,
                             kt_err *err);
/* Takes the next custom slot of etype without a field: the replica has the
 * column of a custom field whose definition it no longer holds, and the
 * fields after it keep their numbers. KT_EINVAL when etype is unknown or full. */
int kt_model_reserve_custom(kt_model *m, const char *etype, kt_err *err);
/* Applies one section record (label override, hidden). */
int kt_model_apply_section(kt_model *m, const char *etype, const char *label, bool hidden,
                           kt_err *err);

/* Parses user text into a canonical value for field f ("" -> KT_V_NULL).
 * KT_EINVAL with a message naming the field and the expected form. Does not
 * resolve references (the caller checks that a ref id exists). */
int kt_mfield_parse(const kt_mfield *f, const char *text, kt_value *out, kt_err *err);
/* Checks a value arriving from elsewhere (sync, import) has the right kind and
 * shape for f. */
int kt_mfield_check(const kt_mfield *f, const kt_value *v, kt_err *err);
/* Appends the display form of v: local time for datetimes, "1234.50" for money,
 * a choice's label. iso=true gives the stored form (JSON, the program's own
 * use): ISO 8601 with offset for datetimes, a choice's code. */
void kt_mfield_format(const kt_mfield *f, const kt_value *v, bool iso, kt_buf *out);
/* True when the JSON form is a number (int, money as string is false). */
bool kt_mfield_json_is_number(const kt_mfield *f);

/* The duplicate-claim key of value v of field f: "p:" + normalised phone digits,
 * "e:" + normalised e-mail, "t:" + tax id without spaces and dashes (upper
 * case). false when f is not such a field or v gives no key. The server keeps
 * these for every live client card; the client compares them offline. */
#define KT_CLAIM_CC "7" /* country code assumed for phones written without one */
bool kt_mfield_claim_key(const kt_mfield *f, const char *v, char *out, size_t n);
/* Whether values of f can be claim keys (phones, e-mails, the tax id). */
bool kt_mfield_claims(const kt_mfield *f);

#endif
