/* worker.c — `esc worker sla [--rebuild [--exit]]`: esc.events into the
 * PostgreSQL schema `esc` for analysts (DESIGN §6), exactly once (§1).
 *
 * Live: the shared worker loop (runtime/worker.h) hands batches to
 * sla_batch, which decodes them and lets the store apply each as one
 * transaction with its offsets; on assignment the offsets come from
 * esc.projection_offsets, never from the consumer group. PostgreSQL being
 * away makes a batch RETRY (the runtime rewinds and backs off); a stored
 * position behind the batch (a rebuild was swapped in under us) restarts
 * the loop so on_assign seeks to it.
 *
 * Rebuild: an assign-only consumer reads every partition from the start
 * into schema esc_rebuild while `esc` keeps serving, then one transaction
 * swaps it in; the live loop follows (unless --exit). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/codec.h"
#include "projections/sla/sla.h"
#include "projections/sla/store.h"
#include "runtime/deadletter.h"
#include "runtime/kafka.h"
#include "runtime/log.h"
#include "runtime/registry.h"
#include "runtime/signals.h"
#include "runtime/sys.h"
#include "runtime/worker_main.h"

#define SLA_PROJECTION "sla"
#define SLA_LIVE_SCHEMA "esc"
#define SLA_REBUILD_SCHEMA "esc_rebuild"
#define SLA_BATCH_CAP 200000
#define SLA_SESSIONS_CAP 32

typedef struct sla_ctx {
        esc_cli_t *cli;
        const esc_config_t *conf;
        const char *pg_url;
        char topic[256];
        char group[256];
        int batch_max, batch_ms;
        int rebuild_batch_max; /* events per rebuild transaction */
        int rebuild_sessions;  /* PostgreSQL sessions a rebuild writes over */
        esc_codec_t *codec;
        esc_deadletter_t *dl;
        esc_sla_store_t *store;
        rd_kafka_t *rk;   /* the consumer in use, for watermarks */
        esc_event_t *evs; /* batch_max decoded events */
        esc_sla_input_t *in;
        bool resync; /* restart the live loop: re-read offsets */
} sla_ctx_t;

static void usage(FILE *out)
{
        fprintf(out,
                "usage: esc worker sla [--rebuild [--exit]] [--group G] [--batch-max N] "
                "[--batch-ms MS]\n"
                "\n"
                "Projects esc.events into PostgreSQL (schema esc: incidents, events,\n"
                "severity_changes, customer_updates, sla_breaches, reviews,\n"
                "corrective_actions, rejections and the analysts' views; role esc_analyst).\n"
                "Applies the SQL migrations at start. Exactly once: offsets live in\n"
                "esc.projection_offsets, in the same transaction as the rows.\n"
                "\n"
                "  --rebuild       rebuild from offset 0 into schema esc_rebuild while esc keeps\n"
                "                  serving, then swap it in (progress on a terminal), then go on "
                "live\n"
                "  --exit          with --rebuild: exit after the swap\n"
                "  --group G       consumer group (default <topic prefix>sla, e.g. esc.sla); the\n"
                "                  group only spreads partitions: positions live in PostgreSQL\n"
                "  --batch-max N   events per transaction (default 5000; config sla.batch_max)\n"
                "  --batch-ms MS   longest wait to fill a batch (default 5; config sla.batch_ms)\n"
                "                  (a rebuild uses batches of up to sla.rebuild_batch_max, "
                "default\n"
                "                  50000, over sla.rebuild_sessions PostgreSQL sessions, default "
                "2)\n"
                "\n"
                "PostgreSQL: postgres.url (env ESC_PG_URL, --pg). Docs: docs/analytics.md.\n");
}

static void sleep_ms(int ms)
{
        while (ms > 0 && !esc_signals_stop_requested()) {
                int step = ms > 100 ? 100 : ms;
                usleep((useconds_t)step * 1000);
                ms -= step;
        }
}

static int64_t low_watermark(void *opaque, int32_t partition)
{
        sla_ctx_t *ctx = opaque;
        int64_t lo = -1, hi = -1;

        if (!ctx->rk ||
            rd_kafka_query_watermark_offsets(ctx->rk, ctx->topic, partition, &lo, &hi, 5000))
                return -1;
        return lo;
}

/* Decodes msgs into ctx->in; undecodable ones go to the dead-letter topic
 * (and project nothing). Returns 0, or -1 if a dead letter could not be
 * delivered (the batch must be retried: nothing is skipped silently). */
static int decode_batch(sla_ctx_t *ctx, rd_kafka_message_t **msgs, size_t cnt, esc_event_t *evs,
                        esc_sla_input_t *in)
{
        char err[512];

        for (size_t i = 0; i < cnt; i++) {
                esc_event_t *ev = &evs[i];
                char why[512];

                esc_event_init(ev, ESC_EV_ESCALATION_OPENED);
                in[i].partition = msgs[i]->partition;
                in[i].offset = msgs[i]->offset;
                in[i].ev = ev;
                if (esc_codec_decode_event(ctx->codec, msgs[i]->payload, msgs[i]->len, ev, why,
                                           sizeof(why)) == ESC_CODEC_OK)
                        continue;
                in[i].ev = NULL;
                esc_log(ESC_LOG_WARN, "sla", "undecodable event, dead-lettered",
                        "partition=%" PRId32 " offset=%" PRId64 " error=\"%s\"", msgs[i]->partition,
                        msgs[i]->offset, why);
                if (!ctx->dl && !(ctx->dl = esc_deadletter_new(ctx->conf, err, sizeof(err)))) {
                        esc_log(ESC_LOG_ERROR, "sla", "no dead-letter producer", "error=\"%s\"",
                                err);
                        return -1;
                }
                if (esc_deadletter_send(ctx->dl, msgs[i], why, err, sizeof(err))) {
                        esc_log(ESC_LOG_ERROR, "sla", "dead letter not delivered", "error=\"%s\"",
                                err);
                        return -1;
                }
        }
        return 0;
}

static void clear_batch(esc_event_t *evs, size_t cnt)
{
        for (size_t i = 0; i < cnt; i++)
                esc_event_clear(&evs[i]);
}

/* ---- live ------------------------------------------------------------------------- */

static int sla_assign(esc_worker_t *w, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        sla_ctx_t *ctx = opaque;
        int32_t *ps = esc_xcalloc((size_t)parts->cnt + 1, sizeof(int32_t));
        int64_t *next = esc_xcalloc((size_t)parts->cnt + 1, sizeof(int64_t));
        char err[512];
        int backoff = 200, rc = -1;

        for (int i = 0; i < parts->cnt; i++)
                ps[i] = parts->elems[i].partition;
        ctx->rk = esc_worker_consumer(w);
        /* A worker that cannot learn its position must not guess one: wait
         * for PostgreSQL (retrying), or give up on a stop request. */
        for (;;) {
                esc_sla_rc_t r = esc_sla_store_offsets(ctx->store, ps, parts->cnt, 0, next, err,
                                                       sizeof(err));
                if (r == ESC_SLA_OK) {
                        for (int i = 0; i < parts->cnt; i++)
                                parts->elems[i].offset = next[i];
                        rc = 0;
                        break;
                }
                esc_log(ESC_LOG_WARN, "sla", "cannot read stored offsets",
                        "error=\"%s\" backoff_ms=%d", err, backoff);
                if (r == ESC_SLA_FATAL || esc_signals_stop_requested())
                        break;
                sleep_ms(backoff);
                backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
        }
        free(ps);
        free(next);
        return rc;
}

static int sla_batch(esc_worker_t *w, rd_kafka_message_t **msgs, size_t cnt,
                     esc_worker_msg_status_t *status, void *opaque)
{
        sla_ctx_t *ctx = opaque;
        char err[1024];
        int32_t part = -1;
        esc_sla_rc_t rc;
        int ret = 0;

        ctx->rk = esc_worker_consumer(w);
        if (esc_log_get_level() == ESC_LOG_DEBUG) {
                /* How old the batch is on arrival (producer timestamps):
                 * tells Kafka-side delay from our own. */
                int64_t oldest = rd_kafka_message_timestamp(msgs[0], NULL);
                for (size_t i = 1; i < cnt; i++) {
                        int64_t ts = rd_kafka_message_timestamp(msgs[i], NULL);
                        if (ts >= 0 && (oldest < 0 || ts < oldest))
                                oldest = ts;
                }
                if (oldest >= 0)
                        esc_log(ESC_LOG_DEBUG, "sla", "batch received",
                                "messages=%zu oldest_age_ms=%" PRId64, cnt,
                                esc_now() / 1000 - oldest);
        }
        if (decode_batch(ctx, msgs, cnt, ctx->evs, ctx->in)) {
                rc = ESC_SLA_RETRY;
        } else {
                rc = esc_sla_store_apply(ctx->store, ctx->in, cnt, &part, err, sizeof(err));
        }
        clear_batch(ctx->evs, cnt);
        switch (rc) {
        case ESC_SLA_OK:
                break;
        case ESC_SLA_RETRY:
                for (size_t i = 0; i < cnt; i++)
                        status[i] = ESC_WORKER_MSG_RETRY;
                break;
        case ESC_SLA_RESYNC:
                esc_log(ESC_LOG_WARN, "sla", "stored offsets moved, re-seeking",
                        "partition=%" PRId32 " detail=\"%s\"", part, err);
                for (size_t i = 0; i < cnt; i++)
                        status[i] = ESC_WORKER_MSG_RETRY;
                ctx->resync = true;
                ret = -1;
                break;
        default:
                esc_log(ESC_LOG_ERROR, "sla", "batch cannot be applied", "error=\"%s\"", err);
                for (size_t i = 0; i < cnt; i++)
                        status[i] = ESC_WORKER_MSG_FAIL;
                break;
        }
        return ret;
}

/* ---- rebuild --------------------------------------------------------------------- */

typedef struct rebuild_part {
        int32_t partition;
        int64_t low, high, next;
} rebuild_part_t;

static void progress(bool tty, int64_t done, int64_t total, int64_t t0, bool final)
{
        double secs = (double)(esc_mono_us() - t0) / 1e6;
        double rate = secs > 0 ? (double)done / secs : 0;
        double pct = total > 0 ? 100.0 * (double)done / (double)total : 100.0;
        double eta = rate > 0 && total > done ? (double)(total - done) / rate : 0;

        if (tty) {
                fprintf(stderr,
                        "\rrebuild: %" PRId64 "/%" PRId64
                        " events (%5.1f%%)  %8.0f events/s  ETA %3d:%02d ",
                        done, total, pct > 100 ? 100.0 : pct, rate, (int)eta / 60, (int)eta % 60);
                if (final)
                        fputc('\n', stderr);
        } else {
                esc_log(ESC_LOG_INFO, "sla", final ? "rebuild read everything" : "rebuild progress",
                        "events=%" PRId64 " total=%" PRId64
                        " percent=%.1f events_per_s=%.0f eta_s=%.0f",
                        done, total, pct, rate, eta);
        }
}

/* Applies one decoded batch, retrying transient failures until it sticks. */
static int rebuild_apply(esc_sla_store_t *st, const esc_sla_input_t *in, size_t cnt)
{
        char err[1024];
        int32_t part;
        int backoff = 200;

        for (;;) {
                esc_sla_rc_t rc = esc_sla_store_apply(st, in, cnt, &part, err, sizeof(err));
                if (rc == ESC_SLA_OK)
                        return 0;
                if (rc != ESC_SLA_RETRY) {
                        esc_log(ESC_LOG_ERROR, "sla", "rebuild batch failed", "error=\"%s\"", err);
                        return -1;
                }
                if (esc_signals_stop_requested())
                        return -1;
                sleep_ms(backoff);
                backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
        }
}

/* The rebuild writes over several PostgreSQL sessions at once, one per
 * lane: partition p goes to lane p % lanes. The key is the incident id, so
 * partitions are disjoint sets of incidents and two lanes never write the
 * same row; each lane's transactions carry the offsets of the partitions
 * they wrote, so exactly-once holds per partition as for the live worker.
 * The calling thread reads and decodes for every lane; each lane's writer
 * thread drains two alternating buffers, applying one while the reader
 * fills the other, so Kafka, Avro and the sessions work at the same time.
 * The reader alone touches the consumer, the codec and the dead-letter
 * producer; a writer only its lane's store. */
typedef struct rb_buf {
        rd_kafka_message_t **msgs;
        esc_event_t *evs;
        esc_sla_input_t *in;
        size_t cnt;
        int64_t advance; /* offsets this batch moves the partitions forward */
        int64_t started; /* when the reader put the first message in */
        int decode_rc;
        bool ready; /* filled, waiting for the writer */
} rb_buf_t;

typedef struct rb_reader rb_reader_t;

typedef struct rb_lane {
        rb_reader_t *r;
        esc_sla_store_t *st;
        rb_buf_t buf[2];
        int fill;          /* the buffer the reader fills next (reader's) */
        rb_buf_t *filling; /* buf[fill] once the writer gave it up (reader's) */
        pthread_t th;
        bool started; /* th runs */
        int64_t done; /* events written (under r->mu) */
} rb_lane_t;

struct rb_reader {
        sla_ctx_t *ctx;
        rd_kafka_t *rk;
        rebuild_part_t *parts;
        int nparts;
        int remaining; /* partitions not read to their end yet (reader's) */
        size_t max;    /* events per batch */
        rb_lane_t *lanes;
        int nlanes;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        bool finished; /* the reader will fill nothing more */
        bool abort;    /* a writer gave up, or a stop request */
};

static void rb_release(rb_buf_t *b)
{
        for (size_t i = 0; i < b->cnt; i++)
                rd_kafka_message_destroy(b->msgs[i]);
        clear_batch(b->evs, b->cnt);
        b->cnt = 0;
        b->advance = 0;
}

/* Gives the rebuild up: the reader stops reading, the writers writing. */
static void rb_abandon(rb_reader_t *r)
{
        pthread_mutex_lock(&r->mu);
        r->abort = true;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
}

/* A lane's writer thread: applies its buffers in the order they were filled. */
static void *rb_write(void *arg)
{
        rb_lane_t *l = arg;
        rb_reader_t *r = l->r;

        for (int cur = 0;; cur ^= 1) {
                rb_buf_t *b = &l->buf[cur];
                int64_t advance;
                bool go;

                pthread_mutex_lock(&r->mu);
                while (!b->ready && !r->finished && !r->abort)
                        pthread_cond_wait(&r->cv, &r->mu);
                go = b->ready && !r->abort;
                pthread_mutex_unlock(&r->mu);
                if (!go)
                        break; /* finished, and nothing left in hand */
                if (b->decode_rc || rebuild_apply(l->st, b->in, b->cnt) != 0) {
                        rb_abandon(r);
                        break;
                }
                advance = b->advance;
                rb_release(b);
                pthread_mutex_lock(&r->mu);
                l->done += advance;
                b->ready = false;
                pthread_cond_broadcast(&r->cv);
                pthread_mutex_unlock(&r->mu);
        }
        return NULL;
}

/* The buffer the reader fills for lane l, waiting for its writer to be
 * done with it; NULL if the rebuild was abandoned meanwhile. */
static rb_buf_t *rb_fill_buf(rb_lane_t *l)
{
        rb_reader_t *r = l->r;
        rb_buf_t *b = &l->buf[l->fill];
        bool abort;

        if (l->filling)
                return l->filling;
        pthread_mutex_lock(&r->mu);
        while (b->ready && !r->abort)
                pthread_cond_wait(&r->cv, &r->mu);
        abort = r->abort;
        pthread_mutex_unlock(&r->mu);
        if (abort)
                return NULL;
        b->started = esc_mono_us();
        return l->filling = b;
}

/* Decodes what lane l's buffer in filling holds and hands it to the writer. */
static void rb_hand_off(rb_lane_t *l)
{
        rb_reader_t *r = l->r;
        rb_buf_t *b = l->filling;

        if (!b)
                return;
        b->decode_rc = decode_batch(r->ctx, b->msgs, b->cnt, b->evs, b->in);
        pthread_mutex_lock(&r->mu);
        b->ready = true;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        l->filling = NULL;
        l->fill ^= 1;
}

static int64_t rb_done(rb_reader_t *r)
{
        int64_t done = 0;

        pthread_mutex_lock(&r->mu);
        for (int i = 0; i < r->nlanes; i++)
                done += r->lanes[i].done;
        pthread_mutex_unlock(&r->mu);
        return done;
}

/* Files m into its lane's buffer; a full one, or one filling for longer
 * than half a second, goes to the writer. Returns -1 if abandoned. */
static int rb_add(rb_reader_t *r, rd_kafka_message_t *m)
{
        rb_lane_t *l = &r->lanes[(m->partition < 0 ? 0 : m->partition) % r->nlanes];
        rb_buf_t *b = rb_fill_buf(l);
        rebuild_part_t *p;

        if (!b) {
                rd_kafka_message_destroy(m);
                return -1;
        }
        if (m->partition >= 0 && m->partition < r->nparts) {
                p = &r->parts[m->partition];
                if (p->next < p->high && m->offset + 1 >= p->high)
                        r->remaining--;
                if (m->offset + 1 > p->next) {
                        b->advance += m->offset + 1 - p->next;
                        p->next = m->offset + 1;
                }
        }
        b->msgs[b->cnt++] = m;
        if (b->cnt == r->max || esc_mono_us() - b->started > 500000)
                rb_hand_off(l);
        return 0;
}

/* Reads until the end offsets, feeding the lanes' writers. Stops early on
 * a stop request (abandoning the rebuild) or when a writer gave up. */
static void rb_read(rb_reader_t *r, int64_t total, bool tty, int64_t t0)
{
        int64_t last_report = esc_mono_us();

        while (r->remaining > 0 && !esc_signals_stop_requested()) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, 50);

                if (!m) {
                        /* Nothing more in hand: let the writers have what
                         * is there rather than wait for more. */
                        for (int i = 0; i < r->nlanes; i++)
                                rb_hand_off(&r->lanes[i]);
                } else if (m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                esc_log(ESC_LOG_WARN, "sla", "rebuild consumer error",
                                        "error=\"%s\"", rd_kafka_message_errstr(m));
                        rd_kafka_message_destroy(m);
                } else if (rb_add(r, m) != 0) {
                        break;
                }
                if (esc_mono_us() - last_report > (tty ? 500000 : 5000000)) {
                        progress(tty, rb_done(r), total, t0, false);
                        last_report = esc_mono_us();
                }
        }
        for (int i = 0; i < r->nlanes; i++)
                rb_hand_off(&r->lanes[i]);
        if (r->remaining > 0)
                rb_abandon(r); /* what was read is not all there is: not swapped in */
}

/* Lets the writers finish what they hold and waits for them; returns the
 * events written, or -1 if the rebuild was abandoned. */
static int64_t rb_lanes_join(rb_reader_t *r)
{
        bool abort;

        pthread_mutex_lock(&r->mu);
        r->finished = true;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        for (int i = 0; i < r->nlanes; i++)
                if (r->lanes[i].started)
                        pthread_join(r->lanes[i].th, NULL);
        pthread_mutex_lock(&r->mu);
        abort = r->abort;
        pthread_mutex_unlock(&r->mu);
        return abort ? -1 : rb_done(r);
}

/* One session of its own for the schema work around the load. */
static PGconn *rb_connect(sla_ctx_t *ctx, char *err, size_t err_size)
{
        PGconn *c = PQconnectdb(ctx->pg_url);

        if (PQstatus(c) != CONNECTION_OK) {
                esc_err(err, err_size, "connecting to PostgreSQL: %s", PQerrorMessage(c));
                PQfinish(c);
                return NULL;
        }
        PQclear(PQexec(c, "SET client_min_messages = warning"));
        return c;
}

/* A fresh esc_rebuild, its events key dropped for the load (*restore adds
 * it back). A leftover esc_rebuild (an interrupted rebuild) is dropped: the
 * rebuild always starts from nothing. */
static int rb_prepare(sla_ctx_t *ctx, char **restore, char *err, size_t err_size)
{
        PGconn *c = rb_connect(ctx, err, err_size);
        int rc;

        if (!c)
                return -1;
        rc = esc_sla_drop_schema(c, SLA_REBUILD_SCHEMA, err, err_size) ||
             esc_sla_migrate(c, SLA_REBUILD_SCHEMA, err, err_size) ||
             esc_sla_events_key_drop(c, SLA_REBUILD_SCHEMA, restore, err, err_size);
        PQfinish(c);
        return rc ? -1 : 0;
}

/* The events key back, then esc_rebuild swapped in for esc. */
static int rb_finish(sla_ctx_t *ctx, const char *restore, char *err, size_t err_size)
{
        PGconn *c = rb_connect(ctx, err, err_size);
        int rc;

        if (!c)
                return -1;
        rc = esc_sla_events_key_restore(c, SLA_REBUILD_SCHEMA, restore, err, err_size) ||
             esc_sla_swap(c, SLA_REBUILD_SCHEMA, SLA_LIVE_SCHEMA, err, err_size);
        PQfinish(c);
        return rc ? -1 : 0;
}

/* Every partition's watermarks into parts[], the non-empty ones into
 * assign from their start; returns how many there are, or -1. */
static int rb_watermarks(sla_ctx_t *ctx, rd_kafka_t *rk, rebuild_part_t *parts, int nparts,
                         rd_kafka_topic_partition_list_t *assign, int64_t *total)
{
        int remaining = 0;

        for (int p = 0; p < nparts; p++) {
                rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
                        rk, ctx->topic, p, &parts[p].low, &parts[p].high, 10000);
                if (e) {
                        esc_log(ESC_LOG_ERROR, "sla", "rebuild: watermarks",
                                "topic=%s partition=%d error=\"%s\"", ctx->topic, p,
                                rd_kafka_err2str(e));
                        return -1;
                }
                parts[p].partition = p;
                parts[p].next = parts[p].low;
                *total += parts[p].high - parts[p].low;
                if (parts[p].low > 0)
                        esc_log(ESC_LOG_WARN, "sla",
                                "history lost in Kafka: rebuilding from the low watermark",
                                "partition=%d low_watermark=%" PRId64, p, parts[p].low);
                if (parts[p].high > parts[p].low) {
                        rd_kafka_topic_partition_list_add(assign, ctx->topic, p)->offset =
                                parts[p].low;
                        remaining++;
                }
        }
        return remaining;
}

/* Creates every partition's offsets row at 0 (where the log begins). */
static int rb_init_offsets(esc_sla_store_t *st, int nparts)
{
        int32_t *ps = esc_xcalloc((size_t)nparts, sizeof(int32_t));
        int64_t *next = esc_xcalloc((size_t)nparts, sizeof(int64_t));
        char err[1024];
        esc_sla_rc_t r;

        for (int p = 0; p < nparts; p++)
                ps[p] = p;
        r = esc_sla_store_offsets(st, ps, nparts, 0, next, err, sizeof(err));
        free(ps);
        free(next);
        if (r != ESC_SLA_OK)
                esc_log(ESC_LOG_ERROR, "sla", "rebuild: offsets", "error=\"%s\"", err);
        return r == ESC_SLA_OK ? 0 : -1;
}

static int rb_lanes_new(rb_reader_t *r, sla_ctx_t *ctx, int nlanes)
{
        char err[512];

        r->nlanes = nlanes;
        r->lanes = esc_xcalloc((size_t)nlanes, sizeof(rb_lane_t));
        for (int i = 0; i < nlanes; i++) {
                rb_lane_t *l = &r->lanes[i];

                l->r = r;
                l->st = esc_sla_store_new(ctx->pg_url, SLA_REBUILD_SCHEMA, SLA_PROJECTION,
                                          ctx->topic, low_watermark, ctx, err, sizeof(err));
                if (!l->st) {
                        esc_log(ESC_LOG_ERROR, "sla", "rebuild store", "error=\"%s\"", err);
                        return -1;
                }
                for (int k = 0; k < 2; k++) {
                        l->buf[k].msgs = esc_xcalloc(r->max, sizeof(*l->buf[k].msgs));
                        l->buf[k].evs = esc_xcalloc(r->max, sizeof(esc_event_t));
                        l->buf[k].in = esc_xcalloc(r->max, sizeof(esc_sla_input_t));
                }
        }
        return 0;
}

/* Starts the lanes' writers. A lane that cannot start makes the rebuild
 * abandon: those started see abort and end. */
static int rb_lanes_start(rb_reader_t *r)
{
        for (int i = 0; i < r->nlanes; i++) {
                rb_lane_t *l = &r->lanes[i];

                if (pthread_create(&l->th, NULL, rb_write, l) != 0) {
                        esc_log(ESC_LOG_ERROR, "sla", "rebuild: cannot start a writer thread",
                                NULL);
                        rb_abandon(r);
                        return -1;
                }
                l->started = true;
        }
        return 0;
}

static void rb_lanes_free(rb_reader_t *r)
{
        for (int i = 0; r->lanes && i < r->nlanes; i++) {
                rb_lane_t *l = &r->lanes[i];

                for (int k = 0; k < 2; k++) {
                        if (l->buf[k].msgs)
                                rb_release(&l->buf[k]);
                        free(l->buf[k].msgs);
                        free(l->buf[k].evs);
                        free(l->buf[k].in);
                }
                esc_sla_store_destroy(l->st);
        }
        free(r->lanes);
}

static int run_rebuild(sla_ctx_t *ctx)
{
        char err[1024], *restore = NULL;
        rd_kafka_t *rk = NULL;
        rd_kafka_topic_partition_list_t *assign = NULL;
        rb_reader_t r = {.ctx = ctx, .max = (size_t)ctx->rebuild_batch_max};
        int nparts, nlanes, rc = -1;
        int64_t total = 0, done = -1, t0 = esc_mono_us();
        bool tty = isatty(STDERR_FILENO);

        pthread_mutex_init(&r.mu, NULL);
        pthread_cond_init(&r.cv, NULL);
        if (!(rk = esc_kafka_consumer_new(ctx->conf, NULL, err, sizeof(err)))) {
                esc_log(ESC_LOG_ERROR, "sla", "rebuild consumer", "error=\"%s\"", err);
                goto out;
        }
        ctx->rk = r.rk = rk;
        if ((nparts = esc_kafka_partition_count(rk, ctx->topic, 10000, err, sizeof(err))) < 1) {
                esc_log(ESC_LOG_ERROR, "sla", "rebuild: no partitions", "topic=%s error=\"%s\"",
                        ctx->topic, err);
                goto out;
        }
        if (rb_prepare(ctx, &restore, err, sizeof(err))) {
                esc_log(ESC_LOG_ERROR, "sla", "rebuild: preparing esc_rebuild", "error=\"%s\"",
                        err);
                goto out;
        }
        r.nparts = nparts;
        r.parts = esc_xcalloc((size_t)nparts, sizeof(*r.parts));
        assign = rd_kafka_topic_partition_list_new(nparts);
        nlanes = nparts < ctx->rebuild_sessions ? nparts : ctx->rebuild_sessions;
        if ((r.remaining = rb_watermarks(ctx, rk, r.parts, nparts, assign, &total)) < 0 ||
            rb_lanes_new(&r, ctx, nlanes) || rb_init_offsets(r.lanes[0].st, nparts))
                goto out;
        esc_log(ESC_LOG_INFO, "sla", "rebuild started",
                "schema=%s topic=%s partitions=%d sessions=%d events=%" PRId64, SLA_REBUILD_SCHEMA,
                ctx->topic, nparts, r.nlanes, total);
        if (assign->cnt > 0 && rd_kafka_assign(rk, assign)) {
                esc_log(ESC_LOG_ERROR, "sla", "rebuild: assign failed", NULL);
                goto out;
        }
        t0 = esc_mono_us();
        if (rb_lanes_start(&r) == 0)
                rb_read(&r, total, tty, t0);
        if ((done = rb_lanes_join(&r)) < 0) {
                if (esc_signals_stop_requested())
                        esc_log(ESC_LOG_INFO, "sla", "rebuild interrupted; esc left as it was",
                                NULL);
                goto out;
        }
        progress(tty, done, total, t0, true);
        if (rb_finish(ctx, restore, err, sizeof(err))) {
                esc_log(ESC_LOG_ERROR, "sla", "rebuild: swap failed", "error=\"%s\"", err);
                goto out;
        }
        esc_log(ESC_LOG_INFO, "sla", "rebuild swapped in",
                "schema=%s events=%" PRId64 " seconds=%.1f", SLA_LIVE_SCHEMA, done,
                (double)(esc_mono_us() - t0) / 1e6);
        rc = 0;
out:
        rb_lanes_free(&r);
        free(r.parts);
        free(restore);
        if (assign)
                rd_kafka_topic_partition_list_destroy(assign);
        pthread_cond_destroy(&r.cv);
        pthread_mutex_destroy(&r.mu);
        ctx->rk = NULL;
        if (rk) {
                rd_kafka_consumer_close(rk);
                rd_kafka_destroy(rk);
        }
        return rc;
}

/* ---- main ------------------------------------------------------------------------- */

/* Migrates schema esc, waiting for PostgreSQL if it is not up yet. */
static int migrate_live(sla_ctx_t *ctx)
{
        char err[1024];
        int backoff = 200;

        while (!esc_signals_stop_requested()) {
                PGconn *c = PQconnectdb(ctx->pg_url);
                if (PQstatus(c) == CONNECTION_OK) {
                        int rc;
                        PQclear(PQexec(c, "SET client_min_messages = warning"));
                        rc = esc_sla_migrate(c, SLA_LIVE_SCHEMA, err, sizeof(err));
                        PQfinish(c);
                        if (rc == 0)
                                return 0;
                        esc_cli_fail(ESC_EXIT_RUNTIME, "worker sla", "%s", err);
                        return -1;
                }
                esc_log(ESC_LOG_WARN, "sla", "PostgreSQL not reachable, retrying",
                        "error=\"%.200s\" backoff_ms=%d", PQerrorMessage(c), backoff);
                PQfinish(c);
                sleep_ms(backoff);
                backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
        }
        return -1;
}

static bool rebuild_flag, exit_flag;
static esc_opt_int_t batch_max_flag = {-1, 1, SLA_BATCH_CAP};
static esc_opt_int_t batch_ms_flag = {-1, 0, 60000};
static const esc_opt_t sla_flags[] = {
        {"rebuild", ESC_OPT_BOOL, &rebuild_flag, 0},
        {"exit", ESC_OPT_BOOL, &exit_flag, 0},
        {"batch-max", ESC_OPT_INT, &batch_max_flag, 8},
        {"batch-ms", ESC_OPT_INT, &batch_ms_flag, 8},
        {NULL, ESC_OPT_STR, NULL, 0},
};

static void sla_teardown(void *state)
{
        sla_ctx_t *ctx = state;

        esc_sla_store_destroy(ctx->store);
        if (ctx->dl)
                esc_deadletter_destroy(ctx->dl);
        for (int i = 0; i < ctx->batch_max && ctx->evs; i++)
                esc_event_clear(&ctx->evs[i]);
        free(ctx->evs);
        free(ctx->in);
        esc_codec_destroy(ctx->codec);
        free(ctx);
}

/* Reads the numbers (flags over config), migrates, runs a rebuild if asked,
 * and opens the live store. */
static void *sla_setup(esc_cli_t *cli, esc_worker_opts_t *opts, int *rc)
{
        const char *cmd = "worker sla";
        long long batch_max, batch_ms, rebuild_batch_max, rebuild_sessions;
        char err[512];

        *rc = ESC_EXIT_USAGE;
        if (esc_cli_config_int(cmd, cli->conf, "sla.batch_max", 5000, 1, SLA_BATCH_CAP,
                               &batch_max) ||
            esc_cli_config_int(cmd, cli->conf, "sla.batch_ms", 5, 0, 60000, &batch_ms) ||
            /* Rebuilds favour throughput: an incident touched many times in
             * one transaction has its row written once. */
            esc_cli_config_int(cmd, cli->conf, "sla.rebuild_batch_max", 50000, 1, SLA_BATCH_CAP,
                               &rebuild_batch_max) ||
            esc_cli_config_int(cmd, cli->conf, "sla.rebuild_sessions", 2, 1, SLA_SESSIONS_CAP,
                               &rebuild_sessions))
                return NULL;
        if (exit_flag && !rebuild_flag) {
                esc_cli_fail(*rc, cmd, "--exit only goes with --rebuild");
                return NULL;
        }
        const char *pg_url = esc_config_get(cli->conf, "postgres.url");
        if (!pg_url || !*pg_url) {
                esc_cli_fail(*rc, cmd,
                             "no PostgreSQL URL: set postgres.url in esc.yaml, ESC_PG_URL or "
                             "--pg (or run 'esc dev up')");
                return NULL;
        }

        sla_ctx_t *ctx = esc_xcalloc(1, sizeof(*ctx));
        ctx->cli = cli;
        ctx->conf = cli->conf;
        ctx->pg_url = pg_url;
        ctx->batch_max = (int)(batch_max_flag.v >= 0 ? batch_max_flag.v : batch_max);
        ctx->batch_ms = (int)(batch_ms_flag.v >= 0 ? batch_ms_flag.v : batch_ms);
        ctx->rebuild_batch_max =
                (int)(rebuild_batch_max < ctx->batch_max ? ctx->batch_max : rebuild_batch_max);
        ctx->rebuild_sessions = (int)rebuild_sessions;
        esc_strlcpy(ctx->topic, opts->topics[0], sizeof(ctx->topic));
        esc_strlcpy(ctx->group, opts->group, sizeof(ctx->group));
        opts->batch_max = ctx->batch_max;
        opts->batch_ms = ctx->batch_ms;
        esc_signals_install();

        *rc = ESC_EXIT_RUNTIME;
        if (!(ctx->codec = esc_codec_new(cli->conf, err, sizeof(err)))) {
                esc_cli_fail(*rc, cmd, "%s", err);
                goto fail;
        }
        ctx->evs = esc_xcalloc((size_t)ctx->batch_max, sizeof(esc_event_t));
        ctx->in = esc_xcalloc((size_t)ctx->batch_max, sizeof(esc_sla_input_t));
        for (int i = 0; i < ctx->batch_max; i++)
                esc_event_init(&ctx->evs[i], ESC_EV_ESCALATION_OPENED);

        if (migrate_live(ctx) != 0)
                goto fail;
        if (rebuild_flag) {
                if (run_rebuild(ctx) != 0) {
                        *rc = esc_signals_stop_requested() ? ESC_EXIT_OK : ESC_EXIT_RUNTIME;
                        if (*rc)
                                esc_cli_fail(*rc, cmd,
                                             "rebuild failed (see the log above); "
                                             "schema esc was left as it was");
                        goto fail;
                }
                if (exit_flag || esc_signals_stop_requested()) {
                        *rc = ESC_EXIT_OK;
                        goto fail;
                }
        }
        ctx->store = esc_sla_store_new(ctx->pg_url, SLA_LIVE_SCHEMA, SLA_PROJECTION, ctx->topic,
                                       low_watermark, ctx, err, sizeof(err));
        if (!ctx->store) {
                esc_cli_fail(*rc, cmd, "%s", err);
                goto fail;
        }
        return ctx;
fail:
        sla_teardown(ctx);
        return NULL;
}

static void sla_started(void *state, esc_worker_t *w)
{
        sla_ctx_t *ctx = state;

        ctx->rk = NULL;
        ctx->resync = false;
}

/* A resync is expected and immediate: a new consumer reads the stored
 * offsets on assignment. Anything else backs off like a supervisor. */
static bool sla_restart_now(void *state)
{
        return ((sla_ctx_t *)state)->resync;
}

const esc_worker_app_t esc_worker_sla_app = {
        .name = "sla",
        .usage = usage,
        .flags = sla_flags,
        .topic = "events",
        .ops = {.on_assign = sla_assign, .on_batch = sla_batch},
        .opts = {.retry_min_ms = 200, .retry_max_ms = 5000},
        .restart = true,
        .setup = sla_setup,
        .started = sla_started,
        .restart_now = sla_restart_now,
        .teardown = sla_teardown,
};
