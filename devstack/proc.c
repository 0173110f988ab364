/* proc.c — processes, pid files, ports and small files for the dev stack.
 *
 * The dev stack's servers must outlive `esc dev up` and must never hold
 * the caller's pipes open (ctest waits for a test's stdout to close, so a
 * broker that inherited it would hang the fixture): every server is started
 * in its own session with stdin from /dev/null, output to its log file and
 * every other descriptor closed. Pids are only ever signalled after checking
 * that the process's command line names our own directory, so a recycled
 * pid of someone else's process is never touched. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "devstack/devstack.h"
#include "core/util.h"

void esc_dev_progress(const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fprintf(stderr, "esc dev: %s\n", msg);
}

int esc_dev_path(char *buf, size_t size, char *errbuf, size_t errbuf_size, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= size)
                return esc_err(errbuf, errbuf_size,
                               "path too long (%d bytes, at most %zu): use a shorter ESC_DEV_DIR",
                               n, size - 1);
        return 0;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
                ;
}

/* In the child: redirect, drop privileges, exec. Never returns. */
static void child_exec(char *const argv[], const char *log_path, uid_t as_uid, gid_t as_gid,
                       bool new_session)
{
        int fd;

        if (new_session)
                setsid();
        fd = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
                dup2(fd, 0);
                if (fd > 0)
                        close(fd);
        }
        if (log_path) {
                fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd < 0)
                        _exit(126);
                if (as_uid != (uid_t)-1 && fchown(fd, as_uid, as_gid) != 0) {
                        /* best effort: the server may still write via fd */
                }
                dup2(fd, 1);
                dup2(fd, 2);
        }
        for (int i = 3; i < 1024; i++)
                close(i);
        if (as_uid != (uid_t)-1) {
                if (setgroups(0, NULL) != 0 || setgid(as_gid) != 0 || setuid(as_uid) != 0)
                        _exit(126);
        }
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], argv);
        fprintf(stderr, "esc dev: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
}

pid_t esc_dev_spawn(char *const argv[], const char *log_path, uid_t as_uid, gid_t as_gid,
                    char *errbuf, size_t errbuf_size)
{
        pid_t pid = fork();

        if (pid < 0) {
                esc_err(errbuf, errbuf_size, "fork for %s: %s", argv[0], strerror(errno));
                return -1;
        }
        if (pid == 0)
                child_exec(argv, log_path, as_uid, as_gid, true);
        return pid;
}

int esc_dev_run(char *const argv[], const char *log_path, uid_t as_uid, gid_t as_gid, char *errbuf,
                size_t errbuf_size)
{
        pid_t pid = fork();
        int status;

        if (pid < 0)
                return esc_err(errbuf, errbuf_size, "fork for %s: %s", argv[0], strerror(errno));
        if (pid == 0) {
                if (!log_path) {
                        /* keep stderr, but never hand our stdout to the tool */
                        dup2(2, 1);
                }
                child_exec(argv, log_path, as_uid, as_gid, false);
        }
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR)
                        return esc_err(errbuf, errbuf_size, "waitpid %s: %s", argv[0],
                                       strerror(errno));
        }
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return esc_err(errbuf, errbuf_size, "%s was killed by signal %d", argv[0],
                       WTERMSIG(status));
}

pid_t esc_dev_pid_read(const char *path)
{
        char buf[32];
        ssize_t n = esc_dev_file_read(path, buf, sizeof(buf));
        long v;

        if (n <= 0)
                return 0;
        v = strtol(buf, NULL, 10);
        return v > 0 && v < (1L << 30) ? (pid_t)v : 0;
}

int esc_dev_pid_write(const char *path, pid_t pid)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
        return esc_dev_file_write(path, buf, NULL, 0);
}

bool esc_dev_pid_is_ours(pid_t pid, const char *marker)
{
        char path[64], cmd[8192];
        ssize_t n;

        if (pid <= 0)
                return false;
        /* A zombie child of ours is dead for our purposes: reap it. */
        waitpid(pid, NULL, WNOHANG);
        if (kill(pid, 0) != 0 && errno == ESRCH)
                return false;
        snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
        n = esc_dev_file_read(path, cmd, sizeof(cmd));
        if (n <= 0)
                return false; /* gone, or a zombie: nothing to stop */
        for (ssize_t i = 0; i < n; i++)
                if (cmd[i] == '\0')
                        cmd[i] = ' ';
        return strstr(cmd, marker) != NULL;
}

bool esc_dev_pid_alive(pid_t pid)
{
        char path[64], st[512];
        ssize_t n;
        const char *p;

        waitpid(pid, NULL, WNOHANG);
        if (kill(pid, 0) != 0)
                return errno != ESRCH;
        /* A zombie (not our child) counts as gone: it holds no resources. */
        snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
        n = esc_dev_file_read(path, st, sizeof(st));
        if (n <= 0)
                return false;
        p = strrchr(st, ')');
        return !(p && p[1] == ' ' && p[2] == 'Z');
}

int esc_dev_pid_stop(pid_t pid, int sig, int timeout_ms)
{
        int waited = 0;

        if (pid <= 0 || !esc_dev_pid_alive(pid))
                return 0;
        kill(pid, sig);
        while (waited < timeout_ms && esc_dev_pid_alive(pid)) {
                sleep_ms(100);
                waited += 100;
        }
        if (!esc_dev_pid_alive(pid))
                return 0;
        kill(pid, SIGKILL);
        for (waited = 0; waited < 10000 && esc_dev_pid_alive(pid); waited += 100)
                sleep_ms(100);
        return esc_dev_pid_alive(pid) ? -1 : 0;
}

static int bind_loopback(int port)
{
        struct sockaddr_in sa;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;

        if (fd < 0)
                return -1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
                close(fd);
                return -1;
        }
        return fd;
}

int esc_dev_port_free(void)
{
        struct sockaddr_in sa;
        socklen_t len = sizeof(sa);
        int fd = bind_loopback(0);
        int port = -1;

        if (fd < 0)
                return -1;
        if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
                port = ntohs(sa.sin_port);
        close(fd);
        return port;
}

bool esc_dev_port_available(int port)
{
        int fd;

        if (port <= 0 || port > 65535)
                return false;
        fd = bind_loopback(port);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

int esc_dev_file_write(const char *path, const char *text, char *errbuf, size_t errbuf_size)
{
        char tmp[ESC_DEV_PATH_MAX + 16];
        size_t len = strlen(text);
        int fd;

        if (esc_dev_path(tmp, sizeof(tmp), errbuf, errbuf_size, "%s.tmp", path))
                return -1;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return esc_err(errbuf, errbuf_size, "cannot write %s: %s", tmp, strerror(errno));
        if (write(fd, text, len) != (ssize_t)len) {
                close(fd);
                unlink(tmp);
                return esc_err(errbuf, errbuf_size, "cannot write %s: %s", tmp, strerror(errno));
        }
        close(fd);
        if (rename(tmp, path) != 0) {
                unlink(tmp);
                return esc_err(errbuf, errbuf_size, "cannot rename %s to %s: %s", tmp, path,
                               strerror(errno));
        }
        return 0;
}

ssize_t esc_dev_file_read(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t got = 0;

        if (size == 0)
                return -1;
        buf[0] = '\0';
        if (fd < 0)
                return -1;
        while (got < size - 1) {
                ssize_t n = read(fd, buf + got, size - 1 - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(fd);
        buf[got] = '\0';
        return (ssize_t)got;
}

void esc_dev_file_tail(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        ssize_t n;

        buf[0] = '\0';
        if (fd < 0 || size < 2)
                goto out;
        if (fstat(fd, &st) == 0 && st.st_size > (off_t)(size - 1))
                lseek(fd, st.st_size - (off_t)(size - 1), SEEK_SET);
        n = read(fd, buf, size - 1);
        if (n > 0) {
                buf[n] = '\0';
                /* Start at a line boundary when we cut the front off. */
                char *nl = st.st_size > (off_t)(size - 1) ? strchr(buf, '\n') : NULL;
                if (nl)
                        memmove(buf, nl + 1, strlen(nl + 1) + 1);
        }
out:
        if (fd >= 0)
                close(fd);
}

void esc_dev_log_rotate(const char *path)
{
        char old[ESC_DEV_PATH_MAX + 8];

        if (esc_dev_path(old, sizeof(old), NULL, 0, "%s.1", path) == 0)
                rename(path, old);
}

int esc_dev_mkdirs(const char *path, char *errbuf, size_t errbuf_size)
{
        char tmp[ESC_DEV_PATH_MAX];

        if (esc_strlcpy(tmp, path, sizeof(tmp)) >= sizeof(tmp))
                return esc_err(errbuf, errbuf_size, "path too long: %s", path);
        for (char *p = tmp + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                        return esc_err(errbuf, errbuf_size, "cannot create %s: %s", tmp,
                                       strerror(errno));
                *p = '/';
        }
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return esc_err(errbuf, errbuf_size, "cannot create %s: %s", tmp, strerror(errno));
        return 0;
}

long esc_dev_kv_long(const char *path, const char *key, long def)
{
        char buf[4096];
        size_t klen = strlen(key);

        if (esc_dev_file_read(path, buf, sizeof(buf)) <= 0)
                return def;
        for (char *line = buf; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                if (!strncmp(line, key, klen) && line[klen] == '=')
                        return strtol(line + klen + 1, NULL, 10);
                line = nl ? nl + 1 : NULL;
        }
        return def;
}
