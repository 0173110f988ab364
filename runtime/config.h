/* config.h — esc's configuration: esc.yaml, environment, the dev stack's
 * .esc/env, and built-in defaults (DESIGN §5).
 *
 * The YAML file is flattened into dotted keys ("kafka.bootstrap_servers",
 * "pagerduty.routing_keys.billing", "kafka.properties.sasl.mechanism"), so
 * every module reads what it needs by name and new keys need no new code
 * here. Precedence, lowest first:
 *
 *   built-in defaults < $ESC_DEV_DIR/env (default ./.esc/env, written by
 *   `esc dev up`) < the config file < environment variables (ESC_KAFKA_BROKERS,
 *   ESC_PG_URL, ESC_SLACK_API_URL, ESC_SLACK_TOKEN, ESC_LINEAR_API_URL,
 *   ESC_PAGERDUTY_URL) < command-line flags (--brokers, --pg).
 *
 * The config file is --config FILE, else $ESC_CONFIG, else ./esc.yaml if it
 * exists; naming a file that does not exist is an error, the default one
 * being absent is not. */
#ifndef ESC_CONFIG_H
#define ESC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct esc_config esc_config_t;

/* Loads the configuration. path may be NULL (then $ESC_CONFIG or
 * ./esc.yaml). Returns NULL with errbuf naming the file, line and key on a
 * malformed file. */
esc_config_t *esc_config_load(const char *path, char *errbuf, size_t errbuf_size);
/* Built-in defaults + env only; never fails. For tests and tools. */
esc_config_t *esc_config_new_defaults(void);
void esc_config_destroy(esc_config_t *conf);

/* Returns the value or NULL. The returned pointer lives as long as conf. */
const char *esc_config_get(const esc_config_t *conf, const char *key);
/* Returns the value or def. */
const char *esc_config_str(const esc_config_t *conf, const char *key, const char *def);
/* A whole number in [min, max], or def when the key is unset. Returns 0, or
 * -1 with errbuf naming the key, the value, the range and the config source:
 * a number that does not parse is an error, never silently the default. */
int esc_config_number(const esc_config_t *conf, const char *key, long long def, long long min,
                      long long max, long long *out, char *errbuf, size_t errbuf_size);
/* Sets (copies) a value with the highest precedence (used for CLI flags). */
void esc_config_set(esc_config_t *conf, const char *key, const char *value);

/* Calls fn for every key that starts with prefix (e.g. "kafka.properties."),
 * passing the remainder of the key. Stops early if fn returns non-zero and
 * returns that value. */
int esc_config_foreach(const esc_config_t *conf, const char *prefix,
                       int (*fn)(const char *subkey, const char *value, void *opaque),
                       void *opaque);

/* true for keys whose values must never be logged (token, secret,
 * password, sasl.*, ssl.key*). */
bool esc_config_is_secret(const char *key);

/* Where the config file came from ("built-in defaults" if none). */
const char *esc_config_source(const esc_config_t *conf);

/* The dev stack's directory: $ESC_DEV_DIR, else "./.esc". */
const char *esc_config_dev_dir(void);

/* Full topic name for a logical topic: prefix + name ("esc." + "events"). */
const char *esc_config_topic(const esc_config_t *conf, const char *name, char *buf, size_t size);

/* Default values (contract). */
#define ESC_DEFAULT_TOPIC_PREFIX "esc."
#define ESC_DEFAULT_PARTITIONS 12
#define ESC_DEFAULT_SLACK_API_URL "https://slack.com/api"
#define ESC_DEFAULT_LINEAR_API_URL "https://api.linear.app/graphql"
#define ESC_DEFAULT_PAGERDUTY_URL "https://events.pagerduty.com/v2/enqueue"
#define ESC_DEFAULT_POLICY_PATH "config/policy.yaml"

#endif
