/* test_decider_state.c — the folded incident state: the chain position the
 * worker needs (seq, last hash), its size budget, and the compact form of
 * closed incidents deciding exactly like the full state. */
#include "test_decider_helpers.h"

static void test_evolve_maintains_seq_and_last_hash_for_the_chain(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        uint8_t zero[ESC_HASH_LEN] = {0};
        assert_true(st.seq == 0);
        assert_memory_equal(st.last_hash, zero, ESC_HASH_LEN);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_PRODUCTION_DOWN, ESC_TIER_STANDARD,
                      90, true);
        assert_true(st.seq == D.nevents);
        assert_memory_equal(st.last_hash, D.events[D.nevents - 1].hash, ESC_HASH_LEN);
        /* Each event was chained to the one before it. */
        assert_memory_equal(D.events[0].prev_hash, zero, ESC_HASH_LEN);
        assert_memory_equal(D.events[1].prev_hash, D.events[0].hash, ESC_HASH_LEN);
        /* A rejection still advances the chain: it is an event. */
        int64_t seq = st.seq;
        override(&st, "2026-03-04T10:01:00Z", 2, "dave", "x");
        assert_true(st.seq == seq + 1);
        assert_memory_equal(st.last_hash, D.events[0].hash, ESC_HASH_LEN);
}

static void test_commands_without_an_id_are_never_duplicates(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_COSMETIC, ESC_TIER_STANDARD, 90,
                      true);
        for (int i = 0; i < 2; i++) {
                esc_command_t c = cmd(ESC_CMD_UPDATE, "2026-03-04T10:01:00Z", "dave");
                free(c.command_id);
                c.command_id = esc_strdup("");
                c.p.update.by = esc_strdup("dave");
                c.p.update.audience = ESC_AUDIENCE_INTERNAL;
                c.p.update.body = esc_strdup("note");
                assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        }
}

static void test_state_fits_the_2_kib_per_incident_budget(void **s)
{
        assert_true(sizeof(esc_state_t) <= 2048);
        assert_true(sizeof(esc_state_compact_t) <= 512);
        assert_true(sizeof(esc_state_compact_t) < sizeof(esc_state_t) / 2);
}

/* Runs the same command against the full state and its compact round trip
 * and checks both decisions are identical in verdict, types and code. */
static void assert_same_decision(const esc_state_t *full, esc_command_t *c)
{
        esc_state_compact_t small;
        esc_state_t expanded;
        esc_state_compact(full, &small);
        esc_state_expand(&small, &expanded);
        esc_decision_t a, b;
        esc_decide(P, full, c, &a);
        esc_decide(P, &expanded, c, &b);
        assert_int_equal(a.verdict, b.verdict);
        assert_int_equal(a.nevents, b.nevents);
        for (int i = 0; i < a.nevents; i++)
                assert_int_equal(a.events[i].type, b.events[i].type);
        if (a.verdict == ESC_VERDICT_REJECTED)
                assert_string_equal(esc_decision_code(&a), esc_decision_code(&b));
        esc_decision_clear(&a);
        esc_decision_clear(&b);
        esc_command_clear(c);
}

static void test_compact_closed_incident_decides_like_the_full_state(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_DATA_LOSS, ESC_TIER_STANDARD, 90,
                      true);
        ack(&st, "2026-03-04T10:05:00Z", "On it", "2026-03-04T10:35:00Z");
        review_open(&st, "2026-03-04T11:00:00Z");
        review_action(&st, "2026-03-04T11:00:00Z", "bob", "2026-03-20");
        by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-04T12:00:00Z", "alice");
        by_cmd(&st, ESC_CMD_CONFIRM, "2026-03-04T13:00:00Z", "dave");
        int last_no = cmd_counter;
        assert_int_equal(by_cmd(&st, ESC_CMD_CLOSE, "2026-03-04T13:01:00Z", "dave"),
                         ESC_VERDICT_ACCEPTED);

        esc_state_compact_t small;
        esc_state_compact(&st, &small);
        assert_true(small.seq == st.seq);
        assert_memory_equal(small.last_hash, st.last_hash, ESC_HASH_LEN);
        assert_int_equal(small.status, ESC_STATUS_CLOSED);

        /* What later commands can do to a closed incident. */
        esc_command_t c = cmd(ESC_CMD_REOPEN, "2026-03-05T09:00:00Z", "dave");
        c.p.reopen.by = esc_strdup("dave");
        c.p.reopen.reason = esc_strdup("Back again");
        assert_same_decision(&st, &c);
        c = cmd(ESC_CMD_OPEN, "2026-03-05T09:00:00Z", "dave");
        assert_same_decision(&st, &c);
        c = cmd(ESC_CMD_ACK, "2026-03-05T09:00:00Z", "alice");
        assert_same_decision(&st, &c);
        c = cmd(ESC_CMD_REVIEW_OPEN, "2026-03-05T09:00:00Z", "carol");
        assert_same_decision(&st, &c);
        c = cmd(ESC_CMD_RECORD_CHANNEL, "2026-03-05T09:00:00Z", "actions");
        c.p.record_channel.slack_channel_id = esc_strdup("C1");
        c.p.record_channel.name = esc_strdup("esc-acme");
        assert_same_decision(&st, &c);
        /* The retried close is still recognised. */
        cmd_counter = last_no;
        c = cmd(ESC_CMD_CLOSE, "2026-03-04T13:01:00Z", "dave");
        c.p.close.by = esc_strdup("dave");
        esc_decision_t d;
        esc_state_t expanded;
        esc_state_expand(&small, &expanded);
        assert_int_equal(esc_decide(P, &expanded, &c, &d), ESC_VERDICT_DUPLICATE);
        esc_decision_clear(&d);
        esc_command_clear(&c);

        /* After a reopen from the compact state, resolve still knows the
         * review exists (a Sev 1 needs it). */
        c = cmd(ESC_CMD_REOPEN, "2026-03-05T09:00:00Z", "dave");
        c.p.reopen.by = esc_strdup("dave");
        c.p.reopen.reason = esc_strdup("Back again");
        assert_int_equal(apply(&expanded, &c), ESC_VERDICT_ACCEPTED);
        assert_int_equal(by_cmd(&expanded, ESC_CMD_RESOLVE, "2026-03-05T12:00:00Z", "alice"),
                         ESC_VERDICT_ACCEPTED);
}

static void test_status_names_match_the_incidents_table(void **s)
{
        assert_string_equal(esc_status_name(ESC_STATUS_OPEN), "open");
        assert_string_equal(esc_status_name(ESC_STATUS_ACKNOWLEDGED), "acknowledged");
        assert_string_equal(esc_status_name(ESC_STATUS_MITIGATED), "mitigated");
        assert_string_equal(esc_status_name(ESC_STATUS_RESOLVED), "resolved");
        assert_string_equal(esc_status_name(ESC_STATUS_CONFIRMED), "confirmed");
        assert_string_equal(esc_status_name(ESC_STATUS_CLOSED), "closed");
        assert_string_equal(esc_decision_verdict_name(ESC_VERDICT_DUPLICATE), "duplicate");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_evolve_maintains_seq_and_last_hash_for_the_chain),
                cmocka_unit_test(test_commands_without_an_id_are_never_duplicates),
                cmocka_unit_test(test_state_fits_the_2_kib_per_incident_budget),
                cmocka_unit_test(test_compact_closed_incident_decides_like_the_full_state),
                cmocka_unit_test(test_status_names_match_the_incidents_table),
        };
        return cmocka_run_group_tests(tests, fixture_up, fixture_down);
}
