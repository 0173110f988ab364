/* kafka.c — librdkafka clients with esc's durability defaults.
 *
 * One place decides how esc talks to Kafka so no worker can forget
 * idempotence or pick a partitioner that disagrees with Java clients
 * (co-partitioning of esc.commands and esc.events depends on it). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/kafka.h"
#include "runtime/log.h"
#include "runtime/util.h"

struct conf_ctx {
        rd_kafka_conf_t *rkconf;
        char *errbuf;
        size_t errbuf_size;
};

static int set(rd_kafka_conf_t *rkconf, const char *k, const char *v, char *errbuf,
               size_t errbuf_size)
{
        char e[256];

        if (rd_kafka_conf_set(rkconf, k, v, e, sizeof(e)) != RD_KAFKA_CONF_OK)
                return esc_err(errbuf, errbuf_size, "kafka property %s: %s", k, e);
        return 0;
}

static int pass_through(const char *subkey, const char *value, void *opaque)
{
        struct conf_ctx *ctx = opaque;
        return set(ctx->rkconf, subkey, value, ctx->errbuf, ctx->errbuf_size);
}

/* librdkafka's own log lines ("%3|...|FAIL|... Connection refused") would
 * interleave with esc's one-line errors and logfmt. Its connection trouble is
 * retried internally and surfaces through esc's own errors (delivery
 * reports, poll errors, metadata timeouts), so it is logged at debug level
 * (ESC_LOG_LEVEL=debug shows it), critical conditions at error. Runs on
 * librdkafka's threads; esc_log is thread-safe. */
static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
        char q[512];

        esc_log(level <= 2 ? ESC_LOG_ERROR : ESC_LOG_DEBUG, "kafka", fac, "client=%s detail=%s",
                rd_kafka_name(rk), esc_log_quote(buf, q, sizeof(q)));
}

/* Common settings, then kafka.properties.* so operators can override. */
static rd_kafka_conf_t *base_conf(const esc_config_t *conf, char *errbuf, size_t errbuf_size)
{
        rd_kafka_conf_t *rkconf = rd_kafka_conf_new();
        struct conf_ctx ctx = {rkconf, errbuf, errbuf_size};

        if (set(rkconf, "bootstrap.servers",
                esc_config_str(conf, "kafka.bootstrap_servers", "127.0.0.1:9092"), errbuf,
                errbuf_size) ||
            set(rkconf, "client.id", "esc", errbuf, errbuf_size) ||
            esc_config_foreach(conf, "kafka.properties.", pass_through, &ctx)) {
                rd_kafka_conf_destroy(rkconf);
                return NULL;
        }
        rd_kafka_conf_set_log_cb(rkconf, kafka_log_cb);
        return rkconf;
}

rd_kafka_t *esc_kafka_producer_new(const esc_config_t *conf,
                                   void (*dr_cb)(rd_kafka_t *rk, const rd_kafka_message_t *m,
                                                 void *opaque),
                                   void *opaque, char *errbuf, size_t errbuf_size)
{
        rd_kafka_conf_t *rkconf;
        char e[512];
        rd_kafka_t *rk;

        if (!(rkconf = base_conf(conf, errbuf, errbuf_size)))
                return NULL;
        struct conf_ctx ctx = {rkconf, errbuf, errbuf_size};
        /* Durability first; linger keeps batching efficient for bulk ingest. */
        if (set(rkconf, "enable.idempotence", "true", errbuf, errbuf_size) ||
            set(rkconf, "acks", "all", errbuf, errbuf_size) ||
            set(rkconf, "partitioner", "murmur2_random", errbuf, errbuf_size) ||
            set(rkconf, "linger.ms", "5", errbuf, errbuf_size) ||
            set(rkconf, "compression.type", "lz4", errbuf, errbuf_size) ||
            esc_config_foreach(conf, "kafka.producer.", pass_through, &ctx)) {
                rd_kafka_conf_destroy(rkconf);
                return NULL;
        }
        if (dr_cb)
                rd_kafka_conf_set_dr_msg_cb(rkconf, dr_cb);
        rd_kafka_conf_set_opaque(rkconf, opaque);
        if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, rkconf, e, sizeof(e)))) {
                esc_err(errbuf, errbuf_size, "cannot create Kafka producer: %s", e);
                return NULL; /* rd_kafka_new destroys rkconf only on success */
        }
        return rk;
}

/* librdkafka takes a rebalance callback only on the conf, before the handle
 * exists, so the worker runtime needs this variant to choose its own start
 * offsets on assignment (runtime/worker.c). */
rd_kafka_t *esc_kafka_consumer_new_rebalance(
        const esc_config_t *conf, const char *group,
        void (*rebalance_cb)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *partitions, void *opaque),
        void *opaque, char *errbuf, size_t errbuf_size)
{
        rd_kafka_conf_t *rkconf;
        char e[512];
        rd_kafka_t *rk;

        if (!(rkconf = base_conf(conf, errbuf, errbuf_size)))
                return NULL;
        struct conf_ctx ctx = {rkconf, errbuf, errbuf_size};
        /* A group id is mandatory for rd_kafka_subscribe and for storing
         * informational commits; assign()-only readers get a throwaway one. */
        if (set(rkconf, "group.id", group ? group : "esc-reader", errbuf, errbuf_size) ||
            set(rkconf, "auto.offset.reset", "earliest", errbuf, errbuf_size) ||
            set(rkconf, "enable.auto.commit", "false", errbuf, errbuf_size) ||
            set(rkconf, "enable.auto.offset.store", "false", errbuf, errbuf_size) ||
            set(rkconf, "enable.partition.eof", "true", errbuf, errbuf_size) ||
            esc_config_foreach(conf, "kafka.consumer.", pass_through, &ctx)) {
                rd_kafka_conf_destroy(rkconf);
                return NULL;
        }
        /* Assign-only readers (group NULL) hop from partition to partition;
         * the broker would hold each fetch of the previous partition for
         * fetch.wait.max.ms (500 ms) before the next one can start. */
        if (!group && set(rkconf, "fetch.wait.max.ms", "10", errbuf, errbuf_size)) {
                rd_kafka_conf_destroy(rkconf);
                return NULL;
        }
        if (rebalance_cb)
                rd_kafka_conf_set_rebalance_cb(rkconf, rebalance_cb);
        rd_kafka_conf_set_opaque(rkconf, opaque);
        if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, rkconf, e, sizeof(e)))) {
                esc_err(errbuf, errbuf_size, "cannot create Kafka consumer: %s", e);
                return NULL;
        }
        rd_kafka_poll_set_consumer(rk);
        return rk;
}

rd_kafka_t *esc_kafka_consumer_new(const esc_config_t *conf, const char *group, char *errbuf,
                                   size_t errbuf_size)
{
        return esc_kafka_consumer_new_rebalance(conf, group, NULL, NULL, errbuf, errbuf_size);
}

/* Kafka's murmur2 (the Java client's Utils.murmur2), as used by
 * DefaultPartitioner: (murmur2(key) & 0x7fffffff) % partitions. */
static uint32_t murmur2(const void *key, size_t len)
{
        const uint32_t seed = 0x9747b28c, m = 0x5bd1e995;
        const int r = 24;
        uint32_t h = seed ^ (uint32_t)len;
        const unsigned char *data = key;

        while (len >= 4) {
                uint32_t k = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
                             (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
                k *= m;
                k ^= k >> r;
                k *= m;
                h *= m;
                h ^= k;
                data += 4;
                len -= 4;
        }
        switch (len) {
        case 3:
                h ^= (uint32_t)data[2] << 16;
                /* fall through */
        case 2:
                h ^= (uint32_t)data[1] << 8;
                /* fall through */
        case 1:
                h ^= data[0];
                h *= m;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return h;
}

int32_t esc_kafka_partition_for_key(const char *key, size_t keylen, int32_t partition_cnt)
{
        if (partition_cnt <= 0)
                return -1;
        return (int32_t)((murmur2(key, keylen) & 0x7fffffff) % (uint32_t)partition_cnt);
}

int esc_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *errbuf,
                              size_t errbuf_size)
{
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        int64_t deadline = esc_mono_us() + (int64_t)timeout_ms * 1000;
        int n = -1;

        /* A topic created moments ago (compose's topic-init, a test, a bench)
         * may not be in every broker's metadata yet: retry "unknown topic"
         * until the deadline instead of failing a worker's start. */
        for (;;) {
                const struct rd_kafka_metadata *md = NULL;
                int left = (int)((deadline - esc_mono_us()) / 1000);
                rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, left > 0 ? left : 1);
                bool retry = false;

                if (err) {
                        esc_err(errbuf, errbuf_size,
                                "metadata for topic %s: %s (is the broker in "
                                "kafka.bootstrap_servers running? for the dev stack run 'esc "
                                "dev up')",
                                topic, rd_kafka_err2str(err));
                } else if (md->topic_cnt != 1 || md->topics[0].err) {
                        rd_kafka_resp_err_t terr =
                                md->topic_cnt ? md->topics[0].err
                                              : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
                        esc_err(errbuf, errbuf_size,
                                "topic %s: %s (is the dev stack up? run 'esc dev up')", topic,
                                rd_kafka_err2str(terr));
                        retry = terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                                terr == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
                } else {
                        n = md->topics[0].partition_cnt;
                }
                if (md)
                        rd_kafka_metadata_destroy(md);
                if (!retry || esc_mono_us() + 200000 > deadline)
                        break;
                usleep(200000);
        }
        rd_kafka_topic_destroy(rkt);
        return n;
}
