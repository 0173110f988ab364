/* test_calendar_business.c — business-day arithmetic (DESIGN §3): weekends,
 * holidays, the next opening, and DST changes in real IANA zones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/calendar.h"
#include "runtime/tz_load.h"
#include "test_time.h"

static esc_cal_t *office(const char *zone)
{
        char err[256];
        esc_tz_t *tz = esc_tz_load(zone, err, sizeof(err));
        if (!tz)
                fail_msg("%s", err);
        esc_cal_t *cal = esc_cal_new(tz);
        for (int wd = 0; wd < 5; wd++)
                assert_int_equal(esc_cal_add_hours(cal, wd, 9 * 60, 17 * 60, NULL, 0), 0);
        return cal;
}

static void test_opened_friday_1600_one_business_day_is_due_monday_1600(void **state)
{
        esc_cal_t *cal = esc_cal_new_default();
        assert_int_equal(esc_cal_day_seconds(cal), 8 * 3600);
        assert_time(esc_cal_add_bd(cal, T("2026-03-06T16:00:00Z"), 1), "2026-03-09T16:00:00Z");
        /* Five business days from Wednesday noon: the next Wednesday noon. */
        assert_time(esc_cal_add_bd(cal, T("2026-03-04T12:00:00Z"), 5), "2026-03-11T12:00:00Z");
        /* Two business days from Thursday 10:00 skip the weekend. */
        assert_time(esc_cal_add_bd(cal, T("2026-03-05T10:00:00Z"), 2), "2026-03-09T10:00:00Z");
        esc_cal_destroy(cal);
}

static void test_instant_outside_working_hours_starts_the_clock_at_next_opening(void **state)
{
        esc_cal_t *cal = esc_cal_new_default();
        /* Saturday: the clock starts Monday 09:00. */
        assert_time(esc_cal_add_business(cal, T("2026-03-07T10:00:00Z"), 3600),
                    "2026-03-09T10:00:00Z");
        /* Weekday evening: next morning. */
        assert_time(esc_cal_add_bd(cal, T("2026-03-04T20:00:00Z"), 1), "2026-03-05T17:00:00Z");
        /* Before opening the same day. */
        assert_time(esc_cal_add_business(cal, T("2026-03-04T07:00:00Z"), 1800),
                    "2026-03-04T09:30:00Z");
        /* Ending exactly at closing time stays on that day. */
        assert_time(esc_cal_add_bd(cal, T("2026-03-04T09:00:00Z"), 1), "2026-03-04T17:00:00Z");
        assert_true(esc_cal_is_working(cal, T("2026-03-04T09:00:00Z")));
        assert_false(esc_cal_is_working(cal, T("2026-03-04T17:00:00Z")));
        assert_false(esc_cal_is_working(cal, T("2026-03-07T12:00:00Z")));
        esc_cal_destroy(cal);
}

static void test_holidays_are_non_working_days(void **state)
{
        esc_cal_t *cal = esc_cal_new_default();
        esc_date_t d;
        assert_int_equal(esc_date_parse("2026-03-09", &d, NULL, 0), 0); /* Monday */
        assert_int_equal(esc_cal_add_holiday(cal, d), 0);
        assert_true(esc_cal_is_holiday(cal, d));
        assert_time(esc_cal_add_bd(cal, T("2026-03-06T16:00:00Z"), 1), "2026-03-10T16:00:00Z");
        assert_false(esc_cal_is_working(cal, T("2026-03-09T12:00:00Z")));
        /* Christmas week: 24th (Thu) working, 25th (Fri) holiday. */
        assert_int_equal(esc_date_parse("2026-12-25", &d, NULL, 0), 0);
        assert_int_equal(esc_cal_add_holiday(cal, d), 0);
        assert_time(esc_cal_add_bd(cal, T("2026-12-24T13:00:00Z"), 1), "2026-12-28T13:00:00Z");
        esc_cal_destroy(cal);
}

static void test_business_time_elapsed_between_two_instants(void **state)
{
        esc_cal_t *cal = esc_cal_new_default();
        esc_time_t fri = T("2026-03-06T16:00:00Z"), mon = T("2026-03-09T10:00:00Z");
        assert_true(esc_cal_business_between(cal, fri, mon) == 2 * 3600 * ESC_USEC_PER_SEC);
        assert_true(esc_cal_business_between(cal, mon, fri) == -2 * 3600 * ESC_USEC_PER_SEC);
        /* A whole weekend is worth nothing. */
        assert_true(esc_cal_business_between(cal, T("2026-03-06T17:00:00Z"),
                                             T("2026-03-09T09:00:00Z")) == 0);
        /* add and between agree. */
        esc_time_t due = esc_cal_add_bd(cal, fri, 3);
        assert_true(esc_cal_business_between(cal, fri, due) == 3 * 8 * 3600 * ESC_USEC_PER_SEC);
        esc_cal_destroy(cal);
}

static void test_new_york_business_day_across_2026_03_08_dst_start(void **state)
{
        esc_cal_t *cal = office("America/New_York");
        /* Fri 16:00 EST (21:00Z) + 1bd = Mon 16:00 EDT (20:00Z): the local
         * clock moved, the business day did not. */
        assert_time(esc_cal_add_bd(cal, T("2026-03-06T21:00:00Z"), 1), "2026-03-09T20:00:00Z");
        assert_true(esc_cal_business_between(cal, T("2026-03-06T21:00:00Z"),
                                             T("2026-03-09T20:00:00Z")) ==
                    8 * 3600 * ESC_USEC_PER_SEC);
        esc_cal_destroy(cal);
}

static void test_berlin_business_day_across_2026_10_25_dst_end(void **state)
{
        esc_cal_t *cal = office("Europe/Berlin");
        /* Fri 16:00 CEST (14:00Z) + 1bd = Mon 16:00 CET (15:00Z). */
        assert_time(esc_cal_add_bd(cal, T("2026-10-23T14:00:00Z"), 1), "2026-10-26T15:00:00Z");
        /* Opening hour: Monday 09:00 CET is 08:00Z, the Friday before 07:00Z. */
        assert_time(esc_cal_add_business(cal, T("2026-10-24T12:00:00Z"), 1),
                    "2026-10-26T08:00:01Z");
        assert_time(esc_cal_add_business(cal, T("2026-10-23T06:00:00Z"), 60),
                    "2026-10-23T07:01:00Z");
        esc_cal_destroy(cal);
}

static void test_round_the_clock_calendar_counts_the_short_dst_day_as_23_hours(void **state)
{
        char err[256];
        esc_tz_t *tz = esc_tz_load("America/New_York", err, sizeof(err));
        assert_non_null(tz);
        esc_cal_t *cal = esc_cal_new(tz);
        for (int wd = 0; wd < 7; wd++)
                assert_int_equal(esc_cal_add_hours(cal, wd, 0, 1440, NULL, 0), 0);
        /* Sat 12:00 EST -> Sun 12:00 EDT is 23 real hours. */
        assert_true(esc_cal_business_between(cal, T("2026-03-07T17:00:00Z"),
                                             T("2026-03-08T16:00:00Z")) ==
                    23 * 3600 * ESC_USEC_PER_SEC);
        esc_cal_destroy(cal);
}

static void test_zone_offsets_follow_the_tz_database(void **state)
{
        char err[256];
        esc_tz_t *ny = esc_tz_load("America/New_York", err, sizeof(err));
        esc_tz_t *be = esc_tz_load("Europe/Berlin", err, sizeof(err));
        assert_non_null(ny);
        assert_non_null(be);
        assert_int_equal(esc_tz_offset(ny, T("2026-03-08T06:59:59Z")), -5 * 3600);
        assert_int_equal(esc_tz_offset(ny, T("2026-03-08T07:00:00Z")), -4 * 3600);
        assert_int_equal(esc_tz_offset(be, T("2026-10-25T00:59:59Z")), 2 * 3600);
        assert_int_equal(esc_tz_offset(be, T("2026-10-25T01:00:00Z")), 1 * 3600);
        /* Beyond the file's explicit transitions the POSIX rule applies. */
        assert_int_equal(esc_tz_offset(ny, T("2061-07-01T12:00:00Z")), -4 * 3600);
        assert_int_equal(esc_tz_offset(ny, T("2061-12-01T12:00:00Z")), -5 * 3600);
        /* A local time in the spring gap lands just after it; one in the
         * autumn overlap means its first occurrence. */
        int64_t gap = (esc_cal_days_from_civil(2026, 3, 8) * 86400) + 2 * 3600 + 1800;
        assert_time(esc_tz_from_local(ny, gap), "2026-03-08T07:30:00Z");
        int64_t fold = (esc_cal_days_from_civil(2026, 11, 1) * 86400) + 1 * 3600 + 1800;
        assert_time(esc_tz_from_local(ny, fold), "2026-11-01T05:30:00Z");
        esc_tz_destroy(ny);
        esc_tz_destroy(be);
}

static void test_unknown_or_unsafe_zone_names_are_refused_with_the_fix(void **state)
{
        char err[256];
        assert_null(esc_tz_load("Mars/Olympus_Mons", err, sizeof(err)));
        assert_non_null(strstr(err, "Mars/Olympus_Mons"));
        assert_non_null(strstr(err, "IANA"));
        assert_null(esc_tz_load("../../etc/passwd", err, sizeof(err)));
        assert_null(esc_tz_load("/etc/localtime", err, sizeof(err)));
}

static void test_calendar_rejects_overlapping_or_inverted_hours(void **state)
{
        esc_cal_t *cal = esc_cal_new(NULL);
        char err[256];
        assert_false(esc_cal_has_hours(cal));
        assert_true(esc_cal_add_business(cal, T("2026-03-06T16:00:00Z"), 60) == ESC_TIME_NONE);
        assert_int_equal(esc_cal_add_hours(cal, 0, 17 * 60, 9 * 60, err, sizeof(err)), -1);
        assert_int_equal(esc_cal_add_hours(cal, 0, 9 * 60, 12 * 60, err, sizeof(err)), 0);
        assert_int_equal(esc_cal_add_hours(cal, 0, 11 * 60, 13 * 60, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "overlap"));
        /* Split day: lunch is not business time. */
        assert_int_equal(esc_cal_add_hours(cal, 0, 13 * 60, 17 * 60, err, sizeof(err)), 0);
        assert_time(esc_cal_add_business(cal, T("2026-03-09T11:00:00Z"), 2 * 3600),
                    "2026-03-09T14:00:00Z");
        esc_cal_destroy(cal);
}

static void test_civil_dates_and_weekdays(void **state)
{
        int64_t y;
        int m, d;
        assert_int_equal(esc_cal_days_from_civil(1970, 1, 1), 0);
        assert_int_equal(esc_cal_weekday(0), 3);                                   /* Thursday */
        assert_int_equal(esc_cal_weekday(esc_cal_days_from_civil(2026, 3, 6)), 4); /* Friday */
        assert_int_equal(esc_cal_weekday(esc_cal_days_from_civil(1969, 12, 29)), 0);
        esc_cal_civil_from_days(esc_cal_days_from_civil(2024, 2, 29), &y, &m, &d);
        assert_true(y == 2024 && m == 2 && d == 29);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_opened_friday_1600_one_business_day_is_due_monday_1600),
                cmocka_unit_test(
                        test_instant_outside_working_hours_starts_the_clock_at_next_opening),
                cmocka_unit_test(test_holidays_are_non_working_days),
                cmocka_unit_test(test_business_time_elapsed_between_two_instants),
                cmocka_unit_test(test_new_york_business_day_across_2026_03_08_dst_start),
                cmocka_unit_test(test_berlin_business_day_across_2026_10_25_dst_end),
                cmocka_unit_test(
                        test_round_the_clock_calendar_counts_the_short_dst_day_as_23_hours),
                cmocka_unit_test(test_zone_offsets_follow_the_tz_database),
                cmocka_unit_test(test_unknown_or_unsafe_zone_names_are_refused_with_the_fix),
                cmocka_unit_test(test_calendar_rejects_overlapping_or_inverted_hours),
                cmocka_unit_test(test_civil_dates_and_weekdays),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
