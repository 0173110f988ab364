/* apis.c — HTTP calls to Slack, Linear and PagerDuty for the actions
 * worker, over one libcurl easy handle with timeouts and one retry rule
 * (see apis.h). Request bodies are built and responses parsed with
 * jansson; the API's own error text ("name_taken", a GraphQL message,
 * PagerDuty's "errors") is what reaches the caller's errbuf, never a token
 * or a routing key. Waiting (Retry-After, backoff) happens on the worker's
 * thread in 100 ms steps that give way to a stop request. */
#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/model.h"
#include "projections/actions/apis.h"
#include "runtime/log.h"
#include "runtime/signals.h"
#include "core/util.h"

#define COMP "actions"
#define API_RESPONSE_CAP ((size_t)1 << 20)

struct esc_actions_apis {
        CURL *curl;
        char *slack_url;  /* without trailing '/' */
        char *slack_auth; /* "Authorization: Bearer ..." or NULL */
        char *linear_url;
        char *linear_auth;
        char *linear_team;
        char *pd_url;
        char *zendesk_url;  /* e.g. https://acme.zendesk.com, without trailing '/' */
        char *zendesk_auth; /* "Authorization: Basic base64(email/token:api_token)" */
        long timeout_ms;
        int max_attempts;
        int retry_after_cap_s;
        int last_retry_after_ms; /* the last ESC_API_RETRY's Retry-After; -1: none */
        char *slack_user;        /* our bot's user id (auth.test), once asked */
};

typedef struct http_resp {
        long status;
        esc_buf_t body;
        int retry_after_s; /* -1: none */
        bool too_big;
} http_resp_t;

/* A base URL from the config without trailing '/' (heap), or NULL. */
static char *base_url(const char *v)
{
        if (!v || !*v)
                return NULL;
        char *u = esc_strdup(v);
        size_t n = strlen(u);
        while (n > 0 && u[n - 1] == '/')
                u[--n] = '\0';
        return u;
}

/* Zendesk's API token auth: Basic over "email/token:api_token". */
static char *zendesk_auth(const char *email, const char *token)
{
        if (!email || !*email || !token || !*token)
                return NULL;
        esc_buf_t cred, h;
        esc_buf_init(&cred, 0);
        esc_buf_printf(&cred, "%s/token:%s", email, token);
        unsigned char *b64 = esc_xcalloc(1, 4 * (cred.len / 3 + 1) + 1);
        EVP_EncodeBlock(b64, (const unsigned char *)cred.data, (int)cred.len);
        esc_buf_init(&h, 0);
        esc_buf_printf(&h, "Authorization: Basic %s", (const char *)b64);
        free(b64);
        esc_buf_free(&cred);
        return h.data;
}

static char *auth_header(const char *token)
{
        if (!token || !*token)
                return NULL;
        esc_buf_t b;
        esc_buf_init(&b, 0);
        esc_buf_printf(&b, "Authorization: Bearer %s", token);
        return b.data;
}

esc_actions_apis_t *esc_actions_apis_new(const esc_config_t *conf, char *errbuf, size_t errbuf_size)
{
        esc_actions_apis_t *api = esc_xcalloc(1, sizeof(*api));
        curl_global_init(CURL_GLOBAL_DEFAULT);
        api->curl = curl_easy_init();
        if (!api->curl) {
                free(api);
                curl_global_cleanup();
                esc_err(errbuf, errbuf_size, "libcurl: cannot create a handle");
                return NULL;
        }
        api->slack_url = base_url(esc_config_str(conf, "slack.api_url", ESC_DEFAULT_SLACK_API_URL));
        api->zendesk_url = base_url(esc_config_get(conf, "zendesk.url"));
        api->zendesk_auth = zendesk_auth(esc_config_get(conf, "zendesk.email"),
                                         esc_config_get(conf, "zendesk.api_token"));
        api->slack_auth = auth_header(esc_config_get(conf, "slack.token"));
        api->linear_url =
                esc_strdup(esc_config_str(conf, "linear.api_url", ESC_DEFAULT_LINEAR_API_URL));
        api->linear_auth = auth_header(esc_config_get(conf, "linear.token"));
        const char *team = esc_config_get(conf, "linear.team_id");
        api->linear_team = team && *team ? esc_strdup(team) : NULL;
        api->pd_url =
                esc_strdup(esc_config_str(conf, "pagerduty.events_url", ESC_DEFAULT_PAGERDUTY_URL));
        long long timeout_ms, attempts, cap_s;
        if (esc_config_number(conf, "actions.http_timeout_ms", 10000, 100, 600000, &timeout_ms,
                              errbuf, errbuf_size) ||
            esc_config_number(conf, "actions.max_attempts", 1, 1, 20, &attempts, errbuf,
                              errbuf_size) ||
            esc_config_number(conf, "actions.retry_after_cap_s", 30, 1, 3600, &cap_s, errbuf,
                              errbuf_size)) {
                esc_actions_apis_destroy(api);
                return NULL;
        }
        api->timeout_ms = (long)timeout_ms;
        api->max_attempts = (int)attempts;
        api->retry_after_cap_s = (int)cap_s;
        return api;
}

void esc_actions_apis_destroy(esc_actions_apis_t *api)
{
        if (!api)
                return;
        curl_easy_cleanup(api->curl);
        curl_global_cleanup();
        free(api->slack_url);
        free(api->slack_auth);
        free(api->slack_user);
        free(api->linear_url);
        free(api->linear_auth);
        free(api->linear_team);
        free(api->pd_url);
        free(api->zendesk_url);
        free(api->zendesk_auth);
        free(api);
}

int esc_actions_apis_retry_after_ms(const esc_actions_apis_t *api)
{
        return api->last_retry_after_ms;
}

bool esc_actions_slack_enabled(const esc_actions_apis_t *api)
{
        return api->slack_auth != NULL;
}

bool esc_actions_zendesk_enabled(const esc_actions_apis_t *api)
{
        return api->zendesk_url != NULL && api->zendesk_auth != NULL;
}

bool esc_actions_linear_enabled(const esc_actions_apis_t *api)
{
        return api->linear_auth != NULL && api->linear_team != NULL;
}

/* ---- HTTP --------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *opaque)
{
        http_resp_t *r = opaque;
        size_t n = size * nmemb;
        if (esc_buf_append(&r->body, p, n)) {
                r->too_big = true;
                return 0; /* aborts the transfer */
        }
        return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *opaque)
{
        http_resp_t *r = opaque;
        size_t n = size * nmemb;
        static const char name[] = "retry-after:";
        if (n > sizeof(name) - 1 && !strncasecmp(p, name, sizeof(name) - 1)) {
                const char *v = p + sizeof(name) - 1;
                while (v < p + n && (*v == ' ' || *v == '\t'))
                        v++;
                int secs = 0, digits = 0;
                while (v < p + n && isdigit((unsigned char)*v) && digits < 7) {
                        secs = secs * 10 + (*v++ - '0');
                        digits++;
                }
                /* An HTTP-date instead of seconds: wait a conservative 5 s. */
                r->retry_after_s = digits ? secs : 5;
        }
        return n;
}

/* One request with a JSON body (method POST or PUT), or a GET when json
 * is NULL. Returns 0 with r->status set, or -1 on a
 * transport error (errbuf says which; the URL is ours, not a secret). */
static int http_send(esc_actions_apis_t *api, const char *method, const char *url, const char *auth,
                     const char *json, http_resp_t *r, char *errbuf, size_t errbuf_size)
{
        CURL *c = api->curl;
        struct curl_slist *hdrs = NULL;
        CURLcode cc;

        esc_buf_reset(&r->body);
        r->status = 0;
        r->retry_after_s = -1;
        r->too_big = false;
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json; charset=utf-8");
        hdrs = curl_slist_append(hdrs, "Accept: application/json");
        if (auth)
                hdrs = curl_slist_append(hdrs, auth);
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, api->timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         api->timeout_ms < 5000 ? api->timeout_ms : 5000L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        if (!json) {
                curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        } else {
                if (strcmp(method, "POST"))
                        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
        }
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "esc-actions/" ESC_VERSION);
        cc = curl_easy_perform(c);
        curl_slist_free_all(hdrs); /* holds the token: freed right away */
        if (r->too_big)
                return esc_err(errbuf, errbuf_size, "%s: response larger than %zu bytes", url,
                               API_RESPONSE_CAP);
        if (cc != CURLE_OK)
                return esc_err(errbuf, errbuf_size, "%s: %s", url, curl_easy_strerror(cc));
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        return 0;
}

static bool sleep_ms(int ms)
{
        while (ms > 0) {
                if (esc_signals_stop_requested())
                        return false;
                int step = ms > 100 ? 100 : ms;
                usleep((useconds_t)step * 1000);
                ms -= step;
        }
        return true;
}

/* POSTs with the retry rule. On ESC_API_OK r holds a 2xx answer; on
 * ESC_API_FAIL r holds the refusing answer (status, body) when there was
 * one. what names the call in logs and errors. */
static esc_api_rc_t call_as(esc_actions_apis_t *api, const char *method, const char *what,
                            const char *url, const char *auth, const char *json, http_resp_t *r,
                            char *errbuf, size_t errbuf_size)
{
        int backoff_ms = 500;
        api->last_retry_after_ms = -1;
        for (int attempt = 1;; attempt++) {
                char err[512];
                int wait_ms;
                if (http_send(api, method, url, auth, json, r, err, sizeof(err)) == 0) {
                        if (r->status >= 200 && r->status < 300)
                                return ESC_API_OK;
                        if (r->status != 429 && r->status < 500) {
                                esc_err(errbuf, errbuf_size, "%s: HTTP %ld", what, r->status);
                                return ESC_API_FAIL;
                        }
                        if (r->status == 429) {
                                int s = r->retry_after_s >= 0 ? r->retry_after_s : 1;
                                if (s > api->retry_after_cap_s)
                                        s = api->retry_after_cap_s;
                                wait_ms = s * 1000;
                        } else {
                                wait_ms = backoff_ms;
                        }
                        snprintf(err, sizeof(err), "HTTP %ld", r->status);
                } else {
                        wait_ms = backoff_ms;
                }
                if (attempt >= api->max_attempts) {
                        if (r->status == 429)
                                api->last_retry_after_ms = wait_ms;
                        if (attempt > 1)
                                esc_err(errbuf, errbuf_size, "%s: %s (gave up after %d attempts)",
                                        what, err, attempt);
                        else
                                esc_err(errbuf, errbuf_size, "%s: %s", what, err);
                        return ESC_API_RETRY;
                }
                esc_log(ESC_LOG_WARN, COMP, "call failed, retrying",
                        "call=%s attempt=%d error=\"%s\" wait_ms=%d", what, attempt, err, wait_ms);
                if (!sleep_ms(wait_ms)) {
                        esc_err(errbuf, errbuf_size, "%s: %s (stopping)", what, err);
                        return ESC_API_RETRY;
                }
                backoff_ms = backoff_ms * 2 > 8000 ? 8000 : backoff_ms * 2;
        }
}

static esc_api_rc_t call(esc_actions_apis_t *api, const char *what, const char *url,
                         const char *auth, const char *json, http_resp_t *r, char *errbuf,
                         size_t errbuf_size)
{
        return call_as(api, "POST", what, url, auth, json, r, errbuf, errbuf_size);
}

/* A string member of a JSON object, or NULL. */
static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static char *dump(json_t *req)
{
        char *s = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        return s;
}

/* ---- Slack --------------------------------------------------------------------- */

/* Calls a Slack method. On ESC_API_OK *resp (owned by the caller) is the
 * parsed `ok:true` answer. `ok:false` yields ESC_API_FAIL with Slack's error
 * code in errbuf and, through slack_error, for the caller to inspect. */
static esc_api_rc_t slack_call(esc_actions_apis_t *api, const char *method, json_t *req,
                               json_t **resp, char *slack_error, size_t slack_error_size,
                               char *errbuf, size_t errbuf_size)
{
        char url[2048], what[64];
        http_resp_t r = {0};
        esc_api_rc_t rc;
        char *body = dump(req);

        *resp = NULL;
        if (slack_error_size)
                slack_error[0] = '\0';
        if (!body)
                return esc_err(errbuf, errbuf_size, "slack %s: cannot encode request", method),
                       ESC_API_FAIL;
        snprintf(url, sizeof(url), "%s/%s", api->slack_url, method);
        snprintf(what, sizeof(what), "slack %s", method);
        esc_buf_init(&r.body, API_RESPONSE_CAP);
        rc = call(api, what, url, api->slack_auth, body, &r, errbuf, errbuf_size);
        free(body);
        json_t *j = r.body.data ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
        if (rc == ESC_API_OK) {
                if (!json_is_object(j)) {
                        rc = ESC_API_FAIL;
                        esc_err(errbuf, errbuf_size, "%s: answer is not a JSON object", what);
                } else if (!json_is_true(json_object_get(j, "ok"))) {
                        const char *e = jstr(j, "error");
                        esc_strlcpy(slack_error, e ? e : "unknown_error", slack_error_size);
                        /* Slack's own transient errors are worth another try later. */
                        rc = e && (!strcmp(e, "ratelimited") || !strcmp(e, "internal_error") ||
                                   !strcmp(e, "fatal_error") || !strcmp(e, "service_unavailable") ||
                                   !strcmp(e, "request_timeout"))
                                     ? ESC_API_RETRY
                                     : ESC_API_FAIL;
                        esc_err(errbuf, errbuf_size, "%s: ok:false, error=%s", what,
                                e ? e : "unknown_error");
                } else {
                        *resp = j;
                        j = NULL;
                }
        } else if (rc == ESC_API_FAIL && json_is_object(j) && jstr(j, "error")) {
                esc_strlcpy(slack_error, jstr(j, "error"), slack_error_size);
                esc_err(errbuf, errbuf_size, "%s: HTTP %ld, error=%s", what, r.status,
                        jstr(j, "error"));
        }
        json_decref(j);
        esc_buf_free(&r.body);
        return rc;
}

esc_api_rc_t esc_actions_slack_set_topic(esc_actions_apis_t *api, const char *channel,
                                         const char *topic, char *errbuf, size_t errbuf_size)
{
        json_t *resp;
        char serr[64];
        esc_api_rc_t rc = slack_call(api, "conversations.setTopic",
                                     json_pack("{s:s, s:s}", "channel", channel, "topic", topic),
                                     &resp, serr, sizeof(serr), errbuf, errbuf_size);
        json_decref(resp);
        return rc;
}

/* Our bot's user id, asked of auth.test once. */
static const char *slack_user(esc_actions_apis_t *api, char *errbuf, size_t errbuf_size)
{
        json_t *resp;
        char serr[64];
        if (api->slack_user)
                return api->slack_user;
        if (slack_call(api, "auth.test", json_object(), &resp, serr, sizeof(serr), errbuf,
                       errbuf_size) != ESC_API_OK)
                return NULL;
        const char *u = jstr(resp, "user_id");
        if (u && *u && strlen(u) <= ESC_MAX_ID)
                api->slack_user = esc_strdup(u);
        json_decref(resp);
        return api->slack_user;
}

esc_api_rc_t esc_actions_slack_find_channel(esc_actions_apis_t *api, const char *name,
                                            const char *incident_id, char **id, char **untitled,
                                            char *errbuf, size_t errbuf_size)
{
        char url[2048];
        http_resp_t r = {0};
        size_t i;
        json_t *c;

        *id = *untitled = NULL;
        snprintf(url, sizeof(url),
                 "%s/conversations.list?types=public_channel,private_channel&limit=1000",
                 api->slack_url);
        esc_buf_init(&r.body, API_RESPONSE_CAP);
        esc_api_rc_t rc = call_as(api, "GET", "slack conversations.list", url, api->slack_auth,
                                  NULL, &r, errbuf, errbuf_size);
        json_t *j = rc == ESC_API_OK ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
        json_array_foreach(json_object_get(j, "channels"), i, c)
        {
                const char *n = jstr(c, "name"), *cid = jstr(c, "id");
                const char *topic = jstr(json_object_get(c, "topic"), "value");
                if (!n || !cid || strcmp(n, name))
                        continue;
                /* "Sev N <incident> |...": the incident id as a whole word. */
                const char *at = topic ? strstr(topic, incident_id) : NULL;
                size_t len = strlen(incident_id);
                if (at && at > topic && at[-1] == ' ' && (at[len] == '\0' || at[len] == ' ')) {
                        free(*id);
                        *id = esc_strdup(cid);
                        break;
                }
                if ((!topic || !*topic) && !*untitled) {
                        const char *me = slack_user(api, errbuf, errbuf_size);
                        const char *creator = jstr(c, "creator");
                        if (me && creator && !strcmp(creator, me))
                                *untitled = esc_strdup(cid);
                }
        }
        if (*id) {
                free(*untitled);
                *untitled = NULL;
        }
        json_decref(j);
        esc_buf_free(&r.body);
        return rc;
}

esc_api_rc_t esc_actions_slack_create(esc_actions_apis_t *api, const char *name, bool is_private,
                                      char **id, char **created_name, char *errbuf,
                                      size_t errbuf_size)
{
        json_t *resp;
        char serr[64];
        esc_api_rc_t rc =
                slack_call(api, "conversations.create",
                           json_pack("{s:s, s:b}", "name", name, "is_private", is_private), &resp,
                           serr, sizeof(serr), errbuf, errbuf_size);
        if (rc == ESC_API_FAIL && !strcmp(serr, "name_taken"))
                return ESC_API_NAME_TAKEN;
        if (rc != ESC_API_OK)
                return rc;
        json_t *ch = json_object_get(resp, "channel");
        const char *cid = jstr(ch, "id"), *cname = jstr(ch, "name");
        if (!cid || !*cid || strlen(cid) > ESC_MAX_ID) {
                json_decref(resp);
                return esc_err(errbuf, errbuf_size,
                               "slack conversations.create: answer has no usable channel.id"),
                       ESC_API_FAIL;
        }
        *id = esc_strdup(cid);
        *created_name = esc_strdup(cname && *cname && strlen(cname) <= 80 ? cname : name);
        json_decref(resp);
        return ESC_API_OK;
}

esc_api_rc_t esc_actions_slack_invite(esc_actions_apis_t *api, const char *channel,
                                      const char *user, char *errbuf, size_t errbuf_size)
{
        json_t *resp;
        char serr[64];
        esc_api_rc_t rc = slack_call(api, "conversations.invite",
                                     json_pack("{s:s, s:s}", "channel", channel, "users", user),
                                     &resp, serr, sizeof(serr), errbuf, errbuf_size);
        if (rc == ESC_API_FAIL && !strcmp(serr, "already_in_channel"))
                return ESC_API_OK;
        json_decref(resp);
        return rc;
}

static json_t *button(const char *action_id, const char *label, const char *style,
                      const char *value)
{
        json_t *b =
                json_pack("{s:s, s:s, s:{s:s, s:s}, s:s}", "type", "button", "action_id", action_id,
                          "text", "type", "plain_text", "text", label, "value", value);
        if (style)
                json_object_set_new(b, "style", json_string(style));
        return b;
}

/* The kickoff's text as a section, and its buttons under it. */
static json_t *kickoff_blocks(const char *text, const char *incident_id)
{
        return json_pack(
                "[{s:s, s:{s:s, s:s}}, {s:s, s:s, s:[o, o, o, o, o]}]", "type", "section", "text",
                "type", "mrkdwn", "text", text, "type", "actions", "block_id", "esc_kickoff",
                "elements", button(ESC_SLACK_ACTION_ACK, "Acknowledge", "primary", incident_id),
                button(ESC_SLACK_ACTION_UPDATE, "Post update", NULL, incident_id),
                button(ESC_SLACK_ACTION_REQUEST_OVERRIDE, "Request override", NULL, incident_id),
                button(ESC_SLACK_ACTION_RESOLVE, "Resolve", NULL, incident_id),
                button(ESC_SLACK_ACTION_CONFIRM, "Confirm", NULL, incident_id));
}

esc_api_rc_t esc_actions_slack_post_keyed(esc_actions_apis_t *api, const char *channel,
                                          const char *text, const char *incident_id,
                                          const char *key, bool buttons, char *errbuf,
                                          size_t errbuf_size)
{
        json_t *resp, *req = json_pack("{s:s, s:s}", "channel", channel, "text", text);
        char serr[64];

        /* A section's text holds at most 3000 characters: a longer kickoff
         * goes without buttons rather than not at all. */
        if (req && buttons && incident_id && strlen(text) <= 3000)
                json_object_set_new(req, "blocks", kickoff_blocks(text, incident_id));
        /* Message metadata names the post, so it can be found again in the
         * channel's history. */
        if (req && key)
                json_object_set_new(req, "metadata",
                                    json_pack("{s:s, s:{s:s, s:s}}", "event_type", "esc_post",
                                              "event_payload", "incident_id", incident_id, "key",
                                              key));
        esc_api_rc_t rc = slack_call(api, "chat.postMessage", req, &resp, serr, sizeof(serr),
                                     errbuf, errbuf_size);
        json_decref(resp);
        return rc;
}

esc_api_rc_t esc_actions_slack_find_post(esc_actions_apis_t *api, const char *channel,
                                         const char *key, bool *found, char *errbuf,
                                         size_t errbuf_size)
{
        char url[2048];
        http_resp_t r = {0};
        char *ch = curl_easy_escape(api->curl, channel, 0);

        *found = false;
        /* A read method: Slack takes its arguments in the query string. The
         * newest 200 messages hold any post a crash left unrecorded. */
        snprintf(url, sizeof(url),
                 "%s/conversations.history?channel=%s&include_all_metadata=true&limit=200",
                 api->slack_url, ch ? ch : "");
        curl_free(ch);
        esc_buf_init(&r.body, API_RESPONSE_CAP);
        esc_api_rc_t rc = call_as(api, "GET", "slack conversations.history", url, api->slack_auth,
                                  NULL, &r, errbuf, errbuf_size);
        json_t *j = rc == ESC_API_OK ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
        if (rc == ESC_API_OK && !json_is_true(json_object_get(j, "ok"))) {
                const char *e = jstr(j, "error");
                esc_err(errbuf, errbuf_size, "slack conversations.history: ok:false, error=%s",
                        e ? e : "unknown_error");
                rc = e && !strcmp(e, "ratelimited") ? ESC_API_RETRY : ESC_API_FAIL;
        }
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(j, "messages"), i, m)
        {
                json_t *md = json_object_get(m, "metadata");
                const char *k = jstr(json_object_get(md, "event_payload"), "key");
                if (k && !strcmp(k, key) &&
                    !strcmp(jstr(md, "event_type") ? jstr(md, "event_type") : "", "esc_post"))
                        *found = true;
        }
        json_decref(j);
        esc_buf_free(&r.body);
        return rc;
}

esc_api_rc_t esc_actions_slack_post(esc_actions_apis_t *api, const char *channel, const char *text,
                                    char *errbuf, size_t errbuf_size)
{
        return esc_actions_slack_post_keyed(api, channel, text, NULL, NULL, false, errbuf,
                                            errbuf_size);
}

esc_api_rc_t esc_actions_slack_archive(esc_actions_apis_t *api, const char *channel, bool archive,
                                       char *errbuf, size_t errbuf_size)
{
        json_t *resp;
        char serr[64];
        esc_api_rc_t rc =
                slack_call(api, archive ? "conversations.archive" : "conversations.unarchive",
                           json_pack("{s:s}", "channel", channel), &resp, serr, sizeof(serr),
                           errbuf, errbuf_size);
        json_decref(resp);
        if (rc == ESC_API_FAIL && !strcmp(serr, archive ? "already_archived" : "not_archived"))
                return ESC_API_OK;
        return rc;
}

/* ---- Zendesk ------------------------------------------------------------------- */

esc_api_rc_t esc_actions_zendesk_update(esc_actions_apis_t *api, const char *ticket_id,
                                        const char *body, bool public, const char *status,
                                        json_t *custom_fields, const char *key, char *errbuf,
                                        size_t errbuf_size)
{
        char url[2048];
        http_resp_t r = {0};
        json_t *ticket = json_object();

        if (body && *body)
                json_object_set_new(ticket, "comment",
                                    json_pack("{s:s, s:b}", "body", body, "public", public));
        if (status)
                json_object_set_new(ticket, "status", json_string(status));
        if (custom_fields)
                json_object_set(ticket, "custom_fields", custom_fields);
        /* Custom audit metadata names the update, so it can be found again
         * among the ticket's audits (esc_actions_zendesk_find_update). */
        if (key)
                json_object_set_new(ticket, "metadata", json_pack("{s:s}", "esc_key", key));
        char *req = dump(json_pack("{s:o}", "ticket", ticket));
        if (!req)
                return esc_err(errbuf, errbuf_size, "zendesk: cannot encode request"), ESC_API_FAIL;
        snprintf(url, sizeof(url), "%s/api/v2/tickets/%s.json", api->zendesk_url, ticket_id);
        esc_buf_init(&r.body, API_RESPONSE_CAP);
        esc_api_rc_t rc = call_as(api, "PUT", "zendesk tickets.update", url, api->zendesk_auth, req,
                                  &r, errbuf, errbuf_size);
        free(req);
        if (rc == ESC_API_FAIL && r.body.data) {
                /* 422 RecordInvalid and friends: the API's own words. */
                json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);
                const char *e = jstr(j, "error"), *d = jstr(j, "description");
                if (e)
                        esc_err(errbuf, errbuf_size, "zendesk tickets.update: HTTP %ld, %s%s%s",
                                r.status, e, d ? ": " : "", d ? d : "");
                json_decref(j);
        }
        esc_buf_free(&r.body);
        return rc;
}

esc_api_rc_t esc_actions_zendesk_find_update(esc_actions_apis_t *api, const char *ticket_id,
                                             const char *key, bool *found, char *errbuf,
                                             size_t errbuf_size)
{
        char url[2048];
        http_resp_t r = {0};
        size_t i;
        json_t *a;

        *found = false;
        snprintf(url, sizeof(url), "%s/api/v2/tickets/%s/audits.json?sort_order=desc",
                 api->zendesk_url, ticket_id);
        esc_buf_init(&r.body, API_RESPONSE_CAP);
        esc_api_rc_t rc = call_as(api, "GET", "zendesk ticket_audits.list", url, api->zendesk_auth,
                                  NULL, &r, errbuf, errbuf_size);
        json_t *j = rc == ESC_API_OK ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
        json_array_foreach(json_object_get(j, "audits"), i, a)
        {
                const char *k =
                        jstr(json_object_get(json_object_get(a, "metadata"), "custom"), "esc_key");
                if (k && !strcmp(k, key))
                        *found = true;
        }
        json_decref(j);
        esc_buf_free(&r.body);
        return rc;
}

/* ---- Linear -------------------------------------------------------------------- */

static const char ISSUE_CREATE[] =
        "mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) "
        "{ success issue { id identifier url } } }";
static const char ISSUE_BY_ID[] =
        "query Issue($id: String!) { issue(id: $id) { id identifier url } }";

/* One GraphQL request (takes req). On ESC_API_OK *data is the answer's
 * `data` (the caller decrefs); GraphQL `errors` (with HTTP 200 or 400) are
 * ESC_API_FAIL with the first message in errbuf. */
static esc_api_rc_t linear_call(esc_actions_apis_t *api, const char *what, json_t *req,
                                json_t **data, char *errbuf, size_t errbuf_size)
{
        http_resp_t r = {0};
        char *body = dump(req);
        *data = NULL;
        if (!body)
                return esc_err(errbuf, errbuf_size, "%s: cannot encode request", what),
                       ESC_API_FAIL;
        esc_buf_init(&r.body, API_RESPONSE_CAP);
        esc_api_rc_t rc =
                call(api, what, api->linear_url, api->linear_auth, body, &r, errbuf, errbuf_size);
        free(body);
        json_t *j = r.body.data ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
        json_t *errs = json_object_get(j, "errors");
        if ((rc == ESC_API_OK || rc == ESC_API_FAIL) && json_array_size(errs) > 0) {
                const char *m = jstr(json_array_get(errs, 0), "message");
                esc_err(errbuf, errbuf_size, "%s: HTTP %ld, error=\"%.300s\"", what, r.status,
                        m ? m : "unknown");
                rc = ESC_API_FAIL;
        } else if (rc == ESC_API_OK) {
                *data = json_incref(json_object_get(j, "data"));
        }
        json_decref(j);
        esc_buf_free(&r.body);
        return rc;
}

/* The identifier (else id) and url of an issue object; -1 if unusable. */
static int issue_fields(json_t *is, char **issue_id, char **url)
{
        const char *ident = jstr(is, "identifier"), *iid = jstr(is, "id");
        const char *u = jstr(is, "url");
        const char *use = ident && *ident ? ident : iid;
        if (!use || !*use || strlen(use) > 1024 || (u && strlen(u) > 1024))
                return -1;
        *issue_id = esc_strdup(use);
        *url = esc_strdup(u ? u : "");
        return 0;
}

esc_api_rc_t esc_actions_linear_create(esc_actions_apis_t *api, const char *uuid, const char *title,
                                       const char *description, json_t *extra, char **issue_id,
                                       char **url, char *errbuf, size_t errbuf_size)
{
        json_t *data;
        json_t *input = json_pack("{s:s, s:s, s:s, s:s}", "id", uuid, "teamId", api->linear_team,
                                  "title", title, "description", description);
        if (input && extra)
                json_object_update(input, extra);
        esc_api_rc_t rc = linear_call(
                api, "linear issueCreate",
                json_pack("{s:s, s:{s:o}}", "query", ISSUE_CREATE, "variables", "input", input),
                &data, errbuf, errbuf_size);
        if (rc == ESC_API_OK) {
                json_t *ic = json_object_get(data, "issueCreate");
                if (!json_is_true(json_object_get(ic, "success")) ||
                    issue_fields(json_object_get(ic, "issue"), issue_id, url)) {
                        esc_err(errbuf, errbuf_size,
                                "linear issueCreate: answer lacks success and issue.id");
                        rc = ESC_API_FAIL;
                }
                json_decref(data);
                return rc;
        }
        if (rc != ESC_API_FAIL)
                return rc;
        /* Refused: maybe because an earlier run created this very id and
         * crashed before recording it. Then the issue exists: use it. */
        char err2[256];
        json_t *found;
        if (linear_call(api, "linear issue",
                        json_pack("{s:s, s:{s:s}}", "query", ISSUE_BY_ID, "variables", "id", uuid),
                        &found, err2, sizeof(err2)) == ESC_API_OK) {
                json_t *is = json_object_get(found, "issue");
                if (json_is_object(is) && issue_fields(is, issue_id, url) == 0) {
                        char q[160];
                        esc_log(ESC_LOG_INFO, COMP, "issue with this id exists already, using it",
                                "issue=%s", esc_log_quote(*issue_id, q, sizeof(q)));
                        if (errbuf_size)
                                errbuf[0] = '\0';
                        rc = ESC_API_OK;
                }
                json_decref(found);
        }
        return rc;
}

static const char ISSUE_UPDATE[] =
        "mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, "
        "input: $input) { success } }";
static const char COMMENT_CREATE[] =
        "mutation CommentCreate($input: CommentCreateInput!) { commentCreate(input: $input) "
        "{ success comment { id } } }";

/* The `success` of a mutation's answer data.<name>. */
static esc_api_rc_t mutation(esc_actions_apis_t *api, const char *name, json_t *req, char *errbuf,
                             size_t errbuf_size)
{
        char what[64];
        json_t *data;
        snprintf(what, sizeof(what), "linear %s", name);
        esc_api_rc_t rc = linear_call(api, what, req, &data, errbuf, errbuf_size);
        if (rc == ESC_API_OK &&
            !json_is_true(json_object_get(json_object_get(data, name), "success"))) {
                esc_err(errbuf, errbuf_size, "%s: answer lacks success", what);
                rc = ESC_API_FAIL;
        }
        json_decref(data);
        return rc;
}

esc_api_rc_t esc_actions_linear_issue_update(esc_actions_apis_t *api, const char *uuid,
                                             json_t *input, char *errbuf, size_t errbuf_size)
{
        return mutation(api, "issueUpdate",
                        json_pack("{s:s, s:{s:s, s:O}}", "query", ISSUE_UPDATE, "variables", "id",
                                  uuid, "input", input),
                        errbuf, errbuf_size);
}

static const char COMMENT_BY_ID[] = "query Comment($id: String!) { comment(id: $id) { id } }";

esc_api_rc_t esc_actions_linear_comment(esc_actions_apis_t *api, const char *uuid,
                                        const char *comment_uuid, const char *body, char *errbuf,
                                        size_t errbuf_size)
{
        esc_api_rc_t rc = mutation(api, "commentCreate",
                                   json_pack("{s:s, s:{s:{s:s, s:s, s:s}}}", "query",
                                             COMMENT_CREATE, "variables", "input", "id",
                                             comment_uuid, "issueId", uuid, "body", body),
                                   errbuf, errbuf_size);
        if (rc != ESC_API_FAIL)
                return rc;
        /* Refused: an earlier run that crashed before recording it may have
         * made this very comment. */
        char err2[256];
        json_t *found;
        if (linear_call(api, "linear comment",
                        json_pack("{s:s, s:{s:s}}", "query", COMMENT_BY_ID, "variables", "id",
                                  comment_uuid),
                        &found, err2, sizeof(err2)) == ESC_API_OK) {
                if (jstr(json_object_get(found, "comment"), "id")) {
                        if (errbuf_size)
                                errbuf[0] = '\0';
                        rc = ESC_API_OK;
                }
                json_decref(found);
        }
        return rc;
}

/* ---- PagerDuty ----------------------------------------------------------------- */

esc_api_rc_t esc_actions_pagerduty_event(esc_actions_apis_t *api, const char *routing_key,
                                         const char *action, const char *dedup_key,
                                         const char *summary, const char *component,
                                         const char *details_json, char *errbuf, size_t errbuf_size)
{
        http_resp_t r = {0};
        json_t *req = json_pack("{s:s, s:s, s:s}", "routing_key", routing_key, "event_action",
                                action, "dedup_key", dedup_key);
        if (req && !strcmp(action, "trigger")) {
                json_t *details = details_json ? json_loads(details_json, 0, NULL) : NULL;
                json_t *payload =
                        json_pack("{s:s, s:s, s:s}", "summary", summary ? summary : dedup_key,
                                  "source", "esc", "severity", "critical");
                if (payload && component)
                        json_object_set_new(payload, "component", json_string(component));
                if (payload && details)
                        json_object_set_new(payload, "custom_details", details);
                else
                        json_decref(details);
                json_object_set_new(req, "payload", payload);
                json_object_set_new(req, "client", json_string("esc"));
        }
        char *body = req ? dump(req) : NULL;
        if (!body)
                return esc_err(errbuf, errbuf_size, "pagerduty %s: cannot encode request", action),
                       ESC_API_FAIL;
        char what[64];
        snprintf(what, sizeof(what), "pagerduty %s", action);
        esc_buf_init(&r.body, API_RESPONSE_CAP);
        esc_api_rc_t rc = call(api, what, api->pd_url, NULL, body, &r, errbuf, errbuf_size);
        free(body);
        if (rc == ESC_API_FAIL) {
                json_t *j = r.body.data ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
                const char *m = jstr(j, "message");
                json_t *errs = json_object_get(j, "errors");
                const char *e = json_string_value(json_array_get(errs, 0));
                if (m || e)
                        esc_err(errbuf, errbuf_size,
                                "%s: HTTP %ld, message=\"%.200s\" error=\"%.200s\"", what, r.status,
                                m ? m : "", e ? e : "");
                json_decref(j);
        }
        esc_buf_free(&r.body);
        return rc;
}
