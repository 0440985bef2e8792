/* srv_history — a card's history on the server: every change of a field of a
 * user-edited record (org, contact, task, event, note, link, deal: the types
 * that are neither configuration nor server-written), who wrote it from which
 * PC, when, the old and the new value. Written by srv_push.c in the push's own
 * transaction (srv_hist_take before the values are applied, srv_hist_write
 * after the record is written), read a page at a time by the History request
 * with the rights of a Get of the card, pruned by the retention setting
 * (`kartotekad serve --history-days N`; default: kept forever). The table is
 * in the master database, so backups and restores carry it. Loop thread only. */
#ifndef SRV_HISTORY_H
#define SRV_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "kartoteka.pb-c.h"
#include "kt_err.h"
#include "kt_hlc.h"
#include "kt_model.h"
#include "kt_rec.h"
#include "srv_db.h"
#include "srv_rights.h"
#include "srv_sync.h"

/* The values one change replaces, kept until the record is written (its rowid
 * is known only then). On the caller's stack; srv_hist_clear frees the values. */
typedef struct srv_hist {
  bool on; /* the type keeps a history */
  bool created; /* a new record: one row, its creation (its values are the record's own) */
  int n;
  struct {
    int vidx;
    kt_stamp stamp;
    kt_value old;
  } item[KT_MAX_FIELDS];
} srv_hist;

/* Whether records of type t keep a history (not configuration, not system). */
bool srv_history_kept(const kt_mtype *t);
/* Starts an empty set for a change of a record of type t. */
void srv_hist_begin(srv_hist *h, const kt_mtype *t);
/* The change creates the record: one row (field `created`, who, which PC) stands
 * for its first values, which the record itself holds (the first later change
 * of a field has the value it started with as its old value). Takes after this
 * are ignored. */
void srv_hist_created(srv_hist *h);
/* Keeps the value field f of r has now (before the change replaces it by a
 * value with this stamp). Nothing when the type keeps no history. KT_ENOMEM. */
int srv_hist_take(srv_hist *h, const kt_rec *r, const kt_mfield *f, kt_stamp stamp, kt_err *err);
/* After r (now with its rowid and new values) was written in the push's
 * transaction: one history row per kept value, written by local device dev. */
int srv_hist_write(srv_db *d, const kt_rec *r, uint32_t dev, const srv_hist *h, kt_err *err);
void srv_hist_clear(srv_hist *h);
/* The newest stamp of the kept values (when the change happened); 0 when none. */
kt_stamp srv_hist_newest(const srv_hist *h);

/* One page of a record's history for subj (NULL = no rights check): q->type
 * may be empty (the record is found by id). KT_ENOTFOUND, with the same
 * message, for a record that does not exist and one subj may not read;
 * KT_EINVAL for an unknown field. Protected values subj may not see come as
 * hidden FieldValues. out is filled here; free with srv_history_free. */
int srv_sync_history(srv_sync *s, const srv_subject *subj, const Kartoteka__HistoryRequest *q,
                     Kartoteka__History *out, kt_err *err);
void srv_history_free(Kartoteka__History *h);

/* Deletes the entries whose stamp is older than cutoff_ms, oldest first, at
 * most `budget` rows (a cheap periodic sweep: it reads only what it deletes
 * plus one batch). *deleted = how many. Its own transaction: call outside one. */
int srv_history_prune(srv_db *d, int64_t cutoff_ms, int64_t budget, int64_t *deleted,
                      kt_err *err);

#endif
