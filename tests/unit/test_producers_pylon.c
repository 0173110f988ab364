/* test_producers_pylon.c — Pylon issue webhooks through the field mapping
 * (pylon.h): the default body shape opens, updates and resolves; an
 * operator's own shape is read through pylon.fields.*; events and states
 * without escalation meaning are ignored; a missing account or number is
 * refused naming the fix; the bearer token is checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "producers/pylon.h"
#include "runtime/registry.h"

#define NOW INT64_C(1772812800000000) /* 2026-03-06T16:00:00Z */

static esc_py_rc_t map(esc_config_t *conf, const char *s, esc_command_t *c, esc_jsoncmd_error_t *e)
{
        json_t *j = json_loads(s, 0, NULL);
        esc_py_rc_t rc = esc_pylon_map(conf, NULL, j, NOW, c, e);
        json_decref(j);
        return rc;
}

static void test_default_shape_opens_updates_and_resolves(void **state)
{
        esc_config_t *conf = esc_config_new_defaults();
        esc_command_t c;
        esc_jsoncmd_error_t e;

        (void)state;
        esc_config_set(conf, "pylon.account_by_id.acc_9", "acme");
        esc_config_set(conf, "pylon.impact_by_tag.outage", "production_down");
        esc_config_set(conf, "pylon.product_area_by_tag.billing", "billing");
        assert_int_equal(
                map(conf,
                    "{\"event\":\"issue.created\",\"id\":\"d-1\",\"issue\":{\"number\":123,"
                    "\"title\":\"Invoices fail\",\"body\":\"Since 9:00\",\"state\":\"new\","
                    "\"priority\":\"medium\",\"tags\":[\"billing\",\"outage\"],"
                    "\"account\":{\"id\":\"acc_9\",\"name\":\"Acme Corp\"}}}",
                    &c, &e),
                ESC_PY_COMMAND);
        assert_int_equal(c.type, ESC_CMD_OPEN);
        assert_string_equal(c.incident_id, "PY-123");
        assert_string_equal(c.command_id, "py-d-1");
        assert_string_equal(c.p.open.account.id, "acme");
        assert_string_equal(c.p.open.account.name, "Acme Corp");
        assert_int_equal(c.p.open.impact, ESC_IMPACT_PRODUCTION_DOWN); /* the tag beats medium */
        assert_string_equal(c.p.open.product_area, "billing");
        assert_string_equal(c.p.open.title, "Invoices fail");
        assert_string_equal(c.source.system, "pylon");
        assert_string_equal(c.source.ticket_id, "123");
        esc_command_clear(&c);

        assert_int_equal(map(conf,
                             "{\"event\":\"message.created\",\"issue\":{\"number\":\"123\"},"
                             "\"message\":{\"body\":\"Looking into it\",\"is_private\":true}}",
                             &c, &e),
                         ESC_PY_COMMAND);
        assert_int_equal(c.type, ESC_CMD_UPDATE);
        assert_int_equal(c.p.update.audience, ESC_AUDIENCE_INTERNAL);
        assert_string_equal(c.p.update.body, "Looking into it");
        esc_command_clear(&c);

        assert_int_equal(map(conf,
                             "{\"event\":\"issue.state_changed\",\"issue\":{\"number\":123,"
                             "\"state\":\"closed\"}}",
                             &c, &e),
                         ESC_PY_COMMAND);
        assert_int_equal(c.type, ESC_CMD_RESOLVE);
        esc_command_clear(&c);
        assert_int_equal(map(conf,
                             "{\"event\":\"issue.state_changed\",\"issue\":{\"number\":123,"
                             "\"state\":\"on_hold\"}}",
                             &c, &e),
                         ESC_PY_IGNORED);
        assert_non_null(strstr(e.message, "on_hold"));
        assert_int_equal(map(conf, "{\"event\":\"tag.added\",\"issue\":{\"number\":1}}", &c, &e),
                         ESC_PY_IGNORED);
        esc_config_destroy(conf);
}

static void test_operator_shape_through_pylon_fields(void **state)
{
        esc_config_t *conf = esc_config_new_defaults();
        esc_command_t c;
        esc_jsoncmd_error_t e;

        (void)state;
        esc_config_set(conf, "pylon.fields.event", "trigger");
        esc_config_set(conf, "pylon.fields.number", "data.issue_number");
        esc_config_set(conf, "pylon.fields.title", "data.subject");
        esc_config_set(conf, "pylon.fields.account", "data.customer");
        esc_config_set(conf, "pylon.fields.priority", "data.urgency");
        esc_config_set(conf, "pylon.events.new_ticket", "open");
        esc_config_set(conf, "pylon.default_account", "fallback");
        assert_int_equal(map(conf,
                             "{\"trigger\":\"new_ticket\",\"data\":{\"issue_number\":7,\"subject\":"
                             "\"Login down\",\"customer\":\"unknown-co\",\"urgency\":\"urgent\"}}",
                             &c, &e),
                         ESC_PY_COMMAND);
        assert_string_equal(c.incident_id, "PY-7");
        assert_string_equal(c.p.open.account.id, "fallback");
        assert_int_equal(c.p.open.impact, ESC_IMPACT_PRODUCTION_DOWN);
        assert_true(!c.command_id || strncmp(c.command_id, "py-", 3)); /* no delivery id */
        esc_command_clear(&c);
        esc_config_destroy(conf);
}

static void test_what_cannot_be_mapped_names_the_fix(void **state)
{
        esc_config_t *conf = esc_config_new_defaults();
        esc_command_t c;
        esc_jsoncmd_error_t e;

        (void)state;
        assert_int_equal(map(conf, "[1]", &c, &e), ESC_PY_MALFORMED);
        assert_int_equal(map(conf, "{\"issue\":{\"number\":1}}", &c, &e), ESC_PY_MALFORMED);
        assert_non_null(strstr(e.message, "pylon.fields.event"));
        assert_int_equal(map(conf, "{\"event\":\"issue.created\",\"issue\":{}}", &c, &e),
                         ESC_PY_MALFORMED);
        assert_non_null(strstr(e.message, "pylon.fields.number"));
        assert_int_equal(map(conf,
                             "{\"event\":\"issue.created\",\"issue\":{\"number\":2,\"title\":\"x\","
                             "\"priority\":\"urgent\",\"account\":{\"id\":\"nope\"}}}",
                             &c, &e),
                         ESC_PY_INVALID);
        assert_non_null(strstr(e.message, "pylon.account_by_id.<id>"));
        esc_config_set(conf, "pylon.events.issue.created", "explode");
        assert_int_equal(
                map(conf, "{\"event\":\"issue.created\",\"issue\":{\"number\":2}}", &c, &e),
                ESC_PY_INVALID);
        assert_non_null(strstr(e.message, "use open, update, state or ignore"));
        esc_config_destroy(conf);
}

static void test_bearer_token_is_checked(void **state)
{
        char err[256];

        (void)state;
        assert_int_equal(esc_pylon_verify("s3cret", "Bearer s3cret", err, sizeof(err)), 0);
        assert_int_equal(esc_pylon_verify("s3cret", "Bearer s3cre", err, sizeof(err)), -1);
        assert_int_equal(esc_pylon_verify("s3cret", "Bearer s3cretX", err, sizeof(err)), -1);
        assert_int_equal(esc_pylon_verify("s3cret", "s3cret", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "Authorization: Bearer"));
        assert_int_equal(esc_pylon_verify("s3cret", NULL, err, sizeof(err)), -1);
        assert_int_equal(esc_pylon_verify("", "Bearer ", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "webhook.pylon_secret"));
        assert_null(strstr(err, "s3cret"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_shape_opens_updates_and_resolves),
                cmocka_unit_test(test_operator_shape_through_pylon_fields),
                cmocka_unit_test(test_what_cannot_be_mapped_names_the_fix),
                cmocka_unit_test(test_bearer_token_is_checked),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
