/* Fuzz target for the CSV/text import reader (cl_csv_parse): the input is a
 * whole file as an office might hand it over, the first byte choosing how it
 * is read (detected, or --encoding cp1251 / utf-16le / utf-8, a given
 * delimiter, "text"). Parsing must never crash or read past the input; every
 * refusal says what is wrong; a rowset that is read has valid UTF-8 cells
 * without control bytes but tab and line breaks, a header, and rows in
 * increasing line order after the header line.
 * Built with -fsanitize=fuzzer by `make fuzz`; with -DKT_FUZZ_REPLAY it
 * replays tests/fuzz/corpus/csv for `make check` (fuzz_replay.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cl_csv.h"
#include "kt_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cell(const char *c) {
  size_t n = strlen(c);
  if (!kt_utf8_valid(c, n)) abort();
  for (size_t i = 0; i < n; i++) {
    unsigned char b = (unsigned char)c[i];
    if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 70000) return 0;
  static const char *const encs[] = {NULL, "cp1251", "utf-16le", "utf-8"};
  static const char delims[] = {0, ',', ';', '\t'};
  uint8_t mode = data[0];
  cl_read_opts o = {encs[mode & 3], delims[(mode >> 2) & 3], NULL};
  char *copy = malloc(size - 1 ? size - 1 : 1); /* exactly the input: ASan sees any over-read */
  if (!copy) return 0;
  memcpy(copy, data + 1, size - 1);
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_csv_parse(mode & 16 ? "text" : "csv", copy, size - 1, &o, &rs, &err);
  if (rc) {
    if (!err.msg[0] || rs) abort(); /* every refusal says what is wrong, and gives nothing */
  } else {
    if (!rs || rs->header_line < 1 || rs->nheader < 1) abort();
    for (int i = 0; i < rs->nheader; i++) check_cell(rs->header[i]);
    int last = rs->header_line;
    for (int r = 0; r < rs->nrows; r++) {
      if (rs->rows[r].line <= last || rs->rows[r].ncells < 1) abort();
      last = rs->rows[r].line;
      for (int i = 0; i < rs->rows[r].ncells; i++) check_cell(rs->rows[r].cells[i]);
    }
    cl_rowset_free(rs);
  }
  free(copy);
  return 0;
}

#include "fuzz_replay.h"
