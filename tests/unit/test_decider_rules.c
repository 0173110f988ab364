/* test_decider_rules.c — every guard of the escalation process, decided by
 * the pure decider: routing on open, the override guard, the communication
 * cadence, resolve-needs-review, close-needs-confirmation, the status
 * machine, record-back commands and retried commands. */
#include "test_decider_helpers.h"

/* ---- open: severity and routing ----------------------------------------- */

static void test_open_assigns_severity_deadlines_and_named_owners(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        assert_int_equal(open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_PRODUCTION_DOWN,
                                       ESC_TIER_STANDARD, 90, true),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.nevents, 5);
        const esc_event_t *e = D.events;
        assert_int_equal(e[0].type, ESC_EV_ESCALATION_OPENED);
        assert_string_equal(e[0].incident_id, "INC-1");
        assert_string_equal(e[0].actor, "dave");
        assert_non_null(e[0].command_id);
        assert_time(e[0].occurred_at, "2026-03-04T10:00:00Z");
        assert_string_equal(e[0].p.opened.account.id, "acme");
        assert_time(e[0].p.opened.detected_at, "2026-03-04T10:00:00Z");
        assert_null(e[0].p.opened.csm);

        assert_int_equal(e[1].type, ESC_EV_SEVERITY_ASSIGNED);
        assert_int_equal(e[1].p.sev_assigned.sev, 1);
        assert_int_equal(e[1].p.sev_assigned.matrix_sev, 1);
        assert_false(e[1].p.sev_assigned.bumped);
        assert_time(e[1].p.sev_assigned.response_due_at, "2026-03-04T10:15:00Z");
        assert_time(e[1].p.sev_assigned.next_update_due_at, "2026-03-04T10:15:00Z");
        assert_time(e[1].p.sev_assigned.resolution_due_at, "2026-03-04T14:00:00Z");

        /* The accountable owner from the on-call rotation, the account's
         * CSM, and for Sev 1/2 the CS manager. */
        assert_int_equal(e[2].type, ESC_EV_OWNER_ASSIGNED);
        assert_int_equal(e[2].p.owner_assigned.role, ESC_ROLE_ENGINEERING_OWNER);
        assert_string_equal(e[2].p.owner_assigned.person, "alice");
        assert_int_equal(e[2].p.owner_assigned.via, ESC_VIA_ROTATION);
        assert_int_equal(e[3].p.owner_assigned.role, ESC_ROLE_CSM);
        assert_string_equal(e[3].p.owner_assigned.person, "dave");
        assert_int_equal(e[4].p.owner_assigned.role, ESC_ROLE_CS_MANAGER);
        assert_string_equal(e[4].p.owner_assigned.person, "carol");

        assert_int_equal(st.status, ESC_STATUS_OPEN);
        assert_int_equal(st.sev, 1);
        assert_string_equal(st.owner, "alice");
        assert_string_equal(st.cs_manager, "carol");
        assert_true(st.seq == 5);
}

/* An open command that omits the CSM, the account's name or health gets
 * them from the policy's accounts (DESIGN §9): a Zendesk-opened incident
 * knows only the account id. */
static void test_open_fills_what_it_omits_from_the_policy_account(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        esc_command_t c = cmd(ESC_CMD_OPEN, "2026-03-04T10:00:00Z", "zendesk");
        c.p.open.account.id = esc_strdup("initech");
        c.p.open.account.health_score = -1;
        c.p.open.account.paying = true;
        c.p.open.product_area = esc_strdup("billing");
        c.p.open.title = esc_strdup("Reports time out");
        c.p.open.impact = ESC_IMPACT_DEGRADED_WITH_WORKAROUND;
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        const esc_event_t *e = D.events;
        assert_string_equal(e[0].p.opened.account.name, "Initech Inc");
        assert_int_equal(e[0].p.opened.account.health_score, 45);
        /* health 45 < 60 bumps the Sev 3 to Sev 2. */
        assert_int_equal(e[1].p.sev_assigned.sev, 2);
        assert_true(e[1].p.sev_assigned.bumped);
        assert_int_equal(e[3].p.owner_assigned.role, ESC_ROLE_CSM);
        assert_string_equal(e[3].p.owner_assigned.person, "gina");
        assert_string_equal(st.csm, "gina");

        /* What the command gives wins. */
        esc_state_init(&st);
        c = cmd(ESC_CMD_OPEN, "2026-03-04T10:00:00Z", "dave");
        c.p.open.account.id = esc_strdup("initech");
        c.p.open.account.name = esc_strdup("Initech (EU)");
        c.p.open.account.health_score = 90;
        c.p.open.account.paying = true;
        c.p.open.product_area = esc_strdup("billing");
        c.p.open.title = esc_strdup("Reports time out");
        c.p.open.impact = ESC_IMPACT_DEGRADED_WITH_WORKAROUND;
        c.p.open.csm = esc_strdup("dave");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_string_equal(D.events[0].p.opened.account.name, "Initech (EU)");
        assert_int_equal(D.events[0].p.opened.account.health_score, 90);
        assert_int_equal(D.events[1].p.sev_assigned.sev, 3);
        assert_string_equal(st.csm, "dave");
}

static void test_decider_leaves_seq_ids_and_hashes_to_the_worker(void **s)
{
        esc_command_t c = cmd(ESC_CMD_OPEN, "2026-03-04T10:00:00Z", "dave");
        c.p.open.account.id = esc_strdup("acme");
        c.p.open.product_area = esc_strdup("billing");
        c.p.open.title = esc_strdup("Invoices fail");
        c.source.system = esc_strdup("zendesk");
        c.source.ticket_id = esc_strdup("4711");
        esc_decision_t d;
        assert_int_equal(esc_decide(P, NULL, &c, &d), ESC_VERDICT_ACCEPTED);
        uint8_t zero[ESC_HASH_LEN] = {0};
        for (int i = 0; i < d.nevents; i++) {
                const esc_event_t *e = &d.events[i];
                assert_true(e->seq == 0);
                assert_null(e->event_id);
                assert_null(e->policy_version);
                assert_true(e->recorded_at == ESC_TIME_NONE);
                assert_int_equal(e->command_partition, -1);
                assert_true(e->command_offset == -1);
                assert_memory_equal(e->hash, zero, ESC_HASH_LEN);
                /* ... and fills the rest from the command. */
                assert_string_equal(e->command_id, c.command_id);
                assert_string_equal(e->source.system, "zendesk");
                assert_string_equal(e->source.ticket_id, "4711");
                assert_time(e->occurred_at, "2026-03-04T10:00:00Z");
        }
        esc_decision_clear(&d);
        esc_command_clear(&c);
}

static void test_on_call_owner_is_whoever_holds_the_rotation_at_that_instant(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        /* Billing rotates weekly on Monday 09:00 Berlin: bob has 2026-01-12. */
        open_incident(&st, "2026-01-13T10:00:00Z", ESC_IMPACT_COSMETIC, ESC_TIER_STANDARD, 90,
                      true);
        assert_int_equal(D.events[2].p.owner_assigned.role, ESC_ROLE_ENGINEERING_OWNER);
        assert_string_equal(D.events[2].p.owner_assigned.person, "bob");
}

static void test_sev3_open_does_not_invite_the_cs_manager(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-06T16:00:00Z", ESC_IMPACT_DEGRADED_WITH_WORKAROUND,
                      ESC_TIER_STANDARD, 90, true);
        assert_int_equal(D.nevents, 4);
        for (int i = 0; i < D.nevents; i++)
                if (D.events[i].type == ESC_EV_OWNER_ASSIGNED)
                        assert_int_not_equal(D.events[i].p.owner_assigned.role,
                                             ESC_ROLE_CS_MANAGER);
        /* 1bd response on the office calendar: Friday 16:00 -> Monday 16:00. */
        assert_time(D.events[1].p.sev_assigned.response_due_at, "2026-03-09T16:00:00Z");
        assert_time(D.events[1].p.sev_assigned.resolution_due_at, "2026-03-13T16:00:00Z");
}

static void test_sev3_on_strategic_account_becomes_sev2_with_the_reason_recorded(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_DEGRADED_WITH_WORKAROUND,
                      ESC_TIER_STRATEGIC, 90, true);
        const esc_sev_assigned_t *a = &D.events[1].p.sev_assigned;
        assert_int_equal(a->sev, 2);
        assert_int_equal(a->matrix_sev, 3);
        assert_true(a->bumped);
        assert_int_equal(a->bump_reasons.n, 1);
        assert_string_equal(a->bump_reasons.v[0], "tier == strategic");
        assert_int_equal(D.events[D.nevents - 1].p.owner_assigned.role, ESC_ROLE_CS_MANAGER);
}

static void test_non_paying_production_down_opens_as_sev2(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_PRODUCTION_DOWN, ESC_TIER_STANDARD,
                      90, false);
        assert_int_equal(D.events[1].p.sev_assigned.sev, 2);
        assert_int_equal(D.events[1].p.sev_assigned.matrix_sev, 2);
        assert_time(D.events[1].p.sev_assigned.response_due_at, "2026-03-04T11:00:00Z");
}

static void test_duplicate_open_is_incident_exists(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_COSMETIC, ESC_TIER_STANDARD, 90,
                      true);
        assert_rejected(open_incident(&st, "2026-03-04T11:00:00Z", ESC_IMPACT_COSMETIC,
                                      ESC_TIER_STANDARD, 90, true),
                        ESC_REJ_INCIDENT_EXISTS);
        assert_string_equal(D.events[0].p.rejected.command_type, "open");
}

static void test_open_fields_are_checked_and_named(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        esc_command_t c = cmd(ESC_CMD_OPEN, "2026-03-04T10:00:00Z", "dave");
        c.p.open.account.id = esc_strdup("acme");
        c.p.open.product_area = esc_strdup("billing");
        c.p.open.title = esc_strdup("   ");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "open.title"));
        assert_int_equal(st.status, ESC_STATUS_NONE);

        c = cmd(ESC_CMD_OPEN, "2026-03-04T10:00:00Z", "dave");
        c.p.open.account.id = esc_strdup("acme");
        c.p.open.product_area = esc_strdup("billing");
        c.p.open.title = esc_strdup("bad \xff byte");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "title"));
        assert_non_null(strstr(D.events[0].p.rejected.message, "UTF-8"));

        c = cmd(ESC_CMD_OPEN, "2026-03-04T10:00:00Z", "dave");
        c.p.open.account.id = esc_strdup("acme");
        c.p.open.title = esc_strdup("ok");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "product_area"));
}

static void test_any_command_on_an_unknown_incident_is_unknown_incident(void **s)
{
        for (int t = 0; t < ESC_CMD__COUNT; t++) {
                if (t == ESC_CMD_OPEN)
                        continue;
                esc_state_t st;
                esc_state_init(&st);
                esc_command_t c = cmd((esc_command_type_t)t, "2026-03-04T10:00:00Z", "carol");
                assert_rejected(apply(&st, &c), ESC_REJ_UNKNOWN_INCIDENT);
                assert_string_equal(D.events[0].p.rejected.command_type,
                                    esc_command_type_name((esc_command_type_t)t));
        }
        /* Also with no state at all. */
        esc_command_t c = cmd(ESC_CMD_ACK, "2026-03-04T10:00:00Z", "carol");
        esc_decision_clear(&D);
        assert_int_equal(esc_decide(P, NULL, &c, &D), ESC_VERDICT_REJECTED);
        assert_string_equal(esc_decision_code(&D), ESC_REJ_UNKNOWN_INCIDENT);
        esc_command_clear(&c);
}

/* ---- severity inflation guard ------------------------------------------- */

static void test_override_by_someone_not_a_cs_manager_is_refused_and_recorded(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        int64_t seq = st.seq;
        assert_rejected(override(&st, "2026-03-04T11:00:00Z", 1, "dave", "customer is angry"),
                        ESC_REJ_OVERRIDE_REQUIRES_MANAGER);
        assert_string_equal(D.events[0].p.rejected.command_type, "override");
        assert_string_equal(D.events[0].actor, "dave");
        /* The refusal is itself an event in the incident's log. */
        assert_true(st.seq == seq + 1);
        assert_int_equal(st.sev, 3);
        /* Not listed at all. */
        assert_rejected(override(&st, "2026-03-04T11:00:00Z", 1, "mallory", "because"),
                        ESC_REJ_OVERRIDE_REQUIRES_MANAGER);
}

static void test_override_requires_a_one_line_reason(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        assert_rejected(override(&st, "2026-03-04T11:00:00Z", 1, "carol", ""),
                        ESC_REJ_OVERRIDE_REQUIRES_REASON);
        assert_rejected(override(&st, "2026-03-04T11:00:00Z", 1, "carol", "  \t"),
                        ESC_REJ_OVERRIDE_REQUIRES_REASON);
        assert_rejected(override(&st, "2026-03-04T11:00:00Z", 1, "carol", NULL),
                        ESC_REJ_OVERRIDE_REQUIRES_REASON);
        assert_rejected(override(&st, "2026-03-04T11:00:00Z", 1, "carol", "line one\nline two"),
                        ESC_REJ_OVERRIDE_REQUIRES_REASON);
        assert_int_equal(st.sev, 3);
}

static void test_override_recomputes_deadlines_from_the_open_instant(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-06T16:00:00Z", ESC_IMPACT_DEGRADED_WITH_WORKAROUND,
                      ESC_TIER_STANDARD, 90, true);
        assert_int_equal(override(&st, "2026-03-06T16:05:00Z", 1, "carol",
                                  "Finance close is blocked at renewal time"),
                         ESC_VERDICT_ACCEPTED);
        const esc_sev_overridden_t *o = &D.events[0].p.sev_overridden;
        assert_int_equal(D.events[0].type, ESC_EV_SEVERITY_OVERRIDDEN);
        assert_int_equal(o->from_sev, 3);
        assert_int_equal(o->to_sev, 1);
        assert_string_equal(o->by, "carol");
        assert_string_equal(o->reason, "Finance close is blocked at renewal time");
        assert_time(o->response_due_at, "2026-03-06T16:15:00Z");
        assert_time(o->next_update_due_at, "2026-03-06T16:15:00Z");
        assert_time(o->resolution_due_at, "2026-03-06T20:00:00Z");
        /* Now a Sev 1: the CS manager for billing is invited (the policy
         * default; the "*" rotation's erin is for other areas). */
        assert_int_equal(D.nevents, 2);
        assert_int_equal(D.events[1].p.owner_assigned.role, ESC_ROLE_CS_MANAGER);
        assert_string_equal(D.events[1].p.owner_assigned.person, "carol");
        assert_int_equal(st.sev, 1);
        assert_true(st.resolution_due_at == T("2026-03-06T20:00:00Z"));

        /* Once acknowledged, the new cadence runs from the override. */
        ack(&st, "2026-03-06T16:10:00Z", "We are on it; Sev 1; next update 16:40",
            "2026-03-06T16:40:00Z");
        assert_int_equal(override(&st, "2026-03-06T17:00:00Z", 2, "carol",
                                  "Workaround found, back to Sev 2"),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.nevents, 1);
        assert_time(D.events[0].p.sev_overridden.next_update_due_at, "2026-03-06T19:00:00Z");
        assert_time(D.events[0].p.sev_overridden.resolution_due_at, "2026-03-09T16:00:00Z");
}

static void test_override_to_the_same_sev_is_invalid_field(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        assert_rejected(override(&st, "2026-03-04T11:00:00Z", 3, "carol", "no change"),
                        ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "to_sev"));
        assert_rejected(override(&st, "2026-03-04T11:00:00Z", 7, "carol", "too far"),
                        ESC_REJ_INVALID_FIELD);
}

/* ---- communication cadence ---------------------------------------------- */

static void test_ack_needs_a_message_and_a_next_update_time(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_PRODUCTION_DOWN, ESC_TIER_STANDARD,
                      90, true);
        assert_rejected(ack(&st, "2026-03-04T10:05:00Z", "", "2026-03-04T10:35:00Z"),
                        ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "ack.message"));
        assert_rejected(ack(&st, "2026-03-04T10:05:00Z", "Looking", NULL), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "ack.next_update_at"));
        assert_rejected(ack(&st, "2026-03-04T10:05:00Z", "Looking", "2026-03-04T10:00:00Z"),
                        ESC_REJ_INVALID_FIELD);
        assert_int_equal(st.status, ESC_STATUS_OPEN);

        assert_int_equal(ack(&st, "2026-03-04T10:05:00Z",
                             "Invoices fail for Acme; Sev 1; next update 10:35",
                             "2026-03-04T10:35:00Z"),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].type, ESC_EV_ACKNOWLEDGED);
        assert_string_equal(D.events[0].p.acknowledged.by, "alice");
        assert_time(D.events[0].p.acknowledged.next_update_at, "2026-03-04T10:35:00Z");
        assert_int_equal(st.status, ESC_STATUS_ACKNOWLEDGED);
        assert_true(st.acknowledged_at == T("2026-03-04T10:05:00Z"));
        assert_true(st.next_update_due_at == T("2026-03-04T10:35:00Z"));
}

static void test_updates_carry_audience_and_the_next_promise(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_PRODUCTION_DOWN, ESC_TIER_STANDARD,
                      90, true);
        ack(&st, "2026-03-04T10:05:00Z", "On it", "2026-03-04T10:35:00Z");

        esc_command_t c = cmd(ESC_CMD_UPDATE, "2026-03-04T10:30:00Z", "dave");
        c.p.update.by = esc_strdup("dave");
        c.p.update.audience = ESC_AUDIENCE_INTERNAL;
        c.p.update.body = esc_strdup("the retry storm is hammering the queue");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].p.update_posted.audience, ESC_AUDIENCE_INTERNAL);
        assert_time(D.events[0].p.update_posted.next_update_at, "none");
        /* Internal chatter does not move the customer's clock. */
        assert_true(st.next_update_due_at == T("2026-03-04T10:35:00Z"));

        /* "Still investigating" is a valid update; without a named time the
         * Sev 1 cadence (30m) is the promise. */
        c = cmd(ESC_CMD_UPDATE, "2026-03-04T10:34:00Z", "dave");
        c.p.update.by = esc_strdup("dave");
        c.p.update.audience = ESC_AUDIENCE_EXTERNAL;
        c.p.update.body = esc_strdup("Still investigating, next update at 11:04");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_time(D.events[0].p.update_posted.next_update_at, "2026-03-04T11:04:00Z");
        assert_true(st.next_update_due_at == T("2026-03-04T11:04:00Z"));

        c = cmd(ESC_CMD_UPDATE, "2026-03-04T10:40:00Z", "dave");
        c.p.update.by = esc_strdup("dave");
        c.p.update.audience = ESC_AUDIENCE_EXTERNAL;
        c.p.update.body = esc_strdup("Fix deploying");
        c.p.update.next_update_at = T("2026-03-04T10:50:00Z");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_time(D.events[0].p.update_posted.next_update_at, "2026-03-04T10:50:00Z");

        c = cmd(ESC_CMD_UPDATE, "2026-03-04T10:41:00Z", "dave");
        c.p.update.by = esc_strdup("dave");
        c.p.update.body = esc_strdup("");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "update.body"));

        c = cmd(ESC_CMD_UPDATE, "2026-03-04T10:41:00Z", "dave");
        c.p.update.by = esc_strdup("dave");
        c.p.update.body = esc_strdup("ok");
        c.p.update.audience = (esc_audience_t)5;
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "audience"));
}

/* ---- closing without root cause ----------------------------------------- */

static void test_sev1_cannot_be_resolved_until_a_review_has_corrective_actions(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_DATA_LOSS, ESC_TIER_STANDARD, 90,
                      true);
        ack(&st, "2026-03-04T10:05:00Z", "On it", "2026-03-04T10:35:00Z");
        assert_rejected(by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-04T12:00:00Z", "alice"),
                        ESC_REJ_RESOLVE_REQUIRES_REVIEW);
        assert_int_equal(review_open(&st, "2026-03-04T12:01:00Z"), ESC_VERDICT_ACCEPTED);
        assert_rejected(by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-04T12:02:00Z", "alice"),
                        ESC_REJ_RESOLVE_REQUIRES_REVIEW);
        assert_non_null(strstr(D.events[0].p.rejected.message, "corrective action"));
        assert_int_equal(review_action(&st, "2026-03-04T12:03:00Z", "bob", "2026-03-20"),
                         ESC_VERDICT_ACCEPTED);
        assert_string_equal(D.events[0].p.action_added.action_id, "A1");
        assert_int_equal(by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-04T12:04:00Z", "alice"),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].type, ESC_EV_RESOLVED);
        assert_int_equal(st.status, ESC_STATUS_RESOLVED);
}

static void test_sev2_needs_the_review_too_but_sev3_does_not(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_MAJOR_FEATURE_BROKEN,
                      ESC_TIER_STANDARD, 90, true);
        ack(&st, "2026-03-04T10:05:00Z", "On it", "2026-03-04T11:00:00Z");
        assert_rejected(by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-04T12:00:00Z", "alice"),
                        ESC_REJ_RESOLVE_REQUIRES_REVIEW);

        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        assert_int_equal(by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-04T12:00:00Z", "alice"),
                         ESC_VERDICT_ACCEPTED);
}

static void test_corrective_actions_need_an_owner_and_a_due_date(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        assert_rejected(review_action(&st, "2026-03-04T11:00:00Z", "bob", "2026-03-20"),
                        ESC_REJ_INVALID_TRANSITION); /* no review yet */
        review_open(&st, "2026-03-04T11:00:00Z");
        assert_rejected(review_action(&st, "2026-03-04T11:00:00Z", NULL, "2026-03-20"),
                        ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "owner"));
        assert_rejected(review_action(&st, "2026-03-04T11:00:00Z", " ", "2026-03-20"),
                        ESC_REJ_INVALID_FIELD);
        assert_rejected(review_action(&st, "2026-03-04T11:00:00Z", "bob", NULL),
                        ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "due_date"));
        assert_int_equal(st.nactions, 0);
        assert_int_equal(review_action(&st, "2026-03-04T11:00:00Z", "bob", "2026-03-20"),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(st.nactions, 1);
        assert_int_equal(st.nactions_complete, 1);
}

static void test_review_is_due_5_business_days_after_resolution(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-06T16:00:00Z", "alice");
        assert_int_equal(review_open(&st, "2026-03-09T10:00:00Z"), ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].type, ESC_EV_REVIEW_OPENED);
        assert_time(D.events[0].p.review_opened.due_at, "2026-03-13T16:00:00Z");
        assert_rejected(review_open(&st, "2026-03-09T10:00:00Z"), ESC_REJ_INVALID_TRANSITION);

        /* Opened before resolution (as Sev 1/2 must): due from the opening. */
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        review_open(&st, "2026-03-04T11:00:00Z");
        assert_time(D.events[0].p.review_opened.due_at, "2026-03-11T11:00:00Z");
}

static void test_review_completes_with_a_root_cause_and_five_whys(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        esc_command_t c = cmd(ESC_CMD_REVIEW_COMPLETE, "2026-03-05T10:00:00Z", "carol");
        c.p.review_complete.root_cause = esc_strdup("x");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_TRANSITION);
        review_open(&st, "2026-03-05T10:00:00Z");
        c = cmd(ESC_CMD_REVIEW_COMPLETE, "2026-03-05T10:00:00Z", "carol");
        c.p.review_complete.root_cause = esc_strdup(" ");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "root_cause"));
        c = cmd(ESC_CMD_REVIEW_COMPLETE, "2026-03-05T10:00:00Z", "carol");
        c.p.review_complete.root_cause =
                esc_strdup("alerts route to email, which the CSM does not monitor in EU hours");
        esc_strlist_push(&c.p.review_complete.five_whys, "the CSM did not see the alert");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].p.review_completed.five_whys.n, 1);
        assert_true(st.flags & ESC_ST_REVIEW_COMPLETED);
        assert_rejected(review_action(&st, "2026-03-05T11:00:00Z", "bob", "2026-03-20"),
                        ESC_REJ_INVALID_TRANSITION);
}

/* ---- close explicitly --------------------------------------------------- */

static void test_close_needs_the_customers_confirmation(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-05T10:00:00Z", "alice");
        assert_rejected(by_cmd(&st, ESC_CMD_CLOSE, "2026-03-05T11:00:00Z", "dave"),
                        ESC_REJ_CLOSE_REQUIRES_CONFIRMATION);
        assert_int_equal(by_cmd(&st, ESC_CMD_CONFIRM, "2026-03-05T12:00:00Z", "dave"),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(st.status, ESC_STATUS_CONFIRMED);
        assert_int_equal(by_cmd(&st, ESC_CMD_CLOSE, "2026-03-05T12:05:00Z", "dave"),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].type, ESC_EV_CLOSED);
        assert_true(D.events[0].p.closed.confirmed);
        assert_int_equal(st.status, ESC_STATUS_CLOSED);
}

static esc_decision_verdict_t close_unconfirmed(esc_state_t *st, const char *by, const char *reason)
{
        esc_command_t c = cmd(ESC_CMD_CLOSE, "2026-03-06T10:00:00Z", by);
        c.p.close.by = esc_strdup(by);
        c.p.close.confirmed = false;
        c.p.close.reason = esc_strdup(reason);
        return apply(st, &c);
}

static void test_unconfirmed_close_only_by_a_cs_manager_with_a_reason(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-05T10:00:00Z", "alice");
        assert_rejected(close_unconfirmed(&st, "dave", "customer unresponsive for a week"),
                        ESC_REJ_CLOSE_REQUIRES_CONFIRMATION);
        assert_rejected(close_unconfirmed(&st, "carol", NULL), ESC_REJ_CLOSE_REQUIRES_CONFIRMATION);
        assert_rejected(close_unconfirmed(&st, "carol", "two\nlines"),
                        ESC_REJ_CLOSE_REQUIRES_CONFIRMATION);
        assert_int_equal(st.status, ESC_STATUS_RESOLVED);
        assert_int_equal(close_unconfirmed(&st, "carol", "customer unresponsive for a week"),
                         ESC_VERDICT_ACCEPTED);
        assert_false(D.events[0].p.closed.confirmed);
        assert_string_equal(D.events[0].p.closed.reason, "customer unresponsive for a week");
        assert_int_equal(st.status, ESC_STATUS_CLOSED);
}

/* ---- the status machine ------------------------------------------------- */

static void test_out_of_order_commands_are_invalid_transitions(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_COSMETIC, ESC_TIER_STANDARD, 90,
                      true);
        /* open: only ack moves it on. */
        assert_rejected(by_cmd(&st, ESC_CMD_MITIGATE, "2026-03-04T10:01:00Z", "alice"),
                        ESC_REJ_INVALID_TRANSITION);
        assert_rejected(by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-04T10:01:00Z", "alice"),
                        ESC_REJ_INVALID_TRANSITION);
        assert_rejected(by_cmd(&st, ESC_CMD_CONFIRM, "2026-03-04T10:01:00Z", "dave"),
                        ESC_REJ_INVALID_TRANSITION);
        assert_rejected(by_cmd(&st, ESC_CMD_CLOSE, "2026-03-04T10:01:00Z", "dave"),
                        ESC_REJ_INVALID_TRANSITION);
        esc_command_t c = cmd(ESC_CMD_REOPEN, "2026-03-04T10:01:00Z", "dave");
        c.p.reopen.by = esc_strdup("dave");
        c.p.reopen.reason = esc_strdup("again");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_TRANSITION);
        assert_non_null(strstr(D.events[0].p.rejected.message, "open"));

        ack(&st, "2026-03-04T10:02:00Z", "On it", "2026-03-05T10:00:00Z");
        assert_rejected(ack(&st, "2026-03-04T10:03:00Z", "again", "2026-03-05T10:00:00Z"),
                        ESC_REJ_INVALID_TRANSITION);
        assert_rejected(by_cmd(&st, ESC_CMD_CONFIRM, "2026-03-04T10:03:00Z", "dave"),
                        ESC_REJ_INVALID_TRANSITION);
        /* Mitigation is optional, but only before resolution. */
        assert_int_equal(by_cmd(&st, ESC_CMD_MITIGATE, "2026-03-04T11:00:00Z", "alice"),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(st.status, ESC_STATUS_MITIGATED);
        assert_rejected(by_cmd(&st, ESC_CMD_MITIGATE, "2026-03-04T11:01:00Z", "alice"),
                        ESC_REJ_INVALID_TRANSITION);
        assert_int_equal(by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-04T12:00:00Z", "alice"),
                         ESC_VERDICT_ACCEPTED);
        by_cmd(&st, ESC_CMD_CONFIRM, "2026-03-04T13:00:00Z", "dave");
        by_cmd(&st, ESC_CMD_CLOSE, "2026-03-04T13:01:00Z", "dave");
        /* Closed: nothing but reopen, reviews and records. */
        assert_rejected(by_cmd(&st, ESC_CMD_CLOSE, "2026-03-04T13:02:00Z", "dave"),
                        ESC_REJ_INVALID_TRANSITION);
        assert_rejected(override(&st, "2026-03-04T13:02:00Z", 1, "carol", "late"),
                        ESC_REJ_INVALID_TRANSITION);
        c = cmd(ESC_CMD_UPDATE, "2026-03-04T13:02:00Z", "dave");
        c.p.update.by = esc_strdup("dave");
        c.p.update.body = esc_strdup("hello");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_TRANSITION);
        c = cmd(ESC_CMD_ASSIGN, "2026-03-04T13:02:00Z", "carol");
        c.p.assign.role = ESC_ROLE_CSM;
        c.p.assign.person = esc_strdup("erin");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_TRANSITION);
}

static void test_reopen_from_closed_goes_back_to_work_and_needs_a_reason(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-04T12:00:00Z", "alice");
        by_cmd(&st, ESC_CMD_CONFIRM, "2026-03-04T13:00:00Z", "dave");
        by_cmd(&st, ESC_CMD_CLOSE, "2026-03-04T13:01:00Z", "dave");
        esc_command_t c = cmd(ESC_CMD_REOPEN, "2026-03-05T09:00:00Z", "dave");
        c.p.reopen.by = esc_strdup("dave");
        c.p.reopen.reason = esc_strdup("");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "reopen.reason"));
        c = cmd(ESC_CMD_REOPEN, "2026-03-05T09:00:00Z", "dave");
        c.p.reopen.by = esc_strdup("dave");
        c.p.reopen.reason = esc_strdup("Exports are slow again");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].type, ESC_EV_REOPENED);
        assert_int_equal(st.status, ESC_STATUS_ACKNOWLEDGED);
        assert_true(st.resolved_at == ESC_TIME_NONE);
        assert_int_equal(by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-05T12:00:00Z", "alice"),
                         ESC_VERDICT_ACCEPTED);
        /* From resolved straight back, too. */
        c = cmd(ESC_CMD_REOPEN, "2026-03-05T13:00:00Z", "dave");
        c.p.reopen.by = esc_strdup("dave");
        c.p.reopen.reason = esc_strdup("Not fixed for EU users");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
}

static void test_assign_records_a_manual_owner(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        esc_command_t c = cmd(ESC_CMD_ASSIGN, "2026-03-04T11:00:00Z", "carol");
        c.p.assign.role = ESC_ROLE_ENGINEERING_OWNER;
        c.p.assign.person = esc_strdup("frank");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].p.owner_assigned.via, ESC_VIA_MANUAL);
        assert_string_equal(st.owner, "frank");
        c = cmd(ESC_CMD_ASSIGN, "2026-03-04T11:00:00Z", "carol");
        c.p.assign.role = ESC_ROLE_CSM;
        c.p.assign.person = esc_strdup("");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
}

/* ---- retried commands and record-back facts ----------------------------- */

static void test_a_retried_command_id_is_a_duplicate_with_no_new_events(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        int open_no = cmd_counter;
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_COSMETIC, ESC_TIER_STANDARD, 90,
                      true);
        esc_command_t c = cmd(ESC_CMD_ACK, "2026-03-04T10:01:00Z", "alice");
        c.p.ack.by = esc_strdup("alice");
        c.p.ack.message = esc_strdup("On it");
        c.p.ack.next_update_at = T("2026-03-05T10:00:00Z");
        esc_command_t retry;
        esc_command_copy(&retry, &c);
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        int64_t seq = st.seq;
        assert_int_equal(apply(&st, &retry), ESC_VERDICT_DUPLICATE);
        assert_int_equal(D.nevents, 0);
        assert_true(st.seq == seq);

        /* A rejected command is remembered too: its retry is not re-decided. */
        c = cmd(ESC_CMD_OVERRIDE, "2026-03-04T10:02:00Z", "dave");
        c.p.override.to_sev = 1;
        c.p.override.by = esc_strdup("dave");
        c.p.override.reason = esc_strdup("x");
        esc_command_copy(&retry, &c);
        assert_rejected(apply(&st, &c), ESC_REJ_OVERRIDE_REQUIRES_MANAGER);
        assert_int_equal(apply(&st, &retry), ESC_VERDICT_DUPLICATE);
        /* And a retried open is a duplicate, not incident_exists. */
        cmd_counter = open_no; /* the next command reuses the open's id */
        assert_int_equal(open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_COSMETIC,
                                       ESC_TIER_STANDARD, 90, true),
                         ESC_VERDICT_DUPLICATE);
}

static void test_command_memory_holds_the_last_16_commands_of_an_incident(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        open_incident(&st, "2026-03-04T10:00:00Z", ESC_IMPACT_COSMETIC, ESC_TIER_STANDARD, 90,
                      true);
        esc_command_t first = cmd(ESC_CMD_UPDATE, "2026-03-04T10:01:00Z", "dave");
        first.p.update.by = esc_strdup("dave");
        first.p.update.audience = ESC_AUDIENCE_INTERNAL;
        first.p.update.body = esc_strdup("note");
        esc_command_t retry;
        for (int i = 0; i < ESC_STATE_DEDUP; i++) {
                esc_command_t c;
                esc_command_copy(&c, &first);
                if (i > 0) {
                        free(c.command_id);
                        char id[16];
                        snprintf(id, sizeof(id), "u-%d", i);
                        c.command_id = esc_strdup(id);
                }
                assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        }
        esc_command_copy(&retry, &first);
        assert_int_equal(apply(&st, &retry), ESC_VERDICT_DUPLICATE);
        /* One more distinct command pushes the first id out: documented
         * trade-off, the worker's offset bookkeeping covers older retries. */
        esc_command_copy(&retry, &first);
        free(retry.command_id);
        retry.command_id = esc_strdup("u-last");
        assert_int_equal(apply(&st, &retry), ESC_VERDICT_ACCEPTED);
        assert_int_equal(apply(&st, &first), ESC_VERDICT_ACCEPTED);
}

static void test_record_back_commands_become_their_events(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        esc_command_t c = cmd(ESC_CMD_RECORD_CHANNEL, "2026-03-04T10:01:00Z", "actions");
        c.p.record_channel.slack_channel_id = esc_strdup("C123");
        c.p.record_channel.name = esc_strdup("esc-acme-2026-03-04");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].type, ESC_EV_CHANNEL_CREATED);
        assert_string_equal(D.events[0].p.channel_created.name, "esc-acme-2026-03-04");

        c = cmd(ESC_CMD_RECORD_TRACKING_ISSUE, "2026-03-04T10:01:00Z", "actions");
        c.p.record_tracking_issue.system = esc_strdup("linear");
        c.p.record_tracking_issue.issue_id = esc_strdup("ENG-1");
        c.p.record_tracking_issue.url = esc_strdup("https://linear.app/x/issue/ENG-1");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].type, ESC_EV_TRACKING_ISSUE_LINKED);

        c = cmd(ESC_CMD_RECORD_PAGE, "2026-03-04T10:01:00Z", "actions");
        c.p.record_page.service = esc_strdup("billing");
        c.p.record_page.dedup_key = esc_strdup("INC-1");
        c.p.record_page.to = esc_strdup("alice");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].type, ESC_EV_PAGE_SENT);

        c = cmd(ESC_CMD_RECORD_UPDATE_OVERDUE, "2026-03-05T10:01:00Z", "timers");
        c.p.record_update_overdue.due_at = T("2026-03-05T10:00:00Z");
        c.p.record_update_overdue.reminder_no = 1;
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].p.update_overdue.reminder_no, 1);

        c = cmd(ESC_CMD_RECORD_SLA_BREACH, "2026-03-05T10:01:00Z", "timers");
        c.p.record_sla_breach.clock = ESC_CLOCK_RESOLUTION;
        c.p.record_sla_breach.due_at = T("2026-03-05T10:00:00Z");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.events[0].p.sla_breached.clock, ESC_CLOCK_RESOLUTION);

        c = cmd(ESC_CMD_RECORD_UNOWNED_ESCALATION, "2026-03-05T10:01:00Z", "timers");
        c.p.record_unowned_escalation.due_at = T("2026-03-05T10:00:00Z");
        c.p.record_unowned_escalation.paged = esc_strdup("carol");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        assert_string_equal(D.events[0].p.unowned_escalated.paged, "carol");

        c = cmd(ESC_CMD_RECORD_CHANNEL, "2026-03-04T10:01:00Z", "actions");
        c.p.record_channel.slack_channel_id = esc_strdup("C123");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "name"));
}

static void test_identical_record_repeat_is_a_duplicate_and_a_new_fact_is_not(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        for (int i = 0; i < 2; i++) {
                esc_command_t c = cmd(ESC_CMD_RECORD_SLA_BREACH, "2026-03-05T10:01:00Z", "timers");
                c.p.record_sla_breach.clock = ESC_CLOCK_RESPONSE;
                c.p.record_sla_breach.due_at = T("2026-03-05T10:00:00Z");
                assert_int_equal(apply(&st, &c),
                                 i == 0 ? ESC_VERDICT_ACCEPTED : ESC_VERDICT_DUPLICATE);
        }
        /* Same due time on another clock is another fact. */
        esc_command_t c = cmd(ESC_CMD_RECORD_SLA_BREACH, "2026-03-05T10:01:00Z", "timers");
        c.p.record_sla_breach.clock = ESC_CLOCK_UPDATE;
        c.p.record_sla_breach.due_at = T("2026-03-05T10:00:00Z");
        assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        /* The next reminder is a new fact. */
        for (int i = 1; i <= 2; i++) {
                c = cmd(ESC_CMD_RECORD_UPDATE_OVERDUE, "2026-03-05T10:01:00Z", "timers");
                c.p.record_update_overdue.due_at = T("2026-03-05T10:00:00Z");
                c.p.record_update_overdue.reminder_no = i;
                assert_int_equal(apply(&st, &c), ESC_VERDICT_ACCEPTED);
        }
        c = cmd(ESC_CMD_RECORD_UPDATE_OVERDUE, "2026-03-05T10:01:00Z", "timers");
        c.p.record_update_overdue.due_at = T("2026-03-05T10:00:00Z");
        c.p.record_update_overdue.reminder_no = 2;
        assert_int_equal(apply(&st, &c), ESC_VERDICT_DUPLICATE);
}

/* ---- the outbox's record-back (DESIGN §9) -------------------------------- */

static esc_command_t outbound(const char *at, const char *target, const char *key,
                              const char *external_id, const char *status)
{
        esc_command_t c = cmd(ESC_CMD_RECORD_OUTBOUND, at, "esc-actions");
        c.p.record_outbound.target = esc_strdup(target);
        c.p.record_outbound.key = esc_strdup(key);
        c.p.record_outbound.external_id = esc_strdup(external_id);
        c.p.record_outbound.status = esc_strdup(status);
        return c;
}

/* Accepted, and the incident's lifecycle is as it was. */
static void assert_outbound_recorded(esc_state_t *st, esc_command_t *c)
{
        esc_lifecycle_t before;
        uint8_t sev = st->sev, flags = st->flags;
        int64_t seq = st->seq;
        char target[64], key[256], status[64], external_id[256];

        memcpy(&before, &st->lc, sizeof(before));
        snprintf(target, sizeof(target), "%s", c->p.record_outbound.target);
        snprintf(key, sizeof(key), "%s", c->p.record_outbound.key);
        snprintf(status, sizeof(status), "%s", c->p.record_outbound.status);
        snprintf(external_id, sizeof(external_id), "%s",
                 c->p.record_outbound.external_id ? c->p.record_outbound.external_id : "(null)");
        assert_int_equal(apply(st, c), ESC_VERDICT_ACCEPTED);
        assert_int_equal(D.nevents, 1);
        assert_int_equal(D.events[0].type, ESC_EV_OUTBOUND_RECORDED);
        assert_string_equal(D.events[0].actor, "esc-actions");
        assert_string_equal(D.events[0].p.outbound_recorded.target, target);
        assert_string_equal(D.events[0].p.outbound_recorded.key, key);
        assert_string_equal(D.events[0].p.outbound_recorded.status, status);
        if (strcmp(external_id, "(null)"))
                assert_string_equal(D.events[0].p.outbound_recorded.external_id, external_id);
        else
                assert_null(D.events[0].p.outbound_recorded.external_id);
        assert_true(st->seq == seq + 1);
        assert_memory_equal(&st->lc, &before, sizeof(before));
        assert_int_equal(st->sev, sev);
        assert_int_equal(st->flags, flags);
}

static void test_record_outbound_is_recorded_in_every_status_and_moves_nothing(void **s)
{
        esc_state_t st;
        esc_command_t c;
        esc_state_init(&st);
        assert_int_equal(open_incident(&st, "2026-03-04T10:00:00Z",
                                       ESC_IMPACT_DEGRADED_WITH_WORKAROUND, ESC_TIER_STANDARD, 90,
                                       true),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(st.status, ESC_STATUS_OPEN);
        c = outbound("2026-03-04T10:00:05Z", "slack", "slack:post:2", "1772618405.000100", "done");
        assert_outbound_recorded(&st, &c);
        assert_int_equal(st.status, ESC_STATUS_OPEN);
        c = outbound("2026-03-04T10:00:06Z", "linear", "linear:create:2", "ENG-42", "done");
        assert_outbound_recorded(&st, &c);
        c = outbound("2026-03-04T10:00:07Z", "pagerduty", "pagerduty:trigger:2", "INC-1", "done");
        assert_outbound_recorded(&st, &c);
        /* A failure, with no id from the outside: still a fact. */
        c = outbound("2026-03-04T10:00:08Z", "zendesk", "zendesk:note:2", NULL, "failed");
        assert_outbound_recorded(&st, &c);
        /* The outbox's records do not count as an acknowledgement. */
        assert_int_equal(st.status, ESC_STATUS_OPEN);
        assert_true(st.acknowledged_at == ESC_TIME_NONE);

        assert_int_equal(ack(&st, "2026-03-04T10:05:00Z", "We see it; Sev 3; next update at noon",
                             "2026-03-04T12:00:00Z"),
                         ESC_VERDICT_ACCEPTED);
        by_cmd(&st, ESC_CMD_RESOLVE, "2026-03-05T10:00:00Z", "alice");
        by_cmd(&st, ESC_CMD_CONFIRM, "2026-03-05T12:00:00Z", "dave");
        assert_int_equal(by_cmd(&st, ESC_CMD_CLOSE, "2026-03-05T12:05:00Z", "dave"),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(st.status, ESC_STATUS_CLOSED);
        /* The closing post goes out after the close. */
        c = outbound("2026-03-05T12:05:03Z", "slack", "slack:post:12", "1772712303.000200", "done");
        assert_outbound_recorded(&st, &c);
        c = outbound("2026-03-05T12:05:04Z", "zendesk", "zendesk:status:12", "90211", "done");
        assert_outbound_recorded(&st, &c);
        assert_int_equal(st.status, ESC_STATUS_CLOSED);

        /* A retried record (same command id) is a duplicate. */
        c = outbound("2026-03-05T12:05:05Z", "slack", "slack:archive:12", NULL, "done");
        esc_command_t retry;
        esc_command_copy(&retry, &c);
        assert_outbound_recorded(&st, &c);
        assert_int_equal(apply(&st, &retry), ESC_VERDICT_DUPLICATE);
        assert_int_equal(D.nevents, 0);
}

static void test_record_outbound_fields_are_checked_and_named(void **s)
{
        static const struct {
                const char *target, *key, *status, *field;
        } bad[] = {
                {"teams", "teams:post:3", "done", "record_outbound.target"},
                {"Slack", "slack:post:3", "done", "record_outbound.target"},
                {"", "slack:post:3", "done", "record_outbound.target"},
                {NULL, "slack:post:3", "done", "record_outbound.target"},
                {"slack", "", "done", "record_outbound.key"},
                {"slack", " \t", "done", "record_outbound.key"},
                {"slack", NULL, "done", "record_outbound.key"},
                {"slack", "slack:post:3", "ok", "record_outbound.status"},
                {"slack", "slack:post:3", "DONE", "record_outbound.status"},
                {"slack", "slack:post:3", "", "record_outbound.status"},
                {"slack", "slack:post:3", NULL, "record_outbound.status"},
        };
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        esc_lifecycle_t before;
        memcpy(&before, &st.lc, sizeof(before));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                esc_command_t c = outbound("2026-03-04T10:01:00Z", bad[i].target, bad[i].key,
                                           "1772618460.000300", bad[i].status);
                assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
                assert_string_equal(D.events[0].p.rejected.command_type, "record_outbound");
                if (!strstr(D.events[0].p.rejected.message, bad[i].field))
                        fail_msg("case %zu: \"%s\" does not name %s", i,
                                 D.events[0].p.rejected.message, bad[i].field);
        }
        assert_memory_equal(&st.lc, &before, sizeof(before));
        /* Too long an external id is refused like any other string. */
        char big[ESC_MAX_STR + 2];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        esc_command_t c = outbound("2026-03-04T10:01:00Z", "slack", "slack:post:3", big, "done");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "external_id"));
}

static void test_record_outbound_on_an_unknown_incident_is_unknown_incident(void **s)
{
        esc_state_t st;
        esc_state_init(&st);
        esc_command_t c = outbound("2026-03-04T10:01:00Z", "slack", "slack:post:3",
                                   "1772618460.0003", "done");
        assert_rejected(apply(&st, &c), ESC_REJ_UNKNOWN_INCIDENT);
        assert_string_equal(D.events[0].p.rejected.command_type, "record_outbound");
        assert_int_equal(st.status, ESC_STATUS_NONE);
}

static void test_malformed_commands_are_rejected_with_an_encodable_event(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-04T10:00:00Z");
        /* apply() fails the test if a decided event would not encode. */
        esc_command_t c = cmd(ESC_CMD_UPDATE, "2026-03-04T11:00:00Z", "bad\xc0\xaf actor");
        c.p.update.by = esc_strdup("dave");
        c.p.update.body = esc_strdup("hello");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "actor"));
        assert_string_equal(D.events[0].actor, "unknown");

        c = cmd(ESC_CMD_UPDATE, "2026-03-04T11:00:00Z", "dave");
        c.occurred_at = ESC_TIME_NONE;
        c.p.update.by = esc_strdup("dave");
        c.p.update.body = esc_strdup("hello");
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_FIELD);
        assert_non_null(strstr(D.events[0].p.rejected.message, "occurred_at"));

        c = cmd(ESC_CMD_ACK, "2026-03-04T11:00:00Z", "dave");
        free(c.command_id);
        char long_id[300];
        memset(long_id, 'x', sizeof(long_id) - 1);
        long_id[sizeof(long_id) - 1] = '\0';
        c.command_id = esc_strdup(long_id);
        assert_rejected(apply(&st, &c), ESC_REJ_INVALID_TRANSITION);
        assert_string_equal(D.events[0].command_id, "");

        c = cmd((esc_command_type_t)99, "2026-03-04T11:00:00Z", "dave");
        c.type = (esc_command_type_t)99;
        esc_decision_clear(&D);
        assert_int_equal(esc_decide(P, &st, &c, &D), ESC_VERDICT_REJECTED);
        assert_string_equal(esc_decision_code(&D), ESC_REJ_INVALID_FIELD);
        c.type = ESC_CMD_ACK;
        esc_command_clear(&c);
}

static void test_decide_is_pure_same_inputs_same_events(void **s)
{
        esc_state_t st;
        acknowledged_sev3(&st, "2026-03-06T16:00:00Z");
        esc_command_t c = cmd(ESC_CMD_OVERRIDE, "2026-03-06T16:30:00Z", "carol");
        c.p.override.to_sev = 2;
        c.p.override.by = esc_strdup("carol");
        c.p.override.reason = esc_strdup("renewal next week");
        esc_state_t before = st;
        esc_decision_t a, b;
        esc_decide(P, &st, &c, &a);
        esc_decide(P, &st, &c, &b);
        assert_memory_equal(&before, &st, sizeof(st));
        assert_int_equal(a.nevents, b.nevents);
        for (int i = 0; i < a.nevents; i++) {
                assert_int_equal(a.events[i].type, b.events[i].type);
                assert_true(a.events[i].p.sev_overridden.resolution_due_at ==
                            b.events[i].p.sev_overridden.resolution_due_at);
        }
        esc_decision_clear(&a);
        esc_decision_clear(&b);
        esc_command_clear(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_open_assigns_severity_deadlines_and_named_owners),
                cmocka_unit_test(test_decider_leaves_seq_ids_and_hashes_to_the_worker),
                cmocka_unit_test(test_open_fills_what_it_omits_from_the_policy_account),
                cmocka_unit_test(test_on_call_owner_is_whoever_holds_the_rotation_at_that_instant),
                cmocka_unit_test(test_sev3_open_does_not_invite_the_cs_manager),
                cmocka_unit_test(
                        test_sev3_on_strategic_account_becomes_sev2_with_the_reason_recorded),
                cmocka_unit_test(test_non_paying_production_down_opens_as_sev2),
                cmocka_unit_test(test_duplicate_open_is_incident_exists),
                cmocka_unit_test(test_open_fields_are_checked_and_named),
                cmocka_unit_test(test_any_command_on_an_unknown_incident_is_unknown_incident),
                cmocka_unit_test(test_override_by_someone_not_a_cs_manager_is_refused_and_recorded),
                cmocka_unit_test(test_override_requires_a_one_line_reason),
                cmocka_unit_test(test_override_recomputes_deadlines_from_the_open_instant),
                cmocka_unit_test(test_override_to_the_same_sev_is_invalid_field),
                cmocka_unit_test(test_ack_needs_a_message_and_a_next_update_time),
                cmocka_unit_test(test_updates_carry_audience_and_the_next_promise),
                cmocka_unit_test(
                        test_sev1_cannot_be_resolved_until_a_review_has_corrective_actions),
                cmocka_unit_test(test_sev2_needs_the_review_too_but_sev3_does_not),
                cmocka_unit_test(test_corrective_actions_need_an_owner_and_a_due_date),
                cmocka_unit_test(test_review_is_due_5_business_days_after_resolution),
                cmocka_unit_test(test_review_completes_with_a_root_cause_and_five_whys),
                cmocka_unit_test(test_close_needs_the_customers_confirmation),
                cmocka_unit_test(test_unconfirmed_close_only_by_a_cs_manager_with_a_reason),
                cmocka_unit_test(test_out_of_order_commands_are_invalid_transitions),
                cmocka_unit_test(test_reopen_from_closed_goes_back_to_work_and_needs_a_reason),
                cmocka_unit_test(test_assign_records_a_manual_owner),
                cmocka_unit_test(test_a_retried_command_id_is_a_duplicate_with_no_new_events),
                cmocka_unit_test(test_command_memory_holds_the_last_16_commands_of_an_incident),
                cmocka_unit_test(test_record_back_commands_become_their_events),
                cmocka_unit_test(test_identical_record_repeat_is_a_duplicate_and_a_new_fact_is_not),
                cmocka_unit_test(
                        test_record_outbound_is_recorded_in_every_status_and_moves_nothing),
                cmocka_unit_test(test_record_outbound_fields_are_checked_and_named),
                cmocka_unit_test(test_record_outbound_on_an_unknown_incident_is_unknown_incident),
                cmocka_unit_test(test_malformed_commands_are_rejected_with_an_encodable_event),
                cmocka_unit_test(test_decide_is_pure_same_inputs_same_events),
        };
        return cmocka_run_group_tests(tests, fixture_up, fixture_down);
}
