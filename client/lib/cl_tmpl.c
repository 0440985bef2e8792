/* cl_tmpl — template parser and renderer (see cl_tmpl.h). A template is a
 * list of nodes, each either a slice of the source text or a placeholder
 * (type, field by version index, filters). Fields are found through the
 * office model by name, so custom fields work like built-in ones; the version
 * index is stable for the life of the model, the field's position is looked
 * up in the record's own type when rendering. */
#include "cl_tmpl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicode/ucasemap.h>

#include "kt_text.h"
#include "kt_time.h"

typedef enum fkind { FK_DEFAULT, FK_UPPER, FK_LOWER, FK_DATE, FK_MONEY } fkind;

/* The filters: name, kind, argument (0 none, 1 required, 2 optional). */
static const struct {
  const char *name;
  fkind kind;
  int arg;
} filters[] = {
    {"default", FK_DEFAULT, 1}, {"upper", FK_UPPER, 0}, {"lower", FK_LOWER, 0},
    {"date", FK_DATE, 1},       {"money", FK_MONEY, 2},
};
#define NFILTERS ((int)(sizeof filters / sizeof filters[0]))

typedef struct tfilter {
  fkind kind;
  char *arg; /* NULL when none */
} tfilter;

typedef struct tnode {
  size_t src, n; /* the source slice (literal text or the whole placeholder) */
  bool ph;
  char type[KT_NAME_MAX];
  int vidx;
  tfilter *fl;
  int nfl;
} tnode;

struct cl_tmpl {
  const char *text; /* the source, copied */
  tnode *nodes;
  int n, cap, nph;
};

void cl_tmpl_free(cl_tmpl *t) {
  if (!t) return;
  for (int i = 0; i < t->n; i++) {
    for (int k = 0; k < t->nodes[i].nfl; k++) free(t->nodes[i].fl[k].arg);
    free(t->nodes[i].fl);
  }
  free(t->nodes);
  free((char *)t->text);
  free(t);
}

static tnode *push_node(cl_tmpl *t) {
  if (t->n == t->cap) {
    int nc = t->cap ? t->cap * 2 : 16;
    tnode *p = realloc(t->nodes, (size_t)nc * sizeof *p);
    if (!p) return NULL;
    t->nodes = p;
    t->cap = nc;
  }
  tnode *nd = &t->nodes[t->n++];
  memset(nd, 0, sizeof *nd);
  return nd;
}

/* Line and column (characters) of byte offset off. */
static void where(const char *s, size_t off, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off; i++) {
    if (s[i] == '\n') {
      (*line)++;
      *col = 1;
    } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
      (*col)++;
    }
  }
}

typedef struct parser {
  const char *s;
  size_t len, pos, start; /* start: the placeholder's "{{" */
  kt_model *m;
  kt_err *err;
} parser;

static int perr(parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(parser *p, size_t at, const char *fmt, ...) {
  int line, col;
  where(p->s, at, &line, &col);
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return kt_err_set(p->err, KT_EINVAL, "line %d, column %d: %s", line, col, msg);
}

static void skip_ws(parser *p) {
  while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t')) p->pos++;
}

static bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* An identifier into out (NUL-terminated); false when there is none or it is too long. */
static bool ident(parser *p, char *out, size_t outsz) {
  size_t b = p->pos;
  while (p->pos < p->len && is_ident(p->s[p->pos])) p->pos++;
  size_t n = p->pos - b;
  if (n == 0 || n >= outsz) return false;
  memcpy(out, p->s + b, n);
  out[n] = 0;
  return true;
}

static bool at_close(const parser *p) {
  return p->pos + 1 < p->len && p->s[p->pos] == '}' && p->s[p->pos + 1] == '}';
}

/* A filter argument: "quoted" (\" and \\ escapes) or a bare word up to | or }}. */
static int filter_arg(parser *p, char **out) {
  kt_buf b = KT_BUF_INIT;
  size_t at = p->pos;
  if (p->pos < p->len && p->s[p->pos] == '"') {
    p->pos++;
    for (;;) {
      if (p->pos >= p->len || p->s[p->pos] == '\n') {
        kt_buf_free(&b);
        return perr(p, at, "the quoted text has no closing \"");
      }
      char c = p->s[p->pos++];
      if (c == '"') break;
      if (c == '\\' && p->pos < p->len) c = p->s[p->pos++];
      kt_buf_putc(&b, c);
    }
  } else {
    while (p->pos < p->len && p->s[p->pos] != '|' && !at_close(p) && p->s[p->pos] != '\n')
      kt_buf_putc(&b, p->s[p->pos++]);
    while (b.len && (b.p[b.len - 1] == ' ' || b.p[b.len - 1] == '\t')) b.p[--b.len] = 0;
  }
  if (b.oom) {
    kt_buf_free(&b);
    return kt_err_set(p->err, KT_ENOMEM, "out of memory");
  }
  *out = b.p ? kt_buf_take(&b) : strdup("");
  return *out ? 0 : kt_err_set(p->err, KT_ENOMEM, "out of memory");
}

/* The types a placeholder may name: client cards and what belongs to them. */
static bool usable_type(const kt_mtype *t) {
  return !(t->def->flags & (KT_TF_CONFIG | KT_TF_SYSTEM | KT_TF_ELEMENT));
}

static int usable_types(kt_model *m, kt_buf *out) {
  int n;
  kt_mtype *ts = kt_model_types(m, &n);
  for (int i = 0; i < n; i++)
    if (usable_type(&ts[i])) kt_buf_printf(out, "%s%s", out->len ? ", " : "", ts[i].def->name);
  return 0;
}

static int unknown_field(parser *p, size_t at, kt_mtype *t, const char *name) {
  const char *cands[KT_MAX_FIELDS];
  int n = 0;
  for (int i = 0; i < t->nfields && n < KT_MAX_FIELDS; i++) cands[n++] = t->fields[i].name;
  int k = kt_text_nearest(name, cands, n);
  char fq[2 * KT_NAME_MAX + 2];
  snprintf(fq, sizeof fq, "%s.%s", t->def->name, name);
  if (k >= 0) {
    char hint[2 * KT_NAME_MAX + 40];
    snprintf(hint, sizeof hint, "%s.%s", t->def->name, cands[k]);
    return perr(p, at, "unknown placeholder {{%s}}: did you mean {{%s}}?", fq, hint);
  }
  return perr(p, at, "unknown placeholder {{%s}}: %s has no such field (see `kartoteka field "
              "list`)", fq, t->def->name);
}

static int placeholder(parser *p, cl_tmpl *t) {
  size_t at = p->pos + 2;
  p->start = p->pos;
  p->pos += 2;
  skip_ws(p);
  char tname[KT_NAME_MAX], fname[KT_NAME_MAX];
  size_t tat = p->pos;
  if (!ident(p, tname, sizeof tname))
    return perr(p, at, "a placeholder is {{type.field}}, e.g. {{org.name}}");
  kt_mtype *ty = kt_model_type(p->m, tname);
  if (!ty || !usable_type(ty)) {
    kt_buf b = KT_BUF_INIT;
    usable_types(p->m, &b);
    int rc = perr(p, tat, "unknown placeholder type '%s': use one of %s", tname, kt_buf_str(&b));
    kt_buf_free(&b);
    return rc;
  }
  if (p->pos >= p->len || p->s[p->pos] != '.')
    return perr(p, p->pos, "a placeholder is {{type.field}}: a dot and a field name after '%s'",
                tname);
  p->pos++;
  size_t fat = p->pos;
  if (!ident(p, fname, sizeof fname))
    return perr(p, fat, "a field name after '%s.'", tname);
  kt_mfield *f = kt_mtype_field(ty, fname);
  if (!f) return unknown_field(p, fat, ty, fname);
  tnode *nd = push_node(t);
  if (!nd) return kt_err_set(p->err, KT_ENOMEM, "out of memory");
  nd->ph = true;
  nd->src = p->start;
  snprintf(nd->type, sizeof nd->type, "%s", tname);
  nd->vidx = f->vidx;
  skip_ws(p);
  while (p->pos < p->len && p->s[p->pos] == '|') {
    p->pos++;
    skip_ws(p);
    char name[32];
    size_t nat = p->pos;
    if (!ident(p, name, sizeof name))
      return perr(p, nat, "a filter name after '|' (default, upper, lower, date, money)");
    int k = 0;
    while (k < NFILTERS && strcmp(filters[k].name, name) != 0) k++;
    if (k == NFILTERS)
      return perr(p, nat, "unknown filter '%s': use default, upper, lower, date or money", name);
    tfilter *nf = realloc(nd->fl, (size_t)(nd->nfl + 1) * sizeof *nf);
    if (!nf) return kt_err_set(p->err, KT_ENOMEM, "out of memory");
    nd->fl = nf;
    tfilter *fl = &nd->fl[nd->nfl++];
    fl->kind = filters[k].kind;
    fl->arg = NULL;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ':') {
      if (!filters[k].arg) return perr(p, p->pos, "the filter '%s' takes no argument", name);
      p->pos++;
      skip_ws(p);
      int rc = filter_arg(p, &fl->arg);
      if (rc) return rc;
      skip_ws(p);
    } else if (filters[k].arg == 1) {
      return perr(p, nat, "the filter '%s' needs an argument, e.g. %s", name,
                  fl->kind == FK_DATE ? "date:\"%d.%m.%Y\"" : "default:\"коллеги\"");
    }
    if (fl->kind == FK_DATE && f->type != KT_FT_DATE && f->type != KT_FT_DATETIME)
      return perr(p, nat, "the filter 'date' is for dates; %s is not one", fname);
    if (fl->kind == FK_MONEY && f->type != KT_FT_MONEY && f->type != KT_FT_NUMBER &&
        f->type != KT_FT_INT)
      return perr(p, nat, "the filter 'money' is for amounts; %s is not one", fname);
  }
  if (!at_close(p)) {
    if (p->pos >= p->len || p->s[p->pos] == '\n')
      return perr(p, p->start, "the placeholder is not closed: end it with }}");
    return perr(p, p->pos, "unexpected text in the placeholder: end it with }}");
  }
  p->pos += 2;
  nd->n = p->pos - p->start;
  t->nph++;
  return 0;
}

int cl_tmpl_parse(kt_model *m, const char *text, size_t len, cl_tmpl **out, kt_err *err) {
  cl_tmpl *t = calloc(1, sizeof *t);
  char *copy = malloc(len + 1);
  int rc = 0;
  if (!t || !copy) {
    free(t);
    free(copy);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  memcpy(copy, text, len);
  copy[len] = 0;
  t->text = copy;
  parser p = {.s = copy, .len = len, .m = m, .err = err};
  size_t lit = 0;
  while (p.pos < len) {
    if (copy[p.pos] == '{' && p.pos + 1 < len && copy[p.pos + 1] == '{') {
      if (p.pos > lit) {
        tnode *nd = push_node(t);
        if (!nd) {
          rc = kt_err_set(err, KT_ENOMEM, "out of memory");
          goto out;
        }
        nd->src = lit;
        nd->n = p.pos - lit;
      }
      if ((rc = placeholder(&p, t))) goto out;
      lit = p.pos;
    } else if (copy[p.pos] == '}' && p.pos + 1 < len && copy[p.pos + 1] == '}') {
      rc = perr(&p, p.pos, "'}}' without an opening '{{'");
      goto out;
    } else {
      p.pos++;
    }
  }
  if (len > lit) {
    tnode *nd = push_node(t);
    if (!nd) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      goto out;
    }
    nd->src = lit;
    nd->n = len - lit;
  }
out:
  if (rc) cl_tmpl_free(t);
  else *out = t;
  return rc;
}

bool cl_tmpl_uses(const cl_tmpl *t, const char *type) {
  for (int i = 0; i < t->n; i++)
    if (t->nodes[i].ph && strcmp(t->nodes[i].type, type) == 0) return true;
  return false;
}

int cl_tmpl_count(const cl_tmpl *t) { return t->nph; }

void cl_tmpl_ctx_set(cl_tmpl_ctx *c, const kt_rec *r) {
  if (!r) return;
  for (int i = 0; i < c->n; i++)
    if (c->rec[i]->type->def == r->type->def) {
      c->rec[i] = r;
      return;
    }
  if (c->n < CL_TMPL_MAXCTX) c->rec[c->n++] = r;
}

/* ---- rendering ------------------------------------------------------------ */

static void put_money(int64_t cents, const char *unit, kt_buf *out) {
  uint64_t u = cents < 0 ? (uint64_t)(-(cents + 1)) + 1 : (uint64_t)cents;
  char digits[32];
  int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)(u / 100));
  if (cents < 0) kt_buf_putc(out, '-');
  for (int i = 0; i < nd; i++) {
    if (i && (nd - i) % 3 == 0) kt_buf_puts(out, "\xC2\xA0"); /* no-break space */
    kt_buf_putc(out, digits[i]);
  }
  kt_buf_printf(out, ",%02u", (unsigned)(u % 100));
  if (unit && *unit) {
    kt_buf_puts(out, "\xC2\xA0");
    kt_buf_puts(out, unit);
  }
}

/* The case-mapped copy of cur (ICU, root locale). */
static int map_case(kt_buf *cur, bool upper) {
  UErrorCode ec = U_ZERO_ERROR;
  UCaseMap *cm = ucasemap_open("", 0, &ec);
  if (U_FAILURE(ec)) return KT_EINTERNAL;
  size_t cap = cur->len * 2 + 8;
  char *dst = malloc(cap);
  int rc = 0;
  if (!dst) rc = KT_ENOMEM;
  else {
    int32_t n = upper ? ucasemap_utf8ToUpper(cm, dst, (int32_t)cap, cur->p ? cur->p : "",
                                             (int32_t)cur->len, &ec)
                      : ucasemap_utf8ToLower(cm, dst, (int32_t)cap, cur->p ? cur->p : "",
                                             (int32_t)cur->len, &ec);
    if (U_SUCCESS(ec)) {
      kt_buf_reset(cur);
      kt_buf_append(cur, dst, (size_t)n);
    } /* invalid UTF-8 and the like: the text stays as it was */
  }
  free(dst);
  ucasemap_close(cm);
  return rc;
}

static void put_date(const kt_mfield *f, const kt_value *v, const char *fmt, kt_buf *out) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  if (f->type == KT_FT_DATE && v->kind == KT_V_TEXT) {
    int y, mo, d;
    if (sscanf(v->s, "%4d-%2d-%2d", &y, &mo, &d) != 3) return;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = 12;
    tm.tm_isdst = -1;
    time_t tt = mktime(&tm); /* fills tm_wday / tm_yday */
    if (tt != (time_t)-1) localtime_r(&tt, &tm);
  } else if (v->kind == KT_V_INT) {
    time_t tt = (time_t)(v->i / 1000);
    localtime_r(&tt, &tm);
  } else {
    return;
  }
  char buf[256];
  /* the format is the template's (any strftime form); strftime never writes past buf */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  size_t n = strftime(buf, sizeof buf, fmt, &tm);
#pragma GCC diagnostic pop
  kt_buf_append(out, buf, n);
}

/* The value of placeholder nd in context c, filtered (not escaped). */
static int value_of(const tnode *nd, const cl_tmpl_ctx *c, kt_buf *cur) {
  const kt_rec *r = NULL;
  for (int i = 0; i < c->n && !r; i++)
    if (strcmp(c->rec[i]->type->def->name, nd->type) == 0) r = c->rec[i];
  const kt_mfield *f = NULL;
  const kt_value *v = NULL;
  if (r && nd->vidx >= 0 && nd->vidx < KT_MAX_FIELDS && r->type->pos[nd->vidx] >= 0) {
    f = &r->type->fields[r->type->pos[nd->vidx]];
    v = &r->v[r->type->pos[nd->vidx]];
    if (v->kind == KT_V_NULL) v = NULL;
  }
  bool formatted = false;
  for (int k = 0; k < nd->nfl; k++) {
    const tfilter *fl = &nd->fl[k];
    if (fl->kind == FK_DATE && v && !formatted) {
      put_date(f, v, fl->arg, cur);
      formatted = true;
    } else if (fl->kind == FK_MONEY && v && !formatted) {
      int64_t cents = 0;
      if (f->type == KT_FT_MONEY) cents = v->i;
      else if (f->type == KT_FT_INT) cents = v->i * 100;
      else if (v->kind == KT_V_TEXT && kt_money_parse(v->s, &cents, NULL)) cents = 0;
      put_money(cents, fl->arg, cur);
      formatted = true;
    }
  }
  /* a built-in choice in the user's language, as the app and the titles show it */
  if (!formatted && v) kt_mfield_format_tr(r->type, f, v, cur);
  for (int k = 0; k < nd->nfl; k++) {
    const tfilter *fl = &nd->fl[k];
    int rc = 0;
    if (fl->kind == FK_UPPER || fl->kind == FK_LOWER) rc = map_case(cur, fl->kind == FK_UPPER);
    else if (fl->kind == FK_DEFAULT && cur->len == 0) kt_buf_puts(cur, fl->arg);
    if (rc) return rc;
  }
  return cur->oom ? KT_ENOMEM : 0;
}

static void escape(const char *s, size_t n, cl_tmpl_esc esc, kt_buf *out) {
  if (esc == CL_ESC_NONE) {
    kt_buf_append(out, s, n);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    switch (s[i]) {
    case '&': kt_buf_puts(out, "&amp;"); break;
    case '<': kt_buf_puts(out, "&lt;"); break;
    case '>': kt_buf_puts(out, "&gt;"); break;
    case '"': kt_buf_puts(out, "&quot;"); break;
    case '\'': kt_buf_puts(out, "&#39;"); break;
    default: kt_buf_putc(out, s[i]);
    }
  }
}

int cl_tmpl_walk(const cl_tmpl *t, const cl_tmpl_ctx *c, cl_tmpl_esc esc, cl_tmpl_piece_fn cb,
                 void *ud, kt_err *err) {
  kt_buf cur = KT_BUF_INIT, esc_buf = KT_BUF_INIT;
  int rc = 0;
  for (int i = 0; i < t->n && !rc; i++) {
    const tnode *nd = &t->nodes[i];
    if (!nd->ph) {
      rc = cb(ud, nd->src, nd->n, NULL, 0);
      continue;
    }
    kt_buf_reset(&cur);
    kt_buf_reset(&esc_buf);
    if ((rc = value_of(nd, c, &cur))) {
      rc = kt_err_set(err, rc, rc == KT_ENOMEM ? "out of memory" : "could not change the case");
      break;
    }
    escape(cur.p ? cur.p : "", cur.len, esc, &esc_buf);
    if (esc_buf.oom) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      break;
    }
    rc = cb(ud, nd->src, nd->n, esc_buf.p ? esc_buf.p : "", esc_buf.len);
  }
  kt_buf_free(&cur);
  kt_buf_free(&esc_buf);
  return rc;
}

typedef struct render_ud {
  const char *text;
  kt_buf *out;
} render_ud;

static int on_piece_append(void *ud, size_t src, size_t n, const char *val, size_t vlen) {
  render_ud *r = ud;
  if (val) kt_buf_append(r->out, val, vlen);
  else kt_buf_append(r->out, r->text + src, n);
  return 0;
}

int cl_tmpl_render(const cl_tmpl *t, const cl_tmpl_ctx *c, cl_tmpl_esc esc, kt_buf *out,
                   kt_err *err) {
  render_ud r = {t->text, out};
  int rc = cl_tmpl_walk(t, c, esc, on_piece_append, &r, err);
  if (!rc && out->oom) rc = kt_err_set(err, KT_ENOMEM, "out of memory");
  return rc;
}
