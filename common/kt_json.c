/* kt_json — see kt_json.h.
 *
 * Numbers go through snprintf/strtod under a "C" locale_t made once with
 * pthread_once (read-only afterwards), switched in per call with uselocale(), so
 * a GUI that called setlocale(LC_ALL, "ru_RU.UTF-8") still gets "0.5", not "0,5". */
#include "kt_json.h"
#include "kt_utf8.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- C locale for numbers -------------------------------------------------- */

static locale_t g_c_locale;
static pthread_once_t g_c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void) { g_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

static locale_t c_locale_push(void) {
  pthread_once(&g_c_locale_once, c_locale_init);
  return g_c_locale ? uselocale(g_c_locale) : (locale_t)0;
}

static void c_locale_pop(locale_t old) {
  if (old) uselocale(old);
}

/* ---- UTF-8 (kt_utf8: maximal invalid subpart -> one U+FFFD) --- */

static void utf8_append(kt_buf *b, uint32_t cp) {
  char w[4];
  kt_buf_append(b, w, kt_utf8_put(w, cp));
}

/* ---- writer ---------------------------------------------------------------- */

enum { F_EMPTY = 1, F_KEY = 2 };
#define MAX_LEVEL 63

static int level(const kt_json *j) { return j->depth < MAX_LEVEL ? j->depth : MAX_LEVEL; }

static void newline_indent(kt_json *j) {
  kt_buf_putc(j->out, '\n');
  for (int i = 0; i < j->depth; i++) kt_buf_append(j->out, "  ", 2);
}

static void before_value(kt_json *j) {
  if (j->depth <= 0) return;
  unsigned char *f = &j->first[level(j)];
  if (*f & F_KEY) {
    *f &= (unsigned char)~F_KEY;
    return;
  }
  if (!(*f & F_EMPTY)) kt_buf_putc(j->out, ',');
  *f &= (unsigned char)~F_EMPTY;
  if (j->pretty) newline_indent(j);
}

void kt_json_init(kt_json *j, kt_buf *out, bool pretty) {
  memset(j, 0, sizeof *j);
  j->out = out;
  j->pretty = pretty;
}

static void begin(kt_json *j, char c) {
  before_value(j);
  kt_buf_putc(j->out, c);
  j->depth++;
  j->first[level(j)] = F_EMPTY;
}

static void end(kt_json *j, char c) {
  if (j->depth <= 0) return; /* unbalanced end: ignore rather than corrupt */
  bool empty = (j->first[level(j)] & F_EMPTY) != 0;
  j->depth--;
  if (j->pretty && !empty) newline_indent(j);
  kt_buf_putc(j->out, c);
}

void kt_json_obj_begin(kt_json *j) { begin(j, '{'); }
void kt_json_obj_end(kt_json *j) { end(j, '}'); }
void kt_json_arr_begin(kt_json *j) { begin(j, '['); }
void kt_json_arr_end(kt_json *j) { end(j, ']'); }

static void write_string(kt_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s, *e = p + n;
  kt_buf_putc(b, '"');
  while (p < e) {
    const unsigned char *run = p;
    while (p < e && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
    if (p > run) kt_buf_append(b, run, (size_t)(p - run));
    if (p == e) break;
    unsigned c = *p;
    if (c >= 0x80) {
      size_t adv;
      if (kt_utf8_next(p, (size_t)(e - p), &adv) == KT_UTF8_BAD)
        kt_buf_append(b, "\xEF\xBF\xBD", 3);
      else
        kt_buf_append(b, p, adv);
      p += adv;
      continue;
    }
    char esc[6] = {'\\', 0, 0, 0, 0, 0};
    size_t en = 2;
    switch (c) {
      case '"': esc[1] = '"'; break;
      case '\\': esc[1] = '\\'; break;
      case '\b': esc[1] = 'b'; break;
      case '\f': esc[1] = 'f'; break;
      case '\n': esc[1] = 'n'; break;
      case '\r': esc[1] = 'r'; break;
      case '\t': esc[1] = 't'; break;
      default: esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15]; en = 6;
    }
    kt_buf_append(b, esc, en);
    p++;
  }
  kt_buf_putc(b, '"');
}

void kt_json_key(kt_json *j, const char *k) {
  before_value(j);
  write_string(j->out, k ? k : "", k ? strlen(k) : 0);
  kt_buf_append(j->out, ": ", j->pretty ? 2 : 1);
  if (j->depth > 0) j->first[level(j)] |= F_KEY;
}

void kt_json_strn(kt_json *j, const char *s, size_t n) {
  before_value(j);
  write_string(j->out, s, n);
}

void kt_json_str(kt_json *j, const char *s) {
  if (!s)
    kt_json_null(j);
  else
    kt_json_strn(j, s, strlen(s));
}

void kt_json_int(kt_json *j, int64_t v) {
  before_value(j);
  kt_buf_printf(j->out, "%lld", (long long)v);
}

void kt_json_double(kt_json *j, double v) {
  if (!isfinite(v)) {
    kt_json_null(j);
    return;
  }
  char tmp[40];
  locale_t old = c_locale_push();
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    if (strtod(tmp, NULL) == v) break;
  }
  c_locale_pop(old);
  for (char *q = tmp; *q; q++)
    if (*q == ',') *q = '.'; /* only if no C locale could be made */
  before_value(j);
  kt_buf_puts(j->out, tmp);
}

void kt_json_bool(kt_json *j, bool v) {
  before_value(j);
  kt_buf_puts(j->out, v ? "true" : "false");
}

void kt_json_null(kt_json *j) {
  before_value(j);
  kt_buf_puts(j->out, "null");
}

void kt_json_raw(kt_json *j, const char *literal) {
  before_value(j);
  kt_buf_puts(j->out, literal ? literal : "null");
}

/* ---- reader ---------------------------------------------------------------- */

struct kt_jval {
  kt_jtype type;
  bool b;
  double num;
  char *s; /* string value or number literal */
  size_t slen;
  size_t n, cap;
  kt_jval **items;
  char **keys; /* objects only, parallel to items */
};

#define MAX_DEPTH 64

typedef struct parser {
  const char *start, *p, *end;
  kt_err *err;
  int rc;
} parser;

static void *perr(parser *P, int code, const char *what) {
  if (P->rc) return NULL; /* keep the first error */
  int line = 1, col = 1;
  for (const char *q = P->start; q < P->p; q++) {
    if (*q == '\n')
      line++, col = 1;
    else if (((unsigned char)*q & 0xC0) != 0x80)
      col++;
  }
  P->rc = code;
  if (code == KT_ENOMEM)
    kt_err_set(P->err, code, "out of memory while reading JSON");
  else
    kt_err_set(P->err, code, "JSON error at line %d, column %d: %s", line, col, what);
  return NULL;
}

static void skip_ws(parser *P) {
  while (P->p < P->end && (*P->p == ' ' || *P->p == '\t' || *P->p == '\n' || *P->p == '\r')) P->p++;
}

static kt_jval *new_val(parser *P, kt_jtype t) {
  kt_jval *v = calloc(1, sizeof *v);
  if (!v) return perr(P, KT_ENOMEM, "");
  v->type = t;
  return v;
}

static int hex4(const char *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Parses a string at P->p (at the opening quote) into *out and *outlen (malloc-ed). */
static bool parse_string(parser *P, char **out, size_t *outlen) {
  kt_buf b = KT_BUF_INIT;
  P->p++; /* opening quote */
  for (;;) {
    if (P->p >= P->end) {
      perr(P, KT_EINVAL, "unterminated string (missing '\"')");
      goto fail;
    }
    unsigned char c = (unsigned char)*P->p;
    if (c == '"') {
      P->p++;
      break;
    }
    if (c < 0x20) {
      perr(P, KT_EINVAL, "control character in a string (use \\n, \\t or \\u00XX)");
      goto fail;
    }
    if (c >= 0x80) {
      size_t adv;
      if (kt_utf8_next((const unsigned char *)P->p, (size_t)(P->end - P->p), &adv) == KT_UTF8_BAD) {
        perr(P, KT_EINVAL, "invalid UTF-8 in a string");
        goto fail;
      }
      kt_buf_append(&b, P->p, adv);
      P->p += adv;
      continue;
    }
    if (c != '\\') {
      const char *run = P->p;
      while (P->p < P->end && *P->p != '"' && *P->p != '\\' && (unsigned char)*P->p >= 0x20 &&
             (unsigned char)*P->p < 0x80)
        P->p++;
      kt_buf_append(&b, run, (size_t)(P->p - run));
      continue;
    }
    if (P->end - P->p < 2) {
      perr(P, KT_EINVAL, "unterminated string (missing '\"')");
      goto fail;
    }
    char e = P->p[1];
    P->p += 2;
    switch (e) {
      case '"': kt_buf_putc(&b, '"'); break;
      case '\\': kt_buf_putc(&b, '\\'); break;
      case '/': kt_buf_putc(&b, '/'); break;
      case 'b': kt_buf_putc(&b, '\b'); break;
      case 'f': kt_buf_putc(&b, '\f'); break;
      case 'n': kt_buf_putc(&b, '\n'); break;
      case 'r': kt_buf_putc(&b, '\r'); break;
      case 't': kt_buf_putc(&b, '\t'); break;
      case 'u': {
        int u = P->end - P->p >= 4 ? hex4(P->p) : -1;
        if (u < 0) {
          perr(P, KT_EINVAL, "\\u must be followed by 4 hex digits");
          goto fail;
        }
        P->p += 4;
        uint32_t cp = (uint32_t)u;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          int lo = P->end - P->p >= 6 && P->p[0] == '\\' && P->p[1] == 'u' ? hex4(P->p + 2) : -1;
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
            P->p += 6;
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD;
        }
        utf8_append(&b, cp);
        break;
      }
      default:
        P->p--;
        perr(P, KT_EINVAL, "unknown escape in a string (use \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        goto fail;
    }
  }
  if (b.oom) {
    perr(P, KT_ENOMEM, "");
    goto fail;
  }
  *outlen = b.len;
  *out = kt_buf_take(&b);
  if (!*out) {
    perr(P, KT_ENOMEM, "");
    return false;
  }
  return true;
fail:
  kt_buf_free(&b);
  return false;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static kt_jval *parse_number(parser *P) {
  const char *b = P->p, *q = P->p, *e = P->end;
  if (q < e && *q == '-') q++;
  if (q < e && *q == '0')
    q++;
  else if (q < e && is_digit(*q)) {
    while (q < e && is_digit(*q)) q++;
  } else {
    return perr(P, KT_EINVAL, "expected a value (string, number, object, array, true, false or null)");
  }
  if (q < e && *q == '.') {
    q++;
    if (q >= e || !is_digit(*q)) {
      P->p = q;
      return perr(P, KT_EINVAL, "expected digits after '.'");
    }
    while (q < e && is_digit(*q)) q++;
  }
  if (q < e && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < e && (*q == '+' || *q == '-')) q++;
    if (q >= e || !is_digit(*q)) {
      P->p = q;
      return perr(P, KT_EINVAL, "expected digits in the exponent");
    }
    while (q < e && is_digit(*q)) q++;
  }
  kt_jval *v = new_val(P, KT_JNUM);
  if (!v) return NULL;
  v->slen = (size_t)(q - b);
  v->s = malloc(v->slen + 1);
  if (!v->s) {
    free(v);
    return perr(P, KT_ENOMEM, "");
  }
  memcpy(v->s, b, v->slen);
  v->s[v->slen] = '\0';
  locale_t old = c_locale_push();
  v->num = strtod(v->s, NULL);
  c_locale_pop(old);
  P->p = q;
  return v;
}

static bool push(parser *P, kt_jval *c, kt_jval *item, char *key) {
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 4;
    kt_jval **items = realloc(c->items, cap * sizeof *items);
    if (!items) goto oom;
    c->items = items;
    if (c->type == KT_JOBJ) {
      char **keys = realloc(c->keys, cap * sizeof *keys);
      if (!keys) goto oom;
      c->keys = keys;
    }
    c->cap = cap;
  }
  c->items[c->n] = item;
  if (c->type == KT_JOBJ) c->keys[c->n] = key;
  c->n++;
  return true;
oom:
  kt_jval_free(item);
  free(key);
  perr(P, KT_ENOMEM, "");
  return false;
}

static bool literal(parser *P, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(P->end - P->p) >= n && memcmp(P->p, word, n) == 0) {
    P->p += n;
    return true;
  }
  return false;
}

static kt_jval *parse_value(parser *P, int depth) {
  skip_ws(P);
  if (P->p >= P->end) return perr(P, KT_EINVAL, "unexpected end of input, expected a value");
  char c = *P->p;
  if (c == '{' || c == '[') {
    if (depth >= MAX_DEPTH) return perr(P, KT_EINVAL, "nested deeper than 64 levels");
    bool obj = c == '{';
    char close = obj ? '}' : ']';
    kt_jval *v = new_val(P, obj ? KT_JOBJ : KT_JARR);
    if (!v) return NULL;
    P->p++;
    skip_ws(P);
    if (P->p < P->end && *P->p == close) {
      P->p++;
      return v;
    }
    for (;;) {
      char *key = NULL;
      size_t klen;
      if (obj) {
        skip_ws(P);
        if (P->p >= P->end || *P->p != '"') {
          perr(P, KT_EINVAL, "expected a key in double quotes");
          goto fail;
        }
        if (!parse_string(P, &key, &klen)) goto fail;
        skip_ws(P);
        if (P->p >= P->end || *P->p != ':') {
          free(key);
          perr(P, KT_EINVAL, "expected ':' after an object key");
          goto fail;
        }
        P->p++;
      }
      kt_jval *item = parse_value(P, depth + 1);
      if (!item) {
        free(key);
        goto fail;
      }
      if (!push(P, v, item, key)) goto fail;
      skip_ws(P);
      if (P->p < P->end && *P->p == ',') {
        P->p++;
        continue;
      }
      if (P->p < P->end && *P->p == close) {
        P->p++;
        return v;
      }
      perr(P, KT_EINVAL, obj ? "expected ',' or '}'" : "expected ',' or ']'");
      goto fail;
    }
  fail:
    kt_jval_free(v);
    return NULL;
  }
  if (c == '"') {
    kt_jval *v = new_val(P, KT_JSTR);
    if (!v) return NULL;
    if (!parse_string(P, &v->s, &v->slen)) {
      free(v);
      return NULL;
    }
    return v;
  }
  bool t = literal(P, "true");
  if (t || literal(P, "false")) {
    kt_jval *v = new_val(P, KT_JBOOL);
    if (v) v->b = t;
    return v;
  }
  if (literal(P, "null")) return new_val(P, KT_JNULL);
  return parse_number(P);
}

int kt_json_parse(const char *s, size_t len, kt_jval **out, kt_err *err) {
  parser P = {s, s, s + len, err, 0};
  kt_jval *v = parse_value(&P, 0);
  if (v) {
    skip_ws(&P);
    if (P.p != P.end) {
      perr(&P, KT_EINVAL, "unexpected text after the JSON value");
      kt_jval_free(v);
      v = NULL;
    }
  }
  if (!v) return P.rc ? P.rc : KT_EINVAL;
  *out = v;
  return 0;
}

void kt_jval_free(kt_jval *v) {
  if (!v) return;
  for (size_t i = 0; i < v->n; i++) {
    kt_jval_free(v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->s);
  free(v);
}

kt_jtype kt_jval_type(const kt_jval *v) { return v ? v->type : KT_JNULL; }

const kt_jval *kt_jval_get(const kt_jval *obj, const char *key) {
  if (!obj || obj->type != KT_JOBJ || !key) return NULL;
  for (size_t i = obj->n; i-- > 0;)
    if (strcmp(obj->keys[i], key) == 0) return obj->items[i];
  return NULL;
}

size_t kt_jval_len(const kt_jval *v) { return v && (v->type == KT_JARR || v->type == KT_JOBJ) ? v->n : 0; }

const kt_jval *kt_jval_at(const kt_jval *arr, size_t i) {
  return arr && (arr->type == KT_JARR || arr->type == KT_JOBJ) && i < arr->n ? arr->items[i] : NULL;
}

const char *kt_jval_key_at(const kt_jval *obj, size_t i) {
  return obj && obj->type == KT_JOBJ && i < obj->n ? obj->keys[i] : NULL;
}

const char *kt_jval_str(const kt_jval *v) {
  return v && (v->type == KT_JSTR || v->type == KT_JNUM) ? v->s : NULL;
}

size_t kt_jval_str_len(const kt_jval *v) {
  return v && (v->type == KT_JSTR || v->type == KT_JNUM) ? v->slen : 0;
}

double kt_jval_num(const kt_jval *v) { return v && v->type == KT_JNUM ? v->num : 0; }

bool kt_jval_bool(const kt_jval *v) { return v && v->type == KT_JBOOL && v->b; }
