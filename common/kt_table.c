/* kt_table — see kt_table.h. A NULL cell is "-" for people (or blank, by
 * column) and null in JSON. */
#include "kt_table.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_json.h"
#include "kt_text.h"

struct kt_table {
  kt_table_col *cols; /* key and head owned */
  int ncols;
  char **cells; /* rows * ncols, row-major */
  int rows, cap;
};

void kt_pad(kt_buf *out, const char *s, size_t width) {
  kt_buf_puts(out, s);
  for (size_t w = kt_text_width(s, (size_t)-1); w < width; w++) kt_buf_putc(out, ' ');
}

void kt_table_free(kt_table *t) {
  if (!t) return;
  for (int i = 0; i < t->rows * t->ncols; i++) free(t->cells[i]);
  for (int c = 0; c < t->ncols && t->cols; c++) {
    free((char *)t->cols[c].key);
    free((char *)t->cols[c].head);
  }
  free(t->cols);
  free(t->cells);
  free(t);
}

kt_table *kt_table_new(const kt_table_col *cols, int ncols) {
  kt_table *t = calloc(1, sizeof *t);
  if (!t || !(t->cols = calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *t->cols))) {
    free(t);
    return NULL;
  }
  t->ncols = ncols;
  for (int c = 0; c < ncols; c++) {
    t->cols[c].key = strdup(cols[c].key ? cols[c].key : "");
    t->cols[c].head = strdup(cols[c].head ? cols[c].head : "");
    t->cols[c].blank = cols[c].blank;
    if (!t->cols[c].key || !t->cols[c].head) {
      kt_table_free(t);
      return NULL;
    }
  }
  return t;
}

int kt_table_add(kt_table *t, const char *const *cells) {
  if (t->rows == t->cap) {
    int cap = t->cap ? t->cap * 2 : 16;
    char **p = realloc(t->cells, (size_t)cap * (size_t)(t->ncols ? t->ncols : 1) * sizeof *p);
    if (!p) return KT_ENOMEM;
    t->cells = p;
    t->cap = cap;
  }
  char **row = &t->cells[t->rows * t->ncols];
  for (int c = 0; c < t->ncols; c++) {
    bool has = cells[c] && *cells[c];
    row[c] = has ? strdup(cells[c]) : NULL;
    if (has && !row[c]) {
      while (c-- > 0) free(row[c]);
      return KT_ENOMEM;
    }
  }
  t->rows++;
  return 0;
}

int kt_table_rows(const kt_table *t) { return t->rows; }

static void write_json(const kt_table *t, kt_buf *out) {
  kt_json j;
  kt_json_init(&j, out, true);
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
  kt_buf_putc(out, '\n');
}

void kt_table_write(const kt_table *t, bool json, kt_buf *out) {
  if (json) {
    write_json(t, out);
    return;
  }
  if (!t->rows) return;
  size_t *w = calloc((size_t)t->ncols, sizeof *w);
  if (!w) {
    out->oom = true;
    return;
  }
  for (int c = 0; c < t->ncols; c++) {
    w[c] = kt_text_width(t->cols[c].head, (size_t)-1);
    for (int r = 0; r < t->rows; r++) {
      const char *s = t->cells[r * t->ncols + c];
      size_t cw = s ? kt_text_width(s, (size_t)-1) : !t->cols[c].blank;
      if (cw > w[c]) w[c] = cw;
    }
  }
  for (int r = -1; r < t->rows; r++) {
    size_t start = out->len;
    for (int c = 0; c < t->ncols; c++) {
      const char *s = r < 0 ? t->cols[c].head : t->cells[r * t->ncols + c];
      if (c) kt_buf_puts(out, "  ");
      kt_pad(out, s ? s : r >= 0 && !t->cols[c].blank ? "-" : "", w[c]);
    }
    while (out->len > start && out->p[out->len - 1] == ' ') out->p[--out->len] = '\0';
    kt_buf_putc(out, '\n');
  }
  free(w);
}

void kt_table_text_line(kt_buf *out, const char *lead, const char *const *cells, int n) {
  kt_buf_puts(out, lead);
  for (int i = 0; i < n; i++) {
    if (i) kt_buf_putc(out, '\t');
    for (const char *p = cells[i] ? cells[i] : ""; *p; p++)
      kt_buf_putc(out, *p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p);
  }
  kt_buf_putc(out, '\n');
}

#define MAX_COLS 32

/* Copies one line (up to '\n' or the end) to *buf (caller frees) and splits it
 * at tabs; returns how many cells (at most max), or -1 when out of memory, and
 * advances *p past the line. */
static int split_line(const char **p, char **bufp, char **cells, int max) {
  const char *s = *p, *eol = strchr(s, '\n');
  size_t n = eol ? (size_t)(eol - s) : strlen(s);
  char *buf = *bufp = strndup(s, n);
  if (!buf) return -1;
  *p = s + n + (eol != NULL);
  int k = 0;
  for (char *c = buf; k < max;) {
    cells[k++] = c;
    char *tab = strchr(c, '\t');
    if (!tab) break;
    *tab = '\0';
    c = tab + 1;
  }
  return k;
}

int kt_table_parse(const char *text, kt_table **out, kt_err *err) {
  if (!text || text[0] != '#') return kt_err_set(err, KT_EINVAL, "not a table (no header line)");
  char *line = NULL, heads[MAX_COLS][64];
  char *keys[MAX_COLS];
  const char *p = text + 1;
  int ncols = split_line(&p, &line, keys, MAX_COLS);
  if (ncols < 0) return kt_err_set(err, KT_ENOMEM, "out of memory");
  kt_table_col cols[MAX_COLS];
  for (int c = 0; c < ncols; c++) {
    snprintf(heads[c], sizeof heads[c], "%s", keys[c]);
    heads[c][0] = (char)toupper((unsigned char)heads[c][0]);
    cols[c] = (kt_table_col){keys[c], heads[c], false};
  }
  kt_table *t = kt_table_new(cols, ncols);
  free(line);
  if (!t) return kt_err_set(err, KT_ENOMEM, "out of memory");
  while (*p) {
    char *cells[MAX_COLS] = {0};
    int rc = split_line(&p, &line, cells, ncols) < 0 ? KT_ENOMEM
             : kt_table_add(t, (const char *const *)cells);
    free(line);
    if (rc) {
      kt_table_free(t);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
  }
  *out = t;
  return 0;
}
