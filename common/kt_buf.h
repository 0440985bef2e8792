/* kt_buf — a growable byte buffer, always NUL-terminated after len.
 * Owner: whoever embeds the kt_buf; free with kt_buf_free (or take the bytes
 * with kt_buf_take, after which the caller frees them with free()).
 * Allocation failure is sticky: the buffer records it in `oom` and further
 * appends do nothing, so callers can check once at the end. */
#ifndef KT_BUF_H
#define KT_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kt_buf {
  char *p;     /* NULL until first append */
  size_t len;  /* bytes used, excluding the terminating NUL */
  size_t cap;  /* bytes allocated */
  bool oom;    /* an allocation failed; content is truncated */
} kt_buf;

#define KT_BUF_INIT {NULL, 0, 0, false}

/* Ensures room for `extra` more bytes (+ NUL). 0 or KT_ENOMEM. */
int kt_buf_reserve(kt_buf *b, size_t extra);
void kt_buf_append(kt_buf *b, const void *data, size_t n);
void kt_buf_puts(kt_buf *b, const char *s);
void kt_buf_putc(kt_buf *b, char c);
void kt_buf_printf(kt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Little-endian / varint helpers for binary blobs. */
void kt_buf_put_u64le(kt_buf *b, uint64_t v);
void kt_buf_put_varint(kt_buf *b, uint64_t v);
/* Sets len to 0 (keeps the allocation). */
void kt_buf_reset(kt_buf *b);
/* Returns the bytes (NUL-terminated, caller frees) and resets b; "" when empty;
 * NULL if an allocation failed. */
char *kt_buf_take(kt_buf *b);
/* Content as a C string ("" when empty); borrowed, valid until the next append. */
const char *kt_buf_str(const kt_buf *b);
void kt_buf_free(kt_buf *b);

/* Reads a varint at *p (< end); advances *p. 0 ok, -1 on truncation/overflow. */
int kt_varint_get(const unsigned char **p, const unsigned char *end, uint64_t *out);

#endif
