/* bench_sla.c — the SLA projection's live latency: from an event appended to
 * esc.events to its row being visible in PostgreSQL.
 *
 *   bench_sla latency --count N [--partitions P] [--timeout S]
 *
 * Polls <schema esc>.events every millisecond for rows it has not seen yet
 * (per partition, by Kafka offset) and takes, for each, now - recorded_at:
 * the producer (prog_sla_produce_events, standing in for the ledger) sets
 * recorded_at right before it appends the event, so this is append ->
 * visible, including the consumer's fetch, the batch wait and the commit.
 * Polling adds up to ~1 ms plus one query's time: the figure is an upper
 * bound. Prints the distribution and
 *   RESULT sla_live_p99 ours=<p99 ms> raw=<target ms> unit=ms
 *   RATIO sla_live_p99 <target/p99>
 * PostgreSQL from ESC_PG_URL. */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/util.h"

#define MAX_PARTS 256
#define TARGET_MS 100.0

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        long count = 0, timeout_s = 120, parts = 1;
        const char *url = getenv("ESC_PG_URL");
        int64_t last[MAX_PARTS];
        double *lat;
        long seen = 0;
        PGconn *c;
        int64_t deadline;

        for (int i = 2; i + 1 < argc; i += 2) {
                if (!strcmp(argv[i], "--count"))
                        count = atol(argv[i + 1]);
                else if (!strcmp(argv[i], "--partitions"))
                        parts = atol(argv[i + 1]);
                else if (!strcmp(argv[i], "--timeout"))
                        timeout_s = atol(argv[i + 1]);
        }
        if (argc < 2 || strcmp(argv[1], "latency") || count < 1 || !url || parts < 1 ||
            parts > MAX_PARTS) {
                fprintf(stderr, "usage: ESC_PG_URL=... bench_sla latency --count N [--partitions P] "
                                "[--timeout S]\n");
                return 2;
        }
        c = PQconnectdb(url);
        if (PQstatus(c) != CONNECTION_OK) {
                fprintf(stderr, "bench_sla: %s", PQerrorMessage(c));
                return 1;
        }
        for (int i = 0; i < MAX_PARTS; i++)
                last[i] = -1;
        /* Everything already there is history, not part of the measurement. */
        {
                PGresult *r = PQexec(c, "SELECT kafka_partition, max(kafka_offset) FROM esc.events "
                                        "GROUP BY 1");
                for (int row = 0; PQresultStatus(r) == PGRES_TUPLES_OK && row < PQntuples(r); row++) {
                        int p = atoi(PQgetvalue(r, row, 0));
                        if (p >= 0 && p < MAX_PARTS)
                                last[p] = strtoll(PQgetvalue(r, row, 1), NULL, 10);
                }
                PQclear(r);
        }
        if (PQresultStatus(PQprepare(c, "new",
                                     "SELECT kafka_partition, kafka_offset,"
                                     " (extract(epoch from recorded_at) * 1000000)::int8"
                                     " FROM esc.events WHERE kafka_partition = $1 AND kafka_offset > $2",
                                     2, NULL)) != PGRES_COMMAND_OK) {
                fprintf(stderr, "bench_sla: prepare: %s", PQerrorMessage(c));
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        lat = esc_xcalloc((size_t)count, sizeof(double));
        deadline = esc_mono_us() + timeout_s * ESC_USEC_PER_SEC;
        while (seen < count && esc_mono_us() < deadline) {
                for (int p = 0; p < parts && seen < count; p++) {
                        char ps[16], os[32];
                        const char *params[2] = {ps, os};
                        PGresult *r;
                        esc_time_t now;

                        snprintf(ps, sizeof(ps), "%d", p);
                        snprintf(os, sizeof(os), "%" PRId64, last[p] < 0 ? -1 : last[p]);
                        r = PQexecPrepared(c, "new", 2, params, NULL, NULL, 0);
                        now = esc_now();
                        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
                                fprintf(stderr, "bench_sla: poll: %s", PQerrorMessage(c));
                                return 1;
                        }
                        for (int row = 0; row < PQntuples(r) && seen < count; row++) {
                                int64_t off = strtoll(PQgetvalue(r, row, 1), NULL, 10);
                                int64_t rec = strtoll(PQgetvalue(r, row, 2), NULL, 10);
                                lat[seen++] = (double)(now - rec) / 1000.0;
                                if (off > last[p])
                                        last[p] = off;
                        }
                        PQclear(r);
                }
                usleep(1000);
        }
        PQfinish(c);
        if (seen < count) {
                fprintf(stderr, "bench_sla: only %ld of %ld events became visible in %ld s\n", seen,
                        count, timeout_s);
                return 1;
        }
        qsort(lat, (size_t)seen, sizeof(double), cmp_double);
        {
                double p50 = lat[seen / 2], p99 = lat[(seen * 99) / 100], max = lat[seen - 1];
                printf("live latency over %ld events: p50 %.1f ms, p99 %.1f ms, max %.1f ms "
                       "(target p99 <= %.0f ms)\n",
                       seen, p50, p99, max, TARGET_MS);
                printf("RESULT sla_live_p99 ours=%.2f raw=%.2f unit=ms\n", p99, TARGET_MS);
                printf("RATIO sla_live_p99 %.2f\n", TARGET_MS / (p99 > 0 ? p99 : 0.001));
        }
        free(lat);
        return 0;
}
