/* prog_ledger_forge.c — writes a forged event straight to esc.events,
 * bypassing the ledger, as a careful forger would: the next seq, the derived
 * event id, prev_hash linked to the real last event and a correct SHA-256
 * over the forged body; only the command it claims to decide is not one the
 * ledger decided into it. `esc audit verify` must name it.
 *
 *   prog_ledger_forge INCIDENT   prints "forged INCIDENT seq N" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "runtime/eventlog.h"
#include "core/hashchain.h"
#include "runtime/config.h"
#include "runtime/kafka.h"
#include "runtime/registry.h"

static int keep_last(const esc_event_t *ev, const rd_kafka_message_t *m, const char *errmsg,
                     void *opaque)
{
        esc_event_t *last = opaque;

        if (ev && ev->seq > last->seq) {
                esc_event_clear(last);
                esc_event_copy(last, ev);
        }
        return 0;
}

int main(int argc, char **argv)
{
        char err[512];
        esc_event_t last, forged;
        esc_buf_t buf;

        if (argc != 2) {
                fprintf(stderr, "usage: %s INCIDENT\n", argv[0]);
                return 2;
        }
        esc_config_t *conf = esc_config_new_defaults();
        esc_codec_t *codec = esc_codec_new(conf, err, sizeof(err));
        esc_eventlog_t *log = codec ? esc_eventlog_new(conf, codec, err, sizeof(err)) : NULL;
        rd_kafka_t *rk = log ? esc_kafka_producer_new(conf, NULL, NULL, err, sizeof(err)) : NULL;
        if (!rk) {
                fprintf(stderr, "forge: %s\n", err);
                return 1;
        }
        esc_event_init(&last, ESC_EV_ESCALATION_OPENED);
        if (esc_eventlog_incident(log, argv[1], keep_last, &last, NULL, err, sizeof(err)) < 0 ||
            last.seq == 0) {
                fprintf(stderr, "forge: no history for %s %s\n", argv[1], err);
                return 1;
        }

        char id[37];
        esc_event_init(&forged, ESC_EV_CUSTOMER_UPDATE_POSTED);
        forged.incident_id = esc_strdup(last.incident_id);
        forged.seq = last.seq + 1;
        esc_hash_event_id(forged.incident_id, forged.seq, id);
        forged.event_id = esc_strdup(id);
        forged.occurred_at = last.occurred_at + 60 * ESC_USEC_PER_SEC;
        forged.recorded_at = last.recorded_at + 60 * ESC_USEC_PER_SEC;
        forged.actor = esc_strdup(last.actor);
        forged.command_id = esc_strdup("forged-command");
        forged.command_partition = last.command_partition;
        forged.command_offset = last.command_offset; /* points at a real, other command */
        forged.policy_version = esc_strdup(last.policy_version);
        forged.p.update_posted.by = esc_strdup(last.actor);
        forged.p.update_posted.body = esc_strdup("All fixed, nothing to see here");
        forged.p.update_posted.audience = ESC_AUDIENCE_EXTERNAL;
        memcpy(forged.prev_hash, last.hash, ESC_HASH_LEN);
        esc_buf_init(&buf, 1 << 20);
        if (esc_hash_seal(codec, &forged, err, sizeof(err)) ||
            esc_codec_encode_event(codec, &forged, &buf, err, sizeof(err))) {
                fprintf(stderr, "forge: %s\n", err);
                return 1;
        }
        int32_t p = esc_eventlog_partition_of(log, forged.incident_id, err, sizeof(err));
        if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(esc_eventlog_topic(log)),
                              RD_KAFKA_V_PARTITION(p),
                              RD_KAFKA_V_KEY(forged.incident_id, strlen(forged.incident_id)),
                              RD_KAFKA_V_VALUE(buf.data, buf.len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) ||
            rd_kafka_flush(rk, 30000)) {
                fprintf(stderr, "forge: produce failed\n");
                return 1;
        }
        printf("forged %s seq %lld\n", forged.incident_id, (long long)forged.seq);
        esc_event_clear(&forged);
        esc_event_clear(&last);
        esc_buf_free(&buf);
        rd_kafka_destroy(rk);
        esc_eventlog_destroy(log);
        esc_codec_destroy(codec);
        esc_config_destroy(conf);
        return 0;
}
