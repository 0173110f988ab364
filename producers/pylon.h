/* pylon.h — Pylon issue webhooks as esc commands (DESIGN §9 "Inbound").
 *
 * Pylon sends what a trigger's "Send webhook" action templates, with the
 * headers configured on the webhook: esc asks for
 * `Authorization: Bearer <webhook.pylon_secret>` and reads the body through
 * a configurable field mapping, `pylon.fields.<name>` = a dotted path. The
 * defaults fit a body templated as
 *
 *   {"event": "issue.created", "id": "<delivery id>",
 *    "issue": {"number": 123, "title": "...", "body": "...", "state": "new",
 *              "priority": "urgent", "tags": ["billing"],
 *              "account": {"id": "...", "name": "..."}},
 *    "message": {"body": "...", "is_private": false}}
 *
 *   field         default            use
 *   event         event              which command (below)
 *   event_id      id                 command id "py-<id>": a redelivery is
 *                                    decided once
 *   number        issue.number       incident "PY-<number>"
 *   title         issue.title        open: title
 *   body          issue.body         open: description
 *   state         issue.state        state changes
 *   priority      issue.priority     open: impact (esc_jm_impact)
 *   tags          issue.tags         open: impact, product area
 *   account       issue.account.id   open: the account
 *   account_name  issue.account.name open: its name
 *   message       message.body       update: the text
 *   private       message.is_private update: internal when true
 *
 * Events (`pylon.events.<event>` = open | update | state | ignore; built
 * in: issue.created open, issue.updated and issue.state_changed state,
 * message.created update): `state` resolves on a state in
 * `pylon.resolved_states` (comma separated, default "closed") and ignores
 * the others. The account is `pylon.account_by_id.<id>`, else the policy's
 * account of that id, else `pylon.default_account`. Impact and product
 * area as Zendesk's, under `pylon.`. The actor is `pylon.actor` ("pylon"). */
#ifndef ESC_PYLON_H
#define ESC_PYLON_H

#include <jansson.h>

#include "core/model.h"
#include "core/policy.h"
#include "producers/json_command.h"
#include "runtime/config.h"

typedef enum {
        ESC_PY_COMMAND = 0, /* cmd holds the command */
        ESC_PY_IGNORED,     /* an event with no escalation meaning (err says which) */
        ESC_PY_MALFORMED,   /* not an object, no event or issue number */
        ESC_PY_INVALID,     /* mapped, but the command is wrong (no account, ...) */
} esc_py_rc_t;

esc_py_rc_t esc_pylon_map(const esc_config_t *conf, const esc_policy_t *pol, const json_t *payload,
                          esc_time_t now, esc_command_t *cmd, esc_jsoncmd_error_t *err);

/* Checks `Authorization: Bearer <secret>` in constant time. 0, or -1 with
 * errbuf (never echoing either value). */
int esc_pylon_verify(const char *secret, const char *authorization, char *errbuf,
                     size_t errbuf_size);

#endif
