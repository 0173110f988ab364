/* submit.h — send one command to esc.commands and wait for the ledger's
 * verdict on esc.events (DESIGN §4: "commands wait for the verdict").
 *
 * The CLI is a request/response client over two logs. Producing is the
 * easy half (durable producer, keyed by incident id, wait for the delivery
 * report). The verdict is found like this:
 *
 *  1. Before producing, note the high watermark H of the incident's events
 *     partition (commands partition p is decided into events partition p).
 *     Everything the ledger writes for our command lands at or after H.
 *  2. After delivery, follow that partition from H and keep the events of
 *     our incident whose command_id is ours.
 *  3. The ledger appends all events of one command in one produce burst,
 *     but the CLI cannot know how many there are. It stops when, after at
 *     least one of ours: (a) an event of the same incident with another
 *     command_id follows (the ledger decides an incident's commands in
 *     order, so ours are complete), or (b) it has read to the partition end
 *     as it stood after our last event and a grace period
 *     (ESC_SUBMIT_GRACE_MS) passed without another of ours.
 *
 * A retried command (same --command-id) is answered from the incident's
 * history (esc_submit_find) without producing again.
 *
 * Single-threaded: one submit handle per CLI invocation. */
#ifndef ESC_SUBMIT_H
#define ESC_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"
#include "runtime/config.h"

#define ESC_SUBMIT_GRACE_MS 400
/* Delivery to the broker must not hang a CLI for librdkafka's default five
 * minutes; an operator can still raise it with kafka.properties. */
#define ESC_SUBMIT_DELIVERY_TIMEOUT_MS 30000

typedef struct esc_submit esc_submit_t;

/* The events one command produced, in log order. */
typedef struct esc_verdict {
        esc_event_t *events;
        int n;
        bool rejected;                /* a CommandRejected is among them */
        const esc_event_t *rejection; /* points into events when rejected */
        bool trimmed;                 /* the partition lost history (low watermark > 0) */
} esc_verdict_t;

void esc_verdict_clear(esc_verdict_t *v);

typedef enum {
        ESC_SUBMIT_OK = 0,    /* verdict in *v (or delivered, with wait_ms < 0) */
        ESC_SUBMIT_NOT_FOUND, /* esc_submit_find: no event with that command id */
        ESC_SUBMIT_TIMEOUT,   /* delivered, but no verdict within wait_ms */
        ESC_SUBMIT_DELIVERY,  /* the broker did not take the command */
        ESC_SUBMIT_ERROR,     /* anything else (encode, broker metadata) */
} esc_submit_rc_t;

esc_submit_t *esc_submit_new(const esc_config_t *conf, char *errbuf, size_t errbuf_size);
void esc_submit_destroy(esc_submit_t *sub);

/* Validates, encodes and produces cmd; then, if wait_ms >= 0, waits up to
 * wait_ms for the verdict (see above). */
esc_submit_rc_t esc_submit_send(esc_submit_t *sub, const esc_command_t *cmd, int wait_ms,
                                esc_verdict_t *v, char *errbuf, size_t errbuf_size);

/* Looks for events of command_id in the incident's history. */
esc_submit_rc_t esc_submit_find(esc_submit_t *sub, const char *incident_id, const char *command_id,
                                esc_verdict_t *v, char *errbuf, size_t errbuf_size);

#endif
