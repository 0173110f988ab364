/* cmdout.h — the one way esc puts a command on esc.commands: the CLI
 * (submit), NDJSON ingest, the webhook, the timers and the actions worker
 * all produce through it.
 *
 * A command is keyed by its incident id (murmur2_random, so Java and C
 * producers place it on the same partition, DESIGN §1), encoded with the
 * caller's codec and queued on a durable producer (runtime/kafka.h). When
 * librdkafka's queue is full the send serves delivery reports and waits for
 * room instead of failing, so bulk producers never drop a line.
 *
 * Threading: esc_cmdout_send/_send_raw may be called from several threads
 * at once (librdkafka's produce is thread-safe); each thread passes its own
 * codec and encode buffer. Delivery reports run wherever the handle is
 * polled: in esc_cmdout_send on a full queue, esc_cmdout_poll and
 * esc_cmdout_flush. */
#ifndef ESC_CMDOUT_H
#define ESC_CMDOUT_H

#include <librdkafka/rdkafka.h>

#include "core/codec.h"
#include "core/model.h"
#include "core/util.h"
#include "runtime/config.h"

typedef struct esc_cmdout esc_cmdout_t;

/* Delivery report for one command: msg_opaque as given to the send,
 * err == RD_KAFKA_RESP_ERR_NO_ERROR once the broker has it. */
typedef void (*esc_cmdout_dr_fn)(rd_kafka_resp_err_t err, const rd_kafka_message_t *m,
                                 void *msg_opaque, void *opaque);

/* Creates the producer and the topic handle for conf's commands topic.
 * dr (may be NULL) runs for every delivered or failed command with opaque.
 * If metadata_timeout_ms > 0 the topic must exist within it (fail fast on an
 * unreachable broker instead of waiting out message.timeout.ms per command).
 * Returns NULL with errbuf naming the topic and what is wrong. */
esc_cmdout_t *esc_cmdout_new(const esc_config_t *conf, esc_cmdout_dr_fn dr, void *opaque,
                             int metadata_timeout_ms, char *errbuf, size_t errbuf_size);
/* Flushes for at most flush_ms, then destroys. NULL is a no-op. */
void esc_cmdout_destroy(esc_cmdout_t *o, int flush_ms);

/* Encodes cmd into enc (reset first) with codec and queues it keyed by its
 * incident id. Returns 0; 1 with errbuf when cmd is not encodable (it never
 * will be); -1 with errbuf when librdkafka refused it for a reason other
 * than a full queue (it may be taken later). */
int esc_cmdout_send(esc_cmdout_t *o, esc_codec_t *codec, const esc_command_t *cmd, esc_buf_t *enc,
                    void *msg_opaque, char *errbuf, size_t errbuf_size);
/* Queues an already encoded command (value copied). Returns 0 or -1 as
 * above. */
int esc_cmdout_send_raw(esc_cmdout_t *o, const void *key, size_t keylen, const void *val,
                        size_t vallen, void *msg_opaque, char *errbuf, size_t errbuf_size);

/* Serves delivery reports for up to timeout_ms. */
void esc_cmdout_poll(esc_cmdout_t *o, int timeout_ms);
/* Waits up to timeout_ms for everything queued. Returns 0 when nothing is
 * left in flight, -1 otherwise. */
int esc_cmdout_flush(esc_cmdout_t *o, int timeout_ms);
/* Messages queued or in flight. */
int esc_cmdout_in_flight(esc_cmdout_t *o);
/* The full topic name ("esc.commands"). */
const char *esc_cmdout_topic(const esc_cmdout_t *o);

#endif
