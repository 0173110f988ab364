/* test_producers_json.c — the JSON command shape (NDJSON ingest and the
 * webhook), the Zendesk ticket-event mapping and Zendesk's webhook
 * signature check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/codec.h"
#include "producers/json_command.h"
#include "producers/zendesk.h"
#include "runtime/policy_load.h"
#include "runtime/registry.h"

#define NOW INT64_C(1772812800000000) /* 2026-03-06T16:00:00Z */

static const esc_jsoncmd_defaults_t defaults = {.actor = "ingest", .now = NOW};

static esc_jsoncmd_rc_t parse(const char *s, esc_command_t *c, esc_jsoncmd_error_t *e)
{
        return esc_json_command_parse(s, strlen(s), &defaults, c, e);
}

static void test_open_line_becomes_an_open_command(void **state)
{
        esc_command_t c;
        esc_jsoncmd_error_t e;

        assert_int_equal(
                parse("{\"type\":\"open\",\"incident_id\":\"INC-7\",\"command_id\":\"c-7\","
                      "\"account\":\"acme\",\"tier\":\"strategic\",\"health\":42,"
                      "\"paying\":false,\"impact\":\"data_loss\",\"title\":\"Exports "
                      "empty\",\"at\":\"2026-03-06T15:00:00Z\","
                      "\"source\":{\"system\":\"zendesk\",\"ticket_id\":\"9\"}}",
                      &c, &e),
                ESC_JSONCMD_OK);
        assert_int_equal(c.type, ESC_CMD_OPEN);
        assert_string_equal(c.incident_id, "INC-7");
        assert_string_equal(c.command_id, "c-7");
        assert_string_equal(c.actor, "ingest");
        assert_int_equal(c.p.open.account.health_score, 42);
        assert_false(c.p.open.account.paying);
        assert_int_equal(c.p.open.account.tier, ESC_TIER_STRATEGIC);
        assert_true(c.occurred_at == NOW - 3600 * ESC_USEC_PER_SEC);
        assert_string_equal(c.source.system, "zendesk");
        assert_string_equal(c.source.ticket_id, "9");
        esc_command_clear(&c);
}

static void test_every_command_type_has_a_json_form(void **state)
{
        static const char *lines[] = {
                "{\"type\":\"ack\",\"incident_id\":\"I\",\"by\":\"d\",\"message\":\"m\","
                "\"next_update\":\"2026-03-06T16:30:00Z\"}",
                "{\"type\":\"update\",\"incident_id\":\"I\",\"by\":\"d\",\"audience\":\"external\","
                "\"body\":\"b\"}",
                "{\"type\":\"assign\",\"incident_id\":\"I\",\"role\":\"csm\",\"person\":\"p\"}",
                "{\"type\":\"override\",\"incident_id\":\"I\",\"sev\":2,\"by\":\"m\",\"reason\":"
                "\"r\"}",
                "{\"type\":\"mitigate\",\"incident_id\":\"I\",\"by\":\"d\"}",
                "{\"type\":\"resolve\",\"incident_id\":\"I\",\"by\":\"d\",\"summary\":\"s\"}",
                "{\"type\":\"confirm\",\"incident_id\":\"I\",\"by\":\"d\",\"note\":\"n\"}",
                "{\"type\":\"close\",\"incident_id\":\"I\",\"by\":\"m\",\"unconfirmed\":true,"
                "\"reason\":\"r\"}",
                "{\"type\":\"reopen\",\"incident_id\":\"I\",\"by\":\"d\",\"reason\":\"r\"}",
                "{\"type\":\"review_open\",\"incident_id\":\"I\"}",
                "{\"type\":\"review_action\",\"incident_id\":\"I\",\"title\":\"t\",\"owner\":\"o\","
                "\"due\":\"2026-03-13\"}",
                "{\"type\":\"review_complete\",\"incident_id\":\"I\",\"root_cause\":\"rc\","
                "\"why\":[\"a\",\"b\"]}",
        };
        static const esc_command_type_t types[] = {
                ESC_CMD_ACK,         ESC_CMD_UPDATE,        ESC_CMD_ASSIGN,
                ESC_CMD_OVERRIDE,    ESC_CMD_MITIGATE,      ESC_CMD_RESOLVE,
                ESC_CMD_CONFIRM,     ESC_CMD_CLOSE,         ESC_CMD_REOPEN,
                ESC_CMD_REVIEW_OPEN, ESC_CMD_REVIEW_ACTION, ESC_CMD_REVIEW_COMPLETE};
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
                esc_command_t c;
                esc_jsoncmd_error_t e;
                esc_jsoncmd_rc_t rc = parse(lines[i], &c, &e);
                if (rc != ESC_JSONCMD_OK)
                        fail_msg("line %zu: %s", i, e.message);
                assert_int_equal(c.type, types[i]);
                assert_string_equal(c.incident_id, "I");
                assert_non_null(c.command_id);
                esc_command_clear(&c);
        }
}

static void test_malformed_json_is_malformed(void **state)
{
        esc_command_t c;
        esc_jsoncmd_error_t e;

        assert_int_equal(parse("{\"type\":\"ack\",", &c, &e), ESC_JSONCMD_MALFORMED);
        assert_non_null(strstr(e.message, "malformed JSON"));
        assert_int_equal(parse("[1,2]", &c, &e), ESC_JSONCMD_MALFORMED);
        assert_int_equal(parse("{\"a\":1,\"a\":2}", &c, &e), ESC_JSONCMD_MALFORMED);
}

static void test_unknown_impact_is_invalid_and_names_the_field(void **state)
{
        esc_command_t c;
        esc_jsoncmd_error_t e;

        assert_int_equal(parse("{\"type\":\"open\",\"account\":\"a\",\"impact\":\"meh\","
                               "\"title\":\"t\"}",
                               &c, &e),
                         ESC_JSONCMD_INVALID);
        assert_string_equal(e.field, "impact");
        assert_non_null(strstr(e.message, "impact 'meh' is not valid"));
        assert_null(strstr(e.message, "--"));
}

static void test_over_long_field_is_invalid(void **state)
{
        esc_command_t c;
        esc_jsoncmd_error_t e;
        char line[2048];
        char title[1100];

        memset(title, 'x', 1030);
        title[1030] = '\0';
        snprintf(line, sizeof(line),
                 "{\"type\":\"open\",\"account\":\"a\",\"impact\":\"question\",\"title\":\"%s\"}",
                 title);
        assert_int_equal(parse(line, &c, &e), ESC_JSONCMD_INVALID);
        assert_string_equal(e.field, "title");
        assert_non_null(strstr(e.message, "limit is 1024"));
}

static void test_invalid_utf8_is_malformed_json(void **state)
{
        /* JSON text must be UTF-8: jansson refuses it as a whole */
        esc_command_t c;
        esc_jsoncmd_error_t e;

        assert_int_equal(parse("{\"type\":\"reopen\",\"incident_id\":\"I\",\"by\":\"d\","
                               "\"reason\":\"\xff\xfe\"}",
                               &c, &e),
                         ESC_JSONCMD_MALFORMED);
}

static void test_unknown_and_misplaced_fields_are_invalid(void **state)
{
        esc_command_t c;
        esc_jsoncmd_error_t e;

        assert_int_equal(parse("{\"type\":\"ack\",\"incident_id\":\"I\",\"by\":\"d\",\"message\":"
                               "\"m\",\"next_update\":\"2026-03-06T16:30:00Z\",\"sev\":1}",
                               &c, &e),
                         ESC_JSONCMD_INVALID);
        assert_string_equal(e.field, "sev");
        assert_int_equal(parse("{\"type\":\"ack\",\"incident_id\":\"I\",\"wait\":\"3\"}", &c, &e),
                         ESC_JSONCMD_INVALID);
        assert_non_null(strstr(e.message, "unknown field 'wait'"));
        assert_int_equal(parse("{\"type\":\"record_channel\",\"incident_id\":\"I\"}", &c, &e),
                         ESC_JSONCMD_INVALID);
        assert_string_equal(e.field, "type");
        assert_int_equal(parse("{\"type\":\"resolve\",\"by\":\"d\"}", &c, &e), ESC_JSONCMD_INVALID);
        assert_string_equal(e.field, "incident_id");
        assert_int_equal(parse("{\"type\":\"ack\",\"incident_id\":\"I\",\"message\":\"m\","
                               "\"next_update\":\"2026-03-06T16:30:00Z\"}",
                               &c, &e),
                         ESC_JSONCMD_INVALID);
        assert_string_equal(e.field, "by");
        assert_int_equal(parse("{\"type\":\"override\",\"incident_id\":\"I\",\"sev\":1.5,"
                               "\"by\":\"m\",\"reason\":\"r\"}",
                               &c, &e),
                         ESC_JSONCMD_INVALID);
        assert_string_equal(e.field, "sev");
        /* a boolean where a string belongs must not swallow the next flag */
        assert_int_equal(parse("{\"type\":\"resolve\",\"incident_id\":\"I\",\"summary\":true,"
                               "\"by\":\"d\"}",
                               &c, &e),
                         ESC_JSONCMD_INVALID);
        assert_string_equal(e.field, "summary");
        assert_int_equal(parse("{\"type\":\"close\",\"incident_id\":\"I\",\"by\":\"m\","
                               "\"unconfirmed\":\"yes\"}",
                               &c, &e),
                         ESC_JSONCMD_INVALID);
        assert_string_equal(e.field, "unconfirmed");
        /* a source needs its system: refused here, not left to the codec */
        assert_int_equal(parse("{\"type\":\"mitigate\",\"incident_id\":\"I\",\"by\":\"d\","
                               "\"source\":{\"url\":\"u\"}}",
                               &c, &e),
                         ESC_JSONCMD_INVALID);
        assert_string_equal(e.field, "source");
        assert_non_null(strstr(e.message, "source.system: missing"));
}

/* Integers reach the builder as their decimal text, as the CLI would
 * get them: the builder's range and length messages quote that text. */
static void test_integers_reach_the_builder_as_decimal_text(void **state)
{
        esc_command_t c;
        esc_jsoncmd_error_t e;

        assert_int_equal(parse("{\"type\":\"override\",\"incident_id\":\"I\",\"sev\":-17,"
                               "\"by\":\"m\",\"reason\":\"r\"}",
                               &c, &e),
                         ESC_JSONCMD_INVALID);
        assert_non_null(strstr(e.message, "sev '-17' is not valid"));
        /* the most negative integer: through jansson, 20 characters */
        assert_int_equal(parse("{\"type\":\"override\",\"incident_id\":\"I\","
                               "\"sev\":-9223372036854775808,\"by\":\"m\",\"reason\":\"r\"}",
                               &c, &e),
                         ESC_JSONCMD_INVALID);
        assert_non_null(strstr(e.message, "sev is 20 bytes long"));
        assert_int_equal(parse("{\"type\":\"open\",\"account\":\"a\",\"impact\":\"question\","
                               "\"title\":\"t\",\"health\":-0}",
                               &c, &e),
                         ESC_JSONCMD_OK);
        assert_int_equal(c.p.open.account.health_score, 0);
        esc_command_clear(&c);
        assert_int_equal(parse("{\"type\":\"open\",\"account\":\"a\",\"impact\":\"question\","
                               "\"title\":\"t\",\"health\":100}",
                               &c, &e),
                         ESC_JSONCMD_OK);
        assert_int_equal(c.p.open.account.health_score, 100);
        esc_command_clear(&c);
}

/* esc_json_command_parse reads flat lines with its own scanner; the
 * webhook hands jansson objects to esc_json_command_from_json. Both must
 * make the same command, or refuse with the same words. */
static void test_scanner_and_jansson_agree(void **state)
{
        static const char *lines[] = {
                "{\"type\":\"open\",\"incident_id\":\"INC-7\",\"command_id\":\"c-1\",\"account\":"
                "\"acme\",\"account_name\":\"Acme \\u00e9\\ud83d\\ude00\",\"tier\":\"growth\","
                "\"health\":0,\"paying\":\"no\",\"renewal\":\"2026-06-30\",\"impact\":\"cosmetic\","
                "\"title\":\"t\\n\\\"q\\\"\",\"description\":null,\"csm\":\"dave\","
                "\"source\":{\"system\":\"zendesk\",\"ticket_id\":\"9\",\"url\":null}}",
                " {\"type\" : \"review_complete\", \"incident_id\":\"I\",\"command_id\":\"c-2\","
                "\"root_cause\":\"rc\",\"why\":[\"a\",\"b\\/c\"]} \r",
                "{\"type\":\"close\",\"incident_id\":\"I\",\"command_id\":\"c-3\",\"by\":\"m\","
                "\"unconfirmed\":false}",
                "{\"type\":\"override\",\"incident_id\":\"I\",\"command_id\":\"c-4\",\"sev\":-0,"
                "\"by\":\"m\",\"reason\":\"r\"}",
                "{\"type\":\"override\",\"incident_id\":\"I\",\"sev\":9,\"by\":\"m\",\"reason\":"
                "\"r\"}",
                "{\"type\":\"ack\",\"incident_id\":\"I\",\"by\":\"d\",\"message\":\"m\","
                "\"next_update\":\"soon\"}",
                "{\"type\":\"ack\",\"incident_id\":7}",
                "{\"type\":\"ack\",\"incident_id\":\"I\",\"by\":[\"d\"]}",
                "{\"type\":\"ack\",\"incident_id\":\"I\",\"by\":{\"x\":\"d\"}}",
                "{\"type\":\"review_complete\",\"incident_id\":\"I\",\"root_cause\":\"rc\","
                "\"why\":[\"a\",null]}",
                "{\"type\":\"mitigate\",\"incident_id\":\"I\",\"command_id\":\"c\",\"by\":\"d\","
                "\"source\":\"zd\"}",
                "{\"type\":\"mitigate\",\"incident_id\":\"I\",\"command_id\":\"c\",\"by\":\"d\","
                "\"source\":{\"sys\":\"z\"}}",
                "{\"type\":\"mitigate\",\"incident_id\":\"I\",\"command_id\":\"c\",\"by\":\"d\","
                "\"source\":{\"url\":\"u\"}}",
                "{\"type\":\"mitigate\",\"incident_id\":\"I\",\"command_id\":\"c\",\"by\":\"d\","
                "\"source\":{\"system\":1}}",
                "{\"type\":\"mitigate\",\"incident_id\":\"I\",\"command_id\":\"c\","
                "\"by\":\"--help\"}",
                "{\"incident_id\":\"I\"}",
                "{\"type\":true}",
                "{\"type\":\"record_page\"}",
                "{}",
        };
        char err[256];
        esc_codec_t *codec = esc_codec_new(NULL, err, sizeof(err));
        esc_buf_t a, b;

        assert_non_null(codec);
        esc_buf_init(&a, 1 << 20);
        esc_buf_init(&b, 1 << 20);
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
                esc_command_t c1, c2;
                esc_jsoncmd_error_t e1, e2;
                json_t *j = json_loads(lines[i], JSON_REJECT_DUPLICATES, NULL);
                assert_non_null(j);
                esc_jsoncmd_rc_t r1 = parse(lines[i], &c1, &e1);
                esc_jsoncmd_rc_t r2 = esc_json_command_from_json(j, &defaults, &c2, &e2);
                json_decref(j);
                if (r1 != r2 || strcmp(e1.message, e2.message) || strcmp(e1.field, e2.field))
                        fail_msg("line %zu: %d '%s' [%s] vs %d '%s' [%s]", i, r1, e1.message,
                                 e1.field, r2, e2.message, e2.field);
                if (r1 == ESC_JSONCMD_OK) {
                        /* a built command is a valid one (ingest encodes it
                         * without validating again): the validating encoder
                         * takes both */
                        esc_buf_reset(&a);
                        esc_buf_reset(&b);
                        assert_int_equal(esc_codec_encode_command(codec, &c1, &a, err, sizeof(err)),
                                         ESC_CODEC_OK);
                        assert_int_equal(esc_codec_encode_command(codec, &c2, &b, err, sizeof(err)),
                                         ESC_CODEC_OK);
                        assert_int_equal(a.len, b.len);
                        assert_memory_equal(a.data, b.data, a.len);
                }
                esc_command_clear(&c1);
                esc_command_clear(&c2);
        }
        esc_buf_free(&a);
        esc_buf_free(&b);
        esc_codec_destroy(codec);
}

/* ---- Zendesk ------------------------------------------------------------- */

static esc_config_t *zd_conf(void)
{
        esc_config_t *conf = esc_config_new_defaults();
        esc_config_set(conf, "zendesk.account_by_organization.360001", "acme");
        esc_config_set(conf, "zendesk.tier_by_organization.360001", "strategic");
        esc_config_set(conf, "zendesk.impact_by_tag.security", "security_exposure");
        esc_config_set(conf, "zendesk.url", "https://acme.zendesk.com");
        return conf;
}

static esc_zd_rc_t zd(esc_config_t *conf, const char *s, esc_command_t *c, esc_jsoncmd_error_t *e)
{
        json_t *j = json_loads(s, 0, NULL);
        assert_non_null(j);
        esc_zd_rc_t rc = esc_zendesk_map(conf, NULL, j, NOW, c, e);
        json_decref(j);
        return rc;
}

static void test_zendesk_urgent_ticket_created_opens_production_down(void **state)
{
        esc_config_t *conf = zd_conf();
        esc_command_t c;
        esc_jsoncmd_error_t e;

        assert_int_equal(zd(conf,
                            "{\"type\":\"zen:event-type:ticket.created\",\"id\":\"ev-1\","
                            "\"time\":\"2026-03-06T15:59:00Z\",\"detail\":{\"id\":\"35436\","
                            "\"priority\":\"URGENT\",\"status\":\"NEW\",\"organization_id\":"
                            "\"360001\",\"subject\":\"Checkout is down\",\"tags\":[\"vip\"],"
                            "\"created_at\":\"2026-03-06T15:58:00Z\"}}",
                            &c, &e),
                         ESC_ZD_COMMAND);
        assert_int_equal(c.type, ESC_CMD_OPEN);
        assert_string_equal(c.incident_id, "ZD-35436");
        assert_string_equal(c.command_id, "zd-ev-1");
        assert_string_equal(c.p.open.account.id, "acme");
        assert_int_equal(c.p.open.account.tier, ESC_TIER_STRATEGIC);
        assert_int_equal(c.p.open.impact, ESC_IMPACT_PRODUCTION_DOWN);
        assert_string_equal(c.p.open.title, "Checkout is down");
        assert_string_equal(c.source.system, "zendesk");
        assert_string_equal(c.source.ticket_id, "35436");
        assert_string_equal(c.source.url, "https://acme.zendesk.com/agent/tickets/35436");
        char tb[40];
        assert_string_equal(esc_time_format(c.occurred_at, tb, sizeof(tb)), "2026-03-06T15:58:00Z");
        esc_command_clear(&c);
        esc_config_destroy(conf);
}

static void test_zendesk_tag_mapping_beats_priority(void **state)
{
        esc_config_t *conf = zd_conf();
        esc_command_t c;
        esc_jsoncmd_error_t e;

        assert_int_equal(zd(conf,
                            "{\"type\":\"zen:event-type:ticket.created\",\"id\":\"ev-2\","
                            "\"detail\":{\"id\":7,\"priority\":\"low\",\"organization_id\":"
                            "360001,\"subject\":\"Token leaked\",\"tags\":[\"x\",\"security\"]}}",
                            &c, &e),
                         ESC_ZD_COMMAND);
        assert_int_equal(c.p.open.impact, ESC_IMPACT_SECURITY_EXPOSURE);
        esc_command_clear(&c);
        esc_config_destroy(conf);
}

static void test_zendesk_unmapped_organization_is_refused_with_the_config_key(void **state)
{
        esc_config_t *conf = zd_conf();
        esc_command_t c;
        esc_jsoncmd_error_t e;

        assert_int_equal(zd(conf,
                            "{\"type\":\"zen:event-type:ticket.created\",\"id\":\"ev-3\","
                            "\"detail\":{\"id\":\"8\",\"priority\":\"high\",\"organization_id\":"
                            "\"999\",\"subject\":\"s\"}}",
                            &c, &e),
                         ESC_ZD_INVALID);
        assert_non_null(strstr(e.message, "zendesk.account_by_organization"));
        esc_config_destroy(conf);
}

/* An organization the configuration does not map finds its account by the
 * policy's accounts[].zendesk_organization_id. */
static void test_zendesk_organization_of_a_policy_account_opens_for_it(void **state)
{
        esc_config_t *conf = zd_conf();
        esc_command_t c;
        esc_jsoncmd_error_t e;
        char err[4096];
        esc_policy_t *pol =
                esc_policy_load(ESC_SOURCE_DIR "/tests/data/policy/good.yaml", err, sizeof(err));
        if (!pol)
                fail_msg("%s", err);
        json_t *j = json_loads("{\"type\":\"zen:event-type:ticket.created\",\"id\":\"ev-9\","
                               "\"detail\":{\"id\":\"9\",\"priority\":\"high\","
                               "\"organization_id\":360009,\"subject\":\"s\"}}",
                               0, NULL);
        assert_int_equal(esc_zendesk_map(conf, pol, j, NOW, &c, &e), ESC_ZD_COMMAND);
        assert_string_equal(c.p.open.account.id, "initech");
        esc_command_clear(&c);
        /* The configuration's mapping wins over the policy's. */
        esc_config_set(conf, "zendesk.account_by_organization.360009", "globex");
        assert_int_equal(esc_zendesk_map(conf, pol, j, NOW, &c, &e), ESC_ZD_COMMAND);
        assert_string_equal(c.p.open.account.id, "globex");
        esc_command_clear(&c);
        json_decref(j);
        esc_policy_destroy(pol);
        esc_config_destroy(conf);
}

static void test_zendesk_status_solved_resolves_and_closed_closes(void **state)
{
        esc_config_t *conf = zd_conf();
        esc_command_t c;
        esc_jsoncmd_error_t e;

        assert_int_equal(zd(conf,
                            "{\"type\":\"zen:event-type:ticket.status_changed\",\"id\":\"ev-4\","
                            "\"detail\":{\"id\":\"35436\"},\"event\":{\"current\":\"SOLVED\","
                            "\"previous\":\"OPEN\"}}",
                            &c, &e),
                         ESC_ZD_COMMAND);
        assert_int_equal(c.type, ESC_CMD_RESOLVE);
        assert_string_equal(c.p.resolve.by, "zendesk");
        esc_command_clear(&c);
        assert_int_equal(zd(conf,
                            "{\"type\":\"zen:event-type:ticket.status_changed\",\"id\":\"ev-5\","
                            "\"detail\":{\"id\":\"35436\"},\"event\":{\"current\":{\"status\":"
                            "\"closed\"}}}",
                            &c, &e),
                         ESC_ZD_COMMAND);
        assert_int_equal(c.type, ESC_CMD_CLOSE);
        esc_command_clear(&c);
        assert_int_equal(zd(conf,
                            "{\"type\":\"zen:event-type:ticket.status_changed\",\"id\":\"ev-6\","
                            "\"detail\":{\"id\":\"35436\"},\"event\":{\"current\":\"PENDING\"}}",
                            &c, &e),
                         ESC_ZD_IGNORED);
        esc_config_destroy(conf);
}

static void test_zendesk_public_comment_is_an_external_update(void **state)
{
        esc_config_t *conf = zd_conf();
        esc_command_t c;
        esc_jsoncmd_error_t e;

        assert_int_equal(zd(conf,
                            "{\"type\":\"zen:event-type:ticket.comment_added\",\"id\":\"ev-7\","
                            "\"detail\":{\"id\":\"35436\"},\"event\":{\"comment\":{\"body\":"
                            "\"We are on it\",\"is_public\":true}}}",
                            &c, &e),
                         ESC_ZD_COMMAND);
        assert_int_equal(c.type, ESC_CMD_UPDATE);
        assert_int_equal(c.p.update.audience, ESC_AUDIENCE_EXTERNAL);
        assert_string_equal(c.p.update.body, "We are on it");
        esc_command_clear(&c);
        /* The customer's own reply is not our update to them: an internal
         * note; what esc itself wrote (zendesk.agent_user_id) is not
         * recorded again. */
        assert_int_equal(zd(conf,
                            "{\"type\":\"zen:event-type:ticket.comment_added\",\"id\":\"ev-9\","
                            "\"detail\":{\"id\":\"35436\"},\"event\":{\"comment\":{\"body\":"
                            "\"Still broken for us\",\"is_public\":true,\"author\":{\"id\":"
                            "\"77\",\"is_staff\":false,\"name\":\"Pat Customer\"}}}}",
                            &c, &e),
                         ESC_ZD_COMMAND);
        assert_int_equal(c.p.update.audience, ESC_AUDIENCE_INTERNAL);
        assert_string_equal(c.p.update.body, "Customer reply (Pat Customer): Still broken for us");
        esc_command_clear(&c);
        esc_config_set(conf, "zendesk.agent_user_id", "4242");
        const char *own = "{\"type\":\"zen:event-type:ticket.comment_added\",\"id\":\"ev-10\","
                          "\"detail\":{\"id\":\"35436\"},\"event\":{\"comment\":{\"body\":"
                          "\"We are on it\",\"is_public\":true,\"author\":{\"id\":4242,"
                          "\"is_staff\":true}}}}";
        assert_int_equal(zd(conf, own, &c, &e), ESC_ZD_IGNORED);
        assert_non_null(strstr(e.message, "zendesk.agent_user_id"));
        esc_config_set(conf, "zendesk.agent_user_id", "4243");
        assert_int_equal(zd(conf, own, &c, &e), ESC_ZD_COMMAND);
        assert_int_equal(c.p.update.audience, ESC_AUDIENCE_EXTERNAL);
        esc_command_clear(&c);
        assert_int_equal(zd(conf,
                            "{\"type\":\"zen:event-type:ticket.priority_changed\",\"id\":\"ev-8\","
                            "\"detail\":{\"id\":\"35436\"},\"event\":{\"current\":\"HIGH\","
                            "\"previous\":\"NORMAL\"}}",
                            &c, &e),
                         ESC_ZD_COMMAND);
        assert_int_equal(c.p.update.audience, ESC_AUDIENCE_INTERNAL);
        assert_non_null(strstr(c.p.update.body, "from NORMAL to HIGH"));
        esc_command_clear(&c);
        assert_int_equal(
                zd(conf, "{\"type\":\"ticket.created\",\"detail\":{\"id\":\"1\"}}", &c, &e),
                ESC_ZD_MALFORMED);
        esc_config_destroy(conf);
}

static void test_zendesk_signature_valid_wrong_missing_and_stale(void **state)
{
        const char *body = "{\"type\":\"zen:event-type:ticket.created\"}";
        const char *ts = "2026-03-06T15:58:00Z";
        char sig[128], err[256];

        esc_zendesk_sign("s3cret", ts, body, strlen(body), sig, sizeof(sig));
        assert_int_equal(strlen(sig), 44);
        assert_int_equal(
                esc_zendesk_verify("s3cret", ts, sig, body, strlen(body), NOW, err, sizeof(err)),
                0);
        assert_int_equal(
                esc_zendesk_verify("other", ts, sig, body, strlen(body), NOW, err, sizeof(err)),
                -1);
        assert_non_null(strstr(err, "does not match"));
        assert_int_equal(esc_zendesk_verify("s3cret", ts, sig, "{}", 2, NOW, err, sizeof(err)), -1);
        assert_int_equal(
                esc_zendesk_verify("s3cret", ts, NULL, body, strlen(body), NOW, err, sizeof(err)),
                -1);
        assert_non_null(strstr(err, "missing header"));
        /* 6 minutes later the same request is stale */
        assert_int_equal(esc_zendesk_verify("s3cret", ts, sig, body, strlen(body),
                                            NOW + 4 * 60 * ESC_USEC_PER_SEC, err, sizeof(err)),
                         -1);
        assert_non_null(strstr(err, "stale"));
}

static void test_zendesk_signature_matches_an_independent_hmac(void **state)
{
        /* HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"),
         * split as timestamp "The quick " + body: the RFC-style test vector
         * f7bc83f4...d8, base64 encoded. */
        char sig[128];
        const char *body = "brown fox jumps over the lazy dog";
        esc_zendesk_sign("key", "The quick ", body, strlen(body), sig, sizeof(sig));
        assert_string_equal(sig, "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_open_line_becomes_an_open_command),
                cmocka_unit_test(test_every_command_type_has_a_json_form),
                cmocka_unit_test(test_malformed_json_is_malformed),
                cmocka_unit_test(test_unknown_impact_is_invalid_and_names_the_field),
                cmocka_unit_test(test_over_long_field_is_invalid),
                cmocka_unit_test(test_invalid_utf8_is_malformed_json),
                cmocka_unit_test(test_unknown_and_misplaced_fields_are_invalid),
                cmocka_unit_test(test_integers_reach_the_builder_as_decimal_text),
                cmocka_unit_test(test_scanner_and_jansson_agree),
                cmocka_unit_test(test_zendesk_urgent_ticket_created_opens_production_down),
                cmocka_unit_test(test_zendesk_tag_mapping_beats_priority),
                cmocka_unit_test(test_zendesk_unmapped_organization_is_refused_with_the_config_key),
                cmocka_unit_test(test_zendesk_organization_of_a_policy_account_opens_for_it),
                cmocka_unit_test(test_zendesk_status_solved_resolves_and_closed_closes),
                cmocka_unit_test(test_zendesk_public_comment_is_an_external_update),
                cmocka_unit_test(test_zendesk_signature_valid_wrong_missing_and_stale),
                cmocka_unit_test(test_zendesk_signature_matches_an_independent_hmac),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
