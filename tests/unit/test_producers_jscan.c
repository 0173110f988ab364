/* test_producers_jscan.c — the one-pass reader of flat JSON command
 * objects: what it decodes, and that it gives up (leaving the line to
 * jansson) on everything jansson would refuse or the view cannot hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "producers/json_scan.h"

#define MAX_M 8
#define MAX_SUB 8

static esc_jv_t m[MAX_M], sub[MAX_SUB];
static char buf[8192];

static int scan_n(const char *s, size_t len, esc_jflat_t *f)
{
        *f = (esc_jflat_t){.m = m,
                           .max_m = MAX_M,
                           .sub = sub,
                           .max_sub = MAX_SUB,
                           .buf = buf,
                           .buf_size = len + 1};
        return esc_jscan_object(s, len, f);
}

static int scan(const char *s, esc_jflat_t *f)
{
        return scan_n(s, strlen(s), f);
}

/* The decoded string of the only member of {"k": <value>}. */
static const char *one_string(const char *value)
{
        static char line[256];
        esc_jflat_t f;

        snprintf(line, sizeof(line), "{\"k\":%s}", value);
        if (scan(line, &f) || f.n != 1 || f.m[0].kind != ESC_JV_STRING)
                return NULL;
        return f.m[0].str;
}

static bool gives_up(const char *s)
{
        esc_jflat_t f;
        return scan(s, &f) == -1;
}

static void test_members_keep_document_order_and_kinds(void **state)
{
        esc_jflat_t f;

        assert_int_equal(scan("{\"type\":\"ack\",\"sev\":-12,\"unconfirmed\":true,\"paying\":false,"
                              "\"note\":null,\"why\":[\"a\",\"b\"],\"source\":{\"system\":\"zd\","
                              "\"url\":null}}",
                              &f),
                         0);
        assert_int_equal(f.n, 7);
        assert_string_equal(f.m[0].key, "type");
        assert_int_equal(f.m[0].kind, ESC_JV_STRING);
        assert_string_equal(f.m[0].str, "ack");
        assert_int_equal(f.m[1].kind, ESC_JV_INT);
        assert_true(f.m[1].num == -12);
        assert_int_equal(f.m[2].kind, ESC_JV_TRUE);
        assert_int_equal(f.m[3].kind, ESC_JV_FALSE);
        assert_int_equal(f.m[4].kind, ESC_JV_NULL);
        assert_int_equal(f.m[5].kind, ESC_JV_ARRAY);
        assert_int_equal(f.m[5].n, 2);
        assert_null(f.sub[f.m[5].first].key);
        assert_string_equal(f.sub[f.m[5].first + 1].str, "b");
        assert_int_equal(f.m[6].kind, ESC_JV_OBJECT);
        assert_int_equal(f.m[6].n, 2);
        assert_string_equal(f.sub[f.m[6].first].key, "system");
        assert_string_equal(f.sub[f.m[6].first].str, "zd");
        assert_int_equal(f.sub[f.m[6].first + 1].kind, ESC_JV_NULL);
}

static void test_white_space_and_empty_containers(void **state)
{
        esc_jflat_t f;

        assert_int_equal(scan(" \t{ \"a\" :\r\n[ ] , \"b\" : { } }\r\n ", &f), 0);
        assert_int_equal(f.n, 2);
        assert_int_equal(f.m[0].kind, ESC_JV_ARRAY);
        assert_int_equal(f.m[0].n, 0);
        assert_int_equal(f.m[1].kind, ESC_JV_OBJECT);
        assert_int_equal(f.m[1].n, 0);
        assert_int_equal(scan("{}", &f), 0);
        assert_int_equal(f.n, 0);
        /* only JSON's four white-space bytes */
        assert_true(gives_up("{\f}"));
        assert_true(gives_up("\xef\xbb\xbf{}"));
}

static void test_escapes_decode_to_utf8(void **state)
{
        assert_string_equal(one_string("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), "\"\\/\b\f\n\r\t");
        assert_string_equal(one_string("\"\\u0041\\u00e9\\u20AC\""), "A\xc3\xa9\xe2\x82\xac");
        /* U+1F600 as a surrogate pair, lower and upper case hex */
        assert_string_equal(one_string("\"x\\ud83d\\ude00y\""), "x\xf0\x9f\x98\x80y");
        assert_string_equal(one_string("\"\\uD83D\\uDE00\""), "\xf0\x9f\x98\x80");
        assert_string_equal(one_string("\"\\uDBFF\\uDFFF\""), "\xf4\x8f\xbf\xbf");
        assert_string_equal(one_string("\"\""), "");
        /* raw UTF-8 passes as is */
        assert_string_equal(one_string("\"caf\xc3\xa9 \xf0\x9f\x98\x80\""),
                            "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

static void test_bad_escapes_and_lone_surrogates_give_up(void **state)
{
        assert_null(one_string("\"\\ud83d\"")); /* high surrogate alone */
        assert_null(one_string("\"\\ud83dx\""));
        assert_null(one_string("\"\\ud83d\\u0041\"")); /* high then not a low one */
        assert_null(one_string("\"\\ud83d\\ud83d\""));
        assert_null(one_string("\"\\ud83d\\n\""));
        assert_null(one_string("\"\\ude00\"")); /* low surrogate alone */
        /* jansson refuses U+0000 without JSON_ALLOW_NUL */
        assert_null(one_string("\"a\\u0000b\""));
        assert_null(one_string("\"\\u12\""));
        assert_null(one_string("\"\\u12g4\""));
        assert_null(one_string("\"\\x41\""));
        assert_null(one_string("\"\\'\""));
        assert_true(gives_up("{\"k\":\"\\"));
        assert_true(gives_up("{\"k\\u0000\":1}")); /* NUL in a name */
}

static void test_invalid_utf8_and_control_bytes_give_up(void **state)
{
        assert_null(one_string("\"\xff\""));
        assert_null(one_string("\"bad \xc3\x28 byte\""));
        assert_null(one_string("\"\xc0\xaf\""));         /* overlong '/' */
        assert_null(one_string("\"\xed\xa0\x80\""));     /* an encoded surrogate */
        assert_null(one_string("\"\xf4\x90\x80\x80\"")); /* above U+10FFFF */
        assert_null(one_string("\"\xe2\x82\""));         /* cut short by the quote */
        assert_null(one_string("\"\xe2\x82\\u0041\""));  /* cut short by an escape */
        assert_null(one_string("\"a\tb\""));
        assert_null(one_string("\"a\nb\""));
        assert_true(gives_up("{\"k\":\"\xff\"\xff}"));
        esc_jflat_t f;
        assert_int_equal(scan_n("{\"k\":\"a\0b\"}", 11, &f), -1);
        assert_int_equal(scan_n("{\"k\":1}\0", 8, &f), -1);
        /* DEL is no control character to JSON */
        assert_string_equal(one_string("\"a\x7f\""), "a\x7f");
}

static void test_duplicate_names_give_up(void **state)
{
        esc_jflat_t f;

        assert_true(gives_up("{\"a\":1,\"a\":2}"));
        assert_true(gives_up("{\"a\":1,\"b\":2,\"a\":null}"));
        assert_true(gives_up("{\"\":1,\"\":2}"));
        assert_true(gives_up("{\"a\":1,\"\\u0061\":2}")); /* the same name once decoded */
        assert_true(gives_up("{\"s\":{\"x\":\"1\",\"x\":\"2\"}}"));
        /* alike names, and one name in two objects, are fine */
        assert_int_equal(scan("{\"ab\":1,\"a\":2,\"abc\":3,\"s\":{\"a\":\"1\",\"ab\":\"2\"}}", &f),
                         0);
        assert_int_equal(f.n, 4);
}

static void test_nesting_beyond_one_level_gives_up(void **state)
{
        assert_true(gives_up("{\"why\":[[\"a\"]]}"));
        assert_true(gives_up("{\"why\":[{}]}"));
        assert_true(gives_up("{\"source\":{\"a\":{}}}"));
        assert_true(gives_up("{\"source\":{\"a\":[\"x\"]}}"));
        assert_true(gives_up("[{\"type\":\"ack\"}]"));
        assert_true(gives_up("\"type\""));
}

static void test_integers_only_and_within_18_digits(void **state)
{
        esc_jflat_t f;

        assert_int_equal(scan("{\"a\":0,\"b\":-0,\"c\":42,\"d\":999999999999999999,"
                              "\"e\":-999999999999999999}",
                              &f),
                         0);
        assert_true(f.m[0].num == 0 && f.m[1].num == 0 && f.m[2].num == 42);
        assert_true(f.m[3].num == 999999999999999999LL);
        assert_true(f.m[4].num == -999999999999999999LL);
        /* jansson's: 19 digits may overflow, reals, exponents */
        assert_true(gives_up("{\"a\":1000000000000000000}"));
        assert_true(gives_up("{\"a\":1.5}"));
        assert_true(gives_up("{\"a\":1e3}"));
        assert_true(gives_up("{\"a\":1E3}"));
        /* not JSON at all */
        assert_true(gives_up("{\"a\":01}"));
        assert_true(gives_up("{\"a\":-01}"));
        assert_true(gives_up("{\"a\":-}"));
        assert_true(gives_up("{\"a\":+1}"));
        assert_true(gives_up("{\"a\":12abc}"));
        assert_true(gives_up("{\"a\":.5}"));
}

static void test_malformed_text_gives_up(void **state)
{
        assert_true(gives_up(""));
        assert_true(gives_up("   "));
        assert_true(gives_up("{"));
        assert_true(gives_up("{\"type\":\"ack\","));
        assert_true(gives_up("{\"type\":\"ack\",}"));
        assert_true(gives_up("{,\"type\":\"ack\"}"));
        assert_true(gives_up("{\"type\" \"ack\"}"));
        assert_true(gives_up("{\"type\":\"ack\"} {}"));
        assert_true(gives_up("{\"type\":\"ack\"}x"));
        assert_true(gives_up("{type:\"ack\"}"));
        assert_true(gives_up("{\"type\":\"ack}"));
        assert_true(gives_up("{\"a\":truex}"));
        assert_true(gives_up("{\"a\":tru}"));
        assert_true(gives_up("{\"a\":True}"));
        assert_true(gives_up("{\"a\":nul}"));
        assert_true(gives_up("{\"a\":[\"x\",]}"));
        assert_true(gives_up("{\"a\":[\"x\" \"y\"]}"));
        assert_true(gives_up("{\"a\":[\"x\"}"));
        assert_true(gives_up("{\"a\":{\"x\":\"1\"]}"));
        assert_true(gives_up("{\"a\":{\"x\"}}"));
}

static void test_more_than_the_view_holds_gives_up(void **state)
{
        char line[8192];
        esc_jflat_t f;
        size_t o = 0;

        /* members */
        o = (size_t)snprintf(line, sizeof(line), "{");
        for (int i = 0; i < MAX_M; i++)
                o += (size_t)snprintf(line + o, sizeof(line) - o, "%s\"k%d\":1", i ? "," : "", i);
        snprintf(line + o, sizeof(line) - o, "}");
        assert_int_equal(scan(line, &f), 0);
        assert_int_equal(f.n, MAX_M);
        snprintf(line + o, sizeof(line) - o, ",\"more\":1}");
        assert_true(gives_up(line));
        /* array entries and nested members share sub */
        assert_int_equal(scan("{\"a\":[\"1\",\"2\",\"3\",\"4\"],\"s\":{\"a\":\"1\",\"b\":\"2\","
                              "\"c\":\"3\",\"d\":\"4\"}}",
                              &f),
                         0);
        assert_true(gives_up("{\"a\":[\"1\",\"2\",\"3\",\"4\",\"5\"],\"s\":{\"a\":\"1\",\"b\":"
                             "\"2\",\"c\":\"3\",\"d\":\"4\"}}"));
        /* a long string fits in len + 1 bytes; a smaller buffer is refused */
        memset(line, 'x', sizeof(line));
        memcpy(line, "{\"k\":\"", 6);
        memcpy(line + sizeof(line) - 3, "\"}", 3);
        assert_int_equal(scan(line, &f), 0);
        assert_int_equal(strlen(f.m[0].str), sizeof(line) - 9);
        f.buf_size = strlen(line);
        assert_int_equal(esc_jscan_object(line, strlen(line), &f), -1);
}

/* Decoded text is written 8 bytes at a time: into a heap buffer of just
 * len + 1 bytes (the sanitizer build watches its end), for every string
 * length and position around the word size, plain and with escapes. */
static void test_len_plus_one_bytes_suffice(void **state)
{
        static const char *fill[] = {"x", "\\u00e9", "\\n", "\xc3\xa9"};
        for (size_t k = 0; k < sizeof(fill) / sizeof(fill[0]); k++) {
                for (int n = 0; n < 40; n++) {
                        char line[512], want[256] = "";
                        size_t o = 0, w = 0;
                        o += (size_t)snprintf(line + o, sizeof(line) - o, "{\"%.*s\":\"", n % 9,
                                              "kkkkkkkkk");
                        for (int i = 0; i < n; i++) {
                                o += (size_t)snprintf(line + o, sizeof(line) - o, "%s", fill[k]);
                                w += (size_t)snprintf(want + w, sizeof(want) - w, "%s",
                                                      k == 1 || k == 3 ? "\xc3\xa9"
                                                      : k == 2         ? "\n"
                                                                       : "x");
                        }
                        o += (size_t)snprintf(line + o, sizeof(line) - o, "\"}");
                        esc_jflat_t f = {.m = m, .max_m = MAX_M, .sub = sub, .max_sub = MAX_SUB};
                        f.buf_size = o + 1;
                        f.buf = malloc(f.buf_size);
                        assert_int_equal(esc_jscan_object(line, o, &f), 0);
                        assert_string_equal(f.m[0].str, want);
                        free(f.buf);
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_members_keep_document_order_and_kinds),
                cmocka_unit_test(test_white_space_and_empty_containers),
                cmocka_unit_test(test_escapes_decode_to_utf8),
                cmocka_unit_test(test_bad_escapes_and_lone_surrogates_give_up),
                cmocka_unit_test(test_invalid_utf8_and_control_bytes_give_up),
                cmocka_unit_test(test_duplicate_names_give_up),
                cmocka_unit_test(test_nesting_beyond_one_level_gives_up),
                cmocka_unit_test(test_integers_only_and_within_18_digits),
                cmocka_unit_test(test_malformed_text_gives_up),
                cmocka_unit_test(test_more_than_the_view_holds_gives_up),
                cmocka_unit_test(test_len_plus_one_bytes_suffice),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
