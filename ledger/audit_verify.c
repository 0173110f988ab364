/* audit_verify.c — `esc audit verify`: walk esc.events and prove that every
 * incident's history is whole and untampered; and the `esc audit`
 * dispatcher.
 *
 * Per incident the walk keeps the head of the verified chain (seq, hash).
 * An event is accepted only if it is the next seq, links to the head
 * (prev_hash), hashes to its own `hash`, carries the id derived from
 * (incident, seq), sits in the partition of its key and names its command
 * partition, and decides a command that exists: the commands partition of
 * the same number is read in lockstep (the ledger decides commands in
 * offset order, so command offsets never go back within an events
 * partition) and the command at command_offset must carry the event's
 * command_id and incident. A forger who computes hashes correctly still
 * cannot point at a command the ledger decided into other events.
 * Anything else is reported with incident, seq and topic position, and does
 * not advance the head, so one forged or altered event is reported once
 * instead of breaking every event after it. Memory: one head (~48 bytes +
 * id) per incident. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/eventlog.h"
#include "core/hashchain.h"
#include "ledger/ledger.h"
#include "runtime/kafka.h"
#include "core/strmap.h"
#include "runtime/registry.h"

struct head {
        int64_t seq;
        uint8_t hash[ESC_HASH_LEN];
};

struct verify {
        esc_codec_t *codec;
        esc_strmap_t *heads;
        int32_t partition;
        int partitions;
        int64_t events;
        int64_t problems;
        json_t *problems_json; /* --json: array of problems */
        bool json;
        /* Lockstep cursor over the commands partition. */
        rd_kafka_t *cmd_rk;
        char cmd_topic[256];
        int64_t cmd_low, cmd_high; /* watermarks of the commands partition */
        int64_t cmd_offset;        /* offset of the command held, -1 if none */
        char *cmd_id, *cmd_incident;
        int64_t unverifiable; /* events whose command is gone (retention) */
};

static void cursor_forget(struct verify *v)
{
        free(v->cmd_id);
        free(v->cmd_incident);
        v->cmd_id = v->cmd_incident = NULL;
        v->cmd_offset = -1;
}

static int cursor_start(struct verify *v, char *errbuf, size_t errbuf_size)
{
        rd_kafka_topic_partition_list_t *tpl = rd_kafka_topic_partition_list_new(1);
        rd_kafka_resp_err_t err;

        cursor_forget(v);
        err = rd_kafka_query_watermark_offsets(v->cmd_rk, v->cmd_topic, v->partition, &v->cmd_low,
                                               &v->cmd_high, 10000);
        if (!err) {
                rd_kafka_topic_partition_list_add(tpl, v->cmd_topic, v->partition)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
                err = rd_kafka_assign(v->cmd_rk, tpl);
        }
        rd_kafka_topic_partition_list_destroy(tpl);
        if (err)
                return esc_err(errbuf, errbuf_size, "%s [%d]: %s", v->cmd_topic, (int)v->partition,
                               rd_kafka_err2str(err));
        return 0;
}

/* Moves the cursor to command offset `off`. Returns 1 if the command is
 * there (v->cmd_id/cmd_incident describe it), 0 if it is gone or was never
 * written, -1 if the offset lies behind the cursor (offsets went back). */
static int cursor_seek(struct verify *v, int64_t off)
{
        char err[512];

        if (off == v->cmd_offset)
                return 1;
        if (v->cmd_offset >= 0 && off < v->cmd_offset)
                return -1;
        if (off >= v->cmd_high) {
                /* The ledger may have decided more commands since the cursor
                 * started (a live system): look again before concluding. */
                int64_t lo, hi;
                if (!rd_kafka_query_watermark_offsets(v->cmd_rk, v->cmd_topic, v->partition, &lo,
                                                      &hi, 10000))
                        v->cmd_high = hi;
        }
        if (off < v->cmd_low || off >= v->cmd_high)
                return 0;
        while (v->cmd_offset < off) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(v->cmd_rk, 5000);
                if (!m)
                        return 0; /* stalled: report as missing rather than hang */
                if (m->err) {
                        bool eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
                        rd_kafka_message_destroy(m);
                        if (eof)
                                return 0;
                        continue;
                }
                esc_command_t cmd;
                esc_command_init(&cmd, ESC_CMD_OPEN);
                cursor_forget(v);
                v->cmd_offset = m->offset;
                if (esc_codec_decode_command(v->codec, m->payload, m->len, &cmd, err,
                                             sizeof(err)) == ESC_CODEC_OK) {
                        v->cmd_id = esc_strdup(cmd.command_id);
                        v->cmd_incident = esc_strdup(cmd.incident_id);
                }
                esc_command_clear(&cmd);
                rd_kafka_message_destroy(m);
        }
        return v->cmd_offset == off && v->cmd_id ? 1 : 0;
}

static void problem(struct verify *v, const rd_kafka_message_t *m, const char *incident,
                    int64_t seq, const char *what)
{
        v->problems++;
        if (v->json) {
                json_array_append_new(v->problems_json,
                                      json_pack("{s:s?, s:I, s:i, s:I, s:s}", "incident_id",
                                                incident, "seq", (json_int_t)seq, "partition",
                                                (int)m->partition, "offset", (json_int_t)m->offset,
                                                "problem", what));
                return;
        }
        printf("PROBLEM incident=%s seq=%lld at %s[%d]@%lld: %s\n", incident ? incident : "?",
               (long long)seq, rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset,
               what);
}

static int verify_one(const esc_event_t *ev, const rd_kafka_message_t *m, const char *errmsg,
                      void *opaque)
{
        struct verify *v = opaque;
        char err[512], id[37];

        v->events++;
        if (!ev) {
                char what[600];
                snprintf(what, sizeof(what), "undecodable event: %s", errmsg);
                problem(v, m, NULL, 0, what);
                return 0;
        }
        const char *inc = ev->incident_id;
        if (m->key_len != strlen(inc) || memcmp(m->key, inc, m->key_len)) {
                problem(v, m, inc, ev->seq, "message key differs from incident_id");
                return 0;
        }
        if (esc_kafka_partition_for_key(inc, strlen(inc), v->partitions) != v->partition) {
                problem(v, m, inc, ev->seq, "event is not in its incident's partition");
                return 0;
        }

        struct head *h = esc_strmap_get(v->heads, inc);
        int64_t last = h ? h->seq : 0;
        static const uint8_t zero[ESC_HASH_LEN];
        const uint8_t *prev = h ? h->hash : zero;

        if (ev->seq <= last) {
                problem(v, m, inc, ev->seq, "duplicate seq (already verified)");
                return 0;
        }
        if (ev->seq != last + 1) {
                snprintf(err, sizeof(err), "seq gap: expected %lld", (long long)last + 1);
                problem(v, m, inc, ev->seq, err);
                return 0;
        }
        if (memcmp(ev->prev_hash, prev, ESC_HASH_LEN)) {
                problem(v, m, inc, ev->seq, "prev_hash does not link to the previous event");
                return 0;
        }
        int ok = esc_hash_check_written(v->codec, ev, m->payload, m->len, err, sizeof(err));
        if (ok != 1) {
                problem(v, m, inc, ev->seq,
                        ok < 0 ? err : "hash mismatch: event altered or not written by the ledger");
                return 0;
        }
        esc_hash_event_id(inc, ev->seq, id);
        if (!ev->event_id || strcmp(ev->event_id, id)) {
                problem(v, m, inc, ev->seq,
                        "event_id is not the one derived from incident and seq");
                return 0;
        }
        if (ev->command_partition != v->partition) {
                problem(v, m, inc, ev->seq, "command_partition differs from the event partition");
                return 0;
        }
        int c = cursor_seek(v, ev->command_offset);
        if (c < 0) {
                problem(v, m, inc, ev->seq,
                        "command_offset goes back: the ledger decides commands in order");
                return 0;
        }
        if (c == 0 && ev->command_offset >= v->cmd_low) {
                problem(v, m, inc, ev->seq, "no decodable command at its command_offset");
                return 0;
        }
        if (c == 0) {
                v->unverifiable++; /* command removed by retention */
        } else if (strcmp(v->cmd_id, ev->command_id) || strcmp(v->cmd_incident, inc)) {
                problem(v, m, inc, ev->seq,
                        "the command at its command_offset is another command: event not "
                        "written by the ledger");
                return 0;
        }
        if (!h) {
                h = esc_xmalloc(sizeof(*h));
                esc_strmap_put(v->heads, inc, h);
        }
        h->seq = ev->seq;
        memcpy(h->hash, ev->hash, ESC_HASH_LEN);
        return 0;
}

static void free_head(const char *key, void *value, void *opaque)
{
        free(value);
}

int esc_audit_verify_main(esc_cli_t *cli, int argc, char **argv)
{
        char err[512];
        int rc = ESC_EXIT_RUNTIME;
        struct verify v = {.json = cli->json};

        if (esc_cli_wants_help(argc, argv)) {
                printf("usage: esc audit verify\n\n"
                       "Walks every partition of esc.events and checks each incident's history:\n"
                       "seq gap-free and unique, prev_hash links, SHA-256 hashes, derived event\n"
                       "ids, partitioning. Prints one PROBLEM line per finding (incident, seq,\n"
                       "topic position) and exits 1 if there is any. Each event must also\n"
                       "point at the command in esc.commands that it decides.\n");
                return ESC_EXIT_OK;
        }
        if (argc > 1)
                return esc_cli_fail(ESC_EXIT_USAGE, "audit verify", "unexpected argument '%s'",
                                    argv[1]);

        esc_eventlog_t *log = NULL;
        if (!(v.codec = esc_codec_new(cli->conf, err, sizeof(err))) ||
            !(log = esc_eventlog_new(cli->conf, v.codec, err, sizeof(err))) ||
            (v.partitions = esc_eventlog_partitions(log, err, sizeof(err))) <= 0) {
                esc_cli_fail(ESC_EXIT_RUNTIME, "audit verify", "%s", err);
                goto out;
        }
        esc_config_topic(cli->conf, "commands", v.cmd_topic, sizeof(v.cmd_topic));
        if (!(v.cmd_rk = esc_kafka_consumer_new(cli->conf, NULL, err, sizeof(err)))) {
                esc_cli_fail(ESC_EXIT_RUNTIME, "audit verify", "%s", err);
                goto out;
        }
        v.cmd_offset = -1;
        v.heads = esc_strmap_new();
        v.problems_json = json_array();
        int64_t trimmed = 0;
        for (v.partition = 0; v.partition < v.partitions; v.partition++) {
                esc_eventlog_stats_t st;
                if (cursor_start(&v, err, sizeof(err))) {
                        esc_cli_fail(ESC_EXIT_RUNTIME, "audit verify", "%s", err);
                        goto out;
                }
                if (esc_eventlog_scan(log, v.partition, RD_KAFKA_OFFSET_BEGINNING, NULL, verify_one,
                                      &v, &st, err, sizeof(err)) < 0) {
                        esc_cli_fail(ESC_EXIT_RUNTIME, "audit verify", "%s", err);
                        goto out;
                }
                if (st.low_watermark > 0) {
                        trimmed++;
                        v.problems++;
                        if (!v.json)
                                printf("PROBLEM %s[%d]: history trimmed: the first %lld events "
                                       "are gone (low watermark %lld); chains cannot be "
                                       "verified from their start\n",
                                       esc_eventlog_topic(log), (int)v.partition,
                                       (long long)st.low_watermark, (long long)st.low_watermark);
                }
        }
        if (v.json) {
                json_t *out =
                        json_pack("{s:I, s:I, s:i, s:I, s:O, s:b}", "events", (json_int_t)v.events,
                                  "incidents", (json_int_t)esc_strmap_count(v.heads), "partitions",
                                  v.partitions, "trimmed_partitions", (json_int_t)trimmed,
                                  "problems", v.problems_json, "ok", v.problems == 0);
                json_dumpf(out, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(out);
        } else {
                if (v.unverifiable)
                        printf("note: %lld events decide commands already removed from %s by "
                               "retention; their chain was checked, their command was not\n",
                               (long long)v.unverifiable, v.cmd_topic);
                printf("%s: %lld events, %zu incidents, %d partitions: %s\n",
                       esc_eventlog_topic(log), (long long)v.events, esc_strmap_count(v.heads),
                       v.partitions,
                       v.problems ? "PROBLEMS FOUND"
                                  : "chain intact, every event decides its command");
        }
        rc = v.problems ? ESC_EXIT_RUNTIME : ESC_EXIT_OK;
out:
        if (v.heads) {
                esc_strmap_foreach(v.heads, free_head, NULL);
                esc_strmap_destroy(v.heads);
        }
        json_decref(v.problems_json);
        cursor_forget(&v);
        if (v.cmd_rk) {
                rd_kafka_consumer_close(v.cmd_rk);
                rd_kafka_destroy(v.cmd_rk);
        }
        esc_eventlog_destroy(log);
        esc_codec_destroy(v.codec);
        return rc;
}
