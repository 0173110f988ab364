/* main.c — the esc binary: global options, configuration, dispatch.
 *
 * Global options come before the subcommand (`esc --json open ...`) or
 * anywhere after it: main lifts --config/--json/--brokers/--pg out of argv
 * so each subcommand sees only its own flags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devstack/devstack.h"
#include "ledger/ledger.h"
#include "producers/commands.h"
#include "projections/timeline/timeline.h"
#include "runtime/log.h"

struct esc_subcommand {
        const char *name;
        esc_cmd_fn fn;
        const char *summary;
};

static const struct esc_subcommand subcommands[] = {
        {"dev", esc_cmd_dev, "dev up|down|status: the embedded Kafka + PostgreSQL stack"},
        {"policy", esc_cmd_policy, "policy check|explain: validate the policy, explain a severity"},
        {"open", esc_cmd_record, "open an escalation"},
        {"ack", esc_cmd_record, "acknowledge with a message and the next update time"},
        {"update", esc_cmd_record, "post a customer update (external or internal)"},
        {"assign", esc_cmd_record, "assign an owner role to a person"},
        {"override", esc_cmd_record, "override the severity (CS manager, with a reason)"},
        {"mitigate", esc_cmd_record, "record mitigation"},
        {"resolve", esc_cmd_record, "record resolution"},
        {"confirm", esc_cmd_record, "record the customer's confirmation"},
        {"close", esc_cmd_record, "close (confirmed, or unconfirmed by a manager)"},
        {"reopen", esc_cmd_record, "reopen with a reason"},
        {"review", esc_cmd_review, "review open|action|complete: post-incident review"},
        {"status", esc_cmd_status, "current state of an incident, folded from the log"},
        {"ingest", esc_cmd_ingest, "bulk commands from NDJSON or Zendesk payloads"},
        {"webhook", esc_cmd_webhook, "HTTP intake for ticketing systems"},
        {"worker", esc_cmd_worker, "worker ledger|sla|actions|timers: long-running processes"},
        {"timeline", esc_cmd_timeline, "replay an incident's timeline from the log"},
        {"audit", esc_cmd_audit, "audit overrides|verify: override history, hash chain check"},
        {"schema", esc_cmd_schema, "schema canonical|fingerprint: Avro schema tools"},
};

static void usage(FILE *out)
{
        fprintf(out,
                "usage: esc [--config FILE] [--json] [--brokers LIST] [--pg URL] <command> [args]\n"
                "\n"
                "esc records customer escalations as an event-sourced ledger on Kafka.\n"
                "\n"
                "commands:\n");
        for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
                fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
        fprintf(out, "\n"
                     "global options:\n"
                     "  --config FILE   configuration file (env ESC_CONFIG, default ./esc.yaml)\n"
                     "  --json          machine-readable output on stdout\n"
                     "  --brokers LIST  Kafka bootstrap servers (env ESC_KAFKA_BROKERS)\n"
                     "  --pg URL        PostgreSQL URL (env ESC_PG_URL)\n"
                     "  --version       print the version\n"
                     "\n"
                     "exit codes: 0 ok, 1 runtime error, 2 usage or bad input,\n"
                     "            3 rejected by the ledger, 4 timed out waiting for the ledger\n"
                     "Run 'esc <command> --help' for a command's options.\n");
}

/* Takes a global option out of argv. Returns 1 if argv[*i] was one (and
 * advances *i past its value), 0 if not, -1 on a missing value. */
static int take_global(int argc, char **argv, int *i, const char **config_path, bool *json,
                       const char **brokers, const char **pg)
{
        const char *a = argv[*i];
        const char **slot = NULL;
        const char *name = NULL;

        if (!strcmp(a, "--json")) {
                *json = true;
                return 1;
        }
        if (!strcmp(a, "--config"))
                slot = config_path, name = "--config";
        else if (!strcmp(a, "--brokers"))
                slot = brokers, name = "--brokers";
        else if (!strcmp(a, "--pg"))
                slot = pg, name = "--pg";
        else if (!strncmp(a, "--config=", 9))
                return (*config_path = a + 9), 1;
        else if (!strncmp(a, "--brokers=", 10))
                return (*brokers = a + 10), 1;
        else if (!strncmp(a, "--pg=", 5))
                return (*pg = a + 5), 1;
        else
                return 0;

        if (*i + 1 >= argc) {
                fprintf(stderr, "esc: %s needs a value\n", name);
                return -1;
        }
        *slot = argv[++*i];
        return 1;
}

int main(int argc, char **argv)
{
        const char *config_path = NULL, *brokers = NULL, *pg = NULL;
        bool json = false;
        char **rest = calloc((size_t)argc + 1, sizeof(*rest));
        int nrest = 0;
        bool after_dashdash = false;
        char errbuf[512];
        int rc;

        if (!rest)
                return ESC_EXIT_RUNTIME;

        for (int i = 1; i < argc; i++) {
                if (!after_dashdash) {
                        if (!strcmp(argv[i], "--")) {
                                after_dashdash = true;
                                rest[nrest++] = argv[i];
                                continue;
                        }
                        int t = take_global(argc, argv, &i, &config_path, &json, &brokers, &pg);
                        if (t < 0) {
                                free(rest);
                                return ESC_EXIT_USAGE;
                        }
                        if (t > 0)
                                continue;
                }
                rest[nrest++] = argv[i];
        }

        if (nrest == 0 || (nrest == 1 && (!strcmp(rest[0], "-h") || !strcmp(rest[0], "--help") ||
                                          !strcmp(rest[0], "help")))) {
                usage(nrest == 0 ? stderr : stdout);
                free(rest);
                return nrest == 0 ? ESC_EXIT_USAGE : ESC_EXIT_OK;
        }
        if (!strcmp(rest[0], "--version") || !strcmp(rest[0], "version")) {
                printf("esc %s\n", ESC_VERSION);
                free(rest);
                return ESC_EXIT_OK;
        }

        const struct esc_subcommand *sc = NULL;
        for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
                if (!strcmp(rest[0], subcommands[i].name))
                        sc = &subcommands[i];
        if (!sc) {
                fprintf(stderr, "esc: unknown command '%s'; run 'esc --help' for the list\n",
                        rest[0]);
                free(rest);
                return ESC_EXIT_USAGE;
        }

        if (getenv("ESC_LOG_LEVEL") && !strcmp(getenv("ESC_LOG_LEVEL"), "debug"))
                esc_log_set_level(ESC_LOG_DEBUG);

        esc_config_t *conf = esc_config_load(config_path, errbuf, sizeof(errbuf));
        if (!conf) {
                fprintf(stderr, "esc: %s\n", errbuf);
                free(rest);
                return ESC_EXIT_USAGE;
        }
        if (brokers)
                esc_config_set(conf, "kafka.bootstrap_servers", brokers);
        if (pg)
                esc_config_set(conf, "postgres.url", pg);

        esc_cli_t cli = {.conf = conf, .json = json};
        rc = sc->fn(&cli, nrest, rest);

        esc_config_destroy(conf);
        free(rest);
        return rc;
}
