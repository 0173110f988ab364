/* ledger_worker.c — `esc worker ledger`: the only writer of esc.events.
 *
 * A thin shell around the pure decider. Commands partition p are decided
 * into events partition p (co-partitioning: both topics have the same
 * partition count and the same key). Exactly-once without broker
 * transactions (DESIGN §1):
 *
 *   - On assignment the worker replays events partition p from the start,
 *     folds every incident's state and learns the highest command_offset it
 *     already decided; it resumes the commands partition right after it.
 *   - It decides a batch, numbers each event (seq from the state), derives
 *     its id, chains its hash, produces it to events partition p, and only
 *     when every event of the batch is acknowledged does the batch count as
 *     done. A command whose offset is below the resume point is never
 *     decided again.
 *   - A delivery failure stops the partition: its in-memory state is thrown
 *     away, its messages from the failed command on are handed back to the
 *     runtime for redelivery, and before the partition moves again the
 *     worker replays it from the log (what is durable is the truth). An
 *     event that was in fact written is then seen by the replay, so the
 *     command is not decided twice; one that was not is decided again into
 *     byte-identical events (same seq, same id, same hash).
 *
 * Memory: one esc_state_t (~0.7 KiB) per open incident of the assigned
 * partitions; a closed incident shrinks to an esc_state_compact_t. Nothing
 * grows with the length of the log itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/decider.h"
#include "runtime/deadletter.h"
#include "runtime/eventlog.h"
#include "core/hashchain.h"
#include "core/policy.h"
#include "runtime/policy_load.h"
#include "core/state.h"
#include "ledger/ledger.h"
#include "runtime/kafka.h"
#include "runtime/log.h"
#include "core/strmap.h"
#include "runtime/registry.h"
#include "runtime/sys.h"
#include "runtime/worker_main.h"

#define COMP "ledger"
#define MAX_PARTITIONS 1024
#define FLUSH_POLL_MS 100
#define REPLAY_RETRY_MS 60000

/* One incident's state: full while it can still change, compact once
 * closed. */
struct incident {
        bool compact;
        union {
                esc_state_t *full;
                esc_state_compact_t *c;
        } u;
};

struct part {
        bool assigned;
        bool needs_replay;   /* state dropped after a delivery failure */
        int64_t next_offset; /* next command offset to decide */
        esc_strmap_t *incidents;
        int64_t failed_at; /* lowest command offset whose events failed, or -1 */
};

typedef struct ledger {
        esc_config_t *conf;
        esc_policy_t *policy;
        esc_codec_t *codec;
        esc_eventlog_t *log;
        rd_kafka_t *producer;
        rd_kafka_topic_t *events_rkt; /* one handle: no topic lookup per event */
        esc_deadletter_t *dl;
        char events_topic[256];
        char commands_topic[256];
        struct part parts[MAX_PARTITIONS];
        esc_buf_t enc;
        esc_metric_t *m_decided, *m_rejected, *m_duplicates, *m_events, *m_replayed, *m_incidents,
                *m_deadletter;
        char err[1024];
} ledger_t;

/* ---- incident table ------------------------------------------------------ */

static void incident_free(const char *key, void *value, void *opaque)
{
        struct incident *inc = value;

        if (inc->compact)
                free(inc->u.c);
        else
                free(inc->u.full);
        free(inc);
}

static void part_reset(ledger_t *L, struct part *p)
{
        if (p->incidents) {
                esc_strmap_foreach(p->incidents, incident_free, NULL);
                esc_strmap_destroy(p->incidents);
        }
        p->incidents = esc_strmap_new();
        p->next_offset = RD_KAFKA_OFFSET_BEGINNING;
        p->failed_at = -1;
        p->needs_replay = false;
}

/* Loads an incident's state into *st (empty state if unknown). */
static void incident_load(struct part *p, const char *id, esc_state_t *st)
{
        struct incident *inc = esc_strmap_get(p->incidents, id);

        if (!inc)
                esc_state_init(st);
        else if (inc->compact)
                esc_state_expand(inc->u.c, st);
        else
                *st = *inc->u.full;
}

/* Stores st back, compacting closed incidents. */
static void incident_store(struct part *p, const char *id, const esc_state_t *st)
{
        struct incident *inc = esc_strmap_get(p->incidents, id);
        bool closed = st->status == ESC_STATUS_CLOSED;

        if (!inc) {
                inc = esc_xcalloc(1, sizeof(*inc));
                esc_strmap_put(p->incidents, id, inc);
        } else if (inc->compact != closed) {
                if (inc->compact)
                        free(inc->u.c);
                else
                        free(inc->u.full);
                inc->u.full = NULL;
        }
        inc->compact = closed;
        if (closed) {
                if (!inc->u.c)
                        inc->u.c = esc_xmalloc(sizeof(*inc->u.c));
                esc_state_compact(st, inc->u.c);
        } else {
                if (!inc->u.full)
                        inc->u.full = esc_xmalloc(sizeof(*inc->u.full));
                *inc->u.full = *st;
        }
}

/* ---- replay --------------------------------------------------------------- */

struct replay_ctx {
        ledger_t *L;
        struct part *p;
        int64_t max_cmd_offset;
        int64_t events;
        int64_t undecodable;
};

static int replay_one(const esc_event_t *ev, const rd_kafka_message_t *m, const char *errmsg,
                      void *opaque)
{
        struct replay_ctx *rc = opaque;
        esc_state_t st;

        if (!ev) {
                /* Not ours (the ledger only writes what it can read back):
                 * leave it to `esc audit verify`, never fold a guess. */
                rc->undecodable++;
                esc_log(ESC_LOG_ERROR, COMP, "undecodable event in log; skipped in replay",
                        "partition=%d offset=%lld error=\"%s\"", (int)m->partition,
                        (long long)m->offset, errmsg);
                return 0;
        }
        incident_load(rc->p, ev->incident_id, &st);
        if (ev->seq != st.seq + 1) {
                esc_log(ESC_LOG_ERROR, COMP, "event out of sequence in log; skipped in replay",
                        "incident=%s seq=%lld expected=%lld offset=%lld", ev->incident_id,
                        (long long)ev->seq, (long long)st.seq + 1, (long long)m->offset);
                return 0;
        }
        esc_evolve(&st, ev);
        incident_store(rc->p, ev->incident_id, &st);
        if (ev->command_offset > rc->max_cmd_offset)
                rc->max_cmd_offset = ev->command_offset;
        rc->events++;
        return 0;
}

/* Rebuilds partition pi's state from esc.events and sets its resume point. */
static int replay(ledger_t *L, int32_t pi)
{
        struct part *p = &L->parts[pi];
        struct replay_ctx rc = {.L = L, .p = p, .max_cmd_offset = -1};
        esc_eventlog_stats_t st;
        int64_t t0 = esc_mono_us();

        part_reset(L, p);
        if (esc_eventlog_scan(L->log, pi, RD_KAFKA_OFFSET_BEGINNING, NULL, replay_one, &rc, &st,
                              L->err, sizeof(L->err)) < 0) {
                p->needs_replay = true;
                esc_log(ESC_LOG_ERROR, COMP, "replay failed", "partition=%d error=\"%s\"", (int)pi,
                        L->err);
                return -1;
        }
        if (st.low_watermark > 0)
                esc_log(ESC_LOG_ERROR, COMP,
                        "HISTORY TRIMMED: events partition lost its oldest events; state rebuilt "
                        "from what is left",
                        "partition=%d low_watermark=%lld", (int)pi, (long long)st.low_watermark);
        p->next_offset = rc.max_cmd_offset >= 0 ? rc.max_cmd_offset + 1 : RD_KAFKA_OFFSET_BEGINNING;
        double secs = (double)(esc_mono_us() - t0) / 1e6;
        esc_metric_add(L->m_replayed, NULL, (double)rc.events);
        esc_log(ESC_LOG_INFO, COMP, "partition replayed",
                "partition=%d events=%lld incidents=%zu resume_offset=%lld seconds=%.3f "
                "events_per_s=%.0f",
                (int)pi, (long long)rc.events, esc_strmap_count(p->incidents),
                (long long)(rc.max_cmd_offset + 1), secs,
                secs > 0 ? (double)rc.events / secs : 0.0);
        return 0;
}

static void update_incident_gauge(ledger_t *L)
{
        size_t n = 0;

        for (int i = 0; i < MAX_PARTITIONS; i++)
                if (L->parts[i].assigned && L->parts[i].incidents)
                        n += esc_strmap_count(L->parts[i].incidents);
        esc_metric_set(L->m_incidents, NULL, (double)n);
}

static int on_assign(esc_worker_t *w, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        ledger_t *L = opaque;

        for (int i = 0; i < parts->cnt; i++) {
                int32_t pi = parts->elems[i].partition;
                if (pi < 0 || pi >= MAX_PARTITIONS) {
                        esc_log(ESC_LOG_ERROR, COMP, "partition number out of range",
                                "partition=%d max=%d", (int)pi, MAX_PARTITIONS - 1);
                        return -1;
                }
                L->parts[pi].assigned = true;
                /* Replaying is idempotent, so transient broker errors (a new
                 * partition without a leader yet, a restarting broker) are
                 * retried; but a worker that cannot learn its position must
                 * not guess one, so past the deadline it stops. */
                int64_t deadline = esc_mono_us() + (int64_t)REPLAY_RETRY_MS * 1000;
                int backoff_ms = 200;
                while (replay(L, pi)) {
                        if (esc_mono_us() + (int64_t)backoff_ms * 1000 > deadline)
                                return -1;
                        usleep((useconds_t)backoff_ms * 1000);
                        backoff_ms = backoff_ms < 3200 ? backoff_ms * 2 : backoff_ms;
                }
                parts->elems[i].offset = L->parts[pi].next_offset;
        }
        update_incident_gauge(L);
        return 0;
}

static void on_revoke(esc_worker_t *w, const rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        ledger_t *L = opaque;

        for (int i = 0; i < parts->cnt; i++) {
                int32_t pi = parts->elems[i].partition;
                if (pi < 0 || pi >= MAX_PARTITIONS)
                        continue;
                struct part *p = &L->parts[pi];
                if (p->incidents) {
                        esc_strmap_foreach(p->incidents, incident_free, NULL);
                        esc_strmap_destroy(p->incidents);
                        p->incidents = NULL;
                }
                p->assigned = false;
        }
        update_incident_gauge(L);
}

/* ---- deciding ------------------------------------------------------------- */

/* Delivery reports carry the command offset and partition in msg_opaque
 * (packed: offset << 10 | partition), so a failure names the first command
 * whose events did not land. */
#define PACK(p, off) ((void *)(intptr_t)(((off) << 10) | (p)))
#define UNPACK_P(v) ((int32_t)((intptr_t)(v)&1023))
#define UNPACK_OFF(v) ((int64_t)((intptr_t)(v) >> 10))

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        ledger_t *L = opaque;

        if (!m->err)
                return;
        int32_t pi = UNPACK_P(m->_private);
        int64_t off = UNPACK_OFF(m->_private);
        struct part *p = &L->parts[pi];
        if (p->failed_at < 0 || off < p->failed_at)
                p->failed_at = off;
        esc_log(ESC_LOG_ERROR, COMP, "event delivery failed; partition stops and replays",
                "partition=%d command_offset=%lld error=\"%s\"", (int)pi, (long long)off,
                rd_kafka_err2str(m->err));
}

/* Produces one encoded event; waits for queue space instead of dropping. */
static int produce(ledger_t *L, int32_t pi, int64_t cmd_off, const char *key)
{
        for (;;) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                        L->producer, RD_KAFKA_V_RKT(L->events_rkt), RD_KAFKA_V_PARTITION(pi),
                        RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(L->enc.data, L->enc.len),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_OPAQUE(PACK(pi, cmd_off)), RD_KAFKA_V_END);
                if (!err)
                        return 0;
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        esc_err(L->err, sizeof(L->err), "produce to %s [%d]: %s", L->events_topic,
                                (int)pi, rd_kafka_err2str(err));
                        return -1;
                }
                rd_kafka_poll(L->producer, FLUSH_POLL_MS);
        }
}

/* Numbers, chains, seals, folds and produces the events of one command. */
static int append(ledger_t *L, struct part *p, int32_t pi, const rd_kafka_message_t *m,
                  esc_state_t *st, esc_event_t *evs, int nev)
{
        esc_time_t now = esc_now();
        char id[37];

        for (int i = 0; i < nev; i++) {
                esc_event_t *ev = &evs[i];
                ev->seq = st->seq + 1;
                esc_hash_event_id(ev->incident_id, ev->seq, id);
                free(ev->event_id);
                ev->event_id = esc_strdup(id);
                ev->recorded_at = now;
                ev->command_partition = pi;
                ev->command_offset = m->offset;
                free(ev->policy_version);
                ev->policy_version = esc_strdup(L->policy->version);
                memcpy(ev->prev_hash, st->last_hash, ESC_HASH_LEN);
                esc_buf_reset(&L->enc);
                if (esc_hash_seal_encode(L->codec, ev, &L->enc, L->err, sizeof(L->err)))
                        return -1;
                if (produce(L, pi, m->offset, ev->incident_id))
                        return -1;
                esc_evolve(st, ev);
        }
        esc_metric_add(L->m_events, NULL, nev);
        return 0;
}

/* Decides one command message. Returns 0, or -1 on an internal failure
 * (encoding or local produce error: the partition stops). */
static int decide_one(ledger_t *L, struct part *p, const rd_kafka_message_t *m)
{
        esc_command_t cmd;
        esc_decision_t d;
        esc_state_t st;
        int rc = 0;

        esc_command_init(&cmd, ESC_CMD_OPEN);
        if (esc_codec_decode_command(L->codec, m->payload, m->len, &cmd, L->err, sizeof(L->err)) !=
            ESC_CODEC_OK) {
                esc_metric_add(L->m_deadletter, NULL, 1);
                return esc_deadletter_send(L->dl, m, L->err, L->err, sizeof(L->err));
        }
        if (m->key_len != strlen(cmd.incident_id) || memcmp(m->key, cmd.incident_id, m->key_len)) {
                /* Routed by another key: deciding it here would put the
                 * incident's events in two partitions. */
                esc_command_clear(&cmd);
                esc_metric_add(L->m_deadletter, NULL, 1);
                return esc_deadletter_send(L->dl, m,
                                           "command key differs from its incident_id: produce "
                                           "commands keyed by incident id",
                                           L->err, sizeof(L->err));
        }

        incident_load(p, cmd.incident_id, &st);
        esc_decide(L->policy, st.seq ? &st : NULL, &cmd, &d);
        switch (d.verdict) {
        case ESC_VERDICT_DUPLICATE:
                esc_metric_add(L->m_duplicates, NULL, 1);
                esc_log(ESC_LOG_DEBUG, COMP, "duplicate command ignored",
                        "incident=%s command_id=%s", cmd.incident_id, cmd.command_id);
                break;
        case ESC_VERDICT_REJECTED:
        case ESC_VERDICT_ACCEPTED:
                /* A rejection is an event too: auditors see refused commands. */
                esc_metric_add(d.verdict == ESC_VERDICT_ACCEPTED ? L->m_decided : L->m_rejected,
                               NULL, 1);
                rc = append(L, p, m->partition, m, &st, d.events, d.nevents);
                if (rc == 0)
                        incident_store(p, cmd.incident_id, &st);
                break;
        }
        esc_decision_clear(&d);
        esc_command_clear(&cmd);
        return rc;
}

static int on_batch(esc_worker_t *w, rd_kafka_message_t **msgs, size_t cnt,
                    esc_worker_msg_status_t *status, void *opaque)
{
        ledger_t *L = opaque;

        for (size_t i = 0; i < cnt; i++) {
                const rd_kafka_message_t *m = msgs[i];
                struct part *p = &L->parts[m->partition];

                if (p->needs_replay && replay(L, m->partition)) {
                        status[i] = ESC_WORKER_MSG_RETRY;
                        continue;
                }
                if (p->failed_at >= 0) {
                        status[i] = ESC_WORKER_MSG_RETRY;
                        continue;
                }
                if (m->offset < p->next_offset)
                        continue; /* decided before: its events are in the log */
                if (decide_one(L, p, m)) {
                        esc_log(ESC_LOG_ERROR, COMP, "cannot decide; partition stops",
                                "partition=%d offset=%lld error=\"%s\"", (int)m->partition,
                                (long long)m->offset, L->err);
                        status[i] = ESC_WORKER_MSG_RETRY;
                        p->failed_at = m->offset;
                        continue;
                }
                p->next_offset = m->offset + 1;
        }

        /* Nothing counts as done until every event of the batch is on the
         * broker. Waits as long as librdkafka keeps retrying (message.timeout.ms);
         * no message is ever left in flight when we decide what to redo. */
        while (rd_kafka_outq_len(L->producer) > 0)
                rd_kafka_poll(L->producer, FLUSH_POLL_MS);

        for (size_t i = 0; i < cnt; i++) {
                struct part *p = &L->parts[msgs[i]->partition];
                if (p->failed_at >= 0 && msgs[i]->offset >= p->failed_at)
                        status[i] = ESC_WORKER_MSG_RETRY;
        }
        for (int pi = 0; pi < MAX_PARTITIONS; pi++) {
                struct part *p = &L->parts[pi];
                if (p->assigned && p->failed_at >= 0) {
                        /* The log is the truth: rebuild before going on. */
                        p->failed_at = -1;
                        p->needs_replay = true;
                }
        }
        update_incident_gauge(L);
        return 0;
}

static int on_drain(esc_worker_t *w, void *opaque)
{
        ledger_t *L = opaque;

        rd_kafka_flush(L->producer, 30000);
        return rd_kafka_outq_len(L->producer) ? -1 : 0;
}

/* ---- main ----------------------------------------------------------------- */

static void usage(FILE *out)
{
        fprintf(out,
                "usage: esc worker ledger [--group G] [--batch N]\n\n"
                "Consumes esc.commands (group esc-ledger), decides each command against the\n"
                "policy and appends the resulting events (or a CommandRejected) to esc.events,\n"
                "the same partition. On assignment it replays its events partitions to rebuild\n"
                "state and resumes after the last decided command: a crash at any point loses\n"
                "and duplicates nothing. SIGTERM/SIGINT drain and exit 0.\n\n"
                "  --group G   consumer group (default ledger.group, else esc-ledger)\n"
                "  --batch N   commands per batch (default 2000)\n"
                "config: kafka.*, policy, metrics.listen\n");
}

static void ledger_free(void *state)
{
        ledger_t *L = state;

        for (int i = 0; i < MAX_PARTITIONS; i++) {
                if (L->parts[i].incidents) {
                        esc_strmap_foreach(L->parts[i].incidents, incident_free, NULL);
                        esc_strmap_destroy(L->parts[i].incidents);
                }
        }
        if (L->producer) {
                rd_kafka_flush(L->producer, 10000);
                if (L->events_rkt)
                        rd_kafka_topic_destroy(L->events_rkt);
                rd_kafka_destroy(L->producer);
        }
        esc_deadletter_destroy(L->dl);
        esc_eventlog_destroy(L->log);
        esc_codec_destroy(L->codec);
        esc_policy_destroy(L->policy);
        esc_buf_free(&L->enc);
        free(L);
}

static esc_opt_int_t batch_flag = {2000, 1, 100000};
static const esc_opt_t ledger_flags[] = {
        {"batch", ESC_OPT_INT, &batch_flag, 8},
        {NULL, ESC_OPT_STR, NULL, 0},
};

static void *ledger_setup(esc_cli_t *cli, esc_worker_opts_t *opts, int *rc)
{
        opts->batch_max = (int)batch_flag.v;
        ledger_t *L = esc_xcalloc(1, sizeof(*L));
        L->conf = cli->conf;
        esc_buf_init(&L->enc, 1 << 20);
        esc_config_topic(cli->conf, "events", L->events_topic, sizeof(L->events_topic));
        esc_config_topic(cli->conf, "commands", L->commands_topic, sizeof(L->commands_topic));

        if (!(L->policy = esc_policy_from_config(cli->conf, L->err, sizeof(L->err))) ||
            !(L->codec = esc_codec_new(cli->conf, L->err, sizeof(L->err))) ||
            !(L->log = esc_eventlog_new(cli->conf, L->codec, L->err, sizeof(L->err))) ||
            !(L->producer = esc_kafka_producer_new(cli->conf, dr_cb, L, L->err, sizeof(L->err))) ||
            !(L->events_rkt = rd_kafka_topic_new(L->producer, L->events_topic, NULL)) ||
            !(L->dl = esc_deadletter_new(cli->conf, L->err, sizeof(L->err)))) {
                if (L->producer && !L->events_rkt)
                        esc_err(L->err, sizeof(L->err), "%s: %s", L->events_topic,
                                rd_kafka_err2str(rd_kafka_last_error()));
                *rc = esc_cli_fail(ESC_EXIT_RUNTIME, "worker ledger", "%s", L->err);
                ledger_free(L);
                return NULL;
        }

        /* Co-partitioning is what makes "command partition p -> events
         * partition p" correct: refuse to run on topics that break it. */
        int ne = esc_kafka_partition_count(L->producer, L->events_topic, 10000, L->err,
                                           sizeof(L->err));
        int nc = ne > 0 ? esc_kafka_partition_count(L->producer, L->commands_topic, 10000, L->err,
                                                    sizeof(L->err))
                        : -1;
        if (ne <= 0 || nc <= 0) {
                *rc = esc_cli_fail(ESC_EXIT_RUNTIME, "worker ledger", "%s", L->err);
                ledger_free(L);
                return NULL;
        }
        if (ne != nc || ne > MAX_PARTITIONS) {
                *rc = esc_cli_fail(ESC_EXIT_RUNTIME, "worker ledger",
                                   "%s has %d partitions but %s has %d: they must be equal (and at "
                                   "most %d) so commands partition p is decided into events "
                                   "partition p",
                                   L->commands_topic, nc, L->events_topic, ne, MAX_PARTITIONS);
                ledger_free(L);
                return NULL;
        }

        esc_log(ESC_LOG_INFO, COMP, "ledger starting",
                "commands=%s events=%s partitions=%d policy_version=%s", L->commands_topic,
                L->events_topic, ne, L->policy->version);
        return L;
}

static void ledger_started(void *state, esc_worker_t *w)
{
        ledger_t *L = state;
        esc_metrics_t *mx = esc_worker_metrics(w);
        L->m_decided = esc_metrics_counter(mx, "esc_ledger_commands_decided_total",
                                           "Commands decided into events");
        L->m_rejected = esc_metrics_counter(mx, "esc_ledger_commands_rejected_total",
                                            "Commands refused (CommandRejected appended)");
        L->m_duplicates = esc_metrics_counter(mx, "esc_ledger_commands_duplicate_total",
                                              "Retried commands recognised by command_id");
        L->m_events = esc_metrics_counter(mx, "esc_ledger_events_appended_total",
                                          "Events appended to esc.events");
        L->m_replayed = esc_metrics_counter(mx, "esc_ledger_events_replayed_total",
                                            "Events folded while replaying partitions");
        L->m_incidents = esc_metrics_gauge(mx, "esc_ledger_incidents", "Incidents held in memory");
        L->m_deadletter = esc_metrics_counter(mx, "esc_ledger_deadletter_total",
                                              "Undecodable commands sent to the dead-letter topic");
}

const esc_worker_app_t esc_worker_ledger_app = {
        .name = "ledger",
        .usage = usage,
        .flags = ledger_flags,
        .group_key = "ledger.group",
        .group_default = "esc-ledger",
        .topic = "commands",
        .ops = {.on_assign = on_assign,
                .on_revoke = on_revoke,
                .on_batch = on_batch,
                .on_drain = on_drain},
        .opts = {.batch_ms = 20},
        .setup = ledger_setup,
        .started = ledger_started,
        .teardown = ledger_free,
};
