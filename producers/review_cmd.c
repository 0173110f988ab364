/* review_cmd.c — `esc review open|action|complete INC ...`: the
 * post-incident review of a Sev 1/2 (seed step 4). Same machinery as the
 * other recording commands (cli_record.h); only the two-word dispatch is
 * here. */
#include <stdio.h>
#include <string.h>

#include "producers/cli_record.h"

int esc_cmd_review(esc_cli_t *cli, int argc, char **argv)
{
        static const char *const subs[] = {"open", "action", "complete"};
        char word[32];

        if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                /* asked for: stdout, exit 0; missing subcommand: stderr, exit 2 */
                fprintf(argc < 2 ? stderr : stdout,
                        "usage: esc review open INC [--tracker-url U] [--by P]\n"
                        "       esc review action INC --title T --owner P --due YYYY-MM-DD "
                        "[--tracker-url U] [--action-id ID] [--by P]\n"
                        "       esc review complete INC --root-cause R [--why W]... [--by P]\n"
                        "each also takes [--at TIME] [--command-id ID] [--wait S | --no-wait]\n");
                return argc < 2 ? ESC_EXIT_USAGE : ESC_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
                if (strcmp(argv[1], subs[i]))
                        continue;
                snprintf(word, sizeof(word), "review %s", subs[i]);
                /* argv[1] becomes the command word the builder skips */
                return esc_record_main(cli, word, argc - 1, argv + 1);
        }
        return esc_cli_fail(ESC_EXIT_USAGE, "review",
                            "unknown review command '%.32s': use open, action or complete",
                            argv[1]);
}
