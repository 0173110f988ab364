/* commands.c — CLI helpers shared by every subcommand. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "producers/commands.h"

int esc_cli_fail(int code, const char *cmd, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fprintf(stderr, "esc %s: %s\n", cmd, msg);
        return code;
}

bool esc_cli_wants_help(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--"))
                        return false;
                if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
                        return true;
        }
        return false;
}
