/* cl_report_date — the calendar of the reports: days since 1970-01-01
 * (proleptic Gregorian, H. Hinnant's civil-from-days), the replica's ISO date
 * text, months added with the day clamped, the PC's local today, and months,
 * quarters and years as period indices with their first and last days and
 * labels. Pure functions (today reads the clock and TZ). */
#include <stdio.h>
#include <time.h>

#include "cl_report_int.h"
#include "kt_time.h"

int32_t cl_report__days(int y, int m, int d) {
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153u * (unsigned)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int32_t)doe - 719468;
}

void cl_report__civil(int32_t z, int *y, int *m, int *d) {
  z += 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned dd = doy - (153 * mp + 2) / 5 + 1;
  unsigned mm = mp < 10 ? mp + 3 : mp - 9;
  *y = (int)yoe + era * 400 + (mm <= 2);
  *m = (int)mm;
  *d = (int)dd;
}

static int mdays(int y, int m) {
  static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return n[m - 1];
}

static int digits(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int cl_report__parse_day(const char *s, size_t n, int32_t *day) {
  if (!s || n != 10 || s[4] != '-' || s[7] != '-') return -1;
  int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays(y, m)) return -1;
  *day = cl_report__days(y, m, d);
  return 0;
}

void cl_report_day_format(int64_t day, char out[11]) {
  int y, m, d;
  cl_report__civil((int32_t)day, &y, &m, &d);
  unsigned yy = (unsigned)y % 10000u, mm = (unsigned)m % 100u, dd = (unsigned)d % 100u;
  out[0] = (char)('0' + yy / 1000);
  out[1] = (char)('0' + yy / 100 % 10);
  out[2] = (char)('0' + yy / 10 % 10);
  out[3] = (char)('0' + yy % 10);
  out[4] = out[7] = '-';
  out[5] = (char)('0' + mm / 10);
  out[6] = (char)('0' + mm % 10);
  out[8] = (char)('0' + dd / 10);
  out[9] = (char)('0' + dd % 10);
  out[10] = '\0';
}

int32_t cl_report__add_months(int32_t day, int k) {
  int y, m, d;
  cl_report__civil(day, &y, &m, &d);
  int idx = y * 12 + (m - 1) + k;
  y = idx / 12;
  m = idx % 12 + 1;
  if (d > mdays(y, m)) d = mdays(y, m);
  return cl_report__days(y, m, d);
}

int32_t cl_report__today(void) {
  time_t t = time(NULL);
  struct tm lt;
  localtime_r(&t, &lt);
  return cl_report__days(lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday);
}

int64_t cl_report__day_ms(int32_t day) {
  int y, m, d;
  cl_report__civil(day, &y, &m, &d);
  return kt_local_to_ms(y, m, d, 0, 0, 0);
}

int32_t cl_report__pidx(int per, int32_t day) {
  int y, m, d;
  cl_report__civil(day, &y, &m, &d);
  if (per == RP_YEAR) return y;
  if (per == RP_QUARTER) return y * 4 + (m - 1) / 3;
  return y * 12 + m - 1;
}

int32_t cl_report__pfirst(int per, int32_t p) {
  if (per == RP_YEAR) return cl_report__days(p, 1, 1);
  if (per == RP_QUARTER) return cl_report__days(p / 4, (p % 4) * 3 + 1, 1);
  return cl_report__days(p / 12, p % 12 + 1, 1);
}

int32_t cl_report__plast(int per, int32_t p) { return cl_report__pfirst(per, p + 1) - 1; }

void cl_report__plabel(int per, int32_t p, char out[16]) {
  if (per == RP_YEAR) snprintf(out, 16, "%04d", p);
  else if (per == RP_QUARTER) snprintf(out, 16, "%04d-Q%d", p / 4, p % 4 + 1);
  else snprintf(out, 16, "%04d-%02d", p / 12, p % 12 + 1);
}
