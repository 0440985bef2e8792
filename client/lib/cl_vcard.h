/* cl_vcard — contacts in vCard form: a reader for the files phones, Outlook
 * and Google Contacts write (vCard 2.1, 3.0, 4.0: folded lines, quoted-
 * printable and CHARSET=... in 2.1, several TEL/EMAIL with TYPE, N/FN, ORG,
 * TITLE, BDAY, ADR, NOTE; PHOTO and unknown properties skipped) and a writer
 * of 3.0 or 4.0 (escaped , ; \ and line breaks, lines folded at 75 octets).
 *
 * Which property is which contact field is one table in cl_vcard.c, read by
 * both directions; fields it does not name travel as X-KARTOTEKA-<FIELD>, so
 * our own files read back to the same cards. The reader names its columns by
 * field name ("last_name", "phone_mobile"), several values of one kind in one
 * cell joined by CL_ROWSET_MULTI. Pure functions: any thread; GLib-free. */
#ifndef CL_VCARD_H
#define CL_VCARD_H

#include <stddef.h>

#include "cl_rowset.h"
#include "kt_buf.h"
#include "kt_err.h"

/* Reads the vCards in data (n bytes) into *out (owned by the caller; one row
 * per card, its line = the BEGIN:VCARD line). KT_EINVAL naming the line: no
 * BEGIN:VCARD at all, a card without END, a card without N or FN, text that
 * is not UTF-8 nor in its declared CHARSET. KT_ENOMEM. */
int cl_vcard_parse(const char *data, size_t n, cl_rowset **out, kt_err *err);
/* The same for a file (opts unused). KT_EIO when it cannot be read. */
int cl_vcard_read(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err);

/* Content sniffer for cl_rowset (the first n bytes of a file): 2 when it
 * starts with BEGIN:VCARD (after a BOM or blank lines), else 0. */
int cl_vcard_sniff(const char *head, size_t n);

/* Appends one vCard (version 3 or 4) for a contact given as n field names and
 * their values as people type them ("" or NULL = none; dates ISO). uid (may be
 * NULL) becomes UID. FN is made from the names (or the organization). */
void cl_vcard_write(kt_buf *out, int version, const char *const *names,
                    const char *const *values, int n, const char *uid);

#endif
