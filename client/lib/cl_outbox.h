/* cl_outbox — the outbox as the user sees it: the unsent changes with their
 * card and what the server last said about them (`kartoteka status`, `outbox
 * list`), and setting cards back to the server's copy (`outbox drop`; the sync
 * engine too, for a change refused for rights and for a refused change of a
 * card the user then deleted). The outbox itself is written by cl_store, in
 * the same transaction as the record. Caller's thread, like cl_store. */
#ifndef CL_OUTBOX_H
#define CL_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "cl_conn.h"
#include "cl_store.h"

/* One unsent change (everything borrowed, valid during the callback). */
typedef struct cl_outbox_entry {
  int64_t seq;          /* its change number */
  const cl_rec *rec;    /* the card as it is on this PC */
  const char *type;     /* the record type's name */
  const char *id;
  const char *title;    /* the card's title ("" when it has none) */
  const kt_fset *fields; /* the fields it changes */
  bool isnew;           /* it creates a record the server has not accepted yet */
  bool deletes;         /* it puts the record in the trash */
  const char *refused;  /* the server's reason at the last sync; NULL when not refused */
  int refused_code;     /* KT_E* with refused */
  int hold;             /* 0 sent at the next sync; 1 parked (a never-accepted record in
                           this PC's trash: not sent, removed at the next sync); 2 set
                           back to the server's copy at the next sync, then the deletion
                           sent */
} cl_outbox_entry;
typedef int (*cl_outbox_entry_cb)(void *ud, const cl_outbox_entry *e); /* non-zero stops */

/* Walks the unsent changes, oldest first; parked ones too when `parked`. */
int cl_outbox_list(cl_store *s, bool parked, cl_outbox_entry_cb cb, void *ud, kt_err *err);

/* A list of cards by (type, id). cl_cards_free(NULL-initialised) is fine. */
typedef struct cl_cards {
  char (*ids)[40];
  char (*types)[32];
  size_t n, cap;
} cl_cards;
int cl_cards_add(cl_cards *l, const char *type, const char *id); /* 0 or KT_ENOMEM */
void cl_cards_free(cl_cards *l);

/* Sets each card back to the server's copy (a Get over c), dropping its unsent
 * change, or removes it from this PC when the server has no copy the user may
 * see (a new record it never accepted, or one no longer the user's). *removed
 * (may be NULL) counts the removed ones. */
int cl_outbox_reset(cl_conn *c, cl_store *s, const cl_cards *l, size_t *removed, kt_err *err);

/* The same for one card whose entry was held (parked or refused, then put in
 * the trash) when the outbox was read: only if it still is once the server's
 * copy is here, checked in the transaction that resets it. *left is true when
 * the entry is sent as it is instead: it is no longer held (restored meanwhile
 * by another program), or it was parked but the server has the card (the ack
 * of its first push was lost: the entry is un-parked, edits made in the trash
 * kept). */
int cl_outbox_reset_held(cl_conn *c, cl_store *s, const char *type, const char *id, bool *left,
                         kt_err *err);

/* `kartoteka outbox drop`: drops the unsent change of the card `id`, or (id
 * NULL) every change the server refused, over a session of its own on loop
 * (the server's copy is needed: KT_E* of the connection when it cannot be
 * reached, nothing changed). KT_ENOTFOUND when there is nothing to drop. */
typedef struct cl_drop_result {
  size_t reset;   /* cards set back to the server's copy */
  size_t removed; /* cards removed from this PC (the server never had them) */
} cl_drop_result;
int cl_outbox_drop(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *id,
                   cl_drop_result *out, kt_err *err);

#endif
