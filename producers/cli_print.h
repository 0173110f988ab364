/* cli_print.h — how the CLI shows events: one readable line per event, or
 * a JSON object per event (jansson) for --json. Shared by the recording
 * commands (their verdict) and `esc status`. */
#ifndef ESC_CLI_PRINT_H
#define ESC_CLI_PRINT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "core/model.h"

/* "key=value ..." fields of the payload that matter to a reader: the
 * event type's template (core/fields.h) over its payload record. */
extern const char *const esc_cli_event_templates[ESC_EV__COUNT];
void esc_cli_event_fields(const esc_event_t *ev, char *buf, size_t size);
/* "#<seq> <Type> <fields>" */
void esc_cli_event_line(FILE *out, const esc_event_t *ev);
/* {"seq","type","event_id","occurred_at","recorded_at","actor",
 *  "command_id","payload":{...}}; new reference. */
json_t *esc_cli_event_json(const esc_event_t *ev);
/* ISO-8601 or JSON null. */
json_t *esc_cli_time_json(esc_time_t t);

#endif
