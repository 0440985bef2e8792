/* cl_import — the import pipeline: a file (CSV/text, and whatever else
 * cl_rowset_read reads) -> cards, in ONE transaction: all rows or none, unless
 * skip_bad_rows. Columns map to fields by --map, field name, the alias table
 * (Outlook, Google Contacts, Excel users in Russian, Polish, English:
 * cl_import_map.c) or label (also custom fields'); unmapped columns are
 * reported and skipped (strict: refused). Values as those programs write them
 * (Outlook's empty date 0.0.00, Google's --05-17, "a ::: b" spread over the
 * card's phone/e-mail fields, 1 250 000,50). Rows are matched against this
 * PC's client cards (phone, e-mail, tax id, name + city: cl_dup) and, through
 * the claim checker, the server's: skip, update (an ordinary edit, rights
 * checked) or create. Every problem is reported with its line (and column).
 * GLib-free; the caller's thread. */
#ifndef CL_IMPORT_H
#define CL_IMPORT_H

#include <stdbool.h>

#include "cl_rowset.h"
#include "cl_store.h"

typedef struct cl_colmap {
  const char *column; /* header text */
  const char *field;  /* field name; "" = skip the column */
} cl_colmap;

typedef enum cl_dup_rule { CL_DUP_SKIP, CL_DUP_UPDATE, CL_DUP_CREATE } cl_dup_rule;

struct cl_claimer;

typedef struct cl_import_opts {
  const char *format;   /* "csv", "text", ... or NULL: detected from the content */
  const char *type;     /* record type, or NULL: the rows' own (vCard, iCalendar) */
  const cl_colmap *map;
  int nmap;
  cl_read_opts read;    /* --encoding, --delimiter, --sheet */
  bool check_duplicates;  /* false = --force: rows are not matched against the base */
  cl_dup_rule on_duplicate;
  struct cl_claimer *claims; /* the server's claim check, or NULL (this PC's cards only) */
  bool create_missing;  /* a reference to a card that does not exist creates it (by name) */
  bool dry_run;
  bool skip_bad_rows;
  bool strict;
} cl_import_opts;

typedef enum cl_note_kind {
  CL_NOTE_CREATED,   /* line, id */
  CL_NOTE_UPDATED,   /* line, id, text: what matched */
  CL_NOTE_SKIPPED,   /* line, text: why (a duplicate of what) */
  CL_NOTE_BAD,       /* line, column (0 = the row), text: the problem */
  CL_NOTE_UNMAPPED,  /* column, text: its header */
  CL_NOTE_REF_CREATED, /* line, id, text: "organization 'ООО Ромашка'" */
  CL_NOTE_WARNING,   /* line, column, text */
} cl_note_kind;

typedef struct cl_import_note {
  cl_note_kind kind;
  int line, column;  /* 0 when not about one */
  const char *text;  /* borrowed for the call */
  const char *id;    /* NULL unless a card */
} cl_import_note;

typedef void (*cl_import_note_fn)(void *ud, const cl_import_note *n);

typedef struct cl_import_result {
  int rows;          /* data rows read */
  int created, updated, skipped, bad, refs_created, unmapped;
  char format[16], encoding[32];
  char delimiter;
} cl_import_result;

/* Imports path. Notes (may be NULL) tell every created/updated/skipped row,
 * every problem and unmapped column as it is found. *res is filled also on
 * error (what was found). KT_EPERM when the role lacks the import right
 * (nothing read); KT_EINVAL for a bad file or options (err names the line /
 * column of the first problem: nothing imported); KT_EIO, KT_ENOMEM, KT_EDB. */
int cl_import(cl_store *s, const char *path, const cl_import_opts *o, cl_import_note_fn note,
              void *ud, cl_import_result *res, kt_err *err);

#endif
