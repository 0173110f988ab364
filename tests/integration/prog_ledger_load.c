/* prog_ledger_load.c — drives the ledger with a realistic stream and checks
 * the log it leaves behind.
 *
 *   prog_ledger_load produce N RUN   produce N incidents' command sequences
 *                                    (10 commands each) for run id RUN
 *   prog_ledger_load check N RUN     scan esc.events and check that every
 *                                    command of the run was decided exactly
 *                                    once (exit 0) or say what is wrong (1)
 *
 * Each incident goes open → ack → update → refused override → mitigate →
 * review open → corrective action → resolve → confirm → close; impacts
 * rotate so Sev 1..4 all occur (Sev 1/2 exercise the review guard). Command
 * ids are "RUN-<incident>-<step>", so the checker knows every command that
 * was sent. Configuration comes from the environment ($ESC_DEV_DIR/env). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "runtime/eventlog.h"
#include "runtime/config.h"
#include "runtime/kafka.h"
#include "core/strmap.h"
#include "runtime/registry.h"

#define STEPS 10

static const esc_impact_t impacts[] = {ESC_IMPACT_PRODUCTION_DOWN, ESC_IMPACT_MAJOR_FEATURE_BROKEN,
                                       ESC_IMPACT_DEGRADED_WITH_WORKAROUND, ESC_IMPACT_QUESTION};

static void build(esc_command_t *c, const char *run, int inc, int step, esc_time_t t0)
{
        static const esc_command_type_t seq[STEPS] = {
                ESC_CMD_OPEN,     ESC_CMD_ACK,         ESC_CMD_UPDATE,        ESC_CMD_OVERRIDE,
                ESC_CMD_MITIGATE, ESC_CMD_REVIEW_OPEN, ESC_CMD_REVIEW_ACTION, ESC_CMD_RESOLVE,
                ESC_CMD_CONFIRM,  ESC_CMD_CLOSE};
        char id[128];
        esc_time_t at = t0 + (esc_time_t)step * 60 * ESC_USEC_PER_SEC;

        esc_command_init(c, seq[step]);
        snprintf(id, sizeof(id), "%s-%d-%d", run, inc, step);
        c->command_id = esc_strdup(id);
        snprintf(id, sizeof(id), "%s-INC-%d", run, inc);
        c->incident_id = esc_strdup(id);
        c->actor = esc_strdup("alice");
        c->occurred_at = at;
        c->issued_at = at;
        switch (c->type) {
        case ESC_CMD_OPEN:
                c->p.open.account.id = esc_strdup("acme");
                c->p.open.account.tier = ESC_TIER_GROWTH;
                c->p.open.account.health_score = 80;
                c->p.open.account.paying = true;
                c->p.open.product_area = esc_strdup("billing");
                c->p.open.title = esc_strdup("Invoices fail to render");
                c->p.open.impact = impacts[inc % 4];
                c->p.open.detected_at = at;
                c->p.open.csm = esc_strdup("carol");
                break;
        case ESC_CMD_ACK:
                c->p.ack.by = esc_strdup("alice");
                c->p.ack.message = esc_strdup("We see it and are on it");
                c->p.ack.next_update_at = at + 30 * 60 * ESC_USEC_PER_SEC;
                break;
        case ESC_CMD_UPDATE:
                c->p.update.by = esc_strdup("alice");
                c->p.update.body = esc_strdup("Still investigating");
                c->p.update.audience = ESC_AUDIENCE_EXTERNAL;
                c->p.update.next_update_at = at + 30 * 60 * ESC_USEC_PER_SEC;
                break;
        case ESC_CMD_OVERRIDE:
                c->p.override.by = esc_strdup("alice"); /* not a cs_manager: refused */
                c->p.override.to_sev = 1;
                c->p.override.reason = esc_strdup("customer is angry");
                break;
        case ESC_CMD_MITIGATE:
                c->p.mitigate.by = esc_strdup("alice");
                c->p.mitigate.summary = esc_strdup("Rolled back");
                break;
        case ESC_CMD_REVIEW_OPEN:
                break;
        case ESC_CMD_REVIEW_ACTION:
                c->p.review_action.action_id = esc_strdup("A1");
                c->p.review_action.title = esc_strdup("Alert on render failures");
                c->p.review_action.owner = esc_strdup("bob");
                c->p.review_action.due_date = 20800;
                break;
        case ESC_CMD_RESOLVE:
                c->p.resolve.by = esc_strdup("alice");
                c->p.resolve.summary = esc_strdup("Fixed");
                break;
        case ESC_CMD_CONFIRM:
                c->p.confirm.by = esc_strdup("dana");
                break;
        case ESC_CMD_CLOSE:
                c->p.close.by = esc_strdup("alice");
                c->p.close.confirmed = true;
                break;
        default:
                break;
        }
}

static int produce(esc_config_t *conf, int n, const char *run)
{
        char err[512], topic[256];
        esc_codec_t *codec = esc_codec_new(conf, err, sizeof(err));
        rd_kafka_t *rk = codec ? esc_kafka_producer_new(conf, NULL, NULL, err, sizeof(err)) : NULL;
        esc_buf_t buf;
        esc_time_t t0 = 1767000000LL * ESC_USEC_PER_SEC; /* 2025-12-29, a Monday */

        if (!rk) {
                fprintf(stderr, "produce: %s\n", err);
                return 1;
        }
        esc_config_topic(conf, "commands", topic, sizeof(topic));
        esc_buf_init(&buf, 1 << 20);
        /* Interleave incidents so every batch spans many incidents and partitions. */
        for (int step = 0; step < STEPS; step++) {
                for (int i = 0; i < n; i++) {
                        esc_command_t c;
                        build(&c, run, i, step, t0 + (esc_time_t)i * ESC_USEC_PER_SEC);
                        esc_buf_reset(&buf);
                        if (esc_codec_encode_command(codec, &c, &buf, err, sizeof(err))) {
                                fprintf(stderr, "encode: %s\n", err);
                                return 1;
                        }
                        while (rd_kafka_producev(
                                       rk, RD_KAFKA_V_TOPIC(topic),
                                       RD_KAFKA_V_KEY(c.incident_id, strlen(c.incident_id)),
                                       RD_KAFKA_V_VALUE(buf.data, buf.len),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(rk, 50);
                        esc_command_clear(&c);
                }
        }
        rd_kafka_flush(rk, 60000);
        int left = rd_kafka_outq_len(rk);
        rd_kafka_destroy(rk);
        esc_buf_free(&buf);
        esc_codec_destroy(codec);
        if (left) {
                fprintf(stderr, "produce: %d messages not delivered\n", left);
                return 1;
        }
        printf("produced %d commands\n", n * STEPS);
        return 0;
}

struct seen {
        int64_t command_offset;
        int events;
        int rejections;
        int32_t partition;
};

struct check {
        esc_strmap_t *cmds;
        const char *run;
        size_t runlen;
        int problems;
};

static int check_one(const esc_event_t *ev, const rd_kafka_message_t *m, const char *errmsg,
                     void *opaque)
{
        struct check *ck = opaque;

        if (!ev) {
                fprintf(stderr, "undecodable event at [%d]@%lld: %s\n", (int)m->partition,
                        (long long)m->offset, errmsg);
                ck->problems++;
                return 0;
        }
        if (strncmp(ev->command_id, ck->run, ck->runlen) || ev->command_id[ck->runlen] != '-')
                return 0; /* another run's */
        struct seen *s = esc_strmap_get(ck->cmds, ev->command_id);
        if (!s) {
                s = calloc(1, sizeof(*s));
                s->command_offset = ev->command_offset;
                s->partition = m->partition;
                esc_strmap_put(ck->cmds, ev->command_id, s);
        } else if (s->command_offset != ev->command_offset) {
                fprintf(stderr, "command %s decided twice (command offsets %lld and %lld)\n",
                        ev->command_id, (long long)s->command_offset,
                        (long long)ev->command_offset);
                ck->problems++;
        }
        s->events++;
        if (ev->type == ESC_EV_COMMAND_REJECTED)
                s->rejections++;
        return 0;
}

static void free_seen(const char *k, void *v, void *o)
{
        free(v);
}

static int check(esc_config_t *conf, int n, const char *run)
{
        char err[512], id[128];
        esc_codec_t *codec = esc_codec_new(conf, err, sizeof(err));
        esc_eventlog_t *log = codec ? esc_eventlog_new(conf, codec, err, sizeof(err)) : NULL;
        struct check ck = {.cmds = esc_strmap_new(), .run = run, .runlen = strlen(run)};
        int np;

        if (!log || (np = esc_eventlog_partitions(log, err, sizeof(err))) <= 0) {
                fprintf(stderr, "check: %s\n", err);
                return 1;
        }
        for (int p = 0; p < np; p++)
                if (esc_eventlog_scan(log, p, RD_KAFKA_OFFSET_BEGINNING, NULL, check_one, &ck, NULL,
                                      err, sizeof(err)) < 0) {
                        fprintf(stderr, "check: %s\n", err);
                        return 1;
                }
        int missing = 0;
        for (int i = 0; i < n; i++) {
                for (int step = 0; step < STEPS; step++) {
                        snprintf(id, sizeof(id), "%s-%d-%d", run, i, step);
                        struct seen *s = esc_strmap_get(ck.cmds, id);
                        if (!s) {
                                if (missing++ < 5)
                                        fprintf(stderr, "command %s has no events\n", id);
                                continue;
                        }
                        /* step 3 is the refused override: exactly one rejection. */
                        if ((step == 3) != (s->rejections == 1) || s->rejections > 1) {
                                fprintf(stderr, "command %s: %d events, %d rejections\n", id,
                                        s->events, s->rejections);
                                ck.problems++;
                        }
                }
        }
        printf("checked %d commands: %zu decided, %d missing, %d problems\n", n * STEPS,
               esc_strmap_count(ck.cmds), missing, ck.problems);
        esc_strmap_foreach(ck.cmds, free_seen, NULL);
        esc_strmap_destroy(ck.cmds);
        esc_eventlog_destroy(log);
        esc_codec_destroy(codec);
        return missing || ck.problems ? 1 : 0;
}

int main(int argc, char **argv)
{
        if (argc != 4) {
                fprintf(stderr, "usage: %s produce|check N RUN\n", argv[0]);
                return 2;
        }
        esc_config_t *conf = esc_config_new_defaults();
        int n = atoi(argv[2]);
        int rc = !strcmp(argv[1], "produce") ? produce(conf, n, argv[3])
                 : !strcmp(argv[1], "check") ? check(conf, n, argv[3])
                                             : 2;
        esc_config_destroy(conf);
        return rc;
}
