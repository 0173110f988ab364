/* log.c — logfmt lines on stderr, one write(2) per line so lines from
 * several threads never interleave. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/log.h"
#include "core/util.h"
#include "runtime/sys.h"

static atomic_int log_level = ESC_LOG_INFO;

void esc_log_set_level(esc_log_level_t lvl)
{
        atomic_store(&log_level, (int)lvl);
}

esc_log_level_t esc_log_get_level(void)
{
        return (esc_log_level_t)atomic_load(&log_level);
}

const char *esc_log_quote(const char *s, char *buf, unsigned size)
{
        bool needs = !*s;
        unsigned o = 0;

        for (const char *p = s; *p && !needs; p++)
                needs = *p == ' ' || *p == '"' || *p == '=' || *p == '\\' ||
                        (unsigned char)*p < 0x20;
        if (!needs) {
                esc_strlcpy(buf, s, size);
                return buf;
        }
        if (size < 8) {
                esc_strlcpy(buf, "\"\"", size);
                return buf;
        }
        buf[o++] = '"';
        for (const char *p = s; *p; p++) {
                char esc = 0;
                if (*p == '"' || *p == '\\')
                        esc = *p;
                else if (*p == '\n')
                        esc = 'n';
                else if (*p == '\t')
                        esc = 't';
                else if ((unsigned char)*p < 0x20)
                        continue;
                if (o + (esc ? 2 : 1) + 5 > size) {
                        memcpy(buf + o, "...", 3);
                        o += 3;
                        break;
                }
                if (esc) {
                        buf[o++] = '\\';
                        buf[o++] = esc;
                } else {
                        buf[o++] = *p;
                }
        }
        buf[o++] = '"';
        buf[o] = '\0';
        return buf;
}

void esc_log(esc_log_level_t lvl, const char *comp, const char *msg, const char *kv_fmt, ...)
{
        static const char *names[] = {"debug", "info", "warn", "error"};
        char line[4096], ts[40], qmsg[1024];
        int n;

        if ((int)lvl < atomic_load(&log_level))
                return;
        esc_time_t now = esc_now();
        esc_time_format(now - now % 1000, ts, sizeof(ts)); /* millisecond precision */
        n = snprintf(line, sizeof(line), "ts=%s level=%s comp=%s msg=%s", ts, names[lvl], comp,
                     esc_log_quote(msg, qmsg, sizeof(qmsg)));
        if (kv_fmt && *kv_fmt && n > 0 && (size_t)n < sizeof(line) - 2) {
                va_list ap;
                line[n++] = ' ';
                va_start(ap, kv_fmt);
                int m = vsnprintf(line + n, sizeof(line) - (size_t)n, kv_fmt, ap);
                va_end(ap);
                if (m > 0)
                        n += m;
        }
        if (n < 0)
                return;
        if ((size_t)n >= sizeof(line) - 1)
                n = sizeof(line) - 2;
        line[n++] = '\n';
        ssize_t w = write(STDERR_FILENO, line, (size_t)n);
        (void)w;
}
