/* render_util.h — helpers shared by the timeline renderers and the audit
 * (render_util.c). Below the renderers: includes nothing of the timeline. */
#ifndef ESC_TL_RENDER_UTIL_H
#define ESC_TL_RENDER_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* "1h 05m", "2d 03h", "45s", "-12m 30s"; "—" for ESC_TL_NONE. Needs 32 bytes. */
const char *esc_tl_duration(int64_t s, char *buf, size_t size);
/* ISO-8601 UTC or "—". Needs 32 bytes. */
const char *esc_tl_time(esc_time_t t, char *buf, size_t size);
/* "met", "MISSED", "unknown" for a met flag (1, 0, -1). */
const char *esc_tl_met_word(int met);
/* Appends s with &<>"' escaped (XML/HTML). */
int esc_tl_xml_escape(esc_buf_t *out, const char *s);
/* Appends s padded with spaces to `width` display columns (counts UTF-8
 * code points). A longer string is cut at a code-point boundary one column
 * short, so a column always ends in a space and never runs into the next. */
int esc_tl_pad(esc_buf_t *out, const char *s, int width);
/* Width of a time column: "2026-03-02T11:45:00.123456Z" and a space. */
#define ESC_TL_TIME_COL 28
/* One-line, length-capped copy of free text: newlines and tabs become
 * spaces, cut at a code-point boundary with "…" past max bytes. */
void esc_tl_oneline(char *dst, size_t dst_size, const char *s, size_t max);

/* The milestones every renderer lists, in this order. */
#define ESC_TL_MILESTONE_CNT 7
typedef struct esc_tl_milestone {
        const char *name; /* "detected", "opened", ... "closed" */
        esc_time_t t;     /* ESC_TIME_NONE if not reached */
} esc_tl_milestone_t;
struct esc_tl_milestones;
void esc_tl_milestone_list(const struct esc_tl_milestones *ms,
                           esc_tl_milestone_t out[ESC_TL_MILESTONE_CNT]);

/* Calls row() for the two SLA clocks ("time to acknowledge", "time to
 * resolve") with took, target, due in force and met; stops at the first
 * non-zero return and returns it. */
struct esc_timeline;
int esc_tl_sla_clocks(const struct esc_timeline *tl, esc_buf_t *out,
                      int (*row)(esc_buf_t *out, const char *clock, int64_t took, int64_t target,
                                 esc_time_t due, int met));

/* For a renderer writing to `esc_buf_t *out`: append, or return -1 (the
 * output cap was reached). */
#define ESC_TL_P(...)                                                                              \
        do {                                                                                       \
                if (esc_buf_printf(out, __VA_ARGS__))                                              \
                        return -1;                                                                 \
        } while (0)
#define ESC_TL_X(s)                                                                                \
        do {                                                                                       \
                if (esc_tl_xml_escape(out, (s)))                                                   \
                        return -1;                                                                 \
        } while (0)
#define ESC_TL_COL(s, w)                                                                           \
        do {                                                                                       \
                if (esc_tl_pad(out, (s), (w)))                                                     \
                        return -1;                                                                 \
        } while (0)

#endif
