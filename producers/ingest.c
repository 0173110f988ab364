/* ingest.c — the streaming engine behind `esc ingest`.
 *
 * A pipeline, because JSON parsing and Avro encoding, not the broker round
 * trip, bound the throughput:
 *
 *   main thread: read chunks, cut lines, fill batches of up to BATCH_LINES
 *                lines ──► work queue ──► worker threads (each with its own
 *                codec): parse, validate, encode every line of a batch
 *   main thread: take finished batches strictly in the order they were
 *                read, produce each command (RD_KAFKA_MSG_F_COPY) or write
 *                its reject, serve delivery reports (esc_cmdout_poll).
 *
 * Emitting in read order keeps every incident's commands in file order on
 * its partition, and keeps the reject file in line order. At most
 * MAX_INFLIGHT batches are read ahead, so memory is bounded by
 * MAX_INFLIGHT * BATCH_BYTES whatever the input size. Statistics and the
 * reject file are touched by the main thread only.
 *
 * A slow stream (`tail -f tickets.ndjson | esc ingest -`, a socket) is not
 * held back until a batch fills: whenever no more input is ready, what was
 * read is emitted, and delivery reports are served while waiting. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/codec.h"
#include "producers/ingest.h"
#include "producers/json_command.h"
#include "producers/zendesk.h"
#include "runtime/policy_load.h"
#include "runtime/cmdout.h"
#include "runtime/registry.h"
#include "runtime/sys.h"

#define READ_CHUNK (256 * 1024)
#define REJECT_KEEP 256 /* bytes of an over-long line kept in the reject file */
#define PROGRESS_EVERY_US 250000
#define METADATA_TIMEOUT_MS 10000

#define BATCH_LINES 1024
#define BATCH_BYTES ((size_t)4 << 20) /* text per batch before it is sent off */
#define MAX_WORKERS 16
#define MAX_INFLIGHT(w) (2 * (w) + 2)

enum { L_PARSE, L_OVERLONG, L_OK, L_REJECT, L_SKIP };

typedef struct bline {
        int64_t lineno;
        size_t off, len;               /* the line in batch.text */
        size_t koff, klen, voff, vlen; /* key and value in batch.out (L_OK) */
        char *reason;                  /* L_REJECT, L_OVERLONG: owned */
        uint8_t kind;
} bline_t;

typedef struct batch {
        int n;
        bool done; /* set by a worker under the lock */
        esc_buf_t text;
        esc_buf_t out;
        bline_t l[BATCH_LINES];
        struct batch *next_work;  /* work queue */
        struct batch *next_order; /* read order */
} batch_t;

struct ingest;

typedef struct worker {
        struct ingest *in;
        pthread_t thr;
        esc_codec_t *codec;
} worker_t;

typedef struct ingest {
        const esc_config_t *conf;
        esc_policy_t *pol; /* --format zendesk: the accounts' organizations */
        const esc_ingest_opts_t *opts;
        esc_ingest_stats_t *st;
        esc_cmdout_t *out;
        FILE *rej;
        char errbuf[512];
        int64_t started_us, last_progress_us;

        /* the pipeline */
        pthread_mutex_t mu;
        pthread_cond_t work_cv, done_cv;
        batch_t *work_head, *work_tail;   /* waiting for a worker */
        batch_t *order_head, *order_tail; /* dispatched, in read order */
        batch_t *free_list;
        batch_t *cur; /* being filled by the reader */
        int inflight;
        bool closing;
        int nworkers;
        worker_t workers[MAX_WORKERS];
} ingest_t;

/* ---- reject file -------------------------------------------------------- */

static int reject_open(ingest_t *in)
{
        if (in->rej)
                return 0;
        in->rej = fopen(in->st->rejects_path, "w");
        if (!in->rej)
                return esc_err(in->errbuf, sizeof(in->errbuf), "%s: %s (give --rejects FILE)",
                               in->st->rejects_path, strerror(errno));
        return 0;
}

/* "line N: <reason>\t<original line>\n"; reason never holds a tab or newline. */
static int reject(ingest_t *in, int64_t lineno, const char *reason, const char *line, size_t len)
{
        if (reject_open(in))
                return -1;
        fprintf(in->rej, "line %lld: ", (long long)lineno);
        for (const char *p = reason; *p; p++)
                fputc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p, in->rej);
        fputc('\t', in->rej);
        if (line)
                fwrite(line, 1, len, in->rej);
        fputc('\n', in->rej);
        return 0;
}

/* ---- producing ---------------------------------------------------------- */

static void on_delivery(rd_kafka_resp_err_t err, const rd_kafka_message_t *m, void *msg_opaque,
                        void *opaque)
{
        ingest_t *in = opaque;
        char reason[300];

        if (!err) {
                in->st->delivered++;
                return;
        }
        in->st->failed++;
        snprintf(reason, sizeof(reason), "not delivered: %s", rd_kafka_err2str(err));
        reject(in, (int64_t)(intptr_t)msg_opaque, reason, NULL, 0);
}

static void progress(ingest_t *in, bool final)
{
        int64_t now = esc_mono_us();

        if (!in->opts->progress)
                return;
        if (!final && now - in->last_progress_us < PROGRESS_EVERY_US)
                return;
        in->last_progress_us = now;
        double secs = (double)(now - in->started_us) / 1e6;
        fprintf(stderr, "\r\033[Kingest: %lld lines  %.0f lines/s  delivered %lld  rejected %lld%s",
                (long long)in->st->lines, secs > 0 ? (double)in->st->lines / secs : 0.0,
                (long long)in->st->delivered, (long long)in->st->rejected, final ? "\n" : "");
}

static int produce(ingest_t *in, const void *key, size_t klen, const void *val, size_t vlen,
                   int64_t lineno)
{
        return esc_cmdout_send_raw(in->out, key, klen, val, vlen, (void *)(intptr_t)lineno,
                                   in->errbuf, sizeof(in->errbuf));
}

/* ---- workers: one line -> key + encoded command, or a reason ------------ */

static void line_reject(bline_t *l, const char *reason)
{
        l->kind = L_REJECT;
        l->reason = esc_strdup(reason);
}

/* Drops what a failed line left at the end of the batch output. */
static void out_truncate(batch_t *b, size_t len)
{
        b->out.len = len;
        if (b->out.data)
                b->out.data[len] = '\0';
}

/* Runs on a worker thread; touches only the batch line and w. */
static void process_line(worker_t *w, batch_t *b, bline_t *l)
{
        const ingest_t *in = w->in;
        const char *line = b->text.data + l->off;
        size_t len = l->len;
        esc_command_t cmd;
        esc_jsoncmd_error_t e;
        esc_jsoncmd_defaults_t d = {.actor = in->opts->actor ? in->opts->actor : "ingest"};
        char err[512];
        bool ok;

        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
                i++;
        if (i == len) {
                l->kind = L_SKIP;
                return;
        }
        if (in->opts->format == ESC_INGEST_NDJSON) {
                ok = esc_json_command_parse(line, len, &d, &cmd, &e) == ESC_JSONCMD_OK;
        } else {
                json_error_t jerr;
                json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
                if (!j) {
                        esc_command_init(&cmd, ESC_CMD_OPEN);
                        snprintf(e.message, sizeof(e.message), "malformed JSON at column %d: %s",
                                 jerr.column, jerr.text);
                        ok = false;
                } else {
                        esc_zd_rc_t zr = esc_zendesk_map(in->conf, in->pol, j, 0, &cmd, &e);
                        json_decref(j);
                        if (zr == ESC_ZD_IGNORED) {
                                l->kind = L_SKIP;
                                esc_command_clear(&cmd);
                                return;
                        }
                        ok = zr == ESC_ZD_COMMAND;
                }
        }
        if (!ok) {
                line_reject(l, e.message);
                esc_command_clear(&cmd);
                return;
        }
        /* Straight into the batch: the bytes are copied once more, by
         * librdkafka (RD_KAFKA_MSG_F_COPY), and nowhere else. The JSON
         * layer hands over only commands the builder has validated. */
        l->voff = b->out.len;
        if (esc_codec_encode_valid_command(w->codec, &cmd, &b->out, err, sizeof(err)) !=
            ESC_CODEC_OK) {
                out_truncate(b, l->voff);
                line_reject(l, err);
                esc_command_clear(&cmd);
                return;
        }
        l->vlen = b->out.len - l->voff;
        l->koff = b->out.len;
        l->klen = strlen(cmd.incident_id);
        if (esc_buf_append(&b->out, cmd.incident_id, l->klen)) {
                out_truncate(b, l->voff); /* cap reached: drop the value too */
                line_reject(l, "internal: batch output buffer full");
        } else {
                l->kind = L_OK;
        }
        esc_command_clear(&cmd);
}

static void *worker_main(void *arg)
{
        worker_t *w = arg;
        ingest_t *in = w->in;

        for (;;) {
                pthread_mutex_lock(&in->mu);
                while (!in->work_head && !in->closing)
                        pthread_cond_wait(&in->work_cv, &in->mu);
                batch_t *b = in->work_head;
                if (!b) {
                        pthread_mutex_unlock(&in->mu);
                        return NULL;
                }
                in->work_head = b->next_work;
                if (!in->work_head)
                        in->work_tail = NULL;
                pthread_mutex_unlock(&in->mu);

                for (int i = 0; i < b->n; i++)
                        if (b->l[i].kind == L_PARSE)
                                process_line(w, b, &b->l[i]);

                pthread_mutex_lock(&in->mu);
                b->done = true;
                pthread_cond_broadcast(&in->done_cv);
                pthread_mutex_unlock(&in->mu);
        }
}

/* ---- main thread: batches out, results back in read order --------------- */

static batch_t *batch_get(ingest_t *in)
{
        batch_t *b = in->free_list;
        if (b) {
                in->free_list = b->next_work;
        } else {
                b = esc_xcalloc(1, sizeof(*b));
                esc_buf_init(&b->text, 2 * BATCH_BYTES + ESC_INGEST_MAX_LINE);
                esc_buf_init(&b->out, ESC_BUF_DEFAULT_CAP);
        }
        b->n = 0;
        b->done = false;
        b->next_work = b->next_order = NULL;
        esc_buf_reset(&b->text);
        esc_buf_reset(&b->out);
        return b;
}

static void batch_free(batch_t *b)
{
        esc_buf_free(&b->text);
        esc_buf_free(&b->out);
        free(b);
}

/* Produces or rejects every line of a finished batch, then recycles it. */
static int emit(ingest_t *in, batch_t *b)
{
        int rc = 0;

        for (int i = 0; i < b->n; i++) {
                bline_t *l = &b->l[i];
                if (rc == 0) {
                        switch (l->kind) {
                        case L_OK:
                                rc = produce(in, b->out.data + l->koff, l->klen,
                                             b->out.data + l->voff, l->vlen, l->lineno);
                                if (rc == 0)
                                        in->st->accepted++;
                                break;
                        case L_SKIP:
                                in->st->skipped++;
                                break;
                        default:
                                in->st->rejected++;
                                rc = reject(in, l->lineno, l->reason ? l->reason : "rejected",
                                            b->text.data + l->off, l->len);
                                break;
                        }
                }
                free(l->reason);
                l->reason = NULL;
        }
        b->next_work = in->free_list;
        in->free_list = b;
        esc_cmdout_poll(in->out, 0);
        progress(in, false);
        return rc;
}

/* Emits finished batches at the head of the read order; with block, waits
 * until the in-flight count is below max (or everything, at the end). */
static int drain(ingest_t *in, int max_inflight)
{
        int rc = 0;

        for (;;) {
                pthread_mutex_lock(&in->mu);
                batch_t *b = in->order_head;
                if (b && !b->done && in->inflight >= max_inflight) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_nsec += 50 * 1000000L;
                        if (ts.tv_nsec >= 1000000000L) {
                                ts.tv_sec++;
                                ts.tv_nsec -= 1000000000L;
                        }
                        pthread_cond_timedwait(&in->done_cv, &in->mu, &ts);
                        pthread_mutex_unlock(&in->mu);
                        esc_cmdout_poll(in->out, 0); /* delivery reports meanwhile */
                        progress(in, false);
                        continue;
                }
                if (!b || !b->done) {
                        pthread_mutex_unlock(&in->mu);
                        return rc;
                }
                in->order_head = b->next_order;
                if (!in->order_head)
                        in->order_tail = NULL;
                in->inflight--;
                pthread_mutex_unlock(&in->mu);
                int r = emit(in, b);
                if (r && !rc)
                        rc = r;
        }
}

static int dispatch(ingest_t *in)
{
        batch_t *b = in->cur;

        in->cur = NULL;
        if (!b || b->n == 0) {
                if (b) {
                        b->next_work = in->free_list;
                        in->free_list = b;
                }
                return 0;
        }
        pthread_mutex_lock(&in->mu);
        if (in->work_tail)
                in->work_tail->next_work = b;
        else
                in->work_head = b;
        in->work_tail = b;
        if (in->order_tail)
                in->order_tail->next_order = b;
        else
                in->order_head = b;
        in->order_tail = b;
        in->inflight++;
        pthread_cond_signal(&in->work_cv);
        pthread_mutex_unlock(&in->mu);
        return drain(in, MAX_INFLIGHT(in->nworkers));
}

/* Queues one line (copied) for the workers; an over-long line carries its
 * kept head and goes straight to the reject file, in order. */
static int ingest_line(ingest_t *in, int64_t lineno, const char *line, size_t len, bool overlong)
{
        if (!in->cur)
                in->cur = batch_get(in);
        batch_t *b = in->cur;
        bline_t *l = &b->l[b->n];

        memset(l, 0, sizeof(*l));
        l->lineno = lineno;
        l->off = b->text.len;
        l->len = len;
        l->kind = overlong ? L_OVERLONG : L_PARSE;
        if (overlong)
                l->reason = esc_strdup("line longer than 1048576 bytes (first 256 bytes kept)");
        if (esc_buf_append(&b->text, line, len)) {
                /* cannot happen: a batch is sent off before text reaches
                 * BATCH_BYTES and a line is at most 1 MiB */
                l->len = 0;
                l->kind = L_OVERLONG;
                free(l->reason);
                l->reason = esc_strdup("internal: batch buffer full");
        }
        b->n++;
        if (b->n == BATCH_LINES || b->text.len >= BATCH_BYTES)
                return dispatch(in);
        return 0;
}

/* ---- reading ------------------------------------------------------------- */

/* Before a read that would block: emits every line read so far, then waits
 * for input serving delivery reports and progress. A regular file is always
 * ready, so a file is read in whole batches as before. */
static int wait_for_input(ingest_t *in, int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = 0;

        if (poll(&p, 1, 0) != 0)
                return 0; /* ready, at its end, or an error read() will report */
        if (in->cur || in->order_head) {
                rc = dispatch(in);
                int drc = drain(in, 1);
                if (!rc)
                        rc = drc;
        }
        while (rc == 0 && poll(&p, 1, 200) == 0) {
                esc_cmdout_poll(in->out, 0);
                progress(in, false);
        }
        return rc;
}

static int read_lines(ingest_t *in, int fd)
{
        char *chunk = esc_xmalloc(READ_CHUNK);
        esc_buf_t line;
        bool overlong = false;
        int64_t lineno = 0;
        int rc = 0;

        esc_buf_init(&line, ESC_INGEST_MAX_LINE);
        for (;;) {
                if ((rc = wait_for_input(in, fd)))
                        break;
                ssize_t r = read(fd, chunk, READ_CHUNK);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        rc = esc_err(in->errbuf, sizeof(in->errbuf), "%s: read: %s",
                                     in->opts->input, strerror(errno));
                        break;
                }
                if (r == 0) {
                        if (line.len > 0 || overlong) {
                                /* last line without a newline */
                                lineno++;
                                in->st->lines++;
                                rc = ingest_line(in, lineno, line.data, line.len, overlong);
                        }
                        break;
                }
                const char *p = chunk, *end = chunk + r;
                while (p < end && rc == 0) {
                        const char *nl = memchr(p, '\n', (size_t)(end - p));
                        const char *stop = nl ? nl : end;
                        size_t n = (size_t)(stop - p);

                        if (!overlong) {
                                /* fast path: a whole line inside the chunk */
                                if (nl && line.len == 0) {
                                        lineno++;
                                        in->st->lines++;
                                        if (n > ESC_INGEST_MAX_LINE)
                                                rc = ingest_line(in, lineno, p, REJECT_KEEP, true);
                                        else
                                                rc = ingest_line(in, lineno, p, n, false);
                                        p = nl + 1;
                                        continue;
                                }
                                if (esc_buf_append(&line, p, n)) {
                                        /* over the cap: keep the head, drop the rest */
                                        overlong = true;
                                        if (line.len > REJECT_KEEP)
                                                line.len = REJECT_KEEP;
                                        else
                                                esc_buf_append(&line, p, REJECT_KEEP - line.len);
                                        line.data[line.len] = '\0';
                                }
                        }
                        if (!nl)
                                break;
                        lineno++;
                        in->st->lines++;
                        rc = ingest_line(in, lineno, line.data, line.len, overlong);
                        esc_buf_reset(&line);
                        overlong = false;
                        p = nl + 1;
                }
                if (rc)
                        break;
                esc_cmdout_poll(in->out, 0);
                progress(in, false);
        }
        esc_buf_free(&line);
        free(chunk);
        return rc;
}

int esc_ingest_run(const esc_config_t *conf, const esc_ingest_opts_t *opts, esc_ingest_stats_t *st,
                   char *errbuf, size_t errbuf_size)
{
        ingest_t in = {.conf = conf, .opts = opts, .st = st};
        int fd, rc = -1, workers_started = 0;

        pthread_mutex_init(&in.mu, NULL);
        pthread_cond_init(&in.work_cv, NULL);
        pthread_cond_init(&in.done_cv, NULL);

        memset(st, 0, sizeof(*st));
        if (opts->rejects)
                esc_strlcpy(st->rejects_path, opts->rejects, sizeof(st->rejects_path));
        else if (!strcmp(opts->input, "-"))
                esc_strlcpy(st->rejects_path, "stdin.rejects", sizeof(st->rejects_path));
        else
                snprintf(st->rejects_path, sizeof(st->rejects_path), "%s.rejects", opts->input);

        fd = strcmp(opts->input, "-") ? open(opts->input, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
        if (fd < 0) {
                esc_err(errbuf, errbuf_size, "%s: %s", opts->input, strerror(errno));
                return -2;
        }
        /* A stale reject file from an earlier run would be misread as this
         * run's: start it empty, and remove it at the end if nothing went
         * into it. */
        if (reject_open(&in)) {
                esc_strlcpy(errbuf, in.errbuf, errbuf_size);
                rc = -2;
                goto out;
        }
        if (opts->format == ESC_INGEST_ZENDESK &&
            !(in.pol = esc_policy_from_config(conf, errbuf, errbuf_size))) {
                rc = -2;
                goto out;
        }
        /* Fail fast on an unreachable broker or a missing topic: otherwise
         * every line would wait out message.timeout.ms (5 min) first. */
        in.out = esc_cmdout_new(conf, on_delivery, &in, METADATA_TIMEOUT_MS, errbuf, errbuf_size);
        if (!in.out)
                goto out;
        in.nworkers = opts->threads > 0 ? opts->threads : ESC_INGEST_DEFAULT_THREADS;
        if (in.nworkers > MAX_WORKERS)
                in.nworkers = MAX_WORKERS;
        for (int i = 0; i < in.nworkers; i++) {
                worker_t *w = &in.workers[i];
                w->in = &in;
                w->codec = esc_codec_new(conf, errbuf, errbuf_size);
                if (!w->codec)
                        goto out;
        }
        for (int i = 0; i < in.nworkers; i++) {
                if (pthread_create(&in.workers[i].thr, NULL, worker_main, &in.workers[i])) {
                        esc_err(errbuf, errbuf_size, "cannot start ingest worker threads");
                        in.nworkers = i;
                        goto out;
                }
                workers_started = i + 1;
        }
        in.started_us = in.last_progress_us = esc_mono_us();

        rc = read_lines(&in, fd);
        /* The last partial batch, then every batch still in flight. */
        int drc = dispatch(&in);
        if (!rc)
                rc = drc;
        drc = drain(&in, 1);
        if (!rc)
                rc = drc;
        /* Deliver everything accepted so far, even after a read error. */
        while (esc_cmdout_in_flight(in.out) > 0) {
                esc_cmdout_flush(in.out, 200);
                progress(&in, false);
        }
        progress(&in, true);
        if (rc)
                esc_strlcpy(errbuf, in.errbuf, errbuf_size);
out:
        st->seconds = in.started_us ? (double)(esc_mono_us() - in.started_us) / 1e6 : 0;
        pthread_mutex_lock(&in.mu);
        in.closing = true;
        pthread_cond_broadcast(&in.work_cv);
        pthread_mutex_unlock(&in.mu);
        for (int i = 0; i < workers_started; i++)
                pthread_join(in.workers[i].thr, NULL);
        for (int i = 0; i < MAX_WORKERS; i++)
                esc_codec_destroy(in.workers[i].codec);
        /* batches left behind by an early stop, and the free list */
        for (batch_t *b = in.order_head, *nx; b; b = nx) {
                nx = b->next_order;
                for (int i = 0; i < b->n; i++)
                        free(b->l[i].reason);
                batch_free(b);
        }
        if (in.cur) {
                for (int i = 0; i < in.cur->n; i++)
                        free(in.cur->l[i].reason);
                batch_free(in.cur);
        }
        for (batch_t *b = in.free_list, *nx; b; b = nx) {
                nx = b->next_work;
                batch_free(b);
        }
        pthread_mutex_destroy(&in.mu);
        pthread_cond_destroy(&in.work_cv);
        pthread_cond_destroy(&in.done_cv);
        esc_cmdout_destroy(in.out, 0);
        esc_policy_destroy(in.pol);
        if (in.rej) {
                fclose(in.rej);
                if (st->rejected == 0 && st->failed == 0)
                        unlink(st->rejects_path);
        }
        if (st->rejected == 0 && st->failed == 0)
                st->rejects_path[0] = '\0';
        if (fd != STDIN_FILENO)
                close(fd);
        return rc;
}
