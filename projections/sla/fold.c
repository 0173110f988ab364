/* fold.c — what one event does to an incident's esc.incidents row: the pure
 * heart of the SLA projection (semantics in sla.h and docs/analytics.md).
 *
 * The store loads the rows of the incidents a batch touches, folds the
 * batch's events into them here and writes them back, so no per-incident
 * state lives in the worker between batches. */
#include <stdlib.h>
#include <string.h>

#include "projections/sla/sla.h"

void esc_sla_incident_init(esc_sla_incident_t *inc, const char *incident_id)
{
        memset(inc, 0, sizeof(*inc));
        inc->incident_id = esc_strdup(incident_id);
        inc->tier = -1;
        inc->health_score = -1;
        esc_lifecycle_init(&inc->lc);
}

void esc_sla_incident_clear(esc_sla_incident_t *inc)
{
        char **strs[] = {&inc->incident_id,     &inc->account_id,    &inc->product_area,
                         &inc->title,           &inc->owner,         &inc->csm,
                         &inc->cs_manager,      &inc->slack_channel, &inc->tracking_url,
                         &inc->slack_channel_id};
        for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
                free(*strs[i]);
                *strs[i] = NULL;
        }
}

static void set_str(char **dst, const char *src)
{
        free(*dst);
        *dst = esc_strdup(src);
}

/* Late means strictly after the deadline: acknowledging at 10:15:00 for a
 * 10:15:00 deadline meets it. */
static bool after(esc_time_t t, esc_time_t due)
{
        return t != ESC_TIME_NONE && due != ESC_TIME_NONE && t > due;
}

void esc_sla_fold(esc_sla_incident_t *inc, const esc_event_t *ev, esc_sla_effect_t *eff)
{
        const esc_event_payload_t *p = &ev->p;
        esc_sla_effect_t none;
        /* What the core's fold replaces, as it was before this event. */
        esc_time_t first_ack = inc->acknowledged_at, update_due = inc->next_update_due_at;

        if (!eff)
                eff = &none;
        eff->update_due_at = ESC_TIME_NONE;
        eff->update_late_us = -1;
        if (ev->seq > inc->last_seq)
                inc->last_seq = ev->seq;
        esc_lifecycle_evolve(&inc->lc, ev);

        switch (ev->type) {
        case ESC_EV_ESCALATION_OPENED:
                inc->exists = true;
                set_str(&inc->account_id, p->opened.account.id);
                inc->tier = (int)p->opened.account.tier;
                inc->health_score = p->opened.account.health_score;
                set_str(&inc->product_area, p->opened.product_area);
                set_str(&inc->title, p->opened.title);
                break;
        case ESC_EV_SEVERITY_ASSIGNED:
                inc->sev = p->sev_assigned.sev;
                inc->matrix_sev = p->sev_assigned.matrix_sev;
                inc->bumped = p->sev_assigned.bumped;
                break;
        case ESC_EV_SEVERITY_OVERRIDDEN:
                inc->sev = p->sev_overridden.to_sev;
                break;
        case ESC_EV_OWNER_ASSIGNED:
                if (p->owner_assigned.role == ESC_ROLE_ENGINEERING_OWNER)
                        set_str(&inc->owner, p->owner_assigned.person);
                else if (p->owner_assigned.role == ESC_ROLE_CSM)
                        set_str(&inc->csm, p->owner_assigned.person);
                else
                        set_str(&inc->cs_manager, p->owner_assigned.person);
                break;
        case ESC_EV_ACKNOWLEDGED:
                /* TTA is measured once, from the first acknowledgement. */
                if (first_ack == ESC_TIME_NONE && after(ev->occurred_at, inc->response_due_at))
                        inc->response_breached = true;
                break;
        case ESC_EV_CUSTOMER_UPDATE_POSTED:
                /* Only what the customer hears is measured against the
                 * customer's clock. */
                if (p->update_posted.audience != ESC_AUDIENCE_EXTERNAL)
                        break;
                eff->update_due_at = update_due;
                if (update_due != ESC_TIME_NONE)
                        eff->update_late_us = after(ev->occurred_at, update_due)
                                                      ? ev->occurred_at - update_due
                                                      : 0;
                break;
        case ESC_EV_RESOLVED:
                if (after(ev->occurred_at, inc->resolution_due_at))
                        inc->resolution_breached = true;
                break;
        case ESC_EV_CHANNEL_CREATED:
                set_str(&inc->slack_channel, p->channel_created.name
                                                     ? p->channel_created.name
                                                     : p->channel_created.slack_channel_id);
                set_str(&inc->slack_channel_id, p->channel_created.slack_channel_id);
                break;
        case ESC_EV_TRACKING_ISSUE_LINKED:
                set_str(&inc->tracking_url, p->tracking_linked.url);
                break;
        case ESC_EV_SLA_BREACHED:
                if (p->sla_breached.clock == ESC_CLOCK_RESPONSE)
                        inc->response_breached = true;
                else if (p->sla_breached.clock == ESC_CLOCK_RESOLUTION)
                        inc->resolution_breached = true;
                break;
        default:
                break; /* reviews, actions, pages, reminders, rejections: child tables only */
        }
}

int64_t esc_sla_tta_us(const esc_sla_incident_t *inc)
{
        if (inc->opened_at == ESC_TIME_NONE || inc->acknowledged_at == ESC_TIME_NONE)
                return -1;
        return inc->acknowledged_at - inc->opened_at;
}

int64_t esc_sla_ttr_us(const esc_sla_incident_t *inc)
{
        if (inc->opened_at == ESC_TIME_NONE || inc->resolved_at == ESC_TIME_NONE)
                return -1;
        return inc->resolved_at - inc->opened_at;
}
