/* kafka.h — librdkafka clients configured the way every esc process needs.
 *
 * Producers are durable (enable.idempotence=true, acks=all,
 * partitioner=murmur2_random so Java and C place a key identically);
 * consumers disable auto-commit of stored offsets where the caller owns
 * offsets. kafka.properties.* from the config are passed through verbatim
 * (SASL/SSL), after esc's defaults so an operator can override them. */
#ifndef ESC_KAFKA_H
#define ESC_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "runtime/config.h"

/* A producer with a delivery-report callback (may be NULL). The caller owns
 * the handle (rd_kafka_destroy after rd_kafka_flush). */
rd_kafka_t *esc_kafka_producer_new(const esc_config_t *conf,
                                   void (*dr_cb)(rd_kafka_t *rk, const rd_kafka_message_t *m,
                                                 void *opaque),
                                   void *opaque, char *errbuf, size_t errbuf_size);

/* A consumer in `group` (NULL: no group, for assign()-only readers such as
 * timeline). auto.offset.reset=earliest, enable.auto.commit=false. */
rd_kafka_t *esc_kafka_consumer_new(const esc_config_t *conf, const char *group, char *errbuf,
                                   size_t errbuf_size);
/* Same, with a rebalance callback and handle opaque (librdkafka accepts
 * them only before the handle exists). The callback then owns assignment:
 * it must call rd_kafka_assign()/rd_kafka_incremental_assign(). */
rd_kafka_t *esc_kafka_consumer_new_rebalance(
        const esc_config_t *conf, const char *group,
        void (*rebalance_cb)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *partitions, void *opaque),
        void *opaque, char *errbuf, size_t errbuf_size);

/* The partition a key maps to under murmur2_random (Java's default), for
 * readers that need "the partition of this incident" without producing. */
int32_t esc_kafka_partition_for_key(const char *key, size_t keylen, int32_t partition_cnt);

/* Number of partitions of a topic (metadata request), or -1 with errbuf. */
int esc_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *errbuf,
                              size_t errbuf_size);

#endif
