/* Fuzz target for kt_invite_decode: the input is whatever a user pasted after
 * `kartoteka connect --invite`. Decoding must never crash or read past the
 * text; every refusal carries a message; a token that decodes has four
 * non-empty parts without '|', and encoding them again gives a KT2 token that
 * decodes to the same parts.
 * Built with -fsanitize=fuzzer by `make fuzz`; with -DKT_FUZZ_REPLAY it
 * replays the corpus for `make check` (fuzz_replay.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kt_invite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  char *text = malloc(size + 1); /* exactly the input: ASan sees any over-read */
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  kt_invite inv;
  kt_err err;
  kt_err_clear(&err);
  int rc = kt_invite_decode(text, &inv, &err);
  if (rc) {
    if (!err.msg[0]) abort(); /* every refusal says what to do */
  } else {
    const char *parts[] = {inv.addresses, inv.ca_fpr, inv.secret, inv.user};
    for (int i = 0; i < 4; i++)
      if (!parts[i][0] || strchr(parts[i], '|')) abort();
    kt_buf b = KT_BUF_INIT;
    kt_invite again;
    if (kt_invite_encode(&inv, &b, NULL) != 0 || strncmp(kt_buf_str(&b), "KT2.", 4) != 0 ||
        kt_invite_decode(kt_buf_str(&b), &again, NULL) != 0 ||
        memcmp(&inv, &again, sizeof inv) != 0)
      abort();
    kt_buf_free(&b);
  }
  free(text);
  return 0;
}

#include "fuzz_replay.h"
