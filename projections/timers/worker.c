/* worker.c — `esc worker timers`: deadlines into commands (DESIGN §1).
 *
 * The I/O shell around due.c. It consumes esc.events (group esc-timers,
 * config timers.group), folds each open incident with the ledger's own
 * esc_evolve(), and every tick asks esc_timers_due() what has passed; each
 * item becomes a record-back command on esc.commands keyed by the incident
 * (so it lands in the partition the ledger decides it in). The events the
 * ledger appends for them come back here and fill the state's facts[], which
 * is how the worker knows what it already fired: the log, not a private
 * store, is the memory.
 *
 * Trade-off, start offsets: on every assignment each partition is read from
 * the beginning and nothing fires until every partition has been read up to
 * the high watermark it had when the catch-up started. Start-up costs one
 * read of the log (the ledger pays the same), but there is no offset store
 * to keep consistent with the state, and a restart can never fire a fact
 * the log already records. The price: start-up time grows with the whole
 * log (the ledger's replay has the same shape); a snapshot of the open
 * incidents with its offsets would bound it if that ever matters. Commands sent by a
 * previous run that the ledger has not decided yet may be sent again; they carry the same
 * deterministic command id and fact, and the ledger answers "duplicate" to both.
 *
 * Memory: one entry (~0.8 KiB) per open incident; Closed drops it
 * (projections/timers/table.h).
 *
 * Settling: an incident is judged only after timers.settle_s (default 5 s)
 * without new events from anyone but timers. History back-filled command by
 * command (`esc open --at <an hour ago>`, then `esc ack --at ...`) would
 * otherwise be judged half-written: the open alone says "unacknowledged,
 * long past the response SLA". Live, a deadline is recorded at most
 * settle_s after the last event, which no SLA here is close to.
 *
 * In flight: an item sent and not yet seen back is not sent again until
 * timers.resend_s (default 60 s) has passed, in case the ledger was down or
 * the delivery failed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/policy.h"
#include "runtime/policy_load.h"
#include "core/state.h"
#include "projections/timers/timers.h"
#include "projections/timers/due.h"
#include "projections/timers/table.h"
#include "runtime/cmdout.h"
#include "runtime/kafka.h"
#include "runtime/log.h"
#include "runtime/registry.h"
#include "runtime/sys.h"
#include "runtime/worker_main.h"

#define COMP "timers"
#define TIMERS_MAX_PARTITIONS 1024

struct part {
        int32_t partition;
        int64_t next;   /* offset after the last event read; -1 = none yet */
        int64_t target; /* high watermark when the catch-up began; -1 = unknown */
        int64_t low;
};

typedef struct timers {
        const esc_config_t *conf;
        char events_topic[256];
        char commands_topic[256];
        char group[256];
        esc_policy_t *policy;
        esc_codec_t *codec;
        esc_cmdout_t *out;
        esc_worker_t *worker;
        esc_timers_table_t *incidents;
        struct part parts[TIMERS_MAX_PARTITIONS];
        int nparts;
        bool caught_up;
        int64_t resend_us;
        int64_t settle_us;
        esc_buf_t enc;
        esc_event_t ev;
        esc_metric_t *m_sent, *m_incidents, *m_undecodable, *m_send_errors;
        char err[1024];
} timers_t;

static void usage(FILE *out)
{
        fprintf(out, "usage: esc worker timers [--group G] [--tick-ms MS]\n"
                     "\n"
                     "Turns deadlines into commands: consumes esc.events, keeps each open\n"
                     "incident's deadlines, and when one passes sends to esc.commands\n"
                     "record_sla_breach (response not acknowledged, not resolved, promised "
                     "update\n"
                     "missed, Sev 1/2 review not completed), record_update_overdue (the reminder\n"
                     "bot: reminder 1 at the promise, then one per update cadence) and\n"
                     "record_unowned_escalation (no engineering owner past the response SLA: the\n"
                     "CS manager is paged). What the log already records is never fired again;\n"
                     "on start it replays esc.events and fires only once caught up.\n"
                     "\n"
                     "  --group G     consumer group (default esc-timers; config timers.group)\n"
                     "  --tick-ms MS  how often deadlines are checked (default 1000; config\n"
                     "                timers.tick_ms); unanswered commands are re-sent after\n"
                     "                timers.resend_s (default 60); an incident is judged once\n"
                     "                quiet for timers.settle_s (default 5), so back-filled "
                     "history\n"
                     "                is complete first\n"
                     "config: kafka.*, policy, metrics.listen\n");
}

/* ---- consuming ------------------------------------------------------------------- */

static struct part *find_part(timers_t *T, int32_t partition)
{
        for (int i = 0; i < T->nparts; i++)
                if (T->parts[i].partition == partition)
                        return &T->parts[i];
        return NULL;
}

static int on_assign(esc_worker_t *w, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        timers_t *T = opaque;

        /* State is rebuilt from the log on every assignment (see the top). */
        esc_timers_table_clear(T->incidents);
        T->nparts = 0;
        T->caught_up = false;
        for (int i = 0; i < parts->cnt && T->nparts < TIMERS_MAX_PARTITIONS; i++) {
                parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
                T->parts[T->nparts++] = (struct part){.partition = parts->elems[i].partition,
                                                      .next = -1,
                                                      .target = -1,
                                                      .low = -1};
        }
        if (parts->cnt > TIMERS_MAX_PARTITIONS) {
                esc_log(ESC_LOG_ERROR, COMP, "too many partitions", "topic=%s partitions=%d max=%d",
                        T->events_topic, parts->cnt, TIMERS_MAX_PARTITIONS);
                return -1;
        }
        esc_log(ESC_LOG_INFO, COMP, "partitions assigned, replaying from the beginning",
                "topic=%s partitions=%d", T->events_topic, parts->cnt);
        return 0;
}

static void on_revoke(esc_worker_t *w, const rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        timers_t *T = opaque;

        esc_timers_table_clear(T->incidents);
        T->nparts = 0;
        T->caught_up = false;
}

static int on_batch(esc_worker_t *w, rd_kafka_message_t **msgs, size_t cnt,
                    esc_worker_msg_status_t *status, void *opaque)
{
        timers_t *T = opaque;

        for (size_t i = 0; i < cnt; i++) {
                const rd_kafka_message_t *m = msgs[i];
                esc_codec_err_t ce = esc_codec_decode_event(T->codec, m->payload, m->len, &T->ev,
                                                            T->err, sizeof(T->err));
                if (ce == ESC_CODEC_ERR_REGISTRY) {
                        status[i] = ESC_WORKER_MSG_RETRY;
                        continue;
                }
                struct part *p = find_part(T, m->partition);
                if (p)
                        p->next = m->offset + 1;
                if (ce != ESC_CODEC_OK) {
                        /* The ledger and sla worker dead-letter such records;
                         * a deadline worker can only skip it and say so. */
                        char q[600];
                        esc_metric_add(T->m_undecodable, NULL, 1);
                        esc_log(ESC_LOG_WARN, COMP, "undecodable event skipped",
                                "partition=%d offset=%lld error=%s", (int)m->partition,
                                (long long)m->offset, esc_log_quote(T->err, q, sizeof(q)));
                        continue;
                }
                esc_timers_table_fold(T->incidents, &T->ev, esc_now());
                esc_event_clear(&T->ev);
        }
        esc_metric_set(T->m_incidents, NULL, (double)esc_timers_table_live(T->incidents));
        return 0;
}

/* The consumer's position in a partition, or -1. It also moves past
 * records never handed to the application (transaction markers), which a
 * producer using Kafka transactions leaves just below the high watermark. */
static int64_t fetch_position(rd_kafka_t *rk, const char *topic, int32_t partition)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, partition);
        int64_t pos = -1;
        if (!rd_kafka_position(rk, l) && !l->elems[0].err && l->elems[0].offset >= 0)
                pos = l->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(l);
        return pos;
}

/* true once every assigned partition has been read up to the high
 * watermark it had when the catch-up began. */
static bool check_caught_up(timers_t *T)
{
        rd_kafka_t *rk = esc_worker_consumer(T->worker);

        if (T->nparts == 0)
                return false;
        for (int i = 0; i < T->nparts; i++) {
                struct part *p = &T->parts[i];
                if (p->target < 0) {
                        int64_t lo = -1, hi = -1;
                        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
                                rk, T->events_topic, p->partition, &lo, &hi, 2000);
                        if (e) {
                                esc_log(ESC_LOG_WARN, COMP, "watermarks not available yet",
                                        "topic=%s partition=%d error=\"%s\"", T->events_topic,
                                        (int)p->partition, rd_kafka_err2str(e));
                                return false;
                        }
                        p->low = lo;
                        p->target = hi;
                }
                if (p->target > p->low && p->next < p->target &&
                    fetch_position(rk, T->events_topic, p->partition) < p->target)
                        return false;
        }
        return true;
}

/* ---- firing ---------------------------------------------------------------------- */

static void dr_cb(rd_kafka_resp_err_t err, const rd_kafka_message_t *m, void *msg_opaque,
                  void *opaque)
{
        timers_t *T = opaque;

        if (!err)
                return;
        /* The item stays "sent"; it is re-sent after timers.resend_s. */
        esc_metric_add(T->m_send_errors, NULL, 1);
        esc_log(ESC_LOG_ERROR, COMP, "command delivery failed; re-sent later",
                "topic=%s error=\"%s\"", T->commands_topic, rd_kafka_err2str(err));
}

/* Sends one item. Returns 0 when queued, 1 when it can never be recorded
 * (logged; counted as sent so the warning repeats only once per resend
 * period), -1 when the producer refused it for now (retried next tick). */
static int send_item(timers_t *T, const char *id, const esc_timers_due_t *d, esc_time_t now)
{
        esc_command_t cmd;
        char q[600];
        int rc = 1;

        if (esc_timers_command(id, d, now, &cmd, T->err, sizeof(T->err)) != 0) {
                esc_log(ESC_LOG_WARN, COMP, "deadline passed but cannot be recorded", "error=%s",
                        esc_log_quote(T->err, q, sizeof(q)));
                goto out;
        }
        int sent = esc_cmdout_send(T->out, T->codec, &cmd, &T->enc, NULL, T->err, sizeof(T->err));
        if (sent > 0) {
                esc_log(ESC_LOG_ERROR, COMP, "command not encodable", "incident=%s error=%s",
                        esc_log_quote(id, q, 200), esc_log_quote(T->err, q + 200, 400));
                goto out;
        }
        if (sent < 0) {
                esc_metric_add(T->m_send_errors, NULL, 1);
                esc_log(ESC_LOG_WARN, COMP, "command not queued; retried next tick",
                        "incident=%s error=%s", esc_log_quote(id, q, 200),
                        esc_log_quote(T->err, q + 200, 400));
                rc = -1;
                goto out;
        }
        esc_metric_add(T->m_sent, NULL, 1);
        esc_log(ESC_LOG_INFO, COMP, "deadline passed, command sent",
                "incident=%s command=%s command_id=%s", esc_log_quote(id, q, 200),
                esc_command_type_name(d->type), esc_log_quote(cmd.command_id, q + 200, 400));
        rc = 0;
out:
        esc_command_clear(&cmd);
        return rc;
}

struct tick {
        timers_t *T;
        esc_time_t now;
};

static void tick_incident(const char *id, esc_timers_incident_t *inc, void *opaque)
{
        struct tick *tk = opaque;
        esc_timers_due_t due[ESC_TIMERS_MAX_DUE];

        if (tk->now - inc->touched_at < tk->T->settle_us)
                return; /* still being written (see the top) */
        int n = esc_timers_due(tk->T->policy, &inc->st, tk->now, due);
        for (int i = 0; i < n; i++) {
                const esc_timers_due_t *d = &due[i];
                if (esc_timers_recorded(inc, d))
                        continue; /* an older fact of the same kind */
                if (inc->sent[d->fact] == d->fact_hash &&
                    tk->now - inc->sent_at[d->fact] < tk->T->resend_us)
                        continue; /* in flight */
                if (send_item(tk->T, id, d, tk->now) < 0)
                        continue;
                inc->sent[d->fact] = d->fact_hash;
                inc->sent_at[d->fact] = tk->now;
        }
}

static int on_tick(esc_worker_t *w, void *opaque)
{
        timers_t *T = opaque;

        esc_cmdout_poll(T->out, 0);
        if (!T->caught_up) {
                if (!check_caught_up(T))
                        return 0;
                T->caught_up = true;
                esc_log(ESC_LOG_INFO, COMP, "caught up with the log, watching deadlines",
                        "open_incidents=%zu", esc_timers_table_live(T->incidents));
        }
        struct tick tk = {.T = T, .now = esc_now()};
        esc_timers_table_foreach(T->incidents, tick_incident, &tk);
        esc_cmdout_poll(T->out, 0);
        return 0;
}

static int on_drain(esc_worker_t *w, void *opaque)
{
        timers_t *T = opaque;

        if (esc_cmdout_flush(T->out, 10000)) {
                esc_log(ESC_LOG_WARN, COMP,
                        "commands still queued at exit; the next run re-sends them", "queued=%d",
                        esc_cmdout_in_flight(T->out));
                return -1;
        }
        return 0;
}

/* ---- main ----------------------------------------------------------------------- */

static void timers_free(void *state)
{
        timers_t *T = state;

        esc_timers_table_destroy(T->incidents);
        esc_cmdout_destroy(T->out, 10000);
        esc_event_clear(&T->ev);
        esc_codec_destroy(T->codec);
        esc_policy_destroy(T->policy);
        esc_buf_free(&T->enc);
        free(T);
}

static esc_opt_int_t tick_flag = {-1, 10, 3600000};
static const esc_opt_t timers_flags[] = {
        {"tick-ms", ESC_OPT_INT, &tick_flag, 8},
        {NULL, ESC_OPT_STR, NULL, 0},
};

static void *timers_setup(esc_cli_t *cli, esc_worker_opts_t *opts, int *rc)
{
        const char *cmd = "worker timers";
        long long tick_ms, resend_s, settle_s;

        *rc = ESC_EXIT_USAGE;
        if (esc_cli_config_int(cmd, cli->conf, "timers.tick_ms", 1000, 10, 3600000, &tick_ms) ||
            esc_cli_config_int(cmd, cli->conf, "timers.resend_s", 60, 1, 86400, &resend_s) ||
            esc_cli_config_int(cmd, cli->conf, "timers.settle_s", 5, 0, 3600, &settle_s))
                return NULL;
        opts->tick_ms = (int)(tick_flag.v >= 0 ? tick_flag.v : tick_ms);

        timers_t *T = esc_xcalloc(1, sizeof(*T));
        T->conf = cli->conf;
        T->resend_us = resend_s * 1000000;
        T->settle_us = settle_s * 1000000;
        esc_strlcpy(T->group, opts->group, sizeof(T->group));
        esc_strlcpy(T->events_topic, opts->topics[0], sizeof(T->events_topic));
        esc_buf_init(&T->enc, 1 << 20);
        esc_event_init(&T->ev, ESC_EV_ESCALATION_OPENED);
        T->incidents = esc_timers_table_new();
        esc_config_topic(cli->conf, "commands", T->commands_topic, sizeof(T->commands_topic));

        if (!(T->policy = esc_policy_from_config(cli->conf, T->err, sizeof(T->err))) ||
            !(T->codec = esc_codec_new(cli->conf, T->err, sizeof(T->err))) ||
            !(T->out = esc_cmdout_new(cli->conf, dr_cb, T, 0, T->err, sizeof(T->err)))) {
                *rc = esc_cli_fail(ESC_EXIT_RUNTIME, cmd, "%s", T->err);
                timers_free(T);
                return NULL;
        }
        esc_log(ESC_LOG_INFO, COMP, "timers starting",
                "events=%s commands=%s group=%s tick_ms=%d policy_version=%s", T->events_topic,
                T->commands_topic, T->group, opts->tick_ms, T->policy->version);
        return T;
}

static void timers_started(void *state, esc_worker_t *w)
{
        timers_t *T = state;
        esc_metrics_t *mx = esc_worker_metrics(w);

        T->worker = w;
        T->m_sent = esc_metrics_counter(mx, "esc_timers_commands_sent_total",
                                        "Deadline commands sent to esc.commands");
        T->m_send_errors = esc_metrics_counter(mx, "esc_timers_send_errors_total",
                                               "Deadline commands not queued or not delivered");
        T->m_undecodable = esc_metrics_counter(mx, "esc_timers_undecodable_total",
                                               "Undecodable events skipped");
        T->m_incidents = esc_metrics_gauge(mx, "esc_timers_incidents",
                                           "Open incidents whose deadlines are watched");
}

const esc_worker_app_t esc_worker_timers_app = {
        .name = "timers",
        .usage = usage,
        .flags = timers_flags,
        .group_key = "timers.group",
        .group_default = "esc-timers",
        .topic = "events",
        .ops = {.on_assign = on_assign,
                .on_revoke = on_revoke,
                .on_batch = on_batch,
                .on_tick = on_tick,
                .on_drain = on_drain},
        .opts = {.batch_max = 2000, .batch_ms = 50},
        .setup = timers_setup,
        .started = timers_started,
        .teardown = timers_free,
};
