/* sys.h — clocks, capped file reads and OS randomness: the impure
 * helpers kept out of core/ (see core/util.h for the pure ones). */
#ifndef ESC_SYS_H
#define ESC_SYS_H

#include "core/util.h"

/* Wall clock now, in microseconds. Not for use in pure code (decider). */
esc_time_t esc_now(void);
/* Monotonic clock in microseconds, for durations and timeouts. */
int64_t esc_mono_us(void);

/* Reads a whole file (or stdin for "-") with a size cap. */
int esc_read_file(const char *path, size_t cap, esc_buf_t *out, char *errbuf, size_t errbuf_size);

/* Random UUIDv4 text (37 bytes incl. NUL) from the OS random source. */
void esc_uuid_random(char out[37]);

#endif
