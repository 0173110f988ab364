/* fuzz_decode.c — libFuzzer target for esc's Avro decoder.
 *
 * Every input is decoded as an event and as a command, through both
 * framings and the older-schema resolution path, and cut into its
 * hash-chain body (esc_codec_event_body_as_written). The decoder faces bytes
 * from any producer on the topic, so on no input may it crash, read out of
 * bounds, allocate what a hostile length claims, or leak.
 *
 * Built by tests/fuzz/run, which also builds this file with
 * -DESC_FUZZ_MAKE_SEEDS into a program that writes a seed corpus (valid
 * frames of every type, and bodies behind the older schema's fingerprint). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/schema_canon.h"
#include "tests/unit/codec_fixtures.h"

static esc_codec_t *codec_once(void)
{
        static esc_codec_t *codec;
        char err[512];

        if (!codec) {
                codec = esc_codec_new_with(NULL, err, sizeof(err));
                if (!codec) {
                        fprintf(stderr, "fuzz_decode: %s\n", err);
                        abort();
                }
        }
        return codec;
}

#ifndef ESC_FUZZ_MAKE_SEEDS

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        esc_codec_t *codec = codec_once();
        esc_event_t ev;
        esc_command_t cmd;
        char err[512];

        esc_event_init(&ev, ESC_EV_ESCALATION_OPENED);
        if (esc_codec_decode_event(codec, data, size, &ev, err, sizeof(err)) == ESC_CODEC_OK) {
                /* Whatever decodes must also encode: decode validated it. */
                esc_buf_t out;
                esc_buf_init(&out, 0);
                if (esc_codec_encode_event(codec, &ev, &out, err, sizeof(err)) != ESC_CODEC_OK)
                        abort();
                esc_buf_free(&out);
        }
        esc_event_clear(&ev);

        esc_buf_t body;
        esc_buf_init(&body, 0);
        (void)esc_codec_event_body_as_written(codec, data, size, &body, err, sizeof(err));
        esc_buf_free(&body);

        esc_command_init(&cmd, ESC_CMD_OPEN);
        if (esc_codec_decode_command(codec, data, size, &cmd, err, sizeof(err)) == ESC_CODEC_OK) {
                esc_buf_t out;
                esc_buf_init(&out, 0);
                if (esc_codec_encode_command(codec, &cmd, &out, err, sizeof(err)) != ESC_CODEC_OK)
                        abort();
                esc_buf_free(&out);
        }
        esc_command_clear(&cmd);
        return 0;
}

#else

static void write_seed(const char *dir, const char *name, int i, const void *p, size_t n)
{
        char path[1024];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s-%02d", dir, name, i);
        f = fopen(path, "wb");
        if (!f || fwrite(p, 1, n, f) != n) {
                perror(path);
                exit(1);
        }
        fclose(f);
}

int main(int argc, char **argv)
{
        esc_codec_t *codec = codec_once();
        const char *old = esc_schema_embedded("schemas/old/esc.v1.Event.v0.avsc");
        esc_buf_t b;
        uint64_t old_fp = 0;
        char err[512];

        if (argc != 2) {
                fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
                return 2;
        }
        if (old && esc_schema_fingerprint(old, strlen(old), &old_fp, err, sizeof(err)))
                return 1;
        esc_buf_init(&b, 0);
        for (int v = 0; v < 2; v++)
                for (int t = 0; t < ESC_EV__COUNT; t++) {
                        esc_event_t ev;
                        codec_fixture_event(&ev, (esc_event_type_t)t, v);
                        esc_buf_reset(&b);
                        esc_codec_encode_event(codec, &ev, &b, err, sizeof(err));
                        write_seed(argv[1], v ? "event-min" : "event", t, b.data, b.len);
                        /* The same body behind the older schema's fingerprint. */
                        for (int k = 0; k < 8; k++)
                                b.data[2 + k] = (char)(old_fp >> (8 * k));
                        write_seed(argv[1], v ? "event-v0-min" : "event-v0", t, b.data, b.len);
                        esc_event_clear(&ev);
                }
        for (int t = 0; t < ESC_CMD__COUNT; t++) {
                esc_command_t cmd;
                codec_fixture_command(&cmd, (esc_command_type_t)t, FIXTURE_FULL);
                esc_buf_reset(&b);
                esc_codec_encode_command(codec, &cmd, &b, err, sizeof(err));
                write_seed(argv[1], "command", t, b.data, b.len);
                esc_command_clear(&cmd);
        }
        esc_buf_free(&b);
        esc_codec_destroy(codec);
        return 0;
}

#endif
