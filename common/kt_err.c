/* kt_err — see kt_err.h. */
#include "kt_err.h"

#include <stdio.h>
#include <string.h>

void kt_err_clear(kt_err *err) {
  if (!err) return;
  err->code = 0;
  err->msg[0] = '\0';
}

int kt_err_setv(kt_err *err, int code, const char *fmt, va_list ap) {
  if (!err) return code;
  err->code = code;
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  return code;
}

int kt_err_set(kt_err *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kt_err_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

int kt_err_prefix(kt_err *err, const char *fmt, ...) {
  if (!err) return KT_EINTERNAL;
  char old[KT_ERR_MSG_MAX];
  memcpy(old, err->msg, sizeof old);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n + 2 < sizeof err->msg) {
    size_t used = (size_t)n;
    memcpy(err->msg + used, ": ", 2);
    used += 2;
    size_t left = sizeof err->msg - used - 1, ol = strlen(old);
    if (ol > left) ol = left;
    memcpy(err->msg + used, old, ol);
    err->msg[used + ol] = '\0';
  }
  return err->code;
}

const char *kt_strerror(int code) {
  switch (code) {
#define KT_ERR_DESC(name, val, desc) \
  case val: return desc;
    KT_ERRNO_MAP(KT_ERR_DESC)
#undef KT_ERR_DESC
  }
  return "unknown error";
}

const char *kt_err_name(int code) {
  switch (code) {
#define KT_ERR_NAME(name, val, desc) \
  case val: return "KT_E" #name;
    KT_ERRNO_MAP(KT_ERR_NAME)
#undef KT_ERR_NAME
  }
  return "KT_E?";
}
