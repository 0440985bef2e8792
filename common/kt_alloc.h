/* kt_alloc — the allocator of the core paths (records, model, changes, buffers,
 * the client store and sync), with one test hook: fail the Nth allocation
 * from now, so tests can walk every out-of-memory path of an operation
 * (tests/unit/test_oom.c). Disarmed (always, outside tests) the hook costs one
 * predictable branch on a relaxed atomic load. Memory from kt_malloc & co. is
 * plain malloc memory: kt_free and free are interchangeable. The hook is the
 * one process-wide state of the library, on purpose (like sqlite3_config):
 * any thread, but tests arm it from one thread. */
#ifndef KT_ALLOC_H
#define KT_ALLOC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

extern atomic_long kt__alloc_countdown; /* 0: disarmed; n: the nth allocation fails */
bool kt__alloc_tick(void);              /* true: this allocation fails */

static inline bool kt__alloc_fails(void) {
  return __builtin_expect(atomic_load_explicit(&kt__alloc_countdown, memory_order_relaxed) != 0, 0) &&
         kt__alloc_tick();
}

/* Like malloc/calloc/realloc/strdup/strndup; NULL when they or the hook fail
 * (kt_realloc leaves p untouched then). */
static inline void *kt_malloc(size_t n) { return kt__alloc_fails() ? NULL : malloc(n); }
static inline void *kt_calloc(size_t n, size_t size) {
  return kt__alloc_fails() ? NULL : calloc(n, size);
}
static inline void *kt_realloc(void *p, size_t n) {
  return kt__alloc_fails() ? NULL : realloc(p, n);
}
char *kt_strdup(const char *s);
char *kt_strndup(const char *s, size_t n);
static inline void kt_free(void *p) { free(p); }

/* Tests: arm the hook so that the nth allocation from now (n >= 1) fails; with
 * KT_ALLOC_STICKY every one after it too; with KT_ALLOC_SQLITE SQLite's own
 * allocations count as well (when routed here: kt_alloc_sqlite_methods).
 * n = 0 disarms. Counting restarts. */
enum { KT_ALLOC_STICKY = 1, KT_ALLOC_SQLITE = 2 };
void kt_alloc_fail_nth(long n, int flags);
/* Tests: whether the armed failure has happened; allocations counted since
 * kt_alloc_fail_nth (failed ones included). */
bool kt_alloc_failed(void);
long kt_alloc_count(void);

/* Tests: SQLite's allocator routed through the hook, for
 * sqlite3_config(SQLITE_CONFIG_MALLOC, ...) before sqlite3_initialize. The
 * pointer is to sqlite3_mem_methods (void here: this header needs no SQLite). */
const void *kt_alloc_sqlite_methods(void);

#endif
