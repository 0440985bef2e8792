/* cl_grid — see cl_grid.h. Rows hold (column, value) pairs; the rectangle is
 * made once at the end, so a column first seen in the last record costs
 * nothing for the rows before it. */
#include "cl_grid.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct gcell {
  int col;
  char *v;
} gcell;

typedef struct grow {
  int line;
  const char *type;
  gcell *cells;
  int n, cap;
} grow;

struct cl_grid {
  char **cols;
  int ncols, capcols;
  grow *rows;
  int nrows, caprows;
};

cl_grid *cl_grid_new(void) { return calloc(1, sizeof(cl_grid)); }

static void row_clear(grow *r) {
  for (int i = 0; i < r->n; i++) free(r->cells[i].v);
  free(r->cells);
  memset(r, 0, sizeof *r);
}

void cl_grid_free(cl_grid *g) {
  if (!g) return;
  for (int i = 0; i < g->ncols; i++) free(g->cols[i]);
  free(g->cols);
  for (int i = 0; i < g->nrows; i++) row_clear(&g->rows[i]);
  free(g->rows);
  free(g);
}

int cl_grid_row(cl_grid *g, int line, const char *type, kt_err *err) {
  if (g->nrows == g->caprows) {
    int cap = g->caprows ? g->caprows * 2 : 64;
    grow *r = realloc(g->rows, (size_t)cap * sizeof *r);
    if (!r) return kt_err_set(err, KT_ENOMEM, "out of memory");
    g->rows = r;
    g->caprows = cap;
  }
  g->rows[g->nrows++] = (grow){.line = line, .type = type};
  return 0;
}

void cl_grid_drop(cl_grid *g) {
  if (g->nrows) row_clear(&g->rows[--g->nrows]);
}

int cl_grid_nrows(const cl_grid *g) { return g->nrows; }

static int col_find(const cl_grid *g, const char *name) {
  for (int i = 0; i < g->ncols; i++)
    if (strcmp(g->cols[i], name) == 0) return i;
  return -1;
}

static gcell *cell_find(const cl_grid *g, int col) {
  if (!g->nrows || col < 0) return NULL;
  grow *r = &g->rows[g->nrows - 1];
  for (int i = 0; i < r->n; i++)
    if (r->cells[i].col == col) return &r->cells[i];
  return NULL;
}

const char *cl_grid_get(const cl_grid *g, const char *name) {
  gcell *c = cell_find(g, col_find(g, name));
  return c ? c->v : NULL;
}

static int store(cl_grid *g, const char *name, const char *v, size_t n, int mode, kt_err *err) {
  if (!g->nrows) return kt_err_set(err, KT_EINVAL, "internal: a cell before its row");
  int col = col_find(g, name);
  if (col < 0) {
    if (g->ncols >= CL_GRID_MAX_COLS)
      return kt_err_set(err, KT_EINVAL, "line %d: the file names more than %d different fields "
                        "(a broken or hostile file?)", g->rows[g->nrows - 1].line, CL_GRID_MAX_COLS);
    if (g->ncols == g->capcols) {
      int cap = g->capcols ? g->capcols * 2 : 16;
      char **c = realloc(g->cols, (size_t)cap * sizeof *c);
      if (!c) return kt_err_set(err, KT_ENOMEM, "out of memory");
      g->cols = c;
      g->capcols = cap;
    }
    if (!(g->cols[g->ncols] = strdup(name))) return kt_err_set(err, KT_ENOMEM, "out of memory");
    col = g->ncols++;
  }
  gcell *c = cell_find(g, col);
  if (c && mode == 0) return 0; /* the first value stays */
  if (c && mode == 1) {          /* several values: joined */
    size_t old = strlen(c->v), sep = strlen(CL_ROWSET_MULTI);
    char *nv = realloc(c->v, old + sep + n + 1);
    if (!nv) return kt_err_set(err, KT_ENOMEM, "out of memory");
    memcpy(nv + old, CL_ROWSET_MULTI, sep);
    memcpy(nv + old + sep, v, n);
    nv[old + sep + n] = '\0';
    c->v = nv;
    return 0;
  }
  char *copy = malloc(n + 1);
  if (!copy) return kt_err_set(err, KT_ENOMEM, "out of memory");
  memcpy(copy, v, n);
  copy[n] = '\0';
  if (c) {
    free(c->v);
    c->v = copy;
    return 0;
  }
  grow *r = &g->rows[g->nrows - 1];
  if (r->n == r->cap) {
    int cap = r->cap ? r->cap * 2 : 8;
    gcell *nc = realloc(r->cells, (size_t)cap * sizeof *nc);
    if (!nc) {
      free(copy);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
    r->cells = nc;
    r->cap = cap;
  }
  r->cells[r->n++] = (gcell){col, copy};
  return 0;
}

int cl_grid_set(cl_grid *g, const char *name, const char *v, size_t n, bool multi, kt_err *err) {
  if (!n) return 0;
  return store(g, name, v, n, multi ? 1 : 0, err);
}

int cl_grid_put(cl_grid *g, const char *name, const char *v, size_t n, kt_err *err) {
  return store(g, name, v, n, 2, err);
}

int cl_grid_rowset(const cl_grid *g, const char *format, cl_rowset **out, kt_err *err) {
  cl_rowset *rs = cl_rowset_new(format);
  const char **cells = calloc((size_t)g->ncols + 1, sizeof *cells);
  int rc = 0;
  if (!rs || !cells) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  snprintf(rs->encoding, sizeof rs->encoding, "utf-8");
  for (int i = 0; !rc && i < g->ncols; i++) rc = cl_rowset_add_header(rs, g->cols[i], err);
  for (int r = 0; !rc && r < g->nrows; r++) {
    for (int i = 0; i < g->ncols; i++) cells[i] = "";
    for (int i = 0; i < g->rows[r].n; i++) cells[g->rows[r].cells[i].col] = g->rows[r].cells[i].v;
    rc = cl_rowset_add_row(rs, cells, g->ncols, g->rows[r].line, g->rows[r].type, err);
  }
  if (rc) goto out;
  *out = rs;
  rs = NULL;
out:
  free(cells);
  cl_rowset_free(rs);
  return rc;
}

int cl_grid_load(const char *path, size_t max, kt_buf *out, kt_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return kt_err_set(err, KT_EIO, "cannot read %s: %s", path, strerror(errno));
  char chunk[65536];
  size_t n;
  int rc = 0;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    kt_buf_append(out, chunk, n);
    if (out->len > max) {
      rc = kt_err_set(err, KT_ETOOBIG, "%s is larger than %zu MiB; split it", path, max >> 20);
      break;
    }
  }
  if (!rc && ferror(f)) rc = kt_err_set(err, KT_EIO, "cannot read %s: %s", path, strerror(errno));
  fclose(f);
  if (!rc && out->oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  return rc;
}

bool cl_grid_starts(const char *t, size_t n, const char *word) {
  size_t i = 0, w = strlen(word);
  if (n >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0) i = 3;
  while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n')) i++;
  return n - i >= w && strncasecmp(t + i, word, w) == 0;
}
