/* cli_args.h — table-driven flag parsing for esc's subcommands.
 *
 * Every subcommand takes long flags only (`--by P`, `--by=P`),
 * booleans (`--no-wait`) and repeatable flags (`--why W --why W2`), plus a
 * few positional words (the incident id). One parser serves them all so
 * that every command reports the same clear one-line errors: an unknown
 * flag, a flag given twice, a missing value, a value over its byte cap or
 * not valid UTF-8 — each naming the flag and the fix. */
#ifndef ESC_CLI_ARGS_H
#define ESC_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include <stdio.h>

#include "core/model.h"
#include "runtime/cli.h"

typedef enum {
        ESC_OPT_STR,  /* dst: const char ** (points into argv) */
        ESC_OPT_BOOL, /* dst: bool * */
        ESC_OPT_LIST, /* dst: esc_strlist_t * (copies; caller clears) */
        ESC_OPT_INT,  /* dst: esc_opt_int_t *, a whole number in [lo, hi] */
} esc_opt_kind_t;

typedef struct esc_opt {
        const char *name; /* without the dashes: "account-name" */
        esc_opt_kind_t kind;
        void *dst;
        size_t max; /* byte cap of a value; 0 = ESC_MAX_STR */
} esc_opt_t;

/* An ESC_OPT_INT's slot: v holds the default until the flag sets it. */
typedef struct esc_opt_int {
        long long v, lo, hi;
} esc_opt_int_t;

/* Parses argv[1..argc) (argv[0] is the command word) against opts (ended
 * by an entry with name NULL). Words that are not flags go to positional[]
 * (at most max_positional; more is an error). Everything after "--" is
 * positional. Returns 0, or -1 with errbuf saying what is wrong and how to
 * fix it (the caller prints it and exits 2). */
int esc_cli_parse(int argc, char **argv, const esc_opt_t *opts, const char **positional,
                  int max_positional, int *npositional, char *errbuf, size_t errbuf_size);

/* One flag's value into its slot, with esc_cli_parse's checks and
 * messages (cap and UTF-8, a list's length, a flag given twice): for
 * callers that already know which flag a value is for. v is NULL for a
 * boolean flag; seen (NULL: not tracked) is false until the flag is
 * stored once. */
int esc_cli_store(const esc_opt_t *o, const char *v, bool *seen, char *errbuf, size_t errbuf_size);

/* esc_cli_parse's message for a flag it does not know (name[0..len)). */
int esc_cli_unknown_flag(const char *name, size_t len, char *errbuf, size_t errbuf_size);

/* Checks one value against a cap and UTF-8; names `flag` in errbuf. */
int esc_cli_check_value(const char *flag, const char *v, size_t max, char *errbuf,
                        size_t errbuf_size);

/* The whole front of a command that takes flags only: -h/--help prints
 * usage on stdout (*rc = 0); a parse error prints "esc <cmd>: <why>" as one
 * line (*rc = 2). Returns true when the command should go on. */
bool esc_cli_flags(const char *cmd, int argc, char **argv, const esc_opt_t *opts,
                   void (*usage)(FILE *out), int *rc);

#endif
