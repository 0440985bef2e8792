/* kt_uuid — see kt_uuid.h. */
#include "kt_uuid.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kt_plat.h"

int kt_random_bytes(void *buf, size_t n, kt_err *err) {
  if (kt_plat_random(buf, n))
    return kt_err_set(err, KT_EIO, "cannot get random bytes from the system: %s", strerror(errno));
  return 0;
}

/* Takes n (<= sizeof pool) random bytes from the generator's pool. */
static int pool_take(kt_uuid_gen *g, unsigned char *dst, size_t n, kt_err *err) {
  if (g->pool_left < n || g->pool_left > sizeof g->pool) {
    int rc = kt_random_bytes(g->pool, sizeof g->pool, err);
    if (rc) return rc;
    g->pool_left = sizeof g->pool;
  }
  unsigned char *src = g->pool + sizeof g->pool - g->pool_left;
  memcpy(dst, src, n);
  memset(src, 0, n); /* used bytes are not kept around */
  g->pool_left -= n;
  return 0;
}

#define UUID_MAX_MS ((UINT64_C(1) << 48) - 1)

int kt_uuid_gen_next(kt_uuid_gen *g, uint64_t unix_ms, kt_uuid *out, kt_err *err) {
  if (unix_ms > UUID_MAX_MS)
    return kt_err_set(err, KT_EINVAL, "time %llu ms is beyond what a UUIDv7 can hold; check the clock",
                      (unsigned long long)unix_ms);
  unsigned char r[10];
  int rc = pool_take(g, r, sizeof r, err);
  if (rc) return rc;
  uint64_t ms = g->last_ms;
  unsigned seq;
  if (unix_ms > g->last_ms) {
    ms = unix_ms;
    seq = ((unsigned)r[8] << 8 | r[9]) & 0x7FFu;
  } else {
    seq = (unsigned)g->seq + 1;
    if (seq > 0xFFFu) { /* counter exhausted within this ms: borrow the next one */
      if (ms >= UUID_MAX_MS)
        return kt_err_set(err, KT_EINVAL, "UUIDv7 time overflow; check the clock");
      ms++;
      seq = ((unsigned)r[8] << 8 | r[9]) & 0x7FFu;
    }
  }
  g->last_ms = ms;
  g->seq = (uint16_t)seq;
  for (int i = 0; i < 6; i++) out->b[i] = (unsigned char)(ms >> (40 - 8 * i));
  out->b[6] = (unsigned char)(0x70 | (seq >> 8));
  out->b[7] = (unsigned char)(seq & 0xFF);
  out->b[8] = (unsigned char)(0x80 | (r[0] & 0x3F));
  memcpy(out->b + 9, r + 1, 7);
  return 0;
}

void kt_uuid_format(const kt_uuid *u, char out[KT_UUID_STRLEN + 1]) {
  static const char hex[] = "0123456789abcdef";
  char *w = out;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *w++ = '-';
    *w++ = hex[u->b[i] >> 4];
    *w++ = hex[u->b[i] & 15];
  }
  *w = '\0';
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int kt_uuid_parse(const char *s, kt_uuid *out) {
  if (!s) return KT_EINVAL;
  kt_uuid u;
  size_t j = 0;
  for (size_t i = 0; i < KT_UUID_STRLEN; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return KT_EINVAL;
      continue;
    }
    int hi = hexval(s[i]);
    if (hi < 0) return KT_EINVAL; /* also stops at the NUL of a short string */
    int lo = hexval(s[++i]);
    if (lo < 0) return KT_EINVAL;
    u.b[j++] = (unsigned char)(hi << 4 | lo);
  }
  if (s[KT_UUID_STRLEN] != '\0') return KT_EINVAL;
  *out = u;
  return 0;
}

bool kt_uuid_str_is_valid(const char *s) {
  kt_uuid u;
  return kt_uuid_parse(s, &u) == 0;
}

uint64_t kt_uuid_v7_ms(const kt_uuid *u) {
  uint64_t ms = 0;
  for (int i = 0; i < 6; i++) ms = ms << 8 | u->b[i];
  return ms;
}

int kt_uuid_version(const kt_uuid *u) { return u->b[6] >> 4; }

int kt_uuid_cmp(const kt_uuid *a, const kt_uuid *b) {
  int c = memcmp(a->b, b->b, 16);
  return (c > 0) - (c < 0);
}

int kt_uuid_new_str(char out[KT_UUID_STRLEN + 1], kt_err *err) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  kt_uuid_gen g;
  memset(&g, 0, sizeof g);
  /* a stack generator needs only 10 bytes: skip the 256-byte pool refill */
  unsigned char r[10];
  int rc = kt_random_bytes(r, sizeof r, err);
  if (rc) return rc;
  memcpy(g.pool + sizeof g.pool - sizeof r, r, sizeof r);
  g.pool_left = sizeof r;
  kt_uuid u;
  rc = kt_uuid_gen_next(&g, ms, &u, err);
  if (rc) return rc;
  kt_uuid_format(&u, out);
  return 0;
}

void kt_uuid_derive(const char *key, size_t n, char out[KT_UUID_STRLEN + 1]) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)key, n, h);
  h[6] = (unsigned char)((h[6] & 0x0f) | 0x80); /* version 8: name-based, custom */
  h[8] = (unsigned char)((h[8] & 0x3f) | 0x80); /* RFC 9562 variant */
  kt_uuid u;
  memcpy(u.b, h, sizeof u.b);
  kt_uuid_format(&u, out);
}
