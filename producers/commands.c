/* commands.c — CLI helpers shared by every subcommand, and the weak
 * fallbacks for subcommands whose module is not linked into this build.
 *
 * The esc binary links the core objects directly (see CMakeLists.txt), so a
 * module's strong definition always wins over the weak one here. */
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

static int unavailable(const char *what)
{
        fprintf(stderr, "esc %s: this command is not part of this build\n", what);
        return ESC_EXIT_RUNTIME;
}

#define ESC_WEAK_CMD(fn, what)                                                     \
        __attribute__((weak)) int fn(esc_cli_t *cli, int argc, char **argv)        \
        {                                                                          \
                (void)cli;                                                         \
                (void)argc;                                                        \
                (void)argv;                                                        \
                return unavailable(what);                                          \
        }

ESC_WEAK_CMD(esc_cmd_dev, "dev")
ESC_WEAK_CMD(esc_cmd_policy, "policy")
ESC_WEAK_CMD(esc_cmd_schema, "schema")
ESC_WEAK_CMD(esc_cmd_record, "record")
ESC_WEAK_CMD(esc_cmd_review, "review")
ESC_WEAK_CMD(esc_cmd_status, "status")
ESC_WEAK_CMD(esc_cmd_ingest, "ingest")
ESC_WEAK_CMD(esc_cmd_webhook, "webhook")
ESC_WEAK_CMD(esc_cmd_timeline, "timeline")
ESC_WEAK_CMD(esc_cmd_audit, "audit")
ESC_WEAK_CMD(esc_audit_overrides_main, "audit overrides")
ESC_WEAK_CMD(esc_worker_ledger_main, "worker ledger")
ESC_WEAK_CMD(esc_worker_sla_main, "worker sla")
ESC_WEAK_CMD(esc_worker_actions_main, "worker actions")
ESC_WEAK_CMD(esc_worker_timers_main, "worker timers")
