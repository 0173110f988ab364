/* test_codec_roundtrip.c — every event and command type survives
 * encode -> decode unchanged, at both edges of the schema (every optional
 * field set with non-ASCII UTF-8; every optional null and required strings
 * empty) and at the maximum lengths the model allows.
 *
 * "Unchanged" is checked by re-encoding the decoded value: the encoding
 * covers every field, so a field the decoder dropped or altered changes
 * the bytes. Spot checks on fields make failures readable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/codec.h"
#include "runtime/registry.h"
#include "tests/unit/codec_fixtures.h"

static int setup(void **state)
{
        char err[512];
        esc_codec_t *codec = esc_codec_new(NULL, err, sizeof(err));
        if (!codec)
                fail_msg("esc_codec_new: %s", err);
        *state = codec;
        return 0;
}

static int teardown(void **state)
{
        esc_codec_destroy(*state);
        return 0;
}

static void assert_event_roundtrips(esc_codec_t *codec, const esc_event_t *ev)
{
        esc_buf_t a, b;
        esc_event_t back;
        char err[512] = "";

        esc_buf_init(&a, 0);
        esc_buf_init(&b, 0);
        esc_event_init(&back, ESC_EV_ESCALATION_OPENED);
        if (esc_codec_encode_event(codec, ev, &a, err, sizeof(err)))
                fail_msg("encode %s: %s", esc_event_type_name(ev->type), err);
        /* Single-object framing: C3 01 + our fingerprint, little-endian. */
        assert_true(a.len > 10);
        assert_int_equal((unsigned char)a.data[0], 0xC3);
        assert_int_equal((unsigned char)a.data[1], 0x01);
        uint64_t fp = 0;
        for (int i = 0; i < 8; i++)
                fp |= (uint64_t)(unsigned char)a.data[2 + i] << (8 * i);
        assert_true(fp == esc_codec_event_fingerprint(codec));
        if (esc_codec_decode_event(codec, a.data, a.len, &back, err, sizeof(err)))
                fail_msg("decode %s: %s", esc_event_type_name(ev->type), err);
        assert_int_equal(back.type, ev->type);
        assert_string_equal(back.incident_id, ev->incident_id);
        assert_true(back.seq == ev->seq);
        assert_true(back.occurred_at == ev->occurred_at);
        assert_memory_equal(back.prev_hash, ev->prev_hash, ESC_HASH_LEN);
        assert_memory_equal(back.hash, ev->hash, ESC_HASH_LEN);
        assert_int_equal(esc_codec_encode_event(codec, &back, &b, err, sizeof(err)), ESC_CODEC_OK);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        esc_event_clear(&back);
        esc_buf_free(&a);
        esc_buf_free(&b);
}

static void assert_command_roundtrips(esc_codec_t *codec, const esc_command_t *cmd)
{
        esc_buf_t a, b;
        esc_command_t back;
        char err[512] = "";

        esc_buf_init(&a, 0);
        esc_buf_init(&b, 0);
        esc_command_init(&back, ESC_CMD_OPEN);
        if (esc_codec_encode_command(codec, cmd, &a, err, sizeof(err)))
                fail_msg("encode %s: %s", esc_command_type_name(cmd->type), err);
        if (esc_codec_decode_command(codec, a.data, a.len, &back, err, sizeof(err)))
                fail_msg("decode %s: %s", esc_command_type_name(cmd->type), err);
        assert_int_equal(back.type, cmd->type);
        assert_string_equal(back.command_id, cmd->command_id);
        assert_true(back.issued_at == cmd->issued_at);
        assert_int_equal(esc_codec_encode_command(codec, &back, &b, err, sizeof(err)),
                         ESC_CODEC_OK);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        /* the bulk path's encoder (no second validation) writes the same bytes */
        esc_buf_reset(&b);
        assert_int_equal(esc_codec_encode_valid_command(codec, cmd, &b, err, sizeof(err)),
                         ESC_CODEC_OK);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        esc_command_clear(&back);
        esc_buf_free(&a);
        esc_buf_free(&b);
}

static void test_every_event_type_roundtrips_with_all_fields_and_utf8(void **state)
{
        for (int t = 0; t < ESC_EV__COUNT; t++) {
                esc_event_t ev;
                codec_fixture_event(&ev, (esc_event_type_t)t, FIXTURE_FULL);
                assert_event_roundtrips(*state, &ev);
                esc_event_clear(&ev);
        }
}

static void test_every_event_type_roundtrips_with_nulls_and_empty_strings(void **state)
{
        for (int t = 0; t < ESC_EV__COUNT; t++) {
                esc_event_t ev;
                codec_fixture_event(&ev, (esc_event_type_t)t, FIXTURE_MINIMAL);
                assert_event_roundtrips(*state, &ev);
                esc_event_clear(&ev);
        }
}

static void test_every_command_type_roundtrips_with_all_fields_and_utf8(void **state)
{
        for (int t = 0; t < ESC_CMD__COUNT; t++) {
                esc_command_t cmd;
                codec_fixture_command(&cmd, (esc_command_type_t)t, FIXTURE_FULL);
                assert_command_roundtrips(*state, &cmd);
                esc_command_clear(&cmd);
        }
}

static void test_every_command_type_roundtrips_with_nulls_and_empty_strings(void **state)
{
        for (int t = 0; t < ESC_CMD__COUNT; t++) {
                esc_command_t cmd;
                codec_fixture_command(&cmd, (esc_command_type_t)t, FIXTURE_MINIMAL);
                assert_command_roundtrips(*state, &cmd);
                esc_command_clear(&cmd);
        }
}

/* n bytes of repeated "ü" (2 bytes each), plus "x" when n is odd. */
static char *utf8_of_len(size_t n)
{
        char *s = malloc(n + 1);
        size_t i = 0;
        for (; i + 2 <= n; i += 2) {
                s[i] = (char)0xC3;
                s[i + 1] = (char)0xBC;
        }
        if (i < n)
                s[i++] = 'x';
        s[n] = '\0';
        return s;
}

static void test_maximum_length_fields_roundtrip(void **state)
{
        esc_event_t ev;

        codec_fixture_event(&ev, ESC_EV_ESCALATION_OPENED, FIXTURE_FULL);
        free(ev.incident_id);
        ev.incident_id = utf8_of_len(ESC_MAX_ID);
        free(ev.p.opened.account.id);
        ev.p.opened.account.id = utf8_of_len(ESC_MAX_ID);
        free(ev.p.opened.title);
        ev.p.opened.title = utf8_of_len(ESC_MAX_STR);
        free(ev.p.opened.description);
        ev.p.opened.description = utf8_of_len(ESC_MAX_TEXT);
        ev.p.opened.account.health_score = 100;
        assert_event_roundtrips(*state, &ev);
        esc_event_clear(&ev);

        codec_fixture_event(&ev, ESC_EV_REVIEW_COMPLETED, FIXTURE_FULL);
        esc_strlist_clear(&ev.p.review_completed.five_whys);
        for (int i = 0; i < ESC_MAX_LIST; i++) {
                char *s = utf8_of_len(ESC_MAX_STR);
                esc_strlist_push(&ev.p.review_completed.five_whys, s);
                free(s);
        }
        assert_event_roundtrips(*state, &ev);
        esc_event_clear(&ev);
}

static void test_longer_than_the_cap_is_refused_on_encode(void **state)
{
        esc_event_t ev;
        esc_buf_t out;
        char err[512] = "";

        esc_buf_init(&out, 0);
        codec_fixture_event(&ev, ESC_EV_ESCALATION_OPENED, FIXTURE_FULL);
        free(ev.p.opened.title);
        ev.p.opened.title = utf8_of_len(ESC_MAX_STR + 1);
        assert_int_equal(esc_codec_encode_event(*state, &ev, &out, err, sizeof(err)),
                         ESC_CODEC_ERR_INVALID);
        assert_non_null(strstr(err, "title"));
        assert_int_equal(out.len, 0);
        esc_event_clear(&ev);

        codec_fixture_event(&ev, ESC_EV_SEVERITY_ASSIGNED, FIXTURE_FULL);
        for (int i = ev.p.sev_assigned.bump_reasons.n; i <= ESC_MAX_LIST; i++)
                esc_strlist_push(&ev.p.sev_assigned.bump_reasons, "again");
        assert_int_equal(esc_codec_encode_event(*state, &ev, &out, err, sizeof(err)),
                         ESC_CODEC_ERR_INVALID);
        assert_non_null(strstr(err, "bump_reasons"));
        esc_event_clear(&ev);
        esc_buf_free(&out);

        /* An output buffer whose cap the message would exceed stays unchanged. */
        esc_buf_init(&out, 64);
        esc_buf_puts(&out, "keep");
        codec_fixture_event(&ev, ESC_EV_ESCALATION_OPENED, FIXTURE_FULL);
        assert_int_equal(esc_codec_encode_event(*state, &ev, &out, err, sizeof(err)),
                         ESC_CODEC_ERR_INVALID);
        assert_non_null(strstr(err, "cap"));
        assert_string_equal(out.data, "keep");
        esc_event_clear(&ev);
        esc_buf_free(&out);
}

static void test_decoded_optional_fields_keep_null_versus_set(void **state)
{
        esc_event_t ev, back;
        esc_buf_t out;
        char err[512];

        esc_buf_init(&out, 0);
        esc_event_init(&back, ESC_EV_ESCALATION_OPENED);
        codec_fixture_event(&ev, ESC_EV_ESCALATION_OPENED, FIXTURE_MINIMAL);
        assert_int_equal(esc_codec_encode_event(*state, &ev, &out, err, sizeof(err)), 0);
        assert_int_equal(esc_codec_decode_event(*state, out.data, out.len, &back, err, sizeof(err)),
                         0);
        assert_null(back.p.opened.account.name);
        assert_null(back.p.opened.description);
        assert_null(back.source.system);
        assert_int_equal(back.p.opened.account.health_score, -1);
        assert_true(back.p.opened.account.renewal_date == ESC_DATE_NONE);
        assert_string_equal(back.actor, "");
        esc_event_clear(&ev);

        esc_buf_reset(&out);
        codec_fixture_event(&ev, ESC_EV_ESCALATION_OPENED, FIXTURE_FULL);
        assert_int_equal(esc_codec_encode_event(*state, &ev, &out, err, sizeof(err)), 0);
        assert_int_equal(esc_codec_decode_event(*state, out.data, out.len, &back, err, sizeof(err)),
                         0);
        assert_string_equal(back.p.opened.account.name, "Müller & Søn GmbH");
        assert_string_equal(back.p.opened.title, "請求書の生成が失敗する — invoices fail");
        assert_string_equal(back.source.ticket_id, "48213");
        assert_int_equal(back.p.opened.account.health_score, 55);
        assert_int_equal(back.p.opened.account.renewal_date, 20600);
        assert_int_equal(back.p.opened.account.tier, ESC_TIER_STRATEGIC);
        esc_event_clear(&ev);
        esc_event_clear(&back);
        esc_buf_free(&out);
}

static void test_assign_command_decodes_as_manual(void **state)
{
        esc_command_t cmd, back;
        esc_buf_t out;
        char err[512];

        esc_buf_init(&out, 0);
        esc_command_init(&back, ESC_CMD_OPEN);
        codec_fixture_command(&cmd, ESC_CMD_ASSIGN, FIXTURE_FULL);
        assert_int_equal(esc_codec_encode_command(*state, &cmd, &out, err, sizeof(err)), 0);
        assert_int_equal(
                esc_codec_decode_command(*state, out.data, out.len, &back, err, sizeof(err)), 0);
        assert_int_equal(back.p.assign.via, ESC_VIA_MANUAL);
        assert_string_equal(back.p.assign.person, "jürgen");
        esc_command_clear(&cmd);
        esc_command_clear(&back);
        esc_buf_free(&out);
}

static void test_event_body_for_the_hash_chain_has_empty_hash(void **state)
{
        esc_event_t ev;
        esc_buf_t framed, body, body2;
        char err[512];

        esc_buf_init(&framed, 0);
        esc_buf_init(&body, 0);
        esc_buf_init(&body2, 0);
        codec_fixture_event(&ev, ESC_EV_ACKNOWLEDGED, FIXTURE_FULL);
        assert_int_equal(esc_codec_encode_event(*state, &ev, &framed, err, sizeof(err)), 0);
        assert_int_equal(esc_codec_event_body(*state, &ev, &body, err, sizeof(err)), 0);
        /* Unframed, and 32 bytes shorter: hash is written as empty bytes. */
        assert_int_equal(body.len, framed.len - 10 - ESC_HASH_LEN);
        assert_int_not_equal((unsigned char)body.data[0], 0xC3);
        /* The body does not depend on the hash it is used to compute. */
        memset(ev.hash, 0xAB, ESC_HASH_LEN);
        assert_int_equal(esc_codec_event_body(*state, &ev, &body2, err, sizeof(err)), 0);
        assert_int_equal(body.len, body2.len);
        assert_memory_equal(body.data, body2.data, body.len);
        esc_event_clear(&ev);
        esc_buf_free(&framed);
        esc_buf_free(&body);
        esc_buf_free(&body2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_event_type_roundtrips_with_all_fields_and_utf8),
                cmocka_unit_test(test_every_event_type_roundtrips_with_nulls_and_empty_strings),
                cmocka_unit_test(test_every_command_type_roundtrips_with_all_fields_and_utf8),
                cmocka_unit_test(test_every_command_type_roundtrips_with_nulls_and_empty_strings),
                cmocka_unit_test(test_maximum_length_fields_roundtrip),
                cmocka_unit_test(test_longer_than_the_cap_is_refused_on_encode),
                cmocka_unit_test(test_decoded_optional_fields_keep_null_versus_set),
                cmocka_unit_test(test_assign_command_decodes_as_manual),
                cmocka_unit_test(test_event_body_for_the_hash_chain_has_empty_hash),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
