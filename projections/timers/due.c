/* due.c — the timers projection's pure rules: given an incident's folded
 * state and an instant, which deadline facts are due (see due.h).
 *
 * Identity of a fact is exactly what the ledger's evolve remembers
 * (esc_state_fact_hash over the same payload fields), so "already recorded"
 * here and "duplicate" in the decider can never disagree. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "projections/timers/due.h"

static bool resolved(const esc_state_t *st)
{
        return st->status == ESC_STATUS_RESOLVED || st->status == ESC_STATUS_CONFIRMED ||
               st->status == ESC_STATUS_CLOSED;
}

/* Appends an item unless the state already records its fact. */
static int push(const esc_state_t *st, esc_timers_due_t *out, int n, const esc_timers_due_t *d)
{
        esc_event_payload_t view;
        esc_timers_due_t item = *d;
        int kind;

        memset(&view, 0, sizeof(view));
        switch (item.type) {
        case ESC_CMD_RECORD_UPDATE_OVERDUE:
                kind = item.fact = ESC_FACT_UPDATE_OVERDUE;
                view.update_overdue.due_at = item.due_at;
                view.update_overdue.reminder_no = item.reminder_no;
                break;
        case ESC_CMD_RECORD_UNOWNED_ESCALATION:
                kind = item.fact = ESC_FACT_UNOWNED;
                view.unowned_escalated.due_at = item.due_at;
                break;
        default:
                kind = ESC_FACT_SLA;
                item.fact = ESC_FACT_SLA + (int)item.clock;
                view.sla_breached.clock = item.clock;
                view.sla_breached.due_at = item.due_at;
                break;
        }
        item.fact_hash = esc_state_fact_hash(kind, &view);
        if (st->facts[item.fact] == item.fact_hash || n >= ESC_TIMERS_MAX_DUE)
                return n;
        out[n] = item;
        return n + 1;
}

static int breach(const esc_state_t *st, esc_timers_due_t *out, int n, esc_clock_t clock,
                  esc_time_t due_at)
{
        esc_timers_due_t d = {
                .type = ESC_CMD_RECORD_SLA_BREACH, .clock = clock, .due_at = due_at, .at = due_at};
        return push(st, out, n, &d);
}

/* The current reminder for a promise that passed: reminder n is due at
 * promise + (n-1) cadences; without a cadence (Sev 4: "on change") the
 * promise gets one reminder. */
static void current_reminder(const esc_policy_t *pol, const esc_state_t *st, esc_time_t now,
                             esc_time_t promise, int *no, esc_time_t *at)
{
        esc_dur_t cad = {.kind = ESC_DUR_NONE};

        *no = 1;
        *at = promise;
        if (st->sev >= 1 && st->sev <= 4)
                cad = pol->sev[st->sev].update_every;
        if (cad.kind == ESC_DUR_WALL && cad.amount > 0) {
                int64_t step = cad.amount * 1000000;
                int64_t k = (now - promise) / step;
                if (k > INT32_MAX - 1)
                        k = INT32_MAX - 1;
                *no = (int)k + 1;
                *at = promise + k * step;
        } else if (cad.kind == ESC_DUR_BUSINESS && cad.amount > 0) {
                for (int i = 0; i < ESC_TIMERS_MAX_REMINDER_STEPS; i++) {
                        esc_time_t next = esc_policy_add(pol, *at, cad);
                        if (next == ESC_TIME_NONE || next <= *at || next > now)
                                break;
                        *at = next;
                        (*no)++;
                }
        }
}

int esc_timers_due(const esc_policy_t *pol, const esc_state_t *st, esc_time_t now,
                   esc_timers_due_t out[ESC_TIMERS_MAX_DUE])
{
        int n = 0;

        if (st->status == ESC_STATUS_NONE || st->status == ESC_STATUS_CLOSED)
                return 0;
        bool done = resolved(st);
        bool acked = st->flags & ESC_ST_ACKNOWLEDGED;

        if (st->response_due_at != ESC_TIME_NONE && now >= st->response_due_at &&
            (!acked || st->acknowledged_at > st->response_due_at))
                n = breach(st, out, n, ESC_CLOCK_RESPONSE, st->response_due_at);

        if (st->resolution_due_at != ESC_TIME_NONE && now >= st->resolution_due_at &&
            (!done || st->resolved_at > st->resolution_due_at))
                n = breach(st, out, n, ESC_CLOCK_RESOLUTION, st->resolution_due_at);

        /* After resolution the customer is told it is fixed; the cadence ends. */
        esc_time_t promise = st->next_update_due_at;
        if (!done && promise != ESC_TIME_NONE && now >= promise) {
                n = breach(st, out, n, ESC_CLOCK_UPDATE, promise);
                esc_timers_due_t d = {.type = ESC_CMD_RECORD_UPDATE_OVERDUE, .due_at = promise};
                current_reminder(pol, st, now, promise, &d.reminder_no, &d.at);
                n = push(st, out, n, &d);
        }

        if (!done && !st->owner[0] && st->response_due_at != ESC_TIME_NONE &&
            now >= st->response_due_at) {
                esc_timers_due_t d = {.type = ESC_CMD_RECORD_UNOWNED_ESCALATION,
                                      .due_at = st->response_due_at,
                                      .at = st->response_due_at};
                d.paged = st->cs_manager[0] ? st->cs_manager
                                            : esc_policy_cs_manager_by_hash(pol, st->area_hash);
                n = push(st, out, n, &d);
        }

        if (st->sev >= 1 && st->sev <= 2 && (st->flags & ESC_ST_REVIEW_OPEN) &&
            !(st->flags & ESC_ST_REVIEW_COMPLETED) && st->review_due_at != ESC_TIME_NONE &&
            now >= st->review_due_at)
                n = breach(st, out, n, ESC_CLOCK_REVIEW, st->review_due_at);
        return n;
}

static const char *item_kind(const esc_timers_due_t *d)
{
        static const char *clocks[ESC_CLOCK__COUNT] = {"sla_response", "sla_resolution",
                                                       "sla_update", "sla_review"};
        switch (d->type) {
        case ESC_CMD_RECORD_UPDATE_OVERDUE:
                return "update_overdue";
        case ESC_CMD_RECORD_UNOWNED_ESCALATION:
                return "unowned";
        default:
                return (int)d->clock >= 0 && d->clock < ESC_CLOCK__COUNT ? clocks[d->clock] : "sla";
        }
}

void esc_timers_command_id(const char *incident_id, const esc_timers_due_t *d, char *buf,
                           size_t size)
{
        char tail[64];
        char hashed[24];
        const char *inc = incident_id;

        if (d->type == ESC_CMD_RECORD_UPDATE_OVERDUE)
                snprintf(tail, sizeof(tail), "%s:%" PRId64 ":%d", item_kind(d), d->due_at,
                         d->reminder_no);
        else
                snprintf(tail, sizeof(tail), "%s:%" PRId64, item_kind(d), d->due_at);
        /* "timers:" + incident + ":" + tail must fit a command id. */
        if (strlen(incident_id) + strlen(tail) + 8 > ESC_MAX_ID) {
                snprintf(hashed, sizeof(hashed), "h%016" PRIx64, esc_state_id_hash(incident_id));
                inc = hashed;
        }
        snprintf(buf, size, "timers:%s:%s", inc, tail);
}

int esc_timers_command(const char *incident_id, const esc_timers_due_t *d, esc_time_t now,
                       esc_command_t *cmd, char *errbuf, size_t errbuf_size)
{
        char id[ESC_MAX_ID + 1];

        esc_command_init(cmd, d->type);
        if (d->type == ESC_CMD_RECORD_UNOWNED_ESCALATION && (!d->paged || !d->paged[0]))
                return esc_err(errbuf, errbuf_size,
                               "incident %s: unowned past its response SLA but nobody to page "
                               "(set cs_manager in the policy, or a rotation's cs_manager)",
                               incident_id);
        esc_timers_command_id(incident_id, d, id, sizeof(id));
        cmd->command_id = esc_strdup(id);
        cmd->incident_id = esc_strdup(incident_id);
        cmd->actor = esc_strdup(ESC_TIMERS_ACTOR);
        cmd->issued_at = now;
        cmd->occurred_at = d->at != ESC_TIME_NONE ? d->at : now;
        switch (d->type) {
        case ESC_CMD_RECORD_UPDATE_OVERDUE:
                cmd->p.record_update_overdue.due_at = d->due_at;
                cmd->p.record_update_overdue.reminder_no = d->reminder_no;
                break;
        case ESC_CMD_RECORD_UNOWNED_ESCALATION:
                cmd->p.record_unowned_escalation.due_at = d->due_at;
                cmd->p.record_unowned_escalation.paged = esc_strdup(d->paged);
                break;
        default:
                cmd->p.record_sla_breach.clock = d->clock;
                cmd->p.record_sla_breach.due_at = d->due_at;
                break;
        }
        return 0;
}
