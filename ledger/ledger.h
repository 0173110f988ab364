/* ledger.h — the ledger's entry points: `esc worker ledger` (the only
 * writer of esc.events, ledger_worker.c) and `esc audit verify`
 * (audit_verify.c). */
#ifndef ESC_LEDGER_H
#define ESC_LEDGER_H

#include "runtime/cli.h"

int esc_worker_ledger_main(esc_cli_t *cli, int argc, char **argv);
int esc_audit_verify_main(esc_cli_t *cli, int argc, char **argv);

#endif
