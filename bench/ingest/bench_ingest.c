/* bench_ingest.c — helper for bench/ingest/run: the raw librdkafka limit
 * that `esc ingest` is measured against, plus topic setup.
 *
 *   bench_ingest gen N FILE            write N NDJSON command lines
 *   bench_ingest create TOPIC... -p P  create topics (P partitions)
 *   bench_ingest delete TOPIC...       delete them
 *   bench_ingest raw FILE TOPIC        produce every line as is (key = the
 *                                      line's incident id), flush; prints
 *                                      "raw <msgs> <seconds> <msgs/s>"
 *
 * The raw run uses the same durable producer settings as esc
 * (esc_kafka_producer_new), RD_KAFKA_MSG_F_COPY and the same read loop
 * shape, so the difference to `esc ingest` is parse + validate + encode. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/config.h"
#include "runtime/kafka.h"
#include "core/util.h"
#include "runtime/sys.h"

static int64_t delivered, failed;

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        if (m->err)
                failed++;
        else
                delivered++;
}

static int gen(long n, const char *path)
{
        FILE *f = fopen(path, "w");
        if (!f)
                return perror(path), 1;
        static const char *impacts[] = {"production_down", "major_feature_broken",
                                        "degraded_with_workaround", "cosmetic", "question"};
        for (long i = 0; i < n; i++) {
                long inc = i / 4;
                switch (i % 4) {
                case 0:
                        fprintf(f,
                                "{\"type\":\"open\",\"incident_id\":\"INC-B-%ld\",\"command_id\":"
                                "\"b-%ld\",\"at\":\"2026-03-06T16:00:00Z\",\"account\":\"acct-%"
                                "ld\","
                                "\"tier\":\"%s\",\"health\":%ld,\"impact\":\"%s\",\"title\":"
                                "\"Checkout slow for customers in region %ld\",\"csm\":\"dave\"}\n",
                                inc, i, inc % 997, inc % 3 ? "growth" : "strategic", inc % 100,
                                impacts[inc % 5], inc % 17);
                        break;
                case 1:
                        fprintf(f,
                                "{\"type\":\"ack\",\"incident_id\":\"INC-B-%ld\",\"command_id\":"
                                "\"b-%ld\",\"by\":\"dana\",\"message\":\"We see it and are on it\","
                                "\"next_update\":\"2026-03-06T16:30:00Z\"}\n",
                                inc, i);
                        break;
                case 2:
                        fprintf(f,
                                "{\"type\":\"update\",\"incident_id\":\"INC-B-%ld\",\"by\":"
                                "\"dana\","
                                "\"audience\":\"external\",\"body\":\"Still investigating, next "
                                "update at 17:00\",\"next_update\":\"2026-03-06T17:00:00Z\"}\n",
                                inc);
                        break;
                default:
                        fprintf(f,
                                "{\"type\":\"resolve\",\"incident_id\":\"INC-B-%ld\",\"by\":"
                                "\"bob\","
                                "\"summary\":\"Pool sized by load\"}\n",
                                inc);
                        break;
                }
        }
        return fclose(f) ? 1 : 0;
}

static int admin(int argc, char **argv, bool create)
{
        char err[512];
        int parts = 12;
        esc_config_t *conf = esc_config_new_defaults();
        rd_kafka_t *rk = esc_kafka_producer_new(conf, NULL, NULL, err, sizeof(err));
        rd_kafka_queue_t *q;
        int n = 0, rc = 0;
        void *objs[64];

        if (!rk)
                return fprintf(stderr, "%s\n", err), 1;
        for (int i = 0; i + 1 < argc; i++) /* -p may come after the topics */
                if (!strcmp(argv[i], "-p"))
                        parts = atoi(argv[i + 1]);
        for (int i = 0; i < argc; i++)
                if (!strcmp(argv[i], "-p"))
                        i++;
                else if (n < 64)
                        objs[n++] = create ? (void *)rd_kafka_NewTopic_new(argv[i], parts, 1, err,
                                                                           sizeof(err))
                                           : (void *)rd_kafka_DeleteTopic_new(argv[i]);
        q = rd_kafka_queue_new(rk);
        if (create)
                rd_kafka_CreateTopics(rk, (rd_kafka_NewTopic_t **)objs, (size_t)n, NULL, q);
        else
                rd_kafka_DeleteTopics(rk, (rd_kafka_DeleteTopic_t **)objs, (size_t)n, NULL, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
        if (!ev || rd_kafka_event_error(ev)) {
                fprintf(stderr, "admin: %s\n", ev ? rd_kafka_event_error_string(ev) : "timeout");
                rc = 1;
        } else {
                size_t cnt = 0;
                const rd_kafka_topic_result_t **res =
                        create ? rd_kafka_CreateTopics_result_topics(
                                         rd_kafka_event_CreateTopics_result(ev), &cnt)
                               : rd_kafka_DeleteTopics_result_topics(
                                         rd_kafka_event_DeleteTopics_result(ev), &cnt);
                for (size_t i = 0; i < cnt; i++)
                        if (rd_kafka_topic_result_error(res[i]) &&
                            rd_kafka_topic_result_error(res[i]) !=
                                    RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                                fprintf(stderr, "%s: %s\n", rd_kafka_topic_result_name(res[i]),
                                        rd_kafka_topic_result_error_string(res[i]));
                                rc = 1;
                        }
        }
        if (ev)
                rd_kafka_event_destroy(ev);
        for (int i = 0; i < n; i++)
                create ? rd_kafka_NewTopic_destroy(objs[i]) : rd_kafka_DeleteTopic_destroy(objs[i]);
        rd_kafka_queue_destroy(q);
        rd_kafka_destroy(rk);
        esc_config_destroy(conf);
        return rc;
}

/* The key the ingest would use: the value of "incident_id". */
static void key_of(const char *line, size_t len, const char **k, size_t *klen)
{
        static const char pat[] = "\"incident_id\":\"";
        const char *p = memmem(line, len, pat, sizeof(pat) - 1);
        *k = NULL;
        *klen = 0;
        if (!p)
                return;
        p += sizeof(pat) - 1;
        const char *e = memchr(p, '"', len - (size_t)(p - line));
        if (e) {
                *k = p;
                *klen = (size_t)(e - p);
        }
}

static int raw(const char *path, const char *topic)
{
        char err[512];
        esc_config_t *conf = esc_config_new_defaults();
        rd_kafka_t *rk = esc_kafka_producer_new(conf, on_dr, NULL, err, sizeof(err));
        /* One topic handle, as esc ingest produces through one. */
        rd_kafka_topic_t *rkt = rk ? rd_kafka_topic_new(rk, topic, NULL) : NULL;
        int fd = open(path, O_RDONLY);
        char *chunk = esc_xmalloc(256 * 1024 + 1);
        esc_buf_t carry;
        int64_t msgs = 0, t0;

        if (!rk || !rkt || fd < 0)
                return fprintf(stderr, "raw: %s\n",
                               !rk    ? err
                               : !rkt ? rd_kafka_err2str(rd_kafka_last_error())
                                      : strerror(errno)),
                       1;
        esc_buf_init(&carry, 1 << 20);
        t0 = esc_mono_us();
        for (;;) {
                ssize_t r = read(fd, chunk, 256 * 1024);
                if (r <= 0)
                        break;
                const char *p = chunk, *end = chunk + r;
                while (p < end) {
                        const char *nl = memchr(p, '\n', (size_t)(end - p));
                        if (!nl) {
                                esc_buf_append(&carry, p, (size_t)(end - p));
                                break;
                        }
                        const char *line = p;
                        size_t len = (size_t)(nl - p);
                        if (carry.len) {
                                esc_buf_append(&carry, p, len);
                                line = carry.data;
                                len = carry.len;
                        }
                        const char *k;
                        size_t klen;
                        key_of(line, len, &k, &klen);
                        while (rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_KEY(k, klen),
                                                 RD_KAFKA_V_VALUE((void *)line, len),
                                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(rk, 10);
                        msgs++;
                        esc_buf_reset(&carry);
                        p = nl + 1;
                }
                rd_kafka_poll(rk, 0);
        }
        rd_kafka_flush(rk, 300000);
        double secs = (double)(esc_mono_us() - t0) / 1e6;
        printf("raw %lld %.3f %.0f delivered=%lld failed=%lld\n", (long long)msgs, secs,
               (double)msgs / secs, (long long)delivered, (long long)failed);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        esc_config_destroy(conf);
        esc_buf_free(&carry);
        free(chunk);
        close(fd);
        return failed || delivered != msgs;
}

int main(int argc, char **argv)
{
        if (argc >= 4 && !strcmp(argv[1], "gen"))
                return gen(atol(argv[2]), argv[3]);
        if (argc >= 3 && !strcmp(argv[1], "create"))
                return admin(argc - 2, argv + 2, true);
        if (argc >= 3 && !strcmp(argv[1], "delete"))
                return admin(argc - 2, argv + 2, false);
        if (argc == 4 && !strcmp(argv[1], "raw"))
                return raw(argv[2], argv[3]);
        fprintf(stderr, "usage: bench_ingest gen N FILE | create TOPIC... [-p P] | delete "
                        "TOPIC... | raw FILE TOPIC\n");
        return 2;
}
