/* prog_kafka_produce — integration-test helper: produce N records to a topic
 * through esc's durable producer (runtime/kafka.h) and wait for every
 * delivery report.
 *
 *   prog_kafka_produce --topic esc.events --count 100 --tag run42 [--timeout-ms 60000]
 *
 * Record i has key "<tag>-k<i>" and value "<tag>-<i>", so a consumer in
 * another process can check exactly which records arrived. The broker
 * comes from the usual configuration ($ESC_DEV_DIR/env written by
 * `esc dev up`). Exit 0 only if all N were acknowledged (acks=all). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/config.h"
#include "runtime/kafka.h"
#include "runtime/util.h"

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
        long count = 10, timeout_ms = 60000;
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
                else {
                        fprintf(stderr, "prog_kafka_produce: unknown option %s\n", argv[i]);
                        return 2;
                }
        }
        if (count < 1 || count > 10000000) {
                fprintf(stderr, "prog_kafka_produce: --count must be 1..10000000\n");
                return 2;
        }
        conf = esc_config_load(NULL, errbuf, sizeof(errbuf));
        if (!conf) {
                fprintf(stderr, "prog_kafka_produce: %s\n", errbuf);
                return 1;
        }
        rk = esc_kafka_producer_new(conf, on_delivery, &c, errbuf, sizeof(errbuf));
        if (!rk) {
                fprintf(stderr, "prog_kafka_produce: %s\n", errbuf);
                esc_config_destroy(conf);
                return 1;
        }
        for (long i = 0; i < count; i++) {
                char key[128], val[128];
                int kl = snprintf(key, sizeof(key), "%s-k%ld", tag, i);
                int vl = snprintf(val, sizeof(val), "%s-%ld", tag, i);
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
        return c.ok == count ? 0 : 1;
}
