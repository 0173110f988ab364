/* submit.c — one command out to esc.commands, its verdict back from
 * esc.events. The algorithm and why it terminates are in submit.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "runtime/cmdout.h"
#include "runtime/eventlog.h"
#include "runtime/registry.h"
#include "runtime/submit.h"
#include "runtime/sys.h"

struct esc_submit {
        const esc_config_t *conf;
        esc_codec_t *codec;
        esc_eventlog_t *log;
        esc_cmdout_t *out; /* created on first send */
};

void esc_verdict_clear(esc_verdict_t *v)
{
        for (int i = 0; i < v->n; i++)
                esc_event_clear(&v->events[i]);
        free(v->events);
        memset(v, 0, sizeof(*v));
}

static void verdict_add(esc_verdict_t *v, const esc_event_t *ev)
{
        v->events = esc_xrealloc(v->events, (size_t)(v->n + 1) * sizeof(*v->events));
        esc_event_copy(&v->events[v->n++], ev);
        /* the array may have moved: re-point the rejection */
        v->rejection = NULL;
        v->rejected = false;
        for (int i = 0; i < v->n; i++)
                if (v->events[i].type == ESC_EV_COMMAND_REJECTED) {
                        v->rejected = true;
                        v->rejection = &v->events[i];
                }
}

esc_submit_t *esc_submit_new(const esc_config_t *conf, char *errbuf, size_t errbuf_size)
{
        esc_submit_t *sub = esc_xcalloc(1, sizeof(*sub));

        sub->conf = conf;
        sub->codec = esc_codec_new(conf, errbuf, errbuf_size);
        if (!sub->codec)
                goto err;
        sub->log = esc_eventlog_new(conf, sub->codec, errbuf, errbuf_size);
        if (!sub->log)
                goto err;
        return sub;
err:
        esc_submit_destroy(sub);
        return NULL;
}

void esc_submit_destroy(esc_submit_t *sub)
{
        if (!sub)
                return;
        esc_cmdout_destroy(sub->out, 5000);
        esc_eventlog_destroy(sub->log);
        esc_codec_destroy(sub->codec);
        free(sub);
}

/* Delivery report: the message opaque points at the caller's result. */
static void on_delivery(rd_kafka_resp_err_t err, const rd_kafka_message_t *m, void *msg_opaque,
                        void *opaque)
{
        rd_kafka_resp_err_t *res = msg_opaque;

        if (res)
                *res = err;
}

static int producer_up(esc_submit_t *sub, char *errbuf, size_t errbuf_size)
{
        if (!sub->out)
                sub->out = esc_cmdout_new(sub->conf, on_delivery, NULL, 0, errbuf, errbuf_size);
        return sub->out ? 0 : -1;
}

/* ---- following the verdict ----------------------------------------------- */

struct follow_ctx {
        const char *incident_id;
        size_t idlen;
        const char *command_id;
        esc_verdict_t *v;
        int64_t next; /* next offset to read (any key) */
        int ours_this_round;
        bool foreign_after_ours;
        bool stop_at_first; /* phase 1: return as soon as one of ours is seen */
};

static int on_event(const esc_event_t *ev, const rd_kafka_message_t *m, const char *errmsg,
                    void *opaque)
{
        struct follow_ctx *c = opaque;

        c->next = m->offset + 1;
        if (!ev || m->key_len != c->idlen || memcmp(m->key, c->incident_id, c->idlen) != 0)
                return 0; /* another incident, or undecodable: not ours to judge */
        if (ev->command_id && !strcmp(ev->command_id, c->command_id)) {
                verdict_add(c->v, ev);
                c->ours_this_round++;
                return c->stop_at_first ? 1 : 0;
        }
        if (c->v->n > 0) {
                c->foreign_after_ours = true;
                return 2;
        }
        return 0;
}

static esc_submit_rc_t await_verdict(esc_submit_t *sub, int32_t partition, int64_t start,
                                     const char *incident_id, const char *command_id, int wait_ms,
                                     esc_verdict_t *v, char *errbuf, size_t errbuf_size)
{
        struct follow_ctx c = {.incident_id = incident_id,
                               .idlen = strlen(incident_id),
                               .command_id = command_id,
                               .v = v,
                               .next = start,
                               .stop_at_first = true};
        int64_t deadline = esc_mono_us() + (int64_t)wait_ms * 1000;
        int r;

        /* Phase 1: until the first of ours (or the deadline). key NULL so
         * that c.next tracks every offset, not only our incident's. */
        r = esc_eventlog_follow(sub->log, partition, c.next, NULL, wait_ms, on_event, &c, errbuf,
                                errbuf_size);
        if (r < 0)
                return ESC_SUBMIT_ERROR;
        if (v->n == 0)
                return ESC_SUBMIT_TIMEOUT;

        /* Phase 2: the rest of the burst. */
        int rounds = 0;
        c.stop_at_first = false;
        for (;;) {
                int64_t lo, hi;
                c.ours_this_round = 0;
                /* past the deadline: one last short look, then stop */
                if (c.foreign_after_ours || (rounds++ > 0 && esc_mono_us() >= deadline))
                        break;
                int64_t left = (deadline - esc_mono_us()) / 1000;
                int grace = ESC_SUBMIT_GRACE_MS;
                if (left < grace)
                        grace = left > 50 ? (int)left : 50; /* one last look */
                r = esc_eventlog_follow(sub->log, partition, c.next, NULL, grace, on_event, &c,
                                        errbuf, errbuf_size);
                if (r < 0)
                        return ESC_SUBMIT_ERROR;
                if (c.foreign_after_ours)
                        break;
                if (c.ours_this_round > 0)
                        continue;
                if (esc_eventlog_watermarks(sub->log, partition, &lo, &hi, errbuf, errbuf_size))
                        return ESC_SUBMIT_ERROR;
                if (c.next >= hi || esc_mono_us() >= deadline)
                        break;
        }
        return ESC_SUBMIT_OK;
}

esc_submit_rc_t esc_submit_send(esc_submit_t *sub, const esc_command_t *cmd, int wait_ms,
                                esc_verdict_t *v, char *errbuf, size_t errbuf_size)
{
        esc_buf_t buf;
        esc_codec_err_t cerr;
        int32_t partition = -1;
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t res = RD_KAFKA_RESP_ERR__IN_PROGRESS;
        esc_submit_rc_t rc = ESC_SUBMIT_ERROR;

        memset(v, 0, sizeof(*v));
        esc_buf_init(&buf, 4 * ESC_MAX_TEXT + 65536);
        cerr = esc_codec_encode_command(sub->codec, cmd, &buf, errbuf, errbuf_size);
        if (cerr != ESC_CODEC_OK)
                goto out;

        if (wait_ms >= 0) {
                partition =
                        esc_eventlog_partition_of(sub->log, cmd->incident_id, errbuf, errbuf_size);
                if (partition < 0)
                        goto out;
                if (esc_eventlog_watermarks(sub->log, partition, &lo, &hi, errbuf, errbuf_size))
                        goto out;
                v->trimmed = lo > 0;
        }

        if (producer_up(sub, errbuf, errbuf_size))
                goto out;
        if (esc_cmdout_send_raw(sub->out, cmd->incident_id, strlen(cmd->incident_id), buf.data,
                                buf.len, &res, errbuf, errbuf_size)) {
                rc = ESC_SUBMIT_DELIVERY;
                goto out;
        }
        esc_cmdout_flush(sub->out, ESC_SUBMIT_DELIVERY_TIMEOUT_MS);
        if (res == RD_KAFKA_RESP_ERR__IN_PROGRESS) {
                esc_err(errbuf, errbuf_size,
                        "%s: not delivered within %d s (is the broker at "
                        "kafka.bootstrap_servers reachable?)",
                        esc_cmdout_topic(sub->out), ESC_SUBMIT_DELIVERY_TIMEOUT_MS / 1000);
                rc = ESC_SUBMIT_DELIVERY;
                goto out;
        }
        if (res != RD_KAFKA_RESP_ERR_NO_ERROR) {
                esc_err(errbuf, errbuf_size, "%s: delivery failed: %s", esc_cmdout_topic(sub->out),
                        rd_kafka_err2str(res));
                rc = ESC_SUBMIT_DELIVERY;
                goto out;
        }
        if (wait_ms < 0) {
                rc = ESC_SUBMIT_OK;
                goto out;
        }
        rc = await_verdict(sub, partition, hi, cmd->incident_id, cmd->command_id, wait_ms, v,
                           errbuf, errbuf_size);
out:
        esc_buf_free(&buf);
        return rc;
}

struct find_ctx {
        const char *command_id;
        esc_verdict_t *v;
};

static int on_history(const esc_event_t *ev, const rd_kafka_message_t *m, const char *errmsg,
                      void *opaque)
{
        struct find_ctx *c = opaque;

        if (ev && ev->command_id && !strcmp(ev->command_id, c->command_id))
                verdict_add(c->v, ev);
        return 0;
}

esc_submit_rc_t esc_submit_find(esc_submit_t *sub, const char *incident_id, const char *command_id,
                                esc_verdict_t *v, char *errbuf, size_t errbuf_size)
{
        struct find_ctx c = {.command_id = command_id, .v = v};
        esc_eventlog_stats_t stats;

        memset(v, 0, sizeof(*v));
        if (esc_eventlog_incident(sub->log, incident_id, on_history, &c, &stats, errbuf,
                                  errbuf_size) < 0)
                return ESC_SUBMIT_ERROR;
        v->trimmed = stats.low_watermark > 0;
        return v->n > 0 ? ESC_SUBMIT_OK : ESC_SUBMIT_NOT_FOUND;
}
