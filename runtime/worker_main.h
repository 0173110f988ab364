/* worker_main.h — the one `main` of every long-running worker
 * (`esc worker ledger|sla|actions|timers`, and the ones to come).
 *
 * A worker describes itself with an esc_worker_app_t: its flags, where its
 * consumer group comes from, what it consumes, its callbacks (worker.h) and
 * three hooks. esc_worker_main does the rest the same way for all of them:
 * --help, strict flag parsing (a one-line error and exit 2), the consumer
 * group (--group, else the config key, else the default), the consumer
 * loop with metrics and signals (esc_worker_new/run), a one-line error and
 * exit 1 when the loop fails, and the teardown. */
#ifndef ESC_WORKER_MAIN_H
#define ESC_WORKER_MAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "runtime/cli.h"
#include "runtime/cli_args.h"
#include "runtime/worker.h"

#define ESC_WORKER_MAX_FLAGS 8

typedef struct esc_worker_app {
        const char *name; /* "timers": `esc worker timers`, metric prefix */
        void (*usage)(FILE *out);
        /* The worker's own flags (slots in static storage), ended by {NULL};
         * --group G is added by the shell. More than ESC_WORKER_MAX_FLAGS
         * is an error at start-up (exit 1). */
        const esc_opt_t *flags;
        const char *group_key;     /* config key of the group ("timers.group"), or NULL */
        const char *group_default; /* or NULL: the topic prefix + name ("esc.sla") */
        const char *topic;         /* logical topic consumed: "events" or "commands" */
        esc_worker_ops_t ops;      /* callbacks; .name and .opaque are set by the shell */
        esc_worker_opts_t opts;    /* batch/tick/retry defaults; group and topics set */
        /* Run the loop again after it fails (a supervisor's backoff, 200 ms
         * doubling to 10 s) instead of exiting 1: for workers that start
         * over from stored offsets. */
        bool restart;

        /* After the flags: builds the worker's state from cli->conf and the
         * flag slots, and may change *opts (batch sizes). Returns the state,
         * or NULL with *rc set: after printing a one-line error (1 or 2), or
         * 0 when there is nothing left to run (a one-shot mode). Required. */
        void *(*setup)(esc_cli_t *cli, esc_worker_opts_t *opts, int *rc);
        /* The worker was created (before each run): register metrics, log
         * the start line. May be NULL. */
        void (*started)(void *state, esc_worker_t *w);
        /* With restart: true to start again at once (an expected resync)
         * rather than after the backoff. May be NULL. */
        bool (*restart_now)(void *state);
        /* Frees the state. Required. */
        void (*teardown)(void *state);
} esc_worker_app_t;

/* `esc worker <app->name> [flags]`: returns the process exit code. */
int esc_worker_main(esc_cli_t *cli, int argc, char **argv, const esc_worker_app_t *app);

#endif
