/* render_html.c — the timeline as a self-contained HTML page (`--format
 * html`): render_svg.c's picture, then the SLA, customer-update, severity,
 * refused-command and event tables. All text from the log is escaped. */
#include <stdio.h>

#include "projections/timeline/timeline.h"

#define P ESC_TL_P
#define X ESC_TL_X

static int html_row(esc_buf_t *out, const char *cls, int n, const char *const *cells)
{
        P("<tr%s%s%s>", cls ? " class='" : "", cls ? cls : "", cls ? "'" : "");
        for (int i = 0; i < n; i++) {
                P("<td>");
                X(cells[i]);
                P("</td>");
        }
        P("</tr>\n");
        return 0;
}

static int sla_row(esc_buf_t *out, const char *clock, int64_t took, int64_t target, esc_time_t due,
                   int met)
{
        char a[40], b[40], c[40];
        const char *cells[] = {clock, esc_tl_duration(took, a, 40), esc_tl_duration(target, b, 40),
                               esc_tl_time(due, c, 40), esc_tl_met_word(met)};

        return html_row(out, met == 0 ? "late" : NULL, 5, cells);
}

int esc_timeline_render_html(const esc_timeline_t *tl, esc_buf_t *out)
{
        char a[40], b[40], c[40], d[40], e[40], seq[24], from[16], to[16];

        P("<!DOCTYPE html>\n<html lang='en'><head><meta "
          "charset='utf-8'>\n<title>Timeline ");
        X(tl->incident_id);
        P("</title>\n<style>body{font-family:'DejaVu "
          "Sans',Helvetica,Arial,sans-serif;margin:20px;"
          "color:#123;background:#fff}h1{font-size:20px;margin:0 0 6px}h2{font-size:15px;"
          "margin:22px 0 "
          "6px}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid "
          "#d5dbe1;padding:3px "
          "7px;text-align:left;vertical-align:top}th{background:#eef2f5}"
          "td:not(:last-child){white-space:nowrap}tr.late "
          "td{background:#fde2e2;color:#900;font-weight:bold}.warn{color:#b00020;"
          "font-weight:bold}.missed{color:#b00020;font-weight:bold}svg{max-width:100%%;"
          "height:auto;"
          "border:1px solid #e3e7eb}</style>\n</head><body>\n<h1>");
        X(tl->incident_id);
        if (tl->opened && tl->opened->p.opened.title) {
                P(" — ");
                X(tl->opened->p.opened.title);
        }
        P("</h1>\n");
        for (int i = 0; i < tl->nwarnings; i++) {
                P("<p class='warn'>⚠ ");
                X(tl->warnings[i]);
                P("</p>\n");
        }
        if (esc_timeline_render_svg(tl, out))
                return -1;

        P("<h2>SLA</h2>\n<table><tr><th>clock</th><th>took</th><th>target</th><th>due "
          "(in "
          "force)</th><th>verdict</th></tr>\n");
        if (esc_tl_sla_clocks(tl, out, sla_row))
                return -1;
        P("</table>\n");

        P("<h2>Customer updates (%d external, %d late, %d "
          "missed)</h2>\n<table><tr><th>seq</th>"
          "<th>at (UTC)</th><th>by</th><th>since previous</th><th>promised</th><th>vs "
          "promise</th>"
          "<th>cadence due</th><th>vs cadence</th><th>verdict</th></tr>\n",
          tl->nupdates, tl->nlate, tl->nmissed);
        for (int i = 0; i < tl->ngaps; i++) {
                const esc_tl_gap_t *g = &tl->gaps[i];
                char f[40];
                if (g->ev)
                        snprintf(seq, sizeof(seq), "%lld", (long long)g->ev->seq);
                else
                        esc_strlcpy(seq, "—", sizeof(seq));
                const char *by = g->ev ? g->ev->p.update_posted.by : "no update until resolved";
                const char *cells[] = {seq,
                                       esc_tl_time(g->at, a, 40),
                                       by ? by : "",
                                       esc_tl_duration(g->since_previous_s, b, 40),
                                       esc_tl_time(g->promised_at, c, 40),
                                       esc_tl_duration(g->vs_promise_s, d, 40),
                                       esc_tl_time(g->cadence_due_at, e, 40),
                                       esc_tl_duration(g->vs_cadence_s, f, 40),
                                       g->missed ? "missed"
                                       : g->late ? "late"
                                                 : "on time"};
                if (html_row(out, g->late ? "late" : NULL, 9, cells))
                        return -1;
        }
        P("</table>\n");

        P("<h2>Severity history</h2>\n<table><tr><th>seq</th><th>at "
          "(UTC)</th><th>kind</th>"
          "<th>from</th><th>to</th><th>by</th><th>policy</th><th>reason</th></tr>\n");
        for (int i = 0; i < tl->nsevs; i++) {
                const esc_tl_sevchange_t *cg = &tl->sevs[i];
                char why[300];
                snprintf(seq, sizeof(seq), "%lld", (long long)cg->ev->seq);
                if (cg->from_sev)
                        snprintf(from, sizeof(from), "Sev %d", cg->from_sev);
                else
                        esc_strlcpy(from, "—", sizeof(from));
                if (cg->kind == ESC_TL_SEV_REFUSED)
                        esc_strlcpy(to, "(unchanged)", sizeof(to));
                else
                        snprintf(to, sizeof(to), "Sev %d", cg->to_sev);
                snprintf(why, sizeof(why), "%s%s%s", cg->code ? cg->code : "", cg->code ? ": " : "",
                         cg->reason ? cg->reason : "");
                const char *cells[] = {seq,
                                       esc_tl_time(cg->ev->occurred_at, a, 40),
                                       esc_tl_sev_kind_name(cg->kind),
                                       from,
                                       to,
                                       cg->by ? cg->by : "",
                                       cg->ev->policy_version ? cg->ev->policy_version : "",
                                       why};
                if (html_row(out, cg->kind == ESC_TL_SEV_REFUSED ? "late" : NULL, 8, cells))
                        return -1;
        }
        P("</table>\n");

        P("<h2>Refused commands (%d)</h2>\n<table><tr><th>seq</th><th>at (UTC)</th>"
          "<th>command</th><th>by</th><th>code</th><th>message</th></tr>\n",
          tl->nrejections);
        for (int i = 0; i < tl->nrejections; i++) {
                const esc_event_t *ev = tl->rejections[i];
                snprintf(seq, sizeof(seq), "%lld", (long long)ev->seq);
                const char *cells[] = {seq,
                                       esc_tl_time(ev->occurred_at, a, 40),
                                       ev->p.rejected.command_type ? ev->p.rejected.command_type
                                                                   : "",
                                       ev->actor ? ev->actor : "",
                                       ev->p.rejected.code ? ev->p.rejected.code : "",
                                       ev->p.rejected.message ? ev->p.rejected.message : ""};
                if (html_row(out, NULL, 6, cells))
                        return -1;
        }
        P("</table>\n");

        P("<h2>Events (%d)</h2>\n<table><tr><th>seq</th><th>occurred at "
          "(UTC)</th><th>type</th>"
          "<th>actor</th><th>summary</th></tr>\n",
          tl->nevs);
        for (int i = 0; i < tl->nevs; i++) {
                const esc_tl_row_t *r = &tl->rows[i];
                snprintf(seq, sizeof(seq), "%lld", (long long)r->ev->seq);
                const char *cells[] = {seq, esc_tl_time(r->ev->occurred_at, a, 40),
                                       esc_event_type_name(r->ev->type),
                                       r->ev->actor ? r->ev->actor : "", r->summary};
                if (html_row(out, r->late ? "late" : NULL, 5, cells))
                        return -1;
        }
        P("</table>\n</body></html>\n");
        return 0;
}
