/* prog_kafka_produce — integration-test helper: produce N records to a topic
 * through esc's durable producer (runtime/kafka.h) and wait for every
 * delivery report.
 *
 *   prog_kafka_produce --topic esc.events --count 100 --tag run42 [--timeout-ms 60000]
 *                      [--value-size BYTES] [--key SAME_KEY]
 *
 * Record i has key "<tag>-k<i>" (or --key for all, to fill one partition)
 * and value "<tag>-<i>", padded as "<tag>-<i>:<random letters>" to --value-size, so a consumer in
 * another process can check exactly which records arrived. The broker
 * comes from the usual configuration ($ESC_DEV_DIR/env written by
 * `esc dev up`). Exit 0 only if all N were acknowledged (acks=all). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/config.h"
#include "runtime/kafka.h"
#include "core/util.h"

struct dr_counts {
        long ok;
        long failed;
        char last_error[256];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        struct dr_counts *c = opaque;
        (void)rk;
        if (m->err) {
                c->failed++;
                snprintf(c->last_error, sizeof(c->last_error), "%s", rd_kafka_err2str(m->err));
        } else {
                c->ok++;
        }
}

int main(int argc, char **argv)
{
        const char *topic = "esc.events", *tag = "t";
        const char *fixed_key = NULL;
        long count = 10, timeout_ms = 60000, value_size = 0;
        char *val;
        unsigned long long rnd = 42;
        struct dr_counts c = {0};
        char errbuf[512];
        esc_config_t *conf;
        rd_kafka_t *rk;

        for (int i = 1; i + 1 < argc; i += 2) {
                if (!strcmp(argv[i], "--topic"))
                        topic = argv[i + 1];
                else if (!strcmp(argv[i], "--count"))
                        count = atol(argv[i + 1]);
                else if (!strcmp(argv[i], "--tag"))
                        tag = argv[i + 1];
                else if (!strcmp(argv[i], "--timeout-ms"))
                        timeout_ms = atol(argv[i + 1]);
                else if (!strcmp(argv[i], "--value-size"))
                        value_size = atol(argv[i + 1]);
                else if (!strcmp(argv[i], "--key"))
                        fixed_key = argv[i + 1];
                else {
                        fprintf(stderr, "prog_kafka_produce: unknown option %s\n", argv[i]);
                        return 2;
                }
        }
        if (count < 1 || count > 10000000) {
                fprintf(stderr, "prog_kafka_produce: --count must be 1..10000000\n");
                return 2;
        }
        if (value_size < 0 || value_size > 512 * 1024) {
                fprintf(stderr, "prog_kafka_produce: --value-size must be 0..524288\n");
                return 2;
        }
        val = esc_xmalloc((size_t)value_size + 128);
        conf = esc_config_load(NULL, errbuf, sizeof(errbuf));
        if (!conf) {
                fprintf(stderr, "prog_kafka_produce: %s\n", errbuf);
                free(val);
                return 1;
        }
        rk = esc_kafka_producer_new(conf, on_delivery, &c, errbuf, sizeof(errbuf));
        if (!rk) {
                fprintf(stderr, "prog_kafka_produce: %s\n", errbuf);
                esc_config_destroy(conf);
                free(val);
                return 1;
        }
        for (long i = 0; i < count; i++) {
                char key[128];
                int kl = fixed_key ? snprintf(key, sizeof(key), "%s", fixed_key)
                                   : snprintf(key, sizeof(key), "%s-k%ld", tag, i);
                int vl = snprintf(val, 128, "%s-%ld", tag, i);
                if (vl < value_size) {
                        /* Pseudo-random letters: the producer compresses, and
                         * a test that fills a partition needs real bytes. */
                        static const char abc[] = "abcdefghijklmnopqrstuvwxyz"
                                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
                        val[vl] = ':';
                        for (long j = vl + 1; j < value_size; j++) {
                                rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
                                val[j] = abc[(rnd >> 33) % (sizeof(abc) - 1)];
                        }
                        vl = (int)value_size;
                }
                rd_kafka_resp_err_t err;
                while ((err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                                RD_KAFKA_V_KEY(key, (size_t)kl),
                                                RD_KAFKA_V_VALUE(val, (size_t)vl),
                                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(rk, 100);
                if (err) {
                        fprintf(stderr, "prog_kafka_produce: produce to %s: %s\n", topic,
                                rd_kafka_err2str(err));
                        rd_kafka_destroy(rk);
                        esc_config_destroy(conf);
                        free(val);
                        return 1;
                }
                rd_kafka_poll(rk, 0);
        }
        rd_kafka_flush(rk, (int)timeout_ms);
        rd_kafka_poll(rk, 0);
        printf("delivered %ld failed %ld of %ld to %s\n", c.ok, c.failed, count, topic);
        if (c.failed)
                fprintf(stderr, "prog_kafka_produce: last delivery error: %s\n", c.last_error);
        if (rd_kafka_outq_len(rk) > 0)
                fprintf(stderr, "prog_kafka_produce: %d records still in flight after %ld ms\n",
                        rd_kafka_outq_len(rk), timeout_ms);
        rd_kafka_destroy(rk);
        esc_config_destroy(conf);
        free(val);
        return c.ok == count ? 0 : 1;
}
