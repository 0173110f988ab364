/* test_policy_cli.c — `esc policy check` and `esc policy explain`: exit
 * codes of the contract (0 ok, 2 bad input) and the --json fields. */
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "producers/commands.h"

#define DATA ESC_SOURCE_DIR "/tests/data/policy/"

/* Runs `esc policy ...` in-process with stdout and stderr captured. */
static int run(bool json, char *out, size_t outsize, int argc, ...)
{
        char *argv[16];
        va_list ap;
        va_start(ap, argc);
        for (int i = 0; i < argc && i < 15; i++)
                argv[i] = va_arg(ap, char *);
        va_end(ap);
        argv[argc] = NULL;

        char path[] = "/tmp/esc-policy-cli-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        fflush(stdout);
        fflush(stderr);
        int saved_out = dup(1), saved_err = dup(2);
        dup2(fd, 1);
        dup2(fd, 2);
        esc_config_t *conf = esc_config_new_defaults();
        esc_cli_t cli = {.conf = conf, .json = json};
        int rc = esc_cmd_policy(&cli, argc, argv);
        esc_config_destroy(conf);
        fflush(stdout);
        fflush(stderr);
        dup2(saved_out, 1);
        dup2(saved_err, 2);
        close(saved_out);
        close(saved_err);
        lseek(fd, 0, SEEK_SET);
        ssize_t n = read(fd, out, outsize - 1);
        out[n > 0 ? n : 0] = '\0';
        close(fd);
        unlink(path);
        return rc;
}

static void test_check_of_a_valid_file_prints_one_line_and_exits_0(void **s)
{
        char out[8192];
        assert_int_equal(run(false, out, sizeof(out), 3, "policy", "check", DATA "good.yaml"), 0);
        assert_non_null(strstr(out, "good.yaml: ok (version test-1"));
        assert_null(strchr(strchr(out, '\n') + 1, '\n'));
}

static void test_check_lists_every_error_and_exits_2(void **s)
{
        char out[8192];
        assert_int_equal(
                run(false, out, sizeof(out), 3, "policy", "check", DATA "many-errors.yaml"), 2);
        assert_non_null(strstr(out, "many-errors.yaml:5: calendars.office.timezone"));
        assert_non_null(strstr(out, "many-errors.yaml:24: colour: unknown key"));
        /* In file order. */
        assert_true(strstr(out, ":5: ") < strstr(out, ":24: "));
        assert_int_equal(
                run(true, out, sizeof(out), 3, "policy", "check", DATA "bad-duration.yaml"), 2);
        json_t *o = json_loads(out, 0, NULL);
        assert_non_null(o);
        assert_true(json_is_false(json_object_get(o, "ok")));
        assert_int_equal(json_array_size(json_object_get(o, "errors")), 1);
        json_decref(o);
}

static void test_explain_json_has_the_contract_fields(void **s)
{
        char out[8192];
        assert_int_equal(run(true, out, sizeof(out), 10, "policy", "explain", "--impact",
                             "degraded_with_workaround", "--health", "59", "--at",
                             "2026-03-06T16:00:00Z", "--policy", DATA "good.yaml"),
                         0);
        json_t *o = json_loads(out, 0, NULL);
        assert_non_null(o);
        assert_int_equal(json_integer_value(json_object_get(o, "sev")), 2);
        assert_int_equal(json_integer_value(json_object_get(o, "matrix_sev")), 3);
        assert_true(json_is_true(json_object_get(o, "bumped")));
        assert_string_equal(
                json_string_value(json_array_get(json_object_get(o, "bump_reasons"), 0)),
                "health_score < 60");
        assert_string_equal(json_string_value(json_object_get(o, "response_due_at")),
                            "2026-03-06T17:00:00Z");
        assert_string_equal(json_string_value(json_object_get(o, "next_update_due_at")),
                            "2026-03-06T17:00:00Z");
        assert_string_equal(json_string_value(json_object_get(o, "resolution_due_at")),
                            "2026-03-09T16:00:00Z");
        json_decref(o);

        /* Sev 4: no cadence, no resolution target -> null. */
        assert_int_equal(run(true, out, sizeof(out), 6, "policy", "explain", "--impact", "question",
                             "--at", "2026-03-06T16:00:00Z"),
                         0);
        o = json_loads(out, 0, NULL);
        assert_non_null(o);
        assert_true(json_is_null(json_object_get(o, "next_update_due_at")));
        assert_true(json_is_null(json_object_get(o, "resolution_due_at")));
        assert_true(json_is_false(json_object_get(o, "bumped")));
        json_decref(o);
}

static void test_explain_text_names_the_reasons(void **s)
{
        char out[8192];
        assert_int_equal(run(false, out, sizeof(out), 9, "policy", "explain", "--impact",
                             "production_down", "--paying", "no", "--at", "2026-03-06T16:00:00Z",
                             "--tier=strategic"),
                         0);
        assert_non_null(strstr(out, "Sev 1 (matrix Sev 2, bumped one level)"));
        assert_non_null(strstr(out, "Sev 1 is for paying accounts"));
        assert_non_null(strstr(out, "tier == strategic"));
}

static void test_bad_flags_are_one_line_and_exit_2(void **s)
{
        char out[8192];
        assert_int_equal(run(false, out, sizeof(out), 4, "policy", "explain", "--impact", "meh"),
                         2);
        assert_non_null(strstr(out, "--impact meh is not an impact"));
        assert_int_equal(run(false, out, sizeof(out), 2, "policy", "explain"), 2);
        assert_non_null(strstr(out, "--impact is required"));
        assert_int_equal(run(false, out, sizeof(out), 6, "policy", "explain", "--impact",
                             "question", "--health", "101"),
                         2);
        assert_int_equal(run(false, out, sizeof(out), 6, "policy", "explain", "--impact",
                             "question", "--at", "tomorrow"),
                         2);
        assert_int_equal(run(false, out, sizeof(out), 4, "policy", "explain", "--colour", "red"),
                         2);
        assert_int_equal(run(false, out, sizeof(out), 2, "policy", "frobnicate"), 2);
        assert_int_equal(run(false, out, sizeof(out), 3, "policy", "check", "--help"), 0);
        assert_non_null(strstr(out, "usage: esc policy check"));
        assert_int_equal(run(false, out, sizeof(out), 3, "policy", "explain", "--help"), 0);
        assert_non_null(strstr(out, "--impact I"));
        assert_int_equal(run(false, out, sizeof(out), 2, "policy", "--help"), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check_of_a_valid_file_prints_one_line_and_exits_0),
                cmocka_unit_test(test_check_lists_every_error_and_exits_2),
                cmocka_unit_test(test_explain_json_has_the_contract_fields),
                cmocka_unit_test(test_explain_text_names_the_reasons),
                cmocka_unit_test(test_bad_flags_are_one_line_and_exit_2),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
