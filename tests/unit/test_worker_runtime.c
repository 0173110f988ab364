/* test_worker_runtime.c — the worker runtime against librdkafka's mock
 * cluster, in-process: start offsets chosen by the worker, no record
 * skipped or handled twice across retries, an unrecoverable failure stops
 * only its partition and turns /healthz red, ticks while idle, drain on
 * stop, metrics (processed, lag). Each test gets its own mock cluster; the
 * mock's group join takes about 3 s, so each test takes a few seconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/kafka.h" /* rdkafka.h before rdkafka_mock.h */
#include <librdkafka/rdkafka_mock.h>

#include "runtime/config.h"
#include "runtime/metrics.h"
#include "core/util.h"
#include "runtime/sys.h"
#include "runtime/worker.h"

#define PARTS 3
#define PER_PART 20
#define TOPIC "esc.test.worker"

struct mock {
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;
        esc_config_t *conf;
};

/* What the test worker saw and what it should do. */
struct tw {
        int64_t start[PARTS];           /* on_assign offsets (-1: leave to runtime) */
        int delivered[PARTS][PER_PART]; /* every hand-over */
        int done[PARTS][PER_PART];      /* handed over and reported DONE */
        int64_t last_done[PARTS];       /* for the no-skip check */
        int skips;                      /* DONE offset != last_done + 1 */
        int total_done;
        int target; /* stop once this many are DONE */
        /* Failure injection: at (fail_p, fail_o) report fail_status
         * fail_times times. */
        int fail_p;
        int64_t fail_o;
        esc_worker_msg_status_t fail_status;
        int fail_times;
        bool batch_fatal;       /* on_batch returns -1 */
        bool wait_for_zero_lag; /* stop only when lag gauges read 0 */
        int stop_after_ticks;   /* stop after this many ticks past the
                                 * target (0: off) */
        int ticks_after_target;
        bool failed_seen;    /* fail_status was reported once */
        double paused_seen;  /* paused gauge sampled after that */
        int64_t deadline_us; /* give up (the asserts then fail) */
        int assigns, revokes, drains, ticks;
        bool healthy_while_failed; /* sampled in on_tick */
        bool sampled_health;
};

static void mock_start(struct mock *m, int per_part)
{
        rd_kafka_conf_t *c = rd_kafka_conf_new();
        char e[256];
        rd_kafka_t *prod;

        m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof(e));
        assert_non_null(m->rk);
        m->mc = rd_kafka_mock_cluster_new(m->rk, 1);
        assert_non_null(m->mc);
        assert_int_equal(rd_kafka_mock_topic_create(m->mc, TOPIC, PARTS, 1), 0);

        c = rd_kafka_conf_new();
        assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers",
                                           rd_kafka_mock_cluster_bootstraps(m->mc), e, sizeof(e)),
                         RD_KAFKA_CONF_OK);
        prod = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof(e));
        assert_non_null(prod);
        for (int p = 0; p < PARTS; p++) {
                for (int i = 0; i < per_part; i++) {
                        char v[32];
                        snprintf(v, sizeof(v), "p%d-%d", p, i);
                        assert_int_equal(rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(TOPIC),
                                                           RD_KAFKA_V_PARTITION(p),
                                                           RD_KAFKA_V_VALUE(v, strlen(v)),
                                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                           RD_KAFKA_V_END),
                                         0);
                }
        }
        assert_int_equal(rd_kafka_flush(prod, 10000), 0);
        rd_kafka_destroy(prod);

        m->conf = esc_config_new_defaults();
        esc_config_set(m->conf, "kafka.bootstrap_servers", rd_kafka_mock_cluster_bootstraps(m->mc));
        esc_config_set(m->conf, "metrics.listen", "");
}

static void mock_stop(struct mock *m)
{
        esc_config_destroy(m->conf);
        rd_kafka_mock_cluster_destroy(m->mc);
        rd_kafka_destroy(m->rk);
}

static void tw_init(struct tw *t)
{
        memset(t, 0, sizeof(*t));
        for (int p = 0; p < PARTS; p++) {
                t->start[p] = -1;
                t->last_done[p] = -1;
        }
        t->fail_p = -1;
        t->target = PARTS * PER_PART;
        t->deadline_us = esc_mono_us() + 60 * ESC_USEC_PER_SEC;
}

static double lag_of(esc_worker_t *w, int p)
{
        char labels[128], pb[8];
        esc_metric_t *lag = esc_metrics_gauge(esc_worker_metrics(w), "esc_t_lag", NULL);

        snprintf(pb, sizeof(pb), "%d", p);
        esc_metrics_labels(labels, sizeof(labels), "topic", TOPIC, "partition", pb, NULL);
        return esc_metric_value(lag, labels);
}

static bool all_lag_zero_and_known(esc_worker_t *w)
{
        esc_buf_t b;
        bool ok = true;

        /* "Known" means the series exists in the exposition. */
        esc_buf_init(&b, 1 << 20);
        assert_int_equal(esc_metrics_render(esc_worker_metrics(w), &b), 0);
        for (int p = 0; p < PARTS && ok; p++) {
                char needle[128];
                snprintf(needle, sizeof(needle),
                         "esc_t_lag{topic=\"" TOPIC "\",partition=\"%d\"} 0\n", p);
                ok = strstr(b.data, needle) != NULL && lag_of(w, p) == 0;
        }
        esc_buf_free(&b);
        return ok;
}

static int tw_assign(esc_worker_t *w, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        struct tw *t = opaque;

        (void)w;
        t->assigns++;
        for (int i = 0; i < parts->cnt; i++) {
                int32_t p = parts->elems[i].partition;
                if (t->start[p] >= 0) {
                        parts->elems[i].offset = t->start[p];
                        t->last_done[p] = t->start[p] - 1;
                } else {
                        parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
                }
        }
        return 0;
}

static void tw_revoke(esc_worker_t *w, const rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        (void)w;
        (void)parts;
        ((struct tw *)opaque)->revokes++;
}

static int tw_batch(esc_worker_t *w, rd_kafka_message_t **msgs, size_t cnt,
                    esc_worker_msg_status_t *status, void *opaque)
{
        struct tw *t = opaque;
        bool halted[PARTS] = {false};

        if (t->batch_fatal)
                return -1;
        for (size_t i = 0; i < cnt; i++) {
                int p = msgs[i]->partition;
                int64_t o = msgs[i]->offset;

                assert_true(p >= 0 && p < PARTS && o >= 0 && o < PER_PART);
                t->delivered[p][o]++;
                /* Like a real worker: once a partition failed in this batch,
                 * its later records are not attempted either. */
                if (halted[p]) {
                        status[i] = ESC_WORKER_MSG_RETRY;
                        continue;
                }
                if (p == t->fail_p && o == t->fail_o && t->fail_times > 0) {
                        t->fail_times--;
                        t->failed_seen = true;
                        status[i] = t->fail_status;
                        halted[p] = true;
                        continue;
                }
                if (o != t->last_done[p] + 1)
                        t->skips++;
                t->last_done[p] = o;
                t->done[p][o]++;
                t->total_done++;
        }
        if (t->total_done >= t->target && !t->wait_for_zero_lag && !t->stop_after_ticks)
                esc_worker_stop(w);
        return 0;
}

static int tw_tick(esc_worker_t *w, void *opaque)
{
        struct tw *t = opaque;

        t->ticks++;
        if (esc_mono_us() > t->deadline_us)
                esc_worker_stop(w); /* a hung runtime fails the asserts, not ctest */
        if (t->total_done >= t->target)
                t->ticks_after_target++;
        /* Ticks run after the batch's statuses were applied. */
        if (t->fail_status == ESC_WORKER_MSG_FAIL && t->failed_seen) {
                t->healthy_while_failed = esc_worker_is_healthy(w);
                t->sampled_health = true;
                t->paused_seen = esc_metric_value(
                        esc_metrics_gauge(esc_worker_metrics(w), "esc_t_paused_partitions", NULL),
                        NULL);
        }
        if (t->wait_for_zero_lag && t->total_done >= t->target && all_lag_zero_and_known(w))
                esc_worker_stop(w);
        if (t->stop_after_ticks && t->ticks_after_target >= t->stop_after_ticks)
                esc_worker_stop(w);
        return 0;
}

static int tw_drain(esc_worker_t *w, void *opaque)
{
        (void)w;
        ((struct tw *)opaque)->drains++;
        return 0;
}

static esc_worker_t *tw_worker(struct mock *m, struct tw *t, const char *group, int tick_ms)
{
        static const char *topics[] = {TOPIC};
        esc_worker_ops_t ops = {.name = "t",
                                .opaque = t,
                                .on_assign = tw_assign,
                                .on_revoke = tw_revoke,
                                .on_batch = tw_batch,
                                .on_tick = tw_tick,
                                .on_drain = tw_drain};
        esc_worker_opts_t opts = {.group = group,
                                  .topics = topics,
                                  .topic_cnt = 1,
                                  .batch_max = 7,
                                  .batch_ms = 20,
                                  .tick_ms = tick_ms,
                                  .lag_refresh_ms = 50,
                                  .retry_min_ms = 20,
                                  .retry_max_ms = 40,
                                  .no_signals = true};
        char errbuf[256];
        esc_worker_t *w = esc_worker_new(m->conf, &ops, &opts, errbuf, sizeof(errbuf));

        if (!w)
                fail_msg("esc_worker_new: %s", errbuf);
        return w;
}

static double counter(esc_worker_t *w, const char *name)
{
        return esc_metric_value(esc_metrics_counter(esc_worker_metrics(w), name, NULL), NULL);
}

static void test_worker_starts_where_on_assign_says_and_hands_each_record_once(void **state)
{
        struct mock m;
        struct tw t;
        esc_worker_t *w;

        (void)state;
        mock_start(&m, PER_PART);
        tw_init(&t);
        t.start[1] = 5; /* the worker's own resume point for partition 1 */
        t.target = PARTS * PER_PART - 5;
        t.wait_for_zero_lag = true;
        w = tw_worker(&m, &t, "g-start", 25);

        assert_int_equal(esc_worker_run(w), 0);

        for (int p = 0; p < PARTS; p++)
                for (int o = 0; o < PER_PART; o++)
                        assert_int_equal(t.done[p][o], p == 1 && o < 5 ? 0 : 1);
        assert_int_equal(t.skips, 0);
        assert_int_equal(t.total_done, PARTS * PER_PART - 5);
        assert_int_equal(t.assigns, 1);
        assert_true(t.revokes >= 1); /* close revokes */
        assert_int_equal(t.drains, 1);
        assert_true(counter(w, "esc_t_processed_total") == PARTS * PER_PART - 5);
        assert_true(counter(w, "esc_t_errors_total") == 0);
        assert_false(esc_worker_is_healthy(w)); /* stopped */
        esc_worker_destroy(w);
        mock_stop(&m);
}

static void test_retry_rewinds_to_the_failed_record_without_skipping(void **state)
{
        struct mock m;
        struct tw t;
        esc_worker_t *w;

        (void)state;
        mock_start(&m, PER_PART);
        tw_init(&t);
        t.fail_p = 0;
        t.fail_o = 3;
        t.fail_status = ESC_WORKER_MSG_RETRY;
        t.fail_times = 2; /* e.g. the database was down twice */
        w = tw_worker(&m, &t, "g-retry", 25);

        assert_int_equal(esc_worker_run(w), 0);

        for (int p = 0; p < PARTS; p++)
                for (int o = 0; o < PER_PART; o++)
                        assert_int_equal(t.done[p][o], 1);
        assert_int_equal(t.skips, 0);
        assert_int_equal(t.delivered[0][3], 3); /* two retries, then done */
        assert_true(counter(w, "esc_t_retries_total") == 2);
        assert_true(counter(w, "esc_t_processed_total") == PARTS * PER_PART);
        esc_worker_destroy(w);
        mock_stop(&m);
}

static void test_fail_stops_only_its_partition_and_reports_unhealthy(void **state)
{
        struct mock m;
        struct tw t;
        esc_worker_t *w;

        (void)state;
        mock_start(&m, PER_PART);
        tw_init(&t);
        t.fail_p = 0;
        t.fail_o = 2;
        t.fail_status = ESC_WORKER_MSG_FAIL;
        t.fail_times = 1000;         /* a poison record: it never succeeds */
        t.target = 2 + 2 * PER_PART; /* p0: offsets 0,1; p1, p2: all */
        t.stop_after_ticks = 10;     /* keep running a while after that */
        w = tw_worker(&m, &t, "g-fail", 50);

        assert_int_equal(esc_worker_run(w), 0);

        assert_int_equal(t.done[0][0], 1);
        assert_int_equal(t.done[0][1], 1);
        for (int o = 2; o < PER_PART; o++)
                assert_int_equal(t.done[0][o], 0);
        assert_int_equal(t.delivered[0][2], 1); /* paused: not handed out again */
        for (int p = 1; p < PARTS; p++)
                for (int o = 0; o < PER_PART; o++)
                        assert_int_equal(t.done[p][o], 1);
        assert_true(t.sampled_health);
        assert_false(t.healthy_while_failed);
        assert_true(t.paused_seen == 1);
        assert_true(counter(w, "esc_t_errors_total") >= 1);
        esc_worker_destroy(w);
        mock_stop(&m);
}

static void test_fatal_batch_error_ends_the_run_with_an_error(void **state)
{
        struct mock m;
        struct tw t;
        esc_worker_t *w;

        (void)state;
        mock_start(&m, PER_PART);
        tw_init(&t);
        t.batch_fatal = true;
        w = tw_worker(&m, &t, "g-fatal", 25);

        assert_int_equal(esc_worker_run(w), -1);
        assert_non_null(strstr(esc_worker_error(w), "on_batch"));
        assert_int_equal(t.total_done, 0);
        esc_worker_destroy(w);
        mock_stop(&m);
}

static void test_tick_runs_while_idle(void **state)
{
        struct mock m;
        struct tw t;
        esc_worker_t *w;

        (void)state;
        mock_start(&m, 0);
        tw_init(&t);
        t.target = 0;
        t.stop_after_ticks = 5;
        w = tw_worker(&m, &t, "g-tick", 10);

        assert_int_equal(esc_worker_run(w), 0);
        assert_int_equal(t.ticks, 5);
        assert_int_equal(t.drains, 1);
        esc_worker_destroy(w);
        mock_stop(&m);
}

static void test_worker_new_rejects_a_missing_group_and_a_bad_name(void **state)
{
        static const char *topics[] = {TOPIC};
        esc_config_t *conf = esc_config_new_defaults();
        esc_worker_ops_t ops = {.name = "Bad Name", .on_batch = tw_batch};
        esc_worker_opts_t opts = {.group = "g", .topics = topics, .topic_cnt = 1};
        char errbuf[256];

        (void)state;
        assert_null(esc_worker_new(conf, &ops, &opts, errbuf, sizeof(errbuf)));
        assert_non_null(strstr(errbuf, "Bad Name"));
        ops.name = "ok";
        opts.group = NULL;
        assert_null(esc_worker_new(conf, &ops, &opts, errbuf, sizeof(errbuf)));
        assert_non_null(strstr(errbuf, "group"));
        esc_config_destroy(conf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_worker_new_rejects_a_missing_group_and_a_bad_name),
                cmocka_unit_test(
                        test_worker_starts_where_on_assign_says_and_hands_each_record_once),
                cmocka_unit_test(test_retry_rewinds_to_the_failed_record_without_skipping),
                cmocka_unit_test(test_fail_stops_only_its_partition_and_reports_unhealthy),
                cmocka_unit_test(test_fatal_batch_error_ends_the_run_with_an_error),
                cmocka_unit_test(test_tick_runs_while_idle),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
