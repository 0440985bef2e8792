/* cl_sheet — see cl_sheet.h: the XLSX and ODS readers. Both unpack the
 * entries they need with libzip (capped) and stream the XML with libxml2's
 * xmlTextReader (no network, no entity substitution, DOCTYPE refused), so a
 * sheet of a million rows is read in one pass into the rowset. */
#include "cl_sheet.h"

#include <ctype.h>
#include <libxml/xmlreader.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "cl_grid.h"
#include "kt_buf.h"

/* ---- rows as the sheet gives them ---------------------------------------- */

typedef struct rows {
  cl_rowset *rs;
  char **cell; /* the row being read, len cells ("" or NULL = empty) */
  int len, cap;
  size_t cells; /* cells held by the rowset */
  kt_err *err;
} rows;

static int row_set(rows *r, int col, const char *v, size_t n) {
  if (col < 0 || col >= CL_SHEET_MAX_COLS)
    return kt_err_set(r->err, KT_EINVAL, "the sheet has a cell past column %d; a spreadsheet "
                      "has at most %d", CL_SHEET_MAX_COLS, CL_SHEET_MAX_COLS);
  if (!n) return 0;
  if (col >= r->cap) {
    int cap = r->cap ? r->cap : 16;
    while (cap <= col) cap *= 2;
    char **c = realloc(r->cell, (size_t)cap * sizeof *c);
    if (!c) return kt_err_set(r->err, KT_ENOMEM, "out of memory");
    memset(c + r->cap, 0, (size_t)(cap - r->cap) * sizeof *c);
    r->cell = c;
    r->cap = cap;
  }
  char *s = malloc(n + 1);
  if (!s) return kt_err_set(r->err, KT_ENOMEM, "out of memory");
  memcpy(s, v, n);
  s[n] = '\0';
  free(r->cell[col]);
  r->cell[col] = s;
  if (col >= r->len) r->len = col + 1;
  return 0;
}

/* Ends sheet row `line`, which the file repeats `repeat` times: the first
 * row with a value is the header, empty rows are skipped. */
static int row_end(rows *r, int64_t line, int64_t repeat) {
  int rc = 0;
  if (!r->len) return 0;
  if (line > CL_SHEET_MAX_ROWS)
    return kt_err_set(r->err, KT_EINVAL, "the sheet has more than %d rows", CL_SHEET_MAX_ROWS);
  if (!r->rs->nheader) {
    for (int i = 0; !rc && i < r->len; i++) rc = cl_rowset_add_header(r->rs, r->cell[i] ? r->cell[i] : "", r->err);
    r->rs->header_line = (int)line;
    repeat--; /* a repeated header row: the copies are data */
  }
  int n = r->len > r->rs->nheader ? r->len : r->rs->nheader;
  for (int64_t k = 0; !rc && k < repeat; k++) {
    r->cells += (size_t)n;
    if (r->cells > CL_SHEET_MAX_CELLS || line + k > CL_SHEET_MAX_ROWS)
      return kt_err_set(r->err, KT_EINVAL, "the sheet is too big to import (more than %u "
                        "cells or %d rows); split it", CL_SHEET_MAX_CELLS, CL_SHEET_MAX_ROWS);
    if (r->len < n) { /* padded to the header */
      if (n > r->cap) {
        char **c = realloc(r->cell, (size_t)n * sizeof *c);
        if (!c) return kt_err_set(r->err, KT_ENOMEM, "out of memory");
        memset(c + r->cap, 0, (size_t)(n - r->cap) * sizeof *c);
        r->cell = c;
        r->cap = n;
      }
    }
    rc = cl_rowset_add_row(r->rs, (const char *const *)r->cell, n, (int)(line + k), NULL, r->err);
  }
  for (int i = 0; i < r->len; i++) {
    free(r->cell[i]);
    r->cell[i] = NULL;
  }
  r->len = 0;
  return rc;
}

static void rows_free(rows *r) {
  for (int i = 0; i < r->cap; i++) free(r->cell[i]);
  free(r->cell);
  cl_rowset_free(r->rs);
}

/* ---- zip and XML ----------------------------------------------------------- */

/* Reads entry name of z into out (capped). KT_ENOTFOUND when absent. */
static int zip_entry(zip_t *z, const char *name, kt_buf *out, kt_err *err) {
  zip_int64_t idx = zip_name_locate(z, name, 0);
  if (idx < 0) return KT_ENOTFOUND;
  zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)idx, 0);
  if (!f) return kt_err_set(err, KT_EINVAL, "the file's %s cannot be unpacked (%s)", name, zip_strerror(z));
  char chunk[65536];
  zip_int64_t got;
  int rc = 0;
  while ((got = zip_fread(f, chunk, sizeof chunk)) > 0) {
    kt_buf_append(out, chunk, (size_t)got);
    if (out->len > CL_SHEET_MAX_ENTRY) {
      rc = kt_err_set(err, KT_EINVAL, "%s unpacks to more than %zu MiB; split the workbook",
                      name, CL_SHEET_MAX_ENTRY >> 20);
      break;
    }
  }
  if (!rc && got < 0)
    rc = kt_err_set(err, KT_EINVAL, "the file's %s is damaged (%s); is the file complete?", name,
                    zip_file_strerror(f));
  zip_fclose(f);
  if (!rc && out->oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  return rc;
}

static int zip_from(const void *data, size_t n, const char *what, zip_t **out, kt_err *err) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(data, n, 0, &ze);
  zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
  if (!z) {
    if (src) zip_source_free(src);
    int rc = kt_err_set(err, KT_EINVAL, "this is not an %s file (not a complete zip archive: %s)",
                        what, zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return rc;
  }
  zip_error_fini(&ze);
  *out = z;
  return 0;
}

static xmlTextReaderPtr xml_open(const kt_buf *b, const char *name) {
  /* no XML_PARSE_NOENT (entities stay unexpanded), no DTD loading, no network */
  return xmlReaderForMemory(b->p ? b->p : "", (int)b->len, name, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_COMPACT);
}

/* One step of the reader: 1 a node, 0 the end, <0 an error (set). */
static int xml_next(xmlTextReaderPtr x, const char *name, kt_err *err) {
  int r = xmlTextReaderRead(x);
  if (r < 0) {
    const xmlError *e = xmlGetLastError();
    char why[160] = "";
    if (e && e->message) {
      snprintf(why, sizeof why, " (line %d: %s", e->line, e->message);
      size_t l = strlen(why);
      while (l && (why[l - 1] == '\n' || why[l - 1] == ' ')) why[--l] = '\0';
      snprintf(why + l, sizeof why - l, ")");
    }
    return kt_err_set(err, KT_EINVAL, "%s is not well-formed XML%s", name, why);
  }
  if (r == 1 && xmlTextReaderNodeType(x) == XML_READER_TYPE_DOCUMENT_TYPE)
    return kt_err_set(err, KT_EINVAL, "%s declares a DTD, which spreadsheets never do; refused", name);
  if (r == 1 && xmlTextReaderNodeType(x) == XML_READER_TYPE_ENTITY_REFERENCE)
    return kt_err_set(err, KT_EINVAL, "%s uses an entity, which spreadsheets never do; refused", name);
  return r;
}

static bool is_elem(xmlTextReaderPtr x, const char *local) {
  return xmlTextReaderNodeType(x) == XML_READER_TYPE_ELEMENT &&
         strcmp((const char *)xmlTextReaderConstLocalName(x), local) == 0;
}

static bool is_end(xmlTextReaderPtr x, const char *local) {
  return xmlTextReaderNodeType(x) == XML_READER_TYPE_END_ELEMENT &&
         strcmp((const char *)xmlTextReaderConstLocalName(x), local) == 0;
}

/* An attribute by local name (any namespace); owned by the caller (xmlFree). */
static char *attr(xmlTextReaderPtr x, const char *local) {
  char *v = NULL;
  if (xmlTextReaderMoveToFirstAttribute(x) == 1) {
    do {
      if (strcmp((const char *)xmlTextReaderConstLocalName(x), local) == 0) {
        v = (char *)xmlTextReaderValue(x);
        break;
      }
    } while (xmlTextReaderMoveToNextAttribute(x) == 1);
    xmlTextReaderMoveToElement(x);
  }
  return v;
}

static int64_t attr_int(xmlTextReaderPtr x, const char *local, int64_t dflt) {
  char *v = attr(x, local);
  if (!v) return dflt;
  char *e;
  long long n = strtoll(v, &e, 10);
  bool ok = *v && *e == '\0' && n >= 0;
  xmlFree(v);
  return ok ? n : dflt;
}

static void add_text(xmlTextReaderPtr x, kt_buf *b) {
  int t = xmlTextReaderNodeType(x);
  if (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
      t == XML_READER_TYPE_WHITESPACE || t == XML_READER_TYPE_CDATA) {
    const char *v = (const char *)xmlTextReaderConstValue(x);
    if (v) kt_buf_puts(b, v);
  }
}

/* ---- numbers and dates ----------------------------------------------------- */

/* A stored number as short decimal text ("42", "0.1", "1250000.5"). */
static void number_text(const char *v, kt_buf *out) {
  char *e;
  double d = strtod(v, &e);
  if (!*v || *e || !isfinite(d)) {
    kt_buf_puts(out, v);
    return;
  }
  char tmp[40];
  snprintf(tmp, sizeof tmp, "%.15g", d);
  kt_buf_puts(out, tmp);
}

/* Days since 1970-01-01 -> y, m, d (proleptic Gregorian). */
static void civil(int64_t z, int *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* A spreadsheet serial date (days since 1899-12-30, or 1904-01-01) as ISO:
 * a date, or a date and time when it has a fraction; time only for serial < 1. */
static void serial_text(const char *v, bool date1904, bool with_time, kt_buf *out) {
  char *e;
  double d = strtod(v, &e);
  if (!*v || *e || !isfinite(d) || d < 0 || d > 2958465.0) { /* past 9999-12-31 */
    number_text(v, out);
    return;
  }
  int64_t days = (int64_t)floor(d);
  int64_t secs = (int64_t)llround((d - (double)days) * 86400.0);
  if (secs >= 86400) days++, secs -= 86400;
  /* Excel's 1900 system counts a 29 Feb 1900 that never was: serials below 61 are a day later */
  int64_t epoch = date1904 ? -24107 : -25569; /* 1904-01-01, 1899-12-30 in unix days */
  if (!date1904 && days < 61) days++;
  char tmp[40];
  if (d < 1 && !date1904 && with_time) {
    snprintf(tmp, sizeof tmp, "%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60));
  } else {
    int y, m, dd;
    civil(days + epoch, &y, &m, &dd);
    if ((with_time || secs) && secs % 60) /* seconds only when there are some */
      snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, dd, (int)(secs / 3600),
               (int)(secs / 60 % 60), (int)(secs % 60));
    else if (with_time || secs)
      snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d", y, m, dd, (int)(secs / 3600),
               (int)(secs / 60 % 60));
    else
      snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y, m, dd);
  }
  kt_buf_puts(out, tmp);
}

/* Whether an Excel number format shows a date (d, m, y outside quotes and
 * brackets) and whether it shows a time (h, s). Built-in ids per ECMA-376. */
static int fmt_kind(int id, const char *code) {
  if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) || (id >= 34 && id <= 36) || (id >= 50 && id <= 58))
    return 1;
  if (id == 22) return 3;
  if ((id >= 18 && id <= 21) || (id >= 45 && id <= 47) || id == 32 || id == 33) return 2;
  if (!code) return 0;
  bool date = false, time = false, q = false;
  for (const char *p = code; *p; p++) {
    if (*p == '"') q = !q;
    else if (q) continue;
    else if (*p == '\\' && p[1]) p++;
    else if (*p == '[') {
      const char *e = strchr(p, ']');
      if (!e) break;
      if (p[1] == 'h' || p[1] == 'H' || p[1] == 'm' || p[1] == 's') time = true;
      p = e;
    } else {
      char c = (char)tolower((unsigned char)*p);
      if (c == 'd' || c == 'y') date = true;
      else if (c == 'h' || c == 's') time = true;
      else if (c == 'm') date = date || !time; /* m after h is minutes */
    }
  }
  return (date ? 1 : 0) | (time ? 2 : 0);
}

/* ---- XLSX ------------------------------------------------------------------ */

typedef struct xlsx {
  zip_t *z;
  char **sst;
  int nsst, capsst;
  unsigned char *xf; /* per cell style: fmt_kind */
  int nxf;
  bool date1904;
  kt_err *err;
} xlsx;

static int xlsx_strings(xlsx *w) {
  kt_buf b = KT_BUF_INIT, t = KT_BUF_INIT;
  int rc = zip_entry(w->z, "xl/sharedStrings.xml", &b, w->err);
  if (rc == KT_ENOTFOUND) rc = 0; /* a workbook without text */
  else if (!rc) {
    xmlTextReaderPtr x = xml_open(&b, "sharedStrings.xml");
    int in_si = 0, in_t = 0, in_rph = 0, r;
    while (x && (r = xml_next(x, "sharedStrings.xml", w->err)) == 1) {
      if (is_elem(x, "si") && !xmlTextReaderIsEmptyElement(x)) in_si = 1, kt_buf_reset(&t);
      else if (is_elem(x, "rPh")) in_rph = !xmlTextReaderIsEmptyElement(x);
      else if (is_end(x, "rPh")) in_rph = 0;
      else if (is_elem(x, "t")) in_t = !xmlTextReaderIsEmptyElement(x);
      else if (is_end(x, "t")) in_t = 0;
      else if (in_si && in_t && !in_rph) add_text(x, &t);
      if (is_end(x, "si") || (is_elem(x, "si") && xmlTextReaderIsEmptyElement(x))) {
        if (w->nsst == w->capsst) {
          int cap = w->capsst ? w->capsst * 2 : 256;
          char **s = realloc(w->sst, (size_t)cap * sizeof *s);
          if (!s) {
            r = kt_err_set(w->err, KT_ENOMEM, "out of memory");
            break;
          }
          w->sst = s;
          w->capsst = cap;
        }
        if (!(w->sst[w->nsst] = strdup(in_si ? kt_buf_str(&t) : ""))) {
          r = kt_err_set(w->err, KT_ENOMEM, "out of memory");
          break;
        }
        w->nsst++;
        in_si = 0;
        kt_buf_reset(&t);
      }
    }
    if (!x) rc = kt_err_set(w->err, KT_ENOMEM, "out of memory");
    else if (r < 0) rc = r;
    if (x) xmlFreeTextReader(x);
  }
  kt_buf_free(&b);
  kt_buf_free(&t);
  return rc;
}

static int xlsx_styles(xlsx *w) {
  kt_buf b = KT_BUF_INIT;
  int rc = zip_entry(w->z, "xl/styles.xml", &b, w->err);
  struct fmt {
    int id;
    char *code;
  } *fmts = NULL;
  int nfmts = 0;
  if (rc == KT_ENOTFOUND) rc = 0;
  else if (!rc) {
    xmlTextReaderPtr x = xml_open(&b, "styles.xml");
    int in_xfs = 0, r = 0;
    while (x && (r = xml_next(x, "styles.xml", w->err)) == 1) {
      if (is_elem(x, "numFmt")) {
        struct fmt *nf = realloc(fmts, (size_t)(nfmts + 1) * sizeof *nf);
        if (!nf) {
          r = kt_err_set(w->err, KT_ENOMEM, "out of memory");
          break;
        }
        fmts = nf;
        fmts[nfmts].id = (int)attr_int(x, "numFmtId", -1);
        fmts[nfmts].code = attr(x, "formatCode");
        nfmts++;
      } else if (is_elem(x, "cellXfs")) {
        in_xfs = !xmlTextReaderIsEmptyElement(x);
      } else if (is_end(x, "cellXfs")) {
        in_xfs = 0;
      } else if (in_xfs && is_elem(x, "xf")) {
        if (w->nxf >= 65536) continue;
        unsigned char *nx = realloc(w->xf, (size_t)w->nxf + 1);
        if (!nx) {
          r = kt_err_set(w->err, KT_ENOMEM, "out of memory");
          break;
        }
        w->xf = nx;
        int id = (int)attr_int(x, "numFmtId", 0);
        const char *code = NULL;
        for (int i = 0; i < nfmts; i++)
          if (fmts[i].id == id) code = fmts[i].code;
        w->xf[w->nxf++] = (unsigned char)fmt_kind(id, code);
      }
    }
    if (!x) rc = kt_err_set(w->err, KT_ENOMEM, "out of memory");
    else if (r < 0) rc = r;
    if (x) xmlFreeTextReader(x);
  }
  for (int i = 0; i < nfmts; i++) xmlFree(fmts[i].code);
  free(fmts);
  kt_buf_free(&b);
  return rc;
}

/* The sheet's part name in the zip: the workbook names the sheets and their
 * relationship ids, the relationships their targets. */
static int xlsx_sheet_path(xlsx *w, const char *want, char *path, size_t pathsz) {
  kt_buf b = KT_BUF_INIT, names = KT_BUF_INIT;
  char *rid = NULL;
  int rc = zip_entry(w->z, "xl/workbook.xml", &b, w->err);
  if (rc == KT_ENOTFOUND)
    rc = kt_err_set(w->err, KT_EINVAL, "this is not an XLSX workbook (no xl/workbook.xml); "
                    "save it from Excel or LibreOffice as .xlsx");
  if (rc) goto out;
  xmlTextReaderPtr x = xml_open(&b, "workbook.xml");
  int r = 0;
  while (x && (r = xml_next(x, "workbook.xml", w->err)) == 1) {
    if (is_elem(x, "workbookPr")) {
      char *v = attr(x, "date1904");
      w->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
      xmlFree(v);
    } else if (is_elem(x, "sheet") && !rid) {
      char *name = attr(x, "name");
      if (names.len) kt_buf_puts(&names, ", ");
      kt_buf_puts(&names, name ? name : "");
      if (!want || (name && strcmp(name, want) == 0)) rid = attr(x, "id");
      xmlFree(name);
    }
  }
  if (x) xmlFreeTextReader(x);
  if (r < 0) {
    rc = r;
    goto out;
  }
  if (!rid) {
    rc = want ? kt_err_set(w->err, KT_EINVAL, "the workbook has no sheet '%s' (it has: %s)", want,
                           kt_buf_str(&names))
              : kt_err_set(w->err, KT_EINVAL, "the workbook has no sheets");
    goto out;
  }
  kt_buf_reset(&b);
  if ((rc = zip_entry(w->z, "xl/_rels/workbook.xml.rels", &b, w->err)) == KT_ENOTFOUND)
    rc = kt_err_set(w->err, KT_EINVAL, "the workbook is incomplete (no xl/_rels/workbook.xml.rels)");
  if (rc) goto out;
  x = xml_open(&b, "workbook.xml.rels");
  path[0] = '\0';
  while (x && (r = xml_next(x, "workbook.xml.rels", w->err)) == 1) {
    if (!is_elem(x, "Relationship")) continue;
    char *id = attr(x, "Id"), *target = attr(x, "Target");
    if (id && target && strcmp(id, rid) == 0) {
      if (target[0] == '/') snprintf(path, pathsz, "%s", target + 1);
      else snprintf(path, pathsz, "xl/%s", target);
    }
    xmlFree(id);
    xmlFree(target);
  }
  if (x) xmlFreeTextReader(x);
  if (r < 0) rc = r;
  else if (!path[0]) rc = kt_err_set(w->err, KT_EINVAL, "the workbook names a sheet it does not hold");
out:
  xmlFree(rid);
  kt_buf_free(&b);
  kt_buf_free(&names);
  return rc;
}

/* "AB12" -> column 27 (0-based); -1 when it is not a reference. */
static int col_of(const char *ref) {
  int c = 0, k = 0;
  for (; ref && isalpha((unsigned char)ref[k]); k++) {
    c = c * 26 + (toupper((unsigned char)ref[k]) - 'A' + 1);
    if (c > CL_SHEET_MAX_COLS) return CL_SHEET_MAX_COLS;
  }
  return k ? c - 1 : -1;
}

static int xlsx_cell(xlsx *w, rows *rw, int col, const char *t, int style, const char *v,
                     const kt_buf *is, kt_buf *tmp) {
  kt_buf_reset(tmp);
  if (t && strcmp(t, "inlineStr") == 0) {
    kt_buf_append(tmp, is->p ? is->p : "", is->len);
  } else if (!v) {
    return 0;
  } else if (t && strcmp(t, "s") == 0) {
    char *e;
    long i = strtol(v, &e, 10);
    if (*e || i < 0 || i >= w->nsst)
      return kt_err_set(w->err, KT_EINVAL, "the sheet refers to text %s, which the workbook "
                        "does not hold (a damaged file?)", v);
    kt_buf_puts(tmp, w->sst[i]);
  } else if (t && strcmp(t, "b") == 0) {
    kt_buf_puts(tmp, strcmp(v, "1") == 0 ? "TRUE" : "FALSE");
  } else if (t && (strcmp(t, "str") == 0 || strcmp(t, "e") == 0 || strcmp(t, "d") == 0)) {
    kt_buf_puts(tmp, v);
  } else {
    int kind = style >= 0 && style < w->nxf ? w->xf[style] : 0;
    if (kind) serial_text(v, w->date1904, (kind & 2) != 0, tmp);
    else number_text(v, tmp);
  }
  return row_set(rw, col, tmp->p ? tmp->p : "", tmp->len);
}

static int xlsx_sheet(xlsx *w, const char *part, rows *rw) {
  kt_buf b = KT_BUF_INIT, v = KT_BUF_INIT, is = KT_BUF_INIT, tmp = KT_BUF_INIT;
  int rc = zip_entry(w->z, part, &b, w->err);
  if (rc == KT_ENOTFOUND) rc = kt_err_set(w->err, KT_EINVAL, "the workbook lacks its sheet %s", part);
  if (rc) goto out;
  xmlTextReaderPtr x = xml_open(&b, "the sheet");
  if (!x) {
    rc = kt_err_set(w->err, KT_ENOMEM, "out of memory");
    goto out;
  }
  int64_t rownum = 0;
  int col = -1, style = -1, r = 0;
  char *t = NULL;
  bool in_c = false, in_v = false, in_is = false, has_v = false;
  while ((r = xml_next(x, "the sheet", w->err)) == 1 && !rc) {
    if (is_elem(x, "row")) {
      int64_t n = attr_int(x, "r", rownum + 1);
      rownum = n > rownum ? n : rownum + 1;
      if (rownum > CL_SHEET_MAX_ROWS) {
        rc = kt_err_set(w->err, KT_EINVAL, "the sheet has a row past row %d; a spreadsheet has "
                        "at most %d", CL_SHEET_MAX_ROWS, CL_SHEET_MAX_ROWS);
        break;
      }
      col = -1;
      if (xmlTextReaderIsEmptyElement(x)) rc = row_end(rw, rownum, 1);
    } else if (is_end(x, "row")) {
      rc = row_end(rw, rownum, 1);
    } else if (is_elem(x, "c")) {
      char *ref = attr(x, "r");
      int c = ref ? col_of(ref) : -1;
      xmlFree(ref);
      col = c >= 0 ? c : col + 1;
      style = (int)attr_int(x, "s", -1);
      xmlFree(t);
      t = attr(x, "t");
      kt_buf_reset(&v);
      kt_buf_reset(&is);
      has_v = false;
      in_c = !xmlTextReaderIsEmptyElement(x);
    } else if (is_end(x, "c")) {
      rc = xlsx_cell(w, rw, col, t, style, has_v ? kt_buf_str(&v) : NULL, &is, &tmp);
      in_c = false;
    } else if (in_c && is_elem(x, "v")) {
      in_v = !xmlTextReaderIsEmptyElement(x);
      has_v = true;
    } else if (is_end(x, "v")) {
      in_v = false;
    } else if (in_c && is_elem(x, "is")) {
      in_is = !xmlTextReaderIsEmptyElement(x);
    } else if (is_end(x, "is")) {
      in_is = false;
    } else if (in_v) {
      add_text(x, &v);
    } else if (in_is) {
      add_text(x, &is); /* <is><t>..</t> or rich runs <r><t>..</t></r> */
    }
  }
  if (!rc && r < 0) rc = r;
  xmlFree(t);
  xmlFreeTextReader(x);
out:
  kt_buf_free(&b);
  kt_buf_free(&v);
  kt_buf_free(&is);
  kt_buf_free(&tmp);
  return rc;
}

int cl_sheet_parse_xlsx(const void *data, size_t n, const char *sheet, cl_rowset **out,
                        kt_err *err) {
  xlsx w = {.err = err};
  rows rw = {.err = err};
  char part[512];
  int rc = zip_from(data, n, "XLSX", &w.z, err);
  if (rc) return rc;
  if (!(rw.rs = cl_rowset_new("xlsx"))) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  snprintf(rw.rs->encoding, sizeof rw.rs->encoding, "utf-8");
  if ((rc = xlsx_sheet_path(&w, sheet, part, sizeof part)) || (rc = xlsx_strings(&w)) ||
      (rc = xlsx_styles(&w)) || (rc = xlsx_sheet(&w, part, &rw)) || (rc = row_end(&rw, 0, 0)))
    goto out;
  *out = rw.rs;
  rw.rs = NULL;
out:
  rows_free(&rw);
  for (int i = 0; i < w.nsst; i++) free(w.sst[i]);
  free(w.sst);
  free(w.xf);
  if (w.z) zip_discard(w.z);
  return rc;
}

/* ---- ODS ------------------------------------------------------------------- */

/* The cell's value as the document stores it. */
static void ods_value(xmlTextReaderPtr x, kt_buf *out, bool *typed) {
  char *type = attr(x, "value-type");
  *typed = false;
  if (!type) return;
  char *v = NULL;
  if (strcmp(type, "float") == 0 || strcmp(type, "percentage") == 0 || strcmp(type, "currency") == 0) {
    if ((v = attr(x, "value"))) number_text(v, out), *typed = true;
  } else if (strcmp(type, "date") == 0) {
    if ((v = attr(x, "date-value"))) {
      size_t l = strlen(v);
      if (l > 16 && strcmp(v + 10, "T00:00:00") == 0) l = 10;
      else if (l >= 16 && v[10] == 'T' && strncmp(v + 16, ":00", 3) == 0 && (l == 19 || v[19] == '.'))
        l = 16; /* 2026-11-22T10:30:00 -> 2026-11-22T10:30 */
      kt_buf_append(out, v, l);
      *typed = true;
    }
  } else if (strcmp(type, "boolean") == 0) {
    if ((v = attr(x, "boolean-value"))) kt_buf_puts(out, strcmp(v, "true") == 0 ? "TRUE" : "FALSE"), *typed = true;
  } else if (strcmp(type, "time") == 0) {
    int h = 0, m = 0;
    if ((v = attr(x, "time-value")) && sscanf(v, "PT%dH%dM", &h, &m) == 2) {
      char tmp[16];
      snprintf(tmp, sizeof tmp, "%02d:%02d", h, m);
      kt_buf_puts(out, tmp);
      *typed = true;
    }
  }
  xmlFree(v);
  xmlFree(type);
}

static int ods_table(xmlTextReaderPtr x, rows *rw, kt_err *err) {
  kt_buf val = KT_BUF_INIT, text = KT_BUF_INIT;
  int64_t rownum = 0, rrep = 1, crep = 1;
  int64_t col = 0;
  int depth = xmlTextReaderDepth(x), r = 0, rc = 0;
  bool in_cell = false, cell_end = false, typed = false, in_p = false, paras = false;
  while (!rc && (r = xml_next(x, "content.xml", err)) == 1) {
    if (xmlTextReaderDepth(x) <= depth && is_end(x, "table")) break;
    if (is_elem(x, "table-row")) {
      rrep = attr_int(x, "number-rows-repeated", 1);
      if (rrep < 1) rrep = 1;
      if (rrep > CL_SHEET_MAX_ROWS) rrep = CL_SHEET_MAX_ROWS + 1; /* past the end either way */
      col = 0;
      if (xmlTextReaderIsEmptyElement(x)) rownum += rrep;
    } else if (is_end(x, "table-row")) {
      /* an empty row only moves the counter, however often it is repeated */
      if (rw->len && rrep > CL_SHEET_MAX_REPEAT)
        rc = kt_err_set(err, KT_EINVAL, "row %lld is repeated %lld times; a sheet that big "
                        "cannot be imported (at most %d copies of a row)", (long long)(rownum + 1),
                        (long long)rrep, CL_SHEET_MAX_REPEAT);
      if (!rc) rc = row_end(rw, rownum + 1, rw->len ? rrep : 1);
      rownum += rrep; /* LibreOffice ends a sheet with a million empty rows repeated */
    } else if (is_elem(x, "table-cell") || is_elem(x, "covered-table-cell")) {
      crep = attr_int(x, "number-columns-repeated", 1);
      if (crep < 1) crep = 1;
      if (crep > CL_SHEET_MAX_COLS) crep = CL_SHEET_MAX_COLS + 1;
      kt_buf_reset(&val);
      kt_buf_reset(&text);
      ods_value(x, &val, &typed);
      paras = false;
      in_cell = !xmlTextReaderIsEmptyElement(x);
      cell_end = !in_cell;
    } else if (in_cell && (is_end(x, "table-cell") || is_end(x, "covered-table-cell"))) {
      in_cell = false;
      cell_end = true;
    } else if (in_cell && is_elem(x, "p")) {
      if (paras) kt_buf_putc(&text, '\n');
      paras = true;
      in_p = !xmlTextReaderIsEmptyElement(x);
    } else if (in_cell && is_end(x, "p")) {
      in_p = false;
    } else if (in_p && is_elem(x, "s")) {
      int64_t c = attr_int(x, "c", 1);
      for (int64_t k = 0; k < c && k < 1024; k++) kt_buf_putc(&text, ' ');
    } else if (in_p && is_elem(x, "tab")) {
      kt_buf_putc(&text, '\t');
    } else if (in_p && is_elem(x, "line-break")) {
      kt_buf_putc(&text, '\n');
    } else if (in_p && is_elem(x, "annotation")) {
      /* a comment on the cell: not its value */
      if (!xmlTextReaderIsEmptyElement(x)) {
        int d = xmlTextReaderDepth(x);
        while ((r = xml_next(x, "content.xml", err)) == 1 &&
               !(xmlTextReaderDepth(x) == d && is_end(x, "annotation"))) {
        }
        if (r < 0) break;
      }
    } else if (in_p) {
      add_text(x, &text);
    }
    if (cell_end) {
      cell_end = false;
      const kt_buf *v = typed ? &val : &text;
      if (v->len) {
        if (col + crep > CL_SHEET_MAX_COLS)
          rc = kt_err_set(err, KT_EINVAL, "row %lld has cells past column %d; a spreadsheet "
                          "has at most %d", (long long)(rownum + 1), CL_SHEET_MAX_COLS,
                          CL_SHEET_MAX_COLS);
        for (int64_t k = 0; !rc && k < crep; k++) rc = row_set(rw, (int)(col + k), v->p, v->len);
      }
      col += crep; /* an empty cell repeated 16,000 times only moves the counter */
      if (col > CL_SHEET_MAX_COLS) col = CL_SHEET_MAX_COLS;
    }
    if (text.len > (16u << 20)) rc = kt_err_set(err, KT_EINVAL, "a cell holds more than 16 MiB of text");
  }
  if (!rc && r < 0) rc = r;
  kt_buf_free(&val);
  kt_buf_free(&text);
  return rc;
}

int cl_sheet_parse_ods(const void *data, size_t n, const char *sheet, cl_rowset **out,
                       kt_err *err) {
  zip_t *z = NULL;
  rows rw = {.err = err};
  kt_buf b = KT_BUF_INIT, names = KT_BUF_INIT;
  xmlTextReaderPtr x = NULL;
  int rc = zip_from(data, n, "ODS", &z, err), r = 0;
  if (rc) return rc;
  if ((rc = zip_entry(z, "content.xml", &b, err)) == KT_ENOTFOUND)
    rc = kt_err_set(err, KT_EINVAL, "this is not an ODS spreadsheet (no content.xml); save it "
                    "from LibreOffice as .ods");
  if (rc) goto out;
  if (!(rw.rs = cl_rowset_new("ods")) || !(x = xml_open(&b, "content.xml"))) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  snprintf(rw.rs->encoding, sizeof rw.rs->encoding, "utf-8");
  bool done = false;
  while (!done && (r = xml_next(x, "content.xml", err)) == 1) {
    if (!is_elem(x, "table") || xmlTextReaderIsEmptyElement(x)) continue;
    char *name = attr(x, "name");
    if (names.len) kt_buf_puts(&names, ", ");
    kt_buf_puts(&names, name ? name : "");
    bool want = !sheet || (name && strcmp(name, sheet) == 0);
    xmlFree(name);
    if (!want) continue;
    if ((rc = ods_table(x, &rw, err)) || (rc = row_end(&rw, 0, 0))) goto out;
    done = true;
  }
  if (r < 0) {
    rc = r;
    goto out;
  }
  if (!done) {
    rc = sheet ? kt_err_set(err, KT_EINVAL, "the spreadsheet has no sheet '%s' (it has: %s)", sheet,
                            kt_buf_str(&names))
               : kt_err_set(err, KT_EINVAL, "the spreadsheet has no sheets");
    goto out;
  }
  *out = rw.rs;
  rw.rs = NULL;
out:
  if (x) xmlFreeTextReader(x);
  rows_free(&rw);
  kt_buf_free(&b);
  kt_buf_free(&names);
  if (z) zip_discard(z);
  return rc;
}

/* ---- detection ------------------------------------------------------------- */

static bool is_ods(const char *head, size_t n) {
  static const char mt[] = "mimetypeapplication/vnd.oasis.opendocument.spreadsheet";
  return n >= 30 + sizeof mt - 1 && memcmp(head, "PK\3\4", 4) == 0 &&
         memcmp(head + 30, mt, sizeof mt - 1) == 0;
}

int cl_sheet_sniff_ods(const char *head, size_t n) { return is_ods(head, n) ? 2 : 0; }

int cl_sheet_sniff_xlsx(const char *head, size_t n) {
  return n >= 4 && memcmp(head, "PK\3\4", 4) == 0 && !is_ods(head, n) ? 2 : 0;
}

/* ---- files ----------------------------------------------------------------- */

static int read_file(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err,
                     int (*parse)(const void *, size_t, const char *, cl_rowset **, kt_err *)) {
  kt_buf b = KT_BUF_INIT;
  int rc = cl_grid_load(path, CL_SHEET_MAX_ENTRY, &b, err);
  if (!rc) rc = parse(b.p ? b.p : "", b.len, opts ? opts->sheet : NULL, out, err);
  kt_buf_free(&b);
  return rc;
}

int cl_sheet_read_xlsx(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err) {
  return read_file(path, opts, out, err, cl_sheet_parse_xlsx);
}

int cl_sheet_read_ods(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err) {
  return read_file(path, opts, out, err, cl_sheet_parse_ods);
}
