/* deadletter.h — nothing undecodable is dropped silently (DESIGN §1).
 *
 * A message a worker cannot decode goes to <prefix>deadletter with its
 * original key and bytes, and headers saying why and where it came from:
 * esc-error, esc-source-topic, esc-source-offset (plus esc-source-partition).
 * Sending waits for the broker's acknowledgement, so a worker only moves
 * past a poison message once it is safely parked. */
#ifndef ESC_DEADLETTER_H
#define ESC_DEADLETTER_H

#include <librdkafka/rdkafka.h>

#include "runtime/config.h"

typedef struct esc_deadletter esc_deadletter_t;

esc_deadletter_t *esc_deadletter_new(const esc_config_t *conf, char *errbuf, size_t errbuf_size);
void esc_deadletter_destroy(esc_deadletter_t *dl);

/* Parks m with the reason `why` (one line). Returns 0 once acknowledged,
 * -1 with errbuf if it could not be delivered (the caller must not skip m). */
int esc_deadletter_send(esc_deadletter_t *dl, const rd_kafka_message_t *m, const char *why,
                        char *errbuf, size_t errbuf_size);

#endif
