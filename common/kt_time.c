/* kt_time — see kt_time.h.
 *
 * Local time is converted with our own search over localtime_r offsets rather
 * than mktime(tm_isdst = -1): mktime's choice in DST gaps and overlaps differs
 * between C libraries and depends on the tm_isdst guess, and we want one
 * documented answer (earlier instant for overlaps, forward by the gap for gaps). */
#include "kt_time.h"

#include "kt_i18n.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- small helpers ------------------------------------------------------- */

#define QUOTE_MAX 80 /* how much of a bad input an error message quotes */

static bool is_space_at(const char *p, const char *end, size_t *adv) {
  unsigned char c = (unsigned char)*p;
  if (c == ' ' || (c >= 0x09 && c <= 0x0D)) {
    *adv = 1;
    return true;
  }
  /* NBSP U+00A0, U+2007, thin U+2009, narrow NBSP U+202F */
  if (c == 0xC2 && end - p >= 2 && (unsigned char)p[1] == 0xA0) {
    *adv = 2;
    return true;
  }
  if (c == 0xE2 && end - p >= 3 && (unsigned char)p[1] == 0x80 &&
      ((unsigned char)p[2] == 0x87 || (unsigned char)p[2] == 0x89 || (unsigned char)p[2] == 0xAF)) {
    *adv = 3;
    return true;
  }
  return false;
}

/* Trims whitespace; returns the start and sets *end. */
static const char *trim(const char *in, const char **end) {
  const char *b = in ? in : "", *e = b + strlen(b);
  size_t adv;
  while (b < e && is_space_at(b, e, &adv)) b += adv;
  while (e > b) {
    const char *q = e - 1;
    while (q > b && ((unsigned char)*q & 0xC0) == 0x80 && e - q < 3) q--;
    if (!is_space_at(q, e, &adv) || q + adv != e) break;
    e = q;
  }
  *end = e;
  return b;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Reads between min and max digits at *p into *v; *p advances only on success. */
static bool digits(const char **p, const char *end, int min, int max, int *v) {
  const char *s = *p;
  int n = 0, x = 0;
  while (s < end && n < max && is_digit(*s)) {
    x = x * 10 + (*s - '0');
    s++;
    n++;
  }
  if (n < min) return false;
  if (s < end && is_digit(*s)) return false; /* too many digits */
  *p = s;
  *v = x;
  return true;
}

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int y, int m) {
  static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && ((a < 0) != (b < 0))); }

/* ---- dates ---------------------------------------------------------------- */

typedef struct ymd {
  int y, m, d;
} ymd;

/* Parses a date at *p. 0 ok, -1 bad form, -2 impossible calendar date. */
static int parse_date_at(const char **p, const char *end, ymd *out) {
  const char *s = *p;
  int a, b, c;
  if (digits(&s, end, 4, 4, &a) && s < end && *s == '-') {
    s++;
    if (!digits(&s, end, 1, 2, &b) || s >= end || *s != '-') return -1;
    s++;
    if (!digits(&s, end, 1, 2, &c)) return -1;
    out->y = a, out->m = b, out->d = c;
  } else {
    s = *p;
    if (!digits(&s, end, 1, 2, &c) || s >= end || *s != '.') return -1;
    s++;
    if (!digits(&s, end, 1, 2, &b) || s >= end || *s != '.') return -1;
    s++;
    if (!digits(&s, end, 4, 4, &a)) return -1;
    out->y = a, out->m = b, out->d = c;
  }
  *p = s;
  if (out->y < 1 || out->m < 1 || out->m > 12 || out->d < 1 || out->d > month_days(out->y, out->m)) return -2;
  return 0;
}

static int date_error(kt_err *err, const char *b, const char *e, const ymd *v, int rc) {
  int n = (int)(e - b > QUOTE_MAX ? QUOTE_MAX : e - b);
  if (rc == -2 && v->m >= 1 && v->m <= 12 && v->y >= 1)
    return kt_err_set(err, KT_EINVAL,
                      KT_("bad date '%.*s': %04d-%02d has only %d days; use YYYY-MM-DD, e.g. 2026-11-22"), n, b,
                      v->y, v->m, month_days(v->y, v->m));
  if (rc == -2)
    return kt_err_set(err, KT_EINVAL,
                      KT_("bad date '%.*s': no such month or year; use YYYY-MM-DD, e.g. 2026-11-22"), n, b);
  return kt_err_set(err, KT_EINVAL, KT_("bad date '%.*s': use YYYY-MM-DD, e.g. 2026-11-22"), n, b);
}

int kt_date_parse(const char *in, char out[11], kt_err *err) {
  const char *e, *b = trim(in, &e), *p = b;
  ymd v = {0, 0, 0};
  int rc = parse_date_at(&p, e, &v);
  if (rc == 0 && p != e) rc = -1;
  if (rc) return date_error(err, b, e, &v, rc);
  /* ranges are checked above: y 1..9999, m 1..12, d 1..31 */
  const int parts[3][2] = {{v.y, 4}, {v.m, 2}, {v.d, 2}};
  char *w = out;
  for (int i = 0; i < 3; i++) {
    if (i) *w++ = '-';
    for (int k = parts[i][1] - 1, x = parts[i][0]; k >= 0; k--, x /= 10) w[k] = (char)('0' + x % 10);
    w += parts[i][1];
  }
  *w = '\0';
  return 0;
}

/* ---- local time ----------------------------------------------------------- */

/* UTC offset (seconds east) of the local zone at instant t; 0 if unknown. */
static int64_t offset_at(int64_t t) {
  time_t tt = (time_t)t;
  struct tm tm;
  if (!localtime_r(&tt, &tm)) return 0;
  int64_t local = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
                  tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
  return local - t;
}

/* Local wall-clock seconds L (as if UTC) -> the instant. See the header comment. */
static int64_t local_to_utc(int64_t L) {
  int64_t cand[3] = {offset_at(L - 86400), offset_at(L), offset_at(L + 86400)};
  bool found = false;
  int64_t best = 0;
  for (int i = 0; i < 3; i++) {
    int64_t t = L - cand[i];
    if (offset_at(t) == cand[i] && (!found || t < best)) {
      best = t;
      found = true;
    }
  }
  if (found) return best;
  /* in a gap: read the wall time with the offset in force before the gap */
  return L - cand[0];
}

static bool parse_zone(const char **p, const char *end, bool *has, int64_t *off) {
  const char *s = *p;
  *has = false;
  while (s < end && *s == ' ') s++;
  if (s == end) {
    *p = s;
    return true;
  }
  if ((*s == 'Z' || *s == 'z') && s + 1 == end) {
    *has = true, *off = 0, *p = s + 1;
    return true;
  }
  if (end - s == 3 && (strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0)) {
    *has = true, *off = 0, *p = end;
    return true;
  }
  if (*s != '+' && *s != '-') return false;
  int sign = *s == '-' ? -1 : 1, hh, mm = 0;
  s++;
  if (!digits(&s, end, 2, 2, &hh)) {
    /* "+0300": digits() refuses 4 digits for a max of 2, read them by hand */
    if (end - s >= 4 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
        (end - s == 4 || !is_digit(s[4]))) {
      hh = (s[0] - '0') * 10 + (s[1] - '0');
      mm = (s[2] - '0') * 10 + (s[3] - '0');
      s += 4;
    } else {
      return false;
    }
  } else if (s < end && *s == ':') {
    s++;
    if (!digits(&s, end, 2, 2, &mm)) return false;
  }
  if (hh > 18 || mm > 59) return false;
  *has = true;
  *off = sign * (int64_t)(hh * 3600 + mm * 60);
  *p = s;
  return true;
}

int kt_datetime_parse(const char *in, int64_t *ms, kt_err *err) {
  const char *e, *b = trim(in, &e), *p = b;
  ymd v = {0, 0, 0};
  int hh = 0, mi = 0, ss = 0, frac_ms = 0;
  bool has_zone = false;
  int64_t off = 0;
  int rc = parse_date_at(&p, e, &v);
  if (rc == -2) return date_error(err, b, e, &v, rc);
  if (rc) goto bad;
  if (p < e) {
    if (*p == 'T' || *p == 't')
      p++;
    else if (*p == ' ') {
      while (p < e && *p == ' ') p++;
    } else {
      goto bad;
    }
    if (!digits(&p, e, 1, 2, &hh) || p >= e || *p != ':') goto bad;
    p++;
    if (!digits(&p, e, 2, 2, &mi)) goto bad;
    if (p < e && *p == ':') {
      p++;
      if (!digits(&p, e, 2, 2, &ss)) goto bad;
      if (p < e && (*p == '.' || *p == ',')) {
        p++;
        int nd = 0;
        while (p < e && is_digit(*p)) {
          if (nd < 3) frac_ms = frac_ms * 10 + (*p - '0');
          nd++;
          p++;
        }
        if (nd == 0 || nd > 9) goto bad;
        for (; nd < 3; nd++) frac_ms *= 10;
      }
    }
    if (hh > 23 || mi > 59 || ss > 59) {
      return kt_err_set(err, KT_EINVAL, KT_("bad time in '%.*s': hours go to 23, minutes and seconds to 59"),
                        (int)(e - b > QUOTE_MAX ? QUOTE_MAX : e - b), b);
    }
    if (!parse_zone(&p, e, &has_zone, &off) || p != e) goto bad;
  }
  int64_t L = days_from_civil(v.y, v.m, v.d) * 86400 + hh * 3600 + mi * 60 + ss;
  int64_t t;
  if (has_zone) {
    t = L - off;
  } else {
    tzset();
    t = local_to_utc(L);
  }
  *ms = t * 1000 + frac_ms;
  return 0;
bad:
  return kt_err_set(err, KT_EINVAL,
                    KT_("bad date/time '%.*s': use YYYY-MM-DD HH:MM, e.g. 2026-11-22 10:00 "
                    "(seconds and a zone like +03:00 or Z are optional)"),
                    (int)(e - b > QUOTE_MAX ? QUOTE_MAX : e - b), b);
}

void kt_datetime_format(int64_t ms, bool iso, char *out, size_t outsz) {
  if (!out || outsz == 0) return;
  tzset();
  int64_t secs = floor_div(ms, 1000);
  time_t tt = (time_t)secs;
  struct tm tm;
  if (!localtime_r(&tt, &tm)) {
    snprintf(out, outsz, "?");
    return;
  }
  int y = tm.tm_year + 1900;
  if (!iso) {
    if (tm.tm_sec)
      snprintf(out, outsz, "%04d-%02d-%02d %02d:%02d:%02d", y, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
               tm.tm_min, tm.tm_sec);
    else
      snprintf(out, outsz, "%04d-%02d-%02d %02d:%02d", y, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
    return;
  }
  int64_t off = offset_at(secs);
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, sign, (int)(off / 3600), (int)(off / 60 % 60));
}

/* ---- money ---------------------------------------------------------------- */

static int money_error(kt_err *err, const char *b, const char *e, const char *why) {
  return kt_err_set(err, KT_EINVAL, KT_("bad amount '%.*s': %s; write it like 1234.50 or 1 234,50"),
                    (int)(e - b > QUOTE_MAX ? QUOTE_MAX : e - b), b, why);
}

int kt_money_parse(const char *in, int64_t *cents, kt_err *err) {
  const char *e, *b = trim(in, &e), *p = b;
  bool neg = false;
  if (p == e) return money_error(err, b, e, KT_("it is empty"));
  if (*p == '-' || *p == '+') {
    neg = *p == '-';
    p++;
  } else if (e - p >= 3 && memcmp(p, "\xE2\x88\x92", 3) == 0) { /* U+2212 minus */
    neg = true;
    p += 3;
  }
  /* find the decimal separator: the last '.' or ','; with only one kind of
   * separator occurring more than once, they are all group separators */
  const char *dec = NULL;
  int ndot = 0, ncomma = 0;
  for (const char *q = p; q < e; q++) {
    if (*q == '.') ndot++;
    if (*q == ',') ncomma++;
    if (*q == '.' || *q == ',') dec = q;
  }
  if (dec && ((*dec == '.' && ndot > 1) || (*dec == ',' && ncomma > 1))) dec = NULL;
  if (ndot > 1 && ncomma > 1) return money_error(err, b, e, KT_("too many separators"));
  uint64_t units = 0;
  const uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  int ndig = 0, group = -1; /* digits in the current group; -1 = no group separator seen */
  char gsep = 0;            /* first byte of the group separator in use */
  const char *q = p, *iend = dec ? dec : e;
  while (q < iend) {
    size_t adv = 1;
    if (is_digit(*q)) {
      if (units > (lim / 100 - (uint64_t)(*q - '0')) / 10) return money_error(err, b, e, KT_("it is too large"));
      units = units * 10 + (uint64_t)(*q - '0');
      ndig++;
      if (group >= 0) group++;
    } else if (*q == '\'' || *q == '.' || *q == ',' || is_space_at(q, iend, &adv)) {
      if (gsep && gsep != *q) return money_error(err, b, e, KT_("mixed group separators"));
      gsep = *q;
      if (ndig == 0 || (group < 0 && ndig > 3) || (group >= 0 && group != 3))
        return money_error(err, b, e, KT_("digit groups must have 3 digits"));
      group = 0;
    } else {
      return money_error(err, b, e, KT_("only digits, a sign and separators are allowed (no currency)"));
    }
    q += adv;
  }
  if (group >= 0 && group != 3) return money_error(err, b, e, KT_("digit groups must have 3 digits"));
  int frac = 0, nfrac = 0;
  if (dec) {
    if (gsep == *dec) return money_error(err, b, e, KT_("the decimal separator is also used for groups"));
    for (q = dec + 1; q < e; q++) {
      if (!is_digit(*q)) return money_error(err, b, e, KT_("only digits may follow the decimal separator"));
      if (++nfrac > 2) return money_error(err, b, e, KT_("at most 2 digits after the decimal separator"));
      frac = frac * 10 + (*q - '0');
    }
    if (nfrac == 0) return money_error(err, b, e, KT_("digits must follow the decimal separator"));
    if (nfrac == 1) frac *= 10;
  }
  if (ndig == 0 && nfrac == 0) return money_error(err, b, e, KT_("there are no digits"));
  uint64_t total = units * 100 + (uint64_t)frac;
  if (total > lim) return money_error(err, b, e, KT_("it is too large"));
  *cents = neg ? (int64_t)(0 - total) : (int64_t)total;
  return 0;
}

void kt_money_format(int64_t cents, char *out, size_t outsz) {
  uint64_t u = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
  snprintf(out, outsz, "%s%llu.%02llu", cents < 0 ? "-" : "", (unsigned long long)(u / 100),
           (unsigned long long)(u % 100));
}

/* ---- durations ------------------------------------------------------------ */

static int duration_error(kt_err *err, const char *b, const char *e) {
  return kt_err_set(err, KT_EINVAL,
                    KT_("bad duration '%.*s': use minutes (90 or 90m), hours and minutes (1h30m or 1:30) "
                    "or days (2d)"),
                    (int)(e - b > QUOTE_MAX ? QUOTE_MAX : e - b), b);
}

/* Reads a unit at *p: 0 = days, 1 = hours, 2 = minutes, -1 = none. */
static int duration_unit(const char **p, const char *end) {
  static const struct {
    const char *s;
    int unit;
  } units[] = {{"min", 2},      {"\xD0\xBC\xD0\xB8\xD0\xBD", 2},
               {"d", 0},        {"h", 1},
               {"m", 2},        {"\xD0\xB4", 0},
               {"\xD1\x87", 1}, {"\xD0\xBC", 2},
               {"D", 0},        {"H", 1},
               {"M", 2}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    size_t n = strlen(units[i].s);
    if ((size_t)(end - *p) >= n && memcmp(*p, units[i].s, n) == 0) {
      *p += n;
      return units[i].unit;
    }
  }
  return -1;
}

static bool read_u63(const char **p, const char *end, int64_t *v) {
  int64_t x = 0;
  const char *s = *p;
  while (s < end && is_digit(*s)) {
    if (x > (INT64_MAX - 9) / 10) return false;
    x = x * 10 + (*s++ - '0');
  }
  if (s == *p) return false;
  *p = s;
  *v = x;
  return true;
}

int kt_duration_parse(const char *in, int64_t *minutes, kt_err *err) {
  const char *e, *b = trim(in, &e), *p = b;
  static const int64_t mult[3] = {1440, 60, 1};
  const int64_t cap = INT64_MAX / 1440 / 2; /* keeps every sum far from overflow */
  int64_t total = 0, v;
  if (p == e) return duration_error(err, b, e);
  if (!read_u63(&p, e, &v) || v > cap) return duration_error(err, b, e);
  if (p == e) { /* plain minutes */
    *minutes = v;
    return 0;
  }
  if (*p == ':') { /* H:MM */
    int mm;
    p++;
    if (!digits(&p, e, 2, 2, &mm) || mm > 59 || p != e) return duration_error(err, b, e);
    *minutes = v * 60 + mm;
    return 0;
  }
  int last = -1;
  for (;;) {
    while (p < e && *p == ' ') p++;
    int u = duration_unit(&p, e);
    if (u < 0) {
      if (p == e && last == 1) { /* "1h30": bare minutes after hours */
        u = 2;
      } else {
        return duration_error(err, b, e);
      }
    }
    if (u <= last) return duration_error(err, b, e);
    last = u;
    total += v * mult[u];
    if (total > cap) return duration_error(err, b, e);
    while (p < e && *p == ' ') p++;
    if (p == e) break;
    if (!read_u63(&p, e, &v) || v > cap) return duration_error(err, b, e);
  }
  *minutes = total;
  return 0;
}

void kt_duration_format(int64_t minutes, char *out, size_t outsz) {
  if (!out || outsz == 0) return;
  uint64_t m = minutes < 0 ? 0 - (uint64_t)minutes : (uint64_t)minutes;
  char tmp[64];
  size_t n = 0;
  if (minutes < 0) tmp[n++] = '-';
  if (m == 0) {
    snprintf(out, outsz, "0m");
    return;
  }
  uint64_t d = m / 1440, h = m / 60 % 24, mm = m % 60;
  if (d) n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%llud", (unsigned long long)d);
  if (h) n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%lluh", (unsigned long long)h);
  if (mm)
    snprintf(tmp + n, sizeof tmp - n, "%llum", (unsigned long long)mm);
  else
    tmp[n] = '\0';
  snprintf(out, outsz, "%s", tmp);
}

/* ---- numbers -------------------------------------------------------------- */

int kt_int_parse(const char *in, int64_t *out, kt_err *err) {
  const char *e, *b = trim(in, &e), *p = b;
  int qn = (int)(e - b > QUOTE_MAX ? QUOTE_MAX : e - b);
  bool neg = false;
  if (p < e && (*p == '-' || *p == '+')) neg = *p++ == '-';
  if (p == e) return kt_err_set(err, KT_EINVAL, KT_("not a number: '%.*s'"), qn, b);
  uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; p < e; p++) {
    if (!is_digit(*p)) return kt_err_set(err, KT_EINVAL, KT_("not a number: '%.*s'"), qn, b);
    unsigned d = (unsigned)(*p - '0');
    if (v > (lim - d) / 10)
      return kt_err_set(err, KT_EINVAL, KT_("number out of range: '%.*s' (the limit is about 9.2e18)"), qn, b);
    v = v * 10 + d;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

int kt_decimal_parse(const char *in, char *out, size_t outsz, kt_err *err) {
  const char *e, *b = trim(in, &e), *p = b;
  int qn = (int)(e - b > QUOTE_MAX ? QUOTE_MAX : e - b);
  bool neg = false;
  if (p < e && (*p == '-' || *p == '+')) neg = *p++ == '-';
  const char *ib = p;
  while (p < e && is_digit(*p)) p++;
  const char *ie = p, *fb = p, *fe = p;
  if (p < e && (*p == '.' || *p == ',')) {
    fb = ++p;
    while (p < e && is_digit(*p)) p++;
    fe = p;
    if (fe == fb)
      return kt_err_set(err, KT_EINVAL, KT_("not a number: '%.*s' (digits must follow the separator)"), qn, b);
  }
  if (p != e || (ie == ib && fe == fb)) return kt_err_set(err, KT_EINVAL, KT_("not a number: '%.*s'"), qn, b);
  while (ib < ie - 1 && *ib == '0') ib++; /* leading zeros */
  while (fe > fb && fe[-1] == '0') fe--;  /* trailing fractional zeros */
  bool zero = fe == fb && (ie == ib || (ie - ib == 1 && *ib == '0'));
  size_t need =
      (size_t)(neg && !zero) + (ie == ib ? 1 : (size_t)(ie - ib)) + (fe > fb ? 1 + (size_t)(fe - fb) : 0) + 1;
  if (!out || need > outsz) return kt_err_set(err, KT_EINVAL, KT_("number too long: '%.*s'"), qn, b);
  char *w = out;
  if (neg && !zero) *w++ = '-';
  if (ie == ib)
    *w++ = '0';
  else {
    memcpy(w, ib, (size_t)(ie - ib));
    w += ie - ib;
  }
  if (fe > fb) {
    *w++ = '.';
    memcpy(w, fb, (size_t)(fe - fb));
    w += fe - fb;
  }
  *w = '\0';
  return 0;
}

int64_t kt_local_to_ms(int year, int mon, int day, int hour, int min, int sec) {
  tzset();
  int64_t L = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
  return local_to_utc(L) * 1000;
}
