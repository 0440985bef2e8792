/* kt_utf8 — UTF-8 decoding, encoding and validation without ICU (the frame
 * decoder and its fuzzer link it alone). Invalid input decodes to KT_UTF8_BAD
 * with *adv = the maximal invalid subpart, as ICU and the W3C encoding spec
 * do, so each bad sequence becomes exactly one U+FFFD when replaced.
 * Pure functions; inline because they sit in the search-folding hot path. */
#ifndef KT_UTF8_H
#define KT_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KT_UTF8_BAD 0xFFFFFFFFu

/* Decodes one code point at s (len >= 1); *adv = bytes consumed (>= 1). */
static inline uint32_t kt_utf8_next(const unsigned char *s, size_t len, size_t *adv) {
  unsigned c = s[0];
  *adv = 1;
  if (c < 0x80) return c;
  if (c < 0xC2 || c > 0xF4) return KT_UTF8_BAD;
  if (c < 0xE0) {
    if (len < 2 || (s[1] & 0xC0) != 0x80) return KT_UTF8_BAD;
    *adv = 2;
    return ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
  }
  unsigned lo = 0x80, hi = 0xBF;
  if (c == 0xE0) lo = 0xA0;      /* no overlongs */
  else if (c == 0xED) hi = 0x9F; /* no surrogates */
  else if (c == 0xF0) lo = 0x90; /* no overlongs */
  else if (c == 0xF4) hi = 0x8F; /* <= U+10FFFF */
  if (len < 2 || s[1] < lo || s[1] > hi) return KT_UTF8_BAD;
  if (len < 3 || (s[2] & 0xC0) != 0x80) {
    *adv = 2;
    return KT_UTF8_BAD;
  }
  if (c < 0xF0) {
    *adv = 3;
    return ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
  }
  if (len < 4 || (s[3] & 0xC0) != 0x80) {
    *adv = 3;
    return KT_UTF8_BAD;
  }
  *adv = 4;
  return ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
}

/* Encodes cp (<= U+10FFFF) into w (4 bytes of room); returns the length. */
static inline size_t kt_utf8_put(char *w, uint32_t cp) {
  if (cp < 0x80) {
    w[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    w[0] = (char)(0xC0 | (cp >> 6));
    w[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    w[0] = (char)(0xE0 | (cp >> 12));
    w[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    w[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  w[0] = (char)(0xF0 | (cp >> 18));
  w[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  w[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  w[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
bool kt_utf8_valid(const char *s, size_t len);

#endif
