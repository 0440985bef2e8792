/* cl_csv — see cl_csv.h. */
#include "cl_csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/ucnv.h>
#include <unicode/ustring.h>

#include "kt_buf.h"
#include "kt_utf8.h"

#define CSV_MAX_COLUMNS 4096
#define SNIFF_LINES 10

int cl_read_file(const char *path, char **data, size_t *len, kt_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return kt_err_set(err, KT_EIO, "cannot read %s: %s", path, strerror(errno));
  kt_buf b = KT_BUF_INIT;
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) kt_buf_append(&b, chunk, n);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    kt_buf_free(&b);
    return kt_err_set(err, KT_EIO, "cannot read %s: a read error", path);
  }
  if (b.oom) {
    kt_buf_free(&b);
    return kt_err_set(err, KT_ENOMEM, "out of memory reading %s", path);
  }
  *len = b.len;
  *data = b.p ? kt_buf_take(&b) : calloc(1, 1);
  return *data ? 0 : kt_err_set(err, KT_ENOMEM, "out of memory");
}

/* 1-based line of byte offset off in s. */
static int line_at(const char *s, size_t off) {
  int line = 1;
  for (size_t i = 0; i < off; i++)
    if (s[i] == '\n') line++;
  return line;
}

static int line_at_u(const UChar *s, size_t off) {
  int line = 1;
  for (size_t i = 0; i < off; i++)
    if (s[i] == '\n') line++;
  return line;
}

/* data in the ICU encoding enc -> UTF-8 in *out; stops at the first byte
 * sequence that is not enc and names its line. */
static int icu_decode(const char *enc, const char *data, size_t len, kt_buf *out, kt_err *err) {
  UErrorCode ue = U_ZERO_ERROR;
  UConverter *cv = ucnv_open(enc, &ue);
  if (U_FAILURE(ue))
    return kt_err_set(err, KT_EINVAL, "unknown encoding '%s'; use utf-8, cp1251, utf-16le or "
                      "utf-16be", enc);
  ucnv_setToUCallBack(cv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &ue);
  size_t cap = 2 * len + 16;
  UChar *u = malloc(cap * sizeof *u);
  int rc = 0;
  if (!u || len > (size_t)INT32_MAX / 3) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory (the file is too large)");
    goto out;
  }
  UChar *t = u;
  const char *src = data;
  ucnv_toUnicode(cv, &t, u + cap, &src, data + len, NULL, true, &ue);
  if (U_FAILURE(ue)) {
    int line = line_at_u(u, (size_t)(t - u));
    if (ue == U_TRUNCATED_CHAR_FOUND)
      rc = kt_err_set(err, KT_EINVAL, "line %d: the file ends in the middle of a character: it "
                      "is truncated or not %s", line, enc);
    else
      rc = kt_err_set(err, KT_EINVAL, "line %d: bytes that are not %s (%s); the file is damaged "
                      "or in another encoding: give --encoding (utf-8, cp1251, utf-16le)",
                      line, enc, u_errorName(ue));
    goto out;
  }
  int32_t ulen = (int32_t)(t - u), need = 0;
  ue = U_ZERO_ERROR;
  u_strToUTF8(NULL, 0, &need, u, ulen, &ue);
  if (ue != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(ue)) {
    rc = kt_err_set(err, KT_EINVAL, "the text is not valid Unicode (%s)", u_errorName(ue));
    goto out;
  }
  ue = U_ZERO_ERROR;
  if (kt_buf_reserve(out, (size_t)need + 1)) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  u_strToUTF8(out->p, need + 1, &need, u, ulen, &ue);
  if (U_FAILURE(ue)) {
    rc = kt_err_set(err, KT_EINVAL, "line %d: an unpaired UTF-16 surrogate: the file is damaged",
                    line_at_u(u, (size_t)ulen));
    goto out;
  }
  out->len = (size_t)need;
  out->p[out->len] = '\0';
out:
  free(u);
  ucnv_close(cv);
  return rc;
}

/* Checks UTF-8; *first_bad = offset of the first bad byte, *multi = valid
 * multi-byte characters seen before it. */
static bool utf8_scan(const char *s, size_t len, size_t *first_bad, size_t *multi) {
  const unsigned char *p = (const unsigned char *)s;
  *multi = 0;
  for (size_t i = 0; i < len;) {
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    size_t adv;
    if (kt_utf8_next(p + i, len - i, &adv) == KT_UTF8_BAD) {
      *first_bad = i;
      return false;
    }
    (*multi)++;
    i += adv;
  }
  return true;
}

static bool is_utf8_name(const char *e) {
  return strcasecmp(e, "utf-8") == 0 || strcasecmp(e, "utf8") == 0;
}

/* The raw bytes -> UTF-8 text without BOM; what was read goes to encname. */
static int decode(const char *data, size_t len, const char *given, kt_buf *out, char encname[32],
                  kt_err *err) {
  const unsigned char *u = (const unsigned char *)data;
  bool bom8 = len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF;
  bool le = len >= 2 && u[0] == 0xFF && u[1] == 0xFE, be = len >= 2 && u[0] == 0xFE && u[1] == 0xFF;
  const char *enc = given && *given ? given : NULL;
  if (!enc) {
    if (bom8) enc = "utf-8-bom";
    else if (le) enc = "utf-16le";
    else if (be) enc = "utf-16be";
  }
  if (enc && (le || be) && strncasecmp(enc, "utf-16", 6) == 0) {
    /* the BOM decides the byte order; skip it */
    snprintf(encname, 32, "%s", le ? "utf-16le" : "utf-16be");
    return icu_decode(le ? "UTF-16LE" : "UTF-16BE", data + 2, len - 2, out, err);
  }
  if (!enc) {
    /* no BOM: NUL bytes are UTF-16 without a BOM or binary data */
    const char *nul = memchr(data, '\0', len);
    if (nul) {
      size_t even = 0, odd = 0;
      for (size_t i = 0; i < len && i < 4096; i++)
        if (!u[i]) *(i % 2 ? &odd : &even) += 1;
      size_t half = (len < 4096 ? len : 4096) / 2;
      if (half && (odd > half * 3 / 4 || even > half * 3 / 4))
        return kt_err_set(err, KT_EINVAL, "the file looks like UTF-16 without a byte-order mark; "
                          "give --encoding utf-16le (or utf-16be)");
      return kt_err_set(err, KT_EINVAL, "line %d: binary data (a NUL byte): this is not a CSV "
                        "or text file", line_at(data, (size_t)(nul - data)));
    }
    size_t bad, multi;
    if (utf8_scan(data, len, &bad, &multi)) enc = "utf-8";
    else if (multi)
      return kt_err_set(err, KT_EINVAL, "line %d: bytes that are not UTF-8 in a file that is "
                        "UTF-8 elsewhere: the file is damaged; if it is in the Windows encoding, "
                        "give --encoding cp1251", line_at(data, bad));
    else enc = "cp1251"; /* what Excel writes for "CSV" on a Russian Windows */
  }
  if (is_utf8_name(enc) || strcasecmp(enc, "utf-8-bom") == 0) {
    size_t skip = bom8 ? 3 : 0, bad, multi;
    if (!utf8_scan(data + skip, len - skip, &bad, &multi))
      return kt_err_set(err, KT_EINVAL, "line %d: bytes that are not UTF-8 (0x%02X); if Excel "
                        "saved the file in the Windows encoding, give --encoding cp1251",
                        line_at(data + skip, bad), u[skip + bad]);
    snprintf(encname, 32, "%s", bom8 ? "utf-8-bom" : "utf-8");
    kt_buf_append(out, data + skip, len - skip);
    return out->oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
  }
  snprintf(encname, 32, "%s", enc);
  for (char *p = encname; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
  return icu_decode(enc, data, len, out, err);
}

/* Control characters other than tab and line breaks are binary data. */
static int check_text(const char *s, size_t len, kt_err *err) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
      return kt_err_set(err, KT_EINVAL, "line %d: binary data (control byte 0x%02X): this is not "
                        "a CSV or text file, or it is damaged", line_at(s, i), c);
  }
  return 0;
}

/* Number of delimiters d in the record starting at *pos (outside quotes);
 * moves *pos past it. */
static int count_delims(const char *s, size_t len, size_t *pos, char d) {
  size_t i = *pos;
  int n = 0;
  bool q = false;
  for (; i < len; i++) {
    char c = s[i];
    if (c == '"') q = !q;
    else if (!q && c == d) n++;
    else if (!q && (c == '\n' || c == '\r')) break;
  }
  while (i < len && (s[i] == '\n' || s[i] == '\r')) i++;
  *pos = i;
  return n;
}

/* The delimiter the first lines use: most on the header line, and the same
 * number on the lines after it. */
static char sniff_delim(const char *s, size_t len, char fallback) {
  static const char cands[] = {';', ',', '\t'};
  char best = fallback;
  int best_n = 0, best_same = -1;
  for (size_t k = 0; k < sizeof cands; k++) {
    size_t pos = 0;
    while (pos < len && (s[pos] == '\n' || s[pos] == '\r')) pos++;
    int n0 = count_delims(s, len, &pos, cands[k]), same = 0;
    for (int l = 0; l < SNIFF_LINES && pos < len; l++)
      if (count_delims(s, len, &pos, cands[k]) == n0) same++;
    if (!n0) continue;
    if (same > best_same || (same == best_same && n0 > best_n)) {
      best = cands[k];
      best_n = n0;
      best_same = same;
    }
  }
  return best;
}

/* Splits the UTF-8 text into the rowset: the first non-empty record is the header. */
static int split(cl_rowset *rs, const char *s, size_t len, char d, kt_err *err) {
  kt_buf cell = KT_BUF_INIT;
  char **cells = malloc(CSV_MAX_COLUMNS * sizeof *cells);
  size_t *offs = malloc(CSV_MAX_COLUMNS * sizeof *offs);
  int rc = 0, line = 1;
  size_t i = 0;
  if (!cells || !offs) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  while (i < len) {
    if (s[i] == '\n' || s[i] == '\r') { /* empty line */
      if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') i++;
      i++;
      line++;
      continue;
    }
    int start = line, n = 0;
    bool quoted = false, was_quoted = false;
    kt_buf_reset(&cell);
    offs[n++] = 0;
    for (;;) {
      if (i >= len) {
        if (quoted) {
          rc = kt_err_set(err, KT_EINVAL, "line %d: a quoted value opens here and is never "
                          "closed (a missing '\"')", start);
          goto out;
        }
        break;
      }
      char c = s[i++];
      if (quoted) {
        if (c == '"') {
          if (i < len && s[i] == '"') {
            kt_buf_putc(&cell, '"');
            i++;
          } else {
            quoted = false;
          }
        } else if (c == '\r') {
          if (i < len && s[i] == '\n') i++;
          kt_buf_putc(&cell, '\n');
          line++;
        } else {
          if (c == '\n') line++;
          kt_buf_putc(&cell, c);
        }
      } else if (c == '"' && cell.len == offs[n - 1] && !was_quoted) {
        quoted = was_quoted = true; /* a quote opens a quoted value only at its start */
      } else if (c == d) {
        kt_buf_putc(&cell, '\0');
        if (n == CSV_MAX_COLUMNS) {
          rc = kt_err_set(err, KT_EINVAL, "line %d: more than %d columns", start, CSV_MAX_COLUMNS);
          goto out;
        }
        offs[n++] = cell.len;
        was_quoted = false;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && i < len && s[i] == '\n') i++;
        line++;
        break;
      } else {
        kt_buf_putc(&cell, c);
      }
    }
    kt_buf_putc(&cell, '\0');
    if (cell.oom) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      goto out;
    }
    for (int k = 0; k < n; k++) cells[k] = cell.p + offs[k];
    if (!rs->header_line) {
      rs->header_line = start;
      for (int k = 0; k < n && !rc; k++) rc = cl_rowset_add_header(rs, cells[k], err);
    } else {
      rc = cl_rowset_add_row(rs, (const char *const *)cells, n, start, NULL, err);
    }
    if (rc) goto out;
  }
out:
  kt_buf_free(&cell);
  free(cells);
  free(offs);
  return rc;
}

int cl_csv_parse(const char *format, const char *data, size_t len, const cl_read_opts *opts,
                 cl_rowset **out, kt_err *err) {
  bool text = format && strcmp(format, "text") == 0;
  char d = opts ? opts->delimiter : 0;
  if (d == '"' || d == '\n' || d == '\r' || (d && (unsigned char)d >= 0x80))
    return kt_err_set(err, KT_EINVAL, "a delimiter cannot be '%c': use ',', ';' or tab", d);
  cl_rowset *rs = cl_rowset_new(text ? "text" : "csv");
  if (!rs) return kt_err_set(err, KT_ENOMEM, "out of memory");
  kt_buf u = KT_BUF_INIT;
  int rc = decode(data, len, opts ? opts->encoding : NULL, &u, rs->encoding, err);
  if (!rc) rc = check_text(kt_buf_str(&u), u.len, err);
  if (rc) goto out;
  rs->delimiter = d ? d : sniff_delim(kt_buf_str(&u), u.len, text ? '\t' : ',');
  rc = split(rs, kt_buf_str(&u), u.len, rs->delimiter, err);
  if (!rc && !rs->header_line)
    rc = kt_err_set(err, KT_EINVAL, "the file is empty: its first line must name the columns");
out:
  kt_buf_free(&u);
  if (rc) cl_rowset_free(rs);
  else *out = rs;
  return rc;
}

static int read_as(const char *format, const char *path, const cl_read_opts *opts,
                   cl_rowset **out, kt_err *err) {
  char *data = NULL;
  size_t len = 0;
  int rc = cl_read_file(path, &data, &len, err);
  if (!rc) rc = cl_csv_parse(format, data, len, opts, out, err);
  free(data);
  return rc;
}

int cl_csv_read(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err) {
  return read_as("csv", path, opts, out, err);
}

int cl_text_read(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err) {
  return read_as("text", path, opts, out, err);
}

int cl_csv_sniff(const char *head, size_t n) {
  const unsigned char *u = (const unsigned char *)head;
  if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) return 1;
  if (memchr(head, '\0', n)) return 0;
  return 1;
}
