/* mock.c — `esc dev up --broker mock`: a dev broker on librdkafka's mock
 * cluster, with a fault-injection control socket.
 *
 * The hidden `esc dev mock-broker --dir D --partitions N --prefix P` process
 * owns one rd_kafka_mock_cluster (one broker), creates the three topics,
 * writes its bootstrap address to D/mock/bootstraps and then serves
 * D/mock/control.sock: one line in, one line out, per connection.
 *
 * Trade-offs the reader must know:
 *  - librdkafka 2.0.2 has no way to choose the mock's port, so the address
 *    changes at every start; `up` rewrites $ESC_DEV_DIR/env each time.
 *  - The mock keeps everything in memory: its history does not survive a
 *    restart, and it keeps only ~5 MiB per partition, dropping older data
 *    silently. This process therefore polls every partition's low watermark
 *    once a second; the moment one rises above 0 it logs a loud WARN and
 *    records it in D/mock/trimmed, which `esc dev status` reports. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "devstack/devstack.h"
#include "runtime/log.h"
#include "core/util.h"
#include "runtime/sys.h"

#define MOCK_TOPICS 3
#define MOCK_MAX_PARTITIONS 1000
#define MOCK_MAX_ERRORS 1000
#define CONTROL_LINE_MAX 256
#define WATCH_BUDGET_US (500 * 1000)

static volatile sig_atomic_t mock_stop;

static void on_signal(int sig)
{
        (void)sig;
        mock_stop = 1;
}

struct mock_paths {
        char dir[ESC_DEV_PATH_MAX];
        char pid[ESC_DEV_PATH_MAX];
        char log[ESC_DEV_PATH_MAX];
        char boot[ESC_DEV_PATH_MAX];
        char sock[ESC_DEV_PATH_MAX];
        char trimmed[ESC_DEV_PATH_MAX];
};

static int mock_paths(const char *dir, struct mock_paths *p, char *errbuf, size_t errbuf_size)
{
        if (esc_dev_path(p->dir, sizeof(p->dir), errbuf, errbuf_size, "%s/mock", dir) ||
            esc_dev_path(p->pid, sizeof(p->pid), errbuf, errbuf_size, "%s/mock/broker.pid", dir) ||
            esc_dev_path(p->log, sizeof(p->log), errbuf, errbuf_size, "%s/mock/broker.log", dir) ||
            esc_dev_path(p->boot, sizeof(p->boot), errbuf, errbuf_size, "%s/mock/bootstraps",
                         dir) ||
            esc_dev_path(p->sock, sizeof(p->sock), errbuf, errbuf_size, "%s/mock/control.sock",
                         dir) ||
            esc_dev_path(p->trimmed, sizeof(p->trimmed), errbuf, errbuf_size, "%s/mock/trimmed",
                         dir))
                return -1;
        if (strlen(p->sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
                return esc_err(errbuf, errbuf_size,
                               "control socket path %s is longer than a unix socket allows "
                               "(%zu bytes): use a shorter ESC_DEV_DIR",
                               p->sock, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        return 0;
}

static void mock_marker(const char *dir, char *buf, size_t size)
{
        snprintf(buf, size, "dev mock-broker --dir %s ", dir);
}

/* ---- the broker process ---- */

struct mock_state {
        rd_kafka_mock_cluster_t *mc;
        rd_kafka_t *watcher;
        char topics[MOCK_TOPICS][256];
        int partitions;
        int64_t *low; /* [MOCK_TOPICS * partitions], last low watermark seen */
        int next;     /* round-robin position of the watermark scan */
        const char *trimmed_path;
        atomic_int broker_down; /* set by the control loop: skip the scan */
        atomic_int stop;        /* tells the watcher thread to return */
};

static void record_trimmed(struct mock_state *s)
{
        esc_buf_t b;

        esc_buf_init(&b, 1 << 20);
        for (int i = 0; i < MOCK_TOPICS * s->partitions; i++)
                if (s->low[i] > 0)
                        esc_buf_printf(&b, "%s %d %lld\n", s->topics[i / s->partitions],
                                       i % s->partitions, (long long)s->low[i]);
        esc_dev_file_write(s->trimmed_path, b.data ? b.data : "", NULL, 0);
        esc_buf_free(&b);
}

/* Polls low watermarks within a time budget, resuming where it stopped, so
 * injected latency or a downed broker never stalls the control socket. */
static void watch_watermarks(struct mock_state *s)
{
        if (atomic_load(&s->broker_down))
                return;
        {
                int total = MOCK_TOPICS * s->partitions;
                int64_t start = esc_mono_us();
                bool changed = false;

                for (int n = 0; n < total && esc_mono_us() - start < WATCH_BUDGET_US; n++) {
                        int i = s->next;
                        int64_t lo = 0, hi = 0;
                        rd_kafka_resp_err_t err;

                        s->next = (s->next + 1) % total;
                        err = rd_kafka_query_watermark_offsets(s->watcher,
                                                               s->topics[i / s->partitions],
                                                               i % s->partitions, &lo, &hi, 500);
                        if (err)
                                break; /* broker down or slow: try again next second */
                        if (lo > s->low[i]) {
                                esc_log(ESC_LOG_WARN, "mock-broker",
                                        "HISTORY TRIMMED: the mock broker dropped the oldest "
                                        "records "
                                        "(it keeps ~5 MiB per partition); replays from offset 0 "
                                        "are no "
                                        "longer complete. Use the real broker (esc dev up) for "
                                        "long "
                                        "histories",
                                        "topic=%s partition=%d low_watermark=%lld "
                                        "high_watermark=%lld",
                                        s->topics[i / s->partitions], i % s->partitions,
                                        (long long)lo, (long long)hi);
                                s->low[i] = lo;
                                changed = true;
                        }
                }
                if (changed)
                        record_trimmed(s);
        }
}

/* The watcher thread: one scan per second until told to stop. */
static void *watcher_main(void *arg)
{
        struct mock_state *s = arg;

        while (!atomic_load(&s->stop)) {
                watch_watermarks(s);
                for (int i = 0; i < 10 && !atomic_load(&s->stop); i++)
                        usleep(100 * 1000);
        }
        return NULL;
}

/* Parses an error code: a number or a librdkafka name
 * ("NOT_LEADER_FOR_PARTITION", "REQUEST_TIMED_OUT"). */
static int parse_err(const char *s, rd_kafka_resp_err_t *out)
{
        const struct rd_kafka_err_desc *descs;
        size_t cnt;
        char *end;
        long v = strtol(s, &end, 10);

        if (*s && !*end) {
                *out = (rd_kafka_resp_err_t)v;
                return 0;
        }
        rd_kafka_get_err_descs(&descs, &cnt);
        for (size_t i = 0; i < cnt; i++)
                if (descs[i].name && !strcasecmp(descs[i].name, s) && descs[i].code >= 0) {
                        *out = descs[i].code;
                        return 0;
                }
        return -1;
}

static void handle_control(struct mock_state *s, char *line, char *reply, size_t size)
{
        char *argv[4] = {0};
        int argc = 0;

        line[strcspn(line, "\r\n")] = '\0';
        for (char *q = line; *q && argc < 4;) {
                q += strspn(q, " \t");
                if (!*q)
                        break;
                argv[argc++] = q;
                q += strcspn(q, " \t");
                if (*q)
                        *q++ = '\0';
        }
        if (argc == 0) {
                snprintf(reply, size, "error: empty command");
                return;
        }
        if (!strcmp(argv[0], "broker-down") && argc == 1) {
                atomic_store(&s->broker_down, 1);
                rd_kafka_mock_broker_set_down(s->mc, 1);
        } else if (!strcmp(argv[0], "broker-up") && argc == 1) {
                rd_kafka_mock_broker_set_up(s->mc, 1);
                atomic_store(&s->broker_down, 0);
        } else if (!strcmp(argv[0], "latency") && argc == 2) {
                long long ms;
                if (esc_parse_int(argv[1], 0, 600000, &ms)) {
                        snprintf(reply, size,
                                 "error: latency wants milliseconds 0..600000, "
                                 "got '%s'",
                                 argv[1]);
                        return;
                }
                rd_kafka_mock_broker_set_rtt(s->mc, 1, (int)ms);
        } else if ((!strcmp(argv[0], "produce-errors") || !strcmp(argv[0], "fetch-errors")) &&
                   argc == 3) {
                int16_t api = argv[0][0] == 'p' ? 0 /* Produce */ : 1 /* Fetch */;
                long long n;
                rd_kafka_resp_err_t code;
                rd_kafka_resp_err_t errs[MOCK_MAX_ERRORS];

                if (esc_parse_int(argv[1], 1, MOCK_MAX_ERRORS, &n)) {
                        snprintf(reply, size, "error: count must be 1..%d, got '%s'",
                                 MOCK_MAX_ERRORS, argv[1]);
                        return;
                }
                if (parse_err(argv[2], &code)) {
                        snprintf(reply, size,
                                 "error: unknown error code '%s' (a number such as 6, or a "
                                 "name such as NOT_LEADER_FOR_PARTITION)",
                                 argv[2]);
                        return;
                }
                for (long i = 0; i < n; i++)
                        errs[i] = code;
                rd_kafka_mock_push_request_errors_array(s->mc, api, (size_t)n, errs);
        } else if (!strcmp(argv[0], "clear") && argc == 1) {
                rd_kafka_mock_clear_request_errors(s->mc, 0);
                rd_kafka_mock_clear_request_errors(s->mc, 1);
                rd_kafka_mock_broker_set_rtt(s->mc, 1, 0);
                rd_kafka_mock_broker_set_up(s->mc, 1);
                atomic_store(&s->broker_down, 0);
        } else {
                snprintf(reply, size,
                         "error: unknown command '%s' (broker-down, broker-up, latency MS, "
                         "produce-errors N CODE, fetch-errors N CODE, clear)",
                         argv[0]);
                return;
        }
        esc_log(ESC_LOG_WARN, "mock-broker", "fault injected", "command=%s", argv[0]);
        snprintf(reply, size, "ok");
}

static void serve_one(struct mock_state *s, int lfd)
{
        char line[CONTROL_LINE_MAX + 1], reply[512];
        struct timeval tv = {2, 0};
        size_t got = 0;
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0)
                return;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        while (got < CONTROL_LINE_MAX) {
                ssize_t n = read(fd, line + got, CONTROL_LINE_MAX - got);
                if (n <= 0)
                        break;
                got += (size_t)n;
                if (memchr(line, '\n', got))
                        break;
        }
        line[got] = '\0';
        handle_control(s, line, reply, sizeof(reply));
        size_t len = strlen(reply);
        reply[len++] = '\n';
        if (write(fd, reply, len) < 0) {
                /* the client went away; nothing to tell */
        }
        close(fd);
}

static int control_listen(const char *path, char *errbuf, size_t errbuf_size)
{
        struct sockaddr_un sa;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return esc_err(errbuf, errbuf_size, "socket: %s", strerror(errno));
        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        esc_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
        unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0) {
                esc_err(errbuf, errbuf_size, "cannot listen on %s: %s", path, strerror(errno));
                close(fd);
                return -1;
        }
        return fd;
}

int esc_dev_mock_main(int argc, char **argv)
{
        const char *dir = NULL, *prefix = ESC_DEFAULT_TOPIC_PREFIX;
        int partitions = ESC_DEFAULT_PARTITIONS;
        long long n;
        struct mock_paths p;
        struct mock_state s;
        rd_kafka_conf_t *kc;
        rd_kafka_t *rk = NULL;
        char errstr[512], errbuf[1024];
        struct sigaction sa;
        int lfd = -1, rc = 1;
        pthread_t watcher;
        bool watcher_started = false;

        memset(&s, 0, sizeof(s));
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--dir") && i + 1 < argc)
                        dir = argv[++i];
                else if (!strcmp(argv[i], "--partitions") && i + 1 < argc)
                        partitions =
                                esc_parse_int(argv[++i], 1, MOCK_MAX_PARTITIONS, &n) ? -1 : (int)n;
                else if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
                        prefix = argv[++i];
        }
        if (!dir || partitions < 1 || partitions > MOCK_MAX_PARTITIONS) {
                fprintf(stderr,
                        "usage: esc dev mock-broker --dir DIR [--partitions 1..%d] "
                        "[--prefix P] (started by `esc dev up --broker mock`)\n",
                        MOCK_MAX_PARTITIONS);
                return 2;
        }
        if (mock_paths(dir, &p, errbuf, sizeof(errbuf)) ||
            esc_dev_mkdirs(p.dir, errbuf, sizeof(errbuf))) {
                esc_log(ESC_LOG_ERROR, "mock-broker", errbuf, NULL);
                return 1;
        }
        unlink(p.trimmed); /* a new mock starts with empty history */

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        kc = rd_kafka_conf_new();
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, errstr, sizeof(errstr));
        if (!rk) {
                esc_log(ESC_LOG_ERROR, "mock-broker", "cannot create the mock's host handle",
                        "error=\"%s\"", errstr);
                return 1;
        }
        s.mc = rd_kafka_mock_cluster_new(rk, 1);
        if (!s.mc) {
                esc_log(ESC_LOG_ERROR, "mock-broker", "rd_kafka_mock_cluster_new failed", NULL);
                goto out;
        }
        s.partitions = partitions;
        s.trimmed_path = p.trimmed;
        s.low = esc_xcalloc((size_t)MOCK_TOPICS * (size_t)partitions, sizeof(*s.low));
        {
                static const char *const names[MOCK_TOPICS] = {"commands", "events", "deadletter"};
                for (int i = 0; i < MOCK_TOPICS; i++) {
                        snprintf(s.topics[i], sizeof(s.topics[i]), "%s%s", prefix, names[i]);
                        rd_kafka_resp_err_t err =
                                rd_kafka_mock_topic_create(s.mc, s.topics[i], partitions, 1);
                        if (err) {
                                esc_log(ESC_LOG_ERROR, "mock-broker", "cannot create topic",
                                        "topic=%s error=\"%s\"", s.topics[i],
                                        rd_kafka_err2str(err));
                                goto out;
                        }
                }
        }
        const char *boot = rd_kafka_mock_cluster_bootstraps(s.mc);
        kc = rd_kafka_conf_new();
        if (rd_kafka_conf_set(kc, "bootstrap.servers", boot, errstr, sizeof(errstr)) ||
            !(s.watcher = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr, sizeof(errstr)))) {
                esc_log(ESC_LOG_ERROR, "mock-broker", "cannot create the watermark watcher",
                        "error=\"%s\"", errstr);
                goto out;
        }
        lfd = control_listen(p.sock, errbuf, sizeof(errbuf));
        if (lfd < 0) {
                esc_log(ESC_LOG_ERROR, "mock-broker", errbuf, NULL);
                goto out;
        }
        {
                char line[300];
                snprintf(line, sizeof(line), "%s\n", boot);
                /* Written last: its presence tells `up` that we are serving. */
                if (esc_dev_file_write(p.boot, line, errbuf, sizeof(errbuf))) {
                        esc_log(ESC_LOG_ERROR, "mock-broker", errbuf, NULL);
                        goto out;
                }
        }
        esc_log(ESC_LOG_INFO, "mock-broker", "serving", "bootstraps=%s partitions=%d control=%s",
                boot, partitions, p.sock);

        if (pthread_create(&watcher, NULL, watcher_main, &s) != 0) {
                esc_log(ESC_LOG_ERROR, "mock-broker", "cannot start the watermark watcher", NULL);
                goto out;
        }
        watcher_started = true;
        while (!mock_stop) {
                struct pollfd pfd = {lfd, POLLIN, 0};
                int n = poll(&pfd, 1, 500);
                if (n > 0 && (pfd.revents & POLLIN))
                        serve_one(&s, lfd);
        }
        esc_log(ESC_LOG_INFO, "mock-broker", "stopping (history is discarded)", NULL);
        rc = 0;
out:
        if (watcher_started) {
                /* A scan in flight finishes once the broker answers again. */
                atomic_store(&s.stop, 1);
                rd_kafka_mock_broker_set_rtt(s.mc, 1, 0);
                rd_kafka_mock_broker_set_up(s.mc, 1);
                pthread_join(watcher, NULL);
        }
        if (lfd >= 0) {
                close(lfd);
                unlink(p.sock);
        }
        unlink(p.boot);
        if (s.watcher)
                rd_kafka_destroy(s.watcher);
        if (s.mc)
                rd_kafka_mock_cluster_destroy(s.mc);
        if (rk)
                rd_kafka_destroy(rk);
        free(s.low);
        return rc;
}

/* ---- the CLI side ---- */

int esc_dev_mock_control(const char *dir, const char *line, char *reply, size_t reply_size,
                         char *errbuf, size_t errbuf_size)
{
        struct mock_paths p;
        struct sockaddr_un sa;
        struct timeval tv = {30, 0};
        size_t got = 0;
        int fd;

        if (mock_paths(dir, &p, errbuf, errbuf_size))
                return -1;
        if (strlen(line) > CONTROL_LINE_MAX - 1)
                return esc_err(errbuf, errbuf_size, "fault command longer than %d bytes",
                               CONTROL_LINE_MAX - 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return esc_err(errbuf, errbuf_size, "socket: %s", strerror(errno));
        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        esc_strlcpy(sa.sun_path, p.sock, sizeof(sa.sun_path));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
                close(fd);
                return esc_err(errbuf, errbuf_size,
                               "no mock broker answers on %s (%s): start one with "
                               "`esc dev up --broker mock`",
                               p.sock, strerror(errno));
        }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0) {
                close(fd);
                return esc_err(errbuf, errbuf_size, "write to %s: %s", p.sock, strerror(errno));
        }
        while (got + 1 < reply_size) {
                ssize_t n = read(fd, reply + got, reply_size - 1 - got);
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(fd);
        reply[got] = '\0';
        reply[strcspn(reply, "\n")] = '\0';
        if (got == 0)
                return esc_err(errbuf, errbuf_size, "the mock broker did not reply on %s", p.sock);
        return 0;
}

static const char *self_exe(char *buf, size_t size)
{
        ssize_t n = readlink("/proc/self/exe", buf, size - 1);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        return buf;
}

int esc_dev_mock_up(const esc_config_t *conf, const char *dir, char *address, size_t address_size,
                    char *errbuf, size_t errbuf_size)
{
        struct mock_paths p;
        char marker[ESC_DEV_PATH_MAX + 64], exe[ESC_DEV_PATH_MAX], parts[16];
        long long partitions;
        const char *prefix = esc_config_str(conf, "kafka.topic_prefix", ESC_DEFAULT_TOPIC_PREFIX);
        int64_t deadline;
        pid_t pid;

        if (mock_paths(dir, &p, errbuf, errbuf_size) || esc_dev_mkdirs(p.dir, errbuf, errbuf_size))
                return -1;
        if (esc_config_number(conf, "dev.partitions", ESC_DEFAULT_PARTITIONS, 1,
                              MOCK_MAX_PARTITIONS, &partitions, errbuf, errbuf_size))
                return -1;
        mock_marker(dir, marker, sizeof(marker));
        pid = esc_dev_pid_read(p.pid);
        if (esc_dev_pid_is_ours(pid, marker)) {
                esc_dev_file_read(p.boot, address, address_size);
                address[strcspn(address, "\n")] = '\0';
                esc_dev_progress("the mock broker is already running (pid %ld) at %s", (long)pid,
                                 address);
                return esc_dev_kafka_wait_ready(address, pid, 10000, p.log, errbuf, errbuf_size);
        }
        if (!self_exe(exe, sizeof(exe)))
                return esc_err(errbuf, errbuf_size, "cannot find the esc binary (/proc/self/exe)");
        unlink(p.boot);
        esc_dev_log_rotate(p.log);
        snprintf(parts, sizeof(parts), "%lld", partitions);
        {
                char *argv[] = {
                        exe,   "dev",      "mock-broker",  "--dir", (char *)dir, "--partitions",
                        parts, "--prefix", (char *)prefix, NULL};
                pid = esc_dev_spawn(argv, p.log, (uid_t)-1, (gid_t)-1, errbuf, errbuf_size);
        }
        if (pid < 0)
                return -1;
        if (esc_dev_pid_write(p.pid, pid))
                return esc_err(errbuf, errbuf_size, "cannot write %s", p.pid);
        esc_dev_progress("starting the mock broker (pid %ld); log %s", (long)pid, p.log);
        deadline = esc_mono_us() + 10 * ESC_USEC_PER_SEC;
        while (esc_dev_file_read(p.boot, address, address_size) <= 0) {
                char tail[1500];
                if (!esc_dev_pid_alive(pid) || esc_mono_us() > deadline) {
                        esc_dev_file_tail(p.log, tail, sizeof(tail));
                        return esc_err(errbuf, errbuf_size,
                                       "the mock broker did not start; last lines of %s:\n%s",
                                       p.log, tail);
                }
                usleep(50 * 1000);
        }
        address[strcspn(address, "\n")] = '\0';
        return esc_dev_kafka_wait_ready(address, pid, 10000, p.log, errbuf, errbuf_size);
}

int esc_dev_mock_down(const char *dir, char *errbuf, size_t errbuf_size)
{
        struct mock_paths p;
        char marker[ESC_DEV_PATH_MAX + 64];
        pid_t pid;

        if (mock_paths(dir, &p, errbuf, errbuf_size))
                return -1;
        mock_marker(dir, marker, sizeof(marker));
        pid = esc_dev_pid_read(p.pid);
        if (esc_dev_pid_is_ours(pid, marker)) {
                esc_dev_progress("stopping the mock broker (pid %ld); its history is discarded",
                                 (long)pid);
                if (esc_dev_pid_stop(pid, SIGTERM, 5000))
                        return esc_err(errbuf, errbuf_size, "mock broker (pid %ld) did not stop",
                                       (long)pid);
        }
        unlink(p.pid);
        unlink(p.boot);
        unlink(p.sock);
        return 0;
}

void esc_dev_mock_status(const char *dir, esc_dev_kafka_status_t *st)
{
        struct mock_paths p;
        char marker[ESC_DEV_PATH_MAX + 64];

        memset(st, 0, sizeof(*st));
        if (mock_paths(dir, &p, NULL, 0))
                return;
        mock_marker(dir, marker, sizeof(marker));
        st->pid = esc_dev_pid_read(p.pid);
        st->running = esc_dev_pid_is_ours(st->pid, marker);
        if (!st->running)
                return;
        esc_dev_file_read(p.boot, st->address, sizeof(st->address));
        st->address[strcspn(st->address, "\n")] = '\0';
        if (st->address[0])
                st->healthy = esc_dev_kafka_ping(st->address, 3000);
}
