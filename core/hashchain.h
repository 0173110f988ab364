/* hashchain.h — the per-incident hash chain and deterministic event ids.
 *
 * Every event carries prev_hash (the hash of the incident's previous event,
 * 32 zero bytes for seq 1) and hash = SHA-256(prev_hash || body), where body
 * is the event's Avro binary encoding with `hash` written as empty bytes
 * (esc_codec_event_body). Changing any byte of any event, dropping one or
 * inserting one breaks the chain from there on, which `esc audit verify`
 * reports.
 *
 * Event ids are derived, not random: SHA-256("esc.v1/event/" incident_id "/"
 * seq) shaped as an RFC 9562 version-8 UUID. A ledger that crashes and
 * re-decides a command produces byte-identical events, so consumers that
 * dedupe by (incident_id, seq) or by event_id agree. */
#ifndef ESC_HASHCHAIN_H
#define ESC_HASHCHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/codec.h"
#include "core/model.h"

/* Writes the deterministic id of (incident_id, seq) into out (37 bytes). */
void esc_hash_event_id(const char *incident_id, int64_t seq, char out[37]);

/* Computes ev->hash from ev->prev_hash and the event body. Returns 0, or -1
 * with errbuf if the event does not encode. */
int esc_hash_seal(esc_codec_t *codec, esc_event_t *ev, char *errbuf, size_t errbuf_size);

/* Seals and encodes in one pass: appends ev's framed message to out with
 * its hash computed and in place, and sets ev->hash. Equivalent to
 * esc_hash_seal followed by esc_codec_encode_event, with one validation and
 * one encoding instead of two (this is the ledger's hot path). */
int esc_hash_seal_encode(esc_codec_t *codec, esc_event_t *ev, esc_buf_t *out, char *errbuf,
                         size_t errbuf_size);

/* Recomputes the hash of ev and compares with ev->hash. Returns 1 if it
 * matches, 0 if not, -1 with errbuf if the event does not encode. */
int esc_hash_check(esc_codec_t *codec, const esc_event_t *ev, char *errbuf, size_t errbuf_size);

/* Like esc_hash_check, but hashes the body exactly as it was written (data,
 * len: the framed message from esc.events), so events written under an
 * older schema version still verify after the schema evolved. */
int esc_hash_check_written(esc_codec_t *codec, const esc_event_t *ev, const void *data, size_t len,
                           char *errbuf, size_t errbuf_size);

#endif
