/* cl_dup — what makes two client cards the same client, and an in-memory
 * index of it: the duplicate-claim keys of a card (normalised phones,
 * e-mails, the tax id: kt_mfield_claim_key) and its name key (the folded
 * title with the folded place fields, KT_FF_PLACE: "similar name in the same
 * city"; only when both are non-empty). Used by import (match rows against
 * the base), the import claim check and `kartoteka duplicates`.
 * The index is built in one pass over this PC's live client cards (what the
 * user may see) and grows as an import adds cards: lookups are O(1), so an
 * import with the duplicate check stays linear.
 * GLib-free; one thread at a time per index. */
#ifndef CL_DUP_H
#define CL_DUP_H

#include <stdbool.h>

#include "cl_store.h"
#include "kt_err.h"
#include "kt_rec.h"
#include "kt_uuid.h"

#define CL_DUP_KEY_MAX KT_NAME_KEY_MAX /* (claim keys and the name key alike) */
#define CL_DUP_MAX_KEYS 24

typedef struct cl_dupkey {
  char key[CL_DUP_KEY_MAX]; /* "p:79161234567", "e:a@b.ru", "t:7701234567", "n:иванов иван|москва" */
  const kt_mfield *f;       /* the field it came from (the first title field for a name key) */
} cl_dupkey;

/* The keys of a client card (live or about to be written); 0 keys for other
 * types. Returns the number written to out (at most max). */
int cl_dup_rec_keys(const cl_rec *r, cl_dupkey *out, int max);
/* What a key is, in words: "phone", "e-mail", "tax id", "name and city". Static. */
const char *cl_dup_key_reason(const char *key);

typedef struct cl_dupidx cl_dupidx;

/* One card in the index. Strings owned by the index. */
typedef struct cl_duprec {
  int tcode;                 /* registry type code */
  char id[KT_UUID_STRLEN + 1];
  const char *owner;         /* the manager it is assigned to ("" when none) */
  const char *title;         /* its title */
} cl_duprec;

/* Empty index. KT_ENOMEM. */
int cl_dupidx_new(cl_dupidx **out, kt_err *err);
void cl_dupidx_free(cl_dupidx *x);
/* Adds every live client card of type (NULL: of every client type) of this PC. */
int cl_dupidx_load(cl_dupidx *x, cl_store *s, const char *type, kt_err *err);
/* Adds one card with its keys (after an import created it). */
int cl_dupidx_add(cl_dupidx *x, const cl_rec *r, kt_err *err);
/* A card that has key, of type code tcode (0: of any type); NULL when none.
 * Borrowed until the index changes. */
const cl_duprec *cl_dupidx_find(const cl_dupidx *x, const char *key, int tcode);

/* A group of likely duplicates for `kartoteka duplicates`. */
typedef struct cl_dupgroup {
  int score;             /* 0..100: tax id 100, e-mail 90, phone 80, name and city 60,
                            +5 for each further reason (at most 100) */
  char reasons[160];     /* "same phone +79161234567, same e-mail a@b.ru" */
  const cl_duprec **recs; /* nrecs cards, in the order loaded (by title; borrowed) */
  int nrecs;
} cl_dupgroup;

/* Groups the index's cards of type code tcode (0: any) that share a key
 * (cards linked through several keys are one group), best score first.
 * *groups owned by the caller (cl_dupgroups_free); borrowed records. */
int cl_dupidx_groups(const cl_dupidx *x, int tcode, cl_dupgroup **groups, int *ngroups,
                     kt_err *err);
void cl_dupgroups_free(cl_dupgroup *g, int n);

#endif
