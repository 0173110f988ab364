/* test_codec_registry.c — the Schema Registry client and the codec's
 * Confluent framing, against a registry served by libmicrohttpd in this
 * process on a free loopback port.
 *
 * The server implements the two endpoints esc uses (POST
 * /subjects/<subject>/versions, GET /schemas/ids/<id>) and can be told to
 * answer 409, 422, 404 or a run of 5xx, so the client's contract is
 * checked: refusals are reported at once and not retried, 5xx and
 * connection failures are retried with backoff, ids are cached. */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/codec.h"
#include "runtime/registry.h"
#include "core/schema_canon.h"
#include "tests/unit/codec_fixtures.h"

typedef struct srv {
        struct MHD_Daemon *d;
        int port;
        char url[64];
        int requests;
        int fail_5xx; /* answer 503 to this many requests first */
        int refuse;   /* 409 or 422 for registrations */
        char content_type[128];
        char *schemas[16]; /* id -> schema text; id = index */
        int n;
        esc_buf_t body; /* the current request's body */
} srv_t;

static enum MHD_Result reply(struct MHD_Connection *c, int status, json_t *obj)
{
        char *s = json_dumps(obj, JSON_COMPACT);
        struct MHD_Response *r =
                MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(r, "Content-Type", "application/vnd.schemaregistry.v1+json");
        enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, r);
        MHD_destroy_response(r);
        json_decref(obj);
        return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
        srv_t *s = cls;
        int id;

        (void)version;
        if (!*con_cls) { /* first call: headers only */
                *con_cls = s;
                esc_buf_reset(&s->body);
                return MHD_YES;
        }
        if (*upload_size) {
                esc_buf_append(&s->body, upload, *upload_size);
                *upload_size = 0;
                return MHD_YES;
        }
        s->requests++;
        if (s->fail_5xx > 0) {
                s->fail_5xx--;
                return reply(c, 503,
                             json_pack("{s:i,s:s}", "error_code", 50301, "message", "try later"));
        }
        if (!strcmp(method, "POST") && !strncmp(url, "/subjects/", 10)) {
                const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
                snprintf(s->content_type, sizeof(s->content_type), "%s", ct ? ct : "");
                if (s->refuse == 409)
                        return reply(c, 409,
                                     json_pack("{s:i,s:s}", "error_code", 409, "message",
                                               "Schema being registered is incompatible"));
                if (s->refuse == 422)
                        return reply(c, 422,
                                     json_pack("{s:i,s:s}", "error_code", 42201, "message",
                                               "Invalid schema"));
                json_t *req = json_loadb(s->body.data ? s->body.data : "", s->body.len, 0, NULL);
                const char *text = json_string_value(json_object_get(req, "schema"));
                assert_non_null(text);
                for (id = 1; id < s->n; id++)
                        if (!strcmp(s->schemas[id], text))
                                break;
                if (id == s->n || s->n == 0) {
                        if (s->n == 0)
                                s->n = 1; /* ids start at 1 */
                        id = s->n++;
                        s->schemas[id] = strdup(text);
                }
                json_decref(req);
                return reply(c, 200, json_pack("{s:i}", "id", id));
        }
        if (!strcmp(method, "GET") && sscanf(url, "/schemas/ids/%d", &id) == 1) {
                if (id <= 0 || id >= s->n)
                        return reply(c, 404,
                                     json_pack("{s:i,s:s}", "error_code", 40403, "message",
                                               "Schema not found"));
                return reply(c, 200, json_pack("{s:s}", "schema", s->schemas[id]));
        }
        return reply(c, 404, json_pack("{s:i,s:s}", "error_code", 404, "message", "no route"));
}

static int setup(void **state)
{
        srv_t *s = calloc(1, sizeof(*s));
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        esc_buf_init(&s->body, 1 << 20);
        s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, s,
                                MHD_OPTION_SOCK_ADDR, &a, MHD_OPTION_END);
        assert_non_null(s->d);
        s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
        snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
        *state = s;
        return 0;
}

static int teardown(void **state)
{
        srv_t *s = *state;
        if (s->d)
                MHD_stop_daemon(s->d);
        for (int i = 0; i < s->n; i++)
                free(s->schemas[i]);
        esc_buf_free(&s->body);
        free(s);
        return 0;
}

static esc_registry_t *client(srv_t *s)
{
        char err[256];
        esc_registry_t *reg = esc_registry_new(s->url, err, sizeof(err));
        assert_non_null(reg);
        esc_registry_set_retry(reg, 3, 1);
        return reg;
}

static void test_register_returns_the_id_and_caches_it(void **state)
{
        srv_t *s = *state;
        esc_registry_t *reg = client(s);
        int32_t id = -1, id2 = -1;
        char err[512];

        assert_int_equal(
                esc_registry_register(reg, "esc.events-value", "\"string\"", &id, err, sizeof(err)),
                ESC_CODEC_OK);
        assert_int_equal(id, 1);
        assert_string_equal(s->content_type, "application/vnd.schemaregistry.v1+json");
        assert_int_equal(esc_registry_register(reg, "esc.events-value", "\"string\"", &id2, err,
                                               sizeof(err)),
                         ESC_CODEC_OK);
        assert_int_equal(id2, 1);
        assert_int_equal(s->requests, 1); /* the second answer came from the cache */
        esc_registry_destroy(reg);
}

static void test_incompatible_schema_409_is_refused_without_retry(void **state)
{
        srv_t *s = *state;
        esc_registry_t *reg = client(s);
        int32_t id;
        char err[512];

        s->refuse = 409;
        assert_int_equal(
                esc_registry_register(reg, "esc.events-value", "\"int\"", &id, err, sizeof(err)),
                ESC_CODEC_ERR_REGISTRY);
        assert_int_equal(s->requests, 1);
        assert_non_null(strstr(err, "409"));
        assert_non_null(strstr(err, "incompatible"));
        assert_non_null(strstr(err, "esc.events-value"));
        esc_registry_destroy(reg);
}

static void test_invalid_schema_422_is_refused_without_retry(void **state)
{
        srv_t *s = *state;
        esc_registry_t *reg = client(s);
        int32_t id;
        char err[512];

        s->refuse = 422;
        assert_int_equal(
                esc_registry_register(reg, "esc.events-value", "\"int\"", &id, err, sizeof(err)),
                ESC_CODEC_ERR_REGISTRY);
        assert_int_equal(s->requests, 1);
        assert_non_null(strstr(err, "422"));
        assert_non_null(strstr(err, "Invalid schema"));
        esc_registry_destroy(reg);
}

static void test_5xx_is_retried_with_backoff_then_succeeds(void **state)
{
        srv_t *s = *state;
        esc_registry_t *reg = client(s);
        int32_t id = -1;
        char err[512];

        s->fail_5xx = 2;
        assert_int_equal(
                esc_registry_register(reg, "esc.events-value", "\"long\"", &id, err, sizeof(err)),
                ESC_CODEC_OK);
        assert_int_equal(s->requests, 3);
        assert_int_equal(id, 1);
        esc_registry_destroy(reg);
}

static void test_5xx_after_every_attempt_is_a_registry_error(void **state)
{
        srv_t *s = *state;
        esc_registry_t *reg = client(s);
        const char *json;
        char err[512];

        s->fail_5xx = 100;
        assert_int_equal(esc_registry_fetch(reg, 1, &json, err, sizeof(err)),
                         ESC_CODEC_ERR_REGISTRY);
        assert_int_equal(s->requests, 3);
        assert_non_null(strstr(err, "503"));
        esc_registry_destroy(reg);
}

static void test_unreachable_registry_is_a_registry_error(void **state)
{
        srv_t *s = *state;
        char err[512], url[64];
        const char *json;
        esc_registry_t *reg;

        snprintf(url, sizeof(url), "%s", s->url);
        MHD_stop_daemon(s->d); /* nothing listens on the port any more */
        s->d = NULL;
        reg = esc_registry_new(url, err, sizeof(err));
        esc_registry_set_retry(reg, 2, 1);
        assert_int_equal(esc_registry_fetch(reg, 1, &json, err, sizeof(err)),
                         ESC_CODEC_ERR_REGISTRY);
        assert_non_null(strstr(err, "unreachable"));
        esc_registry_destroy(reg);
}

static void test_unknown_id_404_is_unknown_schema(void **state)
{
        srv_t *s = *state;
        esc_registry_t *reg = client(s);
        const char *json;
        char err[512];

        assert_int_equal(esc_registry_fetch(reg, 42, &json, err, sizeof(err)),
                         ESC_CODEC_ERR_UNKNOWN_SCHEMA);
        assert_int_equal(s->requests, 1);
        assert_non_null(strstr(err, "42"));
        esc_registry_destroy(reg);
}

static void test_bad_registry_url_is_refused(void **state)
{
        char err[512];
        (void)state;
        assert_null(esc_registry_new("ftp://example", err, sizeof(err)));
        assert_non_null(strstr(err, "schema_registry.url"));
}

static esc_codec_t *codec_for(srv_t *s)
{
        char err[512];
        esc_config_t *conf = esc_config_new_defaults();
        esc_config_set(conf, "schema_registry.url", s->url);
        esc_codec_t *codec = esc_codec_new(conf, err, sizeof(err));
        esc_config_destroy(conf);
        if (!codec)
                fail_msg("%s", err);
        return codec;
}

static void test_codec_with_a_registry_writes_confluent_framing_and_reads_it_back(void **state)
{
        srv_t *s = *state;
        esc_codec_t *writer = codec_for(s), *reader = codec_for(s);
        esc_event_t ev, back;
        esc_buf_t out;
        char err[512];

        esc_buf_init(&out, 0);
        esc_event_init(&back, ESC_EV_ESCALATION_OPENED);
        codec_fixture_event(&ev, ESC_EV_SEVERITY_ASSIGNED, FIXTURE_FULL);
        assert_int_equal(esc_codec_encode_event(writer, &ev, &out, err, sizeof(err)), ESC_CODEC_OK);
        assert_int_equal((unsigned char)out.data[0], 0x00);
        int32_t id =
                (int32_t)(((unsigned char)out.data[1] << 24) | ((unsigned char)out.data[2] << 16) |
                          ((unsigned char)out.data[3] << 8) | (unsigned char)out.data[4]);
        assert_int_equal(id, 1);
        assert_string_equal(s->schemas[1], esc_schema_embedded(ESC_SCHEMA_EVENT_PATH));
        /* A second codec knows nothing: it fetches id 1, then caches it. */
        assert_int_equal(esc_codec_decode_event(reader, out.data, out.len, &back, err, sizeof(err)),
                         ESC_CODEC_OK);
        assert_int_equal(back.p.sev_assigned.bump_reasons.n, 2);
        int before = s->requests;
        assert_int_equal(esc_codec_decode_event(reader, out.data, out.len, &back, err, sizeof(err)),
                         ESC_CODEC_OK);
        assert_int_equal(s->requests, before);
        /* Single-object frames still decode where a registry is configured. */
        esc_codec_t *plain = esc_codec_new(NULL, err, sizeof(err));
        esc_buf_reset(&out);
        assert_int_equal(esc_codec_encode_event(plain, &ev, &out, err, sizeof(err)), ESC_CODEC_OK);
        assert_int_equal(esc_codec_decode_event(reader, out.data, out.len, &back, err, sizeof(err)),
                         ESC_CODEC_OK);
        esc_codec_destroy(plain);
        esc_event_clear(&ev);
        esc_event_clear(&back);
        esc_buf_free(&out);
        esc_codec_destroy(writer);
        esc_codec_destroy(reader);
}

static void test_confluent_frame_with_an_id_the_registry_lacks_is_unknown_schema(void **state)
{
        srv_t *s = *state;
        esc_codec_t *reader = codec_for(s);
        esc_event_t back;
        char err[512];

        esc_event_init(&back, ESC_EV_ESCALATION_OPENED);
        assert_int_equal(esc_codec_decode_event(reader, "\x00\x00\x00\x00\x09\x02", 6, &back, err,
                                                sizeof(err)),
                         ESC_CODEC_ERR_UNKNOWN_SCHEMA);
        assert_non_null(strstr(err, "9"));
        esc_codec_destroy(reader);
}

static void test_codec_reports_a_refusing_registry_on_encode(void **state)
{
        srv_t *s = *state;
        esc_codec_t *writer = codec_for(s);
        esc_event_t ev;
        esc_buf_t out;
        char err[512];

        s->refuse = 409;
        esc_buf_init(&out, 0);
        codec_fixture_event(&ev, ESC_EV_ACKNOWLEDGED, FIXTURE_FULL);
        assert_int_equal(esc_codec_encode_event(writer, &ev, &out, err, sizeof(err)),
                         ESC_CODEC_ERR_REGISTRY);
        assert_int_equal(out.len, 0);
        esc_event_clear(&ev);
        esc_buf_free(&out);
        esc_codec_destroy(writer);
}

static void test_confluent_frame_of_an_older_registered_schema_is_resolved(void **state)
{
        srv_t *s = *state;
        esc_registry_t *reg = client(s);
        esc_codec_t *codec = codec_for(s);
        esc_event_t ev, back;
        esc_buf_t today, old;
        int32_t old_id = -1;
        char err[512];

        /* The v0 schema, registered by some older producer. */
        assert_int_equal(
                esc_registry_register(reg, "esc.events-value",
                                      esc_schema_embedded("schemas/old/esc.v1.Event.v0.avsc"),
                                      &old_id, err, sizeof(err)),
                ESC_CODEC_OK);
        /* Acknowledged did not change since v0, so today's body is also a v0 body. */
        esc_buf_init(&today, 0);
        esc_buf_init(&old, 0);
        esc_event_init(&back, ESC_EV_ESCALATION_OPENED);
        codec_fixture_event(&ev, ESC_EV_ACKNOWLEDGED, FIXTURE_FULL);
        esc_codec_t *plain = esc_codec_new(NULL, err, sizeof(err));
        assert_int_equal(esc_codec_encode_event(plain, &ev, &today, err, sizeof(err)),
                         ESC_CODEC_OK);
        unsigned char h[5] = {0, (unsigned char)(old_id >> 24), (unsigned char)(old_id >> 16),
                              (unsigned char)(old_id >> 8), (unsigned char)old_id};
        esc_buf_append(&old, h, 5);
        esc_buf_append(&old, today.data + 10, today.len - 10);
        if (esc_codec_decode_event(codec, old.data, old.len, &back, err, sizeof(err)))
                fail_msg("%s", err);
        assert_string_equal(back.p.acknowledged.message, ev.p.acknowledged.message);
        /* Cut short, the same frame is corrupt under the writer schema. */
        assert_int_equal(
                esc_codec_decode_event(codec, old.data, old.len - 3, &back, err, sizeof(err)),
                ESC_CODEC_ERR_CORRUPT);
        assert_non_null(strstr(err, "writer schema"));
        esc_codec_destroy(plain);
        esc_codec_destroy(codec);
        esc_registry_destroy(reg);
        esc_event_clear(&ev);
        esc_buf_free(&today);
        esc_buf_free(&old);
}

/* A newer producer's schema grew Tier by "enterprise": today's reader maps
 * the unknown symbol to the enum's default ("standard") instead of failing. */
static void test_unknown_tier_from_a_newer_writer_reads_as_the_enum_default(void **state)
{
        srv_t *s = *state;
        esc_registry_t *reg = client(s);
        esc_codec_t *codec = codec_for(s), *plain;
        esc_event_t ev, back;
        esc_buf_t today, newer, schema;
        int32_t new_id = -1;
        char err[512];
        const char *json = esc_schema_embedded(ESC_SCHEMA_EVENT_PATH);
        const char *at = strstr(json, "\"strategic\"");

        assert_non_null(at);
        esc_buf_init(&schema, 0);
        esc_buf_append(&schema, json, (size_t)(at - json) + strlen("\"strategic\""));
        esc_buf_puts(&schema, ", \"enterprise\"");
        esc_buf_puts(&schema, at + strlen("\"strategic\""));
        assert_int_equal(esc_registry_register(reg, "esc.events-value", schema.data, &new_id, err,
                                               sizeof(err)),
                         ESC_CODEC_OK);

        /* Today's body with the tier varint patched from 2 (strategic) to 3. */
        esc_buf_init(&today, 0);
        esc_buf_init(&newer, 0);
        esc_event_init(&back, ESC_EV_ESCALATION_OPENED);
        codec_fixture_event(&ev, ESC_EV_ESCALATION_OPENED, FIXTURE_FULL);
        plain = esc_codec_new(NULL, err, sizeof(err));
        assert_int_equal(esc_codec_encode_event(plain, &ev, &today, err, sizeof(err)),
                         ESC_CODEC_OK);
        const char *name = "Müller & Søn GmbH";
        char *p = memmem(today.data, today.len, name, strlen(name));
        assert_non_null(p);
        p += strlen(name);
        assert_int_equal(*p, 4); /* zigzag(2) */
        *p = 6;                  /* zigzag(3): "enterprise" */
        unsigned char h[5] = {0, (unsigned char)(new_id >> 24), (unsigned char)(new_id >> 16),
                              (unsigned char)(new_id >> 8), (unsigned char)new_id};
        esc_buf_append(&newer, h, 5);
        esc_buf_append(&newer, today.data + 10, today.len - 10);
        if (esc_codec_decode_event(codec, newer.data, newer.len, &back, err, sizeof(err)))
                fail_msg("%s", err);
        assert_int_equal(back.p.opened.account.tier, ESC_TIER_STANDARD);
        assert_string_equal(back.p.opened.title, ev.p.opened.title);
        esc_codec_destroy(plain);
        esc_codec_destroy(codec);
        esc_registry_destroy(reg);
        esc_event_clear(&ev);
        esc_event_clear(&back);
        esc_buf_free(&today);
        esc_buf_free(&newer);
        esc_buf_free(&schema);
}

static void test_command_schema_id_on_the_events_topic_is_unknown_schema(void **state)
{
        srv_t *s = *state;
        esc_codec_t *codec = codec_for(s);
        esc_command_t cmd;
        esc_event_t ev;
        esc_buf_t out;
        char err[512];

        esc_buf_init(&out, 0);
        esc_event_init(&ev, ESC_EV_ESCALATION_OPENED);
        codec_fixture_command(&cmd, ESC_CMD_ACK, FIXTURE_FULL);
        assert_int_equal(esc_codec_encode_command(codec, &cmd, &out, err, sizeof(err)),
                         ESC_CODEC_OK);
        assert_int_equal((unsigned char)out.data[0], 0);
        /* Twice: the verdict is the same once the id is cached. */
        for (int i = 0; i < 2; i++) {
                assert_int_equal(
                        esc_codec_decode_event(codec, out.data, out.len, &ev, err, sizeof(err)),
                        ESC_CODEC_ERR_UNKNOWN_SCHEMA);
                assert_non_null(strstr(err, "Command schema, expected Event"));
        }
        esc_command_clear(&cmd);
        esc_buf_free(&out);
        esc_codec_destroy(codec);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_register_returns_the_id_and_caches_it),
                T(test_incompatible_schema_409_is_refused_without_retry),
                T(test_invalid_schema_422_is_refused_without_retry),
                T(test_5xx_is_retried_with_backoff_then_succeeds),
                T(test_5xx_after_every_attempt_is_a_registry_error),
                T(test_unreachable_registry_is_a_registry_error),
                T(test_unknown_id_404_is_unknown_schema),
                cmocka_unit_test(test_bad_registry_url_is_refused),
                T(test_codec_with_a_registry_writes_confluent_framing_and_reads_it_back),
                T(test_confluent_frame_with_an_id_the_registry_lacks_is_unknown_schema),
                T(test_codec_reports_a_refusing_registry_on_encode),
                T(test_confluent_frame_of_an_older_registered_schema_is_resolved),
                T(test_unknown_tier_from_a_newer_writer_reads_as_the_enum_default),
                T(test_command_schema_id_on_the_events_topic_is_unknown_schema),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
