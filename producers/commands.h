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

#include "runtime/cli.h"

/* The dispatch table lives in main.c. These are the CLI's own commands;
 * the others are declared by their module (devstack/devstack.h,
 * ledger/ledger.h, projections/<worker>/). */
int esc_cmd_policy(esc_cli_t *cli, int argc, char **argv); /* policy check|explain */
int esc_cmd_schema(esc_cli_t *cli, int argc, char **argv); /* schema canonical|fingerprint */
int esc_cmd_record(esc_cli_t *cli, int argc, char **argv); /* open, ack, update, ... */
int esc_cmd_review(esc_cli_t *cli, int argc, char **argv); /* review open|action|complete */
int esc_cmd_status(esc_cli_t *cli, int argc, char **argv);
int esc_cmd_ingest(esc_cli_t *cli, int argc, char **argv);
int esc_cmd_webhook(esc_cli_t *cli, int argc, char **argv);
int esc_cmd_worker(esc_cli_t *cli, int argc, char **argv); /* worker ledger|sla|actions|timers */
int esc_cmd_audit(esc_cli_t *cli, int argc, char **argv);  /* audit overrides|verify */

#endif
