/* fields.c — the field table (see fields.h), its one generic writer and
 * the template formatter of one-line texts. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/fields.h"
#include "core/util.h"

_Static_assert(sizeof(esc_tier_t) == sizeof(int), "C enums are int-sized");
_Static_assert(sizeof(esc_event_type_t) == sizeof(int), "C enums are int-sized");
_Static_assert(sizeof(bool) == 1, "bool is a byte");

static const esc_field_t source_f[] = {
        ESC_FLD(esc_source_t, system, ESC_FK_STR),
        ESC_FLD(esc_source_t, ticket_id, ESC_FK_OPT_STR),
        ESC_FLD(esc_source_t, url, ESC_FK_OPT_STR),
};
static const esc_rec_t source_r = ESC_REC("Source", source_f);

static const esc_field_t account_f[] = {
        ESC_FLD(esc_account_t, id, ESC_FK_STR),
        ESC_FLD(esc_account_t, name, ESC_FK_OPT_STR),
        ESC_FEN(esc_account_t, tier, ESC_TIER__COUNT, ESC_ENUM_TIER),
        ESC_FLD(esc_account_t, health_score, ESC_FK_OPT_INT),
        ESC_FLD(esc_account_t, paying, ESC_FK_BOOL),
        ESC_FLD(esc_account_t, renewal_date, ESC_FK_OPT_DATE),
};
static const esc_rec_t account_r = ESC_REC("Account", account_f);

#define OPENED_COMMON                                                                              \
        ESC_FREC(esc_opened_t, account, ESC_FK_RECORD, account_r),                                 \
                ESC_FLD(esc_opened_t, product_area, ESC_FK_STR),                                   \
                ESC_FLD(esc_opened_t, title, ESC_FK_STR),                                          \
                ESC_FLD(esc_opened_t, description, ESC_FK_OPT_STR),                                \
                ESC_FEN(esc_opened_t, impact, ESC_IMPACT__COUNT, ESC_ENUM_IMPACT),                 \
                ESC_FLD(esc_opened_t, detected_at, ESC_FK_TIME)

static const esc_field_t opened_f[] = {OPENED_COMMON};
static const esc_field_t open_cmd_f[] = {OPENED_COMMON, ESC_FLD(esc_opened_t, csm, ESC_FK_OPT_STR)};
static const esc_field_t sev_assigned_f[] = {
        ESC_FLD(esc_sev_assigned_t, sev, ESC_FK_INT),
        ESC_FLD(esc_sev_assigned_t, matrix_sev, ESC_FK_INT),
        ESC_FLD(esc_sev_assigned_t, bumped, ESC_FK_BOOL),
        ESC_FLD(esc_sev_assigned_t, bump_reasons, ESC_FK_STRLIST),
        ESC_FLD(esc_sev_assigned_t, response_due_at, ESC_FK_TIME),
        ESC_FLD(esc_sev_assigned_t, next_update_due_at, ESC_FK_OPT_TIME),
        ESC_FLD(esc_sev_assigned_t, resolution_due_at, ESC_FK_OPT_TIME),
};
static const esc_field_t sev_overridden_f[] = {
        ESC_FLD(esc_sev_overridden_t, from_sev, ESC_FK_INT),
        ESC_FLD(esc_sev_overridden_t, to_sev, ESC_FK_INT),
        ESC_FLD(esc_sev_overridden_t, by, ESC_FK_STR),
        ESC_FLD(esc_sev_overridden_t, reason, ESC_FK_STR),
        ESC_FLD(esc_sev_overridden_t, response_due_at, ESC_FK_TIME),
        ESC_FLD(esc_sev_overridden_t, next_update_due_at, ESC_FK_OPT_TIME),
        ESC_FLD(esc_sev_overridden_t, resolution_due_at, ESC_FK_OPT_TIME),
};
static const esc_field_t override_cmd_f[] = {
        ESC_FLD(esc_sev_overridden_t, to_sev, ESC_FK_INT),
        ESC_FLD(esc_sev_overridden_t, by, ESC_FK_STR),
        ESC_FLD(esc_sev_overridden_t, reason, ESC_FK_STR),
};
static const esc_field_t owner_assigned_f[] = {
        ESC_FEN(esc_owner_assigned_t, role, ESC_ROLE__COUNT, ESC_ENUM_ROLE),
        ESC_FLD(esc_owner_assigned_t, person, ESC_FK_STR),
        ESC_FEN(esc_owner_assigned_t, via, ESC_VIA__COUNT, ESC_ENUM_VIA),
};
static const esc_field_t assign_cmd_f[] = {
        ESC_FEN(esc_owner_assigned_t, role, ESC_ROLE__COUNT, ESC_ENUM_ROLE),
        ESC_FLD(esc_owner_assigned_t, person, ESC_FK_STR),
};
static const esc_field_t acknowledged_f[] = {
        ESC_FLD(esc_acknowledged_t, by, ESC_FK_STR),
        ESC_FLD(esc_acknowledged_t, message, ESC_FK_STR),
        ESC_FLD(esc_acknowledged_t, next_update_at, ESC_FK_TIME),
};
static const esc_field_t update_posted_f[] = {
        ESC_FLD(esc_update_posted_t, by, ESC_FK_STR),
        ESC_FEN(esc_update_posted_t, audience, ESC_AUDIENCE__COUNT, ESC_ENUM_AUDIENCE),
        ESC_FLD(esc_update_posted_t, body, ESC_FK_STR),
        ESC_FLD(esc_update_posted_t, next_update_at, ESC_FK_OPT_TIME),
};
static const esc_field_t by_summary_f[] = {
        ESC_FLD(esc_by_summary_t, by, ESC_FK_STR),
        ESC_FLD(esc_by_summary_t, summary, ESC_FK_OPT_STR),
};
static const esc_field_t confirmed_f[] = {
        ESC_FLD(esc_confirmed_t, by, ESC_FK_STR),
        ESC_FLD(esc_confirmed_t, note, ESC_FK_OPT_STR),
};
static const esc_field_t closed_f[] = {
        ESC_FLD(esc_closed_t, by, ESC_FK_STR),
        ESC_FLD(esc_closed_t, confirmed, ESC_FK_BOOL),
        ESC_FLD(esc_closed_t, reason, ESC_FK_OPT_STR),
};
static const esc_field_t reopened_f[] = {
        ESC_FLD(esc_reopened_t, by, ESC_FK_STR),
        ESC_FLD(esc_reopened_t, reason, ESC_FK_STR),
};
static const esc_field_t review_opened_f[] = {
        ESC_FLD(esc_review_opened_t, tracker_url, ESC_FK_OPT_STR),
        ESC_FLD(esc_review_opened_t, due_at, ESC_FK_TIME),
};
static const esc_field_t review_open_cmd_f[] = {
        ESC_FLD(esc_review_opened_t, tracker_url, ESC_FK_OPT_STR),
};
static const esc_field_t action_added_f[] = {
        ESC_FLD(esc_action_added_t, action_id, ESC_FK_STR),
        ESC_FLD(esc_action_added_t, title, ESC_FK_STR),
        ESC_FLD(esc_action_added_t, owner, ESC_FK_STR),
        ESC_FLD(esc_action_added_t, due_date, ESC_FK_DATE),
        ESC_FLD(esc_action_added_t, tracker_url, ESC_FK_OPT_STR),
};
static const esc_field_t review_completed_f[] = {
        ESC_FLD(esc_review_completed_t, root_cause, ESC_FK_STR),
        ESC_FLD(esc_review_completed_t, five_whys, ESC_FK_STRLIST),
};
static const esc_field_t channel_created_f[] = {
        ESC_FLD(esc_channel_created_t, slack_channel_id, ESC_FK_STR),
        ESC_FLD(esc_channel_created_t, name, ESC_FK_STR),
};
static const esc_field_t tracking_linked_f[] = {
        ESC_FLD(esc_tracking_linked_t, system, ESC_FK_STR),
        ESC_FLD(esc_tracking_linked_t, issue_id, ESC_FK_STR),
        ESC_FLD(esc_tracking_linked_t, url, ESC_FK_STR),
};
static const esc_field_t page_sent_f[] = {
        ESC_FLD(esc_page_sent_t, service, ESC_FK_STR),
        ESC_FLD(esc_page_sent_t, dedup_key, ESC_FK_STR),
        ESC_FLD(esc_page_sent_t, to, ESC_FK_STR),
};
static const esc_field_t update_overdue_f[] = {
        ESC_FLD(esc_update_overdue_t, due_at, ESC_FK_TIME),
        ESC_FLD(esc_update_overdue_t, reminder_no, ESC_FK_INT),
};
static const esc_field_t sla_breached_f[] = {
        ESC_FEN(esc_sla_breached_t, clock, ESC_CLOCK__COUNT, ESC_ENUM_CLOCK),
        ESC_FLD(esc_sla_breached_t, due_at, ESC_FK_TIME),
};
static const esc_field_t unowned_escalated_f[] = {
        ESC_FLD(esc_unowned_escalated_t, due_at, ESC_FK_TIME),
        ESC_FLD(esc_unowned_escalated_t, paged, ESC_FK_STR),
};
static const esc_field_t rejected_f[] = {
        ESC_FLD(esc_rejected_t, command_type, ESC_FK_STR),
        ESC_FLD(esc_rejected_t, code, ESC_FK_STR),
        ESC_FLD(esc_rejected_t, message, ESC_FK_STR),
};

static const esc_field_t outbound_recorded_f[] = {
        ESC_FLD(esc_outbound_recorded_t, target, ESC_FK_STR),
        ESC_FLD(esc_outbound_recorded_t, key, ESC_FK_STR),
        ESC_FLD(esc_outbound_recorded_t, external_id, ESC_FK_OPT_STR),
        ESC_FLD(esc_outbound_recorded_t, status, ESC_FK_STR),
};

/* Branch order = esc_event_type_t order = the schema's payload union. */
const esc_rec_t esc_fields_event_payloads[ESC_EV__COUNT] = {
        ESC_REC("EscalationOpened", opened_f),
        ESC_REC("SeverityAssigned", sev_assigned_f),
        ESC_REC("SeverityOverridden", sev_overridden_f),
        ESC_REC("OwnerAssigned", owner_assigned_f),
        ESC_REC("Acknowledged", acknowledged_f),
        ESC_REC("CustomerUpdatePosted", update_posted_f),
        ESC_REC("Mitigated", by_summary_f),
        ESC_REC("Resolved", by_summary_f),
        ESC_REC("CustomerConfirmed", confirmed_f),
        ESC_REC("Closed", closed_f),
        ESC_REC("Reopened", reopened_f),
        ESC_REC("ReviewOpened", review_opened_f),
        ESC_REC("CorrectiveActionAdded", action_added_f),
        ESC_REC("ReviewCompleted", review_completed_f),
        ESC_REC("ChannelCreated", channel_created_f),
        ESC_REC("TrackingIssueLinked", tracking_linked_f),
        ESC_REC("PageSent", page_sent_f),
        ESC_REC("UpdateOverdue", update_overdue_f),
        ESC_REC("SlaBreached", sla_breached_f),
        ESC_REC("UnownedEscalated", unowned_escalated_f),
        ESC_REC("CommandRejected", rejected_f),
        ESC_REC("OutboundRecorded", outbound_recorded_f),
};

const esc_rec_t esc_fields_command_payloads[ESC_CMD__COUNT] = {
        ESC_REC("OpenEscalation", open_cmd_f),
        ESC_REC("Acknowledge", acknowledged_f),
        ESC_REC("PostUpdate", update_posted_f),
        ESC_REC("AssignOwner", assign_cmd_f),
        ESC_REC("OverrideSeverity", override_cmd_f),
        ESC_REC("Mitigate", by_summary_f),
        ESC_REC("Resolve", by_summary_f),
        ESC_REC("Confirm", confirmed_f),
        ESC_REC("Close", closed_f),
        ESC_REC("Reopen", reopened_f),
        ESC_REC("OpenReview", review_open_cmd_f),
        ESC_REC("AddCorrectiveAction", action_added_f),
        ESC_REC("CompleteReview", review_completed_f),
        ESC_REC("RecordChannel", channel_created_f),
        ESC_REC("RecordTrackingIssue", tracking_linked_f),
        ESC_REC("RecordPage", page_sent_f),
        ESC_REC("RecordUpdateOverdue", update_overdue_f),
        ESC_REC("RecordSlaBreach", sla_breached_f),
        ESC_REC("RecordUnownedEscalation", unowned_escalated_f),
        ESC_REC("RecordOutbound", outbound_recorded_f),
};

static const esc_field_t event_f[] = {
        ESC_FLD(esc_event_t, event_id, ESC_FK_STR),
        ESC_FLD(esc_event_t, incident_id, ESC_FK_STR),
        ESC_FLD(esc_event_t, seq, ESC_FK_LONG),
        ESC_FANY("type", ESC_FK_TYPE, offsetof(esc_event_t, type), ESC_EV__COUNT, NULL),
        ESC_FLD(esc_event_t, occurred_at, ESC_FK_TIME),
        ESC_FLD(esc_event_t, recorded_at, ESC_FK_TIME),
        ESC_FLD(esc_event_t, actor, ESC_FK_STR),
        ESC_FREC(esc_event_t, source, ESC_FK_OPT_SOURCE, source_r),
        ESC_FLD(esc_event_t, command_id, ESC_FK_STR),
        ESC_FLD(esc_event_t, command_partition, ESC_FK_I32),
        ESC_FLD(esc_event_t, command_offset, ESC_FK_LONG),
        ESC_FLD(esc_event_t, policy_version, ESC_FK_STR),
        ESC_FLD(esc_event_t, prev_hash, ESC_FK_HASH),
        ESC_FLD(esc_event_t, hash, ESC_FK_HASH),
        ESC_FANY("payload", ESC_FK_PAYLOAD, offsetof(esc_event_t, p), ESC_EV__COUNT,
                 esc_fields_event_payloads),
};
const esc_rec_t esc_fields_event = ESC_REC("Event", event_f);

static const esc_field_t command_f[] = {
        ESC_FLD(esc_command_t, command_id, ESC_FK_STR),
        ESC_FLD(esc_command_t, incident_id, ESC_FK_STR),
        ESC_FANY("type", ESC_FK_TYPE, offsetof(esc_command_t, type), ESC_CMD__COUNT, NULL),
        ESC_FLD(esc_command_t, issued_at, ESC_FK_OPT_TIME),
        ESC_FLD(esc_command_t, occurred_at, ESC_FK_TIME),
        ESC_FLD(esc_command_t, actor, ESC_FK_STR),
        ESC_FREC(esc_command_t, source, ESC_FK_OPT_SOURCE, source_r),
        ESC_FANY("payload", ESC_FK_PAYLOAD, offsetof(esc_command_t, p), ESC_CMD__COUNT,
                 esc_fields_command_payloads),
};
const esc_rec_t esc_fields_command = ESC_REC("Command", command_f);

#define AT(base, f, T) ((const T *)((const char *)(base) + (f)->off))

static void write_value(const esc_field_t *f, const void *base, const esc_fields_sink_t *s,
                        void *ctx)
{
        switch (f->kind) {
        case ESC_FK_STR:
        case ESC_FK_OPT_STR: {
                const char *v = *AT(base, f, char *);
                if (v)
                        s->str(ctx, v);
                else
                        s->null(ctx);
                break;
        }
        case ESC_FK_INT:
                s->num(ctx, *AT(base, f, int));
                break;
        case ESC_FK_I32:
                s->num(ctx, *AT(base, f, int32_t));
                break;
        case ESC_FK_LONG:
                s->num(ctx, *AT(base, f, int64_t));
                break;
        case ESC_FK_OPT_INT:
                if (*AT(base, f, int) < 0)
                        s->null(ctx);
                else
                        s->num(ctx, *AT(base, f, int));
                break;
        case ESC_FK_BOOL:
                s->boolean(ctx, *AT(base, f, bool));
                break;
        case ESC_FK_ENUM:
                s->str(ctx, esc_enum_symbol(f->symbols, *AT(base, f, int)));
                break;
        case ESC_FK_TIME:
        case ESC_FK_OPT_TIME:
                if (*AT(base, f, esc_time_t) == ESC_TIME_NONE)
                        s->null(ctx);
                else
                        s->time(ctx, *AT(base, f, esc_time_t));
                break;
        case ESC_FK_DATE:
        case ESC_FK_OPT_DATE:
                if (*AT(base, f, esc_date_t) == ESC_DATE_NONE)
                        s->null(ctx);
                else
                        s->date(ctx, *AT(base, f, esc_date_t));
                break;
        case ESC_FK_STRLIST: {
                const esc_strlist_t *l = AT(base, f, esc_strlist_t);
                s->open(ctx, true);
                for (int i = 0; i < l->n; i++)
                        s->str(ctx, l->v[i]);
                s->close(ctx, true);
                break;
        }
        case ESC_FK_RECORD:
                esc_fields_write(f->sub, AT(base, f, char), s, ctx);
                break;
        case ESC_FK_OPT_SOURCE:
                if (AT(base, f, esc_source_t)->system)
                        esc_fields_write(f->sub, AT(base, f, char), s, ctx);
                else
                        s->null(ctx);
                break;
        default:
                s->null(ctx);
                break; /* envelope kinds: not part of a payload */
        }
}

void esc_fields_write(const esc_rec_t *r, const void *base, const esc_fields_sink_t *sink,
                      void *ctx)
{
        sink->open(ctx, false);
        for (int i = 0; i < r->n; i++) {
                sink->key(ctx, r->f[i].name);
                write_value(&r->f[i], base, sink, ctx);
        }
        sink->close(ctx, false);
}

void esc_fields_write_event_payload(const esc_event_t *ev, const esc_fields_sink_t *sink, void *ctx)
{
        if ((int)ev->type < 0 || ev->type >= ESC_EV__COUNT) {
                sink->open(ctx, false);
                sink->close(ctx, false);
                return;
        }
        esc_fields_write(&esc_fields_event_payloads[ev->type], &ev->p, sink, ctx);
}

/* ---- templates ----------------------------------------------------------- */

void esc_fields_out_put(esc_fields_out_t *o, const char *s, size_t n)
{
        if (o->size == 0)
                return;
        if (o->len + n >= o->size)
                n = o->size - 1 - o->len;
        memcpy(o->buf + o->len, s, n);
        o->len += n;
        o->buf[o->len] = '\0';
}

void esc_fields_out_str(esc_fields_out_t *o, const char *s)
{
        esc_fields_out_put(o, s, strlen(s));
}

/* The field called name[0..n) in r (dotted: into nested records), with the
 * address of the struct that holds it in *at. */
static const esc_field_t *find_field(const esc_rec_t *r, const void **at, const char *name,
                                     size_t n)
{
        const char *dot = memchr(name, '.', n);
        size_t head = dot ? (size_t)(dot - name) : n;

        for (int i = 0; i < r->n; i++) {
                const esc_field_t *f = &r->f[i];
                if (strlen(f->name) != head || memcmp(f->name, name, head))
                        continue;
                if (!dot)
                        return f;
                if (f->kind != ESC_FK_RECORD)
                        return NULL;
                *at = AT(*at, f, char);
                return find_field(f->sub, at, dot + 1, n - head - 1);
        }
        return NULL;
}

static bool present(const esc_field_t *f, const void *base)
{
        switch (f->kind) {
        case ESC_FK_STR:
        case ESC_FK_OPT_STR:
                return *AT(base, f, char *) != NULL;
        case ESC_FK_BOOL:
                return *AT(base, f, bool);
        case ESC_FK_OPT_INT:
                return *AT(base, f, int) >= 0;
        case ESC_FK_TIME:
        case ESC_FK_OPT_TIME:
                return *AT(base, f, esc_time_t) != ESC_TIME_NONE;
        case ESC_FK_DATE:
        case ESC_FK_OPT_DATE:
                return *AT(base, f, esc_date_t) != ESC_DATE_NONE;
        case ESC_FK_STRLIST:
                return AT(base, f, esc_strlist_t)->n > 0;
        default:
                return true;
        }
}

static void put_value(const esc_field_t *f, const void *base, const esc_fields_style_t *st,
                      esc_fields_out_t *o)
{
        char tmp[40];
        const char *s = tmp;

        tmp[0] = '\0';
        if (!present(f, base) && f->kind != ESC_FK_BOOL) {
                st->value(o, "");
                return;
        }
        switch (f->kind) {
        case ESC_FK_STR:
        case ESC_FK_OPT_STR:
                s = *AT(base, f, char *);
                break;
        case ESC_FK_INT:
        case ESC_FK_OPT_INT:
                snprintf(tmp, sizeof(tmp), "%d", *AT(base, f, int));
                break;
        case ESC_FK_I32:
                snprintf(tmp, sizeof(tmp), "%d", (int)*AT(base, f, int32_t));
                break;
        case ESC_FK_LONG:
                snprintf(tmp, sizeof(tmp), "%lld", (long long)*AT(base, f, int64_t));
                break;
        case ESC_FK_BOOL:
                s = *AT(base, f, bool) ? "yes" : "no";
                break;
        case ESC_FK_ENUM:
                s = esc_enum_symbol(f->symbols, *AT(base, f, int));
                break;
        case ESC_FK_TIME:
        case ESC_FK_OPT_TIME:
                esc_time_format(*AT(base, f, esc_time_t), tmp, sizeof(tmp));
                break;
        case ESC_FK_DATE:
        case ESC_FK_OPT_DATE:
                esc_date_format(*AT(base, f, esc_date_t), tmp, sizeof(tmp));
                break;
        case ESC_FK_STRLIST: {
                /* Joined first, then given to the style as one value. */
                const esc_strlist_t *l = AT(base, f, esc_strlist_t);
                char joined[512];
                esc_fields_out_t j = {joined, sizeof(joined), 0};
                joined[0] = '\0';
                for (int i = 0; i < l->n; i++) {
                        if (i)
                                esc_fields_out_put(&j, st->list_sep, strlen(st->list_sep));
                        esc_fields_out_put(&j, l->v[i], strlen(l->v[i]));
                }
                st->value(o, joined);
                return;
        }
        default:
                break; /* records and envelope kinds have no one-line value */
        }
        st->value(o, s ? s : "");
}

/* The '}' closing the '{' at t[-1], or NULL. */
static const char *closing(const char *t, const char *end)
{
        int depth = 1;
        for (; t < end; t++) {
                if (*t == '{')
                        depth++;
                else if (*t == '}' && --depth == 0)
                        return t;
        }
        return NULL;
}

static int format_span(const esc_rec_t *r, const void *base, const char *t, const char *end,
                       const esc_fields_style_t *st, esc_fields_out_t *o, bool write)
{
        int rc = 0;

        while (t < end) {
                const char *open = memchr(t, '{', (size_t)(end - t));
                if (!open)
                        open = end;
                if (write)
                        esc_fields_out_put(o, t, (size_t)(open - t));
                if (open == end)
                        break;
                const char *close = closing(open + 1, end);
                if (!close)
                        return -1;
                const char *name = open + 1, *inner = close;
                char op = *name;
                if (op == '?' || op == '!' || op == '#')
                        name++;
                if (op == '?' || op == '!') {
                        inner = memchr(name, ' ', (size_t)(close - name));
                        if (!inner)
                                inner = close;
                }
                const void *at = base;
                const esc_field_t *f = find_field(r, &at, name, (size_t)(inner - name));
                if (!f) {
                        rc = -1;
                } else if (op == '?' || op == '!') {
                        bool show = present(f, at) == (op == '?');
                        const char *text = inner < close ? inner + 1 : close;
                        if (format_span(r, base, text, close, st, o, write && show))
                                rc = -1;
                } else if (write && op == '#' && f->kind == ESC_FK_STRLIST) {
                        char n[16];
                        snprintf(n, sizeof(n), "%d", AT(at, f, esc_strlist_t)->n);
                        st->value(o, n);
                } else if (write) {
                        put_value(f, at, st, o);
                }
                t = close + 1;
        }
        return rc;
}

int esc_fields_format(const esc_rec_t *r, const void *base, const char *tpl,
                      const esc_fields_style_t *style, esc_fields_out_t *o)
{
        if (o->size && o->len < o->size)
                o->buf[o->len] = '\0';
        return format_span(r, base, tpl, tpl + strlen(tpl), style, o, true);
}
