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
 * Decode accepts both, and resolves bodies written with an older schema
 * version (schemas/old/, or any esc.v1 schema a registry id names) by the
 * Avro resolution rules: fields matched by name, fields added since take
 * their null default, enum symbols matched by name.
 *
 * Decoding is hardened for hostile input: every length and count is checked
 * against the bytes left and capped (strings ESC_MAX_TEXT, lists
 * ESC_MAX_LIST) before anything is allocated, every string is checked for
 * UTF-8 and NUL bytes as it is read, and every decoded value passes
 * esc_event_validate_decoded / esc_command_validate_decoded (the same rules
 * as esc_*_validate). Every failure yields an
 * esc_codec_err_t and a one-line message naming the field and byte offset,
 * fit for the dead-letter `esc-error` header.
 *
 * Thread safety: a codec is used by one thread at a time (workers own one
 * each); the registry id cache is internal to the codec. */
#ifndef ESC_CODEC_H
#define ESC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/util.h"

typedef struct esc_codec esc_codec_t;

typedef enum {
        ESC_CODEC_OK = 0,
        ESC_CODEC_ERR_FRAMING, /* not single-object nor Confluent framing, truncated header */
        ESC_CODEC_ERR_UNKNOWN_SCHEMA, /* unknown fingerprint or registry id */
        ESC_CODEC_ERR_CORRUPT,        /* body does not decode under the schema */
        ESC_CODEC_ERR_INVALID,  /* decodes, but a field breaks the model's caps (UTF-8, length,
                                   range) */
        ESC_CODEC_ERR_REGISTRY, /* registry unreachable or refused (retriable) */
        ESC_CODEC_ERR_INTERNAL,
} esc_codec_err_t;

/* Where schemas live outside the process (a Confluent Schema Registry):
 * the codec registers today's schemas under subject[kind] (0 events, 1
 * commands: "<topic>-value") and looks writers up by the id of a
 * Confluent-framed message. Both answers are cached by the codec, so each
 * is asked once per schema. runtime/registry.h provides one over HTTP. */
typedef struct esc_codec_registry {
        void *opaque;
        char subject[2][256];
        esc_codec_err_t (*register_schema)(void *opaque, const char *subject,
                                           const char *schema_json, int32_t *id, char *errbuf,
                                           size_t errbuf_size);
        /* *schema_json stays valid as long as opaque. */
        esc_codec_err_t (*fetch)(void *opaque, int32_t id, const char **schema_json, char *errbuf,
                                 size_t errbuf_size);
        void (*destroy)(void *opaque);
} esc_codec_registry_t;

/* reg NULL: no registry (single-object encoding; Confluent-framed input is
 * refused with the fix). The codec copies *reg and owns reg->opaque from
 * here on, also when it fails (reg->destroy). Returns NULL with errbuf.
 * Processes build theirs from the configuration with esc_codec_new
 * (runtime/registry.h). */
esc_codec_t *esc_codec_new_with(const esc_codec_registry_t *reg, char *errbuf, size_t errbuf_size);
void esc_codec_destroy(esc_codec_t *codec);

/* Encodes into out (appended; caller resets). Validates the value first
 * (esc_event_validate / esc_command_validate). */
esc_codec_err_t esc_codec_encode_event(esc_codec_t *codec, const esc_event_t *ev, esc_buf_t *out,
                                       char *errbuf, size_t errbuf_size);
esc_codec_err_t esc_codec_encode_command(esc_codec_t *codec, const esc_command_t *cmd,
                                         esc_buf_t *out, char *errbuf, size_t errbuf_size);
/* esc_codec_encode_command for a command the caller has just passed through
 * esc_command_validate, unchanged since (the CLI's builder ends with it):
 * spares validating every string a second time on the bulk paths. */
esc_codec_err_t esc_codec_encode_valid_command(esc_codec_t *codec, const esc_command_t *cmd,
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

/* The ledger's one-pass path (see esc_hash_seal_encode): encodes ev framed
 * with `hash` as empty bytes and reports where the body starts (*body_at)
 * and where the empty hash's length byte is (*hash_at), both offsets in
 * out. out[*body_at..] is then exactly esc_codec_event_body(ev). */
esc_codec_err_t esc_codec_encode_event_unsealed(esc_codec_t *codec, const esc_event_t *ev,
                                                esc_buf_t *out, size_t *body_at, size_t *hash_at,
                                                char *errbuf, size_t errbuf_size);

/* The hash-chain body of a framed event message as it was written: the
 * body under the writer's own schema (today's or an older one), with `hash`
 * as empty bytes. For events esc wrote under today's schema this equals
 * esc_codec_event_body of the decoded event; for events written under an
 * older schema it is what was hashed then, which re-encoding under today's
 * schema would not reproduce. Verifiers (esc audit verify) should hash this.
 * Appends to out. */
esc_codec_err_t esc_codec_event_body_as_written(esc_codec_t *codec, const void *data, size_t len,
                                                esc_buf_t *out, char *errbuf, size_t errbuf_size);

const char *esc_codec_strerror(esc_codec_err_t err);

/* CRC-64-AVRO fingerprints of today's writer schemas (the ones encode uses;
 * single-object frames carry them little-endian after C3 01). */
uint64_t esc_codec_event_fingerprint(const esc_codec_t *codec);
uint64_t esc_codec_command_fingerprint(const esc_codec_t *codec);

/* The Avro schema texts compiled into the binary: the .avsc files of schemas/ and the
 * older versions in schemas/old/ (made into C at build time by
 * scripts/embed). path is relative to the source tree. */
typedef struct esc_schema_text {
        const char *path;
        const char *json;
} esc_schema_text_t;
extern const esc_schema_text_t esc_schemas_embedded[];
extern const size_t esc_schemas_embedded_count;
/* The embedded text of a path ("schemas/esc.v1.Event.avsc"), or NULL. */
const char *esc_schema_embedded(const char *path);

#define ESC_SCHEMA_EVENT_PATH "schemas/esc.v1.Event.avsc"
#define ESC_SCHEMA_COMMAND_PATH "schemas/esc.v1.Command.avsc"

#endif
