/* kt_frame — wire framing of the sync protocol: a 4-byte big-endian length,
 * then one packed kartoteka.Envelope (proto/kartoteka.proto).
 *
 * Used by the server's connections and the client's sync engine, on top of
 * kt_tls plaintext. No I/O: bytes in, envelopes out. The reader never buffers
 * the payload of a frame whose length prefix is over its limit, checks the
 * wire format before protobuf-c sees it (tag ranges, nested lengths, NUL bytes
 * in strings, memory expansion), and stays failed after the first error: the
 * caller sends Error{code, message} and closes. No global state; one reader
 * per connection, used from one thread. */
#ifndef KT_FRAME_H
#define KT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "kartoteka.pb-c.h"
#include "kt_buf.h"
#include "kt_err.h"

#define KT_FRAME_MAX_DEFAULT (16u * 1024u * 1024u) /* default frame limit, bytes */
#define KT_FRAME_MAX_LIMIT (1024u * 1024u * 1024u) /* no limit may exceed this */
#define KT_FRAME_HEADER 4                          /* length prefix, bytes */
/* A decoded frame may take at most EXPANSION * frame + 64 KiB of memory
 * (estimate made on the wire bytes); legitimate traffic stays under 8x. */
#define KT_FRAME_EXPANSION 16
/* Sanity limits checked by kt_frame_env_validate. */
#define KT_FRAME_MAX_REPEATED 1000000 /* elements of any repeated field */
#define KT_FRAME_MAX_FIELDS 4096      /* FieldValues in one Change */

/* Encodes env as one frame appended to out (length prefix + Envelope bytes).
 * env is borrowed; it must have a body (else KT_EINVAL). KT_ETOOBIG when the
 * packed size exceeds max_frame (0 = KT_FRAME_MAX_DEFAULT), KT_ENOMEM when
 * out cannot grow; out is unchanged on error. Does not validate the content
 * (call kt_frame_env_validate first for data that came from elsewhere).
 * Thread: any; touches only its arguments. */
int kt_frame_encode_max(const Kartoteka__Envelope *env, size_t max_frame, kt_buf *out,
                        kt_err *err);
/* kt_frame_encode_max with max_frame = KT_FRAME_MAX_DEFAULT. */
int kt_frame_encode(const Kartoteka__Envelope *env, kt_buf *out, kt_err *err);

/* Streaming decoder. Embed it in the connection; fields are private. */
typedef struct kt_frame_reader {
  kt_buf buf;       /* received bytes; [off, buf.len) not yet consumed */
  size_t off;       /* start of the first unconsumed byte */
  size_t max_frame; /* limit on the length prefix */
  int failed;       /* 0, or the KT_E* code of the first error (sticky) */
} kt_frame_reader;

/* Initialises r with a frame size limit (0 = KT_FRAME_MAX_DEFAULT; values
 * over KT_FRAME_MAX_LIMIT are clamped to it). Cannot fail; allocates nothing. */
void kt_frame_reader_init(kt_frame_reader *r, size_t max_frame);

/* Frees r's buffer; r may be reused after kt_frame_reader_init. NULL is a no-op. */
void kt_frame_reader_close(kt_frame_reader *r);

/* Appends received bytes (borrowed; copied). Returns 0, or a negative code:
 * the reader's sticky error if it already failed, KT_ETOOBIG as soon as the
 * pending frame's length prefix is over the limit (the bytes are dropped, not
 * buffered), KT_ENOMEM. Compacts the buffer so a long connection does not
 * grow it. err may be NULL. */
int kt_frame_reader_feed(kt_frame_reader *r, const void *data, size_t len, kt_err *err);

/* Takes the next complete frame. Returns 1 and sets *env (caller owns it, frees
 * with kt_frame_env_free), 0 when more bytes are needed (*env untouched), or a
 * negative code after which the reader stays failed: KT_ETOOBIG (length prefix
 * over the limit, or the message would expand too much in memory), KT_EPROTO
 * (malformed protobuf, bad wire format, NUL byte inside a string, envelope
 * without a known body: "unknown message type"), KT_ENOMEM. Does NOT run
 * kt_frame_env_validate: the dispatcher calls it so it can answer with req_id. */
int kt_frame_reader_next(kt_frame_reader *r, Kartoteka__Envelope **env, kt_err *err);

/* Bytes received but not yet returned as frames (for tests and back-pressure). */
size_t kt_frame_reader_pending(const kt_frame_reader *r);

/* Strict content check of a decoded (or locally built) envelope: it has a
 * body; every string (at any depth, map keys/values included) is valid UTF-8
 * (protobuf-c does not check); enum values are known; repeated counts are at
 * most KT_FRAME_MAX_REPEATED (KT_FRAME_MAX_FIELDS FieldValues per Change);
 * Change.type/id, FieldValue.name, Revoke.type/id and Right.entity are
 * non-empty; a FieldValue with is_null has no value; Hello.protocol_version
 * is non-zero. Returns 0 or KT_EPROTO with the path of the offending field in
 * err ("push.changes[2].fields[0].name: empty field name"). Borrowed input.
 * Does not check rights, sizes of business values or identities. */
int kt_frame_env_validate(const Kartoteka__Envelope *env, kt_err *err);

/* Frees an envelope returned by kt_frame_reader_next (NULL is a no-op). */
void kt_frame_env_free(Kartoteka__Envelope *env);

/* Short name of the envelope's body ("push", "hello"; "none" when unset). */
const char *kt_frame_body_name(const Kartoteka__Envelope *env);

/* Strict UTF-8 check (no overlongs, surrogates or code points > U+10FFFF).
 * Returns 1 when s[0..len) is valid, else 0. */
int kt_frame_utf8_valid(const char *s, size_t len);

#endif
