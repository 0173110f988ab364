/* config.c — esc.yaml flattened into dotted keys, layered with the dev
 * stack's env file, environment variables and command-line flags.
 *
 * A flat key/value table keeps this module ignorant of what the keys mean:
 * workers ask for "slack.api_url" or iterate "kafka.properties.". The table
 * is small (tens of keys), so lookups are a linear scan; each entry remembers
 * the layer that set it so a lower layer never overrides a higher one. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "runtime/config.h"
#include "core/util.h"
#include "runtime/sys.h"

enum layer { L_DEFAULT, L_DEVENV, L_FILE, L_ENV, L_FLAG };

struct entry {
        char *key;
        char *value;
        enum layer layer;
};

struct esc_config {
        struct entry *v;
        int n, alloc;
        char *source;
};

#define MAX_KEY 256
#define MAX_DEPTH 16
#define MAX_CONFIG_FILE (1 << 20)

static const struct {
        const char *env;
        const char *key;
} env_keys[] = {
        {"ESC_KAFKA_BROKERS", "kafka.bootstrap_servers"},
        {"ESC_TOPIC_PREFIX", "kafka.topic_prefix"},
        {"ESC_PG_URL", "postgres.url"},
        {"ESC_SCHEMA_REGISTRY_URL", "schema_registry.url"},
        {"ESC_POLICY", "policy"},
        {"ESC_SLACK_API_URL", "slack.api_url"},
        {"ESC_SLACK_TOKEN", "slack.token"},
        {"ESC_LINEAR_API_URL", "linear.api_url"},
        {"ESC_LINEAR_TOKEN", "linear.token"},
        {"ESC_PAGERDUTY_URL", "pagerduty.events_url"},
        {"ESC_ZENDESK_SECRET", "webhook.zendesk_secret"},
        {"ESC_SLACK_SIGNING_SECRET", "webhook.slack_signing_secret"},
        {"ESC_PYLON_SECRET", "webhook.pylon_secret"},
        {"ESC_ZENDESK_URL", "zendesk.url"},
        {"ESC_ZENDESK_EMAIL", "zendesk.email"},
        {"ESC_ZENDESK_API_TOKEN", "zendesk.api_token"},
        {"ESC_METRICS_LISTEN", "metrics.listen"},
        {"ESC_DEV_BROKER", "dev.broker"},
};

static void put(esc_config_t *c, const char *key, const char *value, enum layer layer)
{
        for (int i = 0; i < c->n; i++) {
                if (strcmp(c->v[i].key, key))
                        continue;
                if (c->v[i].layer > layer)
                        return;
                free(c->v[i].value);
                c->v[i].value = esc_strdup(value);
                c->v[i].layer = layer;
                return;
        }
        if (c->n == c->alloc) {
                c->alloc = c->alloc ? c->alloc * 2 : 32;
                c->v = esc_xrealloc(c->v, (size_t)c->alloc * sizeof(*c->v));
        }
        c->v[c->n].key = esc_strdup(key);
        c->v[c->n].value = esc_strdup(value);
        c->v[c->n].layer = layer;
        c->n++;
}

static void load_defaults(esc_config_t *c)
{
        char n[16];

        put(c, "kafka.bootstrap_servers", "127.0.0.1:9092", L_DEFAULT);
        put(c, "kafka.topic_prefix", ESC_DEFAULT_TOPIC_PREFIX, L_DEFAULT);
        put(c, "slack.api_url", ESC_DEFAULT_SLACK_API_URL, L_DEFAULT);
        put(c, "linear.api_url", ESC_DEFAULT_LINEAR_API_URL, L_DEFAULT);
        put(c, "pagerduty.events_url", ESC_DEFAULT_PAGERDUTY_URL, L_DEFAULT);
        put(c, "policy", ESC_DEFAULT_POLICY_PATH, L_DEFAULT);
        snprintf(n, sizeof(n), "%d", ESC_DEFAULT_PARTITIONS);
        put(c, "dev.partitions", n, L_DEFAULT);
}

static const char *key_for_env(const char *env)
{
        for (size_t i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++)
                if (!strcmp(env_keys[i].env, env))
                        return env_keys[i].key;
        return NULL;
}

/* $ESC_DEV_DIR/env: KEY=value lines written by `esc dev up`. */
static void load_devenv(esc_config_t *c)
{
        char path[4096], line[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/env", esc_config_dev_dir());
        if (!(f = fopen(path, "r")))
                return;
        while (fgets(line, sizeof(line), f)) {
                char *eq = strchr(line, '=');
                if (!eq || line[0] == '#')
                        continue;
                *eq = '\0';
                char *v = eq + 1;
                v[strcspn(v, "\r\n")] = '\0';
                const char *key = key_for_env(line);
                if (key)
                        put(c, key, v, L_DEVENV);
        }
        fclose(f);
}

static void load_env(esc_config_t *c)
{
        for (size_t i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++) {
                const char *v = getenv(env_keys[i].env);
                if (v && *v)
                        put(c, env_keys[i].key, v, L_ENV);
        }
}

/* Flattens a YAML document with libyaml's event API: a stack of key
 * prefixes, sequences numbered .0, .1, ... */
static int load_yaml(esc_config_t *c, const char *path, const char *text, size_t len, char *errbuf,
                     size_t errbuf_size)
{
        yaml_parser_t parser;
        yaml_event_t ev;
        struct {
                char prefix[MAX_KEY];
                bool is_seq;
                int seq_index;
                bool want_key; /* mappings alternate key, value */
                char pending_key[MAX_KEY];
        } st[MAX_DEPTH];
        int depth = -1;
        int rc = -1;
        bool done = false;

        if (!yaml_parser_initialize(&parser))
                return esc_err(errbuf, errbuf_size, "%s: cannot initialise YAML parser", path);
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

        while (!done) {
                if (!yaml_parser_parse(&parser, &ev)) {
                        esc_err(errbuf, errbuf_size, "%s:%zu: %s", path,
                                parser.problem_mark.line + 1,
                                parser.problem ? parser.problem : "malformed YAML");
                        goto out;
                }
                size_t line = ev.start_mark.line + 1;
                char full[2 * MAX_KEY + 16];
                const char *child = NULL; /* key under which a value/collection sits */

                if (depth >= 0 &&
                    (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_MAPPING_START_EVENT ||
                     ev.type == YAML_SEQUENCE_START_EVENT)) {
                        if (st[depth].is_seq) {
                                snprintf(full, sizeof(full), "%s%s%d", st[depth].prefix,
                                         st[depth].prefix[0] ? "." : "", st[depth].seq_index++);
                                child = full;
                        } else if (st[depth].want_key) {
                                if (ev.type != YAML_SCALAR_EVENT) {
                                        esc_err(errbuf, errbuf_size,
                                                "%s:%zu: a mapping key must be a plain word", path,
                                                line);
                                        yaml_event_delete(&ev);
                                        goto out;
                                }
                                const char *k = (const char *)ev.data.scalar.value;
                                if (strlen(k) + strlen(st[depth].prefix) + 2 > MAX_KEY) {
                                        esc_err(errbuf, errbuf_size, "%s:%zu: key too long", path,
                                                line);
                                        yaml_event_delete(&ev);
                                        goto out;
                                }
                                esc_strlcpy(st[depth].pending_key, k, MAX_KEY);
                                st[depth].want_key = false;
                                yaml_event_delete(&ev);
                                continue;
                        } else {
                                snprintf(full, sizeof(full), "%s%s%s", st[depth].prefix,
                                         st[depth].prefix[0] ? "." : "", st[depth].pending_key);
                                st[depth].want_key = true;
                                child = full;
                        }
                }

                switch (ev.type) {
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                case YAML_MAPPING_START_EVENT:
                case YAML_SEQUENCE_START_EVENT:
                        if (depth + 1 >= MAX_DEPTH) {
                                esc_err(errbuf, errbuf_size, "%s:%zu: nested too deeply", path,
                                        line);
                                yaml_event_delete(&ev);
                                goto out;
                        }
                        if (child && strlen(child) >= MAX_KEY) {
                                esc_err(errbuf, errbuf_size, "%s:%zu: key path too long", path,
                                        line);
                                yaml_event_delete(&ev);
                                goto out;
                        }
                        depth++;
                        esc_strlcpy(st[depth].prefix, child ? child : "", MAX_KEY);
                        st[depth].is_seq = ev.type == YAML_SEQUENCE_START_EVENT;
                        st[depth].seq_index = 0;
                        st[depth].want_key = true;
                        break;
                case YAML_MAPPING_END_EVENT:
                case YAML_SEQUENCE_END_EVENT:
                        depth--;
                        break;
                case YAML_SCALAR_EVENT:
                        if (depth < 0) {
                                /* A document that is a bare scalar is not a config. */
                                if (ev.data.scalar.length) {
                                        esc_err(errbuf, errbuf_size,
                                                "%s:%zu: expected a mapping of keys", path, line);
                                        yaml_event_delete(&ev);
                                        goto out;
                                }
                                break;
                        }
                        put(c, child, (const char *)ev.data.scalar.value, L_FILE);
                        break;
                case YAML_ALIAS_EVENT:
                        esc_err(errbuf, errbuf_size, "%s:%zu: YAML aliases are not supported", path,
                                line);
                        yaml_event_delete(&ev);
                        goto out;
                default:
                        break;
                }
                yaml_event_delete(&ev);
        }
        rc = 0;
out:
        yaml_parser_delete(&parser);
        return rc;
}

/* A relative policy path in a config file is relative to that file. */
static void resolve_relative(esc_config_t *c, const char *cfg_path, const char *key)
{
        for (int i = 0; i < c->n; i++) {
                if (strcmp(c->v[i].key, key) || c->v[i].layer != L_FILE || c->v[i].value[0] == '/')
                        continue;
                char *dup = esc_strdup(cfg_path);
                const char *dir = dirname(dup);
                if (strcmp(dir, ".")) {
                        char full[4096];
                        snprintf(full, sizeof(full), "%s/%s", dir, c->v[i].value);
                        free(c->v[i].value);
                        c->v[i].value = esc_strdup(full);
                }
                free(dup);
        }
}

esc_config_t *esc_config_new_defaults(void)
{
        esc_config_t *c = esc_xcalloc(1, sizeof(*c));

        load_defaults(c);
        load_devenv(c);
        load_env(c);
        c->source = esc_strdup("built-in defaults");
        return c;
}

esc_config_t *esc_config_load(const char *path, char *errbuf, size_t errbuf_size)
{
        esc_config_t *c = esc_xcalloc(1, sizeof(*c));
        bool explicit = true;
        esc_buf_t text;

        if (!path || !*path)
                path = getenv("ESC_CONFIG");
        if (!path || !*path) {
                path = "esc.yaml";
                explicit = false;
        }

        load_defaults(c);
        load_devenv(c);

        if (!explicit && access(path, F_OK) != 0) {
                c->source = esc_strdup("built-in defaults");
        } else if (esc_read_file(path, MAX_CONFIG_FILE, &text, errbuf, errbuf_size) == 0) {
                int r = load_yaml(c, path, text.data, text.len, errbuf, errbuf_size);
                esc_buf_free(&text);
                if (r) {
                        esc_config_destroy(c);
                        return NULL;
                }
                resolve_relative(c, path, "policy");
                c->source = esc_strdup(path);
        } else {
                /* errbuf already names the file and the OS error. */
                esc_config_destroy(c);
                return NULL;
        }
        load_env(c);
        return c;
}

void esc_config_destroy(esc_config_t *c)
{
        if (!c)
                return;
        for (int i = 0; i < c->n; i++) {
                free(c->v[i].key);
                free(c->v[i].value);
        }
        free(c->v);
        free(c->source);
        free(c);
}

const char *esc_config_get(const esc_config_t *c, const char *key)
{
        for (int i = 0; i < c->n; i++)
                if (!strcmp(c->v[i].key, key))
                        return c->v[i].value;
        return NULL;
}

const char *esc_config_str(const esc_config_t *c, const char *key, const char *def)
{
        const char *v = esc_config_get(c, key);
        return v && *v ? v : def;
}

int esc_config_number(const esc_config_t *c, const char *key, long long def, long long min,
                      long long max, long long *out, char *errbuf, size_t errbuf_size)
{
        const char *v = esc_config_get(c, key);

        if (!v || !*v) {
                *out = def;
                return 0;
        }
        if (esc_parse_int(v, min, max, out) == 0)
                return 0;
        return esc_err(errbuf, errbuf_size,
                       "config %s '%.64s' is not a whole number from %lld to %lld (fix it in "
                       "%s)",
                       key, v, min, max, esc_config_source(c));
}

void esc_config_set(esc_config_t *c, const char *key, const char *value)
{
        put(c, key, value, L_FLAG);
}

int esc_config_foreach(const esc_config_t *c, const char *prefix,
                       int (*fn)(const char *subkey, const char *value, void *opaque), void *opaque)
{
        size_t plen = strlen(prefix);

        for (int i = 0; i < c->n; i++) {
                if (strncmp(c->v[i].key, prefix, plen))
                        continue;
                int r = fn(c->v[i].key + plen, c->v[i].value, opaque);
                if (r)
                        return r;
        }
        return 0;
}

bool esc_config_is_secret(const char *key)
{
        static const char *words[] = {"token", "secret", "password", "sasl.", "ssl.key"};

        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strstr(key, words[i]))
                        return true;
        return false;
}

const char *esc_config_source(const esc_config_t *c)
{
        return c->source;
}

const char *esc_config_dev_dir(void)
{
        const char *d = getenv("ESC_DEV_DIR");
        return d && *d ? d : ".esc";
}

const char *esc_config_topic(const esc_config_t *c, const char *name, char *buf, size_t size)
{
        snprintf(buf, size, "%s%s",
                 esc_config_str(c, "kafka.topic_prefix", ESC_DEFAULT_TOPIC_PREFIX), name);
        return buf;
}
