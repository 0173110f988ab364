/* test_actions_plan.c — the actions projection's rules without Slack,
 * Linear or PagerDuty (seed Step 2): a new Sev 2 gets a channel and a
 * tracking issue but no page; a Sev 1 is paged too; whatever the log already
 * records is not done twice; an override to Sev 1 pages; owners assigned
 * later are invited; an overdue update is reminded in the channel; a paged
 * incident's page is resolved on resolution; the channel name, issue title
 * and description (with the SLA clock) follow the seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "projections/actions/actions.h"
#include "test_time.h"

static esc_policy_t *pol;
static int64_t seq_no;

static void ev_init(esc_event_t *ev, esc_event_type_t type)
{
        esc_event_init(ev, type);
        ev->incident_id = esc_strdup("INC-1");
        ev->event_id = esc_strdup("e");
        ev->actor = esc_strdup("ledger");
        ev->seq = ++seq_no;
        ev->occurred_at = T("2026-03-04T10:00:00Z");
        ev->recorded_at = ev->occurred_at;
}

/* Folds ev into inc, plans it as a live event, clears it. */
static void fold_plan(esc_actions_incident_t *inc, esc_event_t *ev, esc_actions_plan_t *plan)
{
        assert_true(esc_actions_fold(inc, ev));
        esc_actions_plan(inc, ev, pol, plan);
        esc_event_clear(ev);
}

static bool has(const esc_actions_plan_t *plan, esc_action_kind_t k)
{
        for (int i = 0; i < plan->n; i++)
                if (plan->v[i].kind == k)
                        return true;
        return false;
}

/* EscalationOpened for account "Acme Corp" then SeverityAssigned(sev);
 * returns the plan of the SeverityAssigned. */
static void open_incident(esc_actions_incident_t *inc, int sev, esc_actions_plan_t *plan)
{
        esc_event_t ev;
        seq_no = 0;
        esc_actions_incident_init(inc);
        ev_init(&ev, ESC_EV_ESCALATION_OPENED);
        ev.p.opened.account.id = esc_strdup("Acme Corp");
        ev.p.opened.product_area = esc_strdup("billing");
        ev.p.opened.title = esc_strdup("Invoices fail");
        ev.p.opened.impact = ESC_IMPACT_PRODUCTION_DOWN;
        ev.p.opened.detected_at = ev.occurred_at;
        fold_plan(inc, &ev, plan);
        assert_int_equal(plan->n, 0);

        ev_init(&ev, ESC_EV_SEVERITY_ASSIGNED);
        ev.p.sev_assigned.sev = sev;
        ev.p.sev_assigned.matrix_sev = sev;
        ev.p.sev_assigned.response_due_at = T("2026-03-04T10:15:00Z");
        ev.p.sev_assigned.next_update_due_at = T("2026-03-04T10:15:00Z");
        ev.p.sev_assigned.resolution_due_at = T("2026-03-04T14:00:00Z");
        fold_plan(inc, &ev, plan);
}

static void owner(esc_actions_incident_t *inc, esc_role_t role, const char *who,
                  esc_actions_plan_t *plan)
{
        esc_event_t ev;
        ev_init(&ev, ESC_EV_OWNER_ASSIGNED);
        ev.p.owner_assigned.role = role;
        ev.p.owner_assigned.person = esc_strdup(who);
        fold_plan(inc, &ev, plan);
}

static void channel_created(esc_actions_incident_t *inc, esc_actions_plan_t *plan)
{
        esc_event_t ev;
        ev_init(&ev, ESC_EV_CHANNEL_CREATED);
        ev.p.channel_created.slack_channel_id = esc_strdup("C123");
        ev.p.channel_created.name = esc_strdup("esc-acme-corp-20260304");
        fold_plan(inc, &ev, plan);
}

static void test_sev2_gets_channel_and_issue_but_no_page(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        open_incident(&inc, 2, &plan);
        assert_int_equal(plan.n, 2);
        assert_int_equal(plan.v[0].kind, ESC_ACT_CREATE_CHANNEL);
        assert_int_equal(plan.v[1].kind, ESC_ACT_CREATE_ISSUE);
        assert_false(has(&plan, ESC_ACT_PAGE));
        esc_actions_incident_clear(&inc);
}

static void test_sev1_is_paged_too(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        open_incident(&inc, 1, &plan);
        assert_int_equal(plan.n, 3);
        assert_true(has(&plan, ESC_ACT_CREATE_CHANNEL));
        assert_true(has(&plan, ESC_ACT_CREATE_ISSUE));
        assert_true(has(&plan, ESC_ACT_PAGE));
        esc_actions_incident_clear(&inc);
}

static void test_recorded_channel_is_not_created_again(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        open_incident(&inc, 2, &plan);
        channel_created(&inc, &plan);
        assert_int_equal(plan.n, 0);
        /* Reconciliation after a replay: only the issue is still owed. */
        esc_actions_plan(&inc, NULL, pol, &plan);
        assert_int_equal(plan.n, 1);
        assert_int_equal(plan.v[0].kind, ESC_ACT_CREATE_ISSUE);
        esc_actions_incident_clear(&inc);
}

static void test_replayed_sev1_with_everything_recorded_owes_nothing(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_event_t ev;
        open_incident(&inc, 1, &plan);
        channel_created(&inc, &plan);
        ev_init(&ev, ESC_EV_TRACKING_ISSUE_LINKED);
        ev.p.tracking_linked.system = esc_strdup("linear");
        ev.p.tracking_linked.issue_id = esc_strdup("ENG-1");
        ev.p.tracking_linked.url = esc_strdup("https://linear.app/x/issue/ENG-1");
        fold_plan(&inc, &ev, &plan);
        ev_init(&ev, ESC_EV_PAGE_SENT);
        ev.p.page_sent.service = esc_strdup("billing");
        ev.p.page_sent.dedup_key = esc_strdup("INC-1");
        ev.p.page_sent.to = esc_strdup("alice");
        fold_plan(&inc, &ev, &plan);
        esc_actions_plan(&inc, NULL, pol, &plan);
        assert_int_equal(plan.n, 0);
        esc_actions_incident_clear(&inc);
}

static void test_override_to_sev1_pages(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_event_t ev;
        open_incident(&inc, 2, &plan);
        channel_created(&inc, &plan);
        ev_init(&ev, ESC_EV_SEVERITY_OVERRIDDEN);
        ev.p.sev_overridden.from_sev = 2;
        ev.p.sev_overridden.to_sev = 1;
        ev.p.sev_overridden.by = esc_strdup("carol");
        ev.p.sev_overridden.reason = esc_strdup("exec escalation");
        ev.p.sev_overridden.response_due_at = T("2026-03-04T10:15:00Z");
        fold_plan(&inc, &ev, &plan);
        assert_true(has(&plan, ESC_ACT_PAGE));
        assert_false(has(&plan, ESC_ACT_CREATE_CHANNEL));
        esc_actions_incident_clear(&inc);
}

static void override(esc_actions_incident_t *inc, int from, int to, esc_actions_plan_t *plan)
{
        esc_event_t ev;
        ev_init(&ev, ESC_EV_SEVERITY_OVERRIDDEN);
        ev.p.sev_overridden.from_sev = from;
        ev.p.sev_overridden.to_sev = to;
        ev.p.sev_overridden.by = esc_strdup("carol");
        ev.p.sev_overridden.reason = esc_strdup("workaround found");
        ev.p.sev_overridden.response_due_at = T("2026-03-05T10:00:00Z");
        fold_plan(inc, &ev, plan);
}

static void test_override_away_from_sev1_does_not_page(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_event_t ev;

        /* Opened at Sev 1: the opening itself pages. */
        open_incident(&inc, 1, &plan);
        assert_int_equal(plan.n, 3);
        assert_true(has(&plan, ESC_ACT_PAGE));
        /* Channel and issue recorded; the page is not (yet) in the log. */
        channel_created(&inc, &plan);
        assert_int_equal(plan.n, 0);
        ev_init(&ev, ESC_EV_TRACKING_ISSUE_LINKED);
        ev.p.tracking_linked.system = esc_strdup("linear");
        ev.p.tracking_linked.issue_id = esc_strdup("ENG-1");
        ev.p.tracking_linked.url = esc_strdup("https://linear.app/x/issue/ENG-1");
        fold_plan(&inc, &ev, &plan);
        assert_int_equal(plan.n, 0);

        /* Down to Sev 2: Sev 2 does not page, and nothing else is owed. */
        override(&inc, 1, 2, &plan);
        assert_int_equal(inc.st.sev, 2);
        assert_false(has(&plan, ESC_ACT_PAGE));
        assert_false(has(&plan, ESC_ACT_RESOLVE_PAGE));
        assert_int_equal(plan.n, 0);
        /* Reconciliation agrees: the current severity governs the page. */
        esc_actions_plan(&inc, NULL, pol, &plan);
        assert_int_equal(plan.n, 0);

        /* Further down to Sev 3: still no page. */
        override(&inc, 2, 3, &plan);
        assert_int_equal(inc.st.sev, 3);
        assert_int_equal(plan.n, 0);
        esc_actions_incident_clear(&inc);

        /* A Sev 1 whose page is recorded: the override neither pages again
         * nor resolves the page (only resolution does). */
        open_incident(&inc, 1, &plan);
        assert_true(has(&plan, ESC_ACT_PAGE));
        channel_created(&inc, &plan);
        ev_init(&ev, ESC_EV_PAGE_SENT);
        ev.p.page_sent.service = esc_strdup("billing");
        ev.p.page_sent.dedup_key = esc_strdup("INC-1");
        ev.p.page_sent.to = esc_strdup("alice");
        fold_plan(&inc, &ev, &plan);
        override(&inc, 1, 2, &plan);
        assert_false(has(&plan, ESC_ACT_PAGE));
        assert_false(has(&plan, ESC_ACT_RESOLVE_PAGE));
        /* The issue is the only action still owed. */
        assert_int_equal(plan.n, 1);
        assert_int_equal(plan.v[0].kind, ESC_ACT_CREATE_ISSUE);
        esc_actions_incident_clear(&inc);
}

static void test_owner_assigned_after_channel_is_invited(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        open_incident(&inc, 2, &plan);
        /* Before the channel exists the channel creation invites everyone. */
        owner(&inc, ESC_ROLE_CSM, "dave", &plan);
        assert_int_equal(plan.n, 0);
        channel_created(&inc, &plan);
        owner(&inc, ESC_ROLE_ENGINEERING_OWNER, "bob", &plan);
        assert_int_equal(plan.n, 1);
        assert_int_equal(plan.v[0].kind, ESC_ACT_INVITE);
        assert_int_equal(plan.v[0].role, ESC_ROLE_ENGINEERING_OWNER);
        /* Already invited: not again. */
        esc_strlcpy(inc.invited[ESC_ROLE_ENGINEERING_OWNER], "bob", sizeof(inc.invited[0]));
        assert_false(esc_actions_needed(&inc, &plan.v[0], pol));
        esc_actions_incident_clear(&inc);
}

static void test_overdue_update_is_reminded_in_the_channel(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_event_t ev;
        open_incident(&inc, 2, &plan);
        ev_init(&ev, ESC_EV_UPDATE_OVERDUE);
        ev.p.update_overdue.due_at = T("2026-03-04T11:00:00Z");
        ev.p.update_overdue.reminder_no = 1;
        fold_plan(&inc, &ev, &plan);
        assert_int_equal(plan.n, 0); /* no channel to remind in */
        channel_created(&inc, &plan);
        ev_init(&ev, ESC_EV_UPDATE_OVERDUE);
        ev.p.update_overdue.due_at = T("2026-03-04T11:00:00Z");
        ev.p.update_overdue.reminder_no = 2;
        fold_plan(&inc, &ev, &plan);
        assert_int_equal(plan.n, 1);
        assert_int_equal(plan.v[0].kind, ESC_ACT_REMIND);
        assert_int_equal(plan.v[0].reminder_no, 2);

        esc_buf_t text;
        esc_buf_init(&text, 0);
        esc_actions_reminder_text(&inc, "INC-1", &plan.v[0], pol, &text);
        assert_non_null(strstr(text.data, "Reminder 2"));
        assert_non_null(strstr(text.data, "2026-03-04T11:00:00Z"));
        esc_buf_free(&text);
        esc_actions_incident_clear(&inc);
}

static void test_resolution_resolves_the_page_of_a_paged_incident(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_event_t ev;
        open_incident(&inc, 2, &plan);
        ev_init(&ev, ESC_EV_RESOLVED);
        ev.p.resolved.by = esc_strdup("alice");
        fold_plan(&inc, &ev, &plan);
        assert_int_equal(plan.n, 0); /* never paged */
        esc_actions_incident_clear(&inc);

        open_incident(&inc, 1, &plan);
        inc.paged = true;
        ev_init(&ev, ESC_EV_RESOLVED);
        ev.p.resolved.by = esc_strdup("alice");
        fold_plan(&inc, &ev, &plan);
        assert_int_equal(plan.n, 1);
        assert_int_equal(plan.v[0].kind, ESC_ACT_RESOLVE_PAGE);
        /* A resolved incident owes no channel or issue at reconciliation. */
        esc_actions_plan(&inc, NULL, pol, &plan);
        assert_false(has(&plan, ESC_ACT_CREATE_CHANNEL));
        assert_false(has(&plan, ESC_ACT_CREATE_ISSUE));
        esc_actions_incident_clear(&inc);
}

static void test_duplicate_seq_is_not_folded_twice(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_event_t ev;
        open_incident(&inc, 2, &plan);
        ev_init(&ev, ESC_EV_SEVERITY_ASSIGNED);
        ev.seq = 2;
        ev.p.sev_assigned.sev = 1;
        assert_false(esc_actions_fold(&inc, &ev));
        assert_int_equal(inc.st.sev, 2);
        esc_event_clear(&ev);
        esc_actions_incident_clear(&inc);
}

static void test_channel_name_follows_slack_rules(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        char name[ESC_ACTIONS_CHANNEL_MAX + 1];
        open_incident(&inc, 2, &plan);
        esc_actions_channel_name(&inc, 1, name, sizeof(name));
        assert_string_equal(name, "esc-acme-corp-20260304");
        esc_actions_channel_name(&inc, 2, name, sizeof(name));
        assert_string_equal(name, "esc-acme-corp-20260304-2");

        free(inc.account);
        inc.account = esc_strdup("ÄCME..Big__Co!!");
        esc_actions_channel_name(&inc, 1, name, sizeof(name));
        assert_string_equal(name, "esc-cme-big__co-20260304");

        char long_acct[300];
        memset(long_acct, 'a', sizeof(long_acct) - 1);
        long_acct[sizeof(long_acct) - 1] = '\0';
        free(inc.account);
        inc.account = esc_strdup(long_acct);
        esc_actions_channel_name(&inc, 12, name, sizeof(name));
        assert_int_equal(strlen(name), ESC_ACTIONS_CHANNEL_MAX);
        assert_string_equal(name + strlen(name) - 12, "-20260304-12");

        free(inc.account);
        inc.account = esc_strdup("日本");
        esc_actions_channel_name(&inc, 1, name, sizeof(name));
        assert_int_equal(strlen(name), strlen("esc-12345678-20260304"));
        esc_actions_incident_clear(&inc);
}

static void test_issue_carries_sev_account_and_sla_clock(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_buf_t b;
        open_incident(&inc, 1, &plan);
        esc_buf_init(&b, 0);
        esc_actions_issue_title(&inc, &b);
        assert_string_equal(b.data, "[Sev 1] Acme Corp: Invoices fail");
        esc_buf_reset(&b);
        esc_actions_issue_description(&inc, "INC-1", pol, &b);
        assert_non_null(strstr(b.data, "Sev 1"));
        assert_non_null(strstr(b.data, "Account: Acme Corp"));
        assert_non_null(strstr(b.data, "Response due: 2026-03-04T10:15:00Z"));
        assert_non_null(strstr(b.data, "Resolution due: 2026-03-04T14:00:00Z"));
        assert_non_null(strstr(b.data, "SLA clock"));
        esc_buf_free(&b);
        esc_actions_incident_clear(&inc);
}

static void test_ids_are_deterministic(void **state)
{
        char a[37], b[37], c1[64], c2[64];
        esc_actions_issue_uuid("INC-1", a);
        esc_actions_issue_uuid("INC-1", b);
        assert_string_equal(a, b);
        assert_int_equal(strlen(a), 36);
        assert_int_equal(a[14], '4');
        assert_non_null(strchr("89ab", a[19]));
        esc_actions_issue_uuid("INC-2", b);
        assert_string_not_equal(a, b);
        esc_actions_command_id("channel", "INC-1", c1, sizeof(c1));
        esc_actions_command_id("channel", "INC-1", c2, sizeof(c2));
        assert_string_equal(c1, c2);
        esc_actions_command_id("page", "INC-1", c2, sizeof(c2));
        assert_string_not_equal(c1, c2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sev2_gets_channel_and_issue_but_no_page),
                cmocka_unit_test(test_sev1_is_paged_too),
                cmocka_unit_test(test_recorded_channel_is_not_created_again),
                cmocka_unit_test(test_replayed_sev1_with_everything_recorded_owes_nothing),
                cmocka_unit_test(test_override_to_sev1_pages),
                cmocka_unit_test(test_override_away_from_sev1_does_not_page),
                cmocka_unit_test(test_owner_assigned_after_channel_is_invited),
                cmocka_unit_test(test_overdue_update_is_reminded_in_the_channel),
                cmocka_unit_test(test_resolution_resolves_the_page_of_a_paged_incident),
                cmocka_unit_test(test_duplicate_seq_is_not_folded_twice),
                cmocka_unit_test(test_channel_name_follows_slack_rules),
                cmocka_unit_test(test_issue_carries_sev_account_and_sla_clock),
                cmocka_unit_test(test_ids_are_deterministic),
        };
        pol = esc_policy_default();
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        esc_policy_destroy(pol);
        return rc;
}
