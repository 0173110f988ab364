/* policy_cmd.c — `esc policy check [FILE]` and `esc policy explain`
 * (DESIGN §4).
 *
 * check lists every problem of a policy file with file, line and field, so
 * a CS lead fixes them in one pass (exit 2), or prints a one-line summary.
 * explain runs the same classification and deadline code the ledger uses,
 * so "why is this a Sev 2 and when is it due" is answered by the authority
 * itself rather than by a second implementation. The command reads the
 * clock only for the default --at; the policy code stays pure. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "runtime/cli_args.h"
#include "runtime/policy_load.h"
#include "producers/commands.h"
#include "runtime/sys.h"

static const char usage_policy[] =
        "usage: esc policy check [FILE]\n"
        "       esc policy explain --impact I [--tier T] [--health N] [--paying yes|no]\n"
        "                          [--renewal DATE] [--product-area A] [--at TIME]\n"
        "                          [--policy FILE]\n"
        "\n"
        "  check    validate a policy file; every error names file, line and field\n"
        "  explain  show the severity decision with its reasons and deadlines\n"
        "\n"
        "The policy is FILE / --policy, else the config key `policy`, else\n"
        "config/policy.yaml if present, else the built-in defaults.\n";

static const char usage_check[] =
        "usage: esc policy check [FILE]\n"
        "\n"
        "Validates a policy file and reports every error as FILE:LINE: FIELD: problem.\n"
        "Exit 0 with a one-line summary if it is valid, 2 if not.\n"
        "Without FILE: the config key `policy`, else config/policy.yaml, else the\n"
        "built-in defaults.\n";

static const char usage_explain[] =
        "usage: esc policy explain --impact I [options]\n"
        "\n"
        "  --impact I         production_down, data_loss, security_exposure,\n"
        "                     major_feature_broken, degraded_with_workaround,\n"
        "                     cosmetic, question, feature_request (required)\n"
        "  --tier T           standard (default), growth, strategic\n"
        "  --health N         account health score 0..100 (default: unknown)\n"
        "  --paying yes|no    whether the account pays (default yes)\n"
        "  --renewal DATE     renewal date YYYY-MM-DD (for renewal_within_days)\n"
        "  --product-area A   also show who is on call for A\n"
        "  --at TIME          when the escalation is opened, ISO-8601 (default now)\n"
        "  --policy FILE      policy file to use\n"
        "  --json             machine output: sev, matrix_sev, bumped, bump_reasons,\n"
        "                     response_due_at, next_update_due_at, resolution_due_at\n";

static void print_json(json_t *o)
{
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
}

static void summarise(const esc_policy_t *pol, char *buf, size_t size)
{
        snprintf(buf, size,
                 "%s: ok (version %s, calendar %s in %s, %d bump condition%s, %d %s, %d "
                 "rotation%s, %d account%s)",
                 pol->source, pol->version, pol->calendar_name, esc_tz_name(esc_cal_tz(pol->cal)),
                 pol->nbumps, pol->nbumps == 1 ? "" : "s", pol->npeople,
                 pol->npeople == 1 ? "person" : "people", pol->nrotations,
                 pol->nrotations == 1 ? "" : "s", pol->naccounts, pol->naccounts == 1 ? "" : "s");
}

struct check_out {
        bool json;
        json_t *errors;
};

static void report_line(void *opaque, const char *line)
{
        struct check_out *o = opaque;
        if (o->json)
                json_array_append_new(o->errors, json_string(line));
        else
                fprintf(stderr, "%s\n", line);
}

static int cmd_check(esc_cli_t *cli, int argc, char **argv)
{
        const char *pos[1];
        int npos = 0;
        char err[512], line[1024];
        esc_opt_t opts[] = {{NULL, ESC_OPT_STR, NULL, 0}};

        if (esc_cli_wants_help(argc, argv)) {
                fputs(usage_check, stdout);
                return ESC_EXIT_OK;
        }
        if (esc_cli_parse(argc, argv, opts, pos, 1, &npos, err, sizeof(err)))
                return esc_cli_fail(ESC_EXIT_USAGE, "policy check", "%s", err);
        const char *path = npos ? pos[0] : esc_policy_path(cli->conf);
        bool json = cli && cli->json;

        esc_policy_t *pol = NULL;
        struct check_out out = {.json = json, .errors = json ? json_array() : NULL};
        int nerr = 0;
        if (path)
                nerr = esc_policy_check(path, &pol, report_line, &out);
        else
                pol = esc_policy_default();
        if (nerr) {
                if (json)
                        print_json(json_pack("{s:b,s:s,s:o}", "ok", 0, "file", path, "errors",
                                             out.errors));
                else
                        fprintf(stderr, "esc policy check: %s: %d error%s\n", path, nerr,
                                nerr == 1 ? "" : "s");
                return ESC_EXIT_USAGE;
        }
        if (json) {
                json_decref(out.errors);
                print_json(json_pack(
                        "{s:b,s:s,s:s,s:s,s:s,s:i,s:i,s:i,s:i}", "ok", 1, "file", pol->source,
                        "version", pol->version, "calendar", pol->calendar_name, "timezone",
                        esc_tz_name(esc_cal_tz(pol->cal)), "bump_conditions", pol->nbumps, "people",
                        pol->npeople, "rotations", pol->nrotations, "accounts", pol->naccounts));
        } else {
                summarise(pol, line, sizeof(line));
                printf("%s\n", line);
        }
        esc_policy_destroy(pol);
        return ESC_EXIT_OK;
}

static json_t *json_time(esc_time_t t)
{
        char buf[40];
        return t == ESC_TIME_NONE ? json_null() : json_string(esc_time_format(t, buf, sizeof(buf)));
}

static const char *time_text(esc_time_t t, char *buf, size_t size)
{
        return t == ESC_TIME_NONE ? "none" : esc_time_format(t, buf, size);
}

static int cmd_explain(esc_cli_t *cli, int argc, char **argv)
{
        const char *impact_s = NULL, *tier_s = NULL, *health_s = NULL, *paying_s = NULL,
                   *renewal_s = NULL, *at_s = NULL, *policy_s = NULL, *area = NULL;
        esc_opt_t opts[] = {
                {"impact", ESC_OPT_STR, &impact_s, 64},
                {"tier", ESC_OPT_STR, &tier_s, 64},
                {"health", ESC_OPT_STR, &health_s, 16},
                {"paying", ESC_OPT_STR, &paying_s, 16},
                {"renewal", ESC_OPT_STR, &renewal_s, 32},
                {"product-area", ESC_OPT_STR, &area, ESC_MAX_STR},
                {"at", ESC_OPT_STR, &at_s, 64},
                {"policy", ESC_OPT_STR, &policy_s, 4096},
                {NULL, ESC_OPT_STR, NULL, 0},
        };
        const char *pos[1];
        int npos = 0;
        char err[4096];
        const char *me = "policy explain";

        if (esc_cli_wants_help(argc, argv)) {
                fputs(usage_explain, stdout);
                return ESC_EXIT_OK;
        }
        if (esc_cli_parse(argc, argv, opts, pos, 0, &npos, err, sizeof(err)))
                return esc_cli_fail(ESC_EXIT_USAGE, me, "%s", err);
        if (!impact_s)
                return esc_cli_fail(ESC_EXIT_USAGE, me,
                                    "--impact is required (e.g. --impact production_down)");
        int impact = esc_impact_parse(impact_s);
        if (impact < 0)
                return esc_cli_fail(ESC_EXIT_USAGE, me,
                                    "--impact %s is not an impact (use production_down, "
                                    "data_loss, security_exposure, major_feature_broken, "
                                    "degraded_with_workaround, cosmetic, question, "
                                    "feature_request)",
                                    impact_s);
        esc_account_t acct = {.id = "explain",
                              .tier = ESC_TIER_STANDARD,
                              .health_score = -1,
                              .paying = true,
                              .renewal_date = ESC_DATE_NONE};
        if (tier_s) {
                int t = esc_tier_parse(tier_s);
                if (t < 0)
                        return esc_cli_fail(ESC_EXIT_USAGE, me,
                                            "--tier %s is not a tier (use standard, growth or "
                                            "strategic)",
                                            tier_s);
                acct.tier = (esc_tier_t)t;
        }
        if (health_s) {
                long long h;
                if (esc_parse_int(health_s, 0, 100, &h))
                        return esc_cli_fail(ESC_EXIT_USAGE, me,
                                            "--health %s is not a score (use 0..100)", health_s);
                acct.health_score = (int)h;
        }
        if (paying_s) {
                if (!strcmp(paying_s, "yes") || !strcmp(paying_s, "true"))
                        acct.paying = true;
                else if (!strcmp(paying_s, "no") || !strcmp(paying_s, "false"))
                        acct.paying = false;
                else
                        return esc_cli_fail(ESC_EXIT_USAGE, me, "--paying %s is not yes or no",
                                            paying_s);
        }
        if (renewal_s && esc_date_parse(renewal_s, &acct.renewal_date, err, sizeof(err)))
                return esc_cli_fail(ESC_EXIT_USAGE, me, "--renewal: %s", err);
        esc_time_t at = esc_now();
        if (at_s && esc_time_parse(at_s, &at, err, sizeof(err)))
                return esc_cli_fail(ESC_EXIT_USAGE, me, "--at: %s", err);

        esc_policy_t *pol = policy_s ? esc_policy_load(policy_s, err, sizeof(err))
                                     : esc_policy_from_config(cli->conf, err, sizeof(err));
        if (!pol) {
                fprintf(stderr, "%s\n", err);
                return esc_cli_fail(ESC_EXIT_USAGE, me,
                                    "the policy is not valid (run esc "
                                    "policy check)");
        }

        esc_classification_t cl;
        esc_deadlines_t dl;
        esc_policy_classify(pol, &acct, (esc_impact_t)impact, at, &cl);
        esc_policy_deadlines(pol, cl.sev, at, &dl);
        const esc_sev_rule_t *rule = &pol->sev[cl.sev];
        const char *owner = area ? esc_policy_on_call(pol, area, at) : NULL;
        const char *mgr = cl.sev <= 2 ? esc_policy_cs_manager(pol, area) : NULL;

        if (cli && cli->json) {
                json_t *reasons = json_array();
                for (int i = 0; i < cl.nreasons; i++)
                        json_array_append_new(reasons, json_string(cl.reasons[i]));
                json_t *o = json_pack("{s:i,s:i,s:b,s:o,s:o,s:o,s:o,s:b,s:b,s:s,s:o,s:s}", "sev",
                                      cl.sev, "matrix_sev", cl.matrix_sev, "bumped", cl.bumped,
                                      "bump_reasons", reasons, "response_due_at",
                                      json_time(dl.response_due_at), "next_update_due_at",
                                      json_time(dl.next_update_due_at), "resolution_due_at",
                                      json_time(dl.resolution_due_at), "page", rule->page,
                                      "non_paying", cl.non_paying, "impact", impact_s, "at",
                                      json_time(at), "policy_version", pol->version);
                if (area)
                        json_object_set_new(o, "engineering_owner",
                                            owner ? json_string(owner) : json_null());
                json_object_set_new(o, "cs_manager", mgr ? json_string(mgr) : json_null());
                print_json(o);
                esc_policy_destroy(pol);
                return ESC_EXIT_OK;
        }

        char t1[40], d1[16];
        printf("Sev %d", cl.sev);
        if (cl.bumped)
                printf(" (matrix Sev %d, bumped one level)", cl.matrix_sev);
        printf("\n");
        printf("  matrix:       %s -> Sev %d\n", impact_s, pol->matrix[impact]);
        if (cl.non_paying)
                printf("  not paying:   Sev 1 is for paying accounts -> Sev %d\n", cl.matrix_sev);
        for (int i = 0; i < cl.nreasons; i++)
                printf("  bump:         %s%s\n", cl.reasons[i],
                       cl.bumped ? "" : " (already Sev 1, the floor)");
        if (cl.nreasons > 1 && cl.bumped)
                printf("                one bump however many conditions hold\n");
        printf("  response:     %s (%s)\n", time_text(dl.response_due_at, t1, sizeof(t1)),
               esc_dur_format(rule->response, d1, sizeof(d1)));
        if (rule->update_every.kind == ESC_DUR_NONE)
                printf("  next update:  none (updates on change)\n");
        else
                printf("  next update:  %s (then every %s)\n",
                       time_text(dl.next_update_due_at, t1, sizeof(t1)),
                       esc_dur_format(rule->update_every, d1, sizeof(d1)));
        if (rule->resolution.kind == ESC_DUR_NONE)
                printf("  resolution:   none (backlog)\n");
        else
                printf("  resolution:   %s (%s)\n", time_text(dl.resolution_due_at, t1, sizeof(t1)),
                       esc_dur_format(rule->resolution, d1, sizeof(d1)));
        printf("  page:         %s\n", rule->page ? "yes (page, don't @-mention)" : "no");
        if (area)
                printf("  on call:      %s\n", owner ? owner : "nobody (no rotation covers it)");
        if (cl.sev <= 2)
                printf("  cs manager:   %s\n", mgr ? mgr : "none configured");
        printf("  opened at:    %s\n", esc_time_format(at, t1, sizeof(t1)));
        printf("  policy:       version %s (%s), calendar %s in %s\n", pol->version, pol->source,
               pol->calendar_name, esc_tz_name(esc_cal_tz(pol->cal)));
        esc_policy_destroy(pol);
        return ESC_EXIT_OK;
}

int esc_cmd_policy(esc_cli_t *cli, int argc, char **argv)
{
        const char *verb = argc > 1 ? argv[1] : NULL;
        if (verb && !strcmp(verb, "check"))
                return cmd_check(cli, argc - 1, argv + 1);
        if (verb && !strcmp(verb, "explain"))
                return cmd_explain(cli, argc - 1, argv + 1);
        if (!verb || !strcmp(verb, "-h") || !strcmp(verb, "--help") || !strcmp(verb, "help")) {
                fputs(usage_policy, verb ? stdout : stderr);
                return verb ? ESC_EXIT_OK : ESC_EXIT_USAGE;
        }
        fputs(usage_policy, stderr);
        return esc_cli_fail(ESC_EXIT_USAGE, "policy",
                            "unknown subcommand %s (use check or explain)", verb);
}
