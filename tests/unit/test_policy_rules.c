/* test_policy_rules.c — the severity matrix, the account-weight bump and the
 * SLA table of the seed (Step 1), the policy file's errors naming file, line
 * and field, and on-call routing (Step 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/policy.h"
#include "runtime/policy_load.h"
#include "test_time.h"

#define DATA ESC_SOURCE_DIR "/tests/data/policy/"

static esc_account_t account(esc_tier_t tier, int health, bool paying)
{
        esc_account_t a = {.id = "acme",
                           .tier = tier,
                           .health_score = health,
                           .paying = paying,
                           .renewal_date = ESC_DATE_NONE};
        return a;
}

static esc_classification_t classify(const esc_policy_t *pol, esc_impact_t impact, esc_account_t a)
{
        esc_classification_t cl;
        assert_int_equal(esc_policy_classify(pol, &a, impact, T("2026-03-04T10:00:00Z"), &cl), 0);
        return cl;
}

/* ---- Step 1: the matrix -------------------------------------------------- */

static void test_production_down_data_loss_security_exposure_are_sev1_for_paying(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        esc_account_t a = account(ESC_TIER_STANDARD, 90, true);
        assert_int_equal(classify(pol, ESC_IMPACT_PRODUCTION_DOWN, a).sev, 1);
        assert_int_equal(classify(pol, ESC_IMPACT_DATA_LOSS, a).sev, 1);
        assert_int_equal(classify(pol, ESC_IMPACT_SECURITY_EXPOSURE, a).sev, 1);
        esc_policy_destroy(pol);
}

static void test_non_paying_production_down_is_sev2(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        esc_classification_t cl =
                classify(pol, ESC_IMPACT_PRODUCTION_DOWN, account(ESC_TIER_STANDARD, 90, false));
        assert_int_equal(cl.sev, 2);
        assert_int_equal(cl.matrix_sev, 2);
        assert_true(cl.non_paying);
        assert_false(cl.bumped);
        esc_policy_destroy(pol);
}

static void test_major_feature_broken_is_sev2(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        assert_int_equal(
                classify(pol, ESC_IMPACT_MAJOR_FEATURE_BROKEN, account(ESC_TIER_GROWTH, 80, true))
                        .sev,
                2);
        esc_policy_destroy(pol);
}

static void test_degraded_with_workaround_is_sev3(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        assert_int_equal(classify(pol, ESC_IMPACT_DEGRADED_WITH_WORKAROUND,
                                  account(ESC_TIER_GROWTH, 80, true))
                                 .sev,
                         3);
        esc_policy_destroy(pol);
}

static void test_cosmetic_question_feature_request_are_sev4(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        esc_account_t a = account(ESC_TIER_STANDARD, -1, true);
        assert_int_equal(classify(pol, ESC_IMPACT_COSMETIC, a).sev, 4);
        assert_int_equal(classify(pol, ESC_IMPACT_QUESTION, a).sev, 4);
        assert_int_equal(classify(pol, ESC_IMPACT_FEATURE_REQUEST, a).sev, 4);
        esc_policy_destroy(pol);
}

/* ---- Step 1: the bump rule ---------------------------------------------- */

static void test_sev3_on_strategic_account_becomes_sev2(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        esc_classification_t cl = classify(pol, ESC_IMPACT_DEGRADED_WITH_WORKAROUND,
                                           account(ESC_TIER_STRATEGIC, 90, true));
        assert_int_equal(cl.matrix_sev, 3);
        assert_int_equal(cl.sev, 2);
        assert_true(cl.bumped);
        assert_int_equal(cl.nreasons, 1);
        assert_string_equal(cl.reasons[0], "tier == strategic");
        esc_policy_destroy(pol);
}

static void test_health_59_bumps_and_health_60_does_not(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        esc_classification_t at59 = classify(pol, ESC_IMPACT_DEGRADED_WITH_WORKAROUND,
                                             account(ESC_TIER_STANDARD, 59, true));
        esc_classification_t at60 = classify(pol, ESC_IMPACT_DEGRADED_WITH_WORKAROUND,
                                             account(ESC_TIER_STANDARD, 60, true));
        assert_int_equal(at59.sev, 2);
        assert_true(at59.bumped);
        assert_string_equal(at59.reasons[0], "health_score < 60");
        assert_int_equal(at60.sev, 3);
        assert_false(at60.bumped);
        assert_int_equal(at60.nreasons, 0);
        /* Unknown health is not low health. */
        assert_int_equal(classify(pol, ESC_IMPACT_DEGRADED_WITH_WORKAROUND,
                                  account(ESC_TIER_STANDARD, -1, true))
                                 .sev,
                         3);
        esc_policy_destroy(pol);
}

static void test_strategic_sev1_stays_sev1(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        esc_classification_t cl =
                classify(pol, ESC_IMPACT_PRODUCTION_DOWN, account(ESC_TIER_STRATEGIC, 10, true));
        assert_int_equal(cl.sev, 1);
        assert_int_equal(cl.matrix_sev, 1);
        assert_false(cl.bumped);
        /* The weight was seen, it just has nowhere to go. */
        assert_int_equal(cl.nreasons, 2);
        esc_policy_destroy(pol);
}

static void test_two_conditions_bump_only_one_level(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        esc_classification_t cl =
                classify(pol, ESC_IMPACT_COSMETIC, account(ESC_TIER_STRATEGIC, 30, true));
        assert_int_equal(cl.matrix_sev, 4);
        assert_int_equal(cl.sev, 3);
        assert_true(cl.bumped);
        assert_int_equal(cl.nreasons, 2);
        esc_policy_destroy(pol);
}

static void test_renewal_within_days_bumps_when_configured(void **s)
{
        char err[4096];
        esc_policy_t *pol = esc_policy_load(DATA "good.yaml", err, sizeof(err));
        assert_non_null(pol);
        esc_account_t a = account(ESC_TIER_STANDARD, 90, true);
        assert_int_equal(esc_date_parse("2026-06-02", &a.renewal_date, NULL, 0), 0);
        /* 90 days after 2026-03-04 is 2026-06-02: within. */
        esc_classification_t cl = classify(pol, ESC_IMPACT_DEGRADED_WITH_WORKAROUND, a);
        assert_int_equal(cl.sev, 2);
        assert_string_equal(cl.reasons[0], "renewal within 90 days");
        assert_int_equal(esc_date_parse("2026-06-03", &a.renewal_date, NULL, 0), 0);
        assert_int_equal(classify(pol, ESC_IMPACT_DEGRADED_WITH_WORKAROUND, a).sev, 3);
        /* The default policy has no renewal condition. */
        esc_policy_t *def = esc_policy_default();
        assert_int_equal(esc_date_parse("2026-03-10", &a.renewal_date, NULL, 0), 0);
        assert_int_equal(classify(def, ESC_IMPACT_DEGRADED_WITH_WORKAROUND, a).sev, 3);
        esc_policy_destroy(def);
        esc_policy_destroy(pol);
}

/* ---- Step 1: the SLA table ---------------------------------------------- */

static void test_sev1_responds_in_15m_updates_every_30m_resolves_in_4h_and_pages(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        esc_deadlines_t dl;
        esc_policy_deadlines(pol, 1, T("2026-03-06T16:00:00Z"), &dl);
        assert_time(dl.response_due_at, "2026-03-06T16:15:00Z");
        assert_time(dl.next_update_due_at, "2026-03-06T16:15:00Z");
        assert_time(dl.resolution_due_at, "2026-03-06T20:00:00Z");
        assert_true(pol->sev[1].page);
        assert_true(pol->sev[1].update_every.kind == ESC_DUR_WALL &&
                    pol->sev[1].update_every.amount == 30 * 60);
        esc_policy_destroy(pol);
}

static void test_sev2_responds_in_1h_updates_every_2h_resolves_in_1bd(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        esc_deadlines_t dl;
        esc_policy_deadlines(pol, 2, T("2026-03-06T16:00:00Z"), &dl);
        assert_time(dl.response_due_at, "2026-03-06T17:00:00Z");
        assert_time(dl.next_update_due_at, "2026-03-06T17:00:00Z");
        assert_time(dl.resolution_due_at, "2026-03-09T16:00:00Z");
        assert_false(pol->sev[2].page);
        assert_true(pol->sev[2].update_every.amount == 2 * 3600);
        esc_policy_destroy(pol);
}

static void test_sev3_responds_in_1bd_updates_daily_resolves_in_5bd(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        esc_deadlines_t dl;
        esc_policy_deadlines(pol, 3, T("2026-03-06T16:00:00Z"), &dl);
        assert_time(dl.response_due_at, "2026-03-09T16:00:00Z");
        assert_time(dl.next_update_due_at, "2026-03-09T16:00:00Z");
        assert_time(dl.resolution_due_at, "2026-03-13T16:00:00Z");
        assert_true(pol->sev[3].update_every.kind == ESC_DUR_BUSINESS);
        esc_policy_destroy(pol);
}

static void test_sev4_responds_in_2bd_updates_on_change_and_goes_to_backlog(void **s)
{
        esc_policy_t *pol = esc_policy_default();
        esc_deadlines_t dl;
        esc_policy_deadlines(pol, 4, T("2026-03-06T16:00:00Z"), &dl);
        assert_time(dl.response_due_at, "2026-03-10T16:00:00Z");
        assert_time(dl.next_update_due_at, "none");
        assert_time(dl.resolution_due_at, "none");
        esc_policy_destroy(pol);
}

static void test_durations_parse_wall_clock_and_business_days(void **s)
{
        esc_dur_t d;
        char b[16];
        assert_int_equal(esc_dur_parse("15m", &d), 0);
        assert_true(d.kind == ESC_DUR_WALL && d.amount == 900);
        assert_int_equal(esc_dur_parse("4h", &d), 0);
        assert_string_equal(esc_dur_format(d, b, sizeof(b)), "4h");
        assert_int_equal(esc_dur_parse("5bd", &d), 0);
        assert_true(d.kind == ESC_DUR_BUSINESS && d.amount == 5);
        assert_int_equal(esc_dur_parse("1x", &d), -1);
        assert_int_equal(esc_dur_parse("0m", &d), -1);
        assert_int_equal(esc_dur_parse("h", &d), -1);
        assert_int_equal(esc_dur_parse("-1h", &d), -1);
}

/* ---- the policy file ---------------------------------------------------- */

struct lines {
        int n;
        char v[32][512];
};

static void keep(void *opaque, const char *line)
{
        struct lines *l = opaque;
        if (l->n < 32)
                esc_strlcpy(l->v[l->n], line, sizeof(l->v[0]));
        l->n++;
}

static bool has_line(const struct lines *l, const char *needle)
{
        for (int i = 0; i < l->n && i < 32; i++)
                if (strstr(l->v[i], needle))
                        return true;
        return false;
}

static void test_bad_duration_names_file_line_and_field(void **s)
{
        char err[4096];
        assert_null(esc_policy_load(DATA "bad-duration.yaml", err, sizeof(err)));
        assert_non_null(strstr(err,
                               "tests/data/policy/bad-duration.yaml:14: severities[2].response: "
                               "\"1x\" is not a duration (use 15m, 4h or 1bd)"));
}

static void test_every_error_is_reported_not_just_the_first(void **s)
{
        struct lines l = {0};
        int n = esc_policy_check(DATA "many-errors.yaml", NULL, keep, &l);
        assert_int_equal(n, l.n);
        assert_true(l.n >= 8);
        assert_true(has_line(&l, "many-errors.yaml:5: calendars.office.timezone: time zone "
                                 "\"Mars/Olympus_Mons\" is unknown"));
        assert_true(has_line(&l, ":7: calendars.office.hours.mon[0]: \"17:00-09:00\""));
        assert_true(has_line(&l, ":8: calendars.office.hours: \"funday\" is not a weekday"));
        assert_true(
                has_line(&l, ":10: matrix.production_down: \"0\" is not a whole number in 1..4"));
        assert_true(has_line(&l, ":18: matrix: \"typo_impact\" is not an impact"));
        assert_true(has_line(&l, ":20: bump[0].tier: \"platinum\" is not a tier"));
        assert_true(has_line(&l, ":22: people[0].role: \"boss\" is not a role"));
        assert_true(has_line(&l, ":23: cs_manager: \"nobody\" is not listed in people"));
        assert_true(has_line(&l, ":24: colour: unknown key"));
        assert_true(has_line(&l, ":25: version: listed twice"));
}

static void test_rotation_errors_name_the_rotation_field(void **s)
{
        struct lines l = {0};
        assert_true(esc_policy_check(DATA "rotation-errors.yaml", NULL, keep, &l) > 0);
        assert_true(
                has_line(&l, ":7: rotations[0].members[1]: \"mallory\" is not listed in people"));
        assert_true(has_line(&l, ":8: rotations[0].handoff: \"fortnightly\" is not a schedule"));
        assert_true(has_line(&l, ":10: rotations[0].at: \"25:00\" is not a time of day"));
        assert_true(has_line(&l, ":9: rotations[0].day: start is a tue but handoffs are on mon"));
        assert_true(has_line(&l, "rotations[1].product_area: missing"));
        assert_true(has_line(&l, "rotations[1].members: missing or empty"));
        assert_true(has_line(&l, "rotations[1].start: missing"));
        assert_true(has_line(&l, ":13: cs_manager: \"dave\" does not have role cs_manager"));
}

/* accounts: the static defaults an open command's omissions are filled
 * from (DESIGN §9, People and accounts). */
static void test_accounts_give_each_account_its_defaults(void **s)
{
        char err[4096];
        esc_policy_t *pol = esc_policy_load(DATA "good.yaml", err, sizeof(err));
        if (!pol)
                fail_msg("%s", err);
        const esc_policy_account_t *a = esc_policy_account(pol, "initech");
        assert_non_null(a);
        assert_string_equal(a->name, "Initech Inc");
        assert_string_equal(a->csm, "gina");
        assert_int_equal(a->health_score, 45);
        assert_false(a->has_tier);
        assert_false(a->has_paying);
        assert_string_equal(a->crm_url, "https://crm.example.com/accounts/initech");
        assert_ptr_equal(esc_policy_account_by_org(pol, "360009"), a);
        assert_null(esc_policy_account_by_org(pol, "360010"));
        /* and a Slack user is a person through people[].slack_user_id */
        assert_ptr_equal(esc_policy_person_by_slack(pol, "U01"), esc_policy_person(pol, "carol"));
        assert_null(esc_policy_person_by_slack(pol, "U02"));
        assert_null(esc_policy_person_by_slack(pol, ""));
        const esc_policy_account_t *h = esc_policy_account(pol, "hooli");
        assert_non_null(h);
        assert_true(h->has_tier && h->tier == ESC_TIER_STRATEGIC);
        assert_true(h->has_paying && !h->paying);
        assert_int_equal(h->health_score, -1);
        assert_null(h->csm);
        assert_null(esc_policy_account(pol, "acme"));
        esc_policy_destroy(pol);
}

static void test_account_errors_name_the_account_field(void **s)
{
        struct lines l = {0};
        assert_true(esc_policy_check(DATA "account-errors.yaml", NULL, keep, &l) > 0);
        assert_true(has_line(&l, ":7: accounts[0].csm: \"nobody\" is not listed in people"));
        assert_true(has_line(
                &l, ":7: accounts[0].health_score: \"101\" is not a whole number in 0..100"));
        assert_true(has_line(&l, ":8: accounts[1].csm: \"carol\" does not have role csm"));
        assert_true(has_line(&l, ":8: accounts[1].tier: \"platinum\" is not a tier"));
        assert_true(has_line(&l, ":8: accounts[1].paying: \"maybe\" is not a boolean"));
        assert_true(has_line(&l, ":9: accounts[2].id: missing"));
        assert_true(has_line(&l, ":10: accounts[3].id: \"acme\" is listed twice"));
        assert_true(has_line(&l, ":11: accounts[4].renewal_date: \"soon\" is not a date"));
        assert_true(has_line(&l, ":12: accounts[5].zendesk_organization_id: \"42\" already "
                                 "belongs to account umbrella"));
        assert_true(has_line(&l, ":12: accounts[5].colour: unknown key"));
}

static void test_yaml_syntax_error_names_the_line(void **s)
{
        char err[4096];
        assert_null(esc_policy_load(DATA "not-yaml.yaml", err, sizeof(err)));
        assert_non_null(strstr(err, "not-yaml.yaml:"));
        assert_non_null(strstr(err, "(syntax)"));
        assert_null(esc_policy_load(DATA "no-such-file.yaml", err, sizeof(err)));
        assert_non_null(strstr(err, "no-such-file.yaml"));
}

static void test_shipped_policy_file_equals_the_builtin_defaults(void **s)
{
        char err[4096];
        esc_policy_t *file =
                esc_policy_load(ESC_SOURCE_DIR "/config/policy.yaml", err, sizeof(err));
        if (!file)
                fail_msg("%s", err);
        esc_policy_t *def = esc_policy_default();
        for (int sev = 1; sev <= 4; sev++) {
                const esc_sev_rule_t *f = &file->sev[sev], *d = &def->sev[sev];
                assert_int_equal(f->response.kind, d->response.kind);
                assert_true(f->response.amount == d->response.amount);
                assert_int_equal(f->update_every.kind, d->update_every.kind);
                assert_true(f->update_every.amount == d->update_every.amount);
                assert_int_equal(f->resolution.kind, d->resolution.kind);
                assert_true(f->resolution.amount == d->resolution.amount);
                assert_int_equal(f->page, d->page);
        }
        assert_memory_equal(file->matrix, def->matrix, sizeof(def->matrix));
        assert_int_equal(file->nbumps, def->nbumps);
        assert_int_equal(file->non_paying_sev1_becomes, 2);
        assert_true(esc_policy_is_manager(file, "carol"));
        esc_policy_destroy(file);
        esc_policy_destroy(def);
}

static void test_policy_from_config_uses_the_configured_path(void **s)
{
        char err[4096];
        esc_config_t *conf = esc_config_new_defaults();
        esc_config_set(conf, "policy", DATA "good.yaml");
        esc_policy_t *pol = esc_policy_from_config(conf, err, sizeof(err));
        assert_non_null(pol);
        assert_string_equal(pol->version, "test-1");
        esc_policy_destroy(pol);
        esc_config_set(conf, "policy", DATA "missing.yaml");
        assert_null(esc_policy_from_config(conf, err, sizeof(err)));
        assert_non_null(strstr(err, "missing.yaml"));
        esc_config_destroy(conf);
}

static void test_business_days_follow_the_chosen_calendar_across_berlin_dst(void **s)
{
        char err[4096];
        esc_policy_t *pol = esc_policy_load(DATA "berlin.yaml", err, sizeof(err));
        if (!pol)
                fail_msg("%s", err);
        /* 4 x 7h + 4h over 5 days: one business day is 6.4 working hours. */
        assert_true(esc_cal_day_seconds(pol->cal) == (4 * 7 + 4) * 3600 / 5);
        esc_deadlines_t dl;
        /* Sev 3 opened Friday 2026-10-23 12:00 CEST (10:00Z): 1h on Friday,
         * then Monday 2026-10-26 (CET, after the change) 09:00-12:00 and
         * 13:00-15:24 -> 15:24 CET = 14:24Z. */
        esc_policy_deadlines(pol, 3, T("2026-10-23T10:00:00Z"), &dl);
        assert_time(dl.response_due_at, "2026-10-26T14:24:00Z");
        /* Sev 1 stays wall-clock: 4h is 4h even overnight. */
        esc_policy_deadlines(pol, 1, T("2026-10-24T23:30:00Z"), &dl);
        assert_time(dl.resolution_due_at, "2026-10-25T03:30:00Z");
        /* German Unity Day (Saturday 2026-10-03) and Christmas are holidays. */
        esc_date_t d;
        esc_date_parse("2026-12-25", &d, NULL, 0);
        assert_true(esc_cal_is_holiday(pol->cal, d));
        assert_string_equal(pol->version, "berlin-1");
        esc_policy_destroy(pol);
}

/* ---- Step 2: routing ---------------------------------------------------- */

static void test_weekly_rotation_hands_off_on_monday_0900_local(void **s)
{
        char err[4096];
        esc_policy_t *pol = esc_policy_load(DATA "good.yaml", err, sizeof(err));
        if (!pol)
                fail_msg("%s", err);
        /* Berlin, weekly on Monday 09:00 from 2026-01-05: alice, bob, ... */
        assert_string_equal(esc_policy_on_call(pol, "billing", T("2026-01-05T08:00:00Z")), "alice");
        assert_string_equal(esc_policy_on_call(pol, "billing", T("2026-01-12T07:59:59Z")), "alice");
        assert_string_equal(esc_policy_on_call(pol, "billing", T("2026-01-12T08:00:00Z")), "bob");
        /* Summer time: the handoff stays at 09:00 local (07:00Z). */
        assert_string_equal(esc_policy_on_call(pol, "billing", T("2026-07-06T06:59:00Z")), "bob");
        assert_string_equal(esc_policy_on_call(pol, "billing", T("2026-07-06T07:00:00Z")), "alice");
        /* Before the first shift the rotation runs backwards. */
        assert_string_equal(esc_policy_on_call(pol, "billing", T("2026-01-05T07:00:00Z")), "bob");
        /* Other areas: the "*" rotation, daily at 08:00 New York. */
        assert_string_equal(esc_policy_on_call(pol, "search", T("2026-01-01T13:00:00Z")), "frank");
        assert_string_equal(esc_policy_on_call(pol, "search", T("2026-01-02T13:00:00Z")), "alice");
        assert_string_equal(esc_policy_cs_manager(pol, "search"), "erin");
        assert_string_equal(esc_policy_cs_manager(pol, "billing"), "carol");
        esc_policy_destroy(pol);
}

static void test_only_people_listed_as_cs_manager_are_managers(void **s)
{
        char err[4096];
        esc_policy_t *pol = esc_policy_load(DATA "good.yaml", err, sizeof(err));
        assert_non_null(pol);
        assert_true(esc_policy_is_manager(pol, "carol"));
        assert_false(esc_policy_is_manager(pol, "dave"));
        assert_false(esc_policy_is_manager(pol, "mallory"));
        assert_false(esc_policy_is_manager(pol, NULL));
        assert_string_equal(esc_policy_person(pol, "alice")->linear_user_id, "L-alice");
        /* The calendar chosen by name. */
        assert_string_equal(pol->calendar_name, "office");
        esc_date_t xmas;
        esc_date_parse("2026-12-25", &xmas, NULL, 0);
        assert_true(esc_cal_is_holiday(pol->cal, xmas));
        esc_policy_destroy(pol);
        /* The built-in defaults list nobody. */
        pol = esc_policy_default();
        assert_false(esc_policy_is_manager(pol, "carol"));
        assert_null(esc_policy_on_call(pol, "billing", T("2026-01-05T08:00:00Z")));
        esc_policy_destroy(pol);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(
                        test_production_down_data_loss_security_exposure_are_sev1_for_paying),
                cmocka_unit_test(test_non_paying_production_down_is_sev2),
                cmocka_unit_test(test_major_feature_broken_is_sev2),
                cmocka_unit_test(test_degraded_with_workaround_is_sev3),
                cmocka_unit_test(test_cosmetic_question_feature_request_are_sev4),
                cmocka_unit_test(test_sev3_on_strategic_account_becomes_sev2),
                cmocka_unit_test(test_health_59_bumps_and_health_60_does_not),
                cmocka_unit_test(test_strategic_sev1_stays_sev1),
                cmocka_unit_test(test_two_conditions_bump_only_one_level),
                cmocka_unit_test(test_renewal_within_days_bumps_when_configured),
                cmocka_unit_test(
                        test_sev1_responds_in_15m_updates_every_30m_resolves_in_4h_and_pages),
                cmocka_unit_test(test_sev2_responds_in_1h_updates_every_2h_resolves_in_1bd),
                cmocka_unit_test(test_sev3_responds_in_1bd_updates_daily_resolves_in_5bd),
                cmocka_unit_test(test_sev4_responds_in_2bd_updates_on_change_and_goes_to_backlog),
                cmocka_unit_test(test_durations_parse_wall_clock_and_business_days),
                cmocka_unit_test(test_bad_duration_names_file_line_and_field),
                cmocka_unit_test(test_every_error_is_reported_not_just_the_first),
                cmocka_unit_test(test_rotation_errors_name_the_rotation_field),
                cmocka_unit_test(test_accounts_give_each_account_its_defaults),
                cmocka_unit_test(test_account_errors_name_the_account_field),
                cmocka_unit_test(test_yaml_syntax_error_names_the_line),
                cmocka_unit_test(test_shipped_policy_file_equals_the_builtin_defaults),
                cmocka_unit_test(test_policy_from_config_uses_the_configured_path),
                cmocka_unit_test(test_business_days_follow_the_chosen_calendar_across_berlin_dst),
                cmocka_unit_test(test_weekly_rotation_hands_off_on_monday_0900_local),
                cmocka_unit_test(test_only_people_listed_as_cs_manager_are_managers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
