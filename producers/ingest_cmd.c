/* ingest_cmd.c — `esc ingest [FILE|-] [--format ndjson|zendesk]
 * [--rejects FILE] [--no-progress]`: flags, the run, the summary and the
 * exit code (0 every line accepted and delivered, 2 some line rejected,
 * 1 a delivery failed or the run broke off). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cli_args.h"
#include "producers/commands.h"
#include "producers/ingest.h"

#include <jansson.h>

static const char usage[] =
        "usage: esc ingest [FILE|-] [--format ndjson|zendesk] [--rejects FILE] [--no-progress]\n"
        "                  [--threads N]\n"
        "\n"
        "Streams commands into esc.commands: one JSON document per line, either the\n"
        "command shape of docs/commands.md (ndjson, the default) or a Zendesk ticket\n"
        "event payload (zendesk; mapped with the zendesk.* config keys).\n"
        "Bad lines go to the reject file (default FILE.rejects, or ./stdin.rejects)\n"
        "as 'line N: <reason><TAB><original line>'. --threads: parse/encode workers\n"
        "(default 2); commands keep the file's order either way.\n"
        "exit: 0 all accepted and delivered, 2 some lines rejected, 1 delivery failed\n";

int esc_cmd_ingest(esc_cli_t *cli, int argc, char **argv)
{
        const char *format = NULL, *rejects = NULL, *pos[1] = {NULL};
        esc_opt_int_t threads = {0, 1, 16};
        bool no_progress = false, help = false;
        int npos = 0;
        char errbuf[1024];
        const esc_opt_t opts[] = {
                {"format", ESC_OPT_STR, &format, 32},
                {"rejects", ESC_OPT_STR, &rejects, 4000},
                {"no-progress", ESC_OPT_BOOL, &no_progress, 0},
                {"threads", ESC_OPT_INT, &threads, 8},
                {"help", ESC_OPT_BOOL, &help, 0},
                {0},
        };
        esc_ingest_opts_t io = {0};
        esc_ingest_stats_t st;

        if (esc_cli_wants_help(argc, argv)) {
                fputs(usage, stdout);
                return ESC_EXIT_OK;
        }
        /* "-" alone is stdin, not a flag */
        for (int i = 1; i < argc; i++)
                if (!strcmp(argv[i], "-")) {
                        pos[0] = "-";
                        npos = 1;
                        for (int j = i; j + 1 < argc; j++)
                                argv[j] = argv[j + 1];
                        argc--;
                        break;
                }
        if (esc_cli_parse(argc, argv, opts, npos ? pos + 1 : pos, npos ? 0 : 1, npos ? NULL : &npos,
                          errbuf, sizeof(errbuf)))
                return esc_cli_fail(ESC_EXIT_USAGE, "ingest", "%s", errbuf);
        io.input = npos ? pos[0] : "-";
        io.rejects = rejects;
        if (!format || !strcmp(format, "ndjson"))
                io.format = ESC_INGEST_NDJSON;
        else if (!strcmp(format, "zendesk"))
                io.format = ESC_INGEST_ZENDESK;
        else
                return esc_cli_fail(ESC_EXIT_USAGE, "ingest",
                                    "--format '%s' is not known: use ndjson or zendesk", format);
        io.progress = !no_progress && isatty(STDERR_FILENO);
        io.threads = (int)threads.v; /* 0: the default */

        int rc = esc_ingest_run(cli->conf, &io, &st, errbuf, sizeof(errbuf));
        if (rc == -2)
                return esc_cli_fail(ESC_EXIT_USAGE, "ingest", "%s", errbuf);

        if (cli->json) {
                printf("{\"lines\":%lld,\"accepted\":%lld,\"rejected\":%lld,\"skipped\":%lld,"
                       "\"delivered\":%lld,\"failed\":%lld,\"seconds\":%.3f,\"rejects\":",
                       (long long)st.lines, (long long)st.accepted, (long long)st.rejected,
                       (long long)st.skipped, (long long)st.delivered, (long long)st.failed,
                       st.seconds);
                if (st.rejects_path[0]) {
                        json_t *s = json_string(st.rejects_path);
                        char *t = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
                        fputs(t ? t : "null", stdout);
                        free(t);
                        json_decref(s);
                } else {
                        fputs("null", stdout);
                }
                fputs("}\n", stdout);
        }
        fprintf(stderr,
                "esc ingest: %lld lines: %lld accepted, %lld delivered, %lld rejected, %lld "
                "skipped, %lld not delivered (%.1f s)%s%s\n",
                (long long)st.lines, (long long)st.accepted, (long long)st.delivered,
                (long long)st.rejected, (long long)st.skipped, (long long)st.failed, st.seconds,
                st.rejects_path[0] ? "; rejects in " : "", st.rejects_path);
        if (rc)
                return esc_cli_fail(ESC_EXIT_RUNTIME, "ingest", "%s", errbuf);
        if (st.failed > 0 || st.delivered < st.accepted)
                return ESC_EXIT_RUNTIME;
        return st.rejected > 0 ? ESC_EXIT_USAGE : ESC_EXIT_OK;
}
