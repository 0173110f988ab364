/* cli_record.h — turning a recording subcommand's argv into a command
 * (pure, unit-tested) and running it (submit, wait, print, exit code).
 *
 * Shared by producers/record.c (open, ack, update, assign, override,
 * mitigate, resolve, confirm, close, reopen) and producers/review_cmd.c
 * (review open|action|complete). */
#ifndef ESC_CLI_RECORD_H
#define ESC_CLI_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"
#include "producers/commands.h"

#define ESC_RECORD_DEFAULT_WAIT_MS 10000

/* What the flags say about waiting, beside the command itself. */
typedef struct esc_record_opts {
        int wait_ms;              /* --wait S (default 10 s) */
        bool no_wait;             /* --no-wait */
        bool explicit_command_id; /* --command-id given: look for a past verdict first */
        esc_time_t now;           /* input: 0 = the wall clock (tests pin it) */
} esc_record_opts_t;

/* Builds cmd (initialised by this function) from argv. word is the command
 * word ("open", "ack", ..., "review open", "review action", "review
 * complete"); argv[0] is skipped. Returns 0, or -1 with errbuf holding the
 * one-line usage error (exit 2). On -1 cmd is cleared. */
int esc_record_build(const char *word, int argc, char **argv, esc_record_opts_t *opts,
                     esc_command_t *cmd, char *errbuf, size_t errbuf_size);

/* A value for one of the builder's flags, for callers that hold the
 * fields of a command already apart (JSON): opt from
 * esc_record_opt_of_key, value NULL for a boolean flag (--unconfirmed). */
typedef struct esc_record_field {
        int opt;
        const char *value;
} esc_record_field_t;

/* esc_record_build for such fields: the same as the argv
 * `word --flag value ... INCIDENT` (open: `word --flag value ...
 * --incident INCIDENT`) with the fields in their order, so with the same
 * rules and messages. incident may be NULL. */
int esc_record_build_fields(const char *word, const esc_record_field_t *fields, int n,
                            const char *incident, esc_record_opts_t *opts, esc_command_t *cmd,
                            char *errbuf, size_t errbuf_size);

/* Generates an incident id "INC-<yyyymmdd>-<6 base32 chars>" for the day
 * of t (UTC). buf needs at least 20 bytes. */
void esc_record_incident_id(esc_time_t t, char *buf, size_t size);

/* The builder's flag a JSON key stands for ("next_update" ->
 * --next-update), as a number for esc_record_field_t, or -1 if no
 * recording command has such a flag. */
int esc_record_opt_of_key(const char *key);

/* The whole subcommand: help, build, submit, wait, print. Returns the
 * exit code of the contract. */
int esc_record_main(esc_cli_t *cli, const char *word, int argc, char **argv);

#endif
