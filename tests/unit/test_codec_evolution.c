/* test_codec_evolution.c — schema evolution and wire compatibility.
 *
 * An event written with an older schema version decodes with today's
 * reader: schemas/old/esc.v1.Event.v0.avsc (before Account.renewal_date
 * and CustomerUpdatePosted.next_update_at existed; the new fields take
 * their defaults) and esc.v1.Event.v1.avsc (before OutboundRecorded: every
 * type it knows decodes unchanged). Likewise a command written with
 * esc.v1.Command.v0.avsc (before RecordOutbound). The old bytes are produced by
 * avro-c itself (resolving today's encoding into the old schema), so the
 * test does not grade our codec with our own encoder. And avro-c's generic
 * reader, given only the .avsc, reads our bytes and re-encodes them
 * identically: what we write is plain Avro. */
#include <avro.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/codec.h"
#include "core/schema_canon.h"
#include "runtime/registry.h"
#include "tests/unit/codec_fixtures.h"

#define OLD_PATH "schemas/old/esc.v1.Event.v0.avsc"
#define V1_PATH "schemas/old/esc.v1.Event.v1.avsc"
#define CMD_V0_PATH "schemas/old/esc.v1.Command.v0.avsc"

/* The older versions and the types they know (a prefix of today's). */
static const struct old_schema {
        const char *path;
        int ntypes;
} old_events[] = {
        {OLD_PATH, ESC_EV_COMMAND_REJECTED + 1},
        {V1_PATH, ESC_EV_COMMAND_REJECTED + 1},
};

static avro_schema_t parse(const char *path)
{
        const char *json = esc_schema_embedded(path);
        avro_schema_t s;

        assert_non_null(json);
        if (avro_schema_from_json_length(json, strlen(json), &s))
                fail_msg("%s: %s", path, avro_strerror());
        return s;
}

/* Re-encodes a body of writer schema `from` as a body of schema `to`,
 * through avro-c's resolver. */
static void avro_convert(avro_schema_t from, avro_schema_t to, const char *body, size_t len,
                         esc_buf_t *out)
{
        avro_value_iface_t *to_iface = avro_generic_class_from_schema(to);
        avro_value_iface_t *rr = avro_resolved_writer_new(from, to);
        avro_value_t to_val, resolved;
        size_t size;

        assert_non_null(to_iface);
        if (!rr)
                fail_msg("resolver: %s", avro_strerror());
        assert_int_equal(avro_generic_value_new(to_iface, &to_val), 0);
        assert_int_equal(avro_resolved_writer_new_value(rr, &resolved), 0);
        avro_resolved_writer_set_dest(&resolved, &to_val);
        avro_reader_t r = avro_reader_memory(body, (int64_t)len);
        if (avro_value_read(r, &resolved))
                fail_msg("avro-c read: %s", avro_strerror());
        avro_reader_free(r);
        assert_int_equal(avro_value_sizeof(&to_val, &size), 0);
        assert_int_equal(esc_buf_reserve(out, size), 0);
        avro_writer_t w = avro_writer_memory(out->data + out->len, (int64_t)size);
        assert_int_equal(avro_value_write(w, &to_val), 0);
        avro_writer_free(w);
        out->len += size;
        avro_value_decref(&resolved);
        avro_value_decref(&to_val);
        avro_value_iface_decref(rr);
        avro_value_iface_decref(to_iface);
}

static void frame_single_object(uint64_t fp, esc_buf_t *out)
{
        unsigned char h[10] = {0xC3, 0x01};
        for (int i = 0; i < 8; i++)
                h[2 + i] = (unsigned char)(fp >> (8 * i));
        esc_buf_append(out, h, 10);
}

/* Encodes ev with today's codec and converts it to a frame of the older
 * schema at old_path with avro-c (single-object framing with its
 * fingerprint). */
static void make_old_frame(esc_codec_t *codec, const char *old_path, const esc_event_t *ev,
                           esc_buf_t *old_msg)
{
        const char *old_json = esc_schema_embedded(old_path);
        avro_schema_t today = parse(ESC_SCHEMA_EVENT_PATH), old = parse(old_path);
        esc_buf_t now;
        uint64_t old_fp;
        char err[512];

        assert_int_equal(
                esc_schema_fingerprint(old_json, strlen(old_json), &old_fp, err, sizeof(err)), 0);
        assert_true(old_fp != esc_codec_event_fingerprint(codec));
        esc_buf_init(&now, 0);
        assert_int_equal(esc_codec_encode_event(codec, ev, &now, err, sizeof(err)), 0);
        frame_single_object(old_fp, old_msg);
        avro_convert(today, old, now.data + 10, now.len - 10, old_msg);
        /* The v0 body lacks the fields added since (for the types that gained one). */
        if (!strcmp(old_path, OLD_PATH) &&
            (ev->type == ESC_EV_ESCALATION_OPENED || ev->type == ESC_EV_CUSTOMER_UPDATE_POSTED))
                assert_true(old_msg->len < now.len);
        else
                assert_true(old_msg->len == now.len);
        esc_buf_free(&now);
        avro_schema_decref(today);
        avro_schema_decref(old);
}

static void make_v0_frame(esc_codec_t *codec, const esc_event_t *ev, esc_buf_t *old_msg)
{
        make_old_frame(codec, OLD_PATH, ev, old_msg);
}

/* Decodes ev's frame of the older schema at old_path with today's codec. */
static void decode_as_old(esc_codec_t *codec, const char *old_path, const esc_event_t *ev,
                          esc_event_t *back)
{
        esc_buf_t old_msg;
        char err[512];

        esc_buf_init(&old_msg, 0);
        make_old_frame(codec, old_path, ev, &old_msg);
        if (esc_codec_decode_event(codec, old_msg.data, old_msg.len, back, err, sizeof(err)))
                fail_msg("decoding a %s event: %s", old_path, err);
        esc_buf_free(&old_msg);
}

static void decode_as_v0(esc_codec_t *codec, const esc_event_t *ev, esc_event_t *back)
{
        decode_as_old(codec, OLD_PATH, ev, back);
}

static void test_hash_chain_body_is_the_body_as_written(void **state)
{
        esc_codec_t *codec = *state;
        esc_event_t ev, back;
        esc_buf_t framed, a, b, v0, v0_body, today_body;
        char err[512];

        esc_buf_init(&framed, 0);
        esc_buf_init(&a, 0);
        esc_buf_init(&b, 0);
        esc_buf_init(&v0, 0);
        esc_buf_init(&v0_body, 0);
        esc_buf_init(&today_body, 0);
        esc_event_init(&back, ESC_EV_ESCALATION_OPENED);
        codec_fixture_event(&ev, ESC_EV_ESCALATION_OPENED, FIXTURE_FULL);

        /* Today's schema: the same bytes as esc_codec_event_body. */
        assert_int_equal(esc_codec_encode_event(codec, &ev, &framed, err, sizeof(err)), 0);
        assert_int_equal(esc_codec_event_body(codec, &ev, &a, err, sizeof(err)), 0);
        assert_int_equal(esc_codec_event_body_as_written(codec, framed.data, framed.len, &b, err,
                                                         sizeof(err)),
                         0);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);

        /* A v0 event: what was hashed then is the v0 body with hash empty,
         * not today's re-encoding of it. */
        make_v0_frame(codec, &ev, &v0);
        assert_int_equal(
                esc_codec_event_body_as_written(codec, v0.data, v0.len, &v0_body, err, sizeof(err)),
                0);
        assert_int_equal(v0_body.len, v0.len - 10 - ESC_HASH_LEN);
        assert_int_equal(esc_codec_decode_event(codec, v0.data, v0.len, &back, err, sizeof(err)),
                         0);
        assert_int_equal(esc_codec_event_body(codec, &back, &today_body, err, sizeof(err)), 0);
        assert_true(today_body.len != v0_body.len); /* renewal_date's null is in today's only */
        /* The hash itself does not enter the body. */
        esc_buf_reset(&b);
        size_t at = v0.len; /* the 32 hash bytes: length 0x40 (32), then 255, 254, ... */
        for (size_t i = 10; i + 1 + ESC_HASH_LEN <= v0.len; i++)
                if ((unsigned char)v0.data[i] == 0x40 && (unsigned char)v0.data[i + 1] == 255 &&
                    (unsigned char)v0.data[i + 2] == 254) {
                        at = i + 1;
                        break;
                }
        assert_true(at < v0.len);
        memset(v0.data + at, 0x11, ESC_HASH_LEN);
        assert_int_equal(
                esc_codec_event_body_as_written(codec, v0.data, v0.len, &b, err, sizeof(err)), 0);
        assert_int_equal(b.len, v0_body.len);
        assert_memory_equal(b.data, v0_body.data, b.len);
        /* Truncated: corrupt, and the output is left as it was. */
        esc_buf_reset(&b);
        assert_int_equal(
                esc_codec_event_body_as_written(codec, v0.data, v0.len - 5, &b, err, sizeof(err)),
                ESC_CODEC_ERR_CORRUPT);
        assert_int_equal(b.len, 0);

        esc_event_clear(&ev);
        esc_event_clear(&back);
        esc_buf_free(&framed);
        esc_buf_free(&a);
        esc_buf_free(&b);
        esc_buf_free(&v0);
        esc_buf_free(&v0_body);
        esc_buf_free(&today_body);
}

static void test_event_written_with_the_older_schema_decodes_with_todays_reader(void **state)
{
        esc_codec_t *codec = *state;
        esc_event_t ev, back;

        esc_event_init(&back, ESC_EV_ESCALATION_OPENED);
        codec_fixture_event(&ev, ESC_EV_ESCALATION_OPENED, FIXTURE_FULL);
        decode_as_v0(codec, &ev, &back);
        assert_int_equal(back.type, ESC_EV_ESCALATION_OPENED);
        assert_string_equal(back.p.opened.title, ev.p.opened.title);
        assert_string_equal(back.p.opened.account.name, ev.p.opened.account.name);
        assert_int_equal(back.p.opened.account.health_score, 55);
        assert_memory_equal(back.hash, ev.hash, ESC_HASH_LEN);
        /* Field added after v0: its default. */
        assert_true(back.p.opened.account.renewal_date == ESC_DATE_NONE);
        esc_event_clear(&back);
        esc_event_clear(&ev);

        codec_fixture_event(&ev, ESC_EV_CUSTOMER_UPDATE_POSTED, FIXTURE_FULL);
        decode_as_v0(codec, &ev, &back);
        assert_string_equal(back.p.update_posted.body, ev.p.update_posted.body);
        assert_true(back.p.update_posted.next_update_at == ESC_TIME_NONE);
        esc_event_clear(&back);
        esc_event_clear(&ev);
}

/* Every type an older version knows, in both fixture variants; from v1
 * (which differs from today only by the types added since) the event comes
 * back field for field. */
static void test_every_event_type_decodes_from_the_older_schemas(void **state)
{
        char err[512];

        for (size_t k = 0; k < sizeof(old_events) / sizeof(old_events[0]); k++)
                for (int v = FIXTURE_FULL; v <= FIXTURE_MINIMAL; v++)
                        for (int t = 0; t < old_events[k].ntypes; t++) {
                                esc_event_t ev, back;
                                esc_buf_t a, b;
                                esc_event_init(&back, ESC_EV_ESCALATION_OPENED);
                                codec_fixture_event(&ev, (esc_event_type_t)t, v);
                                decode_as_old(*state, old_events[k].path, &ev, &back);
                                assert_int_equal(back.type, t);
                                assert_true(back.seq == ev.seq);
                                if (!strcmp(old_events[k].path, V1_PATH)) {
                                        esc_buf_init(&a, 0);
                                        esc_buf_init(&b, 0);
                                        assert_int_equal(esc_codec_event_body(*state, &ev, &a, err,
                                                                              sizeof(err)),
                                                         0);
                                        assert_int_equal(esc_codec_event_body(*state, &back, &b,
                                                                              err, sizeof(err)),
                                                         0);
                                        assert_int_equal(a.len, b.len);
                                        assert_memory_equal(a.data, b.data, a.len);
                                        esc_buf_free(&a);
                                        esc_buf_free(&b);
                                }
                                esc_event_clear(&back);
                                esc_event_clear(&ev);
                        }
}

/* The types added after an older version cannot be written with it: the
 * version lists are right about where each old schema ends. */
static void test_older_schemas_end_where_the_new_types_begin(void **state)
{
        avro_schema_t v1 = parse(V1_PATH), c0 = parse(CMD_V0_PATH);
        (void)state;

        assert_int_equal(
                avro_schema_enum_number_of_symbols(avro_schema_record_field_get(v1, "type")),
                ESC_EV_OUTBOUND_RECORDED);
        assert_int_equal(
                avro_schema_enum_number_of_symbols(avro_schema_record_field_get(c0, "type")),
                ESC_CMD_RECORD_OUTBOUND);
        avro_schema_decref(v1);
        avro_schema_decref(c0);
}

/* A command written with Command.v0 (by a producer or worker of the
 * previous release, still on esc.commands) decodes with today's reader,
 * for every command type v0 knows. */
static void test_every_command_type_decodes_from_the_older_schema(void **state)
{
        esc_codec_t *codec = *state;
        const char *old_json = esc_schema_embedded(CMD_V0_PATH);
        avro_schema_t today = parse(ESC_SCHEMA_COMMAND_PATH), old = parse(CMD_V0_PATH);
        uint64_t old_fp;
        char err[512];

        assert_int_equal(
                esc_schema_fingerprint(old_json, strlen(old_json), &old_fp, err, sizeof(err)), 0);
        assert_true(old_fp != esc_codec_command_fingerprint(codec));
        for (int v = FIXTURE_FULL; v <= FIXTURE_MINIMAL; v++)
                for (int t = 0; t < ESC_CMD_RECORD_OUTBOUND; t++) {
                        esc_command_t cmd, back;
                        esc_buf_t now, m, a;
                        esc_buf_init(&now, 0);
                        esc_buf_init(&m, 0);
                        esc_buf_init(&a, 0);
                        esc_command_init(&back, ESC_CMD_OPEN);
                        codec_fixture_command(&cmd, (esc_command_type_t)t, v);
                        assert_int_equal(
                                esc_codec_encode_command(codec, &cmd, &now, err, sizeof(err)), 0);
                        frame_single_object(old_fp, &m);
                        avro_convert(today, old, now.data + 10, now.len - 10, &m);
                        assert_int_equal(m.len, now.len);
                        if (esc_codec_decode_command(codec, m.data, m.len, &back, err, sizeof(err)))
                                fail_msg("decoding a Command.v0 %s: %s",
                                         esc_command_type_name((esc_command_type_t)t), err);
                        assert_int_equal(back.type, t);
                        /* Field for field: today's encoding of both is the same. */
                        assert_int_equal(
                                esc_codec_encode_command(codec, &back, &a, err, sizeof(err)), 0);
                        assert_int_equal(a.len, now.len);
                        assert_memory_equal(a.data, now.data, a.len);
                        esc_command_clear(&back);
                        esc_command_clear(&cmd);
                        esc_buf_free(&now);
                        esc_buf_free(&m);
                        esc_buf_free(&a);
                }
        avro_schema_decref(today);
        avro_schema_decref(old);
}

static void test_truncated_older_schema_event_is_corrupt(void **state)
{
        esc_codec_t *codec = *state;
        const char *old_json = esc_schema_embedded(OLD_PATH);
        avro_schema_t today = parse(ESC_SCHEMA_EVENT_PATH), old = parse(OLD_PATH);
        esc_event_t ev, back;
        esc_buf_t now, m;
        uint64_t old_fp;
        char err[512];

        esc_event_init(&back, ESC_EV_ESCALATION_OPENED);
        esc_buf_init(&now, 0);
        esc_buf_init(&m, 0);
        codec_fixture_event(&ev, ESC_EV_REVIEW_COMPLETED, FIXTURE_FULL);
        assert_int_equal(
                esc_schema_fingerprint(old_json, strlen(old_json), &old_fp, err, sizeof(err)), 0);
        assert_int_equal(esc_codec_encode_event(codec, &ev, &now, err, sizeof(err)), 0);
        frame_single_object(old_fp, &m);
        avro_convert(today, old, now.data + 10, now.len - 10, &m);
        for (size_t n = 10; n < m.len; n++) {
                char *p = malloc(n);
                memcpy(p, m.data, n);
                assert_int_equal(esc_codec_decode_event(codec, p, n, &back, err, sizeof(err)),
                                 ESC_CODEC_ERR_CORRUPT);
                free(p);
        }
        esc_event_clear(&back);
        esc_event_clear(&ev);
        esc_buf_free(&now);
        esc_buf_free(&m);
        avro_schema_decref(today);
        avro_schema_decref(old);
}

static void test_avro_c_reads_our_bytes_and_writes_them_identically(void **state)
{
        esc_codec_t *codec = *state;
        avro_schema_t ev_schema = parse(ESC_SCHEMA_EVENT_PATH);
        avro_schema_t cmd_schema = parse(ESC_SCHEMA_COMMAND_PATH);
        char err[512];

        for (int t = 0; t < ESC_EV__COUNT + ESC_CMD__COUNT; t++) {
                esc_buf_t ours, theirs;
                esc_buf_init(&ours, 0);
                esc_buf_init(&theirs, 0);
                if (t < ESC_EV__COUNT) {
                        esc_event_t ev;
                        codec_fixture_event(&ev, (esc_event_type_t)t, FIXTURE_FULL);
                        assert_int_equal(
                                esc_codec_encode_event(codec, &ev, &ours, err, sizeof(err)), 0);
                        avro_convert(ev_schema, ev_schema, ours.data + 10, ours.len - 10, &theirs);
                        esc_event_clear(&ev);
                } else {
                        esc_command_t cmd;
                        codec_fixture_command(&cmd, (esc_command_type_t)(t - ESC_EV__COUNT),
                                              FIXTURE_FULL);
                        assert_int_equal(
                                esc_codec_encode_command(codec, &cmd, &ours, err, sizeof(err)), 0);
                        avro_convert(cmd_schema, cmd_schema, ours.data + 10, ours.len - 10,
                                     &theirs);
                        esc_command_clear(&cmd);
                }
                assert_int_equal(theirs.len, ours.len - 10);
                assert_memory_equal(theirs.data, ours.data + 10, theirs.len);
                esc_buf_free(&ours);
                esc_buf_free(&theirs);
        }
        avro_schema_decref(ev_schema);
        avro_schema_decref(cmd_schema);
}

static void test_schema_enums_match_the_model_names(void **state)
{
        avro_schema_t ev = parse(ESC_SCHEMA_EVENT_PATH), cmd = parse(ESC_SCHEMA_COMMAND_PATH);
        avro_schema_t et = avro_schema_record_field_get(ev, "type");
        avro_schema_t ct = avro_schema_record_field_get(cmd, "type");
        (void)state;

        assert_int_equal(avro_schema_enum_number_of_symbols(et), ESC_EV__COUNT);
        assert_int_equal(avro_schema_enum_number_of_symbols(ct), ESC_CMD__COUNT);
        for (int i = 0; i < ESC_EV__COUNT; i++)
                assert_string_equal(avro_schema_enum_get(et, i),
                                    esc_event_type_name((esc_event_type_t)i));
        for (int i = 0; i < ESC_CMD__COUNT; i++)
                assert_string_equal(avro_schema_enum_get(ct, i),
                                    esc_command_record_name((esc_command_type_t)i));
        avro_schema_t opened =
                avro_schema_union_branch(avro_schema_record_field_get(ev, "payload"), 0);
        avro_schema_t account = avro_schema_record_field_get(opened, "account");
        avro_schema_t tier = avro_schema_record_field_get(account, "tier");
        avro_schema_t impact = avro_schema_record_field_get(opened, "impact");
        for (int i = 0; i < ESC_TIER__COUNT; i++)
                assert_string_equal(avro_schema_enum_get(tier, i), esc_tier_name((esc_tier_t)i));
        for (int i = 0; i < ESC_IMPACT__COUNT; i++)
                assert_string_equal(avro_schema_enum_get(impact, i),
                                    esc_impact_name((esc_impact_t)i));
        avro_schema_t payload = avro_schema_record_field_get(ev, "payload");
        avro_schema_t owner = avro_schema_union_branch(payload, ESC_EV_OWNER_ASSIGNED);
        avro_schema_t update = avro_schema_union_branch(payload, ESC_EV_CUSTOMER_UPDATE_POSTED);
        avro_schema_t breach = avro_schema_union_branch(payload, ESC_EV_SLA_BREACHED);
        avro_schema_t role = avro_schema_record_field_get(owner, "role");
        avro_schema_t via = avro_schema_record_field_get(owner, "via");
        avro_schema_t audience = avro_schema_record_field_get(update, "audience");
        avro_schema_t clock = avro_schema_record_field_get(breach, "clock");
        assert_int_equal(avro_schema_enum_number_of_symbols(role), ESC_ROLE__COUNT);
        assert_int_equal(avro_schema_enum_number_of_symbols(via), ESC_VIA__COUNT);
        assert_int_equal(avro_schema_enum_number_of_symbols(audience), ESC_AUDIENCE__COUNT);
        assert_int_equal(avro_schema_enum_number_of_symbols(clock), ESC_CLOCK__COUNT);
        for (int i = 0; i < ESC_ROLE__COUNT; i++)
                assert_string_equal(avro_schema_enum_get(role, i), esc_role_name((esc_role_t)i));
        for (int i = 0; i < ESC_VIA__COUNT; i++)
                assert_string_equal(avro_schema_enum_get(via, i), esc_via_name((esc_via_t)i));
        for (int i = 0; i < ESC_AUDIENCE__COUNT; i++)
                assert_string_equal(avro_schema_enum_get(audience, i),
                                    esc_audience_name((esc_audience_t)i));
        for (int i = 0; i < ESC_CLOCK__COUNT; i++)
                assert_string_equal(avro_schema_enum_get(clock, i), esc_clock_name((esc_clock_t)i));
        for (int i = 0; i < ESC_EV__COUNT; i++)
                assert_string_equal(avro_schema_name(avro_schema_union_branch(payload, i)),
                                    esc_event_type_name((esc_event_type_t)i));
        avro_schema_t cpayload = avro_schema_record_field_get(cmd, "payload");
        for (int i = 0; i < ESC_CMD__COUNT; i++)
                assert_string_equal(avro_schema_name(avro_schema_union_branch(cpayload, i)),
                                    esc_command_record_name((esc_command_type_t)i));
        avro_schema_decref(ev);
        avro_schema_decref(cmd);
}

static int setup(void **state)
{
        char err[512];
        *state = esc_codec_new(NULL, err, sizeof(err));
        if (!*state)
                fail_msg("%s", err);
        return 0;
}

static int teardown(void **state)
{
        esc_codec_destroy(*state);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(
                        test_event_written_with_the_older_schema_decodes_with_todays_reader),
                cmocka_unit_test(test_every_event_type_decodes_from_the_older_schemas),
                cmocka_unit_test(test_older_schemas_end_where_the_new_types_begin),
                cmocka_unit_test(test_every_command_type_decodes_from_the_older_schema),
                cmocka_unit_test(test_truncated_older_schema_event_is_corrupt),
                cmocka_unit_test(test_avro_c_reads_our_bytes_and_writes_them_identically),
                cmocka_unit_test(test_schema_enums_match_the_model_names),
                cmocka_unit_test(test_hash_chain_body_is_the_body_as_written),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
