/* test_worker_signals.c — SIGTERM and SIGINT only ask to stop: the process
 * survives the signal, the worker loop finishes the batch in hand, runs its
 * drain hook and returns 0 (DESIGN §7). The worker runs against an
 * in-process librdkafka mock cluster; the signal is raised from inside
 * on_batch, i.e. mid-stream. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/kafka.h" /* rdkafka.h before rdkafka_mock.h */
#include <librdkafka/rdkafka_mock.h>

#include "runtime/config.h"
#include "runtime/signals.h"
#include "core/util.h"
#include "runtime/sys.h"
#include "runtime/worker.h"

#define TOPIC "esc.test.signals"
#define RECORDS 200

struct sw {
        int sig; /* signal to raise after the first batch */
        int batches;
        int handled; /* records handed to on_batch */
        int handled_at_signal;
        int drains;
        int64_t deadline_us;
};

static void test_signal_flag_is_set_and_the_process_survives(void **state)
{
        (void)state;
        esc_signals_reset();
        assert_int_equal(esc_signals_install(), 0);
        assert_false(esc_signals_stop_requested());
        raise(SIGTERM);
        assert_true(esc_signals_stop_requested());
        assert_int_equal(esc_signals_last(), SIGTERM);
        esc_signals_reset();
        raise(SIGINT);
        assert_true(esc_signals_stop_requested());
        assert_int_equal(esc_signals_last(), SIGINT);
        esc_signals_reset();
        raise(SIGPIPE); /* ignored: a vanished peer is an error return */
        assert_false(esc_signals_stop_requested());
}

static int sw_batch(esc_worker_t *w, rd_kafka_message_t **msgs, size_t cnt,
                    esc_worker_msg_status_t *status, void *opaque)
{
        struct sw *s = opaque;

        (void)w;
        (void)msgs;
        (void)status;
        s->batches++;
        s->handled += (int)cnt;
        if (s->batches == 1) {
                raise(s->sig);
                s->handled_at_signal = s->handled;
        }
        return 0;
}

static int sw_tick(esc_worker_t *w, void *opaque)
{
        struct sw *s = opaque;

        if (esc_mono_us() > s->deadline_us)
                esc_worker_stop(w); /* never hang ctest; the asserts fail instead */
        return 0;
}

static int sw_drain(esc_worker_t *w, void *opaque)
{
        (void)w;
        ((struct sw *)opaque)->drains++;
        return 0;
}

static void run_until_signal(int sig)
{
        rd_kafka_conf_t *c = rd_kafka_conf_new();
        char e[256];
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof(e)), *prod;
        rd_kafka_mock_cluster_t *mc;
        esc_config_t *conf;
        static const char *topics[] = {TOPIC};
        struct sw s = {.sig = sig, .deadline_us = esc_mono_us() + 60 * ESC_USEC_PER_SEC};
        esc_worker_ops_t ops = {.name = "sig",
                                .opaque = &s,
                                .on_batch = sw_batch,
                                .on_tick = sw_tick,
                                .on_drain = sw_drain};
        esc_worker_opts_t opts = {.group = "g-signals",
                                  .topics = topics,
                                  .topic_cnt = 1,
                                  .batch_max = 10,
                                  .batch_ms = 20,
                                  .tick_ms = 50};
        esc_worker_t *w;

        assert_non_null(rk);
        mc = rd_kafka_mock_cluster_new(rk, 1);
        assert_non_null(mc);
        assert_int_equal(rd_kafka_mock_topic_create(mc, TOPIC, 1, 1), 0);
        c = rd_kafka_conf_new();
        rd_kafka_conf_set(c, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mc), e,
                          sizeof(e));
        prod = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof(e));
        assert_non_null(prod);
        for (int i = 0; i < RECORDS; i++)
                assert_int_equal(
                        rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_VALUE("x", 1),
                                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                        0);
        assert_int_equal(rd_kafka_flush(prod, 10000), 0);
        rd_kafka_destroy(prod);

        conf = esc_config_new_defaults();
        esc_config_set(conf, "kafka.bootstrap_servers", rd_kafka_mock_cluster_bootstraps(mc));
        esc_config_set(conf, "metrics.listen", "");
        esc_signals_reset();
        w = esc_worker_new(conf, &ops, &opts, e, sizeof(e));
        assert_non_null(w);

        assert_int_equal(esc_worker_run(w), 0); /* the signal handlers are the worker's */

        assert_true(esc_signals_stop_requested());
        assert_int_equal(esc_signals_last(), sig);
        assert_int_equal(s.drains, 1);
        /* Stopped mid-stream: the batch in hand finished, nothing more polled. */
        assert_int_equal(s.batches, 1);
        assert_int_equal(s.handled, s.handled_at_signal);
        assert_true(s.handled > 0 && s.handled < RECORDS);
        esc_worker_destroy(w);
        esc_config_destroy(conf);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        esc_signals_reset();
}

static void test_sigterm_mid_stream_drains_and_returns_zero(void **state)
{
        (void)state;
        run_until_signal(SIGTERM);
}

static void test_sigint_mid_stream_drains_and_returns_zero(void **state)
{
        (void)state;
        run_until_signal(SIGINT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_signal_flag_is_set_and_the_process_survives),
                cmocka_unit_test(test_sigterm_mid_stream_drains_and_returns_zero),
                cmocka_unit_test(test_sigint_mid_stream_drains_and_returns_zero),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
