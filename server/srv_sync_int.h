/* srv_sync_int — what the files of the master copy share (srv_sync.c: records,
 * the feed, scopes, pull; srv_push.c: judging and applying pushes). Not for
 * other modules: they use srv_sync.h. Loop thread only, like srv_sync. */
#ifndef SRV_SYNC_INT_H
#define SRV_SYNC_INT_H

#include "srv_sync.h"
#include "kt_rec.h"
#include "kt_rights.h"
#include "kt_uuid.h"

typedef struct srv_devname {
  uint32_t idx;
  char uuid[40];
} srv_devname;

struct srv_sync {
  srv_db *d;
  kt_hlc *hlc;
  kt_model *model;
  char server_id[40];
  kt_uuid_gen ugen;
  srv_devname *devs;
  int ndevs, capdevs;
  size_t page_bytes; /* a pull page stops early past this (srv_sync_set_page_bytes) */
};

/* A record's row in the feed: its latest sequence and the scope it had then. */
typedef struct srv_logrow {
  bool found;
  int64_t seq;
  kt_scope sc;
} srv_logrow;

/* The UUID of local device number idx (borrowed; NULL when unknown). */
const char *srv__dev_name(void *ud, uint32_t idx);
/* The local number of device uuid, numbering it when new. */
int srv__dev_index(srv_sync *s, const char *uuid, uint32_t *idx, kt_err *err);
/* The record of type t with this id into *out (caller frees); NULL when none. */
int srv__load_by_id(srv_sync *s, kt_mtype *t, const char *id, kt_rec **out, kt_err *err);
/* kt_card_fn over the master. */
int srv__card_fn(void *ud, const char *type, const char *id, kt_rec **out, kt_err *err);
/* The scope r has by its stored links. */
int srv__scope_of(srv_sync *s, const kt_rec *r, kt_scope *sc, kt_err *err);
int srv__log_get(srv_sync *s, int tcode, int64_t rid, srv_logrow *out, kt_err *err);
/* Writes r (insert when rowid == 0) with its feed row, claims and dependents. */
int srv__write_rec(srv_sync *s, kt_rec *r, bool claims, int64_t *seq_out, kt_err *err);
/* Records the losing value of a concurrent edit of card's field f. */
int srv__log_conflict(srv_sync *s, const kt_rec *card, const kt_mfield *f, const kt_value *lost,
                      const kt_value *kept, const char *lost_by, const char *won_by, kt_err *err);
/* After a new client card r was written by `writer`: for each of its phones,
 * e-mails and tax id that a live card of someone else (another scope owner)
 * already has, a conflict record of kind "duplicate" about each of the two
 * cards (naming the other card's owner, never its content). *warning is set
 * (malloc'd, for the writer) only when there was one. */
int srv__note_duplicates(srv_sync *s, const char *writer, const kt_rec *r, char **warning,
                         kt_err *err);
/* A written field_def record: the model (and the master's columns) follow it. */
int srv__apply_field_def(srv_sync *s, const kt_rec *r, kt_err *err);
/* srv_sync_tags.c: a pushed tagging (cur: the stored record, rowid 0 when new;
 * after: its values once the change is applied) is refused in verr (KT_EINVAL)
 * unless it is well formed and its card is on the master; 0 for other types. */
int srv__tags_check(srv_sync *s, const kt_rec *cur, const kt_value *after, kt_err *verr,
                    kt_err *err);
/* After a tagging was written by local device dev: its card's derived tags column
 * follows, and a change of it is a row of the card's history (old -> new list,
 * at stamp: when the tagging changed). */
int srv__tags_rebuild(srv_sync *s, const kt_rec *elem, uint32_t dev, kt_stamp stamp,
                      kt_err *err);
/* Column i of st as text into out ("" when NULL). */
void srv__col_text(sqlite3_stmt *st, int i, char *out, size_t n);
/* Reloads the model and the device cache after a rollback. */
void srv__model_reload(srv_sync *s);
/* Pull's rules (srv_pull.c), for the history: may subj (NULL = anyone) read a
 * record of type tcode in scope sc; does it not see the protected fields of a
 * card owned by `owner`. */
bool srv__subj_reads(const srv_subject *subj, int tcode, const kt_scope *sc);
bool srv__subj_hides(const srv_subject *subj, const char *owner);

#endif
