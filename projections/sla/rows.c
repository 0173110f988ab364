/* rows.c — events turned into COPY text for the SLA projection's staging
 * tables, and the jsonb payload of esc.events.
 *
 * COPY's text format is used rather than multi-row INSERTs with arrays:
 * it is the cheapest way into PostgreSQL (measured in bench/sla) and its
 * escaping is four characters, so user text (titles, update bodies) never
 * gets near SQL. The column lists below are the single source of truth for
 * the order the writers here emit fields in. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/fields.h"
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
                                 "response_breached, resolution_breached, last_seq, "
                                 "slack_channel_id"},
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

/* ---- number and time text ------------------------------------------------
 *
 * A rebuild formats several numbers and timestamps per event; printf's
 * machinery was the largest single cost of the COPY text (perf), so these
 * write digits directly. esc_sla_format_time gives exactly what
 * esc_time_format gives (a unit test holds them equal). */

/* Writes v in decimal; returns the length (at most 20). */
static size_t fmt_int(char *out, int64_t v)
{
        char tmp[24];
        size_t n = 0, len = 0;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

        do {
                tmp[n++] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                out[len++] = '-';
        while (n)
                out[len++] = tmp[--n];
        return len;
}

static char *fmt_digits(char *p, unsigned v, int width)
{
        for (int i = width - 1; i >= 0; i--) {
                p[i] = (char)('0' + v % 10);
                v /= 10;
        }
        return p + width;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (the well-known
 * era-based civil-from-days conversion). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
        int64_t era;
        unsigned doe, yoe, doy, mp;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = (unsigned)(z - era * 146097);
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *d = doy - (153 * mp + 2) / 5 + 1;
        *m = mp < 10 ? mp + 3 : mp - 9;
        *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

size_t esc_sla_format_time(esc_time_t t, char *out, size_t size)
{
        int64_t secs = t / ESC_USEC_PER_SEC, us = t % ESC_USEC_PER_SEC, days, sod, y;
        unsigned m, d;
        char *p = out;

        if (us < 0) {
                us += ESC_USEC_PER_SEC;
                secs--;
        }
        days = secs / 86400;
        sod = secs % 86400;
        if (sod < 0) {
                sod += 86400;
                days--;
        }
        civil_from_days(days, &y, &m, &d);
        if (y < 0 || y > 9999 || size < 32)
                return strlen(esc_time_format(t, out, size));
        p = fmt_digits(p, (unsigned)y, 4);
        *p++ = '-';
        p = fmt_digits(p, m, 2);
        *p++ = '-';
        p = fmt_digits(p, d, 2);
        *p++ = 'T';
        p = fmt_digits(p, (unsigned)(sod / 3600), 2);
        *p++ = ':';
        p = fmt_digits(p, (unsigned)(sod / 60 % 60), 2);
        *p++ = ':';
        p = fmt_digits(p, (unsigned)(sod % 60), 2);
        if (us) {
                *p++ = '.';
                p = fmt_digits(p, (unsigned)us, 6);
        }
        *p++ = 'Z';
        *p = '\0';
        return (size_t)(p - out);
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
                case '\\':
                        esc = "\\\\";
                        break;
                case '\t':
                        esc = "\\t";
                        break;
                case '\n':
                        esc = "\\n";
                        break;
                case '\r':
                        esc = "\\r";
                        break;
                case '\0':
                        return esc_buf_append(b, run, (size_t)(c - run));
                default:
                        continue;
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
        char nb[24];
        size_t n = fmt_int(nb, v);
        nb[n++] = '\t';
        return esc_buf_append(b, nb, n);
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
        size_t n = esc_sla_format_time(t, tb, sizeof(tb) - 1);
        tb[n++] = '\t';
        return esc_buf_append(b, tb, n);
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
        char nb[40];
        size_t n = fmt_int(nb, us / ESC_USEC_PER_SEC);
        nb[n++] = '.';
        n = (size_t)(fmt_digits(nb + n, (unsigned)(us % ESC_USEC_PER_SEC), 6) - nb);
        nb[n++] = '\t';
        return esc_buf_append(b, nb, n);
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

/* ---- JSON payload -----------------------------------------------------------
 *
 * Written straight into the COPY buffer: JSON escaping, and when `copy` is
 * set COPY's escaping of the result, in one pass. This is the hot path of a
 * rebuild (one payload per event), so no intermediate JSON tree. Key order
 * is irrelevant: jsonb normalises it. Strings are valid UTF-8 (the codec
 * checked them); control characters are escaped, everything else is
 * copied as is. */

typedef struct jw {
        esc_buf_t *b;
        bool copy;  /* COPY-escape the JSON text (a backslash becomes two) */
        bool first; /* no member written yet in the current object/array */
        bool in_array;
        int err;
} jw_t;

static void jw_raw(jw_t *w, const char *s, size_t n)
{
        if (!w->err && esc_buf_append(w->b, s, n))
                w->err = -1;
}

/* A JSON escape sequence: its backslash doubled for COPY. */
static void jw_esc(jw_t *w, const char *seq)
{
        jw_raw(w, w->copy ? "\\\\" : "\\", w->copy ? 2 : 1);
        jw_raw(w, seq, strlen(seq));
}

static void jw_string(jw_t *w, const char *s)
{
        const char *run;

        if (!s) {
                jw_raw(w, "null", 4);
                return;
        }
        jw_raw(w, "\"", 1);
        for (run = s; *s; s++) {
                unsigned char c = (unsigned char)*s;
                char u[8];
                const char *seq = NULL;

                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                jw_raw(w, run, (size_t)(s - run));
                run = s + 1;
                switch (c) {
                case '"':
                        seq = "\"";
                        break;
                case '\\':
                        seq = w->copy ? "\\\\" : "\\";
                        break;
                case '\n':
                        seq = "n";
                        break;
                case '\r':
                        seq = "r";
                        break;
                case '\t':
                        seq = "t";
                        break;
                default:
                        snprintf(u, sizeof(u), "u%04x", c);
                        seq = u;
                }
                jw_esc(w, seq);
        }
        jw_raw(w, run, (size_t)(s - run));
        jw_raw(w, "\"", 1);
}

static void jw_key(jw_t *w, const char *k)
{
        if (!w->first)
                jw_raw(w, ",", 1);
        w->first = false;
        jw_raw(w, "\"", 1);
        jw_raw(w, k, strlen(k));
        jw_raw(w, "\":", 2);
}

static void sink_open(void *ctx, bool array);
static void sink_close(void *ctx, bool array);
static void sink_str(void *ctx, const char *s);

static void jw_list(jw_t *w, const esc_strlist_t *l)
{
        sink_open(w, true);
        for (int i = 0; i < l->n; i++)
                sink_str(w, l->v[i]);
        sink_close(w, true);
}

/* A value in an array takes a comma after the first; in an object the
 * key did that already. */
static jw_t *jw_value(void *ctx)
{
        jw_t *w = ctx;
        if (w->in_array) {
                if (!w->first)
                        jw_raw(w, ",", 1);
                w->first = false;
        }
        return w;
}

static void sink_open(void *ctx, bool array)
{
        jw_t *w = jw_value(ctx);
        jw_raw(w, array ? "[" : "{", 1);
        w->first = true;
        w->in_array = array;
}

static void sink_close(void *ctx, bool array)
{
        jw_t *w = ctx;
        jw_raw(w, array ? "]" : "}", 1);
        w->first = false;
        w->in_array = false;
}

static void sink_key(void *ctx, const char *name)
{
        jw_key(ctx, name);
}

static void sink_null(void *ctx)
{
        jw_raw(jw_value(ctx), "null", 4);
}

static void sink_str(void *ctx, const char *s)
{
        jw_string(jw_value(ctx), s);
}

static void sink_num(void *ctx, long long v)
{
        char nb[24];
        jw_raw(jw_value(ctx), nb, fmt_int(nb, v));
}

static void sink_bool(void *ctx, bool v)
{
        jw_raw(jw_value(ctx), v ? "true" : "false", v ? 4 : 5);
}

static void sink_time(void *ctx, esc_time_t t)
{
        char tb[40];
        esc_sla_format_time(t, tb, sizeof(tb));
        jw_string(jw_value(ctx), tb);
}

static void sink_date(void *ctx, esc_date_t d)
{
        char db[16];
        jw_string(jw_value(ctx), esc_date_format(d, db, sizeof(db)));
}

static const esc_fields_sink_t jw_sink = {
        .open = sink_open,
        .close = sink_close,
        .key = sink_key,
        .null = sink_null,
        .str = sink_str,
        .num = sink_num,
        .boolean = sink_bool,
        .time = sink_time,
        .date = sink_date,
};

int esc_sla_payload_json(const esc_event_t *ev, esc_buf_t *out, bool copy_escaped)
{
        jw_t w = {.b = out, .copy = copy_escaped};

        esc_fields_write_event_payload(ev, &jw_sink, &w);
        return w.err;
}

/* ---- rows ------------------------------------------------------------------- */

static int add_events_row(esc_sla_rows_t *r, const esc_event_t *ev, int32_t partition,
                          int64_t offset)
{
        esc_buf_t *b = &r->buf[ESC_SLA_T_EVENTS];
        int rc;

        rc = f_str(b, ev->incident_id) || f_int(b, ev->seq, false) || f_str(b, ev->event_id) ||
             f_str(b, esc_event_type_name(ev->type)) || f_time(b, ev->occurred_at) ||
             f_time(b, ev->recorded_at) || f_str(b, ev->actor) ||
             esc_sla_payload_json(ev, b, true) || esc_buf_append(b, "\t", 1) ||
             f_int(b, partition, false) || f_int(b, offset, false) || end_row(r, ESC_SLA_T_EVENTS);
        return rc ? -1 : 0;
}

/* The rest of a row that starts with incident_id, seq, at. */
static esc_buf_t *child_row(esc_sla_rows_t *r, esc_sla_table_t t, const esc_event_t *ev, int *rc)
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
                rc = rc || f_str(b, "overridden") || f_int(b, p->sev_overridden.from_sev, false) ||
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
                     f_str(b, p->review_opened.tracker_url) || end_row(r, ESC_SLA_T_REVIEWS_OPENED);
                break;
        case ESC_EV_REVIEW_COMPLETED: {
                jw_t w = {.copy = true};
                b = child_row(r, ESC_SLA_T_REVIEWS_COMPLETED, ev, &rc);
                w.b = b;
                rc = rc || f_str(b, p->review_completed.root_cause);
                jw_list(&w, &p->review_completed.five_whys);
                rc = rc || w.err || esc_buf_append(b, "\t", 1) ||
                     end_row(r, ESC_SLA_T_REVIEWS_COMPLETED);
                break;
        }
        case ESC_EV_CORRECTIVE_ACTION_ADDED: {
                const esc_action_added_t *a = &p->action_added;
                b = &r->buf[ESC_SLA_T_CORRECTIVE_ACTIONS];
                rc = f_str(b, ev->incident_id) || f_str(b, a->action_id) ||
                     f_int(b, ev->seq, false) || f_time(b, ev->occurred_at) || f_str(b, a->title) ||
                     f_str(b, a->owner) || f_date(b, a->due_date) || f_str(b, a->tracker_url) ||
                     end_row(r, ESC_SLA_T_CORRECTIVE_ACTIONS);
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
             f_str(b, esc_status_name(inc->status)) || f_str(b, inc->owner) || f_str(b, inc->csm) ||
             f_str(b, inc->cs_manager) || f_str(b, inc->slack_channel) ||
             f_str(b, inc->tracking_url) || f_time(b, inc->opened_at) ||
             f_time(b, inc->acknowledged_at) || f_time(b, inc->mitigated_at) ||
             f_time(b, inc->resolved_at) || f_time(b, inc->confirmed_at) ||
             f_time(b, inc->closed_at) || f_time(b, inc->response_due_at) ||
             f_time(b, inc->next_update_due_at) || f_time(b, inc->resolution_due_at) ||
             f_secs(b, esc_sla_tta_us(inc)) || f_secs(b, esc_sla_ttr_us(inc)) ||
             f_bool(b, inc->response_breached) || f_bool(b, inc->resolution_breached) ||
             f_int(b, inc->last_seq, false) || f_str(b, inc->slack_channel_id) ||
             end_row(r, ESC_SLA_T_INCIDENTS);
        return rc ? -1 : 0;
}
