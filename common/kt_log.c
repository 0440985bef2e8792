/* kt_log — see kt_log.h. The level and the plain prefix are the only
 * process-wide state: atomics written once by main(). */
#include "kt_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_int log_level = KT_LOG_WARN;
static _Atomic(const char *) plain_prog; /* NULL: the log format */

void kt_log_set_level(kt_log_level lvl) { atomic_store(&log_level, (int)lvl); }
kt_log_level kt_log_get_level(void) { return (kt_log_level)atomic_load(&log_level); }
void kt_log_set_plain(const char *prog) { atomic_store(&plain_prog, prog); }

void kt_log_write(kt_log_level lvl, const char *module, const char *fmt, ...) {
  static const char *names[] = {"error", "warn", "info", "debug"};
  char line[1024];
  const char *prog = atomic_load(&plain_prog);
  if (prog) {
    static const char *words[] = {"error", "warning", "note", "debug"};
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(line, sizeof line, "%s: %s: ", prog, words[lvl & 3]);
    if (n > 0 && (size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
    return;
  }
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                   tm.tm_sec, ts.tv_nsec / 1000000, names[lvl & 3], module);
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s\n", line);
}
