/* eventlog.h — reading esc.events one partition at a time.
 *
 * Everything that rebuilds from the log goes through here: the ledger's
 * replay on assignment, `esc status`, `esc timeline`, `esc audit`, and the
 * CLI waiting for the ledger's verdict. Readers never scan the whole topic
 * for one incident: an incident lives in the partition its key maps to
 * (esc_kafka_partition_for_key).
 *
 * A partition whose low watermark is above 0 has lost history (the mock
 * broker's cap, or a retention misconfiguration): scans report it in
 * stats->low_watermark so callers can say so instead of presenting an
 * incomplete history as complete. */
#ifndef ESC_EVENTLOG_H
#define ESC_EVENTLOG_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/codec.h"
#include "core/model.h"
#include "runtime/config.h"

typedef struct esc_eventlog_stats {
        int64_t low_watermark;  /* first offset still on the broker */
        int64_t high_watermark; /* end of the partition when the scan started */
        int64_t messages;       /* messages read */
        int64_t matched;        /* messages whose key matched the filter */
        int64_t undecodable;    /* matched messages that failed to decode */
} esc_eventlog_stats_t;

/* Called for every message read whose key matches. ev is the decoded event,
 * or NULL if the message did not decode (then errmsg says why). The event is
 * only valid during the call (copy it with esc_event_copy to keep it).
 * Return 0 to go on, non-zero to stop the scan (returned by the scan). */
typedef int (*esc_eventlog_fn)(const esc_event_t *ev, const rd_kafka_message_t *m,
                               const char *errmsg, void *opaque);

/* A reader: a consumer without group membership (assign-only). */
typedef struct esc_eventlog esc_eventlog_t;

esc_eventlog_t *esc_eventlog_new(const esc_config_t *conf, esc_codec_t *codec, char *errbuf,
                                 size_t errbuf_size);
void esc_eventlog_destroy(esc_eventlog_t *log);

/* The events topic name and its partition count (cached after first call). */
const char *esc_eventlog_topic(esc_eventlog_t *log);
int esc_eventlog_partitions(esc_eventlog_t *log, char *errbuf, size_t errbuf_size);
/* Partition of an incident in esc.events (and esc.commands). */
int32_t esc_eventlog_partition_of(esc_eventlog_t *log, const char *incident_id, char *errbuf,
                                  size_t errbuf_size);

/* Current low/high watermarks of a partition. */
int esc_eventlog_watermarks(esc_eventlog_t *log, int32_t partition, int64_t *low, int64_t *high,
                            char *errbuf, size_t errbuf_size);

/* Reads partition from `start` (an offset, or RD_KAFKA_OFFSET_BEGINNING) up
 * to the high watermark as of the call. key may be NULL (every message).
 * Returns 0 at the end, the callback's non-zero value if it stopped, or -1
 * with errbuf on a broker error. */
int esc_eventlog_scan(esc_eventlog_t *log, int32_t partition, int64_t start, const char *key,
                      esc_eventlog_fn fn, void *opaque, esc_eventlog_stats_t *stats, char *errbuf,
                      size_t errbuf_size);

/* Like scan, but keeps following the partition past its end until the
 * callback returns non-zero or timeout_ms passes. Returns the callback's
 * value, 0 on timeout, -1 on error. */
int esc_eventlog_follow(esc_eventlog_t *log, int32_t partition, int64_t start, const char *key,
                        int timeout_ms, esc_eventlog_fn fn, void *opaque, char *errbuf,
                        size_t errbuf_size);

/* Scans one incident's whole history (its partition, its key). */
int esc_eventlog_incident(esc_eventlog_t *log, const char *incident_id, esc_eventlog_fn fn,
                          void *opaque, esc_eventlog_stats_t *stats, char *errbuf,
                          size_t errbuf_size);

#endif
