/* cli_print.c — text and JSON renderings of events for the CLI.
 *
 * Free text (titles, messages) is quoted in the text form so one event
 * stays one line even when a body holds newlines. */
#include <string.h>

#include "core/fields.h"
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

/* ---- JSON: the field table's walk into a jansson tree --------------------- */

#define JS_MAX_DEPTH 8 /* payloads nest a record and a list at most */

typedef struct js {
        json_t *stack[JS_MAX_DEPTH];
        int depth;
        const char *key; /* the member the next value is for */
        json_t *root;
} js_t;

/* Takes v into the open container (or as the root). */
static void js_add(js_t *j, json_t *v)
{
        json_t *top = j->depth ? j->stack[j->depth - 1] : NULL;

        if (!top) {
                json_decref(j->root);
                j->root = v;
        } else if (json_is_array(top)) {
                json_array_append_new(top, v);
        } else {
                json_object_set_new(top, j->key, v);
        }
}

static void js_open(void *ctx, bool array)
{
        js_t *j = ctx;
        json_t *c = array ? json_array() : json_object();

        js_add(j, c);
        if (j->depth < JS_MAX_DEPTH)
                j->stack[j->depth++] = c;
}

static void js_close(void *ctx, bool array)
{
        js_t *j = ctx;
        if (j->depth)
                j->depth--;
}

static void js_key(void *ctx, const char *name)
{
        ((js_t *)ctx)->key = name;
}

static void js_null(void *ctx)
{
        js_add(ctx, json_null());
}

static void js_str(void *ctx, const char *s)
{
        js_add(ctx, json_string(s));
}

static void js_num(void *ctx, long long v)
{
        js_add(ctx, json_integer((json_int_t)v));
}

static void js_bool(void *ctx, bool v)
{
        js_add(ctx, json_boolean(v));
}

static void js_time(void *ctx, esc_time_t t)
{
        js_add(ctx, esc_cli_time_json(t));
}

static void js_date(void *ctx, esc_date_t d)
{
        char db[16];
        js_add(ctx, json_string(esc_date_format(d, db, sizeof(db))));
}

static const esc_fields_sink_t js_sink = {
        .open = js_open,
        .close = js_close,
        .key = js_key,
        .null = js_null,
        .str = js_str,
        .num = js_num,
        .boolean = js_bool,
        .time = js_time,
        .date = js_date,
};

static json_t *payload_json(const esc_event_t *ev)
{
        js_t j = {.depth = 0};

        esc_fields_write_event_payload(ev, &js_sink, &j);
        return j.root;
}

json_t *esc_cli_event_json(const esc_event_t *ev)
{
        json_t *pl = payload_json(ev);

        return json_pack("{s:I, s:s, s:s?, s:o, s:o, s:s?, s:s?, s:o}", "seq", (json_int_t)ev->seq,
                         "type", esc_event_type_name(ev->type), "event_id", ev->event_id,
                         "occurred_at", esc_cli_time_json(ev->occurred_at), "recorded_at",
                         esc_cli_time_json(ev->recorded_at), "actor", ev->actor, "command_id",
                         ev->command_id, "payload", pl ? pl : json_object());
}
