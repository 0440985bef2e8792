/* kt_err — error codes and the error message buffer used by every Kartoteka module.
 *
 * Functions return 0 on success or a negative KT_E* code, and fill an optional
 * kt_err with a message that says what is wrong and what to do. The code table
 * is one X-macro list; the same numbers travel in the protocol's Error.code.
 * Thread-safe: no shared state. */
#ifndef KT_ERR_H
#define KT_ERR_H

#include <stdarg.h>

/* X(NAME, value, short description) */
#define KT_ERRNO_MAP(X)                                                   \
  X(OK, 0, "ok")                                                          \
  X(INVAL, -1, "invalid input")                                           \
  X(NOMEM, -2, "out of memory")                                           \
  X(IO, -3, "input/output error")                                         \
  X(NOTFOUND, -4, "not found")                                            \
  X(EXISTS, -5, "already exists")                                         \
  X(DB, -6, "database error")                                             \
  X(BUSY, -7, "database is locked by another program")                    \
  X(CORRUPT, -8, "database file is damaged")                              \
  X(PERM, -9, "permission denied")                                        \
  X(PROTO, -10, "protocol error")                                         \
  X(AUTH, -11, "authentication failed")                                   \
  X(TLS, -12, "secure connection failed")                                 \
  X(TOOBIG, -13, "message too large")                                     \
  X(VERSION, -14, "unsupported version")                                  \
  X(CLOCK, -15, "clock is wrong")                                         \
  X(CONFLICT, -16, "conflict")                                            \
  X(UNSUPPORTED, -17, "not supported")                                    \
  X(NOPROFILE, -18, "no profile")                                         \
  X(NET, -19, "network error")                                            \
  X(LOCKED, -20, "account locked")                                        \
  X(THROTTLED, -21, "too many attempts")                                  \
  X(EXPIRED, -22, "expired")                                              \
  X(REVOKED, -23, "revoked")                                              \
  X(INTERNAL, -24, "internal error")                                      \
  X(DISABLED, -25, "account disabled")                                    \
  X(CLOSED, -26, "shut down")

enum {
#define KT_ERR_ENUM(name, val, desc) KT_E##name = (val),
  KT_ERRNO_MAP(KT_ERR_ENUM)
#undef KT_ERR_ENUM
};

#define KT_ERR_MSG_MAX 512

typedef struct kt_err {
  int code;                 /* last KT_E* code, 0 when none */
  char msg[KT_ERR_MSG_MAX]; /* human message; "" when none */
} kt_err;

/* Clears an error buffer (err may be NULL). */
void kt_err_clear(kt_err *err);

/* Sets code and a printf-formatted message into err (may be NULL); returns code,
 * so callers can write `return kt_err_set(err, KT_EINVAL, "...")`. */
int kt_err_set(kt_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int kt_err_setv(kt_err *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prepends "context: " to an existing message (keeps the code); returns err->code
 * (or KT_EINTERNAL when err is NULL). */
int kt_err_prefix(kt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Static short description of a code ("not found"); never NULL. */
const char *kt_strerror(int code);

/* Static symbolic name of a code ("KT_ENOTFOUND"); never NULL. */
const char *kt_err_name(int code);

#endif
