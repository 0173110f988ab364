/* test_runtime_util.c — timestamps, capped buffers, UTF-8, configuration
 * layering and the model's validation: the ground every module stands on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/model.h"
#include "runtime/config.h"
#include "runtime/kafka.h"
#include "core/util.h"

static void test_iso8601_with_offset_is_normalised_to_utc(void **state)
{
        esc_time_t a, b;
        char buf[40];

        assert_int_equal(esc_time_parse("2026-03-06T16:00:00Z", &a, NULL, 0), 0);
        assert_int_equal(esc_time_parse("2026-03-06T17:00:00+01:00", &b, NULL, 0), 0);
        assert_true(a == b);
        assert_string_equal(esc_time_format(a, buf, sizeof(buf)), "2026-03-06T16:00:00Z");
        assert_int_equal(esc_time_parse("2026-03-06T16:00:00.25Z", &a, NULL, 0), 0);
        assert_string_equal(esc_time_format(a, buf, sizeof(buf)), "2026-03-06T16:00:00.250000Z");
        assert_int_equal(esc_time_parse("1970-01-01T00:00:00Z", &a, NULL, 0), 0);
        assert_true(a == 0);
}

static void test_time_without_offset_is_refused_with_the_fix(void **state)
{
        esc_time_t t;
        char err[256];

        assert_int_equal(esc_time_parse("2026-03-06T16:00:00", &t, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "no offset"));
        assert_int_equal(esc_time_parse("2026-02-30T16:00:00Z", &t, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "not ISO-8601"));
        assert_int_equal(esc_time_parse("yesterday", &t, err, sizeof(err)), -1);
}

static void test_dates_round_trip(void **state)
{
        esc_date_t d;
        char buf[16];

        assert_int_equal(esc_date_parse("2026-11-27", &d, NULL, 0), 0);
        assert_string_equal(esc_date_format(d, buf, sizeof(buf)), "2026-11-27");
        assert_int_equal(esc_date_parse("1970-01-01", &d, NULL, 0), 0);
        assert_int_equal(d, 0);
        assert_int_equal(esc_date_parse("2026-13-01", &d, NULL, 0), -1);
}

static void test_buffer_never_grows_past_its_cap(void **state)
{
        esc_buf_t b;

        esc_buf_init(&b, 8);
        assert_int_equal(esc_buf_puts(&b, "12345678"), 0);
        assert_int_equal(esc_buf_puts(&b, "9"), -1);
        assert_int_equal(b.len, 8);
        assert_string_equal(b.data, "12345678");
        esc_buf_reset(&b);
        assert_int_equal(esc_buf_printf(&b, "%d-%s", 7, "x"), 0);
        assert_string_equal(b.data, "7-x");
        esc_buf_free(&b);
}

static void test_utf8_validation_rejects_overlongs_and_surrogates(void **state)
{
        assert_true(esc_utf8_valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 16));
        assert_false(esc_utf8_valid("\xc0\xaf", 2));     /* overlong '/' */
        assert_false(esc_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
        assert_false(esc_utf8_valid("\xe2\x82", 2));     /* truncated */
        assert_false(esc_utf8_valid("\xff", 1));
        /* after a word-sized ASCII run and in a short ASCII tail */
        assert_true(esc_utf8_valid("abcdefghij\xc3\xa9k", 13));
        assert_false(esc_utf8_valid("abcdefghij\xc3", 11));
        assert_false(esc_utf8_valid("abcdefghijk\x80", 12));
}

/* esc_text_valid refuses a NUL wherever it sits: inside the 8-byte ASCII
 * fast path, in the byte-wise tail, and next to multi-byte characters. */
static void test_text_validation_finds_a_nul_byte_anywhere(void **state)
{
        char s[40];

        (void)state;
        for (size_t n = 1; n <= 24; n++) {
                for (size_t at = 0; at < n; at++) {
                        memset(s, 'a', n);
                        s[at] = '\0';
                        assert_false(esc_text_valid(s, n));
                        assert_true(esc_utf8_valid(s, n)); /* NUL is UTF-8 */
                }
                memset(s, '\x01', n); /* 0x01 bytes are no NUL */
                assert_true(esc_text_valid(s, n));
        }
        assert_true(esc_text_valid("Z\xc3\xbcrich \xe8\xab\x8b", 11));
        assert_false(esc_text_valid("Z\xc3\xbc\0rich", 8));
        assert_false(esc_text_valid("\xc0\xaf", 2)); /* still UTF-8-checked */
}

static void test_config_env_overrides_file_and_flags_override_env(void **state)
{
        char path[] = "/tmp/esc-config-XXXXXX";
        int fd = mkstemp(path);
        const char *yaml = "kafka:\n  bootstrap_servers: file:9092\n  properties:\n"
                           "    security.protocol: SASL_SSL\n"
                           "pagerduty:\n  routing_keys:\n    billing: KEY1\n"
                           "policy: policy.yaml\n";
        assert_true(fd >= 0);
        assert_int_equal(write(fd, yaml, strlen(yaml)), (int)strlen(yaml));
        close(fd);

        unsetenv("ESC_KAFKA_BROKERS");
        esc_config_t *c = esc_config_load(path, NULL, 0);
        assert_non_null(c);
        assert_string_equal(esc_config_get(c, "kafka.bootstrap_servers"), "file:9092");
        assert_string_equal(esc_config_get(c, "kafka.properties.security.protocol"), "SASL_SSL");
        assert_string_equal(esc_config_get(c, "pagerduty.routing_keys.billing"), "KEY1");
        assert_string_equal(esc_config_get(c, "policy"), "/tmp/policy.yaml");
        assert_string_equal(esc_config_get(c, "kafka.topic_prefix"), "esc.");
        esc_config_destroy(c);

        setenv("ESC_KAFKA_BROKERS", "env:9092", 1);
        c = esc_config_load(path, NULL, 0);
        assert_string_equal(esc_config_get(c, "kafka.bootstrap_servers"), "env:9092");
        esc_config_set(c, "kafka.bootstrap_servers", "flag:9092");
        assert_string_equal(esc_config_get(c, "kafka.bootstrap_servers"), "flag:9092");
        esc_config_destroy(c);
        unsetenv("ESC_KAFKA_BROKERS");
        unlink(path);
}

static void test_config_names_file_and_line_of_bad_yaml(void **state)
{
        char path[] = "/tmp/esc-config-XXXXXX";
        char err[256];
        int fd = mkstemp(path);
        const char *yaml = "kafka:\n  bootstrap_servers: [unclosed\n";
        assert_int_equal(write(fd, yaml, strlen(yaml)), (int)strlen(yaml));
        close(fd);
        assert_null(esc_config_load(path, err, sizeof(err)));
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, ":3:") ? strstr(err, ":3:") : strstr(err, ":2:"));
        unlink(path);
        assert_null(esc_config_load("/nonexistent/esc.yaml", err, sizeof(err)));
        assert_non_null(strstr(err, "/nonexistent/esc.yaml"));
}

static void test_secret_keys_are_recognised(void **state)
{
        assert_true(esc_config_is_secret("slack.token"));
        assert_true(esc_config_is_secret("webhook.zendesk_secret"));
        assert_true(esc_config_is_secret("kafka.properties.sasl.password"));
        assert_false(esc_config_is_secret("slack.api_url"));
}

/* Kafka's Java client hashes keys with Utils.murmur2 and picks
 * toPositive(hash) % partitions; these hash values are the ones Kafka's own
 * UtilsTest asserts. esc must agree so a Java producer and esc place an
 * incident in the same partition; librdkafka's murmur2 partitioner is
 * checked as a second witness. */
static void test_partitioner_matches_java_default(void **state)
{
        static const struct {
                const char *key;
                int32_t java_hash;
        } cases[] = {
                {"21", -973932308},
                {"foobar", -790332482},
                {"a-little-bit-long-string", -985981536},
                {"a-little-bit-longer-string", -1486304829},
                {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
                {"abc", 479470107},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                for (int32_t n = 1; n <= 64; n++) {
                        size_t len = strlen(cases[i].key);
                        int32_t want = (int32_t)(((uint32_t)cases[i].java_hash & 0x7fffffff) %
                                                 (uint32_t)n);
                        assert_int_equal(esc_kafka_partition_for_key(cases[i].key, len, n), want);
                        assert_int_equal(rd_kafka_msg_partitioner_murmur2(NULL, cases[i].key, len,
                                                                          n, NULL, NULL),
                                         want);
                }
        }
}

static void test_command_validation_names_the_field(void **state)
{
        esc_command_t cmd;
        char err[256];
        char big[ESC_MAX_ID + 2];

        esc_command_init(&cmd, ESC_CMD_OPEN);
        cmd.command_id = esc_strdup("c1");
        cmd.incident_id = esc_strdup("INC-1");
        cmd.actor = esc_strdup("alice");
        cmd.occurred_at = 0;
        cmd.p.open.account.id = esc_strdup("acme");
        cmd.p.open.product_area = esc_strdup("billing");
        cmd.p.open.title = esc_strdup("Invoices fail");
        assert_int_equal(esc_command_validate(&cmd, err, sizeof(err)), 0);

        free(cmd.p.open.title);
        cmd.p.open.title = esc_strdup("bad \xff utf8");
        assert_int_equal(esc_command_validate(&cmd, err, sizeof(err)), -1);
        assert_string_equal(err, "open.title: not valid UTF-8");

        free(cmd.p.open.title);
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        cmd.p.open.title = esc_strdup("ok");
        free(cmd.p.open.account.id);
        cmd.p.open.account.id = esc_strdup(big);
        assert_int_equal(esc_command_validate(&cmd, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "open.account.id: longer than 128 bytes"));

        esc_command_t copy;
        esc_command_copy(&copy, &cmd);
        assert_ptr_not_equal(copy.p.open.account.id, cmd.p.open.account.id);
        assert_string_equal(copy.p.open.account.id, big);
        esc_command_clear(&copy);
        esc_command_clear(&cmd);
        assert_null(cmd.p.open.title);
        assert_int_equal(cmd.p.open.account.health_score, -1);
}

static void test_event_names_round_trip(void **state)
{
        for (int t = 0; t < ESC_EV__COUNT; t++)
                assert_int_equal(esc_event_type_parse(esc_event_type_name(t)), t);
        for (int t = 0; t < ESC_CMD__COUNT; t++)
                assert_int_equal(esc_command_type_parse(esc_command_type_name(t)), t);
        assert_int_equal(esc_impact_parse("degraded_with_workaround"),
                         ESC_IMPACT_DEGRADED_WITH_WORKAROUND);
        assert_int_equal(esc_impact_parse("outage"), -1);
}

static void test_numbers_are_whole_and_in_range_or_refused(void **state)
{
        long long n = 42;

        assert_int_equal(esc_parse_int("12", 1, 100, &n), 0);
        assert_int_equal(n, 12);
        assert_int_equal(esc_parse_int("-5", -10, 10, &n), 0);
        assert_int_equal(n, -5);
        n = 7;
        /* trailing garbage, empty, blanks, out of range, overflow: refused
         * and *out untouched */
        assert_int_equal(esc_parse_int("12abc", 1, 100, &n), -1);
        assert_int_equal(esc_parse_int("", 1, 100, &n), -1);
        assert_int_equal(esc_parse_int(" 12", 1, 100, &n), -1);
        assert_int_equal(esc_parse_int("12 ", 1, 100, &n), -1);
        assert_int_equal(esc_parse_int("-5", 1, 100, &n), -1);
        assert_int_equal(esc_parse_int("101", 1, 100, &n), -1);
        assert_int_equal(esc_parse_int("99999999999999999999", 1, INT64_MAX, &n), -1);
        assert_int_equal(esc_parse_int(NULL, 1, 100, &n), -1);
        assert_int_equal(n, 7);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_iso8601_with_offset_is_normalised_to_utc),
                cmocka_unit_test(test_time_without_offset_is_refused_with_the_fix),
                cmocka_unit_test(test_dates_round_trip),
                cmocka_unit_test(test_numbers_are_whole_and_in_range_or_refused),
                cmocka_unit_test(test_buffer_never_grows_past_its_cap),
                cmocka_unit_test(test_utf8_validation_rejects_overlongs_and_surrogates),
                cmocka_unit_test(test_text_validation_finds_a_nul_byte_anywhere),
                cmocka_unit_test(test_config_env_overrides_file_and_flags_override_env),
                cmocka_unit_test(test_config_names_file_and_line_of_bad_yaml),
                cmocka_unit_test(test_secret_keys_are_recognised),
                cmocka_unit_test(test_partitioner_matches_java_default),
                cmocka_unit_test(test_command_validation_names_the_field),
                cmocka_unit_test(test_event_names_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
