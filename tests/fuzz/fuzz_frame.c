/* Fuzz target for kt_frame: the input is a byte stream from a hostile peer.
 * It is fed to a kt_frame_reader (64 KiB frame limit) in pieces whose sizes
 * come from the first input byte; every decoded envelope is validated, then
 * re-encoded and decoded again, which must give the same bytes.
 * Built with -fsanitize=fuzzer by `make fuzz`; with -DKT_FUZZ_REPLAY it gets
 * a main() that replays every file of the directories (or files) given as
 * arguments, for `make check` / `make fuzz-replay`. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_frame.h"

#define FUZZ_MAX_FRAME (64u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Encodes e, decodes it again and checks the second encoding is identical. */
static void check_reencode(const Kartoteka__Envelope *e) {
  kt_buf b1 = KT_BUF_INIT, b2 = KT_BUF_INIT;
  if (kt_frame_encode_max(e, KT_FRAME_MAX_LIMIT, &b1, NULL) != 0) abort();
  kt_frame_reader r;
  kt_frame_reader_init(&r, KT_FRAME_MAX_LIMIT);
  if (kt_frame_reader_feed(&r, b1.p, b1.len, NULL) != 0) abort();
  Kartoteka__Envelope *e2 = NULL;
  kt_err err;
  kt_err_clear(&err);
  int rc = kt_frame_reader_next(&r, &e2, &err);
  /* canonical re-encoding can be shorter, so the memory estimate may refuse it */
  if (rc == 1) {
    if (kt_frame_env_validate(e2, NULL) != 0) abort();
    if (kt_frame_encode_max(e2, KT_FRAME_MAX_LIMIT, &b2, NULL) != 0) abort();
    if (b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0) abort();
    kt_frame_env_free(e2);
  } else if (rc != KT_ETOOBIG) {
    fprintf(stderr, "re-decode failed: %d %s\n", rc, err.msg);
    abort();
  }
  kt_frame_reader_close(&r);
  kt_buf_free(&b1);
  kt_buf_free(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  /* first byte: feed piece size (0 = all at once) */
  size_t piece = data[0] & 0x3f;
  data++;
  size--;
  kt_frame_reader r;
  kt_frame_reader_init(&r, FUZZ_MAX_FRAME);
  kt_err err;
  size_t off = 0;
  int failed = 0;
  while (off < size && !failed) {
    size_t n = piece ? piece : size;
    if (n > size - off) n = size - off;
    kt_err_clear(&err);
    if (kt_frame_reader_feed(&r, data + off, n, &err) != 0) break;
    off += n;
    for (;;) {
      Kartoteka__Envelope *e = NULL;
      int rc = kt_frame_reader_next(&r, &e, &err);
      if (rc == 0) break;
      if (rc < 0) {
        if (err.msg[0] == '\0') abort(); /* every error carries a message */
        failed = 1;
        break;
      }
      if (kt_frame_env_validate(e, &err) == 0) check_reencode(e);
      (void)kt_frame_body_name(e);
      kt_frame_env_free(e);
    }
  }
  kt_frame_reader_close(&r);
  return 0;
}

#include "fuzz_replay.h"
