/* test_timeline_text.c — the text helpers every timeline format relies on
 * to show outside text safely: one-line capping at a code-point boundary,
 * control characters (a terminal escape in a ticket title) neutralised,
 * XML escaping, padding by display width, and durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "projections/timeline/timeline.h"

static void test_oneline_cuts_at_a_code_point_boundary_with_an_ellipsis(void **state)
{
        char out[64];

        /* "Zürich" has a 2-byte ü at bytes 1..2: a 2-byte cap must not split it. */
        esc_tl_oneline(out, sizeof(out), "Zürich", 2);
        assert_string_equal(out, "Z…");
        esc_tl_oneline(out, sizeof(out), "Zürich", 3);
        assert_string_equal(out, "Zü…");
        esc_tl_oneline(out, sizeof(out), "short", 100);
        assert_string_equal(out, "short");
        assert_true(esc_utf8_valid(out, strlen(out)));
}

static void test_oneline_turns_newlines_and_terminal_escapes_into_spaces(void **state)
{
        char out[64];

        esc_tl_oneline(out, sizeof(out), "a\nb\tc\x1b[31md\x7f", 60);
        assert_string_equal(out, "a b c [31md ");
}

static void test_oneline_never_overruns_a_small_buffer(void **state)
{
        char out[8];

        esc_tl_oneline(out, sizeof(out), "abcdefghijklmnop", 1000);
        assert_true(strlen(out) < sizeof(out));
        assert_true(esc_utf8_valid(out, strlen(out)));
}

static void test_xml_escape_covers_markup_quotes_and_controls(void **state)
{
        esc_buf_t b;

        esc_buf_init(&b, 0);
        assert_int_equal(esc_tl_xml_escape(&b, "<a href=\"x\">&'\x01</a>"), 0);
        assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;&amp;&#39; &lt;/a&gt;");
        esc_buf_free(&b);
}

static void test_pad_counts_display_columns_not_bytes(void **state)
{
        esc_buf_t b;

        esc_buf_init(&b, 0);
        assert_int_equal(esc_tl_pad(&b, "jürgen", 8), 0);
        assert_string_equal(b.data, "jürgen  ");
        esc_buf_reset(&b);
        assert_int_equal(esc_tl_pad(&b, "chloé.manager", 5), 0);
        assert_string_equal(b.data, "chlo "); /* cut one short: columns never touch */
        esc_buf_reset(&b);
        assert_int_equal(esc_tl_pad(&b, "2026-12-08T00:10:59.462123Z", ESC_TL_TIME_COL), 0);
        assert_string_equal(b.data, "2026-12-08T00:10:59.462123Z ");
        esc_buf_free(&b);
}

static void test_durations_read_like_a_human_wrote_them(void **state)
{
        char b[32];

        assert_string_equal(esc_tl_duration(45, b, sizeof(b)), "45s");
        assert_string_equal(esc_tl_duration(1200, b, sizeof(b)), "20m 00s");
        assert_string_equal(esc_tl_duration(9000, b, sizeof(b)), "2h 30m");
        assert_string_equal(esc_tl_duration(3 * 86400 + 7200, b, sizeof(b)), "3d 02h");
        assert_string_equal(esc_tl_duration(-300, b, sizeof(b)), "-5m 00s");
        assert_string_equal(esc_tl_duration(ESC_TL_NONE, b, sizeof(b)), "—");
        assert_string_equal(esc_tl_time(ESC_TIME_NONE, b, sizeof(b)), "—");
}

static void test_format_names_parse(void **state)
{
        assert_int_equal(esc_tl_format_parse("text"), ESC_TL_FMT_TEXT);
        assert_int_equal(esc_tl_format_parse("md"), ESC_TL_FMT_MARKDOWN);
        assert_int_equal(esc_tl_format_parse("markdown"), ESC_TL_FMT_MARKDOWN);
        assert_int_equal(esc_tl_format_parse("json"), ESC_TL_FMT_JSON);
        assert_int_equal(esc_tl_format_parse("svg"), ESC_TL_FMT_SVG);
        assert_int_equal(esc_tl_format_parse("html"), ESC_TL_FMT_HTML);
        assert_int_equal(esc_tl_format_parse("pdf"), -1);
        assert_int_equal(esc_tl_format_parse(NULL), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_oneline_cuts_at_a_code_point_boundary_with_an_ellipsis),
                cmocka_unit_test(test_oneline_turns_newlines_and_terminal_escapes_into_spaces),
                cmocka_unit_test(test_oneline_never_overruns_a_small_buffer),
                cmocka_unit_test(test_xml_escape_covers_markup_quotes_and_controls),
                cmocka_unit_test(test_pad_counts_display_columns_not_bytes),
                cmocka_unit_test(test_durations_read_like_a_human_wrote_them),
                cmocka_unit_test(test_format_names_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
