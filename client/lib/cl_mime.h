/* cl_mime — builds one e-mail message (RFC 5322 + MIME) from rendered
 * parts: UTF-8 headers as RFC 2047 encoded words, a plain text body with an
 * optional HTML alternative (multipart/alternative), attachments as base64
 * (multipart/mixed, file names RFC 2231). Lines end in CRLF and never pass
 * 78 characters, so the message goes through any SMTP server as it is.
 * Used by cl_mail (sending and .eml dry runs). Pure: no I/O, any thread. */
#ifndef CL_MIME_H
#define CL_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "kt_buf.h"
#include "kt_err.h"

typedef struct cl_mime_att {
  const char *name;          /* file name shown to the recipient (UTF-8) */
  const unsigned char *data; /* borrowed */
  size_t len;
} cl_mime_att;

typedef struct cl_mime_msg {
  const char *from;       /* address only: office@example.com */
  const char *from_name;  /* display name or NULL */
  const char *to;         /* address only */
  const char *to_name;    /* display name (the card's title) or NULL */
  const char *subject;    /* UTF-8 */
  const char *text;       /* plain body, UTF-8 (LF or CRLF line ends) */
  const char *html;       /* HTML alternative or NULL */
  const cl_mime_att *att;
  int natt;
  int64_t date_ms;        /* the Date header (unix ms) */
  const char *msgid;      /* left part of the Message-ID (unique per message) */
} cl_mime_msg;

/* Appends the whole message to out. KT_EINVAL when an address or a header
 * value holds a line break or is not an address (header injection), KT_ENOMEM. */
int cl_mime_build(const cl_mime_msg *m, kt_buf *out, kt_err *err);

/* Appends s as a header value: as is when printable ASCII, else RFC 2047
 * "=?UTF-8?B?...?=" words (split on character boundaries, folded with CRLF
 * SP). `used`: columns already taken on the line (the header name). */
void cl_mime_header_text(const char *s, size_t used, kt_buf *out);
/* Appends base64 of data; wrap: lines of 76 characters ending in CRLF. */
void cl_mime_base64(const unsigned char *data, size_t n, int wrap, kt_buf *out);
/* Whether s is a plain address we may put in a header: local@domain, no
 * spaces, controls, angle brackets, quotes or commas. */
int cl_mime_addr_ok(const char *s);

#endif
