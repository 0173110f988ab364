/* test_sla_fold.c — the SLA projection's event -> row rules without a
 * database: time to acknowledge / resolve, the breach flags, override-aware
 * deadlines, the lateness of customer updates against the promise in force,
 * reopen, and the COPY text the rows travel in. Times follow the seed's
 * table: Sev 2 = respond in 1 h, update every 2 h, resolve in 1 business day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "projections/sla/sla.h"
#include "test_time.h"

static int64_t seq_no;

static void ev_init(esc_event_t *ev, esc_event_type_t type, const char *at)
{
        esc_event_init(ev, type);
        ev->incident_id = esc_strdup("INC-1");
        ev->event_id = esc_strdup("e");
        ev->actor = esc_strdup("alice");
        ev->seq = ++seq_no;
        ev->occurred_at = T(at);
        ev->recorded_at = ev->occurred_at;
}

/* Folds one event and clears it. */
static void fold(esc_sla_incident_t *inc, esc_event_t *ev, esc_sla_effect_t *eff)
{
        esc_sla_fold(inc, ev, eff);
        esc_event_clear(ev);
}

/* Opened Wed 2026-03-04 10:00Z as Sev 2: response due 11:00, first update
 * due 11:00, resolution due Thu 10:00 (1 business day). */
static void open_sev2(esc_sla_incident_t *inc)
{
        esc_event_t ev;

        seq_no = 0;
        esc_sla_incident_init(inc, "INC-1");
        ev_init(&ev, ESC_EV_ESCALATION_OPENED, "2026-03-04T10:00:00Z");
        ev.p.opened.account.id = esc_strdup("acct-acme");
        ev.p.opened.account.tier = ESC_TIER_STRATEGIC;
        ev.p.opened.account.health_score = 55;
        ev.p.opened.product_area = esc_strdup("billing");
        ev.p.opened.title = esc_strdup("Invoices fail");
        fold(inc, &ev, NULL);
        ev_init(&ev, ESC_EV_SEVERITY_ASSIGNED, "2026-03-04T10:00:00Z");
        ev.p.sev_assigned.sev = 2;
        ev.p.sev_assigned.matrix_sev = 3;
        ev.p.sev_assigned.bumped = true;
        ev.p.sev_assigned.response_due_at = T("2026-03-04T11:00:00Z");
        ev.p.sev_assigned.next_update_due_at = T("2026-03-04T11:00:00Z");
        ev.p.sev_assigned.resolution_due_at = T("2026-03-05T10:00:00Z");
        fold(inc, &ev, NULL);
}

static void ack(esc_sla_incident_t *inc, const char *at, const char *next)
{
        esc_event_t ev;
        ev_init(&ev, ESC_EV_ACKNOWLEDGED, at);
        ev.p.acknowledged.by = esc_strdup("alice");
        ev.p.acknowledged.message = esc_strdup("on it");
        ev.p.acknowledged.next_update_at = T(next);
        fold(inc, &ev, NULL);
}

static void update(esc_sla_incident_t *inc, esc_audience_t aud, const char *at, const char *next,
                   esc_sla_effect_t *eff)
{
        esc_event_t ev;
        ev_init(&ev, ESC_EV_CUSTOMER_UPDATE_POSTED, at);
        ev.p.update_posted.by = esc_strdup("carol");
        ev.p.update_posted.audience = aud;
        ev.p.update_posted.body = esc_strdup("still investigating");
        ev.p.update_posted.next_update_at = next ? T(next) : ESC_TIME_NONE;
        fold(inc, &ev, eff);
}

static void simple(esc_sla_incident_t *inc, esc_event_type_t type, const char *at)
{
        esc_event_t ev;
        ev_init(&ev, type, at);
        fold(inc, &ev, NULL);
}

static void test_opened_incident_row_carries_account_and_sev(void **state)
{
        esc_sla_incident_t inc;

        (void)state;
        open_sev2(&inc);
        assert_true(inc.exists);
        assert_string_equal(esc_status_name(inc.status), "open");
        assert_string_equal(inc.account_id, "acct-acme");
        assert_int_equal(inc.tier, ESC_TIER_STRATEGIC);
        assert_int_equal(inc.health_score, 55);
        assert_int_equal(inc.sev, 2);
        assert_int_equal(inc.matrix_sev, 3);
        assert_true(inc.bumped);
        assert_true(inc.opened_at == T("2026-03-04T10:00:00Z"));
        assert_true(inc.response_due_at == T("2026-03-04T11:00:00Z"));
        assert_int_equal(inc.last_seq, 2);
        assert_int_equal(esc_sla_tta_us(&inc), -1);
        esc_sla_incident_clear(&inc);
}

static void test_sev2_acknowledged_after_one_hour_breaches_the_response_sla(void **state)
{
        esc_sla_incident_t inc;

        (void)state;
        open_sev2(&inc);
        ack(&inc, "2026-03-04T11:20:00Z", "2026-03-04T13:00:00Z");
        assert_string_equal(esc_status_name(inc.status), "acknowledged");
        assert_true(esc_sla_tta_us(&inc) == 4800 * ESC_USEC_PER_SEC);
        assert_true(inc.response_breached);
        assert_false(inc.resolution_breached);
        assert_true(inc.next_update_due_at == T("2026-03-04T13:00:00Z"));
        esc_sla_incident_clear(&inc);
}

static void test_acknowledged_exactly_at_the_deadline_meets_the_response_sla(void **state)
{
        esc_sla_incident_t inc;

        (void)state;
        open_sev2(&inc);
        ack(&inc, "2026-03-04T11:00:00Z", "2026-03-04T13:00:00Z");
        assert_true(esc_sla_tta_us(&inc) == 3600 * ESC_USEC_PER_SEC);
        assert_false(inc.response_breached);
        esc_sla_incident_clear(&inc);
}

static void test_time_to_acknowledge_counts_from_the_first_acknowledgement(void **state)
{
        esc_sla_incident_t inc;

        (void)state;
        open_sev2(&inc);
        ack(&inc, "2026-03-04T10:30:00Z", "2026-03-04T12:30:00Z");
        ack(&inc, "2026-03-04T12:00:00Z", "2026-03-04T14:00:00Z");
        assert_true(esc_sla_tta_us(&inc) == 1800 * ESC_USEC_PER_SEC);
        assert_false(inc.response_breached);
        /* ...while the newest promise is the one in force. */
        assert_true(inc.next_update_due_at == T("2026-03-04T14:00:00Z"));
        esc_sla_incident_clear(&inc);
}

static void test_update_after_the_promised_time_is_late_by_the_difference(void **state)
{
        esc_sla_incident_t inc;
        esc_sla_effect_t eff;

        (void)state;
        open_sev2(&inc);
        ack(&inc, "2026-03-04T10:30:00Z", "2026-03-04T12:30:00Z");
        update(&inc, ESC_AUDIENCE_EXTERNAL, "2026-03-04T12:20:00Z", "2026-03-04T14:20:00Z", &eff);
        assert_true(eff.update_due_at == T("2026-03-04T12:30:00Z"));
        assert_true(eff.update_late_us == 0);
        update(&inc, ESC_AUDIENCE_EXTERNAL, "2026-03-04T15:00:00Z", "2026-03-04T17:00:00Z", &eff);
        assert_true(eff.update_due_at == T("2026-03-04T14:20:00Z"));
        assert_true(eff.update_late_us == 40 * 60 * ESC_USEC_PER_SEC);
        assert_true(inc.next_update_due_at == T("2026-03-04T17:00:00Z"));
        esc_sla_incident_clear(&inc);
}

static void test_first_update_before_any_promise_is_measured_against_the_cadence(void **state)
{
        esc_sla_incident_t inc;
        esc_sla_effect_t eff;

        (void)state;
        open_sev2(&inc);
        update(&inc, ESC_AUDIENCE_EXTERNAL, "2026-03-04T11:05:00Z", "2026-03-04T13:05:00Z", &eff);
        assert_true(eff.update_due_at == T("2026-03-04T11:00:00Z"));
        assert_true(eff.update_late_us == 5 * 60 * ESC_USEC_PER_SEC);
        esc_sla_incident_clear(&inc);
}

static void test_internal_update_does_not_move_the_customer_clock(void **state)
{
        esc_sla_incident_t inc;
        esc_sla_effect_t eff;

        (void)state;
        open_sev2(&inc);
        ack(&inc, "2026-03-04T10:30:00Z", "2026-03-04T12:30:00Z");
        update(&inc, ESC_AUDIENCE_INTERNAL, "2026-03-04T13:00:00Z", "2026-03-04T18:00:00Z", &eff);
        assert_true(eff.update_due_at == ESC_TIME_NONE);
        assert_true(eff.update_late_us == -1);
        assert_true(inc.next_update_due_at == T("2026-03-04T12:30:00Z"));
        esc_sla_incident_clear(&inc);
}

static void test_update_without_a_due_time_has_no_lateness(void **state)
{
        esc_sla_incident_t inc;
        esc_sla_effect_t eff;

        (void)state;
        open_sev2(&inc);
        inc.next_update_due_at = ESC_TIME_NONE; /* Sev 4: "on change" */
        update(&inc, ESC_AUDIENCE_EXTERNAL, "2026-03-04T13:00:00Z", NULL, &eff);
        assert_true(eff.update_due_at == ESC_TIME_NONE);
        assert_true(eff.update_late_us == -1);
        esc_sla_incident_clear(&inc);
}

static void test_override_before_acknowledgement_applies_the_new_response_deadline(void **state)
{
        esc_sla_incident_t inc;
        esc_event_t ev;

        (void)state;
        open_sev2(&inc);
        ev_init(&ev, ESC_EV_SEVERITY_OVERRIDDEN, "2026-03-04T10:05:00Z");
        ev.p.sev_overridden.from_sev = 2;
        ev.p.sev_overridden.to_sev = 1;
        ev.p.sev_overridden.by = esc_strdup("mgr");
        ev.p.sev_overridden.reason = esc_strdup("renewal at risk");
        ev.p.sev_overridden.response_due_at = T("2026-03-04T10:15:00Z");
        ev.p.sev_overridden.next_update_due_at = T("2026-03-04T10:15:00Z");
        ev.p.sev_overridden.resolution_due_at = T("2026-03-04T14:00:00Z");
        fold(&inc, &ev, NULL);
        assert_int_equal(inc.sev, 1);
        assert_int_equal(inc.matrix_sev, 3);
        /* 10:20 meets Sev 2's 11:00 but not the overridden Sev 1's 10:15. */
        ack(&inc, "2026-03-04T10:20:00Z", "2026-03-04T10:50:00Z");
        assert_true(inc.response_breached);
        simple(&inc, ESC_EV_RESOLVED, "2026-03-04T15:00:00Z");
        assert_true(inc.resolution_breached);
        assert_true(esc_sla_ttr_us(&inc) == 5 * 3600 * ESC_USEC_PER_SEC);
        esc_sla_incident_clear(&inc);
}

static void test_resolved_within_one_business_day_meets_the_resolution_target(void **state)
{
        esc_sla_incident_t inc;

        (void)state;
        open_sev2(&inc);
        ack(&inc, "2026-03-04T10:30:00Z", "2026-03-04T12:30:00Z");
        simple(&inc, ESC_EV_MITIGATED, "2026-03-04T16:00:00Z");
        simple(&inc, ESC_EV_RESOLVED, "2026-03-05T09:59:59Z");
        assert_string_equal(esc_status_name(inc.status), "resolved");
        assert_false(inc.resolution_breached);
        assert_true(esc_sla_ttr_us(&inc) == (24 * 3600 - 1) * ESC_USEC_PER_SEC);
        esc_sla_incident_clear(&inc);
}

static void test_sla_breached_event_sets_the_flag_and_a_breach_is_never_undone(void **state)
{
        esc_sla_incident_t inc;
        esc_event_t ev;

        (void)state;
        open_sev2(&inc);
        ev_init(&ev, ESC_EV_SLA_BREACHED, "2026-03-04T11:00:01Z");
        ev.p.sla_breached.clock = ESC_CLOCK_RESPONSE;
        ev.p.sla_breached.due_at = T("2026-03-04T11:00:00Z");
        fold(&inc, &ev, NULL);
        assert_true(inc.response_breached);
        /* A later, more lenient override does not unbreach it. */
        ev_init(&ev, ESC_EV_SEVERITY_OVERRIDDEN, "2026-03-04T11:10:00Z");
        ev.p.sev_overridden.from_sev = 2;
        ev.p.sev_overridden.to_sev = 3;
        ev.p.sev_overridden.response_due_at = T("2026-03-05T10:00:00Z");
        fold(&inc, &ev, NULL);
        ack(&inc, "2026-03-04T11:15:00Z", "2026-03-05T11:15:00Z");
        assert_true(inc.response_breached);
        esc_sla_incident_clear(&inc);
}

static void test_reopened_incident_goes_back_to_acknowledged_and_clears_resolution(void **state)
{
        esc_sla_incident_t inc;

        (void)state;
        open_sev2(&inc);
        ack(&inc, "2026-03-04T10:30:00Z", "2026-03-04T12:30:00Z");
        simple(&inc, ESC_EV_RESOLVED, "2026-03-04T12:00:00Z");
        simple(&inc, ESC_EV_CUSTOMER_CONFIRMED, "2026-03-04T12:30:00Z");
        simple(&inc, ESC_EV_CLOSED, "2026-03-04T13:00:00Z");
        simple(&inc, ESC_EV_REOPENED, "2026-03-04T14:00:00Z");
        assert_string_equal(esc_status_name(inc.status), "acknowledged");
        assert_true(inc.resolved_at == ESC_TIME_NONE);
        assert_true(inc.confirmed_at == ESC_TIME_NONE);
        assert_true(inc.closed_at == ESC_TIME_NONE);
        assert_true(inc.acknowledged_at == T("2026-03-04T10:30:00Z"));
        assert_int_equal(esc_sla_ttr_us(&inc), -1);
        /* TTR then counts to the latest resolution. */
        simple(&inc, ESC_EV_RESOLVED, "2026-03-05T11:00:00Z");
        assert_true(esc_sla_ttr_us(&inc) == 25 * 3600 * ESC_USEC_PER_SEC);
        assert_true(inc.resolution_breached);
        esc_sla_incident_clear(&inc);
}

static void test_copy_text_escapes_tabs_newlines_and_backslashes(void **state)
{
        esc_buf_t b;

        (void)state;
        esc_buf_init(&b, 1024);
        assert_int_equal(esc_sla_copy_str(&b, "a\tb\nc\\d\re"), 0);
        assert_string_equal(b.data, "a\\tb\\nc\\\\d\\re");
        esc_buf_reset(&b);
        assert_int_equal(esc_sla_copy_str(&b, NULL), 0);
        assert_string_equal(b.data, "\\N");
        esc_buf_free(&b);
}

static void test_customer_update_row_carries_due_time_and_late_seconds(void **state)
{
        esc_sla_rows_t rows;
        esc_event_t ev;
        esc_sla_effect_t eff = {.update_due_at = T("2026-03-04T14:50:00Z"),
                                .update_late_us = 2400 * ESC_USEC_PER_SEC};

        (void)state;
        seq_no = 6;
        esc_sla_rows_init(&rows, 0);
        ev_init(&ev, ESC_EV_CUSTOMER_UPDATE_POSTED, "2026-03-04T15:30:00Z");
        ev.p.update_posted.by = esc_strdup("carol");
        ev.p.update_posted.body = esc_strdup("Root cause\tfound");
        ev.p.update_posted.next_update_at = T("2026-03-04T17:30:00Z");
        assert_int_equal(esc_sla_rows_add_event(&rows, &ev, 2, 41, &eff), 0);
        assert_int_equal(rows.count[ESC_SLA_T_EVENTS], 1);
        assert_int_equal(rows.count[ESC_SLA_T_CUSTOMER_UPDATES], 1);
        assert_string_equal(rows.buf[ESC_SLA_T_CUSTOMER_UPDATES].data,
                            "INC-1\t7\t2026-03-04T15:30:00Z\tcarol\texternal\t"
                            "2026-03-04T17:30:00Z\t2026-03-04T14:50:00Z\t2400.000000\n");
        /* The events row ends with partition and offset; the JSON body's tab
         * is escaped twice: once by JSON, once more by COPY. */
        assert_non_null(strstr(rows.buf[ESC_SLA_T_EVENTS].data, "Root cause\\\\tfound"));
        assert_non_null(strstr(rows.buf[ESC_SLA_T_EVENTS].data, "\t2\t41\n"));
        esc_event_clear(&ev);
        esc_sla_rows_free(&rows);
}

/* The outbox's records (DESIGN §9) move no clock and fill no child table:
 * an events row (with its partition and offset, so the projection's
 * offsets advance past it) and the incident's last seq, nothing else. */
static void test_outbound_recorded_only_adds_an_events_row(void **state)
{
        esc_sla_incident_t inc, before;
        esc_sla_rows_t rows;
        esc_event_t ev;

        (void)state;
        open_sev2(&inc);
        ack(&inc, "2026-03-04T10:20:00Z", "2026-03-04T12:00:00Z");
        memcpy(&before, &inc, sizeof(inc));
        esc_sla_rows_init(&rows, 0);
        ev_init(&ev, ESC_EV_OUTBOUND_RECORDED, "2026-03-04T10:20:02Z");
        ev.p.outbound_recorded.target = esc_strdup("slack");
        ev.p.outbound_recorded.key = esc_strdup("slack:post:3");
        ev.p.outbound_recorded.external_id = esc_strdup("1772619602.000100");
        ev.p.outbound_recorded.status = esc_strdup("done");
        assert_int_equal(esc_sla_rows_add_event(&rows, &ev, 1, 77, NULL), 0);
        esc_sla_fold(&inc, &ev, NULL);
        assert_true(inc.last_seq == ev.seq);
        assert_true(inc.last_seq == before.last_seq + 1);
        before.last_seq = inc.last_seq;
        assert_memory_equal(&inc, &before, sizeof(inc));
        assert_int_equal(rows.count[ESC_SLA_T_EVENTS], 1);
        for (int t = 0; t < ESC_SLA_T__COUNT; t++)
                if (t != ESC_SLA_T_EVENTS)
                        assert_int_equal(rows.count[t], 0);
        assert_non_null(strstr(rows.buf[ESC_SLA_T_EVENTS].data, "\tOutboundRecorded\t"));
        assert_non_null(strstr(rows.buf[ESC_SLA_T_EVENTS].data, "\"key\":\"slack:post:3\""));
        assert_non_null(strstr(rows.buf[ESC_SLA_T_EVENTS].data, "\t1\t77\n"));
        esc_event_clear(&ev);
        esc_sla_rows_free(&rows);
        esc_sla_incident_clear(&inc);
}

static void test_incident_row_has_tta_in_seconds_exact_to_the_microsecond(void **state)
{
        esc_sla_incident_t inc;
        esc_sla_rows_t rows;
        esc_event_t ev;

        (void)state;
        open_sev2(&inc);
        ev_init(&ev, ESC_EV_ACKNOWLEDGED, "2026-03-04T10:00:01.5Z");
        ev.p.acknowledged.next_update_at = T("2026-03-04T12:00:00Z");
        fold(&inc, &ev, NULL);
        esc_sla_rows_init(&rows, 0);
        assert_int_equal(esc_sla_rows_add_incident(&rows, &inc), 0);
        assert_non_null(
                strstr(rows.buf[ESC_SLA_T_INCIDENTS].data, "\t1.500000\t\\N\tf\tf\t3\t\\N\n"));
        esc_sla_rows_free(&rows);
        esc_sla_incident_clear(&inc);
}

static void test_channel_created_keeps_its_name_and_its_slack_id(void **state)
{
        esc_sla_incident_t inc;
        esc_sla_rows_t rows;
        esc_event_t ev;

        (void)state;
        open_sev2(&inc);
        ev_init(&ev, ESC_EV_CHANNEL_CREATED, "2026-03-04T10:00:02Z");
        ev.p.channel_created.slack_channel_id = esc_strdup("C0123");
        ev.p.channel_created.name = esc_strdup("esc-acme-20260304");
        fold(&inc, &ev, NULL);
        assert_string_equal(inc.slack_channel, "esc-acme-20260304");
        assert_string_equal(inc.slack_channel_id, "C0123");
        esc_sla_rows_init(&rows, 0);
        assert_int_equal(esc_sla_rows_add_incident(&rows, &inc), 0);
        assert_non_null(strstr(rows.buf[ESC_SLA_T_INCIDENTS].data, "\tC0123\n"));
        esc_sla_rows_free(&rows);
        esc_sla_incident_clear(&inc);
}

static void test_payload_is_valid_json_whatever_the_text(void **state)
{
        esc_event_t ev;
        esc_buf_t b;
        json_t *j;
        json_error_t jerr;

        (void)state;
        ev_init(&ev, ESC_EV_ESCALATION_OPENED, "2026-03-04T10:00:00Z");
        ev.p.opened.account.id = esc_strdup("acct \"q\" \\ x");
        ev.p.opened.account.health_score = -1;
        ev.p.opened.title = esc_strdup("tab\there\nnew \x01 ctl “Größe”");
        ev.p.opened.product_area = esc_strdup("billing");
        esc_buf_init(&b, 1 << 16);
        assert_int_equal(esc_sla_payload_json(&ev, &b, false), 0);
        j = json_loads(b.data, 0, &jerr);
        if (!j)
                fail_msg("not JSON (%s): %s", jerr.text, b.data);
        assert_string_equal(json_string_value(json_object_get(j, "title")),
                            "tab\there\nnew \x01 ctl “Größe”");
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "account"), "id")),
                            "acct \"q\" \\ x");
        assert_true(json_is_null(json_object_get(json_object_get(j, "account"), "health_score")));
        assert_true(json_is_null(json_object_get(j, "description")));
        assert_true(json_is_null(json_object_get(j, "detected_at")));
        json_decref(j);
        /* COPY-escaped: no raw tab or newline can split the row. */
        esc_buf_reset(&b);
        assert_int_equal(esc_sla_payload_json(&ev, &b, true), 0);
        assert_null(strchr(b.data, '\t'));
        assert_null(strchr(b.data, '\n'));
        assert_non_null(strstr(b.data, "tab\\\\there"));
        esc_buf_free(&b);
        esc_event_clear(&ev);
}

static void test_fast_time_text_equals_esc_time_format(void **state)
{
        esc_time_t samples[] = {0,
                                1,
                                -1,
                                999999,
                                1000000,
                                -1000000,
                                -1500000,
                                T("2026-03-04T10:00:00Z"),
                                T("2024-02-29T23:59:59.999999Z"),
                                T("2000-03-01T00:00:00Z"),
                                T("1969-12-31T23:59:59.5Z"),
                                T("2100-12-31T12:34:56.000001Z"),
                                T("1900-01-01T00:00:00Z")};
        char fast[40], ref[40];
        uint64_t x = 88172645463325252ULL;

        (void)state;
        for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
                esc_sla_format_time(samples[i], fast, sizeof(fast));
                assert_string_equal(fast, esc_time_format(samples[i], ref, sizeof(ref)));
        }
        /* And a spread of pseudo-random instants 1900..2100, some whole seconds. */
        for (int i = 0; i < 200000; i++) {
                esc_time_t t;
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                t = (esc_time_t)(x % (UINT64_C(6311433600) * 1000000)) -
                    INT64_C(2208988800) * 1000000;
                if (i % 3 == 0)
                        t -= t % 1000000;
                esc_sla_format_time(t, fast, sizeof(fast));
                esc_time_format(t, ref, sizeof(ref));
                if (strcmp(fast, ref) != 0)
                        fail_msg("%lld: fast %s, esc_time_format %s", (long long)t, fast, ref);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_opened_incident_row_carries_account_and_sev),
                cmocka_unit_test(test_sev2_acknowledged_after_one_hour_breaches_the_response_sla),
                cmocka_unit_test(test_acknowledged_exactly_at_the_deadline_meets_the_response_sla),
                cmocka_unit_test(test_time_to_acknowledge_counts_from_the_first_acknowledgement),
                cmocka_unit_test(test_update_after_the_promised_time_is_late_by_the_difference),
                cmocka_unit_test(
                        test_first_update_before_any_promise_is_measured_against_the_cadence),
                cmocka_unit_test(test_internal_update_does_not_move_the_customer_clock),
                cmocka_unit_test(test_update_without_a_due_time_has_no_lateness),
                cmocka_unit_test(
                        test_override_before_acknowledgement_applies_the_new_response_deadline),
                cmocka_unit_test(test_resolved_within_one_business_day_meets_the_resolution_target),
                cmocka_unit_test(
                        test_sla_breached_event_sets_the_flag_and_a_breach_is_never_undone),
                cmocka_unit_test(
                        test_reopened_incident_goes_back_to_acknowledged_and_clears_resolution),
                cmocka_unit_test(test_copy_text_escapes_tabs_newlines_and_backslashes),
                cmocka_unit_test(test_customer_update_row_carries_due_time_and_late_seconds),
                cmocka_unit_test(test_outbound_recorded_only_adds_an_events_row),
                cmocka_unit_test(test_incident_row_has_tta_in_seconds_exact_to_the_microsecond),
                cmocka_unit_test(test_channel_created_keeps_its_name_and_its_slack_id),
                cmocka_unit_test(test_payload_is_valid_json_whatever_the_text),
                cmocka_unit_test(test_fast_time_text_equals_esc_time_format),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
