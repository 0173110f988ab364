/* schema_canon.h — Avro Parsing Canonical Form and CRC-64-AVRO fingerprints.
 *
 * Implemented from the Avro specification ("Parsing Canonical Form for
 * Schemas" and "Schema Fingerprints"), because avro-c has neither. Two
 * schemas that read data identically have the same canonical form, so its
 * fingerprint identifies a writer schema in single-object framing
 * (C3 01 + 8-byte little-endian fingerprint). */
#ifndef ESC_SCHEMA_CANON_H
#define ESC_SCHEMA_CANON_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* Largest schema text accepted (the whole esc Event schema is ~20 KiB). */
#define ESC_SCHEMA_MAX_TEXT ((size_t)1 << 20)

/* Appends the Parsing Canonical Form of the schema JSON text json[0..len)
 * to out. Returns 0, or -1 with errbuf saying what is malformed and where
 * ("fields[2].type: unknown type \"strnig\""). */
int esc_schema_canonical(const char *json, size_t len, esc_buf_t *out, char *errbuf,
                         size_t errbuf_size);

/* CRC-64-AVRO of a byte string (the spec's "Rabin" fingerprint). */
uint64_t esc_schema_crc64(const void *data, size_t len);

/* Canonical form, then its CRC-64-AVRO. Returns 0 or -1 with errbuf. */
int esc_schema_fingerprint(const char *json, size_t len, uint64_t *fp, char *errbuf,
                           size_t errbuf_size);

#endif
