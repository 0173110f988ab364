/* test_decider_helpers.h — shared fixture of the decider tests: the test
 * policy (tests/data/policy/good.yaml), command builders, and `apply`, which
 * plays the ledger worker (numbers, chains and folds the decided events). */
#ifndef TEST_DECIDER_HELPERS_H
#define TEST_DECIDER_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/decider.h"
#include "runtime/policy_load.h"
#include "test_time.h"

static esc_policy_t *P;
static esc_decision_t D;
static int cmd_counter;

static inline int fixture_up(void **s)
{
        char err[4096];
        P = esc_policy_load(ESC_SOURCE_DIR "/tests/data/policy/good.yaml", err, sizeof(err));
        if (!P) {
                fprintf(stderr, "%s\n", err);
                return -1;
        }
        return 0;
}

static inline int fixture_down(void **s)
{
        esc_decision_clear(&D);
        esc_policy_destroy(P);
        return 0;
}

/* A command on INC-1 with a fresh command id. */
static inline esc_command_t cmd(esc_command_type_t type, const char *at, const char *actor)
{
        esc_command_t c;
        char id[32];
        esc_command_init(&c, type);
        snprintf(id, sizeof(id), "cmd-%d", ++cmd_counter);
        c.command_id = esc_strdup(id);
        c.incident_id = esc_strdup("INC-1");
        c.actor = esc_strdup(actor);
        c.occurred_at = c.issued_at = T(at);
        return c;
}

/* Fills what the worker fills, and checks the event is then valid for the
 * codec: every decided event, accepted or rejected, must be encodable. */
static inline void complete_like_the_worker(esc_state_t *st, esc_event_t *ev)
{
        char err[512];
        ev->seq = st->seq + 1;
        ev->event_id = esc_strdup("00000000-0000-4000-8000-000000000000");
        ev->recorded_at = ev->occurred_at;
        ev->policy_version = esc_strdup(P->version);
        memcpy(ev->prev_hash, st->last_hash, ESC_HASH_LEN);
        memset(ev->hash, (int)(ev->seq & 0xff), ESC_HASH_LEN);
        if (esc_event_validate(ev, err, sizeof(err)))
                fail_msg("decided %s is not encodable: %s", esc_event_type_name(ev->type), err);
}

/* Decides c against st, then does what the worker does: seq, a stand-in
 * hash, evolve. The decision stays in D for inspection; c is cleared. */
static inline esc_decision_verdict_t apply(esc_state_t *st, esc_command_t *c)
{
        esc_decision_clear(&D);
        esc_decision_verdict_t v = esc_decide(P, st, c, &D);
        for (int i = 0; i < D.nevents; i++) {
                esc_event_t *ev = &D.events[i];
                complete_like_the_worker(st, ev);
                esc_evolve(st, ev);
        }
        esc_command_clear(c);
        return v;
}

#define assert_rejected(v, code_)                                                                  \
        do {                                                                                       \
                assert_int_equal((v), ESC_VERDICT_REJECTED);                                       \
                assert_int_equal(D.nevents, 1);                                                    \
                assert_int_equal(D.events[0].type, ESC_EV_COMMAND_REJECTED);                       \
                assert_string_equal(esc_decision_code(&D), (code_));                               \
        } while (0)

static inline esc_decision_verdict_t open_incident(esc_state_t *st, const char *at,
                                                   esc_impact_t impact, esc_tier_t tier, int health,
                                                   bool paying)
{
        esc_command_t c = cmd(ESC_CMD_OPEN, at, "dave");
        c.p.open.account.id = esc_strdup("acme");
        c.p.open.account.name = esc_strdup("Acme Corp");
        c.p.open.account.tier = tier;
        c.p.open.account.health_score = health;
        c.p.open.account.paying = paying;
        c.p.open.product_area = esc_strdup("billing");
        c.p.open.title = esc_strdup("Invoices fail to render");
        c.p.open.impact = impact;
        c.p.open.csm = esc_strdup("dave");
        return apply(st, &c);
}

static inline esc_decision_verdict_t ack(esc_state_t *st, const char *at, const char *message,
                                         const char *next)
{
        esc_command_t c = cmd(ESC_CMD_ACK, at, "alice");
        c.p.ack.by = esc_strdup("alice");
        c.p.ack.message = esc_strdup(message);
        c.p.ack.next_update_at = next ? T(next) : ESC_TIME_NONE;
        return apply(st, &c);
}

static inline esc_decision_verdict_t by_cmd(esc_state_t *st, esc_command_type_t type,
                                            const char *at, const char *by)
{
        esc_command_t c = cmd(type, at, by);
        switch (type) {
        case ESC_CMD_MITIGATE:
        case ESC_CMD_RESOLVE:
                c.p.resolve.by = esc_strdup(by);
                c.p.resolve.summary = esc_strdup("Rolled back the deploy");
                break;
        case ESC_CMD_CONFIRM:
                c.p.confirm.by = esc_strdup(by);
                break;
        case ESC_CMD_CLOSE:
                c.p.close.by = esc_strdup(by);
                break;
        default:
                break;
        }
        return apply(st, &c);
}

static inline esc_decision_verdict_t override(esc_state_t *st, const char *at, int to_sev,
                                              const char *by, const char *reason)
{
        esc_command_t c = cmd(ESC_CMD_OVERRIDE, at, by);
        c.p.override.to_sev = to_sev;
        c.p.override.by = esc_strdup(by);
        c.p.override.reason = esc_strdup(reason);
        return apply(st, &c);
}

static inline esc_decision_verdict_t review_open(esc_state_t *st, const char *at)
{
        esc_command_t c = cmd(ESC_CMD_REVIEW_OPEN, at, "carol");
        return apply(st, &c);
}

static inline esc_decision_verdict_t review_action(esc_state_t *st, const char *at,
                                                   const char *owner, const char *due)
{
        esc_command_t c = cmd(ESC_CMD_REVIEW_ACTION, at, "carol");
        c.p.review_action.title = esc_strdup("Route alerts to the CSM's pager in EU hours");
        c.p.review_action.owner = esc_strdup(owner);
        if (due)
                esc_date_parse(due, &c.p.review_action.due_date, NULL, 0);
        return apply(st, &c);
}

/* Opens a Sev 3 (degraded, standard, healthy) and acknowledges it. */
static inline void acknowledged_sev3(esc_state_t *st, const char *at)
{
        esc_state_init(st);
        assert_int_equal(open_incident(st, at, ESC_IMPACT_DEGRADED_WITH_WORKAROUND,
                                       ESC_TIER_STANDARD, 90, true),
                         ESC_VERDICT_ACCEPTED);
        assert_int_equal(ack(st, at, "We see slow exports; Sev 3; next update tomorrow",
                             "2026-12-31T00:00:00Z"),
                         ESC_VERDICT_ACCEPTED);
}

#endif
