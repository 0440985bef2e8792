/* Fuzz target for cl_vcard_parse: the input is a .vcf file someone imports.
 * Parsing must never crash or read past the input; every refusal carries a
 * message; a rowset that comes back is rectangular, of valid UTF-8, one
 * contact row per card; and writing its rows out again as vCards (3.0 and
 * 4.0) gives text that reads back to as many cards.
 * Built with -fsanitize=fuzzer by `make fuzz`; with -DKT_FUZZ_REPLAY it
 * replays the corpus for `make check` (fuzz_replay.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cl_vcard.h"
#include "kt_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rows(const cl_rowset *rs) {
  for (int i = 0; i < rs->nheader; i++)
    if (!rs->header[i] || !rs->header[i][0]) abort();
  for (int r = 0; r < rs->nrows; r++) {
    if (rs->rows[r].ncells != rs->nheader || rs->rows[r].line < 1 || !rs->rows[r].type) abort();
    for (int i = 0; i < rs->rows[r].ncells; i++)
      if (!rs->rows[r].cells[i] || !kt_utf8_valid(rs->rows[r].cells[i], strlen(rs->rows[r].cells[i])))
        abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  char *text = malloc(size ? size : 1); /* exactly the input: ASan sees any over-read */
  if (!text) return 0;
  memcpy(text, data, size);
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  if (cl_vcard_parse(text, size, &rs, &err) != 0) {
    if (!err.msg[0] || rs) abort(); /* every refusal says what is wrong; nothing half-made */
  } else {
    check_rows(rs);
    for (int version = 3; version <= 4; version++) {
      kt_buf out = KT_BUF_INIT;
      for (int r = 0; r < rs->nrows; r++)
        cl_vcard_write(&out, version, (const char *const *)rs->header,
                       (const char *const *)rs->rows[r].cells, rs->nheader, NULL);
      cl_rowset *again = NULL;
      if (cl_vcard_parse(kt_buf_str(&out), out.len, &again, NULL) != 0 || again->nrows != rs->nrows)
        abort();
      check_rows(again);
      cl_rowset_free(again);
      kt_buf_free(&out);
    }
    cl_rowset_free(rs);
  }
  free(text);
  return 0;
}

#include "fuzz_replay.h"
