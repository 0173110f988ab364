/* worker.h — the consumer loop every long-running esc process shares
 * (`esc worker ledger|sla|actions|timers`, DESIGN §7).
 *
 * The runtime owns the KafkaConsumer, the batching, the drain on
 * SIGTERM/SIGINT, lag/throughput/latency metrics, /metrics and /healthz;
 * the worker supplies callbacks and owns its offsets (DESIGN §1: the
 * ledger replays its events partition to find where it stopped, the
 * projections read esc.projection_offsets). Consumer-group commits are
 * made only as information for operators (kafka-consumer-groups), never
 * read back.
 *
 * Threading: every callback runs on the thread that called
 * esc_worker_run(). Rebalance callbacks are served from inside
 * rd_kafka_consumer_poll() and rd_kafka_consumer_close() on that thread,
 * so a worker needs no locks for its own state. Only `healthy` also runs on
 * the metrics server's thread (see below).
 *
 * Rebalancing is eager (the default "range,roundrobin" assignors, not
 * cooperative-sticky): on every rebalance all partitions are revoked and the
 * new set is assigned with rd_kafka_assign() at the offsets on_assign chose.
 * Eager costs a short pause per rebalance but makes "the worker chooses
 * every start offset" trivially true, which is what exactly-once needs.
 *
 * Batches: the loop waits up to batch_ms for a first message, takes with
 * it whatever else is already fetched (up to batch_max, never waiting for
 * more), then calls on_batch with the messages in partition-then-offset order as
 * received. on_batch reports per message (status[i]) whether it was
 * handled; the first non-DONE message of a partition rewinds that
 * partition to it (rd_kafka_seek_partitions), and everything after it in
 * the same partition counts as not handled, so nothing is ever skipped:
 *   ESC_WORKER_MSG_RETRY: transient (database down): the partition pauses
 *     for a backoff (doubling from retry_min_ms to retry_max_ms) and the
 *     message is delivered again.
 *   ESC_WORKER_MSG_FAIL: unrecoverable (a bug, a poison record that must
 *     not be skipped): the partition stays paused until the process
 *     restarts and /healthz reports unhealthy; other partitions go on.
 * Messages with a Kafka error (rkmessage->err) are never handed to
 * on_batch: partition EOF is ignored, other errors are logged and counted.
 *
 * Drain: on SIGTERM/SIGINT (or esc_worker_stop()) the loop stops polling,
 * hands the batch in hand to on_batch, calls on_drain, commits the
 * informational offsets synchronously, and closes the consumer (which
 * revokes: on_revoke runs once more). esc_worker_run() then returns 0.
 *
 *   static const esc_worker_ops_t ops = {.name = "sla", .on_assign = sla_assign,
 *                                        .on_batch = sla_batch};
 *   esc_worker_t *w = esc_worker_new(conf, &ops, &opts, errbuf, sizeof(errbuf));
 *   rc = esc_worker_run(w);
 *   esc_worker_destroy(w);
 */
#ifndef ESC_WORKER_H
#define ESC_WORKER_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

#include "runtime/config.h"
#include "runtime/metrics.h"

typedef struct esc_worker esc_worker_t;

typedef enum {
        ESC_WORKER_MSG_DONE = 0, /* handled; its offset + 1 is the new position */
        ESC_WORKER_MSG_RETRY,    /* not handled, transient: redeliver after backoff */
        ESC_WORKER_MSG_FAIL,     /* not handled, unrecoverable: pause the partition */
} esc_worker_msg_status_t;

typedef struct esc_worker_ops {
        /* Short name: log component and metric prefix (esc_<name>_...).
         * Required; [a-z0-9_] only. */
        const char *name;
        void *opaque;

        /* Partitions were assigned. Set parts->elems[i].offset to where the
         * worker resumes (the next offset to process). An offset left at
         * RD_KAFKA_OFFSET_INVALID means "the group's committed offset, else
         * the earliest"; workers that own offsets always set it.
         * RD_KAFKA_OFFSET_BEGINNING/END are allowed. Return 0, or -1 to stop
         * the worker with an error (esc_worker_run() returns -1): a worker
         * that cannot learn its position must not guess one. May be NULL. */
        int (*on_assign)(esc_worker_t *w, rd_kafka_topic_partition_list_t *parts, void *opaque);
        /* Partitions are about to be taken away (rebalance or close): flush
         * what belongs to them. The batch in hand has already been handed to
         * on_batch. May be NULL. */
        void (*on_revoke)(esc_worker_t *w, const rd_kafka_topic_partition_list_t *parts,
                          void *opaque);
        /* Handle cnt >= 1 messages; fill status[i] (pre-set to DONE). The
         * messages stay owned by the runtime. Return 0, or -1 for a fatal
         * error that stops the worker (esc_worker_run() returns -1); statuses
         * are still honoured for the final informational commit. Required. */
        int (*on_batch)(esc_worker_t *w, rd_kafka_message_t **msgs, size_t cnt,
                        esc_worker_msg_status_t *status, void *opaque);
        /* Called every tick_ms (if > 0) between batches, also when idle (the
         * timers worker fires deadlines here). Return 0, or -1 to stop with
         * an error. May be NULL. */
        int (*on_tick)(esc_worker_t *w, void *opaque);
        /* The last call before the consumer closes, on a stop request and
         * also after a fatal error (to flush what was done): flush and
         * release outside resources. Return 0, or -1 (logged, run() returns
         * -1). May be NULL. */
        int (*on_drain)(esc_worker_t *w, void *opaque);
        /* Extra health condition for /healthz, e.g. "PostgreSQL reachable".
         * Runs on the metrics server's thread: must be thread-safe and quick.
         * May be NULL. */
        bool (*healthy)(void *opaque);
} esc_worker_ops_t;

typedef struct esc_worker_opts {
        const char *group;         /* consumer group; required */
        const char *const *topics; /* full topic names; required */
        size_t topic_cnt;
        int batch_max;      /* messages per batch; default 500 */
        int batch_ms;       /* max wait for a batch's first message; default 100 */
        int tick_ms;        /* on_tick period; 0 = never */
        int lag_refresh_ms; /* lag gauge refresh; default 5000 */
        int retry_min_ms;   /* RETRY backoff start; default 200 */
        int retry_max_ms;   /* RETRY backoff cap; default 30000 */
        bool no_commit;     /* skip the informational group commits */
        bool no_signals;    /* don't install SIGTERM/SIGINT handlers
                             * (embedding, tests); esc_worker_stop() */
} esc_worker_opts_t;

/* Creates the consumer (esc_kafka_consumer_new with opts->group), subscribes
 * to the topics, registers the metrics esc_<name>_processed_total,
 * esc_<name>_errors_total, esc_<name>_retries_total,
 * esc_<name>_lag{topic,partition}, esc_<name>_batch_seconds (histogram),
 * esc_<name>_assigned_partitions, esc_<name>_paused_partitions and starts
 * the metrics server if `metrics.listen` is set. ops and opts are copied
 * (topic strings too); conf must outlive the worker. Returns NULL with
 * errbuf naming what is wrong. */
esc_worker_t *esc_worker_new(const esc_config_t *conf, const esc_worker_ops_t *ops,
                             const esc_worker_opts_t *opts, char *errbuf, size_t errbuf_size);
/* Runs the loop until a stop request (returns 0 after the drain) or a
 * fatal error (returns -1; esc_worker_error() says why; the consumer is
 * closed all the same). Call once. */
int esc_worker_run(esc_worker_t *w);
/* Asks the loop to drain and return. Safe from any thread and from a
 * signal handler. */
void esc_worker_stop(esc_worker_t *w);
void esc_worker_destroy(esc_worker_t *w);

/* The message of the last fatal error ("" if none). */
const char *esc_worker_error(const esc_worker_t *w);
/* The consumer handle, e.g. to query watermarks; owned by the worker. */
rd_kafka_t *esc_worker_consumer(esc_worker_t *w);
/* The registry, for worker-specific metrics (name them esc_<name>_...). */
esc_metrics_t *esc_worker_metrics(esc_worker_t *w);
/* Whether /healthz answers 200 right now. Thread-safe. */
bool esc_worker_is_healthy(esc_worker_t *w);

#endif
