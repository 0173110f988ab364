/* prog_kafka_consume — integration-test helper: read a topic from the
 * beginning of every partition and check that the N records written by
 * prog_kafka_produce with the same tag are all there, each exactly once.
 *
 *   prog_kafka_consume --topic esc.events --count 100 --tag run42 [--timeout-ms 60000]
 *
 * It reads with assign() (no group, no committed offsets), so running it
 * twice reads the same records twice: that is how the tests prove history
 * survives a broker restart. Records with other tags are ignored. Exit 0
 * if all N were found with no duplicate, 1 otherwise (with what is
 * missing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/config.h"
#include "runtime/kafka.h"
#include "core/util.h"
#include "runtime/sys.h"

int main(int argc, char **argv)
{
        const char *topic = "esc.events", *tag = "t";
        long count = 10, timeout_ms = 60000, found = 0, dups = 0, others = 0;
        char errbuf[512], prefix[128];
        unsigned char *seen;
        esc_config_t *conf;
        rd_kafka_t *rk;
        rd_kafka_topic_partition_list_t *parts;
        int nparts;
        int64_t deadline;

        for (int i = 1; i + 1 < argc; i += 2) {
                if (!strcmp(argv[i], "--topic"))
                        topic = argv[i + 1];
                else if (!strcmp(argv[i], "--count"))
                        count = atol(argv[i + 1]);
                else if (!strcmp(argv[i], "--tag"))
                        tag = argv[i + 1];
                else if (!strcmp(argv[i], "--timeout-ms"))
                        timeout_ms = atol(argv[i + 1]);
                else {
                        fprintf(stderr, "prog_kafka_consume: unknown option %s\n", argv[i]);
                        return 2;
                }
        }
        if (count < 1 || count > 10000000) {
                fprintf(stderr, "prog_kafka_consume: --count must be 1..10000000\n");
                return 2;
        }
        snprintf(prefix, sizeof(prefix), "%s-", tag);
        conf = esc_config_load(NULL, errbuf, sizeof(errbuf));
        if (!conf) {
                fprintf(stderr, "prog_kafka_consume: %s\n", errbuf);
                return 1;
        }
        rk = esc_kafka_consumer_new(conf, NULL, errbuf, sizeof(errbuf));
        if (!rk) {
                fprintf(stderr, "prog_kafka_consume: %s\n", errbuf);
                esc_config_destroy(conf);
                return 1;
        }
        nparts = esc_kafka_partition_count(rk, topic, 10000, errbuf, sizeof(errbuf));
        if (nparts < 1) {
                fprintf(stderr, "prog_kafka_consume: %s\n", errbuf);
                rd_kafka_destroy(rk);
                esc_config_destroy(conf);
                return 1;
        }
        parts = rd_kafka_topic_partition_list_new(nparts);
        for (int p = 0; p < nparts; p++)
                rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);

        seen = esc_xcalloc((size_t)count, 1);
        deadline = esc_mono_us() + timeout_ms * 1000;
        while (found < count && esc_mono_us() < deadline) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
                if (!m)
                        continue;
                if (!m->err && m->len > strlen(prefix) &&
                    !memcmp(m->payload, prefix, strlen(prefix))) {
                        /* "<tag>-<i>" or "<tag>-<i>:<padding>" */
                        char num[32];
                        const char *digits = (const char *)m->payload + strlen(prefix);
                        size_t n = m->len - strlen(prefix);
                        const char *colon = memchr(digits, ':', n);
                        if (colon)
                                n = (size_t)(colon - digits);
                        if (n >= sizeof(num))
                                n = 0; /* not one of ours */
                        memcpy(num, digits, n);
                        num[n] = '\0';
                        char *end;
                        long i = strtol(num, &end, 10);
                        if (n > 0 && *end == '\0' && i >= 0 && i < count) {
                                if (seen[i])
                                        dups++;
                                else
                                        found++;
                                seen[i] = 1;
                        } else {
                                others++;
                        }
                } else if (!m->err) {
                        others++;
                }
                rd_kafka_message_destroy(m);
        }
        printf("consumed %ld of %ld tagged %s from %s (%ld duplicates, %ld other records)\n", found,
               count, tag, topic, dups, others);
        if (found < count) {
                long shown = 0;
                fprintf(stderr, "prog_kafka_consume: missing after %ld ms:", timeout_ms);
                for (long i = 0; i < count && shown < 10; i++)
                        if (!seen[i]) {
                                fprintf(stderr, " %s%ld", prefix, i);
                                shown++;
                        }
                fprintf(stderr, "%s\n", count - found > 10 ? " ..." : "");
        }
        free(seen);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        esc_config_destroy(conf);
        return found == count && dups == 0 ? 0 : 1;
}
