/* calendar.h — time zones and the business calendar behind every SLA clock.
 *
 * Deadlines in esc are either wall-clock ("15m", "4h": plain addition) or
 * business time ("1bd": only working hours count). Working hours are local
 * to the calendar's IANA zone, so a business calendar has to know when the
 * zone's clocks jump. esc_tz_from_tzif() takes the zone's TZif data (read
 * from the system tz database by runtime/tz_load.h's esc_tz_load()) once and
 * expands its POSIX footer rule to explicit transitions up to the year 2200;
 * every function here is pure (no TZ environment variable, no localtime_r,
 * no global state) and safe to call from any thread.
 *
 * Definitions (DESIGN §3):
 *  - An instant outside working hours starts the business clock at the next
 *    opening (weekday hours, not a holiday).
 *  - One business day ("1bd") is one day's working hours of business time:
 *    on a Mon–Fri 09:00–17:00 calendar, 1bd = 8 working hours, so Friday
 *    16:00 + 1bd = Monday 16:00. When weekdays have different hours, one
 *    business day is the average working day (weekly working seconds divided
 *    by the number of working weekdays); see esc_cal_day_seconds().
 *  - Holidays are whole local calendar days without working hours.
 *  - A local working-hours boundary that falls into a DST gap is moved to
 *    the first instant after the gap; one that occurs twice (DST overlap)
 *    means its first occurrence. */
#ifndef ESC_CALENDAR_H
#define ESC_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* ---- civil dates (proleptic Gregorian, days since 1970-01-01) ----------- */

/* The calendar arithmetic of core/util.h under the calendar's names. */
static inline int64_t esc_cal_days_from_civil(int64_t y, int m, int d)
{
        return esc_days_from_civil(y, m, d);
}
static inline void esc_cal_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
        esc_civil_from_days(days, y, m, d);
}
/* 0 = Monday ... 6 = Sunday (ISO order, as in policy files: mon..sun). */
int esc_cal_weekday(int64_t days);

/* ---- time zones ---------------------------------------------------------- */

typedef struct esc_tz esc_tz_t;

/* true if name may name an IANA zone: no "..", no leading "/", only
 * [A-Za-z0-9/_+-] (runtime/tz_load.c refuses anything else). */
bool esc_tz_name_ok(const char *name);
/* The zone `name` from the contents of its TZif file (runtime/tz_load.h's
 * esc_tz_load() reads it from the tz database). Returns NULL with errbuf
 * naming the zone if the data is not valid TZif. */
esc_tz_t *esc_tz_from_tzif(const char *name, const void *data, size_t len, char *errbuf,
                           size_t errbuf_size);
/* A zone fixed at UTC; never fails. */
esc_tz_t *esc_tz_utc(void);
void esc_tz_destroy(esc_tz_t *tz);
const char *esc_tz_name(const esc_tz_t *tz);

/* Seconds east of UTC in force at the instant t (microseconds, UTC). */
int32_t esc_tz_offset(const esc_tz_t *tz, esc_time_t t);
/* Local wall-clock seconds since 1970-01-01T00:00 local for the instant t. */
int64_t esc_tz_to_local(const esc_tz_t *tz, esc_time_t t);
/* The instant (microseconds, UTC) at which local wall time `local_s` (seconds
 * since 1970-01-01T00:00 local) happens: first occurrence in an overlap,
 * first instant after the gap for a time that does not exist. */
esc_time_t esc_tz_from_local(const esc_tz_t *tz, int64_t local_s);

/* ---- business calendars -------------------------------------------------- */

#define ESC_CAL_MAX_SPANS 4 /* working-hour spans per weekday */
#define ESC_CAL_MAX_HOLIDAYS 1024

typedef struct esc_cal esc_cal_t;

/* Takes ownership of tz. The calendar starts with no working hours. */
esc_cal_t *esc_cal_new(esc_tz_t *tz);
/* Mon–Fri 09:00–17:00 UTC, no holidays (the built-in default). */
esc_cal_t *esc_cal_new_default(void);
void esc_cal_destroy(esc_cal_t *cal);

/* Adds working hours [start_min, end_min) (minutes after local midnight,
 * end_min <= 1440) on weekday wd (0 = Monday). Spans of a day must not
 * overlap. Returns 0, or -1 with errbuf saying why. */
int esc_cal_add_hours(esc_cal_t *cal, int wd, int start_min, int end_min, char *errbuf,
                      size_t errbuf_size);
/* Marks a local calendar day as a holiday. Returns 0, or -1 if full. */
int esc_cal_add_holiday(esc_cal_t *cal, esc_date_t day);

const esc_tz_t *esc_cal_tz(const esc_cal_t *cal);
/* true if the calendar has any working hours at all (else business time
 * never advances and every bd deadline would be infinite). */
bool esc_cal_has_hours(const esc_cal_t *cal);
/* Length of one business day in seconds (see the definition above). */
int64_t esc_cal_day_seconds(const esc_cal_t *cal);
bool esc_cal_is_holiday(const esc_cal_t *cal, esc_date_t day);
/* true if t falls inside working hours. */
bool esc_cal_is_working(const esc_cal_t *cal, esc_time_t t);

/* t + seconds of wall-clock time. */
esc_time_t esc_cal_add_wall(esc_time_t t, int64_t seconds);
/* The instant at which `seconds` of business time have elapsed after t.
 * Returns ESC_TIME_NONE if the calendar has no working hours. */
esc_time_t esc_cal_add_business(const esc_cal_t *cal, esc_time_t t, int64_t seconds);
/* t + n business days (n * esc_cal_day_seconds()). */
esc_time_t esc_cal_add_bd(const esc_cal_t *cal, esc_time_t t, int64_t n);
/* Business time in microseconds between a and b (negative if b < a). */
int64_t esc_cal_business_between(const esc_cal_t *cal, esc_time_t a, esc_time_t b);

#endif
