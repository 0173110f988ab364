/* bench_webhook.c — load generator for bench/webhook/run: C concurrent
 * keep-alive clients (libcurl multi) POST generic JSON commands to
 * `esc webhook` for D seconds; prints requests/s and latency percentiles.
 * Every answer must be 202 (a 202 means Kafka acknowledged the command).
 *
 *   bench_webhook URL CLIENTS SECONDS [BODY_FILE STATUS [HEADER]]
 *   -> "webhook requests=N seconds=S rps=R p50_ms=.. p99_ms=.. unexpected=K"
 *
 * With BODY_FILE every request posts that file's bytes instead and must be
 * answered STATUS (bench/actions/run: the raw request rate of the fake
 * outside APIs), HEADER being one more request header. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "runtime/sys.h"

#define MAX_CLIENTS 256
#define MAX_SAMPLES 4000000

typedef struct client {
        CURL *h;
        char body[512];
        int64_t started;
} client_t;

static const char *fixed_body; /* BODY_FILE's bytes, NULL: a command per request */

static size_t sink(char *p, size_t s, size_t n, void *u)
{
        return s * n;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static long seq;

static void start(CURLM *m, client_t *c, const char *url, struct curl_slist *hdrs)
{
        long n = seq++;
        snprintf(c->body, sizeof(c->body),
                 "{\"type\":\"update\",\"incident_id\":\"INC-WB-%ld\",\"by\":\"dana\","
                 "\"audience\":\"internal\",\"body\":\"bench %ld\"}",
                 n % 5000, n);
        curl_easy_setopt(c->h, CURLOPT_URL, url);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, fixed_body ? fixed_body : c->body);
        curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
        c->started = esc_mono_us();
        curl_multi_add_handle(m, c->h);
}

int main(int argc, char **argv)
{
        if (argc != 4 && argc != 6 && argc != 7) {
                fprintf(stderr,
                        "usage: bench_webhook URL CLIENTS SECONDS [BODY_FILE STATUS [HEADER]]\n");
                return 2;
        }
        const char *url = argv[1];
        int nc = atoi(argv[2]);
        double secs = atof(argv[3]);
        long expect = argc > 4 ? atol(argv[5]) : 202;
        if (nc < 1 || nc > MAX_CLIENTS || secs <= 0 || expect < 100)
                return 2;
        esc_buf_t file = {0};
        if (argc > 4) {
                char err[256];
                if (esc_read_file(argv[4], 1 << 20, &file, err, sizeof(err)) < 0) {
                        fprintf(stderr, "bench_webhook: %s\n", err);
                        return 2;
                }
                fixed_body = file.data ? file.data : "";
        }
        curl_global_init(CURL_GLOBAL_DEFAULT);
        CURLM *m = curl_multi_init();
        struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        if (argc > 6)
                hdrs = curl_slist_append(hdrs, argv[6]);
        client_t *cl = calloc((size_t)nc, sizeof(*cl));
        double *lat = malloc(MAX_SAMPLES * sizeof(double));
        long nlat = 0, unexpected = 0;
        int64_t t0 = esc_mono_us(), end = t0 + (int64_t)(secs * 1e6);

        for (int i = 0; i < nc; i++) {
                cl[i].h = curl_easy_init();
                start(m, &cl[i], url, hdrs);
        }
        int active = nc; /* handles added to the multi handle */
        while (active > 0) {
                int still;
                curl_multi_perform(m, &still);
                CURLMsg *msg;
                int left;
                while ((msg = curl_multi_info_read(m, &left))) {
                        if (msg->msg != CURLMSG_DONE)
                                continue;
                        client_t *c;
                        long code = 0;
                        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
                        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
                        if (code != expect || msg->data.result != CURLE_OK)
                                unexpected++;
                        if (nlat < MAX_SAMPLES)
                                lat[nlat++] = (double)(esc_mono_us() - c->started) / 1000.0;
                        curl_multi_remove_handle(m, c->h);
                        active--;
                        if (esc_mono_us() < end) {
                                start(m, c, url, hdrs);
                                active++;
                        }
                }
                if (active > 0)
                        curl_multi_poll(m, NULL, 0, 100, NULL);
        }
        double wall = (double)(esc_mono_us() - t0) / 1e6;
        qsort(lat, (size_t)nlat, sizeof(double), cmp);
        double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(long)(nlat * 0.99)] : 0;
        printf("webhook requests=%ld seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f "
               "unexpected=%ld\n",
               nlat, wall, (double)nlat / wall, p50, p99, unexpected);
        for (int i = 0; i < nc; i++)
                curl_easy_cleanup(cl[i].h);
        curl_multi_cleanup(m);
        curl_slist_free_all(hdrs);
        free(cl);
        free(lat);
        esc_buf_free(&file);
        curl_global_cleanup();
        return unexpected ? 1 : 0;
}
