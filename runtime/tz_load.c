/* tz_load.c — reading a zone's TZif file for core/calendar.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/sys.h"
#include "runtime/tz_load.h"

#define TZ_FILE_CAP (256 * 1024)

esc_tz_t *esc_tz_load(const char *name, char *errbuf, size_t errbuf_size)
{
        if (!name || !esc_tz_name_ok(name)) {
                esc_err(errbuf, errbuf_size,
                        "time zone \"%s\" is not an IANA zone name (e.g. Europe/Berlin, UTC)",
                        name ? name : "");
                return NULL;
        }
        if (!strcmp(name, "UTC") || !strcmp(name, "Etc/UTC"))
                return esc_tz_utc();

        const char *dir = getenv("TZDIR");
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
        esc_buf_t buf;
        esc_buf_init(&buf, TZ_FILE_CAP);
        char ferr[256];
        if (esc_read_file(path, TZ_FILE_CAP, &buf, ferr, sizeof(ferr))) {
                esc_buf_free(&buf);
                esc_err(errbuf, errbuf_size,
                        "time zone \"%s\" is unknown (no %s; use an IANA name such as "
                        "America/New_York)",
                        name, path);
                return NULL;
        }
        esc_tz_t *tz = esc_tz_from_tzif(name, buf.data, buf.len, errbuf, errbuf_size);
        esc_buf_free(&buf);
        return tz;
}
