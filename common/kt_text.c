/* kt_text — see kt_text.h.
 *
 * Folding table: for U+0000..U+052F and U+1E00..U+1EFF, fold_init() computes once
 * (pthread_once) the folded UTF-8 of each code point with ICU: full lower-case
 * mapping, then for Latin letters the "Latin-ASCII" transliterator (falling back
 * to NFD minus combining marks), then the Cyrillic/Greek special cases. After
 * that the table is only read. */
#include "kt_i18n.h"
#include "kt_text.h"
#include "kt_utf8.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/ucol.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

/* ---- UTF-8 decoding ------------------------------------------------------ */


/* ---- folding table ------------------------------------------------------- */

enum {
  FOLD_LATIN = 1, /* a Latin letter folded to ASCII: combining marks after it are dropped */
  FOLD_MARK = 2,  /* a combining mark: may compose with the preceding base */
};

typedef struct fold_ent {
  unsigned char len, flags;
  char s[6]; /* folded UTF-8, not NUL-terminated */
} fold_ent;

#define FOLD_LO_END 0x530
#define FOLD_EXT_BEGIN 0x1E00
#define FOLD_EXT_END 0x1F00

static struct {
  fold_ent lo[FOLD_LO_END];
  fold_ent ext[FOLD_EXT_END - FOLD_EXT_BEGIN];
  const UNormalizer2 *nfc; /* NULL if ICU could not load it: no composition */
} g_fold;
static pthread_once_t g_fold_once = PTHREAD_ONCE_INIT;

static bool u16_is_ascii(const UChar *u, int32_t n) {
  for (int32_t i = 0; i < n; i++)
    if (u[i] >= 0x80) return false;
  return true;
}

/* Removes combining marks (Mn/Me) from u[0..*n). */
static void u16_strip_marks(UChar *u, int32_t *n) {
  int32_t w = 0;
  for (int32_t i = 0; i < *n; i++) {
    int8_t t = u_charType(u[i]);
    if (t != U_NON_SPACING_MARK && t != U_ENCLOSING_MARK) u[w++] = u[i];
  }
  *n = w;
}

static void fold_build(fold_ent *e, UChar32 cp, UTransliterator *latin, const UNormalizer2 *nfd) {
  UChar in[2], lo[16];
  int32_t n = 0, ln;
  UErrorCode st = U_ZERO_ERROR;
  in[n++] = (UChar)cp; /* the table only holds BMP code points */
  ln = u_strToLower(lo, 16, in, n, "", &st);
  if (U_FAILURE(st) || ln > 8) {
    lo[0] = (UChar)cp; /* only BMP code points are in the table */
    ln = 1;
  }
  st = U_ZERO_ERROR;
  UScriptCode sc = uscript_getScript(cp, &st);
  bool latin_letter = U_SUCCESS(st) && sc == USCRIPT_LATIN && u_isalpha(cp);
  UChar buf[32];
  int32_t bn = ln;
  u_memcpy(buf, lo, ln);
  if (latin_letter) {
    bool done = false;
    if (latin) {
      int32_t len = ln, lim = ln;
      st = U_ZERO_ERROR;
      utrans_transUChars(latin, buf, &len, 32, 0, &lim, &st);
      if (U_SUCCESS(st) && len > 0 && u16_is_ascii(buf, len)) {
        bn = len;
        done = true;
      } else {
        u_memcpy(buf, lo, ln);
      }
    }
    if (!done && nfd) { /* e.g. U+0130 lower-cases to i + U+0307, ǯ -> ʒ + caron */
      UChar d[32];
      st = U_ZERO_ERROR;
      int32_t dn = unorm2_normalize(nfd, lo, ln, d, 32, &st);
      if (U_SUCCESS(st)) {
        u16_strip_marks(d, &dn);
        if (dn > 0) {
          u_memcpy(buf, d, dn);
          bn = dn;
        }
      }
    }
    if (u16_is_ascii(buf, bn)) e->flags |= FOLD_LATIN;
  }
  if (cp == 0x0401 || cp == 0x0451) { /* Ё ё -> е */
    buf[0] = 0x0435;
    bn = 1;
  } else if (cp == 0x03C2) { /* final sigma -> σ, as Σ lower-cases to σ */
    buf[0] = 0x03C3;
    bn = 1;
  }
  if (u_getCombiningClass(cp) != 0 || u_charType(cp) == U_NON_SPACING_MARK) e->flags |= FOLD_MARK;
  char u8[32];
  int32_t u8n = 0;
  st = U_ZERO_ERROR;
  u_strToUTF8(u8, (int32_t)sizeof u8, &u8n, buf, bn, &st);
  if (U_FAILURE(st) || u8n > (int32_t)sizeof e->s) { /* cannot happen with ICU 72 data */
    u8n = (int32_t)kt_utf8_put(u8, (uint32_t)u_tolower(cp));
    e->flags &= (unsigned char)~FOLD_LATIN;
  }
  memcpy(e->s, u8, (size_t)u8n);
  e->len = (unsigned char)u8n;
}

static void fold_init(void) {
  UErrorCode st = U_ZERO_ERROR;
  UTransliterator *latin = utrans_openU(u"Latin-ASCII", -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
  if (U_FAILURE(st)) latin = NULL;
  st = U_ZERO_ERROR;
  const UNormalizer2 *nfd = unorm2_getNFDInstance(&st);
  if (U_FAILURE(st)) nfd = NULL;
  st = U_ZERO_ERROR;
  g_fold.nfc = unorm2_getNFCInstance(&st);
  if (U_FAILURE(st)) g_fold.nfc = NULL;
  for (UChar32 cp = 0; cp < FOLD_LO_END; cp++) {
    fold_ent *e = &g_fold.lo[cp];
    if (cp < 0x80) {
      e->s[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
      e->len = 1;
      if ((cp | 32) >= 'a' && (cp | 32) <= 'z') e->flags = FOLD_LATIN;
      continue;
    }
    fold_build(e, cp, latin, nfd);
  }
  for (UChar32 cp = FOLD_EXT_BEGIN; cp < FOLD_EXT_END; cp++)
    fold_build(&g_fold.ext[cp - FOLD_EXT_BEGIN], cp, latin, nfd);
  if (latin) utrans_close(latin);
}

static inline const fold_ent *fold_lookup(uint32_t cp) {
  if (cp < FOLD_LO_END) return &g_fold.lo[cp];
  if (cp >= FOLD_EXT_BEGIN && cp < FOLD_EXT_END) return &g_fold.ext[cp - FOLD_EXT_BEGIN];
  return NULL;
}

/* Appends fold(cp); room for 8 bytes must be reserved. Returns its flags. */
static unsigned fold_put(kt_buf *out, uint32_t cp) {
  const fold_ent *e = fold_lookup(cp);
  if (e) {
    memcpy(out->p + out->len, e->s, e->len);
    out->len += e->len;
    return e->flags;
  }
  out->len += kt_utf8_put(out->p + out->len, (uint32_t)u_tolower((UChar32)cp));
  return u_getCombiningClass((UChar32)cp) != 0 ? FOLD_MARK : 0;
}

bool kt_text_same_folded(const char *a, size_t an, const char *b, size_t bn) {
  kt_buf x = KT_BUF_INIT, y = KT_BUF_INIT;
  kt_text_fold(a, an, &x);
  kt_text_fold(b, bn, &y);
  bool eq = !x.oom && !y.oom && x.len == y.len && memcmp(kt_buf_str(&x), kt_buf_str(&y), x.len) == 0;
  kt_buf_free(&x);
  kt_buf_free(&y);
  return eq;
}

int kt_text_fold(const char *s, size_t len, kt_buf *out) {
  pthread_once(&g_fold_once, fold_init);
  if (kt_buf_reserve(out, len + 8)) return KT_ENOMEM;
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  int32_t base = -1; /* last base code point (unfolded), -1 = none */
  size_t base_pos = 0;
  bool base_latin = false;
  while (p < end) {
    if (*p < 0x80) { /* ASCII fast path */
      const unsigned char *q = p;
      while (q < end && *q < 0x80) q++;
      if (kt_buf_reserve(out, (size_t)(q - p) + 8)) return KT_ENOMEM;
      char *w = out->p + out->len;
      for (const unsigned char *r = p; r < q; r++) *w++ = (char)((unsigned)(*r - 'A') < 26u ? *r + 32 : *r);
      out->len += (size_t)(q - p);
      base = q[-1];
      base_pos = out->len - 1;
      base_latin = (unsigned)((q[-1] | 32) - 'a') < 26u;
      p = q;
      continue;
    }
    if (kt_buf_reserve(out, 16)) return KT_ENOMEM;
    size_t adv;
    uint32_t cp = kt_utf8_next(p, (size_t)(end - p), &adv);
    p += adv;
    if (cp == KT_UTF8_BAD) {
      memcpy(out->p + out->len, "\xEF\xBF\xBD", 3);
      out->len += 3;
      base = -1;
      continue;
    }
    const fold_ent *e = fold_lookup(cp);
    bool mark = e ? (e->flags & FOLD_MARK) != 0 : u_getCombiningClass((UChar32)cp) != 0;
    if (mark && base >= 0) {
      UChar32 c2 = g_fold.nfc ? unorm2_composePair(g_fold.nfc, base, (UChar32)cp) : -1;
      if (c2 >= 0) { /* decomposed input: fold the composed letter instead */
        out->len = base_pos;
        base = c2;
        base_latin = (fold_put(out, (uint32_t)c2) & FOLD_LATIN) != 0;
        continue;
      }
      if (base_latin) continue; /* accent on a letter already reduced to ASCII */
      fold_put(out, cp);
      base = -1; /* keep it simple: no composition across an uncomposed mark */
      continue;
    }
    base = (int32_t)cp;
    base_pos = out->len;
    base_latin = (fold_put(out, cp) & FOLD_LATIN) != 0;
  }
  if (out->p) out->p[out->len] = '\0';
  return out->oom ? KT_ENOMEM : 0;
}

/* ---- whitespace and trimming --------------------------------------------- */

static bool cp_is_space(uint32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

const char *kt_text_trimn(const char *s, size_t n, size_t *len) {
  if (!s) {
    *len = 0;
    return s;
  }
  const unsigned char *b = (const unsigned char *)s, *e = b + n;
  while (b < e) {
    size_t adv;
    uint32_t c = kt_utf8_next(b, (size_t)(e - b), &adv);
    if (c == KT_UTF8_BAD || !cp_is_space(c)) break;
    b += adv;
  }
  while (e > b) {
    const unsigned char *q = e - 1;
    while (q > b && (*q & 0xC0) == 0x80 && e - q < 4) q--;
    size_t adv;
    uint32_t c = kt_utf8_next(q, (size_t)(e - q), &adv);
    if (c == KT_UTF8_BAD || q + adv != e || !cp_is_space(c)) break;
    e = q;
  }
  *len = (size_t)(e - b);
  return (const char *)b;
}

const char *kt_text_trim(const char *s, size_t *len) {
  return kt_text_trimn(s, s ? strlen(s) : 0, len);
}

/* ---- phones -------------------------------------------------------------- */

static bool phone_is_sep(uint32_t c) {
  return c == ' ' || c == '\t' || c == '-' || c == '(' || c == ')' || c == '.' || c == '/' ||
         c == 0xA0 || c == 0x2007 || c == 0x2009 || c == 0x202F || (c >= 0x2010 && c <= 0x2015) ||
         c == 0x2212;
}

static uint32_t cp_lower_basic(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  return c;
}

/* If p..end is an extension tail ("доб. 123", "ext 12", "x12", "#5"), true. */
static bool phone_is_ext_tail(const unsigned char *p, const unsigned char *end) {
  static const uint32_t m_dobav[] = {0x434, 0x43E, 0x431, 0x430, 0x432, 0x43E, 0x447, 0x43D, 0x44B, 0x439, 0};
  static const uint32_t m_dob[] = {0x434, 0x43E, 0x431, 0};
  static const uint32_t m_vnutr[] = {0x432, 0x43D, 0x443, 0x442, 0x440, 0};
  static const uint32_t m_vn[] = {0x432, 0x43D, 0};
  static const uint32_t m_extension[] = {'e', 'x', 't', 'e', 'n', 's', 'i', 'o', 'n', 0};
  static const uint32_t m_ext[] = {'e', 'x', 't', 0};
  static const uint32_t m_x[] = {'x', 0};
  static const uint32_t m_hash[] = {'#', 0};
  static const uint32_t *const markers[] = {m_dobav, m_dob,  m_vnutr, m_vn, m_extension,
                                            m_ext,   m_x,    m_hash,  NULL};
  for (size_t m = 0; markers[m]; m++) {
    const unsigned char *q = p;
    const uint32_t *k = markers[m];
    while (*k && q < end) {
      size_t adv;
      uint32_t c = kt_utf8_next(q, (size_t)(end - q), &adv);
      if (cp_lower_basic(c) != *k) break;
      k++;
      q += adv;
    }
    if (*k) continue;
    if (q < end && (*q == '.' || *q == ':')) q++;
    while (q < end && (*q == ' ' || *q == '\t')) q++;
    int digits = 0;
    while (q < end && ((*q >= '0' && *q <= '9') || *q == ' ' || *q == '-')) digits += (*q++ >= '0');
    if (q == end && digits > 0) return true;
  }
  return false;
}

int kt_phone_normalize(const char *in, const char *default_cc, char *out, size_t outsz) {
  char d[24];
  size_t nd = 0;
  bool plus = false, seen_digit = false;
  if (out && outsz) out[0] = '\0';
  if (!in || !out) return KT_EINVAL;
  size_t ccn = default_cc ? strlen(default_cc) : 0;
  if (ccn > 4) return KT_EINVAL;
  for (size_t i = 0; i < ccn; i++)
    if (default_cc[i] < '0' || default_cc[i] > '9') return KT_EINVAL;
  size_t n;
  const unsigned char *p = (const unsigned char *)kt_text_trim(in, &n), *end = p + n;
  while (p < end) {
    size_t adv;
    uint32_t c = kt_utf8_next(p, (size_t)(end - p), &adv);
    if (c >= '0' && c <= '9') {
      if (nd == 20) return KT_EINVAL;
      d[nd++] = (char)c;
      seen_digit = true;
    } else if (c == '+' && !plus && !seen_digit) {
      plus = true;
    } else if (!phone_is_sep(c)) {
      if (seen_digit && phone_is_ext_tail(p, end)) break;
      return KT_EINVAL;
    }
    p += adv;
  }
  d[nd] = '\0';
  const char *prefix = "";
  char *digits = d;
  if (!plus && nd == 11 && d[0] == '8' && (ccn == 0 || strcmp(default_cc, "7") == 0)) {
    d[0] = '7';
  } else if (!plus && nd == 10 && ccn > 0) {
    prefix = default_cc;
  }
  size_t total = strlen(prefix) + nd;
  if (total + 1 > outsz) return KT_EINVAL;
  memcpy(out, prefix, strlen(prefix));
  memcpy(out + strlen(prefix), digits, nd + 1);
  return (int)total;
}

/* ---- e-mail -------------------------------------------------------------- */

static int email_lower(const char *s, size_t n, kt_buf *out) {
  bool ascii = true;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80) ascii = false;
  if (ascii) {
    if (kt_buf_reserve(out, n)) return KT_ENOMEM;
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)s[i];
      out->p[out->len + i] = (char)((unsigned)(c - 'A') < 26u ? c + 32 : c);
    }
    out->len += n;
    out->p[out->len] = '\0';
    return 0;
  }
  UChar u[600], l[700];
  int32_t un = 0, ln, u8n = 0;
  UErrorCode st = U_ZERO_ERROR;
  u_strFromUTF8(u, 600, &un, s, (int32_t)n, &st);
  if (U_FAILURE(st)) return KT_EINVAL;
  ln = u_strToLower(l, 700, u, un, "", &st);
  if (U_FAILURE(st)) return KT_EINVAL;
  u_strToUTF8(NULL, 0, &u8n, l, ln, &st); /* preflight */
  st = U_ZERO_ERROR;
  if (kt_buf_reserve(out, (size_t)u8n)) return KT_ENOMEM;
  u_strToUTF8(out->p + out->len, u8n + 1, &u8n, l, ln, &st);
  if (U_FAILURE(st)) return KT_EINVAL;
  out->len += (size_t)u8n;
  out->p[out->len] = '\0';
  return 0;
}

int kt_email_normalize(const char *in, kt_buf *out, kt_err *err) {
  size_t n;
  const char *s = kt_text_trim(in, &n);
  const char *what = NULL;
  size_t at = 0, nat = 0;
  if (n == 0) return kt_err_set(err, KT_EINVAL, KT_("the e-mail address is empty; type it like name@example.com"));
  if (!kt_utf8_valid(s, n)) what = KT_("it is not valid UTF-8 text");
  else if (n > 254) what = KT_("it is longer than 254 characters");
  for (size_t i = 0; !what && i < n;) {
    size_t adv;
    uint32_t c = kt_utf8_next((const unsigned char *)s + i, n - i, &adv);
    if (cp_is_space(c)) what = KT_("it contains a space");
    else if (c < 0x20 || c == 0x7F) what = KT_("it contains a control character");
    else if (c == '@') {
      at = i;
      nat++;
    }
    i += adv;
  }
  if (!what) {
    if (nat != 1) what = nat ? KT_("it has more than one '@'") : KT_("it has no '@'");
    else if (at == 0) what = KT_("the part before '@' is empty");
    else {
      const char *dom = s + at + 1;
      size_t dn = n - at - 1;
      if (dn == 0) what = KT_("the domain after '@' is empty");
      else if (!memchr(dom, '.', dn)) what = KT_("the domain has no dot (e.g. example.com)");
      else if (dom[0] == '.' || dom[dn - 1] == '.') what = KT_("the domain starts or ends with a dot");
      else {
        for (size_t i = 0; i + 1 < dn; i++)
          if (dom[i] == '.' && dom[i + 1] == '.') what = KT_("the domain has two dots in a row");
      }
    }
  }
  if (what)
    return kt_err_set(err, KT_EINVAL, KT_("bad e-mail address '%.*s': %s; type it like name@example.com"),
                      (int)(n > 300 ? 300 : n), s, what);
  size_t old = out->len;
  int rc = email_lower(s, n, out);
  if (rc) {
    out->len = old;
    if (out->p) out->p[old] = '\0';
    return kt_err_set(err, rc, rc == KT_ENOMEM ? "out of memory" : "bad e-mail address '%.*s'", (int)n, s);
  }
  return 0;
}

/* ---- collation ----------------------------------------------------------- */

struct kt_collator {
  UCollator *coll;
};

int kt_collator_new(const char *locale, kt_collator **out, kt_err *err) {
  char loc[64];
  size_t n = 0;
  if (locale) {
    while (locale[n] && locale[n] != '.' && locale[n] != '@') n++;
  }
  if (n >= sizeof loc)
    return kt_err_set(err, KT_EINVAL, "locale name '%s' is too long; use e.g. ru_RU or pl", locale);
  for (size_t i = 0; i < n; i++) {
    char c = locale[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return kt_err_set(err, KT_EINVAL, "bad locale name '%s'; use e.g. ru_RU or pl", locale);
  }
  memcpy(loc, locale ? locale : "", n);
  loc[n] = '\0';
  if (strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0) loc[0] = '\0';
  kt_collator *c = calloc(1, sizeof *c);
  if (!c) return kt_err_set(err, KT_ENOMEM, "out of memory opening a collator");
  UErrorCode st = U_ZERO_ERROR;
  c->coll = ucol_open(loc, &st);
  if (U_SUCCESS(st)) ucol_setAttribute(c->coll, UCOL_NUMERIC_COLLATION, UCOL_ON, &st);
  if (U_SUCCESS(st)) ucol_setStrength(c->coll, UCOL_TERTIARY);
  if (U_FAILURE(st)) {
    int code = st == U_MEMORY_ALLOCATION_ERROR ? KT_ENOMEM : KT_EINTERNAL;
    kt_collator_free(c);
    return kt_err_set(err, code, "cannot open a collator for locale '%s': %s (is the ICU data installed?)",
                      loc, u_errorName(st));
  }
  *out = c;
  return 0;
}

int kt_collate(const kt_collator *c, const char *a, int alen, const char *b, int blen) {
  UErrorCode st = U_ZERO_ERROR;
  UCollationResult r = ucol_strcollUTF8(c->coll, a, alen, b, blen, &st);
  if (U_FAILURE(st)) { /* only on internal failure: fall back to byte order */
    size_t an = alen < 0 ? strlen(a) : (size_t)alen, bn = blen < 0 ? strlen(b) : (size_t)blen;
    int m = memcmp(a, b, an < bn ? an : bn);
    return m < 0 ? -1 : m > 0 ? 1 : an < bn ? -1 : an > bn;
  }
  return r == UCOL_LESS ? -1 : r == UCOL_GREATER ? 1 : 0;
}

void kt_collator_id(const kt_collator *c, char *out, size_t n) {
  UErrorCode st = U_ZERO_ERROR;
  const char *loc = ucol_getLocaleByType(c->coll, ULOC_ACTUAL_LOCALE, &st);
  UVersionInfo v;
  ucol_getVersion(c->coll, v);
  snprintf(out, n, "%s %u.%u.%u.%u", U_SUCCESS(st) && loc ? loc : "?", v[0], v[1], v[2], v[3]);
}

int kt_collate_key(const kt_collator *c, const char *s, size_t len, kt_buf *out) {
  UChar stackbuf[256], *u = stackbuf;
  int32_t ulen = 0;
  UErrorCode st = U_ZERO_ERROR;
  u_strFromUTF8WithSub(u, 256, &ulen, s, (int32_t)len, 0xFFFD, NULL, &st);
  if (st == U_BUFFER_OVERFLOW_ERROR) {
    if (!(u = malloc(((size_t)ulen + 1) * sizeof *u))) return KT_ENOMEM;
    st = U_ZERO_ERROR;
    u_strFromUTF8WithSub(u, ulen + 1, &ulen, s, (int32_t)len, 0xFFFD, NULL, &st);
  }
  int rc = 0;
  if (U_FAILURE(st)) { /* cannot happen with substitution: sort by bytes */
    kt_buf_append(out, s, len);
    kt_buf_putc(out, '\0');
    goto out;
  }
  uint8_t kb[512];
  int32_t need = ucol_getSortKey(c->coll, u, ulen, kb, (int32_t)sizeof kb);
  if (need <= (int32_t)sizeof kb) {
    kt_buf_append(out, kb, (size_t)need);
  } else {
    uint8_t *big = malloc((size_t)need);
    if (!big) {
      rc = KT_ENOMEM;
      goto out;
    }
    ucol_getSortKey(c->coll, u, ulen, big, need);
    kt_buf_append(out, big, (size_t)need);
    free(big);
  }
out:
  if (u != stackbuf) free(u);
  return rc || out->oom ? KT_ENOMEM : 0;
}

void kt_collator_free(kt_collator *c) {
  if (!c) return;
  if (c->coll) ucol_close(c->coll);
  free(c);
}

/* ---- display width ---------------------------------------------------------- */

static int cp_width(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return 0;
  if (cp < 0x300) return 1; /* Latin, the common case */
  int gc = u_charType((UChar32)cp);
  if (gc == U_NON_SPACING_MARK || gc == U_ENCLOSING_MARK || gc == U_FORMAT_CHAR) return 0;
  if (cp >= 0x1160 && cp <= 0x11FF) return 0; /* Hangul medial vowels and final consonants */
  int ea = u_getIntPropertyValue((UChar32)cp, UCHAR_EAST_ASIAN_WIDTH);
  return ea == U_EA_WIDE || ea == U_EA_FULLWIDTH ? 2 : 1;
}

size_t kt_text_width(const char *s, size_t len) {
  if (!s) return 0;
  if (len == (size_t)-1) len = strlen(s);
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  size_t w = 0;
  while (p < end) {
    if (*p >= 0x20 && *p < 0x7F) {
      w++;
      p++;
      continue;
    }
    size_t adv;
    uint32_t cp = kt_utf8_next(p, (size_t)(end - p), &adv);
    w += cp == KT_UTF8_BAD ? 1 : (size_t)cp_width(cp);
    p += adv;
  }
  return w;
}

/* ---- nearest word ------------------------------------------------------------ */

static int lower_ascii(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Optimal string alignment distance; words longer than 63 bytes are not compared. */
static int osa_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63) return 1 << 20;
  int d[64][64];
  for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      int ca = lower_ascii((unsigned char)a[i - 1]), cb = lower_ascii((unsigned char)b[j - 1]);
      int cost = ca != cb;
      int v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && ca == lower_ascii((unsigned char)b[j - 2]) &&
          lower_ascii((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1; /* a transposition: serach -> search */
      d[i][j] = v;
    }
  return d[la][lb];
}

int kt_text_nearest(const char *word, const char *const *cands, int n) {
  if (!word || !*word) return -1;
  int limit = (int)strlen(word) / 3;
  if (limit < 1) limit = 1;
  if (limit > 2) limit = 2;
  int best = -1, best_d = limit + 1;
  for (int i = 0; i < n; i++) {
    int dist = osa_distance(word, cands[i]);
    if (dist < best_d) {
      best_d = dist;
      best = i;
    }
  }
  return best;
}
