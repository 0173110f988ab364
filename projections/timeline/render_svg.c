/* render_svg.c — the timeline as a picture (SVG) and as a self-contained
 * HTML page. */
#include "projections/timeline/timeline.h"

int esc_timeline_render_svg(const esc_timeline_t *tl, esc_buf_t *out)
{
        (void)tl;
        return esc_buf_puts(out, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
}

int esc_timeline_render_html(const esc_timeline_t *tl, esc_buf_t *out)
{
        (void)tl;
        return esc_buf_puts(out, "<!DOCTYPE html><html></html>\n");
}
