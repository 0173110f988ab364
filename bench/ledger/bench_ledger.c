/* bench_ledger.c — the ledger end to end on the dev stack's real Kafka,
 * each figure beside a raw librdkafka pass-through of the same messages
 * measured in the same run.
 *
 *   decide:  `esc worker ledger` consuming N commands, deciding, encoding and
 *            producing their events (delivery-gated), vs. a bare consumer →
 *            producer copying the same N command messages.
 *   rebuild: the ledger replaying every events partition on assignment
 *            (decode + fold), vs. the same bare pass-through over the events.
 *   memory:  ledger RSS with every incident open after the rebuild, minus
 *            its RSS on empty topics, per incident (target ≤ 2 KiB).
 *
 * The ledger runs as the real binary ($ESC_BIN) on topics with a private
 * prefix and a private consumer group, so the bench never touches esc.*.
 *
 *   bench_ledger [INCIDENTS]    (default 100000; 4 commands each) */
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devstack/devstack.h"
#include "core/codec.h"
#include "runtime/config.h"
#include "runtime/kafka.h"
#include "runtime/registry.h"
#include "runtime/sys.h"

#define PARTITIONS 12

static void die(const char *what, const char *err)
{
        fprintf(stderr, "bench_ledger: %s: %s\n", what, err);
        exit(1);
}

static double now_s(void)
{
        return (double)esc_mono_us() / 1e6;
}

static esc_config_t *conf_with_prefix(const char *prefix)
{
        esc_config_t *c = esc_config_new_defaults();
        esc_config_set(c, "kafka.topic_prefix", prefix);
        esc_config_set(c, "dev.partitions", "12");
        return c;
}

static void create_topics(const char *prefix)
{
        char err[512];
        esc_config_t *c = conf_with_prefix(prefix);

        if (esc_dev_kafka_create_topics(c, esc_config_get(c, "kafka.bootstrap_servers"), 60000, err,
                                        sizeof(err)))
                die("create topics", err);
        esc_config_destroy(c);
}

/* N incidents x (open, ack, update, update): all stay open. */
static long produce_commands(esc_config_t *c, int incidents)
{
        char err[512], topic[256], id[64];
        esc_codec_t *codec = esc_codec_new(c, err, sizeof(err));
        rd_kafka_t *rk = esc_kafka_producer_new(c, NULL, NULL, err, sizeof(err));
        esc_buf_t buf;
        long n = 0;
        esc_time_t t0 = 1767002400LL * ESC_USEC_PER_SEC; /* Mon 2025-12-29 10:00Z */

        if (!codec || !rk)
                die("producer", err);
        esc_config_topic(c, "commands", topic, sizeof(topic));
        esc_buf_init(&buf, 1 << 20);
        for (int step = 0; step < 4; step++) {
                for (int i = 0; i < incidents; i++) {
                        esc_command_t cmd;
                        static const esc_command_type_t types[] = {ESC_CMD_OPEN, ESC_CMD_ACK,
                                                                   ESC_CMD_UPDATE, ESC_CMD_UPDATE};
                        esc_command_init(&cmd, types[step]);
                        snprintf(id, sizeof(id), "B-%d-%d", i, step);
                        cmd.command_id = esc_strdup(id);
                        snprintf(id, sizeof(id), "BENCH-%07d", i);
                        cmd.incident_id = esc_strdup(id);
                        cmd.actor = esc_strdup("alice");
                        cmd.occurred_at = cmd.issued_at =
                                t0 + (esc_time_t)step * 600 * ESC_USEC_PER_SEC;
                        if (step == 0) {
                                cmd.p.open.account.id = esc_strdup(i % 3 ? "acme" : "globex");
                                cmd.p.open.account.tier = (esc_tier_t)(i % 3);
                                cmd.p.open.account.health_score = 40 + i % 60;
                                cmd.p.open.account.paying = true;
                                cmd.p.open.product_area = esc_strdup(i % 2 ? "billing" : "search");
                                cmd.p.open.title = esc_strdup("Invoices fail to render");
                                cmd.p.open.impact = (esc_impact_t)(i % ESC_IMPACT__COUNT);
                                cmd.p.open.detected_at = cmd.occurred_at;
                                cmd.p.open.csm = esc_strdup("dave");
                        } else if (step == 1) {
                                cmd.p.ack.by = esc_strdup("alice");
                                cmd.p.ack.message = esc_strdup("We can reproduce it and are on it");
                                cmd.p.ack.next_update_at =
                                        cmd.occurred_at + 1800 * ESC_USEC_PER_SEC;
                        } else {
                                cmd.p.update.by = esc_strdup("alice");
                                cmd.p.update.body =
                                        esc_strdup("Still investigating; next update soon");
                                cmd.p.update.audience = ESC_AUDIENCE_EXTERNAL;
                                cmd.p.update.next_update_at =
                                        cmd.occurred_at + 1800 * ESC_USEC_PER_SEC;
                        }
                        esc_buf_reset(&buf);
                        if (esc_codec_encode_command(codec, &cmd, &buf, err, sizeof(err)))
                                die("encode", err);
                        while (rd_kafka_producev(
                                       rk, RD_KAFKA_V_TOPIC(topic),
                                       RD_KAFKA_V_KEY(cmd.incident_id, strlen(cmd.incident_id)),
                                       RD_KAFKA_V_VALUE(buf.data, buf.len),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(rk, 10);
                        esc_command_clear(&cmd);
                        n++;
                }
        }
        rd_kafka_flush(rk, 120000);
        if (rd_kafka_outq_len(rk))
                die("produce", "commands not delivered");
        rd_kafka_destroy(rk);
        esc_codec_destroy(codec);
        esc_buf_free(&buf);
        return n;
}

/* The raw limit: read every message of `from` and produce it unchanged to
 * the same partition of `to`, delivery included. Returns messages/s. */
static double passthrough(esc_config_t *c, const char *from, const char *to, long *count)
{
        char err[512];
        rd_kafka_t *cons = esc_kafka_consumer_new(c, NULL, err, sizeof(err));
        rd_kafka_t *prod = esc_kafka_producer_new(c, NULL, NULL, err, sizeof(err));
        rd_kafka_topic_partition_list_t *tpl = rd_kafka_topic_partition_list_new(PARTITIONS);
        int64_t end[PARTITIONS];
        long total = 0, n = 0;
        int done = 0;

        if (!cons || !prod)
                die("passthrough clients", err);
        for (int p = 0; p < PARTITIONS; p++) {
                int64_t lo;
                rd_kafka_query_watermark_offsets(cons, from, p, &lo, &end[p], 10000);
                total += end[p] - lo;
                rd_kafka_topic_partition_list_add(tpl, from, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
                if (end[p] == lo)
                        done++;
        }
        /* One topic handle, as the ledger produces through one. */
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(prod, to, NULL);
        if (!rkt)
                die("passthrough topic", rd_kafka_err2str(rd_kafka_last_error()));
        double t0 = now_s();
        rd_kafka_assign(cons, tpl);
        while (done < PARTITIONS) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(cons, 100);
                if (!m)
                        continue;
                if (!m->err) {
                        while (rd_kafka_producev(prod, RD_KAFKA_V_RKT(rkt),
                                                 RD_KAFKA_V_PARTITION(m->partition),
                                                 RD_KAFKA_V_KEY(m->key, m->key_len),
                                                 RD_KAFKA_V_VALUE(m->payload, m->len),
                                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(prod, 10);
                        n++;
                        if (m->offset + 1 == end[m->partition])
                                done++;
                }
                rd_kafka_message_destroy(m);
        }
        rd_kafka_flush(prod, 120000);
        double secs = now_s() - t0;
        rd_kafka_topic_destroy(rkt);
        rd_kafka_topic_partition_list_destroy(tpl);
        rd_kafka_consumer_close(cons);
        rd_kafka_destroy(cons);
        rd_kafka_destroy(prod);
        *count = n;
        (void)total;
        return (double)n / secs;
}

/* ---- the real ledger as a child process ----------------------------------- */

struct child {
        pid_t pid;
        char log[256];
        int port;
};

static void start_ledger(struct child *ch, const char *prefix, const char *tag, int port)
{
        char cfg[256];
        const char *bin = getenv("ESC_BIN") ? getenv("ESC_BIN") : "build/esc";
        FILE *f;

        snprintf(cfg, sizeof(cfg), "/tmp/bench-ledger-%d-%s.yaml", (int)getpid(), tag);
        snprintf(ch->log, sizeof(ch->log), "/tmp/bench-ledger-%d-%s.log", (int)getpid(), tag);
        if (!(f = fopen(cfg, "w")))
                die("config", cfg);
        fprintf(f,
                "kafka:\n  topic_prefix: \"%s\"\nledger:\n  group: bench-ledger-%d-%s\n"
                "metrics:\n  listen: \"127.0.0.1:%d\"\n",
                prefix, (int)getpid(), tag, port);
        fclose(f);
        ch->port = port;
        ch->pid = fork();
        if (ch->pid == 0) {
                int fd = open(ch->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                dup2(fd, 2);
                dup2(fd, 1);
                execl(bin, bin, "--config", cfg, "worker", "ledger", "--batch", "5000",
                      (char *)NULL);
                _exit(127);
        }
}

static void stop_ledger(struct child *ch)
{
        int st;
        kill(ch->pid, SIGTERM);
        waitpid(ch->pid, &st, 0);
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
        esc_buf_append(ud, p, sz * n);
        return sz * n;
}

/* Sum of the named counters from the ledger's /metrics, or -1. */
static double metric(struct child *ch, const char *const *names)
{
        char url[64];
        esc_buf_t b;
        double sum = -1;
        CURL *curl = curl_easy_init();

        snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", ch->port);
        esc_buf_init(&b, 1 << 22);
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 1000L);
        if (curl_easy_perform(curl) == CURLE_OK && b.data) {
                sum = 0;
                for (const char *const *n = names; *n; n++) {
                        const char *at = b.data;
                        size_t len = strlen(*n);
                        while ((at = strstr(at, *n))) {
                                if ((at == b.data || at[-1] == '\n') && at[len] == ' ') {
                                        sum += atof(at + len + 1);
                                        break;
                                }
                                at += len;
                        }
                }
        }
        curl_easy_cleanup(curl);
        esc_buf_free(&b);
        return sum;
}

static long rss_kib(pid_t pid)
{
        char path[64], line[256];
        long kib = -1;
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "r");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "VmRSS:", 6))
                        kib = atol(line + 6);
        fclose(f);
        return kib;
}

static int free_port(void)
{
        return 20000 + (int)(getpid() % 20000);
}

/* Waits until the ledger log says every partition is assigned. */
static void wait_assigned(struct child *ch, double timeout)
{
        double t0 = now_s();
        char line[4096];
        while (now_s() - t0 < timeout) {
                FILE *f = fopen(ch->log, "r");
                bool ok = false;
                while (f && fgets(line, sizeof(line), f))
                        if (strstr(line, "partitions assigned"))
                                ok = true;
                if (f)
                        fclose(f);
                if (ok)
                        return;
                usleep(20000);
        }
        die("ledger", "no partition assignment (see its log)");
}

/* Sums events and seconds over the "partition replayed" log lines. */
static double replay_rate(struct child *ch, long *events)
{
        char line[4096];
        double secs = 0;
        FILE *f = fopen(ch->log, "r");

        *events = 0;
        while (f && fgets(line, sizeof(line), f)) {
                char *e = strstr(line, "partition replayed");
                if (!e)
                        continue;
                char *ev = strstr(line, " events="), *s = strstr(line, " seconds=");
                if (ev && s) {
                        *events += atol(ev + 8);
                        secs += atof(s + 9);
                }
        }
        if (f)
                fclose(f);
        return secs > 0 ? (double)*events / secs : 0;
}

int main(int argc, char **argv)
{
        int incidents = argc > 1 ? atoi(argv[1]) : 100000;
        char prefix[128], raw_prefix[160], empty_prefix[160], from[256], to[256];
        static const char *const decided[] = {"esc_ledger_commands_decided_total",
                                              "esc_ledger_commands_rejected_total",
                                              "esc_ledger_commands_duplicate_total", NULL};
        struct child ch;
        long n_raw, n_ev;

        curl_global_init(CURL_GLOBAL_DEFAULT);
        snprintf(prefix, sizeof(prefix), "bench-ledger-%d-%ld.", (int)getpid(), (long)time(NULL));
        snprintf(raw_prefix, sizeof(raw_prefix), "%sraw.", prefix);
        snprintf(empty_prefix, sizeof(empty_prefix), "%sempty.", prefix);
        create_topics(prefix);
        create_topics(raw_prefix);
        create_topics(empty_prefix);
        esc_config_t *c = conf_with_prefix(prefix);

        fprintf(stderr, "producing %d incidents x 4 commands...\n", incidents);
        long ncmd = produce_commands(c, incidents);

        /* Baseline RSS: the ledger on empty topics. */
        start_ledger(&ch, empty_prefix, "empty", free_port());
        wait_assigned(&ch, 60);
        long rss_empty = rss_kib(ch.pid);
        stop_ledger(&ch);

        /* decide */
        snprintf(from, sizeof(from), "%scommands", prefix);
        snprintf(to, sizeof(to), "%sevents", raw_prefix);
        double raw_cmd = passthrough(c, from, to, &n_raw);

        start_ledger(&ch, prefix, "decide", free_port() + 1);
        double first = -1, t_first = 0, t_end = 0, cur = 0;
        double deadline = now_s() + 600;
        while (now_s() < deadline) {
                cur = metric(&ch, decided);
                if (cur > 0 && first < 0) {
                        first = cur;
                        t_first = now_s();
                }
                if (cur >= (double)ncmd) {
                        t_end = now_s();
                        break;
                }
                usleep(10000);
        }
        if (t_end == 0)
                die("decide", "the ledger did not decide every command in time");
        double ours_cmd = (cur - first) / (t_end - t_first);
        stop_ledger(&ch);

        /* rebuild */
        snprintf(from, sizeof(from), "%sevents", prefix);
        snprintf(to, sizeof(to), "%sdeadletter", raw_prefix);
        double raw_ev = passthrough(c, from, to, &n_raw);
        start_ledger(&ch, prefix, "rebuild", free_port() + 2);
        wait_assigned(&ch, 600);
        double ours_ev = replay_rate(&ch, &n_ev);
        long rss_full = rss_kib(ch.pid);
        stop_ledger(&ch);
        double per_inc = (double)(rss_full - rss_empty) * 1024.0 / incidents;

        printf("ledger on real Kafka, %d open incidents, %ld commands, %ld events\n", incidents,
               ncmd, n_ev);
        printf("%-22s %14s %14s %8s\n", "figure", "ours", "raw", "ratio");
        printf("%-22s %14.0f %14.0f %8.2f\n", "decide (commands/s)", ours_cmd, raw_cmd,
               ours_cmd / raw_cmd);
        printf("%-22s %14.0f %14.0f %8.2f\n", "rebuild (events/s)", ours_ev, raw_ev,
               ours_ev / raw_ev);
        printf("%-22s %14.0f %14.0f %8.2f\n", "RSS/open incident (B)", per_inc, 2048.0,
               2048.0 / per_inc);
        printf("RESULT ledger_decide ours=%.0f raw=%.0f unit=commands/s\n", ours_cmd, raw_cmd);
        printf("RATIO ledger_decide %.3f\n", ours_cmd / raw_cmd);
        printf("RESULT ledger_rebuild ours=%.0f raw=%.0f unit=events/s\n", ours_ev, raw_ev);
        printf("RATIO ledger_rebuild %.3f\n", ours_ev / raw_ev);
        printf("RESULT ledger_rss_per_incident ours=%.0f raw=2048 unit=bytes\n", per_inc);
        printf("RATIO ledger_rss_per_incident %.3f\n", 2048.0 / per_inc);
        esc_config_destroy(c);
        curl_global_cleanup();
        return 0;
}
