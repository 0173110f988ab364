/* test_codec_errors.c — what the codec refuses, and how it says so.
 *
 * Undecodable input must end up in the dead-letter topic with an
 * `esc-error` header that says why, so every refusal here is checked for
 * its error code and for a one-line message naming what was wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/codec.h"
#include "runtime/config.h"
#include "runtime/registry.h"
#include "tests/unit/codec_fixtures.h"

typedef struct fx {
        esc_codec_t *codec;
        esc_buf_t msg; /* a valid framed EscalationOpened */
        esc_event_t ev;
        char err[512];
} fx_t;

static int setup(void **state)
{
        fx_t *f = calloc(1, sizeof(*f));
        esc_event_t ev;

        f->codec = esc_codec_new(NULL, f->err, sizeof(f->err));
        assert_non_null(f->codec);
        esc_buf_init(&f->msg, 0);
        codec_fixture_event(&ev, ESC_EV_ESCALATION_OPENED, FIXTURE_FULL);
        assert_int_equal(esc_codec_encode_event(f->codec, &ev, &f->msg, f->err, sizeof(f->err)), 0);
        esc_event_clear(&ev);
        esc_event_init(&f->ev, ESC_EV_ESCALATION_OPENED);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        fx_t *f = *state;
        esc_event_clear(&f->ev);
        esc_buf_free(&f->msg);
        esc_codec_destroy(f->codec);
        free(f);
        return 0;
}

static esc_codec_err_t dec(fx_t *f, const void *p, size_t n)
{
        f->err[0] = '\0';
        esc_codec_err_t rc = esc_codec_decode_event(f->codec, p, n, &f->ev, f->err, sizeof(f->err));
        if (rc) {
                assert_true(f->err[0] != '\0');
                assert_null(strchr(f->err, '\n')); /* one line, fit for a header */
                assert_null(f->ev.incident_id);    /* left cleared */
        }
        return rc;
}

/* Offset of a string's bytes inside the message. */
static size_t find(const esc_buf_t *b, const char *s)
{
        size_t n = strlen(s);
        for (size_t i = 0; i + n <= b->len; i++)
                if (!memcmp(b->data + i, s, n))
                        return i;
        fail_msg("\"%s\" not in the message", s);
        return 0;
}

static void test_invalid_utf8_is_rejected_on_encode_naming_the_field(void **state)
{
        fx_t *f = *state;
        esc_event_t ev;
        esc_buf_t out;

        esc_buf_init(&out, 0);
        codec_fixture_event(&ev, ESC_EV_ACKNOWLEDGED, FIXTURE_FULL);
        free(ev.p.acknowledged.message);
        ev.p.acknowledged.message = esc_strdup("bad \xC3\x28 byte");
        assert_int_equal(esc_codec_encode_event(f->codec, &ev, &out, f->err, sizeof(f->err)),
                         ESC_CODEC_ERR_INVALID);
        assert_non_null(strstr(f->err, "message"));
        assert_non_null(strstr(f->err, "UTF-8"));
        assert_int_equal(out.len, 0);
        esc_event_clear(&ev);
        esc_buf_free(&out);
}

static void test_invalid_utf8_is_rejected_on_decode_naming_the_field(void **state)
{
        fx_t *f = *state;
        esc_buf_t m;

        esc_buf_init(&m, 0);
        esc_buf_append(&m, f->msg.data, f->msg.len);
        size_t at = find(&m, "billing"); /* product_area */
        m.data[at + 1] = (char)0xFF;
        assert_int_equal(dec(f, m.data, m.len), ESC_CODEC_ERR_INVALID);
        assert_non_null(strstr(f->err, "product_area"));
        assert_non_null(strstr(f->err, "UTF-8"));
        esc_buf_free(&m);
}

static void test_nul_byte_in_a_string_is_rejected_on_decode_naming_the_field(void **state)
{
        fx_t *f = *state;
        esc_buf_t m;

        esc_buf_init(&m, 0);
        esc_buf_append(&m, f->msg.data, f->msg.len);
        size_t at = find(&m, "billing"); /* product_area */
        m.data[at + 3] = '\0';
        assert_int_equal(dec(f, m.data, m.len), ESC_CODEC_ERR_INVALID);
        assert_non_null(strstr(f->err, "product_area"));
        assert_non_null(strstr(f->err, "NUL byte"));
        esc_buf_free(&m);
}

static void test_every_truncation_is_rejected_never_crashes(void **state)
{
        fx_t *f = *state;

        for (size_t n = 0; n < f->msg.len; n++) {
                /* A fresh copy of exactly n bytes, so ASan sees any over-read. */
                char *p = malloc(n ? n : 1);
                memcpy(p, f->msg.data, n);
                esc_codec_err_t rc = dec(f, p, n);
                free(p);
                if (n < 10)
                        assert_int_equal(rc, ESC_CODEC_ERR_FRAMING);
                else
                        assert_true(rc == ESC_CODEC_ERR_CORRUPT || rc == ESC_CODEC_ERR_INVALID);
        }
        assert_int_equal(dec(f, f->msg.data, f->msg.len), ESC_CODEC_OK);
}

static void test_unknown_fingerprint_is_rejected_as_unknown_schema(void **state)
{
        fx_t *f = *state;
        esc_buf_t m;

        esc_buf_init(&m, 0);
        esc_buf_append(&m, f->msg.data, f->msg.len);
        m.data[5] ^= 0x5A;
        assert_int_equal(dec(f, m.data, m.len), ESC_CODEC_ERR_UNKNOWN_SCHEMA);
        assert_non_null(strstr(f->err, "fingerprint"));
        esc_buf_free(&m);
}

static void test_command_fingerprint_on_the_events_topic_is_unknown_schema(void **state)
{
        fx_t *f = *state;
        esc_command_t cmd;
        esc_buf_t m;

        esc_buf_init(&m, 0);
        codec_fixture_command(&cmd, ESC_CMD_ACK, FIXTURE_FULL);
        assert_int_equal(esc_codec_encode_command(f->codec, &cmd, &m, f->err, sizeof(f->err)), 0);
        assert_int_equal(dec(f, m.data, m.len), ESC_CODEC_ERR_UNKNOWN_SCHEMA);
        assert_non_null(strstr(f->err, "other kind"));
        esc_command_clear(&cmd);
        esc_buf_free(&m);
}

static void test_unframed_or_foreign_bytes_are_a_framing_error(void **state)
{
        fx_t *f = *state;

        assert_int_equal(dec(f, "{\"json\":1}", 10), ESC_CODEC_ERR_FRAMING);
        assert_non_null(strstr(f->err, "0x7b"));
        assert_int_equal(dec(f, "", 0), ESC_CODEC_ERR_FRAMING);
        assert_int_equal(dec(f, "\xC3\x01\x00", 3), ESC_CODEC_ERR_FRAMING);
        assert_int_equal(dec(f, "\x00\x00\x01", 3), ESC_CODEC_ERR_FRAMING);
}

static void test_confluent_frame_without_registry_is_unknown_schema(void **state)
{
        fx_t *f = *state;
        esc_buf_t m;

        esc_buf_init(&m, 0);
        esc_buf_append(&m, "\x00\x00\x00\x00\x07", 5);
        esc_buf_append(&m, f->msg.data + 10, f->msg.len - 10);
        assert_int_equal(dec(f, m.data, m.len), ESC_CODEC_ERR_UNKNOWN_SCHEMA);
        assert_non_null(strstr(f->err, "schema_registry.url"));
        esc_buf_free(&m);
}

static void test_hostile_length_is_corrupt_without_allocating_it(void **state)
{
        fx_t *f = *state;
        unsigned char m[32];
        size_t n = 0;

        memcpy(m, f->msg.data, 10);
        n = 10;
        /* event_id claims 2^62 bytes. */
        const unsigned char huge[] = {0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
        memcpy(m + n, huge, sizeof(huge));
        n += sizeof(huge);
        m[n++] = 'x';
        assert_int_equal(dec(f, m, n), ESC_CODEC_ERR_CORRUPT);
        assert_non_null(strstr(f->err, "event_id"));
        /* A negative length. */
        m[10] = 0x01;
        assert_int_equal(dec(f, m, 12), ESC_CODEC_ERR_CORRUPT);
}

static void test_out_of_range_enum_and_mismatched_payload_are_corrupt(void **state)
{
        fx_t *f = *state;
        esc_buf_t m;
        size_t at;

        esc_buf_init(&m, 0);
        esc_buf_append(&m, f->msg.data, f->msg.len);
        /* type follows event_id, incident_id and seq; EscalationOpened = 0. */
        at = find(&m, "INC-2026-0042") + strlen("INC-2026-0042") + 1; /* seq: one byte (7) */
        assert_int_equal(m.data[at], 0);
        m.data[at] = 0x7E; /* 63: beyond the 21 symbols */
        assert_int_equal(dec(f, m.data, m.len), ESC_CODEC_ERR_CORRUPT);
        assert_non_null(strstr(f->err, "type"));
        m.data[at] = 0x02; /* SeverityAssigned, but the payload is EscalationOpened */
        assert_int_equal(dec(f, m.data, m.len), ESC_CODEC_ERR_CORRUPT);
        assert_non_null(strstr(f->err, "payload"));
        esc_buf_free(&m);
}

static void test_trailing_bytes_are_corrupt(void **state)
{
        fx_t *f = *state;
        esc_buf_t m;

        esc_buf_init(&m, 0);
        esc_buf_append(&m, f->msg.data, f->msg.len);
        esc_buf_append(&m, "\x00", 1);
        assert_int_equal(dec(f, m.data, m.len), ESC_CODEC_ERR_CORRUPT);
        assert_non_null(strstr(f->err, "trailing"));
        esc_buf_free(&m);
}

/* Every byte of a valid message flipped three ways: each result is either
 * refused with a code that fits where the byte was (frame header: framing
 * or unknown schema; body: corrupt or invalid) and a one-line message, or
 * accepted as an event that passes the model's full validation and
 * re-encodes to the corrupted bytes: exactly, or shorter where the flip
 * left an over-long varint (the decoder reads those, like most Avro
 * readers; the encoder writes the canonical form), and then to a form that
 * decodes and re-encodes to itself. */
static void test_every_single_byte_corruption_is_handled(void **state)
{
        fx_t *f = *state;
        const size_t header = 10; /* C3 01 + 8-byte fingerprint */
        esc_buf_t m, re;
        char verr[512];
        size_t tried = 0, rejected = 0, rejected_body = 0, shorter = 0;

        esc_buf_init(&m, 0);
        esc_buf_init(&re, 0);
        /* The uncorrupted message decodes and re-encodes to itself. */
        assert_int_equal(dec(f, f->msg.data, f->msg.len), ESC_CODEC_OK);
        assert_int_equal(esc_codec_encode_event(f->codec, &f->ev, &re, verr, sizeof(verr)),
                         ESC_CODEC_OK);
        assert_int_equal(re.len, f->msg.len);
        assert_memory_equal(re.data, f->msg.data, f->msg.len);
        esc_event_clear(&f->ev);

        for (size_t i = 0; i < f->msg.len; i++) {
                static const unsigned char flips[] = {0x01, 0x80, 0xFF};
                for (size_t k = 0; k < sizeof(flips); k++) {
                        esc_buf_reset(&m);
                        esc_buf_append(&m, f->msg.data, f->msg.len);
                        m.data[i] ^= (char)flips[k];
                        tried++;
                        esc_codec_err_t rc = dec(f, m.data, m.len); /* message checked there */
                        if (rc != ESC_CODEC_OK) {
                                rejected++;
                                if (i < header) {
                                        if (rc != ESC_CODEC_ERR_FRAMING &&
                                            rc != ESC_CODEC_ERR_UNKNOWN_SCHEMA)
                                                fail_msg("header byte %zu ^ 0x%02x: code %d (%s)",
                                                         i, flips[k], rc, f->err);
                                } else {
                                        rejected_body++;
                                        if (rc != ESC_CODEC_ERR_CORRUPT &&
                                            rc != ESC_CODEC_ERR_INVALID)
                                                fail_msg("body byte %zu ^ 0x%02x: code %d (%s)", i,
                                                         flips[k], rc, f->err);
                                }
                                continue;
                        }
                        /* Accepted: only a body byte can be, into a valid event
                         * that is exactly what the bytes say. */
                        if (i < header)
                                fail_msg("header byte %zu ^ 0x%02x accepted", i, flips[k]);
                        if (esc_event_validate(&f->ev, verr, sizeof(verr)))
                                fail_msg("byte %zu ^ 0x%02x accepted an invalid event: %s", i,
                                         flips[k], verr);
                        esc_buf_reset(&re);
                        assert_int_equal(
                                esc_codec_encode_event(f->codec, &f->ev, &re, verr, sizeof(verr)),
                                ESC_CODEC_OK);
                        if (re.len > m.len || (re.len == m.len && memcmp(re.data, m.data, m.len)))
                                fail_msg("byte %zu ^ 0x%02x accepted, but re-encodes to %zu "
                                         "other bytes",
                                         i, flips[k], re.len);
                        esc_event_clear(&f->ev);
                        if (re.len < m.len) {
                                esc_buf_t again;
                                esc_buf_init(&again, 0);
                                assert_int_equal(dec(f, re.data, re.len), ESC_CODEC_OK);
                                assert_int_equal(esc_codec_encode_event(f->codec, &f->ev, &again,
                                                                        verr, sizeof(verr)),
                                                 ESC_CODEC_OK);
                                assert_int_equal(again.len, re.len);
                                assert_memory_equal(again.data, re.data, re.len);
                                esc_event_clear(&f->ev);
                                esc_buf_free(&again);
                                shorter++;
                        }
                }
        }
        printf("corruptions: %zu tried, %zu rejected (%zu in the body), %zu accepted "
               "(%zu over-long)\n",
               tried, rejected, rejected_body, tried - rejected, shorter);
        assert_true(tried == 3 * f->msg.len);
        assert_true(rejected == 3 * header + rejected_body); /* the header: always */
        /* A meaningful share of the body's corruptions is caught. */
        assert_true(rejected_body > 0);
        assert_true(4 * rejected_body >= tried - 3 * header);
        esc_buf_free(&re);
        esc_buf_free(&m);
}

static void test_decode_reuses_a_filled_event_without_leaking(void **state)
{
        fx_t *f = *state;

        assert_int_equal(dec(f, f->msg.data, f->msg.len), ESC_CODEC_OK);
        assert_int_equal(dec(f, f->msg.data, f->msg.len), ESC_CODEC_OK);
        assert_string_equal(f->ev.incident_id, "INC-2026-0042");
        esc_event_clear(&f->ev);
}

static void test_strerror_names_every_code(void **state)
{
        (void)state;
        for (int e = ESC_CODEC_OK; e <= ESC_CODEC_ERR_INTERNAL; e++)
                assert_string_not_equal(esc_codec_strerror((esc_codec_err_t)e),
                                        "unknown codec error");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(
                        test_invalid_utf8_is_rejected_on_encode_naming_the_field, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_nul_byte_in_a_string_is_rejected_on_decode_naming_the_field, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(
                        test_invalid_utf8_is_rejected_on_decode_naming_the_field, setup, teardown),
                cmocka_unit_test_setup_teardown(test_every_truncation_is_rejected_never_crashes,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_unknown_fingerprint_is_rejected_as_unknown_schema, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_command_fingerprint_on_the_events_topic_is_unknown_schema, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(test_unframed_or_foreign_bytes_are_a_framing_error,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_confluent_frame_without_registry_is_unknown_schema, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_hostile_length_is_corrupt_without_allocating_it, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_out_of_range_enum_and_mismatched_payload_are_corrupt, setup, teardown),
                cmocka_unit_test_setup_teardown(test_trailing_bytes_are_corrupt, setup, teardown),
                cmocka_unit_test_setup_teardown(test_every_single_byte_corruption_is_handled, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_decode_reuses_a_filled_event_without_leaking,
                                                setup, teardown),
                cmocka_unit_test(test_strerror_names_every_code),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
