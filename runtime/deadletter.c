/* deadletter.c — parking undecodable messages with the reason attached. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/deadletter.h"
#include "runtime/kafka.h"
#include "runtime/log.h"
#include "core/util.h"

#define DL_TIMEOUT_MS 30000

struct esc_deadletter {
        rd_kafka_t *rk;
        char topic[256];
        rd_kafka_resp_err_t last_err;
        int pending;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        esc_deadletter_t *dl = opaque;

        dl->last_err = m->err;
        dl->pending--;
}

esc_deadletter_t *esc_deadletter_new(const esc_config_t *conf, char *errbuf, size_t errbuf_size)
{
        esc_deadletter_t *dl = esc_xcalloc(1, sizeof(*dl));

        esc_config_topic(conf, "deadletter", dl->topic, sizeof(dl->topic));
        if (!(dl->rk = esc_kafka_producer_new(conf, dr_cb, dl, errbuf, errbuf_size))) {
                free(dl);
                return NULL;
        }
        return dl;
}

void esc_deadletter_destroy(esc_deadletter_t *dl)
{
        if (!dl)
                return;
        rd_kafka_flush(dl->rk, DL_TIMEOUT_MS);
        rd_kafka_destroy(dl->rk);
        free(dl);
}

int esc_deadletter_send(esc_deadletter_t *dl, const rd_kafka_message_t *m, const char *why,
                        char *errbuf, size_t errbuf_size)
{
        char off[32], part[16];
        const char *src = rd_kafka_topic_name(m->rkt);
        rd_kafka_headers_t *hdrs = rd_kafka_headers_new(4);

        snprintf(off, sizeof(off), "%lld", (long long)m->offset);
        snprintf(part, sizeof(part), "%d", (int)m->partition);
        rd_kafka_header_add(hdrs, "esc-error", -1, why, -1);
        rd_kafka_header_add(hdrs, "esc-source-topic", -1, src, -1);
        rd_kafka_header_add(hdrs, "esc-source-offset", -1, off, -1);
        rd_kafka_header_add(hdrs, "esc-source-partition", -1, part, -1);

        dl->pending = 1;
        dl->last_err = RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_resp_err_t err = rd_kafka_producev(
                dl->rk, RD_KAFKA_V_TOPIC(dl->topic), RD_KAFKA_V_KEY(m->key, m->key_len),
                RD_KAFKA_V_VALUE(m->payload, m->len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (err) {
                rd_kafka_headers_destroy(hdrs); /* not taken on failure */
                return esc_err(errbuf, errbuf_size, "dead-letter %s: %s", dl->topic,
                               rd_kafka_err2str(err));
        }
        rd_kafka_flush(dl->rk, DL_TIMEOUT_MS);
        if (dl->pending > 0 || dl->last_err)
                return esc_err(errbuf, errbuf_size, "dead-letter %s: %s", dl->topic,
                               dl->pending > 0 ? "not acknowledged in time"
                                               : rd_kafka_err2str(dl->last_err));
        esc_log(ESC_LOG_WARN, "deadletter", "message parked",
                "source_topic=%s partition=%d offset=%lld dead_letter_topic=%s", src,
                (int)m->partition, (long long)m->offset, dl->topic);
        return 0;
}
