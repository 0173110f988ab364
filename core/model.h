/* model.h — the C model of esc's commands and events (schema esc.v1).
 *
 * This is the in-memory shape every module shares: producers build commands,
 * the codec turns both into Avro and back, the decider folds events into
 * state and decides commands into events, projections read events.
 *
 * Order matters: the enums below mirror, symbol for symbol, the Avro enums
 * and payload union branches in schemas/esc.v1.Event.avsc and
 * schemas/esc.v1.Command.avsc. Append only; never reorder (schema evolution).
 *
 * Ownership: every char * in these structs is heap-owned by the struct (NULL
 * stands for an Avro null or an absent optional string). esc_event_clear()
 * and esc_command_clear() free them. Payload structs are shared between a
 * command and the event it usually produces, so `by` is also carried in
 * commands (the acting person; the envelope's `actor` is the same id).
 *
 * Invariants the codec enforces on decode and the producers on input:
 * strings are valid UTF-8 and at most ESC_MAX_STR bytes (ESC_MAX_TEXT for
 * free text), lists at most ESC_MAX_LIST entries. */
#ifndef ESC_MODEL_H
#define ESC_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"

#define ESC_MAX_ID 128     /* incident, account, person, command ids */
#define ESC_MAX_STR 1024   /* names, titles, reasons, urls */
#define ESC_MAX_TEXT 65536 /* descriptions, update bodies, summaries */
#define ESC_MAX_LIST 64    /* bump reasons, five whys */
#define ESC_HASH_LEN 32    /* SHA-256 */

/* ---- enums shared by commands and events -------------------------------- */

typedef enum {
        ESC_TIER_STANDARD = 0,
        ESC_TIER_GROWTH,
        ESC_TIER_STRATEGIC,
        ESC_TIER__COUNT
} esc_tier_t;

typedef enum {
        ESC_IMPACT_PRODUCTION_DOWN = 0,
        ESC_IMPACT_DATA_LOSS,
        ESC_IMPACT_SECURITY_EXPOSURE,
        ESC_IMPACT_MAJOR_FEATURE_BROKEN,
        ESC_IMPACT_DEGRADED_WITH_WORKAROUND,
        ESC_IMPACT_COSMETIC,
        ESC_IMPACT_QUESTION,
        ESC_IMPACT_FEATURE_REQUEST,
        ESC_IMPACT__COUNT
} esc_impact_t;

typedef enum {
        ESC_ROLE_ENGINEERING_OWNER = 0,
        ESC_ROLE_CSM,
        ESC_ROLE_CS_MANAGER,
        ESC_ROLE__COUNT
} esc_role_t;

typedef enum { ESC_VIA_ROTATION = 0, ESC_VIA_MANUAL, ESC_VIA__COUNT } esc_via_t;

typedef enum {
        ESC_AUDIENCE_EXTERNAL = 0,
        ESC_AUDIENCE_INTERNAL,
        ESC_AUDIENCE__COUNT
} esc_audience_t;

typedef enum {
        ESC_CLOCK_RESPONSE = 0,
        ESC_CLOCK_RESOLUTION,
        ESC_CLOCK_UPDATE,
        ESC_CLOCK_REVIEW,
        ESC_CLOCK__COUNT
} esc_clock_t;

/* Lowercase contract names ("production_down", "strategic", "cs_manager",
 * "external", "resolution", ...). *_parse returns -1 for an unknown name. */
/* The contract's enums by number, for tables that name a field's enum
 * (core/fields.h): esc_enum_symbol(ESC_ENUM_TIER, v) == esc_tier_name(v). */
typedef enum {
        ESC_ENUM_TIER,
        ESC_ENUM_IMPACT,
        ESC_ENUM_ROLE,
        ESC_ENUM_VIA,
        ESC_ENUM_AUDIENCE,
        ESC_ENUM_CLOCK,
} esc_enum_t;
const char *esc_enum_symbol(int which, int v);
const char *esc_tier_name(esc_tier_t v);
int esc_tier_parse(const char *s);
const char *esc_impact_name(esc_impact_t v);
int esc_impact_parse(const char *s);
const char *esc_role_name(esc_role_t v);
int esc_role_parse(const char *s);
const char *esc_via_name(esc_via_t v);
const char *esc_audience_name(esc_audience_t v);
int esc_audience_parse(const char *s);
const char *esc_clock_name(esc_clock_t v);

/* A list of owned strings. */
typedef struct esc_strlist {
        char **v;
        int n;
} esc_strlist_t;

void esc_strlist_push(esc_strlist_t *l, const char *s); /* copies s */
void esc_strlist_clear(esc_strlist_t *l);

/* ---- payloads ----------------------------------------------------------- */

typedef struct esc_account {
        char *id;
        char *name; /* nullable */
        esc_tier_t tier;
        int health_score; /* 0..100, or -1 for null */
        bool paying;
        esc_date_t renewal_date; /* ESC_DATE_NONE for null */
} esc_account_t;

/* OpenEscalation (command) / EscalationOpened (event). */
typedef struct esc_opened {
        esc_account_t account;
        char *product_area;
        char *title;
        char *description; /* nullable */
        esc_impact_t impact;
        esc_time_t detected_at;
        char *csm; /* command only: the account's CSM; nullable */
} esc_opened_t;

typedef struct esc_sev_assigned {
        int sev; /* 1..4 */
        int matrix_sev;
        bool bumped;
        esc_strlist_t bump_reasons;
        esc_time_t response_due_at;
        esc_time_t next_update_due_at; /* nullable */
        esc_time_t resolution_due_at;  /* nullable (Sev 4: backlog) */
} esc_sev_assigned_t;

/* OverrideSeverity (command: to_sev, by, reason) / SeverityOverridden. */
typedef struct esc_sev_overridden {
        int from_sev;
        int to_sev;
        char *by;
        char *reason;
        esc_time_t response_due_at;
        esc_time_t next_update_due_at; /* nullable */
        esc_time_t resolution_due_at;  /* nullable */
} esc_sev_overridden_t;

typedef struct esc_owner_assigned {
        esc_role_t role;
        char *person;
        esc_via_t via;
} esc_owner_assigned_t;

typedef struct esc_acknowledged {
        char *by;
        char *message;
        esc_time_t next_update_at;
} esc_acknowledged_t;

typedef struct esc_update_posted {
        char *by;
        esc_audience_t audience;
        char *body;
        esc_time_t next_update_at; /* nullable */
} esc_update_posted_t;

/* Mitigated / Resolved (and their commands). */
typedef struct esc_by_summary {
        char *by;
        char *summary; /* nullable */
} esc_by_summary_t;

typedef struct esc_confirmed {
        char *by;
        char *note; /* nullable */
} esc_confirmed_t;

/* Close command: confirmed == false means `--unconfirmed`. */
typedef struct esc_closed {
        char *by;
        bool confirmed;
        char *reason; /* nullable */
} esc_closed_t;

typedef struct esc_reopened {
        char *by;
        char *reason;
} esc_reopened_t;

typedef struct esc_review_opened {
        char *tracker_url; /* nullable */
        esc_time_t due_at; /* event: 5 business days after resolution
                              (or after opening if not yet resolved);
                              command: ESC_TIME_NONE */
} esc_review_opened_t;

typedef struct esc_action_added {
        char *action_id;
        char *title;
        char *owner;
        esc_date_t due_date;
        char *tracker_url; /* nullable */
} esc_action_added_t;

typedef struct esc_review_completed {
        char *root_cause;
        esc_strlist_t five_whys;
} esc_review_completed_t;

typedef struct esc_channel_created {
        char *slack_channel_id;
        char *name;
} esc_channel_created_t;

typedef struct esc_tracking_linked {
        char *system; /* "linear" */
        char *issue_id;
        char *url;
} esc_tracking_linked_t;

typedef struct esc_page_sent {
        char *service;
        char *dedup_key;
        char *to;
} esc_page_sent_t;

/* RecordOutbound (command) / OutboundRecorded: one side effect of the
 * actions worker's outbox and how it ended (DESIGN §9). The decider accepts
 * only the targets and statuses below; a string on the wire, so a later
 * target never breaks an old reader. */
typedef struct esc_outbound_recorded {
        char *target;      /* ESC_OUTBOUND_TARGET_* */
        char *key;         /* stable per (incident, event seq, target action): "slack:post:12" */
        char *external_id; /* nullable: Slack ts, Zendesk comment, Linear issue, dedup key */
        char *status;      /* ESC_OUTBOUND_DONE or ESC_OUTBOUND_FAILED */
} esc_outbound_recorded_t;

#define ESC_OUTBOUND_TARGET_SLACK "slack"
#define ESC_OUTBOUND_TARGET_ZENDESK "zendesk"
#define ESC_OUTBOUND_TARGET_LINEAR "linear"
#define ESC_OUTBOUND_TARGET_PAGERDUTY "pagerduty"
#define ESC_OUTBOUND_DONE "done"
#define ESC_OUTBOUND_FAILED "failed"

/* The buttons of the kickoff post (action_id; value: the incident id),
 * clicked through `esc webhook`'s POST /slack/interactions. */
#define ESC_SLACK_ACTION_ACK "esc_ack"
#define ESC_SLACK_ACTION_UPDATE "esc_update"
#define ESC_SLACK_ACTION_REQUEST_OVERRIDE "esc_request_override"
#define ESC_SLACK_ACTION_RESOLVE "esc_resolve"
#define ESC_SLACK_ACTION_CONFIRM "esc_confirm"

typedef struct esc_update_overdue {
        esc_time_t due_at;
        int reminder_no;
} esc_update_overdue_t;

typedef struct esc_sla_breached {
        esc_clock_t clock;
        esc_time_t due_at;
} esc_sla_breached_t;

typedef struct esc_unowned_escalated {
        esc_time_t due_at;
        char *paged;
} esc_unowned_escalated_t;

typedef struct esc_rejected {
        char *command_type; /* contract name of the command, e.g. "override" */
        char *code;         /* ESC_REJ_* */
        char *message;
} esc_rejected_t;

/* Rejection codes (contract). */
#define ESC_REJ_UNKNOWN_INCIDENT "unknown_incident"
#define ESC_REJ_INCIDENT_EXISTS "incident_exists"
#define ESC_REJ_INVALID_TRANSITION "invalid_transition"
#define ESC_REJ_OVERRIDE_REQUIRES_MANAGER "override_requires_manager"
#define ESC_REJ_OVERRIDE_REQUIRES_REASON "override_requires_reason"
#define ESC_REJ_RESOLVE_REQUIRES_REVIEW "resolve_requires_review"
#define ESC_REJ_CLOSE_REQUIRES_CONFIRMATION "close_requires_confirmation"
#define ESC_REJ_INVALID_FIELD "invalid_field"

/* Optional origin of a command/event: the ticketing system it came from. */
typedef struct esc_source {
        char *system;
        char *ticket_id; /* nullable */
        char *url;       /* nullable */
} esc_source_t;          /* absent when system == NULL */

/* ---- events ------------------------------------------------------------- */

typedef enum {
        ESC_EV_ESCALATION_OPENED = 0,
        ESC_EV_SEVERITY_ASSIGNED,
        ESC_EV_SEVERITY_OVERRIDDEN,
        ESC_EV_OWNER_ASSIGNED,
        ESC_EV_ACKNOWLEDGED,
        ESC_EV_CUSTOMER_UPDATE_POSTED,
        ESC_EV_MITIGATED,
        ESC_EV_RESOLVED,
        ESC_EV_CUSTOMER_CONFIRMED,
        ESC_EV_CLOSED,
        ESC_EV_REOPENED,
        ESC_EV_REVIEW_OPENED,
        ESC_EV_CORRECTIVE_ACTION_ADDED,
        ESC_EV_REVIEW_COMPLETED,
        ESC_EV_CHANNEL_CREATED,
        ESC_EV_TRACKING_ISSUE_LINKED,
        ESC_EV_PAGE_SENT,
        ESC_EV_UPDATE_OVERDUE,
        ESC_EV_SLA_BREACHED,
        ESC_EV_UNOWNED_ESCALATED,
        ESC_EV_COMMAND_REJECTED,
        ESC_EV_OUTBOUND_RECORDED,
        ESC_EV__COUNT
} esc_event_type_t;

/* Avro record names: "EscalationOpened", ... */
const char *esc_event_type_name(esc_event_type_t t);
int esc_event_type_parse(const char *s);

typedef union esc_event_payload {
        esc_opened_t opened;
        esc_sev_assigned_t sev_assigned;
        esc_sev_overridden_t sev_overridden;
        esc_owner_assigned_t owner_assigned;
        esc_acknowledged_t acknowledged;
        esc_update_posted_t update_posted;
        esc_by_summary_t mitigated;
        esc_by_summary_t resolved;
        esc_confirmed_t confirmed;
        esc_closed_t closed;
        esc_reopened_t reopened;
        esc_review_opened_t review_opened;
        esc_action_added_t action_added;
        esc_review_completed_t review_completed;
        esc_channel_created_t channel_created;
        esc_tracking_linked_t tracking_linked;
        esc_page_sent_t page_sent;
        esc_update_overdue_t update_overdue;
        esc_sla_breached_t sla_breached;
        esc_unowned_escalated_t unowned_escalated;
        esc_rejected_t rejected;
        esc_outbound_recorded_t outbound_recorded;
} esc_event_payload_t;

typedef struct esc_event {
        char *event_id; /* deterministic UUID from incident id + seq */
        char *incident_id;
        int64_t seq; /* 1-based, gap-free per incident */
        esc_event_type_t type;
        esc_time_t occurred_at;
        esc_time_t recorded_at;
        char *actor;
        esc_source_t source;
        char *command_id;
        int32_t command_partition;
        int64_t command_offset;
        char *policy_version;
        uint8_t prev_hash[ESC_HASH_LEN];
        uint8_t hash[ESC_HASH_LEN];
        esc_event_payload_t p;
} esc_event_t;

/* Zeroes ev (all strings NULL, optional times ESC_TIME_NONE, health -1...). */
void esc_event_init(esc_event_t *ev, esc_event_type_t type);
/* Frees every owned string/list and re-inits to an empty event. */
void esc_event_clear(esc_event_t *ev);
/* Deep copy: dst must be uninitialised or cleared. */
void esc_event_copy(esc_event_t *dst, const esc_event_t *src);

/* ---- commands ----------------------------------------------------------- */

typedef enum {
        ESC_CMD_OPEN = 0,
        ESC_CMD_ACK,
        ESC_CMD_UPDATE,
        ESC_CMD_ASSIGN,
        ESC_CMD_OVERRIDE,
        ESC_CMD_MITIGATE,
        ESC_CMD_RESOLVE,
        ESC_CMD_CONFIRM,
        ESC_CMD_CLOSE,
        ESC_CMD_REOPEN,
        ESC_CMD_REVIEW_OPEN,
        ESC_CMD_REVIEW_ACTION,
        ESC_CMD_REVIEW_COMPLETE,
        ESC_CMD_RECORD_CHANNEL,
        ESC_CMD_RECORD_TRACKING_ISSUE,
        ESC_CMD_RECORD_PAGE,
        ESC_CMD_RECORD_UPDATE_OVERDUE,
        ESC_CMD_RECORD_SLA_BREACH,
        ESC_CMD_RECORD_UNOWNED_ESCALATION,
        ESC_CMD_RECORD_OUTBOUND,
        ESC_CMD__COUNT
} esc_command_type_t;

/* Contract names as used on the CLI and in NDJSON: "open", "ack", "update",
 * "assign", "override", "mitigate", "resolve", "confirm", "close", "reopen",
 * "review_open", "review_action", "review_complete", "record_channel",
 * "record_tracking_issue", "record_page", "record_update_overdue",
 * "record_sla_breach", "record_unowned_escalation", "record_outbound". */
const char *esc_command_type_name(esc_command_type_t t);
int esc_command_type_parse(const char *s);
/* Avro record names of the payload branches: "OpenEscalation", ... */
const char *esc_command_record_name(esc_command_type_t t);

typedef union esc_command_payload {
        esc_opened_t open;
        esc_acknowledged_t ack;
        esc_update_posted_t update;
        esc_owner_assigned_t assign;   /* via is always manual */
        esc_sev_overridden_t override; /* to_sev, by, reason; the rest unset */
        esc_by_summary_t mitigate;
        esc_by_summary_t resolve;
        esc_confirmed_t confirm;
        esc_closed_t close;
        esc_reopened_t reopen;
        esc_review_opened_t review_open;
        esc_action_added_t review_action;
        esc_review_completed_t review_complete;
        esc_channel_created_t record_channel;
        esc_tracking_linked_t record_tracking_issue;
        esc_page_sent_t record_page;
        esc_update_overdue_t record_update_overdue;
        esc_sla_breached_t record_sla_breach;
        esc_unowned_escalated_t record_unowned_escalation;
        esc_outbound_recorded_t record_outbound;
} esc_command_payload_t;

typedef struct esc_command {
        char *command_id; /* client-chosen; retries reuse it */
        char *incident_id;
        esc_command_type_t type;
        esc_time_t issued_at;   /* when the producer sent it */
        esc_time_t occurred_at; /* when it happened in the world (--at) */
        char *actor;
        esc_source_t source;
        esc_command_payload_t p;
} esc_command_t;

void esc_command_init(esc_command_t *cmd, esc_command_type_t type);
void esc_command_clear(esc_command_t *cmd);
void esc_command_copy(esc_command_t *dst, const esc_command_t *src);

/* Checks every string of the command for UTF-8 validity and length caps and
 * every enum/number for range. Returns 0, or -1 with errbuf naming the field
 * ("open.account.id: longer than 128 bytes"). Producers call it before
 * encoding; the codec calls it after decoding. */
int esc_command_validate(const esc_command_t *cmd, char *errbuf, size_t errbuf_size);
int esc_event_validate(const esc_event_t *ev, char *errbuf, size_t errbuf_size);
/* The same checks minus the strings' UTF-8 and NUL bytes, for objects the
 * codec has just decoded: it checks every string in its one pass over the
 * bytes (esc_text_valid), so validating them again would read them twice. */
int esc_command_validate_decoded(const esc_command_t *cmd, char *errbuf, size_t errbuf_size);
int esc_event_validate_decoded(const esc_event_t *ev, char *errbuf, size_t errbuf_size);

#endif
