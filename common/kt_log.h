/* kt_log — one line per event on stderr: time, level, module, message.
 * Never log passwords, tokens or record contents. The level is checked before
 * any formatting (the macro). The level is process-wide, set once by main(). */
#ifndef KT_LOG_H
#define KT_LOG_H

typedef enum { KT_LOG_ERROR = 0, KT_LOG_WARN, KT_LOG_INFO, KT_LOG_DEBUG } kt_log_level;

/* Set by main() (e.g. from --verbose); default KT_LOG_WARN. */
void kt_log_set_level(kt_log_level lvl);
kt_log_level kt_log_get_level(void);
/* Set by main() of an interactive command (a CLI command that returns at once,
 * not a server or an agent): lines become "PROG: warning: message", without the
 * time stamp and module a log needs and a person does not. prog is borrowed
 * (a literal); NULL restores the log format. */
void kt_log_set_plain(const char *prog);

void kt_log_write(kt_log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define KT_LOG(lvl, module, ...)                                   \
  do {                                                             \
    if ((lvl) <= kt_log_get_level()) kt_log_write((lvl), (module), __VA_ARGS__); \
  } while (0)
#define kt_log_error(m, ...) KT_LOG(KT_LOG_ERROR, m, __VA_ARGS__)
#define kt_log_warn(m, ...) KT_LOG(KT_LOG_WARN, m, __VA_ARGS__)
#define kt_log_info(m, ...) KT_LOG(KT_LOG_INFO, m, __VA_ARGS__)
#define kt_log_debug(m, ...) KT_LOG(KT_LOG_DEBUG, m, __VA_ARGS__)

#endif
