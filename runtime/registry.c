/* registry.c — Confluent Schema Registry REST client over libcurl.
 *
 * Only the two calls the codec needs: register a schema under a subject
 * (POST /subjects/<subject>/versions) and fetch a schema by id
 * (GET /schemas/ids/<id>). Both are cached for the life of the client, so
 * steady-state encoding and decoding never touch the network. Responses are
 * read into a capped buffer; a registry cannot make us hold more than
 * REG_MAX_RESPONSE bytes. Retriable failures (5xx, connection refused,
 * timeouts) back off exponentially; refusals (409 incompatible, 422 invalid)
 * and unknown ids (404) are answered at once, since asking again cannot
 * change the answer. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/registry.h"

#define REG_MAX_URL 1024
#define REG_MAX_RESPONSE ((size_t)4 << 20)
#define REG_MAX_CACHE 256
#define REG_CONTENT_TYPE "application/vnd.schemaregistry.v1+json"

typedef struct reg_entry {
        int32_t id;
        char *subject; /* NULL for fetched-by-id entries */
        char *json;
} reg_entry_t;

struct esc_registry {
        CURL *curl;
        char url[REG_MAX_URL];
        int attempts;
        int backoff_ms;
        reg_entry_t cache[REG_MAX_CACHE];
        int n_cache;
};

esc_registry_t *esc_registry_new(const char *url, char *errbuf, size_t errbuf_size)
{
        esc_registry_t *reg;
        size_t n = strlen(url);

        while (n > 0 && url[n - 1] == '/')
                n--;
        if (n == 0 || n >= REG_MAX_URL) {
                esc_err(errbuf, errbuf_size,
                        "schema_registry.url: expected an http(s) URL of at most %d bytes",
                        REG_MAX_URL - 1);
                return NULL;
        }
        if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
                esc_err(errbuf, errbuf_size,
                        "schema_registry.url \"%.200s\": expected http:// or https://", url);
                return NULL;
        }
        curl_global_init(CURL_GLOBAL_DEFAULT);
        reg = esc_xcalloc(1, sizeof(*reg));
        memcpy(reg->url, url, n);
        reg->url[n] = '\0';
        reg->attempts = 4;
        reg->backoff_ms = 100;
        reg->curl = curl_easy_init();
        if (!reg->curl) {
                free(reg);
                esc_err(errbuf, errbuf_size, "libcurl could not create a handle");
                return NULL;
        }
        return reg;
}

void esc_registry_destroy(esc_registry_t *reg)
{
        if (!reg)
                return;
        for (int i = 0; i < reg->n_cache; i++) {
                free(reg->cache[i].subject);
                free(reg->cache[i].json);
        }
        curl_easy_cleanup(reg->curl);
        free(reg);
}

void esc_registry_set_retry(esc_registry_t *reg, int attempts, int backoff_ms)
{
        reg->attempts = attempts < 1 ? 1 : attempts;
        reg->backoff_ms = backoff_ms < 0 ? 0 : backoff_ms;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *opaque)
{
        esc_buf_t *b = opaque;
        size_t n = size * nmemb;

        return esc_buf_append(b, ptr, n) ? 0 : n; /* 0 aborts the transfer at the cap */
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* One request with retries. Returns OK with *status set for any HTTP answer
 * that is not a 5xx, else ERR_REGISTRY once the attempts are spent. */
static esc_codec_err_t request(esc_registry_t *reg, const char *path, const char *body,
                               long *status, esc_buf_t *resp, char *errbuf, size_t errbuf_size)
{
        char url[REG_MAX_URL + 512];
        struct curl_slist *hdrs = NULL;
        char cerr[CURL_ERROR_SIZE];
        int backoff = reg->backoff_ms;

        snprintf(url, sizeof(url), "%s%s", reg->url, path);
        hdrs = curl_slist_append(hdrs, "Content-Type: " REG_CONTENT_TYPE);
        hdrs = curl_slist_append(hdrs, "Accept: " REG_CONTENT_TYPE ", application/json");
        for (int attempt = 1;; attempt++) {
                CURLcode cc;

                esc_buf_reset(resp);
                cerr[0] = '\0';
                curl_easy_reset(reg->curl);
                curl_easy_setopt(reg->curl, CURLOPT_URL, url);
                curl_easy_setopt(reg->curl, CURLOPT_HTTPHEADER, hdrs);
                curl_easy_setopt(reg->curl, CURLOPT_WRITEFUNCTION, on_body);
                curl_easy_setopt(reg->curl, CURLOPT_WRITEDATA, resp);
                curl_easy_setopt(reg->curl, CURLOPT_ERRORBUFFER, cerr);
                curl_easy_setopt(reg->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
                curl_easy_setopt(reg->curl, CURLOPT_TIMEOUT_MS, 15000L);
                curl_easy_setopt(reg->curl, CURLOPT_NOSIGNAL, 1L);
                if (body)
                        curl_easy_setopt(reg->curl, CURLOPT_POSTFIELDS, body);
                cc = curl_easy_perform(reg->curl);
                *status = 0;
                if (cc == CURLE_OK)
                        curl_easy_getinfo(reg->curl, CURLINFO_RESPONSE_CODE, status);
                if (cc == CURLE_OK && *status < 500)
                        break;
                if (attempt >= reg->attempts) {
                        curl_slist_free_all(hdrs);
                        if (cc != CURLE_OK)
                                esc_err(errbuf, errbuf_size,
                                        "schema registry %s unreachable after %d attempts: %s", url,
                                        attempt, cerr[0] ? cerr : curl_easy_strerror(cc));
                        else
                                esc_err(errbuf, errbuf_size,
                                        "schema registry %s answered HTTP %ld after %d attempts: "
                                        "%.200s",
                                        url, *status, attempt, resp->data ? resp->data : "");
                        return ESC_CODEC_ERR_REGISTRY;
                }
                sleep_ms(backoff);
                backoff *= 2;
        }
        curl_slist_free_all(hdrs);
        return ESC_CODEC_OK;
}

/* The registry's error message ({"error_code":..., "message": "..."}). */
static const char *reg_message(json_t *root)
{
        json_t *m = json_object_get(root, "message");
        return json_is_string(m) ? json_string_value(m) : "";
}

static void cache_put(esc_registry_t *reg, int32_t id, const char *subject, const char *json)
{
        if (reg->n_cache >= REG_MAX_CACHE)
                return; /* still correct, just uncached */
        reg->cache[reg->n_cache++] = (reg_entry_t){id, esc_strdup(subject), esc_strdup(json)};
}

esc_codec_err_t esc_registry_register(esc_registry_t *reg, const char *subject,
                                      const char *schema_json, int32_t *id, char *errbuf,
                                      size_t errbuf_size)
{
        esc_buf_t resp;
        json_t *req, *root = NULL;
        char *body, *esubject;
        char path[600];
        long status;
        esc_codec_err_t rc;

        for (int i = 0; i < reg->n_cache; i++)
                if (reg->cache[i].subject && !strcmp(reg->cache[i].subject, subject) &&
                    !strcmp(reg->cache[i].json, schema_json)) {
                        *id = reg->cache[i].id;
                        return ESC_CODEC_OK;
                }
        esubject = curl_easy_escape(reg->curl, subject, 0);
        if (!esubject || strlen(esubject) > 400) {
                curl_free(esubject);
                esc_err(errbuf, errbuf_size, "schema registry subject \"%.100s\" is too long",
                        subject);
                return ESC_CODEC_ERR_REGISTRY;
        }
        snprintf(path, sizeof(path), "/subjects/%s/versions", esubject);
        curl_free(esubject);
        req = json_pack("{s:s}", "schema", schema_json);
        body = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
        if (!body) {
                esc_err(errbuf, errbuf_size, "cannot build the registration request");
                return ESC_CODEC_ERR_INTERNAL;
        }
        esc_buf_init(&resp, REG_MAX_RESPONSE);
        rc = request(reg, path, body, &status, &resp, errbuf, errbuf_size);
        free(body);
        if (rc)
                goto out;
        root = resp.data ? json_loadb(resp.data, resp.len, 0, NULL) : NULL;
        if (status == 409 || status == 422) {
                esc_err(errbuf, errbuf_size,
                        "schema registry refused the schema for subject %s: HTTP %ld %s: %.300s",
                        subject, status,
                        status == 409 ? "incompatible with earlier versions" : "invalid schema",
                        reg_message(root));
                rc = ESC_CODEC_ERR_REGISTRY;
                goto out;
        }
        json_t *jid = json_object_get(root, "id");
        if (status != 200 || !json_is_integer(jid) || json_integer_value(jid) < 0 ||
            json_integer_value(jid) > INT32_MAX) {
                esc_err(errbuf, errbuf_size,
                        "schema registry: registering subject %s answered HTTP %ld without an id: "
                        "%.300s",
                        subject, status, resp.data ? resp.data : "");
                rc = ESC_CODEC_ERR_REGISTRY;
                goto out;
        }
        *id = (int32_t)json_integer_value(jid);
        cache_put(reg, *id, subject, schema_json);
out:
        json_decref(root);
        esc_buf_free(&resp);
        return rc;
}

esc_codec_err_t esc_registry_fetch(esc_registry_t *reg, int32_t id, const char **schema_json,
                                   char *errbuf, size_t errbuf_size)
{
        esc_buf_t resp;
        json_t *root = NULL;
        char path[64];
        long status;
        esc_codec_err_t rc;

        for (int i = 0; i < reg->n_cache; i++)
                if (reg->cache[i].id == id) {
                        *schema_json = reg->cache[i].json;
                        return ESC_CODEC_OK;
                }
        snprintf(path, sizeof(path), "/schemas/ids/%d", (int)id);
        esc_buf_init(&resp, REG_MAX_RESPONSE);
        rc = request(reg, path, NULL, &status, &resp, errbuf, errbuf_size);
        if (rc)
                goto out;
        root = resp.data ? json_loadb(resp.data, resp.len, 0, NULL) : NULL;
        if (status == 404) {
                esc_err(errbuf, errbuf_size, "schema id %d is unknown to the schema registry (404)",
                        (int)id);
                rc = ESC_CODEC_ERR_UNKNOWN_SCHEMA;
                goto out;
        }
        json_t *js = json_object_get(root, "schema");
        if (status != 200 || !json_is_string(js)) {
                esc_err(errbuf, errbuf_size,
                        "schema registry: fetching id %d answered HTTP %ld without a schema: "
                        "%.300s",
                        (int)id, status, resp.data ? resp.data : "");
                rc = ESC_CODEC_ERR_REGISTRY;
                goto out;
        }
        cache_put(reg, id, NULL, json_string_value(js));
        if (reg->n_cache > 0 && reg->cache[reg->n_cache - 1].id == id &&
            !reg->cache[reg->n_cache - 1].subject) {
                *schema_json = reg->cache[reg->n_cache - 1].json;
        } else {
                esc_err(errbuf, errbuf_size, "schema registry cache is full (%d ids)",
                        REG_MAX_CACHE);
                rc = ESC_CODEC_ERR_REGISTRY;
        }
out:
        json_decref(root);
        esc_buf_free(&resp);
        return rc;
}

/* ---- the codec's view of the registry ---------------------------------- */

static esc_codec_err_t codec_register(void *opaque, const char *subject, const char *schema_json,
                                      int32_t *id, char *errbuf, size_t errbuf_size)
{
        return esc_registry_register(opaque, subject, schema_json, id, errbuf, errbuf_size);
}

static esc_codec_err_t codec_fetch(void *opaque, int32_t id, const char **schema_json, char *errbuf,
                                   size_t errbuf_size)
{
        return esc_registry_fetch(opaque, id, schema_json, errbuf, errbuf_size);
}

static void codec_release(void *opaque)
{
        esc_registry_destroy(opaque);
}

esc_codec_t *esc_codec_new(const esc_config_t *conf, char *errbuf, size_t errbuf_size)
{
        const char *url = conf ? esc_config_get(conf, "schema_registry.url") : NULL;
        static const char *const names[2] = {"events", "commands"};
        esc_codec_registry_t reg = {
                .register_schema = codec_register,
                .fetch = codec_fetch,
                .destroy = codec_release,
        };

        if (!url || !url[0])
                return esc_codec_new_with(NULL, errbuf, errbuf_size);
        if (!(reg.opaque = esc_registry_new(url, errbuf, errbuf_size)))
                return NULL;
        for (int k = 0; k < 2; k++) {
                char topic[200];
                esc_config_topic(conf, names[k], topic, sizeof(topic));
                snprintf(reg.subject[k], sizeof(reg.subject[k]), "%s-value", topic);
        }
        return esc_codec_new_with(&reg, errbuf, errbuf_size);
}
