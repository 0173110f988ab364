/* prog_sla_produce_events.c — writes events straight to <prefix>events for
 * the SLA projection's tests and benchmark, standing in for the ledger.
 *
 *   prog_sla_produce_events script --incident ID [--partitions N] [--repeat K]
 *       the scripted Sev 2 history of test_sla_scripted_history.sh (times
 *       in the comments there), K times over (a repeat re-sends the same
 *       (incident_id, seq): the projection must apply it once).
 *   prog_sla_produce_events reopen --incident ID [--partitions N]
 *       open Sev 3 -> ack -> resolve -> reopen.
 *   prog_sla_produce_events orphan --incident ID [--partitions N]
 *       one CommandRejected (unknown_incident) as seq 1 of an incident that
 *       was never opened: it gets no esc.incidents row.
 *   prog_sla_produce_events stream --incidents M --events N [--partitions P]
 *                                  [--rate R] [--tag T] [--from K]
 *       N events round-robin over M incidents "T-<i>" following a
 *       lifecycle that exercises every table (overrides, refused overrides,
 *       breaches, reviews, actions, reopen cycles). --from K starts at the
 *       K-th event of that same sequence (to continue a stream). --rate
 *       paces events per second (0: as fast as possible). Prints
 *       "produced N" after every delivery is acknowledged.
 *
 * The topic is created (N partitions, default 3) if missing. Broker and
 * prefix come from the usual configuration (ESC_KAFKA_BROKERS,
 * ESC_TOPIC_PREFIX, $ESC_DEV_DIR/env). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/codec.h"
#include "runtime/config.h"
#include "runtime/kafka.h"
#include "core/util.h"
#include "runtime/registry.h"
#include "runtime/sys.h"

static int failures;
static rd_kafka_t *rk;
static esc_codec_t *codec;
static char topic[256];

static void on_delivery(rd_kafka_t *k, const rd_kafka_message_t *m, void *opaque)
{
        (void)k;
        (void)opaque;
        if (m->err) {
                failures++;
                fprintf(stderr, "prog_sla_produce_events: delivery failed: %s\n",
                        rd_kafka_err2str(m->err));
        }
}

static int create_topic(int partitions)
{
        char err[512];
        rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, sizeof(err));
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_event_t *ev;
        int rc = -1;

        if (!nt) {
                fprintf(stderr, "prog_sla_produce_events: topic %s: %s\n", topic, err);
                rd_kafka_queue_destroy(q);
                return -1;
        }
        rd_kafka_NewTopic_set_config(nt, "retention.ms", "-1");
        rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
        if ((ev = rd_kafka_queue_poll(q, 30000))) {
                const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
                size_t n = 0;
                const rd_kafka_topic_result_t **tr =
                        res ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
                rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
                if (!e && n == 1)
                        e = rd_kafka_topic_result_error(tr[0]);
                if (!e || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                        rc = 0;
                else
                        fprintf(stderr, "prog_sla_produce_events: create %s: %s\n", topic,
                                rd_kafka_err2str(e));
                rd_kafka_event_destroy(ev);
        } else {
                fprintf(stderr, "prog_sla_produce_events: create %s: timed out\n", topic);
        }
        rd_kafka_NewTopic_destroy(nt);
        rd_kafka_queue_destroy(q);
        return rc;
}

static esc_time_t T(const char *iso)
{
        esc_time_t t = 0;
        if (esc_time_parse(iso, &t, NULL, 0))
                abort();
        return t;
}

#define MIN (60 * ESC_USEC_PER_SEC)

/* Fills the envelope; the payload is the caller's. */
static void envelope(esc_event_t *ev, esc_event_type_t type, const char *inc, int64_t seq,
                     esc_time_t at, const char *actor)
{
        char id[64];

        esc_event_init(ev, type);
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        for (const char *c = inc; *c; c++)
                h = (h ^ (unsigned char)*c) * UINT64_C(0x100000001b3);
        /* Deterministic, like the ledger's: derived from incident id + seq. */
        snprintf(id, sizeof(id), "%08" PRIx64 "-0000-4000-8000-%012" PRIx64, h & 0xffffffff,
                 (uint64_t)seq);
        ev->event_id = esc_strdup(id);
        ev->incident_id = esc_strdup(inc);
        ev->seq = seq;
        ev->occurred_at = at;
        ev->recorded_at = esc_now();
        ev->actor = esc_strdup(actor);
        snprintf(id, sizeof(id), "cmd-%s-%" PRId64, inc, seq);
        ev->command_id = esc_strdup(id);
        ev->command_partition = 0;
        ev->command_offset = seq;
        ev->policy_version = esc_strdup("test-policy-1");
}

static int produce(esc_event_t *ev)
{
        esc_buf_t buf;
        char err[512];
        rd_kafka_resp_err_t e;

        esc_buf_init(&buf, 1 << 20);
        if (esc_codec_encode_event(codec, ev, &buf, err, sizeof(err)) != ESC_CODEC_OK) {
                fprintf(stderr, "prog_sla_produce_events: encode %s seq %" PRId64 ": %s\n",
                        ev->incident_id, ev->seq, err);
                exit(1);
        }
        for (;;) {
                e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                      RD_KAFKA_V_KEY(ev->incident_id, strlen(ev->incident_id)),
                                      RD_KAFKA_V_VALUE(buf.data, buf.len),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
                if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(rk, 100);
        }
        if (e) {
                fprintf(stderr, "prog_sla_produce_events: produce: %s\n", rd_kafka_err2str(e));
                exit(1);
        }
        rd_kafka_poll(rk, 0);
        esc_buf_free(&buf);
        esc_event_clear(ev);
        return 0;
}

/* ---- the scripted history (expected rows in test_sla_scripted_history.sh) ---- */

static void script(const char *inc)
{
        esc_event_t ev;
        int64_t s = 0;

        envelope(&ev, ESC_EV_ESCALATION_OPENED, inc, ++s, T("2026-03-04T10:00:00Z"), "csm-carol");
        ev.p.opened.account.id = esc_strdup("acct-acme");
        ev.p.opened.account.name = esc_strdup("Acme \"Tabs\"\tand\\slashes");
        ev.p.opened.account.tier = ESC_TIER_STANDARD;
        ev.p.opened.account.health_score = 80;
        ev.p.opened.account.paying = true;
        ev.p.opened.product_area = esc_strdup("billing");
        ev.p.opened.title = esc_strdup("Invoices fail to render — “Größe”\nline two");
        ev.p.opened.impact = ESC_IMPACT_MAJOR_FEATURE_BROKEN;
        ev.p.opened.detected_at = T("2026-03-04T09:55:00Z");
        produce(&ev);

        envelope(&ev, ESC_EV_SEVERITY_ASSIGNED, inc, ++s, T("2026-03-04T10:00:00Z"), "esc-ledger");
        ev.p.sev_assigned.sev = 2;
        ev.p.sev_assigned.matrix_sev = 2;
        ev.p.sev_assigned.response_due_at = T("2026-03-04T11:00:00Z");
        ev.p.sev_assigned.next_update_due_at = T("2026-03-04T11:00:00Z");
        ev.p.sev_assigned.resolution_due_at = T("2026-03-05T10:00:00Z");
        produce(&ev);

        envelope(&ev, ESC_EV_OWNER_ASSIGNED, inc, ++s, T("2026-03-04T10:00:00Z"), "esc-ledger");
        ev.p.owner_assigned.role = ESC_ROLE_ENGINEERING_OWNER;
        ev.p.owner_assigned.person = esc_strdup("alice");
        produce(&ev);

        envelope(&ev, ESC_EV_OWNER_ASSIGNED, inc, ++s, T("2026-03-04T10:00:00Z"), "esc-ledger");
        ev.p.owner_assigned.role = ESC_ROLE_CSM;
        ev.p.owner_assigned.person = esc_strdup("carol");
        ev.p.owner_assigned.via = ESC_VIA_MANUAL;
        produce(&ev);

        envelope(&ev, ESC_EV_ACKNOWLEDGED, inc, ++s, T("2026-03-04T11:20:00Z"), "alice");
        ev.p.acknowledged.by = esc_strdup("alice");
        ev.p.acknowledged.message = esc_strdup("We see it; Sev 2; next update by 13:00");
        ev.p.acknowledged.next_update_at = T("2026-03-04T13:00:00Z");
        produce(&ev);

        envelope(&ev, ESC_EV_CUSTOMER_UPDATE_POSTED, inc, ++s, T("2026-03-04T12:50:00Z"), "carol");
        ev.p.update_posted.by = esc_strdup("carol");
        ev.p.update_posted.audience = ESC_AUDIENCE_EXTERNAL;
        ev.p.update_posted.body = esc_strdup("Still investigating");
        ev.p.update_posted.next_update_at = T("2026-03-04T14:50:00Z");
        produce(&ev);

        envelope(&ev, ESC_EV_CUSTOMER_UPDATE_POSTED, inc, ++s, T("2026-03-04T15:30:00Z"), "carol");
        ev.p.update_posted.by = esc_strdup("carol");
        ev.p.update_posted.audience = ESC_AUDIENCE_EXTERNAL;
        ev.p.update_posted.body = esc_strdup("Root cause found");
        ev.p.update_posted.next_update_at = T("2026-03-04T17:30:00Z");
        produce(&ev);

        envelope(&ev, ESC_EV_COMMAND_REJECTED, inc, ++s, T("2026-03-04T15:45:00Z"), "bob");
        ev.p.rejected.command_type = esc_strdup("override");
        ev.p.rejected.code = esc_strdup(ESC_REJ_OVERRIDE_REQUIRES_MANAGER);
        ev.p.rejected.message = esc_strdup("bob is not a cs_manager");
        produce(&ev);

        envelope(&ev, ESC_EV_SEVERITY_OVERRIDDEN, inc, ++s, T("2026-03-04T16:00:00Z"), "mgr-dana");
        ev.p.sev_overridden.from_sev = 2;
        ev.p.sev_overridden.to_sev = 1;
        ev.p.sev_overridden.by = esc_strdup("mgr-dana");
        ev.p.sev_overridden.reason = esc_strdup("renewal at risk");
        ev.p.sev_overridden.response_due_at = T("2026-03-04T10:15:00Z");
        ev.p.sev_overridden.next_update_due_at = T("2026-03-04T16:30:00Z");
        ev.p.sev_overridden.resolution_due_at = T("2026-03-04T14:00:00Z");
        produce(&ev);

        envelope(&ev, ESC_EV_SLA_BREACHED, inc, ++s, T("2026-03-04T16:01:00Z"), "esc-timers");
        ev.p.sla_breached.clock = ESC_CLOCK_RESOLUTION;
        ev.p.sla_breached.due_at = T("2026-03-04T14:00:00Z");
        produce(&ev);

        envelope(&ev, ESC_EV_CUSTOMER_UPDATE_POSTED, inc, ++s, T("2026-03-04T16:10:00Z"), "alice");
        ev.p.update_posted.by = esc_strdup("alice");
        ev.p.update_posted.audience = ESC_AUDIENCE_INTERNAL;
        ev.p.update_posted.body = esc_strdup("retry storm on the queue");
        produce(&ev);

        envelope(&ev, ESC_EV_REVIEW_OPENED, inc, ++s, T("2026-03-04T16:20:00Z"), "mgr-dana");
        ev.p.review_opened.due_at = T("2026-03-11T16:20:00Z");
        produce(&ev);

        envelope(&ev, ESC_EV_CORRECTIVE_ACTION_ADDED, inc, ++s, T("2026-03-04T16:30:00Z"),
                 "mgr-dana");
        ev.p.action_added.action_id = esc_strdup("A1");
        ev.p.action_added.title = esc_strdup("Route alerts to the CSM's pager");
        ev.p.action_added.owner = esc_strdup("alice");
        esc_date_parse("2026-03-20", &ev.p.action_added.due_date, NULL, 0);
        produce(&ev);

        envelope(&ev, ESC_EV_RESOLVED, inc, ++s, T("2026-03-04T18:00:00Z"), "alice");
        ev.p.resolved.by = esc_strdup("alice");
        ev.p.resolved.summary = esc_strdup("Fixed the renderer");
        produce(&ev);

        envelope(&ev, ESC_EV_CUSTOMER_CONFIRMED, inc, ++s, T("2026-03-04T18:30:00Z"), "carol");
        ev.p.confirmed.by = esc_strdup("carol");
        produce(&ev);

        envelope(&ev, ESC_EV_CLOSED, inc, ++s, T("2026-03-04T19:00:00Z"), "carol");
        ev.p.closed.by = esc_strdup("carol");
        ev.p.closed.confirmed = true;
        produce(&ev);

        /* The outbox records the closing post after the close. */
        envelope(&ev, ESC_EV_OUTBOUND_RECORDED, inc, ++s, T("2026-03-04T19:00:02Z"), "esc-actions");
        ev.p.outbound_recorded.target = esc_strdup("slack");
        ev.p.outbound_recorded.key = esc_strdup("slack:post:16");
        ev.p.outbound_recorded.external_id = esc_strdup("1772650802.000100");
        ev.p.outbound_recorded.status = esc_strdup("done");
        produce(&ev);
}

static void reopen(const char *inc)
{
        esc_event_t ev;
        int64_t s = 0;

        envelope(&ev, ESC_EV_ESCALATION_OPENED, inc, ++s, T("2026-03-02T09:00:00Z"), "carol");
        ev.p.opened.account.id = esc_strdup("acct-acme");
        ev.p.opened.account.tier = ESC_TIER_GROWTH;
        ev.p.opened.product_area = esc_strdup("billing");
        ev.p.opened.title = esc_strdup("Export is slow");
        ev.p.opened.impact = ESC_IMPACT_DEGRADED_WITH_WORKAROUND;
        ev.p.opened.detected_at = T("2026-03-02T09:00:00Z");
        produce(&ev);
        envelope(&ev, ESC_EV_SEVERITY_ASSIGNED, inc, ++s, T("2026-03-02T09:00:00Z"), "esc-ledger");
        ev.p.sev_assigned.sev = 3;
        ev.p.sev_assigned.matrix_sev = 3;
        ev.p.sev_assigned.response_due_at = T("2026-03-03T09:00:00Z");
        ev.p.sev_assigned.next_update_due_at = T("2026-03-03T09:00:00Z");
        ev.p.sev_assigned.resolution_due_at = T("2026-03-09T09:00:00Z");
        produce(&ev);
        envelope(&ev, ESC_EV_ACKNOWLEDGED, inc, ++s, T("2026-03-02T10:00:00Z"), "alice");
        ev.p.acknowledged.by = esc_strdup("alice");
        ev.p.acknowledged.message = esc_strdup("on it");
        ev.p.acknowledged.next_update_at = T("2026-03-03T10:00:00Z");
        produce(&ev);
        envelope(&ev, ESC_EV_RESOLVED, inc, ++s, T("2026-03-02T15:00:00Z"), "alice");
        ev.p.resolved.by = esc_strdup("alice");
        produce(&ev);
        envelope(&ev, ESC_EV_REOPENED, inc, ++s, T("2026-03-03T08:00:00Z"), "carol");
        ev.p.reopened.by = esc_strdup("carol");
        ev.p.reopened.reason = esc_strdup("customer still sees it");
        produce(&ev);
}

static void orphan(const char *inc)
{
        esc_event_t ev;

        envelope(&ev, ESC_EV_COMMAND_REJECTED, inc, 1, T("2026-03-04T09:00:00Z"), "carol");
        ev.p.rejected.command_type = esc_strdup("ack");
        ev.p.rejected.code = esc_strdup(ESC_REJ_UNKNOWN_INCIDENT);
        ev.p.rejected.message = esc_strdup("no such incident");
        produce(&ev);
}

/* ---- the synthetic stream ------------------------------------------------------ */

/* Event number `seq` (1-based) of incident `inc` opened at t0. */
static void lifecycle(esc_event_t *ev, const char *inc, int64_t seq, esc_time_t t0, int k)
{
        esc_time_t at = t0 + seq * 7 * MIN;
        int step = seq <= 20 ? (int)seq : 14 + (int)((seq - 14) % 7);
        static const char *areas[] = {"billing", "search", "auth", "exports"};

        switch (step) {
        case 1:
                envelope(ev, ESC_EV_ESCALATION_OPENED, inc, seq, t0, "csm-1");
                {
                        char acct[32];
                        snprintf(acct, sizeof(acct), "acct-%d", k % 997);
                        ev->p.opened.account.id = esc_strdup(acct);
                }
                ev->p.opened.account.tier = (esc_tier_t)(k % 3);
                ev->p.opened.account.health_score = k % 100;
                ev->p.opened.product_area = esc_strdup(areas[k % 4]);
                ev->p.opened.title = esc_strdup("Synthetic incident\twith a tab");
                ev->p.opened.impact = (esc_impact_t)(k % ESC_IMPACT__COUNT);
                ev->p.opened.detected_at = t0;
                break;
        case 2:
                envelope(ev, ESC_EV_SEVERITY_ASSIGNED, inc, seq, t0, "esc-ledger");
                ev->p.sev_assigned.sev = 1 + k % 4;
                ev->p.sev_assigned.matrix_sev = 1 + k % 4;
                ev->p.sev_assigned.response_due_at = t0 + (15 + (k % 4) * 20) * MIN;
                ev->p.sev_assigned.next_update_due_at = t0 + 30 * MIN;
                ev->p.sev_assigned.resolution_due_at = t0 + 240 * MIN;
                break;
        case 3:
        case 4:
                envelope(ev, ESC_EV_OWNER_ASSIGNED, inc, seq, at, "esc-ledger");
                ev->p.owner_assigned.role = step == 3 ? ESC_ROLE_ENGINEERING_OWNER : ESC_ROLE_CSM;
                ev->p.owner_assigned.person = esc_strdup(step == 3 ? "eng-1" : "csm-1");
                break;
        case 5:
                envelope(ev, ESC_EV_CHANNEL_CREATED, inc, seq, at, "esc-actions");
                ev->p.channel_created.slack_channel_id = esc_strdup("C123");
                ev->p.channel_created.name = esc_strdup("esc-acct-20260304");
                break;
        case 6:
                envelope(ev, ESC_EV_ACKNOWLEDGED, inc, seq, at + (k % 5) * MIN, "eng-1");
                ev->p.acknowledged.by = esc_strdup("eng-1");
                ev->p.acknowledged.message = esc_strdup("looking");
                ev->p.acknowledged.next_update_at = at + 60 * MIN;
                break;
        case 8:
                envelope(ev, ESC_EV_COMMAND_REJECTED, inc, seq, at, "eng-1");
                ev->p.rejected.command_type = esc_strdup("override");
                ev->p.rejected.code = esc_strdup(ESC_REJ_OVERRIDE_REQUIRES_MANAGER);
                ev->p.rejected.message = esc_strdup("not a manager");
                break;
        case 9:
                envelope(ev, ESC_EV_SEVERITY_OVERRIDDEN, inc, seq, at, "mgr-1");
                ev->p.sev_overridden.from_sev = 1 + k % 4;
                ev->p.sev_overridden.to_sev = 1 + (k + 1) % 4;
                ev->p.sev_overridden.by = esc_strdup("mgr-1");
                ev->p.sev_overridden.reason = esc_strdup("customer impact");
                ev->p.sev_overridden.response_due_at = t0 + 60 * MIN;
                ev->p.sev_overridden.next_update_due_at = at + 120 * MIN;
                ev->p.sev_overridden.resolution_due_at = t0 + 24 * 60 * MIN;
                break;
        case 11:
                envelope(ev, ESC_EV_SLA_BREACHED, inc, seq, at, "esc-timers");
                ev->p.sla_breached.clock = (esc_clock_t)(k % ESC_CLOCK__COUNT);
                ev->p.sla_breached.due_at = at - MIN;
                break;
        case 12:
                envelope(ev, ESC_EV_REVIEW_OPENED, inc, seq, at, "mgr-1");
                ev->p.review_opened.due_at = at + 5 * 24 * 60 * MIN;
                break;
        case 13:
                envelope(ev, ESC_EV_CORRECTIVE_ACTION_ADDED, inc, seq, at, "mgr-1");
                ev->p.action_added.action_id = esc_strdup("A1");
                ev->p.action_added.title = esc_strdup("fix the system");
                ev->p.action_added.owner = esc_strdup("eng-1");
                ev->p.action_added.due_date = (esc_date_t)(at / (86400 * ESC_USEC_PER_SEC)) + 14;
                break;
        case 14:
                envelope(ev, ESC_EV_MITIGATED, inc, seq, at, "eng-1");
                ev->p.mitigated.by = esc_strdup("eng-1");
                break;
        case 15:
                envelope(ev, ESC_EV_RESOLVED, inc, seq, at, "eng-1");
                ev->p.resolved.by = esc_strdup("eng-1");
                ev->p.resolved.summary = esc_strdup("fixed");
                break;
        case 16:
                envelope(ev, ESC_EV_CUSTOMER_CONFIRMED, inc, seq, at, "csm-1");
                ev->p.confirmed.by = esc_strdup("csm-1");
                break;
        case 17:
                envelope(ev, ESC_EV_REVIEW_COMPLETED, inc, seq, at, "mgr-1");
                ev->p.review_completed.root_cause = esc_strdup("alerts go to email");
                esc_strlist_push(&ev->p.review_completed.five_whys, "why one");
                esc_strlist_push(&ev->p.review_completed.five_whys, "why two");
                break;
        case 18:
                envelope(ev, ESC_EV_CLOSED, inc, seq, at, "csm-1");
                ev->p.closed.by = esc_strdup("csm-1");
                ev->p.closed.confirmed = true;
                break;
        case 19:
                envelope(ev, ESC_EV_REOPENED, inc, seq, at, "csm-1");
                ev->p.reopened.by = esc_strdup("csm-1");
                ev->p.reopened.reason = esc_strdup("came back");
                break;
        default: /* 7, 10, 20: customer updates, internal every third */
                envelope(ev, ESC_EV_CUSTOMER_UPDATE_POSTED, inc, seq, at, "csm-1");
                ev->p.update_posted.by = esc_strdup("csm-1");
                ev->p.update_posted.audience =
                        step == 10 ? ESC_AUDIENCE_INTERNAL : ESC_AUDIENCE_EXTERNAL;
                ev->p.update_posted.body = esc_strdup("still working on it, next update soon");
                ev->p.update_posted.next_update_at = at + 60 * MIN;
                break;
        }
}

static void stream(const char *tag, long incidents, long events, long from, double rate)
{
        esc_time_t base = T("2026-01-05T08:00:00Z");
        int64_t start = esc_mono_us();

        for (long i = from; i < from + events; i++) {
                char inc[64];
                long k = i % incidents;
                esc_event_t ev;

                snprintf(inc, sizeof(inc), "%s-%ld", tag, k);
                lifecycle(&ev, inc, i / incidents + 1, base + (esc_time_t)k * 13 * MIN, (int)k);
                produce(&ev);
                if (rate > 0) {
                        int64_t due = start + (int64_t)((double)(i - from + 1) * 1e6 / rate);
                        int64_t now = esc_mono_us();
                        if (due > now)
                                usleep((useconds_t)(due - now));
                }
        }
}

int main(int argc, char **argv)
{
        const char *mode = argc > 1 ? argv[1] : "", *inc = NULL, *tag = "inc";
        long partitions = 3, repeat = 1, incidents = 100, events = 1000, from = 0;
        double rate = 0;
        char err[512];
        esc_config_t *conf;

        for (int i = 2; i + 1 < argc; i += 2) {
                const char *k = argv[i], *v = argv[i + 1];
                if (!strcmp(k, "--incident"))
                        inc = v;
                else if (!strcmp(k, "--partitions"))
                        partitions = atol(v);
                else if (!strcmp(k, "--repeat"))
                        repeat = atol(v);
                else if (!strcmp(k, "--incidents"))
                        incidents = atol(v);
                else if (!strcmp(k, "--events"))
                        events = atol(v);
                else if (!strcmp(k, "--from"))
                        from = atol(v);
                else if (!strcmp(k, "--rate"))
                        rate = atof(v);
                else if (!strcmp(k, "--tag"))
                        tag = v;
                else {
                        fprintf(stderr, "prog_sla_produce_events: unknown option %s\n", k);
                        return 2;
                }
        }
        if (strcmp(mode, "stream") && !inc) {
                fprintf(stderr, "usage: see the comment at the top of prog_sla_produce_events.c\n");
                return 2;
        }
        conf = esc_config_new_defaults();
        esc_config_topic(conf, "events", topic, sizeof(topic));
        if (!(codec = esc_codec_new(conf, err, sizeof(err))) ||
            !(rk = esc_kafka_producer_new(conf, on_delivery, NULL, err, sizeof(err)))) {
                fprintf(stderr, "prog_sla_produce_events: %s\n", err);
                return 1;
        }
        /* The mock broker refuses CreateTopics and auto-creates instead:
         * producing then tells whether the topic is usable. */
        if (create_topic((int)partitions))
                fprintf(stderr, "prog_sla_produce_events: going on without creating %s\n", topic);
        if (!strcmp(mode, "script")) {
                for (long r = 0; r < repeat; r++)
                        script(inc);
        } else if (!strcmp(mode, "reopen")) {
                reopen(inc);
        } else if (!strcmp(mode, "orphan")) {
                orphan(inc);
        } else if (!strcmp(mode, "stream")) {
                if (rate > 0) {
                        /* A paced stream measures latency: connect and let the
                         * idempotent producer get its id before the first
                         * event, as a long-running ledger would have. */
                        const struct rd_kafka_metadata *md = NULL;
                        if (rd_kafka_metadata(rk, 1, NULL, &md, 10000) ==
                            RD_KAFKA_RESP_ERR_NO_ERROR)
                                rd_kafka_metadata_destroy(md);
                        for (int i = 0; i < 10; i++)
                                rd_kafka_poll(rk, 100);
                }
                stream(tag, incidents, events, from, rate);
        } else {
                fprintf(stderr, "prog_sla_produce_events: unknown mode '%s'\n", mode);
                return 2;
        }
        rd_kafka_flush(rk, 120000);
        if (failures || rd_kafka_outq_len(rk) > 0) {
                fprintf(stderr, "prog_sla_produce_events: %d deliveries failed, %d pending\n",
                        failures, rd_kafka_outq_len(rk));
                return 1;
        }
        printf("produced to %s\n", topic);
        rd_kafka_destroy(rk);
        esc_codec_destroy(codec);
        esc_config_destroy(conf);
        return 0;
}
