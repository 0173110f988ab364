/* calendar.c — IANA time zones from TZif data and business-time arithmetic
 * (runtime/tz_load.c reads the TZif files).
 *
 * A zone is loaded once into a sorted table of (UTC second, UTC offset)
 * transitions: the explicit transitions of the TZif v2+ data block, then the
 * footer's POSIX rule ("CET-1CEST,M3.5.0,M10.5.0/3") expanded year by year
 * up to 2200, so that a lookup is one binary search and nothing after load
 * touches the process's TZ state. Business time walks local calendar days
 * and converts each working span's local bounds back to UTC instants, which
 * makes DST days naturally one hour shorter or longer in real time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"

#define TZ_EXPAND_UNTIL_YEAR 2200
/* Safety bound for day walks: a calendar with working hours finds one within
 * a week unless every day is a holiday, and holidays are capped. */
#define MAX_DAY_WALK (ESC_CAL_MAX_HOLIDAYS + 8 + 366 * 400)

/* ---- civil dates --------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
        int64_t q = a / b;
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int esc_cal_weekday(int64_t days)
{
        /* 1970-01-01 was a Thursday (3 in Monday-based numbering). */
        int64_t w = (days + 3) % 7;
        return (int)(w < 0 ? w + 7 : w);
}

static bool is_leap(int64_t y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* ---- time zones ---------------------------------------------------------- */

struct esc_tz {
        char name[128];
        int n;
        int64_t *at;        /* UTC seconds of each transition, ascending */
        int32_t *off;       /* offset in force from at[i] on */
        int32_t off_before; /* offset before the first transition */
};

static int tz_push(esc_tz_t *tz, int *alloc, int64_t at, int32_t off)
{
        if (tz->n > 0 && at <= tz->at[tz->n - 1])
                return 0; /* keep the table strictly ascending */
        if (tz->n == *alloc) {
                *alloc = *alloc ? *alloc * 2 : 64;
                tz->at = esc_xrealloc(tz->at, (size_t)*alloc * sizeof(*tz->at));
                tz->off = esc_xrealloc(tz->off, (size_t)*alloc * sizeof(*tz->off));
        }
        tz->at[tz->n] = at;
        tz->off[tz->n] = off;
        tz->n++;
        return 0;
}

static uint32_t be32(const unsigned char *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
        return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* POSIX TZ rule parsing (the TZif footer). */
struct tz_rule {
        char kind;    /* 'M', 'J' or 'n' */
        int m, w, d;  /* M: month, week, weekday; J/n: day in d */
        int32_t time; /* seconds after local midnight */
};

struct tz_posix {
        int32_t std_off, dst_off; /* seconds east of UTC */
        bool has_dst;
        struct tz_rule start, end;
};

static const char *posix_name(const char *p)
{
        if (*p == '<') {
                const char *e = strchr(p, '>');
                return e ? e + 1 : NULL;
        }
        const char *s = p;
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
                p++;
        return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] -> seconds. */
static const char *posix_hms(const char *p, int32_t *out)
{
        int sign = 1, h = 0, m = 0, s = 0;
        if (*p == '+' || *p == '-')
                sign = *p++ == '-' ? -1 : 1;
        if (*p < '0' || *p > '9')
                return NULL;
        while (*p >= '0' && *p <= '9' && h < 1000)
                h = h * 10 + (*p++ - '0');
        if (*p == ':') {
                p++;
                while (*p >= '0' && *p <= '9' && m < 100)
                        m = m * 10 + (*p++ - '0');
                if (*p == ':') {
                        p++;
                        while (*p >= '0' && *p <= '9' && s < 100)
                                s = s * 10 + (*p++ - '0');
                }
        }
        *out = sign * (h * 3600 + m * 60 + s);
        return p;
}

static const char *posix_rule(const char *p, struct tz_rule *r)
{
        r->time = 7200;
        if (*p == 'M') {
                r->kind = 'M';
                if (sscanf(p + 1, "%d.%d.%d", &r->m, &r->w, &r->d) != 3)
                        return NULL;
                p++;
                while ((*p >= '0' && *p <= '9') || *p == '.')
                        p++;
                if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d < 0 || r->d > 6)
                        return NULL;
        } else {
                r->kind = 'n';
                if (*p == 'J') {
                        r->kind = 'J';
                        p++;
                }
                if (*p < '0' || *p > '9')
                        return NULL;
                r->d = 0;
                while (*p >= '0' && *p <= '9' && r->d < 1000)
                        r->d = r->d * 10 + (*p++ - '0');
        }
        if (*p == '/') {
                p = posix_hms(p + 1, &r->time);
                if (!p)
                        return NULL;
        }
        return p;
}

static int posix_parse(const char *s, struct tz_posix *tp)
{
        int32_t v;
        const char *p = posix_name(s);
        if (!p || !(p = posix_hms(p, &v)))
                return -1;
        tp->std_off = -v;
        tp->has_dst = false;
        if (!*p)
                return 0;
        if (!(p = posix_name(p)))
                return -1;
        tp->dst_off = tp->std_off + 3600;
        if (*p && *p != ',') {
                if (!(p = posix_hms(p, &v)))
                        return -1;
                tp->dst_off = -v;
        }
        if (*p != ',' || !(p = posix_rule(p + 1, &tp->start)) || *p != ',' ||
            !(p = posix_rule(p + 1, &tp->end)) || *p)
                return -1;
        tp->has_dst = true;
        return 0;
}

/* Local seconds since epoch (midnight of the rule's day + time) in year y. */
static int64_t rule_local(const struct tz_rule *r, int64_t y)
{
        int64_t day;
        if (r->kind == 'M') {
                int64_t first = esc_cal_days_from_civil(y, r->m, 1);
                /* POSIX d: 0 = Sunday; esc_cal_weekday: 0 = Monday. */
                int wd_first = (esc_cal_weekday(first) + 1) % 7;
                int64_t dd = first + ((r->d - wd_first + 7) % 7) + 7 * (r->w - 1);
                int dim_m =
                        r->m == 12 ? 31 : (int)(esc_cal_days_from_civil(y, r->m + 1, 1) - first);
                while (dd >= first + dim_m)
                        dd -= 7;
                day = dd;
        } else if (r->kind == 'J') {
                /* 1..365, February 29 never counted. */
                int n = r->d;
                day = esc_cal_days_from_civil(y, 1, 1) + n - 1;
                if (is_leap(y) && n >= 60)
                        day++;
        } else {
                day = esc_cal_days_from_civil(y, 1, 1) + r->d;
        }
        return day * 86400 + r->time;
}

static void tz_expand_posix(esc_tz_t *tz, int *alloc, const struct tz_posix *tp)
{
        int64_t from_year = 1970;
        if (tz->n > 0) {
                int64_t y;
                int m, d;
                esc_cal_civil_from_days(floor_div(tz->at[tz->n - 1], 86400), &y, &m, &d);
                from_year = y;
        }
        if (!tp->has_dst) {
                if (tz->n == 0)
                        tz->off_before = tp->std_off;
                else if (tz->off[tz->n - 1] != tp->std_off)
                        tz_push(tz, alloc, tz->at[tz->n - 1] + 1, tp->std_off);
                return;
        }
        for (int64_t y = from_year; y <= TZ_EXPAND_UNTIL_YEAR; y++) {
                int64_t s = rule_local(&tp->start, y) - tp->std_off;
                int64_t e = rule_local(&tp->end, y) - tp->dst_off;
                if (s < e) {
                        tz_push(tz, alloc, s, tp->dst_off);
                        tz_push(tz, alloc, e, tp->std_off);
                } else {
                        tz_push(tz, alloc, e, tp->std_off);
                        tz_push(tz, alloc, s, tp->dst_off);
                }
        }
}

static int tz_parse(esc_tz_t *tz, const unsigned char *b, size_t len, char *errbuf,
                    size_t errbuf_size)
{
        int alloc = 0;
        if (len < 44 || memcmp(b, "TZif", 4))
                return esc_err(errbuf, errbuf_size, "time zone %s: not a TZif file", tz->name);
        int version = b[4] ? b[4] - '0' : 1;
        size_t pos = 0;
        int timesize = 4;
        if (version >= 2) {
                /* Skip the v1 block: its 32-bit times stop at 2038. */
                uint32_t isut = be32(b + 20), isstd = be32(b + 24), leap = be32(b + 28),
                         timecnt = be32(b + 32), typecnt = be32(b + 36), charcnt = be32(b + 40);
                size_t v1 = (size_t)timecnt * 5 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 8 +
                            isstd + isut;
                pos = 44 + v1;
                if (pos + 44 > len || memcmp(b + pos, "TZif", 4))
                        return esc_err(errbuf, errbuf_size, "time zone %s: truncated TZif file",
                                       tz->name);
                timesize = 8;
        }
        const unsigned char *h = b + pos;
        uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28),
                 timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
        if (typecnt == 0 || typecnt > 256 || timecnt > 100000)
                return esc_err(errbuf, errbuf_size, "time zone %s: implausible TZif counts",
                               tz->name);
        size_t need = (size_t)timecnt * ((size_t)timesize + 1) + (size_t)typecnt * 6 + charcnt +
                      (size_t)leap * ((size_t)timesize + 4) + isstd + isut;
        const unsigned char *d = h + 44;
        if (pos + 44 + need > len)
                return esc_err(errbuf, errbuf_size, "time zone %s: truncated TZif file", tz->name);
        const unsigned char *times = d;
        const unsigned char *idx = d + (size_t)timecnt * (size_t)timesize;
        const unsigned char *types = idx + timecnt;

        tz->off_before = (int32_t)be32(types);
        for (uint32_t i = 0; i < timecnt; i++) {
                int64_t at = timesize == 8 ? be64(times + (size_t)i * 8)
                                           : (int64_t)(int32_t)be32(times + (size_t)i * 4);
                if (idx[i] >= typecnt)
                        return esc_err(errbuf, errbuf_size,
                                       "time zone %s: transition %u names a missing type", tz->name,
                                       i);
                tz_push(tz, &alloc, at, (int32_t)be32(types + (size_t)idx[i] * 6));
        }

        /* Footer: "\n<POSIX TZ>\n" after the v2 data block. */
        size_t fpos = pos + 44 + need;
        if (version >= 2 && fpos + 2 <= len && b[fpos] == '\n') {
                const unsigned char *fs = b + fpos + 1;
                const unsigned char *fe = memchr(fs, '\n', len - fpos - 1);
                char footer[128];
                if (fe && (size_t)(fe - fs) < sizeof(footer)) {
                        struct tz_posix tp;
                        memcpy(footer, fs, (size_t)(fe - fs));
                        footer[fe - fs] = '\0';
                        if (footer[0] && posix_parse(footer, &tp) == 0)
                                tz_expand_posix(tz, &alloc, &tp);
                }
        }
        return 0;
}

bool esc_tz_name_ok(const char *name)
{
        size_t n = strlen(name);
        if (n == 0 || n >= 100 || name[0] == '/' || strstr(name, ".."))
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                      (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' || *p == '+' || *p == '-'))
                        return false;
        return true;
}

esc_tz_t *esc_tz_utc(void)
{
        esc_tz_t *tz = esc_xcalloc(1, sizeof(*tz));
        esc_strlcpy(tz->name, "UTC", sizeof(tz->name));
        return tz;
}

esc_tz_t *esc_tz_from_tzif(const char *name, const void *data, size_t len, char *errbuf,
                           size_t errbuf_size)
{
        esc_tz_t *tz = esc_xcalloc(1, sizeof(*tz));
        esc_strlcpy(tz->name, name, sizeof(tz->name));
        if (tz_parse(tz, data, len, errbuf, errbuf_size)) {
                esc_tz_destroy(tz);
                return NULL;
        }
        return tz;
}

void esc_tz_destroy(esc_tz_t *tz)
{
        if (!tz)
                return;
        free(tz->at);
        free(tz->off);
        free(tz);
}

const char *esc_tz_name(const esc_tz_t *tz)
{
        return tz->name;
}

static int32_t tz_offset_s(const esc_tz_t *tz, int64_t s)
{
        if (tz->n == 0 || s < tz->at[0])
                return tz->off_before;
        int lo = 0, hi = tz->n - 1;
        while (lo < hi) { /* last i with at[i] <= s */
                int mid = lo + (hi - lo + 1) / 2;
                if (tz->at[mid] <= s)
                        lo = mid;
                else
                        hi = mid - 1;
        }
        return tz->off[lo];
}

int32_t esc_tz_offset(const esc_tz_t *tz, esc_time_t t)
{
        return tz_offset_s(tz, floor_div(t, ESC_USEC_PER_SEC));
}

int64_t esc_tz_to_local(const esc_tz_t *tz, esc_time_t t)
{
        int64_t s = floor_div(t, ESC_USEC_PER_SEC);
        return s + tz_offset_s(tz, s);
}

esc_time_t esc_tz_from_local(const esc_tz_t *tz, int64_t local_s)
{
        /* Zones change offset at most once a day, so the offsets a day
         * before and after are the only candidates. */
        int32_t before = tz_offset_s(tz, local_s - 86400);
        int32_t after = tz_offset_s(tz, local_s + 86400);
        int64_t u1 = local_s - before, u2 = local_s - after;
        bool ok1 = tz_offset_s(tz, u1) == before, ok2 = tz_offset_s(tz, u2) == after;
        int64_t u;
        if (ok1 && ok2)
                u = u1 < u2 ? u1 : u2;
        else if (ok1)
                u = u1;
        else if (ok2)
                u = u2;
        else
                u = u1; /* in a gap: the pre-gap offset lands just after it */
        return u * ESC_USEC_PER_SEC;
}

/* ---- business calendars -------------------------------------------------- */

struct span {
        int16_t start, end; /* minutes after local midnight */
};

struct esc_cal {
        esc_tz_t *tz;
        struct span spans[7][ESC_CAL_MAX_SPANS];
        int nspans[7];
        esc_date_t *holidays; /* sorted ascending */
        int nholidays;
};

esc_cal_t *esc_cal_new(esc_tz_t *tz)
{
        esc_cal_t *cal = esc_xcalloc(1, sizeof(*cal));
        cal->tz = tz ? tz : esc_tz_utc();
        return cal;
}

esc_cal_t *esc_cal_new_default(void)
{
        esc_cal_t *cal = esc_cal_new(esc_tz_utc());
        for (int wd = 0; wd < 5; wd++)
                esc_cal_add_hours(cal, wd, 9 * 60, 17 * 60, NULL, 0);
        return cal;
}

void esc_cal_destroy(esc_cal_t *cal)
{
        if (!cal)
                return;
        esc_tz_destroy(cal->tz);
        free(cal->holidays);
        free(cal);
}

int esc_cal_add_hours(esc_cal_t *cal, int wd, int start_min, int end_min, char *errbuf,
                      size_t errbuf_size)
{
        if (wd < 0 || wd > 6)
                return esc_err(errbuf, errbuf_size, "weekday %d is not 0..6", wd);
        if (start_min < 0 || end_min > 1440 || start_min >= end_min)
                return esc_err(errbuf, errbuf_size,
                               "hours must run from an earlier to a later time of day within "
                               "00:00-24:00");
        if (cal->nspans[wd] == ESC_CAL_MAX_SPANS)
                return esc_err(errbuf, errbuf_size, "at most %d spans of hours per day",
                               ESC_CAL_MAX_SPANS);
        struct span *sp = cal->spans[wd];
        int n = cal->nspans[wd], i;
        for (i = 0; i < n; i++)
                if (start_min < sp[i].end && sp[i].start < end_min)
                        return esc_err(errbuf, errbuf_size,
                                       "hours overlap another span of the same day");
        /* Keep the day's spans sorted so day walks consume them in order. */
        for (i = n; i > 0 && sp[i - 1].start > start_min; i--)
                sp[i] = sp[i - 1];
        sp[i].start = (int16_t)start_min;
        sp[i].end = (int16_t)end_min;
        cal->nspans[wd]++;
        return 0;
}

int esc_cal_add_holiday(esc_cal_t *cal, esc_date_t day)
{
        if (esc_cal_is_holiday(cal, day))
                return 0;
        if (cal->nholidays == ESC_CAL_MAX_HOLIDAYS)
                return -1;
        cal->holidays =
                esc_xrealloc(cal->holidays, (size_t)(cal->nholidays + 1) * sizeof(*cal->holidays));
        int i;
        for (i = cal->nholidays; i > 0 && cal->holidays[i - 1] > day; i--)
                cal->holidays[i] = cal->holidays[i - 1];
        cal->holidays[i] = day;
        cal->nholidays++;
        return 0;
}

const esc_tz_t *esc_cal_tz(const esc_cal_t *cal)
{
        return cal->tz;
}

bool esc_cal_has_hours(const esc_cal_t *cal)
{
        for (int wd = 0; wd < 7; wd++)
                if (cal->nspans[wd])
                        return true;
        return false;
}

int64_t esc_cal_day_seconds(const esc_cal_t *cal)
{
        int64_t total = 0;
        int days = 0;
        for (int wd = 0; wd < 7; wd++) {
                if (!cal->nspans[wd])
                        continue;
                days++;
                for (int i = 0; i < cal->nspans[wd]; i++)
                        total += (cal->spans[wd][i].end - cal->spans[wd][i].start) * 60;
        }
        return days ? total / days : 0;
}

bool esc_cal_is_holiday(const esc_cal_t *cal, esc_date_t day)
{
        int lo = 0, hi = cal->nholidays - 1;
        while (lo <= hi) {
                int mid = lo + (hi - lo) / 2;
                if (cal->holidays[mid] == day)
                        return true;
                if (cal->holidays[mid] < day)
                        lo = mid + 1;
                else
                        hi = mid - 1;
        }
        return false;
}

/* The working spans of local day `day` as UTC microsecond intervals. */
static int day_spans(const esc_cal_t *cal, int64_t day, esc_time_t *from, esc_time_t *to)
{
        if (day < INT32_MIN + 1 || day > INT32_MAX || esc_cal_is_holiday(cal, (esc_date_t)day))
                return 0;
        int wd = esc_cal_weekday(day);
        for (int i = 0; i < cal->nspans[wd]; i++) {
                const struct span *sp = &cal->spans[wd][i];
                from[i] = esc_tz_from_local(cal->tz, day * 86400 + sp->start * 60);
                to[i] = esc_tz_from_local(cal->tz, day * 86400 + sp->end * 60);
        }
        return cal->nspans[wd];
}

bool esc_cal_is_working(const esc_cal_t *cal, esc_time_t t)
{
        esc_time_t from[ESC_CAL_MAX_SPANS], to[ESC_CAL_MAX_SPANS];
        int64_t day = floor_div(esc_tz_to_local(cal->tz, t), 86400);
        int n = day_spans(cal, day, from, to);
        for (int i = 0; i < n; i++)
                if (t >= from[i] && t < to[i])
                        return true;
        return false;
}

esc_time_t esc_cal_add_wall(esc_time_t t, int64_t seconds)
{
        return t + seconds * ESC_USEC_PER_SEC;
}

esc_time_t esc_cal_add_business(const esc_cal_t *cal, esc_time_t t, int64_t seconds)
{
        if (t == ESC_TIME_NONE || !esc_cal_has_hours(cal))
                return ESC_TIME_NONE;
        if (seconds <= 0)
                return t;
        int64_t remaining = seconds * ESC_USEC_PER_SEC;
        esc_time_t cur = t;
        /* Start one local day early: cheap (spans before t are skipped) and
         * it never misses a span when t sits next to a DST change. */
        int64_t day = floor_div(esc_tz_to_local(cal->tz, t), 86400) - 1;
        for (int64_t walked = 0; walked < MAX_DAY_WALK; walked++, day++) {
                esc_time_t from[ESC_CAL_MAX_SPANS], to[ESC_CAL_MAX_SPANS];
                int n = day_spans(cal, day, from, to);
                for (int i = 0; i < n; i++) {
                        if (to[i] <= cur)
                                continue;
                        esc_time_t start = from[i] > cur ? from[i] : cur;
                        int64_t avail = to[i] - start;
                        if (remaining <= avail)
                                return start + remaining;
                        remaining -= avail;
                        cur = to[i];
                }
        }
        return ESC_TIME_NONE;
}

esc_time_t esc_cal_add_bd(const esc_cal_t *cal, esc_time_t t, int64_t n)
{
        return esc_cal_add_business(cal, t, n * esc_cal_day_seconds(cal));
}

int64_t esc_cal_business_between(const esc_cal_t *cal, esc_time_t a, esc_time_t b)
{
        if (a == ESC_TIME_NONE || b == ESC_TIME_NONE)
                return 0;
        if (b < a)
                return -esc_cal_business_between(cal, b, a);
        int64_t total = 0;
        int64_t day = floor_div(esc_tz_to_local(cal->tz, a), 86400) - 1;
        int64_t last = floor_div(esc_tz_to_local(cal->tz, b), 86400) + 1;
        for (; day <= last; day++) {
                esc_time_t from[ESC_CAL_MAX_SPANS], to[ESC_CAL_MAX_SPANS];
                int n = day_spans(cal, day, from, to);
                for (int i = 0; i < n; i++) {
                        esc_time_t s = from[i] > a ? from[i] : a;
                        esc_time_t e = to[i] < b ? to[i] : b;
                        if (e > s)
                                total += e - s;
                }
        }
        return total;
}
