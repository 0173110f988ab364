/* test_timeline_render.c — the timeline picture and page (issue 7): the SVG
 * of the scripted incident is well-formed XML (checked by Python's
 * xml.dom.minidom, an independent parser), escapes every text from the
 * log, shows the late update, the SLA deadlines and the severity bands;
 * the HTML page renders in headless Chromium to a non-empty PNG.
 *
 * Tests whose external tool is missing are skipped with a message (cmocka
 * skip), never passed silently. ESC_TL_SCREENSHOT=FILE keeps the PNG (that
 * is how docs/timeline-example.png is made). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "projections/timeline/timeline.h"
#include "tests/data/timeline/scripted.h"

static char workdir[] = "/tmp/esc-tl-render-XXXXXX";

static esc_timeline_t *scripted(void)
{
        esc_timeline_t *tl = esc_timeline_new(TL_INC);
        char err[256];

        for (int64_t s = 1; s <= TL_NEVENTS; s++) {
                esc_event_t ev;
                tl_scripted_event(&ev, TL_INC, s);
                assert_int_equal(esc_timeline_add(tl, &ev, err, sizeof(err)), 0);
                esc_event_clear(&ev);
        }
        if (esc_timeline_build(tl, NULL, err, sizeof(err)))
                fail_msg("build: %s", err);
        return tl;
}

/* Renders the scripted incident in fmt to workdir/name; returns the text. */
static char *render_to(esc_tl_format_t fmt, const char *name, char *path, size_t path_size)
{
        esc_timeline_t *tl = scripted();
        esc_buf_t out;
        char err[256];

        esc_buf_init(&out, 0);
        if (esc_timeline_render(tl, fmt, 0, &out, err, sizeof(err)))
                fail_msg("render: %s", err);
        snprintf(path, path_size, "%s/%s", workdir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(out.data, 1, out.len, f), out.len);
        fclose(f);
        esc_timeline_destroy(tl);
        return out.data;
}

static bool have(const char *tool)
{
        char cmd[256];

        snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
        return system(cmd) == 0;
}

static void test_svg_is_well_formed_xml(void **state)
{
        char path[512], cmd[1024];
        char *svg = render_to(ESC_TL_FMT_SVG, "t.svg", path, sizeof(path));

        free(svg);
        if (!have("python3")) {
                fprintf(stderr, "SKIP: python3 not installed, cannot check the SVG with minidom\n");
                skip();
        }
        snprintf(cmd, sizeof(cmd),
                 "python3 -c 'import xml.dom.minidom,sys; "
                 "d=xml.dom.minidom.parse(sys.argv[1]); "
                 "sys.exit(0 if d.documentElement.tagName==\"svg\" else 3)' %s",
                 path);
        assert_int_equal(system(cmd), 0);
}

static void test_svg_escapes_every_text_from_the_log(void **state)
{
        char path[512];
        char *svg = render_to(ESC_TL_FMT_SVG, "e.svg", path, sizeof(path));

        /* The title is `Invoice export fails | "500" <b>since</b> 09:45`. */
        assert_null(strstr(svg, "<b>"));
        assert_non_null(strstr(svg, "&lt;b&gt;since&lt;/b&gt;"));
        assert_non_null(strstr(svg, "&quot;500&quot;"));
        free(svg);
}

static void test_svg_shows_late_update_deadlines_and_severity_bands(void **state)
{
        char path[512];
        char *svg = render_to(ESC_TL_FMT_SVG, "m.svg", path, sizeof(path));

        assert_non_null(strstr(svg, "LATE +15m 00s"));          /* the 11:45 update */
        assert_non_null(strstr(svg, "MISSED: silent 15m 00s")); /* 12:15 promise, fixed 12:30 */
        assert_non_null(strstr(svg, "response due 11:00:00Z")); /* in force at the ack */
        assert_non_null(strstr(svg, "resolution due 14:00:00Z"));
        assert_non_null(strstr(svg, ">Sev 2</text>")); /* band before the override */
        assert_non_null(strstr(svg, ">Sev 1</text>")); /* band after it */
        assert_non_null(strstr(svg, "override 2→1"));
        assert_non_null(strstr(svg, "refused override"));
        free(svg);
}

static void test_html_embeds_the_svg_and_the_event_table(void **state)
{
        char path[512];
        char *html = render_to(ESC_TL_FMT_HTML, "p.html", path, sizeof(path));

        assert_non_null(strstr(html, "<svg xmlns='http://www.w3.org/2000/svg'"));
        assert_non_null(strstr(html, "<h2>Events (18)</h2>"));
        assert_non_null(strstr(html, "<tr class='late'><td>8</td>"));
        assert_null(strstr(html, "<b>since"));
        assert_null(strstr(html, "<script")); /* self-contained, nothing to fetch or run */
        assert_null(strstr(html, "http-equiv"));
        free(html);
}

static void test_html_renders_in_headless_chromium(void **state)
{
        char path[512], png[600], cmd[2048], profile[600];
        char *html = render_to(ESC_TL_FMT_HTML, "page.html", path, sizeof(path));
        const char *keep = getenv("ESC_TL_SCREENSHOT");
        struct stat st;

        free(html);
        if (!have("chromium")) {
                fprintf(stderr, "SKIP: chromium not installed (apt-get install -y chromium); "
                                "the HTML was not rendered\n");
                skip();
        }
        snprintf(png, sizeof(png), "%s", keep && *keep ? keep : "");
        if (!png[0])
                snprintf(png, sizeof(png), "%s/out.png", workdir);
        snprintf(profile, sizeof(profile), "%s/profile", workdir);
        unlink(png);
        snprintf(cmd, sizeof(cmd),
                 "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic "
                 "--no-first-run --disable-background-networking --disable-component-update "
                 "--disable-sync --user-data-dir=%s --screenshot=%s --window-size=1400,900 "
                 "file://%s >%s/chromium.log 2>&1",
                 profile, png, path, workdir);
        int rc = system(cmd);
        if (stat(png, &st) != 0 || st.st_size < 10000) {
                snprintf(cmd, sizeof(cmd), "tail -20 %s/chromium.log >&2", workdir);
                (void)system(cmd);
                fail_msg("chromium (exit %d) produced no screenshot at %s", rc, png);
        }
        /* A PNG, not an error page saved under that name. */
        FILE *f = fopen(png, "rb");
        unsigned char sig[8] = {0};
        assert_non_null(f);
        assert_int_equal(fread(sig, 1, 8, f), 8);
        fclose(f);
        assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
}

static int setup(void **state)
{
        return mkdtemp(workdir) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[256];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", workdir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_svg_is_well_formed_xml),
                cmocka_unit_test(test_svg_escapes_every_text_from_the_log),
                cmocka_unit_test(test_svg_shows_late_update_deadlines_and_severity_bands),
                cmocka_unit_test(test_html_embeds_the_svg_and_the_event_table),
                cmocka_unit_test(test_html_renders_in_headless_chromium),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
