/* metrics.c — the Prometheus registry and its libmicrohttpd endpoint.
 *
 * Families live in a singly linked list in registration order; series live
 * in a per-family pointer array capped at ESC_METRICS_MAX_SERIES. Lookups
 * are linear: a worker has a few families with at most one series per
 * partition, so a scan is cheaper than keeping a hash table correct. One
 * mutex per registry guards everything, including rendering, so a scrape
 * always sees a consistent snapshot. */
#include <arpa/inet.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/log.h"
#include "runtime/metrics.h"

typedef enum { ESC_METRIC_COUNTER, ESC_METRIC_GAUGE, ESC_METRIC_HISTOGRAM } esc_metric_type_t;

typedef struct esc_series {
        char *labels;      /* "" for none; never NULL */
        double value;      /* counter/gauge */
        double sum;        /* histogram */
        uint64_t count;    /* histogram */
        uint64_t *buckets; /* histogram, per bucket (not cumulative) */
} esc_series_t;

struct esc_metric {
        esc_metrics_t *m;
        esc_metric_type_t type;
        char *name;
        char *help;
        double *bounds;
        size_t bound_cnt;
        esc_series_t **series;
        size_t series_cnt;
        size_t series_alloc;
        struct esc_metric *next;
};

struct esc_metrics {
        pthread_mutex_t lock;
        esc_metric_t *head;
        esc_metric_t *tail;
        uint64_t dropped_series;
};

const double esc_metrics_latency_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,  0.5,    1,     2.5,  5,     10};
const size_t esc_metrics_latency_buckets_cnt =
        sizeof(esc_metrics_latency_buckets) / sizeof(esc_metrics_latency_buckets[0]);

esc_metrics_t *esc_metrics_new(void)
{
        esc_metrics_t *m = esc_xcalloc(1, sizeof(*m));

        pthread_mutex_init(&m->lock, NULL);
        return m;
}

static void series_free(esc_series_t *s)
{
        free(s->labels);
        free(s->buckets);
        free(s);
}

void esc_metrics_destroy(esc_metrics_t *m)
{
        esc_metric_t *mt, *next;

        if (!m)
                return;
        for (mt = m->head; mt; mt = next) {
                next = mt->next;
                for (size_t i = 0; i < mt->series_cnt; i++)
                        series_free(mt->series[i]);
                free(mt->series);
                free(mt->bounds);
                free(mt->name);
                free(mt->help);
                free(mt);
        }
        pthread_mutex_destroy(&m->lock);
        free(m);
}

static bool name_valid(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n >= ESC_METRICS_MAX_NAME)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                bool alpha =
                        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
                if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
                        return false;
        }
        return true;
}

static esc_metric_t *family_register(esc_metrics_t *m, esc_metric_type_t type, const char *name,
                                     const char *help, const double *bounds, size_t bound_cnt)
{
        esc_metric_t *mt;

        if (!m || !name || !name_valid(name))
                return NULL;
        pthread_mutex_lock(&m->lock);
        for (mt = m->head; mt; mt = mt->next) {
                if (!strcmp(mt->name, name)) {
                        pthread_mutex_unlock(&m->lock);
                        return mt->type == type ? mt : NULL;
                }
        }
        mt = esc_xcalloc(1, sizeof(*mt));
        mt->m = m;
        mt->type = type;
        mt->name = esc_strdup(name);
        mt->help = esc_strdup(help ? help : "");
        if (bound_cnt) {
                mt->bounds = esc_xmalloc(bound_cnt * sizeof(double));
                memcpy(mt->bounds, bounds, bound_cnt * sizeof(double));
                mt->bound_cnt = bound_cnt;
        }
        if (m->tail)
                m->tail->next = mt;
        else
                m->head = mt;
        m->tail = mt;
        pthread_mutex_unlock(&m->lock);
        return mt;
}

esc_metric_t *esc_metrics_counter(esc_metrics_t *m, const char *name, const char *help)
{
        return family_register(m, ESC_METRIC_COUNTER, name, help, NULL, 0);
}

esc_metric_t *esc_metrics_gauge(esc_metrics_t *m, const char *name, const char *help)
{
        return family_register(m, ESC_METRIC_GAUGE, name, help, NULL, 0);
}

esc_metric_t *esc_metrics_histogram(esc_metrics_t *m, const char *name, const char *help,
                                    const double *buckets, size_t bucket_cnt)
{
        if (!buckets) {
                buckets = esc_metrics_latency_buckets;
                bucket_cnt = esc_metrics_latency_buckets_cnt;
        }
        for (size_t i = 1; i < bucket_cnt; i++)
                if (!(buckets[i] > buckets[i - 1]))
                        return NULL;
        return family_register(m, ESC_METRIC_HISTOGRAM, name, help, buckets, bucket_cnt);
}

/* Caller holds the lock. create=false only looks. */
static esc_series_t *series_get(esc_metric_t *mt, const char *labels, bool create)
{
        esc_series_t *s;

        if (!labels)
                labels = "";
        for (size_t i = 0; i < mt->series_cnt; i++)
                if (!strcmp(mt->series[i]->labels, labels))
                        return mt->series[i];
        if (!create)
                return NULL;
        if (mt->series_cnt >= ESC_METRICS_MAX_SERIES || strlen(labels) >= ESC_METRICS_MAX_LABELS) {
                mt->m->dropped_series++;
                return NULL;
        }
        if (mt->series_cnt == mt->series_alloc) {
                size_t n = mt->series_alloc ? mt->series_alloc * 2 : 8;
                mt->series = esc_xrealloc(mt->series, n * sizeof(*mt->series));
                mt->series_alloc = n;
        }
        s = esc_xcalloc(1, sizeof(*s));
        s->labels = esc_strdup(labels);
        if (mt->bound_cnt)
                s->buckets = esc_xcalloc(mt->bound_cnt, sizeof(uint64_t));
        mt->series[mt->series_cnt++] = s;
        return s;
}

void esc_metric_add(esc_metric_t *mt, const char *labels, double v)
{
        esc_series_t *s;

        if (!mt || mt->type != ESC_METRIC_COUNTER || !(v >= 0))
                return;
        pthread_mutex_lock(&mt->m->lock);
        if ((s = series_get(mt, labels, true)))
                s->value += v;
        pthread_mutex_unlock(&mt->m->lock);
}

void esc_metric_set(esc_metric_t *mt, const char *labels, double v)
{
        esc_series_t *s;

        if (!mt || mt->type != ESC_METRIC_GAUGE)
                return;
        pthread_mutex_lock(&mt->m->lock);
        if ((s = series_get(mt, labels, true)))
                s->value = v;
        pthread_mutex_unlock(&mt->m->lock);
}

void esc_metric_observe(esc_metric_t *mt, const char *labels, double v)
{
        esc_series_t *s;

        if (!mt || mt->type != ESC_METRIC_HISTOGRAM || isnan(v))
                return;
        pthread_mutex_lock(&mt->m->lock);
        if ((s = series_get(mt, labels, true))) {
                s->count++;
                s->sum += v;
                for (size_t i = 0; i < mt->bound_cnt; i++) {
                        if (v <= mt->bounds[i]) {
                                s->buckets[i]++;
                                break;
                        }
                }
        }
        pthread_mutex_unlock(&mt->m->lock);
}

void esc_metric_remove(esc_metric_t *mt, const char *labels)
{
        if (!mt)
                return;
        if (!labels)
                labels = "";
        pthread_mutex_lock(&mt->m->lock);
        for (size_t i = 0; i < mt->series_cnt; i++) {
                if (!strcmp(mt->series[i]->labels, labels)) {
                        series_free(mt->series[i]);
                        mt->series[i] = mt->series[--mt->series_cnt];
                        break;
                }
        }
        pthread_mutex_unlock(&mt->m->lock);
}

double esc_metric_value(esc_metric_t *mt, const char *labels)
{
        esc_series_t *s;
        double v = 0;

        if (!mt)
                return 0;
        pthread_mutex_lock(&mt->m->lock);
        if ((s = series_get(mt, labels, false)))
                v = mt->type == ESC_METRIC_HISTOGRAM ? (double)s->count : s->value;
        pthread_mutex_unlock(&mt->m->lock);
        return v;
}

const char *esc_metrics_labels(char *buf, size_t size, ...)
{
        esc_buf_t b;
        va_list ap;
        const char *k, *v;
        int rc = 0;

        if (!buf || size < 2)
                return NULL;
        buf[0] = '\0';
        esc_buf_init(&b, size - 1);
        va_start(ap, size);
        while (rc == 0 && (k = va_arg(ap, const char *)) != NULL) {
                v = va_arg(ap, const char *);
                if (!v)
                        v = "";
                if (b.len)
                        rc |= esc_buf_puts(&b, ",");
                rc |= esc_buf_puts(&b, k);
                rc |= esc_buf_puts(&b, "=\"");
                for (; rc == 0 && *v; v++) {
                        if (*v == '\\')
                                rc |= esc_buf_puts(&b, "\\\\");
                        else if (*v == '"')
                                rc |= esc_buf_puts(&b, "\\\"");
                        else if (*v == '\n')
                                rc |= esc_buf_puts(&b, "\\n");
                        else
                                rc |= esc_buf_append(&b, v, 1);
                }
                rc |= esc_buf_puts(&b, "\"");
        }
        va_end(ap);
        if (rc == 0 && b.data)
                esc_strlcpy(buf, b.data, size);
        esc_buf_free(&b);
        return rc == 0 ? buf : NULL;
}

/* Prometheus accepts Go's float syntax: integers print without exponent
 * so counters read naturally; everything else keeps full precision. */
static void fmt_double(double v, char *buf, size_t size)
{
        if (isnan(v))
                esc_strlcpy(buf, "NaN", size);
        else if (isinf(v))
                esc_strlcpy(buf, v > 0 ? "+Inf" : "-Inf", size);
        else if (v == floor(v) && fabs(v) < 1e15)
                snprintf(buf, size, "%.0f", v);
        else
                snprintf(buf, size, "%.15g", v);
}

/* Help text escapes backslash and newline only (exposition format). */
static int put_help(esc_buf_t *out, const char *help)
{
        int rc = 0;

        for (; rc == 0 && *help; help++) {
                if (*help == '\\')
                        rc = esc_buf_puts(out, "\\\\");
                else if (*help == '\n')
                        rc = esc_buf_puts(out, "\\n");
                else
                        rc = esc_buf_append(out, help, 1);
        }
        return rc;
}

static int put_sample(esc_buf_t *out, const char *name, const char *suffix, const char *labels,
                      const char *extra_label, double v)
{
        char num[64];
        bool any = (labels && *labels) || extra_label;

        fmt_double(v, num, sizeof(num));
        return esc_buf_printf(out, "%s%s%s%s%s%s%s %s\n", name, suffix, any ? "{" : "",
                              labels ? labels : "", labels && *labels && extra_label ? "," : "",
                              extra_label ? extra_label : "", any ? "}" : "", num);
}

static int render_family(const esc_metric_t *mt, esc_buf_t *out)
{
        static const char *type_names[] = {"counter", "gauge", "histogram"};
        int rc = 0;

        rc |= esc_buf_printf(out, "# HELP %s ", mt->name);
        rc |= put_help(out, mt->help);
        rc |= esc_buf_printf(out, "\n# TYPE %s %s\n", mt->name, type_names[mt->type]);
        for (size_t i = 0; rc == 0 && i < mt->series_cnt; i++) {
                const esc_series_t *s = mt->series[i];
                uint64_t cum = 0;
                char le[96], num[64];

                if (mt->type != ESC_METRIC_HISTOGRAM) {
                        rc |= put_sample(out, mt->name, "", s->labels, NULL, s->value);
                        continue;
                }
                for (size_t b = 0; rc == 0 && b < mt->bound_cnt; b++) {
                        cum += s->buckets[b];
                        fmt_double(mt->bounds[b], num, sizeof(num));
                        snprintf(le, sizeof(le), "le=\"%s\"", num);
                        rc |= put_sample(out, mt->name, "_bucket", s->labels, le, (double)cum);
                }
                rc |= put_sample(out, mt->name, "_bucket", s->labels, "le=\"+Inf\"",
                                 (double)s->count);
                rc |= put_sample(out, mt->name, "_sum", s->labels, NULL, s->sum);
                rc |= put_sample(out, mt->name, "_count", s->labels, NULL, (double)s->count);
        }
        return rc ? -1 : 0;
}

int esc_metrics_render(esc_metrics_t *m, esc_buf_t *out)
{
        int rc = 0;

        pthread_mutex_lock(&m->lock);
        for (const esc_metric_t *mt = m->head; rc == 0 && mt; mt = mt->next)
                rc = render_family(mt, out);
        if (rc == 0 && m->dropped_series)
                rc = esc_buf_printf(out,
                                    "# HELP esc_metrics_dropped_series_total Updates dropped "
                                    "because a family reached its series cap.\n"
                                    "# TYPE esc_metrics_dropped_series_total counter\n"
                                    "esc_metrics_dropped_series_total %llu\n",
                                    (unsigned long long)m->dropped_series);
        pthread_mutex_unlock(&m->lock);
        return rc ? -1 : 0;
}

/* ---- HTTP ---------------------------------------------------------------- */

/* A scrape of a worker is a few KiB; the cap only guards against a
 * registry gone wrong. */
#define ESC_METRICS_RENDER_CAP ((size_t)8 << 20)

struct esc_metrics_server {
        esc_metrics_t *m;
        struct MHD_Daemon *daemon;
        esc_metrics_health_fn health;
        void *opaque;
        int port;
};

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *ctype,
                               const char *body, size_t len)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;

        resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

/* Runs on libmicrohttpd's polling thread. */
static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
        esc_metrics_server_t *srv = cls;
        static const char text[] = "text/plain; charset=utf-8";

        (void)version;
        (void)upload_data;
        (void)upload_data_size;
        (void)con_cls;
        if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
                return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text, "method not allowed\n", 19);
        if (!strcmp(url, "/metrics")) {
                esc_buf_t b;
                enum MHD_Result ret;

                esc_buf_init(&b, ESC_METRICS_RENDER_CAP);
                if (esc_metrics_render(srv->m, &b) != 0) {
                        esc_buf_free(&b);
                        return respond(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, text,
                                       "metrics too large\n", 18);
                }
                ret = respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                              b.data ? b.data : "", b.len);
                esc_buf_free(&b);
                return ret;
        }
        if (!strcmp(url, "/healthz")) {
                if (!srv->health || srv->health(srv->opaque))
                        return respond(conn, MHD_HTTP_OK, text, "ok\n", 3);
                return respond(conn, MHD_HTTP_SERVICE_UNAVAILABLE, text, "unhealthy\n", 10);
        }
        return respond(conn, MHD_HTTP_NOT_FOUND, text, "not found\n", 10);
}

int esc_listen_parse(const char *what, const char *listen, struct sockaddr_in *sin, char *errbuf,
                     size_t errbuf_size)
{
        char host[64];
        const char *colon = listen ? strrchr(listen, ':') : NULL;
        long long port;

        if (!colon || (size_t)(colon - listen) >= sizeof(host))
                return esc_err(errbuf, errbuf_size,
                               "%s \"%.64s\": expected HOST:PORT such as 127.0.0.1:9464", what,
                               listen ? listen : "");
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
        if (esc_parse_int(colon + 1, 0, 65535, &port))
                return esc_err(errbuf, errbuf_size, "%s \"%.64s\": port must be a number 0-65535",
                               what, listen);
        memset(sin, 0, sizeof(*sin));
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        if (!strcmp(host, "") || !strcmp(host, "*"))
                esc_strlcpy(host, "0.0.0.0", sizeof(host));
        else if (!strcmp(host, "localhost"))
                esc_strlcpy(host, "127.0.0.1", sizeof(host));
        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
                return esc_err(errbuf, errbuf_size,
                               "%s \"%.64s\": host must be a numeric IPv4 address such as "
                               "127.0.0.1",
                               what, listen);
        return 0;
}

esc_metrics_server_t *esc_metrics_server_start(esc_metrics_t *m, const char *listen,
                                               esc_metrics_health_fn health, void *opaque,
                                               char *errbuf, size_t errbuf_size)
{
        esc_metrics_server_t *srv;
        struct sockaddr_in sin;
        const union MHD_DaemonInfo *info;

        if (esc_listen_parse("metrics.listen", listen, &sin, errbuf, errbuf_size) != 0)
                return NULL;
        srv = esc_xcalloc(1, sizeof(*srv));
        srv->m = m;
        srv->health = health;
        srv->opaque = opaque;
        /* A connection limit and timeout keep a stuck scraper from holding
         * the worker's memory or the polling thread. */
        srv->daemon = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle_request, srv,
                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_CONNECTION_LIMIT,
                (unsigned)32, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
        if (!srv->daemon) {
                free(srv);
                esc_err(errbuf, errbuf_size,
                        "metrics.listen \"%s\": cannot listen (address in use or not "
                        "local?); pick another address or port",
                        listen);
                return NULL;
        }
        info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
        srv->port = info ? info->port : ntohs(sin.sin_port);
        return srv;
}

int esc_metrics_server_port(const esc_metrics_server_t *srv)
{
        return srv ? srv->port : -1;
}

void esc_metrics_server_stop(esc_metrics_server_t *srv)
{
        if (!srv)
                return;
        MHD_stop_daemon(srv->daemon);
        free(srv);
}

int esc_metrics_server_from_config(esc_metrics_t *m, const esc_config_t *conf, const char *comp,
                                   esc_metrics_health_fn health, void *opaque,
                                   esc_metrics_server_t **srvp, char *errbuf, size_t errbuf_size)
{
        const char *listen = esc_config_get(conf, "metrics.listen");
        char host[64];
        const char *colon;

        *srvp = NULL;
        if (!listen || !*listen)
                return 0;
        if (!(*srvp = esc_metrics_server_start(m, listen, health, opaque, errbuf, errbuf_size)))
                return -1;
        colon = strrchr(listen, ':');
        esc_strlcpy(host, listen,
                    (size_t)(colon - listen) + 1 < sizeof(host) ? (size_t)(colon - listen) + 1
                                                                : sizeof(host));
        esc_log(ESC_LOG_INFO, comp, "metrics listening", "addr=%s:%d", host[0] ? host : "0.0.0.0",
                esc_metrics_server_port(*srvp));
        return 0;
}
