/* kt_hlc — see kt_hlc.h. */
#include "kt_hlc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define HLC_MAX_MS ((UINT64_C(1) << 48) - 1)

uint64_t kt_now_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0) return 0;
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t wall_ms(const kt_hlc *h) {
  uint64_t ms = h->now_ms ? h->now_ms(h->ud) : kt_now_ms();
  return ms > HLC_MAX_MS ? HLC_MAX_MS : ms;
}

void kt_hlc_init(kt_hlc *h, kt_stamp last, kt_clock_fn now_ms, void *ud) {
  h->last = last;
  h->now_ms = now_ms;
  h->ud = ud;
}

kt_stamp kt_hlc_now(kt_hlc *h) {
  kt_stamp w = KT_STAMP_MAKE(wall_ms(h), 0);
  if (w > h->last) h->last = w;
  else if (h->last != UINT64_MAX) h->last++; /* carries into ms at counter 0xffff */
  return h->last;
}

int kt_hlc_recv(kt_hlc *h, kt_stamp remote, uint64_t max_ahead_ms, kt_err *err) {
  if (max_ahead_ms > 0) {
    uint64_t wall = wall_ms(h), rms = KT_STAMP_MS(remote);
    if (rms > wall && rms - wall > max_ahead_ms) {
      uint64_t ahead = rms - wall;
      return kt_err_set(err, KT_ECLOCK,
                        "a clock is %llu s ahead of this computer's clock (allowed: %llu s); "
                        "set the correct time (or enable NTP) and try again",
                        (unsigned long long)((ahead + 999) / 1000),
                        (unsigned long long)(max_ahead_ms / 1000));
    }
  }
  if (remote > h->last) h->last = remote;
  return 0;
}

void kt_stamp_format(kt_stamp s, char out[40]) {
  uint64_t ms = KT_STAMP_MS(s);
  time_t secs = (time_t)(ms / 1000);
  struct tm tm;
  if (!gmtime_r(&secs, &tm)) {
    snprintf(out, 40, "%llu#%u", (unsigned long long)ms, KT_STAMP_CTR(s));
    return;
  }
  char tmp[96]; /* the real maximum is 32 ("10889-...#65535"); room for what gcc imagines */
  int n = snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ#%u", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000),
                   KT_STAMP_CTR(s));
  size_t len = n < 0 ? 0 : (size_t)n > 39 ? 39 : (size_t)n;
  memcpy(out, tmp, len);
  out[len] = '\0';
}
