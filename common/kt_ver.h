/* kt_ver — per-field versions of one record and sets of field indices.
 *
 * Every field value carries the (HLC stamp, device) that wrote it; the higher
 * pair wins on every replica (ties on the stamp are broken by the device's
 * UUID, compared by the caller that knows the UUIDs). A record's versions are
 * kept as one compact blob: fields written together share a group
 * {stamp, device, field set}, so a freshly created card costs ~15 bytes.
 * Device numbers are local indices into the replica's device table; 0 = never
 * written. Plain data, no allocation except into a caller's kt_buf. */
#ifndef KT_VER_H
#define KT_VER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kt_buf.h"
#include "kt_hlc.h"
#include "kt_registry.h"

typedef struct kt_fver {
  kt_stamp stamp; /* 0 = never written */
  uint32_t dev;   /* local device index */
} kt_fver;

typedef struct kt_vers {
  kt_fver f[KT_MAX_FIELDS]; /* by field version index */
} kt_vers;

/* A set of field version indices (0..KT_MAX_FIELDS-1). */
typedef struct kt_fset {
  uint64_t w[2];
} kt_fset;

static inline void kt_fset_add(kt_fset *s, int i) { s->w[i >> 6] |= 1ull << (i & 63); }
static inline bool kt_fset_has(const kt_fset *s, int i) { return (s->w[i >> 6] >> (i & 63)) & 1; }
static inline bool kt_fset_empty(const kt_fset *s) { return !(s->w[0] | s->w[1]); }
static inline void kt_fset_or(kt_fset *d, const kt_fset *s) {
  d->w[0] |= s->w[0];
  d->w[1] |= s->w[1];
}

/* Encodes/decodes a field set as two varints (2..20 bytes). decode: 0 or -1. */
void kt_fset_encode(const kt_fset *s, kt_buf *out);
int kt_fset_decode(const void *blob, size_t len, kt_fset *out);

/* Encodes only the fields with a non-zero stamp (all of them when only==NULL,
 * else those in *only). */
void kt_vers_encode(const kt_vers *v, const kt_fset *only, kt_buf *out);
/* Decodes into *out (zero-filled first). 0, or -1 for a malformed blob. */
int kt_vers_decode(const void *blob, size_t len, kt_vers *out);
/* Highest stamp of any field (0 if none). */
kt_stamp kt_vers_max(const kt_vers *v);

#endif
