/* webhook.c — `esc webhook`: HTTP intake of commands (DESIGN §4).
 *
 *   POST /v1/commands  one generic JSON command or an array (json_command.h)
 *   POST /v1/zendesk   a signed Zendesk ticket-event webhook (zendesk.h); also
 *                      at /zendesk
 *   POST /slack/commands  the `/esc` slash command in an incident channel
 *                      (slack.h), signed with webhook.slack_signing_secret;
 *                      the incident is the one whose channel it was typed
 *                      in (esc.incidents, channel_lookup.h), the Slack user
 *                      a person through people[].slack_user_id
 *   POST /pylon        a Pylon issue webhook (pylon.h), with
 *                      Authorization: Bearer <webhook.pylon_secret>
 *   POST /slack/interactions  clicks on esc's messages: the Approve button
 *                      of a non-manager's `/esc override` (only a
 *                      cs_manager's click records it as theirs; anyone
 *                      else's click is recorded too, and refused)
 *   GET  /healthz      200 "ok" while the producer is usable
 *   GET  /metrics      Prometheus text (runtime/metrics.h)
 *
 * A request is answered 202 {"command_ids":[...]} only after Kafka
 * acknowledged every command in it (Slack gets 200 and an ephemeral text
 * once its command is on Kafka; the verdict reaches the channel through
 * the actions worker): the handler thread produces, then
 * sleeps on the request's own condition variable until the delivery
 * reports (served by one poller thread) have all come back. A request is
 * all or nothing at validation time: one bad command in an array refuses
 * the whole array (422) before anything is produced.
 *
 * Threads: libmicrohttpd's internal thread pool runs the handlers; the
 * Avro codec is not thread-safe, so each handler thread lazily gets its own
 * (kept in a list for shutdown). One poller thread serves delivery
 * reports. SIGTERM/SIGINT stop accepting, finish requests in flight, flush
 * and exit 0. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/codec.h"
#include "runtime/cli_args.h"
#include "producers/channel_lookup.h"
#include "producers/commands.h"
#include "producers/json_command.h"
#include "producers/pylon.h"
#include "producers/slack.h"
#include "producers/zendesk.h"
#include "runtime/policy_load.h"
#include "runtime/cmdout.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "runtime/registry.h"
#include "runtime/signals.h"
#include "runtime/sys.h"

#define WEBHOOK_MAX_BODY ((size_t)1 << 20) /* 1 MiB */
#define WEBHOOK_MAX_COMMANDS 1000          /* per request */
#define WEBHOOK_DEFAULT_LISTEN "127.0.0.1:8088"
#define WEBHOOK_DEFAULT_THREADS 16
#define WEBHOOK_DELIVERY_TIMEOUT_MS "30000"

typedef struct codec_slot {
        esc_codec_t *codec;
        struct codec_slot *next;
} codec_slot_t;

typedef struct webhook {
        esc_config_t *conf;
        esc_policy_t *pol; /* the accounts' Zendesk organizations */
        esc_cmdout_t *out;
        const char *topic;           /* esc_cmdout_topic(out) */
        const char *secret;          /* webhook.zendesk_secret; never logged */
        const char *slack_secret;    /* webhook.slack_signing_secret; never logged */
        const char *pylon_secret;    /* webhook.pylon_secret; never logged */
        const char *response_prefix; /* slack.response_url_prefix: where replies may go */
        esc_channel_lookup_t *channels;
        pthread_t poller;
        volatile int stop_poller;
        pthread_key_t codec_key;
        pthread_mutex_t codecs_mu;
        codec_slot_t *codecs;
        esc_metrics_t *metrics;
        esc_metric_t *m_requests, *m_commands, *m_latency;
} webhook_t;

/* One in-flight request. */
typedef struct req {
        esc_buf_t body;
        bool too_big;
        int64_t started_us;
        const char *path; /* route, for metrics */
} req_t;

/* Delivery-report rendezvous for one request's commands. */
typedef struct waiter {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        int pending;
        rd_kafka_resp_err_t err;
} waiter_t;

/* ---- Kafka --------------------------------------------------------------- */

static void on_delivery(rd_kafka_resp_err_t err, const rd_kafka_message_t *m, void *msg_opaque,
                        void *opaque)
{
        waiter_t *w = msg_opaque;

        if (!w)
                return;
        pthread_mutex_lock(&w->mu);
        if (err && !w->err)
                w->err = err;
        if (--w->pending == 0)
                pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
}

static void *poller_main(void *arg)
{
        webhook_t *wh = arg;
        while (!wh->stop_poller)
                esc_cmdout_poll(wh->out, 100);
        return NULL;
}

static esc_codec_t *thread_codec(webhook_t *wh, char *errbuf, size_t errbuf_size)
{
        esc_codec_t *c = pthread_getspecific(wh->codec_key);
        if (c)
                return c;
        c = esc_codec_new(wh->conf, errbuf, errbuf_size);
        if (!c)
                return NULL;
        codec_slot_t *s = esc_xcalloc(1, sizeof(*s));
        s->codec = c;
        pthread_mutex_lock(&wh->codecs_mu);
        s->next = wh->codecs;
        wh->codecs = s;
        pthread_mutex_unlock(&wh->codecs_mu);
        pthread_setspecific(wh->codec_key, c);
        return c;
}

/* Encodes and produces cmds[0..n), then waits for every delivery report.
 * Returns 0, or -1 with errbuf. */
static int deliver_all(webhook_t *wh, esc_command_t *cmds, int n, char *errbuf, size_t errbuf_size)
{
        waiter_t w = {.pending = 0};
        esc_codec_t *codec = thread_codec(wh, errbuf, errbuf_size);
        esc_buf_t enc;
        int rc = 0;

        if (!codec)
                return -1;
        pthread_mutex_init(&w.mu, NULL);
        pthread_cond_init(&w.cv, NULL);
        esc_buf_init(&enc, 4 * WEBHOOK_MAX_BODY);
        for (int i = 0; i < n && rc == 0; i++) {
                pthread_mutex_lock(&w.mu);
                w.pending++;
                pthread_mutex_unlock(&w.mu);
                if (esc_cmdout_send(wh->out, codec, &cmds[i], &enc, &w, errbuf, errbuf_size)) {
                        pthread_mutex_lock(&w.mu);
                        w.pending--;
                        pthread_mutex_unlock(&w.mu);
                        rc = -1;
                }
        }
        /* Wait for whatever was produced, even after an error: w lives on
         * this stack and the delivery callback will touch it. Bounded by
         * message.timeout.ms. */
        pthread_mutex_lock(&w.mu);
        while (w.pending > 0)
                pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        if (rc == 0 && w.err)
                rc = esc_err(errbuf, errbuf_size, "not delivered to %s: %s", wh->topic,
                             rd_kafka_err2str(w.err));
        pthread_cond_destroy(&w.cv);
        pthread_mutex_destroy(&w.mu);
        esc_buf_free(&enc);
        return rc;
}

/* ---- responses ----------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *ctype,
                               const char *body, size_t len)
{
        struct MHD_Response *r =
                MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        enum MHD_Result ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *conn, unsigned status, json_t *o)
{
        char *s = json_dumps(o, JSON_COMPACT);
        enum MHD_Result ret =
                respond(conn, status, "application/json", s ? s : "{}", s ? strlen(s) : 2);
        free(s);
        json_decref(o);
        return ret;
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status, const char *msg,
                                     const char *field)
{
        return respond_json(conn, status,
                            json_pack("{s:s, s:o}", "error", msg, "field",
                                      field && *field ? json_string(field) : json_null()));
}

static void observe(webhook_t *wh, req_t *rq, unsigned status)
{
        char labels[128], code[8];
        snprintf(code, sizeof(code), "%u", status);
        esc_metrics_labels(labels, sizeof(labels), "path", rq->path ? rq->path : "other", "code",
                           code, NULL);
        esc_metric_add(wh->m_requests, labels, 1);
        esc_metric_observe(wh->m_latency, NULL, (double)(esc_mono_us() - rq->started_us) / 1e6);
}

/* ---- routes -------------------------------------------------------------- */

static unsigned accepted(webhook_t *wh, struct MHD_Connection *conn, esc_command_t *cmds, int n,
                         enum MHD_Result *ret)
{
        char errbuf[512];
        if (deliver_all(wh, cmds, n, errbuf, sizeof(errbuf))) {
                esc_log(ESC_LOG_ERROR, "webhook", "delivery failed", "error=\"%s\"", errbuf);
                *ret = respond_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, errbuf, NULL);
                return MHD_HTTP_SERVICE_UNAVAILABLE;
        }
        json_t *ids = json_array();
        for (int i = 0; i < n; i++)
                json_array_append_new(ids, json_string(cmds[i].command_id));
        esc_metric_add(wh->m_commands, NULL, n);
        *ret = respond_json(conn, MHD_HTTP_ACCEPTED, json_pack("{s:o}", "command_ids", ids));
        return MHD_HTTP_ACCEPTED;
}

static unsigned post_commands(webhook_t *wh, struct MHD_Connection *conn, req_t *rq,
                              enum MHD_Result *ret)
{
        json_error_t jerr;
        json_t *doc = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len,
                                 JSON_REJECT_DUPLICATES, &jerr);
        esc_jsoncmd_defaults_t d = {.actor = "webhook"};
        esc_command_t *cmds = NULL;
        int n = 0, want;
        unsigned status;
        char msg[600];

        if (!doc) {
                snprintf(msg, sizeof(msg), "malformed JSON at line %d column %d: %s", jerr.line,
                         jerr.column, jerr.text);
                *ret = respond_error(conn, MHD_HTTP_BAD_REQUEST, msg, NULL);
                return MHD_HTTP_BAD_REQUEST;
        }
        if (json_is_array(doc))
                want = (int)json_array_size(doc);
        else if (json_is_object(doc))
                want = 1;
        else
                want = -1;
        if (want <= 0 || want > WEBHOOK_MAX_COMMANDS) {
                *ret = respond_error(conn, MHD_HTTP_BAD_REQUEST,
                                     want == 0 ? "empty array: send at least one command"
                                     : want < 0
                                             ? "the body must be a command object or an array "
                                               "of them"
                                             : "more than 1000 commands in one request: split it",
                                     NULL);
                json_decref(doc);
                return MHD_HTTP_BAD_REQUEST;
        }
        cmds = esc_xcalloc((size_t)want, sizeof(*cmds));
        for (n = 0; n < want; n++) {
                const json_t *o = json_is_array(doc) ? json_array_get(doc, (size_t)n) : doc;
                esc_jsoncmd_error_t e;
                esc_jsoncmd_rc_t jr = esc_json_command_from_json(o, &d, &cmds[n], &e);
                if (jr == ESC_JSONCMD_OK)
                        continue;
                status = jr == ESC_JSONCMD_MALFORMED ? MHD_HTTP_BAD_REQUEST
                                                     : MHD_HTTP_UNPROCESSABLE_CONTENT;
                json_t *err = json_pack("{s:s, s:o}", "error", e.message, "field",
                                        e.field[0] ? json_string(e.field) : json_null());
                if (json_is_array(doc))
                        json_object_set_new(err, "index", json_integer(n));
                *ret = respond_json(conn, status, err);
                goto out;
        }
        status = accepted(wh, conn, cmds, n, ret);
out:
        for (int i = 0; i < n; i++)
                esc_command_clear(&cmds[i]);
        free(cmds);
        json_decref(doc);
        return status;
}

/* The body as JSON, or NULL with the 400 answered. */
static json_t *body_json(req_t *rq, struct MHD_Connection *conn, enum MHD_Result *ret)
{
        json_error_t jerr;
        char msg[512];
        json_t *doc = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len,
                                 JSON_REJECT_DUPLICATES, &jerr);
        if (!doc) {
                snprintf(msg, sizeof(msg), "malformed JSON at line %d column %d: %s", jerr.line,
                         jerr.column, jerr.text);
                *ret = respond_error(conn, MHD_HTTP_BAD_REQUEST, msg, NULL);
        }
        return doc;
}

/* How a ticket system's mapped event is answered; rc is an esc_zd_rc_t or
 * the same-shaped esc_py_rc_t (command, ignored, malformed, invalid). */
static unsigned answer_mapped(webhook_t *wh, struct MHD_Connection *conn, int rc,
                              esc_command_t *cmd, const esc_jsoncmd_error_t *e,
                              enum MHD_Result *ret)
{
        _Static_assert((int)ESC_ZD_COMMAND == (int)ESC_PY_COMMAND &&
                               (int)ESC_ZD_IGNORED == (int)ESC_PY_IGNORED &&
                               (int)ESC_ZD_MALFORMED == (int)ESC_PY_MALFORMED,
                       "the mappers' results line up");
        switch (rc) {
        case ESC_ZD_COMMAND:
                return accepted(wh, conn, cmd, 1, ret);
        case ESC_ZD_IGNORED: /* 200, not an error: the sender must not retry it */
                *ret = respond_json(conn, MHD_HTTP_OK,
                                    json_pack("{s:[], s:s}", "command_ids", "ignored", e->message));
                return MHD_HTTP_OK;
        case ESC_ZD_MALFORMED:
                *ret = respond_error(conn, MHD_HTTP_BAD_REQUEST, e->message, e->field);
                return MHD_HTTP_BAD_REQUEST;
        default:
                *ret = respond_error(conn, MHD_HTTP_UNPROCESSABLE_CONTENT, e->message, e->field);
                return MHD_HTTP_UNPROCESSABLE_CONTENT;
        }
}

static unsigned post_zendesk(webhook_t *wh, struct MHD_Connection *conn, req_t *rq,
                             enum MHD_Result *ret)
{
        const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, ESC_ZD_SIG_HEADER);
        const char *ts = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, ESC_ZD_TS_HEADER);
        char errbuf[512];
        esc_command_t cmd;
        esc_jsoncmd_error_t e;
        unsigned status;

        if (esc_zendesk_verify(wh->secret, ts, sig, rq->body.data ? rq->body.data : "",
                               rq->body.len, 0, errbuf, sizeof(errbuf))) {
                *ret = respond_error(conn, MHD_HTTP_UNAUTHORIZED, errbuf, ESC_ZD_SIG_HEADER);
                return MHD_HTTP_UNAUTHORIZED;
        }
        json_t *doc = body_json(rq, conn, ret);
        if (!doc)
                return MHD_HTTP_BAD_REQUEST;
        esc_zd_rc_t rc = esc_zendesk_map(wh->conf, wh->pol, doc, 0, &cmd, &e);
        status = answer_mapped(wh, conn, (int)rc, &cmd, &e, ret);
        esc_command_clear(&cmd);
        json_decref(doc);
        return status;
}

/* ---- Slack --------------------------------------------------------------- */

/* Slack shows a 200's text to the one who typed the command only. */
static unsigned slack_reply(struct MHD_Connection *conn, enum MHD_Result *ret, const char *text)
{
        *ret = respond_json(conn, MHD_HTTP_OK,
                            json_pack("{s:s, s:s}", "response_type", "ephemeral", "text", text));
        return MHD_HTTP_OK;
}

static void slack_status(const esc_channel_incident_t *inc, char *out, size_t size)
{
        snprintf(out, size,
                 "*%s* %s\nSev %d · %s · owner %s · CSM %s\nresponse due %s%s · next update due %s "
                 "· "
                 "resolution due %s%s",
                 inc->incident_id, inc->title, inc->sev, inc->status,
                 *inc->owner ? inc->owner : "—", *inc->csm ? inc->csm : "—",
                 *inc->response_due_at ? inc->response_due_at : "—",
                 inc->response_breached ? " (breached)" : "",
                 *inc->next_update_due_at ? inc->next_update_due_at : "—",
                 *inc->resolution_due_at ? inc->resolution_due_at : "—",
                 inc->resolution_breached ? " (breached)" : "");
}

/* The default promise of an ack or a customer update: the sev's update
 * cadence (one business day for a sev without one). */
static esc_time_t slack_next_update(const esc_policy_t *pol, int sev, esc_time_t now)
{
        esc_dur_t d = {ESC_DUR_BUSINESS, 1};
        if (sev >= 1 && sev <= 4 && pol->sev[sev].update_every.kind != ESC_DUR_NONE)
                d = pol->sev[sev].update_every;
        return esc_policy_add(pol, now, d);
}

/* o's next_update: now + the sev's cadence (slack_next_update). */
static void promise_next_update(const webhook_t *wh, json_t *o, int sev)
{
        char t[40];
        esc_time_format(slack_next_update(wh->pol, sev, esc_now()), t, sizeof(t));
        json_object_set_new(o, "next_update", json_string(t));
}

/* The channel's request for a manager's click on a non-manager's override
 * (esc_slack_approval_message), logged. reason is at most
 * ESC_SLACK_REASON_MAX bytes (the callers refuse longer ones). */
static json_t *approval_request(const char *incident_id, int sev, const char *reason,
                                const char *requester)
{
        esc_slack_approval_t a = {.sev = sev};
        char q[160];

        esc_strlcpy(a.incident_id, incident_id, sizeof(a.incident_id));
        esc_strlcpy(a.reason, reason, sizeof(a.reason));
        esc_strlcpy(a.requester, requester, sizeof(a.requester));
        esc_log(ESC_LOG_INFO, "webhook", "slack override approval requested",
                "incident=%s sev=%d by=%s", esc_log_quote(a.incident_id, q, sizeof(q)), a.sev,
                requester);
        return esc_slack_approval_message(&a);
}

/* 0 if the request is Slack's (v0 signature, fresh timestamp); else the
 * 401 is answered and logged. */
static unsigned slack_signed(webhook_t *wh, struct MHD_Connection *conn, req_t *rq,
                             enum MHD_Result *ret)
{
        const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, ESC_SLACK_SIG_HEADER);
        const char *ts = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, ESC_SLACK_TS_HEADER);
        char errbuf[512];

        if (!esc_slack_verify(wh->slack_secret, ts, sig, rq->body.data ? rq->body.data : "",
                              rq->body.len, 0, errbuf, sizeof(errbuf)))
                return 0;
        esc_log(ESC_LOG_WARN, "webhook", "slack request refused", "path=%s reason=\"%s\"", rq->path,
                errbuf);
        *ret = respond_error(conn, MHD_HTTP_UNAUTHORIZED, errbuf, ESC_SLACK_SIG_HEADER);
        return MHD_HTTP_UNAUTHORIZED;
}

static size_t collect(char *p, size_t size, size_t nmemb, void *opaque)
{
        return esc_buf_append(opaque, p, size * nmemb) ? 0 : size * nmemb;
}

/* POSTs msg (consumed) as JSON to url, with auth (a header line, nullable).
 * Returns 0, or -1 with errbuf: a transport error, a status other than 2xx,
 * or Slack's {"ok":false,"error":...} (a response_url answers "ok" or
 * {"ok":true}). */
static int post_json(const char *url, const char *auth, json_t *msg, char *errbuf,
                     size_t errbuf_size)
{
        char *body = json_dumps(msg, JSON_COMPACT);
        CURL *c = curl_easy_init();
        struct curl_slist *h =
                curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
        esc_buf_t resp;
        long code = 0;
        CURLcode cc = CURLE_FAILED_INIT;
        int rc = 0;

        json_decref(msg);
        esc_buf_init(&resp, 64 << 10);
        if (auth)
                h = curl_slist_append(h, auth);
        if (c && body) {
                curl_easy_setopt(c, CURLOPT_URL, url);
                curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
                curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
                curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
                curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
                cc = curl_easy_perform(c);
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        }
        json_t *j = resp.data ? json_loads(resp.data, 0, NULL) : NULL;
        if (cc != CURLE_OK)
                rc = esc_err(errbuf, errbuf_size, "%s", curl_easy_strerror(cc));
        else if (code / 100 != 2)
                rc = esc_err(errbuf, errbuf_size, "HTTP %ld", code);
        else if (json_is_object(j) && json_is_false(json_object_get(j, "ok")))
                rc = esc_err(errbuf, errbuf_size, "ok:false, error %.64s",
                             json_string_value(json_object_get(j, "error")) ?: "unknown");
        json_decref(j);
        esc_buf_free(&resp);
        curl_easy_cleanup(c);
        curl_slist_free_all(h); /* holds the token: freed right away */
        free(body);
        return rc;
}

/* Posts msg (consumed) to an interaction's response_url: Slack's way to
 * answer a click after the 200, ephemerally or replacing the message. Only
 * URLs under slack.response_url_prefix are called: the URL comes from the
 * request. */
static void slack_respond_later(webhook_t *wh, const char *url, json_t *msg)
{
        char errbuf[256];

        if (!*url || strncmp(url, wh->response_prefix, strlen(wh->response_prefix)) != 0) {
                esc_log(ESC_LOG_WARN, "webhook", "slack response_url not called",
                        "reason=\"not under slack.response_url_prefix %s\"", wh->response_prefix);
                json_decref(msg);
                return;
        }
        if (post_json(url, NULL, msg, errbuf, sizeof(errbuf)))
                esc_log(ESC_LOG_WARN, "webhook", "slack response_url failed", "error=\"%s\"",
                        errbuf);
}

/* A Slack Web API method (slack.api_url, the bot's slack.token) with req
 * (consumed). Returns 0, or -1 (logged). */
static int slack_api(webhook_t *wh, const char *method, json_t *req)
{
        char url[1024], auth[600], errbuf[256];
        const char *token = esc_config_get(wh->conf, "slack.token");

        if (!token || !*token) {
                esc_log(ESC_LOG_WARN, "webhook", "slack call not made",
                        "method=%s reason=\"slack.token is not set (env ESC_SLACK_TOKEN)\"",
                        method);
                json_decref(req);
                return -1;
        }
        snprintf(url, sizeof(url), "%s/%s",
                 esc_config_str(wh->conf, "slack.api_url", "https://slack.com/api"), method);
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        int rc = post_json(url, auth, req, errbuf, sizeof(errbuf));
        memset(auth, 0, sizeof(auth));
        if (rc)
                esc_log(ESC_LOG_WARN, "webhook", "slack call failed", "method=%s error=\"%s\"",
                        method, errbuf);
        return rc;
}

/* Records o (consumed: a JSON command from Slack, `by` the person who
 * acted) and says how it went into text; true if Kafka has it. The trigger
 * id, unique per slash command, click or submission, is the command id, so
 * a retried delivery is decided once. via names the way in, for the log. */
static bool slack_record(webhook_t *wh, json_t *o, const char *channel_id, const char *trigger_id,
                         const char *via, char *text, size_t size)
{
        char errbuf[512], cid[160], q[160];
        esc_jsoncmd_defaults_t d = {.actor = json_string_value(json_object_get(o, "by"))};
        esc_jsoncmd_error_t e;
        esc_command_t cmd;
        bool ok = false;

        json_object_set_new(o, "source",
                            json_pack("{s:s, s:s}", "system", "slack", "ticket_id", channel_id));
        snprintf(cid, sizeof(cid), "slack-%.120s", trigger_id);
        if (*trigger_id)
                json_object_set_new(o, "command_id", json_string(cid));
        if (esc_json_command_from_json(o, &d, &cmd, &e) != ESC_JSONCMD_OK) {
                snprintf(text, size, "Not recorded: %s", e.message);
        } else if (deliver_all(wh, &cmd, 1, errbuf, sizeof(errbuf))) {
                esc_log(ESC_LOG_ERROR, "webhook", "delivery failed", "error=\"%s\"", errbuf);
                snprintf(text, size,
                         "esc could not record that right now (Kafka did not take it); try "
                         "again shortly.");
        } else {
                esc_metric_add(wh->m_commands, NULL, 1);
                esc_log(ESC_LOG_INFO, "webhook", "slack command recorded",
                        "incident=%s type=%s by=%s via=%s command_id=%s",
                        esc_log_quote(cmd.incident_id, q, sizeof(q)),
                        esc_command_type_name(cmd.type), cmd.actor, via, cmd.command_id);
                snprintf(text, size, "Recorded `%s` for %s; the verdict follows in this channel.",
                         esc_command_type_name(cmd.type), cmd.incident_id);
                ok = true;
        }
        esc_command_clear(&cmd);
        json_decref(o);
        return ok;
}

static unsigned post_slack_command(webhook_t *wh, struct MHD_Connection *conn, req_t *rq,
                                   enum MHD_Result *ret)
{
        const char *body = rq->body.data ? rq->body.data : "";
        char errbuf[512], text[1024], cid[160], q[160];
        esc_slack_slash_t sl;
        esc_channel_incident_t inc;
        esc_slash_t slash = {0};
        unsigned status;

        if ((status = slack_signed(wh, conn, rq, ret)))
                return status;
        if (esc_slack_slash_parse(body, rq->body.len, &sl, errbuf, sizeof(errbuf))) {
                esc_log(ESC_LOG_WARN, "webhook", "slack request refused", "reason=\"%s\"", errbuf);
                *ret = respond_error(conn, MHD_HTTP_BAD_REQUEST, errbuf, NULL);
                return MHD_HTTP_BAD_REQUEST;
        }
        const esc_person_t *who = esc_policy_person_by_slack(wh->pol, sl.user_id);
        if (!who) {
                esc_log(ESC_LOG_WARN, "webhook", "slack user is nobody in the policy",
                        "user=%s channel=%s fix=\"add slack_user_id to the person in the policy's "
                        "people\"",
                        esc_log_quote(sl.user_id, q, sizeof(q)), sl.channel_id);
                snprintf(text, sizeof(text),
                         "esc does not know you (Slack user %s): ask for slack_user_id %s on your "
                         "person in the policy's people. Nothing was recorded.",
                         sl.user_id, sl.user_id);
                status = slack_reply(conn, ret, text);
                goto out;
        }
        esc_time_t now = esc_now();
        esc_slash_ctx_t ctx = {
                .incident_id = "", .by = who->id, .channel_id = sl.channel_id, .now = now};
        esc_slack_slash_build(sl.text, &ctx, &slash); /* the verb first: help needs no incident */
        if (slash.kind == ESC_SLASH_HELP || slash.kind == ESC_SLASH_USAGE) {
                status = slack_reply(
                        conn, ret, slash.kind == ESC_SLASH_HELP ? esc_slack_help() : slash.message);
                goto out;
        }
        int found = esc_channel_lookup(wh->channels, sl.channel_id, &inc, errbuf, sizeof(errbuf));
        if (found < 0) {
                esc_log(ESC_LOG_ERROR, "webhook", "slack channel lookup failed",
                        "channel=%s error=\"%s\"", sl.channel_id, errbuf);
                status = slack_reply(conn, ret,
                                     "esc cannot look this channel up right now (its database "
                                     "is unreachable); nothing was recorded, try again shortly.");
                goto out;
        }
        if (!found) {
                snprintf(text, sizeof(text),
                         "This channel is not an incident channel: no incident has Slack channel "
                         "%s. Type /esc in the incident's own channel.",
                         sl.channel_id);
                status = slack_reply(conn, ret, text);
                goto out;
        }
        if (slash.kind == ESC_SLASH_STATUS) {
                slack_status(&inc, text, sizeof(text));
                status = slack_reply(conn, ret, text);
                goto out;
        }
        /* Again with the incident: its id, and the sev's cadence as the
         * default promise. The trigger id is unique per invocation. */
        json_decref(slash.cmd);
        snprintf(cid, sizeof(cid), "slack-%.120s", sl.trigger_id);
        ctx.incident_id = inc.incident_id;
        ctx.command_id = *sl.trigger_id ? cid : NULL;
        ctx.next_update = slack_next_update(wh->pol, inc.sev, now);
        esc_slack_slash_build(sl.text, &ctx, &slash);
        if (slash.kind == ESC_SLASH_COMMAND && who->role != ESC_ROLE_CS_MANAGER &&
            !strcmp(json_string_value(json_object_get(slash.cmd, "type")), "override")) {
                /* Not theirs to decide: the channel is asked for a manager's click. */
                const char *reason = json_string_value(json_object_get(slash.cmd, "reason"));
                if (strlen(reason) > ESC_SLACK_REASON_MAX) {
                        status = slack_reply(conn, ret,
                                             "That reason is too long for an approval request "
                                             "(1024 bytes at most). Nothing was recorded.");
                        goto out;
                }
                int sev = (int)json_integer_value(json_object_get(slash.cmd, "sev"));
                *ret = respond_json(conn, MHD_HTTP_OK,
                                    approval_request(inc.incident_id, sev, reason, who->id));
                status = MHD_HTTP_OK;
                goto out;
        }
        slack_record(wh, json_incref(slash.cmd), sl.channel_id, sl.trigger_id, "slash", text,
                     sizeof(text));
        status = slack_reply(conn, ret, text);
out:
        json_decref(slash.cmd);
        esc_slack_slash_clear(&sl);
        return status;
}

static json_t *ephemeral(const char *text)
{
        return json_pack("{s:s, s:b, s:s}", "response_type", "ephemeral", "replace_original", 0,
                         "text", text);
}

static unsigned modal_error(struct MHD_Connection *conn, enum MHD_Result *ret, const char *block,
                            const char *text)
{
        *ret = respond_json(
                conn, MHD_HTTP_OK,
                json_pack("{s:s, s:{s:s}}", "response_action", "errors", "errors", block, text));
        return MHD_HTTP_OK;
}

/* A submitted modal (esc_slack_modal): the update is recorded as the
 * submitter's; the override request is recorded at once for a cs_manager,
 * else posted in the channel for a manager's click. 200 with no body closes
 * the modal; {"response_action":"errors"} keeps it open, saying why. */
static unsigned slack_submitted(webhook_t *wh, struct MHD_Connection *conn,
                                const esc_slack_click_t *click, enum MHD_Result *ret)
{
        char errbuf[512], text[ESC_SLACK_REASON_MAX + 512], q[160];
        esc_channel_incident_t inc;
        bool update = !strcmp(click->action_id, ESC_SLACK_ACTION_UPDATE);
        const char *block = update ? "body" : "reason";
        const esc_person_t *who = esc_policy_person_by_slack(wh->pol, click->user_id);
        int found =
                esc_channel_lookup(wh->channels, click->channel_id, &inc, errbuf, sizeof(errbuf));

        if (!update && strcmp(click->action_id, ESC_SLACK_ACTION_REQUEST_OVERRIDE))
                return modal_error(conn, ret, "body", "This form is not esc's.");
        if (!who)
                return modal_error(conn, ret, block,
                                   "esc does not know you: ask for your slack_user_id in the "
                                   "policy's people.");
        if (found <= 0 || strcmp(inc.incident_id, click->incident_id)) {
                esc_log(ESC_LOG_WARN, "webhook", "slack form not recorded",
                        "user=%s channel=%s reason=\"%s\"",
                        esc_log_quote(click->user_id, q, sizeof(q)), click->channel_id,
                        found < 0 ? errbuf : "not the channel's incident");
                return modal_error(conn, ret, block,
                                   found < 0 ? "esc cannot look the channel up right now; try "
                                               "again shortly."
                                             : "This form is not for that channel's incident.");
        }
        if (!*click->text)
                return modal_error(conn, ret, block,
                                   update ? "Say what the update is." : "Say why.");
        if (!update && !click->sev)
                return modal_error(conn, ret, "sev", "Choose the new severity.");
        if (!update && strlen(click->text) > ESC_SLACK_REASON_MAX)
                return modal_error(conn, ret, "reason", "At most 1024 bytes.");
        if (!update && who->role != ESC_ROLE_CS_MANAGER) {
                json_t *msg = approval_request(inc.incident_id, click->sev, click->text, who->id);
                json_object_del(msg, "response_type");
                json_object_set_new(msg, "channel", json_string(click->channel_id));
                if (slack_api(wh, "chat.postMessage", msg))
                        return modal_error(conn, ret, "reason",
                                           "esc could not post the request in the channel; try "
                                           "again shortly.");
                *ret = respond(conn, MHD_HTTP_OK, "text/plain", "", 0);
                return MHD_HTTP_OK;
        }
        json_t *o = json_pack("{s:s, s:s, s:s}", "type", update ? "update" : "override",
                              "incident_id", inc.incident_id, "by", who->id);
        if (update) {
                json_object_set_new(o, "audience",
                                    json_string(click->internal ? "internal" : "external"));
                json_object_set_new(o, "body", json_string(click->text));
                if (!click->internal)
                        promise_next_update(wh, o, inc.sev);
        } else {
                json_object_set_new(o, "sev", json_integer(click->sev));
                json_object_set_new(o, "reason", json_string(click->text));
        }
        if (!slack_record(wh, o, click->channel_id, click->trigger_id, click->action_id, text,
                          sizeof(text)))
                return modal_error(conn, ret, block, text);
        *ret = respond(conn, MHD_HTTP_OK, "text/plain", "", 0);
        return MHD_HTTP_OK;
}

/* A click on one of esc's messages: the kickoff's buttons record the
 * clicker's ack, resolve or confirm; an Approve button the requested
 * override, as the clicker's, which the ledger refuses unless they are a
 * cs_manager (so a refused attempt is in the log too). Slack gets 200 at
 * once, the clicker their answer through the response_url. */
static unsigned post_slack_interaction(webhook_t *wh, struct MHD_Connection *conn, req_t *rq,
                                       enum MHD_Result *ret)
{
        char errbuf[512], text[ESC_SLACK_REASON_MAX + 512], q[160];
        esc_slack_click_t click;
        esc_slack_approval_t a = {0};
        esc_channel_incident_t inc;
        unsigned status;

        if ((status = slack_signed(wh, conn, rq, ret)))
                return status;
        if (esc_slack_click_parse(rq->body.data ? rq->body.data : "", rq->body.len, &click, errbuf,
                                  sizeof(errbuf))) {
                esc_log(ESC_LOG_WARN, "webhook", "slack request refused",
                        "path=/slack/interactions reason=\"%s\"", errbuf);
                *ret = respond_error(conn, MHD_HTTP_BAD_REQUEST, errbuf, NULL);
                return MHD_HTTP_BAD_REQUEST;
        }
        if (click.submitted)
                return slack_submitted(wh, conn, &click, ret);
        *ret = respond(conn, MHD_HTTP_OK, "text/plain", "", 0); /* the answer comes later */
        static const struct {
                const char *action, *type, *key, *text;
        } buttons[] = {
                {ESC_SLACK_ACTION_ACK, "ack", "message", "Acknowledged from the kickoff post"},
                {ESC_SLACK_ACTION_RESOLVE, "resolve", "summary", "Resolved from the kickoff post"},
                {ESC_SLACK_ACTION_CONFIRM, "confirm", "note", "Confirmed from the kickoff post"},
        };
        size_t b = 0;
        bool approval = !strcmp(click.action_id, ESC_SLACK_APPROVE_ACTION);
        json_t *modal =
                approval ? NULL : esc_slack_modal(click.action_id, click.value, click.channel_id);
        while (!approval && !modal && b < sizeof(buttons) / sizeof(buttons[0]) &&
               strcmp(click.action_id, buttons[b].action))
                b++;
        if (approval ? esc_slack_approval_parse(click.value, &a) != 0
                     : !modal && b == sizeof(buttons) / sizeof(buttons[0])) {
                esc_log(ESC_LOG_WARN, "webhook", "slack click ignored",
                        "action=%s reason=\"not a button esc handles\"",
                        esc_log_quote(click.action_id, q, sizeof(q)));
                return MHD_HTTP_OK;
        }
        const char *target = approval ? a.incident_id : click.value;
        const esc_person_t *who = esc_policy_person_by_slack(wh->pol, click.user_id);
        int found =
                esc_channel_lookup(wh->channels, click.channel_id, &inc, errbuf, sizeof(errbuf));
        const char *refusal =
                !who        ? "esc does not know you: ask for your slack_user_id in the "
                              "policy's people. Nothing was recorded."
                : found < 0 ? "esc cannot look this channel up right now; nothing was "
                              "recorded, click again shortly."
                : !found || strcmp(inc.incident_id, target)
                        ? "This button is not for this channel's incident; nothing was recorded."
                        : NULL;
        if (refusal) {
                esc_log(ESC_LOG_WARN, "webhook", "slack click not recorded",
                        "user=%s channel=%s reason=\"%s\"",
                        esc_log_quote(click.user_id, q, sizeof(q)), click.channel_id,
                        found < 0 ? errbuf : refusal);
                slack_respond_later(wh, click.response_url, ephemeral(refusal));
                json_decref(modal);
                return MHD_HTTP_OK;
        }
        if (modal) { /* its submission comes back as a view_submission */
                if (slack_api(
                            wh, "views.open",
                            json_pack("{s:s, s:o}", "trigger_id", click.trigger_id, "view", modal)))
                        slack_respond_later(wh, click.response_url,
                                            ephemeral("esc could not open the form; use /esc "
                                                      "update or /esc override instead."));
                return MHD_HTTP_OK;
        }
        if (!approval) {
                json_t *o =
                        json_pack("{s:s, s:s, s:s, s:s}", "type", buttons[b].type, "incident_id",
                                  inc.incident_id, "by", who->id, buttons[b].key, buttons[b].text);
                if (!strcmp(buttons[b].type, "ack"))
                        promise_next_update(wh, o, inc.sev);
                slack_record(wh, o, click.channel_id, click.trigger_id, click.action_id, text,
                             sizeof(text));
                slack_respond_later(wh, click.response_url, ephemeral(text));
                return MHD_HTTP_OK;
        }
        char reason[ESC_SLACK_REASON_MAX + 160];
        snprintf(reason, sizeof(reason), "%s (requested by %s)", a.reason, a.requester);
        bool manager = who->role == ESC_ROLE_CS_MANAGER;
        bool recorded = slack_record(
                wh,
                json_pack("{s:s, s:s, s:s, s:i, s:s}", "type", "override", "incident_id",
                          a.incident_id, "by", who->id, "sev", a.sev, "reason", reason),
                click.channel_id, click.trigger_id, click.action_id, text, sizeof(text));
        /* A manager's approval replaces the request for everyone; the rest
         * is said to the clicker alone. */
        if (recorded && manager) {
                snprintf(text, sizeof(text),
                         ":white_check_mark: *%s* approved %s's request: %s to Sev %d: %s", who->id,
                         a.requester, a.incident_id, a.sev, a.reason);
                slack_respond_later(wh, click.response_url,
                                    json_pack("{s:s, s:b, s:s}", "response_type", "in_channel",
                                              "replace_original", 1, "text", text));
                return MHD_HTTP_OK;
        }
        if (recorded)
                snprintf(text, sizeof(text),
                         "Only a CS manager can approve an override: your click is recorded as a "
                         "refused override of %s.",
                         a.incident_id);
        slack_respond_later(wh, click.response_url, ephemeral(text));
        return MHD_HTTP_OK;
}

static unsigned post_pylon(webhook_t *wh, struct MHD_Connection *conn, req_t *rq,
                           enum MHD_Result *ret)
{
        const char *auth =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        char errbuf[512];
        esc_command_t cmd;
        esc_jsoncmd_error_t e;
        unsigned status;

        if (esc_pylon_verify(wh->pylon_secret, auth, errbuf, sizeof(errbuf))) {
                esc_log(ESC_LOG_WARN, "webhook", "pylon request refused", "reason=\"%s\"", errbuf);
                *ret = respond_error(conn, MHD_HTTP_UNAUTHORIZED, errbuf, "Authorization");
                return MHD_HTTP_UNAUTHORIZED;
        }
        json_t *doc = body_json(rq, conn, ret);
        if (!doc)
                return MHD_HTTP_BAD_REQUEST;
        esc_py_rc_t rc = esc_pylon_map(wh->conf, wh->pol, doc, 0, &cmd, &e);
        status = answer_mapped(wh, conn, (int)rc, &cmd, &e, ret);
        esc_command_clear(&cmd);
        json_decref(doc);
        return status;
}

static bool is_type(const char *ct, const char *want)
{
        size_t n = strlen(want);
        if (!ct || strncasecmp(ct, want, n) != 0)
                return false;
        return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
        webhook_t *wh = cls;
        req_t *rq = *con_cls;
        enum MHD_Result ret = MHD_NO;
        unsigned status;

        if (!rq) {
                rq = esc_xcalloc(1, sizeof(*rq));
                rq->started_us = esc_mono_us();
                esc_buf_init(&rq->body, WEBHOOK_MAX_BODY);
                rq->path = !strcmp(url, "/v1/commands") ? "/v1/commands"
                           : !strcmp(url, "/v1/zendesk") || !strcmp(url, "/zendesk")
                                   ? "/v1/zendesk" /* DESIGN §9 names it /zendesk */
                           : !strcmp(url, "/pylon")              ? "/pylon"
                           : !strcmp(url, "/slack/commands")     ? "/slack/commands"
                           : !strcmp(url, "/slack/interactions") ? "/slack/interactions"
                           : !strcmp(url, "/healthz")            ? "/healthz"
                           : !strcmp(url, "/metrics")            ? "/metrics"
                                                                 : "other";
                *con_cls = rq;
                if (!strcmp(method, "POST")) {
                        /* refuse a declared oversize body before reading it */
                        const char *cl = MHD_lookup_connection_value(
                                conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
                        if (cl && strtoull(cl, NULL, 10) > WEBHOOK_MAX_BODY)
                                rq->too_big = true;
                        else
                                return MHD_YES; /* body follows */
                }
        }
        if (!strcmp(method, "POST") && *upload_data_size > 0) {
                if (!rq->too_big && esc_buf_append(&rq->body, upload_data, *upload_data_size))
                        rq->too_big = true; /* keep reading, discard */
                *upload_data_size = 0;
                return MHD_YES;
        }

        bool post = !strcmp(method, "POST");
        bool get = !strcmp(method, "GET");
        bool slack = !strncmp(rq->path, "/slack/", 7);
        bool reads = !strcmp(rq->path, "/healthz") || !strcmp(rq->path, "/metrics");
        const char *ctype =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!strcmp(rq->path, "/healthz") && get) {
                status = MHD_HTTP_OK;
                ret = respond(conn, status, "text/plain", "ok\n", 3);
        } else if (!strcmp(rq->path, "/metrics") && get) {
                esc_buf_t out;
                esc_buf_init(&out, 4 << 20);
                esc_metrics_render(wh->metrics, &out);
                status = MHD_HTTP_OK;
                ret = respond(conn, status, "text/plain; version=0.0.4", out.data ? out.data : "",
                              out.len);
                esc_buf_free(&out);
        } else if (!strcmp(rq->path, "other")) {
                status = MHD_HTTP_NOT_FOUND;
                ret = respond_error(conn, status,
                                    "no such endpoint (POST /v1/commands, POST /v1/zendesk, "
                                    "POST /pylon, POST /slack/commands, POST /slack/interactions, "
                                    "GET /healthz, GET /metrics)",
                                    NULL);
        } else if ((!reads && !post) || (reads && !get)) {
                status = MHD_HTTP_METHOD_NOT_ALLOWED;
                ret = respond_error(conn, status, "method not allowed here", NULL);
        } else if (rq->too_big) {
                status = MHD_HTTP_CONTENT_TOO_LARGE;
                ret = respond_error(conn, status, "body larger than 1048576 bytes: split it", NULL);
        } else if (slack ? !is_type(ctype, "application/x-www-form-urlencoded")
                         : !is_type(ctype, "application/json")) {
                status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
                ret = respond_error(conn, status,
                                    slack ? "Content-Type must be "
                                            "application/x-www-form-urlencoded (as Slack sends)"
                                          : "Content-Type must be application/json",
                                    "Content-Type");
        } else if (!strcmp(rq->path, "/slack/commands")) {
                status = post_slack_command(wh, conn, rq, &ret);
        } else if (slack) {
                status = post_slack_interaction(wh, conn, rq, &ret);
        } else if (!strcmp(rq->path, "/pylon")) {
                status = post_pylon(wh, conn, rq, &ret);
        } else if (!strcmp(rq->path, "/v1/commands")) {
                status = post_commands(wh, conn, rq, &ret);
        } else {
                status = post_zendesk(wh, conn, rq, &ret);
        }
        observe(wh, rq, status);
        return ret;
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        req_t *rq = *con_cls;
        if (!rq)
                return;
        esc_buf_free(&rq->body);
        free(rq);
        *con_cls = NULL;
}

/* ---- the command --------------------------------------------------------- */

static void free_codec_key(void *p)
{
        (void)p; /* codecs are freed from the list at shutdown */
}

int esc_cmd_webhook(esc_cli_t *cli, int argc, char **argv)
{
        const char *listen = NULL;
        bool help = false;
        esc_opt_int_t threads = {WEBHOOK_DEFAULT_THREADS, 1, 256};
        const esc_opt_t opts[] = {
                {"listen", ESC_OPT_STR, &listen, 64},
                {"threads", ESC_OPT_INT, &threads, 8},
                {"help", ESC_OPT_BOOL, &help, 0},
                {0},
        };
        char errbuf[512];
        struct sockaddr_in sa;
        webhook_t wh = {.conf = cli->conf};
        bool poller_up = false;
        struct MHD_Daemon *d = NULL;
        int rc = ESC_EXIT_RUNTIME;

        if (esc_cli_wants_help(argc, argv)) {
                printf("usage: esc webhook [--listen ADDR:PORT] [--threads N]\n"
                       "HTTP intake: POST /v1/commands (JSON command or array), POST "
                       "/v1/zendesk\n(signed with webhook.zendesk_secret), POST /pylon (Bearer "
                       "webhook.pylon_secret),\nPOST /slack/commands and /slack/interactions (the "
                       "/esc slash command and\nclicks, signed with webhook.slack_signing_secret; "
                       "the channel's incident is\nlooked up in PostgreSQL, postgres.url), GET "
                       "/healthz, GET /metrics.\nDefault listen: webhook.listen, else %s.\n",
                       WEBHOOK_DEFAULT_LISTEN);
                return ESC_EXIT_OK;
        }
        if (esc_cli_parse(argc, argv, opts, NULL, 0, NULL, errbuf, sizeof(errbuf)))
                return esc_cli_fail(ESC_EXIT_USAGE, "webhook", "%s", errbuf);
        if (!listen)
                listen = esc_config_str(cli->conf, "webhook.listen", WEBHOOK_DEFAULT_LISTEN);
        if (esc_listen_parse("--listen", listen, &sa, errbuf, sizeof(errbuf)))
                return esc_cli_fail(ESC_EXIT_USAGE, "webhook", "%s", errbuf);
        wh.secret = esc_config_get(cli->conf, "webhook.zendesk_secret");
        if (!wh.secret || !*wh.secret)
                esc_log(ESC_LOG_WARN, "webhook",
                        "webhook.zendesk_secret is not set: POST /v1/zendesk answers 401", NULL);
        wh.pylon_secret = esc_config_get(cli->conf, "webhook.pylon_secret");
        wh.slack_secret = esc_config_get(cli->conf, "webhook.slack_signing_secret");
        if (!wh.slack_secret || !*wh.slack_secret)
                esc_log(ESC_LOG_WARN, "webhook",
                        "webhook.slack_signing_secret is not set: POST /slack/commands answers 401",
                        NULL);
        wh.channels = esc_channel_lookup_new(esc_config_get(cli->conf, "postgres.url"));
        wh.response_prefix =
                esc_config_str(cli->conf, "slack.response_url_prefix", "https://hooks.slack.com/");
        curl_global_init(CURL_GLOBAL_DEFAULT);

        /* Delivery must not keep a caller waiting for librdkafka's default
         * five minutes; an operator's kafka.properties setting wins. */
        if (!esc_config_get(cli->conf, "kafka.properties.message.timeout.ms"))
                esc_config_set(cli->conf, "kafka.properties.message.timeout.ms",
                               WEBHOOK_DELIVERY_TIMEOUT_MS);
        wh.out = esc_cmdout_new(cli->conf, on_delivery, &wh, 0, errbuf, sizeof(errbuf));
        if (!wh.out)
                return esc_cli_fail(ESC_EXIT_RUNTIME, "webhook", "%s", errbuf);
        wh.topic = esc_cmdout_topic(wh.out);
        if ((errno = pthread_key_create(&wh.codec_key, free_codec_key)) != 0) {
                esc_cmdout_destroy(wh.out, 0);
                return esc_cli_fail(ESC_EXIT_RUNTIME, "webhook", "pthread_key_create: %s",
                                    strerror(errno));
        }
        pthread_mutex_init(&wh.codecs_mu, NULL);
        wh.metrics = esc_metrics_new();
        wh.m_requests = esc_metrics_counter(wh.metrics, "esc_webhook_requests_total",
                                            "HTTP requests by route and status.");
        wh.m_commands = esc_metrics_counter(wh.metrics, "esc_webhook_commands_total",
                                            "Commands delivered to esc.commands.");
        wh.m_latency = esc_metrics_histogram(
                wh.metrics, "esc_webhook_request_seconds", "Request latency, delivery included.",
                esc_metrics_latency_buckets, esc_metrics_latency_buckets_cnt);
        if (!(wh.pol = esc_policy_from_config(cli->conf, errbuf, sizeof(errbuf)))) {
                rc = esc_cli_fail(ESC_EXIT_USAGE, "webhook", "%s", errbuf);
                goto out;
        }
        esc_signals_install();
        if ((errno = pthread_create(&wh.poller, NULL, poller_main, &wh)) != 0) {
                esc_cli_fail(ESC_EXIT_RUNTIME, "webhook",
                             "cannot start the delivery-report thread: %s", strerror(errno));
                goto out;
        }
        poller_up = true;

        d = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                handle, &wh, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads.v, MHD_OPTION_NOTIFY_COMPLETED,
                request_done, &wh, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024), MHD_OPTION_END);
        if (!d) {
                esc_cli_fail(ESC_EXIT_RUNTIME, "webhook",
                             "cannot listen on %s (in use? another address?)", listen);
                goto out;
        }
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        esc_log(ESC_LOG_INFO, "webhook", "listening", "listen=%s port=%u threads=%lld topic=%s",
                listen, di ? (unsigned)di->port : 0u, threads.v, wh.topic);
        while (!esc_signals_stop_requested())
                usleep(100 * 1000);
        esc_log(ESC_LOG_INFO, "webhook", "stopping", "signal=%d", esc_signals_last());
        rc = ESC_EXIT_OK;
out:
        if (d)
                MHD_stop_daemon(d); /* waits for handlers in flight */
        esc_cmdout_flush(wh.out, 30000);
        wh.stop_poller = 1;
        if (poller_up)
                pthread_join(wh.poller, NULL);
        esc_cmdout_destroy(wh.out, 0);
        for (codec_slot_t *s = wh.codecs, *nx; s; s = nx) {
                nx = s->next;
                esc_codec_destroy(s->codec);
                free(s);
        }
        pthread_key_delete(wh.codec_key);
        pthread_mutex_destroy(&wh.codecs_mu);
        esc_metrics_destroy(wh.metrics);
        esc_policy_destroy(wh.pol);
        esc_channel_lookup_destroy(wh.channels);
        curl_global_cleanup();
        return rc;
}
