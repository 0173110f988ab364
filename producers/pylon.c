/* pylon.c — Pylon issue webhooks to commands, through the configured field
 * mapping (pylon.h). Like Zendesk's, the mapping builds the generic JSON
 * command and parses that, so a Pylon command passes the CLI's checks. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "producers/json_map.h"
#include "producers/pylon.h"
#include "producers/sign.h"
#include "runtime/sys.h"

static const struct {
        const char *name, *path;
} default_paths[] = {
        {"event", "event"},
        {"event_id", "id"},
        {"number", "issue.number"},
        {"title", "issue.title"},
        {"body", "issue.body"},
        {"state", "issue.state"},
        {"priority", "issue.priority"},
        {"tags", "issue.tags"},
        {"account", "issue.account.id"},
        {"account_name", "issue.account.name"},
        {"message", "message.body"},
        {"private", "message.is_private"},
};

static const struct {
        const char *event, *kind;
} default_events[] = {
        {"issue.created", "open"},
        {"issue.updated", "state"},
        {"issue.state_changed", "state"},
        {"message.created", "update"},
};

/* The payload's value of a mapped field. */
static const json_t *get(const esc_config_t *conf, const json_t *payload, const char *name)
{
        char key[64];
        const char *path = NULL;

        snprintf(key, sizeof(key), "pylon.fields.%s", name);
        path = esc_config_get(conf, key);
        for (size_t i = 0; !path && i < sizeof(default_paths) / sizeof(default_paths[0]); i++)
                if (!strcmp(default_paths[i].name, name))
                        path = default_paths[i].path;
        return esc_jm_path(payload, path);
}

static const char *get_str(const esc_config_t *conf, const json_t *payload, const char *name)
{
        const json_t *v = get(conf, payload, name);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

__attribute__((format(printf, 4, 5))) static esc_py_rc_t
fail(esc_jsoncmd_error_t *err, esc_py_rc_t rc, const char *field, const char *fmt, ...)
{
        va_list ap;
        esc_strlcpy(err->field, field, sizeof(err->field));
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        return rc;
}

static bool resolved_state(const esc_config_t *conf, const char *state)
{
        char list[512];
        esc_strlcpy(list, esc_config_str(conf, "pylon.resolved_states", "closed"), sizeof(list));
        for (char *save = NULL, *t = strtok_r(list, ", ", &save); t;
             t = strtok_r(NULL, ", ", &save))
                if (!strcasecmp(t, state))
                        return true;
        return false;
}

static esc_py_rc_t build_open(const esc_config_t *conf, const esc_policy_t *pol,
                              const json_t *payload, json_t *o, esc_jsoncmd_error_t *err)
{
        char pid[129] = "";
        const char *account = NULL;

        if (!esc_jm_id_text(get(conf, payload, "account"), pid, sizeof(pid))) {
                account = esc_jm_cfg(conf, "pylon.account_by_id.", pid);
                if (!account && pol && esc_policy_account(pol, pid))
                        account = pid;
        }
        if (!account)
                account = esc_config_get(conf, "pylon.default_account");
        if (!account)
                return fail(err, ESC_PY_INVALID, "account",
                            "Pylon account '%s' has no esc account: set pylon.account_by_id.<id>, "
                            "list it in the policy's accounts or set pylon.default_account",
                            pid[0] ? pid : "(none)");
        const json_t *tags = get(conf, payload, "tags");
        const char *prio = get_str(conf, payload, "priority");
        const char *impact = esc_jm_impact(conf, "pylon", tags, prio);
        if (!impact)
                return fail(err, ESC_PY_INVALID, "priority",
                            "no impact for priority '%.32s' or the tags: set "
                            "pylon.impact_by_priority.<p>, pylon.impact_by_tag.<t> or "
                            "pylon.default_impact",
                            prio ? prio : "(none)");
        const char *title = get_str(conf, payload, "title");
        if (!title || !*title)
                return fail(err, ESC_PY_INVALID, "title", "%s",
                            "the issue has no title (pylon.fields.title)");
        json_object_set_new(o, "type", json_string("open"));
        json_object_set_new(o, "account", json_string(account));
        json_object_set_new(o, "impact", json_string(impact));
        json_object_set_new(o, "title", json_string(title));
        json_object_set_new(o, "product_area",
                            json_string(esc_jm_product_area(conf, "pylon", tags)));
        const char *name = get_str(conf, payload, "account_name");
        if (name && *name)
                json_object_set_new(o, "account_name", json_string(name));
        const char *body = get_str(conf, payload, "body");
        if (body && *body)
                json_object_set_new(o, "description", json_string(body));
        return ESC_PY_COMMAND;
}

esc_py_rc_t esc_pylon_map(const esc_config_t *conf, const esc_policy_t *pol, const json_t *payload,
                          esc_time_t now, esc_command_t *cmd, esc_jsoncmd_error_t *err)
{
        char number[64], inc[80], eid[ESC_MAX_ID + 1], cid[ESC_MAX_ID + 1];
        esc_py_rc_t rc = ESC_PY_COMMAND;

        memset(err, 0, sizeof(*err));
        esc_command_init(cmd, ESC_CMD_OPEN);
        if (!json_is_object(payload))
                return fail(err, ESC_PY_MALFORMED, "", "%s",
                            "a Pylon webhook must be a JSON object");
        const char *event = get_str(conf, payload, "event");
        if (!event || !*event)
                return fail(err, ESC_PY_MALFORMED, "event",
                            "no event name at %s (pylon.fields.event)",
                            esc_config_str(conf, "pylon.fields.event", "event"));
        if (esc_jm_id_text(get(conf, payload, "number"), number, sizeof(number)))
                return fail(err, ESC_PY_MALFORMED, "number",
                            "no issue number at %s (pylon.fields.number)",
                            esc_config_str(conf, "pylon.fields.number", "issue.number"));
        const char *kind = esc_jm_cfg(conf, "pylon.events.", event);
        for (size_t i = 0; !kind && i < sizeof(default_events) / sizeof(default_events[0]); i++)
                if (!strcasecmp(default_events[i].event, event))
                        kind = default_events[i].kind;
        if (!kind || !strcmp(kind, "ignore"))
                return fail(err, ESC_PY_IGNORED, "event", "%.64s: no escalation meaning", event);

        json_t *o = json_object();
        snprintf(inc, sizeof(inc), "PY-%s", number);
        json_object_set_new(o, "incident_id", json_string(inc));
        if (!esc_jm_id_text(get(conf, payload, "event_id"), eid, sizeof(eid)) &&
            strlen(eid) + 3 <= ESC_MAX_ID) {
                snprintf(cid, sizeof(cid), "py-%s", eid);
                json_object_set_new(o, "command_id", json_string(cid));
        }
        json_object_set_new(o, "by", json_string(esc_config_str(conf, "pylon.actor", "pylon")));
        json_object_set_new(o, "source",
                            json_pack("{s:s, s:s}", "system", "pylon", "ticket_id", number));
        if (!strcmp(kind, "open")) {
                rc = build_open(conf, pol, payload, o, err);
        } else if (!strcmp(kind, "update")) {
                const char *text = get_str(conf, payload, "message");
                if (!text || !*text) {
                        rc = fail(err, ESC_PY_IGNORED, "message", "%s", "a message without text");
                } else {
                        json_object_set_new(o, "type", json_string("update"));
                        json_object_set_new(o, "audience",
                                            json_string(json_is_true(get(conf, payload, "private"))
                                                                ? "internal"
                                                                : "external"));
                        json_object_set_new(o, "body", json_string(text));
                }
        } else if (!strcmp(kind, "state")) {
                const char *state = get_str(conf, payload, "state");
                if (state && resolved_state(conf, state)) {
                        json_object_set_new(o, "type", json_string("resolve"));
                        json_object_set_new(o, "summary", json_string("Closed in Pylon"));
                } else {
                        rc = fail(err, ESC_PY_IGNORED, "state",
                                  "state '%.32s' has no escalation meaning",
                                  state ? state : "(none)");
                }
        } else {
                rc = fail(err, ESC_PY_INVALID, "event",
                          "pylon.events.%.64s is '%.16s': use open, update, state or ignore", event,
                          kind);
        }
        if (rc == ESC_PY_COMMAND) {
                esc_jsoncmd_defaults_t d = {.actor = "pylon", .now = now};
                rc = esc_json_command_from_json(o, &d, cmd, err) == ESC_JSONCMD_OK ? ESC_PY_COMMAND
                                                                                   : ESC_PY_INVALID;
        }
        json_decref(o);
        return rc;
}

int esc_pylon_verify(const char *secret, const char *authorization, char *errbuf,
                     size_t errbuf_size)
{
        static const char bearer[] = "Bearer ";

        if (!secret || !*secret)
                return esc_err(errbuf, errbuf_size,
                               "webhook.pylon_secret is not configured: Pylon requests cannot be "
                               "checked");
        if (!authorization || strncmp(authorization, bearer, sizeof(bearer) - 1))
                return esc_err(errbuf, errbuf_size,
                               "missing header Authorization: Bearer <webhook.pylon_secret> (set "
                               "it on the Pylon webhook's custom headers)");
        if (!esc_sig_equal(authorization + sizeof(bearer) - 1, secret))
                return esc_err(errbuf, errbuf_size, "the Authorization bearer token is wrong");
        return 0;
}
