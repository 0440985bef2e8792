/* cl_export — writing records of one type to a file other programs open:
 * CSV in Excel's form (UTF-8 with a BOM, ';' between fields, CRLF; what
 * cl_import reads back), an .xlsx workbook (libxlsxwriter: a header row of
 * field labels, numbers as numbers), an .ods spreadsheet (dates as dates),
 * vCard 3.0 or 4.0 (contacts), iCalendar (events and tasks, in one file when
 * no type is asked for), a printable HTML list or
 * card, or aligned plain text. A reference (a contact's organization)
 * is written as the name when exactly one record has it, as import resolves
 * names, else as the id. The file appears whole or not at all (written beside
 * it, then renamed).
 *
 * Export is a right: on a profile connected to an office server the export is
 * allowed only after the server said yes (it checks the user's export right
 * and records the export in its audit log); without the server it is refused,
 * so no copy of the base leaves a PC unrecorded. A standalone profile exports
 * freely. */
#ifndef CL_EXPORT_H
#define CL_EXPORT_H

#include <stdint.h>
#include <uv.h>

#include "cl_store.h"

typedef enum {
  CL_EXPORT_CSV,
  CL_EXPORT_XLSX,
  CL_EXPORT_ODS,
  CL_EXPORT_VCARD,
  CL_EXPORT_ICAL,
  CL_EXPORT_HTML,
  CL_EXPORT_TEXT,
  CL_EXPORT_VCARD4, /* vCard 4.0 (CL_EXPORT_VCARD is 3.0) */
} cl_export_fmt;

/* "csv", "xlsx", "ods", "vcard", "vcard4", "ical", "html", "text" -> *fmt; KT_EINVAL
 * naming the formats otherwise. */
int cl_export_format(const char *name, cl_export_fmt *fmt, kt_err *err);

/* Writes the records q selects to path. columns: field names (NULL or 0 =
 * every field, hidden ones too, but the id and times. profile_dir: the profile, to ask the office
 * server (NULL = do not ask: tests of the writer on a standalone store).
 * *count = rows written. Errors: KT_EPERM (no export right: the server or the
 * mirrored rights said no), KT_ENET (the server could not be asked),
 * KT_EINVAL (type, field, format), KT_EIO (the file); nothing is left then. */
int cl_export(uv_loop_t *loop, const char *profile_dir, cl_store *s, const cl_query *q,
              const char *const *columns, int ncolumns, cl_export_fmt fmt, const char *path,
              int64_t *count, kt_err *err);

/* Exports the one card id (any type) to path: in HTML a printable card with
 * its related cards (an organization's contacts, events, deals...); in the
 * other formats that card alone, as cl_export writes it. Same rights, leave
 * and atomic file as cl_export. KT_ENOTFOUND for an unknown id. */
int cl_export_card(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *id,
                   cl_export_fmt fmt, const char *path, kt_err *err);

#endif
