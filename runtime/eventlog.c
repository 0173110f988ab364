/* eventlog.c — partition-at-a-time reads of esc.events.
 *
 * A reader is an assign-only consumer: it never joins a consumer group, so
 * any number of CLI invocations, timelines and audits can read concurrently
 * without disturbing the workers' groups. Each scan assigns exactly one
 * partition, reads to the high watermark observed when it started (a stable
 * end, so a busy partition cannot keep a scan running forever) and
 * unassigns. Only messages whose key matches are decoded: most of a
 * partition belongs to other incidents. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/eventlog.h"
#include "runtime/kafka.h"
#include "runtime/log.h"
#include "runtime/sys.h"

#define WATERMARK_TIMEOUT_MS 10000
#define POLL_MS 100
/* A scan that sees no message for this long while short of its end offset
 * is stuck (broker down, partition gone): better an error than a hang. */
#define SCAN_STALL_MS 30000

struct esc_eventlog {
        rd_kafka_t *rk;
        esc_codec_t *codec; /* borrowed */
        char topic[256];
        int partitions; /* 0 until looked up */
};

esc_eventlog_t *esc_eventlog_new(const esc_config_t *conf, esc_codec_t *codec, char *errbuf,
                                 size_t errbuf_size)
{
        esc_eventlog_t *log = esc_xcalloc(1, sizeof(*log));

        log->rk = esc_kafka_consumer_new(conf, NULL, errbuf, errbuf_size);
        if (!log->rk) {
                free(log);
                return NULL;
        }
        log->codec = codec;
        esc_config_topic(conf, "events", log->topic, sizeof(log->topic));
        return log;
}

void esc_eventlog_destroy(esc_eventlog_t *log)
{
        if (!log)
                return;
        rd_kafka_consumer_close(log->rk);
        rd_kafka_destroy(log->rk);
        free(log);
}

const char *esc_eventlog_topic(esc_eventlog_t *log)
{
        return log->topic;
}

int esc_eventlog_partitions(esc_eventlog_t *log, char *errbuf, size_t errbuf_size)
{
        if (log->partitions > 0)
                return log->partitions;
        int n = esc_kafka_partition_count(log->rk, log->topic, WATERMARK_TIMEOUT_MS, errbuf,
                                          errbuf_size);
        if (n > 0)
                log->partitions = n;
        return n;
}

int32_t esc_eventlog_partition_of(esc_eventlog_t *log, const char *incident_id, char *errbuf,
                                  size_t errbuf_size)
{
        int n = esc_eventlog_partitions(log, errbuf, errbuf_size);

        if (n <= 0)
                return -1;
        return esc_kafka_partition_for_key(incident_id, strlen(incident_id), n);
}

/* Errors a partition shows right after creation or during a leader move. */
static bool transient(rd_kafka_resp_err_t err)
{
        return err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
               err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
               err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
               err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT;
}

int esc_eventlog_watermarks(esc_eventlog_t *log, int32_t partition, int64_t *low, int64_t *high,
                            char *errbuf, size_t errbuf_size)
{
        int64_t deadline = esc_mono_us() + (int64_t)WATERMARK_TIMEOUT_MS * 1000;
        rd_kafka_resp_err_t err;

        /* A topic created moments ago has partitions without a leader for a
         * short while: every reader would otherwise fail on it. */
        while ((err = rd_kafka_query_watermark_offsets(log->rk, log->topic, partition, low, high,
                                                       WATERMARK_TIMEOUT_MS)) &&
               transient(err) && esc_mono_us() + 200000 < deadline)
                usleep(200000);
        if (err)
                return esc_err(errbuf, errbuf_size, "%s [%d]: watermarks: %s", log->topic,
                               (int)partition, rd_kafka_err2str(err));
        return 0;
}

static int assign_one(esc_eventlog_t *log, int32_t partition, int64_t start, char *errbuf,
                      size_t errbuf_size)
{
        rd_kafka_topic_partition_list_t *tpl = rd_kafka_topic_partition_list_new(1);
        rd_kafka_resp_err_t err;

        rd_kafka_topic_partition_list_add(tpl, log->topic, partition)->offset = start;
        err = rd_kafka_assign(log->rk, tpl);
        rd_kafka_topic_partition_list_destroy(tpl);
        if (err)
                return esc_err(errbuf, errbuf_size, "%s [%d]: assign: %s", log->topic,
                               (int)partition, rd_kafka_err2str(err));
        return 0;
}

static bool key_matches(const rd_kafka_message_t *m, const char *key, size_t keylen)
{
        return !key || (m->key_len == keylen && !memcmp(m->key, key, keylen));
}

/* Decodes m and hands it to fn. Returns fn's result. */
static int deliver(esc_eventlog_t *log, const rd_kafka_message_t *m, esc_eventlog_fn fn,
                   void *opaque, esc_eventlog_stats_t *stats)
{
        esc_event_t ev;
        char err[512];
        int r;

        esc_event_init(&ev, ESC_EV_ESCALATION_OPENED);
        if (stats)
                stats->matched++;
        if (esc_codec_decode_event(log->codec, m->payload, m->len, &ev, err, sizeof(err)) !=
            ESC_CODEC_OK) {
                if (stats)
                        stats->undecodable++;
                r = fn(NULL, m, err, opaque);
        } else {
                r = fn(&ev, m, NULL, opaque);
        }
        esc_event_clear(&ev);
        return r;
}

int esc_eventlog_scan(esc_eventlog_t *log, int32_t partition, int64_t start, const char *key,
                      esc_eventlog_fn fn, void *opaque, esc_eventlog_stats_t *stats, char *errbuf,
                      size_t errbuf_size)
{
        esc_eventlog_stats_t local = {0};
        size_t keylen = key ? strlen(key) : 0;
        int64_t lo, hi, last_progress;
        int rc = 0;

        if (!stats)
                stats = &local;
        memset(stats, 0, sizeof(*stats));
        if (esc_eventlog_watermarks(log, partition, &lo, &hi, errbuf, errbuf_size))
                return -1;
        stats->low_watermark = lo;
        stats->high_watermark = hi;
        if (start < 0 || start < lo)
                start = lo; /* BEGINNING, or history trimmed below start */
        if (start >= hi)
                return 0;
        if (assign_one(log, partition, start, errbuf, errbuf_size))
                return -1;

        last_progress = esc_mono_us();
        for (;;) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(log->rk, POLL_MS);
                if (!m) {
                        if (esc_mono_us() - last_progress > (int64_t)SCAN_STALL_MS * 1000) {
                                rc = esc_err(errbuf, errbuf_size,
                                             "%s [%d]: no data for %d s while reading offsets "
                                             "%lld..%lld (broker down?)",
                                             log->topic, (int)partition, SCAN_STALL_MS / 1000,
                                             (long long)start, (long long)hi);
                                break;
                        }
                        continue;
                }
                last_progress = esc_mono_us();
                if (m->err) {
                        bool eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
                        if (!eof)
                                rc = esc_err(errbuf, errbuf_size, "%s [%d]: %s", log->topic,
                                             (int)partition, rd_kafka_message_errstr(m));
                        rd_kafka_message_destroy(m);
                        if (eof && rc == 0)
                                break;
                        if (rc)
                                break;
                        continue;
                }
                int64_t off = m->offset;
                stats->messages++;
                if (key_matches(m, key, keylen))
                        rc = deliver(log, m, fn, opaque, stats);
                rd_kafka_message_destroy(m);
                if (rc || off + 1 >= hi)
                        break;
        }
        rd_kafka_assign(log->rk, NULL);
        return rc;
}

int esc_eventlog_follow(esc_eventlog_t *log, int32_t partition, int64_t start, const char *key,
                        int timeout_ms, esc_eventlog_fn fn, void *opaque, char *errbuf,
                        size_t errbuf_size)
{
        size_t keylen = key ? strlen(key) : 0;
        int64_t deadline = esc_mono_us() + (int64_t)timeout_ms * 1000;
        int rc = 0;

        if (assign_one(log, partition, start < 0 ? RD_KAFKA_OFFSET_BEGINNING : start, errbuf,
                       errbuf_size))
                return -1;
        while (rc == 0) {
                int64_t left = (deadline - esc_mono_us()) / 1000;
                if (left <= 0)
                        break;
                rd_kafka_message_t *m =
                        rd_kafka_consumer_poll(log->rk, left < POLL_MS ? (int)left : POLL_MS);
                if (!m)
                        continue;
                if (m->err) {
                        /* EOF just means "caught up": keep waiting. Transient
                         * broker errors are retried by librdkafka itself. */
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                esc_log(ESC_LOG_DEBUG, "eventlog", "follow: broker error",
                                        "topic=%s partition=%d error=%s", log->topic,
                                        (int)partition, rd_kafka_err2name(m->err));
                        rd_kafka_message_destroy(m);
                        continue;
                }
                if (key_matches(m, key, keylen))
                        rc = deliver(log, m, fn, opaque, NULL);
                rd_kafka_message_destroy(m);
        }
        rd_kafka_assign(log->rk, NULL);
        return rc;
}

int esc_eventlog_incident(esc_eventlog_t *log, const char *incident_id, esc_eventlog_fn fn,
                          void *opaque, esc_eventlog_stats_t *stats, char *errbuf,
                          size_t errbuf_size)
{
        int32_t p = esc_eventlog_partition_of(log, incident_id, errbuf, errbuf_size);

        if (p < 0)
                return -1;
        return esc_eventlog_scan(log, p, RD_KAFKA_OFFSET_BEGINNING, incident_id, fn, opaque, stats,
                                 errbuf, errbuf_size);
}
