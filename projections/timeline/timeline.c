/* timeline.c — the pure half of `esc timeline`: from one incident's events
 * to milestones, SLA adherence, update gaps and severity history.
 *
 * No I/O and no clock: the same events always give the same timeline, so
 * the rules of timeline.h are unit-tested with a scripted incident. Work is
 * O(n log n) in the incident's events (one sort) plus O(n * s) for the
 * "deadline in force" lookups, s being the number of severity changes (a
 * handful per incident). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "core/state.h"
#include "projections/timeline/timeline.h"

esc_timeline_t *esc_timeline_new(const char *incident_id)
{
        esc_timeline_t *tl = esc_xcalloc(1, sizeof(*tl));

        tl->incident_id = esc_strdup(incident_id);
        return tl;
}

static void free_derived(esc_timeline_t *tl)
{
        free(tl->rows);
        free(tl->sevs);
        free(tl->gaps);
        free(tl->rejections);
        for (int i = 0; i < tl->nwarnings; i++)
                free(tl->warnings[i]);
        tl->rows = NULL;
        tl->sevs = NULL;
        tl->gaps = NULL;
        tl->rejections = NULL;
        tl->nsevs = tl->ngaps = tl->nrejections = tl->nwarnings = 0;
}

void esc_timeline_destroy(esc_timeline_t *tl)
{
        if (!tl)
                return;
        free_derived(tl);
        for (int i = 0; i < tl->nevs; i++)
                esc_event_clear(&tl->evs[i]);
        free(tl->evs);
        free(tl->incident_id);
        free(tl);
}

int esc_timeline_add(esc_timeline_t *tl, const esc_event_t *ev, char *errbuf, size_t errbuf_size)
{
        if (!ev->incident_id || strcmp(ev->incident_id, tl->incident_id))
                return esc_err(errbuf, errbuf_size,
                               "event seq %lld belongs to incident '%s', not '%s'",
                               (long long)ev->seq, ev->incident_id ? ev->incident_id : "",
                               tl->incident_id);
        if (tl->nevs >= ESC_TL_MAX_EVENTS) {
                tl->dropped++;
                return 0;
        }
        if (tl->nevs == tl->aevs) {
                tl->aevs = tl->aevs ? tl->aevs * 2 : 32;
                tl->evs = esc_xrealloc(tl->evs, (size_t)tl->aevs * sizeof(*tl->evs));
        }
        esc_event_copy(&tl->evs[tl->nevs++], ev);
        return 0;
}

static int cmp_seq(const void *a, const void *b)
{
        const esc_event_t *x = a, *y = b;

        return (x->seq > y->seq) - (x->seq < y->seq);
}

__attribute__((format(printf, 2, 3))) static void warn(esc_timeline_t *tl, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        if (tl->nwarnings >= ESC_TL_MAX_WARNINGS)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        tl->warnings[tl->nwarnings++] = esc_strdup(msg);
}

/* ---- one-line summaries -------------------------------------------------- */

/* Free text in a summary: one line, cut at PIECE bytes. */
#define PIECE 120

static void piece(esc_fields_out_t *o, const char *s)
{
        char dst[PIECE + 8];

        esc_tl_oneline(dst, sizeof(dst), s, PIECE);
        esc_fields_out_str(o, dst);
}

#define BUMPED "{?bumped , bumped{?bump_reasons : {bump_reasons}}}"

/* One sentence per event type (the template language is in fields.h). */
const char *const esc_tl_summary_templates[ESC_EV__COUNT] = {
        [ESC_EV_ESCALATION_OPENED] = "opened: {title} (account {account.id}, {account.tier}, "
                                     "impact {impact}, area {product_area})",
        [ESC_EV_SEVERITY_ASSIGNED] = "Sev {sev} assigned (matrix Sev {matrix_sev}" BUMPED "); "
                                     "response due {response_due_at}",
        [ESC_EV_SEVERITY_OVERRIDDEN] =
                "Sev {from_sev} -> Sev {to_sev} overridden by {by}: {reason}",
        [ESC_EV_OWNER_ASSIGNED] = "{role}: {person} ({via})",
        [ESC_EV_ACKNOWLEDGED] = "acknowledged by {by}, next update {next_update_at}: {message}",
        [ESC_EV_CUSTOMER_UPDATE_POSTED] = "{audience} update by {by}"
                                          "{?next_update_at , next {next_update_at}}: {body}",
        [ESC_EV_MITIGATED] = "mitigated by {by}{?summary : {summary}}",
        [ESC_EV_RESOLVED] = "resolved by {by}{?summary : {summary}}",
        [ESC_EV_CUSTOMER_CONFIRMED] =
                "customer confirmed the fix (recorded by {by}){?note : {note}}",
        [ESC_EV_CLOSED] = "{?confirmed closed by {by} (customer confirmed)}"
                          "{!confirmed closed UNCONFIRMED by {by}: {reason}}",
        [ESC_EV_REOPENED] = "reopened by {by}: {reason}",
        [ESC_EV_REVIEW_OPENED] = "post-incident review opened, due {due_at}"
                                 "{?tracker_url : {tracker_url}}",
        [ESC_EV_CORRECTIVE_ACTION_ADDED] = "corrective action {action_id}: {title} (owner {owner}, "
                                           "due {?due_date {due_date}}{!due_date none})",
        [ESC_EV_REVIEW_COMPLETED] = "review completed; root cause: {root_cause}",
        [ESC_EV_CHANNEL_CREATED] = "Slack channel #{name} ({slack_channel_id})",
        [ESC_EV_TRACKING_ISSUE_LINKED] = "{system} issue {issue_id} linked: {url}",
        [ESC_EV_PAGE_SENT] = "paged {to} via {service}",
        [ESC_EV_UPDATE_OVERDUE] = "customer update overdue (due {due_at}, reminder {reminder_no})",
        [ESC_EV_SLA_BREACHED] = "{clock} SLA breached (due {due_at})",
        [ESC_EV_UNOWNED_ESCALATED] = "unowned past its response SLA (due {due_at}); paged {paged}",
        [ESC_EV_COMMAND_REJECTED] = "refused {command_type}: {code}: {message}",
        [ESC_EV_OUTBOUND_RECORDED] = "{target} {key}: {status}{?external_id  ({external_id})}",
};

/* Template tpl over record r at base, as one line of at most size - 8 bytes. */
static void oneline(const esc_rec_t *r, const void *base, const char *tpl, char *out, size_t size)
{
        static const esc_fields_style_t style = {piece, ", "};
        char tmp[1024];
        esc_fields_out_t o = {tmp, sizeof(tmp), 0};

        esc_fields_format(r, base, tpl, &style, &o);
        esc_tl_oneline(out, size, tmp, size - 8);
}

static void summarize(const esc_event_t *ev, char *out, size_t size)
{
        if ((int)ev->type >= 0 && ev->type < ESC_EV__COUNT)
                oneline(&esc_fields_event_payloads[ev->type], &ev->p,
                        esc_tl_summary_templates[ev->type], out, size);
        else
                esc_tl_oneline(out, size, esc_event_type_name(ev->type), size - 8);
}

/* ---- derivation ---------------------------------------------------------- */

/* The last assignment/override at or before t (by occurred_at, among those
 * seen so far in seq order); the first one if all are later (a back-dated
 * acknowledgement); NULL if none. */
static const esc_tl_sevchange_t *in_force(const esc_timeline_t *tl, esc_time_t t)
{
        const esc_tl_sevchange_t *best = NULL, *first = NULL;

        for (int i = 0; i < tl->nsevs; i++) {
                const esc_tl_sevchange_t *c = &tl->sevs[i];
                if (c->kind == ESC_TL_SEV_REFUSED)
                        continue;
                if (!first)
                        first = c;
                if (c->ev->occurred_at <= t)
                        best = c;
        }
        return best ? best : first;
}

static int64_t secs(esc_time_t a, esc_time_t b)
{
        if (a == ESC_TIME_NONE || b == ESC_TIME_NONE)
                return ESC_TL_NONE;
        return (a - b) / ESC_USEC_PER_SEC;
}

static bool breached(const esc_timeline_t *tl, esc_clock_t clock)
{
        for (int i = 0; i < tl->nevs; i++)
                if (tl->evs[i].type == ESC_EV_SLA_BREACHED &&
                    tl->evs[i].p.sla_breached.clock == clock)
                        return true;
        return false;
}

/* TTA/TTR against the deadline in force at the milestone (or the latest
 * deadline while the milestone is still missing). */
static void judge(const esc_timeline_t *tl, esc_time_t at, bool resolution, int64_t *took,
                  int64_t *target, esc_time_t *due_out, int *met)
{
        const esc_tl_sevchange_t *c = in_force(tl, at != ESC_TIME_NONE ? at : INT64_MAX);
        esc_time_t opened = tl->ms.opened;
        esc_time_t due = ESC_TIME_NONE;

        if (c)
                due = resolution ? c->resolution_due_at : c->response_due_at;
        *due_out = due;
        *took = secs(at, opened);
        *target = secs(due, opened);
        if (at != ESC_TIME_NONE && due != ESC_TIME_NONE)
                *met = at <= due;
        else if (at == ESC_TIME_NONE &&
                 breached(tl, resolution ? ESC_CLOCK_RESOLUTION : ESC_CLOCK_RESPONSE))
                *met = 0;
        else
                *met = -1;
}

/* Cadence due for a customer update at t: the first contact is due at the
 * next_update_due_at in force; later ones at the previous contact (or a
 * later severity change) + update_every of the severity in force. */
static esc_time_t cadence_due(const esc_timeline_t *tl, const esc_policy_t *pol,
                              esc_time_t last_contact, esc_time_t t)
{
        const esc_tl_sevchange_t *c = in_force(tl, t);

        if (!c)
                return ESC_TIME_NONE;
        if (last_contact == ESC_TIME_NONE)
                return c->next_update_due_at;
        if (c->to_sev < 1 || c->to_sev > 4)
                return ESC_TIME_NONE;
        esc_dur_t every = pol->sev[c->to_sev].update_every;
        if (every.kind == ESC_DUR_NONE)
                return ESC_TIME_NONE;
        esc_time_t base = last_contact;
        if (c->ev->occurred_at > base && c->ev->occurred_at <= t)
                base = c->ev->occurred_at;
        return esc_policy_add(pol, base, every);
}

/* Why a severity was assigned: the matrix and the account-weight bump. */
static void assigned_note(const esc_sev_assigned_t *a, char *out, size_t size)
{
        oneline(&esc_fields_event_payloads[ESC_EV_SEVERITY_ASSIGNED], a,
                "matrix Sev {matrix_sev}" BUMPED, out, size);
}

/* The silence from the last customer contact to the resolution, if an
 * update fell due in between (promised, or by the cadence). */
static void missed_before_resolution(esc_timeline_t *tl, const esc_policy_t *pol,
                                     esc_time_t promise, esc_time_t last_contact)
{
        esc_time_t at = tl->ms.resolved;
        esc_tl_gap_t g = {.ev = NULL, .at = at, .missed = true};

        if (at == ESC_TIME_NONE || (last_contact != ESC_TIME_NONE && at <= last_contact))
                return;
        g.since_previous_s = secs(at, last_contact);
        g.promised_at = promise;
        g.vs_promise_s = secs(at, promise);
        g.cadence_due_at = cadence_due(tl, pol, last_contact, at);
        g.vs_cadence_s = secs(at, g.cadence_due_at);
        g.late = (g.vs_promise_s != ESC_TL_NONE && g.vs_promise_s > 0) ||
                 (g.vs_cadence_s != ESC_TL_NONE && g.vs_cadence_s > 0);
        if (!g.late)
                return;
        tl->gaps[tl->ngaps++] = g;
        tl->nmissed++;
}

static void push_sev(esc_timeline_t *tl, const esc_event_t *ev, esc_tl_sev_kind_t kind, int from,
                     int to, const char *by, const char *reason, const char *code, esc_time_t resp,
                     esc_time_t nud, esc_time_t res)
{
        esc_tl_sevchange_t *c = &tl->sevs[tl->nsevs++];

        c->ev = ev;
        c->kind = kind;
        c->from_sev = from;
        c->to_sev = to;
        c->by = by;
        c->reason = reason;
        c->code = code;
        c->response_due_at = resp;
        c->next_update_due_at = nud;
        c->resolution_due_at = res;
}

static void dedupe_sorted(esc_timeline_t *tl)
{
        int w = 0;

        qsort(tl->evs, (size_t)tl->nevs, sizeof(*tl->evs), cmp_seq);
        for (int r = 0; r < tl->nevs; r++) {
                if (w > 0 && tl->evs[w - 1].seq == tl->evs[r].seq) {
                        esc_event_clear(&tl->evs[r]);
                        tl->duplicates++;
                        continue;
                }
                if (w != r) {
                        tl->evs[w] = tl->evs[r];
                        esc_event_init(&tl->evs[r], ESC_EV_ESCALATION_OPENED);
                }
                w++;
        }
        tl->nevs = w;
}

static void check_sequence(esc_timeline_t *tl)
{
        int64_t expect = 1;

        if (tl->history_trimmed)
                warn(tl,
                     "history trimmed: the partition's low watermark is %lld (above 0), "
                     "so "
                     "older events are gone from the broker and this timeline may be "
                     "incomplete",
                     (long long)tl->low_watermark);
        for (int i = 0; i < tl->nevs; i++) {
                int64_t s = tl->evs[i].seq;
                if (s > expect)
                        warn(tl, "seq gap: events %lld..%lld are missing", (long long)expect,
                             (long long)(s - 1));
                expect = s + 1;
        }
        if (tl->dropped)
                warn(tl, "%lld events beyond the cap of %d were not shown", (long long)tl->dropped,
                     ESC_TL_MAX_EVENTS);
        if (tl->undecodable)
                warn(tl, "%lld messages of this incident did not decode (see esc.deadletter)",
                     (long long)tl->undecodable);
        if (tl->nevs > 0 && !tl->opened)
                warn(tl, "no EscalationOpened event: the SLA clock's start is unknown");
}

int esc_timeline_build(esc_timeline_t *tl, const esc_policy_t *pol, char *errbuf,
                       size_t errbuf_size)
{
        esc_policy_t *own = NULL;
        esc_time_t promise = ESC_TIME_NONE, last_contact = ESC_TIME_NONE;

        free_derived(tl);
        if (tl->nevs == 0)
                return esc_err(errbuf, errbuf_size, "no events for incident '%s'", tl->incident_id);
        if (!pol)
                pol = own = esc_policy_default();
        dedupe_sorted(tl);

        tl->rows = esc_xcalloc((size_t)tl->nevs, sizeof(*tl->rows));
        tl->sevs = esc_xcalloc((size_t)tl->nevs, sizeof(*tl->sevs));
        tl->gaps = esc_xcalloc((size_t)tl->nevs + 1, sizeof(*tl->gaps));
        tl->rejections = esc_xcalloc((size_t)tl->nevs, sizeof(*tl->rejections));
        tl->opened = NULL;
        tl->sev = 0;
        tl->nlate = tl->nupdates = tl->nmissed = 0;
        tl->owner = tl->csm = tl->cs_manager = NULL;
        tl->policy_version = NULL;
        esc_tl_milestones_t *ms = &tl->ms;
        esc_lifecycle_t lc;
        esc_lifecycle_init(&lc);
        ms->detected = ms->opened = ESC_TIME_NONE;

        for (int i = 0; i < tl->nevs; i++) {
                const esc_event_t *ev = &tl->evs[i];
                const esc_event_payload_t *p = &ev->p;
                esc_time_t at = ev->occurred_at;
                esc_tl_row_t *row = &tl->rows[i];

                row->ev = ev;
                summarize(ev, row->summary, sizeof(row->summary));
                if (ev->policy_version && ev->policy_version[0])
                        tl->policy_version = ev->policy_version;
                switch (ev->type) {
                case ESC_EV_ESCALATION_OPENED:
                        if (!tl->opened) {
                                tl->opened = ev;
                                ms->opened = at;
                                ms->detected = p->opened.detected_at != ESC_TIME_NONE
                                                       ? p->opened.detected_at
                                                       : at;
                        }
                        break;
                case ESC_EV_SEVERITY_ASSIGNED: {
                        esc_tl_sevchange_t *c = &tl->sevs[tl->nsevs];
                        push_sev(tl, ev, ESC_TL_SEV_ASSIGNED, tl->sev, p->sev_assigned.sev,
                                 ev->actor, c->note, NULL, p->sev_assigned.response_due_at,
                                 p->sev_assigned.next_update_due_at,
                                 p->sev_assigned.resolution_due_at);
                        assigned_note(&p->sev_assigned, c->note, sizeof(c->note));
                        tl->sev = p->sev_assigned.sev;
                        break;
                }
                case ESC_EV_SEVERITY_OVERRIDDEN:
                        push_sev(tl, ev, ESC_TL_SEV_OVERRIDDEN, p->sev_overridden.from_sev,
                                 p->sev_overridden.to_sev, p->sev_overridden.by,
                                 p->sev_overridden.reason, NULL, p->sev_overridden.response_due_at,
                                 p->sev_overridden.next_update_due_at,
                                 p->sev_overridden.resolution_due_at);
                        tl->sev = p->sev_overridden.to_sev;
                        break;
                case ESC_EV_COMMAND_REJECTED:
                        tl->rejections[tl->nrejections++] = ev;
                        if (p->rejected.command_type &&
                            !strcmp(p->rejected.command_type, "override"))
                                push_sev(tl, ev, ESC_TL_SEV_REFUSED, tl->sev, tl->sev, ev->actor,
                                         p->rejected.message, p->rejected.code, ESC_TIME_NONE,
                                         ESC_TIME_NONE, ESC_TIME_NONE);
                        break;
                case ESC_EV_OWNER_ASSIGNED:
                        if (p->owner_assigned.role == ESC_ROLE_ENGINEERING_OWNER)
                                tl->owner = p->owner_assigned.person;
                        else if (p->owner_assigned.role == ESC_ROLE_CSM)
                                tl->csm = p->owner_assigned.person;
                        else
                                tl->cs_manager = p->owner_assigned.person;
                        break;
                case ESC_EV_ACKNOWLEDGED:
                        promise = p->acknowledged.next_update_at;
                        last_contact = at;
                        break;
                case ESC_EV_CUSTOMER_UPDATE_POSTED: {
                        if (p->update_posted.audience != ESC_AUDIENCE_EXTERNAL)
                                break;
                        esc_tl_gap_t *g = &tl->gaps[tl->ngaps++];
                        tl->nupdates++;
                        g->ev = ev;
                        g->at = at;
                        g->since_previous_s = secs(at, last_contact);
                        g->promised_at = promise;
                        g->vs_promise_s = secs(at, promise);
                        g->cadence_due_at = cadence_due(tl, pol, last_contact, at);
                        g->vs_cadence_s = secs(at, g->cadence_due_at);
                        g->late = (g->vs_promise_s != ESC_TL_NONE && g->vs_promise_s > 0) ||
                                  (g->vs_cadence_s != ESC_TL_NONE && g->vs_cadence_s > 0);
                        if (g->late) {
                                tl->nlate++;
                                row->late = true;
                        }
                        promise = p->update_posted.next_update_at;
                        last_contact = at;
                        break;
                }
                default:
                        break;
                }
                esc_lifecycle_evolve(&lc, ev);
                row->sev = tl->sev;
        }
        /* A Reopened makes the incident open again: its mitigation too. */
        ms->acknowledged = lc.acknowledged_at;
        ms->mitigated = lc.lc_flags & ESC_LC_MITIGATED ? lc.mitigated_at : ESC_TIME_NONE;
        ms->resolved = lc.resolved_at;
        ms->confirmed = lc.confirmed_at;
        ms->closed = lc.closed_at;
        tl->nreopened = lc.reopened;

        missed_before_resolution(tl, pol, promise, last_contact);
        judge(tl, ms->acknowledged, false, &tl->sla.time_to_acknowledge_s,
              &tl->sla.response_target_s, &tl->sla.response_due_at, &tl->sla.response_met);
        judge(tl, ms->resolved, true, &tl->sla.time_to_resolve_s, &tl->sla.resolution_target_s,
              &tl->sla.resolution_due_at, &tl->sla.resolution_met);
        check_sequence(tl);
        esc_policy_destroy(own);
        return 0;
}
