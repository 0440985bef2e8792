/* kt_utf8 — see kt_utf8.h. */
#include "kt_utf8.h"

bool kt_utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  while (p < end) {
    if (*p < 0x80) {
      p++;
      continue;
    }
    size_t adv;
    if (kt_utf8_next(p, (size_t)(end - p), &adv) == KT_UTF8_BAD) return false;
    p += adv;
  }
  return true;
}
