/* json_scan.c — the one-pass reader of flat JSON command objects
 * (json_scan.h).
 *
 * Every rule mirrors what jansson's json_loadb(JSON_REJECT_DUPLICATES)
 * accepts: white space is space, tab, CR and LF; strings are UTF-8 without
 * control characters, with the eight short escapes and \uXXXX (paired
 * surrogates, never U+0000); numbers have no leading zeros; member names
 * are unique within their object; nothing but white space follows the
 * object. Where jansson would refuse the text, so does the scan, and the
 * caller's jansson pass then says why. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "producers/json_scan.h"
#include "core/util.h"

/* Up to 18 digits always fit in a long long; longer integers (and their
 * overflow errors) are left to jansson. */
#define MAX_DIGITS 18

typedef struct scan {
        const char *p, *end;
        char *out; /* decoded text goes to f->buf */
        esc_jflat_t *f;
} scan_t;

/* Compact NDJSON has no white space: one compare says so for any byte
 * above the space. */
static void skip_ws(scan_t *s)
{
        while (s->p < s->end && (unsigned char)*s->p <= ' ' &&
               (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
                s->p++;
}

/* Consumes c after white space; false (nothing but the space consumed)
 * if c is not next. */
static bool expect(scan_t *s, char c)
{
        skip_ws(s);
        if (s->p >= s->end || *s->p != c)
                return false;
        s->p++;
        return true;
}

/* Appends decoded bytes. Never past the end of f->buf: every decoded
 * byte costs at least one input byte, and a string's opening quote none,
 * so the output stays behind the input and len + 1 bytes suffice. */
static void put(scan_t *s, const char *b, size_t n)
{
        memcpy(s->out, b, n);
        s->out += n;
}

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* "uXXXX" at s->p: the 16-bit value, or -1. */
static long unicode_escape(scan_t *s)
{
        long v = 0;

        if (s->end - s->p < 5 || s->p[0] != 'u')
                return -1;
        for (int i = 1; i <= 4; i++) {
                int d = hex_digit(s->p[i]);
                if (d < 0)
                        return -1;
                v = v << 4 | d;
        }
        s->p += 5;
        return v;
}

/* \uXXXX (or a surrogate pair \uD83D\uDE00) as UTF-8. */
static bool escape_u(scan_t *s)
{
        long cp = unicode_escape(s);
        char b[4];
        size_t n;

        if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (s->p >= s->end || *s->p != '\\')
                        return false;
                s->p++;
                long lo = unicode_escape(s);
                if (lo < 0xDC00 || lo > 0xDFFF)
                        return false;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) {
                return false; /* bad digits, U+0000, or a lone low surrogate */
        }
        if (cp < 0x80) {
                b[0] = (char)cp;
                n = 1;
        } else if (cp < 0x800) {
                b[0] = (char)(0xC0 | cp >> 6);
                b[1] = (char)(0x80 | (cp & 0x3F));
                n = 2;
        } else if (cp < 0x10000) {
                b[0] = (char)(0xE0 | cp >> 12);
                b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
                b[2] = (char)(0x80 | (cp & 0x3F));
                n = 3;
        } else {
                b[0] = (char)(0xF0 | cp >> 18);
                b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
                b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
                b[3] = (char)(0x80 | (cp & 0x3F));
                n = 4;
        }
        put(s, b, n);
        return true;
}

/* One escape, s->p just after the backslash. */
static bool escape(scan_t *s)
{
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *e;

        if (s->p >= s->end)
                return false;
        if (*s->p == 'u')
                return escape_u(s);
        e = memchr(from, *s->p, sizeof(from) - 1);
        if (!e)
                return false;
        s->p++;
        put(s, &to[e - from], 1);
        return true;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGH_BITS UINT64_C(0x8080808080808080)

/* The high bit of each byte of w that is a quote, a backslash, a control
 * character or non-ASCII: the "has a byte below n" word test, on w for
 * n = 0x20 and on w xor the quote (backslash) for n = 1. A flag can be
 * false only above a true one, so the lowest flag is always right. */
static uint64_t stops8(uint64_t w)
{
        uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');
        return (((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) | ((b - ONES) & ~b) | w) & HIGH_BITS;
}

static bool plain_ascii(unsigned char c)
{
        return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Copies the plain ASCII bytes at s->p: a word at a time while 8 input
 * bytes are left (storing a whole word is safe, see put), then bytewise.
 * On little-endian machines the lowest flag of stops8 says at once where
 * the run ends. The cursors are locals: a store through out could alias
 * *s, which would cost a reload of both per byte. */
static void ascii_run(scan_t *s)
{
        const char *p = s->p, *end = s->end;
        char *out = s->out;

        while (end - p >= 8) {
                uint64_t w, stop;
                memcpy(&w, p, 8);
                memcpy(out, &w, 8);
                stop = stops8(w);
                if (stop) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                        size_t k = (size_t)__builtin_ctzll(stop) / 8;
                        p += k;
                        out += k;
#endif
                        break;
                }
                p += 8;
                out += 8;
        }
        while (p < end && plain_ascii((unsigned char)*p))
                *out++ = *p++;
        s->p = p;
        s->out = out;
}

/* Copies a run of plain bytes that starts with a non-ASCII one, checked
 * as UTF-8 as a whole: the run ends at an ASCII byte, so a sequence cut
 * by it is invalid either way. */
static bool utf8_run(scan_t *s)
{
        const char *run = s->p, *p = s->p, *end = s->end;
        char *out = s->out;

        while (p < end) {
                unsigned char c = (unsigned char)*p;
                if (c == '"' || c == '\\' || c < 0x20)
                        break;
                *out++ = (char)c;
                p++;
        }
        s->p = p;
        s->out = out;
        return esc_utf8_valid(run, (size_t)(p - run));
}

/* The string whose opening quote is at s->p, decoded and NUL-terminated
 * in f->buf; NULL when jansson would refuse it. */
static const char *string(scan_t *s)
{
        char *start = s->out;

        s->p++;
        for (;;) {
                ascii_run(s);
                if (s->p >= s->end)
                        return NULL;
                unsigned char c = (unsigned char)*s->p;
                if (c == '"') {
                        s->p++;
                        *s->out++ = '\0';
                        return start;
                }
                if (c == '\\') {
                        s->p++;
                        if (!escape(s))
                                return NULL;
                } else if (c < 0x20 || !utf8_run(s)) {
                        return NULL;
                }
        }
}

/* An integer; false for a real number (jansson's), leading zeros, too
 * many digits or no digits at all. */
static bool number(scan_t *s, long long *v)
{
        bool neg = s->p < s->end && *s->p == '-';
        const char *digits;
        long long n = 0;

        if (neg)
                s->p++;
        digits = s->p;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
                if (s->p - digits == MAX_DIGITS)
                        return false;
                n = n * 10 + (*s->p++ - '0');
        }
        if (s->p == digits || (s->p - digits > 1 && *digits == '0'))
                return false;
        if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
                return false;
        *v = neg ? -n : n;
        return true;
}

static bool literal(scan_t *s, const char *word, size_t n)
{
        if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
                return false;
        s->p += n;
        return true;
}

/* A string, integer, true, false or null. What follows it is checked by
 * the caller (only ',' or the closing bracket may), which also refuses
 * "truex" or "12abc". */
static bool scalar(scan_t *s, esc_jv_t *v)
{
        skip_ws(s);
        if (s->p >= s->end)
                return false;
        switch (*s->p) {
        case '"':
                v->kind = ESC_JV_STRING;
                return (v->str = string(s)) != NULL;
        case 't':
                v->kind = ESC_JV_TRUE;
                return literal(s, "true", 4);
        case 'f':
                v->kind = ESC_JV_FALSE;
                return literal(s, "false", 5);
        case 'n':
                v->kind = ESC_JV_NULL;
                return literal(s, "null", 4);
        default:
                v->kind = ESC_JV_INT;
                return number(s, &v->num);
        }
}

/* A member's name and colon; false for a name already among prev[0..n). */
static bool member_key(scan_t *s, esc_jv_t *v, const esc_jv_t *prev, int n)
{
        skip_ws(s);
        if (s->p >= s->end || *s->p != '"' || !(v->key = string(s)))
                return false;
        for (int i = 0; i < n; i++)
                if (prev[i].key[0] == v->key[0] && !strcmp(prev[i].key, v->key))
                        return false;
        return expect(s, ':');
}

/* An array or object of scalars at s->p; its entries go to f->sub. */
static bool container(scan_t *s, esc_jv_t *v)
{
        esc_jflat_t *f = s->f;
        bool obj = *s->p == '{';
        char close = obj ? '}' : ']';

        s->p++;
        v->kind = obj ? ESC_JV_OBJECT : ESC_JV_ARRAY;
        v->first = f->nsub;
        if (expect(s, close))
                return true;
        do {
                if (f->nsub == f->max_sub)
                        return false;
                esc_jv_t *e = &f->sub[f->nsub++];
                memset(e, 0, sizeof(*e));
                if (obj && !member_key(s, e, f->sub + v->first, v->n))
                        return false;
                if (!scalar(s, e))
                        return false;
                v->n++;
        } while (expect(s, ','));
        return expect(s, close);
}

int esc_jscan_object(const char *text, size_t len, esc_jflat_t *f)
{
        scan_t s = {.p = text, .end = text + len, .out = f->buf, .f = f};

        f->n = f->nsub = 0;
        if (f->buf_size < len + 1 || !expect(&s, '{'))
                return -1;
        if (!expect(&s, '}')) {
                do {
                        if (f->n == f->max_m)
                                return -1;
                        esc_jv_t *v = &f->m[f->n];
                        memset(v, 0, sizeof(*v));
                        if (!member_key(&s, v, f->m, f->n))
                                return -1;
                        skip_ws(&s);
                        bool nested = s.p < s.end && (*s.p == '[' || *s.p == '{');
                        if (!(nested ? container(&s, v) : scalar(&s, v)))
                                return -1;
                        f->n++;
                } while (expect(&s, ','));
                if (!expect(&s, '}'))
                        return -1;
        }
        skip_ws(&s);
        return s.p == s.end ? 0 : -1;
}
