/* test_timeline_replay.c — the pure timeline (issue 7, the seed's Step 4):
 * a scripted incident (ack, two customer updates with one late, a refused
 * and an accepted override, review, resolve, confirm, close) yields exactly
 * tests/data/timeline/scripted.json, and each SLA / cadence rule holds on
 * its own: targets in force at the milestone, late updates against promise
 * and cadence, reopen, trimmed or gapped history, Sev 4 backlog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "projections/timeline/timeline.h"
#include "tests/data/timeline/scripted.h"

/* The scripted incident, events 1..n, optionally in a scrambled order. */
static esc_timeline_t *scripted(int n, bool scramble)
{
        esc_timeline_t *tl = esc_timeline_new(TL_INC);
        char err[256];

        for (int i = 0; i < n; i++) {
                int64_t seq = scramble ? (int64_t)((i * 7) % n) + 1 : i + 1;
                esc_event_t ev;
                tl_scripted_event(&ev, TL_INC, seq);
                assert_int_equal(esc_timeline_add(tl, &ev, err, sizeof(err)), 0);
                esc_event_clear(&ev);
        }
        return tl;
}

static void build(esc_timeline_t *tl)
{
        char err[256];

        if (esc_timeline_build(tl, NULL, err, sizeof(err)))
                fail_msg("build: %s", err);
}

static char *render(const esc_timeline_t *tl, esc_tl_format_t fmt, unsigned flags)
{
        esc_buf_t out;
        char err[256];

        esc_buf_init(&out, 0);
        if (esc_timeline_render(tl, fmt, flags, &out, err, sizeof(err)))
                fail_msg("render: %s", err);
        return out.data ? out.data : esc_strdup("");
}

static void add_event(esc_timeline_t *tl, esc_event_t *ev)
{
        char err[256];

        assert_int_equal(esc_timeline_add(tl, ev, err, sizeof(err)), 0);
        esc_event_clear(ev);
}

static void test_scripted_incident_yields_the_expected_json(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, false);
        char path[1024];
        json_error_t jerr;

        build(tl);
        char *got = render(tl, ESC_TL_FMT_JSON, 0);
        snprintf(path, sizeof(path), "%s/tests/data/timeline/scripted.json",
                 getenv("ESC_SOURCE_DIR") ? getenv("ESC_SOURCE_DIR") : ESC_SOURCE_DIR);
        json_t *want = json_load_file(path, 0, &jerr);
        if (!want)
                fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
        json_t *have = json_loads(got, 0, &jerr);
        assert_non_null(have);
        if (!json_equal(want, have)) {
                fprintf(stderr, "--- got:\n%s\n", got);
                fail_msg("esc timeline --json of the scripted incident differs from %s", path);
        }
        json_decref(want);
        json_decref(have);
        free(got);
        esc_timeline_destroy(tl);
}

static void test_milestones_are_detection_ack_mitigation_resolution_confirmation_close(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, false);

        build(tl);
        assert_true(tl->ms.detected == TL_AT(9, 50));
        assert_true(tl->ms.opened == TL_AT(10, 0));
        assert_true(tl->ms.acknowledged == TL_AT(10, 20));
        assert_true(tl->ms.mitigated == TL_AT(12, 0));
        assert_true(tl->ms.resolved == TL_AT(12, 30));
        assert_true(tl->ms.confirmed == TL_AT(13, 0));
        assert_true(tl->ms.closed == TL_AT(13, 5));
        esc_timeline_destroy(tl);
}

static void test_ack_is_judged_by_the_response_target_in_force_at_the_ack(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, false);

        build(tl);
        /* Acked at 10:20 under Sev 2 (due 11:00); the Sev 1 override at 10:30
         * (due 10:15) must not retroactively turn a met SLA into a miss. */
        assert_int_equal(tl->sla.time_to_acknowledge_s, 20 * 60);
        assert_int_equal(tl->sla.response_target_s, 60 * 60);
        assert_int_equal(tl->sla.response_met, 1);
        esc_timeline_destroy(tl);
}

static void test_resolution_is_judged_by_the_target_of_the_override(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, false);

        build(tl);
        assert_int_equal(tl->sla.time_to_resolve_s, 150 * 60);
        assert_int_equal(tl->sla.resolution_target_s, 4 * 3600); /* Sev 1, not Sev 2's 1bd */
        assert_int_equal(tl->sla.resolution_met, 1);
        esc_timeline_destroy(tl);
}

static void test_late_update_is_flagged_against_promise_and_cadence(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, false);

        build(tl);
        assert_int_equal(tl->nupdates, 2); /* the internal update is not a customer update */
        assert_int_equal(tl->nlate, 1);
        /* 10:55: promised 11:00, cadence from the override (10:30) + 30m. */
        assert_false(tl->gaps[0].late);
        assert_true(tl->gaps[0].promised_at == TL_AT(11, 0));
        assert_int_equal(tl->gaps[0].vs_promise_s, -5 * 60);
        assert_true(tl->gaps[0].cadence_due_at == TL_AT(11, 0));
        assert_int_equal(tl->gaps[0].since_previous_s, 35 * 60);
        /* 11:45: promised 11:30, cadence 10:55 + 30m = 11:25. */
        assert_true(tl->gaps[1].late);
        assert_int_equal(tl->gaps[1].vs_promise_s, 15 * 60);
        assert_int_equal(tl->gaps[1].vs_cadence_s, 20 * 60);
        esc_timeline_destroy(tl);
}

static void test_silence_from_last_update_to_a_later_resolution_is_a_missed_update(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, false);

        build(tl);
        /* 11:45 promised 12:15 (and Sev 1's cadence says 12:15); nothing
         * reached the customer until the resolution at 12:30. */
        assert_int_equal(tl->nmissed, 1);
        assert_int_equal(tl->ngaps, 3);
        const esc_tl_gap_t *g = &tl->gaps[2];
        assert_true(g->missed);
        assert_null(g->ev);
        assert_true(g->at == TL_AT(12, 30));
        assert_true(g->promised_at == TL_AT(12, 15));
        assert_int_equal(g->vs_promise_s, 15 * 60);
        assert_int_equal(g->since_previous_s, 45 * 60);
        esc_timeline_destroy(tl);
}

static void test_resolution_before_the_promised_update_misses_nothing(void **state)
{
        esc_timeline_t *tl = scripted(8, false);
        esc_event_t ev;

        esc_event_init(&ev, ESC_EV_RESOLVED);
        tl_envelope(&ev, TL_INC, 9, TL_AT(12, 0), "bob");
        ev.p.resolved.by = esc_strdup("bob");
        add_event(tl, &ev);
        build(tl);
        assert_int_equal(tl->nmissed, 0);
        assert_int_equal(tl->ngaps, 2);
        esc_timeline_destroy(tl);
}

static void test_sev3_daily_cadence_counts_business_days_not_weekends(void **state)
{
        /* Friday 2026-03-06 16:00 UTC on the default Mon-Fri 09-17 calendar. */
        const esc_time_t fri16 = INT64_C(1772812800000000), h = 60 * TL_MIN;
        const esc_time_t mon = fri16 + 72 * h; /* Monday 16:00 */
        esc_timeline_t *tl = esc_timeline_new("INC-S3");
        esc_event_t ev;

        tl_scripted_event(&ev, "INC-S3", 1);
        ev.occurred_at = fri16;
        ev.p.opened.detected_at = ESC_TIME_NONE;
        add_event(tl, &ev);
        esc_event_init(&ev, ESC_EV_SEVERITY_ASSIGNED);
        tl_envelope(&ev, "INC-S3", 2, fri16, "ledger");
        ev.p.sev_assigned.sev = 3;
        ev.p.sev_assigned.matrix_sev = 3;
        ev.p.sev_assigned.response_due_at = mon;
        ev.p.sev_assigned.next_update_due_at = mon;
        ev.p.sev_assigned.resolution_due_at = mon + 4 * 24 * h;
        add_event(tl, &ev);
        esc_event_init(&ev, ESC_EV_ACKNOWLEDGED);
        tl_envelope(&ev, "INC-S3", 3, fri16 + h / 2, "bob");
        ev.p.acknowledged.by = esc_strdup("bob");
        ev.p.acknowledged.message = esc_strdup("Sev 3; next update Monday 17:00 UTC");
        ev.p.acknowledged.next_update_at = mon + h;
        add_event(tl, &ev);
        esc_event_init(&ev, ESC_EV_CUSTOMER_UPDATE_POSTED);
        tl_envelope(&ev, "INC-S3", 4, mon + 20 * TL_MIN, "anna.csm");
        ev.p.update_posted.by = esc_strdup("anna.csm");
        ev.p.update_posted.audience = ESC_AUDIENCE_EXTERNAL;
        ev.p.update_posted.body = esc_strdup("Workaround confirmed; fix scheduled.");
        add_event(tl, &ev);
        build(tl);
        /* 1bd after Friday 16:30 is Monday 16:30, not Saturday 16:30. */
        assert_true(tl->gaps[0].cadence_due_at == mon + h / 2);
        assert_int_equal(tl->gaps[0].vs_cadence_s, -10 * 60);
        assert_int_equal(tl->gaps[0].vs_promise_s, -40 * 60);
        assert_false(tl->gaps[0].late);
        assert_int_equal(tl->gaps[0].since_previous_s, 71 * 3600 + 50 * 60);
        esc_timeline_destroy(tl);
}

static void test_plain_markdown_is_the_timeline_without_the_review_parts(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, false);

        build(tl);
        char *md = render(tl, ESC_TL_FMT_MARKDOWN, 0);
        assert_non_null(strstr(md, "# Timeline: INC-TL-1\n"));
        assert_non_null(strstr(md, "## Update cadence adherence"));
        assert_null(strstr(md, "## Five whys"));
        assert_null(strstr(md, "## Summary"));
        free(md);
        esc_timeline_destroy(tl);
}

static void test_refused_override_is_in_the_severity_history(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, false);

        build(tl);
        assert_int_equal(tl->nsevs, 3);
        assert_int_equal(tl->sevs[0].kind, ESC_TL_SEV_ASSIGNED);
        assert_int_equal(tl->sevs[1].kind, ESC_TL_SEV_REFUSED);
        assert_string_equal(tl->sevs[1].by, "anna.csm");
        assert_string_equal(tl->sevs[1].code, ESC_REJ_OVERRIDE_REQUIRES_MANAGER);
        assert_int_equal(tl->sevs[2].kind, ESC_TL_SEV_OVERRIDDEN);
        assert_int_equal(tl->sevs[2].from_sev, 2);
        assert_int_equal(tl->sevs[2].to_sev, 1);
        assert_string_equal(tl->sevs[2].by, "carol");
        assert_int_equal(tl->nrejections, 1);
        assert_int_equal(tl->sev, 1);
        esc_timeline_destroy(tl);
}

static void test_events_replay_in_seq_order_whatever_the_arrival_and_duplicates(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, true);
        esc_event_t dup;

        tl_scripted_event(&dup, TL_INC, 5);
        add_event(tl, &dup);
        build(tl);
        assert_int_equal(tl->nevs, TL_NEVENTS);
        assert_int_equal(tl->duplicates, 1);
        for (int i = 0; i < tl->nevs; i++)
                assert_int_equal(tl->evs[i].seq, i + 1);
        assert_int_equal(tl->nwarnings, 0);
        esc_timeline_destroy(tl);
}

static void test_reopen_clears_resolution_until_resolved_again(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, false);
        esc_event_t ev;

        esc_event_init(&ev, ESC_EV_REOPENED);
        tl_envelope(&ev, TL_INC, TL_NEVENTS + 1, TL_AT(15, 0), "anna.csm");
        ev.p.reopened.by = esc_strdup("anna.csm");
        ev.p.reopened.reason = esc_strdup("failing again");
        add_event(tl, &ev);
        build(tl);
        assert_true(tl->ms.resolved == ESC_TIME_NONE);
        assert_true(tl->ms.closed == ESC_TIME_NONE);
        assert_true(tl->sla.time_to_resolve_s == ESC_TL_NONE);
        assert_int_equal(tl->sla.resolution_met, -1);
        assert_int_equal(tl->nreopened, 1);

        esc_event_init(&ev, ESC_EV_RESOLVED);
        tl_envelope(&ev, TL_INC, TL_NEVENTS + 2, TL_AT(15, 30), "bob");
        ev.p.resolved.by = esc_strdup("bob");
        add_event(tl, &ev);
        build(tl);
        assert_int_equal(tl->sla.time_to_resolve_s, 330 * 60);
        assert_int_equal(tl->sla.resolution_met, 0); /* 15:30 > 14:00 */
        esc_timeline_destroy(tl);
}

static void test_trimmed_history_and_seq_gaps_are_reported_never_silently_complete(void **state)
{
        esc_timeline_t *tl = esc_timeline_new(TL_INC);
        char err[256];

        for (int64_t s = 5; s <= TL_NEVENTS; s++) {
                if (s == 9)
                        continue;
                esc_event_t ev;
                tl_scripted_event(&ev, TL_INC, s);
                add_event(tl, &ev);
        }
        tl->history_trimmed = true;
        tl->low_watermark = 1234;
        assert_int_equal(esc_timeline_build(tl, NULL, err, sizeof(err)), 0);
        char *json = render(tl, ESC_TL_FMT_JSON, 0);
        assert_non_null(strstr(json, "\"history_trimmed\": true"));
        assert_non_null(strstr(json, "seq gap: events 1..4 are missing"));
        assert_non_null(strstr(json, "seq gap: events 9..9 are missing"));
        assert_non_null(strstr(json, "low watermark is 1234"));
        /* Without the EscalationOpened the clock's start is unknown: null, not 0. */
        assert_true(tl->sla.time_to_acknowledge_s == ESC_TL_NONE);
        free(json);
        for (int f = ESC_TL_FMT_TEXT; f <= ESC_TL_FMT_HTML; f++) {
                char *s = render(tl, (esc_tl_format_t)f, ESC_TL_REVIEW);
                if (!strstr(s, "history trimmed"))
                        fail_msg("format %d does not report the trimmed history", f);
                free(s);
        }
        esc_timeline_destroy(tl);
}

static void test_sev4_backlog_has_no_resolution_target(void **state)
{
        esc_timeline_t *tl = esc_timeline_new("INC-S4");
        esc_event_t ev;

        tl_scripted_event(&ev, "INC-S4", 1);
        add_event(tl, &ev);
        esc_event_init(&ev, ESC_EV_SEVERITY_ASSIGNED);
        tl_envelope(&ev, "INC-S4", 2, TL_T0, "ledger");
        ev.p.sev_assigned.sev = 4;
        ev.p.sev_assigned.matrix_sev = 4;
        ev.p.sev_assigned.response_due_at = TL_T0 + 16 * 60 * TL_MIN;
        add_event(tl, &ev);
        esc_event_init(&ev, ESC_EV_RESOLVED);
        tl_envelope(&ev, "INC-S4", 3, TL_T0 + 60 * TL_MIN, "bob");
        ev.p.resolved.by = esc_strdup("bob");
        add_event(tl, &ev);
        build(tl);
        assert_int_equal(tl->sla.time_to_resolve_s, 3600);
        assert_true(tl->sla.resolution_target_s == ESC_TL_NONE);
        assert_int_equal(tl->sla.resolution_met, -1);
        assert_int_equal(tl->sla.response_met, -1); /* never acknowledged, no breach recorded */
        esc_timeline_destroy(tl);
}

static void test_unacknowledged_incident_with_a_response_breach_missed_its_sla(void **state)
{
        esc_timeline_t *tl = scripted(4, false);
        esc_event_t ev;

        esc_event_init(&ev, ESC_EV_SLA_BREACHED);
        tl_envelope(&ev, TL_INC, 5, TL_AT(11, 0), "timers");
        ev.p.sla_breached.clock = ESC_CLOCK_RESPONSE;
        ev.p.sla_breached.due_at = TL_AT(11, 0);
        add_event(tl, &ev);
        build(tl);
        assert_int_equal(tl->sla.response_met, 0);
        assert_true(tl->sla.time_to_acknowledge_s == ESC_TL_NONE);
        assert_int_equal(tl->sla.response_target_s, 3600);
        esc_timeline_destroy(tl);
}

static void test_review_draft_contains_each_part(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, false);

        build(tl);
        char *md = render(tl, ESC_TL_FMT_MARKDOWN, ESC_TL_REVIEW);
        const char *parts[] = {
                "# Post-incident review (draft): INC-TL-1",
                "## Summary",
                "## Timeline",
                "| acknowledged | 2026-03-02T10:20:00Z | 20m 00s |",
                "## Time to acknowledge and resolve vs SLA",
                "| time to acknowledge | 20m 00s | 1h 00m | 2026-03-02T11:00:00Z | met |",
                "| time to resolve | 2h 30m | 4h 00m | 2026-03-02T14:00:00Z | met |",
                "## Update cadence adherence",
                "2 external customer update(s), 1 late",
                "| — | 2026-03-02T12:30:00Z (resolved) | no update | 45m 00s | "
                "2026-03-02T12:15:00Z | 15m 00s |",
                "## Severity history",
                "| overridden | Sev 2 | Sev 1 | carol | renewal next week, exec sponsor "
                "escalated |",
                "override\\_requires\\_manager",
                "## Refused commands",
                "| 4 | 2026-03-02T10:02:00Z | override | anna.csm | "
                "override\\_requires\\_manager |",
                "## Five whys",
                "Stop at the process or system gap, not the person",
                "1. Why? exports returned 500",
                "4. Why? _…_",
                "**Systemic root cause:** export retries are unbounded",
                "## Corrective actions",
                "| ca-1 | Bound retries on the export queue | bob | 2026-03-09 |",
                "## Open questions",
                "customer update(s) were late",
        };
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
                if (!strstr(md, parts[i]))
                        fail_msg("review draft lacks \"%s\":\n%s", parts[i], md);
        /* The title's | and <b> must not break the table or inject markup. */
        assert_null(strstr(md, "<b>"));
        assert_non_null(strstr(md, "Invoice export fails \\| \"500\" \\<b\\>since"));
        free(md);
        esc_timeline_destroy(tl);
}

static void test_text_lists_milestones_sla_updates_and_events(void **state)
{
        esc_timeline_t *tl = scripted(TL_NEVENTS, false);

        build(tl);
        char *txt = render(tl, ESC_TL_FMT_TEXT, 0);
        const char *parts[] = {
                "INC-TL-1  Invoice export fails",
                "  acknowledged  2026-03-02T10:20:00Z   open + 20m 00s\n",
                "  time to acknowledge   20m 00s   target 1h 00m    due 2026-03-02T11:00:00Z "
                "       met\n",
                "CUSTOMER UPDATES (2 external, 1 late, 1 missed before resolution)",
                "MISSED: silent until resolved\n",
                "LATE\n",
                "! 8    2026-03-02T11:45:00Z        CustomerUpdatePosted  anna.csm      external "
                "update",
        };
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
                if (!strstr(txt, parts[i]))
                        fail_msg("text lacks \"%s\":\n%s", parts[i], txt);
        free(txt);
        esc_timeline_destroy(tl);
}

static void test_event_of_another_incident_is_refused(void **state)
{
        esc_timeline_t *tl = esc_timeline_new(TL_INC);
        esc_event_t ev;
        char err[256];

        tl_scripted_event(&ev, "INC-OTHER", 1);
        assert_int_equal(esc_timeline_add(tl, &ev, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "INC-OTHER"));
        esc_event_clear(&ev);
        assert_int_equal(esc_timeline_build(tl, NULL, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "no events"));
        esc_timeline_destroy(tl);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scripted_incident_yields_the_expected_json),
                cmocka_unit_test(
                        test_milestones_are_detection_ack_mitigation_resolution_confirmation_close),
                cmocka_unit_test(test_ack_is_judged_by_the_response_target_in_force_at_the_ack),
                cmocka_unit_test(test_resolution_is_judged_by_the_target_of_the_override),
                cmocka_unit_test(test_late_update_is_flagged_against_promise_and_cadence),
                cmocka_unit_test(
                        test_silence_from_last_update_to_a_later_resolution_is_a_missed_update),
                cmocka_unit_test(test_resolution_before_the_promised_update_misses_nothing),
                cmocka_unit_test(test_sev3_daily_cadence_counts_business_days_not_weekends),
                cmocka_unit_test(test_plain_markdown_is_the_timeline_without_the_review_parts),
                cmocka_unit_test(test_refused_override_is_in_the_severity_history),
                cmocka_unit_test(
                        test_events_replay_in_seq_order_whatever_the_arrival_and_duplicates),
                cmocka_unit_test(test_reopen_clears_resolution_until_resolved_again),
                cmocka_unit_test(
                        test_trimmed_history_and_seq_gaps_are_reported_never_silently_complete),
                cmocka_unit_test(test_sev4_backlog_has_no_resolution_target),
                cmocka_unit_test(
                        test_unacknowledged_incident_with_a_response_breach_missed_its_sla),
                cmocka_unit_test(test_review_draft_contains_each_part),
                cmocka_unit_test(test_text_lists_milestones_sla_updates_and_events),
                cmocka_unit_test(test_event_of_another_incident_is_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
