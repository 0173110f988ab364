/* render_util.c — the small text helpers every timeline renderer (and the
 * override audit) shares: durations, times, verdict words, XML escaping,
 * column padding by display width, one-line capped text. Nothing here calls
 * a renderer.
 *
 * All text that reaches a terminal, Markdown, SVG or HTML comes from the
 * log, i.e. from outside: it is flattened to one line (control characters,
 * including ESC, become spaces so a title cannot drive the terminal) and
 * escaped for XML where the output is markup. */
#include <stdio.h>
#include <string.h>

#include "projections/timeline/timeline.h"

const char *esc_tl_sev_kind_name(esc_tl_sev_kind_t k)
{
        switch (k) {
        case ESC_TL_SEV_ASSIGNED:
                return "assigned";
        case ESC_TL_SEV_OVERRIDDEN:
                return "overridden";
        case ESC_TL_SEV_REFUSED:
                return "refused";
        }
        return "?";
}

const char *esc_tl_met_word(int met)
{
        return met < 0 ? "unknown" : met ? "met" : "MISSED";
}

const char *esc_tl_duration(int64_t s, char *buf, size_t size)
{
        const char *sign = "";
        uint64_t a;

        if (s == ESC_TL_NONE) {
                snprintf(buf, size, "—");
                return buf;
        }
        if (s < 0) {
                sign = "-";
                a = (uint64_t)(-(s + 1)) + 1;
        } else {
                a = (uint64_t)s;
        }
        if (a >= 86400)
                snprintf(buf, size, "%s%llud %02lluh", sign, (unsigned long long)(a / 86400),
                         (unsigned long long)(a % 86400 / 3600));
        else if (a >= 3600)
                snprintf(buf, size, "%s%lluh %02llum", sign, (unsigned long long)(a / 3600),
                         (unsigned long long)(a % 3600 / 60));
        else if (a >= 60)
                snprintf(buf, size, "%s%llum %02llus", sign, (unsigned long long)(a / 60),
                         (unsigned long long)(a % 60));
        else
                snprintf(buf, size, "%s%llus", sign, (unsigned long long)a);
        return buf;
}

const char *esc_tl_time(esc_time_t t, char *buf, size_t size)
{
        if (t == ESC_TIME_NONE) {
                snprintf(buf, size, "—");
                return buf;
        }
        return esc_time_format(t, buf, size);
}

int esc_tl_xml_escape(esc_buf_t *out, const char *s)
{
        const char *run = s;

        if (!s)
                return 0;
        for (; *s; s++) {
                const char *rep = NULL;
                unsigned char ch = (unsigned char)*s;
                switch (ch) {
                case '&':
                        rep = "&amp;";
                        break;
                case '<':
                        rep = "&lt;";
                        break;
                case '>':
                        rep = "&gt;";
                        break;
                case '"':
                        rep = "&quot;";
                        break;
                case '\'':
                        rep = "&#39;";
                        break;
                default:
                        /* XML 1.0 forbids most C0 controls even escaped. */
                        if (ch < 0x20 && ch != '\n' && ch != '\t')
                                rep = " ";
                        break;
                }
                if (!rep)
                        continue;
                if (esc_buf_append(out, run, (size_t)(s - run)) || esc_buf_puts(out, rep))
                        return -1;
                run = s + 1;
        }
        return esc_buf_append(out, run, (size_t)(s - run));
}

/* Length in bytes of the UTF-8 sequence starting with lead byte c. */
static size_t u8len(unsigned char c)
{
        if (c < 0x80)
                return 1;
        if ((c & 0xE0) == 0xC0)
                return 2;
        if ((c & 0xF0) == 0xE0)
                return 3;
        if ((c & 0xF8) == 0xF0)
                return 4;
        return 1;
}

int esc_tl_pad(esc_buf_t *out, const char *s, int width)
{
        size_t i = 0, n = s ? strlen(s) : 0;
        int total = 0, cols = 0;

        for (size_t j = 0; j < n; j += u8len((unsigned char)s[j]))
                total++;
        int keep = total < width ? total : width - 1; /* a column ends in a space */
        while (i < n && cols < keep) {
                size_t l = u8len((unsigned char)s[i]);
                if (i + l > n)
                        break;
                i += l;
                cols++;
        }
        if (esc_buf_append(out, s ? s : "", i))
                return -1;
        for (; cols < width; cols++)
                if (esc_buf_append(out, " ", 1))
                        return -1;
        return 0;
}

void esc_tl_oneline(char *dst, size_t dst_size, const char *s, size_t max)
{
        size_t i = 0, w = 0, n = s ? strlen(s) : 0;

        if (dst_size == 0)
                return;
        if (max > dst_size - 4)
                max = dst_size >= 4 ? dst_size - 4 : 0;
        while (i < n) {
                size_t l = u8len((unsigned char)s[i]);
                if (i + l > n || w + l > max)
                        break;
                if (l == 1) {
                        unsigned char ch = (unsigned char)s[i];
                        dst[w] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
                } else {
                        memcpy(dst + w, s + i, l);
                }
                w += l;
                i += l;
        }
        if (i < n && dst_size - w >= 4) {
                memcpy(dst + w, "\xe2\x80\xa6", 3); /* … */
                w += 3;
        }
        dst[w] = '\0';
}

void esc_tl_milestone_list(const esc_tl_milestones_t *ms,
                           esc_tl_milestone_t out[ESC_TL_MILESTONE_CNT])
{
        const esc_tl_milestone_t list[ESC_TL_MILESTONE_CNT] = {
                {"detected", ms->detected},
                {"opened", ms->opened},
                {"acknowledged", ms->acknowledged},
                {"mitigated", ms->mitigated},
                {"resolved", ms->resolved},
                {"confirmed", ms->confirmed},
                {"closed", ms->closed},
        };
        memcpy(out, list, sizeof(list));
}

int esc_tl_sla_clocks(const esc_timeline_t *tl, esc_buf_t *out,
                      int (*row)(esc_buf_t *out, const char *clock, int64_t took, int64_t target,
                                 esc_time_t due, int met))
{
        const esc_tl_sla_t *s = &tl->sla;
        int r = row(out, "time to acknowledge", s->time_to_acknowledge_s, s->response_target_s,
                    s->response_due_at, s->response_met);

        return r ? r
                 : row(out, "time to resolve", s->time_to_resolve_s, s->resolution_target_s,
                       s->resolution_due_at, s->resolution_met);
}
