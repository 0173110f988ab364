/* actions.h — the actions projection (`esc worker actions`): the only place
 * esc touches Slack, Linear and PagerDuty (DESIGN §1, seed Step 2).
 *
 * Split in three so the rules are testable without any network:
 *
 *   plan.c   pure: folds an incident's events into esc_actions_incident_t
 *            and says which outside actions an event calls for (channel,
 *            invites, tracking issue, page, page resolve, reminder), plus
 *            the texts those actions send (channel name, issue title and
 *            description with the SLA clock).
 *   apis.c   the HTTP calls (libcurl), with the retry rules: 429 waits for
 *            Retry-After, 5xx and network errors back off, other 4xx and
 *            Slack `ok:false` are permanent and logged with the API's error.
 *   worker.c the consumer loop: replays each assigned partition of
 *            esc.events (no side effects while replaying), then acts on live
 *            events and reports every side effect back as a record_*
 *            command to esc.commands.
 *
 * Idempotence: what was done outside is learnt from the log itself
 * (ChannelCreated, TrackingIssueLinked, PageSent), so a restarted worker
 * does not create a second channel, issue or page for an incident whose
 * log already records one. */
#ifndef ESC_ACTIONS_H
#define ESC_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/policy.h"
#include "core/state.h"

/* What the actions worker knows about one open incident. The esc_state_t
 * is folded by the ledger's own esc_evolve (sev, status, owners, SLA
 * deadlines); the rest are the fields the outside actions need. Strings are
 * heap-owned (NULL when unknown). Closed incidents are dropped. */
typedef struct esc_actions_incident {
        esc_state_t st;
        char *account;      /* account id */
        char *account_name; /* nullable */
        char *title;
        char *product_area;
        esc_impact_t impact;
        char *channel_id; /* Slack channel (from ChannelCreated or our own create) */
        char *channel_name;
        char *issue_id; /* tracking issue (TrackingIssueLinked or our own) */
        char *issue_url;
        bool paged;         /* PageSent seen or our own trigger */
        char *page_service; /* routing-key name the page went to */
        /* People already invited to the channel, per role ("" = nobody). */
        char invited[ESC_ROLE__COUNT][ESC_MAX_ID + 1];
        /* Record-back commands still to be delivered (ESC_ACTIONS_REC_*). */
        unsigned pending_records;
        int64_t retry_at_us; /* monotonic: reconcile again after a failed action; 0 = no */
        int retry_backoff_ms;
        int32_t partition;
} esc_actions_incident_t;

enum {
        ESC_ACTIONS_REC_CHANNEL = 0x1,
        ESC_ACTIONS_REC_ISSUE = 0x2,
        ESC_ACTIONS_REC_PAGE = 0x4,
};

void esc_actions_incident_init(esc_actions_incident_t *inc);
void esc_actions_incident_clear(esc_actions_incident_t *inc);

/* Folds ev into inc. Returns false (and changes nothing) for an event whose
 * seq was already folded (a duplicate in the log). */
bool esc_actions_fold(esc_actions_incident_t *inc, const esc_event_t *ev);

/* The person holding role in the incident ("" if none). */
const char *esc_actions_owner(const esc_actions_incident_t *inc, esc_role_t role);

/* Open, acknowledged or mitigated: the incident still calls for a channel,
 * an issue and (per the policy) a page. */
bool esc_actions_active(const esc_actions_incident_t *inc);

typedef enum {
        ESC_ACT_CREATE_CHANNEL = 0, /* conversations.create + invite everyone known */
        ESC_ACT_INVITE,             /* conversations.invite the owner of `role` */
        ESC_ACT_CREATE_ISSUE,       /* Linear issueCreate */
        ESC_ACT_PAGE,               /* PagerDuty trigger */
        ESC_ACT_RESOLVE_PAGE,       /* PagerDuty resolve */
        ESC_ACT_REMIND,             /* chat.postMessage: update overdue */
        ESC_ACT__COUNT
} esc_action_kind_t;

/* "create_channel", "invite", ... */
const char *esc_action_kind_name(esc_action_kind_t k);

typedef struct esc_action {
        esc_action_kind_t kind;
        esc_role_t role;   /* INVITE */
        int reminder_no;   /* REMIND */
        esc_time_t due_at; /* REMIND */
} esc_action_t;

#define ESC_ACTIONS_PLAN_MAX 8

typedef struct esc_actions_plan {
        esc_action_t v[ESC_ACTIONS_PLAN_MAX];
        int n;
} esc_actions_plan_t;

/* The actions event ev calls for, given the incident's state after folding
 * it (inc) and the policy (whether the sev pages). ev == NULL asks for
 * reconciliation after a replay: everything the state says is owed but not
 * recorded (channel, issue, page; the resolve of a page on a resolved
 * incident, which PagerDuty treats idempotently). Pure. */
void esc_actions_plan(const esc_actions_incident_t *inc, const esc_event_t *ev,
                      const esc_policy_t *pol, esc_actions_plan_t *out);

/* Whether a planned action is still owed at execution time (a later event
 * of the same batch, or an earlier action, may have done it already). */
bool esc_actions_needed(const esc_actions_incident_t *inc, const esc_action_t *a,
                        const esc_policy_t *pol);

/* Slack channel name `esc-<account>-<yyyymmdd>` (date of opening, UTC):
 * lowercase; only a-z, 0-9, '-' and '_' (anything else becomes '-', runs
 * collapse); at most 80 characters including a suffix "-<n>" for attempt
 * n >= 2 (after name_taken). buf needs ESC_ACTIONS_CHANNEL_MAX + 1 bytes. */
#define ESC_ACTIONS_CHANNEL_MAX 80
void esc_actions_channel_name(const esc_actions_incident_t *inc, int attempt, char *buf,
                              size_t size);

/* "[Sev N] <account>: <title>" (capped at ESC_MAX_STR bytes on a UTF-8
 * boundary). */
void esc_actions_issue_title(const esc_actions_incident_t *inc, esc_buf_t *out);
/* Markdown: incident, sev, account, product area, impact, owners, the
 * channel and the SLA clock (response, next update, resolution due). */
void esc_actions_issue_description(const esc_actions_incident_t *inc, const char *incident_id,
                                   const esc_policy_t *pol, esc_buf_t *out);
/* The reminder posted in the channel when a customer update is overdue;
 * mentions the engineering owner and CSM by Slack id where known. */
void esc_actions_reminder_text(const esc_actions_incident_t *inc, const char *incident_id,
                               const esc_action_t *a, const esc_policy_t *pol, esc_buf_t *out);

/* A UUIDv4-shaped id derived from the incident id (Linear issueCreate `id`,
 * so a repeated create after a crash is refused instead of duplicated).
 * out needs 37 bytes. */
void esc_actions_issue_uuid(const char *incident_id, char out[37]);
/* Deterministic command id for a record-back command of an incident
 * ("actions-<kind>-<16 hex>"), so the ledger recognises a resend. */
void esc_actions_command_id(const char *kind, const char *incident_id, char *buf, size_t size);

/* `esc worker actions` (worker.c, runtime/worker_main.h). */
extern const struct esc_worker_app esc_worker_actions_app;

#endif
