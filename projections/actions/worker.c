/* worker.c — `esc worker actions`: every audience hears the incident
 * (DESIGN §9 "Outbound"): Slack channel and posts, the customer's Zendesk
 * ticket, the Linear issue and its children, PagerDuty pages.
 *
 * The outbox. Every side effect is a job on its target's queue (Slack,
 * Zendesk, Linear, PagerDuty), in log order. A job is done when its call
 * succeeded or failed for good, and then recorded back to esc.commands:
 * RecordChannel / RecordTrackingIssue / RecordPage for what the log must
 * know (the channel, the issue, the pages), RecordOutbound {target, key,
 * status} for the rest, under a key stable per (incident, event seq,
 * target action) such as "slack:post:12". A transient failure (429, 5xx,
 * timeout) holds only its own target's queue: 429 waits for Retry-After,
 * the others back off with jitter, and nothing is dropped.
 *
 * Positions. The group's committed offset of a partition is where the
 * worker's outside work is complete: it is committed as the oldest event
 * whose jobs are still queued, never past one (with no commit yet, the
 * high watermark at first assignment is committed, so a crash before any
 * commit still knows where it stood). On assignment each partition is
 * replayed from the beginning, folding incidents without side effects; the
 * events from the committed offset on are owed again unless their
 * OutboundRecorded is in the log, and each owed job is looked up before it
 * is done (the Slack post by its message metadata, the Zendesk update by
 * its audit metadata; Linear refuses our own issue and comment ids twice,
 * PagerDuty dedups by dedup_key, archive and invite are idempotent). A
 * kill -9 between a call and its record therefore repeats nothing. A
 * grace period after the replay (actions.reconcile_grace_ms) lets the
 * record-backs of a run that just stopped land; then every open incident
 * whose log lacks a channel, issue or (per the policy) page gets one.
 *
 * Memory: closed incidents are dropped once their jobs are done; a
 * reopened one is read back from its partition of esc.events. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "runtime/registry.h"
#include "runtime/submit.h"
#include "projections/actions/actions.h"
#include "projections/actions/apis.h"
#include "runtime/eventlog.h"
#include "runtime/fault.h"
#include "runtime/log.h"
#include "runtime/policy_load.h"
#include "runtime/signals.h"
#include "core/strmap.h"
#include "runtime/sys.h"
#include "runtime/worker_main.h"

#define COMP "actions"
#define ACTOR "esc-actions"
#define MAX_PARTITIONS 4096
#define RETRY_MIN_MS 1000 /* a held queue's first backoff, doubled up to RETRY_MAX_MS */
#define RETRY_MAX_MS 60000

typedef enum { T_SLACK, T_ZENDESK, T_LINEAR, T_PAGERDUTY, T__COUNT } target_t;

static const char *const target_names[T__COUNT] = {
        ESC_OUTBOUND_TARGET_SLACK, ESC_OUTBOUND_TARGET_ZENDESK, ESC_OUTBOUND_TARGET_LINEAR,
        ESC_OUTBOUND_TARGET_PAGERDUTY};

/* One side effect owed to one target. */
typedef struct job {
        char *incident_id;
        esc_action_t a;
        esc_event_t *ev; /* the event told (POST, TICKET, LINEAR); NULL: reconciliation */
        int64_t seq;     /* the event's seq (0: reconciliation, no outbox record) */
        int32_t partition;
        int64_t offset;     /* the event's offset; -1: holds no commit */
        bool verify;        /* owed from before a restart: look it up before doing it */
        bool called;        /* done outside; only its record is still to be delivered */
        const char *status; /* ESC_OUTBOUND_DONE / _FAILED once called */
        int64_t queued_us;  /* monotonic */
} job_t;

/* A FIFO of jobs: v[head .. n). */
typedef struct job_list {
        job_t *v;
        size_t head, n, cap;
} job_list_t;

typedef struct target_queue {
        job_list_t jobs;
        int64_t next_try_us; /* monotonic: held until then after a transient failure */
        int backoff_ms;
} target_queue_t;

typedef struct part {
        bool assigned;
        bool caught_up; /* replayed up to `end`: later events are live */
        bool reconciled;
        int64_t end;          /* high watermark at assignment: below is replay */
        int64_t owed_from;    /* committed offset: replayed events from here are owed */
        int64_t next;         /* after the last event folded */
        int64_t committed;    /* last offset this worker committed */
        int64_t caught_up_us; /* monotonic */
        job_list_t owed;      /* replayed jobs not (yet) seen recorded */
} part_t;

typedef struct actions_ctx {
        const esc_config_t *conf;
        esc_policy_t *pol;
        esc_codec_t *codec;
        esc_actions_apis_t *api;
        esc_submit_t *sub;
        esc_eventlog_t *log; /* made on first need: a reopened incident's history */
        rd_kafka_t *rk;      /* the worker's consumer (commits) */
        char topic[256];
        esc_strmap_t *incidents; /* id -> esc_actions_incident_t*, NULL once dropped */
        size_t live, dead;
        part_t parts[MAX_PARTITIONS];
        target_queue_t q[T__COUNT];
        char **closed; /* closed incidents to drop once their jobs are done */
        size_t nclosed, closed_cap;
        bool attention;   /* some incident has a pending record */
        int64_t grace_us; /* actions.reconcile_grace_ms */
        esc_event_t ev;
        esc_metric_t *m_actions, *m_failures, *m_replayed, *m_incidents, *m_queued;
} actions_ctx_t;

static void usage(FILE *out)
{
        fprintf(out,
                "usage: esc worker actions [--group G]\n"
                "\n"
                "Drives Slack, Linear and PagerDuty from esc.events (seed Step 2): on a new\n"
                "incident's severity a channel #esc-<account>-<yyyymmdd> with the owners invited\n"
                "(slack_user_id from the policy's people) and a Linear issue with the SLA clock;\n"
                "a PagerDuty page when the severity pages (Sev 1, also after an override);\n"
                "a kickoff post and a post for every step after it (acknowledgement, updates,\n"
                "overrides and refused ones, resolution, close, corrective actions, breaches);\n"
                "a reminder in the channel when an update is overdue; the page resolved on\n"
                "resolution or when the severity no longer pages; the channel archived on\n"
                "close and unarchived on reopen; the customer's Zendesk ticket (public replies,\n"
                "internal notes, status, custom fields) for incidents opened from one.\n"
                "Every side effect is recorded back to esc.commands (record_channel,\n"
                "record_tracking_issue, record_page, record_outbound) and looked up before it\n"
                "is repeated after a restart, so a crash duplicates nothing. A target that\n"
                "fails (429, 5xx) holds only its own queue; nothing is dropped.\n"
                "\n"
                "  --group G   consumer group (default: config actions.group, else esc-actions)\n"
                "\n"
                "Config: slack.api_url, slack.token (env ESC_SLACK_API_URL, ESC_SLACK_TOKEN),\n"
                "slack.private_channels (false: true makes the channels private),\n"
                "linear.api_url, linear.token, linear.team_id, pagerduty.events_url,\n"
                "pagerduty.routing_keys.<product_area> or pagerduty.routing_keys.default,\n"
                "pagerduty.manager_routing_key (unowned and breached incidents);\n"
                "zendesk.url, zendesk.email, zendesk.api_token, zendesk.fields.sev,\n"
                "zendesk.fields.esc_link (incidents opened from a Zendesk ticket);\n"
                "linear.states.completed, linear.states.started (workflow state ids);\n"
                "actions.reconcile_grace_ms (5000), actions.http_timeout_ms (10000),\n"
                "actions.max_attempts (1: tries per call; the queues retry),\n"
                "actions.retry_after_cap_s (30).\n");
}

/* ---- incidents -------------------------------------------------------------------- */

static esc_actions_incident_t *incident(actions_ctx_t *ctx, const char *id)
{
        return esc_strmap_get(ctx->incidents, id);
}

static void free_incident(esc_actions_incident_t *inc)
{
        if (inc) {
                esc_actions_incident_clear(inc);
                free(inc);
        }
}

typedef struct key_list {
        char **v;
        size_t n, cap;
} key_list_t;

static void keys_push(key_list_t *l, const char *k)
{
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 16;
                l->v = esc_xrealloc(l->v, l->cap * sizeof(*l->v));
        }
        l->v[l->n++] = esc_strdup(k);
}

static void keys_free(key_list_t *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        memset(l, 0, sizeof(*l));
}

static void collect_live(const char *key, void *value, void *opaque)
{
        if (value)
                keys_push(opaque, key);
}

/* Drops an incident (closed, or its partition revoked). The map has no
 * deletion: the key stays as a tombstone until the next rebuild. */
static void drop(actions_ctx_t *ctx, const char *id)
{
        esc_actions_incident_t *inc = incident(ctx, id);
        if (!inc)
                return;
        free_incident(inc);
        esc_strmap_put(ctx->incidents, id, NULL);
        ctx->live--;
        ctx->dead++;
}

/* Rebuilds the map without tombstones once they outnumber live entries, so
 * memory follows open incidents, not total log length. */
static void compact_map(actions_ctx_t *ctx)
{
        if (ctx->dead < 1024 || ctx->dead < ctx->live)
                return;
        key_list_t keys = {0};
        esc_strmap_t *m = esc_strmap_new();
        esc_strmap_foreach(ctx->incidents, collect_live, &keys);
        for (size_t i = 0; i < keys.n; i++)
                esc_strmap_put(m, keys.v[i], esc_strmap_get(ctx->incidents, keys.v[i]));
        esc_strmap_destroy(ctx->incidents);
        ctx->incidents = m;
        ctx->dead = 0;
        keys_free(&keys);
}

/* ---- the outbox's queues ------------------------------------------------------- */

static target_t target_of(esc_action_kind_t k)
{
        switch (k) {
        case ESC_ACT_CREATE_ISSUE:
        case ESC_ACT_LINEAR:
                return T_LINEAR;
        case ESC_ACT_PAGE:
        case ESC_ACT_RESOLVE_PAGE:
        case ESC_ACT_PAGE_MANAGER:
                return T_PAGERDUTY;
        case ESC_ACT_TICKET:
                return T_ZENDESK;
        default:
                return T_SLACK;
        }
}

/* Channel, issue and pages are recorded by their own commands and owed from
 * the folded state (reconciliation); every other job of an event is
 * recorded as RecordOutbound under its key. */
static bool outboxed(const job_t *j)
{
        if (!j->seq)
                return false;
        switch (j->a.kind) {
        case ESC_ACT_CREATE_CHANNEL:
        case ESC_ACT_CREATE_ISSUE:
        case ESC_ACT_PAGE:
        case ESC_ACT_PAGE_MANAGER:
        case ESC_ACT_INVITE:
                return false;
        default:
                return true;
        }
}

/* The outbox key: "<target>:<action>:<event seq>", e.g. "slack:post:12". */
static void job_key(const job_t *j, char *buf, size_t size)
{
        snprintf(buf, size, "%s:%s:%" PRId64, target_names[target_of(j->a.kind)],
                 esc_action_kind_name(j->a.kind), j->seq);
}

static bool target_enabled(actions_ctx_t *ctx, target_t t)
{
        switch (t) {
        case T_SLACK:
                return esc_actions_slack_enabled(ctx->api);
        case T_ZENDESK:
                return esc_actions_zendesk_enabled(ctx->api);
        case T_LINEAR:
                return esc_actions_linear_enabled(ctx->api);
        default:
                return true; /* routing keys are per service: checked per page */
        }
}

static job_t *list_push(job_list_t *l)
{
        if (l->head > 0 && l->head >= l->n / 2) {
                memmove(l->v, l->v + l->head, (l->n - l->head) * sizeof(*l->v));
                l->n -= l->head;
                l->head = 0;
        }
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 64;
                l->v = esc_xrealloc(l->v, l->cap * sizeof(*l->v));
        }
        return memset(&l->v[l->n++], 0, sizeof(job_t));
}

static size_t list_len(const job_list_t *l)
{
        return l->n - l->head;
}

static void job_free(actions_ctx_t *ctx, job_t *j)
{
        esc_actions_incident_t *inc = esc_strmap_get(ctx->incidents, j->incident_id);
        if (inc && inc->jobs > 0)
                inc->jobs--;
        free(j->incident_id);
        if (j->ev) {
                esc_event_clear(j->ev);
                free(j->ev);
        }
        memset(j, 0, sizeof(*j));
}

static void list_clear(actions_ctx_t *ctx, job_list_t *l)
{
        for (size_t i = l->head; i < l->n; i++)
                job_free(ctx, &l->v[i]);
        free(l->v);
        memset(l, 0, sizeof(*l));
}

/* Keeps the jobs for which keep() is true, in order. */
static void list_filter(actions_ctx_t *ctx, job_list_t *l, bool (*keep)(const job_t *, void *),
                        void *arg)
{
        size_t w = l->head;
        for (size_t i = l->head; i < l->n; i++) {
                if (keep(&l->v[i], arg))
                        l->v[w++] = l->v[i];
                else
                        job_free(ctx, &l->v[i]);
        }
        l->n = w;
}

static void job_init(job_t *j, esc_actions_incident_t *inc, const char *id, const esc_action_t *a,
                     const esc_event_t *ev, int32_t partition, int64_t offset)
{
        j->incident_id = esc_strdup(id);
        j->a = *a;
        j->seq = ev ? ev->seq : 0;
        j->partition = partition;
        j->offset = ev ? offset : -1;
        j->queued_us = esc_mono_us();
        if (ev &&
            (a->kind == ESC_ACT_POST || a->kind == ESC_ACT_TICKET || a->kind == ESC_ACT_LINEAR)) {
                j->ev = esc_xcalloc(1, sizeof(esc_event_t));
                esc_event_copy(j->ev, ev);
        }
        inc->jobs++;
}

static void enqueue(actions_ctx_t *ctx, esc_actions_incident_t *inc, const char *id,
                    const esc_action_t *a, const esc_event_t *ev, int32_t partition, int64_t offset)
{
        target_t t = target_of(a->kind);
        if (!target_enabled(ctx, t))
                return;
        job_init(list_push(&ctx->q[t].jobs), inc, id, a, ev, partition, offset);
}

static bool kickoff_owed(const job_list_t *owed, const char *id)
{
        for (size_t i = owed->head; i < owed->n; i++)
                if (owed->v[i].a.kind == ESC_ACT_POST && owed->v[i].ev &&
                    owed->v[i].ev->type == ESC_EV_SEVERITY_ASSIGNED &&
                    !strcmp(owed->v[i].incident_id, id))
                        return true;
        return false;
}

/* The jobs ev calls for: onto the queues when live, else (a replayed
 * event the committed offset says may not have been done) onto the
 * partition's owed list, which the log's OutboundRecorded events thin out
 * while the replay goes on. */
static void plan_jobs(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc,
                      const esc_event_t *ev, int32_t p, int64_t offset, bool owed)
{
        esc_actions_plan_t plan;
        esc_actions_plan(inc, ev, ctx->pol, &plan);
        for (int i = 0; i < plan.n; i++) {
                /* Reconciliation's kickoff, unless the replay owes the
                 * SeverityAssigned's own post, which is the kickoff. */
                if (!ev && plan.v[i].kind == ESC_ACT_POST && kickoff_owed(&ctx->parts[p].owed, id))
                        continue;
                if (!owed) {
                        enqueue(ctx, inc, id, &plan.v[i], ev, p, offset);
                        continue;
                }
                job_t probe = {.a = plan.v[i], .seq = ev->seq};
                if (!outboxed(&probe) || !target_enabled(ctx, target_of(plan.v[i].kind)))
                        continue;
                job_t *j = list_push(&ctx->parts[p].owed);
                job_init(j, inc, id, &plan.v[i], ev, p, offset);
                j->verify = true;
        }
}

typedef struct recorded_arg {
        const char *incident_id, *key;
} recorded_arg_t;

static bool not_recorded(const job_t *j, void *arg)
{
        recorded_arg_t *ra = arg;
        char key[96];
        if (strcmp(j->incident_id, ra->incident_id))
                return true;
        job_key(j, key, sizeof(key));
        return strcmp(key, ra->key) != 0;
}

/* ---- record-back commands ------------------------------------------------------- */

/* Sends the record-back commands still owed for inc (delivery only; the
 * ledger's event comes back through esc.events). */
static void send_records(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc)
{
        static const struct {
                unsigned bit;
                esc_command_type_t type;
                const char *kind;
        } recs[] = {
                {ESC_ACTIONS_REC_CHANNEL, ESC_CMD_RECORD_CHANNEL, "channel"},
                {ESC_ACTIONS_REC_ISSUE, ESC_CMD_RECORD_TRACKING_ISSUE, "issue"},
                {ESC_ACTIONS_REC_PAGE, ESC_CMD_RECORD_PAGE, "page"},
                {ESC_ACTIONS_REC_MANAGER_PAGE, ESC_CMD_RECORD_PAGE, "page-manager"},
        };
        for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
                if (!(inc->pending_records & recs[i].bit))
                        continue;
                esc_command_t cmd;
                esc_verdict_t v;
                char cid[64], err[512], q[160];
                esc_command_init(&cmd, recs[i].type);
                char kind[32];
                /* A reopened incident's page is another record. */
                if (recs[i].bit == ESC_ACTIONS_REC_PAGE && inc->st.reopened)
                        snprintf(kind, sizeof(kind), "page-r%d", (int)inc->st.reopened);
                else
                        esc_strlcpy(kind, recs[i].kind, sizeof(kind));
                esc_actions_command_id(kind, id, cid, sizeof(cid));
                cmd.command_id = esc_strdup(cid);
                cmd.incident_id = esc_strdup(id);
                cmd.actor = esc_strdup(ACTOR);
                cmd.issued_at = cmd.occurred_at = esc_now();
                switch (recs[i].type) {
                case ESC_CMD_RECORD_CHANNEL:
                        cmd.p.record_channel.slack_channel_id = esc_strdup(inc->channel_id);
                        cmd.p.record_channel.name = esc_strdup(inc->channel_name);
                        break;
                case ESC_CMD_RECORD_TRACKING_ISSUE:
                        cmd.p.record_tracking_issue.system = esc_strdup("linear");
                        cmd.p.record_tracking_issue.issue_id = esc_strdup(inc->issue_id);
                        cmd.p.record_tracking_issue.url =
                                esc_strdup(inc->issue_url ? inc->issue_url : "");
                        break;
                default:
                        if (recs[i].bit == ESC_ACTIONS_REC_MANAGER_PAGE) {
                                char dk[ESC_MAX_ID + 16];
                                snprintf(dk, sizeof(dk), "%s:manager", id);
                                cmd.p.record_page.service = esc_strdup("manager");
                                cmd.p.record_page.dedup_key = esc_strdup(dk);
                                cmd.p.record_page.to = esc_strdup(
                                        *inc->st.cs_manager ? inc->st.cs_manager : "cs_manager");
                                break;
                        }
                        cmd.p.record_page.service = esc_strdup(inc->page_service);
                        cmd.p.record_page.dedup_key =
                                esc_strdup(inc->page_dedup ? inc->page_dedup : id);
                        cmd.p.record_page.to =
                                esc_strdup(*inc->st.owner ? inc->st.owner : "on-call");
                        break;
                }
                esc_submit_rc_t rc = esc_submit_send(ctx->sub, &cmd, -1, &v, err, sizeof(err));
                esc_verdict_clear(&v);
                esc_command_clear(&cmd);
                if (rc == ESC_SUBMIT_OK) {
                        inc->pending_records &= ~recs[i].bit;
                        esc_log(ESC_LOG_INFO, COMP, "recorded", "incident=%s command=%s",
                                esc_log_quote(id, q, sizeof(q)),
                                esc_command_type_name(recs[i].type));
                } else {
                        esc_log(ESC_LOG_ERROR, COMP,
                                "record-back command not delivered, will retry",
                                "incident=%s command=%s error=\"%s\"",
                                esc_log_quote(id, q, sizeof(q)),
                                esc_command_type_name(recs[i].type), err);
                        ctx->attention = true;
                }
        }
}

/* A channel, issue or page refused for good is recorded too (as failed),
 * or every restart's reconciliation would ask again. */
static bool records_refusal(const job_t *j)
{
        return j->called && !strcmp(j->status, ESC_OUTBOUND_FAILED) &&
               (j->a.kind == ESC_ACT_CREATE_CHANNEL || j->a.kind == ESC_ACT_CREATE_ISSUE ||
                j->a.kind == ESC_ACT_PAGE);
}

/* RecordOutbound for a called job; false if it could not be delivered
 * (the job stays at its queue's head and is sent again). */
static bool send_outbound(actions_ctx_t *ctx, const job_t *j)
{
        esc_command_t cmd;
        esc_verdict_t v;
        char key[96], kind[128], cid[64], err[512], q[160];

        esc_actions_incident_t *inc = incident(ctx, j->incident_id);
        job_key(j, key, sizeof(key));
        if (!j->seq) /* reconciliation: named by the incident's seq at the time */
                snprintf(key, sizeof(key), "%s:%s:s%" PRId64, target_names[target_of(j->a.kind)],
                         esc_action_kind_name(j->a.kind), inc ? inc->st.seq : 0);
        if (inc && records_refusal(j))
                inc->refused |= esc_actions_refusal(key);
        snprintf(kind, sizeof(kind), "outbound-%s", key);
        esc_actions_command_id(kind, j->incident_id, cid, sizeof(cid));
        esc_command_init(&cmd, ESC_CMD_RECORD_OUTBOUND);
        cmd.command_id = esc_strdup(cid);
        cmd.incident_id = esc_strdup(j->incident_id);
        cmd.actor = esc_strdup(ACTOR);
        cmd.issued_at = cmd.occurred_at = esc_now();
        cmd.p.record_outbound.target = esc_strdup(target_names[target_of(j->a.kind)]);
        cmd.p.record_outbound.key = esc_strdup(key);
        cmd.p.record_outbound.status = esc_strdup(j->status);
        esc_submit_rc_t rc = esc_submit_send(ctx->sub, &cmd, -1, &v, err, sizeof(err));
        esc_verdict_clear(&v);
        esc_command_clear(&cmd);
        if (rc != ESC_SUBMIT_OK)
                esc_log(ESC_LOG_ERROR, COMP, "record_outbound not delivered, will retry",
                        "incident=%s key=%s error=\"%s\"",
                        esc_log_quote(j->incident_id, q, sizeof(q)), key, err);
        return rc == ESC_SUBMIT_OK;
}

/* ---- actions ----------------------------------------------------------------------- */

static void invite(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc, esc_role_t role)
{
        const char *who = esc_actions_owner(inc, role);
        char err[512], q[160];
        const esc_person_t *p;

        if (!inc->channel_id || !*who || !strcmp(inc->invited[role], who))
                return;
        p = esc_policy_person(ctx->pol, who);
        if (!p || !p->slack_user_id || !*p->slack_user_id) {
                esc_log(ESC_LOG_WARN, COMP, "owner not invited: no slack_user_id",
                        "incident=%s role=%s person=%s fix=\"add slack_user_id to the person in "
                        "the "
                        "policy's people\"",
                        esc_log_quote(id, q, sizeof(q)), esc_role_name(role), who);
                esc_strlcpy(inc->invited[role], who, sizeof(inc->invited[role]));
                return;
        }
        esc_api_rc_t rc = esc_actions_slack_invite(ctx->api, inc->channel_id, p->slack_user_id, err,
                                                   sizeof(err));
        if (rc == ESC_API_OK) {
                esc_strlcpy(inc->invited[role], who, sizeof(inc->invited[role]));
                inc->invite_retry &= ~(1u << role);
                esc_metric_add(ctx->m_actions, "action=\"invite\"", 1);
                esc_log(ESC_LOG_INFO, COMP, "invited", "incident=%s role=%s person=%s channel=%s",
                        esc_log_quote(id, q, sizeof(q)), esc_role_name(role), who, inc->channel_id);
                return;
        }
        esc_metric_add(ctx->m_failures, "action=\"invite\"", 1);
        esc_log(ESC_LOG_ERROR, COMP,
                rc == ESC_API_RETRY ? "invite failed, will retry" : "invite failed",
                "incident=%s person=%s error=\"%s\"", esc_log_quote(id, q, sizeof(q)), who, err);
        if (rc == ESC_API_RETRY) {
                /* Transient: invited again from the Slack queue. */
                if (!(inc->invite_retry & (1u << role)))
                        enqueue(ctx, inc, id, &(esc_action_t){.kind = ESC_ACT_INVITE, .role = role},
                                NULL, inc->partition, -1);
                inc->invite_retry |= 1u << role;
                return;
        }
        inc->invite_retry &= ~(1u << role);
        /* Final (user_not_found, ...): said in the channel, not retried. */
        esc_strlcpy(inc->invited[role], who, sizeof(inc->invited[role]));
        esc_buf_t text;
        char perr[512];
        esc_buf_init(&text, 0);
        esc_buf_printf(
                &text,
                ":warning: Could not invite %s (%s, Slack id %s): %s. Please add them by hand.",
                who, esc_role_name(role), p->slack_user_id, err);
        if (esc_actions_slack_post(ctx->api, inc->channel_id, text.data, perr, sizeof(perr)) !=
            ESC_API_OK)
                esc_log(ESC_LOG_ERROR, COMP, "could not post the failed invite",
                        "incident=%s error=\"%s\"", esc_log_quote(id, q, sizeof(q)), perr);
        esc_buf_free(&text);
}

/* The channel's topic (Sev, owners, SLA; it names the incident). Not
 * worth failing the channel for: logged. */
static void set_topic(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc)
{
        esc_buf_t topic;
        char err[512], q[160];
        esc_buf_init(&topic, 0);
        esc_actions_channel_topic(inc, id, &topic);
        if (esc_actions_slack_set_topic(ctx->api, inc->channel_id, topic.data ? topic.data : "",
                                        err, sizeof(err)) != ESC_API_OK)
                esc_log(ESC_LOG_ERROR, COMP, "channel topic not set", "incident=%s error=\"%s\"",
                        esc_log_quote(id, q, sizeof(q)), err);
        esc_buf_free(&topic);
}

typedef struct held_arg {
        const char *channel_id;
        bool held;
} held_arg_t;

static void holds_channel(const char *key, void *value, void *opaque)
{
        const esc_actions_incident_t *inc = value;
        held_arg_t *a = opaque;
        (void)key;
        if (inc->channel_id && !strcmp(inc->channel_id, a->channel_id))
                a->held = true;
}

/* Does an incident in memory have this channel already? */
static bool channel_held(actions_ctx_t *ctx, const char *channel_id)
{
        held_arg_t a = {.channel_id = channel_id};
        esc_strmap_foreach(ctx->incidents, holds_channel, &a);
        return a.held;
}

static esc_api_rc_t create_channel(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc,
                                   char *err, size_t err_size)
{
        char name[ESC_ACTIONS_CHANNEL_MAX + 1], q[160];
        esc_api_rc_t rc = ESC_API_FAIL;
        const char *priv = esc_config_get(ctx->conf, "slack.private_channels");
        bool is_private =
                priv && (!strcmp(priv, "true") || !strcmp(priv, "yes") || !strcmp(priv, "1"));
        if (!esc_actions_slack_enabled(ctx->api))
                return esc_err(err, err_size, "slack.token is not set (env ESC_SLACK_TOKEN)"),
                       ESC_API_FAIL;
        for (int attempt = 1; attempt <= 20; attempt++) {
                char *cid = NULL, *cname = NULL;
                esc_actions_channel_name(inc, attempt, name, sizeof(name));
                rc = esc_actions_slack_create(ctx->api, name, is_private, &cid, &cname, err,
                                              err_size);
                if (rc == ESC_API_NAME_TAKEN) {
                        /* Ours already, made by a run that crashed before
                         * recording it? Its topic names the incident; or it
                         * has no topic yet, our bot made it, and no other
                         * incident holds it (a crash before the topic). */
                        char *mine = NULL, *untitled = NULL, ferr[256];
                        if (esc_actions_slack_find_channel(ctx->api, name, id, &mine, &untitled,
                                                           ferr, sizeof(ferr)) == ESC_API_OK &&
                            !mine && untitled && !channel_held(ctx, untitled)) {
                                mine = untitled;
                                untitled = NULL;
                        }
                        free(untitled);
                        if (mine) {
                                esc_log(ESC_LOG_INFO, COMP, "channel made before a restart found",
                                        "incident=%s channel=%s", esc_log_quote(id, q, sizeof(q)),
                                        mine);
                                free(inc->channel_id);
                                free(inc->channel_name);
                                inc->channel_id = mine;
                                inc->channel_name = esc_strdup(name);
                                set_topic(ctx, id, inc);
                                rc = ESC_API_OK;
                                break;
                        }
                        esc_log(ESC_LOG_INFO, COMP, "channel name taken, adding a suffix",
                                "name=%s", name);
                        rc = ESC_API_FAIL;
                        esc_err(err, err_size,
                                "slack conversations.create: every name up to %s is taken", name);
                        continue;
                }
                if (rc == ESC_API_OK) {
                        free(inc->channel_id);
                        free(inc->channel_name);
                        inc->channel_id = cid;
                        inc->channel_name = cname;
                        esc_fault_point("actions.before.set_topic");
                        set_topic(ctx, id, inc);
                }
                break;
        }
        if (rc != ESC_API_OK)
                return rc;
        esc_fault_point("actions.after.create_channel");
        inc->pending_records |= ESC_ACTIONS_REC_CHANNEL;
        send_records(ctx, id, inc);
        for (int r = 0; r < ESC_ROLE__COUNT; r++)
                invite(ctx, id, inc, (esc_role_t)r);
        return ESC_API_OK;
}

static esc_api_rc_t create_issue(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc,
                                 char *err, size_t err_size)
{
        char uuid[37];
        esc_buf_t title, desc;
        char *iid = NULL, *url = NULL;
        if (!esc_actions_linear_enabled(ctx->api))
                return esc_err(err, err_size, "linear.token or linear.team_id is not set"),
                       ESC_API_FAIL;
        esc_buf_init(&title, 0);
        esc_buf_init(&desc, 0);
        esc_actions_issue_title(inc, &title);
        esc_actions_issue_description(inc, id, ctx->pol, &desc);
        esc_actions_issue_uuid(id, uuid);
        /* Assigned to the owner, prioritised by the sev (DESIGN §9). */
        const esc_person_t *owner = esc_policy_person(ctx->pol, inc->st.owner);
        json_t *extra = json_pack("{s:i}", "priority", esc_actions_linear_priority(inc->st.sev));
        if (extra && owner && owner->linear_user_id)
                json_object_set_new(extra, "assigneeId", json_string(owner->linear_user_id));
        esc_api_rc_t rc = esc_actions_linear_create(ctx->api, uuid, title.data ? title.data : "",
                                                    desc.data ? desc.data : "", extra, &iid, &url,
                                                    err, err_size);
        json_decref(extra);
        esc_buf_free(&title);
        esc_buf_free(&desc);
        if (rc != ESC_API_OK)
                return rc;
        free(inc->issue_id);
        free(inc->issue_url);
        inc->issue_id = iid;
        inc->issue_url = url;
        esc_fault_point("actions.after.create_issue");
        inc->pending_records |= ESC_ACTIONS_REC_ISSUE;
        send_records(ctx, id, inc);
        return ESC_API_OK;
}

/* The routing key for a service name (a product area or "default"); NULL
 * if none. The key is a credential: it is never logged. */
static const char *routing_key(actions_ctx_t *ctx, const char *service)
{
        char key[ESC_MAX_STR + 64];
        snprintf(key, sizeof(key), "pagerduty.routing_keys.%s", service);
        const char *v = esc_config_get(ctx->conf, key);
        return v && *v ? v : NULL;
}

static esc_api_rc_t page(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc,
                         bool resolve, char *err, size_t err_size)
{
        const char *area = inc->product_area ? inc->product_area : "default";
        const char *service = resolve && inc->page_service ? inc->page_service : area;
        const char *rk = routing_key(ctx, service);
        if (!rk) {
                service = "default";
                rk = routing_key(ctx, service);
        }
        if (!rk)
                return esc_err(err, err_size,
                               "no PagerDuty routing key for product area '%s' (set "
                               "pagerduty.routing_keys.%s or pagerduty.routing_keys.default)",
                               area, area),
                       ESC_API_FAIL;
        esc_buf_t summary;
        char *details = NULL;
        esc_buf_init(&summary, 0);
        if (!resolve) {
                char due[40] = "";
                esc_actions_issue_title(inc, &summary);
                if (inc->st.response_due_at != ESC_TIME_NONE)
                        esc_time_format(inc->st.response_due_at, due, sizeof(due));
                json_t *dj = json_pack("{s:s, s:s, s:i, s:s, s:s}", "incident_id", id, "account",
                                       inc->account ? inc->account : "", "sev", (int)inc->st.sev,
                                       "response_due_at", due, "channel",
                                       inc->channel_name ? inc->channel_name : "");
                details = dj ? json_dumps(dj, JSON_COMPACT) : NULL;
                json_decref(dj);
        }
        char dk[ESC_MAX_ID + 32];
        if (resolve && inc->page_dedup)
                esc_strlcpy(dk, inc->page_dedup, sizeof(dk));
        else
                esc_actions_page_key(inc, id, dk, sizeof(dk));
        esc_api_rc_t rc =
                esc_actions_pagerduty_event(ctx->api, rk, resolve ? "resolve" : "trigger", dk,
                                            summary.data, area, details, err, err_size);
        esc_buf_free(&summary);
        free(details);
        if (rc != ESC_API_OK)
                return rc;
        if (resolve) {
                inc->paged = false;
                return ESC_API_OK;
        }
        inc->paged = true;
        free(inc->page_service);
        inc->page_service = esc_strdup(service);
        free(inc->page_dedup);
        inc->page_dedup = esc_strdup(dk);
        esc_fault_point("actions.after.page");
        inc->pending_records |= ESC_ACTIONS_REC_PAGE;
        send_records(ctx, id, inc);
        return ESC_API_OK;
}

/* UnownedEscalated, a breached response SLA: the CS manager is paged on
 * pagerduty.manager_routing_key, dedup key "<incident>:manager". */
static esc_api_rc_t page_manager(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc,
                                 char *err, size_t err_size)
{
        const char *rk = esc_config_get(ctx->conf, "pagerduty.manager_routing_key");
        char dk[ESC_MAX_ID + 16];
        esc_buf_t summary;

        if (!rk || !*rk)
                return esc_err(err, err_size,
                               "no PagerDuty routing key for the CS manager (set "
                               "pagerduty.manager_routing_key)"),
                       ESC_API_FAIL;
        snprintf(dk, sizeof(dk), "%s:manager", id);
        esc_buf_init(&summary, 0);
        esc_buf_printf(&summary, "%s needs an owner or is past its response SLA: ", id);
        esc_actions_issue_title(inc, &summary);
        esc_api_rc_t rc = esc_actions_pagerduty_event(ctx->api, rk, "trigger", dk, summary.data,
                                                      "cs_manager", NULL, err, err_size);
        esc_buf_free(&summary);
        if (rc != ESC_API_OK)
                return rc;
        inc->manager_paged = true;
        esc_fault_point("actions.after.page_manager");
        inc->pending_records |= ESC_ACTIONS_REC_MANAGER_PAGE;
        send_records(ctx, id, inc);
        return ESC_API_OK;
}

static esc_api_rc_t remind(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc,
                           const esc_action_t *a, const char *key, char *err, size_t err_size)
{
        esc_buf_t text;
        if (!esc_actions_slack_enabled(ctx->api))
                return esc_err(err, err_size, "slack.token is not set (env ESC_SLACK_TOKEN)"),
                       ESC_API_FAIL;
        esc_buf_init(&text, 0);
        esc_actions_reminder_text(inc, id, a, ctx->pol, &text);
        esc_api_rc_t rc = esc_actions_slack_post_keyed(ctx->api, inc->channel_id, text.data, id,
                                                       key, false, err, err_size);
        esc_buf_free(&text);
        return rc;
}

static esc_api_rc_t post(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc,
                         const esc_event_t *ev, const char *key, char *err, size_t err_size)
{
        esc_buf_t text;
        esc_api_rc_t rc = ESC_API_OK;

        if (!esc_actions_slack_enabled(ctx->api))
                return esc_err(err, err_size, "slack.token is not set (env ESC_SLACK_TOKEN)"),
                       ESC_API_FAIL;
        esc_buf_init(&text, 0);
        /* The kickoff carries the buttons people act with (esc webhook). */
        bool kickoff = !ev || ev->type == ESC_EV_SEVERITY_ASSIGNED;
        if (esc_actions_post_text(inc, id, ev, ctx->pol, &text))
                rc = esc_actions_slack_post_keyed(ctx->api, inc->channel_id, text.data, id, key,
                                                  kickoff, err, err_size);
        esc_buf_free(&text);
        return rc;
}

/* The customer's Zendesk ticket hears ev (DESIGN §9): public replies with
 * the external text only, internal notes, status, the sev custom field
 * (zendesk.fields.sev, value sev_<n>) and the esc link field
 * (zendesk.fields.esc_link, the incident id). */
static esc_api_rc_t ticket(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc,
                           const esc_event_t *ev, const char *key, char *err, size_t err_size)
{
        esc_actions_ticket_t t;
        json_t *fields = json_array();
        const char *sev_field = esc_config_get(ctx->conf, "zendesk.fields.sev");
        const char *link_field = esc_config_get(ctx->conf, "zendesk.fields.esc_link");
        char sev[16];

        if (!esc_actions_zendesk_enabled(ctx->api)) {
                json_decref(fields);
                return esc_err(err, err_size,
                               "zendesk.url, zendesk.email or zendesk.api_token is not set"),
                       ESC_API_FAIL;
        }
        if (!ev || !esc_actions_ticket_update(inc, id, ev, &t)) {
                json_decref(fields);
                if (ev)
                        esc_buf_free(&t.body);
                return ESC_API_OK;
        }
        if (t.sev && sev_field && *sev_field) {
                snprintf(sev, sizeof(sev), "sev_%d", t.sev);
                json_array_append_new(fields, json_pack("{s:I, s:s}", "id",
                                                        (json_int_t)strtoll(sev_field, NULL, 10),
                                                        "value", sev));
        }
        if (ev->type == ESC_EV_SEVERITY_ASSIGNED && link_field && *link_field)
                json_array_append_new(fields, json_pack("{s:I, s:s}", "id",
                                                        (json_int_t)strtoll(link_field, NULL, 10),
                                                        "value", id));
        esc_api_rc_t rc = esc_actions_zendesk_update(
                ctx->api, inc->ticket_id, t.body.data, t.public, t.status,
                json_array_size(fields) ? fields : NULL, key, err, err_size);
        json_decref(fields);
        esc_buf_free(&t.body);
        return rc;
}

/* The incident's Linear issue hears ev (DESIGN §9): comments, priority,
 * state (linear.states.completed / linear.states.started: workflow state
 * ids), and a child issue per corrective action, made under a
 * deterministic id so a repeat after a crash finds it instead. */
static esc_api_rc_t linear(actions_ctx_t *ctx, const char *id, esc_actions_incident_t *inc,
                           const esc_event_t *ev, const char *okey, char *err, size_t err_size)
{
        esc_actions_linear_t l;
        char uuid[37];
        esc_api_rc_t rc = ESC_API_OK;

        if (!ev || !esc_actions_linear_enabled(ctx->api) || !inc->issue_id)
                return ESC_API_OK;
        if (!esc_actions_linear_update(inc, ev, ctx->pol, &l)) {
                esc_buf_free(&l.comment);
                return ESC_API_OK;
        }
        esc_actions_issue_uuid(id, uuid);
        if (l.child) {
                char key[ESC_MAX_ID * 2 + 2], child[37], due[16];
                char *cid = NULL, *curl = NULL;
                snprintf(key, sizeof(key), "%s/%s", id, l.child_key);
                esc_actions_issue_uuid(key, child);
                json_t *extra = json_pack("{s:s}", "parentId", uuid);
                if (extra && l.assignee)
                        json_object_set_new(extra, "assigneeId", json_string(l.assignee));
                if (extra && l.child_due != ESC_DATE_NONE)
                        json_object_set_new(
                                extra, "dueDate",
                                json_string(esc_date_format(l.child_due, due, sizeof(due))));
                rc = esc_actions_linear_create(ctx->api, child, l.comment.data, l.comment.data,
                                               extra, &cid, &curl, err, err_size);
                json_decref(extra);
                free(cid);
                free(curl);
        } else {
                json_t *input = json_object();
                char key[64];
                if (l.priority)
                        json_object_set_new(input, "priority", json_integer(l.priority));
                if (l.assignee)
                        json_object_set_new(input, "assigneeId", json_string(l.assignee));
                snprintf(key, sizeof(key), "linear.states.%s", l.state ? l.state : "");
                const char *state = l.state ? esc_config_get(ctx->conf, key) : NULL;
                if (state && *state)
                        json_object_set_new(input, "stateId", json_string(state));
                char comment[37];
                esc_buf_t ck;
                esc_buf_init(&ck, 0);
                esc_buf_printf(&ck, "%s/%s", id, okey);
                esc_actions_issue_uuid(ck.data, comment);
                esc_buf_free(&ck);
                if (l.comment.len)
                        rc = esc_actions_linear_comment(ctx->api, uuid, comment, l.comment.data,
                                                        err, err_size);
                if (rc == ESC_API_OK && json_object_size(input))
                        rc = esc_actions_linear_issue_update(ctx->api, uuid, input, err, err_size);
                json_decref(input);
        }
        esc_buf_free(&l.comment);
        return rc;
}

/* An owed job from before a restart: whether the target already has it
 * (*found), looked up by its key. Kinds whose repeat is refused or
 * idempotent at the target need no lookup. */
static esc_api_rc_t look_up(actions_ctx_t *ctx, esc_actions_incident_t *inc, const job_t *j,
                            const char *key, bool *found, char *err, size_t err_size)
{
        *found = false;
        switch (j->a.kind) {
        case ESC_ACT_POST:
        case ESC_ACT_REMIND:
                return esc_actions_slack_find_post(ctx->api, inc->channel_id, key, found, err,
                                                   err_size);
        case ESC_ACT_TICKET:
                return esc_actions_zendesk_find_update(ctx->api, inc->ticket_id, key, found, err,
                                                       err_size);
        default:
                return ESC_API_OK;
        }
}

/* Does job j. ESC_API_RETRY leaves it at its queue's head. */
static esc_api_rc_t execute(actions_ctx_t *ctx, job_t *j)
{
        const char *id = j->incident_id;
        esc_actions_incident_t *inc = incident(ctx, id);
        char err[1024] = "", q[160], key[96];
        esc_api_rc_t rc;
        bool found = false;

        if (!inc || !esc_actions_needed(inc, &j->a, ctx->pol))
                return ESC_API_OK;
        if (j->a.kind == ESC_ACT_POST && !j->seq)
                snprintf(key, sizeof(key), "slack:post:%" PRId64, inc->st.seq);
        else
                job_key(j, key, sizeof(key));
        if (j->verify) {
                rc = look_up(ctx, inc, j, key, &found, err, sizeof(err));
                if (rc == ESC_API_RETRY)
                        goto failed;
                if (found) {
                        esc_log(ESC_LOG_INFO, COMP, "done before the restart, not repeated",
                                "incident=%s key=%s", esc_log_quote(id, q, sizeof(q)), key);
                        return ESC_API_OK;
                }
        }
        switch (j->a.kind) {
        case ESC_ACT_CREATE_CHANNEL:
                rc = create_channel(ctx, id, inc, err, sizeof(err));
                break;
        case ESC_ACT_INVITE:
                invite(ctx, id, inc, j->a.role);
                return ESC_API_OK;
        case ESC_ACT_CREATE_ISSUE:
                rc = create_issue(ctx, id, inc, err, sizeof(err));
                break;
        case ESC_ACT_PAGE:
                rc = page(ctx, id, inc, false, err, sizeof(err));
                break;
        case ESC_ACT_RESOLVE_PAGE:
                rc = page(ctx, id, inc, true, err, sizeof(err));
                break;
        case ESC_ACT_REMIND:
                rc = remind(ctx, id, inc, &j->a, key, err, sizeof(err));
                break;
        case ESC_ACT_POST:
                rc = post(ctx, id, inc, j->ev, key, err, sizeof(err));
                break;
        case ESC_ACT_PAGE_MANAGER:
                rc = page_manager(ctx, id, inc, err, sizeof(err));
                break;
        case ESC_ACT_TICKET:
                rc = ticket(ctx, id, inc, j->ev, key, err, sizeof(err));
                break;
        case ESC_ACT_LINEAR:
                rc = linear(ctx, id, inc, j->ev, key, err, sizeof(err));
                break;
        case ESC_ACT_ARCHIVE:
        case ESC_ACT_UNARCHIVE:
                rc = esc_actions_slack_archive(ctx->api, inc->channel_id,
                                               j->a.kind == ESC_ACT_ARCHIVE, err, sizeof(err));
                break;
        default:
                return ESC_API_OK;
        }
failed:;
        const char *what = esc_action_kind_name(j->a.kind);
        char labels[64];
        snprintf(labels, sizeof(labels), "action=\"%s\"", what);
        if (rc == ESC_API_OK) {
                esc_metric_add(ctx->m_actions, labels, 1);
                esc_log(ESC_LOG_INFO, COMP, "action done", "incident=%s action=%s key=%s",
                        esc_log_quote(id, q, sizeof(q)), what, key);
                return ESC_API_OK;
        }
        esc_metric_add(ctx->m_failures, labels, 1);
        esc_log(ESC_LOG_ERROR, COMP,
                rc == ESC_API_RETRY ? "action failed, will retry" : "action failed for good",
                "incident=%s action=%s key=%s error=\"%s\"", esc_log_quote(id, q, sizeof(q)), what,
                key, err);
        return rc == ESC_API_RETRY ? ESC_API_RETRY : ESC_API_FAIL;
}

/* The kickoff post and the ticket's first note carry the channel and the
 * Linear issue, which other queues make: they wait for those links up to
 * LINK_WAIT_US, then go without the one still missing. */
#define LINK_WAIT_US (30 * ESC_USEC_PER_SEC)

static bool waits_for_links(actions_ctx_t *ctx, const job_t *j, int64_t now)
{
        esc_actions_incident_t *inc = incident(ctx, j->incident_id);
        bool kickoff = !j->ev || j->ev->type == ESC_EV_SEVERITY_ASSIGNED;
        if (!inc || !kickoff || (j->a.kind != ESC_ACT_POST && j->a.kind != ESC_ACT_TICKET) ||
            now - j->queued_us > LINK_WAIT_US)
                return false;
        esc_action_t channel = {.kind = ESC_ACT_CREATE_CHANNEL};
        esc_action_t issue = {.kind = ESC_ACT_CREATE_ISSUE};
        return (esc_actions_linear_enabled(ctx->api) &&
                esc_actions_needed(inc, &issue, ctx->pol)) ||
               (j->a.kind == ESC_ACT_TICKET && esc_actions_slack_enabled(ctx->api) &&
                esc_actions_needed(inc, &channel, ctx->pol));
}

/* Runs the head of one target's queue. Returns false when the queue is
 * held (transient failure: backed off; record not delivered). */
static bool run_head(actions_ctx_t *ctx, target_queue_t *tq, int64_t now)
{
        job_t *j = &tq->jobs.v[tq->jobs.head];
        if (!j->called && waits_for_links(ctx, j, now)) {
                tq->next_try_us = now + 100 * 1000;
                return false;
        }
        if (!j->called) {
                esc_api_rc_t rc = execute(ctx, j);
                if (rc == ESC_API_RETRY) {
                        int ra = esc_actions_apis_retry_after_ms(ctx->api);
                        int wait = tq->backoff_ms ? tq->backoff_ms : RETRY_MIN_MS;
                        tq->backoff_ms = wait * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : wait * 2;
                        /* Jitter: up to a quarter more, so instances do not retry in step. */
                        wait += (int)(esc_mono_us() % (wait / 4 + 1));
                        if (ra >= 0)
                                wait = ra;
                        tq->next_try_us = now + (int64_t)wait * 1000;
                        return false;
                }
                tq->backoff_ms = 0;
                j->called = true;
                j->status = rc == ESC_API_OK ? ESC_OUTBOUND_DONE : ESC_OUTBOUND_FAILED;
                if (outboxed(j)) {
                        char point[64];
                        snprintf(point, sizeof(point), "actions.after.%s",
                                 esc_action_kind_name(j->a.kind));
                        esc_fault_point(point);
                }
        }
        if ((outboxed(j) || records_refusal(j)) && !send_outbound(ctx, j)) {
                tq->next_try_us = now + RETRY_MIN_MS * 1000;
                return false;
        }
        job_free(ctx, j);
        tq->jobs.head++;
        return true;
}

/* Runs the queues round-robin, a job at a time each, for at most
 * QUEUE_BUDGET_US: a slow or failing target never keeps the others
 * waiting, nor the consumer from polling within max.poll.interval.ms. */
#define QUEUE_BUDGET_US (5 * ESC_USEC_PER_SEC)

static void run_queues(actions_ctx_t *ctx)
{
        int64_t start = esc_mono_us();
        bool progress = true;
        while (progress && !esc_signals_stop_requested() &&
               esc_mono_us() - start < QUEUE_BUDGET_US) {
                progress = false;
                for (int t = 0; t < T__COUNT; t++) {
                        target_queue_t *tq = &ctx->q[t];
                        int64_t now = esc_mono_us();
                        if (list_len(&tq->jobs) == 0 || now < tq->next_try_us)
                                continue;
                        if (run_head(ctx, tq, now))
                                progress = true;
                }
        }
        for (int t = 0; t < T__COUNT; t++) {
                char labels[64];
                snprintf(labels, sizeof(labels), "target=\"%s\"", target_names[t]);
                esc_metric_set(ctx->m_queued, labels, (double)list_len(&ctx->q[t].jobs));
        }
}

/* Commits, per partition, the oldest offset whose jobs are not all done
 * (everything before it happened outside), asynchronously; sync on the way
 * out. Never during a replay, and never backwards. */
static void commit_done(actions_ctx_t *ctx, bool sync)
{
        int64_t *low = esc_xcalloc(MAX_PARTITIONS, sizeof(*low));
        for (int32_t p = 0; p < MAX_PARTITIONS; p++)
                low[p] = ctx->parts[p].next;
        for (int t = 0; t < T__COUNT; t++) {
                const job_list_t *l = &ctx->q[t].jobs;
                for (size_t i = l->head; i < l->n; i++)
                        if (l->v[i].offset >= 0 && l->v[i].partition >= 0 &&
                            l->v[i].partition < MAX_PARTITIONS &&
                            l->v[i].offset < low[l->v[i].partition])
                                low[l->v[i].partition] = l->v[i].offset;
        }
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
        for (int32_t p = 0; p < MAX_PARTITIONS; p++) {
                part_t *pt = &ctx->parts[p];
                if (!pt->assigned || !pt->reconciled || low[p] <= pt->committed)
                        continue;
                rd_kafka_topic_partition_list_add(l, ctx->topic, p)->offset = low[p];
                pt->committed = low[p];
        }
        if (l->cnt > 0 && ctx->rk) {
                rd_kafka_resp_err_t err = rd_kafka_commit(ctx->rk, l, sync ? 0 : 1);
                if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                        esc_log(ESC_LOG_WARN, COMP, "offset commit failed", "error=\"%s\"",
                                rd_kafka_err2str(err));
        }
        rd_kafka_topic_partition_list_destroy(l);
        free(low);
}

/* ---- replay and reconciliation -------------------------------------------------- */

typedef struct reconcile_arg {
        actions_ctx_t *ctx;
        int32_t partition; /* -1: incidents with a record-back to resend */
} reconcile_arg_t;

static void reconcile_one(const char *key, void *value, void *opaque)
{
        reconcile_arg_t *ra = opaque;
        esc_actions_incident_t *inc = value;
        if (!inc)
                return;
        if (ra->partition >= 0) {
                if (inc->partition == ra->partition)
                        plan_jobs(ra->ctx, key, inc, NULL, inc->partition, -1, false);
                return;
        }
        if (inc->pending_records)
                send_records(ra->ctx, key, inc);
        if (inc->pending_records)
                ra->ctx->attention = true;
}

/* Replay of partition p is done. Reconciliation waits a grace period:
 * record-back commands a previous run delivered just before it stopped may
 * still be in the ledger's hands, and their events arrive live meanwhile. */
static void caught_up(actions_ctx_t *ctx, int32_t p)
{
        ctx->parts[p].caught_up = true;
        ctx->parts[p].caught_up_us = esc_mono_us();
        esc_log(ESC_LOG_INFO, COMP, "partition replayed", "partition=%" PRId32 " end=%" PRId64, p,
                ctx->parts[p].end);
}

static void reconcile_partitions(actions_ctx_t *ctx)
{
        int64_t now = esc_mono_us();
        for (int32_t p = 0; p < MAX_PARTITIONS; p++) {
                part_t *pt = &ctx->parts[p];
                if (!pt->assigned || !pt->caught_up || pt->reconciled ||
                    now - pt->caught_up_us < ctx->grace_us)
                        continue;
                reconcile_arg_t ra = {.ctx = ctx, .partition = p};
                pt->reconciled = true;
                if (pt->end > 0)
                        esc_log(ESC_LOG_INFO, COMP, "reconciling replayed incidents",
                                "partition=%" PRId32 " owed=%zu", p, list_len(&pt->owed));
                esc_strmap_foreach(ctx->incidents, reconcile_one, &ra);
                /* Then what the replay owes, in log order, each looked up
                 * before it is done. */
                for (size_t i = pt->owed.head; i < pt->owed.n; i++) {
                        job_t *j = &pt->owed.v[i];
                        *list_push(&ctx->q[target_of(j->a.kind)].jobs) = *j;
                }
                free(pt->owed.v);
                memset(&pt->owed, 0, sizeof(pt->owed));
        }
}

/* The group's committed offsets of parts (where the outside work is
 * complete); a partition without one gets `end` committed now. */
static int committed_offsets(actions_ctx_t *ctx, rd_kafka_topic_partition_list_t *parts)
{
        rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(parts);
        rd_kafka_topic_partition_list_t *fresh = rd_kafka_topic_partition_list_new(4);
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        for (int attempt = 0; attempt < 30; attempt++) {
                err = rd_kafka_committed(ctx->rk, c, 5000);
                if (!err || esc_signals_stop_requested())
                        break;
                esc_log(ESC_LOG_WARN, COMP, "cannot read committed offsets, retrying",
                        "error=\"%s\"", rd_kafka_err2str(err));
        }
        for (int i = 0; !err && i < c->cnt; i++) {
                part_t *pt = &ctx->parts[c->elems[i].partition];
                if (c->elems[i].offset >= 0 && c->elems[i].offset <= pt->end) {
                        pt->owed_from = pt->committed = c->elems[i].offset;
                } else {
                        pt->owed_from = pt->committed = pt->end;
                        rd_kafka_topic_partition_list_add(fresh, ctx->topic, c->elems[i].partition)
                                ->offset = pt->end;
                }
        }
        if (!err && fresh->cnt > 0)
                err = rd_kafka_commit(ctx->rk, fresh, 0);
        if (err)
                esc_log(ESC_LOG_ERROR, COMP, "cannot learn what the outside systems were told",
                        "error=\"%s\"", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(c);
        rd_kafka_topic_partition_list_destroy(fresh);
        return err ? -1 : 0;
}

static int on_assign(esc_worker_t *w, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        actions_ctx_t *ctx = opaque;
        rd_kafka_t *rk = esc_worker_consumer(w);
        ctx->rk = rk;
        for (int i = 0; i < parts->cnt; i++) {
                int32_t p = parts->elems[i].partition;
                int64_t lo = -1, hi = -1;
                rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
                if (p < 0 || p >= MAX_PARTITIONS) {
                        esc_log(ESC_LOG_ERROR, COMP, "partition number out of range",
                                "partition=%" PRId32 " max=%d", p, MAX_PARTITIONS - 1);
                        return -1;
                }
                for (int attempt = 0; attempt < 30; attempt++) {
                        err = rd_kafka_query_watermark_offsets(rk, parts->elems[i].topic, p, &lo,
                                                               &hi, 5000);
                        if (!err || esc_signals_stop_requested())
                                break;
                        esc_log(ESC_LOG_WARN, COMP, "cannot read watermarks, retrying",
                                "partition=%" PRId32 " error=\"%s\"", p, rd_kafka_err2str(err));
                }
                if (err) {
                        esc_log(ESC_LOG_ERROR, COMP, "cannot learn where the replay ends",
                                "partition=%" PRId32 " error=\"%s\"", p, rd_kafka_err2str(err));
                        return -1;
                }
                if (lo > 0)
                        esc_log(ESC_LOG_WARN, COMP,
                                "history trimmed: incidents opened before "
                                "the low watermark are unknown",
                                "partition=%" PRId32 " low=%" PRId64, p, lo);
                ctx->parts[p] = (part_t){.assigned = true, .end = hi, .next = lo};
                if (hi <= lo)
                        caught_up(ctx, p);
                parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        }
        if (committed_offsets(ctx, parts))
                return -1;
        esc_log(ESC_LOG_INFO, COMP, "partitions assigned, replaying", "partitions=%d", parts->cnt);
        return 0;
}

typedef struct revoke_arg {
        const rd_kafka_topic_partition_list_t *parts;
        key_list_t keys;
} revoke_arg_t;

static void collect_revoked(const char *key, void *value, void *opaque)
{
        revoke_arg_t *ra = opaque;
        esc_actions_incident_t *inc = value;
        if (!inc)
                return;
        for (int i = 0; i < ra->parts->cnt; i++)
                if (ra->parts->elems[i].partition == inc->partition)
                        keys_push(&ra->keys, key);
}

static bool not_revoked(const job_t *j, void *arg)
{
        const rd_kafka_topic_partition_list_t *parts = arg;
        for (int i = 0; i < parts->cnt; i++)
                if (parts->elems[i].partition == j->partition)
                        return false;
        return true;
}

static void on_revoke(esc_worker_t *w, const rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        actions_ctx_t *ctx = opaque;
        revoke_arg_t ra = {.parts = parts};
        /* What is done is committed; the rest is owed by the next owner,
         * which replays from that offset and looks each job up. */
        commit_done(ctx, true);
        for (int t = 0; t < T__COUNT; t++)
                list_filter(ctx, &ctx->q[t].jobs, not_revoked, (void *)parts);
        esc_strmap_foreach(ctx->incidents, collect_revoked, &ra);
        for (size_t i = 0; i < ra.keys.n; i++)
                drop(ctx, ra.keys.v[i]);
        keys_free(&ra.keys);
        for (int i = 0; i < parts->cnt; i++) {
                int32_t p = parts->elems[i].partition;
                if (p >= 0 && p < MAX_PARTITIONS) {
                        list_clear(ctx, &ctx->parts[p].owed);
                        ctx->parts[p] = (part_t){0};
                }
        }
        compact_map(ctx);
        esc_metric_set(ctx->m_incidents, NULL, (double)ctx->live);
}

static void closed_push(actions_ctx_t *ctx, const char *id)
{
        if (ctx->nclosed == ctx->closed_cap) {
                ctx->closed_cap = ctx->closed_cap ? ctx->closed_cap * 2 : 16;
                ctx->closed = esc_xrealloc(ctx->closed, ctx->closed_cap * sizeof(*ctx->closed));
        }
        ctx->closed[ctx->nclosed++] = esc_strdup(id);
}

typedef struct restore_arg {
        esc_actions_incident_t *inc;
        int64_t before_seq; /* fold events below this seq */
} restore_arg_t;

static int restore_one(const esc_event_t *ev, const rd_kafka_message_t *m, const char *errmsg,
                       void *opaque)
{
        restore_arg_t *ra = opaque;
        if (ev && ev->seq < ra->before_seq)
                esc_actions_fold(ra->inc, ev);
        return 0;
}

/* A closed incident was dropped from memory; when it is reopened its
 * history is read back from its partition (reopens are rare), so it gets
 * its channel, issue and page back. NULL if that fails (logged). */
static esc_actions_incident_t *restore(actions_ctx_t *ctx, const esc_event_t *ev, int32_t p)
{
        char err[512], q[160];
        if (!ctx->log && !(ctx->log = esc_eventlog_new(ctx->conf, ctx->codec, err, sizeof(err)))) {
                esc_log(ESC_LOG_ERROR, COMP, "reopened incident not restored",
                        "incident=%s error=\"%s\"", esc_log_quote(ev->incident_id, q, sizeof(q)),
                        err);
                return NULL;
        }
        esc_actions_incident_t *inc = esc_xcalloc(1, sizeof(*inc));
        esc_actions_incident_init(inc);
        restore_arg_t ra = {inc, ev->seq};
        if (esc_eventlog_incident(ctx->log, ev->incident_id, restore_one, &ra, NULL, err,
                                  sizeof(err)) < 0 ||
            inc->st.seq == 0) {
                esc_log(ESC_LOG_ERROR, COMP, "reopened incident not restored",
                        "incident=%s error=\"%s\"", esc_log_quote(ev->incident_id, q, sizeof(q)),
                        inc->st.seq ? err : "no history found");
                free_incident(inc);
                return NULL;
        }
        inc->partition = p;
        esc_strmap_put(ctx->incidents, ev->incident_id, inc);
        ctx->live++;
        esc_log(ESC_LOG_INFO, COMP, "reopened incident restored from the log",
                "incident=%s events=%" PRId64, esc_log_quote(ev->incident_id, q, sizeof(q)),
                inc->st.seq);
        return inc;
}

static void fold_message(actions_ctx_t *ctx, const rd_kafka_message_t *m)
{
        char why[512], q[160];
        esc_event_t *ev = &ctx->ev;
        int32_t p = m->partition;
        part_t *pt = &ctx->parts[p];

        esc_event_init(ev, ESC_EV_ESCALATION_OPENED);
        if (esc_codec_decode_event(ctx->codec, m->payload, m->len, ev, why, sizeof(why)) !=
            ESC_CODEC_OK) {
                /* The sla projection dead-letters undecodable events; here
                 * it is enough not to act on one, loudly. */
                esc_log(ESC_LOG_ERROR, COMP, "undecodable event skipped",
                        "partition=%" PRId32 " offset=%" PRId64 " error=\"%s\"", p, m->offset, why);
                return;
        }
        bool live = pt->caught_up && m->offset >= pt->end;
        esc_actions_incident_t *inc = incident(ctx, ev->incident_id);
        if (!inc && ev->type == ESC_EV_ESCALATION_OPENED) {
                inc = esc_xcalloc(1, sizeof(*inc));
                esc_actions_incident_init(inc);
                inc->partition = p;
                esc_strmap_put(ctx->incidents, ev->incident_id, inc);
                ctx->live++;
        } else if (!inc && live && ev->type == ESC_EV_REOPENED) {
                inc = restore(ctx, ev, p);
        }
        if (inc && esc_actions_fold(inc, ev)) {
                if (live) {
                        plan_jobs(ctx, ev->incident_id, inc, ev, p, m->offset, false);
                } else if (m->offset >= pt->owed_from) {
                        if (ev->type == ESC_EV_OUTBOUND_RECORDED) {
                                recorded_arg_t ra = {ev->incident_id, ev->p.outbound_recorded.key};
                                list_filter(ctx, &pt->owed, not_recorded, &ra);
                        } else {
                                plan_jobs(ctx, ev->incident_id, inc, ev, p, m->offset, true);
                        }
                }
                if (ev->type == ESC_EV_CLOSED)
                        closed_push(ctx, ev->incident_id);
                if (!live)
                        esc_metric_add(ctx->m_replayed, NULL, 1);
        } else if (!inc && live) {
                esc_log(ESC_LOG_DEBUG, COMP, "event of an unknown or closed incident ignored",
                        "incident=%s type=%s", esc_log_quote(ev->incident_id, q, sizeof(q)),
                        esc_event_type_name(ev->type));
        }
        esc_event_clear(ev);
        pt->next = m->offset + 1;
        if (!pt->caught_up && m->offset >= pt->end - 1)
                caught_up(ctx, p);
}

/* Drops the closed incidents whose jobs are done; the others wait. */
static void sweep_closed(actions_ctx_t *ctx)
{
        size_t keep = 0;
        for (size_t i = 0; i < ctx->nclosed; i++) {
                esc_actions_incident_t *inc = incident(ctx, ctx->closed[i]);
                if (inc && inc->st.status == ESC_STATUS_CLOSED && inc->jobs > 0) {
                        ctx->closed[keep++] = ctx->closed[i];
                        continue;
                }
                if (inc && inc->st.status == ESC_STATUS_CLOSED)
                        drop(ctx, ctx->closed[i]);
                free(ctx->closed[i]);
        }
        ctx->nclosed = keep;
        compact_map(ctx);
        esc_metric_set(ctx->m_incidents, NULL, (double)ctx->live);
}

static int on_batch(esc_worker_t *w, rd_kafka_message_t **msgs, size_t cnt,
                    esc_worker_msg_status_t *status, void *opaque)
{
        actions_ctx_t *ctx = opaque;
        /* Fold the whole batch first: an open's owners arrive right after
         * its SeverityAssigned, so the channel invites everyone at once. */
        for (size_t i = 0; i < cnt; i++) {
                if (msgs[i]->partition < 0 || msgs[i]->partition >= MAX_PARTITIONS)
                        continue;
                fold_message(ctx, msgs[i]);
        }
        run_queues(ctx);
        commit_done(ctx, false);
        sweep_closed(ctx);
        return 0;
}

static int on_tick(esc_worker_t *w, void *opaque)
{
        actions_ctx_t *ctx = opaque;
        rd_kafka_t *rk = esc_worker_consumer(w);
        rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(8);

        /* A replay can end on a control record (transactions) that is never
         * delivered: the consumer's position tells when it is done. */
        for (int32_t p = 0; p < MAX_PARTITIONS; p++)
                if (ctx->parts[p].assigned && !ctx->parts[p].caught_up)
                        rd_kafka_topic_partition_list_add(pos, ctx->topic, p);
        if (pos->cnt > 0 && !rd_kafka_position(rk, pos)) {
                for (int i = 0; i < pos->cnt; i++) {
                        int32_t p = pos->elems[i].partition;
                        if (pos->elems[i].offset >= 0 && pos->elems[i].offset >= ctx->parts[p].end)
                                caught_up(ctx, p);
                }
        }
        rd_kafka_topic_partition_list_destroy(pos);
        reconcile_partitions(ctx);

        if (ctx->attention) {
                reconcile_arg_t ra = {.ctx = ctx, .partition = -1};
                ctx->attention = false;
                esc_strmap_foreach(ctx->incidents, reconcile_one, &ra);
        }
        run_queues(ctx);
        commit_done(ctx, false);
        sweep_closed(ctx);
        return 0;
}

static int on_drain(esc_worker_t *w, void *opaque)
{
        commit_done(opaque, true);
        return 0;
}

static void free_one(const char *key, void *value, void *opaque)
{
        free_incident(value);
}

static void ctx_free(void *state)
{
        actions_ctx_t *ctx = state;

        if (!ctx)
                return;
        if (ctx->incidents) {
                esc_strmap_foreach(ctx->incidents, free_one, NULL);
                esc_strmap_destroy(ctx->incidents);
        }
        for (int t = 0; t < T__COUNT; t++)
                list_clear(ctx, &ctx->q[t].jobs);
        for (int32_t p = 0; p < MAX_PARTITIONS; p++)
                list_clear(ctx, &ctx->parts[p].owed);
        for (size_t i = 0; i < ctx->nclosed; i++)
                free(ctx->closed[i]);
        free(ctx->closed);
        esc_submit_destroy(ctx->sub);
        esc_eventlog_destroy(ctx->log);
        esc_actions_apis_destroy(ctx->api);
        esc_codec_destroy(ctx->codec);
        esc_policy_destroy(ctx->pol);
        free(ctx);
}

static void *actions_setup(esc_cli_t *cli, esc_worker_opts_t *opts, int *rc)
{
        char err[1024];
        long long grace_ms;

        if (esc_cli_config_int("worker actions", cli->conf, "actions.reconcile_grace_ms", 5000, 0,
                               3600000, &grace_ms)) {
                *rc = ESC_EXIT_USAGE;
                return NULL;
        }
        actions_ctx_t *ctx = esc_xcalloc(1, sizeof(*ctx));
        ctx->conf = cli->conf;
        ctx->incidents = esc_strmap_new();
        ctx->grace_us = grace_ms * 1000;
        esc_strlcpy(ctx->topic, opts->topics[0], sizeof(ctx->topic));
        if (!(ctx->pol = esc_policy_from_config(cli->conf, err, sizeof(err))) ||
            !(ctx->codec = esc_codec_new(cli->conf, err, sizeof(err))) ||
            !(ctx->api = esc_actions_apis_new(cli->conf, err, sizeof(err))) ||
            !(ctx->sub = esc_submit_new(cli->conf, err, sizeof(err)))) {
                ctx_free(ctx);
                *rc = esc_cli_fail(ESC_EXIT_RUNTIME, "worker actions", "%s", err);
                return NULL;
        }
        if (!esc_actions_slack_enabled(ctx->api))
                esc_log(ESC_LOG_WARN, COMP, "slack.token is not set: no channels or reminders",
                        "fix=\"set slack.token or env ESC_SLACK_TOKEN\"");
        if (!esc_actions_linear_enabled(ctx->api))
                esc_log(ESC_LOG_WARN, COMP, "Linear is not configured: no tracking issues",
                        "fix=\"set linear.token and linear.team_id\"");

        esc_log(ESC_LOG_INFO, COMP, "actions starting", "events=%s group=%s policy_version=%s",
                ctx->topic, opts->group, ctx->pol->version);
        return ctx;
}

static void actions_started(void *state, esc_worker_t *w)
{
        actions_ctx_t *ctx = state;
        esc_metrics_t *mx = esc_worker_metrics(w);
        ctx->m_actions = esc_metrics_counter(mx, "esc_actions_done_total",
                                             "Outside actions done, by action");
        ctx->m_failures = esc_metrics_counter(mx, "esc_actions_failed_total",
                                              "Outside actions that failed, by action");
        ctx->m_replayed = esc_metrics_counter(mx, "esc_actions_events_replayed_total",
                                              "Events folded while replaying partitions");
        ctx->m_incidents =
                esc_metrics_gauge(mx, "esc_actions_incidents", "Open incidents held in memory");
        ctx->m_queued =
                esc_metrics_gauge(mx, "esc_actions_queued", "Outbox jobs waiting, by target");
}

const esc_worker_app_t esc_worker_actions_app = {
        .name = "actions",
        .usage = usage,
        .group_key = "actions.group",
        .group_default = "esc-actions",
        .topic = "events",
        .ops = {.on_assign = on_assign,
                .on_revoke = on_revoke,
                .on_batch = on_batch,
                .on_tick = on_tick,
                .on_drain = on_drain},
        /* The worker commits its own offsets (commit_done), never the
         * runtime's "folded" positions. */
        .opts = {.batch_max = 500, .batch_ms = 50, .tick_ms = 1000, .no_commit = true},
        .setup = actions_setup,
        .started = actions_started,
        .teardown = ctx_free,
};
