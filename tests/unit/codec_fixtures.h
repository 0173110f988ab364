/* codec_fixtures.h — realistic events and commands of every type, for the
 * codec's tests, benchmark, fuzz seeds and interop producer.
 *
 * FIXTURE_FULL sets every optional field and uses non-ASCII UTF-8 (the
 * strings a real incident carries: names with accents, a CJK title, an
 * emoji in an update); FIXTURE_MINIMAL leaves every optional field null and
 * required strings empty, the other edge of the schema. */
#ifndef ESC_CODEC_FIXTURES_H
#define ESC_CODEC_FIXTURES_H

#include <string.h>

#include "core/model.h"

enum { FIXTURE_FULL = 0, FIXTURE_MINIMAL = 1 };

#define FX_T0 INT64_C(1772812800000000) /* 2026-03-06T16:00:00Z */

static inline char *fx_s(int variant, const char *full)
{
        return esc_strdup(variant == FIXTURE_MINIMAL ? "" : full);
}

static inline char *fx_opt(int variant, const char *full)
{
        return variant == FIXTURE_MINIMAL ? NULL : esc_strdup(full);
}

static inline esc_time_t fx_opt_time(int variant, esc_time_t t)
{
        return variant == FIXTURE_MINIMAL ? ESC_TIME_NONE : t;
}

static inline void fx_opened(esc_opened_t *o, int v)
{
        o->account.id = fx_s(v, "acct-Zürich-42");
        o->account.name = fx_opt(v, "Müller & Søn GmbH");
        o->account.tier = v == FIXTURE_MINIMAL ? ESC_TIER_STANDARD : ESC_TIER_STRATEGIC;
        o->account.health_score = v == FIXTURE_MINIMAL ? -1 : 55;
        o->account.paying = v != FIXTURE_MINIMAL;
        o->account.renewal_date = v == FIXTURE_MINIMAL ? ESC_DATE_NONE : 20600;
        o->product_area = fx_s(v, "billing");
        o->title = fx_s(v, "請求書の生成が失敗する — invoices fail");
        o->description =
                fx_opt(v, "Since 15:40 UTC every invoice run returns 500.\nCustomer: “urgent”.");
        o->impact = v == FIXTURE_MINIMAL ? ESC_IMPACT_QUESTION : ESC_IMPACT_PRODUCTION_DOWN;
        o->detected_at = FX_T0 - 600 * ESC_USEC_PER_SEC;
}

static inline void fx_source(esc_source_t *s, int v)
{
        if (v == FIXTURE_MINIMAL)
                return;
        s->system = esc_strdup("zendesk");
        s->ticket_id = esc_strdup("48213");
        s->url = esc_strdup("https://example.zendesk.com/agent/tickets/48213");
}

static inline void fx_event_payload(esc_event_t *ev, int v)
{
        esc_event_payload_t *p = &ev->p;
        esc_time_t t = FX_T0;

        switch (ev->type) {
        case ESC_EV_ESCALATION_OPENED:
                fx_opened(&p->opened, v);
                break;
        case ESC_EV_SEVERITY_ASSIGNED:
                p->sev_assigned.sev = 1;
                p->sev_assigned.matrix_sev = 2;
                p->sev_assigned.bumped = v != FIXTURE_MINIMAL;
                if (v != FIXTURE_MINIMAL) {
                        esc_strlist_push(&p->sev_assigned.bump_reasons, "tier == strategic");
                        esc_strlist_push(&p->sev_assigned.bump_reasons, "health_score 55 < 60");
                }
                p->sev_assigned.response_due_at = t + 900 * ESC_USEC_PER_SEC;
                p->sev_assigned.next_update_due_at = fx_opt_time(v, t + 1800 * ESC_USEC_PER_SEC);
                p->sev_assigned.resolution_due_at = fx_opt_time(v, t + 4 * 3600 * ESC_USEC_PER_SEC);
                break;
        case ESC_EV_SEVERITY_OVERRIDDEN:
                p->sev_overridden.from_sev = 3;
                p->sev_overridden.to_sev = 2;
                p->sev_overridden.by = fx_s(v, "chloé.manager");
                p->sev_overridden.reason = fx_s(v, "renewal next week, exec sponsor escalated");
                p->sev_overridden.response_due_at = t + 3600 * ESC_USEC_PER_SEC;
                p->sev_overridden.next_update_due_at = fx_opt_time(v, t + 7200 * ESC_USEC_PER_SEC);
                p->sev_overridden.resolution_due_at = fx_opt_time(v, t + 86400 * ESC_USEC_PER_SEC);
                break;
        case ESC_EV_OWNER_ASSIGNED:
                p->owner_assigned.role = ESC_ROLE_ENGINEERING_OWNER;
                p->owner_assigned.person = fx_s(v, "jürgen");
                p->owner_assigned.via = ESC_VIA_ROTATION;
                break;
        case ESC_EV_ACKNOWLEDGED:
                p->acknowledged.by = fx_s(v, "jürgen");
                p->acknowledged.message = fx_s(
                        v,
                        "We see invoice generation failing for you; Sev 1; next update 16:30 UTC.");
                p->acknowledged.next_update_at = t + 1800 * ESC_USEC_PER_SEC;
                break;
        case ESC_EV_CUSTOMER_UPDATE_POSTED:
                p->update_posted.by = fx_s(v, "anna.csm");
                p->update_posted.audience =
                        v == FIXTURE_MINIMAL ? ESC_AUDIENCE_INTERNAL : ESC_AUDIENCE_EXTERNAL;
                p->update_posted.body = fx_s(v, "Still investigating 🔍 — root cause not yet "
                                                "isolated, next update at 17:00.");
                p->update_posted.next_update_at = fx_opt_time(v, t + 3600 * ESC_USEC_PER_SEC);
                break;
        case ESC_EV_MITIGATED:
                p->mitigated.by = fx_s(v, "jürgen");
                p->mitigated.summary = fx_opt(v, "Rolled back the invoice renderer.");
                break;
        case ESC_EV_RESOLVED:
                p->resolved.by = fx_s(v, "jürgen");
                p->resolved.summary = fx_opt(v, "Fixed the retry storm in the PDF queue.");
                break;
        case ESC_EV_CUSTOMER_CONFIRMED:
                p->confirmed.by = fx_s(v, "anna.csm");
                p->confirmed.note = fx_opt(v, "Customer confirmed by e-mail: “all good”.");
                break;
        case ESC_EV_CLOSED:
                p->closed.by = fx_s(v, "chloé.manager");
                p->closed.confirmed = v == FIXTURE_MINIMAL;
                p->closed.reason = fx_opt(v, "customer unreachable for 10 business days");
                break;
        case ESC_EV_REOPENED:
                p->reopened.by = fx_s(v, "anna.csm");
                p->reopened.reason = fx_s(v, "failing again since 09:00");
                break;
        case ESC_EV_REVIEW_OPENED:
                p->review_opened.tracker_url = fx_opt(v, "https://linear.app/acme/issue/ENG-123");
                p->review_opened.due_at = t + 7 * 86400 * ESC_USEC_PER_SEC;
                break;
        case ESC_EV_CORRECTIVE_ACTION_ADDED:
                p->action_added.action_id = fx_s(v, "ca-1");
                p->action_added.title = fx_s(v, "Route billing alerts to the EU on-call");
                p->action_added.owner = fx_s(v, "jürgen");
                p->action_added.due_date = 20540;
                p->action_added.tracker_url = fx_opt(v, "https://linear.app/acme/issue/ENG-124");
                break;
        case ESC_EV_REVIEW_COMPLETED:
                p->review_completed.root_cause = fx_s(
                        v, "alerts route to email, which the CSM does not monitor during EU hours");
                if (v != FIXTURE_MINIMAL) {
                        esc_strlist_push(&p->review_completed.five_whys, "invoices failed");
                        esc_strlist_push(&p->review_completed.five_whys, "the PDF queue stalled");
                        esc_strlist_push(&p->review_completed.five_whys, "retries were unbounded");
                }
                break;
        case ESC_EV_CHANNEL_CREATED:
                p->channel_created.slack_channel_id = fx_s(v, "C0123ABC");
                p->channel_created.name = fx_s(v, "esc-acme-2026-03-06");
                break;
        case ESC_EV_TRACKING_ISSUE_LINKED:
                p->tracking_linked.system = fx_s(v, "linear");
                p->tracking_linked.issue_id = fx_s(v, "ENG-123");
                p->tracking_linked.url = fx_s(v, "https://linear.app/acme/issue/ENG-123");
                break;
        case ESC_EV_PAGE_SENT:
                p->page_sent.service = fx_s(v, "billing-oncall");
                p->page_sent.dedup_key = fx_s(v, "INC-42-sev1");
                p->page_sent.to = fx_s(v, "jürgen");
                break;
        case ESC_EV_UPDATE_OVERDUE:
                p->update_overdue.due_at = t + 1800 * ESC_USEC_PER_SEC;
                p->update_overdue.reminder_no = v == FIXTURE_MINIMAL ? 0 : 3;
                break;
        case ESC_EV_SLA_BREACHED:
                p->sla_breached.clock =
                        v == FIXTURE_MINIMAL ? ESC_CLOCK_RESPONSE : ESC_CLOCK_REVIEW;
                p->sla_breached.due_at = t + 900 * ESC_USEC_PER_SEC;
                break;
        case ESC_EV_UNOWNED_ESCALATED:
                p->unowned_escalated.due_at = t + 900 * ESC_USEC_PER_SEC;
                p->unowned_escalated.paged = fx_s(v, "chloé.manager");
                break;
        case ESC_EV_COMMAND_REJECTED:
                p->rejected.command_type = fx_s(v, "override");
                p->rejected.code = fx_s(v, ESC_REJ_OVERRIDE_REQUIRES_MANAGER);
                p->rejected.message = fx_s(v, "anna.csm is not a cs_manager in policy people");
                break;
        case ESC_EV_OUTBOUND_RECORDED:
                p->outbound_recorded.target = fx_s(v, "slack");
                p->outbound_recorded.key = fx_s(v, "slack:post:12");
                p->outbound_recorded.external_id = fx_opt(v, "1772812800.004217");
                p->outbound_recorded.status = fx_s(v, "done");
                break;
        default:
                break;
        }
}

/* A complete, valid event of type t (caller clears it). */
static inline void codec_fixture_event(esc_event_t *ev, esc_event_type_t t, int v)
{
        esc_event_init(ev, t);
        ev->event_id = esc_strdup("5f0c6a1e-8d7b-5c3a-9e21-4b7f0d2c9a11");
        ev->incident_id = esc_strdup("INC-2026-0042");
        ev->seq = 7 + (int64_t)t;
        ev->occurred_at = FX_T0 + (int64_t)t * 60 * ESC_USEC_PER_SEC;
        ev->recorded_at = ev->occurred_at + 1234;
        ev->actor = esc_strdup(v == FIXTURE_MINIMAL ? "" : "jürgen");
        fx_source(&ev->source, v);
        ev->command_id = esc_strdup("cmd-7d1e");
        ev->command_partition = 3;
        ev->command_offset = 1048576 + (int64_t)t;
        ev->policy_version = esc_strdup(v == FIXTURE_MINIMAL ? "" : "2026-03-01");
        for (int i = 0; i < ESC_HASH_LEN; i++) {
                ev->prev_hash[i] = (uint8_t)(i * 7 + 1);
                ev->hash[i] = (uint8_t)(255 - i);
        }
        fx_event_payload(ev, v);
}

/* A complete, valid command of type t (caller clears it). */
static inline void codec_fixture_command(esc_command_t *cmd, esc_command_type_t t, int v)
{
        static const esc_event_type_t ev_of[ESC_CMD__COUNT] = {ESC_EV_ESCALATION_OPENED,
                                                               ESC_EV_ACKNOWLEDGED,
                                                               ESC_EV_CUSTOMER_UPDATE_POSTED,
                                                               ESC_EV_OWNER_ASSIGNED,
                                                               ESC_EV_SEVERITY_OVERRIDDEN,
                                                               ESC_EV_MITIGATED,
                                                               ESC_EV_RESOLVED,
                                                               ESC_EV_CUSTOMER_CONFIRMED,
                                                               ESC_EV_CLOSED,
                                                               ESC_EV_REOPENED,
                                                               ESC_EV_REVIEW_OPENED,
                                                               ESC_EV_CORRECTIVE_ACTION_ADDED,
                                                               ESC_EV_REVIEW_COMPLETED,
                                                               ESC_EV_CHANNEL_CREATED,
                                                               ESC_EV_TRACKING_ISSUE_LINKED,
                                                               ESC_EV_PAGE_SENT,
                                                               ESC_EV_UPDATE_OVERDUE,
                                                               ESC_EV_SLA_BREACHED,
                                                               ESC_EV_UNOWNED_ESCALATED,
                                                               ESC_EV_OUTBOUND_RECORDED};
        esc_event_t ev;

        /* Payload structs are shared with events: build the event's payload
         * and move it over, then unset what the command does not carry. */
        esc_event_init(&ev, ev_of[t]);
        fx_event_payload(&ev, v);
        esc_command_init(cmd, t);
        memcpy(&cmd->p, &ev.p, sizeof(ev.p) < sizeof(cmd->p) ? sizeof(ev.p) : sizeof(cmd->p));
        memset(&ev.p, 0, sizeof(ev.p));
        esc_event_clear(&ev);
        switch (t) {
        case ESC_CMD_OPEN:
                cmd->p.open.csm = fx_opt(v, "anna.csm");
                break;
        case ESC_CMD_ASSIGN:
                cmd->p.assign.via = ESC_VIA_MANUAL;
                break;
        case ESC_CMD_OVERRIDE:
                cmd->p.override.from_sev = 0;
                cmd->p.override.response_due_at = ESC_TIME_NONE;
                cmd->p.override.next_update_due_at = ESC_TIME_NONE;
                cmd->p.override.resolution_due_at = ESC_TIME_NONE;
                break;
        case ESC_CMD_REVIEW_OPEN:
                cmd->p.review_open.due_at = ESC_TIME_NONE;
                break;
        default:
                break;
        }
        cmd->command_id = esc_strdup("cmd-7d1e");
        cmd->incident_id = esc_strdup("INC-2026-0042");
        cmd->issued_at = v == FIXTURE_MINIMAL ? ESC_TIME_NONE : FX_T0 + 5;
        cmd->occurred_at = FX_T0;
        cmd->actor = esc_strdup(v == FIXTURE_MINIMAL ? "" : "anna.csm");
        fx_source(&cmd->source, v);
}

#endif
