/* util.h — small pure pieces: microsecond timestamps, ISO-8601, capped
 * growable buffers, UTF-8 validation, safe string copies.
 *
 * Every timestamp in esc is an esc_time_t: microseconds since the Unix epoch,
 * UTC, the same unit as Avro's timestamp-micros. ESC_TIME_NONE stands for
 * "null" wherever a timestamp is optional. */
#ifndef ESC_UTIL_H
#define ESC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t esc_time_t;
#define ESC_TIME_NONE INT64_MIN
#define ESC_USEC_PER_SEC INT64_C(1000000)

/* Avro `date`: days since 1970-01-01. ESC_DATE_NONE stands for null. */
typedef int32_t esc_date_t;
#define ESC_DATE_NONE INT32_MIN

/* Parses ISO-8601 with offset or `Z` ("2026-03-06T16:00:00Z",
 * "2026-03-06T17:00:00.250+01:00"). Returns 0, or -1 with errbuf naming the
 * input and the expected form. */
int esc_time_parse(const char *s, esc_time_t *out, char *errbuf, size_t errbuf_size);
/* Formats as ISO-8601 UTC with `Z`, seconds precision unless the value has a
 * fractional part (then microseconds). Needs 32 bytes. Returns buf. */
char *esc_time_format(esc_time_t t, char *buf, size_t size);
/* "YYYY-MM-DD" <-> days since epoch. */
/* Proleptic Gregorian calendar: days since 1970-01-01 <-> y-m-d. */
int64_t esc_days_from_civil(int64_t y, int m, int d);
void esc_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int esc_date_parse(const char *s, esc_date_t *out, char *errbuf, size_t errbuf_size);
char *esc_date_format(esc_date_t d, char *buf, size_t size);

/* Growable byte buffer with a mandatory cap, so hostile input cannot
 * exhaust memory. Invariant: data[len] == '\0' whenever data != NULL, so a
 * buffer of text is always a C string. */
typedef struct esc_buf {
        char *data;
        size_t len;
        size_t alloc;
        size_t cap; /* hard limit on len; 0 means ESC_BUF_DEFAULT_CAP */
} esc_buf_t;
#define ESC_BUF_DEFAULT_CAP ((size_t)64 << 20)

void esc_buf_init(esc_buf_t *b, size_t cap);
void esc_buf_reset(esc_buf_t *b); /* len = 0, keeps memory */
void esc_buf_free(esc_buf_t *b);
/* Each returns 0, or -1 if the cap would be exceeded or memory ran out (the
 * buffer is left unchanged). */
int esc_buf_append(esc_buf_t *b, const void *p, size_t n);
int esc_buf_puts(esc_buf_t *b, const char *s);
int esc_buf_printf(esc_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int esc_buf_reserve(esc_buf_t *b, size_t extra);

/* true if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool esc_utf8_valid(const char *s, size_t n);
/* esc_utf8_valid, and no NUL byte either: s[0..n) can become a C string
 * without losing anything. One pass (the codec's check per decoded string). */
bool esc_text_valid(const char *s, size_t n);

/* Parses a whole decimal number in [min, max]: an optional sign and digits,
 * trailing bytes ("12abc"), no empty string, no overflow. Returns 0, or -1
 * leaving *out untouched. The one number parser behind every flag, config
 * key and policy field. */
int esc_parse_int(const char *s, long long min, long long max, long long *out);

/* Copies at most size-1 bytes and always NUL-terminates. Returns strlen(src)
 * so truncation is detectable (like BSD strlcpy). */
size_t esc_strlcpy(char *dst, const char *src, size_t size);
/* snprintf into errbuf; tolerates errbuf == NULL. Always returns -1 so that
 * `return esc_err(errbuf, size, "...")` reads naturally. */
int esc_err(char *errbuf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* strdup that aborts on out-of-memory; NULL in, NULL out. */
char *esc_strdup(const char *s);
void *esc_xmalloc(size_t n);
void *esc_xcalloc(size_t n, size_t m);
void *esc_xrealloc(void *p, size_t n);

#endif
