/* rows.c — events turned into COPY text for the SLA projection's staging
 * tables, and the jsonb payload of esc.events.
 *
 * COPY's text format is used rather than multi-row INSERTs with arrays:
 * it is the cheapest way into PostgreSQL (measured in bench/sla) and its
 * escaping is four characters, so user text (titles, update bodies) never
 * gets near SQL. The column lists below are the single source of truth for
 * the order the writers here emit fields in. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "projections/sla/sla.h"

static const struct {
        const char *stage;
        const char *columns;
} stages[ESC_SLA_T__COUNT] = {
        [ESC_SLA_T_EVENTS] = {"s_events", "incident_id, seq, event_id, type, occurred_at, "
                                          "recorded_at, actor, payload, kafka_partition, "
                                          "kafka_offset"},
        [ESC_SLA_T_SEVERITY_CHANGES] = {"s_severity_changes",
                                        "incident_id, seq, at, kind, from_sev, to_sev, \"by\", "
                                        "reason, policy_version"},
        [ESC_SLA_T_CUSTOMER_UPDATES] = {"s_customer_updates",
                                        "incident_id, seq, at, \"by\", audience, "
                                        "next_update_at, due_at, late_seconds"},
        [ESC_SLA_T_SLA_BREACHES] = {"s_sla_breaches", "incident_id, seq, at, clock, due_at"},
        [ESC_SLA_T_REVIEWS_OPENED] = {"s_reviews", "incident_id, seq, opened_at, due_at, "
                                                   "tracker_url"},
        [ESC_SLA_T_REVIEWS_COMPLETED] = {"s_reviews_done", "incident_id, completed_seq, "
                                                           "completed_at, root_cause, five_whys"},
        [ESC_SLA_T_CORRECTIVE_ACTIONS] = {"s_corrective_actions",
                                          "incident_id, action_id, seq, added_at, title, owner, "
                                          "due_date, tracker_url"},
        [ESC_SLA_T_REJECTIONS] = {"s_rejections", "incident_id, seq, at, actor, command_type, "
                                                  "code, message"},
        [ESC_SLA_T_INCIDENTS] = {"s_incidents",
                                 "incident_id, account_id, account_tier, health_score, "
                                 "product_area, title, sev, matrix_sev, bumped, status, owner, "
                                 "csm, cs_manager, slack_channel, tracking_url, opened_at, "
                                 "acknowledged_at, mitigated_at, resolved_at, confirmed_at, "
                                 "closed_at, response_due_at, next_update_due_at, "
                                 "resolution_due_at, tta_seconds, ttr_seconds, "
                                 "response_breached, resolution_breached, last_seq"},
};

const char *esc_sla_stage_name(esc_sla_table_t t)
{
        return stages[t].stage;
}

const char *esc_sla_stage_columns(esc_sla_table_t t)
{
        return stages[t].columns;
}

void esc_sla_rows_init(esc_sla_rows_t *r, size_t cap)
{
        for (int i = 0; i < ESC_SLA_T__COUNT; i++) {
                esc_buf_init(&r->buf[i], cap);
                r->count[i] = 0;
        }
}

void esc_sla_rows_reset(esc_sla_rows_t *r)
{
        for (int i = 0; i < ESC_SLA_T__COUNT; i++) {
                esc_buf_reset(&r->buf[i]);
                r->count[i] = 0;
        }
}

void esc_sla_rows_free(esc_sla_rows_t *r)
{
        for (int i = 0; i < ESC_SLA_T__COUNT; i++)
                esc_buf_free(&r->buf[i]);
}

/* ---- COPY text fields ---------------------------------------------------- */

int esc_sla_copy_str(esc_buf_t *b, const char *s)
{
        const char *run = s;

        if (!s)
                return esc_buf_append(b, "\\N", 2);
        /* Copy unescaped runs in one go; escape only \, tab, LF, CR. */
        for (const char *c = s;; c++) {
                const char *esc = NULL;
                switch (*c) {
                case '\\': esc = "\\\\"; break;
                case '\t': esc = "\\t"; break;
                case '\n': esc = "\\n"; break;
                case '\r': esc = "\\r"; break;
                case '\0': return esc_buf_append(b, run, (size_t)(c - run));
                default: continue;
                }
                if (esc_buf_append(b, run, (size_t)(c - run)) || esc_buf_append(b, esc, 2))
                        return -1;
                run = c + 1;
        }
}

static int f_str(esc_buf_t *b, const char *s)
{
        return esc_sla_copy_str(b, s) || esc_buf_append(b, "\t", 1);
}

static int f_int(esc_buf_t *b, int64_t v, bool null)
{
        if (null)
                return esc_buf_append(b, "\\N\t", 3);
        return esc_buf_printf(b, "%" PRId64 "\t", v) < 0 ? -1 : 0;
}

static int f_bool(esc_buf_t *b, bool v)
{
        return esc_buf_append(b, v ? "t\t" : "f\t", 2);
}

static int f_time(esc_buf_t *b, esc_time_t t)
{
        char tb[40];

        if (t == ESC_TIME_NONE)
                return esc_buf_append(b, "\\N\t", 3);
        return esc_buf_puts(b, esc_time_format(t, tb, sizeof(tb))) || esc_buf_append(b, "\t", 1);
}

static int f_date(esc_buf_t *b, esc_date_t d)
{
        char db[16];

        if (d == ESC_DATE_NONE)
                return esc_buf_append(b, "\\N\t", 3);
        return esc_buf_puts(b, esc_date_format(d, db, sizeof(db))) || esc_buf_append(b, "\t", 1);
}

/* Seconds from microseconds, exact to the microsecond. */
static int f_secs(esc_buf_t *b, int64_t us)
{
        if (us < 0)
                return esc_buf_append(b, "\\N\t", 3);
        return esc_buf_printf(b, "%" PRId64 ".%06" PRId64 "\t", us / ESC_USEC_PER_SEC,
                              us % ESC_USEC_PER_SEC) < 0
                       ? -1
                       : 0;
}

/* Replaces the row's trailing tab with the newline that ends it. */
static int end_row(esc_sla_rows_t *r, esc_sla_table_t t)
{
        esc_buf_t *b = &r->buf[t];

        if (b->len == 0 || b->data[b->len - 1] != '\t')
                return -1;
        b->data[b->len - 1] = '\n';
        r->count[t]++;
        return 0;
}

/* ---- JSON payload ---------------------------------------------------------- */

static json_t *j_str(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *j_time(esc_time_t t)
{
        char tb[40];
        return t == ESC_TIME_NONE ? json_null() : json_string(esc_time_format(t, tb, sizeof(tb)));
}

static json_t *j_date(esc_date_t d)
{
        char db[16];
        return d == ESC_DATE_NONE ? json_null() : json_string(esc_date_format(d, db, sizeof(db)));
}

static json_t *j_list(const esc_strlist_t *l)
{
        json_t *a = json_array();
        for (int i = 0; i < l->n; i++)
                json_array_append_new(a, json_string(l->v[i]));
        return a;
}

static json_t *payload_json(const esc_event_t *ev)
{
        const esc_event_payload_t *p = &ev->p;

        switch (ev->type) {
        case ESC_EV_ESCALATION_OPENED: {
                const esc_account_t *a = &p->opened.account;
                return json_pack("{s:{s:o,s:o,s:s,s:o,s:b,s:o},s:o,s:o,s:o,s:s,s:o}", "account",
                                 "id", j_str(a->id), "name", j_str(a->name), "tier",
                                 esc_tier_name(a->tier), "health_score",
                                 a->health_score < 0 ? json_null() : json_integer(a->health_score),
                                 "paying", a->paying, "renewal_date", j_date(a->renewal_date),
                                 "product_area", j_str(p->opened.product_area), "title",
                                 j_str(p->opened.title), "description",
                                 j_str(p->opened.description), "impact",
                                 esc_impact_name(p->opened.impact), "detected_at",
                                 j_time(p->opened.detected_at));
        }
        case ESC_EV_SEVERITY_ASSIGNED: {
                const esc_sev_assigned_t *s = &p->sev_assigned;
                return json_pack("{s:i,s:i,s:b,s:o,s:o,s:o,s:o}", "sev", s->sev, "matrix_sev",
                                 s->matrix_sev, "bumped", s->bumped, "bump_reasons",
                                 j_list(&s->bump_reasons), "response_due_at",
                                 j_time(s->response_due_at), "next_update_due_at",
                                 j_time(s->next_update_due_at), "resolution_due_at",
                                 j_time(s->resolution_due_at));
        }
        case ESC_EV_SEVERITY_OVERRIDDEN: {
                const esc_sev_overridden_t *s = &p->sev_overridden;
                return json_pack("{s:i,s:i,s:o,s:o,s:o,s:o,s:o}", "from_sev", s->from_sev,
                                 "to_sev", s->to_sev, "by", j_str(s->by), "reason",
                                 j_str(s->reason), "response_due_at", j_time(s->response_due_at),
                                 "next_update_due_at", j_time(s->next_update_due_at),
                                 "resolution_due_at", j_time(s->resolution_due_at));
        }
        case ESC_EV_OWNER_ASSIGNED:
                return json_pack("{s:s,s:o,s:s}", "role", esc_role_name(p->owner_assigned.role),
                                 "person", j_str(p->owner_assigned.person), "via",
                                 esc_via_name(p->owner_assigned.via));
        case ESC_EV_ACKNOWLEDGED:
                return json_pack("{s:o,s:o,s:o}", "by", j_str(p->acknowledged.by), "message",
                                 j_str(p->acknowledged.message), "next_update_at",
                                 j_time(p->acknowledged.next_update_at));
        case ESC_EV_CUSTOMER_UPDATE_POSTED:
                return json_pack("{s:o,s:s,s:o,s:o}", "by", j_str(p->update_posted.by),
                                 "audience", esc_audience_name(p->update_posted.audience), "body",
                                 j_str(p->update_posted.body), "next_update_at",
                                 j_time(p->update_posted.next_update_at));
        case ESC_EV_MITIGATED:
        case ESC_EV_RESOLVED: {
                const esc_by_summary_t *s =
                        ev->type == ESC_EV_MITIGATED ? &p->mitigated : &p->resolved;
                return json_pack("{s:o,s:o}", "by", j_str(s->by), "summary", j_str(s->summary));
        }
        case ESC_EV_CUSTOMER_CONFIRMED:
                return json_pack("{s:o,s:o}", "by", j_str(p->confirmed.by), "note",
                                 j_str(p->confirmed.note));
        case ESC_EV_CLOSED:
                return json_pack("{s:o,s:b,s:o}", "by", j_str(p->closed.by), "confirmed",
                                 p->closed.confirmed, "reason", j_str(p->closed.reason));
        case ESC_EV_REOPENED:
                return json_pack("{s:o,s:o}", "by", j_str(p->reopened.by), "reason",
                                 j_str(p->reopened.reason));
        case ESC_EV_REVIEW_OPENED:
                return json_pack("{s:o,s:o}", "tracker_url", j_str(p->review_opened.tracker_url),
                                 "due_at", j_time(p->review_opened.due_at));
        case ESC_EV_CORRECTIVE_ACTION_ADDED: {
                const esc_action_added_t *a = &p->action_added;
                return json_pack("{s:o,s:o,s:o,s:o,s:o}", "action_id", j_str(a->action_id),
                                 "title", j_str(a->title), "owner", j_str(a->owner), "due_date",
                                 j_date(a->due_date), "tracker_url", j_str(a->tracker_url));
        }
        case ESC_EV_REVIEW_COMPLETED:
                return json_pack("{s:o,s:o}", "root_cause", j_str(p->review_completed.root_cause),
                                 "five_whys", j_list(&p->review_completed.five_whys));
        case ESC_EV_CHANNEL_CREATED:
                return json_pack("{s:o,s:o}", "slack_channel_id",
                                 j_str(p->channel_created.slack_channel_id), "name",
                                 j_str(p->channel_created.name));
        case ESC_EV_TRACKING_ISSUE_LINKED:
                return json_pack("{s:o,s:o,s:o}", "system", j_str(p->tracking_linked.system),
                                 "issue_id", j_str(p->tracking_linked.issue_id), "url",
                                 j_str(p->tracking_linked.url));
        case ESC_EV_PAGE_SENT:
                return json_pack("{s:o,s:o,s:o}", "service", j_str(p->page_sent.service),
                                 "dedup_key", j_str(p->page_sent.dedup_key), "to",
                                 j_str(p->page_sent.to));
        case ESC_EV_UPDATE_OVERDUE:
                return json_pack("{s:o,s:i}", "due_at", j_time(p->update_overdue.due_at),
                                 "reminder_no", p->update_overdue.reminder_no);
        case ESC_EV_SLA_BREACHED:
                return json_pack("{s:s,s:o}", "clock", esc_clock_name(p->sla_breached.clock),
                                 "due_at", j_time(p->sla_breached.due_at));
        case ESC_EV_UNOWNED_ESCALATED:
                return json_pack("{s:o,s:o}", "due_at", j_time(p->unowned_escalated.due_at),
                                 "paged", j_str(p->unowned_escalated.paged));
        case ESC_EV_COMMAND_REJECTED:
                return json_pack("{s:o,s:o,s:o}", "command_type", j_str(p->rejected.command_type),
                                 "code", j_str(p->rejected.code), "message",
                                 j_str(p->rejected.message));
        default:
                return json_object();
        }
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
        return esc_buf_append(data, buffer, size);
}

int esc_sla_payload_json(const esc_event_t *ev, esc_buf_t *out)
{
        json_t *j = payload_json(ev);
        int rc;

        /* Only a string jansson refuses (not UTF-8, which the codec already
         * rules out) gets here; the row is still worth having. */
        if (!j)
                return esc_buf_puts(out, "{}");
        rc = json_dump_callback(j, dump_cb, out, JSON_COMPACT);
        json_decref(j);
        return rc;
}

/* ---- rows ------------------------------------------------------------------- */

static int add_events_row(esc_sla_rows_t *r, const esc_event_t *ev, int32_t partition,
                          int64_t offset)
{
        esc_buf_t *b = &r->buf[ESC_SLA_T_EVENTS];
        esc_buf_t js;
        int rc;

        esc_buf_init(&js, ESC_MAX_TEXT * 8);
        rc = f_str(b, ev->incident_id) || f_int(b, ev->seq, false) || f_str(b, ev->event_id) ||
             f_str(b, esc_event_type_name(ev->type)) || f_time(b, ev->occurred_at) ||
             f_time(b, ev->recorded_at) || f_str(b, ev->actor) || esc_sla_payload_json(ev, &js) ||
             f_str(b, js.data ? js.data : "{}") || f_int(b, partition, false) ||
             f_int(b, offset, false) || end_row(r, ESC_SLA_T_EVENTS);
        esc_buf_free(&js);
        return rc ? -1 : 0;
}

/* The rest of a row that starts with incident_id, seq, at. */
static esc_buf_t *child_row(esc_sla_rows_t *r, esc_sla_table_t t, const esc_event_t *ev,
                            int *rc)
{
        esc_buf_t *b = &r->buf[t];
        *rc = f_str(b, ev->incident_id) || f_int(b, ev->seq, false) || f_time(b, ev->occurred_at);
        return b;
}

int esc_sla_rows_add_event(esc_sla_rows_t *r, const esc_event_t *ev, int32_t partition,
                           int64_t offset, const esc_sla_effect_t *eff)
{
        const esc_event_payload_t *p = &ev->p;
        esc_buf_t *b;
        int rc = 0;

        if (add_events_row(r, ev, partition, offset))
                return -1;
        switch (ev->type) {
        case ESC_EV_SEVERITY_ASSIGNED: {
                char reasons[ESC_MAX_STR];
                size_t used = 0;
                reasons[0] = '\0';
                /* The bump reasons are why the matrix sev changed: the
                 * closest thing an automatic assignment has to a reason. */
                for (int i = 0; i < p->sev_assigned.bump_reasons.n; i++) {
                        int n = snprintf(reasons + used, sizeof(reasons) - used, "%s%s",
                                         i ? "; " : "", p->sev_assigned.bump_reasons.v[i]);
                        if (n < 0 || (size_t)n >= sizeof(reasons) - used)
                                break;
                        used += (size_t)n;
                }
                b = child_row(r, ESC_SLA_T_SEVERITY_CHANGES, ev, &rc);
                rc = rc || f_str(b, "assigned") || f_int(b, 0, true) ||
                     f_int(b, p->sev_assigned.sev, false) || f_str(b, ev->actor) ||
                     f_str(b, used ? reasons : NULL) || f_str(b, ev->policy_version) ||
                     end_row(r, ESC_SLA_T_SEVERITY_CHANGES);
                break;
        }
        case ESC_EV_SEVERITY_OVERRIDDEN:
                b = child_row(r, ESC_SLA_T_SEVERITY_CHANGES, ev, &rc);
                rc = rc || f_str(b, "overridden") ||
                     f_int(b, p->sev_overridden.from_sev, false) ||
                     f_int(b, p->sev_overridden.to_sev, false) ||
                     f_str(b, p->sev_overridden.by ? p->sev_overridden.by : ev->actor) ||
                     f_str(b, p->sev_overridden.reason) || f_str(b, ev->policy_version) ||
                     end_row(r, ESC_SLA_T_SEVERITY_CHANGES);
                break;
        case ESC_EV_CUSTOMER_UPDATE_POSTED: {
                esc_time_t due = eff ? eff->update_due_at : ESC_TIME_NONE;
                int64_t late = eff ? eff->update_late_us : -1;
                b = child_row(r, ESC_SLA_T_CUSTOMER_UPDATES, ev, &rc);
                rc = rc || f_str(b, p->update_posted.by ? p->update_posted.by : ev->actor) ||
                     f_str(b, esc_audience_name(p->update_posted.audience)) ||
                     f_time(b, p->update_posted.next_update_at) || f_time(b, due) ||
                     f_secs(b, late) || end_row(r, ESC_SLA_T_CUSTOMER_UPDATES);
                break;
        }
        case ESC_EV_SLA_BREACHED:
                b = child_row(r, ESC_SLA_T_SLA_BREACHES, ev, &rc);
                rc = rc || f_str(b, esc_clock_name(p->sla_breached.clock)) ||
                     f_time(b, p->sla_breached.due_at) || end_row(r, ESC_SLA_T_SLA_BREACHES);
                break;
        case ESC_EV_REVIEW_OPENED:
                b = child_row(r, ESC_SLA_T_REVIEWS_OPENED, ev, &rc);
                rc = rc || f_time(b, p->review_opened.due_at) ||
                     f_str(b, p->review_opened.tracker_url) ||
                     end_row(r, ESC_SLA_T_REVIEWS_OPENED);
                break;
        case ESC_EV_REVIEW_COMPLETED: {
                esc_buf_t js;
                json_t *whys = j_list(&p->review_completed.five_whys);
                esc_buf_init(&js, ESC_MAX_TEXT * 8);
                b = child_row(r, ESC_SLA_T_REVIEWS_COMPLETED, ev, &rc);
                rc = rc || f_str(b, p->review_completed.root_cause) ||
                     json_dump_callback(whys, dump_cb, &js, JSON_COMPACT) ||
                     f_str(b, js.data ? js.data : "[]") ||
                     end_row(r, ESC_SLA_T_REVIEWS_COMPLETED);
                json_decref(whys);
                esc_buf_free(&js);
                break;
        }
        case ESC_EV_CORRECTIVE_ACTION_ADDED: {
                const esc_action_added_t *a = &p->action_added;
                b = &r->buf[ESC_SLA_T_CORRECTIVE_ACTIONS];
                rc = f_str(b, ev->incident_id) || f_str(b, a->action_id) ||
                     f_int(b, ev->seq, false) || f_time(b, ev->occurred_at) ||
                     f_str(b, a->title) || f_str(b, a->owner) || f_date(b, a->due_date) ||
                     f_str(b, a->tracker_url) || end_row(r, ESC_SLA_T_CORRECTIVE_ACTIONS);
                break;
        }
        case ESC_EV_COMMAND_REJECTED:
                b = child_row(r, ESC_SLA_T_REJECTIONS, ev, &rc);
                rc = rc || f_str(b, ev->actor) || f_str(b, p->rejected.command_type) ||
                     f_str(b, p->rejected.code ? p->rejected.code : "unknown") ||
                     f_str(b, p->rejected.message) || end_row(r, ESC_SLA_T_REJECTIONS);
                break;
        default:
                break;
        }
        return rc ? -1 : 0;
}

int esc_sla_rows_add_incident(esc_sla_rows_t *r, const esc_sla_incident_t *inc)
{
        esc_buf_t *b = &r->buf[ESC_SLA_T_INCIDENTS];
        int rc;

        rc = f_str(b, inc->incident_id) || f_str(b, inc->account_id) ||
             f_str(b, inc->tier >= 0 ? esc_tier_name((esc_tier_t)inc->tier) : NULL) ||
             f_int(b, inc->health_score, inc->health_score < 0) || f_str(b, inc->product_area) ||
             f_str(b, inc->title) || f_int(b, inc->sev, inc->sev == 0) ||
             f_int(b, inc->matrix_sev, inc->matrix_sev == 0) || f_bool(b, inc->bumped) ||
             f_str(b, esc_status_name(inc->status)) || f_str(b, inc->owner) ||
             f_str(b, inc->csm) || f_str(b, inc->cs_manager) || f_str(b, inc->slack_channel) ||
             f_str(b, inc->tracking_url) || f_time(b, inc->opened_at) ||
             f_time(b, inc->acknowledged_at) || f_time(b, inc->mitigated_at) ||
             f_time(b, inc->resolved_at) || f_time(b, inc->confirmed_at) ||
             f_time(b, inc->closed_at) || f_time(b, inc->response_due_at) ||
             f_time(b, inc->next_update_due_at) || f_time(b, inc->resolution_due_at) ||
             f_secs(b, esc_sla_tta_us(inc)) || f_secs(b, esc_sla_ttr_us(inc)) ||
             f_bool(b, inc->response_breached) || f_bool(b, inc->resolution_breached) ||
             f_int(b, inc->last_seq, false) || end_row(r, ESC_SLA_T_INCIDENTS);
        return rc ? -1 : 0;
}
