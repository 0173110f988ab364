/* test_time.h — times in the unit tests: T() parses an ISO-8601 literal or
 * fails the test; assert_time compares a time with one ("none" for
 * ESC_TIME_NONE). Include after <cmocka.h>. */
#ifndef TEST_TIME_H
#define TEST_TIME_H

#include "core/util.h"

static inline esc_time_t T(const char *iso)
{
        esc_time_t t;
        if (esc_time_parse(iso, &t, NULL, 0))
                fail_msg("bad time in test: %s", iso);
        return t;
}

#define assert_time(t, iso)                                                                        \
        do {                                                                                       \
                char b_[40];                                                                       \
                esc_time_t t_ = (t);                                                               \
                if (t_ == ESC_TIME_NONE)                                                           \
                        assert_string_equal("none", (iso));                                        \
                else                                                                               \
                        assert_string_equal(esc_time_format(t_, b_, sizeof(b_)), (iso));           \
        } while (0)

#endif
