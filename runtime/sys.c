/* sys.c — the few operating-system facts the pure core must not touch:
 * the clocks, whole-file reads with a cap, and the OS random source.
 * Everything here has I/O or reads the clock; core/ calls none of it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "runtime/sys.h"

esc_time_t esc_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (esc_time_t)ts.tv_sec * ESC_USEC_PER_SEC + ts.tv_nsec / 1000;
}

int64_t esc_mono_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * ESC_USEC_PER_SEC + ts.tv_nsec / 1000;
}

int esc_read_file(const char *path, size_t cap, esc_buf_t *out, char *errbuf, size_t errbuf_size)
{
        int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
        char chunk[65536];
        ssize_t r;

        if (fd < 0)
                return esc_err(errbuf, errbuf_size, "%s: %s", path, strerror(errno));
        esc_buf_init(out, cap);
        while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        esc_err(errbuf, errbuf_size, "%s: %s", path, strerror(errno));
                        goto fail;
                }
                if (esc_buf_append(out, chunk, (size_t)r)) {
                        esc_err(errbuf, errbuf_size, "%s: larger than %zu bytes", path, out->cap);
                        goto fail;
                }
        }
        if (!out->data)
                esc_buf_append(out, "", 0);
        if (fd != STDIN_FILENO)
                close(fd);
        return 0;
fail:
        if (fd != STDIN_FILENO)
                close(fd);
        esc_buf_free(out);
        return -1;
}

void esc_uuid_random(char out[37])
{
        unsigned char b[16];
        size_t got = 0;

        while (got < sizeof(b)) {
                ssize_t r = getrandom(b + got, sizeof(b) - got, 0);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        abort(); /* no entropy source: nothing sane to do */
                }
                got += (size_t)r;
        }
        b[6] = (b[6] & 0x0F) | 0x40;
        b[8] = (b[8] & 0x3F) | 0x80;
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
}
