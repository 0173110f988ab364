/* bench_timeline.c — one incident's timeline out of a large log, beside a
 * raw librdkafka read of the same partition in the same run (issue 7).
 *
 *   bench_timeline [incidents] [events] [incident-id]
 *
 * Fills <prefix>events (prefix from ESC_TOPIC_PREFIX, set by bench/timeline/run)
 * with `events` events round-robin over `incidents` incidents "bench-tl-NNNNN"
 * (each the scripted incident of tests/data/timeline/scripted.h followed by
 * customer updates), unless the topic already holds them: the log is the
 * input, not the measurement. Then, three times each, alternating:
 *
 *   raw:  a bare librdkafka consumer (same client settings as esc's)
 *         reads the incident's partition from its low to its high
 *         watermark and counts the messages whose key matches;
 *   ours: what `esc timeline INC --json` does: codec, event log reader,
 *         load (decode only the matching keys), build, render JSON.
 *
 * Both include creating and closing the client. Medians are reported as
 *   RESULT timeline ours=<s> raw=<s> unit=s
 *   RATIO timeline <raw/ours>          (higher is better; targets: ours
 *                                       <= 0.5 s and ratio >= 0.67) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devstack/devstack.h"
#include "core/codec.h"
#include "runtime/eventlog.h"
#include "projections/timeline/timeline.h"
#include "runtime/kafka.h"
#include "runtime/registry.h"
#include "runtime/sys.h"
#include "tests/data/timeline/scripted.h"

#define REPS 7

static int failures;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        (void)rk;
        (void)opaque;
        if (m->err)
                failures++;
}

/* Event seq of incident `inc`: the scripted history, then updates. */
static void bench_event(esc_event_t *ev, const char *inc, int64_t seq)
{
        if (seq <= 16) {
                tl_scripted_event(ev, inc, seq);
                return;
        }
        tl_scripted_event(ev, inc, seq % 2 ? 7 : 9);
        ev->seq = seq;
        ev->occurred_at = TL_AT(13, 40) + seq * TL_MIN;
}

static int fill(esc_config_t *conf, const char *topic, long incidents, long events)
{
        char err[1024];
        esc_buf_t b;
        long per = events / incidents, n = 0;
        int64_t t0 = esc_mono_us();

        /* Producer-only settings on a copy of the settings: batches of
         * similar events compress well, which keeps a 1M-event log small. */
        esc_config_set(conf, "kafka.properties.compression.type", "lz4");
        esc_config_set(conf, "kafka.properties.linger.ms", "50");
        esc_codec_t *codec = esc_codec_new(conf, err, sizeof(err));
        rd_kafka_t *rk =
                codec ? esc_kafka_producer_new(conf, on_delivery, NULL, err, sizeof(err)) : NULL;
        if (!rk) {
                fprintf(stderr, "bench_timeline: %s\n", err);
                return -1;
        }
        esc_buf_init(&b, 0);
        fprintf(stderr, "bench_timeline: writing %ld events over %ld incidents to %s...\n",
                per * incidents, incidents, topic);
        for (long s = 1; s <= per; s++) {
                for (long i = 0; i < incidents; i++) {
                        char inc[32];
                        esc_event_t ev;
                        snprintf(inc, sizeof(inc), "bench-tl-%05ld", i);
                        bench_event(&ev, inc, s);
                        esc_buf_reset(&b);
                        if (esc_codec_encode_event(codec, &ev, &b, err, sizeof(err))) {
                                fprintf(stderr, "bench_timeline: encode: %s\n", err);
                                return -1;
                        }
                        rd_kafka_resp_err_t e;
                        while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                                      RD_KAFKA_V_KEY(inc, strlen(inc)),
                                                      RD_KAFKA_V_VALUE(b.data, b.len),
                                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                      RD_KAFKA_V_END)) ==
                               RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(rk, 50);
                        if (e) {
                                fprintf(stderr, "bench_timeline: produce: %s\n",
                                        rd_kafka_err2str(e));
                                return -1;
                        }
                        rd_kafka_poll(rk, 0);
                        esc_event_clear(&ev);
                        if (++n % 200000 == 0)
                                fprintf(stderr, "bench_timeline: %ld events written\n", n);
                }
        }
        rd_kafka_flush(rk, 120000);
        int left = rd_kafka_outq_len(rk);
        rd_kafka_destroy(rk);
        esc_codec_destroy(codec);
        esc_buf_free(&b);
        if (failures || left) {
                fprintf(stderr, "bench_timeline: %d deliveries failed, %d unsent\n", failures,
                        left);
                return -1;
        }
        fprintf(stderr, "bench_timeline: wrote %ld events in %.1f s\n", n,
                (double)(esc_mono_us() - t0) / 1e6);
        return 0;
}

/* The raw limit: read the partition to its high watermark, match keys. */
static double raw_read(const esc_config_t *conf, const char *topic, int32_t p, const char *key,
                       long *matched, long *messages)
{
        char err[512];
        int64_t t0 = esc_mono_us(), lo, hi;
        size_t kl = strlen(key);
        rd_kafka_t *rk = esc_kafka_consumer_new(conf, NULL, err, sizeof(err));

        *matched = *messages = 0;
        if (!rk || rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000))
                return -1;
        rd_kafka_topic_partition_list_t *tpl = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(tpl, topic, p)->offset = lo;
        rd_kafka_assign(rk, tpl);
        rd_kafka_topic_partition_list_destroy(tpl);
        while (hi > lo) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                if (!m)
                        continue;
                if (!m->err) {
                        (*messages)++;
                        if (m->key_len == kl && !memcmp(m->key, key, kl))
                                (*matched)++;
                }
                int64_t off = m->offset;
                bool end = !m->err && off + 1 >= hi;
                rd_kafka_message_destroy(m);
                if (end)
                        break;
        }
        rd_kafka_assign(rk, NULL);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return (double)(esc_mono_us() - t0) / 1e6;
}

/* Ours: `esc timeline INC --json` without the process start. */
static double ours_read(const esc_config_t *conf, const char *inc, int *nevs, size_t *bytes)
{
        char err[1024];
        int64_t t0 = esc_mono_us();
        esc_codec_t *codec = esc_codec_new(conf, err, sizeof(err));
        esc_eventlog_t *log = codec ? esc_eventlog_new(conf, codec, err, sizeof(err)) : NULL;
        esc_timeline_t *tl = esc_timeline_new(inc);
        esc_buf_t out;
        double dt = -1;

        esc_buf_init(&out, ESC_TL_OUT_CAP);
        if (log && esc_timeline_load(log, tl, NULL, err, sizeof(err)) == 0 &&
            esc_timeline_build(tl, NULL, err, sizeof(err)) == 0 &&
            esc_timeline_render(tl, ESC_TL_FMT_JSON, 0, &out, err, sizeof(err)) == 0)
                dt = 0;
        else
                fprintf(stderr, "bench_timeline: ours: %s\n", err);
        *nevs = tl->nevs;
        *bytes = out.len;
        esc_eventlog_destroy(log);
        esc_codec_destroy(codec);
        esc_timeline_destroy(tl);
        esc_buf_free(&out);
        if (dt == 0)
                dt = (double)(esc_mono_us() - t0) / 1e6;
        return dt;
}

static int cmp_d(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
        long incidents = argc > 1 ? atol(argv[1]) : 10000;
        long events = argc > 2 ? atol(argv[2]) : 1000000;
        char inc[64], err[1024], topic[256];
        double raw[REPS], ours[REPS];

        if (incidents < 1 || events < incidents) {
                fprintf(stderr, "usage: bench_timeline [incidents] [events] [incident-id]\n");
                return 2;
        }
        snprintf(inc, sizeof(inc), "%s", argc > 3 ? argv[3] : "bench-tl-04242");
        esc_config_t *conf = esc_config_load(NULL, err, sizeof(err));
        esc_config_t *pconf = esc_config_load(NULL, err, sizeof(err));
        if (!conf || !pconf) {
                fprintf(stderr, "bench_timeline: %s\n", err);
                return 1;
        }
        const char *brokers = esc_config_str(conf, "kafka.bootstrap_servers", "");
        if (esc_dev_kafka_create_topics(conf, brokers, 30000, err, sizeof(err))) {
                fprintf(stderr, "bench_timeline: creating topics on %s: %s\n", brokers, err);
                return 1;
        }
        esc_config_topic(conf, "events", topic, sizeof(topic));

        esc_codec_t *codec = esc_codec_new(conf, err, sizeof(err));
        esc_eventlog_t *log = codec ? esc_eventlog_new(conf, codec, err, sizeof(err)) : NULL;
        int np = log ? esc_eventlog_partitions(log, err, sizeof(err)) : -1;
        if (np <= 0) {
                fprintf(stderr, "bench_timeline: %s: %s\n", topic, err);
                return 1;
        }
        int64_t total = 0;
        for (int p = 0; p < np; p++) {
                int64_t lo, hi;
                int tries = 0;
                /* A topic created a moment ago may not have a leader yet. */
                while (esc_eventlog_watermarks(log, p, &lo, &hi, err, sizeof(err)) && ++tries < 50)
                        usleep(200000);
                if (tries >= 50) {
                        fprintf(stderr, "bench_timeline: %s\n", err);
                        return 1;
                }
                total += hi - lo;
        }
        int32_t part = esc_eventlog_partition_of(log, inc, err, sizeof(err));
        esc_eventlog_destroy(log);
        esc_codec_destroy(codec);
        long want = events / incidents * incidents;
        if (total == 0) {
                if (fill(pconf, topic, incidents, events))
                        return 1;
        } else if (total != want) {
                fprintf(stderr,
                        "bench_timeline: %s holds %lld events, not %ld: use a fresh prefix "
                        "(ESC_TOPIC_PREFIX) for another size\n",
                        topic, (long long)total, want);
                return 1;
        } else {
                fprintf(stderr, "bench_timeline: reusing %s (%lld events)\n", topic,
                        (long long)total);
        }

        long matched = 0, messages = 0;
        int nevs = 0;
        size_t bytes = 0;
        for (int r = 0; r < REPS; r++) {
                raw[r] = raw_read(conf, topic, part, inc, &matched, &messages);
                ours[r] = ours_read(conf, inc, &nevs, &bytes);
                if (raw[r] < 0 || ours[r] < 0)
                        return 1;
                printf("run %d: raw %.3f s (%ld messages, %ld of %s)  ours %.3f s (%d "
                       "events, "
                       "%zu bytes of JSON)\n",
                       r + 1, raw[r], messages, matched, inc, ours[r], nevs, bytes);
        }
        if (nevs != (int)(events / incidents) || matched != nevs) {
                fprintf(stderr, "bench_timeline: ours saw %d events of %s, raw %ld, want %ld\n",
                        nevs, inc, matched, events / incidents);
                return 1;
        }
        qsort(raw, REPS, sizeof(double), cmp_d);
        qsort(ours, REPS, sizeof(double), cmp_d);
        printf("partition %d of %s: %ld messages; target ours <= 0.5 s and <= 1.5x raw\n",
               (int)part, topic, messages);
        printf("RESULT timeline ours=%.3f raw=%.3f unit=s\n", ours[REPS / 2], raw[REPS / 2]);
        printf("RATIO timeline %.2f\n", raw[REPS / 2] / ours[REPS / 2]);
        esc_config_destroy(conf);
        esc_config_destroy(pconf);
        return 0;
}
