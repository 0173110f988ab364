/* timeline.h — one incident's history replayed from esc.events: milestones,
 * SLA adherence, customer-update cadence, severity history, refused
 * commands, and the renderers behind `esc timeline` (text, Markdown and the
 * post-incident review draft, JSON, SVG, HTML) — the seed's Step 4.
 *
 * The model is built by pure code (timeline.c): add the incident's events in
 * any order, then esc_timeline_build() sorts them by seq, drops duplicates
 * (a retried append may repeat a seq; projections ignore what they have
 * applied) and derives everything else. No I/O and no clock, so every rule
 * is unit-tested with a scripted incident. cmd_timeline.c is the thin shell
 * that reads the incident's partition and renders.
 *
 * SLA rules (override-aware):
 *   - The clock starts at the EscalationOpened instant (its occurred_at), the
 *     anchor the ledger computes deadlines from; `detected` may be earlier.
 *   - The deadlines in force at instant t are those of the last
 *     SeverityAssigned/SeverityOverridden at or before t. A target is
 *     "due − opened": time_to_acknowledge is judged against the response
 *     deadline in force at the acknowledgement, time_to_resolve against the
 *     resolution deadline in force at the resolution.
 *   - Customer updates (external CustomerUpdatePosted) are judged against
 *     the promise made by the previous acknowledgement/update
 *     (next_update_at) and against the cadence of the severity in force:
 *     previous customer contact (or a later severity change) + update_every
 *     of the policy. Internal updates are listed as events only: they are
 *     not the customer hearing from us.
 *   - If the incident was resolved after a promised or cadence update fell
 *     due, with no external update in between, that silence is a missed
 *     update (the last entry of update_gaps, "missed": true).
 *   - Milestones: acknowledged is the first acknowledgement; mitigated,
 *     resolved, confirmed and closed are the latest ones, and a Reopened
 *     clears them (the incident is open again until resolved again). */
#ifndef ESC_TIMELINE_H
#define ESC_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/policy.h"
#include "core/util.h"
#include "projections/timeline/render_util.h"
#include "runtime/cli.h"

/* Caps: one incident's history is small, but a hostile or broken log must
 * not exhaust memory. Events beyond the cap are counted, not kept. */
#define ESC_TL_MAX_EVENTS 100000
#define ESC_TL_SUMMARY_MAX 200 /* bytes of a one-line summary */
#define ESC_TL_MAX_WARNINGS 64
#define ESC_TL_OUT_CAP ((size_t)64 << 20) /* rendered output */

/* The one-line summary of each event type: a template (core/fields.h)
 * over the event's payload record. */
extern const char *const esc_tl_summary_templates[ESC_EV__COUNT];

/* One event as shown: index into tl->evs plus its one-line summary. */
typedef struct esc_tl_row {
        const esc_event_t *ev; /* points into tl->evs */
        char summary[ESC_TL_SUMMARY_MAX + 1];
        int sev;   /* severity in force after this event, 0 = none yet */
        bool late; /* a late customer update */
} esc_tl_row_t;

typedef struct esc_tl_milestones {
        esc_time_t detected; /* detected_at, else the open instant */
        esc_time_t opened;
        esc_time_t acknowledged;
        esc_time_t mitigated;
        esc_time_t resolved;
        esc_time_t confirmed;
        esc_time_t closed;
} esc_tl_milestones_t;

/* Durations in whole seconds; ESC_TL_NONE where unknown. met: -1 unknown,
 * 0 missed, 1 met. */
#define ESC_TL_NONE INT64_MIN
typedef struct esc_tl_sla {
        int64_t time_to_acknowledge_s;
        int64_t response_target_s;
        esc_time_t response_due_at; /* the deadline in force at the ack (or now-last) */
        int response_met;
        int64_t time_to_resolve_s;
        int64_t resolution_target_s;
        esc_time_t resolution_due_at;
        int resolution_met;
} esc_tl_sla_t;

/* A severity assignment, override, or refused override. */
typedef enum {
        ESC_TL_SEV_ASSIGNED = 0,
        ESC_TL_SEV_OVERRIDDEN,
        ESC_TL_SEV_REFUSED
} esc_tl_sev_kind_t;
const char *esc_tl_sev_kind_name(esc_tl_sev_kind_t k); /* "assigned", "overridden", "refused" */

typedef struct esc_tl_sevchange {
        const esc_event_t *ev;
        esc_tl_sev_kind_t kind;
        int from_sev;       /* 0 = none (first assignment, or unknown) */
        int to_sev;         /* for refused: the severity in force, unchanged */
        const char *by;     /* borrowed from ev */
        const char *reason; /* override reason; refusal message; for assigned
                               points to note ("matrix Sev 3, bumped: ...") */
        char note[160];
        const char *code; /* refused: rejection code */
        esc_time_t response_due_at, next_update_due_at, resolution_due_at; /* NONE for refused */
} esc_tl_sevchange_t;

/* One external customer update judged against promise and cadence; or
 * (missed, ev NULL) the silence between the last customer contact and the
 * resolution when a promised or cadence update fell due in between: the
 * customer waited past the promise and heard nothing until the fix. */
typedef struct esc_tl_gap {
        const esc_event_t *ev; /* NULL for a missed update */
        esc_time_t at;         /* the update, or the resolution that ended the silence */
        bool missed;
        int64_t since_previous_s;  /* since the previous customer contact; NONE if none */
        esc_time_t promised_at;    /* NONE if nothing was promised */
        int64_t vs_promise_s;      /* at − promised (positive = late); NONE */
        esc_time_t cadence_due_at; /* NONE if the severity has no cadence */
        int64_t vs_cadence_s;      /* at − cadence due (positive = late); NONE */
        bool late;                 /* late against the promise or the cadence */
} esc_tl_gap_t;

typedef struct esc_timeline {
        char *incident_id;
        esc_event_t *evs; /* owned deep copies, sorted by seq after build */
        int nevs, aevs;
        int64_t dropped;    /* events past ESC_TL_MAX_EVENTS */
        int64_t duplicates; /* repeated seqs ignored by build */

        /* Set by the reader before build. */
        bool history_trimmed; /* partition low watermark > 0 */
        int64_t low_watermark;
        int64_t undecodable;

        /* Derived by build. */
        esc_tl_row_t *rows;        /* nevs entries */
        const esc_event_t *opened; /* the EscalationOpened, or NULL */
        int sev;                   /* severity now; 0 = never assigned */
        esc_tl_milestones_t ms;
        esc_tl_sla_t sla;
        esc_tl_sevchange_t *sevs;
        int nsevs;
        esc_tl_gap_t *gaps; /* the external updates, then at most one missed */
        int ngaps;
        int nupdates;                   /* external updates (gaps that are not missed) */
        int nlate;                      /* late updates */
        int nmissed;                    /* missed updates (0 or 1) */
        const esc_event_t **rejections; /* every CommandRejected */
        int nrejections;
        int nreopened;
        const char *owner, *csm, *cs_manager; /* latest assignment per role */
        char *warnings[ESC_TL_MAX_WARNINGS];  /* seq gaps, trimmed history, ... */
        int nwarnings;
        char *policy_version; /* of the last event carrying one; borrowed from evs */
} esc_timeline_t;

esc_timeline_t *esc_timeline_new(const char *incident_id);
void esc_timeline_destroy(esc_timeline_t *tl);

/* Copies ev into the timeline. Events of another incident are refused with
 * -1 and errbuf; past ESC_TL_MAX_EVENTS they are counted in tl->dropped. */
int esc_timeline_add(esc_timeline_t *tl, const esc_event_t *ev, char *errbuf, size_t errbuf_size);

/* Sorts, de-duplicates and derives milestones, SLA, gaps, severity history
 * and warnings. pol gives the update cadence (update_every per severity on
 * its business calendar); NULL means esc_policy_default()'s table. Can be
 * called again after more events were added. Returns 0, or -1 if the
 * timeline holds no event at all (errbuf says so). */
int esc_timeline_build(esc_timeline_t *tl, const esc_policy_t *pol, char *errbuf,
                       size_t errbuf_size);

/* ---- renderers (render_*.c) --------------------------------------------- */

typedef enum {
        ESC_TL_FMT_TEXT = 0,
        ESC_TL_FMT_MARKDOWN,
        ESC_TL_FMT_JSON,
        ESC_TL_FMT_SVG,
        ESC_TL_FMT_HTML,
} esc_tl_format_t;

/* "text", "markdown" (or "md"), "json", "svg", "html"; -1 if unknown. */
int esc_tl_format_parse(const char *s);

#define ESC_TL_REVIEW 0x01 /* markdown: the post-incident review draft */

/* Renders a built timeline into out (appended). Returns 0, or -1 with
 * errbuf (output cap exceeded, JSON encoding failed). */
int esc_timeline_render(const esc_timeline_t *tl, esc_tl_format_t fmt, unsigned flags,
                        esc_buf_t *out, char *errbuf, size_t errbuf_size);

int esc_timeline_render_text(const esc_timeline_t *tl, esc_buf_t *out);
int esc_timeline_render_markdown(const esc_timeline_t *tl, bool review, esc_buf_t *out);
int esc_timeline_render_json(const esc_timeline_t *tl, esc_buf_t *out, char *errbuf,
                             size_t errbuf_size);
int esc_timeline_render_svg(const esc_timeline_t *tl, esc_buf_t *out);
int esc_timeline_render_html(const esc_timeline_t *tl, esc_buf_t *out);

/* ---- reading from Kafka (cmd_timeline.c) --------------------------------- */

struct esc_eventlog;
struct esc_eventlog_stats;
/* Reads tl->incident_id's events from its partition of esc.events into tl
 * (undecodable ones counted in tl->undecodable) and marks the history
 * trimmed when the partition's low watermark is above 0. stats may be
 * NULL. Returns 0 (also when no event matched: tl->nevs == 0), or -1 with
 * errbuf on a broker error. */
int esc_timeline_load(struct esc_eventlog *log, esc_timeline_t *tl,
                      struct esc_eventlog_stats *stats, char *errbuf, size_t errbuf_size);

/* ---- the CLI ------------------------------------------------------------- */

/* `esc audit overrides [--account A] [--since T] [--format text|json|csv]`:
 * every SeverityOverridden and refused override across incidents. The lead's
 * esc_cmd_audit dispatches `audit overrides` here (argv[0] == "overrides"). */
int esc_audit_overrides_main(esc_cli_t *cli, int argc, char **argv);

/* `esc timeline` (cmd_timeline.c). */
int esc_cmd_timeline(esc_cli_t *cli, int argc, char **argv);

#endif
