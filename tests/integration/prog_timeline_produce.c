/* prog_timeline_produce.c — writes the scripted incident of
 * tests/data/timeline/scripted.h straight to <prefix>events (Avro, keyed
 * by incident id, murmur2 partitioning like the ledger), standing in for
 * the ledger in the timeline and override-audit integration tests.
 *
 *   prog_timeline_produce --incident ID [--account A] [--noise N]
 *                         [--noise-after K] [--noise-body BYTES]
 *
 * --account replaces the scripted account id (to test `esc audit overrides
 * --account`); --noise N writes N events of other incidents ("noise-<i>",
 * 50 of them) so the reader has to skip foreign keys in the partition:
 * before the incident's events, or after its K-th event with
 * --noise-after K. --noise-body makes each noise event an external update
 * of that many bytes (to push a mock broker past its per-partition cap).
 * The topics are created with the dev stack's settings if missing
 * (retention.ms=-1 on events). Broker and prefix come from the usual
 * configuration (ESC_KAFKA_BROKERS, ESC_TOPIC_PREFIX, $ESC_DEV_DIR/env).
 * Prints "produced N" once every delivery is acknowledged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devstack/devstack.h"
#include "core/codec.h"
#include "runtime/config.h"
#include "runtime/kafka.h"
#include "runtime/registry.h"
#include "tests/data/timeline/scripted.h"

static int failures;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        (void)rk;
        (void)opaque;
        if (m->err) {
                failures++;
                fprintf(stderr, "prog_timeline_produce: delivery failed: %s\n",
                        rd_kafka_err2str(m->err));
        }
}

static int produce(rd_kafka_t *rk, esc_codec_t *codec, const char *topic, esc_event_t *ev)
{
        esc_buf_t b;
        char err[512];
        rd_kafka_resp_err_t e;

        esc_buf_init(&b, 0);
        if (esc_codec_encode_event(codec, ev, &b, err, sizeof(err))) {
                fprintf(stderr, "prog_timeline_produce: encode seq %lld: %s\n", (long long)ev->seq,
                        err);
                esc_buf_free(&b);
                return -1;
        }
        do {
                e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                      RD_KAFKA_V_KEY(ev->incident_id, strlen(ev->incident_id)),
                                      RD_KAFKA_V_VALUE(b.data, b.len),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
                if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(rk, 100);
        } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        esc_buf_free(&b);
        if (e) {
                fprintf(stderr, "prog_timeline_produce: produce: %s\n", rd_kafka_err2str(e));
                return -1;
        }
        rd_kafka_poll(rk, 0);
        return 0;
}

/* Returns the number of noise events produced, or -1. */
static int produce_noise(rd_kafka_t *rk, esc_codec_t *codec, const char *topic, long noise,
                         long body)
{
        char *text = NULL;
        int n = 0;

        if (body > 0) {
                text = esc_xmalloc((size_t)body + 1);
                /* Incompressible text: the producer compresses (lz4) and
                 * the mock counts stored, i.e. compressed, bytes. */
                uint32_t x = 2463534242u;
                for (long i = 0; i < body; i++) {
                        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                        text[i] = (char)('a' + x % 26);
                }
                text[body] = '\0';
        }
        for (long i = 0; i < noise; i++) {
                char other[64];
                esc_event_t ev;
                snprintf(other, sizeof(other), "noise-%ld", i % 50);
                tl_scripted_event(&ev, other, text ? 7 : i / 50 + 1);
                if (text) {
                        ev.seq = i / 50 + 1;
                        free(ev.p.update_posted.body);
                        ev.p.update_posted.body = esc_strdup(text);
                }
                int r = produce(rk, codec, topic, &ev);
                esc_event_clear(&ev);
                if (r) {
                        free(text);
                        return -1;
                }
                n++;
                if (n % 1000 == 0)
                        rd_kafka_flush(rk, 30000); /* bounded memory for big bodies */
        }
        free(text);
        return n;
}

int main(int argc, char **argv)
{
        const char *inc = NULL, *account = NULL;
        long noise = 0, noise_after = 0, noise_body = 0;
        char err[1024], topic[256];
        int n = 0;

        for (int i = 1; i + 1 < argc; i += 2) {
                if (!strcmp(argv[i], "--incident"))
                        inc = argv[i + 1];
                else if (!strcmp(argv[i], "--account"))
                        account = argv[i + 1];
                else if (!strcmp(argv[i], "--noise"))
                        noise = strtol(argv[i + 1], NULL, 10);
                else if (!strcmp(argv[i], "--noise-after"))
                        noise_after = strtol(argv[i + 1], NULL, 10);
                else if (!strcmp(argv[i], "--noise-body"))
                        noise_body = strtol(argv[i + 1], NULL, 10);
        }
        if (!inc) {
                fprintf(stderr, "usage: prog_timeline_produce --incident ID [--account A] "
                                "[--noise N]\n");
                return 2;
        }
        esc_config_t *conf = esc_config_load(NULL, err, sizeof(err));
        if (!conf) {
                fprintf(stderr, "prog_timeline_produce: %s\n", err);
                return 1;
        }
        const char *brokers = esc_config_str(conf, "kafka.bootstrap_servers", "");
        /* librdkafka's mock cluster answers no CreateTopics but creates
         * topics on first use; a real broker gets them with the dev stack's
         * settings. A topic that is truly missing fails the produce below. */
        if (strcmp(esc_config_str(conf, "dev.broker", ""), "mock") &&
            esc_dev_kafka_create_topics(conf, brokers, 15000, err, sizeof(err)))
                fprintf(stderr, "prog_timeline_produce: warning: creating topics on %s: %s\n",
                        brokers, err);
        esc_config_topic(conf, "events", topic, sizeof(topic));
        esc_codec_t *codec = esc_codec_new(conf, err, sizeof(err));
        rd_kafka_t *rk =
                codec ? esc_kafka_producer_new(conf, on_delivery, NULL, err, sizeof(err)) : NULL;
        if (!rk) {
                fprintf(stderr, "prog_timeline_produce: %s\n", err);
                return 1;
        }
        if (noise_body < 0 || noise_body > ESC_MAX_TEXT)
                noise_body = ESC_MAX_TEXT;
        for (int64_t s = 1; s <= TL_NEVENTS; s++) {
                esc_event_t ev;
                if (s == noise_after + 1) {
                        int r = produce_noise(rk, codec, topic, noise, noise_body);
                        if (r < 0)
                                return 1;
                        n += r;
                }
                tl_scripted_event(&ev, inc, s);
                if (account && ev.type == ESC_EV_ESCALATION_OPENED) {
                        free(ev.p.opened.account.id);
                        ev.p.opened.account.id = esc_strdup(account);
                }
                if (produce(rk, codec, topic, &ev) == 0)
                        n++;
                esc_event_clear(&ev);
        }
        rd_kafka_flush(rk, 30000);
        int left = rd_kafka_outq_len(rk);
        rd_kafka_destroy(rk);
        esc_codec_destroy(codec);
        esc_config_destroy(conf);
        if (failures || left) {
                fprintf(stderr, "prog_timeline_produce: %d deliveries failed, %d unsent\n",
                        failures, left);
                return 1;
        }
        printf("produced %d to %s\n", n, topic);
        return 0;
}
