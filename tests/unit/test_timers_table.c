/* test_timers_table.c — the timers projection holds only open incidents
 * (projections/timers/table.h, DESIGN §7 "bounded memory"): closing drops
 * an incident, events about it afterwards cost nothing, a reopen brings it
 * back, a replayed (incident, seq) is not applied twice, and many closed
 * incidents leave the map within a constant of the open ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "projections/timers/table.h"

/* Folds a bare event of a type (the table reads only type, id, seq and
 * what evolve reads; payload strings stay NULL). */
static void fold(esc_timers_table_t *tb, const char *id, int64_t seq, esc_event_type_t type)
{
        esc_event_t ev;
        esc_event_init(&ev, type);
        ev.incident_id = esc_strdup(id);
        ev.seq = seq;
        ev.occurred_at = ev.recorded_at = 1000000 * seq;
        if (type == ESC_EV_SEVERITY_ASSIGNED) {
                ev.p.sev_assigned.sev = ev.p.sev_assigned.matrix_sev = 1;
                ev.p.sev_assigned.response_due_at = 900000000;
        }
        esc_timers_table_fold(tb, &ev, 0);
        esc_event_clear(&ev);
}

static void open_and_close(esc_timers_table_t *tb, const char *id)
{
        fold(tb, id, 1, ESC_EV_ESCALATION_OPENED);
        fold(tb, id, 2, ESC_EV_CLOSED);
}

static void test_closed_incident_is_dropped_and_later_events_ignored(void **s)
{
        esc_timers_table_t *tb = esc_timers_table_new();
        fold(tb, "INC-1", 1, ESC_EV_ESCALATION_OPENED);
        fold(tb, "INC-1", 2, ESC_EV_SEVERITY_ASSIGNED);
        assert_int_equal(esc_timers_table_live(tb), 1);
        assert_int_equal(esc_timers_table_get(tb, "INC-1")->st.sev, 1);

        fold(tb, "INC-1", 3, ESC_EV_CLOSED);
        assert_int_equal(esc_timers_table_live(tb), 0);
        assert_null(esc_timers_table_get(tb, "INC-1"));

        /* A record-back about the closed incident creates nothing. */
        fold(tb, "INC-1", 4, ESC_EV_PAGE_SENT);
        assert_int_equal(esc_timers_table_live(tb), 0);
        assert_null(esc_timers_table_get(tb, "INC-1"));
        esc_timers_table_destroy(tb);
}

static void test_reopened_incident_is_watched_again(void **s)
{
        esc_timers_table_t *tb = esc_timers_table_new();
        open_and_close(tb, "INC-1");
        fold(tb, "INC-1", 3, ESC_EV_REOPENED);
        esc_timers_incident_t *inc = esc_timers_table_get(tb, "INC-1");
        assert_non_null(inc);
        assert_int_equal(inc->st.status, ESC_STATUS_ACKNOWLEDGED);
        assert_int_equal(inc->st.seq, 3);
        assert_int_equal(esc_timers_table_live(tb), 1);
        assert_int_equal(esc_timers_table_keys(tb), 1);
        esc_timers_table_destroy(tb);
}

static void test_replayed_seq_is_not_applied_twice(void **s)
{
        esc_timers_table_t *tb = esc_timers_table_new();
        fold(tb, "INC-1", 1, ESC_EV_ESCALATION_OPENED);
        fold(tb, "INC-1", 2, ESC_EV_ACKNOWLEDGED);
        /* A duplicate delivery of seq 1 must not reset the status to open. */
        fold(tb, "INC-1", 1, ESC_EV_ESCALATION_OPENED);
        assert_int_equal(esc_timers_table_get(tb, "INC-1")->st.status, ESC_STATUS_ACKNOWLEDGED);
        assert_int_equal(esc_timers_table_get(tb, "INC-1")->st.seq, 2);
        esc_timers_table_destroy(tb);
}

static void test_memory_is_bounded_by_open_incidents_not_by_the_log(void **s)
{
        esc_timers_table_t *tb = esc_timers_table_new();
        char id[32];
        for (int i = 0; i < 10; i++) {
                snprintf(id, sizeof(id), "OPEN-%d", i);
                fold(tb, id, 1, ESC_EV_ESCALATION_OPENED);
        }
        for (int i = 0; i < 50000; i++) {
                snprintf(id, sizeof(id), "CLOSED-%d", i);
                open_and_close(tb, id);
        }
        assert_int_equal(esc_timers_table_live(tb), 10);
        /* Dropped keys are rebuilt away once they outnumber the live ones. */
        assert_true(esc_timers_table_keys(tb) <= 10 + ESC_TIMERS_TABLE_COMPACT_MIN);
        for (int i = 0; i < 10; i++) {
                snprintf(id, sizeof(id), "OPEN-%d", i);
                assert_non_null(esc_timers_table_get(tb, id));
        }
        esc_timers_table_destroy(tb);
}

/* SlaBreached(response, due_at) folded as the ledger appended it. */
static void fold_breach(esc_timers_table_t *tb, int64_t seq, esc_time_t due_at)
{
        esc_event_t ev;
        esc_event_init(&ev, ESC_EV_SLA_BREACHED);
        ev.incident_id = esc_strdup("INC-1");
        ev.seq = seq;
        ev.occurred_at = ev.recorded_at = due_at;
        ev.p.sla_breached.clock = ESC_CLOCK_RESPONSE;
        ev.p.sla_breached.due_at = due_at;
        esc_timers_table_fold(tb, &ev, 0);
        esc_event_clear(&ev);
}

static esc_timers_due_t response_item(esc_time_t due_at)
{
        esc_event_payload_t view;
        memset(&view, 0, sizeof(view));
        view.sla_breached.clock = ESC_CLOCK_RESPONSE;
        view.sla_breached.due_at = due_at;
        return (esc_timers_due_t){.type = ESC_CMD_RECORD_SLA_BREACH,
                                  .clock = ESC_CLOCK_RESPONSE,
                                  .due_at = due_at,
                                  .fact = ESC_FACT_SLA + ESC_CLOCK_RESPONSE,
                                  .fact_hash = esc_state_fact_hash(ESC_FACT_SLA, &view)};
}

static void test_older_breach_of_a_moved_deadline_stays_recorded(void **s)
{
        /* Overridden to Sev 1 (response due earlier) and back: the state keeps
         * only the last breach per clock, the table remembers both. */
        esc_timers_table_t *tb = esc_timers_table_new();
        fold(tb, "INC-1", 1, ESC_EV_ESCALATION_OPENED);
        fold_breach(tb, 2, 3600000000);
        fold_breach(tb, 3, 900000000);
        esc_timers_incident_t *inc = esc_timers_table_get(tb, "INC-1");
        esc_timers_due_t d1 = response_item(3600000000), d2 = response_item(900000000),
                         d3 = response_item(7200000000);
        assert_true(esc_timers_recorded(inc, &d1));
        assert_true(esc_timers_recorded(inc, &d2));
        assert_false(esc_timers_recorded(inc, &d3));
        esc_timers_table_destroy(tb);
}

static void test_only_others_events_touch_an_incident(void **s)
{
        /* Timers' own facts must not keep postponing its next deadline. */
        esc_timers_table_t *tb = esc_timers_table_new();
        esc_event_t ev;
        esc_event_init(&ev, ESC_EV_ESCALATION_OPENED);
        ev.incident_id = esc_strdup("INC-1");
        ev.actor = esc_strdup("dave");
        ev.seq = 1;
        esc_timers_table_fold(tb, &ev, 100);
        esc_event_clear(&ev);
        esc_event_init(&ev, ESC_EV_SLA_BREACHED);
        ev.incident_id = esc_strdup("INC-1");
        ev.actor = esc_strdup(ESC_TIMERS_ACTOR);
        ev.seq = 2;
        esc_timers_table_fold(tb, &ev, 200);
        esc_event_clear(&ev);
        assert_int_equal(esc_timers_table_get(tb, "INC-1")->touched_at, 100);
        esc_timers_table_destroy(tb);
}

static void count_one(const char *id, esc_timers_incident_t *inc, void *opaque)
{
        (*(int *)opaque)++;
}

static void test_foreach_visits_only_open_incidents(void **s)
{
        esc_timers_table_t *tb = esc_timers_table_new();
        fold(tb, "A", 1, ESC_EV_ESCALATION_OPENED);
        open_and_close(tb, "B");
        fold(tb, "C", 1, ESC_EV_ESCALATION_OPENED);
        int n = 0;
        esc_timers_table_foreach(tb, count_one, &n);
        assert_int_equal(n, 2);

        esc_timers_table_clear(tb);
        n = 0;
        esc_timers_table_foreach(tb, count_one, &n);
        assert_int_equal(n, 0);
        assert_int_equal(esc_timers_table_live(tb), 0);
        esc_timers_table_destroy(tb);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_closed_incident_is_dropped_and_later_events_ignored),
                cmocka_unit_test(test_reopened_incident_is_watched_again),
                cmocka_unit_test(test_replayed_seq_is_not_applied_twice),
                cmocka_unit_test(test_memory_is_bounded_by_open_incidents_not_by_the_log),
                cmocka_unit_test(test_foreach_visits_only_open_incidents),
                cmocka_unit_test(test_older_breach_of_a_moved_deadline_stays_recorded),
                cmocka_unit_test(test_only_others_events_touch_an_incident),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
