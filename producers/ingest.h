/* ingest.h — bulk streaming of commands into esc.commands (`esc ingest`).
 *
 * Input is a stream of lines: NDJSON commands (docs/commands.md) or Zendesk
 * ticket-event payloads, one JSON document per line. Each line is parsed,
 * validated, Avro-encoded and produced asynchronously (no per-line round
 * trip); delivery reports are counted as they arrive and everything is
 * flushed before the run ends.
 *
 * Nothing is dropped silently: a line that cannot become a command goes to
 * the reject file as "line N: <reason>\t<original line>"; a line longer
 * than ESC_INGEST_MAX_LINE is rejected (its first bytes are kept) and
 * reading goes on with the next line; a command the broker refuses is
 * written there too ("line N: not delivered: <error>"). Blank lines are
 * skipped; Zendesk events without escalation meaning (a ticket set to
 * pending, say) are counted as skipped. */
#ifndef ESC_INGEST_H
#define ESC_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/config.h"

#define ESC_INGEST_MAX_LINE ((size_t)1 << 20) /* 1 MiB */

typedef enum { ESC_INGEST_NDJSON = 0, ESC_INGEST_ZENDESK } esc_ingest_format_t;

typedef struct esc_ingest_opts {
        const char *input;   /* path or "-" */
        const char *rejects; /* NULL: <input>.rejects, or ./stdin.rejects */
        esc_ingest_format_t format;
        bool progress;     /* draw the progress line on stderr */
        const char *actor; /* default `by` where optional; NULL = "ingest" */
        int threads;       /* parse/encode workers; 0 = ESC_INGEST_DEFAULT_THREADS */
} esc_ingest_opts_t;

#define ESC_INGEST_DEFAULT_THREADS 2

typedef struct esc_ingest_stats {
        int64_t lines;     /* lines read (incl. blank) */
        int64_t accepted;  /* became a command and was produced */
        int64_t rejected;  /* written to the reject file (parse/validation) */
        int64_t skipped;   /* blank, or a Zendesk event with no meaning */
        int64_t delivered; /* acknowledged by the broker */
        int64_t failed;    /* refused by the broker (also in the reject file) */
        double seconds;
        char rejects_path[4096]; /* where rejects went ("" if none) */
} esc_ingest_stats_t;

/* Runs the whole ingest. Returns 0 when the run completed (look at stats
 * for rejections and delivery failures); -2 with errbuf when the input or
 * the reject file cannot be opened (bad input); -1 with errbuf when the
 * run could not go on (broker client, codec). */
int esc_ingest_run(const esc_config_t *conf, const esc_ingest_opts_t *opts,
                   esc_ingest_stats_t *stats, char *errbuf, size_t errbuf_size);

#endif
