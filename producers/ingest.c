/* ingest.c — the streaming engine behind `esc ingest`.
 *
 * One thread: read a chunk, cut lines, parse/validate/encode each, produce
 * with RD_KAFKA_MSG_F_COPY (the encode buffer is reused for the next line),
 * serve delivery reports with rd_kafka_poll(0) as we go and block in
 * rd_kafka_poll only when librdkafka's queue is full. Throughput is bounded
 * by JSON parsing and Avro encoding, not by the broker round trip. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger/codec.h"
#include "producers/ingest.h"
#include "producers/json_command.h"
#include "producers/zendesk.h"
#include "runtime/kafka.h"

#define READ_CHUNK (256 * 1024)
#define REJECT_KEEP 256        /* bytes of an over-long line kept in the reject file */
#define PROGRESS_EVERY_US 250000
#define METADATA_TIMEOUT_MS 10000

typedef struct ingest {
        const esc_config_t *conf;
        const esc_ingest_opts_t *opts;
        esc_ingest_stats_t *st;
        rd_kafka_t *rk;
        esc_codec_t *codec;
        char topic[256];
        FILE *rej;
        char errbuf[512];
        int64_t started_us, last_progress_us;
        esc_buf_t enc;
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
static int reject(ingest_t *in, int64_t lineno, const char *reason, const char *line,
                  size_t len)
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

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        ingest_t *in = opaque;
        char reason[300];

        if (!m->err) {
                in->st->delivered++;
                return;
        }
        in->st->failed++;
        snprintf(reason, sizeof(reason), "not delivered: %s", rd_kafka_err2str(m->err));
        reject(in, (int64_t)(intptr_t)m->_private, reason, NULL, 0);
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
        fprintf(stderr,
                "\r\033[Kingest: %lld lines  %.0f lines/s  delivered %lld  rejected %lld%s",
                (long long)in->st->lines, secs > 0 ? (double)in->st->lines / secs : 0.0,
                (long long)in->st->delivered, (long long)in->st->rejected,
                final ? "\n" : "");
}

static int produce(ingest_t *in, const esc_command_t *cmd, int64_t lineno)
{
        for (;;) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                        in->rk, RD_KAFKA_V_TOPIC(in->topic),
                        RD_KAFKA_V_KEY(cmd->incident_id, strlen(cmd->incident_id)),
                        RD_KAFKA_V_VALUE(in->enc.data, in->enc.len),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_OPAQUE((void *)(intptr_t)lineno), RD_KAFKA_V_END);
                if (!err)
                        return 0;
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        return esc_err(in->errbuf, sizeof(in->errbuf), "%s: produce: %s",
                                       in->topic, rd_kafka_err2str(err));
                /* librdkafka's queue is full: let it drain into the broker */
                rd_kafka_poll(in->rk, 10);
                progress(in, false);
        }
}

/* One line -> one command (or a reject/skip). Returns -1 only on a
 * failure that ends the run. */
static int ingest_line(ingest_t *in, int64_t lineno, const char *line, size_t len)
{
        esc_command_t cmd;
        esc_jsoncmd_error_t e;
        esc_jsoncmd_defaults_t d = {.actor = in->opts->actor ? in->opts->actor : "ingest"};
        bool ok;

        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
                i++;
        if (i == len) {
                in->st->skipped++;
                return 0;
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
                        esc_zd_rc_t zr = esc_zendesk_map(in->conf, j, 0, &cmd, &e);
                        json_decref(j);
                        if (zr == ESC_ZD_IGNORED) {
                                in->st->skipped++;
                                esc_command_clear(&cmd);
                                return 0;
                        }
                        ok = zr == ESC_ZD_COMMAND;
                }
        }
        if (!ok) {
                in->st->rejected++;
                esc_command_clear(&cmd);
                return reject(in, lineno, e.message, line, len);
        }

        char err[512];
        esc_buf_reset(&in->enc);
        if (esc_codec_encode_command(in->codec, &cmd, &in->enc, err, sizeof(err)) !=
            ESC_CODEC_OK) {
                in->st->rejected++;
                esc_command_clear(&cmd);
                return reject(in, lineno, err, line, len);
        }
        int rc = produce(in, &cmd, lineno);
        esc_command_clear(&cmd);
        if (rc == 0)
                in->st->accepted++;
        return rc;
}

/* ---- reading ------------------------------------------------------------- */

static int read_lines(ingest_t *in, int fd)
{
        char *chunk = esc_xmalloc(READ_CHUNK);
        esc_buf_t line;
        bool overlong = false;
        int64_t lineno = 0;
        int rc = 0;

        esc_buf_init(&line, ESC_INGEST_MAX_LINE);
        for (;;) {
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
                                if (overlong) {
                                        in->st->rejected++;
                                        rc = reject(in, lineno, "line longer than 1048576 bytes "
                                                                "(first 256 bytes kept)",
                                                    line.data, line.len);
                                } else {
                                        rc = ingest_line(in, lineno, line.data, line.len);
                                }
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
                                        if (n > ESC_INGEST_MAX_LINE) {
                                                in->st->rejected++;
                                                rc = reject(in, lineno,
                                                            "line longer than 1048576 bytes "
                                                            "(first 256 bytes kept)",
                                                            p, REJECT_KEEP);
                                        } else {
                                                rc = ingest_line(in, lineno, p, n);
                                        }
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
                        if (overlong) {
                                in->st->rejected++;
                                rc = reject(in, lineno,
                                            "line longer than 1048576 bytes (first 256 bytes "
                                            "kept)",
                                            line.data, line.len);
                        } else {
                                rc = ingest_line(in, lineno, line.data, line.len);
                        }
                        esc_buf_reset(&line);
                        overlong = false;
                        p = nl + 1;
                }
                if (rc)
                        break;
                rd_kafka_poll(in->rk, 0);
                progress(in, false);
        }
        esc_buf_free(&line);
        free(chunk);
        return rc;
}

int esc_ingest_run(const esc_config_t *conf, const esc_ingest_opts_t *opts,
                   esc_ingest_stats_t *st, char *errbuf, size_t errbuf_size)
{
        ingest_t in = {.conf = conf, .opts = opts, .st = st};
        int fd, rc = -1;

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
        in.codec = esc_codec_new(conf, errbuf, errbuf_size);
        if (!in.codec)
                goto out;
        in.rk = esc_kafka_producer_new(conf, on_delivery, &in, errbuf, errbuf_size);
        if (!in.rk)
                goto out;
        esc_config_topic(conf, "commands", in.topic, sizeof(in.topic));
        /* Fail fast on an unreachable broker or a missing topic: otherwise
         * every line would wait out message.timeout.ms (5 min) first. */
        if (esc_kafka_partition_count(in.rk, in.topic, METADATA_TIMEOUT_MS, errbuf, errbuf_size) <=
            0)
                goto out;
        esc_buf_init(&in.enc, 4 * ESC_INGEST_MAX_LINE);
        in.started_us = in.last_progress_us = esc_mono_us();

        rc = read_lines(&in, fd);
        /* Deliver everything accepted so far, even after a read error. */
        while (rd_kafka_outq_len(in.rk) > 0) {
                rd_kafka_flush(in.rk, 200);
                progress(&in, false);
        }
        progress(&in, true);
        if (rc)
                esc_strlcpy(errbuf, in.errbuf, errbuf_size);
out:
        st->seconds = in.started_us ? (double)(esc_mono_us() - in.started_us) / 1e6 : 0;
        if (in.rk)
                rd_kafka_destroy(in.rk);
        esc_codec_destroy(in.codec);
        esc_buf_free(&in.enc);
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
