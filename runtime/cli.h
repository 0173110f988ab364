/* cli.h — what every subcommand entry point shares, whatever layer it
 * lives in: the exit codes of the contract (DESIGN §4), the handle main
 * passes down, one-line errors, checked config numbers (flags are parsed
 * by cli_args.h).
 *
 * Entry points live with their module (devstack/, ledger/, projections/,
 * producers/) and are declared in that module's header; producers/main.c
 * dispatches to them. Every entry point answers --help. */
#ifndef ESC_CLI_H
#define ESC_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "runtime/config.h"

enum {
        ESC_EXIT_OK = 0,
        ESC_EXIT_RUNTIME = 1,
        ESC_EXIT_USAGE = 2,
        ESC_EXIT_REJECTED = 3,
        ESC_EXIT_TIMEOUT = 4,
};

/* What every subcommand gets from main. */
typedef struct esc_cli {
        esc_config_t *conf; /* loaded once; owned by main */
        bool json;          /* --json: machine output on stdout */
} esc_cli_t;

typedef int (*esc_cmd_fn)(esc_cli_t *cli, int argc, char **argv);

/* Prints "esc <cmd>: <msg>" on stderr as one line and returns code. */
int esc_cli_fail(int code, const char *cmd, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* true if argv holds -h or --help anywhere before a "--". */
bool esc_cli_wants_help(int argc, char **argv);

/* A number from the configuration, checked like a flag: def if the key is
 * unset, else the value if it is a whole number in [min, max]. Returns 0,
 * or -1 with a one-line error on stderr naming the key and the range. */
int esc_cli_config_int(const char *cmd, const esc_config_t *conf, const char *key, long long def,
                       long long min, long long max, long long *out);

#endif
