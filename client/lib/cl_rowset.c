/* cl_rowset — see cl_rowset.h. A minimal version for the readers of the
 * formats branch until the import pipeline's cl_rowset.c arrives (then theirs
 * is taken and the readers' lines are added to its table). */
#include "cl_rowset.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cl_ical.h"
#include "cl_sheet.h"
#include "cl_vcard.h"

cl_rowset *cl_rowset_new(const char *format) {
  cl_rowset *rs = calloc(1, sizeof *rs);
  if (rs) rs->format = format;
  return rs;
}

void cl_rowset_free(cl_rowset *rs) {
  if (!rs) return;
  for (int i = 0; i < rs->nheader; i++) free(rs->header[i]);
  free(rs->header);
  for (int r = 0; r < rs->nrows; r++) {
    for (int i = 0; i < rs->rows[r].ncells; i++) free(rs->rows[r].cells[i]);
    free(rs->rows[r].cells);
  }
  free(rs->rows);
  free(rs);
}

int cl_rowset_add_header(cl_rowset *rs, const char *name, kt_err *err) {
  char **h = realloc(rs->header, (size_t)(rs->nheader + 1) * sizeof *h);
  if (!h) return kt_err_set(err, KT_ENOMEM, "out of memory");
  rs->header = h;
  if (!(h[rs->nheader] = strdup(name))) return kt_err_set(err, KT_ENOMEM, "out of memory");
  rs->nheader++;
  return 0;
}

int cl_rowset_add_row(cl_rowset *rs, const char *const *cells, int n, int line, const char *type,
                      kt_err *err) {
  if ((rs->nrows & (rs->nrows - 1)) == 0) {
    size_t cap = rs->nrows ? (size_t)rs->nrows * 2 : 16;
    cl_row *r = realloc(rs->rows, cap * sizeof *r);
    if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
    rs->rows = r;
  }
  cl_row *row = &rs->rows[rs->nrows];
  memset(row, 0, sizeof *row);
  row->line = line;
  row->type = type;
  if (!(row->cells = calloc((size_t)(n > 0 ? n : 1), sizeof *row->cells)))
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  rs->nrows++;
  for (int i = 0; i < n; i++) {
    if (!(row->cells[i] = strdup(cells[i] ? cells[i] : "")))
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    row->ncells++;
  }
  return 0;
}

typedef int (*reader_fn)(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err);
static const struct {
  const char *format;
  reader_fn read;
} readers[] = {
    {"xlsx", cl_sheet_read_xlsx},
    {"ods", cl_sheet_read_ods},
    {"vcard", cl_vcard_read},
    {"ical", cl_ical_read},
};

int cl_rowset_read(const char *format, const char *path, const cl_read_opts *opts,
                   cl_rowset **out, kt_err *err) {
  for (size_t i = 0; format && i < sizeof readers / sizeof readers[0]; i++)
    if (strcasecmp(format, readers[i].format) == 0) return readers[i].read(path, opts, out, err);
  return kt_err_set(err, KT_EINVAL, "unknown import format '%s'", format ? format : "");
}
