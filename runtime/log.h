/* log.h — structured logfmt lines on stderr.
 *
 *   ts=2026-11-27T18:40:01.123Z level=info comp=ledger msg="assigned" partitions=12
 *
 * Callers pass the message and then key/value pairs already formatted as
 * logfmt by esc_log(); values with spaces, quotes or '=' are quoted. Secrets
 * never reach the log: config values whose key contains "token", "secret",
 * "password" or "sasl" are printed as "[redacted]" by the config module. */
#ifndef ESC_LOG_H
#define ESC_LOG_H

typedef enum { ESC_LOG_DEBUG, ESC_LOG_INFO, ESC_LOG_WARN, ESC_LOG_ERROR } esc_log_level_t;

void esc_log_set_level(esc_log_level_t lvl);
esc_log_level_t esc_log_get_level(void);

/* esc_log(ESC_LOG_INFO, "ledger", "partition assigned", "partition=%d offset=%lld",
 *         p, (long long)off);
 * kv_fmt may be NULL. Values produced by kv_fmt are written as given, so
 * quote user text with esc_log_quote(). Thread-safe (one write(2) per line). */
void esc_log(esc_log_level_t lvl, const char *comp, const char *msg, const char *kv_fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Quotes s for use as a logfmt value into buf (always NUL-terminated,
 * truncated with "..." if too long). Returns buf. */
const char *esc_log_quote(const char *s, char *buf, unsigned size);

#endif
