/* cl_rowset — see cl_rowset.h: the rowset helpers and the table of readers. */
#include "cl_rowset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_csv.h"
#include "cl_ical.h"
#include "cl_sheet.h"
#include "cl_vcard.h"

/* One reader: its format name, a content sniffer (the first bytes of the
 * file -> 0 not this format, 1 maybe (a fallback such as CSV), 2 surely) and
 * its read function. Detection takes the highest score, the first on a tie.
 * A new format is one line here. */
typedef struct reader {
  const char *format;
  int (*sniff)(const char *head, size_t n);
  int (*read)(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err);
} reader;

static const reader readers[] = {
    {"csv", cl_csv_sniff, cl_csv_read},
    {"text", NULL, cl_text_read}, /* never detected: CSV reads tab-separated text too */
    {"xlsx", cl_sheet_sniff_xlsx, cl_sheet_read_xlsx},
    {"ods", cl_sheet_sniff_ods, cl_sheet_read_ods},
    {"vcard", cl_vcard_sniff, cl_vcard_read},
    {"ical", cl_ical_sniff, cl_ical_read},
};

#define SNIFF_BYTES 4096

cl_rowset *cl_rowset_new(const char *format) {
  cl_rowset *rs = calloc(1, sizeof *rs);
  if (rs) rs->format = format;
  return rs;
}

static void free_strv(char **v, int n) {
  for (int i = 0; i < n; i++) free(v[i]);
  free(v);
}

void cl_rowset_free(cl_rowset *rs) {
  if (!rs) return;
  free_strv(rs->header, rs->nheader);
  for (int i = 0; i < rs->nrows; i++) free_strv(rs->rows[i].cells, rs->rows[i].ncells);
  free(rs->rows);
  free(rs);
}

/* Arrays grow by doubling: full exactly when the count is a power of two. */
static bool is_pow2(int n) { return n > 0 && (n & (n - 1)) == 0; }

int cl_rowset_add_header(cl_rowset *rs, const char *name, kt_err *err) {
  if (rs->nheader == 0 || is_pow2(rs->nheader)) {
    char **h = realloc(rs->header, (size_t)(rs->nheader ? rs->nheader * 2 : 8) * sizeof *h);
    if (!h) return kt_err_set(err, KT_ENOMEM, "out of memory");
    rs->header = h;
  }
  if (!(rs->header[rs->nheader] = strdup(name ? name : "")))
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  rs->nheader++;
  return 0;
}

int cl_rowset_add_row(cl_rowset *rs, const char *const *cells, int n, int line, const char *type,
                      kt_err *err) {
  if (n < 0) return kt_err_set(err, KT_EINVAL, "a row cannot have %d cells", n);
  if (rs->nrows == 0 || is_pow2(rs->nrows)) {
    cl_row *r = realloc(rs->rows, (size_t)(rs->nrows ? rs->nrows * 2 : 64) * sizeof *r);
    if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
    rs->rows = r;
  }
  char **c = malloc((size_t)(n ? n : 1) * sizeof *c);
  if (!c) return kt_err_set(err, KT_ENOMEM, "out of memory");
  for (int i = 0; i < n; i++)
    if (!(c[i] = strdup(cells[i] ? cells[i] : ""))) {
      free_strv(c, i);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
  rs->rows[rs->nrows++] = (cl_row){c, n, line, type};
  return 0;
}

static const char *format_names(char *buf, size_t n) {
  size_t w = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof readers / sizeof *readers; i++)
    w += (size_t)snprintf(buf + w, w < n ? n - w : 0, "%s%s", i ? ", " : "", readers[i].format);
  return buf;
}

int cl_rowset_read(const char *format, const char *path, const cl_read_opts *opts,
                   cl_rowset **out, kt_err *err) {
  static const cl_read_opts none = {NULL, 0, NULL};
  const reader *r = NULL;
  size_t nreaders = sizeof readers / sizeof *readers;
  char names[200];
  if (format && *format && strcmp(format, "auto") != 0) {
    for (size_t i = 0; i < nreaders && !r; i++)
      if (strcmp(readers[i].format, format) == 0) r = &readers[i];
    if (!r)
      return kt_err_set(err, KT_EINVAL, "cannot import '%s' files: the formats are %s (or leave "
                        "the format out to detect it)", format, format_names(names, sizeof names));
  } else {
    FILE *f = fopen(path, "rb");
    if (!f) return kt_err_set(err, KT_EIO, "cannot read %s: %m", path);
    char head[SNIFF_BYTES];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    int best = 0;
    for (size_t i = 0; i < nreaders; i++) {
      int sc = readers[i].sniff ? readers[i].sniff(head, n) : 0;
      if (sc > best) {
        best = sc;
        r = &readers[i];
      }
    }
    if (!r)
      return kt_err_set(err, KT_EINVAL, "%s is not a file import reads (binary data?): the "
                        "formats are %s", path, format_names(names, sizeof names));
  }
  int rc = r->read(path, opts ? opts : &none, out, err);
  if (rc && rc != KT_ENOMEM) kt_err_prefix(err, "%s", path);
  return rc;
}
