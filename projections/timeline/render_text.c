/* render_text.c — `esc timeline INC` in a terminal: a header, milestones,
 * SLA verdicts, customer-update gaps, severity history and the event list,
 * in aligned columns (padded by display width so accented names and CJK
 * titles do not skew them). Warnings (trimmed history, seq gaps) come
 * first: an incomplete history must never read as complete. */
#include <stdio.h>
#include <string.h>

#include "projections/timeline/timeline.h"

#define P ESC_TL_P
#define COL ESC_TL_COL

static int header(const esc_timeline_t *tl, esc_buf_t *out)
{
        const esc_event_t *o = tl->opened;
        char title[160], acct[160], name[160];

        if (o) {
                esc_tl_oneline(title, sizeof(title), o->p.opened.title, 120);
                esc_tl_oneline(acct, sizeof(acct), o->p.opened.account.id, 80);
                esc_tl_oneline(name, sizeof(name),
                               o->p.opened.account.name ? o->p.opened.account.name : "", 80);
                P("%s  %s\n", tl->incident_id, title);
                P("  account %s%s%s (%s", acct, name[0] ? " — " : "", name,
                  esc_tier_name(o->p.opened.account.tier));
                if (o->p.opened.account.health_score >= 0)
                        P(", health %d", o->p.opened.account.health_score);
                P(")  impact %s  area %s\n", esc_impact_name(o->p.opened.impact),
                  o->p.opened.product_area ? o->p.opened.product_area : "");
        } else {
                P("%s  (EscalationOpened not in the log)\n", tl->incident_id);
        }
        if (tl->sev)
                P("  Sev %d now", tl->sev);
        else
                P("  no severity assigned");
        P("  owner %s  csm %s  cs manager %s", tl->owner ? tl->owner : "—", tl->csm ? tl->csm : "—",
          tl->cs_manager ? tl->cs_manager : "—");
        if (tl->policy_version)
                P("  policy %s", tl->policy_version);
        P("\n");
        for (int i = 0; i < tl->nwarnings; i++)
                P("  WARNING: %s\n", tl->warnings[i]);
        return 0;
}

static int milestone(esc_buf_t *out, const char *name, esc_time_t t, esc_time_t opened)
{
        char b1[40], b2[40];

        P("  ");
        COL(name, 14);
        P("%s", esc_tl_time(t, b1, sizeof(b1)));
        if (t != ESC_TIME_NONE && opened != ESC_TIME_NONE && strcmp(name, "detected"))
                P("   open + %s", esc_tl_duration((t - opened) / ESC_USEC_PER_SEC, b2, sizeof(b2)));
        P("\n");
        return 0;
}

static int sla_line(esc_buf_t *out, const char *name, int64_t took, int64_t target, esc_time_t due,
                    int met)
{
        char b1[40], b2[40], b3[40];

        P("  ");
        COL(name, 22);
        COL(esc_tl_duration(took, b1, sizeof(b1)), 10);
        P("target ");
        COL(esc_tl_duration(target, b2, sizeof(b2)), 10);
        P("due ");
        COL(esc_tl_time(due, b3, sizeof(b3)), ESC_TL_TIME_COL);
        P("%s\n", esc_tl_met_word(met));
        return 0;
}

int esc_timeline_render_text(const esc_timeline_t *tl, esc_buf_t *out)
{
        const esc_tl_milestones_t *ms = &tl->ms;
        char b1[40], b2[40], b3[40], b4[40], seq[24];

        if (header(tl, out))
                return -1;

        P("\nMILESTONES\n");
        if (milestone(out, "detected", ms->detected, ms->opened) ||
            milestone(out, "opened", ms->opened, ms->opened) ||
            milestone(out, "acknowledged", ms->acknowledged, ms->opened) ||
            milestone(out, "mitigated", ms->mitigated, ms->opened) ||
            milestone(out, "resolved", ms->resolved, ms->opened) ||
            milestone(out, "confirmed", ms->confirmed, ms->opened) ||
            milestone(out, "closed", ms->closed, ms->opened))
                return -1;

        P("\nSLA\n");
        if (esc_tl_sla_clocks(tl, out, sla_line))
                return -1;

        P("\nCUSTOMER UPDATES (%d external, %d late", tl->nupdates, tl->nlate);
        if (tl->nmissed)
                P(", %d missed before resolution", tl->nmissed);
        P(")\n");
        if (tl->ngaps) {
                P("  ");
                COL("SEQ", 5);
                COL("AT", ESC_TL_TIME_COL);
                COL("BY", 14);
                COL("SINCE PREV", 12);
                COL("PROMISED", ESC_TL_TIME_COL);
                COL("VS PROMISE", 12);
                COL("VS CADENCE", 12);
                P("\n");
        }
        for (int i = 0; i < tl->ngaps; i++) {
                const esc_tl_gap_t *g = &tl->gaps[i];
                if (g->ev)
                        snprintf(seq, sizeof(seq), "%lld", (long long)g->ev->seq);
                else
                        esc_strlcpy(seq, "—", sizeof(seq));
                P("  ");
                COL(seq, 5);
                COL(esc_tl_time(g->at, b1, sizeof(b1)), ESC_TL_TIME_COL);
                COL(g->ev ? g->ev->p.update_posted.by : "(none)", 14);
                COL(esc_tl_duration(g->since_previous_s, b2, sizeof(b2)), 12);
                COL(esc_tl_time(g->promised_at, b3, sizeof(b3)), ESC_TL_TIME_COL);
                COL(esc_tl_duration(g->vs_promise_s, b4, sizeof(b4)), 12);
                COL(esc_tl_duration(g->vs_cadence_s, b1, sizeof(b1)), 12);
                P("%s\n", g->missed ? "MISSED: silent until resolved"
                          : g->late ? "LATE"
                                    : "on time");
        }

        P("\nSEVERITY\n");
        if (tl->nsevs) {
                P("  ");
                COL("SEQ", 5);
                COL("AT", ESC_TL_TIME_COL);
                COL("KIND", 12);
                COL("CHANGE", 14);
                COL("BY", 14);
                P("REASON\n");
        }
        for (int i = 0; i < tl->nsevs; i++) {
                const esc_tl_sevchange_t *c = &tl->sevs[i];
                char change[32], why[160];
                snprintf(seq, sizeof(seq), "%lld", (long long)c->ev->seq);
                if (c->kind == ESC_TL_SEV_REFUSED)
                        snprintf(change, sizeof(change), "Sev %d kept", c->from_sev);
                else if (c->from_sev)
                        snprintf(change, sizeof(change), "Sev %d -> %d", c->from_sev, c->to_sev);
                else
                        snprintf(change, sizeof(change), "Sev %d", c->to_sev);
                esc_tl_oneline(why, sizeof(why),
                               c->code     ? c->code
                               : c->reason ? c->reason
                                           : "",
                               100);
                P("  ");
                COL(seq, 5);
                COL(esc_tl_time(c->ev->occurred_at, b1, sizeof(b1)), ESC_TL_TIME_COL);
                COL(esc_tl_sev_kind_name(c->kind), 12);
                COL(change, 14);
                COL(c->by ? c->by : "", 14);
                P("%s%s%s\n", why, c->ev->policy_version ? "  policy " : "",
                  c->ev->policy_version ? c->ev->policy_version : "");
        }

        P("\nREFUSED COMMANDS (%d)\n", tl->nrejections);
        for (int i = 0; i < tl->nrejections; i++) {
                const esc_event_t *ev = tl->rejections[i];
                char what[ESC_TL_SUMMARY_MAX + 8];
                snprintf(seq, sizeof(seq), "%lld", (long long)ev->seq);
                esc_tl_oneline(what, sizeof(what), ev->p.rejected.message, 150);
                P("  ");
                COL(seq, 5);
                COL(esc_tl_time(ev->occurred_at, b1, sizeof(b1)), ESC_TL_TIME_COL);
                COL(ev->p.rejected.command_type, 12);
                COL(ev->actor, 14);
                COL(ev->p.rejected.code, 28);
                P("%s\n", what);
        }

        P("\nEVENTS (%d)\n  ", tl->nevs);
        COL("SEQ", 5);
        COL("OCCURRED_AT", ESC_TL_TIME_COL);
        COL("TYPE", 22);
        COL("ACTOR", 14);
        P("SUMMARY\n");
        for (int i = 0; i < tl->nevs; i++) {
                const esc_tl_row_t *r = &tl->rows[i];
                snprintf(seq, sizeof(seq), "%lld", (long long)r->ev->seq);
                P("%s", r->late ? "! " : "  ");
                COL(seq, 5);
                COL(esc_tl_time(r->ev->occurred_at, b1, sizeof(b1)), ESC_TL_TIME_COL);
                COL(esc_event_type_name(r->ev->type), 22);
                COL(r->ev->actor ? r->ev->actor : "", 14);
                P("%s\n", r->summary);
        }
        return 0;
}
