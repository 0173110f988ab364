/* prog_codec_produce — interop-test helper: esc's codec on a real broker.
 *
 *   prog_codec_produce --topic T --tag X [--registry URL]
 *       produces one event of every type (FIXTURE_FULL: non-ASCII UTF-8,
 *       every optional set) keyed by incident id X, seq 1..21, framed as
 *       Avro single-object, or Confluent when --registry is given (the
 *       codec registers the schema there). Waits for every delivery.
 *   prog_codec_produce --consume --topic T --tag X --count N
 *       reads the topic from the beginning and decodes, with esc's codec,
 *       every record keyed X (e.g. written by Python/fastavro); prints
 *       "<seq> <type> <actor>" per record; exit 0 once N decoded cleanly,
 *       1 on any decode error or timeout.
 *
 * The broker comes from the usual configuration ($ESC_DEV_DIR/env). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "runtime/config.h"
#include "runtime/kafka.h"
#include "core/util.h"
#include "runtime/registry.h"
#include "runtime/sys.h"
#include "tests/unit/codec_fixtures.h"

static long delivered, failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        (void)rk;
        (void)opaque;
        if (m->err) {
                failed++;
                fprintf(stderr, "prog_codec_produce: delivery failed: %s\n",
                        rd_kafka_err2str(m->err));
        } else {
                delivered++;
        }
}

static int produce(esc_config_t *conf, const char *topic, const char *tag)
{
        char err[512];
        esc_codec_t *codec = esc_codec_new(conf, err, sizeof(err));
        rd_kafka_t *rk;
        esc_buf_t buf;

        if (!codec) {
                fprintf(stderr, "prog_codec_produce: codec: %s\n", err);
                return 1;
        }
        rk = esc_kafka_producer_new(conf, on_delivery, NULL, err, sizeof(err));
        if (!rk) {
                fprintf(stderr, "prog_codec_produce: producer: %s\n", err);
                return 1;
        }
        esc_buf_init(&buf, 0);
        for (int t = 0; t < ESC_EV__COUNT; t++) {
                esc_event_t ev;
                codec_fixture_event(&ev, (esc_event_type_t)t, FIXTURE_FULL);
                free(ev.incident_id);
                ev.incident_id = esc_strdup(tag);
                ev.seq = t + 1;
                esc_buf_reset(&buf);
                esc_codec_err_t rc = esc_codec_encode_event(codec, &ev, &buf, err, sizeof(err));
                esc_event_clear(&ev);
                if (rc) {
                        fprintf(stderr, "prog_codec_produce: encode: %s\n", err);
                        return 1;
                }
                if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(tag, strlen(tag)),
                                      RD_KAFKA_V_VALUE(buf.data, buf.len),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) {
                        fprintf(stderr, "prog_codec_produce: produce failed\n");
                        return 1;
                }
        }
        rd_kafka_flush(rk, 60000);
        rd_kafka_destroy(rk);
        esc_buf_free(&buf);
        esc_codec_destroy(codec);
        printf("produced %ld events of %d types to %s (%s framing)\n", delivered, ESC_EV__COUNT,
               topic, esc_config_get(conf, "schema_registry.url") ? "Confluent" : "single-object");
        return delivered == ESC_EV__COUNT && !failed ? 0 : 1;
}

static int consume(esc_config_t *conf, const char *topic, const char *tag, long count)
{
        char err[512];
        esc_codec_t *codec = esc_codec_new(conf, err, sizeof(err));
        rd_kafka_t *rk = esc_kafka_consumer_new(conf, NULL, err, sizeof(err));
        rd_kafka_topic_partition_list_t *parts;
        long ok = 0;
        int rc = 1;
        int64_t deadline = esc_mono_us() + 60 * ESC_USEC_PER_SEC;

        if (!codec || !rk) {
                fprintf(stderr, "prog_codec_produce: %s\n", err);
                return 1;
        }
        int n = esc_kafka_partition_count(rk, topic, 10000, err, sizeof(err));
        if (n < 1) {
                fprintf(stderr, "prog_codec_produce: %s\n", err);
                return 1;
        }
        parts = rd_kafka_topic_partition_list_new(n);
        for (int p = 0; p < n; p++)
                rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
        while (ok < count && esc_mono_us() < deadline) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
                if (!m)
                        continue;
                if (!m->err && m->key_len == strlen(tag) && !memcmp(m->key, tag, m->key_len)) {
                        esc_event_t ev;
                        esc_event_init(&ev, ESC_EV_ESCALATION_OPENED);
                        if (esc_codec_decode_event(codec, m->payload, m->len, &ev, err,
                                                   sizeof(err))) {
                                fprintf(stderr, "prog_codec_produce: offset %lld: %s\n",
                                        (long long)m->offset, err);
                                rd_kafka_message_destroy(m);
                                goto out;
                        }
                        printf("%lld %s %s\n", (long long)ev.seq, esc_event_type_name(ev.type),
                               ev.actor);
                        esc_event_clear(&ev);
                        ok++;
                }
                rd_kafka_message_destroy(m);
        }
        rc = ok == count ? 0 : 1;
        if (rc)
                fprintf(stderr, "prog_codec_produce: decoded %ld of %ld records keyed %s\n", ok,
                        count, tag);
out:
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        esc_codec_destroy(codec);
        return rc;
}

int main(int argc, char **argv)
{
        const char *topic = NULL, *tag = "interop", *registry = NULL;
        long count = ESC_EV__COUNT;
        int do_consume = 0;
        esc_config_t *conf;
        int rc;

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--consume"))
                        do_consume = 1;
                else if (!strcmp(argv[i], "--topic") && i + 1 < argc)
                        topic = argv[++i];
                else if (!strcmp(argv[i], "--tag") && i + 1 < argc)
                        tag = argv[++i];
                else if (!strcmp(argv[i], "--registry") && i + 1 < argc)
                        registry = argv[++i];
                else if (!strcmp(argv[i], "--count") && i + 1 < argc)
                        count = atol(argv[++i]);
                else {
                        fprintf(stderr, "usage: prog_codec_produce [--consume] --topic T --tag X "
                                        "[--registry URL] [--count N]\n");
                        return 2;
                }
        }
        if (!topic) {
                fprintf(stderr, "prog_codec_produce: --topic is required\n");
                return 2;
        }
        conf = esc_config_new_defaults();
        if (registry)
                esc_config_set(conf, "schema_registry.url", registry);
        rc = do_consume ? consume(conf, topic, tag, count) : produce(conf, topic, tag);
        esc_config_destroy(conf);
        return rc;
}
