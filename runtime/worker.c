/* worker.c — the shared consumer loop: batching, worker-owned offsets,
 * rewind-and-pause on failure, drain on SIGTERM/SIGINT, lag and latency
 * metrics. The contract is in worker.h; this file keeps one table of the
 * partitions currently assigned (bounded by the topics' partition counts)
 * and one batch array (bounded by batch_max), nothing that grows with the
 * log. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/kafka.h"
#include "runtime/log.h"
#include "runtime/signals.h"
#include "core/util.h"
#include "runtime/sys.h"
#include "runtime/worker.h"

#define ESC_WORKER_MAX_NAME 32
/* A blocking seek waits for the fetcher thread, never for the broker; the
 * timeout only matters if librdkafka itself is wedged. */
#define ESC_WORKER_SEEK_TIMEOUT_MS 10000
#define ESC_WORKER_POSITION_UNKNOWN INT64_MIN

typedef struct esc_wpart {
        char *topic;
        int32_t partition;
        int64_t next; /* next offset to process; UNKNOWN until known */
        bool paused;
        bool failed; /* FAIL: paused until restart */
        bool halted; /* scratch: stopped within the current batch */
        esc_worker_msg_status_t halt_status;
        int64_t resume_at_us; /* RETRY: when to resume (monotonic) */
        int retry_ms;         /* RETRY: current backoff */
        bool committed;       /* next already committed (informational) */
        char labels[ESC_METRICS_MAX_LABELS];
} esc_wpart_t;

struct esc_worker {
        const esc_config_t *conf;
        esc_worker_ops_t ops;
        esc_worker_opts_t opts;
        char name[ESC_WORKER_MAX_NAME];
        char **topics;

        rd_kafka_t *rk;
        esc_metrics_t *metrics;
        esc_metrics_server_t *server;
        esc_metric_t *m_processed, *m_errors, *m_retries, *m_lag, *m_batch_seconds, *m_assigned,
                *m_paused;

        esc_wpart_t *parts;
        size_t part_cnt;

        rd_kafka_message_t **batch;
        esc_worker_msg_status_t *status;
        size_t batch_cnt;

        _Atomic int stop;
        _Atomic int running;
        _Atomic int failed_parts;
        bool fatal;
        bool in_revoke;
        bool ran;
        bool closed; /* rd_kafka_consumer_close() done */
        uint64_t processed;
        char errstr[512];
};

/* Records the first fatal error; later ones are only logged. */
static void worker_fatal(esc_worker_t *w, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void worker_fatal(esc_worker_t *w, const char *fmt, ...)
{
        char msg[512], q[600];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        esc_log(ESC_LOG_ERROR, w->name, "fatal", "error=%s", esc_log_quote(msg, q, sizeof(q)));
        if (!w->fatal)
                esc_strlcpy(w->errstr, msg, sizeof(w->errstr));
        w->fatal = true;
}

static bool stop_requested(esc_worker_t *w)
{
        return atomic_load(&w->stop) || (!w->opts.no_signals && esc_signals_stop_requested());
}

/* ---- partition table ----------------------------------------------------- */

static esc_wpart_t *part_find(esc_worker_t *w, const char *topic, int32_t partition)
{
        for (size_t i = 0; i < w->part_cnt; i++)
                if (w->parts[i].partition == partition && !strcmp(w->parts[i].topic, topic))
                        return &w->parts[i];
        return NULL;
}

static void part_add(esc_worker_t *w, const char *topic, int32_t partition, int64_t offset)
{
        esc_wpart_t *p;
        char pbuf[16];

        if (part_find(w, topic, partition))
                return;
        w->parts = esc_xrealloc(w->parts, (w->part_cnt + 1) * sizeof(*w->parts));
        p = &w->parts[w->part_cnt++];
        memset(p, 0, sizeof(*p));
        p->topic = esc_strdup(topic);
        p->partition = partition;
        p->next = offset >= 0 ? offset : ESC_WORKER_POSITION_UNKNOWN;
        p->committed = true;
        snprintf(pbuf, sizeof(pbuf), "%" PRId32, partition);
        if (!esc_metrics_labels(p->labels, sizeof(p->labels), "topic", topic, "partition", pbuf,
                                NULL))
                p->labels[0] = '\0';
}

static void part_remove(esc_worker_t *w, const char *topic, int32_t partition)
{
        for (size_t i = 0; i < w->part_cnt; i++) {
                esc_wpart_t *p = &w->parts[i];
                if (p->partition != partition || strcmp(p->topic, topic))
                        continue;
                esc_metric_remove(w->m_lag, p->labels);
                if (p->failed)
                        atomic_fetch_sub(&w->failed_parts, 1);
                free(p->topic);
                w->parts[i] = w->parts[--w->part_cnt];
                return;
        }
}

static void update_partition_gauges(esc_worker_t *w)
{
        size_t paused = 0;

        for (size_t i = 0; i < w->part_cnt; i++)
                paused += w->parts[i].paused;
        esc_metric_set(w->m_assigned, NULL, (double)w->part_cnt);
        esc_metric_set(w->m_paused, NULL, (double)paused);
}

/* One-partition list at offset, for pause/resume/seek. */
static rd_kafka_topic_partition_list_t *one_partition(const esc_wpart_t *p, int64_t offset)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);

        rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = offset;
        return l;
}

static int part_seek(esc_worker_t *w, esc_wpart_t *p, int64_t offset)
{
        rd_kafka_topic_partition_list_t *l = one_partition(p, offset);
        rd_kafka_error_t *error;
        int rc = 0;

        error = rd_kafka_seek_partitions(w->rk, l, ESC_WORKER_SEEK_TIMEOUT_MS);
        if (error || l->elems[0].err) {
                worker_fatal(w, "seek %s[%" PRId32 "] to offset %" PRId64 ": %s", p->topic,
                             p->partition, offset,
                             error ? rd_kafka_error_string(error)
                                   : rd_kafka_err2str(l->elems[0].err));
                rc = -1;
        }
        if (error)
                rd_kafka_error_destroy(error);
        rd_kafka_topic_partition_list_destroy(l);
        return rc;
}

/* Stops a partition at its first unhandled message: pause, then seek back
 * so the message is fetched again on resume (the seek also purges what was
 * prefetched after it). */
static void part_halt(esc_worker_t *w, esc_wpart_t *p)
{
        rd_kafka_topic_partition_list_t *l;

        if (w->in_revoke)
                return; /* the partition is going away; its next owner re-reads */
        l = one_partition(p, p->next);
        rd_kafka_pause_partitions(w->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        p->paused = true;
        if (p->next >= 0)
                part_seek(w, p, p->next);
        if (p->halt_status == ESC_WORKER_MSG_FAIL) {
                if (!p->failed)
                        atomic_fetch_add(&w->failed_parts, 1);
                p->failed = true;
                esc_log(ESC_LOG_ERROR, w->name, "partition stopped",
                        "topic=%s partition=%" PRId32 " offset=%" PRId64
                        " reason=unrecoverable_failure",
                        p->topic, p->partition, p->next);
        } else {
                int max = w->opts.retry_max_ms;
                p->retry_ms = p->retry_ms ? p->retry_ms * 2 : w->opts.retry_min_ms;
                if (p->retry_ms > max)
                        p->retry_ms = max;
                p->resume_at_us = esc_mono_us() + (int64_t)p->retry_ms * 1000;
                esc_metric_add(w->m_retries, NULL, 1);
                esc_log(ESC_LOG_WARN, w->name, "partition retry",
                        "topic=%s partition=%" PRId32 " offset=%" PRId64 " backoff_ms=%d", p->topic,
                        p->partition, p->next, p->retry_ms);
        }
}

static void resume_due_partitions(esc_worker_t *w)
{
        int64_t now = esc_mono_us();

        for (size_t i = 0; i < w->part_cnt && !w->fatal; i++) {
                esc_wpart_t *p = &w->parts[i];
                rd_kafka_topic_partition_list_t *l;

                if (!p->paused || p->failed || now < p->resume_at_us)
                        continue;
                l = one_partition(p, p->next);
                rd_kafka_resume_partitions(w->rk, l);
                rd_kafka_topic_partition_list_destroy(l);
                p->paused = false;
                /* Seek again: resume alone continues from the fetcher's own
                 * position, which is not ours if anything was prefetched. */
                if (p->next >= 0)
                        part_seek(w, p, p->next);
                esc_log(ESC_LOG_INFO, w->name, "partition resumed",
                        "topic=%s partition=%" PRId32 " offset=%" PRId64, p->topic, p->partition,
                        p->next);
        }
        update_partition_gauges(w);
}

/* ---- batches --------------------------------------------------------------- */

static void commit_positions(esc_worker_t *w, bool sync)
{
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_resp_err_t err;

        if (w->opts.no_commit)
                return;
        l = rd_kafka_topic_partition_list_new((int)w->part_cnt + 1);
        for (size_t i = 0; i < w->part_cnt; i++) {
                esc_wpart_t *p = &w->parts[i];
                if (p->committed || p->next < 0)
                        continue;
                rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = p->next;
                p->committed = true;
        }
        if (l->cnt > 0) {
                /* Informational (DESIGN §1): a failure is worth a line, no
                 * more; nobody reads these offsets back. */
                err = rd_kafka_commit(w->rk, l, sync ? 0 : 1);
                if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                        esc_log(ESC_LOG_WARN, w->name, "offset commit failed", "error=\"%s\"",
                                rd_kafka_err2str(err));
        }
        rd_kafka_topic_partition_list_destroy(l);
}

static void batch_clear(esc_worker_t *w)
{
        for (size_t i = 0; i < w->batch_cnt; i++)
                rd_kafka_message_destroy(w->batch[i]);
        w->batch_cnt = 0;
}

/* Hands the batch in hand to on_batch and applies the statuses: per
 * partition, positions advance over DONE messages up to the first one that
 * is not, where the partition halts. */
static void batch_dispatch(esc_worker_t *w)
{
        int64_t t0;
        int rc;
        uint64_t done = 0, failed = 0;

        if (w->batch_cnt == 0)
                return;
        for (size_t i = 0; i < w->batch_cnt; i++)
                w->status[i] = ESC_WORKER_MSG_DONE;
        t0 = esc_mono_us();
        rc = w->ops.on_batch(w, w->batch, w->batch_cnt, w->status, w->ops.opaque);
        esc_metric_observe(w->m_batch_seconds, NULL, (double)(esc_mono_us() - t0) / 1e6);

        for (size_t i = 0; i < w->part_cnt; i++)
                w->parts[i].halted = false;
        for (size_t i = 0; i < w->batch_cnt; i++) {
                rd_kafka_message_t *m = w->batch[i];
                esc_wpart_t *p = part_find(w, rd_kafka_topic_name(m->rkt), m->partition);

                if (!p || p->halted)
                        continue;
                if (w->status[i] == ESC_WORKER_MSG_DONE) {
                        p->next = m->offset + 1;
                        p->committed = false;
                        p->retry_ms = 0;
                        done++;
                } else {
                        p->next = m->offset;
                        p->halted = true;
                        p->halt_status = w->status[i];
                        failed++;
                }
        }
        for (size_t i = 0; i < w->part_cnt; i++)
                if (w->parts[i].halted)
                        part_halt(w, &w->parts[i]);
        w->processed += done;
        esc_metric_add(w->m_processed, NULL, (double)done);
        esc_metric_add(w->m_errors, NULL, (double)failed);
        batch_clear(w);
        update_partition_gauges(w);
        if (rc != 0)
                worker_fatal(w, "on_batch reported a fatal error");
        commit_positions(w, false);
}

/* Returns true if the message belongs in the batch. */
static bool message_accept(esc_worker_t *w, rd_kafka_message_t *m)
{
        esc_wpart_t *p;

        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                return false;
        if (m->err) {
                /* Consumer errors are informational in librdkafka: it retries
                 * by itself; only a fatal error ends the worker. */
                char reason[512];
                if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
                        rd_kafka_fatal_error(w->rk, reason, sizeof(reason));
                        worker_fatal(w, "kafka fatal error: %s", reason);
                } else {
                        esc_log(ESC_LOG_WARN, w->name, "consumer error",
                                "topic=%s partition=%" PRId32 " error=\"%s\"",
                                m->rkt ? rd_kafka_topic_name(m->rkt) : "-", m->partition,
                                rd_kafka_message_errstr(m));
                }
                esc_metric_add(w->m_errors, NULL, 1);
                return false;
        }
        p = part_find(w, rd_kafka_topic_name(m->rkt), m->partition);
        /* Stale prefetch of a paused or revoked partition, or a redelivery
         * below our position: never hand it out twice. */
        if (!p || p->paused || (p->next >= 0 && m->offset < p->next))
                return false;
        return true;
}

/* Polls until batch_max messages, wait_ms elapsed or a stop request.
 * Repeated rd_kafka_consumer_poll() rather than consume_batch_queue():
 * consumer_poll is what serves the rebalance callback, so assignment and
 * revocation happen between two messages of a batch, where batch_dispatch
 * can still finish the batch in hand for the partitions being revoked. */
static void batch_collect(esc_worker_t *w, int wait_ms)
{
        int64_t deadline = esc_mono_us() + (int64_t)wait_ms * 1000;

        while (w->batch_cnt < (size_t)w->opts.batch_max && !w->fatal && !stop_requested(w)) {
                int64_t left_ms = (deadline - esc_mono_us()) / 1000;
                rd_kafka_message_t *m;

                if (left_ms < 0)
                        break;
                /* Once a batch has begun, only what is already fetched joins
                 * it: a lone event is not held back for company. */
                m = rd_kafka_consumer_poll(w->rk, w->batch_cnt ? 0 : (int)left_ms);
                if (!m) {
                        if (left_ms == 0 || w->batch_cnt)
                                break;
                        continue;
                }
                if (message_accept(w, m))
                        w->batch[w->batch_cnt++] = m;
                else
                        rd_kafka_message_destroy(m);
        }
}

/* ---- lag --------------------------------------------------------------------- */

/* Lag from the high watermark librdkafka learned on its last fetch (no
 * broker round trip on the worker's thread) and our own position. A paused
 * partition keeps its last figure. */
static void lag_refresh(esc_worker_t *w)
{
        for (size_t i = 0; i < w->part_cnt; i++) {
                esc_wpart_t *p = &w->parts[i];
                int64_t lo = -1, hi = -1, pos = p->next;

                if (rd_kafka_get_watermark_offsets(w->rk, p->topic, p->partition, &lo, &hi) ||
                    hi < 0)
                        continue;
                if (pos < 0) {
                        rd_kafka_topic_partition_list_t *l = one_partition(p, -1);
                        if (!rd_kafka_position(w->rk, l) && l->elems[0].offset >= 0)
                                pos = l->elems[0].offset;
                        rd_kafka_topic_partition_list_destroy(l);
                        if (pos < 0)
                                pos = lo >= 0 ? lo : 0;
                }
                esc_metric_set(w->m_lag, p->labels, hi > pos ? (double)(hi - pos) : 0);
        }
}

/* ---- rebalance --------------------------------------------------------------- */

static void log_partitions(esc_worker_t *w, const char *msg,
                           const rd_kafka_topic_partition_list_t *parts)
{
        esc_buf_t b;
        char q[1100];

        /* Capped: a 1000-partition assignment still fits one line. */
        esc_buf_init(&b, 1000);
        for (int i = 0; i < parts->cnt; i++) {
                const rd_kafka_topic_partition_t *tp = &parts->elems[i];
                char at[32];
                int rc;

                if (tp->offset >= 0)
                        snprintf(at, sizeof(at), "@%" PRId64, tp->offset);
                else if (tp->offset == RD_KAFKA_OFFSET_BEGINNING)
                        esc_strlcpy(at, "@beginning", sizeof(at));
                else if (tp->offset == RD_KAFKA_OFFSET_END)
                        esc_strlcpy(at, "@end", sizeof(at));
                else
                        at[0] = '\0'; /* committed, else earliest */
                rc = esc_buf_printf(&b, "%s%s:%" PRId32 "%s", i ? "," : "", tp->topic,
                                    tp->partition, at);
                if (rc) {
                        esc_buf_puts(&b, ",...");
                        break;
                }
        }
        esc_log(ESC_LOG_INFO, w->name, msg, "count=%d partitions=%s", parts->cnt,
                esc_log_quote(b.data ? b.data : "", q, sizeof(q)));
        esc_buf_free(&b);
}

static bool cooperative(esc_worker_t *w)
{
        return !strcmp(rd_kafka_rebalance_protocol(w->rk), "COOPERATIVE");
}

static void on_assigned(esc_worker_t *w, rd_kafka_topic_partition_list_t *parts)
{
        rd_kafka_error_t *error = NULL;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

        for (int i = 0; i < parts->cnt; i++)
                parts->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
        if (w->ops.on_assign && w->ops.on_assign(w, parts, w->ops.opaque) != 0) {
                worker_fatal(w, "on_assign could not choose start offsets for %d partitions",
                             parts->cnt);
                return;
        }
        if (cooperative(w))
                error = rd_kafka_incremental_assign(w->rk, parts);
        else
                err = rd_kafka_assign(w->rk, parts);
        if (error || err) {
                worker_fatal(w, "assign: %s",
                             error ? rd_kafka_error_string(error) : rd_kafka_err2str(err));
                if (error)
                        rd_kafka_error_destroy(error);
                return;
        }
        for (int i = 0; i < parts->cnt; i++)
                part_add(w, parts->elems[i].topic, parts->elems[i].partition,
                         parts->elems[i].offset);
        update_partition_gauges(w);
        log_partitions(w, "partitions assigned", parts);
}

static void on_revoked(esc_worker_t *w, rd_kafka_topic_partition_list_t *parts)
{
        /* Finish the batch in hand first: its messages belong to partitions
         * we still own for a moment. */
        w->in_revoke = true;
        batch_dispatch(w);
        w->in_revoke = false;
        if (w->ops.on_revoke)
                w->ops.on_revoke(w, parts, w->ops.opaque);
        commit_positions(w, true);
        log_partitions(w, "partitions revoked", parts);
        if (cooperative(w)) {
                rd_kafka_error_t *error = rd_kafka_incremental_unassign(w->rk, parts);
                if (error)
                        rd_kafka_error_destroy(error);
        } else {
                rd_kafka_assign(w->rk, NULL);
        }
        for (int i = 0; i < parts->cnt; i++)
                part_remove(w, parts->elems[i].topic, parts->elems[i].partition);
        update_partition_gauges(w);
}

/* librdkafka's rebalance callback; runs inside consumer_poll()/close() on
 * the worker's thread. */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        esc_worker_t *w = opaque;

        (void)rk;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                on_assigned(w, parts);
        } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
                on_revoked(w, parts);
        } else {
                /* Drop everything: the next successful rebalance assigns
                 * again through on_assign, so no position is guessed. */
                esc_log(ESC_LOG_ERROR, w->name, "rebalance error", "error=\"%s\"",
                        rd_kafka_err2str(err));
                w->in_revoke = true;
                batch_dispatch(w);
                w->in_revoke = false;
                rd_kafka_assign(w->rk, NULL);
                while (w->part_cnt > 0)
                        part_remove(w, w->parts[0].topic, w->parts[0].partition);
                update_partition_gauges(w);
        }
}

/* ---- lifecycle --------------------------------------------------------------- */

static bool health_cb(void *opaque)
{
        return esc_worker_is_healthy(opaque);
}

bool esc_worker_is_healthy(esc_worker_t *w)
{
        if (!atomic_load(&w->running) || atomic_load(&w->failed_parts) > 0)
                return false;
        return !w->ops.healthy || w->ops.healthy(w->ops.opaque);
}

static bool worker_name_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n >= ESC_WORKER_MAX_NAME)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
                      name[i] == '_'))
                        return false;
        return true;
}

static esc_metric_t *metric(esc_worker_t *w, bool gauge, const char *what, const char *help)
{
        char name[ESC_METRICS_MAX_NAME];

        snprintf(name, sizeof(name), "esc_%s_%s", w->name, what);
        return gauge ? esc_metrics_gauge(w->metrics, name, help)
                     : esc_metrics_counter(w->metrics, name, help);
}

static void register_metrics(esc_worker_t *w)
{
        char name[ESC_METRICS_MAX_NAME];

        w->m_processed = metric(w, false, "processed_total", "Messages handled by the worker.");
        w->m_errors = metric(w, false, "errors_total",
                             "Messages not handled (retry or failure) and consumer errors.");
        w->m_retries = metric(w, false, "retries_total",
                              "Partitions paused for a retry after a transient failure.");
        w->m_lag = metric(w, true, "lag",
                          "Messages between the worker's position and the high watermark.");
        w->m_assigned = metric(w, true, "assigned_partitions", "Partitions assigned.");
        w->m_paused = metric(w, true, "paused_partitions",
                             "Partitions paused by a retry or an unrecoverable failure.");
        /* Counters exist from the start so a scrape sees 0, not nothing. */
        esc_metric_add(w->m_processed, NULL, 0);
        esc_metric_add(w->m_errors, NULL, 0);
        esc_metric_add(w->m_retries, NULL, 0);
        snprintf(name, sizeof(name), "esc_%s_batch_seconds", w->name);
        w->m_batch_seconds = esc_metrics_histogram(w->metrics, name,
                                                   "Time the worker spent on one batch.", NULL, 0);
}

esc_worker_t *esc_worker_new(const esc_config_t *conf, const esc_worker_ops_t *ops,
                             const esc_worker_opts_t *opts, char *errbuf, size_t errbuf_size)
{
        esc_worker_t *w;
        char group[256];

        if (!ops || !worker_name_valid(ops->name)) {
                esc_err(errbuf, errbuf_size, "worker name \"%s\": use 1-31 characters of [a-z0-9_]",
                        ops && ops->name ? ops->name : "");
                return NULL;
        }
        if (!ops->on_batch) {
                esc_err(errbuf, errbuf_size, "worker %s: on_batch is required", ops->name);
                return NULL;
        }
        if (!opts || !opts->group || !*opts->group || !opts->topics || opts->topic_cnt == 0) {
                esc_err(errbuf, errbuf_size,
                        "worker %s: a consumer group and at least one topic are required",
                        ops->name);
                return NULL;
        }
        w = esc_xcalloc(1, sizeof(*w));
        w->conf = conf;
        w->ops = *ops;
        w->opts = *opts;
        esc_strlcpy(w->name, ops->name, sizeof(w->name));
        w->ops.name = w->name;
        esc_strlcpy(group, opts->group, sizeof(group));
        w->opts.group = NULL; /* only needed here */
        if (w->opts.batch_max <= 0)
                w->opts.batch_max = 500;
        if (w->opts.batch_ms <= 0)
                w->opts.batch_ms = 100;
        if (w->opts.lag_refresh_ms <= 0)
                w->opts.lag_refresh_ms = 5000;
        if (w->opts.retry_min_ms <= 0)
                w->opts.retry_min_ms = 200;
        if (w->opts.retry_max_ms < w->opts.retry_min_ms)
                w->opts.retry_max_ms = w->opts.retry_min_ms > 30000 ? w->opts.retry_min_ms : 30000;
        w->topics = esc_xcalloc(opts->topic_cnt, sizeof(char *));
        for (size_t i = 0; i < opts->topic_cnt; i++)
                w->topics[i] = esc_strdup(opts->topics[i]);
        w->opts.topics = (const char *const *)w->topics;
        w->batch = esc_xcalloc((size_t)w->opts.batch_max, sizeof(*w->batch));
        w->status = esc_xcalloc((size_t)w->opts.batch_max, sizeof(*w->status));

        w->metrics = esc_metrics_new();
        register_metrics(w);

        w->rk = esc_kafka_consumer_new_rebalance(conf, group, rebalance_cb, w, errbuf, errbuf_size);
        if (!w->rk)
                goto err;
        if (esc_metrics_server_from_config(w->metrics, conf, w->name, health_cb, w, &w->server,
                                           errbuf, errbuf_size) != 0)
                goto err;
        return w;

err:
        esc_worker_destroy(w);
        return NULL;
}

int esc_worker_run(esc_worker_t *w)
{
        rd_kafka_topic_partition_list_t *subs;
        rd_kafka_resp_err_t err;
        int64_t next_lag, next_tick = 0;
        char q[512], topics[400];
        esc_buf_t tb;
        int rc = 0;

        if (w->ran) {
                esc_strlcpy(w->errstr, "esc_worker_run called twice", sizeof(w->errstr));
                return -1;
        }
        w->ran = true;
        if (!w->opts.no_signals && esc_signals_install() != 0) {
                worker_fatal(w, "cannot install SIGTERM/SIGINT handlers");
                return -1;
        }
        subs = rd_kafka_topic_partition_list_new((int)w->opts.topic_cnt);
        esc_buf_init(&tb, sizeof(topics) - 1);
        for (size_t i = 0; i < w->opts.topic_cnt; i++) {
                rd_kafka_topic_partition_list_add(subs, w->topics[i], RD_KAFKA_PARTITION_UA);
                esc_buf_printf(&tb, "%s%s", i ? "," : "", w->topics[i]);
        }
        esc_strlcpy(topics, tb.data ? tb.data : "", sizeof(topics));
        esc_buf_free(&tb);
        err = rd_kafka_subscribe(w->rk, subs);
        rd_kafka_topic_partition_list_destroy(subs);
        if (err) {
                worker_fatal(w, "subscribe to %s: %s", topics, rd_kafka_err2str(err));
                rd_kafka_consumer_close(w->rk);
                w->closed = true;
                return -1;
        }
        atomic_store(&w->running, 1);
        esc_log(ESC_LOG_INFO, w->name, "worker started",
                "topics=%s batch_max=%d batch_ms=%d tick_ms=%d informational_commits=%s",
                esc_log_quote(topics, q, sizeof(q)), w->opts.batch_max, w->opts.batch_ms,
                w->opts.tick_ms, w->opts.no_commit ? "off" : "on");

        next_lag = esc_mono_us() + (int64_t)w->opts.lag_refresh_ms * 1000;
        if (w->opts.tick_ms > 0)
                next_tick = esc_mono_us() + (int64_t)w->opts.tick_ms * 1000;
        while (!w->fatal && !stop_requested(w)) {
                int wait_ms = w->opts.batch_ms;
                int64_t now = esc_mono_us();

                if (w->opts.tick_ms > 0 && (next_tick - now) / 1000 < wait_ms)
                        wait_ms = next_tick > now ? (int)((next_tick - now) / 1000) : 0;
                batch_collect(w, wait_ms);
                /* Also on a stop request: finish the batch in hand. */
                batch_dispatch(w);
                resume_due_partitions(w);
                now = esc_mono_us();
                if (w->opts.tick_ms > 0 && now >= next_tick && !w->fatal && !stop_requested(w)) {
                        if (w->ops.on_tick && w->ops.on_tick(w, w->ops.opaque) != 0)
                                worker_fatal(w, "on_tick reported a fatal error");
                        next_tick = esc_mono_us() + (int64_t)w->opts.tick_ms * 1000;
                }
                if (now >= next_lag) {
                        lag_refresh(w);
                        next_lag = now + (int64_t)w->opts.lag_refresh_ms * 1000;
                }
        }

        atomic_store(&w->running, 0);
        if (w->fatal) {
                esc_log(ESC_LOG_ERROR, w->name, "stopping after error", "processed=%" PRIu64,
                        w->processed);
                rc = -1;
        } else {
                esc_log(ESC_LOG_INFO, w->name, "draining", "signal=%d processed=%" PRIu64,
                        w->opts.no_signals ? 0 : esc_signals_last(), w->processed);
        }
        batch_dispatch(w);
        if (w->ops.on_drain && w->ops.on_drain(w, w->ops.opaque) != 0) {
                worker_fatal(w, "on_drain reported an error");
                rc = -1;
        }
        commit_positions(w, true);
        /* Close revokes (on_revoke runs once more) and leaves the group so
         * the partitions move to another member without waiting for the
         * session timeout. */
        err = rd_kafka_consumer_close(w->rk);
        w->closed = true;
        if (err)
                esc_log(ESC_LOG_WARN, w->name, "consumer close", "error=\"%s\"",
                        rd_kafka_err2str(err));
        esc_log(rc ? ESC_LOG_ERROR : ESC_LOG_INFO, w->name, "stopped",
                "processed=%" PRIu64 " exit=%s", w->processed, rc ? "error" : "clean");
        return rc;
}

void esc_worker_stop(esc_worker_t *w)
{
        atomic_store(&w->stop, 1);
}

void esc_worker_destroy(esc_worker_t *w)
{
        if (!w)
                return;
        /* The server reads the registry and the health flags: stop it first. */
        esc_metrics_server_stop(w->server);
        batch_clear(w);
        /* Never ran: nothing to revoke, and no rebalance callback may run
         * on a half-destroyed worker. */
        if (w->rk)
                rd_kafka_destroy_flags(w->rk, w->closed ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        for (size_t i = 0; i < w->part_cnt; i++)
                free(w->parts[i].topic);
        free(w->parts);
        for (size_t i = 0; w->topics && i < w->opts.topic_cnt; i++)
                free(w->topics[i]);
        free(w->topics);
        free(w->batch);
        free(w->status);
        esc_metrics_destroy(w->metrics);
        free(w);
}

const char *esc_worker_error(const esc_worker_t *w)
{
        return w->errstr;
}

rd_kafka_t *esc_worker_consumer(esc_worker_t *w)
{
        return w->rk;
}

esc_metrics_t *esc_worker_metrics(esc_worker_t *w)
{
        return w->metrics;
}
