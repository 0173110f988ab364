/* bench_codec.c — events/s and bytes/event of esc's Avro codec, beside a
 * raw avro-c generic-value loop on the same records, in the same run.
 *
 * The mix follows one Sev 1 incident's life (open, severity, owners,
 * channel, tracking issue, page, acknowledgement, updates, mitigation,
 * resolution, review with actions, confirmation, close), cycled.
 *
 * "ours" is the whole codec: model structs -> validated framed bytes ->
 * validated model structs with owned strings. "raw" is avro-c alone:
 * avro_value_write of an already-populated generic value and avro_value_read
 * into another — no model mapping, no validation, no framing — so the ratio
 * is conservative: raw does strictly less work than ours.
 *
 * Usage: bench_codec [seconds per measurement, default 2] */
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/util.h"
#include "runtime/registry.h"
#include "runtime/sys.h"
#include "tests/unit/codec_fixtures.h"

static const esc_event_type_t life[] = {
        ESC_EV_ESCALATION_OPENED,
        ESC_EV_SEVERITY_ASSIGNED,
        ESC_EV_OWNER_ASSIGNED,
        ESC_EV_OWNER_ASSIGNED,
        ESC_EV_OWNER_ASSIGNED,
        ESC_EV_CHANNEL_CREATED,
        ESC_EV_TRACKING_ISSUE_LINKED,
        ESC_EV_PAGE_SENT,
        ESC_EV_ACKNOWLEDGED,
        ESC_EV_CUSTOMER_UPDATE_POSTED,
        ESC_EV_CUSTOMER_UPDATE_POSTED,
        ESC_EV_UPDATE_OVERDUE,
        ESC_EV_CUSTOMER_UPDATE_POSTED,
        ESC_EV_CUSTOMER_UPDATE_POSTED,
        ESC_EV_SEVERITY_OVERRIDDEN,
        ESC_EV_COMMAND_REJECTED,
        ESC_EV_MITIGATED,
        ESC_EV_CUSTOMER_UPDATE_POSTED,
        ESC_EV_REVIEW_OPENED,
        ESC_EV_CORRECTIVE_ACTION_ADDED,
        ESC_EV_CORRECTIVE_ACTION_ADDED,
        ESC_EV_RESOLVED,
        ESC_EV_CUSTOMER_CONFIRMED,
        ESC_EV_CLOSED,
        ESC_EV_REVIEW_COMPLETED,
};
#define N_LIFE ((int)(sizeof(life) / sizeof(life[0])))

static void die(const char *what, const char *why)
{
        fprintf(stderr, "bench_codec: %s: %s\n", what, why);
        exit(1);
}

int main(int argc, char **argv)
{
        double secs = argc > 1 ? atof(argv[1]) : 2.0;
        char err[512];
        esc_codec_t *codec = esc_codec_new(NULL, err, sizeof(err));
        esc_event_t evs[N_LIFE], back;
        esc_buf_t buf;
        size_t total_bytes = 0;

        if (!codec)
                die("codec", err);
        if (secs <= 0)
                secs = 2.0;
        esc_buf_init(&buf, 0);
        esc_event_init(&back, ESC_EV_ESCALATION_OPENED);
        for (int i = 0; i < N_LIFE; i++) {
                codec_fixture_event(&evs[i], life[i], FIXTURE_FULL);
                evs[i].seq = i + 1;
                esc_buf_reset(&buf);
                if (esc_codec_encode_event(codec, &evs[i], &buf, err, sizeof(err)))
                        die("encode", err);
                total_bytes += buf.len;
        }

        /* ---- ours ---- */
        long long n_ours = 0;
        int64_t t0 = esc_mono_us(), deadline = t0 + (int64_t)(secs * 1e6), t1;
        do {
                for (int k = 0; k < 16; k++)
                        for (int i = 0; i < N_LIFE; i++) {
                                esc_buf_reset(&buf);
                                if (esc_codec_encode_event(codec, &evs[i], &buf, err,
                                                           sizeof(err)) ||
                                    esc_codec_decode_event(codec, buf.data, buf.len, &back, err,
                                                           sizeof(err)))
                                        die("ours", err);
                        }
                n_ours += 16 * N_LIFE;
                t1 = esc_mono_us();
        } while (t1 < deadline);
        double ours = (double)n_ours / ((double)(t1 - t0) / 1e6);

        /* ---- raw avro-c on the same records ---- */
        const char *json = esc_schema_embedded(ESC_SCHEMA_EVENT_PATH);
        avro_schema_t schema;
        if (avro_schema_from_json_length(json, strlen(json), &schema))
                die("avro-c schema", avro_strerror());
        avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
        avro_value_t vals[N_LIFE], out;
        static char wbuf[1 << 16];
        avro_writer_t w = avro_writer_memory(wbuf, sizeof(wbuf));
        avro_reader_t r = avro_reader_memory(wbuf, sizeof(wbuf));
        avro_generic_value_new(iface, &out);
        for (int i = 0; i < N_LIFE; i++) {
                avro_generic_value_new(iface, &vals[i]);
                esc_buf_reset(&buf);
                esc_codec_encode_event(codec, &evs[i], &buf, err, sizeof(err));
                avro_reader_memory_set_source(r, buf.data + 10, (int64_t)(buf.len - 10));
                if (avro_value_read(r, &vals[i]))
                        die("avro-c read", avro_strerror());
        }
        long long n_raw = 0;
        t0 = esc_mono_us();
        deadline = t0 + (int64_t)(secs * 1e6);
        do {
                for (int k = 0; k < 16; k++)
                        for (int i = 0; i < N_LIFE; i++) {
                                avro_writer_memory_set_dest(w, wbuf, sizeof(wbuf));
                                if (avro_value_write(w, &vals[i]))
                                        die("avro-c write", avro_strerror());
                                avro_reader_memory_set_source(r, wbuf, avro_writer_tell(w));
                                if (avro_value_read(r, &out))
                                        die("avro-c read", avro_strerror());
                        }
                n_raw += 16 * N_LIFE;
                t1 = esc_mono_us();
        } while (t1 < deadline);
        double raw = (double)n_raw / ((double)(t1 - t0) / 1e6);

        double bytes = (double)total_bytes / N_LIFE;
        printf("codec benchmark: encode+decode of a %d-event incident lifecycle, %.1f s each\n",
               N_LIFE, secs);
        printf("%-34s %14s %12s %12s\n", "", "events/s", "ns/event", "bytes/event");
        printf("%-34s %14.0f %12.0f %12.1f\n", "esc codec (framed, validated)", ours, 1e9 / ours,
               bytes);
        printf("%-34s %14.0f %12.0f %12.1f\n", "raw avro-c generic value", raw, 1e9 / raw,
               bytes - 10);
        printf("RESULT codec ours=%.0f raw=%.0f unit=events/s\n", ours, raw);
        printf("RATIO codec %.2f\n", ours / raw);

        for (int i = 0; i < N_LIFE; i++) {
                avro_value_decref(&vals[i]);
                esc_event_clear(&evs[i]);
        }
        avro_value_decref(&out);
        avro_value_iface_decref(iface);
        avro_schema_decref(schema);
        avro_writer_free(w);
        avro_reader_free(r);
        esc_event_clear(&back);
        esc_buf_free(&buf);
        esc_codec_destroy(codec);
        return 0;
}
