/* json_command.h — the JSON shape of a command, shared by `esc ingest
 * --format ndjson` (one object per line) and the webhook's POST
 * /v1/commands (one object or an array). The shape is documented in
 * docs/commands.md:
 *
 *   {"type":"ack","incident_id":"INC-1","by":"dana","message":"On it",
 *    "next_update":"2026-03-06T16:30:00Z","at":"...","command_id":"..."}
 *
 * Keys are the CLI's flag names with underscores; values go through the
 * very same builder as the CLI (esc_record_build_fields), so a JSON
 * command and its CLI twin validate identically. Unknown keys are errors
 * (a typo must not silently drop a field). */
#ifndef ESC_JSON_COMMAND_H
#define ESC_JSON_COMMAND_H

#include <jansson.h>
#include <stddef.h>

#include "core/model.h"

typedef enum {
        ESC_JSONCMD_OK = 0,
        ESC_JSONCMD_MALFORMED, /* not JSON, or not an object (HTTP 400) */
        ESC_JSONCMD_INVALID,   /* well-formed, but a field is wrong (HTTP 422) */
} esc_jsoncmd_rc_t;

typedef struct esc_jsoncmd_error {
        char field[64];    /* the offending key ("impact"), "" if none */
        char message[512]; /* one line naming the field and the fix */
} esc_jsoncmd_error_t;

/* Defaults for what a JSON command may omit. */
typedef struct esc_jsoncmd_defaults {
        const char *actor; /* `by` when absent ("ingest", "webhook") */
        esc_time_t now;    /* 0 = wall clock; `at` defaults to it */
} esc_jsoncmd_defaults_t;

/* Parses text[0..len) (one JSON object) into cmd (initialised here; on
 * failure it is left cleared). A flat object costs no allocation beyond
 * the command's own strings; malformed text is reported in jansson's
 * words ("malformed JSON at column N: ..."). */
esc_jsoncmd_rc_t esc_json_command_parse(const char *text, size_t len,
                                        const esc_jsoncmd_defaults_t *d, esc_command_t *cmd,
                                        esc_jsoncmd_error_t *err);

/* Same from an already-parsed object (borrowed). */
esc_jsoncmd_rc_t esc_json_command_from_json(const json_t *obj, const esc_jsoncmd_defaults_t *d,
                                            esc_command_t *cmd, esc_jsoncmd_error_t *err);

#endif
