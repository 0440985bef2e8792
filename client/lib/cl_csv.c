/* cl_csv — see cl_csv.h. */
#include "cl_csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/ucnv.h>

#include "kt_utf8.h"

static int load(const char *path, kt_buf *out, kt_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return kt_err_set(err, KT_EIO, "cannot read %s: %s", path, strerror(errno));
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) kt_buf_append(out, chunk, n);
  int bad = ferror(f);
  fclose(f);
  if (bad) return kt_err_set(err, KT_EIO, "cannot read %s", path);
  return out->oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}

int cl_csv_open(cl_csv *c, const char *path, const char *encoding, kt_err *err) {
  memset(c, 0, sizeof *c);
  kt_buf raw = KT_BUF_INIT;
  int rc = load(path, &raw, err);
  if (rc) {
    kt_buf_free(&raw);
    return rc;
  }
  if (encoding && strcasecmp(encoding, "utf-8") != 0 && strcasecmp(encoding, "utf8") != 0) {
    UErrorCode ue = U_ZERO_ERROR;
    int32_t cap = (int32_t)raw.len * 3 + 16;
    char *u = malloc((size_t)cap);
    if (!u) {
      kt_buf_free(&raw);
      return kt_err_set(err, KT_ENOMEM, "out of memory");
    }
    int32_t m = ucnv_convert("UTF-8", encoding, u, cap, raw.p ? raw.p : "", (int32_t)raw.len, &ue);
    kt_buf_free(&raw);
    if (U_FAILURE(ue)) {
      free(u);
      return kt_err_set(err, KT_EINVAL, "cannot read the file as %s (%s); check --encoding "
                        "(e.g. cp1251, utf-8)", encoding, u_errorName(ue));
    }
    c->text = u;
    c->len = (size_t)m;
  } else {
    if (!kt_utf8_valid(kt_buf_str(&raw), raw.len)) {
      kt_buf_free(&raw);
      return kt_err_set(err, KT_EINVAL, "%s is not UTF-8; if Excel saved it in the Windows "
                        "encoding, add --encoding cp1251", path);
    }
    c->len = raw.len;
    c->text = kt_buf_take(&raw);
  }
  if (c->len >= 3 && memcmp(c->text, "\xEF\xBB\xBF", 3) == 0) c->pos = 3; /* BOM */
  /* separator: whichever of ; , tab is most frequent on the first line, outside quotes */
  int counts[3] = {0, 0, 0};
  bool q = false;
  for (size_t i = c->pos; i < c->len && (q || (c->text[i] != '\n' && c->text[i] != '\r')); i++) {
    char ch = c->text[i];
    if (ch == '"') q = !q;
    else if (!q && ch == ';') counts[0]++;
    else if (!q && ch == ',') counts[1]++;
    else if (!q && ch == '\t') counts[2]++;
  }
  c->sep = counts[0] >= counts[1] && counts[0] >= counts[2] && counts[0] ? ';'
           : counts[2] > counts[1] ? '\t' : ',';
  return 0;
}

void cl_csv_close(cl_csv *c) {
  free(c->text);
  memset(c, 0, sizeof *c);
}

int cl_csv_next(cl_csv *c, kt_buf *store, const char ***fields, int *n, kt_err *err) {
  static const char *empty[1];
  kt_buf_reset(store);
  /* skip empty lines */
  while (c->pos < c->len && (c->text[c->pos] == '\n' || c->text[c->pos] == '\r')) {
    if (c->text[c->pos] == '\n') c->line++;
    c->pos++;
  }
  if (c->pos >= c->len) return 0;
  c->line++;
  size_t offs[1024];
  int nf = 0;
  offs[nf++] = 0;
  bool quoted = false;
  int start_line = c->line;
  for (;;) {
    if (c->pos >= c->len) {
      if (quoted)
        return kt_err_set(err, KT_EINVAL, "line %d: a quoted value is never closed", start_line);
      break;
    }
    char ch = c->text[c->pos++];
    if (quoted) {
      if (ch == '"') {
        if (c->pos < c->len && c->text[c->pos] == '"') {
          kt_buf_putc(store, '"');
          c->pos++;
        } else {
          quoted = false;
        }
      } else if (ch == '\r' && c->pos < c->len && c->text[c->pos] == '\n') {
        /* a line break inside a cell: keep it as one \n */
      } else {
        if (ch == '\n') c->line++;
        kt_buf_putc(store, ch);
      }
    } else if (ch == '"' && store->len == offs[nf - 1]) {
      quoted = true; /* quotes only open a quoted value at its start */
    } else if (ch == c->sep) {
      kt_buf_putc(store, '\0');
      if (nf == 1024) return kt_err_set(err, KT_EINVAL, "line %d: too many columns", start_line);
      offs[nf++] = store->len;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && c->pos < c->len && c->text[c->pos] == '\n') c->pos++;
      break;
    } else {
      kt_buf_putc(store, ch);
    }
  }
  kt_buf_putc(store, '\0');
  if (store->oom) return kt_err_set(err, KT_ENOMEM, "out of memory");
  /* pointers are stored after the text */
  size_t need = (size_t)nf * sizeof(char *);
  size_t base = store->len + (sizeof(char *) - store->len % sizeof(char *)) % sizeof(char *);
  if (kt_buf_reserve(store, base - store->len + need)) return kt_err_set(err, KT_ENOMEM, "out of memory");
  const char **arr = (const char **)(void *)(store->p + base);
  for (int i = 0; i < nf; i++) arr[i] = store->p + offs[i];
  *fields = nf ? arr : empty;
  *n = nf;
  return 1;
}
