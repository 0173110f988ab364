/* groups.c — the two-word commands `esc worker <name>` and `esc audit
 * <name>`: one table per group, one dispatcher; each entry point lives
 * with its module. */
#include <stdio.h>
#include <string.h>

#include "ledger/ledger.h"
#include "producers/commands.h"
#include "projections/actions/actions.h"
#include "projections/sla/sla.h"
#include "projections/timeline/timeline.h"
#include "projections/timers/timers.h"
#include "runtime/worker_main.h"

typedef struct member {
        const char *name;
        esc_cmd_fn fn; /* or NULL: */
        const char *what;
        const esc_worker_app_t *app; /* run by esc_worker_main */
} member_t;

typedef struct group {
        const char *cmd; /* "worker" */
        const char *synopsis;
        const char *footer;
        const member_t *members; /* ended by {NULL} */
} group_t;

static const member_t workers[] = {
        {"ledger", NULL, "decides commands into events (the only writer of esc.events)",
         &esc_worker_ledger_app},
        {"sla", NULL, "projects events into PostgreSQL for analysts", &esc_worker_sla_app},
        {"actions", NULL, "drives Slack, Linear and PagerDuty", &esc_worker_actions_app},
        {"timers", NULL, "fires cadence reminders and SLA breaches", &esc_worker_timers_app},
        {NULL, NULL, NULL, NULL},
};

static const member_t audits[] = {
        {"overrides", esc_audit_overrides_main,
         "every severity override and refused override, with who and why", NULL},
        {"verify", esc_audit_verify_main,
         "check the hash chain, seq continuity and ids of esc.events", NULL},
        {NULL, NULL, NULL, NULL},
};

static const group_t worker_group = {
        "worker",
        "usage: esc worker <name> [options]\n\nworkers:\n",
        "\nWorkers run until SIGTERM/SIGINT, then drain and exit 0.\n"
        "Run 'esc worker <name> --help' for a worker's options.\n",
        workers,
};

static const group_t audit_group = {
        "audit",
        "usage: esc audit overrides [--account A] [--since T] [--format text|json|csv]\n"
        "       esc audit verify\n\n",
        "",
        audits,
};

static void usage(const group_t *g, FILE *out)
{
        fputs(g->synopsis, out);
        for (const member_t *m = g->members; m->name; m++)
                fprintf(out, "  %-9s  %s\n", m->name, m->what);
        fputs(g->footer, out);
}

static int dispatch(const group_t *g, esc_cli_t *cli, int argc, char **argv)
{
        char names[128] = "";

        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
                usage(g, argc < 2 ? stderr : stdout);
                return argc < 2 ? ESC_EXIT_USAGE : ESC_EXIT_OK;
        }
        for (const member_t *m = g->members; m->name; m++) {
                if (!strcmp(argv[1], m->name))
                        return m->app ? esc_worker_main(cli, argc - 1, argv + 1, m->app)
                                      : m->fn(cli, argc - 1, argv + 1);
                snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                         names[0] ? ", " : "", m->name);
        }
        return esc_cli_fail(ESC_EXIT_USAGE, g->cmd, "unknown %s '%s' (choose %s)", g->cmd, argv[1],
                            names);
}

int esc_cmd_worker(esc_cli_t *cli, int argc, char **argv)
{
        return dispatch(&worker_group, cli, argc, argv);
}

int esc_cmd_audit(esc_cli_t *cli, int argc, char **argv)
{
        return dispatch(&audit_group, cli, argc, argv);
}
