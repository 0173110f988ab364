/* due.h — what the timers projection must record for one incident at
 * instant `now` (DESIGN §1: time-driven rules live in `timers`, which turns
 * passed deadlines into record-back commands so the ledger stays a pure
 * function of commands).
 *
 * Pure: no I/O, no clock. The worker (projections/timers/worker.c) folds
 * esc.events into an esc_state_t per open incident with esc_evolve() — the
 * very fold the ledger decides on — and asks esc_timers_due() every tick.
 * An item whose fact the state already holds (st->facts[], filled by evolve
 * from UpdateOverdue / SlaBreached / UnownedEscalated coming back through
 * esc.events) is not returned, so what the log records is never fired again,
 * also after a restart replays the log.
 *
 * The rules (the seed's Guards and the SLA table):
 *  - response: not acknowledged by response_due_at (or acknowledged after
 *    it, when the worker was away at the time) -> SlaBreached(response).
 *  - resolution: not resolved by resolution_due_at -> SlaBreached(resolution).
 *  - update: "the update cadence is enforced by a reminder bot": while the
 *    incident is not yet resolved and the promised next update has passed,
 *    SlaBreached(update, promise) once and UpdateOverdue(promise, n), where
 *    reminder n is due at promise + (n-1) * the sev's cadence. Only the
 *    current reminder is returned: a worker that was away does not send the
 *    missed ones in a burst.
 *  - unowned: "an unowned Sev older than its response SLA pages the
 *    manager": no engineering owner, not yet resolved, past response_due_at
 *    -> UnownedEscalated(response_due_at, paged = the incident's CS manager,
 *    else the one the policy routes its product area to).
 *  - review: a Sev 1/2 review opened and not completed by its due_at ->
 *    SlaBreached(review).
 *  - closed incidents: nothing (the worker drops them). */
#ifndef ESC_TIMERS_DUE_H
#define ESC_TIMERS_DUE_H

#include <stddef.h>

#include "core/model.h"
#include "core/policy.h"
#include "core/state.h"

/* At most one item per fact slot: response, resolution, update, review
 * breaches, the overdue reminder and the unowned page. */
#define ESC_TIMERS_MAX_DUE 6

/* The longest reminder catch-up walked on a business-day cadence (a longer
 * silence reports this reminder number); wall-clock cadences are divided. */
#define ESC_TIMERS_MAX_REMINDER_STEPS 10000

typedef struct esc_timers_due {
        esc_command_type_t type; /* ESC_CMD_RECORD_SLA_BREACH, _UPDATE_OVERDUE,
                                  * _UNOWNED_ESCALATION */
        esc_clock_t clock;       /* SLA breach only */
        esc_time_t due_at;       /* the deadline that passed */
        int reminder_no;         /* update overdue only, 1-based */
        esc_time_t at;           /* when it became due: the command's occurred_at */
        const char *paged;       /* unowned only: borrowed from the state or the
                                  * policy; NULL if nobody is configured to page */
        int fact;                /* ESC_FACT_* slot evolve records it in */
        uint64_t fact_hash;      /* its identity there (esc_state_fact_hash) */
} esc_timers_due_t;

/* Fills out[0..n) with what is due for st at now and returns n (0 for an
 * incident without EscalationOpened, or closed). */
int esc_timers_due(const esc_policy_t *pol, const esc_state_t *st, esc_time_t now,
                   esc_timers_due_t out[ESC_TIMERS_MAX_DUE]);

/* The deterministic command id of an item, so a re-sent command is
 * recognised by the ledger's command-id memory:
 * "timers:<incident>:<kind>:<due_at micros>[:<reminder>]"; an incident id too
 * long to fit ESC_MAX_ID is replaced by "h" + its 64-bit hash. */
void esc_timers_command_id(const char *incident_id, const esc_timers_due_t *d, char *buf,
                           size_t size);

/* Builds the record-back command of an item (cmd is initialised here; clear
 * it with esc_command_clear). actor "esc-timers", issued_at = now. Returns
 * 0, or -1 with errbuf naming the incident if the item cannot be a valid
 * command (an unowned page with nobody to page). */
int esc_timers_command(const char *incident_id, const esc_timers_due_t *d, esc_time_t now,
                       esc_command_t *cmd, char *errbuf, size_t errbuf_size);

#define ESC_TIMERS_ACTOR "esc-timers"

#endif
