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
        bool manager_paged; /* the CS manager's page (dedup key "<incident>:manager") */
        char *page_service; /* routing-key name the page went to */
        char *page_dedup;   /* its dedup key: the incident id, "<id>:reopen-<n>" after reopens */
        char *ticket_id;    /* the Zendesk ticket it was opened from (source) */
        char *ticket_url;
        char *why; /* the last SeverityAssigned's bump reasons, joined */
        /* People already invited to the channel, per role ("" = nobody). */
        char invited[ESC_ROLE__COUNT][ESC_MAX_ID + 1];
        unsigned invite_retry; /* roles (1 << role) whose invite failed transiently */
        /* Record-back commands still to be delivered (ESC_ACTIONS_REC_*). */
        unsigned pending_records;
        /* Channel, issue or page (ESC_ACTIONS_REC_*) refused for good: an
         * OutboundRecorded "failed" under its key (esc_actions_refusal).
         * Reconciliation does not ask again until a reopen or an override. */
        unsigned refused;
        unsigned jobs; /* outbox jobs still queued for it: a closed one stays until 0 */
        int32_t partition;
} esc_actions_incident_t;

enum {
        ESC_ACTIONS_REC_CHANNEL = 0x1,
        ESC_ACTIONS_REC_ISSUE = 0x2,
        ESC_ACTIONS_REC_PAGE = 0x4,
        ESC_ACTIONS_REC_MANAGER_PAGE = 0x8,
};

void esc_actions_incident_init(esc_actions_incident_t *inc);
void esc_actions_incident_clear(esc_actions_incident_t *inc);

/* The dedup key of the page a trigger now makes: the incident id, or
 * "<id>:reopen-<n>" after the n-th reopen (DESIGN §9: reopen → trigger). */
void esc_actions_page_key(const esc_actions_incident_t *inc, const char *incident_id, char *buf,
                          size_t size);

/* Whether a PageSent's dedup key is the CS manager's page ("<inc>:manager"). */
bool esc_actions_is_manager_page(const char *dedup_key);

/* The ESC_ACTIONS_REC_* bit a RecordOutbound key "<target>:<kind>:<seq>"
 * stands for when its status is failed: the channel (slack:create_channel),
 * the issue (linear:create_issue) or the page (pagerduty:page); 0 for any
 * other key. */
unsigned esc_actions_refusal(const char *key);

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
        ESC_ACT_POST,               /* chat.postMessage: the event's post (post_text) */
        ESC_ACT_ARCHIVE,            /* conversations.archive: closed */
        ESC_ACT_UNARCHIVE,          /* conversations.unarchive: reopened */
        ESC_ACT_PAGE_MANAGER,       /* PagerDuty trigger to the CS manager: unowned, breached */
        ESC_ACT_TICKET,             /* Zendesk ticket update (esc_actions_ticket_update) */
        ESC_ACT_LINEAR,             /* Linear comment/update/child (esc_actions_linear_update) */
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

/* The channel topic (DESIGN §9: Sev + owners + SLA), which also names the
 * incident so a restarted worker knows the channel for its own:
 * "Sev 1 INC-7 | owner alice | CSM dave | response by ... | resolve by ...",
 * at most ESC_ACTIONS_TOPIC_MAX bytes (Slack's limit is 250 characters). */
#define ESC_ACTIONS_TOPIC_MAX 250
void esc_actions_channel_topic(const esc_actions_incident_t *inc, const char *incident_id,
                               esc_buf_t *out);

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

/* The channel post ev calls for (DESIGN §9, the Slack column): the
 * kickoff for SeverityAssigned (sev, why, owners, deadlines, Linear and
 * ticket links), one line for acknowledgements, updates (external and
 * internal told apart), overrides and refused overrides, resolution,
 * confirmation, close, reopen, corrective actions, the review, breaches and
 * unowned escalations. Text from the log is escaped for Slack. Returns
 * false (out untouched) for an event the channel does not hear. ev NULL:
 * the kickoff (after a replay, from the folded state). */
extern const char *const esc_actions_post_templates[ESC_EV__COUNT];
/* Whether the channel hears ev at all. */
bool esc_actions_posts(const esc_event_t *ev);
bool esc_actions_post_text(const esc_actions_incident_t *inc, const char *incident_id,
                           const esc_event_t *ev, const esc_policy_t *pol, esc_buf_t *out);

/* What the customer's ticket gets for ev (DESIGN §9, the Zendesk column):
 * a comment (public: the customer sees it, and it then holds only the
 * message meant for them; else an internal note), a new status, a sev for
 * the ticket's custom field. */
typedef struct esc_actions_ticket {
        esc_buf_t body;     /* the comment; empty: none */
        bool public;        /* a public reply, not an internal note */
        const char *status; /* "solved", "open"; NULL: unchanged */
        int sev;            /* 1..4 for the sev custom field; 0: unchanged */
} esc_actions_ticket_t;

/* Fills out (always initialised; free out->body) and returns true when ev
 * calls for a ticket update; false when the ticket does not hear ev. */
bool esc_actions_ticket_update(const esc_actions_incident_t *inc, const char *incident_id,
                               const esc_event_t *ev, esc_actions_ticket_t *out);

/* Linear's priority for a sev: 1 Urgent .. 4 Low (0 for none). */
int esc_actions_linear_priority(int sev);

/* What the incident's Linear issue gets for ev (DESIGN §9, the Linear
 * column): a comment, a new priority, a new state type, a new assignee
 * (the engineering owner), or - for a corrective action - a child issue
 * (title in comment) assigned to the action owner's linear_user_id with the
 * action's due date. */
typedef struct esc_actions_linear {
        esc_buf_t comment;     /* comment body; child issue: its title */
        int priority;          /* 1..4; 0: unchanged */
        const char *state;     /* Linear state type: "completed", "started"; NULL */
        bool child;            /* create a child issue (parentId = the issue) */
        const char *child_key; /* the action id (borrowed from ev) */
        const char *assignee;  /* linear_user_id of the (child) issue's assignee (pol's) */
        esc_date_t child_due;
} esc_actions_linear_t;

/* Fills out (always initialised; free out->comment); false when the issue
 * does not hear ev. */
bool esc_actions_linear_update(const esc_actions_incident_t *inc, const esc_event_t *ev,
                               const esc_policy_t *pol, esc_actions_linear_t *out);

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
