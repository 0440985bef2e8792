/* cl_vcard — see cl_vcard.h. The reader unfolds logical lines (a line that
 * starts with a space or tab continues the previous one; a quoted-printable
 * value ending in '=' continues on the next line), splits each into group,
 * name, parameters and value, decodes it (QUOTED-PRINTABLE, CHARSET through
 * ICU, backslash escapes) and looks the property up in `vmap`. The writer
 * walks the same table. */
#include "cl_vcard.h"
#include "kt_tags.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/ucnv.h>

#include "cl_grid.h"
#include "kt_utf8.h"

enum {
  VM_MULTI = 1u << 0, /* several values joined (phones, e-mails) */
  VM_DATE = 1u << 1,  /* a date: 19800517, 1980-05-17, --0517 -> ISO */
  VM_TEL = 1u << 2,   /* a tel: URI prefix is dropped */
  VM_UID = 1u << 3,   /* the card's identity: read into "id"; written from the uid argument */
  VM_LIST = 1u << 4, /* a list value (CATEGORIES): the tags, each escaped, joined by ',' */
};

/* The one correspondence of vCard properties and contact fields. Reading: the
 * first row whose property (and TYPE, when the row names one) matches takes
 * the value. Writing: every row whose field has a value writes it, with the
 * row's TYPE. A structured property (N, ADR, ORG) names its components as a
 * bit mask: reading joins them with ", ", writing puts the value in the lowest. */
typedef struct vmap {
  const char *prop;
  const char *type; /* TYPE the property must have (reading) and gets (writing) */
  unsigned comps;   /* structured components (bit i = component i); 0 = whole value */
  const char *field; /* NULL: the property is skipped */
  unsigned flags;
} vmap;

static const vmap vmap_rows[] = {
    {"N", NULL, 1u << 0, "last_name", 0},
    {"N", NULL, 1u << 1, "first_name", 0},
    {"N", NULL, 1u << 2, "middle_name", 0},
    {"ORG", NULL, 1u << 0, "org", 0},
    {"TITLE", NULL, 0, "position", 0},
    {"TEL", "FAX", 0, NULL, 0}, /* a fax is not a number to call: skipped */
    {"TEL", "CELL", 0, "phone_mobile", VM_MULTI | VM_TEL},
    {"TEL", "WORK", 0, "phone_work", VM_MULTI | VM_TEL},
    {"TEL", "HOME", 0, "phone_home", VM_MULTI | VM_TEL},
    {"TEL", NULL, 0, "phone_mobile", VM_MULTI | VM_TEL},
    {"EMAIL", NULL, 0, "email", VM_MULTI},
    {"EMAIL", NULL, 0, "email2", VM_MULTI},
    {"ADR", NULL, (1u << 2) | (1u << 0) | (1u << 1) | (1u << 4) | (1u << 5) | (1u << 6), "address", 0},
    {"ADR", NULL, 1u << 3, "city", 0},
    {"BDAY", NULL, 0, "birthday", VM_DATE},
    {"IMPP", NULL, 0, "messenger", VM_MULTI},
    {"URL", NULL, 0, "social", VM_MULTI},
    {"NOTE", NULL, 0, "comment", 0},
    {"UID", NULL, 0, "id", VM_UID},
    {"CATEGORIES", NULL, 0, "tags", VM_LIST},
};
#define NVMAP ((int)(sizeof vmap_rows / sizeof vmap_rows[0]))

/* How many components each structured property has when written. */
static const struct {
  const char *prop;
  int ncomp;
} vstruct[] = {{"N", 5}, {"ADR", 7}, {"ORG", 1}};

static int struct_comps(const char *prop) {
  for (size_t i = 0; i < sizeof vstruct / sizeof vstruct[0]; i++)
    if (strcasecmp(vstruct[i].prop, prop) == 0) return vstruct[i].ncomp;
  return 0;
}

#define X_PREFIX "X-KARTOTEKA-"
#define VC_MAX_BYTES (256u << 20)

/* ---- reading ------------------------------------------------------------- */

typedef struct vline {
  int line;     /* physical line where the logical line starts */
  kt_buf text;  /* unfolded */
} vline;

typedef struct vprop {
  char name[64];
  char types[256];     /* ",CELL,VOICE," upper case */
  char charset[64];
  bool qp, b64, skip;
  const char *value;   /* into the line's text */
  size_t vlen;
} vprop;

/* Reads the next logical line from data[*pos..n); 0 at the end. */
static int next_line(const char *d, size_t n, size_t *pos, int *lineno, vline *out) {
  kt_buf_reset(&out->text);
  if (*pos >= n) return 0;
  out->line = *lineno;
  bool qp_cont = false;
  for (;;) {
    size_t s = *pos, e = s;
    while (e < n && d[e] != '\r' && d[e] != '\n') e++;
    size_t next = e;
    if (next < n && d[next] == '\r') next++;
    if (next < n && d[next] == '\n' && (next == e || d[next - 1] == '\r')) next++;
    if (qp_cont || !out->text.len) kt_buf_append(&out->text, d + s, e - s);
    else kt_buf_append(&out->text, d + s + 1, e - s - 1); /* folded: the one white space goes */
    *pos = next;
    (*lineno)++;
    /* a quoted-printable soft line break: the value goes on at the next line */
    const char *t = kt_buf_str(&out->text);
    const char *colon = strchr(t, ':');
    qp_cont = false;
    if (colon && out->text.len && t[out->text.len - 1] == '=') {
      size_t hl = (size_t)(colon - t);
      for (size_t i = 0; i + 16 <= hl; i++)
        if (strncasecmp(t + i, "QUOTED-PRINTABLE", 16) == 0) qp_cont = true;
      if (qp_cont) out->text.len--, out->text.p[out->text.len] = '\0';
    }
    if (*pos >= n) break;
    if (qp_cont) continue;
    if (d[*pos] == ' ' || d[*pos] == '\t') continue;
    break;
  }
  return 1;
}

static void upper_copy(char *dst, size_t cap, const char *s, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n && k + 1 < cap; i++) dst[k++] = (char)toupper((unsigned char)s[i]);
  dst[k] = '\0';
}

static void add_type(vprop *p, const char *s, size_t n) {
  /* TYPE=cell,voice / TYPE="cell,voice" / 2.1's bare CELL */
  while (n) {
    while (n && (*s == '"' || *s == ',' || *s == ' ')) s++, n--;
    size_t k = 0;
    while (k < n && s[k] != ',' && s[k] != '"') k++;
    if (k) {
      size_t have = strlen(p->types);
      if (have + k + 2 < sizeof p->types) {
        if (!have) p->types[have++] = ',';
        upper_copy(p->types + have, sizeof p->types - have, s, k);
        strcat(p->types, ",");
      }
    }
    s += k;
    n -= k;
  }
}

/* Splits "group.NAME;P=V;P:value". false when the line has no ':' (data of a
 * 2.1 PHOTO without folding, a broken line: skipped). */
static bool split_prop(const char *t, size_t len, vprop *p) {
  memset(p, 0, sizeof *p);
  size_t i = 0;
  bool quoted = false;
  size_t colon = len;
  for (i = 0; i < len; i++) {
    if (t[i] == '"') quoted = !quoted;
    else if (t[i] == ':' && !quoted) {
      colon = i;
      break;
    }
  }
  if (colon == len) return false;
  size_t ne = 0;
  while (ne < colon && t[ne] != ';') ne++;
  size_t ns = 0;
  for (size_t k = 0; k < ne; k++)
    if (t[k] == '.') ns = k + 1; /* item1.TEL: the group goes */
  upper_copy(p->name, sizeof p->name, t + ns, ne - ns);
  size_t k = ne;
  while (k < colon) {
    k++; /* ';' */
    size_t s = k;
    quoted = false;
    while (k < colon && (t[k] != ';' || quoted)) {
      if (t[k] == '"') quoted = !quoted;
      k++;
    }
    const char *pv = t + s;
    size_t pn = k - s;
    const char *eq = memchr(pv, '=', pn);
    if (!eq) {
      char up[40];
      upper_copy(up, sizeof up, pv, pn);
      if (strcmp(up, "QUOTED-PRINTABLE") == 0) p->qp = true;
      else if (strcmp(up, "BASE64") == 0) p->b64 = true;
      else add_type(p, pv, pn);
      continue;
    }
    char key[40], val[64];
    upper_copy(key, sizeof key, pv, (size_t)(eq - pv));
    size_t vn = pn - (size_t)(eq - pv) - 1;
    upper_copy(val, sizeof val, eq + 1, vn);
    if (strcmp(key, "TYPE") == 0) add_type(p, eq + 1, vn);
    else if (strcmp(key, "ENCODING") == 0) {
      if (strcmp(val, "QUOTED-PRINTABLE") == 0) p->qp = true;
      else if (strcmp(val, "B") == 0 || strcmp(val, "BASE64") == 0) p->b64 = true;
    } else if (strcmp(key, "CHARSET") == 0) {
      snprintf(p->charset, sizeof p->charset, "%s", val);
    } else if (strcmp(key, "VALUE") == 0 && strcmp(val, "URI") == 0 && strcmp(p->name, "PHOTO") == 0) {
      p->skip = true;
    }
  }
  p->value = t + colon + 1;
  p->vlen = len - colon - 1;
  return true;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = toupper(c);
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The value as UTF-8 text in out, still with its backslash escapes. */
static int decode_value(const vprop *p, int line, kt_buf *raw, kt_buf *out, kt_err *err) {
  kt_buf_reset(raw);
  kt_buf_reset(out);
  if (p->qp) {
    for (size_t i = 0; i < p->vlen; i++) {
      int h1, h2;
      if (p->value[i] == '=' && i + 2 < p->vlen &&
          (h1 = hexval((unsigned char)p->value[i + 1])) >= 0 &&
          (h2 = hexval((unsigned char)p->value[i + 2])) >= 0) {
        kt_buf_putc(raw, (char)(h1 * 16 + h2));
        i += 2;
      } else {
        kt_buf_putc(raw, p->value[i]);
      }
    }
  } else {
    kt_buf_append(raw, p->value, p->vlen);
  }
  if (raw->oom) return kt_err_set(err, KT_ENOMEM, "out of memory");
  if (p->charset[0] && strcmp(p->charset, "UTF-8") != 0 && strcmp(p->charset, "UTF8") != 0) {
    UErrorCode ue = U_ZERO_ERROR;
    int32_t cap = (int32_t)raw->len * 4 + 4;
    if (kt_buf_reserve(out, (size_t)cap)) return kt_err_set(err, KT_ENOMEM, "out of memory");
    int32_t m = ucnv_convert("UTF-8", p->charset, out->p, cap, raw->p ? raw->p : "",
                             (int32_t)raw->len, &ue);
    if (U_FAILURE(ue))
      return kt_err_set(err, KT_EINVAL, "line %d: cannot read %s in CHARSET=%s (%s)", line,
                        p->name, p->charset, u_errorName(ue));
    out->len = (size_t)m;
    out->p[m] = '\0';
  } else {
    kt_buf_append(out, raw->p ? raw->p : "", raw->len);
  }
  if (!kt_utf8_valid(kt_buf_str(out), out->len))
    return kt_err_set(err, KT_EINVAL, "line %d: %s is not UTF-8 text; save the file as UTF-8 "
                      "(vCard 3.0/4.0) or give the property a CHARSET", line, p->name);
  return out->oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
}

/* Component `comp` of a structured value (split at unescaped ';'), unescaped:
 * \n \N -> line break, \, \; \\ -> the character. comp < 0: the whole value. */
static void component(const char *v, size_t n, int comp, kt_buf *out) {
  kt_buf_reset(out);
  int c = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = v[i];
    if (ch == ';' && comp >= 0) {
      if (c++ == comp) break;
      continue;
    }
    if (ch == '\\' && i + 1 < n) {
      char e = v[++i];
      ch = (e == 'n' || e == 'N') ? '\n' : e;
    }
    if (comp < 0 || c == comp) kt_buf_putc(out, ch);
  }
}

static bool has_type(const vprop *p, const char *type) {
  char want[40];
  snprintf(want, sizeof want, ",%s,", type);
  return strstr(p->types, want) != NULL;
}

/* BDAY forms -> "1980-05-17" or "--05-17" (no year); other text unchanged. */
static void norm_date(const char *s, kt_buf *out) {
  char d[16];
  size_t k = 0;
  bool noyear = strncmp(s, "--", 2) == 0;
  for (const char *p = noyear ? s + 2 : s; *p && *p != 'T' && k < 12; p++)
    if (isdigit((unsigned char)*p)) d[k++] = *p;
    else if (*p != '-') return;
  d[k] = '\0';
  kt_buf tmp = KT_BUF_INIT;
  if (!noyear && k == 8) kt_buf_printf(&tmp, "%.4s-%.2s-%.2s", d, d + 4, d + 6);
  else if (noyear && k == 4) kt_buf_printf(&tmp, "--%.2s-%.2s", d, d + 2);
  if (tmp.len) {
    kt_buf_reset(out);
    kt_buf_append(out, tmp.p, tmp.len);
  }
  kt_buf_free(&tmp);
}

static void trim_buf(kt_buf *b) {
  size_t s = 0, e = b->len;
  while (s < e && isspace((unsigned char)b->p[s])) s++;
  while (e > s && isspace((unsigned char)b->p[e - 1])) e--;
  if (s) memmove(b->p, b->p + s, e - s);
  b->len = e - s;
  if (b->p) b->p[b->len] = '\0';
}

typedef struct vstate {
  cl_grid *g;
  kt_buf raw, val, comp, tmp;
  kt_buf fn; /* the card's FN, whole (a name is never cut mid-character) */
  bool has_n;
  int begin;
} vstate;

static int take_prop(vstate *st, const vprop *p, int line, kt_err *err) {
  int rc;
  if (p->b64 || p->skip || strcmp(p->name, "PHOTO") == 0 || strcmp(p->name, "LOGO") == 0 ||
      strcmp(p->name, "SOUND") == 0 || strcmp(p->name, "KEY") == 0)
    return 0; /* pictures, sounds, keys: skipped */
  bool x = strncmp(p->name, X_PREFIX, strlen(X_PREFIX)) == 0;
  bool known = x || strcmp(p->name, "FN") == 0;
  for (int i = 0; !known && i < NVMAP; i++) known = strcmp(vmap_rows[i].prop, p->name) == 0;
  if (!known) return 0; /* VERSION, PRODID, REV, X-...: nothing of ours */
  if ((rc = decode_value(p, line, &st->raw, &st->val, err))) return rc;
  const char *v = kt_buf_str(&st->val);
  size_t vn = st->val.len;
  if (x) { /* a field we wrote ourselves: its name, as is */
    char name[64];
    size_t k = 0;
    for (const char *s = p->name + strlen(X_PREFIX); *s && k + 1 < sizeof name; s++) {
      char c = (char)tolower((unsigned char)*s);
      if (!(isalnum((unsigned char)c) || c == '_')) return 0;
      name[k++] = c;
    }
    name[k] = '\0';
    if (!k) return 0;
    component(v, vn, -1, &st->comp);
    return cl_grid_put(st->g, name, st->comp.p ? st->comp.p : "", st->comp.len, err);
  }
  if (strcmp(p->name, "FN") == 0) {
    component(v, vn, -1, &st->comp);
    trim_buf(&st->comp);
    kt_buf_reset(&st->fn);
    kt_buf_append(&st->fn, st->comp.p ? st->comp.p : "", st->comp.len);
    return st->fn.oom ? kt_err_set(err, KT_ENOMEM, "out of memory") : 0;
  }
  bool structured = struct_comps(p->name) > 0;
  for (int i = 0; i < NVMAP; i++) {
    const vmap *m = &vmap_rows[i];
    if (strcmp(m->prop, p->name) != 0) continue;
    if (m->type && !has_type(p, m->type)) continue;
    if (!m->field) break;
    kt_buf_reset(&st->tmp);
    if (structured) { /* every row of N/ADR/ORG takes its components */
      for (int c = 0; c < 32; c++) {
        if (!(m->comps & (1u << c))) continue;
        component(v, vn, c, &st->comp);
        trim_buf(&st->comp);
        if (!st->comp.len) continue;
        if (st->tmp.len) kt_buf_puts(&st->tmp, ", ");
        kt_buf_append(&st->tmp, st->comp.p, st->comp.len);
      }
      if (strcmp(p->name, "N") == 0) st->has_n = true;
    } else {
      component(v, vn, -1, &st->comp);
      trim_buf(&st->comp);
      const char *s = kt_buf_str(&st->comp);
      if ((m->flags & VM_TEL) && strncasecmp(s, "tel:", 4) == 0) s += 4;
      kt_buf_puts(&st->tmp, s);
      if (m->flags & VM_DATE) norm_date(s, &st->tmp);
    }
    if (st->tmp.oom) return kt_err_set(err, KT_ENOMEM, "out of memory");
    /* a second ORG, TITLE, BDAY...: the first stays (cl_grid_set) */
    if ((rc = cl_grid_set(st->g, m->field, kt_buf_str(&st->tmp), st->tmp.len,
                          (m->flags & VM_MULTI) != 0, err)))
      return rc;
    if (!structured) break; /* the first matching row takes a TEL or EMAIL */
  }
  return 0;
}

/* At END:VCARD: a card needs a name; FN stands in for a missing N. */
static int end_card(vstate *st, kt_err *err) {
  bool named = cl_grid_get(st->g, "last_name") || cl_grid_get(st->g, "first_name") ||
               cl_grid_get(st->g, "middle_name");
  const char *fn = kt_buf_str(&st->fn);
  if (!st->has_n && !fn[0])
    return kt_err_set(err, KT_EINVAL, "line %d: the vCard has neither N nor FN (a name); "
                      "add one, or leave the card out", st->begin);
  if (named || !fn[0]) return 0;
  const char *org = cl_grid_get(st->g, "org");
  if (org && strcmp(org, fn) == 0) return 0; /* a company's card: its name is the org */
  /* FN "Given Family": the last word is the family name */
  const char *sp = strrchr(fn, ' ');
  if (!sp) return cl_grid_set(st->g, "last_name", fn, strlen(fn), false, err);
  int rc = cl_grid_set(st->g, "first_name", fn, (size_t)(sp - fn), false, err);
  if (!rc) rc = cl_grid_set(st->g, "last_name", sp + 1, strlen(sp + 1), false, err);
  return rc;
}

int cl_vcard_parse(const char *d, size_t n, cl_rowset **out, kt_err *err) {
  vstate st = {.raw = KT_BUF_INIT, .val = KT_BUF_INIT, .comp = KT_BUF_INIT, .tmp = KT_BUF_INIT,
               .fn = KT_BUF_INIT};
  vline ln = {.text = KT_BUF_INIT};
  int rc = 0, lineno = 1, cards = 0;
  bool in = false;
  size_t pos = 0;
  if (n >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0) pos = 3;
  if (memchr(d, '\0', n)) {
    rc = kt_err_set(err, KT_EINVAL, "this is not a vCard file (it holds binary data); export "
                    "the contacts as .vcf");
    goto out;
  }
  if (!(st.g = cl_grid_new())) {
    rc = kt_err_set(err, KT_ENOMEM, "out of memory");
    goto out;
  }
  while (!rc && next_line(d, n, &pos, &lineno, &ln)) {
    const char *t = kt_buf_str(&ln.text);
    size_t tl = ln.text.len;
    while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t')) tl--;
    if (!tl) continue;
    vprop p;
    if (!split_prop(t, tl, &p)) continue;
    if (strcmp(p.name, "BEGIN") == 0 && p.vlen == 5 && strncasecmp(p.value, "VCARD", 5) == 0) {
      if (in) {
        rc = kt_err_set(err, KT_EINVAL, "line %d: the vCard that starts at line %d has no "
                        "END:VCARD before the next BEGIN:VCARD", ln.line, st.begin);
        break;
      }
      in = true;
      st.begin = ln.line;
      kt_buf_reset(&st.fn);
      st.has_n = false;
      rc = cl_grid_row(st.g, ln.line, "contact", err);
      continue;
    }
    if (!in) continue; /* text around the cards */
    if (strcmp(p.name, "END") == 0 && p.vlen == 5 && strncasecmp(p.value, "VCARD", 5) == 0) {
      in = false;
      cards++;
      rc = end_card(&st, err);
      continue;
    }
    rc = take_prop(&st, &p, ln.line, err);
  }
  if (rc) goto out;
  if (in) {
    rc = kt_err_set(err, KT_EINVAL, "line %d: the vCard that starts here has no END:VCARD (is "
                    "the file cut short?)", st.begin);
    goto out;
  }
  if (!cards) {
    rc = kt_err_set(err, KT_EINVAL, "this is not a vCard file: no BEGIN:VCARD in it; export the "
                    "contacts as .vcf");
    goto out;
  }
  rc = cl_grid_rowset(st.g, "vcard", out, err);
out:
  cl_grid_free(st.g);
  kt_buf_free(&st.raw);
  kt_buf_free(&st.val);
  kt_buf_free(&st.comp);
  kt_buf_free(&st.tmp);
  kt_buf_free(&st.fn);
  kt_buf_free(&ln.text);
  return rc;
}

int cl_vcard_read(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err) {
  (void)opts;
  kt_buf b = KT_BUF_INIT;
  int rc = cl_grid_load(path, VC_MAX_BYTES, &b, err);
  if (!rc) rc = cl_vcard_parse(kt_buf_str(&b), b.len, out, err);
  kt_buf_free(&b);
  return rc;
}

int cl_vcard_sniff(const char *head, size_t n) { return cl_grid_starts(head, n, "BEGIN:VCARD") ? 2 : 0; }

/* ---- writing ------------------------------------------------------------- */

/* Appends text escaped for a vCard value (3.0/4.0). */
static void escape(kt_buf *out, const char *s) {
  for (; s && *s; s++) {
    if (*s == '\\' || *s == ',' || *s == ';') {
      kt_buf_putc(out, '\\');
      kt_buf_putc(out, *s);
    } else if (*s == '\r') {
      if (s[1] != '\n') kt_buf_puts(out, "\\n");
    } else if (*s == '\n') {
      kt_buf_puts(out, "\\n");
    } else {
      kt_buf_putc(out, *s);
    }
  }
}

/* Appends one content line, folded at 75 octets (never inside a UTF-8
 * sequence), CRLF. */
static void put_line(kt_buf *out, const char *line, size_t n) {
  size_t col = 0;
  for (size_t i = 0; i < n;) {
    size_t adv = 1;
    while (i + adv < n && ((unsigned char)line[i + adv] & 0xC0) == 0x80) adv++;
    if (col + adv > 75) {
      kt_buf_puts(out, "\r\n ");
      col = 1;
    }
    kt_buf_append(out, line + i, adv);
    col += adv;
    i += adv;
  }
  kt_buf_puts(out, "\r\n");
}

static const char *lookup(const char *const *names, const char *const *values, int n,
                          const char *field) {
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], field) == 0) return values[i] && values[i][0] ? values[i] : NULL;
  return NULL;
}

static bool in_table(const char *field) {
  for (int i = 0; i < NVMAP; i++)
    if (vmap_rows[i].field && strcmp(vmap_rows[i].field, field) == 0) return true;
  return false;
}

/* The first row of field (the one that writes it). */
static bool writes(int i) {
  if (!vmap_rows[i].field) return false;
  for (int k = 0; k < i; k++)
    if (vmap_rows[k].field && strcmp(vmap_rows[k].field, vmap_rows[i].field) == 0) return false;
  return true;
}

static void put_type(kt_buf *l, int version, const char *type) {
  if (!type) return;
  kt_buf_puts(l, ";TYPE=");
  for (const char *t = type; *t; t++)
    kt_buf_putc(l, version >= 4 ? (char)tolower((unsigned char)*t) : *t);
}

void cl_vcard_write(kt_buf *out, int version, const char *const *names,
                    const char *const *values, int n, const char *uid) {
  kt_buf l = KT_BUF_INIT;
  kt_buf_puts(out, "BEGIN:VCARD\r\n");
  kt_buf_puts(out, version >= 4 ? "VERSION:4.0\r\n" : "VERSION:3.0\r\n");
  /* FN: the names as people read them, else the organization */
  static const char *const fn_parts[] = {"first_name", "middle_name", "last_name"};
  kt_buf fn = KT_BUF_INIT;
  for (int i = 0; i < 3; i++) {
    const char *v = lookup(names, values, n, fn_parts[i]);
    if (!v) continue;
    if (fn.len) kt_buf_putc(&fn, ' ');
    kt_buf_puts(&fn, v);
  }
  if (!fn.len && lookup(names, values, n, "org")) kt_buf_puts(&fn, lookup(names, values, n, "org"));
  kt_buf_puts(&l, "FN:");
  escape(&l, kt_buf_str(&fn));
  put_line(out, l.p, l.len);
  kt_buf_free(&fn);
  for (int i = 0; i < NVMAP; i++) {
    const vmap *m = &vmap_rows[i];
    int ncomp = struct_comps(m->prop);
    if (ncomp) {
      /* a structured property: written once, at its first row, from all its rows */
      bool first = true;
      for (int k = 0; k < i; k++) first &= strcmp(vmap_rows[k].prop, m->prop) != 0;
      if (!first) continue;
      const char *comp[8] = {0};
      bool any = false;
      for (int k = i; k < NVMAP; k++) {
        if (strcmp(vmap_rows[k].prop, m->prop) != 0) continue;
        const char *v = lookup(names, values, n, vmap_rows[k].field);
        int c = __builtin_ctz(vmap_rows[k].comps); /* the lowest component */
        if (v && c < 8) comp[c] = v, any = true;
      }
      if (!any && strcmp(m->prop, "N") != 0) continue; /* N is required */
      kt_buf_reset(&l);
      kt_buf_puts(&l, m->prop);
      kt_buf_putc(&l, ':');
      for (int c = 0; c < ncomp; c++) {
        if (c) kt_buf_putc(&l, ';');
        escape(&l, comp[c]);
      }
      put_line(out, l.p, l.len);
      continue;
    }
    if (!writes(i) || (m->flags & VM_UID)) continue;
    const char *v = lookup(names, values, n, m->field);
    if (!v) continue;
    kt_buf_reset(&l);
    kt_buf_puts(&l, m->prop);
    put_type(&l, version, m->type);
    if (m->flags & VM_TEL && version >= 4) kt_buf_puts(&l, ";VALUE=text");
    kt_buf_putc(&l, ':');
    if (m->flags & VM_LIST) {
      kt_tags tl = KT_TAGS_INIT;
      kt_tags_parse(&tl, v, NULL);
      for (int k = 0; k < tl.n; k++) {
        if (k) kt_buf_putc(&l, ',');
        escape(&l, tl.v[k].text);
      }
      kt_tags_free(&tl);
    } else {
      escape(&l, v);
    }
    put_line(out, l.p, l.len);
  }
  /* the fields the table does not name: as they are, under our own name */
  for (int i = 0; i < n; i++) {
    if (!values[i] || !values[i][0] || in_table(names[i])) continue;
    kt_buf_reset(&l);
    kt_buf_puts(&l, X_PREFIX);
    for (const char *s = names[i]; *s; s++) kt_buf_putc(&l, (char)toupper((unsigned char)*s));
    kt_buf_putc(&l, ':');
    escape(&l, values[i]);
    put_line(out, l.p, l.len);
  }
  if (uid && *uid) {
    kt_buf_reset(&l);
    kt_buf_puts(&l, "UID:");
    escape(&l, uid);
    put_line(out, l.p, l.len);
  }
  kt_buf_puts(out, "END:VCARD\r\n");
  kt_buf_free(&l);
}
