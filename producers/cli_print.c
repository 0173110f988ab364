/* cli_print.c — text and JSON renderings of events for the CLI.
 *
 * Free text (titles, messages) is quoted in the text form so one event
 * stays one line even when a body holds newlines. */
#include <string.h>

#include "core/fields.h"
#include "producers/cli_print.h"

/* A value as the text line shows it: quoted when it holds a blank, a
 * quote or '=' (or is empty), with newlines, quotes and backslashes
 * escaped, so one event stays one line. */
static void quoted(esc_fields_out_t *o, const char *val)
{
        bool quote = strpbrk(val, " \t\n\"=") != NULL || *val == '\0';

        if (quote)
                esc_fields_out_put(o, "\"", 1);
        for (const char *p = val; *p; p++) {
                if (*p == '\n' || *p == '"' || *p == '\\') {
                        char e[2] = {'\\', *p == '\n' ? 'n' : *p};
                        esc_fields_out_put(o, e, 2);
                } else {
                        esc_fields_out_put(o, p, 1);
                }
        }
        if (quote)
                esc_fields_out_put(o, "\"", 1);
}

/* The fields of each event type that matter to a reader (fields.h has the
 * template language); free text such as messages and bodies is left to
 * --json. */
const char *const esc_cli_event_templates[ESC_EV__COUNT] = {
        [ESC_EV_ESCALATION_OPENED] = "account={account.id} tier={account.tier} impact={impact} "
                                     "product_area={product_area} title={title}",
        [ESC_EV_SEVERITY_ASSIGNED] =
                "sev={sev} matrix_sev={matrix_sev}"
                "{?bumped  bumped={?bump_reasons {bump_reasons}}{!bump_reasons yes}}"
                " response_due_at={response_due_at}"
                "{?next_update_due_at  next_update_due_at={next_update_due_at}}"
                "{?resolution_due_at  resolution_due_at={resolution_due_at}}",
        [ESC_EV_SEVERITY_OVERRIDDEN] =
                "from_sev={from_sev} to_sev={to_sev} by={by} reason={reason}"
                " response_due_at={response_due_at}"
                "{?resolution_due_at  resolution_due_at={resolution_due_at}}",
        [ESC_EV_OWNER_ASSIGNED] = "role={role} person={person} via={via}",
        [ESC_EV_ACKNOWLEDGED] = "by={by} next_update_at={next_update_at}",
        [ESC_EV_CUSTOMER_UPDATE_POSTED] = "by={by} audience={audience}"
                                          "{?next_update_at  next_update_at={next_update_at}}",
        [ESC_EV_MITIGATED] = "by={by}{?summary  summary={summary}}",
        [ESC_EV_RESOLVED] = "by={by}{?summary  summary={summary}}",
        [ESC_EV_CUSTOMER_CONFIRMED] = "by={by}{?note  note={note}}",
        [ESC_EV_CLOSED] = "by={by} confirmed={confirmed}{?reason  reason={reason}}",
        [ESC_EV_REOPENED] = "by={by} reason={reason}",
        [ESC_EV_REVIEW_OPENED] = "due_at={due_at}{?tracker_url  tracker_url={tracker_url}}",
        [ESC_EV_CORRECTIVE_ACTION_ADDED] = "action_id={action_id} title={title} owner={owner}"
                                           "{?due_date  due_date={due_date}}",
        [ESC_EV_REVIEW_COMPLETED] = "root_cause={root_cause} whys={#five_whys}",
        [ESC_EV_CHANNEL_CREATED] = "channel={slack_channel_id} name={name}",
        [ESC_EV_TRACKING_ISSUE_LINKED] = "system={system} issue={issue_id} url={url}",
        [ESC_EV_PAGE_SENT] = "service={service} to={to}",
        [ESC_EV_UPDATE_OVERDUE] = "due_at={due_at} reminder_no={reminder_no}",
        [ESC_EV_SLA_BREACHED] = "clock={clock} due_at={due_at}",
        [ESC_EV_UNOWNED_ESCALATED] = "due_at={due_at} paged={paged}",
        [ESC_EV_COMMAND_REJECTED] = "command={command_type} code={code} message={message}",
        [ESC_EV_OUTBOUND_RECORDED] = "target={target} key={key}{?external_id  "
                                     "external_id={external_id}} status={status}",
};

void esc_cli_event_fields(const esc_event_t *ev, char *buf, size_t size)
{
        static const esc_fields_style_t style = {quoted, ","};
        esc_fields_out_t o = {buf, size, 0};

        if (size)
                buf[0] = '\0';
        if ((int)ev->type >= 0 && ev->type < ESC_EV__COUNT)
                esc_fields_format(&esc_fields_event_payloads[ev->type], &ev->p,
                                  esc_cli_event_templates[ev->type], &style, &o);
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
