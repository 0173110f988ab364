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

#include "codec_fixtures.h"
#include "core/fields.h"
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

static void issue_linked(esc_actions_incident_t *inc, const char *url, esc_actions_plan_t *plan)
{
        esc_event_t ev;
        ev_init(&ev, ESC_EV_TRACKING_ISSUE_LINKED);
        ev.p.tracking_linked.system = esc_strdup("linear");
        ev.p.tracking_linked.issue_id = esc_strdup("ENG-1");
        ev.p.tracking_linked.url = esc_strdup(url);
        fold_plan(inc, &ev, plan);
}

static void page_sent(esc_actions_incident_t *inc, const char *service, const char *dedup_key,
                      const char *to, esc_actions_plan_t *plan)
{
        esc_event_t ev;
        ev_init(&ev, ESC_EV_PAGE_SENT);
        ev.p.page_sent.service = esc_strdup(service);
        ev.p.page_sent.dedup_key = esc_strdup(dedup_key);
        ev.p.page_sent.to = esc_strdup(to);
        fold_plan(inc, &ev, plan);
}

static void test_sev2_gets_channel_and_issue_but_no_page(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        open_incident(&inc, 2, &plan);
        assert_int_equal(plan.n, 3);
        assert_int_equal(plan.v[0].kind, ESC_ACT_CREATE_CHANNEL);
        assert_int_equal(plan.v[1].kind, ESC_ACT_CREATE_ISSUE);
        assert_int_equal(plan.v[2].kind, ESC_ACT_POST); /* the kickoff, in the new channel */
        assert_false(has(&plan, ESC_ACT_PAGE));
        esc_actions_incident_clear(&inc);
}

static void test_sev1_is_paged_too(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        open_incident(&inc, 1, &plan);
        assert_int_equal(plan.n, 4);
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
        open_incident(&inc, 1, &plan);
        channel_created(&inc, &plan);
        issue_linked(&inc, "https://linear.app/x/issue/ENG-1", &plan);
        page_sent(&inc, "billing", "INC-1", "alice", &plan);
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

        /* Opened at Sev 1: the opening itself pages. */
        open_incident(&inc, 1, &plan);
        assert_int_equal(plan.n, 4);
        assert_true(has(&plan, ESC_ACT_PAGE));
        /* Channel and issue recorded; the page is not (yet) in the log. */
        channel_created(&inc, &plan);
        assert_int_equal(plan.n, 0);
        issue_linked(&inc, "https://linear.app/x/issue/ENG-1", &plan);
        assert_int_equal(plan.n, 0);

        /* Down to Sev 2: Sev 2 does not page, and nothing else is owed. */
        override(&inc, 1, 2, &plan);
        assert_int_equal(inc.st.sev, 2);
        assert_false(has(&plan, ESC_ACT_PAGE));
        assert_false(has(&plan, ESC_ACT_RESOLVE_PAGE));
        /* Only the override's post and the issue's new priority. */
        assert_true(plan.n == 2 && has(&plan, ESC_ACT_POST) && has(&plan, ESC_ACT_LINEAR));
        /* Reconciliation agrees: the current severity governs the page. */
        esc_actions_plan(&inc, NULL, pol, &plan);
        assert_int_equal(plan.n, 0);

        /* Further down to Sev 3: still no page. */
        override(&inc, 2, 3, &plan);
        assert_int_equal(inc.st.sev, 3);
        assert_true(plan.n == 2 && has(&plan, ESC_ACT_POST) && has(&plan, ESC_ACT_LINEAR));
        esc_actions_incident_clear(&inc);

        /* A Sev 1 whose page is recorded: the override to Sev 2 does not
         * page again, it resolves the page (DESIGN §9: left Sev 1). */
        open_incident(&inc, 1, &plan);
        assert_true(has(&plan, ESC_ACT_PAGE));
        channel_created(&inc, &plan);
        page_sent(&inc, "billing", "INC-1", "alice", &plan);
        override(&inc, 1, 2, &plan);
        assert_false(has(&plan, ESC_ACT_PAGE));
        assert_true(has(&plan, ESC_ACT_RESOLVE_PAGE));
        /* Besides: the issue still owed and the override's post. */
        assert_int_equal(plan.n, 3);
        assert_int_equal(plan.v[0].kind, ESC_ACT_CREATE_ISSUE);
        assert_true(has(&plan, ESC_ACT_POST));
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

/* The policy lists one engineering owner, id, with these Slack and Linear
 * ids (NULL: none) until people_restore(). */
static esc_person_t *saved_people;
static int nsaved_people;

static void people_one(esc_person_t *p, const char *id, const char *slack, const char *linear)
{
        *p = (esc_person_t){.id = esc_strdup(id),
                            .role = ESC_ROLE_ENGINEERING_OWNER,
                            .slack_user_id = slack ? esc_strdup(slack) : NULL,
                            .linear_user_id = linear ? esc_strdup(linear) : NULL};
        saved_people = pol->people;
        nsaved_people = pol->npeople;
        pol->people = p;
        pol->npeople = 1;
}

static void people_restore(esc_person_t *p)
{
        pol->people = saved_people;
        pol->npeople = nsaved_people;
        free(p->id);
        free(p->slack_user_id);
        free(p->linear_user_id);
}

/* The kickoff post (DESIGN §9): sev, why, owners (by Slack id), deadlines
 * and the Linear and ticket links. */
static void test_kickoff_post_has_sev_why_owners_deadlines_and_links(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_event_t ev;
        esc_buf_t b;
        esc_person_t alice;

        people_one(&alice, "alice", "U0ALICE", NULL);
        open_incident(&inc, 2, &plan);
        owner(&inc, ESC_ROLE_ENGINEERING_OWNER, "alice", &plan);
        issue_linked(&inc, "https://linear.app/x/ENG-1", &plan);

        ev_init(&ev, ESC_EV_SEVERITY_ASSIGNED);
        ev.p.sev_assigned.sev = 2;
        ev.p.sev_assigned.matrix_sev = 3;
        ev.p.sev_assigned.bumped = true;
        esc_strlist_push(&ev.p.sev_assigned.bump_reasons, "tier == strategic");
        ev.p.sev_assigned.response_due_at = T("2026-03-04T11:00:00Z");
        ev.p.sev_assigned.next_update_due_at = T("2026-03-04T12:00:00Z");
        ev.p.sev_assigned.resolution_due_at = ESC_TIME_NONE;
        assert_true(esc_actions_fold(&inc, &ev));
        esc_buf_init(&b, 0);
        assert_true(esc_actions_post_text(&inc, "INC-1", &ev, pol, &b));
        assert_non_null(strstr(b.data, "*Sev 2* escalation INC-1: Invoices fail"));
        assert_non_null(
                strstr(b.data, "*Why Sev 2* matrix Sev 3, bumped one level: tier == strategic"));
        assert_non_null(strstr(b.data, "engineering owner <@U0ALICE>, CSM nobody yet"));
        assert_non_null(strstr(b.data, "response by 2026-03-04T11:00:00Z, next customer update by "
                                       "2026-03-04T12:00:00Z"));
        assert_null(strstr(b.data, "resolution by"));
        assert_non_null(strstr(b.data, "<https://linear.app/x/ENG-1|Linear ENG-1>"));
        /* After a replay the kickoff is the same, from the folded state. */
        esc_buf_t again;
        esc_buf_init(&again, 0);
        assert_true(esc_actions_post_text(&inc, "INC-1", NULL, pol, &again));
        assert_string_equal(again.data, b.data);
        esc_buf_free(&again);
        esc_buf_free(&b);
        esc_event_clear(&ev);
        esc_actions_incident_clear(&inc);
        people_restore(&alice);
}

static void update_post(esc_actions_incident_t *inc, esc_audience_t audience, const char *body,
                        esc_buf_t *b)
{
        esc_event_t ev;
        ev_init(&ev, ESC_EV_CUSTOMER_UPDATE_POSTED);
        ev.p.update_posted.by = esc_strdup("dave");
        ev.p.update_posted.audience = audience;
        ev.p.update_posted.body = esc_strdup(body);
        ev.p.update_posted.next_update_at = ESC_TIME_NONE;
        esc_buf_init(b, 0);
        assert_true(esc_actions_post_text(inc, "INC-1", &ev, pol, b));
        esc_event_clear(&ev);
}

static void test_posts_tell_customer_updates_from_internal_notes_and_escape(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_buf_t b;

        open_incident(&inc, 2, &plan);
        update_post(&inc, ESC_AUDIENCE_EXTERNAL, "fix <soon> & tested", &b);
        assert_non_null(strstr(b.data, ":speech_balloon: Customer update by dave: "
                                       "fix &lt;soon&gt; &amp; tested"));
        esc_buf_free(&b);
        update_post(&inc, ESC_AUDIENCE_INTERNAL, "pool exhausted", &b);
        assert_non_null(strstr(b.data, ":lock: Internal note by dave: pool exhausted"));
        assert_null(strstr(b.data, "Customer update"));
        esc_buf_free(&b);
        esc_actions_incident_clear(&inc);
}

static bool rejected_post_from(esc_actions_incident_t *inc, const char *command, const char *source,
                               esc_buf_t *b)
{
        esc_event_t ev;
        ev_init(&ev, ESC_EV_COMMAND_REJECTED);
        ev.source.system = esc_strdup(source);
        ev.p.rejected.command_type = esc_strdup(command);
        ev.p.rejected.code = esc_strdup("override_requires_manager");
        ev.p.rejected.message = esc_strdup("alice is not a cs_manager");
        esc_buf_init(b, 0);
        bool posted = esc_actions_post_text(inc, "INC-1", &ev, pol, b);
        esc_event_clear(&ev);
        return posted;
}

static bool rejected_post(esc_actions_incident_t *inc, const char *command, esc_buf_t *b)
{
        return rejected_post_from(inc, command, NULL, b);
}

/* Of refusals, overrides are the channel's business; and whatever was
 * asked from Slack is answered there (the `/esc` verdict). */
static void test_refused_overrides_are_posted_other_refusals_are_not(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_buf_t b;

        open_incident(&inc, 2, &plan);
        assert_true(rejected_post(&inc, "override", &b));
        assert_non_null(strstr(b.data, "Refused override (override_requires_manager): alice is "
                                       "not a cs_manager"));
        esc_buf_free(&b);
        assert_false(rejected_post(&inc, "ack", &b));
        assert_null(b.data);
        esc_buf_free(&b);
        assert_false(rejected_post_from(&inc, "ack", "zendesk", &b));
        esc_buf_free(&b);
        assert_true(rejected_post_from(&inc, "ack", "slack", &b));
        assert_non_null(strstr(b.data, "Refused ack (override_requires_manager)"));
        esc_buf_free(&b);
        esc_actions_incident_clear(&inc);
}

/* Every post template names fields its event has (a renamed field fails). */
static void test_every_post_template_names_fields_of_its_event(void **state)
{
        static const esc_fields_style_t style = {esc_fields_out_str, ", "};
        int posts = 0;

        for (int t = 0; t < ESC_EV__COUNT; t++) {
                esc_event_t ev;
                char buf[2048];
                esc_fields_out_t o = {buf, sizeof(buf), 0};
                if (!esc_actions_post_templates[t])
                        continue;
                posts++;
                codec_fixture_event(&ev, (esc_event_type_t)t, FIXTURE_FULL);
                if (esc_fields_format(&esc_fields_event_payloads[t], &ev.p,
                                      esc_actions_post_templates[t], &style, &o))
                        fail_msg("%s: post template names a field the event does not have",
                                 esc_event_type_name(ev.type));
                esc_event_clear(&ev);
        }
        assert_true(posts >= 10);
}

/* The customer's public replies hold the external message only; internal
 * text goes to internal notes; resolution asks the customer to confirm. */
static void test_ticket_hears_external_text_publicly_and_internal_text_privately(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_actions_ticket_t t;
        esc_event_t ev;

        open_incident(&inc, 2, &plan);
        ev_init(&ev, ESC_EV_ACKNOWLEDGED);
        ev.p.acknowledged.by = esc_strdup("alice");
        ev.p.acknowledged.message = esc_strdup("We are on it; next update 11:00 UTC.");
        assert_true(esc_actions_ticket_update(&inc, "INC-1", &ev, &t));
        assert_true(t.public);
        assert_string_equal(t.body.data, "We are on it; next update 11:00 UTC.");
        esc_buf_free(&t.body);
        esc_event_clear(&ev);

        ev_init(&ev, ESC_EV_CUSTOMER_UPDATE_POSTED);
        ev.p.update_posted.by = esc_strdup("alice");
        ev.p.update_posted.audience = ESC_AUDIENCE_INTERNAL;
        ev.p.update_posted.body = esc_strdup("renderer pool exhausted");
        ev.p.update_posted.next_update_at = ESC_TIME_NONE;
        assert_true(esc_actions_ticket_update(&inc, "INC-1", &ev, &t));
        assert_false(t.public);
        assert_string_equal(t.body.data, "renderer pool exhausted");
        esc_buf_free(&t.body);
        ev.p.update_posted.audience = ESC_AUDIENCE_EXTERNAL;
        assert_true(esc_actions_ticket_update(&inc, "INC-1", &ev, &t));
        assert_true(t.public);
        esc_buf_free(&t.body);
        /* An update written in the incident's own ticket (a Zendesk comment)
         * is not written there again; one from another ticket is. */
        inc.ticket_id = esc_strdup("35436");
        ev.source.system = esc_strdup("zendesk");
        ev.source.ticket_id = esc_strdup("35436");
        assert_false(esc_actions_ticket_update(&inc, "INC-1", &ev, &t));
        esc_buf_free(&t.body);
        free(ev.source.ticket_id);
        ev.source.ticket_id = esc_strdup("99");
        assert_true(esc_actions_ticket_update(&inc, "INC-1", &ev, &t));
        esc_buf_free(&t.body);
        esc_event_clear(&ev);

        ev_init(&ev, ESC_EV_RESOLVED);
        ev.p.resolved.by = esc_strdup("alice");
        ev.p.resolved.summary = esc_strdup("internal: rolled back 4.12");
        assert_true(esc_actions_ticket_update(&inc, "INC-1", &ev, &t));
        assert_true(t.public);
        assert_non_null(strstr(t.body.data, "confirm"));
        assert_null(strstr(t.body.data, "rolled back"));
        esc_buf_free(&t.body);
        esc_event_clear(&ev);

        ev_init(&ev, ESC_EV_CLOSED);
        ev.p.closed.by = esc_strdup("carol");
        ev.p.closed.confirmed = true;
        assert_true(esc_actions_ticket_update(&inc, "INC-1", &ev, &t));
        assert_string_equal(t.status, "solved");
        assert_int_equal(t.body.len, 0);
        esc_buf_free(&t.body);
        esc_event_clear(&ev);

        ev_init(&ev, ESC_EV_UPDATE_OVERDUE);
        ev.p.update_overdue.due_at = T("2026-03-04T11:00:00Z");
        ev.p.update_overdue.reminder_no = 1;
        assert_false(esc_actions_ticket_update(&inc, "INC-1", &ev, &t));
        esc_buf_free(&t.body);
        esc_event_clear(&ev);
        esc_actions_incident_clear(&inc);
}

/* The Linear issue: priority follows the sev, updates become comments, a
 * corrective action becomes a child issue assigned to its owner. */
static void test_linear_issue_follows_sev_updates_and_corrective_actions(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_actions_linear_t l;
        esc_event_t ev;
        esc_person_t bob;

        people_one(&bob, "bob", NULL, "lin-bob");
        assert_int_equal(esc_actions_linear_priority(1), 1);
        assert_int_equal(esc_actions_linear_priority(4), 4);
        assert_int_equal(esc_actions_linear_priority(0), 0);
        open_incident(&inc, 2, &plan);

        ev_init(&ev, ESC_EV_SEVERITY_OVERRIDDEN);
        ev.p.sev_overridden.from_sev = 2;
        ev.p.sev_overridden.to_sev = 1;
        ev.p.sev_overridden.by = esc_strdup("carol");
        ev.p.sev_overridden.reason = esc_strdup("renewal");
        assert_true(esc_actions_linear_update(&inc, &ev, pol, &l));
        assert_int_equal(l.priority, 1);
        assert_non_null(strstr(l.comment.data, "Sev 2 -> Sev 1 by carol: renewal"));
        esc_buf_free(&l.comment);
        esc_event_clear(&ev);

        ev_init(&ev, ESC_EV_CORRECTIVE_ACTION_ADDED);
        ev.p.action_added.action_id = esc_strdup("ca-1");
        ev.p.action_added.title = esc_strdup("Cap renderer retries");
        ev.p.action_added.owner = esc_strdup("bob");
        ev.p.action_added.due_date = 20000;
        assert_true(esc_actions_linear_update(&inc, &ev, pol, &l));
        assert_true(l.child);
        assert_string_equal(l.child_key, "ca-1");
        assert_string_equal(l.assignee, "lin-bob");
        assert_int_equal(l.child_due, 20000);
        assert_string_equal(l.comment.data, "Cap renderer retries");
        esc_buf_free(&l.comment);
        esc_event_clear(&ev);

        ev_init(&ev, ESC_EV_RESOLVED);
        ev.p.resolved.by = esc_strdup("bob");
        assert_true(esc_actions_linear_update(&inc, &ev, pol, &l));
        assert_string_equal(l.state, "completed");
        assert_false(l.child);
        esc_buf_free(&l.comment);
        esc_event_clear(&ev);
        esc_actions_incident_clear(&inc);
        people_restore(&bob);
}

/* Unowned past the response SLA, or the response SLA breached: the CS
 * manager is paged once (DESIGN §9); other breaches page nobody. */
static void test_unowned_and_response_breach_page_the_cs_manager_once(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_event_t ev;

        open_incident(&inc, 2, &plan);
        channel_created(&inc, &plan);
        ev_init(&ev, ESC_EV_SLA_BREACHED);
        ev.p.sla_breached.clock = ESC_CLOCK_RESOLUTION;
        ev.p.sla_breached.due_at = T("2026-03-04T14:00:00Z");
        fold_plan(&inc, &ev, &plan);
        assert_false(has(&plan, ESC_ACT_PAGE_MANAGER));
        assert_true(has(&plan, ESC_ACT_POST));

        ev_init(&ev, ESC_EV_UNOWNED_ESCALATED);
        ev.p.unowned_escalated.due_at = T("2026-03-04T10:15:00Z");
        ev.p.unowned_escalated.paged = esc_strdup("carol");
        fold_plan(&inc, &ev, &plan);
        assert_true(has(&plan, ESC_ACT_PAGE_MANAGER));

        page_sent(&inc, "manager", "INC-1:manager", "carol", &plan);
        assert_true(inc.manager_paged);
        assert_false(inc.paged); /* the owner's page is another one */

        ev_init(&ev, ESC_EV_SLA_BREACHED);
        ev.p.sla_breached.clock = ESC_CLOCK_RESPONSE;
        ev.p.sla_breached.due_at = T("2026-03-04T10:15:00Z");
        fold_plan(&inc, &ev, &plan);
        assert_false(has(&plan, ESC_ACT_PAGE_MANAGER)); /* already paged */
        esc_actions_incident_clear(&inc);
}

/* A reopened incident gets its channel back (unarchived), a post, and - at
 * a paging severity - a new page under a key of its own (DESIGN §9). */
static void test_reopened_incident_is_unarchived_posted_and_paged_anew(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;
        esc_event_t ev;
        char key[64];

        open_incident(&inc, 1, &plan);
        channel_created(&inc, &plan);
        page_sent(&inc, "billing", "INC-1", "alice", &plan);
        esc_actions_page_key(&inc, "INC-1", key, sizeof(key));
        assert_string_equal(key, "INC-1");
        ev_init(&ev, ESC_EV_CLOSED);
        ev.p.closed.by = esc_strdup("carol");
        ev.p.closed.confirmed = true;
        fold_plan(&inc, &ev, &plan);
        assert_true(has(&plan, ESC_ACT_ARCHIVE));

        ev_init(&ev, ESC_EV_REOPENED);
        ev.p.reopened.by = esc_strdup("dave");
        ev.p.reopened.reason = esc_strdup("failing again");
        fold_plan(&inc, &ev, &plan);
        assert_true(has(&plan, ESC_ACT_UNARCHIVE));
        assert_true(has(&plan, ESC_ACT_POST));
        assert_true(has(&plan, ESC_ACT_PAGE));
        assert_false(has(&plan, ESC_ACT_CREATE_CHANNEL)); /* it has one */
        esc_actions_page_key(&inc, "INC-1", key, sizeof(key));
        assert_string_equal(key, "INC-1:reopen-1");
        esc_actions_incident_clear(&inc);
}

/* A transiently failed invite is planned again by reconciliation; the
 * others are not re-invited after a replay. */
static void test_failed_invite_is_retried_by_reconciliation(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;

        open_incident(&inc, 2, &plan);
        owner(&inc, ESC_ROLE_CSM, "dave", &plan);
        owner(&inc, ESC_ROLE_ENGINEERING_OWNER, "bob", &plan);
        channel_created(&inc, &plan);
        issue_linked(&inc, "https://linear.app/x/ENG-1", &plan);
        esc_actions_plan(&inc, NULL, pol, &plan);
        assert_false(has(&plan, ESC_ACT_INVITE));
        inc.invite_retry = 1u << ESC_ROLE_CSM;
        esc_actions_plan(&inc, NULL, pol, &plan);
        assert_int_equal(plan.n, 1);
        assert_int_equal(plan.v[0].kind, ESC_ACT_INVITE);
        assert_int_equal(plan.v[0].role, ESC_ROLE_CSM);
        esc_actions_incident_clear(&inc);
}

static void outbound_recorded(esc_actions_incident_t *inc, const char *target, const char *key,
                              const char *status, esc_actions_plan_t *plan)
{
        esc_event_t ev;
        ev_init(&ev, ESC_EV_OUTBOUND_RECORDED);
        ev.p.outbound_recorded.target = esc_strdup(target);
        ev.p.outbound_recorded.key = esc_strdup(key);
        ev.p.outbound_recorded.status = esc_strdup(status);
        fold_plan(inc, &ev, plan);
}

/* A page, issue or channel refused for good (recorded failed) is not asked
 * for again by every restart's reconciliation; an override asks again. A
 * post's failure or a done record refuses nothing. */
static void test_refused_page_issue_and_channel_are_not_reconciled_again(void **state)
{
        esc_actions_incident_t inc;
        esc_actions_plan_t plan;

        assert_int_equal(esc_actions_refusal("pagerduty:page:s7"), ESC_ACTIONS_REC_PAGE);
        assert_int_equal(esc_actions_refusal("linear:create_issue:2"), ESC_ACTIONS_REC_ISSUE);
        assert_int_equal(esc_actions_refusal("slack:create_channel:s3"), ESC_ACTIONS_REC_CHANNEL);
        assert_int_equal(esc_actions_refusal("slack:post:2"), 0);
        assert_int_equal(esc_actions_refusal("pagerduty:resolve_page:9"), 0);
        assert_int_equal(esc_actions_refusal(NULL), 0);

        open_incident(&inc, 1, &plan);
        outbound_recorded(&inc, "slack", "slack:post:2", "failed", &plan);
        outbound_recorded(&inc, "pagerduty", "pagerduty:page:2", "done", &plan);
        esc_actions_plan(&inc, NULL, pol, &plan);
        assert_int_equal(plan.n, 4); /* channel, issue, page, kickoff */

        outbound_recorded(&inc, "pagerduty", "pagerduty:page:2", "failed", &plan);
        esc_actions_plan(&inc, NULL, pol, &plan);
        assert_true(has(&plan, ESC_ACT_CREATE_CHANNEL));
        assert_true(has(&plan, ESC_ACT_CREATE_ISSUE));
        assert_false(has(&plan, ESC_ACT_PAGE));
        outbound_recorded(&inc, "linear", "linear:create_issue:s5", "failed", &plan);
        outbound_recorded(&inc, "slack", "slack:create_channel:s6", "failed", &plan);
        esc_actions_plan(&inc, NULL, pol, &plan);
        assert_int_equal(plan.n, 0);

        override(&inc, 1, 1, &plan); /* another request: asked again */
        assert_true(has(&plan, ESC_ACT_PAGE));
        assert_true(has(&plan, ESC_ACT_CREATE_ISSUE));
        esc_actions_incident_clear(&inc);
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
                cmocka_unit_test(test_kickoff_post_has_sev_why_owners_deadlines_and_links),
                cmocka_unit_test(test_posts_tell_customer_updates_from_internal_notes_and_escape),
                cmocka_unit_test(test_refused_overrides_are_posted_other_refusals_are_not),
                cmocka_unit_test(test_every_post_template_names_fields_of_its_event),
                cmocka_unit_test(
                        test_ticket_hears_external_text_publicly_and_internal_text_privately),
                cmocka_unit_test(test_linear_issue_follows_sev_updates_and_corrective_actions),
                cmocka_unit_test(test_unowned_and_response_breach_page_the_cs_manager_once),
                cmocka_unit_test(test_reopened_incident_is_unarchived_posted_and_paged_anew),
                cmocka_unit_test(test_failed_invite_is_retried_by_reconciliation),
                cmocka_unit_test(test_refused_page_issue_and_channel_are_not_reconciled_again),
        };
        pol = esc_policy_default();
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        esc_policy_destroy(pol);
        return rc;
}
