/* audit_verify.c — `esc audit verify`: walk esc.events and prove that every
 * incident's history is whole and untampered; and the `esc audit`
 * dispatcher.
 *
 * Per incident the walk keeps the head of the verified chain (seq, hash).
 * An event is accepted only if it is the next seq, links to the head
 * (prev_hash), hashes to its own `hash`, carries the id derived from
 * (incident, seq), sits in the partition of its key and names its command
 * partition. Anything else is reported with incident, seq and topic
 * position, and does not advance the head, so one forged or altered event is
 * reported once instead of breaking every event after it. Memory: one head
 * (~48 bytes + id) per incident. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/eventlog.h"
#include "ledger/hashchain.h"
#include "producers/commands.h"
#include "runtime/kafka.h"
#include "runtime/strmap.h"

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
};

static void problem(struct verify *v, const rd_kafka_message_t *m, const char *incident,
                    int64_t seq, const char *what)
{
        v->problems++;
        if (v->json) {
                json_array_append_new(v->problems_json,
                                      json_pack("{s:s?, s:I, s:i, s:I, s:s}", "incident_id",
                                                incident, "seq", (json_int_t)seq, "partition",
                                                (int)m->partition, "offset",
                                                (json_int_t)m->offset, "problem", what));
                return;
        }
        printf("PROBLEM incident=%s seq=%lld at %s[%d]@%lld: %s\n", incident ? incident : "?",
               (long long)seq, rd_kafka_topic_name(m->rkt), (int)m->partition,
               (long long)m->offset, what);
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
        int ok = esc_hash_check(v->codec, ev, err, sizeof(err));
        if (ok != 1) {
                problem(v, m, inc, ev->seq,
                        ok < 0 ? err : "hash mismatch: event altered or not written by the ledger");
                return 0;
        }
        esc_hash_event_id(inc, ev->seq, id);
        if (!ev->event_id || strcmp(ev->event_id, id)) {
                problem(v, m, inc, ev->seq, "event_id is not the one derived from incident and seq");
                return 0;
        }
        if (ev->command_partition != v->partition) {
                problem(v, m, inc, ev->seq, "command_partition differs from the event partition");
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

static int cmd_verify(esc_cli_t *cli, int argc, char **argv)
{
        char err[512];
        int rc = ESC_EXIT_RUNTIME;
        struct verify v = {.json = cli->json};

        if (esc_cli_wants_help(argc, argv)) {
                printf("usage: esc audit verify\n\n"
                       "Walks every partition of esc.events and checks each incident's history:\n"
                       "seq gap-free and unique, prev_hash links, SHA-256 hashes, derived event\n"
                       "ids, partitioning. Prints one PROBLEM line per finding (incident, seq,\n"
                       "topic position) and exits 1 if there is any.\n");
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
        v.heads = esc_strmap_new();
        v.problems_json = json_array();
        int64_t trimmed = 0;
        for (v.partition = 0; v.partition < v.partitions; v.partition++) {
                esc_eventlog_stats_t st;
                if (esc_eventlog_scan(log, v.partition, RD_KAFKA_OFFSET_BEGINNING, NULL,
                                      verify_one, &v, &st, err, sizeof(err)) < 0) {
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
                                       (long long)st.low_watermark,
                                       (long long)st.low_watermark);
                }
        }
        if (v.json) {
                json_t *out = json_pack("{s:I, s:I, s:i, s:I, s:O, s:b}", "events",
                                        (json_int_t)v.events, "incidents",
                                        (json_int_t)esc_strmap_count(v.heads), "partitions",
                                        v.partitions, "trimmed_partitions", (json_int_t)trimmed,
                                        "problems", v.problems_json, "ok", v.problems == 0);
                json_dumpf(out, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(out);
        } else {
                printf("%s: %lld events, %zu incidents, %d partitions: %s\n",
                       esc_eventlog_topic(log), (long long)v.events, esc_strmap_count(v.heads),
                       v.partitions, v.problems ? "PROBLEMS FOUND" : "chain intact");
        }
        rc = v.problems ? ESC_EXIT_RUNTIME : ESC_EXIT_OK;
out:
        if (v.heads) {
                esc_strmap_foreach(v.heads, free_head, NULL);
                esc_strmap_destroy(v.heads);
        }
        json_decref(v.problems_json);
        esc_eventlog_destroy(log);
        esc_codec_destroy(v.codec);
        return rc;
}

int esc_cmd_audit(esc_cli_t *cli, int argc, char **argv)
{
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
                fprintf(argc < 2 ? stderr : stdout,
                        "usage: esc audit overrides [--account A] [--since T] [--format text|json|csv]\n"
                        "       esc audit verify\n\n"
                        "  overrides  every severity override and refused override, with who and why\n"
                        "  verify     check the hash chain, seq continuity and ids of esc.events\n");
                return argc < 2 ? ESC_EXIT_USAGE : ESC_EXIT_OK;
        }
        if (!strcmp(argv[1], "verify"))
                return cmd_verify(cli, argc - 1, argv + 1);
        if (!strcmp(argv[1], "overrides"))
                return esc_audit_overrides_main(cli, argc - 1, argv + 1);
        return esc_cli_fail(ESC_EXIT_USAGE, "audit", "unknown subcommand '%s' (overrides or verify)",
                            argv[1]);
}
