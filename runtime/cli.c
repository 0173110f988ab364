/* cli.c — one-line errors, --help detection and checked config numbers
 * for every entry point (see cli.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "runtime/cli.h"

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

int esc_cli_config_int(const char *cmd, const esc_config_t *conf, const char *key, long long def,
                       long long min, long long max, long long *out)
{
        char err[512];

        if (esc_config_number(conf, key, def, min, max, out, err, sizeof(err)) == 0)
                return 0;
        esc_cli_fail(ESC_EXIT_USAGE, cmd, "%s", err);
        return -1;
}
