/* decider.h — the ledger's pure decision function (DESIGN §1, STYLE 2).
 *
 *   esc_decide(policy, state, command) -> events | CommandRejected | duplicate
 *   esc_evolve(state, event) -> state                 (core/state.h)
 *
 * No I/O, no clock, no global state: the same policy, state and command
 * always give the same events, so the ledger worker can replay and re-decide
 * safely and every rule of the seed is unit-tested without Kafka.
 *
 * How the worker uses it, per command consumed from esc.commands:
 *
 *   esc_decision_t d;
 *   esc_decide(pol, st, cmd, &d);           // st: NULL or the folded state
 *   if (d.verdict == ESC_VERDICT_DUPLICATE) // already decided: append nothing
 *           ...answer from the log...;
 *   for (i = 0; i < d.nevents; i++) {       // ACCEPTED or REJECTED
 *           fill d.events[i]: seq = st->seq + 1, event_id, recorded_at,
 *           command_partition/offset, policy_version, prev_hash = st->last_hash, hash;
 *           esc_evolve(st, &d.events[i]);   // st->seq/last_hash advance
 *   }
 *   produce d.events[0..n) in order; esc_decision_clear(&d);
 *
 * The decider fills, for every event: type, incident_id, occurred_at (the
 * command's), actor, source, command_id and the payload. It leaves seq,
 * event_id, recorded_at, command_partition, command_offset, policy_version,
 * prev_hash and hash to the worker (their initial values from
 * esc_event_init: 0 / NULL / -1 / ESC_TIME_NONE / zero bytes).
 *
 * Rules (each is a unit test in tests/unit/test_decider_*.c):
 *  - A command whose command_id the state remembers (core/state.h,
 *    ESC_STATE_DEDUP) is DUPLICATE: no events. This check comes first.
 *  - Any command but open on an incident without EscalationOpened:
 *    unknown_incident. open on an existing incident: incident_exists.
 *  - open -> EscalationOpened, SeverityAssigned (matrix, non-paying rule,
 *    one bump; deadlines measured from the command's occurred_at),
 *    OwnerAssigned engineering_owner (on call for the product area at
 *    occurred_at, via rotation), OwnerAssigned csm (the command's csm, via
 *    manual), OwnerAssigned cs_manager for Sev 1/2 (the policy's, via
 *    rotation). A role without a configured person is not assigned; the
 *    timers' "unowned" rule then pages the manager.
 *  - Status machine: open -> acknowledged -> (mitigated) -> resolved ->
 *    confirmed -> closed; reopen from resolved/confirmed/closed goes back to
 *    acknowledged. Anything else is invalid_transition. update, assign,
 *    override, review_* are allowed in every status but closed; record-back
 *    commands in every status.
 *  - ack needs a non-blank message and a next_update_at after the ack
 *    (invalid_field).
 *  - update needs a non-blank body; next_update_at, if given, must be after
 *    the update. An external update without one, while the incident is not
 *    yet resolved and its sev has a cadence, promises occurred_at + cadence.
 *  - override: by (else the actor) must be listed as cs_manager
 *    (override_requires_manager); reason one line, not blank
 *    (override_requires_reason); to_sev equal to the current sev is
 *    invalid_field. Deadlines are recomputed for the new sev from the
 *    incident's open instant; the next update is the open-time one if not
 *    yet acknowledged, else override time + the new cadence. Upgrading to
 *    Sev 1/2 without a CS manager assigns the one the policy routes the
 *    incident's product area to.
 *  - resolve of Sev 1/2 needs a review with >= 1 corrective action, every
 *    one with owner and due date (resolve_requires_review).
 *  - close from confirmed; from resolved only with confirmed=false by a
 *    listed cs_manager with a one-line reason, else
 *    close_requires_confirmation.
 *  - review_open: once per incident (invalid_transition after). due_at =
 *    policy review_due (5bd) after resolution if resolved, else after the
 *    review is opened (for Sev 1/2 the review must exist before resolving,
 *    so their due date runs from the opening: the stricter reading of
 *    "within five business days").
 *  - review_action needs an open, not completed review, a title, an owner
 *    and a due date; a missing action_id becomes "A<n>" (n = 1-based
 *    position). review_complete needs an open review and a root cause.
 *  - Record-back commands (channel, tracking issue, page, update overdue,
 *    SLA breach, unowned escalated) become their event. An identical
 *    repeat of the last fact of the same kind (same channel id, issue, page
 *    dedup key, overdue due_at + reminder, breach clock + due_at, unowned
 *    due_at) is DUPLICATE: nothing is appended, since the outside world did
 *    not change twice.
 *  - record_outbound (the actions worker's outbox reporting one side
 *    effect, DESIGN §9) becomes OutboundRecorded on an incident in any
 *    status, closed ones too, and changes nothing of its lifecycle. target
 *    must be slack, zendesk, linear or pagerduty, status done or failed and
 *    key non-blank (invalid_field). Outbox keys are many per incident, so
 *    there is no last-fact slot: a retry is recognised by its command_id.
 *  - Every string is length- and UTF-8-checked (esc_command_validate);
 *    failures are invalid_field naming the field. */
#ifndef ESC_DECIDER_H
#define ESC_DECIDER_H

#include "core/model.h"
#include "core/policy.h"
#include "core/state.h"

/* (Named apart from runtime/submit.h's esc_verdict_t, the CLI's view of
 * the ledger's answer.) */
typedef enum {
        ESC_VERDICT_ACCEPTED = 0, /* events hold the decision */
        ESC_VERDICT_REJECTED,     /* events[0] is the CommandRejected */
        ESC_VERDICT_DUPLICATE,    /* already decided; no events */
} esc_decision_verdict_t;

#define ESC_DECIDE_MAX_EVENTS 6

typedef struct esc_decision {
        esc_decision_verdict_t verdict;
        int nevents;
        esc_event_t events[ESC_DECIDE_MAX_EVENTS]; /* owned; esc_decision_clear frees */
} esc_decision_t;

/* Decides cmd against st (NULL = the incident has no events yet) under pol.
 * out needs no initialisation; clear it with esc_decision_clear(). Returns
 * out->verdict. Never fails: malformed commands are rejected as events. */
esc_decision_verdict_t esc_decide(const esc_policy_t *pol, const esc_state_t *st,
                                  const esc_command_t *cmd, esc_decision_t *out);

void esc_decision_clear(esc_decision_t *d);

/* The rejection code of a REJECTED decision (NULL otherwise). */
const char *esc_decision_code(const esc_decision_t *d);

const char *
esc_decision_verdict_name(esc_decision_verdict_t v); /* "accepted", "rejected", "duplicate" */

#endif
