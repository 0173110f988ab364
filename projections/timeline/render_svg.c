/* render_svg.c — the timeline as a picture (`--format svg`; render_html.c
 * embeds it in the HTML page).
 *
 * The picture: a time axis; a severity band coloured by the severity in
 * force (so an override shows as a colour change at its instant); lanes for
 * milestones, customer contact (acknowledgement and updates, late ones in
 * red with the promised time they missed), severity decisions (overrides,
 * refused overrides) and everything else; the SLA deadlines in force as
 * dashed vertical markers. Every mark carries a <title> tooltip with the
 * event's seq, type and summary. All text from the log is XML-escaped.
 * Labels are placed greedily on up to three rows per lane so neighbours do
 * not overprint (an estimate by code points: the SVG has no text metrics). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "projections/timeline/timeline.h"

#define P ESC_TL_P
#define X ESC_TL_X

#define W 1320
#define X0 180.0
#define X1 (W - 40.0)
#define LABEL_ROWS 3
#define CHAR_W 6.2 /* px per code point at font-size 11 */

enum { LANE_MILESTONES, LANE_CONTACT, LANE_SEVERITY, LANE_OTHER, LANE__COUNT };
static const char *lane_names[LANE__COUNT] = {"milestones", "customer contact",
                                              "severity & refusals", "other events"};

typedef struct scale {
        esc_time_t t0, t1;
        double top; /* y of the first lane */
        double lane_h;
        double axis_y;
        double row_end[LANE__COUNT][LABEL_ROWS]; /* label placement */
} scale_t;

static double xof(const scale_t *s, esc_time_t t)
{
        if (s->t1 <= s->t0)
                return X0;
        double f = (double)(t - s->t0) / (double)(s->t1 - s->t0);
        if (f < 0)
                f = 0;
        if (f > 1)
                f = 1;
        return X0 + f * (X1 - X0);
}

static double lane_y(const scale_t *s, int lane)
{
        return s->top + s->lane_h * (lane + 0.5);
}

static int codepoints(const char *t)
{
        int n = 0;

        for (; *t; t++)
                n += ((unsigned char)*t & 0xC0) != 0x80;
        return n;
}

/* Places a label of `text` starting near x in `lane`; returns its y. */
static double place(scale_t *s, int lane, double x, const char *text)
{
        double w = codepoints(text) * CHAR_W;
        int row = 0;

        for (int r = 0; r < LABEL_ROWS; r++)
                if (s->row_end[lane][r] < x) {
                        row = r;
                        goto found;
                }
        /* All rows busy: take the one that frees up first. */
        for (int r = 1; r < LABEL_ROWS; r++)
                if (s->row_end[lane][r] < s->row_end[lane][row])
                        row = r;
found:
        s->row_end[lane][row] = x + w + 6;
        return lane_y(s, lane) - 10 - 12.0 * row;
}

static const char *sev_colour(int sev)
{
        switch (sev) {
        case 1:
                return "#d7263d";
        case 2:
                return "#f46036";
        case 3:
                return "#e9b400";
        case 4:
                return "#7d8b99";
        default:
                return "#cfd6dd";
        }
}

static void range(const esc_timeline_t *tl, esc_time_t *lo, esc_time_t *hi)
{
        esc_time_t a = INT64_MAX, b = INT64_MIN;

        for (int i = 0; i < tl->nevs; i++) {
                esc_time_t t = tl->evs[i].occurred_at;
                if (t < a)
                        a = t;
                if (t > b)
                        b = t;
        }
        if (tl->ms.detected != ESC_TIME_NONE && tl->ms.detected < a)
                a = tl->ms.detected;
        /* Deadlines widen the range only when near the history: a Sev 3's
         * 5-business-day target would squash a two-hour incident to a dot. */
        esc_time_t span = b - a > 0 ? b - a : 3600 * ESC_USEC_PER_SEC;
        esc_time_t dl[2] = {tl->sla.response_due_at, tl->sla.resolution_due_at};
        for (int i = 0; i < 2; i++)
                if (dl[i] != ESC_TIME_NONE && dl[i] > b && dl[i] - b <= span)
                        b = dl[i];
        span = b - a > 0 ? b - a : 3600 * ESC_USEC_PER_SEC;
        *lo = a - span / 25;
        *hi = b + span / 25;
}

static int axis(const scale_t *s, esc_buf_t *out)
{
        static const int64_t steps[] = {60,    300,   600,   900,   1800,   3600,   7200,
                                        10800, 21600, 43200, 86400, 172800, 604800, 2592000};
        int64_t span = (s->t1 - s->t0) / ESC_USEC_PER_SEC, step = steps[0];

        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                step = steps[i];
                if (span / step <= 12)
                        break;
        }
        P("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#334' "
          "stroke-width='1.5'/>\n",
          X0, s->axis_y, X1, s->axis_y);
        int64_t first = (s->t0 / ESC_USEC_PER_SEC + step - 1) / step * step;
        int last_day = -1;
        for (int64_t t = first; t * ESC_USEC_PER_SEC <= s->t1; t += step) {
                time_t tt = (time_t)t;
                struct tm tm;
                char lab[32];
                double x = xof(s, t * ESC_USEC_PER_SEC);
                gmtime_r(&tt, &tm);
                if (step >= 86400)
                        strftime(lab, sizeof(lab), "%m-%d", &tm);
                else
                        strftime(lab, sizeof(lab), "%H:%M", &tm);
                P("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#e3e7eb'/>", x, s->top, x,
                  s->axis_y);
                P("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#334'/>", x, s->axis_y, x,
                  s->axis_y + 5);
                P("<text x='%.1f' y='%.1f' class='tick'>%s</text>\n", x, s->axis_y + 18, lab);
                if (tm.tm_yday != last_day && step < 86400) {
                        strftime(lab, sizeof(lab), "%Y-%m-%d", &tm);
                        P("<text x='%.1f' y='%.1f' class='tick'>%s</text>\n", x, s->axis_y + 31,
                          lab);
                        last_day = tm.tm_yday;
                }
        }
        P("<text x='%.1f' y='%.1f' class='lane'>UTC</text>\n", X0 - 12, s->axis_y + 18);
        return 0;
}

static int tooltip(const esc_tl_row_t *r, esc_buf_t *out)
{
        char t[40];

        P("<title>#%lld %s %s — ", (long long)r->ev->seq, esc_event_type_name(r->ev->type),
          esc_tl_time(r->ev->occurred_at, t, sizeof(t)));
        X(r->summary);
        P("</title>");
        return 0;
}

static int label(scale_t *s, int lane, double x, const char *text, const char *cls, esc_buf_t *out)
{
        double y = place(s, lane, x - 4, text);

        P("<text x='%.1f' y='%.1f' class='%s'>", x - 4, y, cls);
        X(text);
        P("</text>\n");
        return 0;
}

static int severity_band(const esc_timeline_t *tl, const scale_t *s, esc_buf_t *out)
{
        double y = s->top - 34;
        int sev = 0;
        esc_time_t from = s->t0;

        P("<text x='%.1f' y='%.1f' class='lane'>severity in force</text>\n", X0 - 12, y + 15);
        for (int i = 0; i <= tl->nsevs; i++) {
                const esc_tl_sevchange_t *c = i < tl->nsevs ? &tl->sevs[i] : NULL;
                if (c && c->kind == ESC_TL_SEV_REFUSED)
                        continue;
                esc_time_t to = c ? c->ev->occurred_at : s->t1;
                double a = xof(s, from), b = xof(s, to);
                if (b > a) {
                        P("<rect x='%.1f' y='%.1f' width='%.1f' height='22' fill='%s' "
                          "opacity='0.85'/>",
                          a, y, b - a, sev_colour(sev));
                        if (sev && b - a > 40)
                                P("<text x='%.1f' y='%.1f' class='band'>Sev %d</text>", a + 6,
                                  y + 15, sev);
                        P("\n");
                }
                if (c) {
                        sev = c->to_sev;
                        from = to > from ? to : from;
                }
        }
        return 0;
}

static int deadline(const scale_t *s, esc_time_t due, const char *what, int row, esc_buf_t *out)
{
        char t[40], lab[96];

        if (due == ESC_TIME_NONE)
                return 0;
        esc_tl_time(due, t, sizeof(t));
        if (due > s->t1) {
                snprintf(lab, sizeof(lab), "%s %s →", what, t);
                P("<text x='%.1f' y='%.1f' class='due' text-anchor='end'>", X1,
                  s->top - 44 - 12.0 * row);
                X(lab);
                P("</text>\n");
                return 0;
        }
        double x = xof(s, due);
        snprintf(lab, sizeof(lab), "%s %s", what, t + 11);
        P("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' class='dueline'/>", x, s->top - 40, x,
          s->axis_y);
        if (x + 3 + codepoints(lab) * CHAR_W > W - 4)
                P("<text x='%.1f' y='%.1f' class='due' text-anchor='end'>", x - 3,
                  s->top - 44 - 12.0 * row);
        else
                P("<text x='%.1f' y='%.1f' class='due'>", x + 3, s->top - 44 - 12.0 * row);
        X(lab);
        P("</text>\n");
        return 0;
}

static int marks(const esc_timeline_t *tl, scale_t *s, esc_buf_t *out)
{
        esc_tl_milestone_t mil[ESC_TL_MILESTONE_CNT];
        char lab[160], d[40];
        int g = 0;

        esc_tl_milestone_list(&tl->ms, mil);

        for (size_t i = 0; i < sizeof(mil) / sizeof(mil[0]); i++) {
                if (mil[i].t == ESC_TIME_NONE)
                        continue;
                double x = xof(s, mil[i].t), y = lane_y(s, LANE_MILESTONES);
                P("<path d='M%.1f %.1f l7 7 l-7 7 l-7 -7 z' class='milestone'><title>%s ", x, y - 7,
                  mil[i].name);
                P("%s</title></path>\n", esc_tl_time(mil[i].t, d, sizeof(d)));
                if (label(s, LANE_MILESTONES, x, mil[i].name, "lbl", out))
                        return -1;
        }

        for (int i = 0; i < tl->nevs; i++) {
                const esc_tl_row_t *r = &tl->rows[i];
                const esc_event_t *ev = r->ev;
                double x = xof(s, ev->occurred_at);
                int lane = LANE_OTHER;
                const char *cls = "dot";

                lab[0] = '\0';
                switch (ev->type) {
                case ESC_EV_ESCALATION_OPENED:
                case ESC_EV_MITIGATED:
                case ESC_EV_RESOLVED:
                case ESC_EV_CUSTOMER_CONFIRMED:
                case ESC_EV_CLOSED:
                        continue; /* drawn as milestones */
                case ESC_EV_ACKNOWLEDGED:
                        lane = LANE_CONTACT;
                        cls = "ack";
                        snprintf(lab, sizeof(lab), "ack");
                        break;
                case ESC_EV_CUSTOMER_UPDATE_POSTED:
                        lane = LANE_CONTACT;
                        if (ev->p.update_posted.audience != ESC_AUDIENCE_EXTERNAL) {
                                cls = "internal";
                                snprintf(lab, sizeof(lab), "internal");
                                break;
                        }
                        cls = r->late ? "late" : "ontime";
                        for (; g < tl->ngaps && tl->gaps[g].ev != ev; g++)
                                ;
                        if (g < tl->ngaps && r->late) {
                                const esc_tl_gap_t *gp = &tl->gaps[g];
                                int64_t by = gp->vs_promise_s != ESC_TL_NONE && gp->vs_promise_s > 0
                                                     ? gp->vs_promise_s
                                                     : gp->vs_cadence_s;
                                esc_time_t want =
                                        gp->vs_promise_s != ESC_TL_NONE && gp->vs_promise_s > 0
                                                ? gp->promised_at
                                                : gp->cadence_due_at;
                                double y = lane_y(s, LANE_CONTACT);
                                double wx = xof(s, want);
                                P("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' "
                                  "class='lateline'/>"
                                  "<path d='M%.1f %.1f l-5 -9 l10 0 z' "
                                  "class='promise'><title>"
                                  "promised %s</title></path>\n",
                                  wx, y, x, y, wx, y - 6, esc_tl_time(want, d, sizeof(d)));
                                snprintf(lab, sizeof(lab), "LATE +%s",
                                         esc_tl_duration(by, d, sizeof(d)));
                        } else {
                                snprintf(lab, sizeof(lab), "update");
                        }
                        break;
                case ESC_EV_SEVERITY_ASSIGNED:
                        lane = LANE_SEVERITY;
                        cls = "sev";
                        snprintf(lab, sizeof(lab), "Sev %d", ev->p.sev_assigned.sev);
                        break;
                case ESC_EV_SEVERITY_OVERRIDDEN:
                        lane = LANE_SEVERITY;
                        cls = "sev";
                        snprintf(lab, sizeof(lab), "override %d→%d", ev->p.sev_overridden.from_sev,
                                 ev->p.sev_overridden.to_sev);
                        break;
                case ESC_EV_COMMAND_REJECTED:
                        lane = LANE_SEVERITY;
                        cls = "refused";
                        esc_tl_oneline(
                                d, sizeof(d),
                                ev->p.rejected.command_type ? ev->p.rejected.command_type : "", 24);
                        snprintf(lab, sizeof(lab), "refused %s", d);
                        break;
                case ESC_EV_SLA_BREACHED:
                        cls = "alarm";
                        snprintf(lab, sizeof(lab), "%s SLA breached",
                                 esc_clock_name(ev->p.sla_breached.clock));
                        break;
                case ESC_EV_UPDATE_OVERDUE:
                        cls = "alarm";
                        snprintf(lab, sizeof(lab), "update overdue");
                        break;
                case ESC_EV_UNOWNED_ESCALATED:
                        cls = "alarm";
                        snprintf(lab, sizeof(lab), "unowned: manager paged");
                        break;
                case ESC_EV_REOPENED:
                        cls = "alarm";
                        snprintf(lab, sizeof(lab), "reopened");
                        break;
                case ESC_EV_REVIEW_OPENED:
                        snprintf(lab, sizeof(lab), "review opened");
                        break;
                case ESC_EV_REVIEW_COMPLETED:
                        snprintf(lab, sizeof(lab), "review done");
                        break;
                case ESC_EV_CORRECTIVE_ACTION_ADDED:
                        snprintf(lab, sizeof(lab), "action");
                        break;
                case ESC_EV_CHANNEL_CREATED:
                        snprintf(lab, sizeof(lab), "channel");
                        break;
                case ESC_EV_TRACKING_ISSUE_LINKED:
                        snprintf(lab, sizeof(lab), "issue");
                        break;
                case ESC_EV_PAGE_SENT:
                        snprintf(lab, sizeof(lab), "paged");
                        break;
                case ESC_EV_OUTBOUND_RECORDED:
                        /* Many per incident: a dot with its tooltip; only
                         * a failure is labelled. */
                        if (ev->p.outbound_recorded.status &&
                            !strcmp(ev->p.outbound_recorded.status, ESC_OUTBOUND_FAILED)) {
                                cls = "alarm";
                                esc_tl_oneline(d, sizeof(d),
                                               ev->p.outbound_recorded.target
                                                       ? ev->p.outbound_recorded.target
                                                       : "",
                                               24);
                                snprintf(lab, sizeof(lab), "%s failed", d);
                        }
                        break;
                case ESC_EV_OWNER_ASSIGNED:
                        esc_tl_oneline(
                                d, sizeof(d),
                                ev->p.owner_assigned.person ? ev->p.owner_assigned.person : "", 24);
                        snprintf(lab, sizeof(lab), "%s %s",
                                 ev->p.owner_assigned.role == ESC_ROLE_ENGINEERING_OWNER ? "owner"
                                 : ev->p.owner_assigned.role == ESC_ROLE_CSM             ? "csm"
                                                                             : "manager",
                                 d);
                        break;
                default:
                        break;
                }
                double y = lane_y(s, lane);
                P("<g class='%s'>", cls);
                if (!strcmp(cls, "refused"))
                        P("<path d='M%.1f %.1f l10 10 m0 -10 l-10 10' "
                          "stroke-width='2.5'/>",
                          x - 5, y - 5);
                else
                        P("<circle cx='%.1f' cy='%.1f' r='%d'/>", x, y, lane == LANE_OTHER ? 4 : 6);
                if (tooltip(r, out))
                        return -1;
                P("</g>\n");
                if (lab[0] && label(s, lane, x, lab, r->late ? "lbl latelbl" : "lbl", out))
                        return -1;
        }
        for (int i = 0; i < tl->ngaps; i++) {
                const esc_tl_gap_t *gp = &tl->gaps[i];
                if (!gp->missed)
                        continue;
                bool by_promise = gp->vs_promise_s != ESC_TL_NONE && gp->vs_promise_s > 0;
                esc_time_t want = by_promise ? gp->promised_at : gp->cadence_due_at;
                double y = lane_y(s, LANE_CONTACT), wx = xof(s, want), x = xof(s, gp->at);
                P("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' class='lateline'/>"
                  "<path d='M%.1f %.1f l-5 -9 l10 0 z' class='promise'><title>update due "
                  "%s, "
                  "none before the resolution</title></path>\n",
                  wx, y, x, y, wx, y - 6, esc_tl_time(want, d, sizeof(d)));
                snprintf(lab, sizeof(lab), "MISSED: silent %s",
                         esc_tl_duration((gp->at - want) / ESC_USEC_PER_SEC, d, sizeof(d)));
                if (label(s, LANE_CONTACT, wx + 10, lab, "lbl latelbl", out))
                        return -1;
        }
        return 0;
}

int esc_timeline_render_svg(const esc_timeline_t *tl, esc_buf_t *out)
{
        scale_t s;
        char title[200], a[40], b[40], c[40], d[40];
        double warn_h = 14.0 * (tl->nwarnings > 4 ? 4 : tl->nwarnings);

        memset(&s, 0, sizeof(s));
        range(tl, &s.t0, &s.t1);
        s.lane_h = 62;
        s.top = 150 + warn_h;
        s.axis_y = s.top + s.lane_h * LANE__COUNT;
        for (int l = 0; l < LANE__COUNT; l++)
                for (int r = 0; r < LABEL_ROWS; r++)
                        s.row_end[l][r] = -1e9;
        int h = (int)(s.axis_y + 80);

        P("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 "
          "%d %d' "
          "font-family='DejaVu Sans, Helvetica, Arial, sans-serif' role='img'>\n",
          W, h, W, h);
        P("<style>.t{font-size:17px;font-weight:bold;fill:#123}.sub{font-size:12px;fill:#"
          "345}"
          ".warn{font-size:12px;fill:#b00020;font-weight:bold}.lane{font-size:11px;fill:#"
          "567;"
          "text-anchor:end}.tick{font-size:10px;fill:#456;text-anchor:middle}"
          ".lbl{font-size:11px;fill:#223}.latelbl{fill:#c00;font-weight:bold}"
          ".band{font-size:11px;fill:#fff;font-weight:bold}.due{font-size:10px;fill:#"
          "7a1f5c}"
          ".dueline{stroke:#7a1f5c;stroke-dasharray:5 4;stroke-width:1.3}"
          ".milestone{fill:#1d3557}.ack circle{fill:#457b9d}.ontime circle{fill:#2a9d8f}"
          ".late circle{fill:#d62828;stroke:#600;stroke-width:2}.internal "
          "circle{fill:#fff;"
          "stroke:#889;stroke-width:1.5}.sev circle{fill:#f4a261}.refused "
          "path{stroke:#b00020}"
          ".dot circle{fill:#9aa5b1}.alarm circle{fill:#e76f51}.promise{fill:none;"
          "stroke:#d62828;stroke-width:1.5}.lateline{stroke:#d62828;stroke-width:2;"
          "stroke-dasharray:3 3}</style>\n");
        P("<rect width='100%%' height='100%%' fill='#fbfcfd'/>\n");

        esc_tl_oneline(title, sizeof(title),
                       tl->opened && tl->opened->p.opened.title ? tl->opened->p.opened.title : "",
                       140);
        P("<text x='20' y='30' class='t'>");
        X(tl->incident_id);
        P(" — ");
        X(title);
        P("</text>\n<text x='20' y='50' class='sub'>");
        if (tl->sev)
                P("Sev %d now · ", tl->sev);
        P("time to acknowledge %s (target %s, %s) · time to resolve %s (target %s, %s) · "
          "%d customer update(s), %d late, %d missed",
          esc_tl_duration(tl->sla.time_to_acknowledge_s, a, 40),
          esc_tl_duration(tl->sla.response_target_s, b, 40), esc_tl_met_word(tl->sla.response_met),
          esc_tl_duration(tl->sla.time_to_resolve_s, c, 40),
          esc_tl_duration(tl->sla.resolution_target_s, d, 40),
          esc_tl_met_word(tl->sla.resolution_met), tl->nupdates, tl->nlate, tl->nmissed);
        P("</text>\n");
        for (int i = 0; i < tl->nwarnings && i < 4; i++) {
                P("<text x='20' y='%.1f' class='warn'>⚠ ", 70 + 14.0 * i);
                X(tl->warnings[i]);
                P("</text>\n");
        }

        for (int l = 0; l < LANE__COUNT; l++) {
                double y = lane_y(&s, l);
                P("<text x='%.1f' y='%.1f' class='lane'>", X0 - 12, y + 4);
                X(lane_names[l]);
                P("</text>");
                P("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#dde3e8'/>\n", X0, y, X1,
                  y);
        }
        if (axis(&s, out) || severity_band(tl, &s, out))
                return -1;
        if (deadline(&s, tl->sla.response_due_at, "response due", 0, out) ||
            deadline(&s, tl->sla.resolution_due_at, "resolution due", 1, out))
                return -1;
        if (marks(tl, &s, out))
                return -1;

        double ly = s.axis_y + 58;
        P("<g font-size='11' fill='#223'>"
          "<path d='M20 %.1f l6 6 l-6 6 l-6 -6 z' class='milestone'/><text x='32' "
          "y='%.1f'>"
          "milestone</text>",
          ly - 6, ly + 4);
        P("<circle cx='120' cy='%.1f' r='6' fill='#457b9d'/><text x='130' y='%.1f'>"
          "acknowledgement</text>",
          ly, ly + 4);
        P("<circle cx='250' cy='%.1f' r='6' fill='#2a9d8f'/><text x='260' y='%.1f'>"
          "update on time</text>",
          ly, ly + 4);
        P("<circle cx='370' cy='%.1f' r='6' fill='#d62828'/><text x='380' y='%.1f'>"
          "late update (▽ = time promised)</text>",
          ly, ly + 4);
        P("<line x1='590' y1='%.1f' x2='620' y2='%.1f' class='dueline'/><text x='626' "
          "y='%.1f'>"
          "SLA deadline in force</text>",
          ly, ly, ly + 4);
        P("<path d='M765 %.1f l10 10 m0 -10 l-10 10' stroke='#b00020' "
          "stroke-width='2.5'/>"
          "<text x='781' y='%.1f'>refused command</text>",
          ly - 5, ly + 4);
        for (int sev = 1; sev <= 4; sev++)
                P("<rect x='%d' y='%.1f' width='40' height='14' fill='%s'/><text x='%d' "
                  "y='%.1f' "
                  "fill='#fff' font-weight='bold'>Sev %d</text>",
                  900 + (sev - 1) * 46, ly - 7, sev_colour(sev), 904 + (sev - 1) * 46, ly + 4, sev);
        P("</g>\n</svg>\n");
        return 0;
}
