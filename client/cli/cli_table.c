/* cli_table — the CLI's tables: rows of text cells printed either for people
 * (a header line, columns aligned by display width, so Cyrillic and wide
 * characters line up) or as one JSON array of objects keyed by column key.
 * Cells are copied; a NULL cell is "-" for people (or blank, by column) and
 * null in JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kt_json.h"
#include "kt_text.h"

struct cli_table {
  const cli_col *cols;
  int ncols;
  char **cells; /* rows * ncols, row-major */
  int rows, cap;
};

void cli_pad(kt_buf *out, const char *s, size_t width) {
  kt_buf_puts(out, s);
  for (size_t w = kt_text_width(s, (size_t)-1); w < width; w++) kt_buf_putc(out, ' ');
}

cli_table *cli_table_new(const cli_col *cols, int ncols) {
  cli_table *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->cols = cols;
  t->ncols = ncols;
  return t;
}

void cli_table_free(cli_table *t) {
  if (!t) return;
  for (int i = 0; i < t->rows * t->ncols; i++) free(t->cells[i]);
  free(t->cells);
  free(t);
}

int cli_table_add(cli_table *t, const char *const *cells) {
  if (t->rows == t->cap) {
    int cap = t->cap ? t->cap * 2 : 16;
    char **p = realloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof *p);
    if (!p) return -1;
    t->cells = p;
    t->cap = cap;
  }
  char **row = &t->cells[t->rows * t->ncols];
  for (int c = 0; c < t->ncols; c++) {
    row[c] = cells[c] && *cells[c] ? strdup(cells[c]) : NULL;
    if (cells[c] && *cells[c] && !row[c]) {
      while (c-- > 0) free(row[c]);
      return -1;
    }
  }
  t->rows++;
  return 0;
}

int cli_table_rows(const cli_table *t) { return t->rows; }

static void print_json(const cli_table *t) {
  kt_buf b = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &b, true);
  kt_json_arr_begin(&j);
  for (int r = 0; r < t->rows; r++) {
    kt_json_obj_begin(&j);
    for (int c = 0; c < t->ncols; c++) {
      kt_json_key(&j, t->cols[c].key);
      kt_json_str(&j, t->cells[r * t->ncols + c]);
    }
    kt_json_obj_end(&j);
  }
  kt_json_arr_end(&j);
  printf("%s\n", kt_buf_str(&b));
  kt_buf_free(&b);
}

void cli_table_print(const cli_table *t, bool json) {
  if (json) {
    print_json(t);
    return;
  }
  if (!t->rows) return;
  size_t *w = calloc((size_t)t->ncols, sizeof *w);
  if (!w) return;
  for (int c = 0; c < t->ncols; c++) {
    w[c] = kt_text_width(t->cols[c].head, (size_t)-1);
    for (int r = 0; r < t->rows; r++) {
      const char *s = t->cells[r * t->ncols + c];
      size_t cw = s ? kt_text_width(s, (size_t)-1) : !t->cols[c].blank;
      if (cw > w[c]) w[c] = cw;
    }
  }
  kt_buf line = KT_BUF_INIT;
  for (int r = -1; r < t->rows; r++) {
    kt_buf_reset(&line);
    for (int c = 0; c < t->ncols; c++) {
      const char *s = r < 0 ? t->cols[c].head : t->cells[r * t->ncols + c];
      if (c) kt_buf_puts(&line, "  ");
      cli_pad(&line, s ? s : r >= 0 && !t->cols[c].blank ? "-" : "", w[c]);
    }
    size_t n = line.len;
    while (n && kt_buf_str(&line)[n - 1] == ' ') n--; /* no trailing blanks */
    printf("%.*s\n", (int)n, kt_buf_str(&line));
  }
  kt_buf_free(&line);
  free(w);
}
