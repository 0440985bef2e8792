/* kt_pwhash — password hashing for user accounts: Argon2id (libargon2) with
 * the OWASP parameters m = 19456 KiB, t = 2, p = 1, a 16-byte random salt and
 * a 32-byte tag, stored as the standard encoded string "$argon2id$v=19$...".
 * Users: the server's login, `kartotekad init` and `user add|passwd`.
 * Each hash takes ~20 MiB and tens of milliseconds of CPU: run it off the loop
 * thread (uv_queue_work) and limit how many run at once (the caller's job).
 * No global state; thread-safe. */
#ifndef KT_PWHASH_H
#define KT_PWHASH_H

#include <stdbool.h>
#include <stddef.h>

#include "kt_err.h"

#define KT_PWHASH_M_KIB 19456
#define KT_PWHASH_T 2
#define KT_PWHASH_P 1
#define KT_PWHASH_SALT_LEN 16
#define KT_PWHASH_TAG_LEN 32
#define KT_PWHASH_ENCODED_MAX 128 /* buffer size that always fits an encoded hash */
#define KT_PWHASH_PW_MAX 1024     /* longest password accepted, bytes */

/* Hashes the NUL-terminated password pw into out (outsz >= KT_PWHASH_ENCODED_MAX
 * is always enough) as "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<tag>".
 * KT_EINVAL for an empty or over-long password or a small buffer, KT_ENOMEM,
 * KT_EINTERNAL (no randomness). out is untouched on error. */
int kt_pwhash_hash(const char *pw, char *out, size_t outsz, kt_err *err);

/* Checks pw against an encoded hash made by kt_pwhash_hash (or any Argon2id
 * encoding within sane limits: m <= 1 GiB, t <= 16, p <= 16). The comparison
 * of tags is constant-time. Returns 0 on match, KT_EAUTH on mismatch (also for
 * an over-long password), KT_EINVAL for a malformed or non-Argon2id encoding,
 * KT_ENOMEM. */
int kt_pwhash_verify(const char *encoded, const char *pw);

/* True when encoded uses other parameters than the current ones (or is not
 * Argon2id): the caller rehashes after the next successful login. */
bool kt_pwhash_needs_rehash(const char *encoded);

#endif
