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
#include "core/util.h"
#include "runtime/sys.h"

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

struct setting {
        const char *key;
        const char *value;
};

/* Durability first; linger keeps batching efficient for bulk ingest;
 * murmur2_random places a key as Java's default partitioner does. */
static const struct setting producer_settings[] = {
        {"enable.idempotence", "true"},    {"acks", "all"},
        {"partitioner", "murmur2_random"}, {"linger.ms", "5"},
        {"compression.type", "lz4"},       {NULL, NULL},
};

/* Workers own their offsets: nothing is committed or stored behind them. */
static const struct setting consumer_settings[] = {
        {"auto.offset.reset", "earliest"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {NULL, NULL},
};

/* Builds a client conf: common settings, the role's settings, extra (may be
 * NULL), then kafka.properties.* and the role's own prefix
 * (kafka.producer.* / kafka.consumer.*), so operators override esc. */
static rd_kafka_conf_t *client_conf(const esc_config_t *conf, const struct setting *role,
                                    const struct setting *extra, const char *prefix, char *errbuf,
                                    size_t errbuf_size)
{
        rd_kafka_conf_t *rkconf = rd_kafka_conf_new();
        struct conf_ctx ctx = {rkconf, errbuf, errbuf_size};
        const struct setting common[] = {
                {"bootstrap.servers",
                 esc_config_str(conf, "kafka.bootstrap_servers", "127.0.0.1:9092")},
                {"client.id", "esc"},
                {NULL, NULL},
        };
        const struct setting *lists[] = {common, role, extra};

        for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
                for (const struct setting *st = lists[l]; st && st->key; st++)
                        if (set(rkconf, st->key, st->value, errbuf, errbuf_size))
                                goto err;
        if (esc_config_foreach(conf, "kafka.properties.", pass_through, &ctx) ||
            esc_config_foreach(conf, prefix, pass_through, &ctx))
                goto err;
        rd_kafka_conf_set_log_cb(rkconf, kafka_log_cb);
        return rkconf;
err:
        rd_kafka_conf_destroy(rkconf);
        return NULL;
}

/* rd_kafka_new takes rkconf only on success; on failure it stays ours. */
static rd_kafka_t *client_new(rd_kafka_type_t type, rd_kafka_conf_t *rkconf, char *errbuf,
                              size_t errbuf_size)
{
        char e[512];
        rd_kafka_t *rk = rd_kafka_new(type, rkconf, e, sizeof(e));

        if (!rk) {
                rd_kafka_conf_destroy(rkconf);
                esc_err(errbuf, errbuf_size, "cannot create Kafka %s: %s",
                        type == RD_KAFKA_PRODUCER ? "producer" : "consumer", e);
        }
        return rk;
}

rd_kafka_t *esc_kafka_producer_new(const esc_config_t *conf,
                                   void (*dr_cb)(rd_kafka_t *rk, const rd_kafka_message_t *m,
                                                 void *opaque),
                                   void *opaque, char *errbuf, size_t errbuf_size)
{
        rd_kafka_conf_t *rkconf =
                client_conf(conf, producer_settings, NULL, "kafka.producer.", errbuf, errbuf_size);

        if (!rkconf)
                return NULL;
        if (dr_cb)
                rd_kafka_conf_set_dr_msg_cb(rkconf, dr_cb);
        rd_kafka_conf_set_opaque(rkconf, opaque);
        return client_new(RD_KAFKA_PRODUCER, rkconf, errbuf, errbuf_size);
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
        /* A group id is mandatory for rd_kafka_subscribe and for storing
         * informational commits; assign()-only readers get a throwaway one.
         * Those readers (group NULL) hop from partition to partition, and the
         * broker would hold each fetch of the previous partition for
         * fetch.wait.max.ms (500 ms) before the next one could start. */
        const struct setting extra[] = {
                {"group.id", group ? group : "esc-reader"},
                {group ? NULL : "fetch.wait.max.ms", "10"},
                {NULL, NULL},
        };
        rd_kafka_conf_t *rkconf =
                client_conf(conf, consumer_settings, extra, "kafka.consumer.", errbuf, errbuf_size);
        rd_kafka_t *rk;

        if (!rkconf)
                return NULL;
        if (rebalance_cb)
                rd_kafka_conf_set_rebalance_cb(rkconf, rebalance_cb);
        rd_kafka_conf_set_opaque(rkconf, opaque);
        if (!(rk = client_new(RD_KAFKA_CONSUMER, rkconf, errbuf, errbuf_size)))
                return NULL;
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
                uint32_t k = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                             (uint32_t)data[3] << 24;
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
