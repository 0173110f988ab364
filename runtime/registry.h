/* registry.h — a small Confluent Schema Registry client (REST, libcurl).
 *
 * Used by the codec when schema_registry.url is set: it registers today's
 * schemas under the subject "<topic>-value" and fetches writer schemas by
 * the id found in Confluent-framed messages. Both directions are cached,
 * so a registry is asked once per schema per process.
 *
 * Errors: 409 (incompatible) and 422 (invalid schema) are refusals,
 * reported at once and never retried; 404 on fetch is an unknown id
 * (ESC_CODEC_ERR_UNKNOWN_SCHEMA); 5xx and connection failures are retried
 * with exponential backoff, then reported as ESC_CODEC_ERR_REGISTRY.
 *
 * Thread safety: one thread at a time, like the codec that owns it. */
#ifndef ESC_REGISTRY_H
#define ESC_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "core/codec.h"
#include "runtime/config.h"

typedef struct esc_registry esc_registry_t;

/* The codec as the configuration wants it: with a registry client for
 * schema_registry.url (subjects "<prefix>events-value", "<prefix>commands-
 * value"), else without. conf may be NULL (no registry). Returns NULL with
 * errbuf. */
esc_codec_t *esc_codec_new(const esc_config_t *conf, char *errbuf, size_t errbuf_size);

/* url: the registry base URL ("http://127.0.0.1:8081"), at most 1 KiB. */
esc_registry_t *esc_registry_new(const char *url, char *errbuf, size_t errbuf_size);
void esc_registry_destroy(esc_registry_t *reg);

/* Retry policy for 5xx/connection errors: attempts in all (>= 1) and the
 * first backoff in milliseconds (doubled each time). Default 4, 100 ms. */
void esc_registry_set_retry(esc_registry_t *reg, int attempts, int backoff_ms);

/* POST /subjects/<subject>/versions with {"schema": schema_json}; *id is the
 * registry's id for it. Cached per (subject, schema). */
esc_codec_err_t esc_registry_register(esc_registry_t *reg, const char *subject,
                                      const char *schema_json, int32_t *id, char *errbuf,
                                      size_t errbuf_size);

/* GET /schemas/ids/<id>. *schema_json stays valid as long as reg. */
esc_codec_err_t esc_registry_fetch(esc_registry_t *reg, int32_t id, const char **schema_json,
                                   char *errbuf, size_t errbuf_size);

#endif
