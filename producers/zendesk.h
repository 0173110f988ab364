/* zendesk.h — Zendesk ticket-event webhooks as esc commands.
 *
 * Zendesk sends `zen:event-type:ticket.*` payloads ({"type", "id", "time",
 * "detail": {id, subject, priority, status, organization_id, tags, ...},
 * "event": {...}}). A configurable mapping turns them into commands on the
 * incident `ZD-<ticket id>`:
 *
 *   ticket.created          -> open (impact from tags, then priority;
 *                              account from the organization)
 *   ticket.status_changed   -> resolve (solved), close (closed); other
 *                              statuses carry no escalation meaning
 *   ticket.priority_changed -> update (internal note of the change)
 *   ticket.comment_added    -> update: an agent's comment external if public;
 *                              a customer's (author.is_staff false) an
 *                              internal note "Customer reply (name): ..." (it
 *                              is not our update to them); esc's own
 *                              (author.id == zendesk.agent_user_id) ignored
 *
 * Config keys (all optional, see docs/commands.md):
 *   zendesk.impact_by_tag.<tag>, zendesk.impact_by_priority.<priority>
 *   (built in: urgent production_down, high major_feature_broken, normal
 *   degraded_with_workaround, low question), zendesk.default_impact,
 *   zendesk.account_by_organization.<org id>, zendesk.default_account,
 *   zendesk.tier_by_organization.<org id>, zendesk.default_tier,
 *   zendesk.product_area_by_tag.<tag>, zendesk.default_product_area,
 *   zendesk.actor (default "zendesk"), zendesk.agent_user_id (the Zendesk
 *   user esc's actions worker comments as), zendesk.url (e.g.
 *   https://acme.zendesk.com, for source.url).
 *
 * The command id is "zd-<Zendesk event id>", so a redelivered webhook is
 * the same command and the ledger decides it once. */
#ifndef ESC_ZENDESK_H
#define ESC_ZENDESK_H

#include <jansson.h>
#include <stddef.h>

#include "core/model.h"
#include "producers/json_command.h"
#include "core/policy.h"
#include "runtime/config.h"

typedef enum {
        ESC_ZD_COMMAND = 0, /* cmd holds the command */
        ESC_ZD_IGNORED,     /* a ticket event with no escalation meaning (err says which) */
        ESC_ZD_MALFORMED,   /* not a Zendesk event payload */
        ESC_ZD_INVALID,     /* a Zendesk event we cannot map (no account mapping, ...) */
} esc_zd_rc_t;

/* Maps one payload (borrowed) to a command. now: 0 = wall clock. pol
 * (nullable): its accounts' zendesk_organization_id names the account of
 * an organization the configuration does not map. */
esc_zd_rc_t esc_zendesk_map(const esc_config_t *conf, const esc_policy_t *pol,
                            const json_t *payload, esc_time_t now, esc_command_t *cmd,
                            esc_jsoncmd_error_t *err);

/* Header names and the staleness window of signed webhooks. */
#define ESC_ZD_SIG_HEADER "X-Zendesk-Webhook-Signature"
#define ESC_ZD_TS_HEADER "X-Zendesk-Webhook-Signature-Timestamp"
#define ESC_ZD_MAX_SKEW_S 300

/* Checks signature == base64(HMAC-SHA256(secret, timestamp + body)) and
 * that timestamp (ISO-8601) is within ESC_ZD_MAX_SKEW_S of now. Returns 0,
 * or -1 with errbuf saying what is wrong (never echoing the secret). */
int esc_zendesk_verify(const char *secret, const char *timestamp, const char *signature,
                       const void *body, size_t len, esc_time_t now, char *errbuf,
                       size_t errbuf_size);

/* base64(HMAC-SHA256(secret, timestamp + body)) into out (>= 45 bytes);
 * for tests and for signing sample payloads. */
void esc_zendesk_sign(const char *secret, const char *timestamp, const void *body, size_t len,
                      char *out, size_t out_size);

#endif
