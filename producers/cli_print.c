/* cli_print.c — text and JSON renderings of events for the CLI.
 *
 * Free text (titles, messages) is quoted in the text form so one event
 * stays one line even when a body holds newlines. */
#include <string.h>

#include "producers/cli_print.h"

/* Appends ` key=value` to buf, keeping it NUL-terminated. */
static void put(char *buf, size_t size, size_t *len, const char *key, const char *val)
{
        if (!val || *len + 1 >= size)
                return;
        int n = snprintf(buf + *len, size - *len, "%s%s=", *len ? " " : "", key);
        if (n < 0 || (size_t)n >= size - *len) {
                *len = size - 1;
                return;
        }
        *len += (size_t)n;
        bool quote = strpbrk(val, " \t\n\"=") != NULL || *val == '\0';
        if (quote && *len + 1 < size)
                buf[(*len)++] = '"';
        for (const char *p = val; *p && *len + 2 < size; p++) {
                if (*p == '\n' || *p == '"' || *p == '\\') {
                        if (*len + 3 >= size)
                                break;
                        buf[(*len)++] = '\\';
                        buf[(*len)++] = *p == '\n' ? 'n' : *p;
                } else {
                        buf[(*len)++] = *p;
                }
        }
        if (quote && *len + 1 < size)
                buf[(*len)++] = '"';
        buf[*len] = '\0';
}

static void put_time(char *buf, size_t size, size_t *len, const char *key, esc_time_t t)
{
        char tb[40];
        if (t != ESC_TIME_NONE)
                put(buf, size, len, key, esc_time_format(t, tb, sizeof(tb)));
}

static void put_int(char *buf, size_t size, size_t *len, const char *key, long long v)
{
        char nb[24];
        snprintf(nb, sizeof(nb), "%lld", v);
        put(buf, size, len, key, nb);
}

void esc_cli_event_fields(const esc_event_t *ev, char *buf, size_t size)
{
        size_t len = 0;
        const esc_event_payload_t *p = &ev->p;
        char db[16];

        if (size == 0)
                return;
        buf[0] = '\0';
        switch (ev->type) {
        case ESC_EV_ESCALATION_OPENED:
                put(buf, size, &len, "account", p->opened.account.id);
                put(buf, size, &len, "tier", esc_tier_name(p->opened.account.tier));
                put(buf, size, &len, "impact", esc_impact_name(p->opened.impact));
                put(buf, size, &len, "product_area", p->opened.product_area);
                put(buf, size, &len, "title", p->opened.title);
                break;
        case ESC_EV_SEVERITY_ASSIGNED: {
                const esc_sev_assigned_t *a = &p->sev_assigned;
                put_int(buf, size, &len, "sev", a->sev);
                put_int(buf, size, &len, "matrix_sev", a->matrix_sev);
                if (a->bumped) {
                        char reasons[256] = "";
                        size_t rl = 0;
                        for (int i = 0; i < a->bump_reasons.n; i++) {
                                int n = snprintf(reasons + rl, sizeof(reasons) - rl, "%s%s",
                                                 i ? "," : "", a->bump_reasons.v[i]);
                                if (n < 0 || (size_t)n >= sizeof(reasons) - rl)
                                        break;
                                rl += (size_t)n;
                        }
                        put(buf, size, &len, "bumped", rl ? reasons : "yes");
                }
                put_time(buf, size, &len, "response_due_at", a->response_due_at);
                put_time(buf, size, &len, "next_update_due_at", a->next_update_due_at);
                put_time(buf, size, &len, "resolution_due_at", a->resolution_due_at);
                break;
        }
        case ESC_EV_SEVERITY_OVERRIDDEN: {
                const esc_sev_overridden_t *o = &p->sev_overridden;
                put_int(buf, size, &len, "from_sev", o->from_sev);
                put_int(buf, size, &len, "to_sev", o->to_sev);
                put(buf, size, &len, "by", o->by);
                put(buf, size, &len, "reason", o->reason);
                put_time(buf, size, &len, "response_due_at", o->response_due_at);
                put_time(buf, size, &len, "resolution_due_at", o->resolution_due_at);
                break;
        }
        case ESC_EV_OWNER_ASSIGNED:
                put(buf, size, &len, "role", esc_role_name(p->owner_assigned.role));
                put(buf, size, &len, "person", p->owner_assigned.person);
                put(buf, size, &len, "via", esc_via_name(p->owner_assigned.via));
                break;
        case ESC_EV_ACKNOWLEDGED:
                put(buf, size, &len, "by", p->acknowledged.by);
                put_time(buf, size, &len, "next_update_at", p->acknowledged.next_update_at);
                break;
        case ESC_EV_CUSTOMER_UPDATE_POSTED:
                put(buf, size, &len, "by", p->update_posted.by);
                put(buf, size, &len, "audience", esc_audience_name(p->update_posted.audience));
                put_time(buf, size, &len, "next_update_at", p->update_posted.next_update_at);
                break;
        case ESC_EV_MITIGATED:
        case ESC_EV_RESOLVED:
                put(buf, size, &len, "by", p->resolved.by);
                put(buf, size, &len, "summary", p->resolved.summary);
                break;
        case ESC_EV_CUSTOMER_CONFIRMED:
                put(buf, size, &len, "by", p->confirmed.by);
                put(buf, size, &len, "note", p->confirmed.note);
                break;
        case ESC_EV_CLOSED:
                put(buf, size, &len, "by", p->closed.by);
                put(buf, size, &len, "confirmed", p->closed.confirmed ? "yes" : "no");
                put(buf, size, &len, "reason", p->closed.reason);
                break;
        case ESC_EV_REOPENED:
                put(buf, size, &len, "by", p->reopened.by);
                put(buf, size, &len, "reason", p->reopened.reason);
                break;
        case ESC_EV_REVIEW_OPENED:
                put_time(buf, size, &len, "due_at", p->review_opened.due_at);
                put(buf, size, &len, "tracker_url", p->review_opened.tracker_url);
                break;
        case ESC_EV_CORRECTIVE_ACTION_ADDED:
                put(buf, size, &len, "action_id", p->action_added.action_id);
                put(buf, size, &len, "title", p->action_added.title);
                put(buf, size, &len, "owner", p->action_added.owner);
                if (p->action_added.due_date != ESC_DATE_NONE)
                        put(buf, size, &len, "due_date",
                            esc_date_format(p->action_added.due_date, db, sizeof(db)));
                break;
        case ESC_EV_REVIEW_COMPLETED:
                put(buf, size, &len, "root_cause", p->review_completed.root_cause);
                put_int(buf, size, &len, "whys", p->review_completed.five_whys.n);
                break;
        case ESC_EV_CHANNEL_CREATED:
                put(buf, size, &len, "channel", p->channel_created.slack_channel_id);
                put(buf, size, &len, "name", p->channel_created.name);
                break;
        case ESC_EV_TRACKING_ISSUE_LINKED:
                put(buf, size, &len, "system", p->tracking_linked.system);
                put(buf, size, &len, "issue", p->tracking_linked.issue_id);
                put(buf, size, &len, "url", p->tracking_linked.url);
                break;
        case ESC_EV_PAGE_SENT:
                put(buf, size, &len, "service", p->page_sent.service);
                put(buf, size, &len, "to", p->page_sent.to);
                break;
        case ESC_EV_UPDATE_OVERDUE:
                put_time(buf, size, &len, "due_at", p->update_overdue.due_at);
                put_int(buf, size, &len, "reminder_no", p->update_overdue.reminder_no);
                break;
        case ESC_EV_SLA_BREACHED:
                put(buf, size, &len, "clock", esc_clock_name(p->sla_breached.clock));
                put_time(buf, size, &len, "due_at", p->sla_breached.due_at);
                break;
        case ESC_EV_UNOWNED_ESCALATED:
                put_time(buf, size, &len, "due_at", p->unowned_escalated.due_at);
                put(buf, size, &len, "paged", p->unowned_escalated.paged);
                break;
        case ESC_EV_COMMAND_REJECTED:
                put(buf, size, &len, "command", p->rejected.command_type);
                put(buf, size, &len, "code", p->rejected.code);
                put(buf, size, &len, "message", p->rejected.message);
                break;
        default:
                break;
        }
}

void esc_cli_event_line(FILE *out, const esc_event_t *ev)
{
        char fields[2048];

        esc_cli_event_fields(ev, fields, sizeof(fields));
        fprintf(out, "#%lld %s %s\n", (long long)ev->seq, esc_event_type_name(ev->type), fields);
}

json_t *esc_cli_time_json(esc_time_t t)
{
        char tb[40];
        return t == ESC_TIME_NONE ? json_null() : json_string(esc_time_format(t, tb, sizeof(tb)));
}

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *strlist_json(const esc_strlist_t *l)
{
        json_t *a = json_array();
        for (int i = 0; i < l->n; i++)
                json_array_append_new(a, json_string(l->v[i]));
        return a;
}

static json_t *payload_json(const esc_event_t *ev)
{
        const esc_event_payload_t *p = &ev->p;
        char db[16];

        switch (ev->type) {
        case ESC_EV_ESCALATION_OPENED: {
                const esc_opened_t *o = &p->opened;
                json_t *acct = json_pack(
                        "{s:s?, s:o, s:s, s:o, s:b, s:o}", "id", o->account.id, "name",
                        str_or_null(o->account.name), "tier", esc_tier_name(o->account.tier),
                        "health_score",
                        o->account.health_score < 0 ? json_null()
                                                    : json_integer(o->account.health_score),
                        "paying", o->account.paying, "renewal_date",
                        o->account.renewal_date == ESC_DATE_NONE
                                ? json_null()
                                : json_string(esc_date_format(o->account.renewal_date, db,
                                                              sizeof(db))));
                return json_pack("{s:o, s:s?, s:s?, s:o, s:s, s:o}", "account", acct,
                                 "product_area", o->product_area, "title", o->title,
                                 "description", str_or_null(o->description), "impact",
                                 esc_impact_name(o->impact), "detected_at",
                                 esc_cli_time_json(o->detected_at));
        }
        case ESC_EV_SEVERITY_ASSIGNED: {
                const esc_sev_assigned_t *a = &p->sev_assigned;
                return json_pack("{s:i, s:i, s:b, s:o, s:o, s:o, s:o}", "sev", a->sev,
                                 "matrix_sev", a->matrix_sev, "bumped", a->bumped,
                                 "bump_reasons", strlist_json(&a->bump_reasons),
                                 "response_due_at", esc_cli_time_json(a->response_due_at),
                                 "next_update_due_at", esc_cli_time_json(a->next_update_due_at),
                                 "resolution_due_at", esc_cli_time_json(a->resolution_due_at));
        }
        case ESC_EV_SEVERITY_OVERRIDDEN: {
                const esc_sev_overridden_t *o = &p->sev_overridden;
                return json_pack("{s:i, s:i, s:s?, s:s?, s:o, s:o, s:o}", "from_sev",
                                 o->from_sev, "to_sev", o->to_sev, "by", o->by, "reason",
                                 o->reason, "response_due_at",
                                 esc_cli_time_json(o->response_due_at), "next_update_due_at",
                                 esc_cli_time_json(o->next_update_due_at), "resolution_due_at",
                                 esc_cli_time_json(o->resolution_due_at));
        }
        case ESC_EV_OWNER_ASSIGNED:
                return json_pack("{s:s, s:s?, s:s}", "role",
                                 esc_role_name(p->owner_assigned.role), "person",
                                 p->owner_assigned.person, "via",
                                 esc_via_name(p->owner_assigned.via));
        case ESC_EV_ACKNOWLEDGED:
                return json_pack("{s:s?, s:s?, s:o}", "by", p->acknowledged.by, "message",
                                 p->acknowledged.message, "next_update_at",
                                 esc_cli_time_json(p->acknowledged.next_update_at));
        case ESC_EV_CUSTOMER_UPDATE_POSTED:
                return json_pack("{s:s?, s:s, s:s?, s:o}", "by", p->update_posted.by,
                                 "audience", esc_audience_name(p->update_posted.audience),
                                 "body", p->update_posted.body, "next_update_at",
                                 esc_cli_time_json(p->update_posted.next_update_at));
        case ESC_EV_MITIGATED:
        case ESC_EV_RESOLVED:
                return json_pack("{s:s?, s:o}", "by", p->resolved.by, "summary",
                                 str_or_null(p->resolved.summary));
        case ESC_EV_CUSTOMER_CONFIRMED:
                return json_pack("{s:s?, s:o}", "by", p->confirmed.by, "note",
                                 str_or_null(p->confirmed.note));
        case ESC_EV_CLOSED:
                return json_pack("{s:s?, s:b, s:o}", "by", p->closed.by, "confirmed",
                                 p->closed.confirmed, "reason", str_or_null(p->closed.reason));
        case ESC_EV_REOPENED:
                return json_pack("{s:s?, s:s?}", "by", p->reopened.by, "reason",
                                 p->reopened.reason);
        case ESC_EV_REVIEW_OPENED:
                return json_pack("{s:o, s:o}", "tracker_url",
                                 str_or_null(p->review_opened.tracker_url), "due_at",
                                 esc_cli_time_json(p->review_opened.due_at));
        case ESC_EV_CORRECTIVE_ACTION_ADDED: {
                const esc_action_added_t *a = &p->action_added;
                return json_pack("{s:s?, s:s?, s:s?, s:o, s:o}", "action_id", a->action_id,
                                 "title", a->title, "owner", a->owner, "due_date",
                                 a->due_date == ESC_DATE_NONE
                                         ? json_null()
                                         : json_string(esc_date_format(a->due_date, db,
                                                                       sizeof(db))),
                                 "tracker_url", str_or_null(a->tracker_url));
        }
        case ESC_EV_REVIEW_COMPLETED:
                return json_pack("{s:s?, s:o}", "root_cause", p->review_completed.root_cause,
                                 "five_whys", strlist_json(&p->review_completed.five_whys));
        case ESC_EV_CHANNEL_CREATED:
                return json_pack("{s:s?, s:s?}", "slack_channel_id",
                                 p->channel_created.slack_channel_id, "name",
                                 p->channel_created.name);
        case ESC_EV_TRACKING_ISSUE_LINKED:
                return json_pack("{s:s?, s:s?, s:s?}", "system", p->tracking_linked.system,
                                 "issue_id", p->tracking_linked.issue_id, "url",
                                 p->tracking_linked.url);
        case ESC_EV_PAGE_SENT:
                return json_pack("{s:s?, s:s?, s:s?}", "service", p->page_sent.service,
                                 "dedup_key", p->page_sent.dedup_key, "to", p->page_sent.to);
        case ESC_EV_UPDATE_OVERDUE:
                return json_pack("{s:o, s:i}", "due_at",
                                 esc_cli_time_json(p->update_overdue.due_at), "reminder_no",
                                 p->update_overdue.reminder_no);
        case ESC_EV_SLA_BREACHED:
                return json_pack("{s:s, s:o}", "clock", esc_clock_name(p->sla_breached.clock),
                                 "due_at", esc_cli_time_json(p->sla_breached.due_at));
        case ESC_EV_UNOWNED_ESCALATED:
                return json_pack("{s:o, s:s?}", "due_at",
                                 esc_cli_time_json(p->unowned_escalated.due_at), "paged",
                                 p->unowned_escalated.paged);
        case ESC_EV_COMMAND_REJECTED:
                return json_pack("{s:s?, s:s?, s:s?}", "command_type", p->rejected.command_type,
                                 "code", p->rejected.code, "message", p->rejected.message);
        default:
                return json_object();
        }
}

json_t *esc_cli_event_json(const esc_event_t *ev)
{
        json_t *pl = payload_json(ev);

        return json_pack("{s:I, s:s, s:s?, s:o, s:o, s:s?, s:s?, s:o}", "seq",
                         (json_int_t)ev->seq, "type", esc_event_type_name(ev->type), "event_id",
                         ev->event_id, "occurred_at", esc_cli_time_json(ev->occurred_at),
                         "recorded_at", esc_cli_time_json(ev->recorded_at), "actor", ev->actor,
                         "command_id", ev->command_id, "payload",
                         pl ? pl : json_object());
}
