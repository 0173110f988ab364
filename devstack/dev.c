/* dev.c — `esc dev up | down | status | fault`: the embedded dev stack.
 *
 * One command gives a developer (and the integration-test fixture) a Kafka
 * broker and a PostgreSQL cluster on free loopback ports, and writes their
 * addresses to $ESC_DEV_DIR/env, which every other esc command reads as
 * its lowest-precedence configuration. The parts live in broker.c (real
 * Kafka), mock.c (librdkafka mock cluster) and pg.c; this file is the CLI
 * and the env file. Every verb is idempotent: `up` on a running stack
 * checks it and succeeds, `down` on a stopped one does nothing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "devstack/devstack.h"
#include "core/util.h"

static void dev_usage(FILE *out)
{
        fprintf(out,
                "usage: esc dev up [--broker kafka|mock]\n"
                "       esc dev down\n"
                "       esc [--json] dev status\n"
                "       esc dev fault COMMAND   (mock broker only)\n"
                "\n"
                "The embedded dev stack in $ESC_DEV_DIR (default ./.esc): a Kafka broker and a\n"
                "private PostgreSQL cluster on free 127.0.0.1 ports. `up` writes their\n"
                "addresses to $ESC_DEV_DIR/env (ESC_KAFKA_BROKERS, ESC_PG_URL, ESC_DEV_BROKER),\n"
                "which every esc command reads.\n"
                "\n"
                "  up       start what is not running and wait until both answer (idempotent).\n"
                "           --broker kafka (default): Apache Kafka " ESC_DEV_KAFKA_VERSION
                " in KRaft mode from\n"
                "             the official jars (fetched once with Maven into\n"
                "             ~/.cache/esc, or $ESC_KAFKA_CACHE); data in "
                "$ESC_DEV_DIR/kafka/data,\n"
                "             so history and ports survive down + up.\n"
                "           --broker mock: librdkafka's in-memory mock cluster. Instant, with\n"
                "             fault injection, but its port changes at every start, its history\n"
                "             does not survive a restart, and it keeps only ~5 MiB per\n"
                "             partition: it warns in its log and in `status` when it dropped\n"
                "             old records.\n"
                "           Topics <kafka.topic_prefix>commands|events|deadletter with\n"
                "           dev.partitions partitions each (default esc., 12).\n"
                "  down     stop both parts (SIGTERM, then SIGKILL after a timeout).\n"
                "  status   both parts, their addresses and health; exit 0 if both are healthy.\n"
                "  fault    inject a fault into the running mock broker:\n"
                "             broker-down              the broker drops connections and refuses "
                "new ones\n"
                "             broker-up                back to normal\n"
                "             latency MS               add MS milliseconds to every response\n"
                "             produce-errors N CODE    fail the next N Produce requests with CODE\n"
                "             fetch-errors N CODE      fail the next N Fetch requests with CODE\n"
                "             clear                    drop pending errors, latency; broker up\n"
                "           CODE is a Kafka error number (e.g. 6) or name "
                "(NOT_LEADER_FOR_PARTITION).\n"
                "\n"
                "environment: ESC_DEV_DIR, ESC_KAFKA_CACHE, ESC_PG_BINDIR, ESC_SOURCE_DIR\n");
}

/* The dev dir as an absolute path (pid markers and configs name it).
 * Only `up` creates it; the other verbs return 1 if it does not exist. */
static int dev_dir(char *out, size_t size, bool create, char *errbuf, size_t errbuf_size)
{
        const char *d = esc_config_dev_dir();
        char real[PATH_MAX];

        if (!create && access(d, F_OK) != 0) {
                esc_err(errbuf, errbuf_size, "no dev stack in %s (run `esc dev up`)", d);
                return 1;
        }
        if (create && esc_dev_mkdirs(d, errbuf, errbuf_size))
                return -1;
        if (!realpath(d, real))
                return esc_err(errbuf, errbuf_size, "cannot resolve %s: %s", d, strerror(errno));
        if (esc_strlcpy(out, real, size) >= size || strlen(real) > 200)
                return esc_err(errbuf, errbuf_size,
                               "ESC_DEV_DIR %s is too long (at most 200 bytes: unix sockets "
                               "live inside it)",
                               real);
        return 0;
}

/* Serializes `up` and `down` on one dev dir (two shells, or a test and a
 * developer, must not start two brokers on the same data). The lock is
 * held until the process exits. */
static int lock_dir(const char *dir, char *errbuf, size_t errbuf_size)
{
        char path[ESC_DEV_PATH_MAX];
        int fd;

        if (esc_dev_path(path, sizeof(path), errbuf, errbuf_size, "%s/.lock", dir))
                return -1;
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return esc_err(errbuf, errbuf_size, "cannot open %s: %s", path, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
                esc_dev_progress("another esc dev up/down is running in %s; waiting for it", dir);
                flock(fd, LOCK_EX);
        }
        return fd;
}

static int write_env(const char *dir, const char *brokers, const char *pg_url, const char *kind,
                     char *errbuf, size_t errbuf_size)
{
        char path[ESC_DEV_PATH_MAX], text[1024];

        if (esc_dev_path(path, sizeof(path), errbuf, errbuf_size, "%s/env", dir))
                return -1;
        snprintf(text, sizeof(text),
                 "# Written by `esc dev up`; removed by `esc dev down`. Shell-sourceable.\n"
                 "ESC_KAFKA_BROKERS=%s\n"
                 "ESC_PG_URL=%s\n"
                 "ESC_DEV_BROKER=%s\n",
                 brokers, pg_url, kind);
        return esc_dev_file_write(path, text, errbuf, errbuf_size);
}

static int dev_up(esc_cli_t *cli, int argc, char **argv)
{
        char dir[ESC_DEV_PATH_MAX], errbuf[4096], brokers[256], url[256];
        const char *kind = NULL;
        esc_dev_kafka_status_t other;

        for (int i = 2; i < argc; i++) {
                if (!strcmp(argv[i], "--broker") && i + 1 < argc)
                        kind = argv[++i];
                else if (!strncmp(argv[i], "--broker=", 9))
                        kind = argv[i] + 9;
                else
                        return esc_cli_fail(ESC_EXIT_USAGE, "dev up",
                                            "unknown option '%s'; see esc dev --help", argv[i]);
        }
        if (dev_dir(dir, sizeof(dir), true, errbuf, sizeof(errbuf)))
                return esc_cli_fail(ESC_EXIT_RUNTIME, "dev up", "%s", errbuf);
        if (lock_dir(dir, errbuf, sizeof(errbuf)) < 0)
                return esc_cli_fail(ESC_EXIT_RUNTIME, "dev up", "%s", errbuf);
        if (!kind) {
                /* No --broker: keep whichever broker runs, else the real one. */
                esc_dev_mock_status(dir, &other);
                kind = other.running ? "mock" : "kafka";
        }
        if (strcmp(kind, "kafka") && strcmp(kind, "mock"))
                return esc_cli_fail(ESC_EXIT_USAGE, "dev up",
                                    "--broker is 'kafka' or 'mock', not '%s'", kind);

        /* One broker per dev dir: the env file can only name one. */
        if (!strcmp(kind, "kafka"))
                esc_dev_mock_status(dir, &other);
        else
                esc_dev_kafka_status(dir, &other);
        if (other.running)
                return esc_cli_fail(ESC_EXIT_USAGE, "dev up",
                                    "the %s broker is running in %s (pid %ld); run `esc dev down` "
                                    "first to switch to --broker %s",
                                    strcmp(kind, "kafka") ? "real Kafka" : "mock", dir,
                                    (long)other.pid, kind);

        if (!strcmp(kind, "kafka") ? esc_dev_kafka_up(cli->conf, dir, brokers, sizeof(brokers),
                                                      errbuf, sizeof(errbuf))
                                   : esc_dev_mock_up(cli->conf, dir, brokers, sizeof(brokers),
                                                     errbuf, sizeof(errbuf)))
                return esc_cli_fail(ESC_EXIT_RUNTIME, "dev up", "%s broker: %s", kind, errbuf);
        if (esc_dev_pg_up(dir, url, sizeof(url), errbuf, sizeof(errbuf)))
                return esc_cli_fail(ESC_EXIT_RUNTIME, "dev up", "PostgreSQL: %s", errbuf);
        if (write_env(dir, brokers, url, kind, errbuf, sizeof(errbuf)))
                return esc_cli_fail(ESC_EXIT_RUNTIME, "dev up", "%s", errbuf);

        if (cli->json)
                printf("{\"broker\":\"%s\",\"kafka\":\"%s\",\"postgres\":\"%s\",\"env\":\"%s/"
                       "env\"}\n",
                       kind, brokers, url, dir);
        else
                printf("dev stack up (%s broker)\n"
                       "  ESC_KAFKA_BROKERS=%s\n"
                       "  ESC_PG_URL=%s\n"
                       "  written to %s/env\n",
                       kind, brokers, url, dir);
        return ESC_EXIT_OK;
}

static int dev_down(int argc, char **argv)
{
        char dir[ESC_DEV_PATH_MAX], errbuf[2048], env[ESC_DEV_PATH_MAX];
        int rc = ESC_EXIT_OK;

        if (argc > 2)
                return esc_cli_fail(ESC_EXIT_USAGE, "dev down", "unexpected argument '%s'",
                                    argv[2]);
        int r = dev_dir(dir, sizeof(dir), false, errbuf, sizeof(errbuf));
        if (r > 0) {
                printf("dev stack down (%s did not exist)\n", esc_config_dev_dir());
                return ESC_EXIT_OK;
        }
        if (r < 0)
                return esc_cli_fail(ESC_EXIT_RUNTIME, "dev down", "%s", errbuf);
        if (lock_dir(dir, errbuf, sizeof(errbuf)) < 0)
                return esc_cli_fail(ESC_EXIT_RUNTIME, "dev down", "%s", errbuf);
        /* Stop everything even if one part fails, so nothing is left behind. */
        if (esc_dev_mock_down(dir, errbuf, sizeof(errbuf)))
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "dev down", "%s", errbuf);
        if (esc_dev_kafka_down(dir, errbuf, sizeof(errbuf)))
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "dev down", "%s", errbuf);
        if (esc_dev_pg_down(dir, errbuf, sizeof(errbuf)))
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "dev down", "%s", errbuf);
        if (esc_dev_path(env, sizeof(env), NULL, 0, "%s/env", dir) == 0)
                unlink(env);
        if (rc == ESC_EXIT_OK)
                printf("dev stack down (%s)\n", dir);
        return rc;
}

/* Lines "topic partition low" from mock/trimmed, into a JSON array. */
static json_t *trimmed_list(const char *dir)
{
        char path[ESC_DEV_PATH_MAX], buf[64 * 1024];
        json_t *arr = json_array();

        if (esc_dev_path(path, sizeof(path), NULL, 0, "%s/mock/trimmed", dir) ||
            esc_dev_file_read(path, buf, sizeof(buf)) <= 0)
                return arr;
        for (char *line = buf; line && *line;) {
                char *nl = strchr(line, '\n');
                char topic[256];
                int part;
                long long low;
                if (nl)
                        *nl = '\0';
                if (sscanf(line, "%255s %d %lld", topic, &part, &low) == 3)
                        json_array_append_new(arr, json_pack("{s:s, s:i, s:I}", "topic", topic,
                                                             "partition", part, "low_watermark",
                                                             (json_int_t)low));
                line = nl ? nl + 1 : NULL;
        }
        return arr;
}

static int dev_status(esc_cli_t *cli, int argc, char **argv)
{
        char dir[ESC_DEV_PATH_MAX], errbuf[1024];
        esc_dev_kafka_status_t k, m;
        esc_dev_pg_status_t pg;
        const esc_dev_kafka_status_t *b;
        const char *kind;
        json_t *trimmed;
        bool ok;

        if (argc > 2 && strcmp(argv[2], "--json"))
                return esc_cli_fail(ESC_EXIT_USAGE, "dev status", "unexpected argument '%s'",
                                    argv[2]);
        if (argc > 2)
                cli->json = true;
        if (dev_dir(dir, sizeof(dir), false, errbuf, sizeof(errbuf))) {
                if (cli->json)
                        printf("{\"dir\":null,\"healthy\":false}\n");
                return esc_cli_fail(ESC_EXIT_RUNTIME, "dev status", "%s", errbuf);
        }
        esc_dev_kafka_status(dir, &k);
        esc_dev_mock_status(dir, &m);
        esc_dev_pg_status(dir, &pg);
        b = m.running ? &m : &k;
        kind = m.running ? "mock" : "kafka";
        trimmed = trimmed_list(dir);
        ok = b->running && b->healthy && pg.running && pg.healthy;

        if (cli->json) {
                json_t *o = json_pack(
                        "{s:s, s:s, s:b, s:{s:b, s:b, s:s, s:I}, s:{s:b, s:b, s:s, s:I}, s:O}",
                        "dir", dir, "broker", kind, "healthy", ok, "kafka", "running", b->running,
                        "healthy", b->healthy, "address", b->address, "pid",
                        (json_int_t)(b->running ? b->pid : 0), "postgres", "running", pg.running,
                        "healthy", pg.healthy, "url", pg.url, "pid",
                        (json_int_t)(pg.running ? pg.pid : 0), "history_trimmed", trimmed);
                char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
                if (s)
                        printf("%s\n", s);
                free(s);
                json_decref(o);
        } else {
                printf("dev stack in %s\n", dir);
                char kpid[32] = "", ppid[32] = "";
                if (b->running)
                        snprintf(kpid, sizeof(kpid), ", pid %ld", (long)b->pid);
                if (pg.running)
                        snprintf(ppid, sizeof(ppid), " (pid %ld)", (long)pg.pid);
                printf("  kafka     %-8s %-9s %s (%s%s%s)\n", b->running ? "running" : "stopped",
                       b->running ? (b->healthy ? "healthy" : "unhealthy") : "-",
                       b->address[0] ? b->address : "-",
                       m.running ? "librdkafka mock broker" : "Apache Kafka " ESC_DEV_KAFKA_VERSION,
                       m.running ? ", in memory" : ", KRaft", kpid);
                printf("  postgres  %-8s %-9s %s%s\n", pg.running ? "running" : "stopped",
                       pg.running ? (pg.healthy ? "healthy" : "unhealthy") : "-",
                       pg.url[0] ? pg.url : "-", ppid);
                for (size_t i = 0; i < json_array_size(trimmed); i++) {
                        json_t *t = json_array_get(trimmed, i);
                        printf("  WARNING: history trimmed on %s/%lld (low watermark %lld): the "
                               "mock broker dropped the oldest records\n",
                               json_string_value(json_object_get(t, "topic")),
                               (long long)json_integer_value(json_object_get(t, "partition")),
                               (long long)json_integer_value(json_object_get(t, "low_watermark")));
                }
        }
        json_decref(trimmed);
        return ok ? ESC_EXIT_OK : ESC_EXIT_RUNTIME;
}

static int dev_fault(int argc, char **argv)
{
        char dir[ESC_DEV_PATH_MAX], errbuf[1024], line[256] = "", reply[512];
        size_t len = 0;

        if (argc < 3)
                return esc_cli_fail(ESC_EXIT_USAGE, "dev fault",
                                    "missing COMMAND; see esc dev --help");
        for (int i = 2; i < argc; i++) {
                size_t n = strlen(argv[i]);
                if (len + n + 2 > sizeof(line))
                        return esc_cli_fail(ESC_EXIT_USAGE, "dev fault", "command too long");
                if (len)
                        line[len++] = ' ';
                memcpy(line + len, argv[i], n + 1);
                len += n;
        }
        if (dev_dir(dir, sizeof(dir), false, errbuf, sizeof(errbuf)) ||
            esc_dev_mock_control(dir, line, reply, sizeof(reply), errbuf, sizeof(errbuf)))
                return esc_cli_fail(ESC_EXIT_RUNTIME, "dev fault", "%s", errbuf);
        if (strncmp(reply, "ok", 2))
                return esc_cli_fail(ESC_EXIT_USAGE, "dev fault", "%s", reply);
        printf("%s: %s\n", line, reply);
        return ESC_EXIT_OK;
}

int esc_cmd_dev(esc_cli_t *cli, int argc, char **argv)
{
        const char *verb = argc > 1 ? argv[1] : NULL;

        if (!verb || !strcmp(verb, "-h") || !strcmp(verb, "--help") || !strcmp(verb, "help")) {
                dev_usage(verb ? stdout : stderr);
                return verb ? ESC_EXIT_OK : ESC_EXIT_USAGE;
        }
        if (!strcmp(verb, "mock-broker")) /* hidden: started by `up --broker mock` */
                return esc_dev_mock_main(argc - 1, argv + 1);
        if (esc_cli_wants_help(argc, argv)) {
                dev_usage(stdout);
                return ESC_EXIT_OK;
        }
        if (!strcmp(verb, "up"))
                return dev_up(cli, argc, argv);
        if (!strcmp(verb, "down"))
                return dev_down(argc, argv);
        if (!strcmp(verb, "status"))
                return dev_status(cli, argc, argv);
        if (!strcmp(verb, "fault"))
                return dev_fault(argc, argv);
        return esc_cli_fail(ESC_EXIT_USAGE, "dev", "unknown verb '%s' (up, down, status, fault)",
                            verb);
}
