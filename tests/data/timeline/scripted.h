/* scripted.h — the scripted incident of issue 7's acceptance test, built in
 * C so the unit tests (pure timeline), the integration test (produced to a
 * real broker and replayed by `esc timeline --json`) and the benchmark all
 * replay exactly the same history. tests/data/timeline/scripted.json is
 * its expected `esc timeline --json`.
 *
 * INC-TL-1, Monday 2026-03-02 (UTC, business hours 09:00–17:00):
 *   10:00  opened (detected 09:50): major feature broken on a growth
 *          account -> Sev 2: response due 11:00, first update 11:00,
 *          resolution due Tue 10:00 (1 business day)
 *   10:02  override attempt by a CSM -> refused (override_requires_manager)
 *   10:20  acknowledged, next update promised 11:00      (TTA 20m < 1h: met)
 *   10:30  CS manager overrides Sev 2 -> Sev 1: response 10:15, resolution 14:00
 *          (the ack came before the override, so the Sev 2 target judged it)
 *   10:55  external update, next promised 11:30   (on time: promise 11:00,
 *          cadence: override 10:30 + 30m = 11:00)
 *   11:45  external update, next 12:15   (late: +15m vs promise 11:30,
 *          +20m vs cadence 10:55 + 30m)
 *   11:50  internal update (not a customer update)
 *   12:00  mitigated; 12:10 review opened; 12:15 corrective action
 *   12:30  resolved                     (TTR 2h30m < Sev 1 target 4h: met;
 *          the update promised for 12:15 never came: a missed update)
 *   13:00  customer confirmed; 13:05 closed; 13:30 review completed */
#ifndef ESC_TL_SCRIPTED_H
#define ESC_TL_SCRIPTED_H

#include <stdio.h>
#include <string.h>

#include "core/model.h"

#define TL_INC "INC-TL-1"
#define TL_T0 INT64_C(1772445600000000) /* 2026-03-02T10:00:00Z */
#define TL_MIN (60 * ESC_USEC_PER_SEC)
#define TL_AT(h, m) (TL_T0 + (int64_t)(((h)-10) * 60 + (m)) * TL_MIN)

#define TL_NEVENTS 18

static inline void tl_envelope(esc_event_t *ev, const char *incident, int64_t seq, esc_time_t at,
                               const char *actor)
{
        char id[64];

        snprintf(id, sizeof(id), "00000000-0000-5000-8000-%012lld", (long long)seq);
        ev->event_id = esc_strdup(id);
        ev->incident_id = esc_strdup(incident);
        ev->seq = seq;
        ev->occurred_at = at;
        ev->recorded_at = at + 1000;
        ev->actor = esc_strdup(actor);
        ev->command_id = esc_strdup(id);
        ev->command_partition = 0;
        ev->command_offset = seq;
        ev->policy_version = esc_strdup("2026-03-01");
}

/* Fills ev (uninitialised) with event number seq (1..TL_NEVENTS) of the
 * scripted incident, for incident id `incident`. */
static inline void tl_scripted_event(esc_event_t *ev, const char *incident, int64_t seq)
{
        esc_event_payload_t *p = &ev->p;

        switch (seq) {
        case 1:
                esc_event_init(ev, ESC_EV_ESCALATION_OPENED);
                tl_envelope(ev, incident, seq, TL_AT(10, 0), "anna.csm");
                p->opened.account.id = esc_strdup("acme");
                p->opened.account.name = esc_strdup("Acme <Widgets> & Søn");
                p->opened.account.tier = ESC_TIER_GROWTH;
                p->opened.account.health_score = 80;
                p->opened.account.paying = true;
                p->opened.product_area = esc_strdup("billing");
                p->opened.title = esc_strdup("Invoice export fails | \"500\" <b>since</b> 09:45");
                p->opened.description = esc_strdup("Every CSV export returns 500.\nNo workaround.");
                p->opened.impact = ESC_IMPACT_MAJOR_FEATURE_BROKEN;
                p->opened.detected_at = TL_AT(9, 50);
                break;
        case 2:
                esc_event_init(ev, ESC_EV_SEVERITY_ASSIGNED);
                tl_envelope(ev, incident, seq, TL_AT(10, 0), "ledger");
                p->sev_assigned.sev = 2;
                p->sev_assigned.matrix_sev = 2;
                p->sev_assigned.response_due_at = TL_AT(11, 0);
                p->sev_assigned.next_update_due_at = TL_AT(11, 0);
                p->sev_assigned.resolution_due_at = TL_T0 + 24 * 60 * TL_MIN;
                break;
        case 3:
                esc_event_init(ev, ESC_EV_OWNER_ASSIGNED);
                tl_envelope(ev, incident, seq, TL_AT(10, 0), "ledger");
                p->owner_assigned.role = ESC_ROLE_ENGINEERING_OWNER;
                p->owner_assigned.person = esc_strdup("bob");
                p->owner_assigned.via = ESC_VIA_ROTATION;
                break;
        case 4:
                esc_event_init(ev, ESC_EV_COMMAND_REJECTED);
                tl_envelope(ev, incident, seq, TL_AT(10, 2), "anna.csm");
                p->rejected.command_type = esc_strdup("override");
                p->rejected.code = esc_strdup(ESC_REJ_OVERRIDE_REQUIRES_MANAGER);
                p->rejected.message =
                        esc_strdup("anna.csm is not a cs_manager in the policy's people");
                break;
        case 5:
                esc_event_init(ev, ESC_EV_ACKNOWLEDGED);
                tl_envelope(ev, incident, seq, TL_AT(10, 20), "bob");
                p->acknowledged.by = esc_strdup("bob");
                p->acknowledged.message =
                        esc_strdup("CSV export fails for you; Sev 2; next update 11:00 UTC.");
                p->acknowledged.next_update_at = TL_AT(11, 0);
                break;
        case 6:
                esc_event_init(ev, ESC_EV_SEVERITY_OVERRIDDEN);
                tl_envelope(ev, incident, seq, TL_AT(10, 30), "carol");
                p->sev_overridden.from_sev = 2;
                p->sev_overridden.to_sev = 1;
                p->sev_overridden.by = esc_strdup("carol");
                p->sev_overridden.reason = esc_strdup("renewal next week, exec sponsor escalated");
                p->sev_overridden.response_due_at = TL_AT(10, 15);
                p->sev_overridden.next_update_due_at = TL_AT(10, 30);
                p->sev_overridden.resolution_due_at = TL_AT(14, 0);
                break;
        case 7:
        case 8:
        case 9:
                esc_event_init(ev, ESC_EV_CUSTOMER_UPDATE_POSTED);
                tl_envelope(ev, incident, seq,
                            seq == 7   ? TL_AT(10, 55)
                            : seq == 8 ? TL_AT(11, 45)
                                       : TL_AT(11, 50),
                            seq == 9 ? "bob" : "anna.csm");
                p->update_posted.by = esc_strdup(seq == 9 ? "bob" : "anna.csm");
                p->update_posted.audience =
                        seq == 9 ? ESC_AUDIENCE_INTERNAL : ESC_AUDIENCE_EXTERNAL;
                p->update_posted.body =
                        esc_strdup(seq == 7   ? "Still investigating; next update 11:30."
                                   : seq == 8 ? "Cause identified, deploying a fix."
                                              : "retry storm on the export queue");
                p->update_posted.next_update_at = seq == 7   ? TL_AT(11, 30)
                                                  : seq == 8 ? TL_AT(12, 15)
                                                             : ESC_TIME_NONE;
                break;
        case 10:
                esc_event_init(ev, ESC_EV_MITIGATED);
                tl_envelope(ev, incident, seq, TL_AT(12, 0), "bob");
                p->mitigated.by = esc_strdup("bob");
                p->mitigated.summary = esc_strdup("Exports routed to the old renderer.");
                break;
        case 11:
                esc_event_init(ev, ESC_EV_REVIEW_OPENED);
                tl_envelope(ev, incident, seq, TL_AT(12, 10), "carol");
                p->review_opened.tracker_url = esc_strdup("https://linear.app/acme/issue/ENG-7");
                p->review_opened.due_at = TL_T0 + 7 * 24 * 60 * TL_MIN;
                break;
        case 12:
                esc_event_init(ev, ESC_EV_CORRECTIVE_ACTION_ADDED);
                tl_envelope(ev, incident, seq, TL_AT(12, 15), "carol");
                p->action_added.action_id = esc_strdup("ca-1");
                p->action_added.title = esc_strdup("Bound retries on the export queue");
                p->action_added.owner = esc_strdup("bob");
                p->action_added.due_date = 20521; /* 2026-03-09 */
                p->action_added.tracker_url = esc_strdup("https://linear.app/acme/issue/ENG-8");
                break;
        case 13:
                esc_event_init(ev, ESC_EV_RESOLVED);
                tl_envelope(ev, incident, seq, TL_AT(12, 30), "bob");
                p->resolved.by = esc_strdup("bob");
                p->resolved.summary = esc_strdup("Retry budget on the export queue.");
                break;
        case 14:
                esc_event_init(ev, ESC_EV_CUSTOMER_CONFIRMED);
                tl_envelope(ev, incident, seq, TL_AT(13, 0), "anna.csm");
                p->confirmed.by = esc_strdup("anna.csm");
                p->confirmed.note = esc_strdup("Customer confirmed by e-mail.");
                break;
        case 15:
                esc_event_init(ev, ESC_EV_CLOSED);
                tl_envelope(ev, incident, seq, TL_AT(13, 5), "anna.csm");
                p->closed.by = esc_strdup("anna.csm");
                p->closed.confirmed = true;
                break;
        case 16:
                esc_event_init(ev, ESC_EV_REVIEW_COMPLETED);
                tl_envelope(ev, incident, seq, TL_AT(13, 30), "carol");
                p->review_completed.root_cause =
                        esc_strdup("export retries are unbounded, so one slow renderer "
                                   "starves the queue");
                esc_strlist_push(&p->review_completed.five_whys, "exports returned 500");
                esc_strlist_push(&p->review_completed.five_whys, "the export queue was saturated");
                esc_strlist_push(&p->review_completed.five_whys, "retries were unbounded");
                break;
        case 17:
                esc_event_init(ev, ESC_EV_CHANNEL_CREATED);
                tl_envelope(ev, incident, seq, TL_AT(13, 31), "actions");
                p->channel_created.slack_channel_id = esc_strdup("C0TL1");
                p->channel_created.name = esc_strdup("esc-acme-2026-03-02");
                break;
        default:
                esc_event_init(ev, ESC_EV_TRACKING_ISSUE_LINKED);
                tl_envelope(ev, incident, seq, TL_AT(13, 32), "actions");
                p->tracking_linked.system = esc_strdup("linear");
                p->tracking_linked.issue_id = esc_strdup("ENG-7");
                p->tracking_linked.url = esc_strdup("https://linear.app/acme/issue/ENG-7");
                break;
        }
}

#endif
