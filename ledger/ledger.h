/* ledger.h — the ledger's entry points: `esc worker ledger` (the only
 * writer of esc.events, ledger_worker.c) and `esc audit verify`
 * (audit_verify.c). */
#ifndef ESC_LEDGER_H
#define ESC_LEDGER_H

#include "runtime/cli.h"

/* `esc worker ledger` (runtime/worker_main.h). */
extern const struct esc_worker_app esc_worker_ledger_app;
int esc_audit_verify_main(esc_cli_t *cli, int argc, char **argv);

#endif
