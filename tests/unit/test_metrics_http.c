/* test_metrics_http.c — the Prometheus registry and its HTTP endpoint:
 * exposition text (HELP/TYPE, labels escaped, cumulative histogram
 * buckets), /metrics and /healthz read with libcurl from a server on a
 * free loopback port, 404/405 elsewhere, bounded series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "runtime/metrics.h"
#include "core/util.h"

static size_t collect(char *p, size_t size, size_t n, void *opaque)
{
        esc_buf_t *b = opaque;

        return esc_buf_append(b, p, size * n) == 0 ? size * n : 0;
}

/* GETs (or POSTs) url; returns the status code, body in *body. */
static long http(const char *method, int port, const char *path, esc_buf_t *body, char *ctype,
                 size_t ctype_size)
{
        char url[128];
        CURL *c = curl_easy_init();
        long code = 0;
        char *ct = NULL;

        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
        esc_buf_reset(body);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        if (!strcmp(method, "POST"))
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (ctype) {
                curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
                esc_strlcpy(ctype, ct ? ct : "", ctype_size);
        }
        curl_easy_cleanup(c);
        return code;
}

static bool healthy_flag;

static bool health(void *opaque)
{
        return *(bool *)opaque;
}

static void test_exposition_has_help_type_labels_and_cumulative_buckets(void **state)
{
        esc_metrics_t *m = esc_metrics_new();
        esc_metric_t *c = esc_metrics_counter(m, "esc_sla_processed_total", "Messages handled.");
        esc_metric_t *g = esc_metrics_gauge(m, "esc_sla_lag", "Lag\nper partition.");
        const double b[] = {0.01, 0.1, 1};
        esc_metric_t *h = esc_metrics_histogram(m, "esc_sla_batch_seconds", "Batch time.", b, 3);
        char l0[128], lq[128];
        esc_buf_t out;

        (void)state;
        assert_non_null(c);
        assert_non_null(g);
        assert_non_null(h);
        esc_metric_add(c, NULL, 3);
        esc_metric_add(c, NULL, 2);
        esc_metric_add(c, NULL, -7); /* counters never go down */
        esc_metrics_labels(l0, sizeof(l0), "topic", "esc.events", "partition", "0", NULL);
        esc_metric_set(g, l0, 42);
        assert_non_null(esc_metrics_labels(lq, sizeof(lq), "topic", "a\"b\\c\nd", NULL));
        assert_string_equal(lq, "topic=\"a\\\"b\\\\c\\nd\"");
        esc_metric_set(g, lq, 1.5);
        esc_metric_observe(h, NULL, 0.005);
        esc_metric_observe(h, NULL, 0.05);
        esc_metric_observe(h, NULL, 0.07);
        esc_metric_observe(h, NULL, 5);

        esc_buf_init(&out, 1 << 20);
        assert_int_equal(esc_metrics_render(m, &out), 0);
        assert_non_null(strstr(out.data, "# HELP esc_sla_processed_total Messages handled.\n"
                                         "# TYPE esc_sla_processed_total counter\n"
                                         "esc_sla_processed_total 5\n"));
        assert_non_null(strstr(out.data, "# HELP esc_sla_lag Lag\\nper partition.\n"
                                         "# TYPE esc_sla_lag gauge\n"));
        assert_non_null(strstr(out.data, "esc_sla_lag{topic=\"esc.events\",partition=\"0\"} 42\n"));
        assert_non_null(strstr(out.data, "esc_sla_lag{topic=\"a\\\"b\\\\c\\nd\"} 1.5\n"));
        assert_non_null(strstr(out.data, "# TYPE esc_sla_batch_seconds histogram\n"
                                         "esc_sla_batch_seconds_bucket{le=\"0.01\"} 1\n"
                                         "esc_sla_batch_seconds_bucket{le=\"0.1\"} 3\n"
                                         "esc_sla_batch_seconds_bucket{le=\"1\"} 3\n"
                                         "esc_sla_batch_seconds_bucket{le=\"+Inf\"} 4\n"
                                         "esc_sla_batch_seconds_sum 5.125\n"
                                         "esc_sla_batch_seconds_count 4\n"));
        /* A revoked partition's series disappears. */
        esc_metric_remove(g, l0);
        esc_buf_reset(&out);
        assert_int_equal(esc_metrics_render(m, &out), 0);
        assert_null(strstr(out.data, "partition=\"0\""));
        esc_buf_free(&out);
        esc_metrics_destroy(m);
}

static void test_registry_refuses_bad_names_and_type_clashes(void **state)
{
        esc_metrics_t *m = esc_metrics_new();
        const double unsorted[] = {1, 0.5};

        (void)state;
        assert_null(esc_metrics_counter(m, "9starts_with_digit", "x"));
        assert_null(esc_metrics_counter(m, "has space", "x"));
        assert_null(esc_metrics_counter(m, "", "x"));
        assert_non_null(esc_metrics_counter(m, "esc_x_total", "x"));
        assert_ptr_equal(esc_metrics_counter(m, "esc_x_total", "again"),
                         esc_metrics_counter(m, "esc_x_total", NULL));
        assert_null(esc_metrics_gauge(m, "esc_x_total", "clash"));
        assert_null(esc_metrics_histogram(m, "esc_h", "x", unsorted, 2));
        esc_metrics_destroy(m);
}

static void test_series_per_family_are_capped(void **state)
{
        esc_metrics_t *m = esc_metrics_new();
        esc_metric_t *g = esc_metrics_gauge(m, "esc_many", "x");
        char l[64], n[16];
        esc_buf_t out;

        (void)state;
        for (int i = 0; i < ESC_METRICS_MAX_SERIES + 10; i++) {
                snprintf(n, sizeof(n), "%d", i);
                esc_metric_set(g, esc_metrics_labels(l, sizeof(l), "i", n, NULL), 1);
        }
        snprintf(n, sizeof(n), "%d", ESC_METRICS_MAX_SERIES + 5);
        assert_true(esc_metric_value(g, esc_metrics_labels(l, sizeof(l), "i", n, NULL)) == 0);
        esc_buf_init(&out, 16 << 20);
        assert_int_equal(esc_metrics_render(m, &out), 0);
        assert_non_null(strstr(out.data, "esc_metrics_dropped_series_total 10\n"));
        esc_buf_free(&out);
        esc_metrics_destroy(m);
}

static void test_server_serves_metrics_and_healthz_on_a_free_port(void **state)
{
        esc_metrics_t *m = esc_metrics_new();
        esc_metric_t *c = esc_metrics_counter(m, "esc_webhook_requests_total", "Requests.");
        esc_metrics_server_t *srv;
        char errbuf[256], ctype[128];
        esc_buf_t body;
        int port;

        (void)state;
        esc_metric_add(c, NULL, 7);
        healthy_flag = true;
        srv = esc_metrics_server_start(m, "127.0.0.1:0", health, &healthy_flag, errbuf,
                                       sizeof(errbuf));
        assert_non_null(srv);
        port = esc_metrics_server_port(srv);
        assert_true(port > 0 && port < 65536);
        esc_buf_init(&body, 1 << 20);

        assert_int_equal(http("GET", port, "/metrics", &body, ctype, sizeof(ctype)), 200);
        assert_non_null(strstr(ctype, "text/plain; version=0.0.4"));
        assert_non_null(strstr(body.data, "# TYPE esc_webhook_requests_total counter\n"
                                          "esc_webhook_requests_total 7\n"));

        assert_int_equal(http("GET", port, "/healthz", &body, NULL, 0), 200);
        assert_string_equal(body.data, "ok\n");
        healthy_flag = false;
        assert_int_equal(http("GET", port, "/healthz", &body, NULL, 0), 503);

        assert_int_equal(http("GET", port, "/", &body, NULL, 0), 404);
        assert_int_equal(http("GET", port, "/metrics/x", &body, NULL, 0), 404);
        assert_int_equal(http("POST", port, "/metrics", &body, NULL, 0), 405);

        esc_buf_free(&body);
        esc_metrics_server_stop(srv);
        esc_metrics_destroy(m);
}

static void test_server_names_a_bad_listen_address(void **state)
{
        esc_metrics_t *m = esc_metrics_new();
        char errbuf[256];

        (void)state;
        assert_null(esc_metrics_server_start(m, "9464", NULL, NULL, errbuf, sizeof(errbuf)));
        assert_non_null(strstr(errbuf, "HOST:PORT"));
        assert_null(
                esc_metrics_server_start(m, "127.0.0.1:99999", NULL, NULL, errbuf, sizeof(errbuf)));
        assert_non_null(strstr(errbuf, "99999"));
        assert_null(esc_metrics_server_start(m, "example.com:9464", NULL, NULL, errbuf,
                                             sizeof(errbuf)));
        assert_non_null(strstr(errbuf, "IPv4"));
        esc_metrics_destroy(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exposition_has_help_type_labels_and_cumulative_buckets),
                cmocka_unit_test(test_registry_refuses_bad_names_and_type_clashes),
                cmocka_unit_test(test_series_per_family_are_capped),
                cmocka_unit_test(test_server_serves_metrics_and_healthz_on_a_free_port),
                cmocka_unit_test(test_server_names_a_bad_listen_address),
        };
        int rc;

        curl_global_init(CURL_GLOBAL_DEFAULT);
        rc = cmocka_run_group_tests(tests, NULL, NULL);
        curl_global_cleanup();
        return rc;
}
