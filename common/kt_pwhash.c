/* kt_pwhash — see kt_pwhash.h. */
#include "kt_pwhash.h"

#include <argon2.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kt_plat.h"

#define PREFIX "$argon2id$v=19$"

static int fill_random(unsigned char *p, size_t n) { return kt_plat_random(p, n); }

int kt_pwhash_hash(const char *pw, char *out, size_t outsz, kt_err *err) {
  if (!pw || !*pw) return kt_err_set(err, KT_EINVAL, "the password is empty");
  size_t len = strlen(pw);
  if (len > KT_PWHASH_PW_MAX)
    return kt_err_set(err, KT_EINVAL, "the password is longer than %d bytes", KT_PWHASH_PW_MAX);
  unsigned char salt[KT_PWHASH_SALT_LEN];
  if (fill_random(salt, sizeof salt))
    return kt_err_set(err, KT_EINTERNAL, "no random numbers for the password salt: %s",
                      strerror(errno));
  char enc[KT_PWHASH_ENCODED_MAX];
  int rc = argon2id_hash_encoded(KT_PWHASH_T, KT_PWHASH_M_KIB, KT_PWHASH_P, pw, len, salt,
                                 sizeof salt, KT_PWHASH_TAG_LEN, enc, sizeof enc);
  if (rc != ARGON2_OK)
    return kt_err_set(err, rc == ARGON2_MEMORY_ALLOCATION_ERROR ? KT_ENOMEM : KT_EINTERNAL,
                      "password hashing failed: %s", argon2_error_message(rc));
  size_t el = strlen(enc);
  if (el >= outsz)
    return kt_err_set(err, KT_EINVAL, "password hash buffer too small (%zu bytes, need %zu)",
                      outsz, el + 1);
  memcpy(out, enc, el + 1);
  return 0;
}

/* Reads m, t, p of an Argon2id encoding; 0 ok, -1 when it is not one. */
static int parse_params(const char *enc, unsigned *m, unsigned *t, unsigned *p) {
  if (!enc || strncmp(enc, PREFIX, strlen(PREFIX)) != 0) return -1;
  int n = 0;
  if (sscanf(enc + strlen(PREFIX), "m=%u,t=%u,p=%u$%n", m, t, p, &n) != 3 || n == 0) return -1;
  return 0;
}

int kt_pwhash_verify(const char *encoded, const char *pw) {
  unsigned m, t, p;
  if (parse_params(encoded, &m, &t, &p)) return KT_EINVAL;
  /* the encoding sets the cost: refuse values that would exhaust the server */
  if (m < 8 || m > 1024u * 1024u || t < 1 || t > 16 || p < 1 || p > 16) return KT_EINVAL;
  if (strlen(encoded) >= 512) return KT_EINVAL;
  if (!pw) return KT_EAUTH;
  size_t len = strlen(pw);
  if (len > KT_PWHASH_PW_MAX) return KT_EAUTH;
  int rc = argon2id_verify(encoded, pw, len);
  switch (rc) {
    case ARGON2_OK: return 0;
    case ARGON2_VERIFY_MISMATCH: return KT_EAUTH;
    case ARGON2_MEMORY_ALLOCATION_ERROR: return KT_ENOMEM;
    default: return KT_EINVAL;
  }
}

bool kt_pwhash_needs_rehash(const char *encoded) {
  unsigned m, t, p;
  if (parse_params(encoded, &m, &t, &p)) return true;
  return m != KT_PWHASH_M_KIB || t != KT_PWHASH_T || p != KT_PWHASH_P;
}
