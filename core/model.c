/* model.c — names, lifecycle and validation of esc commands and events.
 *
 * Payloads differ only in which strings and lists they own, so one table
 * per payload shape (field name, offset, cap, required) drives clearing,
 * deep copying and validation; adding a payload means adding one table,
 * not three functions. Numbers and enums are range-checked by shape. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"

/* ---- contract names ------------------------------------------------------ */

static const char *tier_names[] = {"standard", "growth", "strategic"};
static const char *impact_names[] = {
        "production_down",          "data_loss", "security_exposure", "major_feature_broken",
        "degraded_with_workaround", "cosmetic",  "question",          "feature_request"};
static const char *role_names[] = {"engineering_owner", "csm", "cs_manager"};
static const char *via_names[] = {"rotation", "manual"};
static const char *audience_names[] = {"external", "internal"};
static const char *clock_names[] = {"response", "resolution", "update", "review"};
static const char *event_names[] = {"EscalationOpened",
                                    "SeverityAssigned",
                                    "SeverityOverridden",
                                    "OwnerAssigned",
                                    "Acknowledged",
                                    "CustomerUpdatePosted",
                                    "Mitigated",
                                    "Resolved",
                                    "CustomerConfirmed",
                                    "Closed",
                                    "Reopened",
                                    "ReviewOpened",
                                    "CorrectiveActionAdded",
                                    "ReviewCompleted",
                                    "ChannelCreated",
                                    "TrackingIssueLinked",
                                    "PageSent",
                                    "UpdateOverdue",
                                    "SlaBreached",
                                    "UnownedEscalated",
                                    "CommandRejected",
                                    "OutboundRecorded"};
static const char *command_names[] = {"open",
                                      "ack",
                                      "update",
                                      "assign",
                                      "override",
                                      "mitigate",
                                      "resolve",
                                      "confirm",
                                      "close",
                                      "reopen",
                                      "review_open",
                                      "review_action",
                                      "review_complete",
                                      "record_channel",
                                      "record_tracking_issue",
                                      "record_page",
                                      "record_update_overdue",
                                      "record_sla_breach",
                                      "record_unowned_escalation",
                                      "record_outbound"};
static const char *command_records[] = {"OpenEscalation",
                                        "Acknowledge",
                                        "PostUpdate",
                                        "AssignOwner",
                                        "OverrideSeverity",
                                        "Mitigate",
                                        "Resolve",
                                        "Confirm",
                                        "Close",
                                        "Reopen",
                                        "OpenReview",
                                        "AddCorrectiveAction",
                                        "CompleteReview",
                                        "RecordChannel",
                                        "RecordTrackingIssue",
                                        "RecordPage",
                                        "RecordUpdateOverdue",
                                        "RecordSlaBreach",
                                        "RecordUnownedEscalation",
                                        "RecordOutbound"};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

_Static_assert(N(tier_names) == ESC_TIER__COUNT, "tier names");
_Static_assert(N(impact_names) == ESC_IMPACT__COUNT, "impact names");
_Static_assert(N(role_names) == ESC_ROLE__COUNT, "role names");
_Static_assert(N(via_names) == ESC_VIA__COUNT, "via names");
_Static_assert(N(audience_names) == ESC_AUDIENCE__COUNT, "audience names");
_Static_assert(N(clock_names) == ESC_CLOCK__COUNT, "clock names");
_Static_assert(N(event_names) == ESC_EV__COUNT, "event names");
_Static_assert(N(command_names) == ESC_CMD__COUNT, "command names");
_Static_assert(N(command_records) == ESC_CMD__COUNT, "command records");

static const char *name_of(const char **names, int n, int v)
{
        return v >= 0 && v < n ? names[v] : "unknown";
}

static int parse_name(const char **names, int n, const char *s)
{
        if (!s)
                return -1;
        for (int i = 0; i < n; i++)
                if (!strcmp(names[i], s))
                        return i;
        return -1;
}

#define NAME(type, arr)                                                                            \
        const char *esc_##type##_name(esc_##type##_t v)                                            \
        {                                                                                          \
                return name_of(arr, N(arr), (int)v);                                               \
        }
#define NAMES(type, arr)                                                                           \
        NAME(type, arr)                                                                            \
        int esc_##type##_parse(const char *s)                                                      \
        {                                                                                          \
                return parse_name(arr, N(arr), s);                                                 \
        }

NAMES(tier, tier_names)
NAMES(impact, impact_names)
NAMES(role, role_names)
NAME(via, via_names)
NAMES(audience, audience_names)
NAME(clock, clock_names)
NAMES(event_type, event_names)
NAMES(command_type, command_names)

const char *esc_enum_symbol(int which, int v)
{
        static const struct {
                const char **names;
                int n;
        } enums[] = {
                [ESC_ENUM_TIER] = {tier_names, N(tier_names)},
                [ESC_ENUM_IMPACT] = {impact_names, N(impact_names)},
                [ESC_ENUM_ROLE] = {role_names, N(role_names)},
                [ESC_ENUM_VIA] = {via_names, N(via_names)},
                [ESC_ENUM_AUDIENCE] = {audience_names, N(audience_names)},
                [ESC_ENUM_CLOCK] = {clock_names, N(clock_names)},
        };
        if (which < 0 || which >= N(enums))
                return "unknown";
        return name_of(enums[which].names, enums[which].n, v);
}

const char *esc_command_record_name(esc_command_type_t t)
{
        return name_of(command_records, N(command_records), (int)t);
}

/* ---- string lists ------------------------------------------------------- */

void esc_strlist_push(esc_strlist_t *l, const char *s)
{
        l->v = esc_xrealloc(l->v, (size_t)(l->n + 1) * sizeof(*l->v));
        l->v[l->n++] = esc_strdup(s);
}

void esc_strlist_clear(esc_strlist_t *l)
{
        for (int i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

static void strlist_copy(esc_strlist_t *dst, const esc_strlist_t *src)
{
        dst->v = NULL;
        dst->n = 0;
        for (int i = 0; i < src->n; i++)
                esc_strlist_push(dst, src->v[i]);
}

/* ---- payload shapes ----------------------------------------------------- */

enum shape {
        S_OPENED,
        S_SEV_ASSIGNED,
        S_SEV_OVERRIDDEN,
        S_OWNER_ASSIGNED,
        S_ACKNOWLEDGED,
        S_UPDATE_POSTED,
        S_BY_SUMMARY,
        S_CONFIRMED,
        S_CLOSED,
        S_REOPENED,
        S_REVIEW_OPENED,
        S_ACTION_ADDED,
        S_REVIEW_COMPLETED,
        S_CHANNEL_CREATED,
        S_TRACKING_LINKED,
        S_PAGE_SENT,
        S_UPDATE_OVERDUE,
        S_SLA_BREACHED,
        S_UNOWNED_ESCALATED,
        S_REJECTED,
        S_OUTBOUND_RECORDED,
        S__COUNT
};

enum { F_STR, F_LIST };

struct field {
        const char *name;
        size_t off;
        unsigned char kind;
        bool required;
        unsigned max;
};

#define STR(type, member, req, cap)                                                                \
        {                                                                                          \
#member, offsetof(type, member), F_STR, req, cap                                   \
        }
#define LIST(type, member, cap)                                                                    \
        {                                                                                          \
#member, offsetof(type, member), F_LIST, false, cap                                \
        }
#define END                                                                                        \
        {                                                                                          \
                NULL, 0, 0, false, 0                                                               \
        }

static const struct field opened_f[] = {STR(esc_opened_t, account.id, true, ESC_MAX_ID),
                                        STR(esc_opened_t, account.name, false, ESC_MAX_STR),
                                        STR(esc_opened_t, product_area, true, ESC_MAX_STR),
                                        STR(esc_opened_t, title, true, ESC_MAX_STR),
                                        STR(esc_opened_t, description, false, ESC_MAX_TEXT),
                                        STR(esc_opened_t, csm, false, ESC_MAX_ID),
                                        END};
static const struct field sev_assigned_f[] = {LIST(esc_sev_assigned_t, bump_reasons, ESC_MAX_STR),
                                              END};
static const struct field sev_overridden_f[] = {
        STR(esc_sev_overridden_t, by, true, ESC_MAX_ID),
        STR(esc_sev_overridden_t, reason, true, ESC_MAX_STR), END};
static const struct field owner_assigned_f[] = {STR(esc_owner_assigned_t, person, true, ESC_MAX_ID),
                                                END};
static const struct field acknowledged_f[] = {STR(esc_acknowledged_t, by, true, ESC_MAX_ID),
                                              STR(esc_acknowledged_t, message, true, ESC_MAX_TEXT),
                                              END};
static const struct field update_posted_f[] = {STR(esc_update_posted_t, by, true, ESC_MAX_ID),
                                               STR(esc_update_posted_t, body, true, ESC_MAX_TEXT),
                                               END};
static const struct field by_summary_f[] = {STR(esc_by_summary_t, by, true, ESC_MAX_ID),
                                            STR(esc_by_summary_t, summary, false, ESC_MAX_TEXT),
                                            END};
static const struct field confirmed_f[] = {STR(esc_confirmed_t, by, true, ESC_MAX_ID),
                                           STR(esc_confirmed_t, note, false, ESC_MAX_TEXT), END};
static const struct field closed_f[] = {STR(esc_closed_t, by, true, ESC_MAX_ID),
                                        STR(esc_closed_t, reason, false, ESC_MAX_STR), END};
static const struct field reopened_f[] = {STR(esc_reopened_t, by, true, ESC_MAX_ID),
                                          STR(esc_reopened_t, reason, true, ESC_MAX_STR), END};
static const struct field review_opened_f[] = {
        STR(esc_review_opened_t, tracker_url, false, ESC_MAX_STR), END};
static const struct field action_added_f[] = {
        STR(esc_action_added_t, action_id, true, ESC_MAX_ID),
        STR(esc_action_added_t, title, true, ESC_MAX_STR),
        STR(esc_action_added_t, owner, true, ESC_MAX_ID),
        STR(esc_action_added_t, tracker_url, false, ESC_MAX_STR), END};
static const struct field review_completed_f[] = {
        STR(esc_review_completed_t, root_cause, true, ESC_MAX_TEXT),
        LIST(esc_review_completed_t, five_whys, ESC_MAX_STR), END};
static const struct field channel_created_f[] = {
        STR(esc_channel_created_t, slack_channel_id, true, ESC_MAX_ID),
        STR(esc_channel_created_t, name, true, ESC_MAX_STR), END};
static const struct field tracking_linked_f[] = {
        STR(esc_tracking_linked_t, system, true, ESC_MAX_ID),
        STR(esc_tracking_linked_t, issue_id, true, ESC_MAX_ID),
        STR(esc_tracking_linked_t, url, true, ESC_MAX_STR), END};
static const struct field page_sent_f[] = {STR(esc_page_sent_t, service, true, ESC_MAX_STR),
                                           STR(esc_page_sent_t, dedup_key, true, ESC_MAX_STR),
                                           STR(esc_page_sent_t, to, true, ESC_MAX_ID), END};
static const struct field none_f[] = {END};
static const struct field unowned_escalated_f[] = {
        STR(esc_unowned_escalated_t, paged, true, ESC_MAX_ID), END};
static const struct field rejected_f[] = {STR(esc_rejected_t, command_type, true, ESC_MAX_ID),
                                          STR(esc_rejected_t, code, true, ESC_MAX_ID),
                                          STR(esc_rejected_t, message, true, ESC_MAX_STR), END};
static const struct field outbound_recorded_f[] = {
        STR(esc_outbound_recorded_t, target, true, ESC_MAX_ID),
        STR(esc_outbound_recorded_t, key, true, ESC_MAX_STR),
        STR(esc_outbound_recorded_t, external_id, false, ESC_MAX_STR),
        STR(esc_outbound_recorded_t, status, true, ESC_MAX_ID), END};

static const struct field *shape_fields[S__COUNT] = {
        [S_OPENED] = opened_f,
        [S_SEV_ASSIGNED] = sev_assigned_f,
        [S_SEV_OVERRIDDEN] = sev_overridden_f,
        [S_OWNER_ASSIGNED] = owner_assigned_f,
        [S_ACKNOWLEDGED] = acknowledged_f,
        [S_UPDATE_POSTED] = update_posted_f,
        [S_BY_SUMMARY] = by_summary_f,
        [S_CONFIRMED] = confirmed_f,
        [S_CLOSED] = closed_f,
        [S_REOPENED] = reopened_f,
        [S_REVIEW_OPENED] = review_opened_f,
        [S_ACTION_ADDED] = action_added_f,
        [S_REVIEW_COMPLETED] = review_completed_f,
        [S_CHANNEL_CREATED] = channel_created_f,
        [S_TRACKING_LINKED] = tracking_linked_f,
        [S_PAGE_SENT] = page_sent_f,
        [S_UPDATE_OVERDUE] = none_f,
        [S_SLA_BREACHED] = none_f,
        [S_UNOWNED_ESCALATED] = unowned_escalated_f,
        [S_REJECTED] = rejected_f,
        [S_OUTBOUND_RECORDED] = outbound_recorded_f,
};

static const enum shape event_shape[ESC_EV__COUNT] = {
        [ESC_EV_ESCALATION_OPENED] = S_OPENED,
        [ESC_EV_SEVERITY_ASSIGNED] = S_SEV_ASSIGNED,
        [ESC_EV_SEVERITY_OVERRIDDEN] = S_SEV_OVERRIDDEN,
        [ESC_EV_OWNER_ASSIGNED] = S_OWNER_ASSIGNED,
        [ESC_EV_ACKNOWLEDGED] = S_ACKNOWLEDGED,
        [ESC_EV_CUSTOMER_UPDATE_POSTED] = S_UPDATE_POSTED,
        [ESC_EV_MITIGATED] = S_BY_SUMMARY,
        [ESC_EV_RESOLVED] = S_BY_SUMMARY,
        [ESC_EV_CUSTOMER_CONFIRMED] = S_CONFIRMED,
        [ESC_EV_CLOSED] = S_CLOSED,
        [ESC_EV_REOPENED] = S_REOPENED,
        [ESC_EV_REVIEW_OPENED] = S_REVIEW_OPENED,
        [ESC_EV_CORRECTIVE_ACTION_ADDED] = S_ACTION_ADDED,
        [ESC_EV_REVIEW_COMPLETED] = S_REVIEW_COMPLETED,
        [ESC_EV_CHANNEL_CREATED] = S_CHANNEL_CREATED,
        [ESC_EV_TRACKING_ISSUE_LINKED] = S_TRACKING_LINKED,
        [ESC_EV_PAGE_SENT] = S_PAGE_SENT,
        [ESC_EV_UPDATE_OVERDUE] = S_UPDATE_OVERDUE,
        [ESC_EV_SLA_BREACHED] = S_SLA_BREACHED,
        [ESC_EV_UNOWNED_ESCALATED] = S_UNOWNED_ESCALATED,
        [ESC_EV_COMMAND_REJECTED] = S_REJECTED,
        [ESC_EV_OUTBOUND_RECORDED] = S_OUTBOUND_RECORDED,
};

static const enum shape command_shape[ESC_CMD__COUNT] = {
        [ESC_CMD_OPEN] = S_OPENED,
        [ESC_CMD_ACK] = S_ACKNOWLEDGED,
        [ESC_CMD_UPDATE] = S_UPDATE_POSTED,
        [ESC_CMD_ASSIGN] = S_OWNER_ASSIGNED,
        [ESC_CMD_OVERRIDE] = S_SEV_OVERRIDDEN,
        [ESC_CMD_MITIGATE] = S_BY_SUMMARY,
        [ESC_CMD_RESOLVE] = S_BY_SUMMARY,
        [ESC_CMD_CONFIRM] = S_CONFIRMED,
        [ESC_CMD_CLOSE] = S_CLOSED,
        [ESC_CMD_REOPEN] = S_REOPENED,
        [ESC_CMD_REVIEW_OPEN] = S_REVIEW_OPENED,
        [ESC_CMD_REVIEW_ACTION] = S_ACTION_ADDED,
        [ESC_CMD_REVIEW_COMPLETE] = S_REVIEW_COMPLETED,
        [ESC_CMD_RECORD_CHANNEL] = S_CHANNEL_CREATED,
        [ESC_CMD_RECORD_TRACKING_ISSUE] = S_TRACKING_LINKED,
        [ESC_CMD_RECORD_PAGE] = S_PAGE_SENT,
        [ESC_CMD_RECORD_UPDATE_OVERDUE] = S_UPDATE_OVERDUE,
        [ESC_CMD_RECORD_SLA_BREACH] = S_SLA_BREACHED,
        [ESC_CMD_RECORD_UNOWNED_ESCALATION] = S_UNOWNED_ESCALATED,
        [ESC_CMD_RECORD_OUTBOUND] = S_OUTBOUND_RECORDED,
};

static char **str_at(void *payload, const struct field *f)
{
        return (char **)((char *)payload + f->off);
}

static esc_strlist_t *list_at(void *payload, const struct field *f)
{
        return (esc_strlist_t *)((char *)payload + f->off);
}

static void payload_free(void *payload, enum shape s)
{
        for (const struct field *f = shape_fields[s]; f->name; f++) {
                if (f->kind == F_STR) {
                        free(*str_at(payload, f));
                        *str_at(payload, f) = NULL;
                } else {
                        esc_strlist_clear(list_at(payload, f));
                }
        }
}

/* dst is a bitwise copy of src on entry; replace borrowed pointers with
 * owned copies. */
static void payload_deepen(void *dst, enum shape s)
{
        for (const struct field *f = shape_fields[s]; f->name; f++) {
                if (f->kind == F_STR) {
                        char **p = str_at(dst, f);
                        *p = esc_strdup(*p);
                } else {
                        esc_strlist_t src = *list_at(dst, f);
                        strlist_copy(list_at(dst, f), &src);
                }
        }
}

/* Optional timestamps/dates/numbers of each shape start as "null". */
static void payload_init(void *payload, size_t size, enum shape s)
{
        memset(payload, 0, size);
        switch (s) {
        case S_OPENED: {
                esc_opened_t *o = payload;
                o->account.health_score = -1;
                o->account.renewal_date = ESC_DATE_NONE;
                o->detected_at = ESC_TIME_NONE;
                break;
        }
        case S_SEV_ASSIGNED: {
                esc_sev_assigned_t *a = payload;
                a->response_due_at = a->next_update_due_at = a->resolution_due_at = ESC_TIME_NONE;
                break;
        }
        case S_SEV_OVERRIDDEN: {
                esc_sev_overridden_t *o = payload;
                o->response_due_at = o->next_update_due_at = o->resolution_due_at = ESC_TIME_NONE;
                break;
        }
        case S_ACKNOWLEDGED:
                ((esc_acknowledged_t *)payload)->next_update_at = ESC_TIME_NONE;
                break;
        case S_UPDATE_POSTED:
                ((esc_update_posted_t *)payload)->next_update_at = ESC_TIME_NONE;
                break;
        case S_CLOSED:
                ((esc_closed_t *)payload)->confirmed = true;
                break;
        case S_REVIEW_OPENED:
                ((esc_review_opened_t *)payload)->due_at = ESC_TIME_NONE;
                break;
        case S_ACTION_ADDED:
                ((esc_action_added_t *)payload)->due_date = ESC_DATE_NONE;
                break;
        case S_UPDATE_OVERDUE:
                ((esc_update_overdue_t *)payload)->due_at = ESC_TIME_NONE;
                break;
        case S_SLA_BREACHED:
                ((esc_sla_breached_t *)payload)->due_at = ESC_TIME_NONE;
                break;
        case S_UNOWNED_ESCALATED:
                ((esc_unowned_escalated_t *)payload)->due_at = ESC_TIME_NONE;
                break;
        default:
                break;
        }
}

static void source_free(esc_source_t *s)
{
        free(s->system);
        free(s->ticket_id);
        free(s->url);
        memset(s, 0, sizeof(*s));
}

static void source_deepen(esc_source_t *s)
{
        s->system = esc_strdup(s->system);
        s->ticket_id = esc_strdup(s->ticket_id);
        s->url = esc_strdup(s->url);
}

/* ---- events ------------------------------------------------------------- */

void esc_event_init(esc_event_t *ev, esc_event_type_t type)
{
        memset(ev, 0, sizeof(*ev));
        ev->type = type;
        ev->occurred_at = ev->recorded_at = ESC_TIME_NONE;
        ev->command_partition = -1;
        ev->command_offset = -1;
        if ((int)type >= 0 && type < ESC_EV__COUNT)
                payload_init(&ev->p, sizeof(ev->p), event_shape[type]);
}

void esc_event_clear(esc_event_t *ev)
{
        esc_event_type_t type = ev->type;

        free(ev->event_id);
        free(ev->incident_id);
        free(ev->actor);
        free(ev->command_id);
        free(ev->policy_version);
        source_free(&ev->source);
        if ((int)type >= 0 && type < ESC_EV__COUNT)
                payload_free(&ev->p, event_shape[type]);
        esc_event_init(ev, type);
}

void esc_event_copy(esc_event_t *dst, const esc_event_t *src)
{
        *dst = *src;
        dst->event_id = esc_strdup(src->event_id);
        dst->incident_id = esc_strdup(src->incident_id);
        dst->actor = esc_strdup(src->actor);
        dst->command_id = esc_strdup(src->command_id);
        dst->policy_version = esc_strdup(src->policy_version);
        source_deepen(&dst->source);
        if ((int)src->type >= 0 && src->type < ESC_EV__COUNT)
                payload_deepen(&dst->p, event_shape[src->type]);
}

/* ---- commands ----------------------------------------------------------- */

void esc_command_init(esc_command_t *cmd, esc_command_type_t type)
{
        memset(cmd, 0, sizeof(*cmd));
        cmd->type = type;
        cmd->issued_at = cmd->occurred_at = ESC_TIME_NONE;
        if ((int)type >= 0 && type < ESC_CMD__COUNT)
                payload_init(&cmd->p, sizeof(cmd->p), command_shape[type]);
        if (type == ESC_CMD_ASSIGN)
                cmd->p.assign.via = ESC_VIA_MANUAL;
}

void esc_command_clear(esc_command_t *cmd)
{
        esc_command_type_t type = cmd->type;

        free(cmd->command_id);
        free(cmd->incident_id);
        free(cmd->actor);
        source_free(&cmd->source);
        if ((int)type >= 0 && type < ESC_CMD__COUNT)
                payload_free(&cmd->p, command_shape[type]);
        esc_command_init(cmd, type);
}

void esc_command_copy(esc_command_t *dst, const esc_command_t *src)
{
        *dst = *src;
        dst->command_id = esc_strdup(src->command_id);
        dst->incident_id = esc_strdup(src->incident_id);
        dst->actor = esc_strdup(src->actor);
        source_deepen(&dst->source);
        if ((int)src->type >= 0 && src->type < ESC_CMD__COUNT)
                payload_deepen(&dst->p, command_shape[src->type]);
}

/* ---- validation --------------------------------------------------------- */

/* What validation re-checks: everything, or (for objects the codec just
 * decoded, whose every string it checked for UTF-8 and NUL bytes while
 * reading it) everything but the strings' encoding. */
enum check { CHECK_ALL, CHECK_DECODED };

static int check_str(enum check c, const char *what, const char *field, const char *s,
                     bool required, size_t max, char *errbuf, size_t errbuf_size)
{
        if (!s) {
                if (required)
                        return esc_err(errbuf, errbuf_size, "%s.%s: missing (required)", what,
                                       field);
                return 0;
        }
        size_t n = strlen(s);
        if (n > max)
                return esc_err(errbuf, errbuf_size, "%s.%s: longer than %zu bytes (%zu)", what,
                               field, max, n);
        if (c == CHECK_ALL && !esc_utf8_valid(s, n))
                return esc_err(errbuf, errbuf_size, "%s.%s: not valid UTF-8", what, field);
        return 0;
}

static int check_fields(enum check c, const char *what, const void *payload, enum shape s,
                        char *errbuf, size_t errbuf_size)
{
        for (const struct field *f = shape_fields[s]; f->name; f++) {
                if (f->kind == F_STR) {
                        if (check_str(c, what, f->name, *str_at((void *)payload, f), f->required,
                                      f->max, errbuf, errbuf_size))
                                return -1;
                        continue;
                }
                const esc_strlist_t *l = list_at((void *)payload, f);
                if (l->n > ESC_MAX_LIST)
                        return esc_err(errbuf, errbuf_size, "%s.%s: more than %d entries", what,
                                       f->name, ESC_MAX_LIST);
                for (int i = 0; i < l->n; i++) {
                        char name[64];
                        if (!check_str(c, what, f->name, l->v[i], true, f->max, NULL, 0))
                                continue;
                        /* Named with its index only when it fails (the
                         * formatting would cost more than the check). */
                        snprintf(name, sizeof(name), "%s[%d]", f->name, i);
                        return check_str(c, what, name, l->v[i], true, f->max, errbuf, errbuf_size);
                }
        }
        return 0;
}

static int check_range(const char *what, const char *field, long long v, long long lo, long long hi,
                       char *errbuf, size_t errbuf_size)
{
        if (v < lo || v > hi)
                return esc_err(errbuf, errbuf_size, "%s.%s: %lld is out of range %lld..%lld", what,
                               field, v, lo, hi);
        return 0;
}

/* Enum and number ranges per shape. */
static int check_numbers(const char *what, const void *payload, enum shape s, char *errbuf,
                         size_t errbuf_size)
{
        switch (s) {
        case S_OPENED: {
                const esc_opened_t *o = payload;
                return check_range(what, "account.tier", o->account.tier, 0, ESC_TIER__COUNT - 1,
                                   errbuf, errbuf_size) ||
                       check_range(what, "account.health_score", o->account.health_score, -1, 100,
                                   errbuf, errbuf_size) ||
                       check_range(what, "impact", o->impact, 0, ESC_IMPACT__COUNT - 1, errbuf,
                                   errbuf_size);
        }
        case S_SEV_ASSIGNED: {
                const esc_sev_assigned_t *a = payload;
                return check_range(what, "sev", a->sev, 1, 4, errbuf, errbuf_size) ||
                       check_range(what, "matrix_sev", a->matrix_sev, 1, 4, errbuf, errbuf_size);
        }
        case S_SEV_OVERRIDDEN: {
                const esc_sev_overridden_t *o = payload;
                /* from_sev is 0 in a command (the ledger fills it in). */
                return check_range(what, "from_sev", o->from_sev, 0, 4, errbuf, errbuf_size) ||
                       check_range(what, "to_sev", o->to_sev, 1, 4, errbuf, errbuf_size);
        }
        case S_OWNER_ASSIGNED: {
                const esc_owner_assigned_t *a = payload;
                return check_range(what, "role", a->role, 0, ESC_ROLE__COUNT - 1, errbuf,
                                   errbuf_size) ||
                       check_range(what, "via", a->via, 0, ESC_VIA__COUNT - 1, errbuf, errbuf_size);
        }
        case S_UPDATE_POSTED:
                return check_range(what, "audience",
                                   ((const esc_update_posted_t *)payload)->audience, 0,
                                   ESC_AUDIENCE__COUNT - 1, errbuf, errbuf_size);
        case S_UPDATE_OVERDUE:
                return check_range(what, "reminder_no",
                                   ((const esc_update_overdue_t *)payload)->reminder_no, 0,
                                   INT32_MAX, errbuf, errbuf_size);
        case S_SLA_BREACHED:
                return check_range(what, "clock", ((const esc_sla_breached_t *)payload)->clock, 0,
                                   ESC_CLOCK__COUNT - 1, errbuf, errbuf_size);
        default:
                return 0;
        }
}

static int check_source(enum check c, const char *what, const esc_source_t *s, char *errbuf,
                        size_t errbuf_size)
{
        if (!s->system) {
                if (s->ticket_id || s->url)
                        return esc_err(errbuf, errbuf_size,
                                       "%s.source.system: missing while ticket_id/url are set",
                                       what);
                return 0;
        }
        return check_str(c, what, "source.system", s->system, true, ESC_MAX_ID, errbuf,
                         errbuf_size) ||
               check_str(c, what, "source.ticket_id", s->ticket_id, false, ESC_MAX_ID, errbuf,
                         errbuf_size) ||
               check_str(c, what, "source.url", s->url, false, ESC_MAX_STR, errbuf, errbuf_size);
}

static int event_check(enum check c, const esc_event_t *ev, char *errbuf, size_t errbuf_size)
{
        if ((int)ev->type < 0 || ev->type >= ESC_EV__COUNT)
                return esc_err(errbuf, errbuf_size, "event.type: unknown type %d", (int)ev->type);
        const char *what = esc_event_type_name(ev->type);
        enum shape s = event_shape[ev->type];

        if (check_str(c, "event", "event_id", ev->event_id, true, ESC_MAX_ID, errbuf,
                      errbuf_size) ||
            check_str(c, "event", "incident_id", ev->incident_id, true, ESC_MAX_ID, errbuf,
                      errbuf_size) ||
            check_str(c, "event", "actor", ev->actor, true, ESC_MAX_ID, errbuf, errbuf_size) ||
            check_str(c, "event", "command_id", ev->command_id, true, ESC_MAX_ID, errbuf,
                      errbuf_size) ||
            check_str(c, "event", "policy_version", ev->policy_version, true, ESC_MAX_ID, errbuf,
                      errbuf_size) ||
            check_source(c, "event", &ev->source, errbuf, errbuf_size))
                return -1;
        if (ev->seq < 1)
                return esc_err(errbuf, errbuf_size, "event.seq: %lld is not >= 1",
                               (long long)ev->seq);
        if (ev->occurred_at == ESC_TIME_NONE || ev->recorded_at == ESC_TIME_NONE)
                return esc_err(errbuf, errbuf_size, "event.occurred_at/recorded_at: missing");
        return check_fields(c, what, &ev->p, s, errbuf, errbuf_size) ||
                               check_numbers(what, &ev->p, s, errbuf, errbuf_size)
                       ? -1
                       : 0;
}

static int command_check(enum check c, const esc_command_t *cmd, char *errbuf, size_t errbuf_size)
{
        if ((int)cmd->type < 0 || cmd->type >= ESC_CMD__COUNT)
                return esc_err(errbuf, errbuf_size, "command.type: unknown type %d",
                               (int)cmd->type);
        const char *what = esc_command_type_name(cmd->type);
        enum shape s = command_shape[cmd->type];

        if (check_str(c, "command", "command_id", cmd->command_id, true, ESC_MAX_ID, errbuf,
                      errbuf_size) ||
            check_str(c, "command", "incident_id", cmd->incident_id, true, ESC_MAX_ID, errbuf,
                      errbuf_size) ||
            check_str(c, "command", "actor", cmd->actor, true, ESC_MAX_ID, errbuf, errbuf_size) ||
            check_source(c, "command", &cmd->source, errbuf, errbuf_size))
                return -1;
        if (cmd->occurred_at == ESC_TIME_NONE)
                return esc_err(errbuf, errbuf_size, "command.occurred_at: missing");
        return check_fields(c, what, &cmd->p, s, errbuf, errbuf_size) ||
                               check_numbers(what, &cmd->p, s, errbuf, errbuf_size)
                       ? -1
                       : 0;
}

int esc_event_validate(const esc_event_t *ev, char *errbuf, size_t errbuf_size)
{
        return event_check(CHECK_ALL, ev, errbuf, errbuf_size);
}

int esc_event_validate_decoded(const esc_event_t *ev, char *errbuf, size_t errbuf_size)
{
        return event_check(CHECK_DECODED, ev, errbuf, errbuf_size);
}

int esc_command_validate(const esc_command_t *cmd, char *errbuf, size_t errbuf_size)
{
        return command_check(CHECK_ALL, cmd, errbuf, errbuf_size);
}

int esc_command_validate_decoded(const esc_command_t *cmd, char *errbuf, size_t errbuf_size)
{
        return command_check(CHECK_DECODED, cmd, errbuf, errbuf_size);
}
