/* codec.h — esc events and commands <-> framed Avro binary (DESIGN §2).
 *
 * A codec holds the parsed writer schemas (schemas/esc.v1.Event.avsc and
 * schemas/esc.v1.Command.avsc, compiled in), their CRC-64-AVRO
 * fingerprints, and — when schema_registry.url is set — a registry client
 * with an id cache.
 *
 * Framing on encode: Avro single-object encoding (C3 01 + little-endian
 * 8-byte fingerprint + body) by default; Confluent wire format (0x00 +
 * big-endian 4-byte schema id + body) when a registry is configured.
 * Decode accepts both, and resolves bodies written with an older known
 * schema version through avro-c's resolved reader.
 *
 * Thread safety: a codec is used by one thread at a time (workers own one
 * each); the registry id cache is internal to the codec. */
#ifndef ESC_CODEC_H
#define ESC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/model.h"
#include "runtime/config.h"
#include "runtime/util.h"

typedef struct esc_codec esc_codec_t;

typedef enum {
        ESC_CODEC_OK = 0,
        ESC_CODEC_ERR_FRAMING,      /* not single-object nor Confluent framing, truncated header */
        ESC_CODEC_ERR_UNKNOWN_SCHEMA, /* unknown fingerprint or registry id */
        ESC_CODEC_ERR_CORRUPT,      /* body does not decode under the schema */
        ESC_CODEC_ERR_INVALID,      /* decodes, but a field breaks the model's caps (UTF-8, length, range) */
        ESC_CODEC_ERR_REGISTRY,     /* registry unreachable or refused (retriable) */
        ESC_CODEC_ERR_INTERNAL,
} esc_codec_err_t;

/* conf may be NULL (no registry). Returns NULL with errbuf on failure. */
esc_codec_t *esc_codec_new(const esc_config_t *conf, char *errbuf, size_t errbuf_size);
void esc_codec_destroy(esc_codec_t *codec);

/* Encodes into out (appended; caller resets). Validates the value first
 * (esc_event_validate / esc_command_validate). */
esc_codec_err_t esc_codec_encode_event(esc_codec_t *codec, const esc_event_t *ev, esc_buf_t *out,
                                       char *errbuf, size_t errbuf_size);
esc_codec_err_t esc_codec_encode_command(esc_codec_t *codec, const esc_command_t *cmd,
                                         esc_buf_t *out, char *errbuf, size_t errbuf_size);

/* Decodes a framed message. ev/cmd must be initialised; on success they own
 * the decoded strings (esc_event_clear to release), on failure they are left
 * cleared. errbuf says why in one line, fit for the `esc-error` header. */
esc_codec_err_t esc_codec_decode_event(esc_codec_t *codec, const void *data, size_t len,
                                       esc_event_t *ev, char *errbuf, size_t errbuf_size);
esc_codec_err_t esc_codec_decode_command(esc_codec_t *codec, const void *data, size_t len,
                                         esc_command_t *cmd, char *errbuf, size_t errbuf_size);

/* The canonical binary encoding of an event for the hash chain (DESIGN §2):
 * the unframed Avro body of ev under today's schema, with `hash` written as
 * empty bytes. hash = SHA-256(prev_hash || this). Appends to out. */
esc_codec_err_t esc_codec_event_body(esc_codec_t *codec, const esc_event_t *ev, esc_buf_t *out,
                                     char *errbuf, size_t errbuf_size);

const char *esc_codec_strerror(esc_codec_err_t err);

#endif
