/* cl_sheet_write — the ODS writer of cl_sheet.h. content.xml is streamed to
 * a temporary file beside the document; cl_ods_close zips it with the
 * mimetype (first, stored, as ODF requires), the manifest and the styles.
 * Dates carry a date style, so LibreOffice shows them as dates; text cells
 * keep runs of spaces (text:s), tabs and line breaks (one text:p a line). */
#include "cl_sheet.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "kt_buf.h"

struct cl_ods {
  char *path;
  char *tmp;   /* content.xml being written */
  FILE *f;
  kt_buf line; /* the row being written */
  bool bad;
};

static const char ods_mimetype[] = "application/vnd.oasis.opendocument.spreadsheet";

static const char ods_manifest[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" "
    "manifest:version=\"1.2\">\n"
    " <manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.2\" "
    "manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>\n"
    " <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\n"
    " <manifest:file-entry manifest:full-path=\"styles.xml\" manifest:media-type=\"text/xml\"/>\n"
    "</manifest:manifest>\n";

#define ODS_NS                                                                      \
  "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "              \
  "xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\" "                \
  "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "                  \
  "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" "                \
  "xmlns:number=\"urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0\" "           \
  "xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\" "       \
  "office:version=\"1.2\""

static const char ods_styles[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                 "<office:document-styles " ODS_NS "/>\n";

/* content.xml before the rows: the date styles and the header's bold */
static const char ods_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<office:document-content " ODS_NS ">\n"
    "<office:automatic-styles>\n"
    "<number:date-style style:name=\"N1\"><number:year number:style=\"long\"/><number:text>-"
    "</number:text><number:month number:style=\"long\"/><number:text>-</number:text>"
    "<number:day number:style=\"long\"/></number:date-style>\n"
    "<number:date-style style:name=\"N2\"><number:year number:style=\"long\"/><number:text>-"
    "</number:text><number:month number:style=\"long\"/><number:text>-</number:text>"
    "<number:day number:style=\"long\"/><number:text> </number:text><number:hours "
    "number:style=\"long\"/><number:text>:</number:text><number:minutes number:style=\"long\"/>"
    "</number:date-style>\n"
    "<style:style style:name=\"ce1\" style:family=\"table-cell\" style:data-style-name=\"N1\"/>\n"
    "<style:style style:name=\"ce2\" style:family=\"table-cell\" style:data-style-name=\"N2\"/>\n"
    "<style:style style:name=\"ce3\" style:family=\"table-cell\"><style:text-properties "
    "fo:font-weight=\"bold\"/></style:style>\n"
    "</office:automatic-styles>\n"
    "<office:body><office:spreadsheet>\n";

/* Appends s escaped for XML (attribute-safe); characters XML 1.0 cannot hold dropped. */
static void xml_escape(kt_buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '&') kt_buf_puts(b, "&amp;");
    else if (c == '<') kt_buf_puts(b, "&lt;");
    else if (c == '>') kt_buf_puts(b, "&gt;");
    else if (c == '"') kt_buf_puts(b, "&quot;");
    else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') continue;
    else kt_buf_putc(b, (char)c);
  }
}

/* One line of a text cell: spaces after the first and leading ones as text:s. */
static void text_run(kt_buf *b, const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (s[i] == '\t') {
      kt_buf_puts(b, "<text:tab/>");
      i++;
      continue;
    }
    if (s[i] == ' ' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t' || i + 1 == n)) {
      size_t k = i;
      while (k < n && s[k] == ' ') k++;
      kt_buf_printf(b, "<text:s text:c=\"%zu\"/>", k - i);
      i = k;
      continue;
    }
    size_t k = i;
    while (k < n && s[k] != '\t' && !(s[k] == ' ' && k + 1 < n && s[k + 1] == ' ') &&
           !(s[k] == ' ' && k + 1 == n))
      k++;
    if (k < n && s[k] == ' ' && k + 1 < n && s[k + 1] == ' ') k++; /* one space stays literal */
    xml_escape(b, s + i, k - i);
    i = k;
  }
}

static void paragraphs(kt_buf *b, const char *v) {
  const char *p = v;
  for (;;) {
    size_t n = strcspn(p, "\n");
    size_t m = n && p[n - 1] == '\r' ? n - 1 : n;
    kt_buf_puts(b, "<text:p>");
    text_run(b, p, m);
    kt_buf_puts(b, "</text:p>");
    if (!p[n]) break;
    p += n + 1;
  }
}

int cl_ods_open(const char *path, const char *sheet, cl_ods **out, kt_err *err) {
  cl_ods *w = calloc(1, sizeof *w);
  if (!w) return kt_err_set(err, KT_ENOMEM, "out of memory");
  size_t n = strlen(path) + 16;
  w->path = strdup(path);
  w->tmp = malloc(n);
  if (!w->path || !w->tmp) {
    cl_ods_abort(w);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  snprintf(w->tmp, n, "%s.content", path);
  if (!(w->f = fopen(w->tmp, "wb"))) {
    int rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", path, strerror(errno));
    free(w->tmp);
    w->tmp = NULL;
    cl_ods_abort(w);
    return rc;
  }
  fputs(ods_head, w->f);
  kt_buf b = KT_BUF_INIT;
  kt_buf_puts(&b, "<table:table table:name=\"");
  xml_escape(&b, sheet, strlen(sheet));
  kt_buf_puts(&b, "\">\n");
  fputs(kt_buf_str(&b), w->f);
  kt_buf_free(&b);
  *out = w;
  return 0;
}

void cl_ods_cell(cl_ods *w, cl_cell_kind kind, const char *v) {
  kt_buf *b = &w->line;
  if (!b->len) kt_buf_puts(b, "<table:table-row>");
  if (kind == CL_CELL_EMPTY || !v || !*v) {
    kt_buf_puts(b, "<table:table-cell/>");
    return;
  }
  switch (kind) {
  case CL_CELL_NUMBER:
    kt_buf_puts(b, "<table:table-cell office:value-type=\"float\" office:value=\"");
    xml_escape(b, v, strlen(v));
    kt_buf_puts(b, "\">");
    break;
  case CL_CELL_DATE:
  case CL_CELL_DATETIME:
    kt_buf_printf(b, "<table:table-cell table:style-name=\"%s\" office:value-type=\"date\" "
                     "office:date-value=\"", kind == CL_CELL_DATE ? "ce1" : "ce2");
    xml_escape(b, v, strlen(v));
    kt_buf_puts(b, "\">");
    break;
  case CL_CELL_HEADER:
    kt_buf_puts(b, "<table:table-cell table:style-name=\"ce3\" office:value-type=\"string\">");
    break;
  default:
    kt_buf_puts(b, "<table:table-cell office:value-type=\"string\">");
  }
  paragraphs(b, v);
  kt_buf_puts(b, "</table:table-cell>");
}

void cl_ods_row_end(cl_ods *w) {
  if (!w->line.len) kt_buf_puts(&w->line, "<table:table-row>");
  kt_buf_puts(&w->line, "</table:table-row>\n");
  if (w->line.oom || fwrite(w->line.p, 1, w->line.len, w->f) != w->line.len) w->bad = true;
  kt_buf_reset(&w->line);
}

static zip_source_t *mem_source(zip_t *z, const char *s) {
  return zip_source_buffer(z, s, strlen(s), 0);
}

int cl_ods_close(cl_ods *w, kt_err *err) {
  int rc = 0;
  zip_t *z = NULL;
  fputs("</table:table>\n</office:spreadsheet></office:body></office:document-content>\n", w->f);
  bool bad = w->bad || ferror(w->f);
  bad |= fclose(w->f) != 0;
  w->f = NULL;
  if (bad) {
    rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", w->path, strerror(errno));
    goto out;
  }
  int ze = 0;
  unlink(w->path);
  if (!(z = zip_open(w->path, ZIP_CREATE | ZIP_TRUNCATE, &ze))) {
    rc = kt_err_set(err, KT_EIO, "cannot write %s", w->path);
    goto out;
  }
  zip_source_t *src;
  zip_int64_t i;
  if ((src = mem_source(z, ods_mimetype)) == NULL ||
      (i = zip_file_add(z, "mimetype", src, ZIP_FL_ENC_UTF_8)) < 0 ||
      zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_STORE, 0) != 0)
    goto zip_fail;
  if ((src = mem_source(z, ods_manifest)) == NULL ||
      zip_file_add(z, "META-INF/manifest.xml", src, ZIP_FL_ENC_UTF_8) < 0)
    goto zip_fail;
  if ((src = mem_source(z, ods_styles)) == NULL || zip_file_add(z, "styles.xml", src, ZIP_FL_ENC_UTF_8) < 0)
    goto zip_fail;
  if ((src = zip_source_file(z, w->tmp, 0, -1)) == NULL ||
      zip_file_add(z, "content.xml", src, ZIP_FL_ENC_UTF_8) < 0)
    goto zip_fail;
  if (zip_close(z) != 0) goto zip_fail;
  z = NULL;
  goto out;
zip_fail:
  rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", w->path, zip_strerror(z));
  zip_discard(z);
  z = NULL;
  unlink(w->path);
out:
  unlink(w->tmp);
  free(w->tmp);
  free(w->path);
  kt_buf_free(&w->line);
  free(w);
  return rc;
}

void cl_ods_abort(cl_ods *w) {
  if (!w) return;
  if (w->f) fclose(w->f);
  if (w->tmp) unlink(w->tmp);
  free(w->tmp);
  free(w->path);
  kt_buf_free(&w->line);
  free(w);
}
