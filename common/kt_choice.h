/* kt_choice — the lists of a choice field: "code=Label,code2=Label2", items
 * separated by commas, spaces around them ignored; a bare word is both the
 * code and the label. Codes are what is stored and synced and what the
 * program keys on (an event of type call, the result call_back); labels are
 * what people read and may be renamed or translated at any time. What people
 * type is matched against codes first, then labels, case and diacritics
 * folded. Used by kt_model (parsing and formatting values) and by the client
 * library when an office edits a list. Pure functions; no allocation except
 * where said. */
#ifndef KT_CHOICE_H
#define KT_CHOICE_H

#include <stdbool.h>
#include <stddef.h>

#include "kt_buf.h"
#include "kt_err.h"

/* One item, pointing into the list (not NUL-terminated). */
typedef struct kt_choice_item {
  const char *code;
  size_t code_len;
  const char *label;
  size_t label_len;
} kt_choice_item;

/* Calls cb for every item of list in order (empty items skipped); a non-zero
 * return stops the walk and is returned. list may be NULL. */
int kt_choice_each(const char *list, int (*cb)(void *ud, const kt_choice_item *it), void *ud);

/* Finds text among the codes of list, else among its labels (folded): the
 * code goes to code_out (appended). false when it is neither. */
bool kt_choice_find(const char *list, const char *text, kt_buf *code_out);

/* Appends the label of code (the code itself when it is not on the list). */
void kt_choice_label(const char *list, const char *code, kt_buf *out);

/* True when code (exactly) is one of the list's codes. */
bool kt_choice_has_code(const char *list, const char *code);

/* Checks a list an office gives for field `what` ("event.result"): every
 * item has a code (no "=Label"), a code or label given twice, or a label that
 * is another item's code (what would "x" mean?) is refused, and so is a list
 * without one of `needs` (comma-separated codes the program keys on; NULL =
 * none): the message says which code and how to keep it under a new label.
 * KT_EINVAL. */
int kt_choice_validate(const char *list, const char *needs, const char *what, kt_err *err);

/* The list as the program uses it: list with each code of needs that it
 * lacks appended (label = code), so a list saved by an older version (or on
 * another PC) never loses them. *out is malloc'd (caller frees); NULL list
 * and needs give NULL. KT_ENOMEM. */
int kt_choice_with_needs(const char *list, const char *needs, char **out);

#endif
