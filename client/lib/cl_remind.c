/* cl_remind — see cl_remind.h. */
#include "cl_remind.h"

#include <libical/ical.h>
#include "kt_uuid.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl_db.h"
#include "kt_choice.h"
#include "kt_hlc.h"
#include "kt_i18n.h"
#include "kt_log.h"
#include "kt_time.h"

#define MAX_OCCURRENCES 5000 /* per recurring item and window: a bound, not a limit users meet */

typedef struct occ_list {
  cl_occurrence *v;
  size_t n, cap;
  bool oom;
} occ_list;

static void occ_push(occ_list *l, const cl_occurrence *o) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    cl_occurrence *p = realloc(l->v, cap * sizeof *p);
    if (!p) {
      l->oom = true;
      return;
    }
    l->v = p;
    l->cap = cap;
  }
  l->v[l->n++] = *o;
}

/* ---- reminder states -------------------------------------------------------- */

typedef struct state_ent {
  char rid[40];
  int64_t at;
  cl_rem_state state;
  int64_t until;
} state_ent;

typedef struct states {
  state_ent *v;
  size_t n, cap;
} states;

static cl_rem_state parse_state(const char *s) {
  if (!s) return CL_REM_PENDING;
  if (strcmp(s, "fired") == 0) return CL_REM_FIRED;
  if (strcmp(s, "dismissed") == 0) return CL_REM_DISMISSED;
  if (strcmp(s, "snoozed") == 0) return CL_REM_SNOOZED;
  if (strcmp(s, "done") == 0) return CL_REM_DONE;
  return CL_REM_PENDING;
}

static int state_cmp(const void *a, const void *b) {
  const state_ent *x = a, *y = b;
  int c = strcmp(x->rid, y->rid);
  if (c) return c;
  return x->at < y->at ? -1 : x->at > y->at;
}

static int load_states(cl_store *s, const char *user, states *out, kt_err *err) {
  cl_db *d = cl_store_db(s);
  sqlite3_stmt *st = cl_db_st(d, CL_ST_REMIND_STATES, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (out->n == out->cap) {
      size_t cap = out->cap ? out->cap * 2 : 64;
      state_ent *p = realloc(out->v, cap * sizeof *p);
      if (!p) {
        sqlite3_reset(st);
        return kt_err_set(err, KT_ENOMEM, "out of memory");
      }
      out->v = p;
      out->cap = cap;
    }
    state_ent *e = &out->v[out->n++];
    snprintf(e->rid, sizeof e->rid, "%s", sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "");
    e->at = sqlite3_column_int64(st, 2);
    e->state = parse_state((const char *)sqlite3_column_text(st, 3));
    e->until = sqlite3_column_int64(st, 4);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return cl_db_error(d, rc, "reading reminder states", err);
  if (out->n) qsort(out->v, out->n, sizeof *out->v, state_cmp);
  return 0;
}

static const state_ent *find_state(const states *st, const char *rid, int64_t at) {
  state_ent key;
  snprintf(key.rid, sizeof key.rid, "%s", rid);
  key.at = at;
  return st->n ? bsearch(&key, st->v, st->n, sizeof *st->v, state_cmp) : NULL;
}

/* ---- expansion ------------------------------------------------------------------ */

typedef struct item {
  const char *rtype;
  const char *rid;
  const char *title;
  int64_t start;      /* ms */
  int64_t lead;       /* ms before an occurrence its reminder comes; -1 = none */
  const char *rrule;  /* NULL = one occurrence */
  bool done;
} item;

/* Calls emit for every occurrence t of it with t in [a, b]. */
static void expand(const item *it, int64_t a, int64_t b,
                   void (*emit)(void *ud, const item *it, int64_t occ), void *ud) {
  if (!it->rrule || !*it->rrule) {
    if (it->start >= a && it->start <= b) emit(ud, it, it->start);
    return;
  }
  struct icalrecurrencetype r = icalrecurrencetype_from_string(it->rrule);
  if (r.freq == ICAL_NO_RECURRENCE) {
    icalerror_clear_errno();
    if (it->start >= a && it->start <= b) emit(ud, it, it->start);
    return;
  }
  /* recur in local wall time: floating DTSTART from the local time of start */
  time_t t0 = (time_t)(it->start / 1000);
  struct tm lt;
  localtime_r(&t0, &lt);
  struct icaltimetype dt = icaltime_null_time();
  dt.year = lt.tm_year + 1900;
  dt.month = lt.tm_mon + 1;
  dt.day = lt.tm_mday;
  dt.hour = lt.tm_hour;
  dt.minute = lt.tm_min;
  dt.second = lt.tm_sec;
  dt.is_date = 0;
  icalrecur_iterator *ri = icalrecur_iterator_new(r, dt);
  if (!ri) {
    icalerror_clear_errno();
    return;
  }
  /* jump close to the window when the series started long ago */
  if (a > it->start + 86400000LL * 2) {
    time_t ta = (time_t)((a - 86400000LL * 2) / 1000);
    struct tm la;
    localtime_r(&ta, &la);
    struct icaltimetype from = dt;
    from.year = la.tm_year + 1900;
    from.month = la.tm_mon + 1;
    from.day = la.tm_mday;
    if (!r.count) icalrecur_iterator_set_start(ri, from);
  }
  for (int n = 0; n < MAX_OCCURRENCES; n++) {
    struct icaltimetype o = icalrecur_iterator_next(ri);
    if (icaltime_is_null_time(o)) break;
    int64_t occ = kt_local_to_ms(o.year, o.month, o.day, o.hour, o.minute, o.second);
    if (occ > b) break;
    if (occ >= a) emit(ud, it, occ);
  }
  icalrecur_iterator_free(ri);
  icalerror_clear_errno();
}

typedef struct gather {
  occ_list *out;
  const states *st;
  bool reminders; /* window applies to the effective reminder time */
  bool all;
  int64_t from, to;
} gather;

static void on_occ(void *ud, const item *it, int64_t occ) {
  gather *g = ud;
  cl_occurrence o;
  memset(&o, 0, sizeof o);
  snprintf(o.rtype, sizeof o.rtype, "%s", it->rtype);
  snprintf(o.rid, sizeof o.rid, "%s", it->rid);
  snprintf(o.title, sizeof o.title, "%s", it->title ? it->title : "");
  occ -= occ % 1000; /* whole seconds: the key of the synced state */
  o.occurs = occ;
  o.due = it->lead >= 0 ? occ - it->lead : 0;
  o.effective = o.due;
  o.done = it->done;
  const state_ent *se = g->st ? find_state(g->st, it->rid, occ) : NULL;
  if (se) {
    o.state = se->state;
    if (se->state == CL_REM_SNOOZED) o.effective = se->until;
  }
  if (g->reminders) {
    if (it->lead < 0 || it->done) return;
    if (!g->all && o.state != CL_REM_PENDING && o.state != CL_REM_SNOOZED) return;
    if (o.effective < g->from || o.effective > g->to) return;
  }
  occ_push(g->out, &o);
}

static int occ_cmp_occurs(const void *a, const void *b) {
  const cl_occurrence *x = a, *y = b;
  return x->occurs < y->occurs ? -1 : x->occurs > y->occurs;
}

static int occ_cmp_effective(const void *a, const void *b) {
  const cl_occurrence *x = a, *y = b;
  return x->effective < y->effective ? -1 : x->effective > y->effective;
}

int cl_remind_birthday_days(cl_store *s) {
  kt_buf b = KT_BUF_INIT;
  int days = 3;
  if (cl_store_meta_get(s, "birthday_days", &b, NULL) == 0) days = atoi(kt_buf_str(&b));
  kt_buf_free(&b);
  return days < 0 || days > 60 ? 3 : days;
}

#define SNOOZE_MIN_S 1
#define SNOOZE_MAX_S 86400

int64_t cl_remind_snooze_seconds(cl_store *s) {
  kt_buf b = KT_BUF_INIT;
  int64_t sec = 600;
  if (cl_store_meta_get(s, "snooze_seconds", &b, NULL) == 0) sec = atoll(kt_buf_str(&b));
  kt_buf_free(&b);
  return sec < SNOOZE_MIN_S || sec > SNOOZE_MAX_S ? 600 : sec;
}

int cl_remind_snooze_parse(const char *text, int64_t *seconds, kt_err *err) {
  size_t n = text ? strlen(text) : 0;
  int64_t sec = -1;
  if (n > 1 && text[n - 1] == 's') {
    char *end;
    long long v = strtoll(text, &end, 10);
    if (end == text + n - 1 && v >= 0) sec = v;
  } else if (n) {
    int64_t min;
    kt_err e2;
    if (kt_duration_parse(text, &min, &e2) == 0) sec = min * 60;
  }
  if (sec < SNOOZE_MIN_S || sec > SNOOZE_MAX_S)
    return kt_err_set(err, KT_EINVAL, "bad snooze time '%s': give 1s to 24h, like 30s, 10m or 1h",
                      text ? text : "");
  *seconds = sec;
  return 0;
}

static const char *col(sqlite3_stmt *st, int i) { return (const char *)sqlite3_column_text(st, i); }

/* A date that comes back every year (m/dd) in the years around [ya, yb]: the
 * day at 00:00 local, reminded `days` days ahead at 09:00; 29 February is kept
 * on the 28th in other years. */
static void every_year(gather *g, const char *rtype, const char *rid, const char *title, int m,
                       int dd, int days, int ya, int yb, int64_t a, int64_t b) {
  for (int year = ya - 1; year <= yb + 1; year++) {
    int day = dd;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (m == 2 && dd == 29 && !leap) day = 28;
    item it = {rtype, rid, title, kt_local_to_ms(year, m, day, 0, 0, 0),
               (int64_t)days * 86400000LL - 9 * 3600000LL, NULL, false};
    int64_t lo = a, hi = b;
    if (g->reminders) {
      lo = a - 86400000LL;
      hi = b + it.lead;
    }
    if (it.start >= lo && it.start <= hi) on_occ(g, &it, it.start);
  }
}

/* Birthdays from statement which (id, three name parts, birthday) in the
 * years around [a, b]: the day at 00:00 local, reminded `birthday_days` days
 * ahead at 09:00; 29 February is kept on the 28th in other years. rtype:
 * "contact" (the user's clients) or "staff" (colleagues). */
static int walk_birthdays(cl_store *s, cl_st which, const char *rtype, const char *user, int64_t a,
                          int64_t b, gather *g, kt_err *err) {
  cl_db *d = cl_store_db(s);
  int days = cl_remind_birthday_days(s);
  sqlite3_stmt *st = cl_db_st(d, which, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  time_t ta = (time_t)(a / 1000), tb = (time_t)(b / 1000);
  struct tm la, lb;
  localtime_r(&ta, &la);
  localtime_r(&tb, &lb);
  bool staff = strcmp(rtype, "staff") == 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int y, m, dd;
    /* "--05-17": a birthday whose year is not known is reminded all the same */
    if (!col(st, 4) || (sscanf(col(st, 4), "%d-%d-%d", &y, &m, &dd) != 3 &&
                        sscanf(col(st, 4), "--%d-%d", &m, &dd) != 2))
      continue;
    char title[300];
    snprintf(title, sizeof title, "%s", KT_("Birthday:"));
    for (int k = 1; k <= 3; k++)
      if (col(st, k) && *col(st, k))
        snprintf(title + strlen(title), sizeof title - strlen(title), " %s", col(st, k));
    if (staff) snprintf(title + strlen(title), sizeof title - strlen(title), " (colleague)");
    every_year(g, rtype, col(st, 0), title, m, dd, days, la.tm_year + 1900, lb.tm_year + 1900, a, b);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : cl_db_error(d, rc, "reading birthdays", err);
}

/* The dates of the date fields marked "remind every year" (field_def.yearly:
 * company anniversaries, contract renewals) on the user's clients, reminded
 * like birthdays: "Label: card title". Whose client follows kt_rights_scope,
 * as CL_ST_BIRTHDAYS does: a type with an organization reference (contacts)
 * is its organization's owner's when that is on this PC, else its own owner's.
 * The statements are built from the model's own identifiers. */
static int walk_yearly(cl_store *s, const char *user, int64_t a, int64_t b, gather *g,
                       kt_err *err) {
  cl_db *d = cl_store_db(s);
  kt_model *m = cl_store_model(s);
  sqlite3_stmt *fs = cl_db_st(d, CL_ST_YEARLY_FIELDS, err);
  if (!fs) return KT_EDB;
  char fields[16][2][KT_NAME_MAX]; /* read first: the walk below uses the connection */
  int nf = 0, rc;
  while ((rc = sqlite3_step(fs)) == SQLITE_ROW && nf < 16) {
    snprintf(fields[nf][0], KT_NAME_MAX, "%s", col(fs, 0) ? col(fs, 0) : "");
    snprintf(fields[nf][1], KT_NAME_MAX, "%s", col(fs, 1) ? col(fs, 1) : "");
    nf++;
  }
  sqlite3_reset(fs);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return cl_db_error(d, rc, "reading field settings", err);
  int days = cl_remind_birthday_days(s);
  time_t ta = (time_t)(a / 1000), tb = (time_t)(b / 1000);
  struct tm la, lb;
  localtime_r(&ta, &la);
  localtime_r(&tb, &lb);
  rc = 0;
  for (int i = 0; i < nf && !rc; i++) {
    kt_mtype *t = kt_model_type(m, fields[i][0]);
    kt_mfield *f = t ? kt_mtype_field(t, fields[i][1]) : NULL;
    if (!t || !f || f->hidden || f->type != KT_FT_DATE || !(t->def->flags & KT_TF_CLIENT)) continue;
    char tab[64];
    kt_recsql_table(t, tab, sizeof tab);
    kt_buf sql = KT_BUF_INIT;
    cl_db_select_prefix(t, &sql);
    kt_buf_printf(&sql, " WHERE deleted = 0 AND \"%s\" IS NOT NULL AND ", f->column);
    kt_mfield *org = kt_mtype_field(t, "org");
    if (org && org->type == KT_FT_REF && !org->custom)
      kt_buf_printf(&sql, "((owner = ?1 AND NOT EXISTS (SELECT 1 FROM t_org o WHERE o.id = "
                    "%s.org)) OR org IN (SELECT id FROM t_org WHERE owner = ?1 AND deleted = 0))",
                    tab);
    else
      kt_buf_puts(&sql, "owner = ?1");
    sqlite3_stmt *st = NULL;
    int prc = sqlite3_prepare_v2(d->db, kt_buf_str(&sql), -1, &st, NULL);
    kt_buf_free(&sql);
    if (prc != SQLITE_OK) return cl_db_error(d, prc, "reading yearly dates", err);
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    kt_rec *r = kt_rec_new(t);
    if (!r) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    while (!rc && (prc = sqlite3_step(st)) == SQLITE_ROW) {
      if ((rc = kt_rec_load(r, st, err))) break;
      const kt_value *v = &r->v[t->pos[f->vidx]];
      int y, mo, dd;
      if (v->kind != KT_V_TEXT || sscanf(v->s, "%d-%d-%d", &y, &mo, &dd) != 3) continue;
      kt_buf title = KT_BUF_INIT;
      kt_buf_printf(&title, "%s: ", kt_mfield_label_tr(t, f));
      kt_rec_title(r, &title);
      every_year(g, t->def->name, kt_rec_id(r), kt_buf_str(&title), mo, dd, days,
                 la.tm_year + 1900, lb.tm_year + 1900, a, b);
      kt_buf_free(&title);
    }
    if (!rc && prc != SQLITE_DONE) rc = cl_db_error(d, prc, "reading yearly dates", err);
    kt_rec_free(r);
    sqlite3_finalize(st);
  }
  return rc;
}

/* Walks the user's events, tasks (and birthdays); a/b is the window of
 * occurrences to expand. */
static int walk_items(cl_store *s, const char *user, int64_t a, int64_t b, bool birthdays,
                      gather *g, kt_err *err) {
  cl_db *d = cl_store_db(s);
  static const cl_st which[2] = {CL_ST_DIARY_EVENTS, CL_ST_DIARY_TASKS};
  /* an event's type is shown by its label ("Звонок: ..."), stored by its code */
  kt_mtype *etype_t = kt_model_type(cl_store_model(s), "event");
  const kt_mfield *etype = kt_mtype_field(etype_t, "type");
  kt_buf tl = KT_BUF_INIT;
  for (int w = 0; w < 2; w++) {
    sqlite3_stmt *st = cl_db_st(d, which[w], err);
    if (!st) {
      kt_buf_free(&tl);
      return KT_EDB;
    }
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      item it;
      memset(&it, 0, sizeof it);
      it.rtype = w ? "task" : "event";
      it.rid = col(st, 0);
      kt_buf_reset(&tl);
      if (col(st, 2)) { /* the label in the user's language: "Звонок", not "call" */
        kt_value v = {.kind = KT_V_TEXT, .s = (char *)col(st, 2)}; /* (only read) */
        kt_mfield_format_tr(etype_t, etype, &v, &tl);
      }
      char title[300];
      snprintf(title, sizeof title, "%s%s%s", kt_buf_str(&tl), col(st, 2) && col(st, 1) ? ": " : "",
               col(st, 1) ? col(st, 1) : "");
      it.title = title;
      it.start = sqlite3_column_int64(st, 3);
      bool has_at = sqlite3_column_type(st, 4) != SQLITE_NULL;
      bool has_before = sqlite3_column_type(st, 5) != SQLITE_NULL;
      it.lead = has_at ? it.start - sqlite3_column_int64(st, 4)
                       : has_before ? sqlite3_column_int64(st, 5) * 60000 : -1;
      it.rrule = col(st, 6);
      it.done = col(st, 7) && strcmp(col(st, 7), "done") == 0;
      int64_t lo = a, hi = b;
      if (g->reminders) { /* the window is on reminder times: widen by the lead */
        if (it.lead < 0) continue;
        lo = a + (it.lead > 0 ? 0 : it.lead);
        hi = b + (it.lead > 0 ? it.lead : 0);
        /* snoozed reminders may come after their occurrence's window */
        lo -= 86400000LL;
      }
      expand(&it, lo, hi, on_occ, g);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
      kt_buf_free(&tl);
      return cl_db_error(d, rc, "reading the diary", err);
    }
  }
  kt_buf_free(&tl);
  if (!birthdays) return 0;
  int rc = walk_birthdays(s, CL_ST_BIRTHDAYS, "contact", user, a, b, g, err);
  if (!rc) rc = walk_birthdays(s, CL_ST_STAFF_BIRTHDAYS, "staff", user, a, b, g, err);
  if (!rc) rc = walk_yearly(s, user, a, b, g, err);
  return rc;
}

static int deliver(occ_list *l, int (*cmp)(const void *, const void *), cl_occurrence_cb cb,
                   void *ud, kt_err *err) {
  if (l->oom) return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (l->n) qsort(l->v, l->n, sizeof *l->v, cmp);
  for (size_t i = 0; i < l->n; i++)
    if (cb(ud, &l->v[i])) break;
  return 0;
}

int cl_diary(cl_store *s, const char *user, int64_t from, int64_t to, bool with_birthdays,
             cl_occurrence_cb cb, void *ud, kt_err *err) {
  occ_list l = {0};
  states st = {0};
  int rc = load_states(s, user, &st, err);
  gather g = {&l, &st, false, true, from, to};
  if (!rc) rc = walk_items(s, user, from, to, with_birthdays, &g, err);
  if (!rc) rc = deliver(&l, occ_cmp_occurs, cb, ud, err);
  free(l.v);
  free(st.v);
  return rc;
}

int cl_remind_due(cl_store *s, const char *user, int64_t from, int64_t to, bool all,
                  cl_occurrence_cb cb, void *ud, kt_err *err) {
  occ_list l = {0};
  states st = {0};
  int rc = load_states(s, user, &st, err);
  gather g = {&l, &st, true, all, from, to};
  if (!rc) rc = walk_items(s, user, from, to, true, &g, err);
  if (!rc) rc = deliver(&l, occ_cmp_effective, cb, ud, err);
  free(l.v);
  free(st.v);
  return rc;
}

int cl_remind_settled(cl_store *s, const char *user, int n, const char *const *rids,
                      const int64_t *ats, int64_t now, bool *out, kt_err *err) {
  states st = {0};
  int rc = load_states(s, user, &st, err);
  for (int i = 0; !rc && i < n; i++) {
    const state_ent *e = find_state(&st, rids[i], ats[i]);
    out[i] = e && (e->state == CL_REM_DISMISSED || e->state == CL_REM_DONE ||
                   (e->state == CL_REM_SNOOZED && e->until > now));
  }
  free(st.v);
  return rc;
}

/* The id of a reminder state record: the same on every PC of the user. */
static void state_id(const char *user, const char *rid, int64_t at, char out[KT_UUID_STRLEN + 1]) {
  char key[256];
  int n = snprintf(key, sizeof key, "%s|%s|%lld", user, rid, (long long)at);
  kt_uuid_derive(key, n < 0 ? 0 : (size_t)n < sizeof key ? (size_t)n : sizeof key - 1, out);
}

int cl_remind_set(cl_store *s, const char *user, const char *rtype, const char *rid,
                  int64_t occurs, const char *state, int64_t until, kt_err *err) {
  if (parse_state(state) == CL_REM_PENDING)
    return kt_err_set(err, KT_EINVAL, "bad reminder state '%s'", state);
  char id[KT_UUID_STRLEN + 1], at[40], un[40];
  state_id(user, rid, occurs, id);
  kt_datetime_format(occurs, true, at, sizeof at);
  kt_datetime_format(until, true, un, sizeof un);
  cl_rec *r = NULL;
  int rc = cl_store_get(s, id, &r, NULL);
  cl_rec_free(r);
  if (rc == 0) {
    cl_set sets[] = {{"state", state}, {"until", until ? un : ""}};
    return cl_store_edit(s, id, sets, 2, NULL, err);
  }
  /* new: an internal record with a derived id, written through the store */
  cl_set sets[] = {{"rtype", rtype}, {"rid", rid}, {"at", at}, {"state", state},
                   {"until", until ? un : ""}};
  return cl_store_add_with_id(s, "reminder", id, sets, 5, err);
}

/* ---- call backs and results ------------------------------------------------------ */

static void copy_col(sqlite3_stmt *st, int i, char *out, size_t n) {
  snprintf(out, n, "%s", col(st, i) ? col(st, i) : "");
}

int cl_callbacks(cl_store *s, const char *user, int64_t until, cl_callback_cb cb, void *ud,
                 kt_err *err) {
  cl_db *d = cl_store_db(s);
  sqlite3_stmt *st = cl_db_st(d, CL_ST_CALLBACKS, err);
  if (!st) return KT_EDB;
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, until);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    cl_callback c;
    memset(&c, 0, sizeof c);
    copy_col(st, 0, c.id, sizeof c.id);
    copy_col(st, 1, c.title, sizeof c.title);
    c.start = sqlite3_column_int64(st, 2);
    copy_col(st, 3, c.org, sizeof c.org);
    copy_col(st, 4, c.contact, sizeof c.contact);
    copy_col(st, 5, c.phone, sizeof c.phone);
    if (cb(ud, &c)) {
      rc = SQLITE_DONE;
      break;
    }
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : cl_db_error(d, rc, "reading the call-back list", err);
}

/* The text of field `name` of r ("" when unset or no such field). */
static void field_text(const cl_rec *r, const char *name, kt_buf *out) {
  kt_buf_reset(out);
  kt_mfield *f = kt_mtype_field(r->type, name);
  if (f) kt_mfield_format(f, &r->v[r->type->pos[f->vidx]], true, out);
}

int cl_record_result(cl_store *s, const char *id, const char *result, const char *comment,
                     int64_t call_back_at, char new_id[KT_UUID_STRLEN + 1], kt_err *err) {
  new_id[0] = '\0';
  cl_rec *r = NULL;
  int rc = cl_store_get(s, id, &r, err);
  if (rc) return rc;
  const char *tn = r->type->def->name;
  bool event = strcmp(tn, "event") == 0;
  kt_value code = {KT_V_NULL, 0, NULL};
  kt_buf title = KT_BUF_INIT, old = KT_BUF_INIT, org = KT_BUF_INIT, contact = KT_BUF_INIT,
         asg = KT_BUF_INIT, lead = KT_BUF_INIT, text = KT_BUF_INIT;
  /* the result as typed (a code or a label) keys the call back by its code */
  if (event && result && (rc = kt_mfield_parse(kt_mtype_field(r->type, "result"), result, &code, err)))
    goto out;
  bool call_back = call_back_at || (code.kind == KT_V_TEXT && strcmp(code.s, "call_back") == 0);
  if (!event && strcmp(tn, "task") != 0) {
    rc = kt_err_set(err, KT_EINVAL, "%s is a %s: results are recorded for events and tasks", id, tn);
    goto out;
  }
  if (!event && (result || call_back)) {
    rc = kt_err_set(err, KT_EINVAL, "%s is a task: a task is just done (a result and a call back "
                    "are for calls and other events)", id);
    goto out;
  }
  if (cl_rec_deleted(r)) {
    rc = kt_err_set(err, KT_EINVAL, "%s is in the trash; restore it first", id);
    goto out;
  }
  field_text(r, "title", &title);
  field_text(r, "org", &org);
  field_text(r, "contact", &contact);
  field_text(r, "assignee", &asg);
  field_text(r, event ? "comment" : "description", &old);
  field_text(r, "remind_before", &lead);
  cl_set sets[3];
  int n = 0;
  sets[n++] = (cl_set){"status", "done"};
  if (result) sets[n++] = (cl_set){"result", result};
  if (comment && *comment) {
    kt_buf_printf(&text, "%s%s%s", kt_buf_str(&old), old.len ? "\n" : "", comment);
    sets[n++] = (cl_set){event ? "comment" : "description", kt_buf_str(&text)};
  }
  if ((rc = cl_store_begin(s, err))) goto out;
  rc = cl_store_edit(s, id, sets, n, NULL, err);
  if (!rc && call_back) {
    char when[40], ftitle[400];
    kt_datetime_format(call_back_at ? call_back_at : (int64_t)kt_now_ms() + 86400000LL, true, when,
                       sizeof when);
    snprintf(ftitle, sizeof ftitle, "Call back%s%s", title.len ? ": " : "", kt_buf_str(&title));
    cl_set f[8];
    int m = 0;
    f[m++] = (cl_set){"type", "call"};
    f[m++] = (cl_set){"title", ftitle};
    f[m++] = (cl_set){"start", when};
    f[m++] = (cl_set){"status", "planned"};
    f[m++] = (cl_set){"remind_before", lead.len ? kt_buf_str(&lead) : "15m"};
    if (org.len) f[m++] = (cl_set){"org", kt_buf_str(&org)};
    if (contact.len) f[m++] = (cl_set){"contact", kt_buf_str(&contact)};
    if (asg.len) f[m++] = (cl_set){"assignee", kt_buf_str(&asg)};
    rc = cl_store_add(s, "event", f, m, new_id, err);
  }
  if (rc) {
    cl_store_rollback(s);
    new_id[0] = '\0';
  } else {
    rc = cl_store_commit(s, err);
  }
out:
  kt_buf_free(&title);
  kt_buf_free(&old);
  kt_buf_free(&org);
  kt_buf_free(&contact);
  kt_buf_free(&asg);
  kt_buf_free(&lead);
  kt_buf_free(&text);
  kt_value_clear(&code);
  cl_rec_free(r);
  return rc;
}
