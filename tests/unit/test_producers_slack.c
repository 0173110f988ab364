/* test_producers_slack.c — the `/esc` slash command without Slack: the v0
 * signature (good, tampered, stale, missing), the form body, and every verb
 * of the text becoming the JSON command its CLI twin is, through the same
 * builder (esc_json_command_from_json), with usage errors for the rest. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "producers/json_command.h"
#include "producers/slack.h"

#define NOW INT64_C(1772812800000000)  /* 2026-03-06T16:00:00Z */
#define NEXT INT64_C(1772814600000000) /* 2026-03-06T16:30:00Z */

static const char SECRET[] = "8f742231b10e8888abcd99yyyzzz85a5";
static const char BODY[] = "token=x&team_id=T1&channel_id=C0123&user_id=U0ALICE01&command=%2Fesc"
                           "&text=ack+On+it%2C+rolling+back&trigger_id=13345224609.738474920.8088";

static void test_v0_signature_is_checked_with_its_timestamp(void **state)
{
        char sig[96], err[256];
        size_t n = strlen(BODY);

        (void)state;
        esc_slack_sign(SECRET, "1772812800", BODY, n, sig, sizeof(sig));
        assert_int_equal(strncmp(sig, "v0=", 3), 0);
        assert_int_equal(strlen(sig), 3 + 64);
        assert_int_equal(
                esc_slack_verify(SECRET, "1772812800", sig, BODY, n, NOW, err, sizeof(err)), 0);
        /* 4 minutes off is fine, 6 is a replay */
        assert_int_equal(esc_slack_verify(SECRET, "1772812800", sig, BODY, n,
                                          NOW + 240 * INT64_C(1000000), err, sizeof(err)),
                         0);
        assert_int_equal(esc_slack_verify(SECRET, "1772812800", sig, BODY, n,
                                          NOW + 360 * INT64_C(1000000), err, sizeof(err)),
                         -1);
        assert_non_null(strstr(err, "stale or replayed"));
        /* a changed byte, another secret, another timestamp */
        assert_int_equal(
                esc_slack_verify(SECRET, "1772812800", sig, BODY, n - 1, NOW, err, sizeof(err)),
                -1);
        assert_non_null(strstr(err, "does not match"));
        assert_int_equal(
                esc_slack_verify("other", "1772812800", sig, BODY, n, NOW, err, sizeof(err)), -1);
        assert_int_equal(
                esc_slack_verify(SECRET, "1772812801", sig, BODY, n, NOW, err, sizeof(err)), -1);
        /* missing or malformed headers, no secret configured */
        assert_int_equal(
                esc_slack_verify(SECRET, "1772812800", NULL, BODY, n, NOW, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "missing header X-Slack-Signature"));
        assert_int_equal(esc_slack_verify(SECRET, NULL, sig, BODY, n, NOW, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "X-Slack-Request-Timestamp"));
        assert_int_equal(esc_slack_verify(SECRET, "soon", sig, BODY, n, NOW, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "not a Unix time"));
        assert_int_equal(esc_slack_verify("", "1772812800", sig, BODY, n, NOW, err, sizeof(err)),
                         -1);
        assert_non_null(strstr(err, "webhook.slack_signing_secret"));
        assert_null(strstr(err, SECRET));
}

static void test_form_body_is_decoded(void **state)
{
        esc_slack_slash_t s;
        char err[256];

        (void)state;
        assert_int_equal(esc_slack_slash_parse(BODY, strlen(BODY), &s, err, sizeof(err)), 0);
        assert_string_equal(s.command, "/esc");
        assert_string_equal(s.text, "ack On it, rolling back");
        assert_string_equal(s.channel_id, "C0123");
        assert_string_equal(s.user_id, "U0ALICE01");
        assert_string_equal(s.trigger_id, "13345224609.738474920.8088");
        esc_slack_slash_clear(&s);

        const char *bad[] = {"channel_id=C1&user_id=U1&text=%zz",
                             "channel_id=C1&user_id=U1&text=%4",
                             "channel_id=C1&user_id=U1&text=a%00b",
                             "user_id=U1&text=ack",
                             "channel_id=C1&text=ack",
                             ""};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(
                        esc_slack_slash_parse(bad[i], strlen(bad[i]), &s, err, sizeof(err)), -1);
                assert_null(s.text);
        }
        /* an empty text is a text */
        const char *empty = "channel_id=C1&user_id=U1&text=";
        assert_int_equal(esc_slack_slash_parse(empty, strlen(empty), &s, err, sizeof(err)), 0);
        assert_string_equal(s.text, "");
        esc_slack_slash_clear(&s);
}

static const esc_slash_ctx_t ctx = {.incident_id = "INC-1",
                                    .by = "alice",
                                    .command_id = "slack-133.7",
                                    .channel_id = "C0123",
                                    .now = NOW,
                                    .next_update = NEXT};

/* Builds text; for a command, runs it through the JSON command builder
 * and returns it (cmd initialised) and the JSON as text in *json. */
static esc_slash_kind_t build(const char *text, esc_command_t *cmd, char **json, char *msg)
{
        esc_slash_t s;
        esc_jsoncmd_defaults_t d = {.actor = "slack", .now = NOW};
        esc_jsoncmd_error_t e;

        esc_slack_slash_build(text, &ctx, &s);
        strcpy(msg, s.message);
        if (s.kind != ESC_SLASH_COMMAND) {
                assert_null(s.cmd);
                return s.kind;
        }
        *json = json_dumps(s.cmd, JSON_SORT_KEYS | JSON_COMPACT);
        if (esc_json_command_from_json(s.cmd, &d, cmd, &e) != ESC_JSONCMD_OK)
                fail_msg("%s: %s", *json, e.message);
        json_decref(s.cmd);
        return s.kind;
}

static void test_every_verb_becomes_its_command(void **state)
{
        esc_command_t c;
        char *j = NULL, msg[512];

        (void)state;
        assert_int_equal(build("ack  We see it, rolling back ", &c, &j, msg), ESC_SLASH_COMMAND);
        assert_int_equal(c.type, ESC_CMD_ACK);
        assert_string_equal(c.incident_id, "INC-1");
        assert_string_equal(c.command_id, "slack-133.7");
        assert_string_equal(c.actor, "alice");
        assert_string_equal(c.p.ack.message, "We see it, rolling back");
        assert_true(c.p.ack.next_update_at == NEXT); /* the sev's cadence */
        assert_string_equal(c.source.system, "slack");
        assert_string_equal(c.source.ticket_id, "C0123");
        esc_command_clear(&c);
        free(j);

        assert_int_equal(build("ACK --next 45m on it", &c, &j, msg), ESC_SLASH_COMMAND);
        assert_true(c.p.ack.next_update_at == NOW + INT64_C(2700000000));
        esc_command_clear(&c);
        free(j);

        assert_int_equal(build("update --next 2026-03-06T18:00:00Z Fix deploying", &c, &j, msg),
                         ESC_SLASH_COMMAND);
        assert_int_equal(c.type, ESC_CMD_UPDATE);
        assert_int_equal(c.p.update.audience, ESC_AUDIENCE_EXTERNAL);
        assert_string_equal(c.p.update.body, "Fix deploying");
        assert_true(c.p.update.next_update_at == INT64_C(1772820000000000));
        esc_command_clear(&c);
        free(j);

        assert_int_equal(build("update --internal db failover at 16:40", &c, &j, msg),
                         ESC_SLASH_COMMAND);
        assert_int_equal(c.p.update.audience, ESC_AUDIENCE_INTERNAL);
        assert_null(strstr(j, "next_update")); /* an internal note promises nothing */
        esc_command_clear(&c);
        free(j);

        assert_int_equal(build("override sev2 Workaround confirmed by the customer", &c, &j, msg),
                         ESC_SLASH_COMMAND);
        assert_int_equal(c.type, ESC_CMD_OVERRIDE);
        assert_int_equal(c.p.override.to_sev, 2);
        assert_string_equal(c.p.override.reason, "Workaround confirmed by the customer");
        esc_command_clear(&c);
        free(j);

        assert_int_equal(build("override 1 exec escalation", &c, &j, msg), ESC_SLASH_COMMAND);
        assert_int_equal(c.p.override.to_sev, 1);
        esc_command_clear(&c);
        free(j);

        const struct {
                const char *text;
                esc_command_type_t type;
        } simple[] = {{"mitigate Rolled back", ESC_CMD_MITIGATE},
                      {"resolve Pool sized by load", ESC_CMD_RESOLVE},
                      {"confirm Customer sees it fixed", ESC_CMD_CONFIRM},
                      {"close", ESC_CMD_CLOSE},
                      {"close --unconfirmed Customer unreachable for 5 days", ESC_CMD_CLOSE}};
        for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
                assert_int_equal(build(simple[i].text, &c, &j, msg), ESC_SLASH_COMMAND);
                assert_int_equal(c.type, simple[i].type);
                esc_command_clear(&c);
                free(j);
        }
        assert_int_equal(build("close --unconfirmed Customer unreachable", &c, &j, msg),
                         ESC_SLASH_COMMAND);
        assert_false(c.p.close.confirmed);
        assert_string_equal(c.p.close.reason, "Customer unreachable");
        esc_command_clear(&c);
        free(j);
}

static void test_status_help_and_usage_errors_record_nothing(void **state)
{
        esc_command_t c;
        char *j = NULL, msg[512];

        (void)state;
        assert_int_equal(build("", &c, &j, msg), ESC_SLASH_HELP);
        assert_int_equal(build("  help", &c, &j, msg), ESC_SLASH_HELP);
        assert_int_equal(build("status", &c, &j, msg), ESC_SLASH_STATUS);
        assert_non_null(strstr(esc_slack_help(), "/esc override SEV reason"));

        const struct {
                const char *text, *says;
        } bad[] = {
                {"escalate now", "`/esc escalate` is not a command"},
                {"ack", "say message too"},
                {"ack --next soon on it", "--next wants"},
                {"ack --next", "--next wants"},
                {"ack --internal on it", "`--internal` is not an option here"},
                {"update", "say body too"},
                {"override", "which severity"},
                {"override 5 because", "`5` is not a severity"},
                {"override sev2", "say reason too"},
                {"resolve", "say summary too"},
                {"close --unconfirmed", "say why too"},
                {"close all done", "a reason goes with --unconfirmed only"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(build(bad[i].text, &c, &j, msg), ESC_SLASH_USAGE);
                if (!strstr(msg, bad[i].says))
                        fail_msg("'%s': '%s' lacks '%s'", bad[i].text, msg, bad[i].says);
        }
}

/* The Approve button carries the request; a click gives it back. */
static void test_approval_request_round_trips_through_its_button(void **state)
{
        esc_slack_approval_t a = {.incident_id = "INC-1", .sev = 2, .requester = "bob"}, b;
        esc_slack_click_t c;
        char err[256];

        (void)state;
        strcpy(a.reason, "customer found a \"workaround\" & more");
        json_t *m = esc_slack_approval_message(&a);
        assert_string_equal(json_string_value(json_object_get(m, "response_type")), "in_channel");
        json_t *btn = json_array_get(
                json_object_get(json_array_get(json_object_get(m, "blocks"), 1), "elements"), 0);
        assert_string_equal(json_string_value(json_object_get(btn, "action_id")),
                            ESC_SLACK_APPROVE_ACTION);
        const char *value = json_string_value(json_object_get(btn, "value"));
        assert_int_equal(esc_slack_approval_parse(value, &b), 0);
        assert_string_equal(b.incident_id, "INC-1");
        assert_int_equal(b.sev, 2);
        assert_string_equal(b.reason, a.reason);
        assert_string_equal(b.requester, "bob");
        assert_non_null(strstr(json_string_value(json_object_get(m, "text")),
                               "*bob* asks to override *INC-1* to *Sev 2*"));

        /* the click's form body: payload=<JSON>, as Slack posts it */
        json_t *payload =
                json_pack("{s:s, s:{s:s}, s:{s:s}, s:s, s:s, s:[{s:s, s:s}]}", "type",
                          "block_actions", "user", "id", "U0CAROL01", "channel", "id", "C0123",
                          "response_url", "https://hooks.slack.com/actions/1", "trigger_id", "9.9",
                          "actions", "action_id", ESC_SLACK_APPROVE_ACTION, "value", value);
        char *pj = json_dumps(payload, JSON_COMPACT), body[8192] = "payload=";
        size_t o = strlen(body);
        for (const char *q = pj; *q && o + 4 < sizeof(body); q++) {
                if (isalnum((unsigned char)*q)) {
                        body[o++] = *q;
                } else {
                        snprintf(body + o, 4, "%%%02X", (unsigned char)*q);
                        o += 3;
                }
        }
        body[o] = '\0';
        assert_int_equal(esc_slack_click_parse(body, o, &c, err, sizeof(err)), 0);
        assert_string_equal(c.user_id, "U0CAROL01");
        assert_string_equal(c.channel_id, "C0123");
        assert_string_equal(c.action_id, ESC_SLACK_APPROVE_ACTION);
        assert_string_equal(c.value, value);
        assert_string_equal(c.response_url, "https://hooks.slack.com/actions/1");
        free(pj);
        json_decref(payload);
        json_decref(m);

        /* not a click, not ours, not a request */
        assert_int_equal(esc_slack_click_parse("text=x", 6, &c, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "no payload"));
        const char *view = "payload=%7B%22type%22%3A%22view_submission%22%7D";
        assert_int_equal(esc_slack_click_parse(view, strlen(view), &c, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "only block_actions"));
        assert_int_equal(esc_slack_approval_parse("{\"incident_id\":\"INC-1\",\"sev\":5,"
                                                  "\"reason\":\"r\",\"by\":\"bob\"}",
                                                  &b),
                         -1);
        assert_int_equal(esc_slack_approval_parse("not json", &b), -1);
        assert_int_equal(esc_slack_approval_parse(NULL, &b), -1);
}

/* The kickoff's form buttons open modals whose submission carries the
 * incident and channel back with the fields. */
static void test_modal_submission_gives_back_its_incident_and_fields(void **state)
{
        esc_slack_click_t c;
        char err[256];

        (void)state;
        assert_null(esc_slack_modal("esc_ack", "INC-1", "C0123"));
        json_t *view = esc_slack_modal(ESC_SLACK_ACTION_REQUEST_OVERRIDE, "INC-1", "C0123");
        assert_string_equal(json_string_value(json_object_get(view, "callback_id")),
                            ESC_SLACK_ACTION_REQUEST_OVERRIDE);
        json_object_set_new(view, "state",
                            json_pack("{s:{s:{s:{s:{s:s}}}, s:{s:{s:s}}}}", "values", "sev", "sev",
                                      "selected_option", "value", "3", "reason", "reason", "value",
                                      "only exports affected"));
        json_t *payload = json_pack("{s:s, s:{s:s}, s:s, s:o}", "type", "view_submission", "user",
                                    "id", "U0BOB0001", "trigger_id", "7.7", "view", view);
        char *pj = json_dumps(payload, JSON_COMPACT), body[8192] = "payload=";
        size_t o = strlen(body);
        for (const char *q = pj; *q && o + 4 < sizeof(body); q++) {
                snprintf(body + o, 4, "%%%02X", (unsigned char)*q);
                o += 3;
        }
        body[o] = '\0';
        assert_int_equal(esc_slack_click_parse(body, o, &c, err, sizeof(err)), 0);
        assert_true(c.submitted);
        assert_string_equal(c.action_id, ESC_SLACK_ACTION_REQUEST_OVERRIDE);
        assert_string_equal(c.incident_id, "INC-1");
        assert_string_equal(c.channel_id, "C0123");
        assert_string_equal(c.user_id, "U0BOB0001");
        assert_int_equal(c.sev, 3);
        assert_string_equal(c.text, "only exports affected");
        assert_false(c.internal);
        free(pj);
        json_decref(payload);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_v0_signature_is_checked_with_its_timestamp),
                cmocka_unit_test(test_form_body_is_decoded),
                cmocka_unit_test(test_every_verb_becomes_its_command),
                cmocka_unit_test(test_status_help_and_usage_errors_record_nothing),
                cmocka_unit_test(test_approval_request_round_trips_through_its_button),
                cmocka_unit_test(test_modal_submission_gives_back_its_incident_and_fields),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
