/* kt_buf — see kt_buf.h. */
#include "kt_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_alloc.h"
#include "kt_err.h"

int kt_buf_reserve(kt_buf *b, size_t extra) {
  if (b->oom) return KT_ENOMEM;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap *= 2;
  char *p = kt_realloc(b->p, cap);
  if (!p) {
    b->oom = true;
    return KT_ENOMEM;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

void kt_buf_append(kt_buf *b, const void *data, size_t n) {
  if (kt_buf_reserve(b, n)) return;
  if (n) memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void kt_buf_puts(kt_buf *b, const char *s) { kt_buf_append(b, s, strlen(s)); }
void kt_buf_putc(kt_buf *b, char c) { kt_buf_append(b, &c, 1); }

void kt_buf_printf(kt_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[256];
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) {
    va_end(ap2);
    return;
  }
  if ((size_t)n < sizeof tmp) {
    kt_buf_append(b, tmp, (size_t)n);
  } else if (kt_buf_reserve(b, (size_t)n) == 0) {
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
    b->len += (size_t)n;
  }
  va_end(ap2);
}

void kt_buf_put_u64le(kt_buf *b, uint64_t v) {
  unsigned char t[8];
  for (int i = 0; i < 8; i++) t[i] = (unsigned char)(v >> (8 * i));
  kt_buf_append(b, t, 8);
}

void kt_buf_put_varint(kt_buf *b, uint64_t v) {
  unsigned char t[10];
  int n = 0;
  do {
    unsigned char c = v & 0x7f;
    v >>= 7;
    t[n++] = c | (v ? 0x80 : 0);
  } while (v);
  kt_buf_append(b, t, (size_t)n);
}

int kt_varint_get(const unsigned char **p, const unsigned char *end, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*p >= end) return -1;
    unsigned char c = *(*p)++;
    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *out = v;
      return 0;
    }
  }
  return -1;
}

void kt_buf_reset(kt_buf *b) {
  b->len = 0;
  if (b->p) b->p[0] = '\0';
}

char *kt_buf_take(kt_buf *b) {
  if (b->oom) {
    kt_buf_free(b);
    return NULL;
  }
  char *p = b->p ? b->p : kt_strdup("");
  b->p = NULL;
  b->len = b->cap = 0;
  return p;
}

const char *kt_buf_str(const kt_buf *b) { return b->p ? b->p : ""; }

void kt_buf_free(kt_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->oom = false;
}
