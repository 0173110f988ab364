/* test_timers_due.c — the timers projection's rules (projections/timers/due.h)
 * on states built the way the ledger builds them: commands decided by the
 * real decider and folded with esc_evolve (tests/unit/test_decider_helpers.h,
 * policy tests/data/policy/good.yaml: Sev 1 = 15m response, 30m updates,
 * 4h resolution). What timers fires is fed back through the decider, as the
 * log feeds it back in production, so "already recorded" is tested end to
 * end without Kafka. */
#include "test_decider_helpers.h"

#include "projections/timers/due.h"

static esc_timers_due_t due[ESC_TIMERS_MAX_DUE];

static int due_at(const esc_state_t *st, const char *now)
{
        return esc_timers_due(P, st, T(now), due);
}

/* The item of a kind (clock for breaches), or NULL. */
static const esc_timers_due_t *find(int n, esc_command_type_t type, esc_clock_t clock)
{
        for (int i = 0; i < n; i++)
                if (due[i].type == type &&
                    (type != ESC_CMD_RECORD_SLA_BREACH || due[i].clock == clock))
                        return &due[i];
        return NULL;
}

#define BREACH(n, clock) find((n), ESC_CMD_RECORD_SLA_BREACH, (clock))
#define OVERDUE(n) find((n), ESC_CMD_RECORD_UPDATE_OVERDUE, 0)
#define UNOWNED(n) find((n), ESC_CMD_RECORD_UNOWNED_ESCALATION, 0)

/* Sends an item through the decider, as the ledger would decide it. */
static esc_decision_verdict_t record(esc_state_t *st, const esc_timers_due_t *d, const char *now)
{
        esc_command_t c;
        char err[512];
        if (esc_timers_command("INC-1", d, T(now), &c, err, sizeof(err)))
                fail_msg("%s", err);
        if (esc_command_validate(&c, err, sizeof(err)))
                fail_msg("timers command invalid: %s", err);
        return apply(st, &c);
}

static void open_sev1(esc_state_t *st)
{
        esc_state_init(st);
        assert_int_equal(open_incident(st, "2026-03-04T10:00:00Z", ESC_IMPACT_PRODUCTION_DOWN,
                                       ESC_TIER_STANDARD, 90, true),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(st->sev, 1);
}

static void test_sev1_without_ack_past_15_min_breaches_response(void **s)
{
        esc_state_t st;
        open_sev1(&st);

        assert_null(BREACH(due_at(&st, "2026-03-04T10:14:59Z"), ESC_CLOCK_RESPONSE));
        int n = due_at(&st, "2026-03-04T10:15:00Z");
        const esc_timers_due_t *b = BREACH(n, ESC_CLOCK_RESPONSE);
        assert_non_null(b);
        assert_time(b->due_at, "2026-03-04T10:15:00Z");
        assert_time(b->at, "2026-03-04T10:15:00Z");
}

static void test_acknowledged_in_time_has_no_response_breach(void **s)
{
        esc_state_t st;
        open_sev1(&st);
        assert_int_equal(ack(&st, "2026-03-04T10:05:00Z", "Checkout is down; Sev 1; next 10:35",
                             "2026-03-04T10:35:00Z"),
                         ESC_VERDICT_ACCEPTED);

        assert_int_equal(due_at(&st, "2026-03-04T10:34:00Z"), 0);
}

static void test_late_ack_still_breaches_response_when_the_worker_was_away(void **s)
{
        esc_state_t st;
        open_sev1(&st);
        assert_int_equal(
                ack(&st, "2026-03-04T10:20:00Z", "Checkout is down; Sev 1", "2026-03-04T10:50:00Z"),
                ESC_VERDICT_ACCEPTED);

        int n = due_at(&st, "2026-03-04T10:21:00Z");
        assert_non_null(BREACH(n, ESC_CLOCK_RESPONSE));
        assert_null(OVERDUE(n));
}

static void test_promised_update_passed_reminds_1_then_2_after_a_cadence(void **s)
{
        esc_state_t st;
        open_sev1(&st);
        assert_int_equal(ack(&st, "2026-03-04T10:05:00Z", "Checkout is down; Sev 1; next 10:35",
                             "2026-03-04T10:35:00Z"),
                         ESC_VERDICT_ACCEPTED);

        int n = due_at(&st, "2026-03-04T10:36:00Z");
        const esc_timers_due_t *o = OVERDUE(n);
        assert_non_null(o);
        assert_time(o->due_at, "2026-03-04T10:35:00Z");
        assert_int_equal(o->reminder_no, 1);
        assert_non_null(BREACH(n, ESC_CLOCK_UPDATE));
        for (int i = 0; i < n; i++)
                assert_int_equal(record(&st, &due[i], "2026-03-04T10:36:00Z"),
                                 ESC_VERDICT_ACCEPTED);

        /* Recorded: nothing until the next cadence step. */
        assert_int_equal(due_at(&st, "2026-03-04T11:04:59Z"), 0);
        n = due_at(&st, "2026-03-04T11:05:00Z");
        assert_int_equal(n, 1);
        o = OVERDUE(n);
        assert_non_null(o);
        assert_time(o->due_at, "2026-03-04T10:35:00Z");
        assert_int_equal(o->reminder_no, 2);
        assert_time(o->at, "2026-03-04T11:05:00Z");
}

static void test_customer_update_keeps_the_promise_and_ends_the_reminders(void **s)
{
        esc_state_t st;
        open_sev1(&st);
        assert_int_equal(ack(&st, "2026-03-04T10:05:00Z", "Checkout is down; Sev 1; next 10:35",
                             "2026-03-04T10:35:00Z"),
                         ESC_VERDICT_ACCEPTED);
        esc_command_t c = cmd(ESC_CMD_UPDATE, "2026-03-04T10:30:00Z", "dave");
        c.p.update.by = esc_strdup("dave");
        c.p.update.audience = ESC_AUDIENCE_EXTERNAL;
        c.p.update.body = esc_strdup("Still investigating; next update 11:00");
        c.p.update.next_update_at = T("2026-03-04T11:00:00Z");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);

        assert_int_equal(due_at(&st, "2026-03-04T10:59:00Z"), 0);
        assert_non_null(OVERDUE(due_at(&st, "2026-03-04T11:00:01Z")));
}

static void test_reminder_catch_up_sends_only_the_current_one(void **s)
{
        esc_state_t st;
        open_sev1(&st);

        /* First update was due with the response (10:15); at 11:20 the
         * reminders of 10:15, 10:45 and 11:15 have passed. */
        const esc_timers_due_t *o = OVERDUE(due_at(&st, "2026-03-04T11:20:00Z"));
        assert_non_null(o);
        assert_time(o->due_at, "2026-03-04T10:15:00Z");
        assert_int_equal(o->reminder_no, 3);
}

static void test_unowned_past_response_sla_pages_the_manager(void **s)
{
        /* A policy without rotations: nobody is on call, so nobody owns it. */
        esc_policy_t *saved = P;
        P = esc_policy_default();
        free(P->cs_manager);
        P->cs_manager = esc_strdup("carol");
        esc_state_t st;
        open_sev1(&st);
        assert_string_equal(st.owner, "");

        assert_null(UNOWNED(due_at(&st, "2026-03-04T10:14:00Z")));
        int n = due_at(&st, "2026-03-04T10:16:00Z");
        const esc_timers_due_t *u = UNOWNED(n);
        assert_non_null(u);
        assert_time(u->due_at, "2026-03-04T10:15:00Z");
        assert_string_equal(u->paged, "carol");
        assert_int_equal(record(&st, u, "2026-03-04T10:16:00Z"), ESC_VERDICT_ACCEPTED);
        assert_null(UNOWNED(due_at(&st, "2026-03-04T10:17:00Z")));

        esc_policy_destroy(P);
        P = saved;
}

static void test_owned_incident_pages_nobody(void **s)
{
        esc_state_t st;
        open_sev1(&st);
        assert_string_not_equal(st.owner, "");

        assert_null(UNOWNED(due_at(&st, "2026-03-04T12:00:00Z")));
}

static void test_unowned_with_no_manager_configured_is_not_a_valid_command(void **s)
{
        esc_policy_t *saved = P;
        P = esc_policy_default();
        esc_state_t st;
        open_sev1(&st);
        const esc_timers_due_t *u = UNOWNED(due_at(&st, "2026-03-04T10:16:00Z"));
        assert_non_null(u);
        assert_null(u->paged);
        esc_command_t c;
        char err[512];
        assert_int_equal(
                esc_timers_command("INC-1", u, T("2026-03-04T10:16:00Z"), &c, err, sizeof(err)),
                -1);
        assert_non_null(strstr(err, "INC-1"));
        assert_non_null(strstr(err, "cs_manager"));
        esc_command_clear(&c);
        esc_policy_destroy(P);
        P = saved;
}

static void test_resolution_not_met_in_4h_breaches_resolution(void **s)
{
        esc_state_t st;
        open_sev1(&st);
        assert_int_equal(
                ack(&st, "2026-03-04T10:05:00Z", "Checkout is down; Sev 1", "2026-03-04T18:00:00Z"),
                ESC_VERDICT_ACCEPTED);

        assert_null(BREACH(due_at(&st, "2026-03-04T13:59:00Z"), ESC_CLOCK_RESOLUTION));
        const esc_timers_due_t *b =
                BREACH(due_at(&st, "2026-03-04T14:00:00Z"), ESC_CLOCK_RESOLUTION);
        assert_non_null(b);
        assert_time(b->due_at, "2026-03-04T14:00:00Z");
}

/* Open review with one complete action, resolved at `resolved`. */
static void resolved_sev1(esc_state_t *st, const char *resolved)
{
        open_sev1(st);
        assert_int_equal(
                ack(st, "2026-03-04T10:05:00Z", "Checkout is down; Sev 1", "2026-03-04T10:35:00Z"),
                ESC_VERDICT_ACCEPTED);
        assert_int_equal(review_open(st, "2026-03-04T10:30:00Z"), ESC_VERDICT_ACCEPTED);
        assert_int_equal(review_action(st, "2026-03-04T10:31:00Z", "alice", "2026-03-20"),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(by_cmd(st, ESC_CMD_RESOLVE, resolved, "alice"), ESC_VERDICT_ACCEPTED);
}

static void test_resolved_in_time_stops_update_and_resolution_clocks(void **s)
{
        esc_state_t st;
        resolved_sev1(&st, "2026-03-04T10:32:00Z");

        int n = due_at(&st, "2026-03-04T15:00:00Z");
        assert_null(OVERDUE(n));
        assert_null(BREACH(n, ESC_CLOCK_UPDATE));
        assert_null(BREACH(n, ESC_CLOCK_RESOLUTION));
        assert_null(BREACH(n, ESC_CLOCK_RESPONSE));
}

static void test_sev1_review_not_completed_by_due_breaches_review(void **s)
{
        esc_state_t st;
        resolved_sev1(&st, "2026-03-04T10:32:00Z");
        assert_true(st.review_due_at != ESC_TIME_NONE);
        char iso[40];
        esc_time_format(st.review_due_at - 1000000, iso, sizeof(iso));
        assert_null(BREACH(due_at(&st, iso), ESC_CLOCK_REVIEW));
        esc_time_format(st.review_due_at, iso, sizeof(iso));
        const esc_timers_due_t *b = BREACH(due_at(&st, iso), ESC_CLOCK_REVIEW);
        assert_non_null(b);
        assert_true(b->due_at == st.review_due_at);

        esc_command_t c = cmd(ESC_CMD_REVIEW_COMPLETE, "2026-03-05T10:00:00Z", "carol");
        c.p.review_complete.root_cause = esc_strdup("alerts route to email during EU hours");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_null(BREACH(due_at(&st, iso), ESC_CLOCK_REVIEW));
}

static void test_closed_incident_has_nothing_due(void **s)
{
        esc_state_t st;
        resolved_sev1(&st, "2026-03-04T10:32:00Z");
        assert_int_equal(by_cmd(&st, ESC_CMD_CONFIRM, "2026-03-04T11:00:00Z", "dave"),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(by_cmd(&st, ESC_CMD_CLOSE, "2026-03-04T11:05:00Z", "dave"),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(st.status, ESC_STATUS_CLOSED);

        assert_int_equal(due_at(&st, "2027-01-01T00:00:00Z"), 0);
}

static void test_already_recorded_facts_are_not_due_again(void **s)
{
        esc_state_t st;
        open_sev1(&st);
        int n = due_at(&st, "2026-03-04T14:30:00Z");
        assert_true(n >= 3); /* response, resolution, update breach, reminder */
        esc_timers_due_t fired[ESC_TIMERS_MAX_DUE];
        memcpy(fired, due, sizeof(fired));
        for (int i = 0; i < n; i++)
                assert_int_equal(record(&st, &fired[i], "2026-03-04T14:30:00Z"),
                                 ESC_VERDICT_ACCEPTED);

        assert_int_equal(due_at(&st, "2026-03-04T14:30:00Z"), 0);
        /* Sending one again anyway is what the ledger calls a duplicate. */
        assert_int_equal(record(&st, &fired[0], "2026-03-04T14:31:00Z"), ESC_VERDICT_DUPLICATE);
}

static void test_command_ids_are_deterministic_and_fit(void **s)
{
        esc_timers_due_t d = {.type = ESC_CMD_RECORD_SLA_BREACH,
                              .clock = ESC_CLOCK_RESPONSE,
                              .due_at = T("2026-03-04T10:15:00Z")};
        char a[ESC_MAX_ID + 1], b[ESC_MAX_ID + 1];
        esc_timers_command_id("INC-1", &d, a, sizeof(a));
        esc_timers_command_id("INC-1", &d, b, sizeof(b));
        assert_string_equal(a, b);
        assert_string_equal(a, "timers:INC-1:sla_response:1772619300000000");

        d.type = ESC_CMD_RECORD_UPDATE_OVERDUE;
        d.reminder_no = 2;
        esc_timers_command_id("INC-1", &d, a, sizeof(a));
        assert_string_equal(a, "timers:INC-1:update_overdue:1772619300000000:2");

        char longid[ESC_MAX_ID + 1];
        memset(longid, 'x', ESC_MAX_ID);
        longid[ESC_MAX_ID] = '\0';
        esc_timers_command_id(longid, &d, a, sizeof(a));
        assert_true(strlen(a) <= ESC_MAX_ID);
        assert_non_null(strstr(a, "timers:h"));
        esc_command_t c;
        char err[512];
        assert_int_equal(
                esc_timers_command(longid, &d, T("2026-03-04T11:00:00Z"), &c, err, sizeof(err)), 0);
        assert_int_equal(esc_command_validate(&c, err, sizeof(err)), 0);
        assert_string_equal(c.actor, ESC_TIMERS_ACTOR);
        esc_command_clear(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sev1_without_ack_past_15_min_breaches_response),
                cmocka_unit_test(test_acknowledged_in_time_has_no_response_breach),
                cmocka_unit_test(test_late_ack_still_breaches_response_when_the_worker_was_away),
                cmocka_unit_test(test_promised_update_passed_reminds_1_then_2_after_a_cadence),
                cmocka_unit_test(test_customer_update_keeps_the_promise_and_ends_the_reminders),
                cmocka_unit_test(test_reminder_catch_up_sends_only_the_current_one),
                cmocka_unit_test(test_unowned_past_response_sla_pages_the_manager),
                cmocka_unit_test(test_owned_incident_pages_nobody),
                cmocka_unit_test(test_unowned_with_no_manager_configured_is_not_a_valid_command),
                cmocka_unit_test(test_resolution_not_met_in_4h_breaches_resolution),
                cmocka_unit_test(test_resolved_in_time_stops_update_and_resolution_clocks),
                cmocka_unit_test(test_sev1_review_not_completed_by_due_breaches_review),
                cmocka_unit_test(test_closed_incident_has_nothing_due),
                cmocka_unit_test(test_already_recorded_facts_are_not_due_again),
                cmocka_unit_test(test_command_ids_are_deterministic_and_fit),
        };
        return cmocka_run_group_tests(tests, fixture_up, fixture_down);
}
