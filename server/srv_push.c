/* srv_push — judging and applying pushed change sets (the push half of
 * srv_sync.h; the records, the feed and pulls are in srv_sync.c).
 *
 * The server judges the result, never the message: a change names each field
 * once; judge() compares every value with the stored one once (kt_merge_cmp,
 * the merge's own comparison) and records what the merge will do with it; the
 * rights and assignee checks read only that judgement and the record as it
 * will be, and apply writes exactly the values judged to win. So no value can
 * win the merge that the checks did not look at. Loop thread only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_change.h"
#include "kt_log.h"
#include "kt_time.h"
#include "srv_audit.h"
#include "srv_history.h"
#include "srv_sync_int.h"

/* at most this many changes of one push are judged once this many were refused:
   the rest are refused unread, so a hostile batch costs the other PCs little */
#define PUSH_MAX_REFUSED 200
/* refused change numbers remembered per device (a client sends 500 at a time) */
#define PUSH_KEEP_REFUSED 10000

/* The user whose device wrote a value ("" when unknown: the server itself). */
static void device_user(srv_sync *s, const char *dev, char *out, size_t n) {
  out[0] = '\0';
  sqlite3_stmt *st = dev ? srv_db_st(s->d, SRV_ST_DEVICE_USER, NULL) : NULL;
  if (!st) return;
  sqlite3_bind_text(st, 1, dev, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) snprintf(out, n, "%s", sqlite3_column_text(st, 0));
  sqlite3_reset(st);
}

static bool user_exists(srv_sync *s, const char *name) {
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_USER_GET, NULL);
  if (!st) return true; /* a database problem surfaces elsewhere */
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  bool ok = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_reset(st);
  return ok;
}

/* One pushed value and what the merge makes of it (filled by judge()). */
typedef struct incoming {
  kt_mfield *f;
  kt_value v;
  kt_stamp stamp, base;
  bool wins;       /* beats the stored version: the value and its stamp are written */
  bool changes;    /* wins and differs from the stored value */
  bool concurrent; /* a concurrent edit of another device: the loser is kept as a conflict */
} incoming;

/* The record as it is and as it will be, by its links. */
typedef struct verdict {
  kt_links before, after;
  bool isnew;
  bool any;  /* some value wins: the record is written */
} verdict;

/* The one comparison: for each value, whether it wins the merge against the
 * stored version, whether that changes the stored value, and whether it is a
 * concurrent edit; and the record's links before and after. */
static void judge(srv_sync *s, const srv_writer *w, const kt_rec *r, bool isnew, incoming *in,
                  size_t n, verdict *vd) {
  const kt_mtype *t = r->type;
  vd->isnew = isnew;
  vd->any = false;
  kt_links_from_rec(r, &vd->before);
  vd->after = vd->before;
  for (size_t i = 0; i < n; i++) {
    const kt_mfield *f = in[i].f;
    const kt_value *cur_v = &r->v[t->pos[f->vidx]];
    const kt_fver *cur = &r->vers.f[f->vidx];
    const char *cur_dev = cur->stamp ? srv__dev_name(s, cur->dev) : "";
    if (!cur_dev) cur_dev = "";
    int cmp = kt_merge_cmp(in[i].stamp, w->device_id, cur->stamp, cur_dev);
    bool differs = !kt_value_equal(cur_v, &in[i].v);
    in[i].wins = cmp > 0;
    in[i].changes = in[i].wins && differs;
    in[i].concurrent = cmp != 0 && cur->stamp && cur->stamp != in[i].base && cur_dev[0] &&
                       strcmp(cur_dev, w->device_id) != 0 && differs;
    if (in[i].wins) {
      vd->any = true;
      kt_links_set(&vd->after, f, &in[i].v);
    }
  }
}

/* Whether `who` may make this change, judged on the verdict: EDIT on the
 * record as it is and as it will be (a value that wins the merge is a write
 * even when it equals the stored one: its stamp beats later edits), DELETE
 * for deleting or restoring, the reassign right for changing a card's owner
 * or group (or creating one for somebody else), ownership-level EDIT for
 * creating a record or moving it (an assignee's privilege covers the record
 * given to them, not where it sits: DESIGN-NOTES "Rights"), see_contacts for
 * any value of the phones and e-mails of others' cards (whether it wins or
 * not: the answer must not tell a guess from the stored value). A losing
 * concurrent value is a write too (it lands in the conflict log). KT_EPERM
 * (verr says why) when not. */
static int check_rights(srv_sync *s, const srv_writer *w, kt_mtype *t, const kt_rec *r,
                        const verdict *vd, const incoming *in, size_t n, kt_err *verr,
                        kt_err *err) {
  int code = t->def->code;
  kt_scope before;
  memset(&before, 0, sizeof before);
  int rc;
  if (!vd->isnew) {
    srv_logrow lr;
    if ((rc = srv__log_get(s, code, r->rowid, &lr, err))) return rc;
    if (lr.found) before = lr.sc;
    else if ((rc = srv__scope_of(s, r, &before, err))) return rc;
  }
  kt_change_kind k = {.isnew = vd->isnew};
  for (size_t i = 0; i < n; i++) {
    const kt_mfield *f = in[i].f;
    if (f->flags & KT_FF_CONTACT && !k.contact_field) k.contact_field = f;
    if (in[i].changes && f->vidx == KT_F_DELETED) k.del = true;
    else if (in[i].wins || in[i].concurrent) k.other = true;
  }
  if (!vd->isnew && kt_links_move(&vd->before, &vd->after)) {
    k.moves = true;
    if (strcmp(vd->before.owner, vd->after.owner) != 0 || strcmp(vd->before.grp, vd->after.grp) != 0)
      k.reassign = true;
  }
  if (vd->isnew && strcmp(vd->after.owner, w->user) != 0 && (t->def->flags & KT_TF_CLIENT))
    k.reassign = true;
  if (!vd->isnew && !k.other && !k.del && !k.contact_field) return 0; /* changes nothing */
  kt_scope after;
  if ((rc = kt_rights_scope(t, &vd->after, srv__card_fn, s, &after, err))) return rc;
  return kt_rights_check(&w->subj->who, w->subj->role, t, kt_rec_id(r), &before, &after, &k, verr);
}

/* A task or event may be given only to somebody who can see the client card it
 * belongs to: otherwise the reminder would fire about a client the assignee
 * cannot open. Checked on the record as it will be, when it is created or its
 * assignee or card changes (a later edit of other fields is not refused
 * because the card moved on), with the assignee's own rights. KT_EINVAL with
 * the reason in verr when not: the change stays in the writer's outbox until
 * the assignee or the card is corrected. */
static int check_assignee(srv_sync *s, kt_mtype *t, const verdict *vd, kt_err *verr,
                          kt_err *err) {
  if (!(t->def->flags & KT_TF_ASSIGNED)) return 0;
  const kt_links *l = &vd->after;
  bool touched = vd->isnew || strcmp(vd->before.asg, l->asg) != 0 ||
                 strcmp(vd->before.org, l->org) != 0 || strcmp(vd->before.contact, l->contact) != 0;
  if (!touched || !l->asg[0] || (!l->org[0] && !l->contact[0])) return 0;
  kt_rec *card = NULL;
  int rc = 0;
  if (l->org[0]) rc = srv__card_fn(s, "org", l->org, &card, err);
  if (!rc && !card && l->contact[0]) rc = srv__card_fn(s, "contact", l->contact, &card, err);
  if (rc || !card) return rc; /* a card this server does not have yet: nothing to judge */
  kt_links cl;
  kt_links_from_rec(card, &cl);
  kt_scope sc;
  srv_subject *subj = malloc(sizeof *subj);
  if (!subj) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  if (!rc) rc = kt_rights_scope(card->type, &cl, srv__card_fn, s, &sc, err);
  if (!rc) {
    kt_err e2;
    int lr = srv_subject_load(s->d, l->asg, subj, &e2);
    if (lr == KT_ENOTFOUND) lr = 0; /* "no user named" is said elsewhere */
    else if (lr) rc = kt_err_set(err, lr, "%s", e2.msg);
    else if (!kt_rights_allows(&subj->who, card->type->def->code, KT_ACT_READ, sc.owner, sc.grp,
                               NULL)) {
      kt_buf title = KT_BUF_INIT;
      kt_rec_title(card, &title);
      const char *what = card->type->def->noun;
      rc = kt_err_set(verr, KT_EINVAL,
                      "%s cannot be assigned: %s may not see the %s \"%s\" it belongs to (%s's "
                      "client, role %s); assign it to someone who can see this client, or ask "
                      "a head of sales to hand the client over to %s", t->def->noun, l->asg,
                      what, kt_buf_str(&title), sc.owner[0] ? sc.owner : "nobody", subj->role,
                      l->asg);
      kt_buf_free(&title);
    }
  }
  free(subj);
  kt_rec_free(card);
  return rc;
}

/* The text of field `name` of r ("" when empty). */
static const char *rec_text(const kt_rec *r, const char *name) {
  const kt_mfield *f = kt_mtype_field(r->type, name);
  const kt_value *v = f ? &r->v[r->type->pos[f->vidx]] : NULL;
  return v && v->kind == KT_V_TEXT ? v->s : "";
}

/* The users of group `name` and of every group above it get a new rights
 * generation: their sessions reload their groups, their replicas are rebuilt. */
static int group_bump_chain(srv_sync *s, const char *name, kt_err *err) {
  char cur[128];
  snprintf(cur, sizeof cur, "%s", name);
  for (int depth = 0; cur[0] && depth < 16; depth++) {
    sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_GROUP_BUMP, err);
    if (!st) return KT_EDB;
    sqlite3_bind_text(st, 1, cur, -1, SQLITE_TRANSIENT);
    int rc = srv_db_step_done(s->d, st, err);
    if (rc) return rc;
    if (!(st = srv_db_st(s->d, SRV_ST_GROUP_PARENT, err))) return KT_EDB;
    sqlite3_bind_text(st, 1, cur, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    const unsigned char *p = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    char next[128] = "";
    if (p) snprintf(next, sizeof next, "%s", (const char *)p);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return srv_db_error(s->d, rc, "reading groups", err);
    if (strcmp(next, cur) == 0) break;
    snprintf(cur, sizeof cur, "%s", next);
  }
  return 0;
}

/* What a group record was before a change, to tell whether the tree changed. */
typedef struct group_was {
  char name[128], parent[128];
  bool deleted;
} group_was;

static void group_was_take(const kt_rec *r, group_was *g) {
  snprintf(g->name, sizeof g->name, "%s", rec_text(r, "name"));
  snprintf(g->parent, sizeof g->parent, "%s", rec_text(r, "parent"));
  g->deleted = kt_rec_deleted(r);
}

/* A group created, renamed, moved or deleted changes who is in which group
 * (live sessions keep their users' group lists): everybody in it or above it,
 * before and after, has their rights reloaded. */
static int group_changed(srv_sync *s, const group_was *was, const kt_rec *r, bool isnew,
                         kt_err *err) {
  group_was now;
  group_was_take(r, &now);
  if (!isnew && strcmp(was->name, now.name) == 0 && strcmp(was->parent, now.parent) == 0 &&
      was->deleted == now.deleted)
    return 0;
  const char *names[] = {was->name, was->parent, now.name, now.parent};
  int rc = 0;
  for (size_t i = 0; !rc && i < sizeof names / sizeof names[0]; i++)
    if (names[i][0]) rc = group_bump_chain(s, names[i], err);
  /* the users timer then tells their live sessions (srv__rights_tell) */
  if (!rc) rc = srv_db_meta_bump(s->d, "users_gen", err);
  return rc;
}

/* Decodes and validates a change's values into in[] (each field once).
 * 0, or KT_E* with the reason in verr (the change is refused). */
static int decode_change(srv_sync *s, kt_mtype *t, const Kartoteka__Change *ch, incoming *in,
                         size_t *nin, kt_err *verr) {
  uint64_t limit = kt_now_ms() + SRV_MAX_SKEW_MS;
  unsigned char seen[KT_MAX_FIELDS] = {0};
  *nin = 0;
  for (size_t j = 0; j < ch->n_fields; j++) {
    const Kartoteka__FieldValue *fv = ch->fields[j];
    /* a value an older PC does not know, sent back as pulled: not an edit, and
       its device is not the pusher's, so it is never written (the master has it) */
    if (fv->kept) continue;
    size_t i = (*nin)++;
    kt_mfield *f = kt_mtype_field(t, fv->name);
    if (!f) return kt_err_set(verr, KT_EINVAL, "unknown field '%s' for %s", fv->name, ch->type);
    if (f->vidx == KT_F_ID || f->vidx == KT_F_UPDATED)
      return kt_err_set(verr, KT_EINVAL, "field %s cannot be written", fv->name);
    if (kt_ftype_is_multi(f->type)) /* derived from the card's tagging records */
      return kt_err_set(verr, KT_EINVAL, "field %s is a list of tags: each tag is pushed as its "
                        "own record, not as the card's field", fv->name);
    if (seen[f->vidx]++)
      return kt_err_set(verr, KT_EINVAL, "field %s is named twice in one change; a change "
                        "names each field once", fv->name);
    if (KT_STAMP_MS(fv->stamp) > limit)
      return kt_err_set(verr, KT_ECLOCK, "the PC's clock is %llu s ahead of the server's; set "
                        "the correct time (or turn on automatic time) and sync again",
                        (unsigned long long)((KT_STAMP_MS(fv->stamp) - kt_now_ms()) / 1000));
    if (!fv->stamp) return kt_err_set(verr, KT_EINVAL, "field %s has no version stamp", fv->name);
    if (fv->hidden)
      return kt_err_set(verr, KT_EINVAL, "field %s is marked hidden: only the server sends that",
                        fv->name);
    if (kt_change_value(f, fv, &in[i].v, verr)) return verr->code ? verr->code : KT_EINVAL;
    /* owners and assignees must be accounts of this office */
    if (f->type == KT_FT_USER && in[i].v.kind == KT_V_TEXT && !user_exists(s, in[i].v.s))
      return kt_err_set(verr, KT_EINVAL, "%s: there is no user named %s in this office", f->name,
                        in[i].v.s);
    in[i].f = f;
    in[i].stamp = fv->stamp;
    in[i].base = fv->base_stamp;
  }
  return 0;
}

/* What one push refused, for its one audit row: the first reason, the count and
 * the ids of the first few refused records (an administrator looking for one
 * card finds it). */
#define REFUSALS_IDS 64
typedef struct refusals {
  size_t n;
  const char *action; /* of the first: denied.push (rights, validity) or denied.assign */
  char id[40], type[32];
  char first[KT_ERR_MSG_MAX];
  char ids[REFUSALS_IDS - 1][40]; /* of the 2nd... refused changes */
} refusals;

static void refusal_note(refusals *rf, const char *action, const Kartoteka__Change *ch,
                         const char *msg) {
  size_t k = rf->n++;
  if (k) {
    if (k < REFUSALS_IDS) snprintf(rf->ids[k - 1], sizeof rf->ids[0], "%s", ch->id ? ch->id : "");
    return;
  }
  rf->action = action;
  snprintf(rf->id, sizeof rf->id, "%s", ch->id ? ch->id : "");
  snprintf(rf->type, sizeof rf->type, "%s", ch->type ? ch->type : "");
  snprintf(rf->first, sizeof rf->first, "%s", msg);
}

/* Applies the values judged to win and logs the concurrent losers. */
static int apply_values(srv_sync *s, const srv_writer *w, uint32_t wdev, kt_rec *r, incoming *in,
                        size_t n, bool *claims, kt_err *err) {
  kt_mtype *t = r->type;
  int rc;
  for (size_t i = 0; i < n; i++) {
    kt_mfield *f = in[i].f;
    int pos = t->pos[f->vidx];
    kt_fver *cur = &r->vers.f[f->vidx];
    kt_hlc_recv(s->hlc, in[i].stamp, 0, NULL);
    char other[80] = "";
    if (in[i].concurrent) device_user(s, srv__dev_name(s, cur->dev), other, sizeof other);
    if (in[i].wins) {
      if (in[i].concurrent &&
          (rc = srv__log_conflict(s, r, f, &r->v[pos], &in[i].v, other, w->user, err)))
        return rc;
      kt_value_clear(&r->v[pos]);
      r->v[pos] = in[i].v;
      memset(&in[i].v, 0, sizeof in[i].v);
      cur->stamp = in[i].stamp;
      cur->dev = wdev;
      *claims = *claims || kt_mfield_claims(f) || kt_mfield_in_name_key(f) ||
                f->vidx == KT_F_DELETED;
    } else if (in[i].concurrent &&
               (rc = srv__log_conflict(s, r, f, &in[i].v, &r->v[pos], w->user, other, err))) {
      return rc;
    }
  }
  return 0;
}

/* Applies one change; res describes the result (a refusal always carries a
 * KT_E* code and is counted in rf). Database errors return non-zero (the
 * whole batch is rolled back). */
static int apply_change(srv_sync *s, const srv_writer *w, uint32_t wdev,
                        const Kartoteka__Change *ch, Kartoteka__ChangeResult *res, refusals *rf,
                        kt_err *err) {
  kt_err verr;
  kt_err_clear(&verr);
  kt_mtype *t = kt_model_type(s->model, ch->type);
  kt_rec *r = NULL;
  incoming *in = NULL;
  srv_hist hist; /* the values this change replaces, for the card's history */
  srv_hist_begin(&hist, t);
  const char *action = "denied.push";
  int rc = 0;
  res->status = KARTOTEKA__CHANGE_RESULT__STATUS__REJECTED;
  if (!t) {
    kt_err_set(&verr, KT_EINVAL, "unknown record type '%s'", ch->type);
    goto reject;
  }
  if (t->def->flags & KT_TF_SYSTEM) {
    kt_err_set(&verr, KT_EPERM, "%ss are written by the office server only", t->def->noun);
    goto reject;
  }
  if (!kt_uuid_str_is_valid(ch->id) || strcmp(ch->id, "00000000-0000-0000-0000-000000000000") == 0) {
    kt_err_set(&verr, KT_EINVAL, "'%s' is not a record id", ch->id);
    goto reject;
  }
  in = calloc(ch->n_fields ? ch->n_fields : 1, sizeof *in);
  if (!in) return kt_err_set(err, KT_ENOMEM, "out of memory");
  size_t nin = 0;
  if (decode_change(s, t, ch, in, &nin, &verr)) goto reject;
  if ((rc = srv__load_by_id(s, t, ch->id, &r, err))) goto out;
  bool isnew = !r;
  if (!r) {
    if (!(r = kt_rec_new(t))) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      goto out;
    }
    kt_value_set_text(&r->v[KT_F_ID], ch->id, strlen(ch->id));
  }
  verdict vd;
  judge(s, w, r, isnew, in, nin, &vd);
  if (w->subj) {
    rc = check_rights(s, w, t, r, &vd, in, nin, &verr, err);
    if (rc == KT_EPERM && verr.code) {
      rc = 0;
      goto reject;
    }
    if (rc) goto out;
  }
  rc = check_assignee(s, t, &vd, &verr, err);
  if (rc == KT_EINVAL && verr.code) {
    rc = 0;
    action = "denied.assign";
    goto reject;
  }
  if (rc) goto out;
  if (t->def->flags & KT_TF_ELEMENT) { /* a tag: judged as it will be */
    kt_value *after = calloc((size_t)t->nfields, sizeof *after);
    if (!after) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      goto out;
    }
    for (int k = 0; k < t->nfields; k++) after[k] = r->v[k]; /* borrowed */
    for (size_t i = 0; i < nin; i++)
      if (in[i].wins) after[t->pos[in[i].f->vidx]] = in[i].v;
    rc = srv__tags_check(s, r, after, &verr, err);
    free(after);
    if (rc == KT_EINVAL && verr.code) {
      rc = 0;
      goto reject;
    }
    if (rc) goto out;
  }
  if (!vd.any) {
    /* nothing wins; a concurrent loser is still kept in the conflict log */
    bool claims = false;
    rc = apply_values(s, w, wdev, r, in, nin, &claims, err);
    res->status = KARTOTEKA__CHANGE_RESULT__STATUS__SUPERSEDED;
    goto out;
  }
  char old_owner[80];
  snprintf(old_owner, sizeof old_owner, "%s", vd.before.owner);
  bool group = strcmp(t->def->name, "group") == 0, fdef = strcmp(t->def->name, "field_def") == 0;
  group_was gw;
  if (group) group_was_take(r, &gw);
  /* a field definition the model refuses (another type for an existing field) is
     refused as a change, not a failed push: its write is undone alone */
  if (fdef && (rc = srv_db_run(s->d, SRV_ST_SP_CHANGE, err))) goto out;
  if (isnew) srv_hist_created(&hist);
  for (size_t i = 0; i < ch->n_fields; i++)
    if (in[i].changes && (rc = srv_hist_take(&hist, r, in[i].f, in[i].stamp, err))) goto out;
  bool claims = false;
  if ((rc = apply_values(s, w, wdev, r, in, nin, &claims, err))) goto out;
  int64_t seq;
  if ((rc = srv__write_rec(s, r, claims, &seq, err))) goto out;
  if ((rc = srv__tags_rebuild(s, r, wdev, srv_hist_newest(&hist), err))) goto out;
  if ((rc = srv_hist_write(s->d, r, wdev, &hist, err))) goto out;
  if (group && (rc = group_changed(s, &gw, r, isnew, err))) goto out;
  if (fdef) {
    kt_err ferr;
    kt_err_clear(&ferr);
    int frc = srv__apply_field_def(s, r, &ferr);
    if (frc == KT_EINVAL) {
      srv_db_run(s->d, SRV_ST_SP_CHANGE_UNDO, NULL);
      srv_db_run(s->d, SRV_ST_SP_CHANGE_RELEASE, NULL);
      srv__model_reload(s); /* the model may have taken part of it */
      kt_err_set(&verr, KT_EINVAL, "%s", ferr.msg);
      goto reject;
    }
    if (frc) {
      rc = kt_err_set(err, frc, "%s", ferr.msg);
      goto out;
    }
    if ((rc = srv_db_run(s->d, SRV_ST_SP_CHANGE_RELEASE, err))) goto out;
  }
  const char *new_owner = r->v[KT_F_OWNER].kind == KT_V_TEXT ? r->v[KT_F_OWNER].s : "";
  if (!isnew && (t->def->flags & KT_TF_CLIENT) && strcmp(old_owner, new_owner) != 0)
    srv_audit_note(s->d, w->user, w->device_id, "reassign", ch->id, "%s from %s to %s", ch->type,
                   old_owner[0] ? old_owner : "nobody", new_owner[0] ? new_owner : "nobody");
  /* a new client card that duplicates a colleague's client is kept (offline work is
     never lost); both hear of it, the writer also in the ack's reason (srv_sync.c) */
  if (isnew && (rc = srv__note_duplicates(s, w->user, r, &res->reason, err))) goto out;
  res->status = KARTOTEKA__CHANGE_RESULT__STATUS__APPLIED;
  res->server_seq = (uint64_t)seq;
  goto out;
reject:
  res->code = verr.code ? verr.code : KT_EINVAL;
  res->reason = strdup(verr.msg);
  refusal_note(rf, action, ch, verr.msg);
  kt_log_info("sync", "refused a change from device %s: %s", w->device_id, verr.msg);
out:
  srv_hist_clear(&hist);
  if (in)
    for (size_t i = 0; i < ch->n_fields; i++) kt_value_clear(&in[i].v);
  free(in);
  kt_rec_free(r);
  return rc;
}

/* One audit row per push that had refusals: the first reason and the counts. */
static void refusals_audit(srv_sync *s, const srv_writer *w, const refusals *rf, size_t total) {
  if (!rf->n) return;
  if (rf->n == 1) {
    srv_audit_note(s->d, w->user, w->device_id, rf->action, rf->id, "%s: %s", rf->type, rf->first);
    return;
  }
  char more[REFUSALS_IDS * 40 + 32] = "";
  size_t len = 0, shown = rf->n - 1 < REFUSALS_IDS - 1 ? rf->n - 1 : REFUSALS_IDS - 1;
  for (size_t i = 0; i < shown; i++)
    len += (size_t)snprintf(more + len, sizeof more - len, "%s%s", i ? " " : "", rf->ids[i]);
  if (rf->n - 1 > shown) snprintf(more + len, sizeof more - len, " ...");
  srv_audit_note(s->d, w->user, w->device_id, rf->action, rf->id,
                 "%s: %.300s (%zu of %zu changes of this push refused; also %s)", rf->type,
                 rf->first, rf->n, total, more);
}

/* srv_refused: the change numbers of this device that were refused. */
static int refused_op(srv_sync *s, srv_st which, const char *device, int64_t counter, bool *hit,
                      kt_err *err) {
  sqlite3_stmt *st = srv_db_st(s->d, which, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, counter);
  if (which != SRV_ST_REFUSED_HAS) return srv_db_step_done(s->d, st, err);
  int rc = sqlite3_step(st);
  *hit = rc == SQLITE_ROW;
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : srv_db_error(s->d, rc, "reading refusals", err);
}

/* Applies a push inside the caller's transaction; fills ack. */
static int push_apply(srv_sync *s, const srv_writer *w, const Kartoteka__Push *push,
                      Kartoteka__PushAck *ack, kt_err *err) {
  Kartoteka__ChangeResult **res = calloc(push->n_changes ? push->n_changes : 1, sizeof *res);
  Kartoteka__ChangeResult *vals = calloc(push->n_changes ? push->n_changes : 1, sizeof *vals);
  if (!res || !vals) {
    free(res);
    free(vals);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < push->n_changes; i++) {
    kartoteka__change_result__init(&vals[i]);
    res[i] = &vals[i];
  }
  ack->results = res;
  ack->n_results = push->n_changes;
  refusals rf = {0};
  int rc;
  uint32_t wdev;
  if ((rc = srv__dev_index(s, w->device_id, &wdev, err))) goto fail;
  sqlite3_stmt *st = srv_db_st(s->d, SRV_ST_DEVCTR_GET, err);
  if (!st) {
    rc = KT_EDB;
    goto fail;
  }
  sqlite3_bind_text(st, 1, w->device_id, -1, SQLITE_STATIC);
  int64_t last = 0;
  if (sqlite3_step(st) == SQLITE_ROW) last = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  int64_t high = last;
  /* the client has seen the answers to its earlier pushes below this one's lowest number */
  int64_t low = INT64_MAX;
  for (size_t i = 0; i < push->n_changes; i++)
    if ((int64_t)push->changes[i]->counter < low) low = (int64_t)push->changes[i]->counter;
  bool hit = false;
  if (push->n_changes && (rc = refused_op(s, SRV_ST_REFUSED_PRUNE, w->device_id, low, &hit, err)))
    goto fail;
  /* field definitions first: a definition edited after a card got a value of
     the field is behind that card in the client's outbox (an edited entry takes
     a new number), and the batch is one transaction anyway */
  for (int defs = 1; defs >= 0; defs--)
    for (size_t i = 0; i < push->n_changes; i++) {
      const Kartoteka__Change *ch = push->changes[i];
      if ((strcmp(ch->type, "field_def") == 0) != defs) continue;
      bool again = false; /* refused before: its answer may have been lost, judge it again */
      if ((int64_t)ch->counter <= last) {
        if ((rc = refused_op(s, SRV_ST_REFUSED_HAS, w->device_id, (int64_t)ch->counter, &again,
                             err)))
          goto fail;
        if (!again) { /* already applied: a resend after a lost ack */
          vals[i].status = KARTOTEKA__CHANGE_RESULT__STATUS__APPLIED;
          continue;
        }
      }
      if (rf.n >= PUSH_MAX_REFUSED) {
        vals[i].status = KARTOTEKA__CHANGE_RESULT__STATUS__REJECTED;
        vals[i].code = KT_ETHROTTLED;
        vals[i].reason = strdup("not looked at: this push had too many refused changes");
        rf.n++;
      } else if ((rc = apply_change(s, w, wdev, ch, &vals[i], &rf, err))) {
        goto fail;
      }
      bool refused = vals[i].status == KARTOTEKA__CHANGE_RESULT__STATUS__REJECTED;
      if (refused != again &&
          (rc = refused_op(s, refused ? SRV_ST_REFUSED_ADD : SRV_ST_REFUSED_DEL, w->device_id,
                           (int64_t)ch->counter, &hit, err)))
        goto fail;
      if ((int64_t)ch->counter > high) high = (int64_t)ch->counter;
    }
  if (high != last) {
    if (!(st = srv_db_st(s->d, SRV_ST_DEVCTR_SET, err))) {
      rc = KT_EDB;
      goto fail;
    }
    sqlite3_bind_text(st, 1, w->device_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, high);
    if ((rc = srv_db_step_done(s->d, st, err))) goto fail;
  }
  /* a hostile client that never moves its numbers on cannot grow the table */
  if (rf.n && (rc = refused_op(s, SRV_ST_REFUSED_CAP, w->device_id, PUSH_KEEP_REFUSED, &hit, err)))
    goto fail;
  refusals_audit(s, w, &rf, push->n_changes);
  return 0;
fail:
  srv_sync_ack_free(ack);
  return rc;
}

int srv_sync_push(srv_sync *s, const srv_writer *w, const Kartoteka__Push *push,
                  Kartoteka__PushAck *ack, kt_err *err) {
  int rc = srv_db_begin(s->d, err);
  if (!rc && (rc = push_apply(s, w, push, ack, err))) srv_db_rollback(s->d);
  if (!rc && (rc = srv_db_commit(s->d, err))) srv_sync_ack_free(ack);
  if (rc) srv__model_reload(s);
  return rc;
}

/* ---- group commit ---------------------------------------------------------------- */

int srv_sync_group_begin(srv_sync *s, kt_err *err) { return srv_db_begin(s->d, err); }

/* Undoes this push alone (the others of the group stay). */
static void push_undo(srv_sync *s) {
  srv_db_run(s->d, SRV_ST_SP_PUSH_UNDO, NULL);
  srv_db_run(s->d, SRV_ST_SP_PUSH_RELEASE, NULL);
  srv__model_reload(s);
}

int srv_sync_push_grouped(srv_sync *s, const srv_writer *w, const Kartoteka__Push *push,
                          Kartoteka__PushAck *ack, kt_err *err) {
  int rc = srv_db_run(s->d, SRV_ST_SP_PUSH, err);
  if (rc) return rc;
  if ((rc = push_apply(s, w, push, ack, err))) {
    push_undo(s);
    return rc;
  }
  if ((rc = srv_db_run(s->d, SRV_ST_SP_PUSH_RELEASE, err))) {
    push_undo(s);
    srv_sync_ack_free(ack);
  }
  return rc;
}

int srv_sync_group_commit(srv_sync *s, kt_err *err) {
  int rc = srv_db_commit(s->d, err); /* rolls back on failure */
  if (rc) srv__model_reload(s);
  return rc;
}

void srv_sync_ack_free(Kartoteka__PushAck *ack) {
  if (ack->n_results) {
    for (size_t i = 0; i < ack->n_results; i++) free(ack->results[i]->reason == (char *)protobuf_c_empty_string ? NULL : ack->results[i]->reason);
    free(ack->results[0]);
  }
  free(ack->results);
  ack->results = NULL;
  ack->n_results = 0;
}
