/* timers.h — `esc worker timers`: watches open incidents' deadlines and
 * sends the deadline commands (due.h decides, table.h holds them). */
#ifndef ESC_TIMERS_H
#define ESC_TIMERS_H

#include "runtime/cli.h"

int esc_worker_timers_main(esc_cli_t *cli, int argc, char **argv);

#endif
