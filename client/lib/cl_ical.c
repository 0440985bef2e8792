/* cl_ical — see cl_ical.h. libical parses and prints (escaping, folding);
 * this file maps its components to rows of field values and back, through
 * the one table `imap_rows`. Line numbers come from a scan of the text for
 * the BEGIN lines of the components, in the order libical keeps them. */
#include "cl_ical.h"

#include <ctype.h>
#include <libical/ical.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cl_grid.h"
#include "kt_time.h"

typedef enum {
  IK_TEXT,     /* SUMMARY, DESCRIPTION */
  IK_TIME,     /* DTSTART, DUE: UTC instant */
  IK_DURATION, /* DURATION (or DTEND - DTSTART): minutes */
  IK_STATUS,   /* STATUS through istatus */
  IK_PRIORITY, /* PRIORITY 1-9 <-> high, normal, low */
  IK_RRULE,    /* RRULE text */
  IK_ALARM_REL, /* a VALARM's relative TRIGGER: minutes before the start */
  IK_ALARM_ABS, /* a VALARM's absolute TRIGGER: an instant */
} ikind;

/* The one correspondence of iCalendar properties and event/task fields. */
typedef struct imap {
  icalproperty_kind prop;
  const char *type; /* "event", "task", or NULL for both */
  const char *field;
  ikind kind;
} imap;

static const imap imap_rows[] = {
    {ICAL_SUMMARY_PROPERTY, NULL, "title", IK_TEXT},
    {ICAL_DTSTART_PROPERTY, "event", "start", IK_TIME},
    {ICAL_DURATION_PROPERTY, "event", "duration", IK_DURATION},
    {ICAL_DUE_PROPERTY, "task", "due", IK_TIME},
    {ICAL_STATUS_PROPERTY, NULL, "status", IK_STATUS},
    {ICAL_PRIORITY_PROPERTY, "task", "priority", IK_PRIORITY},
    {ICAL_DESCRIPTION_PROPERTY, "event", "comment", IK_TEXT},
    {ICAL_DESCRIPTION_PROPERTY, "task", "description", IK_TEXT},
    {ICAL_RRULE_PROPERTY, NULL, "rrule", IK_RRULE},
    {ICAL_TRIGGER_PROPERTY, NULL, "remind_before", IK_ALARM_REL},
    {ICAL_TRIGGER_PROPERTY, NULL, "remind_at", IK_ALARM_ABS},
};
#define NIMAP ((int)(sizeof imap_rows / sizeof imap_rows[0]))

/* Statuses: reading takes the first row of the status; writing the first row
 * of the code. A code without a row (an event that is done) is written as
 * the nearest status and as X-KARTOTEKA-STATUS, which wins when read back. */
static const struct {
  const char *type, *code;
  icalproperty_status st;
} istatus[] = {
    {"event", "planned", ICAL_STATUS_CONFIRMED}, {"event", "planned", ICAL_STATUS_TENTATIVE},
    {"event", "cancelled", ICAL_STATUS_CANCELLED}, {"task", "open", ICAL_STATUS_NEEDSACTION},
    {"task", "in_progress", ICAL_STATUS_INPROCESS}, {"task", "done", ICAL_STATUS_COMPLETED},
    {"task", "cancelled", ICAL_STATUS_CANCELLED},
};
#define NISTATUS ((int)(sizeof istatus / sizeof istatus[0]))

/* Priorities: 1-4 high, 5 normal, 6-9 low (RFC 5545 3.8.1.9); written as 1, 5, 9. */
static const struct {
  const char *code;
  int lo, hi;
} iprio[] = {{"high", 1, 4}, {"normal", 5, 5}, {"low", 6, 9}};

#define X_PREFIX "X-KARTOTEKA-"
#define IC_MAX_BYTES (256u << 20)
#define IC_MAX_MINUTES (3660LL * 24 * 60) /* a duration or a reminder lead: ten years */

static const char *comp_type(icalcomponent_kind k) {
  return k == ICAL_VEVENT_COMPONENT ? "event" : k == ICAL_VTODO_COMPONENT ? "task" : NULL;
}

static bool row_applies(const imap *m, const char *type) {
  return !m->type || strcmp(m->type, type) == 0;
}

/* ---- reading ------------------------------------------------------------- */

/* The lines where "BEGIN:VEVENT" / "BEGIN:VTODO" start, in order. */
typedef struct begins {
  int *line;
  int n, cap;
  bool calendar; /* a BEGIN:VCALENDAR line was seen */
} begins;

static int scan_begins(const char *d, size_t n, begins *b, kt_err *err) {
  int line = 1;
  for (size_t i = 0; i < n;) {
    size_t e = i;
    while (e < n && d[e] != '\n' && d[e] != '\r') e++;
    size_t len = e - i;
    if (len >= 15 && strncasecmp(d + i, "BEGIN:VCALENDAR", 15) == 0) b->calendar = true;
    if ((len >= 12 && strncasecmp(d + i, "BEGIN:VEVENT", 12) == 0) ||
        (len >= 11 && strncasecmp(d + i, "BEGIN:VTODO", 11) == 0)) {
      if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 64;
        int *nl = realloc(b->line, (size_t)cap * sizeof *nl);
        if (!nl) return kt_err_set(err, KT_ENOMEM, "out of memory");
        b->line = nl;
        b->cap = cap;
      }
      b->line[b->n++] = line;
    }
    if (e < n && d[e] == '\r' && e + 1 < n && d[e + 1] == '\n') e++;
    i = e + 1;
    line++;
  }
  return 0;
}

/* An instant in ms from a libical time: UTC as is, a TZID through its zone,
 * a floating time or a date in the PC's zone. false when it has no value. */
static bool to_ms(struct icaltimetype t, int64_t *ms) {
  if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t)) return false;
  if (t.is_date) {
    *ms = kt_local_to_ms(t.year, t.month, t.day, 0, 0, 0);
    return true;
  }
  if (icaltime_is_utc(t) || t.zone) {
    *ms = (int64_t)icaltime_as_timet_with_zone(t, t.zone ? t.zone : icaltimezone_get_utc_timezone()) * 1000;
    return true;
  }
  *ms = kt_local_to_ms(t.year, t.month, t.day, t.hour, t.minute, t.second);
  return true;
}

static void iso_utc(int64_t ms, char out[32]) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The time of a DTSTART/DUE property, with its TZID resolved: the file's
 * VTIMEZONE, else libical's built-in zone of that name. */
static int prop_time(icalcomponent *root, icalproperty *p, int line, int64_t *ms, bool *has,
                     kt_err *err) {
  struct icaltimetype t = icalvalue_get_datetimedate(icalproperty_get_value(p));
  icalparameter *tzp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
  if (tzp && !icaltime_is_utc(t) && !t.is_date) {
    const char *tzid = icalparameter_get_tzid(tzp);
    icaltimezone *z = root ? icalcomponent_get_timezone(root, tzid) : NULL;
    if (!z && tzid) z = icaltimezone_get_builtin_timezone(tzid);
    if (!z && tzid) z = icaltimezone_get_builtin_timezone_from_tzid(tzid);
    if (!z)
      return kt_err_set(err, KT_EINVAL, "line %d: %s is in the time zone '%s', which the file "
                        "does not describe (no VTIMEZONE) and which is not known; export the "
                        "calendar with its time zones", line, icalproperty_kind_to_string(icalproperty_isa(p)),
                        tzid ? tzid : "");
    t.zone = z;
  }
  *has = to_ms(t, ms);
  return 0;
}

static int set_text(cl_grid *g, const char *field, const char *s, kt_err *err) {
  if (!s) return 0;
  return cl_grid_set(g, field, s, strlen(s), false, err);
}

static int set_time(cl_grid *g, const char *field, int64_t ms, kt_err *err) {
  char iso[32];
  iso_utc(ms, iso);
  return cl_grid_put(g, field, iso, strlen(iso), err);
}

static int set_minutes(cl_grid *g, const char *field, int64_t min, kt_err *err) {
  char num[24];
  snprintf(num, sizeof num, "%lld", (long long)min);
  return cl_grid_put(g, field, num, strlen(num), err);
}

/* The alarms of c: relative triggers -> remind_before (minutes before the
 * start; RELATED=END counts from the end), absolute ones -> remind_at. The
 * first of each kind is kept. */
static int read_alarms(icalcomponent *c, const char *type, int64_t dur_min, cl_grid *g,
                       kt_err *err) {
  int rc = 0;
  for (icalcomponent *a = icalcomponent_get_first_component(c, ICAL_VALARM_COMPONENT); a && !rc;
       a = icalcomponent_get_next_component(c, ICAL_VALARM_COMPONENT)) {
    icalproperty *tp = icalcomponent_get_first_property(a, ICAL_TRIGGER_PROPERTY);
    if (!tp) continue;
    struct icaltriggertype tr = icalproperty_get_trigger(tp);
    for (int i = 0; i < NIMAP; i++) {
      const imap *m = &imap_rows[i];
      if (m->prop != ICAL_TRIGGER_PROPERTY || !row_applies(m, type)) continue;
      bool abs = !icaltime_is_null_time(tr.time);
      if (m->kind == IK_ALARM_ABS && abs && !cl_grid_get(g, m->field)) {
        int64_t ms;
        if (to_ms(tr.time, &ms)) rc = set_time(g, m->field, ms, err);
      } else if (m->kind == IK_ALARM_REL && !abs && !cl_grid_get(g, m->field)) {
        int64_t before = -(int64_t)icaldurationtype_as_int(tr.duration) / 60;
        icalparameter *rel = icalproperty_get_first_parameter(tp, ICAL_RELATED_PARAMETER);
        if (rel && icalparameter_get_related(rel) == ICAL_RELATED_END) before -= dur_min;
        if (before >= 0 && before <= IC_MAX_MINUTES) rc = set_minutes(g, m->field, before, err);
      }
    }
  }
  return rc;
}

static int read_comp(icalcomponent *root, icalcomponent *c, const char *type, int line,
                     cl_grid *g, kt_err *err) {
  int rc = cl_grid_row(g, line, type, err);
  if (rc) return rc;
  /* libical marks what it could not read; a property it could not read is a bad file */
  for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY))
    return kt_err_set(err, KT_EINVAL, "line %d: the %s that starts here cannot be read: %s",
                      line, type, icalproperty_get_xlicerror(p));
  int64_t dur_min = 0;
  for (int i = 0; !rc && i < NIMAP; i++) {
    const imap *m = &imap_rows[i];
    if (!row_applies(m, type) || m->kind == IK_ALARM_REL || m->kind == IK_ALARM_ABS) continue;
    icalproperty *p = icalcomponent_get_first_property(c, m->prop);
    switch (m->kind) {
    case IK_TEXT:
      if (p) rc = set_text(g, m->field, icalvalue_get_text(icalproperty_get_value(p)), err);
      break;
    case IK_TIME: {
      int64_t ms;
      bool has = false;
      if (p && !(rc = prop_time(root, p, line, &ms, &has, err)) && has)
        rc = set_time(g, m->field, ms, err);
      break;
    }
    case IK_DURATION: {
      /* DURATION, else DTEND - DTSTART (both through their zones) */
      int64_t min = -1;
      if (p) {
        min = icaldurationtype_as_int(icalproperty_get_duration(p)) / 60;
      } else {
        icalproperty *ps = icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY);
        icalproperty *pe = icalcomponent_get_first_property(c, ICAL_DTEND_PROPERTY);
        int64_t s, e;
        bool hs = false, he = false;
        if (ps && pe && !(rc = prop_time(root, ps, line, &s, &hs, err)) &&
            !(rc = prop_time(root, pe, line, &e, &he, err)) && hs && he && e >= s)
          min = (e - s) / 60000;
      }
      if (!rc && min > IC_MAX_MINUTES)
        rc = kt_err_set(err, KT_EINVAL, "line %d: the %s lasts more than ten years; check its "
                        "DTSTART, DTEND and DURATION", line, type);
      if (!rc && min >= 0) {
        dur_min = min;
        rc = set_minutes(g, m->field, min, err);
      }
      break;
    }
    case IK_STATUS:
      if (!p) break;
      for (int k = 0; k < NISTATUS; k++)
        if (strcmp(istatus[k].type, type) == 0 && istatus[k].st == icalproperty_get_status(p)) {
          rc = set_text(g, m->field, istatus[k].code, err);
          break;
        }
      break;
    case IK_PRIORITY: {
      int pr = p ? icalproperty_get_priority(p) : 0;
      for (size_t k = 0; k < sizeof iprio / sizeof iprio[0]; k++)
        if (pr >= iprio[k].lo && pr <= iprio[k].hi) rc = set_text(g, m->field, iprio[k].code, err);
      break;
    }
    case IK_RRULE:
      if (p) {
        struct icalrecurrencetype r = icalproperty_get_rrule(p);
        char *s = icalrecurrencetype_as_string_r(&r);
        if (s) rc = set_text(g, m->field, s, err);
        free(s);
      }
      break;
    default:
      break;
    }
  }
  if (!rc) rc = read_alarms(c, type, dur_min, g, err);
  /* its identity: our own files carry the card's id, other programs their UID (the import
     derives an id from it, so a file imported twice makes its events once) */
  const char *uid = icalcomponent_get_uid(c);
  if (!rc && uid && *uid) rc = set_text(g, "id", uid, err);
  /* our own fields, as they are (they win over the standard properties) */
  for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_X_PROPERTY); p && !rc;
       p = icalcomponent_get_next_property(c, ICAL_X_PROPERTY)) {
    const char *xn = icalproperty_get_x_name(p);
    if (!xn || strncasecmp(xn, X_PREFIX, strlen(X_PREFIX)) != 0) continue;
    char name[64];
    size_t k = 0;
    bool ok = true;
    for (const char *s = xn + strlen(X_PREFIX); *s && k + 1 < sizeof name; s++) {
      char ch = (char)tolower((unsigned char)*s);
      ok &= isalnum((unsigned char)ch) || ch == '_';
      name[k++] = ch;
    }
    name[k] = '\0';
    const char *v = icalproperty_get_x(p);
    if (ok && k && v) rc = cl_grid_put(g, name, v, strlen(v), err);
  }
  return rc;
}

int cl_ical_parse(const char *d, size_t n, cl_rowset **out, kt_err *err) {
  begins b = {0};
  cl_grid *g = NULL;
  icalcomponent *root = NULL;
  char *text = NULL;
  int rc = 0;
  if (memchr(d, '\0', n)) {
    rc = kt_err_set(err, KT_EINVAL, "this is not an iCalendar file (it holds binary data); "
                    "export the calendar as .ics");
    goto out;
  }
  if ((rc = scan_begins(d, n, &b, err))) goto out;
  if (!b.calendar) {
    rc = kt_err_set(err, KT_EINVAL, "this is not an iCalendar file: no BEGIN:VCALENDAR in it; "
                    "export the calendar as .ics");
    goto out;
  }
  if (!(text = malloc(n + 1)) || !(g = cl_grid_new())) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  memcpy(text, d, n);
  text[n] = '\0';
  root = icalparser_parse_string(text);
  icalerror_clear_errno();
  if (!root) {
    rc = kt_err_set(err, KT_EINVAL, "this iCalendar file cannot be read (no complete "
                    "VCALENDAR in it: is it cut short?)");
    goto out;
  }
  /* one VCALENDAR, or several under an XROOT */
  bool xroot = icalcomponent_isa(root) == ICAL_XROOT_COMPONENT;
  int seen = 0;
  icalcomponent *cal = xroot ? icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT)
                             : root;
  if (!cal || icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT) {
    rc = kt_err_set(err, KT_EINVAL, "this is not an iCalendar file: it holds no VCALENDAR");
    goto out;
  }
  for (; cal && !rc; cal = xroot ? icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT) : NULL) {
    for (icalcomponent *c = icalcomponent_get_first_component(cal, ICAL_ANY_COMPONENT); c && !rc;
         c = icalcomponent_get_next_component(cal, ICAL_ANY_COMPONENT)) {
      const char *type = comp_type(icalcomponent_isa(c));
      if (!type) continue; /* VTIMEZONE, VJOURNAL, VFREEBUSY */
      int line = seen < b.n ? b.line[seen] : 0;
      seen++;
      rc = read_comp(cal, c, type, line, g, err);
    }
  }
  if (!rc) rc = cl_grid_rowset(g, "ical", out, err);
out:
  if (root) icalcomponent_free(root);
  icalerror_clear_errno();
  cl_grid_free(g);
  free(text);
  free(b.line);
  return rc;
}

int cl_ical_read(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err) {
  (void)opts;
  kt_buf b = KT_BUF_INIT;
  int rc = cl_grid_load(path, IC_MAX_BYTES, &b, err);
  if (!rc) rc = cl_ical_parse(kt_buf_str(&b), b.len, out, err);
  kt_buf_free(&b);
  return rc;
}

int cl_ical_sniff(const char *head, size_t n) { return cl_grid_starts(head, n, "BEGIN:VCALENDAR") ? 2 : 0; }

/* ---- writing ------------------------------------------------------------- */

void cl_ical_begin(kt_buf *out) {
  kt_buf_puts(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kartoteka//Kartoteka//EN\r\n"
                   "CALSCALE:GREGORIAN\r\n");
}

void cl_ical_end(kt_buf *out) { kt_buf_puts(out, "END:VCALENDAR\r\n"); }

/* A value only of spaces and tabs is no value: libical reads "SUMMARY: " back as a
 * property without one and drops the component's property with an error. Its text
 * writer also leaves out backspace and form feed, so a value only of those is written
 * as no value as well (a task titled "\b" was exported as "SUMMARY:" and our own
 * import then refused the file; found by the ical fuzzer). */
static bool blank(const char *v) {
  return !v || v[strspn(v, " \t\b\f")] == '\0';
}

static const char *lookup(const char *const *names, const char *const *values, int n,
                          const char *field) {
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], field) == 0) return blank(values[i]) ? NULL : values[i];
  return NULL;
}

static bool in_table(const char *type, const char *field) {
  for (int i = 0; i < NIMAP; i++)
    if (row_applies(&imap_rows[i], type) && strcmp(imap_rows[i].field, field) == 0) return true;
  return false;
}

static struct icaltimetype utc_time(int64_t ms) {
  return icaltime_from_timet_with_zone((time_t)(ms / 1000), 0, icaltimezone_get_utc_timezone());
}

static icalproperty *x_prop(const char *field, const char *v) {
  char name[80];
  size_t k = snprintf(name, sizeof name, "%s", X_PREFIX);
  for (const char *s = field; *s && k + 1 < sizeof name; s++) name[k++] = (char)toupper((unsigned char)*s);
  name[k] = '\0';
  icalproperty *p = icalproperty_new_x(v);
  icalproperty_set_x_name(p, name);
  return p;
}

static icalcomponent *alarm(const char *title, struct icaltriggertype tr) {
  icalcomponent *a = icalcomponent_new(ICAL_VALARM_COMPONENT);
  icalcomponent_add_property(a, icalproperty_new_action(ICAL_ACTION_DISPLAY));
  icalcomponent_add_property(a, icalproperty_new_description(title ? title : "Reminder"));
  icalcomponent_add_property(a, icalproperty_new_trigger(tr));
  return a;
}

int cl_ical_write(kt_buf *out, const char *type, const char *const *names,
                  const char *const *values, int n, const char *uid, int64_t now_ms,
                  kt_err *err) {
  icalcomponent_kind kind = strcmp(type, "event") == 0  ? ICAL_VEVENT_COMPONENT
                            : strcmp(type, "task") == 0 ? ICAL_VTODO_COMPONENT
                                                        : ICAL_NO_COMPONENT;
  if (kind == ICAL_NO_COMPONENT)
    return kt_err_set(err, KT_EINVAL, "iCalendar holds events and tasks, not %s cards; use "
                      "--type event or --type task", type);
  icalcomponent *c = icalcomponent_new(kind);
  int rc = 0;
  if (uid && *uid) icalcomponent_add_property(c, icalproperty_new_uid(uid));
  icalcomponent_add_property(c, icalproperty_new_dtstamp(utc_time(now_ms)));
  const char *title = lookup(names, values, n, "title");
  for (int i = 0; !rc && i < NIMAP; i++) {
    const imap *m = &imap_rows[i];
    const char *v = row_applies(m, type) ? lookup(names, values, n, m->field) : NULL;
    if (!v) continue;
    int64_t x = 0;
    switch (m->kind) {
    case IK_TEXT:
    {
      icalproperty *p = icalproperty_new(m->prop);
      icalproperty_set_value(p, icalvalue_new_text(v));
      icalcomponent_add_property(c, p);
      break;
    }
    case IK_TIME:
      if (!(rc = kt_datetime_parse(v, &x, err))) {
        icalproperty *p = icalproperty_new(m->prop);
        icalproperty_set_value(p, icalvalue_new_datetime(utc_time(x)));
        icalcomponent_add_property(c, p);
      }
      break;
    case IK_DURATION:
      if (!(rc = kt_duration_parse(v, &x, err)) && x > IC_MAX_MINUTES)
        rc = kt_err_set(err, KT_EINVAL, "%s: %s is longer than ten years", m->field, v);
      if (!rc)
        icalcomponent_add_property(c, icalproperty_new_duration(icaldurationtype_from_int((int)x * 60)));
      break;
    case IK_STATUS: {
      int k = 0;
      while (k < NISTATUS && !(strcmp(istatus[k].type, type) == 0 && strcmp(istatus[k].code, v) == 0)) k++;
      if (k < NISTATUS) {
        icalcomponent_add_property(c, icalproperty_new_status(istatus[k].st));
      } else { /* no such status in iCalendar: ours, under our name */
        if (strcmp(type, "event") == 0)
          icalcomponent_add_property(c, icalproperty_new_status(ICAL_STATUS_CONFIRMED));
        icalcomponent_add_property(c, x_prop(m->field, v));
      }
      break;
    }
    case IK_PRIORITY: {
      bool known = false;
      for (size_t k = 0; k < sizeof iprio / sizeof iprio[0]; k++)
        if (strcmp(iprio[k].code, v) == 0) {
          icalcomponent_add_property(c, icalproperty_new_priority(iprio[k].lo == 6 ? 9 : iprio[k].lo));
          known = true;
        }
      if (!known) icalcomponent_add_property(c, x_prop(m->field, v));
      break;
    }
    case IK_RRULE: {
      struct icalrecurrencetype r = icalrecurrencetype_from_string(v);
      icalerror_clear_errno();
      if (r.freq == ICAL_NO_RECURRENCE)
        rc = kt_err_set(err, KT_EINVAL, "rrule: '%s' is not an iCalendar RRULE", v);
      else
        icalcomponent_add_property(c, icalproperty_new_rrule(r));
      break;
    }
    case IK_ALARM_REL:
      if (!(rc = kt_duration_parse(v, &x, err)) && x > IC_MAX_MINUTES)
        rc = kt_err_set(err, KT_EINVAL, "%s: %s is longer than ten years", m->field, v);
      if (!rc) {
        struct icaltriggertype tr = {.time = icaltime_null_time(),
                                     .duration = icaldurationtype_from_int(-(int)x * 60)};
        icalcomponent_add_component(c, alarm(title, tr));
      }
      break;
    case IK_ALARM_ABS:
      if (!(rc = kt_datetime_parse(v, &x, err))) {
        struct icaltriggertype tr = {.time = utc_time(x), .duration = icaldurationtype_null_duration()};
        icalcomponent_add_component(c, alarm(title, tr));
      }
      break;
    }
  }
  for (int i = 0; !rc && i < n; i++)
    if (!blank(values[i]) && !in_table(type, names[i]))
      icalcomponent_add_property(c, x_prop(names[i], values[i]));
  if (!rc) {
    char *s = icalcomponent_as_ical_string_r(c);
    if (s) kt_buf_puts(out, s);
    free(s);
  }
  icalcomponent_free(c);
  icalerror_clear_errno();
  return rc;
}
