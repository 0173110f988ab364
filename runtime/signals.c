/* signals.c — SIGTERM/SIGINT set a flag; the loops poll it. Nothing else is
 * done in the handler because almost nothing else is async-signal-safe. */
#include <signal.h>
#include <string.h>

#include "runtime/signals.h"

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
        stop_signal = sig;
        stop_flag = 1;
}

int esc_signals_install(void)
{
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; /* no SA_RESTART: a blocking poll returns early */
        if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
                return -1;
        sa.sa_handler = SIG_IGN;
        if (sigaction(SIGPIPE, &sa, NULL) != 0)
                return -1;
        return 0;
}

bool esc_signals_stop_requested(void)
{
        return stop_flag != 0;
}

int esc_signals_last(void)
{
        return stop_signal;
}

void esc_signals_reset(void)
{
        stop_flag = 0;
        stop_signal = 0;
}
