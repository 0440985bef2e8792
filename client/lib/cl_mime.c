/* cl_mime — one e-mail message (see cl_mime.h). Layout:
 *   multipart/mixed (only with attachments)
 *     multipart/alternative (only with HTML)
 *       text/plain; charset=utf-8  (base64)
 *       text/html; charset=utf-8   (base64)
 *     attachment parts             (base64)
 * Bodies are base64 so no line is too long whatever the text, and no line
 * starts with a dot; boundaries hold '_', which base64 never does. */
#include "cl_mime.h"

#include <stdio.h>
#include <strings.h>
#include <string.h>
#include <time.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void cl_mime_base64(const unsigned char *d, size_t n, int wrap, kt_buf *out) {
  if (n) kt_buf_reserve(out, n / 3 * 4 + n / 57 * 2 + 8); /* (an empty reserve leaves no NUL) */
  int col = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)d[i] << 16;
    if (i + 1 < n) v |= (unsigned)d[i + 1] << 8;
    if (i + 2 < n) v |= d[i + 2];
    char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63], i + 1 < n ? b64[v >> 6 & 63] : '=',
                 i + 2 < n ? b64[v & 63] : '='};
    kt_buf_append(out, q, 4);
    col += 4;
    if (wrap && col >= 76) {
      kt_buf_puts(out, "\r\n");
      col = 0;
    }
  }
  if (wrap && col) kt_buf_puts(out, "\r\n");
}

static int plain_ascii(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E) return 0;
  return 1;
}

void cl_mime_header_text(const char *s, size_t used, kt_buf *out) {
  if (plain_ascii(s) && strlen(s) + used <= 76 && !strstr(s, "=?")) {
    kt_buf_puts(out, s);
    return;
  }
  /* encoded words of at most 45 source bytes (60 base64 characters, a 72-
     character word), cut before a UTF-8 continuation byte */
  size_t n = strlen(s), i = 0;
  int first = 1;
  while (i < n) {
    size_t take = n - i > 45 ? 45 : n - i;
    while (take > 0 && i + take < n && ((unsigned char)s[i + take] & 0xC0) == 0x80) take--;
    if (take == 0) take = n - i > 45 ? 45 : n - i;
    if (!first) kt_buf_puts(out, "\r\n ");
    kt_buf_puts(out, "=?UTF-8?B?");
    cl_mime_base64((const unsigned char *)s + i, take, 0, out);
    kt_buf_puts(out, "?=");
    i += take;
    first = 0;
  }
}

int cl_mime_addr_ok(const char *s) {
  if (!s) return 0;
  const char *at = strchr(s, '@');
  if (!at || at == s || !at[1] || strchr(at + 1, '@')) return 0;
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c <= 0x20 || c == 0x7F || strchr("<>\"(),;:\\[]", c)) return 0;
  }
  return strlen(s) < 320;
}

static int has_break(const char *s) { return s && (strchr(s, '\r') || strchr(s, '\n')); }

static void put_addr(kt_buf *out, const char *hdr, const char *name, const char *addr) {
  kt_buf_printf(out, "%s: ", hdr);
  if (name && *name) {
    if (plain_ascii(name) && strlen(name) < 40 && !strpbrk(name, "\"\\()<>,;:@[]"))
      kt_buf_printf(out, "\"%s\"", name);
    else {
      cl_mime_header_text(name, strlen(hdr) + 2, out);
      kt_buf_puts(out, "\r\n"); /* folded: the address on its own line keeps it under 78 */
    }
    kt_buf_printf(out, " <%s>\r\n", addr);
  } else {
    kt_buf_printf(out, "%s\r\n", addr);
  }
}

/* A body as base64 with its LF line ends made CRLF first. */
static void put_text_part(kt_buf *out, const char *boundary, const char *ctype, const char *text) {
  kt_buf_printf(out, "--%s\r\nContent-Type: %s; charset=utf-8\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n", boundary, ctype);
  kt_buf crlf = KT_BUF_INIT;
  for (const char *p = text; *p; p++) {
    if (*p == '\n' && (p == text || p[-1] != '\r')) kt_buf_putc(&crlf, '\r');
    kt_buf_putc(&crlf, *p);
  }
  cl_mime_base64((const unsigned char *)(crlf.p ? crlf.p : ""), crlf.len, 1, out);
  if (crlf.oom) out->oom = true;
  kt_buf_free(&crlf);
}

static const char *att_type(const char *name) {
  static const struct {
    const char *ext, *type;
  } types[] = {
      {".pdf", "application/pdf"},
      {".odt", "application/vnd.oasis.opendocument.text"},
      {".ods", "application/vnd.oasis.opendocument.spreadsheet"},
      {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {".txt", "text/plain"},
      {".csv", "text/csv"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".zip", "application/zip"},
  };
  const char *dot = strrchr(name, '.');
  if (dot)
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
      if (strcasecmp(dot, types[i].ext) == 0) return types[i].type;
  return "application/octet-stream";
}

static void put_att(kt_buf *out, const char *boundary, const cl_mime_att *a) {
  kt_buf_printf(out, "--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\n"
                "Content-Disposition: attachment;\r\n", boundary, att_type(a->name));
  if (plain_ascii(a->name) && !strpbrk(a->name, "\"\\") && strlen(a->name) < 60) {
    kt_buf_printf(out, " filename=\"%s\"\r\n\r\n", a->name);
  } else {
    /* RFC 2231: filename*0*=UTF-8''%D0%9F...;  in continuation lines */
    static const char hex[] = "0123456789ABCDEF";
    int part = 0, col = 0;
    kt_buf_printf(out, " filename*0*=UTF-8''");
    col = 20;
    for (const unsigned char *p = (const unsigned char *)a->name; *p; p++) {
      if (col > 66) {
        kt_buf_printf(out, ";\r\n filename*%d*=", ++part);
        col = 16;
      }
      if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          strchr("-._~", *p)) {
        kt_buf_putc(out, (char)*p);
        col++;
      } else {
        kt_buf_putc(out, '%');
        kt_buf_putc(out, hex[*p >> 4]);
        kt_buf_putc(out, hex[*p & 15]);
        col += 3;
      }
    }
    kt_buf_puts(out, "\r\n\r\n");
  }
  cl_mime_base64(a->data, a->len, 1, out);
}

int cl_mime_build(const cl_mime_msg *m, kt_buf *out, kt_err *err) {
  if (!cl_mime_addr_ok(m->from))
    return kt_err_set(err, KT_EINVAL, "the sender '%s' is not an e-mail address; set it with "
                      "`kartoteka mail config --from ADDRESS`", m->from ? m->from : "");
  if (!cl_mime_addr_ok(m->to))
    return kt_err_set(err, KT_EINVAL, "'%s' is not an e-mail address", m->to ? m->to : "");
  if (has_break(m->subject) || has_break(m->to_name) || has_break(m->from_name) ||
      has_break(m->msgid))
    return kt_err_set(err, KT_EINVAL, "a line break in the subject or a name: headers are one "
                      "line (check the template's subject)");
  for (int i = 0; i < m->natt; i++)
    if (has_break(m->att[i].name) || !*m->att[i].name)
      return kt_err_set(err, KT_EINVAL, "an attachment's file name is empty or has a line break");
  char date[64];
  time_t tt = (time_t)(m->date_ms / 1000);
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  const char *dom = strchr(m->from, '@') + 1;
  char mixed[80], alt[80];
  snprintf(mixed, sizeof mixed, "=_kt_mixed_%s", m->msgid ? m->msgid : "x");
  snprintf(alt, sizeof alt, "=_kt_alt_%s", m->msgid ? m->msgid : "x");

  put_addr(out, "From", m->from_name, m->from);
  put_addr(out, "To", m->to_name, m->to);
  kt_buf_puts(out, "Subject: ");
  cl_mime_header_text(m->subject ? m->subject : "", 9, out);
  kt_buf_printf(out, "\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n", date,
                m->msgid ? m->msgid : "x", dom);
  if (m->natt)
    kt_buf_printf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", mixed);
  if (m->html) {
    if (m->natt) kt_buf_printf(out, "--%s\r\n", mixed);
    kt_buf_printf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", alt);
    put_text_part(out, alt, "text/plain", m->text ? m->text : "");
    put_text_part(out, alt, "text/html", m->html);
    kt_buf_printf(out, "--%s--\r\n", alt);
  } else if (m->natt) {
    put_text_part(out, mixed, "text/plain", m->text ? m->text : "");
  } else {
    /* one part: the headers of put_text_part, without a boundary */
    kt_buf tmp = KT_BUF_INIT;
    put_text_part(&tmp, "", "text/plain", m->text ? m->text : "");
    const char *body = strstr(kt_buf_str(&tmp), "\r\n") + 2; /* past "--\r\n" */
    kt_buf_puts(out, body);
    if (tmp.oom) out->oom = true;
    kt_buf_free(&tmp);
  }
  for (int i = 0; i < m->natt; i++) put_att(out, mixed, &m->att[i]);
  if (m->natt) kt_buf_printf(out, "--%s--\r\n", mixed);
  return out->oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}
