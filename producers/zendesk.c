/* zendesk.c — mapping Zendesk ticket events to esc commands, and checking
 * Zendesk's webhook signatures.
 *
 * The mapping builds the generic JSON command object (json_command.h) and
 * parses that, so a Zendesk-born command passes exactly the checks a CLI
 * or NDJSON command does. */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producers/json_map.h"
#include "producers/sign.h"
#include "producers/zendesk.h"
#include "runtime/sys.h"

#define EVENT_PREFIX "zen:event-type:"

static esc_zd_rc_t fail(esc_jsoncmd_error_t *err, esc_zd_rc_t rc, const char *field,
                        const char *fmt, const char *a)
{
        esc_strlcpy(err->field, field, sizeof(err->field));
        snprintf(err->message, sizeof(err->message), fmt, a);
        return rc;
}

static esc_zd_rc_t build_open(const esc_config_t *conf, const esc_policy_t *pol,
                              const json_t *detail, json_t *o, esc_jsoncmd_error_t *err)
{
        char org[64] = "";
        const char *account, *impact, *tier;

        if (esc_jm_id_text(json_object_get(detail, "organization_id"), org, sizeof(org)) == 0 &&
            strcmp(org, "0") != 0)
                account = esc_jm_cfg(conf, "zendesk.account_by_organization.", org);
        else
                org[0] = '\0', account = NULL;
        if (!account && org[0] && pol && esc_policy_account_by_org(pol, org))
                account = esc_policy_account_by_org(pol, org)->id;
        if (!account)
                account = esc_config_get(conf, "zendesk.default_account");
        if (!account)
                return fail(err, ESC_ZD_INVALID, "detail.organization_id",
                            "organization '%s' has no account: set "
                            "zendesk.account_by_organization.<id>, the policy account's "
                            "zendesk_organization_id or zendesk.default_account",
                            org[0] ? org : "(none)");
        impact = esc_jm_impact(conf, "zendesk", json_object_get(detail, "tags"),
                               esc_jm_str(detail, "priority"));
        if (!impact)
                return fail(err, ESC_ZD_INVALID, "detail.priority",
                            "no impact for priority '%.32s' or the tags: set "
                            "zendesk.impact_by_priority.<p>, zendesk.impact_by_tag.<t> or "
                            "zendesk.default_impact",
                            esc_jm_str(detail, "priority") ? esc_jm_str(detail, "priority")
                                                           : "(none)");
        tier = org[0] ? esc_jm_cfg(conf, "zendesk.tier_by_organization.", org) : NULL;
        if (!tier)
                tier = esc_config_get(conf, "zendesk.default_tier");

        json_object_set_new(o, "account", json_string(account));
        json_object_set_new(o, "impact", json_string(impact));
        if (tier)
                json_object_set_new(o, "tier", json_string(tier));
        json_object_set_new(
                o, "product_area",
                json_string(esc_jm_product_area(conf, "zendesk", json_object_get(detail, "tags"))));
        const char *subject = esc_jm_str(detail, "subject");
        char fallback[96];
        if (!subject || !*subject) {
                snprintf(fallback, sizeof(fallback), "Zendesk ticket %s",
                         esc_jm_str(o, "incident_id") ? esc_jm_str(o, "incident_id") + 3 : "?");
                subject = fallback;
        }
        json_object_set_new(o, "title", json_string(subject));
        const char *desc = esc_jm_str(detail, "description");
        if (desc && *desc)
                json_object_set_new(o, "description", json_string(desc));
        return ESC_ZD_COMMAND;
}

/* Zendesk sends the new value as a string, or as {"status": "..."}. */
static const char *current_value(const json_t *event, const char *key)
{
        const json_t *cur = json_object_get(event, "current");
        if (json_is_string(cur))
                return json_string_value(cur);
        if (json_is_object(cur))
                return esc_jm_str(cur, key);
        return NULL;
}

esc_zd_rc_t esc_zendesk_map(const esc_config_t *conf, const esc_policy_t *pol,
                            const json_t *payload, esc_time_t now, esc_command_t *cmd,
                            esc_jsoncmd_error_t *err)
{
        const char *type, *kind;
        const json_t *detail, *event;
        char ticket[64], inc[80], cid[ESC_MAX_ID + 1];
        json_t *o = NULL;
        esc_zd_rc_t rc;

        memset(err, 0, sizeof(*err));
        esc_command_init(cmd, ESC_CMD_OPEN);
        if (!json_is_object(payload))
                return fail(err, ESC_ZD_MALFORMED, "", "%s",
                            "a Zendesk event must be a JSON object");
        type = esc_jm_str(payload, "type");
        if (!type || strncmp(type, EVENT_PREFIX, strlen(EVENT_PREFIX)) != 0)
                return fail(err, ESC_ZD_MALFORMED, "type",
                            "type '%.64s' is not a Zendesk event type (zen:event-type:...)",
                            type ? type : "(missing)");
        kind = type + strlen(EVENT_PREFIX);
        detail = json_object_get(payload, "detail");
        event = json_object_get(payload, "event");
        if (!json_is_object(detail) ||
            esc_jm_id_text(json_object_get(detail, "id"), ticket, sizeof(ticket)))
                return fail(err, ESC_ZD_MALFORMED, "detail.id", "%s",
                            "detail.id: missing (the ticket id)");
        if (strncmp(kind, "ticket.", 7) != 0)
                return fail(err, ESC_ZD_IGNORED, "type", "%.64s: not a ticket event", type);

        snprintf(inc, sizeof(inc), "ZD-%s", ticket);
        o = json_object();
        json_object_set_new(o, "incident_id", json_string(inc));
        const char *eid = esc_jm_str(payload, "id");
        if (eid && *eid && strlen(eid) + 3 <= ESC_MAX_ID) {
                snprintf(cid, sizeof(cid), "zd-%s", eid);
                json_object_set_new(o, "command_id", json_string(cid));
        }
        const char *at = esc_jm_str(payload, "time");
        if (!strcmp(kind, "ticket.created") && esc_jm_str(detail, "created_at"))
                at = esc_jm_str(detail, "created_at");
        if (at)
                json_object_set_new(o, "at", json_string(at));
        const char *actor = esc_config_str(conf, "zendesk.actor", "zendesk");
        json_object_set_new(o, "by", json_string(actor));
        char url[ESC_MAX_STR];
        const char *base = esc_config_get(conf, "zendesk.url");
        json_t *src = json_pack("{s:s, s:s}", "system", "zendesk", "ticket_id", ticket);
        if (base && strlen(base) + strlen(ticket) + 20 < sizeof(url)) {
                snprintf(url, sizeof(url), "%s/agent/tickets/%s", base, ticket);
                json_object_set_new(src, "url", json_string(url));
        }
        json_object_set_new(o, "source", src);

        if (!strcmp(kind, "ticket.created")) {
                json_object_set_new(o, "type", json_string("open"));
                rc = build_open(conf, pol, detail, o, err);
                if (rc != ESC_ZD_COMMAND)
                        goto out;
        } else if (!strcmp(kind, "ticket.status_changed")) {
                const char *st = current_value(event, "status");
                if (!st)
                        st = esc_jm_str(detail, "status");
                if (st && !strcasecmp(st, "solved")) {
                        json_object_set_new(o, "type", json_string("resolve"));
                        json_object_set_new(o, "summary", json_string("Solved in Zendesk"));
                } else if (st && !strcasecmp(st, "closed")) {
                        json_object_set_new(o, "type", json_string("close"));
                } else {
                        rc = fail(err, ESC_ZD_IGNORED, "event.current",
                                  "status '%.32s' has no escalation meaning", st ? st : "?");
                        goto out;
                }
        } else if (!strcmp(kind, "ticket.priority_changed")) {
                const char *cur = current_value(event, "priority");
                const json_t *prev = json_object_get(event, "previous");
                char body[256];
                snprintf(body, sizeof(body), "Zendesk priority changed from %.32s to %.32s",
                         json_is_string(prev) ? json_string_value(prev) : "(none)",
                         cur ? cur
                             : (esc_jm_str(detail, "priority") ? esc_jm_str(detail, "priority")
                                                               : "(none)"));
                json_object_set_new(o, "type", json_string("update"));
                json_object_set_new(o, "audience", json_string("internal"));
                json_object_set_new(o, "body", json_string(body));
        } else if (!strcmp(kind, "ticket.comment_added")) {
                const json_t *c = json_object_get(event, "comment");
                const char *body = json_is_object(c) ? esc_jm_str(c, "body") : NULL;
                if (!body || !*body) {
                        rc = fail(err, ESC_ZD_IGNORED, "event.comment.body", "%s",
                                  "comment without a body");
                        goto out;
                }
                const json_t *pub = json_is_object(c) ? json_object_get(c, "is_public") : NULL;
                const json_t *author = json_is_object(c) ? json_object_get(c, "author") : NULL;
                const char *self = esc_config_get(conf, "zendesk.agent_user_id");
                char aid[64];
                if (self && *self && json_is_object(author) &&
                    !esc_jm_id_text(json_object_get(author, "id"), aid, sizeof(aid)) &&
                    !strcmp(aid, self)) {
                        /* What the actions worker wrote (as zendesk.email) comes
                         * back as a webhook: recorded again it would be posted
                         * again, for ever. */
                        rc = fail(err, ESC_ZD_IGNORED, "event.comment.author.id", "%s",
                                  "a comment esc wrote itself (zendesk.agent_user_id)");
                        goto out;
                }
                json_object_set_new(o, "type", json_string("update"));
                if (json_is_object(author) && json_is_false(json_object_get(author, "is_staff"))) {
                        /* The customer speaking is no update of ours to the
                         * customer: it must not reset the update clock. */
                        const char *name = esc_jm_str(author, "name");
                        char *said = NULL;
                        if (asprintf(&said, "Customer reply (%s): %s",
                                     name && *name ? name : "requester", body) < 0)
                                said = NULL;
                        json_object_set_new(o, "audience", json_string("internal"));
                        json_object_set_new(o, "body", json_string(said ? said : body));
                        free(said);
                } else {
                        json_object_set_new(
                                o, "audience",
                                json_string(json_is_true(pub) ? "external" : "internal"));
                        json_object_set_new(o, "body", json_string(body));
                }
        } else {
                rc = fail(err, ESC_ZD_IGNORED, "type", "%.64s: no escalation meaning", type);
                goto out;
        }

        esc_jsoncmd_defaults_t d = {.actor = actor, .now = now};
        esc_jsoncmd_rc_t jr = esc_json_command_from_json(o, &d, cmd, err);
        rc = jr == ESC_JSONCMD_OK ? ESC_ZD_COMMAND : ESC_ZD_INVALID;
out:
        json_decref(o);
        return rc;
}

void esc_zendesk_sign(const char *secret, const char *timestamp, const void *body, size_t len,
                      char *out, size_t out_size)
{
        unsigned char mac[ESC_HMAC_LEN];
        unsigned char b64[EVP_ENCODE_LENGTH(ESC_HMAC_LEN) + 1];

        if (esc_hmac_sha256(secret, timestamp, body, len, mac)) {
                esc_strlcpy(out, "", out_size);
                return;
        }
        EVP_EncodeBlock(b64, mac, ESC_HMAC_LEN);
        esc_strlcpy(out, (const char *)b64, out_size);
}

int esc_zendesk_verify(const char *secret, const char *timestamp, const char *signature,
                       const void *body, size_t len, esc_time_t now, char *errbuf,
                       size_t errbuf_size)
{
        char want[128];
        esc_time_t ts;

        if (!secret || !*secret)
                return esc_err(errbuf, errbuf_size,
                               "webhook.zendesk_secret is not configured: signed requests "
                               "cannot be checked");
        if (!signature || !*signature)
                return esc_err(errbuf, errbuf_size, "missing header %s", ESC_ZD_SIG_HEADER);
        if (!timestamp || !*timestamp)
                return esc_err(errbuf, errbuf_size, "missing header %s", ESC_ZD_TS_HEADER);
        if (strlen(timestamp) > 64 || esc_time_parse(timestamp, &ts, NULL, 0))
                return esc_err(errbuf, errbuf_size, "%s is not an ISO-8601 time", ESC_ZD_TS_HEADER);
        if (now == 0)
                now = esc_now();
        int64_t skew = now > ts ? now - ts : ts - now;
        if (skew > (int64_t)ESC_ZD_MAX_SKEW_S * ESC_USEC_PER_SEC)
                return esc_err(errbuf, errbuf_size,
                               "%s is more than %d s away from now (stale or replayed request)",
                               ESC_ZD_TS_HEADER, ESC_ZD_MAX_SKEW_S);
        esc_zendesk_sign(secret, timestamp, body, len, want, sizeof(want));
        if (!esc_sig_equal(want, signature))
                return esc_err(errbuf, errbuf_size, "%s does not match the body",
                               ESC_ZD_SIG_HEADER);
        return 0;
}
