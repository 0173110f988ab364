/* worker_main.c — the one main of every worker (see worker_main.h). */
#include <string.h>
#include <time.h>

#include "runtime/log.h"
#include "runtime/signals.h"
#include "runtime/worker_main.h"

static void backoff_sleep(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) != 0 && !esc_signals_stop_requested())
                ;
}

/* One run of the consumer loop: 0 after a drain, -1 when it failed. */
static int run_once(const char *cmd, esc_cli_t *cli, const esc_worker_app_t *app, void *state,
                    const esc_worker_opts_t *opts, bool quiet_failure)
{
        esc_worker_ops_t ops = app->ops;
        char err[1024];
        int rc;

        ops.name = app->name;
        ops.opaque = state;
        esc_worker_t *w = esc_worker_new(cli->conf, &ops, opts, err, sizeof(err));
        if (!w) {
                esc_cli_fail(ESC_EXIT_RUNTIME, cmd, "%s", err);
                return -2; /* cannot even start: no restart */
        }
        if (app->started)
                app->started(state, w);
        rc = esc_worker_run(w);
        if (rc != 0) {
                if (quiet_failure)
                        esc_log(ESC_LOG_WARN, app->name, "worker loop ended, starting over",
                                "error=\"%s\"", esc_worker_error(w));
                else
                        esc_cli_fail(ESC_EXIT_RUNTIME, cmd, "%s", esc_worker_error(w));
        }
        esc_worker_destroy(w);
        return rc;
}

int esc_worker_main(esc_cli_t *cli, int argc, char **argv, const esc_worker_app_t *app)
{
        esc_opt_t flags[ESC_WORKER_MAX_FLAGS + 2];
        const char *group = NULL;
        char cmd[64], topic[256], group_buf[256];
        size_t n = 0;
        int rc = ESC_EXIT_RUNTIME;

        snprintf(cmd, sizeof(cmd), "worker %s", app->name);
        flags[n++] = (esc_opt_t){"group", ESC_OPT_STR, &group, 255};
        for (const esc_opt_t *f = app->flags; f && f->name; f++) {
                if (n > ESC_WORKER_MAX_FLAGS)
                        return esc_cli_fail(ESC_EXIT_RUNTIME, cmd,
                                            "more than %d flags: raise ESC_WORKER_MAX_FLAGS",
                                            ESC_WORKER_MAX_FLAGS);
                flags[n++] = *f;
        }
        flags[n] = (esc_opt_t){NULL, ESC_OPT_STR, NULL, 0};
        if (!esc_cli_flags(cmd, argc, argv, flags, app->usage, &rc))
                return rc;

        if (!group && app->group_key)
                group = esc_config_str(cli->conf, app->group_key, app->group_default);
        if (!group)
                group = app->group_default ? app->group_default
                                           : esc_config_topic(cli->conf, app->name, group_buf,
                                                              sizeof(group_buf));
        if (!*group || strlen(group) > 255)
                return esc_cli_fail(
                        ESC_EXIT_USAGE, cmd, "consumer group must be 1..255 bytes (--group%s%s)",
                        app->group_key ? " or " : "", app->group_key ? app->group_key : "");
        esc_config_topic(cli->conf, app->topic, topic, sizeof(topic));
        const char *topics[] = {topic};
        esc_worker_opts_t opts = app->opts;
        opts.group = group;
        opts.topics = topics;
        opts.topic_cnt = 1;

        void *state = app->setup(cli, &opts, &rc);
        if (!state)
                return rc;
        for (int backoff = 200;;) {
                int r = run_once(cmd, cli, app, state, &opts, app->restart);
                if (r == 0 || (app->restart && r == -1 && esc_signals_stop_requested())) {
                        rc = ESC_EXIT_OK;
                        break;
                }
                if (!app->restart || r == -2) {
                        rc = ESC_EXIT_RUNTIME;
                        break;
                }
                if (!app->restart_now || !app->restart_now(state)) {
                        backoff_sleep(backoff);
                        backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
                }
        }
        app->teardown(state);
        return rc;
}
