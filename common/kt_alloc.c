/* kt_alloc — see kt_alloc.h. */
#include "kt_alloc.h"

#include <sqlite3.h>
#include <string.h>

atomic_long kt__alloc_countdown;
static atomic_long count;  /* allocations since armed */
static atomic_bool sticky, fired, with_sqlite;

bool kt__alloc_tick(void) {
  atomic_fetch_add(&count, 1);
  if (atomic_load(&fired)) return true; /* sticky: armed only while sticky */
  if (atomic_fetch_sub(&kt__alloc_countdown, 1) != 1) return false;
  atomic_store(&fired, true);
  /* a one-shot failure disarms; a sticky one keeps the branch taken */
  atomic_store(&kt__alloc_countdown, atomic_load(&sticky) ? -1 : 0);
  return true;
}

void kt_alloc_fail_nth(long n, int flags) {
  atomic_store(&kt__alloc_countdown, 0);
  atomic_store(&count, 0);
  atomic_store(&fired, false);
  atomic_store(&sticky, (flags & KT_ALLOC_STICKY) != 0);
  atomic_store(&with_sqlite, (flags & KT_ALLOC_SQLITE) != 0);
  atomic_store(&kt__alloc_countdown, n > 0 ? n : 0);
}

bool kt_alloc_failed(void) { return atomic_load(&fired); }
long kt_alloc_count(void) { return atomic_load(&count); }

char *kt_strdup(const char *s) {
  if (kt__alloc_fails()) return NULL;
  return strdup(s);
}

char *kt_strndup(const char *s, size_t n) {
  if (kt__alloc_fails()) return NULL;
  return strndup(s, n);
}

/* SQLite's allocations: a size header in front of each block (xSize). */
#define HDR 16
static bool sq_fails(void) {
  return __builtin_expect(atomic_load_explicit(&kt__alloc_countdown, memory_order_relaxed) != 0, 0) &&
         atomic_load(&with_sqlite) && kt__alloc_tick();
}
static void *sq_malloc(int n) {
  if (n <= 0 || sq_fails()) return NULL;
  unsigned char *p = malloc((size_t)n + HDR);
  if (!p) return NULL;
  memcpy(p, &n, sizeof n);
  return p + HDR;
}
static void sq_free(void *p) {
  if (p) free((unsigned char *)p - HDR);
}
static int sq_size(void *p) {
  int n = 0;
  if (p) memcpy(&n, (unsigned char *)p - HDR, sizeof n);
  return n;
}
static void *sq_realloc(void *p, int n) {
  if (!p) return sq_malloc(n);
  if (n <= 0 || sq_fails()) return NULL;
  unsigned char *q = realloc((unsigned char *)p - HDR, (size_t)n + HDR);
  if (!q) return NULL;
  memcpy(q, &n, sizeof n);
  return q + HDR;
}
static int sq_roundup(int n) { return (n + 7) & ~7; }
static int sq_init(void *ud) {
  (void)ud;
  return SQLITE_OK;
}
static void sq_shutdown(void *ud) { (void)ud; }

static const sqlite3_mem_methods sq_methods = {sq_malloc, sq_free,   sq_realloc, sq_size,
                                               sq_roundup, sq_init, sq_shutdown, NULL};

const void *kt_alloc_sqlite_methods(void) { return &sq_methods; }
