/* metrics.h — a small, thread-safe Prometheus registry and the HTTP
 * endpoint that serves it (DESIGN §7: `/metrics` and `/healthz` when
 * `metrics.listen` is set).
 *
 * A registry holds metric families (counter, gauge, histogram). A family
 * holds one series per label set; the label set is a string already in
 * Prometheus form (`topic="esc.events",partition="3"`, "" or NULL for
 * none), built with esc_metrics_labels() so values are escaped. Families
 * and series are created on first use and never move, so handles stay
 * valid until esc_metrics_destroy(). Memory is bounded: a family keeps at
 * most ESC_METRICS_MAX_SERIES series; updates to further label sets are
 * dropped and counted in esc_metrics_dropped_series_total.
 *
 *   esc_metrics_t *m = esc_metrics_new();
 *   esc_metric_t *processed = esc_metrics_counter(m, "esc_ledger_processed_total",
 *                                                 "Messages processed.");
 *   esc_metric_add(processed, NULL, 1);
 *   esc_metrics_server_t *srv = esc_metrics_server_start(m, "127.0.0.1:9464",
 *                                                        healthy, w, err, sizeof(err));
 *
 * Every function here may be called from any thread; one mutex per registry
 * serialises updates and rendering (updates are a few per batch, so the
 * lock is never hot). */
#ifndef ESC_METRICS_H
#define ESC_METRICS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "runtime/config.h"
#include "core/util.h"

typedef struct esc_metrics esc_metrics_t;
typedef struct esc_metric esc_metric_t;
typedef struct esc_metrics_server esc_metrics_server_t;

#define ESC_METRICS_MAX_SERIES 4096
#define ESC_METRICS_MAX_NAME 128
#define ESC_METRICS_MAX_LABELS 512

/* Default latency buckets in seconds (1 ms .. 10 s). */
extern const double esc_metrics_latency_buckets[];
extern const size_t esc_metrics_latency_buckets_cnt;

esc_metrics_t *esc_metrics_new(void);
void esc_metrics_destroy(esc_metrics_t *m);

/* Registers (or returns the existing) family. name must match
 * [a-zA-Z_:][a-zA-Z0-9_:]* and be shorter than ESC_METRICS_MAX_NAME; the
 * same name registered with another type returns NULL. help is copied.
 * A histogram copies its bucket upper bounds (ascending; +Inf is implied). */
esc_metric_t *esc_metrics_counter(esc_metrics_t *m, const char *name, const char *help);
esc_metric_t *esc_metrics_gauge(esc_metrics_t *m, const char *name, const char *help);
esc_metric_t *esc_metrics_histogram(esc_metrics_t *m, const char *name, const char *help,
                                    const double *buckets, size_t bucket_cnt);

/* Counter: adds v (v >= 0; negative values are ignored). */
void esc_metric_add(esc_metric_t *mt, const char *labels, double v);
/* Gauge: sets the value. */
void esc_metric_set(esc_metric_t *mt, const char *labels, double v);
/* Histogram: records one observation. */
void esc_metric_observe(esc_metric_t *mt, const char *labels, double v);
/* Forgets one series (e.g. the lag of a revoked partition). */
void esc_metric_remove(esc_metric_t *mt, const char *labels);
/* Current value of a counter or gauge series (count for a histogram), or 0
 * if the series does not exist. For tests and health decisions. */
double esc_metric_value(esc_metric_t *mt, const char *labels);

/* Builds a label set from NULL-terminated name/value pairs, escaping
 * values (\\, \" and \n) as the exposition format requires:
 *   esc_metrics_labels(buf, sizeof(buf), "topic", t, "partition", "3", NULL)
 * -> topic="esc.events",partition="3". Always NUL-terminated; returns buf,
 * or NULL if it did not fit. */
const char *esc_metrics_labels(char *buf, size_t size, ...) __attribute__((sentinel));

/* Appends the whole registry in Prometheus text format 0.0.4 (# HELP,
 * # TYPE, families sorted by registration order). Returns 0, or -1 if
 * out's cap was reached. */
int esc_metrics_render(esc_metrics_t *m, esc_buf_t *out);

/* Health callback for /healthz: true = healthy. Called on the HTTP
 * server's thread, so it must be thread-safe. */
typedef bool (*esc_metrics_health_fn)(void *opaque);

/* Serves GET /metrics (text/plain; version=0.0.4) and GET /healthz (200
 * "ok" while health(opaque) is true or health is NULL, 503 "unhealthy"
 * otherwise); everything else is 404, other methods 405. listen is
 * "HOST:PORT" with a numeric IPv4 host ("127.0.0.1:9464", "0.0.0.0:9464");
 * port 0 picks a free port (see esc_metrics_server_port()). The server
 * runs on its own thread; m must outlive it. Returns NULL with errbuf
 * naming the address on failure. */
esc_metrics_server_t *esc_metrics_server_start(esc_metrics_t *m, const char *listen,
                                               esc_metrics_health_fn health, void *opaque,
                                               char *errbuf, size_t errbuf_size);
/* Parses "HOST:PORT" (numeric IPv4, "*" or "" for any, "localhost"; port
 * 0..65535) for any HTTP listener; errbuf names `what` (the key or flag). */
int esc_listen_parse(const char *what, const char *listen, struct sockaddr_in *sin, char *errbuf,
                     size_t errbuf_size);
/* The port actually bound. */
int esc_metrics_server_port(const esc_metrics_server_t *srv);
void esc_metrics_server_stop(esc_metrics_server_t *srv);

/* Starts the server if config `metrics.listen` is set. Returns 0 with
 * *srvp NULL when it is not set, 0 with *srvp set when it started, -1 with
 * errbuf otherwise. Logs "metrics listening" with the bound address under
 * component comp. */
int esc_metrics_server_from_config(esc_metrics_t *m, const esc_config_t *conf, const char *comp,
                                   esc_metrics_health_fn health, void *opaque,
                                   esc_metrics_server_t **srvp, char *errbuf, size_t errbuf_size);

#endif
