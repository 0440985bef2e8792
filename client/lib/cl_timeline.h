/* cl_timeline — a card's story in date order (`kartoteka show ID --timeline`):
 * the records on this PC that refer to the card — and, for an organization,
 * to its contacts — whose type the registry puts on timelines (KT_TF_TIMELINE:
 * events, tasks, deals, notes; later mailings and documents), each dated by
 * its KT_FF_WHEN field (an event's start, a task's due date, a deal's date),
 * else by when it was created. Newest first unless asked otherwise; equal
 * dates keep a fixed order (by id). Caller's thread, like cl_store. */
#ifndef CL_TIMELINE_H
#define CL_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_store.h"
#include "kt_err.h"

typedef struct cl_tl_item {
  cl_rec *rec;          /* owned by the timeline */
  int64_t when_ms;      /* its date (a plain date: local midnight) */
  const kt_mfield *when; /* the field that dates it; NULL: dated by `created` */
} cl_tl_item;

typedef struct cl_timeline {
  cl_tl_item *it;
  size_t n, cap;
} cl_timeline;

/* The timeline of the card r (borrowed) into *out (zeroed here; free with
 * cl_timeline_free). KT_ENOMEM, KT_EDB. */
int cl_timeline_get(cl_store *s, const cl_rec *r, bool oldest_first, cl_timeline *out,
                    kt_err *err);
void cl_timeline_free(cl_timeline *t);

/* The date of record r on a timeline (ms; 0 when it has none at all) and the
 * field it comes from (*when, may be NULL: NULL for `created`). */
int64_t cl_timeline_when(const cl_rec *r, const kt_mfield **when);
/* Sorts items in timeline order (newest first, or oldest first); ties by id. */
void cl_timeline_sort(cl_tl_item *it, size_t n, bool oldest_first);

#endif
