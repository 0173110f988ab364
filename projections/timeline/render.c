/* render.c — `--format` dispatch to the renderers (render_text.c,
 * render_md.c, render_json.c, render_svg.c, render_html.c); the helpers they
 * share are in render_util.c, below all of them. */
#include <string.h>

#include "projections/timeline/timeline.h"

int esc_tl_format_parse(const char *s)
{
        static const struct {
                const char *name;
                esc_tl_format_t fmt;
        } names[] = {
                {"text", ESC_TL_FMT_TEXT},   {"markdown", ESC_TL_FMT_MARKDOWN},
                {"md", ESC_TL_FMT_MARKDOWN}, {"json", ESC_TL_FMT_JSON},
                {"svg", ESC_TL_FMT_SVG},     {"html", ESC_TL_FMT_HTML},
        };

        for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
                if (!strcmp(s, names[i].name))
                        return (int)names[i].fmt;
        return -1;
}

int esc_timeline_render(const esc_timeline_t *tl, esc_tl_format_t fmt, unsigned flags,
                        esc_buf_t *out, char *errbuf, size_t errbuf_size)
{
        int r;

        switch (fmt) {
        case ESC_TL_FMT_TEXT:
                r = esc_timeline_render_text(tl, out);
                break;
        case ESC_TL_FMT_MARKDOWN:
                r = esc_timeline_render_markdown(tl, (flags & ESC_TL_REVIEW) != 0, out);
                break;
        case ESC_TL_FMT_JSON:
                return esc_timeline_render_json(tl, out, errbuf, errbuf_size);
        case ESC_TL_FMT_SVG:
                r = esc_timeline_render_svg(tl, out);
                break;
        case ESC_TL_FMT_HTML:
                r = esc_timeline_render_html(tl, out);
                break;
        default:
                return esc_err(errbuf, errbuf_size, "unknown format %d", (int)fmt);
        }
        if (r)
                return esc_err(errbuf, errbuf_size,
                               "timeline of '%s' is larger than the output cap of %zu bytes",
                               tl->incident_id, out->cap);
        return 0;
}
