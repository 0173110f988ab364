/* commands.h — the entry points of esc's subcommands (DESIGN §4).
 *
 * main.c parses the global options (--config, --json, --brokers, --pg),
 * loads the configuration once and dispatches on the first word(s). Each
 * entry point receives the remaining argv (argv[0] is the subcommand name)
 * and returns the process exit code of the contract:
 * 0 ok, 1 runtime error, 2 usage/bad input, 3 rejected by the ledger,
 * 4 timed out waiting for the ledger. Every entry point answers --help. */
#ifndef ESC_COMMANDS_H
#define ESC_COMMANDS_H

#include <stdbool.h>

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
        esc_config_t *conf;     /* loaded once; owned by main */
        bool json;              /* --json: machine output on stdout */
} esc_cli_t;

typedef int (*esc_cmd_fn)(esc_cli_t *cli, int argc, char **argv);

/* The dispatch table lives in main.c; definitions live with their module
 * (devstack/, producers/, projections/, ledger/). */
int esc_cmd_dev(esc_cli_t *cli, int argc, char **argv);          /* dev up|down|status */
int esc_cmd_policy(esc_cli_t *cli, int argc, char **argv);       /* policy check|explain */
int esc_cmd_schema(esc_cli_t *cli, int argc, char **argv);       /* schema canonical|fingerprint */
int esc_cmd_record(esc_cli_t *cli, int argc, char **argv);       /* open, ack, update, ... */
int esc_cmd_review(esc_cli_t *cli, int argc, char **argv);       /* review open|action|complete */
int esc_cmd_status(esc_cli_t *cli, int argc, char **argv);
int esc_cmd_ingest(esc_cli_t *cli, int argc, char **argv);
int esc_cmd_webhook(esc_cli_t *cli, int argc, char **argv);
int esc_cmd_worker(esc_cli_t *cli, int argc, char **argv);       /* worker ledger|sla|actions|timers */
int esc_cmd_timeline(esc_cli_t *cli, int argc, char **argv);
int esc_cmd_audit(esc_cli_t *cli, int argc, char **argv);        /* audit overrides|verify */

/* `esc audit overrides` (projections/timeline). */
int esc_audit_overrides_main(esc_cli_t *cli, int argc, char **argv);

/* `esc worker <name>` dispatches to these. */
int esc_worker_ledger_main(esc_cli_t *cli, int argc, char **argv);
int esc_worker_sla_main(esc_cli_t *cli, int argc, char **argv);
int esc_worker_actions_main(esc_cli_t *cli, int argc, char **argv);
int esc_worker_timers_main(esc_cli_t *cli, int argc, char **argv);

/* Shared helpers for subcommands. */
/* Prints "esc <cmd>: <msg>" on stderr as one line and returns code. */
int esc_cli_fail(int code, const char *cmd, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* true if argv holds -h or --help anywhere before a "--". */
bool esc_cli_wants_help(int argc, char **argv);

#endif
