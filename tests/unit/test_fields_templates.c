/* test_fields_templates.c — the one-line texts (the CLI's event line, the
 * timeline's summaries) are templates over the field table: every name
 * they use is a field of its event's payload, and the formatter does what
 * core/fields.h says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec_fixtures.h"
#include "core/fields.h"
#include "producers/cli_print.h"
#include "projections/timeline/timeline.h"

static void bracketed(esc_fields_out_t *o, const char *s)
{
        esc_fields_out_put(o, "<", 1);
        esc_fields_out_str(o, s);
        esc_fields_out_put(o, ">", 1);
}

static const esc_fields_style_t plain_style = {esc_fields_out_str, "|"};

static int fmt(const esc_event_t *ev, const char *tpl, char *buf, size_t size)
{
        esc_fields_out_t o = {buf, size, 0};
        return esc_fields_format(&esc_fields_event_payloads[ev->type], &ev->p, tpl, &plain_style,
                                 &o);
}

/* A renamed or removed field fails here, for every type and both fixture
 * variants (names in untaken {?..} branches are checked too). */
static void test_every_template_names_fields_of_its_event(void **state)
{
        const char *const *sets[] = {esc_cli_event_templates, esc_tl_summary_templates};
        (void)state;

        for (size_t k = 0; k < 2; k++)
                for (int v = FIXTURE_FULL; v <= FIXTURE_MINIMAL; v++)
                        for (int t = 0; t < ESC_EV__COUNT; t++) {
                                esc_event_t ev;
                                char buf[2048];
                                codec_fixture_event(&ev, (esc_event_type_t)t, v);
                                if (!sets[k][t])
                                        fail_msg("%s has no template in set %zu",
                                                 esc_event_type_name(ev.type), k);
                                if (fmt(&ev, sets[k][t], buf, sizeof(buf)))
                                        fail_msg("%s: template \"%s\" names a field its payload "
                                                 "does not have",
                                                 esc_event_type_name(ev.type), sets[k][t]);
                                esc_event_clear(&ev);
                        }
}

static void test_values_conditions_counts_and_lists(void **state)
{
        esc_event_t ev;
        char buf[512];
        (void)state;

        codec_fixture_event(&ev, ESC_EV_SEVERITY_ASSIGNED, FIXTURE_FULL);
        assert_int_equal(
                fmt(&ev, "sev={sev} bumped={bumped} reasons={#bump_reasons}", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "sev=1 bumped=yes reasons=2");
        assert_int_equal(fmt(&ev, "{bump_reasons}", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "tier == strategic|health_score 55 < 60");
        assert_int_equal(fmt(&ev, "{?bumped b{?bump_reasons : {#bump_reasons}}}{!bumped none}", buf,
                             sizeof(buf)),
                         0);
        assert_string_equal(buf, "b: 2");
        assert_int_equal(fmt(&ev, "due {response_due_at}", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "due 2026-03-06T16:15:00Z");
        esc_event_clear(&ev);

        /* The minimal variant: no bump, optional times null. */
        codec_fixture_event(&ev, ESC_EV_SEVERITY_ASSIGNED, FIXTURE_MINIMAL);
        assert_int_equal(fmt(&ev,
                             "{?bumped b}{!bumped none}[{next_update_due_at}]"
                             "{?resolution_due_at r}",
                             buf, sizeof(buf)),
                         0);
        assert_string_equal(buf, "none[]");
        esc_event_clear(&ev);

        /* Nested records and enum symbols; the style sees each value once. */
        codec_fixture_event(&ev, ESC_EV_ESCALATION_OPENED, FIXTURE_FULL);
        {
                static const esc_fields_style_t br = {bracketed, ","};
                esc_fields_out_t o = {buf, sizeof(buf), 0};
                assert_int_equal(esc_fields_format(&esc_fields_event_payloads[ev.type], &ev.p,
                                                   "{account.tier} {impact}", &br, &o),
                                 0);
                assert_string_equal(buf, "<strategic> <production_down>");
        }
        esc_event_clear(&ev);
}

/* The outbox's record reads the same in the CLI and the timeline whether
 * or not the outside system gave an id. */
static void test_outbound_recorded_lines(void **state)
{
        esc_event_t ev;
        char buf[512];
        (void)state;

        codec_fixture_event(&ev, ESC_EV_OUTBOUND_RECORDED, FIXTURE_FULL);
        assert_int_equal(fmt(&ev, esc_cli_event_templates[ev.type], buf, sizeof(buf)), 0);
        assert_string_equal(
                buf, "target=slack key=slack:post:12 external_id=1772812800.004217 status=done");
        assert_int_equal(fmt(&ev, esc_tl_summary_templates[ev.type], buf, sizeof(buf)), 0);
        assert_string_equal(buf, "slack slack:post:12: done (1772812800.004217)");
        free(ev.p.outbound_recorded.external_id);
        ev.p.outbound_recorded.external_id = NULL;
        free(ev.p.outbound_recorded.status);
        ev.p.outbound_recorded.status = esc_strdup("failed");
        assert_int_equal(fmt(&ev, esc_cli_event_templates[ev.type], buf, sizeof(buf)), 0);
        assert_string_equal(buf, "target=slack key=slack:post:12 status=failed");
        assert_int_equal(fmt(&ev, esc_tl_summary_templates[ev.type], buf, sizeof(buf)), 0);
        assert_string_equal(buf, "slack slack:post:12: failed");
        esc_event_clear(&ev);
}

static void test_bad_templates_are_refused_and_output_is_cut(void **state)
{
        esc_event_t ev;
        char buf[512], small[8];
        (void)state;

        codec_fixture_event(&ev, ESC_EV_CLOSED, FIXTURE_FULL);
        assert_int_equal(fmt(&ev, "by={by} {nope}", buf, sizeof(buf)), -1);
        assert_string_equal(buf, "by=chloé.manager ");
        assert_int_equal(fmt(&ev, "{?confirmed {missing}}", buf, sizeof(buf)), -1);
        assert_int_equal(fmt(&ev, "{by", buf, sizeof(buf)), -1);
        assert_int_equal(fmt(&ev, "{account.id}", buf, sizeof(buf)), -1);
        assert_int_equal(fmt(&ev, "reason={reason}", small, sizeof(small)), 0);
        assert_string_equal(small, "reason=");
        esc_event_clear(&ev);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_template_names_fields_of_its_event),
                cmocka_unit_test(test_values_conditions_counts_and_lists),
                cmocka_unit_test(test_outbound_recorded_lines),
                cmocka_unit_test(test_bad_templates_are_refused_and_output_is_cut),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
