/* bench_sla.c — the SLA projection's live latency: from an event appended to
 * esc.events to its row being visible in PostgreSQL.
 *
 *   bench_sla latency --count N [--partitions P] [--timeout S]
 *
 * Polls esc.projection_offsets every millisecond (it moves in the same
 * transaction as the rows) and takes, for each event that became visible,
 * the time it was seen minus its recorded_at:
 * the producer (prog_sla_produce_events, standing in for the ledger) sets
 * recorded_at right before it appends the event, so this is append ->
 * visible, including the consumer's fetch, the batch wait and the commit.
 * Polling adds up to ~1 ms plus one primary-key query: the figure is an
 * upper bound. Prints the distribution and
 *   RESULT sla_live_p99 ours=<p99 ms> raw=<target ms> unit=ms
 *   RATIO sla_live_p99 <target/p99>
 * PostgreSQL from ESC_PG_URL. */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/sys.h"

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
        long seen = 0, moved = 0;
        struct step {
                int partition;
                int64_t from, to;
                esc_time_t at;
        } * steps;
        size_t nsteps = 0;
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
                fprintf(stderr,
                        "usage: ESC_PG_URL=... bench_sla latency --count N [--partitions P] "
                        "[--timeout S]\n");
                return 2;
        }
        c = PQconnectdb(url);
        if (PQstatus(c) != CONNECTION_OK) {
                fprintf(stderr, "bench_sla: %s", PQerrorMessage(c));
                return 1;
        }
        /* Everything already projected is history, not part of the measurement. */
        for (int i = 0; i < MAX_PARTS; i++)
                last[i] = 0;
        /* The poll is one primary-key read of esc.projection_offsets, which
         * moves in the same transaction as the rows: when a partition's
         * next_offset goes from a to b, events a..b-1 became visible now.
         * Their recorded_at is read afterwards, off the clock. */
        if (PQresultStatus(PQprepare(c, "pos",
                                     "SELECT \"partition\", next_offset FROM esc.projection_offsets"
                                     " WHERE projection = 'sla'",
                                     0, NULL)) != PGRES_COMMAND_OK ||
            PQresultStatus(PQprepare(
                    c, "rec",
                    "SELECT kafka_offset, (extract(epoch from recorded_at) * 1000000)::int8"
                    " FROM esc.events WHERE kafka_partition = $1"
                    " AND kafka_offset >= $2 AND kafka_offset < $3",
                    3, NULL)) != PGRES_COMMAND_OK) {
                fprintf(stderr, "bench_sla: prepare: %s", PQerrorMessage(c));
                return 1;
        }
        {
                PGresult *r = PQexecPrepared(c, "pos", 0, NULL, NULL, NULL, 0);
                for (int row = 0; PQresultStatus(r) == PGRES_TUPLES_OK && row < PQntuples(r);
                     row++) {
                        int p = atoi(PQgetvalue(r, row, 0));
                        if (p >= 0 && p < MAX_PARTS)
                                last[p] = strtoll(PQgetvalue(r, row, 1), NULL, 10);
                }
                PQclear(r);
        }
        printf("ready\n");
        fflush(stdout);
        lat = esc_xcalloc((size_t)count, sizeof(double));
        steps = esc_xcalloc((size_t)count + 1, sizeof(*steps));
        deadline = esc_mono_us() + timeout_s * ESC_USEC_PER_SEC;
        while (moved < count && esc_mono_us() < deadline) {
                PGresult *r = PQexecPrepared(c, "pos", 0, NULL, NULL, NULL, 0);
                esc_time_t now = esc_now();

                if (PQresultStatus(r) != PGRES_TUPLES_OK) {
                        fprintf(stderr, "bench_sla: poll: %s", PQerrorMessage(c));
                        return 1;
                }
                for (int row = 0; row < PQntuples(r); row++) {
                        int p = atoi(PQgetvalue(r, row, 0));
                        int64_t next = strtoll(PQgetvalue(r, row, 1), NULL, 10);
                        if (p < 0 || p >= parts || next <= last[p] || nsteps >= (size_t)count)
                                continue;
                        steps[nsteps++] = (struct step){p, last[p], next, now};
                        moved += next - last[p];
                        last[p] = next;
                }
                PQclear(r);
                usleep(1000);
        }
        for (size_t i = 0; i < nsteps && seen < count; i++) {
                char ps[16], from[32], to[32];
                const char *params[3] = {ps, from, to};
                PGresult *r;

                snprintf(ps, sizeof(ps), "%d", steps[i].partition);
                snprintf(from, sizeof(from), "%" PRId64, steps[i].from);
                snprintf(to, sizeof(to), "%" PRId64, steps[i].to);
                r = PQexecPrepared(c, "rec", 3, params, NULL, NULL, 0);
                for (int row = 0;
                     PQresultStatus(r) == PGRES_TUPLES_OK && row < PQntuples(r) && seen < count;
                     row++)
                        lat[seen++] =
                                (double)(steps[i].at - strtoll(PQgetvalue(r, row, 1), NULL, 10)) /
                                1000.0;
                PQclear(r);
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
        free(steps);
        return 0;
}
