/* pg.c — the dev stack's private PostgreSQL cluster under $ESC_DEV_DIR/pg.
 *
 * initdb + pg_ctl from Debian's postgresql (/usr/lib/postgresql/<v>/bin,
 * newest version; $ESC_PG_BINDIR overrides). /usr/local/bin/pg_ctl is not
 * used on purpose: on these machines it is something else. PostgreSQL
 * refuses to run as root, so when esc runs as root the cluster belongs to a
 * system user `esc` (created on first use) and initdb/pg_ctl run as that
 * user; the dev dir's ancestors must then be traversable by it.
 *
 * The cluster listens on 127.0.0.1 only, on a port kept in pg/port across
 * restarts, with trust authentication (a local dev box); the superuser and
 * the database are both `esc`. Settings that depend on the port live in
 * data/esc-dev.conf, included from postgresql.conf and rewritten at every
 * start. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdint.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "devstack/devstack.h"
#include "core/util.h"
#include "runtime/sys.h"

#define PG_USER "esc"
#define PG_DB "esc"

struct pg_ctx {
        char bindir[ESC_DEV_PATH_MAX];
        char pgdir[ESC_DEV_PATH_MAX];
        char data[ESC_DEV_PATH_MAX];
        char run[ESC_DEV_PATH_MAX];
        char portf[ESC_DEV_PATH_MAX];
        char log[ESC_DEV_PATH_MAX];
        char ctl_log[ESC_DEV_PATH_MAX];
        char pidf[ESC_DEV_PATH_MAX];
        uid_t uid; /* (uid_t)-1: run as ourselves */
        gid_t gid;
};

static int find_bindir(char *out, size_t size, char *errbuf, size_t errbuf_size)
{
        const char *env = getenv("ESC_PG_BINDIR");
        glob_t g;

        if (env && *env) {
                esc_strlcpy(out, env, size);
                return 0;
        }
        if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
                globfree(&g);
                return esc_err(errbuf, errbuf_size,
                               "PostgreSQL server binaries not found under "
                               "/usr/lib/postgresql/*/bin: run scripts/install-deps (package "
                               "postgresql) or set ESC_PG_BINDIR");
        }
        /* Pick the highest major version (numeric, so 15 beats 9.6). */
        size_t best = 0;
        for (size_t i = 1; i < g.gl_pathc; i++)
                if (atof(g.gl_pathv[i] + strlen("/usr/lib/postgresql/")) >
                    atof(g.gl_pathv[best] + strlen("/usr/lib/postgresql/")))
                        best = i;
        esc_strlcpy(out, g.gl_pathv[best], size);
        out[strlen(out) - strlen("/initdb")] = '\0';
        globfree(&g);
        return 0;
}

/* As root: the `esc` system user, created if missing. */
static int pg_user(struct pg_ctx *c, char *errbuf, size_t errbuf_size)
{
        struct passwd *pw;

        c->uid = (uid_t)-1;
        c->gid = (gid_t)-1;
        if (geteuid() != 0)
                return 0;
        pw = getpwnam(PG_USER);
        if (!pw) {
                char *argv[] = {"/usr/sbin/useradd",
                                "--system",
                                "--user-group",
                                "--no-create-home",
                                "--home-dir",
                                "/nonexistent",
                                "--shell",
                                "/usr/sbin/nologin",
                                PG_USER,
                                NULL};
                esc_dev_progress("creating system user '%s' to own the dev PostgreSQL cluster",
                                 PG_USER);
                int st = esc_dev_run(argv, NULL, (uid_t)-1, (gid_t)-1, errbuf, errbuf_size);
                pw = getpwnam(PG_USER);
                if (!pw)
                        return esc_err(errbuf, errbuf_size,
                                       "cannot create system user '%s' (useradd exit %d): "
                                       "create it by hand or run esc dev up as a normal user",
                                       PG_USER, st);
        }
        c->uid = pw->pw_uid;
        c->gid = pw->pw_gid;
        return 0;
}

/* Fills the paths from the pg dir. $ESC_DEV_DIR/pg may be a symlink (see
 * pg_relocate); the real path is used so that the postmaster's command line,
 * our pid marker, never depends on how the dir was reached. */
static int pg_ctx_init(struct pg_ctx *c, const char *dir, bool need_bin, char *errbuf,
                       size_t errbuf_size)
{
        char link[ESC_DEV_PATH_MAX], real[PATH_MAX];
        struct stat st;
        const char *base = link;

        memset(c, 0, sizeof(*c));
        c->uid = (uid_t)-1;
        c->gid = (gid_t)-1;
        if (esc_dev_path(link, sizeof(link), errbuf, errbuf_size, "%s/pg", dir))
                return -1;
        if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode) && realpath(link, real))
                base = real;
        if (esc_dev_path(c->pgdir, sizeof(c->pgdir), errbuf, errbuf_size, "%s", base) ||
            esc_dev_path(c->data, sizeof(c->data), errbuf, errbuf_size, "%s/data", base) ||
            esc_dev_path(c->run, sizeof(c->run), errbuf, errbuf_size, "%s/run", base) ||
            esc_dev_path(c->portf, sizeof(c->portf), errbuf, errbuf_size, "%s/port", base) ||
            esc_dev_path(c->log, sizeof(c->log), errbuf, errbuf_size, "%s/postgres.log", base) ||
            esc_dev_path(c->ctl_log, sizeof(c->ctl_log), errbuf, errbuf_size, "%s/pg_ctl.log",
                         base) ||
            esc_dev_path(c->pidf, sizeof(c->pidf), errbuf, errbuf_size, "%s/data/postmaster.pid",
                         base))
                return -1;
        if (need_bin && (find_bindir(c->bindir, sizeof(c->bindir), errbuf, errbuf_size) ||
                         pg_user(c, errbuf, errbuf_size)))
                return -1;
        return 0;
}

/* The postmaster's command line names its data directory. */
static pid_t pg_running_pid(const struct pg_ctx *c)
{
        pid_t pid = esc_dev_pid_read(c->pidf);
        return esc_dev_pid_is_ours(pid, c->data) ? pid : 0;
}

/* Runs a PostgreSQL tool to completion in its own session (so the
 * postmaster that pg_ctl forks never shares our process group or pipes). */
static int pg_tool(const struct pg_ctx *c, char *const argv[], char *errbuf, size_t errbuf_size)
{
        pid_t pid = esc_dev_spawn(argv, c->ctl_log, c->uid, c->gid, errbuf, errbuf_size);
        int status;

        if (pid < 0)
                return -1;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return esc_err(errbuf, errbuf_size, "waitpid: %s", strerror(errno));
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* As root, every ancestor of the pg dir must be traversable by `esc`. */
static int check_reachable(const struct pg_ctx *c, char *errbuf, size_t errbuf_size)
{
        char tmp[ESC_DEV_PATH_MAX];

        if (c->uid == (uid_t)-1)
                return 0;
        esc_strlcpy(tmp, c->pgdir, sizeof(tmp));
        for (char *p = strrchr(tmp, '/'); p && p > tmp; p = strrchr(tmp, '/')) {
                struct stat st;
                *p = '\0';
                if (stat(tmp, &st) == 0 && !(st.st_mode & S_IXOTH) && st.st_uid != c->uid)
                        return esc_err(errbuf, errbuf_size,
                                       "the PostgreSQL user '%s' cannot enter %s (mode %o): "
                                       "chmod o+x it, or set ESC_DEV_DIR to a directory it can "
                                       "reach",
                                       PG_USER, tmp, (unsigned)(st.st_mode & 07777));
        }
        return 0;
}

/* As root, when the dev dir sits below a directory the `esc` user cannot
 * enter (a private mktemp dir, a 0700 home), the cluster lives in
 * /var/tmp/esc-dev-pg/<hash of the dev dir>/pg instead and $ESC_DEV_DIR/pg
 * is a symlink to it. The trade-off: deleting the dev dir leaves that copy
 * behind. */
static int pg_relocate(struct pg_ctx *c, const char *dir, char *errbuf, size_t errbuf_size)
{
        char link[ESC_DEV_PATH_MAX], target[ESC_DEV_PATH_MAX];
        uint64_t h = 1469598103934665603ULL; /* FNV-1a: a stable, short name */
        struct stat st;

        if (esc_dev_path(link, sizeof(link), errbuf, errbuf_size, "%s/pg", dir))
                return -1;
        if (lstat(link, &st) == 0)
                return 0; /* already placed, here or there */
        if (check_reachable(c, NULL, 0) == 0)
                return 0;
        for (const char *p = dir; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        if (esc_dev_path(target, sizeof(target), errbuf, errbuf_size,
                         "/var/tmp/esc-dev-pg/%016llx/pg", (unsigned long long)h) ||
            esc_dev_mkdirs(target, errbuf, errbuf_size))
                return -1;
        esc_dev_progress("%s is not reachable by the '%s' user: the PostgreSQL cluster lives in "
                         "%s (linked from %s)",
                         dir, PG_USER, target, link);
        if (symlink(target, link) != 0)
                return esc_err(errbuf, errbuf_size, "cannot link %s to %s: %s", link, target,
                               strerror(errno));
        uid_t uid = c->uid;
        gid_t gid = c->gid;
        if (pg_ctx_init(c, dir, false, errbuf, errbuf_size))
                return -1;
        c->uid = uid;
        c->gid = gid;
        return 0;
}

static int pg_conninfo(char *buf, size_t size, int port, const char *db)
{
        return snprintf(buf, size,
                        "host=127.0.0.1 port=%d user=" PG_USER " dbname=%s connect_timeout=3", port,
                        db) >= (int)size
                       ? -1
                       : 0;
}

/* Runs one statement; returns 0 on success. result (optional) gets the
 * first value of the first row. */
static int pg_exec(int port, const char *db, const char *sql, const char *param, char *result,
                   size_t result_size, char *errbuf, size_t errbuf_size)
{
        char ci[256];
        PGconn *pc;
        PGresult *res;
        int rc = -1;

        pg_conninfo(ci, sizeof(ci), port, db);
        pc = PQconnectdb(ci);
        if (PQstatus(pc) != CONNECTION_OK) {
                esc_err(errbuf, errbuf_size, "connect to PostgreSQL on 127.0.0.1:%d/%s: %s", port,
                        db, PQerrorMessage(pc));
                PQfinish(pc);
                return -1;
        }
        res = PQexecParams(pc, sql, param ? 1 : 0, NULL, param ? &param : NULL, NULL, NULL, 0);
        if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK) {
                rc = 0;
                if (result && result_size) {
                        result[0] = '\0';
                        if (PQntuples(res) > 0)
                                esc_strlcpy(result, PQgetvalue(res, 0, 0), result_size);
                }
        } else {
                esc_err(errbuf, errbuf_size, "PostgreSQL on 127.0.0.1:%d/%s: %s", port, db,
                        PQerrorMessage(pc));
        }
        PQclear(res);
        PQfinish(pc);
        return rc;
}

static int write_settings(const struct pg_ctx *c, int port, char *errbuf, size_t errbuf_size)
{
        char path[ESC_DEV_PATH_MAX], text[2 * ESC_DEV_PATH_MAX];
        /* A socket path must fit sun_path with ".s.PGSQL.<port>" appended;
         * if the dev dir is too deep we go TCP-only rather than fail. */
        bool socket_ok = strlen(c->run) + 20 < sizeof(((struct sockaddr_un *)0)->sun_path);

        if (esc_dev_path(path, sizeof(path), errbuf, errbuf_size, "%s/esc-dev.conf", c->data))
                return -1;
        snprintf(text, sizeof(text),
                 "# Written by `esc dev up` at every start; edits are overwritten.\n"
                 "listen_addresses = '127.0.0.1'\n"
                 "port = %d\n"
                 "unix_socket_directories = '%s'\n"
                 "shared_buffers = 64MB\n"
                 "fsync = on\n"
                 "max_connections = 100\n"
                 "logging_collector = off\n",
                 port, socket_ok ? c->run : "");
        if (esc_dev_file_write(path, text, errbuf, errbuf_size))
                return -1;
        if (c->uid != (uid_t)-1 && chown(path, c->uid, c->gid) != 0)
                return esc_err(errbuf, errbuf_size, "chown %s: %s", path, strerror(errno));
        return 0;
}

/* initdb once; hooks esc-dev.conf into postgresql.conf. */
static int pg_init(const struct pg_ctx *c, char *errbuf, size_t errbuf_size)
{
        char version[ESC_DEV_PATH_MAX], initdb[ESC_DEV_PATH_MAX], conf[ESC_DEV_PATH_MAX];
        char tail[1500];
        esc_buf_t b;
        int st;

        if (esc_dev_path(version, sizeof(version), errbuf, errbuf_size, "%s/PG_VERSION", c->data) ||
            esc_dev_path(initdb, sizeof(initdb), errbuf, errbuf_size, "%s/initdb", c->bindir) ||
            esc_dev_path(conf, sizeof(conf), errbuf, errbuf_size, "%s/postgresql.conf", c->data))
                return -1;
        if (access(version, F_OK) == 0)
                return 0;
        esc_dev_progress("initializing PostgreSQL in %s", c->data);
        {
                char *argv[] = {
                        initdb, "-D",   (char *)c->data, "-U",        PG_USER, "--auth=trust",
                        "-E",   "UTF8", "--locale=C",    "--no-sync", NULL};
                st = pg_tool(c, argv, errbuf, errbuf_size);
        }
        if (st != 0) {
                esc_dev_file_tail(c->ctl_log, tail, sizeof(tail));
                return esc_err(errbuf, errbuf_size,
                               "initdb failed (exit %d); last lines of %s:\n%s", st, c->ctl_log,
                               tail);
        }
        esc_buf_init(&b, 1 << 20);
        if (esc_read_file(conf, 1 << 20, &b, errbuf, errbuf_size) ||
            esc_buf_puts(&b, "\n# esc dev stack\ninclude_if_exists = 'esc-dev.conf'\n") ||
            esc_dev_file_write(conf, b.data, errbuf, errbuf_size)) {
                esc_buf_free(&b);
                return esc_err(errbuf, errbuf_size, "cannot extend %s", conf);
        }
        esc_buf_free(&b);
        if (c->uid != (uid_t)-1 && chown(conf, c->uid, c->gid) != 0)
                return esc_err(errbuf, errbuf_size, "chown %s: %s", conf, strerror(errno));
        return 0;
}

static int choose_port(const struct pg_ctx *c, char *errbuf, size_t errbuf_size)
{
        int port = (int)esc_dev_kv_long(c->portf, "port", 0);
        char text[32];

        if (!esc_dev_port_available(port))
                port = esc_dev_port_free();
        if (port <= 0)
                return esc_err(errbuf, errbuf_size, "no free TCP port on 127.0.0.1");
        snprintf(text, sizeof(text), "port=%d\n", port);
        if (esc_dev_file_write(c->portf, text, errbuf, errbuf_size))
                return -1;
        return port;
}

static void pg_url(int port, char *url, size_t size)
{
        snprintf(url, size, "postgresql://" PG_USER "@127.0.0.1:%d/" PG_DB, port);
}

int esc_dev_pg_up(const char *dir, char *url, size_t url_size, char *errbuf, size_t errbuf_size)
{
        struct pg_ctx c;
        char pg_ctl[ESC_DEV_PATH_MAX], tail[1500], exists[8];
        int port;
        pid_t pid;

        if (pg_ctx_init(&c, dir, true, errbuf, errbuf_size) ||
            esc_dev_path(pg_ctl, sizeof(pg_ctl), errbuf, errbuf_size, "%s/pg_ctl", c.bindir))
                return -1;
        if (c.uid != (uid_t)-1) {
                char bindir[ESC_DEV_PATH_MAX];
                /* The dev dir is ours: let the server user through it. */
                if (chmod(dir, 0755) != 0)
                        return esc_err(errbuf, errbuf_size, "chmod %s: %s", dir, strerror(errno));
                esc_strlcpy(bindir, c.bindir, sizeof(bindir));
                if (pg_relocate(&c, dir, errbuf, errbuf_size))
                        return -1;
                esc_strlcpy(c.bindir, bindir, sizeof(c.bindir));
        }
        if (esc_dev_mkdirs(c.run, errbuf, errbuf_size))
                return -1;
        if (c.uid != (uid_t)-1) {
                /* initdb creates data/ inside the pg dir, the server writes
                 * its socket and logs there: all must belong to its user. */
                if (chown(c.pgdir, c.uid, c.gid) != 0 || chown(c.run, c.uid, c.gid) != 0)
                        return esc_err(errbuf, errbuf_size, "chown %s to %s: %s", c.pgdir, PG_USER,
                                       strerror(errno));
                if (check_reachable(&c, errbuf, errbuf_size))
                        return -1;
        }

        pid = pg_running_pid(&c);
        if (pid) {
                port = (int)esc_dev_kv_long(c.portf, "port", 0);
                pg_url(port, url, url_size);
                esc_dev_progress("PostgreSQL is already running (pid %ld) at %s", (long)pid, url);
        } else {
                if (pg_init(&c, errbuf, errbuf_size))
                        return -1;
                port = choose_port(&c, errbuf, errbuf_size);
                if (port < 0 || write_settings(&c, port, errbuf, errbuf_size))
                        return -1;
                pg_url(port, url, url_size);
                esc_dev_progress("starting PostgreSQL on 127.0.0.1:%d; log %s", port, c.log);
                char *argv[] = {pg_ctl, "-D", c.data, "-l", c.log, "-w", "-t", "60", "start", NULL};
                int st = pg_tool(&c, argv, errbuf, errbuf_size);
                if (st != 0) {
                        esc_dev_file_tail(c.log, tail, sizeof(tail));
                        return esc_err(errbuf, errbuf_size,
                                       "pg_ctl start failed (exit %d); last lines of %s:\n%s", st,
                                       c.log, tail);
                }
        }

        /* Wait until it answers, then make sure the database exists. */
        int64_t deadline = esc_mono_us() + 30 * ESC_USEC_PER_SEC;
        while (pg_exec(port, "postgres", "SELECT 1", NULL, NULL, 0, errbuf, errbuf_size)) {
                if (esc_mono_us() > deadline)
                        return -1;
                usleep(200 * 1000);
        }
        if (pg_exec(port, "postgres", "SELECT count(*) FROM pg_database WHERE datname = $1", PG_DB,
                    exists, sizeof(exists), errbuf, errbuf_size))
                return -1;
        if (!strcmp(exists, "0") &&
            pg_exec(port, "postgres", "CREATE DATABASE " PG_DB, NULL, NULL, 0, errbuf, errbuf_size))
                return -1;
        return pg_exec(port, PG_DB, "SELECT 1", NULL, NULL, 0, errbuf, errbuf_size);
}

int esc_dev_pg_down(const char *dir, char *errbuf, size_t errbuf_size)
{
        struct pg_ctx c;
        char pg_ctl[ESC_DEV_PATH_MAX];
        pid_t pid;

        if (pg_ctx_init(&c, dir, false, errbuf, errbuf_size))
                return -1;
        pid = pg_running_pid(&c);
        if (!pid)
                return 0;
        esc_dev_progress("stopping PostgreSQL (pid %ld)", (long)pid);
        /* pg_ctl's fast shutdown first; if the tools are gone or it hangs,
         * an immediate shutdown (SIGQUIT) and finally SIGKILL. */
        if (pg_ctx_init(&c, dir, true, errbuf, errbuf_size) == 0 &&
            esc_dev_path(pg_ctl, sizeof(pg_ctl), NULL, 0, "%s/pg_ctl", c.bindir) == 0) {
                char *argv[] = {pg_ctl, "-D", c.data, "-m", "fast", "-w", "-t", "30", "stop", NULL};
                pg_tool(&c, argv, NULL, 0);
        }
        if (esc_dev_pid_is_ours(pid, c.data) && esc_dev_pid_stop(pid, SIGQUIT, 5000))
                return esc_err(errbuf, errbuf_size, "PostgreSQL (pid %ld) did not stop", (long)pid);
        return 0;
}

void esc_dev_pg_status(const char *dir, esc_dev_pg_status_t *st)
{
        struct pg_ctx c;
        int port;

        memset(st, 0, sizeof(*st));
        if (pg_ctx_init(&c, dir, false, NULL, 0))
                return;
        st->pid = pg_running_pid(&c);
        st->running = st->pid != 0;
        port = (int)esc_dev_kv_long(c.portf, "port", 0);
        if (port > 0)
                pg_url(port, st->url, sizeof(st->url));
        if (st->running && port > 0)
                st->healthy = pg_exec(port, PG_DB, "SELECT 1", NULL, NULL, 0, NULL, 0) == 0;
}
