/* devstack.h — internals of `esc dev`: the embedded Kafka + PostgreSQL stack.
 *
 * dev.c is the command (up, down, status, fault); broker.c runs the real
 * Apache Kafka broker from Maven Central jars; mock.c is the librdkafka mock
 * cluster broker process and its fault-injection control socket; pg.c is the
 * private PostgreSQL cluster; proc.c holds what they share: detached
 * processes, pid files, free loopback ports, small files.
 *
 * Layout of $ESC_DEV_DIR (default ./.esc):
 *   env                  ESC_KAFKA_BROKERS, ESC_PG_URL, ESC_DEV_BROKER
 *   kafka/lib            jars (a symlink into the per-machine cache)
 *   kafka/data           the broker's log: history survives down + up
 *   kafka/ports          broker=N controller=N, reused across restarts
 *   kafka/broker.pid     kafka/broker.log
 *   mock/broker.pid      mock/broker.log  mock/bootstraps  mock/control.sock
 *   mock/trimmed         one line per partition whose history was dropped
 *   pg/data  pg/run (socket)  pg/port  pg/postgres.log
 *
 * Everything here runs on the CLI's main thread, except the mock broker
 * process, whose loop is single-threaded too (librdkafka has its own). */
#ifndef ESC_DEVSTACK_H
#define ESC_DEVSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runtime/cli.h"
#include "runtime/config.h"

#define ESC_DEV_KAFKA_VERSION "3.9.2"
#define ESC_DEV_PATH_MAX 1024

/* ---- proc.c ---- */

/* Starts argv[0] (a path) detached: own session, stdin from /dev/null,
 * stdout+stderr appended to log_path, other fds closed. If as_uid is not
 * (uid_t)-1 the child switches to that uid/gid first. Returns the pid or -1
 * with errbuf. */
pid_t esc_dev_spawn(char *const argv[], const char *log_path, uid_t as_uid, gid_t as_gid,
                    char *errbuf, size_t errbuf_size);
/* Runs argv to completion (not detached), output appended to log_path
 * (NULL: inherit stderr). Returns the exit status (0..255), or -1 if it
 * could not run or was killed. */
int esc_dev_run(char *const argv[], const char *log_path, uid_t as_uid, gid_t as_gid, char *errbuf,
                size_t errbuf_size);

/* Reads a pid from the first line of path; 0 if absent or unreadable. */
pid_t esc_dev_pid_read(const char *path);
int esc_dev_pid_write(const char *path, pid_t pid);
/* true if pid is alive and its command line contains marker (so a recycled
 * pid belonging to someone else is never taken for ours). */
bool esc_dev_pid_is_ours(pid_t pid, const char *marker);
/* true if pid exists and is not a zombie (no command-line check: right
 * after fork/exec the command line can read empty). */
bool esc_dev_pid_alive(pid_t pid);
/* SIGTERM, wait up to timeout_ms, then SIGKILL and wait. Returns 0 once the
 * process is gone. Only call with a pid that esc_dev_pid_is_ours(). */
int esc_dev_pid_stop(pid_t pid, int sig, int timeout_ms);

/* A free TCP port on 127.0.0.1 (bound and released), or -1. */
int esc_dev_port_free(void);
/* true if port can be bound on 127.0.0.1 right now. */
bool esc_dev_port_available(int port);

/* Small whole-file helpers. write is atomic (tmp + rename). */
int esc_dev_file_write(const char *path, const char *text, char *errbuf, size_t errbuf_size);
/* Reads at most size-1 bytes; returns length or -1. */
ssize_t esc_dev_file_read(const char *path, char *buf, size_t size);
/* The last max_bytes of a log file, for error messages (may be ""). */
void esc_dev_file_tail(const char *path, char *buf, size_t size);
/* Keeps the previous run's log as <path>.1, so error messages quote only
 * the current run. */
void esc_dev_log_rotate(const char *path);
/* mkdir -p, mode 0755. */
int esc_dev_mkdirs(const char *path, char *errbuf, size_t errbuf_size);
/* "key=value" lookup in a small key=value file; returns def if absent. */
long esc_dev_kv_long(const char *path, const char *key, long def);

/* snprintf into a path buffer; returns -1 (with errbuf) on truncation. */
int esc_dev_path(char *buf, size_t size, char *errbuf, size_t errbuf_size, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* Progress line on stderr: "esc dev: <msg>". */
void esc_dev_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- broker.c (real Kafka) ---- */

typedef struct esc_dev_kafka_status {
        bool running;
        bool healthy;
        pid_t pid;
        char address[64];
} esc_dev_kafka_status_t;

/* Fetches jars (once), formats storage (once), starts the broker if not
 * running, waits for metadata, creates the topics. Fills address. */
int esc_dev_kafka_up(const esc_config_t *conf, const char *dir, char *address, size_t address_size,
                     char *errbuf, size_t errbuf_size);
int esc_dev_kafka_down(const char *dir, char *errbuf, size_t errbuf_size);
void esc_dev_kafka_status(const char *dir, esc_dev_kafka_status_t *st);

/* Shared with mock.c: waits until `bootstraps` answers a metadata request
 * (while pid stays alive), then creates the three topics (idempotent).
 * create_topics=false only waits. */
int esc_dev_kafka_wait_ready(const char *bootstraps, pid_t pid, int timeout_ms,
                             const char *log_path, char *errbuf, size_t errbuf_size);
int esc_dev_kafka_create_topics(const esc_config_t *conf, const char *bootstraps, int timeout_ms,
                                char *errbuf, size_t errbuf_size);
/* true if bootstraps answers a metadata request within timeout_ms. */
bool esc_dev_kafka_ping(const char *bootstraps, int timeout_ms);

/* ---- mock.c ---- */

int esc_dev_mock_up(const esc_config_t *conf, const char *dir, char *address, size_t address_size,
                    char *errbuf, size_t errbuf_size);
int esc_dev_mock_down(const char *dir, char *errbuf, size_t errbuf_size);
void esc_dev_mock_status(const char *dir, esc_dev_kafka_status_t *st);
/* The hidden `esc dev mock-broker --dir D ...` process. */
int esc_dev_mock_main(int argc, char **argv);
/* Sends one control line to the running mock; prints the reply. */
int esc_dev_mock_control(const char *dir, const char *line, char *reply, size_t reply_size,
                         char *errbuf, size_t errbuf_size);

/* ---- pg.c ---- */

typedef struct esc_dev_pg_status {
        bool running;
        bool healthy;
        pid_t pid;
        char url[256];
} esc_dev_pg_status_t;

int esc_dev_pg_up(const char *dir, char *url, size_t url_size, char *errbuf, size_t errbuf_size);
int esc_dev_pg_down(const char *dir, char *errbuf, size_t errbuf_size);
void esc_dev_pg_status(const char *dir, esc_dev_pg_status_t *st);

/* `esc dev up|down|status|fault` (dev.c). */
int esc_cmd_dev(esc_cli_t *cli, int argc, char **argv);

#endif
