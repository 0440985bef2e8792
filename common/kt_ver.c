/* kt_ver — see kt_ver.h. Blob layout: varint ngroups, then per group:
 * u64le stamp, varint device, varint mask[0], varint mask[1]. */
#include "kt_ver.h"

#include <string.h>

void kt_fset_encode(const kt_fset *s, kt_buf *out) {
  kt_buf_put_varint(out, s->w[0]);
  kt_buf_put_varint(out, s->w[1]);
}

int kt_fset_decode(const void *blob, size_t len, kt_fset *out) {
  const unsigned char *p = blob, *end = p + len;
  memset(out, 0, sizeof *out);
  if (!len) return 0;
  if (kt_varint_get(&p, end, &out->w[0]) || kt_varint_get(&p, end, &out->w[1])) return -1;
  return 0;
}

typedef struct group {
  kt_stamp stamp;
  uint32_t dev;
  kt_fset set;
} group;

void kt_vers_encode(const kt_vers *v, const kt_fset *only, kt_buf *out) {
  group g[KT_MAX_FIELDS];
  int ng = 0;
  for (int i = 0; i < KT_MAX_FIELDS; i++) {
    const kt_fver *f = &v->f[i];
    if (!f->stamp || (only && !kt_fset_has(only, i))) continue;
    int j = 0;
    while (j < ng && !(g[j].stamp == f->stamp && g[j].dev == f->dev)) j++;
    if (j == ng) {
      g[ng].stamp = f->stamp;
      g[ng].dev = f->dev;
      memset(&g[ng].set, 0, sizeof g[ng].set);
      ng++;
    }
    kt_fset_add(&g[j].set, i);
  }
  kt_buf_put_varint(out, (uint64_t)ng);
  for (int j = 0; j < ng; j++) {
    kt_buf_put_u64le(out, g[j].stamp);
    kt_buf_put_varint(out, g[j].dev);
    kt_fset_encode(&g[j].set, out);
  }
}

int kt_vers_decode(const void *blob, size_t len, kt_vers *out) {
  memset(out, 0, sizeof *out);
  if (!len) return 0;
  const unsigned char *p = blob, *end = p + len;
  uint64_t ng;
  if (kt_varint_get(&p, end, &ng) || ng > KT_MAX_FIELDS) return -1;
  for (uint64_t j = 0; j < ng; j++) {
    if (end - p < 8) return -1;
    kt_stamp st = 0;
    for (int b = 0; b < 8; b++) st |= (uint64_t)p[b] << (8 * b);
    p += 8;
    uint64_t dev, w0, w1;
    if (kt_varint_get(&p, end, &dev) || kt_varint_get(&p, end, &w0) ||
        kt_varint_get(&p, end, &w1) || dev > UINT32_MAX)
      return -1;
    uint64_t w[2] = {w0, w1};
    for (int i = 0; i < KT_MAX_FIELDS; i++)
      if ((w[i >> 6] >> (i & 63)) & 1) {
        out->f[i].stamp = st;
        out->f[i].dev = (uint32_t)dev;
      }
  }
  return p == end ? 0 : -1;
}

kt_stamp kt_vers_max(const kt_vers *v) {
  kt_stamp m = 0;
  for (int i = 0; i < KT_MAX_FIELDS; i++)
    if (v->f[i].stamp > m) m = v->f[i].stamp;
  return m;
}
