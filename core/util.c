/* util.c — ISO-8601, civil dates, capped buffers, UTF-8 checks, safe copies.
 *
 * The pieces every module needs and none should write twice. Time parsing
 * is strict on purpose: an ambiguous timestamp (no offset) is refused rather
 * than guessed, because every SLA clock in esc is computed from it. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h> /* write(2) for the out-of-memory message */

#include "core/util.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil), valid far beyond any ticket date. */
int64_t esc_days_from_civil(int64_t y, int m, int d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

void esc_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
        z += 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
        static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return m == 2 && leap ? 29 : dim[m - 1];
}

/* Reads exactly n digits. */
static bool digits(const char **p, int n, int *out)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)(*p)[i]))
                        return false;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *out = v;
        return true;
}

static bool parse_ymd(const char **p, int *y, int *m, int *d)
{
        if (!digits(p, 4, y) || **p != '-')
                return false;
        (*p)++;
        if (!digits(p, 2, m) || **p != '-')
                return false;
        (*p)++;
        if (!digits(p, 2, d))
                return false;
        return *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m);
}

int esc_time_parse(const char *s, esc_time_t *out, char *errbuf, size_t errbuf_size)
{
        const char *p = s;
        int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 1;
        int64_t frac_us = 0;

        if (!s || !*s)
                return esc_err(
                        errbuf, errbuf_size,
                        "empty time: use ISO-8601 with an offset, e.g. 2026-03-06T16:00:00Z");
        if (!parse_ymd(&p, &y, &mo, &d) || (*p != 'T' && *p != 't' && *p != ' '))
                goto bad;
        p++;
        if (!digits(&p, 2, &h) || *p != ':')
                goto bad;
        p++;
        if (!digits(&p, 2, &mi))
                goto bad;
        if (*p == ':') {
                p++;
                if (!digits(&p, 2, &sec))
                        goto bad;
                if (*p == '.' || *p == ',') {
                        int n = 0;
                        p++;
                        while (isdigit((unsigned char)*p)) {
                                if (n < 6) {
                                        frac_us = frac_us * 10 + (*p - '0');
                                        n++;
                                }
                                p++;
                        }
                        if (n == 0)
                                goto bad;
                        for (; n < 6; n++)
                                frac_us *= 10;
                }
        }
        if (h > 23 || mi > 59 || sec > 60)
                goto bad;
        if (*p == 'Z' || *p == 'z') {
                p++;
        } else if (*p == '+' || *p == '-') {
                sign = *p == '-' ? -1 : 1;
                p++;
                if (!digits(&p, 2, &oh))
                        goto bad;
                if (*p == ':')
                        p++;
                if (!digits(&p, 2, &om) || oh > 23 || om > 59)
                        goto bad;
        } else {
                return esc_err(
                        errbuf, errbuf_size,
                        "time \"%.64s\" has no offset: add Z or +HH:MM, e.g. 2026-03-06T16:00:00Z",
                        s);
        }
        if (*p)
                goto bad;
        if (sec == 60)
                sec = 59; /* leap second: clamp, Unix time has none */

        int64_t days = esc_days_from_civil(y, mo, d);
        int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
        *out = secs * ESC_USEC_PER_SEC + frac_us;
        return 0;
bad:
        return esc_err(errbuf, errbuf_size,
                       "time \"%.64s\" is not ISO-8601: use e.g. 2026-03-06T16:00:00Z or "
                       "2026-03-06T17:00:00+01:00",
                       s);
}

char *esc_time_format(esc_time_t t, char *buf, size_t size)
{
        int64_t secs, us, days, rem, y;
        int m, d;

        if (t == ESC_TIME_NONE) {
                esc_strlcpy(buf, "null", size);
                return buf;
        }
        secs = t / ESC_USEC_PER_SEC;
        us = t % ESC_USEC_PER_SEC;
        if (us < 0) {
                us += ESC_USEC_PER_SEC;
                secs--;
        }
        days = secs / 86400;
        rem = secs % 86400;
        if (rem < 0) {
                rem += 86400;
                days--;
        }
        esc_civil_from_days(days, &y, &m, &d);
        if (us)
                snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d.%06lldZ", (long long)y, m, d,
                         (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (long long)us);
        else
                snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d,
                         (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
        return buf;
}

int esc_date_parse(const char *s, esc_date_t *out, char *errbuf, size_t errbuf_size)
{
        const char *p = s;
        int y, m, d;

        if (!s || !parse_ymd(&p, &y, &m, &d) || *p)
                return esc_err(errbuf, errbuf_size, "date \"%.64s\" is not YYYY-MM-DD", s ? s : "");
        *out = (esc_date_t)esc_days_from_civil(y, m, d);
        return 0;
}

char *esc_date_format(esc_date_t dt, char *buf, size_t size)
{
        int64_t y;
        int m, d;

        if (dt == ESC_DATE_NONE) {
                esc_strlcpy(buf, "null", size);
                return buf;
        }
        esc_civil_from_days(dt, &y, &m, &d);
        snprintf(buf, size, "%04lld-%02d-%02d", (long long)y, m, d);
        return buf;
}

/* ---- capped buffers ------------------------------------------------------ */

void esc_buf_init(esc_buf_t *b, size_t cap)
{
        b->data = NULL;
        b->len = 0;
        b->alloc = 0;
        b->cap = cap ? cap : ESC_BUF_DEFAULT_CAP;
}

void esc_buf_reset(esc_buf_t *b)
{
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

void esc_buf_free(esc_buf_t *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->alloc = 0;
}

int esc_buf_reserve(esc_buf_t *b, size_t extra)
{
        size_t cap = b->cap ? b->cap : ESC_BUF_DEFAULT_CAP;
        size_t need;

        if (extra > cap || b->len > cap - extra)
                return -1;
        need = b->len + extra + 1; /* + NUL */
        if (need <= b->alloc)
                return 0;
        size_t n = b->alloc ? b->alloc : 256;
        while (n < need)
                n = n > SIZE_MAX / 2 ? need : n * 2;
        char *p = realloc(b->data, n);
        if (!p)
                return -1;
        b->data = p;
        b->alloc = n;
        return 0;
}

int esc_buf_append(esc_buf_t *b, const void *p, size_t n)
{
        if (esc_buf_reserve(b, n))
                return -1;
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

int esc_buf_puts(esc_buf_t *b, const char *s)
{
        return esc_buf_append(b, s, strlen(s));
}

int esc_buf_printf(esc_buf_t *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0 || esc_buf_reserve(b, (size_t)n))
                return -1;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
        return 0;
}

/* ---- UTF-8 ---------------------------------------------------------------- */

/* One pass over s[0..n): well-formed UTF-8 and, unless nul_ok, no NUL. */
static inline bool utf8_scan(const char *s, size_t n, bool nul_ok)
{
        const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
        const uint64_t zeros = nul_ok ? 0 : ~UINT64_C(0);
        const unsigned char *p = (const unsigned char *)s, *end = p + n;

        while (p < end) {
                /* Most text is ASCII: skip 8 bytes at a time while no byte
                 * has its high bit set (and, for text, none is zero: in a
                 * word of 7-bit bytes, w - ones borrows into a byte's high
                 * bit only below a zero byte). */
                while (end - p >= 8) {
                        uint64_t w;
                        memcpy(&w, p, 8);
                        if ((w | ((w - ones) & zeros)) & highs)
                                break;
                        p += 8;
                }
                /* ...and the ASCII tail of a short value (ids, names,
                 * times: the common case) byte by byte in a tight loop. */
                while (p < end && *p < 0x80 && (*p || nul_ok))
                        p++;
                if (p == end)
                        break;
                unsigned c = *p;
                if (c == 0) /* stopped at a NUL, so !nul_ok */
                        return false;
                int len;
                unsigned min;
                if (c >= 0xC2 && c <= 0xDF)
                        len = 2, min = 0x80, c &= 0x1F;
                else if (c >= 0xE0 && c <= 0xEF)
                        len = 3, min = 0x800, c &= 0x0F;
                else if (c >= 0xF0 && c <= 0xF4)
                        len = 4, min = 0x10000, c &= 0x07;
                else
                        return false;
                if (end - p < len)
                        return false;
                for (int i = 1; i < len; i++) {
                        if ((p[i] & 0xC0) != 0x80)
                                return false;
                        c = (c << 6) | (p[i] & 0x3F);
                }
                if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
                        return false;
                p += len;
        }
        return true;
}

bool esc_utf8_valid(const char *s, size_t n)
{
        return utf8_scan(s, n, true);
}

bool esc_text_valid(const char *s, size_t n)
{
        return utf8_scan(s, n, false);
}

/* ---- strings and memory -------------------------------------------------- */

size_t esc_strlcpy(char *dst, const char *src, size_t size)
{
        size_t n = strlen(src);

        if (size) {
                size_t c = n < size - 1 ? n : size - 1;
                memcpy(dst, src, c);
                dst[c] = '\0';
        }
        return n;
}

int esc_parse_int(const char *s, long long min, long long max, long long *out)
{
        char *end;
        long long n;

        if (!s || !*s || isspace((unsigned char)*s))
                return -1;
        errno = 0;
        n = strtoll(s, &end, 10);
        if (errno || *end || n < min || n > max)
                return -1;
        *out = n;
        return 0;
}

int esc_err(char *errbuf, size_t size, const char *fmt, ...)
{
        va_list ap;

        if (errbuf && size) {
                va_start(ap, fmt);
                vsnprintf(errbuf, size, fmt, ap);
                va_end(ap);
        }
        return -1;
}

static void oom(void)
{
        static const char msg[] = "esc: out of memory\n";
        ssize_t r = write(2, msg, sizeof(msg) - 1);
        (void)r;
        abort();
}

void *esc_xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *esc_xcalloc(size_t n, size_t m)
{
        void *p = calloc(n ? n : 1, m ? m : 1);
        if (!p)
                oom();
        return p;
}

void *esc_xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                oom();
        return p;
}

char *esc_strdup(const char *s)
{
        if (!s)
                return NULL;
        size_t n = strlen(s) + 1;
        char *d = esc_xmalloc(n);
        memcpy(d, s, n);
        return d;
}
