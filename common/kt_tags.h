/* kt_tags — the values of a multi-value field (type tags): parsing what a user
 * typed ("VIP, Опт"), folding for uniqueness (case, ё/е, diacritics, as the
 * search folds: kt_text_fold), the derived list a card shows, and the element
 * records that carry them through sync (registry type with KT_TF_ELEMENT,
 * "tagging": one record per card, field and folded tag, id derived from the
 * three so two PCs adding the same tag write the same record; a removal is its
 * trash flag). Used by the client store (edits, pulled taggings), the server
 * (validating pushed taggings, the master's derived column), import and export.
 * Pure functions; a kt_tags is owned by its caller (kt_tags_free). */
#ifndef KT_TAGS_H
#define KT_TAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "kt_buf.h"
#include "kt_err.h"
#include "kt_model.h"
#include "kt_uuid.h"

#define KT_TAG_MAX 100 /* bytes of one tag */

typedef struct kt_tag {
  char *text; /* as first typed, trimmed (owned) */
  char *fold; /* kt_text_fold of text (owned) */
} kt_tag;

typedef struct kt_tags {
  kt_tag *v;
  int n, cap;
} kt_tags;

#define KT_TAGS_INIT {NULL, 0, 0}
void kt_tags_free(kt_tags *l);

/* Checks one tag s[0..n) (after trimming): not empty, at most KT_TAG_MAX bytes,
 * valid UTF-8, no comma, no control characters. 0 or KT_EINVAL naming the tag
 * and what to do. */
int kt_tags_valid(const char *s, size_t n, kt_err *err);
/* Adds the trimmed tag s[0..n) unless one that folds alike is there (*added,
 * may be NULL, says which). 0, KT_EINVAL (kt_tags_valid) or KT_ENOMEM. */
int kt_tags_add(kt_tags *l, const char *s, size_t n, bool *added, kt_err *err);
/* Adds every tag of a list: separated by commas, or by " ::: " (Google
 * contacts' "Labels"); empty items are skipped. 0, KT_EINVAL or KT_ENOMEM. */
int kt_tags_parse(kt_tags *l, const char *text, kt_err *err);
/* Index of the tag folding like s, or -1. */
int kt_tags_find(const kt_tags *l, const char *s);
/* Removes tag i (order of the rest kept). */
void kt_tags_remove(kt_tags *l, int i);
/* Sorts by folded form (then spelling). */
void kt_tags_sort(kt_tags *l);
/* Sorts by folded form and appends "VIP, Опт" (nothing for no tags). */
void kt_tags_join(kt_tags *l, kt_buf *out);

/* The id of the element record of tag `tag` in field `field` of card card_id. */
void kt_tags_id(const char *card_id, const char *field, const char *tag,
                char out[KT_UUID_STRLEN + 1]);

/* The reference field of element type et that names cards of type card_type
 * ("org" -> tagging.org), NULL when et cannot carry that type's tags. */
const kt_mfield *kt_tags_card_ref(const kt_mtype *et, const char *card_type);
/* The element type of multi-value fields (the tagging type), NULL when none. */
kt_mtype *kt_tags_elem_type(kt_model *m);

/* What one element record says, read from its values (borrowed strings). */
typedef struct kt_tags_elem {
  const char *card_type; /* the type named by the one reference set ("org"/"contact") */
  const char *card_id, *field, *tag;
} kt_tags_elem;
/* Reads e from the element record's values v (v[i] of et->fields[i]). false
 * when it names no card (or two). */
bool kt_tags_elem_of(const kt_mtype *et, const kt_value *v, kt_tags_elem *e);
/* Checks a new element record: it names one card, field is a tags field of
 * the card's type, tag is a valid trimmed tag, and id is kt_tags_id of them.
 * 0 or KT_EINVAL with a message. */
int kt_tags_elem_check(kt_model *m, const kt_mtype *et, const char *id, const kt_value *v,
                       kt_err *err);

/* Adds the tag of element record elem (values v of type et) to l when it is
 * live and of field `field` of card card_id. 0 or KT_ENOMEM. */
int kt_tags_collect(kt_tags *l, const kt_mtype *et, const kt_value *v, const char *card_id,
                    const char *field, kt_err *err);
/* Whether the derived list ("VIP, Опт") holds a tag folding like tag. */
bool kt_tags_has(const char *list, const char *tag);

#endif
