/* cmdout.c — producing commands to esc.commands (see cmdout.h). */
#include <stdlib.h>
#include <string.h>

#include "runtime/cmdout.h"
#include "runtime/kafka.h"

struct esc_cmdout {
        rd_kafka_t *rk;
        rd_kafka_topic_t *rkt;
        esc_cmdout_dr_fn dr;
        void *opaque;
        char topic[256];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        esc_cmdout_t *o = opaque;

        (void)rk;
        if (o->dr)
                o->dr(m->err, m, m->_private, o->opaque);
}

esc_cmdout_t *esc_cmdout_new(const esc_config_t *conf, esc_cmdout_dr_fn dr, void *opaque,
                             int metadata_timeout_ms, char *errbuf, size_t errbuf_size)
{
        esc_cmdout_t *o = esc_xcalloc(1, sizeof(*o));

        o->dr = dr;
        o->opaque = opaque;
        esc_config_topic(conf, "commands", o->topic, sizeof(o->topic));
        if (!(o->rk = esc_kafka_producer_new(conf, on_delivery, o, errbuf, errbuf_size)))
                goto fail;
        if (metadata_timeout_ms > 0 &&
            esc_kafka_partition_count(o->rk, o->topic, metadata_timeout_ms, errbuf, errbuf_size) <=
                    0)
                goto fail;
        if (!(o->rkt = rd_kafka_topic_new(o->rk, o->topic, NULL))) {
                esc_err(errbuf, errbuf_size, "%s: %s", o->topic,
                        rd_kafka_err2str(rd_kafka_last_error()));
                goto fail;
        }
        return o;
fail:
        esc_cmdout_destroy(o, 0);
        return NULL;
}

void esc_cmdout_destroy(esc_cmdout_t *o, int flush_ms)
{
        if (!o)
                return;
        if (o->rk && flush_ms > 0)
                rd_kafka_flush(o->rk, flush_ms);
        if (o->rkt)
                rd_kafka_topic_destroy(o->rkt);
        if (o->rk)
                rd_kafka_destroy(o->rk);
        free(o);
}

int esc_cmdout_send_raw(esc_cmdout_t *o, const void *key, size_t keylen, const void *val,
                        size_t vallen, void *msg_opaque, char *errbuf, size_t errbuf_size)
{
        for (;;) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                        o->rk, RD_KAFKA_V_RKT(o->rkt), RD_KAFKA_V_KEY(key, keylen),
                        RD_KAFKA_V_VALUE((void *)val, vallen),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(msg_opaque),
                        RD_KAFKA_V_END);
                if (!err)
                        return 0;
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        return esc_err(errbuf, errbuf_size, "%s: produce: %s", o->topic,
                                       rd_kafka_err2str(err));
                /* The queue is full: let it drain into the broker. */
                rd_kafka_poll(o->rk, 10);
        }
}

int esc_cmdout_send(esc_cmdout_t *o, esc_codec_t *codec, const esc_command_t *cmd, esc_buf_t *enc,
                    void *msg_opaque, char *errbuf, size_t errbuf_size)
{
        esc_buf_reset(enc);
        if (esc_codec_encode_command(codec, cmd, enc, errbuf, errbuf_size) != ESC_CODEC_OK)
                return 1;
        return esc_cmdout_send_raw(o, cmd->incident_id, strlen(cmd->incident_id), enc->data,
                                   enc->len, msg_opaque, errbuf, errbuf_size);
}

void esc_cmdout_poll(esc_cmdout_t *o, int timeout_ms)
{
        rd_kafka_poll(o->rk, timeout_ms);
}

int esc_cmdout_flush(esc_cmdout_t *o, int timeout_ms)
{
        return rd_kafka_flush(o->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

int esc_cmdout_in_flight(esc_cmdout_t *o)
{
        return rd_kafka_outq_len(o->rk);
}

const char *esc_cmdout_topic(const esc_cmdout_t *o)
{
        return o->topic;
}
