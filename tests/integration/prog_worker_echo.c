/* prog_worker_echo.c — the smallest worker on runtime/worker.h, for the
 * SIGTERM drain test (issue 2) and for trying the runtime by hand.
 *
 *   prog_worker_echo produce --topic T [--partitions N] --count C
 *       creates T (N partitions, default 3) if missing, produces C records
 *       keyed k<i>, and waits for every delivery.
 *   prog_worker_echo consume --topic T --group G --out FILE --offsets FILE
 *                            [--delay-ms 20] [--batch-max 20]
 *       appends "partition:offset" per record to --out, slowly (delay per
 *       batch), and keeps its own next offsets in --offsets (rewritten
 *       atomically after every batch) so a second run resumes there —
 *       the way esc's workers own their offsets.
 *   prog_worker_echo mock [--partitions N] --topic T
 *       runs a librdkafka mock cluster with T and prints
 *       "BOOTSTRAP host:port" until SIGTERM (for development without the
 *       dev stack).
 *
 * Common: --brokers LIST (else the config: ESC_KAFKA_BROKERS or
 * $ESC_DEV_DIR/env), --metrics-listen ADDR (sets metrics.listen). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/config.h"
#include "runtime/kafka.h" /* before rdkafka_mock.h, which needs rdkafka.h */
#include <librdkafka/rdkafka_mock.h>
#include "runtime/log.h"
#include "runtime/signals.h"
#include "core/util.h"
#include "runtime/worker.h"

#define ECHO_MAX_PARTITIONS 1024

struct echo {
        const char *out_path;
        const char *offsets_path;
        int delay_ms;
        FILE *out;
        int64_t next[ECHO_MAX_PARTITIONS]; /* -1: unknown */
};

struct args {
        const char *mode, *brokers, *topic, *group, *out, *offsets, *metrics_listen;
        int partitions, count, delay_ms, batch_max;
};

static int usage(void)
{
        fprintf(stderr, "usage: prog_worker_echo produce|consume|mock [options] "
                        "(see the comment at the top of prog_worker_echo.c)\n");
        return 2;
}

static int parse_args(int argc, char **argv, struct args *a)
{
        memset(a, 0, sizeof(*a));
        a->partitions = 3;
        a->delay_ms = 20;
        a->batch_max = 20;
        if (argc < 2)
                return -1;
        a->mode = argv[1];
        for (int i = 2; i < argc; i++) {
                const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (!v)
                        return -1;
                i++;
                if (!strcmp(k, "--brokers"))
                        a->brokers = v;
                else if (!strcmp(k, "--topic"))
                        a->topic = v;
                else if (!strcmp(k, "--group"))
                        a->group = v;
                else if (!strcmp(k, "--out"))
                        a->out = v;
                else if (!strcmp(k, "--offsets"))
                        a->offsets = v;
                else if (!strcmp(k, "--metrics-listen"))
                        a->metrics_listen = v;
                else if (!strcmp(k, "--partitions"))
                        a->partitions = atoi(v);
                else if (!strcmp(k, "--count"))
                        a->count = atoi(v);
                else if (!strcmp(k, "--delay-ms"))
                        a->delay_ms = atoi(v);
                else if (!strcmp(k, "--batch-max"))
                        a->batch_max = atoi(v);
                else
                        return -1;
        }
        if (!a->topic || a->partitions < 1 || a->partitions > ECHO_MAX_PARTITIONS)
                return -1;
        return 0;
}

/* ---- consume ----------------------------------------------------------------- */

static void offsets_load(struct echo *e)
{
        FILE *f = fopen(e->offsets_path, "r");
        int p;
        long long off;

        for (int i = 0; i < ECHO_MAX_PARTITIONS; i++)
                e->next[i] = -1;
        if (!f)
                return;
        while (fscanf(f, "%d %lld", &p, &off) == 2)
                if (p >= 0 && p < ECHO_MAX_PARTITIONS)
                        e->next[p] = off;
        fclose(f);
}

/* Write-then-rename so a reader never sees a half-written file. */
static int offsets_save(struct echo *e)
{
        char tmp[4096];
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.tmp", e->offsets_path);
        if (!(f = fopen(tmp, "w")))
                return -1;
        for (int i = 0; i < ECHO_MAX_PARTITIONS; i++)
                if (e->next[i] >= 0)
                        fprintf(f, "%d %" PRId64 "\n", i, e->next[i]);
        if (fclose(f) != 0)
                return -1;
        return rename(tmp, e->offsets_path);
}

static int echo_assign(esc_worker_t *w, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        struct echo *e = opaque;

        (void)w;
        offsets_load(e);
        for (int i = 0; i < parts->cnt; i++) {
                int32_t p = parts->elems[i].partition;
                parts->elems[i].offset = p < ECHO_MAX_PARTITIONS && e->next[p] >= 0
                                                 ? e->next[p]
                                                 : RD_KAFKA_OFFSET_BEGINNING;
        }
        return 0;
}

static int echo_batch(esc_worker_t *w, rd_kafka_message_t **msgs, size_t cnt,
                      esc_worker_msg_status_t *status, void *opaque)
{
        struct echo *e = opaque;

        (void)w;
        (void)status;
        usleep((useconds_t)e->delay_ms * 1000);
        for (size_t i = 0; i < cnt; i++) {
                fprintf(e->out, "%" PRId32 ":%" PRId64 "\n", msgs[i]->partition, msgs[i]->offset);
                if (msgs[i]->partition < ECHO_MAX_PARTITIONS)
                        e->next[msgs[i]->partition] = msgs[i]->offset + 1;
        }
        if (fflush(e->out) != 0 || offsets_save(e) != 0) {
                esc_log(ESC_LOG_ERROR, "echo", "cannot write output", "errno=%d", errno);
                return -1;
        }
        return 0;
}

static int echo_drain(esc_worker_t *w, void *opaque)
{
        struct echo *e = opaque;

        (void)w;
        esc_log(ESC_LOG_INFO, "echo", "drain hook", NULL);
        return fflush(e->out) == 0 ? 0 : -1;
}

static int run_consume(esc_config_t *conf, const struct args *a)
{
        struct echo e = {.out_path = a->out, .offsets_path = a->offsets, .delay_ms = a->delay_ms};
        esc_worker_ops_t ops = {.name = "echo",
                                .opaque = &e,
                                .on_assign = echo_assign,
                                .on_batch = echo_batch,
                                .on_drain = echo_drain};
        const char *topics[] = {a->topic};
        esc_worker_opts_t opts = {.group = a->group,
                                  .topics = topics,
                                  .topic_cnt = 1,
                                  .batch_max = a->batch_max,
                                  .batch_ms = 50,
                                  .lag_refresh_ms = 500};
        char errbuf[512];
        esc_worker_t *w;
        int rc;

        if (!a->group || !a->out || !a->offsets)
                return usage();
        if (!(e.out = fopen(a->out, "a"))) {
                fprintf(stderr, "prog_worker_echo: cannot open %s: %s\n", a->out, strerror(errno));
                return 1;
        }
        if (!(w = esc_worker_new(conf, &ops, &opts, errbuf, sizeof(errbuf)))) {
                fprintf(stderr, "prog_worker_echo: %s\n", errbuf);
                fclose(e.out);
                return 1;
        }
        rc = esc_worker_run(w);
        if (rc)
                fprintf(stderr, "prog_worker_echo: %s\n", esc_worker_error(w));
        esc_worker_destroy(w);
        fclose(e.out);
        return rc ? 1 : 0;
}

/* ---- produce ------------------------------------------------------------------ */

static int create_topic(rd_kafka_t *rk, const char *topic, int partitions)
{
        rd_kafka_NewTopic_t *nt;
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_event_t *ev;
        char e[256];
        int rc = -1;

        nt = rd_kafka_NewTopic_new(topic, partitions, 1, e, sizeof(e));
        if (!nt) {
                fprintf(stderr, "prog_worker_echo: topic %s: %s\n", topic, e);
                rd_kafka_queue_destroy(q);
                return -1;
        }
        rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
        ev = rd_kafka_queue_poll(q, 30000);
        if (ev) {
                const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
                size_t n = 0;
                const rd_kafka_topic_result_t **tr =
                        res ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
                rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
                if (!err && n == 1)
                        err = rd_kafka_topic_result_error(tr[0]);
                if (!err || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                        rc = 0;
                else
                        fprintf(stderr, "prog_worker_echo: create topic %s: %s\n", topic,
                                rd_kafka_err2str(err));
                rd_kafka_event_destroy(ev);
        } else {
                fprintf(stderr, "prog_worker_echo: create topic %s: timed out\n", topic);
        }
        rd_kafka_NewTopic_destroy(nt);
        rd_kafka_queue_destroy(q);
        return rc;
}

static void count_failures(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        (void)rk;
        if (m->err) {
                (*(int *)opaque)++;
                fprintf(stderr, "prog_worker_echo: delivery failed: %s\n",
                        rd_kafka_err2str(m->err));
        }
}

static int run_produce(esc_config_t *conf, const struct args *a)
{
        static int failures;
        int partitions;
        char errbuf[512], key[32], val[64];
        rd_kafka_t *rk =
                esc_kafka_producer_new(conf, count_failures, &failures, errbuf, sizeof(errbuf));

        if (!rk) {
                fprintf(stderr, "prog_worker_echo: %s\n", errbuf);
                return 1;
        }
        /* Only create what is missing: brokers without the admin API (the
         * mock) already have the topic. */
        if (esc_kafka_partition_count(rk, a->topic, 5000, errbuf, sizeof(errbuf)) <= 0 &&
            create_topic(rk, a->topic, a->partitions) != 0) {
                rd_kafka_destroy(rk);
                return 1;
        }
        for (int i = 0; i < a->count; i++) {
                rd_kafka_resp_err_t err;
                snprintf(key, sizeof(key), "k%d", i);
                snprintf(val, sizeof(val), "record %d", i);
                do {
                        err = rd_kafka_producev(
                                rk, RD_KAFKA_V_TOPIC(a->topic), RD_KAFKA_V_KEY(key, strlen(key)),
                                RD_KAFKA_V_VALUE(val, strlen(val)),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
                        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(rk, 100);
                } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
                if (err) {
                        fprintf(stderr, "prog_worker_echo: produce: %s\n", rd_kafka_err2str(err));
                        rd_kafka_destroy(rk);
                        return 1;
                }
                rd_kafka_poll(rk, 0);
        }
        if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR)
                failures++;
        partitions = esc_kafka_partition_count(rk, a->topic, 5000, errbuf, sizeof(errbuf));
        rd_kafka_destroy(rk);
        if (failures) {
                fprintf(stderr, "prog_worker_echo: %d deliveries failed\n", failures);
                return 1;
        }
        printf("produced %d to %s (%d partitions)\n", a->count, a->topic, partitions);
        return 0;
}

/* ---- mock ---------------------------------------------------------------------- */

static int run_mock(const struct args *a)
{
        rd_kafka_conf_t *rkconf = rd_kafka_conf_new();
        rd_kafka_mock_cluster_t *mc;
        char e[256];
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, rkconf, e, sizeof(e));

        if (!rk) {
                fprintf(stderr, "prog_worker_echo: %s\n", e);
                return 1;
        }
        if (!(mc = rd_kafka_mock_cluster_new(rk, 1))) {
                fprintf(stderr, "prog_worker_echo: cannot start a mock cluster\n");
                rd_kafka_destroy(rk);
                return 1;
        }
        rd_kafka_mock_topic_create(mc, a->topic, a->partitions, 1);
        printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);
        esc_signals_install();
        while (!esc_signals_stop_requested())
                usleep(100 * 1000);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}

int main(int argc, char **argv)
{
        struct args a;
        esc_config_t *conf;
        char errbuf[512];
        int rc;

        if (parse_args(argc, argv, &a) != 0)
                return usage();
        if (!strcmp(a.mode, "mock"))
                return run_mock(&a);
        if (!(conf = esc_config_load(NULL, errbuf, sizeof(errbuf)))) {
                fprintf(stderr, "prog_worker_echo: %s\n", errbuf);
                return 2;
        }
        if (a.brokers)
                esc_config_set(conf, "kafka.bootstrap_servers", a.brokers);
        if (a.metrics_listen)
                esc_config_set(conf, "metrics.listen", a.metrics_listen);
        if (!strcmp(a.mode, "produce"))
                rc = run_produce(conf, &a);
        else if (!strcmp(a.mode, "consume"))
                rc = run_consume(conf, &a);
        else
                rc = usage();
        esc_config_destroy(conf);
        return rc;
}
