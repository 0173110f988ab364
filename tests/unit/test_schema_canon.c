/* test_schema_canon.c — Parsing Canonical Form and CRC-64-AVRO against the
 * Avro specification's published vectors (tests/data/schema-tests.txt,
 * copied from apache/avro share/test/data/schema-tests.txt), and the CLI
 * that prints them. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/codec.h"
#include "core/schema_canon.h"
#include "runtime/registry.h"

typedef struct vec {
        char input[4096];
        char canonical[4096];
        char fingerprint[32]; /* may be empty */
} vec_t;

/* Parses the spec's test file format: "<<INPUT x" on one line, or
 * "<<INPUT" ... "INPUT" over several; "<<canonical x"; "<<fingerprint n". */
static int load_vectors(vec_t **out)
{
        const char *dir = getenv("ESC_SOURCE_DIR");
        char path[1024], line[4096];
        vec_t *v = NULL;
        int n = 0, multi = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s/tests/data/schema-tests.txt", dir ? dir : ESC_SOURCE_DIR);
        f = fopen(path, "r");
        if (!f)
                fail_msg("cannot open %s", path);
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (multi) {
                        if (!strcmp(line, "INPUT")) {
                                multi = 0;
                                continue;
                        }
                        size_t used = strlen(v[n - 1].input);
                        snprintf(v[n - 1].input + used, sizeof(v[n - 1].input) - used, "%s\n",
                                 line);
                } else if (!strncmp(line, "<<INPUT", 7)) {
                        v = realloc(v, (size_t)(n + 1) * sizeof(*v));
                        memset(&v[n], 0, sizeof(v[n]));
                        n++;
                        if (line[7] == ' ')
                                snprintf(v[n - 1].input, sizeof(v[n - 1].input), "%s", line + 8);
                        else
                                multi = 1;
                } else if (!strncmp(line, "<<canonical ", 12)) {
                        snprintf(v[n - 1].canonical, sizeof(v[n - 1].canonical), "%s", line + 12);
                } else if (!strncmp(line, "<<fingerprint ", 14)) {
                        esc_strlcpy(v[n - 1].fingerprint, line + 14, sizeof(v[n - 1].fingerprint));
                }
        }
        fclose(f);
        *out = v;
        return n;
}

static void test_canonical_form_matches_every_spec_vector(void **state)
{
        vec_t *v;
        int n = load_vectors(&v);
        (void)state;

        assert_true(n >= 34);
        for (int i = 0; i < n; i++) {
                esc_buf_t b;
                char err[512];
                esc_buf_init(&b, 0);
                if (esc_schema_canonical(v[i].input, strlen(v[i].input), &b, err, sizeof(err)))
                        fail_msg("vector %d: %s", i, err);
                if (strcmp(b.data, v[i].canonical))
                        fail_msg("vector %d: got %s, want %s", i, b.data, v[i].canonical);
                esc_buf_free(&b);
        }
        free(v);
}

static void test_fingerprint_matches_every_spec_vector(void **state)
{
        vec_t *v;
        int n = load_vectors(&v), checked = 0;
        (void)state;

        for (int i = 0; i < n; i++) {
                uint64_t fp;
                char err[512], got[32];
                if (!v[i].fingerprint[0])
                        continue;
                assert_int_equal(esc_schema_fingerprint(v[i].input, strlen(v[i].input), &fp, err,
                                                        sizeof(err)),
                                 0);
                snprintf(got, sizeof(got), "%" PRId64, (int64_t)fp);
                if (strcmp(got, v[i].fingerprint))
                        fail_msg("vector %d (%s): got %s, want %s", i, v[i].canonical, got,
                                 v[i].fingerprint);
                checked++;
        }
        assert_true(checked >= 20);
        free(v);
}

static void test_crc64_of_nothing_is_the_empty_fingerprint(void **state)
{
        (void)state;
        assert_true(esc_schema_crc64("", 0) == UINT64_C(0xc15d213aa4d7a795));
}

static void test_named_types_are_written_once_then_by_fullname(void **state)
{
        const char *in = "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a.b\",\"fields\":["
                         "{\"name\":\"x\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":["
                         "\"A\"],\"default\":\"A\"}},"
                         "{\"name\":\"y\",\"type\":[\"null\",\"E\"],\"default\":null},"
                         "{\"name\":\"t\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-"
                         "micros\"}},"
                         "{\"name\":\"z\",\"type\":{\"type\":\"fixed\",\"name\":\"c.F\",\"size\":"
                         "\"016\"}}]}";
        const char *want =
                "{\"name\":\"a.b.R\",\"type\":\"record\",\"fields\":["
                "{\"name\":\"x\",\"type\":{\"name\":\"a.b.E\",\"type\":\"enum\",\"symbols\":[\"A\"]"
                "}},"
                "{\"name\":\"y\",\"type\":[\"null\",\"a.b.E\"]},"
                "{\"name\":\"t\",\"type\":\"long\"},"
                "{\"name\":\"z\",\"type\":{\"name\":\"c.F\",\"type\":\"fixed\",\"size\":16}}]}";
        esc_buf_t b;
        char err[512];
        (void)state;

        esc_buf_init(&b, 0);
        assert_int_equal(esc_schema_canonical(in, strlen(in), &b, err, sizeof(err)), 0);
        assert_string_equal(b.data, want);
        esc_buf_free(&b);
}

static void test_malformed_schema_is_refused_with_a_location(void **state)
{
        esc_buf_t b;
        char err[512];
        (void)state;

        esc_buf_init(&b, 0);
        const char *nameless =
                "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"type\":\"int\"}]}";
        assert_int_equal(esc_schema_canonical(nameless, strlen(nameless), &b, err, sizeof(err)),
                         -1);
        assert_non_null(strstr(err, "fields[0]"));
        assert_int_equal(esc_schema_canonical("{\"type\":", 8, &b, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "not JSON"));
        assert_int_equal(b.len, 0);
        esc_buf_free(&b);
}

static void test_deeply_nested_schema_is_refused_not_overflowed(void **state)
{
        esc_buf_t in, out;
        char err[512];
        (void)state;

        esc_buf_init(&in, 0);
        esc_buf_init(&out, 0);
        for (int i = 0; i < 5000; i++)
                esc_buf_puts(&in, "{\"type\":\"array\",\"items\":");
        esc_buf_puts(&in, "\"int\"");
        for (int i = 0; i < 5000; i++)
                esc_buf_puts(&in, "}");
        assert_int_equal(esc_schema_canonical(in.data, in.len, &out, err, sizeof(err)), -1);
        esc_buf_free(&in);
        esc_buf_free(&out);
}

static void test_codec_fingerprint_is_that_of_the_event_avsc(void **state)
{
        char err[512];
        esc_codec_t *codec = esc_codec_new(NULL, err, sizeof(err));
        const char *json = esc_schema_embedded(ESC_SCHEMA_EVENT_PATH);
        uint64_t fp;
        (void)state;

        assert_non_null(codec);
        assert_int_equal(esc_schema_fingerprint(json, strlen(json), &fp, err, sizeof(err)), 0);
        assert_true(fp == esc_codec_event_fingerprint(codec));
        assert_true(esc_codec_event_fingerprint(codec) != esc_codec_command_fingerprint(codec));
        esc_codec_destroy(codec);
}

/* Runs `esc schema ARGS` with `input` on stdin (if not NULL) and returns
 * its exit code; out gets the first line of its output. */
static int run_cli(const char *input, const char *args, char *out, size_t size)
{
        const char *bin = getenv("ESC_BIN");
        char cmd[2048], in_path[] = "/tmp/esc-schema-cli-XXXXXX";
        FILE *p;
        int status, fd = -1;

        if (!bin || access(bin, X_OK)) /* binary not built (e.g. a partial build) */
                return -2;
        if (input) {
                fd = mkstemp(in_path);
                assert_true(fd >= 0);
                assert_int_equal(write(fd, input, strlen(input)), (ssize_t)strlen(input));
                close(fd);
        }
        snprintf(cmd, sizeof(cmd), "%s schema %s <%s 2>&1", bin, args,
                 input ? in_path : "/dev/null");
        p = popen(cmd, "r");
        assert_non_null(p);
        out[0] = '\0';
        if (!fgets(out, (int)size, p))
                out[0] = '\0';
        out[strcspn(out, "\n")] = '\0';
        char rest[512];
        while (fgets(rest, sizeof(rest), p)) /* drain, so esc never sees SIGPIPE */
                ;
        status = pclose(p);
        if (input)
                unlink(in_path);
        return WEXITSTATUS(status);
}

static void test_cli_prints_fingerprint_as_signed_decimal_and_hex(void **state)
{
        char out[4096], args[1200];
        (void)state;

        if (run_cli(NULL, "--help", out, sizeof(out)) == -2)
                skip();
        assert_int_equal(run_cli("\"int\"\n", "fingerprint -", out, sizeof(out)), 0);
        assert_string_equal(out, "8247732601305521295");
        assert_int_equal(run_cli("\"int\"", "fingerprint --hex -", out, sizeof(out)), 0);
        assert_string_equal(out, "7275d51a3f395c8f");
        assert_int_equal(run_cli("\"string\"", "fingerprint -", out, sizeof(out)), 0);
        assert_string_equal(out, "-8142146995180207161");
        assert_int_equal(run_cli("{\"type\":\"fixed\",\"name\":\"foo\",\"namespace\":\"x.y\","
                                 "\"size\":15,\"doc\":\"d\"}",
                                 "canonical -", out, sizeof(out)),
                         0);
        assert_string_equal(out, "{\"name\":\"x.y.foo\",\"type\":\"fixed\",\"size\":15}");
        /* A file argument, and esc's own event schema. */
        snprintf(args, sizeof(args), "fingerprint %s/schemas/esc.v1.Event.avsc",
                 getenv("ESC_SOURCE_DIR") ? getenv("ESC_SOURCE_DIR") : ESC_SOURCE_DIR);
        char err[512];
        esc_codec_t *codec = esc_codec_new(NULL, err, sizeof(err));
        char want[32];
        snprintf(want, sizeof(want), "%" PRId64, (int64_t)esc_codec_event_fingerprint(codec));
        esc_codec_destroy(codec);
        assert_int_equal(run_cli(NULL, args, out, sizeof(out)), 0);
        assert_string_equal(out, want);
        /* Bad input: exit 2 with one line naming it. */
        assert_int_equal(run_cli(NULL, "canonical /nonexistent/x.avsc", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "/nonexistent/x.avsc"));
        assert_int_equal(run_cli("{\"type\":", "canonical -", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "not JSON"));
        assert_int_equal(run_cli(NULL, "bogus", out, sizeof(out)), 2);
        assert_int_equal(run_cli(NULL, "--help", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "usage"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_canonical_form_matches_every_spec_vector),
                cmocka_unit_test(test_fingerprint_matches_every_spec_vector),
                cmocka_unit_test(test_crc64_of_nothing_is_the_empty_fingerprint),
                cmocka_unit_test(test_named_types_are_written_once_then_by_fullname),
                cmocka_unit_test(test_malformed_schema_is_refused_with_a_location),
                cmocka_unit_test(test_deeply_nested_schema_is_refused_not_overflowed),
                cmocka_unit_test(test_codec_fingerprint_is_that_of_the_event_avsc),
                cmocka_unit_test(test_cli_prints_fingerprint_as_signed_decimal_and_hex),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
