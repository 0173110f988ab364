/* fault.c — see fault.h. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/fault.h"
#include "runtime/log.h"

void esc_fault_point(const char *name)
{
        const char *want = getenv("ESC_FAULT_KILL");
        if (!want || strcmp(want, name))
                return;
        esc_log(ESC_LOG_WARN, "fault", "crash point reached: killing the process", "point=%s",
                name);
        fflush(NULL);
        raise(SIGKILL);
}
