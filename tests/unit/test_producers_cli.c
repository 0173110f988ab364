/* test_producers_cli.c — the recording commands' flags: what the CLI
 * accepts, what it refuses locally (exit 2) and how the refusal names the
 * flag and the fix. No Kafka: esc_record_build is pure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/codec.h"
#include "producers/cli_record.h"
#include "runtime/registry.h"

#define NOW INT64_C(1772812800000000) /* 2026-03-06T16:00:00Z */

static esc_codec_t *codec; /* the wire form: every field of a command */

static int build(esc_command_t *cmd, char *err, size_t errsz, const char *word, ...)
{
        char *argv[64];
        int argc = 0;
        va_list ap;
        esc_record_opts_t opts = {.now = NOW};

        argv[argc++] = (char *)word;
        va_start(ap, word);
        for (const char *a; (a = va_arg(ap, const char *));)
                argv[argc++] = (char *)a;
        va_end(ap);
        argv[argc] = NULL;
        err[0] = '\0';
        return esc_record_build(word, argc, argv, &opts, cmd, err, errsz);
}

static void test_open_builds_an_open_command_with_defaults(void **state)
{
        esc_command_t c;
        char err[512];

        assert_int_equal(build(&c, err, sizeof(err), "open", "--account", "acme", "--impact",
                               "production_down", "--title", "Checkout down", "--tier", "strategic",
                               "--health", "55", "--paying", "no", NULL),
                         0);
        assert_int_equal(c.type, ESC_CMD_OPEN);
        assert_string_equal(c.p.open.account.id, "acme");
        assert_int_equal(c.p.open.account.tier, ESC_TIER_STRATEGIC);
        assert_int_equal(c.p.open.account.health_score, 55);
        assert_false(c.p.open.account.paying);
        assert_int_equal(c.p.open.impact, ESC_IMPACT_PRODUCTION_DOWN);
        assert_true(c.occurred_at == NOW);
        assert_true(c.p.open.detected_at == NOW);
        assert_non_null(c.command_id);
        assert_int_equal(strlen(c.command_id), 36);
        /* INC-<yyyymmdd>-<6 base32> for the day of --at */
        assert_int_equal(strncmp(c.incident_id, "INC-20260306-", 13), 0);
        assert_int_equal(strlen(c.incident_id), 19);
        esc_command_clear(&c);
}

static void test_open_with_at_backfills_occurred_at_and_incident_day(void **state)
{
        esc_command_t c;
        char err[512];

        assert_int_equal(build(&c, err, sizeof(err), "open", "--account=acme", "--impact",
                               "cosmetic", "--title", "Typo", "--at", "2025-12-31T23:30:00-01:00",
                               NULL),
                         0);
        assert_int_equal(strncmp(c.incident_id, "INC-20260101-", 13), 0);
        char tb[40];
        assert_string_equal(esc_time_format(c.occurred_at, tb, sizeof(tb)), "2026-01-01T00:30:00Z");
        esc_command_clear(&c);
}

static void test_unknown_impact_is_refused_naming_the_flag_and_the_choices(void **state)
{
        esc_command_t c;
        char err[512];

        assert_int_equal(build(&c, err, sizeof(err), "open", "--account", "acme", "--impact",
                               "on_fire", "--title", "x", NULL),
                         -1);
        assert_non_null(strstr(err, "--impact 'on_fire'"));
        assert_non_null(strstr(err, "production_down"));
}

static void test_unknown_tier_and_audience_and_role_are_refused(void **state)
{
        esc_command_t c;
        char err[512];

        assert_int_equal(build(&c, err, sizeof(err), "open", "--account", "a", "--impact",
                               "question", "--title", "x", "--tier", "gold", NULL),
                         -1);
        assert_non_null(strstr(err, "--tier"));
        assert_int_equal(build(&c, err, sizeof(err), "update", "INC-1", "--by", "dana",
                               "--audience", "everyone", "--body", "b", NULL),
                         -1);
        assert_non_null(strstr(err, "external or internal"));
        assert_int_equal(build(&c, err, sizeof(err), "assign", "INC-1", "--role", "boss",
                               "--person", "p", NULL),
                         -1);
        assert_non_null(strstr(err, "--role"));
}

static void test_missing_required_flag_names_it_with_the_usage(void **state)
{
        esc_command_t c;
        char err[512];

        assert_int_equal(build(&c, err, sizeof(err), "ack", "INC-1", "--by", "dana", "--message",
                               "on it", NULL),
                         -1);
        assert_non_null(strstr(err, "--next-update is required"));
        assert_non_null(strstr(err, "usage: esc ack"));
        assert_int_equal(build(&c, err, sizeof(err), "ack", "--by", "dana", NULL), -1);
        assert_non_null(strstr(err, "missing the incident id"));
}

static void test_bad_time_is_refused_with_the_expected_form(void **state)
{
        esc_command_t c;
        char err[512];

        assert_int_equal(build(&c, err, sizeof(err), "ack", "INC-1", "--by", "dana", "--message",
                               "m", "--next-update", "tomorrow", NULL),
                         -1);
        assert_non_null(strstr(err, "--next-update 'tomorrow' is not a time"));
        assert_non_null(strstr(err, "ISO-8601"));
        assert_int_equal(build(&c, err, sizeof(err), "resolve", "INC-1", "--by", "dana", "--at",
                               "2026-03-06T16:00:00", NULL),
                         -1);
        assert_non_null(strstr(err, "--at"));
}

static void test_over_long_value_is_refused_with_the_limit(void **state)
{
        esc_command_t c;
        char err[512];
        char *title = malloc(ESC_MAX_STR + 2);

        memset(title, 'x', ESC_MAX_STR + 1);
        title[ESC_MAX_STR + 1] = '\0';
        assert_int_equal(build(&c, err, sizeof(err), "open", "--account", "a", "--impact",
                               "question", "--title", title, NULL),
                         -1);
        assert_non_null(strstr(err, "--title is 1025 bytes long; the limit is 1024"));
        free(title);
}

static void test_invalid_utf8_is_refused(void **state)
{
        esc_command_t c;
        char err[512];

        assert_int_equal(build(&c, err, sizeof(err), "reopen", "INC-1", "--by", "dana", "--reason",
                               "bad \xc3\x28 byte", NULL),
                         -1);
        assert_non_null(strstr(err, "--reason is not valid UTF-8"));
}

static void test_unknown_or_repeated_flags_are_refused(void **state)
{
        esc_command_t c;
        char err[512];

        assert_int_equal(
                build(&c, err, sizeof(err), "confirm", "INC-1", "--by", "a", "--sev", "1", NULL),
                -1);
        assert_non_null(strstr(err, "unknown flag '--sev'"));
        assert_int_equal(
                build(&c, err, sizeof(err), "confirm", "INC-1", "--by", "a", "--by", "b", NULL),
                -1);
        assert_non_null(strstr(err, "--by given twice"));
        assert_int_equal(
                build(&c, err, sizeof(err), "confirm", "INC-1", "INC-2", "--by", "a", NULL), -1);
        assert_non_null(strstr(err, "unexpected argument 'INC-2'"));
}

static void test_override_sev_must_be_1_to_4(void **state)
{
        esc_command_t c;
        char err[512];

        assert_int_equal(build(&c, err, sizeof(err), "override", "INC-1", "--sev", "5", "--by",
                               "maria", "--reason", "r", NULL),
                         -1);
        assert_non_null(strstr(err, "--sev '5'"));
        assert_int_equal(build(&c, err, sizeof(err), "override", "INC-1", "--sev", "2", "--by",
                               "maria", "--reason", "customer renewal at risk", NULL),
                         0);
        assert_int_equal(c.p.override.to_sev, 2);
        assert_string_equal(c.actor, "maria");
        esc_command_clear(&c);
}

static void test_override_with_an_empty_reason_goes_to_the_ledger(void **state)
{
        /* override_requires_reason is the ledger's auditable refusal; the CLI
         * only insists that the flag is present */
        esc_command_t c;
        char err[512];

        assert_int_equal(build(&c, err, sizeof(err), "override", "INC-1", "--sev", "2", "--by",
                               "maria", "--reason", "", NULL),
                         0);
        assert_string_equal(c.p.override.reason, "");
        esc_command_clear(&c);
}

static void test_unconfirmed_close_carries_reason_and_reason_needs_unconfirmed(void **state)
{
        esc_command_t c;
        char err[512];

        assert_int_equal(build(&c, err, sizeof(err), "close", "INC-1", "--by", "maria",
                               "--unconfirmed", "--reason", "customer unreachable", NULL),
                         0);
        assert_false(c.p.close.confirmed);
        assert_string_equal(c.p.close.reason, "customer unreachable");
        esc_command_clear(&c);
        assert_int_equal(build(&c, err, sizeof(err), "close", "INC-1", "--by", "maria", "--reason",
                               "x", NULL),
                         -1);
        assert_non_null(strstr(err, "--unconfirmed"));
        assert_int_equal(build(&c, err, sizeof(err), "close", "INC-1", "--by", "maria", NULL), 0);
        assert_true(c.p.close.confirmed);
        esc_command_clear(&c);
}

static void test_review_commands_build(void **state)
{
        esc_command_t c;
        char err[512];

        assert_int_equal(build(&c, err, sizeof(err), "review action", "INC-1", "--title",
                               "Route alerts to Slack", "--owner", "sam", "--due", "2026-03-13",
                               NULL),
                         0);
        assert_int_equal(c.type, ESC_CMD_REVIEW_ACTION);
        assert_non_null(c.p.review_action.action_id);
        char db[16];
        assert_string_equal(esc_date_format(c.p.review_action.due_date, db, sizeof(db)),
                            "2026-03-13");
        esc_command_clear(&c);
        assert_int_equal(build(&c, err, sizeof(err), "review complete", "INC-1", "--root-cause",
                               "alerts route to email", "--why", "w1", "--why", "w2", NULL),
                         0);
        assert_int_equal(c.p.review_complete.five_whys.n, 2);
        assert_string_equal(c.p.review_complete.five_whys.v[1], "w2");
        esc_command_clear(&c);
        assert_int_equal(build(&c, err, sizeof(err), "review action", "INC-1", "--title", "t",
                               "--owner", "sam", "--due", "next week", NULL),
                         -1);
        assert_non_null(strstr(err, "--due"));
}

static void test_wait_flags(void **state)
{
        esc_command_t c;
        char err[512];
        char *argv[] = {"resolve", "INC-1", "--by", "a", "--wait", "2.5", NULL};
        esc_record_opts_t o = {.now = NOW};

        assert_int_equal(esc_record_build("resolve", 6, argv, &o, &c, err, sizeof(err)), 0);
        assert_int_equal(o.wait_ms, 2500);
        assert_false(o.no_wait);
        assert_false(o.explicit_command_id);
        esc_command_clear(&c);

        char *argv2[] = {"resolve", "INC-1", "--by", "a", "--no-wait", "--command-id", "c-1", NULL};
        assert_int_equal(esc_record_build("resolve", 7, argv2, &o, &c, err, sizeof(err)), 0);
        assert_true(o.no_wait);
        assert_true(o.explicit_command_id);
        assert_string_equal(c.command_id, "c-1");
        esc_command_clear(&c);

        assert_int_equal(
                build(&c, err, sizeof(err), "resolve", "INC-1", "--by", "a", "--wait", "0", NULL),
                -1);
        assert_non_null(strstr(err, "--wait"));
        assert_int_equal(build(&c, err, sizeof(err), "resolve", "INC-1", "--by", "a", "--wait", "3",
                               "--no-wait", NULL),
                         -1);
}

/* The same command by fields (JSON's way in) and by argv: one builder, so
 * the same command or the same refusal. */
static int same_as_argv(const char *word, const esc_record_field_t *f, int n, const char *incident,
                        char **argv, int argc)
{
        esc_command_t a, b;
        char ea[512] = "", eb[512] = "";
        esc_record_opts_t oa = {.now = NOW}, ob = {.now = NOW};
        int ra = esc_record_build_fields(word, f, n, incident, &oa, &a, ea, sizeof(ea));
        int rb = esc_record_build(word, argc, argv, &ob, &b, eb, sizeof(eb));

        assert_int_equal(ra, rb);
        assert_string_equal(ea, eb);
        if (ra == 0) {
                esc_buf_t wa, wb;
                char err[512] = "";
                assert_int_equal(a.type, b.type);
                assert_string_equal(a.incident_id, b.incident_id);
                assert_string_equal(a.command_id, b.command_id);
                assert_string_equal(a.actor, b.actor);
                assert_true(a.occurred_at == b.occurred_at);
                assert_true(a.issued_at == b.issued_at);
                assert_int_equal(oa.wait_ms, ob.wait_ms);
                assert_int_equal(oa.no_wait, ob.no_wait);
                assert_int_equal(oa.explicit_command_id, ob.explicit_command_id);
                /* The whole command, payload included: the same bytes. */
                esc_buf_init(&wa, 0);
                esc_buf_init(&wb, 0);
                assert_int_equal(esc_codec_encode_command(codec, &a, &wa, err, sizeof(err)),
                                 ESC_CODEC_OK);
                assert_int_equal(esc_codec_encode_command(codec, &b, &wb, err, sizeof(err)),
                                 ESC_CODEC_OK);
                assert_int_equal(wa.len, wb.len);
                assert_memory_equal(wa.data, wb.data, wa.len);
                esc_buf_free(&wa);
                esc_buf_free(&wb);
        }
        esc_command_clear(&a);
        esc_command_clear(&b);
        return ra;
}

#define OPT(k) esc_record_opt_of_key(k)
#define BUILDS(...) assert_int_equal(same_as_argv(__VA_ARGS__), 0)
#define REFUSED(...) assert_int_equal(same_as_argv(__VA_ARGS__), -1)
#define ARGV(...) (char *[]){__VA_ARGS__}, (int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *))

static void test_fields_build_what_their_argv_builds(void **state)
{
        BUILDS("open",
               (esc_record_field_t[]){{OPT("account"), "acme"},
                                      {OPT("impact"), "question"},
                                      {OPT("title"), "t"},
                                      {OPT("command_id"), "c-1"}},
               4, "INC-1",
               ARGV("open", "--account", "acme", "--impact", "question", "--title", "t",
                    "--command-id", "c-1", "--incident", "INC-1"));
        BUILDS("close",
               (esc_record_field_t[]){{OPT("by"), "m"},
                                      {OPT("unconfirmed"), NULL},
                                      {OPT("reason"), "gone"},
                                      {OPT("command_id"), "c-2"}},
               4, "INC-1",
               ARGV("close", "--by", "m", "--unconfirmed", "--reason", "gone", "--command-id",
                    "c-2", "--", "INC-1"));
        BUILDS("review complete",
               (esc_record_field_t[]){{OPT("root_cause"), "rc"},
                                      {OPT("why"), "a"},
                                      {OPT("why"), "b"},
                                      {OPT("command_id"), "c-3"},
                                      {OPT("by"), "x"}},
               5, "INC-1",
               ARGV("review complete", "--root-cause", "rc", "--why", "a", "--why", "b",
                    "--command-id", "c-3", "--by", "x", "--", "INC-1"));
        /* every command word with every flag it takes */
        BUILDS("open",
               (esc_record_field_t[]){{OPT("account"), "acme"},
                                      {OPT("account_name"), "Acme Corp"},
                                      {OPT("tier"), "strategic"},
                                      {OPT("health"), "42"},
                                      {OPT("paying"), "no"},
                                      {OPT("renewal"), "2026-09-30"},
                                      {OPT("product_area"), "billing"},
                                      {OPT("impact"), "data_loss"},
                                      {OPT("title"), "Invoices lost"},
                                      {OPT("description"), "since 09:00"},
                                      {OPT("csm"), "dana"},
                                      {OPT("by"), "erin"},
                                      {OPT("at"), "2026-03-06T15:30:00Z"},
                                      {OPT("command_id"), "c-4"},
                                      {OPT("wait"), "3"}},
               15, "INC-2",
               ARGV("open", "--account", "acme", "--account-name", "Acme Corp", "--tier",
                    "strategic", "--health", "42", "--paying", "no", "--renewal", "2026-09-30",
                    "--product-area", "billing", "--impact", "data_loss", "--title",
                    "Invoices lost", "--description", "since 09:00", "--csm", "dana", "--by",
                    "erin", "--at", "2026-03-06T15:30:00Z", "--command-id", "c-4", "--wait", "3",
                    "--incident", "INC-2"));
        BUILDS("ack",
               (esc_record_field_t[]){{OPT("by"), "d"},
                                      {OPT("message"), "looking"},
                                      {OPT("next_update"), "2026-03-06T17:00:00Z"},
                                      {OPT("command_id"), "c-5"},
                                      {OPT("no_wait"), NULL}},
               5, "INC-1",
               ARGV("ack", "--by", "d", "--message", "looking", "--next-update",
                    "2026-03-06T17:00:00Z", "--command-id", "c-5", "--no-wait", "--", "INC-1"));
        BUILDS("update",
               (esc_record_field_t[]){{OPT("by"), "d"},
                                      {OPT("audience"), "internal"},
                                      {OPT("body"), "rolled back"},
                                      {OPT("next_update"), "2026-03-06T18:00:00Z"},
                                      {OPT("command_id"), "c-6"}},
               5, "INC-1",
               ARGV("update", "--by", "d", "--audience", "internal", "--body", "rolled back",
                    "--next-update", "2026-03-06T18:00:00Z", "--command-id", "c-6", "--", "INC-1"));
        BUILDS("assign",
               (esc_record_field_t[]){{OPT("role"), "cs_manager"},
                                      {OPT("person"), "frank"},
                                      {OPT("by"), "d"},
                                      {OPT("command_id"), "c-7"}},
               4, "INC-1",
               ARGV("assign", "--role", "cs_manager", "--person", "frank", "--by", "d",
                    "--command-id", "c-7", "--", "INC-1"));
        BUILDS("override",
               (esc_record_field_t[]){{OPT("sev"), "3"},
                                      {OPT("by"), "d"},
                                      {OPT("reason"), "workaround"},
                                      {OPT("command_id"), "c-8"}},
               4, "INC-1",
               ARGV("override", "--sev", "3", "--by", "d", "--reason", "workaround", "--command-id",
                    "c-8", "--", "INC-1"));
        BUILDS("mitigate",
               (esc_record_field_t[]){
                       {OPT("by"), "d"}, {OPT("summary"), "flag off"}, {OPT("command_id"), "c-9"}},
               3, "INC-1",
               ARGV("mitigate", "--by", "d", "--summary", "flag off", "--command-id", "c-9", "--",
                    "INC-1"));
        BUILDS("resolve",
               (esc_record_field_t[]){
                       {OPT("by"), "d"}, {OPT("summary"), "fixed"}, {OPT("command_id"), "c-10"}},
               3, "INC-1",
               ARGV("resolve", "--by", "d", "--summary", "fixed", "--command-id", "c-10", "--",
                    "INC-1"));
        BUILDS("confirm",
               (esc_record_field_t[]){{OPT("by"), "d"},
                                      {OPT("note"), "customer agrees"},
                                      {OPT("command_id"), "c-11"}},
               3, "INC-1",
               ARGV("confirm", "--by", "d", "--note", "customer agrees", "--command-id", "c-11",
                    "--", "INC-1"));
        BUILDS("reopen",
               (esc_record_field_t[]){{OPT("by"), "d"},
                                      {OPT("reason"), "back again"},
                                      {OPT("command_id"), "c-12"}},
               3, "INC-1",
               ARGV("reopen", "--by", "d", "--reason", "back again", "--command-id", "c-12", "--",
                    "INC-1"));
        BUILDS("review open",
               (esc_record_field_t[]){{OPT("tracker_url"), "https://t.example/1"},
                                      {OPT("by"), "d"},
                                      {OPT("command_id"), "c-13"}},
               3, "INC-1",
               ARGV("review open", "--tracker-url", "https://t.example/1", "--by", "d",
                    "--command-id", "c-13", "--", "INC-1"));
        BUILDS("review action",
               (esc_record_field_t[]){{OPT("title"), "add alert"},
                                      {OPT("owner"), "gail"},
                                      {OPT("due"), "2026-04-01"},
                                      {OPT("tracker_url"), "https://t.example/2"},
                                      {OPT("action_id"), "a-1"},
                                      {OPT("by"), "d"},
                                      {OPT("command_id"), "c-14"}},
               7, "INC-1",
               ARGV("review action", "--title", "add alert", "--owner", "gail", "--due",
                    "2026-04-01", "--tracker-url", "https://t.example/2", "--action-id", "a-1",
                    "--by", "d", "--command-id", "c-14", "--", "INC-1"));
        /* refusals: a flag the command does not take, a cap, no incident */
        REFUSED("ack", (esc_record_field_t[]){{OPT("by"), "d"}, {OPT("sev"), "1"}}, 2, "I",
                ARGV("ack", "--by", "d", "--sev", "1", "--", "I"));
        REFUSED("mitigate",
                (esc_record_field_t[]){{OPT("by"), "dddddddddddddddddddddd"
                                                   "dddddddddddddddddddddd"
                                                   "dddddddddddddddddddddd"
                                                   "dddddddddddddddddddddd"
                                                   "dddddddddddddddddddddd"
                                                   "dddddddddddddddddddddd"}},
                1, "I",
                ARGV("mitigate", "--by",
                     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
                     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
                     "--", "I"));
        REFUSED("mitigate", (esc_record_field_t[]){{OPT("by"), "d"}}, 1, NULL,
                ARGV("mitigate", "--by", "d"));
        REFUSED("open", (esc_record_field_t[]){{OPT("account"), "a"}}, 1, NULL,
                ARGV("open", "--account", "a"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_open_builds_an_open_command_with_defaults),
                cmocka_unit_test(test_open_with_at_backfills_occurred_at_and_incident_day),
                cmocka_unit_test(test_unknown_impact_is_refused_naming_the_flag_and_the_choices),
                cmocka_unit_test(test_unknown_tier_and_audience_and_role_are_refused),
                cmocka_unit_test(test_missing_required_flag_names_it_with_the_usage),
                cmocka_unit_test(test_bad_time_is_refused_with_the_expected_form),
                cmocka_unit_test(test_over_long_value_is_refused_with_the_limit),
                cmocka_unit_test(test_invalid_utf8_is_refused),
                cmocka_unit_test(test_unknown_or_repeated_flags_are_refused),
                cmocka_unit_test(test_override_sev_must_be_1_to_4),
                cmocka_unit_test(test_override_with_an_empty_reason_goes_to_the_ledger),
                cmocka_unit_test(
                        test_unconfirmed_close_carries_reason_and_reason_needs_unconfirmed),
                cmocka_unit_test(test_review_commands_build),
                cmocka_unit_test(test_wait_flags),
                cmocka_unit_test(test_fields_build_what_their_argv_builds),
        };
        char err[256];
        codec = esc_codec_new(NULL, err, sizeof(err));
        if (!codec) {
                fprintf(stderr, "codec: %s\n", err);
                return 1;
        }
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        esc_codec_destroy(codec);
        return rc;
}
