/* signals.h — the stop request every long-running esc process honours.
 *
 * SIGTERM and SIGINT only set a flag (async-signal-safe); the process's
 * main loop looks at it between polls and drains (DESIGN §7). SIGPIPE is
 * ignored so a vanished HTTP or socket peer is an error return, not death.
 * The flag is process-wide because signals are. */
#ifndef ESC_SIGNALS_H
#define ESC_SIGNALS_H

#include <stdbool.h>

/* Installs the SIGTERM/SIGINT handlers (without SA_RESTART, so a blocking
 * call returns EINTR) and ignores SIGPIPE. Idempotent. Returns 0 or -1. */
int esc_signals_install(void);
/* true once SIGTERM/SIGINT arrived. */
bool esc_signals_stop_requested(void);
/* The signal that asked to stop (0 if requested by code or not yet). */
int esc_signals_last(void);
/* Clears the flag (tests that run several loops in one process). */
void esc_signals_reset(void);

#endif
