/* state.c — folding an incident's events into its state (evolve).
 *
 * Evolve trusts the log: events were decided by the ledger, so it applies
 * them without re-checking guards (a replay must reproduce the state the
 * decider saw, even if today's policy would decide differently). */
#include <string.h>

#include "core/policy.h"
#include "core/state.h"

static const char *status_names[ESC_STATUS__COUNT] = {
        "none", "open", "acknowledged", "mitigated", "resolved", "confirmed", "closed"};

const char *esc_status_name(esc_status_t s)
{
        return (int)s >= 0 && s < ESC_STATUS__COUNT ? status_names[s] : "unknown";
}

uint64_t esc_state_id_hash(const char *s)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
                h ^= *p;
                h *= UINT64_C(0x100000001b3);
        }
        return h ? h : 1;
}

void esc_lifecycle_init(esc_lifecycle_t *lc)
{
        memset(lc, 0, sizeof(*lc));
        lc->opened_at = lc->acknowledged_at = lc->mitigated_at = ESC_TIME_NONE;
        lc->resolved_at = lc->confirmed_at = lc->closed_at = ESC_TIME_NONE;
        lc->response_due_at = lc->next_update_due_at = ESC_TIME_NONE;
        lc->resolution_due_at = ESC_TIME_NONE;
}

static void set_deadlines(esc_lifecycle_t *lc, esc_time_t response, esc_time_t update,
                          esc_time_t resolution)
{
        lc->response_due_at = response;
        lc->next_update_due_at = update;
        lc->resolution_due_at = resolution;
}

void esc_lifecycle_evolve(esc_lifecycle_t *lc, const esc_event_t *ev)
{
        const esc_event_payload_t *p = &ev->p;

        switch (ev->type) {
        case ESC_EV_ESCALATION_OPENED:
                lc->status = ESC_STATUS_OPEN;
                lc->opened_at = ev->occurred_at;
                break;
        case ESC_EV_SEVERITY_ASSIGNED:
                set_deadlines(lc, p->sev_assigned.response_due_at,
                              p->sev_assigned.next_update_due_at,
                              p->sev_assigned.resolution_due_at);
                break;
        case ESC_EV_SEVERITY_OVERRIDDEN:
                set_deadlines(lc, p->sev_overridden.response_due_at,
                              p->sev_overridden.next_update_due_at,
                              p->sev_overridden.resolution_due_at);
                break;
        case ESC_EV_ACKNOWLEDGED:
                lc->status = ESC_STATUS_ACKNOWLEDGED;
                if (lc->acknowledged_at == ESC_TIME_NONE)
                        lc->acknowledged_at = ev->occurred_at;
                lc->next_update_due_at = p->acknowledged.next_update_at;
                break;
        case ESC_EV_CUSTOMER_UPDATE_POSTED:
                /* Only what the customer hears moves the customer's clock. */
                if (p->update_posted.audience == ESC_AUDIENCE_EXTERNAL)
                        lc->next_update_due_at = p->update_posted.next_update_at;
                break;
        case ESC_EV_MITIGATED:
                lc->status = ESC_STATUS_MITIGATED;
                lc->mitigated_at = ev->occurred_at;
                lc->lc_flags |= ESC_LC_MITIGATED;
                break;
        case ESC_EV_RESOLVED:
                lc->status = ESC_STATUS_RESOLVED;
                lc->resolved_at = ev->occurred_at;
                break;
        case ESC_EV_CUSTOMER_CONFIRMED:
                lc->status = ESC_STATUS_CONFIRMED;
                lc->confirmed_at = ev->occurred_at;
                break;
        case ESC_EV_CLOSED:
                lc->status = ESC_STATUS_CLOSED;
                lc->closed_at = ev->occurred_at;
                break;
        case ESC_EV_REOPENED:
                lc->status = ESC_STATUS_ACKNOWLEDGED;
                lc->resolved_at = lc->confirmed_at = lc->closed_at = ESC_TIME_NONE;
                lc->lc_flags &= (uint8_t)~ESC_LC_MITIGATED;
                if (lc->reopened < UINT16_MAX)
                        lc->reopened++;
                break;
        default:
                break;
        }
}

void esc_state_init(esc_state_t *st)
{
        memset(st, 0, sizeof(*st));
        esc_lifecycle_init(&st->lc);
        st->detected_at = st->review_due_at = ESC_TIME_NONE;
}

bool esc_state_seen(const esc_state_t *st, const char *command_id)
{
        if (!st || !command_id || !*command_id)
                return false; /* no id, nothing to recognise it by */
        uint64_t h = esc_state_id_hash(command_id);
        for (int i = 0; i < ESC_STATE_DEDUP; i++)
                if (st->dedup[i] == h)
                        return true;
        return false;
}

static void remember_command(esc_state_t *st, const char *command_id)
{
        if (!command_id || !*command_id)
                return;
        uint64_t h = esc_state_id_hash(command_id);
        /* A command's events arrive together; remember it once. */
        int last = (st->dedup_next + ESC_STATE_DEDUP - 1) % ESC_STATE_DEDUP;
        if (st->dedup[last] == h)
                return;
        st->dedup[st->dedup_next] = h;
        st->dedup_next = (uint8_t)((st->dedup_next + 1) % ESC_STATE_DEDUP);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
        for (int i = 0; i < 8; i++) {
                h ^= (v >> (i * 8)) & 0xff;
                h *= UINT64_C(0x100000001b3);
        }
        return h ? h : 1;
}

uint64_t esc_state_fact_hash(int kind, const esc_event_payload_t *p)
{
        switch (kind) {
        case ESC_FACT_CHANNEL:
                return esc_state_id_hash(p->channel_created.slack_channel_id);
        case ESC_FACT_TRACKING:
                return mix(esc_state_id_hash(p->tracking_linked.system),
                           esc_state_id_hash(p->tracking_linked.issue_id));
        case ESC_FACT_PAGE:
                return esc_state_id_hash(p->page_sent.dedup_key);
        case ESC_FACT_UPDATE_OVERDUE:
                return mix(mix(UINT64_C(0xcbf29ce484222325), (uint64_t)p->update_overdue.due_at),
                           (uint64_t)p->update_overdue.reminder_no);
        case ESC_FACT_UNOWNED:
                return mix(UINT64_C(0xcbf29ce484222325), (uint64_t)p->unowned_escalated.due_at);
        default:
                return mix(UINT64_C(0xcbf29ce484222325), (uint64_t)p->sla_breached.due_at);
        }
}

static void copy_id(char *dst, const char *src)
{
        esc_strlcpy(dst, src ? src : "", ESC_MAX_ID + 1);
}

void esc_evolve(esc_state_t *st, const esc_event_t *ev)
{
        const esc_event_payload_t *p = &ev->p;

        st->seq = ev->seq > 0 ? ev->seq : st->seq + 1;
        memcpy(st->last_hash, ev->hash, ESC_HASH_LEN);
        remember_command(st, ev->command_id);
        esc_lifecycle_evolve(&st->lc, ev);

        switch (ev->type) {
        case ESC_EV_ESCALATION_OPENED:
                st->detected_at = p->opened.detected_at;
                st->area_hash = esc_policy_area_hash(p->opened.product_area);
                break;
        case ESC_EV_SEVERITY_ASSIGNED:
                st->sev = (uint8_t)p->sev_assigned.sev;
                st->matrix_sev = (uint8_t)p->sev_assigned.matrix_sev;
                if (p->sev_assigned.bumped)
                        st->flags |= ESC_ST_BUMPED;
                break;
        case ESC_EV_SEVERITY_OVERRIDDEN:
                st->sev = (uint8_t)p->sev_overridden.to_sev;
                break;
        case ESC_EV_OWNER_ASSIGNED:
                switch (p->owner_assigned.role) {
                case ESC_ROLE_ENGINEERING_OWNER:
                        copy_id(st->owner, p->owner_assigned.person);
                        break;
                case ESC_ROLE_CSM:
                        copy_id(st->csm, p->owner_assigned.person);
                        break;
                default:
                        copy_id(st->cs_manager, p->owner_assigned.person);
                        st->has_cs_manager = true;
                        break;
                }
                break;
        case ESC_EV_ACKNOWLEDGED:
                st->flags |= ESC_ST_ACKNOWLEDGED;
                break;
        case ESC_EV_REVIEW_OPENED:
                st->flags |= ESC_ST_REVIEW_OPEN;
                st->review_due_at = p->review_opened.due_at;
                break;
        case ESC_EV_CORRECTIVE_ACTION_ADDED:
                if (st->nactions < UINT16_MAX)
                        st->nactions++;
                if (p->action_added.owner && p->action_added.owner[0] &&
                    p->action_added.due_date != ESC_DATE_NONE && st->nactions_complete < UINT16_MAX)
                        st->nactions_complete++;
                break;
        case ESC_EV_REVIEW_COMPLETED:
                st->flags |= ESC_ST_REVIEW_COMPLETED;
                break;
        case ESC_EV_CHANNEL_CREATED:
                st->facts[ESC_FACT_CHANNEL] = esc_state_fact_hash(ESC_FACT_CHANNEL, p);
                break;
        case ESC_EV_TRACKING_ISSUE_LINKED:
                st->facts[ESC_FACT_TRACKING] = esc_state_fact_hash(ESC_FACT_TRACKING, p);
                break;
        case ESC_EV_PAGE_SENT:
                st->facts[ESC_FACT_PAGE] = esc_state_fact_hash(ESC_FACT_PAGE, p);
                break;
        case ESC_EV_UPDATE_OVERDUE:
                st->facts[ESC_FACT_UPDATE_OVERDUE] =
                        esc_state_fact_hash(ESC_FACT_UPDATE_OVERDUE, p);
                break;
        case ESC_EV_UNOWNED_ESCALATED:
                st->facts[ESC_FACT_UNOWNED] = esc_state_fact_hash(ESC_FACT_UNOWNED, p);
                break;
        case ESC_EV_SLA_BREACHED:
                if ((int)p->sla_breached.clock >= 0 && p->sla_breached.clock < ESC_CLOCK__COUNT)
                        st->facts[ESC_FACT_SLA + p->sla_breached.clock] =
                                esc_state_fact_hash(ESC_FACT_SLA, p);
                break;
        default:
                break; /* CommandRejected: only seq, hash and the command id */
        }
}

/* clang-format re-wraps this list differently on every pass. */
// clang-format off
#define CORE_FIELDS(X)                                                                             \
        X(seq) X(opened_at) X(resolved_at) X(area_hash) X(nactions) X(nactions_complete)           \
        X(dedup_next) X(status) X(sev) X(matrix_sev) X(flags) X(has_cs_manager)
// clang-format on

void esc_state_compact(const esc_state_t *st, esc_state_compact_t *out)
{
        memset(out, 0, sizeof(*out));
#define COPY(f) out->f = st->f;
        CORE_FIELDS(COPY)
#undef COPY
        memcpy(out->last_hash, st->last_hash, sizeof(out->last_hash));
        memcpy(out->dedup, st->dedup, sizeof(out->dedup));
        memcpy(out->facts, st->facts, sizeof(out->facts));
}

void esc_state_expand(const esc_state_compact_t *c, esc_state_t *out)
{
        esc_state_init(out);
#define COPY(f) out->f = c->f;
        CORE_FIELDS(COPY)
#undef COPY
        memcpy(out->last_hash, c->last_hash, sizeof(out->last_hash));
        memcpy(out->dedup, c->dedup, sizeof(out->dedup));
        memcpy(out->facts, c->facts, sizeof(out->facts));
}
