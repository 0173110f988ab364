/* tz_load.h — IANA time zones from the system tz database: the file-reading
 * half of core/calendar.h's zones. */
#ifndef ESC_TZ_LOAD_H
#define ESC_TZ_LOAD_H

#include <stddef.h>

#include "core/calendar.h"

/* Loads an IANA zone ("Europe/Berlin", "UTC") from $TZDIR or
 * /usr/share/zoneinfo. Names with "..", a leading "/" or characters outside
 * [A-Za-z0-9/_+-] are refused. Returns NULL with errbuf naming the zone. */
esc_tz_t *esc_tz_load(const char *name, char *errbuf, size_t errbuf_size);

#endif
