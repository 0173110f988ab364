/* json_command.c — JSON command objects -> esc_command_t.
 *
 * The object is turned into the argv the CLI would have received
 * ({"type":"close","incident_id":"INC-1","by":"m","unconfirmed":true}
 * becomes `close INC-1 --by m --unconfirmed`) and handed to the CLI's
 * builder. One builder means one set of rules and one set of messages;
 * messages are then rewritten from flag names (--next-update) to JSON keys
 * (next_update). Cost: a few small allocations per command, negligible
 * beside JSON parsing and Avro encoding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producers/cli_record.h"
#include "producers/json_command.h"

/* Longest accepted JSON document for one command: the largest command
 * (an open with a 64 KiB description, or a 64 KiB update body) escaped. */
#define MAX_ARGS (2 * 40 + 2 * ESC_MAX_LIST + 8)
#define MAX_NUMS 8

/* Keys that name CLI-only behaviour, never accepted in JSON. */
static bool reserved_key(const char *k)
{
        return !strcmp(k, "wait") || !strcmp(k, "no_wait") || !strcmp(k, "help") ||
               !strcmp(k, "incident");
}

/* "--next-update" -> "next_update" throughout msg (except "--help"), and
 * the first flag named becomes the error's field. */
static void to_json_names(const char *msg, esc_jsoncmd_error_t *err)
{
        size_t o = 0;
        bool have_field = err->field[0] != '\0';

        for (const char *p = msg; *p && o + 1 < sizeof(err->message);) {
                if (p[0] == '-' && p[1] == '-' && p[2] >= 'a' && p[2] <= 'z' &&
                    strncmp(p, "--help", 6) != 0) {
                        size_t f = 0;
                        p += 2;
                        while ((*p >= 'a' && *p <= 'z') || *p == '-') {
                                char c = *p == '-' ? '_' : *p;
                                if (!have_field && f + 1 < sizeof(err->field))
                                        err->field[f++] = c;
                                if (o + 1 < sizeof(err->message))
                                        err->message[o++] = c;
                                p++;
                        }
                        if (!have_field) {
                                err->field[f] = '\0';
                                have_field = true;
                        }
                        continue;
                }
                err->message[o++] = *p++;
        }
        err->message[o] = '\0';
}

static esc_jsoncmd_rc_t invalid(esc_jsoncmd_error_t *err, const char *field, const char *fmt,
                                const char *arg)
{
        esc_strlcpy(err->field, field ? field : "", sizeof(err->field));
        snprintf(err->message, sizeof(err->message), fmt, arg);
        return ESC_JSONCMD_INVALID;
}

/* Reads "source": {"system","ticket_id","url"} into cmd->source. */
static esc_jsoncmd_rc_t take_source(const json_t *src, esc_command_t *cmd,
                                    esc_jsoncmd_error_t *err)
{
        const char *k;
        json_t *v;

        if (!json_is_object(src))
                return invalid(err, "source", "%s: must be an object {system, ticket_id, url}",
                               "source");
        json_object_foreach((json_t *)src, k, v)
        {
                char **slot = !strcmp(k, "system")      ? &cmd->source.system
                              : !strcmp(k, "ticket_id") ? &cmd->source.ticket_id
                              : !strcmp(k, "url")       ? &cmd->source.url
                                                        : NULL;
                if (!slot)
                        return invalid(err, "source",
                                       "source.%.64s: unknown key (use system, ticket_id, url)",
                                       k);
                if (json_is_null(v))
                        continue;
                if (!json_is_string(v))
                        return invalid(err, "source", "source.%.64s: must be a string", k);
                free(*slot);
                *slot = esc_strdup(json_string_value(v));
        }
        char e[256];
        if (cmd->source.system && esc_command_validate(cmd, e, sizeof(e)))
                return invalid(err, "source", "%s", e);
        return ESC_JSONCMD_OK;
}

esc_jsoncmd_rc_t esc_json_command_from_json(const json_t *obj, const esc_jsoncmd_defaults_t *d,
                                            esc_command_t *cmd, esc_jsoncmd_error_t *err)
{
        char *argv[MAX_ARGS + 1];
        char nums[MAX_NUMS][24]; /* integer values as text (health, sev) */
        int argc = 0, nnums = 0;
        const char *key;
        json_t *val;
        const json_t *type, *source = NULL;
        const char *incident = NULL;
        char word[40];
        esc_jsoncmd_rc_t rc = ESC_JSONCMD_INVALID;
        bool have_by = false;

        memset(err, 0, sizeof(*err));
        esc_command_init(cmd, ESC_CMD_OPEN);
        if (!json_is_object(obj)) {
                snprintf(err->message, sizeof(err->message),
                         "a command must be a JSON object {\"type\": ..., ...}");
                return ESC_JSONCMD_MALFORMED;
        }
        type = json_object_get(obj, "type");
        if (!json_is_string(type))
                return invalid(err, "type", "%s: missing or not a string (e.g. \"open\", \"ack\")",
                               "type");
        int t = esc_command_type_parse(json_string_value(type));
        if (t < 0 || t > ESC_CMD_REVIEW_COMPLETE)
                return invalid(err, "type",
                               "type '%.64s' is not a command (use open, ack, update, assign, "
                               "override, mitigate, resolve, confirm, close, reopen, "
                               "review_open, review_action or review_complete)",
                               json_string_value(type));
        /* review_open -> the builder's "review open" */
        snprintf(word, sizeof(word), "%s", json_string_value(type));
        for (char *p = word; *p; p++)
                if (*p == '_')
                        *p = ' ';

#define ARG(s)                                                                             \
        do {                                                                               \
                if (argc >= MAX_ARGS - 1) {                                                \
                        rc = invalid(err, NULL, "%s: too many fields", "command");         \
                        goto out;                                                          \
                }                                                                          \
                argv[argc++] = (char *)(s);                                                \
        } while (0)

        ARG(word);
        json_object_foreach((json_t *)obj, key, val)
        {
                if (!strcmp(key, "type"))
                        continue;
                if (!strcmp(key, "source")) {
                        source = val;
                        continue;
                }
                if (!strcmp(key, "incident_id")) {
                        if (!json_is_string(val)) {
                                rc = invalid(err, "incident_id", "%s: must be a string",
                                             "incident_id");
                                goto out;
                        }
                        incident = json_string_value(val);
                        continue;
                }
                const char *flag = reserved_key(key) ? NULL : esc_record_flag_of_key(key);
                if (!flag) {
                        rc = invalid(err, key, "unknown field '%.64s' (see docs/commands.md)",
                                     key);
                        goto out;
                }
                bool is_switch = !strcmp(key, "unconfirmed");
                bool may_bool = is_switch || !strcmp(key, "paying");
                if (json_is_null(val))
                        continue; /* null = absent */
                if (!strcmp(key, "by"))
                        have_by = true;

                if (is_switch && !json_is_boolean(val)) {
                        rc = invalid(err, key, "%s: must be true or false", key);
                        goto out;
                }
                if (json_is_boolean(val) && !may_bool) {
                        rc = invalid(err, key, "%s: must be a string, not true/false", key);
                        goto out;
                }
                if (json_is_array(val) && strcmp(key, "why") != 0) {
                        rc = invalid(err, key, "%s: must be a string, not an array", key);
                        goto out;
                }
                if (json_is_true(val) || json_is_false(val)) {
                        if (!strcmp(key, "paying")) {
                                ARG(flag);
                                ARG(json_is_true(val) ? "yes" : "no");
                        } else if (json_is_true(val)) {
                                ARG(flag);
                        }
                        /* false of a switch (unconfirmed) = absent */
                        continue;
                }
                if (json_is_array(val)) {
                        size_t i;
                        json_t *e;
                        if (json_array_size(val) > ESC_MAX_LIST) {
                                rc = invalid(err, key, "%s: more than 64 entries", key);
                                goto out;
                        }
                        json_array_foreach(val, i, e)
                        {
                                if (!json_is_string(e)) {
                                        rc = invalid(err, key, "%s: entries must be strings",
                                                     key);
                                        goto out;
                                }
                                ARG(flag);
                                ARG(json_string_value(e));
                        }
                        continue;
                }
                if (json_is_integer(val)) {
                        if (nnums >= MAX_NUMS) {
                                rc = invalid(err, key, "%s: too many numeric fields", key);
                                goto out;
                        }
                        snprintf(nums[nnums], sizeof(nums[0]), "%lld",
                                 (long long)json_integer_value(val));
                        ARG(flag);
                        ARG(nums[nnums++]);
                        continue;
                }
                if (!json_is_string(val)) {
                        rc = invalid(err, key, "%s: must be a string (or a number/boolean "
                                               "where documented)",
                                     key);
                        goto out;
                }
                ARG(flag);
                ARG(json_string_value(val));
        }
        /* Where the CLI defaults --by to $USER, JSON defaults it to the
         * intake's name; where the CLI insists on a person, so does JSON. */
        if (!have_by && (t == ESC_CMD_OPEN || t == ESC_CMD_ASSIGN || t >= ESC_CMD_REVIEW_OPEN) &&
            d && d->actor) {
                ARG("--by");
                ARG(d->actor);
        }
        if (incident) {
                if (t == ESC_CMD_OPEN) {
                        ARG("--incident");
                        ARG(incident);
                } else {
                        ARG("--");
                        ARG(incident);
                }
        }
        argv[argc] = NULL;

        esc_record_opts_t opts = {.now = d ? d->now : 0};
        char e[512];
        if (esc_record_build(word, argc, argv, &opts, cmd, e, sizeof(e))) {
                to_json_names(e, err);
                if (!incident && t != ESC_CMD_OPEN && strstr(e, "incident id")) {
                        esc_strlcpy(err->field, "incident_id", sizeof(err->field));
                        snprintf(err->message, sizeof(err->message),
                                 "incident_id: missing (required for '%s')",
                                 json_string_value(type));
                }
                rc = ESC_JSONCMD_INVALID;
                goto out;
        }
        if (source && !json_is_null(source) && (rc = take_source(source, cmd, err))) {
                esc_command_clear(cmd);
                goto out;
        }
        rc = ESC_JSONCMD_OK;
out:
        return rc;
#undef ARG
}

esc_jsoncmd_rc_t esc_json_command_parse(const char *text, size_t len,
                                        const esc_jsoncmd_defaults_t *d, esc_command_t *cmd,
                                        esc_jsoncmd_error_t *err)
{
        json_error_t jerr;
        json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        esc_jsoncmd_rc_t rc;

        if (!obj) {
                memset(err, 0, sizeof(*err));
                esc_command_init(cmd, ESC_CMD_OPEN);
                snprintf(err->message, sizeof(err->message), "malformed JSON at column %d: %s",
                         jerr.column, jerr.text);
                return ESC_JSONCMD_MALFORMED;
        }
        rc = esc_json_command_from_json(obj, d, cmd, err);
        json_decref(obj);
        return rc;
}
