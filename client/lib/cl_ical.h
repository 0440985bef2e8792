/* cl_ical — events and tasks in iCalendar form (RFC 5545) through libical: a
 * reader of the .ics files calendar programs write (VEVENT and VTODO with
 * VALARM, RRULE, DTSTART/DURATION/DTEND/DUE, STATUS, PRIORITY, SUMMARY,
 * DESCRIPTION; times with TZID resolved by libical against the file's
 * VTIMEZONE or its built-in zones, floating times in the PC's zone) and a
 * writer (times as UTC instants).
 *
 * Which property is which field is one table in cl_ical.c, read by both
 * directions; fields it does not name (an event's type, its organization...)
 * travel as X-KARTOTEKA-<FIELD>, so our own files read back to the same
 * cards. Reader rows carry their record type ("event" or "task") and name
 * their columns by field name. Any thread (libical keeps its error state per
 * thread); GLib-free. */
#ifndef CL_ICAL_H
#define CL_ICAL_H

#include <stddef.h>
#include <stdint.h>

#include "cl_rowset.h"
#include "kt_buf.h"
#include "kt_err.h"

/* Reads an iCalendar text (n bytes): one row per VEVENT/VTODO, its line the
 * component's BEGIN line. KT_EINVAL naming the line: no VCALENDAR, a
 * component libical could not read, a time in an unknown zone. KT_ENOMEM. */
int cl_ical_parse(const char *data, size_t n, cl_rowset **out, kt_err *err);
/* The same for a file (opts unused). KT_EIO when it cannot be read. */
int cl_ical_read(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err);

/* Content sniffer for cl_rowset: 2 when the text starts with BEGIN:VCALENDAR
 * (after a BOM or blank lines), else 0. */
int cl_ical_sniff(const char *head, size_t n);

/* Writing: cl_ical_begin, then one cl_ical_write per record, then cl_ical_end. */
void cl_ical_begin(kt_buf *out);
/* Appends a VEVENT (type "event") or VTODO ("task") for a record given as n
 * field names and values as the program prints them in ISO form ("" or NULL
 * = none). uid: the record's id; now_ms: DTSTAMP. KT_EINVAL for another type
 * or a value that is not what its field holds. */
int cl_ical_write(kt_buf *out, const char *type, const char *const *names,
                  const char *const *values, int n, const char *uid, int64_t now_ms,
                  kt_err *err);
void cl_ical_end(kt_buf *out);

#endif
