/* kt_uuid — UUIDv7 identifiers (RFC 9562) for records, devices and sessions.
 *
 * Layout: 48-bit big-endian unix ms | version 7 | 12-bit rand_a used as a counter
 * | variant 10 | 62 random bits. Ids from one kt_uuid_gen strictly increase (as
 * bytes and as strings), even within one millisecond or if the clock goes back;
 * ids from different generators are ordered by time only. A generator is owned
 * by one thread (no locking); random bytes come from getrandom(). */
#ifndef KT_UUID_H
#define KT_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kt_err.h"

#define KT_UUID_STRLEN 36

typedef struct kt_uuid {
  unsigned char b[16];
} kt_uuid;

/* Generator state; zero-init is valid. */
typedef struct kt_uuid_gen {
  uint64_t last_ms;        /* ms embedded in the last id */
  uint16_t seq;            /* 12-bit counter of the last id */
  unsigned char pool[256]; /* buffered random bytes */
  size_t pool_left;        /* unused bytes at the end of pool */
} kt_uuid_gen;

/* Makes the next id for time unix_ms into *out. If unix_ms <= the last ms used,
 * the last ms is kept and the counter incremented; when the 12-bit counter
 * overflows, the id borrows the next millisecond. A new millisecond starts the
 * counter at a random value below 0x800 (leaving room to count).
 * 0, KT_EINVAL (unix_ms does not fit in 48 bits) or KT_EIO (getrandom failed). */
int kt_uuid_gen_next(kt_uuid_gen *g, uint64_t unix_ms, kt_uuid *out, kt_err *err);

/* Writes lowercase 8-4-4-4-12 text and a NUL into out. */
void kt_uuid_format(const kt_uuid *u, char out[KT_UUID_STRLEN + 1]);

/* Parses exactly 36 chars of 8-4-4-4-12 hex (either case); any version. *out set
 * only on success. 0 or KT_EINVAL (also for s == NULL). */
int kt_uuid_parse(const char *s, kt_uuid *out);

/* True if kt_uuid_parse would accept s. */
bool kt_uuid_str_is_valid(const char *s);

/* The unix ms embedded in a v7 id (meaningless for other versions). */
uint64_t kt_uuid_v7_ms(const kt_uuid *u);

/* The version nibble (7 for ids made here). */
int kt_uuid_version(const kt_uuid *u);

/* memcmp order: <0, 0, >0. For v7 ids this is creation order. */
int kt_uuid_cmp(const kt_uuid *a, const kt_uuid *b);

/* Fresh v7 id text for the current time (uses its own generator on the stack,
 * so ids from separate calls are ordered by ms only). 0 or KT_EIO. */
int kt_uuid_new_str(char out[KT_UUID_STRLEN + 1], kt_err *err);

/* A name-based id: the same key gives the same id on every PC (SHA-256 of
 * the key's n bytes, version 8, RFC 9562 variant), for records whose identity
 * is their content (reminder states, taggings, an imported file's UID). Lowercase text
 * and a NUL into out. */
void kt_uuid_derive(const char *key, size_t n, char out[KT_UUID_STRLEN + 1]);

/* Fills buf with n bytes from getrandom(); loops on EINTR and short reads.
 * 0 or KT_EIO (err says why). */
int kt_random_bytes(void *buf, size_t n, kt_err *err);

#endif
