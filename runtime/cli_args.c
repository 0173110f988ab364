/* cli_args.c — the one flag parser behind every subcommand.
 *
 * Deliberately not getopt_long: getopt permutes and reports errors in its
 * own words on stderr, while esc promises one line naming the flag and the
 * fix, and needs per-flag byte caps on values that come from the outside. */
#include <string.h>

#include "runtime/cli_args.h"

int esc_cli_check_value(const char *flag, const char *v, size_t max, char *errbuf,
                        size_t errbuf_size)
{
        size_t n = strlen(v);

        if (max == 0)
                max = ESC_MAX_STR;
        if (n > max)
                return esc_err(errbuf, errbuf_size,
                               "--%s is %zu bytes long; the limit is %zu bytes (shorten it)", flag,
                               n, max);
        if (!esc_utf8_valid(v, n))
                return esc_err(errbuf, errbuf_size,
                               "--%s is not valid UTF-8 (re-encode the value as UTF-8)", flag);
        return 0;
}

/* name[0..len) is the flag as given (it may go on with "=value"). Every
 * NDJSON line passes here several times, so no strlen per option, and
 * the first byte, where most names differ, is compared inline. */
static const esc_opt_t *find_opt(const esc_opt_t *opts, const char *name, size_t len)
{
        for (const esc_opt_t *o = opts; o->name; o++)
                if (o->name[0] == name[0] && !strncmp(o->name, name, len) && o->name[len] == '\0')
                        return o;
        return NULL;
}

int esc_cli_unknown_flag(const char *name, size_t len, char *errbuf, size_t errbuf_size)
{
        return esc_err(errbuf, errbuf_size, "unknown flag '--%.*s' (see --help for the flags)",
                       (int)(len > 64 ? 64 : len), name);
}

int esc_cli_store(const esc_opt_t *o, const char *v, bool *seen, char *errbuf, size_t errbuf_size)
{
        if (o->kind == ESC_OPT_BOOL) {
                *(bool *)o->dst = true;
                return 0;
        }
        if (esc_cli_check_value(o->name, v, o->max, errbuf, errbuf_size))
                return -1;
        if (o->kind == ESC_OPT_INT) {
                if (seen && *seen)
                        return esc_err(errbuf, errbuf_size, "--%s given twice (give it once)",
                                       o->name);
                esc_opt_int_t *n = o->dst;
                if (esc_parse_int(v, n->lo, n->hi, &n->v))
                        return esc_err(errbuf, errbuf_size,
                                       "--%s '%s' is not a whole number from %lld to %lld", o->name,
                                       v, n->lo, n->hi);
                if (seen)
                        *seen = true;
                return 0;
        }
        if (o->kind == ESC_OPT_LIST) {
                esc_strlist_t *l = o->dst;
                if (l->n >= ESC_MAX_LIST)
                        return esc_err(errbuf, errbuf_size, "--%s given more than %d times",
                                       o->name, ESC_MAX_LIST);
                esc_strlist_push(l, v);
                return 0;
        }
        /* a repeat is an error, not a silent "last one wins" (a script
         * passing --by twice has a bug) */
        if (seen && *seen)
                return esc_err(errbuf, errbuf_size, "--%s given twice (give it once)", o->name);
        if (seen)
                *seen = true;
        *(const char **)o->dst = v;
        return 0;
}

/* Flags whose repeats esc_cli_parse tracks (seen[], per table entry). */
#define MAX_OPTS 64

int esc_cli_parse(int argc, char **argv, const esc_opt_t *opts, const char **positional,
                  int max_positional, int *npositional, char *errbuf, size_t errbuf_size)
{
        bool seen[MAX_OPTS] = {false};
        bool only_positional = false;
        int npos = 0;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (!only_positional && !strcmp(a, "--")) {
                        only_positional = true;
                        continue;
                }
                if (only_positional || strncmp(a, "--", 2) != 0 || a[2] == '\0') {
                        if (a[0] == '-' && a[1] != '\0' && !only_positional)
                                return esc_err(errbuf, errbuf_size,
                                               "unknown option '%s' (flags are long: --name "
                                               "VALUE; see --help)",
                                               a);
                        if (npos >= max_positional)
                                return esc_err(errbuf, errbuf_size,
                                               "unexpected argument '%.64s' (see --help for "
                                               "the usage)",
                                               a);
                        positional[npos++] = a;
                        continue;
                }

                const char *name = a + 2;
                const char *eq = strchr(name, '=');
                size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
                const esc_opt_t *o = find_opt(opts, name, nlen);
                if (!o)
                        return esc_cli_unknown_flag(name, nlen, errbuf, errbuf_size);
                int idx = (int)(o - opts);
                const char *v = NULL;
                if (o->kind == ESC_OPT_BOOL) {
                        if (eq)
                                return esc_err(errbuf, errbuf_size,
                                               "--%s takes no value (write just --%s)", o->name,
                                               o->name);
                } else if (eq) {
                        v = eq + 1;
                } else {
                        if (i + 1 >= argc)
                                return esc_err(errbuf, errbuf_size, "--%s needs a value", o->name);
                        v = argv[++i];
                }
                if (esc_cli_store(o, v, idx < MAX_OPTS ? &seen[idx] : NULL, errbuf, errbuf_size))
                        return -1;
        }
        if (npositional)
                *npositional = npos;
        return 0;
}

bool esc_cli_flags(const char *cmd, int argc, char **argv, const esc_opt_t *opts,
                   void (*usage)(FILE *out), int *rc)
{
        char err[512];

        if (esc_cli_wants_help(argc, argv)) {
                usage(stdout);
                *rc = ESC_EXIT_OK;
                return false;
        }
        if (esc_cli_parse(argc, argv, opts, NULL, 0, NULL, err, sizeof(err))) {
                *rc = esc_cli_fail(ESC_EXIT_USAGE, cmd, "%s", err);
                return false;
        }
        return true;
}
