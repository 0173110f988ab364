/* slack.c — the `/esc` slash command: signature, form body, text (slack.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "producers/sign.h"
#include "producers/slack.h"
#include "runtime/sys.h"

#define FORM_VALUE_MAX 8192                  /* a slash command's field */
#define FORM_PAYLOAD_MAX ((size_t)256 << 10) /* an interaction's payload (the whole message) */

/* ---- signature ------------------------------------------------------------- */

void esc_slack_sign(const char *secret, const char *timestamp, const void *body, size_t len,
                    char *out, size_t out_size)
{
        unsigned char mac[ESC_HMAC_LEN];
        char prefix[96], hex[2 * ESC_HMAC_LEN + 1];

        snprintf(prefix, sizeof(prefix), "v0:%s:", timestamp);
        if (esc_hmac_sha256(secret, prefix, body, len, mac)) {
                esc_strlcpy(out, "", out_size);
                return;
        }
        esc_hmac_hex(mac, hex);
        snprintf(out, out_size, "v0=%s", hex);
}

int esc_slack_verify(const char *secret, const char *timestamp, const char *signature,
                     const void *body, size_t len, esc_time_t now, char *errbuf, size_t errbuf_size)
{
        char want[96];
        long long ts;

        if (!secret || !*secret)
                return esc_err(errbuf, errbuf_size,
                               "webhook.slack_signing_secret is not configured: Slack requests "
                               "cannot be checked");
        if (!signature || !*signature)
                return esc_err(errbuf, errbuf_size, "missing header %s", ESC_SLACK_SIG_HEADER);
        if (!timestamp || !*timestamp)
                return esc_err(errbuf, errbuf_size, "missing header %s", ESC_SLACK_TS_HEADER);
        if (strlen(timestamp) > 20 ||
            esc_parse_int(timestamp, 0, INT64_MAX / ESC_USEC_PER_SEC, &ts))
                return esc_err(errbuf, errbuf_size, "%s is not a Unix time in seconds",
                               ESC_SLACK_TS_HEADER);
        if (now == 0)
                now = esc_now();
        int64_t skew = now / ESC_USEC_PER_SEC - (int64_t)ts;
        if (skew < 0)
                skew = -skew;
        if (skew > ESC_SLACK_MAX_SKEW_S)
                return esc_err(errbuf, errbuf_size,
                               "%s is more than %d s away from now (stale or replayed request)",
                               ESC_SLACK_TS_HEADER, ESC_SLACK_MAX_SKEW_S);
        esc_slack_sign(secret, timestamp, body, len, want, sizeof(want));
        if (!esc_sig_equal(want, signature))
                return esc_err(errbuf, errbuf_size, "%s does not match the body",
                               ESC_SLACK_SIG_HEADER);
        return 0;
}

/* ---- form body ------------------------------------------------------------- */

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = tolower(c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes s[0..n) ('+' is a space, %XX a byte) into a new string; NULL on
 * a bad escape, a NUL byte or more than cap bytes. */
static char *form_decode(const char *s, size_t n, size_t cap)
{
        if (n > 3 * cap)
                return NULL;
        char *out = esc_xmalloc(n + 1);
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                int c = (unsigned char)s[i];
                if (c == '+') {
                        c = ' ';
                } else if (c == '%') {
                        int h = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
                        int l = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
                        if (h < 0 || l < 0) {
                                free(out);
                                return NULL;
                        }
                        c = h * 16 + l;
                        i += 2;
                }
                if (c == 0 || o >= cap) {
                        free(out);
                        return NULL;
                }
                out[o++] = (char)c;
        }
        out[o] = '\0';
        return out;
}

void esc_slack_slash_clear(esc_slack_slash_t *s)
{
        free(s->command);
        free(s->text);
        free(s->channel_id);
        free(s->user_id);
        free(s->team_id);
        free(s->trigger_id);
        memset(s, 0, sizeof(*s));
}

int esc_slack_slash_parse(const char *body, size_t len, esc_slack_slash_t *out, char *errbuf,
                          size_t errbuf_size)
{
        struct {
                const char *key;
                char **dst;
        } keys[] = {{"command", &out->command},       {"text", &out->text},
                    {"channel_id", &out->channel_id}, {"user_id", &out->user_id},
                    {"team_id", &out->team_id},       {"trigger_id", &out->trigger_id}};
        const char *p = body, *end = body + len;

        memset(out, 0, sizeof(*out));
        while (p < end) {
                const char *amp = memchr(p, '&', (size_t)(end - p));
                const char *stop = amp ? amp : end;
                const char *eq = memchr(p, '=', (size_t)(stop - p));
                const char *vstart = eq ? eq + 1 : stop;
                for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                        size_t kl = strlen(keys[k].key);
                        if ((size_t)((eq ? eq : stop) - p) != kl || memcmp(p, keys[k].key, kl))
                                continue;
                        char *v = form_decode(vstart, (size_t)(stop - vstart), FORM_VALUE_MAX);
                        if (!v) {
                                esc_slack_slash_clear(out);
                                return esc_err(errbuf, errbuf_size,
                                               "form field %s: bad %%-escape, NUL byte or longer "
                                               "than %d bytes",
                                               keys[k].key, FORM_VALUE_MAX);
                        }
                        free(*keys[k].dst);
                        *keys[k].dst = v;
                }
                p = amp ? amp + 1 : end;
        }
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
                if (!*keys[k].dst)
                        *keys[k].dst = esc_strdup("");
        if (!*out->channel_id || !*out->user_id) {
                esc_slack_slash_clear(out);
                return esc_err(errbuf, errbuf_size,
                               "not a Slack slash command: channel_id and user_id are required "
                               "form fields");
        }
        return 0;
}

/* ---- the text -------------------------------------------------------------- */

const char *esc_slack_help(void)
{
        return "*/esc* in an incident channel:\n"
               "`/esc ack [--next 30m] message` acknowledge, promising the next update\n"
               "`/esc update [--internal] [--next 2h] text` update the customer (or the team)\n"
               "`/esc override SEV reason` change the severity (a CS manager's call)\n"
               "`/esc mitigate summary` · `/esc resolve summary` · `/esc confirm note`\n"
               "`/esc close [--unconfirmed reason]` · `/esc status` · `/esc help`\n"
               "--next takes 45m, 2h, 1d or an ISO-8601 time; without it the severity's update "
               "cadence applies.";
}

static void usage(esc_slash_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void usage(esc_slash_t *out, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(out->message, sizeof(out->message), fmt, ap);
        va_end(ap);
        out->kind = ESC_SLASH_USAGE;
        json_decref(out->cmd);
        out->cmd = NULL;
}

/* The next word of *p (advanced past it) into w; false at the end. */
static bool word(const char **p, char *w, size_t size)
{
        const char *s = *p;
        while (*s && isspace((unsigned char)*s))
                s++;
        if (!*s)
                return false;
        size_t n = 0;
        while (s[n] && !isspace((unsigned char)s[n]))
                n++;
        snprintf(w, size, "%.*s", (int)n, s);
        *p = s + n;
        return true;
}

/* "45m", "2h", "1d" after now, or an ISO-8601 time. */
static int parse_when(const char *w, esc_time_t now, esc_time_t *out)
{
        size_t n = strlen(w);
        long long v;
        char num[16];

        if (n >= 2 && n < sizeof(num) && strchr("mhd", w[n - 1])) {
                snprintf(num, sizeof(num), "%.*s", (int)(n - 1), w);
                if (esc_parse_int(num, 1, 10000, &v))
                        return -1;
                int64_t unit = w[n - 1] == 'm' ? 60 : w[n - 1] == 'h' ? 3600 : 86400;
                *out = now + (esc_time_t)v * unit * ESC_USEC_PER_SEC;
                return 0;
        }
        return esc_time_parse(w, out, NULL, 0);
}

static void set_time(json_t *o, const char *key, esc_time_t t)
{
        char buf[40];
        json_object_set_new(o, key, json_string(esc_time_format(t, buf, sizeof(buf))));
}

static const char *trim(const char *s, char *buf, size_t size)
{
        while (*s && isspace((unsigned char)*s))
                s++;
        esc_strlcpy(buf, s, size);
        size_t n = strlen(buf);
        while (n && isspace((unsigned char)buf[n - 1]))
                buf[--n] = '\0';
        return buf;
}

void esc_slack_slash_build(const char *text, const esc_slash_ctx_t *ctx, esc_slash_t *out)
{
        static const struct {
                const char *verb, *type, *key, *usage;
                bool next, internal, unconfirmed, text_required;
        } verbs[] = {
                {"ack", "ack", "message", "/esc ack [--next 30m] message", true, false, false,
                 true},
                {"update", "update", "body", "/esc update [--internal] [--next 2h] text", true,
                 true, false, true},
                {"override", "override", "reason", "/esc override SEV reason", false, false, false,
                 true},
                {"mitigate", "mitigate", "summary", "/esc mitigate summary", false, false, false,
                 true},
                {"resolve", "resolve", "summary", "/esc resolve summary", false, false, false,
                 true},
                {"confirm", "confirm", "note", "/esc confirm note", false, false, false, true},
                {"close", "close", "reason", "/esc close [--unconfirmed reason]", false, false,
                 true, false},
        };
        const char *p = text ? text : "";
        char verb[32], w[128], rest[4096];
        bool internal = false, unconfirmed = false;
        esc_time_t next = ESC_TIME_NONE;
        size_t v;

        memset(out, 0, sizeof(*out));
        if (!word(&p, verb, sizeof(verb)) || !strcmp(verb, "help")) {
                out->kind = ESC_SLASH_HELP;
                return;
        }
        for (char *c = verb; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        if (!strcmp(verb, "status")) {
                out->kind = ESC_SLASH_STATUS;
                return;
        }
        for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++)
                if (!strcmp(verb, verbs[v].verb))
                        break;
        if (v == sizeof(verbs) / sizeof(verbs[0])) {
                usage(out, "`/esc %.32s` is not a command: try `/esc help`", verb);
                return;
        }
        /* Options come first; the rest is the text. */
        for (;;) {
                const char *at = p;
                if (!word(&p, w, sizeof(w)) || strncmp(w, "--", 2)) {
                        p = at;
                        break;
                }
                if (!strcmp(w, "--internal") && verbs[v].internal) {
                        internal = true;
                } else if (!strcmp(w, "--unconfirmed") && verbs[v].unconfirmed) {
                        unconfirmed = true;
                } else if (!strcmp(w, "--next") && verbs[v].next) {
                        if (!word(&p, w, sizeof(w)) || parse_when(w, ctx->now, &next)) {
                                usage(out,
                                      "--next wants 45m, 2h, 1d or an ISO-8601 time; usage: `%s`",
                                      verbs[v].usage);
                                return;
                        }
                } else {
                        usage(out, "`%.64s` is not an option here; usage: `%s`", w, verbs[v].usage);
                        return;
                }
        }
        out->cmd = json_object();
        json_object_set_new(out->cmd, "type", json_string(verbs[v].type));
        json_object_set_new(out->cmd, "incident_id", json_string(ctx->incident_id));
        json_object_set_new(out->cmd, "by", json_string(ctx->by));
        if (ctx->command_id && *ctx->command_id)
                json_object_set_new(out->cmd, "command_id", json_string(ctx->command_id));
        json_object_set_new(out->cmd, "source",
                            json_pack("{s:s, s:s}", "system", "slack", "ticket_id",
                                      ctx->channel_id ? ctx->channel_id : ""));
        if (!strcmp(verb, "override")) {
                long long sev;
                if (!word(&p, w, sizeof(w))) {
                        usage(out, "which severity? usage: `%s`", verbs[v].usage);
                        return;
                }
                const char *s = w;
                if (!strncasecmp(s, "sev", 3))
                        s += 3;
                if (esc_parse_int(s, 1, 4, &sev)) {
                        usage(out, "`%.32s` is not a severity: use 1 to 4; usage: `%s`", w,
                              verbs[v].usage);
                        return;
                }
                json_object_set_new(out->cmd, "sev", json_integer(sev));
        }
        trim(p, rest, sizeof(rest));
        if (!*rest && (verbs[v].text_required || unconfirmed)) {
                usage(out, "say %s too; usage: `%s`", unconfirmed ? "why" : verbs[v].key,
                      verbs[v].usage);
                return;
        }
        if (*rest && verbs[v].unconfirmed && !unconfirmed) {
                usage(out, "a reason goes with --unconfirmed only; usage: `%s`", verbs[v].usage);
                return;
        }
        if (*rest)
                json_object_set_new(out->cmd, verbs[v].key, json_string(rest));
        if (!strcmp(verb, "update"))
                json_object_set_new(out->cmd, "audience",
                                    json_string(internal ? "internal" : "external"));
        if (unconfirmed)
                json_object_set_new(out->cmd, "unconfirmed", json_true());
        /* The customer always hears when the next update comes. */
        if (verbs[v].next && !internal) {
                if (next == ESC_TIME_NONE)
                        next = ctx->next_update;
                if (next != ESC_TIME_NONE)
                        set_time(out->cmd, "next_update", next);
        }
        out->kind = ESC_SLASH_COMMAND;
}

/* ---- the override approval ------------------------------------------------- */

json_t *esc_slack_approval_message(const esc_slack_approval_t *a)
{
        char text[ESC_SLACK_REASON_MAX + 512];
        json_t *value = json_pack("{s:s, s:i, s:s, s:s}", "incident_id", a->incident_id, "sev",
                                  a->sev, "reason", a->reason, "by", a->requester);
        char *v = json_dumps(value, JSON_COMPACT);
        json_decref(value);
        snprintf(text, sizeof(text),
                 ":raised_hand: *%s* asks to override *%s* to *Sev %d*: %s\nOnly a CS manager's "
                 "click approves it.",
                 a->requester, a->incident_id, a->sev, a->reason);
        json_t *msg = json_pack("{s:s, s:s, s:[{s:s, s:{s:s, s:s}}, {s:s, s:[{s:s, s:s, s:{s:s, "
                                "s:s}, s:s, s:s}]}]}",
                                "response_type", "in_channel", "text", text, "blocks", "type",
                                "section", "text", "type", "mrkdwn", "text", text, "type",
                                "actions", "elements", "type", "button", "action_id",
                                ESC_SLACK_APPROVE_ACTION, "text", "type", "plain_text", "text",
                                "Approve", "style", "primary", "value", v ? v : "{}");
        free(v);
        return msg;
}

static void jcopy(const json_t *o, const char *key, char *dst, size_t size)
{
        const char *s = json_string_value(json_object_get(o, key));
        esc_strlcpy(dst, s ? s : "", size);
}

static json_t *plain(const char *text)
{
        return json_pack("{s:s, s:s}", "type", "plain_text", "text", text);
}

static json_t *input(const char *id, const char *label, bool optional, json_t *element)
{
        json_object_set_new(element, "action_id", json_string(id));
        return json_pack("{s:s, s:s, s:o, s:b, s:o}", "type", "input", "block_id", id, "label",
                         plain(label), "optional", optional, "element", element);
}

json_t *esc_slack_modal(const char *action, const char *incident_id, const char *channel_id)
{
        bool update = !strcmp(action, ESC_SLACK_ACTION_UPDATE);
        json_t *blocks;

        if (update) {
                blocks = json_pack(
                        "[o, o]",
                        input("body", "Update", false,
                              json_pack("{s:s, s:b}", "type", "plain_text_input", "multiline", 1)),
                        input("internal", "Audience", true,
                              json_pack("{s:s, s:[{s:o, s:s}]}", "type", "checkboxes", "options",
                                        "text",
                                        plain("Internal note: the customer does not see it"),
                                        "value", "internal")));
        } else if (!strcmp(action, ESC_SLACK_ACTION_REQUEST_OVERRIDE)) {
                json_t *opts = json_array();
                for (int sev = 1; sev <= 4; sev++) {
                        char t[8], v[4];
                        snprintf(t, sizeof(t), "Sev %d", sev);
                        snprintf(v, sizeof(v), "%d", sev);
                        json_array_append_new(
                                opts, json_pack("{s:o, s:s}", "text", plain(t), "value", v));
                }
                blocks = json_pack(
                        "[o, o]",
                        input("sev", "New severity", false,
                              json_pack("{s:s, s:o}", "type", "static_select", "options", opts)),
                        input("reason", "Reason", false,
                              json_pack("{s:s}", "type", "plain_text_input")));
        } else {
                return NULL;
        }
        json_t *meta =
                json_pack("{s:s, s:s}", "incident_id", incident_id, "channel_id", channel_id);
        char *m = json_dumps(meta, JSON_COMPACT);
        json_decref(meta);
        json_t *view = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "type", "modal",
                                 "callback_id", action, "private_metadata", m ? m : "{}", "title",
                                 plain(update ? "Post update" : "Request override"), "submit",
                                 plain(update ? "Post" : "Request"), "close", plain("Cancel"),
                                 "blocks", blocks);
        free(m);
        return view;
}

/* view.state.values.<id>.<id> */
static json_t *field(json_t *view, const char *id)
{
        return json_object_get(
                json_object_get(json_object_get(json_object_get(view, "state"), "values"), id), id);
}

static void submission(json_t *view, esc_slack_click_t *out)
{
        jcopy(view, "callback_id", out->action_id, sizeof(out->action_id));
        json_t *meta = json_loads(
                json_string_value(json_object_get(view, "private_metadata")) ?: "", 0, NULL);
        jcopy(meta, "incident_id", out->incident_id, sizeof(out->incident_id));
        jcopy(meta, "channel_id", out->channel_id, sizeof(out->channel_id));
        json_decref(meta);
        jcopy(field(view, "body"), "value", out->text, sizeof(out->text));
        if (!*out->text)
                jcopy(field(view, "reason"), "value", out->text, sizeof(out->text));
        json_t *sel = json_object_get(field(view, "internal"), "selected_options");
        out->internal = json_array_size(sel) > 0;
        const char *sev = json_string_value(
                json_object_get(json_object_get(field(view, "sev"), "selected_option"), "value"));
        long long v;
        out->sev = sev && !esc_parse_int(sev, 1, 4, &v) ? (int)v : 0;
}

int esc_slack_click_parse(const char *body, size_t len, esc_slack_click_t *out, char *errbuf,
                          size_t errbuf_size)
{
        const char *p = body, *end = body + len;
        char *payload = NULL;
        json_error_t jerr;

        memset(out, 0, sizeof(*out));
        while (p < end && !payload) {
                const char *amp = memchr(p, '&', (size_t)(end - p));
                const char *stop = amp ? amp : end;
                if ((size_t)(stop - p) > 8 && !memcmp(p, "payload=", 8))
                        payload = form_decode(p + 8, (size_t)(stop - p - 8), FORM_PAYLOAD_MAX);
                p = amp ? amp + 1 : end;
        }
        if (!payload)
                return esc_err(errbuf, errbuf_size,
                               "not a Slack interaction: no payload form field (or a bad "
                               "%%-escape in it)");
        json_t *doc = json_loads(payload, JSON_REJECT_DUPLICATES, &jerr);
        free(payload);
        if (!doc)
                return esc_err(errbuf, errbuf_size, "interaction payload: malformed JSON: %s",
                               jerr.text);
        const char *type = json_string_value(json_object_get(doc, "type"));
        json_t *act = json_array_get(json_object_get(doc, "actions"), 0);
        json_t *view = json_object_get(doc, "view");
        int rc = 0;
        jcopy(json_object_get(doc, "user"), "id", out->user_id, sizeof(out->user_id));
        jcopy(doc, "trigger_id", out->trigger_id, sizeof(out->trigger_id));
        if (type && !strcmp(type, "block_actions") && json_is_object(act)) {
                jcopy(json_object_get(doc, "channel"), "id", out->channel_id,
                      sizeof(out->channel_id));
                jcopy(act, "action_id", out->action_id, sizeof(out->action_id));
                jcopy(act, "value", out->value, sizeof(out->value));
                jcopy(doc, "response_url", out->response_url, sizeof(out->response_url));
        } else if (type && !strcmp(type, "view_submission") && json_is_object(view)) {
                out->submitted = true;
                submission(view, out);
        } else {
                rc = esc_err(errbuf, errbuf_size,
                             "interaction payload: only block_actions with an action and "
                             "view_submission are handled (got type %.32s)",
                             type ? type : "none");
        }
        if (!rc && (!*out->user_id || !*out->channel_id || !*out->action_id))
                rc = esc_err(errbuf, errbuf_size,
                             "interaction payload: user.id, the channel and the action (or "
                             "the view's callback_id) are required");
        json_decref(doc);
        return rc;
}

int esc_slack_approval_parse(const char *value, esc_slack_approval_t *out)
{
        json_t *o = json_loads(value ? value : "", JSON_REJECT_DUPLICATES, NULL);
        json_t *sev = json_object_get(o, "sev");
        int rc = -1;

        memset(out, 0, sizeof(*out));
        if (json_is_object(o) && json_is_integer(sev) && json_integer_value(sev) >= 1 &&
            json_integer_value(sev) <= 4) {
                jcopy(o, "incident_id", out->incident_id, sizeof(out->incident_id));
                jcopy(o, "reason", out->reason, sizeof(out->reason));
                jcopy(o, "by", out->requester, sizeof(out->requester));
                out->sev = (int)json_integer_value(sev);
                rc = *out->incident_id && *out->reason && *out->requester ? 0 : -1;
        }
        json_decref(o);
        return rc;
}
