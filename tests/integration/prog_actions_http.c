/* prog_actions_http.c — drives one call of the actions worker's API layer
 * (projections/actions/apis.h) for test_actions_http.sh, so the retry rules
 * are observed against the fake servers: `prog_actions_http OP` with OP one
 * of pd-trigger, linear-create, slack-post, slack-create prints
 * "rc=<ok|retry|fail|name_taken> err=<message>" and exits 0 (2 on usage).
 * Endpoints and tokens come from the environment (ESC_PAGERDUTY_URL, ...),
 * linear.team_id and linear.token from ESC_TEST_LINEAR_TEAM and
 * ESC_TEST_LINEAR_TOKEN. What a create returned goes to stderr as
 * "result=<id> <url-or-name>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "projections/actions/apis.h"
#include "runtime/config.h"

static const char *rc_name(esc_api_rc_t rc)
{
        switch (rc) {
        case ESC_API_OK:
                return "ok";
        case ESC_API_RETRY:
                return "retry";
        case ESC_API_NAME_TAKEN:
                return "name_taken";
        default:
                return "fail";
        }
}

int main(int argc, char **argv)
{
        char err[1024] = "";
        esc_api_rc_t rc;
        if (argc != 2) {
                fprintf(stderr, "usage: prog_actions_http "
                                "pd-trigger|linear-create|slack-post|slack-create\n");
                return 2;
        }
        esc_config_t *conf = esc_config_new_defaults();
        if (getenv("ESC_TEST_LINEAR_TEAM"))
                esc_config_set(conf, "linear.team_id", getenv("ESC_TEST_LINEAR_TEAM"));
        if (getenv("ESC_TEST_LINEAR_TOKEN"))
                esc_config_set(conf, "linear.token", getenv("ESC_TEST_LINEAR_TOKEN"));
        esc_config_set(conf, "actions.max_attempts", "3");
        esc_actions_apis_t *api = esc_actions_apis_new(conf, err, sizeof(err));
        if (!api) {
                fprintf(stderr, "%s\n", err);
                esc_config_destroy(conf);
                return 1;
        }
        char *a = NULL, *b = NULL;
        if (!strcmp(argv[1], "pd-trigger"))
                rc = esc_actions_pagerduty_event(api, "rk-secret", "trigger", "INC-HTTP-1",
                                                 "[Sev 1] acme: T", "billing", "{\"sev\":1}", err,
                                                 sizeof(err));
        else if (!strcmp(argv[1], "linear-create"))
                rc = esc_actions_linear_create(api, "2c583f00-2447-4381-b4c0-c1bfe42e2248",
                                               "[Sev 1] acme: T", "SLA clock", NULL, &a, &b, err,
                                               sizeof(err));
        else if (!strcmp(argv[1], "slack-post"))
                rc = esc_actions_slack_post(api, "C1", "hello", err, sizeof(err));
        else if (!strcmp(argv[1], "slack-create"))
                rc = esc_actions_slack_create(api, "esc-acme-20261127", false, &a, &b, err,
                                              sizeof(err));
        else {
                fprintf(stderr, "unknown op %s\n", argv[1]);
                rc = ESC_API_FAIL;
        }
        printf("rc=%s err=%s\n", rc_name(rc), err);
        if (a && b)
                fprintf(stderr, "result=%s %s\n", a, b);
        free(a);
        free(b);
        esc_actions_apis_destroy(api);
        esc_config_destroy(conf);
        return 0;
}
