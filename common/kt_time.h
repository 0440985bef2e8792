/* kt_time — dates, times, money, durations and numbers as Kartoteka's CLI and GUI
 * read and print them.
 *
 * Instants are UTC unix milliseconds (int64). Input without an explicit offset
 * and all output use the process time zone (the TZ environment variable; each
 * call runs tzset(), so a changed TZ takes effect). Every parser trims leading
 * and trailing whitespace, sets its out-parameter only on success and returns 0
 * or KT_EINVAL with a message that quotes the input and shows the expected form.
 * Thread-safe as far as the C library's localtime_r/tzset are. */
#ifndef KT_TIME_H
#define KT_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kt_err.h"

/* Calendar date: "2026-11-22" (month and day may have 1 digit) or "22.11.2026"
 * (Russian style); years 0001..9999, checks month lengths and leap years.
 * Writes canonical "2026-11-22" to out. KT_EINVAL: "bad date 'X': use YYYY-MM-DD,
 * e.g. 2026-11-22" (for an impossible day the message also says why). */
int kt_date_parse(const char *in, char out[11], kt_err *err);

/* Date and time -> unix ms. Accepts a date as in kt_date_parse, optionally
 * followed by 'T' or spaces and HH:MM[:SS[.fraction]] (hour 0-23; fraction
 * truncated to ms), optionally followed (a space allowed) by "Z", "UTC" or an
 * offset "+03:00", "+0300", "+03", "-05:30". A date alone means local midnight.
 * Local times: an ambiguous time (clocks going back) is the earlier instant; a
 * nonexistent time (clocks going forward) moves forward by the gap, e.g. 02:30 on
 * the spring-forward day in Warsaw is 03:30 CEST (as RFC 5545 and java.time do).
 * KT_EINVAL with an example of the expected form. */
int kt_datetime_parse(const char *in, int64_t *ms, kt_err *err);

/* Local wall-clock time (PC's TZ) -> UTC instant in ms, with the same DST
 * rules as kt_datetime_parse (a time in a gap moves forward; in an overlap the
 * earlier instant). mon 1-12. */
int64_t kt_local_to_ms(int year, int mon, int day, int hour, int min, int sec);

/* Local time as "2026-11-22 10:00" (":30" seconds appended only if non-zero;
 * milliseconds are never shown) or, with iso, "2026-11-22T10:00:00+03:00" with
 * the local offset. outsz >= 32 is enough; output is truncated to outsz. */
void kt_datetime_format(int64_t ms, bool iso, char *out, size_t outsz);

/* Money amount -> minor units (cents): "1234.50", "1 234,50", "1,234.50",
 * "1234", "-5.5", "+7", ".5". The last '.' or ',' followed by 1-2 digits is the
 * decimal separator; groups of 3 may be separated by spaces (incl. NBSP), '\''
 * or the other of '.'/','. At most 2 decimals; no currency signs or letters.
 * KT_EINVAL otherwise (also on int64 overflow). */
int kt_money_parse(const char *in, int64_t *cents, kt_err *err);

/* Cents -> "1234.50", "-5.50", "0.00" (no grouping). */
void kt_money_format(int64_t cents, char *out, size_t outsz);

/* Duration -> minutes: "90", "90m", "90min", "1h", "1h30m", "1h 30m", "1h30",
 * "1:30", "2d" (a day = 1440 min), "2d3h"; Russian units д/ч/м/мин too. Units in
 * order d, h, m, each at most once. Not negative. KT_EINVAL otherwise. */
int kt_duration_parse(const char *in, int64_t *minutes, kt_err *err);

/* Minutes -> "1h30m", "45m", "2h", "0m", "1d2h" (days when >= 1440), "-15m". */
void kt_duration_format(int64_t minutes, char *out, size_t outsz);

/* Integer: optional sign and decimal digits only. KT_EINVAL "not a number: 'x'"
 * or "number out of range: 'x'". */
int kt_int_parse(const char *in, int64_t *out, kt_err *err);

/* Decimal number with ',' or '.' as the separator -> canonical text with '.':
 * no leading zeros, no trailing fractional zeros, no "-0" ("0,50" -> "0.5",
 * "-007" -> "-7", "1.0" -> "1", ".5" -> "0.5"). KT_EINVAL if not a number or it
 * does not fit in outsz. */
int kt_decimal_parse(const char *in, char *out, size_t outsz, kt_err *err);

#endif
