/* schema_cmd.c — `esc schema canonical|fingerprint FILE|-` (DESIGN §4).
 *
 * Prints an Avro schema's Parsing Canonical Form, or its CRC-64-AVRO
 * fingerprint as a signed decimal (the form of the Avro specification's
 * test vectors and of Java's SchemaNormalization.parsingFingerprint64), or
 * as 16 hex digits with --hex. Lets operators check which schema a
 * single-object frame's fingerprint names. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/schema_canon.h"
#include "producers/commands.h"
#include "runtime/sys.h"

static const char usage[] =
        "usage: esc schema canonical FILE|-\n"
        "       esc schema fingerprint FILE|- [--hex]\n"
        "\n"
        "  canonical    print the Avro Parsing Canonical Form of the schema\n"
        "  fingerprint  print its CRC-64-AVRO fingerprint as a signed decimal,\n"
        "               as in the Avro specification's test vectors\n"
        "  --hex        print the fingerprint as 16 hex digits instead\n"
        "  FILE         an .avsc file, or - for standard input\n";

int esc_cmd_schema(esc_cli_t *cli, int argc, char **argv)
{
        const char *verb = argc > 1 ? argv[1] : NULL;
        const char *path = NULL;
        bool hex = false;
        esc_buf_t in, canon;
        char err[512];
        int rc = ESC_EXIT_OK;

        if (esc_cli_wants_help(argc, argv)) {
                fputs(usage, stdout);
                return ESC_EXIT_OK;
        }
        if (!verb || (strcmp(verb, "canonical") && strcmp(verb, "fingerprint"))) {
                fputs(usage, stderr);
                return esc_cli_fail(ESC_EXIT_USAGE, "schema",
                                    "expected `canonical` or `fingerprint`, got %s",
                                    verb ? verb : "nothing");
        }
        for (int i = 2; i < argc; i++) {
                if (!strcmp(argv[i], "--hex") && !strcmp(verb, "fingerprint"))
                        hex = true;
                else if (!path && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
                        path = argv[i];
                else
                        return esc_cli_fail(ESC_EXIT_USAGE, "schema",
                                            "unexpected argument %s (see --help)", argv[i]);
        }
        if (!path)
                return esc_cli_fail(ESC_EXIT_USAGE, "schema",
                                    "%s needs a schema FILE, or - for standard input", verb);

        esc_buf_init(&in, ESC_SCHEMA_MAX_TEXT);
        esc_buf_init(&canon, ESC_SCHEMA_MAX_TEXT);
        if (esc_read_file(path, ESC_SCHEMA_MAX_TEXT, &in, err, sizeof(err))) {
                rc = esc_cli_fail(ESC_EXIT_USAGE, "schema", "%s", err);
                goto out;
        }
        if (esc_schema_canonical(in.data ? in.data : "", in.len, &canon, err, sizeof(err))) {
                rc = esc_cli_fail(ESC_EXIT_USAGE, "schema", "%s: %s",
                                  strcmp(path, "-") ? path : "stdin", err);
                goto out;
        }
        if (!strcmp(verb, "canonical")) {
                if (cli && cli->json) {
                        json_t *o = json_pack("{s:s}", "canonical", canon.data);
                        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
                        printf("%s\n", s ? s : "{}");
                        free(s);
                        json_decref(o);
                } else {
                        printf("%s\n", canon.data);
                }
        } else {
                uint64_t fp = esc_schema_crc64(canon.data, canon.len);
                if (cli && cli->json)
                        printf("{\"fingerprint\":\"%" PRId64 "\",\"hex\":\"%016" PRIx64 "\"}\n",
                               (int64_t)fp, fp);
                else if (hex)
                        printf("%016" PRIx64 "\n", fp);
                else
                        printf("%" PRId64 "\n", (int64_t)fp);
        }
out:
        esc_buf_free(&in);
        esc_buf_free(&canon);
        return rc;
}
