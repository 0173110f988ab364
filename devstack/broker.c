/* broker.c — the dev stack's real Apache Kafka broker (KRaft, single node).
 *
 * The broker is the official kafka_2.13 jars from Maven Central, fetched by
 * scripts/kafka/pom.xml once per machine into a cache
 * (~/.cache/esc/kafka-<version>/lib, or $ESC_KAFKA_CACHE) and linked into
 * $ESC_DEV_DIR/kafka/lib, so CI and every dev dir share one download. A
 * stamp file holding the pom's SHA-256 says whether the cache matches the
 * pom; editing the pom fetches again. The storage under kafka/data is
 * formatted once and the ports are kept in kafka/ports, so `down` + `up`
 * brings back the same broker with the same history at the same address.
 *
 * Readiness is judged the way our own clients see the broker: a librdkafka
 * metadata request that lists a broker, then the topics are created with
 * the Admin API (existing ones are fine). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <openssl/evp.h>

#include "devstack/devstack.h"
#include "core/util.h"
#include "runtime/sys.h"

#define BROKER_WAIT_MS 90000
#define BROKER_STOP_MS 30000

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
        (void)rk, (void)level, (void)fac, (void)buf;
}

/* A producer handle used only for metadata and admin requests; librdkafka's
 * "connection refused" noise while the broker boots is silenced. */
static rd_kafka_t *admin_handle(const char *bootstraps, char *errbuf, size_t errbuf_size)
{
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        char errstr[256];
        rd_kafka_t *rk;

        if (rd_kafka_conf_set(kc, "bootstrap.servers", bootstraps, errstr, sizeof(errstr)) ||
            rd_kafka_conf_set(kc, "reconnect.backoff.max.ms", "500", errstr, sizeof(errstr))) {
                rd_kafka_conf_destroy(kc);
                esc_err(errbuf, errbuf_size, "bootstrap %s: %s", bootstraps, errstr);
                return NULL;
        }
        rd_kafka_conf_set_log_cb(kc, quiet_log);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, errstr, sizeof(errstr));
        if (!rk) {
                esc_err(errbuf, errbuf_size, "cannot create a Kafka client: %s", errstr);
                return NULL;
        }
        return rk;
}

static bool metadata_ok(rd_kafka_t *rk, int timeout_ms)
{
        const struct rd_kafka_metadata *md = NULL;
        bool ok;

        if (rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
                return false;
        ok = md->broker_cnt > 0;
        rd_kafka_metadata_destroy(md);
        return ok;
}

bool esc_dev_kafka_ping(const char *bootstraps, int timeout_ms)
{
        rd_kafka_t *rk = admin_handle(bootstraps, NULL, 0);
        bool ok;

        if (!rk)
                return false;
        ok = metadata_ok(rk, timeout_ms);
        rd_kafka_destroy(rk);
        return ok;
}

int esc_dev_kafka_wait_ready(const char *bootstraps, pid_t pid, int timeout_ms,
                             const char *log_path, char *errbuf, size_t errbuf_size)
{
        int64_t deadline = esc_mono_us() + (int64_t)timeout_ms * 1000;
        rd_kafka_t *rk = admin_handle(bootstraps, errbuf, errbuf_size);
        char tail[1500];

        if (!rk)
                return -1;
        while (esc_mono_us() < deadline) {
                if (pid > 0 && !esc_dev_pid_alive(pid)) {
                        rd_kafka_destroy(rk);
                        esc_dev_file_tail(log_path, tail, sizeof(tail));
                        return esc_err(errbuf, errbuf_size,
                                       "the broker (pid %ld) exited during startup; last lines of "
                                       "%s:\n%s",
                                       (long)pid, log_path, tail);
                }
                if (metadata_ok(rk, 1000)) {
                        rd_kafka_destroy(rk);
                        return 0;
                }
        }
        rd_kafka_destroy(rk);
        esc_dev_file_tail(log_path, tail, sizeof(tail));
        return esc_err(errbuf, errbuf_size,
                       "the broker at %s did not answer a metadata request within %d s; last "
                       "lines of %s:\n%s",
                       bootstraps, timeout_ms / 1000, log_path, tail);
}

/* Existing topics keep their partition count; say so when dev.partitions
 * asks for another one, since partition counts must stay equal (DESIGN). */
static void warn_partition_mismatch(rd_kafka_t *rk, const esc_config_t *conf,
                                    const char *const *names, int n, int partitions)
{
        for (int i = 0; i < n; i++) {
                char topic[256];
                const struct rd_kafka_metadata *md = NULL;
                rd_kafka_topic_t *rkt;

                esc_config_topic(conf, names[i], topic, sizeof(topic));
                rkt = rd_kafka_topic_new(rk, topic, NULL);
                if (!rkt)
                        continue;
                if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                    md->topic_cnt == 1 && !md->topics[0].err &&
                    md->topics[0].partition_cnt != partitions)
                        esc_dev_progress(
                                "WARNING: topic %s has %d partitions but dev.partitions "
                                "is %d; existing topics are not changed (to recreate: "
                                "esc dev down, delete $ESC_DEV_DIR/kafka/data, esc dev up)",
                                topic, md->topics[0].partition_cnt, partitions);
                if (md)
                        rd_kafka_metadata_destroy(md);
                rd_kafka_topic_destroy(rkt);
        }
}

int esc_dev_kafka_create_topics(const esc_config_t *conf, const char *bootstraps, int timeout_ms,
                                char *errbuf, size_t errbuf_size)
{
        static const char *const names[] = {"commands", "events", "deadletter"};
        int64_t deadline = esc_mono_us() + (int64_t)timeout_ms * 1000;
        long long partitions;
        rd_kafka_t *rk;
        char errstr[512];
        int rc = -1;

        if (esc_config_number(conf, "dev.partitions", ESC_DEFAULT_PARTITIONS, 1, 1000, &partitions,
                              errbuf, errbuf_size))
                return -1;
        rk = admin_handle(bootstraps, errbuf, errbuf_size);
        if (!rk)
                return -1;

        /* Retry while the new controller is still electing itself: its
         * errors then are retriable, anything else is final. */
        while (rc != 0 && esc_mono_us() < deadline) {
                rd_kafka_NewTopic_t *nt[3] = {0};
                rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
                rd_kafka_event_t *ev = NULL;
                bool retry = false;
                char tbuf[3][256];

                for (int i = 0; i < 3; i++) {
                        esc_config_topic(conf, names[i], tbuf[i], sizeof(tbuf[i]));
                        nt[i] = rd_kafka_NewTopic_new(tbuf[i], (int)partitions, 1, errstr,
                                                      sizeof(errstr));
                        if (!nt[i]) {
                                esc_err(errbuf, errbuf_size, "topic %s: %s", tbuf[i], errstr);
                                goto round_done;
                        }
                }
                /* The ledger keeps history forever (DESIGN §7). */
                rd_kafka_NewTopic_set_config(nt[1], "retention.ms", "-1");
                rd_kafka_NewTopic_set_config(nt[1], "cleanup.policy", "delete");

                rd_kafka_CreateTopics(rk, nt, 3, NULL, q);
                ev = rd_kafka_queue_poll(q, 15000);
                if (!ev) {
                        esc_err(errbuf, errbuf_size, "CreateTopics on %s timed out", bootstraps);
                        retry = true;
                        goto round_done;
                }
                if (rd_kafka_event_error(ev)) {
                        esc_err(errbuf, errbuf_size, "CreateTopics on %s: %s", bootstraps,
                                rd_kafka_event_error_string(ev));
                        retry = true;
                        goto round_done;
                }
                {
                        const rd_kafka_CreateTopics_result_t *res =
                                rd_kafka_event_CreateTopics_result(ev);
                        size_t cnt = 0;
                        const rd_kafka_topic_result_t **tr =
                                rd_kafka_CreateTopics_result_topics(res, &cnt);
                        rc = 0;
                        for (size_t i = 0; i < cnt; i++) {
                                rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
                                if (e == RD_KAFKA_RESP_ERR_NO_ERROR ||
                                    e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                                        continue;
                                esc_err(errbuf, errbuf_size, "creating topic %s: %s",
                                        rd_kafka_topic_result_name(tr[i]),
                                        rd_kafka_topic_result_error_string(tr[i])
                                                ? rd_kafka_topic_result_error_string(tr[i])
                                                : rd_kafka_err2str(e));
                                rc = -1;
                                retry = e != RD_KAFKA_RESP_ERR_INVALID_CONFIG &&
                                        e != RD_KAFKA_RESP_ERR_INVALID_PARTITIONS &&
                                        e != RD_KAFKA_RESP_ERR_POLICY_VIOLATION;
                        }
                }
        round_done:
                if (ev)
                        rd_kafka_event_destroy(ev);
                rd_kafka_queue_destroy(q);
                rd_kafka_NewTopic_destroy_array(nt, 3);
                if (rc != 0 && !retry)
                        break;
                if (rc != 0) {
                        struct timespec ts = {0, 500 * 1000000L};
                        nanosleep(&ts, NULL);
                }
        }
        if (rc == 0)
                warn_partition_mismatch(rk, conf, names, 3, partitions);
        rd_kafka_destroy(rk);
        return rc;
}

/* ---- jars ---- */

static const char *source_dir(void)
{
        const char *s = getenv("ESC_SOURCE_DIR");
        return s && *s ? s : ESC_SOURCE_DIR;
}

static int sha256_file(const char *path, char hex[65], char *errbuf, size_t errbuf_size)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        esc_buf_t b;

        esc_buf_init(&b, 1 << 20);
        if (esc_read_file(path, 1 << 20, &b, errbuf, errbuf_size)) {
                esc_buf_free(&b);
                return -1;
        }
        if (!EVP_Digest(b.data ? b.data : "", b.len, md, &mdlen, EVP_sha256(), NULL)) {
                esc_buf_free(&b);
                return esc_err(errbuf, errbuf_size, "sha256 of %s failed", path);
        }
        esc_buf_free(&b);
        for (unsigned int i = 0; i < mdlen && i < 32; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        hex[64] = '\0';
        return 0;
}

/* Finds an executable in $PATH (then the Debian default dir). */
static int find_exe(const char *name, const char *fallback, char *out, size_t size)
{
        const char *path = getenv("PATH");
        char dir[ESC_DEV_PATH_MAX];

        while (path && *path) {
                size_t n = strcspn(path, ":");
                if (n > 0 && n < sizeof(dir)) {
                        memcpy(dir, path, n);
                        dir[n] = '\0';
                        if (snprintf(out, size, "%s/%s", dir, name) < (int)size &&
                            access(out, X_OK) == 0)
                                return 0;
                }
                path += n;
                if (*path == ':')
                        path++;
        }
        if (access(fallback, X_OK) == 0) {
                esc_strlcpy(out, fallback, size);
                return 0;
        }
        return -1;
}

static bool stamp_matches(const char *lib, const char *hash)
{
        char path[ESC_DEV_PATH_MAX], buf[128];

        if (esc_dev_path(path, sizeof(path), NULL, 0, "%s/.esc-stamp", lib))
                return false;
        if (esc_dev_file_read(path, buf, sizeof(buf)) <= 0)
                return false;
        buf[strcspn(buf, "\n")] = '\0';
        return !strcmp(buf, hash);
}

static int rm_rf(const char *path)
{
        char *argv[] = {"/bin/rm", "-rf", (char *)path, NULL};
        return esc_dev_run(argv, NULL, (uid_t)-1, (gid_t)-1, NULL, 0);
}

/* Fills cache_lib with a lib dir whose stamp matches the pom, running Maven
 * under a lock if needed (two concurrent `up`s fetch once). */
static int fetch_jars(const char *cache, const char *pom, const char *hash, char *cache_lib,
                      size_t cache_lib_size, char *errbuf, size_t errbuf_size)
{
        char lock[ESC_DEV_PATH_MAX], tmp[ESC_DEV_PATH_MAX], log[ESC_DEV_PATH_MAX];
        char mvn[ESC_DEV_PATH_MAX], outdir_arg[ESC_DEV_PATH_MAX + 32], stamp[ESC_DEV_PATH_MAX];
        char tail[1500], hashline[80];
        int fd, rc = -1;

        if (esc_dev_path(cache_lib, cache_lib_size, errbuf, errbuf_size, "%s/lib", cache) ||
            esc_dev_path(lock, sizeof(lock), errbuf, errbuf_size, "%s/.lock", cache) ||
            esc_dev_path(tmp, sizeof(tmp), errbuf, errbuf_size, "%s/lib.tmp.%ld", cache,
                         (long)getpid()) ||
            esc_dev_path(log, sizeof(log), errbuf, errbuf_size, "%s/maven.log", cache) ||
            esc_dev_path(stamp, sizeof(stamp), errbuf, errbuf_size, "%s/.esc-stamp", tmp) ||
            esc_dev_path(outdir_arg, sizeof(outdir_arg), errbuf, errbuf_size,
                         "-DoutputDirectory=%s", tmp))
                return -1;
        if (stamp_matches(cache_lib, hash))
                return 0;
        if (esc_dev_mkdirs(cache, errbuf, errbuf_size))
                return -1;
        fd = open(lock, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return esc_err(errbuf, errbuf_size, "cannot open %s: %s", lock, strerror(errno));
        flock(fd, LOCK_EX);
        if (stamp_matches(cache_lib, hash)) { /* someone else fetched meanwhile */
                rc = 0;
                goto out;
        }
        if (find_exe("mvn", "/usr/bin/mvn", mvn, sizeof(mvn))) {
                esc_err(errbuf, errbuf_size,
                        "Maven (mvn) is not installed: run scripts/install-deps (package maven)");
                goto out;
        }
        esc_dev_progress("fetching Kafka %s jars with Maven (once per machine) into %s...",
                         ESC_DEV_KAFKA_VERSION, cache_lib);
        rm_rf(tmp);
        {
                char *argv[] = {mvn,
                                "-q",
                                "-B",
                                "-f",
                                (char *)pom,
                                "dependency:copy-dependencies",
                                "-DincludeScope=runtime",
                                outdir_arg,
                                NULL};
                int st = esc_dev_run(argv, log, (uid_t)-1, (gid_t)-1, errbuf, errbuf_size);
                if (st != 0) {
                        esc_dev_file_tail(log, tail, sizeof(tail));
                        esc_err(errbuf, errbuf_size,
                                "Maven could not fetch the Kafka jars (exit %d); last lines of "
                                "%s:\n%s",
                                st, log, tail);
                        rm_rf(tmp);
                        goto out;
                }
        }
        snprintf(hashline, sizeof(hashline), "%s\n", hash);
        if (esc_dev_file_write(stamp, hashline, errbuf, errbuf_size))
                goto out;
        rm_rf(cache_lib);
        if (rename(tmp, cache_lib) != 0) {
                esc_err(errbuf, errbuf_size, "cannot rename %s to %s: %s", tmp, cache_lib,
                        strerror(errno));
                goto out;
        }
        rc = 0;
out:
        flock(fd, LOCK_UN);
        close(fd);
        return rc;
}

/* Makes dir/kafka/lib hold the jars of the current pom. */
static int ensure_jars(const char *kdir, char *errbuf, size_t errbuf_size)
{
        char pom[ESC_DEV_PATH_MAX], hash[65], lib[ESC_DEV_PATH_MAX], cache[ESC_DEV_PATH_MAX];
        char cache_lib[ESC_DEV_PATH_MAX];
        const char *env_cache = getenv("ESC_KAFKA_CACHE");
        const char *home = getenv("HOME");
        struct stat st;

        if (esc_dev_path(pom, sizeof(pom), errbuf, errbuf_size, "%s/scripts/kafka/pom.xml",
                         source_dir()) ||
            esc_dev_path(lib, sizeof(lib), errbuf, errbuf_size, "%s/lib", kdir))
                return -1;
        if (access(pom, R_OK) != 0)
                return esc_err(errbuf, errbuf_size,
                               "%s not found: set ESC_SOURCE_DIR to the esc source tree", pom);
        if (sha256_file(pom, hash, errbuf, errbuf_size))
                return -1;
        if (stamp_matches(lib, hash))
                return 0;

        if (env_cache && *env_cache) {
                if (esc_dev_path(cache, sizeof(cache), errbuf, errbuf_size, "%s", env_cache))
                        return -1;
        } else if (home && *home) {
                if (esc_dev_path(cache, sizeof(cache), errbuf, errbuf_size,
                                 "%s/.cache/esc/kafka-%s", home, ESC_DEV_KAFKA_VERSION))
                        return -1;
        } else {
                /* No per-machine cache: fetch straight into the dev dir. */
                return fetch_jars(kdir, pom, hash, cache_lib, sizeof(cache_lib), errbuf,
                                  errbuf_size);
        }
        if (fetch_jars(cache, pom, hash, cache_lib, sizeof(cache_lib), errbuf, errbuf_size))
                return -1;
        if (lstat(lib, &st) == 0) {
                if (S_ISLNK(st.st_mode))
                        unlink(lib);
                else
                        rm_rf(lib);
        }
        if (symlink(cache_lib, lib) != 0)
                return esc_err(errbuf, errbuf_size, "cannot link %s to %s: %s", lib, cache_lib,
                               strerror(errno));
        return 0;
}

/* ---- configuration and storage ---- */

/* Picks the broker and controller ports: the stored ones while they are
 * free (same address across restarts), new ones otherwise. */
static int choose_ports(const char *kdir, int *broker, int *controller, char *errbuf,
                        size_t errbuf_size)
{
        char path[ESC_DEV_PATH_MAX], text[128];

        if (esc_dev_path(path, sizeof(path), errbuf, errbuf_size, "%s/ports", kdir))
                return -1;
        *broker = (int)esc_dev_kv_long(path, "broker", 0);
        *controller = (int)esc_dev_kv_long(path, "controller", 0);
        if (!esc_dev_port_available(*broker))
                *broker = esc_dev_port_free();
        while (*controller == *broker || !esc_dev_port_available(*controller))
                *controller = esc_dev_port_free();
        if (*broker <= 0 || *controller <= 0)
                return esc_err(errbuf, errbuf_size, "no free TCP port on 127.0.0.1");
        snprintf(text, sizeof(text), "broker=%d\ncontroller=%d\n", *broker, *controller);
        return esc_dev_file_write(path, text, errbuf, errbuf_size);
}

static int write_config(const char *kdir, int broker, int controller, char *errbuf,
                        size_t errbuf_size)
{
        char path[ESC_DEV_PATH_MAX];
        esc_buf_t b;
        int rc;

        esc_buf_init(&b, 64 * 1024);
        esc_buf_printf(&b,
                       "# Written by `esc dev up` at every start; edits are overwritten.\n"
                       "process.roles=broker,controller\n"
                       "node.id=1\n"
                       "controller.quorum.voters=1@127.0.0.1:%d\n"
                       "listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d\n"
                       "advertised.listeners=PLAINTEXT://127.0.0.1:%d\n"
                       "controller.listener.names=CONTROLLER\n"
                       "inter.broker.listener.name=PLAINTEXT\n"
                       "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
                       "log.dirs=%s/data\n"
                       "offsets.topic.replication.factor=1\n"
                       "transaction.state.log.replication.factor=1\n"
                       "transaction.state.log.min.isr=1\n"
                       "group.initial.rebalance.delay.ms=0\n"
                       "auto.create.topics.enable=false\n"
                       "# a dev box: small buffers, few threads\n"
                       "num.network.threads=2\n"
                       "num.io.threads=4\n"
                       "log.cleaner.dedupe.buffer.size=8388608\n",
                       controller, broker, controller, broker, kdir);
        if (esc_dev_path(path, sizeof(path), errbuf, errbuf_size, "%s/server.properties", kdir)) {
                esc_buf_free(&b);
                return -1;
        }
        rc = esc_dev_file_write(path, b.data, errbuf, errbuf_size);
        esc_buf_free(&b);
        if (rc)
                return rc;
        if (esc_dev_path(path, sizeof(path), errbuf, errbuf_size, "%s/log4j.properties", kdir))
                return -1;
        return esc_dev_file_write(
                path,
                "log4j.rootLogger=INFO, stdout\n"
                "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
                "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
                "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
                "log4j.logger.kafka.server.KafkaConfig=WARN\n"
                "log4j.logger.org.apache.kafka.clients=WARN\n"
                "log4j.logger.org.apache.zookeeper=WARN\n",
                errbuf, errbuf_size);
}

/* A Kafka cluster id: 16 random bytes, URL-safe base64 without padding
 * (what `kafka-storage random-uuid` prints). */
static void cluster_id_once(char out[23])
{
        static const char b64[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        unsigned char r[18] = {0};
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

        if (fd < 0 || read(fd, r, 16) != 16) {
                for (int i = 0; i < 16; i++)
                        r[i] = (unsigned char)(rand() ^ (int)getpid());
        }
        if (fd >= 0)
                close(fd);
        r[0] |= 1; /* never the all-zero (reserved) id */
        for (int i = 0, o = 0; i < 18 && o < 22; i += 3) {
                unsigned v = (unsigned)r[i] << 16 | (unsigned)r[i + 1] << 8 | r[i + 2];
                for (int k = 3; k >= 0 && o < 22; k--)
                        out[o++] = b64[(v >> (6 * k)) & 63];
        }
        out[22] = '\0';
}

/* Like Kafka's own generator, never an id starting with '-': the format
 * tool would read it as an option. */
static void cluster_id(char out[23])
{
        do
                cluster_id_once(out);
        while (out[0] == '-');
}

static int java_argv(const char *kdir, char *java, size_t java_size, char *cp, size_t cp_size,
                     char *log4j, size_t log4j_size, char *errbuf, size_t errbuf_size)
{
        if (find_exe("java", "/usr/bin/java", java, java_size))
                return esc_err(errbuf, errbuf_size,
                               "java is not installed: run scripts/install-deps "
                               "(package openjdk-17-jre-headless)");
        if (esc_dev_path(cp, cp_size, errbuf, errbuf_size, "%s/lib/*", kdir) ||
            esc_dev_path(log4j, log4j_size, errbuf, errbuf_size,
                         "-Dlog4j.configuration=file:%s/log4j.properties", kdir))
                return -1;
        return 0;
}

static int format_storage(const char *kdir, char *errbuf, size_t errbuf_size)
{
        char meta[ESC_DEV_PATH_MAX], props[ESC_DEV_PATH_MAX], log[ESC_DEV_PATH_MAX];
        char java[ESC_DEV_PATH_MAX], cp[ESC_DEV_PATH_MAX], log4j[ESC_DEV_PATH_MAX + 64];
        char id[23], tail[1500];
        int st;

        if (esc_dev_path(meta, sizeof(meta), errbuf, errbuf_size, "%s/data/meta.properties",
                         kdir) ||
            esc_dev_path(props, sizeof(props), errbuf, errbuf_size, "%s/server.properties", kdir) ||
            esc_dev_path(log, sizeof(log), errbuf, errbuf_size, "%s/format.log", kdir))
                return -1;
        if (access(meta, F_OK) == 0)
                return 0;
        if (java_argv(kdir, java, sizeof(java), cp, sizeof(cp), log4j, sizeof(log4j), errbuf,
                      errbuf_size))
                return -1;
        {
                /* A data dir without meta.properties is a format that failed
                 * half-way; the tool refuses non-empty dirs, so start over. */
                char data[ESC_DEV_PATH_MAX];
                if (esc_dev_path(data, sizeof(data), errbuf, errbuf_size, "%s/data", kdir))
                        return -1;
                rm_rf(data);
        }
        cluster_id(id);
        esc_dev_progress("formatting Kafka storage in %s/data (cluster id %s)", kdir, id);
        {
                char *argv[] = {java,
                                "-Xmx256m",
                                "-XX:+UseSerialGC",
                                log4j,
                                "-cp",
                                cp,
                                "kafka.tools.StorageTool",
                                "format",
                                "-t",
                                id,
                                "-c",
                                props,
                                NULL};
                st = esc_dev_run(argv, log, (uid_t)-1, (gid_t)-1, errbuf, errbuf_size);
        }
        if (st != 0) {
                esc_dev_file_tail(log, tail, sizeof(tail));
                return esc_err(errbuf, errbuf_size,
                               "formatting Kafka storage failed (exit %d); last lines of %s:\n%s",
                               st, log, tail);
        }
        return 0;
}

/* ---- up / down / status ---- */

static int kafka_paths(const char *dir, char *kdir, char *pidf, char *logf, char *errbuf,
                       size_t errbuf_size)
{
        if (esc_dev_path(kdir, ESC_DEV_PATH_MAX, errbuf, errbuf_size, "%s/kafka", dir) ||
            esc_dev_path(pidf, ESC_DEV_PATH_MAX, errbuf, errbuf_size, "%s/kafka/broker.pid", dir) ||
            esc_dev_path(logf, ESC_DEV_PATH_MAX, errbuf, errbuf_size, "%s/kafka/broker.log", dir))
                return -1;
        return 0;
}

/* What identifies our broker in /proc/<pid>/cmdline. */
static void broker_marker(const char *kdir, char *buf, size_t size)
{
        snprintf(buf, size, "kafka.Kafka %s/server.properties", kdir);
}

int esc_dev_kafka_up(const esc_config_t *conf, const char *dir, char *address, size_t address_size,
                     char *errbuf, size_t errbuf_size)
{
        char kdir[ESC_DEV_PATH_MAX], pidf[ESC_DEV_PATH_MAX], logf[ESC_DEV_PATH_MAX];
        char marker[ESC_DEV_PATH_MAX + 64], props[ESC_DEV_PATH_MAX];
        char java[ESC_DEV_PATH_MAX], cp[ESC_DEV_PATH_MAX], log4j[ESC_DEV_PATH_MAX + 64];
        char logsdir[ESC_DEV_PATH_MAX + 32];
        int broker = 0, controller = 0;
        pid_t pid;

        if (kafka_paths(dir, kdir, pidf, logf, errbuf, errbuf_size) ||
            esc_dev_mkdirs(kdir, errbuf, errbuf_size))
                return -1;
        broker_marker(kdir, marker, sizeof(marker));
        pid = esc_dev_pid_read(pidf);
        if (esc_dev_pid_is_ours(pid, marker)) {
                char path[ESC_DEV_PATH_MAX];
                esc_dev_path(path, sizeof(path), NULL, 0, "%s/ports", kdir);
                snprintf(address, address_size, "127.0.0.1:%ld",
                         esc_dev_kv_long(path, "broker", 0));
                esc_dev_progress("Kafka is already running (pid %ld) at %s", (long)pid, address);
                if (esc_dev_kafka_wait_ready(address, pid, BROKER_WAIT_MS, logf, errbuf,
                                             errbuf_size))
                        return -1;
                return esc_dev_kafka_create_topics(conf, address, BROKER_WAIT_MS, errbuf,
                                                   errbuf_size);
        }

        if (ensure_jars(kdir, errbuf, errbuf_size) ||
            choose_ports(kdir, &broker, &controller, errbuf, errbuf_size) ||
            write_config(kdir, broker, controller, errbuf, errbuf_size) ||
            format_storage(kdir, errbuf, errbuf_size) ||
            java_argv(kdir, java, sizeof(java), cp, sizeof(cp), log4j, sizeof(log4j), errbuf,
                      errbuf_size) ||
            esc_dev_path(props, sizeof(props), errbuf, errbuf_size, "%s/server.properties", kdir) ||
            esc_dev_path(logsdir, sizeof(logsdir), errbuf, errbuf_size, "-Dkafka.logs.dir=%s",
                         kdir))
                return -1;

        snprintf(address, address_size, "127.0.0.1:%d", broker);
        esc_dev_progress("starting Kafka %s (KRaft, single node) on %s; log %s",
                         ESC_DEV_KAFKA_VERSION, address, logf);
        esc_dev_log_rotate(logf);
        {
                char *argv[] = {java,
                                "-Xmx384m",
                                "-Xms128m",
                                "-XX:+UseSerialGC",
                                "-Djava.awt.headless=true",
                                log4j,
                                logsdir,
                                "-cp",
                                cp,
                                "kafka.Kafka",
                                props,
                                NULL};
                pid = esc_dev_spawn(argv, logf, (uid_t)-1, (gid_t)-1, errbuf, errbuf_size);
        }
        if (pid < 0)
                return -1;
        if (esc_dev_pid_write(pidf, pid))
                return esc_err(errbuf, errbuf_size, "cannot write %s", pidf);
        esc_dev_progress("waiting for Kafka to answer at %s (up to %d s)...", address,
                         BROKER_WAIT_MS / 1000);
        if (esc_dev_kafka_wait_ready(address, pid, BROKER_WAIT_MS, logf, errbuf, errbuf_size))
                return -1;
        return esc_dev_kafka_create_topics(conf, address, BROKER_WAIT_MS, errbuf, errbuf_size);
}

int esc_dev_kafka_down(const char *dir, char *errbuf, size_t errbuf_size)
{
        char kdir[ESC_DEV_PATH_MAX], pidf[ESC_DEV_PATH_MAX], logf[ESC_DEV_PATH_MAX];
        char marker[ESC_DEV_PATH_MAX + 64];
        pid_t pid;

        if (kafka_paths(dir, kdir, pidf, logf, errbuf, errbuf_size))
                return -1;
        broker_marker(kdir, marker, sizeof(marker));
        pid = esc_dev_pid_read(pidf);
        if (esc_dev_pid_is_ours(pid, marker)) {
                esc_dev_progress("stopping Kafka (pid %ld)", (long)pid);
                if (esc_dev_pid_stop(pid, SIGTERM, BROKER_STOP_MS))
                        return esc_err(errbuf, errbuf_size, "Kafka (pid %ld) did not stop",
                                       (long)pid);
        }
        unlink(pidf);
        return 0;
}

void esc_dev_kafka_status(const char *dir, esc_dev_kafka_status_t *st)
{
        char kdir[ESC_DEV_PATH_MAX], pidf[ESC_DEV_PATH_MAX], logf[ESC_DEV_PATH_MAX];
        char marker[ESC_DEV_PATH_MAX + 64], path[ESC_DEV_PATH_MAX];
        long port;

        memset(st, 0, sizeof(*st));
        if (kafka_paths(dir, kdir, pidf, logf, NULL, 0) ||
            esc_dev_path(path, sizeof(path), NULL, 0, "%s/ports", kdir))
                return;
        broker_marker(kdir, marker, sizeof(marker));
        st->pid = esc_dev_pid_read(pidf);
        st->running = esc_dev_pid_is_ours(st->pid, marker);
        port = esc_dev_kv_long(path, "broker", 0);
        if (port > 0)
                snprintf(st->address, sizeof(st->address), "127.0.0.1:%ld", port);
        if (st->running && port > 0)
                st->healthy = esc_dev_kafka_ping(st->address, 3000);
}
