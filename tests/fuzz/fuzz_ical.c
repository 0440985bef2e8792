/* Fuzz target for cl_ical_parse: the input is an .ics file someone imports.
 * Parsing (libical underneath) must never crash or read past the input;
 * every refusal carries a message; a rowset that comes back is rectangular
 * and typed (event or task); writing each row back either works or says
 * why, and what was written reads back.
 * Built with -fsanitize=fuzzer by `make fuzz`; with -DKT_FUZZ_REPLAY it
 * replays the corpus for `make check` (fuzz_replay.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "cl_ical.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  char *text = malloc(size ? size : 1);
  if (!text) return 0;
  memcpy(text, data, size);
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  if (cl_ical_parse(text, size, &rs, &err) != 0) {
    if (!err.msg[0] || rs) abort();
  } else {
    kt_buf out = KT_BUF_INIT;
    cl_ical_begin(&out);
    int written = 0;
    for (int r = 0; r < rs->nrows; r++) {
      const cl_row *row = &rs->rows[r];
      if (row->ncells != rs->nheader || !row->type ||
          (strcmp(row->type, "event") != 0 && strcmp(row->type, "task") != 0))
        abort();
      for (int i = 0; i < row->ncells; i++)
        if (!row->cells[i]) abort();
      kt_err_clear(&err);
      if (cl_ical_write(&out, row->type, (const char *const *)rs->header,
                        (const char *const *)row->cells, rs->nheader, "fuzz", 0, &err) == 0)
        written++;
      else if (!err.msg[0])
        abort();
    }
    cl_ical_end(&out);
    cl_rowset *again = NULL;
    if (cl_ical_parse(kt_buf_str(&out), out.len, &again, NULL) != 0 || again->nrows != written) abort();
    cl_rowset_free(again);
    kt_buf_free(&out);
    cl_rowset_free(rs);
  }
  free(text);
  /* libical keeps its temporary strings in a ring and frees one only when the
     ring comes round: an input then ends with more allocations than frees, and
     libFuzzer stops the world for a leak check after nearly every input (35
     inputs a second in the soak instead of thousands); freeing the ring here
     leaves a real leak of ours as visible as before */
  icalmemory_free_ring();
  return 0;
}

#include "fuzz_replay.h"
