/* kt_frame — see kt_frame.h.
 *
 * Decoding happens in two passes. wire_check() walks the raw bytes with the
 * generated descriptors before protobuf-c unpacks them. It rejects what
 * protobuf-c would mishandle or what would hurt us: tags whose field number is
 * over 2^29-1 (protobuf-c 1.4.1 parse_tag_and_wiretype() shifts such bytes
 * into a signed int: undefined behaviour, upstream issue #506), group wire
 * types, lengths past the end, NUL bytes inside strings (protobuf-c would
 * silently truncate them) and messages that would expand too much in memory.
 * Only then does protobuf_c_message_unpack() run. */
#include "kt_frame.h"
#include "kt_utf8.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keep at most this much buffer capacity while idle. */
#define KEEP_CAP (64u * 1024u)
#define PATH_MAX_LEN 160

/* ---- encoding ------------------------------------------------------------ */

int kt_frame_encode_max(const Kartoteka__Envelope *env, size_t max_frame, kt_buf *out,
                        kt_err *err) {
  if (!env || !out) return kt_err_set(err, KT_EINVAL, "kt_frame_encode: no envelope or buffer");
  if (max_frame == 0) max_frame = KT_FRAME_MAX_DEFAULT;
  if (max_frame > KT_FRAME_MAX_LIMIT) max_frame = KT_FRAME_MAX_LIMIT;
  if (env->body_case == KARTOTEKA__ENVELOPE__BODY__NOT_SET)
    return kt_err_set(err, KT_EINVAL, "cannot send an envelope without a message body");
  size_t n = protobuf_c_message_get_packed_size(&env->base);
  if (n > max_frame)
    return kt_err_set(err, KT_ETOOBIG,
                      "the %s message is %zu bytes, over the %zu-byte frame limit; "
                      "send it in smaller batches",
                      kt_frame_body_name(env), n, max_frame);
  if (kt_buf_reserve(out, KT_FRAME_HEADER + n))
    return kt_err_set(err, KT_ENOMEM, "out of memory encoding a %zu-byte frame", n);
  unsigned char *p = (unsigned char *)out->p + out->len;
  p[0] = (unsigned char)(n >> 24);
  p[1] = (unsigned char)(n >> 16);
  p[2] = (unsigned char)(n >> 8);
  p[3] = (unsigned char)n;
  size_t w = protobuf_c_message_pack(&env->base, p + KT_FRAME_HEADER);
  if (w != n) {
    out->p[out->len] = '\0';
    return kt_err_set(err, KT_EINTERNAL, "protobuf packing wrote %zu bytes, expected %zu", w, n);
  }
  out->len += KT_FRAME_HEADER + n;
  out->p[out->len] = '\0';
  return 0;
}

int kt_frame_encode(const Kartoteka__Envelope *env, kt_buf *out, kt_err *err) {
  return kt_frame_encode_max(env, KT_FRAME_MAX_DEFAULT, out, err);
}

/* ---- wire check ---------------------------------------------------------- */

typedef struct wire_ctx {
  size_t budget; /* bytes of memory the decoded message may still take */
  kt_err *err;
} wire_ctx;

/* Reads a varint of at most 10 bytes; 0 ok, -1 malformed. */
static int wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  for (unsigned i = 0; i < 10; i++) {
    if (*p >= end) return -1;
    uint8_t c = *(*p)++;
    if (i == 9 && c > 1) return -1; /* would overflow 64 bits */
    v |= (uint64_t)(c & 0x7f) << (7 * i);
    if (!(c & 0x80)) {
      *out = v;
      return 0;
    }
  }
  return -1;
}

static int wire_spend(wire_ctx *w, size_t n) {
  if (n > w->budget)
    return kt_err_set(w->err, KT_ETOOBIG,
                      "the message would take too much memory once decoded; "
                      "send smaller batches");
  w->budget -= n;
  return 0;
}

static int wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t len,
                      wire_ctx *w) {
  const uint8_t *end = p + len;
  int rc = wire_spend(w, desc->sizeof_message + 16);
  if (rc) return rc;
  while (p < end) {
    uint64_t tag;
    if (wire_varint(&p, end, &tag))
      return kt_err_set(w->err, KT_EPROTO, "malformed protobuf: bad field tag in %s",
                        desc->short_name);
    /* field numbers are 1 .. 2^29-1, so a valid tag fits in 32 bits */
    if (tag > UINT32_MAX || (tag >> 3) == 0)
      return kt_err_set(w->err, KT_EPROTO, "malformed protobuf: invalid field number in %s",
                        desc->short_name);
    uint32_t id = (uint32_t)(tag >> 3);
    unsigned wt = (unsigned)(tag & 7);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(desc, id);
    /* per occurrence: protobuf-c's scan slot plus a repeated-array slot */
    if ((rc = wire_spend(w, 40))) return rc;
    uint64_t v;
    switch (wt) {
      case 0: /* varint */
        if (wire_varint(&p, end, &v))
          return kt_err_set(w->err, KT_EPROTO, "malformed protobuf: bad varint in %s",
                            desc->short_name);
        break;
      case 1: /* 64-bit */
        if ((size_t)(end - p) < 8)
          return kt_err_set(w->err, KT_EPROTO, "malformed protobuf: truncated %s",
                            desc->short_name);
        p += 8;
        break;
      case 5: /* 32-bit */
        if ((size_t)(end - p) < 4)
          return kt_err_set(w->err, KT_EPROTO, "malformed protobuf: truncated %s",
                            desc->short_name);
        p += 4;
        break;
      case 2: { /* length-delimited */
        if (wire_varint(&p, end, &v) || v > (uint64_t)(end - p))
          return kt_err_set(w->err, KT_EPROTO,
                            "malformed protobuf: length past the end of %s", desc->short_name);
        size_t n = (size_t)v;
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
          if ((rc = wire_check(f->descriptor, p, n, w))) return rc;
        } else {
          if (f && f->type == PROTOBUF_C_TYPE_STRING && memchr(p, 0, n))
            return kt_err_set(w->err, KT_EPROTO, "%s.%s: text contains a NUL byte",
                              desc->short_name, f->name);
          if ((rc = wire_spend(w, n + 17))) return rc;
        }
        p += n;
        break;
      }
      default: /* 3, 4: groups (unsupported); 6, 7: invalid */
        return kt_err_set(w->err, KT_EPROTO, "malformed protobuf: wire type %u in %s", wt,
                          desc->short_name);
    }
  }
  return 0;
}

/* ---- decoded envelopes live in an arena ------------------------------------- */

/* protobuf-c makes one allocation per message, string and array: a 5,000-change
 * page is about 100,000 of them, and malloc + free of those was a sixth of a
 * client's pull time. Every envelope kt_frame_reader_next returns lives in
 * blocks of its own instead (the first sized from wire_check's estimate, so
 * usually one), freed at once by kt_frame_env_free. The arena's header is the
 * first allocation of the first block and the envelope the second, so the
 * header sits just before the envelope. */
typedef struct arena_blk {
  struct arena_blk *next;
  size_t cap, used;
} arena_blk;

typedef struct frame_arena {
  uint64_t magic;
  arena_blk *head;     /* newest block first; the first block is the last */
  size_t next_cap;
  ProtobufCAllocator pa;
  void *env;           /* the envelope (the second allocation) */
} frame_arena;

#define ARENA_MAGIC 0x6b74617265616e61ull
#define AL16(x) (((x) + 15) & ~(size_t)15)
#define BLK_HDR AL16(sizeof(arena_blk))

static void *arena_take(arena_blk *b, size_t size) {
  void *p = (char *)b + BLK_HDR + b->used;
  b->used += size;
  return p;
}

static void *arena_alloc(void *ud, size_t size) {
  frame_arena *a = ud;
  size = AL16(size ? size : 1);
  arena_blk *b = a->head;
  if (b->cap - b->used < size) {
    size_t cap = a->next_cap > size ? a->next_cap : size;
    if (!(b = malloc(BLK_HDR + cap))) return NULL;
    b->cap = cap;
    b->used = 0;
    b->next = a->head;
    a->head = b;
    a->next_cap = cap * 2;
  }
  return arena_take(b, size);
}

static void arena_free(void *ud, void *p) { /* everything goes at once */
  (void)ud;
  (void)p;
}

static frame_arena *arena_new(size_t estimate) {
  size_t cap = AL16(sizeof(frame_arena)) + AL16(estimate) + 1024;
  arena_blk *b = malloc(BLK_HDR + cap);
  if (!b) return NULL;
  b->cap = cap;
  b->used = 0;
  b->next = NULL;
  frame_arena *a = arena_take(b, AL16(sizeof(frame_arena)));
  a->magic = ARENA_MAGIC;
  a->head = b;
  a->next_cap = cap;
  a->pa.alloc = arena_alloc;
  a->pa.free = arena_free;
  a->pa.allocator_data = a;
  a->env = NULL;
  return a;
}

static void arena_destroy(frame_arena *a) {
  arena_blk *b = a->head; /* a lives in the last block: read before freeing */
  a->magic = 0;
  while (b) {
    arena_blk *next = b->next;
    free(b);
    b = next;
  }
}

/* ---- reader -------------------------------------------------------------- */

void kt_frame_reader_init(kt_frame_reader *r, size_t max_frame) {
  if (max_frame == 0) max_frame = KT_FRAME_MAX_DEFAULT;
  if (max_frame > KT_FRAME_MAX_LIMIT) max_frame = KT_FRAME_MAX_LIMIT;
  kt_buf b = KT_BUF_INIT;
  r->buf = b;
  r->off = 0;
  r->max_frame = max_frame;
  r->failed = 0;
}

void kt_frame_reader_close(kt_frame_reader *r) {
  if (!r) return;
  kt_buf_free(&r->buf);
  r->off = 0;
}

size_t kt_frame_reader_pending(const kt_frame_reader *r) { return r->buf.len - r->off; }

static uint32_t get_be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int reader_fail(kt_frame_reader *r, int code) {
  r->failed = code;
  kt_buf_free(&r->buf);
  r->off = 0;
  return code;
}

static int reader_failed_again(const kt_frame_reader *r, kt_err *err) {
  return kt_err_set(err, r->failed,
                    "the connection's message stream failed earlier (%s); reconnect",
                    kt_strerror(r->failed));
}

/* Fails the reader if the pending frame's length prefix is over the limit. */
static int check_prefix(kt_frame_reader *r, kt_err *err) {
  if (r->buf.len - r->off < KT_FRAME_HEADER) return 0;
  uint32_t n = get_be32((const unsigned char *)r->buf.p + r->off);
  if (n > r->max_frame) {
    reader_fail(r, KT_ETOOBIG);
    return kt_err_set(err, KT_ETOOBIG,
                      "incoming message of %lu bytes is over the %zu-byte limit",
                      (unsigned long)n, r->max_frame);
  }
  return 0;
}

int kt_frame_reader_feed(kt_frame_reader *r, const void *data, size_t len, kt_err *err) {
  if (r->failed) return reader_failed_again(r, err);
  if (len == 0) return 0;
  size_t rest = r->buf.len - r->off;
  if (r->off > 0) {
    if (r->buf.cap > KEEP_CAP && rest + len < r->buf.cap / 4) {
      /* shrink: a big frame went through and the buffer is now mostly idle */
      kt_buf nb = KT_BUF_INIT;
      kt_buf_append(&nb, r->buf.p + r->off, rest);
      if (nb.oom) {
        kt_buf_free(&nb);
        reader_fail(r, KT_ENOMEM);
        return kt_err_set(err, KT_ENOMEM, "out of memory buffering received data");
      }
      kt_buf_free(&r->buf);
      r->buf = nb;
    } else {
      memmove(r->buf.p, r->buf.p + r->off, rest);
      r->buf.len = rest;
      r->buf.p[rest] = '\0';
    }
    r->off = 0;
  }
  /* Never buffer more than the current frame (once its prefix is known) plus
   * the bytes needed to see the next prefix: take the input in pieces. */
  const unsigned char *in = data;
  while (len > 0) {
    size_t take = len;
    if (r->buf.len - r->off < KT_FRAME_HEADER) {
      size_t need = KT_FRAME_HEADER - (r->buf.len - r->off);
      if (take > need) take = need;
    }
    kt_buf_append(&r->buf, in, take);
    if (r->buf.oom) {
      reader_fail(r, KT_ENOMEM);
      return kt_err_set(err, KT_ENOMEM, "out of memory buffering received data");
    }
    in += take;
    len -= take;
    int rc = check_prefix(r, err);
    if (rc) return rc;
    if (r->buf.len - r->off >= KT_FRAME_HEADER && len > 0) {
      /* prefix known and fine: the rest of this input may be buffered; the
       * next frame's prefix is checked by kt_frame_reader_next */
      kt_buf_append(&r->buf, in, len);
      if (r->buf.oom) {
        reader_fail(r, KT_ENOMEM);
        return kt_err_set(err, KT_ENOMEM, "out of memory buffering received data");
      }
      len = 0;
    }
  }
  return 0;
}

int kt_frame_reader_next(kt_frame_reader *r, Kartoteka__Envelope **env, kt_err *err) {
  if (r->failed) return reader_failed_again(r, err);
  size_t avail = r->buf.len - r->off;
  if (avail < KT_FRAME_HEADER) return 0;
  int rc = check_prefix(r, err);
  if (rc) return rc;
  const unsigned char *p = (const unsigned char *)r->buf.p + r->off;
  size_t n = get_be32(p);
  if (avail - KT_FRAME_HEADER < n) return 0;
  p += KT_FRAME_HEADER;

  size_t budget = n > (SIZE_MAX - 65536) / KT_FRAME_EXPANSION
                      ? SIZE_MAX
                      : (size_t)KT_FRAME_EXPANSION * n + 65536;
  wire_ctx w = {.budget = budget, .err = err};
  rc = wire_check(&kartoteka__envelope__descriptor, p, n, &w);
  if (rc) return reader_fail(r, rc);

  frame_arena *a = arena_new(budget - w.budget);
  if (!a) {
    reader_fail(r, KT_ENOMEM);
    return kt_err_set(err, KT_ENOMEM, "out of memory decoding a %zu-byte message", n);
  }
  ProtobufCMessage *m = protobuf_c_message_unpack(&kartoteka__envelope__descriptor, &a->pa, n, p);
  if (!m) {
    arena_destroy(a);
    reader_fail(r, KT_EPROTO);
    return kt_err_set(err, KT_EPROTO, "malformed protobuf message (%zu bytes)", n);
  }
  if ((char *)m != (char *)a + AL16(sizeof(frame_arena))) { /* see frame_arena */
    arena_destroy(a);
    reader_fail(r, KT_EINTERNAL);
    return kt_err_set(err, KT_EINTERNAL, "unexpected protobuf-c allocation order");
  }
  a->env = m;
  Kartoteka__Envelope *e = (Kartoteka__Envelope *)m;
  if (e->body_case == KARTOTEKA__ENVELOPE__BODY__NOT_SET) {
    arena_destroy(a);
    reader_fail(r, KT_EPROTO);
    return kt_err_set(err, KT_EPROTO,
                      "unknown message type (the peer may run a newer version; update "
                      "Kartoteka)");
  }
  r->off += KT_FRAME_HEADER + n;
  if (r->off == r->buf.len) {
    if (r->buf.cap > KEEP_CAP)
      kt_buf_free(&r->buf);
    else
      kt_buf_reset(&r->buf);
    r->off = 0;
  }
  *env = e;
  return 1;
}

void kt_frame_env_free(Kartoteka__Envelope *env) {
  if (!env) return;
  frame_arena *a = (frame_arena *)((char *)env - AL16(sizeof(frame_arena)));
  if (a->magic == ARENA_MAGIC && a->env == env) arena_destroy(a);
  else protobuf_c_message_free_unpacked(&env->base, NULL); /* not from the reader */
}

const char *kt_frame_body_name(const Kartoteka__Envelope *env) {
  if (!env || env->body_case == KARTOTEKA__ENVELOPE__BODY__NOT_SET) return "none";
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field(&kartoteka__envelope__descriptor, env->body_case);
  return f ? f->name : "unknown";
}

/* ---- validation ---------------------------------------------------------- */

int kt_frame_utf8_valid(const char *str, size_t len) { return kt_utf8_valid(str, len); }

/* The path to the value being checked is kept as a stack of (name, index) and
 * only turned into text for an error message: formatting it for every value
 * made validation a sixth of a client's pull time. */
#define PATH_DEPTH 32

typedef struct val_ctx {
  struct {
    const char *name;
    long idx;
  } st[PATH_DEPTH];
  size_t depth; /* may exceed PATH_DEPTH; deeper levels are not named */
  kt_err *err;
} val_ctx;

static int vfail(val_ctx *v, const char *what) {
  char path[PATH_MAX_LEN] = "";
  size_t len = 0, n = v->depth < PATH_DEPTH ? v->depth : PATH_DEPTH;
  for (size_t i = 0; i < n && len < sizeof path - 1; i++) {
    int w;
    if (v->st[i].idx >= 0)
      w = snprintf(path + len, sizeof path - len, "%s%s[%ld]", len ? "." : "", v->st[i].name,
                   v->st[i].idx);
    else
      w = snprintf(path + len, sizeof path - len, "%s%s", len ? "." : "", v->st[i].name);
    if (w < 0) break;
    len += (size_t)w;
    if (len >= sizeof path) len = sizeof path - 1;
  }
  return kt_err_set(v->err, KT_EPROTO, "%s: %s", path[0] ? path : "envelope", what);
}

/* Enters ".name" or ".name[i]"; returns the old depth (path_pop restores it). */
static size_t path_push(val_ctx *v, const char *name, long idx) {
  size_t old = v->depth;
  if (old < PATH_DEPTH) {
    v->st[old].name = name;
    v->st[old].idx = idx;
  }
  v->depth = old + 1;
  return old;
}

static void path_pop(val_ctx *v, size_t old) { v->depth = old; }

static const char *str_or_empty(const char *s) { return s ? s : ""; }

static int validate_msg(const ProtobufCMessage *m, val_ctx *v);

/* Rules beyond the generic walk, keyed by message type. */
static int validate_specific(const ProtobufCMessage *m, val_ctx *v) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  if (d == &kartoteka__field_value__descriptor) {
    const Kartoteka__FieldValue *fv = (const Kartoteka__FieldValue *)m;
    if (!*str_or_empty(fv->name)) return vfail(v, "empty field name");
    if (fv->is_null && fv->value_case != KARTOTEKA__FIELD_VALUE__VALUE__NOT_SET)
      return vfail(v, "a null field value must not also carry a value");
  } else if (d == &kartoteka__change__descriptor) {
    const Kartoteka__Change *c = (const Kartoteka__Change *)m;
    if (!*str_or_empty(c->type)) return vfail(v, "empty record type");
    if (!*str_or_empty(c->id)) return vfail(v, "empty record id");
    if (c->n_fields > KT_FRAME_MAX_FIELDS) return vfail(v, "too many fields in one change");
  } else if (d == &kartoteka__revoke__descriptor) {
    const Kartoteka__Revoke *r = (const Kartoteka__Revoke *)m;
    if (!*str_or_empty(r->type)) return vfail(v, "empty record type");
    if (!*str_or_empty(r->id)) return vfail(v, "empty record id");
  } else if (d == &kartoteka__right__descriptor) {
    const Kartoteka__Right *r = (const Kartoteka__Right *)m;
    if (!*str_or_empty(r->entity)) return vfail(v, "empty entity name");
  } else if (d == &kartoteka__hello__descriptor) {
    const Kartoteka__Hello *h = (const Kartoteka__Hello *)m;
    if (h->protocol_version == 0) return vfail(v, "protocol_version is not set");
  }
  return 0;
}

static int validate_value(const ProtobufCFieldDescriptor *f, const char *slot, val_ctx *v) {
  switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
      const char *s = *(const char *const *)slot;
      if (s && !kt_frame_utf8_valid(s, strlen(s))) return vfail(v, "text is not valid UTF-8");
      return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
      const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)slot;
      if (!sub) return 0; /* unset proto3 message field */
      if (sub->descriptor != f->descriptor) return vfail(v, "message of the wrong type");
      return validate_msg(sub, v);
    }
    case PROTOBUF_C_TYPE_ENUM: {
      int32_t e;
      memcpy(&e, slot, sizeof e);
      if (!protobuf_c_enum_descriptor_get_value(f->descriptor, e))
        return vfail(v, "unknown enum value");
      return 0;
    }
    default:
      return 0;
  }
}

static size_t type_size(ProtobufCType t) {
  switch (t) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_ENUM:
      return 4;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
      return 8;
    case PROTOBUF_C_TYPE_BOOL:
      return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
      return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
      return sizeof(ProtobufCBinaryData);
  }
  return 0;
}

static int validate_msg(const ProtobufCMessage *m, val_ctx *v) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  const char *base = (const char *)m;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    int rc = 0;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      uint32_t which;
      memcpy(&which, base + f->quantifier_offset, sizeof which);
      if (which != f->id) continue;
    }
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n;
      memcpy(&n, base + f->quantifier_offset, sizeof n);
      if (n == 0) continue;
      size_t old = path_push(v, f->name, -1);
      if (n > KT_FRAME_MAX_REPEATED) rc = vfail(v, "too many elements");
      path_pop(v, old);
      if (rc) return rc;
      const char *arr = *(const char *const *)(base + f->offset);
      if (!arr) {
        path_push(v, f->name, -1);
        rc = vfail(v, "count set but no elements");
        path_pop(v, old);
        return rc;
      }
      size_t es = type_size(f->type);
      if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE &&
          f->type != PROTOBUF_C_TYPE_ENUM)
        continue;
      for (size_t k = 0; k < n; k++) {
        path_push(v, f->name, (long)k);
        rc = validate_value(f, arr + k * es, v);
        path_pop(v, old);
        if (rc) return rc;
      }
    } else {
      size_t old = path_push(v, f->name, -1);
      rc = validate_value(f, base + f->offset, v);
      path_pop(v, old);
      if (rc) return rc;
    }
  }
  return validate_specific(m, v);
}

int kt_frame_env_validate(const Kartoteka__Envelope *env, kt_err *err) {
  val_ctx v = {.depth = 0, .err = err};
  if (!env || env->base.descriptor != &kartoteka__envelope__descriptor)
    return kt_err_set(err, KT_EPROTO, "not an envelope");
  if (env->body_case == KARTOTEKA__ENVELOPE__BODY__NOT_SET)
    return kt_err_set(err, KT_EPROTO, "unknown message type");
  /* the body must be present: protobuf-c leaves the pointer set for a known arm */
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field(&kartoteka__envelope__descriptor, env->body_case);
  if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
    return kt_err_set(err, KT_EPROTO, "unknown message type");
  const ProtobufCMessage *body = *(const ProtobufCMessage *const *)((const char *)env + f->offset);
  if (!body) return kt_err_set(err, KT_EPROTO, "%s: message body missing", f->name);
  return validate_msg(&env->base, &v);
}
