/* worker_cmd.c — `esc worker ledger|sla|actions|timers`: picks the
 * long-running process; each worker's main lives with its module. */
#include <stdio.h>
#include <string.h>

#include "producers/commands.h"

static const struct {
        const char *name;
        esc_cmd_fn fn;
        const char *what;
} workers[] = {
        {"ledger", esc_worker_ledger_main, "decides commands into events (the only writer of esc.events)"},
        {"sla", esc_worker_sla_main, "projects events into PostgreSQL for analysts"},
        {"actions", esc_worker_actions_main, "drives Slack, Linear and PagerDuty"},
        {"timers", esc_worker_timers_main, "fires cadence reminders and SLA breaches"},
};

static void usage(FILE *out)
{
        fprintf(out, "usage: esc worker <name> [options]\n\nworkers:\n");
        for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++)
                fprintf(out, "  %-8s %s\n", workers[i].name, workers[i].what);
        fprintf(out, "\nWorkers run until SIGTERM/SIGINT, then drain and exit 0.\n"
                     "Run 'esc worker <name> --help' for a worker's options.\n");
}

int esc_cmd_worker(esc_cli_t *cli, int argc, char **argv)
{
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? ESC_EXIT_USAGE : ESC_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++)
                if (!strcmp(argv[1], workers[i].name))
                        return workers[i].fn(cli, argc - 1, argv + 1);
        return esc_cli_fail(ESC_EXIT_USAGE, "worker",
                            "unknown worker '%s' (choose ledger, sla, actions or timers)",
                            argv[1]);
}
