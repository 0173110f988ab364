/* apis.h — the outside systems the actions worker drives: Slack Web API
 * (conversations.create, invite, archive, unarchive, chat.postMessage),
 * Zendesk Support API v2 (ticket update: comment, status, custom fields),
 * Linear GraphQL (issueCreate) and PagerDuty Events API v2 (trigger,
 * resolve).
 *
 * Every call goes through one retry rule (apis.c): HTTP 429 waits for
 * Retry-After (capped) and tries again, 5xx and network errors back off
 * exponentially, both up to a bounded number of attempts; any other 4xx,
 * Slack `ok:false` and GraphQL `errors` are permanent and reported with the
 * API's own error text. Tokens go in `Authorization: Bearer` and never into
 * a log line or error message. Responses are capped at 1 MiB.
 *
 * Config (DESIGN §5): slack.api_url, slack.token, linear.api_url,
 * linear.token, linear.team_id, pagerduty.events_url; tuning
 * actions.http_timeout_ms (10000), actions.max_attempts (1: the actions
 * worker's per-target queues do the retrying),
 * actions.retry_after_cap_s (30). Not thread-safe: one per worker. */
#ifndef ESC_ACTIONS_APIS_H
#define ESC_ACTIONS_APIS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "runtime/config.h"

typedef enum {
        ESC_API_OK = 0,
        ESC_API_RETRY,      /* transient, attempts used up: try again later */
        ESC_API_FAIL,       /* permanent: logged, not retried */
        ESC_API_NAME_TAKEN, /* Slack conversations.create: name_taken */
} esc_api_rc_t;

typedef struct esc_actions_apis esc_actions_apis_t;

esc_actions_apis_t *esc_actions_apis_new(const esc_config_t *conf, char *errbuf,
                                         size_t errbuf_size);
void esc_actions_apis_destroy(esc_actions_apis_t *api);

/* After an ESC_API_RETRY: the wait a 429 asked for (Retry-After, capped
 * by actions.retry_after_cap_s) in ms; -1 when the failure was not a 429. */
int esc_actions_apis_retry_after_ms(const esc_actions_apis_t *api);

/* Whether the system is configured (token, team id). */
bool esc_actions_slack_enabled(const esc_actions_apis_t *api);
bool esc_actions_linear_enabled(const esc_actions_apis_t *api);
bool esc_actions_zendesk_enabled(const esc_actions_apis_t *api);

/* Zendesk Support API v2 PUT /api/v2/tickets/{id}.json: a comment (public
 * reply or internal note; none when body is empty), a status, custom
 * fields ([{id, value}], borrowed). Basic auth "email/token:api_token"
 * from zendesk.email and zendesk.api_token; base URL zendesk.url. */
esc_api_rc_t esc_actions_zendesk_update(esc_actions_apis_t *api, const char *ticket_id,
                                        const char *body, bool public, const char *status,
                                        json_t *custom_fields, const char *key, char *errbuf,
                                        size_t errbuf_size);
/* key (may be NULL): the outbox key, sent as the audit's custom metadata
 * {esc_key}. find_update looks it up among the ticket's audits (GET
 * /api/v2/tickets/{id}/audits.json): *found says whether an update under
 * key was made. */
esc_api_rc_t esc_actions_zendesk_find_update(esc_actions_apis_t *api, const char *ticket_id,
                                             const char *key, bool *found, char *errbuf,
                                             size_t errbuf_size);

/* Creates a channel (private when is_private); *id and *name (heap)
 * receive Slack's answer. */
esc_api_rc_t esc_actions_slack_create(esc_actions_apis_t *api, const char *name, bool is_private,
                                      char **id, char **created_name, char *errbuf,
                                      size_t errbuf_size);
/* conversations.setTopic. */
esc_api_rc_t esc_actions_slack_set_topic(esc_actions_apis_t *api, const char *channel,
                                         const char *topic, char *errbuf, size_t errbuf_size);
/* conversations.list (public and private, archived too): *id (heap) is the
 * channel named `name` whose topic names incident_id, else NULL. Failing
 * that, *untitled (heap) is the channel of that name with no topic that
 * our own bot user created (auth.test): one made by a run that died
 * before it set the topic. */
esc_api_rc_t esc_actions_slack_find_channel(esc_actions_apis_t *api, const char *name,
                                            const char *incident_id, char **id, char **untitled,
                                            char *errbuf, size_t errbuf_size);
/* Invites one user; already_in_channel counts as success. */
esc_api_rc_t esc_actions_slack_invite(esc_actions_apis_t *api, const char *channel,
                                      const char *user, char *errbuf, size_t errbuf_size);
esc_api_rc_t esc_actions_slack_post(esc_actions_apis_t *api, const char *channel, const char *text,
                                    char *errbuf, size_t errbuf_size);
/* A post carrying message metadata {event_type: esc_post, event_payload:
 * {incident_id, key}} (key: the outbox key, e.g. "slack:post:<seq>").
 * buttons: the kickoff's (Acknowledge, Post update, Request override,
 * Resolve, Confirm: ESC_SLACK_ACTION_*, value the incident id) under the
 * text. */
esc_api_rc_t esc_actions_slack_post_keyed(esc_actions_apis_t *api, const char *channel,
                                          const char *text, const char *incident_id,
                                          const char *key, bool buttons, char *errbuf,
                                          size_t errbuf_size);
/* conversations.history (GET, include_all_metadata, the newest 200): *found
 * says whether a post keyed `key` is in the channel. */
esc_api_rc_t esc_actions_slack_find_post(esc_actions_apis_t *api, const char *channel,
                                         const char *key, bool *found, char *errbuf,
                                         size_t errbuf_size);
/* conversations.archive / unarchive; already so counts as success. */
esc_api_rc_t esc_actions_slack_archive(esc_actions_apis_t *api, const char *channel, bool archive,
                                       char *errbuf, size_t errbuf_size);

/* issueCreate in linear.team_id with a caller-chosen id; *issue_id
 * (the identifier, e.g. "ENG-42", else the id) and *url (heap) on success.
 * If Linear refuses the create, the issue with that id is looked up: an
 * earlier run that crashed before recording it made it, and it is used. */
esc_api_rc_t esc_actions_linear_create(esc_actions_apis_t *api, const char *uuid, const char *title,
                                       const char *description, json_t *extra, char **issue_id,
                                       char **url, char *errbuf, size_t errbuf_size);
/* extra (borrowed, may be NULL): more IssueCreateInput members, e.g.
 * assigneeId, priority, parentId, dueDate. */

/* issueUpdate(id: uuid, input) (input borrowed: priority, stateId, ...). */
esc_api_rc_t esc_actions_linear_issue_update(esc_actions_apis_t *api, const char *uuid,
                                             json_t *input, char *errbuf, size_t errbuf_size);
/* commentCreate on the issue uuid under our own comment id: a repeat after
 * a crash is refused by Linear, then found by id and counted as done. */
esc_api_rc_t esc_actions_linear_comment(esc_actions_apis_t *api, const char *uuid,
                                        const char *comment_uuid, const char *body, char *errbuf,
                                        size_t errbuf_size);

/* A PagerDuty Events API v2 event: action "trigger" (summary, component and
 * details used) or "resolve". routing_key is never logged. */
esc_api_rc_t esc_actions_pagerduty_event(esc_actions_apis_t *api, const char *routing_key,
                                         const char *action, const char *dedup_key,
                                         const char *summary, const char *component,
                                         const char *details_json, char *errbuf,
                                         size_t errbuf_size);

#endif
