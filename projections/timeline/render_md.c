/* render_md.c — the timeline in Markdown, and with --review the
 * post-incident review draft of the seed's Step 4: summary, timeline,
 * TTA/TTR against the SLA, update-cadence adherence, severity history, a
 * five-whys scaffold that stops at the process or system gap (not the
 * person), corrective actions with owners and dates, and open questions
 * the log itself raises (missed SLAs, late updates, gaps in the history).
 *
 * Everything from the log is flattened to one line and its Markdown and
 * HTML metacharacters backslash-escaped, so a ticket title cannot break a
 * table or inject markup into the rendered review. */
#include <stdio.h>
#include <string.h>

#include "projections/timeline/timeline.h"

#define P ESC_TL_P
#define T(s)                                                                                       \
        do {                                                                                       \
                if (md_text(out, (s), 300))                                                        \
                        return -1;                                                                 \
        } while (0)

/* Appends s as one escaped line of at most max bytes. */
static int md_text(esc_buf_t *out, const char *s, size_t max)
{
        char line[1100];

        esc_tl_oneline(line, sizeof(line), s ? s : "", max < 1000 ? max : 1000);
        for (const char *c = line; *c; c++) {
                if (strchr("\\`*_[]<>|#&", *c) && esc_buf_append(out, "\\", 1))
                        return -1;
                if (esc_buf_append(out, c, 1))
                        return -1;
        }
        return 0;
}

static int summary(const esc_timeline_t *tl, esc_buf_t *out)
{
        const esc_event_t *o = tl->opened;
        char b1[40];

        P("## Summary\n\n");
        if (!o) {
                P("- The EscalationOpened event is not in the log: account and impact "
                  "unknown.\n");
        } else {
                P("- **Title:** ");
                T(o->p.opened.title);
                P("\n- **Account:** ");
                T(o->p.opened.account.id);
                if (o->p.opened.account.name) {
                        P(" (");
                        T(o->p.opened.account.name);
                        P(")");
                }
                P(", tier %s", esc_tier_name(o->p.opened.account.tier));
                if (o->p.opened.account.health_score >= 0)
                        P(", health %d", o->p.opened.account.health_score);
                P("\n- **Impact:** %s, product area ", esc_impact_name(o->p.opened.impact));
                T(o->p.opened.product_area);
                if (o->p.opened.description) {
                        P("\n- **Description:** ");
                        T(o->p.opened.description);
                }
                P("\n");
        }
        if (tl->sev)
                P("- **Severity:** Sev %d%s\n", tl->sev,
                  tl->nsevs > 1 ? " (see the severity history)" : "");
        P("- **Engineering owner:** ");
        T(tl->owner ? tl->owner : "none recorded");
        P("; **CSM:** ");
        T(tl->csm ? tl->csm : "none recorded");
        P("; **CS manager:** ");
        T(tl->cs_manager ? tl->cs_manager : "none recorded");
        P("\n- **Detected** %s, **resolved** %s", esc_tl_time(tl->ms.detected, b1, sizeof(b1)),
          tl->ms.resolved == ESC_TIME_NONE ? "not yet" : "");
        if (tl->ms.resolved != ESC_TIME_NONE)
                P("%s", esc_tl_time(tl->ms.resolved, b1, sizeof(b1)));
        if (tl->nreopened)
                P(", reopened %d time(s)", tl->nreopened);
        P("\n");
        const esc_event_t *rev = NULL, *done = NULL;
        for (int i = 0; i < tl->nevs; i++) {
                const esc_event_t *ev = &tl->evs[i];
                switch (ev->type) {
                case ESC_EV_RESOLVED:
                        if (ev->p.resolved.summary) {
                                P("- **Fix:** ");
                                T(ev->p.resolved.summary);
                                P("\n");
                        }
                        break;
                case ESC_EV_CHANNEL_CREATED:
                        P("- **Channel:** #");
                        T(ev->p.channel_created.name);
                        P("\n");
                        break;
                case ESC_EV_TRACKING_ISSUE_LINKED:
                        P("- **Tracking issue:** ");
                        T(ev->p.tracking_linked.issue_id);
                        P(" ");
                        T(ev->p.tracking_linked.url);
                        P("\n");
                        break;
                case ESC_EV_REVIEW_OPENED:
                        rev = ev;
                        break;
                case ESC_EV_REVIEW_COMPLETED:
                        done = ev;
                        break;
                default:
                        break;
                }
        }
        if (rev) {
                char b2[40];
                P("- **Review:** opened %s, due %s", esc_tl_time(rev->occurred_at, b1, sizeof(b1)),
                  esc_tl_time(rev->p.review_opened.due_at, b2, sizeof(b2)));
                if (rev->p.review_opened.tracker_url) {
                        P(" (");
                        T(rev->p.review_opened.tracker_url);
                        P(")");
                }
                if (done)
                        P(", completed %s\n", esc_tl_time(done->occurred_at, b1, sizeof(b1)));
                else
                        P(", not completed yet\n");
        } else {
                P("- **Review:** not opened yet (Sev 1/2 need one within five business "
                  "days)\n");
        }
        P("\n");
        return 0;
}

static int warnings(const esc_timeline_t *tl, esc_buf_t *out)
{
        for (int i = 0; i < tl->nwarnings; i++) {
                P("> **Warning:** ");
                T(tl->warnings[i]);
                P("\n");
        }
        if (tl->nwarnings)
                P("\n");
        return 0;
}

static int milestones(const esc_timeline_t *tl, esc_buf_t *out)
{
        esc_tl_milestone_t rows[ESC_TL_MILESTONE_CNT];
        char b1[40], b2[40];

        esc_tl_milestone_list(&tl->ms, rows);
        P("| milestone | at (UTC) | since open |\n|---|---|---|\n");
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                P("| %s | %s | %s |\n", rows[i].name, esc_tl_time(rows[i].t, b1, sizeof(b1)),
                  rows[i].t == ESC_TIME_NONE || tl->ms.opened == ESC_TIME_NONE
                          ? "—"
                          : esc_tl_duration((rows[i].t - tl->ms.opened) / ESC_USEC_PER_SEC, b2,
                                            sizeof(b2)));
        P("\n");
        return 0;
}

static int events(const esc_timeline_t *tl, esc_buf_t *out)
{
        char b1[40];

        P("| seq | occurred at (UTC) | type | actor | summary "
          "|\n|---:|---|---|---|---|\n");
        for (int i = 0; i < tl->nevs; i++) {
                const esc_tl_row_t *r = &tl->rows[i];
                P("| %lld | %s | %s%s | ", (long long)r->ev->seq,
                  esc_tl_time(r->ev->occurred_at, b1, sizeof(b1)), esc_event_type_name(r->ev->type),
                  r->late ? " **(late)**" : "");
                T(r->ev->actor);
                P(" | ");
                T(r->summary);
                P(" |\n");
        }
        P("\n");
        return 0;
}

static int sla(const esc_timeline_t *tl, esc_buf_t *out)
{
        char a[40], b[40], c[40], d[40], e[40], f[40];
        const esc_tl_sla_t *s = &tl->sla;

        P("| clock | took | target | due (in force) | verdict "
          "|\n|---|---|---|---|---|\n");
        P("| time to acknowledge | %s | %s | %s | %s |\n",
          esc_tl_duration(s->time_to_acknowledge_s, a, 40),
          esc_tl_duration(s->response_target_s, b, 40), esc_tl_time(s->response_due_at, c, 40),
          esc_tl_met_word(s->response_met));
        P("| time to resolve | %s | %s | %s | %s |\n\n",
          esc_tl_duration(s->time_to_resolve_s, d, 40),
          esc_tl_duration(s->resolution_target_s, e, 40), esc_tl_time(s->resolution_due_at, f, 40),
          esc_tl_met_word(s->resolution_met));
        P("Targets are the deadlines in force at the milestone (an override moves them "
          "at "
          "the override instant), measured from the open instant.\n\n");
        return 0;
}

static int updates(const esc_timeline_t *tl, esc_buf_t *out)
{
        char a[40], b[40], c[40], d[40], e[40];

        P("%d external customer update(s), %d late against the promised time or the "
          "cadence.",
          tl->nupdates, tl->nlate);
        if (tl->nmissed)
                P(" A promised or cadence update was missed: the customer heard nothing "
                  "until "
                  "the resolution.");
        P("\n\n");
        if (!tl->ngaps)
                return 0;
        P("| seq | at (UTC) | by | since previous | promised | vs promise | cadence due "
          "| vs "
          "cadence | verdict |\n|---:|---|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < tl->ngaps; i++) {
                const esc_tl_gap_t *g = &tl->gaps[i];
                if (g->ev)
                        P("| %lld | %s | ", (long long)g->ev->seq, esc_tl_time(g->at, a, 40));
                else
                        P("| — | %s (resolved) | ", esc_tl_time(g->at, a, 40));
                T(g->ev ? g->ev->p.update_posted.by : "no update");
                P(" | %s | %s | %s | ", esc_tl_duration(g->since_previous_s, b, 40),
                  esc_tl_time(g->promised_at, c, 40), esc_tl_duration(g->vs_promise_s, d, 40));
                P("%s | %s | %s |\n", esc_tl_time(g->cadence_due_at, e, 40),
                  esc_tl_duration(g->vs_cadence_s, a, 40),
                  g->missed ? "**missed**"
                  : g->late ? "**late**"
                            : "on time");
        }
        P("\n");
        return 0;
}

static int severity(const esc_timeline_t *tl, esc_buf_t *out)
{
        char a[40];

        if (!tl->nsevs) {
                P("No severity was assigned.\n\n");
                return 0;
        }
        P("| seq | at (UTC) | kind | from | to | by | reason | policy |\n"
          "|---:|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < tl->nsevs; i++) {
                const esc_tl_sevchange_t *c = &tl->sevs[i];
                P("| %lld | %s | %s | ", (long long)c->ev->seq,
                  esc_tl_time(c->ev->occurred_at, a, 40), esc_tl_sev_kind_name(c->kind));
                if (c->from_sev)
                        P("Sev %d", c->from_sev);
                else
                        P("—");
                if (c->kind == ESC_TL_SEV_REFUSED)
                        P(" | (unchanged) | ");
                else
                        P(" | Sev %d | ", c->to_sev);
                T(c->by);
                P(" | ");
                if (c->code) {
                        T(c->code);
                        P(": ");
                }
                T(c->reason ? c->reason : "");
                P(" | ");
                T(c->ev->policy_version);
                P(" |\n");
        }
        P("\n");
        return 0;
}

static int refused(const esc_timeline_t *tl, esc_buf_t *out)
{
        char a[40];

        if (!tl->nrejections) {
                P("The ledger refused no command.\n\n");
                return 0;
        }
        P("| seq | at (UTC) | command | by | code | message "
          "|\n|---:|---|---|---|---|---|\n");
        for (int i = 0; i < tl->nrejections; i++) {
                const esc_event_t *ev = tl->rejections[i];
                P("| %lld | %s | ", (long long)ev->seq, esc_tl_time(ev->occurred_at, a, 40));
                T(ev->p.rejected.command_type);
                P(" | ");
                T(ev->actor);
                P(" | ");
                T(ev->p.rejected.code);
                P(" | ");
                T(ev->p.rejected.message);
                P(" |\n");
        }
        P("\n");
        return 0;
}

static int five_whys(const esc_timeline_t *tl, esc_buf_t *out)
{
        const esc_review_completed_t *done = NULL;

        for (int i = 0; i < tl->nevs; i++)
                if (tl->evs[i].type == ESC_EV_REVIEW_COMPLETED)
                        done = &tl->evs[i].p.review_completed;
        P("Ask \"why?\" until you reach a process or system gap. Stop at the process or "
          "system "
          "gap, not the person: \"the CSM did not see the alert\" is not a root cause; "
          "\"alerts route to email, which the CSM does not monitor during EU hours\" "
          "is.\n\n");
        for (int i = 0; i < 5; i++) {
                P("%d. Why? ", i + 1);
                if (done && i < done->five_whys.n)
                        T(done->five_whys.v[i]);
                else
                        P("_…_");
                P("\n");
        }
        P("\n**Systemic root cause:** ");
        if (done && done->root_cause && done->root_cause[0])
                T(done->root_cause);
        else
                P("_to be agreed in the review_");
        P("\n\n");
        return 0;
}

static int actions(const esc_timeline_t *tl, esc_buf_t *out, int *n)
{
        char d[40];

        *n = 0;
        P("Each action is a tracked issue with an owner and a due date; no-owner actions "
          "do not "
          "exist.\n\n| id | action | owner | due | tracker |\n|---|---|---|---|---|\n");
        for (int i = 0; i < tl->nevs; i++) {
                const esc_event_t *ev = &tl->evs[i];
                if (ev->type != ESC_EV_CORRECTIVE_ACTION_ADDED)
                        continue;
                const esc_action_added_t *a = &ev->p.action_added;
                (*n)++;
                P("| ");
                T(a->action_id);
                P(" | ");
                T(a->title);
                P(" | ");
                T(a->owner && a->owner[0] ? a->owner : "**no owner**");
                P(" | %s | ", a->due_date == ESC_DATE_NONE ? "**no date**"
                                                           : esc_date_format(a->due_date, d, 40));
                T(a->tracker_url ? a->tracker_url : "—");
                P(" |\n");
        }
        if (!*n)
                P("| _add one_ | | | | |\n");
        P("\n");
        return 0;
}

static int open_questions(const esc_timeline_t *tl, esc_buf_t *out, int nactions)
{
        char a[40];
        int q = 0;

        if (tl->sla.response_met == 0) {
                P("- The response SLA was missed (took %s): what delayed the "
                  "acknowledgement?\n",
                  esc_tl_duration(tl->sla.time_to_acknowledge_s, a, 40));
                q++;
        }
        if (tl->sla.resolution_met == 0) {
                P("- The resolution target was missed: where did the time go between "
                  "acknowledgement and resolution?\n");
                q++;
        }
        if (tl->nlate || tl->nmissed) {
                P("- %d customer update(s) were late and %d missed: did the reminder "
                  "reach the "
                  "incident channel, and who was it addressed to?\n",
                  tl->nlate, tl->nmissed);
                q++;
        }
        for (int i = 0; i < tl->nsevs; i++)
                if (tl->sevs[i].kind != ESC_TL_SEV_ASSIGNED) {
                        P("- The severity was overridden or an override refused: was the "
                          "matrix "
                          "wrong for this case, and should the policy change?\n");
                        q++;
                        break;
                }
        if (tl->nreopened) {
                P("- The incident was reopened: why did the first fix not hold?\n");
                q++;
        }
        if (tl->ms.detected != ESC_TIME_NONE && tl->ms.opened != ESC_TIME_NONE &&
            tl->ms.opened > tl->ms.detected) {
                P("- Detection preceded the escalation by %s: how could it reach a named "
                  "owner "
                  "sooner?\n",
                  esc_tl_duration((tl->ms.opened - tl->ms.detected) / ESC_USEC_PER_SEC, a, 40));
                q++;
        }
        if (!nactions) {
                P("- No corrective action is recorded yet: what prevents a "
                  "recurrence?\n");
                q++;
        }
        if (tl->nwarnings) {
                P("- The log history is incomplete (see the warnings): which facts need "
                  "checking against the channel and the tracker?\n");
                q++;
        }
        P("- Has the same account, product area and severity escalated before (feed it "
          "back "
          "into the matrix and the routing)?\n\n");
        (void)q;
        return 0;
}

int esc_timeline_render_markdown(const esc_timeline_t *tl, bool review, esc_buf_t *out)
{
        int nactions = 0;

        if (review)
                P("# Post-incident review (draft): ");
        else
                P("# Timeline: ");
        T(tl->incident_id);
        P("\n\n");
        if (review)
                P("_Blameless review, due within five business days of resolution. "
                  "Generated "
                  "from the event log; edit freely._\n\n");
        if (warnings(tl, out))
                return -1;
        if (review && summary(tl, out))
                return -1;
        P("## Timeline\n\n");
        if (milestones(tl, out) || events(tl, out))
                return -1;
        P("## Time to acknowledge and resolve vs SLA\n\n");
        if (sla(tl, out))
                return -1;
        P("## Update cadence adherence\n\n");
        if (updates(tl, out))
                return -1;
        P("## Severity history\n\n");
        if (severity(tl, out))
                return -1;
        P("## Refused commands\n\n");
        if (refused(tl, out))
                return -1;
        if (!review)
                return 0;
        P("## Five whys\n\n");
        if (five_whys(tl, out))
                return -1;
        P("## Corrective actions\n\n");
        if (actions(tl, out, &nactions))
                return -1;
        P("## Open questions\n\n");
        return open_questions(tl, out, nactions);
}
