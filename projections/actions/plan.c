/* plan.c — the pure half of the actions projection: fold an incident's
 * events, decide which outside actions an event calls for, and compose the
 * texts those actions send. No I/O, no clock: the rules of seed Step 2
 * ("on Sev assignment a channel, the owners invited, a Linear issue with the
 * SLA clock, a page for Sev 1") are unit-tested here (test_actions_plan.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "projections/actions/actions.h"

void esc_actions_incident_init(esc_actions_incident_t *inc)
{
        memset(inc, 0, sizeof(*inc));
        esc_state_init(&inc->st);
        inc->partition = -1;
}

void esc_actions_incident_clear(esc_actions_incident_t *inc)
{
        free(inc->account);
        free(inc->account_name);
        free(inc->title);
        free(inc->product_area);
        free(inc->channel_id);
        free(inc->channel_name);
        free(inc->issue_id);
        free(inc->issue_url);
        free(inc->page_service);
        free(inc->page_dedup);
        free(inc->ticket_id);
        free(inc->ticket_url);
        free(inc->why);
        esc_actions_incident_init(inc);
}

static void set_str(char **dst, const char *src)
{
        free(*dst);
        *dst = esc_strdup(src);
}

bool esc_actions_is_manager_page(const char *dedup_key)
{
        size_t n = dedup_key ? strlen(dedup_key) : 0;
        return n > 8 && !strcmp(dedup_key + n - 8, ":manager");
}

unsigned esc_actions_refusal(const char *key)
{
        static const struct {
                const char *target;
                esc_action_kind_t kind;
                unsigned bit;
        } refusable[] = {
                {ESC_OUTBOUND_TARGET_SLACK, ESC_ACT_CREATE_CHANNEL, ESC_ACTIONS_REC_CHANNEL},
                {ESC_OUTBOUND_TARGET_LINEAR, ESC_ACT_CREATE_ISSUE, ESC_ACTIONS_REC_ISSUE},
                {ESC_OUTBOUND_TARGET_PAGERDUTY, ESC_ACT_PAGE, ESC_ACTIONS_REC_PAGE},
        };
        char prefix[64];

        for (size_t i = 0; key && i < sizeof(refusable) / sizeof(refusable[0]); i++) {
                int n = snprintf(prefix, sizeof(prefix), "%s:%s:", refusable[i].target,
                                 esc_action_kind_name(refusable[i].kind));
                if (!strncmp(key, prefix, (size_t)n))
                        return refusable[i].bit;
        }
        return 0;
}

bool esc_actions_fold(esc_actions_incident_t *inc, const esc_event_t *ev)
{
        if (ev->seq <= inc->st.seq)
                return false;
        esc_evolve(&inc->st, ev);
        const esc_event_payload_t *p = &ev->p;
        switch (ev->type) {
        case ESC_EV_ESCALATION_OPENED:
                set_str(&inc->account, p->opened.account.id);
                set_str(&inc->account_name, p->opened.account.name);
                set_str(&inc->title, p->opened.title);
                set_str(&inc->product_area, p->opened.product_area);
                inc->impact = p->opened.impact;
                if (ev->source.system && !strcmp(ev->source.system, "zendesk")) {
                        set_str(&inc->ticket_id, ev->source.ticket_id);
                        set_str(&inc->ticket_url, ev->source.url);
                }
                break;
        case ESC_EV_REOPENED:
                /* The page was resolved with the incident; a reopened
                 * incident is paged anew (under a key of its own). */
                inc->paged = false;
                inc->refused = 0;
                break;
        case ESC_EV_SEVERITY_OVERRIDDEN:
                inc->refused = 0; /* another severity: another request */
                break;
        case ESC_EV_OUTBOUND_RECORDED:
                if (p->outbound_recorded.status &&
                    !strcmp(p->outbound_recorded.status, ESC_OUTBOUND_FAILED))
                        inc->refused |= esc_actions_refusal(p->outbound_recorded.key);
                break;
        case ESC_EV_SEVERITY_ASSIGNED: {
                esc_buf_t why;
                esc_buf_init(&why, 0);
                for (int i = 0; i < p->sev_assigned.bump_reasons.n; i++)
                        esc_buf_printf(&why, "%s%s", i ? ", " : "",
                                       p->sev_assigned.bump_reasons.v[i]);
                set_str(&inc->why, why.data);
                esc_buf_free(&why);
                break;
        }
        case ESC_EV_CHANNEL_CREATED:
                /* The log is the authority: a recorded channel replaces one
                 * we think we made. */
                set_str(&inc->channel_id, p->channel_created.slack_channel_id);
                set_str(&inc->channel_name, p->channel_created.name);
                inc->pending_records &= ~(unsigned)ESC_ACTIONS_REC_CHANNEL;
                break;
        case ESC_EV_TRACKING_ISSUE_LINKED:
                set_str(&inc->issue_id, p->tracking_linked.issue_id);
                set_str(&inc->issue_url, p->tracking_linked.url);
                inc->pending_records &= ~(unsigned)ESC_ACTIONS_REC_ISSUE;
                break;
        case ESC_EV_PAGE_SENT:
                if (esc_actions_is_manager_page(p->page_sent.dedup_key)) {
                        inc->manager_paged = true;
                        inc->pending_records &= ~(unsigned)ESC_ACTIONS_REC_MANAGER_PAGE;
                        break;
                }
                inc->paged = true;
                set_str(&inc->page_service, p->page_sent.service);
                set_str(&inc->page_dedup, p->page_sent.dedup_key);
                inc->pending_records &= ~(unsigned)ESC_ACTIONS_REC_PAGE;
                break;
        default:
                break;
        }
        return true;
}

bool esc_actions_active(const esc_actions_incident_t *inc)
{
        switch ((esc_status_t)inc->st.status) {
        case ESC_STATUS_OPEN:
        case ESC_STATUS_ACKNOWLEDGED:
        case ESC_STATUS_MITIGATED:
                return inc->st.sev >= 1 && inc->st.sev <= 4;
        default:
                return false;
        }
}

static bool sev_pages(const esc_actions_incident_t *inc, const esc_policy_t *pol)
{
        return inc->st.sev >= 1 && inc->st.sev <= 4 && pol->sev[inc->st.sev].page;
}

const char *esc_actions_owner(const esc_actions_incident_t *inc, esc_role_t role)
{
        switch (role) {
        case ESC_ROLE_ENGINEERING_OWNER:
                return inc->st.owner;
        case ESC_ROLE_CSM:
                return inc->st.csm;
        case ESC_ROLE_CS_MANAGER:
                return inc->st.cs_manager;
        default:
                return "";
        }
}

bool esc_actions_needed(const esc_actions_incident_t *inc, const esc_action_t *a,
                        const esc_policy_t *pol)
{
        switch (a->kind) {
        case ESC_ACT_CREATE_CHANNEL:
                return esc_actions_active(inc) && !inc->channel_id &&
                       !(inc->refused & ESC_ACTIONS_REC_CHANNEL);
        case ESC_ACT_CREATE_ISSUE:
                return esc_actions_active(inc) && !inc->issue_id &&
                       !(inc->refused & ESC_ACTIONS_REC_ISSUE);
        case ESC_ACT_PAGE:
                return esc_actions_active(inc) && !inc->paged && sev_pages(inc, pol) &&
                       !(inc->refused & ESC_ACTIONS_REC_PAGE);
        case ESC_ACT_INVITE: {
                const char *who = esc_actions_owner(inc, a->role);
                return inc->channel_id && *who && strcmp(inc->invited[a->role], who) != 0;
        }
        case ESC_ACT_RESOLVE_PAGE:
                return inc->paged;
        case ESC_ACT_PAGE_MANAGER:
                return !inc->manager_paged && esc_actions_active(inc);
        case ESC_ACT_TICKET:
                return inc->ticket_id != NULL;
        case ESC_ACT_LINEAR:
                return inc->issue_id != NULL;
        case ESC_ACT_REMIND:
        case ESC_ACT_POST:
        case ESC_ACT_ARCHIVE:
        case ESC_ACT_UNARCHIVE:
                return inc->channel_id != NULL;
        default:
                return false;
        }
}

static void add(esc_actions_plan_t *out, const esc_actions_incident_t *inc, const esc_policy_t *pol,
                esc_action_t a)
{
        if (out->n < ESC_ACTIONS_PLAN_MAX && esc_actions_needed(inc, &a, pol))
                out->v[out->n++] = a;
}

void esc_actions_plan(const esc_actions_incident_t *inc, const esc_event_t *ev,
                      const esc_policy_t *pol, esc_actions_plan_t *out)
{
        memset(out, 0, sizeof(*out));
        if (!ev || ev->type == ESC_EV_SEVERITY_ASSIGNED || ev->type == ESC_EV_SEVERITY_OVERRIDDEN ||
            ev->type == ESC_EV_REOPENED) {
                add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_CREATE_CHANNEL});
                add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_CREATE_ISSUE});
                add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_PAGE});
        }
        if (!ev) {
                /* Invites that failed transiently are tried again. */
                for (int r = 0; r < ESC_ROLE__COUNT; r++)
                        if (inc->invite_retry & (1u << r))
                                add(out, inc, pol,
                                    (esc_action_t){.kind = ESC_ACT_INVITE, .role = (esc_role_t)r});
                /* A channel made by reconciliation gets its kickoff too. */
                if (out->n && out->v[0].kind == ESC_ACT_CREATE_CHANNEL &&
                    out->n < ESC_ACTIONS_PLAN_MAX)
                        out->v[out->n++] = (esc_action_t){.kind = ESC_ACT_POST};
                if (inc->st.status == ESC_STATUS_RESOLVED || inc->st.status == ESC_STATUS_CONFIRMED)
                        add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_RESOLVE_PAGE});
                return;
        }
        if (ev->type == ESC_EV_REOPENED)
                add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_UNARCHIVE});
        /* The post follows a channel this plan creates (execution checks
         * again that there is one). */
        if (esc_actions_posts(ev) && out->n < ESC_ACTIONS_PLAN_MAX &&
            (inc->channel_id || (out->n && out->v[0].kind == ESC_ACT_CREATE_CHANNEL)))
                out->v[out->n++] = (esc_action_t){.kind = ESC_ACT_POST};
        esc_actions_ticket_t t;
        if (esc_actions_ticket_update(inc, "", ev, &t))
                add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_TICKET});
        esc_buf_free(&t.body);
        esc_actions_linear_t l;
        if (esc_actions_linear_update(inc, ev, pol, &l))
                add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_LINEAR});
        esc_buf_free(&l.comment);
        switch (ev->type) {
        case ESC_EV_CLOSED:
                add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_ARCHIVE});
                break;
        case ESC_EV_UNOWNED_ESCALATED:
                add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_PAGE_MANAGER});
                break;
        case ESC_EV_SLA_BREACHED:
                if (ev->p.sla_breached.clock == ESC_CLOCK_RESPONSE)
                        add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_PAGE_MANAGER});
                break;
        case ESC_EV_OWNER_ASSIGNED:
                add(out, inc, pol,
                    (esc_action_t){.kind = ESC_ACT_INVITE, .role = ev->p.owner_assigned.role});
                break;
        case ESC_EV_RESOLVED:
                add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_RESOLVE_PAGE});
                break;
        case ESC_EV_SEVERITY_OVERRIDDEN:
                /* Left a paging severity: the page is resolved (DESIGN §9). */
                if (!sev_pages(inc, pol))
                        add(out, inc, pol, (esc_action_t){.kind = ESC_ACT_RESOLVE_PAGE});
                break;
        case ESC_EV_UPDATE_OVERDUE:
                add(out, inc, pol,
                    (esc_action_t){.kind = ESC_ACT_REMIND,
                                   .reminder_no = ev->p.update_overdue.reminder_no,
                                   .due_at = ev->p.update_overdue.due_at});
                break;
        default:
                break;
        }
}

const char *esc_action_kind_name(esc_action_kind_t k)
{
        static const char *const names[ESC_ACT__COUNT] = {
                "create_channel", "invite",       "create_issue", "page",
                "resolve_page",   "remind",       "post",         "archive",
                "unarchive",      "page_manager", "ticket",       "linear",
        };
        return (int)k >= 0 && k < ESC_ACT__COUNT ? names[k] : "unknown";
}

/* ---- texts ------------------------------------------------------------------ */

void esc_actions_channel_name(const esc_actions_incident_t *inc, int attempt, char *buf,
                              size_t size)
{
        char date[16] = "00000000", suffix[16] = "";
        char acct[ESC_ACTIONS_CHANNEL_MAX + 1];
        size_t n = 0;
        const char *a = inc->account ? inc->account : "";

        if (inc->st.opened_at != ESC_TIME_NONE) {
                int64_t y;
                int m, d;
                const int64_t day_us = 86400 * ESC_USEC_PER_SEC;
                int64_t days = inc->st.opened_at / day_us;
                if (inc->st.opened_at % day_us < 0)
                        days--;
                esc_civil_from_days(days, &y, &m, &d);
                snprintf(date, sizeof(date), "%04" PRId64 "%02d%02d", y, m, d);
        }
        if (attempt >= 2)
                snprintf(suffix, sizeof(suffix), "-%d", attempt);
        /* Room for "esc-" + account + "-" + date + suffix within 80. */
        size_t room = ESC_ACTIONS_CHANNEL_MAX - 4 - 1 - strlen(date) - strlen(suffix);
        for (const char *s = a; *s && n < room; s++) {
                char c = *s;
                if (c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a');
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
                        c = '-';
                if (c == '-' && (n == 0 || acct[n - 1] == '-'))
                        continue;
                acct[n++] = c;
        }
        while (n > 0 && acct[n - 1] == '-')
                n--;
        acct[n] = '\0';
        if (n == 0) /* nothing Slack accepts survived: name it by a hash */
                snprintf(acct, sizeof(acct), "%08" PRIx64,
                         esc_state_id_hash(a) & UINT64_C(0xffffffff));
        snprintf(buf, size, "esc-%s-%s%s", acct, date, suffix);
}

/* Appends at most cap bytes of s, cut on a UTF-8 boundary. */
static void put_capped(esc_buf_t *out, const char *s, size_t cap)
{
        size_t n = strlen(s);
        if (n > cap) {
                n = cap;
                while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
                        n--;
        }
        esc_buf_append(out, s, n);
}

static const char *account_label(const esc_actions_incident_t *inc)
{
        return inc->account ? inc->account : "unknown account";
}

void esc_actions_issue_title(const esc_actions_incident_t *inc, esc_buf_t *out)
{
        esc_buf_t t;
        esc_buf_init(&t, 0);
        esc_buf_printf(&t, "[Sev %d] %s: %s", inc->st.sev, account_label(inc),
                       inc->title ? inc->title : "");
        put_capped(out, t.data ? t.data : "", ESC_MAX_STR);
        esc_buf_free(&t);
}

void esc_actions_channel_topic(const esc_actions_incident_t *inc, const char *incident_id,
                               esc_buf_t *out)
{
        char ts[40];
        esc_buf_t t;
        esc_buf_init(&t, 0);
        esc_buf_printf(&t, "Sev %d %s", inc->st.sev, incident_id);
        static const struct {
                esc_role_t role;
                const char *label;
        } who[] = {{ESC_ROLE_ENGINEERING_OWNER, "owner"}, {ESC_ROLE_CSM, "CSM"}};
        for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++)
                if (*esc_actions_owner(inc, who[i].role))
                        esc_buf_printf(&t, " | %s %s", who[i].label,
                                       esc_actions_owner(inc, who[i].role));
        if (inc->st.response_due_at != ESC_TIME_NONE)
                esc_buf_printf(&t, " | response by %s",
                               esc_time_format(inc->st.response_due_at, ts, sizeof(ts)));
        if (inc->st.resolution_due_at != ESC_TIME_NONE)
                esc_buf_printf(&t, " | resolve by %s",
                               esc_time_format(inc->st.resolution_due_at, ts, sizeof(ts)));
        put_capped(out, t.data ? t.data : "", ESC_ACTIONS_TOPIC_MAX);
        esc_buf_free(&t);
}

static void put_due(esc_buf_t *out, const char *what, esc_time_t t, const char *none)
{
        char ts[40];
        if (t == ESC_TIME_NONE)
                esc_buf_printf(out, "- %s: %s\n", what, none);
        else
                esc_buf_printf(out, "- %s: %s\n", what, esc_time_format(t, ts, sizeof(ts)));
}

void esc_actions_issue_description(const esc_actions_incident_t *inc, const char *incident_id,
                                   const esc_policy_t *pol, esc_buf_t *out)
{
        const esc_state_t *st = &inc->st;
        char ts[40], dur[3][32];
        int sev = st->sev >= 1 && st->sev <= 4 ? st->sev : 4;
        const esc_sev_rule_t *r = &pol->sev[sev];

        esc_buf_printf(out, "Escalation **%s** — **Sev %d**", incident_id, st->sev);
        if (st->matrix_sev && st->matrix_sev != st->sev)
                esc_buf_printf(out, " (matrix Sev %d)", st->matrix_sev);
        esc_buf_puts(out, "\n\n");
        esc_buf_printf(out, "- Account: %s", account_label(inc));
        if (inc->account_name)
                esc_buf_printf(out, " (%s)", inc->account_name);
        esc_buf_printf(out, "\n- Product area: %s\n- Impact: %s\n",
                       inc->product_area ? inc->product_area : "-", esc_impact_name(inc->impact));
        if (inc->channel_name)
                esc_buf_printf(out, "- Slack: #%s\n", inc->channel_name);
        if (inc->ticket_url)
                esc_buf_printf(out, "- Zendesk: %s\n", inc->ticket_url);
        esc_buf_printf(out, "- Engineering owner: %s\n- CSM: %s\n", *st->owner ? st->owner : "-",
                       *st->csm ? st->csm : "-");
        if (*st->cs_manager)
                esc_buf_printf(out, "- CS manager: %s\n", st->cs_manager);
        esc_buf_printf(out,
                       "\n**SLA clock** (policy %s: response %s, update every %s, "
                       "resolution %s)\n\n",
                       pol->version ? pol->version : "-",
                       esc_dur_format(r->response, dur[0], sizeof(dur[0])),
                       esc_dur_format(r->update_every, dur[1], sizeof(dur[1])),
                       esc_dur_format(r->resolution, dur[2], sizeof(dur[2])));
        if (st->opened_at != ESC_TIME_NONE)
                esc_buf_printf(out, "- Opened: %s\n",
                               esc_time_format(st->opened_at, ts, sizeof(ts)));
        put_due(out, "Response due", st->response_due_at, "none");
        put_due(out, "Next customer update due", st->next_update_due_at, "on change");
        put_due(out, "Resolution due", st->resolution_due_at, "none (backlog)");
        if (inc->title)
                esc_buf_printf(out, "\n%s\n", inc->title);
}

static void mention(esc_buf_t *out, const esc_policy_t *pol, const char *who)
{
        if (!*who)
                return;
        const esc_person_t *p = esc_policy_person(pol, who);
        if (p && p->slack_user_id)
                esc_buf_printf(out, " <@%s>", p->slack_user_id);
        else
                esc_buf_printf(out, " %s", who);
}

void esc_actions_reminder_text(const esc_actions_incident_t *inc, const char *incident_id,
                               const esc_action_t *a, const esc_policy_t *pol, esc_buf_t *out)
{
        char ts[40];
        esc_buf_printf(
                out,
                ":alarm_clock: Reminder %d: the customer update for %s (Sev %d) was due at %s.",
                a->reminder_no, incident_id, inc->st.sev,
                a->due_at != ESC_TIME_NONE ? esc_time_format(a->due_at, ts, sizeof(ts))
                                           : "an earlier time");
        mention(out, pol, inc->st.csm);
        mention(out, pol, inc->st.owner);
        esc_buf_printf(out,
                       " please post an update now (esc update %s --audience external ...), "
                       "even if there is no news, and name the next update time.",
                       incident_id);
}

void esc_actions_issue_uuid(const char *incident_id, char out[37])
{
        esc_buf_t b;
        esc_buf_init(&b, 0);
        esc_buf_printf(&b, "esc-linear-issue/%s", incident_id);
        uint64_t h1 = esc_state_id_hash(b.data);
        esc_buf_puts(&b, "/2");
        uint64_t h2 = esc_state_id_hash(b.data);
        esc_buf_free(&b);
        /* Version 4 and RFC 4122 variant bits, so validators accept it. */
        h1 = (h1 & ~UINT64_C(0xF000)) | UINT64_C(0x4000);
        h2 = (h2 & ~(UINT64_C(0xC) << 60)) | (UINT64_C(0x8) << 60);
        snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
                 h1 >> 32, (h1 >> 16) & 0xFFFF, h1 & 0xFFFF, h2 >> 48,
                 h2 & UINT64_C(0xFFFFFFFFFFFF));
}

void esc_actions_command_id(const char *kind, const char *incident_id, char *buf, size_t size)
{
        snprintf(buf, size, "actions-%s-%016" PRIx64, kind, esc_state_id_hash(incident_id));
}

/* ---- channel posts (DESIGN §9, the Slack column) ----------------------------- */

/* Slack's three control characters, escaped in every value from the log. */
static void slack_text(esc_fields_out_t *o, const char *s)
{
        for (; *s; s++) {
                const char *rep = *s == '&'   ? "&amp;"
                                  : *s == '<' ? "&lt;"
                                  : *s == '>' ? "&gt;"
                                              : NULL;
                if (rep)
                        esc_fields_out_str(o, rep);
                else
                        esc_fields_out_put(o, s, 1);
        }
}

static void put_slack(esc_buf_t *out, const char *s)
{
        char tmp[4096];
        esc_fields_out_t o = {tmp, sizeof(tmp), 0};
        slack_text(&o, s ? s : "");
        esc_buf_puts(out, tmp);
}

/* The post of each event type the channel hears, a template over its
 * payload (core/fields.h); NULL: no post. SeverityAssigned is the kickoff,
 * written by kickoff() below. */
const char *const esc_actions_post_templates[ESC_EV__COUNT] = {
        [ESC_EV_SEVERITY_OVERRIDDEN] = ":arrows_counterclockwise: Severity overridden: Sev "
                                       "{from_sev} -> *Sev {to_sev}* by {by}: {reason}",
        [ESC_EV_ACKNOWLEDGED] = ":eyes: Acknowledged by {by}: {message} (next update due "
                                "{next_update_at})",
        [ESC_EV_CUSTOMER_UPDATE_POSTED] = "{?next_update_at (next update due {next_update_at})}",
        [ESC_EV_MITIGATED] = ":adhesive_bandage: Mitigated by {by}{?summary : {summary}}",
        [ESC_EV_RESOLVED] = ":white_check_mark: Resolved by {by}{?summary : {summary}}. The "
                            "customer is asked to confirm the fix.",
        [ESC_EV_CUSTOMER_CONFIRMED] = ":tada: The customer confirmed the fix (recorded by "
                                      "{by}){?note : {note}}",
        [ESC_EV_CLOSED] = ":lock: Closed by {by}{?confirmed  (customer confirmed)}"
                          "{!confirmed  WITHOUT the customer's confirmation: {reason}}. This "
                          "channel is archived.",
        [ESC_EV_REOPENED] = ":rotating_light: Reopened by {by}: {reason}",
        [ESC_EV_CORRECTIVE_ACTION_ADDED] = ":hammer_and_wrench: Corrective action {action_id}: "
                                           "{title} (owner {owner}, due {due_date})",
        [ESC_EV_REVIEW_OPENED] = ":memo: Post-incident review opened, due {due_at}"
                                 "{?tracker_url : {tracker_url}}",
        [ESC_EV_SLA_BREACHED] = ":red_circle: The {clock} SLA is breached (was due {due_at}).",
        [ESC_EV_UNOWNED_ESCALATED] = ":sos: Still unowned past its response SLA (due {due_at}); "
                                     "paging {paged}.",
        [ESC_EV_COMMAND_REJECTED] = ":no_entry: Refused {command_type} ({code}): {message}",
};

static void who(esc_buf_t *out, const esc_policy_t *pol, const char *role, const char *id)
{
        esc_buf_puts(out, role);
        if (*id)
                mention(out, pol, id);
        else
                esc_buf_puts(out, " nobody yet");
}

static void kickoff(const esc_actions_incident_t *inc, const char *incident_id,
                    const esc_policy_t *pol, esc_buf_t *out)
{
        const esc_state_t *st = &inc->st;
        char ts[40];

        esc_buf_printf(out, ":rotating_light: *Sev %d* escalation %s: ", st->sev, incident_id);
        put_slack(out, inc->title);
        esc_buf_puts(out, "\n*Account* ");
        put_slack(out, account_label(inc));
        if (inc->account_name) {
                esc_buf_puts(out, " (");
                put_slack(out, inc->account_name);
                esc_buf_puts(out, ")");
        }
        esc_buf_printf(out, ", impact %s, area ", esc_impact_name(inc->impact));
        put_slack(out, inc->product_area ? inc->product_area : "-");
        esc_buf_printf(out, "\n*Why Sev %d* matrix Sev %d", st->sev, st->matrix_sev);
        if (inc->why && *inc->why) {
                esc_buf_puts(out, ", bumped one level: ");
                put_slack(out, inc->why);
        }
        esc_buf_puts(out, "\n*Owners* ");
        who(out, pol, "engineering owner", st->owner);
        who(out, pol, ", CSM", st->csm);
        if (*st->cs_manager)
                who(out, pol, ", CS manager", st->cs_manager);
        esc_buf_printf(out, "\n*Deadlines* response by %s",
                       esc_time_format(st->response_due_at, ts, sizeof(ts)));
        if (st->next_update_due_at != ESC_TIME_NONE)
                esc_buf_printf(out, ", next customer update by %s",
                               esc_time_format(st->next_update_due_at, ts, sizeof(ts)));
        if (st->resolution_due_at != ESC_TIME_NONE)
                esc_buf_printf(out, ", resolution by %s",
                               esc_time_format(st->resolution_due_at, ts, sizeof(ts)));
        if (inc->issue_url || inc->ticket_url || inc->ticket_id) {
                esc_buf_puts(out, "\n*Links*");
                if (inc->issue_url)
                        esc_buf_printf(out, " <%s|Linear %s>", inc->issue_url,
                                       inc->issue_id ? inc->issue_id : "issue");
                if (inc->ticket_url)
                        esc_buf_printf(out, " <%s|ticket %s>", inc->ticket_url,
                                       inc->ticket_id ? inc->ticket_id : "");
                else if (inc->ticket_id)
                        esc_buf_printf(out, " ticket %s", inc->ticket_id);
        }
}

bool esc_actions_posts(const esc_event_t *ev)
{
        if ((int)ev->type < 0 || ev->type >= ESC_EV__COUNT)
                return false;
        if (ev->type == ESC_EV_COMMAND_REJECTED) /* overrides, and what Slack asked for */
                return !strcmp(ev->p.rejected.command_type, "override") ||
                       (ev->source.system && !strcmp(ev->source.system, "slack"));
        return ev->type == ESC_EV_SEVERITY_ASSIGNED || esc_actions_post_templates[ev->type];
}

bool esc_actions_post_text(const esc_actions_incident_t *inc, const char *incident_id,
                           const esc_event_t *ev, const esc_policy_t *pol, esc_buf_t *out)
{
        static const esc_fields_style_t style = {slack_text, ", "};
        char tmp[4096];
        esc_fields_out_t o = {tmp, sizeof(tmp), 0};

        if (!ev || ev->type == ESC_EV_SEVERITY_ASSIGNED) {
                kickoff(inc, incident_id, pol, out);
                return true;
        }
        if (!esc_actions_posts(ev))
                return false; /* of refusals, only overrides and Slack's own */
        if (ev->type == ESC_EV_CUSTOMER_UPDATE_POSTED) {
                bool ext = ev->p.update_posted.audience == ESC_AUDIENCE_EXTERNAL;
                esc_buf_puts(out, ext ? ":speech_balloon: Customer update by "
                                      : ":lock: Internal note by ");
                put_slack(out, ev->p.update_posted.by);
                esc_buf_puts(out, ": ");
                put_slack(out, ev->p.update_posted.body);
                esc_buf_puts(out, " ");
        }
        esc_fields_format(&esc_fields_event_payloads[ev->type], &ev->p,
                          esc_actions_post_templates[ev->type], &style, &o);
        esc_buf_puts(out, tmp);
        return true;
}

/* ---- the customer's ticket (DESIGN §9, the Zendesk column) -------------------- */

bool esc_actions_ticket_update(const esc_actions_incident_t *inc, const char *incident_id,
                               const esc_event_t *ev, esc_actions_ticket_t *out)
{
        const esc_event_payload_t *p = &ev->p;

        memset(out, 0, sizeof(*out));
        esc_buf_init(&out->body, 0);
        switch (ev->type) {
        case ESC_EV_SEVERITY_ASSIGNED:
                esc_buf_printf(&out->body, "Escalated as Sev %d (%s).", p->sev_assigned.sev,
                               incident_id);
                if (inc->channel_name)
                        esc_buf_printf(&out->body, " Slack: #%s.", inc->channel_name);
                if (inc->issue_url)
                        esc_buf_printf(&out->body, " Linear: %s", inc->issue_url);
                out->sev = p->sev_assigned.sev;
                break;
        case ESC_EV_ACKNOWLEDGED:
                /* The customer reads the message, nothing else of ours. */
                esc_buf_puts(&out->body, p->acknowledged.message);
                out->public = true;
                break;
        case ESC_EV_CUSTOMER_UPDATE_POSTED:
                /* Written in this very ticket (a Zendesk comment): it has it. */
                if (ev->source.system && !strcmp(ev->source.system, "zendesk") &&
                    ev->source.ticket_id && inc->ticket_id &&
                    !strcmp(ev->source.ticket_id, inc->ticket_id))
                        return false;
                esc_buf_puts(&out->body, p->update_posted.body);
                out->public = p->update_posted.audience == ESC_AUDIENCE_EXTERNAL;
                break;
        case ESC_EV_SEVERITY_OVERRIDDEN:
                esc_buf_printf(&out->body, "Severity overridden: Sev %d -> Sev %d by %s: %s",
                               p->sev_overridden.from_sev, p->sev_overridden.to_sev,
                               p->sev_overridden.by, p->sev_overridden.reason);
                out->sev = p->sev_overridden.to_sev;
                break;
        case ESC_EV_COMMAND_REJECTED:
                if (strcmp(p->rejected.command_type, "override"))
                        return false;
                esc_buf_printf(&out->body, "Severity override refused (%s): %s", p->rejected.code,
                               p->rejected.message);
                break;
        case ESC_EV_RESOLVED:
                esc_buf_puts(&out->body,
                             "We have resolved the problem you reported. Could you check that "
                             "everything works as expected again and reply to confirm?");
                out->public = true;
                break;
        case ESC_EV_CLOSED:
                out->status = "solved";
                break;
        case ESC_EV_REOPENED:
                out->status = "open";
                break;
        default:
                return false;
        }
        return true;
}

/* ---- the Linear issue (DESIGN §9, the Linear column) --------------------------- */

int esc_actions_linear_priority(int sev)
{
        /* Linear: 1 Urgent, 2 High, 3 Medium, 4 Low (0 = none). */
        return sev >= 1 && sev <= 4 ? sev : 0;
}

bool esc_actions_linear_update(const esc_actions_incident_t *inc, const esc_event_t *ev,
                               const esc_policy_t *pol, esc_actions_linear_t *out)
{
        const esc_event_payload_t *p = &ev->p;

        memset(out, 0, sizeof(*out));
        esc_buf_init(&out->comment, 0);
        switch (ev->type) {
        case ESC_EV_ACKNOWLEDGED:
                esc_buf_printf(&out->comment, "Acknowledged by %s: %s", p->acknowledged.by,
                               p->acknowledged.message);
                break;
        case ESC_EV_CUSTOMER_UPDATE_POSTED:
                esc_buf_printf(&out->comment, "%s by %s: %s",
                               p->update_posted.audience == ESC_AUDIENCE_EXTERNAL
                                       ? "Customer update"
                                       : "Internal note",
                               p->update_posted.by, p->update_posted.body);
                break;
        case ESC_EV_SEVERITY_OVERRIDDEN:
                out->priority = esc_actions_linear_priority(p->sev_overridden.to_sev);
                esc_buf_printf(&out->comment, "Severity overridden: Sev %d -> Sev %d by %s: %s",
                               p->sev_overridden.from_sev, p->sev_overridden.to_sev,
                               p->sev_overridden.by, p->sev_overridden.reason);
                break;
        case ESC_EV_RESOLVED:
                out->state = "completed";
                break;
        case ESC_EV_CLOSED:
                out->state = "completed";
                break;
        case ESC_EV_REOPENED:
                out->state = "started";
                out->priority = esc_actions_linear_priority(inc->st.sev);
                break;
        case ESC_EV_OWNER_ASSIGNED: {
                const esc_person_t *who = esc_policy_person(pol, p->owner_assigned.person);
                if (p->owner_assigned.role != ESC_ROLE_ENGINEERING_OWNER || !who ||
                    !who->linear_user_id)
                        return false;
                out->assignee = who->linear_user_id;
                break;
        }
        case ESC_EV_CORRECTIVE_ACTION_ADDED: {
                const esc_action_added_t *a = &p->action_added;
                const esc_person_t *who = esc_policy_person(pol, a->owner);
                out->child = true;
                out->child_key = a->action_id;
                out->child_due = a->due_date;
                out->assignee = who ? who->linear_user_id : NULL;
                esc_buf_printf(&out->comment, "%s", a->title);
                break;
        }
        default:
                return false;
        }
        return true;
}

void esc_actions_page_key(const esc_actions_incident_t *inc, const char *incident_id, char *buf,
                          size_t size)
{
        if (inc->st.reopened)
                snprintf(buf, size, "%s:reopen-%d", incident_id, (int)inc->st.reopened);
        else
                snprintf(buf, size, "%s", incident_id);
}
