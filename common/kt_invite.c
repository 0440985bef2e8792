/* kt_invite — see kt_invite.h. Payload: "addresses|ca_fpr|secret|user".
 * KT2: base64url without padding of payload || the first 4 bytes of
 * SHA-256("KT2" || payload) — a lost or changed character fails the check
 * (1 in 4 billion passes by chance), and a token whose length cannot be
 * base64 is damaged too. KT1: base64url of the payload alone. */
#include "kt_invite.h"

#include <openssl/sha.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CHECK_LEN 4
#define PAYLOAD_MAX 1024
#define TOKEN_MAX 1600 /* characters after white space is removed */

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void checksum(const unsigned char *p, size_t n, unsigned char out[CHECK_LEN]) {
  unsigned char buf[3 + PAYLOAD_MAX + CHECK_LEN], h[SHA256_DIGEST_LENGTH];
  if (n > PAYLOAD_MAX + CHECK_LEN) n = PAYLOAD_MAX + CHECK_LEN; /* callers never pass more */
  memcpy(buf, "KT2", 3);
  memcpy(buf + 3, p, n);
  SHA256(buf, 3 + n, h);
  memcpy(out, h, CHECK_LEN);
}

static void b64_encode(const unsigned char *p, size_t n, kt_buf *out) {
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    char q[4] = {b64url[v >> 18], b64url[(v >> 12) & 63], b64url[(v >> 6) & 63], b64url[v & 63]};
    kt_buf_append(out, q, 4);
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)p[i] << 16;
    char q[2] = {b64url[v >> 18], b64url[(v >> 12) & 63]};
    kt_buf_append(out, q, 2);
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
    char q[3] = {b64url[v >> 18], b64url[(v >> 12) & 63], b64url[(v >> 6) & 63]};
    kt_buf_append(out, q, 3);
  }
}

static int b64_val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-' || c == '+') return 62; /* '+' and '/': a token run through a plain encoder */
  if (c == '_' || c == '/') return 63;
  return -1;
}

/* Strict base64url (no padding) into out; the number of bytes, or -1 for a
 * character outside the alphabet, a length no encoder makes, or non-zero
 * bits after the last byte. */
static long b64_decode(const char *s, size_t n, unsigned char *out, size_t cap) {
  if (n % 4 == 1) return -1;
  size_t k = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_val(s[i]);
    if (v < 0) return -1;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (k >= cap) return -1;
      out[k++] = (unsigned char)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return -1; /* a canonical encoder leaves the spare bits zero */
  return (long)k;
}

int kt_invite_encode(const kt_invite *inv, kt_buf *out, kt_err *err) {
  const char *parts[] = {inv->addresses, inv->ca_fpr, inv->secret, inv->user};
  for (int i = 0; i < 4; i++)
    if (strchr(parts[i], '|') || !parts[i][0])
      return kt_err_set(err, KT_EINVAL, "invite part %d is empty or contains '|'", i);
  unsigned char payload[PAYLOAD_MAX + CHECK_LEN];
  int n = snprintf((char *)payload, PAYLOAD_MAX, "%s|%s|%s|%s", inv->addresses, inv->ca_fpr,
                   inv->secret, inv->user);
  if (n < 0 || n >= PAYLOAD_MAX) return kt_err_set(err, KT_EINVAL, "invite too long");
  checksum(payload, (size_t)n, payload + n);
  kt_buf_puts(out, "KT2.");
  b64_encode(payload, (size_t)n + CHECK_LEN, out);
  return out->oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}

static bool all_hex(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
      return false;
  return true;
}

static int damaged(kt_err *err) { return kt_err_set(err, KT_EINVAL, "%s", KT_INVITE_DAMAGED); }

int kt_invite_decode(const char *token, kt_invite *out, kt_err *err) {
  /* white space anywhere is dropped: mail programs wrap long lines */
  char tok[TOKEN_MAX + 1];
  size_t len = 0;
  for (const char *p = token ? token : ""; *p; p++) {
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') continue;
    if (len == TOKEN_MAX) return damaged(err); /* far longer than any invite */
    tok[len++] = *p;
  }
  tok[len] = '\0';
  int version = 0;
  if (len >= 4 && strncmp(tok, "KT", 2) == 0 && tok[2] >= '1' && tok[2] <= '9' && tok[3] == '.')
    version = tok[2] - '0';
  if (!version)
    return kt_err_set(err, KT_EINVAL, "this is not a Kartoteka invite (it should start with "
                      "KT2.); copy the whole invite your administrator sent");
  if (version > 2)
    return kt_err_set(err, KT_EVERSION, "this invite was made by a newer Kartoteka server "
                      "(KT%d); update Kartoteka on this PC, then connect again", version);
  unsigned char dec[PAYLOAD_MAX + CHECK_LEN + 8];
  long n = b64_decode(tok + 4, len - 4, dec, sizeof dec - 1);
  if (n < 0) return damaged(err);
  if (version == 2) {
    unsigned char sum[CHECK_LEN];
    if (n <= CHECK_LEN) return damaged(err);
    n -= CHECK_LEN;
    checksum(dec, (size_t)n, sum);
    if (memcmp(sum, dec + n, CHECK_LEN) != 0) return damaged(err);
  }
  dec[n] = '\0';
  if (memchr(dec, '\0', (size_t)n)) return damaged(err);
  char *fields[4] = {0};
  char *p = (char *)dec;
  for (int i = 0; i < 4; i++) {
    fields[i] = p;
    char *bar = strchr(p, '|');
    if (i < 3) {
      if (!bar) return damaged(err);
      *bar = '\0';
      p = bar + 1;
    } else if (bar) {
      return damaged(err);
    }
  }
  kt_invite v;
  memset(&v, 0, sizeof v);
  if (snprintf(v.addresses, sizeof v.addresses, "%s", fields[0]) >= (int)sizeof v.addresses ||
      snprintf(v.ca_fpr, sizeof v.ca_fpr, "%s", fields[1]) >= (int)sizeof v.ca_fpr ||
      snprintf(v.secret, sizeof v.secret, "%s", fields[2]) >= (int)sizeof v.secret ||
      snprintf(v.user, sizeof v.user, "%s", fields[3]) >= (int)sizeof v.user ||
      !fields[0][0] || !fields[3][0] || strlen(fields[1]) != 64 || !all_hex(fields[1]) ||
      !all_hex(fields[2]))
    return damaged(err);
  *out = v;
  return 0;
}
